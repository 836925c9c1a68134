//! Following and settling jobs: status polling, the jobs API of the earlier system
//! (`my-jobs`, detail, unread count, mark as read) and cancel. Approving the invoice a job
//! produced is a review decision (`review.rs`).
//!
//! Ownership: every query runs in the caller's scope (their own jobs and invoices; all for an
//! administrator), so another user's job is simply not found (404).

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use doxin_jobs::Event;
use doxin_model::JobStatus;
use doxin_store::{JobFilter, JobRecord, JobUpdate, Page, PageRequest, StoreError, WorkspaceRole};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::listing::Listing;
use crate::auth::Caller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/invoices/status/{job_id}", get(status))
        .route("/api/v1/jobs/my-jobs", get(my_jobs))
        .route("/api/v1/jobs/unread-count", get(unread_count))
        .route("/api/v1/jobs/mark-as-read", post(mark_as_read))
        .route("/api/v1/jobs/{job_id}", get(detail))
        .route("/api/v1/jobs/{job_id}/cancel", post(cancel))
}

async fn load(state: &AppState, id: Uuid, caller: &Caller) -> Result<JobRecord, ApiError> {
    Ok(state.store.get_job(id, caller.scope()).await?)
}

/// A job as clients see it.
pub(crate) fn job_view(job: &JobRecord) -> Value {
    let filename = job.payload.get("filename").cloned().unwrap_or(Value::Null);
    json!({
        "job_id": job.id,
        "id": job.id,
        "status": job.status,
        "stage": job.stage,
        "progress": job.progress,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "filename": filename,
        "file_id": job.file_id,
        "invoice_id": job.invoice_id,
        "error": job.error,
        "error_code": job.error_code,
        "result": job.result,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "viewed_at": job.viewed_at,
        "is_read": job.viewed_at.is_some(),
        "worker": job.lease_owner,
    })
}

async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(job_id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(job_view(&load(&state, job_id, &caller).await?)))
}

async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(job_id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let job = load(&state, job_id, &caller).await?;
    let mut view = job_view(&job);
    if let Some(invoice_id) = job.invoice_id
        && let Ok(invoice) = state.store.get_invoice(invoice_id, caller.scope()).await
    {
        view["invoice"] = json!({
            "id": invoice.id,
            "status": invoice.status,
            "confidence": invoice.confidence,
            "duplicate_of": invoice.duplicate_of,
            "invoice_number": invoice.invoice.invoice_number.as_ref().map(|v| v.value.clone()),
        });
    }
    Ok(Json(view))
}

#[derive(Debug, Deserialize)]
struct MyJobsQuery {
    status: Option<String>,
    /// `approved`, `needs_review` or `duplicate`: how a finished job ended.
    outcome: Option<String>,
    #[serde(default)]
    unread_only: bool,
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn my_jobs(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<MyJobsQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(|s| {
            s.parse::<JobStatus>()
                .map_err(|_| ApiError::BadRequest(format!("unknown status {s:?}")))
        })
        .transpose()?;
    let outcome = match q
        .outcome
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        Some(o @ ("approved" | "needs_review" | "duplicate")) => Some(o.to_string()),
        Some(o) => {
            return Err(ApiError::BadRequest(format!(
                "unknown outcome {o:?}; use approved, needs_review or duplicate"
            )));
        }
        None => None,
    };
    let filter = JobFilter {
        status,
        unread_only: q.unread_only,
        outcome,
    };
    let page = PageRequest::new(q.page.unwrap_or(1), q.per_page.unwrap_or(20));
    let jobs: Page<JobRecord> = state.store.list_jobs(caller.scope(), &filter, page).await?;
    let counts = state.store.count_jobs_by_status(caller.scope()).await?;
    let mut statistics = json!({"total": counts.iter().map(|(_, n)| n).sum::<u64>()});
    for s in JobStatus::ALL {
        statistics[s.as_str()] = json!(
            counts
                .iter()
                .find(|(st, _)| *st == s)
                .map_or(0, |(_, n)| *n)
        );
    }
    Ok(Json(
        Listing::of(&jobs, job_view).with(json!({ "statistics": statistics })),
    ))
}

async fn unread_count(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let page = state
        .store
        .list_jobs(
            caller.scope(),
            &JobFilter {
                status: None,
                unread_only: true,
                outcome: None,
            },
            PageRequest::new(1, 1),
        )
        .await?;
    Ok(Json(json!({"unread_count": page.total})))
}

#[derive(Debug, Deserialize)]
struct MarkAsRead {
    #[serde(default)]
    job_ids: Vec<Uuid>,
}

async fn mark_as_read(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<MarkAsRead>,
) -> Result<Json<Value>, ApiError> {
    let marked = state
        .store
        .mark_jobs_viewed(caller.scope(), &body.job_ids)
        .await?;
    Ok(Json(json!({"marked": marked})))
}

async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(job_id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    // Another workspace's job is not found (404) before a viewer is refused (403).
    let job = load(&state, job_id, &caller).await?;
    caller.require(WorkspaceRole::Clerk)?;
    Ok(Json(job_view(&cancel_job(&state, &caller, &job).await?)))
}

/// Cancels `job` (409 once it is finished), audits the change and tells subscribers; the
/// caller has been checked already. Shared with the worker monitor.
pub(crate) async fn cancel_job(
    state: &AppState,
    caller: &Caller,
    job: &JobRecord,
) -> Result<JobRecord, ApiError> {
    let cancelled = state
        .store
        .update_job(
            job.id,
            JobUpdate {
                status: Some(JobStatus::Cancelled),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::InvalidState(_) => ApiError::Conflict(format!(
                "the job is {} and can no longer be cancelled",
                job.status
            )),
            e => e.into(),
        })?;
    // Counted here: the worker running it (if any) only finds the job no longer its own.
    state.metrics.job_finished("cancelled", "none", None);
    caller
        .audit(
            state,
            "job.cancel",
            "job",
            Some(job.id.to_string()),
            Some(json!({"status": job.status})),
            Some(json!({"status": cancelled.status})),
        )
        .await?;
    state
        .events
        .publish(Event::JobCancelled {
            job_id: job.id,
            owner_id: job.owner_id,
            at: Utc::now(),
        })
        .await;
    Ok(cancelled)
}
