//! What a file is, from its content alone (magic bytes, XML root), never from its name.

use crate::ExtractError;

/// The kinds of document DoxIn reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    Pdf,
    Png,
    Jpeg,
    Tiff,
    Webp,
    /// An XML document (a UBL, CII or FatturaPA e-invoice is expected; the parser decides).
    Xml,
    /// Plain UTF-8 text.
    Text,
}

impl DocumentKind {
    pub fn mime_type(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Png => "image/png",
            DocumentKind::Jpeg => "image/jpeg",
            DocumentKind::Tiff => "image/tiff",
            DocumentKind::Webp => "image/webp",
            DocumentKind::Xml => "application/xml",
            DocumentKind::Text => "text/plain",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(
            self,
            DocumentKind::Png | DocumentKind::Jpeg | DocumentKind::Tiff | DocumentKind::Webp
        )
    }

    /// The kind a MIME type names, for checking a client's claim against the content.
    pub fn from_mime(mime: &str) -> Option<DocumentKind> {
        let m = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Some(match m.as_str() {
            "application/pdf" | "application/x-pdf" => DocumentKind::Pdf,
            "image/png" => DocumentKind::Png,
            "image/jpeg" | "image/jpg" | "image/pjpeg" => DocumentKind::Jpeg,
            "image/tiff" | "image/tif" => DocumentKind::Tiff,
            "image/webp" => DocumentKind::Webp,
            "application/xml" | "text/xml" => DocumentKind::Xml,
            "text/plain" => DocumentKind::Text,
            _ => return None,
        })
    }
}

/// Strips a UTF-8 byte-order mark and leading whitespace.
fn trim_start(bytes: &[u8]) -> &[u8] {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// Identifies `bytes`. Empty input and unknown binary formats are errors.
pub fn sniff(bytes: &[u8]) -> Result<DocumentKind, ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::Empty);
    }
    // PDF: the header may be preceded by junk within the first 1 KiB (as readers allow).
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(DocumentKind::Pdf);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(DocumentKind::Png);
    }
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        return Ok(DocumentKind::Jpeg);
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Ok(DocumentKind::Tiff);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(DocumentKind::Webp);
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(ExtractError::Unsupported(
            "UTF-16 text; save it as UTF-8".into(),
        ));
    }
    let text = trim_start(bytes);
    if text.starts_with(b"<") {
        return Ok(DocumentKind::Xml);
    }
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    if looks_like_text(sample) {
        return Ok(DocumentKind::Text);
    }
    Err(ExtractError::Unsupported(describe_binary(bytes)))
}

/// Checks the client's claimed MIME type against the content.
pub fn sniff_claimed(bytes: &[u8], claimed_mime: &str) -> Result<DocumentKind, ExtractError> {
    let actual = sniff(bytes)?;
    match DocumentKind::from_mime(claimed_mime) {
        // XML is text too: a text/plain claim for XML content is a harmless mislabel.
        Some(c) if c == actual || (c == DocumentKind::Text && actual == DocumentKind::Xml) => {
            Ok(actual)
        }
        Some(c) => Err(ExtractError::TypeMismatch {
            claimed: c.mime_type().into(),
            actual: actual.mime_type().into(),
        }),
        // Unknown or generic claims (application/octet-stream) defer to the content.
        None => Ok(actual),
    }
}

fn looks_like_text(sample: &[u8]) -> bool {
    // Valid UTF-8 (allowing a cut in the last character) with no control bytes but
    // tab, newline, carriage return and form feed.
    let valid = match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > sample.len(),
    };
    valid
        && !sample
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
}

/// DER of the object identifier of CMS signed data (1.2.840.113549.1.7.2), what a `.p7m`
/// envelope starts with after its outer sequence header.
const CMS_SIGNED_DATA: &[u8] = b"\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02";

/// What DoxIn reads, for the end of a refusal.
const READS: &str = "DoxIn reads PDF, PNG, JPEG, TIFF, WebP, UBL/CII/FatturaPA XML and plain text";

fn describe_binary(bytes: &[u8]) -> String {
    // Italian e-invoices often travel signed (`.xml.p7m`, CAdES): say what to do with one.
    let head = &bytes[..bytes.len().min(32)];
    if bytes.first() == Some(&0x30)
        && head
            .windows(CMS_SIGNED_DATA.len())
            .any(|w| w == CMS_SIGNED_DATA)
    {
        return format!(
            "a signed CMS envelope (such as a FatturaPA .xml.p7m); take the XML out of it \
             first; {READS}"
        );
    }
    let known: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
        (b"GIF8", "a GIF image"),
        (b"BM", "a BMP image"),
        (b"\xD0\xCF\x11\xE0", "an old Microsoft Office document"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"7z\xBC\xAF", "a 7-Zip archive"),
        (b"Rar!", "a RAR archive"),
        (b"\x7FELF", "a program"),
        (b"MZ", "a Windows program"),
    ];
    for (magic, what) in known {
        if bytes.starts_with(magic) {
            return format!("{what}; {READS}");
        }
    }
    format!("unrecognised binary content; {READS}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_kind_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n...").ok(), Some(DocumentKind::Pdf));
        assert_eq!(sniff(b"junk\n%PDF-1.4").ok(), Some(DocumentKind::Pdf));
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0").ok(),
            Some(DocumentKind::Png)
        );
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF").ok(),
            Some(DocumentKind::Jpeg)
        );
        assert_eq!(sniff(b"II*\0\x08\0\0\0").ok(), Some(DocumentKind::Tiff));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08").ok(), Some(DocumentKind::Tiff));
        assert_eq!(
            sniff(b"RIFF\x10\0\0\0WEBPVP8 ").ok(),
            Some(DocumentKind::Webp)
        );
        assert_eq!(
            sniff(b"\xEF\xBB\xBF  <?xml version=\"1.0\"?><Invoice/>").ok(),
            Some(DocumentKind::Xml)
        );
        assert_eq!(
            sniff("Rechnung Nr. 1\nSumme 12,00 €\n".as_bytes()).ok(),
            Some(DocumentKind::Text)
        );
    }

    #[test]
    fn refuses_empty_and_unknown() {
        assert!(matches!(sniff(b""), Err(ExtractError::Empty)));
        let zip = sniff(b"PK\x03\x04\x14\0\0\0");
        assert!(
            matches!(&zip, Err(ExtractError::Unsupported(m)) if m.contains("ZIP")),
            "{zip:?}"
        );
        assert!(matches!(
            sniff(b"GIF89a\x01\0"),
            Err(ExtractError::Unsupported(_))
        ));
        assert!(matches!(
            sniff(b"\0\x01\x02\x03binary"),
            Err(ExtractError::Unsupported(_))
        ));
        assert!(matches!(
            sniff(b"\xFF\xFEh\0i\0"),
            Err(ExtractError::Unsupported(_))
        ));
        // A signed FatturaPA (.xml.p7m): DER, indefinite length, then the signed-data OID.
        let p7m = sniff(b"\x30\x80\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02\xA0\x80");
        assert!(
            matches!(&p7m, Err(ExtractError::Unsupported(m)) if m.contains("p7m") && m.contains("FatturaPA XML")),
            "{p7m:?}"
        );
    }

    #[test]
    fn claimed_type_must_match_content() {
        let png = b"\x89PNG\r\n\x1a\n\0\0";
        assert_eq!(
            sniff_claimed(png, "image/png").ok(),
            Some(DocumentKind::Png)
        );
        let err = sniff_claimed(png, "application/pdf");
        assert!(
            matches!(err, Err(ExtractError::TypeMismatch { .. })),
            "{err:?}"
        );
        assert_eq!(
            sniff_claimed(png, "application/octet-stream").ok(),
            Some(DocumentKind::Png)
        );
        assert_eq!(
            sniff_claimed(b"<Invoice/>", "text/plain").ok(),
            Some(DocumentKind::Xml)
        );
    }
}
