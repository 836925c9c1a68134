//! Errors as RFC 9457 problem details (`application/problem+json`) with a stable `code`.

use axum::Json;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use doxin_store::StoreError;
use serde::Serialize;

/// An error a handler returns. Internal causes are logged with their chain and answered
/// with a generic message, so nothing internal reaches the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Any other problem with its own status and code (413, 415, 422, 429…).
    #[error("{detail}")]
    Problem {
        status: StatusCode,
        code: &'static str,
        detail: String,
        /// Seconds for a `Retry-After` header.
        retry_after: Option<u64>,
    },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn problem(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::Problem {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }
}

/// The problem-details body.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code.
    pub code: &'static str,
}

pub fn problem(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Response {
    let body = Problem {
        kind: format!("https://doxin.dev/problems/{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail: detail.into(),
        code,
    };
    let mut resp = (status, Json(body)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/problem+json"),
    );
    resp
}

impl ApiError {
    /// Status, code and detail of a client-facing error; `None` for an internal one, whose
    /// detail must not reach the client (it is logged when answered).
    pub fn parts(&self) -> Option<(StatusCode, &'static str, String)> {
        Some(match self {
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such resource".into(),
            ),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m.clone()),
            ApiError::Problem {
                status,
                code,
                detail,
                ..
            } => (*status, *code, detail.clone()),
            ApiError::Internal(_) => return None,
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Problem {
                status,
                code,
                detail,
                retry_after,
            } => {
                let mut resp = problem(status, code, detail);
                if let Some(secs) = retry_after {
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
                }
                resp
            }
            ApiError::Internal(e) => {
                let mut chain = e.to_string();
                let mut src = e.source();
                while let Some(s) = src {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    src = s.source();
                }
                tracing::error!(error = %chain, "internal error");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "an internal error occurred; it has been logged",
                )
            }
            other => match other.parts() {
                Some((status, code, detail)) => problem(status, code, detail),
                None => problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                ),
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict { constraint } => ApiError::Conflict(constraint),
            StoreError::InvalidState(m) => ApiError::Conflict(m),
            StoreError::Forbidden { role } => ApiError::problem(
                StatusCode::FORBIDDEN,
                "role_forbidden",
                format!("your role in this workspace ({role}) does not allow this"),
            ),
            StoreError::InvalidInput(m) => {
                ApiError::problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", m)
            }
            e if e.is_transient() => ApiError::Unavailable("the database is unavailable".into()),
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

/// The workspace lookups the API shares with the pipeline fail as the store does.
impl From<doxin_jobs::JobError> for ApiError {
    fn from(e: doxin_jobs::JobError) -> Self {
        match e {
            doxin_jobs::JobError::Store(e) => e.into(),
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

/// The fallback for unknown paths.
pub async fn not_found(uri: Uri) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", uri.path()),
    )
}

/// Turns the plain-text rejections of axum's extractors (a malformed JSON body, a bad query
/// string or path parameter, a missing content type) into problem details, so every error a
/// client sees has the same shape.
pub async fn problems_for_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let plain_text = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain_text {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let detail = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_FOUND => "not_found",
        _ if status.is_server_error() => "internal",
        _ => "request_refused",
    };
    let mut out = problem(status, code, detail);
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}
