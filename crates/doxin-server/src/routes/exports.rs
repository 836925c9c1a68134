//! Exports of one invoice or a filtered set: CSV (invoices or lines), XLSX, JSON, UBL.
//!
//! - `GET /api/v1/invoices/{id}/export?format=csv|csv-lines|xlsx|json|ubl`
//! - `GET /api/v1/invoices/export?format=…&q=&status=&currency=&seller=&issued_from=&issued_to=
//!   &min_gross=&max_gross=` (the invoice list's names `vendor`, `date_from`, `date_to`,
//!   `min_amount`, `max_amount` are accepted too; `q` exports the full-text search's matches)
//!
//! Both run in the caller's scope: an invoice the caller does not own is 404, and a set holds
//! only the caller's invoices (everything for an administrator). A set is capped at
//! [`MAX_EXPORT`] invoices and a larger one is refused with 422 naming the count, rather than
//! silently cut: a partial export of accounting data looks complete and is not. Rendering is
//! `doxin_reports::export`'s; it runs on the blocking pool, since a large XLSX or ZIP is
//! seconds of CPU, and at most two sets render at once. Responses are attachments named by
//! `download::attachment` (an ASCII `filename` and a UTF-8 `filename*`).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use doxin_model::Decimal;
use doxin_reports::{ExportFormat, ExportItem, render};
use doxin_store::{Count, InvoiceCursor, InvoiceFilter, InvoiceRecord, InvoiceStatus, PageRequest};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Caller;
use crate::{ApiError, AppState};

/// The most invoices one export may hold.
pub const MAX_EXPORT: u64 = 10_000;
/// Most invoices one selection (`ids`) may name: a query string stays under common URL limits.
const MAX_SELECTION: usize = 200;

/// Set exports rendered at once in this process. A 10,000-invoice XLSX or UBL ZIP is seconds
/// of CPU; more requests wait their turn instead of taking every core from the API (the
/// machine may have two). Single-invoice exports are cheap and not limited.
static SET_RENDERS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(2));

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/invoices/export", get(export_set))
        .route("/api/v1/invoices/{id}/export", get(export_one))
        .layer(axum::middleware::from_fn(
            crate::routes::invoices::refuse_nul_in_query,
        ))
}

#[derive(Debug, Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SetQuery {
    format: Option<String>,
    /// A selection: comma-separated invoice ids (at most [`MAX_SELECTION`]).
    ids: Option<String>,
    /// Full-text search text, as the invoice search takes it: only invoices that match.
    q: Option<String>,
    status: Option<String>,
    currency: Option<String>,
    /// The invoice list's names are accepted too (`vendor`, `date_from`, …), so a list's
    /// query string exports the same set.
    #[serde(alias = "vendor")]
    seller: Option<String>,
    #[serde(alias = "date_from")]
    issued_from: Option<String>,
    #[serde(alias = "date_to")]
    issued_to: Option<String>,
    #[serde(alias = "min_amount")]
    min_gross: Option<String>,
    #[serde(alias = "max_amount")]
    max_gross: Option<String>,
}

fn parse_format(format: Option<&str>) -> Result<ExportFormat, ApiError> {
    let names = || {
        ExportFormat::ALL
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(raw) = format.filter(|f| !f.trim().is_empty()) else {
        return Err(ApiError::BadRequest(format!(
            "`format` is required: one of {}",
            names()
        )));
    };
    ExportFormat::parse(raw).ok_or_else(|| {
        ApiError::BadRequest(format!("unknown format `{raw}`: use one of {}", names()))
    })
}

fn parse_date(name: &str, v: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    v.filter(|s| !s.trim().is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                ApiError::BadRequest(format!("`{name}` must be a date like 2026-01-31"))
            })
        })
        .transpose()
}

fn parse_amount(name: &str, v: Option<&str>) -> Result<Option<Decimal>, ApiError> {
    v.filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse::<Decimal>()
                .map_err(|_| ApiError::BadRequest(format!("`{name}` must be a decimal number")))
        })
        .transpose()
}

fn non_empty(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl SetQuery {
    fn filter(&self) -> Result<InvoiceFilter, ApiError> {
        let status = match non_empty(self.status.as_ref()) {
            Some(s) => Some(InvoiceStatus::parse(&s).ok_or_else(|| {
                ApiError::BadRequest(
                    "`status` must be one of needs_review, approved, rejected".into(),
                )
            })?),
            None => None,
        };
        let mut ids = Vec::new();
        for part in non_empty(self.ids.as_ref())
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let id = Uuid::parse_str(part).map_err(|_| {
                ApiError::BadRequest(format!("`ids`: {part:?} is not an invoice id"))
            })?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.len() > MAX_SELECTION {
            return Err(ApiError::BadRequest(format!(
                "`ids` names at most {MAX_SELECTION} invoices; use the filters for more"
            )));
        }
        Ok(InvoiceFilter {
            ids,
            status,
            currency: non_empty(self.currency.as_ref()).map(|c| c.to_uppercase()),
            seller: non_empty(self.seller.as_ref()),
            issued_from: parse_date("issued_from", self.issued_from.as_deref())?,
            issued_to: parse_date("issued_to", self.issued_to.as_deref())?,
            min_gross: parse_amount("min_gross", self.min_gross.as_deref())?,
            max_gross: parse_amount("max_gross", self.max_gross.as_deref())?,
            ..Default::default()
        })
    }
}

async fn export_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    let format = parse_format(q.format.as_deref())?;
    let record = state.store.get_invoice(id, caller.scope()).await?;
    let stem = match record
        .invoice
        .invoice_number
        .as_ref()
        .and_then(|n| crate::download::clean_name(&n.value))
    {
        Some(number) => format!("invoice-{number}"),
        None => format!("invoice-{id}"),
    };
    respond(vec![record], format, true, stem, format!("invoice-{id}")).await
}

/// 422 for a set larger than an export holds, naming its size.
fn too_large(total: u64) -> ApiError {
    ApiError::problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "export_too_large",
        format!(
            "{total} invoices match; an export holds at most {MAX_EXPORT}: narrow the filter \
             (status, currency, seller, issued_from/issued_to, min_gross/max_gross)"
        ),
    )
}

/// The ids of the listed set, in the list's order: counted exactly first (refused when too
/// large), then walked by cursor, so each page is an index range rather than a deeper
/// offset than the last.
async fn list_ids(
    state: &AppState,
    scope: doxin_store::Scope,
    mut filter: InvoiceFilter,
) -> Result<Vec<Uuid>, ApiError> {
    let mut ids = Vec::new();
    loop {
        // Counted exactly once, on the first page; later pages need no total.
        let count = match filter.after {
            None => Count::Exact,
            Some(_) => Count::Estimate { exact_up_to: 0 },
        };
        let request = PageRequest::new(1, PageRequest::MAX_PER_PAGE).counting(count);
        let p = state.store.list_invoices(scope, &filter, request).await?;
        if filter.after.is_none() && p.total > MAX_EXPORT {
            return Err(too_large(p.total));
        }
        ids.extend(p.items.iter().map(|s| s.id));
        let next = p
            .next_cursor
            .and_then(|c| InvoiceCursor::decode(&c, filter.sort).ok());
        match next {
            Some(cursor) if (ids.len() as u64) < MAX_EXPORT => filter.after = Some(cursor),
            _ => break,
        }
    }
    ids.truncate(usize::try_from(MAX_EXPORT).unwrap_or(usize::MAX));
    Ok(ids)
}

/// The ids of a full-text search's matches, best first (search has no cursor: by page).
async fn search_ids(
    state: &AppState,
    scope: doxin_store::Scope,
    text: &str,
    filter: &InvoiceFilter,
) -> Result<Vec<Uuid>, ApiError> {
    let mut ids = Vec::new();
    let mut page = 1;
    loop {
        let p = state
            .store
            .search_invoices(
                scope,
                text,
                filter,
                PageRequest::new(page, PageRequest::MAX_PER_PAGE),
            )
            .await?;
        if page == 1 && p.total > MAX_EXPORT {
            return Err(too_large(p.total));
        }
        ids.extend(p.items.iter().map(|h| h.invoice.id));
        if !p.has_next || p.items.is_empty() || (ids.len() as u64) >= MAX_EXPORT {
            break;
        }
        page += 1;
    }
    ids.truncate(usize::try_from(MAX_EXPORT).unwrap_or(usize::MAX));
    Ok(ids)
}

async fn export_set(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SetQuery>,
) -> Result<Response, ApiError> {
    let format = parse_format(q.format.as_deref())?;
    let filter = q.filter()?;
    let scope = caller.scope();
    let text = non_empty(q.q.as_ref());
    let ids = match text {
        Some(text) => search_ids(&state, scope, &text, &filter).await?,
        None => list_ids(&state, scope, filter).await?,
    };
    // The list has no lines or provenance; load the whole invoices, a thousand a query. One
    // deleted meanwhile is left out rather than failing the export.
    let records = state.store.get_invoices(&ids, scope).await?;
    let stem = format!("invoices-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    // The semaphore is never closed; an error would be a bug, answered 500.
    let _slot = SET_RENDERS
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(Box::new(e)))?;
    let fallback = stem.clone();
    respond(records, format, false, stem, fallback).await
}

/// Renders on the blocking pool and answers with an attachment.
async fn respond(
    records: Vec<InvoiceRecord>,
    format: ExportFormat,
    single: bool,
    stem: String,
    fallback_stem: String,
) -> Result<Response, ApiError> {
    let rendered = tokio::task::spawn_blocking(move || {
        let items: Vec<ExportItem<'_>> = records
            .iter()
            .map(|r| ExportItem {
                id: r.id,
                status: r.status.as_str(),
                confidence: r.confidence,
                created_at: r.created_at,
                updated_at: r.updated_at,
                invoice: &r.invoice,
            })
            .collect();
        render(&items, format, single)
    })
    .await
    .map_err(|e| ApiError::Internal(Box::new(e)))?
    .map_err(|e| {
        if e.is_content_error() {
            ApiError::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_exportable",
                e.to_string(),
            )
        } else {
            ApiError::Internal(Box::new(e))
        }
    })?;
    let mut resp = rendered.bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(rendered.content_type),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        crate::download::attachment(
            &format!("{stem}.{}", rendered.extension),
            &fallback_stem,
            rendered.extension,
        ),
    );
    // Exports hold invoice data: no shared caches.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_filters_parse_with_clear_errors() {
        assert_eq!(parse_format(Some("XLSX")).ok(), Some(ExportFormat::Xlsx));
        assert!(matches!(parse_format(None), Err(ApiError::BadRequest(m)) if m.contains("csv")));
        assert!(parse_format(Some("pdf")).is_err());
        let q = SetQuery {
            format: Some("csv".into()),
            ids: None,
            q: None,
            status: Some("approved".into()),
            currency: Some("eur".into()),
            seller: Some(" ".into()),
            issued_from: Some("2026-01-01".into()),
            issued_to: None,
            min_gross: Some("10.5".into()),
            max_gross: None,
        };
        let f = q.filter().expect("filter");
        assert_eq!(f.status, Some(InvoiceStatus::Approved));
        assert_eq!(f.currency.as_deref(), Some("EUR"));
        assert_eq!(f.seller, None);
        assert!(f.issued_from.is_some() && f.min_gross.is_some());
        let bad = SetQuery {
            issued_from: Some("01/02/2026".into()),
            ..q
        };
        assert!(bad.filter().is_err());
    }
}
