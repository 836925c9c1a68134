//! Client overhead per LLM request: building the request (schema, base64 images), the HTTP
//! round trip over loopback to a local server that answers at once, and the strict parse of
//! the answer. The server does no work beyond recording the request, so the time measured is
//! the client's cost, not a model's.
//!
//! cargo bench -p doxin-llm --bench client_overhead

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use doxin_llm::fake::{FakeServer, answer_for, anthropic_tool, openai_chat};
use doxin_llm::http::{HttpClient, RetryPolicy};
use doxin_llm::provider::Image;
use doxin_llm::provider::anthropic::AnthropicProvider;
use doxin_llm::provider::openai::OpenAiProvider;
use doxin_llm::{LlmExtractor, LlmOptions};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let synthetic = doxin_synth::generate(42, &doxin_synth::Spec::default().with_lines(5..=5));
    let answer = answer_for(&synthetic.truth).to_string();
    let text = doxin_extract::pdf::text::text_layer(&synthetic.pdf)
        .map(|d| d.layout_text())
        .unwrap_or_default();
    let page = doxin_extract::render::render_page_png(&synthetic.pdf, 1, 150.0).expect("render");

    let (openai, anthropic) = rt.block_on(async {
        let o = FakeServer::start().await.expect("server");
        o.set_fallback(openai_chat(&answer, "stop"));
        let a = FakeServer::start().await.expect("server");
        let input: serde_json::Value = serde_json::from_str(&answer).expect("json");
        a.set_fallback(anthropic_tool("record_invoice", &input, "tool_use"));
        (o, a)
    });
    let http = || HttpClient::new(Duration::from_secs(10), RetryPolicy::default()).expect("client");
    let oa = LlmExtractor::new(
        Arc::new(OpenAiProvider::openai(
            http(),
            &format!("{}/v1", openai.url()),
            "sk-bench",
            "gpt-4o-mini",
        )),
        LlmOptions::default(),
    );
    let an = LlmExtractor::new(
        Arc::new(AnthropicProvider::new(
            http(),
            &anthropic.url(),
            "sk-bench",
            "claude-sonnet-4-5",
        )),
        LlmOptions::default(),
    );

    let mut g = c.benchmark_group("llm_request");
    g.throughput(Throughput::Elements(1));
    g.bench_function("openai_text", |b| {
        b.to_async(&rt)
            .iter(|| async { oa.ask(&text, vec![]).await.expect("answer") })
    });
    g.bench_function(
        format!("openai_text_and_page_png_{}kb", page.len() / 1024),
        |b| {
            b.to_async(&rt).iter(|| async {
                let img = Image {
                    media_type: "image/png",
                    data: page.clone(),
                    page: 1,
                };
                oa.ask(&text, vec![img]).await.expect("answer")
            })
        },
    );
    g.bench_function("anthropic_text", |b| {
        b.to_async(&rt)
            .iter(|| async { an.ask(&text, vec![]).await.expect("answer") })
    });
    g.finish();
    drop((openai, anthropic));
}

criterion_group!(benches, bench);
criterion_main!(benches);
