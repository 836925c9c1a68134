//! The dashboard: what a finance team looks at first — totals by status, what came in today,
//! what waits for review, amounts per month, top vendors, recent jobs.

use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use minijinja::context;
use serde_json::Value;

use super::api::ApiClient;
use super::session::{Viewer, WebError};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(page))
}

async fn page(viewer: Viewer, Extension(api): Extension<ApiClient>) -> Result<Response, WebError> {
    let who = &viewer.caller;
    let (stats, queue, jobs, top) = tokio::join!(
        api.get(who, "/api/v1/dashboard/stats"),
        api.get(
            who,
            "/api/v1/invoices?needs_review=true&per_page=8&sort=-created_at"
        ),
        api.get(who, "/api/v1/jobs/my-jobs?per_page=8"),
        api.get(who, "/api/v1/reports/analytics/top-companies?limit=5"),
    );
    let stats = stats?;
    // Amounts are never added across currencies: the chart and the top vendors show the
    // currency most invoices are in.
    let currency = stats["amounts_by_currency"][0]["currency"].clone();
    let months = month_bars(&stats["amounts_by_month"], &currency);
    // Top vendors are a nicety: the dashboard still shows without them.
    let vendors = top
        .ok()
        .and_then(|t| {
            let groups = t["vendors"].as_array()?.clone();
            groups
                .iter()
                .find(|g| g["currency"] == currency)
                .or_else(|| groups.first())
                .cloned()
        })
        .unwrap_or(Value::Null);
    Ok(viewer.render(
        "dashboard.html",
        context! {
            title => "Dashboard",
            stats => stats,
            months => months,
            queue => queue?,
            jobs => jobs?,
            currency => currency,
            vendors => vendors,
        },
    ))
}

/// Bars of the amounts-per-month chart, scaled to the largest month (an SVG drawn on the
/// server: no chart library, and it shows without JavaScript).
fn month_bars(months: &Value, currency: &Value) -> Vec<Value> {
    let Some(items) = months.as_array() else {
        return Vec::new();
    };
    let amount = |m: &Value| -> f64 {
        m["gross"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .or_else(|| m["gross"].as_f64())
            .unwrap_or(0.0)
    };
    let recent: Vec<&Value> = items
        .iter()
        .filter(|m| m["currency"] == *currency)
        .rev()
        .take(12)
        .collect();
    let max = recent.iter().map(|m| amount(m)).fold(0.0_f64, f64::max);
    recent
        .into_iter()
        .rev()
        .enumerate()
        .map(|(i, m)| {
            let share = if max > 0.0 { amount(m) / max } else { 0.0 };
            serde_json::json!({
                "month": m["month"],
                "currency": m["currency"],
                "gross": m["gross"],
                "count": m["count"],
                "x": i * 56 + 8,
                "height": (share * 140.0).round(),
                "y": 150.0 - (share * 140.0).round(),
            })
        })
        .collect()
}
