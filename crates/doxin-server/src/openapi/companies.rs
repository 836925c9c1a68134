//! Companies the pipeline matched sellers and buyers to (`routes/companies.rs`), and the
//! dashboard (`routes/dashboard.rs`).

use serde_json::{Map, Value, json};

use super::{
    Op, Operation, datetime, enumeration, integer, nullable, object, page_of, schema_ref, string,
    uuid,
};

fn count() -> Value {
    json!({ "type": "integer", "minimum": 0 })
}

pub(super) fn operations() -> Vec<Operation> {
    vec![
        (
            "/api/v1/companies",
            "get",
            Op::new(
                "companies",
                "list_companies",
                "The caller's vendors and customers (an administrator: everybody's)",
            )
            .read()
            .query("kind", "Only vendors or only customers", enumeration(&["vendor", "customer"]))
            .query("q", "Name contains this, or this VAT id", string())
            .paged()
            .ok(
                200,
                "A page of companies",
                page_of(schema_ref("Company")),
            )
            .link(200, "company_detail", "id", "/items/0/id")
            .caller()
            .problems(&[400])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/companies/{id}",
            "get",
            Op::new("companies", "company_detail", "A company with its invoice count")
                .read()
                .path_id("id", "The company's id")
                .ok(200, "The company", schema_ref("Company"))
                .caller()
                .problems(&[400, 404])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/dashboard/stats",
            "get",
            Op::new("dashboard", "dashboard_stats", "Invoice figures in the caller's scope")
                .read()
                .ok(
                    200,
                    "The figures",
                    object(
                        "Live invoices only; \"today\" is the UTC day.",
                        json!({
                            "total_invoices": count(),
                            "by_status": object(
                                "Invoices by review status.",
                                json!({
                                    "needs_review": count(),
                                    "approved": count(),
                                    "rejected": count(),
                                }),
                            ),
                            "processed_today": count(),
                            "pending_review": count(),
                            "amounts_by_currency": {
                                "type": "array",
                                "description": "Gross sums per currency, largest count first",
                                "items": object(
                                    "One currency's invoices (null: no currency).",
                                    json!({
                                        "currency": nullable("string"),
                                        "count": count(),
                                        "gross": { "type": "string", "description": "Decimal string" },
                                    }),
                                ),
                            },
                            "amounts_by_month": {
                                "type": "array",
                                "description": "Gross sums per month of issue and currency, oldest first",
                                "items": object(
                                    "One month's invoices in one currency.",
                                    json!({
                                        "month": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$" },
                                        "currency": nullable("string"),
                                        "count": count(),
                                        "gross": { "type": "string", "description": "Decimal string" },
                                    }),
                                ),
                            },
                            "day_start": datetime(),
                        }),
                    ),
                )
                .caller()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/dashboard/supported-types",
            "get",
            Op::new("dashboard", "supported_types", "The document types DoxIn reads")
                .read()
                .ok(
                    200,
                    "The types",
                    object(
                        "Readable documents; the type is detected from the content.",
                        json!({
                            "types": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["kind", "mime_types", "extensions", "read_by"],
                                    "properties": {
                                        "kind": enumeration(&["pdf", "xml", "image", "text"]),
                                        "mime_types": { "type": "array", "items": string() },
                                        "extensions": { "type": "array", "items": string() },
                                        "read_by": string(),
                                        "syntaxes": { "type": "array", "items": string() },
                                    },
                                },
                            },
                            "detected_by": string(),
                        }),
                    ),
                )
                .caller()
                .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "Company".into(),
        object(
            "A vendor or customer as a workspace knows it (each workspace has its own records, \
             matched only among its own), with how many of the workspace's invoices name it.",
            json!({
                "id": uuid(),
                "workspace_id": {
                    "type": ["string", "null"],
                    "format": "uuid",
                    "description": "The workspace whose company this is (null: none, seen only by system administrators)",
                },
                "kind": enumeration(&["vendor", "customer"]),
                "name": string(),
                "vat_id": nullable("string"),
                "tax_number": nullable("string"),
                "country": nullable("string"),
                "address": { "description": "The address as extracted (any JSON)" },
                "invoice_count": integer(),
                "invoices_url": { "type": "string", "description": "The list of its invoices" },
                "created_at": datetime(),
                "updated_at": datetime(),
            }),
        ),
    );
    m
}
