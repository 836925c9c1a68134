//! Health: `routes/health.rs`.

use serde_json::{Map, Value, json};

use super::{Op, Operation, enumeration, object, schema_ref, string};

pub(super) fn operations() -> Vec<Operation> {
    let liveness = |id: &str| {
        Op::new("health", id, "Liveness: the process answers")
            .public()
            .ok(200, "Alive", schema_ref("Liveness"))
            .build()
    };
    vec![
        ("/api/health", "get", liveness("liveness")),
        ("/api/v1/health", "get", liveness("liveness_v1")),
        (
            "/api/v1/health/database",
            "get",
            Op::new("health", "health_database", "The database's health")
                .description(
                    "Anyone gets the status; the details (backend, versions, latency, error) \
                     only an administrator.",
                )
                .optional_auth()
                .ok(200, "The database answers", schema_ref("DatabaseHealth"))
                .ok(503, "The database is down", schema_ref("DatabaseHealth"))
                .build(),
        ),
        (
            "/api/v1/health/detailed",
            "get",
            Op::new("health", "health_detailed", "Every component's health")
                .description(
                    "Database, file storage and Redis (when configured). 503 when a required \
                     component is down. Anyone gets each component's status; the details \
                     (versions, storage location, latencies, errors) and `version` only an \
                     administrator.",
                )
                .optional_auth()
                .ok(
                    200,
                    "Every required component is up",
                    schema_ref("DetailedHealth"),
                )
                .ok(
                    503,
                    "A required component is down",
                    schema_ref("DetailedHealth"),
                )
                .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let overall = enumeration(&["healthy", "unhealthy"]);
    let component = json!({
        "type": "object",
        "description": "One component. For an administrator, up: `latency_ms` and details \
            (database: `backend`, `server_version`, `pgvector_version`, `pg_trgm_version`; \
            storage: `location`; Redis: `version`), down: `error`. For anyone else only \
            `status`. Redis without configuration: `not_configured`.",
        "required": ["status"],
        "properties": {
            "status": enumeration(&["up", "down", "not_configured"]),
            "latency_ms": { "type": "number", "minimum": 0 },
            "error": string(),
        },
    });
    let mut m = Map::new();
    m.insert(
        "Liveness".into(),
        object(
            "The process is alive.",
            json!({
                "status": enumeration(&["healthy"]),
                "service": string(),
                "version": string(),
            }),
        ),
    );
    m.insert("HealthComponent".into(), component);
    m.insert(
        "DatabaseHealth".into(),
        object(
            "The database's state.",
            json!({
                "status": overall,
                "service": string(),
                "database": schema_ref("HealthComponent"),
            }),
        ),
    );
    m.insert(
        "DetailedHealth".into(),
        json!({
            "type": "object",
            "description": "Every component's state (`version`: administrators only).",
            "required": ["status", "service", "components"],
            "properties": {
                "status": overall,
                "service": string(),
                "version": string(),
                "components": object(
                    "By component.",
                    json!({
                        "database": schema_ref("HealthComponent"),
                        "storage": schema_ref("HealthComponent"),
                        "redis": schema_ref("HealthComponent"),
                    }),
                ),
            },
        }),
    );
    m
}
