//! Accounts-payable aging: what is still owed on `as_of`, by how many days past its due date
//! (current, 1–30, 31–60, 61–90, over 90), per vendor and currency.
//!
//! Owed means not rejected and not marked paid (`legacy.payment_status`); the amount is the
//! amount due, else the gross total. Invoices issued after `as_of` did not exist yet and are
//! left out. An invoice without a due date is due on its issue date (without either, it counts
//! as current).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use doxin_model::Decimal;
use serde_json::json;

use super::facts::NONE;
use super::{
    Cell, Chart, ChartData, ChartKind, Facts, InvoiceFact, Params, Report, ReportKind, Table,
};

/// The buckets' names, in order.
pub const BUCKETS: [&str; 5] = [
    "Current",
    "1-30 days",
    "31-60 days",
    "61-90 days",
    "Over 90 days",
];

/// The bucket of an invoice `days` past due.
pub fn bucket(days: i64) -> usize {
    match days {
        ..=0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

/// Days past due on `as_of` (negative: not yet due).
pub fn days_past_due(f: &InvoiceFact, as_of: NaiveDate) -> i64 {
    f.due_date
        .or(f.issue_date)
        .map_or(0, |due| (as_of - due).num_days())
}

#[derive(Debug, Clone, Copy, Default)]
struct Aged {
    count: u64,
    buckets: [Decimal; 5],
}

impl Aged {
    fn add(&mut self, bucket: usize, amount: Decimal) {
        self.count += 1;
        self.buckets[bucket] += amount;
    }

    fn total(&self) -> Decimal {
        self.buckets.iter().copied().sum()
    }

    fn cells(&self, mut head: Vec<Cell>) -> Vec<Cell> {
        head.push(Cell::Count(self.count));
        head.extend(self.buckets.iter().map(|b| Cell::Money(*b)));
        head.push(Cell::Money(self.total()));
        head
    }
}

pub fn build(params: &Params, facts: &Facts, today: NaiveDate) -> Report {
    let as_of = params.as_of.unwrap_or(today);
    let mut by_vendor: BTreeMap<(String, String), Aged> = BTreeMap::new();
    let mut totals: BTreeMap<String, Aged> = BTreeMap::new();
    for f in facts
        .invoices
        .iter()
        .filter(|f| f.is_open() && f.issue_date.is_none_or(|d| d <= as_of))
    {
        let b = bucket(days_past_due(f, as_of));
        let amount = f.open_amount();
        let c = f.currency_label();
        let vendor = f
            .vendor
            .clone()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| NONE.to_string());
        by_vendor
            .entry((c.clone(), vendor))
            .or_default()
            .add(b, amount);
        totals.entry(c).or_default().add(b, amount);
    }

    let mut header = vec!["Currency", "Invoices"];
    header.extend(BUCKETS);
    header.push("Total");
    let mut total_table = Table::new(
        "Totals",
        "Open amounts per currency by days past due",
        &header,
    );
    for (c, a) in &totals {
        total_table.rows.push(a.cells(vec![Cell::text_of(c)]));
    }
    total_table.charts = (0..total_table.rows.len())
        .map(|row| Chart {
            kind: ChartKind::Column,
            title: format!(
                "Open amounts by days past due ({})",
                total_table.rows[row][0].text()
            ),
            data: ChartData::Row { row, values: 2..7 },
        })
        .collect();

    let mut header = vec!["Currency", "Vendor", "Invoices"];
    header.extend(BUCKETS);
    header.push("Total");
    let mut vendor_table = Table::new(
        "By vendor",
        "Open amounts per vendor by days past due, largest first",
        &header,
    );
    let mut rows: Vec<(&(String, String), &Aged)> = by_vendor.iter().collect();
    rows.sort_by(|a, b| {
        a.0.0
            .cmp(&b.0.0)
            .then(b.1.total().cmp(&a.1.total()))
            .then(a.0.1.cmp(&b.0.1))
    });
    for ((c, v), a) in rows {
        vendor_table
            .rows
            .push(a.cells(vec![Cell::text_of(c), Cell::text_of(v)]));
    }
    // The vendors owed most, their buckets stacked.
    vendor_table.charts = Chart::per_group(
        &vendor_table,
        ChartKind::StackedBar,
        "Open amounts of the vendors owed most",
        0,
        1,
        &[3, 4, 5, 6, 7],
        params.top(),
    );

    Report {
        kind: ReportKind::ApAging,
        title: String::new(),
        notes: vec![
            format!("As of {as_of}; {}", params.describe()),
            "Open: not rejected and not marked paid. Amount: the amount due, else the gross total."
                .into(),
        ],
        summary: json!({
            "as_of": as_of,
            "by_currency": totals.iter().map(|(c, a)| json!({
                "currency": c,
                "invoices": a.count,
                "current": a.buckets[0].to_string(),
                "days_1_30": a.buckets[1].to_string(),
                "days_31_60": a.buckets[2].to_string(),
                "days_61_90": a.buckets[3].to_string(),
                "over_90": a.buckets[4].to_string(),
                "total": a.total().to_string(),
            })).collect::<Vec<_>>(),
        }),
        tables: vec![total_table, vendor_table],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_days_past_due() {
        assert_eq!(bucket(-5), 0);
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(1), 1);
        assert_eq!(bucket(30), 1);
        assert_eq!(bucket(31), 2);
        assert_eq!(bucket(60), 2);
        assert_eq!(bucket(61), 3);
        assert_eq!(bucket(90), 3);
        assert_eq!(bucket(91), 4);
    }
}
