//! Opening a PDF safely: cheap structural checks first, third-party parsing behind
//! `catch_unwind`, and one policy for encrypted files whichever parser reads them.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::ExtractError;

/// Upper bound for any single decompressed stream we read ourselves (embedded files) and for
/// lopdf's object streams: a zip bomb must fail, not exhaust memory.
pub(crate) const MAX_DECOMPRESSED: usize = 20 * 1024 * 1024;

/// Runs third-party parsing code, turning a panic into [`ExtractError::Corrupt`].
pub(crate) fn no_panic<T>(
    what: &str,
    f: impl FnOnce() -> Result<T, ExtractError>,
) -> Result<T, ExtractError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            tracing::warn!(what, panic = %msg, "PDF parser panicked");
            Err(ExtractError::Corrupt(format!(
                "the PDF could not be read ({what} failed: {msg})"
            )))
        }
    }
}

/// Checks that hold for every readable PDF, before any parser runs: a `%PDF-` header in the
/// first KiB and an `%%EOF` marker in the last KiB (where readers look for it; a file cut short
/// in transfer has none).
pub(crate) fn precheck(bytes: &[u8]) -> Result<(), ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::Empty);
    }
    let head = &bytes[..bytes.len().min(1024)];
    if find(head, b"%PDF-").is_none() {
        return Err(ExtractError::Corrupt(
            "not a PDF: no %PDF- header in the first 1024 bytes".into(),
        ));
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if find(tail, b"%%EOF").is_none() {
        if declares_encryption(bytes) {
            return Err(ExtractError::EncryptedPdf);
        }
        return Err(ExtractError::Corrupt(
            "the PDF is truncated: no %%EOF marker at its end (was the upload cut short?)".into(),
        ));
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether the raw bytes carry an `/Encrypt` entry (a name followed by a reference or an inline
/// dictionary). Trailers and cross-reference stream dictionaries are never compressed, so this
/// finds encryption even when a parser gives up on the file. Used only as a fallback when
/// parsing fails; parsed trailers are checked first.
pub(crate) fn declares_encryption(bytes: &[u8]) -> bool {
    const KEY: &[u8] = b"/Encrypt";
    let mut from = 0;
    while let Some(pos) = find(&bytes[from..], KEY) {
        let after = from + pos + KEY.len();
        let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0');
        // The name must end right here (`/EncryptMetadata` is another key) and be followed by
        // an indirect reference or an inline dictionary.
        let ends = bytes.get(after).is_some_and(|b| is_space(b) || *b == b'<');
        let next = bytes[after..].iter().find(|b| !is_space(b));
        if ends && matches!(next, Some(b'0'..=b'9' | b'<')) {
            return true;
        }
        from = after;
    }
    false
}

/// Opens the file with pdf_oxide (content streams, glyph positions).
pub(crate) fn open_oxide(bytes: &[u8]) -> Result<pdf_oxide::document::PdfDocument, ExtractError> {
    precheck(bytes)?;
    let doc = no_panic("opening the PDF", || {
        pdf_oxide::document::PdfDocument::from_bytes(bytes.to_vec()).map_err(|e| {
            if declares_encryption(bytes) {
                ExtractError::EncryptedPdf
            } else {
                ExtractError::Corrupt(format!("the PDF structure cannot be parsed: {e}"))
            }
        })
    })?;
    let encrypted = no_panic("reading the trailer", || Ok(doc.is_encrypted()))?;
    if encrypted {
        return Err(ExtractError::EncryptedPdf);
    }
    Ok(doc)
}

/// The page count through pdf_oxide, refusing empty documents.
pub(crate) fn page_count(doc: &pdf_oxide::document::PdfDocument) -> Result<u32, ExtractError> {
    let n = no_panic("counting pages", || {
        doc.page_count().map_err(|e| match e {
            pdf_oxide::error::Error::EncryptedPdf => ExtractError::EncryptedPdf,
            e => ExtractError::Corrupt(format!("the page tree cannot be read: {e}")),
        })
    })?;
    if n == 0 {
        return Err(ExtractError::Corrupt("the PDF has no pages".into()));
    }
    u32::try_from(n).map_err(|_| ExtractError::Corrupt(format!("implausible page count {n}")))
}

/// Opens the file with lopdf (object graph: name trees, file specifications, streams).
pub(crate) fn open_lopdf(bytes: &[u8]) -> Result<lopdf::Document, ExtractError> {
    precheck(bytes)?;
    let doc = no_panic("opening the PDF", || {
        let options = lopdf::LoadOptions::with_max_decompressed_size(MAX_DECOMPRESSED);
        lopdf::Document::load_mem_with_options(bytes, options).map_err(|e| {
            if declares_encryption(bytes) {
                ExtractError::EncryptedPdf
            } else {
                ExtractError::Corrupt(format!("the PDF structure cannot be parsed: {e}"))
            }
        })
    })?;
    // lopdf decrypts files with an empty user password on load and then drops /Encrypt from
    // the trailer; `encryption_state` remembers it.
    if doc.trailer.has(b"Encrypt") || doc.encryption_state.is_some() {
        return Err(ExtractError::EncryptedPdf);
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_is_found_in_raw_trailers() {
        assert!(declares_encryption(
            b"trailer\n<< /Size 5 /Encrypt 4 0 R >>"
        ));
        assert!(declares_encryption(
            b"<</Type/XRef/Encrypt<</Filter/Standard>>>>"
        ));
        assert!(!declares_encryption(b"(the /Encrypt) Tj"));
        assert!(!declares_encryption(b"/EncryptMetadata false"));
        assert!(!declares_encryption(b"no such thing"));
    }

    #[test]
    fn precheck_rejects_non_pdfs_and_truncation() {
        assert!(matches!(precheck(b""), Err(ExtractError::Empty)));
        assert!(matches!(
            precheck(b"hello world"),
            Err(ExtractError::Corrupt(m)) if m.contains("not a PDF")
        ));
        assert!(matches!(
            precheck(b"%PDF-1.7\n1 0 obj\n<<"),
            Err(ExtractError::Corrupt(m)) if m.contains("truncated")
        ));
        assert!(precheck(b"%PDF-1.7\n...\n%%EOF\n").is_ok());
    }
}
