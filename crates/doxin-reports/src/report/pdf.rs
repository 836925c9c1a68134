//! PDF: a summary page (title, notes, the first table and a chart), then every table on A4
//! pages with its charts drawn as vector graphics, one per currency.
//!
//! Written directly with `lopdf`, which the tree already builds for reading PDFs, in the
//! standard Helvetica fonts (no font files embedded; WinAnsiEncoding keeps the text layer
//! extractable, accents and the euro sign included). A typesetting engine such as typst would
//! lay out more finely but is a heavy dependency for a two-core build, and a report's pages
//! are tables and bars.
//!
//! Long tables are cut at [`MAX_PDF_ROWS`] rows with a line saying so: a PDF is for reading;
//! the XLSX and CSV hold every row.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, Stream, StringFormat, dictionary};

use super::{Cell, Chart, ChartData, ChartKind, Report, ReportError, Table};

/// A4 in points.
const PAGE: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 40.0;
/// Rows of one table printed at most.
pub const MAX_PDF_ROWS: usize = 400;
/// Charts drawn per table at most (one per currency).
const MAX_PDF_CHARTS: usize = 4;
/// Bars per chart at most (two years of months).
const MAX_BARS: usize = 24;
const ROW_HEIGHT: f32 = 12.0;
const FONT_SIZE: f32 = 7.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
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
}

/// Helvetica widths (1/1000 em) of printable ASCII, from the AFM file; other characters count
/// as a digit's width. Only used to right-align numbers and to cut text to its column.
const WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Width of `text` at `size` (bold text is about 5 % wider; counted so).
fn width(text: &str, size: f32, font: Font) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            ' '..='~' => u32::from(WIDTHS[(c as usize) - 32]),
            _ => 556,
        })
        .sum();
    let w = units as f32 / 1000.0 * size;
    if font == Font::Bold { w * 1.05 } else { w }
}

/// Encodes text for WinAnsiEncoding; characters outside it become `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            let code = c as u32;
            if (0x20..0x7F).contains(&code) || (0xA0..=0xFF).contains(&code) {
                code as u8
            } else {
                match c {
                    '€' => 0x80,
                    '–' => 0x96,
                    '—' => 0x97,
                    '’' => 0x92,
                    '‘' => 0x91,
                    '“' => 0x93,
                    '”' => 0x94,
                    '•' => 0x95,
                    _ => b'?',
                }
            }
        })
        .collect()
}

/// `text` cut (with `…` as `...`) to fit `max` points.
fn fit(text: &str, size: f32, font: Font, max: f32) -> String {
    if width(text, size, font) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if width(&out, size, font) + width("...", size, font) > max {
            out.pop();
            break;
        }
    }
    out.push_str("...");
    out
}

/// Drawing operations of one page, y measured from the top.
#[derive(Default)]
struct Page {
    ops: Vec<Operation>,
}

fn real(v: f32) -> Object {
    Object::Real((v * 100.0).round() / 100.0)
}

impl Page {
    fn text(&mut self, x: f32, y: f32, size: f32, font: Font, text: &str) {
        self.ops.extend([
            Operation::new("BT", vec![]),
            Operation::new("g", vec![real(0.0)]),
            Operation::new("Tf", vec![font.resource().into(), real(size)]),
            Operation::new("Td", vec![real(x), real(PAGE.1 - y)]),
            Operation::new(
                "Tj",
                vec![Object::String(win_ansi(text), StringFormat::Literal)],
            ),
            Operation::new("ET", vec![]),
        ]);
    }

    fn text_right(&mut self, right: f32, y: f32, size: f32, font: Font, text: &str) {
        self.text(right - width(text, size, font), y, size, font, text);
    }

    /// A filled rectangle from its top-left corner, in an RGB colour.
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32)) {
        self.ops.extend([
            Operation::new("rg", vec![real(rgb.0), real(rgb.1), real(rgb.2)]),
            Operation::new("re", vec![real(x), real(PAGE.1 - y - h), real(w), real(h)]),
            Operation::new("f", vec![]),
        ]);
    }

    fn line(&mut self, points: &[(f32, f32)], width: f32, rgb: (f32, f32, f32)) {
        let Some((first, rest)) = points.split_first() else {
            return;
        };
        self.ops.extend([
            Operation::new("RG", vec![real(rgb.0), real(rgb.1), real(rgb.2)]),
            Operation::new("w", vec![real(width)]),
            Operation::new("m", vec![real(first.0), real(PAGE.1 - first.1)]),
        ]);
        for p in rest {
            self.ops
                .push(Operation::new("l", vec![real(p.0), real(PAGE.1 - p.1)]));
        }
        self.ops.push(Operation::new("S", vec![]));
    }
}

/// Lays pages out top to bottom.
struct Writer {
    pages: Vec<Page>,
    y: f32,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            pages: vec![Page::default()],
            y: MARGIN,
        }
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = MARGIN;
    }

    /// Makes room for `h` points, starting a page when they do not fit.
    fn room(&mut self, h: f32) {
        if self.y + h > PAGE.1 - MARGIN {
            self.new_page();
        }
    }

    fn line_of_text(&mut self, text: &str, size: f32, font: Font) {
        self.room(size * 1.6);
        self.y += size * 1.3;
        let y = self.y;
        let text = fit(text, size, font, PAGE.0 - 2.0 * MARGIN);
        self.page().text(MARGIN, y, size, font, &text);
        self.y += size * 0.3;
    }

    fn table(&mut self, t: &Table) {
        self.room(60.0);
        self.line_of_text(&format!("{}: {}", t.sheet, t.title), 11.0, Font::Bold);
        if t.rows.is_empty() {
            self.line_of_text("No data", FONT_SIZE + 1.0, Font::Regular);
            return;
        }
        let usable = PAGE.0 - 2.0 * MARGIN;
        let n = t.columns.len().max(1);
        // Text columns (a name, a label) get twice the room of number columns.
        let texty: Vec<bool> = (0..n)
            .map(|c| {
                t.rows
                    .iter()
                    .any(|r| matches!(r.get(c), Some(Cell::Text(_))))
            })
            .collect();
        let weights: Vec<f32> = texty.iter().map(|t| if *t { 2.0 } else { 1.0 }).collect();
        let total: f32 = weights.iter().sum();
        let widths: Vec<f32> = weights.iter().map(|w| usable * w / total).collect();
        let header = |w: &mut Writer| {
            w.room(ROW_HEIGHT * 2.0);
            w.y += ROW_HEIGHT;
            let y = w.y;
            let mut x = MARGIN;
            for (c, column) in t.columns.iter().enumerate() {
                let cw = widths[c];
                let label = fit(&column.name, FONT_SIZE, Font::Bold, cw - 4.0);
                if texty[c] {
                    w.page().text(x, y, FONT_SIZE, Font::Bold, &label);
                } else {
                    w.page()
                        .text_right(x + cw - 4.0, y, FONT_SIZE, Font::Bold, &label);
                }
                x += cw;
            }
            w.page().line(
                &[(MARGIN, y + 3.0), (PAGE.0 - MARGIN, y + 3.0)],
                0.5,
                (0.4, 0.4, 0.4),
            );
            w.y += 3.0;
        };
        header(self);
        for (i, row) in t.rows.iter().take(MAX_PDF_ROWS).enumerate() {
            if self.y + ROW_HEIGHT > PAGE.1 - MARGIN {
                self.new_page();
                header(self);
            }
            self.y += ROW_HEIGHT;
            let y = self.y;
            if i % 2 == 1 {
                self.page().rect(
                    MARGIN,
                    y - ROW_HEIGHT + 3.0,
                    usable,
                    ROW_HEIGHT,
                    (0.94, 0.95, 0.97),
                );
            }
            let mut x = MARGIN;
            for (c, cell) in row.iter().enumerate().take(n) {
                let cw = widths[c];
                let text = fit(&cell.text(), FONT_SIZE, Font::Regular, cw - 4.0);
                if texty[c] {
                    self.page().text(x, y, FONT_SIZE, Font::Regular, &text);
                } else {
                    self.page()
                        .text_right(x + cw - 4.0, y, FONT_SIZE, Font::Regular, &text);
                }
                x += cw;
            }
        }
        if t.rows.len() > MAX_PDF_ROWS {
            self.line_of_text(
                &format!(
                    "First {MAX_PDF_ROWS} of {} rows; the XLSX and CSV files hold them all.",
                    t.rows.len()
                ),
                FONT_SIZE + 1.0,
                Font::Regular,
            );
        }
        self.y += 6.0;
        for chart in t.charts.iter().take(MAX_PDF_CHARTS) {
            self.chart(t, chart);
        }
    }

    /// A chart as bars (or a line for a line chart) with its labels and values.
    fn chart(&mut self, t: &Table, chart: &Chart) {
        // (label, value) pairs of one series: the chart's last (the headline figure, such as
        // gross after net), named in the title when the chart has several.
        let mut title = chart.title.clone();
        let points: Vec<(String, f64)> = match &chart.data {
            ChartData::Columns {
                rows,
                category,
                values,
            } => {
                let Some(v) = values.last() else { return };
                if values.len() > 1
                    && let Some(c) = t.columns.get(*v)
                {
                    title = format!("{title}: {}", c.name);
                }
                t.rows[rows.clone()]
                    .iter()
                    .map(|r| {
                        (
                            r.get(*category).map(Cell::text).unwrap_or_default(),
                            number(r.get(*v)),
                        )
                    })
                    .collect()
            }
            ChartData::Row { row, values } => values
                .clone()
                .map(|c| {
                    (
                        t.columns.get(c).map(|c| c.name.clone()).unwrap_or_default(),
                        number(t.rows.get(*row).and_then(|r| r.get(c))),
                    )
                })
                .collect(),
        };
        if points.is_empty() {
            return;
        }
        let line = chart.kind == ChartKind::Line;
        // A line keeps every point (a trend); columns over periods the latest MAX_BARS; ranked
        // bars the first (the largest, as those tables are sorted).
        let points: Vec<(String, f64)> = match chart.kind {
            ChartKind::Line => points,
            ChartKind::Column => {
                let skip = points.len().saturating_sub(MAX_BARS);
                points.into_iter().skip(skip).collect()
            }
            _ => points.into_iter().take(MAX_BARS).collect(),
        };
        let max = points.iter().map(|p| p.1.abs()).fold(0.0_f64, f64::max);
        let label_w = 130.0;
        let value_w = 70.0;
        let plot_w = PAGE.0 - 2.0 * MARGIN - label_w - value_w;
        let height = if line {
            150.0
        } else {
            points.len() as f32 * 11.0 + 8.0
        };
        self.room(height + 30.0);
        self.line_of_text(&title, 9.0, Font::Bold);
        let top = self.y + 4.0;
        let blue = (0.16, 0.38, 0.67);
        if line {
            let n = points.len().max(2) - 1;
            let xy: Vec<(f32, f32)> = points
                .iter()
                .enumerate()
                .map(|(i, (_, v))| {
                    let x = MARGIN + label_w + plot_w * i as f32 / n as f32;
                    let frac = if max > 0.0 { (v / max) as f32 } else { 0.0 };
                    (x, top + height - 10.0 - frac * (height - 20.0))
                })
                .collect();
            let page = self.page();
            page.line(
                &[
                    (MARGIN + label_w, top + height - 10.0),
                    (MARGIN + label_w + plot_w, top + height - 10.0),
                ],
                0.5,
                (0.5, 0.5, 0.5),
            );
            page.line(&xy, 1.2, blue);
            if let (Some(first), Some(last)) = (points.first(), points.last()) {
                page.text(
                    MARGIN,
                    top + height - 8.0,
                    FONT_SIZE,
                    Font::Regular,
                    &first.0,
                );
                page.text_right(
                    MARGIN + label_w + plot_w,
                    top + height,
                    FONT_SIZE,
                    Font::Regular,
                    &last.0,
                );
                page.text(
                    MARGIN,
                    top + 8.0,
                    FONT_SIZE,
                    Font::Regular,
                    &format!("max {max:.2}"),
                );
            }
        } else {
            for (i, (label, v)) in points.iter().enumerate() {
                let y = top + i as f32 * 11.0;
                let frac = if max > 0.0 {
                    (v.abs() / max) as f32
                } else {
                    0.0
                };
                let page = self.page();
                page.text(
                    MARGIN,
                    y + 8.0,
                    FONT_SIZE,
                    Font::Regular,
                    &fit(label, FONT_SIZE, Font::Regular, label_w - 6.0),
                );
                page.rect(
                    MARGIN + label_w,
                    y + 1.0,
                    (plot_w * frac).max(0.5),
                    8.0,
                    blue,
                );
                page.text_right(
                    PAGE.0 - MARGIN,
                    y + 8.0,
                    FONT_SIZE,
                    Font::Regular,
                    &format!("{v:.2}"),
                );
            }
        }
        self.y = top + height + 10.0;
    }

    fn finish(self, title: &str) -> Result<Vec<u8>, ReportError> {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let mut fonts = Dictionary::new();
        for (font, base) in [(Font::Regular, "Helvetica"), (Font::Bold, "Helvetica-Bold")] {
            let id = doc.add_object(dictionary! {
                "Type" => "Font",
                "Subtype" => "Type1",
                "BaseFont" => base,
                "Encoding" => "WinAnsiEncoding",
            });
            fonts.set(font.resource(), id);
        }
        let resources_id = doc.add_object(dictionary! { "Font" => fonts });
        let mut kids = Vec::new();
        for page in self.pages {
            let bytes = Content {
                operations: page.ops,
            }
            .encode()
            .map_err(|e| ReportError::Pdf(e.to_string()))?;
            let mut stream = Stream::new(Dictionary::new(), bytes);
            // An uncompressed stream is still a valid stream.
            let _ = stream.compress();
            let content_id = doc.add_object(stream);
            kids.push(Object::Reference(doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
                "Resources" => resources_id,
                "MediaBox" => vec![0.into(), 0.into(), PAGE.0.into(), PAGE.1.into()],
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
            "Producer" => Object::string_literal("DoxIn"),
        });
        doc.trailer.set("Root", catalog_id);
        doc.trailer.set("Info", info_id);
        let mut out = Vec::new();
        doc.save_to(&mut out)?;
        Ok(out)
    }
}

/// A cell as a number for drawing (0 for text and empty cells).
fn number(cell: Option<&Cell>) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    match cell {
        Some(Cell::Money(d) | Cell::Percent(d) | Cell::Number(d)) => d.to_f64().unwrap_or(0.0),
        Some(Cell::Count(n)) => *n as f64,
        _ => 0.0,
    }
}

pub fn to_pdf(report: &Report) -> Result<Vec<u8>, ReportError> {
    let mut w = Writer::new();
    w.line_of_text(&report.title, 16.0, Font::Bold);
    for note in &report.notes {
        w.line_of_text(note, 9.0, Font::Regular);
    }
    w.y += 8.0;
    for (i, t) in report.tables.iter().enumerate() {
        // The summary page holds the first table; every further table starts a page.
        if i > 0 {
            w.new_page();
        }
        w.table(t);
        // A first table without a chart: the summary page shows the report's first chart.
        if i == 0
            && t.charts.is_empty()
            && let Some((t, c)) = report
                .tables
                .iter()
                .find_map(|t| t.charts.first().map(|c| (t, c)))
        {
            w.chart(t, c);
        }
    }
    w.finish(&report.title)
}
