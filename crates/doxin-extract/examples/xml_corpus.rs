//! Dev tool: parse every XML e-invoice of the evaluation corpus and compare it, field by
//! field, with its truth file.
//!
//! ```text
//! cargo run --release -p doxin-extract --example xml_corpus -- [DIR] [--quiet] [--bench N] [--only TEXT]
//! ```
//!
//! `DIR` defaults to `../shared/eval` next to the workspace. Every `*.xml` / `*.XML` file that
//! has a `<stem>.expected.json` is parsed with `einvoice::parse`, turned into `fields` with
//! `fields::to_fields`, and compared with the truth's `fields` by `fields::score`. Prints per
//! folder the fields right / total and lists every mismatch. `--bench N` then parses the
//! whole set N more times and reports documents per second (single thread).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use doxin_extract::{einvoice, fields};

struct Doc {
    folder: String,
    name: String,
    bytes: Vec<u8>,
    truth: serde_json::Value,
}

#[derive(Default)]
struct FolderStats {
    docs: usize,
    failed: usize,
    right: usize,
    total: usize,
    spurious: usize,
    perfect: usize,
}

fn main() {
    let mut dir: Option<PathBuf> = None;
    let mut quiet = false;
    let mut bench = 0usize;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quiet" | "-q" => quiet = true,
            "--bench" => bench = args.next().and_then(|n| n.parse().ok()).unwrap_or(20),
            "--only" => only = args.next(),
            "-h" | "--help" => {
                println!("usage: xml_corpus [DIR] [--quiet] [--bench N] [--only TEXT]");
                return;
            }
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir =
        dir.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval"));
    let mut docs = Vec::new();
    if let Err(e) = collect(&dir, &dir, &mut docs) {
        eprintln!("cannot read {}: {e}", dir.display());
        std::process::exit(2);
    }
    if let Some(o) = &only {
        docs.retain(|d| d.name.contains(o.as_str()) || d.folder.contains(o.as_str()));
    }
    docs.sort_by(|a, b| (&a.folder, &a.name).cmp(&(&b.folder, &b.name)));
    if docs.is_empty() {
        eprintln!("no XML documents with truth under {}", dir.display());
        std::process::exit(2);
    }

    let mut stats: BTreeMap<String, FolderStats> = BTreeMap::new();
    let mut report = Vec::new();
    for d in &docs {
        let st = stats.entry(d.folder.clone()).or_default();
        st.docs += 1;
        let expected = d.truth.get("fields").cloned().unwrap_or_default();
        match einvoice::parse(&d.bytes) {
            Err(e) => {
                st.failed += 1;
                st.total += fields::score(&expected, &serde_json::Value::Null).total;
                report.push(format!("{}/{}: PARSE ERROR {e}", d.folder, d.name));
            }
            Ok(parsed) => {
                let got = fields::to_fields(&parsed.invoice);
                let s = fields::score(&expected, &got);
                st.right += s.right;
                st.total += s.total;
                st.spurious += s.spurious();
                if s.mismatches.is_empty() {
                    st.perfect += 1;
                }
                for m in &s.mismatches {
                    report.push(format!(
                        "{}/{}: {}: expected {} got {}",
                        d.folder,
                        d.name,
                        m.path,
                        show(m.expected.as_ref()),
                        show(m.got.as_ref())
                    ));
                }
            }
        }
    }

    if !quiet {
        for line in &report {
            println!("{line}");
        }
        if !report.is_empty() {
            println!();
        }
    }
    println!(
        "{:<28} {:>5} {:>7} {:>7} {:>13} {:>8} {:>9}",
        "folder", "docs", "failed", "perfect", "fields right", "total", "spurious"
    );
    let mut all = FolderStats::default();
    for (folder, s) in &stats {
        println!(
            "{:<28} {:>5} {:>7} {:>7} {:>13} {:>8} {:>9}   {:.2} %",
            folder,
            s.docs,
            s.failed,
            s.perfect,
            s.right,
            s.total,
            s.spurious,
            pct(s.right, s.total)
        );
        all.docs += s.docs;
        all.failed += s.failed;
        all.perfect += s.perfect;
        all.right += s.right;
        all.total += s.total;
        all.spurious += s.spurious;
    }
    println!(
        "{:<28} {:>5} {:>7} {:>7} {:>13} {:>8} {:>9}   {:.2} %",
        "ALL",
        all.docs,
        all.failed,
        all.perfect,
        all.right,
        all.total,
        all.spurious,
        pct(all.right, all.total)
    );

    if bench > 0 {
        let bytes: usize = docs.iter().map(|d| d.bytes.len()).sum();
        let start = Instant::now();
        let mut ok = 0usize;
        for _ in 0..bench {
            for d in &docs {
                if let Ok(p) = einvoice::parse(&d.bytes) {
                    let f = fields::to_fields(&p.invoice);
                    ok += usize::from(f.is_object());
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let n = docs.len() * bench;
        println!(
            "bench: {n} parses ({ok} ok) of {} documents ({:.1} MB) in {:.3} s: {:.0} documents/s, {:.1} MB/s (one thread)",
            docs.len(),
            bytes as f64 / 1e6,
            secs,
            n as f64 / secs,
            (bytes * bench) as f64 / 1e6 / secs
        );
    }
    if all.right != all.total || all.spurious != 0 || all.failed != 0 {
        std::process::exit(1);
    }
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

fn show(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "(absent)".to_string(), |v| v.to_string())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<Doc>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, out)?;
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(".expected.json")
            || name.ends_with(".md")
            || name.ends_with(".ocr_boxes.csv")
        {
            continue;
        }
        let is_xml = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("xml"));
        if !is_xml {
            continue;
        }
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let truth_path = path.with_file_name(format!("{stem}.expected.json"));
        let Ok(truth) = std::fs::read(&truth_path) else {
            continue;
        };
        let truth: serde_json::Value = match serde_json::from_slice(&truth) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: bad truth file: {e}", truth_path.display());
                continue;
            }
        };
        let folder = dir
            .strip_prefix(root)
            .ok()
            .map(|p| p.display().to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| ".".to_string());
        out.push(Doc {
            folder,
            name: name.to_string(),
            bytes: std::fs::read(&path)?,
            truth,
        });
    }
    Ok(())
}
