//! Companies (vendors and customers) the pipeline matched sellers and buyers to, with how many
//! of the workspace's invoices name each. Companies are kept per workspace like invoices: a
//! member sees only the current workspace's companies (another workspace's answers 404); a
//! system administrator who names no workspace sees every company.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use doxin_store::{CompanyFilter, CompanyKind, CompanySummary, PageRequest};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::listing::Listing;
use crate::auth::Caller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/companies", get(list))
        .route("/api/v1/companies/{id}", get(detail))
        .layer(axum::middleware::from_fn(
            crate::routes::invoices::refuse_nul_in_query,
        ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    /// `vendor` or `customer`.
    kind: Option<String>,
    /// Name substring or VAT id.
    q: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

fn view(c: &CompanySummary) -> Value {
    json!({
        "id": c.company.id,
        "workspace_id": c.company.workspace_id,
        "kind": c.company.kind,
        "name": c.company.name,
        "vat_id": c.company.vat_id,
        "tax_number": c.company.tax_number,
        "country": c.company.country,
        "address": c.company.address,
        "invoice_count": c.invoice_count,
        "invoices_url": format!(
            "/api/v1/invoices?{}_id={}",
            match c.company.kind {
                CompanyKind::Vendor => "vendor",
                CompanyKind::Customer => "customer",
            },
            c.company.id
        ),
        "created_at": c.company.created_at,
        "updated_at": c.company.updated_at,
    })
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Some(CompanyKind::parse(k).ok_or_else(|| {
            ApiError::BadRequest(format!("unknown kind {k:?}; use vendor or customer"))
        })?),
        None => None,
    };
    let filter = CompanyFilter { kind, q: q.q };
    let page = state
        .store
        .list_company_summaries(
            caller.scope(),
            &filter,
            PageRequest::new(q.page.unwrap_or(1), q.per_page.unwrap_or(20)),
        )
        .await?;
    Ok(Json(json!(Listing::of(&page, view))))
}

async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let company = state.store.get_company_summary(id, caller.scope()).await?;
    Ok(Json(view(&company)))
}
