//! Exports of one invoice or a filtered set (`routes/exports.rs`): attachments, not JSON
//! documents, except `format=json`.

use serde_json::{Map, Value, json};

use super::model::decimal_string;
use super::{Op, Operation, datetime, enumeration, object, schema_ref, string, uuid};

const FORMATS: [&str; 5] = ["csv", "csv-lines", "xlsx", "json", "ubl"];

fn binary(media_type: &str) -> Value {
    json!({ "type": "string", "contentMediaType": media_type })
}

/// The `format` parameter: required (400 without it), case-insensitive.
fn format(op: Op) -> Op {
    op.param(json!({
        "name": "format", "in": "query", "required": true,
        "description": "`csv` (one row per invoice), `csv-lines` (one row per line), `xlsx` \
            (Invoices and Lines sheets), `json` (the canonical invoices), `ubl` (UBL 2.1: XML \
            for one invoice, a ZIP of XML documents for a set); case-insensitive",
        "schema": enumeration(&FORMATS),
    }))
}

/// The 200 answer: the file, in the format's media type.
fn attachment(op: Op, json_schema: Value, ubl: &str) -> Op {
    op.response(
        200,
        json!({
            "description": "The file, as an attachment (`Content-Disposition: attachment; \
                filename=\"…\"`, `Cache-Control: private, no-store`)",
            "headers": {
                "Content-Disposition": { "schema": string() },
                "Cache-Control": { "schema": string() },
            },
            "content": {
                "text/csv": { "schema": binary("text/csv") },
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": binary("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                },
                "application/json": { "schema": json_schema },
                ubl: { "schema": binary(ubl) },
            },
        }),
    )
}

pub(super) fn operations() -> Vec<Operation> {
    let date = json!({ "type": "string", "format": "date" });
    vec![
        (
            "/api/v1/invoices/export",
            "get",
            Op::new("exports", "export_invoices", "Export the caller's invoices")
                .description(
                    "The caller's invoices (an administrator's: all) matching the filters. A \
                     set holds at most 10,000 invoices: more answers 422 \
                     `export_too_large` rather than a partial file. 422 `not_exportable` \
                     when an invoice cannot be written in the format. The invoice list's \
                     parameter names (`vendor`, `date_from`, `date_to`, `min_amount`, \
                     `max_amount`) are accepted for their counterparts here, so a list's query \
                     string exports the same set.",
                )
                .read()
                .apply(format)
                .query(
                    "status",
                    "Only invoices in this state",
                    enumeration(&["needs_review", "approved", "rejected"]),
                )
                .query(
                    "currency",
                    "Only this ISO 4217 currency (case-insensitive)",
                    string(),
                )
                .query(
                    "ids",
                    "A selection: comma-separated invoice ids (at most 200); the filters still apply",
                    string(),
                )
                .query(
                    "q",
                    "Full-text search: only invoices the search finds for this text",
                    string(),
                )
                .query("seller", "Seller name contains this", string())
                .query("issued_from", "Issued on or after this day", date.clone())
                .query("issued_to", "Issued on or before this day", date)
                .query("min_gross", "Gross total at least this", decimal_string())
                .query("max_gross", "Gross total at most this", decimal_string())
                .apply(|op| attachment(op, schema_ref("ExportedSet"), "application/zip"))
                .caller()
                .problems(&[400, 422])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/invoices/{id}/export",
            "get",
            Op::new("exports", "export_invoice", "Export one invoice")
                .description(
                    "422 `not_exportable` when the invoice cannot be written in the format \
                     (UBL needs, for instance, a number and an issue date).",
                )
                .read()
                .path_id("id", "The invoice's id")
                .apply(format)
                .apply(|op| attachment(op, schema_ref("ExportedInvoice"), "application/xml"))
                .caller()
                .problems(&[400, 404, 422])
                .store_errors()
                .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "ExportedInvoice".into(),
        object(
            "One exported invoice: its bookkeeping, then the canonical invoice.",
            json!({
                "id": uuid(),
                "status": enumeration(&["needs_review", "approved", "rejected"]),
                "confidence": { "type": "number", "minimum": 0, "maximum": 1 },
                "created_at": datetime(),
                "updated_at": datetime(),
                "invoice": schema_ref("Invoice"),
            }),
        ),
    );
    m.insert(
        "ExportedSet".into(),
        object(
            "Exported invoices.",
            json!({
                "count": { "type": "integer", "minimum": 0 },
                "invoices": { "type": "array", "items": schema_ref("ExportedInvoice") },
            }),
        ),
    );
    m
}
