//! A workspace's approval rules: how many people must approve an invoice, and when the
//! pipeline may approve one by itself. Stored as JSON on the workspace; evaluated by the
//! review routes on every approval and by the pipeline when it saves an extraction.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Invoice;

/// The rules of one workspace. The default asks one approval of anyone with the approver role
/// and never approves by itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalRules {
    /// Above this gross amount an invoice needs two approvals by two different people, neither
    /// of them its uploader (four eyes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_approval_above: Option<Decimal>,
    /// When the pipeline approves an extraction without a person (`None`: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_approve: Option<AutoApprove>,
    /// Rules for particular vendors, matched by VAT id or name (case and spacing ignored).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vendors: Vec<VendorRule>,
}

/// Conditions under which an extraction is approved on arrival. All must hold; an invoice
/// that needs two approvals is never approved by the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoApprove {
    /// The least document confidence (0..=1).
    pub min_confidence: f64,
    /// Only invoices up to this gross amount (`None`: any amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_gross: Option<Decimal>,
    /// Only vendors the workspace has had invoices from before (default true).
    #[serde(default = "yes")]
    pub known_vendor_only: bool,
}

fn yes() -> bool {
    true
}

/// A rule for one vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorRule {
    /// The vendor's VAT id or name.
    pub vendor: String,
    /// Approvals this vendor's invoices need whatever their amount (1 or 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<u8>,
    /// Never approve this vendor's invoices automatically.
    #[serde(default)]
    pub never_auto_approve: bool,
}

/// Why rules cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("{0}")]
    Invalid(String),
}

/// What the pipeline knows about an extraction when it asks whether to approve it.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    pub confidence: f32,
    /// Any validation finding at all (warnings too).
    pub has_findings: bool,
    pub known_vendor: bool,
    pub duplicate: bool,
}

impl ApprovalRules {
    /// Reads stored rules; an empty object (or `null`) is the default.
    pub fn from_json(value: &serde_json::Value) -> Result<ApprovalRules, RulesError> {
        if value.is_null() {
            return Ok(ApprovalRules::default());
        }
        let rules: ApprovalRules = serde_json::from_value(value.clone())
            .map_err(|e| RulesError::Invalid(format!("approval rules: {e}")))?;
        rules.check()?;
        Ok(rules)
    }

    /// Refuses rules that cannot mean anything.
    pub fn check(&self) -> Result<(), RulesError> {
        let bad = |m: String| Err(RulesError::Invalid(m));
        if self
            .second_approval_above
            .is_some_and(|a| a.is_sign_negative())
        {
            return bad("second_approval_above must not be negative".into());
        }
        if let Some(auto) = &self.auto_approve {
            if !(0.0..=1.0).contains(&auto.min_confidence) {
                return bad("auto_approve.min_confidence must be between 0 and 1".into());
            }
            if auto.max_gross.is_some_and(|a| a.is_sign_negative()) {
                return bad("auto_approve.max_gross must not be negative".into());
            }
        }
        for rule in &self.vendors {
            if normalise(&rule.vendor).is_empty() {
                return bad("a vendor rule needs a vendor (VAT id or name)".into());
            }
            if rule.approvals.is_some_and(|n| !(1..=2).contains(&n)) {
                return bad(format!(
                    "vendor {:?}: approvals must be 1 or 2",
                    rule.vendor
                ));
            }
        }
        Ok(())
    }

    /// The vendor rule that applies to `invoice`'s seller, if any.
    pub fn vendor_rule(&self, invoice: &Invoice) -> Option<&VendorRule> {
        let keys: Vec<String> = [
            invoice.seller.vat_id.as_ref().map(|v| v.value.to_string()),
            invoice.seller.name.as_ref().map(|v| v.value.clone()),
            invoice
                .seller
                .trading_name
                .as_ref()
                .map(|v| v.value.clone()),
        ]
        .into_iter()
        .flatten()
        .map(|k| normalise(&k))
        .filter(|k| !k.is_empty())
        .collect();
        self.vendors
            .iter()
            .find(|r| keys.contains(&normalise(&r.vendor)))
    }

    /// How many different people must approve `invoice` (1 or 2).
    pub fn required_approvals(&self, invoice: &Invoice) -> u8 {
        let by_amount = match (self.second_approval_above, gross(invoice)) {
            (Some(limit), Some(g)) if g > limit => 2,
            _ => 1,
        };
        let by_vendor = self
            .vendor_rule(invoice)
            .and_then(|r| r.approvals)
            .unwrap_or(1);
        by_amount.max(by_vendor)
    }

    /// Whether the pipeline may approve `invoice` on arrival.
    pub fn auto_approves(&self, invoice: &Invoice, arrival: Arrival) -> bool {
        let Some(auto) = &self.auto_approve else {
            return false;
        };
        let within_amount = match auto.max_gross {
            Some(max) => gross(invoice).is_some_and(|g| g <= max),
            None => true,
        };
        // Confidences are f32: compare with the rounding of the conversion forgiven.
        f64::from(arrival.confidence) + 1e-6 >= auto.min_confidence
            && !arrival.has_findings
            && !arrival.duplicate
            && (arrival.known_vendor || !auto.known_vendor_only)
            && within_amount
            && self.required_approvals(invoice) == 1
            && !self
                .vendor_rule(invoice)
                .is_some_and(|r| r.never_auto_approve)
    }
}

/// The amount approval limits and thresholds compare: the gross (tax-inclusive) total, else
/// the amount due.
pub fn gross(invoice: &Invoice) -> Option<Decimal> {
    invoice
        .totals
        .tax_inclusive_amount
        .as_ref()
        .or(invoice.totals.payable_amount.as_ref())
        .map(|f| f.value)
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Extracted;
    use rust_decimal_macros::dec;

    fn invoice(gross: Decimal, seller: &str) -> Invoice {
        let mut inv = Invoice::default();
        inv.totals.tax_inclusive_amount = Some(Extracted::human(gross));
        inv.seller.name = Some(Extracted::human(seller.to_string()));
        inv
    }

    fn arrival() -> Arrival {
        Arrival {
            confidence: 0.99,
            has_findings: false,
            known_vendor: true,
            duplicate: false,
        }
    }

    #[test]
    fn a_second_approval_is_needed_above_the_threshold_only() {
        let rules = ApprovalRules {
            second_approval_above: Some(dec!(1000)),
            ..Default::default()
        };
        assert_eq!(rules.required_approvals(&invoice(dec!(1000), "A")), 1);
        assert_eq!(rules.required_approvals(&invoice(dec!(1000.01), "A")), 2);
        assert_eq!(
            ApprovalRules::default().required_approvals(&invoice(dec!(1e9), "A")),
            1
        );
    }

    #[test]
    fn vendor_rules_match_by_name_ignoring_case_and_spaces() {
        let rules: ApprovalRules = ApprovalRules::from_json(&serde_json::json!({
            "vendors": [{"vendor": "ACME  gmbh", "approvals": 2, "never_auto_approve": true}],
            "auto_approve": {"min_confidence": 0.9}
        }))
        .expect("valid");
        let acme = invoice(dec!(10), "Acme GmbH");
        assert_eq!(rules.required_approvals(&acme), 2);
        assert!(!rules.auto_approves(&acme, arrival()));
        assert!(rules.auto_approves(&invoice(dec!(10), "Other Ltd"), arrival()));
    }

    #[test]
    fn auto_approval_needs_every_condition() {
        let rules = ApprovalRules {
            auto_approve: Some(AutoApprove {
                min_confidence: 0.9,
                max_gross: Some(dec!(500)),
                known_vendor_only: true,
            }),
            ..Default::default()
        };
        let small = invoice(dec!(100), "A");
        assert!(rules.auto_approves(&small, arrival()));
        for worse in [
            Arrival {
                confidence: 0.5,
                ..arrival()
            },
            Arrival {
                has_findings: true,
                ..arrival()
            },
            Arrival {
                known_vendor: false,
                ..arrival()
            },
            Arrival {
                duplicate: true,
                ..arrival()
            },
        ] {
            assert!(!rules.auto_approves(&small, worse), "{worse:?}");
        }
        assert!(!rules.auto_approves(&invoice(dec!(501), "A"), arrival()));
        assert!(!ApprovalRules::default().auto_approves(&small, arrival()));
    }

    #[test]
    fn nonsense_rules_are_refused_with_the_reason() {
        for (json, says) in [
            (
                serde_json::json!({"second_approval_above": "-1"}),
                "negative",
            ),
            (
                serde_json::json!({"auto_approve": {"min_confidence": 2}}),
                "between 0 and 1",
            ),
            (
                serde_json::json!({"vendors": [{"vendor": " "}]}),
                "needs a vendor",
            ),
            (
                serde_json::json!({"vendors": [{"vendor": "A", "approvals": 3}]}),
                "1 or 2",
            ),
            (serde_json::json!({"typo": 1}), "unknown field"),
        ] {
            let err = ApprovalRules::from_json(&json).expect_err("refused");
            assert!(err.to_string().contains(says), "{err} lacks {says}");
        }
        assert_eq!(
            ApprovalRules::from_json(&serde_json::json!({})).expect("empty"),
            ApprovalRules::default()
        );
    }
}
