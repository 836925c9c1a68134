//! OCR with the Tesseract 5 command-line program: the image goes in on stdin, words with
//! boxes and confidences come back as TSV. Running it as a separate process means a crash
//! or a hang (killed after a timeout) cannot take the worker down. A missing program or
//! language pack is reported as [`ExtractError::OcrUnavailable`], which is retryable: it is
//! fixed by installing, not by changing the document.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use doxin_model::BBox;

use crate::ExtractError;
use crate::layout::{LayoutLine, LayoutPage, LayoutWord};

/// How OCR runs.
#[derive(Debug, Clone)]
pub struct OcrOptions {
    /// Tesseract languages joined with `+`, e.g. `eng+deu`.
    pub languages: String,
    /// The program (default `tesseract` from `PATH`).
    pub program: PathBuf,
    /// A run that takes longer is killed.
    pub timeout: Duration,
    /// Tesseract page segmentation mode. 6 (one uniform block) reads receipts and invoices
    /// better than automatic layout analysis (3): the rules rebuild columns from the word
    /// boxes themselves, and mode 3 drops short isolated words such as totals.
    pub page_segmentation: u8,
}

impl Default for OcrOptions {
    fn default() -> Self {
        OcrOptions {
            languages: "eng+deu".into(),
            program: PathBuf::from("tesseract"),
            timeout: Duration::from_secs(120),
            page_segmentation: 6,
        }
    }
}

/// Recognises an image (PNG, JPEG, TIFF including multi-page, WebP) into layout pages.
/// Box units are image pixels.
pub fn ocr_image(image: &[u8], opts: &OcrOptions) -> Result<Vec<LayoutPage>, ExtractError> {
    if !opts
        .languages
        .split('+')
        .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(ExtractError::OcrUnavailable(format!(
            "invalid OCR language list {:?}: use Tesseract codes joined by '+', e.g. eng+deu",
            opts.languages
        )));
    }
    let psm = opts.page_segmentation.min(13).to_string();
    let mut child = Command::new(&opts.program)
        .args([
            "stdin",
            "stdout",
            "-l",
            &opts.languages,
            "--psm",
            &psm,
            "tsv",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ExtractError::OcrUnavailable(format!(
                "the OCR program {} is not installed (Debian: apt install tesseract-ocr \
                 tesseract-ocr-eng tesseract-ocr-deu)",
                opts.program.display()
            )),
            _ => ExtractError::OcrFailed(format!("cannot start {}: {e}", opts.program.display())),
        })?;
    // Feed stdin and drain stdout/stderr on threads so a full pipe cannot deadlock.
    let mut stdin = child.stdin.take();
    let input = image.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            let _ = s.write_all(&input);
        }
    });
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_string(&mut out);
        }
        out
    });
    let mut stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut out = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_string(&mut out);
        }
        out
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > opts.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ExtractError::OcrFailed(format!(
                    "OCR took longer than {:?} and was stopped",
                    opts.timeout
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(ExtractError::OcrFailed(e.to_string())),
        }
    };
    let _ = writer.join();
    let tsv = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if !status.success() {
        if stderr.contains("Failed loading language") || stderr.contains("Error opening data file")
        {
            return Err(ExtractError::OcrUnavailable(format!(
                "Tesseract lacks a language of {:?} (Debian: apt install tesseract-ocr-<lang>): {}",
                opts.languages,
                stderr.lines().next().unwrap_or("").trim()
            )));
        }
        if stderr.contains("Error in pixReadMem") || stderr.contains("Unsupported image type") {
            return Err(ExtractError::Corrupt(format!(
                "the image cannot be read: {}",
                stderr.lines().next().unwrap_or("").trim()
            )));
        }
        return Err(ExtractError::OcrFailed(format!(
            "Tesseract exited with {status}: {}",
            stderr.lines().take(3).collect::<Vec<_>>().join(" ")
        )));
    }
    Ok(parse_tsv(&tsv))
}

/// Parses Tesseract's TSV (level 5 rows are words) into pages of lines.
pub fn parse_tsv(tsv: &str) -> Vec<LayoutPage> {
    // (page, block, paragraph, line) -> words
    let mut pages: Vec<LayoutPage> = Vec::new();
    let mut current_key: Option<(u32, u32, u32, u32)> = None;
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i64>().unwrap_or(-1);
        let (level, page) = (num(0), num(1).max(1) as u32);
        if level == 1 {
            pages.push(LayoutPage {
                number: page,
                width: num(8).max(1) as f32,
                height: num(9).max(1) as f32,
                lines: Vec::new(),
            });
            current_key = None;
            continue;
        }
        if level != 5 {
            continue;
        }
        let text = cols[11..].join("\t").trim().to_string();
        if text.is_empty() {
            continue;
        }
        let conf = cols[10]
            .trim()
            .parse::<f32>()
            .unwrap_or(0.0)
            .clamp(0.0, 100.0)
            / 100.0;
        let (l, t, w, h) = (num(6) as f32, num(7) as f32, num(8) as f32, num(9) as f32);
        let key = (page, num(2) as u32, num(3) as u32, num(4) as u32);
        if pages.last().is_none_or(|p| p.number != page) {
            pages.push(LayoutPage {
                number: page,
                width: 1.0,
                height: 1.0,
                lines: Vec::new(),
            });
        }
        let Some(p) = pages.last_mut() else { continue };
        let word = LayoutWord {
            text,
            bbox: BBox::new(l, t, l + w, t + h),
            confidence: conf,
        };
        if current_key == Some(key)
            && let Some(line) = p.lines.last_mut()
        {
            line.words.push(word);
        } else {
            p.lines.push(LayoutLine { words: vec![word] });
            current_key = Some(key);
        }
    }
    for p in &mut pages {
        merge_visual_lines(p);
        for line in &mut p.lines {
            join_split_numbers(line);
        }
    }
    pages.retain(|p| !p.lines.is_empty());
    pages
}

/// Tesseract splits a visual line into several when columns are far apart (a label on the
/// left, its amount on the right). Rules need them on one line, so lines whose vertical
/// extents mostly overlap are merged and sorted top to bottom.
fn merge_visual_lines(page: &mut LayoutPage) {
    let mut lines = std::mem::take(&mut page.lines);
    lines.sort_by(|a, b| a.bbox().y0.total_cmp(&b.bbox().y0));
    let mut out: Vec<LayoutLine> = Vec::new();
    for line in lines {
        let b = line.bbox();
        let h = b.y1 - b.y0;
        if let Some(last) = out.last_mut() {
            let lb = last.bbox();
            let overlap = b.y1.min(lb.y1) - b.y0.max(lb.y0);
            let min_h = h.min(lb.y1 - lb.y0).max(1.0);
            let centre_gap = ((b.y0 + b.y1) - (lb.y0 + lb.y1)).abs() / 2.0;
            if overlap > 0.5 * min_h && centre_gap < 0.5 * min_h {
                last.words.extend(line.words);
                last.words.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
                continue;
            }
        }
        out.push(line);
    }
    page.lines = out;
}

/// OCR often splits an amount at its decimal mark ("68. 87", "68 .87") or reads a space into
/// it; adjacent fragments that together form `digits[.,]digits` become one word again.
fn join_split_numbers(line: &mut LayoutLine) {
    let is_num = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let mut out: Vec<LayoutWord> = Vec::with_capacity(line.words.len());
    for w in line.words.drain(..) {
        if let Some(prev) = out.last_mut() {
            let gap = w.bbox.x0 - prev.bbox.x1;
            let height = (prev.bbox.y1 - prev.bbox.y0).max(1.0);
            let p = prev.text.as_str();
            let close = gap < 0.8 * height;
            let ends_with_mark = p.len() >= 2
                && (p.ends_with('.') || p.ends_with(','))
                && p[..p.len() - 1]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_digit());
            let starts_with_mark = (w.text.starts_with('.') || w.text.starts_with(','))
                && is_num(&w.text[1..])
                && p.chars().last().is_some_and(|c| c.is_ascii_digit());
            let frac = w.text.trim_end_matches(|c: char| !c.is_ascii_digit());
            if close
                && ((ends_with_mark && is_num(frac) && frac.len() <= 2)
                    || (starts_with_mark && w.text.len() <= 3))
            {
                prev.text.push_str(&w.text);
                prev.bbox = prev.bbox.union(w.bbox);
                prev.confidence = prev.confidence.min(w.confidence);
                continue;
            }
        }
        out.push(w);
    }
    line.words = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t600\t800\t-1\t
5\t1\t1\t1\t1\t1\t10\t10\t50\t12\t96.5\tTOTAL
5\t1\t2\t1\t1\t1\t400\t11\t40\t12\t91\t9.00
5\t1\t1\t1\t2\t1\t10\t40\t60\t12\t88\tThank
5\t1\t1\t1\t2\t2\t75\t40\t30\t12\t80\tyou
";

    #[test]
    fn words_become_lines_and_far_columns_rejoin() {
        let pages = parse_tsv(TSV);
        assert_eq!(pages.len(), 1);
        assert_eq!((pages[0].width, pages[0].height), (600.0, 800.0));
        let lines: Vec<String> = pages[0].lines.iter().map(LayoutLine::text).collect();
        assert_eq!(lines, ["TOTAL 9.00", "Thank you"]);
        let w = &pages[0].lines[0].words[0];
        assert!((w.confidence - 0.965).abs() < 1e-6);
    }

    #[test]
    fn amounts_split_at_the_decimal_mark_are_joined() {
        let word = |t: &str, x0: f32| LayoutWord {
            text: t.into(),
            bbox: BBox::new(x0, 0.0, x0 + 6.0 * t.len() as f32, 12.0),
            confidence: 0.9,
        };
        let mut line = LayoutLine {
            words: vec![
                word("RM", 0.0),
                word("68.", 20.0),
                word("87", 42.0),
                word("Qty", 80.0),
            ],
        };
        join_split_numbers(&mut line);
        assert_eq!(line.text(), "RM 68.87 Qty");
        let mut far = LayoutLine {
            words: vec![word("68.", 0.0), word("87", 200.0)],
        };
        join_split_numbers(&mut far);
        assert_eq!(far.words.len(), 2, "far apart words stay apart");
    }

    #[test]
    fn a_missing_program_is_reported_as_unavailable() {
        let opts = OcrOptions {
            program: PathBuf::from("/nonexistent/tesseract"),
            ..OcrOptions::default()
        };
        let err = ocr_image(b"\x89PNG", &opts).err();
        assert!(
            matches!(&err, Some(ExtractError::OcrUnavailable(m)) if m.contains("not installed")),
            "{err:?}"
        );
        assert!(err.is_some_and(|e| e.is_retryable()));
    }

    #[test]
    fn language_lists_are_checked_before_running() {
        let opts = OcrOptions {
            languages: "eng;rm -rf".into(),
            ..OcrOptions::default()
        };
        assert!(matches!(
            ocr_image(b"x", &opts),
            Err(ExtractError::OcrUnavailable(_))
        ));
    }
}
