//! Born-digital PDFs from the synthetic generator: the text layer alone
//! (`pdf::text_layer`) and the whole pipeline (text layer, rules, validation,
//! `pipeline::extract`), per document of one and of three pages. Throughput is in pages.
//!
//! `cargo bench -p doxin-extract --bench text_pdf`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use doxin_extract::pdf::text_layer;
use doxin_extract::pipeline::{ExtractOptions, ExtractionPath, extract};
use doxin_synth::{LayoutKind, Spec, generate};

fn text_pdf(c: &mut Criterion) {
    let docs = [
        (
            "1_page",
            generate(
                7,
                &Spec::default()
                    .with_layout(LayoutKind::Classic)
                    .with_lines(8..=8),
            ),
        ),
        (
            "3_pages",
            generate(
                7,
                &Spec::default()
                    .with_layout(LayoutKind::Classic)
                    .with_lines(80..=80),
            ),
        ),
    ];
    let opts = ExtractOptions::default();
    let mut group = c.benchmark_group("text_pdf");
    for (name, doc) in &docs {
        let pdf = doc.pdf.as_slice();
        match extract(pdf, &opts) {
            Ok(x) => assert_eq!(
                x.path,
                ExtractionPath::TextLayer,
                "{name}: not the text path"
            ),
            Err(e) => panic!("{name}: {e}"),
        }
        group.throughput(Throughput::Elements(u64::from(doc.facts.pages)));
        group.bench_function(format!("text_layer/{name}"), |b| {
            b.iter(|| text_layer(black_box(pdf)))
        });
        group.bench_function(format!("pipeline_extract/{name}"), |b| {
            b.iter(|| extract(black_box(pdf), &opts))
        });
    }
    group.finish();
}

criterion_group!(benches, text_pdf);
criterion_main!(benches);
