//! Profit margin by product: revenue (line net amounts), cost (quantity × the unit cost given
//! for the product) and margin, per currency — where the product's cost is known.
//!
//! No invoice carries a cost, so costs come from the report's parameters (`unit_costs`: a
//! product, a currency, a unit cost), to which the report job adds the standard costs of the
//! product catalogue `doxin import reference` brought in; a product is a line description,
//! matched without regard to case or surrounding spaces. The coverage table says how much of the revenue had a known
//! cost, and the products without one are listed by revenue, so the figures never pretend to
//! cover what they do not.

use std::collections::BTreeMap;

use doxin_model::Decimal;
use serde_json::json;

use super::facts::{NONE, currency_label, percent};
use super::{Cell, Chart, ChartKind, Facts, Params, Report, ReportKind, Table};

/// A product's key: its description lower-cased (Unicode) and trimmed.
fn key(product: &str) -> String {
    product.trim().to_lowercase()
}

#[derive(Debug, Clone, Copy, Default)]
struct Line {
    lines: u64,
    quantity: Decimal,
    net: Decimal,
}

#[derive(Debug, Clone, Copy, Default)]
struct Coverage {
    revenue: Decimal,
    costed_revenue: Decimal,
    cost: Decimal,
}

pub fn build(params: &Params, facts: &Facts) -> Report {
    let costs: BTreeMap<(String, String), Decimal> = params
        .unit_costs
        .iter()
        .map(|c| {
            (
                (c.currency.trim().to_uppercase(), key(&c.product)),
                c.unit_cost,
            )
        })
        .collect();
    // Grouped again in Rust: SQL's lower() differs between the backends outside ASCII.
    let mut products: BTreeMap<(String, String), Line> = BTreeMap::new();
    for p in &facts.products {
        let e = products
            .entry((currency_label(p.currency.as_deref()), key(&p.product)))
            .or_default();
        e.lines += p.lines;
        e.quantity += p.quantity;
        e.net += p.net;
    }

    let mut costed = Vec::new();
    let mut uncosted = Vec::new();
    let mut coverage: BTreeMap<String, Coverage> = BTreeMap::new();
    for ((c, product), line) in &products {
        let cov = coverage.entry(c.clone()).or_default();
        cov.revenue += line.net;
        match costs.get(&(c.clone(), product.clone())) {
            Some(unit) => {
                let cost = (line.quantity * *unit).round_dp(2);
                cov.costed_revenue += line.net;
                cov.cost += cost;
                costed.push((c, product, *line, *unit, cost));
            }
            None => uncosted.push((c, product, *line)),
        }
    }
    costed.sort_by(|a, b| {
        a.0.cmp(b.0)
            .then((b.2.net - b.4).cmp(&(a.2.net - a.4)))
            .then(a.1.cmp(b.1))
    });
    uncosted.sort_by(|a, b| a.0.cmp(b.0).then(b.2.net.cmp(&a.2.net)).then(a.1.cmp(b.1)));

    let mut margin = Table::new(
        "Margin by product",
        "Revenue, cost and margin of the products whose cost is known, largest margin first",
        &[
            "Currency",
            "Product",
            "Lines",
            "Quantity",
            "Revenue",
            "Unit cost",
            "Cost",
            "Margin",
            "Margin %",
        ],
    );
    for (c, product, line, unit, cost) in &costed {
        margin.rows.push(vec![
            Cell::text_of(*c),
            Cell::text_of(*product),
            Cell::Count(line.lines),
            Cell::Number(line.quantity.normalize()),
            Cell::Money(line.net),
            Cell::Money(*unit),
            Cell::Money(*cost),
            Cell::Money(line.net - cost),
            Cell::percent(percent(line.net - cost, line.net)),
        ]);
    }
    margin.charts = Chart::per_group(
        &margin,
        ChartKind::Bar,
        "Margin by product",
        0,
        1,
        &[7],
        params.top(),
    );

    let mut cover = Table::new(
        "Coverage",
        "How much of the revenue had a known cost, and the margin on it",
        &[
            "Currency",
            "Revenue",
            "Revenue with known cost",
            "Coverage %",
            "Cost",
            "Margin",
            "Margin %",
        ],
    );
    for (c, v) in &coverage {
        let m = v.costed_revenue - v.cost;
        cover.rows.push(vec![
            Cell::text_of(c),
            Cell::Money(v.revenue),
            Cell::Money(v.costed_revenue),
            Cell::percent(percent(v.costed_revenue, v.revenue)),
            Cell::Money(v.cost),
            Cell::Money(m),
            Cell::percent(percent(m, v.costed_revenue)),
        ]);
    }

    let mut missing = Table::new(
        "Without cost",
        "Products without a known cost, largest revenue first",
        &["Currency", "Product", "Lines", "Quantity", "Revenue"],
    );
    for (c, product, line) in &uncosted {
        missing.rows.push(vec![
            Cell::text_of(*c),
            Cell::text_of(if product.is_empty() { NONE } else { product }),
            Cell::Count(line.lines),
            Cell::Number(line.quantity.normalize()),
            Cell::Money(line.net),
        ]);
    }

    let mut notes = vec![
        params.describe(),
        "Costs are the unit costs given with the report and the standard costs of the \
         imported product catalogue (no invoice carries a cost); revenue is the lines' net \
         amounts; rejected invoices left out."
            .to_string(),
    ];
    if params.unit_costs.is_empty() {
        notes.push(
            "No unit costs were given and no product catalogue with costs was imported: no \
             product has a known cost."
                .into(),
        );
    }
    Report {
        kind: ReportKind::ProfitMargin,
        title: String::new(),
        notes,
        summary: json!({
            "by_currency": coverage.iter().map(|(c, v)| json!({
                "currency": c,
                "revenue": v.revenue.to_string(),
                "revenue_with_cost": v.costed_revenue.to_string(),
                "cost": v.cost.to_string(),
                "margin": (v.costed_revenue - v.cost).to_string(),
            })).collect::<Vec<_>>(),
        }),
        tables: vec![cover, margin, missing],
    }
}
