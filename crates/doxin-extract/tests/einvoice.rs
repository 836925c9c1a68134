//! E-invoice parsing: hand-written UBL, CII, ZUGFeRD 1.0 and FatturaPA fixtures mapped onto the
//! canonical invoice and the `fields` shape, and hostile XML refused quickly.

use std::time::{Duration, Instant};

use doxin_extract::einvoice::{self, EInvoice, Limits, Syntax, XmlError};
use doxin_extract::fields::{score, to_fields};
use doxin_extract::pipeline::{ExtractOptions, Extraction, ExtractionPath, extract};
use doxin_extract::{DocumentKind, ExtractError};
use doxin_model::{DocumentType, FindingValue, RuleId, Severity, Source};
use serde_json::json;

const UBL_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/xml/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse_fixture(name: &str) -> EInvoice {
    einvoice::parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Asserts that `fields` is exactly `expected`, listing the differences if not.
fn assert_fields(got: &serde_json::Value, expected: &serde_json::Value) {
    let s = score(expected, got);
    assert!(
        s.mismatches.is_empty(),
        "differences: {:#?}\nfull output: {got:#}",
        s.mismatches
    );
    assert_eq!(got, expected);
}

#[test]
fn ubl_invoice_maps_every_field() {
    let e = parse_fixture("ubl_invoice.xml");
    assert_eq!(e.syntax, Syntax::Ubl);
    assert_eq!(e.document_kind, "Invoice");
    let inv = &e.invoice;
    assert_eq!(inv.document_type, DocumentType::Invoice);
    assert_eq!(inv.syntax, Some(Syntax::Ubl));

    // Provenance: exact values from XML, raw text kept where the value was normalised.
    let number = inv.invoice_number.as_ref().unwrap();
    assert_eq!(number.source, Source::Xml);
    assert_eq!(number.confidence, 1.0);
    assert_eq!(number.raw_text, None);
    let buyer_ref = inv.buyer_reference.as_ref().unwrap();
    assert_eq!(buyer_ref.value, "REF-77");
    assert_eq!(buyer_ref.raw_text.as_deref(), Some("  REF-77  "));
    let qty = inv.lines[0].quantity.as_ref().unwrap();
    assert_eq!(qty.value.to_string(), "20.0000", "the scale is kept");
    assert_eq!(qty.raw_text.as_deref(), Some("20.0000"));

    // Extras beyond the corpus' fields.
    assert_eq!(inv.notes, vec!["Thank you for your order & see you soon"]);
    assert_eq!(
        inv.profile_id.as_ref().unwrap().value,
        "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    );
    assert_eq!(
        inv.bank_accounts[0].iban.as_ref().unwrap().value,
        "DE89370400440532013000"
    );
    assert_eq!(
        inv.bank_accounts[0].bic.as_ref().unwrap().value,
        "COBADEFFXXX"
    );
    assert_eq!(
        inv.payment_reference.as_ref().unwrap().value,
        "NL-2024-0042"
    );
    assert_eq!(inv.vat_breakdown.len(), 1);
    assert_eq!(
        inv.vat_breakdown[0]
            .taxable_amount
            .as_ref()
            .unwrap()
            .value
            .to_string(),
        "250.00"
    );
    assert_eq!(
        inv.seller.electronic_address.as_ref().unwrap().value,
        "7300010000001"
    );
    assert_eq!(
        inv.seller.contact.email.as_ref().unwrap().value,
        "billing@nordlicht.example"
    );
    assert_eq!(inv.lines[1].sub_lines.len(), 1);
    assert_eq!(
        inv.lines[1].sub_lines[0]
            .description
            .as_ref()
            .unwrap()
            .value,
        "Proof A3"
    );

    assert_fields(
        &to_fields(inv),
        &json!({
            "syntax": "UBL",
            "document_kind": "Invoice",
            "customization_id": "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
            "invoice_id": "NL-2024-0042",
            "type_code": "380",
            "issue_date": "2024-03-01",
            "due_date": "2024-03-31",
            "currency": "EUR",
            "tax_currency": "SEK",
            "buyer_reference": "REF-77",
            "order_reference": "PO-9001",
            "seller": {
                "name": "Nordlicht Design GmbH",
                "trading_name": "Nordlicht",
                "vat_id": "DE123456789",
                "tax_registration_id": "19/123/45678",
                "legal_registration_id": "HRB 1234 KI",
                "address": {
                    "line1": "Hafenweg 3",
                    "line2": "Haus B",
                    "line3": "2. OG",
                    "city": "Kiel",
                    "postal_code": "24103",
                    "country_subdivision": "Schleswig-Holstein",
                    "country": "DE"
                }
            },
            "buyer": {
                "name": "Svensk Bygg AB",
                "trading_name": "Svensk Bygg AB",
                "address": {"city": "Malmö", "country": "SE"}
            },
            "totals": {
                "line_extension_amount": "250.00",
                "tax_exclusive_amount": "250.00",
                "tax_amount": "47.50",
                "tax_amount_in_tax_currency": "541.97",
                "tax_inclusive_amount": "297.50",
                "prepaid_amount": "0.00",
                "payable_amount": "297.50"
            },
            "lines": [
                {
                    "id": "1",
                    "description": "Design work",
                    "item_description": "Logo redesign, two rounds of changes",
                    "seller_item_id": "DSN-H",
                    "quantity": "20.0000",
                    "unit_code": "HUR",
                    "unit_price": "10.00",
                    "price_base_quantity": "1",
                    "line_amount": "200.00",
                    "vat_category": "S",
                    "vat_rate": "19"
                },
                {
                    "id": "2",
                    "description": "Print proofs",
                    "description_from": "Item/Description",
                    "quantity": "1",
                    "unit_code": "C62",
                    "unit_price": "50",
                    "line_amount": "50.00",
                    "vat_category": "S",
                    "vat_rate": "19",
                    "sub_line_count": 1
                }
            ]
        }),
    );
}

#[test]
fn ubl_credit_note_with_prefixed_root() {
    let e = parse_fixture("ubl_credit_note.xml");
    assert_eq!(e.syntax, Syntax::Ubl);
    assert_eq!(e.document_kind, "CreditNote");
    assert_eq!(e.invoice.document_type, DocumentType::CreditNote);
    assert_fields(
        &to_fields(&e.invoice),
        &json!({
            "syntax": "UBL",
            "document_kind": "CreditNote",
            "invoice_id": "CN-17",
            "type_code": "381",
            "issue_date": "2024-04-02",
            "due_date": "2024-04-16",
            "currency": "EUR",
            "seller": {
                "name": "Atelier Rive Gauche",
                "trading_name": "Atelier Rive Gauche",
                "vat_id": "FR40303265045"
            },
            "buyer": {"name": "Café du Port SARL"},
            "totals": {
                "line_extension_amount": "-7.67",
                "tax_exclusive_amount": "-7.67",
                "tax_amount": "-1.53",
                "tax_inclusive_amount": "-9.20",
                "rounding_amount": "0.00",
                "payable_amount": "-9.20"
            },
            "lines": [{
                "id": "1",
                "description": "Café moulu",
                "quantity": "-1.5",
                "unit_code": "KGM",
                "unit_price": "5.1133",
                "line_amount": "-7.67",
                "vat_category": "S",
                "vat_rate": "20.00"
            }]
        }),
    );
}

#[test]
fn cii_invoice_maps_every_field() {
    let e = parse_fixture("cii_invoice.xml");
    assert_eq!(e.syntax, Syntax::Cii);
    assert_eq!(e.document_kind, "Invoice");
    let inv = &e.invoice;
    let issue = inv.issue_date.as_ref().unwrap();
    assert_eq!(
        issue.raw_text.as_deref(),
        Some("20240515"),
        "102 date kept raw"
    );
    assert_eq!(
        inv.bank_accounts[0].iban.as_ref().unwrap().value,
        "DE02120300000000202051"
    );
    assert_eq!(
        inv.vat_breakdown[0]
            .tax_amount
            .as_ref()
            .unwrap()
            .value
            .to_string(),
        "37.62"
    );
    assert_fields(
        &to_fields(inv),
        &json!({
            "syntax": "CII",
            "document_kind": "Invoice",
            "customization_id": "urn:cen.eu:en16931:2017",
            "invoice_id": "FX-881",
            "type_code": "380",
            "issue_date": "2024-05-15",
            "due_date": "2024-06-14",
            "currency": "EUR",
            "tax_currency": "CHF",
            "buyer_reference": "04011000-12345-34",
            "order_reference": "PO-55",
            "seller": {
                "name": "Lieferant GmbH",
                "trading_name": "Papierhaus Süd",
                "vat_id": "DE123456789",
                "tax_registration_id": "201/113/40209",
                "legal_registration_id": "HRB 4711",
                "address": {
                    "line1": "Lieferantenstraße 20",
                    "city": "München",
                    "postal_code": "80333",
                    "country_subdivision": "Bayern",
                    "country": "DE"
                }
            },
            "buyer": {
                "name": "Kunden AG",
                "address": {"city": "Frankfurt", "country": "DE"}
            },
            "totals": {
                "line_extension_amount": "198.00",
                "allowance_total_amount": "0.00",
                "charge_total_amount": "0.00",
                "tax_exclusive_amount": "198.00",
                "tax_amount": "37.62",
                "tax_amount_in_tax_currency": "36.10",
                "tax_inclusive_amount": "235.62",
                "prepaid_amount": "35.62",
                "payable_amount": "200.00"
            },
            "lines": [{
                "id": "10",
                "description": "Trennblätter A4",
                "item_description": "Packung zu 100",
                "seller_item_id": "TB-A4",
                "quantity": "20.0000",
                "unit_code": "C62",
                "unit_price": "9.9000",
                "price_base_quantity": "1",
                "gross_unit_price": "10.0000",
                "line_amount": "198.00",
                "vat_category": "S",
                "vat_rate": "19.00",
                "parent_line_id": "1",
                "line_status_reason": "DETAIL"
            }]
        }),
    );
}

#[test]
fn zugferd1_invoice_with_note_only_line() {
    let e = parse_fixture("zugferd1_invoice.xml");
    assert_eq!(e.syntax, Syntax::Zugferd1);
    assert_eq!(e.document_kind, "Invoice");
    assert_fields(
        &to_fields(&e.invoice),
        &json!({
            "syntax": "ZUGFeRD-1.0-CII",
            "document_kind": "Invoice",
            "customization_id": "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort",
            "invoice_id": "GS-2013-09",
            "type_code": "380",
            "issue_date": "2013-09-16",
            "currency": "EUR",
            "order_reference": "B-12",
            "seller": {"name": "Bio Großhandel eG", "vat_id": "DE987654321"},
            "buyer": {"name": "Hofladen Klee"},
            "totals": {
                "line_extension_amount": "-5.00",
                "tax_exclusive_amount": "-5.00",
                "tax_amount": "-0.95",
                "tax_inclusive_amount": "-5.95",
                "payable_amount": "-5.95"
            },
            "lines": [{
                "id": "1",
                "description": "Zitronensaft 100 ml",
                "quantity": "-5.0000",
                "unit_code": "C62",
                "unit_price": "1.0000",
                "gross_unit_price": "1.0000",
                "line_amount": "-5.00",
                "vat_category": "S",
                "vat_rate": "19.00"
            }],
            "note_only_lines": ["As agreed on the phone,\nwe credit the following items."]
        }),
    );
}

#[test]
fn national_ubl_with_one_tax_total_per_tax_type() {
    let xml = format!(
        r#"<Invoice xmlns="{UBL_NS}"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>SETP990000002</cbc:ID>
  <cbc:DocumentCurrencyCode>COP</cbc:DocumentCurrencyCode>
  <cac:TaxTotal><cbc:TaxAmount currencyID="COP">2424.01</cbc:TaxAmount>
    <cac:TaxSubtotal><cac:TaxCategory><cac:TaxScheme><cbc:ID>01</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>
    <cac:TaxSubtotal><cac:TaxCategory><cac:TaxScheme><cbc:ID>01</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:TaxTotal><cbc:TaxAmount currencyID="COP">0.00</cbc:TaxAmount>
    <cac:TaxSubtotal><cac:TaxCategory><cac:TaxScheme><cbc:ID>04</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID>
    <cac:Item><cbc:Description>Articulo</cbc:Description></cac:Item>
  </cac:InvoiceLine>
</Invoice>"#
    );
    let e = einvoice::parse(xml.as_bytes()).unwrap();
    let f = to_fields(&e.invoice);
    assert_eq!(
        f["totals"],
        json!({"tax_totals": [
            {"amount": "2424.01", "tax_schemes": ["01"]},
            {"amount": "0.00", "tax_schemes": ["04"]}
        ]})
    );
    assert_eq!(e.invoice.totals.tax_amount, None);
    assert_eq!(
        f["lines"],
        json!([{"id": "1", "description": "Articulo", "description_from": "Item/Description"}])
    );
}

#[test]
fn routes_by_namespace_not_prefix_and_refuses_other_roots() {
    // Any prefix, or none, for the UBL namespace.
    let xml = format!(r#"<x:Invoice xmlns:x="{UBL_NS}"><x:ID>1</x:ID></x:Invoice>"#);
    assert_eq!(einvoice::parse(xml.as_bytes()).unwrap().syntax, Syntax::Ubl);

    // Right local name, wrong namespace; and an unrelated UBL document.
    let cases = [
        (
            r#"<Invoice><ID>1</ID></Invoice>"#.to_string(),
            "Invoice".to_string(),
        ),
        (
            r#"<Invoice xmlns="urn:example:invoice"/>"#.to_string(),
            "{urn:example:invoice}Invoice".to_string(),
        ),
        (
            r#"<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>"#.to_string(),
            "{urn:oasis:names:specification:ubl:schema:xsd:Order-2}Order".to_string(),
        ),
        (
            format!(r#"<CreditNote xmlns="{UBL_NS}"/>"#),
            format!("{{{UBL_NS}}}CreditNote"),
        ),
        ("<html><body/></html>".to_string(), "html".to_string()),
    ];
    for (xml, root) in cases {
        assert_eq!(
            einvoice::parse(xml.as_bytes()),
            Err(XmlError::NotAnInvoice { root }),
            "{xml}"
        );
    }
}

#[test]
fn declared_latin1_is_decoded() {
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1"?><Invoice xmlns="{UBL_NS}" xmlns:cbc="c"><cbc:ID>M"#
    )
    .into_bytes();
    xml.push(0xFC); // ü in ISO-8859-1
    xml.extend_from_slice(b"nchen</cbc:ID></Invoice>");
    let e = einvoice::parse(&xml).unwrap();
    assert_eq!(e.invoice.invoice_number.unwrap().value, "München");
}

#[test]
fn utf16_with_byte_order_mark_is_decoded() {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-16"?><Invoice xmlns="{UBL_NS}" xmlns:cbc="c"><cbc:ID>Zürich-1</cbc:ID></Invoice>"#
    );
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(xml.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let e = einvoice::parse(&bytes).unwrap();
    assert_eq!(e.invoice.invoice_number.unwrap().value, "Zürich-1");
}

fn assert_fast(start: Instant) {
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn refuses_a_doctype() {
    let xml = format!(r#"<?xml version="1.0"?><!DOCTYPE Invoice><Invoice xmlns="{UBL_NS}"/>"#);
    assert_eq!(einvoice::parse(xml.as_bytes()), Err(XmlError::Doctype));
}

#[test]
fn refuses_a_billion_laughs() {
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        let refs = format!("&{prev};").repeat(10);
        xml.push_str(&format!(" <!ENTITY lol{i} \"{refs}\">\n"));
    }
    xml.push_str(&format!(
        "]>\n<Invoice xmlns=\"{UBL_NS}\"><ID>&lol9;</ID></Invoice>"
    ));
    let start = Instant::now();
    assert_eq!(einvoice::parse(xml.as_bytes()), Err(XmlError::Doctype));
    assert_fast(start);
}

#[test]
fn never_reads_external_entities() {
    let with_dtd = format!(
        r#"<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="{UBL_NS}" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>&xxe;</cbc:ID></Invoice>"#
    );
    let err = einvoice::parse(with_dtd.as_bytes()).unwrap_err();
    assert_eq!(err, XmlError::Doctype);

    // The entity used without a declaration is simply undeclared.
    let without_dtd = format!(
        r#"<Invoice xmlns="{UBL_NS}" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>&xxe;</cbc:ID></Invoice>"#
    );
    let err2 = einvoice::parse(without_dtd.as_bytes()).unwrap_err();
    assert!(matches!(err2, XmlError::Malformed { .. }), "{err2:?}");

    // XInclude is not processed: the element is just an unknown element.
    let xinclude = format!(
        r#"<Invoice xmlns="{UBL_NS}" xmlns:xi="http://www.w3.org/2001/XInclude" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:Note><xi:include href="file:///etc/passwd" parse="text"/></cbc:Note><cbc:ID>X-1</cbc:ID></Invoice>"#
    );
    let parsed = einvoice::parse(xinclude.as_bytes()).unwrap();
    assert_eq!(parsed.invoice.invoice_number.unwrap().value, "X-1");
    assert!(parsed.invoice.notes.is_empty());

    // Nothing of the file shows up anywhere.
    if let Ok(passwd) = std::fs::read_to_string("/etc/passwd")
        && let Some(first) = passwd.lines().next()
    {
        for e in [&err, &err2] {
            assert!(!format!("{e} {e:?}").contains(first));
        }
    }
    for e in [&err, &err2] {
        assert!(!format!("{e} {e:?}").contains("root:"));
    }
}

#[test]
fn refuses_deep_nesting() {
    let depth = 100;
    let xml = format!(
        r#"<Invoice xmlns="{UBL_NS}">{}{}</Invoice>"#,
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    assert_eq!(
        einvoice::parse(xml.as_bytes()),
        Err(XmlError::TooDeep { limit: 64 })
    );
    // Deep enough for a real document is fine.
    let ok = format!(
        r#"<Invoice xmlns="{UBL_NS}">{}{}</Invoice>"#,
        "<a>".repeat(40),
        "</a>".repeat(40)
    );
    assert!(einvoice::parse(ok.as_bytes()).is_ok());
}

#[test]
fn refuses_100_mb_quickly() {
    let mut xml = format!(r#"<Invoice xmlns="{UBL_NS}"><Note>"#).into_bytes();
    xml.resize(100 * 1024 * 1024, b'x');
    let start = Instant::now();
    let err = einvoice::parse(&xml).unwrap_err();
    assert!(
        matches!(err, XmlError::TooLarge { size, limit } if size == xml.len() && limit == 20 * 1024 * 1024),
        "{err:?}"
    );
    assert!(
        start.elapsed() < Duration::from_millis(100),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn bounds_elements_attributes_and_text_nodes() {
    let many_attrs = format!(
        r#"<Invoice xmlns="{UBL_NS}"><ID {}/></Invoice>"#,
        (0..100)
            .map(|i| format!("a{i}=\"1\""))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert_eq!(
        einvoice::parse(many_attrs.as_bytes()),
        Err(XmlError::TooManyAttributes { limit: 64 })
    );

    let limits = Limits {
        max_elements: 100,
        max_text_nodes: 100,
        ..Limits::default()
    };
    let many_elements = format!(
        r#"<Invoice xmlns="{UBL_NS}">{}</Invoice>"#,
        "<a/>".repeat(200)
    );
    assert_eq!(
        einvoice::parse_with_limits(many_elements.as_bytes(), limits),
        Err(XmlError::TooManyElements { limit: 100 })
    );
    let many_texts = format!(
        r#"<Invoice xmlns="{UBL_NS}"><ID>{}</ID></Invoice>"#,
        "&amp;".repeat(200)
    );
    assert_eq!(
        einvoice::parse_with_limits(many_texts.as_bytes(), limits),
        Err(XmlError::TooManyTextNodes { limit: 100 })
    );
    let small = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert!(matches!(
        einvoice::parse_with_limits(many_texts.as_bytes(), small),
        Err(XmlError::TooLarge { .. })
    ));
}

#[test]
fn malformed_xml_reports_its_position() {
    let xml = format!("<Invoice xmlns=\"{UBL_NS}\">\n  <ID>1</Id>\n</Invoice>");
    match einvoice::parse(xml.as_bytes()) {
        Err(XmlError::Malformed { line, message, .. }) => {
            assert_eq!(line, 2, "{message}");
        }
        other => panic!("{other:?}"),
    }
    for bad in [
        &b""[..],
        b"not xml at all",
        b"<Invoice>",
        b"<a></b>",
        b"<a/><b/>",
        b"<a>\xff\xfe</a>",
        b"<a x='1' x='2'/>",
    ] {
        assert!(
            matches!(einvoice::parse(bad), Err(XmlError::Malformed { .. })),
            "{:?}: {:?}",
            String::from_utf8_lossy(bad),
            einvoice::parse(bad)
        );
    }
}

// ---- FatturaPA ----

const FATTURAPA_NS: &str = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2";

fn dec(s: &str) -> doxin_model::Decimal {
    s.parse().expect("decimal")
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("UTF-8 fixture")
}

/// `text` with `from` replaced once by `to`; panics if `from` is not there, so a fixture edit
/// cannot make a test vacuous.
fn edited(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in the fixture");
    text.replacen(from, to, 1)
}

/// The pipeline on XML bytes: sniffing, parsing and the validation every extraction gets.
fn extract_xml(bytes: &[u8]) -> Extraction {
    extract(bytes, &ExtractOptions::default()).expect("extraction")
}

/// Asserts that the pipeline reads the XML exactly and validation finds nothing, having
/// checked at least `rules`.
fn assert_valid(name: &str, rules: &[RuleId]) {
    let x = extract_xml(&fixture(name));
    assert_eq!(x.kind, DocumentKind::Xml);
    assert_eq!(x.path, ExtractionPath::Xml);
    assert!(
        x.validation.findings.is_empty(),
        "{name}: {:#?}",
        x.validation.findings
    );
    for rule in rules {
        assert!(
            x.validation.checked.contains(rule),
            "{name}: {rule} not checked; checked {:?}",
            x.validation.checked
        );
    }
    assert!(!x.needs_review, "{name}: confidence {}", x.confidence);
    assert!(x.warnings.is_empty(), "{name}: {:?}", x.warnings);
}

fn value<T: Clone>(f: &doxin_model::Field<T>) -> T {
    f.as_ref().expect("field is present").value.clone()
}

#[test]
fn fatturapa_b2b_invoice_maps_every_field() {
    let e = parse_fixture("fatturapa_fpr12_invoice.xml");
    assert_eq!(e.syntax, Syntax::FatturaPa);
    assert_eq!(e.document_kind, "Invoice");
    assert!(e.warnings.is_empty());
    let inv = &e.invoice;
    assert_eq!(inv.document_type, DocumentType::Invoice);
    assert_eq!(inv.syntax, Some(Syntax::FatturaPa));
    assert_eq!(inv.document_kind.as_deref(), Some("Invoice"));

    // Provenance: exact values, the TipoDocumento kept as the raw text of the type code.
    let number = inv.invoice_number.as_ref().unwrap();
    assert_eq!((number.source, number.confidence), (Source::Xml, 1.0));
    let type_code = inv.type_code.as_ref().unwrap();
    assert_eq!(type_code.value, "380");
    assert_eq!(type_code.raw_text.as_deref(), Some("TD01"));
    assert_eq!(type_code.source, Source::Xml);

    // Beyond the `fields` shape.
    assert_eq!(
        inv.notes,
        vec!["Soggiorno e sala riunioni per il convegno del 12-15 novembre 2026"]
    );
    assert_eq!(value(&inv.contract_ref), "CONV-2026-05");
    assert_eq!(inv.despatch_ref, None);
    assert_eq!(value(&inv.payment_reference), "FT-2026-0142");
    assert_eq!(value(&inv.buyer.electronic_address), "M5UXCR1");
    assert_eq!(inv.seller.electronic_address, None);
    assert_eq!(value(&inv.seller.contact.phone), "031 123456");
    assert_eq!(
        value(&inv.seller.contact.email),
        "amministrazione@hotelbellavista.example"
    );
    assert_eq!(inv.bank_accounts.len(), 1);
    let account = &inv.bank_accounts[0];
    assert_eq!(value(&account.iban), "IT61X0306909606100000012345");
    assert_eq!(value(&account.bic), "EXBKITMMXXX");
    assert_eq!(value(&account.account_name), "Hotel Bellavista S.r.l.");
    assert_eq!(account.account_number, None);
    assert!(inv.allowances_charges.is_empty());

    assert_eq!(inv.vat_breakdown.len(), 2);
    for (row, (rate, taxable, tax)) in inv
        .vat_breakdown
        .iter()
        .zip([("10.00", "484.00", "48.40"), ("22.00", "500.00", "110.00")])
    {
        assert_eq!(value(&row.category), "S");
        assert_eq!(value(&row.rate).to_string(), rate);
        assert_eq!(value(&row.taxable_amount).to_string(), taxable);
        assert_eq!(value(&row.tax_amount).to_string(), tax);
        assert_eq!(row.exemption_reason, None);
    }

    // Line discounts act on the unit price: 3 × 120.00 less 10 %, 40 × (4.50 − 0.50).
    assert_eq!(value(&inv.lines[0].allowance_amount), dec("36.00"));
    assert_eq!(inv.lines[1].allowance_amount, None);
    assert_eq!(value(&inv.lines[2].allowance_amount), dec("20.00"));
    assert!(inv.lines.iter().all(|l| l.charge_amount.is_none()));

    assert_fields(
        &to_fields(inv),
        &json!({
            "syntax": "FatturaPA",
            "document_kind": "Invoice",
            "customization_id": "FPR12",
            "invoice_id": "2026/0142",
            "type_code": "380",
            "issue_date": "2026-11-16",
            "due_date": "2026-12-15",
            "currency": "EUR",
            "order_reference": "ODA-7781",
            "seller": {
                "name": "Hotel Bellavista S.r.l.",
                "vat_id": "IT01234567897",
                "tax_registration_id": "01234567897",
                "legal_registration_id": "CO 123456",
                "address": {
                    "line1": "Via Lungolago 12",
                    "city": "Como",
                    "postal_code": "22100",
                    "country_subdivision": "CO",
                    "country": "IT"
                }
            },
            "buyer": {
                "name": "Bianchi Costruzioni S.p.A.",
                "vat_id": "IT04567890126",
                "address": {
                    "line1": "Corso Re Umberto 45/B",
                    "city": "Torino",
                    "postal_code": "10121",
                    "country_subdivision": "TO",
                    "country": "IT"
                }
            },
            "totals": {
                "tax_exclusive_amount": "984.00",
                "tax_amount": "158.40",
                "tax_inclusive_amount": "1142.40",
                "payable_amount": "1142.40"
            },
            "lines": [
                {
                    "id": "1",
                    "description": "Pernottamento camera doppia",
                    "seller_item_id": "CAM-DBL",
                    "quantity": "3.00",
                    "unit_code": "notti",
                    "unit_price": "120.00",
                    "line_amount": "324.00",
                    "vat_category": "S",
                    "vat_rate": "10.00"
                },
                {
                    "id": "2",
                    "description": "Noleggio sala riunioni",
                    "quantity": "2.00",
                    "unit_code": "giorni",
                    "unit_price": "250.00",
                    "line_amount": "500.00",
                    "vat_category": "S",
                    "vat_rate": "22.00"
                },
                {
                    "id": "3",
                    "description": "Coffee break",
                    "quantity": "40.00",
                    "unit_code": "pz",
                    "unit_price": "4.50",
                    "line_amount": "160.00",
                    "vat_category": "S",
                    "vat_rate": "10.00"
                }
            ]
        }),
    );
}

#[test]
fn fatturapa_split_payment_to_a_public_administration() {
    let e = parse_fixture("fatturapa_fpa12_split_payment.xml");
    assert_eq!(e.syntax, Syntax::FatturaPa);
    assert_eq!(e.document_kind, "Invoice");
    let inv = &e.invoice;
    assert_eq!(inv.document_type, DocumentType::Invoice);

    // The split-payment row is category B; the row not subject to VAT is O, with its Natura.
    let [split, exempt] = inv.vat_breakdown.as_slice() else {
        panic!("two summary rows: {:#?}", inv.vat_breakdown);
    };
    assert_eq!(value(&split.category), "B");
    assert_eq!(value(&split.rate), dec("22"));
    assert_eq!(value(&split.taxable_amount), dec("1200.00"));
    assert_eq!(value(&split.tax_amount), dec("264.00"));
    assert_eq!(split.exemption_reason, None);
    assert_eq!(value(&exempt.category), "O");
    assert_eq!(value(&exempt.rate), dec("0"));
    assert_eq!(value(&exempt.taxable_amount), dec("35.00"));
    assert_eq!(value(&exempt.tax_amount), dec("0"));
    assert_eq!(value(&exempt.exemption_reason), "N2.2");

    // A line without Quantita is one unit; the value is derived, so it has no raw text.
    let qty = inv.lines[1].quantity.as_ref().unwrap();
    assert_eq!((qty.value, qty.raw_text.as_deref()), (dec("1"), None));
    assert_eq!(value(&inv.buyer.electronic_address), "UF3K9Q");
    assert_eq!(
        inv.notes,
        vec![
            "Manutenzione straordinaria impianto di climatizzazione, scuola primaria",
            "Scissione dei pagamenti ex art. 17-ter DPR 633/72"
        ]
    );
    assert_eq!(
        value(&inv.bank_accounts[0].iban),
        "IT57Y0100503382000000218020"
    );
    assert_eq!(inv.bank_accounts[0].account_name, None);

    assert_fields(
        &to_fields(inv),
        &json!({
            "syntax": "FatturaPA",
            "document_kind": "Invoice",
            "customization_id": "FPA12",
            "invoice_id": "47/PA",
            "type_code": "380",
            "issue_date": "2026-11-20",
            "due_date": "2026-12-20",
            "currency": "EUR",
            "order_reference": "DET-2026-118",
            "seller": {
                "name": "Clima Service S.n.c. di Neri e Gallo",
                "vat_id": "IT02987654320",
                "tax_registration_id": "02987654320",
                "legal_registration_id": "BO 345678",
                "address": {
                    "line1": "Via dell'Industria 8",
                    "city": "Bologna",
                    "postal_code": "40138",
                    "country_subdivision": "BO",
                    "country": "IT"
                }
            },
            "buyer": {
                "name": "Comune di Valfiorita",
                "tax_registration_id": "80012345674",
                "address": {
                    "line1": "Piazza del Municipio 1",
                    "city": "Valfiorita",
                    "postal_code": "40099",
                    "country_subdivision": "BO",
                    "country": "IT"
                }
            },
            "totals": {
                "tax_exclusive_amount": "1235.00",
                "tax_amount": "264.00",
                "tax_inclusive_amount": "1499.00",
                "payable_amount": "1235.00"
            },
            "lines": [
                {
                    "id": "1",
                    "description": "Manutenzione straordinaria impianto di climatizzazione",
                    "quantity": "1.00",
                    "unit_code": "corpo",
                    "unit_price": "1200.00",
                    "line_amount": "1200.00",
                    "vat_category": "B",
                    "vat_rate": "22.00"
                },
                {
                    "id": "2",
                    "description": "Contributo smaltimento gas refrigeranti",
                    "quantity": "1",
                    "unit_price": "35.00",
                    "line_amount": "35.00",
                    "vat_category": "O",
                    "vat_rate": "0.00"
                }
            ]
        }),
    );

    // Without a payment section the amount due is still the net: the buyer pays the VAT to
    // the state.
    let text = fixture_text("fatturapa_fpa12_split_payment.xml");
    let (start, end) = (
        text.find("<DatiPagamento>").unwrap(),
        text.find("</DatiPagamento>").unwrap() + "</DatiPagamento>".len(),
    );
    let without_payment = format!("{}{}", &text[..start], &text[end..]);
    let inv = einvoice::parse(without_payment.as_bytes()).unwrap().invoice;
    assert_eq!(value(&inv.totals.payable_amount), dec("1235.00"));
    assert_eq!(inv.due_date, None);
    assert!(inv.bank_accounts.is_empty());
}

#[test]
fn fatturapa_credit_note() {
    let e = parse_fixture("fatturapa_td04_credit_note.xml");
    assert_eq!(e.syntax, Syntax::FatturaPa);
    assert_eq!(e.document_kind, "CreditNote");
    let inv = &e.invoice;
    assert_eq!(inv.document_type, DocumentType::CreditNote);
    assert_eq!(
        inv.type_code.as_ref().unwrap().raw_text.as_deref(),
        Some("TD04")
    );
    assert_eq!(value(&inv.despatch_ref), "DDT-2026-1552");
    // CodiceDestinatario 0000000 names no channel: the certified mail address does.
    assert_eq!(
        value(&inv.buyer.electronic_address),
        "fatture@pec.bianchicostruzioni.example"
    );
    assert_eq!(inv.notes.len(), 2);
    assert!(inv.bank_accounts.is_empty());
    assert_eq!(inv.totals.payable_amount, None);

    assert_fields(
        &to_fields(inv),
        &json!({
            "syntax": "FatturaPA",
            "document_kind": "CreditNote",
            "customization_id": "FPR12",
            "invoice_id": "NC-2026-009",
            "type_code": "381",
            "issue_date": "2026-11-25",
            "currency": "EUR",
            "seller": {
                "name": "Forniture Ufficio Marchetti S.r.l.",
                "vat_id": "IT07654321095",
                "address": {
                    "line1": "Viale Europa 101",
                    "city": "Roma",
                    "postal_code": "00144",
                    "country_subdivision": "RM",
                    "country": "IT"
                }
            },
            "buyer": {
                "name": "Bianchi Costruzioni S.p.A.",
                "vat_id": "IT04567890126",
                "address": {
                    "line1": "Corso Re Umberto 45/B",
                    "city": "Torino",
                    "postal_code": "10121",
                    "country_subdivision": "TO",
                    "country": "IT"
                }
            },
            "totals": {
                "tax_exclusive_amount": "50.00",
                "tax_amount": "11.00",
                "tax_inclusive_amount": "61.00"
            },
            "lines": [{
                "id": "1",
                "description": "Reso toner per stampante laser, confezione danneggiata",
                "quantity": "1",
                "unit_price": "50.00",
                "line_amount": "50.00",
                "vat_category": "S",
                "vat_rate": "22.00"
            }]
        }),
    );
}

#[test]
fn fatturapa_person_as_seller_with_pension_fund_and_rounding() {
    let e = parse_fixture("fatturapa_person_seller.xml");
    assert_eq!(e.document_kind, "Invoice");
    let inv = &e.invoice;
    // Nome + Cognome, joined: derived, so no raw text.
    let name = inv.seller.name.as_ref().unwrap();
    assert_eq!(
        (name.value.as_str(), name.raw_text.as_deref()),
        ("Giulia Verdi", None)
    );
    assert_eq!(
        inv.type_code.as_ref().unwrap().raw_text.as_deref(),
        Some("TD06")
    );
    assert_eq!(
        value(&inv.seller.contact.email),
        "giulia.verdi@studio.example"
    );
    assert_eq!(value(&inv.bank_accounts[0].account_name), "Giulia Verdi");

    // The pension fund contribution is a document charge inside the VAT base.
    let [charge] = inv.allowances_charges.as_slice() else {
        panic!("one charge: {:#?}", inv.allowances_charges);
    };
    assert!(charge.is_charge);
    assert_eq!(value(&charge.amount), dec("42.00"));
    assert_eq!(value(&charge.base_amount), dec("1050.00"));
    assert_eq!(value(&charge.percent), dec("4.00"));
    assert_eq!(value(&charge.reason), "TC22");
    assert_eq!(value(&charge.tax_rate), dec("22.00"));
    assert_eq!(value(&charge.tax_category), "S");

    // The surcharge raises the unit price: 8 × 25.00 × 1.25 = 8 × 25.00 + 50.
    assert_eq!(value(&inv.lines[1].charge_amount), dec("50"));
    assert_eq!(inv.lines[1].allowance_amount, None);

    assert_fields(
        &to_fields(inv),
        &json!({
            "syntax": "FatturaPA",
            "document_kind": "Invoice",
            "customization_id": "FPR12",
            "invoice_id": "31",
            "type_code": "380",
            "issue_date": "2026-11-30",
            "due_date": "2026-12-31",
            "currency": "EUR",
            "seller": {
                "name": "Giulia Verdi",
                "vat_id": "IT05312468977",
                "tax_registration_id": "VRDGLI85M41F205X",
                "address": {
                    "line1": "Via Solferino 7",
                    "city": "Milano",
                    "postal_code": "20121",
                    "country_subdivision": "MI",
                    "country": "IT"
                }
            },
            "buyer": {
                "name": "Editrice Aurora S.r.l.",
                "vat_id": "IT08877665540",
                "tax_registration_id": "08877665540",
                "address": {
                    "line1": "Via Po 3",
                    "city": "Torino",
                    "postal_code": "10123",
                    "country_subdivision": "TO",
                    "country": "IT"
                }
            },
            // ImportoTotaleDocumento 1332.00 includes the rounding −0.24: the gross is
            // 1332.24 and the amount due adds the rounding back.
            "totals": {
                "tax_exclusive_amount": "1092.00",
                "tax_amount": "240.24",
                "tax_inclusive_amount": "1332.24",
                "rounding_amount": "-0.24",
                "payable_amount": "1332.00"
            },
            "lines": [
                {
                    "id": "1",
                    "description": "Progettazione logo e immagine coordinata",
                    "quantity": "1",
                    "unit_price": "800.00",
                    "line_amount": "800.00",
                    "vat_category": "S",
                    "vat_rate": "22.00"
                },
                {
                    "id": "2",
                    "description": "Impaginazione catalogo, consegna urgente",
                    "quantity": "8.00",
                    "unit_code": "ore",
                    "unit_price": "25.00",
                    "line_amount": "250.00",
                    "vat_category": "S",
                    "vat_rate": "22.00"
                }
            ]
        }),
    );
}

#[test]
fn fatturapa_fixtures_pass_validation_in_the_pipeline() {
    // Checked and passed: the arithmetic, and the Italian VAT ids down to their check digit.
    let always = [
        RuleId::DxLine01,
        RuleId::BrCo13,
        RuleId::BrCo14,
        RuleId::BrCo15,
        RuleId::BrCo17,
        RuleId::DxVat01,
        RuleId::DxVatId02,
        RuleId::DxVat03,
        RuleId::BrCl14,
    ];
    let with_payment = [&always[..], &[RuleId::BrCo16, RuleId::DxIban01]].concat();
    assert_valid("fatturapa_fpr12_invoice.xml", &with_payment);
    assert_valid("fatturapa_fpa12_split_payment.xml", &with_payment);
    assert_valid("fatturapa_td04_credit_note.xml", &always);
    assert_valid("fatturapa_person_seller.xml", &with_payment);
}

#[test]
fn fatturapa_wrong_imposta_is_an_arithmetic_finding() {
    let text = edited(
        &fixture_text("fatturapa_fpr12_invoice.xml"),
        "<Imposta>48.40</Imposta>",
        "<Imposta>48.90</Imposta>",
    );
    let x = extract_xml(text.as_bytes());
    let row = x
        .validation
        .findings
        .iter()
        .find(|f| f.rule == RuleId::BrCo17)
        .unwrap_or_else(|| panic!("{:#?}", x.validation.findings));
    assert_eq!(row.severity, Severity::Error);
    assert_eq!(row.field.as_deref(), Some("vat_breakdown[0].tax_amount"));
    assert_eq!(row.expected, Some(FindingValue::Amount(dec("48.40"))));
    assert_eq!(row.actual, Some(FindingValue::Amount(dec("48.90"))));
    // The document total no longer matches net + VAT either.
    assert!(
        x.validation
            .findings
            .iter()
            .any(|f| f.rule == RuleId::BrCo15),
        "{:#?}",
        x.validation.findings
    );
    assert!(x.validation.has_errors());
    assert!(x.needs_review);
}

#[test]
fn fatturapa_batch_reads_the_first_invoice_and_warns() {
    let text = fixture_text("fatturapa_td04_credit_note.xml");
    let (start, end) = (
        text.find("<FatturaElettronicaBody>").unwrap(),
        text.find("</FatturaElettronicaBody>").unwrap() + "</FatturaElettronicaBody>".len(),
    );
    let second = edited(&text[start..end], "NC-2026-009", "NC-2026-010");
    let batch = format!("{}{second}{}", &text[..end], &text[end..]);

    let e = einvoice::parse(batch.as_bytes()).unwrap();
    assert_eq!(value(&e.invoice.invoice_number), "NC-2026-009");
    assert_eq!(e.invoice.lines.len(), 1);
    assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
    assert!(
        e.warnings[0].contains("2 invoices") && e.warnings[0].contains("NC-2026-009"),
        "{}",
        e.warnings[0]
    );
    // The pipeline hands the warning on.
    let x = extract_xml(batch.as_bytes());
    assert_eq!(x.warnings, e.warnings);
}

#[test]
fn fatturapa_routes_by_namespace_stem_and_root_name() {
    let text = fixture_text("fatturapa_td04_credit_note.xml");
    // A later 1.x namespace and a default namespace (no prefix) read the same.
    let later = text.replace(FATTURAPA_NS, &format!("{FATTURAPA_NS}.2"));
    assert_eq!(
        einvoice::parse(later.as_bytes()).unwrap().syntax,
        Syntax::FatturaPa
    );
    let unprefixed = format!(
        r#"<FatturaElettronica versione="FPR12" xmlns="{FATTURAPA_NS}"><FatturaElettronicaBody><DatiGenerali><DatiGeneraliDocumento><TipoDocumento>TD05</TipoDocumento><Numero>ND-1</Numero></DatiGeneraliDocumento></DatiGenerali></FatturaElettronicaBody></FatturaElettronica>"#
    );
    let e = einvoice::parse(unprefixed.as_bytes()).unwrap();
    assert_eq!(e.syntax, Syntax::FatturaPa);
    assert_eq!(e.document_kind, "DebitNote");
    assert_eq!(value(&e.invoice.type_code), "383");
    assert_eq!(e.invoice.document_type, DocumentType::Invoice);
    assert_eq!(value(&e.invoice.invoice_number), "ND-1");

    // An unknown version, the simplified invoice, and no namespace at all are no FatturaPA.
    let v2 = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v2.0";
    let simplified = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.0";
    let cases = [
        (
            text.replace(FATTURAPA_NS, v2),
            format!("{{{v2}}}FatturaElettronica"),
        ),
        (
            format!(
                r#"<p:FatturaElettronicaSemplificata versione="FSM10" xmlns:p="{simplified}"/>"#
            ),
            format!("{{{simplified}}}FatturaElettronicaSemplificata"),
        ),
        (
            "<FatturaElettronica versione=\"FPR12\"/>".to_string(),
            "FatturaElettronica".to_string(),
        ),
    ];
    for (xml, root) in cases {
        assert_eq!(
            einvoice::parse(xml.as_bytes()),
            Err(XmlError::NotAnInvoice { root }),
            "{xml}"
        );
    }
}

#[test]
fn fatturapa_with_a_doctype_is_refused() {
    let text = edited(
        &fixture_text("fatturapa_fpr12_invoice.xml"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE p:FatturaElettronica [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n",
    );
    assert_eq!(einvoice::parse(text.as_bytes()), Err(XmlError::Doctype));
    assert!(matches!(
        extract(text.as_bytes(), &ExtractOptions::default()),
        Err(ExtractError::Xml(XmlError::Doctype))
    ));
}
