//! The OpenAI-compatible embeddings endpoint, against a local server speaking its format.

use std::time::Duration;

use doxin_embed::openai::OpenAiEmbedder;
use doxin_embed::{EmbedError, Embedder};
use doxin_llm::LlmError;
use doxin_llm::fake::{FakeServer, Reply, openai_embeddings};
use doxin_llm::http::{HttpClient, RetryPolicy};
use serde_json::json;

fn client() -> HttpClient {
    HttpClient::new(
        Duration::from_secs(5),
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
        },
    )
    .expect("client")
}

#[tokio::test]
async fn sends_the_openai_request_and_orders_vectors_by_index() {
    let server = FakeServer::start().await.expect("server");
    server.push(Reply::openai_error(429, "slow down").header("retry-after", "0"));
    server.push(openai_embeddings(&[vec![3.0, 4.0], vec![0.0, 2.0]]));
    let base = format!("{}/v1", server.url());
    let e = OpenAiEmbedder::new(
        client(),
        &base,
        Some("sk-test"),
        "text-embedding-3-small",
        Some(2),
    );
    let out = e
        .embed(&["Bürostuhl".to_string(), "Papier".to_string()])
        .await
        .expect("embed");
    assert_eq!((out.provider, out.dimension), ("openai", 2));
    assert_eq!(out.vectors, vec![vec![0.6, 0.8], vec![0.0, 1.0]]);
    assert_eq!(out.tokens, Some(8));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "one retry after 429");
    let r = &reqs[1];
    assert_eq!(r.path, "/v1/embeddings");
    assert_eq!(r.headers["authorization"], "Bearer sk-test");
    assert_eq!(
        r.body,
        json!({"model": "text-embedding-3-small", "input": ["Bürostuhl", "Papier"],
               "encoding_format": "float", "dimensions": 2})
    );
}

#[tokio::test]
async fn errors_are_typed() {
    let server = FakeServer::start().await.expect("server");
    let base = format!("{}/v1", server.url());
    let e = OpenAiEmbedder::new(client(), &base, Some("bad"), "text-embedding-3-small", None);
    server.push(Reply::openai_error(401, "Incorrect API key provided"));
    let err = e.embed(&["x".to_string()]).await.expect_err("401");
    assert!(
        matches!(
            err,
            EmbedError::Remote(LlmError::Unauthorized { status: 401, .. })
        ),
        "{err}"
    );
    assert!(!err.is_retryable());
    server.push(Reply::raw(
        200,
        r#"{"object":"list","data":[{"index":0,"embedding":[0.1,"#,
    ));
    let err = e.embed(&["x".to_string()]).await.expect_err("truncated");
    assert!(
        matches!(err, EmbedError::Remote(LlmError::Truncated(_))),
        "{err}"
    );
    server.push(openai_embeddings(&[vec![1.0]]));
    let err = e
        .embed(&["x".to_string(), "y".to_string()])
        .await
        .expect_err("count");
    assert!(
        matches!(
            err,
            EmbedError::CountMismatch {
                expected: 2,
                got: 1
            }
        ),
        "{err}"
    );
}
