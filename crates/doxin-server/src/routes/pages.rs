//! Page images of an invoice's document, for the review page to draw the extracted fields'
//! boxes over.
//!
//! - `GET /api/v1/invoices/{id}/pages`: how many pages can be shown and the size of each in
//!   the units of the fields' boxes (PDF points for a PDF, pixels for an image), so a page
//!   can lay an SVG `viewBox="0 0 width height"` over the picture and draw `bbox`es as they
//!   are stored.
//! - `GET /api/v1/invoices/{id}/pages/{n}`: page `n` (1-based) as an image. A PDF page is
//!   rendered in the sandbox (the same pure-Rust renderer as OCR) at [`DPI`] and kept in the
//!   file store beside the document (`FileStore::put_derived`, named by the document's hash,
//!   the page and the resolution), so it is rendered once. An image upload is its own page 1,
//!   sent as it is when browsers show the format, converted to PNG (and kept) otherwise. A
//!   Factur-X / ZUGFeRD invoice is a PDF and renders as one; an XML e-invoice with a PDF
//!   embedded (`cbc:EmbeddedDocumentBinaryObject`) shows that PDF's pages; other XML and text
//!   documents have no page image (404 `no_page_image`).
//!
//! Ownership as every invoice route: another user's invoice answers 404.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use doxin_store::{FileRecord, InvoiceRecord, Scope};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::Caller;
use crate::{ApiError, AppState};

/// Resolution of rendered pages: twice the PDF's 72 points per inch, sharp on high-density
/// screens at the width the review page shows a page, and an exact 2:1 scale to the boxes.
pub const DPI: u32 = 144;

/// Most pages listed for display: their sizes come from rendering them, which the first view
/// waits for (a longer document is still served page by page).
const MAX_LISTED_PAGES: u32 = 20;

/// How long a browser may keep a page image: the document of an invoice can be replaced, but
/// then its page images come from the new document's hash, under the same URL only after this.
const CACHE_CONTROL: &str = "private, max-age=3600";

/// Name of the cached page sizes (in box units) of a document.
const SIZES_NAME: &str = "page-sizes-144.json";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/invoices/{id}/pages", get(pages))
        .route("/api/v1/invoices/{id}/pages/{n}", get(page))
}

fn no_page_image() -> ApiError {
    ApiError::problem(
        StatusCode::NOT_FOUND,
        "no_page_image",
        "this invoice's document has no page image (an XML e-invoice or a text file, or no file)",
    )
}

fn no_such_page(n: u32, count: u32) -> ApiError {
    ApiError::problem(
        StatusCode::NOT_FOUND,
        "no_such_page",
        format!("the document has {count} page(s); there is no page {n}"),
    )
}

/// What a document can show as pages.
enum Pictured {
    /// A PDF (the document itself, or one embedded in an XML e-invoice).
    Pdf {
        bytes: Arc<Vec<u8>>,
        pages: u32,
    },
    /// An image browsers show as it is.
    Image {
        bytes: Vec<u8>,
        mime: String,
    },
    /// An image browsers may not show (TIFF): converted to PNG.
    Convert {
        bytes: Vec<u8>,
    },
    None,
}

async fn invoice_and_file(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<(InvoiceRecord, Option<FileRecord>), ApiError> {
    let inv = state.store.get_invoice(id, caller.scope()).await?;
    let file = match inv.file_id {
        // The invoice is visible to the caller, so its file is too.
        Some(fid) => match state.store.get_file(fid, Scope::All).await {
            Ok(f) => Some(f),
            Err(doxin_store::StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    Ok((inv, file))
}

/// What `file` shows as pages (reading its bytes only when needed).
async fn pictured(state: &AppState, file: &FileRecord) -> Result<Pictured, ApiError> {
    let mime = file.mime_type.as_str();
    let is_xml = matches!(mime, "application/xml" | "text/xml");
    if !(mime == "application/pdf" || mime.starts_with("image/") || is_xml) {
        return Ok(Pictured::None);
    }
    let bytes = state.files.get(&file.sha256).await?;
    match mime {
        "application/pdf" => {
            let pages = match file.page_count.and_then(|p| u32::try_from(p).ok()) {
                Some(p) => p,
                None => state
                    .sandbox
                    .page_count(Arc::new(bytes.clone()), &state.limits.document)
                    .await
                    .map_err(unrenderable)?,
            };
            Ok(Pictured::Pdf {
                bytes: Arc::new(bytes),
                pages,
            })
        }
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" => Ok(Pictured::Image {
            bytes,
            mime: mime.to_string(),
        }),
        m if m.starts_with("image/") => Ok(Pictured::Convert { bytes }),
        _ => match embedded_pdf(&bytes) {
            Some(pdf) => {
                let pdf = Arc::new(pdf);
                let pages = state
                    .sandbox
                    .page_count(pdf.clone(), &state.limits.document)
                    .await
                    .map_err(unrenderable)?;
                Ok(Pictured::Pdf { bytes: pdf, pages })
            }
            None => Ok(Pictured::None),
        },
    }
}

fn unrenderable(e: doxin_extract::ExtractError) -> ApiError {
    ApiError::problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "page_not_rendered",
        format!("the page cannot be shown: {e}"),
    )
}

/// Page `n` of `file` as image bytes and their media type, from the cache when it was made
/// before.
async fn page_bytes(
    state: &AppState,
    file: &FileRecord,
    picture: &Pictured,
    n: u32,
) -> Result<(Vec<u8>, String), ApiError> {
    match picture {
        Pictured::Pdf { bytes, pages } => {
            if n == 0 || n > *pages {
                return Err(no_such_page(n, *pages));
            }
            let name = format!("page-{n}-{DPI}.png");
            if let Some(png) = state.files.get_derived(&file.sha256, &name).await? {
                return Ok((png, "image/png".into()));
            }
            let png = state
                .sandbox
                .render_page_png(bytes.clone(), n, DPI as f32)
                .await
                .map_err(unrenderable)?;
            state.files.put_derived(&file.sha256, &name, &png).await?;
            Ok((png, "image/png".into()))
        }
        Pictured::Image { bytes, mime } => {
            if n != 1 {
                return Err(no_such_page(n, 1));
            }
            Ok((bytes.clone(), mime.clone()))
        }
        Pictured::Convert { bytes } => {
            if n != 1 {
                return Err(no_such_page(n, 1));
            }
            let name = "page-1.png";
            if let Some(png) = state.files.get_derived(&file.sha256, name).await? {
                return Ok((png, "image/png".into()));
            }
            let source = bytes.clone();
            let max_pixels = state.limits.document.max_pixels;
            let png = tokio::task::spawn_blocking(move || to_png(&source, max_pixels))
                .await
                .map_err(|e| ApiError::Internal(Box::new(e)))??;
            state.files.put_derived(&file.sha256, name, &png).await?;
            Ok((png, "image/png".into()))
        }
        Pictured::None => Err(no_page_image()),
    }
}

/// A TIFF (or another format the image library reads) as PNG, refusing more pixels than
/// intake accepts.
fn to_png(bytes: &[u8], max_pixels: u64) -> Result<Vec<u8>, ApiError> {
    let refuse = |detail: String| {
        ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "page_not_rendered",
            detail,
        )
    };
    let result = std::panic::catch_unwind(|| {
        let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| format!("the image cannot be read: {e}"))?;
        let (w, h) = reader
            .into_dimensions()
            .map_err(|e| format!("the image cannot be read: {e}"))?;
        if u64::from(w) * u64::from(h) > max_pixels {
            return Err(format!("the image is {w} x {h} pixels, too large to show"));
        }
        let img = image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| format!("the image cannot be read: {e}"))?
            .decode()
            .map_err(|e| format!("the image cannot be read: {e}"))?;
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .map_err(|e| format!("the image cannot be converted: {e}"))?;
        Ok(out)
    });
    match result {
        Ok(Ok(png)) => Ok(png),
        Ok(Err(detail)) => Err(refuse(detail)),
        Err(_) => Err(refuse("the image cannot be read".into())),
    }
}

/// The PDF an XML e-invoice carries (`EmbeddedDocumentBinaryObject` with `mimeCode=
/// "application/pdf"` in UBL, `AttachmentBinaryObject` in CII), decoded from Base64. Read
/// with the e-invoice parser's own hardened tree (its size, depth and count limits).
fn embedded_pdf(xml: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    use doxin_extract::einvoice::tree::{self, El, Limits};
    fn find<'t>(el: El<'t>, depth: usize) -> Option<&'t str> {
        let is_attachment = matches!(
            el.name(),
            "EmbeddedDocumentBinaryObject" | "AttachmentBinaryObject"
        ) && el
            .attr("mimeCode")
            .is_some_and(|m| m.eq_ignore_ascii_case("application/pdf"));
        if is_attachment {
            return el.text();
        }
        if depth > 64 {
            return None;
        }
        el.children().find_map(|c| find(c, depth + 1))
    }
    let text = std::str::from_utf8(xml).ok()?;
    let doc = tree::build(text, Limits::default()).ok()?;
    let b64: String = find(doc.root(), 0)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let pdf = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    pdf.starts_with(b"%PDF").then_some(pdf)
}

/// Width and height of a PNG from its header (`IHDR`).
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let w = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(png[20..24].try_into().ok()?);
    Some((w, h))
}

/// Width and height of an image the browser is sent as it is (PNG, JPEG, GIF, WebP), from
/// its header.
fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if let Some(size) = png_size(bytes) {
        return Some(size);
    }
    if bytes.starts_with(b"GIF8") && bytes.len() >= 10 {
        let w = u16::from_le_bytes([bytes[6], bytes[7]]);
        let h = u16::from_le_bytes([bytes[8], bytes[9]]);
        return Some((w.into(), h.into()));
    }
    if bytes.starts_with(b"\xFF\xD8") {
        return jpeg_size(bytes);
    }
    if bytes.len() >= 30 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return match &bytes[12..16] {
            b"VP8 " => {
                let w = u16::from_le_bytes([bytes[26], bytes[27]]) & 0x3fff;
                let h = u16::from_le_bytes([bytes[28], bytes[29]]) & 0x3fff;
                Some((w.into(), h.into()))
            }
            b"VP8L" => {
                let b = &bytes[21..25];
                let w = 1 + (u32::from(b[0]) | (u32::from(b[1] & 0x3f) << 8));
                let h = 1
                    + ((u32::from(b[1]) >> 6)
                        | (u32::from(b[2]) << 2)
                        | (u32::from(b[3] & 0x0f) << 10));
                Some((w, h))
            }
            b"VP8X" => {
                let w = 1 + u32::from_le_bytes([bytes[24], bytes[25], bytes[26], 0]);
                let h = 1 + u32::from_le_bytes([bytes[27], bytes[28], bytes[29], 0]);
                Some((w, h))
            }
            _ => None,
        };
    }
    None
}

/// Width and height from a JPEG's start-of-frame segment.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let h = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]);
            let w = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]);
            return Some((w.into(), h.into()));
        }
        i += 2 + len;
    }
    None
}

/// Page sizes in box units, for the first [`MAX_LISTED_PAGES`] pages: of a PDF from its
/// rendered pages (pixels at [`DPI`] back to points), kept so later views read one small
/// file; of an image its pixels.
async fn page_sizes(
    state: &AppState,
    file: &FileRecord,
    picture: &Pictured,
) -> Result<Vec<(f64, f64)>, ApiError> {
    match picture {
        Pictured::None => Ok(Vec::new()),
        Pictured::Image { bytes, .. } => Ok(image_size(bytes)
            .map(|(w, h)| vec![(f64::from(w), f64::from(h))])
            .unwrap_or_default()),
        Pictured::Convert { .. } => {
            let (png, _) = page_bytes(state, file, picture, 1).await?;
            Ok(png_size(&png)
                .map(|(w, h)| vec![(f64::from(w), f64::from(h))])
                .unwrap_or_default())
        }
        Pictured::Pdf { pages, .. } => {
            if let Some(saved) = state.files.get_derived(&file.sha256, SIZES_NAME).await?
                && let Ok(sizes) = serde_json::from_slice::<Vec<(f64, f64)>>(&saved)
            {
                return Ok(sizes);
            }
            let scale = 72.0 / f64::from(DPI);
            let mut sizes = Vec::new();
            for n in 1..=(*pages).min(MAX_LISTED_PAGES) {
                let (png, _) = page_bytes(state, file, picture, n).await?;
                let (w, h) = png_size(&png).unwrap_or((0, 0));
                sizes.push((f64::from(w) * scale, f64::from(h) * scale));
            }
            let json = serde_json::to_vec(&sizes).map_err(|e| ApiError::Internal(Box::new(e)))?;
            state
                .files
                .put_derived(&file.sha256, SIZES_NAME, &json)
                .await?;
            Ok(sizes)
        }
    }
}

async fn pages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let (inv, file) = invoice_and_file(&state, &caller, id).await?;
    let (picture, kind) = match &file {
        Some(f) => {
            let p = pictured(&state, f).await?;
            let kind = match &p {
                Pictured::Pdf { .. } if f.mime_type == "application/pdf" => "pdf",
                Pictured::Pdf { .. } => "embedded_pdf",
                Pictured::Image { .. } | Pictured::Convert { .. } => "image",
                Pictured::None => "none",
            };
            (p, kind)
        }
        None => (Pictured::None, "none"),
    };
    let page_count = match &picture {
        Pictured::Pdf { pages, .. } => *pages,
        Pictured::Image { .. } | Pictured::Convert { .. } => 1,
        Pictured::None => 0,
    };
    let sizes = match &file {
        Some(f) => page_sizes(&state, f, &picture).await?,
        None => Vec::new(),
    };
    let unit = if matches!(picture, Pictured::Pdf { .. }) {
        "pt"
    } else {
        "px"
    };
    let listed: Vec<Value> = sizes
        .iter()
        .enumerate()
        .map(|(i, (w, h))| {
            json!({
                "number": i + 1,
                "url": format!("/api/v1/invoices/{}/pages/{}", inv.id, i + 1),
                "width": (w * 100.0).round() / 100.0,
                "height": (h * 100.0).round() / 100.0,
            })
        })
        .collect();
    Ok(Json(json!({
        "invoice_id": inv.id,
        "kind": kind,
        "has_image": page_count > 0,
        "page_count": page_count,
        "unit": unit,
        "pages": listed,
    })))
}

async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, n)): Path<(Uuid, u32)>,
) -> Result<Response, ApiError> {
    let (_, file) = invoice_and_file(&state, &caller, id).await?;
    let file = file.ok_or_else(no_page_image)?;
    let picture = pictured(&state, &file).await?;
    let (bytes, mime) = page_bytes(&state, &file, &picture, n).await?;
    let mut resp = bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime).unwrap_or(HeaderValue::from_static("image/png")),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    // An image served as uploaded must never be taken for something else by a browser.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_from_image_headers() {
        let mut png = Vec::new();
        image::DynamicImage::new_rgb8(31, 17)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        assert_eq!(png_size(&png), Some((31, 17)));
        assert_eq!(image_size(&png), Some((31, 17)));
        let mut jpeg = Vec::new();
        image::DynamicImage::new_rgb8(40, 25)
            .write_to(
                &mut std::io::Cursor::new(&mut jpeg),
                image::ImageFormat::Jpeg,
            )
            .expect("jpeg");
        assert_eq!(image_size(&jpeg), Some((40, 25)));
        assert_eq!(image_size(b"not an image"), None);
    }

    #[test]
    fn a_pdf_embedded_in_ubl_is_found() {
        use base64::Engine;
        let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.7 tiny");
        let xml = format!(
            r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cac:AdditionalDocumentReference><cac:Attachment>
<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="a.pdf">{pdf}</cbc:EmbeddedDocumentBinaryObject>
</cac:Attachment></cac:AdditionalDocumentReference></Invoice>"#
        );
        assert_eq!(
            embedded_pdf(xml.as_bytes()),
            Some(b"%PDF-1.7 tiny".to_vec())
        );
        assert_eq!(embedded_pdf(b"<Invoice/>"), None);
    }
}
