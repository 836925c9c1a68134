//! Hostile PDFs for the robustness tests: small files built to crash or exhaust a reader,
//! reproducing what a security review used against DoxIn. Each is a valid-looking PDF (header,
//! objects, cross-reference table, trailer) so parsers get as far as the trap.
//!
//! - [`deep_array_in_trailer`], [`deep_array_in_page`]: `[[[…]]]` nested thousands deep, which
//!   recursive parsers follow until the stack overflows;
//! - [`deep_page_tree`]: a page tree thousands of `/Pages` levels deep (same, through the
//!   page-tree walk);
//! - [`heavy_page`]: one page stroking a huge number of lines from a small compressed stream;
//! - [`blank_pages`]: many pages without text, each of which would go to OCR;
//! - [`flate_bomb`]: a content stream that inflates to hundreds of megabytes.

use std::io::Write;

/// Assembles a PDF from object bodies (object `i + 1` is `objects[i]`); object 1 must be the
/// catalog. `trailer_extra` is added to the trailer dictionary.
fn assemble(objects: &[Vec<u8>], trailer_extra: &[u8]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R ", objects.len() + 1).as_bytes(),
    );
    out.extend_from_slice(trailer_extra);
    out.extend_from_slice(format!(">>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = z.write_all(data);
    z.finish().unwrap_or_default()
}

const TEXT: &[u8] =
    b"BT /F1 11 Tf 72 720 Td (Invoice INV-1 from Hostile Test GmbH, total 10.00 EUR) Tj ET";

/// A one-page document with `page_extra` added to the page dictionary and `content` as its
/// content stream (Flate-compressed when `compress`).
fn one_page(page_extra: &[u8], content: &[u8], compress: bool, trailer_extra: &[u8]) -> Vec<u8> {
    let mut page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
/Resources << /Font << /F1 5 0 R >> >> "
        .to_vec();
    page.extend_from_slice(page_extra);
    page.extend_from_slice(b" >>");
    let contents = if compress {
        stream("/Filter /FlateDecode", &deflate(content))
    } else {
        stream("", content)
    };
    assemble(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            page,
            contents,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        ],
        trailer_extra,
    )
}

fn nested(depth: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(depth * 2 + 4);
    v.extend(std::iter::repeat_n(b'[', depth));
    v.extend(std::iter::repeat_n(b']', depth));
    v
}

/// A one-page PDF whose trailer holds an array nested `depth` deep.
pub fn deep_array_in_trailer(depth: usize) -> Vec<u8> {
    let mut extra = b"/Junk ".to_vec();
    extra.extend(nested(depth));
    extra.push(b' ');
    one_page(b"", TEXT, false, &extra)
}

/// A one-page PDF whose page dictionary holds an array nested `depth` deep.
pub fn deep_array_in_page(depth: usize) -> Vec<u8> {
    let mut extra = b"/Junk ".to_vec();
    extra.extend(nested(depth));
    one_page(&extra, TEXT, false, b"")
}

/// A PDF whose single page sits under `depth` levels of `/Pages` nodes.
pub fn deep_page_tree(depth: usize) -> Vec<u8> {
    let depth = depth.max(1);
    let mut objects = vec![b"<< /Type /Catalog /Pages 2 0 R >>".to_vec()];
    for i in 0..depth {
        let me = 2 + i;
        let parent = if i == 0 {
            String::new()
        } else {
            format!("/Parent {} 0 R ", me - 1)
        };
        objects.push(
            format!("<< /Type /Pages {parent}/Kids [{} 0 R] /Count 1 >>", me + 1).into_bytes(),
        );
    }
    let leaf = 2 + depth;
    objects.push(
        format!(
            "<< /Type /Page /Parent {} 0 R /MediaBox [0 0 595 842] /Contents {} 0 R \
/Resources << /Font << /F1 {} 0 R >> >> >>",
            leaf - 1,
            leaf + 1,
            leaf + 2
        )
        .into_bytes(),
    );
    objects.push(stream("", TEXT));
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
    assemble(&objects, b"")
}

/// One page with text and `strokes` stroked lines (three operators each), compressed: a few
/// kilobytes that cost a renderer or a path collector gigabytes.
pub fn heavy_page(strokes: usize) -> Vec<u8> {
    let mut content = TEXT.to_vec();
    content.extend_from_slice(b"\n0.1 w\n");
    for i in 0..strokes {
        let y = 100 + (i % 600);
        content.extend_from_slice(format!("72 {y} m 500 {y} l S\n").as_bytes());
    }
    one_page(b"", &content, true, b"")
}

/// `pages` pages with nothing on them: every one would be rendered and OCRed.
pub fn blank_pages(pages: usize) -> Vec<u8> {
    blank_pages_sized(pages, 595, 842)
}

/// [`blank_pages`] of `width` × `height` points: a huge page renders to a huge bitmap.
pub fn blank_pages_sized(pages: usize, width: u32, height: u32) -> Vec<u8> {
    let pages = pages.max(1);
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 4 + i)).collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        )
        .into_bytes(),
        stream("", b"q Q"),
    ];
    for _ in 0..pages {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 3 0 R >>"
            )
            .into_bytes(),
        );
    }
    assemble(&objects, b"")
}

/// One page whose content stream inflates to `inflated` bytes (spaces, after a line of text).
pub fn flate_bomb(inflated: usize) -> Vec<u8> {
    let mut content = TEXT.to_vec();
    content.push(b'\n');
    content.resize(inflated.max(content.len()), b' ');
    one_page(b"", &content, true, b"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_files_are_small_and_well_formed() {
        for (name, pdf, max) in [
            ("trailer", deep_array_in_trailer(20_000), 60_000),
            ("page", deep_array_in_page(100_000), 250_000),
            ("tree", deep_page_tree(5_000), 600_000),
            ("heavy", heavy_page(150_000), 200_000),
            ("blank", blank_pages(200), 40_000),
            ("bomb", flate_bomb(200 * 1024 * 1024), 400_000),
        ] {
            assert!(pdf.starts_with(b"%PDF-1.4"), "{name}");
            assert!(pdf.ends_with(b"%%EOF\n"), "{name}");
            assert!(pdf.len() < max, "{name}: {} bytes", pdf.len());
        }
    }

    #[test]
    fn lopdf_reads_the_shallow_ones() {
        for pdf in [
            blank_pages(3),
            heavy_page(10),
            flate_bomb(10_000),
            deep_page_tree(3),
        ] {
            let doc = lopdf::Document::load_mem(&pdf).expect("parses");
            assert!(!doc.get_pages().is_empty());
        }
    }
}
