//! The administration, account, workspace and companies pages over HTTP, as a browser
//! without JavaScript sees them: administrators only on `/admin` (a 403 page for everyone
//! else, GET and POST), access codes minted and used to sign up, users deactivated by form,
//! forged form tokens refused.

use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};
use crate::web::{Browser, location};

/// An administrator's browser session (and the administrator).
async fn admin_browser(app: &TestApp) -> (Browser, crate::helpers::TestUser) {
    let admin = app.create_user("root@example.com", true).await;
    (Browser::signed_in(app, &admin).await, admin)
}

/// The value of the first `attr="…"` after `marker` in `html`.
fn attr_after(html: &str, marker: &str, attr: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in page"));
    let rest = &html[at..];
    let start = rest.find(&format!("{attr}=\"")).expect("attribute") + attr.len() + 2;
    let end = rest[start..].find('"').expect("end of attribute");
    un(&rest[start..start + end])
}

/// `html` with the escapes minijinja writes for `/` and `&` undone (to compare paths).
fn un(html: &str) -> String {
    html.replace("&#x2f;", "/").replace("&amp;", "&")
}

const ADMIN_PAGES: &[&str] = &[
    "/admin",
    "/admin/users",
    "/admin/access-codes",
    "/admin/access-requests",
    "/admin/audit",
    "/admin/usage",
];

#[tokio::test]
async fn web_admin_pages_are_for_administrators_only() {
    let app = spawn_app().await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    b.page("/").await;
    let csrf = b.csrf();
    for path in ADMIN_PAGES {
        let resp = b.get(path).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "GET {path}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .expect("ct")
                .starts_with("text/html")
        );
        let html = resp.text().await.expect("body");
        assert!(html.contains("Administrators only"), "{path}: {html}");
    }
    let victim = app.create_user("victim@example.com", false).await;
    let posts = [
        format!("/admin/users/{}", victim.id),
        "/admin/access-codes".to_string(),
        format!("/admin/access-codes/{}/revoke", uuid::Uuid::new_v4()),
        format!("/admin/access-requests/{}/approve", uuid::Uuid::new_v4()),
        format!("/admin/access-requests/{}/reject", uuid::Uuid::new_v4()),
    ];
    for path in &posts {
        let resp = b
            .post_form(
                path,
                &[
                    ("_csrf", csrf.as_str()),
                    ("action", "deactivate"),
                    ("reason", "x"),
                ],
            )
            .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "POST {path}");
        assert!(
            resp.text()
                .await
                .expect("body")
                .contains("Administrators only")
        );
    }
    assert!(
        app.store.get_user(victim.id).await.expect("user").is_active,
        "nothing changed"
    );
    // Signed out: to sign-in.
    let mut anon = Browser::new(&app);
    assert_eq!(
        anon.get("/admin/users").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn web_admin_mints_a_code_whose_link_signs_a_new_user_up() {
    let app = spawn_app().await;
    let (mut b, _) = admin_browser(&app).await;
    let page = b.page("/admin/access-codes").await;
    assert!(page.contains("id=\"mint\""));
    assert!(!page.contains("invitation-link"), "no link before minting");
    let csrf = b.csrf();
    let resp = b
        .post_form(
            "/admin/access-codes",
            &[
                ("_csrf", csrf.as_str()),
                ("note", "for Nora"),
                ("expires_in_days", "7"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("body");
    let link = attr_after(&html, "id=\"invitation-link\"", "value");
    assert!(link.contains("/register?code="), "{link}");
    assert!(html.contains("for Nora"));
    // Shown once: the list afterwards has only the hint.
    let again = b.page("/admin/access-codes").await;
    assert!(!again.contains("invitation-link"));
    let code = link.split("code=").nth(1).expect("code").to_string();
    assert!(!again.contains(&code));

    let mut newcomer = Browser::new(&app);
    let reg = newcomer
        .get(&format!("/register?code={code}"))
        .await
        .text()
        .await
        .expect("register page");
    assert!(reg.contains(&code), "code prefilled");
    let resp = newcomer
        .post_form(
            "/register",
            &[
                ("access_code", code.as_str()),
                ("email", "nora@example.com"),
                ("display_name", "Nora"),
                ("password", "Quiet-river-stones-42"),
                ("password_again", "Quiet-river-stones-42"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "registered");
    let resp = newcomer
        .post_form(
            "/login",
            &[
                ("email", "nora@example.com"),
                ("password", "Quiet-river-stones-42"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/");
    newcomer.page("/").await;
    // The code is now used.
    let used = b.page("/admin/access-codes?state=used").await;
    assert!(used.contains("for Nora"), "{used}");
    assert!(
        !b.page("/admin/access-codes?state=active")
            .await
            .contains("for Nora")
    );
}

#[tokio::test]
async fn web_admin_revokes_a_code_by_form() {
    let app = spawn_app().await;
    let (mut b, _) = admin_browser(&app).await;
    b.page("/admin/access-codes").await;
    let csrf = b.csrf();
    b.post_form(
        "/admin/access-codes",
        &[("_csrf", csrf.as_str()), ("note", "to revoke")],
    )
    .await;
    let html = b.page("/admin/access-codes?state=active").await;
    let at = html.find("/revoke").expect("revoke form");
    let start = html[..at].rfind("action=\"").expect("action") + 8;
    let path = &html[start..at + "/revoke".len()];
    let resp = b
        .post_form(
            path,
            &[("_csrf", csrf.as_str()), ("next", "/admin/access-codes")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let back = b.page(&location(&resp)).await;
    assert!(back.contains("is revoked"), "{back}");
    let revoked = b.page("/admin/access-codes?state=revoked").await;
    assert!(revoked.contains("to revoke"));
}

#[tokio::test]
async fn web_admin_deactivates_a_user_whose_next_page_is_sign_in() {
    let app = spawn_app().await;
    let (mut b, _) = admin_browser(&app).await;
    let mut victim = Browser::signed_in(&app, &app.user).await;
    victim.page("/").await;

    let html = b.page(&format!("/admin/users?q={}", app.user.email)).await;
    assert!(html.contains(&format!("data-email=\"{}\"", app.user.email)));
    assert!(
        !html.contains("data-email=\"root@example.com\""),
        "search filters"
    );
    assert!(html.contains("name=\"action\" value=\"deactivate\""));
    let csrf = b.csrf();
    let path = format!("/admin/users/{}", app.user.id);

    // A forged token changes nothing.
    let resp = b
        .post_form(&path, &[("_csrf", "forged"), ("action", "deactivate")])
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    victim.page("/").await;

    let resp = b
        .post_form(
            &path,
            &[
                ("_csrf", csrf.as_str()),
                ("action", "deactivate"),
                ("next", "/admin/users"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let back = b.page(&location(&resp)).await;
    assert!(back.contains("deactivated"), "{back}");

    let resp = victim.get("/invoices").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("/login"), "{}", location(&resp));

    // Activate again, and make them an administrator.
    for action in ["activate", "make_admin"] {
        let resp = b
            .post_form(&path, &[("_csrf", csrf.as_str()), ("action", action)])
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{action}");
    }
    let user = app.store.get_user(app.user.id).await.expect("user");
    assert!(user.is_active);
    assert_eq!(user.role.as_str(), "admin");
}

#[tokio::test]
async fn web_admin_overview_shows_jobs_workers_and_links() {
    let app = spawn_app().await;
    let (mut b, _) = admin_browser(&app).await;
    let html = un(&b.page("/admin").await);
    for needle in [
        "Running by stage",
        "dead letters",
        "Jobs by state",
        "Live workers",
        "Recent failures",
        "href=\"/admin/users\"",
        "href=\"/admin/access-codes\"",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
}

/// Asks for access as a visitor, through the API; the request's id.
async fn ask_for_access(app: &TestApp, email: &str) -> String {
    let resp = app
        .anon
        .post(app.url("/api/v1/auth/access-requests"))
        .json(&serde_json::json!({"email": email, "name": "Asker", "message": "please"}))
        .send()
        .await
        .expect("request access");
    assert!(resp.status().is_success(), "{}", resp.status());
    let body: serde_json::Value = resp.json().await.expect("json");
    body["id"]
        .as_str()
        .or(body["request"]["id"].as_str())
        .expect("request id")
        .to_string()
}

#[tokio::test]
async fn web_admin_approves_and_rejects_access_requests() {
    let app = spawn_app().await;
    let (mut b, _) = admin_browser(&app).await;
    let yes = ask_for_access(&app, "yes@example.com").await;
    let no = ask_for_access(&app, "no@example.com").await;
    let html = b.page("/admin/access-requests").await;
    assert!(html.contains("data-email=\"yes@example.com\""));
    assert!(html.contains("data-email=\"no@example.com\""));
    let csrf = b.csrf();

    // Approve: no mail server, so the page shows the invitation link once.
    let resp = b
        .post_form(
            &format!("/admin/access-requests/{yes}/approve"),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("body");
    let link = attr_after(&html, "id=\"invitation-link\"", "value");
    assert!(link.contains("/register?code="), "{link}");
    assert!(link.contains("email=yes%40example.com"), "{link}");

    // Reject: a reason is required.
    let path = format!("/admin/access-requests/{no}/reject");
    let resp = b
        .post_form(&path, &[("_csrf", csrf.as_str()), ("reason", "  ")])
        .await;
    let html = resp.text().await.expect("body");
    assert!(html.contains("Give a reason"), "{html}");
    let still = b.page("/admin/access-requests?status=pending").await;
    assert!(
        still.contains("data-email=\"no@example.com\""),
        "still pending"
    );
    // A forged token changes nothing.
    let resp = b
        .post_form(&path, &[("_csrf", "forged"), ("reason", "spam")])
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = b
        .post_form(
            &path,
            &[("_csrf", csrf.as_str()), ("reason", "not our customer")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let back = b.page(&location(&resp)).await;
    assert!(back.contains("is rejected"));
    assert!(
        !back.contains("data-email=\"no@example.com\""),
        "no longer pending"
    );
    let rejected = b.page("/admin/access-requests?status=rejected").await;
    assert!(rejected.contains("data-email=\"no@example.com\""));
    let approved = b.page("/admin/access-requests?status=approved").await;
    assert!(approved.contains("data-email=\"yes@example.com\""));

    // The reason is in the audit log, with the decision's before and after.
    let audit = b.page("/admin/audit?action=access_request.reject").await;
    assert!(audit.contains("not our customer"), "{audit}");
    assert!(audit.contains("class=\"diff\""));
}

#[tokio::test]
async fn web_admin_audit_filters_narrow_the_list() {
    let app = spawn_app().await;
    let (mut b, _) = admin_browser(&app).await;
    b.page("/admin/access-codes").await;
    let csrf = b.csrf();
    for note in ["one", "two"] {
        b.post_form(
            "/admin/access-codes",
            &[("_csrf", csrf.as_str()), ("note", note)],
        )
        .await;
    }
    let path = format!("/admin/users/{}", app.user.id);
    b.post_form(&path, &[("_csrf", csrf.as_str()), ("action", "make_admin")])
        .await;

    let all = b.page("/admin/audit").await;
    assert!(all.contains("data-action=\"access_code.create\""));
    assert!(all.contains("data-action=\"user.update\""));
    let codes = b.page("/admin/audit?action=access_code.create").await;
    assert_eq!(
        codes.matches("data-action=\"access_code.create\"").count(),
        2
    );
    assert!(!codes.contains("data-action=\"user.update\""));
    let users = b.page("/admin/audit?entity_type=user").await;
    assert!(users.contains("data-action=\"user.update\""));
    assert!(!users.contains("data-action=\"access_code.create\""));
    // The role change's before and after side by side.
    assert!(users.contains("<th scope=\"row\">role</th>"), "{users}");
    let by_actor = b.page("/admin/audit?actor=root%40example.com").await;
    assert!(by_actor.contains("data-action=\"user.update\""));
    let by_other = b
        .page(&format!(
            "/admin/audit?actor={}",
            app.user.email.replace('@', "%40")
        ))
        .await;
    assert!(!by_other.contains("data-action=\"user.update\""));
    let unknown = b.page("/admin/audit?actor=nobody%40example.com").await;
    assert!(unknown.contains("No user has the e-mail address"));
    let future = b.page("/admin/audit?from=2999-01-01").await;
    assert!(!future.contains("data-action="));
    let bad = b.page("/admin/audit?from=yesterday").await;
    assert!(bad.contains("must be a date"), "{bad}");
}

#[tokio::test]
async fn web_admin_usage_draws_charts() {
    let app = spawn_app().await;
    let (mut b, _) = admin_browser(&app).await;
    for _ in 0..3 {
        b.page("/").await;
    }
    let html = b.page("/admin/usage").await;
    assert!(html.contains("active users"));
    assert!(html.contains("<desc id=\"days-desc\">"), "{html}");
    assert!(html.contains("<rect"));
    assert!(html.contains("Top endpoints"));
}

#[tokio::test]
async fn web_account_token_is_shown_once_works_and_is_revoked() {
    let app = spawn_app().await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    b.page("/account").await;
    let csrf = b.csrf();
    let resp = b
        .post_form(
            "/account/tokens",
            &[("_csrf", csrf.as_str()), ("name", "exporter")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("body");
    let token = attr_after(&html, "id=\"new-token\"", "value");
    assert!(token.starts_with("dxn_"), "{token}");
    let again = b.page("/account").await;
    assert!(!again.contains(&token), "shown once");
    assert!(again.contains("exporter"));

    let me = |t: String| {
        let c = app.anon.clone();
        let url = app.url("/api/v1/auth/me");
        async move { c.get(url).bearer_auth(t).send().await.expect("me").status() }
    };
    assert_eq!(me(token.clone()).await, StatusCode::OK);

    // Revoke it by its form.
    let at = again.find("exporter").expect("row");
    let row = &again[at..];
    let start = row.find("action=\"").expect("form") + 8;
    let end = row[start..].find('"').expect("end");
    let path = un(&row[start..start + end]);
    assert!(path.ends_with("/revoke"), "{path}");
    let resp = b.post_form(&path, &[("_csrf", "forged")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        me(token.clone()).await,
        StatusCode::OK,
        "forged changes nothing"
    );
    let resp = b.post_form(&path, &[("_csrf", csrf.as_str())]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(b.page(&location(&resp)).await.contains("is revoked"));
    assert_eq!(me(token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn web_account_changes_the_password() {
    let app = spawn_app().await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    b.page("/account").await;
    let csrf = b.csrf();
    let new = "A-new-and-long-passphrase-7";
    let resp = b
        .post_form(
            "/account/password",
            &[
                ("_csrf", csrf.as_str()),
                ("current_password", "not my password"),
                ("new_password", new),
                ("new_password_again", new),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let html = resp.text().await.expect("body");
    assert!(html.contains("The current password is wrong"), "{html}");
    let resp = b
        .post_form(
            "/account/password",
            &[
                ("_csrf", csrf.as_str()),
                ("current_password", crate::helpers::TEST_PASSWORD),
                ("new_password", new),
                ("new_password_again", "something else entirely"),
            ],
        )
        .await;
    assert!(resp.text().await.expect("body").contains("differ"));
    // A forged token changes nothing.
    let resp = b
        .post_form(
            "/account/password",
            &[
                ("_csrf", "forged"),
                ("current_password", crate::helpers::TEST_PASSWORD),
                ("new_password", new),
                ("new_password_again", new),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = b
        .post_form(
            "/account/password",
            &[
                ("_csrf", csrf.as_str()),
                ("current_password", crate::helpers::TEST_PASSWORD),
                ("new_password", new),
                ("new_password_again", new),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        b.page(&location(&resp))
            .await
            .contains("password is changed")
    );
    // The new password signs in; the old one no longer does.
    let mut other = Browser::new(&app);
    let resp = other
        .post_form(
            "/login",
            &[
                ("email", app.user.email.as_str()),
                ("password", new),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = Browser::new(&app)
        .post_form(
            "/login",
            &[
                ("email", app.user.email.as_str()),
                ("password", crate::helpers::TEST_PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    assert_ne!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn web_account_sign_out_everywhere_ends_other_sessions() {
    let app = spawn_app().await;
    let mut here = Browser::signed_in(&app, &app.user).await;
    let mut there = Browser::signed_in(&app, &app.user).await;
    there.page("/").await;
    here.page("/account").await;
    let csrf = here.csrf();
    let resp = here
        .post_form("/account/sign-out-everywhere", &[("_csrf", "forged")])
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    there.page("/").await;
    let resp = here
        .post_form("/account/sign-out-everywhere", &[("_csrf", csrf.as_str())])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("/login"));
    let resp = there.get("/invoices").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("/login"));
    let resp = here.get("/").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // Audited.
    let entries = app
        .store
        .list_audit(
            &doxin_store::AuditFilter {
                action: Some("auth.logout_everywhere".into()),
                ..Default::default()
            },
            doxin_store::PageRequest::new(1, 10),
        )
        .await
        .expect("audit");
    assert_eq!(entries.total, 1);
}

#[tokio::test]
async fn web_workspace_switch_sets_the_cookie_and_pages_follow() {
    let app = spawn_app().await;
    let admin = app.create_user("root@example.com", true).await;
    let made: serde_json::Value = app
        .req(reqwest::Method::POST, "/api/v1/workspaces", Some(&admin))
        .json(&serde_json::json!({"name": "Second Team"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let ws = made["id"].as_str().expect("id").to_string();
    let resp = app
        .req(
            reqwest::Method::PUT,
            &format!("/api/v1/workspaces/{ws}/members/{}", app.user.id),
            Some(&admin),
        )
        .json(&serde_json::json!({"role": "approver"}))
        .send()
        .await
        .expect("member");
    assert!(resp.status().is_success());
    let hidden: serde_json::Value = app
        .req(reqwest::Method::POST, "/api/v1/workspaces", Some(&admin))
        .json(&serde_json::json!({"name": "Not Yours"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let hidden = hidden["id"].as_str().expect("id").to_string();

    let mut b = Browser::signed_in(&app, &app.user).await;
    let before = b.page("/workspace").await;
    assert!(!before.contains("Workspace: Second Team"));
    assert!(before.contains("id=\"ws-switch\""), "selector shown");
    let csrf = b.csrf();
    // Forged: nothing set.
    let resp = b
        .post_form(
            "/workspace/switch",
            &[
                ("_csrf", "forged"),
                ("workspace_id", ws.as_str()),
                ("next", "/workspace"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().get("set-cookie").is_none());
    // Not a member: not found, nothing set.
    let resp = b
        .post_form(
            "/workspace/switch",
            &[
                ("_csrf", csrf.as_str()),
                ("workspace_id", hidden.as_str()),
                ("next", "/workspace"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(resp.headers().get("set-cookie").is_none());
    // A member: the cookie, and back to `next`.
    let resp = b
        .post_form(
            "/workspace/switch",
            &[
                ("_csrf", csrf.as_str()),
                ("workspace_id", ws.as_str()),
                ("next", "/workspace"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/workspace");
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(
        cookie.starts_with(&format!("doxin_workspace={ws}")),
        "{cookie}"
    );
    for attr in ["Path=/", "SameSite=Lax", "HttpOnly"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let after = b.page("/workspace").await;
    assert!(after.contains("Workspace: Second Team"), "{after}");
    assert!(after.contains("<strong>approver</strong>"));
    // Elsewhere, `next` is only followed on this site.
    let resp = b
        .post_form(
            "/workspace/switch",
            &[
                ("_csrf", csrf.as_str()),
                ("workspace_id", ws.as_str()),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&resp), "/");
}

#[tokio::test]
async fn web_workspace_admin_manages_members_invitations_and_rules() {
    let app = spawn_app().await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = b.page("/workspace").await;
    // The user administers their own workspace.
    assert!(html.contains("id=\"invite\""), "{html}");
    let csrf = b.csrf();
    let resp = b
        .post_form(
            "/workspace/invitations",
            &[
                ("_csrf", csrf.as_str()),
                ("email", "new@example.com"),
                ("role", "approver"),
                ("approval_limit", "5000"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("body");
    let link = attr_after(&html, "id=\"invitation-link\"", "value");
    assert!(link.contains("/register?code="), "{link}");
    // Rules: nonsense refused in words, sense saved.
    let resp = b
        .post_form(
            "/workspace/rules",
            &[("_csrf", csrf.as_str()), ("rules", "{not json")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.expect("body").contains("not valid JSON"));
    let resp = b
        .post_form(
            "/workspace/rules",
            &[
                ("_csrf", "forged"),
                ("rules", "{\"second_approval_above\": \"100.00\"}"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = b
        .post_form(
            "/workspace/rules",
            &[
                ("_csrf", csrf.as_str()),
                ("rules", "{\"second_approval_above\": \"10000.00\"}"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = b.page(&location(&resp)).await;
    assert!(html.contains("rules are saved"));
    assert!(html.contains("10,000.00"), "{html}");
}

#[tokio::test]
async fn web_companies_lists_vendors_with_links() {
    let app = spawn_app().await;
    // Companies are listed once an invoice names them.
    let mut ids = Vec::new();
    for (kind, name) in [
        (doxin_store::CompanyKind::Vendor, "Acme Supplies GmbH"),
        (doxin_store::CompanyKind::Customer, "Beta Buyers Ltd"),
    ] {
        let company = app
            .store
            .upsert_company(doxin_store::NewCompany {
                workspace_id: Some(app.user.id),
                kind,
                name: name.into(),
                vat_id: None,
                tax_number: None,
                country: Some("DE".into()),
                address: serde_json::Value::Null,
            })
            .await
            .expect("company");
        ids.push(company.id);
    }
    app.store
        .insert_invoice(doxin_store::NewInvoice {
            owner_id: Some(app.user.id),
            workspace_id: Some(app.user.id),
            file_id: None,
            job_id: None,
            status: doxin_store::InvoiceStatus::Approved,
            confidence: 0.9,
            invoice: doxin_synth::generate(1, &doxin_synth::Spec::default()).truth,
            findings: vec![],
            vendor_id: Some(ids[0]),
            customer_id: Some(ids[1]),
            duplicate_of: None,
            file_sha256: None,
        })
        .await
        .expect("invoice");
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = un(&b.page("/companies").await);
    assert!(
        html.contains("href=\"/invoices?vendor=Acme%20Supplies%20GmbH\""),
        "{html}"
    );
    assert!(!html.contains("Beta Buyers"));
    let customers = b.page("/companies?kind=customer").await;
    assert!(customers.contains("aria-current=\"page\">Customers"));
    assert!(customers.contains("Beta Buyers Ltd"));
    let none = b.page("/companies?q=zzzz-no-such").await;
    assert!(none.contains("No vendors match"));
}
