//! Exports over HTTP: content types, attachments, parseable bodies, and scope (another user's
//! invoice is 404, a set holds only the caller's invoices).

use std::io::{Cursor, Read};

use doxin_model::{Extracted, Invoice, InvoiceLine};
use doxin_store::{InvoiceStatus, NewInvoice};
use reqwest::Method;
use rust_decimal_macros::dec;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, spawn_app};

fn s(v: &str) -> doxin_model::Field<String> {
    Some(Extracted::human(v.to_string()))
}

fn invoice(number: &str, currency: &str) -> Invoice {
    let mut inv = Invoice {
        invoice_number: s(number),
        issue_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 14).map(Extracted::human),
        currency: s(currency),
        ..Invoice::default()
    };
    inv.seller.name = s("=Seller, \"Quoted\" GmbH");
    inv.seller.address.country = s("DE");
    inv.buyer.name = s("Buyer AG");
    inv.buyer.address.country = s("DE");
    inv.lines = vec![InvoiceLine {
        id: s("1"),
        description: s("Thing"),
        quantity: Some(Extracted::human(dec!(2))),
        unit_code: s("C62"),
        unit_price: Some(Extracted::human(dec!(50.00))),
        line_amount: Some(Extracted::human(dec!(100.00))),
        vat_category: s("S"),
        vat_rate: Some(Extracted::human(dec!(19))),
        ..InvoiceLine::default()
    }];
    let t = &mut inv.totals;
    t.line_extension_amount = Some(Extracted::human(dec!(100.00)));
    t.tax_exclusive_amount = Some(Extracted::human(dec!(100.00)));
    t.tax_amount = Some(Extracted::human(dec!(19.00)));
    t.tax_inclusive_amount = Some(Extracted::human(dec!(119.00)));
    t.payable_amount = Some(Extracted::human(dec!(119.00)));
    inv
}

async fn add_invoice(app: &TestApp, owner: &TestUser, inv: Invoice, status: InvoiceStatus) -> Uuid {
    app.store
        .insert_invoice(NewInvoice {
            owner_id: Some(owner.id),
            workspace_id: Some(owner.id),
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
        .await
        .expect("insert invoice")
        .id
}

struct Fixture {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
    admin: TestUser,
    alice_approved: Uuid,
    alice_review: Uuid,
    bob_invoice: Uuid,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let alice = app.create_user("alice@example.com", false).await;
    let bob = app.create_user("bob@example.com", false).await;
    let admin = app.create_user("admin@example.com", true).await;
    let alice_approved =
        add_invoice(&app, &alice, invoice("A-1", "EUR"), InvoiceStatus::Approved).await;
    let alice_review = add_invoice(
        &app,
        &alice,
        invoice("A/2", "USD"),
        InvoiceStatus::NeedsReview,
    )
    .await;
    let bob_invoice = add_invoice(&app, &bob, invoice("B-1", "EUR"), InvoiceStatus::Approved).await;
    Fixture {
        app,
        alice,
        bob,
        admin,
        alice_approved,
        alice_review,
        bob_invoice,
    }
}

async fn get(app: &TestApp, path: &str, user: Option<&TestUser>) -> reqwest::Response {
    app.req(Method::GET, path, user)
        .send()
        .await
        .expect("request")
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn csv_rows(body: &[u8]) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_reader(body);
    let header = r.headers().expect("header").clone();
    assert_eq!(&header[0], "id");
    r.records().map(|rec| rec.expect("record")).collect()
}

#[tokio::test]
async fn one_invoice_exports_in_every_format() {
    let fx = fixture().await;
    let base = format!("/api/v1/invoices/{}/export", fx.alice_approved);

    let resp = get(&fx.app, &format!("{base}?format=csv"), Some(&fx.alice)).await;
    assert_eq!(resp.status(), 200);
    assert!(header(&resp, "content-type").starts_with("text/csv"));
    assert_eq!(
        header(&resp, "content-disposition"),
        "attachment; filename=\"invoice-A-1.csv\"; filename*=UTF-8''invoice-A-1.csv"
    );
    let rows = csv_rows(&resp.bytes().await.expect("body"));
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], fx.alice_approved.to_string());
    // Formula-injection guard on text cells.
    assert!(rows[0].iter().any(|c| c == "'=Seller, \"Quoted\" GmbH"));

    let resp = get(
        &fx.app,
        &format!("{base}?format=csv-lines"),
        Some(&fx.alice),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let mut r = csv::Reader::from_reader(Cursor::new(resp.bytes().await.expect("body")));
    assert_eq!(&r.headers().expect("header")[0], "invoice_id");
    assert_eq!(r.records().count(), 1);

    let resp = get(&fx.app, &format!("{base}?format=xlsx"), Some(&fx.alice)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(header(&resp, "content-disposition").contains(".xlsx\";"));
    let mut zip = zip::ZipArchive::new(Cursor::new(resp.bytes().await.expect("body")))
        .expect("xlsx is a zip");
    let mut workbook = String::new();
    zip.by_name("xl/workbook.xml")
        .expect("workbook part")
        .read_to_string(&mut workbook)
        .expect("read");
    assert!(workbook.contains("name=\"Invoices\"") && workbook.contains("name=\"Lines\""));

    let resp = get(&fx.app, &format!("{base}?format=json"), Some(&fx.alice)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "content-type"), "application/json");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["id"], fx.alice_approved.to_string());
    assert_eq!(body["status"], "approved");
    let back: Invoice = serde_json::from_value(body["invoice"].clone()).expect("model");
    assert_eq!(back, invoice("A-1", "EUR"));

    let resp = get(&fx.app, &format!("{base}?format=ubl"), Some(&fx.alice)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "content-type"), "application/xml");
    let xml = resp.bytes().await.expect("body");
    let extraction =
        doxin_extract::pipeline::extract(&xml, &Default::default()).expect("re-import");
    assert_eq!(
        extraction
            .invoice
            .invoice_number
            .map(|n| n.value)
            .as_deref(),
        Some("A-1")
    );
    assert_eq!(
        extraction.invoice.totals.payable_amount.map(|a| a.value),
        Some(dec!(119.00))
    );
}

#[tokio::test]
async fn another_users_invoice_is_not_found_and_anonymous_is_refused() {
    let fx = fixture().await;
    let path = format!("/api/v1/invoices/{}/export?format=json", fx.alice_approved);
    let resp = get(&fx.app, &path, Some(&fx.bob)).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(header(&resp, "content-type"), "application/problem+json");
    assert_eq!(get(&fx.app, &path, None).await.status(), 401);
    assert_eq!(
        get(&fx.app, "/api/v1/invoices/export?format=csv", None)
            .await
            .status(),
        401
    );
    // An administrator sees every invoice.
    assert_eq!(get(&fx.app, &path, Some(&fx.admin)).await.status(), 200);
    let missing = format!("/api/v1/invoices/{}/export?format=json", Uuid::new_v4());
    assert_eq!(get(&fx.app, &missing, Some(&fx.alice)).await.status(), 404);
}

#[tokio::test]
async fn an_invoice_ubl_cannot_carry_is_a_problem_alone_and_skipped_in_a_set() {
    let fx = fixture().await;
    let mut no_currency = invoice("N-1", "EUR");
    no_currency.currency = None;
    let id = add_invoice(&fx.app, &fx.bob, no_currency, InvoiceStatus::Approved).await;
    let resp = get(
        &fx.app,
        &format!("/api/v1/invoices/{id}/export?format=ubl"),
        Some(&fx.bob),
    )
    .await;
    assert_eq!(resp.status(), 422);
    let problem: Value = resp.json().await.expect("problem");
    assert_eq!(problem["code"], "not_exportable");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("currency")
    );
    // Other formats do not need a currency.
    let resp = get(
        &fx.app,
        &format!("/api/v1/invoices/{id}/export?format=csv"),
        Some(&fx.bob),
    )
    .await;
    assert_eq!(resp.status(), 200);

    let resp = get(&fx.app, "/api/v1/invoices/export?format=ubl", Some(&fx.bob)).await;
    assert_eq!(resp.status(), 200);
    let mut zip =
        zip::ZipArchive::new(Cursor::new(resp.bytes().await.expect("body"))).expect("zip");
    let mut manifest = String::new();
    zip.by_name("manifest.json")
        .expect("manifest")
        .read_to_string(&mut manifest)
        .expect("read");
    let manifest: Value = serde_json::from_str(&manifest).expect("json");
    assert_eq!(manifest["files"].as_array().map(Vec::len), Some(1));
    assert_eq!(manifest["skipped"][0]["id"], id.to_string());
}

#[tokio::test]
async fn bad_formats_and_filters_are_problems() {
    let fx = fixture().await;
    for path in [
        format!("/api/v1/invoices/{}/export", fx.alice_approved),
        format!("/api/v1/invoices/{}/export?format=pdf", fx.alice_approved),
        "/api/v1/invoices/export?format=csv&issued_from=14.03.2026".to_string(),
        "/api/v1/invoices/export?format=csv&status=paid".to_string(),
    ] {
        let resp = get(&fx.app, &path, Some(&fx.alice)).await;
        assert_eq!(resp.status(), 400, "{path}");
        let body: Value = resp.json().await.expect("problem");
        assert_eq!(body["code"], "bad_request", "{path}");
    }
}

#[tokio::test]
async fn a_set_holds_only_the_callers_invoices_and_follows_the_filter() {
    let fx = fixture().await;
    let resp = get(
        &fx.app,
        "/api/v1/invoices/export?format=csv",
        Some(&fx.alice),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let disposition = header(&resp, "content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"invoices-")
            && disposition.contains(".csv\";"),
        "{disposition}"
    );
    let rows = csv_rows(&resp.bytes().await.expect("body"));
    let mut ids: Vec<String> = rows.iter().map(|r| r[0].to_string()).collect();
    ids.sort();
    let mut expected = vec![fx.alice_approved.to_string(), fx.alice_review.to_string()];
    expected.sort();
    assert_eq!(ids, expected, "bob's invoice must not be in alice's export");

    let resp = get(
        &fx.app,
        "/api/v1/invoices/export?format=json&status=approved",
        Some(&fx.alice),
    )
    .await;
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["count"], 1);
    assert_eq!(body["invoices"][0]["id"], fx.alice_approved.to_string());

    let resp = get(
        &fx.app,
        "/api/v1/invoices/export?format=json&currency=usd",
        Some(&fx.alice),
    )
    .await;
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["count"], 1);
    assert_eq!(body["invoices"][0]["id"], fx.alice_review.to_string());

    let resp = get(
        &fx.app,
        "/api/v1/invoices/export?format=json&issued_from=2027-01-01",
        Some(&fx.alice),
    )
    .await;
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["count"], 0);

    // The administrator's set holds everyone's.
    let resp = get(
        &fx.app,
        "/api/v1/invoices/export?format=json",
        Some(&fx.admin),
    )
    .await;
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["count"], 3);
    let all = body["invoices"].as_array().expect("array");
    assert!(all.iter().any(|i| i["id"] == fx.bob_invoice.to_string()));
}

#[tokio::test]
async fn a_ubl_set_is_a_zip_of_documents() {
    let fx = fixture().await;
    let resp = get(
        &fx.app,
        "/api/v1/invoices/export?format=ubl",
        Some(&fx.alice),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "content-type"), "application/zip");
    assert!(header(&resp, "content-disposition").contains(".zip\";"));
    let mut zip =
        zip::ZipArchive::new(Cursor::new(resp.bytes().await.expect("body"))).expect("zip");
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .expect("names");
    let xml: Vec<&String> = names.iter().filter(|n| n.ends_with(".xml")).collect();
    assert_eq!(xml.len(), 2, "{names:?}");
    assert!(names.iter().any(|n| n == "manifest.json"));
    for name in xml {
        let mut doc = Vec::new();
        zip.by_name(name)
            .expect("entry")
            .read_to_end(&mut doc)
            .expect("read");
        let ex = doxin_extract::pipeline::extract(&doc, &Default::default()).expect("re-import");
        assert!(ex.invoice.invoice_number.is_some());
    }
}

/// Issue 13, item 3: a selection is exported by its ids; another user's id in it is left out
/// (the scope still applies), and a malformed or oversized selection is a problem.
#[tokio::test]
async fn a_selection_exports_exactly_the_callers_selected_invoices() {
    let fx = fixture().await;
    let path = format!(
        "/api/v1/invoices/export?format=json&ids={},{},{}",
        fx.alice_review, fx.bob_invoice, fx.alice_review
    );
    let resp = get(&fx.app, &path, Some(&fx.alice)).await;
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["count"], 1, "{body}");
    assert_eq!(body["invoices"][0]["id"], fx.alice_review.to_string());
    // The other filters still narrow a selection.
    let path = format!(
        "/api/v1/invoices/export?format=json&status=approved&ids={},{}",
        fx.alice_review, fx.alice_approved
    );
    let body: Value = get(&fx.app, &path, Some(&fx.alice))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["count"], 1);
    assert_eq!(body["invoices"][0]["id"], fx.alice_approved.to_string());
    let too_many = (0..201)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect::<Vec<_>>()
        .join(",");
    for bad in ["not-an-id".to_string(), too_many] {
        let resp = get(
            &fx.app,
            &format!("/api/v1/invoices/export?format=json&ids={bad}"),
            Some(&fx.alice),
        )
        .await;
        assert_eq!(resp.status().as_u16(), 400);
    }
}
