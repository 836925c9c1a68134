//! Writes a synthetic evaluation corpus that `doxin eval DIR` can score.
//!
//! ```text
//! cargo run -p doxin-synth --example synth_corpus -- OUT_DIR [PDFS=60] [PNGS=20] [FIRST_SEED=1] [LAYOUTS=drawn]
//! ```
//!
//! PDFs go to `OUT_DIR/pdf-<layout>/synth-<seed>.pdf`, page images to
//! `OUT_DIR/png/scan-<seed>.png` (so the report has one source per layout and one for scans),
//! each beside `<stem>.expected.json` in the corpus format:
//! `{"documents": [...], "truth": "self", "truth_note": "...", "fields": {...}}`.
//!
//! `LAYOUTS`: `drawn` (the default) draws each seed's layout among the original three
//! (`LayoutKind::ALL`), so PDFS documents in all; `every` writes each seed in every layout,
//! the unseen ones included (`LayoutKind::EVERY`: PDFS documents per layout, the same
//! content in each); `unseen` only in the added ones; or a comma-separated list of layout
//! names (`two-column,landscape`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use doxin_synth::{Facts, LayoutKind, Spec, generate, scanned};
use serde_json::json;

fn write_truth(
    dir: &Path,
    stem: &str,
    document: &str,
    seed: u64,
    facts: &Facts,
    truth: &doxin_model::Invoice,
) -> std::io::Result<()> {
    let note = format!(
        "synthetic, doxin-synth seed {seed} (layout {}, {}/{})",
        facts.layout.name(),
        facts.language.code(),
        facts.country.code()
    );
    let value = json!({
        "documents": [document],
        "truth": "self",
        "truth_note": note,
        "fields": doxin_extract::fields::to_fields(truth),
    });
    let text = serde_json::to_string_pretty(&value).map_err(std::io::Error::other)?;
    std::fs::write(dir.join(format!("{stem}.expected.json")), text + "\n")
}

/// The layouts to write each seed in; `None`: the one drawn from the seed.
fn parse_layouts(arg: &str) -> Result<Option<Vec<LayoutKind>>, String> {
    match arg {
        "drawn" => Ok(None),
        "every" => Ok(Some(LayoutKind::EVERY.to_vec())),
        "unseen" => Ok(Some(LayoutKind::UNSEEN.to_vec())),
        list => list
            .split(',')
            .map(|name| {
                LayoutKind::from_name(name.trim()).ok_or_else(|| format!("unknown layout {name:?}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
    }
}

fn write_pdf(out: &Path, seed: u64, spec: &Spec) -> std::io::Result<()> {
    let s = generate(seed, spec);
    let dir = out.join(format!("pdf-{}", s.facts.layout.name()));
    std::fs::create_dir_all(&dir)?;
    let stem = format!("synth-{seed:05}");
    let name = format!("{stem}.pdf");
    std::fs::write(dir.join(&name), &s.pdf)?;
    write_truth(&dir, &stem, &name, seed, &s.facts, &s.truth)
}

fn run(
    out: &Path,
    pdfs: u64,
    pngs: u64,
    first: u64,
    layouts: Option<&[LayoutKind]>,
) -> std::io::Result<()> {
    let spec = Spec::default();
    for seed in first..first + pdfs {
        match layouts {
            None => write_pdf(out, seed, &spec)?,
            Some(layouts) => {
                for &layout in layouts {
                    write_pdf(out, seed, &spec.clone().with_layout(layout))?;
                }
            }
        }
    }
    let dir = out.join("png");
    if pngs > 0 {
        std::fs::create_dir_all(&dir)?;
    }
    for i in 0..pngs {
        let seed = 100_000 + first + i;
        let s = scanned(seed, &spec);
        let stem = format!("scan-{seed:06}");
        let name = format!("{stem}.png");
        std::fs::write(dir.join(&name), &s.png)?;
        write_truth(&dir, &stem, &name, seed, &s.facts, &s.truth)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!(
            "usage: synth_corpus OUT_DIR [PDFS=60] [PNGS=20] [FIRST_SEED=1] \
             [LAYOUTS=drawn|every|unseen|name,name,...]"
        );
        return ExitCode::from(2);
    };
    let number = |i: usize, default: u64| -> Result<u64, String> {
        args.get(i).map_or(Ok(default), |a| {
            a.parse().map_err(|e| format!("{a:?}: {e}"))
        })
    };
    let parsed = (|| {
        Ok::<_, String>((
            number(1, 60)?,
            number(2, 20)?,
            number(3, 1)?,
            parse_layouts(args.get(4).map_or("drawn", String::as_str))?,
        ))
    })();
    let (pdfs, pngs, first, layouts) = match parsed {
        Ok(v) => v,
        Err(e) => {
            eprintln!("synth_corpus: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&out, pdfs, pngs, first, layouts.as_deref()) {
        Ok(()) => {
            let pdfs = pdfs * layouts.as_ref().map_or(1, |l| l.len() as u64);
            println!("{pdfs} PDFs and {pngs} page images in {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("synth_corpus: {e}");
            ExitCode::FAILURE
        }
    }
}
