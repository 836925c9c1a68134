//! Who is looking at a page: the [`Viewer`] extractor (a signed-in, active user with a
//! browser session), the form CSRF check, and [`WebError`], which turns every refusal into
//! what a browser should get — a redirect to sign-in, or an error page in words.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use doxin_store::{JobFilter, Membership, PageRequest};
use minijinja::{Value, context};
use serde::Serialize;

use super::render;
use crate::auth::{self, Caller, Credential, CsrfFrom};
use crate::{ApiError, AppState};

/// The cookie that remembers which workspace the pages act in (the API's `X-Workspace-Id`).
pub const WORKSPACE_COOKIE: &str = "doxin_workspace";
/// `light`, `dark`, or absent (follow the system).
pub const THEME_COOKIE: &str = "doxin_theme";

/// A signed-in, active user looking at a page with a browser session.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub caller: Caller,
    /// The session's CSRF token, written into every form as `_csrf`.
    pub csrf: String,
    pub theme: Option<&'static str>,
    /// The path and query of the page (for the navigation's current entry, and `next`).
    pub path: String,
    pub workspaces: Vec<Membership>,
    /// Finished jobs the viewer has not looked at (the navigation's badge).
    pub unread: u64,
}

impl Viewer {
    /// A form's CSRF token must be the session's: a page of another site can post a form
    /// here with the cookie, but cannot read the token.
    pub fn check_csrf(&self, offered: &str) -> Result<(), WebError> {
        if auth::secrets::constant_time_eq(offered, &self.csrf) {
            Ok(())
        } else {
            Err(WebError::page(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The page was open too long or in another session. Go back, reload it and try again.",
            ))
        }
    }

    pub fn is_admin(&self) -> bool {
        self.caller.is_admin()
    }

    /// 403 page unless the viewer administers the system.
    pub fn require_admin(&self) -> Result<(), WebError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(WebError::page(
                StatusCode::FORBIDDEN,
                "Administrators only",
                "This page is for administrators of DoxIn. Ask one if you need something done here.",
            ))
        }
    }

    /// What every page's layout needs: who is signed in, the CSRF token, the theme, the
    /// current path and workspace, and the navigation badge.
    pub fn base(&self) -> Value {
        let user = &self.caller.user;
        let current = self.caller.workspace.as_ref();
        let workspaces: Vec<WorkspaceChoice> = self
            .workspaces
            .iter()
            .map(|m| WorkspaceChoice {
                id: m.workspace_id.to_string(),
                name: m.workspace_name.clone(),
                current: current.is_some_and(|c| c.workspace_id == m.workspace_id),
            })
            .collect();
        context! {
            me => context! {
                id => user.id.to_string(),
                email => user.email.clone(),
                name => user.display_name.clone(),
                admin => self.is_admin(),
            },
            csrf => self.csrf.clone(),
            theme => self.theme,
            path => self.path.clone(),
            here => self.path.split('?').next().unwrap_or("/").to_string(),
            workspace => current.map(|m| context! {
                id => m.workspace_id.to_string(),
                name => m.workspace_name.clone(),
                role => m.role.to_string(),
            }),
            workspaces => workspaces,
            unread => self.unread,
        }
    }

    /// Renders `template` with the layout's context and `page`'s.
    pub fn render(&self, template: &str, page: Value) -> Response {
        render::page(StatusCode::OK, template, context! { ..page, ..self.base() })
    }
}

#[derive(Serialize)]
struct WorkspaceChoice {
    id: String,
    name: String,
    current: bool,
}

/// The theme a request asks for by cookie.
pub fn theme(parts_headers: &axum::http::HeaderMap) -> Option<&'static str> {
    match auth::cookie(parts_headers, THEME_COOKIE).as_deref() {
        Some("dark") => Some("dark"),
        Some("light") => Some("light"),
        _ => None,
    }
}

fn path_of(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_string(), |p| p.as_str().to_string())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let path = path_of(parts);
        let sign_in = |reason| WebError::SignIn {
            next: path.clone(),
            reason,
        };
        // Pages are for browser sessions only: a bearer token is an API client's credential.
        if auth::cookie(&parts.headers, auth::SESSION_COOKIE).is_none() {
            return Err(sign_in(None));
        }
        parts.headers.remove(header::AUTHORIZATION);
        // The workspace chosen on the pages, unless the request names one itself.
        if !parts.headers.contains_key(auth::WORKSPACE_HEADER)
            && let Some(ws) = auth::cookie(&parts.headers, WORKSPACE_COOKIE)
            && let Ok(value) = HeaderValue::from_str(&ws)
        {
            parts.headers.insert(auth::WORKSPACE_HEADER, value);
            // An outer layer (usage counting) may have resolved the caller already, without
            // the workspace: resolve again with it.
            parts.extensions.remove::<Caller>();
        }
        let caller = match auth::resolve_caller(parts, state, CsrfFrom::Form).await {
            Ok(caller) => caller,
            // A remembered workspace the user has left: fall back to their own.
            Err(ApiError::Problem { code, .. })
                if code == "workspace_not_found" || code == "invalid_workspace" =>
            {
                parts.headers.remove(auth::WORKSPACE_HEADER);
                auth::resolve_caller(parts, state, CsrfFrom::Form)
                    .await
                    .map_err(|e| WebError::from_api(e, &path))?
            }
            Err(e) => return Err(WebError::from_api(e, &path)),
        };
        let Credential::Session { csrf_token, .. } = &caller.credential else {
            return Err(sign_in(None));
        };
        // The layout's workspace list and unread badge, read side by side.
        let unread_filter = JobFilter {
            status: None,
            unread_only: true,
            outcome: None,
        };
        let (workspaces, unread) = tokio::join!(
            state.store.memberships_of(caller.id()),
            state
                .store
                .list_jobs(caller.scope(), &unread_filter, PageRequest::new(1, 1)),
        );
        let workspaces = workspaces.map_err(|e| WebError::from_api(e.into(), &path))?;
        let unread = unread
            .map_err(|e| WebError::from_api(e.into(), &path))?
            .total;
        Ok(Viewer {
            unread,
            csrf: csrf_token.clone(),
            theme: theme(&parts.headers),
            path,
            workspaces,
            caller,
        })
    }
}

/// What a page answers instead of itself.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in (or no longer allowed to be): to the sign-in page, coming back to `next`.
    SignIn {
        next: String,
        reason: Option<&'static str>,
    },
    /// An error page with a status, a title and what to do, in words.
    Page {
        status: StatusCode,
        title: String,
        detail: String,
    },
}

impl WebError {
    pub fn page(status: StatusCode, title: impl Into<String>, detail: impl Into<String>) -> Self {
        WebError::Page {
            status,
            title: title.into(),
            detail: detail.into(),
        }
    }

    pub fn not_found() -> Self {
        WebError::page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is nothing here, or it is not yours to see.",
        )
    }

    /// An API refusal as a browser should see it; `path` is where to come back after
    /// signing in.
    pub fn from_api(e: ApiError, path: &str) -> Self {
        match e.parts() {
            Some((StatusCode::UNAUTHORIZED, _, _)) => WebError::SignIn {
                next: path.to_string(),
                reason: Some("expired"),
            },
            Some((_, "account_inactive", _)) => WebError::SignIn {
                next: "/".into(),
                reason: Some("inactive"),
            },
            Some((StatusCode::NOT_FOUND, _, _)) => WebError::not_found(),
            Some((status, _, detail)) => WebError::page(
                status,
                status.canonical_reason().unwrap_or("Error"),
                capitalise(&detail),
            ),
            None => {
                // Logged with its cause by the API error's own response.
                let _ = e.into_response();
                WebError::page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The error has been logged. Try again in a moment.",
                )
            }
        }
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError::from_api(e, "/")
    }
}

/// API details are written in lower case to be embedded in sentences; a page shows them alone.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

/// Only a path on this site is a place to come back to (`//evil.example` is not).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_string()
        }
        _ => "/".into(),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next, reason } => {
                let mut to = format!(
                    "/login?next={}",
                    url_encode(&safe_next(Some(next.as_str())))
                );
                if let Some(reason) = reason {
                    to.push_str("&reason=");
                    to.push_str(reason);
                }
                let mut resp = Redirect::to(&to).into_response();
                if reason == Some("inactive") || reason == Some("expired") {
                    for cookie in auth::clear_session_cookies() {
                        resp.headers_mut().append(header::SET_COOKIE, cookie);
                    }
                }
                resp
            }
            WebError::Page {
                status,
                title,
                detail,
            } => render::page(
                status,
                "error.html",
                context! { title => title, detail => detail, status => status.as_u16() },
            ),
        }
    }
}

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/invoices?q=x")), "/invoices?q=x");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(url_encode("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }
}
