//! The reports page: the viewer's reports (an administrator's: everyone's) with their state and
//! downloads, and a form to ask for a new one. Generation runs as a job on the queue; the page
//! shows each report's state when it is opened, and the jobs page follows the job live.

use axum::extract::{Path, Query};
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::api::ApiClient;
use super::session::{Viewer, WebError};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", get(list).post(create))
        .route("/reports/{id}/delete", post(remove))
}

/// (value of `report_type`, label) in the order the form offers them.
const TYPES: &[(&str, &str)] = &[
    (
        "financial",
        "Financial: amounts by period, currency and status",
    ),
    (
        "vat_summary",
        "VAT summary: taxable amounts and VAT per rate and period",
    ),
    (
        "ap_aging",
        "Accounts payable aging: open amounts by days past due",
    ),
    ("vendor_spend", "Vendor spend and concentration"),
    (
        "business_intelligence",
        "Key figures against the period before",
    ),
    ("sales", "Sales: by customer and territory"),
    (
        "profit_margin",
        "Profit margin (where product costs are given)",
    ),
];

const FORMATS: &[(&str, &str)] = &[
    ("xlsx", "Excel (XLSX, with charts)"),
    ("csv", "CSV"),
    ("pdf", "PDF"),
];

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    page: Option<u32>,
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "queued" => "The report is being prepared; it appears below when it is ready.",
        "deleted" => "Report deleted.",
        _ => return None,
    })
}

async fn list(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    render(
        &viewer,
        &api,
        q.page.unwrap_or(1),
        None,
        notice(q.done.as_deref()),
    )
    .await
}

async fn render(
    viewer: &Viewer,
    api: &ApiClient,
    page: u32,
    error: Option<String>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let page = page.max(1);
    let reports = api
        .get(
            &viewer.caller,
            &format!("/api/v1/reports?per_page=25&page={page}"),
        )
        .await?;
    let types: Vec<Value> = TYPES
        .iter()
        .map(|(v, l)| json!({ "value": v, "label": l }))
        .collect();
    let formats: Vec<Value> = FORMATS
        .iter()
        .map(|(v, l)| json!({ "value": v, "label": l }))
        .collect();
    Ok(viewer.render(
        "reports.html",
        context! {
            title => "Reports",
            reports => reports,
            types => types,
            formats => formats,
            page_base => "/reports?",
            error => error,
            notice => notice,
        },
    ))
}

/// The request for a report as the form sends it (every field optional but the type).
fn report_body(form: &[(String, String)]) -> Result<Value, String> {
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let kind = get("report_type").ok_or("Choose the kind of report.")?;
    let mut parameters = Map::new();
    for key in ["from", "to", "currency", "period"] {
        if let Some(v) = get(key) {
            parameters.insert(key.to_string(), json!(v));
        }
    }
    let formats: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "formats")
        .map(|(_, v)| v.as_str())
        .collect();
    if formats.is_empty() {
        return Err("Choose at least one format.".into());
    }
    let mut body = json!({
        "report_type": kind,
        "parameters": parameters,
        "formats": formats,
    });
    if let Some(t) = get("title") {
        body["title"] = json!(t);
    }
    Ok(body)
}

async fn create(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    viewer.check_csrf(csrf)?;
    let body = match report_body(&form) {
        Ok(body) => body,
        Err(e) => return render(&viewer, &api, 1, Some(e), None).await,
    };
    match api
        .send(&viewer.caller, Method::POST, "/api/v1/reports", Some(body))
        .await
    {
        Ok(_) => Ok(Redirect::to("/reports?done=queued").into_response()),
        // The API's words for what it refused (a date it cannot read, a full queue).
        Err(e) if e.status.is_client_error() && e.status.as_u16() != 404 => {
            render(&viewer, &api, 1, Some(e.message()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct DeleteForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn remove(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    api.send(
        &viewer.caller,
        Method::DELETE,
        &format!("/api/v1/reports/{id}"),
        None,
    )
    .await?;
    Ok(Redirect::to("/reports?done=deleted").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_form_becomes_the_apis_request() {
        let body = report_body(&form(&[
            ("report_type", "vat_summary"),
            ("title", " Q1 VAT "),
            ("from", "2026-01-01"),
            ("to", ""),
            ("formats", "xlsx"),
            ("formats", "pdf"),
        ]))
        .expect("body");
        assert_eq!(
            body,
            json!({
                "report_type": "vat_summary",
                "title": "Q1 VAT",
                "parameters": { "from": "2026-01-01" },
                "formats": ["xlsx", "pdf"],
            })
        );
        assert!(report_body(&form(&[("formats", "csv")])).is_err());
        assert!(report_body(&form(&[("report_type", "financial")])).is_err());
    }
}
