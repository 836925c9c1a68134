//! UBL export, then re-import with the extraction engine: every value must come back.
//!
//! Two checks per document: the evaluator's view (`fields::compare` of `to_fields`, the
//! acceptance criterion) and a stricter one over the whole model, value by value (provenance
//! aside), so fields the evaluator does not look at (payee, ship-to, bank accounts, allowances,
//! the VAT breakdown, notes, …) are covered too. Values the re-import adds (a default
//! specification id or type code, the syntax) are allowed; values it loses or changes are not.

use chrono::NaiveDate;
use doxin_extract::fields::{compare, to_fields};
use doxin_extract::pipeline::{ExtractOptions, ExtractionPath, extract};
use doxin_model::invoice::TaxTotal;
use doxin_model::{
    AllowanceCharge, BankAccount, Decimal, DocumentType, Extracted, Field, Invoice, InvoiceLine,
    Party, VatBreakdown,
};
use doxin_reports::{ExportError, to_ubl};
use doxin_synth::{Country, Language, LayoutKind, Spec};
use rust_decimal_macros::dec;
use serde_json::Value;

pub(crate) fn s(v: &str) -> Field<String> {
    Some(Extracted::human(v.to_string()))
}

pub(crate) fn d(v: Decimal) -> Field<Decimal> {
    Some(Extracted::human(v))
}

pub(crate) fn date(y: i32, m: u32, day: u32) -> Field<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, day).map(Extracted::human)
}

/// Exports, checks the result parses as an e-invoice, and re-imports it with the engine.
pub(crate) fn round_trip(inv: &Invoice) -> (String, Invoice) {
    let xml = to_ubl(inv).expect("export");
    let extraction = extract(xml.as_bytes(), &ExtractOptions::default())
        .unwrap_or_else(|e| panic!("re-import failed: {e}\n{xml}"));
    assert_eq!(extraction.path, ExtractionPath::Xml);
    (xml, extraction.invoice)
}

/// The model as JSON with every `Extracted` reduced to its value.
fn values(inv: &Invoice) -> Value {
    fn strip(v: Value) -> Value {
        match v {
            Value::Object(mut m) if m.contains_key("value") && m.contains_key("source") => {
                strip(m.remove("value").unwrap_or(Value::Null))
            }
            Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, strip(v))).collect()),
            Value::Array(a) => Value::Array(a.into_iter().map(strip).collect()),
            other => other,
        }
    }
    strip(serde_json::to_value(inv).expect("serialise"))
}

/// Every value of `expected` at the same place in `got` (arrays: same length too).
fn missing_values(path: &str, expected: &Value, got: &Value, out: &mut Vec<String>) {
    match (expected, got) {
        (Value::Object(e), Value::Object(g)) => {
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                match g.get(k) {
                    Some(gv) => missing_values(&p, ev, gv, out),
                    None => out.push(format!("{p}: expected {ev}, missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(g)) if e.len() == g.len() => {
            for (i, (ev, gv)) in e.iter().zip(g).enumerate() {
                missing_values(&format!("{path}[{i}]"), ev, gv, out);
            }
        }
        (e, g) if e == g => {}
        (e, g) => out.push(format!("{path}: expected {e}, got {g}")),
    }
}

/// Asserts that the re-imported invoice keeps every value of the original, both as the
/// evaluator compares fields and over the whole model.
pub(crate) fn assert_kept(original: &Invoice, back: &Invoice, xml: &str) {
    let lost: Vec<_> = compare(&to_fields(original), &to_fields(back))
        .into_iter()
        .filter(|m| m.expected.is_some())
        .collect();
    assert!(lost.is_empty(), "fields lost: {lost:#?}\n{xml}");
    let mut missing = Vec::new();
    missing_values("", &values(original), &values(back), &mut missing);
    assert!(missing.is_empty(), "values lost: {missing:#?}\n{xml}");
}

#[test]
fn twenty_synthetic_invoices_keep_every_field() {
    let mut fields = 0;
    for seed in 0..20u64 {
        let i = seed as usize;
        let mut spec = Spec::default().with_layout(LayoutKind::ALL[i % LayoutKind::ALL.len()]);
        spec = if seed % 2 == 0 {
            spec.with_language(Language::ALL[i % Language::ALL.len()])
        } else {
            spec.with_country(Country::ALL[i % Country::ALL.len()])
        };
        let truth = doxin_synth::generate(seed, &spec).truth;
        let (xml, back) = round_trip(&truth);
        assert_kept(&truth, &back, &xml);
        let s = doxin_extract::fields::score(&to_fields(&truth), &to_fields(&back));
        assert_eq!(s.right, s.total, "seed {seed}");
        fields += s.total;
    }
    assert!(
        fields > 20 * 20,
        "the synthetic truths carry fields: {fields}"
    );
}

fn seller() -> Party {
    let mut p = Party {
        name: s("Muster GmbH"),
        trading_name: s("Muster"),
        vat_id: s("DE123456789"),
        tax_registration_id: s("201/113/40209"),
        legal_registration_id: s("HRB 12345"),
        identifier: s("SUP-9"),
        electronic_address: s("billing@muster.example"),
        ..Party::default()
    };
    p.address.line1 = s("Hauptstraße 1");
    p.address.line2 = s("Hinterhaus");
    p.address.line3 = s("3. OG");
    p.address.city = s("Berlin");
    p.address.postal_code = s("10115");
    p.address.country_subdivision = s("BE");
    p.address.country = s("DE");
    p.contact.name = s("Erika Muster");
    p.contact.phone = s("+49 30 123456");
    p.contact.email = s("erika@muster.example");
    p
}

fn buyer() -> Party {
    let mut p = Party {
        name: s("Käufer AG"),
        vat_id: s("DE987654321"),
        identifier: s("CUST-42"),
        ..Party::default()
    };
    p.address.city = s("Hamburg");
    p.address.country = s("DE");
    p
}

fn line(id: &str, qty: Decimal, price: Decimal, amount: Decimal, rate: Decimal) -> InvoiceLine {
    InvoiceLine {
        id: s(id),
        description: s(&format!("Item {id}")),
        quantity: d(qty),
        unit_code: s("C62"),
        unit_price: d(price),
        line_amount: d(amount),
        vat_category: s("S"),
        vat_rate: d(rate),
        ..InvoiceLine::default()
    }
}

fn vat(rate: Decimal, taxable: Decimal, tax: Decimal) -> VatBreakdown {
    VatBreakdown {
        category: s("S"),
        rate: d(rate),
        taxable_amount: d(taxable),
        tax_amount: d(tax),
        exemption_reason: None,
    }
}

/// A full invoice: two VAT rates, document allowance and charge, line details, IBAN, payee,
/// delivery, references, notes.
pub(crate) fn full_invoice() -> Invoice {
    let mut inv = Invoice {
        customization_id: s("urn:cen.eu:en16931:2017"),
        profile_id: s("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"),
        type_code: s("380"),
        invoice_number: s("RE-2024-0001"),
        issue_date: date(2024, 3, 1),
        due_date: date(2024, 3, 31),
        delivery_date: date(2024, 2, 28),
        service_period_start: date(2024, 2, 1),
        service_period_end: date(2024, 2, 29),
        currency: s("EUR"),
        purchase_order_ref: s("PO-77"),
        sales_order_ref: s("SO-88"),
        despatch_ref: s("DESADV-5"),
        contract_ref: s("CON-2023-7"),
        buyer_reference: s("04011000-12345-03"),
        customer_number: s("CUST-42"),
        payment_terms: s("30 days net, 2 % within 10 days"),
        payment_reference: s("RE-2024-0001 / CUST-42"),
        seller: seller(),
        buyer: buyer(),
        notes: vec!["First note".into(), "Second note".into()],
        ..Invoice::default()
    };
    inv.payee = Some(Party {
        name: s("Factoring Bank AG"),
        identifier: s("PAYEE-1"),
        legal_registration_id: s("HRB 999"),
        ..Party::default()
    });
    let mut ship_to = Party {
        name: s("Warehouse North"),
        identifier: s("GLN-4000001000005"),
        ..Party::default()
    };
    ship_to.address.line1 = s("Dock 4");
    ship_to.address.city = s("Bremen");
    ship_to.address.postal_code = s("28195");
    ship_to.address.country = s("DE");
    inv.ship_to = Some(ship_to);
    inv.bank_accounts = vec![
        BankAccount {
            iban: s("DE02120300000000202051"),
            bic: s("BYLADEM1001"),
            account_name: s("Muster GmbH"),
            ..BankAccount::default()
        },
        BankAccount {
            account_number: s("123456789"),
            ..BankAccount::default()
        },
    ];
    let mut l1 = line("1", dec!(10.000), dec!(12.50), dec!(120.00), dec!(19.00));
    l1.item_description = s("Blue, size L");
    l1.seller_item_id = s("SKU-1");
    l1.note = s("Line note");
    l1.price_base_quantity = d(dec!(1));
    l1.allowance_amount = d(dec!(10.00));
    l1.charge_amount = d(dec!(5.00));
    let l2 = line("2", dec!(3), dec!(20.00), dec!(60.00), dec!(7.00));
    inv.lines = vec![l1, l2];
    inv.allowances_charges = vec![
        AllowanceCharge {
            is_charge: false,
            amount: d(dec!(12.00)),
            base_amount: d(dec!(120.00)),
            percent: d(dec!(10)),
            reason: s("Volume discount"),
            tax_category: s("S"),
            tax_rate: d(dec!(19.00)),
        },
        AllowanceCharge {
            is_charge: true,
            amount: d(dec!(7.00)),
            reason: s("Freight"),
            tax_category: s("S"),
            tax_rate: d(dec!(7.00)),
            ..AllowanceCharge::default()
        },
    ];
    let t = &mut inv.totals;
    t.line_extension_amount = d(dec!(180.00));
    t.allowance_total_amount = d(dec!(12.00));
    t.charge_total_amount = d(dec!(7.00));
    t.tax_exclusive_amount = d(dec!(175.00));
    t.tax_amount = d(dec!(25.21));
    t.tax_inclusive_amount = d(dec!(200.21));
    t.prepaid_amount = d(dec!(50.00));
    t.rounding_amount = d(dec!(-0.01));
    t.payable_amount = d(dec!(150.20));
    inv.vat_breakdown = vec![
        vat(dec!(19.00), dec!(108.00), dec!(20.52)),
        vat(dec!(7.00), dec!(67.00), dec!(4.69)),
    ];
    inv
}

#[test]
fn full_invoice_with_allowances_rates_iban_payee_and_delivery() {
    let inv = full_invoice();
    let (xml, back) = round_trip(&inv);
    assert_kept(&inv, &back, &xml);
    assert!(xml.contains(r#"<cbc:PayableRoundingAmount currencyID="EUR">-0.01<"#));
    assert!(xml.contains(r#"<cbc:InvoicedQuantity unitCode="C62">10.000<"#));
    assert_eq!(back.bank_accounts.len(), 2);
    assert_eq!(back.vat_breakdown.len(), 2);
}

#[test]
fn elements_follow_the_ubl_schema_order() {
    let xml = to_ubl(&full_invoice()).expect("export");
    let order = [
        "<cbc:CustomizationID>",
        "<cbc:ProfileID>",
        "<cbc:ID>RE-2024-0001",
        "<cbc:IssueDate>",
        "<cbc:DueDate>",
        "<cbc:InvoiceTypeCode>",
        "<cbc:Note>First",
        "<cbc:DocumentCurrencyCode>",
        "<cbc:BuyerReference>",
        "<cac:InvoicePeriod>",
        "<cac:OrderReference>",
        "<cac:DespatchDocumentReference>",
        "<cac:ContractDocumentReference>",
        "<cac:AccountingSupplierParty>",
        "<cac:AccountingCustomerParty>",
        "<cac:PayeeParty>",
        "<cac:Delivery>",
        "<cac:PaymentMeans>",
        "<cac:PaymentTerms>",
        "<cac:AllowanceCharge>",
        "<cac:TaxTotal>",
        "<cac:LegalMonetaryTotal>",
        "<cac:InvoiceLine>",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|tag| {
            xml.find(tag)
                .unwrap_or_else(|| panic!("{tag} missing\n{xml}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "out of order: {order:?} at {positions:?}"
    );
    // Inside a party and a line, too.
    let party = [
        "<cbc:EndpointID>",
        "<cac:PartyIdentification>",
        "<cac:PartyName>",
        "<cac:PostalAddress>",
        "<cac:PartyTaxScheme>",
        "<cac:PartyLegalEntity>",
        "<cac:Contact>",
    ];
    let p: Vec<usize> = party.iter().filter_map(|t| xml.find(t)).collect();
    assert_eq!(p.len(), party.len());
    assert!(p.windows(2).all(|w| w[0] < w[1]), "party order");
    let line_xml = &xml[xml.find("<cac:InvoiceLine>").unwrap_or(0)..];
    let line = [
        "<cbc:ID>",
        "<cbc:Note>",
        "<cbc:InvoicedQuantity",
        "<cbc:LineExtensionAmount",
        "<cac:AllowanceCharge>",
        "<cac:Item>",
        "<cbc:Description>",
        "<cbc:Name>",
        "<cac:SellersItemIdentification>",
        "<cac:ClassifiedTaxCategory>",
        "<cac:Price>",
    ];
    let p: Vec<usize> = line.iter().filter_map(|t| line_xml.find(t)).collect();
    assert_eq!(p.len(), line.len());
    assert!(p.windows(2).all(|w| w[0] < w[1]), "line order");
}

#[test]
fn credit_note_is_a_ubl_credit_note() {
    let mut inv = full_invoice();
    inv.document_type = DocumentType::CreditNote;
    inv.type_code = s("381");
    let (xml, back) = round_trip(&inv);
    assert!(xml.contains(
        "<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\""
    ));
    assert!(xml.contains("<cac:CreditNoteLine>") && xml.contains("<cbc:CreditedQuantity"));
    assert!(
        !xml.contains("<cbc:DueDate>"),
        "a UBL 2.1 credit note has no DueDate"
    );
    assert!(xml.contains("<cbc:PaymentDueDate>2024-03-31</cbc:PaymentDueDate>"));
    assert_eq!(back.document_type, DocumentType::CreditNote);
    assert_eq!(back.document_kind.as_deref(), Some("CreditNote"));
    assert_kept(&inv, &back, &xml);
}

#[test]
fn credit_note_without_type_code_gets_381() {
    let mut inv = minimal_invoice();
    inv.document_type = DocumentType::CreditNote;
    let (xml, back) = round_trip(&inv);
    assert!(xml.contains("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"));
    assert_eq!(back.document_type, DocumentType::CreditNote);
    assert_kept(&inv, &back, &xml);
}

/// Only what EN 16931 requires: number, date, currency, seller and buyer names and
/// countries, totals, one VAT row, one line.
pub(crate) fn minimal_invoice() -> Invoice {
    let mut inv = Invoice {
        invoice_number: s("1"),
        issue_date: date(2024, 1, 2),
        currency: s("EUR"),
        ..Invoice::default()
    };
    inv.seller.name = s("Seller");
    inv.seller.address.country = s("FR");
    inv.buyer.name = s("Buyer");
    inv.buyer.address.country = s("FR");
    inv.lines = vec![InvoiceLine {
        id: s("1"),
        description: s("Thing"),
        quantity: d(dec!(1)),
        unit_code: s("C62"),
        unit_price: d(dec!(100)),
        line_amount: d(dec!(100)),
        vat_category: s("S"),
        vat_rate: d(dec!(20)),
        ..InvoiceLine::default()
    }];
    inv.vat_breakdown = vec![vat(dec!(20), dec!(100), dec!(20))];
    let t = &mut inv.totals;
    t.line_extension_amount = d(dec!(100));
    t.tax_exclusive_amount = d(dec!(100));
    t.tax_amount = d(dec!(20));
    t.tax_inclusive_amount = d(dec!(120));
    t.payable_amount = d(dec!(120));
    inv
}

#[test]
fn minimal_invoice_round_trips_without_empty_groups() {
    let inv = minimal_invoice();
    let (xml, back) = round_trip(&inv);
    assert_kept(&inv, &back, &xml);
    for absent in [
        "<cac:PaymentMeans",
        "<cac:Delivery",
        "<cac:InvoicePeriod",
        "<cac:OrderReference",
        "<cac:PartyTaxScheme",
        "<cac:Contact",
        "<cac:PayeeParty",
        "<cbc:DueDate",
    ] {
        assert!(
            !xml.contains(absent),
            "{absent} written for a minimal invoice\n{xml}"
        );
    }
    assert!(xml.contains("<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>"));
    assert!(xml.contains("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"));
}

#[test]
fn an_invoice_without_currency_is_refused() {
    let mut inv = minimal_invoice();
    inv.currency = None;
    assert!(matches!(to_ubl(&inv), Err(ExportError::MissingCurrency)));
}

#[test]
fn hostile_text_is_escaped_and_forbidden_characters_dropped() {
    let mut inv = minimal_invoice();
    inv.seller.name = s("Smith & Sons <\"Ltd\"> 'quoted' ]]> &amp;");
    inv.buyer.name = s("Null\u{0}Byte\u{1b}Esc\u{7}Bell\u{FFFE} Ünïcødé ✓");
    inv.notes = vec![
        "<!-- not a comment --><![CDATA[x]]>".into(),
        "<?pi?> &#0; line\r\nend".into(),
    ];
    inv.lines[0].description = s("</cbc:Name></cac:Item><evil/>");
    inv.currency = s("EU\"R");
    let (xml, back) = round_trip(&inv);
    assert!(!xml.contains('\u{0}') && !xml.contains('\u{1b}') && !xml.contains("<evil/>"));
    assert_eq!(
        back.seller.name.map(|n| n.value).as_deref(),
        Some("Smith & Sons <\"Ltd\"> 'quoted' ]]> &amp;")
    );
    assert_eq!(
        back.buyer.name.map(|n| n.value).as_deref(),
        Some("NullByteEscBell Ünïcødé ✓")
    );
    assert_eq!(back.notes, inv.notes);
    assert_eq!(
        back.lines[0].description.as_ref().map(|n| n.value.as_str()),
        Some("</cbc:Name></cac:Item><evil/>")
    );
    assert_eq!(back.totals.payable_amount.map(|a| a.value), Some(dec!(120)));
    assert_eq!(back.currency.map(|c| c.value).as_deref(), Some("EU\"R"));
}

#[test]
fn tax_currency_total_round_trips() {
    let mut inv = minimal_invoice();
    inv.tax_currency = s("SEK");
    inv.totals.tax_amount_in_tax_currency = d(dec!(225.40));
    let (xml, back) = round_trip(&inv);
    assert!(xml.contains(r#"<cbc:TaxAmount currencyID="SEK">225.40</cbc:TaxAmount>"#));
    assert_kept(&inv, &back, &xml);
}

#[test]
fn national_per_tax_type_totals_round_trip() {
    let mut inv = minimal_invoice();
    inv.currency = s("COP");
    inv.vat_breakdown.clear();
    inv.totals.tax_amount = None;
    let total = |amount: Decimal, scheme: &str| TaxTotal {
        amount: d(amount),
        currency: s("COP"),
        tax_schemes: vec![Extracted::human(scheme.to_string())],
    };
    inv.totals.tax_totals = vec![total(dec!(19.00), "01"), total(dec!(1.00), "03")];
    let (xml, back) = round_trip(&inv);
    assert_kept(&inv, &back, &xml);
    assert_eq!(back.totals.tax_totals.len(), 2);
}

#[test]
fn sub_lines_and_description_only_items_round_trip() {
    let mut inv = minimal_invoice();
    let mut parent = line("1", dec!(1), dec!(100), dec!(100), dec!(20));
    parent.description = s("Set");
    parent.sub_lines = vec![
        line("1.1", dec!(2), dec!(25), dec!(50), dec!(20)),
        InvoiceLine {
            description: s("Only a description"),
            description_from: Some("Item/Description".into()),
            ..line("1.2", dec!(2), dec!(25), dec!(50), dec!(20))
        },
    ];
    inv.lines = vec![parent];
    let (xml, back) = round_trip(&inv);
    assert!(xml.contains("<cac:SubInvoiceLine>"));
    assert_kept(&inv, &back, &xml);
    assert_eq!(back.lines[0].sub_lines.len(), 2);
}

#[test]
#[should_panic(expected = "values lost")]
fn the_check_notices_a_lost_value() {
    let inv = full_invoice();
    let (xml, mut back) = round_trip(&inv);
    back.payee = None;
    assert_kept(&inv, &back, &xml);
}
