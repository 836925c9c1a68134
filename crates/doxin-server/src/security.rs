//! Response headers that make browsers safer with what DoxIn sends, and the CORS rule for
//! the one browser origin allowed to call the API with credentials.
//!
//! Every answer carries `X-Content-Type-Options: nosniff` (a JSON or text body is never run
//! as script or shown as HTML), `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'` (no
//! page can frame DoxIn to trick clicks, the setup page included), `Referrer-Policy:
//! no-referrer` (URLs with ids and tokens stay here), and a Content-Security-Policy:
//! - API answers (JSON, files, text): `default-src 'none'` — they are not pages, so nothing in
//!   them may load or run even if a browser renders one;
//! - Swagger UI (`/api/docs`): its scripts are files of its own (`script-src 'self'`, no inline
//!   script), styles may be inline because its components set style attributes (styles cannot
//!   run code), images may be `data:` (its icons), and it fetches the document (`connect-src
//!   'self'`);
//! - the web interface's pages set their own policy (`web::PAGE_CSP`): scripts and styles only
//!   from DoxIn's own files, no inline script or style at all.
//!
//! `Strict-Transport-Security` is sent when session cookies are `Secure`: that configuration
//! says DoxIn is reached over HTTPS, and HSTS keeps browsers from trying plain HTTP first.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The policy of every answer that is not a page.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// Swagger UI's policy (see the module comment for why each source is allowed).
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' \
    'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// One year, without `includeSubDomains`: DoxIn cannot know what else runs under its domain.
const HSTS: &str = "max-age=31536000";

/// What the header middleware needs to know.
#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy {
    /// Send HSTS (session cookies are `Secure`, so DoxIn is served over HTTPS).
    pub hsts: bool,
}

/// Adds the security headers to every answer (a policy a handler set itself is kept).
pub async fn add_headers(State(policy): State<HeaderPolicy>, req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with(crate::openapi::DOCS_PATH);
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    let csp = if docs { DOCS_CSP } else { API_CSP };
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(csp));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if policy.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    resp
}

/// CORS for exactly `origin` (`FRONTEND_URL`), with credentials, so that front end may call
/// the API with its session cookie; `None` when the origin is not a usable header value.
/// Without it no CORS header is sent at all and browsers keep other origins out.
pub fn cors(origin: &str) -> Option<CorsLayer> {
    let origin = HeaderValue::from_str(origin.trim_end_matches('/')).ok()?;
    Some(
        CorsLayer::new()
            // A predicate rather than `exact`: other origins then get no CORS header at all,
            // instead of the allowed origin echoed to them.
            .allow_origin(AllowOrigin::predicate(move |offered, _| offered == origin))
            .allow_credentials(true)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static(crate::auth::CSRF_HEADER),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                header::RETRY_AFTER,
                header::CONTENT_DISPOSITION,
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}
