//! Line items from column alignment: a header row names the columns (in any of the six
//! languages); rows under it with an amount in the amount column are items; text-only rows
//! right under an item continue its description.

use doxin_model::{BBox, Decimal, InvoiceLine};

use super::Ctx;
use super::labels::{LabelKind, match_label, norm};
use super::numbers::{DecimalMark, has_decimals, parse_amount, space_grouped, symbol_joined};
use crate::layout::{LayoutLine, LayoutPage, LayoutWord};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Position,
    Code,
    Description,
    /// "Name", where a table names an item and describes it in two columns: the item's
    /// name. Read as the description column unless a description column stands beside it.
    Name,
    /// The longer description beside an item's name (BT-154), its cell wrapped over several
    /// lines and often centred on the row.
    Detail,
    Quantity,
    Unit,
    UnitPrice,
    VatRate,
    Discount,
    Amount,
    /// An amount that includes the tax ("Total price with tax", "Betrag inkl. MwSt."), beside
    /// the net line amount: no field of the line, which is net.
    GrossAmount,
    /// A unit price with the tax in, beside the net one.
    GrossUnitPrice,
    /// The tax of the line ("Tax amount", "MwSt.-Betrag"): no field of the line either.
    TaxAmount,
}

impl Col {
    /// Columns whose numbers are no field of the line.
    fn is_set_aside(self) -> bool {
        matches!(
            self,
            Col::GrossAmount | Col::GrossUnitPrice | Col::TaxAmount
        )
    }
}

const HEADER_WORDS: &[(&str, Col)] = &[
    ("pos", Col::Position),
    ("position", Col::Position),
    ("nr", Col::Position),
    ("no", Col::Position),
    ("lp", Col::Position),
    ("#", Col::Position),
    ("line", Col::Position),
    ("art", Col::Code),
    ("artikelnummer", Col::Code),
    ("artnr", Col::Code),
    ("sku", Col::Code),
    ("code", Col::Code),
    ("referenz", Col::Code),
    ("referenzen", Col::Code),
    ("ref", Col::Code),
    ("réf", Col::Code),
    ("référence", Col::Code),
    ("codice", Col::Code),
    ("código", Col::Code),
    ("name", Col::Name),
    ("description", Col::Description),
    ("beschreibung", Col::Description),
    ("artikelbeschreibung", Col::Description),
    ("bezeichnung", Col::Description),
    ("artikel", Col::Description),
    ("item", Col::Description),
    ("items", Col::Description),
    ("product", Col::Description),
    ("produkt", Col::Description),
    ("leistung", Col::Description),
    ("désignation", Col::Description),
    ("designation", Col::Description),
    ("libellé", Col::Description),
    ("omschrijving", Col::Description),
    ("descripción", Col::Description),
    ("concepto", Col::Description),
    ("descrizione", Col::Description),
    ("nazwa", Col::Description),
    ("popis", Col::Description),
    ("název", Col::Name),
    ("položka", Col::Description),
    ("descrição", Col::Description),
    ("descricao", Col::Description),
    ("produto", Col::Description),
    ("serviço", Col::Description),
    ("particulars", Col::Description),
    ("details", Col::Description),
    ("service", Col::Description),
    ("services", Col::Description),
    ("qty", Col::Quantity),
    ("quantity", Col::Quantity),
    ("menge", Col::Quantity),
    ("anzahl", Col::Quantity),
    ("qté", Col::Quantity),
    ("quantité", Col::Quantity),
    ("aantal", Col::Quantity),
    ("cantidad", Col::Quantity),
    ("cant", Col::Quantity),
    ("quantità", Col::Quantity),
    ("qtà", Col::Quantity),
    ("ilość", Col::Quantity),
    ("hours", Col::Quantity),
    ("stunden", Col::Quantity),
    // "Units" counts them: "Units | Price per one" over "4 pcs | 1.934,68 €".
    ("units", Col::Quantity),
    ("quantidade", Col::Quantity),
    ("qtd", Col::Quantity),
    ("qtde", Col::Quantity),
    ("unidades", Col::Quantity),
    ("množství", Col::Quantity),
    ("počet", Col::Quantity),
    // "Jednotek": "(number) of units", as "Units" above.
    ("jednotek", Col::Quantity),
    ("unit", Col::Unit),
    ("einheit", Col::Unit),
    ("unité", Col::Unit),
    ("eenheid", Col::Unit),
    ("unidad", Col::Unit),
    ("jm", Col::Unit),
    ("uom", Col::Unit),
    ("mj", Col::Unit),
    ("jednotka", Col::Unit),
    ("unidade", Col::Unit),
    ("price", Col::UnitPrice),
    ("unit price", Col::UnitPrice),
    ("rate", Col::UnitPrice),
    ("preis", Col::UnitPrice),
    ("einzelpreis", Col::UnitPrice),
    ("nettopreis", Col::UnitPrice),
    ("prix", Col::UnitPrice),
    ("prijs", Col::UnitPrice),
    ("precio", Col::UnitPrice),
    ("prezzo", Col::UnitPrice),
    ("cena", Col::UnitPrice),
    ("stückpreis", Col::UnitPrice),
    ("preço", Col::UnitPrice),
    ("preco", Col::UnitPrice),
    ("vat", Col::VatRate),
    ("tax", Col::VatRate),
    ("taxes", Col::VatRate),
    ("ust", Col::VatRate),
    ("mwst", Col::VatRate),
    ("steuersatz", Col::VatRate),
    ("tva", Col::VatRate),
    ("btw", Col::VatRate),
    ("iva", Col::VatRate),
    ("gst", Col::VatRate),
    ("dph", Col::VatRate),
    ("impostos", Col::VatRate),
    ("imposto", Col::VatRate),
    ("disc", Col::Discount),
    ("discount", Col::Discount),
    ("rabatt", Col::Discount),
    ("remise", Col::Discount),
    ("korting", Col::Discount),
    ("descuento", Col::Discount),
    ("dto", Col::Discount),
    ("sconto", Col::Discount),
    ("rabat", Col::Discount),
    ("sleva", Col::Discount),
    ("desconto", Col::Discount),
    ("amount", Col::Amount),
    ("total", Col::Amount),
    ("betrag", Col::Amount),
    ("gesamt", Col::Amount),
    ("gesamtpreis", Col::Amount),
    ("summe", Col::Amount),
    ("nettobetrag", Col::Amount),
    ("montant", Col::Amount),
    ("bedrag", Col::Amount),
    ("importe", Col::Amount),
    ("importo", Col::Amount),
    ("wartość", Col::Amount),
    ("částka", Col::Amount),
    ("celkem", Col::Amount),
    ("valor", Col::Amount),
    ("subtotal", Col::Amount),
    ("net", Col::Amount),
    ("line total", Col::Amount),
];

/// "No.", "Nr.": the number of what the word before names.
fn is_number_word(word: &str) -> bool {
    matches!(norm(word).as_str(), "no" | "nr")
}

/// The column a header word names in the vocabulary.
fn vocabulary_col(word: &str) -> Option<Col> {
    let n = norm(word);
    let n = n.split(' ').next().unwrap_or("");
    HEADER_WORDS.iter().find(|(w, _)| *w == n).map(|(_, c)| *c)
}

/// The column a word names in a header: the vocabulary's, or a code column for a compound
/// naming a thing's number ("Artikelnr.", "Bestellnummer"). The compound alone does not make
/// a line a header ("Klantnummer C0488" above a table is a key and its value).
fn header_col(word: &str) -> Option<Col> {
    vocabulary_col(word).or_else(|| {
        let n = norm(word);
        let n = n.split(' ').next().unwrap_or("");
        (n.chars().count() >= 6 && (n.ends_with("nr") || n.ends_with("nummer")))
            .then_some(Col::Code)
    })
}

/// Words of a header cell that make its amount one with the tax in, with a tax word beside
/// them ("with tax", "incl. VAT", "inkl. MwSt.") or alone ("TTC", "brutto", "gross").
const WITH_WORDS: &[&str] = &[
    "with",
    "incl",
    "inc",
    "including",
    "inkl",
    "inklusive",
    "com",
    "s",
    "vč",
    "včetně",
];
const GROSS_WORDS: &[&str] = &["ttc", "tvac", "brutto", "gross", "bruto", "lordo"];
/// Words that make it an amount without the tax ("excl. VAT", "ohne MwSt.", "HT", "net").
const NET_WORDS: &[&str] = &[
    "excl",
    "excluding",
    "exkl",
    "ohne",
    "without",
    "before",
    "net",
    "netto",
    "ht",
    "sans",
    "zonder",
    "sin",
    "senza",
    "sem",
    "bez",
];
/// Words naming the tax in a header cell.
const TAX_WORDS: &[&str] = &[
    "tax", "vat", "mwst", "ust", "tva", "btw", "iva", "gst", "steuer", "dph", "daň", "daní",
    "daně", "imposto", "impostos",
];
/// Words naming a sum of money in a header cell.
const MONEY_WORDS: &[&str] = &[
    "amount", "total", "price", "sum", "value", "betrag", "preis", "summe", "montant", "prix",
    "bedrag", "prijs", "importe", "precio", "importo", "prezzo", "valor", "cena", "preço",
    "částka",
];
/// Words making it the sum of the line rather than one unit's price.
const LINE_SUM_WORDS: &[&str] = &[
    "amount", "total", "sum", "betrag", "summe", "montant", "celková", "celkem", "částka",
];
/// Words making a price one unit's.
const PER_UNIT_WORDS: &[&str] = &[
    "unit",
    "per",
    "each",
    "ea",
    "einzel",
    "unitaire",
    "unitario",
    "unitário",
    "jednotku",
    "jednotková",
    "jednotkova",
    "mj",
];

/// The column a header cell of several words names as a phrase, where its words one by one
/// would name two columns or the wrong one: "Total price" is the line amount, not a total
/// and a price; "Price per one" and "Unit price" a unit price; "Total price with tax" and
/// "Betrag inkl. MwSt." the gross amount beside the net one; "Tax amount" the line's tax,
/// not its rate. `None` leaves the cell to its words.
fn phrase_col(words: &[&LayoutWord]) -> Option<Col> {
    if words.len() < 2 {
        return None;
    }
    let normed: Vec<String> = words.iter().map(|w| norm(&w.text)).collect();
    let has = |set: &[&str]| {
        normed
            .iter()
            .flat_map(|n| n.split(' '))
            .any(|w| set.contains(&w))
    };
    if !has(MONEY_WORDS) {
        return None;
    }
    let per_unit = has(PER_UNIT_WORDS);
    let net = has(NET_WORDS);
    let gross = !net && (has(GROSS_WORDS) || (has(TAX_WORDS) && has(WITH_WORDS)));
    Some(match (per_unit, gross) {
        (true, true) => Col::GrossUnitPrice,
        (false, true) => Col::GrossAmount,
        (true, false) => Col::UnitPrice,
        (false, false) if has(TAX_WORDS) && !net => Col::TaxAmount,
        (false, false) if has(LINE_SUM_WORDS) => Col::Amount,
        _ => return None,
    })
}

/// Column anchors from one or more header lines: role and horizontal extent.
#[derive(Debug, Clone)]
struct Column {
    col: Col,
    x0: f32,
    x1: f32,
}

impl Column {
    /// How far a value stands from this column. Numbers are right-aligned under their
    /// header, or centred: the distance to the nearer of the header's right edge and centre.
    fn distance(&self, bbox: BBox) -> f32 {
        let centre = (self.x0 + self.x1) / 2.0;
        let cx = (bbox.x0 + bbox.x1) / 2.0;
        (bbox.x1 - self.x1).abs().min((cx - centre).abs())
    }
}

fn header_columns(lines: &[&LayoutLine]) -> Vec<Column> {
    let mut cols: Vec<Column> = Vec::new();
    for line in lines {
        let mut joined_until = 0;
        for (i, w) in line.words.iter().enumerate() {
            if i < joined_until {
                continue;
            }
            // The words of this cell: those that follow at a single space (under one and a
            // half characters' width; columns stand further apart).
            let mut cell_end = i + 1;
            while let Some(next) = line.words.get(cell_end) {
                let prev = &line.words[cell_end - 1];
                if next.bbox.x0 - prev.bbox.x1 >= 1.5 * char_width(prev, next) {
                    break;
                }
                cell_end += 1;
            }
            let cell: Vec<&LayoutWord> = line.words[i..cell_end].iter().collect();
            if let Some(col) = phrase_col(&cell) {
                joined_until = cell_end;
                let last = cell[cell.len() - 1];
                add_anchor(&mut cols, col, w.bbox.x0, last.bbox.x1);
                continue;
            }
            if let Some(mut col) = header_col(&w.text) {
                // A header of several words ("Precio unitario", "Prix unitaire HT", "IVA %")
                // spans them all: words that follow at a single space and name no column of
                // their own belong to it. So does a number word after a name ("Art. No.",
                // "Item No.", "Artikel-Nr."): the number of that thing, its identifier.
                let mut x1 = w.bbox.x1;
                for (k, next) in line.words.iter().enumerate().skip(i + 1) {
                    let gap = next.bbox.x0 - x1;
                    let space = 0.6 * (next.bbox.y1 - next.bbox.y0).max(1.0);
                    let number_word =
                        is_number_word(&next.text) && matches!(col, Col::Code | Col::Description);
                    if gap > space || (header_col(&next.text).is_some() && !number_word) {
                        break;
                    }
                    if number_word {
                        col = Col::Code;
                    }
                    x1 = next.bbox.x1;
                    joined_until = k + 1;
                }
                add_anchor(&mut cols, col, w.bbox.x0, x1);
            }
        }
    }
    cols.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    name_and_detail(&mut cols);
    demote_extra_descriptions(&mut cols);
    // Prices and amounts printed only with the tax in ("Total incl. VAT" on a receipt) are
    // the line's amounts: the gross column is set aside only beside a net one.
    for (gross, net) in [
        (Col::GrossAmount, Col::Amount),
        (Col::GrossUnitPrice, Col::UnitPrice),
    ] {
        if !cols.iter().any(|c| c.col == net) {
            for c in cols.iter_mut().filter(|c| c.col == gross) {
                c.col = net;
            }
        }
    }
    cols
}

/// Adds a column's anchor. Two header lines may name the same column ("Menge" over
/// "einheit"): overlapping anchors merge, keeping the first role.
fn add_anchor(cols: &mut Vec<Column>, col: Col, x0: f32, x1: f32) {
    if let Some(c) = cols.iter_mut().find(|c| x0 < c.x1 + 2.0 && x1 > c.x0 - 2.0) {
        c.x0 = c.x0.min(x0);
        c.x1 = c.x1.max(x1);
    } else {
        cols.push(Column { col, x0, x1 });
    }
}

/// "Name | Description": the name column is the item's name (the description the rest of the
/// rules read), and a description column right of it the item's longer description. A name
/// column alone is the description column.
fn name_and_detail(cols: &mut [Column]) {
    let Some(name_x) = cols.iter().find(|c| c.col == Col::Name).map(|c| c.x0) else {
        return;
    };
    for c in cols.iter_mut() {
        if c.col == Col::Description && c.x0 > name_x {
            c.col = Col::Detail;
        } else if c.col == Col::Name {
            c.col = Col::Description;
        }
    }
}

/// "Item | Art. No. | Description", "Pos | Artikel | Bezeichnung": a word that can name the
/// description ("Item", "Artikel") standing left of another such column heads the position
/// (as the first column, when no other is the position) or the article number. The
/// rightmost is the description: text runs right from it towards the numbers.
fn demote_extra_descriptions(cols: &mut [Column]) {
    let descriptions: Vec<usize> = (0..cols.len())
        .filter(|&i| cols[i].col == Col::Description)
        .collect();
    let Some((_, left)) = descriptions.split_last() else {
        return;
    };
    for &i in left {
        let has_position = cols.iter().any(|c| c.col == Col::Position);
        cols[i].col = if i == 0 && !has_position {
            Col::Position
        } else {
            Col::Code
        };
    }
}

fn is_header(cols: &[Column]) -> bool {
    let has = |c: Col| cols.iter().any(|x| x.col == c);
    let numeric = [Col::Quantity, Col::UnitPrice, Col::Amount]
        .iter()
        .filter(|c| has(**c))
        .count();
    (has(Col::Description) && numeric >= 1) || numeric >= 2 && cols.len() >= 3
}

/// A number token of a row with its position.
#[derive(Debug, Clone)]
struct Num {
    value: Decimal,
    bbox: BBox,
    /// Written as money: with decimals, or whole with its currency symbol joined ("$3,500").
    /// A bare whole number is more often a quantity, a code or a count.
    decimals: bool,
    percent: bool,
    /// The (first) word the number was read from.
    word: usize,
    /// The number as printed ("3 813,24" when a space groups its thousands).
    raw: String,
    /// A unit of measure joined to the number ("14h", "25pcs"): a quantity, never money.
    unit: Option<&'static str>,
}

/// A quantity with its unit joined ("14h", "25pcs", "2.5kg"), as some tables print it and
/// OCR often reads "14 h": the number and the unit's code.
fn glued_unit(t: &str, mark: DecimalMark) -> Option<(Decimal, &'static str)> {
    let at = t.find(|c: char| c.is_alphabetic())?;
    let (number, unit) = t.split_at(at);
    if !number.ends_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((parse_amount(number, mark)?, unit_code(unit)?))
}

fn numbers_of(ctx: &Ctx<'_>, line: &LayoutLine) -> Vec<Num> {
    let mut out = Vec::new();
    let words = &line.words;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i].text;
        // "21 %": a lone percent sign after the number makes it a rate too.
        let percent = w.ends_with('%') || words.get(i + 1).is_some_and(|n| n.text == "%");
        let t = w.trim_end_matches('%');
        // "$ 42.00": a lone currency sign before the number.
        if matches!(t, "$" | "€" | "£" | "₹") && i + 1 < words.len() {
            i += 1;
            continue;
        }
        // "3 813,24": a space groups thousands (French style). The group joins the number
        // after it when they stand a space apart; a quantity column's "6" before a price
        // stands a column apart.
        if let Some(next) = words.get(i + 1)
            && let Some(joined) = space_grouped(t, &next.text, ctx.mark)
            && next.bbox.x0 - words[i].bbox.x1 < 1.5 * char_width(&words[i], next)
            && let Some(v) = parse_amount(&joined, ctx.mark)
        {
            out.push(Num {
                value: v,
                bbox: BBox::new(
                    words[i].bbox.x0,
                    words[i].bbox.y0.min(next.bbox.y0),
                    next.bbox.x1,
                    words[i].bbox.y1.max(next.bbox.y1),
                ),
                decimals: true,
                percent: false,
                word: i,
                raw: format!("{t} {}", next.text),
                unit: None,
            });
            i += 2;
            continue;
        }
        if let Some(v) = parse_amount(t, ctx.mark) {
            out.push(Num {
                value: v,
                bbox: words[i].bbox,
                decimals: has_decimals(t, ctx.mark) || symbol_joined(t),
                percent,
                word: i,
                raw: w.clone(),
                unit: None,
            });
        } else if let Some((v, unit)) = glued_unit(t, ctx.mark) {
            out.push(Num {
                value: v,
                bbox: words[i].bbox,
                decimals: false,
                percent: false,
                word: i,
                raw: w.clone(),
                unit: Some(unit),
            });
        }
        i += 1;
    }
    out
}

/// Labels of an item's gross unit price printed under its row.
const GROSS_PRICE_LABELS: &[&str] = &[
    "bruttopreis",
    "brutto preis",
    "gross price",
    "gross unit price",
    "prix brut",
    "prix unitaire brut",
    "precio bruto",
    "prezzo lordo",
    "brutoprijs",
];

/// The amount of a "gross price: amount" note line: the label first, one amount after it.
fn gross_price_note<'n>(line: &LayoutLine, nums: &'n [Num]) -> Option<&'n Num> {
    let text = norm(&line.text());
    let labelled = GROSS_PRICE_LABELS
        .iter()
        .any(|l| text == *l || text.starts_with(&format!("{l} ")));
    match nums {
        [price] if labelled && price.decimals && !price.percent => Some(price),
        _ => None,
    }
}

/// The mean width of a character in two words.
fn char_width(a: &LayoutWord, b: &LayoutWord) -> f32 {
    let chars = (a.text.chars().count() + b.text.chars().count()).max(1) as f32;
    (a.bbox.x1 - a.bbox.x0 + b.bbox.x1 - b.bbox.x0) / chars
}

fn nearest(cols: &[Column], bbox: BBox, roles: &[Col]) -> Option<Col> {
    cols.iter()
        .filter(|c| roles.contains(&c.col))
        .map(|c| (c.distance(bbox), c.col))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Whether a box lies mostly under a code column's header.
fn under_code_column(cols: &[Column], bbox: BBox) -> bool {
    let width = (bbox.x1 - bbox.x0).max(1.0);
    cols.iter()
        .filter(|c| c.col == Col::Code)
        .any(|c| bbox.x1.min(c.x1) - bbox.x0.max(c.x0) > 0.5 * width)
}

/// Whose article number a key names ("Art-Nr-Lieferant:", "Supplier item no.:" against
/// "Art-Nr-Kunde:", "Customer item:").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemKey {
    Seller,
    Buyer,
}

/// Words of a key naming the seller's, or the buyer's, article number; with a word for the
/// article itself.
const SELLER_WORDS: &[&str] = &[
    "lieferant",
    "lief",
    "supplier",
    "seller",
    "vendor",
    "verkäufer",
    "fournisseur",
    "vendeur",
];
const BUYER_WORDS: &[&str] = &["kunde", "kunden", "customer", "buyer", "käufer", "client"];
const ARTICLE_WORDS: &[&str] = &[
    "art",
    "artikel",
    "artikelnr",
    "artikelnummer",
    "item",
    "article",
    "sku",
    "ref",
    "réf",
];

/// The article-number key a word is ("Art-Nr-Lieferant:"; a key ends with its colon).
fn item_key(word: &str) -> Option<ItemKey> {
    if !word.ends_with(':') {
        return None;
    }
    let n = norm(word);
    let has = |set: &[&str]| n.split(' ').any(|t| set.contains(&t));
    if !has(ARTICLE_WORDS) {
        return None;
    }
    if has(SELLER_WORDS) {
        Some(ItemKey::Seller)
    } else if has(BUYER_WORDS) {
        Some(ItemKey::Buyer)
    } else {
        None
    }
}

/// Article numbers printed under keys beside or below a row ("Art-Nr-Lieferant: ARNR2", or
/// the key on one line and "TB100A4" on the next): the seller's is the item's id, the
/// buyer's is no part of the description. `pending` carries a key whose value is on the
/// next line. Returns the seller's article number and the words the keys and values used.
/// The words of a line left of the numeric columns.
fn text_words(line: &LayoutLine, first_numeric_x: f32) -> &[LayoutWord] {
    let end = line
        .words
        .iter()
        .position(|w| w.bbox.x0 >= first_numeric_x - 2.0)
        .unwrap_or(line.words.len());
    &line.words[..end]
}

fn keyed_item_ids<'w>(
    words: &'w [LayoutWord],
    pending: &mut Option<ItemKey>,
) -> (Option<&'w LayoutWord>, Vec<usize>) {
    let mut seller = None;
    let mut used = Vec::new();
    // A pending key's value opens the next line; a key's value on its own line stands right
    // after it (a word further off is the next column's).
    let mut open = pending.take().map(|k| (k, None::<BBox>));
    for (i, w) in words.iter().enumerate() {
        if let Some(key) = item_key(&w.text) {
            used.push(i);
            open = Some((key, Some(w.bbox)));
            continue;
        }
        let Some((key, at)) = open else {
            continue;
        };
        let height = (w.bbox.y1 - w.bbox.y0).max(4.0);
        if at.is_some_and(|k| w.bbox.x0 - k.x1 > 1.5 * height) {
            break;
        }
        open = None;
        used.push(i);
        if key == ItemKey::Seller && seller.is_none() {
            seller = Some(w);
        }
    }
    *pending = open.map(|(k, _)| k);
    (seller, used)
}

/// The text column a word is in. Text is left-aligned: a word starting at or right of where
/// the description column starts is in it, however wide a code column's header left of it
/// is ("Art-Nr-Kunde" reaching nearer a short word than "Beschreibung"'s centre).
fn text_role(cols: &[Column], bbox: BBox) -> Option<Col> {
    match cols.iter().find(|c| c.col == Col::Description) {
        Some(d) if bbox.x0 >= d.x0 - 4.0 => Some(Col::Description),
        _ => nearest(cols, bbox, &ALL_TEXT_COLS),
    }
}

const ALL_TEXT_COLS: [Col; 4] = [Col::Position, Col::Code, Col::Description, Col::Unit];

fn is_totals_line(line: &LayoutLine) -> Option<LabelKind> {
    let words: Vec<&str> = line.words.iter().map(|w| w.text.as_str()).collect();
    // The label may be indented after empty columns: try from each of the first words.
    (0..words.len().min(3)).find_map(|s| {
        match_label(&words[s..]).map(|m| m.kind).filter(|k| {
            matches!(
                k,
                LabelKind::GrossTotal
                    | LabelKind::NetTotal
                    | LabelKind::TaxTotal
                    | LabelKind::AmountDue
            )
        })
    })
}

/// Whether a totals label starts at any word of the line (not only at its first words).
fn has_totals_label(line: &LayoutLine) -> bool {
    let words: Vec<&str> = line.words.iter().map(|w| w.text.as_str()).collect();
    (0..words.len()).any(|s| {
        match_label(&words[s..]).is_some_and(|m| {
            matches!(
                m.kind,
                LabelKind::GrossTotal
                    | LabelKind::NetTotal
                    | LabelKind::TaxTotal
                    | LabelKind::AmountDue
            )
        })
    })
}

fn unit_code(unit: &str) -> Option<&'static str> {
    Some(match norm(unit).as_str() {
        "kg" => "KGM",
        "g" => "GRM",
        "l" | "liter" | "litre" => "LTR",
        "h" | "hr" | "hrs" | "hour" | "hours" | "std" | "stunde" | "stunden" | "uur" | "uren"
        | "heure" | "heures" | "hora" | "horas" | "ora" | "ore" | "godz" => "HUR",
        "m" => "MTR",
        "km" => "KMT",
        "m2" | "m²" | "qm" => "MTK",
        "m3" | "m³" => "MTQ",
        // UN/ECE Recommendation 20: H87 is the piece.
        "pcs" | "pc" | "pce" | "piece" | "pieces" | "stk" | "stck" | "stück" | "st" | "pz"
        | "pzs" | "pzas" | "pezzi" | "pezzo" | "ud" | "uds" | "szt" => "H87",
        "day" | "days" | "tag" | "tage" | "jour" | "jours" | "dag" | "dagen" | "día" | "días"
        | "giorno" | "giorni" => "DAY",
        "month" | "months" | "monat" | "monate" | "mois" | "maand" | "mes" | "meses" | "mese"
        | "mesi" => "MON",
        "set" | "sets" => "SET",
        "pair" | "pairs" | "paar" => "PR",
        _ => return None,
    })
}

pub(crate) fn read_lines(ctx: &Ctx<'_>) -> Vec<InvoiceLine> {
    let mut items: Vec<InvoiceLine> = Vec::new();
    // The columns of a table still open at the end of the previous page: its rows may go on
    // at the top of the next page without the header printed again.
    let mut carry: Option<(Vec<Column>, Option<CodeStack>, LastItem)> = None;
    let mut previous: Option<&LayoutPage> = None;
    for page in &ctx.layout.pages {
        let lines = &page.lines;
        let mut i = 0;
        if let (Some((cols, stack, last)), Some(prev)) = (carry.take(), previous)
            && let Some(start) = continuation_start(ctx, prev, page, &cols)
        {
            let table = read_rows(ctx, page, start, &cols, stack, &mut items, Some(last));
            i = start + table.consumed.max(1);
            if table.open {
                carry = Some((table.cols, table.code_stack, table.last));
            }
        }
        while i < lines.len() {
            // A header may span up to three lines.
            let window: Vec<&LayoutLine> = lines[i..lines.len().min(i + 3)].iter().collect();
            let Some((n, cols)) = header_at(&window) else {
                i += 1;
                continue;
            };
            let stack = CodeStack::of(&cols, &lines[i..lines.len().min(i + n + 2)]);
            let table = read_rows(ctx, page, i + n, &cols, stack, &mut items, None);
            carry = table
                .open
                .then_some((table.cols, table.code_stack, table.last));
            i += n + table.consumed.max(1);
        }
        previous = Some(page);
    }
    if items.is_empty() {
        items = headerless_items(ctx);
    }
    for item in &mut items {
        standard_rated(item);
    }
    items
}

/// A line taxed at a rate above zero is in the standard-rated category (UNCL 5305 "S", which
/// covers reduced rates too): an invoice prints the rate, not the category. Of 842 lines with
/// a positive rate in the e-invoices of `../shared/eval`, 832 are "S"; the others are
/// Italian split payment ("B", a flag FatturaPA states) and Peru's own code list. A zero rate
/// stays without a category: exempt, zero-rated, reverse charge and intra-community supplies
/// look the same in the rate column.
fn standard_rated(item: &mut InvoiceLine) {
    if item.vat_category.is_some() {
        return;
    }
    if let Some(rate) = item.vat_rate.as_ref().filter(|r| r.value > Decimal::ZERO) {
        let mut category = rate.clone().map(|_| "S".to_string());
        category.raw_text = None;
        category.confidence *= 0.98;
        item.vat_category = Some(category);
    }
}

/// Whether a line is, on its own, the header of a line table ("Description | Units | Price
/// per one | Total price"): its "Total" names a column, not the invoice's total.
pub(crate) fn is_header_line(line: &LayoutLine) -> bool {
    header_at(&[line]).is_some()
}

/// The header starting at the first line of `window` (one to three lines) and how many
/// lines it takes.
fn header_at(window: &[&LayoutLine]) -> Option<(usize, Vec<Column>)> {
    // Each line of a header is mostly column names: a sentence under a heading ("Der Betrag
    // wird Ihrem Kundenkonto gutgeschrieben") names no column, whatever word it contains.
    let header_like = |l: &LayoutLine| {
        let named = l
            .words
            .iter()
            .filter(|w| vocabulary_col(&w.text).is_some())
            .count();
        // A value ("VAT No.: GB839613991" right above the table) makes a key line, however
        // many of its words are column names.
        let holds_value = l
            .words
            .iter()
            .any(|w| w.text.chars().filter(char::is_ascii_digit).count() >= 4);
        named > 0 && 3 * named >= l.words.len() && !holds_value
    };
    let lines = window.iter().take_while(|l| header_like(l)).count();
    let window = &window[..lines];
    for n in 1..=window.len() {
        let cols = header_columns(&window[..n]);
        if is_header(&cols) {
            // Prefer the larger header if the next line adds columns.
            if n < window.len() {
                let more = header_columns(&window[..n + 1]);
                if is_header(&more) && more.len() > cols.len() {
                    continue;
                }
            }
            return Some((n, cols));
        }
    }
    None
}

/// Where a table left open at the end of `prev` goes on in `page`: the first line that is
/// neither page furniture printed on both pages nor a repeated header line, if it is an item
/// row or text in the description column. A new header, a heading at the left margin or a
/// totals line mean the table ended with the previous page.
fn continuation_start(
    ctx: &Ctx<'_>,
    prev: &LayoutPage,
    page: &LayoutPage,
    cols: &[Column],
) -> Option<usize> {
    let geo = Geometry::of(cols);
    let furniture: Vec<String> = prev.lines.iter().map(|l| norm(&l.text())).collect();
    for (k, line) in page.lines.iter().enumerate() {
        if furniture.contains(&norm(&line.text()))
            || is_header_words(line)
            || geo.is_code_stack(line)
        {
            continue;
        }
        let window: Vec<&LayoutLine> = page.lines[k..page.lines.len().min(k + 3)].iter().collect();
        if header_at(&window).is_some() || is_totals_line(line).is_some() {
            return None;
        }
        let item_row = line_amount_of(ctx, line, &geo).is_some();
        return (item_row || geo.starts_in_descriptions(line)).then_some(k);
    }
    None
}

/// A line made only of column names ("Art-Nr", "(Art)"): the rest of a header repeated on a
/// new page.
fn is_header_words(line: &LayoutLine) -> bool {
    !line.words.is_empty() && line.words.iter().all(|w| header_col(&w.text).is_some())
}

/// Items listed without a header: the run right above the first total label, else an
/// indented run elsewhere whose amounts add up to a labelled total.
fn headerless_items(ctx: &Ctx<'_>) -> Vec<InvoiceLine> {
    let above = items_above_total(ctx);
    if !above.is_empty() {
        return above;
    }
    indented_items(ctx)
}

/// A line with text on the left and exactly one amount, at its right end: (left edge, the
/// amount).
fn single_amount_row(ctx: &Ctx<'_>, line: &LayoutLine) -> Option<(f32, Num)> {
    let first = line.words.first()?;
    if !first.text.chars().any(char::is_alphabetic) {
        return None;
    }
    let nums = numbers_of(ctx, line);
    let amounts: Vec<&Num> = nums.iter().filter(|n| n.decimals && !n.percent).collect();
    match amounts.as_slice() {
        [a] if a.word + 1 == line.words.len() && a.word > 0 => Some((first.bbox.x0, (*a).clone())),
        _ => None,
    }
}

/// Items in a summary of services ("AWS Data Transfer .... $0.01" with indented "Charges"
/// and "VAT" detail lines under each): lines at one indentation, each with text and one
/// right-aligned amount, uninterrupted by a line further left (a section heading) or a total
/// at their level, whose amounts add up to an amount on a total line. Of several such runs
/// the longest wins; a run of one line is not a list.
fn indented_items(ctx: &Ctx<'_>) -> Vec<InvoiceLine> {
    let totals: Vec<Decimal> = ctx
        .layout
        .pages
        .iter()
        .flat_map(|p| p.lines.iter())
        .filter(|l| {
            matches!(
                is_totals_line(l),
                Some(LabelKind::GrossTotal | LabelKind::NetTotal | LabelKind::AmountDue)
            )
        })
        .flat_map(|l| numbers_of(ctx, l))
        .filter(|n| n.decimals && !n.percent && n.value > Decimal::ZERO)
        .map(|n| n.value)
        .collect();
    if totals.is_empty() {
        return Vec::new();
    }
    const TOL: f32 = 6.0;
    let mut best: Option<(u32, Vec<(usize, Num)>)> = None;
    for page in &ctx.layout.pages {
        let lines = &page.lines;
        for start in 0..lines.len() {
            let Some((x0, first)) = single_amount_row(ctx, &lines[start]) else {
                continue;
            };
            if is_totals_line(&lines[start]).is_some() {
                continue;
            }
            let mut run = vec![(start, first.clone())];
            for (k, line) in lines.iter().enumerate().skip(start + 1) {
                let lx = line.words.first().map_or(f32::MAX, |w| w.bbox.x0);
                if lx < x0 - TOL {
                    break;
                }
                if lx > x0 + TOL {
                    continue;
                }
                if is_totals_line(line).is_some() {
                    break;
                }
                match single_amount_row(ctx, line) {
                    Some((_, n)) if (n.bbox.x1 - first.bbox.x1).abs() < 25.0 => run.push((k, n)),
                    _ => break,
                }
            }
            let sum: Decimal = run.iter().map(|(_, n)| n.value).sum();
            if run.len() >= 2
                && totals
                    .iter()
                    .any(|t| (*t - sum).abs() <= Decimal::new(1, 2))
                && best.as_ref().is_none_or(|(_, b)| run.len() > b.len())
            {
                best = Some((page.number, run));
            }
        }
    }
    let Some((page_no, run)) = best else {
        return Vec::new();
    };
    let Some(page) = ctx.layout.pages.iter().find(|p| p.number == page_no) else {
        return Vec::new();
    };
    run.into_iter()
        .map(|(k, n)| row_item(ctx, page_no, &page.lines[k], &n, 0.7))
        .collect()
}

/// An item from a headerless row: the words before its amount describe it. With no quantity
/// printed, the row bills one unit, so its unit price is the amount too.
fn row_item(ctx: &Ctx<'_>, page: u32, line: &LayoutLine, n: &Num, conf: f32) -> InvoiceLine {
    let text: Vec<&LayoutWord> = line
        .words
        .iter()
        .take(n.word)
        .filter(|w| !matches!(w.text.as_str(), "€" | "$" | "£"))
        .collect();
    let desc = text
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let desc_box = text.iter().map(|w| w.bbox).reduce(BBox::union);
    let raw = &n.raw;
    InvoiceLine {
        description: desc_box.map(|b| ctx.value_at(desc.clone(), &desc, page, b, conf - 0.1)),
        line_amount: Some(ctx.value_at(n.value, raw, page, n.bbox, conf)),
        unit_price: Some(ctx.value_at(n.value, raw, page, n.bbox, conf - 0.15)),
        ..InvoiceLine::default()
    }
}

/// Items listed without a header ("Privathaftpflicht .... 50,00 €"): the run of lines right
/// above the first total label, each with text on the left and one amount on the right edge,
/// accepted only if their amounts add up to that total.
fn items_above_total(ctx: &Ctx<'_>) -> Vec<InvoiceLine> {
    for page in &ctx.layout.pages {
        let lines = &page.lines;
        let Some(total_at) = lines.iter().position(|l| is_totals_line(l).is_some()) else {
            continue;
        };
        let total_nums = numbers_of(ctx, &lines[total_at]);
        let Some(total) = total_nums.iter().rev().find(|n| n.decimals) else {
            continue;
        };
        let mut rows: Vec<(usize, Num)> = Vec::new();
        for k in (0..total_at).rev() {
            let nums = numbers_of(ctx, &lines[k]);
            let amounts: Vec<&Num> = nums.iter().filter(|n| n.decimals && !n.percent).collect();
            let right_aligned = amounts
                .last()
                .is_some_and(|a| (a.bbox.x1 - total.bbox.x1).abs() < 25.0);
            let has_text = lines[k]
                .words
                .first()
                .is_some_and(|w| w.text.chars().any(char::is_alphabetic));
            if amounts.len() != 1 || !right_aligned || !has_text {
                break;
            }
            rows.push((k, amounts[0].clone()));
        }
        if rows.is_empty() {
            continue;
        }
        let sum: Decimal = rows.iter().map(|(_, n)| n.value).sum();
        if (sum - total.value).abs() > Decimal::new(1, 2) {
            continue;
        }
        rows.reverse();
        return rows
            .into_iter()
            .map(|(k, n)| row_item(ctx, page.number, &lines[k], &n, 0.85))
            .collect();
    }
    Vec::new()
}

/// Where a table's columns are: the amount column, where the numeric columns begin and where
/// the descriptions start.
struct Geometry {
    amount_col: Column,
    /// Columns of amounts that are no field of the line (gross amounts, the line's tax).
    set_aside: Vec<Column>,
    first_numeric_x: f32,
    has_description_col: bool,
    description_x0: f32,
}

impl Geometry {
    fn of(cols: &[Column]) -> Geometry {
        let amount_col = cols
            .iter()
            .rev()
            .find(|c| c.col == Col::Amount)
            .or_else(|| cols.last())
            .cloned()
            .unwrap_or(Column {
                col: Col::Amount,
                x0: f32::INFINITY,
                x1: f32::INFINITY,
            });
        let first_numeric_x = cols
            .iter()
            .filter(|c| {
                c.col.is_set_aside()
                    || matches!(
                        c.col,
                        Col::Quantity | Col::UnitPrice | Col::Amount | Col::VatRate | Col::Discount
                    )
            })
            .map(|c| c.x0)
            .fold(f32::INFINITY, f32::min);
        let description = cols.iter().find(|c| c.col == Col::Description);
        let set_aside = cols
            .iter()
            .filter(|c| c.col.is_set_aside())
            .cloned()
            .collect();
        Geometry {
            amount_col,
            set_aside,
            first_numeric_x,
            has_description_col: description.is_some(),
            description_x0: description.map_or(f32::NEG_INFINITY, |c| c.x0),
        }
    }

    /// With no header naming the amount column ("Entgelt" is in no vocabulary), the last
    /// named column stands in for it, which may be the quantity's: then any decimal number
    /// right of the quantities passes for a line amount. The amounts show where the column
    /// is: the rightmost decimal number of the rows under the header, up to the first total,
    /// all end near one right edge.
    fn infer_amount_column(&mut self, ctx: &Ctx<'_>, lines: &[LayoutLine]) -> bool {
        let rightmost: Vec<BBox> = lines
            .iter()
            .take_while(|l| is_totals_line(l).is_none())
            .take(60)
            .filter_map(|l| {
                numbers_of(ctx, l)
                    .into_iter()
                    .rev()
                    .find(|n| n.decimals && !n.percent)
                    .map(|n| n.bbox)
            })
            .filter(|b| b.x0 > self.first_numeric_x)
            .collect();
        let Some(right) = rightmost.iter().map(|b| b.x1).reduce(f32::max) else {
            return false;
        };
        let x0 = rightmost
            .iter()
            .filter(|b| b.x1 > right - 20.0)
            .map(|b| b.x0)
            .fold(right, f32::min);
        if x0 <= self.amount_col.x1 {
            return false;
        }
        self.amount_col = Column {
            col: Col::Amount,
            x0,
            x1: right,
        };
        true
    }

    /// Whether a line starts in the description column (not at the margin left of it).
    fn starts_in_descriptions(&self, line: &LayoutLine) -> bool {
        line.words.first().is_some_and(|w| {
            self.has_description_col
                && w.bbox.x0 >= self.description_x0 - 20.0
                && w.bbox.x0 < self.first_numeric_x - 2.0
        })
    }

    /// A line of codes stacked in the columns left of the descriptions under an item's
    /// row ("4012345001235", "(GTIN)"): every word starts left of the descriptions and holds
    /// a digit or is bracketed.
    fn is_code_stack(&self, line: &LayoutLine) -> bool {
        !line.words.is_empty()
            && line.words.iter().all(|w| {
                w.bbox.x0 < self.description_x0 - 4.0
                    && (w.text.chars().any(|c| c.is_ascii_digit())
                        || (w.text.starts_with('(') && w.text.ends_with(')')))
            })
    }

    /// Whether a number stands under a set-aside column rather than the amount column.
    fn is_set_aside(&self, bbox: BBox) -> bool {
        let to_amount = self.amount_col.distance(bbox);
        self.set_aside.iter().any(|c| c.distance(bbox) < to_amount)
    }

    /// Numbers of a line that lie in the numeric columns.
    fn numeric<'n>(&self, nums: &'n [Num]) -> impl Iterator<Item = &'n Num> {
        let x = self.first_numeric_x;
        nums.iter().filter(move |n| n.bbox.x1 > x - 2.0)
    }
}

/// Whether `line`, below `above`, opens a new section rather than going on with the table.
fn is_heading(ctx: &Ctx<'_>, line: &LayoutLine, above: &LayoutLine, geo: &Geometry) -> bool {
    let (b, a) = (line.bbox(), above.bbox());
    let height = (b.y1 - b.y0).max(6.0);
    let apart = b.y0 - a.y1 > 1.8 * height;
    let at_margin = geo.has_description_col && b.x0 < geo.description_x0 - 20.0;
    let first_is_text = line
        .words
        .first()
        .is_some_and(|w| !w.text.chars().any(|c| c.is_ascii_digit()));
    apart && at_margin && first_is_text && geo.numeric(&numbers_of(ctx, line)).next().is_none()
}

/// The line amount of a row: a decimal number at the right, under or near the amount column.
fn line_amount_of(ctx: &Ctx<'_>, line: &LayoutLine, geo: &Geometry) -> Option<Num> {
    amount_in(&numbers_of(ctx, line), geo).cloned()
}

fn amount_in<'n>(nums: &'n [Num], geo: &Geometry) -> Option<&'n Num> {
    let in_column =
        |n: &&Num| !n.percent && n.bbox.x1 > geo.amount_col.x0 - 40.0 && !geo.is_set_aside(n.bbox);
    nums.iter()
        .rev()
        .filter(in_column)
        .find(|n| n.decimals)
        // "28   800   22400": a price and amount that happen to be whole are printed
        // without decimals; the row's own arithmetic (quantity × price = amount) tells the
        // amount from a count or a code.
        .or_else(|| {
            let whole = nums.iter().rev().find(in_column)?;
            if whole.value == Decimal::ZERO {
                return None;
            }
            let others: Vec<&Num> = geo
                .numeric(nums)
                .filter(|n| n.word != whole.word && !n.percent)
                .collect();
            let holds = others.iter().enumerate().any(|(i, a)| {
                others[i + 1..]
                    .iter()
                    .any(|b| a.value * b.value == whole.value)
            });
            holds.then_some(whole)
        })
}

/// A row whose cells are not all on one text line: in a tall row (a code, a GTIN and its
/// kind stacked in the first column) the amount is centred vertically and lands on the line
/// below the price and quantity. A line with values in the numeric columns but no amount,
/// and right below it a line whose only value in the numeric columns is an amount, are one
/// row: the amount joins the first line, the rest of the second stays (codes, a wrapped
/// description). Returns the lines with their index in `lines`.
fn join_split_rows(
    ctx: &Ctx<'_>,
    lines: &[LayoutLine],
    geo: &Geometry,
) -> Vec<(usize, LayoutLine)> {
    let mut out: Vec<(usize, LayoutLine)> = Vec::with_capacity(lines.len());
    let mut k = 0;
    while k < lines.len() {
        let line = &lines[k];
        if let Some(next) = lines.get(k + 1)
            && is_totals_line(line).is_none()
            && is_totals_line(next).is_none()
        {
            let nums = numbers_of(ctx, line);
            let next_nums = numbers_of(ctx, next);
            let open_row = amount_in(&nums, geo).is_none() && geo.numeric(&nums).next().is_some();
            let amount = amount_in(&next_nums, geo);
            let lone = geo.numeric(&next_nums).count() == 1;
            let (b, nb) = (line.bbox(), next.bbox());
            let close = nb.y0 - b.y0 <= 1.5 * (b.y1 - b.y0).max(1.0);
            if open_row
                && lone
                && close
                && let Some(amount) = amount
            {
                let mut joined = line.clone();
                joined.words.push(next.words[amount.word].clone());
                let mut rest = next.clone();
                rest.words.remove(amount.word);
                out.push((k, joined));
                if !rest.words.is_empty() {
                    out.push((k + 1, rest));
                }
                k += 2;
                continue;
            }
        }
        out.push((k, line.clone()));
        k += 1;
    }
    out
}

/// Where a "Name | Description" table's description cells stand: from halfway between the
/// name column and the description column to where the numeric columns begin.
struct DetailColumn {
    x0: f32,
    x1: f32,
}

impl DetailColumn {
    fn of(cols: &[Column], first_numeric_x: f32) -> Option<DetailColumn> {
        let detail = cols.iter().find(|c| c.col == Col::Detail)?;
        let name = cols
            .iter()
            .rfind(|c| c.col == Col::Description && c.x1 <= detail.x0)?;
        Some(DetailColumn {
            x0: (name.x1 + detail.x0) / 2.0,
            x1: first_numeric_x - 2.0,
        })
    }

    /// Whether a word stands in the description cells (centred text may start left of the
    /// column's heading).
    fn holds(&self, b: BBox) -> bool {
        let centre = (b.x0 + b.x1) / 2.0;
        centre > self.x0 && b.x1 <= self.x1
    }
}

fn centre_y(b: BBox) -> f32 {
    (b.y0 + b.y1) / 2.0
}

/// Words of the description cells on one line: their text, box and where they stand.
struct DetailPiece {
    y: f32,
    text: String,
    bbox: BBox,
}

impl DetailPiece {
    fn of(words: &[&LayoutWord]) -> Option<DetailPiece> {
        let bbox = words.iter().map(|w| w.bbox).reduce(BBox::union)?;
        let text = words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>();
        Some(DetailPiece {
            y: centre_y(bbox),
            text: text.join(" "),
            bbox,
        })
    }
}

/// An item row of a "Name | Description" table: the item's index, where the row stands and its
/// line height.
struct DetailRow {
    item: usize,
    y: f32,
    height: f32,
}

/// Gives each line of the description cells to the row it is nearest (a cell centred on its
/// row has lines above the row's own line and below it), within four lines of the row, as
/// the item's longer description in reading order.
fn place_detail_lines(
    ctx: &Ctx<'_>,
    page: u32,
    items: &mut [InvoiceLine],
    rows: &[DetailRow],
    pieces: Vec<DetailPiece>,
) {
    let mut placed: Vec<Vec<DetailPiece>> = rows.iter().map(|_| Vec::new()).collect();
    for piece in pieces {
        let nearest = rows
            .iter()
            .enumerate()
            .min_by(|a, b| (a.1.y - piece.y).abs().total_cmp(&(b.1.y - piece.y).abs()));
        if let Some((r, row)) = nearest
            && (row.y - piece.y).abs() <= 4.0 * row.height
        {
            placed[r].push(piece);
        }
    }
    for (row, mut parts) in rows.iter().zip(placed) {
        parts.sort_by(|a, b| a.y.total_cmp(&b.y));
        let Some(bbox) = parts.iter().map(|p| p.bbox).reduce(BBox::union) else {
            continue;
        };
        let text = parts
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        if let Some(line) = items.get_mut(row.item)
            && line.item_description.is_none()
        {
            line.item_description = Some(ctx.value_at(text.clone(), &text, page, bbox, 0.75));
        }
    }
}

/// How reading the rows under one header went.
struct Table {
    /// Lines of the page used, from the first row.
    consumed: usize,
    /// The page ended inside the table: no total closed it and nothing but notes and page
    /// furniture followed its last row, so it may go on on the next page.
    open: bool,
    /// The columns the rows were read with (the header's, and an amount column found from
    /// the rows' values).
    cols: Vec<Column>,
    /// Where the last item stood at the end.
    last: LastItem,
    /// The code column's stacked headings, for the rows going on on the next page.
    code_stack: Option<CodeStack>,
}

/// What the lines under the last item may still add to it.
#[derive(Debug, Clone, Copy)]
struct LastItem {
    /// Lines below may still belong to it (its description, its position number).
    open: bool,
    /// Its name is still being written: no note has come between it and the next line.
    name_open: bool,
}

/// A code column whose heading is stacked on several lines ("Art-Nr-Kunde" over
/// "Art-Nr-Lief." over "Art-Nr" over "(Art)"): each row's cell stacks its codes the same way,
/// empty ones left out at the top. `seller` is the place of the seller's article number in
/// the stack of `len` headings; the cell's lines are matched to the headings from the bottom.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CodeStack {
    seller: usize,
    len: usize,
}

impl CodeStack {
    /// The stack over the code column in the lines of a header and the lines after it up to
    /// the first one holding a digit (the first row).
    fn of(cols: &[Column], lines: &[LayoutLine]) -> Option<CodeStack> {
        let code: Vec<&Column> = cols.iter().filter(|c| c.col == Col::Code).collect();
        let (x0, x1) = code
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), c| (a.min(c.x0), b.max(c.x1)));
        if code.is_empty() {
            return None;
        }
        let headings: Vec<String> = lines
            .iter()
            .take_while(|l| {
                !l.words
                    .iter()
                    .any(|w| w.text.chars().any(|c| c.is_ascii_digit()))
            })
            .filter_map(|l| {
                let words: Vec<&str> = l
                    .words
                    .iter()
                    .filter(|w| w.bbox.x0 >= x0 - 2.0 && w.bbox.x0 <= x1 + 2.0)
                    .map(|w| w.text.as_str())
                    .collect();
                let text = words.join(" ");
                // A key ("Art-Nr-Lieferant:") labels a value in a row, not a heading.
                (!words.is_empty() && !text.ends_with(':')).then_some(text)
            })
            .collect();
        let seller = headings
            .iter()
            .position(|h| norm(h).split(' ').any(|t| SELLER_WORDS.contains(&t)))?;
        (headings.len() >= 2).then_some(CodeStack {
            seller,
            len: headings.len(),
        })
    }

    /// The seller's article number in one row's code cell (its lines top to bottom), if the
    /// cell reaches up to it; never a GTIN (all digits) or a bracketed scheme name.
    fn seller_code<'c>(
        &self,
        cell: &'c [(usize, String, BBox)],
    ) -> Option<&'c (usize, String, BBox)> {
        let from_bottom = self.len - self.seller;
        let at = cell.len().checked_sub(from_bottom)?;
        let found = cell.get(at)?;
        let t = found.1.as_str();
        let gtin = t.chars().all(|c| c.is_ascii_digit());
        let scheme = t.starts_with('(') && t.ends_with(')');
        let plain = !gtin && !scheme && t.chars().any(|c| c.is_ascii_alphanumeric());
        plain.then_some(found)
    }
}

/// Gives each item the seller's article number from its cell of a stacked code column:
/// `code_lines` holds the column's text per line with the number of items read by then.
fn place_stacked_codes(
    ctx: &Ctx<'_>,
    page: u32,
    stack: CodeStack,
    code_lines: &[(usize, String, BBox)],
    items: &mut [InvoiceLine],
) {
    for cell in code_lines.chunk_by(|a, b| a.0 == b.0) {
        if let Some(item) = cell[0].0.checked_sub(1).and_then(|o| items.get_mut(o))
            && let Some((_, code, b)) = stack.seller_code(cell)
        {
            item.seller_item_id = Some(ctx.value_at(code.clone(), code, page, *b, 0.75));
        }
    }
}

/// Reads the rows under a header (or, `continued`, the rows of a table going on from the
/// previous page, with how its last item stood) from line `start` of the page into `items`.
fn read_rows(
    ctx: &Ctx<'_>,
    page_layout: &LayoutPage,
    start: usize,
    cols: &[Column],
    code_stack: Option<CodeStack>,
    items: &mut Vec<InvoiceLine>,
    continued: Option<LastItem>,
) -> Table {
    let page = page_layout.number;
    let first_item = items.len();
    let mut geo = Geometry::of(cols);
    let mut cols = cols.to_vec();
    if !cols.iter().any(|c| c.col == Col::Amount)
        && geo.infer_amount_column(ctx, page_layout.lines.get(start..).unwrap_or(&[]))
    {
        // Kept with the columns, for the rows going on on the next page.
        cols.push(geo.amount_col.clone());
    }
    let cols = cols.as_slice();
    let Geometry {
        first_numeric_x,
        has_description_col,
        description_x0,
        ..
    } = geo;
    let lines = join_split_rows(ctx, page_layout.lines.get(start..).unwrap_or(&[]), &geo);
    // A table going on from the previous page may open with the rest of the last item's
    // description.
    let mut can_continue = continued.is_some_and(|l| l.open);
    let mut name_open = continued.is_some_and(|l| l.name_open);
    // An article-number key at the end of the last line, its value on the next.
    let mut pending_item_key: Option<ItemKey> = None;
    // Where the last item's name starts: a line set in further is a sub-line (`None` for an
    // item carried over from the previous page).
    let mut name_x0: Option<f32> = None;
    let mut last_bottom = if continued.is_some() {
        lines.first().map_or(0.0, |(_, l)| l.bbox().y0)
    } else {
        0.0f32
    };
    let mut consumed = 0;
    let mut ended = false;
    // The last line that belonged to the table (an item, a wrapped description, a note in
    // the description column).
    let mut last_table_line = 0;
    // Below a subtotal line (a section's, or the table's), a row whose arithmetic does not hold
    // and that carries a totals label anywhere ("IBAN: ES46 … IVA 21 % 92,87" beside the
    // totals block) ends the table: it is the totals block, not an item.
    let mut below_totals = false;
    // A "Name | Description" table: the description cell's lines, wrapped and often centred
    // on the row, are placed after the rows are read (each to the row nearest it).
    let detail = DetailColumn::of(cols, first_numeric_x);
    let mut detail_pieces: Vec<DetailPiece> = Vec::new();
    let mut detail_rows: Vec<DetailRow> = Vec::new();
    // The code column's words line by line, each with the number of items read after its
    // line (its item is the last of them), for a stacked code heading.
    let mut code_lines: Vec<(usize, String, BBox)> = Vec::new();
    let mut line_codes: Option<(String, BBox)> = None;
    for (idx, (k, line)) in lines.iter().enumerate() {
        let k = *k;
        if let Some((text, b)) = line_codes.take() {
            code_lines.push((items.len(), text, b));
        }
        if code_stack.is_some() {
            let words: Vec<&LayoutWord> = line
                .words
                .iter()
                .filter(|w| w.bbox.x1 < first_numeric_x - 2.0 && under_code_column(cols, w.bbox))
                .collect();
            if let Some(first) = words.first() {
                let text = words
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let b = words.iter().fold(first.bbox, |b, w| b.union(w.bbox));
                line_codes = Some((text, b));
            }
        }
        // A heading after the rows ends the table ("Zahlungsbedingungen:", "Zu- und
        // Abschläge"): text at the margin, left of the descriptions, set apart from the line
        // above by more than a wrapped line's spacing, with no number in the numeric columns.
        // Rows, their codes and position markers, and wrapped descriptions never look so.
        if (items.len() > first_item || continued.is_some())
            && let Some((_, above)) = idx.checked_sub(1).and_then(|j| lines.get(j))
            && is_heading(ctx, line, above, &geo)
        {
            ended = true;
            break;
        }
        consumed = k + 1;
        // A totals label inside the description column ("Enthält 19 % Versicherungssteuer =
        // 12,77 €" under an item) is a note, not the table's total: a total has its amount in
        // the amount column or starts left of the descriptions.
        let totals = is_totals_line(line).filter(|_| {
            amount_in(&numbers_of(ctx, line), &geo).is_some() || !geo.starts_in_descriptions(line)
        });
        // Before the first row, a totals word with no number at all ("(Art) USt." under a
        // header whose "ohne USt." names the net amount column) is the rest of the header.
        if totals.is_some() && items.len() == first_item && numbers_of(ctx, line).is_empty() {
            can_continue = false;
            continue;
        }
        if let Some(kind) = totals {
            can_continue = false;
            below_totals = true;
            if matches!(
                kind,
                LabelKind::GrossTotal | LabelKind::TaxTotal | LabelKind::AmountDue
            ) && items.len() > first_item
            {
                ended = true;
                break;
            }
            continue;
        }
        if geo.starts_in_descriptions(line) {
            last_table_line = k;
        }
        let nums = numbers_of(ctx, line);
        // The line amount: a decimal number at the right, under or near the amount column.
        let amount = amount_in(&nums, &geo);
        let lb = line.bbox();
        // "Bruttopreis : 9,90" under an item (below its codes and GTIN, which may stack
        // three or four lines): its price before the price discount (BT-148), no row of
        // its own.
        if items.len() > first_item
            && lb.y0 - last_bottom <= 6.0 * (lb.y1 - lb.y0).max(6.0)
            && let Some(last) = items.last_mut()
            && last.gross_unit_price.is_none()
            && let Some(price) = gross_price_note(line, &nums)
        {
            last.gross_unit_price =
                Some(ctx.value_at(price.value, &price.raw, page, price.bbox, 0.8));
            last_bottom = lb.y1;
            continue;
        }
        if let Some(detail) = &detail
            && amount.is_none()
            && line.words.iter().all(|w| detail.holds(w.bbox))
        {
            let words: Vec<&LayoutWord> = line.words.iter().collect();
            detail_pieces.extend(DetailPiece::of(&words));
            continue;
        }
        if let Some(amount) = amount {
            let mut item = InvoiceLine::default();
            let conf = 0.8;
            let src = |v: Decimal, raw: &str, b: BBox| ctx.value_at(v, raw, page, b, conf);
            item.line_amount = Some(src(amount.value, &amount.raw, amount.bbox));
            // Rates first: a number printed with its percent sign is the rate, whatever
            // column a plain number nearby would otherwise claim.
            let mut others: Vec<&Num> = nums.iter().filter(|n| n.word != amount.word).collect();
            others.sort_by_key(|n| !n.percent);
            for n in others {
                // Numbers left of where the descriptions start (positions, codes) are none
                // of the numeric columns, which lie right of the descriptions.
                if has_description_col && n.bbox.x1 < description_x0 {
                    continue;
                }
                // Nor are numbers inside the description ("Caisson mobile 3 tiroirs", "A4
                // 80 g"), which ends where the first numeric column begins.
                if has_description_col
                    && n.bbox.x0 >= description_x0
                    && n.bbox.x1 < first_numeric_x - 2.0
                {
                    continue;
                }
                // A number under a code column's header ("GTIN", "Art-Nr") is an article
                // number, however far the nearest numeric column.
                if n.bbox.x0 < first_numeric_x - 2.0 && under_code_column(cols, n.bbox) {
                    continue;
                }
                let role = if n.percent {
                    // Under a discount column ("Remise 10 %") a percentage is the discount.
                    nearest(cols, n.bbox, &[Col::VatRate, Col::Discount]).or(Some(Col::VatRate))
                } else {
                    nearest(
                        cols,
                        n.bbox,
                        &[
                            Col::Quantity,
                            Col::UnitPrice,
                            Col::VatRate,
                            Col::Discount,
                            Col::Amount,
                            Col::Position,
                            Col::GrossAmount,
                            Col::GrossUnitPrice,
                            Col::TaxAmount,
                        ],
                    )
                };
                let raw = &n.raw;
                match role {
                    Some(Col::Quantity) if item.quantity.is_none() => {
                        item.quantity = Some(src(n.value, raw, n.bbox))
                    }
                    Some(Col::UnitPrice) if item.unit_price.is_none() => {
                        item.unit_price = Some(src(n.value, raw, n.bbox))
                    }
                    Some(Col::VatRate) if item.vat_rate.is_none() => {
                        item.vat_rate = Some(src(n.value, raw, n.bbox))
                    }
                    _ => {}
                }
            }
            quantity_by_arithmetic(&mut item, &nums, amount.word, src);
            // Unit: joined to the quantity ("14h"), or the word right after it ("1.00 kg").
            if let Some(q) = &item.quantity
                && let Some(n) = nums.iter().find(|n| Some(n.bbox) == q.bbox)
            {
                let after = line.words.get(n.word + 1);
                let unit = n
                    .unit
                    .map(|code| (code, &line.words[n.word]))
                    .or_else(|| after.and_then(|w| unit_code(&w.text).map(|code| (code, w))));
                if let Some((code, w)) = unit {
                    item.unit_code =
                        Some(ctx.value_at(code.to_string(), &w.text, page, w.bbox, 0.7));
                }
            }
            // Description: words left of the numeric columns, minus a leading position
            // number and a bracketed or column code.
            let mut desc_words: Vec<&str> = Vec::new();
            let mut desc_box: Option<BBox> = None;
            let mut row_detail: Vec<&LayoutWord> = Vec::new();
            pending_item_key = None;
            let (keyed, keyed_words) =
                keyed_item_ids(text_words(line, first_numeric_x), &mut pending_item_key);
            if let Some(w) = keyed {
                item.seller_item_id =
                    Some(ctx.value_at(w.text.clone(), &w.text, page, w.bbox, 0.8));
            }
            for (wi, w) in line.words.iter().enumerate() {
                if keyed_words.contains(&wi) {
                    continue;
                }
                if w.bbox.x1 > first_numeric_x - 2.0 && nums.iter().any(|n| n.word == wi) {
                    break;
                }
                if w.bbox.x0 >= first_numeric_x - 2.0 {
                    break;
                }
                if detail.as_ref().is_some_and(|d| d.holds(w.bbox)) {
                    row_detail.push(w);
                    continue;
                }
                let t = w.text.as_str();
                let role = text_role(cols, w.bbox);
                // A leading number under no header of its own but left of where the
                // descriptions start is the position ("N.º" is nobody's vocabulary), unless
                // the row's arithmetic made it the quantity.
                let left_of_descriptions = w.bbox.x1 < description_x0;
                let is_quantity = item
                    .quantity
                    .as_ref()
                    .is_some_and(|q| q.bbox == Some(w.bbox));
                if wi == 0
                    && t.chars().all(|c| c.is_ascii_digit())
                    && t.len() <= 4
                    && (role != Some(Col::Description) || left_of_descriptions)
                    && !is_quantity
                {
                    item.id = Some(ctx.value_at(t.to_string(), t, page, w.bbox, 0.8));
                    continue;
                }
                if (t.starts_with('[') && t.ends_with(']') && t.len() > 2)
                    || (role == Some(Col::Code) && cols.iter().any(|c| c.col == Col::Description))
                {
                    let code = t.trim_matches(['[', ']']);
                    if item.seller_item_id.is_none() {
                        item.seller_item_id =
                            Some(ctx.value_at(code.to_string(), t, page, w.bbox, 0.75));
                    }
                    continue;
                }
                desc_words.push(t);
                desc_box = Some(desc_box.map_or(w.bbox, |b| b.union(w.bbox)));
            }
            if let Some(b) = desc_box {
                let d = desc_words.join(" ");
                item.description = Some(ctx.value_at(d.clone(), &d, page, b, 0.8));
            }
            put_count_before_price(&mut item);
            let holds = match (&item.quantity, &item.unit_price, &item.line_amount) {
                (Some(q), Some(p), Some(a)) => {
                    (q.value * p.value - a.value).abs() <= Decimal::new(1, 2)
                }
                _ => false,
            };
            if below_totals && !holds && has_totals_label(line) {
                ended = true;
                break;
            }
            // Arithmetic agreement raises confidence in the whole row.
            if item.quantity.is_some() && item.unit_price.is_some() && item.line_amount.is_some() {
                let agree = holds;
                let c = if agree { 0.93 } else { 0.7 };
                for f in [
                    &mut item.quantity,
                    &mut item.unit_price,
                    &mut item.line_amount,
                ]
                .into_iter()
                .flatten()
                {
                    f.confidence = c;
                }
                if let Some(d) = item.description.as_mut() {
                    d.confidence = if agree { 0.85 } else { 0.7 };
                }
            }
            name_x0 = item.description.as_ref().and_then(|d| d.bbox).map(|b| b.x0);
            if detail.is_some() {
                detail_rows.push(DetailRow {
                    item: items.len(),
                    y: centre_y(lb),
                    height: (lb.y1 - lb.y0).max(6.0),
                });
                detail_pieces.extend(DetailPiece::of(&row_detail));
            }
            items.push(item);
            can_continue = true;
            name_open = true;
            last_bottom = lb.y1;
            last_table_line = k;
        } else if can_continue && nums.iter().all(|n| !n.decimals) {
            // Continuation of the previous description, if close below it.
            let height = (lb.y1 - lb.y0).max(6.0);
            // Text printed out of reading order (a margin note further up the page) is no
            // continuation either.
            if lb.y0 - last_bottom > 1.8 * height
                || lb.y1 < last_bottom - height
                || lb.x0 >= first_numeric_x
            {
                can_continue = false;
                continue;
            }
            // The seller's article number under its key ("Art-Nr-Lieferant:" over "TB100A4").
            let (keyed, keyed_words) =
                keyed_item_ids(text_words(line, first_numeric_x), &mut pending_item_key);
            if let Some(w) = keyed
                && let Some(last) = items.last_mut()
                && last
                    .seller_item_id
                    .as_ref()
                    .is_none_or(|id| id.value.ends_with(':'))
            {
                last.seller_item_id =
                    Some(ctx.value_at(w.text.clone(), &w.text, page, w.bbox, 0.8));
            }
            // A line opening with the position number ("1  Wir erlauben uns …") is the item's
            // note, not its description: it gives the position and ends the description.
            let first = &line.words[0];
            let pos_marker = first.text.chars().all(|c| c.is_ascii_digit())
                && first.text.len() <= 3
                && cols.iter().any(|c| c.col == Col::Position)
                && nearest(cols, first.bbox, &ALL_TEXT_COLS) == Some(Col::Position);
            if pos_marker {
                if let Some(last) = items.last_mut()
                    && last.id.is_none()
                {
                    last.id =
                        Some(ctx.value_at(first.text.clone(), &first.text, page, first.bbox, 0.7));
                }
                can_continue = false;
                continue;
            }
            // Only words in the description column continue a description; key-value notes
            // ("Bruttopreis :9,90"), codes and GTINs in other columns do not.
            let extra: Vec<&str> = line
                .words
                .iter()
                .enumerate()
                .filter(|(i, _)| !keyed_words.contains(i))
                .map(|(_, w)| w)
                .filter(|w| {
                    w.bbox.x0 < first_numeric_x - 2.0
                        && w.bbox.x0 >= description_x0 - 20.0
                        && (!has_description_col
                            || text_role(cols, w.bbox) == Some(Col::Description))
                })
                .map(|w| w.text.as_str())
                .collect();
            let note_like = extra.iter().any(|w| w.contains(':'))
                || extra.iter().all(|w| {
                    w.chars().filter(char::is_ascii_digit).count() >= 8 || w.starts_with('(')
                });
            // A key in another column ("Art-Nr-Lieferant:" under the codes) or a bulleted
            // line ("• Bestellung Nr. …", "* Herkunftsland: DE") is a note on the item: the
            // item's name is complete, and the text after it is the item's longer
            // description, not its name.
            let key = extra.is_empty() && line.words.iter().any(|w| w.text.ends_with(':'));
            let bullet = extra.first().is_some_and(|w| {
                matches!(*w, "-" | "–" | "*" | "•" | "·" | "▪") || w.starts_with(['•', '·', '▪'])
            });
            if key || bullet {
                // Its position number may still follow ("2  Bestellt wurden …").
                name_open = false;
                last_bottom = lb.y1;
                continue;
            }
            if !extra.is_empty()
                && !note_like
                && name_open
                && let Some(last) = items.last_mut()
            {
                last_table_line = k;
                // A row may print its description only below its numbers.
                // Where the line's description words start.
                let extra_x0 = line
                    .words
                    .iter()
                    .find(|w| {
                        w.bbox.x0 >= description_x0 - 20.0 && w.bbox.x0 < first_numeric_x - 2.0
                    })
                    .map_or(lb.x0, |w| w.bbox.x0);
                let Some(d) = last.description.as_mut() else {
                    let text = extra.join(" ");
                    last.description = Some(ctx.value_at(text.clone(), &text, page, lb, 0.75));
                    name_x0 = Some(extra_x0);
                    last_bottom = lb.y1;
                    continue;
                };
                // A word broken at a hyphen or slash continues without a line break
                // ("Kfz-" + "Haftpflicht"), unlike a dash set apart by a space
                // ("Navigationssystem -" + "Garantie").
                let broken = d.value.ends_with(['-', '/'])
                    && d.value
                        .chars()
                        .rev()
                        .nth(1)
                        .is_some_and(char::is_alphanumeric);
                // A line set in further than the item's name ("Serial no. QY-22483 –
                // QY-22494" under "Ballpoint pens") is a sub-line: the item's longer
                // description (BT-154), not more of its name; so is what follows it.
                let indented =
                    name_x0.is_some_and(|x0| extra_x0 - x0 > 0.5 * (lb.y1 - lb.y0).max(6.0));
                if indented || last.item_description.is_some() {
                    let text = extra.join(" ");
                    match last.item_description.as_mut() {
                        Some(sub) => {
                            sub.value = format!("{}\n{text}", sub.value);
                            sub.bbox = sub.bbox.map(|b| b.union(lb));
                        }
                        None => {
                            last.item_description =
                                Some(ctx.value_at(text.clone(), &text, page, lb, 0.7));
                        }
                    }
                    last_bottom = lb.y1;
                    continue;
                }
                let sep = if broken { "" } else { "\n" };
                d.value = format!("{}{sep}{}", d.value, extra.join(" "));
                if let Some(b) = d.bbox {
                    d.bbox = Some(b.union(lb));
                }
            }
            last_bottom = lb.y1;
        }
    }
    place_detail_lines(ctx, page, items, &detail_rows, detail_pieces);
    // Open at the end of the page when only what an item carries under its row follows the
    // table's last line (notes in the description column, codes stacked left of it, each
    // close below the one before), page furniture (the bottom tenth of the page) or repeated
    // column names.
    let mut open = !ended && !below_totals;
    let mut previous_bottom = f32::NEG_INFINITY;
    for (k, l) in &lines {
        let b = l.bbox();
        if *k > last_table_line && open && b.y0 <= 0.9 * page_layout.height {
            let close = b.y0 - previous_bottom <= 1.8 * (b.y1 - b.y0).max(6.0);
            let note =
                geo.starts_in_descriptions(l) && amount_in(&numbers_of(ctx, l), &geo).is_none();
            open = is_header_words(l) || note || (close && geo.is_code_stack(l));
        }
        previous_bottom = b.y1;
    }
    if !ended && let Some((text, b)) = line_codes.take() {
        code_lines.push((items.len(), text, b));
    }
    if let Some(stack) = code_stack {
        place_stacked_codes(ctx, page, stack, &code_lines, items);
    }
    Table {
        consumed,
        open,
        cols: cols.to_vec(),
        last: LastItem {
            open: can_continue,
            name_open,
        },
        code_stack,
    }
}

/// Quantity × price is the amount either way round, so the arithmetic cannot tell the two
/// apart when the columns were placed wrongly (a price printed before the quantity, a header
/// over another column). A "quantity" written as money (two decimals, not whole) beside a
/// "price" written as a whole number without decimals is the other way round.
fn put_count_before_price(item: &mut InvoiceLine) {
    let (Some(q), Some(p)) = (&item.quantity, &item.unit_price) else {
        return;
    };
    let decimals = |raw: &Option<String>| {
        raw.as_deref().map_or(0, |r| {
            let r = r.trim();
            r.rfind(['.', ',']).map_or(0, |i| {
                r[i + 1..].chars().filter(char::is_ascii_digit).count()
            })
        })
    };
    let money_like = decimals(&q.raw_text) == 2 && !q.value.fract().is_zero();
    let count_like = decimals(&p.raw_text) == 0 && p.value.fract().is_zero();
    if money_like && count_like {
        std::mem::swap(&mut item.quantity, &mut item.unit_price);
    }
}

/// Header geometry cannot always tell a row's numbers apart (a position number under an
/// unlabelled column lands nearest the quantity header; the real quantity is then dropped).
/// When quantity × price does not give the line amount, the row's other plain numbers are
/// tried as the quantity, and the one that makes the arithmetic hold is taken.
fn quantity_by_arithmetic(
    item: &mut InvoiceLine,
    nums: &[Num],
    amount_word: usize,
    src: impl Fn(Decimal, &str, BBox) -> doxin_model::Extracted<Decimal>,
) {
    let (Some(p), Some(a)) = (&item.unit_price, &item.line_amount) else {
        return;
    };
    let holds = |q: Decimal| (q * p.value - a.value).abs() <= Decimal::new(1, 2);
    if item.quantity.as_ref().is_some_and(|q| holds(q.value)) {
        return;
    }
    let taken = [p.bbox, item.vat_rate.as_ref().and_then(|r| r.bbox)];
    // The rightmost that fits: a position number printed as the quantity is ("4 Chaise …
    // 4 491,90 1 967,60") stands at the row's start, the quantity beside the price.
    let fits = nums.iter().rev().find(|n| {
        n.word != amount_word
            && !n.percent
            && !taken.contains(&Some(n.bbox))
            && n.value > Decimal::ZERO
            && holds(n.value)
    });
    if let Some(n) = fits {
        item.quantity = Some(src(n.value, &n.raw, n.bbox));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_in_each_language_have_their_codes() {
        for hour in ["h", "Std.", "uur", "ore", "heures", "horas", "hrs"] {
            assert_eq!(unit_code(hour), Some("HUR"), "{hour}");
        }
        for piece in ["Stk", "pz.", "pcs", "st.", "szt", "pezzi"] {
            assert_eq!(unit_code(piece), Some("H87"), "{piece}");
        }
        assert_eq!(unit_code("Tage"), Some("DAY"));
        assert_eq!(unit_code("Consulting"), None);
    }
}
