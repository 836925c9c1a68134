//! Administration over HTTP: who may call it, user changes and their audit trail, the jobs
//! overview and usage analytics.

use chrono::{Duration, Utc};
use doxin_model::JobStatus;
use doxin_store::{JobUpdate, NewJob};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, spawn_app};

struct Fixture {
    app: TestApp,
    admin: TestUser,
    user: TestUser,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let admin = app.create_user("root@example.com", true).await;
    let user = app.create_user("plain@example.com", false).await;
    Fixture { app, admin, user }
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    user: Option<&TestUser>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut rb = app.req(method, path, user);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    rb.send().await.expect("request")
}

async fn get_json(app: &TestApp, path: &str, user: &TestUser) -> Value {
    let resp = send(app, Method::GET, path, Some(user), None).await;
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.expect("json")
}

fn admin_routes(target: Uuid) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, "/api/v1/admin/users".into(), None),
        (Method::GET, format!("/api/v1/admin/users/{target}"), None),
        (
            Method::PATCH,
            format!("/api/v1/admin/users/{target}"),
            Some(json!({"is_active": false})),
        ),
        (Method::GET, "/api/v1/admin/audit-log".into(), None),
        (Method::GET, "/api/v1/admin/jobs".into(), None),
        (Method::GET, "/api/v1/admin/analytics/usage".into(), None),
    ]
}

#[tokio::test]
async fn admin_routes_refuse_anonymous_401_and_plain_users_403() {
    let fx = fixture().await;
    for (method, path, body) in admin_routes(fx.admin.id) {
        let resp = send(&fx.app, method.clone(), &path, None, body.clone()).await;
        assert_eq!(resp.status(), 401, "{method} {path}");
        let problem: Value = resp.json().await.expect("problem");
        assert_eq!(problem["code"], "unauthenticated");

        let resp = send(&fx.app, method.clone(), &path, Some(&fx.user), body).await;
        assert_eq!(resp.status(), 403, "{method} {path}");
        let problem: Value = resp.json().await.expect("problem");
        assert_eq!(problem["code"], "forbidden");
    }
    // Nothing was changed by the refused PATCH.
    let admin = fx.app.store.get_user(fx.admin.id).await.expect("admin");
    assert!(admin.is_active);
}

#[tokio::test]
async fn users_are_listed_and_detailed() {
    let fx = fixture().await;
    let page = get_json(&fx.app, "/api/v1/admin/users?per_page=2", &fx.admin).await;
    // The app's default user, the admin and the plain user.
    assert_eq!(page["pagination"]["total"], 3);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["pagination"]["has_next"], true);
    assert!(
        page["items"][0].get("password_hash").is_none(),
        "hashes are never served"
    );
    let detail = get_json(
        &fx.app,
        &format!("/api/v1/admin/users/{}", fx.user.id),
        &fx.admin,
    )
    .await;
    assert_eq!(detail["user"]["email"], "plain@example.com");
    assert_eq!(detail["user"]["role"], "user");
    assert_eq!(detail["invoices"], 0);
    assert_eq!(detail["jobs"]["queued"], 0);
    let missing = send(
        &fx.app,
        Method::GET,
        &format!("/api/v1/admin/users/{}", Uuid::new_v4()),
        Some(&fx.admin),
        None,
    )
    .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn deactivating_a_user_refuses_their_token_and_is_audited() {
    let fx = fixture().await;
    let path = format!("/api/v1/admin/users/{}", fx.user.id);
    let own = "/api/v1/invoices/export?format=json";
    assert_eq!(
        send(&fx.app, Method::GET, own, Some(&fx.user), None)
            .await
            .status(),
        200
    );

    let resp = send(
        &fx.app,
        Method::PATCH,
        &path,
        Some(&fx.admin),
        Some(json!({"is_active": false})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["is_active"], false);

    let refused = send(&fx.app, Method::GET, own, Some(&fx.user), None).await;
    assert!(
        [401, 403].contains(&refused.status().as_u16()),
        "{}",
        refused.status()
    );

    let audit = get_json(
        &fx.app,
        &format!(
            "/api/v1/admin/audit-log?entity_type=user&entity_id={}&action=user.update",
            fx.user.id
        ),
        &fx.admin,
    )
    .await;
    assert_eq!(audit["pagination"]["total"], 1);
    let entry = &audit["items"][0];
    assert_eq!(entry["actor_id"], fx.admin.id.to_string());
    assert_eq!(entry["before"]["is_active"], true);
    assert_eq!(entry["after"]["is_active"], false);

    // Reactivated and promoted: the token works again, now on admin routes too.
    let resp = send(
        &fx.app,
        Method::PATCH,
        &path,
        Some(&fx.admin),
        Some(json!({"is_active": true, "role": "admin"})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        send(
            &fx.app,
            Method::GET,
            "/api/v1/admin/jobs",
            Some(&fx.user),
            None
        )
        .await
        .status(),
        200
    );
    let by_actor = get_json(
        &fx.app,
        &format!("/api/v1/admin/audit-log?actor={}&per_page=1", fx.admin.id),
        &fx.admin,
    )
    .await;
    assert_eq!(by_actor["pagination"]["total"], 2);
    assert_eq!(by_actor["pagination"]["has_next"], true);
    assert_eq!(by_actor["items"][0]["after"]["role"], "admin");
}

#[tokio::test]
async fn bad_changes_are_refused_and_admins_cannot_lock_themselves_out() {
    let fx = fixture().await;
    let own = format!("/api/v1/admin/users/{}", fx.admin.id);
    for (body, code) in [
        (json!({"is_active": false}), "self_lockout"),
        (json!({"role": "user"}), "self_lockout"),
        (json!({}), "nothing_to_change"),
        (json!({"role": "root"}), "invalid_role"),
    ] {
        let resp = send(
            &fx.app,
            Method::PATCH,
            &own,
            Some(&fx.admin),
            Some(body.clone()),
        )
        .await;
        assert_eq!(resp.status(), 422, "{body}");
        let problem: Value = resp.json().await.expect("problem");
        assert_eq!(problem["code"], code, "{body}");
    }
    // Unknown fields are refused rather than ignored.
    let resp = send(
        &fx.app,
        Method::PATCH,
        &format!("/api/v1/admin/users/{}", fx.user.id),
        Some(&fx.admin),
        Some(json!({"is_admin": true})),
    )
    .await;
    assert!(resp.status().is_client_error(), "{}", resp.status());
    // A harmless change to oneself is fine.
    let resp = send(
        &fx.app,
        Method::PATCH,
        &own,
        Some(&fx.admin),
        Some(json!({"is_active": true, "role": "admin"})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let missing = send(
        &fx.app,
        Method::PATCH,
        &format!("/api/v1/admin/users/{}", Uuid::new_v4()),
        Some(&fx.admin),
        Some(json!({"is_active": false})),
    )
    .await;
    assert_eq!(missing.status(), 404);
    let user = fx.app.store.get_user(fx.user.id).await.expect("user");
    assert!(user.is_active && user.role == doxin_store::Role::User);
}

#[tokio::test]
async fn the_audit_log_filters_by_date_and_refuses_bad_values() {
    let fx = fixture().await;
    send(
        &fx.app,
        Method::PATCH,
        &format!("/api/v1/admin/users/{}", fx.user.id),
        Some(&fx.admin),
        Some(json!({"role": "admin"})),
    )
    .await;
    let today = Utc::now().date_naive();
    let tomorrow = today + Duration::days(1);
    let q = |from: &str, to: &str| {
        format!("/api/v1/admin/audit-log?action=user.update&from={from}&to={to}")
    };
    let hit = get_json(
        &fx.app,
        &q(&today.to_string(), &today.to_string()),
        &fx.admin,
    )
    .await;
    assert_eq!(hit["pagination"]["total"], 1);
    let miss = get_json(&fx.app, &q(&tomorrow.to_string(), ""), &fx.admin).await;
    assert_eq!(miss["pagination"]["total"], 0);
    for bad in ["from=yesterday", "actor=someone"] {
        let resp = send(
            &fx.app,
            Method::GET,
            &format!("/api/v1/admin/audit-log?{bad}"),
            Some(&fx.admin),
            None,
        )
        .await;
        assert_eq!(resp.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn the_jobs_overview_counts_by_status_and_lists_failures() {
    let fx = fixture().await;
    let store = &fx.app.store;
    let new_job = || NewJob {
        owner_id: Some(fx.user.id),
        workspace_id: Some(fx.user.id),
        file_id: None,
        kind: "extract".into(),
        payload: json!({"filename": "broken.pdf"}),
        max_attempts: 1,
        request_id: None,
    };
    store.create_job(new_job()).await.expect("queued job");
    let failing = store.create_job(new_job()).await.expect("job");
    // The oldest queued job is claimed first: claim both, fail the second.
    let lease = Utc::now() + Duration::seconds(60);
    store
        .claim_job(failing.id, "w1", lease)
        .await
        .expect("claim");
    store
        .update_job(
            failing.id,
            JobUpdate {
                status: Some(JobStatus::Failed),
                error_code: Some("unsupported_type".into()),
                error: Some("not an invoice".into()),
                ..Default::default()
            },
        )
        .await
        .expect("fail");

    let o = get_json(&fx.app, "/api/v1/admin/jobs", &fx.admin).await;
    assert_eq!(o["counts"]["queued"], 1);
    assert_eq!(o["counts"]["failed"], 1);
    assert_eq!(o["counts"]["running"], 0);
    assert_eq!(o["total"], 2);
    assert!(o["workers"].is_array());
    let failures = o["recent_failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["id"], failing.id.to_string());
    assert_eq!(failures[0]["error_code"], "unsupported_type");
    assert_eq!(failures[0]["filename"], "broken.pdf");
}

#[tokio::test]
async fn usage_is_counted_by_route_user_and_day_without_health_or_metrics() {
    let fx = fixture().await;
    for _ in 0..3 {
        send(
            &fx.app,
            Method::GET,
            "/api/v1/admin/users",
            Some(&fx.user),
            None,
        )
        .await;
    }
    send(
        &fx.app,
        Method::GET,
        "/api/v1/admin/jobs",
        Some(&fx.admin),
        None,
    )
    .await;
    send(&fx.app, Method::GET, "/api/v1/admin/jobs", None, None).await;
    for path in [
        "/api/health",
        "/api/v1/health",
        "/api/v1/health/database",
        "/metrics",
    ] {
        send(&fx.app, Method::GET, path, None, None).await;
    }

    let r = get_json(&fx.app, "/api/v1/admin/analytics/usage", &fx.admin).await;
    let today = Utc::now().date_naive().to_string();
    assert_eq!(r["to"], today);
    let routes = r["by_route"].as_array().expect("routes");
    let route = |path: &str| routes.iter().find(|x| x["route"] == path).cloned();
    let users = route("/api/v1/admin/users").expect("users route counted");
    assert_eq!(users["requests"], 3);
    assert_eq!(users["client_errors"], 3, "plain users get 403");
    let jobs = route("/api/v1/admin/jobs").expect("jobs route counted");
    assert_eq!(jobs["requests"], 2);
    for excluded in [
        "/api/health",
        "/api/v1/health",
        "/api/v1/health/database",
        "/metrics",
    ] {
        assert!(route(excluded).is_none(), "{excluded} must not be counted");
    }
    let by_user = r["by_user"].as_array().expect("users");
    let plain = by_user
        .iter()
        .find(|u| u["user_id"] == fx.user.id.to_string())
        .expect("plain user counted");
    assert_eq!(plain["requests"], 3);
    assert_eq!(plain["email"], "plain@example.com");
    assert!(
        by_user.iter().any(|u| u["user_id"].is_null()),
        "anonymous counted"
    );
    let days = r["by_day"].as_array().expect("days");
    assert_eq!(days.len(), 1);
    assert_eq!(days[0]["day"], today);
    assert!(r["total"].as_u64().unwrap_or(0) >= 5);

    let only_user = get_json(
        &fx.app,
        &format!("/api/v1/admin/analytics/usage?user={}", fx.user.id),
        &fx.admin,
    )
    .await;
    assert_eq!(only_user["total"], 3);
    let bad = send(
        &fx.app,
        Method::GET,
        "/api/v1/admin/analytics/usage?from=2026-12-31&to=2026-01-01",
        Some(&fx.admin),
        None,
    )
    .await;
    assert_eq!(bad.status(), 400);
}
