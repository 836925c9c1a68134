//! Builds PDF fixtures in code (no files copied from anywhere): pages with standard Type 1 text
//! at given positions, rotated pages and text, embedded files (EmbeddedFiles name tree, /AF,
//! file attachment annotations), real encryption, and hand-made broken files.
//!
//! Coordinates given to [`Page`] are display coordinates like the ones `text_layer` returns:
//! points from the top-left corner of the page as shown (after `/Rotate`), y downward, and a
//! text position is the left end of its baseline. A synthetic invoice generator builds on this.
#![allow(dead_code)]

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};

/// The standard 14 fonts used by fixtures (no font program needs embedding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Helvetica,
    HelveticaBold,
    Courier,
}

impl Font {
    fn resource(self) -> &'static str {
        match self {
            Font::Helvetica => "F1",
            Font::HelveticaBold => "F2",
            Font::Courier => "F3",
        }
    }

    fn base_font(self) -> &'static str {
        match self {
            Font::Helvetica => "Helvetica",
            Font::HelveticaBold => "Helvetica-Bold",
            Font::Courier => "Courier",
        }
    }

    /// Ascent and descent (positive) per unit of font size, from the fonts' AFM files.
    pub fn ascent_descent(self) -> (f32, f32) {
        match self {
            Font::Helvetica | Font::HelveticaBold => (0.718, 0.207),
            Font::Courier => (0.629, 0.157),
        }
    }

    /// The advance width of `text` at `size` points (AFM widths; Helvetica-Bold is
    /// approximated by Helvetica, non-ASCII letters by 0.556 em).
    pub fn width(self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| match self {
                Font::Courier => 600,
                _ => helvetica_width(c),
            })
            .sum();
        units as f32 / 1000.0 * size
    }
}

/// Helvetica AFM advance widths (1/1000 em) for printable ASCII.
fn helvetica_width(c: char) -> u32 {
    const W: [u32; 95] = [
        278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278,
        278, // ' '../
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
        278, 278, 584, 584, 584, 556, 1015, // :..@
        667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722,
        667, 611, 722, 667, 944, 667, 667, 611, // A-Z
        278, 278, 278, 469, 556, 222, // [ \ ] ^ _ `
        556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333,
        500, 278, 556, 500, 722, 500, 500, 500, // a-z
        334, 260, 334, 584, // { | } ~
    ];
    let i = c as u32;
    if (32..127).contains(&i) {
        W[(i - 32) as usize]
    } else {
        556
    }
}

/// Encodes text for a WinAnsiEncoding simple font (Latin-1 plus the euro sign).
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            c if (c as u32) < 0x7F || (0xA0..=0xFF).contains(&(c as u32)) => c as u8,
            _ => b'?',
        })
        .collect()
}

/// One text run placed on a page.
#[derive(Debug, Clone)]
pub struct Run {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub font: Font,
    pub text: String,
    /// Quarter turns clockwise of the text relative to the displayed page (0 = normal).
    pub turn: u8,
}

/// A page: size (the MediaBox, unrotated), `/Rotate`, text runs and raw content operations.
#[derive(Debug, Clone)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub rotate: i64,
    pub runs: Vec<Run>,
    /// Extra content stream text appended verbatim (for edge cases: TJ kerning, odd matrices).
    pub raw: String,
}

impl Page {
    pub fn new(width: f32, height: f32) -> Page {
        Page {
            width,
            height,
            rotate: 0,
            runs: Vec::new(),
            raw: String::new(),
        }
    }

    /// An A4 portrait page (595 x 842 pt).
    pub fn a4() -> Page {
        Page::new(595.0, 842.0)
    }

    /// The page as displayed: width and height after `/Rotate`.
    pub fn display_size(&self) -> (f32, f32) {
        if self.rotate.rem_euclid(180) == 90 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }

    pub fn rotate(mut self, degrees: i64) -> Page {
        self.rotate = degrees;
        self
    }

    /// Helvetica text with its baseline starting at display position (x, y).
    pub fn text(self, x: f32, y: f32, size: f32, text: &str) -> Page {
        self.text_in(Font::Helvetica, x, y, size, text)
    }

    pub fn bold(self, x: f32, y: f32, size: f32, text: &str) -> Page {
        self.text_in(Font::HelveticaBold, x, y, size, text)
    }

    pub fn text_in(mut self, font: Font, x: f32, y: f32, size: f32, text: &str) -> Page {
        self.runs.push(Run {
            x,
            y,
            size,
            font,
            text: text.to_owned(),
            turn: 0,
        });
        self
    }

    /// Helvetica text whose right end is at `x_right` (amount columns).
    pub fn text_right(self, x_right: f32, y: f32, size: f32, text: &str) -> Page {
        let x = x_right - Font::Helvetica.width(text, size);
        self.text(x, y, size, text)
    }

    /// Text turned `turn` quarter turns clockwise on the displayed page (1 = reading top to
    /// bottom, 3 = bottom to top), starting at display position (x, y).
    pub fn turned_text(mut self, turn: u8, x: f32, y: f32, size: f32, text: &str) -> Page {
        self.runs.push(Run {
            x,
            y,
            size,
            font: Font::Helvetica,
            text: text.to_owned(),
            turn: turn % 4,
        });
        self
    }

    pub fn raw(mut self, content: &str) -> Page {
        self.raw.push_str(content);
        self.raw.push('\n');
        self
    }

    /// The content stream.
    fn content(&self) -> Vec<u8> {
        let mut ops = Vec::new();
        for run in &self.runs {
            let (a, b, c, d) = text_axes(run.turn, self.rotate);
            let (ux, uy) = self.user_point(run.x, run.y);
            ops.push(Operation::new("BT", vec![]));
            ops.push(Operation::new(
                "Tf",
                vec![run.font.resource().into(), run.size.into()],
            ));
            ops.push(Operation::new(
                "Tm",
                vec![a.into(), b.into(), c.into(), d.into(), ux.into(), uy.into()],
            ));
            ops.push(Operation::new(
                "Tj",
                vec![Object::String(win_ansi(&run.text), StringFormat::Literal)],
            ));
            ops.push(Operation::new("ET", vec![]));
        }
        let mut bytes = Content { operations: ops }
            .encode()
            .expect("content encodes");
        bytes.extend_from_slice(self.raw.as_bytes());
        bytes
    }

    /// Display coordinates (top-left origin, y down, after /Rotate) to user space.
    pub fn user_point(&self, x: f32, y: f32) -> (f32, f32) {
        let (w, h) = (self.width, self.height);
        match self.rotate.rem_euclid(360) {
            90 => (y, x),
            180 => (w - x, y),
            270 => (w - y, h - x),
            _ => (x, h - y),
        }
    }
}

/// The text matrix axes (a b c d) that make text run in display direction `turn` (quarter
/// turns clockwise) on a page with `/Rotate rotate`.
fn text_axes(turn: u8, rotate: i64) -> (f32, f32, f32, f32) {
    // Display direction as an angle, clockwise, in quarter turns.
    let display = i64::from(turn);
    // Display (y down) vector of that direction.
    let (dx, dy): (f32, f32) = match display.rem_euclid(4) {
        0 => (1.0, 0.0),
        1 => (0.0, 1.0),
        2 => (-1.0, 0.0),
        _ => (0.0, -1.0),
    };
    // Invert the page's user->display vector mapping.
    let (ux, uy) = match rotate.rem_euclid(360) {
        90 => (dy, dx),
        180 => (-dx, dy),
        270 => (-dy, -dx),
        _ => (dx, -dy),
    };
    // The glyph's up axis is the text axis turned 90° counter-clockwise in user space.
    (ux, uy, -uy, ux)
}

/// How an embedded file is referenced from the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// In the catalog's EmbeddedFiles name tree and its /AF array (what Factur-X requires).
    NameTreeAndAf,
    /// In a name tree whose root only has /Kids (intermediate nodes).
    NestedNameTree,
    /// Only in the catalog's /AF array.
    AfOnly,
    /// Only as a file attachment annotation on the first page.
    Annotation,
}

/// A file to embed.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
    pub compress: bool,
    pub placement: Placement,
    /// Write the name as a UTF-16BE /UF text string (and a plain /F).
    pub utf16_name: bool,
}

impl Attachment {
    pub fn new(name: &str, bytes: &[u8]) -> Attachment {
        Attachment {
            name: name.to_owned(),
            bytes: bytes.to_vec(),
            compress: true,
            placement: Placement::NameTreeAndAf,
            utf16_name: false,
        }
    }

    pub fn placed(mut self, placement: Placement) -> Attachment {
        self.placement = placement;
        self
    }

    pub fn uncompressed(mut self) -> Attachment {
        self.compress = false;
        self
    }

    pub fn utf16(mut self) -> Attachment {
        self.utf16_name = true;
        self
    }
}

/// Builds a PDF from pages and attachments.
#[derive(Debug, Clone, Default)]
pub struct PdfBuilder {
    pub pages: Vec<Page>,
    pub attachments: Vec<Attachment>,
    /// Encrypt with RC4 128 (owner password "owner") and this user password.
    pub encrypt_user_password: Option<String>,
    pub compress_content: bool,
}

impl PdfBuilder {
    pub fn new() -> PdfBuilder {
        PdfBuilder::default()
    }

    pub fn page(mut self, page: Page) -> PdfBuilder {
        self.pages.push(page);
        self
    }

    pub fn attach(mut self, attachment: Attachment) -> PdfBuilder {
        self.attachments.push(attachment);
        self
    }

    pub fn encrypted(mut self, user_password: &str) -> PdfBuilder {
        self.encrypt_user_password = Some(user_password.to_owned());
        self
    }

    pub fn compressed(mut self) -> PdfBuilder {
        self.compress_content = true;
        self
    }

    pub fn build(&self) -> Vec<u8> {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let mut fonts = Dictionary::new();
        for font in [Font::Helvetica, Font::HelveticaBold, Font::Courier] {
            let id = doc.add_object(dictionary! {
                "Type" => "Font",
                "Subtype" => "Type1",
                "BaseFont" => font.base_font(),
                "Encoding" => "WinAnsiEncoding",
            });
            fonts.set(font.resource(), id);
        }
        let resources_id = doc.add_object(dictionary! { "Font" => fonts });

        let mut kids = Vec::new();
        for page in &self.pages {
            let mut stream = Stream::new(Dictionary::new(), page.content());
            if self.compress_content {
                stream.compress().expect("content compresses");
            }
            let content_id = doc.add_object(stream);
            let mut dict = dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
                "Resources" => resources_id,
                "MediaBox" => vec![0.into(), 0.into(), page.width.into(), page.height.into()],
            };
            if page.rotate != 0 {
                dict.set("Rotate", page.rotate);
            }
            kids.push(doc.add_object(dict));
        }
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => kids.iter().map(|&id| Object::Reference(id)).collect::<Vec<_>>(),
                "Count" => kids.len() as i64,
            }),
        );
        let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
        self.add_attachments(&mut doc, &mut catalog, &kids);
        let catalog_id = doc.add_object(catalog);
        doc.trailer.set("Root", catalog_id);
        doc.trailer.set(
            "ID",
            vec![
                Object::String(b"doxin-fixture-id".to_vec(), StringFormat::Hexadecimal),
                Object::String(b"doxin-fixture-id".to_vec(), StringFormat::Hexadecimal),
            ],
        );

        if let Some(user) = &self.encrypt_user_password {
            let state = lopdf::EncryptionState::try_from(lopdf::EncryptionVersion::V2 {
                document: &doc,
                owner_password: "owner",
                user_password: user,
                key_length: 128,
                permissions: lopdf::Permissions::default(),
            })
            .expect("encryption state");
            doc.encrypt(&state).expect("encrypts");
        }
        let mut out = Vec::new();
        doc.save_to(&mut out).expect("saves");
        out
    }

    fn add_attachments(&self, doc: &mut Document, catalog: &mut Dictionary, pages: &[ObjectId]) {
        let mut tree_entries: Vec<(String, ObjectId)> = Vec::new();
        let mut nested_entries: Vec<(String, ObjectId)> = Vec::new();
        let mut af: Vec<Object> = Vec::new();
        let mut annots: Vec<Object> = Vec::new();
        for a in &self.attachments {
            let mut stream = Stream::new(
                dictionary! {
                    "Type" => "EmbeddedFile",
                    "Subtype" => "text/xml",
                    "Params" => dictionary! { "Size" => a.bytes.len() as i64 },
                },
                a.bytes.clone(),
            );
            if a.compress {
                stream.compress().expect("attachment compresses");
            }
            let file_id = doc.add_object(stream);
            let uf = if a.utf16_name {
                let mut v = vec![0xFE, 0xFF];
                for unit in a.name.encode_utf16() {
                    v.extend_from_slice(&unit.to_be_bytes());
                }
                Object::String(v, StringFormat::Hexadecimal)
            } else {
                Object::String(a.name.as_bytes().to_vec(), StringFormat::Literal)
            };
            let spec_id = doc.add_object(dictionary! {
                "Type" => "Filespec",
                "F" => Object::String(win_ansi(&a.name), StringFormat::Literal),
                "UF" => uf,
                "AFRelationship" => "Alternative",
                "Desc" => Object::string_literal("Invoice data"),
                "EF" => dictionary! { "F" => file_id, "UF" => file_id },
            });
            match a.placement {
                Placement::NameTreeAndAf => {
                    tree_entries.push((a.name.clone(), spec_id));
                    af.push(spec_id.into());
                }
                Placement::NestedNameTree => nested_entries.push((a.name.clone(), spec_id)),
                Placement::AfOnly => af.push(spec_id.into()),
                Placement::Annotation => annots.push(
                    dictionary! {
                        "Type" => "Annot",
                        "Subtype" => "FileAttachment",
                        "Rect" => vec![10.into(), 10.into(), 30.into(), 30.into()],
                        "FS" => spec_id,
                    }
                    .into(),
                ),
            }
        }
        let names_array = |entries: &mut Vec<(String, ObjectId)>| -> Vec<Object> {
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries
                .iter()
                .flat_map(|(n, id)| [Object::string_literal(n.as_str()), Object::Reference(*id)])
                .collect()
        };
        let mut root = Dictionary::new();
        if !tree_entries.is_empty() {
            root.set("Names", names_array(&mut tree_entries));
        }
        if !nested_entries.is_empty() {
            let names = names_array(&mut nested_entries);
            let first = nested_entries[0].0.clone();
            let last = nested_entries[nested_entries.len() - 1].0.clone();
            let leaf = doc.add_object(dictionary! {
                "Names" => names,
                "Limits" => vec![Object::string_literal(first.as_str()), Object::string_literal(last.as_str())],
            });
            let middle = doc.add_object(dictionary! {
                "Kids" => vec![Object::Reference(leaf)],
                "Limits" => vec![Object::string_literal(first.as_str()), Object::string_literal(last.as_str())],
            });
            root.set("Kids", vec![Object::Reference(middle)]);
        }
        if !root.is_empty() {
            let root_id = doc.add_object(root);
            catalog.set("Names", dictionary! { "EmbeddedFiles" => root_id });
        }
        if !af.is_empty() {
            catalog.set("AF", af);
        }
        if !annots.is_empty()
            && let Some(&first) = pages.first()
            && let Ok(Object::Dictionary(page)) = doc.get_object_mut(first)
        {
            page.set("Annots", annots);
        }
    }
}

/// A minimal CII (Factur-X) invoice document.
pub fn cii_xml(invoice_number: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
  <rsm:ExchangedDocument><ram:ID>{invoice_number}</ram:ID><ram:TypeCode>380</ram:TypeCode></rsm:ExchangedDocument>
</rsm:CrossIndustryInvoice>
"#
    )
    .into_bytes()
}

/// A minimal UBL invoice document.
pub fn ubl_xml(invoice_number: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>{invoice_number}</cbc:ID>
</Invoice>
"#
    )
    .into_bytes()
}

/// A word as `pdftotext -bbox` reports it.
#[derive(Debug, Clone)]
pub struct OracleWord {
    pub text: String,
    /// xMin, yMin, xMax, yMax.
    pub bbox: [f32; 4],
}

/// Runs poppler's `pdftotext` (the quality reference) on `pdf`, or `None` when it is not
/// installed. `args` go before the input (`-bbox`, `-layout`).
pub fn pdftotext(pdf: &[u8], args: &[&str]) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("in.pdf");
    std::fs::write(&path, pdf).ok()?;
    let out = std::process::Command::new("pdftotext")
        .args(args)
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Words per page from `pdftotext -bbox`, or `None` when poppler is not installed.
pub fn oracle_words(pdf: &[u8]) -> Option<Vec<Vec<OracleWord>>> {
    let html = pdftotext(pdf, &["-bbox"])?;
    let mut pages = Vec::new();
    for page in html.split("<page ").skip(1) {
        let mut words = Vec::new();
        for w in page.split("<word ").skip(1) {
            let attr = |name: &str| -> f32 {
                w.split(&format!("{name}=\""))
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f32::NAN)
            };
            let text = w
                .split('>')
                .nth(1)
                .and_then(|r| r.split("</word").next())
                .unwrap_or("")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&");
            words.push(OracleWord {
                text,
                bbox: [attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax")],
            });
        }
        pages.push(words);
    }
    Some(pages)
}

/// A one-page PDF written by hand with a classic cross-reference table and correct offsets;
/// `trailer_extra` is inserted into the trailer dictionary (e.g. a bogus `/Encrypt`).
pub fn handmade_pdf(text: &str, trailer_extra: &str) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
