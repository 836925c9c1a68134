//! Reports generated in the background and their templates (`routes/reports.rs`).

use serde_json::{Map, Value, json};

use super::{
    Op, Operation, datetime, enumeration, nullable, object, object_with, page_of, schema_ref,
    string, uuid,
};

const TYPES: [&str; 7] = [
    "financial",
    "sales",
    "business_intelligence",
    "ap_aging",
    "vat_summary",
    "vendor_spend",
    "profit_margin",
];
const FORMATS: [&str; 3] = ["xlsx", "csv", "pdf"];
const STATUSES: [&str; 5] = ["queued", "running", "succeeded", "failed", "cancelled"];

fn nullable_uuid() -> Value {
    json!({ "type": ["string", "null"], "format": "uuid" })
}

fn title() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": 200 })
}

fn formats() -> Value {
    json!({
        "type": "array",
        "description": "File formats to generate (default all three)",
        "items": enumeration(&FORMATS),
    })
}

fn report_id(op: Op) -> Op {
    op.path_id("id", "The report's id")
}

pub(super) fn operations() -> Vec<Operation> {
    vec![
        (
            "/api/v1/reports",
            "get",
            Op::new("reports", "list_reports", "The caller's reports, newest first")
                .description("A system administrator sees every user's reports.")
                .read()
                .paged()
                .ok(200, "A page of reports", page_of(schema_ref("Report")))
                .caller()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/reports",
            "post",
            Op::new("reports", "create_report", "Ask for a report (generated in the background)")
                .description(
                    "Queues a job that computes the report over the invoices of the workspace \
                     the request acts in (an administrator who names none: every workspace) \
                     and renders each format. Follow it at `status_url`, or over the WebSocket \
                     (`report.progress`, `report.completed`, `job.failed`). A `template_id` \
                     fills in what the body leaves out. 422 `invalid_report` for an unknown \
                     type or format or refused parameters; 429 `queue_full` when the queue \
                     holds `QUEUE_MAX` jobs.",
                )
                .json_body(object_with(
                    &[],
                    json!({
                        "report_type": enumeration(&TYPES),
                        "title": title(),
                        "parameters": schema_ref("ReportParameters"),
                        "formats": formats(),
                        "template_id": uuid(),
                    }),
                ))
                .ok(202, "The report, queued", schema_ref("ReportQueued"))
                .link(202, "report_detail", "id", "/id")
                .caller()
                .json_rejections()
                .problems(&[404, 429])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/reports/{id}",
            "get",
            report_id(Op::new("reports", "report_detail", "A report, its status and files"))
                .read()
                .ok(200, "The report", schema_ref("Report"))
                .caller()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/reports/{id}",
            "delete",
            report_id(Op::new(
                "reports",
                "delete_report",
                "Delete a report and its files (cancelling its job if it is still running)",
            ))
            .empty(204, "Deleted")
            .caller()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/reports/{id}/download",
            "get",
            report_id(Op::new("reports", "download_report", "One file of a finished report"))
                .param(json!({
                    "name": "format", "in": "query", "required": true,
                    "description": "`xlsx`, `csv` or `pdf`, among the formats the report was asked in",
                    "schema": enumeration(&FORMATS),
                }))
                .read()
                .response(
                    200,
                    json!({
                        "description": "The file, as an attachment",
                        "headers": {
                            "Content-Disposition": { "schema": string() },
                            "Cache-Control": { "schema": string() },
                        },
                        "content": {
                            "text/csv": { "schema": { "type": "string", "contentMediaType": "text/csv" } },
                            "application/pdf": { "schema": { "type": "string", "contentMediaType": "application/pdf" } },
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": { "type": "string", "contentMediaType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
                            },
                        },
                    }),
                )
                .description("409 `report_not_ready` until the report succeeded.")
                .caller()
                .problems(&[409])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/reports/templates",
            "get",
            Op::new("reports", "list_report_templates", "The caller's saved report parameters")
                .read()
                .paged()
                .ok(200, "A page of templates", page_of(schema_ref("ReportTemplate")))
                .caller()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/reports/templates",
            "post",
            Op::new("reports", "create_report_template", "Save report parameters under a name")
                .json_body(object_with(
                    &["name", "report_type"],
                    json!({
                        "name": title(),
                        "report_type": enumeration(&TYPES),
                        "parameters": schema_ref("ReportParameters"),
                        "formats": formats(),
                    }),
                ))
                .ok(201, "The template", schema_ref("ReportTemplate"))
                .caller()
                .json_rejections()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/reports/templates/{id}",
            "delete",
            Op::new("reports", "delete_report_template", "Delete a template")
                .path_id("id", "The template's id")
                .empty(204, "Deleted")
                .caller()
                .store_errors()
                .build(),
        ),
    ]
}

fn report_properties() -> Value {
    json!({
        "id": uuid(),
        "title": string(),
        "report_type": enumeration(&TYPES),
        "parameters": { "type": "object" },
        "formats": { "type": "array", "items": enumeration(&FORMATS) },
        "status": enumeration(&STATUSES),
        "progress": { "type": ["integer", "null"], "minimum": 0, "maximum": 100 },
        "error": nullable("string"),
        "summary": {
            "type": ["object", "null"],
            "description": "Headline figures once generated, per currency (decimal strings)",
        },
        "job_id": nullable_uuid(),
        "websocket_url": nullable("string"),
        "files": { "type": "array", "items": schema_ref("ReportFile") },
        "created_by": uuid(),
        "workspace_id": nullable_uuid(),
        "created_at": datetime(),
        "started_at": { "type": ["string", "null"], "format": "date-time" },
        "finished_at": { "type": ["string", "null"], "format": "date-time" },
    })
}

pub(super) fn schemas() -> Map<String, Value> {
    let date = json!({ "type": "string", "format": "date" });
    let mut m = Map::new();
    m.insert(
        "ReportParameters".into(),
        json!({
            "type": "object",
            "description": "What a report covers; every field optional, unknown fields refused.",
            "additionalProperties": false,
            "properties": {
                "from": date,
                "to": date,
                "currency": { "type": "string", "description": "ISO 4217 code" },
                "companies": { "type": "array", "items": uuid(), "maxItems": 100,
                    "description": "Only invoices whose vendor or customer is one of these companies" },
                "as_of": date,
                "period": enumeration(&["month", "quarter", "year"]),
                "top": { "type": "integer", "minimum": 1, "maximum": 50 },
                "unit_costs": {
                    "type": "array",
                    "maxItems": 1000,
                    "description": "Unit costs for the profit margin report (no invoice carries a cost), matched to line descriptions regardless of case",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["product", "currency", "unit_cost"],
                        "properties": {
                            "product": { "type": "string", "minLength": 1, "maxLength": 200 },
                            "currency": { "type": "string", "description": "ISO 4217 code" },
                            "unit_cost": { "type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$" },
                        },
                    },
                },
            },
        }),
    );
    m.insert(
        "ReportFile".into(),
        object(
            "A generated file.",
            json!({
                "format": enumeration(&FORMATS),
                "content_type": string(),
                "filename": string(),
                "size_bytes": { "type": "integer", "minimum": 0 },
                "sha256": string(),
                "download_url": string(),
            }),
        ),
    );
    m.insert(
        "Report".into(),
        object("A report record.", report_properties()),
    );
    let mut queued = report_properties();
    if let Some(p) = queued.as_object_mut() {
        p.insert("status_url".into(), string());
    }
    m.insert(
        "ReportQueued".into(),
        object("A report just queued.", queued),
    );
    m.insert(
        "ReportTemplate".into(),
        object(
            "Saved report parameters.",
            json!({
                "id": uuid(),
                "name": string(),
                "report_type": enumeration(&TYPES),
                "parameters": { "type": "object" },
                "formats": { "type": "array", "items": enumeration(&FORMATS) },
                "created_by": uuid(),
                "created_at": datetime(),
            }),
        ),
    );
    m
}
