//! Embeddings per second: the hashing fallback and, when a model directory is given
//! (`DOXIN_TEST_MINILM_DIR` or `EMBEDDINGS_MODEL_DIR`), the local all-MiniLM-L6-v2.
//! One core: run under `taskset -c 0` with `RAYON_NUM_THREADS=1` (see docs/benchmarks.md).
//!
//! cargo bench -p doxin-embed --bench embed_throughput

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use doxin_embed::hash::HashEmbedder;
use doxin_embed::local::LocalEmbedder;

/// Invoice-sized texts: seller, buyer and line descriptions of generated invoices.
fn texts(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let s =
                doxin_synth::generate(i as u64, &doxin_synth::Spec::default().with_lines(3..=6));
            format!(
                "{} {} {}",
                s.facts.seller_name,
                s.facts.invoice_number,
                s.facts.line_descriptions.join("; ")
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let docs = texts(32);
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("embed");
    g.throughput(Throughput::Elements(docs.len() as u64));
    let hash = HashEmbedder::default();
    g.bench_function("hash_32_invoices", |b| {
        b.iter(|| refs.iter().map(|t| hash.embed_one(t)).collect::<Vec<_>>())
    });
    let dir = std::env::var_os("DOXIN_TEST_MINILM_DIR")
        .or_else(|| std::env::var_os("EMBEDDINGS_MODEL_DIR"));
    match dir {
        Some(dir) => {
            let model = LocalEmbedder::load(std::path::Path::new(&dir)).expect("load the model");
            g.sample_size(10);
            g.bench_function("minilm_32_invoices", |b| {
                b.iter(|| model.embed_blocking(&refs).expect("embed"))
            });
        }
        None => eprintln!("minilm skipped: set DOXIN_TEST_MINILM_DIR to the model directory"),
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
