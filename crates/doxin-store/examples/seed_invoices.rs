//! Fills a database with synthetic invoices for load tests (`scripts/bench-api.sh`).
//!
//! `cargo run --release -p doxin-store --example seed_invoices -- DATABASE_URL COUNT`
//!
//! The invoices are spread round-robin over the users already in the database (create them
//! first with `doxin user create`). Values come from a fixed-seed generator, so two runs give
//! the same data: sellers from a list of 400 company names, 1–5 lines from a product
//! vocabulary, dates over three years, four currencies, amounts that add up.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use doxin_model::{Extracted, Invoice, InvoiceLine};
use doxin_store::{InvoiceStatus, NewInvoice, PageRequest, Store};
use rust_decimal::Decimal;

const PREFIXES: &[&str] = &[
    "Nordwind", "Alpen", "Rhein", "Baltic", "Atlas", "Kessler", "Vogel", "Lumen", "Orion", "Helix",
    "Pioneer", "Granite", "Summit", "Harbor", "Cedar", "Falcon", "Meridian", "Quantum", "Sterling",
    "Aurora",
];
const SUFFIXES: &[&str] = &[
    "Logistik GmbH",
    "Bürobedarf AG",
    "Consulting Ltd",
    "Software BV",
    "Print SARL",
    "Facility Services",
    "Electronics SpA",
    "Catering KG",
    "Transport SL",
    "Energy Oy",
    "Media GmbH",
    "Cleaning Ltd",
    "Hardware Inc",
    "Security AG",
    "Design Studio",
    "Telecom SA",
    "Furniture GmbH",
    "Analytics Ltd",
    "Packaging BV",
    "Travel KG",
];
const PRODUCTS: &[&str] = &[
    "office chair",
    "standing desk",
    "laser printer toner",
    "consulting hours",
    "cloud hosting",
    "software licence",
    "delivery",
    "cleaning service",
    "laptop",
    "monitor 27 inch",
    "paper A4 500 sheets",
    "coffee beans",
    "catering lunch",
    "travel expenses",
    "maintenance",
    "security audit",
    "network switch",
    "training workshop",
    "shipping pallets",
    "electricity",
];
const CURRENCIES: &[&str] = &["EUR", "EUR", "EUR", "USD", "GBP", "CHF"];

/// A small deterministic generator (SplitMix64): reproducible data without a dependency.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

fn invoice(i: u64) -> (Invoice, InvoiceStatus) {
    let mut g = Gen(i.wrapping_mul(7919).wrapping_add(17));
    let seller = format!(
        "{} {}",
        PREFIXES[g.below(PREFIXES.len())],
        SUFFIXES[g.below(SUFFIXES.len())]
    );
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let issue = start + Duration::days(i64::try_from(g.below(3 * 365)).unwrap_or(0));
    let currency = CURRENCIES[g.below(CURRENCIES.len())];
    let mut inv = Invoice {
        invoice_number: Some(Extracted::xml(format!("INV-{}-{i:06}", issue.format("%Y")))),
        issue_date: Some(Extracted::xml(issue)),
        due_date: Some(Extracted::xml(issue + Duration::days(30))),
        currency: Some(Extracted::xml(currency.to_string())),
        ..Invoice::default()
    };
    inv.seller.name = Some(Extracted::xml(seller));
    inv.buyer.name = Some(Extracted::xml(format!("Customer {}", g.below(500))));
    let mut net = Decimal::ZERO;
    for _ in 0..=g.below(5) {
        let qty = Decimal::from(1 + g.below(10));
        let price = Decimal::new(i64::try_from(500 + g.below(50_000)).unwrap_or(500), 2);
        let amount = (qty * price).round_dp(2);
        net += amount;
        inv.lines.push(InvoiceLine {
            description: Some(Extracted::xml(
                PRODUCTS[g.below(PRODUCTS.len())].to_string(),
            )),
            quantity: Some(Extracted::xml(qty)),
            unit_price: Some(Extracted::xml(price)),
            line_amount: Some(Extracted::xml(amount)),
            vat_rate: Some(Extracted::xml(Decimal::from(19))),
            ..InvoiceLine::default()
        });
    }
    let tax = (net * Decimal::new(19, 2)).round_dp(2);
    inv.totals.line_extension_amount = Some(Extracted::xml(net));
    inv.totals.tax_exclusive_amount = Some(Extracted::xml(net));
    inv.totals.tax_amount = Some(Extracted::xml(tax));
    inv.totals.tax_inclusive_amount = Some(Extracted::xml(net + tax));
    inv.totals.payable_amount = Some(Extracted::xml(net + tax));
    let status = match g.below(10) {
        0..=5 => InvoiceStatus::Approved,
        6..=8 => InvoiceStatus::NeedsReview,
        _ => InvoiceStatus::Rejected,
    };
    (inv, status)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: seed_invoices DATABASE_URL COUNT")?;
    let count: u64 = args.next().ok_or("COUNT missing")?.parse()?;
    let store: Arc<dyn Store> = doxin_store::connect(
        &url,
        &doxin_store::ConnectOptions {
            max_connections: 16,
            migrate: true,
        },
    )
    .await?;
    let users: Vec<_> = store
        .list_users(PageRequest::new(1, 200))
        .await?
        .items
        .into_iter()
        .map(|u| u.id)
        .collect();
    if users.is_empty() {
        return Err("no users: create some with `doxin user create` first".into());
    }
    let started = std::time::Instant::now();
    let tasks = 12u64;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = store.clone();
        let users = users.clone();
        handles.push(tokio::spawn(async move {
            let mut i = t;
            while i < count {
                let (inv, status) = invoice(i);
                let owner = users[usize::try_from(i).unwrap_or(0) % users.len()];
                store
                    .insert_invoice(NewInvoice {
                        owner_id: Some(owner),
                        workspace_id: Some(owner),
                        file_id: None,
                        job_id: None,
                        status,
                        confidence: 0.9,
                        invoice: inv,
                        findings: vec![],
                        vendor_id: None,
                        customer_id: None,
                        duplicate_of: None,
                        file_sha256: None,
                    })
                    .await?;
                i += tasks;
            }
            Ok::<(), doxin_store::StoreError>(())
        }));
    }
    for h in handles {
        h.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "seeded {count} invoices over {} users in {secs:.1} s ({:.0}/s)",
        users.len(),
        count as f64 / secs
    );
    Ok(())
}
