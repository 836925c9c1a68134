//! Reports generated in the background (`/api/v1/reports`): ask for one (a record and a job on
//! the queue, 202), follow it (the record, or `/ws` events `report.progress` and
//! `report.completed`), download its files, delete it; and saved parameter sets (templates).
//!
//! Ownership: a report is its creator's. Another user's report is not found (404), exactly as
//! an id that does not exist; a system administrator sees every report. The figures inside
//! cover the workspace the request acted in (every workspace for an administrator who named
//! none), fixed when the report is asked for.

use std::collections::BTreeSet;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::Datelike;
use doxin_jobs::{REPORT_JOB_KIND, ReportJob, ReportRunner};
use doxin_model::JobStatus;
use doxin_reports::report::{MAX_TOP, Params, ReportFormat, ReportKind};
use doxin_store::{
    NewJob, NewReport, NewReportTemplate, PageRequest, ReportOwner, ReportRecord, ReportTemplate,
    Scope, StoreError, WorkspaceRole,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::listing::Listing;
use crate::auth::Caller;
use crate::{ApiError, AppState};

/// Most companies one report may name.
pub const MAX_COMPANIES: usize = 100;
/// Most unit costs one report may carry.
pub const MAX_UNIT_COSTS: usize = 1_000;
/// Longest title or template name.
const MAX_TITLE_CHARS: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports", get(list).post(create))
        .route(
            "/api/v1/reports/templates",
            get(list_templates).post(create_template),
        )
        .route("/api/v1/reports/templates/{id}", delete(delete_template))
        .route("/api/v1/reports/{id}", get(detail).delete(remove))
        .route("/api/v1/reports/{id}/download", get(download))
}

/// Whose reports and templates the caller sees.
fn owner(caller: &Caller) -> ReportOwner {
    if caller.is_admin() {
        ReportOwner::All
    } else {
        ReportOwner::User(caller.id())
    }
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_report", detail)
}

/// A report as clients see it; `progress` comes from its job.
fn report_view(r: &ReportRecord, progress: Option<i16>) -> Value {
    json!({
        "id": r.id,
        "title": r.title,
        "report_type": r.report_type,
        "parameters": r.parameters,
        "formats": r.formats,
        "status": r.status,
        "progress": progress,
        "error": r.error,
        "summary": r.summary,
        "job_id": r.job_id,
        "websocket_url": r.job_id.map(|j| format!("/ws?job_id={j}")),
        "files": r.files.iter().map(|f| json!({
            "format": f.format,
            "content_type": f.content_type,
            "filename": f.filename,
            "size_bytes": f.size_bytes,
            "sha256": f.sha256,
            "download_url": format!("/api/v1/reports/{}/download?format={}", r.id, f.format),
        })).collect::<Vec<_>>(),
        "created_by": r.created_by,
        "workspace_id": r.workspace_id,
        "created_at": r.created_at,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
    })
}

fn template_view(t: &ReportTemplate) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "report_type": t.report_type,
        "parameters": t.parameters,
        "formats": t.formats,
        "created_by": t.created_by,
        "created_at": t.created_at,
    })
}

/// The report with its job's progress; a report whose job ended without it (cancelled, or
/// failed before the runner could say) takes the job's status.
async fn with_job(state: &AppState, mut r: ReportRecord) -> Result<Value, ApiError> {
    let Some(job_id) = r.job_id else {
        return Ok(report_view(&r, None));
    };
    let job = match state.store.get_job(job_id, Scope::All).await {
        Ok(job) => job,
        Err(StoreError::NotFound) => return Ok(report_view(&r, None)),
        Err(e) => return Err(e.into()),
    };
    if !r.status.is_terminal() && job.status.is_terminal() && job.status != JobStatus::Succeeded {
        ReportRunner::new(state.store.clone(), state.events.clone())
            .settle(&job, job.status, job.error.as_deref())
            .await;
        r.status = job.status;
        r.error.clone_from(&job.error);
    }
    Ok(report_view(&r, Some(job.progress)))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<u32>,
    per_page: Option<u32>,
}

impl PageQuery {
    fn page(&self) -> PageRequest {
        PageRequest::new(self.page.unwrap_or(1), self.per_page.unwrap_or(20))
    }
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = state.store.list_reports(owner(&caller), q.page()).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for r in &page.items {
        items.push(with_job(&state, r.clone()).await?);
    }
    let listing = Listing::of(&page, |_| Value::Null);
    let mut v = serde_json::to_value(listing).map_err(|e| ApiError::Internal(Box::new(e)))?;
    v["items"] = Value::Array(items);
    Ok(Json(v))
}

/// What may be asked for: everything optional except the type (from a template when named).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportBody {
    #[serde(default, alias = "type")]
    report_type: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default)]
    formats: Option<Vec<String>>,
    /// Fills in what the body leaves out.
    #[serde(default)]
    template_id: Option<Uuid>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateBody {
    name: String,
    #[serde(alias = "type")]
    report_type: String,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default)]
    formats: Option<Vec<String>>,
}

fn check_text(name: &str, text: &str) -> Result<String, ApiError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > MAX_TITLE_CHARS || t.chars().any(char::is_control) {
        return Err(invalid(format!(
            "`{name}` must be 1 to {MAX_TITLE_CHARS} characters without control characters"
        )));
    }
    Ok(t.to_string())
}

fn check_kind(raw: &str) -> Result<ReportKind, ApiError> {
    ReportKind::parse(raw.trim()).ok_or_else(|| {
        invalid(format!(
            "unknown report type {raw:?}: use one of {}",
            ReportKind::ALL.map(ReportKind::as_str).join(", ")
        ))
    })
}

/// The formats asked for, in a stable order without repeats (default: all of them).
fn check_formats(raw: Option<&[String]>) -> Result<Vec<String>, ApiError> {
    let Some(raw) = raw else {
        return Ok(ReportFormat::ALL.map(|f| f.as_str().to_string()).to_vec());
    };
    let mut out = BTreeSet::new();
    for f in raw {
        let format = ReportFormat::parse(&f.trim().to_ascii_lowercase())
            .ok_or_else(|| invalid(format!("unknown format {f:?}: use xlsx, csv or pdf")))?;
        out.insert(format);
    }
    if out.is_empty() {
        return Err(invalid("`formats` must name at least one format"));
    }
    Ok(out.into_iter().map(|f| f.as_str().to_string()).collect())
}

/// Parameters checked and written back in their canonical form.
fn check_params(raw: Option<&Value>) -> Result<Value, ApiError> {
    let raw = raw.cloned().unwrap_or_else(|| json!({}));
    let mut p: Params = serde_json::from_value(raw)
        .map_err(|e| invalid(format!("`parameters` cannot be read: {e}")))?;
    for (name, d) in [("from", p.from), ("to", p.to), ("as_of", p.as_of)] {
        if d.is_some_and(|d| !(1..=9999).contains(&d.year())) {
            return Err(invalid(format!("`{name}` must be in the years 1 to 9999")));
        }
    }
    if let (Some(from), Some(to)) = (p.from, p.to)
        && from > to
    {
        return Err(invalid("`from` is after `to`"));
    }
    if let Some(c) = &p.currency {
        let c = c.trim().to_ascii_uppercase();
        if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
            return Err(invalid("`currency` must be a three-letter ISO 4217 code"));
        }
        p.currency = Some(c);
    }
    if p.companies.len() > MAX_COMPANIES {
        return Err(invalid(format!(
            "`companies` may name at most {MAX_COMPANIES} companies"
        )));
    }
    if p.top.is_some_and(|t| !(1..=MAX_TOP).contains(&t)) {
        return Err(invalid(format!("`top` must be from 1 to {MAX_TOP}")));
    }
    p.companies.sort();
    p.companies.dedup();
    if p.unit_costs.len() > MAX_UNIT_COSTS {
        return Err(invalid(format!(
            "`unit_costs` may hold at most {MAX_UNIT_COSTS} products"
        )));
    }
    for c in &mut p.unit_costs {
        c.product = check_text("unit_costs[].product", &c.product)?;
        let currency = c.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|ch| ch.is_ascii_uppercase()) {
            return Err(invalid(
                "`unit_costs[].currency` must be a three-letter ISO 4217 code",
            ));
        }
        c.currency = currency;
        if c.unit_cost.is_sign_negative() {
            return Err(invalid("`unit_costs[].unit_cost` must not be negative"));
        }
    }
    serde_json::to_value(&p).map_err(|e| ApiError::Internal(Box::new(e)))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<ReportBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(WorkspaceRole::Viewer)?;
    let scope = caller.scope();
    // A user in no workspace has nothing to report on (their scope is a workspace nobody has).
    if scope.workspace().is_some() && caller.workspace_id().is_none() {
        return Err(ApiError::from(StoreError::Forbidden {
            role: WorkspaceRole::Viewer,
        }));
    }
    // Reports wait in the same queue as documents: the same limit.
    super::intake::refuse_when_full(&state).await?;
    let template = match body.template_id {
        Some(id) => Some(state.store.get_report_template(id, owner(&caller)).await?),
        None => None,
    };
    let kind_raw = body
        .report_type
        .clone()
        .or_else(|| template.as_ref().map(|t| t.report_type.clone()))
        .ok_or_else(|| invalid("`report_type` is required"))?;
    let kind = check_kind(&kind_raw)?;
    let parameters = check_params(
        body.parameters
            .as_ref()
            .or(template.as_ref().map(|t| &t.parameters)),
    )?;
    let formats = check_formats(
        body.formats
            .as_deref()
            .or(template.as_ref().map(|t| t.formats.as_slice())),
    )?;
    let title = match body.title.as_deref() {
        Some(t) => check_text("title", t)?,
        None => template
            .as_ref()
            .map_or_else(|| kind.default_title().to_string(), |t| t.name.clone()),
    };
    let report = state
        .store
        .create_report(NewReport {
            created_by: caller.id(),
            workspace_id: scope.workspace(),
            title,
            report_type: kind.as_str().to_string(),
            parameters,
            formats,
        })
        .await?;
    let job = match state
        .store
        .create_job(NewJob {
            owner_id: Some(caller.id()),
            workspace_id: scope.workspace(),
            file_id: None,
            kind: REPORT_JOB_KIND.to_string(),
            payload: serde_json::to_value(ReportJob {
                report_id: report.id,
                name: report.title.clone(),
            })
            .map_err(|e| ApiError::Internal(Box::new(e)))?,
            max_attempts: i32::try_from(state.limits.max_attempts).unwrap_or(3),
            request_id: caller.request_id.clone(),
        })
        .await
    {
        Ok(job) => job,
        Err(e) => {
            // No job, no report: the record must not wait for one forever.
            let failed = doxin_store::ReportUpdate {
                status: Some(JobStatus::Failed),
                error: Some("the report could not be queued".into()),
                ..Default::default()
            };
            if let Err(e2) = state.store.update_report(report.id, failed).await {
                tracing::warn!(report_id = %report.id, error = %e2, "report left queued without a job");
            }
            return Err(e.into());
        }
    };
    let report = state
        .store
        .update_report(
            report.id,
            doxin_store::ReportUpdate {
                job_id: Some(job.id),
                ..Default::default()
            },
        )
        .await?;
    if let Err(e) = state.queue.enqueue(job.id).await {
        // The row is queued; the reconciler sends it once the broker is back.
        tracing::warn!(job_id = %job.id, error = %e, "report job stored but not yet sent to the queue");
    }
    caller
        .audit(
            &state,
            "report.create",
            "report",
            Some(report.id.to_string()),
            None,
            Some(json!({"report_type": report.report_type, "parameters": report.parameters})),
        )
        .await?;
    let mut view = report_view(&report, Some(0));
    view["status_url"] = json!(format!("/api/v1/reports/{}", report.id));
    Ok((StatusCode::ACCEPTED, Json(view)))
}

async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let report = state.store.get_report(id, owner(&caller)).await?;
    Ok(Json(with_job(&state, report).await?))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let report = state.store.get_report(id, owner(&caller)).await?;
    // A report still being made: its job is cancelled first, so no worker saves files for
    // a record that is gone.
    if let Some(job_id) = report.job_id
        && !report.status.is_terminal()
        && let Ok(job) = state.store.get_job(job_id, Scope::All).await
        && !job.status.is_terminal()
    {
        match super::jobs::cancel_job(&state, &caller, &job).await {
            Ok(_) | Err(ApiError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    state.store.delete_report(id, owner(&caller)).await?;
    caller
        .audit(
            &state,
            "report.delete",
            "report",
            Some(id.to_string()),
            Some(json!({"title": report.title, "report_type": report.report_type})),
            None,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct DownloadQuery {
    format: Option<String>,
}

async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<DownloadQuery>,
) -> Result<Response, ApiError> {
    let raw = q.format.as_deref().map(str::trim).unwrap_or("");
    let format = ReportFormat::parse(&raw.to_ascii_lowercase())
        .ok_or_else(|| ApiError::BadRequest("`format` is required: xlsx or csv".into()))?;
    let report = state.store.get_report(id, owner(&caller)).await?;
    if report.status != JobStatus::Succeeded {
        return Err(ApiError::problem(
            StatusCode::CONFLICT,
            "report_not_ready",
            format!(
                "the report is {}; files are ready once it succeeded",
                report.status
            ),
        ));
    }
    let file = state
        .store
        .get_report_file(id, owner(&caller), format.as_str())
        .await?;
    let mut resp = file.content.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        crate::download::attachment(&file.info.filename, "report", format.as_str()),
    );
    // Reports hold invoice figures: no shared caches.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}

async fn list_templates(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = state
        .store
        .list_report_templates(owner(&caller), q.page())
        .await?;
    Ok(Json(
        serde_json::to_value(Listing::of(&page, template_view))
            .map_err(|e| ApiError::Internal(Box::new(e)))?,
    ))
}

async fn create_template(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<TemplateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = check_text("name", &body.name)?;
    let kind = check_kind(&body.report_type)?;
    let parameters = check_params(body.parameters.as_ref())?;
    let formats = check_formats(body.formats.as_deref())?;
    let t = state
        .store
        .create_report_template(NewReportTemplate {
            created_by: caller.id(),
            name,
            report_type: kind.as_str().to_string(),
            parameters,
            formats,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(template_view(&t))))
}

async fn delete_template(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_report_template(id, owner(&caller))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked_and_canonical() {
        let p =
            check_params(Some(&json!({"currency": "eur", "from": "2026-01-01"}))).expect("params");
        assert_eq!(p, json!({"currency": "EUR", "from": "2026-01-01"}));
        assert!(check_params(Some(&json!({"from": "2026-02-01", "to": "2026-01-01"}))).is_err());
        assert!(check_params(Some(&json!({"currency": "EURO"}))).is_err());
        assert!(check_params(Some(&json!({"top": 0}))).is_err());
        assert!(check_params(Some(&json!({"nope": 1}))).is_err());
        assert_eq!(
            check_formats(Some(&["CSV".into(), "xlsx".into(), "csv".into()])).expect("formats"),
            ["xlsx", "csv"]
        );
        assert!(check_formats(Some(&["docx".into()])).is_err());
        assert!(check_formats(Some(&[])).is_err());
    }
}
