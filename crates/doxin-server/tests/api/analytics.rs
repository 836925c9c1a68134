//! The analytics API (`/api/v1/reports/analytics/…`): every figure equals an aggregate the
//! test computes itself with SQL on the same database (SQLite and PostgreSQL); amounts in
//! different currencies are never added together; another workspace sees none of them, a
//! viewer reads them, a system administrator sees every workspace; `from`/`to` filter and
//! bad parameters are 400.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use doxin_model::{Decimal, Extracted, Invoice, InvoiceLine};
use doxin_store::{InvoiceStatus, NewInvoice, NewMembership, WorkspaceRole};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

use crate::helpers::{SpawnOptions, TestApp, TestUser, fresh_pg_database, spawn_app_with};

const BASE: &str = "/api/v1/reports/analytics";

/// The same database the app uses, opened by the test for its own queries.
enum Db {
    Lite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Db {
    /// An exact sum of a decimal column as text (`0` for none). SQLite keeps decimals as text:
    /// summed there as doubles and printed with four decimals (exact for these amounts).
    fn sum(&self, col: &str) -> String {
        match self {
            Db::Lite(_) => format!("printf('%.4f', coalesce(SUM(CAST({col} AS REAL)), 0))"),
            Db::Pg(_) => format!("coalesce(SUM({col}), 0)::text"),
        }
    }

    fn text(&self, expr: &str) -> String {
        match self {
            Db::Lite(_) => format!("CAST({expr} AS TEXT)"),
            Db::Pg(_) => format!("({expr})::text"),
        }
    }

    fn month(&self) -> &'static str {
        match self {
            Db::Lite(_) => "substr(coalesce(issue_date, created_at), 1, 7)",
            Db::Pg(_) => {
                "to_char(coalesce(issue_date, (created_at AT TIME ZONE 'UTC')::date), 'YYYY-MM')"
            }
        }
    }

    /// Every column as text (or NULL).
    async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self {
            Db::Lite(pool) => sqlx::query(sql)
                .fetch_all(pool)
                .await
                .expect("sqlite query")
                .iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<Option<String>, _>(i).expect("text"))
                        .collect()
                })
                .collect(),
            Db::Pg(pool) => sqlx::query(sql)
                .fetch_all(pool)
                .await
                .expect("pg query")
                .iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<Option<String>, _>(i).expect("text"))
                        .collect()
                })
                .collect(),
        }
    }
}

/// Conditions on `invoices` (aliased `i`) for one workspace and an issue-date range.
/// Test-only SQL with literal values the test generated itself.
fn filter(ws: Option<Uuid>, from: Option<&str>, to: Option<&str>, unsettled: bool) -> String {
    let mut c = vec!["i.deleted_at IS NULL".to_string()];
    if let Some(w) = ws {
        c.push(format!("i.workspace_id = '{w}'"));
    }
    if let Some(f) = from {
        c.push(format!("i.issue_date >= '{f}'"));
    }
    if let Some(t) = to {
        c.push(format!("i.issue_date <= '{t}'"));
    }
    if unsettled {
        c.push("i.status <> 'rejected'".into());
    }
    c.join(" AND ")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .normalize()
}

fn jdec(v: &Value) -> Decimal {
    dec(v
        .as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}")))
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn n(v: &Option<String>) -> u64 {
    s(v).parse().expect("count")
}

fn jcurrency(v: &Value) -> String {
    v["currency"].as_str().unwrap_or("").to_string()
}

struct Spec {
    number: &'static str,
    currency: &'static str,
    status: InvoiceStatus,
    seller: &'static str,
    buyer: &'static str,
    issued: Option<&'static str>,
    due: Option<&'static str>,
    net: &'static str,
    tax: &'static str,
    gross: &'static str,
    confidence: f32,
    lines: &'static [(&'static str, &'static str, &'static str)],
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn invoice(spec: &Spec) -> Invoice {
    let mut inv = doxin_synth::generate(7, &doxin_synth::Spec::default()).truth;
    inv.invoice_number = Some(Extracted::xml(spec.number.to_string()));
    inv.currency = Some(Extracted::xml(spec.currency.to_string()));
    inv.seller.name = Some(Extracted::xml(spec.seller.to_string()));
    inv.seller.vat_id = None;
    inv.buyer.name = Some(Extracted::xml(spec.buyer.to_string()));
    inv.buyer.vat_id = None;
    inv.issue_date = spec.issued.map(|d| Extracted::xml(day(d)));
    inv.due_date = spec.due.map(|d| Extracted::xml(day(d)));
    inv.totals.tax_exclusive_amount = Some(Extracted::xml(dec(spec.net)));
    inv.totals.tax_amount = Some(Extracted::xml(dec(spec.tax)));
    inv.totals.tax_inclusive_amount = Some(Extracted::xml(dec(spec.gross)));
    inv.lines = spec
        .lines
        .iter()
        .map(|(d, q, a)| InvoiceLine {
            description: Some(Extracted::xml((*d).to_string())),
            quantity: Some(Extracted::xml(dec(q))),
            line_amount: Some(Extracted::xml(dec(a))),
            ..InvoiceLine::default()
        })
        .collect();
    inv
}

async fn store_invoice(app: &TestApp, owner: &TestUser, workspace: Uuid, spec: &Spec) {
    app.store
        .insert_invoice(NewInvoice {
            owner_id: Some(owner.id),
            workspace_id: Some(workspace),
            file_id: None,
            job_id: None,
            status: spec.status,
            confidence: spec.confidence,
            invoice: invoice(spec),
            findings: vec![],
            vendor_id: None,
            customer_id: None,
            duplicate_of: None,
            file_sha256: None,
        })
        .await
        .expect("insert invoice");
}

use InvoiceStatus::{Approved, NeedsReview, Rejected};

const INVOICES: &[Spec] = &[
    Spec {
        number: "A-1",
        currency: "EUR",
        status: Approved,
        seller: "Acme GmbH",
        buyer: "Buyer One",
        issued: Some("2025-01-15"),
        due: Some("2025-02-15"),
        net: "100.00",
        tax: "19.00",
        gross: "119.00",
        confidence: 0.9,
        lines: &[("Chair ", "2", "60.00"), ("desk", "1", "40.00")],
    },
    Spec {
        number: "A-2",
        currency: "EUR",
        status: NeedsReview,
        seller: "Acme GmbH",
        buyer: "Buyer Two",
        issued: Some("2025-03-10"),
        due: Some("2099-01-01"),
        net: "200.50",
        tax: "38.10",
        gross: "238.60",
        confidence: 0.6,
        lines: &[("chair", "3", "90.00"), ("Lamp", "2", "110.50")],
    },
    Spec {
        number: "B-1",
        currency: "EUR",
        status: Rejected,
        seller: "Beta AG",
        buyer: "Buyer One",
        issued: Some("2025-03-20"),
        due: Some("2025-04-01"),
        net: "1000.00",
        tax: "190.00",
        gross: "1190.00",
        confidence: 0.4,
        lines: &[("Chair", "100", "1000.00")],
    },
    Spec {
        number: "A-3",
        currency: "USD",
        status: Approved,
        seller: "Acme GmbH",
        buyer: "Buyer One",
        issued: Some("2025-02-05"),
        due: Some("2025-03-05"),
        net: "300.00",
        tax: "0.00",
        gross: "300.00",
        confidence: 0.95,
        lines: &[("chair", "10", "300.00")],
    },
    Spec {
        number: "G-1",
        currency: "USD",
        status: Approved,
        seller: "Gamma Inc",
        buyer: "Buyer Three",
        issued: Some("2025-06-30"),
        due: None,
        net: "50.25",
        tax: "5.03",
        gross: "55.28",
        confidence: 0.85,
        lines: &[("Desk", "1", "50.25")],
    },
    Spec {
        number: "D-1",
        currency: "CHF",
        status: NeedsReview,
        seller: "Delta SA",
        buyer: "Buyer Two",
        issued: Some("2024-12-31"),
        due: Some("2025-01-31"),
        net: "80.00",
        tax: "6.16",
        gross: "86.16",
        confidence: 0.5,
        lines: &[("Lamp", "4", "80.00")],
    },
    Spec {
        number: "B-2",
        currency: "EUR",
        status: Approved,
        seller: "Beta AG",
        buyer: "Buyer Three",
        issued: Some("2025-06-01"),
        due: Some("2025-07-01"),
        net: "10.10",
        tax: "1.92",
        gross: "12.02",
        confidence: 0.99,
        lines: &[("Desk ", "1.5", "10.10")],
    },
    Spec {
        number: "E-1",
        currency: "EUR",
        status: Approved,
        seller: "Epsilon",
        buyer: "Buyer One",
        issued: None,
        due: None,
        net: "5.00",
        tax: "0.95",
        gross: "5.95",
        confidence: 0.7,
        lines: &[("chair", "1", "5.00")],
    },
];

const OTHER: Spec = Spec {
    number: "O-1",
    currency: "EUR",
    status: Approved,
    seller: "Other GmbH",
    buyer: "Buyer One",
    issued: Some("2025-02-01"),
    due: Some("2025-03-01"),
    net: "840.33",
    tax: "159.66",
    gross: "999.99",
    confidence: 0.8,
    lines: &[("chair", "7", "840.33")],
};

struct World {
    app: TestApp,
    db: Db,
    owner: TestUser,
    ws: Uuid,
    viewer: TestUser,
    other: TestUser,
    admin: TestUser,
}

async fn world(app: TestApp, db: Db) -> World {
    let owner = app.user.clone();
    let ws = app
        .store
        .memberships_of(owner.id)
        .await
        .expect("memberships")[0]
        .workspace_id;
    let viewer = app.create_user("viewer@example.com", false).await;
    app.store
        .set_membership(NewMembership {
            workspace_id: ws,
            user_id: viewer.id,
            role: WorkspaceRole::Viewer,
            approval_limit: None,
        })
        .await
        .expect("viewer");
    let other = app.create_user("other@example.com", false).await;
    let other_ws = app
        .store
        .memberships_of(other.id)
        .await
        .expect("memberships")[0]
        .workspace_id;
    assert_ne!(ws, other_ws);
    let admin = app.create_user("admin@example.com", true).await;
    for spec in INVOICES {
        store_invoice(&app, &owner, ws, spec).await;
    }
    store_invoice(&app, &other, other_ws, &OTHER).await;
    World {
        app,
        db,
        owner,
        ws,
        viewer,
        other,
        admin,
    }
}

async fn get(
    w: &World,
    user: &TestUser,
    path: &str,
    workspace: Option<Uuid>,
) -> (StatusCode, Value) {
    let mut rb = w
        .app
        .req(Method::GET, &format!("{BASE}/{path}"), Some(user));
    if let Some(ws) = workspace {
        rb = rb.header("X-Workspace-Id", ws.to_string());
    }
    let resp = rb.send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn ok(w: &World, path: &str) -> Value {
    let (status, body) = get(w, &w.owner, path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn query(from: Option<&str>, to: Option<&str>) -> String {
    let mut q = Vec::new();
    if let Some(f) = from {
        q.push(format!("from={f}"));
    }
    if let Some(t) = to {
        q.push(format!("to={t}"));
    }
    q.join("&")
}

type Money = (u64, Decimal, Decimal, Decimal);

/// Count, net, tax and gross per currency, from SQL.
async fn sql_money(
    w: &World,
    ws: Option<Uuid>,
    from: Option<&str>,
    to: Option<&str>,
) -> BTreeMap<String, Money> {
    let db = &w.db;
    let sql = format!(
        "SELECT currency, {}, {}, {}, {} FROM invoices i WHERE {} GROUP BY currency",
        db.text("COUNT(*)"),
        db.sum("net_amount"),
        db.sum("tax_amount"),
        db.sum("gross_amount"),
        filter(ws, from, to, true)
    );
    db.rows(&sql)
        .await
        .iter()
        .map(|r| {
            (
                s(&r[0]),
                (n(&r[1]), dec(&s(&r[2])), dec(&s(&r[3])), dec(&s(&r[4]))),
            )
        })
        .collect()
}

fn api_money(v: &Value) -> BTreeMap<String, Money> {
    v.as_array()
        .expect("totals")
        .iter()
        .map(|t| {
            (
                jcurrency(t),
                (
                    t["count"].as_u64().expect("count"),
                    jdec(&t["net"]),
                    jdec(&t["tax"]),
                    jdec(&t["gross"]),
                ),
            )
        })
        .collect()
}

async fn sql_status(
    w: &World,
    ws: Option<Uuid>,
    from: Option<&str>,
    to: Option<&str>,
) -> BTreeMap<String, u64> {
    let db = &w.db;
    let mut out: BTreeMap<String, u64> = ["approved", "needs_review", "rejected"]
        .iter()
        .map(|s| (s.to_string(), 0))
        .collect();
    let sql = format!(
        "SELECT status, {} FROM invoices i WHERE {} GROUP BY status",
        db.text("COUNT(*)"),
        filter(ws, from, to, false)
    );
    for r in db.rows(&sql).await {
        out.insert(s(&r[0]), n(&r[1]));
    }
    out
}

fn api_status(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .expect("by_status")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("count")))
        .collect()
}

async fn check_summary(w: &World, from: Option<&str>, to: Option<&str>) {
    let body = ok(w, &format!("summary?{}", query(from, to))).await;
    let ws = Some(w.ws);
    let status = sql_status(w, ws, from, to).await;
    assert_eq!(api_status(&body["by_status"]), status, "{body}");
    assert_eq!(
        body["total_invoices"].as_u64(),
        Some(status.values().sum::<u64>())
    );
    assert_eq!(
        api_money(&body["totals_by_currency"]),
        sql_money(w, ws, from, to).await,
        "{body}"
    );
    let today = chrono::Utc::now().date_naive();
    let db = &w.db;
    let sql = format!(
        "SELECT currency, {}, {} FROM invoices i WHERE {} AND due_date < '{today}' GROUP BY currency",
        db.text("COUNT(*)"),
        db.sum("gross_amount"),
        filter(ws, from, to, true)
    );
    let expected: BTreeMap<String, (u64, Decimal)> = db
        .rows(&sql)
        .await
        .iter()
        .map(|r| (s(&r[0]), (n(&r[1]), dec(&s(&r[2])))))
        .collect();
    let got: BTreeMap<String, (u64, Decimal)> = body["overdue"]["by_currency"]
        .as_array()
        .expect("overdue")
        .iter()
        .map(|o| {
            (
                jcurrency(o),
                (o["count"].as_u64().expect("count"), jdec(&o["gross"])),
            )
        })
        .collect();
    assert_eq!(got, expected, "{body}");
    assert_eq!(
        body["overdue"]["count"].as_u64(),
        Some(expected.values().map(|e| e.0).sum())
    );
}

async fn check_invoice_stats(w: &World, from: Option<&str>, to: Option<&str>) {
    let body = ok(w, &format!("invoice-stats?{}", query(from, to))).await;
    let ws = Some(w.ws);
    let db = &w.db;
    let status = sql_status(w, ws, from, to).await;
    assert_eq!(api_status(&body["by_status"]), status);
    let total = status.values().sum::<u64>();
    let sql = format!(
        "SELECT {} AS m, status, {} FROM invoices i WHERE {} GROUP BY 1, 2",
        db.month(),
        db.text("COUNT(*)"),
        filter(ws, from, to, false)
    );
    let mut expected: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for r in db.rows(&sql).await {
        expected
            .entry(s(&r[0]))
            .or_default()
            .insert(s(&r[1]), n(&r[2]));
    }
    let mut got: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for m in body["by_month"].as_array().expect("by_month") {
        let counts: BTreeMap<String, u64> = api_status(&m["by_status"])
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        assert_eq!(m["count"].as_u64(), Some(counts.values().sum::<u64>()));
        got.insert(m["month"].as_str().expect("month").to_string(), counts);
    }
    assert_eq!(got, expected, "{body}");
    let avg = db
        .rows(&format!(
            "SELECT {} FROM invoices i WHERE {}",
            db.text("AVG(confidence)"),
            filter(ws, from, to, false)
        ))
        .await;
    let avg: f64 = s(&avg[0][0]).parse().expect("avg");
    let got_avg = body["average_confidence"]
        .as_f64()
        .expect("average_confidence");
    assert!((got_avg - avg).abs() < 1e-6, "{got_avg} vs {avg}");
    let review = body["review_rate"].as_f64().expect("review_rate");
    #[allow(clippy::cast_precision_loss)]
    let expected_review = status["needs_review"] as f64 / total as f64;
    assert!((review - expected_review).abs() < 1e-9);
}

/// (currency → [(name, count, net, gross)]) ranked by gross, count, name; from SQL sums.
async fn sql_parties(
    w: &World,
    column: &str,
    ws: Option<Uuid>,
    from: Option<&str>,
    to: Option<&str>,
    limit: usize,
) -> BTreeMap<String, Vec<(String, u64, Decimal, Decimal)>> {
    let db = &w.db;
    let sql = format!(
        "SELECT currency, {column}, {}, {}, {} FROM invoices i WHERE {} GROUP BY currency, {column}",
        db.text("COUNT(*)"),
        db.sum("net_amount"),
        db.sum("gross_amount"),
        filter(ws, from, to, true)
    );
    let mut out: BTreeMap<String, Vec<(String, u64, Decimal, Decimal)>> = BTreeMap::new();
    for r in db.rows(&sql).await {
        out.entry(s(&r[0]))
            .or_default()
            .push((s(&r[1]), n(&r[2]), dec(&s(&r[3])), dec(&s(&r[4]))));
    }
    for items in out.values_mut() {
        items.sort_by(|a, b| b.3.cmp(&a.3).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
        items.truncate(limit);
    }
    out
}

fn api_parties(v: &Value) -> BTreeMap<String, Vec<(String, u64, Decimal, Decimal)>> {
    v.as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            let items: Vec<_> = g["items"]
                .as_array()
                .expect("items")
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    assert_eq!(p["rank"].as_u64(), Some(i as u64 + 1));
                    (
                        p["name"].as_str().unwrap_or("").to_string(),
                        p["count"].as_u64().expect("count"),
                        jdec(&p["net"]),
                        jdec(&p["gross"]),
                    )
                })
                .collect();
            (jcurrency(g), items)
        })
        .collect()
}

async fn check_top_companies(w: &World, from: Option<&str>, to: Option<&str>, limit: usize) {
    let body = ok(
        w,
        &format!("top-companies?limit={limit}&{}", query(from, to)),
    )
    .await;
    let ws = Some(w.ws);
    assert_eq!(
        api_parties(&body["vendors"]),
        sql_parties(w, "seller_name", ws, from, to, limit).await,
        "{body}"
    );
    assert_eq!(
        api_parties(&body["customers"]),
        sql_parties(w, "buyer_name", ws, from, to, limit).await,
        "{body}"
    );
}

async fn check_customer_analytics(w: &World, from: Option<&str>, to: Option<&str>, limit: usize) {
    let body = ok(
        w,
        &format!("customer-analytics?limit={limit}&{}", query(from, to)),
    )
    .await;
    let ws = Some(w.ws);
    let expected = sql_parties(w, "buyer_name", ws, from, to, limit).await;
    assert_eq!(api_parties(&body["customers"]), expected, "{body}");
    let money = sql_money(w, ws, from, to).await;
    for g in body["customers"].as_array().expect("customers") {
        let total = money[&jcurrency(g)].3;
        for p in g["items"].as_array().expect("items") {
            let share = (jdec(&p["gross"]) * Decimal::from(100) / total)
                .round_dp(2)
                .normalize();
            assert_eq!(jdec(&p["share_pct"]), share, "{p}");
        }
    }
    let db = &w.db;
    let distinct = db
        .rows(&format!(
            "SELECT {} FROM invoices i WHERE {}",
            db.text("COUNT(DISTINCT buyer_name)"),
            filter(ws, from, to, false)
        ))
        .await;
    assert_eq!(body["total_customers"].as_u64(), Some(n(&distinct[0][0])));
}

async fn check_products(w: &World, from: Option<&str>, to: Option<&str>, limit: usize) {
    let body = ok(
        w,
        &format!("product-performance?limit={limit}&{}", query(from, to)),
    )
    .await;
    let db = &w.db;
    let sql = format!(
        "SELECT i.currency, lower(trim(l.description)), {}, {}, {}, {} \
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE {} \
         GROUP BY i.currency, lower(trim(l.description))",
        db.text("COUNT(*)"),
        db.text("COUNT(DISTINCT l.invoice_id)"),
        db.sum("l.quantity"),
        db.sum("l.line_amount"),
        filter(Some(w.ws), from, to, true)
    );
    type Row = (String, u64, u64, Decimal, Decimal);
    let mut expected: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for r in db.rows(&sql).await {
        expected.entry(s(&r[0])).or_default().push((
            s(&r[1]),
            n(&r[2]),
            n(&r[3]),
            dec(&s(&r[4])),
            dec(&s(&r[5])),
        ));
    }
    for items in expected.values_mut() {
        items.sort_by(|a, b| b.4.cmp(&a.4).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
        items.truncate(limit);
    }
    let got: BTreeMap<String, Vec<Row>> = body["products"]
        .as_array()
        .expect("products")
        .iter()
        .map(|g| {
            let items = g["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|p| {
                    (
                        p["description"].as_str().expect("description").to_string(),
                        p["lines"].as_u64().expect("lines"),
                        p["invoices"].as_u64().expect("invoices"),
                        jdec(&p["quantity"]),
                        jdec(&p["net"]),
                    )
                })
                .collect();
            (jcurrency(g), items)
        })
        .collect();
    assert_eq!(got, expected, "{body}");
}

/// Months of `from..=to` with (count, currency → (count, gross)) of invoices not rejected.
async fn sql_trends(
    w: &World,
    from: &str,
    to: &str,
) -> BTreeMap<String, BTreeMap<String, (u64, Decimal)>> {
    let db = &w.db;
    let sql = format!(
        "SELECT {} AS m, currency, {}, {} FROM invoices i WHERE {} GROUP BY 1, 2",
        db.month(),
        db.text("COUNT(*)"),
        db.sum("gross_amount"),
        filter(Some(w.ws), Some(from), Some(to), true)
    );
    let mut out: BTreeMap<String, BTreeMap<String, (u64, Decimal)>> = BTreeMap::new();
    for r in db.rows(&sql).await {
        out.entry(s(&r[0]))
            .or_default()
            .insert(s(&r[1]), (n(&r[2]), dec(&s(&r[3]))));
    }
    out
}

async fn check_trends(w: &World, path: &str, from: &str, to: &str, months: usize) {
    let body = ok(w, path).await;
    assert_eq!(body["range"]["from"], from, "{body}");
    assert_eq!(body["range"]["to"], to, "{body}");
    let list = body["months"].as_array().expect("months");
    assert_eq!(list.len(), months, "{body}");
    let expected = sql_trends(w, from, to).await;
    let mut got = BTreeMap::new();
    for m in list {
        let per: BTreeMap<String, (u64, Decimal)> = m["by_currency"]
            .as_array()
            .expect("by_currency")
            .iter()
            .map(|c| {
                (
                    jcurrency(c),
                    (c["count"].as_u64().expect("count"), jdec(&c["gross"])),
                )
            })
            .collect();
        assert_eq!(
            m["count"].as_u64(),
            Some(per.values().map(|p| p.0).sum::<u64>())
        );
        if !per.is_empty() {
            got.insert(m["month"].as_str().expect("month").to_string(), per);
        }
    }
    assert_eq!(got, expected, "{body}");
}

async fn check_executive(w: &World, from: &str, to: &str, prev_from: &str, prev_to: &str) {
    let body = ok(w, &format!("executive-dashboard?from={from}&to={to}")).await;
    let ws = Some(w.ws);
    for (key, f, t) in [("current", from, to), ("previous", prev_from, prev_to)] {
        let k = &body[key];
        assert_eq!(k["range"]["from"], f, "{body}");
        assert_eq!(k["range"]["to"], t, "{body}");
        let status = sql_status(w, ws, Some(f), Some(t)).await;
        assert_eq!(api_status(&k["by_status"]), status, "{key}: {body}");
        assert_eq!(
            api_money(&k["totals_by_currency"]),
            sql_money(w, ws, Some(f), Some(t)).await,
            "{key}: {body}"
        );
    }
    let now = sql_money(w, ws, Some(from), Some(to)).await;
    let before = sql_money(w, ws, Some(prev_from), Some(prev_to)).await;
    for c in body["change"]["gross_by_currency"]
        .as_array()
        .expect("change")
    {
        let cur = now.get(&jcurrency(c)).map(|m| m.3).unwrap_or_default();
        let prev = before.get(&jcurrency(c)).map(|m| m.3).unwrap_or_default();
        assert_eq!(jdec(&c["current"]), cur.normalize());
        assert_eq!(jdec(&c["previous"]), prev.normalize());
        assert_eq!(jdec(&c["change"]), (cur - prev).normalize());
    }
}

async fn analytics_story(w: World) {
    // Every endpoint, over everything and over a range, against SQL.
    for (from, to) in [
        (None, None),
        (Some("2025-01-01"), Some("2025-03-31")),
        (Some("2025-02-01"), None),
    ] {
        check_summary(&w, from, to).await;
        check_invoice_stats(&w, from, to).await;
        check_top_companies(&w, from, to, 10).await;
        check_customer_analytics(&w, from, to, 10).await;
        check_products(&w, from, to, 10).await;
    }
    check_top_companies(&w, None, None, 1).await;
    check_products(&w, None, None, 2).await;

    // Currencies stay apart: Acme's EUR and USD invoices are two rows, never one sum.
    let body = ok(&w, "summary").await;
    let money = api_money(&body["totals_by_currency"]);
    assert_eq!(
        money["EUR"],
        (4, dec("315.60"), dec("59.97"), dec("375.57"))
    );
    assert_eq!(money["USD"], (2, dec("350.25"), dec("5.03"), dec("355.28")));
    assert_eq!(money["CHF"].3, dec("86.16"));
    assert_eq!(body["total_invoices"], 8);
    let top = ok(&w, "top-companies").await;
    let vendors = api_parties(&top["vendors"]);
    assert_eq!(
        vendors["EUR"][0],
        ("Acme GmbH".into(), 2, dec("300.50"), dec("357.60"))
    );
    assert_eq!(
        vendors["USD"][0],
        ("Acme GmbH".into(), 1, dec("300"), dec("300"))
    );
    let products = ok(&w, "product-performance").await;
    let eur = &products["products"].as_array().expect("products")[1];
    assert_eq!(eur["currency"], "EUR");
    assert_eq!(eur["items"][0]["description"], "chair");
    assert_eq!(jdec(&eur["items"][0]["net"]), dec("155"));

    // Trends: the data's own last 12 months (ending at the latest issue date, 2025-06-30).
    check_trends(&w, "trends", "2024-07-01", "2025-06-30", 12).await;
    check_trends(&w, "trends?months=3", "2025-04-01", "2025-06-30", 3).await;
    check_trends(
        &w,
        "trends?from=2024-12-15&to=2025-02-10",
        "2024-12-15",
        "2025-02-10",
        3,
    )
    .await;

    // Executive dashboard: this quarter against the 90 days before.
    check_executive(&w, "2025-04-01", "2025-06-30", "2024-12-31", "2025-03-31").await;
    let exec = ok(&w, "executive-dashboard").await;
    assert_eq!(exec["current"]["range"]["to"], "2025-06-30", "{exec}");
    assert_eq!(exec["current"]["range"]["from"], "2024-07-01", "{exec}");

    // A viewer of the workspace reads the same figures.
    for path in [
        "summary",
        "invoice-stats",
        "top-companies",
        "trends",
        "executive-dashboard",
        "customer-analytics",
        "product-performance",
    ] {
        let (status, viewed) = get(&w, &w.viewer, path, Some(w.ws)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {viewed}");
        let mine = ok(&w, path).await;
        let strip = |mut v: Value| {
            // "Today" may have moved between the two requests.
            v.as_object_mut().map(|o| o.remove("overdue"));
            v
        };
        assert_eq!(strip(viewed), strip(mine), "{path}");
    }

    // Another workspace sees none of it.
    for path in [
        "summary",
        "top-companies",
        "customer-analytics",
        "product-performance",
        "invoice-stats",
    ] {
        let (status, theirs) = get(&w, &w.other, path, None).await;
        assert_eq!(status, StatusCode::OK);
        let text = theirs.to_string();
        for name in ["Acme", "Beta", "Gamma", "Delta", "Epsilon", "desk"] {
            assert!(!text.contains(name), "{path}: {text}");
        }
    }
    let (_, theirs) = get(&w, &w.other, "summary", None).await;
    assert_eq!(theirs["total_invoices"], 1);
    assert_eq!(
        api_money(&theirs["totals_by_currency"])["EUR"].3,
        dec("999.99")
    );
    // Naming the owner's workspace is refused to a non-member.
    let (status, _) = get(&w, &w.other, "summary", Some(w.ws)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A system administrator naming no workspace sees every workspace.
    let (status, all) = get(&w, &w.admin, "summary", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["total_invoices"], 9, "{all}");
    assert_eq!(
        api_money(&all["totals_by_currency"]),
        sql_money(&w, None, None, None).await
    );
    assert_eq!(
        api_money(&all["totals_by_currency"])["EUR"].3,
        dec("1375.56")
    );

    // Bad parameters.
    for q in [
        "summary?from=2025-13-01",
        "summary?to=yesterday",
        "trends?from=2025-03-01&to=2025-02-01",
        "top-companies?limit=0",
        "customer-analytics?limit=101",
        "product-performance?limit=x",
        "trends?months=0",
        "executive-dashboard?from=2025-02-30",
        "trends?from=2000-01-01&to=2025-01-01",
        "executive-dashboard?from=0572-07-11",
        "summary?from=-0001-01-01",
    ] {
        let (status, body) = get(&w, &w.owner, q, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
    }
    let (status, _) = w
        .app
        .req(Method::GET, &format!("{BASE}/summary"), None)
        .send()
        .await
        .map(|r| (r.status(), ()))
        .expect("anon");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn analytics_equal_sql_aggregates_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("analytics.db");
    let url = format!("sqlite://{}", path.display());
    let app = spawn_app_with(SpawnOptions {
        database_url: Some(url.clone()),
        ..Default::default()
    })
    .await;
    let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
    analytics_story(world(app, Db::Lite(pool)).await).await;
}

#[tokio::test]
async fn analytics_equal_sql_aggregates_on_postgres() {
    let Some(url) = fresh_pg_database("doxin_analytics").await else {
        return;
    };
    let app = spawn_app_with(SpawnOptions {
        database_url: Some(url.clone()),
        ..Default::default()
    })
    .await;
    let pool = sqlx::PgPool::connect(&url).await.expect("pg");
    analytics_story(world(app, Db::Pg(pool)).await).await;
}

/// Latency of each endpoint over 100,000 invoices (300,000 lines) on PostgreSQL, seeded in
/// SQL: 4 currencies, 3 statuses, 500 vendors, 2,000 customers, 256 products over two years.
/// Run by hand: `scripts/test.sh --workspace -E 'test(analytics_latency)' --run-ignored only
/// --no-capture`.
#[tokio::test]
#[ignore = "a measurement (about a minute), not a check"]
async fn analytics_latency_at_100k_invoices_on_postgres() {
    let Some(url) = fresh_pg_database("doxin_analytics_latency").await else {
        return;
    };
    let app = spawn_app_with(SpawnOptions {
        database_url: Some(url.clone()),
        ..Default::default()
    })
    .await;
    let pool = sqlx::PgPool::connect(&url).await.expect("pg");
    let owner = app.user.clone();
    let ws = app
        .store
        .memberships_of(owner.id)
        .await
        .expect("memberships")[0]
        .workspace_id;
    let seeded = std::time::Instant::now();
    sqlx::query(
        "INSERT INTO invoices (id, owner_id, workspace_id, status, document_type, \
         invoice_number, issue_date, due_date, currency, seller_name, buyer_name, net_amount, \
         tax_amount, gross_amount, confidence, data, created_at, updated_at) \
         SELECT gen_random_uuid(), $1, $2, (ARRAY['approved','needs_review','rejected'])[1 + g % 3], \
         'invoice', 'N-' || g, DATE '2024-01-01' + (g % 730), DATE '2024-01-31' + (g % 730), \
         (ARRAY['EUR','USD','CHF','GBP'])[1 + g % 4], 'Vendor ' || (g % 500), \
         'Customer ' || (g % 2000), (g % 1000) + 0.5, round(((g % 1000) + 0.5) * 0.19, 2), \
         round(((g % 1000) + 0.5) * 1.19, 2), 0.5 + (g % 50) / 100.0, '{}'::jsonb, now(), now() \
         FROM generate_series(1, 100000) AS g",
    )
    .bind(owner.id)
    .bind(ws)
    .execute(&pool)
    .await
    .expect("seed invoices");
    sqlx::query(
        "INSERT INTO invoice_lines (id, invoice_id, position, description, quantity, line_amount) \
         SELECT gen_random_uuid(), i.id, p, 'Product ' || ((abs(hashtext(i.id::text)) + p) % 256), \
         p, 10.25 * p FROM invoices i, generate_series(1, 3) AS p",
    )
    .execute(&pool)
    .await
    .expect("seed lines");
    sqlx::query("ANALYZE invoices")
        .execute(&pool)
        .await
        .expect("analyze");
    sqlx::query("ANALYZE invoice_lines")
        .execute(&pool)
        .await
        .expect("analyze");
    eprintln!(
        "seeded 100000 invoices, 300000 lines in {:?}",
        seeded.elapsed()
    );
    for path in [
        "summary",
        "invoice-stats",
        "top-companies?limit=10",
        "trends",
        "executive-dashboard",
        "customer-analytics?limit=10",
        "product-performance?limit=10",
        "summary?from=2025-01-01&to=2025-03-31",
    ] {
        let url = format!("{BASE}/{path}");
        let mut times = Vec::new();
        for _ in 0..6 {
            let t = std::time::Instant::now();
            let resp = app
                .req(Method::GET, &url, Some(&owner))
                .send()
                .await
                .expect("request");
            assert_eq!(resp.status(), StatusCode::OK);
            let _ = resp.bytes().await.expect("body");
            times.push(t.elapsed());
        }
        times.remove(0); // the first warms the caches
        times.sort();
        eprintln!(
            "latency {path}: median {:?}, max {:?} (5 requests)",
            times[times.len() / 2],
            times[times.len() - 1]
        );
    }
}
