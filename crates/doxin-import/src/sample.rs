//! A workbook of the reference shape with made-up but consistent data: four categories,
//! their subcategories, products with costs and prices, ten territories, salespersons, ship
//! methods, companies, and sales orders over two years with one to seven lines each (four on
//! average). The same options give the same workbook. Optional flaws put one bad row each
//! into it, for checking that an import reports them and takes the rest.

use std::path::Path;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::reference::{
    CATEGORY, COMPANY, ORDER, ORDER_LINE, PRODUCT, SALESPERSON, SHIP_METHOD, SUBCATEGORY, Sheet,
    TERRITORY,
};

/// A bad row the workbook can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// An order line naming a product that is not in the Product sheet.
    MissingProduct,
    /// An order line with a negative quantity.
    NegativeQuantity,
    /// An order header whose date does not exist (`2025-02-30`).
    BadDate,
}

#[derive(Debug, Clone)]
pub struct SampleOptions {
    pub orders: u32,
    pub seed: u64,
    pub flaws: Vec<Flaw>,
}

/// What the workbook holds, for checking an import against it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SampleFacts {
    pub companies: u64,
    pub products: u64,
    /// Orders and lines in the workbook, and those an import should take (the flawed rows
    /// and the orders they belong to left out).
    pub orders: u64,
    pub lines: u64,
    pub good_orders: u64,
    pub good_lines: u64,
    /// Σ TotalDue and Σ SubTotal of the good orders.
    pub total_due: Decimal,
    pub subtotal: Decimal,
    /// `(sheet, row, flaw)` of every flawed row, rows numbered as a spreadsheet shows them.
    pub flawed_rows: Vec<(&'static str, u64, Flaw)>,
}

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const CATEGORIES: [&str; 4] = ["Bikes", "Components", "Clothing", "Accessories"];
const SUBCATEGORIES: [(&str, usize); 16] = [
    ("Mountain Bikes", 0),
    ("Road Bikes", 0),
    ("Touring Bikes", 0),
    ("Handlebars", 1),
    ("Brakes", 1),
    ("Chains", 1),
    ("Wheels", 1),
    ("Frames", 1),
    ("Jerseys", 2),
    ("Gloves", 2),
    ("Shorts", 2),
    ("Caps", 2),
    ("Helmets", 3),
    ("Bottles and Cages", 3),
    ("Lights", 3),
    ("Locks", 3),
];
const TERRITORIES: [(&str, &str, &str); 10] = [
    ("Northwest", "US", "North America"),
    ("Northeast", "US", "North America"),
    ("Central", "US", "North America"),
    ("Southwest", "US", "North America"),
    ("Southeast", "US", "North America"),
    ("Canada", "CA", "North America"),
    ("France", "FR", "Europe"),
    ("Germany", "DE", "Europe"),
    ("Australia", "AU", "Pacific"),
    ("United Kingdom", "GB", "Europe"),
];
const FIRST: [&str; 8] = [
    "Stephen", "Michael", "Linda", "Jillian", "Garrett", "Tsvi", "Pamela", "Shu",
];
const LAST: [&str; 8] = [
    "Jiang", "Blythe", "Mitchell", "Carson", "Vargas", "Reiter", "Ansman", "Ito",
];
const SHIP_METHODS: [(&str, &str, &str); 5] = [
    ("XRQ - TRUCK GROUND", "3.95", "0.99"),
    ("ZY - EXPRESS", "9.95", "1.99"),
    ("OVERSEAS - DELUXE", "29.95", "2.99"),
    ("OVERNIGHT J-FAST", "21.95", "1.29"),
    ("CARGO TRANSPORT 5", "8.99", "1.49"),
];
const SHOP_WORDS: [&str; 12] = [
    "Bike", "Cycle", "Wheel", "Sport", "Trail", "Road", "Mountain", "City", "Pedal", "Gear",
    "Spoke", "Velo",
];
const SHOP_KINDS: [&str; 6] = ["Shop", "Store", "Outlet", "Supply", "Works", "Emporium"];
const PRODUCT_WORDS: [&str; 8] = [
    "Classic", "Sport", "Pro", "Touring", "Race", "Urban", "Trail", "Lite",
];

fn header(ws: &mut Worksheet, sheet: &Sheet, bold: &Format) -> Result<(), XlsxError> {
    ws.set_name(sheet.name)?;
    for (c, name) in sheet.column_names().iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, bold)?;
    }
    Ok(())
}

fn num(d: Decimal) -> f64 {
    d.to_f64().unwrap_or_default()
}

/// Writes the workbook to `path` and says what it holds.
pub fn write(path: &Path, opts: &SampleOptions) -> Result<SampleFacts, XlsxError> {
    let mut rng = Rng(opts.seed ^ 0x00D0_C1A7);
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let mut facts = SampleFacts::default();

    let ws = wb.add_worksheet();
    header(ws, &CATEGORY, &bold)?;
    for (i, name) in CATEGORIES.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_number(r, 0, f64::from(r))?;
        ws.write_string(r, 1, *name)?;
    }

    let ws = wb.add_worksheet();
    header(ws, &SUBCATEGORY, &bold)?;
    for (i, (name, cat)) in SUBCATEGORIES.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_number(r, 0, f64::from(r))?;
        ws.write_number(r, 1, (*cat + 1) as f64)?;
        ws.write_string(r, 2, *name)?;
    }

    // Products: prices from 2.29 to about 3,500, costs 40–75 % of the price.
    let n_products = 300u32;
    let mut prices = Vec::with_capacity(n_products as usize);
    let ws = wb.add_worksheet();
    header(ws, &PRODUCT, &bold)?;
    for i in 0..n_products {
        let r = i + 1;
        let sub = rng.below(SUBCATEGORIES.len() as u64) as usize;
        let (sub_name, _) = SUBCATEGORIES[sub];
        let word = PRODUCT_WORDS[rng.below(PRODUCT_WORDS.len() as u64) as usize];
        let size = [38u64, 40, 42, 44, 48, 52, 58, 62][i as usize % 8];
        let name = format!(
            "{word} {} {} - {size}",
            sub_name.trim_end_matches('s'),
            100 + i
        );
        let price = Decimal::new(229 + rng.below(350_000) as i64, 2);
        let cost = (price * Decimal::new(40 + rng.below(36) as i64, 2)).round_dp(2);
        prices.push(price);
        ws.write_number(r, 0, f64::from(700 + i))?;
        ws.write_string(r, 1, &name)?;
        ws.write_string(r, 2, format!("{}-{:04}", &sub_name[..2].to_uppercase(), i))?;
        ws.write_number(r, 3, (sub + 1) as f64)?;
        ws.write_number(r, 4, num(cost))?;
        ws.write_number(r, 5, num(price))?;
        ws.write_string(
            r,
            6,
            ["Black", "Red", "Silver", "Blue", "Yellow"][i as usize % 5],
        )?;
        ws.write_number(r, 7, size as f64)?;
    }
    facts.products = u64::from(n_products);

    let ws = wb.add_worksheet();
    header(ws, &TERRITORY, &bold)?;
    for (i, (name, country, group)) in TERRITORIES.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_number(r, 0, f64::from(r))?;
        ws.write_string(r, 1, *name)?;
        ws.write_string(r, 2, *country)?;
        ws.write_string(r, 3, *group)?;
    }

    let n_people = 17u32;
    let ws = wb.add_worksheet();
    header(ws, &SALESPERSON, &bold)?;
    for i in 0..n_people {
        let r = i + 1;
        ws.write_number(r, 0, f64::from(274 + i))?;
        ws.write_string(r, 1, FIRST[i as usize % FIRST.len()])?;
        ws.write_string(r, 2, LAST[(i as usize * 3 + 1) % LAST.len()])?;
        ws.write_number(r, 4, f64::from(i % 10 + 1))?;
    }

    let ws = wb.add_worksheet();
    header(ws, &SHIP_METHOD, &bold)?;
    for (i, (name, base, rate)) in SHIP_METHODS.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_number(r, 0, f64::from(r))?;
        ws.write_string(r, 1, *name)?;
        ws.write_string(r, 2, *base)?;
        ws.write_string(r, 3, *rate)?;
    }

    // Companies: one per 40 orders, at least 10.
    let n_companies = (opts.orders / 40).max(10);
    let mut company_territory = Vec::with_capacity(n_companies as usize);
    let ws = wb.add_worksheet();
    header(ws, &COMPANY, &bold)?;
    for i in 0..n_companies {
        let r = i + 1;
        let t = rng.below(TERRITORIES.len() as u64) as usize;
        company_territory.push(t);
        let a = SHOP_WORDS[rng.below(SHOP_WORDS.len() as u64) as usize];
        let b = SHOP_KINDS[rng.below(SHOP_KINDS.len() as u64) as usize];
        ws.write_number(r, 0, f64::from(29_485 + i))?;
        ws.write_string(r, 1, format!("{a} {b} {}", i + 1))?;
        ws.write_string(r, 2, format!("AW{:08}", 29_485 + i))?;
        ws.write_string(r, 4, format!("{} Main Street", 100 + rng.below(9_000)))?;
        ws.write_string(r, 6, format!("{} City", TERRITORIES[t].0))?;
        ws.write_string(r, 8, format!("{:05}", 10_000 + rng.below(89_999)))?;
        ws.write_string(r, 9, TERRITORIES[t].1)?;
        ws.write_number(r, 10, (t + 1) as f64)?;
    }
    facts.companies = u64::from(n_companies);

    // Orders and their lines, written side by side.
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let wanted = |f: Flaw| opts.flaws.contains(&f);
    let (mut header_ws, mut line_ws) = (Worksheet::new(), Worksheet::new());
    header(&mut header_ws, &ORDER, &bold)?;
    header(&mut line_ws, &ORDER_LINE, &bold)?;
    let mut line_row = 0u32;
    let eight = Decimal::new(8, 2);
    let freight_rate = Decimal::new(25, 3);
    for i in 0..opts.orders {
        let r = i + 1;
        let id = 43_659 + i;
        let company = rng.below(u64::from(n_companies)) as u32;
        let date = start + Days::new(rng.below(730));
        let n_lines = 1 + (u64::from(i) * 3 % 7);
        let mut subtotal = Decimal::ZERO;
        let mut order_ok = true;
        for j in 0..n_lines {
            line_row += 1;
            let p = rng.below(u64::from(n_products)) as usize;
            let qty = 1 + rng.below(if j == 0 { 3 } else { 8 }) as i64;
            let discount = if rng.below(10) == 0 {
                Decimal::new(5, 2)
            } else {
                Decimal::ZERO
            };
            let total = (Decimal::from(qty) * prices[p] * (Decimal::ONE - discount)).round_dp(2);
            subtotal += total;
            let mut product = 700 + p as u32;
            let mut qty_written = qty as f64;
            // Flaws go into the first lines of the second, third and fourth order.
            if i == 1 && j == 0 && wanted(Flaw::MissingProduct) {
                product = 99_999;
                facts.flawed_rows.push((
                    ORDER_LINE.name,
                    u64::from(line_row) + 1,
                    Flaw::MissingProduct,
                ));
                order_ok = false;
            }
            if i == 2 && j == 0 && wanted(Flaw::NegativeQuantity) {
                qty_written = -qty as f64;
                facts.flawed_rows.push((
                    ORDER_LINE.name,
                    u64::from(line_row) + 1,
                    Flaw::NegativeQuantity,
                ));
                order_ok = false;
            }
            line_ws.write_number(line_row, 0, f64::from(id))?;
            line_ws.write_number(line_row, 1, f64::from(110_000 + line_row))?;
            line_ws.write_number(line_row, 2, f64::from(product))?;
            line_ws.write_number(line_row, 3, qty_written)?;
            line_ws.write_number(line_row, 4, num(prices[p]))?;
            line_ws.write_number(line_row, 5, num(discount))?;
            line_ws.write_number(line_row, 6, num(total))?;
            line_ws.write_string(
                line_row,
                7,
                format!("{:04X}-{:04X}-{:02X}", id % 65_536, line_row % 65_536, j),
            )?;
        }
        let tax = (subtotal * eight).round_dp(2);
        let freight = (subtotal * freight_rate).round_dp(2);
        let total_due = subtotal + tax + freight;
        let t = company_territory[company as usize];
        header_ws.write_number(r, 0, f64::from(id))?;
        header_ws.write_string(r, 1, format!("SO{id}"))?;
        if i == 3 && wanted(Flaw::BadDate) {
            header_ws.write_string(r, 2, "2025-02-30")?;
            facts
                .flawed_rows
                .push((ORDER.name, u64::from(r) + 1, Flaw::BadDate));
            order_ok = false;
        } else {
            header_ws.write_with_format(r, 2, &date, &date_fmt)?;
        }
        header_ws.write_with_format(r, 3, &(date + Days::new(12)), &date_fmt)?;
        header_ws.write_with_format(r, 4, &(date + Days::new(7)), &date_fmt)?;
        header_ws.write_number(r, 5, 5.0)?;
        header_ws.write_string(
            r,
            6,
            format!("PO{:010}", u64::from(id) * 7_919 % 10_000_000_000),
        )?;
        header_ws.write_number(r, 7, f64::from(29_485 + company))?;
        if rng.below(4) != 0 {
            header_ws.write_number(r, 8, f64::from(274 + rng.below(u64::from(n_people)) as u32))?;
        }
        header_ws.write_number(r, 9, (t + 1) as f64)?;
        header_ws.write_number(r, 10, (1 + rng.below(SHIP_METHODS.len() as u64)) as f64)?;
        header_ws.write_string(r, 11, "USD")?;
        header_ws.write_number(r, 12, num(subtotal))?;
        header_ws.write_number(r, 13, num(tax))?;
        header_ws.write_number(r, 14, num(freight))?;
        header_ws.write_number(r, 15, num(total_due))?;
        facts.orders += 1;
        facts.lines += n_lines;
        if order_ok {
            facts.good_orders += 1;
            facts.good_lines += n_lines;
            facts.total_due += total_due;
            facts.subtotal += subtotal;
        }
    }
    wb.push_worksheet(header_ws);
    wb.push_worksheet(line_ws);
    wb.save(path)?;
    Ok(facts)
}
