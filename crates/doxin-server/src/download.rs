//! `Content-Disposition` for downloads (invoice files, exports).
//!
//! File names come from uploads, so from anyone: a right-to-left override (U+202E) makes
//! `invoice<U+202E>fdp.exe` look like `invoiceexe.pdf`, `..` or `/etc/x` aim at paths, and quotes or
//! control characters break the header. The header therefore carries two names (RFC 6266):
//! `filename="…"`, plain printable ASCII for old clients, and `filename*=UTF-8''…` (RFC 5987
//! percent-encoding) with the cleaned Unicode name for the rest. Both lose control, format and
//! bidirectional characters and path separators; a name with nothing left but dots or spaces
//! becomes `<fallback stem>.<extension>`.

use axum::http::HeaderValue;

/// Longest name kept, in characters (file systems allow 255 bytes).
const MAX_NAME_CHARS: usize = 150;

/// Characters that change how text around them is displayed without being visible: bidi
/// embeddings, overrides and isolates, zero-width characters, the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// `name` without control, format and bidi characters, path separators and quotes, trimmed
/// of spaces and leading dots (no hidden files); `None` when nothing meaningful is left.
pub(crate) fn clean_name(name: &str) -> Option<String> {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .map(|c| match c {
            '/' | '\\' => '_',
            c => c,
        })
        .filter(|c| *c != '"')
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    if cleaned
        .chars()
        .all(|c| c == '.' || c == '_' || c.is_whitespace())
    {
        None
    } else {
        Some(cleaned)
    }
}

/// The extension of `name` when it is a short run of ASCII letters and digits.
fn ascii_extension(name: &str) -> Option<&str> {
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty() && ext.len() <= 10 && ext.chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some(ext)
}

/// `cleaned` as printable ASCII for `filename="…"`: other characters become `_`; `%` too,
/// because some clients percent-decode the plain parameter.
fn ascii_fallback(cleaned: &str, fallback_stem: &str, default_ext: &str) -> String {
    let ascii: String = cleaned
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && !matches!(c, '"' | '\\' | '%') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = match ascii_extension(&ascii) {
        Some(ext) => &ascii[..ascii.len() - ext.len() - 1],
        None => ascii.as_str(),
    };
    if stem.chars().any(|c| c.is_ascii_alphanumeric()) {
        ascii
    } else {
        // Nothing readable is left (a name in another script): the fallback, keeping the
        // extension so the file still opens with the right program.
        let ext = ascii_extension(cleaned).unwrap_or(default_ext);
        format!("{fallback_stem}.{ext}")
    }
}

/// RFC 5987 `attr-char`s stay, every other byte of the UTF-8 is percent-encoded.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            )
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `attachment; filename="<ascii>"; filename*=UTF-8''<utf-8>` for a download named `name`;
/// an empty or dot-only name becomes `<fallback_stem>.<default_ext>`.
pub(crate) fn attachment(name: &str, fallback_stem: &str, default_ext: &str) -> HeaderValue {
    let cleaned = clean_name(name).unwrap_or_else(|| format!("{fallback_stem}.{default_ext}"));
    let ascii = ascii_fallback(&cleaned, fallback_stem, default_ext);
    let value = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encode(&cleaned)
    );
    // Printable ASCII by construction; the fallback is for a bug, never for input.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The usual extension of a stored file's media type (for names that lost theirs).
pub(crate) fn extension_for(mime_type: &str) -> &'static str {
    match mime_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/tiff" => "tif",
        "image/webp" => "webp",
        "application/xml" | "text/xml" => "xml",
        "text/plain" => "txt",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str) -> String {
        attachment(name, "invoice-1", "pdf")
            .to_str()
            .expect("ascii")
            .to_string()
    }

    #[test]
    fn plain_names_pass() {
        assert_eq!(
            header("scan 1.pdf"),
            "attachment; filename=\"scan 1.pdf\"; filename*=UTF-8''scan%201.pdf"
        );
    }

    #[test]
    fn bidi_controls_separators_and_dots_go() {
        let h = header("invoice\u{202E}fdp.exe");
        assert!(h.contains("filename=\"invoicefdp.exe\""), "{h}");
        assert!(!h.contains("%E2%80%AE"), "{h}");
        assert_eq!(
            header(".."),
            "attachment; filename=\"invoice-1.pdf\"; filename*=UTF-8''invoice-1.pdf"
        );
        let h = header("../../etc/passwd");
        assert!(h.contains("filename=\"_.._etc_passwd\""), "{h}");
        assert!(header("a\r\nSet-Cookie: x").contains("filename=\"aSet-Cookie: x\""));
        assert!(header("\"quoted\".pdf").contains("filename=\"quoted.pdf\""));
    }

    #[test]
    fn unicode_names_get_an_ascii_fallback() {
        let h = header("Rechnung Müller.pdf");
        assert!(h.contains("filename=\"Rechnung M_ller.pdf\""), "{h}");
        assert!(
            h.contains("filename*=UTF-8''Rechnung%20M%C3%BCller.pdf"),
            "{h}"
        );
        let h = header("счёт.pdf");
        assert!(h.contains("filename=\"invoice-1.pdf\""), "{h}");
        assert!(h.contains("filename*=UTF-8''%D1%81"), "{h}");
    }
}
