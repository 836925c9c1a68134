//! Measures the structural budget (`pdf::budget::check`) of every PDF under a folder: the
//! largest nesting, object count, inflated bytes and operators per content stream found, and
//! the check's time, so the limits' defaults can be set far above real documents.
//!
//!     cargo run --release -p doxin-extract --example budget_corpus -- ../shared/eval

use std::path::Path;
use std::time::Instant;

use doxin_extract::DocumentLimits;
use doxin_extract::pdf::budget;

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf")) {
            out.push(p);
        }
    }
}

fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let mut files = Vec::new();
    walk(Path::new(&root), &mut files);
    files.sort();
    let limits = DocumentLimits::default();
    let (mut nesting, mut objects, mut inflated, mut operators, mut tree) = (0, 0, 0, 0, 0);
    let mut total = 0.0;
    let mut worst = 0.0f64;
    for f in &files {
        let Ok(bytes) = std::fs::read(f) else {
            continue;
        };
        let t = Instant::now();
        let r = budget::check(&bytes, &limits);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        total += ms;
        worst = worst.max(ms);
        match r {
            Ok(r) => {
                nesting = nesting.max(r.max_nesting);
                objects = objects.max(r.objects);
                inflated = inflated.max(r.decompressed_bytes);
                operators = operators.max(r.max_operators);
                tree = tree.max(r.page_tree_depth);
            }
            Err(e) => println!("REFUSED {}: {e}", f.display()),
        }
    }
    println!(
        "{} PDFs: max nesting {nesting}, objects {objects}, inflated {inflated} bytes, operators per stream {operators}, page tree depth {tree}; check {:.2} ms mean, {worst:.1} ms worst",
        files.len(),
        total / files.len().max(1) as f64
    );
}
