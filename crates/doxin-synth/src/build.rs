//! Drawing the content of one invoice from the seed, and its truth.

use chrono::{Datelike, Duration, NaiveDate};
use doxin_model::{
    Address, BBox, BankAccount, Contact, Extracted, Invoice, InvoiceLine, Party, Totals,
    VatBreakdown,
};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::data::{self, PRODUCTS, Place, Product};
use crate::ids::{self, Account, VatNumber};
use crate::layout::{Laid, Tag};
use crate::locale::{self, CurrencyStyle, DateStyle, Labels, MoreLabels, NumberStyle};
use crate::rng::Rng;
use crate::{Country, Language, LayoutKind, ProductFamily, Spec};

/// A seller or buyer.
#[derive(Debug, Clone)]
pub(crate) struct PartyData {
    pub name: String,
    pub place: Place,
    pub vat: Option<VatNumber>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Register text as printed and the identifier the truth keeps.
    pub register: Option<(String, String)>,
}

impl PartyData {
    /// The address lines below the name, with the country when printed.
    pub fn address_lines(&self, doc: &Doc) -> Vec<String> {
        let mut lines = data::address_lines(doc.country, &self.place);
        if doc.print_country {
            lines.push(locale::country_name(doc.country, doc.language).to_string());
        }
        lines
    }

    /// One-line address: `Name · Street 1 · 12345 City`.
    pub fn one_line(&self, doc: &Doc) -> String {
        let mut parts = vec![self.name.clone()];
        parts.extend(data::address_lines(doc.country, &self.place));
        parts.join(" · ")
    }
}

#[derive(Debug, Clone)]
pub(crate) struct LineData {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    /// The line's net amount: quantity × price, less the discount if there is one.
    pub amount: Decimal,
    pub rate: Decimal,
    /// The quantity is hours (a service), not pieces.
    pub hours: bool,
    pub extra: LineExtra,
}

/// What the layouts added for evaluation (`LayoutKind::UNSEEN`) print beside a line; empty on
/// the original layouts.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineExtra {
    /// A second line under the description.
    pub sub_line: Option<SubLine>,
    /// Rate (percent) and amount of a discount that `amount` already deducts.
    pub discount: Option<(Decimal, Decimal)>,
    /// The seller's article number.
    pub article: Option<String>,
    /// The unit as printed and its UN/ECE Recommendation 20 code.
    pub unit: Option<(&'static str, &'static str)>,
}

/// The second line printed under an item.
#[derive(Debug, Clone)]
pub(crate) enum SubLine {
    /// Serial numbers of the pieces: a prefix, the first number and how many (a range when
    /// more than one).
    Serial(String, u32, u32),
    /// The period a service was performed in.
    Period(NaiveDate, NaiveDate),
}

/// Everything printed on one invoice, with the formats chosen for it.
pub(crate) struct Doc {
    pub layout: LayoutKind,
    pub language: Language,
    pub country: Country,
    pub labels: &'static Labels,
    pub more: &'static MoreLabels,
    /// Line discounts in a column of their own rather than as a line under the item.
    pub discount_column: bool,
    pub num: NumberStyle,
    pub cur: CurrencyStyle,
    pub date_style: DateStyle,
    pub number: String,
    pub number_label: &'static str,
    pub date_label: &'static str,
    pub due_label: &'static str,
    pub issue: NaiveDate,
    pub due: Option<NaiveDate>,
    pub terms: Option<String>,
    pub customer_no: Option<String>,
    pub order_ref: Option<String>,
    pub seller: PartyData,
    pub buyer: PartyData,
    pub account: Account,
    pub print_country: bool,
    pub show_pos: bool,
    pub show_vat_column: bool,
    /// Currency on every totals line, not only on the total.
    pub currency_everywhere: bool,
    pub upper_title: bool,
    /// Info-block values right-aligned at the margin rather than in a column.
    pub values_right: bool,
    pub lines: Vec<LineData>,
    /// `(rate, taxable, tax)` by rate, highest rate first.
    pub breakdown: Vec<(Decimal, Decimal, Decimal)>,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

impl Doc {
    pub fn date(&self, date: NaiveDate) -> String {
        locale::format_date(date, self.date_style, self.language, self.country)
    }

    pub fn money(&self, amount: Decimal) -> String {
        locale::with_currency(self.country, self.cur, &self.num.amount(amount))
    }

    /// A totals value: with the currency when the document prints it on every line.
    pub fn total_value(&self, amount: Decimal) -> String {
        if self.currency_everywhere {
            self.money(amount)
        } else {
            self.num.amount(amount)
        }
    }

    /// `19 %`, `20%`, `8.1 %`.
    pub fn rate(&self, rate: Decimal) -> String {
        let spaced = matches!(
            self.country,
            Country::De | Country::Ch | Country::Fr | Country::Es
        );
        let r = self.num.plain(rate);
        if spaced {
            format!("{r} %")
        } else {
            format!("{r}%")
        }
    }

    pub fn tax_label(&self) -> &'static str {
        locale::tax_label(self.country, self.language)
    }

    /// The text of a line's second line, as printed.
    pub fn sub_line_text(&self, line: &LineData) -> Option<String> {
        Some(match line.extra.sub_line.as_ref()? {
            SubLine::Serial(prefix, first, 1) => format!("{} {prefix}{first}", self.more.serial),
            SubLine::Serial(prefix, first, count) => format!(
                "{} {prefix}{first} – {prefix}{}",
                self.more.serial,
                first + count - 1
            ),
            SubLine::Period(from, to) => format!(
                "{}: {} – {}",
                self.more.period,
                self.date(*from),
                self.date(*to)
            ),
        })
    }

    pub fn title(&self) -> String {
        if self.upper_title {
            self.labels.title.to_uppercase()
        } else {
            self.labels.title.to_string()
        }
    }
}

pub(crate) fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn pick_country(spec: &Spec, rng: &mut Rng) -> Country {
    if let Some(c) = spec.country {
        return c;
    }
    let language = spec.language.unwrap_or_else(|| *rng.pick(&Language::ALL));
    *rng.pick(language.countries())
}

fn invoice_number(country: Country, year: i32, rng: &mut Rng) -> String {
    let n = |rng: &mut Rng, digits: u32| rng.int(1..=10i64.pow(digits) - 1);
    let yy = year % 100;
    match (country, rng.below(3)) {
        (Country::De | Country::Ch, 0) => format!("RE-{year}-{:04}", n(rng, 4)),
        (Country::De | Country::Ch, 1) => format!("R{year}{:05}", n(rng, 5)),
        (Country::Fr, 0) => format!("FA{yy:02}{:05}", n(rng, 5)),
        (Country::Fr, 1) => format!("F-{year}-{:04}", n(rng, 4)),
        (Country::Nl, 0) => format!("{year}-{:04}", n(rng, 4)),
        (Country::Nl, 1) => format!("F{year}{:04}", n(rng, 4)),
        (Country::Es, 0) => format!("FAC-{year}/{:03}", n(rng, 3)),
        (Country::Es, 1) => format!("A{yy:02}/{:04}", n(rng, 4)),
        (Country::It, 0) => format!("{}/{year}", n(rng, 3)),
        (Country::It, 1) => format!("FT{:04}/{yy:02}", n(rng, 4)),
        (Country::Gb | Country::Us, 0) => format!("INV-{year}-{:04}", n(rng, 4)),
        (Country::Gb | Country::Us, 1) => format!("INV{:06}", n(rng, 6)),
        _ => format!("{:06}", rng.int(100_000..=999_999)),
    }
}

fn phone(country: Country, rng: &mut Rng) -> String {
    let mut d = |n: usize| -> String { (0..n).map(|_| char::from(b'0' + rng.digit())).collect() };
    match country {
        Country::De => format!("+49 30 {}", d(7)),
        Country::Ch => format!("+41 44 {} {} {}", d(3), d(2), d(2)),
        Country::Fr => format!("+33 1 {} {} {} {}", d(2), d(2), d(2), d(2)),
        Country::Nl => format!("+31 20 {} {}", d(3), d(4)),
        Country::Es => format!("+34 91 {} {} {}", d(3), d(2), d(2)),
        Country::It => format!("+39 02 {} {}", d(4), d(4)),
        Country::Gb => format!("+44 20 7946 {}", d(4)),
        Country::Us => format!("(415) 555-{}", d(4)),
    }
}

/// ASCII letters of a name for an e-mail domain.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'à' | 'á' | 'â' => out.push('a'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' => out.push('i'),
            'ò' | 'ó' => out.push('o'),
            'ù' | 'ú' => out.push('u'),
            'ç' => out.push('c'),
            'ñ' => out.push('n'),
            _ => {}
        }
    }
    out
}

fn tld(country: Country) -> &'static str {
    match country {
        Country::Gb => "co.uk",
        Country::Us => "com",
        c => match c {
            Country::De => "de",
            Country::Ch => "ch",
            Country::Fr => "fr",
            Country::Nl => "nl",
            Country::Es => "es",
            _ => "it",
        },
    }
}

/// The e-mail domain name of a company: its name without the legal form, hyphenated.
fn domain(name: &str) -> String {
    const FORMS: [&str; 12] = [
        "GmbH", "AG", "KG", "SARL", "SAS", "SA", "Ltd", "Limited", "PLC", "LLC", "N.V.", "&",
    ];
    name.split_whitespace()
        .filter(|w| !FORMS.contains(w) && !w.ends_with('.'))
        .take(2)
        .map(slug)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn register(
    country: Country,
    place: &Place,
    vat: Option<&VatNumber>,
    rng: &mut Rng,
) -> Option<(String, String)> {
    let digits = |rng: &mut Rng, n: usize| -> String {
        (0..n).map(|_| char::from(b'0' + rng.digit())).collect()
    };
    match country {
        Country::De => {
            let hrb = format!("HRB {}", rng.int(1000..=199_999));
            Some((format!("Amtsgericht {} {hrb}", place.city), hrb))
        }
        Country::Fr => {
            let siren = vat.map(|v| v.compact[4..].to_string())?;
            let spaced = format!("{} {} {}", &siren[..3], &siren[3..6], &siren[6..]);
            Some((format!("RCS {} {spaced}", place.city), siren))
        }
        Country::Nl => {
            let kvk = digits(rng, 8);
            Some((format!("KvK {kvk}"), kvk))
        }
        Country::Gb => {
            let no = format!("{:08}", rng.int(1_000_000..=13_999_999));
            Some((format!("Registered in England and Wales No. {no}"), no))
        }
        _ => None,
    }
}

pub(crate) fn party(country: Country, rng: &mut Rng, seller: bool) -> PartyData {
    let name = data::company_name(country, rng);
    let place = data::place(country, rng);
    let vat = if seller || rng.chance(0.35) {
        ids::vat_id(country, rng)
    } else {
        None
    };
    let phone = seller.then(|| phone(country, rng));
    let email = seller.then(|| {
        let user = *rng.pick(&["info", "billing", "accounts", "office"]);
        format!("{user}@{}.{}", domain(&name), tld(country))
    });
    let register = if seller {
        register(country, &place, vat.as_ref(), rng)
    } else {
        None
    };
    PartyData {
        name,
        place,
        vat,
        phone,
        email,
        register,
    }
}

pub(crate) fn quantity(product: &Product, price_cents: i64, rng: &mut Rng) -> Decimal {
    if product.hours {
        let halves = *rng.pick(&[1i64, 2, 3, 4, 5, 6, 8, 12, 15, 16, 32]);
        if rng.chance(0.15) {
            // Quarter hours.
            return Decimal::new(halves * 50 + 25, 2).normalize();
        }
        return Decimal::new(halves * 5, 1).normalize();
    }
    let max = if price_cents < 1000 {
        50
    } else if price_cents < 10_000 {
        12
    } else {
        6
    };
    let q = if rng.chance(0.5) { 1 } else { rng.int(1..=max) };
    Decimal::from(q)
}

pub(crate) fn price(product: &Product, rng: &mut Rng) -> i64 {
    let (lo, hi) = product.price_cents;
    let c = rng.int(lo..=hi);
    match rng.below(3) {
        0 => c,
        1 => c / 10 * 10,
        _ => (c / 100) * 100 + 90,
    }
}

fn lines(spec: &Spec, country: Country, language: Language, rng: &mut Rng) -> Vec<LineData> {
    let count = rng.usize(spec.lines.clone()).max(1);
    let family = spec.family.unwrap_or_else(|| {
        *rng.pick(&[
            ProductFamily::OfficeChairs,
            ProductFamily::Furniture,
            ProductFamily::Supplies,
            ProductFamily::It,
            ProductFamily::Services,
        ])
    });
    let (standard, reduced) = locale::vat_rates(country);
    let in_family: Vec<&Product> = PRODUCTS.iter().filter(|p| p.family == family).collect();
    let mut used: Vec<&str> = Vec::new();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let mut product = *rng.pick(&in_family);
        for _ in 0..6 {
            let candidate = if spec.family.is_some() || rng.chance(0.7) {
                *rng.pick(&in_family)
            } else {
                rng.pick(PRODUCTS)
            };
            product = candidate;
            if !used.contains(&candidate.name(language)) {
                break;
            }
        }
        used.push(product.name(language));
        let cents = price(product, rng);
        let unit_price = Decimal::new(cents, 2);
        let quantity = quantity(product, cents, rng);
        let rate = match (product.reduced, reduced) {
            (true, Some(r)) => r,
            _ => standard,
        };
        out.push(LineData {
            description: product.name(language).to_string(),
            quantity,
            unit_price,
            amount: round2(quantity * unit_price),
            rate,
            hours: product.hours,
            extra: LineExtra::default(),
        });
    }
    out
}

/// Gives the lines what `layout` prints beyond the original layouts (nothing for those, and
/// nothing drawn): sub-lines and discounts for [`LayoutKind::SubLines`], article numbers and
/// units for [`LayoutKind::Landscape`]. Returns whether discounts go in a column.
fn decorate(
    layout: LayoutKind,
    more: &MoreLabels,
    issue: NaiveDate,
    lines: &mut [LineData],
    rng: &mut Rng,
) -> bool {
    match layout {
        LayoutKind::SubLines => {
            let column = rng.chance(0.5);
            for line in lines.iter_mut() {
                if rng.chance(0.4) {
                    sub_line(line, issue, rng);
                }
                if rng.chance(0.4) {
                    discount(line, rng);
                }
            }
            // The layout is there to show both: a document without either gets one of each.
            if !lines.iter().any(|l| l.extra.sub_line.is_some()) {
                let i = rng.usize(0..=lines.len() - 1);
                sub_line(&mut lines[i], issue, rng);
            }
            if !lines.iter().any(|l| l.extra.discount.is_some()) {
                let i = rng.usize(0..=lines.len() - 1);
                discount(&mut lines[i], rng);
            }
            column
        }
        LayoutKind::Landscape => {
            let style = rng.below(3);
            for line in lines.iter_mut() {
                line.extra.article = Some(match style {
                    0 => format!("{:06}", rng.int(100_000..=999_999)),
                    1 => format!("{}-{:04}", rng.int(10..=99), rng.int(0..=9999)),
                    _ => format!("A{:05}", rng.int(1..=99_999)),
                });
                line.extra.unit = Some(if line.hours {
                    (more.hour, "HUR")
                } else {
                    (more.piece, "H87")
                });
            }
            false
        }
        _ => false,
    }
}

/// A serial number (range) for goods, the month before the invoice for services.
fn sub_line(line: &mut LineData, issue: NaiveDate, rng: &mut Rng) {
    line.extra.sub_line = Some(if line.hours {
        let end = issue.with_day(1).unwrap_or(issue) - Duration::days(1);
        SubLine::Period(end.with_day(1).unwrap_or(end), end)
    } else {
        let letters: String = (0..2)
            .map(|_| char::from(b'A' + rng.below(26) as u8))
            .collect();
        let count = line.quantity.to_u32().unwrap_or(1).max(1);
        SubLine::Serial(
            format!("{letters}-"),
            rng.int(10_000..=89_999) as u32,
            count,
        )
    });
}

/// A discount of a few percent, deducted from the line amount.
fn discount(line: &mut LineData, rng: &mut Rng) {
    let rate = Decimal::from(*rng.pick(&[2i64, 3, 5, 10, 10, 15, 20, 25]));
    let gross = round2(line.quantity * line.unit_price);
    let off = round2(gross * rate / Decimal::ONE_HUNDRED);
    line.extra.discount = Some((rate, off));
    line.amount = gross - off;
}

/// The VAT breakdown `(rate, taxable, tax)` by rate (highest first), net and tax of `lines`.
pub(crate) type Breakdown = Vec<(Decimal, Decimal, Decimal)>;

pub(crate) fn sums(lines: &[LineData]) -> (Breakdown, Decimal, Decimal) {
    let mut rates: Vec<Decimal> = lines.iter().map(|l| l.rate).collect();
    rates.sort_by(|a, b| b.cmp(a));
    rates.dedup();
    let breakdown: Breakdown = rates
        .iter()
        .map(|&rate| {
            let taxable: Decimal = lines
                .iter()
                .filter(|l| l.rate == rate)
                .map(|l| l.amount)
                .sum();
            (rate, taxable, round2(taxable * rate / Decimal::ONE_HUNDRED))
        })
        .collect();
    let net: Decimal = lines.iter().map(|l| l.amount).sum();
    let tax: Decimal = breakdown.iter().map(|b| b.2).sum();
    (breakdown, net, tax)
}

/// Draws the document of `seed`.
pub(crate) fn document(seed: u64, spec: &Spec) -> Doc {
    let root = Rng::new(seed);
    let mut rng = root.fork(1);
    let country = pick_country(spec, &mut rng);
    let language = country.language();
    let layout = spec.layout.unwrap_or_else(|| *rng.pick(&LayoutKind::ALL));
    let labels = locale::labels(language);

    let mut fmt = root.fork(2);
    let num = locale::number_style(country);
    let cur = locale::currency_style(country, &mut fmt);
    let date_style = locale::date_style(country, &mut fmt);
    let number_label = *fmt.pick(labels.number);
    let date_label = *fmt.pick(labels.date);
    let due_label = *fmt.pick(labels.due);
    let print_country = fmt.chance(0.5);
    let show_pos = layout != LayoutKind::Modern && fmt.chance(0.8);
    let currency_everywhere = fmt.chance(0.4);
    let upper_title = layout == LayoutKind::Modern || fmt.chance(0.3);
    let values_right = fmt.chance(0.5);

    let mut head = root.fork(3);
    let base = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
    let issue = base + Duration::days(head.int(0..=1400));
    let days = *head.pick(&[14i64, 30, 30, 60]);
    let due = head.chance(0.85).then(|| issue + Duration::days(days));
    let terms = head
        .chance(0.6)
        .then(|| labels.terms.replace("{}", &days.to_string()));
    let number = invoice_number(country, chrono::Datelike::year(&issue), &mut head);
    let customer_no = head.chance(0.5).then(|| match head.below(3) {
        0 => format!("K-{}", head.int(10_000..=99_999)),
        1 => format!("{}", head.int(100_000..=999_999)),
        _ => format!("C{:04}", head.int(1..=9999)),
    });
    let order_ref = head.chance(0.4).then(|| match head.below(3) {
        0 => format!("PO-{}", head.int(4_500_000_000..=4_599_999_999)),
        1 => format!(
            "B-{}-{:03}",
            chrono::Datelike::year(&issue),
            head.int(1..=999)
        ),
        _ => format!("{}", head.int(100_000..=999_999)),
    });

    let mut parties = root.fork(4);
    let seller = party(country, &mut parties, true);
    let mut buyer = party(country, &mut parties, false);
    let first = |n: &str| n.split_whitespace().next().unwrap_or_default().to_string();
    while first(&buyer.name) == first(&seller.name) || buyer.name == seller.name {
        buyer.name = data::company_name(country, &mut parties);
    }
    let account = ids::account(country, &mut parties);

    let mut items = root.fork(5);
    let mut lines = lines(spec, country, language, &mut items);
    let more = locale::more_labels(language);
    // A fork of its own, so the original layouts draw exactly what they drew before.
    let discount_column = decorate(layout, more, issue, &mut lines, &mut root.fork(6));
    let (breakdown, net, tax) = sums(&lines);
    // The wide layout has room for the rate of every line.
    let show_vat_column =
        layout == LayoutKind::Landscape || breakdown.len() > 1 || fmt.chance(0.25);

    Doc {
        layout,
        language,
        country,
        labels,
        more,
        discount_column,
        num,
        cur,
        date_style,
        number,
        number_label,
        date_label,
        due_label,
        issue,
        due,
        terms,
        customer_no,
        order_ref,
        seller,
        buyer,
        account,
        print_country,
        show_pos,
        show_vat_column,
        currency_everywhere,
        upper_title,
        values_right,
        lines,
        breakdown,
        net,
        tax,
        gross: if spec.misprinted_total {
            // Drawn from nothing, so the rest of the document is the one without the knob.
            net + tax + (net / Decimal::from(10)).round_dp(2).max(Decimal::ONE)
        } else {
            net + tax
        },
    }
}

/// A value with the provenance of the run tagged `tag`, if one was printed.
fn human<T>(laid: &Laid, tag: Tag, value: T) -> Extracted<T> {
    let mut e = Extracted::human(value);
    if let Some(p) = laid.find(tag) {
        e.raw_text = Some(p.text.clone());
        e.page = Some(p.page);
        e.bbox = Some(BBox::new(p.bbox.0, p.bbox.1, p.bbox.2, p.bbox.3));
    }
    e
}

fn plain<T>(value: T, raw: &str) -> Extracted<T> {
    Extracted::human(value).with_raw(raw)
}

fn party_truth(doc: &Doc, p: &PartyData, laid: &Laid, seller: bool) -> Party {
    let (name_tag, vat_tag) = if seller {
        (Tag::SellerName, Tag::SellerVat)
    } else {
        (Tag::BuyerName, Tag::BuyerVat)
    };
    let lines = data::address_lines(doc.country, &p.place);
    let address = Address {
        line1: Some(plain(p.place.street.clone(), &p.place.street)),
        city: Some(plain(p.place.city.to_string(), p.place.city)),
        postal_code: Some(plain(p.place.postal_code.to_string(), p.place.postal_code)),
        country_subdivision: p.place.subdivision.map(|s| plain(s.to_string(), &lines[1])),
        // Only a printed country is truth: a domestic address without one does not show it.
        country: doc.print_country.then(|| {
            plain(
                doc.country.code().to_string(),
                locale::country_name(doc.country, doc.language),
            )
        }),
        ..Address::default()
    };
    Party {
        name: Some(human(laid, name_tag, p.name.clone())),
        address,
        vat_id: p
            .vat
            .as_ref()
            .filter(|_| laid.find(vat_tag).is_some())
            .map(|v| human(laid, vat_tag, v.compact.clone())),
        legal_registration_id: p
            .register
            .as_ref()
            .filter(|_| seller && laid.find(Tag::Register).is_some())
            .map(|(printed, id)| plain(id.clone(), printed)),
        contact: Contact {
            phone: p.phone.as_ref().map(|v| plain(v.clone(), v)),
            email: p.email.as_ref().map(|v| plain(v.clone(), v)),
            ..Contact::default()
        },
        ..Party::default()
    }
}

/// The canonical invoice the laid-out document shows.
pub(crate) fn truth(doc: &Doc, laid: &Laid) -> Invoice {
    let currency = doc.country.currency().to_string();
    let lines = doc
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| InvoiceLine {
            id: doc
                .show_pos
                .then(|| human(laid, Tag::LinePos(i), (i + 1).to_string())),
            description: Some(human(laid, Tag::LineDescription(i), l.description.clone())),
            quantity: Some(human(laid, Tag::LineQuantity(i), l.quantity)),
            unit_price: Some(human(laid, Tag::LinePrice(i), l.unit_price)),
            line_amount: Some(human(laid, Tag::LineAmount(i), l.amount)),
            vat_rate: doc
                .show_vat_column
                .then(|| human(laid, Tag::LineRate(i), l.rate)),
            // A serial number describes the item (BT-154); a service period is a line note
            // (BT-127) here, the model having no line period.
            item_description: doc
                .sub_line_text(l)
                .filter(|_| matches!(l.extra.sub_line, Some(SubLine::Serial(..))))
                .map(|t| human(laid, Tag::LineSub(i), t)),
            note: doc
                .sub_line_text(l)
                .filter(|_| matches!(l.extra.sub_line, Some(SubLine::Period(..))))
                .map(|t| human(laid, Tag::LineSub(i), t)),
            seller_item_id: l
                .extra
                .article
                .as_ref()
                .map(|a| human(laid, Tag::LineArticle(i), a.clone())),
            unit_code: l
                .extra
                .unit
                .map(|(_, code)| human(laid, Tag::LineUnit(i), code.to_string())),
            allowance_amount: l
                .extra
                .discount
                .map(|(_, amount)| human(laid, Tag::LineDiscount(i), amount)),
            ..InvoiceLine::default()
        })
        .collect();
    let bank = BankAccount {
        iban: doc
            .account
            .iban
            .as_ref()
            .map(|v| human(laid, Tag::Iban, v.clone())),
        bic: doc.account.bic.as_ref().map(|v| plain(v.clone(), v)),
        account_number: doc
            .account
            .account_number
            .as_ref()
            .map(|v| plain(v.clone(), v)),
        account_name: None,
    };
    Invoice {
        invoice_number: Some(human(laid, Tag::Number, doc.number.clone())),
        issue_date: Some(human(laid, Tag::IssueDate, doc.issue)),
        due_date: doc.due.map(|d| human(laid, Tag::DueDate, d)),
        currency: Some(human(laid, Tag::Gross, currency)),
        purchase_order_ref: doc
            .order_ref
            .as_ref()
            .map(|v| human(laid, Tag::Order, v.clone())),
        customer_number: doc
            .customer_no
            .as_ref()
            .map(|v| human(laid, Tag::Customer, v.clone())),
        payment_terms: doc.terms.as_ref().map(|t| plain(t.clone(), t)),
        seller: party_truth(doc, &doc.seller, laid, true),
        buyer: party_truth(doc, &doc.buyer, laid, false),
        totals: Totals {
            line_extension_amount: Some(human(laid, Tag::Net, doc.net)),
            tax_exclusive_amount: Some(human(laid, Tag::Net, doc.net)),
            tax_amount: Some(human(laid, Tag::TaxTotal, doc.tax)),
            tax_inclusive_amount: Some(human(laid, Tag::Gross, doc.gross)),
            payable_amount: Some(human(laid, Tag::Gross, doc.gross)),
            ..Totals::default()
        },
        vat_breakdown: doc
            .breakdown
            .iter()
            .enumerate()
            .map(|(i, &(rate, taxable, tax))| VatBreakdown {
                category: Some(Extracted::human("S".to_string())),
                rate: Some(human(laid, Tag::TaxLabel(i), rate)),
                taxable_amount: Some(Extracted::human(taxable)),
                tax_amount: Some(human(laid, Tag::Tax(i), tax)),
                exemption_reason: None,
            })
            .collect(),
        bank_accounts: if bank == BankAccount::default() {
            Vec::new()
        } else {
            vec![bank]
        },
        lines,
        ..Invoice::default()
    }
}
