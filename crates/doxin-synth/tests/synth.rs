//! The generator's promises: determinism, reconciling totals, valid identifiers, extractable
//! text, page images of the announced size.

use std::collections::HashSet;
use std::process::Command;

use doxin_model::{Iban, Severity, Tolerance, VatId, validate};
use doxin_synth::{
    Country, Language, LayoutKind, ProductFamily, SCAN_MAX_LINES, Spec, generate, scan_size,
    scanned, scanned_png,
};

#[test]
fn same_seed_gives_identical_bytes_and_truth() {
    for seed in [0, 1, 77, u64::MAX] {
        let a = generate(seed, &Spec::default());
        let b = generate(seed, &Spec::default());
        assert_eq!(a.pdf, b.pdf, "seed {seed}");
        assert_eq!(a.truth, b.truth, "seed {seed}");
        assert_eq!(a.facts, b.facts, "seed {seed}");
    }
    assert_ne!(
        generate(1, &Spec::default()).pdf,
        generate(2, &Spec::default()).pdf
    );
}

#[test]
fn a_misprinted_total_changes_only_the_total() {
    for seed in [1, 66, 500] {
        let good = generate(seed, &Spec::default());
        let bad = generate(seed, &Spec::default().with_misprinted_total());
        assert_ne!(
            bad.facts.gross_amount, good.facts.gross_amount,
            "seed {seed}"
        );
        assert_eq!(
            bad.facts.consistent_gross_amount,
            good.facts.consistent_gross_amount
        );
        assert_eq!(bad.facts.invoice_number, good.facts.invoice_number);
        assert_eq!(bad.facts.line_descriptions, good.facts.line_descriptions);
        // What the page shows does not add up: the truth's gross is net + VAT + a tenth.
        let errors: Vec<_> = validate(&bad.truth, &Tolerance::default())
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        assert!(
            errors
                .iter()
                .any(|f| f.field.as_deref() == Some("totals.tax_inclusive_amount")),
            "seed {seed}: {errors:?}"
        );
    }
}

#[test]
fn totals_reconcile_and_identifiers_are_valid() {
    let multi = Spec::multi_page();
    for seed in 0..300u64 {
        let spec = if seed % 10 == 0 {
            multi.clone()
        } else {
            Spec::default()
        };
        let s = generate(seed, &spec);
        let errors: Vec<_> = validate(&s.truth, &Tolerance::default())
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "seed {seed}: {errors:#?}");
        let t = &s.truth.totals;
        let v = |f: &Option<doxin_model::Extracted<doxin_model::Decimal>>| {
            f.as_ref().map(|e| e.value).expect("total present")
        };
        let net: doxin_model::Decimal = s
            .truth
            .lines
            .iter()
            .map(|l| l.line_amount.as_ref().map(|e| e.value).unwrap_or_default())
            .sum();
        assert_eq!(v(&t.tax_exclusive_amount), net, "seed {seed}");
        assert_eq!(
            v(&t.tax_inclusive_amount),
            v(&t.tax_exclusive_amount) + v(&t.tax_amount)
        );
        assert_eq!(v(&t.payable_amount), v(&t.tax_inclusive_amount));
        for line in &s.truth.lines {
            let q = line.quantity.as_ref().map(|e| e.value).unwrap_or_default();
            let p = line
                .unit_price
                .as_ref()
                .map(|e| e.value)
                .unwrap_or_default();
            let a = line
                .line_amount
                .as_ref()
                .map(|e| e.value)
                .unwrap_or_default();
            let exact = (q * p)
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            assert_eq!(a, exact, "seed {seed}");
        }
        for party in [&s.truth.seller, &s.truth.buyer] {
            if let Some(vat) = &party.vat_id {
                let parsed = VatId::parse(&vat.value).expect("valid VAT id");
                assert_eq!(
                    parsed.as_str(),
                    vat.value,
                    "VAT ids are compact in the truth"
                );
            }
        }
        for account in &s.truth.bank_accounts {
            if let Some(iban) = &account.iban {
                Iban::parse(&iban.value).expect("valid IBAN");
            }
        }
        assert!(
            (1..=12).contains(&s.truth.lines.len()) || spec == multi,
            "line count"
        );
    }
}

#[test]
fn truth_values_point_at_what_is_printed() {
    let s = generate(5, &Spec::default());
    let number = s.truth.invoice_number.as_ref().expect("number");
    assert_eq!(number.source, doxin_model::Source::Human);
    assert_eq!(number.confidence, 1.0);
    assert_eq!(
        number.raw_text.as_deref(),
        Some(s.facts.invoice_number.as_str())
    );
    assert_eq!(number.page, Some(1));
    let bbox = number.bbox.expect("box");
    assert!(bbox.x0 >= 0.0 && bbox.x1 <= 595.0 && bbox.y0 < bbox.y1 && bbox.y1 <= 842.0);
    let gross = s.truth.totals.payable_amount.as_ref().expect("gross");
    assert_eq!(
        gross.raw_text.as_deref(),
        Some(s.facts.gross_total.as_str())
    );
    assert_eq!(
        s.truth
            .issue_date
            .as_ref()
            .and_then(|d| d.raw_text.as_deref()),
        Some(s.facts.issue_date.as_str())
    );
}

#[test]
fn spec_choices_are_respected_and_all_variants_occur() {
    let mut layouts = HashSet::new();
    let mut countries = HashSet::new();
    for seed in 0..120u64 {
        let f = generate(seed, &Spec::default()).facts;
        layouts.insert(f.layout);
        countries.insert(f.country);
        assert_eq!(f.language, f.country.language());
        // The added layouts are only made on request: seeds keep their documents.
        assert!(!f.layout.is_unseen(), "seed {seed}: {:?}", f.layout);
    }
    assert_eq!(layouts.len(), LayoutKind::ALL.len());
    assert_eq!(countries.len(), Country::ALL.len());

    for language in Language::ALL {
        for layout in LayoutKind::EVERY {
            let spec = Spec::default()
                .with_language(language)
                .with_layout(layout)
                .with_lines(3..=3);
            let s = generate(9, &spec);
            assert_eq!((s.facts.language, s.facts.layout), (language, layout));
            assert_eq!(s.truth.lines.len(), 3);
        }
    }
    let ch = generate(3, &Spec::default().with_country(Country::Ch));
    assert_eq!(ch.facts.country, Country::Ch);
    assert_eq!(
        ch.truth.currency.as_ref().map(|c| c.value.as_str()),
        Some("CHF")
    );
    assert!(ch.facts.gross_total.starts_with("CHF "));
}

#[test]
fn office_chair_family_for_semantic_search() {
    let spec = Spec::default()
        .with_family(ProductFamily::OfficeChairs)
        .with_language(Language::De)
        .with_lines(8..=8);
    let s = generate(11, &spec);
    assert!(
        s.facts
            .line_descriptions
            .iter()
            .all(|d| d.contains("stuhl") || d.contains("stühle") || d.contains("Stuhl")),
        "{:?}",
        s.facts.line_descriptions
    );
}

#[test]
fn many_lines_continue_on_further_pages() {
    let s = generate(4, &Spec::default().with_lines(60..=60));
    assert!(s.facts.pages >= 2, "{} pages", s.facts.pages);
    let last = s.truth.lines.last().and_then(|l| l.line_amount.as_ref());
    assert!(last.and_then(|a| a.page).unwrap_or(0) >= 2);
    let gross = s.truth.totals.payable_amount.as_ref().and_then(|g| g.page);
    assert_eq!(gross, Some(s.facts.pages));
}

/// Text of the PDF by `pdftotext -layout`, or `None` (test skipped) when poppler is absent
/// outside CI.
fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    match Command::new("pdftotext")
        .arg("-layout")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(out.status.success(), "pdftotext failed: {out:?}");
            Some(String::from_utf8(out.stdout).expect("UTF-8 text"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("pdftotext (poppler-utils) is required in CI");
            }
            eprintln!("SKIPPED: pdftotext is not installed (apt install poppler-utils)");
            None
        }
        Err(e) => panic!("cannot run pdftotext: {e}"),
    }
}

#[test]
fn text_layer_shows_number_total_seller_and_accents() {
    for (i, language) in Language::ALL.into_iter().enumerate() {
        for (j, layout) in LayoutKind::EVERY.into_iter().enumerate() {
            let seed = (i * 10 + j) as u64;
            let s = generate(
                seed,
                &Spec::default().with_language(language).with_layout(layout),
            );
            let Some(text) = pdftotext(&s.pdf) else {
                return;
            };
            let f = &s.facts;
            for needle in [&f.invoice_number, &f.gross_total, &f.seller_name] {
                assert!(
                    text.contains(needle.as_str()),
                    "{language:?}/{layout:?} seed {seed}: {needle:?} not in\n{text}"
                );
            }
            for d in &f.line_descriptions {
                assert!(text.contains(d.as_str()), "{d:?} not in\n{text}");
            }
        }
    }
    // Umlauts, ß and the euro sign survive extraction.
    let de = generate(
        1,
        &Spec::default()
            .with_country(Country::De)
            .with_family(ProductFamily::OfficeChairs)
            .with_lines(12..=12),
    );
    if let Some(text) = pdftotext(&de.pdf) {
        assert!(text.contains("Bürostuhl") || text.contains("Rollen für Bürostühle"));
        assert!(text.contains("Gesamtbetrag"));
        assert!(text.contains(&de.facts.gross_total));
    }
    let fr = generate(2, &Spec::default().with_country(Country::Fr));
    if let Some(text) = pdftotext(&fr.pdf) {
        assert!(text.contains("Désignation") && text.contains("Total TTC"));
    }
}

#[test]
fn scanned_page_decodes_with_the_expected_size() {
    let spec = Spec {
        scan_dpi: 150.0,
        ..Spec::default().with_lines(20..=30)
    };
    let s = scanned(3, &spec);
    let img = image::load_from_memory(&s.png).expect("PNG decodes");
    let (w, h) = scan_size(150.0);
    assert_eq!((img.width(), img.height()), (w, h));
    assert_eq!((s.width, s.height), (w, h));
    assert_eq!(s.facts.pages, 1, "a scan is one page");
    assert!(s.truth.lines.len() <= SCAN_MAX_LINES);
    // Not blank and not black: dark text on light paper.
    let gray = img.to_luma8();
    let dark = gray.pixels().filter(|p| p.0[0] < 100).count();
    let total = (w * h) as usize;
    assert!(
        dark > total / 200 && dark < total / 5,
        "{dark} of {total} dark"
    );

    let (png, truth) = scanned_png(3, &spec);
    assert_eq!(png, s.png, "deterministic");
    assert_eq!(truth, s.truth);
    assert_ne!(scanned_png(4, &spec).0, png);
}

fn dec(f: &Option<doxin_model::Extracted<doxin_model::Decimal>>) -> doxin_model::Decimal {
    f.as_ref().map(|e| e.value).unwrap_or_default()
}

#[test]
fn unseen_layouts_reconcile_and_show_their_features() {
    use doxin_model::Decimal;
    for layout in LayoutKind::UNSEEN {
        assert_eq!(LayoutKind::from_name(layout.name()), Some(layout));
        let (mut discounts, mut serials, mut periods) = (0, 0, 0);
        for seed in 0..80u64 {
            let spec = if seed % 10 == 0 {
                Spec::multi_page()
            } else {
                Spec::default()
            }
            .with_layout(layout);
            let s = generate(seed, &spec);
            assert_eq!(s.facts.layout, layout);
            let errors: Vec<_> = validate(&s.truth, &Tolerance::default())
                .into_iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            assert!(errors.is_empty(), "{layout:?} seed {seed}: {errors:#?}");
            let t = &s.truth.totals;
            let lines = &s.truth.lines;
            let net: Decimal = lines.iter().map(|l| dec(&l.line_amount)).sum();
            assert_eq!(dec(&t.tax_exclusive_amount), net, "{layout:?} seed {seed}");
            assert_eq!(
                dec(&t.tax_inclusive_amount),
                net + dec(&t.tax_amount),
                "{layout:?} seed {seed}"
            );
            // VAT per rate: the rate applied to that rate's lines, rounded once.
            let mut vat = Decimal::ZERO;
            for b in &s.truth.vat_breakdown {
                let rate = dec(&b.rate);
                let base: Decimal = lines
                    .iter()
                    .filter(|l| s.truth.vat_breakdown.len() == 1 || dec(&l.vat_rate) == rate)
                    .map(|l| dec(&l.line_amount))
                    .sum();
                assert_eq!(dec(&b.taxable_amount), base, "{layout:?} seed {seed}");
                let tax = (base * rate / Decimal::ONE_HUNDRED).round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                assert_eq!(dec(&b.tax_amount), tax, "{layout:?} seed {seed}");
                vat += tax;
            }
            assert_eq!(dec(&t.tax_amount), vat, "{layout:?} seed {seed}");
            for line in lines {
                // The printed amount is quantity × price less the line's discount.
                let gross = (dec(&line.quantity) * dec(&line.unit_price)).round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                assert_eq!(
                    dec(&line.line_amount),
                    gross - dec(&line.allowance_amount),
                    "{layout:?} seed {seed}"
                );
                if let Some(a) = &line.allowance_amount {
                    assert!(a.value > Decimal::ZERO && a.value < gross, "seed {seed}");
                    discounts += 1;
                }
                serials += usize::from(line.item_description.is_some());
                periods += usize::from(line.note.is_some());
                assert_eq!(
                    line.seller_item_id.is_some(),
                    layout == LayoutKind::Landscape
                );
                if layout == LayoutKind::Landscape {
                    let unit = line.unit_code.as_ref().map(|u| u.value.as_str());
                    assert!(matches!(unit, Some("H87" | "HUR")), "{unit:?}");
                    assert!(line.vat_rate.is_some(), "every line shows its rate");
                }
            }
            if layout == LayoutKind::SubLines {
                assert!(
                    lines.iter().any(|l| l.allowance_amount.is_some()),
                    "seed {seed}: a discount on every sub-lines document"
                );
                assert!(
                    lines
                        .iter()
                        .any(|l| l.item_description.is_some() || l.note.is_some()),
                    "seed {seed}: a second line on every sub-lines document"
                );
            }
            // Every placed value lies on its page, which is turned for the landscape layout.
            let (w, h) = if layout == LayoutKind::Landscape {
                (842.0, 595.0)
            } else {
                (595.0, 842.0)
            };
            let number = s.truth.invoice_number.as_ref().expect("number");
            let gross = t.payable_amount.as_ref().expect("gross");
            for (what, page, bbox) in [
                ("number", number.page, number.bbox),
                ("gross", gross.page, gross.bbox),
            ] {
                let b = bbox.expect("placed");
                assert!(
                    b.x0 >= 0.0 && b.x1 <= w && b.y0 >= 0.0 && b.y1 <= h,
                    "{layout:?} seed {seed}: {what} at {b:?}"
                );
                assert!(page.is_some_and(|p| p >= 1 && p <= s.facts.pages));
            }
            assert_eq!(gross.page, Some(s.facts.pages), "totals on the last page");
            if layout == LayoutKind::LeftTotals {
                // The invoice data sits beside the totals, after the table.
                assert_eq!(number.page, Some(s.facts.pages), "seed {seed}");
                let last = lines
                    .last()
                    .and_then(|l| l.line_amount.as_ref())
                    .expect("amount");
                if last.page == number.page {
                    let (n, a) = (number.bbox.expect("box"), last.bbox.expect("box"));
                    assert!(n.y0 > a.y1, "seed {seed}: number above the last line");
                }
            } else {
                assert_eq!(number.page, Some(1), "{layout:?} seed {seed}");
            }
        }
        if layout == LayoutKind::SubLines {
            assert!(
                discounts > 40 && serials > 10 && periods > 3,
                "{discounts} {serials} {periods}"
            );
        } else {
            assert_eq!(discounts, 0, "{layout:?}");
        }
    }
}

#[test]
fn landscape_pages_are_turned() {
    let s = generate(
        12,
        &Spec::default()
            .with_layout(LayoutKind::Landscape)
            .with_lines(50..=50),
    );
    assert!(s.facts.pages >= 2);
    let doc = lopdf::Document::load_mem(&s.pdf).expect("PDF loads");
    let pages = doc.get_pages();
    assert_eq!(pages.len() as u32, s.facts.pages);
    for id in pages.values() {
        let page = doc.get_dictionary(*id).expect("page");
        let media: Vec<f32> = page
            .get(b"MediaBox")
            .and_then(|m| m.as_array())
            .expect("MediaBox")
            .iter()
            .map(|v| v.as_float().expect("number"))
            .collect();
        assert_eq!(media, vec![0.0, 0.0, 842.0, 595.0]);
    }
    let portrait = generate(12, &Spec::default().with_layout(LayoutKind::SubLines));
    let doc = lopdf::Document::load_mem(&portrait.pdf).expect("PDF loads");
    let id = *doc.get_pages().values().next().expect("a page");
    let media = doc
        .get_dictionary(id)
        .and_then(|p| p.get(b"MediaBox"))
        .and_then(|m| m.as_array())
        .expect("MediaBox")
        .iter()
        .map(|v| v.as_float().expect("number"))
        .collect::<Vec<_>>();
    assert_eq!(media, vec![0.0, 0.0, 595.0, 842.0]);

    // A scan of a landscape invoice is a landscape image: `scan_size` turned on its side.
    let spec = Spec {
        scan_dpi: 50.0,
        ..Spec::default().with_layout(LayoutKind::Landscape)
    };
    let scan = scanned(12, &spec);
    let (w, h) = scan_size(50.0);
    assert_eq!((scan.width, scan.height), (h, w));
}

#[test]
fn sub_lines_and_discounts_are_in_the_text_layer() {
    let mut seen_row = false;
    let mut seen_column = false;
    for seed in 0..12u64 {
        let s = generate(
            seed,
            &Spec::default()
                .with_layout(LayoutKind::SubLines)
                .with_language(Language::En),
        );
        let Some(text) = pdftotext(&s.pdf) else {
            return;
        };
        for line in &s.truth.lines {
            let sub = line.item_description.as_ref().or(line.note.as_ref());
            if let Some(sub) = sub {
                assert!(
                    text.contains(sub.value.as_str()),
                    "{:?} not in\n{text}",
                    sub.value
                );
            }
            if let Some(a) = &line.allowance_amount {
                // Either a discount column or a "less 10% discount: -12.34" line.
                match a.raw_text.as_deref() {
                    Some(raw) => {
                        assert!(raw.starts_with('-') && text.contains(raw), "{raw:?}");
                        assert!(text.contains("discount:"));
                        seen_row = true;
                    }
                    None => {
                        assert!(text.contains("Disc."), "discount column header");
                        seen_column = true;
                    }
                }
            }
        }
    }
    assert!(seen_row && seen_column);
}
