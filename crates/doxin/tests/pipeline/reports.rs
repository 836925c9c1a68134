//! Reports as an operator runs them: `doxin demo seed` fills the books, `doxin serve` with its
//! in-process worker makes the report as a job, the creator's WebSocket hears its progress and
//! completion, and every format downloads.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::client;
use crate::harness::Deployment;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_makes_reports_and_the_websocket_follows() {
    let deployment = Deployment::new(&[]);
    let email = "reports@example.com";
    let token = deployment.user_token_for(email);
    assert_eq!(
        deployment.run(&[
            "demo",
            "seed",
            "--invoices",
            "60",
            "--seed",
            "5",
            "--as-of",
            "2026-06-30",
            "--owner",
            email,
        ]),
        0,
        "doxin demo seed"
    );
    let mut api = deployment.api("api", true);
    let http = client(&token);

    // The creator's socket: report events arrive unasked.
    let url = format!("{}/ws", api.base().replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().expect("ws request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");
    let (_tx, mut rx) = socket.split();

    let resp = http
        .post(format!("{}/api/v1/reports", api.base()))
        .json(&json!({"report_type": "ap_aging", "parameters": {"as_of": "2026-06-30"}}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 202);
    let queued: Value = resp.json().await.expect("json");
    let id = queued["id"].as_str().expect("id").to_string();

    let mut events: Vec<String> = Vec::new();
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(Ok(msg)) = rx.next().await {
            let Ok(text) = msg.into_text() else { continue };
            let Ok(v) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if v["report_id"] == id.as_str() {
                let event = v["event"].as_str().unwrap_or_default().to_string();
                let done = event == "report.completed";
                events.push(event);
                if done {
                    return;
                }
            }
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "no report.completed; events {events:?}\n{}",
        deployment.logs()
    );
    assert!(events.iter().any(|e| e == "report.progress"), "{events:?}");

    let report: Value = http
        .get(format!("{}/api/v1/reports/{id}", api.base()))
        .send()
        .await
        .expect("detail")
        .json()
        .await
        .expect("json");
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["progress"], 100);
    for format in ["xlsx", "csv", "pdf"] {
        let resp = http
            .get(format!(
                "{}/api/v1/reports/{id}/download?format={format}",
                api.base()
            ))
            .send()
            .await
            .expect("download");
        assert_eq!(resp.status().as_u16(), 200, "{format}");
        assert!(!resp.bytes().await.expect("bytes").is_empty(), "{format}");
    }
    api.term();
    assert!(api.wait_exit(Duration::from_secs(10)).success());
}
