//! The canonical invoice (`doxin_model::Invoice`) as the API serialises it: in invoice detail,
//! in exports, and in the bodies that change an invoice.
//!
//! Every field is optional: extraction may not find it and empty values are left out (the
//! model's `skip_serializing_if`), so only `document_type` and `totals` are always present.
//! Amounts are decimal strings (exact, never floats); each extracted value carries its
//! provenance (`Extracted`).

use serde_json::{Map, Value, json};

use super::{boolean, enumeration, schema_ref, string};

/// `Extracted<T>` with `value` of schema `value`.
fn extracted(description: &str, value: Value) -> Value {
    json!({
        "type": "object",
        "description": description,
        "required": ["value", "confidence", "source"],
        "properties": {
            "value": value,
            "raw_text": { "type": "string", "description": "As written, before normalisation" },
            "confidence": { "type": "number", "minimum": 0, "maximum": 1 },
            "page": { "type": "integer", "minimum": 0, "description": "1-based page number" },
            "bbox": {
                "type": "object",
                "required": ["x0", "y0", "x1", "y1"],
                "properties": {
                    "x0": { "type": "number" }, "y0": { "type": "number" },
                    "x1": { "type": "number" }, "y1": { "type": "number" },
                },
            },
            "source": enumeration(&["xml", "text", "ocr", "llm", "human"]),
        },
    })
}

fn text() -> Value {
    schema_ref("ExtractedText")
}

fn amount() -> Value {
    schema_ref("ExtractedDecimal")
}

fn date() -> Value {
    schema_ref("ExtractedDate")
}

/// An object of optional properties.
fn optional(description: &str, properties: Value) -> Value {
    json!({ "type": "object", "description": description, "properties": properties })
}

fn array(item: Value) -> Value {
    json!({ "type": "array", "items": item })
}

/// A decimal number as a string, as amounts are written.
pub(super) fn decimal_string() -> Value {
    json!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$" })
}

pub(super) fn schemas() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "ExtractedText".into(),
        extracted("A text value with its provenance.", string()),
    );
    m.insert(
        "ExtractedDecimal".into(),
        extracted(
            "An amount or quantity (decimal string) with its provenance.",
            decimal_string(),
        ),
    );
    m.insert(
        "ExtractedDate".into(),
        extracted(
            "A date with its provenance.",
            json!({ "type": "string", "format": "date" }),
        ),
    );
    m.insert(
        "Address".into(),
        optional(
            "A postal address; `country` is ISO 3166-1 alpha-2.",
            json!({
                "line1": text(), "line2": text(), "line3": text(), "city": text(),
                "postal_code": text(), "country_subdivision": text(), "country": text(),
            }),
        ),
    );
    m.insert(
        "Party".into(),
        optional(
            "Seller, buyer, payee or ship-to party.",
            json!({
                "name": text(),
                "trading_name": text(),
                "address": schema_ref("Address"),
                "vat_id": text(),
                "tax_registration_id": text(),
                "legal_registration_id": text(),
                "identifier": text(),
                "contact": optional(
                    "A contact point.",
                    json!({ "name": text(), "phone": text(), "email": text() }),
                ),
                "electronic_address": text(),
            }),
        ),
    );
    m.insert(
        "InvoiceLine".into(),
        optional(
            "An invoice line (BG-25); sub-lines are full lines.",
            json!({
                "id": text(),
                "description": text(),
                "item_description": text(),
                "seller_item_id": text(),
                "quantity": amount(),
                "unit_code": text(),
                "unit_price": amount(),
                "price_base_quantity": amount(),
                "gross_unit_price": amount(),
                "allowance_amount": amount(),
                "charge_amount": amount(),
                "line_amount": amount(),
                "vat_category": text(),
                "vat_rate": amount(),
                "description_from": string(),
                "note": text(),
                "parent_line_id": text(),
                "line_status_reason": text(),
                "sub_lines": array(schema_ref("InvoiceLine")),
            }),
        ),
    );
    let totals = optional(
        "Document totals (BG-22).",
        json!({
            "line_extension_amount": amount(),
            "allowance_total_amount": amount(),
            "charge_total_amount": amount(),
            "tax_exclusive_amount": amount(),
            "tax_amount": amount(),
            "tax_inclusive_amount": amount(),
            "prepaid_amount": amount(),
            "rounding_amount": amount(),
            "payable_amount": amount(),
            "tax_amount_in_tax_currency": amount(),
            "tax_totals": array(optional(
                "The total of one tax type.",
                json!({ "amount": amount(), "currency": text(), "tax_schemes": array(text()) }),
            )),
        }),
    );
    let vat = optional(
        "One row of the VAT breakdown (BG-23).",
        json!({
            "category": text(), "rate": amount(), "taxable_amount": amount(),
            "tax_amount": amount(), "exemption_reason": text(),
        }),
    );
    let allowance = json!({
        "type": "object",
        "description": "A document-level allowance or charge.",
        "required": ["is_charge"],
        "properties": {
            "is_charge": boolean(),
            "amount": amount(), "base_amount": amount(), "percent": amount(),
            "reason": text(), "tax_category": text(), "tax_rate": amount(),
        },
    });
    let bank = optional(
        "A payment account (BG-17).",
        json!({ "iban": text(), "bic": text(), "account_number": text(), "account_name": text() }),
    );
    let legacy = optional(
        "Fields of the earlier system that EN 16931 does not name.",
        json!({
            "sales_order_id": text(), "ship_date": date(), "ship_via": text(), "fob": text(),
            "tracking_number": text(), "territory": text(), "salesperson": text(),
            "order_status": text(), "payment_status": text(), "special_instructions": text(),
        }),
    );
    m.insert(
        "Invoice".into(),
        json!({
            "type": "object",
            "description": "The canonical invoice (EN 16931 semantics); absent values are left out.",
            "required": ["document_type", "totals"],
            "properties": {
                "document_type": enumeration(&["invoice", "credit_note"]),
                "syntax": enumeration(&["UBL", "CII", "ZUGFeRD-1.0-CII", "FatturaPA"]),
                "document_kind": string(),
                "customization_id": text(),
                "profile_id": text(),
                "type_code": text(),
                "invoice_number": text(),
                "issue_date": date(),
                "due_date": date(),
                "delivery_date": date(),
                "service_period_start": date(),
                "service_period_end": date(),
                "currency": text(),
                "tax_currency": text(),
                "purchase_order_ref": text(),
                "sales_order_ref": text(),
                "despatch_ref": text(),
                "contract_ref": text(),
                "buyer_reference": text(),
                "customer_number": text(),
                "payment_terms": text(),
                "payment_reference": text(),
                "seller": schema_ref("Party"),
                "buyer": schema_ref("Party"),
                "ship_to": schema_ref("Party"),
                "payee": schema_ref("Party"),
                "totals": totals,
                "vat_breakdown": array(vat),
                "allowances_charges": array(allowance),
                "bank_accounts": array(bank),
                "notes": array(string()),
                "note_only_lines": array(string()),
                "legacy": legacy,
                "lines": array(schema_ref("InvoiceLine")),
            },
        }),
    );
    let plain = plain_schemas(&m);
    m.extend(plain);
    m
}

/// The schemas a correction is written in (`doxin_model::correction`): the canonical ones with
/// every extracted value replaced by its plain value, nothing required, and `null` allowed to
/// remove a value. Derived from the canonical schemas so the two cannot drift apart.
fn plain_schemas(canonical: &Map<String, Value>) -> Map<String, Value> {
    const PREFIX: &str = "#/components/schemas/";
    fn plain(v: &Value) -> Value {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    let name = r.strip_prefix(PREFIX).unwrap_or(r);
                    return match name {
                        "ExtractedText" => json!({ "type": ["string", "number", "null"] }),
                        "ExtractedDecimal" => json!({
                            "type": ["string", "number", "null"],
                            "pattern": "^ *-?[0-9]+(\\.[0-9]+)? *$",
                        }),
                        "ExtractedDate" => json!({ "type": ["string", "null"], "format": "date" }),
                        other => json!({ "$ref": format!("{PREFIX}Plain{other}") }),
                    };
                }
                let mut out = Map::new();
                for (k, child) in o {
                    match k.as_str() {
                        "required" => {}
                        "type" if child == "object" => {
                            out.insert(k.clone(), json!(["object", "null"]));
                        }
                        "type" if child == "array" => {
                            out.insert(k.clone(), json!(["array", "null"]));
                        }
                        "properties" => {
                            let props = child
                                .as_object()
                                .map(|p| p.iter().map(|(n, s)| (n.clone(), plain(s))).collect())
                                .unwrap_or_default();
                            out.insert(k.clone(), Value::Object(props));
                        }
                        _ => {
                            out.insert(k.clone(), plain(child));
                        }
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(plain).collect()),
            other => other.clone(),
        }
    }
    ["Invoice", "Party", "Address", "InvoiceLine"]
        .into_iter()
        .filter_map(|name| {
            canonical
                .get(name)
                .map(|schema| (format!("Plain{name}"), plain(schema)))
        })
        .collect()
}
