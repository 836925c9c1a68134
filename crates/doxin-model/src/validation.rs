//! Validation rules: arithmetic (EN 16931 BR-CO), code lists and identifiers (currency, country,
//! VAT id, IBAN) and dates, returning structured [`Finding`]s.
//!
//! A finding exists only for a rule that was evaluated and failed. Extraction often misses
//! values, and "could not check" is different from "checked and fine", so
//! [`validate_report`] also says which rules were [`checked`](ValidationReport::checked) and
//! which were [`skipped`](ValidationReport::skipped) for lack of inputs.
//!
//! Rule codes are those of EN 16931 where the norm has the rule (`BR-CO-15`, `BR-CL-04`, …) and
//! DoxIn's own `DX-…` codes otherwise. Codes are stable: they are stored with reviews and shown
//! to users.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::currency::CurrencyCode;
use crate::invoice::Invoice;
use crate::provenance::value_of;

mod amount_range;
mod arithmetic;
mod identifiers;
mod plausibility;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use amount_range::{VENDOR_RANGE_FACTOR, VENDOR_RANGE_MIN_HISTORY, vendor_range};

/// A validation rule. Serialised as its stable code (`"BR-CO-10"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RuleId {
    /// Seller and buyer VAT ids start with an ISO 3166-1 country prefix (or `EL`).
    #[serde(rename = "BR-CO-09")]
    BrCo09,
    /// Σ line net amounts (BT-131) = sum of line net amounts (BT-106).
    #[serde(rename = "BR-CO-10")]
    BrCo10,
    /// Σ document-level allowances (BT-92) = sum of allowances (BT-107).
    #[serde(rename = "BR-CO-11")]
    BrCo11,
    /// Σ document-level charges (BT-99) = sum of charges (BT-108).
    #[serde(rename = "BR-CO-12")]
    BrCo12,
    /// Total without VAT (BT-109) = Σ line net − allowances + charges.
    #[serde(rename = "BR-CO-13")]
    BrCo13,
    /// Total VAT (BT-110) = Σ VAT category tax amounts (BT-117).
    #[serde(rename = "BR-CO-14")]
    BrCo14,
    /// Total with VAT (BT-112) = total without VAT (BT-109) + total VAT (BT-110).
    #[serde(rename = "BR-CO-15")]
    BrCo15,
    /// Amount due (BT-115) = total with VAT (BT-112) − paid (BT-113) + rounding (BT-114); under
    /// Italian split payment (VAT category `B`) also accepted less the VAT of those rows.
    #[serde(rename = "BR-CO-16")]
    BrCo16,
    /// VAT category tax amount (BT-117) = taxable amount (BT-116) × rate (BT-119) / 100.
    #[serde(rename = "BR-CO-17")]
    BrCo17,
    /// The invoice currency is an ISO 4217 code.
    #[serde(rename = "BR-CL-04")]
    BrCl04,
    /// Address countries are ISO 3166-1 alpha-2 codes.
    #[serde(rename = "BR-CL-14")]
    BrCl14,
    /// The invoicing period does not end before it starts.
    #[serde(rename = "BR-29")]
    Br29,
    /// Line net amount = quantity × unit price ÷ base quantity − line allowance + line charge
    /// (EN 16931 has no such rule; Peppol's PEPPOL-EN16931-R120 is the same arithmetic).
    #[serde(rename = "DX-LINE-01")]
    DxLine01,
    /// Σ VAT breakdown taxable amounts (BT-116) = total without VAT (BT-109).
    #[serde(rename = "DX-VAT-01")]
    DxVat01,
    /// A VAT id has the format of its country.
    #[serde(rename = "DX-VATID-01")]
    DxVatId01,
    /// A VAT id passes its country's check-digit test, where one is verified.
    #[serde(rename = "DX-VATID-02")]
    DxVatId02,
    /// A payment account IBAN is valid: registry length, structure, mod 97.
    #[serde(rename = "DX-IBAN-01")]
    DxIban01,
    /// The due date is not before the issue date.
    #[serde(rename = "DX-DATE-01")]
    DxDate01,
    /// An invoice number is present (BT-1).
    #[serde(rename = "BR-02")]
    Br02,
    /// An issue date is present (BT-2).
    #[serde(rename = "BR-03")]
    Br03,
    /// An invoice currency is present (BT-5).
    #[serde(rename = "BR-05")]
    Br05,
    /// A seller name is present (BT-27).
    #[serde(rename = "BR-06")]
    Br06,
    /// A total with VAT is present (BT-112).
    #[serde(rename = "BR-14")]
    Br14,
    /// Every VAT rate is between 0 and 30 % (no country charges more).
    #[serde(rename = "DX-VAT-02")]
    DxVat02,
    /// Every VAT rate is one of the seller country's rates.
    #[serde(rename = "DX-VAT-03")]
    DxVat03,
    /// The total VAT (BT-110) is at most the seller country's highest rate (30 % when unknown)
    /// of the total without VAT (BT-109): net and tax read the wrong way round break it.
    #[serde(rename = "DX-VAT-04")]
    DxVat04,
    /// The total with VAT is within the range of the vendor's earlier invoices (not evaluated
    /// by [`validate_report`], which sees one invoice: see [`vendor_range`]).
    #[serde(rename = "DX-AMT-01")]
    DxAmt01,
}

impl RuleId {
    /// Every rule, in the order reports list them.
    pub const ALL: [RuleId; 27] = [
        RuleId::BrCo09,
        RuleId::BrCo10,
        RuleId::BrCo11,
        RuleId::BrCo12,
        RuleId::BrCo13,
        RuleId::BrCo14,
        RuleId::BrCo15,
        RuleId::BrCo16,
        RuleId::BrCo17,
        RuleId::BrCl04,
        RuleId::BrCl14,
        RuleId::Br29,
        RuleId::DxLine01,
        RuleId::DxVat01,
        RuleId::DxVatId01,
        RuleId::DxVatId02,
        RuleId::DxIban01,
        RuleId::DxDate01,
        RuleId::Br02,
        RuleId::Br03,
        RuleId::Br05,
        RuleId::Br06,
        RuleId::Br14,
        RuleId::DxVat02,
        RuleId::DxVat03,
        RuleId::DxVat04,
        RuleId::DxAmt01,
    ];

    /// The stable code, as serialised.
    pub fn code(self) -> &'static str {
        match self {
            RuleId::BrCo09 => "BR-CO-09",
            RuleId::BrCo10 => "BR-CO-10",
            RuleId::BrCo11 => "BR-CO-11",
            RuleId::BrCo12 => "BR-CO-12",
            RuleId::BrCo13 => "BR-CO-13",
            RuleId::BrCo14 => "BR-CO-14",
            RuleId::BrCo15 => "BR-CO-15",
            RuleId::BrCo16 => "BR-CO-16",
            RuleId::BrCo17 => "BR-CO-17",
            RuleId::BrCl04 => "BR-CL-04",
            RuleId::BrCl14 => "BR-CL-14",
            RuleId::Br29 => "BR-29",
            RuleId::DxLine01 => "DX-LINE-01",
            RuleId::DxVat01 => "DX-VAT-01",
            RuleId::DxVatId01 => "DX-VATID-01",
            RuleId::DxVatId02 => "DX-VATID-02",
            RuleId::DxIban01 => "DX-IBAN-01",
            RuleId::DxDate01 => "DX-DATE-01",
            RuleId::Br02 => "BR-02",
            RuleId::Br03 => "BR-03",
            RuleId::Br05 => "BR-05",
            RuleId::Br06 => "BR-06",
            RuleId::Br14 => "BR-14",
            RuleId::DxVat02 => "DX-VAT-02",
            RuleId::DxVat03 => "DX-VAT-03",
            RuleId::DxVat04 => "DX-VAT-04",
            RuleId::DxAmt01 => "DX-AMT-01",
        }
    }

    /// How serious a failure of this rule is.
    ///
    /// Arithmetic, code lists, formats and IBANs are errors: the document (or its extraction)
    /// is wrong. A failed VAT check digit is a warning because national schemes have had
    /// undocumented exceptions, and a false "invalid" on a real VAT id costs more than a missed
    /// typo. A due date before the issue date is a warning because it happens legitimately
    /// (invoices issued after an advance payment). A rate missing from the seller country's
    /// list is a warning too: rates change, and special regimes (islands, margins) exist. An
    /// amount unlike the vendor's earlier ones is a warning: a reviewer looks twice, but the
    /// yearly licence is a real invoice too.
    pub fn severity(self) -> Severity {
        match self {
            RuleId::DxVatId02 | RuleId::DxDate01 | RuleId::DxVat03 | RuleId::DxAmt01 => {
                Severity::Warning
            }
            _ => Severity::Error,
        }
    }

    /// Rules that a mandatory value is present (BR-02, BR-03, BR-05, BR-06, BR-14).
    pub fn is_presence(self) -> bool {
        matches!(
            self,
            RuleId::Br02 | RuleId::Br03 | RuleId::Br05 | RuleId::Br06 | RuleId::Br14
        )
    }

    /// Rules on what a reviewer must fill in or look at twice (presence of mandatory values,
    /// plausible VAT rates), as opposed to the document's internal consistency.
    pub fn is_plausibility(self) -> bool {
        matches!(
            self,
            RuleId::Br02
                | RuleId::Br03
                | RuleId::Br05
                | RuleId::Br06
                | RuleId::Br14
                | RuleId::DxVat02
                | RuleId::DxVat03
                | RuleId::DxVat04
                | RuleId::DxAmt01
        )
    }

    /// Whether the rule's `expected`/`actual` values are amounts (otherwise text).
    pub fn compares_amounts(self) -> bool {
        matches!(
            self,
            RuleId::BrCo10
                | RuleId::BrCo11
                | RuleId::BrCo12
                | RuleId::BrCo13
                | RuleId::BrCo14
                | RuleId::BrCo15
                | RuleId::BrCo16
                | RuleId::BrCo17
                | RuleId::DxLine01
                | RuleId::DxVat01
                | RuleId::DxVat04
        )
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text that is not a rule code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown validation rule {0:?}")]
pub struct UnknownRule(pub String);

impl FromStr for RuleId {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleId::ALL
            .into_iter()
            .find(|rule| rule.code() == s)
            .ok_or_else(|| UnknownRule(s.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The values are inconsistent or invalid; the invoice needs review.
    Error,
    /// Probably wrong, but legitimate documents can do this.
    Warning,
}

/// An expected or actual value in a [`Finding`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingValue {
    Amount(Decimal),
    Text(String),
}

impl fmt::Display for FindingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingValue::Amount(amount) => write!(f, "{amount}"),
            FindingValue::Text(text) => f.write_str(text),
        }
    }
}

impl From<Decimal> for FindingValue {
    fn from(amount: Decimal) -> Self {
        FindingValue::Amount(amount)
    }
}

impl From<String> for FindingValue {
    fn from(text: String) -> Self {
        FindingValue::Text(text)
    }
}

impl From<&str> for FindingValue {
    fn from(text: &str) -> Self {
        FindingValue::Text(text.to_string())
    }
}

/// One failed rule.
///
/// Serialised flat, with `expected` and `actual` as strings (amounts keep their scale,
/// `"119.00"`); whether they are amounts follows from the rule, so reading a finding back
/// restores [`FindingValue::Amount`] without a type tag in the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "FindingRepr", from = "FindingRepr")]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    /// A sentence for people, naming the business terms and the numbers involved.
    pub message: String,
    /// Path of the value the finding is about, with 0-based indexes:
    /// `totals.tax_inclusive_amount`, `lines[2].line_amount`, `seller.vat_id`.
    pub field: Option<String>,
    /// What the rule derives for `field` from the other values.
    pub expected: Option<FindingValue>,
    /// What the document states.
    pub actual: Option<FindingValue>,
}

impl Finding {
    /// A finding with the rule's default severity.
    pub fn new(rule: RuleId, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity(),
            message: message.into(),
            field: None,
            expected: None,
            actual: None,
        }
    }

    pub fn field(mut self, path: impl Into<String>) -> Self {
        self.field = Some(path.into());
        self
    }

    pub fn expected(mut self, value: impl Into<FindingValue>) -> Self {
        self.expected = Some(value.into());
        self
    }

    pub fn actual(mut self, value: impl Into<FindingValue>) -> Self {
        self.actual = Some(value.into());
        self
    }
}

#[derive(Serialize, Deserialize)]
struct FindingRepr {
    rule: RuleId,
    severity: Severity,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actual: Option<String>,
}

impl From<Finding> for FindingRepr {
    fn from(f: Finding) -> Self {
        FindingRepr {
            rule: f.rule,
            severity: f.severity,
            message: f.message,
            field: f.field,
            expected: f.expected.map(|v| v.to_string()),
            actual: f.actual.map(|v| v.to_string()),
        }
    }
}

impl From<FindingRepr> for Finding {
    fn from(r: FindingRepr) -> Self {
        let value = |text: String| match Decimal::from_str(&text) {
            Ok(amount) if r.rule.compares_amounts() => FindingValue::Amount(amount),
            _ => FindingValue::Text(text),
        };
        Finding {
            rule: r.rule,
            severity: r.severity,
            message: r.message,
            field: r.field,
            expected: r.expected.map(value),
            actual: r.actual.map(value),
        }
    }
}

/// How far a stated amount may be from the value the rules derive for it.
///
/// Issuers round in different places (per line or per total, VAT per line or per rate), so
/// exact equality would flag correct invoices. Both tolerances are in units of the invoice
/// currency and are raised to at least one minor unit of that currency: a yen invoice cannot
/// be more precise than one yen.
///
/// - Amounts compared with amounts the document states (BR-CO-10 to BR-CO-16, DX-VAT-01) may
///   differ by `absolute`. Stated amounts are already rounded, so sums of them are exact; the
///   default cent absorbs issuers whose printed totals come from unrounded internal values.
/// - A stated line net amount may differ from quantity × price by `per_line` (DX-LINE-01):
///   half a step for rounding the line itself, half for a unit price printed with fewer
///   decimals than it was computed with (3 × 0.333 = 0.999 is stated as 1.00).
/// - Where a sum contains `n` values the validator had to derive itself, each may carry one
///   line's rounding: `n × per_line` when missing line amounts are replaced by quantity ×
///   price (BR-CO-10, BR-CO-13), and `n × per_line / 2` for a VAT rate's tax when issuers round
///   VAT per line (BR-CO-17, with `n` the lines at that rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    /// Default 0.01.
    pub absolute: Decimal,
    /// Default 0.01.
    pub per_line: Decimal,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            absolute: Decimal::new(1, 2),
            per_line: Decimal::new(1, 2),
        }
    }
}

impl Tolerance {
    /// The tolerances for a currency with `minor_units` decimals: never below one minor unit.
    fn resolve(&self, minor_units: u32) -> (Decimal, Decimal) {
        let unit = Decimal::new(1, minor_units);
        (self.absolute.abs().max(unit), self.per_line.abs().max(unit))
    }
}

/// The outcome of validating one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ValidationReport {
    pub findings: Vec<Finding>,
    /// Rules evaluated at least once (whether or not they failed), in [`RuleId::ALL`] order.
    pub checked: Vec<RuleId>,
    /// Rules that could not be evaluated because the values they need are missing.
    pub skipped: Vec<RuleId>,
}

impl ValidationReport {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Rules that were checked and produced no finding.
    pub fn passed(&self) -> impl Iterator<Item = RuleId> + '_ {
        self.checked
            .iter()
            .copied()
            .filter(|rule| self.findings.iter().all(|f| f.rule != *rule))
    }
}

/// Runs every rule and returns the failures.
pub fn validate(invoice: &Invoice, tolerance: &Tolerance) -> Vec<Finding> {
    validate_report(invoice, tolerance).findings
}

/// Runs every rule and reports failures, and which rules were checked or skipped.
pub fn validate_report(invoice: &Invoice, tolerance: &Tolerance) -> ValidationReport {
    let mut checker = Checker::new(invoice, tolerance);
    plausibility::run(&mut checker);
    arithmetic::run(&mut checker);
    identifiers::run(&mut checker);
    checker.finish()
}

/// State shared by the rules while one invoice is validated.
struct Checker<'a> {
    invoice: &'a Invoice,
    /// `Tolerance::absolute`, at least one minor unit.
    absolute: Decimal,
    /// `Tolerance::per_line`, at least one minor unit.
    per_line: Decimal,
    /// Decimals of the invoice currency, for presenting derived amounts.
    minor_units: u32,
    findings: Vec<Finding>,
    checked: Vec<RuleId>,
}

impl<'a> Checker<'a> {
    fn new(invoice: &'a Invoice, tolerance: &Tolerance) -> Self {
        // An unknown or missing currency is reported by BR-CL-04; the arithmetic still runs
        // with cents, the most common minor unit.
        let minor_units = value_of(&invoice.currency)
            .and_then(|c| CurrencyCode::parse(c).ok())
            .map_or(2, |c| c.minor_units());
        let (absolute, per_line) = tolerance.resolve(minor_units);
        Checker {
            invoice,
            absolute,
            per_line,
            minor_units,
            findings: Vec::new(),
            checked: Vec::new(),
        }
    }

    /// Records that `rule` was evaluated.
    fn checked(&mut self, rule: RuleId) {
        if !self.checked.contains(&rule) {
            self.checked.push(rule);
        }
    }

    /// Records a failure (and so that the rule was evaluated).
    fn fail(&mut self, finding: Finding) {
        self.checked(finding.rule);
        self.findings.push(finding);
    }

    /// A derived amount as the document would state it.
    fn round(&self, amount: Decimal) -> Decimal {
        amount.round_dp_with_strategy(
            self.minor_units,
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        )
    }

    fn finish(self) -> ValidationReport {
        let (checked, skipped) = RuleId::ALL
            .into_iter()
            .partition(|rule| self.checked.contains(rule));
        ValidationReport {
            findings: self.findings,
            checked,
            skipped,
        }
    }
}
