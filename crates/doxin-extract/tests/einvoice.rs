//! E-invoice parsing: hand-written UBL, CII and ZUGFeRD 1.0 fixtures mapped onto the canonical
//! invoice and the `fields` shape, and hostile XML refused quickly.

use std::time::{Duration, Instant};

use doxin_extract::einvoice::{self, EInvoice, Limits, Syntax, XmlError};
use doxin_extract::fields::{score, to_fields};
use doxin_model::{DocumentType, Source};
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
