//! The dashboard: invoice figures within the caller's scope, and what documents DoxIn reads.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveTime, Utc};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/dashboard/stats", get(stats))
        .route("/api/v1/dashboard/supported-types", get(supported_types))
}

/// The figures are cached for a few seconds per scope ([`crate::aggregates`]): the
/// dashboard is opened far more often than invoices change.
async fn stats(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    // "Today" is the UTC day: the server does not know the caller's time zone.
    let day_start = Utc::now().date_naive().and_time(NaiveTime::MIN).and_utc();
    let scope = caller.scope();
    let store = state.store.clone();
    let figures = state
        .aggregates
        .get_or_compute(
            scope,
            day_start,
            state.events.jobs_ended(),
            move || async move {
                let s = store.invoice_stats(scope, day_start).await?;
                Ok::<_, ApiError>(json!({
                    "total_invoices": s.total,
                    "by_status": s.by_status,
                    "processed_today": s.processed_today,
                    "pending_review": s.pending_review,
                    "amounts_by_currency": s.by_currency,
                    "amounts_by_month": s.by_month,
                    "day_start": day_start,
                }))
            },
        )
        .await?;
    Ok(Json(Value::clone(&figures)))
}

async fn supported_types(_caller: Caller) -> Json<Value> {
    Json(json!({
        "types": [
            {
                "kind": "pdf",
                "mime_types": ["application/pdf"],
                "extensions": [".pdf"],
                "read_by": "embedded e-invoice (Factur-X, ZUGFeRD, XRechnung) when attached, \
                            else the text layer, else OCR of the pages",
            },
            {
                "kind": "xml",
                "mime_types": ["application/xml", "text/xml"],
                "extensions": [".xml"],
                "read_by": "e-invoice parser",
                "syntaxes": ["UBL", "CII", "ZUGFeRD-1.0-CII", "FatturaPA"],
            },
            {
                "kind": "image",
                "mime_types": ["image/png", "image/jpeg", "image/tiff", "image/webp"],
                "extensions": [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp"],
                "read_by": "OCR",
            },
            {
                "kind": "text",
                "mime_types": ["text/plain"],
                "extensions": [".txt"],
                "read_by": "layout rules",
            },
        ],
        "detected_by": "content (the file name and the claimed type are not trusted)",
    }))
}
