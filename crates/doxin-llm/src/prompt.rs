//! What the model is told, and which parts of the document it gets: page images (within the
//! page and size caps, unless images are switched off) and the layout text.

use doxin_extract::DocumentKind;
use doxin_extract::layout::Layout;
use doxin_extract::pipeline::ExtractOptions;
use doxin_model::Source;

use crate::hybrid::{LlmOptions, image_media_type};
use crate::provider::Image;

pub const SYSTEM: &str = "You read invoices and credit notes and record their data exactly as \
printed. Use null for anything that is not printed; never invent or compute a value that is \
not on the document. Dates as YYYY-MM-DD. Amounts as decimal strings with a dot and no \
thousands separators (\"1234.50\"), in the invoice currency. VAT ids and IBANs without spaces. \
Country and currency as ISO codes.";

/// The user turn's text.
pub fn user_text(layout_text: &str, images: usize) -> String {
    let intro = if images > 0 {
        format!(
            "Record the invoice shown in the {images} page image(s). The text layer of the \
             document follows; prefer it for exact characters."
        )
    } else {
        "Record the invoice whose text follows (reading order, columns separated by spaces, \
         pages by form feeds)."
            .to_string()
    };
    format!("{intro}\n\n<document>\n{layout_text}\n</document>")
}

/// What is sent about one document.
#[derive(Debug, Clone, Default)]
pub struct DocumentInput {
    pub text: String,
    pub images: Vec<Image>,
    pub warnings: Vec<String>,
}

/// Renders / reads what goes to the model, within the caps. Blocking (rendering, OCR).
pub fn document_input(
    bytes: &[u8],
    kind: DocumentKind,
    pages: u32,
    opts: &ExtractOptions,
    llm: &LlmOptions,
) -> DocumentInput {
    let mut out = DocumentInput::default();
    let pages = pages.max(1);
    let sent = pages.min(llm.max_pages.max(1));
    if pages > sent {
        out.warnings.push(format!(
            "only the first {sent} of {pages} pages were sent to the language model"
        ));
    }
    match kind {
        DocumentKind::Pdf => {
            out.text = doxin_extract::pdf::text::text_layer(bytes)
                .map(|d| d.layout_text())
                .unwrap_or_default();
            let scanned = out.text.trim().chars().count() < 30 * pages as usize;
            let mut ocr_text = String::new();
            for n in 1..=sent {
                let Some(png) = render_within(bytes, n, llm.max_image_bytes, &mut out.warnings)
                else {
                    continue;
                };
                if scanned && !llm.send_images {
                    ocr_text.push_str(&ocr_text_of(&png, opts, &mut out.warnings));
                    ocr_text.push('\u{c}');
                }
                if llm.send_images {
                    out.images.push(Image {
                        media_type: "image/png",
                        data: png,
                        page: n,
                    });
                }
            }
            if scanned && !ocr_text.trim().is_empty() {
                out.text = ocr_text;
            }
        }
        DocumentKind::Text => {
            out.text = String::from_utf8_lossy(bytes).into_owned();
        }
        DocumentKind::Xml => {}
        _ => match image_media_type(kind) {
            Some(mt) if llm.send_images && bytes.len() <= llm.max_image_bytes => {
                out.images.push(Image {
                    media_type: mt,
                    data: bytes.to_vec(),
                    page: 1,
                });
            }
            other => {
                if llm.send_images {
                    out.warnings.push(match other {
                        Some(_) => format!(
                            "the image is {} bytes, over the {}-byte cap: only its OCR text was sent",
                            bytes.len(),
                            llm.max_image_bytes
                        ),
                        None => "this image format cannot be sent to a language model: only its OCR text was sent".into(),
                    });
                }
                out.text = ocr_text_of(bytes, opts, &mut out.warnings);
            }
        },
    }
    if out.text.chars().count() > llm.max_text_chars {
        out.text = out.text.chars().take(llm.max_text_chars).collect();
        out.warnings.push(format!(
            "the layout text was cut to {} characters for the language model",
            llm.max_text_chars
        ));
    }
    out
}

/// A page as PNG, at the highest of a few resolutions that fits the cap.
fn render_within(
    bytes: &[u8],
    page: u32,
    cap: usize,
    warnings: &mut Vec<String>,
) -> Option<Vec<u8>> {
    for dpi in [150.0, 110.0, 72.0] {
        match doxin_extract::render::render_page_png(bytes, page, dpi) {
            Ok(png) if png.len() <= cap => return Some(png),
            Ok(_) => continue,
            Err(e) => {
                warnings.push(format!(
                    "page {page} could not be rendered for the language model: {e}"
                ));
                return None;
            }
        }
    }
    warnings.push(format!(
        "page {page} is larger than the {cap}-byte image cap even at 72 dpi; not sent"
    ));
    None
}

fn ocr_text_of(image: &[u8], opts: &ExtractOptions, warnings: &mut Vec<String>) -> String {
    match doxin_extract::ocr::ocr_image(image, &opts.ocr) {
        Ok(pages) => Layout {
            pages,
            source: Source::Ocr,
        }
        .plain_text(),
        Err(e) => {
            warnings.push(format!("OCR for the language model failed: {e}"));
            String::new()
        }
    }
}
