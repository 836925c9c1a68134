//! The text layer of a PDF with positions: words and lines with boxes, in reading order.
//!
//! pdf_oxide interprets the content streams and hands over positioned glyphs (its coordinates
//! are PDF user space: origin bottom-left, y up). Everything after that is ours and purely
//! geometric, modelled on poppler's `pdftotext` (the quality reference): glyphs are moved into
//! page display space (origin top-left, y down, `/Rotate` and the crop box applied), grouped
//! into rows by baseline, rows that share a band without colliding are merged (superscripts,
//! cells set a point off), each row is cut into words at gaps wider than a tenth of the font
//! size, and rows are ordered top to bottom. Whitespace glyphs are ignored: word breaks come
//! from geometry alone, as in pdftotext, so files that position words without space characters
//! read the same as files that draw them.
//!
//! Columns stay apart: a row keeps all its words, however far apart, and
//! [`Line::text_with_gaps`] / [`TextPage::layout_text`] render wide gaps as runs of spaces on a
//! page-wide character grid (like `pdftotext -layout`), so table columns line up across lines.

use std::ops::Range;

use doxin_model::BBox;
use serde::Serialize;

use super::guard;
use crate::ExtractError;

/// The text layer of a whole document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextDocument {
    pub pages: Vec<TextPage>,
}

/// One page's words and lines. Coordinates are PDF points in display space: origin at the
/// top-left corner of the visible page (crop box), y growing downward, after `/Rotate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextPage {
    /// 1-based page number.
    pub number: u32,
    pub width: f32,
    pub height: f32,
    /// All words of the page in reading order: line by line, left to right within a line.
    pub words: Vec<Word>,
    /// Lines top to bottom; each owns a contiguous range of [`TextPage::words`].
    pub lines: Vec<Line>,
    /// The typical glyph advance on the page: the cell width of the layout grid used by
    /// [`Line::text_with_gaps`].
    pub char_width: f32,
}

/// A word: glyphs on one baseline with no gap wider than a tenth of the font size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Word {
    pub text: String,
    pub bbox: BBox,
    /// The largest font size (points, as rendered) among the word's glyphs.
    pub font_size: f32,
    /// Whether the text runs left to right on the displayed page. Rotated words (margin notes,
    /// stamps) are kept but form their own lines.
    pub horizontal: bool,
}

/// A line: the words of one visual row, however far apart (columns stay on one line).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// Indices into [`TextPage::words`].
    pub words: Range<usize>,
    pub bbox: BBox,
    /// The words joined by single spaces.
    pub text: String,
}

impl TextDocument {
    /// The whole document as layout text, pages separated by form feeds (like `pdftotext
    /// -layout`).
    pub fn layout_text(&self) -> String {
        let pages: Vec<String> = self.pages.iter().map(TextPage::layout_text).collect();
        pages.join("\x0c")
    }

    /// The number of words over all pages.
    pub fn word_count(&self) -> usize {
        self.pages.iter().map(|p| p.words.len()).sum()
    }
}

impl TextPage {
    /// The words of a line.
    pub fn line_words(&self, line: &Line) -> &[Word] {
        self.words.get(line.words.clone()).unwrap_or(&[])
    }

    /// The page as layout text: one text line per line, words placed on a character grid so
    /// columns line up (see [`Line::text_with_gaps`]); a blank line where the vertical gap
    /// between two lines is larger than 1.3 typical line heights (a paragraph or block break).
    pub fn layout_text(&self) -> String {
        let origin = self.grid_origin();
        let line_height = self.typical_line_height();
        let mut out = String::new();
        let mut prev_bottom: Option<f32> = None;
        for line in &self.lines {
            if let Some(bottom) = prev_bottom
                && line.bbox.y0 - bottom > 1.3 * line_height
            {
                out.push('\n');
            }
            out.push_str(&line.layout(self, origin));
            out.push('\n');
            prev_bottom = Some(line.bbox.y1);
        }
        out
    }

    /// The left edge of the layout grid: the leftmost horizontal word.
    fn grid_origin(&self) -> f32 {
        self.words
            .iter()
            .filter(|w| w.horizontal)
            .map(|w| w.bbox.x0)
            .fold(f32::INFINITY, f32::min)
            .min(self.width)
            .max(0.0)
    }

    fn typical_line_height(&self) -> f32 {
        let mut heights: Vec<f32> = self.lines.iter().map(|l| l.bbox.y1 - l.bbox.y0).collect();
        median(&mut heights).unwrap_or(12.0)
    }
}

impl Line {
    /// The line's text with horizontal gaps kept visible, like a line of `pdftotext -layout`:
    /// each word starts at the column of the page-wide character grid its x position falls on
    /// (so columns of a table line up across lines, leading indentation included), a normal
    /// word gap is one space, and a wide gap (a column break) is never less than two.
    pub fn text_with_gaps(&self, page: &TextPage) -> String {
        self.layout(page, page.grid_origin())
    }

    fn layout(&self, page: &TextPage, origin: f32) -> String {
        let words = page.line_words(self);
        let cw = page.char_width.max(0.5);
        let mut out = String::new();
        let mut col = 0usize;
        let mut prev: Option<&Word> = None;
        for w in words {
            if !w.horizontal {
                if prev.is_some() {
                    out.push(' ');
                    col += 1;
                }
                out.push_str(&w.text);
                col += w.text.chars().count();
                prev = Some(w);
                continue;
            }
            let target = ((w.bbox.x0 - origin) / cw).round().max(0.0) as usize;
            let spaces = match prev {
                None => target,
                Some(p) => {
                    let gap = w.bbox.x0 - p.bbox.x1;
                    let size = w.font_size.max(p.font_size);
                    if gap >= WIDE_GAP * size {
                        target.saturating_sub(col).max(2)
                    } else {
                        1
                    }
                }
            };
            out.extend(std::iter::repeat_n(' ', spaces));
            out.push_str(&w.text);
            col += spaces + w.text.chars().count();
            prev = Some(w);
        }
        out
    }
}

/// A gap at least this many font sizes wide separates columns rather than words.
const WIDE_GAP: f32 = 0.8;
/// A gap wider than this many font sizes starts a new word. pdftotext's `minWordBreakSpace` is
/// 0.1, but fonts whose widths make a letter's advance short print gaps of 0.12 em inside words
/// ("Liefer ant", "Ver käufer" in a common ZUGFeRD stylesheet); the narrowest spaces of real
/// fonts (about 0.2 em, condensed faces) stay well above 0.15.
const WORD_BREAK: f32 = 0.15;
/// The same for glyphs whose extent is estimated (no advance known): their own margin.
const WORD_BREAK_ESTIMATED: f32 = 0.2;

/// Reads the text layer of every page.
///
/// Errors: [`ExtractError::EncryptedPdf`] for encrypted files (even with an empty user
/// password), [`ExtractError::Corrupt`] for damaged files, non-PDFs, a page tree that cannot be
/// read, or zero pages. A page whose content stream cannot be decoded yields an empty page (and
/// a warning), so one bad page does not lose the others.
pub fn text_layer(bytes: &[u8]) -> Result<TextDocument, ExtractError> {
    let doc = guard::open_oxide(bytes)?;
    let count = guard::page_count(&doc)?;
    let mut pages = Vec::with_capacity(count.min(1024) as usize);
    for index in 0..count {
        let page = guard::no_panic("extracting text", || read_page(&doc, index))?;
        pages.push(page);
    }
    Ok(TextDocument { pages })
}

fn read_page(doc: &pdf_oxide::document::PdfDocument, index: u32) -> Result<TextPage, ExtractError> {
    let i = index as usize;
    let number = index + 1;
    let (x0, y0, x1, y1) = doc
        .get_page_visible_box(i)
        .map_err(|e| ExtractError::Corrupt(format!("page {number} cannot be read: {e}")))?;
    let rotation = doc
        .get_page_rotation(i)
        .map(|r| ((r.rem_euclid(360) + 45) / 90 % 4) as u8)
        .unwrap_or(0);
    let frame = PageFrame {
        x0,
        y0,
        w: (x1 - x0).max(1.0),
        h: (y1 - y0).max(1.0),
        rotation,
    };
    let chars = match doc.extract_chars(i) {
        Ok(chars) => chars,
        Err(pdf_oxide::error::Error::EncryptedPdf) => return Err(ExtractError::EncryptedPdf),
        Err(e) => {
            tracing::warn!(page = number, error = %e, "page text cannot be extracted; page left empty");
            Vec::new()
        }
    };
    let glyphs: Vec<Glyph> = chars.iter().filter_map(|c| frame.glyph(c)).collect();
    let (width, height) = frame.display_size();
    Ok(build_page(number, width, height, glyphs))
}

/// The visible page box and rotation: maps PDF user space to display space.
struct PageFrame {
    x0: f32,
    y0: f32,
    w: f32,
    h: f32,
    /// `/Rotate` in quarter turns clockwise.
    rotation: u8,
}

impl PageFrame {
    fn display_size(&self) -> (f32, f32) {
        if self.rotation % 2 == 1 {
            (self.h, self.w)
        } else {
            (self.w, self.h)
        }
    }

    /// A user-space point in display space (origin top-left, y down).
    fn point(&self, x: f32, y: f32) -> (f32, f32) {
        let (ux, uy) = (x - self.x0, y - self.y0);
        match self.rotation {
            1 => (uy, ux),
            2 => (self.w - ux, uy),
            3 => (self.h - uy, self.w - ux),
            _ => (ux, self.h - uy),
        }
    }

    /// A user-space direction in display space.
    fn vector(&self, dx: f32, dy: f32) -> (f32, f32) {
        match self.rotation {
            1 => (dy, dx),
            2 => (-dx, dy),
            3 => (-dy, -dx),
            _ => (dx, -dy),
        }
    }

    fn glyph(&self, c: &pdf_oxide::layout::TextChar) -> Option<Glyph> {
        if c.char.is_control() && !c.char.is_whitespace() {
            return None;
        }
        let (ux, uy) = match c.matrix {
            Some([a, b, ..]) if a.is_finite() && b.is_finite() && (a != 0.0 || b != 0.0) => (a, b),
            _ => {
                let r = c.rotation_degrees.to_radians();
                (r.cos(), r.sin())
            }
        };
        let (dx, dy) = self.vector(ux, uy);
        let angle = dy.atan2(dx).to_degrees();
        let dir = ((angle / 90.0).round() as i32).rem_euclid(4) as u8;

        let size = if c.font_size.is_finite() && c.font_size > 0.1 && c.font_size < 2000.0 {
            c.font_size
        } else if c.bbox.height.is_finite() && c.bbox.height > 0.1 {
            c.bbox.height
        } else {
            return None;
        };
        let ascent = if c.ascent.is_finite() && c.ascent > 0.0 && c.ascent <= 2.0 * size {
            c.ascent
        } else {
            0.95 * size
        };
        let descent = if c.descent.is_finite() && c.descent <= 0.0 && c.descent >= -size {
            -c.descent
        } else {
            0.35 * size
        };
        // pdf_oxide reports the advance of rotated glyphs as 0: such glyphs are "unsized" and
        // their words are cut at space characters instead of at gaps.
        let advance = [c.advance_width, c.bbox.width]
            .into_iter()
            .find(|a| a.is_finite() && *a > 0.0 && *a < 10.0 * size);
        if !c.origin_x.is_finite() || !c.origin_y.is_finite() {
            return None;
        }
        let (x, y) = self.point(c.origin_x, c.origin_y);
        // Drop glyphs drawn outside the visible page (hidden junk, crop marks).
        let (width, height) = self.display_size();
        if x < -size || y < -size || x > width + size || y > height + size {
            return None;
        }
        let (fx, fy) = to_frame(dir, x, y);
        Some(Glyph {
            ch: c.char,
            dir,
            sized: advance.is_some(),
            x0: fx,
            x1: fx + advance.unwrap_or(0.0),
            top: fy - ascent,
            baseline: fy,
            bottom: fy + descent,
            size,
        })
    }
}

/// Display space to the text frame of a direction (quarter turns clockwise): in the frame the
/// text runs toward +x and its glyphs stand upright (y down).
fn to_frame(dir: u8, x: f32, y: f32) -> (f32, f32) {
    match dir {
        1 => (y, -x),
        2 => (-x, -y),
        3 => (-y, x),
        _ => (x, y),
    }
}

fn from_frame(dir: u8, fx: f32, fy: f32) -> (f32, f32) {
    match dir {
        1 => (-fy, fx),
        2 => (-fx, -fy),
        3 => (fy, -fx),
        _ => (fx, fy),
    }
}

/// A glyph in the text frame of its direction.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    /// A whitespace glyph only matters as a word break between unsized glyphs.
    ch: char,
    dir: u8,
    /// Whether `x1` is known (from the glyph's advance); if not, `x1 == x0`.
    sized: bool,
    x0: f32,
    x1: f32,
    top: f32,
    baseline: f32,
    bottom: f32,
    size: f32,
}

/// Glyphs sharing a visual row (in one direction's frame).
struct Row {
    glyphs: Vec<Glyph>,
    baseline: f32,
    top: f32,
    bottom: f32,
}

impl Row {
    fn new(g: Glyph) -> Row {
        Row {
            glyphs: vec![g],
            baseline: g.baseline,
            top: g.top,
            bottom: g.bottom,
        }
    }

    fn push(&mut self, g: Glyph) {
        self.top = self.top.min(g.top);
        self.bottom = self.bottom.max(g.bottom);
        self.glyphs.push(g);
    }

    fn absorb(&mut self, other: Row) {
        // The baseline of the row with more glyphs is the row's baseline.
        if other.glyphs.len() > self.glyphs.len() {
            self.baseline = other.baseline;
        }
        self.top = self.top.min(other.top);
        self.bottom = self.bottom.max(other.bottom);
        self.glyphs.extend(other.glyphs);
        self.glyphs.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    }
}

/// Builds words and lines from positioned glyphs (the geometric half of [`text_layer`]).
fn build_page(number: u32, width: f32, height: f32, glyphs: Vec<Glyph>) -> TextPage {
    let mut advances: Vec<f32> = glyphs
        .iter()
        .filter(|g| g.dir == 0 && g.sized && !g.ch.is_whitespace())
        .map(|g| g.x1 - g.x0)
        .collect();
    let char_width = median(&mut advances).unwrap_or(5.0).max(0.5);

    // (sort key, dir, words) per line, all directions together.
    let mut lines: Vec<(f32, f32, Vec<Word>)> = Vec::new();
    for dir in 0..4u8 {
        let mut bucket: Vec<Glyph> = glyphs.iter().filter(|g| g.dir == dir).copied().collect();
        if bucket.is_empty() {
            continue;
        }
        for row in rows(&mut bucket) {
            let words = words_of(&row, dir);
            if words.is_empty() {
                continue;
            }
            let bbox = union(words.iter().map(|w| w.bbox));
            let key = if dir == 0 {
                row.baseline
            } else {
                (bbox.y0 + bbox.y1) / 2.0
            };
            lines.push((key, bbox.x0, words));
        }
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));

    let mut page = TextPage {
        number,
        width,
        height,
        words: Vec::new(),
        lines: Vec::with_capacity(lines.len()),
        char_width,
    };
    for (_, _, words) in lines {
        let start = page.words.len();
        let bbox = union(words.iter().map(|w| w.bbox));
        let text = words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        page.words.extend(words);
        page.lines.push(Line {
            words: start..page.words.len(),
            bbox,
            text,
        });
    }
    page
}

/// Groups glyphs of one direction into rows: by baseline first, then rows that share a band
/// without colliding horizontally are merged. Rows come out top to bottom, glyphs left to right.
fn rows(glyphs: &mut [Glyph]) -> Vec<Row> {
    glyphs.sort_by(|a, b| {
        a.baseline
            .total_cmp(&b.baseline)
            .then(a.x0.total_cmp(&b.x0))
    });
    let (spaces, ink): (Vec<Glyph>, Vec<Glyph>) = glyphs.iter().partition(|g| g.ch.is_whitespace());
    let mut rows: Vec<Row> = Vec::new();
    let mut first: Option<Glyph> = None;
    for g in ink.iter() {
        let joins = match (first, rows.last()) {
            (Some(f), Some(_)) => {
                (g.baseline - f.baseline).abs() <= 0.35 * g.size.min(f.size).max(1.0)
            }
            _ => false,
        };
        match rows.last_mut() {
            Some(row) if joins => row.push(*g),
            _ => {
                rows.push(Row::new(*g));
                first = Some(*g);
            }
        }
    }
    for row in &mut rows {
        row.glyphs.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    }

    // Merge neighbours that overlap vertically by most of the smaller height and do not
    // overlap horizontally (a superscript, a cell set half a point lower, a bigger label).
    let mut merged: Vec<Row> = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(last) = merged.last_mut() {
            let overlap = last.bottom.min(row.bottom) - last.top.max(row.top);
            let smaller = (last.bottom - last.top).min(row.bottom - row.top).max(0.1);
            if overlap >= 0.6 * smaller && !collide(&last.glyphs, &row.glyphs) {
                last.absorb(row);
                continue;
            }
        }
        merged.push(row);
    }

    // Space characters separate words of unsized (rotated) glyphs, whose gaps are unknown.
    if ink.iter().any(|g| !g.sized) {
        // (baseline, first x0, last x0) of each row, before spaces are added.
        let spans: Vec<(f32, f32, f32)> = merged
            .iter()
            .map(|r| {
                let first = r.glyphs.first().map_or(0.0, |g| g.x0);
                let last = r.glyphs.last().map_or(0.0, |g| g.x0);
                (r.baseline, first, last)
            })
            .collect();
        for sp in spaces {
            let home = spans.iter().position(|&(baseline, first, last)| {
                (baseline - sp.baseline).abs() <= 0.35 * sp.size.max(1.0)
                    && first <= sp.x0
                    && sp.x0 <= last
            });
            if let Some(i) = home {
                merged[i].glyphs.push(sp);
            }
        }
        for row in &mut merged {
            row.glyphs.sort_by(|a, b| a.x0.total_cmp(&b.x0));
            estimate_unsized(&mut row.glyphs);
        }
    }
    merged
}

/// Gives unsized glyphs (pdf_oxide reports no advance for rotated text) an extent.
///
/// A glyph followed by a space glyph ends where the space starts (a space is drawn where the
/// previous advance ended). Otherwise the advance is estimated from Helvetica's proportions,
/// scaled by the row's own ratio of origin distance to Helvetica width (its lower third, which
/// pairs inside words dominate), so a narrower or wider font is measured by itself and word
/// gaps stand out.
fn estimate_unsized(glyphs: &mut [Glyph]) {
    let mut ratios: Vec<f32> = glyphs
        .windows(2)
        .filter(|p| !p[0].sized && !p[0].ch.is_whitespace() && !p[1].ch.is_whitespace())
        .map(|p| (p[1].x0 - p[0].x0) / (helvetica_em(p[0].ch) * p[0].size))
        .filter(|r| r.is_finite() && *r > 0.3 && *r < 3.0)
        .collect();
    ratios.sort_by(f32::total_cmp);
    let ratio = ratios
        .get(ratios.len() / 3)
        .copied()
        .unwrap_or(1.0)
        .clamp(0.6, 1.6);
    for i in 0..glyphs.len() {
        if glyphs[i].sized || glyphs[i].ch.is_whitespace() {
            continue;
        }
        let g = glyphs[i];
        let mut x1 = g.x0 + ratio * helvetica_em(g.ch) * g.size;
        if let Some(next) = glyphs.get(i + 1)
            && next.ch.is_whitespace()
            && next.x0 > g.x0
            && next.x0 - g.x0 < 1.2 * g.size
        {
            x1 = next.x0;
        }
        glyphs[i].x1 = x1;
    }
}

/// Helvetica's advance width in em (AFM), the estimate for glyphs without a known advance.
fn helvetica_em(c: char) -> f32 {
    const W: [u16; 95] = [
        278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
        556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722,
        722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
        667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 222, 556, 556, 500, 556, 556, 278, 556,
        556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,
        500, 334, 260, 334, 584,
    ];
    let i = c as u32;
    let units = if (32..127).contains(&i) {
        W[(i - 32) as usize]
    } else if c.is_uppercase() {
        700
    } else {
        556
    };
    f32::from(units) / 1000.0
}

/// Whether any glyph of `a` overlaps any glyph of `b` horizontally (both sorted by `x0`).
fn collide(a: &[Glyph], b: &[Glyph]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let eps = 0.1 * a[i].size.min(b[j].size);
        if a[i].x1 <= b[j].x0 + eps {
            i += 1;
        } else if b[j].x1 <= a[i].x0 + eps {
            j += 1;
        } else {
            return true;
        }
    }
    false
}

/// Cuts a row into words at gaps wider than [`WORD_BREAK`] font sizes, dropping duplicated
/// glyphs (fake bold drawn twice at almost the same place).
fn words_of(row: &Row, dir: u8) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Vec<Glyph> = Vec::new();
    for g in &row.glyphs {
        if g.ch.is_whitespace() {
            if current.last().is_some_and(|p| !p.sized) {
                words.push(make_word(&current, dir));
                current.clear();
            }
            continue;
        }
        if let Some(prev) = current.last() {
            let size = g.size.max(prev.size);
            let duplicate = g.ch == prev.ch
                && (g.x0 - prev.x0).abs() < 0.15 * size
                && (g.baseline - prev.baseline).abs() < 0.15 * size;
            if duplicate {
                continue;
            }
            // Estimated extents (unsized glyphs) need a wider margin than measured ones.
            let threshold = if prev.sized && g.sized {
                WORD_BREAK
            } else {
                WORD_BREAK_ESTIMATED
            };
            let split = g.x0 - prev.x1 > threshold * size;
            if split {
                words.push(make_word(&current, dir));
                current.clear();
            }
        }
        current.push(*g);
    }
    if !current.is_empty() {
        words.push(make_word(&current, dir));
    }
    words
}

fn make_word(glyphs: &[Glyph], dir: u8) -> Word {
    let mut text = String::with_capacity(glyphs.len());
    let (mut x0, mut x1, mut top, mut bottom) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    let mut size: f32 = 0.0;
    for g in glyphs {
        push_char(&mut text, g.ch);
        x0 = x0.min(g.x0);
        x1 = x1.max(g.x1);
        top = top.min(g.top);
        bottom = bottom.max(g.bottom);
        size = size.max(g.size);
    }
    let (ax, ay) = from_frame(dir, x0, top);
    let (bx, by) = from_frame(dir, x1, bottom);
    Word {
        text,
        bbox: BBox::new(ax, ay, bx, by),
        font_size: size,
        horizontal: dir == 0,
    }
}

/// Appends a character, expanding typographic ligatures as pdftotext does.
fn push_char(text: &mut String, ch: char) {
    match ch {
        '\u{FB00}' => text.push_str("ff"),
        '\u{FB01}' => text.push_str("fi"),
        '\u{FB02}' => text.push_str("fl"),
        '\u{FB03}' => text.push_str("ffi"),
        '\u{FB04}' => text.push_str("ffl"),
        '\u{FB05}' | '\u{FB06}' => text.push_str("st"),
        c => text.push(c),
    }
}

fn union(mut boxes: impl Iterator<Item = BBox>) -> BBox {
    let first = boxes.next().unwrap_or(BBox::new(0.0, 0.0, 0.0, 0.0));
    boxes.fold(first, BBox::union)
}

fn median(values: &mut [f32]) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    let mid = values.len() / 2;
    let (_, m, _) = values.select_nth_unstable_by(mid, f32::total_cmp);
    Some(*m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glyphs of `text` at `x`, baseline `y` (display space), fixed advance 0.5 em.
    fn run(text: &str, x: f32, y: f32, size: f32) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .filter(|(_, c)| !c.is_whitespace())
            .map(|(i, ch)| {
                let x0 = x + i as f32 * 0.5 * size;
                Glyph {
                    ch,
                    dir: 0,
                    sized: true,
                    x0,
                    x1: x0 + 0.5 * size,
                    top: y - 0.75 * size,
                    baseline: y,
                    bottom: y + 0.25 * size,
                    size,
                }
            })
            .collect()
    }

    fn page(glyphs: Vec<Glyph>) -> TextPage {
        build_page(1, 595.0, 842.0, glyphs)
    }

    #[test]
    fn words_split_on_gaps_and_lines_sort_top_down() {
        let mut g = run("Total due", 50.0, 200.0, 10.0);
        g.extend(run("Invoice 42", 50.0, 100.0, 10.0));
        let p = page(g);
        let texts: Vec<&str> = p.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Invoice 42", "Total due"]);
        assert_eq!(p.words.len(), 4);
        assert_eq!(p.words[0].text, "Invoice");
        let b = p.words[0].bbox;
        assert!((b.x0 - 50.0).abs() < 0.01 && (b.y0 - 92.5).abs() < 0.01);
        assert!((b.x1 - 85.0).abs() < 0.01 && (b.y1 - 102.5).abs() < 0.01);
    }

    #[test]
    fn columns_on_one_baseline_stay_one_line_with_a_wide_gap() {
        let mut g = run("Qty", 50.0, 100.0, 10.0);
        g.extend(run("Amount", 400.0, 100.5, 10.0));
        let p = page(g);
        assert_eq!(p.lines.len(), 1);
        let text = p.lines[0].text_with_gaps(&p);
        assert!(text.starts_with("Qty  "), "{text:?}");
        assert!(text.trim_end().ends_with("Amount"));
        assert!(text.contains("     "));
    }

    #[test]
    fn superscripts_join_their_line() {
        let mut g = run("10 m", 50.0, 100.0, 10.0);
        g.extend(run("2", 70.5, 96.0, 6.0));
        let p = page(g);
        assert_eq!(p.lines.len(), 1, "{:?}", p.lines);
        assert_eq!(p.lines[0].text, "10 m2");
    }

    #[test]
    fn doubled_glyphs_are_dropped() {
        let mut g = run("Bold", 50.0, 100.0, 10.0);
        g.extend(run("Bold", 50.3, 100.0, 10.0));
        let p = page(g);
        assert_eq!(p.lines[0].text, "Bold");
    }

    #[test]
    fn grid_aligns_columns_across_lines() {
        let mut g = run("Widget", 50.0, 100.0, 10.0);
        g.extend(run("12.00", 300.0, 100.0, 10.0));
        g.extend(run("Very long item name", 50.0, 115.0, 10.0));
        g.extend(run("7.50", 300.0, 115.0, 10.0));
        let p = page(g);
        let a = p.lines[0].text_with_gaps(&p);
        let b = p.lines[1].text_with_gaps(&p);
        assert_eq!(a.find("12.00"), b.find("7.50"), "{a:?} / {b:?}");
    }

    #[test]
    fn frames_round_trip() {
        for dir in 0..4 {
            let (fx, fy) = to_frame(dir, 12.0, 34.0);
            assert_eq!(from_frame(dir, fx, fy), (12.0, 34.0));
        }
    }
}
#[cfg(test)]
mod rotated_tests {
    use super::*;

    #[test]
    fn unsized_glyphs_split_on_spaces() {
        let mut gs = Vec::new();
        for (i, ch) in "ab cd ef".chars().enumerate() {
            let x0 = 10.0 + i as f32 * 3.0;
            gs.push(Glyph {
                ch,
                dir: 3,
                sized: false,
                x0,
                x1: x0,
                top: 0.0,
                baseline: 5.0,
                bottom: 6.0,
                size: 5.0,
            });
        }
        let p = build_page(1, 100.0, 100.0, gs);
        let w: Vec<_> = p.words.iter().map(|w| w.text.clone()).collect();
        assert_eq!(w, ["ab", "cd", "ef"]);
    }
}
