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
        app.req(
            Method::POST,
            "/api/v1/auth/change-password",
            Some(&app.user),
        )
        .json(&json!({"current_password": TEST_PASSWORD, "new_password": app.user.email}))
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("weak_password"))
    );
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
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("weak_password"))
    );
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

// --- 12. download file names ---------------------------------------------------------------

/// Replaces an invoice's file with a multipart body written by hand, so the file name's
/// bytes reach the server exactly as given (raw UTF-8, as browsers send it).
async fn put_file(app: &TestApp, invoice: &str, file_name: &str) {
    let boundary = "doxinboundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(b"Invoice F-1\nFile AG\nTotal 10.00 EUR\n");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = app
        .req(
            Method::PUT,
            &format!("/api/v1/invoices/{invoice}/file"),
            Some(&app.user),
        )
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("send");
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
}

async fn disposition(app: &TestApp, path: &str) -> String {
    let resp = app
        .req(Method::GET, path, Some(&app.user))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let value = resp.headers()["content-disposition"].as_bytes().to_vec();
    assert!(value.is_ascii(), "raw bytes in the header: {value:?}");
    String::from_utf8(value).expect("ascii")
}

#[tokio::test]
async fn finding_12_download_names_lose_bidi_controls_and_dot_only_names() {
    let app = spawn_app().await;
    let invoice = doxin_synth::generate(7, &doxin_synth::Spec::default()).truth;
    let (status, created) = json_of(
        app.req(Method::POST, "/api/v1/invoices", Some(&app.user))
            .json(&json!({ "invoice": invoice }))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/invoices/{id}/file");

    // A right-to-left override makes "invoice\u{202E}fdp.exe" look like a PDF.
    put_file(&app, &id, "Rechnung\u{202E}fdp.exe").await;
    let value = disposition(&app, &path).await;
    assert!(value.contains("filename=\"Rechnungfdp.exe\""), "{value}");
    assert!(
        value.contains("filename*=UTF-8''Rechnungfdp.exe"),
        "{value}"
    );
    assert!(!value.contains("%E2%80%AE"), "{value}");

    // Unicode survives in filename*, with an ASCII fallback.
    put_file(&app, &id, "Grüße.txt").await;
    let value = disposition(&app, &path).await;
    assert!(value.contains("filename=\"Gr__e.txt\""), "{value}");
    assert!(
        value.contains("filename*=UTF-8''Gr%C3%BC%C3%9Fe.txt"),
        "{value}"
    );

    // A name of dots only becomes invoice-<id>.<ext>.
    put_file(&app, &id, "..").await;
    let value = disposition(&app, &path).await;
    assert_eq!(
        value,
        format!("attachment; filename=\"invoice-{id}.txt\"; filename*=UTF-8''invoice-{id}.txt")
    );

    // Exports too.
    let value = disposition(&app, &format!("/api/v1/invoices/{id}/export?format=json")).await;
    assert!(value.contains("filename*=UTF-8''invoice-"), "{value}");
}

// --- 5. security headers -------------------------------------------------------------------

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn finding_5_every_answer_carries_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/api/health",
        "/api/v1/auth/me",
        "/api/v1/no-such-route",
        "/setup",
        "/api/docs/",
    ] {
        let resp = app.anon.get(app.url(path)).send().await.expect("send");
        assert_eq!(header(&resp, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&resp, "x-frame-options"), "DENY", "{path}");
        assert_eq!(header(&resp, "referrer-policy"), "no-referrer", "{path}");
        let csp = header(&resp, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("script-src 'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(
            resp.headers().get("strict-transport-security").is_none(),
            "no HSTS without Secure cookies: {path}"
        );
    }
    let api = app
        .anon
        .get(app.url("/api/health"))
        .send()
        .await
        .expect("send");
    assert_eq!(
        header(&api, "content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'"
    );
    // Once set up, the setup page offers no form.
    let done = app.anon.get(app.url("/setup")).send().await.expect("send");
    assert!(
        !done
            .text()
            .await
            .expect("html")
            .contains("<form method=\"post\" action=\"/setup\"")
    );
    // On a fresh install it is a form that works without any script: no inline script, and a
    // policy that would refuse one.
    let fresh = spawn_app_with(SpawnOptions {
        fresh_install: true,
        ..Default::default()
    })
    .await;
    let page = fresh
        .anon
        .get(fresh.url("/setup"))
        .send()
        .await
        .expect("send");
    let csp = header(&page, "content-security-policy").to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = page.text().await.expect("html");
    assert!(
        html.contains("<form method=\"post\" action=\"/setup\""),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    // Swagger UI loads its own script files (it has no inline script) and the document.
    let docs = app
        .anon
        .get(app.url("/api/docs/"))
        .send()
        .await
        .expect("send");
    let csp = header(&docs, "content-security-policy").to_string();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = docs.text().await.expect("html");
    assert!(html.contains("<script src="), "{html}");
    assert!(
        !html.contains("<script>"),
        "inline script in Swagger UI: {html}"
    );

    // HSTS once cookies are Secure (DoxIn is then behind HTTPS).
    let secure = spawn_app_with(SpawnOptions {
        tweak_auth: Some(|a| a.cookie_secure = true),
        ..Default::default()
    })
    .await;
    let resp = secure
        .anon
        .get(secure.url("/api/health"))
        .send()
        .await
        .expect("send");
    assert!(
        header(&resp, "strict-transport-security").starts_with("max-age="),
        "{:?}",
        resp.headers()
    );
}

// --- 13. cookies, CORS, WebSocket URL ------------------------------------------------------

#[tokio::test]
async fn finding_13_session_cookie_httponly_setting_is_honoured() {
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(|a| a.cookie_httponly = false),
        ..Default::default()
    })
    .await;
    let (cookies, _, _) = sign_in(&app, &app.user.email, TEST_PASSWORD).await;
    let session = cookies
        .iter()
        .find(|c| c.starts_with("doxin_session="))
        .expect("session");
    assert!(!session.contains("HttpOnly"), "{session}");
    // The default stays HttpOnly; the CSRF cookie is readable either way.
    let app = spawn_app().await;
    let (cookies, _, _) = sign_in(&app, &app.user.email, TEST_PASSWORD).await;
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("doxin_session=") && c.contains("HttpOnly"))
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("doxin_csrf=") && !c.contains("HttpOnly"))
    );
}

#[tokio::test]
async fn finding_13_cors_allows_exactly_the_frontend_origin() {
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(|a| a.allowed_origin = Some("https://app.example.com".into())),
        ..Default::default()
    })
    .await;
    let preflight = |origin: &'static str| {
        app.anon
            .request(Method::OPTIONS, app.url("/api/v1/auth/me"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,x-csrf-token",
            )
            .send()
    };
    let resp = preflight("https://app.example.com").await.expect("send");
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(
        header(&resp, "access-control-allow-origin"),
        "https://app.example.com"
    );
    assert_eq!(header(&resp, "access-control-allow-credentials"), "true");
    assert!(
        header(&resp, "access-control-allow-headers").contains("x-csrf-token"),
        "{:?}",
        resp.headers()
    );
    let resp = preflight("https://evil.example.net").await.expect("send");
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    // A simple request from the front end gets the header too.
    let resp = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "access-control-allow-origin"),
        "https://app.example.com"
    );

    // Without FRONTEND_URL, no CORS header at all.
    let plain = spawn_app().await;
    let resp = plain
        .client
        .get(plain.url("/api/v1/auth/me"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .expect("send");
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn finding_13_the_websocket_url_carries_no_token() {
    let app = spawn_app().await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"Invoice F-1\nFile AG\nTotal 10.00 EUR\n".to_vec())
            .file_name("f1.txt"),
    );
    let (status, body) = json_of(
        app.client
            .post(app.url("/api/v1/invoices/upload"))
            .multipart(form)
            .send()
            .await
            .expect("upload"),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let job = &body["jobs"][0];
    let url = job["websocket_url"].as_str().expect("websocket_url");
    assert_eq!(
        url,
        format!("/ws?job_id={}", job["job_id"].as_str().expect("id"))
    );
    assert!(!url.contains("token"), "{url}");
    // The documented body field stays.
    assert!(job["job_token"].as_str().is_some_and(|t| !t.is_empty()));
}

// --- 8. short-lived credentials, password changes ------------------------------------------

async fn jwt_for(app: &TestApp, email: &str, password: &str) -> String {
    let (status, body) = json_of(
        app.req(Method::POST, "/api/v1/auth/jwt-token", None)
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn finding_8_a_jwt_mints_nothing_and_a_password_change_ends_tokens() {
    let app = spawn_app().await;
    let jwt = jwt_for(&app, &app.user.email, TEST_PASSWORD).await;
    let with_jwt =
        |method: Method, path: &str| app.anon.request(method, app.url(path)).bearer_auth(&jwt);
    let (status, body) = json_of(
        with_jwt(Method::POST, "/api/v1/auth/jwt-token")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("credential_not_allowed")),
        "{body}"
    );
    let (status, body) = json_of(
        with_jwt(Method::POST, "/api/v1/auth/api-tokens")
            .json(&json!({"name": "forever"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("credential_not_allowed")),
        "{body}"
    );
    // The JWT itself still works for ordinary requests.
    let resp = with_jwt(Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);

    // A password change (from a session) ends the JWTs and API tokens issued before.
    let (_, cookie, csrf) = sign_in(&app, &app.user.email, TEST_PASSWORD).await;
    let resp = app
        .anon
        .post(app.url("/api/v1/auth/change-password"))
        .header(COOKIE, &cookie)
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"current_password": TEST_PASSWORD, "new_password": "violet harbour lantern"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 204);
    let resp = with_jwt(Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401, "the JWT from before the change");
    let resp = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401, "the API token from before the change");
    let resp = app
        .anon
        .get(app.url("/api/v1/auth/me"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200, "the session that changed it stays");
    // New credentials work.
    let fresh = jwt_for(&app, &app.user.email, "violet harbour lantern").await;
    let resp = app
        .anon
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(fresh)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
}

// --- 10. JWT lifetime -----------------------------------------------------------------------

#[tokio::test]
async fn finding_10_jwts_living_longer_than_fifteen_minutes_are_refused() {
    let app = spawn_app().await;
    // A genuine token's claims, with only the times changed and signed with the same key
    // (as someone holding a leaked or default key would).
    let jwt = jwt_for(&app, &app.user.email, TEST_PASSWORD).await;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&["doxin-api"]);
    let claims: Value = jsonwebtoken::decode(
        &jwt,
        &jsonwebtoken::DecodingKey::from_secret(crate::helpers::JWT_SECRET).expect("key"),
        &validation,
    )
    .expect("decode")
    .claims;
    let sign = |iat: i64, exp: i64| {
        let mut c = claims.clone();
        c["iat"] = json!(iat);
        c["exp"] = json!(exp);
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &c,
            &jsonwebtoken::EncodingKey::from_secret(crate::helpers::JWT_SECRET).expect("key"),
        )
        .expect("encode")
    };
    let me = |token: String| {
        app.anon
            .get(app.url("/api/v1/auth/me"))
            .bearer_auth(token)
            .send()
    };
    let now = chrono::Utc::now().timestamp();
    assert_eq!(me(sign(now, now + 900)).await.expect("send").status(), 200);
    for (what, iat, exp) in [
        ("ten years", now, now + 10 * 365 * 86_400),
        ("a day", now - 60, now + 86_400),
        ("issued in the future", now + 3_600, now + 3_600 + 900),
    ] {
        let resp = me(sign(iat, exp)).await.expect("send");
        assert_eq!(resp.status(), 401, "{what}");
    }
}

// --- 11. metrics and health details ---------------------------------------------------------

#[tokio::test]
async fn finding_11_metrics_need_the_scrape_token_and_health_details_an_admin() {
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(|a| a.metrics_token = Some("scrape-token-0123456789".into())),
        ..Default::default()
    })
    .await;
    let resp = app
        .anon
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);
    let resp = app
        .anon
        .get(app.url("/metrics"))
        .bearer_auth("wrong-token-0123456789")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);
    // A user's own credential is not the scrape token either.
    assert_eq!(app.get("/metrics").await.status(), 401);
    let resp = app
        .anon
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-0123456789")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text()
            .await
            .expect("text")
            .contains("doxin_queue_depth ")
    );

    // Health: anyone gets each component's status, only an administrator the details.
    for path in ["/api/v1/health/detailed", "/api/v1/health/database"] {
        let (status, body) = json_of(app.anon.get(app.url(path)).send().await.expect("send")).await;
        assert_eq!(status, 200, "{path}");
        let text = body.to_string();
        for secret in [
            "location",
            "backend",
            "server_version",
            "latency_ms",
            "version",
        ] {
            assert!(
                !text.contains(secret),
                "{path} shows {secret} to anyone: {text}"
            );
        }
        let (_, body) = json_of(app.get(path).await).await;
        assert!(
            !body.to_string().contains("backend"),
            "a user is not an admin: {body}"
        );
    }
    let (_, body) = json_of(
        app.anon
            .get(app.url("/api/v1/health/detailed"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["components"]["storage"]["status"], "up");
    let admin = app.create_user("root@example.com", true).await;
    let (status, body) = json_of(
        app.req(Method::GET, "/api/v1/health/detailed", Some(&admin))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["components"]["database"]["backend"], "sqlite");
    assert!(
        body["components"]["storage"]["location"].is_string(),
        "{body}"
    );
    // Liveness stays public.
    assert_eq!(
        app.anon
            .get(app.url("/api/health"))
            .send()
            .await
            .expect("send")
            .status(),
        200
    );
}

// --- 7. per-account sign-in backoff -------------------------------------------------------

#[tokio::test]
async fn finding_7_failed_sign_ins_lock_the_account_not_just_the_address() {
    // A per-address limit far away, so only the per-account backoff can answer 429.
    let app = spawn_app_with(SpawnOptions {
        auth_per_minute: Some(1000),
        ..Default::default()
    })
    .await;
    let login = |email: &str, password: &str| {
        app.req(Method::POST, "/api/v1/auth/login", None)
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    for email in [app.user.email.as_str(), "nobody-here@example.com"] {
        for attempt in 0..5 {
            let resp = login(email, "not the password").await.expect("send");
            assert_eq!(resp.status(), 401, "{email}: attempt {attempt}");
        }
        // Locked now: even the right password waits, and an unknown address is answered
        // exactly like a real one.
        let resp = login(email, TEST_PASSWORD).await.expect("send");
        assert_eq!(resp.status(), 429, "{email}");
        let retry: u64 = header(&resp, "retry-after").parse().expect("Retry-After");
        assert!((1..=31).contains(&retry), "{retry}");
        let (_, body) = json_of(resp).await;
        assert_eq!(body["code"], "rate_limited");
    }
    // Password JWTs are the same door.
    let resp = app
        .req(Method::POST, "/api/v1/auth/jwt-token", None)
        .json(&json!({"email": app.user.email, "password": TEST_PASSWORD}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 429);
    // Other accounts are not affected.
    let bob = app.create_user("bob@example.com", false).await;
    assert_eq!(
        login(&bob.email, TEST_PASSWORD)
            .await
            .expect("send")
            .status(),
        200
    );
}
