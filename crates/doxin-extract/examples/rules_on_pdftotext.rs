//! Development aid: runs the template-free rules on `pdftotext -layout` text (poppler, the
//! quality reference) of every PDF/TXT with truth under a directory, and prints how the
//! rules score. Separates rule quality from text-layer quality.
//!
//! `cargo run -p doxin-extract --example rules_on_pdftotext -- ../shared/eval/invoice2data [--ocr] [-v]`
//! (`--ocr` also runs Tesseract on JPEG/PNG documents.)

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use doxin_extract::layout::Layout;

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/eval".into()),
    );
    let verbose = std::env::args().any(|a| a == "-v");
    let with_images = std::env::args().any(|a| a == "--ocr");
    let docs = doxin_eval::discover(&dir).expect("corpus");
    let mut report = doxin_eval::Report::new();
    for doc in docs {
        let Some(truth) = &doc.truth else { continue };
        let ext = doc
            .path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_lowercase();
        let text = match ext.as_str() {
            "pdf" => {
                let out = Command::new("pdftotext")
                    .args(["-layout", "-enc", "UTF-8"])
                    .arg(&doc.path)
                    .arg("-")
                    .output()
                    .expect("pdftotext");
                String::from_utf8_lossy(&out.stdout).into_owned()
            }
            "txt" => std::fs::read_to_string(&doc.path).expect("read"),
            "jpg" | "jpeg" | "png" if with_images => String::new(),
            _ => continue,
        };
        let start = std::time::Instant::now();
        let layout = if text.is_empty() {
            let bytes = std::fs::read(&doc.path).expect("read");
            match doxin_extract::ocr::ocr_image(&bytes, &doxin_extract::ocr::OcrOptions::default())
            {
                Ok(pages) => Layout {
                    pages,
                    source: doxin_model::Source::Ocr,
                },
                Err(e) => {
                    report.record_failure(
                        &doc.source,
                        &doc.path.display().to_string(),
                        0.0,
                        e.to_string(),
                        true,
                    );
                    continue;
                }
            }
        } else {
            Layout::from_text(&text)
        };
        let invoice = doxin_extract::rules::extract_invoice(&layout);
        let got = doxin_extract::fields::to_fields(&invoice);
        let score = doxin_eval::compare_document(truth, &got, &HashMap::new());
        if verbose {
            println!(
                "== {}\n{}",
                doc.path.display(),
                serde_json::to_string_pretty(&got).unwrap_or_default()
            );
        }
        report.record(
            &doc.source,
            &doc.path.display().to_string(),
            1,
            start.elapsed().as_secs_f64(),
            Some(&score),
        );
    }
    println!("{}", report.render(400));
}
