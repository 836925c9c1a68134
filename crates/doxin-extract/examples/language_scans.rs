//! Writes synthetic scanned invoices of one language with their truth, for `doxin eval`: to
//! check that OCR still reads a language after a change to how languages are chosen.
//!
//! ```text
//! cargo run -p doxin-extract --example language_scans -- OUT_DIR [de|en|fr|nl|es|it] [COUNT=10] [FIRST_SEED=1]
//! doxin eval OUT_DIR
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use doxin_synth::{Language, Spec, scanned};
use serde_json::json;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: language_scans OUT_DIR [de|en|fr|nl|es|it] [COUNT=10] [FIRST_SEED=1]");
        return ExitCode::from(2);
    };
    let code = args.get(1).map_or("de", String::as_str);
    let Some(language) = Language::ALL.into_iter().find(|l| l.code() == code) else {
        eprintln!("unknown language {code:?}");
        return ExitCode::from(2);
    };
    let number =
        |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (count, first) = (number(2, 10), number(3, 1));
    let spec = Spec::default().with_language(language);
    let dir = out.join(format!("scan-{code}"));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("{}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    for seed in first..first + count {
        let s = scanned(200_000 + seed, &spec);
        let stem = format!("scan-{code}-{seed:04}");
        let name = format!("{stem}.png");
        let truth = json!({
            "documents": [name],
            "truth": "self",
            "truth_note": format!("synthetic, doxin-synth seed {} ({}/{})", 200_000 + seed, code, s.facts.country.code()),
            "fields": doxin_extract::fields::to_fields(&s.truth),
        });
        let written = serde_json::to_string_pretty(&truth)
            .map_err(std::io::Error::other)
            .and_then(|t| std::fs::write(dir.join(format!("{stem}.expected.json")), t + "\n"))
            .and_then(|()| std::fs::write(dir.join(&name), &s.png));
        if let Err(e) = written {
            eprintln!("{stem}: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("{count} {code} scans in {}", dir.display());
    ExitCode::SUCCESS
}
