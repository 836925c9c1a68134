//! The budget of one document: structural limits checked before any parser runs, so a small
//! hostile file is refused with [`crate::ExtractError::TooComplex`] in milliseconds instead of
//! costing gigabytes or minutes (or, through a parser's unbounded recursion, the process).
//!
//! The defaults are far above what real invoices need (measured on the evaluation corpus: nesting
//! ≤ 8, a few thousand objects, tens of thousands of operators on the densest page) and far below
//! what the hostile files of the security review used. Each one is a setting (see the README).

use serde::{Deserialize, Serialize};

/// Limits on one document's structure and work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentLimits {
    /// Deepest nesting of PDF arrays and dictionaries, in the file and in its content and object
    /// streams (`PDF_MAX_NESTING`). Parsers recurse once per level.
    pub max_nesting: u32,
    /// Deepest page tree (`/Pages` → `/Kids` → …) (`PDF_MAX_PAGE_TREE_DEPTH`).
    pub max_page_tree_depth: u32,
    /// Indirect objects in the file, object streams included (`PDF_MAX_OBJECTS`).
    pub max_objects: u64,
    /// Bytes all Flate streams inflate to together, images excepted (`PDF_MAX_DECOMPRESSED_MB`).
    pub max_decompressed_bytes: u64,
    /// Operators in one content stream (`PDF_MAX_OPERATORS`); a page usually has one.
    pub max_operators: u64,
    /// Pixels of one image, embedded in a PDF or uploaded (`MAX_IMAGE_MEGAPIXELS`).
    pub max_pixels: u64,
    /// Pages of one document that may go to OCR (`MAX_OCR_PAGES`): rendering and recognising a
    /// page costs seconds, so a PDF of 200 blank pages must not cost minutes.
    pub max_ocr_pages: u32,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            max_nesting: 64,
            max_page_tree_depth: 32,
            max_objects: 500_000,
            max_decompressed_bytes: 256 * 1024 * 1024,
            max_operators: 1_000_000,
            max_pixels: 100_000_000,
            max_ocr_pages: 50,
        }
    }
}
