//! The worker monitor (`doxin monitor`, port 5555): the role Flower played for the earlier
//! system, as its own small HTTP server over the same database, queue and accounts as the API.
//!
//! - `GET /` — a self-contained page (inline style and script, allowed by hash; no external
//!   assets) that calls the JSON API below with a token the administrator pastes;
//! - `GET /api/v1/monitor/workers` — every worker heard from in the last ten minutes: id, host,
//!   pid, queue, concurrency, jobs in hand, started at, uptime, last heartbeat, live (a
//!   heartbeat within 30 s);
//! - `GET /api/v1/monitor/queues` — depth (queued), in flight (running), dead letters (failed
//!   jobs that used all their attempts) and the count of every status;
//! - `GET /api/v1/monitor/throughput?minutes=60` — jobs that ended in the window (succeeded,
//!   failed, cancelled), the failure rate and 5-minute buckets;
//! - `GET /api/v1/monitor/jobs/recent?limit=50&status=` — the latest jobs with their stage,
//!   attempts, queue wait and run time (from the stored timestamps) and stage durations (see
//!   below);
//! - `POST /api/v1/monitor/jobs/{id}/retry` (a failed job back to the queue, attempts reset),
//!   `POST /api/v1/monitor/jobs/{id}/cancel` (the API's cancel), and
//!   `POST /api/v1/monitor/dead-letters/requeue` (every dead letter back to the queue);
//! - `GET /api/health` and `GET /metrics` (the database figures the API serves, this process's
//!   requests, pool, memory and CPU, and `doxin_monitor_up`; the same scrape rule as the API's:
//!   `METRICS_TOKEN` as a bearer token, else loopback only).
//!
//! Every `/api/v1/monitor` route takes the [`Admin`] extractor: no credential is 401, a user
//! who is not an administrator 403. Actions are audited like the API's.
//!
//! Stage durations are not stored: jobs keep only their current stage. The monitor follows
//! the event bus (Redis pub/sub when `REDIS_URL` is set) as Flower followed Celery's events and
//! keeps, in memory, when each of the last [`TRACKED_JOBS`] jobs entered each stage. Jobs that
//! ran while no monitor was listening show `stages: null`; their queue wait and run time still
//! come from the database.

mod broker;
mod page;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Duration, Utc};
use doxin_jobs::Event;
use doxin_model::{JobStage, JobStatus};
use doxin_store::{JobFilter, JobRecord, PageRequest, Scope};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use uuid::Uuid;

pub use self::broker::Broker;
use crate::auth::Admin;
use crate::{ApiError, AppState};

/// Where the JSON API lives.
pub const API_PREFIX: &str = "/api/v1/monitor";
/// The port `doxin monitor` listens on by default (Flower's).
pub const DEFAULT_PORT: u16 = 5555;
/// A worker is live when its last heartbeat is this recent (the API's `/metrics` agrees).
const LIVE_WINDOW_SECS: i64 = 30;
/// Workers are listed while their last heartbeat is this recent (workers forget older ones).
const LISTED_WINDOW_SECS: i64 = 600;
/// Jobs whose stage times are kept in memory.
pub const TRACKED_JOBS: usize = 5_000;
/// Dead letters requeued by one request.
const REQUEUE_LIMIT: u32 = 10_000;
/// Jobs read for the throughput figures at most.
const THROUGHPUT_ROWS: u32 = 200_000;
const BUCKET_MINUTES: i64 = 5;

/// When each tracked job entered each stage and when it ended, from the event bus.
#[derive(Clone, Default)]
pub struct StageLog {
    inner: Arc<Mutex<StageLogInner>>,
}

#[derive(Default)]
struct StageLogInner {
    jobs: HashMap<Uuid, Timeline>,
    order: VecDeque<Uuid>,
}

#[derive(Debug, Clone, Default)]
struct Timeline {
    stages: Vec<(JobStage, DateTime<Utc>)>,
    ended: Option<DateTime<Utc>>,
}

impl StageLog {
    fn with<T>(&self, f: impl FnOnce(&mut StageLogInner) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Takes in one event of the bus.
    pub fn observe(&self, event: &Event) {
        match event {
            Event::JobProgress {
                job_id, stage, at, ..
            } => self.with(|inner| {
                if !inner.jobs.contains_key(job_id) {
                    inner.order.push_back(*job_id);
                    while inner.order.len() > TRACKED_JOBS {
                        if let Some(old) = inner.order.pop_front() {
                            inner.jobs.remove(&old);
                        }
                    }
                }
                let t = inner.jobs.entry(*job_id).or_default();
                // A new attempt (a retry, a lease taken over) starts a new timeline.
                if t.ended.is_some() || *stage == JobStage::Store {
                    *t = Timeline::default();
                }
                if t.stages.last().map(|(s, _)| s) != Some(stage) {
                    t.stages.push((*stage, *at));
                }
            }),
            Event::JobCompleted { job_id, at, .. }
            | Event::JobFailed { job_id, at, .. }
            | Event::JobCancelled { job_id, at, .. } => self.with(|inner| {
                if let Some(t) = inner.jobs.get_mut(job_id) {
                    t.ended = Some(*at);
                }
            }),
            _ => {}
        }
    }

    fn forget(&self, id: Uuid) {
        self.with(|inner| inner.jobs.remove(&id));
    }

    /// Each stage with when it began and, once the next began or the job ended, its seconds.
    fn stages_of(&self, id: Uuid) -> Option<Vec<Value>> {
        self.with(|inner| {
            let t = inner.jobs.get(&id)?;
            Some(
                t.stages
                    .iter()
                    .enumerate()
                    .map(|(i, (stage, at))| {
                        let end = t.stages.get(i + 1).map(|(_, a)| *a).or(t.ended);
                        json!({
                            "stage": stage,
                            "started_at": at,
                            "seconds": end.map(|e| seconds(e - *at)),
                        })
                    })
                    .collect(),
            )
        })
    }

    /// Follows `state`'s event bus until the process ends.
    pub fn follow(&self, state: &AppState) {
        let mut rx = state.events.subscribe();
        let log = self.clone();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(event) => log.observe(&event),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "the monitor fell behind the event bus");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }
}

fn seconds(d: Duration) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

/// The monitor's whole HTTP surface over `state`; follows the event bus for stage times.
pub fn router(state: AppState) -> Router {
    router_with_broker(state, None)
}

/// [`router`] with the Redis queue's keys, so the queue figures include the broker's own
/// (stream length, pending, dead-letter stream) and requeued jobs leave the dead-letter stream.
pub fn router_with_broker(state: AppState, keys: Option<doxin_jobs::RedisKeys>) -> Router {
    let broker = match (&state.redis, keys) {
        (Some(client), Some(keys)) => Some(Broker::new(client.clone(), keys)),
        _ => None,
    };
    let stages = StageLog::default();
    stages.follow(&state);
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    let policy = crate::security::HeaderPolicy {
        hsts: state.auth.settings.cookie_secure,
    };
    let api = Router::new()
        .route(&format!("{API_PREFIX}/workers"), get(workers))
        .route(&format!("{API_PREFIX}/queues"), get(queues))
        .route(&format!("{API_PREFIX}/throughput"), get(throughput))
        .route(&format!("{API_PREFIX}/jobs/recent"), get(recent_jobs))
        .route(&format!("{API_PREFIX}/jobs/{{id}}/retry"), post(retry))
        .route(&format!("{API_PREFIX}/jobs/{{id}}/cancel"), post(cancel))
        .route(
            &format!("{API_PREFIX}/dead-letters/requeue"),
            post(requeue_dead_letters),
        );
    Router::new()
        .route("/", get(page::page))
        .route("/api/health", get(health))
        .route("/metrics", get(metrics))
        .merge(api)
        .fallback(crate::error::not_found)
        .layer(Extension(stages))
        .layer(Extension(broker))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::count_requests,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn(
            crate::error::problems_for_rejections,
        ))
        .layer(axum::middleware::from_fn(crate::telemetry::log_response))
        .layer(crate::telemetry::trace_layer())
        .layer(axum::middleware::from_fn_with_state(
            policy,
            crate::security::add_headers,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "healthy",
        "service": "doxin-monitor",
        "version": state.version,
    }))
}

fn worker_view(w: &doxin_store::WorkerHeartbeat, now: DateTime<Utc>) -> Value {
    json!({
        "id": w.id,
        "host": w.host,
        "pid": w.pid,
        "queue": w.queue,
        "concurrency": w.concurrency,
        "jobs_in_hand": w.current_jobs.len(),
        "current_jobs": w.current_jobs,
        "started_at": w.started_at,
        "uptime_seconds": (now - w.started_at).num_seconds().max(0),
        "last_heartbeat": w.last_seen,
        "seconds_since_heartbeat": (now - w.last_seen).num_seconds().max(0),
        "live": now - w.last_seen <= Duration::seconds(LIVE_WINDOW_SECS),
    })
}

async fn workers(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<Value>, ApiError> {
    let now = Utc::now();
    let seen = state
        .store
        .live_workers(now - Duration::seconds(LISTED_WINDOW_SECS))
        .await?;
    let views: Vec<Value> = seen.iter().map(|w| worker_view(w, now)).collect();
    let live = views.iter().filter(|w| w["live"] == true).count();
    let slots: i64 = seen
        .iter()
        .filter(|w| now - w.last_seen <= Duration::seconds(LIVE_WINDOW_SECS))
        .map(|w| i64::from(w.concurrency))
        .sum();
    Ok(Json(json!({
        "live": live,
        "live_window_seconds": LIVE_WINDOW_SECS,
        "slots": slots,
        "workers": views,
    })))
}

async fn queues(
    State(state): State<AppState>,
    Extension(broker): Extension<Option<Broker>>,
    Admin(_): Admin,
) -> Result<Json<Value>, ApiError> {
    let counts = state.store.count_jobs_by_status(Scope::All).await?;
    let count = |s: JobStatus| counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n);
    let mut by_status = serde_json::Map::new();
    for s in JobStatus::ALL {
        by_status.insert(s.to_string(), json!(count(s)));
    }
    let dead_letters = state.store.count_dead_letters().await?;
    Ok(Json(json!({
        "queue": state.queue.kind(),
        "depth": count(JobStatus::Queued),
        "in_flight": count(JobStatus::Running),
        "dead_letters": dead_letters,
        "by_status": by_status,
        "broker": match &broker {
            Some(b) => b.figures().await,
            None => Value::Null,
        },
    })))
}

#[derive(Debug, Deserialize)]
struct ThroughputQuery {
    minutes: Option<i64>,
}

async fn throughput(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(q): Query<ThroughputQuery>,
) -> Result<Json<Value>, ApiError> {
    let minutes = q.minutes.unwrap_or(60);
    if !(BUCKET_MINUTES..=1440).contains(&minutes) {
        return Err(ApiError::BadRequest(format!(
            "`minutes` must be between {BUCKET_MINUTES} and 1440"
        )));
    }
    let now = Utc::now();
    let since = now - Duration::minutes(minutes);
    let ended = state
        .store
        .jobs_finished_since(since, THROUGHPUT_ROWS)
        .await?;
    Ok(Json(throughput_view(&ended, since, now, minutes)))
}

fn throughput_view(
    ended: &[(JobStatus, DateTime<Utc>)],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    minutes: i64,
) -> Value {
    let n_buckets = usize::try_from((minutes + BUCKET_MINUTES - 1) / BUCKET_MINUTES).unwrap_or(1);
    let mut buckets = vec![[0u64; 3]; n_buckets];
    let mut totals = [0u64; 3];
    for (status, at) in ended {
        let k = match status {
            JobStatus::Succeeded => 0,
            JobStatus::Failed => 1,
            JobStatus::Cancelled => 2,
            _ => continue,
        };
        totals[k] += 1;
        let i = usize::try_from((*at - since).num_minutes() / BUCKET_MINUTES).unwrap_or(0);
        buckets[i.min(n_buckets - 1)][k] += 1;
    }
    let settled = totals[0] + totals[1];
    let failure_rate = (settled > 0).then(|| totals[1] as f64 / settled as f64);
    let buckets: Vec<Value> = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            json!({
                "start": since + Duration::minutes(BUCKET_MINUTES * i as i64),
                "succeeded": b[0],
                "failed": b[1],
                "cancelled": b[2],
            })
        })
        .collect();
    json!({
        "from": since,
        "to": now,
        "window_minutes": minutes,
        "bucket_minutes": BUCKET_MINUTES,
        "succeeded": totals[0],
        "failed": totals[1],
        "cancelled": totals[2],
        "finished": settled,
        "failure_rate": failure_rate,
        "per_minute": settled as f64 / minutes as f64,
        "buckets": buckets,
    })
}

#[derive(Debug, Deserialize)]
struct RecentQuery {
    limit: Option<u32>,
    status: Option<String>,
}

fn recent_view(job: &JobRecord, stages: &StageLog, now: DateTime<Utc>) -> Value {
    let queue_wait = job.started_at.map(|s| seconds(s - job.created_at));
    let run = job
        .started_at
        .map(|s| seconds(job.finished_at.unwrap_or(now) - s));
    json!({
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "stage": job.stage,
        "progress": job.progress,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "dead_letter": job.status == JobStatus::Failed && job.attempts >= job.max_attempts,
        "filename": job.payload.get("filename"),
        "owner_id": job.owner_id,
        "workspace_id": job.workspace_id,
        "worker": job.lease_owner,
        "error_code": job.error_code,
        "error": job.error,
        "invoice_id": job.invoice_id,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "queue_wait_seconds": queue_wait,
        "run_seconds": run,
        "stages": stages.stages_of(job.id),
    })
}

async fn recent_jobs(
    State(state): State<AppState>,
    Extension(stages): Extension<StageLog>,
    Admin(_): Admin,
    Query(q): Query<RecentQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<JobStatus>()
                .map_err(|_| ApiError::BadRequest(format!("unknown status {s:?}")))
        })
        .transpose()?;
    let page = state
        .store
        .list_jobs(
            Scope::All,
            &JobFilter {
                status,
                ..Default::default()
            },
            PageRequest::new(1, q.limit.unwrap_or(50)),
        )
        .await?;
    let now = Utc::now();
    let jobs: Vec<Value> = page
        .items
        .iter()
        .map(|j| recent_view(j, &stages, now))
        .collect();
    Ok(Json(json!({ "total": page.total, "jobs": jobs })))
}

async fn retry(
    State(state): State<AppState>,
    Extension(stages): Extension<StageLog>,
    Extension(broker): Extension<Option<Broker>>,
    Admin(caller): Admin,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let before = state.store.get_job(id, Scope::All).await?;
    let job = state.store.retry_failed_job(id).await?;
    stages.forget(id);
    forget_dead(broker.as_ref(), &[id]).await;
    // The row is queued: if the broker misses this, the reconciler sends it again.
    if let Err(e) = state.queue.enqueue(id).await {
        tracing::warn!(job_id = %id, error = %e, "retried job not enqueued; the reconciler will");
    }
    caller
        .audit(
            &state,
            "job.retry",
            "job",
            Some(id.to_string()),
            Some(json!({"status": before.status, "attempts": before.attempts})),
            Some(json!({"status": job.status, "attempts": job.attempts})),
        )
        .await?;
    Ok(Json(recent_view(&job, &stages, Utc::now())))
}

/// Requeued jobs leave the Redis dead-letter stream (best effort: the database is the truth).
async fn forget_dead(broker: Option<&Broker>, ids: &[Uuid]) {
    if let Some(b) = broker
        && let Err(e) = b.forget_dead(ids).await
    {
        tracing::warn!(error = %e, "requeued jobs left in the dead-letter stream");
    }
}

async fn cancel(
    State(state): State<AppState>,
    Extension(stages): Extension<StageLog>,
    Admin(caller): Admin,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let job = state.store.get_job(id, Scope::All).await?;
    let cancelled = crate::routes::jobs::cancel_job(&state, &caller, &job).await?;
    Ok(Json(recent_view(&cancelled, &stages, Utc::now())))
}

async fn requeue_dead_letters(
    State(state): State<AppState>,
    Extension(stages): Extension<StageLog>,
    Extension(broker): Extension<Option<Broker>>,
    Admin(caller): Admin,
) -> Result<Json<Value>, ApiError> {
    let ids = state.store.requeue_dead_letters(REQUEUE_LIMIT).await?;
    forget_dead(broker.as_ref(), &ids).await;
    for id in &ids {
        stages.forget(*id);
        if let Err(e) = state.queue.enqueue(*id).await {
            tracing::warn!(job_id = %id, error = %e, "requeued job not enqueued; the reconciler will");
        }
    }
    if !ids.is_empty() {
        caller
            .audit(
                &state,
                "job.requeue_dead_letters",
                "job",
                None,
                None,
                Some(json!({"requeued": ids.len(), "job_ids": ids})),
            )
            .await?;
    }
    Ok(Json(json!({"requeued": ids.len(), "job_ids": ids})))
}

/// `/metrics`: what the database knows (jobs by status and stage, queues, live workers), the
/// monitor's own HTTP requests, pool and process, and `doxin_monitor_up`; the API's scrape
/// rule.
async fn metrics(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let mut up = String::new();
    doxin_metrics::write_gauge(
        &mut up,
        "doxin_monitor_up",
        "Whether the worker monitor is serving.",
        &[(String::new(), 1.0)],
    );
    crate::metrics::scrape(&state, req, None, &up).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_throughput_buckets_and_failure_rate() {
        let now = Utc::now();
        let since = now - Duration::minutes(60);
        let ended = vec![
            (JobStatus::Succeeded, since + Duration::minutes(1)),
            (JobStatus::Succeeded, since + Duration::minutes(7)),
            (JobStatus::Failed, since + Duration::minutes(59)),
            (JobStatus::Cancelled, since + Duration::minutes(59)),
        ];
        let v = throughput_view(&ended, since, now, 60);
        assert_eq!(v["succeeded"], 2);
        assert_eq!(v["failed"], 1);
        assert_eq!(v["cancelled"], 1);
        assert_eq!(v["finished"], 3);
        let rate = v["failure_rate"].as_f64().expect("rate");
        assert!((rate - 1.0 / 3.0).abs() < 1e-9, "{rate}");
        let buckets = v["buckets"].as_array().expect("buckets");
        assert_eq!(buckets.len(), 12);
        assert_eq!(buckets[0]["succeeded"], 1);
        assert_eq!(buckets[1]["succeeded"], 1);
        assert_eq!(buckets[11]["failed"], 1);
        let empty = throughput_view(&[], since, now, 60);
        assert!(empty["failure_rate"].is_null());
    }

    #[test]
    fn monitor_stage_log_measures_stages_and_restarts_on_a_new_attempt() {
        let log = StageLog::default();
        let id = Uuid::new_v4();
        let t0 = Utc::now();
        let progress = |stage, secs| Event::JobProgress {
            job_id: id,
            owner_id: None,
            stage,
            progress: 10,
            at: t0 + Duration::seconds(secs),
        };
        log.observe(&progress(JobStage::Store, 0));
        log.observe(&progress(JobStage::Sniff, 1));
        log.observe(&progress(JobStage::Extract, 3));
        log.observe(&Event::JobFailed {
            job_id: id,
            owner_id: None,
            error_code: "x".into(),
            error: "x".into(),
            at: t0 + Duration::seconds(10),
        });
        let stages = log.stages_of(id).expect("tracked");
        assert_eq!(stages.len(), 3);
        assert_eq!(stages[0]["stage"], "store");
        assert_eq!(stages[0]["seconds"], 1.0);
        assert_eq!(stages[2]["seconds"], 7.0);
        log.observe(&progress(JobStage::Store, 20));
        let stages = log.stages_of(id).expect("tracked");
        assert_eq!(stages.len(), 1);
        assert!(stages[0]["seconds"].is_null());
        assert!(log.stages_of(Uuid::new_v4()).is_none());
    }
}
