//! What a reviewer's decision rests on. An approval is a judgement about who is paid how much,
//! for what and when; an edit that changes any of that reopens the decision, an edit of notes
//! or references does not ([`decision_changes`]).

use serde_json::Value;

use crate::Invoice;

/// The parts of an invoice an approval depends on: identity, dates, parties (the payee and
/// the bank accounts too: changing where the money goes after approval is the classic invoice
/// fraud), amounts and lines. Notes, references, payment terms as text and the earlier
/// system's extra fields are left out.
pub const DECISION_FIELDS: &[&str] = &[
    "document_type",
    "type_code",
    "invoice_number",
    "issue_date",
    "due_date",
    "delivery_date",
    "service_period_start",
    "service_period_end",
    "currency",
    "tax_currency",
    "seller",
    "buyer",
    "payee",
    "bank_accounts",
    "totals",
    "vat_breakdown",
    "allowances_charges",
    "lines",
];

/// Provenance, not content: a value re-entered by a person with the same value is no change.
const PROVENANCE_KEYS: &[&str] = &["raw_text", "confidence", "page", "bbox", "source"];

/// The [`DECISION_FIELDS`] whose values differ between `before` and `after`, in that order.
pub fn decision_changes(before: &Invoice, after: &Invoice) -> Vec<&'static str> {
    let (Ok(mut a), Ok(mut b)) = (serde_json::to_value(before), serde_json::to_value(after)) else {
        // Both serialise (plain data); if one ever did not, treat everything as changed.
        return DECISION_FIELDS.to_vec();
    };
    strip_provenance(&mut a);
    strip_provenance(&mut b);
    DECISION_FIELDS
        .iter()
        .copied()
        .filter(|k| a.get(k) != b.get(k))
        .collect()
}

/// Removes provenance from every extracted value (an object with `value` and `source`).
fn strip_provenance(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.contains_key("value") && map.contains_key("source") {
                for k in PROVENANCE_KEYS {
                    map.remove(*k);
                }
            }
            for child in map.values_mut() {
                strip_provenance(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_provenance),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decimal, Extracted, InvoiceLine, Source};

    fn invoice() -> Invoice {
        let mut inv = Invoice {
            invoice_number: Some(Extracted::new("A-1".to_string(), Source::Text, 0.9)),
            ..Invoice::default()
        };
        inv.totals.tax_inclusive_amount =
            Some(Extracted::new(Decimal::new(1190, 2), Source::Text, 0.9));
        inv.lines.push(InvoiceLine::default());
        inv
    }

    #[test]
    fn notes_and_references_keep_the_decision() {
        let before = invoice();
        let mut after = before.clone();
        after.notes.push("paid by card".into());
        after.purchase_order_ref = Some(Extracted::human("PO-7".to_string()));
        after.payment_terms = Some(Extracted::human("30 days".to_string()));
        assert!(decision_changes(&before, &after).is_empty());
    }

    #[test]
    fn the_same_value_entered_by_a_person_is_no_change() {
        let before = invoice();
        let mut after = before.clone();
        after.invoice_number = Some(Extracted::human("A-1".to_string()));
        assert!(decision_changes(&before, &after).is_empty());
    }

    #[test]
    fn amounts_parties_dates_lines_and_bank_accounts_reopen() {
        let before = invoice();
        let mut after = before.clone();
        after.totals.tax_inclusive_amount = Some(Extracted::human(Decimal::new(1200, 2)));
        after.seller.name = Some(Extracted::human("Other GmbH".to_string()));
        after.issue_date = Some(Extracted::human(
            chrono::NaiveDate::from_ymd_opt(2024, 1, 2).expect("date"),
        ));
        after.lines.clear();
        after.bank_accounts.push(crate::BankAccount::default());
        assert_eq!(
            decision_changes(&before, &after),
            ["issue_date", "seller", "bank_accounts", "totals", "lines"]
        );
    }
}
