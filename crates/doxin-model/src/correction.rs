//! Corrections as people type them: plain values in the invoice's own shape,
//! `{"totals": {"line_extension_amount": "34.73"}, "seller": {"name": "Acme"}}`, applied onto a
//! canonical invoice with every value they set marked as entered by a person (source `human`,
//! confidence 1.0). The same plain shape describes a whole invoice entered by hand.
//!
//! Rules: an object is merged into what is there; a plain value (text, number) becomes that
//! field's value; `null` removes the field; a list (lines, VAT breakdown, bank accounts, …)
//! replaces the list, its items read by the same rules. An object with a `value` key is taken
//! as a value too, so a canonical field can be sent back as it was read. A key the invoice does
//! not have is refused, never ignored.

use serde_json::{Map, Value};

use crate::Invoice;

/// Keys whose values are plain in the canonical invoice (not an extracted value with
/// provenance).
const PLAIN_KEYS: &[&str] = &[
    "document_type",
    "syntax",
    "document_kind",
    "notes",
    "note_only_lines",
    "is_charge",
    "description_from",
];

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CorrectionError {
    #[error("a correction is a JSON object of invoice fields")]
    NotAnObject,
    #[error("the invoice has no field `{0}`")]
    UnknownField(String),
    #[error("`{path}` cannot hold that value: {message}")]
    Invalid { path: String, message: String },
}

/// `current` with the plain `patch` applied (see the module documentation).
pub fn apply_plain(current: &Invoice, patch: &Value) -> Result<Invoice, CorrectionError> {
    let Value::Object(patch) = patch else {
        return Err(CorrectionError::NotAnObject);
    };
    let mut doc = serde_json::to_value(current).map_err(|e| CorrectionError::Invalid {
        path: String::new(),
        message: e.to_string(),
    })?;
    if let Value::Object(target) = &mut doc {
        merge(target, patch);
    }
    let invoice: Invoice = serde_json::from_value(doc).map_err(|e| CorrectionError::Invalid {
        path: first_bad_path(patch, current).unwrap_or_default(),
        message: e.to_string(),
    })?;
    // serde drops keys the invoice does not have: find them by looking for every key of the
    // patch in the result.
    let result = serde_json::to_value(&invoice).unwrap_or(Value::Null);
    if let Some(path) = missing_key(patch, &result, "") {
        return Err(CorrectionError::UnknownField(path));
    }
    Ok(invoice)
}

/// `fresh` (a new extraction of the same document) with every value a person entered in
/// `current` kept: a field whose source is `human` wins over the new reading, and a list
/// (lines, VAT breakdown, bank accounts, …) that holds any value a person entered is kept
/// whole, since its items cannot be matched to the new reading's one by one.
pub fn keep_human(current: &Invoice, fresh: &Invoice) -> Invoice {
    let (Ok(cur), Ok(mut new)) = (serde_json::to_value(current), serde_json::to_value(fresh))
    else {
        return fresh.clone();
    };
    overlay_human(&cur, &mut new);
    serde_json::from_value(new).unwrap_or_else(|_| fresh.clone())
}

fn is_human(v: &Value) -> bool {
    v.get("source").and_then(Value::as_str) == Some("human") && v.get("value").is_some()
}

fn holds_human(v: &Value) -> bool {
    match v {
        Value::Object(o) => is_human(v) || o.values().any(holds_human),
        Value::Array(items) => items.iter().any(holds_human),
        _ => false,
    }
}

fn overlay_human(current: &Value, fresh: &mut Value) {
    let (Value::Object(cur), Value::Object(new)) = (current, fresh) else {
        return;
    };
    for (key, value) in cur {
        if is_human(value) || (value.is_array() && holds_human(value)) {
            new.insert(key.clone(), value.clone());
        } else if value.is_object() && holds_human(value) {
            let slot = new
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            overlay_human(value, slot);
        }
    }
}

/// A person's value for a field with provenance.
fn human(value: &Value) -> Value {
    let value = match value {
        // Numbers travel as text: decimals are parsed exactly from it, never through a float.
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(s) => Value::String(s.trim().to_string()),
        other => other.clone(),
    };
    serde_json::json!({ "value": value, "confidence": 1.0, "source": "human" })
}

/// What `value` becomes under `key`.
fn convert(key: &str, value: &Value) -> Value {
    let plain = PLAIN_KEYS.contains(&key);
    match value {
        Value::Null => Value::Null,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| match item {
                    Value::Object(o) => {
                        let mut fresh = Map::new();
                        merge(&mut fresh, o);
                        Value::Object(fresh)
                    }
                    scalar if plain => scalar.clone(),
                    scalar => human(scalar),
                })
                .collect(),
        ),
        Value::Object(o) if o.contains_key("value") => human(&o["value"]),
        Value::Object(o) => {
            let mut fresh = Map::new();
            merge(&mut fresh, o);
            Value::Object(fresh)
        }
        scalar if plain => scalar.clone(),
        scalar => human(scalar),
    }
}

fn merge(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match (target.get_mut(key), value) {
            (_, Value::Null) => {
                target.remove(key);
            }
            (Some(Value::Object(existing)), Value::Object(o))
                if !o.contains_key("value") && !existing.contains_key("source") =>
            {
                merge(existing, o);
            }
            _ => {
                target.insert(key.clone(), convert(key, value));
            }
        }
    }
}

/// The first key path of `patch` absent from `result` (the invoice after serde): a key the
/// invoice does not have.
fn missing_key(patch: &Map<String, Value>, result: &Value, prefix: &str) -> Option<String> {
    for (key, value) in patch {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if value.is_null() {
            continue;
        }
        let Some(got) = result.get(key) else {
            // Empty objects and lists are not serialised; only a non-empty one is missing.
            let empty = match value {
                Value::Object(o) => o.is_empty(),
                Value::Array(a) => a.is_empty(),
                _ => false,
            };
            if empty {
                continue;
            }
            return Some(path);
        };
        match value {
            Value::Object(o) if !o.contains_key("value") => {
                if let Some(p) = missing_key(o, got, &path) {
                    return Some(p);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let (Value::Object(o), Some(g)) = (item, got.get(i))
                        && let Some(p) = missing_key(o, g, &format!("{path}[{i}]"))
                    {
                        return Some(p);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// For an error message: the first top-level key whose value alone does not fit.
fn first_bad_path(patch: &Map<String, Value>, current: &Invoice) -> Option<String> {
    patch.iter().find_map(|(key, value)| {
        let mut one = Map::new();
        one.insert(key.clone(), value.clone());
        let mut doc = serde_json::to_value(current).ok()?;
        if let Value::Object(target) = &mut doc {
            merge(target, &one);
        }
        serde_json::from_value::<Invoice>(doc)
            .err()
            .map(|_| key.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decimal, Extracted, Source};
    use serde_json::json;

    fn invoice() -> Invoice {
        let mut inv = Invoice {
            invoice_number: Some(Extracted::new("A-1".to_string(), Source::Text, 0.8)),
            ..Invoice::default()
        };
        inv.seller.name = Some(Extracted::new("Acme".to_string(), Source::Text, 0.7));
        inv.seller.vat_id = Some(Extracted::new("DE123456789".to_string(), Source::Text, 0.7));
        inv
    }

    #[test]
    fn plain_values_become_human_values_and_the_rest_stays() {
        let inv = apply_plain(
            &invoice(),
            &json!({
                "totals": {"line_extension_amount": "34.73", "tax_amount": 6.6},
                "seller": {"name": "Acme GmbH"},
                "issue_date": "2024-03-01",
                "notes": ["checked"],
            }),
        )
        .expect("apply");
        let net = inv.totals.line_extension_amount.expect("net");
        assert_eq!(net.value, Decimal::new(3473, 2));
        assert_eq!((net.source, net.confidence), (Source::Human, 1.0));
        assert_eq!(
            inv.totals.tax_amount.expect("tax").value,
            Decimal::new(66, 1)
        );
        assert_eq!(inv.seller.name.expect("name").value, "Acme GmbH");
        // Untouched values keep their provenance.
        let vat = inv.seller.vat_id.expect("vat");
        assert_eq!(
            (vat.value.as_str(), vat.source),
            ("DE123456789", Source::Text)
        );
        assert_eq!(inv.invoice_number.expect("no").source, Source::Text);
        assert_eq!(inv.notes, ["checked"]);
        assert_eq!(
            inv.issue_date.expect("date").value.to_string(),
            "2024-03-01"
        );
    }

    #[test]
    fn lines_are_replaced_with_plain_numbers() {
        let inv = apply_plain(
            &invoice(),
            &json!({"lines": [{"description": "Chair", "quantity": 2, "unit_price": "10.50", "line_amount": 21}]}),
        )
        .expect("apply");
        assert_eq!(inv.lines.len(), 1);
        let line = &inv.lines[0];
        assert_eq!(line.quantity.as_ref().expect("q").value, Decimal::from(2));
        assert_eq!(
            line.unit_price.as_ref().expect("p").value,
            Decimal::new(1050, 2)
        );
        assert_eq!(line.description.as_ref().expect("d").source, Source::Human);
    }

    #[test]
    fn null_removes_and_unknown_or_ill_typed_fields_are_refused() {
        let inv = apply_plain(&invoice(), &json!({"seller": {"vat_id": null}})).expect("apply");
        assert!(inv.seller.vat_id.is_none());
        assert_eq!(
            apply_plain(&invoice(), &json!({"grossamount": "2"})),
            Err(CorrectionError::UnknownField("grossamount".into()))
        );
        assert_eq!(
            apply_plain(&invoice(), &json!({"totals": {"gross": "2"}})),
            Err(CorrectionError::UnknownField("totals.gross".into()))
        );
        match apply_plain(&invoice(), &json!({"issue_date": "yesterday"})) {
            Err(CorrectionError::Invalid { path, .. }) => assert_eq!(path, "issue_date"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            apply_plain(&invoice(), &json!(["x"])),
            Err(CorrectionError::NotAnObject)
        );
    }

    #[test]
    fn a_new_reading_keeps_what_people_entered() {
        let current = apply_plain(
            &invoice(),
            &json!({"seller": {"name": "Acme GmbH"}, "lines": [{"description": "Chair"}]}),
        )
        .expect("apply");
        let mut fresh = Invoice {
            invoice_number: Some(Extracted::new("A-1b".to_string(), Source::Ocr, 0.6)),
            ..Invoice::default()
        };
        fresh.seller.name = Some(Extracted::new("ACME".to_string(), Source::Ocr, 0.6));
        fresh.seller.vat_id = Some(Extracted::new("DE999".to_string(), Source::Ocr, 0.6));
        fresh.lines = vec![crate::InvoiceLine::default(), crate::InvoiceLine::default()];
        let kept = keep_human(&current, &fresh);
        // The person's seller name and lines stay; the rest is the new reading.
        assert_eq!(kept.seller.name.as_ref().expect("name").value, "Acme GmbH");
        assert_eq!(kept.lines.len(), 1);
        assert_eq!(kept.seller.vat_id.expect("vat").value, "DE999");
        assert_eq!(kept.invoice_number.expect("n").value, "A-1b");
    }

    #[test]
    fn a_canonical_field_sent_back_is_a_value() {
        let inv = apply_plain(
            &invoice(),
            &json!({"invoice_number": {"value": "A-2", "confidence": 0.3, "source": "ocr"}}),
        )
        .expect("apply");
        let n = inv.invoice_number.expect("n");
        assert_eq!((n.value.as_str(), n.source), ("A-2", Source::Human));
    }
}
