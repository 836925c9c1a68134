//! The pages read and change data through the REST API itself, in process: a page handler
//! sends the API router a request carrying the viewer's already-resolved [`Caller`] and
//! renders the JSON it answers. Every ownership check, validation, audit entry and error of
//! the API applies to the pages unchanged, and no query or rule is written twice.
//!
//! The request never leaves the process and skips the outer layers (request counting,
//! usage, telemetry), so a page is counted once, as the page.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use super::session::{WebError, capitalise};
use crate::auth::Caller;

/// Most bytes of an API answer a page reads (an export is downloaded by the browser itself).
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The API routes with their state, without the outer middleware.
#[derive(Clone)]
pub struct ApiClient {
    router: Router,
}

/// An API refusal as the page shows it: the status and the detail in words.
#[derive(Debug)]
pub struct ApiRefusal {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
}

impl ApiRefusal {
    pub fn message(&self) -> String {
        capitalise(&self.detail)
    }
}

impl From<ApiRefusal> for WebError {
    fn from(r: ApiRefusal) -> Self {
        match r.status {
            StatusCode::UNAUTHORIZED => WebError::SignIn {
                next: "/".into(),
                reason: Some("expired"),
            },
            StatusCode::NOT_FOUND => WebError::not_found(),
            _ if r.code == "account_inactive" => WebError::SignIn {
                next: "/".into(),
                reason: Some("inactive"),
            },
            status => WebError::page(
                status,
                status.canonical_reason().unwrap_or("Error"),
                r.message(),
            ),
        }
    }
}

impl ApiClient {
    pub fn new(router: Router) -> ApiClient {
        ApiClient { router }
    }

    /// `GET path` (with its query) as `caller`.
    pub async fn get(&self, caller: &Caller, path: &str) -> Result<Value, ApiRefusal> {
        self.send(caller, Method::GET, path, None).await
    }

    /// `method path` with a JSON body as `caller`.
    pub async fn send(
        &self,
        caller: &Caller,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ApiRefusal> {
        let mut req = Request::builder().method(method).uri(path);
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let mut req = req.body(body).map_err(|e| ApiRefusal {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request".into(),
            detail: format!("the request cannot be made: {e}"),
        })?;
        // The API's extractors take the caller from here (`auth::resolve_caller`): the page
        // has authenticated the session and checked the form's CSRF token already.
        req.extensions_mut().insert(caller.clone());
        self.send_request(req).await
    }

    /// Sends a request built by the page (a multipart upload, say) as `caller`.
    pub async fn send_request(&self, req: Request<Body>) -> Result<Value, ApiRefusal> {
        let resp = match self.router.clone().oneshot(req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        };
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), MAX_ANSWER_BYTES)
            .await
            .map_err(|e| ApiRefusal {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal".into(),
                detail: format!("the answer could not be read: {e}"),
            })?;
        let value: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        if status.is_success() {
            return Ok(value);
        }
        Err(ApiRefusal {
            status,
            code: value["code"].as_str().unwrap_or("error").to_string(),
            detail: value["detail"]
                .as_str()
                .unwrap_or("the request was refused")
                .to_string(),
        })
    }
}
