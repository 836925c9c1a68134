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
    rest[start..start + end].replace("&amp;", "&")
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
                ("password", "Nora-has-a-long-pass-42"),
                ("password_again", "Nora-has-a-long-pass-42"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "registered");
    let resp = newcomer
        .post_form(
            "/login",
            &[
                ("email", "nora@example.com"),
                ("password", "Nora-has-a-long-pass-42"),
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
    let html = b.page("/admin").await;
    for needle in [
        "Jobs by state",
        "Live workers",
        "Recent failures",
        "href=\"/admin/users\"",
        "href=\"/admin/access-codes\"",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
}
