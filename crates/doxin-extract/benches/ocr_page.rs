//! OCR of one synthetic scanned page (A4 at 200 dpi, slightly rotated, noisy) with Tesseract
//! through `ocr::ocr_image`. Skipped, with a message, when Tesseract is not installed.
//!
//! `cargo bench -p doxin-extract --bench ocr_page`

use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use doxin_extract::ocr::{OcrOptions, ocr_image};
use doxin_synth::{LayoutKind, Spec, scanned_png};

fn tesseract_available(opts: &OcrOptions) -> bool {
    Command::new(&opts.program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ocr_page(c: &mut Criterion) {
    let opts = OcrOptions::default();
    if !tesseract_available(&opts) {
        eprintln!(
            "ocr_page: SKIPPED, {} is not installed (Debian: apt install tesseract-ocr \
             tesseract-ocr-eng tesseract-ocr-deu)",
            opts.program.display()
        );
        return;
    }
    let (png, _truth) = scanned_png(
        11,
        &Spec::default()
            .with_layout(LayoutKind::Classic)
            .with_lines(8..=8),
    );
    if let Err(e) = ocr_image(&png, &opts) {
        eprintln!("ocr_page: SKIPPED, OCR does not run here: {e}");
        return;
    }
    let mut group = c.benchmark_group("ocr_page");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("a4_200dpi", |b| {
        b.iter(|| ocr_image(black_box(&png), &opts))
    });
    group.finish();
}

criterion_group!(benches, ocr_page);
criterion_main!(benches);
