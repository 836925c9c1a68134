//! Health: liveness (`/api/health`, `/api/v1/health`), the database
//! (`/api/v1/health/database`) and every component (`/api/v1/health/detailed`). The last two
//! answer 503 when a required component is down, so load balancers and compose health checks
//! can act on them.
//!
//! The component answers carry each component's status for anyone (probes need no
//! credential), but their details — versions, storage location, latencies, error messages
//! naming hosts and paths — only for an administrator: they map the installation for an
//! attacker and tell a probe nothing it acts on.

use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Caller;

/// Whether the request comes from an active administrator; any other caller, a missing or a
/// wrong credential included, is simply not one (a probe with a stale token still gets its
/// status).
struct SeesDetails(bool);

impl FromRequestParts<AppState> for SeesDetails {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let has_credential = parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
            || crate::auth::cookie(&parts.headers, crate::auth::SESSION_COOKIE).is_some();
        if !has_credential {
            return Ok(SeesDetails(false));
        }
        Ok(SeesDetails(
            Caller::from_request_parts(parts, state)
                .await
                .is_ok_and(|c| c.is_admin()),
        ))
    }
}

const SERVICE: &str = "doxin";
/// A component that does not answer within this time counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(liveness))
        .route("/api/v1/health", get(liveness))
        .route("/api/v1/health/database", get(database))
        .route("/api/v1/health/detailed", get(detailed))
}

#[derive(Serialize)]
struct Liveness {
    status: &'static str,
    service: &'static str,
    version: String,
}

async fn liveness(State(state): State<AppState>) -> Json<Liveness> {
    Json(Liveness {
        status: "healthy",
        service: SERVICE,
        version: state.version.clone(),
    })
}

/// One component's state.
#[derive(Serialize)]
struct Component {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(flatten)]
    details: Value,
}

impl Component {
    fn up(started: Instant, details: Value) -> Self {
        Component {
            status: "up",
            latency_ms: Some((started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0),
            error: None,
            details,
        }
    }

    fn down(error: impl Into<String>) -> Self {
        Component {
            status: "down",
            latency_ms: None,
            error: Some(error.into()),
            details: json!({}),
        }
    }

    fn is_up(&self) -> bool {
        self.status == "up"
    }

    /// The component as `details` allows: all of it, or only its status.
    fn shown(self, details: bool) -> Value {
        if details {
            serde_json::to_value(self).unwrap_or(Value::Null)
        } else {
            json!({ "status": self.status })
        }
    }
}

async fn probe<T, E: std::fmt::Display>(
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(PROBE_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
    }
}

async fn database_component(state: &AppState) -> Component {
    let started = Instant::now();
    match probe(state.store.health()).await {
        Ok(h) => Component::up(
            started,
            json!({
                "backend": h.backend,
                "server_version": h.server_version,
                "pgvector_version": h.pgvector_version,
                "pg_trgm_version": h.pg_trgm_version,
            }),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "database health check failed");
            Component::down(e)
        }
    }
}

async fn redis_component(client: &redis::Client) -> Component {
    let started = Instant::now();
    let ping = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut conn)
            .await?;
        Ok::<_, redis::RedisError>((pong, info))
    };
    match probe(ping).await {
        Ok((_, info)) => {
            let version = info
                .lines()
                .find_map(|l| l.strip_prefix("redis_version:"))
                .map(|v| v.trim().to_string());
            Component::up(started, json!({ "version": version }))
        }
        Err(e) => {
            tracing::warn!(error = %e, "redis health check failed");
            Component::down(e)
        }
    }
}

async fn storage_component(state: &AppState) -> Component {
    let started = Instant::now();
    match probe(state.files.probe()).await {
        Ok(()) => Component::up(started, json!({ "location": state.files.location() })),
        Err(e) => {
            tracing::warn!(error = %e, "storage health check failed");
            Component::down(e)
        }
    }
}

fn overall(ok: bool) -> (StatusCode, &'static str) {
    if ok {
        (StatusCode::OK, "healthy")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unhealthy")
    }
}

async fn database(
    State(state): State<AppState>,
    SeesDetails(details): SeesDetails,
) -> (StatusCode, Json<Value>) {
    let db = database_component(&state).await;
    let (code, status) = overall(db.is_up());
    (
        code,
        Json(json!({ "status": status, "service": SERVICE, "database": db.shown(details) })),
    )
}

async fn detailed(
    State(state): State<AppState>,
    SeesDetails(details): SeesDetails,
) -> (StatusCode, Json<Value>) {
    let redis = async {
        match &state.redis {
            Some(client) => Some(redis_component(client).await),
            None => None,
        }
    };
    let (db, storage, redis) =
        tokio::join!(database_component(&state), storage_component(&state), redis);
    // Redis is required only when configured: without it DoxIn uses in-process queues.
    let ok = db.is_up() && storage.is_up() && redis.as_ref().is_none_or(Component::is_up);
    let (code, status) = overall(ok);
    let redis = match redis {
        Some(c) => c.shown(details),
        None => json!({ "status": "not_configured" }),
    };
    let mut body = json!({
        "status": status,
        "service": SERVICE,
        "components": {
            "database": db.shown(details),
            "storage": storage.shown(details),
            "redis": redis,
        },
    });
    if details {
        body["version"] = json!(state.version);
    }
    (code, Json(body))
}
