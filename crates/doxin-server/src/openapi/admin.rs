//! Administration: users, the audit log, the jobs overview and usage analytics
//! (`routes/admin.rs`). Every route needs an administrator: 401 anonymous, 403 otherwise.

use serde_json::{Map, Value, json};

use super::{
    Op, Operation, datetime, integer, nullable, nullable_format, object, page_of, schema_ref,
    string, uuid,
};

const JOB_STATUSES: [&str; 5] = ["queued", "running", "succeeded", "failed", "cancelled"];

fn count() -> Value {
    json!({ "type": "integer", "minimum": 0 })
}

fn day() -> Value {
    json!({ "type": "string", "format": "date" })
}

/// A date (the whole UTC day) or an RFC 3339 instant.
fn date_or_instant() -> Value {
    json!({
        "anyOf": [
            { "type": "string", "format": "date" },
            { "type": "string", "format": "date-time" },
        ],
    })
}

pub(super) fn operations() -> Vec<Operation> {
    vec![
        (
            "/api/v1/admin/users",
            "get",
            Op::new("admin", "list_users", "Users")
                .read()
                .paged()
                .ok(200, "A page of users", page_of(schema_ref("User")))
                .link(200, "admin_user_detail", "id", "/items/0/id")
                .caller()
                .problems(&[400])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/admin/users/{id}",
            "get",
            Op::new(
                "admin",
                "admin_user_detail",
                "A user with invoice and job counts and latest actions",
            )
            .read()
            .path_id("id", "The user's id")
            .ok(
                200,
                "The user",
                object(
                    "A user and their activity.",
                    json!({
                        "user": schema_ref("User"),
                        "invoices": count(),
                        "jobs": schema_ref("JobCounts"),
                        "recent_actions": {
                            "type": "array",
                            "maxItems": 10,
                            "description": "The latest audited changes this user made, newest first",
                            "items": schema_ref("AuditEntry"),
                        },
                    }),
                ),
            )
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/admin/users/{id}",
            "patch",
            Op::new("admin", "update_user", "Activate, deactivate, promote or demote a user")
                .description(
                    "At least one of `is_active` and `role` (else 422 `nothing_to_change`); \
                     other keys are refused (422). An administrator cannot deactivate or \
                     demote themself (422 `self_lockout`). Deactivating ends the user's \
                     sessions. Audited as `user.update`.",
                )
                .path_id("id", "The user's id")
                .json_body(json!({
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "is_active": nullable("boolean"),
                        "role": { "type": ["string", "null"], "enum": ["user", "admin", null] },
                    },
                }))
                .ok(200, "The updated user", schema_ref("User"))
                .caller()
                .problems(&[404])
                .json_rejections()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/admin/audit-log",
            "get",
            Op::new("admin", "audit_log", "The audit log, newest first")
                .read()
                .query("actor", "Only changes by this user", uuid())
                .query("entity_type", "Only this kind of object (`user`, `invoice`…)", string())
                .query("entity_id", "Only this object", string())
                .query("action", "Only this action (`user.update`…)", string())
                .query("from", "At or after: a date (start of the UTC day) or an RFC 3339 time", date_or_instant())
                .query("to", "Before: a date (the whole UTC day included) or an RFC 3339 time", date_or_instant())
                .paged()
                .ok(200, "A page of entries", page_of(schema_ref("AuditEntry")))
                .caller()
                .problems(&[400])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/admin/jobs",
            "get",
            Op::new(
                "admin",
                "admin_jobs_overview",
                "Jobs by status, live workers and recent failures",
            )
            .read()
            .ok(
                200,
                "The overview",
                object(
                    "All users' jobs.",
                    json!({
                        "counts": schema_ref("JobCounts"),
                        "total": count(),
                        "workers": {
                            "type": "array",
                            "description": "Workers heard from in the last 30 seconds",
                            "items": schema_ref("WorkerHeartbeat"),
                        },
                        "recent_failures": {
                            "type": "array",
                            "maxItems": 20,
                            "description": "The latest failed jobs, newest first",
                            "items": schema_ref("FailedJob"),
                        },
                        "running_by_stage": {
                            "type": "object",
                            "description": "Running jobs by their current stage (stages with none are left out)",
                            "additionalProperties": count(),
                        },
                        "dead_letters": count(),
                    }),
                ),
            )
            .caller()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/admin/analytics/usage",
            "get",
            Op::new("admin", "usage", "API usage by route, user and day")
                .description(
                    "Counts of requests by route template (never raw paths), user and UTC day. \
                     Default range: the 30 days up to today; 400 when `from` is after `to`.",
                )
                .read()
                .query("from", "First day (inclusive)", day())
                .query("to", "Last day (inclusive; default today)", day())
                .query("user", "Only this user's requests", uuid())
                .query("route", "Only this route template (`/api/v1/invoices/{id}`)", string())
                .ok(
                    200,
                    "The report",
                    object(
                        "Usage in the range.",
                        json!({
                            "from": day(),
                            "to": day(),
                            "total": count(),
                            "client_errors": count(),
                            "server_errors": count(),
                            "by_route": {
                                "type": "array",
                                "description": "Busiest first",
                                "items": object(
                                    "One route's requests.",
                                    json!({
                                        "method": string(),
                                        "route": string(),
                                        "requests": count(),
                                        "client_errors": count(),
                                        "server_errors": count(),
                                    }),
                                ),
                            },
                            "by_user": {
                                "type": "array",
                                "maxItems": 100,
                                "description": "Busiest first; `user_id` null for anonymous requests",
                                "items": object(
                                    "One user's requests.",
                                    json!({
                                        "user_id": nullable_format("string", "uuid"),
                                        "email": nullable("string"),
                                        "requests": count(),
                                    }),
                                ),
                            },
                            "by_day": {
                                "type": "array",
                                "description": "Oldest first; days without requests are left out",
                                "items": object(
                                    "One day's requests.",
                                    json!({
                                        "day": day(),
                                        "requests": count(),
                                        "client_errors": count(),
                                        "server_errors": count(),
                                    }),
                                ),
                            },
                        }),
                    ),
                )
                .caller()
                .problems(&[400])
                .store_errors()
                .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let statuses: Map<String, Value> = JOB_STATUSES
        .iter()
        .map(|s| (s.to_string(), count()))
        .collect();
    let mut m = Map::new();
    m.insert(
        "JobCounts".into(),
        object(
            "Jobs by status, every status present (0 when none).",
            Value::Object(statuses),
        ),
    );
    m.insert(
        "AuditEntry".into(),
        object(
            "One audited change, with the object's state before and after.",
            json!({
                "id": integer(),
                "at": datetime(),
                "actor_id": nullable_format("string", "uuid"),
                "action": string(),
                "entity_type": string(),
                "entity_id": nullable("string"),
                "before": { "description": "The changed fields before (any JSON, or null)" },
                "after": { "description": "The changed fields after (any JSON, or null)" },
                "ip": nullable("string"),
                "request_id": nullable("string"),
            }),
        ),
    );
    m.insert(
        "WorkerHeartbeat".into(),
        object(
            "A live worker.",
            json!({
                "id": string(),
                "host": string(),
                "pid": integer(),
                "concurrency": integer(),
                "queue": { "type": "string", "description": "The queue it consumes: `sql` or `redis`" },
                "current_jobs": { "type": "array", "items": uuid() },
                "started_at": datetime(),
                "last_seen": datetime(),
            }),
        ),
    );
    m.insert(
        "FailedJob".into(),
        object(
            "A failed job, for the overview.",
            json!({
                "id": uuid(),
                "owner_id": nullable_format("string", "uuid"),
                "kind": string(),
                "stage": {
                    "type": ["string", "null"],
                    "enum": ["store", "sniff", "extract", "ocr", "llm", "validate", "dedupe", "save", null],
                },
                "attempts": integer(),
                "error_code": nullable("string"),
                "error": nullable("string"),
                "filename": {
                    "description": "The document's file name from the job's payload (null for none)",
                },
                "request_id": nullable("string"),
                "created_at": datetime(),
                "finished_at": nullable_format("string", "date-time"),
            }),
        ),
    );
    m
}
