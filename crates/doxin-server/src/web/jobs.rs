//! The jobs page: every job of the viewer (an administrator's: all), filtered by state or by
//! how it ended (needs review, duplicate, failed), with progress, errors in words, cancel,
//! mark as read, and pagination over all of them. Rows of running jobs follow `/ws` live.

use axum::extract::{Path, Query};
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::api::ApiClient;
use super::session::{Viewer, WebError, safe_next, url_encode};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(list))
        .route("/jobs/read", post(mark_read))
        .route("/jobs/{id}/cancel", post(cancel))
}

/// The page's filter: one of the job states, or one of the outcomes of finished jobs.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct JobsQuery {
    show: Option<String>,
    unread: Option<String>,
    page: Option<u32>,
}

/// (value of `show`, label, API query)
const FILTERS: &[(&str, &str, &str)] = &[
    ("", "All", ""),
    ("running", "Running", "status=running"),
    ("queued", "Waiting", "status=queued"),
    ("needs_review", "Needs review", "outcome=needs_review"),
    ("approved", "Approved", "outcome=approved"),
    ("duplicate", "Duplicates", "outcome=duplicate"),
    ("failed", "Failed", "status=failed"),
    ("cancelled", "Cancelled", "status=cancelled"),
];

async fn list(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<JobsQuery>,
) -> Result<Response, WebError> {
    let show = q.show.clone().unwrap_or_default();
    let filter = FILTERS
        .iter()
        .find(|(v, _, _)| *v == show)
        .map_or("", |(_, _, api)| *api);
    let unread = q.unread.as_deref() == Some("1");
    let page = q.page.unwrap_or(1).max(1);
    let mut path = format!("/api/v1/jobs/my-jobs?per_page=25&page={page}");
    if !filter.is_empty() {
        path.push('&');
        path.push_str(filter);
    }
    if unread {
        path.push_str("&unread_only=true");
    }
    let jobs = api.get(&viewer.caller, &path).await?;
    let mut base = format!("/jobs?show={}", url_encode(&show));
    if unread {
        base.push_str("&unread=1");
    }
    base.push('&');
    let filters: Vec<_> = FILTERS
        .iter()
        .map(|(v, label, _)| json!({"value": v, "label": label, "current": *v == show}))
        .collect();
    Ok(viewer.render(
        "jobs.html",
        context! {
            title => "Jobs",
            jobs => jobs,
            filters => filters,
            show => show,
            unread_only => unread,
            page_base => base,
        },
    ))
}

#[derive(Debug, Deserialize)]
struct ReadForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// Comma-separated job ids; empty: every job shown on the page.
    #[serde(default)]
    job_ids: String,
    next: Option<String>,
}

async fn mark_read(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Form(form): Form<ReadForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    let ids: Vec<Uuid> = form
        .job_ids
        .split(',')
        .filter_map(|s| Uuid::parse_str(s.trim()).ok())
        .collect();
    api.send(
        &viewer.caller,
        Method::POST,
        "/api/v1/jobs/mark-as-read",
        Some(json!({ "job_ids": ids })),
    )
    .await?;
    Ok(Redirect::to(&safe_next(form.next.as_deref())).into_response())
}

#[derive(Debug, Deserialize)]
struct CancelForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    next: Option<String>,
}

async fn cancel(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Form(form): Form<CancelForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    api.send(
        &viewer.caller,
        Method::POST,
        &format!("/api/v1/jobs/{id}/cancel"),
        None,
    )
    .await?;
    Ok(Redirect::to(&safe_next(form.next.as_deref())).into_response())
}
