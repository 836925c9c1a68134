//! The WebSocket's authorization after connecting (security review, finding 4): revoked
//! tokens, ended sessions and changed roles close open sockets; the session cookie needs
//! DoxIn's own origin; subscriptions and messages are capped.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use reqwest::Method;
use reqwest::header::SET_COOKIE;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};
use uuid::Uuid;

use crate::helpers::{
    SpawnOptions, TEST_PASSWORD, TestApp, no_auth_cache, spawn_app, spawn_app_with,
};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How a test socket signs in.
enum Cred<'a> {
    Bearer(&'a str),
    /// A `doxin_session=…` cookie pair.
    Cookie(&'a str),
}

async fn connect(
    app: &TestApp,
    cred: Cred<'_>,
    origin: Option<&str>,
) -> Result<Socket, tungstenite::Error> {
    let url = format!("{}/ws", app.address.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().expect("request");
    let headers = request.headers_mut();
    match cred {
        Cred::Bearer(t) => headers.insert(
            "authorization",
            format!("Bearer {t}").parse().expect("header"),
        ),
        Cred::Cookie(c) => headers.insert("cookie", c.parse().expect("header")),
    };
    if let Some(o) = origin {
        headers.insert("origin", o.parse().expect("header"));
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(s, _)| s)
}

/// The HTTP status a refused upgrade answered.
fn refused_status(result: Result<Socket, tungstenite::Error>) -> u16 {
    match result {
        Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(other) => panic!("not an HTTP refusal: {other}"),
        Ok(_) => panic!("the upgrade was accepted"),
    }
}

fn text(v: Value) -> Message {
    Message::Text(v.to_string().into())
}

async fn next_message(socket: &mut Socket, wait: Duration) -> Option<Message> {
    match tokio::time::timeout(wait, socket.next()).await {
        Ok(Some(Ok(m))) => Some(m),
        Ok(Some(Err(_)) | None) => None,
        Err(_) => panic!("nothing from the server within {wait:?}"),
    }
}

async fn next_json(socket: &mut Socket) -> Value {
    match next_message(socket, Duration::from_secs(5)).await {
        Some(Message::Text(t)) => serde_json::from_str(&t).expect("json"),
        other => panic!("expected a JSON message, got {other:?}"),
    }
}

/// The close frame's code; waits past the 3-second recheck.
async fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        match next_message(socket, Duration::from_secs(8)).await {
            Some(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Some(Message::Ping(_) | Message::Pong(_)) => continue,
            None => return None,
            Some(other) => panic!("expected the socket to close, got {other:?}"),
        }
    }
}

/// Expects the `error` event naming why, then a close with `code`.
async fn expect_closed(socket: &mut Socket, reason: &str, code: u16) {
    let event = tokio::time::timeout(Duration::from_secs(8), socket.next())
        .await
        .expect("the server acts within seconds")
        .expect("a message")
        .expect("ok");
    let event: Value = serde_json::from_str(&event.into_text().expect("text")).expect("json");
    assert_eq!(event["event"], "error", "{event}");
    assert_eq!(event["code"], reason, "{event}");
    assert_eq!(close_code(socket).await, Some(code));
}

async fn sign_in(app: &TestApp, email: &str) -> (String, String) {
    let resp = app
        .req(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({"email": email, "password": TEST_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 200);
    let cookie = resp
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("doxin_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string();
    let body: Value = resp.json().await.expect("json");
    (
        cookie,
        body["csrf_token"].as_str().expect("csrf").to_string(),
    )
}

async fn job_of(app: &TestApp, owner: Uuid) -> Uuid {
    app.store
        .create_job(doxin_store::NewJob {
            owner_id: Some(owner),
            workspace_id: Some(owner),
            file_id: None,
            kind: "extract".into(),
            payload: json!({}),
            max_attempts: 3,
            request_id: None,
        })
        .await
        .expect("job")
        .id
}

#[tokio::test]
async fn a_revoked_api_token_closes_its_socket() {
    let app = spawn_app().await;
    let created: Value = app
        .client
        .post(app.url("/api/v1/auth/api-tokens"))
        .json(&json!({"name": "socket"}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = created["token"].as_str().expect("token");
    let id = created["id"].as_str().expect("id");
    let mut socket = connect(&app, Cred::Bearer(token), None).await.expect("ws");
    socket
        .send(text(json!({"action": "ping"})))
        .await
        .expect("send");
    assert_eq!(next_json(&mut socket).await["event"], "pong");
    // Past the socket's first check, so the periodic one must catch the revocation.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let resp = app
        .client
        .delete(app.url(&format!("/api/v1/auth/api-tokens/{id}")))
        .send()
        .await
        .expect("revoke");
    assert!(resp.status().is_success(), "{}", resp.status());
    expect_closed(&mut socket, "token_revoked", 4401).await;
    // The other sockets of the user, on the token still valid, stay open.
    let mut other = connect(&app, Cred::Bearer(&app.user.token), None)
        .await
        .expect("ws");
    other
        .send(text(json!({"action": "ping"})))
        .await
        .expect("send");
    assert_eq!(next_json(&mut other).await["event"], "pong");
}

#[tokio::test]
async fn signing_out_closes_the_sessions_socket() {
    let app = spawn_app().await;
    let (cookie, csrf) = sign_in(&app, &app.user.email).await;
    let mut socket = connect(&app, Cred::Cookie(&cookie), Some("http://doxin.test"))
        .await
        .expect("ws with the cookie from DoxIn's own origin");
    // Past the socket's first check, so the periodic one must catch the sign-out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let resp = app
        .anon
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("logout");
    assert!(resp.status().is_success(), "{}", resp.status());
    expect_closed(&mut socket, "session_ended", 4401).await;
}

#[tokio::test]
async fn a_demoted_administrator_loses_other_users_jobs_at_once() {
    // The demotion below is written to the store, not made through the API: without the auth
    // cache a new socket sees it at once (its bound: auth_cache.rs).
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(no_auth_cache),
        ..Default::default()
    })
    .await;
    let admin = app.create_user("ws-admin@example.com", true).await;
    let first = job_of(&app, app.user.id).await;
    let second = job_of(&app, app.user.id).await;

    let mut asking = connect(&app, Cred::Bearer(&admin.token), None)
        .await
        .expect("ws");
    let mut idle = connect(&app, Cred::Bearer(&admin.token), None)
        .await
        .expect("ws");
    asking
        .send(text(
            json!({"action": "subscribe", "jobs": [{"job_id": first}]}),
        ))
        .await
        .expect("send");
    let reply = next_json(&mut asking).await;
    assert_eq!(reply["job_ids"], json!([first]), "an administrator may");
    assert_eq!(next_json(&mut asking).await["event"], "job.snapshot");

    app.store
        .update_user(
            admin.id,
            doxin_store::UserUpdate {
                role: Some(doxin_store::Role::User),
                ..Default::default()
            },
        )
        .await
        .expect("demote");
    // The very next subscription is refused: the socket closes instead of answering.
    asking
        .send(text(
            json!({"action": "subscribe", "jobs": [{"job_id": second}]}),
        ))
        .await
        .expect("send");
    expect_closed(&mut asking, "role_changed", 4403).await;
    // A socket that asks nothing closes within seconds too (it still follows `first`).
    expect_closed(&mut idle, "role_changed", 4403).await;
    // A new socket has the new rights.
    let mut fresh = connect(&app, Cred::Bearer(&admin.token), None)
        .await
        .expect("ws");
    fresh
        .send(text(
            json!({"action": "subscribe", "jobs": [{"job_id": second}]}),
        ))
        .await
        .expect("send");
    let reply = next_json(&mut fresh).await;
    assert_eq!(reply["rejected"], json!([second]), "{reply}");
}

#[tokio::test]
async fn the_session_cookie_opens_a_socket_only_from_our_origins() {
    let app = spawn_app_with(SpawnOptions {
        frontend_url: Some("https://app.example.com/".into()),
        ..Default::default()
    })
    .await;
    let (cookie, _) = sign_in(&app, &app.user.email).await;
    let own = app.address.clone();
    let other_port = {
        let port: u16 = own
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        format!("http://127.0.0.1:{}", port.wrapping_add(1))
    };
    for refused in [
        None,
        Some("http://evil.example"),
        // Same site, another port: SameSite=Lax sends the cookie, the origin check does not.
        Some(other_port.as_str()),
        Some("https://app.example.com.evil.example"),
        Some("null"),
    ] {
        let result = connect(&app, Cred::Cookie(&cookie), refused).await;
        assert_eq!(refused_status(result), 403, "origin {refused:?}");
    }
    for allowed in [
        own.as_str(),
        "http://doxin.test",
        "https://app.example.com",
        "HTTPS://APP.EXAMPLE.COM:443",
    ] {
        let mut socket = connect(&app, Cred::Cookie(&cookie), Some(allowed))
            .await
            .unwrap_or_else(|e| panic!("origin {allowed}: {e}"));
        socket
            .send(text(json!({"action": "ping"})))
            .await
            .expect("send");
        assert_eq!(next_json(&mut socket).await["event"], "pong");
    }
    // Bearer tokens are not sent by browsers on their own: any or no origin.
    for origin in [None, Some("http://evil.example")] {
        connect(&app, Cred::Bearer(&app.user.token), origin)
            .await
            .unwrap_or_else(|e| panic!("bearer with origin {origin:?}: {e}"));
    }
}

#[tokio::test]
async fn subscriptions_and_messages_are_capped() {
    let app = spawn_app().await;
    let mut socket = connect(&app, Cred::Bearer(&app.user.token), None)
        .await
        .expect("ws");
    let jobs =
        |n: usize| -> Vec<Value> { (0..n).map(|_| json!({"job_id": Uuid::now_v7()})).collect() };
    // Over the cap: an error, nothing subscribed, the socket stays open.
    socket
        .send(text(json!({"action": "subscribe", "jobs": jobs(101)})))
        .await
        .expect("send");
    let reply = next_json(&mut socket).await;
    assert_eq!(reply["event"], "error", "{reply}");
    assert_eq!(reply["code"], "too_many_jobs", "{reply}");
    assert_eq!(reply["max_jobs"], 100);
    // At the cap: answered.
    socket
        .send(text(json!({"action": "subscribe", "jobs": jobs(100)})))
        .await
        .expect("send");
    let reply = next_json(&mut socket).await;
    assert_eq!(reply["event"], "subscribed", "{reply}");
    assert_eq!(reply["rejected"].as_array().map(Vec::len), Some(100));

    // A message over 16 KiB closes the socket (1009, message too big) unread, even one that
    // would be a valid ping.
    let padded = format!("{{\"action\": \"ping\"{}}}", " ".repeat(20 * 1024));
    socket
        .send(Message::Text(padded.into()))
        .await
        .expect("send");
    assert_eq!(close_code(&mut socket).await, Some(1009));
}

#[tokio::test]
async fn a_socket_closes_when_its_jwt_expires() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let pwv = doxin_server::auth::jwt::credential_version(&crate::helpers::password_hash().await);
    let claims = json!({
        "sub": app.user.id, "iat": now, "exp": now + 1,
        "iss": "doxin", "aud": "doxin-api", "role": "user", "pwv": pwv,
    });
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::JWT_SECRET).expect("key"),
    )
    .expect("encode");
    let mut socket = connect(&app, Cred::Bearer(&jwt), None).await.expect("ws");
    socket
        .send(text(json!({"action": "ping"})))
        .await
        .expect("send");
    assert_eq!(next_json(&mut socket).await["event"], "pong");
    expect_closed(&mut socket, "token_expired", 4401).await;
}

#[tokio::test]
async fn credential_changes_never_reach_a_socket() {
    let app = spawn_app().await;
    let mut socket = connect(&app, Cred::Bearer(&app.user.token), None)
        .await
        .expect("ws");
    // Recording a sign-in changes the socket's own user: `credentials.changed` naming them goes
    // out on the bus, for the API processes' auth caches only.
    let resp = app
        .client
        .post(app.url("/api/v1/auth/track-login"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    socket
        .send(text(json!({"action": "ping"})))
        .await
        .expect("send");
    assert_eq!(next_json(&mut socket).await["event"], "pong");
    match tokio::time::timeout(Duration::from_millis(500), socket.next()).await {
        Err(_) => {}
        Ok(other) => panic!("nothing more was expected, got {other:?}"),
    }
}
