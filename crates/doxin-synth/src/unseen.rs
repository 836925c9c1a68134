//! The layouts added to measure the extraction rules on geometry they were not written against
//! ([`LayoutKind::UNSEEN`]): parties side by side, totals in a box on the left with the
//! invoice data beside it, items with sub-lines and discounts, and a landscape page with a
//! wide table. They share the canvas, the tags and some blocks with the original layouts
//! (`layout.rs`), whose output they leave untouched.

use crate::LayoutKind;
use crate::build::{Doc, LineData};
use crate::layout::{
    BOLD, Canvas, L, LABEL_GRAY, LEFT, Laid, R, REG, RIGHT, ROW, ROW_LIMIT, TAIL_LIMIT, Tag,
    bank_rows, buyer_block_at, closing_at, footer, info_rows, net_and_tax_rows, totals_at,
    totals_height,
};
use crate::pdf::{Align, Font};

/// Where things go on a page: margins, the last table row, the end of the content.
struct Geo {
    left: f32,
    right: f32,
    row_limit: f32,
    tail_limit: f32,
}

const PORTRAIT: Geo = Geo {
    left: LEFT,
    right: RIGHT,
    row_limit: ROW_LIMIT,
    tail_limit: TAIL_LIMIT,
};

/// 842 × 595: the same margins at the bottom as the portrait page's.
const LANDSCAPE: Geo = Geo {
    left: 40.0,
    right: 802.0,
    row_limit: 490.0,
    tail_limit: 522.0,
};
const LANDSCAPE_FOOTER_RULE: f32 = 532.0;

/// Spacing of the second lines under an item.
const SUB_ROW: f32 = 11.0;

/// What a table column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pos,
    Article,
    Description,
    Qty,
    Unit,
    Price,
    Discount,
    Rate,
    Amount,
}

/// A column: what it shows and where (left edge or right edge by its alignment).
struct Col {
    kind: Kind,
    x: f32,
    align: Align,
}

const fn col(kind: Kind, x: f32, align: Align) -> Col {
    Col { kind, x, align }
}

fn columns(doc: &Doc, geo: &Geo) -> Vec<Col> {
    let mut cols = Vec::new();
    let mut x = geo.left;
    if doc.show_pos {
        cols.push(col(Kind::Pos, x, L));
        x += 30.0;
    }
    let rate = doc.show_vat_column;
    match doc.layout {
        LayoutKind::Landscape => {
            cols.push(col(Kind::Article, x, L));
            cols.push(col(Kind::Description, x + 80.0, L));
            cols.extend([
                col(Kind::Qty, 520.0, R),
                col(Kind::Unit, 530.0, L),
                col(Kind::Price, 640.0, R),
                col(Kind::Rate, 710.0, R),
                col(Kind::Amount, geo.right, R),
            ]);
        }
        // Price before quantity.
        LayoutKind::LeftTotals => {
            cols.push(col(Kind::Description, x, L));
            let (price, qty) = if rate { (380.0, 430.0) } else { (400.0, 460.0) };
            cols.push(col(Kind::Price, price, R));
            cols.push(col(Kind::Qty, qty, R));
            if rate {
                cols.push(col(Kind::Rate, 482.0, R));
            }
            cols.push(col(Kind::Amount, geo.right, R));
        }
        LayoutKind::SubLines if doc.discount_column => {
            cols.push(col(Kind::Description, x, L));
            let [qty, price, discount] = if rate {
                [300.0, 370.0, 412.0]
            } else {
                [335.0, 415.0, 470.0]
            };
            cols.push(col(Kind::Qty, qty, R));
            cols.push(col(Kind::Price, price, R));
            cols.push(col(Kind::Discount, discount, R));
            if rate {
                cols.push(col(Kind::Rate, 478.0, R));
            }
            cols.push(col(Kind::Amount, geo.right, R));
        }
        _ => {
            cols.push(col(Kind::Description, x, L));
            let (qty, price) = if rate { (345.0, 425.0) } else { (370.0, 460.0) };
            cols.push(col(Kind::Qty, qty, R));
            cols.push(col(Kind::Price, price, R));
            if rate {
                cols.push(col(Kind::Rate, 478.0, R));
            }
            cols.push(col(Kind::Amount, geo.right, R));
        }
    }
    cols
}

fn header_text(doc: &Doc, kind: Kind) -> String {
    let l = doc.labels;
    let m = doc.more;
    match kind {
        Kind::Pos => l.pos.to_string(),
        Kind::Article => m.article.to_string(),
        Kind::Description => l.description.to_string(),
        Kind::Qty => l.qty.to_string(),
        Kind::Unit => m.unit.to_string(),
        Kind::Price => l.unit_price.to_string(),
        Kind::Discount => m.discount.to_string(),
        Kind::Rate => format!("{} %", doc.tax_label()),
        Kind::Amount => l.amount.to_string(),
    }
}

/// A cell's text and tag; `None` for an empty cell.
fn cell(doc: &Doc, kind: Kind, i: usize, line: &LineData) -> Option<(String, Option<Tag>)> {
    Some(match kind {
        Kind::Pos => ((i + 1).to_string(), Some(Tag::LinePos(i))),
        Kind::Article => (line.extra.article.clone()?, Some(Tag::LineArticle(i))),
        Kind::Description => (line.description.clone(), Some(Tag::LineDescription(i))),
        Kind::Qty => (doc.num.plain(line.quantity), Some(Tag::LineQuantity(i))),
        Kind::Unit => (line.extra.unit?.0.to_string(), Some(Tag::LineUnit(i))),
        Kind::Price => (doc.num.amount(line.unit_price), Some(Tag::LinePrice(i))),
        // The rate, not the amount the truth keeps: no tag.
        Kind::Discount => (doc.rate(line.extra.discount?.0), None),
        Kind::Rate => (doc.rate(line.rate), Some(Tag::LineRate(i))),
        Kind::Amount => (doc.num.amount(line.amount), Some(Tag::LineAmount(i))),
    })
}

/// How many second lines an item has.
fn sub_rows(doc: &Doc, line: &LineData) -> usize {
    usize::from(line.extra.sub_line.is_some())
        + usize::from(line.extra.discount.is_some() && !doc.discount_column)
}

/// The table header with its baseline at `y`; returns the first row's baseline.
fn table_header(c: &mut Canvas<'_>, cols: &[Col], geo: &Geo, y: f32) -> f32 {
    let doc = c.doc;
    let width = geo.right - geo.left;
    let mut gray = 0.0;
    match doc.layout {
        // White on a dark band.
        LayoutKind::TwoColumn => {
            c.page()
                .fill(geo.left - 5.0, y - 12.0, width + 10.0, 18.0, 0.25);
            gray = 1.0;
        }
        LayoutKind::LeftTotals => c.page().rule(geo.left, y + 5.0, geo.right, 0.8, 0.0),
        LayoutKind::SubLines => {
            c.page().rule(geo.left, y - 13.0, geo.right, 0.6, 0.0);
            c.page().rule(geo.left, y + 5.0, geo.right, 0.6, 0.0);
        }
        _ => c
            .page()
            .fill(geo.left - 5.0, y - 12.0, width + 10.0, 18.0, 0.88),
    }
    for col in cols {
        let text = header_text(doc, col.kind);
        c.put_gray(None, col.x, y, 8.5, BOLD, col.align, gray, &text);
    }
    y + 20.0
}

/// Item `i` with its baseline at `y` and its second lines below; returns the next row's
/// baseline.
fn table_row(c: &mut Canvas<'_>, cols: &[Col], geo: &Geo, i: usize, y: f32) -> f32 {
    let doc = c.doc;
    let line = &doc.lines[i];
    let height = ROW + SUB_ROW * sub_rows(doc, line) as f32;
    match doc.layout {
        LayoutKind::LeftTotals if i % 2 == 1 => c.page().fill(
            geo.left - 4.0,
            y - 11.0,
            geo.right - geo.left + 8.0,
            height,
            0.94,
        ),
        LayoutKind::SubLines => c
            .page()
            .rule(geo.left, y + height - 11.0, geo.right, 0.3, 0.75),
        _ => {}
    }
    let mut desc_x = geo.left;
    for col in cols {
        if col.kind == Kind::Description {
            desc_x = col.x;
        }
        if let Some((text, tag)) = cell(doc, col.kind, i, line) {
            c.put(tag, col.x, y, 9.0, REG, col.align, &text);
        }
    }
    let mut sub_y = y + SUB_ROW;
    let x = desc_x + 8.0;
    if let Some(text) = doc.sub_line_text(line) {
        c.put_gray(Some(Tag::LineSub(i)), x, sub_y, 7.5, REG, L, 0.35, &text);
        sub_y += SUB_ROW;
    }
    if let (Some((rate, amount)), false) = (line.extra.discount, doc.discount_column) {
        let what = doc.more.discount_row.replace("{}", &doc.rate(rate));
        let w = c.put_gray(None, x, sub_y, 7.5, REG, L, 0.35, &format!("{what}:"));
        let value = format!("-{}", doc.num.amount(amount));
        c.put_gray(
            Some(Tag::LineDiscount(i)),
            x + w + 3.0,
            sub_y,
            7.5,
            REG,
            L,
            0.35,
            &value,
        );
    }
    y + height
}

/// The heading of pages after the first; returns the table header's baseline.
fn continuation_head(c: &mut Canvas<'_>, geo: &Geo) -> f32 {
    let doc = c.doc;
    c.put(None, geo.left, 50.0, 10.0, BOLD, L, &doc.seller.name);
    let text = format!("{} {} ({})", doc.title(), doc.number, doc.labels.continued);
    c.put_gray(None, geo.right, 50.0, 8.5, REG, R, LABEL_GRAY, &text);
    c.page().rule(geo.left, 58.0, geo.right, 0.5, 0.5);
    88.0
}

/// Places `text` centred on `center`; returns its left edge.
#[allow(clippy::too_many_arguments)]
fn centered(
    c: &mut Canvas<'_>,
    tag: Option<Tag>,
    center: f32,
    y: f32,
    size: f32,
    font: Font,
    gray: f32,
    text: &str,
) -> f32 {
    let x = center - font.width(text, size) / 2.0;
    c.put_gray(tag, x, y, size, font, L, gray, text);
    x
}

/// Seller phone and e-mail on one line.
fn contact_line(doc: &Doc) -> String {
    [
        doc.seller.phone.as_ref().map(|p| format!("Tel. {p}")),
        doc.seller.email.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ")
}

/// Title, then seller ("From") and buyer ("Bill to") side by side, then the invoice data in a
/// two-column grid; returns the table header's baseline.
fn two_column_head(c: &mut Canvas<'_>) -> f32 {
    let doc = c.doc;
    let mid = 315.0;
    c.put(None, LEFT, 64.0, 22.0, BOLD, L, &doc.title());
    c.page().rule(LEFT, 76.0, RIGHT, 1.0, 0.0);
    let top = 100.0;

    c.put_gray(None, LEFT, top, 8.0, BOLD, L, 0.35, doc.more.from);
    c.put(
        Some(Tag::SellerName),
        LEFT,
        top + 15.0,
        11.0,
        BOLD,
        L,
        &doc.seller.name,
    );
    let mut y = top + 28.0;
    for line in doc.seller.address_lines(doc) {
        c.put(None, LEFT, y, 9.5, REG, L, &line);
        y += 12.5;
    }
    if let Some(vat) = &doc.seller.vat {
        let label = format!("{}:", doc.labels.vat_id);
        c.label_value(Some(Tag::SellerVat), LEFT, y, 8.5, &label, &vat.printed);
        y += 12.0;
    }
    for line in [
        doc.seller.phone.as_ref().map(|p| format!("Tel. {p}")),
        doc.seller.email.clone(),
    ]
    .into_iter()
    .flatten()
    {
        c.put_gray(None, LEFT, y, 8.5, REG, L, LABEL_GRAY, &line);
        y += 11.0;
    }

    c.put_gray(None, mid, top, 8.0, BOLD, L, 0.35, doc.labels.bill_to);
    let buyer_end = buyer_block_at(c, mid, top + 15.0);

    let grid = y.max(buyer_end) + 12.0;
    c.page().rule(LEFT, grid, RIGHT, 0.5, 0.6);
    let rows = info_rows(doc);
    let mut end = grid;
    for (k, (label, value, tag)) in rows.into_iter().enumerate() {
        let x = if k % 2 == 0 { LEFT } else { mid };
        let y = grid + 18.0 + (k / 2) as f32 * 15.0;
        c.put_gray(None, x, y, 9.0, REG, L, LABEL_GRAY, &format!("{label}:"));
        c.put(Some(tag), x + 105.0, y, 9.0, BOLD, L, &value);
        end = y;
    }
    c.page().rule(LEFT, end + 9.0, RIGHT, 0.5, 0.6);
    end + 42.0
}

/// Centred letterhead, buyer on the left and title on the right; returns the table header's
/// baseline. The invoice data comes after the table ([`left_totals_tail`]).
fn left_totals_head(c: &mut Canvas<'_>) -> f32 {
    let doc = c.doc;
    let center = (LEFT + RIGHT) / 2.0;
    centered(
        c,
        Some(Tag::SellerName),
        center,
        58.0,
        15.0,
        BOLD,
        0.0,
        &doc.seller.name,
    );
    let mut address = doc.seller.address_lines(doc);
    address.retain(|l| !l.is_empty());
    centered(
        c,
        None,
        center,
        74.0,
        8.5,
        REG,
        LABEL_GRAY,
        &address.join(" · "),
    );
    centered(
        c,
        None,
        center,
        86.0,
        8.5,
        REG,
        LABEL_GRAY,
        &contact_line(doc),
    );
    if let Some(vat) = &doc.seller.vat {
        let label = doc.labels.vat_id;
        let wl = REG.width(label, 8.5);
        let total = wl + 4.0 + REG.width(&vat.printed, 8.5);
        let x = center - total / 2.0;
        c.put_gray(None, x, 98.0, 8.5, REG, L, LABEL_GRAY, label);
        c.put_gray(
            Some(Tag::SellerVat),
            x + wl + 4.0,
            98.0,
            8.5,
            REG,
            L,
            LABEL_GRAY,
            &vat.printed,
        );
    }
    c.page().rule(LEFT, 108.0, RIGHT, 0.5, 0.6);

    c.put(None, RIGHT, 158.0, 20.0, BOLD, R, &doc.title());
    c.put_gray(None, LEFT, 140.0, 8.0, BOLD, L, 0.35, doc.labels.bill_to);
    let buyer_end = buyer_block_at(c, LEFT, 155.0);
    buyer_end + 40.0
}

/// Width of the totals box of [`LayoutKind::LeftTotals`].
const BOX_WIDTH: f32 = 235.0;

/// The totals in a framed box on the left from `top`, the invoice data to its right; returns
/// the baseline under both.
fn left_totals_tail(c: &mut Canvas<'_>, top: f32) -> f32 {
    let doc = c.doc;
    let (x, right) = (LEFT + 10.0, LEFT + BOX_WIDTH - 10.0);
    let mut y = top + 18.0;
    y = net_and_tax_rows(c, x, right, y, ":");
    c.page()
        .fill(LEFT + 1.0, y - 9.0, BOX_WIDTH - 2.0, 19.0, 0.9);
    y += 5.0;
    c.put(None, x, y, 10.0, BOLD, L, &format!("{}:", doc.labels.total));
    c.put(
        Some(Tag::Gross),
        right,
        y,
        10.0,
        BOLD,
        R,
        &doc.money(doc.gross),
    );
    let bottom = y + 9.0;
    c.page().frame(LEFT, top, BOX_WIDTH, bottom - top, 0.8, 0.0);

    let mut info_y = top + 18.0;
    for (label, value, tag) in info_rows(doc) {
        c.put_gray(None, 320.0, info_y, 9.0, REG, L, LABEL_GRAY, label);
        c.put(Some(tag), RIGHT, info_y, 9.0, REG, R, &value);
        info_y += 14.0;
    }
    bottom.max(info_y)
}

/// Height [`left_totals_tail`] needs, with the gap above it.
fn left_totals_height(doc: &Doc) -> f32 {
    let box_height = 18.0 + (1 + doc.breakdown.len()) as f32 * ROW + 14.0;
    let info = 18.0 + info_rows(doc).len() as f32 * 14.0;
    8.0 + box_height.max(info)
}

/// Seller letterhead, buyer on the left and a framed info box on the right; returns the
/// table header's baseline.
fn sub_lines_head(c: &mut Canvas<'_>) -> f32 {
    let doc = c.doc;
    c.put(
        Some(Tag::SellerName),
        LEFT,
        60.0,
        13.0,
        BOLD,
        L,
        &doc.seller.name,
    );
    let mut address = doc.seller.address_lines(doc);
    address.retain(|l| !l.is_empty());
    c.put_gray(
        None,
        LEFT,
        74.0,
        8.5,
        REG,
        L,
        LABEL_GRAY,
        &address.join(" · "),
    );
    c.put_gray(
        None,
        LEFT,
        86.0,
        8.5,
        REG,
        L,
        LABEL_GRAY,
        &contact_line(doc),
    );
    if let Some(vat) = &doc.seller.vat {
        c.label_value(
            Some(Tag::SellerVat),
            LEFT,
            98.0,
            8.5,
            doc.labels.vat_id,
            &vat.printed,
        );
    }
    c.page().rule(LEFT, 108.0, RIGHT, 0.4, 0.5);

    c.put_gray(None, LEFT, 136.0, 8.0, BOLD, L, 0.35, doc.labels.bill_to);
    let buyer_end = buyer_block_at(c, LEFT, 151.0);

    let (bx, bw, top) = (330.0, RIGHT - 330.0, 124.0);
    c.page().fill(bx, top, bw, 18.0, 0.85);
    c.put(None, bx + 8.0, top + 13.0, 11.0, BOLD, L, &doc.title());
    let mut y = top + 32.0;
    for (label, value, tag) in info_rows(doc) {
        c.put_gray(None, bx + 8.0, y, 8.5, REG, L, LABEL_GRAY, label);
        c.put(Some(tag), RIGHT - 8.0, y, 8.5, REG, R, &value);
        y += 14.0;
    }
    let bottom = y - 6.0;
    c.page().frame(bx, top, bw, bottom - top, 0.6, 0.0);

    let intro = buyer_end.max(bottom) + 26.0;
    c.put(None, LEFT, intro, 9.0, REG, L, doc.labels.intro);
    intro + 30.0
}

/// Seller, buyer and invoice data in three columns under a title on the right; returns the
/// table header's baseline.
fn landscape_head(c: &mut Canvas<'_>) -> f32 {
    let doc = c.doc;
    let g = &LANDSCAPE;
    c.put(
        Some(Tag::SellerName),
        g.left,
        52.0,
        14.0,
        BOLD,
        L,
        &doc.seller.name,
    );
    let mut y = 68.0;
    for line in doc.seller.address_lines(doc) {
        c.put_gray(None, g.left, y, 8.5, REG, L, LABEL_GRAY, &line);
        y += 11.0;
    }
    if let Some(vat) = &doc.seller.vat {
        c.label_value(
            Some(Tag::SellerVat),
            g.left,
            y,
            8.5,
            doc.labels.vat_id,
            &vat.printed,
        );
        y += 11.0;
    }
    let contact = contact_line(doc);
    c.put_gray(None, g.left, y, 8.5, REG, L, LABEL_GRAY, &contact);
    y += 11.0;

    c.put(None, g.right, 56.0, 22.0, BOLD, R, &doc.title());
    let mid = 330.0;
    c.put_gray(None, mid, 68.0, 8.0, BOLD, L, 0.35, doc.labels.bill_to);
    let buyer_end = buyer_block_at(c, mid, 83.0);

    let mut info_y = 83.0;
    for (label, value, tag) in info_rows(doc) {
        c.put_gray(None, 590.0, info_y, 9.0, REG, L, LABEL_GRAY, label);
        c.put(Some(tag), g.right, info_y, 9.0, REG, R, &value);
        info_y += 13.0;
    }
    y.max(buyer_end).max(info_y) + 30.0
}

/// The landscape footer: seller, contact and register, bank details in columns.
fn landscape_footer(c: &mut Canvas<'_>, page: usize, count: usize) {
    let doc = c.doc;
    let g = &LANDSCAPE;
    c.current = page;
    let (size, gray) = (7.0, 0.35);
    c.page()
        .rule(g.left, LANDSCAPE_FOOTER_RULE, g.right, 0.4, 0.6);
    let first = LANDSCAPE_FOOTER_RULE + 10.0;
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
    for (k, line) in col1.iter().enumerate() {
        let y = first + 9.0 * k as f32;
        c.put_gray(None, g.left, y, size, REG, L, gray, line);
    }
    for (k, (line, tag)) in col2.iter().enumerate() {
        let y = first + 9.0 * k as f32;
        c.put_gray(*tag, 260.0, y, size, REG, L, gray, line);
    }
    for (k, (label, value, tag)) in bank_rows(doc).into_iter().enumerate() {
        let y = first + 9.0 * k as f32;
        let w = c.put_gray(None, 520.0, y, size, REG, L, gray, label);
        c.put_gray(tag, 520.0 + w + 3.0, y, size, REG, L, gray, &value);
    }
    let (page_word, of) = doc.labels.page;
    let text = format!("{page_word} {} {of} {count}", page + 1);
    c.put_gray(None, g.right, 582.0, 7.5, REG, R, gray, &text);
}

/// The payment block (label column, values beside) at the left from `y`; returns the baseline
/// after it.
fn payment_block(c: &mut Canvas<'_>, mut y: f32) -> f32 {
    let doc = c.doc;
    c.put(None, LEFT, y, 9.0, BOLD, L, doc.labels.payment);
    y += 14.0;
    for (label, value, tag) in bank_rows(doc) {
        c.put_gray(None, LEFT, y, 9.0, REG, L, LABEL_GRAY, label);
        c.put(tag, 160.0, y, 9.0, REG, L, &value);
        y += 13.0;
    }
    y
}

fn payment_height(doc: &Doc) -> f32 {
    14.0 + bank_rows(doc).len() as f32 * 13.0
}

/// Height everything after the table needs.
fn tail_height(doc: &Doc) -> f32 {
    let notes = 30.0;
    match doc.layout {
        LayoutKind::LeftTotals => left_totals_height(doc) + 26.0 + payment_height(doc) + notes,
        LayoutKind::SubLines => totals_height(doc) + 20.0 + payment_height(doc) + notes,
        // Two-column and landscape: bank details in the footer.
        _ => totals_height(doc) + notes,
    }
}

pub(crate) fn lay_out(doc: &Doc) -> Laid {
    let geo = if doc.layout == LayoutKind::Landscape {
        &LANDSCAPE
    } else {
        &PORTRAIT
    };
    let mut c = Canvas::new(doc);
    let cols = columns(doc, geo);
    let header_y = match doc.layout {
        LayoutKind::TwoColumn => two_column_head(&mut c),
        LayoutKind::LeftTotals => left_totals_head(&mut c),
        LayoutKind::SubLines => sub_lines_head(&mut c),
        // Landscape (the original layouts are laid out in layout.rs).
        _ => landscape_head(&mut c),
    };
    let mut y = table_header(&mut c, &cols, geo, header_y);
    for i in 0..doc.lines.len() {
        let below = SUB_ROW * sub_rows(doc, &doc.lines[i]) as f32;
        if y + below > geo.row_limit {
            c.new_page();
            let h = continuation_head(&mut c, geo);
            y = table_header(&mut c, &cols, geo, h);
        }
        y = table_row(&mut c, &cols, geo, i, y);
    }
    if y + tail_height(doc) > geo.tail_limit {
        c.new_page();
        y = continuation_head(&mut c, geo);
    }
    let top = y;
    match doc.layout {
        LayoutKind::TwoColumn => {
            let end = totals_at(&mut c, 340.0, RIGHT, top, ":");
            closing_at(&mut c, LEFT, end + 16.0);
        }
        LayoutKind::LeftTotals => {
            // A gap between the last row and the box's frame.
            let end = left_totals_tail(&mut c, top + 8.0);
            let end = payment_block(&mut c, end + 26.0);
            closing_at(&mut c, LEFT, end + 10.0);
        }
        LayoutKind::SubLines => {
            let end = totals_at(&mut c, 340.0, RIGHT, top, "");
            let end = payment_block(&mut c, end + 20.0);
            closing_at(&mut c, LEFT, end + 10.0);
        }
        _ => {
            totals_at(&mut c, 590.0, geo.right, top, ":");
            closing_at(&mut c, geo.left, top + 12.0);
        }
    }
    let count = c.pages.len();
    for page in 0..count {
        if doc.layout == LayoutKind::Landscape {
            landscape_footer(&mut c, page, count);
        } else {
            footer(&mut c, page, count);
        }
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Spec, build};

    /// Two runs' boxes intersect (by more than half a point each way: touching lines of
    /// adjacent rows are fine).
    fn overlap(a: (f32, f32, f32, f32), b: (f32, f32, f32, f32)) -> bool {
        let m = 0.5;
        a.0 + m < b.2 && b.0 + m < a.2 && a.1 + m < b.3 && b.1 + m < a.3
    }

    #[test]
    fn text_stays_on_the_page_and_never_overlaps() {
        for layout in LayoutKind::UNSEEN {
            for seed in 0..150u64 {
                let spec = if seed % 15 == 0 {
                    Spec::multi_page()
                } else {
                    Spec::default()
                };
                let doc = build::document(seed, &spec.with_layout(layout));
                let laid = lay_out(&doc);
                for (p, page) in laid.pages.iter().enumerate() {
                    let (w, h) = page.size();
                    assert_eq!(page.landscape, layout == LayoutKind::Landscape);
                    for (i, run) in page.runs.iter().enumerate() {
                        let b = run.bbox();
                        assert!(
                            b.0 >= 30.0 && b.2 <= w - 30.0 && b.1 >= 30.0 && b.3 <= h - 8.0,
                            "{layout:?} seed {seed} page {p}: {:?} at {b:?}",
                            run.text
                        );
                        for other in &page.runs[i + 1..] {
                            assert!(
                                !overlap(b, other.bbox()),
                                "{layout:?} seed {seed} page {p}: {:?} overlaps {:?}",
                                run.text,
                                other.text
                            );
                        }
                    }
                }
            }
        }
    }
}
