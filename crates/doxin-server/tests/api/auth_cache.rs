//! The auth cache (`auth::cache`): a credential's resolution is kept a few seconds, a change
//! made through the API applies at once in the process that made it and, over the Redis event
//! bus, in every other API process; a change written to the database directly applies within
//! the TTL.

use std::time::{Duration, Instant};

use doxin_jobs::{Event, EventBus, RedisKeys};
use doxin_server::auth::AuthSettings;
use reqwest::Method;
use reqwest::header::COOKIE;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    SpawnOptions, TEST_PASSWORD, TestApp, TestUser, fresh_pg_database, spawn_app_with,
};

/// Longer than any test: only an invalidation can end an entry in time.
fn long_cache(s: &mut AuthSettings) {
    s.cache_ttl = Duration::from_secs(60);
}

fn one_second_cache(s: &mut AuthSettings) {
    s.cache_ttl = Duration::from_secs(1);
}

/// How long another process may take to hear of a change (the event's trip through Redis).
const ACROSS_PROCESSES: Duration = Duration::from_secs(3);

async fn status_with(app: &TestApp, path: &str, bearer: &str, workspace: Option<Uuid>) -> u16 {
    let mut rb = app.anon.get(app.url(path)).bearer_auth(bearer);
    if let Some(ws) = workspace {
        rb = rb.header("X-Workspace-Id", ws.to_string());
    }
    rb.send().await.expect("send").status().as_u16()
}

async fn me(app: &TestApp, bearer: &str) -> u16 {
    status_with(app, "/api/v1/auth/me", bearer, None).await
}

/// Polls until `path` no longer answers 200 for `bearer`; the status then, or `None` if it
/// still answered 200 at `within`.
async fn refused_within(
    app: &TestApp,
    path: &str,
    bearer: &str,
    workspace: Option<Uuid>,
    within: Duration,
) -> Option<u16> {
    let deadline = Instant::now() + within;
    loop {
        let status = status_with(app, path, bearer, workspace).await;
        if status != 200 {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two API processes of one deployment: apps over one PostgreSQL database, each with its own
/// Redis event bus on one channel, both caching for a minute. `None` outside CI without the
/// test services.
struct Deployment {
    a: TestApp,
    b: TestApp,
}

async fn two_api_processes(prefix: &str) -> Option<Deployment> {
    let Ok(redis_url) = std::env::var("DOXIN_TEST_REDIS_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "DOXIN_TEST_REDIS_URL must be set in CI"
        );
        return None;
    };
    let db = fresh_pg_database(prefix).await?;
    let keys = RedisKeys::new(format!("doxin-test-{}", Uuid::new_v4().simple()));
    let bus = || EventBus::redis(redis::Client::open(redis_url.as_str()).expect("url"), &keys);
    let (bus_a, bus_b) = (bus(), bus());
    let a = spawn_app_with(SpawnOptions {
        database_url: Some(db.clone()),
        events: Some(bus_a.clone()),
        tweak_auth: Some(long_cache),
        ..Default::default()
    })
    .await;
    let b = spawn_app_with(SpawnOptions {
        database_url: Some(db),
        events: Some(bus_b.clone()),
        tweak_auth: Some(long_cache),
        user: Some(a.user.clone()),
        ..Default::default()
    })
    .await;
    // Both buses subscribe to Redis in the background: wait until A's events reach B.
    let mut heard = bus_b.subscribe();
    let deadline = Instant::now() + Duration::from_secs(10);
    'connected: loop {
        assert!(Instant::now() < deadline, "B never heard A over Redis");
        let probe = Uuid::new_v4().to_string();
        bus_a
            .publish(Event::Notification {
                owner_id: None,
                title: probe.clone(),
                body: String::new(),
                at: chrono::Utc::now(),
            })
            .await;
        while let Ok(Ok(event)) =
            tokio::time::timeout(Duration::from_millis(200), heard.recv()).await
        {
            if matches!(&event, Event::Notification { title, .. } if *title == probe) {
                break 'connected;
            }
        }
    }
    Some(Deployment { a, b })
}

#[tokio::test]
async fn a_token_revoked_in_one_process_is_refused_by_the_other_within_seconds() {
    let Some(Deployment { a, b }) = two_api_processes("doxin_auth_cache_revoke").await else {
        return;
    };
    let resp = a
        .req(Method::POST, "/api/v1/auth/api-tokens", Some(&a.user))
        .json(&json!({"name": "script"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.expect("json");
    let token = body["token"].as_str().expect("token").to_string();
    let id = body["id"].as_str().expect("id").to_string();
    // Both processes have resolved (and cached) it.
    assert_eq!(me(&a, &token).await, 200);
    assert_eq!(me(&b, &token).await, 200);
    assert_eq!(me(&b, &token).await, 200);

    let resp = a
        .req(
            Method::DELETE,
            &format!("/api/v1/auth/api-tokens/{id}"),
            Some(&a.user),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 204);
    assert_eq!(me(&a, &token).await, 401, "at once where it was revoked");
    assert_eq!(
        refused_within(&b, "/api/v1/auth/me", &token, None, ACROSS_PROCESSES).await,
        Some(401),
        "the other process still accepts the revoked token"
    );
    // The owner's other token is untouched.
    assert_eq!(me(&b, &a.user.token).await, 200);
}

#[tokio::test]
async fn a_user_deactivated_in_one_process_is_refused_by_the_other_within_seconds() {
    let Some(Deployment { a, b }) = two_api_processes("doxin_auth_cache_deactivate").await else {
        return;
    };
    let admin = a.create_user("cache-admin@example.com", true).await;
    let user = a.user.clone();
    for app in [&a, &b] {
        assert_eq!(me(app, &user.token).await, 200);
        assert_eq!(
            status_with(app, "/api/v1/invoices", &user.token, None).await,
            200
        );
    }

    let resp = a
        .req(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", user.id),
            Some(&admin),
        )
        .json(&json!({"is_active": false}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(me(&a, &user.token).await, 403, "at once where it was done");
    for path in ["/api/v1/auth/me", "/api/v1/invoices"] {
        assert_eq!(
            refused_within(&b, path, &user.token, None, ACROSS_PROCESSES).await,
            Some(403),
            "the other process still accepts a deactivated user on {path}"
        );
    }
}

#[tokio::test]
async fn a_member_removed_in_one_process_loses_the_workspace_in_the_other_within_seconds() {
    let Some(Deployment { a, b }) = two_api_processes("doxin_auth_cache_member").await else {
        return;
    };
    let owner = a.user.clone();
    let ws = a.store.memberships_of(owner.id).await.expect("memberships")[0].workspace_id;
    let member: TestUser = a.create_user("cache-member@example.com", false).await;
    let path = format!("/api/v1/workspaces/{ws}/members/{}", member.id);
    let resp = a
        .req(Method::PUT, &path, Some(&owner))
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    for app in [&a, &b] {
        assert_eq!(
            status_with(app, "/api/v1/invoices", &member.token, Some(ws)).await,
            200
        );
    }

    let resp = a
        .req(Method::DELETE, &path, Some(&owner))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 204);
    assert_eq!(
        status_with(&a, "/api/v1/invoices", &member.token, Some(ws)).await,
        404
    );
    assert_eq!(
        refused_within(
            &b,
            "/api/v1/invoices",
            &member.token,
            Some(ws),
            ACROSS_PROCESSES
        )
        .await,
        Some(404),
        "the other process still lets a removed member act in the workspace"
    );
}

async fn deactivate_in_store(app: &TestApp, user: uuid::Uuid) {
    // As a change written to the database without any API process would be.
    app.store
        .update_user(
            user,
            doxin_store::UserUpdate {
                is_active: Some(false),
                ..Default::default()
            },
        )
        .await
        .expect("deactivate");
}

#[tokio::test]
async fn a_change_written_to_the_database_applies_within_the_ttl() {
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(one_second_cache),
        ..Default::default()
    })
    .await;
    let token = app.user.token.clone();
    assert_eq!(me(&app, &token).await, 200);
    let cached_at = Instant::now();
    deactivate_in_store(&app, app.user.id).await;
    // The TTL plus a margin for a busy machine; an entry that never expired never refuses.
    let refused = refused_within(
        &app,
        "/api/v1/auth/me",
        &token,
        None,
        Duration::from_millis(2500),
    )
    .await;
    assert_eq!(refused, Some(403), "still accepted after the TTL");
    assert!(
        cached_at.elapsed() < Duration::from_secs(3),
        "{:?}",
        cached_at.elapsed()
    );
}

#[tokio::test]
async fn a_cached_caller_is_not_read_again_within_the_ttl() {
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(long_cache),
        ..Default::default()
    })
    .await;
    let token = app.user.token.clone();
    assert_eq!(me(&app, &token).await, 200);
    assert_eq!(app.auth.cache.len(), 1);
    deactivate_in_store(&app, app.user.id).await;
    // Written behind the API's back: the cache answers, as the TTL allows.
    assert_eq!(me(&app, &token).await, 200);
    assert_eq!(
        status_with(&app, "/api/v1/invoices", &token, None).await,
        200
    );
    // Dropping the entry (what a change through the API does) reads the change.
    app.auth.cache.forget_user(app.user.id);
    assert_eq!(me(&app, &token).await, 403);
    assert!(app.auth.cache.is_empty(), "refusals are not cached");
}

#[tokio::test]
async fn an_auth_cache_of_zero_seconds_reads_every_request() {
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(|s| s.cache_ttl = Duration::ZERO),
        ..Default::default()
    })
    .await;
    let token = app.user.token.clone();
    assert_eq!(me(&app, &token).await, 200);
    assert!(app.auth.cache.is_empty());
    deactivate_in_store(&app, app.user.id).await;
    assert_eq!(me(&app, &token).await, 403);
}

async fn sign_in(app: &TestApp) -> (String, String) {
    let resp = app
        .req(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({"email": app.user.email, "password": TEST_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 200);
    let cookie = resp
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("doxin_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string();
    let body: Value = resp.json().await.expect("json");
    let csrf = body["csrf_token"].as_str().expect("csrf").to_string();
    (cookie, csrf)
}

async fn me_with_cookie(app: &TestApp, cookie: &str) -> u16 {
    app.anon
        .get(app.url("/api/v1/auth/me"))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}

#[tokio::test]
async fn sign_out_ends_a_cached_session_at_once() {
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(long_cache),
        ..Default::default()
    })
    .await;
    let (cookie, csrf) = sign_in(&app).await;
    let (other, _) = sign_in(&app).await;
    assert_eq!(me_with_cookie(&app, &cookie).await, 200);
    assert_eq!(me_with_cookie(&app, &other).await, 200);
    let resp = app
        .anon
        .post(app.url("/api/v1/auth/logout"))
        .header(COOKIE, &cookie)
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 204);
    assert_eq!(me_with_cookie(&app, &cookie).await, 401, "signed out");
    assert_eq!(
        me_with_cookie(&app, &other).await,
        200,
        "another browser stays"
    );

    // Signing out everywhere ends the other (cached) session at once too.
    let (third, csrf) = sign_in(&app).await;
    assert_eq!(me_with_cookie(&app, &third).await, 200);
    let resp = app
        .anon
        .post(app.url("/api/v1/auth/logout-everywhere"))
        .header(COOKIE, &third)
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 204);
    assert_eq!(me_with_cookie(&app, &other).await, 401);
    assert_eq!(me_with_cookie(&app, &third).await, 401);
}

#[tokio::test]
async fn a_password_change_ends_cached_jwts_and_tokens_at_once() {
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(long_cache),
        ..Default::default()
    })
    .await;
    let resp = app
        .req(Method::POST, "/api/v1/auth/jwt-token", None)
        .json(&json!({"email": app.user.email, "password": TEST_PASSWORD}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    let jwt = body["access_token"]
        .as_str()
        .or_else(|| body["token"].as_str())
        .expect("jwt")
        .to_string();
    assert_eq!(me(&app, &jwt).await, 200);
    assert_eq!(me(&app, &app.user.token).await, 200);
    let resp = app
        .client
        .post(app.url("/api/v1/auth/change-password"))
        .json(&json!({
            "current_password": TEST_PASSWORD,
            "new_password": "another correct horse battery staple"
        }))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 204);
    assert_eq!(me(&app, &jwt).await, 401, "the JWT predates the password");
    assert_eq!(me(&app, &app.user.token).await, 401, "tokens are revoked");
}

#[tokio::test]
async fn an_api_token_use_is_written_once_a_minute_not_per_request() {
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(long_cache),
        ..Default::default()
    })
    .await;
    let last_used = || async {
        app.store
            .list_api_tokens(app.user.id)
            .await
            .expect("tokens")
            .into_iter()
            .find_map(|t| t.last_used_at)
    };
    assert_eq!(me(&app, &app.user.token).await, 200);
    // The write is spawned: wait for it.
    let deadline = Instant::now() + Duration::from_secs(3);
    let first = loop {
        if let Some(at) = last_used().await {
            break at;
        }
        assert!(Instant::now() < deadline, "the first use is never recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for _ in 0..5 {
        assert_eq!(me(&app, &app.user.token).await, 200);
    }
    // Dropped from the cache: the next use is read from the store, and it is not due either.
    app.auth.cache.clear();
    assert_eq!(me(&app, &app.user.token).await, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(last_used().await, Some(first));
}
