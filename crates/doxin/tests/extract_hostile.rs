//! `doxin extract` on hostile files, offline: every file is read in a sandbox process, so a
//! file that would overflow the stack, exhaust memory or take minutes is reported as a typed
//! error on stderr and in the output, and the other files of the run are still extracted.

use std::path::Path;
use std::process::{Command, Output};

use doxin_synth::hostile;

const BIN: &str = env!("CARGO_BIN_EXE_doxin");

fn extract(dir: &Path, files: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("extract")
        .args(files)
        .current_dir(dir)
        .env_clear()
        .envs(std::env::var("PATH").ok().map(|p| ("PATH", p)))
        .envs(env.iter().copied());
    cmd.output().expect("run doxin extract")
}

fn good_invoice() -> Vec<u8> {
    doxin_synth::generate(4_242, &doxin_synth::Spec::default()).pdf
}

/// The JSON array `doxin extract` prints, one item per file.
fn results(out: &Output) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    match v {
        serde_json::Value::Array(a) => a,
        other => panic!("not an array: {other}"),
    }
}

#[test]
fn hostile_files_fail_alone_with_typed_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        ("good.pdf", good_invoice()),
        // Refused by the structural checks.
        ("deep-trailer.pdf", hostile::deep_array_in_trailer(20_000)),
        ("deep-page.pdf", hostile::deep_array_in_page(100_000)),
        ("deep-tree.pdf", hostile::deep_page_tree(5_000)),
        ("heavy.pdf", hostile::heavy_page(150_000)),
        ("bomb.pdf", hostile::flate_bomb(200 * 1024 * 1024)),
        ("blank.pdf", hostile::blank_pages(200)),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    let out = extract(dir.path(), &names, &[]);
    assert_eq!(out.status.code(), Some(1), "some files failed");
    let items = results(&out);
    assert_eq!(items.len(), files.len());
    assert!(
        items[0].get("error").is_none() && items[0]["invoice"].is_object(),
        "the good file is extracted: {}",
        items[0]
    );
    let expected_limit = [
        "PDF_MAX_NESTING",
        "PDF_MAX_NESTING",
        "PDF_MAX_PAGE_TREE_DEPTH",
        "PDF_MAX_OPERATORS",
        "PDF_MAX_DECOMPRESSED_MB",
        "MAX_OCR_PAGES",
    ];
    for (item, limit) in items[1..].iter().zip(expected_limit) {
        let e = item["error"].as_str().unwrap_or_default();
        assert!(
            e.contains("[document_too_complex]") && e.contains(limit),
            "{}: {e}",
            item["file"]
        );
    }
}

#[test]
fn the_sandbox_catches_what_the_checks_let_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("good.pdf"), good_invoice()).expect("write");
    // Deep enough to overflow the reader's stack, within a nesting limit raised to let it in.
    std::fs::write(
        dir.path().join("deep.pdf"),
        hostile::deep_array_in_page(9_000),
    )
    .expect("write");
    std::fs::write(dir.path().join("tree.pdf"), hostile::deep_page_tree(5_000)).expect("write");
    // A page 200 inches square renders to a 6000 x 6000 bitmap (the renderer's cap): more than
    // a 192 MB sandbox holds (the debug binary alone maps about 100 MB of it).
    std::fs::write(
        dir.path().join("huge-page.pdf"),
        hostile::blank_pages_sized(1, 14_400, 14_400),
    )
    .expect("write");
    let out = extract(
        dir.path(),
        &["deep.pdf", "tree.pdf", "good.pdf"],
        &[
            ("PDF_MAX_NESTING", "10000"),
            ("PDF_MAX_PAGE_TREE_DEPTH", "10000"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let items = results(&out);
    for item in &items[..2] {
        let e = item["error"].as_str().unwrap_or_default();
        assert!(
            e.contains("ran out of stack") && e.contains("[document_too_complex]"),
            "{}: {e}",
            item["file"]
        );
    }
    assert!(items[2]["invoice"].is_object(), "{}", items[2]);

    let out = extract(
        dir.path(),
        &["huge-page.pdf", "good.pdf"],
        &[("SANDBOX_MEMORY_MB", "192")],
    );
    assert_eq!(out.status.code(), Some(1));
    let items = results(&out);
    let e = items[0]["error"].as_str().unwrap_or_default();
    assert!(
        e.contains("SANDBOX_MEMORY_MB") && e.contains("[document_too_complex]"),
        "{e}"
    );
    assert!(items[1]["invoice"].is_object(), "{}", items[1]);
}

#[test]
fn a_cpu_or_time_budget_overrun_is_too_complex() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Twelve pages to OCR take longer than a one-second budget.
    std::fs::write(dir.path().join("slow.pdf"), hostile::blank_pages(12)).expect("write");
    let out = extract(dir.path(), &["slow.pdf"], &[("SANDBOX_TIMEOUT_SECS", "1")]);
    assert_eq!(out.status.code(), Some(1));
    let e = results(&out)[0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        e.contains("SANDBOX_TIMEOUT_SECS") && e.contains("[document_too_complex]"),
        "{e}"
    );
}
