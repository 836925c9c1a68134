//! The Alertmanager webhook and the administrators' alert list: a notification shaped as
//! Alertmanager sends it is stored and listed; its resolution updates the same alert; callers
//! without the secret, and bodies that are not notifications, are refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    SpawnOptions, TestApp, WEBHOOK_SECRET, fresh_pg_database, spawn_app, spawn_app_with,
};

const WEBHOOK: &str = "/api/v1/admin/alerts/webhook";
const ALERTS: &str = "/api/v1/admin/alerts";
const STARTS_AT: &str = "2026-12-05T21:00:00.123456789Z";

/// A notification as Alertmanager 0.2x sends it to a `webhook_configs` receiver, with one
/// alert per `(fingerprint, alertname)`.
pub fn notification(status: &str, alerts: &[(&str, &str)]) -> Value {
    let ends_at = if status == "resolved" {
        "2026-12-05T21:12:30.5Z"
    } else {
        "0001-01-01T00:00:00Z"
    };
    let items: Vec<Value> = alerts
        .iter()
        .map(|(fingerprint, name)| {
            json!({
                "status": status,
                "labels": {
                    "alertname": name,
                    "severity": "critical",
                    "job": "doxin-worker",
                    "instance": "worker:9464",
                },
                "annotations": {
                    "summary": format!("{name} on worker:9464"),
                    "description": "No worker has sent a heartbeat for a minute.",
                    "runbook_url": "https://doxin.dev/runbooks/no-live-workers",
                },
                "startsAt": STARTS_AT,
                "endsAt": ends_at,
                "generatorURL": "http://prometheus:9090/graph?g0.expr=sum%28doxin_workers_live%29+%3C+1&g0.tab=1",
                "fingerprint": fingerprint,
            })
        })
        .collect();
    json!({
        "receiver": "doxin",
        "status": status,
        "alerts": items,
        "groupLabels": { "alertname": alerts.first().map_or("", |a| a.1), "severity": "critical" },
        "commonLabels": { "severity": "critical", "job": "doxin-worker" },
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": "{}/{severity=\"critical\"}:{alertname=\"DoxinNoLiveWorkers\", severity=\"critical\"}",
        "truncatedAlerts": 0,
    })
}

async fn post_webhook(app: &TestApp, secret: Option<&str>, body: &Value) -> reqwest::Response {
    let mut rb = app.anon.post(app.url(WEBHOOK)).json(body);
    if let Some(s) = secret {
        rb = rb.bearer_auth(s);
    }
    rb.send().await.expect("webhook")
}

async fn problem_code(resp: reqwest::Response) -> String {
    assert_eq!(
        resp.headers()["content-type"],
        "application/problem+json",
        "{:?}",
        resp.status()
    );
    let v: Value = resp.json().await.expect("problem");
    v["code"].as_str().unwrap_or_default().to_string()
}

async fn stored(app: &TestApp) -> u64 {
    app.store
        .list_alerts(&Default::default(), doxin_store::PageRequest::default())
        .await
        .expect("list")
        .total
}

#[tokio::test]
async fn a_notification_is_stored_resolved_and_listed_for_admins() {
    webhook_story(spawn_app().await).await;
}

#[tokio::test]
async fn a_notification_is_stored_resolved_and_listed_for_admins_on_postgres() {
    let Some(url) = fresh_pg_database("doxin_alerts").await else {
        return;
    };
    webhook_story(
        spawn_app_with(SpawnOptions {
            database_url: Some(url),
            ..Default::default()
        })
        .await,
    )
    .await;
}

async fn webhook_story(app: TestApp) {
    let admin = app.create_user("ops@example.com", true).await;
    let firing = notification(
        "firing",
        &[
            ("c4a7b1e5d3f2a901", "DoxinNoLiveWorkers"),
            ("9e8d7c6b5a4f3e21", "DoxinDeadLetters"),
        ],
    );
    let resp = post_webhook(&app, Some(WEBHOOK_SECRET), &firing).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body, json!({"received": 2, "recorded": 2}));

    let list = |query: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            let resp = app
                .req(Method::GET, &format!("{ALERTS}{query}"), Some(admin))
                .send()
                .await
                .expect("list");
            assert_eq!(resp.status(), StatusCode::OK, "{query}");
            resp.json::<Value>().await.expect("json")
        }
    };
    let all = list("").await;
    assert_eq!(all["pagination"]["total"], 2, "{all}");
    assert_eq!(all["pagination"]["page"], 1);
    let workers = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["alertname"] == "DoxinNoLiveWorkers")
        .expect("stored")
        .clone();
    assert_eq!(workers["status"], "firing");
    assert_eq!(workers["severity"], "critical");
    assert_eq!(workers["fingerprint"], "c4a7b1e5d3f2a901");
    assert_eq!(workers["labels"]["instance"], "worker:9464");
    assert_eq!(
        workers["annotations"]["summary"],
        "DoxinNoLiveWorkers on worker:9464"
    );
    assert_eq!(workers["starts_at"], "2026-12-05T21:00:00.123456Z");
    assert_eq!(workers["ends_at"], Value::Null, "Go's zero time is no end");
    assert!(
        workers["generator_url"]
            .as_str()
            .expect("url")
            .starts_with("http://prometheus:9090/graph")
    );

    // Repeated (Alertmanager's repeat_interval): still two alerts.
    let resp = post_webhook(&app, Some(WEBHOOK_SECRET), &firing).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(list("").await["pagination"]["total"], 2);

    // Resolved: the same alert changes.
    let resolved = notification("resolved", &[("c4a7b1e5d3f2a901", "DoxinNoLiveWorkers")]);
    let resp = post_webhook(&app, Some(WEBHOOK_SECRET), &resolved).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let done = list("?status=resolved").await;
    assert_eq!(done["pagination"]["total"], 1, "{done}");
    assert_eq!(done["items"][0]["id"], workers["id"]);
    assert_eq!(done["items"][0]["ends_at"], "2026-12-05T21:12:30.500Z");
    let open = list("?status=firing").await;
    assert_eq!(open["pagination"]["total"], 1);
    assert_eq!(open["items"][0]["alertname"], "DoxinDeadLetters");
    assert_eq!(list("").await["pagination"]["total"], 2);
    let paged = list("?per_page=1&page=2").await;
    assert_eq!(paged["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(paged["pagination"]["has_prev"], true);

    // A retried firing notice after the resolution does not reopen the alert.
    let resp = post_webhook(&app, Some(WEBHOOK_SECRET), &firing).await;
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body, json!({"received": 2, "recorded": 1}));
    assert_eq!(list("?status=resolved").await["pagination"]["total"], 1);

    // Every notification is audited, without an actor.
    let audit = app
        .store
        .list_audit(
            &doxin_store::AuditFilter {
                action: Some("alerts.receive".into()),
                ..Default::default()
            },
            doxin_store::PageRequest::default(),
        )
        .await
        .expect("audit");
    assert_eq!(audit.total, 4);
    assert!(audit.items.iter().all(|e| e.actor_id.is_none()));
    assert_eq!(
        audit.items[0].after.as_ref().expect("after")["receiver"],
        "doxin"
    );

    // Administrators only; a bad filter is a 400 problem.
    let user = app.create_user("clerk@example.com", false).await;
    let resp = app
        .req(Method::GET, ALERTS, Some(&user))
        .send()
        .await
        .expect("user");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = app
        .req(Method::GET, ALERTS, None)
        .send()
        .await
        .expect("anon");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app
        .req(
            Method::GET,
            &format!("{ALERTS}?status=burning"),
            Some(&admin),
        )
        .send()
        .await
        .expect("bad");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem_code(resp).await, "bad_request");
}

#[tokio::test]
async fn the_webhook_refuses_callers_without_the_secret() {
    let app = spawn_app().await;
    let admin = app.create_user("ops@example.com", true).await;
    let body = notification("firing", &[("fp1", "DoxinApiDown")]);
    for secret in [
        None,
        Some("wrong-secret-wrong-secret"),
        Some(&WEBHOOK_SECRET[..WEBHOOK_SECRET.len() - 1]),
        Some(admin.token.as_str()),
    ] {
        let resp = post_webhook(&app, secret, &body).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{secret:?}");
        assert_eq!(problem_code(resp).await, "unauthenticated");
    }
    // The secret in another scheme is no bearer.
    let resp = app
        .anon
        .post(app.url(WEBHOOK))
        .header("authorization", format!("Basic {WEBHOOK_SECRET}"))
        .json(&body)
        .send()
        .await
        .expect("basic");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Without the secret, even a body that is not JSON gets only 401.
    let resp = app
        .anon
        .post(app.url(WEBHOOK))
        .header("content-type", "text/plain")
        .body("{")
        .send()
        .await
        .expect("plain");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(stored(&app).await, 0);
}

#[tokio::test]
async fn without_a_secret_the_webhook_is_off() {
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(|s| s.webhook_secret = None),
        ..Default::default()
    })
    .await;
    let body = notification("firing", &[("fp1", "DoxinApiDown")]);
    for secret in [None, Some(WEBHOOK_SECRET)] {
        let resp = post_webhook(&app, secret, &body).await;
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(problem_code(resp).await, "webhook_not_configured");
    }
    assert_eq!(stored(&app).await, 0);
}

#[tokio::test]
async fn bodies_that_are_not_notifications_are_refused() {
    let app = spawn_app().await;
    let send_raw = |content_type: &'static str, body: Vec<u8>| {
        let rb = app
            .anon
            .post(app.url(WEBHOOK))
            .bearer_auth(WEBHOOK_SECRET)
            .header("content-type", content_type)
            .body(body);
        async move { rb.send().await.expect("send") }
    };
    let valid = notification("firing", &[("fp1", "DoxinApiDown")]);

    let resp = send_raw("text/plain", valid.to_string().into_bytes()).await;
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem_code(resp).await, "unsupported_media_type");

    let huge = vec![b' '; doxin_server_max_body() + 1];
    let resp = send_raw("application/json", huge).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem_code(resp).await, "payload_too_large");

    let resp = send_raw("application/json", b"{\"version\": \"4\",".to_vec()).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem_code(resp).await, "bad_request");

    let too_many: Vec<(String, &str)> = (0..1001)
        .map(|i| (format!("fp{i}"), "DoxinApiDown"))
        .collect();
    let too_many: Vec<(&str, &str)> = too_many.iter().map(|(f, n)| (f.as_str(), *n)).collect();
    let mut invalid = vec![
        ("too many alerts", notification("firing", &too_many)),
        ("not an object", json!([1, 2, 3])),
        (
            "no alerts",
            json!({"version": "4", "status": "firing", "receiver": "doxin"}),
        ),
    ];
    let mut with = |label: &'static str, f: fn(&mut Value)| {
        let mut v = valid.clone();
        f(&mut v);
        invalid.push((label, v));
    };
    with("bad start", |v| {
        v["alerts"][0]["startsAt"] = json!("yesterday")
    });
    with("bad end", |v| {
        v["alerts"][0]["endsAt"] = json!("2026-13-01T00:00:00Z")
    });
    with("start out of range", |v| {
        v["alerts"][0]["startsAt"] = json!("1601-01-01T00:00:00Z")
    });
    with("version 3", |v| v["version"] = json!("3"));
    with("unknown status", |v| {
        v["alerts"][0]["status"] = json!("pending")
    });
    with("no alertname", |v| {
        v["alerts"][0]["labels"]
            .as_object_mut()
            .expect("labels")
            .remove("alertname");
    });
    with("no fingerprint", |v| {
        v["alerts"][0]["fingerprint"] = json!("")
    });
    with("NUL in a label", |v| {
        v["alerts"][0]["labels"]["job"] = json!("a\u{0}b")
    });
    with("label not a string", |v| {
        v["alerts"][0]["labels"]["job"] = json!(3)
    });
    for (label, body) in invalid {
        let resp = send_raw("application/json", body.to_string().into_bytes()).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert_eq!(problem_code(resp).await, "invalid_payload", "{label}");
    }
    assert_eq!(stored(&app).await, 0);

    // The limit is on the notification, not on the alerts: 1000 is fine.
    let fps: Vec<String> = (0..1000).map(|i| format!("fp{i}")).collect();
    let most: Vec<(&str, &str)> = fps.iter().map(|f| (f.as_str(), "DoxinApiDown")).collect();
    let resp = send_raw(
        "application/json; charset=utf-8",
        notification("firing", &most).to_string().into_bytes(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(stored(&app).await, 1000);
}

/// The webhook's body limit (`routes::alerts::MAX_BODY_BYTES`, private to the server crate).
fn doxin_server_max_body() -> usize {
    4 * 1024 * 1024
}
