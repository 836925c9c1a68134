//! Reads every UBL / CII / ZUGFeRD 1.0 XML file of a directory, exports each invoice to UBL,
//! re-imports the export and compares the two in the evaluator's `fields` shape.
//!
//! ```text
//! cargo run -p doxin-reports --example ubl_roundtrip_corpus -- DIR [DIR …] [--verbose]
//! ```
//!
//! Prints, per directory, how many documents and fields came back equal, and (with
//! `--verbose`) every field that did not. `syntax` and `document_kind` are not counted: they
//! describe the source file, and an export to UBL changes them by design (a CII credit note
//! becomes a UBL `CreditNote`). A check of the writer against real-world documents, not a
//! test: the corpus is not part of the repository.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use doxin_extract::einvoice;
use doxin_extract::fields::{score, to_fields};
use serde_json::Value;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "--verbose");
    let dirs: Vec<PathBuf> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if dirs.is_empty() {
        eprintln!("usage: ubl_roundtrip_corpus DIR [DIR …] [--verbose]");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for dir in &dirs {
        match run(dir, verbose) {
            Ok(all_kept) => failed |= !all_kept,
            Err(e) => {
                eprintln!("{}: {e}", dir.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The fields without the two that describe the source file rather than the invoice.
fn comparable(v: Value) -> Value {
    match v {
        Value::Object(mut m) => {
            m.remove("syntax");
            m.remove("document_kind");
            Value::Object(m)
        }
        other => other,
    }
}

fn run(dir: &Path, verbose: bool) -> std::io::Result<bool> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
        })
        .collect();
    paths.sort();
    let (mut docs, mut docs_kept, mut skipped) = (0, 0, 0);
    let (mut right, mut total) = (0, 0);
    for path in &paths {
        let bytes = std::fs::read(path)?;
        let Ok(original) = einvoice::parse(&bytes) else {
            skipped += 1;
            continue;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let xml = match doxin_reports::to_ubl(&original.invoice) {
            Ok(x) => x,
            Err(e) => {
                println!("  {name}: not exported: {e}");
                docs += 1;
                continue;
            }
        };
        docs += 1;
        let back = match einvoice::parse(xml.as_bytes()) {
            Ok(b) => b.invoice,
            Err(e) => {
                println!("  {name}: export not readable: {e}");
                continue;
            }
        };
        let s = score(
            &comparable(to_fields(&original.invoice)),
            &comparable(to_fields(&back)),
        );
        right += s.right;
        total += s.total;
        let lost: Vec<_> = s
            .mismatches
            .iter()
            .filter(|m| m.expected.is_some())
            .collect();
        if lost.is_empty() {
            docs_kept += 1;
        } else if verbose {
            for m in lost {
                println!(
                    "  {name}: {} expected {:?} got {:?}",
                    m.path, m.expected, m.got
                );
            }
        }
    }
    println!(
        "{}: {docs_kept}/{docs} documents kept every field, {right}/{total} fields ({skipped} files not e-invoices)",
        dir.display()
    );
    Ok(docs_kept == docs)
}
