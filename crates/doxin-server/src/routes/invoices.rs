//! Invoices: the list with the earlier system's filters, detail, create, update (validation
//! recomputed), soft delete, the source file (download and replace), full-text and semantic
//! search, and similar invoices. Approval and rejection live with the jobs (`jobs.rs`).
//!
//! Ownership: every query runs in the caller's scope, so another user's invoice answers 404
//! on every route here, exactly like one that does not exist.

use std::str::FromStr;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use doxin_model::{Decimal, Invoice, Tolerance, validate_report};
use doxin_store::{
    Count, InvoiceCursor, InvoiceFilter, InvoiceHit, InvoiceRecord, InvoiceSort, InvoiceStatus,
    InvoiceSummary, InvoiceUpdate, NewFile, NewInvoice, PageRequest, Scope, StoreError,
    WorkspaceRole,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::intake::FileForm;
use super::listing::Listing;
use crate::auth::Caller;
use crate::{ApiError, AppState};

/// Most uploader ids one list request may name.
const MAX_UPLOADERS: usize = 100;
/// Most results of a semantic search or a similar-invoices request.
const MAX_NEAREST: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/invoices", get(list).post(create))
        .route("/api/v1/invoices/search", get(search))
        .route("/api/v1/invoices/semantic-search", get(semantic_search))
        .route(
            "/api/v1/invoices/{id}",
            get(detail).put(update).patch(update).delete(remove),
        )
        .route(
            "/api/v1/invoices/{id}/file",
            // Size is checked while streaming, against the upload limit, as at intake.
            get(download_file)
                .put(replace_file)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/v1/invoices/{id}/similar", get(similar))
        .layer(axum::middleware::from_fn(refuse_nul_in_query))
}

/// Refuses a query string with an encoded NUL (`%00`) as 400. Why: PostgreSQL refuses NUL in
/// text, so a filter holding one would fail in the database as a 500; it is the client's
/// mistake. Shared by the routers that pass query text to the store.
pub(crate) async fn refuse_nul_in_query(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if req.uri().query().is_some_and(|q| q.contains("%00")) {
        return bad("query parameters must not contain NUL characters").into_response();
    }
    next.run(req).await
}

/// Whether any string in `v` holds a NUL character (PostgreSQL refuses them in jsonb).
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// Whether every `confidence` in `v` (each extracted value has one) is a probability.
fn confidences_in_range(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().all(confidences_in_range),
        Value::Object(o) => o.iter().all(|(k, v)| match (k.as_str(), v) {
            ("confidence", Value::Number(n)) => {
                n.as_f64().is_some_and(|c| (0.0..=1.0).contains(&c))
            }
            _ => confidences_in_range(v),
        }),
        _ => true,
    }
}

/// 422 for an invoice body the store could not keep or read back, or that breaks the model's
/// ranges: a NUL character in any text (PostgreSQL refuses it in jsonb), a number out of
/// `f32` range (JSON has no infinity, so it would be stored as null and the invoice could
/// never be read again), or a confidence outside 0..=1.
fn refuse_unstorable(inv: &Invoice) -> Result<(), ApiError> {
    let v = serde_json::to_value(inv).map_err(|e| ApiError::Internal(Box::new(e)))?;
    let refuse = |code, detail| {
        Err(ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            detail,
        ))
    };
    if has_nul(&v) {
        return refuse(
            "invalid_text",
            "text values must not contain NUL characters",
        );
    }
    if !confidences_in_range(&v) {
        return refuse(
            "invalid_confidence",
            "every confidence must be between 0 and 1",
        );
    }
    if serde_json::from_value::<Invoice>(v).is_err() {
        return refuse(
            "invalid_number",
            "a number is out of range (confidences and boxes are 32-bit floats)",
        );
    }
    Ok(())
}

/// Query parameters of the list and of full-text search. Lists are comma-separated
/// (`uploader_ids=<uuid>,<uuid>,unassigned`) because query strings have no arrays.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    page: Option<u32>,
    per_page: Option<u32>,
    /// The `next_cursor` of the previous page: keyset paging (the list only; `page` is then
    /// ignored).
    cursor: Option<String>,
    /// Count the total exactly even when it is large (by default a list past
    /// [`Count::ESTIMATE`]'s bound gets the planner's estimate).
    exact_total: Option<bool>,
    q: Option<String>,
    status: Option<String>,
    needs_review: Option<bool>,
    /// Owner ids, and `unassigned` for invoices without an owner.
    uploader_ids: Option<String>,
    /// Buyer name substring.
    customer: Option<String>,
    customer_id: Option<Uuid>,
    /// Seller name substring (`seller` is accepted too).
    vendor: Option<String>,
    seller: Option<String>,
    vendor_id: Option<Uuid>,
    assignee_id: Option<Uuid>,
    salesperson: Option<String>,
    currency: Option<String>,
    /// Issue date range (`YYYY-MM-DD`, inclusive).
    date_from: Option<NaiveDate>,
    date_to: Option<NaiveDate>,
    /// Upload time range: a date (whole day) or an RFC 3339 instant.
    created_from: Option<String>,
    created_to: Option<String>,
    min_amount: Option<String>,
    max_amount: Option<String>,
    /// `field` or `-field`; see [`doxin_store::InvoiceSortField`].
    sort: Option<String>,
    /// `asc` or `desc`, overriding the sign of `sort`.
    order: Option<String>,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::BadRequest(msg.into())
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn amount(name: &str, v: &Option<String>) -> Result<Option<Decimal>, ApiError> {
    non_empty(v)
        .map(|s| Decimal::from_str(&s).map_err(|_| bad(format!("{name} must be a decimal number"))))
        .transpose()
}

/// A date means the whole day: its start for a lower bound, its end for an upper one.
fn instant(
    name: &str,
    v: &Option<String>,
    end_of_day: bool,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(s) = non_empty(v) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(&s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let d = NaiveDate::from_str(&s).map_err(|_| {
        bad(format!(
            "{name} must be a date (YYYY-MM-DD) or an RFC 3339 time"
        ))
    })?;
    let time = if end_of_day {
        NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
    } else {
        Some(NaiveTime::MIN)
    };
    Ok(time.map(|t| d.and_time(t).and_utc()))
}

impl ListQuery {
    fn page(&self) -> PageRequest {
        let count = if self.exact_total == Some(true) {
            Count::Exact
        } else {
            Count::ESTIMATE
        };
        PageRequest::new(self.page.unwrap_or(1), self.per_page.unwrap_or(20)).counting(count)
    }

    /// The keyset position of `cursor`, which must have been made for this list's order.
    fn after(&self, sort: InvoiceSort) -> Result<Option<InvoiceCursor>, ApiError> {
        non_empty(&self.cursor)
            .map(|c| {
                InvoiceCursor::decode(&c, sort).map_err(|e| {
                    ApiError::problem(
                        StatusCode::BAD_REQUEST,
                        "invalid_cursor",
                        format!("{e}; use the next_cursor of a page of this list and order"),
                    )
                })
            })
            .transpose()
    }

    fn filter(&self) -> Result<InvoiceFilter, ApiError> {
        let status = non_empty(&self.status)
            .map(|s| {
                InvoiceStatus::parse(&s).ok_or_else(|| {
                    bad(format!(
                        "unknown status {s:?}; use needs_review, approved or rejected"
                    ))
                })
            })
            .transpose()?;
        let mut uploader_ids = Vec::new();
        let mut unassigned = false;
        for part in non_empty(&self.uploader_ids)
            .iter()
            .flat_map(|s| s.split(','))
        {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if part.eq_ignore_ascii_case("unassigned") || part.eq_ignore_ascii_case("none") {
                unassigned = true;
            } else {
                uploader_ids.push(Uuid::parse_str(part).map_err(|_| {
                    bad(format!(
                        "uploader_ids: {part:?} is neither a user id nor \"unassigned\""
                    ))
                })?);
            }
        }
        if uploader_ids.len() > MAX_UPLOADERS {
            return Err(bad(format!("at most {MAX_UPLOADERS} uploader ids")));
        }
        let sort = match non_empty(&self.sort) {
            Some(s) => InvoiceSort::parse(&s, self.order.as_deref()).ok_or_else(|| {
                bad(format!(
                    "cannot sort by {s:?} {}; fields: {}",
                    self.order.as_deref().unwrap_or(""),
                    doxin_store::InvoiceSortField::ALL
                        .iter()
                        .map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
            None => match self
                .order
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None | Some("desc") => InvoiceSort::default(),
                Some("asc") => InvoiceSort {
                    descending: false,
                    ..InvoiceSort::default()
                },
                Some(o) => return Err(bad(format!("order must be asc or desc, not {o:?}"))),
            },
        };
        Ok(InvoiceFilter {
            status,
            needs_review: self.needs_review,
            currency: non_empty(&self.currency),
            seller: non_empty(&self.vendor).or_else(|| non_empty(&self.seller)),
            customer: non_empty(&self.customer),
            customer_id: self.customer_id,
            vendor_id: self.vendor_id,
            assignee_id: self.assignee_id,
            salesperson: non_empty(&self.salesperson),
            uploader_ids,
            unassigned,
            ids: Vec::new(),
            issued_from: self.date_from,
            issued_to: self.date_to,
            created_from: instant("created_from", &self.created_from, false)?,
            created_to: instant("created_to", &self.created_to, true)?,
            min_gross: amount("min_amount", &self.min_amount)?,
            max_gross: amount("max_amount", &self.max_amount)?,
            q: non_empty(&self.q),
            sort,
            after: None,
        })
    }
}

/// An invoice in a list, serialised straight from the store's summary: a page of 50 is
/// the API's most frequent answer, and building a `Value` per row first cost a few thousand
/// allocations a page. Fields in alphabetical order, as the answers have always had them.
#[derive(Debug, Serialize)]
struct SummaryView<'a> {
    assignee_id: Option<Uuid>,
    buyer_name: Option<&'a str>,
    confidence: f32,
    created_at: DateTime<Utc>,
    currency: Option<&'a str>,
    customer_id: Option<Uuid>,
    due_date: Option<NaiveDate>,
    duplicate_of: Option<Uuid>,
    file_id: Option<Uuid>,
    gross_amount: Option<Decimal>,
    id: Uuid,
    invoice_number: Option<&'a str>,
    issue_date: Option<NaiveDate>,
    needs_review: bool,
    owner_id: Option<Uuid>,
    salesperson: Option<&'a str>,
    seller_name: Option<&'a str>,
    status: InvoiceStatus,
    vendor_id: Option<Uuid>,
    workspace_id: Option<Uuid>,
}

fn summary_view(s: &InvoiceSummary) -> SummaryView<'_> {
    SummaryView {
        assignee_id: s.assignee_id,
        buyer_name: s.buyer_name.as_deref(),
        confidence: s.confidence,
        created_at: s.created_at,
        currency: s.currency.as_deref(),
        customer_id: s.customer_id,
        due_date: s.due_date,
        duplicate_of: s.duplicate_of,
        file_id: s.file_id,
        gross_amount: s.gross_amount,
        id: s.id,
        invoice_number: s.invoice_number.as_deref(),
        issue_date: s.issue_date,
        needs_review: s.status == InvoiceStatus::NeedsReview,
        owner_id: s.owner_id,
        salesperson: s.salesperson.as_deref(),
        seller_name: s.seller_name.as_deref(),
        status: s.status,
        vendor_id: s.vendor_id,
        workspace_id: s.workspace_id,
    }
}

/// A search hit: the summary and how well it matched.
#[derive(Debug, Serialize)]
struct HitView<'a> {
    #[serde(flatten)]
    invoice: SummaryView<'a>,
    score: f32,
}

fn hit_view(h: &InvoiceHit) -> HitView<'_> {
    HitView {
        invoice: summary_view(&h.invoice),
        score: h.score,
    }
}

/// The detail of an invoice: the canonical invoice, its lines, the validation findings and a
/// link to the source file.
async fn detail_view(state: &AppState, inv: &InvoiceRecord) -> Result<Value, ApiError> {
    let file = match inv.file_id {
        // The invoice is visible to the caller, so its file is too.
        Some(id) => match state.store.get_file(id, Scope::All).await {
            Ok(f) => json!({
                "id": f.id,
                "original_name": f.original_name,
                "mime_type": f.mime_type,
                "size_bytes": f.size_bytes,
                "page_count": f.page_count,
                "sha256": f.sha256,
                "url": format!("/api/v1/invoices/{}/file", inv.id),
            }),
            Err(StoreError::NotFound) => Value::Null,
            Err(e) => return Err(e.into()),
        },
        None => Value::Null,
    };
    // Only the invoice workspace's companies: the store never links another workspace's
    // company, and this read would not show one if it did.
    let owner_scope = match inv.workspace_id {
        Some(w) => Scope::admin_of(w),
        None => Scope::All,
    };
    let company = |id: Option<Uuid>| async move {
        match id {
            Some(id) => match state.store.get_company(id, owner_scope).await {
                Ok(c) => Ok(json!({"id": c.id, "name": c.name, "vat_id": c.vat_id})),
                Err(StoreError::NotFound) => Ok(Value::Null),
                Err(e) => Err(ApiError::from(e)),
            },
            None => Ok(Value::Null),
        }
    };
    Ok(json!({
        "id": inv.id,
        "owner_id": inv.owner_id,
        "workspace_id": inv.workspace_id,
        "job_id": inv.job_id,
        "status": inv.status,
        "needs_review": inv.status == InvoiceStatus::NeedsReview,
        "confidence": inv.confidence,
        "duplicate_of": inv.duplicate_of,
        "assignee_id": inv.assignee_id,
        "vendor_id": inv.vendor_id,
        "customer_id": inv.customer_id,
        "vendor": company(inv.vendor_id).await?,
        "customer": company(inv.customer_id).await?,
        "invoice": inv.invoice,
        "lines": inv.invoice.lines,
        "findings": inv.findings,
        "file": file,
        "created_at": inv.created_at,
        "updated_at": inv.updated_at,
    }))
}

/// What the audit log keeps of an invoice: its reviewable state and the canonical body.
fn audit_view(inv: &InvoiceRecord) -> Value {
    json!({
        "status": inv.status,
        "confidence": inv.confidence,
        "file_id": inv.file_id,
        "findings": inv.findings.len(),
        "invoice": inv.invoice,
    })
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let mut filter = q.filter()?;
    filter.after = q.after(filter.sort)?;
    let page = state
        .store
        .list_invoices(caller.scope(), &filter, q.page())
        .await?;
    // Serialised here, from views borrowing the page.
    Ok(Json(Listing::of(&page, summary_view)).into_response())
}

/// Search's answer: the list's shape and the query it answered.
#[derive(Serialize)]
struct SearchAnswer<'a, T> {
    #[serde(flatten)]
    listing: Listing<T>,
    query: &'a str,
}

async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let text = non_empty(&q.q).ok_or_else(|| bad("q (the search text) is required"))?;
    let filter = q.filter()?;
    let page = state
        .store
        .search_invoices(caller.scope(), &text, &filter, q.page())
        .await?;
    let answer = SearchAnswer {
        listing: Listing::of(&page, hit_view),
        query: &text,
    };
    Ok(Json(answer).into_response())
}

#[derive(Debug, Deserialize)]
struct NearestQuery {
    q: Option<String>,
    limit: Option<u32>,
}

fn nearest_limit(limit: Option<u32>) -> u32 {
    limit.unwrap_or(10).clamp(1, MAX_NEAREST)
}

fn embed_error(e: doxin_embed::EmbedError) -> ApiError {
    if e.is_retryable() {
        ApiError::Unavailable(format!("the embedding provider is unavailable: {e}"))
    } else {
        ApiError::Internal(Box::new(e))
    }
}

async fn semantic_search(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NearestQuery>,
) -> Result<Json<Value>, ApiError> {
    let text = non_empty(&q.q).ok_or_else(|| bad("q (the search text) is required"))?;
    let limit = nearest_limit(q.limit);
    let query = doxin_jobs::similar::embed_text(state.embedder.clone(), text.clone())
        .await
        .map_err(embed_error)?;
    let hits = state
        .store
        .semantic_search(caller.scope(), &query, limit)
        .await?;
    Ok(Json(json!({
        "query": text,
        "model": query.model,
        "items": hits.iter().map(hit_view).collect::<Vec<_>>(),
    })))
}

/// Embeds `inv` with the configured embedder and stores the vector (best effort for the
/// caller's response: a failure is logged, not answered).
async fn refresh_embedding(state: &AppState, inv: &InvoiceRecord) {
    let result =
        match doxin_jobs::similar::embed_invoice(state.embedder.clone(), &inv.invoice).await {
            Ok(e) => state
                .store
                .set_invoice_embedding(inv.id, Scope::All, &e)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
    if let Err(e) = result {
        tracing::warn!(invoice_id = %inv.id, error = %e, "cannot embed the invoice");
    }
}

async fn similar(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<NearestQuery>,
) -> Result<Json<Value>, ApiError> {
    let scope = caller.scope();
    let limit = nearest_limit(q.limit);
    let model = doxin_jobs::similar::embedding_model_id(state.embedder.as_ref());
    // Invoices saved before embeddings existed, edited since, or embedded by another model
    // are embedded now, so the comparison uses the configured model.
    let stored = state.store.get_invoice_embedding(id, scope).await?;
    if stored.is_none_or(|e| e.model != model) {
        let inv = state.store.get_invoice(id, scope).await?;
        let e = doxin_jobs::similar::embed_invoice(state.embedder.clone(), &inv.invoice)
            .await
            .map_err(embed_error)?;
        state.store.set_invoice_embedding(id, scope, &e).await?;
    }
    let hits = state.store.similar_invoices(id, scope, limit).await?;
    Ok(Json(json!({
        "invoice_id": id,
        "model": model,
        "items": hits.iter().map(hit_view).collect::<Vec<_>>(),
    })))
}

async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let inv = state.store.get_invoice(id, caller.scope()).await?;
    Ok(Json(detail_view(&state, &inv).await?))
}

/// Validation and confidence of an invoice body, by the pipeline's rules.
struct Assessment {
    findings: Vec<doxin_model::Finding>,
    confidence: f32,
}

fn assess(inv: &Invoice) -> Assessment {
    let report = validate_report(inv, &Tolerance::default());
    Assessment {
        confidence: doxin_extract::pipeline::document_confidence(inv, &report),
        findings: report.findings,
    }
}

/// Adds DX-AMT-01 to `a`: a total far from what the vendor of `workspace` usually charges
/// (its other invoices than `exclude`, the one being edited).
async fn with_vendor_range(
    state: &AppState,
    a: &mut Assessment,
    workspace: Option<Uuid>,
    vendor: Option<Uuid>,
    invoice: &Invoice,
    exclude: Option<Uuid>,
) -> Result<(), ApiError> {
    let finding = doxin_jobs::approval::vendor_range_finding(
        state.store.as_ref(),
        workspace,
        vendor,
        invoice,
        exclude,
    )
    .await?;
    a.findings.extend(finding);
    Ok(())
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    caller.require(WorkspaceRole::Clerk)?;
    // `{"invoice": {canonical}}` or the invoice itself in the plain shape of a correction.
    let invoice = corrected(&Invoice::default(), body)?;
    refuse_unstorable(&invoice)?;
    let mut a = assess(&invoice);
    // The workspace's own companies only: a guessed seller name must not return another
    // team's record (VAT id, tax number), nor a typed VAT id land on one.
    let (vendor_id, customer_id) =
        doxin_jobs::match_companies(state.store.as_ref(), caller.workspace_id(), &invoice).await?;
    with_vendor_range(
        &state,
        &mut a,
        caller.workspace_id(),
        vendor_id,
        &invoice,
        None,
    )
    .await?;
    let inv = state
        .store
        .insert_invoice(NewInvoice {
            owner_id: Some(caller.id()),
            workspace_id: caller.workspace_id(),
            file_id: None,
            job_id: None,
            // Entered by hand: a person approves it explicitly, as any other invoice.
            status: InvoiceStatus::NeedsReview,
            confidence: a.confidence,
            invoice,
            findings: a.findings,
            vendor_id,
            customer_id,
            duplicate_of: None,
            file_sha256: None,
        })
        .await?;
    caller
        .audit(
            &state,
            "invoice.create",
            "invoice",
            Some(inv.id.to_string()),
            None,
            Some(audit_view(&inv)),
        )
        .await?;
    refresh_embedding(&state, &inv).await;
    let view = detail_view(&state, &inv).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/invoices/{}", inv.id))],
        Json(view),
    )
        .into_response())
}

/// The flat names of the first API (and of the earlier system) for fields that now have a
/// place in the invoice's own shape.
const FLAT_ALIASES: &[(&str, &[&str])] = &[
    ("net_amount", &["totals", "tax_exclusive_amount"]),
    ("tax_amount", &["totals", "tax_amount"]),
    ("gross_amount", &["totals", "tax_inclusive_amount"]),
    ("payable_amount", &["totals", "payable_amount"]),
    ("seller_name", &["seller", "name"]),
    ("seller_vat_id", &["seller", "vat_id"]),
    ("buyer_name", &["buyer", "name"]),
    ("buyer_vat_id", &["buyer", "vat_id"]),
    ("salesperson", &["legacy", "salesperson"]),
];

fn unprocessable(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::problem(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
}

/// An invoice as a correction of `current` describes it: an optional whole canonical
/// `invoice` to start from, then plain values in the invoice's own shape (and the flat
/// aliases above), each recorded as entered by a person (`doxin_model::correction`).
fn corrected(current: &Invoice, body: Value) -> Result<Invoice, ApiError> {
    let Value::Object(mut body) = body else {
        return Err(unprocessable(
            "invalid_correction",
            "send a JSON object of invoice fields",
        ));
    };
    let base = match body.remove("invoice") {
        None | Some(Value::Null) => current.clone(),
        Some(whole) => {
            let whole: Invoice = serde_json::from_value(whole).map_err(|e| {
                unprocessable(
                    "invalid_correction",
                    format!("`invoice` is not an invoice: {e}"),
                )
            })?;
            // Before the plain values go on top: a value JSON cannot carry (an infinite
            // confidence) would otherwise surface as a confusing shape error.
            refuse_unstorable(&whole)?;
            whole
        }
    };
    for (alias, path) in FLAT_ALIASES {
        if let Some(v) = body.remove(*alias) {
            let (section, field) = (path[0], path[1]);
            let entry = body
                .entry(section)
                .or_insert_with(|| Value::Object(Default::default()));
            match entry {
                Value::Object(o) => {
                    o.insert(field.to_string(), v);
                }
                _ => {
                    return Err(unprocessable(
                        "invalid_correction",
                        format!("`{alias}` and `{section}` cannot both be set that way"),
                    ));
                }
            }
        }
    }
    // Currency codes are upper case however they are typed.
    if let Some(Value::String(c)) = body.get_mut("currency") {
        *c = c.trim().to_uppercase();
    }
    doxin_model::correction::apply_plain(&base, &Value::Object(body))
        .map_err(|e| unprocessable("invalid_correction", e.to_string()))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let scope = caller.scope();
    let before = state.store.get_invoice(id, scope).await?;
    caller.require(WorkspaceRole::Clerk)?;
    let invoice = corrected(&before.invoice, body)?;
    refuse_unstorable(&invoice)?;
    let mut a = assess(&invoice);
    // Companies of the invoice's workspace, also when a system administrator edits it.
    let (vendor_id, customer_id) =
        doxin_jobs::match_companies(state.store.as_ref(), before.workspace_id, &invoice).await?;
    with_vendor_range(
        &state,
        &mut a,
        before.workspace_id,
        vendor_id,
        &invoice,
        Some(before.id),
    )
    .await?;
    // A decision stands unless the edit changes what it rested on (amounts, parties, dates,
    // lines, where the money goes); notes and references never reopen it.
    let changed_fields = doxin_model::review::decision_changes(&before.invoice, &invoice);
    let reopen = before.status != InvoiceStatus::NeedsReview && !changed_fields.is_empty();
    let status = if reopen {
        InvoiceStatus::NeedsReview
    } else {
        before.status
    };
    let after = state
        .store
        .update_invoice(
            id,
            scope,
            InvoiceUpdate {
                invoice: Some(invoice),
                findings: Some(a.findings),
                status: Some(status),
                confidence: Some(a.confidence),
                vendor_id,
                customer_id,
            },
        )
        .await?;
    let mut after_view = audit_view(&after);
    after_view["changed_fields"] = json!(changed_fields);
    caller
        .audit(
            &state,
            "invoice.update",
            "invoice",
            Some(id.to_string()),
            Some(audit_view(&before)),
            Some(after_view),
        )
        .await?;
    if reopen {
        caller
            .audit(
                &state,
                "invoice.reopen",
                "invoice",
                Some(id.to_string()),
                Some(json!({ "status": before.status })),
                Some(json!({
                    "status": after.status,
                    "reason": format!("edited after the decision: {}", changed_fields.join(", ")),
                    "changed_fields": changed_fields,
                })),
            )
            .await?;
    }
    if after.invoice != before.invoice {
        refresh_embedding(&state, &after).await;
    }
    Ok(Json(detail_view(&state, &after).await?))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let scope = caller.scope();
    let before = state.store.get_invoice(id, scope).await?;
    state.store.soft_delete_invoice(id, scope).await?;
    caller
        .audit(
            &state,
            "invoice.delete",
            "invoice",
            Some(id.to_string()),
            Some(audit_view(&before)),
            None,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `filename` safe for a `Content-Disposition` header (quotes and control characters out).
fn disposition_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect();
    if cleaned.trim().is_empty() {
        "invoice".to_string()
    } else {
        cleaned
    }
}

async fn download_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let inv = state.store.get_invoice(id, caller.scope()).await?;
    let file_id = inv.file_id.ok_or(ApiError::NotFound)?;
    let file = state.store.get_file(file_id, Scope::All).await?;
    let bytes = state.files.get(&file.sha256).await?;
    let mut resp = Body::from(bytes).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_str(&file.mime_type)
            .unwrap_or(header::HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        crate::download::attachment(
            &file.original_name,
            &format!("invoice-{id}"),
            crate::download::extension_for(&file.mime_type),
        ),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}

async fn replace_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    FileForm(mut multipart): FileForm,
) -> Result<Json<Value>, ApiError> {
    let scope = caller.scope();
    let before = state.store.get_invoice(id, scope).await?;
    caller.require(WorkspaceRole::Clerk)?;
    // The same checks as intake (size, type by content and claim, pages counted in the
    // sandbox), with the cap applied while streaming.
    let limit = state.limits.max_upload_bytes;
    let mut upload = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("malformed multipart body: {e}")))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("invoice").to_string();
        let claimed = field.content_type().map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| bad(format!("cannot read the file: {e}")))?
        {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(ApiError::problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "file_too_large",
                    format!(
                        "the file is larger than the limit of {} MB",
                        limit / (1024 * 1024)
                    ),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        upload = Some((name, claimed, bytes));
        break;
    }
    let (name, claimed, bytes) =
        upload.ok_or_else(|| bad("a multipart field named \"file\" is required"))?;
    let name = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("invoice")
        .to_string();
    let checked = crate::routes::intake::check(&state, &name, claimed.as_deref(), bytes)
        .await
        .map_err(|r| r.into_error())?;
    let (bytes, kind) = (checked.bytes, checked.kind);
    let page_count = checked.pages.and_then(|p| i32::try_from(p).ok());
    let blob = state.files.put(&bytes).await?;
    let file = state
        .store
        .insert_file(NewFile {
            // The invoice's uploader and workspace own its file, whoever replaced it.
            owner_id: before.owner_id,
            workspace_id: before.workspace_id,
            sha256: blob.sha256,
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            mime_type: kind.mime_type().to_string(),
            original_name: disposition_name(&checked.filename),
            page_count,
        })
        .await?;
    let after = state
        .store
        .replace_invoice_file(id, scope, file.id)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => {
                ApiError::Conflict("another invoice of this owner already has this file".into())
            }
            e => e.into(),
        })?;
    caller
        .audit(
            &state,
            "invoice.replace_file",
            "invoice",
            Some(id.to_string()),
            Some(json!({"file_id": before.file_id})),
            Some(json!({"file_id": after.file_id, "original_name": file.original_name})),
        )
        .await?;
    Ok(Json(detail_view(&state, &after).await?))
}
