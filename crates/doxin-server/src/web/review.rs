//! Reviewing invoices: the queue (`/review`), the review page (`/review/{id}`: the document's
//! pages with every extracted field's box drawn over them beside the editable fields, lines,
//! findings, comments and history), and the invoice's detail page (`/invoices/{id}`).
//!
//! Without JavaScript every decision is a form post to `/review/{id}` with an `action`
//! (`save`, `approve`, `approve_next`, `reject`, `comment`); the handler calls the API in
//! process and redirects back (303), or shows the page again with the API's refusal in words.
//! `review.js` adds the highlights, line totals as you type, saving in place and shortcuts.
//!
//! Saving sends the API the whole canonical invoice with only the values the reviewer changed
//! replaced (source `human`, confidence 1, the box kept), so an untouched field keeps its
//! provenance and the API recomputes validation as for any other edit.

use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::api::{ApiClient, ApiRefusal};
use super::render;
use super::session::{Viewer, WebError};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/review", get(queue))
        .route("/review/{id}", get(review).post(decide))
        .route("/invoices/{id}", get(detail))
}

/// How a field is typed in.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Text,
    Date,
    Amount,
    Code,
}

/// A field of the review form: its form name (also the box's `data-field`), label, and path
/// in the canonical invoice (an index is a list position).
struct FieldDef {
    name: &'static str,
    label: &'static str,
    path: &'static [&'static str],
    kind: Kind,
}

const fn field(
    name: &'static str,
    label: &'static str,
    path: &'static [&'static str],
    kind: Kind,
) -> FieldDef {
    FieldDef {
        name,
        label,
        path,
        kind,
    }
}

/// The header fields, in the order of the form. The names of totals and parties are the
/// API's flat names (`gross_amount`, `seller_vat_id`, …).
const FIELDS: &[FieldDef] = &[
    field(
        "invoice_number",
        "Invoice number",
        &["invoice_number"],
        Kind::Text,
    ),
    field("issue_date", "Issue date", &["issue_date"], Kind::Date),
    field("due_date", "Due date", &["due_date"], Kind::Date),
    field("seller_name", "Seller", &["seller", "name"], Kind::Text),
    field(
        "seller_vat_id",
        "Seller VAT id",
        &["seller", "vat_id"],
        Kind::Code,
    ),
    field("buyer_name", "Buyer", &["buyer", "name"], Kind::Text),
    field(
        "buyer_vat_id",
        "Buyer VAT id",
        &["buyer", "vat_id"],
        Kind::Code,
    ),
    field("currency", "Currency", &["currency"], Kind::Code),
    field(
        "net_amount",
        "Net total",
        &["totals", "tax_exclusive_amount"],
        Kind::Amount,
    ),
    field(
        "tax_amount",
        "Tax total",
        &["totals", "tax_amount"],
        Kind::Amount,
    ),
    field(
        "gross_amount",
        "Gross total",
        &["totals", "tax_inclusive_amount"],
        Kind::Amount,
    ),
    field(
        "payable_amount",
        "Amount due",
        &["totals", "payable_amount"],
        Kind::Amount,
    ),
    field("iban", "IBAN", &["bank_accounts", "0", "iban"], Kind::Code),
    field("bic", "BIC", &["bank_accounts", "0", "bic"], Kind::Code),
    field(
        "payment_reference",
        "Payment reference",
        &["payment_reference"],
        Kind::Text,
    ),
    field(
        "purchase_order_ref",
        "Purchase order",
        &["purchase_order_ref"],
        Kind::Text,
    ),
];

/// The editable columns of a line: (key in the line, label, kind).
const LINE_FIELDS: &[(&str, &str, Kind)] = &[
    ("description", "Description", Kind::Text),
    ("quantity", "Quantity", Kind::Amount),
    ("unit_price", "Unit price", Kind::Amount),
    ("vat_rate", "VAT %", Kind::Amount),
    ("line_amount", "Net amount", Kind::Amount),
];

/// Lines shown for editing; a longer invoice is edited through the API.
const MAX_LINES: usize = 200;

/// The form's prefix of the empty row that adds a line.
const NEW_LINE: &str = "new_line";

/// The value at `path` of `v` (`"0"` indexes a list).
fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |cur, key| match cur {
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        Value::Object(o) => o.get(*key),
        _ => None,
    })
}

/// An extracted value's text as the form shows it.
fn text_of(extracted: Option<&Value>) -> String {
    match extracted.and_then(|e| e.get("value")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// One field as the page shows it: value, confidence, source, and where it was read.
#[derive(Debug, Serialize)]
struct FieldView {
    name: String,
    label: String,
    kind: Kind,
    value: String,
    confidence: Option<f64>,
    source: Option<String>,
    raw_text: Option<String>,
    page: Option<u64>,
    has_box: bool,
    /// Severity of the worst finding about this field (`error`, `warning`), if any.
    finding: Option<String>,
}

fn field_view(
    name: String,
    label: &str,
    kind: Kind,
    extracted: Option<&Value>,
    findings: &[FindingView],
) -> FieldView {
    let e = extracted.filter(|e| e.is_object());
    let finding = findings
        .iter()
        .filter(|f| f.field_name.as_deref() == Some(name.as_str()))
        .map(|f| f.severity.clone())
        .min_by_key(|s| if s == "error" { 0 } else { 1 });
    FieldView {
        value: text_of(e),
        confidence: e.and_then(|e| e["confidence"].as_f64()),
        source: e.and_then(|e| e["source"].as_str().map(str::to_string)),
        raw_text: e.and_then(|e| e["raw_text"].as_str().map(str::to_string)),
        page: e.and_then(|e| e["page"].as_u64()),
        has_box: e.is_some_and(|e| e["bbox"].is_object() && e["page"].is_u64()),
        name,
        label: label.to_string(),
        kind,
        finding,
    }
}

#[derive(Debug, Serialize)]
struct LineView {
    index: usize,
    cells: Vec<FieldView>,
}

#[derive(Debug, Clone, Serialize)]
struct FindingView {
    rule: String,
    severity: String,
    message: String,
    /// The form field the finding is about, when the form has it.
    field_name: Option<String>,
    expected: Value,
    actual: Value,
}

/// A finding's `field` path (`totals.tax_inclusive_amount`, `lines[2].line_amount`) as the
/// name of the form field that holds it.
fn form_name(path: &str) -> Option<String> {
    if path.starts_with("lines[") {
        let (_, key) = path.split_once("].")?;
        return LINE_FIELDS
            .iter()
            .any(|(k, _, _)| *k == key)
            .then(|| path.to_string());
    }
    let normal = path.replace('[', ".").replace(']', "");
    FIELDS
        .iter()
        .find(|f| f.path.join(".") == normal)
        .map(|f| f.name.to_string())
}

fn findings_of(inv: &Value) -> Vec<FindingView> {
    inv["findings"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|f| FindingView {
                    rule: f["rule"].as_str().unwrap_or("").to_string(),
                    severity: f["severity"].as_str().unwrap_or("warning").to_string(),
                    message: f["message"].as_str().unwrap_or("").to_string(),
                    field_name: f["field"].as_str().and_then(form_name),
                    expected: f["expected"].clone(),
                    actual: f["actual"].clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A box on a page, in the page's units.
#[derive(Debug, Serialize)]
struct BoxView {
    field: String,
    label: String,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

fn box_of(field: &str, label: &str, e: Option<&Value>, page: u64) -> Option<BoxView> {
    let e = e?;
    if e["page"].as_u64() != Some(page) {
        return None;
    }
    let b = &e["bbox"];
    let (x0, y0, x1, y1) = (
        b["x0"].as_f64()?,
        b["y0"].as_f64()?,
        b["x1"].as_f64()?,
        b["y1"].as_f64()?,
    );
    // A little air around the text, so the outline does not cover it.
    const PAD: f64 = 1.5;
    Some(BoxView {
        field: field.to_string(),
        label: label.to_string(),
        x: x0.min(x1) - PAD,
        y: y0.min(y1) - PAD,
        w: (x1 - x0).abs() + 2.0 * PAD,
        h: (y1 - y0).abs() + 2.0 * PAD,
    })
}

/// The pages to show, each with the boxes of the fields read on it.
fn pages_view(pages: &Value, invoice: &Value) -> Vec<Value> {
    let lines = invoice["lines"].as_array().cloned().unwrap_or_default();
    pages["pages"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|p| {
                    let n = p["number"].as_u64().unwrap_or(1);
                    let mut boxes: Vec<BoxView> = FIELDS
                        .iter()
                        .filter_map(|f| box_of(f.name, f.label, at(invoice, f.path), n))
                        .collect();
                    for (i, line) in lines.iter().enumerate().take(MAX_LINES) {
                        for (key, label, _) in LINE_FIELDS {
                            let name = format!("lines[{i}].{key}");
                            let label = format!("Line {} {}", i + 1, label.to_lowercase());
                            boxes.extend(box_of(&name, &label, line.get(*key), n));
                        }
                    }
                    json!({
                        "number": n,
                        "url": p["url"],
                        "width": p["width"],
                        "height": p["height"],
                        "boxes": boxes,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn fields_view(invoice: &Value, findings: &[FindingView]) -> (Vec<FieldView>, Vec<LineView>) {
    let fields = FIELDS
        .iter()
        .map(|f| {
            field_view(
                f.name.into(),
                f.label,
                f.kind,
                at(invoice, f.path),
                findings,
            )
        })
        .collect();
    let lines = invoice["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .take(MAX_LINES)
                .enumerate()
                .map(|(i, line)| LineView {
                    index: i,
                    cells: LINE_FIELDS
                        .iter()
                        .map(|(key, label, kind)| {
                            field_view(
                                format!("lines[{i}].{key}"),
                                label,
                                *kind,
                                line.get(*key),
                                findings,
                            )
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    (fields, lines)
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    page: Option<u32>,
    done: Option<String>,
}

/// What a redirect after a successful post says on the page it lands on.
fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "saved" => "Saved. The findings below are recomputed from your corrections.",
        "unchanged" => "Nothing was changed.",
        "approved" => "Approved.",
        "approval" => "Your approval is recorded; the invoice needs more approvals.",
        "rejected" => "Rejected.",
        "commented" => "Comment added.",
        "queue_empty" => "The review queue is empty.",
        _ => return None,
    })
}

async fn queue(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let page = q.page.unwrap_or(1).max(1);
    let listing = api
        .get(
            &viewer.caller,
            &format!(
                "/api/v1/invoices?status=needs_review&sort=created_at&per_page=25&page={page}"
            ),
        )
        .await?;
    Ok(viewer.render(
        "review_queue.html",
        context! {
            title => "Review",
            listing => listing,
            notice => notice(q.done.as_deref()),
        },
    ))
}

/// The invoices waiting for review around `id`: (previous, next) in the queue's order
/// (oldest upload first), wrapping round; `None` where there is no other.
async fn neighbours(
    api: &ApiClient,
    viewer: &Viewer,
    id: Uuid,
) -> (Option<String>, Option<String>) {
    let Ok(v) = api
        .get(
            &viewer.caller,
            &format!("/api/v1/invoices/{id}/queue-neighbours"),
        )
        .await
    else {
        return (None, None);
    };
    let id_of = |k: &str| v[k].as_str().map(str::to_string);
    (id_of("previous"), id_of("next"))
}

/// The oldest invoice waiting for review after `id` (wrapping round), other than `id`.
async fn next_in_queue(api: &ApiClient, viewer: &Viewer, id: Uuid) -> Option<String> {
    neighbours(api, viewer, id).await.1
}

/// History entries as the page shows them, the actor named when it is the viewer.
fn history_view(history: Value, viewer: &Viewer) -> Vec<Value> {
    let me = viewer.caller.user.id.to_string();
    history["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut e| {
            let actor = match e["actor_id"].as_str() {
                Some(a) if a == me => "you".to_string(),
                Some(a) => format!("user {}", a.get(..8).unwrap_or(a)),
                None => "DoxIn".to_string(),
            };
            e["actor"] = json!(actor);
            e["what"] = json!(match e["action"].as_str().unwrap_or("") {
                "invoice.create" => "created",
                "invoice.extracted" => "read the document",
                "invoice.reprocess_requested" => "asked to read the document again",
                "invoice.reprocess" => "read the document again",
                "invoice.update" => "edited",
                "invoice.approve" => "approved",
                "invoice.approval" => "approved (more approvals needed)",
                "invoice.reject" => "rejected",
                "invoice.reopen" => "reopened for review",
                "invoice.comment" => "commented",
                "invoice.assign" => "assigned",
                "invoice.delete" => "deleted",
                "invoice.replace_file" => "replaced the file",
                other => other,
            });
            e
        })
        .collect()
}

/// Everything the review and detail pages show of invoice `id`.
async fn gather(
    api: &ApiClient,
    viewer: &Viewer,
    id: Uuid,
) -> Result<(Value, Value, Vec<Value>), WebError> {
    let who = &viewer.caller;
    let (inv_url, pages_url, history_url) = (
        format!("/api/v1/invoices/{id}"),
        format!("/api/v1/invoices/{id}/pages"),
        format!("/api/v1/invoices/{id}/history"),
    );
    let (inv, pages, history) = tokio::join!(
        api.get(who, &inv_url),
        api.get(who, &pages_url),
        api.get(who, &history_url),
    );
    let inv = inv?;
    // A document that cannot be rendered still leaves its fields to review.
    let pages = pages.unwrap_or_else(|e| json!({ "error": e.message(), "pages": [] }));
    let history = history_view(history.unwrap_or(Value::Null), viewer);
    Ok((inv, pages, history))
}

async fn review(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    render_review(
        &viewer,
        &api,
        id,
        StatusCode::OK,
        None,
        notice(q.done.as_deref()),
    )
    .await
}

async fn render_review(
    viewer: &Viewer,
    api: &ApiClient,
    id: Uuid,
    status: StatusCode,
    error: Option<String>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let (gathered, (prev, next)) =
        tokio::join!(gather(api, viewer, id), neighbours(api, viewer, id));
    let (inv, pages, history) = gathered?;
    let invoice = &inv["invoice"];
    let findings = findings_of(&inv);
    let (fields, lines) = fields_view(invoice, &findings);
    let has_errors = findings.iter().any(|f| f.severity == "error");
    let ctx = context! {
        title => format!("Review {}", text_of(invoice.get("invoice_number")).trim()),
        inv => inv,
        invoice_number => text_of(invoice.get("invoice_number")),
        seller => text_of(at(invoice, &["seller", "name"])),
        fields => fields,
        lines => lines,
        line_count => invoice["lines"].as_array().map_or(0, Vec::len),
        line_columns => LINE_FIELDS
            .iter()
            .map(|(key, label, kind)| json!({ "key": key, "label": label, "kind": kind }))
            .collect::<Vec<_>>(),
        findings => findings,
        has_errors => has_errors,
        pages => pages_view(&pages, invoice),
        pages_info => pages,
        history => history,
        prev => prev,
        next => next,
        error => error,
        notice => notice,
    };
    let mut resp = viewer.render("review.html", ctx);
    *resp.status_mut() = status;
    Ok(resp)
}

async fn detail(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let (inv, pages, history) = gather(&api, &viewer, id).await?;
    // Similar invoices need the embedding provider; the page shows without them.
    let similar = api
        .get(
            &viewer.caller,
            &format!("/api/v1/invoices/{id}/similar?limit=5"),
        )
        .await
        .map_or(Value::Null, |v| v["items"].clone());
    let invoice = &inv["invoice"];
    let findings = findings_of(&inv);
    let (fields, lines) = fields_view(invoice, &findings);
    Ok(viewer.render(
        "invoice_detail.html",
        context! {
            title => format!("Invoice {}", text_of(invoice.get("invoice_number")).trim()),
            inv => inv,
            invoice_number => text_of(invoice.get("invoice_number")),
            seller => text_of(at(invoice, &["seller", "name"])),
            fields => fields,
            lines => lines,
            findings => findings,
            pages_info => pages,
            history => history,
            similar => similar,
            notice => notice(q.done.as_deref()),
        },
    ))
}

/// Sets `path` of `v` to `new`, creating objects (and the first list item) on the way.
fn set_at(v: &mut Value, path: &[&str], new: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for key in parents {
        cur = match key.parse::<usize>() {
            Ok(i) => {
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                let Value::Array(items) = cur else { return };
                while items.len() <= i {
                    items.push(Value::Object(Map::new()));
                }
                &mut items[i]
            }
            Err(_) => {
                if !cur.is_object() {
                    *cur = Value::Object(Map::new());
                }
                let Value::Object(o) = cur else { return };
                o.entry(key.to_string())
                    .or_insert_with(|| Value::Object(Map::new()))
            }
        };
    }
    match cur {
        Value::Object(o) => {
            if new.is_null() {
                o.remove(*last);
            } else {
                o.insert(last.to_string(), new);
            }
        }
        Value::Array(items) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *slot = new;
            }
        }
        _ => {}
    }
}

/// A value a person typed, replacing `old` (its box kept, so the page still shows where it
/// stands); empty text removes the field.
fn typed(old: Option<&Value>, text: &str, kind: Kind) -> Value {
    let text = text.trim();
    if text.is_empty() {
        return Value::Null;
    }
    let value = match kind {
        // Amounts as typed in many locales: `1.234,50` and `1,234.50` both mean 1234.50.
        Kind::Amount => json!(normalise_amount(text)),
        Kind::Code => json!(text.to_uppercase().replace(' ', "")),
        Kind::Text | Kind::Date => json!(text),
    };
    let mut e = json!({ "value": value, "confidence": 1.0, "source": "human" });
    if let Some(old) = old {
        for key in ["page", "bbox"] {
            if let Some(v) = old.get(key).filter(|v| !v.is_null()) {
                e[key] = v.clone();
            }
        }
    }
    e
}

/// `1.234,50` → `1234.50`, `1,234.50` → `1234.50`, `12,5` → `12.5`; anything else as typed
/// (the API says what it cannot read).
fn normalise_amount(text: &str) -> String {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '\u{a0}')
        .collect();
    let last_comma = t.rfind(',');
    let last_dot = t.rfind('.');
    match (last_comma, last_dot) {
        (Some(c), Some(d)) if c > d => t.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => t.replace(',', ""),
        (Some(c), None) if t.len() - c - 1 == 3 && c > 0 => {
            // `1,234` is a thousands separator only if more digits precede it; `12,345` is
            // ambiguous and read as thousands, as most invoices in English write it.
            t.replace(',', "")
        }
        (Some(_), None) => t.replace(',', "."),
        _ => t,
    }
}

/// The canonical invoice with the form's changed values; `None` when nothing changed.
fn apply_form(invoice: &Value, form: &[(String, String)]) -> Option<Value> {
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut out = invoice.clone();
    let mut changed = false;
    let same = |old: Option<&Value>, text: &str, kind: Kind| {
        let was = text_of(old);
        let now = text.trim();
        match kind {
            Kind::Amount => {
                was == now
                    || matches!(
                        (
                            normalise_amount(now).parse::<f64>(),
                            was.parse::<f64>()
                        ),
                        (Ok(a), Ok(b)) if a == b
                    )
            }
            Kind::Code => was
                .replace(' ', "")
                .eq_ignore_ascii_case(&now.replace(' ', "")),
            _ => was == now,
        }
    };
    for f in FIELDS {
        let Some(text) = get(f.name) else { continue };
        let old = at(invoice, f.path);
        if !same(old, text, f.kind) {
            set_at(&mut out, f.path, typed(old, text, f.kind));
            changed = true;
        }
    }
    let line_count = invoice["lines"].as_array().map_or(0, Vec::len);
    for i in 0..line_count.min(MAX_LINES) {
        for (key, _, kind) in LINE_FIELDS {
            let Some(text) = get(&format!("lines[{i}].{key}")) else {
                continue;
            };
            let old = invoice["lines"][i].get(*key);
            if !same(old, text, *kind) {
                let index = i.to_string();
                set_at(&mut out, &["lines", &index, key], typed(old, text, *kind));
                changed = true;
            }
        }
    }
    // Lines ticked "Remove" go (highest first, so the indexes still hold) ...
    let mut removed: Vec<usize> = (0..line_count.min(MAX_LINES))
        .filter(|i| get(&format!("lines[{i}].remove")).is_some())
        .collect();
    removed.reverse();
    if let Some(items) = out["lines"].as_array_mut() {
        for i in removed {
            items.remove(i);
            changed = true;
        }
    }
    // ... and the empty row at the end, when anything was typed into it, is a new line.
    let mut new_line = Map::new();
    for (key, _, kind) in LINE_FIELDS {
        if let Some(text) = get(&format!("{NEW_LINE}.{key}")) {
            let v = typed(None, text, *kind);
            if !v.is_null() {
                new_line.insert(key.to_string(), v);
            }
        }
    }
    if !new_line.is_empty() && line_count < MAX_LINES {
        if !out["lines"].is_array() {
            out["lines"] = Value::Array(Vec::new());
        }
        if let Some(items) = out["lines"].as_array_mut() {
            items.push(Value::Object(new_line));
            changed = true;
        }
    }
    changed.then_some(out)
}

/// Where to go after a decision: the next invoice waiting for review, or this invoice's
/// page when none is left.
async fn after_decision(api: &ApiClient, viewer: &Viewer, id: Uuid, done: &str) -> Response {
    match next_in_queue(api, viewer, id).await {
        Some(next) => Redirect::to(&format!("/review/{next}?done={done}")).into_response(),
        None => Redirect::to(&format!("/invoices/{id}?done={done}")).into_response(),
    }
}

async fn decide(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    viewer.check_csrf(&get("_csrf").unwrap_or_default())?;
    let action = get("action").unwrap_or_else(|| "save".into());
    let who = &viewer.caller;
    let (viewer_ref, api_ref) = (&viewer, &api);
    let refused = |e: ApiRefusal| async move {
        if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::UNAUTHORIZED {
            return Err(WebError::from(e));
        }
        let status = if e.status.is_client_error() {
            e.status
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        // The API words these for API clients (`{"override_reason": …}`); a page says
        // where on the page to act.
        let message = match e.code.as_str() {
            "override_required" => "Validation still finds errors. Correct them and save, or \
                say why you approve anyway under “Approve with override”."
                .to_string(),
            "reason_required" => {
                "A rejection needs a reason: say why in the reason field.".to_string()
            }
            _ => e.message(),
        };
        render_review(viewer_ref, api_ref, id, status, Some(message), None).await
    };
    match action.as_str() {
        "save" => {
            let inv = match api.get(who, &format!("/api/v1/invoices/{id}")).await {
                Ok(v) => v,
                Err(e) => return Err(e.into()),
            };
            let Some(changed) = apply_form(&inv["invoice"], &form) else {
                return Ok(Redirect::to(&format!("/review/{id}?done=unchanged")).into_response());
            };
            match api
                .send(
                    who,
                    Method::PUT,
                    &format!("/api/v1/invoices/{id}"),
                    Some(json!({ "invoice": changed })),
                )
                .await
            {
                Ok(_) => Ok(Redirect::to(&format!("/review/{id}?done=saved")).into_response()),
                Err(e) => refused(e).await,
            }
        }
        "approve" | "approve_next" | "override" => {
            let mut body = json!({});
            if let Some(c) = get("comment") {
                body["comment"] = json!(c);
            }
            if let Some(r) = get("override_reason") {
                body["override_reason"] = json!(r);
            }
            match api
                .send(
                    who,
                    Method::POST,
                    &format!("/api/v1/invoices/{id}/approve"),
                    Some(body),
                )
                .await
            {
                Ok(v) => {
                    let done = if v["status"] == "approved" {
                        "approved"
                    } else {
                        "approval"
                    };
                    Ok(after_decision(&api, &viewer, id, done).await)
                }
                Err(e) => refused(e).await,
            }
        }
        "reject" => {
            let Some(reason) = get("reason") else {
                return render_review(
                    &viewer,
                    &api,
                    id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("A rejection needs a reason: say why in the reason field.".into()),
                    None,
                )
                .await;
            };
            match api
                .send(
                    who,
                    Method::POST,
                    &format!("/api/v1/invoices/{id}/reject"),
                    Some(json!({ "reason": reason })),
                )
                .await
            {
                Ok(_) => Ok(after_decision(&api, &viewer, id, "rejected").await),
                Err(e) => refused(e).await,
            }
        }
        "comment" => {
            let text = get("text").unwrap_or_default();
            match api
                .send(
                    who,
                    Method::POST,
                    &format!("/api/v1/invoices/{id}/comments"),
                    Some(json!({ "text": text })),
                )
                .await
            {
                Ok(_) => {
                    let back = if get("back").as_deref() == Some("detail") {
                        format!("/invoices/{id}?done=commented#history")
                    } else {
                        format!("/review/{id}?done=commented#history")
                    };
                    Ok(Redirect::to(&back).into_response())
                }
                Err(e) => refused(e).await,
            }
        }
        other => Ok(render::page(
            StatusCode::BAD_REQUEST,
            "error.html",
            context! {
                title => "Unknown action",
                detail => format!("The form asked for {other:?}, which this page does not do."),
                status => 400,
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_typed_in_either_convention_are_read() {
        assert_eq!(normalise_amount("1.234,50"), "1234.50");
        assert_eq!(normalise_amount("1,234.50"), "1234.50");
        assert_eq!(normalise_amount("12,5"), "12.5");
        assert_eq!(normalise_amount("1 234.5"), "1234.5");
        assert_eq!(normalise_amount("119.00"), "119.00");
    }

    #[test]
    fn finding_paths_name_form_fields() {
        assert_eq!(
            form_name("totals.tax_inclusive_amount").as_deref(),
            Some("gross_amount")
        );
        assert_eq!(form_name("bank_accounts[0].iban").as_deref(), Some("iban"));
        assert_eq!(
            form_name("lines[2].line_amount").as_deref(),
            Some("lines[2].line_amount")
        );
        assert_eq!(form_name("notes"), None);
    }

    #[test]
    fn only_changed_values_become_human() {
        let invoice = json!({
            "invoice_number": {"value": "A-1", "confidence": 0.9, "source": "text", "page": 1,
                "bbox": {"x0": 1.0, "y0": 2.0, "x1": 3.0, "y1": 4.0}},
            "totals": {"tax_inclusive_amount": {"value": "119.00", "confidence": 0.8, "source": "text"}},
            "lines": [{"line_amount": {"value": "100.00", "confidence": 0.7, "source": "text"}}],
        });
        let form = vec![
            ("invoice_number".to_string(), "A-1".to_string()),
            ("gross_amount".to_string(), "119".to_string()),
            ("lines[0].line_amount".to_string(), "1.000,00".to_string()),
            (
                "iban".to_string(),
                "de89 3704 0044 0532 0130 00".to_string(),
            ),
        ];
        let out = apply_form(&invoice, &form).expect("changed");
        assert_eq!(out["invoice_number"]["source"], "text");
        assert_eq!(out["totals"]["tax_inclusive_amount"]["source"], "text");
        assert_eq!(out["lines"][0]["line_amount"]["value"], "1000.00");
        assert_eq!(out["lines"][0]["line_amount"]["source"], "human");
        assert_eq!(
            out["bank_accounts"][0]["iban"]["value"],
            "DE89370400440532013000"
        );
        assert!(apply_form(&invoice, &form[..2]).is_none());
    }
}
