//! Exports read back with independent readers: the `csv` crate, calamine for XLSX, serde for
//! JSON, and the extraction engine for the UBL documents in a ZIP (the same comparison as the
//! UBL round-trip tests).

use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, TimeZone, Utc};
use doxin_extract::pipeline::{ExtractOptions, ExtractionPath, extract};
use doxin_model::{DocumentType, Invoice};
use doxin_reports::export::columns::{INVOICE_COLUMNS, LINE_COLUMNS};
use doxin_reports::export::json::{ExportedInvoice, ExportedSet};
use doxin_reports::export::ubl_zip::{MANIFEST, Manifest};
use doxin_reports::export::xlsx::{INVOICES_SHEET, LINES_SHEET};
use doxin_reports::{ExportFormat, ExportItem, RenderError, render};
use doxin_synth::{LayoutKind, Spec};
use rust_decimal_macros::dec;
use uuid::Uuid;

use crate::ubl_roundtrip::{assert_kept, d, full_invoice, minimal_invoice, round_trip, s};

/// Text a spreadsheet or a naive CSV writer would trip over.
const HOSTILE_SELLER: &str = "=HYPERLINK(\"http://x.invalid\",\"click\"), \"Ltd\"\nline 2";

fn hostile_invoice() -> Invoice {
    let mut inv = minimal_invoice();
    inv.invoice_number = s("-2+3");
    inv.seller.name = s(HOSTILE_SELLER);
    inv.buyer.name = s("@SUM(A1:A9)");
    inv.lines[0].description = s("+cmd|' /C calc'!A0");
    inv
}

fn credit_note() -> Invoice {
    let mut inv = minimal_invoice();
    inv.document_type = DocumentType::CreditNote;
    inv.invoice_number = s("CN-7");
    inv.totals.payable_amount = d(dec!(-120.00));
    inv
}

struct Fixture {
    ids: Vec<Uuid>,
    invoices: Vec<Invoice>,
    created: DateTime<Utc>,
}

impl Fixture {
    fn new(invoices: Vec<Invoice>) -> Fixture {
        Fixture {
            ids: (0..invoices.len()).map(|_| Uuid::new_v4()).collect(),
            invoices,
            created: Utc
                .with_ymd_and_hms(2026, 11, 28, 9, 30, 0)
                .single()
                .expect("time"),
        }
    }

    fn standard() -> Fixture {
        Fixture::new(vec![
            full_invoice(),
            minimal_invoice(),
            hostile_invoice(),
            credit_note(),
        ])
    }

    fn items(&self) -> Vec<ExportItem<'_>> {
        self.ids
            .iter()
            .zip(&self.invoices)
            .enumerate()
            .map(|(i, (id, inv))| ExportItem {
                id: *id,
                status: if i % 2 == 0 {
                    "approved"
                } else {
                    "needs_review"
                },
                confidence: 0.5 + (i as f32) / 10.0,
                created_at: self.created,
                updated_at: self.created,
                invoice: inv,
            })
            .collect()
    }
}

fn csv_records(bytes: &[u8]) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut r = csv::Reader::from_reader(bytes);
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.expect("record");
            assert_eq!(rec.len(), header.len(), "ragged row");
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn invoices_csv_parses_back_with_the_right_values() {
    let fx = Fixture::standard();
    let out = render(&fx.items(), ExportFormat::Csv, false).expect("csv");
    assert!(out.content_type.starts_with("text/csv"));
    assert_eq!(out.extension, "csv");
    let (header, rows) = csv_records(&out.bytes);
    assert_eq!(header, INVOICE_COLUMNS);
    assert_eq!(rows.len(), 4);

    let full = &rows[0];
    assert_eq!(full["id"], fx.ids[0].to_string());
    assert_eq!(full["status"], "approved");
    assert_eq!(full["confidence"], "0.5");
    assert_eq!(full["created_at"], "2026-11-28T09:30:00Z");
    assert_eq!(full["invoice_number"], "RE-2024-0001");
    assert_eq!(full["issue_date"], "2024-03-01");
    assert_eq!(full["due_date"], "2024-03-31");
    assert_eq!(full["currency"], "EUR");
    assert_eq!(full["seller_name"], "Muster GmbH");
    assert_eq!(full["seller_vat_id"], "DE123456789");
    assert_eq!(full["buyer_name"], "Käufer AG");
    assert_eq!(full["net_amount"], "175.00");
    assert_eq!(full["tax_amount"], "25.21");
    assert_eq!(full["gross_amount"], "200.21");
    assert_eq!(full["payable_amount"], "150.20");
    assert_eq!(full["iban"], "DE02120300000000202051");
    assert_eq!(full["line_count"], "2");
    assert_eq!(full["payment_terms"], "30 days net, 2 % within 10 days");

    // Quotes, commas and newlines survive; formula starts are neutralised with a quote.
    let hostile = &rows[2];
    assert_eq!(hostile["seller_name"], format!("'{HOSTILE_SELLER}"));
    assert_eq!(hostile["buyer_name"], "'@SUM(A1:A9)");
    assert_eq!(hostile["invoice_number"], "'-2+3");

    // A negative amount is a number, not text: not neutralised.
    let credit = &rows[3];
    assert_eq!(credit["document_type"], "credit_note");
    assert_eq!(credit["payable_amount"], "-120.00");
    assert_eq!(credit["due_date"], "");
}

#[test]
fn lines_csv_has_one_row_per_line() {
    let fx = Fixture::standard();
    let out = render(&fx.items(), ExportFormat::CsvLines, false).expect("csv");
    let (header, rows) = csv_records(&out.bytes);
    assert_eq!(header, LINE_COLUMNS);
    // 2 lines in the full invoice, 1 in each other.
    assert_eq!(rows.len(), 5);
    let first = &rows[0];
    assert_eq!(first["invoice_id"], fx.ids[0].to_string());
    assert_eq!(first["invoice_number"], "RE-2024-0001");
    assert_eq!(first["line_id"], "1");
    assert_eq!(first["quantity"], "10.000");
    assert_eq!(first["unit_price"], "12.50");
    assert_eq!(first["line_amount"], "120.00");
    assert_eq!(first["allowance_amount"], "10.00");
    assert_eq!(first["vat_rate"], "19.00");
    assert_eq!(first["item_description"], "Blue, size L");
    assert_eq!(rows[3]["description"], "'+cmd|' /C calc'!A0");
}

#[test]
fn an_empty_set_is_a_header_only_csv() {
    let out = render(&[], ExportFormat::Csv, false).expect("csv");
    let (header, rows) = csv_records(&out.bytes);
    assert_eq!(header, INVOICE_COLUMNS);
    assert!(rows.is_empty());
}

fn col(name: &str, columns: &[&str]) -> usize {
    columns
        .iter()
        .position(|c| *c == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn xlsx_opens_with_typed_cells_on_two_sheets() {
    let fx = Fixture::standard();
    let out = render(&fx.items(), ExportFormat::Xlsx, false).expect("xlsx");
    assert_eq!(
        out.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(out.bytes)).expect("open");
    assert_eq!(book.sheet_names(), vec![INVOICES_SHEET, LINES_SHEET]);

    let inv = book.worksheet_range(INVOICES_SHEET).expect("sheet");
    assert_eq!(inv.height(), 1 + 4);
    let header: Vec<String> = inv
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, INVOICE_COLUMNS);
    let cell = |row: u32, name: &str| {
        inv.get_value((row, col(name, INVOICE_COLUMNS) as u32))
            .cloned()
            .unwrap_or(Data::Empty)
    };
    assert_eq!(
        cell(1, "invoice_number"),
        Data::String("RE-2024-0001".into())
    );
    assert_eq!(cell(1, "gross_amount"), Data::Float(200.21));
    assert_eq!(cell(1, "confidence"), Data::Float(0.5));
    assert_eq!(cell(1, "line_count"), Data::Float(2.0));
    assert_eq!(cell(4, "payable_amount"), Data::Float(-120.0));
    // Dates are date cells: Excel's serial number for 2024-03-01 is 45352.
    match cell(1, "issue_date") {
        Data::DateTime(dt) => {
            assert!(dt.is_datetime());
            assert_eq!(dt.as_f64(), 45352.0);
        }
        other => panic!("issue_date is not a date cell: {other:?}"),
    }
    assert!(matches!(cell(1, "created_at"), Data::DateTime(_)));
    // Text is text, verbatim (a text cell cannot run), and no cell is a formula.
    assert_eq!(cell(3, "seller_name"), Data::String(HOSTILE_SELLER.into()));
    let formulas = book.worksheet_formula(INVOICES_SHEET).expect("formulas");
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));

    let lines = book.worksheet_range(LINES_SHEET).expect("lines");
    assert_eq!(lines.height(), 1 + 5);
    let line = |row: u32, name: &str| {
        lines
            .get_value((row, col(name, LINE_COLUMNS) as u32))
            .cloned()
            .unwrap_or(Data::Empty)
    };
    assert_eq!(line(1, "quantity"), Data::Float(10.0));
    assert_eq!(line(1, "unit_price"), Data::Float(12.5));
    assert_eq!(line(2, "line_id"), Data::String("2".into()));
}

#[test]
fn xlsx_amounts_show_two_decimals() {
    // The number format lives in the styles part; calamine does not expose it, so check the
    // workbook's XML for the format code and that amount cells use a style.
    let fx = Fixture::standard();
    let out = render(&fx.items(), ExportFormat::Xlsx, false).expect("xlsx");
    let mut zip = zip::ZipArchive::new(Cursor::new(out.bytes)).expect("zip");
    let mut styles = String::new();
    zip.by_name("xl/styles.xml")
        .expect("styles")
        .read_to_string(&mut styles)
        .expect("read");
    assert!(styles.contains(r##"formatCode="#,##0.00""##), "{styles}");
    assert!(styles.contains(r#"formatCode="yyyy\-mm\-dd""#) || styles.contains("yyyy-mm-dd"));
}

#[test]
fn json_reads_back_into_the_model() {
    let fx = Fixture::standard();
    let items = fx.items();
    let out = render(&items, ExportFormat::Json, false).expect("json");
    assert_eq!(out.content_type, "application/json");
    let set: ExportedSet = serde_json::from_slice(&out.bytes).expect("parse");
    assert_eq!(set.count, 4);
    for (got, item) in set.invoices.iter().zip(&items) {
        assert_eq!(got.id, item.id);
        assert_eq!(got.status, item.status);
        assert_eq!(got.confidence, item.confidence);
        assert_eq!(got.created_at, item.created_at);
        assert_eq!(&got.invoice, item.invoice, "invoice {}", item.id);
    }

    let one = render(&items[..1], ExportFormat::Json, true).expect("json");
    let got: ExportedInvoice = serde_json::from_slice(&one.bytes).expect("parse one");
    assert_eq!(got.invoice, fx.invoices[0]);
}

/// Every UBL document in the archive re-imports with the same fields; the invoice without a
/// currency is listed as skipped.
#[test]
fn ubl_set_is_a_zip_of_documents_that_reimport_with_the_same_fields() {
    let mut invoices = vec![full_invoice(), credit_note(), hostile_invoice()];
    for seed in 0..5u64 {
        let spec =
            Spec::default().with_layout(LayoutKind::ALL[seed as usize % LayoutKind::ALL.len()]);
        invoices.push(doxin_synth::generate(seed, &spec).truth);
    }
    let mut no_currency = minimal_invoice();
    no_currency.currency = None;
    invoices.push(no_currency);
    let fx = Fixture::new(invoices);
    let items = fx.items();

    let out = render(&items, ExportFormat::Ubl, false).expect("zip");
    assert_eq!(out.content_type, "application/zip");
    assert_eq!(out.extension, "zip");
    let mut zip = zip::ZipArchive::new(Cursor::new(out.bytes)).expect("open zip");
    let mut manifest = String::new();
    zip.by_name(MANIFEST)
        .expect("manifest")
        .read_to_string(&mut manifest)
        .expect("read manifest");
    let manifest: Manifest = serde_json::from_str(&manifest).expect("manifest json");
    assert_eq!(manifest.files.len(), items.len() - 1);
    assert_eq!(
        zip.len(),
        items.len(),
        "one document per invoice plus the manifest"
    );
    assert_eq!(manifest.skipped.len(), 1);
    assert_eq!(manifest.skipped[0].id, *fx.ids.last().expect("id"));
    assert!(manifest.skipped[0].reason.contains("currency"));

    let by_id: HashMap<Uuid, &Invoice> = fx.ids.iter().copied().zip(&fx.invoices).collect();
    for entry in &manifest.files {
        assert!(entry.file.ends_with(".xml") && !entry.file.contains('/'));
        let mut xml = String::new();
        zip.by_name(&entry.file)
            .expect("entry")
            .read_to_string(&mut xml)
            .expect("read entry");
        let original = by_id[&entry.id];
        let extraction = extract(xml.as_bytes(), &ExtractOptions::default())
            .unwrap_or_else(|e| panic!("re-import of {} failed: {e}", entry.file));
        assert_eq!(extraction.path, ExtractionPath::Xml);
        assert_kept(original, &extraction.invoice, &xml);
    }
}

#[test]
fn ubl_for_one_invoice_is_the_bare_document() {
    let fx = Fixture::new(vec![full_invoice()]);
    let items = fx.items();
    let out = render(&items, ExportFormat::Ubl, true).expect("ubl");
    assert_eq!(out.content_type, "application/xml");
    assert_eq!(out.extension, "xml");
    let (expected, _) = round_trip(&fx.invoices[0]);
    assert_eq!(String::from_utf8(out.bytes).expect("utf-8"), expected);

    let mut bad = minimal_invoice();
    bad.currency = None;
    let fx = Fixture::new(vec![bad]);
    let err = render(&fx.items(), ExportFormat::Ubl, true).expect_err("no currency");
    assert!(matches!(err, RenderError::Ubl { id, .. } if id == fx.ids[0]));
    assert!(err.is_content_error());
}
