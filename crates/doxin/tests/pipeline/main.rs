//! The pipeline as an operator runs it: real `doxin serve` and `doxin worker` processes on
//! SQLite, or on PostgreSQL 18 and Redis, uploads through both intake APIs, WebSocket
//! followers, and the failures DESIGN.md promises to survive (a worker killed with -9, Redis
//! flushed, PostgreSQL restarted).

mod harness;
mod hostile;
mod metrics;
mod monitor;
mod reports;
mod tls;

use std::time::Duration;

use harness::*;
use serde_json::Value;
use uuid::Uuid;

/// An HTTP client that sends `token` on every request.
fn client(token: &str) -> reqwest::Client {
    // reqwest is built without a TLS provider of its own (the workspace Cargo.toml).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

fn assert_all_succeeded(done: &std::collections::HashMap<Uuid, Value>) {
    for (id, v) in done {
        assert_eq!(v["status"], "succeeded", "job {id}: {v}");
    }
}

/// Two APIs and two workers on one PostgreSQL and one Redis: 200 documents through both
/// intake APIs (multipart on API 1, URLs on API 2) all finish; a WebSocket on API 1 sees the
/// completion of every job uploaded through API 2; each document yields one invoice; the same
/// file uploaded again is flagged as a duplicate of the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_two_apis_two_workers_200_documents() {
    let (Some(admin), Some(redis)) = (
        service("DOXIN_TEST_DATABASE_URL"),
        service("DOXIN_TEST_REDIS_URL"),
    ) else {
        return;
    };
    let db = PgDatabase::create(&admin).await;
    let prefix = RedisPrefix::new(&redis);
    let docs = documents(10_000, 200);
    let (first, second) = docs.split_at(100);
    let files = file_server(second).await;
    let deployment = Deployment::new(&[
        ("DATABASE_URL", &db.url),
        ("REDIS_URL", &redis),
        ("REDIS_KEY_PREFIX", &prefix.prefix),
        ("URL_FETCH_ALLOWLIST", "127.0.0.1/32"),
        ("JOB_VISIBILITY_TIMEOUT", "10"),
    ]);
    let api1 = deployment.api("api1", false);
    let api2 = deployment.api("api2", false);
    assert_eq!(deployment.run(&["worker", "--ping"]), 1, "no worker yet");
    let _w1 = deployment.worker("worker1", 2);
    let _w2 = deployment.worker("worker2", 2);
    assert_eq!(
        deployment.run(&["worker", "--ping"]),
        0,
        "a live worker answers the ping"
    );
    let token = deployment.user_token();
    let http = client(&token);
    let watcher = EventWatcher::connect(&api1.base(), &token).await;

    let mut via_api1 = Vec::new();
    for chunk in first.chunks(10) {
        via_api1.extend(upload(&http, &api1.base(), chunk).await);
    }
    let mut via_api2 = Vec::new();
    for chunk in second.chunks(20) {
        let names: Vec<String> = chunk.iter().map(|(n, _)| n.clone()).collect();
        via_api2.extend(process_batch(&http, &api2.base(), &files, &names).await);
    }
    watcher.subscribe(&via_api2);

    let all: Vec<Uuid> = via_api1.iter().chain(&via_api2).map(|q| q.job_id).collect();
    let done = deployment
        .wait_all(&http, &api1.base(), &all, Duration::from_secs(300))
        .await;
    assert_all_succeeded(&done);
    let api2_ids: Vec<Uuid> = via_api2.iter().map(|q| q.job_id).collect();
    let missing = watcher.wait_for(&api2_ids, Duration::from_secs(30)).await;
    assert!(
        missing.is_empty(),
        "the WebSocket on API 1 missed {} completions of jobs uploaded through API 2",
        missing.len()
    );
    let (by_status, invoices, distinct) = pg_counts(&db.url).await;
    assert_eq!(
        (invoices, distinct),
        (200, 200),
        "one invoice per document: {by_status:?}"
    );
    assert_eq!(by_status.get("succeeded"), Some(&200), "{by_status:?}");

    // The same bytes again, through the other API: a duplicate linked to the first invoice.
    let again = upload(&http, &api2.base(), &first[..1]).await;
    let done_again = wait_terminal(
        &http,
        &api2.base(),
        &[again[0].job_id],
        Duration::from_secs(60),
    )
    .await
    .expect("duplicate job finishes");
    let v = &done_again[&again[0].job_id];
    let original = &done[&via_api1[0].job_id];
    assert_eq!(v["result"]["outcome"], "duplicate", "{v}");
    assert_eq!(v["result"]["duplicate_of"], original["invoice_id"], "{v}");
    let (_, invoices, _) = pg_counts(&db.url).await;
    assert_eq!(invoices, 200, "a duplicate never becomes a second invoice");
}

/// A worker killed with -9 in the middle of a job: the other worker takes the job over after
/// the visibility timeout; every document yields exactly one invoice; nothing stays running.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_worker_jobs_are_taken_over() {
    let (Some(admin), Some(redis)) = (
        service("DOXIN_TEST_DATABASE_URL"),
        service("DOXIN_TEST_REDIS_URL"),
    ) else {
        return;
    };
    let db = PgDatabase::create(&admin).await;
    let prefix = RedisPrefix::new(&redis);
    let deployment = Deployment::new(&[
        ("DATABASE_URL", &db.url),
        ("REDIS_URL", &redis),
        ("REDIS_KEY_PREFIX", &prefix.prefix),
        ("JOB_VISIBILITY_TIMEOUT", "3"),
        ("JOB_RECONCILE_INTERVAL", "1"),
    ]);
    let api = deployment.api("api", false);
    let mut victim = deployment.worker("victim", 1);
    let token = deployment.user_token();
    let http = client(&token);
    let docs = slow_documents(20_000, 8);
    let queued = upload(&http, &api.base(), &docs).await;
    // Kill the victim the moment it holds a job (the survivor starts later, so it cannot
    // have taken them all).
    let started = std::time::Instant::now();
    let interrupted = loop {
        let running = running_jobs_of(&db.url, victim.pid()).await;
        if let Some(id) = running.first() {
            victim.kill9();
            break *id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the victim never ran a job\n{}",
            deployment.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let _survivor = deployment.worker("survivor", 2);
    let ids: Vec<Uuid> = queued.iter().map(|q| q.job_id).collect();
    let done = deployment
        .wait_all(&http, &api.base(), &ids, Duration::from_secs(240))
        .await;
    assert_all_succeeded(&done);
    assert!(
        job_attempts(&db.url, interrupted).await >= 2,
        "the interrupted job was run again by the survivor"
    );
    let (by_status, invoices, distinct) = pg_counts(&db.url).await;
    assert_eq!(
        (invoices, distinct),
        (8, 8),
        "exactly one invoice per document: {by_status:?}"
    );
    assert_eq!(
        by_status.get("running"),
        None,
        "no job left running: {by_status:?}"
    );
}

/// `FLUSHALL` while jobs are queued: the reconciler sends them again from the database and
/// every one finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_flushall_loses_no_job() {
    let Some(admin) = service("DOXIN_TEST_DATABASE_URL") else {
        return;
    };
    let Some(redis) = OwnRedis::start() else {
        return;
    };
    let db = PgDatabase::create(&admin).await;
    let deployment = Deployment::new(&[
        ("DATABASE_URL", &db.url),
        ("REDIS_URL", &redis.url()),
        ("JOB_RECONCILE_INTERVAL", "1"),
        ("JOB_VISIBILITY_TIMEOUT", "5"),
    ]);
    let api = deployment.api("api", false);
    let _worker = deployment.worker("worker", 1);
    let token = deployment.user_token();
    let http = client(&token);
    let docs = slow_documents(30_000, 12);
    let queued = upload(&http, &api.base(), &docs).await;
    assert_eq!(redis.cli(&["FLUSHALL"]), "OK");
    assert_eq!(redis.cli(&["DBSIZE"]), "0", "Redis lost everything");
    let ids: Vec<Uuid> = queued.iter().map(|q| q.job_id).collect();
    let done = deployment
        .wait_all(&http, &api.base(), &ids, Duration::from_secs(240))
        .await;
    assert_all_succeeded(&done);
    let (by_status, invoices, _) = pg_counts(&db.url).await;
    assert_eq!(invoices, 12, "{by_status:?}");
    let resent = std::fs::read_to_string(deployment.path().join("worker.log")).unwrap_or_default();
    assert!(
        resent.contains("reconciler re-enqueued jobs"),
        "the reconciler did the work"
    );
}

/// PostgreSQL stopped and started again while documents are processed: health answers 503
/// while it is down, DoxIn recovers without a restart, and no job is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restart_loses_no_job() {
    let Some(redis) = service("DOXIN_TEST_REDIS_URL") else {
        return;
    };
    let Some(pg) = OwnPostgres::start() else {
        return;
    };
    let prefix = RedisPrefix::new(&redis);
    let deployment = Deployment::new(&[
        ("DATABASE_URL", &pg.url()),
        ("REDIS_URL", &redis),
        ("REDIS_KEY_PREFIX", &prefix.prefix),
        ("JOB_VISIBILITY_TIMEOUT", "3"),
        ("JOB_RECONCILE_INTERVAL", "1"),
    ]);
    let api = deployment.api("api", false);
    let _worker = deployment.worker("worker", 2);
    let token = deployment.user_token();
    let http = client(&token);
    let docs = slow_documents(40_000, 16);
    let queued = upload(&http, &api.base(), &docs).await;
    let ids: Vec<Uuid> = queued.iter().map(|q| q.job_id).collect();
    // Let processing get going, then pull the database away.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pg.ctl_stop();
    let started = std::time::Instant::now();
    let mut saw_503 = false;
    while started.elapsed() < Duration::from_secs(15) {
        if health_status(&http, &api.base()).await == 503 {
            saw_503 = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(saw_503, "health must answer 503 while PostgreSQL is down");
    tokio::time::sleep(Duration::from_secs(3)).await;
    pg.ctl_start();
    let done = deployment
        .wait_all(&http, &api.base(), &ids, Duration::from_secs(240))
        .await;
    assert_all_succeeded(&done);
    assert_eq!(health_status(&http, &api.base()).await, 200);
    let (by_status, invoices, distinct) = pg_counts(&pg.url()).await;
    assert_eq!((invoices, distinct), (16, 16), "{by_status:?}");
}

/// The embedded default: SQLite, no Redis, the worker inside `doxin serve`. Uploads and URL
/// intake finish, the WebSocket follows them, a repeated file is a duplicate, and SIGTERM
/// stops the server cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_default_single_node() {
    let docs = documents(50_000, 24);
    let (by_upload, by_url) = docs.split_at(16);
    let files = file_server(by_url).await;
    let deployment = Deployment::new(&[("URL_FETCH_ALLOWLIST", "127.0.0.1/32")]);
    let mut api = deployment.api("api", true);
    let token = deployment.user_token();
    let http = client(&token);
    let watcher = EventWatcher::connect(&api.base(), &token).await;
    let mut queued = Vec::new();
    for chunk in by_upload.chunks(4) {
        queued.extend(upload(&http, &api.base(), chunk).await);
    }
    let names: Vec<String> = by_url.iter().map(|(n, _)| n.clone()).collect();
    queued.extend(process_batch(&http, &api.base(), &files, &names[..4]).await);
    for name in &names[4..] {
        let resp = http
            .post(format!("{}/api/v1/invoices/process", api.base()))
            .json(&serde_json::json!({"url": format!("{files}/{name}"), "filename": name}))
            .send()
            .await
            .expect("process");
        assert_eq!(resp.status().as_u16(), 202);
        let body: Value = resp.json().await.expect("json");
        queued.push(Queued {
            job_id: body["job_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("job id"),
            token: body["job_token"].as_str().expect("token").to_string(),
        });
    }
    watcher.subscribe(&queued);
    let ids: Vec<Uuid> = queued.iter().map(|q| q.job_id).collect();
    let done = deployment
        .wait_all(&http, &api.base(), &ids, Duration::from_secs(240))
        .await;
    assert_all_succeeded(&done);
    // Fast jobs publish their stages without writing each to the row; the row still ends
    // with the last stage the job went through.
    for (id, v) in &done {
        assert!(
            matches!(v["stage"].as_str(), Some("save" | "dedupe")),
            "job {id}: {v}"
        );
        assert_eq!(v["progress"], 100, "job {id}: {v}");
    }
    assert!(
        watcher
            .wait_for(&ids, Duration::from_secs(20))
            .await
            .is_empty(),
        "every completion reached the WebSocket"
    );
    let invoice_ids: std::collections::HashSet<&str> = done
        .values()
        .filter_map(|v| v["invoice_id"].as_str())
        .collect();
    assert_eq!(invoice_ids.len(), 24, "one invoice per document");

    let again = upload(&http, &api.base(), &by_upload[..1]).await;
    let v = &wait_terminal(
        &http,
        &api.base(),
        &[again[0].job_id],
        Duration::from_secs(60),
    )
    .await
    .expect("duplicate finishes")[&again[0].job_id];
    assert_eq!(v["result"]["outcome"], "duplicate", "{v}");
    assert_eq!(
        v["result"]["duplicate_of"],
        done[&queued[0].job_id]["invoice_id"]
    );

    // The same invoice under another number (here as UBL): saved for review, linked as similar.
    let truth = doxin_synth::generate(77, &doxin_synth::Spec::default()).truth;
    let mut renumbered = truth.clone();
    renumbered.invoice_number = Some(doxin_model::Extracted::human("RE-RENUMBERED-1".to_string()));
    let pair = [
        (
            "original.xml".to_string(),
            doxin_reports::to_ubl(&truth).expect("ubl").into_bytes(),
        ),
        (
            "renumbered.xml".to_string(),
            doxin_reports::to_ubl(&renumbered)
                .expect("ubl")
                .into_bytes(),
        ),
    ];
    let first = upload(&http, &api.base(), &pair[..1]).await;
    wait_terminal(
        &http,
        &api.base(),
        &[first[0].job_id],
        Duration::from_secs(60),
    )
    .await
    .expect("original");
    let second = upload(&http, &api.base(), &pair[1..]).await;
    let done_pair = wait_terminal(
        &http,
        &api.base(),
        &[first[0].job_id, second[0].job_id],
        Duration::from_secs(60),
    )
    .await
    .expect("pair finishes");
    let (a, b) = (&done_pair[&first[0].job_id], &done_pair[&second[0].job_id]);
    assert_eq!(b["result"]["outcome"], "needs_review", "{b}");
    assert_eq!(b["result"]["duplicate_reason"], "similar", "{b}");
    assert_eq!(b["result"]["duplicate_of"], a["invoice_id"], "{b}");
    assert_ne!(b["invoice_id"], a["invoice_id"], "flagged, not dropped");

    // The worker matched the seller to a company and stored an embedding: semantic search
    // (which never embeds invoices on demand) finds both, and each is the other's nearest.
    let get = |path: String| {
        let http = &http;
        let base = api.base();
        async move {
            let resp = http
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("request");
            assert_eq!(resp.status().as_u16(), 200, "{path}");
            resp.json::<Value>().await.expect("json")
        }
    };
    let a_id = a["invoice_id"].as_str().expect("invoice id");
    let detail = get(format!("/api/v1/invoices/{a_id}")).await;
    assert!(detail["vendor_id"].is_string(), "{}", detail["vendor_id"]);
    let seller = truth.seller.name.as_ref().expect("seller").value.clone();
    let found = get(format!(
        "/api/v1/invoices/semantic-search?limit=50&q={}",
        seller.replace(' ', "%20").replace('&', "%26")
    ))
    .await;
    let found_ids: Vec<&str> = found["items"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    assert!(found_ids.contains(&a_id), "{found}");
    let similar = get(format!("/api/v1/invoices/{a_id}/similar?limit=1")).await;
    assert_eq!(similar["items"][0]["id"], b["invoice_id"], "{similar}");
    let listed = get("/api/v1/invoices?per_page=50".to_string()).await;
    assert_eq!(
        listed["pagination"]["total"], 26,
        "{}",
        listed["pagination"]
    );

    let listing: Value = http
        .get(format!("{}/api/v1/jobs/my-jobs?per_page=100", api.base()))
        .send()
        .await
        .expect("my-jobs")
        .json()
        .await
        .expect("json");
    assert_eq!(
        listing["statistics"]["succeeded"], 27,
        "{}",
        listing["statistics"]
    );

    api.term();
    assert!(api.wait_exit(Duration::from_secs(10)).success());
}

/// SIGTERM to a worker in the middle of jobs: it takes no new job, finishes or gives back what
/// it holds, and exits 0; nothing stays running and another worker finishes the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_worker_finishes_or_releases_its_jobs() {
    let (Some(admin), Some(redis)) = (
        service("DOXIN_TEST_DATABASE_URL"),
        service("DOXIN_TEST_REDIS_URL"),
    ) else {
        return;
    };
    let db = PgDatabase::create(&admin).await;
    let prefix = RedisPrefix::new(&redis);
    let deployment = Deployment::new(&[
        ("DATABASE_URL", &db.url),
        ("REDIS_URL", &redis),
        ("REDIS_KEY_PREFIX", &prefix.prefix),
        ("JOB_VISIBILITY_TIMEOUT", "30"),
    ]);
    let api = deployment.api("api", false);
    let mut first = deployment.worker("first", 2);
    let token = deployment.user_token();
    let http = client(&token);
    let queued = upload(&http, &api.base(), &slow_documents(60_000, 10)).await;
    let started = std::time::Instant::now();
    while running_jobs_of(&db.url, first.pid()).await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no job started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.term();
    let status = first.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "a stopped worker exits 0: {status:?}");
    let (by_status, _, _) = pg_counts(&db.url).await;
    assert_eq!(
        by_status.get("running"),
        None,
        "nothing left running: {by_status:?}"
    );
    // With a 30 s visibility timeout, finishing in time proves the jobs were given back.
    let _second = deployment.worker("second", 2);
    let ids: Vec<Uuid> = queued.iter().map(|q| q.job_id).collect();
    let done = deployment
        .wait_all(&http, &api.base(), &ids, Duration::from_secs(25))
        .await;
    assert_all_succeeded(&done);
    let (_, invoices, distinct) = pg_counts(&db.url).await;
    assert_eq!((invoices, distinct), (10, 10));
}

/// A worker configured with a language model (hybrid, against a local OpenAI-format server):
/// the job passes the `llm` stage and its result carries the model's tokens and cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hybrid_worker_records_llm_usage_per_job() {
    use doxin_llm::fake::{FakeServer, answer_for, openai_chat};
    let server = FakeServer::start().await.expect("fake OpenAI server");
    let synthetic = doxin_synth::generate(71, &doxin_synth::Spec::default());
    server.push(openai_chat(
        &answer_for(&synthetic.truth).to_string(),
        "stop",
    ));
    let base_url = format!("{}/v1", server.url());
    let deployment = Deployment::new(&[
        ("EXTRACTION_MODE", "hybrid"),
        ("LLM_ALWAYS", "true"),
        ("OPENAI_API_KEY", "sk-test-worker"),
        ("OPENAI_BASE_URL", &base_url),
    ]);
    let api = deployment.api("api", true);
    let token = deployment.user_token();
    let http = client(&token);
    let queued = upload(
        &http,
        &api.base(),
        &[("hybrid.pdf".to_string(), synthetic.pdf)],
    )
    .await;
    let done = deployment
        .wait_all(
            &http,
            &api.base(),
            &[queued[0].job_id],
            Duration::from_secs(120),
        )
        .await;
    let v = &done[&queued[0].job_id];
    assert_eq!(v["status"], "succeeded", "{v}");
    assert_eq!(v["result"]["llm"]["asked"], true, "{v}");
    assert_eq!(v["result"]["llm"]["provider"], "openai");
    assert!(
        v["result"]["llm"]["usage"]["input_tokens"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "{v}"
    );
    assert!(
        v["result"]["llm"]["cost_usd"].as_f64().unwrap_or(0.0) > 0.0,
        "{v}"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "one model call for one document");
    assert_eq!(reqs[0].headers["authorization"], "Bearer sk-test-worker");

    // The in-process worker's model request on the API's /metrics (loopback, no token set).
    let (status, m) = metrics::scrape(&format!("{}/metrics", api.base()), None).await;
    assert_eq!(status, 200, "{m}");
    let openai = "provider=\"openai\"";
    assert_eq!(
        metrics::sample(&m, "doxin_llm_requests_total", &[openai, "result=\"ok\""]),
        Some(1.0),
        "{m}"
    );
    assert!(
        metrics::sample(
            &m,
            "doxin_llm_tokens_total",
            &[openai, "direction=\"input\""]
        )
        .unwrap_or(0.0)
            > 0.0,
        "{m}"
    );
    assert!(metrics::sample(&m, "doxin_llm_cost_usd_total", &[openai]).unwrap_or(0.0) > 0.0);
    assert_eq!(
        metrics::sample(&m, "doxin_llm_request_duration_seconds_count", &[openai]),
        Some(1.0)
    );
    assert_eq!(
        metrics::sample(&m, "doxin_extractions_total", &["llm=\"true\""]),
        Some(1.0),
        "{m}"
    );
}

/// Issue 13, item 4: reading an invoice's document again updates that invoice in place,
/// keeping what a person corrected unless asked not to; an invoice entered by hand has no
/// document to read.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reprocess_keeps_corrections_unless_asked() {
    let docs = documents(61_000, 1);
    let deployment = Deployment::new(&[]);
    let api = deployment.api("api", true);
    let token = deployment.user_token();
    let http = client(&token);
    let base = api.base();
    let queued = upload(&http, &base, &docs).await;
    let ids: Vec<Uuid> = queued.iter().map(|q| q.job_id).collect();
    let done = deployment
        .wait_all(&http, &base, &ids, Duration::from_secs(120))
        .await;
    assert_all_succeeded(&done);
    let invoice_id = done[&ids[0]]["invoice_id"]
        .as_str()
        .expect("invoice id")
        .to_string();
    let get = |path: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            http.get(format!("{base}{path}"))
                .send()
                .await
                .expect("get")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let detail = format!("/api/v1/invoices/{invoice_id}");
    let original = get(detail.clone()).await;
    let read_name = original["invoice"]["seller"]["name"]["value"].clone();
    assert!(read_name.is_string(), "{original}");
    let resp = http
        .patch(format!("{base}{detail}"))
        .json(&serde_json::json!({"seller": {"name": "Corrected Name GmbH"}}))
        .send()
        .await
        .expect("patch");
    assert_eq!(resp.status().as_u16(), 200);

    let again = |body: Value| {
        let http = http.clone();
        let base = base.clone();
        let invoice_id = invoice_id.clone();
        async move {
            let resp = http
                .post(format!("{base}/api/v1/invoices/{invoice_id}/reprocess"))
                .json(&body)
                .send()
                .await
                .expect("reprocess");
            assert_eq!(resp.status().as_u16(), 202);
            let body: Value = resp.json().await.expect("json");
            body["job_id"]
                .as_str()
                .and_then(|s| s.parse::<Uuid>().ok())
                .expect("job id")
        }
    };
    let job = again(serde_json::json!({})).await;
    let done = deployment
        .wait_all(&http, &base, &[job], Duration::from_secs(120))
        .await;
    assert_all_succeeded(&done);
    assert_eq!(done[&job]["invoice_id"], Value::String(invoice_id.clone()));
    let kept = get(detail.clone()).await;
    let name = &kept["invoice"]["seller"]["name"];
    assert_eq!(
        (name["value"].as_str(), name["source"].as_str()),
        (Some("Corrected Name GmbH"), Some("human")),
        "{kept}"
    );
    assert_eq!(
        kept["invoice"]["invoice_number"], original["invoice"]["invoice_number"],
        "the rest is the new reading"
    );

    let job = again(serde_json::json!({"keep_corrections": false})).await;
    let done = deployment
        .wait_all(&http, &base, &[job], Duration::from_secs(120))
        .await;
    assert_all_succeeded(&done);
    let fresh = get(detail.clone()).await;
    assert_eq!(
        fresh["invoice"]["seller"]["name"]["value"], read_name,
        "{fresh}"
    );
    assert_ne!(fresh["invoice"]["seller"]["name"]["source"], "human");
    let history = get(format!("{detail}/history")).await;
    let reads: Vec<&Value> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|s| s["action"] == "invoice.reprocess")
        .collect();
    assert_eq!(reads.len(), 2, "{history}");
    let listed = get("/api/v1/invoices".to_string()).await;
    assert_eq!(
        listed["pagination"]["total"], 1,
        "updated in place, no second invoice"
    );

    // Entered by hand: nothing to read again.
    let resp = http
        .post(format!("{base}/api/v1/invoices"))
        .json(&serde_json::json!({"invoice_number": "H-1", "seller": {"name": "Hand GmbH"}}))
        .send()
        .await
        .expect("create");
    let created: Value = resp.json().await.expect("json");
    let resp = http
        .post(format!(
            "{base}/api/v1/invoices/{}/reprocess",
            created["id"].as_str().expect("id")
        ))
        .send()
        .await
        .expect("reprocess");
    assert_eq!(resp.status().as_u16(), 409);
    let problem: Value = resp.json().await.expect("json");
    assert_eq!(problem["code"], "no_document");
}

/// The pipeline approves by the rules of the uploader's workspace: the same document is
/// approved where the rules allow it (auto-approval for any vendor; or, without auto-approval
/// rules, the deployment's threshold), and waits for review where they do not (a known vendor
/// is required and this one is new; or every invoice needs two approvers).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workspace_rules_decide_auto_approval() {
    let docs = documents(62_000, 1);
    let deployment = Deployment::new(&[]);
    let api = deployment.api("api", true);
    let base = api.base();
    let rules = [
        Some(
            serde_json::json!({"auto_approve": {"min_confidence": 0, "known_vendor_only": false}}),
        ),
        Some(serde_json::json!({"auto_approve": {"min_confidence": 0}})),
        Some(serde_json::json!({"second_approval_above": "0"})),
        None,
    ];
    let mut statuses = Vec::new();
    for (i, rules) in rules.iter().enumerate() {
        let http = client(&deployment.user_token_for(&format!("rules{i}@example.com")));
        let listed: Value = http
            .get(format!("{base}/api/v1/workspaces"))
            .send()
            .await
            .expect("workspaces")
            .json()
            .await
            .expect("json");
        let workspace = listed["items"][0]["workspace_id"]
            .as_str()
            .expect("own workspace");
        if let Some(rules) = rules {
            let resp = http
                .patch(format!("{base}/api/v1/workspaces/{workspace}"))
                .json(&serde_json::json!({ "approval_rules": rules }))
                .send()
                .await
                .expect("set rules");
            assert_eq!(resp.status().as_u16(), 200, "{:?}", resp.text().await);
        }
        let (name, bytes) = &docs[0];
        let form = reqwest::multipart::Form::new()
            .text("confidence_threshold", "0")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()),
            );
        let resp = http
            .post(format!("{base}/api/v1/invoices/upload"))
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(resp.status().as_u16(), 202);
        let job = queued_from(&resp.json::<Value>().await.expect("json"))[0].job_id;
        let done = deployment
            .wait_all(&http, &base, &[job], Duration::from_secs(120))
            .await;
        assert_all_succeeded(&done);
        let invoice = done[&job]["invoice_id"]
            .as_str()
            .expect("invoice")
            .to_string();
        let detail: Value = http
            .get(format!("{base}/api/v1/invoices/{invoice}"))
            .send()
            .await
            .expect("detail")
            .json()
            .await
            .expect("json");
        assert_eq!(detail["findings"], serde_json::json!([]), "{detail}");
        statuses.push(detail["status"].as_str().expect("status").to_string());
    }
    assert_eq!(
        statuses,
        ["approved", "needs_review", "needs_review", "approved"],
        "auto-approval by each workspace's rules"
    );
}
