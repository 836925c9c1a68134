//! doxin-llm integration tests against local servers that speak OpenAI's and Anthropic's wire
//! formats: the exact requests, every kind of answer, and hybrid extraction of generated
//! invoices.

mod anthropic;
mod hybrid;
mod openai;

use std::sync::Arc;
use std::time::Duration;

use doxin_llm::http::{HttpClient, RetryPolicy};
use doxin_llm::provider::Image;
use doxin_llm::{LlmExtractor, LlmOptions, Provider};

/// A client with short waits so retry tests stay fast.
pub fn client(timeout: Duration) -> HttpClient {
    HttpClient::new(
        timeout,
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(5),
        },
    )
    .expect("client")
}

pub fn extractor(p: Arc<dyn Provider>) -> LlmExtractor {
    LlmExtractor::new(p, LlmOptions::default())
}

/// A tiny PNG-looking payload (the provider only base64-encodes it).
pub fn page_image() -> Image {
    Image {
        media_type: "image/png",
        data: b"\x89PNG\r\n\x1a\nfake".to_vec(),
        page: 1,
    }
}

pub fn invoice_answer() -> serde_json::Value {
    let synthetic = doxin_synth::generate(42, &doxin_synth::Spec::default().with_lines(2..=3));
    doxin_llm::fake::answer_for(&synthetic.truth)
}
