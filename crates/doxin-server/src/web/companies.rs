//! Vendors and customers (`/companies`): the companies the pipeline matched invoices to, by
//! kind (tabs), with search (name or VAT id), pagination and how many invoices name each;
//! each links to the invoice list filtered to it.

use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::api::ApiClient;
use super::session::{Viewer, WebError, url_encode};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/companies", get(list))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct ListQuery {
    kind: Option<String>,
    q: Option<String>,
    page: Option<u32>,
}

async fn list(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let kind = match q.kind.as_deref() {
        Some("customer") => "customer",
        _ => "vendor",
    };
    let search = q.q.as_deref().map(str::trim).unwrap_or("");
    let page = q.page.unwrap_or(1).max(1);
    let listing = api
        .get(
            &viewer.caller,
            &format!(
                "/api/v1/companies?kind={kind}&q={}&page={page}&per_page=25",
                url_encode(search)
            ),
        )
        .await?;
    Ok(viewer.render(
        "companies.html",
        context! {
            title => "Vendors & customers",
            kind => kind,
            q => search,
            companies => listing,
            page_base => format!("/companies?kind={kind}&q={}&", url_encode(search)),
        },
    ))
}
