//! Pages, metrics, the WebSocket and this document: `web/setup.rs`, `metrics.rs`,
//! `routes/ws.rs`, and the routes of `openapi/mod.rs` itself.

use serde_json::json;

use super::{DOCS_PATH, Op, Operation, SPEC_PATH};

fn html(op: Op, description: &str) -> Op {
    op.response(
        200,
        json!({
            "description": description,
            "content": { "text/html": { "schema": { "type": "string" } } },
        }),
    )
}

pub(super) fn operations() -> Vec<Operation> {
    vec![
        (
            "/setup",
            "get",
            html(
                Op::new(
                    "meta",
                    "setup_page",
                    "First-run page: create the administrator",
                )
                .public(),
                "The page (its form posts to /setup, which creates the administrator as /api/v1/auth/setup does)",
            )
            .build(),
        ),
        (
            "/metrics",
            "get",
            Op::new("meta", "metrics", "Prometheus metrics (OpenMetrics text format 1.0.0)")
                .description(
                    "With `METRICS_TOKEN` configured, scrapes send `Authorization: Bearer \
                     <METRICS_TOKEN>` (401 otherwise); without it, only clients on the \
                     loopback interface are answered (403 for others).",
                )
                .security(json!([{}, { "metricsToken": [] }]))
                .response(
                    200,
                    json!({
                        "description": "This process's HTTP requests and latency histograms \
                            (and, with an in-process worker, its jobs, stages, extractions, model \
                            requests and embeddings), its database pool, memory and CPU; jobs by \
                            status and stage, queue depth, in flight, dead letters and live \
                            workers from the database. Names: deploy/monitoring/METRICS.md.",
                        "content": { "application/openmetrics-text": { "schema": { "type": "string" } } },
                    }),
                )
                .problems(&[401, 403])
                .store_errors()
                .build(),
        ),
        (
            "/ws",
            "get",
            Op::new("meta", "websocket", "Live job events over a WebSocket")
                .description(
                    "An HTTP/1.1 upgrade (`Connection: Upgrade`, `Upgrade: websocket`), \
                     authenticated like any request. With the session cookie the `Origin` \
                     must be DoxIn's own (the `Host`, `PUBLIC_URL`) or `FRONTEND_URL`, else \
                     403 `origin_not_allowed`; bearer credentials need no `Origin`. The \
                     socket receives the events of the caller's jobs. Client messages (at \
                     most 16 KiB; larger ones close the socket with 1009): \
                     `{\"action\":\"subscribe\",\"jobs\":[{\"job_id\":…}]}` (at most 100 \
                     jobs, else an `error` with code `too_many_jobs` and nothing subscribed), \
                     `{\"action\":\"unsubscribe\",\"job_ids\":[…]}`, \
                     `{\"action\":\"ping\"}`. Server messages (field `type`): `subscribed`, \
                     `job.snapshot`, `job.progress`, `job.completed`, `job.failed`, \
                     `job.cancelled`, `pong`, `error`. The credential, the account and its \
                     role are checked again every 3 s and before each subscription: a revoked \
                     token, an ended session or an expired JWT closes the socket with 4401 \
                     (`token_revoked`, `session_ended`, `token_expired`), a deactivated \
                     account or a changed role with 4403 (`account_inactive`, `role_changed`), \
                     after an `error` event with that code. Without upgrade headers the answer \
                     is 400 or 426.",
                )
                .read()
                .query(
                    "job_id",
                    "A job to follow from the start",
                    json!({ "type": "string", "format": "uuid" }),
                )
                .empty(101, "Switching to the WebSocket protocol")
                .caller()
                .problems(&[400, 405, 426])
                .store_errors()
                .build(),
        ),
        (
            SPEC_PATH,
            "get",
            Op::new("meta", "openapi", "This OpenAPI 3.1 document")
                .public()
                .ok(200, "The document", json!({ "type": "object" }))
                .build(),
        ),
        (
            DOCS_PATH,
            "get",
            html(
                Op::new("meta", "docs", "Swagger UI for this document").public(),
                "Swagger UI (served at /api/docs/; /api/docs redirects there)",
            )
            .response(
                303,
                json!({
                    "description": "Redirect to /api/docs/",
                    "headers": { "Location": { "schema": { "type": "string" } } },
                }),
            )
            .build(),
        ),
    ]
}
