//! E-invoice XML parsing: a UBL 2.1 invoice and a CII D16B (Factur-X) invoice, both handwritten
//! fixtures of this crate's tests.
//!
//! `cargo bench -p doxin-extract --bench xml_parse`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const UBL: &[u8] = include_bytes!("../tests/fixtures/xml/ubl_invoice.xml");
const CII: &[u8] = include_bytes!("../tests/fixtures/xml/cii_invoice.xml");

fn xml_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("xml_parse");
    for (name, bytes) in [("ubl_invoice", UBL), ("cii_invoice", CII)] {
        // Fail loudly rather than measure an error path.
        if let Err(e) = doxin_extract::einvoice::parse(bytes) {
            panic!("{name} does not parse: {e}");
        }
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| doxin_extract::einvoice::parse(black_box(bytes)))
        });
    }
    group.finish();
}

criterion_group!(benches, xml_parse);
criterion_main!(benches);
