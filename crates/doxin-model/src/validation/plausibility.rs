//! What a reviewer checks first: the mandatory fields are there (BR-02, BR-03, BR-05, BR-06,
//! BR-14) and the VAT rates are plausible (DX-VAT-02: 0 to 30 %, DX-VAT-03: one of the seller
//! country's rates).

use rust_decimal::Decimal;

use super::{Checker, Finding, RuleId};
use crate::provenance::{Field, value_of};

pub(super) fn run(c: &mut Checker<'_>) {
    mandatory(c);
    rates(c);
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

/// VAT rates of a country (standard, reduced, zero; current and of the last few years, since
/// invoices are processed after the fact and rates change), in percent.
fn country_rates(country: &str) -> Option<&'static [&'static str]> {
    Some(match country {
        "AT" => &["20", "13", "10", "19", "0"],
        "BE" => &["21", "12", "6", "0"],
        "BG" => &["20", "9", "0"],
        "CH" => &["8.1", "7.7", "3.8", "3.7", "2.6", "2.5", "0"],
        "CY" => &["19", "9", "5", "3", "0"],
        "CZ" => &["21", "15", "12", "10", "0"],
        "DE" => &["19", "16", "7", "5", "0"],
        "DK" => &["25", "0"],
        "EE" => &["24", "22", "20", "13", "9", "5", "0"],
        "EL" | "GR" => &["24", "17", "13", "9", "6", "4", "0"],
        "ES" => &["21", "10", "7.5", "5", "4", "2", "0"],
        "FI" => &["25.5", "24", "14", "13.5", "10", "0"],
        "FR" => &["20", "10", "8.5", "5.5", "2.1", "0"],
        "GB" | "UK" => &["20", "5", "12.5", "0"],
        "HR" => &["25", "13", "5", "0"],
        "HU" => &["27", "18", "5", "0"],
        "IE" => &["23", "13.5", "9", "4.8", "0"],
        "IT" => &["22", "10", "5", "4", "0"],
        "LT" => &["21", "12", "9", "5", "0"],
        "LU" => &["17", "16", "14", "13", "8", "7", "3", "0"],
        "LV" => &["21", "12", "5", "0"],
        "MT" => &["18", "12", "7", "5", "0"],
        "NL" => &["21", "9", "0"],
        "NO" => &["25", "15", "12", "11.11", "0"],
        "PL" => &["23", "8", "5", "0"],
        "PT" => &["23", "22", "16", "13", "12", "9", "6", "5", "4", "0"],
        "RO" => &["21", "19", "11", "9", "5", "0"],
        "SE" => &["25", "12", "6", "0"],
        "SI" => &["22", "9.5", "5", "0"],
        "SK" => &["23", "20", "19", "10", "5", "0"],
        _ => return None,
    })
}

/// The seller's country: its address, else its VAT id's prefix.
fn seller_country(c: &Checker<'_>) -> Option<String> {
    let seller = &c.invoice.seller;
    value_of(&seller.address.country)
        .map(|s| s.trim().to_uppercase())
        .filter(|s| s.len() == 2)
        .or_else(|| {
            value_of(&seller.vat_id)
                .map(|v| v.trim().to_uppercase())
                .filter(|v| v.len() > 2 && v.chars().take(2).all(|ch| ch.is_ascii_alphabetic()))
                .map(|v| v[..2].to_string())
        })
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
    let country = seller_country(c);
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
