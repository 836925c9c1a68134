//! Writes generated invoices as UBL 2.1 files, for load tests of the pipeline:
//! `cargo run --release -p doxin-reports --example synth_ubl -- <dir> <count> [first-seed]`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: synth_ubl <dir> <count> [first-seed]")?,
    );
    let count: u64 = args.next().ok_or("count missing")?.parse()?;
    let first: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    std::fs::create_dir_all(&dir)?;
    for seed in first..first + count {
        let synthetic = doxin_synth::generate(seed, &doxin_synth::Spec::default());
        let xml = doxin_reports::to_ubl(&synthetic.truth)?;
        std::fs::write(dir.join(format!("invoice-{seed:06}.xml")), xml)?;
    }
    println!("{count} UBL invoices in {}", dir.display());
    Ok(())
}
