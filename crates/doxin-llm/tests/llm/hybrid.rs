//! Hybrid and LLM modes over generated invoices.

use std::sync::Arc;
use std::time::Duration;

use doxin_extract::pipeline::ExtractOptions;
use doxin_llm::fake::{FakeServer, Reply, answer_for, openai_chat};
use doxin_llm::merge::Resolution;
use doxin_llm::provider::openai::OpenAiProvider;
use doxin_llm::{HybridError, LlmError, LlmExtractor, LlmOptions, Mode};
use doxin_model::Source;
use doxin_synth::{Language, Spec, generate};
use rust_decimal::Decimal;
use serde_json::json;

use crate::client;

async fn setup(opts: LlmOptions) -> (FakeServer, LlmExtractor) {
    let server = FakeServer::start().await.expect("server");
    let p = OpenAiProvider::openai(
        client(Duration::from_secs(10)),
        &format!("{}/v1", server.url()),
        "sk-test",
        "gpt-4o-mini",
    );
    (server, LlmExtractor::new(Arc::new(p), opts))
}

/// A German invoice the rules read with a reconciling gross total and no purchase-order
/// reference (so a model can add one).
pub fn reconciling_invoice() -> doxin_synth::Synthetic {
    (7..60)
        .map(|seed| {
            generate(
                seed,
                &Spec::default()
                    .with_language(Language::De)
                    .with_lines(2..=4),
            )
        })
        .find(|s| {
            let Ok(x) = doxin_extract::pipeline::extract(&s.pdf, &ExtractOptions::default()) else {
                return false;
            };
            let gross =
                |i: &doxin_model::Invoice| i.totals.tax_inclusive_amount.as_ref().map(|g| g.value);
            s.truth.purchase_order_ref.is_none()
                && x.invoice.purchase_order_ref.is_none()
                && gross(&x.invoice).is_some()
                && gross(&x.invoice) == gross(&s.truth)
                && !x.validation.has_errors()
        })
        .expect("a generated invoice the rules read right")
}

fn always() -> LlmOptions {
    LlmOptions {
        always: true,
        ..LlmOptions::default()
    }
}

#[tokio::test]
async fn hybrid_merges_with_provenance_and_arithmetic_rejects_a_wrong_total() {
    let (server, x) = setup(always()).await;
    let s = reconciling_invoice();
    let truth_gross = s
        .truth
        .totals
        .tax_inclusive_amount
        .clone()
        .expect("gross")
        .value;
    let mut answer = answer_for(&s.truth);
    answer["totals"]["gross"] = json!((truth_gross + Decimal::ONE_HUNDRED).to_string());
    answer["purchase_order_ref"] = json!("PO-2024-77");
    server.push(openai_chat(&answer.to_string(), "stop"));

    let out = x
        .extract(s.pdf.clone(), &ExtractOptions::default(), Mode::Hybrid)
        .await
        .expect("extract");
    let report = out.llm.as_ref().expect("llm report");
    assert!(report.asked, "{report:?}");
    assert_eq!(report.pages_sent, vec![1]);
    assert_eq!(
        (report.usage.input_tokens, report.usage.output_tokens),
        (1200, 300)
    );
    assert!(report.cost_usd.expect("priced") > 0.0);
    let merge = report.merge.as_ref().expect("merged");
    let gross = out
        .extraction
        .invoice
        .totals
        .tax_inclusive_amount
        .clone()
        .expect("gross");
    assert_eq!(
        gross.value, truth_gross,
        "the rules' reconciling total stays"
    );
    assert_eq!(gross.source, Source::Text);
    let c = merge
        .conflicts
        .iter()
        .find(|c| c.field == "totals.tax_inclusive_amount")
        .expect("the wrong total is a conflict");
    assert_eq!(c.resolution, Resolution::Rules);
    let po = out
        .extraction
        .invoice
        .purchase_order_ref
        .clone()
        .expect("filled by the model");
    assert_eq!(po.source, Source::Llm);

    // The request carried the page image and the layout text.
    let body = &server.requests()[0].body;
    let content = body["messages"][1]["content"].as_array().expect("content");
    assert!(
        content[0]["text"]
            .as_str()
            .expect("text")
            .contains(&s.facts.invoice_number)
    );
    assert!(
        content[1]["image_url"]["url"]
            .as_str()
            .expect("url")
            .starts_with("data:image/png;base64,")
    );

    // JSON output carries provenance per field and the report.
    let json = serde_json::to_value(&out).expect("serialise");
    assert_eq!(json["invoice"]["purchase_order_ref"]["source"], "llm");
    assert_eq!(
        json["invoice"]["totals"]["tax_inclusive_amount"]["source"],
        "text"
    );
    assert_eq!(json["llm"]["provider"], "openai");
}

#[tokio::test]
async fn without_images_only_the_layout_text_is_sent_and_pages_are_capped() {
    let (server, x) = setup(LlmOptions {
        send_images: false,
        ..always()
    })
    .await;
    let s = generate(3, &Spec::default());
    server.push(openai_chat(&answer_for(&s.truth).to_string(), "stop"));
    x.extract(s.pdf.clone(), &ExtractOptions::default(), Mode::Hybrid)
        .await
        .expect("extract");
    let body = &server.requests()[0].body;
    let content = body["messages"][1]["content"].as_array().expect("content");
    assert_eq!(content.len(), 1, "text only: {content:?}");
    assert!(!body.to_string().contains("image_url"));

    let (server, x) = setup(LlmOptions {
        max_pages: 1,
        ..always()
    })
    .await;
    let s = generate(5, &Spec::multi_page());
    assert!(s.facts.pages > 1);
    server.push(openai_chat(&answer_for(&s.truth).to_string(), "stop"));
    let out = x
        .extract(s.pdf.clone(), &ExtractOptions::default(), Mode::Hybrid)
        .await
        .expect("extract");
    assert_eq!(out.llm.as_ref().expect("report").pages_sent, vec![1]);
    assert!(
        out.extraction
            .warnings
            .iter()
            .any(|w| w.contains("only the first 1"))
    );
}

#[tokio::test]
async fn rules_mode_and_sure_rules_do_not_ask() {
    let (server, x) = setup(LlmOptions::default()).await;
    let s = generate(11, &Spec::default().with_lines(1..=2));
    server.push(openai_chat(&answer_for(&s.truth).to_string(), "stop"));
    let out = x
        .extract(s.pdf.clone(), &ExtractOptions::default(), Mode::Rules)
        .await
        .expect("rules");
    assert!(out.llm.is_none());
    let out = x
        .extract(s.pdf.clone(), &ExtractOptions::default(), Mode::Hybrid)
        .await
        .expect("hybrid");
    let report = out.llm.expect("report");
    let unsure = doxin_llm::hybrid::unsure(&out.extraction, 0.8);
    assert_eq!(report.asked, !unsure.is_empty());
    assert_eq!(server.requests().len(), usize::from(report.asked));
}

#[tokio::test]
async fn a_failing_model_leaves_the_rules_in_hybrid_and_fails_llm_mode() {
    let (server, x) = setup(always()).await;
    server.set_fallback(Reply::openai_error(500, "down"));
    let s = generate(13, &Spec::default());
    let out = x
        .extract(s.pdf.clone(), &ExtractOptions::default(), Mode::Hybrid)
        .await
        .expect("hybrid keeps the rules");
    assert!(out.extraction.needs_review);
    let err = out.llm.expect("report").error.expect("error");
    assert_eq!((err.code, err.retryable), ("llm_server_error", true));
    let err = x
        .extract(s.pdf.clone(), &ExtractOptions::default(), Mode::Llm)
        .await
        .expect_err("llm mode fails");
    assert!(
        matches!(err, HybridError::Llm(LlmError::Server { .. })),
        "{err}"
    );
    assert!(err.is_retryable());
}
