//! `doxin extract --mode hybrid` as a user runs it, against local servers that speak OpenAI's
//! and Anthropic's wire formats: merged invoices with per-field provenance, and a wrong total
//! from the "model" rejected by arithmetic because the rules' total reconciles.

use std::path::Path;
use std::process::{Command, Output};
use std::str::FromStr;

use doxin_llm::fake::{FakeServer, answer_for, anthropic_tool, openai_chat};
use doxin_model::Decimal;
use doxin_synth::{Language, Spec, Synthetic, generate};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_doxin");

/// Runs the binary with a clean environment (PATH, HOME and `env` only) in `dir`.
async fn run(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env_clear();
    for key in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(key) {
            cmd.env(key, v);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    // The fake server lives on this test's runtime: wait for the child off the runtime.
    tokio::task::spawn_blocking(move || cmd.output().expect("run doxin"))
        .await
        .expect("join")
}

/// A German invoice whose rules extraction reconciles, and a model answer that agrees except
/// for a wrong gross total and a purchase-order reference the rules did not read.
fn document() -> (Synthetic, Value, Decimal) {
    let s = (7..60)
        .map(|seed| {
            generate(
                seed,
                &Spec::default()
                    .with_language(Language::De)
                    .with_lines(2..=4),
            )
        })
        .find(|s| {
            let Ok(x) = doxin_extract::pipeline::extract(&s.pdf, &Default::default()) else {
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
        .expect("a generated invoice the rules read right");
    let gross = s
        .truth
        .totals
        .tax_inclusive_amount
        .as_ref()
        .expect("gross")
        .value;
    let mut answer = answer_for(&s.truth);
    answer["totals"]["gross"] = json!((gross + Decimal::ONE_HUNDRED).to_string());
    answer["purchase_order_ref"] = json!("PO-2024-77");
    (s, answer, gross)
}

fn check_merged(out: &Output, gross: Decimal, provider: &str) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    let all: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    // One file: still an array of one (the same shape as for several files).
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all:#}");
    let v = all[0].clone();
    assert_eq!(v["llm"]["provider"], provider, "{v:#}");
    assert_eq!(v["llm"]["asked"], true);
    let total = &v["invoice"]["totals"]["tax_inclusive_amount"];
    let value =
        Decimal::from_str(total["value"].as_str().expect("decimal string")).expect("decimal");
    assert_eq!(value, gross, "the rules' reconciling total stays: {total}");
    assert_eq!(total["source"], "text");
    let conflicts = v["llm"]["merge"]["conflicts"]
        .as_array()
        .expect("conflicts");
    assert!(
        conflicts
            .iter()
            .any(|c| c["field"] == "totals.tax_inclusive_amount" && c["resolution"] == "rules"),
        "{conflicts:?}"
    );
    assert_eq!(v["invoice"]["purchase_order_ref"]["value"], "PO-2024-77");
    assert_eq!(v["invoice"]["purchase_order_ref"]["source"], "llm");
    assert_eq!(v["invoice"]["invoice_number"]["source"], "text");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_extract_against_an_openai_format_server() {
    let server = FakeServer::start().await.expect("server");
    let (s, answer, gross) = document();
    server.push(openai_chat(&answer.to_string(), "stop"));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("invoice.pdf"), &s.pdf).expect("write");
    let out = run(
        dir.path(),
        &["extract", "--mode", "hybrid", "invoice.pdf"],
        &[
            ("OPENAI_API_KEY", "sk-test-cli".into()),
            ("OPENAI_BASE_URL", format!("{}/v1", server.url())),
            ("LLM_ALWAYS", "true".into()),
        ],
    )
    .await;
    let v = check_merged(&out, gross, "openai");
    assert_eq!(v["llm"]["usage"]["input_tokens"], 1200);
    assert!(v["llm"]["cost_usd"].as_f64().expect("cost") > 0.0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(reqs[0].headers["authorization"], "Bearer sk-test-cli");
    assert_eq!(
        reqs[0].body["response_format"]["json_schema"]["strict"],
        true
    );
    let content = reqs[0].body["messages"][1]["content"]
        .as_array()
        .expect("content");
    assert!(
        content.iter().any(|c| c["type"] == "image_url"),
        "page image sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_extract_against_an_anthropic_format_server_without_images() {
    let server = FakeServer::start().await.expect("server");
    let (s, answer, gross) = document();
    server.push(anthropic_tool("record_invoice", &answer, "tool_use"));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("invoice.pdf"), &s.pdf).expect("write");
    let out = run(
        dir.path(),
        &["extract", "--mode", "hybrid", "invoice.pdf"],
        &[
            ("ANTHROPIC_API_KEY", "sk-ant-cli".into()),
            ("ANTHROPIC_BASE_URL", server.url()),
            ("LLM_ALWAYS", "true".into()),
            ("LLM_SEND_IMAGES", "false".into()),
        ],
    )
    .await;
    check_merged(&out, gross, "anthropic");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/messages");
    assert_eq!(reqs[0].headers["x-api-key"], "sk-ant-cli");
    assert_eq!(reqs[0].headers["anthropic-version"], "2023-06-01");
    let content = reqs[0].body["messages"][0]["content"]
        .as_array()
        .expect("content");
    assert_eq!(content.len(), 1, "text only with LLM_SEND_IMAGES=false");
    assert!(
        content[0]["text"]
            .as_str()
            .expect("text")
            .contains(&s.facts.invoice_number)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_mode_without_a_model_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("x.txt"), "Invoice 1").expect("write");
    let out = run(dir.path(), &["extract", "--mode", "llm", "x.txt"], &[]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OPENAI_API_KEY"), "{err}");
    let out = run(
        dir.path(),
        &["extract", "x.txt"],
        &[("EXTRACTION_MODE", "hybrid".into())],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("EXTRACTION_MODE"));
}
