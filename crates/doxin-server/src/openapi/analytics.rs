//! The analytics API (`routes/analytics.rs`): figures of the live invoices in the caller's
//! scope over an issue-date range, every amount per currency.

use serde_json::{Value, json};

use super::model::decimal_string;
use super::{Op, Operation, object};
use crate::routes::analytics::{DEFAULT_LIMIT, DEFAULT_MONTHS, MAX_LIMIT, MAX_MONTHS};

fn count() -> Value {
    json!({ "type": "integer", "minimum": 0 })
}

fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

fn nullable_date() -> Value {
    json!({ "type": ["string", "null"], "format": "date" })
}

fn money() -> Value {
    let mut v = decimal_string();
    v["description"] = json!("Decimal string, in the row's currency");
    v
}

fn nullable_money() -> Value {
    json!({ "type": ["string", "null"], "pattern": "^-?[0-9]+(\\.[0-9]+)?$" })
}

fn rate() -> Value {
    json!({ "type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "Share of the invoices (0 to 1); null without invoices" })
}

fn currency() -> Value {
    json!({ "type": ["string", "null"], "description": "ISO 4217 code; null: invoices without a currency" })
}

fn range() -> Value {
    object(
        "The issue dates covered (inclusive); null: open.",
        json!({ "from": nullable_date(), "to": nullable_date() }),
    )
}

fn status_counts() -> Value {
    object(
        "Invoices by review status.",
        json!({ "needs_review": count(), "approved": count(), "rejected": count() }),
    )
}

fn array(description: &str, item: Value) -> Value {
    json!({ "type": "array", "description": description, "items": item })
}

fn totals_by_currency() -> Value {
    array(
        "Sums per currency (never across currencies), rejected invoices left out; by currency code",
        object(
            "One currency's invoices.",
            json!({
                "currency": currency(),
                "count": count(),
                "net": money(),
                "tax": money(),
                "gross": money(),
                "average_gross": nullable_money(),
            }),
        ),
    )
}

fn overdue() -> Value {
    object(
        "Invoices not rejected whose due date is before `as_of` (today, UTC).",
        json!({
            "as_of": date(),
            "count": count(),
            "by_currency": array(
                "Per currency",
                object(
                    "One currency's overdue invoices.",
                    json!({ "currency": currency(), "count": count(), "gross": money() }),
                ),
            ),
        }),
    )
}

/// Ranked items grouped by currency.
fn ranked(description: &str, item: Value) -> Value {
    array(
        description,
        object(
            "One currency's ranking (ranks from 1 within the currency).",
            json!({ "currency": currency(), "items": { "type": "array", "items": item } }),
        ),
    )
}

fn party(extra: Value) -> Value {
    let mut props = json!({
        "rank": { "type": "integer", "minimum": 1 },
        "name": { "type": ["string", "null"], "description": "As on the invoices (null: not read)" },
        "count": count(),
        "net": money(),
        "gross": money(),
        "average_gross": nullable_money(),
    });
    if let (Some(p), Value::Object(more)) = (props.as_object_mut(), extra) {
        p.extend(more);
    }
    object("One party's invoices in one currency.", props)
}

fn kpis() -> Value {
    object(
        "Key figures of one period.",
        json!({
            "range": range(),
            "total_invoices": count(),
            "by_status": status_counts(),
            "totals_by_currency": totals_by_currency(),
            "average_confidence": { "type": ["number", "null"] },
            "review_rate": rate(),
            "vendors": count(),
            "customers": count(),
        }),
    )
}

/// The parameters every analytics route takes.
fn ranged(op: Op) -> Op {
    op.read()
        .query(
            "from",
            "First issue date included (YYYY-MM-DD); invoices without an issue date are left out when `from` or `to` is given",
            date(),
        )
        .query("to", "Last issue date included (YYYY-MM-DD); not before `from`", date())
}

fn limited(op: Op) -> Op {
    op.query(
        "limit",
        &format!("Items per currency (1 to {MAX_LIMIT})"),
        json!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT }),
    )
}

fn finish(op: Op) -> Value {
    op.caller().problems(&[400]).store_errors().build()
}

const SCOPE: &str = "Live invoices in the caller's scope: the current workspace (any role); a \
    system administrator who names no workspace sees every workspace. Amounts are summed in \
    the database per currency and never across currencies; rejected invoices are counted by \
    status but left out of every amount. 400 for a date that is not YYYY-MM-DD (years 1 to 9999), `from` after \
    `to`, or a `limit`/`months` out of range.";

pub(super) fn operations() -> Vec<Operation> {
    let trends_description = format!(
        "{SCOPE} Per calendar month (months without invoices included), the invoices not \
         rejected: count and sums per currency. Without `from`, the range starts `months` \
         months (default {DEFAULT_MONTHS}, at most {MAX_MONTHS}) before its end; without `to`, \
         it ends at the latest issue date in scope (the data's own last months, not the \
         calendar's). 400 for a range over {MAX_MONTHS} months. No invoices: an empty list."
    );
    let executive_description = format!(
        "{SCOPE} Key figures of the range and of the previous range of equal length, with the \
         change between them. Without `to` the range ends at the latest issue date in scope; \
         without `from` it starts {DEFAULT_MONTHS} months before its end (no invoices: the \
         range ends today). 400 when the previous range would leave the calendar."
    );
    vec![
        (
            "/api/v1/reports/analytics/summary",
            "get",
            finish(
                ranged(Op::new("reports", "analytics_summary", "Invoice counts, totals and overdue amounts"))
                    .description(SCOPE)
                    .ok(
                        200,
                        "The summary",
                        object(
                            "Counts by status, totals and overdue amounts per currency.",
                            json!({
                                "range": range(),
                                "total_invoices": count(),
                                "by_status": status_counts(),
                                "totals_by_currency": totals_by_currency(),
                                "overdue": overdue(),
                                "vendors": count(),
                                "customers": count(),
                                "first_issue_date": nullable_date(),
                                "last_issue_date": nullable_date(),
                            }),
                        ),
                    ),
            ),
        ),
        (
            "/api/v1/reports/analytics/invoice-stats",
            "get",
            finish(
                ranged(Op::new("reports", "analytics_invoice_stats", "Invoice counts by status and month, confidence, review rate"))
                    .description(SCOPE)
                    .ok(
                        200,
                        "The statistics",
                        object(
                            "Counts and rates.",
                            json!({
                                "range": range(),
                                "total_invoices": count(),
                                "by_status": status_counts(),
                                "by_month": array(
                                    "Per month of issue (of upload without an issue date), oldest first",
                                    object(
                                        "One month's invoices.",
                                        json!({
                                            "month": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$" },
                                            "count": count(),
                                            "by_status": status_counts(),
                                        }),
                                    ),
                                ),
                                "average_confidence": { "type": ["number", "null"], "description": "Mean extraction confidence (0 to 1)" },
                                "review_rate": rate(),
                                "approval_rate": rate(),
                                "rejection_rate": rate(),
                            }),
                        ),
                    ),
            ),
        ),
        (
            "/api/v1/reports/analytics/top-companies",
            "get",
            finish(limited(ranged(Op::new(
                "reports",
                "analytics_top_companies",
                "Vendors and customers with the largest gross, per currency",
            )))
            .description(SCOPE)
            .ok(
                200,
                "The rankings",
                object(
                    "Sellers and buyers (by name on the invoice), ranked by gross in each currency.",
                    json!({
                        "range": range(),
                        "limit": count(),
                        "vendors": ranked("Per currency", party(json!({}))),
                        "customers": ranked("Per currency", party(json!({}))),
                    }),
                ),
            )),
        ),
        (
            "/api/v1/reports/analytics/trends",
            "get",
            finish(
                ranged(Op::new("reports", "analytics_trends", "Monthly counts and gross per currency"))
                    .query(
                        "months",
                        &format!("Months back from the end when `from` is not given (1 to {MAX_MONTHS})"),
                        json!({ "type": "integer", "minimum": 1, "maximum": MAX_MONTHS, "default": DEFAULT_MONTHS }),
                    )
                    .description(&trends_description)
                    .ok(
                        200,
                        "The months",
                        object(
                            "Months of the range, oldest first.",
                            json!({
                                "range": range(),
                                "months": array(
                                    "Every month of the range",
                                    object(
                                        "One month.",
                                        json!({
                                            "month": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$" },
                                            "count": count(),
                                            "by_currency": array(
                                                "Per currency",
                                                object(
                                                    "One currency's invoices of the month.",
                                                    json!({
                                                        "currency": currency(),
                                                        "count": count(),
                                                        "net": money(),
                                                        "gross": money(),
                                                    }),
                                                ),
                                            ),
                                        }),
                                    ),
                                ),
                            }),
                        ),
                    ),
            ),
        ),
        (
            "/api/v1/reports/analytics/executive-dashboard",
            "get",
            finish(
                ranged(Op::new("reports", "analytics_executive_dashboard", "Key figures with period-over-period change"))
                    .description(&executive_description)
                    .ok(
                        200,
                        "The key figures",
                        object(
                            "This period, the previous one and the change.",
                            json!({
                                "current": kpis(),
                                "previous": kpis(),
                                "change": object(
                                    "From the previous period to this one.",
                                    json!({
                                        "total_invoices": { "type": "integer" },
                                        "total_invoices_pct": nullable_money(),
                                        "gross_by_currency": array(
                                            "Per currency present in either period",
                                            object(
                                                "One currency's gross in both periods.",
                                                json!({
                                                    "currency": currency(),
                                                    "current": money(),
                                                    "previous": money(),
                                                    "change": money(),
                                                    "change_pct": { "type": ["string", "null"], "description": "Percent, two decimals; null when the previous gross is zero" },
                                                    "count_current": count(),
                                                    "count_previous": count(),
                                                }),
                                            ),
                                        ),
                                    }),
                                ),
                                "overdue": overdue(),
                            }),
                        ),
                    ),
            ),
        ),
        (
            "/api/v1/reports/analytics/customer-analytics",
            "get",
            finish(limited(ranged(Op::new(
                "reports",
                "analytics_customer_analytics",
                "Customers with the largest gross, per currency",
            )))
            .description(SCOPE)
            .ok(
                200,
                "The customers",
                object(
                    "Buyers (by name on the invoice), ranked by gross in each currency.",
                    json!({
                        "range": range(),
                        "limit": count(),
                        "total_customers": count(),
                        "customers": ranked(
                            "Per currency",
                            party(json!({
                                "share_pct": { "type": ["string", "null"], "description": "Percent of the currency's gross, two decimals" },
                            })),
                        ),
                    }),
                ),
            )),
        ),
        (
            "/api/v1/reports/analytics/product-performance",
            "get",
            finish(limited(ranged(Op::new(
                "reports",
                "analytics_product_performance",
                "Line descriptions with the largest net amount, per currency",
            )))
            .description(SCOPE)
            .ok(
                200,
                "The products",
                object(
                    "Invoice lines grouped by description (lower-cased, trimmed), ranked by net line amount in each currency.",
                    json!({
                        "range": range(),
                        "limit": count(),
                        "products": ranked(
                            "Per currency",
                            object(
                                "One description's lines in one currency.",
                                json!({
                                    "rank": { "type": "integer", "minimum": 1 },
                                    "description": { "type": "string" },
                                    "lines": count(),
                                    "invoices": count(),
                                    "quantity": decimal_string(),
                                    "net": money(),
                                }),
                            ),
                        ),
                    }),
                ),
            )),
        ),
    ]
}
