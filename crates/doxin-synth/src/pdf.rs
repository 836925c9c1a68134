//! A minimal PDF writer: A4 pages (portrait, or landscape for the wide layout) with text in the standard Helvetica fonts (WinAnsiEncoding,
//! so the text layer is extractable, accents and the euro sign included), rules and filled
//! rectangles. Positions are in points from the top-left corner, y downward; a text position
//! is the left end of its baseline.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, Stream, StringFormat, dictionary};

pub(crate) const A4: (f32, f32) = (595.0, 842.0);
/// A4 turned on its side: width and height swapped.
pub(crate) const A4_LANDSCAPE: (f32, f32) = (A4.1, A4.0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    Regular,
    Bold,
}

impl Font {
    fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }

    /// Advance width of `text` at `size` points, from the fonts' AFM metrics.
    pub fn width(self, text: &str, size: f32) -> f32 {
        let units: u32 = text.chars().map(|c| glyph_width(self, c)).sum();
        units as f32 / 1000.0 * size
    }

    /// Ascent and descent per unit of font size.
    pub fn ascent_descent(self) -> (f32, f32) {
        (0.718, 0.207)
    }
}

/// Helvetica and Helvetica-Bold widths (1/1000 em) of printable ASCII, from the AFM files.
const REGULAR: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
    278, 278, 584, 584, 584, 556, 1015, // :..@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, // A-Z
    278, 278, 278, 469, 556, 333, // [ \ ] ^ _ `
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
    278, 556, 500, 722, 500, 500, 500, // a-z
    334, 260, 334, 584, // { | } ~
];

const BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
    333, 333, 584, 584, 584, 611, 975, // :..@
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, // A-Z
    333, 278, 333, 584, 556, 333, // [ \ ] ^ _ `
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556,
    333, 611, 556, 778, 556, 556, 500, // a-z
    389, 280, 389, 584, // { | } ~
];

fn glyph_width(font: Font, c: char) -> u32 {
    let table = match font {
        Font::Regular => &REGULAR,
        Font::Bold => &BOLD,
    };
    let ascii = |b: u8| u32::from(table[usize::from(b - 32)]);
    match c {
        ' '..='~' => ascii(c as u8),
        'à'..='å' => ascii(b'a'),
        'ç' => ascii(b'c'),
        'è'..='ë' => ascii(b'e'),
        'ì'..='ï' => 278,
        'ñ' => ascii(b'n'),
        'ò'..='ö' => ascii(b'o'),
        'ù'..='ü' => ascii(b'u'),
        'À'..='Å' => ascii(b'A'),
        'Ç' => ascii(b'C'),
        'È'..='Ë' => ascii(b'E'),
        'Ì'..='Ï' => 278,
        'Ñ' => ascii(b'N'),
        'Ò'..='Ö' => ascii(b'O'),
        'Ù'..='Ü' => ascii(b'U'),
        'ß' => 611,
        '·' => 278,
        '°' => 400,
        'º' => 365,
        'ª' => 370,
        '—' => 1000,
        '’' | '‘' => 278,
        _ => 556,
    }
}

/// The WinAnsiEncoding code of `c`, if it has one.
pub(crate) fn win_ansi_code(c: char) -> Option<u8> {
    let code = c as u32;
    if (0x20..0x7F).contains(&code) || (0xA0..=0xFF).contains(&code) {
        return Some(code as u8);
    }
    // The 0x80..0x9F block of Windows-1252.
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    })
}

/// Encodes text for a WinAnsiEncoding font; characters outside it become `?`.
pub(crate) fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| win_ansi_code(c).unwrap_or(b'?'))
        .collect()
}

/// Where a text run is anchored horizontally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// One line of text.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// The left end of the baseline (after alignment).
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub font: Font,
    pub gray: f32,
    pub text: String,
}

impl Run {
    pub fn width(&self) -> f32 {
        self.font.width(&self.text, self.size)
    }

    /// The run's box: top-left origin, y downward.
    pub fn bbox(&self) -> (f32, f32, f32, f32) {
        let (asc, desc) = self.font.ascent_descent();
        (
            self.x,
            self.y - asc * self.size,
            self.x + self.width(),
            self.y + desc * self.size,
        )
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Shape {
    /// A line from (x0, y0) to (x1, y1) of the given width and gray level.
    Rule {
        x0: f32,
        y0: f32,
        x1: f32,
        y1: f32,
        width: f32,
        gray: f32,
    },
    /// A filled rectangle, top-left corner and size.
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: f32,
    },
}

/// One A4 page being drawn.
#[derive(Debug, Clone, Default)]
pub(crate) struct Page {
    pub runs: Vec<Run>,
    pub shapes: Vec<Shape>,
    /// 842 × 595 instead of 595 × 842.
    pub landscape: bool,
}

impl Page {
    pub fn landscape() -> Page {
        Page {
            landscape: true,
            ..Page::default()
        }
    }

    /// Width and height in points.
    pub fn size(&self) -> (f32, f32) {
        if self.landscape { A4_LANDSCAPE } else { A4 }
    }

    /// Places text; returns the index of its run.
    #[allow(clippy::too_many_arguments)]
    pub fn text_gray(
        &mut self,
        x: f32,
        y: f32,
        size: f32,
        font: Font,
        align: Align,
        gray: f32,
        text: &str,
    ) -> usize {
        let x = match align {
            Align::Left => x,
            Align::Right => x - font.width(text, size),
        };
        self.runs.push(Run {
            x,
            y,
            size,
            font,
            gray,
            text: text.to_string(),
        });
        self.runs.len() - 1
    }

    pub fn rule(&mut self, x0: f32, y: f32, x1: f32, width: f32, gray: f32) {
        self.shapes.push(Shape::Rule {
            x0,
            y0: y,
            x1,
            y1: y,
            width,
            gray,
        });
    }

    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        self.shapes.push(Shape::Fill { x, y, w, h, gray });
    }

    /// The outline of a rectangle (top-left corner and size): four lines.
    pub fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32, gray: f32) {
        for (x0, y0, x1, y1) in [
            (x, y, x + w, y),
            (x + w, y, x + w, y + h),
            (x + w, y + h, x, y + h),
            (x, y + h, x, y),
        ] {
            self.shapes.push(Shape::Rule {
                x0,
                y0,
                x1,
                y1,
                width,
                gray,
            });
        }
    }

    fn content(&self) -> Vec<u8> {
        let h = self.size().1;
        let r = |v: f32| Object::Real((v * 100.0).round() / 100.0);
        let mut ops = Vec::new();
        for shape in &self.shapes {
            match *shape {
                Shape::Rule {
                    x0,
                    y0,
                    x1,
                    y1,
                    width,
                    gray,
                } => {
                    ops.push(Operation::new("G", vec![r(gray)]));
                    ops.push(Operation::new("w", vec![r(width)]));
                    ops.push(Operation::new("m", vec![r(x0), r(h - y0)]));
                    ops.push(Operation::new("l", vec![r(x1), r(h - y1)]));
                    ops.push(Operation::new("S", vec![]));
                }
                Shape::Fill {
                    x,
                    y,
                    w,
                    h: fh,
                    gray,
                } => {
                    ops.push(Operation::new("g", vec![r(gray)]));
                    ops.push(Operation::new("re", vec![r(x), r(h - y - fh), r(w), r(fh)]));
                    ops.push(Operation::new("f", vec![]));
                }
            }
        }
        for run in &self.runs {
            ops.push(Operation::new("BT", vec![]));
            ops.push(Operation::new("g", vec![r(run.gray)]));
            ops.push(Operation::new(
                "Tf",
                vec![run.font.resource().into(), r(run.size)],
            ));
            ops.push(Operation::new("Td", vec![r(run.x), r(h - run.y)]));
            ops.push(Operation::new(
                "Tj",
                vec![Object::String(win_ansi(&run.text), StringFormat::Literal)],
            ));
            ops.push(Operation::new("ET", vec![]));
        }
        Content { operations: ops }.encode().unwrap_or_default()
    }
}

/// Writes the pages as a PDF. `id` becomes the document's file identifier (deterministic
/// output: no dates, no random ids).
pub(crate) fn write(pages: &[Page], title: &str, id: u64) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let mut fonts = Dictionary::new();
    for (font, base) in [(Font::Regular, "Helvetica"), (Font::Bold, "Helvetica-Bold")] {
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => base,
            "Encoding" => "WinAnsiEncoding",
        });
        fonts.set(font.resource(), font_id);
    }
    let resources_id = doc.add_object(dictionary! { "Font" => fonts });
    let mut kids = Vec::new();
    for page in pages {
        let mut stream = Stream::new(Dictionary::new(), page.content());
        // A content stream that cannot be compressed is still a valid stream.
        let _ = stream.compress();
        let content_id = doc.add_object(stream);
        kids.push(Object::Reference(doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), page.size().0.into(), page.size().1.into()],
        })));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    let info_id = doc.add_object(dictionary! {
        "Title" => Object::String(win_ansi(title), StringFormat::Literal),
        "Producer" => Object::string_literal("doxin-synth"),
    });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    let id_bytes = id.to_be_bytes().repeat(2);
    doc.trailer.set(
        "ID",
        vec![
            Object::String(id_bytes.clone(), StringFormat::Hexadecimal),
            Object::String(id_bytes, StringFormat::Hexadecimal),
        ],
    );
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = doc.save_to(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_covers_accents_and_euro() {
        assert_eq!(
            win_ansi("äöüßéèàç€£"),
            vec![0xE4, 0xF6, 0xFC, 0xDF, 0xE9, 0xE8, 0xE0, 0xE7, 0x80, 0xA3]
        );
        assert_eq!(win_ansi("–’"), vec![0x96, 0x92]);
        assert_eq!(win_ansi("ő"), b"?");
    }

    #[test]
    fn widths_follow_the_afm_metrics() {
        assert!((Font::Regular.width("Hello", 10.0) - 22.78).abs() < 0.01);
        assert!(Font::Bold.width("Total", 10.0) > Font::Regular.width("Total", 10.0));
        assert_eq!(
            Font::Regular.width("ä", 10.0),
            Font::Regular.width("a", 10.0)
        );
    }
}
