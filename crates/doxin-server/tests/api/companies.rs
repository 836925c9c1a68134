//! Companies are per user (security review, finding 3): matching a seller or buyer by VAT id
//! or name looks only at the caller's own companies, so a guessed name never returns another
//! user's record and a typed VAT id never lands on one.

use doxin_model::{Extracted, Invoice};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app};

/// A consistent synthetic invoice with this seller (VAT id and tax number as given).
fn invoice_from(number: &str, seller: &str, vat: Option<&str>, tax: Option<&str>) -> Invoice {
    let mut inv = doxin_synth::generate(5, &doxin_synth::Spec::default()).truth;
    inv.invoice_number = Some(Extracted::xml(number.to_string()));
    inv.seller.name = Some(Extracted::xml(seller.to_string()));
    inv.seller.trading_name = None;
    inv.seller.vat_id = vat.map(|v| Extracted::xml(v.to_string()));
    inv.seller.tax_registration_id = tax.map(|t| Extracted::xml(t.to_string()));
    inv
}

async fn call(app: &TestApp, user: &TestUser, method: Method, path: &str) -> (StatusCode, Value) {
    let resp = app
        .req(method, path, Some(user))
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn create(app: &TestApp, user: &TestUser, inv: &Invoice) -> Value {
    let resp = app
        .req(Method::POST, "/api/v1/invoices", Some(user))
        .json(&json!({"invoice": inv}))
        .send()
        .await
        .expect("create");
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn vendors(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let (status, body) = call(app, user, Method::GET, "/api/v1/companies?kind=vendor").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn another_users_company_is_never_matched_shown_or_changed() {
    let app = spawn_app().await;
    let alice = app.user.clone();
    let bob = app.create_user("bob-companies@example.com", false).await;
    let admin = app.create_user("admin-companies@example.com", true).await;

    // A's vendor, with VAT id and tax number.
    let a_first = create(
        &app,
        &alice,
        &invoice_from(
            "A-1",
            "Nordwind Logistik GmbH",
            Some("DE136695976"),
            Some("27/123/45678"),
        ),
    )
    .await;
    let a_vendor = a_first["vendor_id"]
        .as_str()
        .expect("a's vendor")
        .to_string();
    assert_eq!(a_first["vendor"]["vat_id"], "DE136695976");

    // The review's attack: B posts an invoice naming A's vendor by a guessed name and gets a
    // fresh company of B's own, without A's VAT id or tax number.
    let guessed = create(
        &app,
        &bob,
        &invoice_from("B-1", "NORDWIND LOGISTIK", None, None),
    )
    .await;
    let b_vendor = guessed["vendor_id"]
        .as_str()
        .expect("b's vendor")
        .to_string();
    assert_ne!(b_vendor, a_vendor, "B was matched to A's company");
    assert_eq!(guessed["vendor"]["vat_id"], Value::Null, "{guessed}");
    let (status, b_company) = call(
        &app,
        &bob,
        Method::GET,
        &format!("/api/v1/companies/{b_vendor}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(b_company["workspace_id"], json!(bob.id));
    assert_eq!(b_company["vat_id"], Value::Null);
    assert_eq!(b_company["tax_number"], Value::Null);
    // Even A's VAT id itself gives B a record of B's own.
    let same_vat = create(
        &app,
        &bob,
        &invoice_from("B-2", "Somebody", Some("DE136695976"), None),
    )
    .await;
    assert_ne!(same_vat["vendor_id"].as_str(), Some(a_vendor.as_str()));
    // A's company stays invisible to B.
    let (status, _) = call(
        &app,
        &bob,
        Method::GET,
        &format!("/api/v1/companies/{a_vendor}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let bobs = vendors(&app, &bob).await;
    assert!(
        bobs.iter()
            .all(|c| c["workspace_id"] == json!(bob.id) && c["tax_number"].is_null()),
        "{bobs:?}"
    );
    assert!(bobs.iter().all(|c| c["id"] != json!(a_vendor)));

    // B plants a VAT id under the name of A's vendor that has none: nothing of it reaches
    // A's invoices or A's company list.
    let a_plain = create(
        &app,
        &alice,
        &invoice_from("A-2", "Kontor Süd AG", None, None),
    )
    .await;
    let a_plain_vendor = a_plain["vendor_id"].as_str().expect("vendor").to_string();
    let planted = create(
        &app,
        &bob,
        &invoice_from(
            "B-3",
            "Kontor Süd",
            Some("ATU13585627"),
            Some("99/999/99999"),
        ),
    )
    .await;
    assert_ne!(planted["vendor_id"].as_str(), Some(a_plain_vendor.as_str()));
    // And by editing an invoice of B's.
    let b_id = guessed["id"].as_str().expect("id");
    let resp = app
        .req(
            Method::PATCH,
            &format!("/api/v1/invoices/{b_id}"),
            Some(&bob),
        )
        .json(&json!({"seller_name": "Kontor Süd AG", "seller_vat_id": "ATU13585627"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(resp.status(), StatusCode::OK);

    let a_id = a_plain["id"].as_str().expect("id");
    let (_, a_detail) = call(
        &app,
        &alice,
        Method::GET,
        &format!("/api/v1/invoices/{a_id}"),
    )
    .await;
    assert_eq!(a_detail["vendor_id"], json!(a_plain_vendor));
    assert_eq!(a_detail["vendor"]["vat_id"], Value::Null, "{a_detail}");
    let alices = vendors(&app, &alice).await;
    let names: Vec<(&str, &Value, &Value)> = alices
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default(),
                &c["vat_id"],
                &c["tax_number"],
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Kontor Süd AG", &Value::Null, &Value::Null),
            (
                "Nordwind Logistik GmbH",
                &json!("DE136695976"),
                &json!("27/123/45678")
            ),
        ]
    );
    assert!(alices.iter().all(|c| c["invoice_count"] == 1), "{alices:?}");
    let (_, by_vat) = call(&app, &alice, Method::GET, "/api/v1/companies?q=ATU13585627").await;
    assert_eq!(by_vat["pagination"]["total"], 0, "{by_vat}");

    // An administrator's view stays global.
    let (_, all) = call(
        &app,
        &admin,
        Method::GET,
        "/api/v1/companies?kind=vendor&per_page=100",
    )
    .await;
    assert_eq!(all["pagination"]["total"], 5, "{all}");
    let (status, _) = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/v1/companies/{a_vendor}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// An administrator editing a user's invoice matches the user's companies, not the
/// administrator's.
#[tokio::test]
async fn an_administrators_edit_matches_the_owners_companies() {
    let app = spawn_app().await;
    let alice = app.user.clone();
    let admin = app.create_user("admin-edit@example.com", true).await;
    let admins_own = create(
        &app,
        &admin,
        &invoice_from("X-1", "Admin Supplies", Some("DE136695976"), None),
    )
    .await;
    let inv = create(&app, &alice, &invoice_from("A-1", "Somebody", None, None)).await;
    let id = inv["id"].as_str().expect("id");
    let resp = app
        .req(
            Method::PATCH,
            &format!("/api/v1/invoices/{id}"),
            Some(&admin),
        )
        .json(&json!({"seller_name": "Admin Supplies", "seller_vat_id": "DE136695976"}))
        .send()
        .await
        .expect("patch");
    let status = resp.status();
    let edited: Value = resp.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_ne!(edited["vendor_id"], admins_own["vendor_id"]);
    let vendor = edited["vendor_id"].as_str().expect("vendor");
    let (status, company) = call(
        &app,
        &alice,
        Method::GET,
        &format!("/api/v1/companies/{vendor}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{company}");
    assert_eq!(company["workspace_id"], json!(alice.id));
}
