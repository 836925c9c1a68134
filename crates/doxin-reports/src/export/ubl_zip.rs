//! UBL for a set: a ZIP archive holding one UBL 2.1 document per invoice, plus a manifest.
//!
//! Why a ZIP: a UBL document is one invoice by definition (there is no standard "invoice
//! list" envelope outside transport protocols such as Peppol's SBDH, which needs routing data
//! DoxIn does not have), and ERPs and access points import a folder or a ZIP of documents.
//! Entries are deflated; the XML compresses well.
//!
//! An invoice that cannot be written as UBL (no currency) does not sink the whole set: it is
//! left out and listed under `skipped` in `manifest.json`, with the reason, so the caller
//! sees what is missing. Entry names are `<invoice number>_<id>.xml`, the number reduced to
//! characters safe in every file system and the id making the name unique; entry times are
//! the invoice's last update, so the same set exports to the same bytes.

use std::io::Write;

use chrono::{Datelike, Timelike};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::{ExportItem, RenderError};

/// The manifest's entry name.
pub const MANIFEST: &str = "manifest.json";

/// What the archive holds, written as `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub files: Vec<ManifestFile>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub id: Uuid,
    pub invoice_number: Option<String>,
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub id: Uuid,
    pub invoice_number: Option<String>,
    pub reason: String,
}

/// Renders the archive into memory.
pub fn to_ubl_zip(items: &[ExportItem<'_>]) -> Result<Vec<u8>, RenderError> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut manifest = Manifest {
        files: Vec::new(),
        skipped: Vec::new(),
    };
    let base = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut newest = zip::DateTime::DEFAULT;
    for item in items {
        let number = item
            .invoice
            .invoice_number
            .as_ref()
            .map(|n| n.value.clone());
        match crate::ubl::to_ubl_bytes(item.invoice) {
            Ok(xml) => {
                let file = entry_name(number.as_deref(), item.id);
                let time = zip_time(item.updated_at);
                newest = newest.max(time);
                zip.start_file(file.as_str(), base.last_modified_time(time))?;
                zip.write_all(&xml)?;
                manifest.files.push(ManifestFile {
                    id: item.id,
                    invoice_number: number,
                    file,
                });
            }
            Err(e) => manifest.skipped.push(Skipped {
                id: item.id,
                invoice_number: number,
                reason: e.to_string(),
            }),
        }
    }
    zip.start_file(MANIFEST, base.last_modified_time(newest))?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest)?)?;
    Ok(zip.finish()?.into_inner())
}

/// `<number>_<id>.xml`, or `<id>.xml` without a usable number (see the module comment).
pub fn entry_name(number: Option<&str>, id: Uuid) -> String {
    let safe: String = number
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    // No leading dots (hidden files, `..`) and nothing made only of replacement characters.
    let safe = safe.trim_start_matches(['.', '_']).trim_end_matches('_');
    if safe.is_empty() {
        format!("{id}.xml")
    } else {
        format!("{safe}_{id}.xml")
    }
}

/// ZIP stores DOS times (1980..=2107, local, 2-second steps); out of range falls back to the
/// format's epoch rather than failing the export.
fn zip_time(t: chrono::DateTime<chrono::Utc>) -> zip::DateTime {
    let parts = (
        u16::try_from(t.year()),
        u8::try_from(t.month()),
        u8::try_from(t.day()),
        u8::try_from(t.hour()),
        u8::try_from(t.minute()),
        u8::try_from(t.second()),
    );
    match parts {
        (Ok(y), Ok(mo), Ok(d), Ok(h), Ok(mi), Ok(s)) => {
            zip::DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap_or_default()
        }
        _ => zip::DateTime::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_are_safe_and_unique() {
        let id = Uuid::nil();
        assert_eq!(
            entry_name(Some("RE-2024/0001"), id),
            format!("RE-2024_0001_{id}.xml")
        );
        assert_eq!(
            entry_name(Some("../../etc/passwd"), id),
            format!("etc_passwd_{id}.xml")
        );
        assert_eq!(entry_name(Some("///"), id), format!("{id}.xml"));
        assert_eq!(entry_name(None, id), format!("{id}.xml"));
        assert_eq!(entry_name(Some("Ünï"), id), format!("n_{id}.xml"));
        let long = "9".repeat(500);
        assert!(entry_name(Some(&long), id).len() < 64 + 40 + 5);
    }
}
