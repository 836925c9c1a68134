//! Template-free rules: read an invoice from a page layout (text layer, OCR or plain text)
//! with no per-vendor template.
//!
//! Document-wide evidence comes first (decimal mark, date order); then labels are found in
//! every segment of every line and their values looked for where documents put them — after
//! the label, in the next column, or below it. Totals are chosen as the candidate set that
//! satisfies the arithmetic (net + tax = gross, Σ lines = net); line items come from the
//! column structure under a header row. Every value carries its page, box and a confidence
//! built from the evidence that supported it.

pub mod dates;
mod header;
mod kind;
pub mod labels;
mod name_repair;
pub mod numbers;
mod parties;
mod table;
mod totals;

use doxin_model::{BBox, Extracted, Invoice, Source};

use crate::layout::{Layout, Segment};
use dates::DateOrder;
use labels::{LabelKind, LabelMatch};
use numbers::DecimalMark;

/// A segment with where it is.
#[derive(Debug, Clone)]
pub(crate) struct Seg {
    pub page: u32,
    /// Index of the line on its page.
    pub line: usize,
    pub seg: Segment,
    pub words: Vec<String>,
}

/// A label found in a segment.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub at: usize,
    pub label: LabelMatch,
}

/// Everything the field rules share.
pub(crate) struct Ctx<'a> {
    pub layout: &'a Layout,
    pub segs: Vec<Seg>,
    pub hits: Vec<Hit>,
    pub mark: DecimalMark,
    pub order: DateOrder,
    pub source: Source,
}

/// Whether a segment stands on a line that is a line table's header.
fn on_table_header(layout: &Layout, s: &Seg) -> bool {
    layout
        .pages
        .iter()
        .find(|p| p.number == s.page)
        .and_then(|p| p.lines.get(s.line))
        .is_some_and(table::is_header_line)
}

/// Two party headings set so close that they form one segment ("Service Provider Client",
/// "Lieferant Kunde") are two segments, each heading its own block. Anything else is left
/// as it is.
fn split_party_headings(line: &crate::layout::LayoutLine, seg: Segment) -> Vec<Segment> {
    let texts: Vec<&str> = line.words[seg.words.clone()]
        .iter()
        .map(|w| w.text.as_str())
        .collect();
    let party = |part: &[&str]| {
        labels::match_label(part).filter(|m| matches!(m.kind, LabelKind::Seller | LabelKind::Buyer))
    };
    // The first heading's words, when the rest of the segment is the other party's heading.
    let cut = party(&texts).and_then(|first| {
        let rest = texts.get(first.words_used..)?;
        let second = party(rest)?;
        (!rest.is_empty()
            && first.rest == rest.join(" ")
            && second.kind != first.kind
            && second.words_used == rest.len()
            && second.rest.is_empty())
        .then_some(first.words_used)
    });
    match cut {
        Some(k) => vec![
            line.segment(seg.words.start..seg.words.start + k),
            line.segment(seg.words.start + k..seg.words.end),
        ],
        None => vec![seg],
    }
}

/// A wide gap (in characters) separates columns.
const COLUMN_GAP_CHARS: f32 = 2.5;

impl<'a> Ctx<'a> {
    pub fn new(layout: &'a Layout) -> Ctx<'a> {
        let mut segs = Vec::new();
        for page in &layout.pages {
            for (li, line) in page.lines.iter().enumerate() {
                let segments = line
                    .segments(COLUMN_GAP_CHARS)
                    .into_iter()
                    .flat_map(|seg| split_party_headings(line, seg));
                for seg in segments {
                    let words = line.words[seg.words.clone()]
                        .iter()
                        .map(|w| w.text.clone())
                        .collect();
                    segs.push(Seg {
                        page: page.number,
                        line: li,
                        seg,
                        words,
                    });
                }
            }
        }
        let hits = segs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let words: Vec<&str> = s.words.iter().map(String::as_str).collect();
                labels::match_label(&words)
                    // "Lieferant GmbH" names a party; "Lieferant: ACME GmbH" labels one. The
                    // colon follows the label or the word after it ("Bill to Address:");
                    // "Invoice to pay by wire transfer to the following account:" is a
                    // sentence.
                    .filter(|m| {
                        let colon_after_label = words[..m.words_used.min(words.len())]
                            .iter()
                            .any(|w| w.contains(':'))
                            || words.get(m.words_used).is_some_and(|w| w.contains(':'));
                        !matches!(m.kind, LabelKind::Seller | LabelKind::Buyer)
                            || m.rest.is_empty()
                            || colon_after_label
                    })
                    // "To" names the addressee only as "To:"; "To be paid …" is a sentence.
                    .filter(|m| {
                        !(m.kind == LabelKind::Buyer
                            && m.tokens == 1
                            && words.first().is_some_and(|w| labels::norm(w) == "to")
                            && !words.first().is_some_and(|w| w.ends_with(':')))
                    })
                    // "Total price" heading a line table's column announces the rows' amounts
                    // below it, not a total.
                    .filter(|m| !(m.kind.is_total() && on_table_header(layout, s)))
                    .map(|label| Hit { at: i, label })
            })
            .collect();
        let mark = numbers::detect_decimal_mark(layout.words().map(|w| w.text.as_str()));
        let text = layout.plain_text();
        let us_hint = text.contains('$') || text.contains("USD");
        let order = dates::detect_date_order(layout.words().map(|w| w.text.as_str()), us_hint);
        Ctx {
            layout,
            segs,
            hits,
            mark,
            order,
            source: layout.source,
        }
    }

    pub fn hits_of(&self, kind: LabelKind) -> impl Iterator<Item = &Hit> {
        self.hits.iter().filter(move |h| h.label.kind == kind)
    }

    /// The next segment to the right on the same line.
    pub fn right_of(&self, i: usize) -> Option<usize> {
        let s = &self.segs[i];
        let n = self.segs.get(i + 1)?;
        (n.page == s.page && n.line == s.line).then_some(i + 1)
    }

    /// All segments after `i` on the same line.
    pub fn rest_of_line(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let (page, line) = (self.segs[i].page, self.segs[i].line);
        (i + 1..self.segs.len())
            .take_while(move |&j| self.segs[j].page == page && self.segs[j].line == line)
    }

    /// Segments on the next `max_lines` lines that overlap `i` horizontally, nearest first.
    pub fn below(&self, i: usize, max_lines: usize) -> Vec<usize> {
        let s = &self.segs[i];
        let (x0, x1) = (s.seg.bbox.x0, s.seg.bbox.x1);
        let mut out = Vec::new();
        for (j, t) in self.segs.iter().enumerate().skip(i + 1) {
            if t.page != s.page || t.line > s.line + max_lines {
                break;
            }
            if t.line == s.line {
                continue;
            }
            let overlap = t.seg.bbox.x1.min(x1) - t.seg.bbox.x0.max(x0);
            if overlap > 0.0 || (t.seg.bbox.x0 - x0).abs() < 12.0 {
                out.push(j);
            }
        }
        out
    }

    /// The first segment on the next two lines that starts right of `i`'s left edge, when no
    /// segment of those lines overlaps `i`.
    pub fn next_line_right(&self, i: usize) -> Option<usize> {
        let s = &self.segs[i];
        self.segs
            .iter()
            .enumerate()
            .skip(i + 1)
            .take_while(|(_, t)| t.page == s.page && t.line <= s.line + 2)
            .find(|(_, t)| t.line > s.line && t.seg.bbox.x0 > s.seg.bbox.x0)
            .map(|(j, _)| j)
    }

    /// Wraps a value with this document's provenance.
    pub fn value<T>(&self, value: T, raw: &str, i: usize, confidence: f32) -> Extracted<T> {
        let s = &self.segs[i];
        // A recognised word is never as sure as a text layer's: one misread digit passes
        // every arithmetic check that the misread total also fails. OCR values stay below
        // 0.9, the level at which values are taken without review.
        let conf = match self.source {
            Source::Ocr => (confidence * (0.6 + 0.4 * s.seg.confidence)).min(0.89),
            _ => confidence,
        };
        Extracted::new(value, self.source, conf)
            .with_raw(raw.trim())
            .at(s.page, s.seg.bbox)
    }

    pub fn value_at<T>(
        &self,
        value: T,
        raw: &str,
        page: u32,
        bbox: BBox,
        confidence: f32,
    ) -> Extracted<T> {
        Extracted::new(value, self.source, confidence)
            .with_raw(raw.trim())
            .at(page, bbox)
    }
}

/// What the rules read from a layout, with what a reviewer should know about the reading.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    pub invoice: Invoice,
    /// Doubts the rules could not settle (which party is the seller), in words.
    pub warnings: Vec<String>,
}

/// Reads an invoice from a layout with the template-free rules.
pub fn read(layout: &Layout) -> Reading {
    let mut reading = Reading::default();
    if layout.pages.is_empty() {
        return reading;
    }
    let ctx = Ctx::new(layout);
    let invoice = &mut reading.invoice;
    header::read_header(&ctx, invoice);
    kind::read_kind(&ctx, invoice);
    parties::read_parties(&ctx, invoice, &mut reading.warnings);
    invoice.lines = table::read_lines(&ctx);
    totals::read_totals(&ctx, invoice);
    reading
}

/// Reads an invoice from a layout with the template-free rules, without the doubts.
pub fn extract_invoice(layout: &Layout) -> Invoice {
    read(layout).invoice
}
