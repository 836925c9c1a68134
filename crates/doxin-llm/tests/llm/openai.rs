//! OpenAI Chat Completions and compatible servers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use doxin_llm::LlmError;
use doxin_llm::fake::{FakeServer, Reply, openai_chat, openai_refusal};
use doxin_llm::provider::openai::OpenAiProvider;
use doxin_llm::schema::invoice_schema;
use serde_json::{Value, json};

use crate::{client, extractor, invoice_answer, page_image};

async fn setup(timeout: Duration) -> (FakeServer, doxin_llm::LlmExtractor) {
    let server = FakeServer::start().await.expect("server");
    let p = OpenAiProvider::openai(
        client(timeout),
        &format!("{}/v1", server.url()),
        "sk-test-123",
        "gpt-4o-mini",
    );
    (server, extractor(Arc::new(p)))
}

#[tokio::test]
async fn sends_chat_completions_with_images_and_a_strict_schema() {
    let (server, x) = setup(Duration::from_secs(5)).await;
    server.push(openai_chat(&invoice_answer().to_string(), "stop"));
    let answer = x
        .ask("Rechnung Nr. 4711", vec![page_image()])
        .await
        .expect("answer");
    assert!(!answer.repaired);
    assert_eq!(answer.usage.input_tokens, 1200);
    assert_eq!(answer.usage.output_tokens, 300);
    assert_eq!(answer.model, "gpt-4o-mini-2024-07-18");
    assert!(answer.invoice.invoice_number.is_some());

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.headers["authorization"], "Bearer sk-test-123");
    assert_eq!(r.headers["content-type"], "application/json");
    let b = &r.body;
    assert_eq!(b["model"], "gpt-4o-mini");
    assert_eq!(b["max_completion_tokens"], 4096);
    assert_eq!(b["messages"][0]["role"], "system");
    let user = &b["messages"][1];
    assert_eq!(user["role"], "user");
    assert_eq!(user["content"][0]["type"], "text");
    assert!(
        user["content"][0]["text"]
            .as_str()
            .expect("text")
            .contains("Rechnung Nr. 4711")
    );
    assert_eq!(user["content"][1]["type"], "image_url");
    let url = user["content"][1]["image_url"]["url"]
        .as_str()
        .expect("url");
    assert!(url.starts_with("data:image/png;base64,iVBORw0KGg"), "{url}");
    assert_eq!(
        b["response_format"],
        json!({"type": "json_schema",
               "json_schema": {"name": "record_invoice", "strict": true, "schema": invoice_schema()}})
    );
}

#[tokio::test]
async fn compatible_servers_get_no_key_and_max_tokens() {
    let server = FakeServer::start().await.expect("server");
    let p = OpenAiProvider::compatible(
        client(Duration::from_secs(5)),
        &format!("{}/v1/", server.url()),
        None,
        "llama3.2-vision",
    );
    server.push(openai_chat(&invoice_answer().to_string(), "stop"));
    extractor(Arc::new(p))
        .ask("text", vec![])
        .await
        .expect("answer");
    let r = &server.requests()[0];
    assert_eq!(r.path, "/v1/chat/completions");
    assert!(!r.headers.contains_key("authorization"));
    assert_eq!(r.body["max_tokens"], 4096);
    assert!(r.body.get("max_completion_tokens").is_none());
    assert_eq!(
        r.body["messages"][1]["content"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (server, x) = setup(Duration::from_secs(5)).await;
    server.push(Reply::openai_error(
        400,
        "Invalid schema for response_format",
    ));
    let err = x.ask("t", vec![]).await.expect_err("400");
    assert!(
        matches!(err, LlmError::Rejected { status: 400, ref message } if message.contains("Invalid schema")),
        "{err}"
    );
    assert!(!err.is_retryable());
    server.push(Reply::openai_error(401, "Incorrect API key provided"));
    let err = x.ask("t", vec![]).await.expect_err("401");
    assert!(
        matches!(err, LlmError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    assert_eq!(err.code(), "llm_unauthorized");
    assert_eq!(server.requests().len(), 2, "one request each, no retries");
}

#[tokio::test]
async fn rate_limits_honour_retry_after() {
    let (server, x) = setup(Duration::from_secs(5)).await;
    server.push(Reply::openai_error(429, "Rate limit reached").header("retry-after", "1"));
    server.push(openai_chat(&invoice_answer().to_string(), "stop"));
    let started = Instant::now();
    let answer = x.ask("t", vec![]).await.expect("answer after the wait");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(answer.http_attempts, 2);

    // Still limited after every retry: a typed, retryable error.
    server
        .set_fallback(Reply::openai_error(429, "Rate limit reached").header("retry-after-ms", "5"));
    let err = x.ask("t", vec![]).await.expect_err("429");
    assert!(
        matches!(err, LlmError::RateLimited { attempts: 3, .. }),
        "{err}"
    );
    assert!(err.is_retryable());
    // A wait longer than the policy allows is not slept through.
    server.set_fallback(Reply::openai_error(429, "later").header("retry-after", "3600"));
    let started = Instant::now();
    let err = x.ask("t", vec![]).await.expect_err("429");
    assert!(
        matches!(err, LlmError::RateLimited { attempts: 1, .. }),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let (server, x) = setup(Duration::from_secs(5)).await;
    server.push(Reply::openai_error(500, "The server had an error"));
    server.push(Reply::openai_error(503, "overloaded"));
    server.push(openai_chat(&invoice_answer().to_string(), "stop"));
    let answer = x.ask("t", vec![]).await.expect("third time lucky");
    assert_eq!(answer.http_attempts, 3);
    server.set_fallback(Reply::openai_error(500, "down"));
    let err = x.ask("t", vec![]).await.expect_err("500");
    assert!(
        matches!(
            err,
            LlmError::Server {
                status: 500,
                attempts: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn timeouts_are_typed_and_retried() {
    let (server, x) = setup(Duration::from_millis(300)).await;
    server.set_fallback(openai_chat("{}", "stop").delayed(Duration::from_secs(3)));
    let started = Instant::now();
    let err = x.ask("t", vec![]).await.expect_err("timeout");
    assert!(matches!(err, LlmError::Timeout(_)), "{err}");
    assert_eq!(server.requests().len(), 3, "first try and two retries");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_malformed_answer_gets_one_repair() {
    let (server, x) = setup(Duration::from_secs(5)).await;
    let mut bad = invoice_answer();
    bad["issue_date"] = json!("1st of March");
    server.push(openai_chat(&bad.to_string(), "stop"));
    server.push(openai_chat(&invoice_answer().to_string(), "stop"));
    let answer = x.ask("t", vec![]).await.expect("repaired");
    assert!(answer.repaired);
    assert_eq!(answer.usage.input_tokens, 2400, "both requests are billed");
    let second = &server.requests()[1].body;
    let msgs = second["messages"].as_array().expect("messages");
    assert_eq!(msgs.len(), 4);
    assert_eq!(msgs[2]["role"], "assistant");
    assert_eq!(msgs[2]["content"], bad.to_string());
    let problem = msgs[3]["content"].as_str().expect("text");
    assert!(problem.contains("issue_date"), "{problem}");

    // Wrong twice: a typed error, and no third request.
    server.push(openai_chat("not json at all", "stop"));
    server.push(openai_chat("{\"invoice_number\": 1}", "stop"));
    let err = x.ask("t", vec![]).await.expect_err("malformed");
    assert!(matches!(err, LlmError::Malformed(_)), "{err}");
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn truncated_refused_and_empty_answers() {
    let (server, x) = setup(Duration::from_secs(5)).await;
    let full = invoice_answer().to_string();
    // Cut by the token limit: asking again would be cut again.
    server.push(openai_chat(&full[..full.len() / 2], "length"));
    let err = x.ask("t", vec![]).await.expect_err("length");
    assert!(matches!(err, LlmError::Truncated(_)), "{err}");
    assert_eq!(server.requests().len(), 1);
    // JSON that ends early without a reason: one repair, then truncated.
    server.push(openai_chat(&full[..full.len() / 2], "stop"));
    server.push(openai_chat(&full[..full.len() / 3], "stop"));
    let err = x.ask("t", vec![]).await.expect_err("truncated");
    assert!(matches!(err, LlmError::Truncated(_)), "{err}");
    // A truncated HTTP body.
    server.push(Reply::raw(
        200,
        r#"{"id":"chatcmpl-1","choices":[{"index":0,"message":"#,
    ));
    let err = x.ask("t", vec![]).await.expect_err("body");
    assert!(matches!(err, LlmError::Truncated(_)), "{err}");
    server.push(openai_refusal("I can't help with that."));
    let err = x.ask("t", vec![]).await.expect_err("refusal");
    assert!(
        matches!(err, LlmError::Refusal(ref m) if m.contains("can't help")),
        "{err}"
    );
    server.push(openai_chat("", "stop"));
    server.push(openai_chat("{}", "stop"));
    let err = x.ask("t", vec![]).await.expect_err("empty");
    assert!(matches!(err, LlmError::Empty), "{err}");
    let bodies: Vec<Value> = server.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 7);
}
