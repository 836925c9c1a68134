//! Properties: invoices built the way issuers build them (lines rounded, VAT per rate rounded,
//! totals summed) always validate clean; breaking a total always produces its rule.

use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

use super::*;
use crate::invoice::{AllowanceCharge, DocumentType, Invoice, InvoiceLine, VatBreakdown};
use crate::provenance::{Extracted, Field};

const RATES: [(i64, u32); 5] = [(19, 0), (7, 0), (0, 0), (55, 1), (21, 0)];

fn rate(index: usize) -> Decimal {
    let (n, scale) = RATES[index];
    Decimal::new(n, scale)
}

fn x<T>(value: T) -> Field<T> {
    Some(Extracted::xml(value))
}

fn round(amount: Decimal, minor_units: u32) -> Decimal {
    amount.round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero)
}

#[derive(Debug, Clone)]
struct LineSpec {
    quantity: (i64, u32),
    price: (i64, u32),
    base: Option<i64>,
    rate: usize,
    allowance: Option<i64>,
    charge: Option<i64>,
}

fn line_spec() -> impl Strategy<Value = LineSpec> {
    (
        (1i64..=10_000, 0u32..=3),
        (0i64..=1_000_000, 0u32..=4),
        proptest::option::of(proptest::sample::select(vec![1i64, 10, 100, 1000])),
        0..RATES.len(),
        proptest::option::weighted(0.2, 0i64..=500),
        proptest::option::weighted(0.2, 0i64..=500),
    )
        .prop_map(
            |(quantity, price, base, rate, allowance, charge)| LineSpec {
                quantity,
                price,
                base,
                rate,
                allowance,
                charge,
            },
        )
}

/// An invoice whose every amount is derived from its lines as an issuer would: each amount
/// rounded to the currency's minor unit once, sums of rounded amounts exact.
fn consistent_invoice(currencies: Vec<&'static str>) -> impl Strategy<Value = Invoice> {
    (
        proptest::sample::select(currencies),
        any::<bool>(),
        proptest::collection::vec(line_spec(), 1..12),
        proptest::collection::vec((any::<bool>(), 1i64..=10_000, 0..RATES.len()), 0..4),
        0i64..=5_000,
        -4i64..=4,
    )
        .prop_map(|(currency, credit, lines, entries, prepaid, rounding)| {
            let mu = CurrencyCode::parse(currency).map_or(2, |c| c.minor_units());
            let sign = if credit {
                Decimal::NEGATIVE_ONE
            } else {
                Decimal::ONE
            };
            let minor = |n: i64| Decimal::new(n, mu) * sign;
            let mut inv = Invoice {
                currency: x(currency.to_string()),
                document_type: if credit {
                    DocumentType::CreditNote
                } else {
                    DocumentType::Invoice
                },
                ..Invoice::default()
            };
            let category = |r: usize| if rate(r).is_zero() { "Z" } else { "S" }.to_string();
            let mut per_rate = [Decimal::ZERO; RATES.len()];
            for spec in &lines {
                let quantity = Decimal::new(spec.quantity.0, spec.quantity.1) * sign;
                let price = Decimal::new(spec.price.0, spec.price.1);
                let base = Decimal::from(spec.base.unwrap_or(1));
                let allowance = spec.allowance.map(minor);
                let charge = spec.charge.map(minor);
                let amount = round(quantity * price / base, mu) - allowance.unwrap_or_default()
                    + charge.unwrap_or_default();
                per_rate[spec.rate] += amount;
                inv.lines.push(InvoiceLine {
                    quantity: x(quantity),
                    unit_price: x(price),
                    price_base_quantity: spec.base.map(|b| Extracted::xml(Decimal::from(b))),
                    allowance_amount: allowance.map(Extracted::xml),
                    charge_amount: charge.map(Extracted::xml),
                    line_amount: x(amount),
                    vat_rate: x(rate(spec.rate)),
                    vat_category: x(category(spec.rate)),
                    ..InvoiceLine::default()
                });
            }
            let line_total: Decimal = inv
                .lines
                .iter()
                .filter_map(|l| l.line_amount.as_ref())
                .map(|e| e.value)
                .sum();
            let (mut allowances, mut charges) = (Decimal::ZERO, Decimal::ZERO);
            for (is_charge, n, r) in &entries {
                let amount = minor(*n);
                if *is_charge {
                    charges += amount;
                    per_rate[*r] += amount;
                } else {
                    allowances += amount;
                    per_rate[*r] -= amount;
                }
                inv.allowances_charges.push(AllowanceCharge {
                    is_charge: *is_charge,
                    amount: x(amount),
                    tax_rate: x(rate(*r)),
                    tax_category: x(category(*r)),
                    ..AllowanceCharge::default()
                });
            }
            let used =
                |r: usize| lines.iter().any(|l| l.rate == r) || entries.iter().any(|e| e.2 == r);
            let mut tax_total = Decimal::ZERO;
            for (r, taxable) in per_rate.iter().enumerate().filter(|(r, _)| used(*r)) {
                let tax = round(*taxable * rate(r) / Decimal::ONE_HUNDRED, mu);
                tax_total += tax;
                inv.vat_breakdown.push(VatBreakdown {
                    category: x(category(r)),
                    rate: x(rate(r)),
                    taxable_amount: x(*taxable),
                    tax_amount: x(tax),
                    ..VatBreakdown::default()
                });
            }
            let net = line_total - allowances + charges;
            let gross = net + tax_total;
            let prepaid = minor(prepaid);
            let rounding = minor(rounding);
            let t = &mut inv.totals;
            t.line_extension_amount = x(line_total);
            let has = |charge: bool| entries.iter().any(|e| e.0 == charge);
            t.allowance_total_amount = has(false).then(|| Extracted::xml(allowances));
            t.charge_total_amount = has(true).then(|| Extracted::xml(charges));
            t.tax_exclusive_amount = x(net);
            t.tax_amount = x(tax_total);
            t.tax_inclusive_amount = x(gross);
            t.prepaid_amount = x(prepaid);
            t.rounding_amount = x(rounding);
            t.payable_amount = x(gross - prepaid + rounding);
            inv
        })
}

fn all_currencies() -> Vec<&'static str> {
    vec!["EUR", "CHF", "JPY", "BHD", "KWD", "CLP"]
}

/// Currencies whose tolerance is the default cent (at most 0.01 per unit).
fn cent_currencies() -> Vec<&'static str> {
    vec!["EUR", "CHF", "BHD"]
}

/// A non-zero amount of at least 0.02 in either direction.
fn perturbation() -> impl Strategy<Value = Decimal> {
    (2i64..=1_000_000, any::<bool>()).prop_map(|(n, negative)| {
        let d = Decimal::new(n, 2);
        if negative { -d } else { d }
    })
}

fn any_decimal() -> impl Strategy<Value = Decimal> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        0u32..=28,
    )
        .prop_map(|(lo, mid, hi, negative, scale)| {
            Decimal::from_parts(lo, mid, hi, negative, scale)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn consistent_invoices_validate_clean(inv in consistent_invoice(all_currencies())) {
        let report = validate_report(&inv, &Tolerance::default());
        // The generated invoices are about arithmetic; numbers, parties and rates are left out.
        let findings: Vec<_> =
            report.findings.iter().filter(|f| !f.rule.is_plausibility()).collect();
        prop_assert!(findings.is_empty(), "{:#?}", findings);
        for rule in [
            RuleId::BrCo10, RuleId::BrCo13, RuleId::BrCo14, RuleId::BrCo15,
            RuleId::BrCo16, RuleId::BrCo17, RuleId::DxLine01, RuleId::DxVat01, RuleId::BrCl04,
        ] {
            prop_assert!(report.checked.contains(&rule), "{rule} not checked");
        }
    }

    #[test]
    fn a_wrong_gross_always_breaks_br_co_15(
        inv in consistent_invoice(cent_currencies()),
        delta in perturbation(),
    ) {
        let mut inv = inv;
        if let Some(gross) = inv.totals.tax_inclusive_amount.as_mut() {
            gross.value += delta;
        }
        let findings = validate(&inv, &Tolerance::default());
        prop_assert!(
            findings.iter().any(|f| f.rule == RuleId::BrCo15),
            "{delta}: {findings:#?}"
        );
    }

    #[test]
    fn a_wrong_line_amount_breaks_the_line_and_br_co_10(
        inv in consistent_invoice(cent_currencies()),
        pick in any::<proptest::sample::Index>(),
        delta in perturbation(),
    ) {
        let mut inv = inv;
        let i = pick.index(inv.lines.len());
        if let Some(amount) = inv.lines[i].line_amount.as_mut() {
            amount.value += delta;
        }
        let findings = validate(&inv, &Tolerance::default());
        let path = format!("lines[{i}].line_amount");
        prop_assert!(findings.iter().any(|f| f.rule == RuleId::DxLine01
            && f.field.as_deref() == Some(path.as_str())), "{findings:#?}");
        prop_assert!(findings.iter().any(|f| f.rule == RuleId::BrCo10), "{findings:#?}");
    }

    #[test]
    fn arbitrary_amounts_never_panic(
        amounts in proptest::collection::vec(any_decimal(), 16),
        currency in proptest::sample::select(all_currencies()),
    ) {
        let mut inv = Invoice { currency: x(currency.to_string()), ..Invoice::default() };
        let a = |i: usize| x(amounts[i]);
        inv.lines.push(InvoiceLine {
            quantity: a(0),
            unit_price: a(1),
            price_base_quantity: a(2),
            allowance_amount: a(3),
            charge_amount: a(4),
            line_amount: a(5),
            vat_rate: a(6),
            ..InvoiceLine::default()
        });
        inv.vat_breakdown.push(VatBreakdown {
            rate: a(6),
            taxable_amount: a(7),
            tax_amount: a(8),
            ..VatBreakdown::default()
        });
        let t = &mut inv.totals;
        t.line_extension_amount = a(9);
        t.tax_exclusive_amount = a(10);
        t.tax_amount = a(11);
        t.tax_inclusive_amount = a(12);
        t.prepaid_amount = a(13);
        t.rounding_amount = a(14);
        t.payable_amount = a(15);
        let tolerance = Tolerance { absolute: amounts[15], per_line: amounts[14] };
        let _ = validate_report(&inv, &tolerance);
    }
}
