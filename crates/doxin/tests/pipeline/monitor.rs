//! `doxin monitor` beside a real `doxin serve --no-worker` and `doxin worker` on PostgreSQL
//! and Redis: administrators see the worker (live, its concurrency), the queues, throughput
//! and recent jobs with stage durations; other users get 403 and anonymous callers 401; a
//! failed job is retried and runs again; dead letters are requeued; a queued job is cancelled;
//! the page, the health route and `/metrics` answer.

use std::time::{Duration, Instant};

use serde_json::Value;
use uuid::Uuid;

use crate::client;
use crate::harness::*;

/// XML that intake accepts (it only sniffs `<`) and the worker cannot parse: a job that fails
/// for good at its first attempt.
fn broken_xml(n: u32) -> (String, Vec<u8>) {
    (
        format!("broken-{n}.xml"),
        format!("<?xml version=\"1.0\"?><Invoice n=\"{n}\"><unclosed>").into_bytes(),
    )
}

async fn get(http: &reqwest::Client, url: &str) -> (u16, Value) {
    let resp = http.get(url).send().await.expect("monitor answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn post(http: &reqwest::Client, url: &str) -> (u16, Value) {
    let resp = http.post(url).send().await.expect("monitor answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Polls the monitor until `pred` holds for the answer of `path`.
async fn until(
    http: &reqwest::Client,
    url: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
    deployment: &Deployment,
) -> Value {
    let started = Instant::now();
    loop {
        let (status, v) = get(http, url).await;
        if status == 200 && pred(&v) {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{what}: last answer {status} {v}\n{}",
            deployment.logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn recent_of(recent: &Value, id: Uuid) -> &Value {
    recent["jobs"]
        .as_array()
        .and_then(|jobs| jobs.iter().find(|j| j["id"] == id.to_string()))
        .unwrap_or_else(|| panic!("job {id} not in the recent jobs: {recent}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn monitor_shows_workers_queues_and_acts_on_jobs() {
    let (Some(admin_url), Some(redis)) = (
        service("DOXIN_TEST_DATABASE_URL"),
        service("DOXIN_TEST_REDIS_URL"),
    ) else {
        return;
    };
    let db = PgDatabase::create(&admin_url).await;
    let prefix = RedisPrefix::new(&redis);
    let deployment = Deployment::new(&[
        ("DATABASE_URL", &db.url),
        ("REDIS_URL", &redis),
        ("REDIS_KEY_PREFIX", &prefix.prefix),
        ("MAX_ATTEMPTS", "1"),
    ]);
    let api = deployment.api("api", false);
    let monitor = deployment.monitor("monitor");
    let mon = format!("{}/api/v1/monitor", monitor.base());
    let admin = client(&deployment.admin_token_for("ops@example.com"));
    let user = client(&deployment.user_token());
    let anonymous = reqwest::Client::new();

    // Who may look: administrators only.
    assert_eq!(get(&anonymous, &format!("{mon}/workers")).await.0, 401);
    assert_eq!(get(&user, &format!("{mon}/workers")).await.0, 403);
    assert_eq!(get(&user, &format!("{mon}/queues")).await.0, 403);
    let nobody = Uuid::new_v4();
    assert_eq!(
        post(&user, &format!("{mon}/jobs/{nobody}/retry")).await.0,
        403
    );
    assert_eq!(
        post(&anonymous, &format!("{mon}/dead-letters/requeue"))
            .await
            .0,
        401
    );
    assert_eq!(
        post(&admin, &format!("{mon}/jobs/{nobody}/retry")).await.0,
        404
    );

    let mut worker = deployment.worker("worker", 2);
    let workers = until(
        &admin,
        &format!("{mon}/workers"),
        "a live worker",
        |v| v["live"] == 1,
        &deployment,
    )
    .await;
    let w = &workers["workers"][0];
    assert_eq!(w["live"], true, "{workers}");
    assert_eq!(w["concurrency"], 2, "{workers}");
    assert_eq!(w["queue"], "redis", "{workers}");
    assert!(w["host"].as_str().is_some_and(|h| !h.is_empty()), "{w}");
    assert!(w["pid"].as_i64().is_some_and(|p| p > 0), "{w}");
    assert!(
        w["started_at"].is_string() && w["uptime_seconds"].is_i64(),
        "{w}"
    );
    assert_eq!(workers["slots"], 2, "{workers}");

    // Two good documents and two that fail for good (MAX_ATTEMPTS=1: dead letters).
    let mut docs = documents(90_000, 2);
    docs.push(broken_xml(1));
    docs.push(broken_xml(2));
    let queued = upload(&user, &api.base(), &docs).await;
    let ids: Vec<Uuid> = queued.iter().map(|q| q.job_id).collect();
    let done = deployment
        .wait_all(&user, &api.base(), &ids, Duration::from_secs(120))
        .await;
    assert_eq!(done[&ids[0]]["status"], "succeeded", "{:?}", done[&ids[0]]);
    assert_eq!(done[&ids[1]]["status"], "succeeded", "{:?}", done[&ids[1]]);
    assert_eq!(done[&ids[2]]["status"], "failed", "{:?}", done[&ids[2]]);
    assert_eq!(done[&ids[3]]["status"], "failed", "{:?}", done[&ids[3]]);

    let (status, queues) = get(&admin, &format!("{mon}/queues")).await;
    assert_eq!(status, 200, "{queues}");
    assert_eq!(queues["queue"], "redis");
    assert_eq!(queues["depth"], 0, "{queues}");
    assert_eq!(queues["in_flight"], 0, "{queues}");
    assert_eq!(queues["dead_letters"], 2, "{queues}");
    assert_eq!(queues["by_status"]["succeeded"], 2, "{queues}");
    assert_eq!(queues["by_status"]["failed"], 2, "{queues}");
    // The broker's own figures; nothing dead-lettered in Redis (a document failure is not
    // retried, so it never reaches the dead-letter stream).
    assert!(queues["broker"]["pending"].is_u64(), "{queues}");
    assert_eq!(queues["broker"]["dead_letter_length"], 0, "{queues}");
    assert!(queues["broker"]["stream_length"].is_u64(), "{queues}");

    let (status, tp) = get(&admin, &format!("{mon}/throughput")).await;
    assert_eq!(status, 200, "{tp}");
    assert_eq!(tp["succeeded"], 2, "{tp}");
    assert_eq!(tp["failed"], 2, "{tp}");
    assert_eq!(tp["failure_rate"], 0.5, "{tp}");
    assert_eq!(tp["buckets"].as_array().map(Vec::len), Some(12), "{tp}");
    assert_eq!(
        get(&admin, &format!("{mon}/throughput?minutes=0")).await.0,
        400
    );

    let (status, recent) = get(&admin, &format!("{mon}/jobs/recent?limit=10")).await;
    assert_eq!(status, 200, "{recent}");
    assert_eq!(recent["total"], 4, "{recent}");
    let good = recent_of(&recent, ids[0]);
    assert_eq!(good["status"], "succeeded", "{good}");
    assert_eq!(good["dead_letter"], false, "{good}");
    assert!(good["queue_wait_seconds"].is_number(), "{good}");
    assert!(good["run_seconds"].is_number(), "{good}");
    // The monitor followed the events: every stage the job went through, timed.
    let stages = good["stages"].as_array().expect("stages observed");
    assert!(stages.len() >= 3, "{good}");
    assert_eq!(stages[0]["stage"], "store", "{good}");
    assert!(stages.iter().all(|s| s["seconds"].is_number()), "{good}");
    let bad = recent_of(&recent, ids[2]);
    assert_eq!(bad["status"], "failed", "{bad}");
    assert_eq!(bad["dead_letter"], true, "{bad}");
    assert!(bad["error_code"].is_string(), "{bad}");
    let (_, failed_only) = get(&admin, &format!("{mon}/jobs/recent?status=failed")).await;
    assert_eq!(failed_only["total"], 2, "{failed_only}");

    // Retry one failed job: back in the queue with its attempts reset, and it runs again.
    let (status, retried) = post(&admin, &format!("{mon}/jobs/{}/retry", ids[2])).await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["attempts"], 0, "{retried}");
    assert!(retried["error_code"].is_null(), "{retried}");
    assert!(
        matches!(retried["status"].as_str(), Some("queued")),
        "{retried}"
    );
    let again = until(
        &admin,
        &format!("{mon}/jobs/recent?status=failed"),
        "the retried job ran again",
        |v| {
            v["jobs"].as_array().is_some_and(|jobs| {
                jobs.iter()
                    .any(|j| j["id"] == ids[2].to_string() && j["attempts"] == 1)
            })
        },
        &deployment,
    )
    .await;
    assert_eq!(again["total"], 2, "{again}");
    // Only a failed job can be retried.
    assert_eq!(
        post(&admin, &format!("{mon}/jobs/{}/retry", ids[0]))
            .await
            .0,
        409
    );

    // Requeue every dead letter: both failed jobs go back and run once more.
    let (status, requeued) = post(&admin, &format!("{mon}/dead-letters/requeue")).await;
    assert_eq!(status, 200, "{requeued}");
    assert_eq!(requeued["requeued"], 2, "{requeued}");
    let requeued_ids: Vec<String> = requeued["job_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert!(requeued_ids.contains(&ids[2].to_string()), "{requeued}");
    assert!(requeued_ids.contains(&ids[3].to_string()), "{requeued}");
    until(
        &admin,
        &format!("{mon}/queues"),
        "the requeued dead letters ran again",
        |v| v["dead_letters"] == 2 && v["depth"] == 0 && v["in_flight"] == 0,
        &deployment,
    )
    .await;
    let (_, tp) = get(&admin, &format!("{mon}/throughput")).await;
    assert_eq!(tp["failed"], 2, "each job counts once, as it is now: {tp}");

    // No worker: a new upload stays queued, shows as depth, and is cancelled.
    worker.term();
    worker.wait_exit(Duration::from_secs(60));
    let (_, workers) = get(&admin, &format!("{mon}/workers")).await;
    assert_eq!(workers["live"], 0, "a stopped worker leaves: {workers}");
    let waiting = upload(&user, &api.base(), &documents(90_100, 1)).await;
    let (_, queues) = get(&admin, &format!("{mon}/queues")).await;
    assert_eq!(queues["depth"], 1, "{queues}");
    let (status, cancelled) =
        post(&admin, &format!("{mon}/jobs/{}/cancel", waiting[0].job_id)).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(
        job_status(&user, &api.base(), waiting[0].job_id).await["status"],
        "cancelled"
    );
    assert_eq!(
        post(&admin, &format!("{mon}/jobs/{}/cancel", waiting[0].job_id))
            .await
            .0,
        409,
        "a cancelled job cannot be cancelled again"
    );
    let (_, queues) = get(&admin, &format!("{mon}/queues")).await;
    assert_eq!(queues["depth"], 0, "{queues}");
    assert_eq!(queues["by_status"]["cancelled"], 1, "{queues}");

    // The page, the health route and the metrics.
    let page = anonymous
        .get(format!("{}/", monitor.base()))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status().as_u16(), 200);
    let ctype = page.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(ctype.starts_with("text/html"), "{ctype}");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        csp.contains("script-src 'sha256-") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("DoxIn worker monitor"), "{html}");
    assert!(html.contains("<label for=\"token\">"), "{html}");
    assert!(html.contains("Requeue dead letters"), "{html}");
    let (status, health) = get(&anonymous, &format!("{}/api/health", monitor.base())).await;
    assert_eq!(status, 200);
    assert_eq!(health["service"], "doxin-monitor", "{health}");
    let metrics = anonymous
        .get(format!("{}/metrics", monitor.base()))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status().as_u16(), 200);
    let text = metrics.text().await.expect("text");
    assert!(text.contains("doxin_monitor_up 1"), "{text}");
    assert!(
        text.contains("doxin_process_resident_memory_bytes"),
        "{text}"
    );
    // The database's figures, as the API serves them (dashboards take max() over both).
    for family in [
        "doxin_queue_depth ",
        "doxin_queue_dead_letters ",
        "doxin_workers_live ",
        "doxin_jobs{status=\"succeeded\"}",
    ] {
        assert!(text.contains(family), "{family} in\n{text}");
    }
    assert!(text.ends_with("# EOF\n"), "{text}");
    drop(monitor);
    drop(api);
}
