//! The PDF text layer on generated fixtures: positions, reading order, columns, pages,
//! rotation, and agreement with poppler's `pdftotext` where it is installed.

mod pdf_support;

use doxin_extract::pdf::{TextDocument, TextPage, page_count, text_layer};
use pdf_support::{Font, Page, PdfBuilder, oracle_words, pdftotext};

fn layer(pdf: &[u8]) -> TextDocument {
    text_layer(pdf).expect("text layer")
}

fn line_texts(page: &TextPage) -> Vec<String> {
    page.lines.iter().map(|l| l.text.clone()).collect()
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn words_have_top_left_boxes_from_font_metrics() {
    let pdf = PdfBuilder::new()
        .page(Page::a4().text(72.0, 100.0, 12.0, "Invoice number 2024-001"))
        .build();
    let doc = layer(&pdf);
    assert_eq!(doc.pages.len(), 1);
    let page = &doc.pages[0];
    assert_eq!((page.number, page.width, page.height), (1, 595.0, 842.0));
    let words: Vec<&str> = page.words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(words, ["Invoice", "number", "2024-001"]);

    let (ascent, descent) = Font::Helvetica.ascent_descent();
    let w = &page.words[0];
    assert!(close(w.bbox.x0, 72.0, 0.01), "{:?}", w.bbox);
    assert!(
        close(w.bbox.y0, 100.0 - ascent * 12.0, 0.05),
        "{:?}",
        w.bbox
    );
    assert!(
        close(w.bbox.y1, 100.0 + descent * 12.0, 0.05),
        "{:?}",
        w.bbox
    );
    let width = Font::Helvetica.width("Invoice", 12.0);
    assert!(
        close(w.bbox.x1, 72.0 + width, 0.05),
        "{:?} vs {width}",
        w.bbox
    );
    assert!(close(w.font_size, 12.0, 0.01));
    assert!(w.horizontal);

    // The last word starts after "Invoice number " in Helvetica.
    let x = 72.0 + Font::Helvetica.width("Invoice number ", 12.0);
    assert!(close(page.words[2].bbox.x0, x, 0.05));
    assert_eq!(line_texts(page), ["Invoice number 2024-001"]);
    assert_eq!(page.lines[0].words, 0..3);
}

#[test]
fn reading_order_is_rebuilt_from_geometry() {
    // Drawn bottom-up and right-to-left; read top-down, left-to-right.
    let pdf = PdfBuilder::new()
        .page(
            Page::a4()
                .text(72.0, 300.0, 10.0, "Total")
                .text(300.0, 200.0, 10.0, "Amount")
                .text(72.0, 200.0, 10.0, "Item")
                .text(72.0, 100.0, 14.0, "INVOICE"),
        )
        .build();
    let doc = layer(&pdf);
    assert_eq!(
        line_texts(&doc.pages[0]),
        ["INVOICE", "Item Amount", "Total"]
    );
    let words: Vec<&str> = doc.pages[0].words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(words, ["INVOICE", "Item", "Amount", "Total"]);
}

#[test]
fn two_columns_stay_apart_and_aligned() {
    let left = ["Seller GmbH", "Main Street 1", "10115 Berlin"];
    let right = ["Invoice no. 4711", "Date 2024-03-01", "Customer 99"];
    let mut page = Page::a4();
    for (i, (l, r)) in left.iter().zip(right).enumerate() {
        let y = 100.0 + 14.0 * i as f32;
        page = page.text(50.0, y, 10.0, l).text(350.0, y, 10.0, r);
    }
    let pdf = PdfBuilder::new().page(page).build();
    let doc = layer(&pdf);
    let page = &doc.pages[0];
    assert_eq!(page.lines.len(), 3);
    let laid: Vec<String> = page.lines.iter().map(|l| l.text_with_gaps(page)).collect();
    for (i, text) in laid.iter().enumerate() {
        assert!(text.starts_with(left[i]), "{text:?}");
        assert!(text.ends_with(right[i]), "{text:?}");
        // The column gap is a visible run of spaces, much more than a word space.
        let gap = &text[left[i].len()..text.len() - right[i].len()];
        assert!(gap.len() >= 10 && gap.trim().is_empty(), "{text:?}");
    }
    // The right column starts at the same character column on every line.
    let starts: Vec<usize> = laid
        .iter()
        .zip(right)
        .map(|(t, r)| t.find(r).expect("right column"))
        .collect();
    assert!(starts.iter().all(|&s| s == starts[0]), "{laid:#?}");
    // Plain text keeps single spaces.
    assert_eq!(page.lines[0].text, "Seller GmbH Invoice no. 4711");
}

#[test]
fn table_columns_line_up_in_layout_text() {
    let rows = [
        ("1", "Widget large", "2", "10.00", "20.00"),
        ("2", "Bolt", "100", "0.25", "25.00"),
        ("3", "Service hour", "1.5", "80.00", "120.00"),
    ];
    let mut page = Page::a4()
        .bold(50.0, 200.0, 9.0, "Pos")
        .bold(80.0, 200.0, 9.0, "Description")
        .bold(300.0, 200.0, 9.0, "Qty")
        .bold(400.0, 200.0, 9.0, "Price")
        .bold(500.0, 200.0, 9.0, "Amount");
    for (i, (pos, desc, qty, price, amount)) in rows.iter().enumerate() {
        let y = 215.0 + 13.0 * i as f32;
        page = page
            .text(50.0, y, 9.0, pos)
            .text(80.0, y, 9.0, desc)
            .text(300.0, y, 9.0, qty)
            .text_right(430.0, y, 9.0, price)
            .text_right(540.0, y, 9.0, amount);
    }
    let pdf = PdfBuilder::new().page(page).compressed().build();
    let doc = layer(&pdf);
    let text = doc.pages[0].layout_text();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 4, "{text}");
    // Left-aligned columns start at the same character column on every row.
    let col = |line: &str, word: &str| line.find(word).expect(word);
    assert_eq!(
        col(lines[1], "Widget"),
        col(lines[0], "Description"),
        "{text}"
    );
    assert_eq!(
        col(lines[2], "Bolt"),
        col(lines[0], "Description"),
        "{text}"
    );
    assert_eq!(col(lines[1], " 2 ") + 1, col(lines[0], "Qty"), "{text}");
    assert_eq!(col(lines[3], "1.5"), col(lines[0], "Qty"), "{text}");
    // Right-aligned amounts end within a column of each other.
    let ends: Vec<usize> = lines[1..].iter().map(|l| l.trim_end().len()).collect();
    assert!(
        ends.iter().max().unwrap() - ends.iter().min().unwrap() <= 1,
        "{text}"
    );
}

#[test]
fn multi_page_documents_keep_page_numbers_and_sizes() {
    let pdf = PdfBuilder::new()
        .page(Page::a4().text(72.0, 72.0, 11.0, "Page one"))
        .page(Page::new(612.0, 792.0).text(72.0, 72.0, 11.0, "Page two"))
        .page(Page::a4())
        .page(Page::a4().text(72.0, 700.0, 11.0, "Page four"))
        .compressed()
        .build();
    assert_eq!(page_count(&pdf).expect("count"), 4);
    let doc = layer(&pdf);
    let numbers: Vec<u32> = doc.pages.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert_eq!((doc.pages[1].width, doc.pages[1].height), (612.0, 792.0));
    assert_eq!(line_texts(&doc.pages[0]), ["Page one"]);
    assert_eq!(line_texts(&doc.pages[1]), ["Page two"]);
    assert!(doc.pages[2].words.is_empty() && doc.pages[2].lines.is_empty());
    assert_eq!(line_texts(&doc.pages[3]), ["Page four"]);
    let layout = doc.layout_text();
    assert_eq!(layout.matches('\x0c').count(), 3);
    assert_eq!(doc.word_count(), 6);
}

#[test]
fn rotated_pages_are_read_as_displayed() {
    for rotate in [90, 180, 270] {
        let page = Page::a4()
            .rotate(rotate)
            .text(60.0, 80.0, 12.0, "Landscape heading")
            .text(60.0, 120.0, 10.0, "Second line");
        let (w, h) = page.display_size();
        let pdf = PdfBuilder::new().page(page).build();
        let doc = layer(&pdf);
        let p = &doc.pages[0];
        assert_eq!((p.width, p.height), (w, h), "rotate {rotate}");
        assert_eq!(
            line_texts(p),
            ["Landscape heading", "Second line"],
            "rotate {rotate}"
        );
        let b = p.words[0].bbox;
        assert!(close(b.x0, 60.0, 0.05), "rotate {rotate}: {b:?}");
        assert!(
            close(b.y1, 80.0 + 0.207 * 12.0, 0.05),
            "rotate {rotate}: {b:?}"
        );
        assert!(p.words.iter().all(|w| w.horizontal));
    }
}

#[test]
fn turned_text_is_kept_as_its_own_line() {
    let pdf = PdfBuilder::new()
        .page(Page::a4().text(72.0, 100.0, 10.0, "Body text").turned_text(
            3,
            20.0,
            600.0,
            7.0,
            "Printed by DoxIn test",
        ))
        .build();
    let doc = layer(&pdf);
    let p = &doc.pages[0];
    let turned: Vec<&str> = p
        .words
        .iter()
        .filter(|w| !w.horizontal)
        .map(|w| w.text.as_str())
        .collect();
    assert_eq!(turned, ["Printed", "by", "DoxIn", "test"]);
    let line = p
        .lines
        .iter()
        .find(|l| l.text == "Printed by DoxIn test")
        .expect("turned line");
    // Reading bottom to top from y = 600: a tall, narrow box ending at the start point.
    assert!(line.bbox.y1 - line.bbox.y0 > 50.0 && line.bbox.x1 - line.bbox.x0 < 10.0);
    assert!(close(line.bbox.y1, 600.0, 0.5), "{:?}", line.bbox);
}

#[test]
fn kerned_words_without_space_characters_are_split_by_geometry() {
    // One TJ array: word gaps are only positioning offsets, no space glyphs; the small
    // kerning inside "AVATAR" must not split it.
    let pdf = PdfBuilder::new()
        .page(Page::a4().raw(
            "BT /F1 10 Tf 1 0 0 1 72 700 Tm [(Invoice) -300 (Number) -2000 (AV) 80 (ATAR)] TJ ET",
        ))
        .build();
    let doc = layer(&pdf);
    let words: Vec<&str> = doc.pages[0].words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(words, ["Invoice", "Number", "AVATAR"]);
    let p = &doc.pages[0];
    let laid = p.lines[0].text_with_gaps(p);
    assert!(laid.contains("Invoice Number  "), "{laid:?}");
}

#[test]
fn a_short_letter_advance_inside_a_word_does_not_split_it() {
    // A font whose "r" advances too little leaves 0.12 em after it: "Liefer ant" in pdftotext.
    // A word gap (0.28 em here) still splits.
    let pdf = PdfBuilder::new()
        .page(Page::a4().raw(
            "BT /F1 10 Tf 1 0 0 1 72 700 Tm [(Ver) -120 (k) 0 (aeufer:) -280 (Liefer) -120 (ant) -280 (GmbH)] TJ ET",
        ))
        .build();
    let doc = layer(&pdf);
    let words: Vec<&str> = doc.pages[0].words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(words, ["Verkaeufer:", "Lieferant", "GmbH"]);
}

#[test]
fn kerned_words_on_a_rotated_page_are_split_by_geometry() {
    // On a /Rotate 90 page the text runs up the user space; pdf_oxide reports no advances for
    // such glyphs, so their extents are estimated. Word gaps from TJ offsets must still show.
    let pdf = PdfBuilder::new()
        .page(Page::a4().rotate(90).raw(
            "BT /F1 10 Tf 0 1 -1 0 100 50 Tm [(Invoice) -300 (Number) -2000 (AV) 80 (ATAR) -250 (total)] TJ ET",
        ))
        .build();
    let doc = layer(&pdf);
    let p = &doc.pages[0];
    let words: Vec<&str> = p.words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(words, ["Invoice", "Number", "AVATAR", "total"]);
    assert!(p.words.iter().all(|w| w.horizontal));
    let b = p.words[0].bbox;
    assert!(
        close(b.x0, 50.0, 0.05) && close(b.y1, 100.0 + 0.207 * 10.0, 0.05),
        "{b:?}"
    );
    let width = Font::Helvetica.width("Invoice", 10.0);
    assert!(close(b.x1 - b.x0, width, 0.5), "{b:?} vs {width}");
}

#[test]
fn scaled_text_matrix_gives_the_rendered_size() {
    // Font size 1 scaled by the text matrix to 12 pt.
    let pdf = PdfBuilder::new()
        .page(Page::a4().raw("BT /F1 1 Tf 12 0 0 12 100 700 Tm (Scaled) Tj ET"))
        .build();
    let doc = layer(&pdf);
    let w = &doc.pages[0].words[0];
    assert_eq!(w.text, "Scaled");
    assert!(close(w.font_size, 12.0, 0.1), "{w:?}");
    let width = Font::Helvetica.width("Scaled", 12.0);
    assert!(close(w.bbox.x1 - w.bbox.x0, width, 0.1), "{w:?}");
    assert!(close(w.bbox.y1, 142.0 + 0.207 * 12.0, 0.1), "{w:?}");
}

#[test]
fn fake_bold_drawn_twice_reads_once() {
    let pdf = PdfBuilder::new()
        .page(Page::a4().text(100.0, 100.0, 12.0, "Total due").text(
            100.3,
            100.0,
            12.0,
            "Total due",
        ))
        .build();
    let doc = layer(&pdf);
    assert_eq!(line_texts(&doc.pages[0]), ["Total due"]);
}

#[test]
fn latin1_and_euro_text_survive() {
    let pdf = PdfBuilder::new()
        .page(Page::a4().text(72.0, 100.0, 10.0, "Müller Straße 5 – Größe: 12,50 €"))
        .build();
    let doc = layer(&pdf);
    // '–' is not in Latin-1 and is written as '?' by the fixture encoder.
    assert_eq!(
        line_texts(&doc.pages[0]),
        ["Müller Straße 5 ? Größe: 12,50 €"]
    );
}

#[test]
fn superscripts_and_offset_cells_share_a_line() {
    let pdf = PdfBuilder::new()
        .page(
            Page::a4()
                .text(72.0, 100.0, 10.0, "Area 25 m")
                .text(
                    72.0 + Font::Helvetica.width("Area 25 m", 10.0),
                    96.5,
                    6.0,
                    "2",
                )
                .text(300.0, 100.8, 10.0, "EUR 12.00"),
        )
        .build();
    let doc = layer(&pdf);
    assert_eq!(line_texts(&doc.pages[0]), ["Area 25 m2 EUR 12.00"]);
}

#[test]
fn text_outside_the_page_is_dropped() {
    let pdf = PdfBuilder::new()
        .page(
            Page::a4()
                .text(72.0, 100.0, 10.0, "Visible")
                .raw("BT /F1 10 Tf 1 0 0 1 900 -400 Tm (Hidden) Tj ET"),
        )
        .build();
    assert_eq!(line_texts(&layer(&pdf).pages[0]), ["Visible"]);
}

/// A page shaped like an invoice, for the oracle comparison.
fn invoice_page() -> Page {
    let mut page = Page::a4()
        .bold(50.0, 60.0, 16.0, "ACME Supplies Ltd")
        .text(50.0, 78.0, 9.0, "12 Harbour Road, Bristol BS1 4AA")
        .text(50.0, 90.0, 9.0, "VAT GB123456789")
        .bold(380.0, 60.0, 14.0, "INVOICE")
        .text(380.0, 78.0, 9.0, "Invoice no.")
        .text_right(545.0, 78.0, 9.0, "INV-2024-0042")
        .text(380.0, 90.0, 9.0, "Date")
        .text_right(545.0, 90.0, 9.0, "05/03/2024")
        .text(
            50.0,
            130.0,
            9.0,
            "Bill to: Example Retail GmbH, Hauptstraße 7, 80331 München",
        );
    let items = [
        ("Copy paper A4 (500 sheets)", "10", "4.50", "45.00"),
        ("Toner cartridge TN-2420", "2", "61.99", "123.98"),
        ("Delivery", "1", "7.50", "7.50"),
    ];
    page = page
        .bold(50.0, 170.0, 9.0, "Description")
        .bold(330.0, 170.0, 9.0, "Qty")
        .bold(400.0, 170.0, 9.0, "Unit price")
        .bold(500.0, 170.0, 9.0, "Amount");
    for (i, (d, q, u, a)) in items.iter().enumerate() {
        let y = 186.0 + 14.0 * i as f32;
        page = page
            .text(50.0, y, 9.0, d)
            .text_right(350.0, y, 9.0, q)
            .text_right(445.0, y, 9.0, u)
            .text_right(545.0, y, 9.0, a);
    }
    page.text(400.0, 250.0, 9.0, "Subtotal")
        .text_right(545.0, 250.0, 9.0, "176.48")
        .text(400.0, 263.0, 9.0, "VAT 20%")
        .text_right(545.0, 263.0, 9.0, "35.30")
        .bold(400.0, 278.0, 10.0, "Total GBP")
        .text_right(545.0, 278.0, 10.0, "211.78")
        .turned_text(
            3,
            20.0,
            800.0,
            6.0,
            "ACME Supplies Ltd registered in England 01234567",
        )
}

#[test]
fn words_agree_with_pdftotext() {
    let pdf = PdfBuilder::new()
        .page(invoice_page())
        .page(
            Page::a4()
                .rotate(90)
                .text(50.0, 50.0, 11.0, "Rotated page text 1.234,56"),
        )
        .compressed()
        .build();
    if let Ok(p) = std::env::var("DUMP_PDF") {
        std::fs::write(p, &pdf).unwrap();
    }
    let Some(oracle) = oracle_words(&pdf) else {
        eprintln!("pdftotext not installed: oracle comparison skipped");
        return;
    };
    let doc = layer(&pdf);
    assert_eq!(doc.pages.len(), oracle.len());
    for (page, reference) in doc.pages.iter().zip(&oracle) {
        let mut ours: Vec<&str> = page.words.iter().map(|w| w.text.as_str()).collect();
        let mut theirs: Vec<&str> = reference.iter().map(|w| w.text.as_str()).collect();
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(ours, theirs, "page {}", page.number);
        // Every word's box matches poppler's: vertically within 0.1 pt; horizontally within
        // 1 pt, because pdf_oxide's built-in widths for non-ASCII glyphs of the unembedded
        // standard fonts differ slightly from poppler's ("ß" is 0.55 em, not 0.611 em).
        // Turned text: pdf_oxide gives no advances, the last glyph's extent is estimated.
        for w in &page.words {
            let (along, across) = if w.horizontal { (1.0, 0.1) } else { (0.1, 1.0) };
            let found = reference.iter().any(|r| {
                r.text == w.text
                    && close(r.bbox[0], w.bbox.x0, along)
                    && close(r.bbox[1], w.bbox.y0, across)
                    && close(r.bbox[2], w.bbox.x1, along)
                    && close(r.bbox[3], w.bbox.y1, across)
            });
            assert!(
                found,
                "page {}: {:?} has no matching pdftotext box",
                page.number, w
            );
        }
    }
}

#[test]
fn layout_text_reads_like_pdftotext_layout() {
    let pdf = PdfBuilder::new().page(invoice_page()).build();
    let Some(reference) = pdftotext(&pdf, &["-layout"]) else {
        eprintln!("pdftotext not installed: oracle comparison skipped");
        return;
    };
    let ours = layer(&pdf).layout_text();
    // The same lines with the same words (spacing may differ: poppler's grid is finer).
    let norm = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect()
    };
    let (ours_lines, ref_lines) = (norm(&ours), norm(&reference));
    for line in ref_lines
        .iter()
        .filter(|l| l.contains("Toner") || l.contains("Total GBP"))
    {
        assert!(ours_lines.contains(line), "{line:?} missing from\n{ours}");
    }
    // Column breaks are visible in ours: the item line has runs of several spaces.
    let item = ours
        .lines()
        .find(|l| l.contains("Toner"))
        .expect("item line");
    assert!(item.contains("TN-2420   "), "{item:?}");
}

/// Found by the `pdf_text` fuzz target: pdf_oxide slices a string inside a UTF-8 character while
/// scanning for a damaged object and panics. DoxIn runs it behind `catch_unwind`, so the file is
/// a typed error (or a page count), never a panic that escapes.
#[test]
fn a_pdf_oxide_panic_on_a_damaged_object_is_contained() {
    let pdf = include_bytes!("fixtures/fuzz/pdf_oxide_char_boundary.pdf");
    let layer = std::panic::catch_unwind(|| text_layer(pdf));
    assert!(layer.is_ok(), "text_layer let a panic escape");
    let count = std::panic::catch_unwind(|| page_count(pdf));
    match count {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => assert!(["corrupt_file", "encrypted_pdf"].contains(&e.code()), "{e}"),
        Err(_) => panic!("page_count let a panic escape"),
    }
}
