//! The arithmetic rules: lines, document totals and the VAT breakdown.
//!
//! All arithmetic is checked: an extractor can hand us absurd numbers, and an overflow must
//! leave a rule unchecked rather than panic a worker. Signs are never assumed, so credit notes
//! with negative amounts obey the same equations.

use rust_decimal::Decimal;

use super::{Checker, Finding, RuleId};
use crate::invoice::{AllowanceCharge, InvoiceLine, VatBreakdown};
use crate::provenance::{Field, value_of};

type Rule = fn(&mut Checker<'_>) -> Option<()>;

pub(super) fn run(c: &mut Checker<'_>) {
    const RULES: [Rule; 10] = [
        line_net_amounts,
        br_co_10,
        br_co_11,
        br_co_12,
        br_co_13,
        br_co_17,
        br_co_14,
        dx_vat_01,
        br_co_15,
        br_co_16,
    ];
    for rule in RULES {
        // `None` means the rule's inputs are incomplete: it stays unchecked.
        let _ = rule(c);
    }
}

fn amount(field: &Field<Decimal>) -> Option<Decimal> {
    value_of(field).copied()
}

/// Σ of the values; `None` when one is missing or the sum overflows.
fn sum(values: impl IntoIterator<Item = Option<Decimal>>) -> Option<Decimal> {
    values
        .into_iter()
        .try_fold(Decimal::ZERO, |acc, v| acc.checked_add(v?))
}

fn within(stated: Decimal, derived: Decimal, tolerance: Decimal) -> bool {
    stated
        .checked_sub(derived)
        .is_some_and(|d| d.abs() <= tolerance)
}

/// `base + n × step`, saturating: a tolerance never makes a rule panic.
fn widened(base: Decimal, step: Decimal, n: usize) -> Decimal {
    base.saturating_add(step.saturating_mul(Decimal::from(n)))
}

/// Quantity × unit price ÷ base quantity − line allowance + line charge, unrounded. `None` when
/// quantity or price is missing, or the base quantity is zero (meaningless, not "per one").
fn derived_line_net(line: &InvoiceLine) -> Option<Decimal> {
    let quantity = amount(&line.quantity)?;
    let price = amount(&line.unit_price)?;
    let base = match amount(&line.price_base_quantity) {
        None => Decimal::ONE,
        Some(base) if base.is_zero() => return None,
        Some(base) => base,
    };
    quantity
        .checked_mul(price)?
        .checked_div(base)?
        .checked_sub(amount(&line.allowance_amount).unwrap_or_default())?
        .checked_add(amount(&line.charge_amount).unwrap_or_default())
}

/// Σ line net amounts, standing in quantity × price for lines whose amount was not extracted.
/// Returns the sum and how many lines were derived, or `None` if a line has neither.
fn lines_net(lines: &[InvoiceLine]) -> Option<(Decimal, usize)> {
    let mut total = Decimal::ZERO;
    let mut derived = 0;
    for line in lines {
        let value = match amount(&line.line_amount) {
            Some(stated) => stated,
            None => {
                derived += 1;
                derived_line_net(line)?
            }
        };
        total = total.checked_add(value)?;
    }
    Some((total, derived))
}

fn document_entries<'a>(c: &Checker<'a>, is_charge: bool) -> Vec<&'a AllowanceCharge> {
    c.invoice
        .allowances_charges
        .iter()
        .filter(|entry| entry.is_charge == is_charge)
        .collect()
}

/// BT-107 or BT-108 as BR-CO-13 needs it: the stated total, else the sum of the entries, else
/// zero when the document has no such entries at all.
fn document_total(c: &Checker<'_>, is_charge: bool) -> Option<Decimal> {
    let totals = &c.invoice.totals;
    let stated = if is_charge {
        &totals.charge_total_amount
    } else {
        &totals.allowance_total_amount
    };
    if let Some(stated) = amount(stated) {
        return Some(stated);
    }
    sum(document_entries(c, is_charge)
        .iter()
        .map(|entry| amount(&entry.amount)))
}

fn line_label(line: &InvoiceLine, index: usize) -> String {
    match value_of(&line.id) {
        Some(id) if !id.trim().is_empty() => format!("line {}", id.trim()),
        _ => format!("line {}", index + 1),
    }
}

/// DX-LINE-01, for every line that states its net amount and has quantity and price.
fn line_net_amounts(c: &mut Checker<'_>) -> Option<()> {
    let invoice = c.invoice;
    for (i, line) in invoice.lines.iter().enumerate() {
        let (Some(stated), Some(derived)) = (amount(&line.line_amount), derived_line_net(line))
        else {
            continue;
        };
        c.checked(RuleId::DxLine01);
        if within(stated, derived, c.per_line) {
            continue;
        }
        let expected = c.round(derived);
        let mut formula = format!(
            "quantity {} × price {}",
            amount(&line.quantity).unwrap_or_default(),
            amount(&line.unit_price).unwrap_or_default()
        );
        if let Some(base) = amount(&line.price_base_quantity) {
            formula.push_str(&format!(" ÷ base quantity {base}"));
        }
        if let Some(allowance) = amount(&line.allowance_amount) {
            formula.push_str(&format!(" − allowance {allowance}"));
        }
        if let Some(charge) = amount(&line.charge_amount) {
            formula.push_str(&format!(" + charge {charge}"));
        }
        c.fail(
            Finding::new(
                RuleId::DxLine01,
                format!(
                    "{}: net amount (BT-131) is {stated}, but {formula} = {expected}",
                    line_label(line, i)
                ),
            )
            .field(format!("lines[{i}].line_amount"))
            .expected(expected)
            .actual(stated),
        );
    }
    Some(())
}

/// BR-CO-10: Σ line net amounts = BT-106.
fn br_co_10(c: &mut Checker<'_>) -> Option<()> {
    let stated = amount(&c.invoice.totals.line_extension_amount)?;
    if c.invoice.lines.is_empty() {
        return None;
    }
    let (total, derived) = lines_net(&c.invoice.lines)?;
    c.checked(RuleId::BrCo10);
    if !within(stated, total, widened(c.absolute, c.per_line, derived)) {
        let expected = c.round(total);
        let note = if derived > 0 {
            format!(" ({derived} of them derived from quantity × price)")
        } else {
            String::new()
        };
        c.fail(
            Finding::new(
                RuleId::BrCo10,
                format!(
                    "sum of line net amounts (BT-106) is {stated}, but the lines add up to \
                     {expected}{note}"
                ),
            )
            .field("totals.line_extension_amount")
            .expected(expected)
            .actual(stated),
        );
    }
    Some(())
}

/// BR-CO-11: Σ document allowances = BT-107.
fn br_co_11(c: &mut Checker<'_>) -> Option<()> {
    document_entries_rule(c, false)
}

/// BR-CO-12: Σ document charges = BT-108.
fn br_co_12(c: &mut Checker<'_>) -> Option<()> {
    document_entries_rule(c, true)
}

/// Only checked when both the total and the entries are there: extractors often read a
/// "discount" total without the entries behind it, and that is not a contradiction.
fn document_entries_rule(c: &mut Checker<'_>, is_charge: bool) -> Option<()> {
    let (rule, totals_field, term, entry_term) = if is_charge {
        (
            RuleId::BrCo12,
            &c.invoice.totals.charge_total_amount,
            "sum of charges (BT-108)",
            "document-level charges (BT-99)",
        )
    } else {
        (
            RuleId::BrCo11,
            &c.invoice.totals.allowance_total_amount,
            "sum of allowances (BT-107)",
            "document-level allowances (BT-92)",
        )
    };
    let stated = amount(totals_field)?;
    let entries = document_entries(c, is_charge);
    if entries.is_empty() {
        return None;
    }
    let total = sum(entries.iter().map(|entry| amount(&entry.amount)))?;
    c.checked(rule);
    if !within(stated, total, c.absolute) {
        let field = if is_charge {
            "totals.charge_total_amount"
        } else {
            "totals.allowance_total_amount"
        };
        c.fail(
            Finding::new(
                rule,
                format!("{term} is {stated}, but the {entry_term} add up to {total}"),
            )
            .field(field)
            .expected(total)
            .actual(stated),
        );
    }
    Some(())
}

/// BR-CO-13: BT-109 = Σ line net amounts − allowances + charges.
///
/// EN 16931 sums the lines (BT-131), not BT-106: when every line states its amount we do too,
/// so a wrong BT-106 is reported once (by BR-CO-10) instead of twice. When some line amounts
/// are missing, the stated BT-106 stands in; failing that, quantity × price.
fn br_co_13(c: &mut Checker<'_>) -> Option<()> {
    let totals = &c.invoice.totals;
    let stated = amount(&totals.tax_exclusive_amount)?;
    let lines = &c.invoice.lines;
    let all_stated = !lines.is_empty() && lines.iter().all(|l| l.line_amount.is_some());
    let (lines_total, derived) = if all_stated {
        (sum(lines.iter().map(|l| amount(&l.line_amount)))?, 0)
    } else if let Some(bt106) = amount(&totals.line_extension_amount) {
        (bt106, 0)
    } else if !lines.is_empty() {
        lines_net(lines)?
    } else {
        return None;
    };
    let allowances = document_total(c, false)?;
    let charges = document_total(c, true)?;
    let expected = lines_total.checked_sub(allowances)?.checked_add(charges)?;
    c.checked(RuleId::BrCo13);
    if !within(stated, expected, widened(c.absolute, c.per_line, derived)) {
        let expected = c.round(expected);
        c.fail(
            Finding::new(
                RuleId::BrCo13,
                format!(
                    "total without VAT (BT-109) is {stated}, but line net amounts {lines_total} \
                     − allowances {allowances} + charges {charges} = {expected}"
                ),
            )
            .field("totals.tax_exclusive_amount")
            .expected(expected)
            .actual(stated),
        );
    }
    Some(())
}

/// BR-CO-14: BT-110 = Σ VAT category tax amounts.
fn br_co_14(c: &mut Checker<'_>) -> Option<()> {
    let stated = amount(&c.invoice.totals.tax_amount)?;
    let rows = &c.invoice.vat_breakdown;
    if rows.is_empty() {
        return None;
    }
    let total = sum(rows.iter().map(|row| amount(&row.tax_amount)))?;
    c.checked(RuleId::BrCo14);
    if !within(stated, total, c.absolute) {
        c.fail(
            Finding::new(
                RuleId::BrCo14,
                format!(
                    "total VAT (BT-110) is {stated}, but the VAT breakdown's tax amounts (BT-117) \
                     add up to {total}"
                ),
            )
            .field("totals.tax_amount")
            .expected(total)
            .actual(stated),
        );
    }
    Some(())
}

/// BR-CO-15: BT-112 = BT-109 + BT-110.
fn br_co_15(c: &mut Checker<'_>) -> Option<()> {
    let totals = &c.invoice.totals;
    let net = amount(&totals.tax_exclusive_amount)?;
    let tax = amount(&totals.tax_amount)?;
    let stated = amount(&totals.tax_inclusive_amount)?;
    let expected = net.checked_add(tax)?;
    c.checked(RuleId::BrCo15);
    if !within(stated, expected, c.absolute) {
        c.fail(
            Finding::new(
                RuleId::BrCo15,
                format!(
                    "total with VAT (BT-112) is {stated}, but total without VAT {net} + VAT {tax} \
                     = {expected}"
                ),
            )
            .field("totals.tax_inclusive_amount")
            .expected(expected)
            .actual(stated),
        );
    }
    Some(())
}

/// BR-CO-16: BT-115 = BT-112 − BT-113 + BT-114; a missing paid or rounding amount is zero, as
/// invoices omit them when there is none.
///
/// Under Italian split payment (VAT category `B`, scissione dei pagamenti) the buyer pays that
/// VAT to the state, so what the seller asks for is the total less that VAT. Issuers state it
/// either way (EN 16931 literally, or the amount actually transferred, as FatturaPA does), and
/// both are right; a failure reports the amount net of the split-payment VAT.
fn br_co_16(c: &mut Checker<'_>) -> Option<()> {
    let totals = &c.invoice.totals;
    let gross = amount(&totals.tax_inclusive_amount)?;
    let stated = amount(&totals.payable_amount)?;
    let prepaid = amount(&totals.prepaid_amount).unwrap_or_default();
    let rounding = amount(&totals.rounding_amount).unwrap_or_default();
    let expected = gross.checked_sub(prepaid)?.checked_add(rounding)?;
    c.checked(RuleId::BrCo16);
    if within(stated, expected, c.absolute) {
        return Some(());
    }
    let split = split_payment_vat(&c.invoice.vat_breakdown)
        .and_then(|vat| Some((vat, expected.checked_sub(vat)?)));
    let message = match split {
        Some((_, net_of_split)) if within(stated, net_of_split, c.absolute) => return Some(()),
        Some((vat, net_of_split)) => format!(
            "amount due (BT-115) is {stated}, but total with VAT {gross} − paid {prepaid} \
             + rounding {rounding} = {expected}, or {net_of_split} without the split-payment \
             VAT {vat} the buyer pays to the state"
        ),
        None => format!(
            "amount due (BT-115) is {stated}, but total with VAT {gross} − paid {prepaid} \
             + rounding {rounding} = {expected}"
        ),
    };
    let expected = split.map_or(expected, |(_, net_of_split)| net_of_split);
    c.fail(
        Finding::new(RuleId::BrCo16, message)
            .field("totals.payable_amount")
            .expected(expected)
            .actual(stated),
    );
    Some(())
}

/// UNCL 5305 `B`: Italian split payment, VAT the buyer pays to the state instead of the seller.
const SPLIT_PAYMENT: &str = "B";

/// Σ tax of the split-payment rows of the breakdown; `None` when there are none (or one lacks
/// its tax amount, which leaves the alternative unknown).
fn split_payment_vat(rows: &[VatBreakdown]) -> Option<Decimal> {
    let split: Vec<&VatBreakdown> = rows
        .iter()
        .filter(|row| category(&row.category).as_deref() == Some(SPLIT_PAYMENT))
        .collect();
    if split.is_empty() {
        return None;
    }
    sum(split.iter().map(|row| amount(&row.tax_amount)))
}

/// UNCL 5305 categories that carry no VAT, so a row without a rate has rate 0.
const ZERO_RATED: [&str; 6] = ["Z", "E", "AE", "K", "G", "O"];

fn category(field: &Field<String>) -> Option<String> {
    value_of(field)
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
}

fn row_rate(row: &VatBreakdown) -> Option<Decimal> {
    amount(&row.rate).or_else(|| {
        category(&row.category)
            .filter(|c| ZERO_RATED.contains(&c.as_str()))
            .map(|_| Decimal::ZERO)
    })
}

/// How many lines may have contributed to a breakdown row: those at its rate (and category,
/// when both are known), and those whose rate was not extracted.
fn lines_in_row(lines: &[InvoiceLine], row: &VatBreakdown, rate: Decimal) -> usize {
    let row_category = category(&row.category);
    lines
        .iter()
        .filter(|line| match amount(&line.vat_rate) {
            None => true,
            Some(line_rate) => {
                let same_category = match (&row_category, category(&line.vat_category)) {
                    (Some(a), Some(b)) => *a == b,
                    _ => true,
                };
                line_rate == rate && same_category
            }
        })
        .count()
}

/// BR-CO-17: each row's tax = taxable × rate / 100.
fn br_co_17(c: &mut Checker<'_>) -> Option<()> {
    let invoice = c.invoice;
    for (i, row) in invoice.vat_breakdown.iter().enumerate() {
        let (Some(taxable), Some(stated), Some(rate)) = (
            amount(&row.taxable_amount),
            amount(&row.tax_amount),
            row_rate(row),
        ) else {
            continue;
        };
        let Some(exact) = taxable
            .checked_mul(rate)
            .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
        else {
            continue;
        };
        c.checked(RuleId::BrCo17);
        let lines = lines_in_row(&invoice.lines, row, rate);
        let tolerance = widened(c.absolute, c.per_line / Decimal::TWO, lines);
        if !within(stated, exact, tolerance) {
            let expected = c.round(exact);
            c.fail(
                Finding::new(
                    RuleId::BrCo17,
                    format!(
                        "VAT breakdown row {}: tax amount (BT-117) is {stated}, but taxable amount \
                         {taxable} × {rate} % = {expected}",
                        i + 1
                    ),
                )
                .field(format!("vat_breakdown[{i}].tax_amount"))
                .expected(expected)
                .actual(stated),
            );
        }
    }
    Some(())
}

/// DX-VAT-01: Σ taxable amounts = BT-109. Reported on the breakdown, because a missed row is a
/// more common extraction error than a wrong net total (which BR-CO-13 covers).
fn dx_vat_01(c: &mut Checker<'_>) -> Option<()> {
    let net = amount(&c.invoice.totals.tax_exclusive_amount)?;
    let rows = &c.invoice.vat_breakdown;
    if rows.is_empty() {
        return None;
    }
    let total = sum(rows.iter().map(|row| amount(&row.taxable_amount)))?;
    c.checked(RuleId::DxVat01);
    if !within(total, net, c.absolute) {
        c.fail(
            Finding::new(
                RuleId::DxVat01,
                format!(
                    "the VAT breakdown's taxable amounts (BT-116) add up to {total}, but the total \
                     without VAT (BT-109) is {net}"
                ),
            )
            .field("vat_breakdown")
            .expected(net)
            .actual(total),
        );
    }
    Some(())
}
