//! Alerts from Alertmanager (`deploy/monitoring/alertmanager.yml`), stored and listed for
//! administrators.
//!
//! - `POST /api/v1/admin/alerts/webhook`: Alertmanager's webhook notification (version 4),
//!   authenticated by `Authorization: Bearer <WEBHOOK_SECRET>` (a shared secret, not a user).
//!   Checked in this order, so nothing about the body is revealed to a caller without the
//!   secret: 503 `webhook_not_configured` without `WEBHOOK_SECRET`; 401 for a missing or wrong
//!   bearer; 415 unless `Content-Type: application/json`; 413 over [`MAX_BODY_BYTES`]; 400 for
//!   malformed JSON; 422 for a body that is not a version-4 notification (wrong shape, more than
//!   [`MAX_ALERTS`] alerts, an unknown status, an unreadable timestamp, a NUL character). Each
//!   alert is one row per occurrence (fingerprint and start): a repeated or resolved
//!   notification updates it (`Store::record_alerts`). Every notification is audited as
//!   `alerts.receive`.
//! - `GET /api/v1/admin/alerts?status=firing|resolved&page=&per_page=`: the stored alerts, the
//!   latest received first, administrators only.

use std::collections::BTreeMap;

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Datelike, Utc};
use doxin_store::{Alert, AlertFilter, AlertStatus, NewAlert, PageRequest};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::listing::Listing;
use crate::auth::Admin;
use crate::{ApiError, AppState};

/// Most alerts one notification may carry (`max_alerts` in `alertmanager.yml` says the same).
pub const MAX_ALERTS: usize = 1000;
/// Largest accepted notification: [`MAX_ALERTS`] alerts of about 4 KiB each.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The version of Alertmanager's webhook payload this route reads.
const PAYLOAD_VERSION: &str = "4";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/alerts/webhook", post(webhook))
        .route("/api/v1/admin/alerts", get(list_alerts))
        .layer(axum::middleware::from_fn(
            crate::routes::invoices::refuse_nul_in_query,
        ))
}

/// Alertmanager's webhook body, version 4 (`notify/webhook` in Alertmanager). Unknown keys
/// are ignored, so a later Alertmanager adding fields still gets through.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    version: String,
    #[serde(default)]
    group_key: Option<String>,
    #[serde(default)]
    truncated_alerts: u64,
    status: String,
    receiver: String,
    #[serde(default)]
    group_labels: BTreeMap<String, String>,
    #[serde(default)]
    common_labels: BTreeMap<String, String>,
    #[serde(default)]
    common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL", default)]
    external_url: Option<String>,
    alerts: Vec<WireAlert>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAlert {
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: String,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(rename = "generatorURL", default)]
    generator_url: Option<String>,
    fingerprint: String,
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload", detail)
}

/// The bearer credential of the request, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether `offered` is the secret. Both sides are hashed first, so the comparison takes the
/// same time whatever the offered value's length or how much of it matches.
fn secret_matches(offered: &str, secret: &str) -> bool {
    let a = hex::encode(Sha256::digest(offered.as_bytes()));
    let b = hex::encode(Sha256::digest(secret.as_bytes()));
    crate::auth::secrets::constant_time_eq(&a, &b)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

fn too_large() -> ApiError {
    ApiError::problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("a notification may have at most {MAX_BODY_BYTES} bytes"),
    )
}

/// Refuses the request unless it carries the webhook secret.
fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(secret) = state.auth.settings.webhook_secret.as_ref() else {
        return Err(ApiError::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "webhook_not_configured",
            "the alert webhook is off: set WEBHOOK_SECRET to receive alerts",
        ));
    };
    match bearer(headers) {
        Some(offered) if secret_matches(offered, secret.expose()) => Ok(()),
        _ => Err(ApiError::problem(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send the webhook secret: `Authorization: Bearer <WEBHOOK_SECRET>`",
        )),
    }
}

/// An RFC 3339 instant Alertmanager wrote; `None` for Go's zero time (`0001-01-01T00:00:00Z`,
/// "no end").
fn instant(field: &str, i: usize, value: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let t = DateTime::parse_from_rfc3339(value)
        .map_err(|_| {
            invalid(format!(
                "alerts[{i}].{field} is not an RFC 3339 time: {value:?}"
            ))
        })?
        .with_timezone(&Utc);
    if t.year() <= 1 {
        return Ok(None);
    }
    if !(1970..=9999).contains(&t.year()) {
        return Err(invalid(format!(
            "alerts[{i}].{field} is outside the years 1970 to 9999"
        )));
    }
    Ok(Some(t))
}

fn status(field: &str, value: &str) -> Result<AlertStatus, ApiError> {
    AlertStatus::parse(value)
        .ok_or_else(|| invalid(format!("{field} must be firing or resolved, not {value:?}")))
}

/// Neither PostgreSQL's text nor its JSON can hold a NUL character.
fn no_nul<'a>(strings: impl IntoIterator<Item = &'a str>) -> Result<(), ApiError> {
    if strings.into_iter().any(|s| s.contains('\0')) {
        return Err(invalid("the notification must not contain NUL characters"));
    }
    Ok(())
}

fn map_strings(m: &BTreeMap<String, String>) -> impl Iterator<Item = &str> {
    m.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()])
}

/// The notification's alerts as the store keeps them, or why it is refused.
fn parse(n: &Notification) -> Result<Vec<NewAlert>, ApiError> {
    if n.version != PAYLOAD_VERSION {
        return Err(invalid(format!(
            "version {:?} is not supported; Alertmanager sends version \"4\"",
            n.version
        )));
    }
    status("status", &n.status)?;
    if n.alerts.len() > MAX_ALERTS {
        return Err(invalid(format!(
            "a notification may carry at most {MAX_ALERTS} alerts (set `max_alerts: \
             {MAX_ALERTS}` in alertmanager.yml), this one has {}",
            n.alerts.len()
        )));
    }
    no_nul(
        [n.receiver.as_str()]
            .into_iter()
            .chain(n.group_key.as_deref())
            .chain(n.external_url.as_deref())
            .chain(map_strings(&n.group_labels))
            .chain(map_strings(&n.common_labels))
            .chain(map_strings(&n.common_annotations)),
    )?;
    let mut out = Vec::with_capacity(n.alerts.len());
    for (i, a) in n.alerts.iter().enumerate() {
        no_nul(
            [a.fingerprint.as_str(), a.starts_at.as_str()]
                .into_iter()
                .chain(a.ends_at.as_deref())
                .chain(a.generator_url.as_deref())
                .chain(map_strings(&a.labels))
                .chain(map_strings(&a.annotations)),
        )?;
        let fingerprint = a.fingerprint.trim();
        if fingerprint.is_empty() || fingerprint.len() > 128 {
            return Err(invalid(format!(
                "alerts[{i}].fingerprint must have 1 to 128 characters"
            )));
        }
        let alertname = a
            .labels
            .get("alertname")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid(format!("alerts[{i}] has no alertname label")))?;
        let starts_at = instant("startsAt", i, &a.starts_at)?
            .ok_or_else(|| invalid(format!("alerts[{i}].startsAt is the zero time")))?;
        let ends_at = match a.ends_at.as_deref() {
            Some(t) if !t.is_empty() => instant("endsAt", i, t)?,
            _ => None,
        };
        out.push(NewAlert {
            fingerprint: fingerprint.to_string(),
            alertname: alertname.to_string(),
            status: status(&format!("alerts[{i}].status"), &a.status)?,
            severity: a.labels.get("severity").cloned(),
            labels: a.labels.clone(),
            annotations: a.annotations.clone(),
            starts_at,
            ends_at,
            generator_url: a.generator_url.clone().filter(|u| !u.is_empty()),
        });
    }
    Ok(out)
}

async fn webhook(State(state): State<AppState>, request: Request) -> Result<Json<Value>, ApiError> {
    let (parts, body) = request.into_parts();
    authenticate(&state, &parts.headers)?;
    if !is_json(&parts.headers) {
        return Err(ApiError::problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the notification as `Content-Type: application/json`",
        ));
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let notification: Notification = serde_json::from_value(value)
        .map_err(|e| invalid(format!("not an Alertmanager notification: {e}")))?;
    let alerts = parse(&notification)?;
    let written = state.store.record_alerts(&alerts).await?;
    tracing::info!(
        receiver = %notification.receiver,
        status = %notification.status,
        alerts = alerts.len(),
        written,
        truncated = notification.truncated_alerts,
        "alert notification received"
    );
    let names: std::collections::BTreeSet<&str> =
        alerts.iter().map(|a| a.alertname.as_str()).collect();
    crate::auth::record_audit(
        &state,
        None,
        crate::auth::client_ip(&parts).map(|ip| ip.to_string()),
        crate::auth::request_id(&parts.headers),
        "alerts.receive",
        "alert_notification",
        notification.group_key.clone(),
        None,
        Some(json!({
            "receiver": notification.receiver,
            "status": notification.status,
            "alerts": alerts.len(),
            "alertnames": names,
            "truncated_alerts": notification.truncated_alerts,
        })),
    )
    .await?;
    Ok(Json(
        json!({ "received": alerts.len(), "recorded": written }),
    ))
}

#[derive(Debug, Deserialize)]
struct AlertsQuery {
    status: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn list_alerts(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(q): Query<AlertsQuery>,
) -> Result<Json<Listing<Alert>>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(AlertStatus::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!("status must be firing or resolved, not {s:?}"))
        })?),
    };
    let d = PageRequest::default();
    let page = PageRequest::new(q.page.unwrap_or(d.page), q.per_page.unwrap_or(d.per_page));
    let alerts = state
        .store
        .list_alerts(&AlertFilter { status }, page)
        .await?;
    Ok(Json(Listing::from_page(&alerts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_secret() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            "Bearer s3cret-s3cret-s3cret".parse().unwrap(),
        );
        assert_eq!(bearer(&h), Some("s3cret-s3cret-s3cret"));
        assert!(secret_matches(
            "s3cret-s3cret-s3cret",
            "s3cret-s3cret-s3cret"
        ));
        assert!(!secret_matches("s3cret", "s3cret-s3cret-s3cret"));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn go_zero_time_is_no_end() {
        assert_eq!(instant("endsAt", 0, "0001-01-01T00:00:00Z").unwrap(), None);
        assert!(
            instant("startsAt", 0, "2026-12-05T21:00:00.123456789Z")
                .unwrap()
                .is_some()
        );
        assert!(instant("startsAt", 0, "yesterday").is_err());
        assert!(instant("startsAt", 0, "1900-01-01T00:00:00Z").is_err());
    }
}
