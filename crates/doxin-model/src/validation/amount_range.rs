//! DX-AMT-01: a total far from what the vendor usually charges.
//!
//! A reviewer who knows that the cleaning company bills about 400 a month looks twice at an
//! invoice of 40,000 (a misread decimal separator, a wrong vendor match, or fraud). The rule
//! needs the vendor's history, which one invoice does not carry, so the caller (the pipeline
//! and the invoice routes, which can query the workspace's earlier invoices) passes the
//! earlier totals in; [`validate_report`](super::validate_report) never evaluates it.
//!
//! The range is deliberately wide: only totals more than [`VENDOR_RANGE_FACTOR`] times above
//! the largest earlier total or below the smallest one divided by it are findings, and only
//! once the vendor has [`VENDOR_RANGE_MIN_HISTORY`] earlier invoices. A quarterly bill from a
//! monthly vendor stays inside; a yearly one does not, and is a real invoice, which is why the
//! finding is a warning and the decision stays with the reviewer.

use rust_decimal::Decimal;

use super::{Finding, RuleId};
use crate::invoice::Invoice;

/// How many times above the largest (or below the smallest) earlier total a total must be.
pub const VENDOR_RANGE_FACTOR: Decimal = Decimal::from_parts(3, 0, 0, false, 0);

/// Earlier invoices of the vendor needed before the rule says anything: with fewer, "usual"
/// means nothing.
pub const VENDOR_RANGE_MIN_HISTORY: usize = 3;

/// The DX-AMT-01 finding for `invoice` given the totals with VAT of the same vendor's earlier
/// invoices (same currency; the caller filters), or `None` when the total is in range, missing,
/// or the history is too short to say.
pub fn vendor_range(invoice: &Invoice, earlier: &[Decimal]) -> Option<Finding> {
    let gross = invoice.totals.tax_inclusive_amount.as_ref()?.value;
    let history: Vec<Decimal> = earlier
        .iter()
        .copied()
        .filter(|a| a.is_sign_positive() && !a.is_zero())
        .collect();
    if history.len() < VENDOR_RANGE_MIN_HISTORY || !gross.is_sign_positive() || gross.is_zero() {
        return None;
    }
    // Shown with the invoice's decimals: stored totals may have lost their trailing zeros.
    let shown = |mut a: Decimal| {
        a.rescale(gross.scale());
        a
    };
    let low = shown(history.iter().copied().min()?);
    let high = shown(history.iter().copied().max()?);
    let far_above = gross > high * VENDOR_RANGE_FACTOR;
    let far_below = gross * VENDOR_RANGE_FACTOR < low;
    if !(far_above || far_below) {
        return None;
    }
    let vendor = invoice
        .seller
        .name
        .as_ref()
        .map_or("the vendor", |n| n.value.as_str());
    let direction = if far_above { "above" } else { "below" };
    Some(
        Finding::new(
            RuleId::DxAmt01,
            format!(
                "the total with VAT (BT-112) {gross} is far {direction} what {vendor} usually \
                 charges: {low} to {high} on its {} earlier invoices",
                history.len()
            ),
        )
        .field("totals.tax_inclusive_amount")
        .expected(format!("{low} to {high}"))
        .actual(gross.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Extracted;
    use crate::validation::Severity;
    use rust_decimal_macros::dec;

    fn invoice(gross: Decimal) -> Invoice {
        let mut inv = Invoice::default();
        inv.totals.tax_inclusive_amount = Some(Extracted::human(gross));
        inv.seller.name = Some(Extracted::human("Cleaning Co".to_string()));
        inv
    }

    // As the store gives them back: without trailing zeros.
    const MONTHLY: [Decimal; 4] = [dec!(380), dec!(400), dec!(410), dec!(395)];

    #[test]
    fn a_total_ten_times_the_usual_is_a_warning_naming_the_range() {
        let finding = vendor_range(&invoice(dec!(4100.00)), &MONTHLY).expect("finding");
        assert_eq!(finding.rule, RuleId::DxAmt01);
        assert_eq!(finding.severity, Severity::Warning);
        assert_eq!(
            finding.field.as_deref(),
            Some("totals.tax_inclusive_amount")
        );
        assert!(finding.message.contains("far above"), "{}", finding.message);
        assert!(
            finding.message.contains("380.00 to 410.00"),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("Cleaning Co"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn a_misread_decimal_separator_far_below_is_a_finding_too() {
        let finding = vendor_range(&invoice(dec!(4.10)), &MONTHLY).expect("finding");
        assert!(finding.message.contains("far below"), "{}", finding.message);
    }

    #[test]
    fn usual_and_moderately_unusual_totals_are_not_findings() {
        for gross in [dec!(400), dec!(1200), dec!(1230), dec!(127)] {
            assert_eq!(vendor_range(&invoice(gross), &MONTHLY), None, "{gross}");
        }
    }

    #[test]
    fn a_short_history_or_a_missing_total_says_nothing() {
        assert_eq!(
            vendor_range(&invoice(dec!(40000)), &MONTHLY[..2]),
            None,
            "two earlier invoices are not a usual range"
        );
        // Credit notes and zero totals do not count as history.
        assert_eq!(
            vendor_range(
                &invoice(dec!(40000)),
                &[dec!(400), dec!(0), dec!(-400), dec!(410)]
            ),
            None
        );
        assert_eq!(vendor_range(&Invoice::default(), &MONTHLY), None);
    }
}
