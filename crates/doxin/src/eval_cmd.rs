//! `doxin eval DIR`: extraction measured against a corpus with ground truth.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use doxin_eval::{Report, compare_document, discover};
use doxin_extract::pipeline::ExtractOptions;

pub fn run(
    dir: &Path,
    opts: ExtractOptions,
    as_json: bool,
    show_misses: usize,
) -> anyhow::Result<ExitCode> {
    let docs = discover(dir)?;
    if docs.is_empty() {
        anyhow::bail!("no documents under {}", dir.display());
    }
    let mut report = Report::new();
    let all = Instant::now();
    for doc in &docs {
        let name = doc.path.display().to_string();
        let started = Instant::now();
        let result = std::fs::read(&doc.path)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                doxin_extract::pipeline::extract(&b, &opts)
                    .map_err(|e| format!("{e} [{}]", e.code()))
            });
        let seconds = started.elapsed().as_secs_f64();
        match result {
            Ok(x) => {
                let score = doc.truth.as_ref().map(|truth| {
                    let got = doxin_extract::fields::to_fields(&x.invoice);
                    let conf = doxin_extract::fields::field_confidences(&x.invoice);
                    compare_document(truth, &got, &conf)
                });
                report.record(
                    &doc.source,
                    &name,
                    u64::from(x.pages),
                    seconds,
                    score.as_ref(),
                );
            }
            Err(e) => report.record_failure(&doc.source, &name, seconds, e, doc.truth.is_some()),
        }
    }
    report.total_seconds = all.elapsed().as_secs_f64();
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render(show_misses));
        println!(
            "\n{} documents in {:.2} s",
            docs.len(),
            report.total_seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}
