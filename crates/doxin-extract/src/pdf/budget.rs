//! Cheap structural checks of a PDF before any parser sees it: nesting depth, object count,
//! inflated bytes, operators per content stream and image sizes, read by a flat tokenizer of our
//! own that never recurses and never holds more than one inflated stream. The page tree's depth
//! is measured by an iterative walk over lopdf's objects once the nesting is known to be sane
//! (lopdf's parser recurses once per nesting level).
//!
//! Both PDF libraries DoxIn uses recurse without a depth limit, and the stack overflow a deep
//! `[[[…` causes aborts the process (no `catch_unwind` can stop it); a 7 KB page of 150,000
//! strokes costs gigabytes; a small Flate stream can inflate to hundreds of megabytes. Each of
//! these is refused here with [`ExtractError::TooComplex`], naming the limit and its setting.
//! The sandbox (a child process with memory, CPU and time limits) stays the backstop for what a
//! cheap check cannot see.

use std::collections::HashSet;
use std::io::Read;

use crate::ExtractError;
use crate::limits::DocumentLimits;

/// What the scan found, for tests and diagnostics.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BudgetReport {
    pub max_nesting: u32,
    pub objects: u64,
    pub decompressed_bytes: u64,
    pub max_operators: u64,
    pub page_tree_depth: u32,
}

/// Checks `bytes` (a PDF) against `limits`. Returns what it measured when everything is within.
pub fn check(bytes: &[u8], limits: &DocumentLimits) -> Result<BudgetReport, ExtractError> {
    let mut report = BudgetReport::default();
    scan_file(bytes, limits, &mut report)?;
    report.page_tree_depth = page_tree_depth(bytes, limits)?;
    Ok(report)
}

fn too_complex(what: String) -> ExtractError {
    ExtractError::TooComplex(what)
}

fn nesting_error(depth: u32, limits: &DocumentLimits, place: &str) -> ExtractError {
    too_complex(format!(
        "{place} nests arrays or dictionaries deeper than {} levels (PDF_MAX_NESTING); {depth} found",
        limits.max_nesting
    ))
}

/// A token of PDF syntax, as much as the checks need.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Open,
    Close,
    /// A bare word: a keyword, an operator, a number or `R`.
    Word(&'a [u8]),
    /// Anything else that is a complete token (names, strings, hex strings).
    Other,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// A flat PDF tokenizer over a byte slice. Malformed input never fails it: an unterminated string
/// or hex string runs to the end, as a lenient parser would read it.
struct Tokens<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(b: &'a [u8]) -> Self {
        Tokens { b, pos: 0 }
    }

    fn next_token(&mut self) -> Option<Token<'a>> {
        let b = self.b;
        loop {
            while self.pos < b.len() && is_space(b[self.pos]) {
                self.pos += 1;
            }
            if self.pos >= b.len() {
                return None;
            }
            if b[self.pos] == b'%' {
                while self.pos < b.len() && b[self.pos] != b'\n' && b[self.pos] != b'\r' {
                    self.pos += 1;
                }
                continue;
            }
            break;
        }
        let start = self.pos;
        match b[start] {
            b'[' | b'{' => {
                self.pos += 1;
                Some(Token::Open)
            }
            b']' | b'}' => {
                self.pos += 1;
                Some(Token::Close)
            }
            b'<' if b.get(start + 1) == Some(&b'<') => {
                self.pos += 2;
                Some(Token::Open)
            }
            b'>' if b.get(start + 1) == Some(&b'>') => {
                self.pos += 2;
                Some(Token::Close)
            }
            b'<' => {
                self.pos = memchr(b'>', &b[start..]).map_or(b.len(), |i| start + i + 1);
                Some(Token::Other)
            }
            b'(' => {
                let mut depth = 0usize;
                let mut i = start;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                self.pos = (i + 1).min(b.len());
                Some(Token::Other)
            }
            b'/' => {
                self.pos += 1;
                while self.pos < b.len() && !is_space(b[self.pos]) && !is_delimiter(b[self.pos]) {
                    self.pos += 1;
                }
                Some(Token::Other)
            }
            b')' | b'>' => {
                self.pos += 1;
                Some(Token::Other)
            }
            _ => {
                while self.pos < b.len() && !is_space(b[self.pos]) && !is_delimiter(b[self.pos]) {
                    self.pos += 1;
                }
                Some(Token::Word(&b[start..self.pos]))
            }
        }
    }

    /// Moves past the data of a stream whose `stream` keyword was just read; returns the data.
    fn stream_data(&mut self) -> &'a [u8] {
        let b = self.b;
        let mut start = self.pos;
        if b.get(start) == Some(&b'\r') {
            start += 1;
        }
        if b.get(start) == Some(&b'\n') {
            start += 1;
        }
        let end = find(&b[start.min(b.len())..], b"endstream").map_or(b.len(), |i| start + i);
        self.pos = end.min(b.len());
        &b[start.min(end)..end]
    }

    /// Moves past inline image data (`BI … ID <data> EI`) after `ID` was read.
    fn skip_inline_image(&mut self) {
        let b = self.b;
        let mut i = self.pos + 1;
        while i + 2 <= b.len() {
            if &b[i..i + 2] == b"EI"
                && is_space(b[i - 1])
                && b.get(i + 2).is_none_or(|c| is_space(*c))
            {
                self.pos = i + 2;
                return;
            }
            i += 1;
        }
        self.pos = b.len();
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&c| c == needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Scans the file body: nesting, objects, and every stream's dictionary and data.
fn scan_file(
    bytes: &[u8],
    limits: &DocumentLimits,
    report: &mut BudgetReport,
) -> Result<(), ExtractError> {
    let mut tokens = Tokens::new(bytes);
    let mut depth = 0u32;
    // The last dictionary closed at depth 0 (a stream's dictionary precedes `stream`).
    let mut dict_start = 0usize;
    let mut last_dict: &[u8] = &[];
    loop {
        let before = tokens.pos;
        let Some(token) = tokens.next_token() else {
            break;
        };
        match token {
            Token::Open => {
                if depth == 0 {
                    dict_start = before;
                }
                depth += 1;
                report.max_nesting = report.max_nesting.max(depth);
                if depth > limits.max_nesting {
                    return Err(nesting_error(depth, limits, "the PDF"));
                }
            }
            Token::Close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    last_dict = &bytes[dict_start.min(tokens.pos)..tokens.pos];
                }
            }
            Token::Word(b"obj") => {
                report.objects += 1;
                if report.objects > limits.max_objects {
                    return Err(too_complex(format!(
                        "the PDF has more than {} objects (PDF_MAX_OBJECTS)",
                        limits.max_objects
                    )));
                }
                depth = 0;
            }
            Token::Word(b"endobj") => depth = 0,
            Token::Word(b"stream") => {
                let data = tokens.stream_data();
                check_stream(last_dict, data, limits, report)?;
                last_dict = &[];
                depth = 0;
            }
            _ => {}
        }
    }
    Ok(())
}

/// What a stream's dictionary says about it.
struct StreamInfo {
    flate_only: bool,
    object_stream: bool,
    image: bool,
    /// Fonts, colour profiles, metadata, XRef and embedded files: inflated for the byte budget
    /// but not read as content.
    not_content: bool,
    pixels: Option<u64>,
}

fn stream_info(dict: &[u8]) -> StreamInfo {
    let names = dict_names(dict);
    let has = |n: &str| names.iter().any(|x| x == n);
    let filters: Vec<&String> = names
        .iter()
        .filter(|n| n.ends_with("Decode") || *n == "Fl")
        .collect();
    let flate_only = !filters.is_empty()
        && filters
            .iter()
            .all(|n| n.as_str() == "FlateDecode" || n.as_str() == "Fl");
    let image = has("Image");
    let pixels = if image {
        match (int_after(dict, b"/Width"), int_after(dict, b"/Height")) {
            (Some(w), Some(h)) => Some(w.saturating_mul(h)),
            _ => None,
        }
    } else {
        None
    };
    StreamInfo {
        flate_only,
        object_stream: has("ObjStm"),
        image,
        not_content: [
            "XRef",
            "Metadata",
            "EmbeddedFile",
            "Length1",
            "Length2",
            "Length3",
            "Type1C",
            "CIDFontType0C",
            "OpenType",
            // ICC colour profiles (`/N 3`).
            "N",
        ]
        .iter()
        .any(|n| has(n)),
        pixels,
    }
}

/// The names (without `/`) appearing in a dictionary's bytes.
fn dict_names(dict: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut tokens = Tokens::new(dict);
    loop {
        let start = tokens.pos;
        let Some(t) = tokens.next_token() else { break };
        if t == Token::Other {
            let raw = &dict[start..tokens.pos];
            let raw = raw.trim_ascii_start();
            if let Some(name) = raw.strip_prefix(b"/") {
                out.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    }
    out
}

/// The integer after `key` in a dictionary (`/Width 800`).
fn int_after(dict: &[u8], key: &[u8]) -> Option<u64> {
    let mut from = 0;
    while let Some(i) = find(&dict[from..], key) {
        let after = from + i + key.len();
        // `/Width` must not match `/WidthX`.
        if dict
            .get(after)
            .is_some_and(|c| !is_space(*c) && !is_delimiter(*c))
        {
            from = after;
            continue;
        }
        let rest = dict[after..].trim_ascii_start();
        let digits: Vec<u8> = rest
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .copied()
            .collect();
        return std::str::from_utf8(&digits).ok()?.parse().ok();
    }
    None
}

fn check_stream(
    dict: &[u8],
    data: &[u8],
    limits: &DocumentLimits,
    report: &mut BudgetReport,
) -> Result<(), ExtractError> {
    let info = stream_info(dict);
    if info.image {
        if let Some(p) = info.pixels
            && p > limits.max_pixels
        {
            return Err(too_complex(format!(
                "an image in the PDF has {p} pixels; the limit is {} (MAX_IMAGE_MEGAPIXELS)",
                limits.max_pixels
            )));
        }
        // Image data is decoded by the renderer only for the pages it renders, at the declared
        // size; it is not inflated here.
        return Ok(());
    }
    let inflated;
    let content: &[u8] = if info.flate_only {
        let remaining = limits
            .max_decompressed_bytes
            .saturating_sub(report.decompressed_bytes);
        inflated = inflate_capped(data, remaining)?;
        report.decompressed_bytes += inflated.len() as u64;
        if inflated.len() as u64 > remaining {
            return Err(too_complex(format!(
                "the PDF's compressed streams inflate to more than {} MB (PDF_MAX_DECOMPRESSED_MB)",
                limits.max_decompressed_bytes / (1024 * 1024)
            )));
        }
        &inflated
    } else if dict_names(dict).iter().any(|n| n.ends_with("Decode")) {
        // Another filter (LZW, ASCII85, …): not read here; the sandbox bounds what parsers do.
        return Ok(());
    } else {
        data
    };
    if info.object_stream {
        // Objects stored in a stream are parsed like the file body: same nesting limit.
        let mut nested = BudgetReport::default();
        scan_objects(content, limits, &mut nested)?;
        report.max_nesting = report.max_nesting.max(nested.max_nesting);
        report.objects += int_after(dict, b"/N").unwrap_or(0);
        if report.objects > limits.max_objects {
            return Err(too_complex(format!(
                "the PDF has more than {} objects (PDF_MAX_OBJECTS)",
                limits.max_objects
            )));
        }
        return Ok(());
    }
    if info.not_content {
        return Ok(());
    }
    let (depth, operators) = scan_content(content, limits)?;
    report.max_nesting = report.max_nesting.max(depth);
    report.max_operators = report.max_operators.max(operators);
    Ok(())
}

/// Inflates a zlib (or raw deflate) stream, reading at most `cap + 1` bytes so that exceeding the
/// cap is detected without holding more. A damaged stream yields what could be inflated.
fn inflate_capped(data: &[u8], cap: u64) -> Result<Vec<u8>, ExtractError> {
    let limit = cap.saturating_add(1);
    let mut out = Vec::new();
    let zlib = flate2::read::ZlibDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out);
    if zlib.is_err() && out.is_empty() {
        let _ = flate2::read::DeflateDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out);
    }
    Ok(out)
}

/// Nesting inside an object stream's objects.
fn scan_objects(
    content: &[u8],
    limits: &DocumentLimits,
    report: &mut BudgetReport,
) -> Result<(), ExtractError> {
    let mut tokens = Tokens::new(content);
    let mut depth = 0u32;
    while let Some(t) = tokens.next_token() {
        match t {
            Token::Open => {
                depth += 1;
                report.max_nesting = report.max_nesting.max(depth);
                if depth > limits.max_nesting {
                    return Err(nesting_error(depth, limits, "an object stream in the PDF"));
                }
            }
            Token::Close => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Nesting and operator count of a content stream (or anything that may be one: a stream whose
/// kind the dictionary does not tell, such as a form XObject or a page's contents).
fn scan_content(content: &[u8], limits: &DocumentLimits) -> Result<(u32, u64), ExtractError> {
    let mut tokens = Tokens::new(content);
    let (mut depth, mut max_depth, mut operators) = (0u32, 0u32, 0u64);
    while let Some(t) = tokens.next_token() {
        match t {
            Token::Open => {
                depth += 1;
                max_depth = max_depth.max(depth);
                if depth > limits.max_nesting {
                    return Err(nesting_error(depth, limits, "a content stream of the PDF"));
                }
            }
            Token::Close => depth = depth.saturating_sub(1),
            Token::Word(w) => {
                let first = w[0];
                let operator = (first.is_ascii_alphabetic() || first == b'\'' || first == b'"')
                    && !matches!(w, b"true" | b"false" | b"null");
                if operator {
                    operators += 1;
                    if operators > limits.max_operators {
                        return Err(too_complex(format!(
                            "a page of the PDF draws more than {} operations (PDF_MAX_OPERATORS)",
                            limits.max_operators
                        )));
                    }
                    if w == b"ID" {
                        tokens.skip_inline_image();
                    }
                }
            }
            Token::Other => {}
        }
    }
    Ok((max_depth, operators))
}

/// The depth of the page tree, walked iteratively over lopdf's objects (lopdf's own page
/// enumeration recurses). A tree that cannot be read is left to the parsers to report.
fn page_tree_depth(bytes: &[u8], limits: &DocumentLimits) -> Result<u32, ExtractError> {
    let Ok(doc) = super::guard::open_lopdf(bytes) else {
        return Ok(0);
    };
    let root = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|p| p.as_reference().ok());
    let Some(root) = root else { return Ok(0) };
    let mut seen = HashSet::new();
    let mut stack = vec![(root, 1u32)];
    let mut deepest = 0;
    while let Some((id, depth)) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        deepest = deepest.max(depth);
        if depth > limits.max_page_tree_depth {
            return Err(too_complex(format!(
                "the PDF's page tree is deeper than {} levels (PDF_MAX_PAGE_TREE_DEPTH)",
                limits.max_page_tree_depth
            )));
        }
        let Ok(dict) = doc.get_dictionary(id) else {
            continue;
        };
        if let Ok(kids) = dict.get(b"Kids").and_then(|k| k.as_array()) {
            for kid in kids {
                if let Ok(r) = kid.as_reference() {
                    stack.push((r, depth + 1));
                }
            }
        }
    }
    Ok(deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> DocumentLimits {
        DocumentLimits::default()
    }

    #[test]
    fn the_tokenizer_skips_strings_comments_and_hex() {
        let mut t = Tokens::new(b"[(a [ ( ) b) <5b5b> % [[[\n /N] 1 0 R");
        let mut toks = Vec::new();
        while let Some(x) = t.next_token() {
            toks.push(x);
        }
        assert_eq!(
            toks,
            vec![
                Token::Open,
                Token::Other,
                Token::Other,
                Token::Other,
                Token::Close,
                Token::Word(b"1"),
                Token::Word(b"0"),
                Token::Word(b"R")
            ]
        );
    }

    #[test]
    fn deep_arrays_are_refused_shallow_ones_measured() {
        let deep = format!(
            "%PDF-1.4\n1 0 obj\n{}{}\nendobj\n",
            "[".repeat(100),
            "]".repeat(100)
        );
        let err = check(deep.as_bytes(), &limits()).unwrap_err();
        assert_eq!(err.code(), "document_too_complex");
        assert!(err.to_string().contains("PDF_MAX_NESTING"), "{err}");
        let ok = format!(
            "%PDF-1.4\n1 0 obj\n{}{}\nendobj\n",
            "[".repeat(10),
            "]".repeat(10)
        );
        let report = check(ok.as_bytes(), &limits()).expect("shallow");
        assert_eq!(report.max_nesting, 10);
        assert_eq!(report.objects, 1);
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let s = format!("%PDF-1.4\n1 0 obj\n({})\nendobj\n", "[".repeat(1000));
        assert!(check(s.as_bytes(), &limits()).is_ok());
    }

    #[test]
    fn operators_are_counted_per_content_stream() {
        let content = "0 0 m 1 1 l S\n".repeat(100);
        let pdf = format!(
            "%PDF-1.4\n1 0 obj\n<< /Length {} >>\nstream\n{content}\nendstream\nendobj\n",
            content.len()
        );
        let mut l = limits();
        l.max_operators = 1000;
        assert!(check(pdf.as_bytes(), &l).is_ok());
        l.max_operators = 299;
        let err = check(pdf.as_bytes(), &l).unwrap_err();
        assert!(err.to_string().contains("PDF_MAX_OPERATORS"), "{err}");
    }

    #[test]
    fn inflated_bytes_are_capped() {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![b' '; 4 * 1024 * 1024]).expect("compress");
        let data = z.finish().expect("compress");
        let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n".to_vec();
        pdf.extend_from_slice(&data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        let mut l = limits();
        assert_eq!(
            check(&pdf, &l).expect("within").decompressed_bytes,
            4 * 1024 * 1024
        );
        l.max_decompressed_bytes = 1024 * 1024;
        let err = check(&pdf, &l).unwrap_err();
        assert!(err.to_string().contains("PDF_MAX_DECOMPRESSED_MB"), "{err}");
    }

    #[test]
    fn huge_images_are_refused_by_their_declared_size() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /XObject /Subtype /Image /Width 20000 /Height 20000 /Length 1 >>\nstream\nx\nendstream\nendobj\n";
        let err = check(pdf, &limits()).unwrap_err();
        assert!(err.to_string().contains("MAX_IMAGE_MEGAPIXELS"), "{err}");
    }

    #[test]
    fn inline_images_do_not_derail_the_operator_count() {
        let content = b"q BI /W 2 /H 2 /BPC 8 /CS /G ID \x00[[[[\xff EI Q";
        let (depth, ops) = scan_content(content, &limits()).expect("ok");
        assert_eq!(depth, 0);
        // q, BI, ID, Q (EI is consumed with the data).
        assert_eq!(ops, 4);
    }
}
