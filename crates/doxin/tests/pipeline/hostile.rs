//! Hostile documents against a running `doxin serve`: the files of the security review (arrays
//! nested 9,000 deep in the trailer and in a page — deep enough to overflow the reader's stack,
//! shallow enough to pass the raised nesting limit, so the crash happens in the sandbox — and
//! 200,000 deep (refused by the structural check), a page tree 5,000 levels deep, a page of
//! 150,000 strokes, 200 blank pages, a 200 MB Flate bomb) each end as a typed error at intake or
//! in their job, never retried, while another user's uploads and the health check keep being
//! served; a sandbox child killed with SIGKILL fails its job cleanly.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use doxin_synth::hostile;
use serde_json::Value;
use uuid::Uuid;

use crate::client;
use crate::harness::*;

/// The codes a hostile document may end with.
const TYPED: &[&str] = &["document_too_complex", "extraction_crashed"];

fn hostile_documents() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("deep-trailer.pdf", hostile::deep_array_in_trailer(9_000)),
        ("deep-page.pdf", hostile::deep_array_in_page(9_000)),
        (
            "deep-trailer-200k.pdf",
            hostile::deep_array_in_trailer(200_000),
        ),
        ("deep-tree.pdf", hostile::deep_page_tree(5_000)),
        ("heavy-page.pdf", hostile::heavy_page(150_000)),
        ("blank-pages.pdf", hostile::blank_pages(200)),
        ("flate-bomb.pdf", hostile::flate_bomb(200 * 1024 * 1024)),
    ]
}

/// Uploads one file; returns `Err(code)` for a rejection at intake, else the job id.
async fn upload_one(
    http: &reqwest::Client,
    base: &str,
    name: &str,
    bytes: &[u8],
) -> Result<Uuid, (u16, Value)> {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
    );
    let resp = http
        .post(format!("{base}/api/v1/invoices/upload"))
        .multipart(form)
        .send()
        .await
        .expect("the API answers (it must not have died)");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("json");
    if status == 202 {
        Ok(body["job_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("job id"))
    } else {
        Err((status, body))
    }
}

/// Runs every hostile document through a server whose structural limits are set so high that
/// the parsers themselves meet the deep files inside the sandbox (the crash path), while the
/// budget limits (operators, inflated bytes, OCR pages) keep their defaults.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_documents_fail_alone_while_other_users_are_served() {
    let deployment = Deployment::new(&[
        ("PDF_MAX_NESTING", "10000"),
        ("PDF_MAX_PAGE_TREE_DEPTH", "10000"),
        ("MAX_ATTEMPTS", "3"),
    ]);
    let api = deployment.api("api", true);
    let base = api.base();
    let attacker = client(&deployment.user_token_for("mallory@example.com"));
    let victim = client(&deployment.user_token_for("alice@example.com"));

    // The other user keeps working the whole time: health answers, her invoices succeed.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (victim, base, stop) = (victim.clone(), base.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut checks, mut slowest) = (0u32, Duration::ZERO);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                let status = health_status(&victim, &base).await;
                assert_eq!(status, 200, "the API stopped answering");
                slowest = slowest.max(t.elapsed());
                checks += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (checks, slowest)
        })
    };
    let good = upload(&victim, &base, &documents(70_000, 2)).await;

    let mut outcomes: HashMap<&str, String> = HashMap::new();
    let mut jobs = Vec::new();
    for (name, bytes) in hostile_documents() {
        match upload_one(&attacker, &base, name, &bytes).await {
            Ok(job) => jobs.push((name, job)),
            Err((status, body)) => {
                let code = body["code"].as_str().unwrap_or_default().to_string();
                assert!(
                    (400..500).contains(&status) && TYPED.contains(&code.as_str()),
                    "{name}: rejected at intake with {status} {body}"
                );
                outcomes.insert(name, format!("intake {status} {code}"));
            }
        }
    }
    let ids: Vec<Uuid> = jobs.iter().map(|(_, id)| *id).collect();
    let done = deployment
        .wait_all(&attacker, &base, &ids, Duration::from_secs(300))
        .await;
    for (name, id) in &jobs {
        let v = &done[id];
        let code = v["error_code"].as_str().unwrap_or_default();
        assert_eq!(v["status"], "failed", "{name}: {v}");
        assert!(TYPED.contains(&code), "{name}: {v}");
        // Permanent: not retried into the same crash.
        assert_eq!(v["attempts"], 1, "{name}: {v}");
        outcomes.insert(name, format!("job failed {code}"));
    }
    let good_ids: Vec<Uuid> = good.iter().map(|q| q.job_id).collect();
    let good_done = deployment
        .wait_all(&victim, &base, &good_ids, Duration::from_secs(120))
        .await;
    for v in good_done.values() {
        assert_eq!(v["status"], "succeeded", "the other user's invoice: {v}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (checks, slowest) = watcher.await.expect("health watcher");
    assert!(checks > 0);
    eprintln!("outcomes: {outcomes:?}; {checks} health checks, slowest {slowest:?}");
    assert_eq!(outcomes.len(), 7, "{outcomes:?}");
    // Still the same process, still serving.
    assert_eq!(health_status(&victim, &base).await, 200);
    drop(api);
}

/// PIDs of the running `doxin sandbox-child` processes whose parent is `parent`.
fn sandbox_children(parent: u32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if !cmdline.split(|b| *b == 0).any(|a| a == b"sandbox-child") {
            continue;
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Field 4, after the parenthesised command name.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) {
            out.push(pid);
        }
    }
    out
}

/// The sandbox child reading a document is killed with SIGKILL mid-way: its job fails with
/// `extraction_crashed` after one attempt, the server stays up, and the next document succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_sandbox_child_fails_its_job_cleanly() {
    let deployment = Deployment::new(&[]);
    let api = deployment.api("api", true);
    let base = api.base();
    let http = client(&deployment.user_token());
    // Twelve blank pages: each is rendered and OCRed, so the child lives for seconds.
    let slow = vec![("slow-blank.pdf".to_string(), hostile::blank_pages(12))];
    let queued = upload(&http, &base, &slow).await;
    // Children are pooled (intake's page count left one idle): kill every sandbox child of
    // the server until the job ends, so the one reading the document is among them.
    let started = Instant::now();
    let mut kills = 0;
    loop {
        for pid in sandbox_children(api.pid()) {
            let killed = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status()
                .expect("kill");
            kills += u32::from(killed.success());
        }
        let v = job_status(&http, &base, queued[0].job_id).await;
        if matches!(
            v["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the job did not end: {v}\n{}",
            deployment.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(kills > 0, "no sandbox child was seen");
    let done = deployment
        .wait_all(&http, &base, &[queued[0].job_id], Duration::from_secs(120))
        .await;
    let v = &done[&queued[0].job_id];
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["error_code"], "extraction_crashed", "{v}");
    assert!(
        v["error"].as_str().unwrap_or_default().contains("SIGKILL"),
        "{v}"
    );
    assert_eq!(v["attempts"], 1, "{v}");
    assert_eq!(health_status(&http, &base).await, 200);
    let next = upload(&http, &base, &documents(71_000, 1)).await;
    let done = deployment
        .wait_all(&http, &base, &[next[0].job_id], Duration::from_secs(120))
        .await;
    assert_eq!(done[&next[0].job_id]["status"], "succeeded");
    drop(api);
}
