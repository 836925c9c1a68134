//! Invoices: list, detail, create, update, delete, source file, search, semantic search and
//! similar invoices (`routes/invoices.rs`).

use serde_json::{Map, Value, json};

use super::model::decimal_string;
use super::{
    Op, Operation, boolean, datetime, enumeration, integer, nullable, nullable_format, object,
    page_of, page_with, schema_ref, string, uuid,
};

const STATUSES: [&str; 3] = ["needs_review", "approved", "rejected"];
const SORT_FIELDS: [&str; 9] = [
    "created_at",
    "issue_date",
    "due_date",
    "invoice_number",
    "seller_name",
    "buyer_name",
    "gross_amount",
    "status",
    "confidence",
];

fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

fn nullable_ref(name: &str) -> Value {
    json!({ "oneOf": [schema_ref(name), { "type": "null" }] })
}

fn id(op: Op) -> Op {
    op.path_id("id", "The invoice's id")
}

/// The filters shared by the list and full-text search.
fn filters(op: Op) -> Op {
    let sort = SORT_FIELDS
        .iter()
        .flat_map(|f| [f.to_string(), format!("-{f}")])
        .collect::<Vec<_>>();
    op.query(
        "status",
        "Only invoices in this state",
        enumeration(&STATUSES),
    )
    .query(
        "needs_review",
        "Only invoices that need review (true) or not (false)",
        boolean(),
    )
    .query(
        "uploader_ids",
        "Comma-separated owner ids (at most 100), and `unassigned` for invoices without \
             an owner",
        string(),
    )
    .query("customer", "Buyer name contains this", string())
    .query("customer_id", "Only this customer company", uuid())
    .query("vendor", "Seller name contains this", string())
    .query(
        "seller",
        "The same as `vendor` (used when `vendor` is absent)",
        string(),
    )
    .query("vendor_id", "Only this vendor company", uuid())
    .query(
        "assignee_id",
        "Only invoices assigned to this reviewer",
        uuid(),
    )
    .query("salesperson", "Salesperson contains this", string())
    .query("currency", "Only this ISO 4217 currency", string())
    .query("date_from", "Issued on or after this day", date())
    .query("date_to", "Issued on or before this day", date())
    .query(
        "created_from",
        "Uploaded at or after: a date (the day's start, UTC) or an RFC 3339 time",
        json!({ "anyOf": [date(), { "type": "string", "format": "date-time" }] }),
    )
    .query(
        "created_to",
        "Uploaded at or before: a date (the whole day, UTC) or an RFC 3339 time",
        json!({ "anyOf": [date(), { "type": "string", "format": "date-time" }] }),
    )
    .query("min_amount", "Gross total at least this", decimal_string())
    .query("max_amount", "Gross total at most this", decimal_string())
    .query(
        "sort",
        "Sort field, `-field` for descending (default `-created_at`)",
        json!({ "type": "string", "enum": sort }),
    )
    .query(
        "order",
        "`asc` or `desc`, overriding the sign of `sort`",
        enumeration(&["asc", "desc"]),
    )
    .paged()
}

fn nearest(op: Op) -> Op {
    op.query(
        "limit",
        "How many (1 to 50; out of range counts as the nearest bound; default 10)",
        json!({ "type": "integer", "minimum": 0, "maximum": 4_294_967_295_u64 }),
    )
}

/// The body of PUT and PATCH (and of POST /invoices): a correction in the invoice's own
/// shape with plain values (`PlainInvoice`), optionally on top of a whole canonical `invoice`,
/// plus the flat names of the first API.
fn update_body() -> Value {
    let amount = json!({
        "type": ["string", "number", "null"],
        "pattern": "^ *-?[0-9]{1,12}(\\.[0-9]{1,6})? *$",
    });
    json!({
        "description": "Plain values in the invoice's own shape, e.g. \
            `{\"totals\": {\"line_extension_amount\": \"34.73\"}}` or \
            `{\"lines\": [{\"description\": \"Chair\", \"quantity\": 2, \"line_amount\": 21}]}`: \
            each value given is recorded as entered by a person (source `human`, confidence 1), \
            objects merge into what is there, lists replace, `null` removes. A whole canonical \
            `invoice` may come first. The flat names `net_amount`, `tax_amount`, \
            `gross_amount`, `payable_amount`, `seller_name`, `seller_vat_id`, `buyer_name`, \
            `buyer_vat_id` and `salesperson` still work. Companies are matched again and \
            validation is run again; a decision is reopened only when amounts, parties, dates, \
            lines or bank accounts change. A key the invoice does not have is refused (422 \
            `invalid_correction`), and so are texts with a NUL character.",
        "allOf": [
            schema_ref("PlainInvoice"),
            {
                "type": "object",
                "properties": {
                    "invoice": nullable_ref("Invoice"),
                    "net_amount": amount,
                    "tax_amount": amount,
                    "gross_amount": amount,
                    "payable_amount": amount,
                    "seller_name": { "type": ["string", "null"] },
                    "seller_vat_id": { "type": ["string", "null"] },
                    "buyer_name": { "type": ["string", "null"] },
                    "buyer_vat_id": { "type": ["string", "null"] },
                    "salesperson": { "type": ["string", "null"] },
                },
            },
        ],
    })
}

fn update(method: &str) -> Op {
    let (op_id, summary) = if method == "put" {
        ("replace_invoice", "Update an invoice (as PATCH)")
    } else {
        ("update_invoice", "Update an invoice's fields")
    };
    id(Op::new("invoices", op_id, summary))
        .json_body(update_body())
        .ok(200, "The updated invoice", schema_ref("InvoiceDetail"))
        .caller()
        .problems(&[404])
        .json_rejections()
        .store_errors()
}

pub(super) fn operations() -> Vec<Operation> {
    vec![
        (
            "/api/v1/invoices",
            "get",
            Op::new(
                "invoices",
                "list_invoices",
                "The caller's invoices (an administrator's: all)",
            )
            .read()
            .description(
                "Past 1,000 matches the total is the database's estimate \
                 (`pagination.total_is_estimate`) unless `exact_total=true`. For deep or live \
                 paging follow `pagination.next_cursor` with `cursor`: no row is repeated or \
                 skipped when invoices are added or removed meanwhile.",
            )
            .query("q", "Full-text search within the list", string())
            .query(
                "cursor",
                "The `next_cursor` of the previous page (keyset paging; `page` is then \
                 ignored); it must come from a list with the same `sort`",
                string(),
            )
            .query(
                "exact_total",
                "Count the total exactly even past 1,000 matches",
                json!({ "type": "boolean" }),
            )
            .apply(filters)
            .ok(
                200,
                "A page of invoices",
                page_of(schema_ref("InvoiceSummary")),
            )
            .link(200, "invoice_detail", "id", "/items/0/id")
            .caller()
            .problems(&[400])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/invoices",
            "post",
            Op::new("invoices", "create_invoice", "Enter an invoice by hand")
                .description(
                    "Validated and matched to companies like a processed one; it starts in \
                     `needs_review`. `Location` names the new invoice. 422 for a text with a \
                     NUL character, a confidence outside 0..1 or a number beyond 32-bit floats.",
                )
                .json_body(update_body())
                .response(
                    201,
                    json!({
                        "description": "Created",
                        "headers": { "Location": { "schema": string() } },
                        "content": { "application/json": {
                            "schema": schema_ref("InvoiceDetail"),
                        } },
                    }),
                )
                .link(201, "invoice_detail", "id", "/id")
                .link(201, "update_invoice", "id", "/id")
                .link(201, "delete_invoice", "id", "/id")
                .link(201, "replace_invoice", "id", "/id")
                .link(201, "similar_invoices", "id", "/id")
                .link(201, "download_invoice_file", "id", "/id")
                .link(201, "replace_invoice_file", "id", "/id")
                .link(201, "export_invoice", "id", "/id")
                .link(201, "approve_invoice", "id", "/id")
                .link(201, "reject_invoice", "id", "/id")
                .caller()
                .json_rejections()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/invoices/search",
            "get",
            Op::new(
                "invoices",
                "search_invoices",
                "Full-text search, best match first",
            )
            .read()
            .param(json!({
                "name": "q", "in": "query", "required": true,
                "description": "The search text (400 without it)",
                "schema": { "type": "string", "minLength": 1 },
            }))
            .apply(filters)
            .ok(
                200,
                "A page of hits",
                page_with(schema_ref("InvoiceHit"), json!({ "query": string() })),
            )
            .caller()
            .problems(&[400])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/invoices/semantic-search",
            "get",
            Op::new(
                "invoices",
                "semantic_search",
                "Invoices nearest in meaning to a text",
            )
            .description("503 when the embedding provider is unavailable.")
            .read()
            .param(json!({
                "name": "q", "in": "query", "required": true,
                "description": "The search text (400 without it)",
                "schema": { "type": "string", "minLength": 1 },
            }))
            .apply(nearest)
            .ok(
                200,
                "The nearest invoices, nearest first",
                object(
                    "Hits by meaning.",
                    json!({
                        "query": string(),
                        "model": string(),
                        "items": { "type": "array", "items": schema_ref("InvoiceHit") },
                    }),
                ),
            )
            .caller()
            .problems(&[400])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/invoices/{id}",
            "get",
            id(Op::new(
                "invoices",
                "invoice_detail",
                "An invoice with lines, findings and file",
            ))
            .read()
            .ok(200, "The invoice", schema_ref("InvoiceDetail"))
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
        ("/api/v1/invoices/{id}", "put", update("put").build()),
        ("/api/v1/invoices/{id}", "patch", update("patch").build()),
        (
            "/api/v1/invoices/{id}",
            "delete",
            id(Op::new(
                "invoices",
                "delete_invoice",
                "Delete an invoice (soft)",
            ))
            .empty(204, "Deleted")
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/invoices/{id}/file",
            "get",
            id(Op::new(
                "invoices",
                "download_invoice_file",
                "The invoice's source document",
            ))
            .description("404 when the invoice has no file (entered by hand).")
            .read()
            .response(
                200,
                json!({
                    "description": "The document as uploaded, in its detected media type, \
                        as an attachment",
                    "headers": {
                        "Content-Disposition": { "schema": string() },
                        "Cache-Control": { "schema": string() },
                    },
                    "content": { "*/*": { "schema": {} } },
                }),
            )
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/invoices/{id}/file",
            "put",
            id(Op::new(
                "invoices",
                "replace_invoice_file",
                "Replace the invoice's source document",
            ))
            .description(
                "Multipart with a `file` part (400 without it). The type is read from the \
                     content (415 when DoxIn cannot read it); 422 `empty_file`; 413 over the \
                     upload limit; 409 when another invoice of the owner has this file. The \
                     invoice's values are not re-extracted.",
            )
            .body(
                "multipart/form-data",
                json!({
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "contentMediaType": "application/octet-stream",
                        },
                    },
                }),
                true,
            )
            .ok(
                200,
                "The invoice with its new file",
                schema_ref("InvoiceDetail"),
            )
            .caller()
            .problems(&[400, 404, 409, 413, 415, 422])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/invoices/{id}/similar",
            "get",
            id(Op::new(
                "invoices",
                "similar_invoices",
                "Invoices most like this one",
            ))
            .description(
                "The invoice is embedded first when it has no embedding by the configured \
                     model; 503 when the embedding provider is unavailable.",
            )
            .read()
            .apply(nearest)
            .ok(
                200,
                "The most similar invoices, nearest first (the invoice itself excluded)",
                object(
                    "Similar invoices.",
                    json!({
                        "invoice_id": uuid(),
                        "model": string(),
                        "items": { "type": "array", "items": schema_ref("InvoiceHit") },
                    }),
                ),
            )
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let summary = json!({
        "id": uuid(),
        "owner_id": nullable_format("string", "uuid"),
        "workspace_id": nullable_format("string", "uuid"),
        "status": enumeration(&STATUSES),
        "needs_review": boolean(),
        "invoice_number": nullable("string"),
        "issue_date": nullable_format("string", "date"),
        "due_date": nullable_format("string", "date"),
        "currency": nullable("string"),
        "seller_name": nullable("string"),
        "buyer_name": nullable("string"),
        "salesperson": nullable("string"),
        "gross_amount": { "type": ["string", "null"], "description": "Decimal string" },
        "confidence": { "type": "number" },
        "duplicate_of": nullable_format("string", "uuid"),
        "vendor_id": nullable_format("string", "uuid"),
        "customer_id": nullable_format("string", "uuid"),
        "file_id": nullable_format("string", "uuid"),
        "assignee_id": nullable_format("string", "uuid"),
        "created_at": datetime(),
    });
    let company_ref = json!({
        "oneOf": [
            object(
                "The matched company.",
                json!({ "id": uuid(), "name": string(), "vat_id": nullable("string") }),
            ),
            { "type": "null" },
        ],
    });
    let file = json!({
        "oneOf": [
            object(
                "The source document.",
                json!({
                    "id": uuid(),
                    "original_name": string(),
                    "mime_type": string(),
                    "size_bytes": integer(),
                    "page_count": nullable("integer"),
                    "sha256": string(),
                    "url": { "type": "string", "description": "Where to download it" },
                }),
            ),
            { "type": "null" },
        ],
    });
    let mut m = Map::new();
    m.insert(
        "InvoiceSummary".into(),
        object("An invoice in a list.", summary),
    );
    m.insert(
        "InvoiceHit".into(),
        json!({
            "allOf": [
                schema_ref("InvoiceSummary"),
                {
                    "type": "object",
                    "required": ["score"],
                    "properties": { "score": {
                        "type": ["number", "null"],
                        "description": "Higher is closer; null when the similarity is undefined \
                            (an embedding of zeros, as for a text without words)",
                    } },
                },
            ],
        }),
    );
    m.insert(
        "Finding".into(),
        json!({
            "type": "object",
            "description": "A validation finding.",
            "required": ["rule", "severity", "message"],
            "properties": {
                "rule": { "type": "string", "description": "The rule's code (`BR-CO-10`)" },
                "severity": enumeration(&["error", "warning"]),
                "message": string(),
                "field": { "type": "string", "description": "`lines[2].line_amount`…" },
                "expected": string(),
                "actual": string(),
            },
        }),
    );
    m.insert(
        "InvoiceDetail".into(),
        object(
            "An invoice: bookkeeping, the canonical invoice, its lines, findings and file.",
            json!({
                "id": uuid(),
                "owner_id": nullable_format("string", "uuid"),
                "workspace_id": nullable_format("string", "uuid"),
                "job_id": nullable_format("string", "uuid"),
                "status": enumeration(&STATUSES),
                "needs_review": boolean(),
                "confidence": { "type": "number" },
                "duplicate_of": nullable_format("string", "uuid"),
                "vendor_id": nullable_format("string", "uuid"),
                "customer_id": nullable_format("string", "uuid"),
                "assignee_id": nullable_format("string", "uuid"),
                "vendor": company_ref.clone(),
                "customer": company_ref,
                "invoice": schema_ref("Invoice"),
                "lines": { "type": "array", "items": schema_ref("InvoiceLine") },
                "findings": { "type": "array", "items": schema_ref("Finding") },
                "file": file,
                "created_at": datetime(),
                "updated_at": datetime(),
            }),
        ),
    );
    m
}
