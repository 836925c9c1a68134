//! The pipeline as an operator runs it: real `doxin serve` and `doxin worker` processes on
//! SQLite, or on PostgreSQL 18 and Redis, uploads through both intake APIs, WebSocket
//! followers, and the failures DESIGN.md promises to survive (a worker killed with -9, Redis
//! flushed, PostgreSQL restarted).

mod harness;

use std::time::Duration;

use harness::*;
use serde_json::Value;
use uuid::Uuid;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
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
    let prefix = format!("doxin-test-{}", Uuid::new_v4().simple());
    let docs = documents(10_000, 200);
    let (first, second) = docs.split_at(100);
    let files = file_server(second).await;
    let deployment = Deployment::new(&[
        ("DATABASE_URL", &db.url),
        ("REDIS_URL", &redis),
        ("REDIS_KEY_PREFIX", &prefix),
        ("URL_FETCH_ALLOWLIST", "127.0.0.1/32"),
        ("JOB_VISIBILITY_TIMEOUT", "10"),
    ]);
    let api1 = deployment.api("api1", false);
    let api2 = deployment.api("api2", false);
    let _w1 = deployment.worker("worker1", 2);
    let _w2 = deployment.worker("worker2", 2);
    let http = client();
    let watcher = EventWatcher::connect(&api1.base()).await;

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
    let done = match wait_terminal(&http, &api1.base(), &all, Duration::from_secs(300)).await {
        Ok(d) => d,
        Err(e) => panic!("{e}\n{}", deployment.logs()),
    };
    assert_all_succeeded(&done);
    let api2_ids: Vec<Uuid> = via_api2.iter().map(|q| q.job_id).collect();
    let missing = watcher.wait_for(&api2_ids, Duration::from_secs(30)).await;
    assert!(
        missing.is_empty(),
        "the WebSocket on API 1 missed {} completions of jobs uploaded through API 2",
        missing.len()
    );
    let (by_status, invoices, distinct) = pg_counts(&db.url).await;
    assert_eq!((invoices, distinct), (200, 200), "one invoice per document: {by_status:?}");
    assert_eq!(by_status.get("succeeded"), Some(&200), "{by_status:?}");

    // The same bytes again, through the other API: a duplicate linked to the first invoice.
    let again = upload(&http, &api2.base(), &first[..1]).await;
    let done_again = wait_terminal(&http, &api2.base(), &[again[0].job_id], Duration::from_secs(60))
        .await
        .expect("duplicate job finishes");
    let v = &done_again[&again[0].job_id];
    let original = &done[&via_api1[0].job_id];
    assert_eq!(v["result"]["outcome"], "duplicate", "{v}");
    assert_eq!(v["result"]["duplicate_of"], original["invoice_id"], "{v}");
    let (_, invoices, _) = pg_counts(&db.url).await;
    assert_eq!(invoices, 200, "a duplicate never becomes a second invoice");
}
