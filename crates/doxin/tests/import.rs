//! `doxin import reference|invoices` as a user runs them, on SQLite and on PostgreSQL: a
//! generated AdventureWorks-shaped workbook imports completely and a second import changes no
//! row counts; bad rows are reported with sheet, row and reason while the rest is imported;
//! CSV invoices group their lines, update in place and reject what is wrong; files that are
//! not what they claim get a clear error and change nothing; the profit margin report takes
//! the imported product costs. Every figure is compared with SQL of the test's own.

use std::path::Path;
use std::process::{Command, Output};

use doxin_import::sample::{self, Flaw, SampleOptions};
use doxin_model::Decimal;

const BIN: &str = env!("CARGO_BIN_EXE_doxin");
const PASSWORD: &str = "Correct-Horse-42!";

fn run(dir: &Path, args: &[&str], database_url: &str) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env_clear();
    for key in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(key) {
            cmd.env(key, v);
        }
    }
    cmd.env("DATA_DIR", dir)
        .env("DATABASE_URL", database_url)
        .env("DOXIN_USER_PASSWORD", PASSWORD);
    cmd.output().expect("run doxin")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Rows of `sql` (every column cast to text by the query) on either backend.
fn rows(url: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    use sqlx::{Connection, Row};
    rt().block_on(async {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        if url.starts_with("sqlite:") {
            let mut c = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
            sqlx::query(sql)
                .fetch_all(&mut c)
                .await
                .expect("sql")
                .iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.get::<Option<String>, _>(i))
                        .collect()
                })
                .collect()
        } else {
            let mut c = sqlx::PgConnection::connect(url).await.expect("postgres");
            sqlx::query(sql)
                .fetch_all(&mut c)
                .await
                .expect("sql")
                .iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.get::<Option<String>, _>(i))
                        .collect()
                })
                .collect()
        }
    })
}

fn one(url: &str, sql: &str) -> String {
    rows(url, sql)[0][0].clone().unwrap_or_default()
}

fn count(url: &str, sql: &str) -> u64 {
    one(url, sql).parse().expect("a count")
}

/// Σ of a decimal column, added in Rust (SQLite keeps decimals as text).
fn sum(url: &str, sql: &str) -> Decimal {
    rows(url, sql)
        .into_iter()
        .filter_map(|r| {
            r[0].as_deref()
                .map(|v| v.parse::<Decimal>().expect("decimal"))
        })
        .sum()
}

/// Row counts of everything an import writes.
fn table_counts(url: &str) -> Vec<(String, u64)> {
    [
        "SELECT CAST(COUNT(*) AS TEXT) FROM invoices",
        "SELECT CAST(COUNT(*) AS TEXT) FROM invoice_lines",
        "SELECT CAST(COUNT(*) AS TEXT) FROM companies",
        "SELECT CAST(COUNT(*) AS TEXT) FROM reference_data",
    ]
    .iter()
    .map(|q| (q.to_string(), count(url, q)))
    .collect()
}

/// A PostgreSQL database of its own, dropped at the end; `None` without a test server.
struct PgDb {
    admin: String,
    name: String,
    url: String,
}

impl PgDb {
    fn new() -> Option<PgDb> {
        let Ok(admin) = std::env::var("DOXIN_TEST_DATABASE_URL") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "DOXIN_TEST_DATABASE_URL must be set in CI"
            );
            eprintln!("skipping the PostgreSQL half: DOXIN_TEST_DATABASE_URL is not set");
            return None;
        };
        let name = format!("doxin_import_{}", uuid::Uuid::new_v4().simple());
        Self::exec(&admin, format!("CREATE DATABASE \"{name}\""));
        let mut url = url::Url::parse(&admin).expect("url");
        url.set_path(&name);
        Some(PgDb {
            url: url.to_string(),
            admin,
            name,
        })
    }

    fn exec(admin: &str, sql: String) {
        rt().block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(admin).await.expect("admin");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .expect("sql");
        })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        Self::exec(
            &self.admin,
            format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
        );
    }
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("doxin.db").display())
}

fn admin(dir: &Path, url: &str) {
    ok(run(
        dir,
        &["user", "create", "--admin", "--email", "admin@example.com"],
        url,
    ));
}

/// Imports a generated workbook twice and checks everything against the generator's facts.
fn workbook_round_trip(dir: &Path, url: &str, orders: u32) {
    admin(dir, url);
    let book = dir.join("aw.xlsx");
    let facts = sample::write(
        &book,
        &SampleOptions {
            orders,
            seed: 5,
            flaws: Vec::new(),
        },
    )
    .expect("workbook");
    assert_eq!(facts.orders, u64::from(orders));
    let book = book.to_string_lossy().into_owned();
    let first = ok(run(dir, &["import", "reference", &book], url));
    // The figures docs/benchmarks.md quotes (`--no-capture` shows them).
    eprintln!("{url}: first import\n{first}");
    assert!(
        first.contains(&format!(
            "invoice: {orders} created, 0 updated, 0 unchanged"
        )),
        "{first}"
    );
    assert!(first.contains("rejected: 0"), "{first}");

    let imported = "FROM invoices WHERE import_key LIKE 'sales-order:%' AND deleted_at IS NULL";
    assert_eq!(
        count(url, &format!("SELECT CAST(COUNT(*) AS TEXT) {imported}")),
        facts.orders
    );
    assert_eq!(
        count(
            url,
            &format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM invoice_lines WHERE invoice_id IN \
                 (SELECT id {imported})"
            )
        ),
        facts.lines
    );
    assert_eq!(
        sum(
            url,
            &format!("SELECT CAST(gross_amount AS TEXT) {imported}")
        ),
        facts.total_due
    );
    assert_eq!(
        sum(
            url,
            "SELECT CAST(line_amount AS TEXT) FROM invoice_lines l JOIN invoices i \
             ON i.id = l.invoice_id WHERE i.import_key IS NOT NULL"
        ),
        facts.subtotal
    );
    assert_eq!(
        count(
            url,
            "SELECT CAST(COUNT(*) AS TEXT) FROM companies WHERE external_ref IS NOT NULL"
        ),
        facts.companies
    );
    let kinds = rows(
        url,
        "SELECT kind, CAST(COUNT(*) AS TEXT) FROM reference_data GROUP BY kind ORDER BY kind",
    );
    let kinds: Vec<(String, String)> = kinds
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            )
        })
        .collect();
    let expect = [
        ("category", 4),
        ("product", facts.products),
        ("salesperson", 17),
        ("ship_method", 5),
        ("subcategory", 16),
        ("territory", 10),
    ];
    assert_eq!(
        kinds,
        expect
            .iter()
            .map(|(k, n)| (k.to_string(), n.to_string()))
            .collect::<Vec<_>>()
    );
    // Sales orders carry what the sales report reads.
    assert_eq!(
        count(
            url,
            &format!("SELECT CAST(COUNT(*) AS TEXT) {imported} AND status = 'approved'")
        ),
        facts.orders,
        "consistent orders need no review"
    );
    assert_eq!(
        count(
            url,
            "SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'import.reference'"
        ),
        1
    );

    // Again: nothing created, nothing updated, no row count changed.
    let before = table_counts(url);
    let again = ok(run(dir, &["import", "reference", &book], url));
    eprintln!("second import\n{again}");
    assert!(
        again.contains(&format!(
            "invoice: 0 created, 0 updated, {orders} unchanged"
        )),
        "{again}"
    );
    assert!(
        again.contains("product: 0 created, 0 updated, 300 unchanged"),
        "{again}"
    );
    assert_eq!(table_counts(url), before);
}

#[test]
fn a_reference_workbook_imports_completely_and_a_second_import_changes_nothing() {
    // The acceptance size on PostgreSQL, the deployment's database; a smaller book on SQLite
    // (the same code path; debug builds take about a minute per 30,000 orders).
    let lite = tempfile::tempdir().expect("tempdir");
    workbook_round_trip(lite.path(), &sqlite_url(lite.path()), 3_000);
    if let Some(db) = PgDb::new() {
        let dir = tempfile::tempdir().expect("tempdir");
        workbook_round_trip(dir.path(), &db.url, 30_000);
    }
}

#[test]
fn bad_rows_are_reported_with_sheet_row_and_reason_and_the_rest_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_url(dir.path());
    admin(dir.path(), &url);
    let book = dir.path().join("flawed.xlsx");
    let facts = sample::write(
        &book,
        &SampleOptions {
            orders: 60,
            seed: 9,
            flaws: vec![Flaw::MissingProduct, Flaw::NegativeQuantity, Flaw::BadDate],
        },
    )
    .expect("workbook");
    let rejections = dir.path().join("rejections.json");
    let out = ok(run(
        dir.path(),
        &[
            "import",
            "reference",
            &book.to_string_lossy(),
            "--rejections",
            &rejections.to_string_lossy(),
        ],
        &url,
    ));
    let listed: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&rejections).expect("rejections")).expect("json");
    let has = |sheet: &str, row: u64, words: &str| {
        listed.iter().any(|r| {
            r["sheet"] == sheet
                && r["row"] == row
                && r["reason"].as_str().is_some_and(|t| t.contains(words))
        })
    };
    for (sheet, row, flaw) in &facts.flawed_rows {
        let words = match flaw {
            Flaw::MissingProduct => "product 99999 is not in Product",
            Flaw::NegativeQuantity => "OrderQty must be positive",
            Flaw::BadDate => "\"2025-02-30\" is not a date",
        };
        assert!(has(sheet, *row, words), "{sheet} row {row}: {listed:#?}");
        assert!(out.contains(&format!("{sheet} row {row}: ")), "{out}");
    }
    // The orders of the two bad lines are left out whole, and say why.
    assert!(has(
        "SalesOrderHeader",
        3,
        "left out because its line in SalesOrderDetail row"
    ));
    assert!(has(
        "SalesOrderHeader",
        4,
        "left out because its line in SalesOrderDetail row"
    ));
    assert_eq!(
        count(&url, "SELECT CAST(COUNT(*) AS TEXT) FROM invoices"),
        facts.good_orders
    );
    assert_eq!(facts.good_orders, 57);
    assert_eq!(
        count(&url, "SELECT CAST(COUNT(*) AS TEXT) FROM invoice_lines"),
        facts.good_lines
    );
    assert_eq!(
        sum(&url, "SELECT CAST(gross_amount AS TEXT) FROM invoices"),
        facts.total_due
    );
}

#[test]
fn files_that_cannot_be_imported_get_a_clear_error_and_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_url(dir.path());
    admin(dir.path(), &url);
    let d = dir.path();
    std::fs::write(d.join("empty.xlsx"), b"").expect("write");
    std::fs::write(
        d.join("text.xlsx"),
        b"SalesOrderID,OrderDate\n1,2024-01-01\n",
    )
    .expect("write");
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().set_name("Product").expect("sheet");
    wb.save(d.join("one-sheet.xlsx")).expect("save");
    std::fs::write(
        d.join("unknown.csv"),
        "invoice_number,issue_date,colour\n1,2024-01-01,red\n",
    )
    .expect("write");
    std::fs::write(
        d.join("short.csv"),
        "invoice_number,issue_date\n1,2024-01-01\n",
    )
    .expect("write");
    std::fs::write(d.join("empty.csv"), b"").expect("write");
    let before = table_counts(&url);
    for (args, words) in [
        (vec!["reference", "missing.xlsx"], "cannot read"),
        (
            vec!["reference", "empty.xlsx"],
            "not a readable XLSX workbook",
        ),
        (
            vec!["reference", "text.xlsx"],
            "not a readable XLSX workbook",
        ),
        (
            vec!["reference", "one-sheet.xlsx"],
            "lacks the sheet(s) ProductCategory",
        ),
        (vec!["invoices", "missing.csv"], "cannot read"),
        (vec!["invoices", "unknown.csv"], "unknown column(s) colour"),
        (
            vec!["invoices", "short.csv"],
            "lacks the column(s) currency, seller_name, gross_amount",
        ),
        (
            vec!["invoices", "empty.csv"],
            "lacks the column(s) invoice_number",
        ),
        (
            vec!["invoices", "short.csv", "--owner", "nobody@example.com"],
            "no user nobody@example.com",
        ),
    ] {
        let mut full = vec!["import"];
        full.extend(args.iter().copied());
        let out = run(d, &full, &url);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(words),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(table_counts(&url), before);
    assert_eq!(
        count(
            &url,
            "SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action LIKE 'import.%'"
        ),
        0
    );
}

const CSV: &str = "\
invoice_number,issue_date,due_date,currency,seller_name,seller_vat_id,buyer_name,net_amount,tax_amount,gross_amount,line_description,line_quantity,line_unit_price,line_amount,line_vat_rate
A-1,2025-03-01,2025-03-31,EUR,Acme GmbH,DE123456789,Finance Team,150.00,28.50,178.50,Paper,10,5.00,50.00,19
A-1,,,,Acme GmbH,DE123456789,,,,,Toner,2,50.00,100.00,19
A-2,2025-03-02,,EUR,Acme GmbH,DE123456789,Finance Team,,,119.00,Service,1,100.00,100.00,19
B-7,03/04/2025,,usd,Globex Inc,,Finance Team,,,250.00,,,,,
B-8,2025-04-05,,USD,Globex Inc,,Finance Team,,,twelve,,,,,
B-9,2025-04-06,,USD,Globex Inc,,Finance Team,,,10.00,Widget,-,1.00,,
A-2,,,,Acme GmbH,DE123456789,,,,,Extra,1,0.00,0.00,7
A-3,2025-04-30,,EUR,Acme GmbH,DE123456789,,,,50.00,Bad,1,5.00,5.00,19
A-3,2025-05-01,,,Acme GmbH,DE123456789,,,,,More,1,5.00,5.00,19
";

#[test]
fn csv_invoices_group_their_lines_update_in_place_and_reject_what_is_wrong() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_url(dir.path());
    admin(dir.path(), &url);
    let file = dir.path().join("invoices.csv");
    std::fs::write(&file, CSV).expect("csv");
    let rej = dir.path().join("rej.json");
    let args = [
        "import",
        "invoices",
        &file.to_string_lossy(),
        "--rejections",
        &rej.to_string_lossy(),
    ]
    .map(String::from);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok(run(dir.path(), &args, &url));
    // A-1 (two lines), A-2 (two lines, the second at 7 %), B-7 (no lines); B-8, B-9 and A-3
    // rejected.
    assert!(
        out.contains("invoice: 3 created, 0 updated, 0 unchanged"),
        "{out}"
    );
    let listed: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&rej).expect("rejections")).expect("json");
    let reasons: Vec<(u64, String)> = listed
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap_or(0),
                r["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let has = |row: u64, words: &str| reasons.iter().any(|(r, t)| *r == row && t.contains(words));
    assert!(
        has(6, "gross_amount \"twelve\" is not a number"),
        "{reasons:?}"
    );
    assert!(has(7, "line_quantity \"-\" is not a number"), "{reasons:?}");
    assert!(
        has(
            10,
            "issue_date \"2025-05-01\" differs from \"2025-04-30\" on row 9"
        ),
        "{reasons:?}"
    );
    assert!(
        has(9, "left out because its row 10 was rejected"),
        "{reasons:?}"
    );
    assert_eq!(reasons.len(), 4, "{reasons:?}");

    let inv = |number: &str, col: &str| {
        one(
            &url,
            &format!("SELECT CAST({col} AS TEXT) FROM invoices WHERE invoice_number = '{number}'"),
        )
    };
    let amount = |number: &str, col: &str| inv(number, col).parse::<Decimal>().expect("amount");
    assert_eq!(amount("A-1", "gross_amount"), Decimal::new(17850, 2));
    assert_eq!(inv("A-1", "status"), "approved");
    assert_eq!(
        count(
            &url,
            "SELECT CAST(COUNT(*) AS TEXT) FROM invoice_lines l JOIN invoices i \
             ON i.id = l.invoice_id WHERE i.invoice_number = 'A-1'"
        ),
        2
    );
    assert_eq!(inv("B-7", "currency"), "USD");
    assert_eq!(inv("B-7", "issue_date"), "2025-03-04");
    // A-2 gives no net or tax: the net is its lines' sum, the tax gross minus net.
    assert_eq!(amount("A-2", "tax_amount"), Decimal::new(1900, 2));
    // The seller became a vendor of the workspace, once.
    assert_eq!(
        count(
            &url,
            "SELECT CAST(COUNT(*) AS TEXT) FROM companies WHERE kind = 'vendor'"
        ),
        2
    );

    // Again: unchanged. Then with A-1's gross changed: one update, its lines still two.
    let again = ok(run(dir.path(), &args, &url));
    assert!(
        again.contains("invoice: 0 created, 0 updated, 3 unchanged"),
        "{again}"
    );
    std::fs::write(
        &file,
        CSV.replace("150.00,28.50,178.50", "150.00,28.50,170.00"),
    )
    .expect("csv");
    let changed = ok(run(dir.path(), &args, &url));
    assert!(
        changed.contains("invoice: 0 created, 1 updated, 2 unchanged"),
        "{changed}"
    );
    assert_eq!(amount("A-1", "gross_amount"), Decimal::new(17000, 2));
    assert_eq!(
        inv("A-1", "status"),
        "needs_review",
        "150 + 28.50 is not 170.00"
    );
    assert_eq!(
        count(&url, "SELECT CAST(COUNT(*) AS TEXT) FROM invoices"),
        3
    );
    assert_eq!(
        count(&url, "SELECT CAST(COUNT(*) AS TEXT) FROM invoice_lines"),
        4
    );
}

#[test]
fn the_profit_margin_report_takes_the_imported_product_costs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_url(dir.path());
    admin(dir.path(), &url);
    let book = dir.path().join("aw.xlsx");
    sample::write(
        &book,
        &SampleOptions {
            orders: 200,
            seed: 3,
            flaws: Vec::new(),
        },
    )
    .expect("workbook");
    ok(run(
        dir.path(),
        &["import", "reference", &book.to_string_lossy()],
        &url,
    ));

    // Cost of goods sold computed here: each line's quantity × its product's standard cost.
    let cost = sum(
        &url,
        "SELECT CAST(l.quantity * r.unit_cost AS TEXT) FROM invoice_lines l \
         JOIN reference_data r ON r.kind = 'product' AND lower(r.name) = lower(l.description)",
    );
    let revenue = sum(&url, "SELECT CAST(line_amount AS TEXT) FROM invoice_lines");
    assert!(cost > Decimal::ZERO && cost < revenue, "{cost} {revenue}");

    let report = rt().block_on(async {
        let store = doxin_store::connect(
            &url,
            &doxin_store::ConnectOptions {
                max_connections: 2,
                migrate: false,
            },
        )
        .await
        .expect("store");
        let scope = doxin_store::Scope::All;
        let kind = doxin_reports::report::ReportKind::ProfitMargin;
        let mut params = doxin_reports::report::Params::default();
        doxin_jobs::report::add_catalogue_costs(store.as_ref(), scope, &mut params)
            .await
            .expect("costs");
        assert_eq!(params.unit_costs.len(), 300);
        let facts = doxin_jobs::report::load_facts(store.as_ref(), scope, kind, &params)
            .await
            .expect("facts");
        doxin_reports::report::build(
            kind,
            &params,
            &facts,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        )
    });
    let usd = &report.summary["by_currency"][0];
    assert_eq!(usd["currency"], "USD", "{:#}", report.summary);
    let dec = |v: &serde_json::Value| v.as_str().expect("text").parse::<Decimal>().expect("dec");
    assert_eq!(dec(&usd["revenue"]), revenue);
    assert_eq!(
        dec(&usd["revenue_with_cost"]),
        revenue,
        "every product has a cost"
    );
    assert_eq!(dec(&usd["cost"]).round_dp(2), cost.round_dp(2));
}
