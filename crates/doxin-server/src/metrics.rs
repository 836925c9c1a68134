//! `GET /metrics` in the OpenMetrics text format, on the API and on each worker's metrics
//! listener (`WORKER_METRICS_PORT`).
//!
//! Two kinds of figures: this process's own, counted where the work happens by
//! [`doxin_metrics::Metrics`] (HTTP requests here; jobs, stages, extractions, model requests and
//! embeddings in the worker that ran them; pool, memory, CPU), and what the database knows at
//! scrape time (jobs by status and stage, queue depth, in flight, dead letters, live workers),
//! the same for every API process, so dashboards take `max()` of them across replicas. The
//! registry lives in the application state rather than in a global, so several applications in
//! one process (the API tests) each count their own. Names and labels are the contract in
//! `deploy/monitoring/METRICS.md`.
//!
//! The figures show who uses which route how often, so they are not for everyone: with
//! `METRICS_TOKEN` set, a scrape must send `Authorization: Bearer <token>` (401 otherwise);
//! without it, only clients on the loopback interface (a sidecar, an agent on the host) are
//! answered, and others get 403.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use doxin_metrics::{Metrics, PoolStatus, label_value, write_gauge};
use doxin_model::{JobStage, JobStatus};
use doxin_store::{Store, StoreError};

use crate::{ApiError, AppState};

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
            .metrics
            .http_request(&method, &route, resp.status().as_u16(), started.elapsed());
    }
    resp
}

/// The pool figures of `store`'s connection pool.
fn pool_status(store: &dyn Store) -> PoolStatus {
    let pool = store.pool_stats();
    PoolStatus {
        in_use: pool.size.saturating_sub(pool.idle),
        idle: pool.idle,
        max: pool.max,
    }
}

/// What the database knows at scrape time, in the OpenMetrics text format.
async fn state_figures(store: &dyn Store, queue_limit: Option<u64>) -> Result<String, StoreError> {
    let counts = store.count_jobs_by_status(doxin_store::Scope::All).await?;
    let running_by_stage = store.count_running_by_stage().await?;
    let dead_letters = store.count_dead_letters().await?;
    let since = chrono::Utc::now() - chrono::Duration::seconds(30);
    let workers = store.live_workers(since).await?;
    let count = |status: JobStatus| {
        counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n) as f64
    };
    let mut out = String::new();
    let by_status: Vec<(String, f64)> = JobStatus::ALL
        .iter()
        .map(|s| (format!("status=\"{}\"", s.as_str()), count(*s)))
        .collect();
    write_gauge(
        &mut out,
        "doxin_jobs",
        "Processing jobs by status.",
        &by_status,
    );
    let by_stage: Vec<(String, f64)> = JobStage::ALL
        .iter()
        .map(|stage| {
            let n = running_by_stage
                .iter()
                .find(|(s, _)| s == stage)
                .map_or(0, |(_, n)| *n);
            (
                format!("stage=\"{}\"", label_value(stage.as_str())),
                n as f64,
            )
        })
        .collect();
    write_gauge(
        &mut out,
        "doxin_jobs_by_stage",
        "Running jobs by their current stage.",
        &by_stage,
    );
    let single = |v: f64| [(String::new(), v)];
    write_gauge(
        &mut out,
        "doxin_queue_depth",
        "Jobs waiting for a worker.",
        &single(count(JobStatus::Queued)),
    );
    write_gauge(
        &mut out,
        "doxin_queue_in_flight",
        "Jobs delivered to a worker and not yet finished (leased rows).",
        &single(count(JobStatus::Running)),
    );
    write_gauge(
        &mut out,
        "doxin_queue_dead_letters",
        "Failed jobs that used all their attempts.",
        &single(dead_letters as f64),
    );
    if let Some(limit) = queue_limit {
        write_gauge(
            &mut out,
            "doxin_queue_limit",
            "Queued jobs above which intake answers 429.",
            &single(limit as f64),
        );
    }
    write_gauge(
        &mut out,
        "doxin_workers_live",
        "Workers with a heartbeat in the last 30 s.",
        &single(workers.len() as f64),
    );
    let busy: usize = workers.iter().map(|w| w.current_jobs.len()).sum();
    write_gauge(
        &mut out,
        "doxin_worker_jobs_in_hand",
        "Jobs the live workers are running.",
        &single(busy as f64),
    );
    Ok(out)
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

fn peer_of(req: &Request) -> Option<std::net::IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

fn openmetrics(text: String) -> Response {
    ([(header::CONTENT_TYPE, doxin_metrics::CONTENT_TYPE)], text).into_response()
}

async fn metrics(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let limit = state.limits.queue_max;
    scrape(&state, req, Some(limit), "").await
}

/// A scrape of a process that serves the database figures (the API, the monitor): the scrape
/// rule, then this process's figures, the database's, and `extra` (OpenMetrics text).
pub(crate) async fn scrape(
    state: &AppState,
    req: Request,
    queue_limit: Option<u64>,
    extra: &str,
) -> Result<Response, ApiError> {
    allow_scrape(
        state.auth.settings.metrics_token.as_deref(),
        req.headers(),
        peer_of(&req),
    )?;
    drop(req);
    let mut figures = state_figures(state.store.as_ref(), queue_limit).await?;
    figures.push_str(extra);
    Ok(openmetrics(
        state
            .metrics
            .render(Some(pool_status(state.store.as_ref())), &figures),
    ))
}

/// What a worker's metrics listener needs.
#[derive(Clone)]
struct WorkerScrape {
    store: Arc<dyn Store>,
    metrics: Metrics,
    token: Option<Arc<str>>,
}

/// `GET /metrics` of a worker process (`doxin worker --metrics-port`): the worker's own
/// figures and its pool. The database figures are left to the API and the monitor, so a
/// fleet of workers does not query the database once per scrape each.
pub fn worker_router(store: Arc<dyn Store>, metrics: Metrics, token: Option<String>) -> Router {
    Router::new()
        .route("/metrics", get(worker_metrics))
        .with_state(WorkerScrape {
            store,
            metrics,
            token: token.map(Arc::from),
        })
}

async fn worker_metrics(State(w): State<WorkerScrape>, req: Request) -> Result<Response, ApiError> {
    allow_scrape(w.token.as_deref(), req.headers(), peer_of(&req))?;
    Ok(openmetrics(
        w.metrics.render(Some(pool_status(w.store.as_ref())), ""),
    ))
}

/// Serves a worker's metrics on `listener` until `stop` resolves.
pub async fn serve_worker_metrics(
    listener: tokio::net::TcpListener,
    router: Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await
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
