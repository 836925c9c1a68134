//! Business intelligence: the key figures of a period beside those of the period of equal
//! length just before it, with the change and the change in percent, and the period's monthly
//! trend per currency.
//!
//! The period is `from`–`to`; an open end is closed as the analytics API's executive dashboard
//! does it: `to` is the latest issue date in the data, `from` the first day of the month eleven
//! months before `to`'s (twelve calendar months). Overdue figures are a snapshot on `as_of`
//! (payment status is only known as it is now), so they have no previous value.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, Months, NaiveDate};
use doxin_model::Decimal;
use serde_json::json;

use super::facts::{Status, Sums, change_percent, percent};
use super::{
    Cell, Chart, ChartKind, Facts, InvoiceFact, Params, Period, Report, ReportKind, Table,
};

/// Months a period covers when `from` is not given.
pub const DEFAULT_MONTHS: u32 = 12;

/// The current and previous periods, inclusive.
pub fn periods(
    params: &Params,
    last_issue: Option<NaiveDate>,
    today: NaiveDate,
) -> ((NaiveDate, NaiveDate), (NaiveDate, NaiveDate)) {
    let to = params.to.or(last_issue).unwrap_or(today);
    let from = params.from.unwrap_or_else(|| {
        let first = to.with_day(1).unwrap_or(to);
        first
            .checked_sub_months(Months::new(DEFAULT_MONTHS - 1))
            .unwrap_or(first)
    });
    let days = (to - from).num_days() + 1;
    let prev_to = from.pred_opt().unwrap_or(from);
    let prev_from = from
        .checked_sub_signed(Duration::days(days))
        .unwrap_or(prev_to);
    ((from, to), (prev_from, prev_to))
}

#[derive(Debug, Default)]
struct Side {
    all: u64,
    by_status: BTreeMap<Status, u64>,
    vendors: BTreeSet<String>,
    customers: BTreeSet<String>,
    money: BTreeMap<String, Sums>,
}

impl Side {
    fn add(&mut self, f: &InvoiceFact) {
        self.all += 1;
        *self.by_status.entry(f.status).or_default() += 1;
        if let Some(v) = &f.vendor {
            self.vendors.insert(v.clone());
        }
        if let Some(c) = &f.customer {
            self.customers.insert(c.clone());
        }
        if f.counts() {
            self.money.entry(f.currency_label()).or_default().add(f);
        }
    }

    fn status(&self, s: Status) -> u64 {
        self.by_status.get(&s).copied().unwrap_or(0)
    }
}

fn within(f: &InvoiceFact, (from, to): (NaiveDate, NaiveDate)) -> bool {
    f.issue_date.is_some_and(|d| d >= from && d <= to)
}

pub fn build(params: &Params, facts: &Facts, today: NaiveDate) -> Report {
    let last = facts
        .invoices
        .iter()
        .filter_map(|f| f.issue_date)
        .filter(|d| params.to.is_none_or(|to| *d <= to))
        .max();
    let (cur_range, prev_range) = periods(params, last, today);
    let as_of = params.as_of.unwrap_or(today);
    let mut cur = Side::default();
    let mut prev = Side::default();
    let mut overdue: BTreeMap<String, Sums> = BTreeMap::new();
    let mut trend: BTreeMap<(String, String), Sums> = BTreeMap::new();
    for f in &facts.invoices {
        if within(f, cur_range) {
            cur.add(f);
            if f.counts()
                && let Some(d) = f.issue_date
            {
                trend
                    .entry((f.currency_label(), Period::Month.label(d)))
                    .or_default()
                    .add(f);
            }
            if f.overdue_on(as_of) {
                let e = overdue.entry(f.currency_label()).or_default();
                e.count += 1;
                e.gross += f.open_amount();
            }
        } else if within(f, prev_range) {
            prev.add(f);
        }
    }

    let mut kpis = Table::new(
        "KPIs",
        &format!(
            "Key figures {} to {} against {} to {}",
            cur_range.0, cur_range.1, prev_range.0, prev_range.1
        ),
        &[
            "KPI", "Currency", "Current", "Previous", "Change", "Change %",
        ],
    );
    let count_row = |name: &str, c: u64, p: u64| {
        let (c, p) = (Decimal::from(c), Decimal::from(p));
        vec![
            Cell::text_of(name),
            Cell::text_of("(all)"),
            Cell::Number(c),
            Cell::Number(p),
            Cell::Number(c - p),
            Cell::percent(change_percent(c, p)),
        ]
    };
    kpis.rows.push(count_row("Invoices", cur.all, prev.all));
    for (name, s) in [
        ("Approved", Status::Approved),
        ("Needs review", Status::NeedsReview),
        ("Rejected", Status::Rejected),
    ] {
        kpis.rows
            .push(count_row(name, cur.status(s), prev.status(s)));
    }
    let review = |side: &Side| {
        percent(
            Decimal::from(side.status(Status::NeedsReview)),
            Decimal::from(side.all),
        )
    };
    let (rc, rp) = (review(&cur), review(&prev));
    kpis.rows.push(vec![
        Cell::text_of("Review rate %"),
        Cell::text_of("(all)"),
        Cell::percent(rc),
        Cell::percent(rp),
        rc.zip(rp).map_or(Cell::Empty, |(c, p)| Cell::Number(c - p)),
        Cell::Empty,
    ]);
    kpis.rows.push(count_row(
        "Vendors",
        cur.vendors.len() as u64,
        prev.vendors.len() as u64,
    ));
    kpis.rows.push(count_row(
        "Customers",
        cur.customers.len() as u64,
        prev.customers.len() as u64,
    ));

    let currencies: BTreeSet<&String> = cur.money.keys().chain(prev.money.keys()).collect();
    let mut summary = Vec::new();
    for c in currencies {
        let a = cur.money.get(c).copied().unwrap_or_default();
        let b = prev.money.get(c).copied().unwrap_or_default();
        let money = |name: &str, x: Decimal, y: Decimal| {
            vec![
                Cell::text_of(name),
                Cell::text_of(c),
                Cell::Money(x),
                Cell::Money(y),
                Cell::Money(x - y),
                Cell::percent(change_percent(x, y)),
            ]
        };
        kpis.rows.push(vec![
            Cell::text_of("Invoices counted in amounts"),
            Cell::text_of(c),
            Cell::Count(a.count),
            Cell::Count(b.count),
            Cell::Number(Decimal::from(a.count) - Decimal::from(b.count)),
            Cell::percent(change_percent(
                Decimal::from(a.count),
                Decimal::from(b.count),
            )),
        ]);
        kpis.rows.push(money("Net", a.net, b.net));
        kpis.rows.push(money("VAT", a.tax, b.tax));
        kpis.rows.push(money("Gross", a.gross, b.gross));
        let (x, y) = (a.average_gross(), b.average_gross());
        kpis.rows.push(vec![
            Cell::text_of("Average gross"),
            Cell::text_of(c),
            Cell::money(x),
            Cell::money(y),
            x.zip(y).map_or(Cell::Empty, |(x, y)| Cell::Money(x - y)),
            x.zip(y)
                .and_then(|(x, y)| change_percent(x, y))
                .map_or(Cell::Empty, Cell::Percent),
        ]);
        summary.push(json!({
            "currency": c,
            "gross_current": a.gross.to_string(),
            "gross_previous": b.gross.to_string(),
            "gross_change_pct": change_percent(a.gross, b.gross).map(|d| d.to_string()),
        }));
    }
    for (c, o) in &overdue {
        kpis.rows.push(vec![
            Cell::text_of(format!("Overdue on {as_of}")),
            Cell::text_of(c),
            Cell::Money(o.gross),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ]);
    }

    let mut months = Table::new(
        "Monthly trend",
        "Gross per month of the current period",
        &["Currency", "Month", "Invoices", "Net", "Tax", "Gross"],
    );
    for ((c, m), s) in &trend {
        months.rows.push(super::financial::money_row(
            vec![Cell::text_of(c), Cell::text_of(m)],
            s,
        ));
    }
    months.charts = Chart::per_group(
        &months,
        ChartKind::Line,
        "Gross per month",
        0,
        1,
        &[5],
        usize::MAX,
    );

    Report {
        kind: ReportKind::BusinessIntelligence,
        title: String::new(),
        notes: vec![
            format!(
                "Current period {} to {}, previous {} to {}; overdue as of {as_of}",
                cur_range.0, cur_range.1, prev_range.0, prev_range.1
            ),
            params.describe(),
        ],
        summary: json!({
            "current": { "from": cur_range.0, "to": cur_range.1, "invoices": cur.all },
            "previous": { "from": prev_range.0, "to": prev_range.1, "invoices": prev.all },
            "by_currency": summary,
        }),
        tables: vec![kpis, months],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn periods_are_twelve_months_and_the_same_length_before() {
        let p = Params::default();
        let ((f, t), (pf, pt)) = periods(&p, Some(d(2026, 3, 17)), d(2026, 6, 1));
        assert_eq!((f, t), (d(2025, 4, 1), d(2026, 3, 17)));
        assert_eq!(pt, d(2025, 3, 31));
        assert_eq!((t - f).num_days(), (pt - pf).num_days());
    }
}
