//! The web interface: the pages a finance team works in, served by `doxin serve` at `/`
//! beside the API (which stays under `/api`).
//!
//! - Pages are rendered on the server from minijinja templates ([`render`]) and work
//!   without JavaScript for reading, filtering, uploading by form and deciding; small scripts
//!   (`web/assets/*.js`) add live progress, highlights, drag and drop and shortcuts.
//! - Pages get their data from the API in process ([`api`]), so the API's checks apply.
//! - Every page needs a browser session ([`session::Viewer`]); a signed-out visit is sent to
//!   sign-in, a non-administrator gets a 403 page on administration pages, and every form
//!   carries the session's CSRF token.
//! - Scripts and styles come only from DoxIn's own embedded files ([`assets`]), so the
//!   Content-Security-Policy allows no inline script or style.

mod account;
mod admin;
mod analytics;
mod api;
mod assets;
mod auth_pages;
mod companies;
mod dashboard;
mod invoices;
mod jobs;
mod render;
mod reports;
mod review;
mod session;
mod setup;
mod upload;
mod workspace;

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

pub use api::ApiClient;
pub use render::PAGE_CSP;
pub use session::Viewer;

use crate::AppState;

/// The pages, reading and writing through `api`.
pub fn router(state: &AppState, api: ApiClient) -> Router<AppState> {
    Router::new()
        .route("/assets/{file}", get(assets::serve))
        .merge(auth_pages::router())
        .merge(dashboard::router())
        .merge(invoices::router())
        .merge(jobs::router())
        .merge(reports::router())
        .merge(analytics::router())
        .merge(setup::router())
        .merge(upload::router(state))
        .merge(review::router())
        .merge(admin::router())
        .merge(account::router())
        .merge(workspace::router())
        .merge(companies::router())
        .layer(Extension(api))
}

/// Unknown paths: problem details under `/api`, a page elsewhere.
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api") {
        return crate::error::not_found(uri).await;
    }
    session::WebError::page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address. Check the link, or start from the dashboard.",
    )
    .into_response()
}
