//! The analytics API (`/api/v1/reports/analytics/…`, the earlier system's paths): figures of
//! the live invoices in the caller's scope (the current workspace, any role; a system
//! administrator who names no workspace: every workspace, as on the dashboard), each over an
//! optional issue-date range `from`–`to`.
//!
//! Every sum is taken in SQL per currency and never across currencies; amounts are decimal
//! strings. Rejected invoices are counted by status but left out of every amount, ranking and
//! trend.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use doxin_model::Decimal;
use doxin_store::{
    AnalyticsTotals, CurrencyAmount, DateRange, InvoiceStatus, PartyRole, PartyTotal, ProductTotal,
    Scope,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::{ApiError, AppState};

/// Rankings' default and largest `limit`.
pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;
/// Trends' default and largest `months`.
pub const DEFAULT_MONTHS: u32 = 12;
pub const MAX_MONTHS: u32 = 120;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/analytics/summary", get(summary))
        .route(
            "/api/v1/reports/analytics/invoice-stats",
            get(invoice_stats),
        )
        .route(
            "/api/v1/reports/analytics/top-companies",
            get(top_companies),
        )
        .route("/api/v1/reports/analytics/trends", get(trends))
        .route(
            "/api/v1/reports/analytics/executive-dashboard",
            get(executive_dashboard),
        )
        .route(
            "/api/v1/reports/analytics/customer-analytics",
            get(customer_analytics),
        )
        .route(
            "/api/v1/reports/analytics/product-performance",
            get(product_performance),
        )
}

#[derive(Debug, Default, Deserialize)]
struct AnalyticsQuery {
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
    months: Option<String>,
}

impl AnalyticsQuery {
    /// The issue-date range asked for: 400 for a date that is not `YYYY-MM-DD` or `from`
    /// after `to`.
    fn range(&self) -> Result<DateRange, ApiError> {
        let range = DateRange {
            from: parse_day("from", self.from.as_deref())?,
            to: parse_day("to", self.to.as_deref())?,
        };
        if let (Some(from), Some(to)) = (range.from, range.to)
            && from > to
        {
            return Err(ApiError::BadRequest("`from` is after `to`".into()));
        }
        Ok(range)
    }

    fn limit(&self) -> Result<u32, ApiError> {
        bounded("limit", self.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)
    }

    fn months(&self) -> Result<u32, ApiError> {
        bounded("months", self.months.as_deref(), DEFAULT_MONTHS, MAX_MONTHS)
    }
}

fn parse_day(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .ok()
            .filter(in_calendar)
            .map(Some)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "`{name}` must be a date (YYYY-MM-DD, years 1 to 9999)"
                ))
            }),
    }
}

/// Years 1 to 9999: what `YYYY-MM-DD` can write (and JSON Schema's `date` reads).
fn in_calendar(d: &NaiveDate) -> bool {
    (1..=9999).contains(&d.year())
}

fn bounded(name: &str, value: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::BadRequest(format!("`{name}` must be a whole number from 1 to {max}"))
            }),
    }
}

fn range_json(range: DateRange) -> Value {
    json!({ "from": range.from, "to": range.to })
}

fn status_counts(totals: &AnalyticsTotals) -> Value {
    let mut counts = BTreeMap::from([("approved", 0u64), ("needs_review", 0), ("rejected", 0)]);
    for t in &totals.by_status_currency {
        *counts.entry(t.status.as_str()).or_default() += t.count;
    }
    json!(counts)
}

fn count_of(totals: &AnalyticsTotals, status: InvoiceStatus) -> u64 {
    totals
        .by_status_currency
        .iter()
        .filter(|t| t.status == status)
        .map(|t| t.count)
        .sum()
}

/// Currencies in a stable order: by code, invoices without a currency last.
fn currency_key(c: &Option<String>) -> (bool, String) {
    (c.is_none(), c.clone().unwrap_or_default())
}

/// Sums of the invoices that count in amounts (not rejected), per currency. The SQL already
/// summed each status and currency; this only adds the statuses of one currency together.
#[derive(Debug, Clone, Default)]
struct Money {
    count: u64,
    net: Decimal,
    tax: Decimal,
    gross: Decimal,
}

/// Sums keyed by [`currency_key`], with the currency itself.
type ByCurrency = BTreeMap<(bool, String), (Option<String>, Money)>;

fn money_by_currency(totals: &AnalyticsTotals) -> ByCurrency {
    let mut out = ByCurrency::new();
    for t in totals
        .by_status_currency
        .iter()
        .filter(|t| t.status != InvoiceStatus::Rejected)
    {
        let e = out
            .entry(currency_key(&t.currency))
            .or_insert_with(|| (t.currency.clone(), Money::default()));
        e.1.count += t.count;
        e.1.net += t.net;
        e.1.tax += t.tax;
        e.1.gross += t.gross;
    }
    out
}

fn average(sum: Decimal, count: u64) -> Option<Decimal> {
    (count > 0).then(|| (sum / Decimal::from(count)).round_dp(2).normalize())
}

fn money_json(totals: &AnalyticsTotals) -> Value {
    Value::Array(
        money_by_currency(totals)
            .into_values()
            .map(|(currency, m)| {
                json!({
                    "currency": currency,
                    "count": m.count,
                    "net": m.net.normalize(),
                    "tax": m.tax.normalize(),
                    "gross": m.gross.normalize(),
                    "average_gross": average(m.gross, m.count),
                })
            })
            .collect(),
    )
}

fn overdue_json(overdue: &[CurrencyAmount]) -> Value {
    let mut sorted: Vec<&CurrencyAmount> = overdue.iter().collect();
    sorted.sort_by_key(|o| currency_key(&o.currency));
    Value::Array(
        sorted
            .into_iter()
            .map(|o| json!({ "currency": o.currency, "count": o.count, "gross": o.amount.normalize() }))
            .collect(),
    )
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Ranked rows grouped by currency: `[{"currency", "items": [...]}]`.
fn by_currency<T>(
    rows: &[T],
    currency: impl Fn(&T) -> &Option<String>,
    item: impl Fn(&T) -> Value,
) -> Value {
    let mut groups: BTreeMap<(bool, String), (Option<String>, Vec<Value>)> = BTreeMap::new();
    for r in rows {
        let c = currency(r);
        groups
            .entry(currency_key(c))
            .or_insert_with(|| (c.clone(), Vec::new()))
            .1
            .push(item(r));
    }
    Value::Array(
        groups
            .into_values()
            .map(|(currency, items)| json!({ "currency": currency, "items": items }))
            .collect(),
    )
}

fn party_json(p: &PartyTotal) -> Value {
    json!({
        "rank": p.rank,
        "name": p.name,
        "count": p.count,
        "net": p.net.normalize(),
        "gross": p.gross.normalize(),
        "average_gross": average(p.gross, p.count),
    })
}

fn product_json(p: &ProductTotal) -> Value {
    json!({
        "rank": p.rank,
        "description": p.description,
        "lines": p.lines,
        "invoices": p.invoices,
        "quantity": p.quantity.normalize(),
        "net": p.net.normalize(),
    })
}

async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<Value>, ApiError> {
    let range = q.range()?;
    let scope = caller.scope();
    let today = Utc::now().date_naive();
    let totals = state.store.analytics_totals(scope, range).await?;
    let overdue = state.store.analytics_overdue(scope, range, today).await?;
    Ok(Json(json!({
        "range": range_json(range),
        "total_invoices": totals.count,
        "by_status": status_counts(&totals),
        "totals_by_currency": money_json(&totals),
        "overdue": {
            "as_of": today,
            "count": overdue.iter().map(|o| o.count).sum::<u64>(),
            "by_currency": overdue_json(&overdue),
        },
        "vendors": totals.vendors,
        "customers": totals.customers,
        "first_issue_date": totals.first_issue_date,
        "last_issue_date": totals.last_issue_date,
    })))
}

async fn invoice_stats(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<Value>, ApiError> {
    let range = q.range()?;
    let scope = caller.scope();
    let totals = state.store.analytics_totals(scope, range).await?;
    let months = state.store.analytics_months(scope, range).await?;
    let mut by_month: BTreeMap<String, BTreeMap<&'static str, u64>> = BTreeMap::new();
    for m in &months {
        let e = by_month.entry(m.month.clone()).or_insert_with(|| {
            BTreeMap::from([
                ("total", 0),
                ("approved", 0),
                ("needs_review", 0),
                ("rejected", 0),
            ])
        });
        *e.entry("total").or_default() += m.count;
        *e.entry(m.status.as_str()).or_default() += m.count;
    }
    let needs_review = count_of(&totals, InvoiceStatus::NeedsReview);
    let approved = count_of(&totals, InvoiceStatus::Approved);
    let rejected = count_of(&totals, InvoiceStatus::Rejected);
    Ok(Json(json!({
        "range": range_json(range),
        "total_invoices": totals.count,
        "by_status": status_counts(&totals),
        "by_month": by_month
            .into_iter()
            .map(|(month, mut counts)| {
                json!({
                    "month": month,
                    "count": counts.remove("total").unwrap_or(0),
                    "by_status": counts,
                })
            })
            .collect::<Vec<_>>(),
        "average_confidence": totals.average_confidence,
        "review_rate": rate(needs_review, totals.count),
        "approval_rate": rate(approved, totals.count),
        "rejection_rate": rate(rejected, totals.count),
    })))
}

async fn top_companies(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<Value>, ApiError> {
    let range = q.range()?;
    let limit = q.limit()?;
    let scope = caller.scope();
    let vendors = state
        .store
        .analytics_parties(scope, range, PartyRole::Vendor, limit)
        .await?;
    let customers = state
        .store
        .analytics_parties(scope, range, PartyRole::Customer, limit)
        .await?;
    Ok(Json(json!({
        "range": range_json(range),
        "limit": limit,
        "vendors": by_currency(&vendors, |p| &p.currency, party_json),
        "customers": by_currency(&customers, |p| &p.currency, party_json),
    })))
}

/// The first day of the month `months - 1` months before `end`'s month.
fn months_back(end: NaiveDate, months: u32) -> NaiveDate {
    let first = end.with_day(1).unwrap_or(end);
    first
        .checked_sub_months(Months::new(months.saturating_sub(1)))
        .filter(in_calendar)
        .or_else(|| NaiveDate::from_ymd_opt(1, 1, 1))
        .unwrap_or(first)
}

/// The range a period-based view covers: the one asked for, its open ends closed by the data
/// (the latest issue date in scope up to `to`) and `months` calendar months back from the end.
/// `None` when there is no invoice to end at.
async fn period(
    state: &AppState,
    scope: Scope,
    asked: DateRange,
    months: u32,
) -> Result<Option<(NaiveDate, NaiveDate)>, ApiError> {
    let to = match asked.to {
        Some(to) => to,
        None => {
            let span = DateRange {
                from: asked.from,
                to: None,
            };
            match state
                .store
                .analytics_totals(scope, span)
                .await?
                .last_issue_date
            {
                Some(last) => last,
                None => return Ok(None),
            }
        }
    };
    let from = asked.from.unwrap_or_else(|| months_back(to, months));
    Ok(Some((from, to)))
}

fn month_label(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

async fn trends(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<Value>, ApiError> {
    let asked = q.range()?;
    let months = q.months()?;
    let scope = caller.scope();
    let Some((from, to)) = period(&state, scope, asked, months).await? else {
        return Ok(Json(json!({
            "range": range_json(DateRange::default()),
            "months": [],
        })));
    };
    let span = (to.year() - from.year()) * 12 + i32::try_from(to.month()).unwrap_or(0)
        - i32::try_from(from.month()).unwrap_or(0)
        + 1;
    if span > i32::try_from(MAX_MONTHS).unwrap_or(i32::MAX) {
        return Err(ApiError::BadRequest(format!(
            "trends cover at most {MAX_MONTHS} months"
        )));
    }
    let range = DateRange {
        from: Some(from),
        to: Some(to),
    };
    let rows = state.store.analytics_months(scope, range).await?;
    // Every month of the range, those without invoices too.
    let mut per_month: BTreeMap<String, (u64, ByCurrency)> = BTreeMap::new();
    let mut month = from.with_day(1).unwrap_or(from);
    let last = to.with_day(1).unwrap_or(to);
    while month <= last {
        per_month.insert(month_label(month), (0, BTreeMap::new()));
        match month.checked_add_months(Months::new(1)) {
            Some(next) => month = next,
            None => break,
        }
    }
    for r in rows.iter().filter(|r| r.status != InvoiceStatus::Rejected) {
        let e = per_month.entry(r.month.clone()).or_default();
        e.0 += r.count;
        let m =
            e.1.entry(currency_key(&r.currency))
                .or_insert_with(|| (r.currency.clone(), Money::default()));
        m.1.count += r.count;
        m.1.net += r.net;
        m.1.gross += r.gross;
    }
    Ok(Json(json!({
        "range": range_json(range),
        "months": per_month
            .into_iter()
            .map(|(month, (count, currencies))| {
                json!({
                    "month": month,
                    "count": count,
                    "by_currency": currencies
                        .into_values()
                        .map(|(currency, m)| json!({
                            "currency": currency,
                            "count": m.count,
                            "net": m.net.normalize(),
                            "gross": m.gross.normalize(),
                        }))
                        .collect::<Vec<_>>(),
                })
            })
            .collect::<Vec<_>>(),
    })))
}

fn kpis(range: DateRange, totals: &AnalyticsTotals) -> Value {
    let needs_review = count_of(totals, InvoiceStatus::NeedsReview);
    json!({
        "range": range_json(range),
        "total_invoices": totals.count,
        "by_status": status_counts(totals),
        "totals_by_currency": money_json(totals),
        "average_confidence": totals.average_confidence,
        "review_rate": rate(needs_review, totals.count),
        "vendors": totals.vendors,
        "customers": totals.customers,
    })
}

/// The change from `previous` to `current` in percent, two decimals; `None` from zero.
fn change_pct(current: Decimal, previous: Decimal) -> Option<Decimal> {
    (!previous.is_zero()).then(|| {
        ((current - previous) * Decimal::from(100) / previous)
            .round_dp(2)
            .normalize()
    })
}

/// `part` as a percentage of `whole`, two decimals; `None` of zero.
fn share_pct(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero()).then(|| (part * Decimal::from(100) / whole).round_dp(2).normalize())
}

async fn executive_dashboard(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<Value>, ApiError> {
    let asked = q.range()?;
    let scope = caller.scope();
    let today = Utc::now().date_naive();
    let (from, to) = match period(&state, scope, asked, DEFAULT_MONTHS).await? {
        Some(p) => p,
        // No invoices from `from` on: the period ends today (or at `from`).
        None => {
            let to = asked.from.map_or(today, |f| f.max(today));
            (
                asked
                    .from
                    .unwrap_or_else(|| months_back(to, DEFAULT_MONTHS)),
                to,
            )
        }
    };
    let days = (to - from).num_days() + 1;
    let current = DateRange {
        from: Some(from),
        to: Some(to),
    };
    let previous = match (
        from.checked_sub_signed(Duration::days(days))
            .filter(in_calendar),
        from.pred_opt().filter(in_calendar),
    ) {
        (Some(start), Some(end)) => DateRange {
            from: Some(start),
            to: Some(end),
        },
        _ => {
            return Err(ApiError::BadRequest(
                "the period before `from` is out of the calendar".into(),
            ));
        }
    };
    let now = state.store.analytics_totals(scope, current).await?;
    let before = state.store.analytics_totals(scope, previous).await?;
    let overdue = state.store.analytics_overdue(scope, current, today).await?;

    let now_money = money_by_currency(&now);
    let before_money = money_by_currency(&before);
    let mut currencies: BTreeMap<(bool, String), Option<String>> = BTreeMap::new();
    for (k, (c, _)) in now_money.iter().chain(before_money.iter()) {
        currencies.insert(k.clone(), c.clone());
    }
    let gross_change: Vec<Value> = currencies
        .into_iter()
        .map(|(k, currency)| {
            let cur = now_money.get(&k).map(|m| m.1.clone()).unwrap_or_default();
            let prev = before_money
                .get(&k)
                .map(|m| m.1.clone())
                .unwrap_or_default();
            json!({
                "currency": currency,
                "current": cur.gross.normalize(),
                "previous": prev.gross.normalize(),
                "change": (cur.gross - prev.gross).normalize(),
                "change_pct": change_pct(cur.gross, prev.gross),
                "count_current": cur.count,
                "count_previous": prev.count,
            })
        })
        .collect();
    Ok(Json(json!({
        "current": kpis(current, &now),
        "previous": kpis(previous, &before),
        "change": {
            "total_invoices": i128::from(now.count) - i128::from(before.count),
            "total_invoices_pct": change_pct(Decimal::from(now.count), Decimal::from(before.count)),
            "gross_by_currency": gross_change,
        },
        "overdue": {
            "as_of": today,
            "count": overdue.iter().map(|o| o.count).sum::<u64>(),
            "by_currency": overdue_json(&overdue),
        },
    })))
}

async fn customer_analytics(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<Value>, ApiError> {
    let range = q.range()?;
    let limit = q.limit()?;
    let scope = caller.scope();
    let totals = state.store.analytics_totals(scope, range).await?;
    let customers = state
        .store
        .analytics_parties(scope, range, PartyRole::Customer, limit)
        .await?;
    let money = money_by_currency(&totals);
    let share = |p: &PartyTotal| {
        money
            .get(&currency_key(&p.currency))
            .and_then(|(_, m)| share_pct(p.gross, m.gross))
    };
    Ok(Json(json!({
        "range": range_json(range),
        "limit": limit,
        "total_customers": totals.customers,
        "customers": by_currency(&customers, |p| &p.currency, |p| {
            let mut v = party_json(p);
            v["share_pct"] = json!(share(p));
            v
        }),
    })))
}

async fn product_performance(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<Value>, ApiError> {
    let range = q.range()?;
    let limit = q.limit()?;
    let products = state
        .store
        .analytics_products(caller.scope(), range, limit)
        .await?;
    Ok(Json(json!({
        "range": range_json(range),
        "limit": limit,
        "products": by_currency(&products, |p| &p.currency, product_json),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_back_counts_calendar_months() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 17).expect("date");
        let early = NaiveDate::from_ymd_opt(1, 3, 1).expect("date");
        assert_eq!(
            months_back(early, 12),
            NaiveDate::from_ymd_opt(1, 1, 1).expect("date")
        );
        assert_eq!(
            months_back(d, 12),
            NaiveDate::from_ymd_opt(2025, 4, 1).expect("date")
        );
        assert_eq!(
            months_back(d, 1),
            NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")
        );
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(bounded("limit", None, 10, 100).ok(), Some(10));
        assert_eq!(bounded("limit", Some("100"), 10, 100).ok(), Some(100));
        assert!(bounded("limit", Some("0"), 10, 100).is_err());
        assert!(bounded("limit", Some("101"), 10, 100).is_err());
        assert!(bounded("limit", Some("x"), 10, 100).is_err());
    }

    #[test]
    fn change_from_zero_is_none() {
        assert_eq!(change_pct(Decimal::from(5), Decimal::ZERO), None);
        assert_eq!(
            change_pct(Decimal::from(15), Decimal::from(10)),
            Some(Decimal::from(50))
        );
    }
}
