//! Workspaces and the review workflow across a team (issue 13, items 1–3): two workspaces and
//! five users of one of them (administrator, approver with a limit, second approver, clerk,
//! viewer), on SQLite and on PostgreSQL.

use doxin_model::Decimal;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{SpawnOptions, TestApp, TestUser, fresh_pg_database, spawn_app_with};

async fn call(
    app: &TestApp,
    user: &TestUser,
    workspace: Option<Uuid>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut rb = app.req(method, path, Some(user));
    if let Some(w) = workspace {
        rb = rb.header("X-Workspace-Id", w.to_string());
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.expect("send");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A consistent invoice (no findings) and its gross amount.
fn clean_invoice(seed: u64) -> (Value, Decimal) {
    let inv = doxin_synth::generate(seed, &doxin_synth::Spec::default()).truth;
    let gross = inv
        .totals
        .tax_inclusive_amount
        .as_ref()
        .expect("gross")
        .value;
    (json!({ "invoice": inv }), gross)
}

#[tokio::test]
async fn a_team_reviews_in_its_workspace_on_sqlite() {
    team_story(spawn_app_with(SpawnOptions::default()).await).await;
}

#[tokio::test]
async fn a_team_reviews_in_its_workspace_on_postgres() {
    let Some(url) = fresh_pg_database("doxin_team").await else {
        return;
    };
    team_story(
        spawn_app_with(SpawnOptions {
            database_url: Some(url),
            ..Default::default()
        })
        .await,
    )
    .await;
}

async fn team_story(app: TestApp) {
    // The default user administers their first workspace, which has their id.
    let admin = app.user.clone();
    let team = admin.id;
    let approver = app.create_user("approver@example.com", false).await;
    let second = app.create_user("second@example.com", false).await;
    let clerk = app.create_user("clerk@example.com", false).await;
    let viewer = app.create_user("viewer@example.com", false).await;
    let outsider = app.create_user("outsider@example.com", false).await;
    let w = Some(team);
    let (invoice_body, gross) = clean_invoice(7);
    let limit = (gross - Decimal::ONE).max(Decimal::ZERO);
    let threshold = (gross / Decimal::TWO).round_dp(2);

    // The administrator builds the team.
    for (user, role, approval_limit) in [
        (&approver, "approver", Some(limit.to_string())),
        (&second, "approver", None),
        (&clerk, "clerk", None),
        (&viewer, "viewer", None),
    ] {
        let (status, body) = call(
            &app,
            &admin,
            None,
            Method::PUT,
            &format!("/api/v1/workspaces/{team}/members/{}", user.id),
            Some(json!({ "role": role, "approval_limit": approval_limit })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["role"], role);
    }
    let (status, members) = call(
        &app,
        &viewer,
        w,
        Method::GET,
        &format!("/api/v1/workspaces/{team}/members"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{members}");
    assert_eq!(members["items"].as_array().map(Vec::len), Some(5));
    // Only the workspace's administrators manage it; outsiders do not see it at all.
    let (status, body) = call(
        &app,
        &viewer,
        w,
        Method::PUT,
        &format!("/api/v1/workspaces/{team}/members/{}", outsider.id),
        Some(json!({ "role": "admin" })),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("role_forbidden"))
    );
    let (status, _) = call(
        &app,
        &outsider,
        None,
        Method::GET,
        &format!("/api/v1/workspaces/{team}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nonsense rules are refused with the reason; sensible ones are kept.
    let (status, body) = call(
        &app,
        &admin,
        w,
        Method::PATCH,
        &format!("/api/v1/workspaces/{team}"),
        Some(json!({ "approval_rules": { "second_approval_above": "-5" } })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(
        &app,
        &admin,
        w,
        Method::PATCH,
        &format!("/api/v1/workspaces/{team}"),
        Some(json!({ "approval_rules": { "second_approval_above": threshold.to_string() } })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The clerk enters an invoice into the team's workspace.
    let (status, created) = call(
        &app,
        &clerk,
        w,
        Method::POST,
        "/api/v1/invoices",
        Some(invoice_body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["workspace_id"], json!(team));
    assert_eq!(created["owner_id"], json!(clerk.id));
    assert!(
        created["findings"]
            .as_array()
            .is_some_and(|f| f.iter().all(|f| f["severity"] != "error")),
        "{created}"
    );
    let id = created["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/invoices/{id}");
    let approve = format!("{path}/approve");
    let reject = format!("{path}/reject");

    // The viewer reads and changes nothing; other workspaces do not see it.
    let (status, _) = call(&app, &viewer, w, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    for (method, p, body) in [
        (Method::PATCH, path.clone(), json!({"notes": ["mine"]})),
        (Method::POST, approve.clone(), json!({})),
        (Method::POST, reject.clone(), json!({"reason": "no"})),
        (
            Method::POST,
            format!("{path}/comments"),
            json!({"text": "hi"}),
        ),
        (
            Method::POST,
            "/api/v1/invoices".into(),
            invoice_body.clone(),
        ),
        (Method::DELETE, path.clone(), Value::Null),
    ] {
        let (status, body) = call(&app, &viewer, w, method.clone(), &p, Some(body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "viewer {method} {p}: {body}");
        assert_eq!(body["code"], "role_forbidden", "{body}");
    }
    // Without the header the viewer acts in their own first workspace: not found there.
    let (status, _) = call(&app, &viewer, None, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, &outsider, None, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = call(&app, &outsider, w, Method::GET, &path, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("workspace_not_found"))
    );

    // Clerks do not decide; the approver's limit is below the amount.
    let (status, body) = call(&app, &clerk, w, Method::POST, &approve, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("role_forbidden"))
    );
    let (status, body) = call(&app, &approver, w, Method::POST, &approve, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("approval_limit_exceeded")),
        "{body}"
    );
    // Above the threshold: two approvals by two people.
    let (status, body) = call(&app, &second, w, Method::POST, &approve, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "needs_review");
    assert_eq!(body["approvals_needed"], 2);
    assert_eq!(body["approvals"].as_array().map(Vec::len), Some(1));
    let (status, body) = call(&app, &second, w, Method::POST, &approve, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["changed"].as_bool(), body["status"].as_str()),
        (Some(false), Some("needs_review")),
        "the same person approving twice is one approval"
    );
    let (status, body) = call(
        &app,
        &admin,
        w,
        Method::POST,
        &approve,
        Some(json!({"comment": "second pair of eyes"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    assert_eq!(body["approvals"].as_array().map(Vec::len), Some(2));

    // A note edit keeps the approval; an amount edit reopens it and forgets the approvals.
    let (status, body) = call(
        &app,
        &clerk,
        w,
        Method::PATCH,
        &path,
        Some(json!({"notes": ["booked under project 7"]})),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("approved"))
    );
    let (status, body) = call(
        &app,
        &clerk,
        w,
        Method::PATCH,
        &path,
        Some(json!({"net_amount": "1.00"})),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("needs_review")),
        "{body}"
    );
    let uuid: Uuid = id.parse().expect("uuid");
    assert!(
        app.store
            .list_approvals(uuid)
            .await
            .expect("approvals")
            .is_empty()
    );
    // Now the totals disagree: approving needs an override; rejecting needs a reason.
    let (status, body) = call(&app, &second, w, Method::POST, &approve, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("override_required")),
        "{body}"
    );
    let (status, body) = call(&app, &second, w, Method::POST, &reject, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason_required"))
    );
    let (status, body) = call(
        &app,
        &second,
        w,
        Method::POST,
        &reject,
        Some(json!({"reason": "the net amount no longer matches the order"})),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("rejected"))
    );

    // Whoever uploaded an invoice that needs two approvals is not one of the two.
    let (status, mine) = call(
        &app,
        &admin,
        w,
        Method::POST,
        "/api/v1/invoices",
        Some(clean_invoice(8).0),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    let rules = doxin_model::approval::ApprovalRules {
        second_approval_above: Some(threshold),
        ..Default::default()
    };
    let canonical: doxin_model::Invoice =
        serde_json::from_value(mine["invoice"].clone()).expect("canonical invoice");
    if rules.required_approvals(&canonical) == 2 {
        let (status, body) = call(
            &app,
            &admin,
            w,
            Method::POST,
            &format!(
                "/api/v1/invoices/{}/approve",
                mine["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("uploader_cannot_approve")),
            "{body}"
        );
    }

    // Every step is in the invoice's history, with its actor.
    let (status, history) = call(
        &app,
        &viewer,
        w,
        Method::GET,
        &format!("{path}/history"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let steps: Vec<(String, Value)> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap_or("").to_string(),
                s["actor_id"].clone(),
            )
        })
        .collect();
    let expected = [
        ("invoice.create", clerk.id),
        ("invoice.approval", second.id),
        ("invoice.approve", admin.id),
        ("invoice.update", clerk.id),
        ("invoice.update", clerk.id),
        ("invoice.reopen", clerk.id),
        ("invoice.reject", second.id),
    ];
    assert_eq!(
        steps,
        expected
            .iter()
            .map(|(a, who)| (a.to_string(), json!(who)))
            .collect::<Vec<_>>(),
        "{history}"
    );
    // The team's changes are in the audit log.
    let audit = app
        .store
        .list_audit(
            &doxin_store::AuditFilter {
                entity_id: Some(team.to_string()),
                ..Default::default()
            },
            doxin_store::PageRequest::new(1, 50),
        )
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "workspace.member").count(),
        4,
        "{actions:?}"
    );
    assert!(actions.contains(&"workspace.update"), "{actions:?}");
}

/// DX-AMT-01: once a vendor has a usual range (three earlier invoices), a total far outside it
/// is a warning on the invoice, entered or edited; correcting the total removes it. Another
/// workspace's history of the same vendor does not count.
#[tokio::test]
async fn an_amount_far_from_the_vendors_usual_range_is_a_finding() {
    let app = spawn_app_with(SpawnOptions::default()).await;
    let clerk = app.user.clone();
    let other = app.create_user("other-team@example.com", false).await;
    let invoice = |number: &str, gross: &str| {
        json!({
            "invoice_number": number,
            "currency": "EUR",
            "seller": {"name": "Cleaning Co"},
            "totals": {"tax_inclusive_amount": gross},
        })
    };
    let amt = |body: &Value| -> Vec<Value> {
        body["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == "DX-AMT-01")
            .cloned()
            .collect()
    };
    // The other team's large invoices of the same vendor name are not this team's history.
    for (i, gross) in ["40000.00", "41000.00", "39000.00"].iter().enumerate() {
        let (status, body) = call(
            &app,
            &other,
            None,
            Method::POST,
            "/api/v1/invoices",
            Some(invoice(&format!("O-{i}"), gross)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for (i, gross) in ["380.00", "410.00", "395.00"].iter().enumerate() {
        let (status, body) = call(
            &app,
            &clerk,
            None,
            Method::POST,
            "/api/v1/invoices",
            Some(invoice(&format!("C-{i}"), gross)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(
            amt(&body),
            Vec::<Value>::new(),
            "too little history: {body}"
        );
    }
    let (status, body) = call(
        &app,
        &clerk,
        None,
        Method::POST,
        "/api/v1/invoices",
        Some(invoice("C-3", "4100.00")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let found = amt(&body);
    assert_eq!(found.len(), 1, "{body}");
    assert_eq!(found[0]["severity"], "warning");
    assert_eq!(found[0]["field"], "totals.tax_inclusive_amount");
    assert!(
        found[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("380.00 to 410.00")),
        "{}",
        found[0]
    );
    // A typo fixed: the warning goes; the invoice itself is not its own history.
    let id = body["id"].as_str().expect("id");
    let (status, body) = call(
        &app,
        &clerk,
        None,
        Method::PATCH,
        &format!("/api/v1/invoices/{id}"),
        Some(json!({"totals": {"tax_inclusive_amount": "410.00"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(amt(&body), Vec::<Value>::new(), "{body}");
    // And the other team's vendor, with its own history, flags the small amount.
    let (status, body) = call(
        &app,
        &other,
        None,
        Method::POST,
        "/api/v1/invoices",
        Some(invoice("O-9", "400.00")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(amt(&body).len(), 1, "{body}");
}
