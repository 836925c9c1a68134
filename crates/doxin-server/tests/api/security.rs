//! Regression tests of the security review's findings (numbered as in the review): each
//! checks what a client sees (status, headers, messages) and failed before its fix.

use reqwest::Method;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{SpawnOptions, TEST_PASSWORD, TestApp, spawn_app, spawn_app_with};

async fn json_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// Signs in with a password; returns the `Set-Cookie` values, the cookie header to send and
/// the CSRF token.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> (Vec<String>, String, String) {
    let resp = app
        .req(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 200);
    let cookies: Vec<String> = resp
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("doxin_session="))
        .expect("session cookie")
        .clone();
    let body: Value = resp.json().await.expect("json");
    let csrf = body["csrf_token"].as_str().expect("csrf").to_string();
    let cookie = session.split(';').next().expect("pair").to_string();
    (cookies, cookie, csrf)
}

// --- 6. password policy -------------------------------------------------------------------

#[tokio::test]
async fn finding_6_weak_passwords_are_refused_everywhere() {
    let app = spawn_app_with(SpawnOptions {
        open_signup: true,
        auth_per_minute: Some(1000),
        ..Default::default()
    })
    .await;
    let email = "ann.smith@example.com";
    for (password, reason) in [
        ("          ", "spaces"),
        ("aaaaaaaaaa", "different characters"),
        ("ann.smith@example.com", "e-mail"),
        ("ann.smith-2024!", "e-mail"),
        ("Password123", "common"),
    ] {
        let (status, body) = json_of(
            app.req(Method::POST, "/api/v1/auth/register", None)
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("weak_password")),
            "{password:?}: {body}"
        );
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(reason), "{password:?}: {detail}");
    }
    // Changing to one's own address is refused too.
    let (status, body) = json_of(
        app.req(Method::POST, "/api/v1/auth/change-password", Some(&app.user))
            .json(&json!({"current_password": TEST_PASSWORD, "new_password": app.user.email}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("weak_password")));
    // And setup.
    let fresh = spawn_app_with(SpawnOptions {
        fresh_install: true,
        ..Default::default()
    })
    .await;
    let token = fresh.auth.arm_setup();
    let (status, body) = json_of(
        fresh
            .anon
            .post(fresh.url("/api/v1/auth/setup"))
            .json(&json!({"setup_token": token, "email": "root@example.com", "password": "1111111111"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("weak_password")));
    // A decent one still works.
    let (status, _) = json_of(
        app.req(Method::POST, "/api/v1/auth/register", None)
            .json(&json!({"email": email, "password": "violet harbour lantern"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 201);
}
