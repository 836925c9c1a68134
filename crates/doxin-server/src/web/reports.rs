//! The reports page: the viewer's reports (an administrator's: everyone's) with their state and
//! downloads, a form to ask for a new one or to save its settings as a named template, and the
//! viewer's templates, each prepared with one click or deleted. Generation runs as a job on
//! the queue; the page shows each report's state when it is opened, and the jobs page follows
//! the job live.

use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::api::{ApiClient, ApiRefusal};
use super::session::{Viewer, WebError};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", get(list).post(create))
        .route("/reports/{id}/delete", post(remove))
        .route("/reports/templates", post(save_template))
        .route("/reports/templates/{id}/use", post(use_template))
        .route("/reports/templates/{id}/delete", post(remove_template))
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
        "template-saved" => "Template saved: prepare a report from it with one click below.",
        "template-deleted" => "Template deleted.",
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
        None,
    )
    .await
}

/// Most templates the page lists (the API's largest page).
const TEMPLATES_SHOWN: u32 = 200;

async fn render(
    viewer: &Viewer,
    api: &ApiClient,
    page: u32,
    error: Option<String>,
    notice: Option<&str>,
    form: Option<&[(String, String)]>,
) -> Result<Response, WebError> {
    let page = page.max(1);
    let reports_path = format!("/api/v1/reports?per_page=25&page={page}");
    let templates_path = format!("/api/v1/reports/templates?per_page={TEMPLATES_SHOWN}");
    let (reports, templates) = tokio::join!(
        api.get(&viewer.caller, &reports_path),
        api.get(&viewer.caller, &templates_path),
    );
    let (reports, templates) = (reports?, templates?);
    let types: Vec<Value> = TYPES
        .iter()
        .map(|(v, l)| json!({ "value": v, "label": l }))
        .collect();
    let formats: Vec<Value> = FORMATS
        .iter()
        .map(|(v, l)| json!({ "value": v, "label": l }))
        .collect();
    let type_labels: Map<String, Value> = TYPES
        .iter()
        .map(|(v, l)| ((*v).to_string(), json!(l)))
        .collect();
    Ok(viewer.render(
        "reports.html",
        context! {
            title => "Reports",
            reports => reports,
            templates => templates,
            types => types,
            type_labels => type_labels,
            formats => formats,
            f => form.map(refill),
            page_base => "/reports?",
            error => error,
            notice => notice,
        },
    ))
}

/// The form's value of `name`, trimmed; `None` when missing or empty.
fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// What the viewer filled in, to show the form again as it was after an error.
fn refill(form: &[(String, String)]) -> Value {
    let mut f = Map::new();
    for key in [
        "report_type",
        "title",
        "from",
        "to",
        "currency",
        "period",
        "template_name",
    ] {
        if let Some(v) = field(form, key) {
            f.insert(key.to_string(), json!(v));
        }
    }
    let formats: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "formats")
        .map(|(_, v)| v.as_str())
        .collect();
    f.insert("formats".into(), json!(formats));
    Value::Object(f)
}

/// The request for a report as the form sends it (every field optional but the type).
fn report_body(form: &[(String, String)]) -> Result<Value, String> {
    let get = |name: &str| field(form, name);
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
    viewer.check_csrf(field(&form, "_csrf").unwrap_or_default())?;
    let body = match report_body(&form) {
        Ok(body) => body,
        Err(e) => return render(&viewer, &api, 1, Some(e), None, Some(&form)).await,
    };
    queue(&viewer, &api, body, Some(&form)).await
}

/// Asks the API for the report `body` describes: back to the list, or the page again with
/// the API's words for what it refused (a date it cannot read, a full queue).
async fn queue(
    viewer: &Viewer,
    api: &ApiClient,
    body: Value,
    form: Option<&[(String, String)]>,
) -> Result<Response, WebError> {
    match api
        .send(&viewer.caller, Method::POST, "/api/v1/reports", Some(body))
        .await
    {
        Ok(_) => Ok(Redirect::to("/reports?done=queued").into_response()),
        Err(e) if refused(&e) => render(viewer, api, 1, Some(e.message()), None, form).await,
        Err(e) => Err(e.into()),
    }
}

/// A refusal the page shows in words above the form (a 404 is a page of its own).
fn refused(e: &ApiRefusal) -> bool {
    e.status.is_client_error() && e.status != StatusCode::NOT_FOUND
}

/// The template the form describes: its settings under the name given, or under the
/// report's title when no name is.
fn template_body(form: &[(String, String)]) -> Result<Value, String> {
    let report = report_body(form)?;
    let name = field(form, "template_name")
        .or_else(|| field(form, "title"))
        .ok_or("Name the template to save these settings.")?;
    Ok(json!({
        "name": name,
        "report_type": report["report_type"],
        "parameters": report["parameters"],
        "formats": report["formats"],
    }))
}

async fn save_template(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    viewer.check_csrf(field(&form, "_csrf").unwrap_or_default())?;
    let body = match template_body(&form) {
        Ok(body) => body,
        Err(e) => return render(&viewer, &api, 1, Some(e), None, Some(&form)).await,
    };
    match api
        .send(
            &viewer.caller,
            Method::POST,
            "/api/v1/reports/templates",
            Some(body),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/reports?done=template-saved").into_response()),
        Err(e) if refused(&e) => {
            render(&viewer, &api, 1, Some(e.message()), None, Some(&form)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One click: a report from the template's settings (`template_id`; the API fills in the
/// rest, its title the template's name).
async fn use_template(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    queue(&viewer, &api, json!({ "template_id": id }), None).await
}

async fn remove_template(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    api.send(
        &viewer.caller,
        Method::DELETE,
        &format!("/api/v1/reports/templates/{id}"),
        None,
    )
    .await?;
    Ok(Redirect::to("/reports?done=template-deleted").into_response())
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
        let template = template_body(&form(&[
            ("report_type", "vat_summary"),
            ("title", "Q1 VAT"),
            ("template_name", " Quarterly VAT "),
            ("currency", "EUR"),
            ("formats", "csv"),
        ]))
        .expect("template");
        assert_eq!(
            template,
            json!({
                "name": "Quarterly VAT",
                "report_type": "vat_summary",
                "parameters": { "currency": "EUR" },
                "formats": ["csv"],
            })
        );
        // Without a name the title names it; without either there is nothing to call it.
        let titled = form(&[
            ("report_type", "sales"),
            ("title", "Sales"),
            ("formats", "pdf"),
        ]);
        assert_eq!(template_body(&titled).expect("template")["name"], "Sales");
        assert!(template_body(&form(&[("report_type", "sales"), ("formats", "pdf")])).is_err());
        assert!(report_body(&form(&[("report_type", "financial")])).is_err());
    }
}
