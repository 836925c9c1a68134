//! Development aid: prints the layout the rules read for a document — one line per visual
//! line, its column segments with their left edge and (for OCR) confidence.
//!
//! `cargo run -p doxin-extract --example layout_dump -- FILE`

use std::process::ExitCode;

use doxin_extract::pipeline::{ExtractOptions, read_layout};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: layout_dump FILE");
        return ExitCode::FAILURE;
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let layout = match read_layout(&bytes, &ExtractOptions::default()) {
        Ok(Some(l)) => l,
        Ok(None) => {
            eprintln!("{path}: XML has no layout");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    for page in &layout.pages {
        println!(
            "--- page {} ({} x {})",
            page.number, page.width, page.height
        );
        for (i, line) in page.lines.iter().enumerate() {
            let segs: Vec<String> = line
                .segments(2.5)
                .iter()
                .map(|s| format!("[{:.0}|{:.2}] {}", s.bbox.x0, s.confidence, s.text))
                .collect();
            println!("{i:3} y={:.0} {}", line.bbox().y0, segs.join("   "));
        }
    }
    ExitCode::SUCCESS
}
