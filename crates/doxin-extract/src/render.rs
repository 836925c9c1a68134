//! Rasterising PDF pages (pure Rust, with hayro) for OCR of scanned pages and for page
//! images. Encrypted PDFs are not supported by the renderer: a clear error, not a crash.

use std::sync::Arc;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings, render};

use crate::ExtractError;

/// Largest rendered side in pixels: bounds memory whatever a page claims its size is.
const MAX_SIDE: f32 = 6000.0;

/// Renders page `number` (1-based) at `dpi` to PNG bytes.
pub fn render_page_png(pdf_bytes: &[u8], number: u32, dpi: f32) -> Result<Vec<u8>, ExtractError> {
    // A renderer bug on a hostile file must not take the worker down.
    let bytes = pdf_bytes.to_vec();
    std::panic::catch_unwind(move || render_inner(bytes, number, dpi)).unwrap_or_else(|_| {
        Err(ExtractError::Corrupt(format!(
            "page {number} cannot be rendered"
        )))
    })
}

fn render_inner(bytes: Vec<u8>, number: u32, dpi: f32) -> Result<Vec<u8>, ExtractError> {
    let pdf = Pdf::new(Arc::new(bytes)).map_err(|e| {
        let msg = format!("{e:?}");
        if msg.to_lowercase().contains("encrypt") {
            ExtractError::EncryptedPdf
        } else {
            ExtractError::Corrupt(format!("the PDF cannot be rendered: {msg}"))
        }
    })?;
    let pages = pdf.pages();
    let index = usize::try_from(number.saturating_sub(1)).unwrap_or(usize::MAX);
    let page = pages
        .get(index)
        .ok_or_else(|| ExtractError::Corrupt(format!("the PDF has no page {number}")))?;
    let (w, h) = page.render_dimensions();
    let mut scale = dpi / 72.0;
    let longest = w.max(h) * scale;
    if longest > MAX_SIDE {
        scale *= MAX_SIDE / longest;
    }
    let cache = RenderCache::new();
    let pixmap = render(
        page,
        &cache,
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    pixmap
        .into_png()
        .map_err(|e| ExtractError::Corrupt(format!("cannot encode page {number}: {e:?}")))
}
