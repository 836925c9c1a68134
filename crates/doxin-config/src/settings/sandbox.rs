//! Settings of reading untrusted documents: the sandbox process's budget (`SANDBOX*`) and the
//! structural limits checked before any parser runs (`PDF_MAX_*`, `MAX_OCR_PAGES`,
//! `MAX_IMAGE_MEGAPIXELS`). Kept apart from the rest because only intake and extraction use them.

use super::{ConfigError, Reader};

/// How documents are read (`SANDBOX`, `SANDBOX_*`) and how much one may cost.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxSettings {
    /// Read documents in a child process with limits (`SANDBOX`, default on); off reads them on
    /// a thread of the API or worker itself, for debugging only.
    pub enabled: bool,
    /// Address-space limit of a sandbox process (`SANDBOX_MEMORY_MB`).
    pub memory_mb: u64,
    /// CPU seconds of a sandbox process (`SANDBOX_CPU_SECONDS`).
    pub cpu_seconds: u64,
    /// Wall time of one document, OCR included (`SANDBOX_TIMEOUT_SECS`).
    pub timeout_secs: u64,
    /// Deepest nesting of arrays/dictionaries in a PDF (`PDF_MAX_NESTING`).
    pub pdf_max_nesting: u32,
    /// Deepest PDF page tree (`PDF_MAX_PAGE_TREE_DEPTH`).
    pub pdf_max_page_tree_depth: u32,
    /// Objects in a PDF (`PDF_MAX_OBJECTS`).
    pub pdf_max_objects: u64,
    /// Megabytes a PDF's compressed streams may inflate to, images excepted
    /// (`PDF_MAX_DECOMPRESSED_MB`).
    pub pdf_max_decompressed_mb: u64,
    /// Operators in one PDF content stream (`PDF_MAX_OPERATORS`).
    pub pdf_max_operators: u64,
    /// Pages of one document that may go to OCR (`MAX_OCR_PAGES`).
    pub max_ocr_pages: u32,
    /// Megapixels of one image (`MAX_IMAGE_MEGAPIXELS`).
    pub max_image_megapixels: u64,
}

pub(super) fn sandbox_settings(r: &mut Reader<'_>) -> Result<SandboxSettings, ConfigError> {
    Ok(SandboxSettings {
        enabled: r.bool("SANDBOX", true)?,
        memory_mb: r.number("SANDBOX_MEMORY_MB", 1024u64, 128, 65_536)?,
        cpu_seconds: r.number("SANDBOX_CPU_SECONDS", 60u64, 1, 3_600)?,
        timeout_secs: r.number("SANDBOX_TIMEOUT_SECS", 300u64, 1, 86_400)?,
        pdf_max_nesting: r.number("PDF_MAX_NESTING", 64u32, 4, 10_000)?,
        pdf_max_page_tree_depth: r.number("PDF_MAX_PAGE_TREE_DEPTH", 32u32, 2, 10_000)?,
        pdf_max_objects: r.number("PDF_MAX_OBJECTS", 500_000u64, 100, 100_000_000)?,
        pdf_max_decompressed_mb: r.number("PDF_MAX_DECOMPRESSED_MB", 64u64, 1, 16_384)?,
        pdf_max_operators: r.number("PDF_MAX_OPERATORS", 200_000u64, 1_000, 1_000_000_000)?,
        max_ocr_pages: r.number("MAX_OCR_PAGES", 20u32, 1, 10_000)?,
        max_image_megapixels: r.number("MAX_IMAGE_MEGAPIXELS", 100u64, 1, 10_000)?,
    })
}
