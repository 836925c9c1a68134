//! Placing a drawn invoice on A4 pages in one of the layouts.

use crate::LayoutKind;
use crate::build::Doc;
use crate::pdf::{Align, Font, Page};

/// What a placed run shows, so the truth can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tag {
    Number,
    IssueDate,
    DueDate,
    Order,
    Customer,
    SellerName,
    BuyerName,
    SellerVat,
    BuyerVat,
    Register,
    Iban,
    Net,
    /// The label of the VAT line of breakdown row i (it holds the rate).
    TaxLabel(usize),
    Tax(usize),
    TaxTotal,
    Gross,
    LinePos(usize),
    LineDescription(usize),
    LineQuantity(usize),
    LinePrice(usize),
    LineRate(usize),
    LineAmount(usize),
    /// The second line under item i (serial number or period).
    LineSub(usize),
    /// The discount of item i, where its amount is printed (a line under the item).
    LineDiscount(usize),
    LineArticle(usize),
    LineUnit(usize),
}

/// Where a tagged run ended up: 1-based page, box (top-left origin, points) and its text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placed {
    pub page: u32,
    pub bbox: (f32, f32, f32, f32),
    pub text: String,
}

/// The laid-out document.
pub(crate) struct Laid {
    pub pages: Vec<Page>,
    tags: Vec<(Tag, Placed)>,
}

impl Laid {
    /// A document that was never laid out: the truth of its values without page positions.
    pub fn unplaced() -> Laid {
        Laid {
            pages: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// The first run with this tag.
    pub fn find(&self, tag: Tag) -> Option<&Placed> {
        self.tags.iter().find(|(t, _)| *t == tag).map(|(_, p)| p)
    }
}

pub(crate) const LEFT: f32 = 50.0;
pub(crate) const RIGHT: f32 = 545.0;
pub(crate) const ROW: f32 = 15.0;
/// The last table row's baseline on a page.
pub(crate) const ROW_LIMIT: f32 = 748.0;
/// Everything after the table ends above this.
pub(crate) const TAIL_LIMIT: f32 = 772.0;
const FOOTER_RULE: f32 = 782.0;

pub(crate) const REG: Font = Font::Regular;
pub(crate) const BOLD: Font = Font::Bold;
pub(crate) const L: Align = Align::Left;
pub(crate) const R: Align = Align::Right;
pub(crate) const LABEL_GRAY: f32 = 0.3;

pub(crate) struct Canvas<'d> {
    pub doc: &'d Doc,
    pub pages: Vec<Page>,
    /// The page being drawn on.
    pub current: usize,
    pub tags: Vec<(Tag, usize, usize)>,
}

impl<'d> Canvas<'d> {
    pub fn new(doc: &'d Doc) -> Self {
        Canvas {
            doc,
            pages: vec![Self::blank(doc)],
            current: 0,
            tags: Vec::new(),
        }
    }

    pub fn page(&mut self) -> &mut Page {
        &mut self.pages[self.current]
    }

    fn blank(doc: &Doc) -> Page {
        if doc.layout == LayoutKind::Landscape {
            Page::landscape()
        } else {
            Page::default()
        }
    }

    pub fn new_page(&mut self) {
        self.pages.push(Self::blank(self.doc));
        self.current = self.pages.len() - 1;
    }

    #[allow(clippy::too_many_arguments)]
    pub fn put(
        &mut self,
        tag: Option<Tag>,
        x: f32,
        y: f32,
        size: f32,
        font: Font,
        align: Align,
        text: &str,
    ) -> f32 {
        self.put_gray(tag, x, y, size, font, align, 0.0, text)
    }

    /// Places a run; returns its width.
    #[allow(clippy::too_many_arguments)]
    pub fn put_gray(
        &mut self,
        tag: Option<Tag>,
        x: f32,
        y: f32,
        size: f32,
        font: Font,
        align: Align,
        gray: f32,
        text: &str,
    ) -> f32 {
        let page = self.current;
        let run = self.page().text_gray(x, y, size, font, align, gray, text);
        if let Some(tag) = tag {
            self.tags.push((tag, page, run));
        }
        font.width(text, size)
    }

    /// A label and its value on one line: the label in gray at `x`, the value after it.
    pub fn label_value(
        &mut self,
        tag: Option<Tag>,
        x: f32,
        y: f32,
        size: f32,
        label: &str,
        value: &str,
    ) {
        let w = self.put_gray(None, x, y, size, REG, L, LABEL_GRAY, label);
        self.put(tag, x + w + 4.0, y, size, REG, L, value);
    }

    pub fn finish(self) -> Laid {
        let tags = self
            .tags
            .into_iter()
            .map(|(tag, page, run)| {
                let r = &self.pages[page].runs[run];
                (
                    tag,
                    Placed {
                        page: page as u32 + 1,
                        bbox: r.bbox(),
                        text: r.text.clone(),
                    },
                )
            })
            .collect();
        Laid {
            pages: self.pages,
            tags,
        }
    }
}

/// The invoice-data rows shown in header blocks: label, value, tag.
pub(crate) fn info_rows(doc: &Doc) -> Vec<(&'static str, String, Tag)> {
    let l = doc.labels;
    let mut rows = vec![
        (doc.number_label, doc.number.clone(), Tag::Number),
        (doc.date_label, doc.date(doc.issue), Tag::IssueDate),
    ];
    if let Some(due) = doc.due {
        rows.push((doc.due_label, doc.date(due), Tag::DueDate));
    }
    if let Some(c) = &doc.customer_no {
        rows.push((l.customer_no, c.clone(), Tag::Customer));
    }
    if let Some(o) = &doc.order_ref {
        rows.push((l.order, o.clone(), Tag::Order));
    }
    rows
}

/// Table column anchors: left edges of position and description, right edges of the numbers.
struct Cols {
    pos: Option<f32>,
    desc: f32,
    qty: f32,
    price: f32,
    rate: Option<f32>,
    amount: f32,
}

fn columns(doc: &Doc) -> Cols {
    let pos = doc.show_pos.then_some(LEFT);
    let desc = if pos.is_some() { LEFT + 30.0 } else { LEFT };
    if doc.show_vat_column {
        Cols {
            pos,
            desc,
            qty: 345.0,
            price: 425.0,
            rate: Some(478.0),
            amount: RIGHT,
        }
    } else {
        Cols {
            pos,
            desc,
            qty: 370.0,
            price: 460.0,
            rate: None,
            amount: RIGHT,
        }
    }
}

/// Draws the table header with its baseline at `y`; returns the first row's baseline.
fn table_header(c: &mut Canvas<'_>, cols: &Cols, y: f32) -> f32 {
    let doc = c.doc;
    let l = doc.labels;
    let size = 8.5;
    match doc.layout {
        LayoutKind::Modern => c
            .page()
            .fill(LEFT - 5.0, y - 12.0, RIGHT - LEFT + 10.0, 18.0, 0.88),
        LayoutKind::LabelColumn => c.page().rule(LEFT, y - 13.0, RIGHT, 0.6, 0.0),
        // Classic; the unseen layouts draw their own tables (unseen.rs).
        _ => {}
    }
    if let Some(x) = cols.pos {
        c.put(None, x, y, size, BOLD, L, l.pos);
    }
    c.put(None, cols.desc, y, size, BOLD, L, l.description);
    c.put(None, cols.qty, y, size, BOLD, R, l.qty);
    c.put(None, cols.price, y, size, BOLD, R, l.unit_price);
    if let Some(x) = cols.rate {
        let label = format!("{} %", doc.tax_label());
        c.put(None, x, y, size, BOLD, R, &label);
    }
    c.put(None, cols.amount, y, size, BOLD, R, l.amount);
    if doc.layout != LayoutKind::Modern {
        c.page().rule(LEFT, y + 5.0, RIGHT, 0.6, 0.0);
    }
    y + 20.0
}

fn table_row(c: &mut Canvas<'_>, cols: &Cols, i: usize, y: f32) {
    let doc = c.doc;
    let line = &doc.lines[i];
    let size = 9.0;
    if let Some(x) = cols.pos {
        c.put(
            Some(Tag::LinePos(i)),
            x,
            y,
            size,
            REG,
            L,
            &(i + 1).to_string(),
        );
    }
    c.put(
        Some(Tag::LineDescription(i)),
        cols.desc,
        y,
        size,
        REG,
        L,
        &line.description,
    );
    c.put(
        Some(Tag::LineQuantity(i)),
        cols.qty,
        y,
        size,
        REG,
        R,
        &doc.num.plain(line.quantity),
    );
    c.put(
        Some(Tag::LinePrice(i)),
        cols.price,
        y,
        size,
        REG,
        R,
        &doc.num.amount(line.unit_price),
    );
    if let Some(x) = cols.rate {
        c.put(
            Some(Tag::LineRate(i)),
            x,
            y,
            size,
            REG,
            R,
            &doc.rate(line.rate),
        );
    }
    c.put(
        Some(Tag::LineAmount(i)),
        cols.amount,
        y,
        size,
        REG,
        R,
        &doc.num.amount(line.amount),
    );
}

/// The heading of pages after the first; returns the table header's baseline.
fn continuation_head(c: &mut Canvas<'_>) -> f32 {
    let doc = c.doc;
    c.put(None, LEFT, 50.0, 10.0, BOLD, L, &doc.seller.name);
    let text = format!("{} {} ({})", doc.title(), doc.number, doc.labels.continued);
    c.put_gray(None, RIGHT, 50.0, 8.5, REG, R, LABEL_GRAY, &text);
    c.page().rule(LEFT, 58.0, RIGHT, 0.5, 0.5);
    88.0
}

/// The recipient window: a one-line sender above the buyer's address.
fn address_window(c: &mut Canvas<'_>, y: f32) -> f32 {
    let doc = c.doc;
    let sender = doc.seller.one_line(doc);
    let w = c.put_gray(None, LEFT, y, 6.5, REG, L, LABEL_GRAY, &sender);
    c.page().rule(LEFT, y + 2.0, LEFT + w, 0.3, LABEL_GRAY);
    buyer_block(c, y + 16.0)
}

/// Buyer name, address and VAT id from `y`; returns the baseline after the block.
fn buyer_block(c: &mut Canvas<'_>, y: f32) -> f32 {
    buyer_block_at(c, LEFT, y)
}

/// Buyer name, address and VAT id at `x` from `y`; returns the baseline after the block.
pub(crate) fn buyer_block_at(c: &mut Canvas<'_>, x: f32, mut y: f32) -> f32 {
    let doc = c.doc;
    c.put(Some(Tag::BuyerName), x, y, 10.0, REG, L, &doc.buyer.name);
    y += 13.0;
    for line in doc.buyer.address_lines(doc) {
        c.put(None, x, y, 10.0, REG, L, &line);
        y += 13.0;
    }
    if let Some(vat) = &doc.buyer.vat {
        let label = format!("{}:", doc.labels.vat_id);
        c.label_value(Some(Tag::BuyerVat), x, y, 9.0, &label, &vat.printed);
        y += 13.0;
    }
    y
}

fn classic_head(c: &mut Canvas<'_>) -> f32 {
    let doc = c.doc;
    c.put(
        Some(Tag::SellerName),
        LEFT,
        62.0,
        16.0,
        BOLD,
        L,
        &doc.seller.name,
    );
    let mut address = doc.seller.address_lines(doc);
    address.retain(|l| !l.is_empty());
    c.put_gray(
        None,
        LEFT,
        77.0,
        8.5,
        REG,
        L,
        LABEL_GRAY,
        &address.join(" · "),
    );
    let contact = [doc.seller.phone.clone(), doc.seller.email.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    c.put_gray(
        None,
        LEFT,
        89.0,
        8.5,
        REG,
        L,
        LABEL_GRAY,
        &format!("Tel. {contact}"),
    );

    let buyer_end = address_window(c, 136.0);
    let mut y = 152.0;
    for (label, value, tag) in info_rows(doc) {
        c.put_gray(
            None,
            340.0,
            y,
            9.0,
            REG,
            L,
            LABEL_GRAY,
            &format!("{label}:"),
        );
        if doc.values_right {
            c.put(Some(tag), RIGHT, y, 9.0, REG, R, &value);
        } else {
            c.put(Some(tag), 445.0, y, 9.0, REG, L, &value);
        }
        y += 14.0;
    }
    let title_y = buyer_end.max(y) + 36.0;
    c.put(None, LEFT, title_y, 15.0, BOLD, L, &doc.title());
    c.put(None, LEFT, title_y + 20.0, 9.0, REG, L, doc.labels.intro);
    title_y + 48.0
}

fn label_column_head(c: &mut Canvas<'_>) -> f32 {
    let doc = c.doc;
    let x = 330.0;
    c.put(
        Some(Tag::SellerName),
        x,
        58.0,
        12.0,
        BOLD,
        L,
        &doc.seller.name,
    );
    let mut y = 72.0;
    let mut lines = doc.seller.address_lines(doc);
    lines.extend(doc.seller.phone.iter().map(|p| format!("Tel. {p}")));
    lines.extend(doc.seller.email.iter().cloned());
    for line in lines {
        c.put_gray(None, x, y, 8.5, REG, L, LABEL_GRAY, &line);
        y += 11.0;
    }
    if let Some(vat) = &doc.seller.vat {
        c.label_value(
            Some(Tag::SellerVat),
            x,
            y,
            8.5,
            doc.labels.vat_id,
            &vat.printed,
        );
    }

    let buyer_end = address_window(c, 150.0);
    let title_y = buyer_end.max(y) + 34.0;
    c.put(None, LEFT, title_y, 18.0, BOLD, L, &doc.title());
    let mut y = title_y + 24.0;
    for (label, value, tag) in info_rows(doc) {
        c.put_gray(None, LEFT, y, 9.0, REG, L, LABEL_GRAY, label);
        c.put(Some(tag), 190.0, y, 9.0, REG, L, &value);
        y += 14.0;
    }
    y + 22.0
}

fn modern_head(c: &mut Canvas<'_>) -> f32 {
    let doc = c.doc;
    c.put(None, LEFT, 78.0, 26.0, BOLD, L, &doc.title());
    c.put(
        Some(Tag::SellerName),
        RIGHT,
        56.0,
        11.0,
        BOLD,
        R,
        &doc.seller.name,
    );
    let mut y = 70.0;
    for line in doc.seller.address_lines(doc) {
        c.put_gray(None, RIGHT, y, 8.5, REG, R, LABEL_GRAY, &line);
        y += 11.0;
    }
    if let Some(vat) = &doc.seller.vat {
        let w = c.put(Some(Tag::SellerVat), RIGHT, y, 8.5, REG, R, &vat.printed);
        c.put_gray(
            None,
            RIGHT - w - 4.0,
            y,
            8.5,
            REG,
            R,
            LABEL_GRAY,
            doc.labels.vat_id,
        );
        y += 11.0;
    }
    if let Some(email) = &doc.seller.email {
        c.put_gray(None, RIGHT, y, 8.5, REG, R, LABEL_GRAY, email);
        y += 11.0;
    }

    let top = y.max(110.0) + 14.0;
    c.page().rule(LEFT, top, RIGHT, 0.5, 0.6);
    let cells: Vec<_> = info_rows(doc).into_iter().take(4).collect();
    let step = (RIGHT - LEFT) / 4.0;
    for (i, (label, value, tag)) in cells.iter().enumerate() {
        let x = LEFT + step * i as f32;
        c.put_gray(None, x, top + 18.0, 8.0, BOLD, L, 0.35, label);
        c.put(Some(*tag), x, top + 34.0, 10.0, REG, L, value);
    }
    c.page().rule(LEFT, top + 45.0, RIGHT, 0.5, 0.6);

    let label_y = top + 70.0;
    c.put(None, LEFT, label_y, 9.0, BOLD, L, doc.labels.bill_to);
    let end = buyer_block(c, label_y + 15.0);
    end + 30.0
}

/// Height the totals block needs.
pub(crate) fn totals_height(doc: &Doc) -> f32 {
    20.0 + (2 + doc.breakdown.len()) as f32 * ROW
}

/// Height everything after the table needs.
fn tail_height(doc: &Doc) -> f32 {
    let notes = 30.0;
    match doc.layout {
        LayoutKind::LabelColumn => totals_height(doc) + 20.0 + 4.0 * 13.0 + notes,
        LayoutKind::Modern => totals_height(doc).max(70.0) + notes,
        // Classic; the unseen layouts are laid out in unseen.rs.
        _ => totals_height(doc) + notes,
    }
}

/// The totals block from `y`; returns the baseline after it.
fn totals(c: &mut Canvas<'_>, y: f32) -> f32 {
    let colon = if c.doc.layout == LayoutKind::Classic {
        ":"
    } else {
        ""
    };
    totals_at(c, 340.0, RIGHT, y, colon)
}

/// The subtotal and one row per VAT rate between `x` and `right` from baseline `y`, labels
/// ending in `colon`; returns the baseline after them.
pub(crate) fn net_and_tax_rows(
    c: &mut Canvas<'_>,
    x: f32,
    right: f32,
    mut y: f32,
    colon: &str,
) -> f32 {
    let doc = c.doc;
    c.put(
        None,
        x,
        y,
        9.0,
        REG,
        L,
        &format!("{}{colon}", doc.labels.subtotal),
    );
    c.put(
        Some(Tag::Net),
        right,
        y,
        9.0,
        REG,
        R,
        &doc.total_value(doc.net),
    );
    y += ROW;
    let single = doc.breakdown.len() == 1;
    for (i, &(rate, _taxable, tax)) in doc.breakdown.iter().enumerate() {
        let label = format!("{} {}{colon}", doc.tax_label(), doc.rate(rate));
        c.put(Some(Tag::TaxLabel(i)), x, y, 9.0, REG, L, &label);
        c.put(
            Some(Tag::Tax(i)),
            right,
            y,
            9.0,
            REG,
            R,
            &doc.total_value(tax),
        );
        if single && let Some(&(_, page, run)) = c.tags.last() {
            c.tags.push((Tag::TaxTotal, page, run));
        }
        y += ROW;
    }
    y
}

/// The totals block between `x` and `right` from `y`, labels ending in `colon`; returns the
/// baseline after it.
pub(crate) fn totals_at(c: &mut Canvas<'_>, x: f32, right: f32, y: f32, colon: &str) -> f32 {
    let doc = c.doc;
    let mut y = y + 12.0;
    c.page().rule(x, y - 12.0, right, 0.5, 0.0);
    y = net_and_tax_rows(c, x, right, y, colon);
    c.page().rule(x, y - 10.0, right, 0.8, 0.0);
    y += 2.0;
    c.put(
        None,
        x,
        y,
        10.0,
        BOLD,
        L,
        &format!("{}{colon}", doc.labels.total),
    );
    c.put(
        Some(Tag::Gross),
        right,
        y,
        10.0,
        BOLD,
        R,
        &doc.money(doc.gross),
    );
    y + ROW
}

/// Bank lines: label and value.
pub(crate) fn bank_rows(doc: &Doc) -> Vec<(&'static str, String, Option<Tag>)> {
    let a = &doc.account;
    let mut rows = Vec::new();
    if let Some(iban) = a.iban_printed() {
        rows.push(("IBAN", iban, Some(Tag::Iban)));
    }
    if let Some(bic) = &a.bic {
        rows.push(("BIC", bic.clone(), None));
    }
    if let Some(n) = &a.account_number {
        rows.push(("Account No.", n.clone(), None));
    }
    if let Some(n) = &a.routing_number {
        rows.push(("Routing No.", n.clone(), None));
    }
    rows.push((doc.labels.bank, a.bank.to_string(), None));
    rows
}

/// Payment terms and thanks from `y`.
pub(crate) fn closing(c: &mut Canvas<'_>, y: f32) {
    closing_at(c, LEFT, y);
}

/// Payment terms and thanks at `x` from `y`.
pub(crate) fn closing_at(c: &mut Canvas<'_>, x: f32, mut y: f32) {
    let doc = c.doc;
    if let Some(terms) = &doc.terms {
        c.put(None, x, y, 9.0, REG, L, terms);
        y += 13.0;
    }
    c.put(None, x, y, 9.0, REG, L, doc.labels.thanks);
}

pub(crate) fn footer(c: &mut Canvas<'_>, page: usize, count: usize) {
    let doc = c.doc;
    c.current = page;
    let size = 7.0;
    let gray = 0.35;
    c.page().rule(LEFT, FOOTER_RULE, RIGHT, 0.4, 0.6);
    let mut col1 = vec![doc.seller.name.clone()];
    col1.extend(crate::data::address_lines(doc.country, &doc.seller.place));
    let mut col2: Vec<(String, Option<Tag>)> = Vec::new();
    if let Some(p) = &doc.seller.phone {
        col2.push((format!("Tel. {p}"), None));
    }
    if let Some(e) = &doc.seller.email {
        col2.push((e.clone(), None));
    }
    if let Some((printed, _)) = &doc.seller.register {
        col2.push((printed.clone(), Some(Tag::Register)));
    }
    let mut y = FOOTER_RULE + 10.0;
    for line in &col1 {
        c.put_gray(None, LEFT, y, size, REG, L, gray, line);
        y += 9.0;
    }
    let mut y = FOOTER_RULE + 10.0;
    for (line, tag) in &col2 {
        c.put_gray(*tag, 215.0, y, size, REG, L, gray, line);
        y += 9.0;
    }
    // The two-column layout prints the bank details here too, its VAT id in the header.
    if matches!(doc.layout, LayoutKind::Classic | LayoutKind::TwoColumn) {
        if let Some(vat) = doc
            .seller
            .vat
            .as_ref()
            .filter(|_| doc.layout == LayoutKind::Classic)
        {
            let w = c.put_gray(None, 215.0, y, size, REG, L, gray, doc.labels.vat_id);
            c.put_gray(
                Some(Tag::SellerVat),
                215.0 + w + 3.0,
                y,
                size,
                REG,
                L,
                gray,
                &vat.printed,
            );
        }
        let mut y = FOOTER_RULE + 10.0;
        for (label, value, tag) in bank_rows(doc) {
            let w = c.put_gray(None, 400.0, y, size, REG, L, gray, label);
            c.put_gray(tag, 400.0 + w + 3.0, y, size, REG, L, gray, &value);
            y += 9.0;
        }
    }
    let (page_word, of) = doc.labels.page;
    let text = format!("{page_word} {} {of} {count}", page + 1);
    c.put_gray(None, RIGHT, 830.0, 7.5, REG, R, gray, &text);
}

pub(crate) fn lay_out(doc: &Doc) -> Laid {
    if doc.layout.is_unseen() {
        return crate::unseen::lay_out(doc);
    }
    let mut c = Canvas::new(doc);
    let cols = columns(doc);
    let header_y = match doc.layout {
        LayoutKind::LabelColumn => label_column_head(&mut c),
        LayoutKind::Modern => modern_head(&mut c),
        // Classic (the unseen layouts returned above).
        _ => classic_head(&mut c),
    };
    let mut y = table_header(&mut c, &cols, header_y);
    for i in 0..doc.lines.len() {
        if y > ROW_LIMIT {
            c.new_page();
            let h = continuation_head(&mut c);
            y = table_header(&mut c, &cols, h);
        }
        table_row(&mut c, &cols, i, y);
        y += ROW;
    }
    if y + tail_height(doc) > TAIL_LIMIT {
        c.new_page();
        y = continuation_head(&mut c);
    }
    let top = y;
    let end = totals(&mut c, top);
    match doc.layout {
        LayoutKind::LabelColumn => {
            let mut y = end + 20.0;
            c.put(None, LEFT, y, 9.0, BOLD, L, doc.labels.payment);
            y += 14.0;
            for (label, value, tag) in bank_rows(doc) {
                c.put_gray(None, LEFT, y, 9.0, REG, L, LABEL_GRAY, label);
                c.put(tag, 190.0, y, 9.0, REG, L, &value);
                y += 13.0;
            }
            closing(&mut c, y + 10.0);
        }
        LayoutKind::Modern => {
            let mut y = top + 12.0;
            c.put(None, LEFT, y, 9.0, BOLD, L, doc.labels.payment);
            y += 13.0;
            for (label, value, tag) in bank_rows(doc) {
                c.label_value(tag, LEFT, y, 8.5, &format!("{label}:"), &value);
                y += 12.0;
            }
            closing(&mut c, y.max(end) + 16.0);
        }
        // Classic (the unseen layouts returned above).
        _ => closing(&mut c, end + 16.0),
    }
    let count = c.pages.len();
    for page in 0..count {
        footer(&mut c, page, count);
    }
    c.finish()
}
