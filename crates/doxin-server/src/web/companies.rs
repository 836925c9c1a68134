//! Vendors and customers (`/companies`): the companies the pipeline matched invoices to, by
//! kind (tabs), with search (name or VAT id), pagination and how many invoices name each;
//! each links to the invoice list filtered to it.
//!
//! Gross totals come from the analytics API's top companies (the 100 largest per currency,
//! grouped by the name on the invoices) and are matched to the listed companies by name: a
//! company outside the top 100, or named differently on its invoices, shows no total.

use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
    let path = format!(
        "/api/v1/companies?kind={kind}&q={}&page={page}&per_page=25",
        url_encode(search)
    );
    let (listing, top) = tokio::join!(
        api.get(&viewer.caller, &path),
        api.get(
            &viewer.caller,
            "/api/v1/reports/analytics/top-companies?limit=100"
        ),
    );
    let mut listing = listing?;
    // Totals are a nicety: the list shows without them.
    let groups = top
        .ok()
        .map(|t| t[format!("{kind}s")].clone())
        .unwrap_or(Value::Null);
    if let Some(items) = listing["items"].as_array_mut() {
        for company in items {
            let totals = totals_of(&groups, company["name"].as_str().unwrap_or(""));
            company["totals"] = json!(totals);
        }
    }
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

/// The gross totals (one per currency) of the company called `name` in the analytics API's
/// groups (`[{"currency": …, "items": [{"name", "gross", …}]}]`), matched ignoring case.
fn totals_of(groups: &Value, name: &str) -> Vec<Value> {
    let name = name.trim().to_lowercase();
    groups
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| {
                    g["items"]
                        .as_array()?
                        .iter()
                        .find(|i| {
                            i["name"].as_str().map(|n| n.trim().to_lowercase())
                                == Some(name.clone())
                        })
                        .map(|i| json!({"gross": i["gross"], "currency": g["currency"]}))
                })
                .collect()
        })
        .unwrap_or_default()
}
