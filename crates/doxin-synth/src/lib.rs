//! Synthetic invoices: the project's own fixture source.
//!
//! [`generate`] turns a seed and a [`Spec`] into a born-digital PDF and the canonical
//! [`Invoice`] it shows (every value an [`Extracted`](doxin_model::Extracted) with source
//! `Human`, confidence 1, the printed text as `raw_text` and, where it is printed, its page
//! and box). [`scanned_png`] renders the same kind of document as a slightly rotated, noisy,
//! blurred page image. Output is a pure function of the seed and the spec: the same inputs give
//! the same bytes on every machine.
//!
//! Variety: three layouts drawn by default and four more on request ([`LayoutKind`]), six
//! languages ([`Language`]) over eight countries ([`Country`]) with their number formats
//! (`1,234.56`, `1.234,56`, `1 234,56`, `1'234.56`), date formats (numeric and written),
//! currencies, VAT rates, legal forms, VAT identifiers and IBANs with correct check digits; 1
//! to any number of line items (pages are added as needed) drawn from product families, one
//! of which is office chairs ([`ProductFamily`]).
//!
//! The corpus `fields` of a truth are `doxin_extract::fields::to_fields(&synthetic.truth)`
//! (not computed here so this crate depends on the model only); `examples/synth_corpus.rs`
//! writes a corpus `doxin eval` can score.
#![forbid(unsafe_code)]

use std::ops::RangeInclusive;

use doxin_model::Invoice;

mod build;
mod data;
pub mod demo;
pub mod hostile;
mod ids;
mod layout;
mod locale;
mod pdf;
mod rng;
mod scan;
mod unseen;

/// The language of the printed labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    En = 0,
    De = 1,
    Fr = 2,
    Nl = 3,
    Es = 4,
    It = 5,
}

impl Language {
    pub const ALL: [Language; 6] = [
        Language::En,
        Language::De,
        Language::Fr,
        Language::Nl,
        Language::Es,
        Language::It,
    ];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        ["en", "de", "fr", "nl", "es", "it"][self as usize]
    }

    /// The countries whose invoices are written in this language here.
    pub fn countries(self) -> &'static [Country] {
        match self {
            Language::En => &[Country::Gb, Country::Us],
            Language::De => &[Country::De, Country::Ch],
            Language::Fr => &[Country::Fr],
            Language::Nl => &[Country::Nl],
            Language::Es => &[Country::Es],
            Language::It => &[Country::It],
        }
    }
}

/// The seller's (and buyer's) country: currency, number and date formats, VAT rates, ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Country {
    Gb,
    Us,
    De,
    Ch,
    Fr,
    Nl,
    Es,
    It,
}

impl Country {
    pub const ALL: [Country; 8] = [
        Country::Gb,
        Country::Us,
        Country::De,
        Country::Ch,
        Country::Fr,
        Country::Nl,
        Country::Es,
        Country::It,
    ];

    /// ISO 3166-1 alpha-2 code.
    pub fn code(self) -> &'static str {
        match self {
            Country::Gb => "GB",
            Country::Us => "US",
            Country::De => "DE",
            Country::Ch => "CH",
            Country::Fr => "FR",
            Country::Nl => "NL",
            Country::Es => "ES",
            Country::It => "IT",
        }
    }

    pub fn language(self) -> Language {
        match self {
            Country::Gb | Country::Us => Language::En,
            Country::De | Country::Ch => Language::De,
            Country::Fr => Language::Fr,
            Country::Nl => Language::Nl,
            Country::Es => Language::Es,
            Country::It => Language::It,
        }
    }

    /// ISO 4217 code of the invoice currency.
    pub fn currency(self) -> &'static str {
        locale::currency_code(self)
    }
}

/// Page layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayoutKind {
    /// Letterhead top left, recipient address window, an info block on the right, the line
    /// table, totals bottom right, legal and bank details in the footer.
    Classic,
    /// German style: seller top right, labels in a left column with their values in a second
    /// column (invoice data, totals, bank details).
    LabelColumn,
    /// A large title, a header table (invoice number, date, due date side by side with the
    /// values below), "bill to" block, shaded table header, payment box.
    Modern,
    /// Seller ("From") and buyer ("Bill to") blocks side by side under the title, the invoice
    /// data below both in a two-column grid (number and date on one row), bank details in the
    /// footer. Not drawn by [`Spec::default`]: see [`LayoutKind::UNSEEN`].
    TwoColumn,
    /// A centred letterhead, the buyer on the left and the title on the right; below the
    /// table the totals in a framed box on the left and the invoice data (number, dates) to
    /// its right: nothing identifies the invoice above the table.
    LeftTotals,
    /// An info box with the invoice data beside the buyer; line items with a second line
    /// under some of them (a serial number or a service period) and per-line discounts,
    /// either in a discount column or as a line under the item; the printed amount is after
    /// the discount (the truth keeps the discount as the line's allowance).
    SubLines,
    /// A4 landscape (842 × 595): seller, buyer and invoice data in three columns, a wide
    /// table with article numbers, units and the VAT rate of every line.
    Landscape,
}

impl LayoutKind {
    /// The layouts [`Spec::default`] draws from: the ones the extraction rules were developed
    /// on. Unchanged when layouts are added, so every seed keeps giving the same document.
    pub const ALL: [LayoutKind; 3] = [
        LayoutKind::Classic,
        LayoutKind::LabelColumn,
        LayoutKind::Modern,
    ];

    /// Layouts added to measure the rules on geometry they were not written against; only
    /// generated when a [`Spec`] asks for one.
    pub const UNSEEN: [LayoutKind; 4] = [
        LayoutKind::TwoColumn,
        LayoutKind::LeftTotals,
        LayoutKind::SubLines,
        LayoutKind::Landscape,
    ];

    /// [`ALL`](Self::ALL) followed by [`UNSEEN`](Self::UNSEEN).
    pub const EVERY: [LayoutKind; 7] = [
        LayoutKind::Classic,
        LayoutKind::LabelColumn,
        LayoutKind::Modern,
        LayoutKind::TwoColumn,
        LayoutKind::LeftTotals,
        LayoutKind::SubLines,
        LayoutKind::Landscape,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LayoutKind::Classic => "classic",
            LayoutKind::LabelColumn => "label-column",
            LayoutKind::Modern => "modern",
            LayoutKind::TwoColumn => "two-column",
            LayoutKind::LeftTotals => "left-totals",
            LayoutKind::SubLines => "sub-lines",
            LayoutKind::Landscape => "landscape",
        }
    }

    /// The layout of this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<LayoutKind> {
        LayoutKind::EVERY.into_iter().find(|l| l.name() == name)
    }

    pub fn is_unseen(self) -> bool {
        LayoutKind::UNSEEN.contains(&self)
    }
}

/// What the line items are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductFamily {
    /// Office chairs ("Bürostühle", "chaises de bureau", …) and their parts.
    OfficeChairs,
    Furniture,
    Supplies,
    It,
    Services,
    /// Books (the reduced VAT rate in Germany and Switzerland).
    Books,
}

impl ProductFamily {
    pub const ALL: [ProductFamily; 6] = [
        ProductFamily::OfficeChairs,
        ProductFamily::Furniture,
        ProductFamily::Supplies,
        ProductFamily::It,
        ProductFamily::Services,
        ProductFamily::Books,
    ];
}

/// What to generate. Unset choices are drawn from the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// How many line items; more than fit on a page continue on further pages.
    pub lines: RangeInclusive<usize>,
    pub layout: Option<LayoutKind>,
    /// The label language; the country is drawn among the language's countries.
    pub language: Option<Language>,
    /// The country (takes precedence over `language`).
    pub country: Option<Country>,
    /// Draw every line item from this family (otherwise most lines come from one family
    /// drawn per document, the rest from any).
    pub family: Option<ProductFamily>,
    /// Resolution of [`scanned_png`] images.
    pub scan_dpi: f32,
    /// Print a gross total that disagrees with the lines and the VAT (by a tenth of the net,
    /// at least 1.00): a document to review, for review tests (the rules reader derives the
    /// VAT from the printed totals, so the reading is consistent but uncertain; correcting
    /// the VAT to the printed one raises the finding that the total does not add up). The truth and [`Facts::gross_amount`] are the printed (wrong) total, as
    /// everywhere they are what the page shows; [`Facts::consistent_gross_amount`] is the total
    /// that adds up.
    pub misprinted_total: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            lines: 1..=12,
            layout: None,
            language: None,
            country: None,
            family: None,
            scan_dpi: 200.0,
            misprinted_total: false,
        }
    }
}

impl Spec {
    /// Enough lines for two or three pages.
    pub fn multi_page() -> Spec {
        Spec {
            lines: 40..=60,
            ..Spec::default()
        }
    }

    pub fn with_layout(mut self, layout: LayoutKind) -> Spec {
        self.layout = Some(layout);
        self
    }

    pub fn with_language(mut self, language: Language) -> Spec {
        self.language = Some(language);
        self
    }

    pub fn with_country(mut self, country: Country) -> Spec {
        self.country = Some(country);
        self
    }

    pub fn with_family(mut self, family: ProductFamily) -> Spec {
        self.family = Some(family);
        self
    }

    pub fn with_misprinted_total(mut self) -> Spec {
        self.misprinted_total = true;
        self
    }

    pub fn with_lines(mut self, lines: RangeInclusive<usize>) -> Spec {
        self.lines = lines;
        self
    }
}

/// What was drawn for a document and how some values were printed (for assertions).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub layout: LayoutKind,
    pub language: Language,
    pub country: Country,
    pub pages: u32,
    /// The invoice number as printed.
    pub invoice_number: String,
    /// The issue date as printed.
    pub issue_date: String,
    /// The gross total as printed on the total line, with its currency.
    pub gross_total: String,
    /// The gross total as printed, without currency.
    pub gross_amount: String,
    /// Net plus VAT (plain `1234.56`): the gross total that adds up, which is the printed one
    /// unless [`Spec::misprinted_total`].
    pub consistent_gross_amount: String,
    /// The net total (sum of the lines) and the VAT, plain `1234.56`.
    pub net_amount: String,
    pub tax_amount: String,
    pub seller_name: String,
    /// The line descriptions as printed, in order.
    pub line_descriptions: Vec<String>,
}

/// A generated born-digital invoice.
#[derive(Debug, Clone)]
pub struct Synthetic {
    pub pdf: Vec<u8>,
    /// What the document shows, as the canonical invoice.
    pub truth: Invoice,
    pub facts: Facts,
}

/// A generated scanned-looking invoice: one page image.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// 8-bit grayscale PNG.
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub truth: Invoice,
    pub facts: Facts,
}

/// Generates the invoice of `seed`.
pub fn generate(seed: u64, spec: &Spec) -> Synthetic {
    let doc = build::document(seed, spec);
    let laid = layout::lay_out(&doc);
    let pdf = pdf::write(
        &laid.pages,
        &format!("{} {}", doc.labels.title, doc.number),
        seed,
    );
    let truth = build::truth(&doc, &laid);
    let facts = Facts {
        layout: doc.layout,
        language: doc.language,
        country: doc.country,
        pages: laid.pages.len() as u32,
        invoice_number: doc.number.clone(),
        issue_date: doc.date(doc.issue),
        gross_total: doc.money(doc.gross),
        gross_amount: doc.num.amount(doc.gross),
        consistent_gross_amount: (doc.net + doc.tax).to_string(),
        net_amount: doc.net.to_string(),
        tax_amount: doc.tax.to_string(),
        seller_name: doc.seller.name.clone(),
        line_descriptions: doc.lines.iter().map(|l| l.description.clone()).collect(),
    };
    Synthetic { pdf, truth, facts }
}

/// The most line items a scanned page gets: scans are single pages.
pub const SCAN_MAX_LINES: usize = 12;

/// Generates the invoice of `seed` as a degraded single-page image (at most
/// [`SCAN_MAX_LINES`] lines): PNG bytes and the truth.
pub fn scanned_png(seed: u64, spec: &Spec) -> (Vec<u8>, Invoice) {
    let s = scanned(seed, spec);
    (s.png, s.truth)
}

/// Like [`scanned_png`], with the image size and the facts.
pub fn scanned(seed: u64, spec: &Spec) -> Scanned {
    let lo = (*spec.lines.start()).clamp(1, SCAN_MAX_LINES);
    let hi = (*spec.lines.end()).clamp(lo, SCAN_MAX_LINES);
    let spec = Spec {
        lines: lo..=hi,
        ..spec.clone()
    };
    let synthetic = generate(seed, &spec);
    let image = scan::degrade_first_page(&synthetic.pdf, spec.scan_dpi, seed);
    Scanned {
        png: image.png,
        width: image.width,
        height: image.height,
        truth: synthetic.truth,
        facts: synthetic.facts,
    }
}

/// The pixel size of a scanned page at `dpi` (A4 portrait; a [`LayoutKind::Landscape`] page
/// is this turned on its side).
pub fn scan_size(dpi: f32) -> (u32, u32) {
    let scale = dpi / 72.0;
    ((pdf::A4.0 * scale) as u32, (pdf::A4.1 * scale) as u32)
}
