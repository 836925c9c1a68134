//! The extraction pipeline: bytes in, [`Extraction`] out.
//!
//! The content is sniffed; e-invoice XML is parsed exactly; a PDF with an embedded e-invoice
//! uses it (its visible totals are cross-checked); otherwise the PDF text layer is read and
//! pages with too little text are OCRed; images go straight to OCR; plain text is laid on a
//! grid. The template-free rules read the layout, then validation scores the result.

use std::time::Instant;

use doxin_model::{Invoice, Source, Tolerance, ValidationReport, validate_report};
use serde::{Deserialize, Serialize};

use crate::layout::{Layout, LayoutLine, LayoutPage, LayoutWord};
use crate::ocr::{OcrOptions, ocr_image};
use crate::{DocumentKind, DocumentLimits, ExtractError, einvoice, pdf, rules, sniff};

/// Options of one extraction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtractOptions {
    /// Use an e-invoice embedded in a PDF (Factur-X, ZUGFeRD, XRechnung). Off measures the
    /// visual path on hybrid PDFs.
    pub use_embedded_xml: bool,
    pub ocr: OcrOptions,
    /// A PDF page with fewer characters in its text layer is treated as a scan.
    pub min_chars_per_page: usize,
    /// Documents above this size are refused before parsing.
    pub max_bytes: u64,
    /// Document confidence under which an invoice goes to review.
    pub review_threshold: f32,
    /// Structural limits checked before any parser runs.
    pub limits: DocumentLimits,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            use_embedded_xml: true,
            ocr: OcrOptions::default(),
            min_chars_per_page: 30,
            max_bytes: 100 * 1024 * 1024,
            review_threshold: 0.8,
            limits: DocumentLimits::default(),
        }
    }
}

/// Which evidence the invoice came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtractionPath {
    /// An XML e-invoice (UBL, CII, ZUGFeRD 1.0, FatturaPA).
    Xml,
    /// The e-invoice attached to a PDF.
    EmbeddedXml,
    /// The PDF's text layer (or plain text) read by the rules.
    TextLayer,
    /// OCR of an image or of scanned PDF pages, read by the rules.
    Ocr,
}

/// The result of extracting one document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Extraction {
    pub kind: DocumentKind,
    pub path: ExtractionPath,
    pub pages: u32,
    pub invoice: Invoice,
    pub validation: ValidationReport,
    /// Document confidence in 0..=1.
    pub confidence: f32,
    pub needs_review: bool,
    /// Things a reviewer should know (a page that could not be OCRed, totals that disagree
    /// between the embedded XML and the visible text, a FatturaPA batch read in part).
    pub warnings: Vec<String>,
    /// Wall time of the extraction in milliseconds.
    pub millis: f64,
}

/// Extracts an invoice from a document's bytes.
pub fn extract(bytes: &[u8], opts: &ExtractOptions) -> Result<Extraction, ExtractError> {
    let started = Instant::now();
    if bytes.len() as u64 > opts.max_bytes {
        return Err(ExtractError::TooLarge {
            size: bytes.len() as u64,
            limit: opts.max_bytes,
        });
    }
    let kind = sniff(bytes)?;
    let mut warnings = Vec::new();
    let (invoice, path, pages) = match kind {
        DocumentKind::Xml => {
            let parsed = einvoice::parse(bytes)?;
            warnings.extend(parsed.warnings);
            (parsed.invoice, ExtractionPath::Xml, 1)
        }
        DocumentKind::Pdf => {
            pdf::budget::check(bytes, &opts.limits)?;
            read_pdf(bytes, opts, &mut warnings)?
        }
        DocumentKind::Text => {
            let text = String::from_utf8_lossy(bytes);
            let layout = Layout::from_text(&text);
            let pages = layout.pages.len().max(1) as u32;
            (
                read_rules(&layout, &mut warnings),
                ExtractionPath::TextLayer,
                pages,
            )
        }
        _ => {
            check_image_size(bytes, &opts.limits)?;
            let pages = ocr_image(bytes, &opts.ocr)?;
            let n = pages.len().max(1) as u32;
            let layout = Layout {
                pages,
                source: Source::Ocr,
            };
            (read_rules(&layout, &mut warnings), ExtractionPath::Ocr, n)
        }
    };
    let validation = validate_report(&invoice, &Tolerance::default());
    let confidence = document_confidence(&invoice, &validation);
    let needs_review = confidence < opts.review_threshold || validation.has_errors();
    Ok(Extraction {
        kind,
        path,
        pages,
        invoice,
        validation,
        confidence,
        needs_review,
        warnings,
        millis: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The page layout the rules would read for a document (text layer, OCR or plain text), for
/// development tools that show what the rules see. `None` for XML, which has no layout.
pub fn read_layout(bytes: &[u8], opts: &ExtractOptions) -> Result<Option<Layout>, ExtractError> {
    Ok(match sniff(bytes)? {
        DocumentKind::Xml => None,
        DocumentKind::Pdf => {
            pdf::budget::check(bytes, &opts.limits)?;
            Some(pdf_layout(bytes, opts, &mut Vec::new())?)
        }
        DocumentKind::Text => Some(Layout::from_text(&String::from_utf8_lossy(bytes))),
        _ => Some(Layout {
            pages: ocr_image(bytes, &opts.ocr)?,
            source: Source::Ocr,
        }),
    })
}

fn read_pdf(
    bytes: &[u8],
    opts: &ExtractOptions,
    warnings: &mut Vec<String>,
) -> Result<(Invoice, ExtractionPath, u32), ExtractError> {
    let layout = pdf_layout(bytes, opts, warnings)?;
    let pages = layout.pages.len().max(1) as u32;
    if opts.use_embedded_xml
        && let Some(xml) = pdf::attachments::embedded_einvoice(bytes)?
    {
        let parsed = einvoice::parse(&xml.bytes)?;
        warnings.extend(parsed.warnings);
        let invoice = parsed.invoice;
        // The XML is the contract; the picture is what a person saw. Say when they differ.
        let visual = rules::extract_invoice(&layout);
        if let (Some(x), Some(v)) = (
            invoice.totals.tax_inclusive_amount.as_ref(),
            visual.totals.tax_inclusive_amount.as_ref(),
        ) && x.value != v.value
            && v.confidence >= 0.9
        {
            warnings.push(format!(
                "the embedded {} says the gross total is {}, the visible page says {}",
                xml.name, x.value, v.value
            ));
        }
        return Ok((invoice, ExtractionPath::EmbeddedXml, pages));
    }
    let path = if layout.source == Source::Ocr {
        ExtractionPath::Ocr
    } else {
        ExtractionPath::TextLayer
    };
    Ok((read_rules(&layout, warnings), path, pages))
}

/// The rules' invoice, their doubts added to the document's warnings.
fn read_rules(layout: &Layout, warnings: &mut Vec<String>) -> Invoice {
    let reading = rules::read(layout);
    warnings.extend(reading.warnings);
    reading.invoice
}

/// Document confidence: the weakest of the key fields, lowered by failed validation rules.
/// A document missing a key field cannot be trusted without review. Public so an edited
/// invoice is scored by the same rule as an extracted one.
pub fn document_confidence(inv: &Invoice, report: &ValidationReport) -> f32 {
    let key: [Option<f32>; 5] = [
        inv.invoice_number.as_ref().map(|f| f.confidence),
        inv.issue_date.as_ref().map(|f| f.confidence),
        inv.seller.name.as_ref().map(|f| f.confidence),
        inv.totals
            .tax_inclusive_amount
            .as_ref()
            .map(|f| f.confidence),
        inv.currency.as_ref().map(|f| f.confidence),
    ];
    let mut c = key.iter().map(|c| c.unwrap_or(0.3)).fold(1.0f32, f32::min);
    // A missing key value is already the 0.3 above; its presence finding would count it twice.
    let errors = report
        .findings
        .iter()
        .filter(|f| f.severity == doxin_model::Severity::Error && !f.rule.is_presence())
        .count();
    c *= 0.85f32.powi(errors as i32);
    c.clamp(0.0, 1.0)
}

/// The layout of a PDF: its text layer, with pages that have too little text recognised by
/// OCR after rasterising them.
fn pdf_layout(
    bytes: &[u8],
    opts: &ExtractOptions,
    warnings: &mut Vec<String>,
) -> Result<Layout, ExtractError> {
    let doc = pdf::text::text_layer(bytes)?;
    let needs_ocr = doc
        .pages
        .iter()
        .filter(|p| {
            p.words
                .iter()
                .map(|w| w.text.chars().count())
                .sum::<usize>()
                < opts.min_chars_per_page
        })
        .count();
    if needs_ocr > opts.limits.max_ocr_pages as usize {
        return Err(ExtractError::TooComplex(format!(
            "{needs_ocr} pages have no text layer and would need OCR; the limit is {} (MAX_OCR_PAGES)",
            opts.limits.max_ocr_pages
        )));
    }
    let mut pages = Vec::with_capacity(doc.pages.len());
    let mut ocr_pages = 0usize;
    for page in &doc.pages {
        let chars: usize = page.words.iter().map(|w| w.text.chars().count()).sum();
        if chars < opts.min_chars_per_page {
            match ocr_pdf_page(bytes, page.number, page.width, page.height, &opts.ocr) {
                Ok(Some(p)) => {
                    ocr_pages += 1;
                    pages.push(p);
                    continue;
                }
                Ok(None) => {}
                Err(e) if e.is_retryable() => return Err(e),
                Err(e) => warnings.push(format!("page {} could not be OCRed: {e}", page.number)),
            }
        }
        let lines = page
            .lines
            .iter()
            .map(|l| LayoutLine {
                words: page
                    .line_words(l)
                    .iter()
                    .map(|w| LayoutWord {
                        text: w.text.clone(),
                        bbox: w.bbox,
                        confidence: 1.0,
                    })
                    .collect(),
            })
            .filter(|l: &LayoutLine| !l.words.is_empty())
            .collect();
        pages.push(LayoutPage {
            number: page.number,
            width: page.width,
            height: page.height,
            lines,
        });
    }
    // A document read mostly by OCR is scored as OCR.
    let source = if ocr_pages * 2 > pages.len() {
        Source::Ocr
    } else {
        Source::Text
    };
    Ok(Layout { pages, source })
}

/// Refuses an image whose header declares more pixels than the limit, before it is decoded.
/// Formats whose size cannot be read cheaply are left to the decoder (and the sandbox).
fn check_image_size(bytes: &[u8], limits: &DocumentLimits) -> Result<(), ExtractError> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format();
    if let Ok((w, h)) = reader
        .map_err(|_| ())
        .and_then(|r| r.into_dimensions().map_err(|_| ()))
    {
        let pixels = u64::from(w) * u64::from(h);
        if pixels > limits.max_pixels {
            return Err(ExtractError::TooComplex(format!(
                "the image is {w} x {h} pixels; the limit is {} megapixels (MAX_IMAGE_MEGAPIXELS)",
                limits.max_pixels / 1_000_000
            )));
        }
    }
    Ok(())
}

/// Renders one page and recognises it; box coordinates are brought back to PDF points.
fn ocr_pdf_page(
    bytes: &[u8],
    number: u32,
    width: f32,
    height: f32,
    ocr: &OcrOptions,
) -> Result<Option<LayoutPage>, ExtractError> {
    const DPI: f32 = 200.0;
    let png = crate::render::render_page_png(bytes, number, DPI)?;
    let mut recognised = ocr_image(&png, ocr)?;
    let Some(mut page) = recognised.pop() else {
        return Ok(None);
    };
    let scale = 72.0 / DPI;
    for line in &mut page.lines {
        for w in &mut line.words {
            w.bbox = doxin_model::BBox::new(
                w.bbox.x0 * scale,
                w.bbox.y0 * scale,
                w.bbox.x1 * scale,
                w.bbox.y1 * scale,
            );
        }
    }
    page.number = number;
    page.width = width;
    page.height = height;
    Ok(Some(page))
}
