//! Reports (`/api/v1/reports`): every report type generated in every format from demo books
//! (the generator `doxin demo seed` uses), run as a job, with every figure checked against an
//! aggregate the test computes itself with SQL on the same database — on SQLite and on
//! PostgreSQL. The XLSX is read back with openpyxl (an independent reader, from the test
//! script's venv: `DOXIN_TEST_OPENPYXL_PYTHON`), which must find the native charts, the Excel
//! tables and the same totals as the CSV. A report is its creator's (another user gets 404, an
//! administrator sees it); templates fill in parameters.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use doxin_jobs::{Event, EventBus, ReportRunner};
use doxin_model::{Decimal, Tolerance, validate_report};
use doxin_store::{InvoiceStatus, NewInvoice};
use doxin_synth::demo::{DemoBook, DemoStatus};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;
use uuid::Uuid;

use crate::helpers::{SpawnOptions, TestApp, fresh_pg_database, spawn_app_with};

/// Demo invoices per database: small, so the run stays fast, but every currency, status,
/// VAT rate and aging bucket occurs.
const INVOICES: u64 = 160;
const SEED: u64 = 17;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).expect("date")
}

const KINDS: [&str; 7] = [
    "financial",
    "sales",
    "business_intelligence",
    "ap_aging",
    "vat_summary",
    "vendor_spend",
    "profit_margin",
];

enum Db {
    Lite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Db {
    fn sum(&self, col: &str) -> String {
        match self {
            Db::Lite(_) => format!("printf('%.4f', coalesce(SUM(CAST({col} AS REAL)), 0))"),
            // JSON values are text: cast (a no-op on numeric columns).
            Db::Pg(_) => format!("coalesce(SUM(({col})::numeric), 0)::text"),
        }
    }

    fn count(&self) -> &'static str {
        match self {
            Db::Lite(_) => "CAST(COUNT(*) AS TEXT)",
            Db::Pg(_) => "COUNT(*)::text",
        }
    }

    fn month(&self) -> &'static str {
        match self {
            Db::Lite(_) => "substr(i.issue_date, 1, 7)",
            Db::Pg(_) => "to_char(i.issue_date, 'YYYY-MM')",
        }
    }

    fn json(&self, col: &str, path: &[&str]) -> String {
        match self {
            Db::Lite(_) => format!("json_extract({col}, '$.{}')", path.join(".")),
            Db::Pg(_) => format!("({col} #>> '{{{}}}')", path.join(",")),
        }
    }

    /// The breakdown rows of `i.data` as `b` (and the expression of one).
    fn vat_join(&self) -> (&'static str, &'static str) {
        match self {
            Db::Lite(_) => (", json_each(i.data, '$.vat_breakdown') AS b", "b.value"),
            Db::Pg(_) => (
                " CROSS JOIN LATERAL jsonb_array_elements(i.data->'vat_breakdown') AS b(v)",
                "b.v",
            ),
        }
    }

    /// Whole days from `col` to `day`.
    fn days_to(&self, day: NaiveDate, col: &str) -> String {
        match self {
            Db::Lite(_) => {
                format!("CAST(julianday('{day}') - julianday({col}) AS INTEGER)")
            }
            Db::Pg(_) => format!("(DATE '{day}' - {col})"),
        }
    }

    async fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        let text = |r: Vec<Option<String>>| r.into_iter().map(Option::unwrap_or_default).collect();
        match self {
            Db::Lite(pool) => sqlx::query(sql)
                .fetch_all(pool)
                .await
                .expect("sqlite query")
                .iter()
                .map(|r| {
                    text(
                        (0..r.len())
                            .map(|i| r.try_get::<Option<String>, _>(i).expect("text"))
                            .collect(),
                    )
                })
                .collect(),
            Db::Pg(pool) => sqlx::query(sql)
                .fetch_all(pool)
                .await
                .expect("pg query")
                .iter()
                .map(|r| {
                    text(
                        (0..r.len())
                            .map(|i| r.try_get::<Option<String>, _>(i).expect("text"))
                            .collect(),
                    )
                })
                .collect(),
        }
    }
}

/// A decimal from a report cell or SQL text (`12`, `12.5`, `1.2E-5`).
fn num(s: &str) -> Decimal {
    let s = s.trim();
    Decimal::from_str(s)
        .or_else(|_| Decimal::from_scientific(s))
        .unwrap_or_else(|e| panic!("not a number {s:?}: {e}"))
}

/// A key cell as comparable text: numbers normalised (`19.00`, `19` and `19.0` are one rate).
fn key(s: &str) -> String {
    match Decimal::from_str(s.trim()) {
        Ok(d)
            if s.trim()
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-') =>
        {
            d.normalize().to_string()
        }
        _ => s.trim().to_string(),
    }
}

/// One table as read back from a file.
#[derive(Debug, Clone, Default)]
struct Sheet {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Sheet {
    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header))
    }

    /// The row whose `keys` columns hold these values.
    fn find(&self, keys: &[(&str, &str)]) -> Option<&Vec<String>> {
        let cols: Vec<(usize, String)> = keys.iter().map(|(c, v)| (self.col(c), key(v))).collect();
        self.rows.iter().find(|r| {
            cols.iter()
                .all(|(i, v)| r.get(*i).map(|x| key(x)) == Some(v.clone()))
        })
    }

    fn value(&self, keys: &[(&str, &str)], col: &str) -> Decimal {
        let i = self.col(col);
        let row = self
            .find(keys)
            .unwrap_or_else(|| panic!("no row {keys:?} in {:?}", self.rows));
        num(&row[i])
    }
}

/// Every table of a report by sheet name, with what the XLSX says about charts and tables.
#[derive(Debug, Default)]
struct Book {
    sheets: BTreeMap<String, Sheet>,
    /// Chart kinds (`barChart`, `lineChart`, `pieChart`) per sheet (XLSX only).
    charts: BTreeMap<String, Vec<String>>,
    /// Excel tables per sheet (XLSX only).
    tables: BTreeMap<String, usize>,
}

impl Book {
    fn sheet(&self, name: &str) -> &Sheet {
        self.sheets
            .get(name)
            .unwrap_or_else(|| panic!("no table {name:?} in {:?}", self.sheets.keys()))
    }

    fn from_csv(bytes: &[u8]) -> Book {
        let text = std::str::from_utf8(bytes).expect("utf-8");
        let mut book = Book::default();
        // Sections are separated by empty lines; the first is the title and notes.
        for section in text.split("\n\n").skip(1) {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(section.as_bytes());
            let records: Vec<Vec<String>> = rdr
                .records()
                .map(|r| r.expect("csv record").iter().map(str::to_string).collect())
                .collect();
            let name = records[0][0].clone();
            book.sheets.insert(
                name,
                Sheet {
                    header: records[1].clone(),
                    rows: records[2..].to_vec(),
                },
            );
        }
        book
    }

    /// Reads the XLSX with openpyxl; `None` when no Python with openpyxl is configured
    /// (outside CI; in CI that is a failure).
    fn from_xlsx(bytes: &[u8]) -> Option<Book> {
        let Ok(python) = std::env::var("DOXIN_TEST_OPENPYXL_PYTHON") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "DOXIN_TEST_OPENPYXL_PYTHON must be set in CI"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.xlsx");
        std::fs::write(&path, bytes).expect("write xlsx");
        let out = std::process::Command::new(python)
            .arg("-c")
            .arg(READ_XLSX)
            .arg(&path)
            .output()
            .expect("run openpyxl");
        assert!(
            out.status.success(),
            "openpyxl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("openpyxl json");
        let mut book = Book::default();
        for (name, s) in v.as_object().expect("sheets") {
            let charts = s["charts"]
                .as_array()
                .expect("charts")
                .iter()
                .map(|c| c["type"].as_str().unwrap_or("").to_string())
                .collect();
            book.charts.insert(name.clone(), charts);
            book.tables
                .insert(name.clone(), s["tables"].as_array().map_or(0, Vec::len));
            if name == "Report" {
                continue;
            }
            let rows: Vec<Vec<String>> = serde_json::from_value(s["rows"].clone()).expect("rows");
            // Title in the first row, header in the third (xlsx::HEADER_ROW).
            let header: Vec<String> = rows[2].iter().filter(|h| !h.is_empty()).cloned().collect();
            let width = header.len();
            book.sheets.insert(
                name.clone(),
                Sheet {
                    header,
                    rows: rows[3..]
                        .iter()
                        .map(|r| r.iter().take(width).cloned().collect())
                        .collect(),
                },
            );
        }
        Some(book)
    }
}

/// Dumps every sheet: its charts (kind, series), tables and cell values (floats by repr).
const READ_XLSX: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in wb.worksheets:
    charts = [{"type": c.tagname, "series": len(c.series)} for c in ws._charts]
    tables = [t.ref for t in ws.tables.values()]
    rows = [["" if v is None else (repr(v) if isinstance(v, float) else str(v)) for v in r]
            for r in ws.iter_rows(values_only=True)]
    out[ws.title] = {"charts": charts, "tables": tables, "rows": rows}
print(json.dumps(out))
"#;

/// The text of a PDF (poppler's `pdftotext`), after checking its first page renders to a PNG
/// (`pdftoppm`). Poppler is installed by the test script.
fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, bytes).expect("write pdf");
    let out = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "40", "-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg(dir.path().join("page"))
        .output()
        .expect("run pdftoppm (poppler-utils)");
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".png"))
        .expect("a rendered page");
    let png = std::fs::read(png.path()).expect("png");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 1000,
        "{} bytes",
        png.len()
    );
    let out = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Inserts demo invoices `0..n` of the book as `doxin demo seed` does: validated, their
/// parties linked to company records by the pipeline's own matching.
async fn seed_demo(app: &TestApp, workspace: Uuid, n: u64) {
    let book = DemoBook::new(SEED, as_of());
    for index in 0..n {
        let demo = book.invoice(index);
        let (vendor_id, customer_id) =
            doxin_jobs::match_companies(app.store.as_ref(), Some(workspace), &demo.invoice)
                .await
                .expect("companies");
        let status = match demo.status {
            DemoStatus::NeedsReview => InvoiceStatus::NeedsReview,
            DemoStatus::Approved => InvoiceStatus::Approved,
            DemoStatus::Rejected => InvoiceStatus::Rejected,
        };
        app.store
            .insert_invoice(NewInvoice {
                owner_id: Some(app.user.id),
                workspace_id: Some(workspace),
                file_id: None,
                job_id: None,
                status,
                confidence: demo.confidence,
                findings: validate_report(&demo.invoice, &Tolerance::default()).findings,
                vendor_id,
                customer_id,
                duplicate_of: None,
                file_sha256: None,
                invoice: demo.invoice,
            })
            .await
            .expect("insert demo invoice");
    }
}

async fn json_of(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// Asks for a report as the default user and runs its job the way a worker does; returns
/// the report's id and the events the run published.
async fn generate(app: &TestApp, body: Value) -> (Uuid, Vec<Event>) {
    let (status, queued) = json_of(
        app.client
            .post(app.url("/api/v1/reports"))
            .json(&body)
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["status"], "queued");
    let id: Uuid = queued["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let job_id: Uuid = queued["job_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("job id");
    assert_eq!(queued["websocket_url"], format!("/ws?job_id={job_id}"));

    // The jobs list names the job after the report.
    let (_, job) = json_of(app.get(&format!("/api/v1/jobs/{job_id}")).await).await;
    assert_eq!(job["filename"], queued["title"], "{job}");

    // Not downloadable before it is made.
    let early = app
        .get(&format!("/api/v1/reports/{id}/download?format=csv"))
        .await;
    assert_eq!(early.status(), StatusCode::CONFLICT);

    let job = app
        .store
        .claim_job(job_id, "test-worker", Utc::now() + Duration::minutes(5))
        .await
        .expect("claim")
        .expect("claimable");
    let bus = EventBus::local();
    let mut rx = bus.subscribe();
    ReportRunner::new(app.store.clone(), bus)
        .run(&job, as_of())
        .await
        .expect("report job");
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (id, events)
}

async fn download(app: &TestApp, id: Uuid, format: &str) -> Vec<u8> {
    let resp = app
        .get(&format!("/api/v1/reports/{id}/download?format={format}"))
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{format}");
    let disposition = resp
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(disposition.contains(&format!(".{format}")), "{disposition}");
    resp.bytes().await.expect("bytes").to_vec()
}

/// The invoices of the workspace, as SQL conditions on `i`.
fn live(ws: Uuid) -> String {
    format!("i.deleted_at IS NULL AND i.workspace_id = '{ws}'")
}

fn close(a: Decimal, b: Decimal, tolerance: Decimal, what: &str) {
    assert!((a - b).abs() <= tolerance, "{what}: report {a}, SQL {b}");
}

struct Check<'a> {
    db: &'a Db,
    ws: Uuid,
    /// 0 for the CSV (exact decimals), a cent for the XLSX (binary floats).
    tol: Decimal,
}

impl Check<'_> {
    async fn financial(&self, b: &Book) {
        let db = self.db;
        let sql = format!(
            "SELECT coalesce(i.currency, '(none)'), {}, {}, {}, {} FROM invoices i \
             WHERE {} AND i.status <> 'rejected' GROUP BY 1",
            db.count(),
            db.sum("i.net_amount"),
            db.sum("i.tax_amount"),
            db.sum("i.gross_amount"),
            live(self.ws)
        );
        let summary = b.sheet("Summary");
        let rows = db.rows(&sql).await;
        assert!(rows.len() >= 3, "currencies: {rows:?}");
        for r in &rows {
            let k = [("Currency", r[0].as_str())];
            close(
                summary.value(&k, "Invoices"),
                num(&r[1]),
                Decimal::ZERO,
                "invoices",
            );
            close(summary.value(&k, "Net"), num(&r[2]), self.tol, "net");
            close(summary.value(&k, "Tax"), num(&r[3]), self.tol, "tax");
            close(summary.value(&k, "Gross"), num(&r[4]), self.tol, "gross");
        }
        let rejected = db
            .rows(&format!(
                "SELECT coalesce(i.currency, '(none)'), {} FROM invoices i \
                 WHERE {} AND i.status = 'rejected' GROUP BY 1",
                db.count(),
                live(self.ws)
            ))
            .await;
        assert!(!rejected.is_empty());
        for r in &rejected {
            close(
                summary.value(&[("Currency", &r[0])], "Rejected"),
                num(&r[1]),
                Decimal::ZERO,
                "rejected",
            );
        }
        let months = db
            .rows(&format!(
                "SELECT coalesce(i.currency, '(none)'), {}, {} FROM invoices i \
                 WHERE {} AND i.status <> 'rejected' GROUP BY 1, 2",
                db.month(),
                db.sum("i.gross_amount"),
                live(self.ws)
            ))
            .await;
        let periods = b.sheet("By period");
        assert_eq!(periods.rows.len(), months.len());
        for r in &months {
            close(
                periods.value(&[("Currency", &r[0]), ("Period", &r[1])], "Gross"),
                num(&r[2]),
                self.tol,
                "gross per month",
            );
        }
    }

    async fn sales(&self, b: &Book) {
        let db = self.db;
        for (sheet, column, expr) in [
            ("By customer", "Customer", "i.buyer_name".to_string()),
            (
                "By territory",
                "Territory",
                db.json("i.data", &["legacy", "territory", "value"]),
            ),
        ] {
            let rows = db
                .rows(&format!(
                    "SELECT coalesce(i.currency, '(none)'), coalesce({expr}, '(none)'), {}, {} \
                     FROM invoices i WHERE {} AND i.status <> 'rejected' GROUP BY 1, 2",
                    db.count(),
                    db.sum("i.gross_amount"),
                    live(self.ws)
                ))
                .await;
            let t = b.sheet(sheet);
            assert_eq!(t.rows.len(), rows.len(), "{sheet}");
            for r in &rows {
                let k = [("Currency", r[0].as_str()), (column, r[1].as_str())];
                close(t.value(&k, "Invoices"), num(&r[2]), Decimal::ZERO, sheet);
                close(t.value(&k, "Gross"), num(&r[3]), self.tol, sheet);
            }
        }
        assert!(!b.sheets.contains_key("By salesperson"));
    }

    async fn vendor_spend(&self, b: &Book) {
        let db = self.db;
        let rows = db
            .rows(&format!(
                "SELECT coalesce(i.currency, '(none)'), i.seller_name, {} FROM invoices i \
                 WHERE {} AND i.status <> 'rejected' GROUP BY 1, 2",
                db.sum("i.gross_amount"),
                live(self.ws)
            ))
            .await;
        let spend = b.sheet("Vendor spend");
        assert_eq!(spend.rows.len(), rows.len());
        let mut per_currency: BTreeMap<String, Vec<Decimal>> = BTreeMap::new();
        for r in &rows {
            close(
                spend.value(&[("Currency", &r[0]), ("Vendor", &r[1])], "Gross"),
                num(&r[2]),
                self.tol,
                "vendor gross",
            );
            per_currency
                .entry(r[0].clone())
                .or_default()
                .push(num(&r[2]));
        }
        let conc = b.sheet("Concentration");
        for (c, gross) in per_currency {
            let total: Decimal = gross.iter().copied().sum();
            let max = gross.iter().copied().max().unwrap_or_default();
            let hhi: Decimal = gross
                .iter()
                .map(|g| {
                    let s = *g * Decimal::from(100) / total;
                    s * s
                })
                .sum();
            let k = [("Currency", c.as_str())];
            close(
                conc.value(&k, "Vendors"),
                Decimal::from(gross.len()),
                Decimal::ZERO,
                "vendors",
            );
            close(conc.value(&k, "Gross"), total, self.tol, "total");
            close(
                conc.value(&k, "Largest vendor %"),
                max * Decimal::from(100) / total,
                Decimal::new(1, 2),
                "top vendor share",
            );
            close(conc.value(&k, "HHI"), hhi, Decimal::new(5, 2), "HHI");
        }
    }

    async fn ap_aging(&self, b: &Book) {
        let db = self.db;
        let day = as_of();
        let days = db.days_to(day, "coalesce(i.due_date, i.issue_date)");
        let paid = db.json("i.data", &["legacy", "payment_status", "value"]);
        let open = format!(
            "{} AND i.status <> 'rejected' AND lower(coalesce({paid}, '')) <> 'paid' \
             AND i.issue_date <= '{day}'",
            live(self.ws)
        );
        let amount = "coalesce(i.payable_amount, i.gross_amount)";
        let rows = db
            .rows(&format!(
                "SELECT coalesce(i.currency, '(none)'), CASE WHEN {days} <= 0 THEN 'Current' \
                 WHEN {days} <= 30 THEN '1-30 days' WHEN {days} <= 60 THEN '31-60 days' \
                 WHEN {days} <= 90 THEN '61-90 days' ELSE 'Over 90 days' END, {} \
                 FROM invoices i WHERE {open} GROUP BY 1, 2",
                db.sum(amount)
            ))
            .await;
        let totals = b.sheet("Totals");
        let mut seen: BTreeMap<String, Decimal> = BTreeMap::new();
        for r in &rows {
            close(
                totals.value(&[("Currency", &r[0])], &r[1]),
                num(&r[2]),
                self.tol,
                "aging bucket",
            );
            *seen.entry(r[0].clone()).or_default() += num(&r[2]);
        }
        // Some open invoices are over 90 days past due in the demo books.
        assert!(rows.iter().any(|r| r[1] == "Over 90 days"), "{rows:?}");
        for (c, total) in &seen {
            close(
                totals.value(&[("Currency", c)], "Total"),
                *total,
                self.tol,
                "aging total",
            );
        }
        let vendors = db
            .rows(&format!(
                "SELECT coalesce(i.currency, '(none)'), i.seller_name, {}, {} FROM invoices i \
                 WHERE {open} GROUP BY 1, 2",
                db.count(),
                db.sum(amount)
            ))
            .await;
        let by_vendor = b.sheet("By vendor");
        assert_eq!(by_vendor.rows.len(), vendors.len());
        for r in &vendors {
            let k = [("Currency", r[0].as_str()), ("Vendor", r[1].as_str())];
            close(
                by_vendor.value(&k, "Invoices"),
                num(&r[2]),
                Decimal::ZERO,
                "open invoices",
            );
            close(
                by_vendor.value(&k, "Total"),
                num(&r[3]),
                self.tol,
                "vendor open total",
            );
        }
    }

    async fn vat_summary(&self, b: &Book) {
        let db = self.db;
        let (join, e) = db.vat_join();
        let rows = db
            .rows(&format!(
                "SELECT coalesce(i.currency, '(none)'), coalesce({}, '(none)'), {}, {}, {} \
                 FROM invoices i{join} WHERE {} AND i.status <> 'rejected' GROUP BY 1, 2, 3",
                db.json(e, &["category", "value"]),
                db.json(e, &["rate", "value"]),
                db.sum(&db.json(e, &["taxable_amount", "value"])),
                db.sum(&db.json(e, &["tax_amount", "value"])),
                live(self.ws)
            ))
            .await;
        let per_rate = b.sheet("Per rate");
        // Several rates in several currencies, zero-rated reverse charge and exports among them.
        assert!(rows.len() >= 6, "{rows:?}");
        let mut rows_by_key: BTreeMap<(String, String, String), (Decimal, Decimal)> =
            BTreeMap::new();
        for r in &rows {
            // The same rate may be written `19` or `19.00` in different documents.
            let e = rows_by_key
                .entry((r[0].clone(), r[1].clone(), key(&r[2])))
                .or_default();
            e.0 += num(&r[3]);
            e.1 += num(&r[4]);
        }
        assert_eq!(per_rate.rows.len(), rows_by_key.len());
        for ((c, cat, rate), (taxable, tax)) in &rows_by_key {
            let k = [
                ("Currency", c.as_str()),
                ("Category", cat.as_str()),
                ("Rate %", rate.as_str()),
            ];
            close(
                per_rate.value(&k, "Taxable amount"),
                *taxable,
                self.tol,
                "taxable",
            );
            close(per_rate.value(&k, "VAT"), *tax, self.tol, "vat");
        }
        let months = db
            .rows(&format!(
                "SELECT coalesce(i.currency, '(none)'), {}, {} FROM invoices i{join} \
                 WHERE {} AND i.status <> 'rejected' GROUP BY 1, 2",
                db.month(),
                db.sum(&db.json(e, &["tax_amount", "value"])),
                live(self.ws)
            ))
            .await;
        let per_period = b.sheet("Per period");
        assert_eq!(per_period.rows.len(), months.len());
        for r in &months {
            close(
                per_period.value(&[("Currency", &r[0]), ("Period", &r[1])], "VAT"),
                num(&r[2]),
                self.tol,
                "vat per month",
            );
        }
    }

    async fn business_intelligence(&self, b: &Book) {
        let db = self.db;
        let last = db
            .rows(&format!(
                "SELECT CAST(MAX(i.issue_date) AS TEXT) FROM invoices i WHERE {}",
                live(self.ws)
            ))
            .await;
        let to = NaiveDate::parse_from_str(&last[0][0][..10], "%Y-%m-%d").expect("last date");
        let from = to
            .with_day(1)
            .and_then(|d| d.checked_sub_months(Months::new(11)))
            .expect("from");
        let days = (to - from).num_days() + 1;
        let prev_to = from - Duration::days(1);
        let prev_from = from - Duration::days(days);
        let kpis = b.sheet("KPIs");
        for (range, col) in [((from, to), "Current"), ((prev_from, prev_to), "Previous")] {
            let within = format!(
                "{} AND i.issue_date >= '{}' AND i.issue_date <= '{}'",
                live(self.ws),
                range.0,
                range.1
            );
            let all = db
                .rows(&format!(
                    "SELECT {} FROM invoices i WHERE {within}",
                    db.count()
                ))
                .await;
            close(
                kpis.value(&[("KPI", "Invoices"), ("Currency", "(all)")], col),
                num(&all[0][0]),
                Decimal::ZERO,
                "invoices in period",
            );
            let gross = db
                .rows(&format!(
                    "SELECT coalesce(i.currency, '(none)'), {} FROM invoices i \
                     WHERE {within} AND i.status <> 'rejected' GROUP BY 1",
                    db.sum("i.gross_amount")
                ))
                .await;
            assert!(!gross.is_empty(), "{col}");
            for r in &gross {
                close(
                    kpis.value(&[("KPI", "Gross"), ("Currency", &r[0])], col),
                    num(&r[1]),
                    self.tol,
                    "gross in period",
                );
            }
        }
        let trend = b.sheet("Monthly trend");
        assert!(trend.rows.len() >= 12, "{}", trend.rows.len());
    }

    /// The products given a cost: the two EUR products with the most revenue.
    async fn costed_products(&self) -> Vec<(String, Decimal)> {
        let db = self.db;
        let rows = db
            .rows(&format!(
                "SELECT lower(trim(l.description)), {} FROM invoice_lines l \
                 JOIN invoices i ON i.id = l.invoice_id WHERE {} AND i.status <> 'rejected' \
                 AND i.currency = 'EUR' GROUP BY 1 ORDER BY 2 DESC LIMIT 2",
                db.sum("l.line_amount"),
                live(self.ws)
            ))
            .await;
        // PostgreSQL and SQLite order decimal text differently: sorted again here.
        let mut rows: Vec<(String, Decimal)> = rows
            .into_iter()
            .map(|r| (r[0].clone(), num(&r[1])))
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.1));
        vec![
            (rows[0].0.clone(), Decimal::new(1250, 2)),
            (rows[1].0.clone(), Decimal::new(3, 1)),
        ]
    }

    async fn profit_margin(&self, b: &Book) {
        let db = self.db;
        let margin = b.sheet("Margin by product");
        let mut costed_revenue = Decimal::ZERO;
        let mut total_cost = Decimal::ZERO;
        for (product, unit) in self.costed_products().await {
            let r = db
                .rows(&format!(
                    "SELECT {}, {} FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
                     WHERE {} AND i.status <> 'rejected' AND i.currency = 'EUR' \
                     AND lower(trim(l.description)) = '{}'",
                    db.sum("l.quantity"),
                    db.sum("l.line_amount"),
                    live(self.ws),
                    product.replace('\'', "''")
                ))
                .await;
            let (quantity, revenue) = (num(&r[0][0]), num(&r[0][1]));
            let cost = (quantity * unit).round_dp(2);
            // The report lower-cases in Rust (Unicode); SQLite's lower() only touches ASCII.
            let shown = product.to_lowercase();
            let k = [("Currency", "EUR"), ("Product", shown.as_str())];
            close(margin.value(&k, "Revenue"), revenue, self.tol, "revenue");
            close(margin.value(&k, "Cost"), cost, self.tol, "cost");
            close(
                margin.value(&k, "Margin"),
                revenue - cost,
                self.tol,
                "margin",
            );
            costed_revenue += revenue;
            total_cost += cost;
        }
        assert_eq!(margin.rows.len(), 2, "{:?}", margin.rows);
        let revenue = db
            .rows(&format!(
                "SELECT coalesce(i.currency, '(none)'), {} FROM invoice_lines l \
                 JOIN invoices i ON i.id = l.invoice_id WHERE {} AND i.status <> 'rejected' \
                 AND l.description IS NOT NULL AND trim(l.description) <> '' GROUP BY 1",
                db.sum("l.line_amount"),
                live(self.ws)
            ))
            .await;
        let cover = b.sheet("Coverage");
        assert_eq!(cover.rows.len(), revenue.len());
        for r in &revenue {
            close(
                cover.value(&[("Currency", &r[0])], "Revenue"),
                num(&r[1]),
                self.tol,
                "revenue per currency",
            );
        }
        let eur = [("Currency", "EUR")];
        close(
            cover.value(&eur, "Revenue with known cost"),
            costed_revenue,
            self.tol,
            "costed",
        );
        close(cover.value(&eur, "Cost"), total_cost, self.tol, "cost");
    }

    async fn check(&self, kind: &str, b: &Book) {
        match kind {
            "financial" => self.financial(b).await,
            "sales" => self.sales(b).await,
            "business_intelligence" => self.business_intelligence(b).await,
            "ap_aging" => self.ap_aging(b).await,
            "vat_summary" => self.vat_summary(b).await,
            "vendor_spend" => self.vendor_spend(b).await,
            "profit_margin" => self.profit_margin(b).await,
            other => panic!("unknown kind {other}"),
        }
    }
}

/// The tables of each report in order (the first is on the PDF's summary page).
fn csv_order(kind: &str) -> &'static [&'static str] {
    match kind {
        "financial" => &["Summary", "By period", "By status", "By document type"],
        "sales" => &["By customer", "By territory"],
        "business_intelligence" => &["KPIs", "Monthly trend"],
        "ap_aging" => &["Totals", "By vendor"],
        "vat_summary" => &["Per period", "Per rate", "Per period and rate"],
        "profit_margin" => &["Coverage", "Margin by product", "Without cost"],
        _ => &["Concentration", "Vendor spend"],
    }
}

/// The sheet each report draws its main charts on, and their kind.
fn chart_sheet(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "financial" => ("By period", "barChart"),
        "sales" => ("By customer", "barChart"),
        "business_intelligence" => ("Monthly trend", "lineChart"),
        "ap_aging" => ("Totals", "barChart"),
        "vat_summary" => ("Per period", "barChart"),
        "profit_margin" => ("Margin by product", "barChart"),
        _ => ("Vendor spend", "barChart"),
    }
}

async fn reports_story(app: TestApp, db: Db) {
    let ws = app.user.id;
    seed_demo(&app, ws, INVOICES).await;
    let currencies = db
        .rows(&format!(
            "SELECT DISTINCT i.currency FROM invoices i WHERE {} AND i.status <> 'rejected'",
            live(ws)
        ))
        .await
        .len();
    let mut timings = Vec::new();
    let costs: Vec<Value> = Check {
        db: &db,
        ws,
        tol: Decimal::ZERO,
    }
    .costed_products()
    .await
    .into_iter()
    .map(|(product, unit)| {
        // Given in upper case: matched regardless of case.
        json!({"product": product.to_uppercase(), "currency": "eur", "unit_cost": unit.to_string()})
    })
    .collect();
    for kind in KINDS {
        let started = std::time::Instant::now();
        let mut parameters = json!({ "as_of": as_of() });
        if kind == "profit_margin" {
            parameters["unit_costs"] = json!(costs);
        }
        let (id, events) = generate(
            &app,
            json!({
                "report_type": kind,
                "parameters": parameters,
                "formats": ["xlsx", "csv", "pdf"],
            }),
        )
        .await;
        timings.push((kind, started.elapsed()));
        // Progress and completion went out on the bus, addressed to the creator.
        assert!(
            events.iter().any(|e| matches!(e, Event::ReportProgress { report_id, owner_id, .. } if *report_id == id && *owner_id == Some(app.user.id))),
            "{events:?}"
        );
        assert!(
            matches!(events.last(), Some(Event::ReportCompleted { report_id, .. }) if *report_id == id),
            "{events:?}"
        );
        let (status, detail) = json_of(app.get(&format!("/api/v1/reports/{id}")).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(detail["status"], "succeeded", "{detail}");
        assert_eq!(detail["progress"], 100);
        assert_eq!(detail["report_type"], kind);
        assert_eq!(
            detail["files"].as_array().map(Vec::len),
            Some(3),
            "{detail}"
        );
        assert!(detail["summary"].is_object(), "{detail}");
        assert!(detail["finished_at"].is_string());

        let check = Check {
            db: &db,
            ws,
            tol: Decimal::ZERO,
        };
        let csv = Book::from_csv(&download(&app, id, "csv").await);
        check.check(kind, &csv).await;
        // The PDF renders, and its text holds every amount of the first table (the one its
        // summary page shows), as the CSV has them (checked against SQL above).
        let text = pdf_text(&download(&app, id, "pdf").await);
        let mut names: Vec<&str> = csv.sheets.keys().map(String::as_str).collect();
        let mut order = csv_order(kind).to_vec();
        names.sort_unstable();
        order.sort_unstable();
        assert_eq!(names, order, "{kind}");
        let first = csv.sheet(csv_order(kind)[0]);
        let words: std::collections::BTreeSet<&str> = text.split_whitespace().collect();
        for row in &first.rows {
            for cell in row {
                if cell.contains('.') && cell.parse::<f64>().is_ok() {
                    assert!(
                        words.contains(cell.as_str()),
                        "{kind}: {cell} not in the PDF"
                    );
                }
            }
        }
        let xlsx_bytes = download(&app, id, "xlsx").await;
        assert!(xlsx_bytes.starts_with(b"PK"), "{kind}: not a ZIP");
        if let Some(xlsx) = Book::from_xlsx(&xlsx_bytes) {
            let check = Check {
                tol: Decimal::new(1, 2),
                ..check
            };
            check.check(kind, &xlsx).await;
            // Native charts, one per currency on the main sheet; every table an Excel table.
            let (sheet, chart) = chart_sheet(kind);
            let charts = &xlsx.charts[sheet];
            assert!(
                charts.len()
                    >= if kind == "profit_margin" {
                        1
                    } else {
                        currencies.min(2)
                    }
                    && charts.iter().all(|c| c == chart),
                "{kind}: {charts:?}"
            );
            for (name, s) in &xlsx.sheets {
                if !s.rows.is_empty() {
                    assert_eq!(xlsx.tables.get(name), Some(&1), "{kind}/{name}");
                }
            }
            assert_eq!(
                csv.sheets.keys().collect::<Vec<_>>(),
                xlsx.sheets.keys().collect::<Vec<_>>()
            );
        }
    }
    eprintln!("generation ({INVOICES} invoices, both formats): {timings:?}");
}

#[tokio::test]
async fn reports_equal_sql_aggregates_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("reports.db").display());
    let app = spawn_app_with(SpawnOptions {
        database_url: Some(url.clone()),
        ..Default::default()
    })
    .await;
    let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
    reports_story(app, Db::Lite(pool)).await;
}

#[tokio::test]
async fn reports_equal_sql_aggregates_on_postgres() {
    let Some(url) = fresh_pg_database("doxin_reports").await else {
        return;
    };
    let app = spawn_app_with(SpawnOptions {
        database_url: Some(url.clone()),
        ..Default::default()
    })
    .await;
    let pool = sqlx::PgPool::connect(&url).await.expect("pg");
    reports_story(app, Db::Pg(pool)).await;
}

#[tokio::test]
async fn reports_belong_to_their_creator_and_templates_fill_in() {
    let app = crate::helpers::spawn_app().await;
    let other = app.create_user("other@example.com", false).await;
    let admin = app.create_user("admin@example.com", true).await;
    seed_demo(&app, app.user.id, 20).await;

    // A template, then a report from it.
    let (status, t) = json_of(
        app.client
            .post(app.url("/api/v1/reports/templates"))
            .json(&json!({
                "name": "Quarterly VAT",
                "report_type": "vat_summary",
                "parameters": { "period": "quarter", "currency": "eur" },
                "formats": ["csv"],
            }))
            .send()
            .await
            .expect("template"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(
        t["parameters"],
        json!({"period": "quarter", "currency": "EUR"})
    );
    let (id, _) = generate(&app, json!({ "template_id": t["id"] })).await;
    let (_, r) = json_of(app.get(&format!("/api/v1/reports/{id}")).await).await;
    assert_eq!(r["title"], "Quarterly VAT");
    assert_eq!(r["report_type"], "vat_summary");
    assert_eq!(r["formats"], json!(["csv"]));
    let csv = Book::from_csv(&download(&app, id, "csv").await);
    let per_period = csv.sheet("Per period");
    assert!(
        per_period
            .rows
            .iter()
            .all(|row| row[0] == "EUR" && row[1].contains("-Q")),
        "{per_period:?}"
    );
    let missing = app
        .get(&format!("/api/v1/reports/{id}/download?format=xlsx"))
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let bad = app
        .get(&format!("/api/v1/reports/{id}/download?format=docx"))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // Another user: 404 everywhere, an empty list; an administrator sees it.
    for (method, path) in [
        (Method::GET, format!("/api/v1/reports/{id}")),
        (
            Method::GET,
            format!("/api/v1/reports/{id}/download?format=csv"),
        ),
        (Method::DELETE, format!("/api/v1/reports/{id}")),
    ] {
        let resp = app
            .req(method.clone(), &path, Some(&other))
            .send()
            .await
            .expect("other");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let (_, list) = json_of(
        app.req(Method::GET, "/api/v1/reports", Some(&other))
            .send()
            .await
            .expect("list"),
    )
    .await;
    assert_eq!(list["pagination"]["total"], 0);
    let (_, list) = json_of(
        app.req(Method::GET, "/api/v1/reports", Some(&admin))
            .send()
            .await
            .expect("list"),
    )
    .await;
    assert_eq!(list["pagination"]["total"], 1);
    let resp = app
        .req(
            Method::DELETE,
            &format!(
                "/api/v1/reports/templates/{}",
                t["id"].as_str().unwrap_or("")
            ),
            Some(&other),
        )
        .send()
        .await
        .expect("other's template");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Refused requests.
    for body in [
        json!({}),
        json!({"report_type": "astrology"}),
        json!({"report_type": "financial", "formats": ["docx"]}),
        json!({"report_type": "financial", "parameters": {"from": "2026-02-01", "to": "2026-01-01"}}),
        json!({"report_type": "financial", "parameters": {"color": "red"}}),
    ] {
        let resp = app
            .client
            .post(app.url("/api/v1/reports"))
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }

    // A report still queued is deleted with its job cancelled.
    let (status, queued) = json_of(
        app.client
            .post(app.url("/api/v1/reports"))
            .json(&json!({"report_type": "financial"}))
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let rid = queued["id"].as_str().unwrap_or("").to_string();
    let jid: Uuid = queued["job_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("job");
    let resp = app
        .client
        .delete(app.url(&format!("/api/v1/reports/{rid}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let job = app
        .store
        .get_job(jid, doxin_store::Scope::All)
        .await
        .expect("job");
    assert_eq!(job.status, doxin_model::JobStatus::Cancelled);
    assert_eq!(
        app.get(&format!("/api/v1/reports/{rid}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // Retention: finished reports older than the limit go (here: every finished one).
    let deleted = ReportRunner::new(app.store.clone(), EventBus::local())
        .clean_up(0)
        .await
        .expect("retention");
    assert_eq!(deleted, 1);
    assert_eq!(
        app.get(&format!("/api/v1/reports/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // Templates: listed, deleted.
    let (_, templates) = json_of(app.get("/api/v1/reports/templates").await).await;
    assert_eq!(templates["pagination"]["total"], 1);
    let resp = app
        .client
        .delete(app.url(&format!(
            "/api/v1/reports/templates/{}",
            t["id"].as_str().unwrap_or("")
        )))
        .send()
        .await
        .expect("delete template");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
}

/// Generation time of each report type (both formats) over `DOXIN_REPORT_BENCH_INVOICES`
/// demo invoices (default 100,000) on PostgreSQL, seeded as `doxin demo seed` seeds them.
/// Run by hand: `scripts/test.sh --workspace -E 'test(report_generation_time)' --run-ignored
/// only --no-capture`.
#[tokio::test]
#[ignore = "a measurement (minutes), not a check"]
async fn report_generation_time_on_postgres() {
    let Some(url) = fresh_pg_database("doxin_reports_bench").await else {
        return;
    };
    let n: u64 = std::env::var("DOXIN_REPORT_BENCH_INVOICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let app = spawn_app_with(SpawnOptions {
        database_url: Some(url.clone()),
        ..Default::default()
    })
    .await;
    let started = std::time::Instant::now();
    // Eight inserts in flight, as `doxin demo seed` does on PostgreSQL.
    let book = std::sync::Arc::new(DemoBook::new(SEED, as_of()));
    let mut tasks = tokio::task::JoinSet::new();
    for slot in 0..8u64 {
        let (store, book, owner) = (app.store.clone(), book.clone(), app.user.id);
        tasks.spawn(async move {
            let mut i = slot;
            while i < n {
                let demo = book.invoice(i);
                let (vendor_id, customer_id) =
                    doxin_jobs::match_companies(store.as_ref(), Some(owner), &demo.invoice)
                        .await
                        .expect("companies");
                let status = match demo.status {
                    DemoStatus::NeedsReview => InvoiceStatus::NeedsReview,
                    DemoStatus::Approved => InvoiceStatus::Approved,
                    DemoStatus::Rejected => InvoiceStatus::Rejected,
                };
                store
                    .insert_invoice(NewInvoice {
                        owner_id: Some(owner),
                        workspace_id: Some(owner),
                        file_id: None,
                        job_id: None,
                        status,
                        confidence: demo.confidence,
                        findings: validate_report(&demo.invoice, &Tolerance::default()).findings,
                        vendor_id,
                        customer_id,
                        duplicate_of: None,
                        file_sha256: None,
                        invoice: demo.invoice,
                    })
                    .await
                    .expect("insert");
                i += 8;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("seeding task");
    }
    eprintln!(
        "seeded {n} invoices in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Two products with a cost, so the profit margin report looks costs up.
    let costs = json!([
        {"product": "office chair", "currency": "EUR", "unit_cost": "80.00"},
        {"product": "bürostuhl", "currency": "EUR", "unit_cost": "80.00"},
    ]);
    for kind in KINDS {
        let mut line = Vec::new();
        for format in ["xlsx", "csv", "pdf"] {
            let started = std::time::Instant::now();
            let (id, _) = generate(
                &app,
                json!({
                    "report_type": kind,
                    "parameters": {"as_of": as_of(), "unit_costs": costs},
                    "formats": [format],
                }),
            )
            .await;
            let took = started.elapsed();
            let (_, r) = json_of(app.get(&format!("/api/v1/reports/{id}")).await).await;
            line.push(format!(
                "{format} {:.2} s ({} B)",
                took.as_secs_f64(),
                r["files"][0]["size_bytes"]
            ));
        }
        eprintln!("{kind}: {}", line.join(", "));
    }
}
