//! Jobs and their invoices' review: `routes/jobs.rs`.

use serde_json::{Map, Value, json};

use super::{
    Op, Operation, boolean, datetime, enumeration, integer, nullable, nullable_format, object,
    object_with, page_with, schema_ref, string, uuid,
};

const JOB_STATUSES: [&str; 5] = ["queued", "running", "succeeded", "failed", "cancelled"];

fn invoice_decision(op: Op) -> Op {
    op.body(
        "application/json",
        object_with(
            &[],
            json!({
                "comment": { "type": "string", "maxLength": 2000 },
                "reason": {
                    "type": "string", "maxLength": 2000,
                    "description": "Why the invoice is rejected (required to reject)",
                },
                "override_reason": {
                    "type": "string", "maxLength": 2000,
                    "description": "Why it is approved although validation found errors (required then)",
                },
            }),
        ),
        false,
    )
    .ok(
        200,
        "The invoice's status after the decision",
        object(
            "The invoice after the decision; `changed` is false when it was already decided \
             that way (nothing is recorded twice). An invoice whose workspace rules ask two \
             approvals stays `needs_review` after the first, with one entry in `approvals`.",
            json!({
                "invoice_id": uuid(),
                "status": enumeration(&["needs_review", "approved", "rejected"]),
                "duplicate_of": nullable_format("string", "uuid"),
                "changed": boolean(),
                "approvals": {
                    "type": "array",
                    "description": "Approvals collected since the invoice was last reopened",
                    "items": object(
                        "One person's approval.",
                        json!({ "approver_id": uuid(), "at": datetime() }),
                    ),
                },
                "approvals_needed": { "type": "integer", "minimum": 1, "maximum": 2 },
            }),
        ),
    )
    .description(
        "422 `reason_required`: a rejection without `reason`; 422 `override_required`: \
         approving an invoice with error findings without `override_reason`; 403 \
         `role_forbidden`: the caller's role in the workspace may not decide; 403 \
         `approval_limit_exceeded`: the gross amount is above the caller's approval limit; \
         403 `uploader_cannot_approve`: an invoice that needs two approvals cannot be approved \
         by its uploader.",
    )
    .caller()
    .json_rejections()
    .problems(&[404])
    .store_errors()
}

pub(super) fn operations() -> Vec<Operation> {
    let job_id = |op: Op| op.path_id("job_id", "The job's id");
    vec![
        (
            "/api/v1/invoices/status/{job_id}",
            "get",
            job_id(Op::new("jobs", "job_status", "A job's status (polling)"))
                .read()
                .ok(200, "The job", schema_ref("Job"))
                .caller()
                .problems(&[400, 404])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/invoices/approve/{job_id}",
            "post",
            invoice_decision(
                job_id(Op::new(
                    "jobs",
                    "approve_job",
                    "Approve the invoice a job produced",
                ))
                .description(
                    "409 unless the job succeeded with an invoice of its own (a duplicate's \
                         invoice is the original's).",
                ),
            )
            .problems(&[409])
            .build(),
        ),
        (
            "/api/v1/invoices/{id}/approve",
            "post",
            invoice_decision(
                Op::new("jobs", "approve_invoice", "Approve an invoice")
                    .path_id("id", "The invoice's id"),
            )
            .build(),
        ),
        (
            "/api/v1/invoices/{id}/reject",
            "post",
            invoice_decision(
                Op::new("jobs", "reject_invoice", "Reject an invoice")
                    .path_id("id", "The invoice's id"),
            )
            .build(),
        ),
        (
            "/api/v1/invoices/{id}/history",
            "get",
            Op::new(
                "jobs",
                "invoice_history",
                "Every step of an invoice: extraction, edits, decisions, reopening",
            )
            .path_id("id", "The invoice's id")
            .read()
            .ok(
                200,
                "The steps, oldest first",
                object(
                    "The invoice's history.",
                    json!({
                        "invoice_id": uuid(),
                        "items": { "type": "array", "items": schema_ref("HistoryEntry") },
                    }),
                ),
            )
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/invoices/{id}/queue-neighbours",
            "get",
            Op::new(
                "jobs",
                "invoice_queue_neighbours",
                "The invoices waiting for review before and after this one",
            )
            .description(
                "In the review queue's order (oldest upload first), wrapping round at either \
                 end; never the invoice itself, which need not be waiting (the next one after a \
                 decision). `null` where no other invoice waits.",
            )
            .path_id("id", "The invoice's id")
            .read()
            .ok(
                200,
                "Its neighbours in the queue",
                object(
                    "Previous and next invoice waiting for review.",
                    json!({
                        "previous": { "type": ["string", "null"], "format": "uuid" },
                        "next": { "type": ["string", "null"], "format": "uuid" },
                    }),
                ),
            )
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/invoices/{id}/comments",
            "post",
            Op::new("jobs", "comment_invoice", "Comment on an invoice")
                .path_id("id", "The invoice's id")
                .description(
                    "The comment joins the invoice's history. `@address` mentions of people who \
                     can see the invoice notify them over the WebSocket; others are ignored.",
                )
                .json_body(object_with(
                    &["text"],
                    json!({ "text": { "type": "string", "minLength": 1, "maxLength": 2000 } }),
                ))
                .ok(
                    201,
                    "Recorded",
                    object(
                        "The comment and who it notified.",
                        json!({
                            "invoice_id": uuid(),
                            "comment": string(),
                            "mentions": { "type": "array", "items": uuid() },
                        }),
                    ),
                )
                .caller()
                .json_rejections()
                .problems(&[404])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/invoices/{id}/assign",
            "post",
            Op::new("jobs", "assign_invoice", "Assign an invoice to a reviewer")
                .path_id("id", "The invoice's id")
                .description(
                    "`assignee_id` null unassigns. The assignee must be an active user who can \
                     see the invoice (422 `assignee_not_allowed`) and is notified over the \
                     WebSocket. The list filters by `assignee_id`.",
                )
                .json_body(object_with(
                    &["assignee_id"],
                    json!({ "assignee_id": nullable_format("string", "uuid") }),
                ))
                .ok(
                    200,
                    "The assignment",
                    object(
                        "Who reviews the invoice now.",
                        json!({
                            "invoice_id": uuid(),
                            "assignee_id": nullable_format("string", "uuid"),
                        }),
                    ),
                )
                .caller()
                .json_rejections()
                .problems(&[404])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/invoices/bulk",
            "post",
            Op::new(
                "jobs",
                "decide_invoices",
                "Approve or reject a selection of invoices",
            )
            .description(
                "Each invoice is decided as by its own approve or reject (reasons and \
                     overrides apply to every one); one that cannot be is reported in `items` \
                     with its error and the others go on. 1 to 200 ids.",
            )
            .json_body(object_with(
                &["ids", "action"],
                json!({
                    "ids": { "type": "array", "items": uuid(), "minItems": 1, "maxItems": 200 },
                    "action": enumeration(&["approve", "reject"]),
                    "comment": { "type": "string", "maxLength": 2000 },
                    "reason": { "type": "string", "maxLength": 2000 },
                    "override_reason": { "type": "string", "maxLength": 2000 },
                }),
            ))
            .ok(
                200,
                "Each invoice's outcome",
                object(
                    "Outcomes in the order of `ids` (repeats once).",
                    json!({
                        "items": { "type": "array", "items": { "type": "object" } },
                        "succeeded": integer(),
                        "failed": integer(),
                    }),
                ),
            )
            .caller()
            .json_rejections()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/jobs/my-jobs",
            "get",
            Op::new(
                "jobs",
                "my_jobs",
                "The caller's jobs (an administrator's: all)",
            )
            .read()
            .query(
                "status",
                "Only jobs in this state",
                enumeration(&JOB_STATUSES),
            )
            .query(
                "unread_only",
                "Only jobs not yet marked as read",
                json!({ "type": "boolean", "default": false }),
            )
            .query(
                "outcome",
                "Only finished jobs that ended so: approved, needing review, or a duplicate",
                enumeration(&["approved", "needs_review", "duplicate"]),
            )
            .paged()
            .ok(
                200,
                "A page of jobs and counts by status",
                page_with(
                    schema_ref("Job"),
                    json!({
                        "statistics": object(
                            "Jobs by status, and all of them.",
                            json!({
                                "total": integer(),
                                "queued": integer(),
                                "running": integer(),
                                "succeeded": integer(),
                                "failed": integer(),
                                "cancelled": integer(),
                            }),
                        ),
                    }),
                ),
            )
            .caller()
            .problems(&[400])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/jobs/unread-count",
            "get",
            Op::new(
                "jobs",
                "unread_count",
                "How many jobs are not yet marked as read",
            )
            .read()
            .ok(
                200,
                "The count",
                object("Unread jobs.", json!({ "unread_count": integer() })),
            )
            .caller()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/jobs/mark-as-read",
            "post",
            Op::new("jobs", "mark_as_read", "Mark jobs as read")
                .json_body(object_with(
                    &[],
                    json!({ "job_ids": { "type": "array", "items": uuid() } }),
                ))
                .ok(
                    200,
                    "How many were marked (others' jobs are skipped)",
                    object("Marked jobs.", json!({ "marked": integer() })),
                )
                .caller()
                .json_rejections()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/jobs/{job_id}",
            "get",
            job_id(Op::new(
                "jobs",
                "job_detail",
                "A job, with its invoice's summary",
            ))
            .read()
            .ok(200, "The job", schema_ref("JobDetail"))
            .link(200, "approve_invoice", "id", "/invoice_id")
            .link(200, "reject_invoice", "id", "/invoice_id")
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/jobs/{job_id}/cancel",
            "post",
            job_id(Op::new(
                "jobs",
                "cancel_job",
                "Cancel a job that has not finished",
            ))
            .ok(200, "The cancelled job", schema_ref("Job"))
            .caller()
            .problems(&[400, 404, 409])
            .store_errors()
            .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let history = object(
        "One step of an invoice's history. The actor is null for the pipeline.",
        json!({
            "at": datetime(),
            "actor_id": nullable_format("string", "uuid"),
            "action": string(),
            "from_status": { "type": ["string", "null"] },
            "to_status": { "type": ["string", "null"] },
            "comment": { "type": ["string", "null"] },
            "reason": { "type": ["string", "null"] },
            "override_reason": { "type": ["string", "null"] },
            "changed_fields": { "type": ["array", "null"], "items": string() },
            "changes": {
                "type": "array",
                "description": "For an edit: each value that changed, by its path in the \
                    invoice (`totals.tax_inclusive_amount`, `lines[0].line_amount`), with the \
                    value before and after (null: absent); at most 100. Empty otherwise.",
                "items": object("A changed value.", json!({
                    "field": string(),
                    "before": {},
                    "after": {},
                })),
            },
        }),
    );
    let job = json!({
        "job_id": uuid(),
        "id": uuid(),
        "status": enumeration(&JOB_STATUSES),
        "stage": {
            "type": ["string", "null"],
            "enum": ["store", "sniff", "extract", "ocr", "llm", "validate", "dedupe", "save", null],
        },
        "progress": { "type": "integer", "minimum": 0, "maximum": 100 },
        "attempts": integer(),
        "max_attempts": integer(),
        "filename": nullable("string"),
        "file_id": nullable_format("string", "uuid"),
        "invoice_id": nullable_format("string", "uuid"),
        "error": nullable("string"),
        "error_code": nullable("string"),
        "result": { "description": "What the worker reported (any JSON, or null)" },
        "created_at": datetime(),
        "started_at": nullable_format("string", "date-time"),
        "finished_at": nullable_format("string", "date-time"),
        "viewed_at": nullable_format("string", "date-time"),
        "is_read": boolean(),
        "worker": nullable("string"),
    });
    let mut m = Map::new();
    m.insert("Job".into(), object("A processing job.", job));
    m.insert("HistoryEntry".into(), history);
    m.insert(
        "JobDetail".into(),
        json!({
            "allOf": [
                schema_ref("Job"),
                {
                    "type": "object",
                    "properties": {
                        "invoice": object(
                            "The invoice the job produced, when there is one the caller sees.",
                            json!({
                                "id": uuid(),
                                "status": enumeration(&["needs_review", "approved", "rejected"]),
                                "confidence": nullable("number"),
                                "duplicate_of": nullable_format("string", "uuid"),
                                "invoice_number": nullable("string"),
                            }),
                        ),
                    },
                },
            ],
        }),
    );
    m
}
