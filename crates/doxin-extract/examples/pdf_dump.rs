//! Prints a PDF's text layer: `layout` (default), `lines` (single-spaced, with boxes) or
//! `words` (one word per line with its box, like `pdftotext -bbox`).
//!
//! `cargo run -p doxin-extract --example pdf_dump -- FILE.pdf [layout|lines|words]`

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: pdf_dump FILE.pdf [layout|lines|words]");
        return ExitCode::FAILURE;
    };
    let mode = args.next().unwrap_or_else(|| "layout".into());
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let doc = match doxin_extract::pdf::text_layer(&bytes) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match mode.as_str() {
        "words" => {
            for p in &doc.pages {
                println!("# page {} ({} x {})", p.number, p.width, p.height);
                for w in &p.words {
                    let b = w.bbox;
                    println!(
                        "{:8.2} {:8.2} {:8.2} {:8.2} {}",
                        b.x0, b.y0, b.x1, b.y1, w.text
                    );
                }
            }
        }
        "lines" => {
            for p in &doc.pages {
                println!("# page {} ({} x {})", p.number, p.width, p.height);
                for l in &p.lines {
                    let b = l.bbox;
                    println!(
                        "{:8.2} {:8.2} {:8.2} {:8.2} {}",
                        b.x0, b.y0, b.x1, b.y1, l.text
                    );
                }
            }
        }
        _ => print!("{}", doc.layout_text()),
    }
    ExitCode::SUCCESS
}
