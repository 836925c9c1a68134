//! Issue 15, item 1: metrics counted where the work happens. The API serves the requests it
//! answered and what the database knows; a `doxin worker` on its own `--metrics-port` serves
//! the jobs, stages and extractions it did, so nothing is lost when it runs on another host.

use std::time::Duration;

use crate::harness::*;

const TOKEN: &str = "metrics-scrape-token-0123456789";

/// The scrape of `url`, with the metrics token when `token` is given: (status, body).
pub async fn scrape(url: &str, token: Option<&str>) -> (u16, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let mut req = http.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("scrape");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// The sum of every sample of `name` whose labels contain each of `labels` (`k="v"`).
pub fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (metric, label_text) = match series.split_once('{') {
            Some((m, rest)) => (m, rest),
            None => (series, ""),
        };
        if metric != name || !labels.iter().all(|l| label_text.contains(l)) {
            continue;
        }
        let v: f64 = value.parse().expect("a number");
        found = Some(found.unwrap_or(0.0) + v);
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn api_and_worker_each_serve_their_own_metrics() {
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
        ("METRICS_TOKEN", TOKEN),
    ]);
    let api = deployment.api("api", false);
    let worker_port = free_port();
    let _worker = deployment.worker_with_metrics("worker", 2, worker_port);
    let worker_url = format!("http://127.0.0.1:{worker_port}/metrics");
    let token = deployment.user_token();
    let http = crate::client(&token);
    let docs = documents(31_000, 3);
    let queued = upload(&http, &api.base(), &docs).await;
    let ids: Vec<_> = queued.iter().map(|q| q.job_id).collect();
    let done = deployment
        .wait_all(&http, &api.base(), &ids, Duration::from_secs(120))
        .await;
    assert_eq!(done.len(), 3);

    // The worker's own listener: the token is required even from loopback.
    let (status, _) = scrape(&worker_url, None).await;
    assert_eq!(status, 401, "a worker scrape without the token");
    let (status, w) = scrape(&worker_url, Some(TOKEN)).await;
    assert_eq!(status, 200, "{w}");
    let finished = sample(&w, "doxin_jobs_finished_total", &["status=\"succeeded\""]);
    assert_eq!(
        finished,
        Some(3.0),
        "counted by the worker that ran them:\n{w}"
    );
    for stage in ["store", "sniff", "extract", "validate", "save"] {
        let label = format!("stage=\"{stage}\"");
        assert_eq!(
            sample(&w, "doxin_job_stage_duration_seconds_count", &[&label]),
            Some(3.0),
            "stage {stage}:\n{w}"
        );
    }
    assert_eq!(sample(&w, "doxin_extractions_total", &[]), Some(3.0), "{w}");
    assert_eq!(
        sample(&w, "doxin_extraction_confidence_count", &[]),
        Some(3.0)
    );
    assert_eq!(
        sample(&w, "doxin_job_queue_wait_seconds_count", &[]),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &w,
            "doxin_job_duration_seconds_count",
            &["status=\"succeeded\""]
        ),
        Some(3.0)
    );
    assert_eq!(sample(&w, "doxin_worker_concurrency", &[]), Some(2.0));
    assert!(sample(&w, "doxin_process_resident_memory_bytes", &[]).unwrap_or(0.0) > 1e6);
    assert!(sample(&w, "doxin_db_pool_max_connections", &[]).unwrap_or(0.0) >= 1.0);
    assert_eq!(
        sample(&w, "doxin_http_requests_total", &[]),
        None,
        "a worker answers no API requests"
    );
    assert!(w.ends_with("# EOF\n"));

    // The API: its requests and the database's figures, and no job counters of its own.
    let (status, _) = scrape(&format!("{}/metrics", api.base()), None).await;
    assert_eq!(status, 401, "with METRICS_TOKEN set, loopback needs it too");
    let (status, a) = scrape(&format!("{}/metrics", api.base()), Some(TOKEN)).await;
    assert_eq!(status, 200, "{a}");
    let uploads = sample(
        &a,
        "doxin_http_requests_total",
        &["route=\"/api/v1/invoices/upload\"", "status=\"202\""],
    );
    assert!(uploads.unwrap_or(0.0) >= 1.0, "{a}");
    assert!(
        sample(
            &a,
            "doxin_http_request_duration_seconds_count",
            &["route=\"/api/v1/invoices/upload\""]
        )
        .unwrap_or(0.0)
            >= 1.0
    );
    assert_eq!(
        sample(&a, "doxin_jobs", &["status=\"succeeded\""]),
        Some(3.0)
    );
    assert_eq!(sample(&a, "doxin_queue_depth", &[]), Some(0.0));
    assert_eq!(sample(&a, "doxin_queue_in_flight", &[]), Some(0.0));
    assert_eq!(sample(&a, "doxin_queue_dead_letters", &[]), Some(0.0));
    assert_eq!(sample(&a, "doxin_jobs_by_stage", &[]), Some(0.0));
    assert_eq!(sample(&a, "doxin_workers_live", &[]), Some(1.0));
    assert_eq!(sample(&a, "doxin_jobs_finished_total", &[]), None, "{a}");
    assert!(
        sample(&a, "doxin_db_pool_connections", &["state=\"idle\""]).is_some(),
        "{a}"
    );
}
