// Tests start from an empty invoice and set only the fields a rule reads.
#![allow(clippy::field_reassign_with_default)]

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::invoice::{
    AllowanceCharge, BankAccount, DocumentType, Invoice, InvoiceLine, Party, VatBreakdown,
};
use crate::provenance::{Extracted, Field};

fn x<T>(value: T) -> Field<T> {
    Some(Extracted::xml(value))
}

fn date(y: i32, m: u32, d: u32) -> Field<NaiveDate> {
    x(NaiveDate::from_ymd_opt(y, m, d).expect("valid date"))
}

fn line(quantity: Decimal, price: Decimal, amount: Decimal, rate: Decimal) -> InvoiceLine {
    InvoiceLine {
        quantity: x(quantity),
        unit_price: x(price),
        line_amount: x(amount),
        vat_rate: x(rate),
        vat_category: x("S".to_string()),
        ..InvoiceLine::default()
    }
}

fn row(rate: Decimal, taxable: Decimal, tax: Decimal) -> VatBreakdown {
    VatBreakdown {
        category: x("S".to_string()),
        rate: x(rate),
        taxable_amount: x(taxable),
        tax_amount: x(tax),
        ..VatBreakdown::default()
    }
}

fn entry(is_charge: bool, amount: Decimal, rate: Decimal) -> AllowanceCharge {
    AllowanceCharge {
        is_charge,
        amount: x(amount),
        tax_rate: x(rate),
        ..AllowanceCharge::default()
    }
}

/// A consistent invoice exercising every rule, with rounding in the places real invoices have
/// it: 3 × 0.333 stated as 1.00, and 31.50 × 7 % = 2.205 stated as 2.21.
fn consistent() -> Invoice {
    let mut inv = Invoice {
        invoice_number: x("2024-0042".to_string()),
        currency: x("EUR".to_string()),
        issue_date: date(2024, 3, 1),
        due_date: date(2024, 3, 31),
        service_period_start: date(2024, 2, 1),
        service_period_end: date(2024, 2, 29),
        ..Invoice::default()
    };
    inv.seller = Party {
        name: x("Holzwerk Jansen GmbH".to_string()),
        vat_id: x("DE136695976".to_string()),
        ..Party::default()
    };
    inv.seller.address.country = x("DE".to_string());
    inv.buyer = Party {
        vat_id: x("ATU13585627".to_string()),
        ..Party::default()
    };
    inv.buyer.address.country = x("AT".to_string());
    inv.bank_accounts.push(BankAccount {
        iban: x("DE89 3704 0044 0532 0130 00".to_string()),
        ..BankAccount::default()
    });
    inv.lines = vec![
        line(dec!(2), dec!(50.00), dec!(100.00), dec!(19)),
        line(dec!(3), dec!(0.333), dec!(1.00), dec!(19)),
        InvoiceLine {
            allowance_amount: x(dec!(2.00)),
            charge_amount: x(dec!(0.50)),
            ..line(dec!(1), dec!(20.00), dec!(18.50), dec!(7))
        },
        InvoiceLine {
            price_base_quantity: x(dec!(100)),
            ..line(dec!(250), dec!(4.00), dec!(10.00), dec!(7))
        },
    ];
    inv.allowances_charges = vec![
        entry(false, dec!(5.00), dec!(19)),
        entry(true, dec!(3.00), dec!(7)),
    ];
    inv.vat_breakdown = vec![
        row(dec!(19), dec!(96.00), dec!(18.24)),
        row(dec!(7), dec!(31.50), dec!(2.21)),
    ];
    let t = &mut inv.totals;
    t.line_extension_amount = x(dec!(129.50));
    t.allowance_total_amount = x(dec!(5.00));
    t.charge_total_amount = x(dec!(3.00));
    t.tax_exclusive_amount = x(dec!(127.50));
    t.tax_amount = x(dec!(20.45));
    t.tax_inclusive_amount = x(dec!(147.95));
    t.prepaid_amount = x(dec!(50.00));
    t.rounding_amount = x(dec!(0.05));
    t.payable_amount = x(dec!(98.00));
    inv
}

/// The consistency rules' part of the report: the fixtures below are built for one rule each
/// and leave out mandatory values; presence and plausibility have their own tests at the end.
fn report(inv: &Invoice) -> ValidationReport {
    let mut r = validate_report(inv, &Tolerance::default());
    r.findings.retain(|f| !f.rule.is_plausibility());
    r.checked.retain(|rule| !rule.is_plausibility());
    r.skipped.retain(|rule| !rule.is_plausibility());
    r
}

fn consistency_rules() -> Vec<RuleId> {
    RuleId::ALL
        .into_iter()
        .filter(|r| !r.is_plausibility())
        .collect()
}

fn rules(inv: &Invoice) -> Vec<RuleId> {
    validate(inv, &Tolerance::default())
        .into_iter()
        .map(|f| f.rule)
        .filter(|r| !r.is_plausibility())
        .collect()
}

fn only(inv: &Invoice, rule: RuleId) -> Vec<Finding> {
    validate(inv, &Tolerance::default())
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect()
}

fn add(field: &mut Field<Decimal>, delta: Decimal) {
    let e = field.as_mut().expect("field is set");
    e.value += delta;
}

// ---- the report ----

#[test]
fn a_consistent_invoice_checks_every_rule_and_finds_nothing() {
    let r = report(&consistent());
    assert_eq!(r.findings, vec![], "{:#?}", r.findings);
    assert_eq!(r.checked, consistency_rules());
    assert!(r.skipped.is_empty());
    assert!(!r.has_errors());
    assert_eq!(r.passed().count(), consistency_rules().len());
}

#[test]
fn an_empty_invoice_skips_every_rule() {
    let r = report(&Invoice::default());
    assert!(r.findings.is_empty());
    assert!(r.checked.is_empty());
    assert_eq!(r.skipped, consistency_rules());
}

#[test]
fn validate_returns_the_report_findings() {
    let mut inv = consistent();
    add(&mut inv.totals.tax_inclusive_amount, dec!(1));
    let r = validate_report(&inv, &Tolerance::default());
    assert_eq!(validate(&inv, &Tolerance::default()), r.findings);
    assert!(r.has_errors());
    assert!(r.checked.contains(&RuleId::BrCo15));
    assert!(r.passed().all(|rule| rule != RuleId::BrCo15));
}

#[test]
fn rule_ids_serialise_as_their_codes() {
    for rule in RuleId::ALL {
        let json = serde_json::to_string(&rule).expect("ser");
        assert_eq!(json, format!("\"{}\"", rule.code()));
        assert_eq!(serde_json::from_str::<RuleId>(&json).expect("de"), rule);
        assert_eq!(rule.code().parse::<RuleId>(), Ok(rule));
        assert_eq!(rule.to_string(), rule.code());
    }
    assert!("BR-CO-99".parse::<RuleId>().is_err());
}

#[test]
fn findings_serialise_flat_with_amounts_as_strings() {
    let mut inv = consistent();
    add(&mut inv.totals.tax_inclusive_amount, dec!(0.05));
    let finding = only(&inv, RuleId::BrCo15).remove(0);
    let json = serde_json::to_value(&finding).expect("ser");
    assert_eq!(json["rule"], "BR-CO-15");
    assert_eq!(json["severity"], "error");
    assert_eq!(json["field"], "totals.tax_inclusive_amount");
    assert_eq!(json["expected"], "147.95");
    assert_eq!(json["actual"], "148.00");
    let back: Finding = serde_json::from_value(json).expect("de");
    assert_eq!(back, finding);
    assert_eq!(back.expected, Some(FindingValue::Amount(dec!(147.95))));
}

#[test]
fn text_values_stay_text_through_json() {
    let finding = Finding::new(RuleId::DxVatId01, "m")
        .field("seller.vat_id")
        .expected("9 digits")
        .actual("0403170701");
    let json = serde_json::to_string(&finding).expect("ser");
    let back: Finding = serde_json::from_str(&json).expect("de");
    assert_eq!(back.actual, Some(FindingValue::Text("0403170701".into())));
    assert_eq!(back, finding);
    // Absent values are omitted, not null.
    let bare = serde_json::to_value(Finding::new(RuleId::DxDate01, "m")).expect("ser");
    assert!(bare.get("expected").is_none());
    assert_eq!(bare["severity"], "warning");
}

#[test]
fn tolerance_defaults_and_currency_minimum() {
    let t = Tolerance::default();
    assert_eq!((t.absolute, t.per_line), (dec!(0.01), dec!(0.01)));
    assert_eq!(t.resolve(2), (dec!(0.01), dec!(0.01)));
    assert_eq!(t.resolve(3), (dec!(0.01), dec!(0.01)));
    assert_eq!(t.resolve(0), (dec!(1), dec!(1)));
}

// ---- BR-CO-10 ----

#[test]
fn br_co_10_fails_beyond_a_cent() {
    let mut inv = consistent();
    add(&mut inv.totals.line_extension_amount, dec!(0.02));
    let f = only(&inv, RuleId::BrCo10);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].field.as_deref(), Some("totals.line_extension_amount"));
    assert_eq!(f[0].expected, Some(FindingValue::Amount(dec!(129.50))));
    assert_eq!(f[0].actual, Some(FindingValue::Amount(dec!(129.52))));
}

#[test]
fn br_co_10_passes_within_a_cent() {
    for delta in [dec!(0.005), dec!(0.01), dec!(-0.01)] {
        let mut inv = consistent();
        add(&mut inv.totals.line_extension_amount, delta);
        assert!(only(&inv, RuleId::BrCo10).is_empty(), "{delta}");
    }
}

#[test]
fn br_co_10_three_lines_of_a_third() {
    let mut inv = Invoice::default();
    inv.lines = (0..3)
        .map(|_| line(dec!(1), dec!(0.333), dec!(0.33), dec!(19)))
        .collect();
    inv.totals.line_extension_amount = x(dec!(0.99));
    assert!(rules(&inv).is_empty());
    // An issuer summing unrounded values prints 1.00: within the cent.
    inv.totals.line_extension_amount = x(dec!(1.00));
    assert!(rules(&inv).is_empty());
    inv.totals.line_extension_amount = x(dec!(1.01));
    assert_eq!(rules(&inv), vec![RuleId::BrCo10]);
}

#[test]
fn br_co_10_derives_missing_line_amounts_with_wider_tolerance() {
    let mut inv = Invoice::default();
    inv.lines = (0..3)
        .map(|_| InvoiceLine {
            line_amount: None,
            ..line(dec!(1), dec!(0.333), dec!(0), dec!(19))
        })
        .collect();
    inv.totals.line_extension_amount = x(dec!(0.99));
    let r = report(&inv);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert!(r.checked.contains(&RuleId::BrCo10));
    // DX-LINE-01 needs a stated amount to compare with.
    assert!(r.skipped.contains(&RuleId::DxLine01));
    inv.totals.line_extension_amount = x(dec!(1.05));
    let f = only(&inv, RuleId::BrCo10);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].expected, Some(FindingValue::Amount(dec!(1.00))));
    assert!(
        f[0].message.contains("3 of them derived"),
        "{}",
        f[0].message
    );
}

#[test]
fn br_co_10_is_skipped_when_a_line_has_no_amount_at_all() {
    let mut inv = consistent();
    inv.lines[0].line_amount = None;
    inv.lines[0].unit_price = None;
    let r = report(&inv);
    assert!(r.skipped.contains(&RuleId::BrCo10));
    // BR-CO-13 falls back on the stated BT-106.
    assert!(r.checked.contains(&RuleId::BrCo13));
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

// ---- BR-CO-11 / BR-CO-12 ----

#[test]
fn br_co_11_and_12_compare_totals_with_entries() {
    let mut inv = consistent();
    add(&mut inv.totals.allowance_total_amount, dec!(0.02));
    add(&mut inv.totals.charge_total_amount, dec!(-1));
    let found = rules(&inv);
    assert!(found.contains(&RuleId::BrCo11));
    assert!(found.contains(&RuleId::BrCo12));
    let f = only(&inv, RuleId::BrCo12).remove(0);
    assert_eq!(f.field.as_deref(), Some("totals.charge_total_amount"));
    assert_eq!(f.expected, Some(FindingValue::Amount(dec!(3.00))));
}

#[test]
fn br_co_11_within_a_cent_and_skipped_without_entries() {
    let mut inv = consistent();
    add(&mut inv.totals.allowance_total_amount, dec!(0.005));
    assert!(only(&inv, RuleId::BrCo11).is_empty());
    let mut inv = consistent();
    inv.allowances_charges.clear();
    let r = report(&inv);
    assert!(r.skipped.contains(&RuleId::BrCo11));
    assert!(r.skipped.contains(&RuleId::BrCo12));
}

// ---- BR-CO-13 ----

#[test]
fn br_co_13_fails_when_net_does_not_follow_lines_allowances_charges() {
    let mut inv = consistent();
    add(&mut inv.totals.tax_exclusive_amount, dec!(0.02));
    let f = only(&inv, RuleId::BrCo13);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].expected, Some(FindingValue::Amount(dec!(127.50))));
    let mut inv = consistent();
    add(&mut inv.totals.tax_exclusive_amount, dec!(-0.005));
    assert!(only(&inv, RuleId::BrCo13).is_empty());
}

#[test]
fn br_co_13_uses_entries_when_totals_are_missing() {
    let mut inv = consistent();
    inv.totals.allowance_total_amount = None;
    inv.totals.charge_total_amount = None;
    assert!(rules(&inv).is_empty(), "{:?}", rules(&inv));
    inv.allowances_charges[0].amount = x(dec!(6.00));
    assert!(rules(&inv).contains(&RuleId::BrCo13));
}

#[test]
fn br_co_13_counts_missing_allowances_as_zero_only_without_entries() {
    let mut inv = consistent();
    inv.totals.allowance_total_amount = None;
    inv.allowances_charges[0].amount = None;
    assert!(report(&inv).skipped.contains(&RuleId::BrCo13));

    let mut inv = Invoice::default();
    inv.lines = vec![line(dec!(1), dec!(10), dec!(10.00), dec!(19))];
    inv.totals.tax_exclusive_amount = x(dec!(10.00));
    let r = report(&inv);
    assert!(r.checked.contains(&RuleId::BrCo13));
    assert!(r.findings.is_empty());
}

#[test]
fn br_co_13_sums_lines_not_bt_106() {
    // A wrong BT-106 is BR-CO-10's finding only.
    let mut inv = consistent();
    add(&mut inv.totals.line_extension_amount, dec!(10));
    assert_eq!(rules(&inv), vec![RuleId::BrCo10]);
}

// ---- BR-CO-14 ----

#[test]
fn br_co_14_total_vat_is_the_sum_of_rows() {
    let mut inv = consistent();
    add(&mut inv.totals.tax_amount, dec!(0.02));
    add(&mut inv.totals.tax_inclusive_amount, dec!(0.02));
    add(&mut inv.totals.payable_amount, dec!(0.02));
    assert_eq!(rules(&inv), vec![RuleId::BrCo14]);
    let mut inv = consistent();
    add(&mut inv.totals.tax_amount, dec!(0.005));
    assert!(only(&inv, RuleId::BrCo14).is_empty());
}

// ---- BR-CO-15 ----

#[test]
fn br_co_15_gross_is_net_plus_vat() {
    for (delta, fails) in [
        (dec!(0.005), false),
        (dec!(0.01), false),
        (dec!(-0.01), false),
        (dec!(0.011), true),
        (dec!(0.02), true),
        (dec!(-0.02), true),
        (dec!(100), true),
    ] {
        let mut inv = consistent();
        add(&mut inv.totals.tax_inclusive_amount, delta);
        add(&mut inv.totals.payable_amount, delta);
        let found = only(&inv, RuleId::BrCo15);
        assert_eq!(!found.is_empty(), fails, "{delta}: {found:?}");
    }
}

#[test]
fn br_co_15_is_skipped_without_vat_total() {
    let mut inv = consistent();
    inv.totals.tax_amount = None;
    let r = report(&inv);
    assert!(r.skipped.contains(&RuleId::BrCo15));
    assert!(r.skipped.contains(&RuleId::BrCo14));
}

// ---- BR-CO-16 ----

#[test]
fn br_co_16_amount_due() {
    let mut inv = consistent();
    add(&mut inv.totals.payable_amount, dec!(0.02));
    let f = only(&inv, RuleId::BrCo16);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].expected, Some(FindingValue::Amount(dec!(98.00))));

    // Missing paid and rounding amounts are zero.
    let mut inv = consistent();
    inv.totals.prepaid_amount = None;
    inv.totals.rounding_amount = None;
    inv.totals.payable_amount = x(dec!(147.95));
    assert!(rules(&inv).is_empty());
    inv.totals.payable_amount = x(dec!(98.00));
    assert_eq!(rules(&inv), vec![RuleId::BrCo16]);
}

#[test]
fn br_co_16_split_payment_due_may_leave_out_the_vat_the_buyer_pays_the_state() {
    // An Italian invoice to a public body: 1,000.00 + 22 % VAT under split payment (category
    // B), 50.00 not subject to VAT; the seller asks for 1,050.00, the body pays 220.00 to the
    // state.
    let mut inv = Invoice::default();
    inv.vat_breakdown = vec![
        VatBreakdown {
            category: x("B".to_string()),
            ..row(dec!(22), dec!(1000.00), dec!(220.00))
        },
        VatBreakdown {
            category: x("O".to_string()),
            ..row(dec!(0), dec!(50.00), dec!(0.00))
        },
    ];
    let t = &mut inv.totals;
    t.tax_exclusive_amount = x(dec!(1050.00));
    t.tax_amount = x(dec!(220.00));
    t.tax_inclusive_amount = x(dec!(1270.00));
    t.payable_amount = x(dec!(1050.00));
    assert!(rules(&inv).is_empty(), "{:#?}", report(&inv).findings);
    assert!(report(&inv).checked.contains(&RuleId::BrCo16));

    // EN 16931 read literally (the whole total) is right too.
    inv.totals.payable_amount = x(dec!(1270.00));
    assert!(rules(&inv).is_empty());

    // Anything else is wrong, and the finding names the split-payment amount.
    inv.totals.payable_amount = x(dec!(1000.00));
    let f = only(&inv, RuleId::BrCo16);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].expected, Some(FindingValue::Amount(dec!(1050.00))));
    assert!(f[0].message.contains("split-payment"), "{}", f[0].message);

    // Without category B the VAT is owed to the seller: the net is not the amount due.
    inv.vat_breakdown[0].category = x("S".to_string());
    inv.totals.payable_amount = x(dec!(1050.00));
    assert_eq!(rules(&inv), vec![RuleId::BrCo16]);
}

// ---- BR-CO-17 ----

#[test]
fn br_co_17_row_tax_is_taxable_times_rate() {
    // 31.50 × 7 % = 2.205: both 2.20 and 2.21 are within half a cent.
    let mut inv = consistent();
    inv.vat_breakdown[1].tax_amount = x(dec!(2.20));
    inv.totals.tax_amount = x(dec!(20.44));
    inv.totals.tax_inclusive_amount = x(dec!(147.94));
    inv.totals.payable_amount = x(dec!(97.99));
    assert!(rules(&inv).is_empty(), "{:?}", rules(&inv));

    let mut inv = consistent();
    add(&mut inv.vat_breakdown[0].tax_amount, dec!(0.05));
    let f = only(&inv, RuleId::BrCo17);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].field.as_deref(), Some("vat_breakdown[0].tax_amount"));
    assert_eq!(f[0].expected, Some(FindingValue::Amount(dec!(18.24))));
    assert_eq!(f[0].actual, Some(FindingValue::Amount(dec!(18.29))));
}

#[test]
fn br_co_17_allows_per_line_vat_rounding() {
    // Ten lines of 0.05 at 19 %: VAT per line 0.0095 → 0.01, summed 0.10; per total 0.095.
    let mut inv = Invoice::default();
    inv.lines = (0..10)
        .map(|_| line(dec!(1), dec!(0.05), dec!(0.05), dec!(19)))
        .collect();
    inv.vat_breakdown = vec![row(dec!(19), dec!(0.50), dec!(0.10))];
    assert!(rules(&inv).is_empty(), "{:?}", rules(&inv));
    // The same row without lines gets the plain cent: 0.095 vs 0.12 fails.
    let mut inv = Invoice::default();
    inv.vat_breakdown = vec![row(dec!(19), dec!(0.50), dec!(0.12))];
    assert_eq!(rules(&inv), vec![RuleId::BrCo17]);
}

#[test]
fn br_co_17_zero_rated_rows_need_no_rate() {
    let mut inv = Invoice::default();
    inv.vat_breakdown = vec![VatBreakdown {
        category: x("AE".to_string()),
        taxable_amount: x(dec!(100.00)),
        tax_amount: x(dec!(0.00)),
        ..VatBreakdown::default()
    }];
    let r = report(&inv);
    assert!(r.checked.contains(&RuleId::BrCo17));
    assert!(r.findings.is_empty());
    inv.vat_breakdown[0].tax_amount = x(dec!(19.00));
    assert_eq!(rules(&inv), vec![RuleId::BrCo17]);
    // A standard-rated row without a rate cannot be checked.
    inv.vat_breakdown[0].category = x("S".to_string());
    assert!(report(&inv).skipped.contains(&RuleId::BrCo17));
}

// ---- DX-VAT-01 ----

#[test]
fn dx_vat_01_breakdown_covers_the_net() {
    let mut inv = consistent();
    inv.vat_breakdown.pop();
    inv.totals.tax_amount = x(dec!(18.24));
    inv.totals.tax_inclusive_amount = x(dec!(145.74));
    inv.totals.payable_amount = x(dec!(95.79));
    let f = validate(&inv, &Tolerance::default());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].rule, RuleId::DxVat01);
    assert_eq!(f[0].field.as_deref(), Some("vat_breakdown"));
    assert_eq!(f[0].expected, Some(FindingValue::Amount(dec!(127.50))));
    assert_eq!(f[0].actual, Some(FindingValue::Amount(dec!(96.00))));
}

// ---- DX-LINE-01 ----

#[test]
fn dx_line_01_rounding_edges() {
    // 3 × 0.333 = 0.999.
    for (stated, fails) in [
        (dec!(1.00), false),
        (dec!(0.99), false),
        (dec!(1.009), false),
        (dec!(1.01), true),
        (dec!(1.02), true),
        (dec!(0.98), true),
    ] {
        let mut inv = Invoice::default();
        inv.lines = vec![line(dec!(3), dec!(0.333), stated, dec!(19))];
        assert_eq!(!rules(&inv).is_empty(), fails, "{stated}");
    }
}

#[test]
fn dx_line_01_reports_the_line_and_the_formula() {
    let mut inv = consistent();
    add(&mut inv.lines[3].line_amount, dec!(0.10));
    let f = only(&inv, RuleId::DxLine01);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].field.as_deref(), Some("lines[3].line_amount"));
    assert_eq!(f[0].expected, Some(FindingValue::Amount(dec!(10.00))));
    assert!(
        f[0].message.contains("line 4") && f[0].message.contains("÷ base quantity 100"),
        "{}",
        f[0].message
    );
    let mut inv = consistent();
    add(&mut inv.lines[2].line_amount, dec!(-0.50));
    let f = only(&inv, RuleId::DxLine01);
    assert!(
        f[0].message.contains("− allowance 2.00 + charge 0.50"),
        "{}",
        f[0].message
    );
}

#[test]
fn dx_line_01_skips_a_zero_base_quantity() {
    let mut inv = Invoice::default();
    inv.lines = vec![InvoiceLine {
        price_base_quantity: x(dec!(0)),
        ..line(dec!(3), dec!(2), dec!(6), dec!(19))
    }];
    assert!(report(&inv).skipped.contains(&RuleId::DxLine01));
}

// ---- credit notes and currencies ----

fn negated(mut inv: Invoice) -> Invoice {
    inv.document_type = DocumentType::CreditNote;
    let neg = |f: &mut Field<Decimal>| {
        if let Some(e) = f.as_mut() {
            e.value = -e.value;
        }
    };
    for l in &mut inv.lines {
        neg(&mut l.quantity);
        neg(&mut l.allowance_amount);
        neg(&mut l.charge_amount);
        neg(&mut l.line_amount);
    }
    for e in &mut inv.allowances_charges {
        neg(&mut e.amount);
    }
    for r in &mut inv.vat_breakdown {
        neg(&mut r.taxable_amount);
        neg(&mut r.tax_amount);
    }
    let t = &mut inv.totals;
    for f in [
        &mut t.line_extension_amount,
        &mut t.allowance_total_amount,
        &mut t.charge_total_amount,
        &mut t.tax_exclusive_amount,
        &mut t.tax_amount,
        &mut t.tax_inclusive_amount,
        &mut t.prepaid_amount,
        &mut t.rounding_amount,
        &mut t.payable_amount,
    ] {
        neg(f);
    }
    inv
}

#[test]
fn credit_notes_with_negative_amounts_obey_the_same_rules() {
    let inv = negated(consistent());
    assert!(rules(&inv).is_empty(), "{:?}", rules(&inv));
    let mut broken = inv.clone();
    add(&mut broken.totals.tax_inclusive_amount, dec!(-0.02));
    assert!(rules(&broken).contains(&RuleId::BrCo15));
    let mut broken = inv;
    add(&mut broken.totals.tax_exclusive_amount, dec!(0.02));
    assert!(rules(&broken).contains(&RuleId::BrCo13));
}

#[test]
fn zero_decimal_currencies_tolerate_one_unit() {
    let mut inv = Invoice {
        currency: x("JPY".to_string()),
        ..Invoice::default()
    };
    inv.lines = vec![line(dec!(3), dec!(333), dec!(999), dec!(10))];
    // 999 × 10 % = 99.9, stated as 100.
    inv.vat_breakdown = vec![row(dec!(10), dec!(999), dec!(100))];
    inv.totals.line_extension_amount = x(dec!(999));
    inv.totals.tax_exclusive_amount = x(dec!(999));
    inv.totals.tax_amount = x(dec!(100));
    inv.totals.tax_inclusive_amount = x(dec!(1099));
    inv.totals.payable_amount = x(dec!(1099));
    assert!(rules(&inv).is_empty(), "{:?}", rules(&inv));
    inv.vat_breakdown[0].tax_amount = x(dec!(102));
    assert!(rules(&inv).contains(&RuleId::BrCo17));
}

// ---- code lists ----

#[test]
fn br_cl_04_currency() {
    let mut inv = consistent();
    inv.currency = x(" eur ".to_string());
    assert!(rules(&inv).is_empty());
    inv.currency = x("EURO".to_string());
    let f = only(&inv, RuleId::BrCl04);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].field.as_deref(), Some("currency"));
    assert_eq!(f[0].actual, Some(FindingValue::Text("EURO".into())));
    inv.currency = x("   ".to_string());
    assert!(report(&inv).skipped.contains(&RuleId::BrCl04));
}

#[test]
fn br_cl_14_address_countries() {
    let mut inv = consistent();
    inv.buyer.address.country = x("UK".to_string());
    let mut ship_to = Party::default();
    ship_to.address.country = x("Germany".to_string());
    inv.ship_to = Some(ship_to);
    let f = only(&inv, RuleId::BrCl14);
    let fields: Vec<_> = f.iter().filter_map(|f| f.field.as_deref()).collect();
    assert_eq!(fields, ["buyer.address.country", "ship_to.address.country"]);
}

// ---- VAT ids ----

#[test]
fn vat_id_without_country_prefix_fails_br_co_09() {
    let mut inv = consistent();
    inv.seller.vat_id = x("136695976".to_string());
    let f = validate(&inv, &Tolerance::default());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, RuleId::BrCo09);
    assert_eq!(f[0].severity, Severity::Error);
    assert_eq!(f[0].field.as_deref(), Some("seller.vat_id"));
    inv.seller.vat_id = x("XX123456".to_string());
    assert_eq!(rules(&inv), vec![RuleId::BrCo09]);
}

#[test]
fn vat_id_of_an_unsupported_country_passes_the_prefix_rule_only() {
    let mut inv = consistent();
    inv.seller.vat_id = x("NO999999999MVA".to_string());
    inv.buyer.vat_id = None;
    let r = report(&inv);
    assert!(r.findings.is_empty());
    assert!(r.checked.contains(&RuleId::BrCo09));
    assert!(r.skipped.contains(&RuleId::DxVatId01));
    assert!(r.skipped.contains(&RuleId::DxVatId02));
}

#[test]
fn malformed_vat_id_is_an_error_and_bad_check_digits_a_warning() {
    let mut inv = consistent();
    inv.seller.vat_id = x("DE13669597".to_string());
    inv.buyer.vat_id = x("ATU13585626".to_string());
    let f = validate(&inv, &Tolerance::default());
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0].rule, RuleId::DxVatId01);
    assert_eq!(f[0].severity, Severity::Error);
    assert_eq!(
        f[0].expected,
        Some(FindingValue::Text("9 digits, not starting with 0".into()))
    );
    assert_eq!(f[1].rule, RuleId::DxVatId02);
    assert_eq!(f[1].severity, Severity::Warning);
    assert_eq!(f[1].field.as_deref(), Some("buyer.vat_id"));
}

#[test]
fn format_only_vat_ids_leave_the_check_digit_rule_unchecked() {
    let mut inv = consistent();
    inv.seller.vat_id = x("GB980780684".to_string());
    inv.buyer.vat_id = x("CZ25123891".to_string());
    let r = report(&inv);
    assert!(r.findings.is_empty());
    assert!(r.checked.contains(&RuleId::DxVatId01));
    assert!(r.skipped.contains(&RuleId::DxVatId02));
}

// ---- IBAN and dates ----

#[test]
fn dx_iban_01() {
    let mut inv = consistent();
    inv.bank_accounts.push(BankAccount {
        iban: x("DE89 3704 0044 0532 0130 01".to_string()),
        ..BankAccount::default()
    });
    let f = validate(&inv, &Tolerance::default());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, RuleId::DxIban01);
    assert_eq!(f[0].severity, Severity::Error);
    assert_eq!(f[0].field.as_deref(), Some("bank_accounts[1].iban"));
}

#[test]
fn dx_date_01_due_before_issue_is_a_warning() {
    let mut inv = consistent();
    inv.due_date = date(2024, 3, 1);
    assert!(rules(&inv).is_empty(), "due on the issue date is fine");
    inv.due_date = date(2024, 2, 28);
    let f = validate(&inv, &Tolerance::default());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, RuleId::DxDate01);
    assert_eq!(f[0].severity, Severity::Warning);
    assert_eq!(f[0].actual, Some(FindingValue::Text("2024-02-28".into())));
    let r = report(&inv);
    assert!(!r.has_errors());
}

#[test]
fn br_29_period_end_before_start() {
    let mut inv = consistent();
    inv.service_period_end = date(2024, 1, 31);
    assert_eq!(rules(&inv), vec![RuleId::Br29]);
}

#[test]
fn absurd_amounts_do_not_panic() {
    let mut inv = consistent();
    inv.lines[0].quantity = x(Decimal::MAX);
    inv.lines[0].unit_price = x(Decimal::MAX);
    inv.totals.tax_exclusive_amount = x(Decimal::MAX);
    inv.totals.tax_amount = x(Decimal::MAX);
    let r = report(&inv);
    assert!(r.skipped.contains(&RuleId::BrCo15));
}

// ---- presence and plausibility ----

#[test]
fn missing_mandatory_values_are_errors_naming_the_field() {
    let r = validate_report(&Invoice::default(), &Tolerance::default());
    let got: Vec<(RuleId, Option<&str>)> = r
        .findings
        .iter()
        .map(|f| (f.rule, f.field.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (RuleId::Br02, Some("invoice_number")),
            (RuleId::Br03, Some("issue_date")),
            (RuleId::Br05, Some("currency")),
            (RuleId::Br06, Some("seller.name")),
            (RuleId::Br14, Some("totals.tax_inclusive_amount")),
        ]
    );
    assert!(r.findings.iter().all(|f| f.severity == Severity::Error));
    let mut inv = consistent();
    inv.invoice_number = x("  ".to_string());
    assert_eq!(
        validate(&inv, &Tolerance::default())
            .iter()
            .map(|f| f.rule)
            .collect::<Vec<_>>(),
        [RuleId::Br02],
        "a blank number is a missing one"
    );
}

#[test]
fn vat_rates_are_plausible_and_the_seller_countrys() {
    let with_rate = |rate: Decimal, country: &str| {
        let mut inv = consistent();
        inv.seller.address.country = x(country.to_string());
        for line in &mut inv.lines {
            line.vat_rate = x(rate);
        }
        for row in &mut inv.vat_breakdown {
            row.rate = x(rate);
        }
        validate(&inv, &Tolerance::default())
            .into_iter()
            .filter(|f| matches!(f.rule, RuleId::DxVat02 | RuleId::DxVat03))
            .collect::<Vec<_>>()
    };
    // 190 %: a lost decimal point.
    let f = with_rate(dec!(190), "DE");
    let stated = consistent().lines.len() + consistent().vat_breakdown.len();
    assert_eq!(f.len(), stated, "{f:#?}");
    assert!(
        f.iter()
            .all(|f| f.rule == RuleId::DxVat02 && f.severity == Severity::Error)
    );
    assert_eq!(f[0].field.as_deref(), Some("vat_breakdown[0].rate"));
    // 21 % is Dutch, not German: one warning however many lines repeat it.
    let f = with_rate(dec!(21), "DE");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        (f[0].rule, f[0].severity),
        (RuleId::DxVat03, Severity::Warning)
    );
    assert!(f[0].message.contains("DE"), "{}", f[0].message);
    assert!(with_rate(dec!(21), "NL").is_empty());
    assert!(
        with_rate(dec!(19.00), "DE").is_empty(),
        "scale does not matter"
    );
    // A country without a table: only the range is checked.
    assert!(with_rate(dec!(21), "US").is_empty());
}

#[test]
fn dx_vat_04_tax_above_the_highest_rate_of_the_net_is_reported() {
    let swapped = |net: Decimal, tax: Decimal, country: &str| {
        let mut inv = consistent();
        inv.seller.address.country = x(country.to_string());
        inv.totals.tax_exclusive_amount = x(net);
        inv.totals.tax_amount = x(tax);
        only(&inv, RuleId::DxVat04)
    };
    // The consistent invoice: 20.45 VAT on 127.50 (16 %) is a mix of 19 % and 7 %.
    assert!(only(&consistent(), RuleId::DxVat04).is_empty());
    // Net and tax the wrong way round on a receipt: a 1,662 % "rate".
    let f = swapped(dec!(3.18), dec!(52.86), "DE");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, Severity::Error);
    assert_eq!(f[0].field.as_deref(), Some("totals.tax_amount"));
    assert_eq!(f[0].expected, Some(FindingValue::Amount(dec!(0.60))));
    assert!(f[0].message.contains("1662.3 %"), "{}", f[0].message);
    // 20 % of the net is more than Germany charges, not more than France does.
    assert_eq!(swapped(dec!(100.00), dec!(20.00), "DE").len(), 1);
    assert!(swapped(dec!(100.00), dec!(20.00), "FR").is_empty());
    // Rounding per line: 19.04 on 100.00 in Germany passes.
    assert!(swapped(dec!(100.00), dec!(19.04), "DE").is_empty());
    // No country known: 30 % is the ceiling.
    let mut inv = consistent();
    inv.seller.address.country = None;
    inv.seller.vat_id = None;
    inv.totals.tax_amount = x(dec!(38.25));
    assert!(only(&inv, RuleId::DxVat04).is_empty());
    inv.totals.tax_amount = x(dec!(40.00));
    assert_eq!(only(&inv, RuleId::DxVat04).len(), 1);
}
