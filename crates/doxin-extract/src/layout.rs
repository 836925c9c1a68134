//! The page layout the rules read: words with boxes grouped into lines, whatever produced
//! them (a PDF text layer, OCR, or a plain-text file laid on a character grid). Lines are
//! split into *segments* — runs of words without a wide gap — because a wide gap separates
//! columns, and labels and values are found by segment.

use doxin_model::{BBox, Source};

/// One word with its box (PDF points, top-left origin) and recognition confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutWord {
    pub text: String,
    pub bbox: BBox,
    /// 1.0 for a text layer; Tesseract's confidence / 100 for OCR.
    pub confidence: f32,
}

/// Words on one visual line, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutLine {
    pub words: Vec<LayoutWord>,
}

/// A run of words on a line without a column gap.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub text: String,
    pub bbox: BBox,
    pub confidence: f32,
    /// Index range into the line's words.
    pub words: std::ops::Range<usize>,
}

impl LayoutLine {
    pub fn bbox(&self) -> BBox {
        self.words
            .iter()
            .map(|w| w.bbox)
            .reduce(BBox::union)
            .unwrap_or(BBox::new(0.0, 0.0, 0.0, 0.0))
    }

    pub fn text(&self) -> String {
        self.words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Typical character width on this line, to judge gaps in "characters".
    fn char_width(&self) -> f32 {
        let (w, n) = self.words.iter().fold((0.0, 0usize), |(w, n), word| {
            (
                w + (word.bbox.x1 - word.bbox.x0),
                n + word.text.chars().count(),
            )
        });
        if n == 0 { 5.0 } else { (w / n as f32).max(1.0) }
    }

    /// Splits the line where the gap between words is wider than `gap_chars` characters.
    pub fn segments(&self, gap_chars: f32) -> Vec<Segment> {
        let cw = self.char_width();
        let mut out: Vec<Segment> = Vec::new();
        let mut start = 0;
        for i in 0..self.words.len() {
            let split = i + 1 == self.words.len()
                || self.words[i + 1].bbox.x0 - self.words[i].bbox.x1 > gap_chars * cw;
            if split {
                out.push(self.segment(start..i + 1));
                start = i + 1;
            }
        }
        out
    }

    /// The segment made of the words in `range` (not empty).
    pub fn segment(&self, range: std::ops::Range<usize>) -> Segment {
        let words = &self.words[range.clone()];
        Segment {
            text: words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            bbox: words
                .iter()
                .map(|w| w.bbox)
                .reduce(BBox::union)
                .unwrap_or(BBox::new(0.0, 0.0, 0.0, 0.0)),
            confidence: words.iter().map(|w| w.confidence).fold(1.0, f32::min),
            words: range,
        }
    }
}

/// One page.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutPage {
    /// 1-based.
    pub number: u32,
    pub width: f32,
    pub height: f32,
    /// Top to bottom.
    pub lines: Vec<LayoutLine>,
}

/// The whole document as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub pages: Vec<LayoutPage>,
    /// `Text` for text layers and plain text, `Ocr` for recognised images.
    pub source: Source,
}

/// Width and height of one character cell when plain text is laid on a grid.
const GRID_W: f32 = 6.0;
const GRID_H: f32 = 12.0;

impl Layout {
    /// Lays plain text on a monospace grid so column alignment survives (`\f` starts a page).
    pub fn from_text(text: &str) -> Layout {
        let pages = text
            .split('\u{c}')
            .enumerate()
            .map(|(pi, page)| {
                let mut width = 0.0f32;
                let lines: Vec<LayoutLine> = page
                    .lines()
                    .enumerate()
                    .filter_map(|(row, line)| {
                        let mut words = Vec::new();
                        let mut col = 0usize;
                        let mut current = String::new();
                        let mut start_col = 0usize;
                        for ch in line.chars().chain(std::iter::once(' ')) {
                            if ch.is_whitespace() {
                                if !current.is_empty() {
                                    let y0 = row as f32 * GRID_H;
                                    words.push(LayoutWord {
                                        bbox: BBox::new(
                                            start_col as f32 * GRID_W,
                                            y0,
                                            col as f32 * GRID_W,
                                            y0 + GRID_H * 0.8,
                                        ),
                                        text: std::mem::take(&mut current),
                                        confidence: 1.0,
                                    });
                                }
                            } else {
                                if current.is_empty() {
                                    start_col = col;
                                }
                                current.push(ch);
                            }
                            col += if ch == '\t' { 8 - col % 8 } else { 1 };
                        }
                        width = width.max(col as f32 * GRID_W);
                        (!words.is_empty()).then_some(LayoutLine { words })
                    })
                    .collect();
                let height = page.lines().count() as f32 * GRID_H;
                LayoutPage {
                    number: pi as u32 + 1,
                    width: width.max(GRID_W),
                    height: height.max(GRID_H),
                    lines,
                }
            })
            .filter(|p| !p.lines.is_empty())
            .collect();
        Layout {
            pages,
            source: Source::Text,
        }
    }

    /// Every word of the document, for document-wide evidence (number and date formats).
    pub fn words(&self) -> impl Iterator<Item = &LayoutWord> {
        self.pages
            .iter()
            .flat_map(|p| p.lines.iter().flat_map(|l| l.words.iter()))
    }

    /// The document's text, line by line, for language evidence and logging.
    pub fn plain_text(&self) -> String {
        let mut s = String::new();
        for p in &self.pages {
            for l in &p.lines {
                s.push_str(&l.text());
                s.push('\n');
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_keeps_columns_apart() {
        let layout =
            Layout::from_text("Invoice No: 42          Date: 2026-01-02\n\nTotal   12.00\n");
        assert_eq!(layout.pages.len(), 1);
        let lines = &layout.pages[0].lines;
        assert_eq!(lines.len(), 2);
        let segs = lines[0].segments(2.0);
        assert_eq!(
            segs.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(),
            ["Invoice No: 42", "Date: 2026-01-02"]
        );
        assert!(segs[1].bbox.x0 > segs[0].bbox.x1);
        assert!(
            lines[1].bbox().y0 > lines[0].bbox().y0,
            "later lines are lower"
        );
    }

    #[test]
    fn form_feeds_start_pages() {
        let layout = Layout::from_text("page one\n\u{c}page two\n");
        assert_eq!(
            layout.pages.iter().map(|p| p.number).collect::<Vec<_>>(),
            [1, 2]
        );
    }
}
