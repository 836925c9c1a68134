//! Hostile and broken PDFs: clear errors, never a panic.

mod pdf_support;

use doxin_extract::ExtractError;
use doxin_extract::pdf::{embedded_einvoice, page_count, text_layer};
use pdf_support::{Attachment, Page, PdfBuilder, cii_xml, handmade_pdf};

/// Runs all three entry points; returns their outcomes as error codes (or "ok").
fn outcomes(bytes: &[u8]) -> [String; 3] {
    let code = |r: Result<(), ExtractError>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.code().to_owned(),
    };
    [
        code(text_layer(bytes).map(|_| ())),
        code(page_count(bytes).map(|_| ())),
        code(embedded_einvoice(bytes).map(|_| ())),
    ]
}

fn sample() -> Vec<u8> {
    PdfBuilder::new()
        .page(
            Page::a4()
                .text(72.0, 72.0, 12.0, "Invoice 1")
                .text(72.0, 90.0, 10.0, "Total 12.00"),
        )
        .page(Page::a4().text(72.0, 72.0, 12.0, "Page 2"))
        .attach(Attachment::new("factur-x.xml", &cii_xml("E-1")))
        .compressed()
        .build()
}

/// A deterministic xorshift generator (no dependency needed for fuzzing).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn the_sample_is_valid() {
    assert_eq!(outcomes(&sample()), ["ok", "ok", "ok"]);
}

#[test]
fn not_a_pdf_is_corrupt() {
    for bytes in [
        b"hello, world".as_slice(),
        b"PK\x03\x04 zip file",
        b"<Invoice/>",
        &[0u8; 4096],
    ] {
        assert_eq!(outcomes(bytes), ["corrupt_file"; 3], "{bytes:?}");
    }
    match text_layer(b"GIF89a") {
        Err(ExtractError::Corrupt(msg)) => assert!(msg.contains("not a PDF"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(text_layer(b""), Err(ExtractError::Empty)));
}

#[test]
fn truncated_files_are_corrupt() {
    let pdf = sample();
    for cut in [
        10,
        100,
        pdf.len() / 3,
        pdf.len() / 2,
        pdf.len() - 200,
        pdf.len() - 7,
    ] {
        let r = text_layer(&pdf[..cut]);
        match r {
            Err(ExtractError::Corrupt(msg)) => {
                assert!(msg.contains("truncated"), "cut {cut}: {msg}")
            }
            other => panic!("cut {cut}: {other:?}"),
        }
        assert_eq!(outcomes(&pdf[..cut]), ["corrupt_file"; 3], "cut {cut}");
    }
}

#[test]
fn every_truncation_fails_cleanly() {
    let pdf = sample();
    for cut in (0..pdf.len()).step_by(97) {
        let o = outcomes(&pdf[..cut]);
        assert!(
            o.iter().all(|c| c == "corrupt_file" || c == "empty_file"),
            "cut {cut}: {o:?}"
        );
    }
}

#[test]
fn damaged_bytes_never_panic() {
    let pdf = sample();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..300 {
        let mut bytes = pdf.clone();
        let flips = 1 + (rng.next() % 24) as usize;
        for _ in 0..flips {
            let i = (rng.next() as usize) % bytes.len();
            bytes[i] = rng.next() as u8;
        }
        // Any outcome is fine except a panic or an unexpected error kind.
        for code in outcomes(&bytes) {
            assert!(
                ["ok", "corrupt_file", "encrypted_pdf"].contains(&code.as_str()),
                "round {round}: {code}"
            );
        }
    }
}

#[test]
fn random_garbage_behind_a_header_never_panics() {
    let mut rng = Rng(42);
    for len in [16usize, 200, 5_000, 60_000] {
        for _ in 0..10 {
            let mut bytes = b"%PDF-1.7\n".to_vec();
            bytes.extend((0..len).map(|_| rng.next() as u8));
            bytes.extend_from_slice(b"\nstartxref\n9\n%%EOF\n");
            for code in outcomes(&bytes) {
                assert!(["ok", "corrupt_file"].contains(&code.as_str()), "{code}");
            }
        }
    }
}

#[test]
fn zero_pages_is_corrupt() {
    let pdf = PdfBuilder::new().build();
    match text_layer(&pdf) {
        Err(ExtractError::Corrupt(msg)) => assert!(msg.contains("no pages"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(page_count(&pdf), Err(ExtractError::Corrupt(_))));
}

#[test]
fn encryption_is_refused_even_with_an_empty_user_password() {
    for user in ["", "secret"] {
        let pdf = PdfBuilder::new()
            .page(Page::a4().text(72.0, 72.0, 12.0, "Confidential"))
            .attach(Attachment::new("factur-x.xml", &cii_xml("E")))
            .encrypted(user)
            .build();
        assert_eq!(
            outcomes(&pdf),
            ["encrypted_pdf"; 3],
            "user password {user:?}"
        );
        assert!(matches!(text_layer(&pdf), Err(ExtractError::EncryptedPdf)));
    }
}

#[test]
fn an_encrypt_entry_alone_is_refused() {
    // The same hand-made file reads fine without, and is refused with, an /Encrypt entry
    // (here a bogus dictionary: an "encrypted-looking" file).
    let plain = handmade_pdf("Hello", "");
    assert_eq!(outcomes(&plain), ["ok"; 3]);
    assert_eq!(
        text_layer(&plain).expect("plain").pages[0].lines[0].text,
        "Hello"
    );
    let bytes = handmade_pdf("Hello", "/Encrypt << /Filter /Standard /V 9 /R 9 >>");
    assert_eq!(outcomes(&bytes), ["encrypted_pdf"; 3]);
    let bytes = handmade_pdf("Hello", "/Encrypt 99 0 R");
    assert_eq!(outcomes(&bytes), ["encrypted_pdf"; 3]);

    // Damaged beyond parsing but declaring encryption: still reported as encrypted.
    let mut broken = b"%PDF-1.7\ngarbage\ntrailer\n<</Root 1 0 R/Encrypt 5 0 R>>\n".to_vec();
    broken.extend_from_slice(b"startxref\n0\n%%EOF\n");
    assert_eq!(outcomes(&broken), ["encrypted_pdf"; 3]);
}
