//! Seed corpus for the fuzz targets in `fuzz/` (scripts/fuzz.sh writes it; it is not
//! committed): generated invoices, the hostile PDFs at small sizes, and small images, so the
//! fuzzer starts from documents of every kind DoxIn reads.
//!
//!     cargo run -p doxin-synth --example fuzz_seeds -- fuzz/corpus

use std::path::{Path, PathBuf};

use doxin_synth::hostile;

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    if let Err(e) = std::fs::create_dir_all(&d).and_then(|()| std::fs::write(d.join(name), bytes)) {
        eprintln!("cannot write {}/{name}: {e}", d.display());
        std::process::exit(1);
    }
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(width, height, |x, y| {
        image::Luma([if (x / 7 + y / 5) % 3 == 0 { 30 } else { 235 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    match img.write_to(&mut out, image::ImageFormat::Png) {
        Ok(()) => out.into_inner(),
        Err(e) => {
            eprintln!("cannot encode a PNG: {e}");
            std::process::exit(1);
        }
    }
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus".into()),
    );
    let mut pdfs = Vec::new();
    for seed in 0..4u64 {
        let s = doxin_synth::generate(
            seed,
            &doxin_synth::Spec {
                lines: 1..=4,
                ..Default::default()
            },
        );
        pdfs.push((format!("synth-{seed}.pdf"), s.pdf));
    }
    pdfs.extend([
        (
            "deep-trailer.pdf".to_string(),
            hostile::deep_array_in_trailer(80),
        ),
        ("deep-page.pdf".to_string(), hostile::deep_array_in_page(80)),
        ("deep-tree.pdf".to_string(), hostile::deep_page_tree(40)),
        ("heavy.pdf".to_string(), hostile::heavy_page(200)),
        ("blank.pdf".to_string(), hostile::blank_pages(3)),
        ("bomb.pdf".to_string(), hostile::flate_bomb(64 * 1024)),
    ]);
    for (name, bytes) in &pdfs {
        for target in ["pdf_budget", "pdf_text", "sniff"] {
            write(&dir, target, name, bytes);
        }
    }
    for (name, bytes) in [("small.png", png(120, 60)), ("wide.png", png(600, 80))] {
        write(&dir, "image_decode", name, &bytes);
        write(&dir, "sniff", name, &bytes);
    }
    write(&dir, "sniff", "text.txt", b"Invoice 1\nTotal 10.00 EUR\n");
    println!("seeds written under {}", dir.display());
}
