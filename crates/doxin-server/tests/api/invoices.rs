//! The invoices API over HTTP: filters and pagination, ownership (another user's invoice is
//! 404 on every route), update with validation recomputed, soft delete, file download and
//! replacement, full-text and semantic search, similar invoices, companies and dashboard.

use doxin_model::{Decimal, Extracted, Invoice, Severity};
use doxin_store::{AuditFilter, InvoiceStatus, NewInvoice, PageRequest};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{SpawnOptions, TestApp, TestUser, spawn_app, spawn_app_with};

/// A consistent synthetic invoice (it passes the validation rules).
fn valid_invoice(seed: u64) -> Invoice {
    doxin_synth::generate(seed, &doxin_synth::Spec::default()).truth
}

fn invoice_with(number: &str, seller: &str, buyer: &str, line: &str) -> Invoice {
    let mut inv = valid_invoice(3);
    inv.invoice_number = Some(Extracted::xml(number.to_string()));
    inv.seller.name = Some(Extracted::xml(seller.to_string()));
    inv.seller.vat_id = None;
    inv.buyer.name = Some(Extracted::xml(buyer.to_string()));
    inv.buyer.vat_id = None;
    if let Some(first) = inv.lines.first_mut() {
        first.description = Some(Extracted::xml(line.to_string()));
    }
    inv
}

/// Stores an invoice directly (as the pipeline would), for list tests.
async fn stored(app: &TestApp, owner: Option<Uuid>, inv: Invoice, status: InvoiceStatus) -> Uuid {
    app.store
        .insert_invoice(NewInvoice {
            owner_id: owner,
            workspace_id: owner,
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
        .expect("insert")
        .id
}

async fn json_of(resp: reqwest::Response, expected: StatusCode) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, expected, "{body}");
    body
}

async fn get(app: &TestApp, user: &TestUser, path: &str) -> reqwest::Response {
    app.req(Method::GET, path, Some(user))
        .send()
        .await
        .expect("request")
}

async fn create(app: &TestApp, user: &TestUser, inv: &Invoice) -> Value {
    let resp = app
        .req(Method::POST, "/api/v1/invoices", Some(user))
        .json(&json!({"invoice": inv}))
        .send()
        .await
        .expect("create");
    json_of(resp, StatusCode::CREATED).await
}

fn numbers(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["invoice_number"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let app = spawn_app().await;
    let alice = app.create_user("alice@example.com", false).await;
    let admin = app.create_user("admin@example.com", true).await;
    let specs = [
        (
            "L-1",
            "Kunde Eins",
            Some("Jane Roe"),
            Decimal::new(10, 0),
            InvoiceStatus::NeedsReview,
        ),
        (
            "L-2",
            "Kunde Zwei",
            None,
            Decimal::new(300, 0),
            InvoiceStatus::Approved,
        ),
        (
            "L-3",
            "Kunde Eins",
            Some("John Doe"),
            Decimal::new(255, 1),
            InvoiceStatus::Rejected,
        ),
    ];
    for (num, buyer, sales, gross, status) in specs {
        let mut inv = invoice_with(num, "Lister GmbH", buyer, "Widget");
        inv.legacy.salesperson = sales.map(|s| Extracted::xml(s.to_string()));
        inv.totals.tax_inclusive_amount = Some(Extracted::xml(gross));
        stored(&app, Some(alice.id), inv, status).await;
    }
    stored(
        &app,
        None,
        invoice_with("U-1", "Lister GmbH", "Nobody", "Widget"),
        InvoiceStatus::NeedsReview,
    )
    .await;

    let body = json_of(get(&app, &alice, "/api/v1/invoices").await, StatusCode::OK).await;
    assert_eq!(numbers(&body), ["L-3", "L-2", "L-1"]);
    assert_eq!(
        body["pagination"],
        json!({"page": 1, "per_page": 20, "total": 3, "total_is_estimate": false, "pages": 1, "has_next": false, "has_prev": false})
    );
    let body = json_of(
        get(&app, &alice, "/api/v1/invoices?per_page=2&page=2").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(numbers(&body), ["L-1"]);
    assert_eq!(body["pagination"]["has_prev"], true);
    assert_eq!(body["pagination"]["pages"], 2);
    // Keyset paging: the first page names where the next starts; the last names nothing.
    let first = json_of(
        get(&app, &alice, "/api/v1/invoices?per_page=2&exact_total=true").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(numbers(&first), ["L-3", "L-2"]);
    let cursor = first["pagination"]["next_cursor"]
        .as_str()
        .expect("a next cursor")
        .to_string();
    let next = json_of(
        get(
            &app,
            &alice,
            &format!("/api/v1/invoices?per_page=2&cursor={cursor}"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(numbers(&next), ["L-1"]);
    assert!(next["pagination"].get("next_cursor").is_none(), "{next}");
    for bad in [
        "cursor=not-a-cursor".to_string(),
        format!("cursor={cursor}&sort=gross_amount"),
    ] {
        let resp = get(&app, &alice, &format!("/api/v1/invoices?{bad}")).await;
        let problem = json_of(resp, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem["code"], "invalid_cursor", "{bad}");
    }

    for (query, expected) in [
        ("status=needs_review", vec!["L-1"]),
        ("needs_review=false", vec!["L-3", "L-2"]),
        ("customer=eins", vec!["L-3", "L-1"]),
        ("salesperson=jane", vec!["L-1"]),
        ("min_amount=20&max_amount=100", vec!["L-3"]),
        ("sort=gross_amount", vec!["L-1", "L-3", "L-2"]),
        ("sort=gross_amount&order=desc", vec!["L-2", "L-3", "L-1"]),
        ("sort=-invoice_number", vec!["L-3", "L-2", "L-1"]),
        ("q=widget&sort=invoice_number", vec!["L-1", "L-2", "L-3"]),
        ("vendor=lister&currency=eur&status=approved", vec!["L-2"]),
    ] {
        let body = json_of(
            get(&app, &alice, &format!("/api/v1/invoices?{query}")).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(numbers(&body), expected, "{query}");
    }
    // Uploaders: a user sees only their own whatever they ask for; an administrator filters.
    let body = json_of(
        get(&app, &alice, "/api/v1/invoices?uploader_ids=unassigned").await,
        StatusCode::OK,
    )
    .await;
    assert!(numbers(&body).is_empty());
    let body = json_of(
        get(&app, &admin, "/api/v1/invoices?uploader_ids=unassigned").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(numbers(&body), ["U-1"]);
    let body = json_of(
        get(
            &app,
            &admin,
            &format!(
                "/api/v1/invoices?uploader_ids={},unassigned&per_page=50",
                alice.id
            ),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["pagination"]["total"], 4);

    // Bad parameters are problems, not silent defaults.
    for query in [
        "sort=password_hash",
        "status=paid",
        "min_amount=ten",
        "uploader_ids=me",
        "created_from=yesterday",
    ] {
        let resp = get(&app, &alice, &format!("/api/v1/invoices?{query}")).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
    }
    // Without credentials: 401.
    let resp = app
        .req(Method::GET, "/api/v1/invoices", None)
        .send()
        .await
        .expect("anonymous");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn another_users_invoice_is_not_found_on_every_route() {
    let app = spawn_app().await;
    let alice = app.create_user("alice-owner@example.com", false).await;
    let bob = app.create_user("stranger@example.com", false).await;
    let admin = app.create_user("root@example.com", true).await;
    let created = create(
        &app,
        &alice,
        &invoice_with("O-1", "Owner GmbH", "Buyer", "Secret item"),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    let file_form = || {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"Invoice O-1\nTotal 10.00 EUR\n".to_vec())
                .file_name("o1.txt"),
        )
    };
    let routes: Vec<(Method, String)> = vec![
        (Method::GET, format!("/api/v1/invoices/{id}")),
        (Method::PUT, format!("/api/v1/invoices/{id}")),
        (Method::PATCH, format!("/api/v1/invoices/{id}")),
        (Method::DELETE, format!("/api/v1/invoices/{id}")),
        (Method::GET, format!("/api/v1/invoices/{id}/file")),
        (Method::PUT, format!("/api/v1/invoices/{id}/file")),
        (Method::GET, format!("/api/v1/invoices/{id}/similar")),
        (Method::POST, format!("/api/v1/invoices/{id}/approve")),
        (Method::POST, format!("/api/v1/invoices/{id}/reject")),
    ];
    for (method, path) in &routes {
        let mut req = app.req(method.clone(), path, Some(&bob));
        if path.ends_with("/file") && *method == Method::PUT {
            req = req.multipart(file_form());
        } else if *method == Method::PUT || *method == Method::PATCH {
            req = req.json(&json!({"invoice_number": "HIJACKED"}));
        }
        let resp = req.send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    // Nothing changed, and the stranger's lists and searches do not show it.
    let body = json_of(
        get(&app, &alice, &format!("/api/v1/invoices/{id}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["invoice"]["invoice_number"]["value"], "O-1");
    for path in [
        "/api/v1/invoices",
        "/api/v1/invoices/search?q=secret",
        "/api/v1/invoices/semantic-search?q=secret%20item",
    ] {
        let body = json_of(get(&app, &bob, path).await, StatusCode::OK).await;
        assert!(numbers(&body).is_empty(), "{path}: {body}");
    }
    let body = json_of(get(&app, &bob, "/api/v1/companies").await, StatusCode::OK).await;
    assert_eq!(body["pagination"]["total"], 0, "{body}");
    let vendor = created["vendor_id"]
        .as_str()
        .expect("vendor matched")
        .to_string();
    assert_eq!(
        get(&app, &bob, &format!("/api/v1/companies/{vendor}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let stats = json_of(
        get(&app, &bob, "/api/v1/dashboard/stats").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stats["total_invoices"], 0);
    // An administrator sees it.
    assert_eq!(
        get(&app, &admin, &format!("/api/v1/invoices/{id}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(
            &app,
            &admin,
            "/api/v1/invoices/00000000-0000-0000-0000-000000000000"
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn update_recomputes_validation_and_is_audited() {
    let app = spawn_app().await;
    let alice = app.create_user("editor@example.com", false).await;
    let inv = valid_invoice(11);
    let created = create(&app, &alice, &inv).await;
    let id = created["id"].as_str().expect("id").to_string();
    let errors = |body: &Value| {
        body["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["severity"] == json!(Severity::Error))
            .count()
    };
    assert_eq!(errors(&created), 0, "{}", created["findings"]);
    assert_eq!(created["status"], "needs_review");
    let confidence = created["confidence"].as_f64().expect("confidence");
    // Approve, then break the totals: back to review, with an error finding.
    let resp = app
        .req(
            Method::POST,
            &format!("/api/v1/invoices/{id}/approve"),
            Some(&alice),
        )
        .send()
        .await
        .expect("approve");
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .req(
            Method::PATCH,
            &format!("/api/v1/invoices/{id}"),
            Some(&alice),
        )
        .json(&json!({"gross_amount": "1.00", "salesperson": "Max Muster"}))
        .send()
        .await
        .expect("patch");
    let broken = json_of(resp, StatusCode::OK).await;
    assert!(errors(&broken) > 0, "{}", broken["findings"]);
    assert_eq!(broken["status"], "needs_review");
    assert!(broken["confidence"].as_f64().expect("c") < confidence);
    assert_eq!(
        broken["invoice"]["totals"]["tax_inclusive_amount"]["value"],
        "1.00"
    );
    assert_eq!(
        broken["invoice"]["totals"]["tax_inclusive_amount"]["source"],
        "human"
    );
    let listed = json_of(
        get(&app, &alice, "/api/v1/invoices?salesperson=muster").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["pagination"]["total"], 1);
    // A whole canonical invoice (PUT) restores it; the findings clear.
    let resp = app
        .req(Method::PUT, &format!("/api/v1/invoices/{id}"), Some(&alice))
        .json(&json!({"invoice": inv}))
        .send()
        .await
        .expect("put");
    let fixed = json_of(resp, StatusCode::OK).await;
    assert_eq!(errors(&fixed), 0, "{}", fixed["findings"]);
    // Lines are replaced as entered.
    let resp = app
        .req(Method::PATCH, &format!("/api/v1/invoices/{id}"), Some(&alice))
        .json(&json!({"lines": [{"description": "Only line", "quantity": "1", "unit_price": "5", "line_amount": "5"}]}))
        .send()
        .await
        .expect("lines");
    let relined = json_of(resp, StatusCode::OK).await;
    assert_eq!(relined["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(relined["lines"][0]["description"]["value"], "Only line");
    // Unknown fields are refused rather than ignored.
    let resp = app
        .req(
            Method::PATCH,
            &format!("/api/v1/invoices/{id}"),
            Some(&alice),
        )
        .json(&json!({"grossamount": "2"}))
        .send()
        .await
        .expect("typo");
    assert!(resp.status().is_client_error(), "{}", resp.status());

    let audit = app
        .store
        .list_audit(
            &AuditFilter {
                entity_id: Some(id.clone()),
                ..Default::default()
            },
            PageRequest::new(1, 50),
        )
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.items.iter().map(|a| a.action.as_str()).collect();
    assert!(actions.contains(&"invoice.create"), "{actions:?}");
    assert_eq!(
        actions.iter().filter(|a| **a == "invoice.update").count(),
        3
    );
    let update = audit
        .items
        .iter()
        .find(|a| a.action == "invoice.update")
        .expect("update entry");
    assert_eq!(update.actor_id, Some(alice.id));
    assert!(update.before.is_some() && update.after.is_some());
}

#[tokio::test]
async fn soft_delete_hides_everywhere() {
    let app = spawn_app().await;
    let alice = app.create_user("deleter@example.com", false).await;
    let created = create(
        &app,
        &alice,
        &invoice_with("D-1", "Gone GmbH", "Buyer", "Vanishing cream"),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    let resp = app
        .req(
            Method::DELETE,
            &format!("/api/v1/invoices/{id}"),
            Some(&alice),
        )
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get(&app, &alice, &format!("/api/v1/invoices/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let again = app
        .req(
            Method::DELETE,
            &format!("/api/v1/invoices/{id}"),
            Some(&alice),
        )
        .send()
        .await
        .expect("delete again");
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    for path in [
        "/api/v1/invoices",
        "/api/v1/invoices/search?q=vanishing",
        "/api/v1/invoices/semantic-search?q=vanishing%20cream",
    ] {
        let body = json_of(get(&app, &alice, path).await, StatusCode::OK).await;
        assert!(numbers(&body).is_empty(), "{path}: {body}");
    }
    let stats = json_of(
        get(&app, &alice, "/api/v1/dashboard/stats").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stats["total_invoices"], 0);
    // The row stays for the audit trail.
    assert!(
        app.store
            .list_audit(
                &AuditFilter {
                    entity_id: Some(id),
                    action: Some("invoice.delete".into()),
                    ..Default::default()
                },
                PageRequest::default(),
            )
            .await
            .expect("audit")
            .total
            == 1
    );
}

#[tokio::test]
async fn search_semantic_search_and_similar() {
    let app = spawn_app().await;
    let alice = app.create_user("searcher@example.com", false).await;
    let a = create(
        &app,
        &alice,
        &invoice_with(
            "S-100",
            "Harbour Cranes Ltd",
            "Port Authority",
            "Crane maintenance",
        ),
    )
    .await;
    let b = create(
        &app,
        &alice,
        &invoice_with(
            "S-200",
            "Harbour Cranes Ltd",
            "Port Authority",
            "Crane inspection",
        ),
    )
    .await;
    create(
        &app,
        &alice,
        &invoice_with("S-300", "Bakery Brot", "Café Morgen", "Sourdough bread"),
    )
    .await;

    let body = json_of(
        get(&app, &alice, "/api/v1/invoices/search?q=sourdough").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(numbers(&body), ["S-300"]);
    assert!(body["items"][0]["score"].as_f64().expect("score") > 0.0);
    let body = json_of(
        get(
            &app,
            &alice,
            "/api/v1/invoices/search?q=harbour%20crane&per_page=1",
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["pagination"]["total"], 2);
    assert_eq!(body["pagination"]["has_next"], true);
    let resp = get(&app, &alice, "/api/v1/invoices/search").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // Semantic search with the default (hash) embedder: the crane invoices come first.
    let body = json_of(
        get(
            &app,
            &alice,
            "/api/v1/invoices/semantic-search?q=Harbour%20Cranes%20crane%20maintenance&limit=2",
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let mut found = numbers(&body);
    found.sort();
    assert_eq!(found, ["S-100", "S-200"], "{body}");

    // Similar to the first crane invoice: the second, before the bakery.
    let id = a["id"].as_str().expect("id");
    let body = json_of(
        get(&app, &alice, &format!("/api/v1/invoices/{id}/similar")).await,
        StatusCode::OK,
    )
    .await;
    let similar = numbers(&body);
    assert_eq!(similar.first().map(String::as_str), Some("S-200"), "{body}");
    assert!(!similar.contains(&"S-100".to_string()), "never itself");
    // An invoice stored without an embedding (as before this feature) is embedded on demand.
    let plain = stored(
        &app,
        Some(alice.id),
        invoice_with(
            "S-400",
            "Harbour Cranes Ltd",
            "Port Authority",
            "Crane repair",
        ),
        InvoiceStatus::NeedsReview,
    )
    .await;
    let body = json_of(
        get(
            &app,
            &alice,
            &format!("/api/v1/invoices/{plain}/similar?limit=1"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let first = numbers(&body);
    assert!(
        first == ["S-100"] || first == ["S-200"],
        "{first:?} (b is {})",
        b["invoice_number"]
    );
}

#[tokio::test]
async fn file_download_and_replacement() {
    let app = spawn_app().await;
    let alice = app.create_user("filer@example.com", false).await;
    let created = create(
        &app,
        &alice,
        &invoice_with("F-1", "File AG", "Buyer", "Paper"),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    assert!(created["file"].is_null());
    assert_eq!(
        get(&app, &alice, &format!("/api/v1/invoices/{id}/file"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let text = b"Invoice F-1\nFile AG\nTotal 10.00 EUR\n".to_vec();
    let resp = app
        .req(
            Method::PUT,
            &format!("/api/v1/invoices/{id}/file"),
            Some(&alice),
        )
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(text.clone()).file_name("../f1 \"scan\".txt"),
        ))
        .send()
        .await
        .expect("replace");
    let body = json_of(resp, StatusCode::OK).await;
    assert_eq!(body["file"]["mime_type"], "text/plain");
    assert_eq!(body["file"]["url"], format!("/api/v1/invoices/{id}/file"));
    let resp = get(&app, &alice, &format!("/api/v1/invoices/{id}/file")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/plain");
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert_eq!(
        disposition,
        "attachment; filename=\"f1 scan.txt\"; filename*=UTF-8''f1%20scan.txt"
    );
    assert_eq!(resp.bytes().await.expect("bytes").to_vec(), text);
    // Not a document: 415; no file field: 400.
    let resp = app
        .req(
            Method::PUT,
            &format!("/api/v1/invoices/{id}/file"),
            Some(&alice),
        )
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(vec![0u8, 159, 146, 150, 0, 1]).file_name("x.bin"),
        ))
        .send()
        .await
        .expect("binary");
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let resp = app
        .req(
            Method::PUT,
            &format!("/api/v1/invoices/{id}/file"),
            Some(&alice),
        )
        .multipart(reqwest::multipart::Form::new().text("other", "x"))
        .send()
        .await
        .expect("no file");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let audit = app
        .store
        .list_audit(
            &AuditFilter {
                entity_id: Some(id),
                action: Some("invoice.replace_file".into()),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("audit");
    assert_eq!(audit.total, 1);
}

#[tokio::test]
async fn companies_and_dashboard() {
    let app = spawn_app().await;
    let alice = app.create_user("dash@example.com", false).await;
    let admin = app.create_user("dashadmin@example.com", true).await;
    let first = create(
        &app,
        &alice,
        &invoice_with("C-1", "Stuhlwerk GmbH", "Kunde AG", "Chair"),
    )
    .await;
    // Another spelling of the same seller is matched to the same company.
    let second = create(
        &app,
        &alice,
        &invoice_with("C-2", "STUHLWERK G.m.b.H.", "Kunde AG", "Table"),
    )
    .await;
    assert_eq!(first["vendor_id"], second["vendor_id"]);
    assert_eq!(first["vendor"]["name"], "Stuhlwerk GmbH");
    let body = json_of(
        get(&app, &alice, "/api/v1/companies?kind=vendor").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["pagination"]["total"], 1);
    assert_eq!(body["items"][0]["invoice_count"], 2);
    let vendor = body["items"][0]["id"].as_str().expect("id").to_string();
    let by_vendor = json_of(
        get(
            &app,
            &alice,
            &format!("/api/v1/invoices?vendor_id={vendor}"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_vendor["pagination"]["total"], 2);
    let one = json_of(
        get(&app, &alice, &format!("/api/v1/companies/{vendor}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(one["kind"], "vendor");
    let body = json_of(
        get(&app, &alice, "/api/v1/companies?q=kunde").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["items"][0]["kind"], "customer");
    assert_eq!(
        get(&app, &alice, "/api/v1/companies?kind=supplier")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );

    let stats = json_of(
        get(&app, &alice, "/api/v1/dashboard/stats").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stats["total_invoices"], 2);
    assert_eq!(stats["pending_review"], 2);
    assert_eq!(stats["processed_today"], 2);
    assert_eq!(stats["by_status"]["needs_review"], 2);
    let currencies = stats["amounts_by_currency"].as_array().expect("currencies");
    assert_eq!(
        currencies
            .iter()
            .map(|c| c["count"].as_u64().unwrap_or(0))
            .sum::<u64>(),
        2
    );
    assert!(
        !stats["amounts_by_month"]
            .as_array()
            .expect("months")
            .is_empty()
    );
    let stats = json_of(
        get(&app, &admin, "/api/v1/dashboard/stats").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stats["total_invoices"], 2);
    let types = json_of(
        get(&app, &alice, "/api/v1/dashboard/supported-types").await,
        StatusCode::OK,
    )
    .await;
    let kinds: Vec<&str> = types["types"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["pdf", "xml", "image", "text"]);
}

/// What the store could not keep is refused up front, not failed in the database: a NUL in
/// query text (PostgreSQL refuses it: 500 before) is 400, and an invoice body with a NUL in
/// a text, a confidence outside 0..=1, or one beyond `f32` (stored as null, then
/// unreadable: 500 on every later read) is 422.
#[tokio::test]
async fn unstorable_input_is_refused_as_a_client_error() {
    let app = spawn_app().await;
    let alice = app.create_user("nul@example.com", false).await;
    for path in [
        "/api/v1/invoices?vendor=a%00b",
        "/api/v1/invoices/search?q=x%00",
        "/api/v1/companies?q=%00",
        "/api/v1/invoices/export?format=csv&seller=%00",
    ] {
        let body = json_of(get(&app, &alice, path).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["code"], "bad_request", "{path}");
    }
    let mut with_nul = valid_invoice(5);
    with_nul.invoice_number = Some(Extracted::xml("A\u{0}1".to_string()));
    let mut body = serde_json::to_value(valid_invoice(6)).expect("json");
    body["invoice_number"]["confidence"] = json!(1e300);
    let mut negative = serde_json::to_value(valid_invoice(7)).expect("json");
    negative["invoice_number"]["confidence"] = json!(-1.0);
    for (invoice, code) in [
        (negative, "invalid_confidence"),
        (
            serde_json::to_value(&with_nul).expect("json"),
            "invalid_text",
        ),
        (body, "invalid_number"),
    ] {
        let resp = app
            .req(Method::POST, "/api/v1/invoices", Some(&alice))
            .json(&json!({ "invoice": invoice }))
            .send()
            .await
            .expect("create");
        let answer = json_of(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(answer["code"], code);
    }
    let list = json_of(get(&app, &alice, "/api/v1/invoices").await, StatusCode::OK).await;
    assert_eq!(list["pagination"]["total"], 0);
}

/// Review finding 13: replacing an invoice's file skipped the intake checks (page limit,
/// corrupt, encrypted, claimed type) and was capped at 2 MB by the default body limit. It now
/// runs the same checks as an upload, up to the upload limit.
#[tokio::test]
async fn replacing_a_file_runs_the_intake_checks() {
    let app = spawn_app_with(SpawnOptions {
        limits: Some(doxin_server::IntakeLimits {
            max_pages: 1,
            max_upload_bytes: 4 * 1024 * 1024,
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let alice = app.create_user("replacer@example.com", false).await;
    let created = create(
        &app,
        &alice,
        &invoice_with("R-1", "Replace AG", "Buyer", "Paper"),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    let put = |bytes: Vec<u8>, name: &'static str, mime: Option<&'static str>| {
        let mut part = reqwest::multipart::Part::bytes(bytes).file_name(name);
        if let Some(m) = mime {
            part = part.mime_str(m).expect("mime");
        }
        app.req(
            Method::PUT,
            &format!("/api/v1/invoices/{id}/file"),
            Some(&alice),
        )
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
    };
    let two_pages = doxin_synth::generate(
        3,
        &doxin_synth::Spec {
            lines: 80..=80,
            ..Default::default()
        },
    )
    .pdf;
    // (file, name, claimed type, status, code)
    type Case = (
        Vec<u8>,
        &'static str,
        Option<&'static str>,
        u16,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (two_pages, "two.pdf", None, 422, "too_many_pages"),
        (
            crate::intake::handmade_pdf("/Encrypt << /Filter /Standard /V 2 /R 3 >>"),
            "locked.pdf",
            None,
            422,
            "encrypted_pdf",
        ),
        (
            b"%PDF-1.7\n1 0 obj\n<<".to_vec(),
            "cut.pdf",
            None,
            422,
            "corrupt_file",
        ),
        (
            b"just text\n".to_vec(),
            "claims.pdf",
            Some("application/pdf"),
            415,
            "type_mismatch",
        ),
        (
            vec![b'a'; 5 * 1024 * 1024],
            "big.txt",
            None,
            413,
            "file_too_large",
        ),
    ];
    for (bytes, name, mime, status, code) in cases {
        let resp = put(bytes, name, mime).await.expect("put");
        assert_eq!(resp.status().as_u16(), status, "{name}");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["code"], code, "{name}: {body}");
    }
    // Above axum's 2 MB default, within the upload limit: accepted.
    let mut text = b"Invoice R-1\nReplace AG\nTotal 10.00 EUR\n".to_vec();
    text.resize(3 * 1024 * 1024, b' ');
    let resp = put(text, "three-mb.txt", None).await.expect("put");
    let body = json_of(resp, StatusCode::OK).await;
    assert_eq!(body["file"]["mime_type"], "text/plain");
}
