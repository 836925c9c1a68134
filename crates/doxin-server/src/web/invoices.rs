//! The invoices page: filters, sort, pagination, full-text search with the terms
//! highlighted, a semantic-search toggle, and export of what is shown. The page's query
//! string uses the API's parameter names, so a filtered page is also a bookmark, and the
//! export link is the same query sent to the export route.

use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use minijinja::context;
use serde::Serialize;
use serde_json::{Value, json};

use super::api::ApiClient;
use super::session::{Viewer, WebError, url_encode};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/invoices", get(list))
}

/// The filters the page shows (everything else in the query is passed to the API as is).
#[derive(Debug, Default, Serialize)]
struct Filters {
    q: Option<String>,
    mode: Option<String>,
    status: Option<String>,
    vendor: Option<String>,
    currency: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
    min_amount: Option<String>,
    max_amount: Option<String>,
    uploader_ids: Option<String>,
    sort: Option<String>,
}

/// Query parameters of the page that only the page understands, or that a link sets itself.
const PAGE_ONLY: &[&str] = &["mode", "page"];

/// `raw` without empty values and without `drop`'s names: what links and the API get.
fn clean_query(raw: &str, drop: &[&str]) -> String {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            !v.is_empty() && !drop.contains(&k)
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn list(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let raw = raw.unwrap_or_default();
    let filters: Filters = serde_urlencoded_lenient(&raw);
    let q = filters
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty());
    let semantic = filters.mode.as_deref() == Some("semantic") && q.is_some();
    let api_query = clean_query(&raw, PAGE_ONLY);
    let page_query = clean_query(&raw, &["page"]);
    let with_page = clean_query(&raw, &[]);
    let page_number = with_page
        .split('&')
        .find_map(|p| p.strip_prefix("page="))
        .unwrap_or("1");
    let who = &viewer.caller;
    let (listing, error) = if semantic {
        let path = format!(
            "/api/v1/invoices/semantic-search?limit=50&q={}",
            url_encode(q.unwrap_or_default())
        );
        match api.get(who, &path).await {
            Ok(v) => (semantic_listing(v), None),
            Err(e) => (Value::Null, Some(e.message())),
        }
    } else {
        let route = if q.is_some() { "search" } else { "" };
        let path = if route.is_empty() {
            format!("/api/v1/invoices?{api_query}&page={page_number}")
        } else {
            format!("/api/v1/invoices/search?{api_query}&page={page_number}")
        };
        match api.get(who, &path).await {
            Ok(v) => (v, None),
            // A filter the API refuses (a bad date, say) is shown above an empty list.
            Err(e) if e.status.is_client_error() && e.status.as_u16() != 404 => {
                (Value::Null, Some(e.message()))
            }
            Err(e) => return Err(e.into()),
        }
    };
    // Semantic results are a ranking, not a filter: their export is the invoices shown.
    let export_query = if semantic {
        let ids: Vec<&str> = listing["items"]
            .as_array()
            .map(|items| items.iter().filter_map(|i| i["id"].as_str()).collect())
            .unwrap_or_default();
        format!("ids={}", ids.join(","))
    } else {
        clean_query(&raw, &["page", "sort", "mode", "per_page"])
    };
    Ok(viewer.render(
        "invoices.html",
        context! {
            title => "Invoices",
            f => filters,
            listing => listing,
            error => error,
            semantic => semantic,
            page_base => format!("/invoices?{}{}", page_query, if page_query.is_empty() { "" } else { "&" }),
            export_query => export_query,
            query_terms => q.map(terms).unwrap_or_default(),
        },
    ))
}

/// The filters out of the query string; a malformed pair is ignored (the API reports what
/// it cannot use).
fn serde_urlencoded_lenient(raw: &str) -> Filters {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    Filters {
        q: get("q"),
        mode: get("mode"),
        status: get("status"),
        vendor: get("vendor"),
        currency: get("currency"),
        date_from: get("date_from"),
        date_to: get("date_to"),
        min_amount: get("min_amount"),
        max_amount: get("max_amount"),
        uploader_ids: get("uploader_ids"),
        sort: get("sort"),
    }
}

/// Semantic search answers nearest invoices without pages; shown as one page.
fn semantic_listing(v: Value) -> Value {
    let items = v["items"].as_array().cloned().unwrap_or_default();
    let total = items.len();
    json!({
        "items": items,
        "pagination": {"page": 1, "pages": 1, "total": total, "has_next": false, "has_prev": false},
    })
}

/// The words of a search, for highlighting (longest first, so a longer term wins).
fn terms(q: &str) -> Vec<String> {
    let mut words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    words.dedup();
    words
}
