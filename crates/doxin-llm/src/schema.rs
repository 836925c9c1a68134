//! The answer the model must give: a JSON schema (strict: every property required, `null`
//! when absent, no extra properties, amounts as decimal strings so no float touches money),
//! its Rust mirror [`LlmInvoice`], and the strict check that turns an answer into a canonical
//! [`Invoice`] with every value's source set to `llm`.

use std::str::FromStr;

use chrono::NaiveDate;
use doxin_model::{
    Address, BankAccount, DocumentType, Extracted, Invoice, InvoiceLine, Party, Source,
    VatBreakdown,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

/// The schema (and Anthropic tool) name.
pub const SCHEMA_NAME: &str = "record_invoice";

/// Confidence given to a value only the model saw. Below the default review threshold (0.8) on
/// purpose: an unconfirmed model value is a suggestion until arithmetic or agreement with the
/// rules backs it.
pub const LLM_CONFIDENCE: f32 = 0.75;

fn nullable(kind: &str, description: &str) -> Value {
    json!({"type": [kind, "null"], "description": description})
}

fn object(props: Vec<(&str, Value)>) -> Value {
    let required: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
    let properties: serde_json::Map<String, Value> =
        props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

fn party_schema() -> Value {
    object(vec![
        ("name", nullable("string", "legal name as printed")),
        (
            "vat_id",
            nullable("string", "VAT identifier with country prefix, no spaces"),
        ),
        ("street", nullable("string", "street and number")),
        ("postal_code", nullable("string", "postal code")),
        ("city", nullable("string", "city")),
        (
            "country",
            nullable("string", "ISO 3166-1 alpha-2 country code"),
        ),
    ])
}

const AMOUNT: &str = "decimal number as a string with a dot and no thousands separators, e.g. \"1234.50\"; negative for credits";

/// The JSON schema of an answer.
pub fn invoice_schema() -> Value {
    let amount = || nullable("string", AMOUNT);
    let date = |d: &str| nullable("string", &format!("{d} as YYYY-MM-DD"));
    object(vec![
        (
            "document_type",
            json!({"type": "string", "enum": ["invoice", "credit_note"]}),
        ),
        ("invoice_number", nullable("string", "the invoice number")),
        ("issue_date", date("issue date")),
        ("due_date", date("payment due date")),
        ("currency", nullable("string", "ISO 4217 code, e.g. EUR")),
        ("seller", party_schema()),
        ("buyer", party_schema()),
        (
            "purchase_order_ref",
            nullable("string", "buyer's order reference"),
        ),
        (
            "payment_terms",
            nullable("string", "payment terms as printed"),
        ),
        ("iban", nullable("string", "seller's IBAN without spaces")),
        ("bic", nullable("string", "seller's BIC")),
        (
            "totals",
            object(vec![
                ("net", amount()),
                ("tax", amount()),
                ("gross", amount()),
                ("payable", amount()),
            ]),
        ),
        (
            "vat_breakdown",
            json!({"type": "array", "items": object(vec![
                ("rate", nullable("string", "VAT rate in percent as a decimal string, e.g. \"19\"")),
                ("taxable_amount", amount()),
                ("tax_amount", amount()),
            ])}),
        ),
        (
            "lines",
            json!({"type": "array", "items": object(vec![
                ("description", nullable("string", "item name as printed")),
                ("quantity", amount()),
                ("unit_price", amount()),
                ("line_amount", nullable("string", "line net amount; same format as amounts")),
                ("vat_rate", nullable("string", "VAT rate in percent")),
            ])}),
        ),
    ])
}

/// A party as the model answers it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LlmParty {
    pub name: Option<String>,
    pub vat_id: Option<String>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmTotals {
    pub net: Option<String>,
    pub tax: Option<String>,
    pub gross: Option<String>,
    pub payable: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmVat {
    pub rate: Option<String>,
    pub taxable_amount: Option<String>,
    pub tax_amount: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmLine {
    pub description: Option<String>,
    pub quantity: Option<String>,
    pub unit_price: Option<String>,
    pub line_amount: Option<String>,
    pub vat_rate: Option<String>,
}

/// The answer, mirroring [`invoice_schema`]. Every property must be present (strict schema);
/// `Option` is the schema's `null`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmInvoice {
    pub document_type: String,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    pub due_date: Option<String>,
    pub currency: Option<String>,
    pub seller: LlmParty,
    pub buyer: LlmParty,
    pub purchase_order_ref: Option<String>,
    pub payment_terms: Option<String>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub totals: LlmTotals,
    pub vat_breakdown: Vec<LlmVat>,
    pub lines: Vec<LlmLine>,
}

/// Why an answer was not accepted: said back to the model in the repair request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseProblem {
    /// The JSON ended early.
    Truncated(String),
    /// Not JSON, or not the schema.
    Malformed(String),
    /// Nothing at all, or an empty object.
    Empty,
}

impl std::fmt::Display for ParseProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseProblem::Truncated(m) => write!(f, "the JSON ends early ({m})"),
            ParseProblem::Malformed(m) => f.write_str(m),
            ParseProblem::Empty => f.write_str("the answer is empty"),
        }
    }
}

/// Parses an answer strictly: JSON, the schema's shape, then the value formats (dates,
/// decimals, codes). Any deviation is a [`ParseProblem`].
pub fn parse_answer(content: &str) -> Result<Invoice, ParseProblem> {
    let trimmed = content.trim();
    if trimmed.is_empty() || trimmed == "{}" || trimmed == "null" {
        return Err(ParseProblem::Empty);
    }
    let answer: LlmInvoice = serde_json::from_str(trimmed).map_err(|e| {
        if e.is_eof() {
            ParseProblem::Truncated(e.to_string())
        } else {
            ParseProblem::Malformed(format!("it does not follow the schema: {e}"))
        }
    })?;
    to_invoice(&answer).map_err(ParseProblem::Malformed)
}

struct Conv {
    problems: Vec<String>,
}

impl Conv {
    fn text(&mut self, v: &Option<String>) -> Option<Extracted<String>> {
        let t = v.as_deref()?.trim();
        (!t.is_empty()).then(|| llm(t.to_string(), t))
    }

    fn code(&mut self, field: &str, v: &Option<String>, len: usize) -> Option<Extracted<String>> {
        let t = v.as_deref()?.trim();
        if t.is_empty() {
            return None;
        }
        if t.len() != len || !t.chars().all(|c| c.is_ascii_alphabetic()) {
            self.problems
                .push(format!("{field} must be a {len}-letter code, got {t:?}"));
            return None;
        }
        Some(llm(t.to_ascii_uppercase(), t))
    }

    fn compact(&mut self, v: &Option<String>) -> Option<Extracted<String>> {
        let t = v.as_deref()?.trim();
        let c: String = t
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        (!c.is_empty()).then(|| llm(c, t))
    }

    fn date(&mut self, field: &str, v: &Option<String>) -> Option<Extracted<NaiveDate>> {
        let t = v.as_deref()?.trim();
        if t.is_empty() {
            return None;
        }
        match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            Ok(d) => Some(llm(d, t)),
            Err(_) => {
                self.problems
                    .push(format!("{field} must be a date as YYYY-MM-DD, got {t:?}"));
                None
            }
        }
    }

    fn amount(&mut self, field: &str, v: &Option<String>) -> Option<Extracted<Decimal>> {
        let t = v.as_deref()?.trim();
        if t.is_empty() {
            return None;
        }
        let plain = t
            .strip_prefix('-')
            .unwrap_or(t)
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.');
        match Decimal::from_str(t) {
            Ok(d) if plain => Some(llm(d, t)),
            _ => {
                self.problems.push(format!(
                    "{field} must be a decimal string like \"1234.50\", got {t:?}"
                ));
                None
            }
        }
    }

    fn party(&mut self, who: &str, p: &LlmParty) -> Party {
        Party {
            name: self.text(&p.name),
            vat_id: self.compact(&p.vat_id),
            address: Address {
                line1: self.text(&p.street),
                postal_code: self.text(&p.postal_code),
                city: self.text(&p.city),
                country: self.code(&format!("{who}.country"), &p.country, 2),
                ..Address::default()
            },
            ..Party::default()
        }
    }
}

fn llm<T>(value: T, raw: &str) -> Extracted<T> {
    Extracted::new(value, Source::Llm, LLM_CONFIDENCE).with_raw(raw)
}

/// Converts a schema-shaped answer, checking each value's format.
pub fn to_invoice(a: &LlmInvoice) -> Result<Invoice, String> {
    let mut c = Conv {
        problems: Vec::new(),
    };
    let document_type = match a.document_type.as_str() {
        "invoice" => DocumentType::Invoice,
        "credit_note" => DocumentType::CreditNote,
        other => {
            c.problems.push(format!(
                "document_type must be \"invoice\" or \"credit_note\", got {other:?}"
            ));
            DocumentType::Invoice
        }
    };
    let mut inv = Invoice {
        document_type,
        invoice_number: c.text(&a.invoice_number),
        issue_date: c.date("issue_date", &a.issue_date),
        due_date: c.date("due_date", &a.due_date),
        currency: c.code("currency", &a.currency, 3),
        seller: c.party("seller", &a.seller),
        buyer: c.party("buyer", &a.buyer),
        purchase_order_ref: c.text(&a.purchase_order_ref),
        payment_terms: c.text(&a.payment_terms),
        ..Invoice::default()
    };
    let iban = c.compact(&a.iban);
    let bic = c.compact(&a.bic);
    if iban.is_some() || bic.is_some() {
        inv.bank_accounts.push(BankAccount {
            iban,
            bic,
            ..BankAccount::default()
        });
    }
    inv.totals.tax_exclusive_amount = c.amount("totals.net", &a.totals.net);
    inv.totals.tax_amount = c.amount("totals.tax", &a.totals.tax);
    inv.totals.tax_inclusive_amount = c.amount("totals.gross", &a.totals.gross);
    inv.totals.payable_amount = c.amount("totals.payable", &a.totals.payable);
    for (i, v) in a.vat_breakdown.iter().enumerate() {
        inv.vat_breakdown.push(VatBreakdown {
            rate: c.amount(&format!("vat_breakdown[{i}].rate"), &v.rate),
            taxable_amount: c.amount(
                &format!("vat_breakdown[{i}].taxable_amount"),
                &v.taxable_amount,
            ),
            tax_amount: c.amount(&format!("vat_breakdown[{i}].tax_amount"), &v.tax_amount),
            ..VatBreakdown::default()
        });
    }
    for (i, l) in a.lines.iter().enumerate() {
        inv.lines.push(InvoiceLine {
            description: c.text(&l.description),
            quantity: c.amount(&format!("lines[{i}].quantity"), &l.quantity),
            unit_price: c.amount(&format!("lines[{i}].unit_price"), &l.unit_price),
            line_amount: c.amount(&format!("lines[{i}].line_amount"), &l.line_amount),
            vat_rate: c.amount(&format!("lines[{i}].vat_rate"), &l.vat_rate),
            ..InvoiceLine::default()
        });
    }
    if !inv.lines.is_empty() {
        let sum: Decimal = inv
            .lines
            .iter()
            .filter_map(|l| l.line_amount.as_ref().map(|a| a.value))
            .sum();
        inv.totals.line_extension_amount = Some(Extracted::new(sum, Source::Llm, LLM_CONFIDENCE));
    }
    if c.problems.is_empty() {
        Ok(inv)
    } else {
        Err(c.problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Value {
        json!({
            "document_type": "invoice",
            "invoice_number": "RE-2024-001",
            "issue_date": "2024-03-01",
            "due_date": null,
            "currency": "EUR",
            "seller": {"name": "Müller GmbH", "vat_id": "DE 123456789", "street": null,
                       "postal_code": null, "city": "Berlin", "country": "DE"},
            "buyer": {"name": "Kunde AG", "vat_id": null, "street": null, "postal_code": null,
                      "city": null, "country": null},
            "purchase_order_ref": null, "payment_terms": null, "iban": null, "bic": null,
            "totals": {"net": "100.00", "tax": "19.00", "gross": "119.00", "payable": null},
            "vat_breakdown": [],
            "lines": [{"description": "Bürostuhl", "quantity": "1", "unit_price": "100.00",
                       "line_amount": "100.00", "vat_rate": "19"}]
        })
    }

    #[test]
    fn schema_is_strict_everywhere() {
        fn check(v: &Value) {
            if v.get("type") == Some(&json!("object")) {
                assert_eq!(v["additionalProperties"], json!(false), "{v}");
                let props = v["properties"].as_object().expect("properties");
                let req: Vec<&str> = v["required"]
                    .as_array()
                    .expect("required")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                assert_eq!(props.len(), req.len());
                for p in props.values() {
                    check(p);
                }
            }
            if let Some(items) = v.get("items") {
                check(items);
            }
        }
        check(&invoice_schema());
    }

    #[test]
    fn a_good_answer_becomes_an_llm_sourced_invoice() {
        let inv = parse_answer(&sample().to_string()).expect("valid");
        let n = inv.invoice_number.expect("number");
        assert_eq!(n.value, "RE-2024-001");
        assert_eq!(n.source, Source::Llm);
        assert_eq!(inv.seller.vat_id.expect("vat").value, "DE123456789");
        assert_eq!(
            inv.totals.tax_inclusive_amount.expect("gross").value,
            Decimal::new(11900, 2)
        );
        assert_eq!(inv.lines.len(), 1);
    }

    #[test]
    fn deviations_are_named() {
        let mut v = sample();
        v["issue_date"] = json!("01.03.2024");
        v["totals"]["gross"] = json!("1.190,00");
        let Err(ParseProblem::Malformed(m)) = parse_answer(&v.to_string()) else {
            panic!("expected malformed");
        };
        assert!(
            m.contains("issue_date") && m.contains("totals.gross"),
            "{m}"
        );

        let mut v = sample();
        v["extra"] = json!(1);
        assert!(matches!(
            parse_answer(&v.to_string()),
            Err(ParseProblem::Malformed(_))
        ));
        let mut v = sample();
        v.as_object_mut().map(|o| o.remove("lines"));
        assert!(matches!(
            parse_answer(&v.to_string()),
            Err(ParseProblem::Malformed(_))
        ));
        let text = sample().to_string();
        assert!(matches!(
            parse_answer(&text[..text.len() / 2]),
            Err(ParseProblem::Truncated(_))
        ));
        assert_eq!(parse_answer("  "), Err(ParseProblem::Empty));
        assert!(matches!(
            parse_answer("Sorry, here is the invoice: {"),
            Err(ParseProblem::Malformed(_))
        ));
    }
}
