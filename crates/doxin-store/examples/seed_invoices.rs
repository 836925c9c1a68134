//! Fills a database with synthetic invoices for load tests (`scripts/bench-api.sh`,
//! `scripts/bench-web.sh`).
//!
//! `cargo run --release -p doxin-store --example seed_invoices -- DATABASE_URL COUNT [--bulk]`
//!
//! The invoices are spread round-robin over the users already in the database (create them
//! first with `doxin user create`). Values come from a fixed-seed generator, so two runs give
//! the same data: sellers from a list of 400 company names, 1–6 lines from a product
//! vocabulary (one line in twenty is "laser printer toner": a broad search term matching about
//! one invoice in six; a seller such as "Nordwind Logistik" matches one in 400), dates over
//! three years, four currencies, amounts that add up.
//!
//! Two ways in:
//! - default: through `Store::insert_invoice`, one transaction per invoice, exactly as the
//!   pipeline writes them (created now, no embedding). About 1,000 invoices/s on the 2-core
//!   machine: fine up to 100,000, 17 minutes for 1,000,000.
//! - `--bulk` (PostgreSQL only): the same invoices, written 1,000 per statement
//!   (`INSERT … SELECT FROM unnest(arrays)`, lines likewise), each with the semantic-search
//!   vector the server's default embedder (`EMBEDDINGS_PROVIDER=hash`) would give it, and
//!   created a day after its issue date, so lists, dashboards and date filters see years of
//!   history. The HNSW index is dropped while loading and built once afterwards. Generated
//!   columns (`search`, `salesperson`) are computed by PostgreSQL as for any insert. Timings
//!   are printed (load, then the index build); see `scripts/bench-api.sh` for measured ones.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use doxin_model::{Extracted, Invoice, InvoiceLine};
use doxin_store::{InvoiceColumns, InvoiceStatus, NewInvoice, PageRequest, Store};
use rust_decimal::Decimal;
use uuid::Uuid;

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
    for _ in 0..=g.below(6) {
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

/// The semantic-search text of an invoice, as `doxin_jobs::similar::embedding_text` makes it
/// (parties, number, line descriptions; the generated invoices have nothing else it reads).
fn embedding_text(inv: &Invoice) -> String {
    let v = |f: &Option<Extracted<String>>| f.as_ref().map(|e| e.value.clone());
    let mut parts: Vec<String> = [
        v(&inv.seller.name),
        v(&inv.buyer.name),
        v(&inv.invoice_number),
    ]
    .into_iter()
    .flatten()
    .collect();
    parts.extend(inv.lines.iter().filter_map(|l| v(&l.description)));
    parts.join("\n")
}

/// What the server stores as the model of `doxin_embed::hash::HashEmbedder` (provider:model).
const HASH_MODEL: &str = "hash:char-ngram-3-5-fnv1a-384";

/// `doxin_embed::hash::HashEmbedder::embed_one` at 384 dimensions, copied (doxin-embed pulls
/// in candle and the extractors, too much for an example of the store). The bench script
/// checks that a semantic search finds the seeded vectors: a drift shows as zero hits.
fn hash_embedding(text: &str) -> Vec<f32> {
    const DIM: usize = 384;
    let fnv1a = |chars: &[char]| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for c in chars {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h
    };
    let mut v = vec![0f32; DIM];
    let lower = text.to_lowercase();
    for word in lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let chars: Vec<char> = std::iter::once('<')
            .chain(word.chars())
            .chain(std::iter::once('>'))
            .collect();
        for n in 3..=5 {
            if chars.len() < n {
                continue;
            }
            for gram in chars.windows(n) {
                let h = fnv1a(gram);
                let bucket = usize::try_from(h % DIM as u64).unwrap_or(0);
                let sign = if (h >> 63) == 1 { -1.0 } else { 1.0 };
                v[bucket] += sign;
            }
        }
    }
    for x in &mut v {
        *x = x.signum() * (1.0 + x.abs()).ln();
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x /= norm;
        }
    }
    v
}

/// Invoices per bulk statement.
const BATCH: u64 = 1_000;

/// Writes invoices `from..to` (step `BATCH`) in bulk: one `INSERT … SELECT FROM unnest` for the
/// invoices of a batch and one for their lines, in one transaction.
async fn bulk_batch(
    pool: &sqlx::PgPool,
    users: &[Uuid],
    from: u64,
    to: u64,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let n = usize::try_from(to - from).unwrap_or(0);
    let mut ids = Vec::with_capacity(n);
    let mut owners = Vec::with_capacity(n);
    let mut statuses = Vec::with_capacity(n);
    let mut numbers = Vec::with_capacity(n);
    let mut issued = Vec::with_capacity(n);
    let mut due = Vec::with_capacity(n);
    let mut currencies = Vec::with_capacity(n);
    let mut sellers = Vec::with_capacity(n);
    let mut buyers = Vec::with_capacity(n);
    let mut nets = Vec::with_capacity(n);
    let mut taxes = Vec::with_capacity(n);
    let mut grosses = Vec::with_capacity(n);
    let mut payables = Vec::with_capacity(n);
    let mut data = Vec::with_capacity(n);
    let mut created: Vec<DateTime<Utc>> = Vec::with_capacity(n);
    let mut vectors = Vec::with_capacity(n);
    let now = Utc::now();
    let (mut l_ids, mut l_inv, mut l_pos, mut l_desc) = (vec![], vec![], vec![], vec![]);
    let (mut l_qty, mut l_price, mut l_amount, mut l_vat) = (vec![], vec![], vec![], vec![]);
    for i in from..to {
        let (inv, status) = invoice(i);
        let c = InvoiceColumns::of(&inv);
        let id = Uuid::now_v7();
        let issue = c.issue_date.unwrap_or_default();
        // Uploaded the day after it was issued, at some second of that day (never later than
        // now: the three years of issue dates reach into the end of 2026).
        let at = (issue.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
            + Duration::days(1)
            + Duration::seconds(i64::try_from(i.wrapping_mul(7_919) % 86_400).unwrap_or(0)))
        .min(now);
        for (pos, line) in inv.lines.iter().enumerate() {
            l_ids.push(Uuid::now_v7());
            l_inv.push(id);
            l_pos.push(i32::try_from(pos + 1).unwrap_or(i32::MAX));
            l_desc.push(line.description.as_ref().map(|e| e.value.clone()));
            l_qty.push(line.quantity.as_ref().map(|e| e.value));
            l_price.push(line.unit_price.as_ref().map(|e| e.value));
            l_amount.push(line.line_amount.as_ref().map(|e| e.value));
            l_vat.push(line.vat_rate.as_ref().map(|e| e.value));
        }
        let v = hash_embedding(&embedding_text(&inv));
        vectors.push(format!(
            "[{}]",
            v.iter().map(f32::to_string).collect::<Vec<_>>().join(",")
        ));
        ids.push(id);
        owners.push(users[usize::try_from(i).unwrap_or(0) % users.len()]);
        statuses.push(status.as_str().to_string());
        numbers.push(c.invoice_number);
        issued.push(c.issue_date);
        due.push(c.due_date);
        currencies.push(c.currency);
        sellers.push(c.seller_name);
        buyers.push(c.buyer_name);
        nets.push(c.net_amount);
        taxes.push(c.tax_amount);
        grosses.push(c.gross_amount);
        payables.push(c.payable_amount);
        data.push(serde_json::to_string(&inv)?);
        created.push(at);
    }
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO invoices (id, owner_id, workspace_id, status, document_type, invoice_number, \
         issue_date, due_date, currency, seller_name, buyer_name, net_amount, tax_amount, \
         gross_amount, payable_amount, confidence, data, findings, created_at, updated_at, \
         embedding, embedding_model) \
         SELECT id, owner, owner, status, 'invoice', number, issued, due, currency, seller, \
         buyer, net, tax, gross, payable, 0.9, data::jsonb, '[]'::jsonb, at, at, \
         vec::vector, $17 \
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::date[], $6::date[], \
         $7::text[], $8::text[], $9::text[], $10::numeric[], $11::numeric[], $12::numeric[], \
         $13::numeric[], $14::text[], $15::timestamptz[], $16::text[]) \
         AS t(id, owner, status, number, issued, due, currency, seller, buyer, net, tax, gross, \
         payable, data, at, vec)",
    )
    .bind(&ids)
    .bind(&owners)
    .bind(&statuses)
    .bind(&numbers)
    .bind(&issued)
    .bind(&due)
    .bind(&currencies)
    .bind(&sellers)
    .bind(&buyers)
    .bind(&nets)
    .bind(&taxes)
    .bind(&grosses)
    .bind(&payables)
    .bind(&data)
    .bind(&created)
    .bind(&vectors)
    .bind(HASH_MODEL)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO invoice_lines (id, invoice_id, position, description, quantity, \
         unit_price, line_amount, vat_rate) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int4[], $4::text[], \
         $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[])",
    )
    .bind(&l_ids)
    .bind(&l_inv)
    .bind(&l_pos)
    .bind(&l_desc)
    .bind(&l_qty)
    .bind(&l_price)
    .bind(&l_amount)
    .bind(&l_vat)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The `--bulk` way in; see the module documentation.
async fn seed_bulk(
    url: &str,
    users: Vec<Uuid>,
    count: u64,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await?;
    let started = std::time::Instant::now();
    sqlx::query("DROP INDEX IF EXISTS invoices_embedding_hnsw")
        .execute(&pool)
        .await?;
    // Batches go to the writers round-robin; three writers keep PostgreSQL busy on two cores
    // while the generator (and its embedding) runs.
    let writers = 3u64;
    let users = Arc::new(users);
    let mut handles = Vec::new();
    for w in 0..writers {
        let pool = pool.clone();
        let users = users.clone();
        handles.push(tokio::spawn(async move {
            let mut from = w * BATCH;
            while from < count {
                bulk_batch(&pool, &users, from, (from + BATCH).min(count)).await?;
                from += writers * BATCH;
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        }));
    }
    for h in handles {
        h.await??;
    }
    let loaded = started.elapsed().as_secs_f64();
    println!(
        "bulk-loaded {count} invoices over {} users in {loaded:.1} s ({:.0}/s)",
        users.len(),
        count as f64 / loaded
    );
    let index = std::time::Instant::now();
    // As migration 0005 defines it; memory for the build so 1,000,000 vectors (1.5 GB) do not
    // spill to disk.
    let mut conn = pool.acquire().await?;
    sqlx::query("SET maintenance_work_mem = '2GB'")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "CREATE INDEX IF NOT EXISTS invoices_embedding_hnsw ON invoices \
         USING hnsw (embedding vector_cosine_ops)",
    )
    .execute(&mut *conn)
    .await?;
    println!(
        "built the HNSW index in {:.1} s; {:.1} s in all",
        index.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: seed_invoices DATABASE_URL COUNT [--bulk]")?;
    let count: u64 = args.next().ok_or("COUNT missing")?.parse()?;
    let bulk = match args.next().as_deref() {
        None => false,
        Some("--bulk") => true,
        Some(other) => return Err(format!("unknown argument {other:?}; only --bulk").into()),
    };
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
    if bulk {
        return seed_bulk(&url, users, count)
            .await
            .map_err(|e| e as Box<dyn std::error::Error>);
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
