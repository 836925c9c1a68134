//! Anthropic Messages with a forced tool.

use std::sync::Arc;
use std::time::Duration;

use doxin_llm::LlmError;
use doxin_llm::fake::{FakeServer, Reply, anthropic_tool};
use doxin_llm::provider::anthropic::AnthropicProvider;
use doxin_llm::schema::invoice_schema;
use serde_json::json;

use crate::{client, extractor, invoice_answer, page_image};

async fn setup() -> (FakeServer, doxin_llm::LlmExtractor) {
    let server = FakeServer::start().await.expect("server");
    let p = AnthropicProvider::new(
        client(Duration::from_secs(5)),
        &server.url(),
        "sk-ant-test",
        "claude-sonnet-4-5",
    );
    (server, extractor(Arc::new(p)))
}

#[tokio::test]
async fn sends_messages_with_image_blocks_and_a_forced_tool() {
    let (server, x) = setup().await;
    server.push(anthropic_tool(
        "record_invoice",
        &invoice_answer(),
        "tool_use",
    ));
    let answer = x
        .ask("Rechnung Nr. 4711", vec![page_image()])
        .await
        .expect("answer");
    assert_eq!(answer.usage.input_tokens, 1500);
    assert_eq!(answer.model, "claude-sonnet-4-5-20250929");
    let r = &server.requests()[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.headers["x-api-key"], "sk-ant-test");
    assert_eq!(r.headers["anthropic-version"], "2023-06-01");
    assert!(!r.headers.contains_key("authorization"));
    let b = &r.body;
    assert_eq!(b["model"], "claude-sonnet-4-5");
    assert_eq!(b["max_tokens"], 4096);
    assert!(b["system"].as_str().expect("system").contains("invoices"));
    let content = &b["messages"][0]["content"];
    assert_eq!(content[0]["type"], "image");
    assert_eq!(content[0]["source"]["type"], "base64");
    assert_eq!(content[0]["source"]["media_type"], "image/png");
    assert!(
        content[0]["source"]["data"]
            .as_str()
            .expect("data")
            .starts_with("iVBORw0KGg")
    );
    assert_eq!(content[1]["type"], "text");
    assert!(
        content[1]["text"]
            .as_str()
            .expect("text")
            .contains("Rechnung Nr. 4711")
    );
    assert_eq!(
        b["tools"],
        json!([{"name": "record_invoice",
                "description": "Record the invoice data read from the document.",
                "input_schema": invoice_schema()}])
    );
    assert_eq!(
        b["tool_choice"],
        json!({"type": "tool", "name": "record_invoice"})
    );
}

#[tokio::test]
async fn overloaded_is_retried_and_errors_are_typed() {
    let (server, x) = setup().await;
    server.push(
        Reply::anthropic_error(529, "overloaded_error", "Overloaded").header("retry-after", "0"),
    );
    server.push(anthropic_tool(
        "record_invoice",
        &invoice_answer(),
        "tool_use",
    ));
    assert_eq!(x.ask("t", vec![]).await.expect("retry").http_attempts, 2);
    server.push(Reply::anthropic_error(
        401,
        "authentication_error",
        "invalid x-api-key",
    ));
    let err = x.ask("t", vec![]).await.expect_err("401");
    assert!(
        matches!(err, LlmError::Unauthorized { ref message, .. } if message == "invalid x-api-key"),
        "{err}"
    );
    server.push(Reply::anthropic_error(
        400,
        "invalid_request_error",
        "max_tokens: too large",
    ));
    let err = x.ask("t", vec![]).await.expect_err("400");
    assert!(
        matches!(err, LlmError::Rejected { status: 400, .. }),
        "{err}"
    );
    server.push(anthropic_tool(
        "record_invoice",
        &json!({"invoice_number": "1"}),
        "max_tokens",
    ));
    let err = x.ask("t", vec![]).await.expect_err("cut");
    assert!(matches!(err, LlmError::Truncated(_)), "{err}");
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn a_bad_tool_input_is_answered_with_an_error_tool_result() {
    let (server, x) = setup().await;
    let mut bad = invoice_answer();
    bad["currency"] = json!("Euro");
    server.push(anthropic_tool("record_invoice", &bad, "tool_use"));
    server.push(anthropic_tool(
        "record_invoice",
        &invoice_answer(),
        "tool_use",
    ));
    let answer = x.ask("t", vec![]).await.expect("repaired");
    assert!(answer.repaired);
    let msgs = server.requests()[1].body["messages"].clone();
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(msgs[1]["content"][0]["type"], "tool_use");
    let result = &msgs[2]["content"][0];
    assert_eq!(result["type"], "tool_result");
    assert_eq!(result["tool_use_id"], "toolu_fake");
    assert_eq!(result["is_error"], true);
    assert!(
        result["content"]
            .as_str()
            .expect("text")
            .contains("currency")
    );
}
