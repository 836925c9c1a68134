//! `GET /metrics` in the Prometheus text format (version 0.0.4).
//!
//! Two kinds of figures: what the database knows at scrape time (jobs by status, queue depth,
//! live workers — the same for every API process, so any of them can be scraped), and this
//! process's HTTP counters (requests and their total duration per route template and status).
//! The registry lives in the application state rather than in a global recorder, so several
//! applications in one process (the API tests) each count their own requests.
//!
//! The figures show who uses which route how often, so they are not for everyone: with
//! `METRICS_TOKEN` set, a scrape must send `Authorization: Bearer <token>` (401 otherwise);
//! without it, only clients on the loopback interface (a sidecar, an agent on the host) are
//! answered, and others get 403.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use doxin_model::JobStatus;

use crate::{ApiError, AppState};

/// `(method, route, status)` → (count, seconds).
type HttpKey = (String, String, u16);

#[derive(Default, Clone)]
pub struct HttpMetrics {
    inner: Arc<Mutex<BTreeMap<HttpKey, (u64, f64)>>>,
}

impl HttpMetrics {
    fn record(&self, key: HttpKey, elapsed: Duration) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(key).or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += elapsed.as_secs_f64();
    }

    fn snapshot(&self) -> Vec<(HttpKey, (u64, f64))> {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Counts every request except scrapes of `/metrics` itself.
pub async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    if route != "/metrics" {
        state
            .http_metrics
            .record((method, route, resp.status().as_u16()), started.elapsed());
    }
    resp
}

/// Escapes a label value (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Lets the scrape through, or says why not.
fn allow_scrape(
    token: Option<&str>,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    match token {
        Some(expected) => {
            let offered = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .unwrap_or("");
            if crate::auth::secrets::constant_time_eq(offered, expected) {
                Ok(())
            } else {
                Err(ApiError::problem(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "send the metrics token: `Authorization: Bearer <METRICS_TOKEN>`",
                ))
            }
        }
        None if peer.is_some_and(|ip| ip.to_canonical().is_loopback()) => Ok(()),
        None => Err(ApiError::problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "metrics are served to loopback clients only unless METRICS_TOKEN is set",
        )),
    }
}

async fn metrics(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    allow_scrape(
        state.auth.settings.metrics_token.as_deref(),
        req.headers(),
        peer,
    )?;
    let counts = state
        .store
        .count_jobs_by_status(doxin_store::Scope::All)
        .await?;
    let since = chrono::Utc::now() - chrono::Duration::seconds(30);
    let workers = state.store.live_workers(since).await?;
    let mut out = String::new();
    let _ = writeln!(out, "# HELP doxin_jobs Processing jobs by status.");
    let _ = writeln!(out, "# TYPE doxin_jobs gauge");
    for status in JobStatus::ALL {
        let n = counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "doxin_jobs{{status=\"{}\"}} {n}", status.as_str());
    }
    let queued = counts
        .iter()
        .find(|(s, _)| *s == JobStatus::Queued)
        .map_or(0, |(_, n)| *n);
    let _ = writeln!(out, "# HELP doxin_queue_depth Jobs waiting for a worker.");
    let _ = writeln!(out, "# TYPE doxin_queue_depth gauge");
    let _ = writeln!(out, "doxin_queue_depth {queued}");
    let _ = writeln!(
        out,
        "# HELP doxin_queue_limit Queued jobs above which intake answers 429."
    );
    let _ = writeln!(out, "# TYPE doxin_queue_limit gauge");
    let _ = writeln!(out, "doxin_queue_limit {}", state.limits.queue_max);
    let _ = writeln!(
        out,
        "# HELP doxin_workers_live Workers with a heartbeat in the last 30 s."
    );
    let _ = writeln!(out, "# TYPE doxin_workers_live gauge");
    let _ = writeln!(out, "doxin_workers_live {}", workers.len());
    let busy: usize = workers.iter().map(|w| w.current_jobs.len()).sum();
    let _ = writeln!(
        out,
        "# HELP doxin_worker_jobs_in_hand Jobs the live workers are running."
    );
    let _ = writeln!(out, "# TYPE doxin_worker_jobs_in_hand gauge");
    let _ = writeln!(out, "doxin_worker_jobs_in_hand {busy}");
    let http = state.http_metrics.snapshot();
    let _ = writeln!(
        out,
        "# HELP doxin_http_requests_total HTTP requests answered by this process."
    );
    let _ = writeln!(out, "# TYPE doxin_http_requests_total counter");
    for ((method, route, status), (n, _)) in &http {
        let _ = writeln!(
            out,
            "doxin_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
            label(method),
            label(route)
        );
    }
    let _ = writeln!(
        out,
        "# HELP doxin_http_request_duration_seconds_total Time spent answering HTTP requests."
    );
    let _ = writeln!(
        out,
        "# TYPE doxin_http_request_duration_seconds_total counter"
    );
    for ((method, route, status), (_, secs)) in &http {
        let _ = writeln!(
            out,
            "doxin_http_request_duration_seconds_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {secs:.6}",
            label(method),
            label(route)
        );
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(token: Option<&str>, bearer: Option<&str>, peer: [u8; 4]) -> u16 {
        let mut headers = HeaderMap::new();
        if let Some(b) = bearer {
            headers.insert(
                header::AUTHORIZATION,
                format!("Bearer {b}").parse().expect("header"),
            );
        }
        match allow_scrape(token, &headers, Some(peer.into())) {
            Ok(()) => 200,
            Err(ApiError::Problem { status, .. }) => status.as_u16(),
            Err(_) => 500,
        }
    }

    #[test]
    fn without_a_token_only_loopback_scrapes() {
        assert_eq!(status(None, None, [127, 0, 0, 1]), 200);
        assert_eq!(status(None, None, [10, 0, 0, 7]), 403);
        assert_eq!(status(None, Some("anything"), [203, 0, 113, 9]), 403);
        let mapped: std::net::IpAddr = "::ffff:127.0.0.1".parse().expect("ip");
        assert!(allow_scrape(None, &HeaderMap::new(), Some(mapped)).is_ok());
    }

    #[test]
    fn with_a_token_every_scrape_sends_it() {
        let token = Some("scrape-token-0123456789");
        assert_eq!(status(token, None, [127, 0, 0, 1]), 401);
        assert_eq!(status(token, Some("nope"), [10, 0, 0, 7]), 401);
        assert_eq!(
            status(token, Some("scrape-token-0123456789"), [10, 0, 0, 7]),
            200
        );
    }
}
