//! Intake over HTTP: bad input gets a clear problem and stores nothing; URLs pass the SSRF
//! guard or are refused; the queue limit answers 429; job tokens guard the WebSocket.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use doxin_fetch::{FetchPolicy, Fetcher, StaticResolver};
use doxin_server::IntakeLimits;
use doxin_store::{JobFilter, PageRequest, Scope};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};

use crate::helpers::{SpawnOptions, TestApp, no_auth_cache, spawn_app, spawn_app_with};

fn pdf(pages: usize) -> Vec<u8> {
    doxin_synth::generate(
        7,
        &doxin_synth::Spec {
            lines: (pages * 40)..=(pages * 40),
            ..Default::default()
        },
    )
    .pdf
}

/// A one-page PDF written by hand, with extra trailer entries (e.g. an `/Encrypt`).
pub(crate) fn handmade_pdf(trailer_extra: &str) -> Vec<u8> {
    let content = "BT /F1 12 Tf 72 720 Td (Invoice 1) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

async fn upload(app: &TestApp, files: &[(&str, Vec<u8>)]) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in files {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    let resp = app
        .client
        .post(app.url("/api/v1/invoices/upload"))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn jobs_stored(app: &TestApp) -> u64 {
    app.store
        .list_jobs(Scope::All, &JobFilter::default(), PageRequest::new(1, 1))
        .await
        .expect("jobs")
        .total
}

async fn process(app: &TestApp, body: Value) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url("/api/v1/invoices/process"))
        .json(&body)
        .send()
        .await
        .expect("process");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_upload_is_stored_and_queued_before_202() {
    let app = spawn_app().await;
    let (status, body) = upload(&app, &[("a.pdf", pdf(1)), ("b.pdf", pdf(2))]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["jobs"].as_array().map(Vec::len), Some(2));
    let job_id = body["job_id"].as_str().expect("job id");
    let job = app
        .store
        .get_job(job_id.parse().expect("uuid"), Scope::All)
        .await
        .expect("job row exists when 202 is answered");
    assert_eq!(job.status.as_str(), "queued");
    let file = app
        .store
        .get_file(job.file_id.expect("file"), Scope::All)
        .await
        .expect("file row");
    assert_eq!(file.mime_type, "application/pdf");
    assert_eq!(file.original_name, "a.pdf");
    let status: Value = app
        .get(body["status_url"].as_str().expect("status url"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(status["status"], "queued");
    assert_eq!(status["filename"], "a.pdf");
}

#[tokio::test]
async fn bad_files_get_clear_problems_and_store_nothing() {
    let app = spawn_app_with(SpawnOptions {
        limits: Some(IntakeLimits {
            max_upload_bytes: 64 * 1024,
            max_pages: 1,
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("empty.pdf", vec![], 422, "empty_file"),
        ("big.pdf", vec![b'%'; 70 * 1024], 413, "file_too_large"),
        (
            "photo.gif",
            b"GIF89a\x01\x00\x01\x00".to_vec(),
            415,
            "unsupported_type",
        ),
        (
            "invoice.pdf",
            b"MZ\x90\x00 this is an executable".to_vec(),
            415,
            "unsupported_type",
        ),
        (
            "broken.pdf",
            b"%PDF-1.7\n1 0 obj <<".to_vec(),
            422,
            "corrupt_file",
        ),
        (
            "locked.pdf",
            handmade_pdf("/Encrypt << /Filter /Standard /V 2 /R 3 >>"),
            422,
            "encrypted_pdf",
        ),
        ("long.pdf", pdf(3), 422, "too_many_pages"),
    ];
    for (name, bytes, want_status, want_code) in cases {
        let (status, body) = upload(&app, &[(name, bytes)]).await;
        assert_eq!(status, want_status, "{name}: {body}");
        assert_eq!(body["code"], want_code, "{name}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| d.contains(name)),
            "{body}"
        );
    }
    assert_eq!(
        jobs_stored(&app).await,
        0,
        "nothing stored for refused files"
    );
    // A batch with good and bad files: the good one is accepted, the bad one listed.
    let (status, body) = upload(&app, &[("ok.pdf", handmade_pdf("")), ("empty.pdf", vec![])]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["jobs"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["rejected"][0]["code"], "empty_file");
    assert_eq!(jobs_stored(&app).await, 1);
}

#[tokio::test]
async fn a_full_queue_answers_429_with_retry_after() {
    let app = spawn_app_with(SpawnOptions {
        limits: Some(IntakeLimits {
            queue_max: 2,
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let (status, _) = upload(&app, &[("a.pdf", handmade_pdf("")), ("b.pdf", pdf(1))]).await;
    assert_eq!(status, 202);
    let mut form = reqwest::multipart::Form::new();
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(pdf(1)).file_name("c.pdf"),
    );
    let resp = app
        .client
        .post(app.url("/api/v1/invoices/upload"))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("30")
    );
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "queue_full");
    assert_eq!(jobs_stored(&app).await, 2, "nothing half-stored");
    let (status, _) = process(&app, json!({"url": "https://example.com/x.pdf"})).await;
    assert_eq!(status, 429);
}

/// A server that counts the requests it receives.
async fn counting_server(body: Vec<u8>, redirect_to: Option<String>) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let (h, body, redirect_to) = (h.clone(), body.clone(), redirect_to.clone());
        async move {
            h.fetch_add(1, Ordering::SeqCst);
            match redirect_to {
                Some(to) => axum::response::Response::builder()
                    .status(302)
                    .header("location", to)
                    .body(axum::body::Body::empty())
                    .expect("response"),
                None => axum::response::Response::new(axum::body::Body::from(body)),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), hits)
}

#[tokio::test]
async fn urls_to_internal_addresses_are_refused() {
    let (target, hits) = counting_server(handmade_pdf(""), None).await;
    let resolver = StaticResolver::new([(
        "intranet.example",
        vec!["10.1.2.3".parse::<IpAddr>().expect("ip")],
    )]);
    let app = spawn_app_with(SpawnOptions {
        fetcher: Some(Fetcher::with_resolver(
            FetchPolicy::default(),
            Arc::new(resolver),
        )),
        ..Default::default()
    })
    .await;
    for url in [
        format!("{target}/invoice.pdf"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://intranet.example/invoice.pdf".to_string(),
        "http://[::1]/x".to_string(),
        "file:///etc/passwd".to_string(),
    ] {
        let (status, body) = process(&app, json!({"blob_url": url, "filename": "x.pdf"})).await;
        assert_eq!(status, 422, "{url}: {body}");
        assert!(
            matches!(body["code"].as_str(), Some("url_blocked" | "url_scheme")),
            "{url}: {body}"
        );
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the internal server was never contacted"
    );
    assert_eq!(jobs_stored(&app).await, 0);
}

#[tokio::test]
async fn allow_listed_urls_are_fetched_and_redirects_to_internal_addresses_refused() {
    let (target, _) = counting_server(handmade_pdf(""), None).await;
    let (bouncer, _) = counting_server(
        vec![],
        Some("http://169.254.169.254/latest/meta-data/".into()),
    )
    .await;
    let policy = FetchPolicy {
        allow: FetchPolicy::parse_allow_list("127.0.0.1/32").expect("allow list"),
        ..Default::default()
    };
    let app = spawn_app_with(SpawnOptions {
        fetcher: Some(Fetcher::new(policy)),
        ..Default::default()
    })
    .await;
    let (status, body) = process(&app, json!({"url": format!("{target}/scan.pdf")})).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["jobs"][0]["filename"], "scan.pdf");
    let (status, body) = process(&app, json!({"url": format!("{bouncer}/go")})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "url_blocked");
    // The batch shape of the earlier system: per-file outcomes.
    let resp = app
        .client
        .post(app.url("/api/v1/invoices/process-batch"))
        .json(&json!({
            "files": [
                {"blob_url": format!("{target}/a.pdf"), "filename": "a.pdf", "file_size": 1, "mime_type": "application/pdf"},
                {"blob_url": format!("{bouncer}/b"), "filename": "b.pdf", "file_size": 1, "mime_type": "application/pdf"}
            ],
            "options": {"auto_save": false, "confidence_threshold": 0.9}
        }))
        .send()
        .await
        .expect("batch");
    assert_eq!(resp.status().as_u16(), 202);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["jobs"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["rejected"][0]["filename"], "b.pdf");
    assert_eq!(body["rejected"][0]["code"], "url_blocked");
    assert_eq!(jobs_stored(&app).await, 2);
}

/// A WebSocket as `token`'s user.
async fn ws_as(
    app: &TestApp,
    token: Option<&str>,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    tokio_tungstenite::tungstenite::Error,
> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let ws_url = format!("{}/ws", app.address.replacen("http://", "ws://", 1));
    let mut request = ws_url.into_client_request().expect("request");
    if let Some(t) = token {
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {t}").parse().expect("header"),
        );
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(s, _)| s)
}

fn ws_text(v: Value) -> tokio_tungstenite::tungstenite::Message {
    tokio_tungstenite::tungstenite::Message::Text(v.to_string().into())
}

#[tokio::test]
async fn websocket_events_follow_ownership_and_deactivation() {
    // The deactivation below is written to the store, not made through the API: without the
    // auth cache the next connection sees it at once (its bound: auth_cache.rs).
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(no_auth_cache),
        ..Default::default()
    })
    .await;
    let bob = app.create_user("bob@example.com", false).await;
    let (_, body) = upload(&app, &[("a.pdf", handmade_pdf(""))]).await;
    let job_id = body["job_id"].as_str().expect("job").to_string();

    let anonymous = ws_as(&app, None)
        .await
        .expect_err("no credential, no socket");
    assert!(anonymous.to_string().contains("401"), "{anonymous}");

    // Bob cannot subscribe to the owner's job: refused as if it did not exist.
    let mut bob_socket = ws_as(&app, Some(&bob.token)).await.expect("ws");
    bob_socket
        .send(ws_text(
            json!({"action": "subscribe", "jobs": [{"job_id": job_id}]}),
        ))
        .await
        .expect("send");
    let reply = next_json(&mut bob_socket).await;
    assert_eq!(reply["event"], "subscribed");
    assert_eq!(reply["job_ids"], json!([]));
    assert_eq!(reply["rejected"], json!([job_id]));

    let mut socket = ws_as(&app, Some(&app.user.token)).await.expect("ws");
    socket
        .send(ws_text(
            json!({"action": "subscribe", "jobs": [{"job_id": job_id}]}),
        ))
        .await
        .expect("send");
    let reply = next_json(&mut socket).await;
    assert_eq!(reply["job_ids"], json!([job_id]));
    let snapshot = next_json(&mut socket).await;
    assert_eq!(snapshot["event"], "job.snapshot");
    assert_eq!(snapshot["status"], "queued");

    // The owner's event reaches the owner and not Bob (Bob's next message is his pong).
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/jobs/{job_id}/cancel")))
        .send()
        .await
        .expect("cancel");
    assert_eq!(resp.status(), 200);
    let event = next_json(&mut socket).await;
    assert_eq!(event["event"], "job.cancelled");
    assert_eq!(event["job_id"], json!(job_id));
    bob_socket
        .send(ws_text(json!({"action": "ping"})))
        .await
        .expect("send");
    assert_eq!(next_json(&mut bob_socket).await["event"], "pong");

    // Deactivation closes the open socket within a few seconds.
    app.store
        .update_user(
            app.user.id,
            doxin_store::UserUpdate {
                is_active: Some(false),
                ..Default::default()
            },
        )
        .await
        .expect("deactivate");
    let closing = next_json(&mut socket).await;
    assert_eq!(closing["code"], "account_inactive", "{closing}");
    let rest = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
        .await
        .expect("the server closes");
    assert!(
        matches!(
            rest,
            None | Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | Some(Err(_))
        ),
        "{rest:?}"
    );
    let refused = ws_as(&app, Some(&app.user.token))
        .await
        .expect_err("inactive");
    assert!(refused.to_string().contains("403"), "{refused}");
}

#[tokio::test]
async fn jobs_can_be_listed_cancelled_and_marked_read() {
    let app = spawn_app().await;
    let (_, body) = upload(&app, &[("a.pdf", handmade_pdf("")), ("b.pdf", pdf(1))]).await;
    let first = body["jobs"][0]["job_id"].as_str().expect("job").to_string();
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/jobs/{first}/cancel")))
        .send()
        .await
        .expect("cancel");
    assert_eq!(resp.status().as_u16(), 200);
    let again = app
        .client
        .post(app.url(&format!("/api/v1/jobs/{first}/cancel")))
        .send()
        .await
        .expect("cancel");
    assert_eq!(
        again.status().as_u16(),
        409,
        "a cancelled job cannot be cancelled again"
    );
    let list: Value = app
        .get("/api/v1/jobs/my-jobs?per_page=1")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["pagination"]["total"], 2);
    assert_eq!(list["pagination"]["pages"], 2);
    assert_eq!(list["statistics"]["cancelled"], 1);
    assert_eq!(list["statistics"]["queued"], 1);
    let unread: Value = app
        .get("/api/v1/jobs/unread-count")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(unread["unread_count"], 2);
    let resp = app
        .client
        .post(app.url("/api/v1/jobs/mark-as-read"))
        .json(&json!({"job_ids": [first]}))
        .send()
        .await
        .expect("mark");
    assert_eq!(resp.status().as_u16(), 200);
    let unread: Value = app
        .get("/api/v1/jobs/unread-count")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(unread["unread_count"], 1);
    let missing = app
        .get(&format!("/api/v1/invoices/status/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(missing.status().as_u16(), 404);
    let approve = app
        .client
        .post(app.url(&format!("/api/v1/invoices/approve/{first}")))
        .send()
        .await
        .expect("approve");
    assert_eq!(
        approve.status().as_u16(),
        409,
        "a cancelled job has no invoice to approve"
    );
}

async fn next_json<S>(socket: &mut S) -> Value
where
    S: futures::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    let msg = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("a message")
        .expect("open")
        .expect("ok");
    serde_json::from_str::<Value>(&msg.into_text().expect("text")).expect("json")
}

#[tokio::test]
async fn metrics_report_jobs_queue_and_requests() {
    let app = spawn_app().await;
    let (status, _) = upload(&app, &[("a.pdf", handmade_pdf("")), ("b.pdf", pdf(1))]).await;
    assert_eq!(status, 202);
    let _ = app.get("/api/v1/nothing-here").await;
    let resp = app.get("/metrics").await;
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/openmetrics-text; version=1.0.0"))
    );
    let text = resp.text().await.expect("text");
    assert!(text.contains("doxin_jobs{status=\"queued\"} 2"), "{text}");
    assert!(text.contains("doxin_queue_depth 2"), "{text}");
    assert!(text.contains("doxin_workers_live 0"), "{text}");
    assert!(text.contains("doxin_queue_in_flight 0"), "{text}");
    assert!(text.contains("doxin_queue_dead_letters 0"), "{text}");
    assert!(
        text.contains("doxin_jobs_by_stage{stage=\"extract\"} 0"),
        "{text}"
    );
    assert!(text.contains("doxin_db_pool_max_connections "), "{text}");
    assert!(
        text.contains(
            "doxin_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/invoices/upload\",status=\"202\"} 1"
        ),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(
        text.contains(
            "doxin_http_requests_total{method=\"POST\",route=\"/api/v1/invoices/upload\",status=\"202\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"unmatched\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(
        !text.contains("route=\"/metrics\""),
        "scrapes are not counted"
    );
    // Every sample line is `name{labels} value` with a numeric value.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().expect("value");
        assert!(value.parse::<f64>().is_ok(), "bad sample line {line:?}");
    }
}

/// Review finding 13: a text file sent as `application/pdf` was accepted and became an
/// "invoice". A specific claimed type must match the content (415 `type_mismatch`); a generic
/// one (`application/octet-stream`, none) defers to the content.
#[tokio::test]
async fn a_claimed_type_must_match_the_content() {
    let app = spawn_app().await;
    let user = app.create_user("claims@example.com", false).await;
    let text = b"Invoice 7\nSeller GmbH\nTotal 10.00 EUR\n".to_vec();
    let send = |mime: Option<&'static str>, name: &'static str| {
        let mut part = reqwest::multipart::Part::bytes(text.clone()).file_name(name);
        if let Some(m) = mime {
            part = part.mime_str(m).expect("mime");
        }
        app.req(
            reqwest::Method::POST,
            "/api/v1/invoices/upload",
            Some(&user),
        )
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
    };
    let resp = send(Some("application/pdf"), "fake.pdf")
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 415);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "type_mismatch", "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("text/plain"),
        "{body}"
    );
    for mime in [Some("text/plain"), Some("application/octet-stream"), None] {
        let resp = send(mime, "note.txt").await.expect("send");
        assert_eq!(resp.status().as_u16(), 202, "{mime:?}");
    }
}

/// Review findings 1 and 13: a PDF nested deeper than the structural limit is a typed
/// rejection at intake (before any parser sees it), and the API goes on serving.
#[tokio::test]
async fn a_deeply_nested_pdf_is_refused_at_intake() {
    let app = spawn_app().await;
    let user = app.create_user("deep@example.com", false).await;
    for (name, bytes) in [
        (
            "trailer.pdf",
            doxin_synth::hostile::deep_array_in_trailer(20_000),
        ),
        ("tree.pdf", doxin_synth::hostile::deep_page_tree(5_000)),
    ] {
        let resp = app
            .req(
                reqwest::Method::POST,
                "/api/v1/invoices/upload",
                Some(&user),
            )
            .multipart(reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            ))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status().as_u16(), 422, "{name}");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["code"], "document_too_complex", "{name}: {body}");
    }
    assert_eq!(app.get("/api/health").await.status().as_u16(), 200);
}

/// Issue 13, defect: a raw (non-multipart) upload got axum's "Invalid boundary for
/// `multipart/form-data` request". It now says what to send, on both routes that take files.
#[tokio::test]
async fn a_raw_upload_is_told_to_use_the_multipart_field_file() {
    let app = spawn_app().await;
    let user = app.create_user("raw@example.com", false).await;
    // The body is refused before the invoice is looked up, so any id shows it.
    let replace = format!("/api/v1/invoices/{}/file", uuid::Uuid::new_v4());
    for (method, path) in [
        (reqwest::Method::POST, "/api/v1/invoices/upload"),
        (reqwest::Method::PUT, replace.as_str()),
    ] {
        for content_type in ["application/pdf", "application/json", "multipart/form-data"] {
            let resp = app
                .req(method.clone(), path, Some(&user))
                .header("content-type", content_type)
                .body(pdf(1))
                .send()
                .await
                .expect("send");
            assert_eq!(resp.status().as_u16(), 400, "{path} {content_type}");
            let body: Value = resp.json().await.expect("json");
            assert_eq!(body["code"], "multipart_expected", "{path}: {body}");
            let detail = body["detail"].as_str().unwrap_or_default();
            assert!(
                detail.contains("multipart/form-data") && detail.contains("`file`"),
                "{detail}"
            );
            assert!(!detail.contains("boundary"), "{detail}");
        }
    }
}
