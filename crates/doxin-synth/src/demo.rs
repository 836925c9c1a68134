//! Demo books: a fixed set of vendors and customers and as many invoices between them as asked
//! for, over the two years before an as-of date — for dashboards, reports, screenshots and
//! benchmarks (`doxin demo seed`).
//!
//! A [`DemoBook`] is a pure function of the seed and the as-of date; invoice `i` is a pure
//! function of the book and `i` (its own forked stream), so asking for more invoices later
//! adds to the same books rather than reshuffling them. The canonical [`Invoice`] of each is
//! built by the same code as the PDF fixtures' truth (no layout: values without page
//! positions).
//!
//! What varies: eight countries with their currencies (EUR, GBP, USD, CHF) and VAT rates
//! (standard, reduced, zero — British books, reverse charge within the EU, exports), payment
//! terms and due dates, a status (about 6 % of invoices carry an arithmetic error and need
//! review; recent invoices wait for review more often; some older ones are rejected), and a
//! payment status (`legacy.payment_status`: `paid` or `open`), so that some approved invoices
//! are overdue.

use chrono::{Datelike, Duration, NaiveDate};
use doxin_model::{Extracted, Invoice, Party};
use rust_decimal::Decimal;

use crate::build::{self, LineData, PartyData};
use crate::data::{PRODUCTS, Product};
use crate::layout::Laid;
use crate::rng::Rng;
use crate::{Country, ProductFamily, Spec};

/// Vendors in every book.
pub const VENDORS: usize = 48;
/// Customers in every book.
pub const CUSTOMERS: usize = 96;
/// How far back issue dates go.
pub const DAYS: i64 = 730;

/// The review status an invoice is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DemoStatus {
    NeedsReview,
    Approved,
    Rejected,
}

/// One generated invoice.
#[derive(Debug, Clone)]
pub struct DemoInvoice {
    /// Position in the book (0-based).
    pub index: u64,
    /// Unique to the seed and the index: what makes a second seeding recognise the invoice.
    pub key: String,
    pub invoice: Invoice,
    pub status: DemoStatus,
    /// Whether it has been paid (`legacy.payment_status`).
    pub paid: bool,
    /// Whether its totals were deliberately broken (validation finds it).
    pub flawed: bool,
    pub confidence: f32,
    /// Indexes into [`DemoBook::vendor`] and [`DemoBook::customer`].
    pub vendor: usize,
    pub customer: usize,
}

impl DemoInvoice {
    /// Due date passed, not paid and not rejected.
    pub fn overdue(&self, as_of: NaiveDate) -> bool {
        !self.paid
            && self.status != DemoStatus::Rejected
            && self
                .invoice
                .due_date
                .as_ref()
                .is_some_and(|d| d.value < as_of)
    }
}

/// A company of the book.
#[derive(Debug, Clone)]
struct Member {
    country: Country,
    data: PartyData,
    /// Invoice-number prefix (vendors).
    prefix: String,
}

/// The vendors and customers of a seed, and the generator of its invoices.
#[derive(Debug, Clone)]
pub struct DemoBook {
    seed: u64,
    as_of: NaiveDate,
    vendors: Vec<Member>,
    customers: Vec<Member>,
    /// Added to every invoice sequence number, so two seeds number differently.
    offset: u64,
}

/// Countries weighted by how often they are drawn.
const COUNTRY_WEIGHTS: [(Country, u64); 8] = [
    (Country::De, 24),
    (Country::Gb, 15),
    (Country::Us, 14),
    (Country::Fr, 12),
    (Country::Nl, 10),
    (Country::Ch, 9),
    (Country::Es, 8),
    (Country::It, 8),
];

fn weighted_country(rng: &mut Rng) -> Country {
    let total: u64 = COUNTRY_WEIGHTS.iter().map(|w| w.1).sum();
    let mut x = rng.below(total);
    for (c, w) in COUNTRY_WEIGHTS {
        if x < w {
            return c;
        }
        x -= w;
    }
    Country::De
}

fn eu(country: Country) -> bool {
    !matches!(country, Country::Gb | Country::Us | Country::Ch)
}

/// `(standard, reduced)` rates of the demo books (the reduced rate applies to books and
/// similar goods; Britain's is zero).
fn rates(country: Country) -> (Decimal, Decimal) {
    match country {
        Country::De => (Decimal::new(19, 0), Decimal::new(7, 0)),
        Country::Ch => (Decimal::new(81, 1), Decimal::new(26, 1)),
        Country::Fr => (Decimal::new(20, 0), Decimal::new(55, 1)),
        Country::Gb => (Decimal::new(20, 0), Decimal::ZERO),
        Country::Nl => (Decimal::new(21, 0), Decimal::new(9, 0)),
        Country::Es => (Decimal::new(21, 0), Decimal::new(10, 0)),
        Country::It => (Decimal::new(22, 0), Decimal::new(10, 0)),
        Country::Us => (Decimal::new(825, 2), Decimal::new(825, 2)),
    }
}

fn prefix(country: Country, rng: &mut Rng) -> String {
    let options: &[&str] = match country {
        Country::De | Country::Ch => &["RE", "R", "RG"],
        Country::Fr => &["FA", "F", "FAC"],
        Country::Nl => &["F", "INV", "FACT"],
        Country::Es => &["FAC", "A", "F"],
        Country::It => &["FT", "FAT", "F"],
        Country::Gb | Country::Us => &["INV", "IN", "SI"],
    };
    (*rng.pick(options)).to_string()
}

impl DemoBook {
    /// The book of `seed`, with invoices issued in the [`DAYS`] days before `as_of`.
    pub fn new(seed: u64, as_of: NaiveDate) -> DemoBook {
        let root = Rng::new(seed).fork(0xDE30);
        let mut rng = root.fork(1);
        let mut names: Vec<String> = Vec::new();
        let mut member = |rng: &mut Rng, seller: bool| loop {
            let country = weighted_country(rng);
            let data = build::party(country, rng, seller);
            if names.contains(&data.name) {
                continue;
            }
            names.push(data.name.clone());
            let prefix = prefix(country, rng);
            return Member {
                country,
                data,
                prefix,
            };
        };
        let vendors = (0..VENDORS).map(|_| member(&mut rng, true)).collect();
        let mut rng = root.fork(2);
        let customers = (0..CUSTOMERS)
            .map(|_| {
                let mut m = member(&mut rng, false);
                // Businesses: most customers have a VAT id where their country has one.
                if m.data.vat.is_none() && rng.chance(0.8) {
                    m.data.vat = crate::ids::vat_id(m.country, &mut rng);
                }
                m
            })
            .collect();
        let offset = root.fork(3).below(900_000);
        DemoBook {
            seed,
            as_of,
            vendors,
            customers,
            offset,
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Vendor `i` as an invoice party (name, address, country, VAT id).
    pub fn vendor(&self, i: usize) -> Party {
        member_party(&self.vendors[i])
    }

    /// Customer `i` as an invoice party.
    pub fn customer(&self, i: usize) -> Party {
        member_party(&self.customers[i])
    }

    /// Invoice `index` of the book.
    pub fn invoice(&self, index: u64) -> DemoInvoice {
        let root = Rng::new(self.seed).fork(0xDE30).fork(1_000 + index);
        let mut rng = root.fork(1);
        // A few vendors send most invoices (spend concentration): squared uniform.
        let u = rng.unit();
        let vendor = ((u * u) * VENDORS as f64) as usize % VENDORS;
        let v = &self.vendors[vendor];
        let customer = {
            let domestic: Vec<usize> = (0..CUSTOMERS)
                .filter(|&c| self.customers[c].country == v.country)
                .collect();
            if !domestic.is_empty() && rng.chance(0.8) {
                *rng.pick(&domestic)
            } else {
                rng.below(CUSTOMERS as u64) as usize
            }
        };
        let c = &self.customers[customer];

        let spec = Spec::default().with_country(v.country).with_lines(1..=6);
        let mut doc = build::document(self.seed ^ index.wrapping_mul(0x9E37_79B9), &spec);
        // Older invoices a little rarer than recent ones (a growing business).
        let age = {
            let x = rng.unit();
            ((1.0 - x.sqrt()) * DAYS as f64) as i64
        }
        .clamp(0, DAYS - 1);
        let issue = self.as_of - Duration::days(age);
        let days = *rng.pick(&[14i64, 30, 30, 30, 45, 60]);
        doc.issue = issue;
        doc.due = Some(issue + Duration::days(days));
        doc.terms = Some(doc.labels.terms.replace("{}", &days.to_string()));
        doc.number = format!(
            "{}-{}-{:06}",
            v.prefix,
            issue.year(),
            (self.offset + index) % 1_000_000
        );
        doc.seller = v.data.clone();
        doc.buyer = c.data.clone();
        doc.print_country = true;
        doc.show_vat_column = true;

        // Zero rating: within the EU across borders the buyer accounts for the VAT (AE);
        // goods leaving for or coming from outside the EU are exports (G).
        let zero_category = if v.country == c.country {
            None
        } else if eu(v.country) && eu(c.country) {
            Some(("AE", "Reverse charge"))
        } else {
            Some(("G", "Export outside the EU"))
        };
        let mut items = root.fork(2);
        doc.lines = demo_lines(v.country, zero_category.is_some(), &mut items);
        let (breakdown, net, tax) = build::sums(&doc.lines);
        doc.breakdown = breakdown;
        doc.net = net;
        doc.tax = tax;
        doc.gross = net + tax;

        let mut invoice = build::truth(&doc, &Laid::unplaced());
        invoice.seller = member_party(v);
        invoice.buyer = member_party(c);
        for row in &mut invoice.vat_breakdown {
            if row.rate.as_ref().is_some_and(|r| r.value.is_zero()) {
                let (category, reason) = zero_category.unwrap_or(("Z", "Zero rated"));
                row.category = Some(Extracted::human(category.to_string()));
                row.exemption_reason = Some(Extracted::human(reason.to_string()));
            }
        }
        invoice.legacy.territory = Some(Extracted::human(c.country.code().to_string()));

        // Review and payment.
        let mut state = root.fork(3);
        let flawed = state.chance(0.06);
        if flawed {
            break_totals(&mut invoice, &mut state);
        }
        let status = if flawed {
            DemoStatus::NeedsReview
        } else if age < 21 {
            if state.chance(0.55) {
                DemoStatus::NeedsReview
            } else {
                DemoStatus::Approved
            }
        } else {
            match state.below(100) {
                0..=6 => DemoStatus::Rejected,
                7..=11 => DemoStatus::NeedsReview,
                _ => DemoStatus::Approved,
            }
        };
        let due = issue + Duration::days(days);
        let paid = status == DemoStatus::Approved
            && if due < self.as_of - Duration::days(90) {
                state.chance(0.97)
            } else if due < self.as_of {
                state.chance(0.75)
            } else {
                state.chance(0.2)
            };
        invoice.legacy.payment_status = Some(Extracted::human(
            if paid { "paid" } else { "open" }.to_string(),
        ));
        let confidence = if flawed {
            0.6 + 0.2 * state.unit() as f32
        } else {
            0.9 + 0.1 * state.unit() as f32
        };
        DemoInvoice {
            index,
            key: format!("doxin-demo/v1/{}/{}", self.seed, index),
            invoice,
            status,
            paid,
            flawed,
            confidence: (confidence * 1000.0).round() / 1000.0,
            vendor,
            customer,
        }
    }
}

fn member_party(m: &Member) -> Party {
    let lines = crate::data::address_lines(m.country, &m.data.place);
    let e = |s: &str| Extracted::human(s.to_string());
    let mut party = Party {
        name: Some(e(&m.data.name)),
        vat_id: m.data.vat.as_ref().map(|v| e(&v.compact)),
        ..Party::default()
    };
    party.address.line1 = Some(e(&m.data.place.street));
    party.address.city = Some(e(m.data.place.city));
    party.address.postal_code = Some(e(m.data.place.postal_code));
    party.address.country_subdivision = m.data.place.subdivision.map(|_| e(&lines[1]));
    party.address.country = Some(e(m.country.code()));
    party.contact.phone = m.data.phone.as_ref().map(|v| e(v));
    party.contact.email = m.data.email.as_ref().map(|v| e(v));
    party.legal_registration_id = m.data.register.as_ref().map(|(_, id)| e(id));
    party
}

fn demo_lines(country: Country, zero_rated: bool, rng: &mut Rng) -> Vec<LineData> {
    let (standard, reduced) = rates(country);
    let language = country.language();
    let family = *rng.pick(&ProductFamily::ALL);
    let in_family: Vec<&Product> = PRODUCTS.iter().filter(|p| p.family == family).collect();
    let count = rng.usize(1..=6);
    let mut used: Vec<&str> = Vec::new();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let mut product = *rng.pick(&in_family);
        for _ in 0..4 {
            if !used.contains(&product.name(language)) {
                break;
            }
            product = if rng.chance(0.7) {
                *rng.pick(&in_family)
            } else {
                rng.pick(PRODUCTS)
            };
        }
        used.push(product.name(language));
        let cents = build::price(product, rng);
        let unit_price = Decimal::new(cents, 2);
        let quantity = build::quantity(product, cents, rng);
        let rate = if zero_rated {
            Decimal::ZERO
        } else if product.reduced {
            reduced
        } else {
            standard
        };
        out.push(LineData {
            description: product.name(language).to_string(),
            quantity,
            unit_price,
            amount: build::round2(quantity * unit_price),
            rate,
            hours: product.hours,
            extra: build::LineExtra::default(),
        });
    }
    out
}

/// Makes the totals not add up the way documents get them wrong: a total with VAT that is
/// not net plus VAT, a line amount that is not quantity times price, or VAT at the wrong rate.
fn break_totals(invoice: &mut Invoice, rng: &mut Rng) {
    let cents = Decimal::new(rng.int(1..=99) * 100 + rng.int(1..=99), 2);
    match rng.below(3) {
        0 => {
            let t = &mut invoice.totals;
            for field in [&mut t.tax_inclusive_amount, &mut t.payable_amount] {
                if let Some(v) = field.as_mut() {
                    v.value += cents;
                }
            }
        }
        1 => {
            if let Some(v) = invoice
                .lines
                .first_mut()
                .and_then(|l| l.line_amount.as_mut())
            {
                v.value += cents;
            }
        }
        _ => {
            if let Some(v) = invoice
                .vat_breakdown
                .first_mut()
                .and_then(|r| r.tax_amount.as_mut())
            {
                v.value += cents;
            }
            if let Some(v) = invoice.totals.tax_amount.as_mut() {
                v.value += cents;
            }
            for field in [
                &mut invoice.totals.tax_inclusive_amount,
                &mut invoice.totals.payable_amount,
            ] {
                if let Some(v) = field.as_mut() {
                    v.value += cents;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doxin_model::{Tolerance, validate_report};

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default()
    }

    #[test]
    fn demo_books_are_deterministic_varied_and_validate_as_drawn() {
        let book = DemoBook::new(7, as_of());
        let again = DemoBook::new(7, as_of());
        let other = DemoBook::new(8, as_of());
        let mut currencies = std::collections::BTreeSet::new();
        let mut rates = std::collections::BTreeSet::new();
        let (mut flawed, mut overdue, mut rejected) = (0, 0, 0);
        for i in 0..2000 {
            let d = book.invoice(i);
            assert_eq!(d.invoice, again.invoice(i).invoice);
            assert_ne!(d.invoice, other.invoice(i).invoice);
            let report = validate_report(&d.invoice, &Tolerance::default());
            assert_eq!(
                report.has_errors(),
                d.flawed,
                "invoice {i}: {:?}",
                report.findings
            );
            let issue = d.invoice.issue_date.as_ref().map(|v| v.value);
            assert!(issue.is_some_and(|v| v <= as_of() && v > as_of() - Duration::days(DAYS)));
            currencies.insert(d.invoice.currency.clone().map(|c| c.value));
            for row in &d.invoice.vat_breakdown {
                rates.insert(row.rate.as_ref().map(|r| r.value));
            }
            flawed += usize::from(d.flawed);
            overdue += usize::from(d.overdue(as_of()));
            rejected += usize::from(d.status == DemoStatus::Rejected);
        }
        assert!(currencies.len() >= 4, "{currencies:?}");
        assert!(rates.contains(&Some(Decimal::ZERO)), "{rates:?}");
        assert!(rates.len() >= 8, "{rates:?}");
        assert!((60..=200).contains(&flawed), "{flawed}");
        assert!(overdue > 20 && rejected > 20, "{overdue} {rejected}");
    }
}
