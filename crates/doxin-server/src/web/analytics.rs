//! The analytics page: key figures of a period against the period before, gross per month
//! (one chart per currency, with the figures as a table), top vendors and customers, invoices
//! by status and what is past due. Every figure is an answer of the analytics API
//! (`/api/v1/reports/analytics/…`) for the viewer, so the page covers exactly what the API
//! gives them (their workspace; an administrator who chose none: every workspace), and amounts
//! stay the API's decimal strings, per currency, never added across currencies.
//!
//! The date-range form's `from` and `to` go to the API as they are; a range the API refuses
//! (400) is shown as a form error in the API's words above the figures without a range.

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use doxin_store::Scope;
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::api::{ApiClient, ApiRefusal};
use super::session::{Viewer, WebError, url_encode};
use crate::AppState;
use crate::auth::Caller;

pub fn router() -> Router<AppState> {
    Router::new().route("/analytics", get(page))
}

/// Vendors and customers ranked per currency.
const TOP: u32 = 10;
/// Height of a trend chart's plotting area and where its axis runs, in SVG units.
const CHART_H: f64 = 140.0;
const AXIS_Y: f64 = 150.0;
/// Widest step between two months' bars (a year fills the chart at this step).
const MAX_STEP: f64 = 56.0;
/// Room a chart of many months gets: its steps shrink to fit.
const PLOT_W: f64 = 664.0;
/// At most this many month labels under a chart (a long range labels every k-th month).
const MAX_LABELS: usize = 12;
/// On a narrow screen one label in this many stays (`tick-minor` is hidden there).
const NARROW_LABEL_STEP: usize = 3;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

impl RangeQuery {
    /// The ends given (trimmed, empty ones left out), with their values encoded for a query.
    fn ends(&self) -> impl Iterator<Item = (&'static str, String)> + '_ {
        [("from", &self.from), ("to", &self.to)]
            .into_iter()
            .filter_map(|(k, v)| {
                let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
                Some((k, url_encode(v)))
            })
    }

    /// The range as the API's query string (`from=…&to=…`).
    fn api_query(&self) -> String {
        self.ends()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The range as the invoice list's filters (`&date_from=…&date_to=…`), for links to the
    /// invoices behind a figure.
    fn invoice_filters(&self) -> String {
        self.ends().map(|(k, v)| format!("&date_{k}={v}")).collect()
    }
}

/// The analytics API's answers the page shows, over one range.
struct Figures {
    summary: Value,
    stats: Value,
    top: Value,
    trends: Value,
    executive: Value,
    customers: Value,
}

async fn fetch(api: &ApiClient, who: &Caller, query: &str) -> Result<Figures, ApiRefusal> {
    let path = |what: &str, extra: &str| {
        let q = [query, extra]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        format!("/api/v1/reports/analytics/{what}?{q}")
    };
    let limit = format!("limit={TOP}");
    let paths = [
        path("summary", ""),
        path("invoice-stats", ""),
        path("top-companies", &limit),
        path("trends", ""),
        path("executive-dashboard", ""),
        path("customer-analytics", &limit),
    ];
    let (summary, stats, top, trends, executive, customers) = tokio::join!(
        api.get(who, &paths[0]),
        api.get(who, &paths[1]),
        api.get(who, &paths[2]),
        api.get(who, &paths[3]),
        api.get(who, &paths[4]),
        api.get(who, &paths[5]),
    );
    Ok(Figures {
        summary: summary?,
        stats: stats?,
        top: top?,
        trends: trends?,
        executive: executive?,
        customers: customers?,
    })
}

async fn page(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, WebError> {
    let who = &viewer.caller;
    let query = q.api_query();
    let (figures, error) = match fetch(&api, who, &query).await {
        Ok(f) => (f, None),
        // The API's words for the range it refused; the figures without a range below.
        Err(e) if e.status == StatusCode::BAD_REQUEST && !query.is_empty() => {
            (fetch(&api, who, "").await?, Some(e.message()))
        }
        Err(e) => return Err(e.into()),
    };
    // Links to the invoices behind a figure keep the range (when it was accepted).
    let invoice_range = if error.is_none() {
        q.invoice_filters()
    } else {
        String::new()
    };
    let charts = trend_charts(&figures.trends["months"]);
    let table = trend_table(&figures.trends["months"], &charts);
    let gross_change: Vec<Value> = figures.executive["change"]["gross_by_currency"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let mut r = r.clone();
                    r["direction"] = json!(direction(&r["change_pct"], &r["previous"]));
                    r
                })
                .collect()
        })
        .unwrap_or_default();
    let change = &figures.executive["change"];
    let invoices_direction = direction(
        &change["total_invoices_pct"],
        &figures.executive["previous"]["total_invoices"],
    );
    Ok(viewer.render(
        "analytics.html",
        context! {
            title => "Analytics",
            f => q,
            error => error,
            invoice_range => invoice_range,
            every_workspace => matches!(who.scope(), Scope::All),
            summary => figures.summary,
            stats => figures.stats,
            top => figures.top,
            executive => figures.executive,
            invoices_direction => invoices_direction,
            gross_change => gross_change,
            customers => figures.customers,
            charts => charts,
            table => table,
            trend_range => figures.trends["range"].clone(),
        },
    ))
}

/// How a figure moved against the period before: `up`, `down`, `same`, or `new` when there
/// was nothing before to compare with (the API gives no percentage from zero).
fn direction(change_pct: &Value, previous: &Value) -> &'static str {
    let pct = match change_pct {
        Value::String(s) => s.parse::<f64>().ok(),
        other => other.as_f64(),
    };
    match pct {
        Some(p) if p > 0.0 => "up",
        Some(p) if p < 0.0 => "down",
        Some(_) => "same",
        None if is_zero(previous) => "new",
        None => "same",
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::String(s) => s.parse::<f64>().is_ok_and(|n| n == 0.0),
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => true,
    }
}

/// A decimal string of the API as a number, only to size a bar (the page shows the string).
fn magnitude(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .or_else(|| v.as_f64())
        .filter(|n| n.is_finite())
        .unwrap_or(0.0)
        .max(0.0)
}

/// Currencies in the API's order (by code, invoices without a currency last).
type CurrencyKey = (bool, String);

fn currency_key(c: &Value) -> CurrencyKey {
    match c.as_str() {
        Some(code) => (false, code.to_string()),
        None => (true, String::new()),
    }
}

/// One bar chart per currency of the trends' gross per month: every month of the range (none
/// missing, a month without invoices is an empty bar), each chart scaled to its own highest
/// month, so no amount is ever compared with another currency's.
fn trend_charts(months: &Value) -> Vec<Value> {
    let Some(months) = months.as_array().filter(|m| !m.is_empty()) else {
        return Vec::new();
    };
    let mut currencies: BTreeMap<CurrencyKey, Value> = BTreeMap::new();
    for m in months {
        for c in m["by_currency"].as_array().into_iter().flatten() {
            currencies
                .entry(currency_key(&c["currency"]))
                .or_insert_with(|| c["currency"].clone());
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let n = months.len() as f64;
    let step = (PLOT_W / n).min(MAX_STEP);
    let bar_w = (step * 0.72).max(1.0);
    let every = months.len().div_ceil(MAX_LABELS).max(1);
    currencies
        .into_iter()
        .enumerate()
        .map(|(index, (key, currency))| {
            let cells: Vec<Value> = months
                .iter()
                .map(|m| {
                    m["by_currency"]
                        .as_array()
                        .and_then(|cs| cs.iter().find(|c| currency_key(&c["currency"]) == key))
                        .cloned()
                        .unwrap_or_else(|| json!({"gross": "0", "count": 0}))
                })
                .collect();
            let max = cells
                .iter()
                .map(|c| magnitude(&c["gross"]))
                .fold(0.0_f64, f64::max);
            let highest = months
                .iter()
                .zip(&cells)
                .filter(|(_, c)| max > 0.0 && magnitude(&c["gross"]) >= max)
                .map(|(m, c)| json!({"month": m["month"], "gross": c["gross"]}))
                .next_back();
            let bars: Vec<Value> = months
                .iter()
                .zip(&cells)
                .enumerate()
                .map(|(i, (m, c))| {
                    let share = if max > 0.0 {
                        magnitude(&c["gross"]) / max
                    } else {
                        0.0
                    };
                    let height = (share * CHART_H).round();
                    #[allow(clippy::cast_precision_loss)]
                    let x = i as f64 * step + 8.0;
                    json!({
                        "month": m["month"],
                        "gross": c["gross"],
                        "count": c["count"].as_u64().unwrap_or(0),
                        "x": round2(x),
                        "w": round2(bar_w),
                        "mid": round2(x + bar_w / 2.0),
                        "y": AXIS_Y - height,
                        "height": height,
                        "label": i % every == 0,
                        // Kept on a narrow screen, where labels are drawn larger.
                        "major": i % (every * NARROW_LABEL_STEP) == 0,
                    })
                })
                .collect();
            json!({
                "id": format!("trend-{index}"),
                "currency": currency,
                "width": round2(n * step + 16.0),
                "bars": bars,
                "highest": highest,
            })
        })
        .collect()
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The charts' figures as table rows: a month, its invoices, and its gross in each chart's
/// currency (in the charts' order).
fn trend_table(months: &Value, charts: &[Value]) -> Vec<Value> {
    months
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, m)| {
            let gross: Vec<Value> = charts
                .iter()
                .map(|c| c["bars"][i]["gross"].clone())
                .collect();
            json!({"month": m["month"], "count": m["count"], "gross": gross})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months() -> Value {
        json!([
            {"month": "2026-01", "count": 2, "by_currency": [
                {"currency": "EUR", "count": 1, "net": "80", "gross": "100.50"},
                {"currency": "USD", "count": 1, "net": "9000", "gross": "9999"},
            ]},
            {"month": "2026-02", "count": 0, "by_currency": []},
            {"month": "2026-03", "count": 1, "by_currency": [
                {"currency": "EUR", "count": 1, "net": "160", "gross": "201"},
            ]},
        ])
    }

    #[test]
    fn each_currency_is_its_own_chart_scaled_to_its_own_months() {
        let charts = trend_charts(&months());
        assert_eq!(charts.len(), 2);
        assert_eq!(charts[0]["currency"], "EUR");
        assert_eq!(charts[1]["currency"], "USD");
        let eur = charts[0]["bars"].as_array().expect("bars");
        // Every month of the range, the empty one too; March is EUR's highest.
        assert_eq!(eur.len(), 3);
        assert_eq!(eur[1]["gross"], "0");
        assert_eq!(eur[1]["height"], 0.0);
        assert_eq!(eur[2]["height"], CHART_H);
        assert_eq!(eur[0]["height"], (100.5 / 201.0 * CHART_H).round());
        assert_eq!(charts[0]["highest"]["month"], "2026-03");
        // USD's one month fills its own chart: not dwarfed by, nor added to, EUR.
        let usd = charts[1]["bars"].as_array().expect("bars");
        assert_eq!(usd[0]["height"], CHART_H);
        assert_eq!(usd[0]["gross"], "9999");
        assert_eq!(usd[2]["height"], 0.0);
        // The table gives the exact strings, per currency, month by month.
        let table = trend_table(&months(), &charts);
        assert_eq!(table[0]["gross"], json!(["100.50", "9999"]));
        assert_eq!(table[2]["gross"], json!(["201", "0"]));
    }

    #[test]
    fn long_ranges_shrink_the_bars_and_thin_the_labels() {
        let many: Vec<Value> = (0..120)
            .map(|i| {
                json!({"month": format!("m{i}"), "count": 1,
                    "by_currency": [{"currency": "EUR", "count": 1, "gross": "1"}]})
            })
            .collect();
        let charts = trend_charts(&Value::Array(many));
        let bars = charts[0]["bars"].as_array().expect("bars");
        let labels = bars.iter().filter(|b| b["label"] == true).count();
        assert!(labels <= MAX_LABELS, "{labels} labels");
        let major = bars.iter().filter(|b| b["major"] == true).count();
        assert!(
            major >= 1 && major * NARROW_LABEL_STEP <= MAX_LABELS + 2,
            "{major}"
        );
        assert!(
            bars.iter()
                .all(|b| b["major"] == false || b["label"] == true)
        );
        assert!(charts[0]["width"].as_f64().expect("width") <= PLOT_W + 16.0);
        assert!(trend_charts(&json!([])).is_empty());
    }

    #[test]
    fn changes_have_a_direction_and_nothing_before_is_new() {
        assert_eq!(direction(&json!("12.5"), &json!("10")), "up");
        assert_eq!(direction(&json!("-3"), &json!("10")), "down");
        assert_eq!(direction(&json!("0"), &json!("10")), "same");
        assert_eq!(direction(&Value::Null, &json!("0")), "new");
        assert_eq!(direction(&Value::Null, &json!(0)), "new");
    }

    #[test]
    fn the_range_goes_to_the_api_encoded_and_without_empty_ends() {
        let q = RangeQuery {
            from: Some(" 2026-01-01 ".into()),
            to: Some(String::new()),
        };
        assert_eq!(q.api_query(), "from=2026-01-01");
        let q = RangeQuery {
            from: Some("a&b".into()),
            to: Some("2026-02-01".into()),
        };
        assert_eq!(q.api_query(), "from=a%26b&to=2026-02-01");
        assert_eq!(q.invoice_filters(), "&date_from=a%26b&date_to=2026-02-01");
        assert_eq!(RangeQuery::default().api_query(), "");
    }
}
