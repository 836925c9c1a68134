//! What a reviewer checks first: the mandatory fields are there (BR-02, BR-03, BR-05, BR-06,
//! BR-14) and the VAT rates are plausible (DX-VAT-02: 0 to 30 %, DX-VAT-03: one of the seller
//! country's rates).

use rust_decimal::Decimal;

use super::{Checker, Finding, RuleId};
use crate::provenance::{Field, value_of};
use crate::vat_rates::{above_rate, country_rates, highest_rate, seller_country, tax_at};

pub(super) fn run(c: &mut Checker<'_>) {
    mandatory(c);
    rates(c);
    tax_share(c);
}

fn present_text(field: &Field<String>) -> bool {
    value_of(field).is_some_and(|s| !s.trim().is_empty())
}

/// Missing mandatory values (EN 16931 BR-02, BR-03, BR-05, BR-06, BR-14): always checked, since
/// "not found" is exactly what a reviewer must fill in.
fn mandatory(c: &mut Checker<'_>) {
    let inv = c.invoice;
    let checks = [
        (
            RuleId::Br02,
            present_text(&inv.invoice_number),
            "invoice_number",
            "invoice number (BT-1)",
        ),
        (
            RuleId::Br03,
            inv.issue_date.is_some(),
            "issue_date",
            "issue date (BT-2)",
        ),
        (
            RuleId::Br05,
            present_text(&inv.currency),
            "currency",
            "invoice currency (BT-5)",
        ),
        (
            RuleId::Br06,
            present_text(&inv.seller.name),
            "seller.name",
            "seller name (BT-27)",
        ),
        (
            RuleId::Br14,
            inv.totals.tax_inclusive_amount.is_some(),
            "totals.tax_inclusive_amount",
            "total with VAT (BT-112)",
        ),
    ];
    for (rule, present, field, term) in checks {
        c.checked(rule);
        if !present {
            c.fail(Finding::new(rule, format!("the {term} is missing")).field(field));
        }
    }
}

/// DX-VAT-02 and DX-VAT-03 on every rate the invoice states (breakdown and lines).
fn rates(c: &mut Checker<'_>) {
    let inv = c.invoice;
    let mut stated: Vec<(String, Decimal)> = Vec::new();
    for (i, row) in inv.vat_breakdown.iter().enumerate() {
        if let Some(r) = value_of(&row.rate) {
            stated.push((format!("vat_breakdown[{i}].rate"), *r));
        }
    }
    for (i, line) in inv.lines.iter().enumerate() {
        if let Some(r) = value_of(&line.vat_rate) {
            stated.push((format!("lines[{i}].vat_rate"), *r));
        }
    }
    if stated.is_empty() {
        return;
    }
    let (min, max) = (Decimal::ZERO, Decimal::from(30));
    c.checked(RuleId::DxVat02);
    let country = seller_country(c.invoice);
    let known = country.as_deref().and_then(country_rates);
    if known.is_some() {
        c.checked(RuleId::DxVat03);
    }
    let mut reported = Vec::new();
    for (field, rate) in stated {
        if rate < min || rate > max {
            c.fail(
                Finding::new(
                    RuleId::DxVat02,
                    format!("a VAT rate of {rate} % is outside 0 to 30 %"),
                )
                .field(field)
                .actual(rate.normalize().to_string()),
            );
            continue;
        }
        let Some(list) = known else { continue };
        let normal = rate.normalize();
        let listed = list
            .iter()
            .filter_map(|r| r.parse::<Decimal>().ok())
            .any(|r| r == normal);
        // One finding per unlisted rate, not per line that repeats it.
        if !listed && !reported.contains(&normal) {
            reported.push(normal);
            let country = country.as_deref().unwrap_or_default();
            c.fail(
                Finding::new(
                    RuleId::DxVat03,
                    format!(
                        "{normal} % is not a VAT rate of the seller's country {country} ({})",
                        list.join(", ")
                    ),
                )
                .field(field)
                .actual(normal.to_string()),
            );
        }
    }
}

/// DX-VAT-04: no mix of a country's rates makes the VAT more than its highest rate of the
/// net. A tax above that share is an amount in the wrong role (net and tax swapped, a price
/// or a total taken as the tax), whatever else adds up. A small allowance covers rounding per
/// line and per rate.
fn tax_share(c: &mut Checker<'_>) {
    let totals = &c.invoice.totals;
    let (Some(net), Some(tax)) = (
        value_of(&totals.tax_exclusive_amount),
        value_of(&totals.tax_amount),
    ) else {
        return;
    };
    let (net, tax) = (net.abs(), tax.abs());
    if net.is_zero() {
        return;
    }
    c.checked(RuleId::DxVat04);
    let country = seller_country(c.invoice);
    let highest = highest_rate(country.as_deref());
    // Amounts near Decimal's limits cannot be a share of anything: other rules report them.
    let (Some(true), Some(ceiling), Some(share)) = (
        above_rate(net, tax, highest),
        tax_at(net, highest),
        tax.checked_mul(Decimal::ONE_HUNDRED)
            .and_then(|v| v.checked_div(net)),
    ) else {
        return;
    };
    let share = share.round_dp(1).normalize();
    let whose = country.map_or("any country's".to_string(), |c| format!("{c}'s highest"));
    c.fail(
        Finding::new(
            RuleId::DxVat04,
            format!(
                "the total VAT (BT-110) is {share} % of the total without VAT (BT-109), more than {whose} rate of {} %: are net and tax read the right way round?",
                highest.normalize()
            ),
        )
        .field("totals.tax_amount")
        .expected(ceiling)
        .actual(tax),
    );
}
