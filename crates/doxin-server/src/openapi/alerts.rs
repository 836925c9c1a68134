//! Alerts from Alertmanager (`routes/alerts.rs`): the webhook Alertmanager calls with the
//! shared `WEBHOOK_SECRET`, and the administrators' list.

use serde_json::{Map, Value, json};

use super::{
    Op, Operation, datetime, enumeration, nullable, nullable_format, object, page_of, schema_ref,
    string, uuid,
};
use crate::routes::alerts::{MAX_ALERTS, MAX_BODY_BYTES};

const STATUSES: [&str; 2] = ["firing", "resolved"];

/// Label or annotation names to values.
fn string_map() -> Value {
    json!({ "type": "object", "additionalProperties": { "type": "string" } })
}

/// Alertmanager's webhook body, version 4.
fn notification() -> Value {
    json!({
        "type": "object",
        "description": "Alertmanager's webhook notification (version 4). Other keys are ignored.",
        "required": ["version", "status", "receiver", "alerts"],
        "properties": {
            "version": { "type": "string", "const": "4" },
            "groupKey": string(),
            "truncatedAlerts": { "type": "integer", "minimum": 0 },
            "status": enumeration(&STATUSES),
            "receiver": string(),
            "groupLabels": string_map(),
            "commonLabels": string_map(),
            "commonAnnotations": string_map(),
            "externalURL": string(),
            "alerts": {
                "type": "array",
                "maxItems": MAX_ALERTS,
                "items": {
                    "type": "object",
                    "required": ["status", "labels", "startsAt", "fingerprint"],
                    "properties": {
                        "status": enumeration(&STATUSES),
                        "labels": {
                            "type": "object",
                            "required": ["alertname"],
                            "additionalProperties": { "type": "string" },
                            "description": "Must have a non-empty `alertname`; `severity` is shown apart",
                        },
                        "annotations": string_map(),
                        "startsAt": datetime(),
                        "endsAt": {
                            "type": "string",
                            "format": "date-time",
                            "description": "`0001-01-01T00:00:00Z` (Go's zero time): no end",
                        },
                        "generatorURL": string(),
                        "fingerprint": { "type": "string", "minLength": 1, "maxLength": 128 },
                    },
                },
            },
        },
    })
}

pub(super) fn operations() -> Vec<Operation> {
    let webhook_description = format!(
        "Called by Alertmanager (`deploy/monitoring/alertmanager.yml`) with \
         `Authorization: Bearer <WEBHOOK_SECRET>`, a shared secret rather than a user's \
         credential. Checked in this order: 503 `webhook_not_configured` when `WEBHOOK_SECRET` \
         is not set; 401 without the secret; 415 unless `Content-Type: application/json`; 413 \
         over {MAX_BODY_BYTES} bytes; 400 for malformed JSON; 422 `invalid_payload` for \
         anything but a version-4 notification (more than {MAX_ALERTS} alerts, an unknown \
         status, an unreadable or out-of-range time, no `alertname`, a NUL character). Each \
         alert is stored once per fingerprint and `startsAt`; a later notification of it \
         (repeated or resolved) updates it, and a resolved alert stays resolved. Audited as \
         `alerts.receive`."
    );
    vec![
        (
            "/api/v1/admin/alerts/webhook",
            "post",
            Op::new("admin", "alerts_webhook", "Receive an Alertmanager notification")
                .description(&webhook_description)
                .security(json!([{ "webhookSecret": [] }]))
                .json_body(notification())
                .ok(
                    200,
                    "Stored",
                    object(
                        "What the notification changed.",
                        json!({
                            "received": { "type": "integer", "minimum": 0, "description": "Alerts in the notification" },
                            "recorded": { "type": "integer", "minimum": 0, "description": "Alerts stored or updated (a late firing notice of a resolved alert changes nothing)" },
                        }),
                    ),
                )
                .problems(&[400, 401, 413, 415, 422, 500, 503])
                .build(),
        ),
        (
            "/api/v1/admin/alerts",
            "get",
            Op::new("admin", "list_alerts", "Alerts from Alertmanager, latest first")
                .description(
                    "The alerts Alertmanager sent to the webhook, the most recently notified \
                     first; 400 for a `status` other than firing or resolved.",
                )
                .read()
                .query("status", "Only alerts in this state", enumeration(&STATUSES))
                .paged()
                .ok(200, "A page of alerts", page_of(schema_ref("Alert")))
                .caller()
                .problems(&[400])
                .store_errors()
                .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "Alert".into(),
        object(
            "One alert occurrence (fingerprint and start), as its latest notification described it.",
            json!({
                "id": uuid(),
                "fingerprint": string(),
                "alertname": string(),
                "status": enumeration(&STATUSES),
                "severity": nullable("string"),
                "labels": string_map(),
                "annotations": string_map(),
                "starts_at": datetime(),
                "ends_at": nullable_format("string", "date-time"),
                "generator_url": nullable("string"),
                "received_at": datetime(),
            }),
        ),
    );
    m
}
