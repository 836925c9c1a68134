//! Compares `text_layer` with poppler's `pdftotext -bbox` (the quality reference), word by
//! word: per file, the share of pdftotext's words we produce with the same text (F1 over word
//! multisets per page) and, for matched words, the mean box IoU.
//!
//! `cargo run --release -p doxin-extract --example pdf_compare -- FILE_OR_DIR...`

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

struct RefWord {
    text: String,
    bbox: [f32; 4],
}

/// Parses `pdftotext -bbox` XHTML: pages of `<word xMin=.. yMin=.. xMax=.. yMax=..>text</word>`.
fn reference(path: &Path) -> Option<Vec<Vec<RefWord>>> {
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(path)
        .arg("-")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let html = String::from_utf8_lossy(&out.stdout);
    let mut pages = Vec::new();
    for page in html.split("<page ").skip(1) {
        let mut words = Vec::new();
        for w in page.split("<word ").skip(1) {
            let attr = |name: &str| -> f32 {
                w.split(&format!("{name}=\""))
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0.0)
            };
            let text = w
                .split('>')
                .nth(1)
                .and_then(|r| r.split("</word").next())
                .unwrap_or("")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'");
            words.push(RefWord {
                text,
                bbox: [attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax")],
            });
        }
        pages.push(words);
    }
    Some(pages)
}

fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let ix = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let iy = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = ix * iy;
    let area = |r: [f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let union = area(a) + area(b) - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

fn main() -> ExitCode {
    let mut files: Vec<PathBuf> = Vec::new();
    for arg in std::env::args().skip(1) {
        let p = PathBuf::from(arg);
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(&p)
                .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            v.retain(|f| f.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf")));
            v.sort();
            files.extend(v);
        } else {
            files.push(p);
        }
    }
    let (mut tp_all, mut ref_all, mut ours_all) = (0usize, 0usize, 0usize);
    let mut iou_sum = 0f64;
    for f in &files {
        let Some(reference) = reference(f) else {
            eprintln!("{}: pdftotext failed or missing", f.display());
            return ExitCode::FAILURE;
        };
        let bytes = match std::fs::read(f) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                continue;
            }
        };
        let ours = match doxin_extract::pdf::text_layer(&bytes) {
            Ok(d) => d,
            Err(e) => {
                println!("{}: ERROR {e}", f.display());
                continue;
            }
        };
        let (mut tp, mut nref, mut nours) = (0usize, 0usize, 0usize);
        let mut file_iou = 0f64;
        for (i, page) in ours.pages.iter().enumerate() {
            let refs = reference.get(i).map(Vec::as_slice).unwrap_or(&[]);
            nref += refs.len();
            nours += page.words.len();
            let mut pool: HashMap<&str, Vec<[f32; 4]>> = HashMap::new();
            for r in refs {
                pool.entry(r.text.as_str()).or_default().push(r.bbox);
            }
            for w in &page.words {
                if let Some(boxes) = pool.get_mut(w.text.as_str())
                    && !boxes.is_empty()
                {
                    let b = [w.bbox.x0, w.bbox.y0, w.bbox.x1, w.bbox.y1];
                    // The reference box of this text closest to ours.
                    let (k, best) = boxes
                        .iter()
                        .enumerate()
                        .map(|(k, r)| (k, iou(b, *r)))
                        .fold((0, -1.0f32), |acc, x| if x.1 > acc.1 { x } else { acc });
                    boxes.swap_remove(k);
                    tp += 1;
                    file_iou += f64::from(best);
                }
            }
        }
        let p = tp as f64 / nours.max(1) as f64;
        let r = tp as f64 / nref.max(1) as f64;
        println!(
            "{:<70} ours {:>5} ref {:>5} P {:.3} R {:.3} IoU {:.3}",
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            nours,
            nref,
            p,
            r,
            file_iou / tp.max(1) as f64
        );
        tp_all += tp;
        ref_all += nref;
        ours_all += nours;
        iou_sum += file_iou;
    }
    println!(
        "TOTAL words ours {ours_all} ref {ref_all} precision {:.4} recall {:.4} mean IoU {:.3}",
        tp_all as f64 / ours_all.max(1) as f64,
        tp_all as f64 / ref_all.max(1) as f64,
        iou_sum / tp_all.max(1) as f64
    );
    ExitCode::SUCCESS
}
