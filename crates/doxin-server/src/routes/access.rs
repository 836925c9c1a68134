//! Who may join: administrators mint single-use access codes and decide access requests
//! (`/api/v1/admin/access-codes`, `/api/v1/admin/access-requests`). An approved request gets
//! a fresh code and an invitation link to the sign-up page, mailed when SMTP is configured
//! (`"emailed": true`), else returned to the administrator to pass on. A rejection may give
//! a reason (`{"reason": "…"}`), kept in the audit log with the decision.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use doxin_store::{
    AccessCode, AccessDecision, AccessRequestStatus, NewAccessCode, PageRequest, WorkspaceGrant,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::listing::Listing;
use crate::auth::{Admin, Caller, secrets};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/access-codes",
            get(list_codes).post(create_codes),
        )
        .route("/api/v1/admin/access-codes/{id}", delete(revoke_code))
        .route("/api/v1/admin/access-requests", get(list_requests))
        .route("/api/v1/admin/access-requests/{id}/approve", post(approve))
        .route("/api/v1/admin/access-requests/{id}/reject", post(reject))
}

pub(crate) fn code_view(c: &AccessCode) -> Value {
    let now = Utc::now();
    let state = if c.used_at.is_some() {
        "used"
    } else if c.revoked_at.is_some() {
        "revoked"
    } else if c.expires_at <= now {
        "expired"
    } else {
        "active"
    };
    json!({
        "id": c.id,
        "hint": c.hint,
        "note": c.note,
        "state": state,
        "created_by": c.created_by,
        "created_at": c.created_at,
        "expires_at": c.expires_at,
        "used_at": c.used_at,
        "used_by": c.used_by,
        "revoked_at": c.revoked_at,
        "grant": c.grant.as_ref().map(|g| json!({
            "workspace_id": g.workspace_id,
            "role": g.role,
            "approval_limit": g.approval_limit.map(|l| l.to_string()),
        })),
    })
}

#[derive(Debug, Deserialize)]
struct NewCodes {
    expires_in_days: Option<u32>,
    note: Option<String>,
    /// How many codes to mint at once (1 to 100).
    count: Option<u32>,
}

/// Mints a code and returns it in clear, once, next to its record. With a `grant`, the code
/// is an invitation into that workspace; without, it opens a workspace of the new user's own.
pub(crate) async fn mint(
    state: &AppState,
    by: &Caller,
    ttl: Duration,
    note: Option<String>,
    grant: Option<WorkspaceGrant>,
) -> Result<(String, AccessCode), ApiError> {
    let code = secrets::new_access_code();
    let record = state
        .store
        .create_access_code(NewAccessCode {
            code_hash: secrets::sha256_hex(&code),
            hint: format!("{}…", &code[..4]),
            note,
            created_by: Some(by.id()),
            expires_at: Utc::now() + ttl,
            grant,
        })
        .await?;
    by.audit(
        state,
        "access_code.create",
        "access_code",
        Some(record.id.to_string()),
        None,
        Some(code_view(&record)),
    )
    .await?;
    Ok((code, record))
}

async fn create_codes(
    State(state): State<AppState>,
    admin: Admin,
    Json(body): Json<NewCodes>,
) -> Result<Response, ApiError> {
    let ttl = match body.expires_in_days {
        None => state.auth.settings.access_code_ttl,
        Some(d @ 1..=365) => Duration::days(i64::from(d)),
        Some(_) => {
            return Err(ApiError::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "expires_in_days must be 1 to 365",
            ));
        }
    };
    let count = body.count.unwrap_or(1);
    if !(1..=100).contains(&count) {
        return Err(ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "count must be 1 to 100",
        ));
    }
    let note = body.note.map(|n| super::auth::free_text(&n, 500));
    let mut items = Vec::new();
    for _ in 0..count {
        let (code, record) = mint(&state, &admin.0, ttl, note.clone(), None).await?;
        let mut view = code_view(&record);
        view["code"] = json!(code);
        items.push(view);
    }
    Ok((StatusCode::CREATED, Json(json!({ "items": items }))).into_response())
}

#[derive(Debug, Deserialize)]
struct Paging {
    page: Option<u32>,
    per_page: Option<u32>,
    status: Option<String>,
}

impl Paging {
    fn request(&self) -> PageRequest {
        PageRequest::new(self.page.unwrap_or(1), self.per_page.unwrap_or(20))
    }
}

async fn list_codes(
    State(state): State<AppState>,
    _admin: Admin,
    Query(q): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    let page = state.store.list_access_codes(q.request()).await?;
    Ok(Json(json!(Listing::of(&page, code_view))))
}

async fn revoke_code(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let revoked = state.store.revoke_access_code(id).await?;
    let view = code_view(&revoked);
    admin
        .0
        .audit(
            &state,
            "access_code.revoke",
            "access_code",
            Some(id.to_string()),
            None,
            Some(view.clone()),
        )
        .await?;
    Ok(Json(view))
}

async fn list_requests(
    State(state): State<AppState>,
    _admin: Admin,
    Query(q): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("") | Some("all") => None,
        Some(s) => Some(AccessRequestStatus::parse(s).ok_or_else(|| {
            ApiError::BadRequest("status must be pending, approved, rejected or all".into())
        })?),
    };
    let page = state
        .store
        .list_access_requests(status, q.request())
        .await?;
    Ok(Json(json!(Listing::from_page(&page))))
}

fn decided(e: doxin_store::StoreError) -> ApiError {
    match e {
        doxin_store::StoreError::InvalidState(m) => {
            ApiError::problem(StatusCode::CONFLICT, "already_decided", m)
        }
        other => other.into(),
    }
}

async fn approve(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let request = state.store.get_access_request(id).await?;
    if request.status != AccessRequestStatus::Pending {
        return Err(ApiError::problem(
            StatusCode::CONFLICT,
            "already_decided",
            "the access request was already decided",
        ));
    }
    let (code, record) = mint(
        &state,
        &admin.0,
        state.auth.settings.access_code_ttl,
        Some(format!("access request of {}", request.email)),
        None,
    )
    .await?;
    let before = serde_json::to_value(&request).ok();
    let request = state
        .store
        .decide_access_request(
            id,
            AccessDecision {
                status: AccessRequestStatus::Approved,
                decided_by: admin.0.id(),
                access_code_id: Some(record.id),
            },
        )
        .await
        .map_err(decided)?;
    let after = serde_json::to_value(&request).ok();
    admin
        .0
        .audit(
            &state,
            "access_request.approve",
            "access_request",
            Some(id.to_string()),
            before,
            after,
        )
        .await?;
    let link = format!(
        "{}/register?code={code}&email={}",
        state.auth.settings.public_url,
        url_encode(&request.email)
    );
    // Mailed when a server is configured; otherwise (or if sending fails) the administrator
    // gets the link to pass on. The approval stands either way.
    let mail_error = match &state.mailer {
        Some(mailer) => match mailer
            .send_invitation(&request.email, &request.name, &link)
            .await
        {
            Ok(()) => None,
            Err(e) => {
                tracing::warn!(error = %e, request_id = %id, "invitation not mailed");
                Some(e.to_string())
            }
        },
        None => Some("no mail server is configured (SMTP_HOST)".to_string()),
    };
    let emailed = mail_error.is_none() && state.mailer.is_some();
    let mut body = json!({ "request": request, "emailed": emailed });
    if !emailed {
        body["access_code"] = json!(code);
        body["invitation_link"] = json!(link);
        body["email_error"] = json!(mail_error);
    }
    Ok(Json(body))
}

/// Why a request is refused, kept in the audit log beside the decision.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rejection {
    reason: Option<String>,
}

async fn reject(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<Uuid>,
    body: Option<Json<Rejection>>,
) -> Result<Json<Value>, ApiError> {
    let reason = body
        .and_then(|Json(b)| b.reason)
        .map(|r| super::auth::free_text(&r, 1000))
        .filter(|r| !r.is_empty());
    let before = serde_json::to_value(state.store.get_access_request(id).await?).ok();
    let request = state
        .store
        .decide_access_request(
            id,
            AccessDecision {
                status: AccessRequestStatus::Rejected,
                decided_by: admin.0.id(),
                access_code_id: None,
            },
        )
        .await
        .map_err(decided)?;
    let mut after = serde_json::to_value(&request).ok();
    if let (Some(Value::Object(view)), Some(reason)) = (after.as_mut(), reason.as_ref()) {
        view.insert("reason".into(), json!(reason));
    }
    admin
        .0
        .audit(
            &state,
            "access_request.reject",
            "access_request",
            Some(id.to_string()),
            before,
            after,
        )
        .await?;
    Ok(Json(json!({ "request": request, "reason": reason })))
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
