//! The canonical invoice as plain values in the shape of the evaluation corpus' `fields`, and
//! the field-by-field comparison of two such values.
//!
//! [`to_fields`] is what `doxin extract --format fields` prints and what `doxin eval` compares
//! with a truth file's `fields`; it works for any [`Invoice`], whatever it was extracted from
//! (the e-invoice header bits, `syntax` and `document_kind`, live in the invoice itself and are
//! simply absent for visual extractions). Absent values are omitted; amounts and quantities
//! are decimal strings with the scale they were read with; dates are ISO `YYYY-MM-DD`.
//!
//! [`compare`] / [`score`] compare an expected `fields` value with a produced one: amounts
//! numerically (`"20.0000"` equals `"20"`), other strings exactly after trimming, arrays by
//! position (or by `id` when both sides have unique ids).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use chrono::NaiveDate;
use doxin_model::{Address, Decimal, Field, Invoice, InvoiceLine, Party, Totals};
use serde_json::{Map, Value};

/// Keys whose values are numbers (compared numerically).
const NUMERIC_KEYS: &[&str] = &[
    "line_extension_amount",
    "allowance_total_amount",
    "charge_total_amount",
    "tax_exclusive_amount",
    "tax_amount",
    "tax_inclusive_amount",
    "prepaid_amount",
    "rounding_amount",
    "payable_amount",
    "tax_amount_in_tax_currency",
    "amount",
    "quantity",
    "unit_price",
    "price_base_quantity",
    "gross_unit_price",
    "line_amount",
    "vat_rate",
    "sub_line_count",
];

/// The invoice in the corpus' `fields` shape.
pub fn to_fields(inv: &Invoice) -> Value {
    let mut out = Out::new("", None);
    invoice(inv, &mut out);
    Value::Object(out.map)
}

/// The confidence of every value [`to_fields`] produces, by its concrete path
/// (`invoice_id`, `seller.address.city`, `totals.payable_amount`, `lines[2].quantity`).
/// Values without their own provenance (`syntax`, `document_kind`, `description_from`,
/// `sub_line_count`, `note_only_lines`) are absent.
pub fn field_confidences(inv: &Invoice) -> HashMap<String, f32> {
    let mut conf = HashMap::new();
    let mut out = Out::new("", Some(&mut conf));
    invoice(inv, &mut out);
    conf
}

/// An object being written, with the path prefix of its keys and, optionally, where the
/// confidences of its values go.
struct Out<'c> {
    prefix: String,
    map: Map<String, Value>,
    conf: Option<&'c mut HashMap<String, f32>>,
}

impl<'c> Out<'c> {
    fn new(prefix: &str, conf: Option<&'c mut HashMap<String, f32>>) -> Self {
        Out {
            prefix: prefix.to_string(),
            map: Map::new(),
            conf,
        }
    }

    fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn put<T>(&mut self, key: &str, f: &Field<T>, show: impl FnOnce(&T) -> String) {
        if let Some(e) = f {
            self.map.insert(key.into(), show(&e.value).into());
            if self.conf.is_some() {
                let path = self.path(key);
                if let Some(conf) = self.conf.as_deref_mut() {
                    conf.insert(path, e.confidence);
                }
            }
        }
    }

    fn str(&mut self, key: &str, f: &Field<String>) {
        self.put(key, f, String::clone);
    }

    fn dec(&mut self, key: &str, f: &Field<Decimal>) {
        self.put(key, f, Decimal::to_string);
    }

    fn date(&mut self, key: &str, f: &Field<NaiveDate>) {
        self.put(key, f, |d| d.format("%Y-%m-%d").to_string());
    }

    fn plain(&mut self, key: &str, v: impl Into<Value>) {
        self.map.insert(key.into(), v.into());
    }

    /// Writes a nested object with `fill`; omitted when it stays empty.
    fn object(&mut self, key: &str, fill: impl FnOnce(&mut Out<'_>)) {
        let path = self.path(key);
        let mut child = Out::new(&path, self.conf.as_deref_mut());
        fill(&mut child);
        let map = child.map;
        if !map.is_empty() {
            self.map.insert(key.into(), Value::Object(map));
        }
    }

    /// Writes an array of objects, one per item; omitted when there are no items.
    fn objects<T>(&mut self, key: &str, items: &[T], mut fill: impl FnMut(&T, &mut Out<'_>)) {
        if items.is_empty() {
            return;
        }
        let base = self.path(key);
        let mut list = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut child = Out::new(&format!("{base}[{i}]"), self.conf.as_deref_mut());
            fill(item, &mut child);
            list.push(Value::Object(child.map));
        }
        self.map.insert(key.into(), Value::Array(list));
    }
}

fn invoice(inv: &Invoice, o: &mut Out<'_>) {
    if let Some(s) = inv.syntax {
        o.plain("syntax", s.as_str());
    }
    if let Some(k) = &inv.document_kind {
        o.plain("document_kind", k.as_str());
    }
    o.str("customization_id", &inv.customization_id);
    o.str("invoice_id", &inv.invoice_number);
    o.str("type_code", &inv.type_code);
    o.date("issue_date", &inv.issue_date);
    o.date("due_date", &inv.due_date);
    o.str("currency", &inv.currency);
    o.str("tax_currency", &inv.tax_currency);
    o.str("buyer_reference", &inv.buyer_reference);
    o.str("order_reference", &inv.purchase_order_ref);
    o.object("seller", |o| party(&inv.seller, o));
    o.object("buyer", |o| party(&inv.buyer, o));
    o.object("totals", |o| totals(&inv.totals, o));
    o.objects("lines", &inv.lines, line);
    if !inv.note_only_lines.is_empty() {
        let notes: Vec<Value> = inv
            .note_only_lines
            .iter()
            .map(|s| s.as_str().into())
            .collect();
        o.plain("note_only_lines", notes);
    }
}

fn party(p: &Party, o: &mut Out<'_>) {
    o.str("name", &p.name);
    o.str("trading_name", &p.trading_name);
    o.str("vat_id", &p.vat_id);
    o.str("tax_registration_id", &p.tax_registration_id);
    o.str("legal_registration_id", &p.legal_registration_id);
    o.object("address", |o| address(&p.address, o));
}

fn address(a: &Address, o: &mut Out<'_>) {
    o.str("line1", &a.line1);
    o.str("line2", &a.line2);
    o.str("line3", &a.line3);
    o.str("city", &a.city);
    o.str("postal_code", &a.postal_code);
    o.str("country_subdivision", &a.country_subdivision);
    o.str("country", &a.country);
}

fn totals(t: &Totals, o: &mut Out<'_>) {
    o.dec("line_extension_amount", &t.line_extension_amount);
    o.dec("allowance_total_amount", &t.allowance_total_amount);
    o.dec("charge_total_amount", &t.charge_total_amount);
    o.dec("tax_exclusive_amount", &t.tax_exclusive_amount);
    o.dec("tax_amount", &t.tax_amount);
    o.dec("tax_amount_in_tax_currency", &t.tax_amount_in_tax_currency);
    o.dec("tax_inclusive_amount", &t.tax_inclusive_amount);
    o.dec("prepaid_amount", &t.prepaid_amount);
    o.dec("rounding_amount", &t.rounding_amount);
    o.dec("payable_amount", &t.payable_amount);
    o.objects("tax_totals", &t.tax_totals, |tt, o| {
        o.dec("amount", &tt.amount);
        if !tt.tax_schemes.is_empty() {
            let ids: Vec<Value> = tt
                .tax_schemes
                .iter()
                .map(|s| s.value.as_str().into())
                .collect();
            o.plain("tax_schemes", ids);
        }
    });
}

fn line(l: &InvoiceLine, o: &mut Out<'_>) {
    o.str("id", &l.id);
    o.str("description", &l.description);
    if let Some(from) = &l.description_from {
        o.plain("description_from", from.as_str());
    }
    o.str("item_description", &l.item_description);
    o.str("seller_item_id", &l.seller_item_id);
    o.dec("quantity", &l.quantity);
    o.str("unit_code", &l.unit_code);
    o.dec("unit_price", &l.unit_price);
    o.dec("price_base_quantity", &l.price_base_quantity);
    o.dec("gross_unit_price", &l.gross_unit_price);
    o.dec("line_amount", &l.line_amount);
    o.str("vat_category", &l.vat_category);
    o.dec("vat_rate", &l.vat_rate);
    o.str("parent_line_id", &l.parent_line_id);
    o.str("line_status_reason", &l.line_status_reason);
    if !l.sub_lines.is_empty() {
        o.plain("sub_line_count", l.sub_lines.len());
    }
}

/// One field that differs: `expected` is `None` for a value the truth does not have
/// (spurious), `got` is `None` for a value that was not produced (missed).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mismatch {
    /// Dotted path, such as `seller.address.city` or `lines[2].unit_price`.
    pub path: String,
    pub expected: Option<Value>,
    pub got: Option<Value>,
}

/// Field counts of one comparison.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Score {
    /// Expected leaf values that were produced equal.
    pub right: usize,
    /// Expected leaf values.
    pub total: usize,
    /// Every difference: wrong and missing values, and values the truth does not have.
    pub mismatches: Vec<Mismatch>,
}

impl Score {
    /// Values produced that the truth does not have.
    pub fn spurious(&self) -> usize {
        self.mismatches
            .iter()
            .filter(|m| m.expected.is_none())
            .count()
    }
}

/// Every difference between an expected and a produced `fields` value.
pub fn compare(expected: &Value, got: &Value) -> Vec<Mismatch> {
    score(expected, got).mismatches
}

/// Compares an expected `fields` value with a produced one, counting expected leaf values.
pub fn score(expected: &Value, got: &Value) -> Score {
    let mut s = Score::default();
    walk("", "", Some(expected), Some(got), &mut s);
    s
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(path: &str, key: &str, exp: Option<&Value>, got: Option<&Value>, s: &mut Score) {
    match (exp, got) {
        (None | Some(Value::Null), None | Some(Value::Null)) => {}
        (Some(Value::Object(e)), g) => {
            let empty = Map::new();
            let g = match g {
                Some(Value::Object(g)) => g,
                Some(other) => {
                    count_leaves(exp, s);
                    s.mismatches.push(Mismatch {
                        path: path.to_string(),
                        expected: exp.cloned(),
                        got: Some(other.clone()),
                    });
                    return;
                }
                None => &empty,
            };
            for (k, ev) in e {
                walk(&join(path, k), k, Some(ev), g.get(k), s);
            }
            for (k, gv) in g {
                if !e.contains_key(k) {
                    walk(&join(path, k), k, None, Some(gv), s);
                }
            }
        }
        (Some(Value::Array(e)), g) => {
            let empty = Vec::new();
            let g = match g {
                Some(Value::Array(g)) => g,
                Some(other) => {
                    count_leaves(exp, s);
                    s.mismatches.push(Mismatch {
                        path: path.to_string(),
                        expected: exp.cloned(),
                        got: Some(other.clone()),
                    });
                    return;
                }
                None => &empty,
            };
            for (i, j) in align(e, g) {
                let p = format!("{path}[{}]", i.or(j).unwrap_or(0));
                walk(&p, key, i.map(|i| &e[i]), j.map(|j| &g[j]), s);
            }
        }
        (None | Some(Value::Null), Some(g)) => {
            // Produced, but not in the truth: every leaf is spurious.
            match g {
                Value::Object(o) => {
                    for (k, v) in o {
                        walk(&join(path, k), k, None, Some(v), s);
                    }
                }
                Value::Array(a) => {
                    for (i, v) in a.iter().enumerate() {
                        walk(&format!("{path}[{i}]"), key, None, Some(v), s);
                    }
                }
                leaf => s.mismatches.push(Mismatch {
                    path: path.to_string(),
                    expected: None,
                    got: Some(leaf.clone()),
                }),
            }
        }
        (Some(e), g) => {
            s.total += 1;
            if g.is_some_and(|g| leaf_eq(key, e, g)) {
                s.right += 1;
            } else {
                s.mismatches.push(Mismatch {
                    path: path.to_string(),
                    expected: Some(e.clone()),
                    got: g.cloned(),
                });
            }
        }
    }
}

fn count_leaves(v: Option<&Value>, s: &mut Score) {
    match v {
        Some(Value::Object(o)) => o.values().for_each(|v| count_leaves(Some(v), s)),
        Some(Value::Array(a)) => a.iter().for_each(|v| count_leaves(Some(v), s)),
        Some(Value::Null) | None => {}
        Some(_) => s.total += 1,
    }
}

/// Pairs of indexes to compare: by `id` when every element on both sides has a unique one,
/// else by position.
fn align(e: &[Value], g: &[Value]) -> Vec<(Option<usize>, Option<usize>)> {
    let ids = |v: &[Value]| -> Option<Vec<String>> {
        let ids: Vec<String> = v
            .iter()
            .map(|x| {
                x.get("id")
                    .and_then(Value::as_str)
                    .map(|s| s.trim().to_string())
            })
            .collect::<Option<_>>()?;
        let unique: HashSet<&String> = ids.iter().collect();
        (unique.len() == ids.len()).then_some(ids)
    };
    if let (Some(ei), Some(gi)) = (ids(e), ids(g))
        && ei != gi
    {
        let mut pairs: Vec<(Option<usize>, Option<usize>)> = ei
            .iter()
            .enumerate()
            .map(|(i, id)| (Some(i), gi.iter().position(|x| x == id)))
            .collect();
        for (j, id) in gi.iter().enumerate() {
            if !ei.contains(id) {
                pairs.push((None, Some(j)));
            }
        }
        return pairs;
    }
    (0..e.len().max(g.len()))
        .map(|i| ((i < e.len()).then_some(i), (i < g.len()).then_some(i)))
        .collect()
}

fn as_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

fn leaf_eq(key: &str, e: &Value, g: &Value) -> bool {
    if NUMERIC_KEYS.contains(&key)
        && let (Some(a), Some(b)) = (as_decimal(e), as_decimal(g))
    {
        return a == b;
    }
    match (e, g) {
        (Value::String(a), Value::String(b)) => a.trim() == b.trim(),
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doxin_model::Extracted;
    use serde_json::json;

    #[test]
    fn confidences_follow_the_output_paths() {
        let mut inv = Invoice {
            invoice_number: Some(Extracted::xml("A-1".to_string())),
            ..Invoice::default()
        };
        inv.seller.address.city = Some(Extracted::new(
            "Kiel".to_string(),
            doxin_model::Source::Ocr,
            0.5,
        ));
        inv.lines.push(InvoiceLine {
            quantity: Some(Extracted::xml(Decimal::new(20_0000, 4))),
            ..InvoiceLine::default()
        });
        let f = to_fields(&inv);
        assert_eq!(f["lines"][0]["quantity"], "20.0000");
        let c = field_confidences(&inv);
        assert_eq!(c.get("invoice_id"), Some(&1.0));
        assert_eq!(c.get("seller.address.city"), Some(&0.5));
        assert_eq!(c.get("lines[0].quantity"), Some(&1.0));
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn amounts_compare_numerically_and_strings_after_trimming() {
        let exp = json!({"invoice_id": "0020", "totals": {"tax_amount": "20.0000"},
                         "lines": [{"id": "1", "quantity": "2"}]});
        let got = json!({"invoice_id": " 0020 ", "totals": {"tax_amount": "20"},
                         "lines": [{"id": "1", "quantity": "2.00"}]});
        let s = score(&exp, &got);
        assert_eq!((s.right, s.total), (4, 4), "{:?}", s.mismatches);
        let got = json!({"invoice_id": "20", "totals": {"tax_amount": "20"}, "currency": "EUR"});
        let s = score(&exp, &got);
        assert_eq!((s.right, s.total), (1, 4));
        assert_eq!(s.spurious(), 1);
        assert!(
            s.mismatches
                .iter()
                .any(|m| m.path == "lines[0].quantity" && m.got.is_none())
        );
    }

    #[test]
    fn lines_align_by_id() {
        let exp =
            json!({"lines": [{"id": "1", "line_amount": "1"}, {"id": "2", "line_amount": "2"}]});
        let got = json!({"lines": [{"id": "2", "line_amount": "2"}]});
        let s = score(&exp, &got);
        assert_eq!((s.right, s.total), (2, 4));
    }
}
