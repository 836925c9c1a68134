//! Field-by-field merge of the rules' invoice with the model's, arbitrated by validation.
//!
//! For every field: a value only one side has is taken (a model value only if it does not
//! make validation worse); equal values confirm each other (confidence raised, the rules'
//! position kept); different values are decided by the checks: each candidate invoice is
//! validated (EN 16931 arithmetic, VAT id and IBAN checksums) and the one with fewer errors,
//! then more passed checks, wins. When the checks cannot tell, the preferred side's value
//! stays and the field goes to review. The totals are first compared as a set, because one
//! wrong total alone cannot be fixed by swapping one value at a time.

use chrono::NaiveDate;
use doxin_model::{Field, Invoice, Source, Tolerance, validate_report};
use rust_decimal::Decimal;
use serde::Serialize;

/// Confidence of a model value that validation confirmed.
pub const CONFIRMED_BY_ARITHMETIC: f32 = 0.9;
/// Confidence of a value both the rules and the model read the same way.
pub const CONFIRMED_BY_AGREEMENT: f32 = 0.95;

/// Which side keeps a field when the checks cannot decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Prefer {
    Rules,
    Llm,
}

/// How a disagreement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The rules' value passes more checks.
    Rules,
    /// The model's value passes more checks.
    Llm,
    /// The checks could not decide: a person must.
    Review,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub field: String,
    /// The rules' value (empty when they had none).
    pub rules: String,
    pub llm: String,
    pub resolution: Resolution,
    pub why: String,
}

/// What the merge did, field by field.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MergeReport {
    /// Fields only the model read, now `source = llm`.
    pub filled: Vec<String>,
    /// Fields the rules and the model read alike.
    pub confirmed: Vec<String>,
    pub conflicts: Vec<Conflict>,
}

impl MergeReport {
    /// Whether a disagreement was left for a person.
    pub fn needs_review(&self) -> bool {
        self.conflicts
            .iter()
            .any(|c| c.resolution == Resolution::Review)
    }
}

/// (errors, passed checks): fewer errors first, then more passed checks. Presence rules are
/// left out: any fill makes a missing value present, so only consistency can arbitrate.
fn score(inv: &Invoice) -> (usize, usize) {
    let r = validate_report(inv, &Tolerance::default());
    let errors = r
        .findings
        .iter()
        .filter(|f| f.severity == doxin_model::Severity::Error && !f.rule.is_presence())
        .count();
    (
        errors,
        r.passed().filter(|rule| !rule.is_presence()).count(),
    )
}

fn better(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 > b.1)
}

trait Comparable {
    fn same(&self, other: &Self) -> bool;
    fn show(&self) -> String;
}

impl Comparable for String {
    /// Case, spaces and punctuation do not make two readings different.
    fn same(&self, other: &Self) -> bool {
        let norm = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        norm(self) == norm(other)
    }
    fn show(&self) -> String {
        self.clone()
    }
}

impl Comparable for Decimal {
    fn same(&self, other: &Self) -> bool {
        self == other
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Comparable for NaiveDate {
    fn same(&self, other: &Self) -> bool {
        self == other
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

type Get<T> = fn(&mut Invoice) -> &mut Field<T>;

struct Merger {
    base: Invoice,
    llm: Invoice,
    prefer: Prefer,
    report: MergeReport,
}

impl Merger {
    fn field<T: Comparable + Clone>(&mut self, path: &str, get: Get<T>) {
        let theirs = get(&mut self.llm).clone();
        let Some(theirs) = theirs else { return };
        let ours = get(&mut self.base).clone();
        match ours {
            None => {
                let before = score(&self.base);
                let mut cand = self.base.clone();
                *get(&mut cand) = Some(theirs.clone());
                let after = score(&cand);
                if after.0 > before.0 {
                    self.report.conflicts.push(Conflict {
                        field: path.into(),
                        rules: String::new(),
                        llm: theirs.value.show(),
                        resolution: Resolution::Rules,
                        why: "the model's value fails validation; left empty".into(),
                    });
                    return;
                }
                let mut v = theirs;
                if after.1 > before.1 {
                    v.confidence = v.confidence.max(CONFIRMED_BY_ARITHMETIC);
                }
                *get(&mut self.base) = Some(v);
                self.report.filled.push(path.into());
            }
            Some(mine) if mine.value.same(&theirs.value) => {
                if let Some(f) = get(&mut self.base).as_mut() {
                    f.confidence = f.confidence.max(CONFIRMED_BY_AGREEMENT);
                }
                self.report.confirmed.push(path.into());
            }
            Some(mine) => {
                let mut cand = self.base.clone();
                *get(&mut cand) = Some(theirs.clone());
                let (s_rules, s_llm) = (score(&self.base), score(&cand));
                let (resolution, why) = if better(s_rules, s_llm) {
                    (
                        Resolution::Rules,
                        format!("validation: {s_rules:?} vs {s_llm:?} (errors, passed)"),
                    )
                } else if better(s_llm, s_rules) {
                    let mut v = theirs.clone();
                    v.confidence = v.confidence.max(CONFIRMED_BY_ARITHMETIC);
                    *get(&mut self.base) = Some(v);
                    (
                        Resolution::Llm,
                        format!("validation: {s_llm:?} vs {s_rules:?} (errors, passed)"),
                    )
                } else {
                    if self.prefer == Prefer::Llm {
                        *get(&mut self.base) = Some(theirs.clone());
                    }
                    (
                        Resolution::Review,
                        "validation cannot tell them apart".into(),
                    )
                };
                self.report.conflicts.push(Conflict {
                    field: path.into(),
                    rules: mine.value.show(),
                    llm: theirs.value.show(),
                    resolution,
                    why,
                });
            }
        }
    }

    /// The totals as one set: when the rules' and the model's totals differ in more than one
    /// place, whichever complete set validates better is taken before the per-field pass.
    fn totals_as_set(&mut self) {
        const TOTALS: [(&str, Get<Decimal>); 5] = [
            ("totals.line_extension_amount", |i| {
                &mut i.totals.line_extension_amount
            }),
            ("totals.tax_exclusive_amount", |i| {
                &mut i.totals.tax_exclusive_amount
            }),
            ("totals.tax_amount", |i| &mut i.totals.tax_amount),
            ("totals.tax_inclusive_amount", |i| {
                &mut i.totals.tax_inclusive_amount
            }),
            ("totals.payable_amount", |i| &mut i.totals.payable_amount),
        ];
        let differing: Vec<usize> = TOTALS
            .iter()
            .enumerate()
            .filter(|(_, (_, get))| {
                match (get(&mut self.base).clone(), get(&mut self.llm).clone()) {
                    (Some(a), Some(b)) => !a.value.same(&b.value),
                    _ => false,
                }
            })
            .map(|(i, _)| i)
            .collect();
        if differing.len() > 1 {
            let mut cand = self.base.clone();
            for &i in &differing {
                let get = TOTALS[i].1;
                *get(&mut cand) = get(&mut self.llm).clone();
            }
            let (s_rules, s_llm) = (score(&self.base), score(&cand));
            if better(s_llm, s_rules) {
                for &i in &differing {
                    let (path, get) = TOTALS[i];
                    let mine = get(&mut self.base).clone();
                    let mut theirs = get(&mut self.llm).clone();
                    if let Some(t) = theirs.as_mut() {
                        t.confidence = t.confidence.max(CONFIRMED_BY_ARITHMETIC);
                    }
                    self.report.conflicts.push(Conflict {
                        field: path.into(),
                        rules: mine.map(|m| m.value.show()).unwrap_or_default(),
                        llm: theirs.as_ref().map(|t| t.value.show()).unwrap_or_default(),
                        resolution: Resolution::Llm,
                        why: format!("the model's totals validate as a set: {s_llm:?} vs {s_rules:?} (errors, passed)"),
                    });
                    *get(&mut self.base) = theirs;
                    // Now equal on both sides: the per-field pass will record a confirmation.
                }
            }
        }
        for (path, get) in TOTALS {
            if self.report.conflicts.iter().any(|c| c.field == path) {
                continue;
            }
            self.field(path, get);
        }
    }

    /// Lists (lines, VAT breakdown, bank accounts) are taken whole from the model only when
    /// the rules found none and validation does not get worse.
    fn lists(&mut self) {
        let before = score(&self.base);
        if self.base.lines.is_empty() && !self.llm.lines.is_empty() {
            let mut cand = self.base.clone();
            cand.lines = self.llm.lines.clone();
            if score(&cand).0 <= before.0 {
                self.base.lines = cand.lines;
                self.report.filled.push("lines".into());
            }
        }
        let before = score(&self.base);
        if self.base.vat_breakdown.is_empty() && !self.llm.vat_breakdown.is_empty() {
            let mut cand = self.base.clone();
            cand.vat_breakdown = self.llm.vat_breakdown.clone();
            if score(&cand).0 <= before.0 {
                self.base.vat_breakdown = cand.vat_breakdown;
                self.report.filled.push("vat_breakdown".into());
            }
        }
        if self.base.bank_accounts.is_empty() && !self.llm.bank_accounts.is_empty() {
            self.base.bank_accounts = self.llm.bank_accounts.clone();
            self.report.filled.push("bank_accounts".into());
        } else if !self.base.bank_accounts.is_empty() && !self.llm.bank_accounts.is_empty() {
            // The first account's IBAN is compared like any other field (checksums decide).
            self.field("bank_accounts[0].iban", |i| {
                if i.bank_accounts.is_empty() {
                    i.bank_accounts.push(Default::default());
                }
                &mut i.bank_accounts[0].iban
            });
        }
    }
}

/// Merges the model's invoice into the rules' invoice.
pub fn merge(rules: Invoice, llm: Invoice, prefer: Prefer) -> (Invoice, MergeReport) {
    let mut m = Merger {
        base: rules,
        llm,
        prefer,
        report: MergeReport::default(),
    };
    m.field("invoice_number", |i| &mut i.invoice_number);
    m.field("issue_date", |i| &mut i.issue_date);
    m.field("due_date", |i| &mut i.due_date);
    m.field("currency", |i| &mut i.currency);
    m.field("purchase_order_ref", |i| &mut i.purchase_order_ref);
    m.field("payment_terms", |i| &mut i.payment_terms);
    m.field("seller.name", |i| &mut i.seller.name);
    m.field("seller.vat_id", |i| &mut i.seller.vat_id);
    m.field("seller.address.line1", |i| &mut i.seller.address.line1);
    m.field("seller.address.postal_code", |i| {
        &mut i.seller.address.postal_code
    });
    m.field("seller.address.city", |i| &mut i.seller.address.city);
    m.field("seller.address.country", |i| &mut i.seller.address.country);
    m.field("buyer.name", |i| &mut i.buyer.name);
    m.field("buyer.vat_id", |i| &mut i.buyer.vat_id);
    m.field("buyer.address.line1", |i| &mut i.buyer.address.line1);
    m.field("buyer.address.postal_code", |i| {
        &mut i.buyer.address.postal_code
    });
    m.field("buyer.address.city", |i| &mut i.buyer.address.city);
    m.field("buyer.address.country", |i| &mut i.buyer.address.country);
    m.lists();
    m.totals_as_set();
    (m.base, m.report)
}

/// Whether any value in the invoice came from the model (for reports).
pub fn has_llm_values(inv: &Invoice) -> bool {
    let v = serde_json::to_value(inv).unwrap_or_default();
    fn walk(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Object(o) => {
                o.get("source").and_then(|s| s.as_str()) == Some(Source::Llm.as_str())
                    || o.values().any(walk)
            }
            serde_json::Value::Array(a) => a.iter().any(walk),
            _ => false,
        }
    }
    walk(&v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use doxin_model::Extracted;
    use rust_decimal_macros::dec;

    fn text<T>(v: T) -> Field<T> {
        Some(Extracted::new(v, Source::Text, 0.85))
    }
    fn llm<T>(v: T) -> Field<T> {
        Some(Extracted::new(v, Source::Llm, 0.75))
    }

    fn rules_invoice(gross: Decimal) -> Invoice {
        let mut i = Invoice {
            invoice_number: text("RE-1".to_string()),
            currency: text("EUR".to_string()),
            ..Invoice::default()
        };
        i.totals.tax_exclusive_amount = text(dec!(100.00));
        i.totals.tax_amount = text(dec!(19.00));
        i.totals.tax_inclusive_amount = text(gross);
        i
    }

    fn llm_invoice(gross: Decimal) -> Invoice {
        let mut i = Invoice {
            invoice_number: llm("RE-1".to_string()),
            due_date: llm(NaiveDate::from_ymd_opt(2024, 4, 1).expect("date")),
            ..Invoice::default()
        };
        i.totals.tax_exclusive_amount = llm(dec!(100.00));
        i.totals.tax_amount = llm(dec!(19.00));
        i.totals.tax_inclusive_amount = llm(gross);
        i
    }

    #[test]
    fn a_wrong_model_total_is_rejected_when_the_rules_reconcile() {
        let (inv, r) = merge(
            rules_invoice(dec!(119.00)),
            llm_invoice(dec!(191.00)),
            Prefer::Llm,
        );
        let gross = inv.totals.tax_inclusive_amount.expect("gross");
        assert_eq!((gross.value, gross.source), (dec!(119.00), Source::Text));
        let c = r
            .conflicts
            .iter()
            .find(|c| c.field == "totals.tax_inclusive_amount")
            .expect("conflict");
        assert_eq!(c.resolution, Resolution::Rules);
        assert!(!r.needs_review());
    }

    #[test]
    fn a_right_model_total_replaces_a_wrong_rules_total() {
        let (inv, r) = merge(
            rules_invoice(dec!(911.00)),
            llm_invoice(dec!(119.00)),
            Prefer::Rules,
        );
        let gross = inv.totals.tax_inclusive_amount.expect("gross");
        assert_eq!((gross.value, gross.source), (dec!(119.00), Source::Llm));
        assert!(gross.confidence >= CONFIRMED_BY_ARITHMETIC);
        assert_eq!(r.conflicts[0].resolution, Resolution::Llm);
    }

    #[test]
    fn gaps_are_filled_and_agreement_confirms() {
        let (inv, r) = merge(
            rules_invoice(dec!(119.00)),
            llm_invoice(dec!(119.00)),
            Prefer::Rules,
        );
        let due = inv.due_date.expect("filled");
        assert_eq!(due.source, Source::Llm);
        assert!(r.filled.contains(&"due_date".to_string()));
        let n = inv.invoice_number.expect("number");
        assert_eq!(n.source, Source::Text);
        assert!(n.confidence >= CONFIRMED_BY_AGREEMENT);
        assert!(r.confirmed.contains(&"invoice_number".to_string()));
        assert!(r.conflicts.is_empty());
    }

    #[test]
    fn a_disagreement_validation_cannot_decide_goes_to_review() {
        let mut l = llm_invoice(dec!(119.00));
        l.invoice_number = llm("RE-7".to_string());
        let (inv, r) = merge(rules_invoice(dec!(119.00)), l.clone(), Prefer::Rules);
        assert_eq!(inv.invoice_number.expect("n").value, "RE-1");
        assert!(r.needs_review());
        let (inv, _) = merge(rules_invoice(dec!(119.00)), l, Prefer::Llm);
        assert_eq!(inv.invoice_number.expect("n").value, "RE-7");
    }

    #[test]
    fn a_fill_that_breaks_arithmetic_is_refused() {
        let mut rules = rules_invoice(dec!(119.00));
        rules.totals.tax_inclusive_amount = None;
        let (inv, r) = merge(rules, llm_invoice(dec!(191.00)), Prefer::Llm);
        assert!(inv.totals.tax_inclusive_amount.is_none());
        assert_eq!(r.conflicts[0].resolution, Resolution::Rules);
    }
}
