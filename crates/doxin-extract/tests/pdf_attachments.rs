//! Embedded e-invoices in generated hybrid PDFs.

mod pdf_support;

use doxin_extract::ExtractError;
use doxin_extract::pdf::embedded_einvoice;
use pdf_support::{Attachment, Page, PdfBuilder, Placement, cii_xml, ubl_xml};

fn with(attachments: Vec<Attachment>) -> Vec<u8> {
    let mut b = PdfBuilder::new().page(Page::a4().text(72.0, 72.0, 12.0, "Invoice"));
    for a in attachments {
        b = b.attach(a);
    }
    b.build()
}

fn found(pdf: &[u8]) -> Option<(String, Vec<u8>)> {
    embedded_einvoice(pdf)
        .expect("readable PDF")
        .map(|x| (x.name, x.bytes))
}

#[test]
fn factur_x_in_name_tree_and_af_is_found_decompressed() {
    let xml = cii_xml("FX-1");
    let pdf = with(vec![Attachment::new("factur-x.xml", &xml)]);
    // The fixture really compressed it.
    assert!(!pdf.windows(7).any(|w| w == b"FX-1</r"));
    assert_eq!(found(&pdf), Some(("factur-x.xml".into(), xml)));
}

#[test]
fn every_placement_is_searched() {
    for placement in [
        Placement::NameTreeAndAf,
        Placement::NestedNameTree,
        Placement::AfOnly,
        Placement::Annotation,
    ] {
        let xml = cii_xml("P-1");
        let pdf = with(vec![
            Attachment::new("factur-x.xml", &xml).placed(placement),
        ]);
        assert_eq!(
            found(&pdf),
            Some(("factur-x.xml".into(), xml)),
            "{placement:?}"
        );
    }
}

#[test]
fn standard_names_match_case_insensitively() {
    for name in [
        "ZUGFeRD-invoice.xml",
        "zugferd-invoice.xml",
        "XRECHNUNG.XML",
        "Factur-X.xml",
    ] {
        let xml = cii_xml("N-1");
        let pdf = with(vec![
            Attachment::new(name, &xml).placed(Placement::NestedNameTree),
        ]);
        assert_eq!(found(&pdf), Some((name.to_owned(), xml)), "{name}");
    }
}

#[test]
fn the_standard_name_wins_over_other_xml() {
    let pdf = with(vec![
        Attachment::new("aaa-copy.xml", &ubl_xml("OTHER")),
        Attachment::new("factur-x.xml", &cii_xml("MAIN")),
        Attachment::new("notes.txt", b"hello"),
    ]);
    let (name, bytes) = found(&pdf).expect("found");
    assert_eq!(name, "factur-x.xml");
    assert_eq!(bytes, cii_xml("MAIN"));
}

#[test]
fn other_xml_attachments_count_only_with_an_invoice_root() {
    let ubl = ubl_xml("U-7");
    let pdf = with(vec![
        Attachment::new(
            "metadata.xml",
            b"<?xml version=\"1.0\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>",
        ),
        Attachment::new("invoice_U-7.xml", &ubl),
    ]);
    assert_eq!(found(&pdf), Some(("invoice_U-7.xml".into(), ubl)));

    let pdf = with(vec![Attachment::new(
        "metadata.xml",
        b"<?xml version=\"1.0\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>",
    )]);
    assert_eq!(found(&pdf), None);
}

#[test]
fn no_attachments_is_none() {
    let pdf = with(vec![]);
    assert_eq!(found(&pdf), None);
}

#[test]
fn uncompressed_streams_and_utf16_names_work() {
    let xml = cii_xml("RAW");
    let pdf = with(vec![
        Attachment::new("factur-x.xml", &xml).uncompressed().utf16(),
    ]);
    assert_eq!(found(&pdf), Some(("factur-x.xml".into(), xml)));
}

#[test]
fn a_decompression_bomb_is_refused_not_inflated() {
    // 25 MB of XML-looking zeros compress to a few KB; the 20 MB cap refuses the stream.
    let mut bomb = cii_xml("BOMB");
    bomb.resize(25 * 1024 * 1024, b' ');
    let pdf = with(vec![Attachment::new("factur-x.xml", &bomb)]);
    assert!(pdf.len() < 200_000, "fixture is {} bytes", pdf.len());
    assert_eq!(found(&pdf), None);

    // A good attachment next to the bomb is still found.
    let pdf = with(vec![
        Attachment::new("factur-x.xml", &bomb),
        Attachment::new("xrechnung.xml", &ubl_xml("OK")),
    ]);
    assert_eq!(found(&pdf).map(|f| f.0), Some("xrechnung.xml".into()));
}

#[test]
fn encrypted_hybrids_are_refused() {
    let pdf = PdfBuilder::new()
        .page(Page::a4().text(72.0, 72.0, 12.0, "Invoice"))
        .attach(Attachment::new("factur-x.xml", &cii_xml("ENC")))
        .encrypted("")
        .build();
    assert!(matches!(
        embedded_einvoice(&pdf),
        Err(ExtractError::EncryptedPdf)
    ));
}
