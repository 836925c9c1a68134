//! Review decisions that keep what was decided (issue 13, item 2): a rejection needs a reason,
//! approving over error findings needs an override with a reason, deciding twice is one
//! decision, a note edit keeps an approval while an amount edit reopens it with the reason
//! recorded, and every step is in the invoice's history and the audit log.

use doxin_model::{Decimal, Extracted, Invoice};
use doxin_store::{AuditFilter, PageRequest};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app};

async fn call(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut rb = app.req(method, path, Some(user));
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.expect("send");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// An invoice entered by hand whose gross amount does not add up: validation finds errors.
async fn invoice_with_errors(app: &TestApp, user: &TestUser) -> String {
    let mut inv: Invoice = doxin_synth::generate(21, &doxin_synth::Spec::default()).truth;
    inv.totals.tax_inclusive_amount = Some(Extracted::human(Decimal::new(1, 0)));
    let (status, body) = call(
        app,
        user,
        Method::POST,
        "/api/v1/invoices",
        Some(json!({ "invoice": inv })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["severity"] == "error"),
        "{body}"
    );
    body["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn decisions_need_reasons_and_are_kept() {
    let app = spawn_app().await;
    let clerk = app.create_user("clerk@example.com", false).await;
    let stranger = app.create_user("stranger@example.com", false).await;
    let id = invoice_with_errors(&app, &clerk).await;
    let approve = format!("/api/v1/invoices/{id}/approve");
    let reject = format!("/api/v1/invoices/{id}/reject");

    // A rejection without a reason is refused, also with a blank one.
    for body in [None, Some(json!({})), Some(json!({"reason": "  "}))] {
        let (status, problem) = call(&app, &clerk, Method::POST, &reject, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["code"], "reason_required");
    }
    // Error findings: no approval without an override and its reason.
    let (status, problem) = call(&app, &clerk, Method::POST, &approve, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "override_required");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("BR-CO-"),
        "{problem}"
    );
    let (status, body) = call(
        &app,
        &clerk,
        Method::POST,
        &approve,
        Some(json!({"override_reason": "supplier confirmed the total by phone", "comment": "ok"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["changed"].as_bool()),
        (Some("approved"), Some(true))
    );
    // Approving twice is one decision.
    let (status, body) = call(&app, &clerk, Method::POST, &approve, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], false);

    // A note edit keeps the approval.
    let (status, body) = call(
        &app,
        &clerk,
        Method::PATCH,
        &format!("/api/v1/invoices/{id}"),
        Some(json!({"notes": ["booked under project 7"], "salesperson": "Kim"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    // An amount edit reopens it, saying why.
    let (status, body) = call(
        &app,
        &clerk,
        Method::PATCH,
        &format!("/api/v1/invoices/{id}"),
        Some(json!({"net_amount": "999.00"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "needs_review");
    let (status, body) = call(
        &app,
        &clerk,
        Method::POST,
        &reject,
        Some(json!({"reason": "duplicate of a paper invoice"})),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("rejected"))
    );

    // The history tells it all, oldest first; a stranger does not see it.
    let (status, history) = call(
        &app,
        &clerk,
        Method::GET,
        &format!("/api/v1/invoices/{id}/history"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let steps = history["items"].as_array().expect("items");
    let actions: Vec<&str> = steps.iter().filter_map(|s| s["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "invoice.create",
            "invoice.approve",
            "invoice.update",
            "invoice.update",
            "invoice.reopen",
            "invoice.reject"
        ],
        "{history}"
    );
    let approval = &steps[1];
    assert_eq!(approval["actor_id"], json!(clerk.id));
    assert_eq!(approval["from_status"], "needs_review");
    assert_eq!(approval["to_status"], "approved");
    assert_eq!(approval["comment"], "ok");
    assert_eq!(
        approval["override_reason"],
        "supplier confirmed the total by phone"
    );
    assert_eq!(
        steps[2]["changed_fields"],
        json!([]),
        "a note edit changes nothing decided"
    );
    let reopen = &steps[4];
    assert_eq!(reopen["from_status"], "approved");
    assert_eq!(reopen["to_status"], "needs_review");
    assert_eq!(reopen["changed_fields"], json!(["totals"]));
    assert!(
        reopen["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("totals"),
        "{reopen}"
    );
    assert_eq!(steps[5]["reason"], "duplicate of a paper invoice");
    let (status, _) = call(
        &app,
        &stranger,
        Method::GET,
        &format!("/api/v1/invoices/{id}/history"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The audit log holds the same steps.
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
    assert_eq!(audit.items.len(), steps.len());
}

#[tokio::test]
async fn concurrent_approvals_are_one_decision() {
    let app = spawn_app().await;
    let clerk = app.create_user("race@example.com", false).await;
    let mut inv: Invoice = doxin_synth::generate(22, &doxin_synth::Spec::default()).truth;
    inv.notes.push("valid".into());
    let (status, body) = call(
        &app,
        &clerk,
        Method::POST,
        "/api/v1/invoices",
        Some(json!({"invoice": inv})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/invoices/{id}/approve");
    let results =
        futures::future::join_all((0..6).map(|_| call(&app, &clerk, Method::POST, &path, None)))
            .await;
    let changed = results
        .iter()
        .filter(|(s, b)| *s == StatusCode::OK && b["changed"] == true)
        .count();
    assert_eq!(changed, 1, "{results:?}");
    let approvals = app
        .store
        .list_audit(
            &AuditFilter {
                entity_id: Some(id),
                action: Some("invoice.approve".into()),
                ..Default::default()
            },
            PageRequest::new(1, 50),
        )
        .await
        .expect("audit");
    assert_eq!(approvals.items.len(), 1);
}

/// Issue 13, item 4: corrections are plain values in the invoice's own shape, recorded as a
/// person's (source `human`, confidence 1.0); a party edit matches the vendor again; an
/// invoice can be entered in the same plain shape.
#[tokio::test]
async fn corrections_are_plain_values_in_the_invoices_shape() {
    let app = spawn_app().await;
    let clerk = app.create_user("plain@example.com", false).await;
    let (status, created) = call(
        &app,
        &clerk,
        Method::POST,
        "/api/v1/invoices",
        Some(json!({
            "invoice_number": "P-1",
            "issue_date": "2024-05-02",
            "currency": "eur",
            "seller": {"name": "Holzwerk Jansen GmbH", "vat_id": "DE811569869"},
            "buyer": {"name": "Café Ostwind"},
            "totals": {"line_extension_amount": "20.00", "tax_exclusive_amount": 20, "tax_amount": "3.80", "tax_inclusive_amount": "23.80", "payable_amount": 23.8},
            "lines": [{"description": "Stool", "quantity": 2, "unit_price": 10, "line_amount": "20.00", "vat_rate": 19}],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let number = &created["invoice"]["invoice_number"];
    assert_eq!(
        (number["value"].as_str(), number["source"].as_str()),
        (Some("P-1"), Some("human"))
    );
    assert_eq!(number["confidence"], 1.0);
    assert_eq!(created["invoice"]["currency"]["value"], "EUR");
    assert_eq!(created["invoice"]["lines"][0]["quantity"]["value"], "2");
    let first_vendor = created["vendor_id"].clone();
    assert!(first_vendor.is_string(), "{created}");

    let (status, body) = call(
        &app,
        &clerk,
        Method::PATCH,
        &format!("/api/v1/invoices/{id}"),
        Some(json!({"totals": {"line_extension_amount": "34.73"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let net = &body["invoice"]["totals"]["line_extension_amount"];
    assert_eq!(net["value"], "34.73");
    assert_eq!(
        (net["source"].as_str(), net["confidence"].as_f64()),
        (Some("human"), Some(1.0))
    );
    // Untouched values stay as they were, validation ran again (the lines no longer add up).
    assert_eq!(body["invoice"]["totals"]["tax_amount"]["value"], "3.80");
    assert!(
        body["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["severity"] == "error"),
        "{body}"
    );
    let (status, body) = call(
        &app,
        &clerk,
        Method::PATCH,
        &format!("/api/v1/invoices/{id}"),
        Some(json!({"lines": [{"description": "Table", "quantity": 1, "unit_price": 34.73, "line_amount": 34.73}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["invoice"]["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["invoice"]["lines"][0]["line_amount"]["value"], "34.73");

    // Another seller: matched to another company of the clerk's.
    let (status, body) = call(
        &app,
        &clerk,
        Method::PATCH,
        &format!("/api/v1/invoices/{id}"),
        Some(json!({"seller": {"name": "Metallbau Kruse KG", "vat_id": null}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["vendor_id"].is_string());
    assert_ne!(body["vendor_id"], first_vendor, "{body}");
    assert!(body["invoice"]["seller"].get("vat_id").is_none(), "{body}");

    // Keys the invoice does not have are refused, not ignored.
    for bad in [
        json!({"totals": {"gross": "1"}}),
        json!({"sellers": {"name": "x"}}),
        json!([1]),
    ] {
        let (status, problem) = call(
            &app,
            &clerk,
            Method::PATCH,
            &format!("/api/v1/invoices/{id}"),
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {problem}");
        assert_eq!(problem["code"], "invalid_correction", "{bad}");
    }
}

/// Issue 13, item 3 (part): comments join the history and notify the people mentioned who can
/// see the invoice; a selection is decided in one request, each invoice on its own.
#[tokio::test]
async fn comments_mentions_and_bulk_decisions() {
    let app = spawn_app().await;
    let clerk = app.create_user("bulk@example.com", false).await;
    let admin = app.create_user("boss@example.com", true).await;
    let outsider = app.create_user("outsider@example.com", false).await;
    let mut ids = Vec::new();
    for seed in [31, 32, 33] {
        let inv: Invoice = doxin_synth::generate(seed, &doxin_synth::Spec::default()).truth;
        let (status, body) = call(
            &app,
            &clerk,
            Method::POST,
            "/api/v1/invoices",
            Some(json!({"invoice": inv})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(body["id"].as_str().expect("id").to_string());
    }
    let broken = invoice_with_errors(&app, &clerk).await;

    let (status, body) = call(
        &app,
        &clerk,
        Method::POST,
        &format!("/api/v1/invoices/{}/comments", ids[0]),
        Some(json!({"text": "@boss@example.com please check the freight, @outsider@example.com too"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["mentions"],
        json!([admin.id]),
        "only who can see the invoice"
    );
    let (_, history) = call(
        &app,
        &clerk,
        Method::GET,
        &format!("/api/v1/invoices/{}/history", ids[0]),
        None,
    )
    .await;
    let last = history["items"]
        .as_array()
        .and_then(|a| a.last())
        .cloned()
        .expect("steps");
    assert_eq!(last["action"], "invoice.comment");
    assert!(
        last["comment"]
            .as_str()
            .unwrap_or_default()
            .contains("freight"),
        "{last}"
    );
    let (status, _) = call(
        &app,
        &outsider,
        Method::POST,
        &format!("/api/v1/invoices/{}/comments", ids[0]),
        Some(json!({"text": "hello"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Three clean invoices, one with errors, one unknown id: four outcomes beside three successes.
    let unknown = uuid::Uuid::new_v4().to_string();
    let mut selection = ids.clone();
    selection.push(broken.clone());
    selection.push(unknown.clone());
    selection.push(ids[0].clone());
    let (status, body) = call(
        &app,
        &clerk,
        Method::POST,
        "/api/v1/invoices/bulk",
        Some(json!({"ids": selection, "action": "approve", "comment": "month end"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["succeeded"].as_u64(), body["failed"].as_u64()),
        (Some(3), Some(2)),
        "{body}"
    );
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 5, "a repeated id is decided once");
    assert_eq!(items[3]["error"]["code"], "override_required");
    assert_eq!(items[4]["error"]["code"], "not_found");
    for id in &ids {
        let (_, inv) = call(
            &app,
            &clerk,
            Method::GET,
            &format!("/api/v1/invoices/{id}"),
            None,
        )
        .await;
        assert_eq!(inv["status"], "approved");
    }
    let (status, body) = call(
        &app,
        &clerk,
        Method::POST,
        "/api/v1/invoices/bulk",
        Some(json!({"ids": [ids[1]], "action": "reject"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"][0]["error"]["code"], "reason_required");
    for bad in [
        json!({"ids": [], "action": "approve"}),
        json!({"ids": [ids[0]], "action": "pay"}),
    ] {
        let (status, _) = call(
            &app,
            &clerk,
            Method::POST,
            "/api/v1/invoices/bulk",
            Some(bad),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

/// Issue 13, item 3 (part): an invoice is assigned to a reviewer who can see it; the list
/// filters by assignee; the assignment is in the history.
#[tokio::test]
async fn invoices_are_assigned_to_reviewers_who_can_see_them() {
    let app = spawn_app().await;
    let clerk = app.create_user("assigner@example.com", false).await;
    let admin = app.create_user("reviewer@example.com", true).await;
    let outsider = app.create_user("elsewhere@example.com", false).await;
    let inv: Invoice = doxin_synth::generate(41, &doxin_synth::Spec::default()).truth;
    let (_, created) = call(
        &app,
        &clerk,
        Method::POST,
        "/api/v1/invoices",
        Some(json!({"invoice": inv})),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    let assign = format!("/api/v1/invoices/{id}/assign");
    let (status, problem) = call(
        &app,
        &clerk,
        Method::POST,
        &assign,
        Some(json!({"assignee_id": outsider.id})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "assignee_not_allowed");
    let (status, body) = call(
        &app,
        &clerk,
        Method::POST,
        &assign,
        Some(json!({"assignee_id": admin.id})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["assignee_id"], json!(admin.id));
    let (_, listed) = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/v1/invoices?assignee_id={}", admin.id),
        None,
    )
    .await;
    assert_eq!(listed["pagination"]["total"], 1, "{listed}");
    assert_eq!(listed["items"][0]["assignee_id"], json!(admin.id));
    let (_, detail) = call(
        &app,
        &clerk,
        Method::GET,
        &format!("/api/v1/invoices/{id}"),
        None,
    )
    .await;
    assert_eq!(detail["assignee_id"], json!(admin.id));
    let (status, body) = call(
        &app,
        &clerk,
        Method::POST,
        &assign,
        Some(json!({"assignee_id": null})),
    )
    .await;
    assert_eq!(
        (status, body["assignee_id"].clone()),
        (StatusCode::OK, Value::Null)
    );
    let (_, history) = call(
        &app,
        &clerk,
        Method::GET,
        &format!("/api/v1/invoices/{id}/history"),
        None,
    )
    .await;
    let assigns = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|s| s["action"] == "invoice.assign")
        .count();
    assert_eq!(assigns, 2, "{history}");
    let (status, _) = call(
        &app,
        &outsider,
        Method::POST,
        &assign,
        Some(json!({"assignee_id": null})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
