//! What the sandbox costs per document: the same extraction in this process (on a blocking
//! thread, as before the sandbox) and in a `doxin sandbox-child` process, for a born-digital
//! PDF invoice (the project's generator) and a UBL 2.1 e-invoice (a handwritten fixture). The
//! difference is the overhead: starting the process, the request and answer frames, and the
//! child's setrlimit calls.
//!
//! `cargo bench -p doxin --bench sandbox_overhead` (release), or with `--profile dev` for a
//! quick look at an unoptimised build.

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use doxin_extract::pipeline::ExtractOptions;
use doxin_sandbox::{Isolation, Sandbox, SandboxConfig};

const UBL: &[u8] = include_bytes!("../../doxin-extract/tests/fixtures/xml/ubl_invoice.xml");

fn sandbox_overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let pdf = doxin_synth::generate(11, &doxin_synth::Spec::default()).pdf;
    let child = Sandbox::new(SandboxConfig {
        isolation: Isolation::Child {
            program: env!("CARGO_BIN_EXE_doxin").into(),
            args: vec!["sandbox-child".into()],
        },
        ..SandboxConfig::default()
    });
    let in_process = Sandbox::new(SandboxConfig::default());
    let opts = ExtractOptions::default();
    let mut group = c.benchmark_group("sandbox_overhead");
    group.measurement_time(Duration::from_secs(10));
    for (doc, bytes) in [("text_pdf", pdf), ("ubl_xml", UBL.to_vec())] {
        let bytes = Arc::new(bytes);
        for (mode, sandbox) in [("in_process", &in_process), ("child", &child)] {
            // Fail loudly rather than measure an error path.
            if let Err(e) = rt.block_on(sandbox.extract(bytes.clone(), &opts)) {
                panic!("{doc} in {mode}: {e}");
            }
            group.bench_function(format!("{doc}/{mode}"), |b| {
                b.iter(|| rt.block_on(sandbox.extract(bytes.clone(), &opts)))
            });
        }
        if doc == "text_pdf" {
            group.bench_function("text_pdf/page_count_child", |b| {
                b.iter(|| {
                    rt.block_on(
                        child.page_count(bytes.clone(), &doxin_extract::DocumentLimits::default()),
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, sandbox_overhead);
criterion_main!(benches);
