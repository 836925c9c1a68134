//! Bytes to text: byte order marks, the XML declaration's encoding, and the encodings
//! e-invoices are written in (UTF-8, UTF-16, ISO-8859-1/-15, Windows-1252, US-ASCII).
//!
//! The declaration governs, as the XML specification says and as every conforming reader
//! (and so the receiver of an e-invoice) does: a file that declares ISO-8859-1 but was written
//! in UTF-8 (some Peruvian SUNAT samples) reads as `ArtÃ­culo`, exactly as its recipient's
//! system would read it. Guessing otherwise would make DoxIn disagree with the legal document.

use std::borrow::Cow;

use super::XmlError;

/// Windows-1252 code points for bytes 0x80..=0x9F (the rest equals ISO-8859-1).
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Latin1,
    Latin9,
    Cp1252,
}

/// The document as UTF-8 text, without a byte order mark.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest, 3);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Ok(Cow::Owned(utf16(rest, Encoding::Utf16Le)?));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Ok(Cow::Owned(utf16(rest, Encoding::Utf16Be)?));
    }
    if bytes.starts_with(b"<\0?\0") {
        return Ok(Cow::Owned(utf16(bytes, Encoding::Utf16Le)?));
    }
    if bytes.starts_with(b"\0<\0?") {
        return Ok(Cow::Owned(utf16(bytes, Encoding::Utf16Be)?));
    }
    let declared = declared_encoding(bytes);
    let encoding = match declared {
        None => Encoding::Utf8,
        Some(name) => match name.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" | "us-ascii" | "ascii" => Encoding::Utf8,
            "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "l1" | "iso_8859-1" => {
                Encoding::Latin1
            }
            "iso-8859-15" | "iso8859-15" | "latin-9" | "latin9" => Encoding::Latin9,
            "windows-1252" | "cp1252" => Encoding::Cp1252,
            // Without a byte order mark and without NUL bytes this cannot be UTF-16 text;
            // the declaration is wrong and UTF-8 is the only sensible reading.
            "utf-16" | "utf-16le" | "utf-16be" => Encoding::Utf8,
            _ => return Err(XmlError::UnsupportedEncoding(name.to_string())),
        },
    };
    match encoding {
        Encoding::Utf8 => utf8(bytes, 0),
        single_byte => {
            if bytes.is_ascii() {
                return utf8(bytes, 0);
            }
            Ok(Cow::Owned(
                bytes
                    .iter()
                    .map(|&b| single_byte_char(b, single_byte))
                    .collect(),
            ))
        }
    }
}

fn utf8(bytes: &[u8], offset: usize) -> Result<Cow<'_, str>, XmlError> {
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        let pos = e.valid_up_to();
        let before = &bytes[..pos];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        XmlError::Malformed {
            offset: (pos + offset) as u64,
            line,
            column: pos - line_start + 1,
            message: "invalid UTF-8".to_string(),
        }
    })
}

fn single_byte_char(b: u8, encoding: Encoding) -> char {
    match (encoding, b) {
        (Encoding::Cp1252, 0x80..=0x9F) => CP1252_HIGH[usize::from(b - 0x80)],
        (Encoding::Latin9, 0xA4) => '\u{20AC}',
        (Encoding::Latin9, 0xA6) => '\u{0160}',
        (Encoding::Latin9, 0xA8) => '\u{0161}',
        (Encoding::Latin9, 0xB4) => '\u{017D}',
        (Encoding::Latin9, 0xB8) => '\u{017E}',
        (Encoding::Latin9, 0xBC) => '\u{0152}',
        (Encoding::Latin9, 0xBD) => '\u{0153}',
        (Encoding::Latin9, 0xBE) => '\u{0178}',
        _ => char::from(b),
    }
}

fn utf16(bytes: &[u8], encoding: Encoding) -> Result<String, XmlError> {
    let units = bytes.chunks_exact(2).map(|c| match encoding {
        Encoding::Utf16Be => u16::from_be_bytes([c[0], c[1]]),
        _ => u16::from_le_bytes([c[0], c[1]]),
    });
    let mut out = String::with_capacity(bytes.len() / 2);
    for (i, r) in char::decode_utf16(units).enumerate() {
        match r {
            Ok(c) => out.push(c),
            Err(_) => {
                return Err(XmlError::Malformed {
                    offset: (i * 2) as u64,
                    line: out.matches('\n').count() + 1,
                    column: out.len() - out.rfind('\n').map_or(0, |p| p + 1) + 1,
                    message: "invalid UTF-16".to_string(),
                });
            }
        }
    }
    if bytes.len() % 2 == 1 {
        return Err(XmlError::Malformed {
            offset: bytes.len() as u64,
            line: out.matches('\n').count() + 1,
            column: 1,
            message: "truncated UTF-16".to_string(),
        });
    }
    Ok(out)
}

/// The `encoding` pseudo-attribute of a leading XML declaration.
fn declared_encoding(bytes: &[u8]) -> Option<&str> {
    let head = bytes.get(..bytes.len().min(512))?;
    let head = head.strip_prefix(b"<?xml")?;
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    let close = rest.find(quote)?;
    Some(&rest[..close])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_declared_encoding() {
        assert_eq!(
            declared_encoding(b"<?xml version='1.0' encoding = 'ISO-8859-1'?><a/>"),
            Some("ISO-8859-1")
        );
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?><a/>"), None);
        assert_eq!(declared_encoding(b"<a/>"), None);
    }

    #[test]
    fn decodes_latin1_cp1252_utf16_and_bom() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>M\xfcnchen</a>";
        assert!(decode(latin1).unwrap().contains("München"));
        let cp = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>\x80 5</a>";
        assert!(decode(cp).unwrap().contains("€ 5"));
        // The declaration governs, even when the bytes happen to be UTF-8.
        let mis = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Artículo</a>";
        assert!(decode(mis.as_bytes()).unwrap().contains("ArtÃ\u{ad}culo"));
        let bom = b"\xEF\xBB\xBF<a/>";
        assert_eq!(decode(bom).unwrap(), "<a/>");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<a>ü</a>".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode(&utf16).unwrap(), "<a>ü</a>");
        assert!(matches!(
            decode(b"<?xml version=\"1.0\" encoding=\"EBCDIC\"?><a/>"),
            Err(XmlError::UnsupportedEncoding(_))
        ));
        assert!(matches!(
            decode(b"<a>\xff</a>"),
            Err(XmlError::Malformed { offset: 3, .. })
        ));
    }
}
