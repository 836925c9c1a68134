//! Administration: users, the audit log, the jobs overview and usage analytics.
//!
//! - `GET /api/v1/admin/users` (paginated), `GET /api/v1/admin/users/{id}` (with the user's
//!   invoice and job counts and latest audited actions),
//!   `PATCH /api/v1/admin/users/{id}` `{"is_active": bool, "role": "user"|"admin"}`
//! - `GET /api/v1/admin/audit-log?actor=&entity_type=&entity_id=&action=&from=&to=&page=&per_page=`
//! - `GET /api/v1/admin/jobs`: counts by status, running jobs by stage, dead letters, live
//!   workers, recent failures
//! - `GET /api/v1/admin/analytics/usage?from=&to=&user=&route=`
//!
//! Every handler takes the [`Admin`] extractor: anonymous callers get 401, other users 403.
//! Every change is audited with its before and after. An administrator cannot deactivate or
//! demote themself, so a deployment cannot lose its last administrator by a slip (demoting
//! another administrator is fine: the caller remains one).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use doxin_model::JobStatus;
use doxin_store::{
    AuditEntry, AuditFilter, InvoiceFilter, JobFilter, JobRecord, PageRequest, Role, Scope,
    UsageFilter, UsageReport, User, UserUpdate, WorkerHeartbeat,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::listing::Listing;
use crate::auth::Admin;
use crate::{ApiError, AppState};

/// Workers silent for longer than this are not shown as live (heartbeats come every few
/// seconds; `/metrics` uses the same window).
const LIVE_WINDOW_SECS: i64 = 30;
/// Failed jobs listed in the overview.
const RECENT_FAILURES: u32 = 20;
/// Days of usage reported when no range is given.
const DEFAULT_USAGE_DAYS: i64 = 30;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/users", get(list_users))
        .route(
            "/api/v1/admin/users/{id}",
            get(user_detail).patch(update_user),
        )
        .route("/api/v1/admin/audit-log", get(audit_log))
        .route("/api/v1/admin/jobs", get(jobs_overview))
        .route("/api/v1/admin/analytics/usage", get(usage))
        .layer(axum::middleware::from_fn(
            crate::routes::invoices::refuse_nul_in_query,
        ))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<u32>,
    per_page: Option<u32>,
}

impl PageQuery {
    fn request(&self) -> PageRequest {
        let d = PageRequest::default();
        PageRequest::new(
            self.page.unwrap_or(d.page),
            self.per_page.unwrap_or(d.per_page),
        )
    }
}

async fn list_users(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(q): Query<PageQuery>,
) -> Result<Json<Listing<User>>, ApiError> {
    Ok(Json(Listing::from_page(
        &state.store.list_users(q.request()).await?,
    )))
}

#[derive(Debug, Serialize)]
struct UserDetail {
    user: User,
    invoices: u64,
    jobs: Value,
    /// The latest changes this user made, newest first.
    recent_actions: Vec<AuditEntry>,
}

async fn user_detail(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<Uuid>,
) -> Result<Json<UserDetail>, ApiError> {
    let user = state.store.get_user(id).await?;
    // The invoices and jobs of their personal workspace (which has their id).
    let scope = Scope::admin_of(id);
    let invoices = state
        .store
        .list_invoices(scope, &InvoiceFilter::default(), PageRequest::new(1, 1))
        .await?
        .total;
    let jobs = status_counts(&state.store.count_jobs_by_status(scope).await?);
    let recent_actions = state
        .store
        .list_audit(
            &AuditFilter {
                actor_id: Some(id),
                ..Default::default()
            },
            PageRequest::new(1, 10),
        )
        .await?
        .items;
    Ok(Json(UserDetail {
        user,
        invoices,
        jobs,
        recent_actions,
    }))
}

/// The fields an administrator may change; anything else in the body is refused, so a typo
/// does not pass for a no-op.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    is_active: Option<bool>,
    role: Option<String>,
}

fn user_audit_view(u: &User) -> Value {
    json!({ "is_active": u.is_active, "role": u.role })
}

async fn update_user(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<Uuid>,
    Json(patch): Json<UserPatch>,
) -> Result<Json<User>, ApiError> {
    let role = patch
        .role
        .as_deref()
        .map(|r| {
            Role::parse(r.trim()).ok_or_else(|| {
                ApiError::problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_role",
                    "`role` must be `user` or `admin`",
                )
            })
        })
        .transpose()?;
    if role.is_none() && patch.is_active.is_none() {
        return Err(ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing_to_change",
            "send `is_active` and/or `role`",
        ));
    }
    if id == caller.id() && (patch.is_active == Some(false) || role == Some(Role::User)) {
        return Err(ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "self_lockout",
            "administrators cannot deactivate or demote themselves; ask another administrator",
        ));
    }
    let before = state.store.get_user(id).await?;
    let after = state
        .store
        .update_user(
            id,
            UserUpdate {
                role,
                is_active: patch.is_active,
                ..Default::default()
            },
        )
        .await?;
    // Deactivation and role changes apply at once in every API process.
    state.credentials_changed(id).await;
    if before.is_active && !after.is_active {
        // The extractor already refuses an inactive user on every request; ending the
        // sessions as well means reactivation does not revive old browser sessions.
        state.store.delete_user_sessions(id, None).await?;
    }
    caller
        .audit(
            &state,
            "user.update",
            "user",
            Some(id.to_string()),
            Some(user_audit_view(&before)),
            Some(user_audit_view(&after)),
        )
        .await?;
    Ok(Json(after))
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

fn non_empty(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// An RFC 3339 instant, or a date meaning the start of that day (UTC); with `end_of_day`
/// a date means the start of the next day, so `to=2026-11-29` includes all of the 29th.
fn parse_instant(
    name: &str,
    v: Option<&String>,
    end_of_day: bool,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(s) = non_empty(v) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(&s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!(
            "`{name}` must be a date (2026-11-29) or an RFC 3339 time (2026-11-29T08:00:00Z)"
        ))
    })?;
    let day = if end_of_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
}

async fn audit_log(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Listing<AuditEntry>>, ApiError> {
    let actor_id = non_empty(q.actor.as_ref())
        .map(|a| {
            Uuid::parse_str(&a)
                .map_err(|_| ApiError::BadRequest("`actor` must be a user id (UUID)".into()))
        })
        .transpose()?;
    let filter = AuditFilter {
        actor_id,
        entity_type: non_empty(q.entity_type.as_ref()),
        entity_id: non_empty(q.entity_id.as_ref()),
        action: non_empty(q.action.as_ref()),
        from: parse_instant("from", q.from.as_ref(), false)?,
        to: parse_instant("to", q.to.as_ref(), true)?,
    };
    let page = PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .request();
    Ok(Json(Listing::from_page(
        &state.store.list_audit(&filter, page).await?,
    )))
}

/// `{"queued": n, …}` with every status present (0 when none), so clients need no defaults.
fn status_counts(counts: &[(JobStatus, u64)]) -> Value {
    let mut out = serde_json::Map::new();
    for s in JobStatus::ALL {
        let n = counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n);
        out.insert(s.to_string(), json!(n));
    }
    Value::Object(out)
}

#[derive(Debug, Serialize)]
struct JobsOverview {
    counts: Value,
    total: u64,
    workers: Vec<WorkerHeartbeat>,
    recent_failures: Vec<Value>,
    /// Running jobs by their current stage (`{"ocr": 2, …}`; stages with none left out).
    running_by_stage: Value,
    /// Failed jobs that used all their attempts (the worker monitor's count).
    dead_letters: u64,
}

fn failure_view(j: &JobRecord) -> Value {
    json!({
        "id": j.id,
        "owner_id": j.owner_id,
        "kind": j.kind,
        "stage": j.stage,
        "attempts": j.attempts,
        "error_code": j.error_code,
        "error": j.error,
        "filename": j.payload.get("filename"),
        "request_id": j.request_id,
        "created_at": j.created_at,
        "finished_at": j.finished_at,
    })
}

async fn jobs_overview(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<JobsOverview>, ApiError> {
    let counts = state.store.count_jobs_by_status(Scope::All).await?;
    let total = counts.iter().map(|(_, n)| n).sum();
    let since = Utc::now() - Duration::seconds(LIVE_WINDOW_SECS);
    let workers = state.store.live_workers(since).await?;
    let failures = state
        .store
        .list_jobs(
            Scope::All,
            &JobFilter {
                status: Some(JobStatus::Failed),
                ..Default::default()
            },
            PageRequest::new(1, RECENT_FAILURES),
        )
        .await?;
    let running_by_stage: serde_json::Map<String, Value> = state
        .store
        .count_running_by_stage()
        .await?
        .into_iter()
        .map(|(stage, n)| (stage.to_string(), json!(n)))
        .collect();
    let dead_letters = state.store.count_dead_letters().await?;
    Ok(Json(JobsOverview {
        counts: status_counts(&counts),
        total,
        workers,
        recent_failures: failures.items.iter().map(failure_view).collect(),
        running_by_stage: Value::Object(running_by_stage),
        dead_letters,
    }))
}

#[derive(Debug, Deserialize)]
struct UsageQuery {
    from: Option<String>,
    to: Option<String>,
    user: Option<String>,
    route: Option<String>,
}

#[derive(Debug, Serialize)]
struct UsageResponse {
    from: NaiveDate,
    to: NaiveDate,
    #[serde(flatten)]
    report: UsageReport,
}

fn parse_day(name: &str, v: Option<&String>) -> Result<Option<NaiveDate>, ApiError> {
    non_empty(v)
        .map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
                ApiError::BadRequest(format!("`{name}` must be a date like 2026-11-29"))
            })
        })
        .transpose()
}

async fn usage(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(q): Query<UsageQuery>,
) -> Result<Json<UsageResponse>, ApiError> {
    let today = Utc::now().date_naive();
    let to = parse_day("to", q.to.as_ref())?.unwrap_or(today);
    let from = parse_day("from", q.from.as_ref())?
        .unwrap_or_else(|| to - Duration::days(DEFAULT_USAGE_DAYS - 1));
    if from > to {
        return Err(ApiError::BadRequest("`from` is after `to`".into()));
    }
    let user_id = non_empty(q.user.as_ref())
        .map(|u| {
            Uuid::parse_str(&u)
                .map_err(|_| ApiError::BadRequest("`user` must be a user id (UUID)".into()))
        })
        .transpose()?;
    // Include this process's latest requests; other processes flush on their own timer.
    if let Err(e) = state.usage.flush(state.store.as_ref()).await {
        tracing::warn!(error = %e, "flushing usage counts before a report");
    }
    let report = state
        .store
        .usage_report(&UsageFilter {
            from: Some(from),
            to: Some(to),
            user_id,
            route: non_empty(q.route.as_ref()),
        })
        .await?;
    Ok(Json(UsageResponse { from, to, report }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_ranges_accept_dates_and_times() {
        let day = Some("2026-11-29".to_string());
        let from = parse_instant("from", day.as_ref(), false).expect("from");
        let to = parse_instant("to", day.as_ref(), true).expect("to");
        assert_eq!(
            from.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-29T00:00:00+00:00")
        );
        assert_eq!(
            to.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-30T00:00:00+00:00")
        );
        let t = Some("2026-11-29T08:30:00+01:00".to_string());
        assert_eq!(
            parse_instant("from", t.as_ref(), false)
                .expect("time")
                .map(|t| t.to_rfc3339())
                .as_deref(),
            Some("2026-11-29T07:30:00+00:00")
        );
        assert!(parse_instant("from", Some(&"yesterday".to_string()), false).is_err());
        assert_eq!(
            parse_instant("from", Some(&" ".to_string()), false).ok(),
            Some(None)
        );
    }

    #[test]
    fn every_status_is_counted() {
        let v = status_counts(&[(JobStatus::Failed, 2)]);
        assert_eq!(v["failed"], 2);
        assert_eq!(v["queued"], 0);
        assert_eq!(v.as_object().map(|o| o.len()), Some(5));
    }
}
