//! Documents in: `routes/intake.rs`.

use serde_json::{Map, Value, json};

use super::{
    Op, Operation, boolean, enumeration, integer, nullable, nullable_format, object, object_with,
    schema_ref, string, uuid,
};

fn threshold() -> Value {
    json!({
        "type": ["number", "null"], "minimum": 0, "maximum": 1,
        "description": "Confidence needed for automatic approval (default: CONFIDENCE_THRESHOLD)",
    })
}

/// The first accepted job leads to the job operations.
fn follow_job(op: Op) -> Op {
    ["job_status", "job_detail", "cancel_job", "approve_job"]
        .into_iter()
        .fold(op, |op, target| op.link(202, target, "job_id", "/job_id"))
}

fn accepted() -> Value {
    json!({
        "description": "Accepted and queued (files that were refused are in `rejected`)",
        "content": { "application/json": { "schema": schema_ref("IntakeResponse") } },
    })
}

/// What intake answers besides 202, per the single refused document or the whole request.
const INTAKE_PROBLEMS: [u16; 7] = [400, 401, 403, 413, 415, 422, 429];

pub(super) fn operations() -> Vec<Operation> {
    vec![
        (
            "/api/v1/invoices/{id}/reprocess",
            "post",
            Op::new("intake", "reprocess_invoice", "Read an invoice's document again")
                .path_id("id", "The invoice's id")
                .description(
                    "Queues a job that reads the invoice's stored document again (after its \
                     file was replaced, or the extraction or a model improved) and updates the \
                     invoice in place: values people entered stay unless `keep_corrections` is \
                     false; validation and companies are redone; an approved or rejected \
                     invoice goes back to review only when what the decision rested on \
                     changed. 409 `no_document` for an invoice entered by hand; 429 \
                     `queue_full`.",
                )
                .body(
                    "application/json",
                    object_with(&[], json!({ "keep_corrections": boolean() })),
                    false,
                )
                .ok(
                    202,
                    "Queued",
                    object(
                        "The job that reads the document again.",
                        json!({
                            "job_id": uuid(),
                            "invoice_id": uuid(),
                            "keep_corrections": boolean(),
                            "status": enumeration(&["queued", "running", "succeeded", "failed", "cancelled"]),
                            "status_url": string(),
                            "websocket_url": string(),
                        }),
                    ),
                )
                .apply(follow_job)
                .caller()
                .json_rejections()
                .problems(&[404, 409, 429])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/invoices/upload",
            "post",
            Op::new("intake", "upload", "Upload documents")
                .description(
                    "Multipart: every part with a file name is a document (PDF, images, UBL/CII \
                     XML, text; the type is read from the content). Optional fields \
                     `auto_save` and `confidence_threshold`. When no document is accepted the \
                     answer is the single refusal's problem (413, 415, 422), or 422 \
                     `no_document_accepted`. 429 `queue_full` when too many jobs wait.",
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
                                "description": "A document; repeat the part for more",
                            },
                            "auto_save": boolean(),
                            "confidence_threshold": {
                                "type": "number", "minimum": 0, "maximum": 1,
                            },
                        },
                    }),
                    true,
                )
                .response(202, accepted())
                .apply(follow_job)
                .problems(&INTAKE_PROBLEMS)
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/invoices/process",
            "post",
            Op::new("intake", "process_url", "Fetch one document by URL")
                .description(
                    "`blob_url` (or `url`) is downloaded behind the SSRF guard (no private \
                     addresses unless allow-listed). 502/504 when the document's server fails \
                     or is too slow.",
                )
                .json_body(json!({
                    "type": "object",
                    "properties": {
                        "blob_url": nullable("string"),
                        "url": nullable("string"),
                        "filename": nullable("string"),
                        "auto_save": nullable("boolean"),
                        "confidence_threshold": threshold(),
                    },
                }))
                .response(202, accepted())
                .apply(follow_job)
                .problems(&INTAKE_PROBLEMS)
                .problems(&[502, 504])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/invoices/process-batch",
            "post",
            Op::new("intake", "process_batch", "Fetch several documents by URL")
                .description(
                    "Each document is accepted or refused on its own; 413 `too_many_files` \
                     over the per-request limit.",
                )
                .json_body(object_with(
                    &["files"],
                    json!({
                        "files": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "blob_url": nullable("string"),
                                    "url": nullable("string"),
                                    "filename": nullable("string"),
                                    "file_size": {
                                        "type": ["integer", "null"], "minimum": 0,
                                        "description": "Informative; ignored",
                                    },
                                    "mime_type": nullable("string"),
                                },
                            },
                        },
                        "options": {
                            "type": "object",
                            "properties": {
                                "auto_save": nullable("boolean"),
                                "confidence_threshold": threshold(),
                            },
                        },
                    }),
                ))
                .response(202, accepted())
                .apply(follow_job)
                .problems(&INTAKE_PROBLEMS)
                .problems(&[502, 504])
                .store_errors()
                .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let job_status = enumeration(&["queued", "running", "succeeded", "failed", "cancelled"]);
    let mut m = Map::new();
    m.insert(
        "AcceptedDocument".into(),
        object(
            "An accepted document and how to follow its job.",
            json!({
                "job_id": uuid(),
                "file_id": uuid(),
                "filename": string(),
                "sha256": string(),
                "status": job_status,
                "job_token": {
                    "type": "string",
                    "description": "Kept for older clients; grants nothing (the WebSocket \
                        is authorised by the caller's own credential).",
                },
                "status_url": string(),
                "websocket_url": {
                    "type": "string",
                    "description": "`/ws?job_id=<id>`: no token in the URL.",
                },
            }),
        ),
    );
    m.insert(
        "RejectedDocument".into(),
        object(
            "A refused document, with the status and code it would have had alone.",
            json!({
                "filename": string(),
                "status": integer(),
                "code": string(),
                "detail": string(),
            }),
        ),
    );
    m.insert(
        "IntakeResponse".into(),
        object(
            "Accepted documents (the first also at the top level, for older clients) and \
             refused ones.",
            json!({
                "job_id": nullable_format("string", "uuid"),
                "job_token": nullable("string"),
                "status_url": nullable("string"),
                "jobs": { "type": "array", "items": schema_ref("AcceptedDocument") },
                "rejected": { "type": "array", "items": schema_ref("RejectedDocument") },
            }),
        ),
    );
    m
}
