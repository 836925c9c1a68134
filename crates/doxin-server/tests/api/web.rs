//! The web interface over HTTP, as a browser without JavaScript sees it: sign-in, the
//! protection every page has (sign-in redirect, CSRF, Content-Security-Policy, frame
//! refusal), and the pages built in `doxin_server::web`. The JavaScript parts are tested in
//! Chromium (tests/browser).

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};

use crate::helpers::{
    SpawnOptions, TEST_PASSWORD, TestApp, TestUser, no_auth_cache, spawn_app, spawn_app_with,
};

/// A browser session: the cookies it was given and the CSRF token of its forms.
pub struct Browser {
    pub app_url: String,
    client: reqwest::Client,
    cookies: Vec<(String, String)>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            app_url: app.address.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: Vec::new(),
        }
    }

    /// Signs `user` in through the sign-in form.
    pub async fn signed_in(app: &TestApp, user: &TestUser) -> Browser {
        let mut b = Browser::new(app);
        let resp = b
            .post_form(
                "/login",
                &[
                    ("email", user.email.as_str()),
                    ("password", TEST_PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "sign-in");
        b
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, resp: &reqwest::Response) {
        for value in resp.headers().get_all(SET_COOKIE) {
            let Some((pair, attrs)) = value
                .to_str()
                .ok()
                .map(|v| v.split_once(';').unwrap_or((v, "")))
            else {
                continue;
            };
            let Some((name, val)) = pair.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(k, _)| k != name);
            if !attrs.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), val.to_string()));
            }
        }
    }

    pub fn csrf(&self) -> String {
        self.cookies
            .iter()
            .find(|(k, _)| k == "doxin_csrf")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub async fn get(&mut self, path: &str) -> reqwest::Response {
        let resp = self
            .client
            .get(format!("{}{path}", self.app_url))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.keep_cookies(&resp);
        resp
    }

    /// The page at `path`, which must answer 200; its HTML.
    pub async fn page(&mut self, path: &str) -> String {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
        resp.text().await.expect("body")
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let resp = self
            .client
            .post(format!("{}{path}", self.app_url))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields)
                    .finish(),
            )
            .send()
            .await
            .expect("POST");
        self.keep_cookies(&resp);
        resp
    }
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_signed_out_visit_is_sent_to_sign_in_and_comes_back() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    for path in ["/", "/invoices?status=approved", "/upload"] {
        let resp = b.get(path).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        let to = location(&resp);
        assert!(to.starts_with("/login?next="), "{path} → {to}");
    }
    let login = b.page("/login?next=/invoices").await;
    assert!(
        login.contains("name=\"next\" value=\"&#x2f;invoices\"")
            || login.contains("value=\"/invoices\""),
        "{login}"
    );
    let resp = b
        .post_form(
            "/login",
            &[
                ("email", app.user.email.as_str()),
                ("password", TEST_PASSWORD),
                ("next", "/invoices"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/invoices");
    let page = b.page("/invoices").await;
    assert!(page.contains("<h1>Invoices</h1>"));
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_in_words() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let resp = b
        .post_form(
            "/login",
            &[
                ("email", app.user.email.as_str()),
                ("password", "wrong-password-1"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let html = resp.text().await.expect("body");
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(
        html.contains("The e-mail address or password is wrong."),
        "{html}"
    );
}

#[tokio::test]
async fn sign_in_never_sends_the_browser_to_another_site() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let resp = b
        .post_form(
            "/login",
            &[
                ("email", app.user.email.as_str()),
                ("password", TEST_PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(location(&resp), "/");
}

#[tokio::test]
async fn pages_carry_a_policy_without_inline_script_and_refuse_frames() {
    let app = spawn_app().await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    for path in [
        "/",
        "/login",
        "/invoices",
        "/upload",
        "/register",
        "/request-access",
    ] {
        let resp = b.get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let csp = resp.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp")
            .to_string();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(resp.headers()["x-frame-options"], "DENY", "{path}");
        assert_eq!(resp.headers()["cache-control"], "no-store", "{path}");
        let html = resp.text().await.expect("body");
        assert!(!html.contains("<script>"), "{path} has an inline script");
        assert!(!html.contains(" style=\""), "{path} has an inline style");
    }
}

#[tokio::test]
async fn a_form_without_the_session_token_changes_nothing() {
    let app = spawn_app().await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    let resp = b.post_form("/logout", &[("_csrf", "forged")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Still signed in.
    b.page("/").await;
    let csrf = b.csrf();
    let resp = b.post_form("/logout", &[("_csrf", csrf.as_str())]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        b.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "signed out"
    );
}

#[tokio::test]
async fn a_deactivated_user_lands_on_sign_in_at_the_next_page() {
    // The deactivation below is written to the store, not made through the API: without the
    // auth cache the next page sees it at once (its bound: auth_cache.rs).
    let app = spawn_app_with(SpawnOptions {
        tweak_auth: Some(no_auth_cache),
        ..Default::default()
    })
    .await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    b.page("/").await;
    app.store
        .update_user(
            app.user.id,
            doxin_store::UserUpdate {
                is_active: Some(false),
                ..Default::default()
            },
        )
        .await
        .expect("deactivate");
    let resp = b.get("/invoices").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&resp).contains("reason=inactive"),
        "{}",
        location(&resp)
    );
    let login = b.page(&location(&resp)).await;
    assert!(login.contains("deactivated"), "{login}");
}

#[tokio::test]
async fn unknown_pages_are_html_and_unknown_api_paths_are_problems() {
    let app = spawn_app().await;
    let page = app
        .anon
        .get(app.url("/no-such-page"))
        .send()
        .await
        .expect("send");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    let api = app
        .anon
        .get(app.url("/api/v1/no-such"))
        .send()
        .await
        .expect("send");
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn assets_have_hashed_names_and_a_year_of_cache() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let html = b.page("/login").await;
    let css = html
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.ends_with(".css"))
        .expect("a style sheet")
        .replace("&#x2f;", "/");
    let resp = app.anon.get(app.url(&css)).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::OK, "{css}");
    assert_eq!(
        resp.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        app.anon
            .get(app.url("/assets/app.00000000.css"))
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::NOT_FOUND
    );
}

/// Stores `n` synthetic invoices of `user` (in their own workspace), every third one
/// waiting for review, as the pipeline would.
pub async fn seed(app: &TestApp, user: &TestUser, n: u64) -> Vec<uuid::Uuid> {
    let mut ids = Vec::new();
    for i in 0..n {
        let invoice = doxin_synth::generate(i + 1, &doxin_synth::Spec::default()).truth;
        let status = if i % 3 == 0 {
            doxin_store::InvoiceStatus::NeedsReview
        } else {
            doxin_store::InvoiceStatus::Approved
        };
        let stored = app
            .store
            .insert_invoice(doxin_store::NewInvoice {
                owner_id: Some(user.id),
                workspace_id: Some(user.id),
                file_id: None,
                job_id: None,
                status,
                confidence: 0.9,
                invoice,
                findings: vec![],
                vendor_id: None,
                customer_id: None,
                duplicate_of: None,
                file_sha256: None,
            })
            .await
            .expect("insert");
        ids.push(stored.id);
    }
    ids
}

#[tokio::test]
async fn the_invoice_list_filters_searches_with_highlights_and_links_its_export() {
    let app = spawn_app().await;
    let ids = seed(&app, &app.user, 40).await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    let all = b.page("/invoices").await;
    assert!(all.matches("<tr>").count() > 10, "{all}");
    let approved = b.page("/invoices?status=approved").await;
    assert!(!approved.contains("status-rejected"), "only approved ones");
    assert!(
        approved.contains("format=csv&amp;status=approved"),
        "export keeps the filter"
    );
    let seller = app
        .store
        .get_invoice(ids[0], doxin_store::Scope::All)
        .await
        .expect("invoice")
        .invoice
        .seller
        .name
        .expect("seller")
        .value;
    let word = seller
        .split_whitespace()
        .next()
        .expect("a word")
        .to_string();
    let search = b.page(&format!("/invoices?q={word}")).await;
    assert!(
        search.contains(&format!("<mark>{word}</mark>")),
        "{word}: {search}"
    );
    // The export link of a search exports what the search found, nothing else.
    let link = search
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("format=csv"))
        .expect("an export link")
        .replace("&amp;", "&");
    let csv = b.get(&link).await;
    assert_eq!(csv.status(), StatusCode::OK, "{link}");
    let csv = csv.text().await.expect("csv");
    let rows = csv.lines().count() - 1;
    let shown = search.matches("<tr>").count() - 1;
    assert!(rows > 0 && rows <= 40, "{rows} rows for {link}");
    assert_eq!(rows, shown, "a page of matches is all of them here: {link}");
    let bad = b.get("/invoices?date_from=yesterday").await;
    assert_eq!(bad.status(), StatusCode::OK);
    assert!(bad.text().await.expect("body").contains("role=\"alert\""));
}

#[tokio::test]
async fn the_dashboard_shows_totals_queue_and_chart() {
    let app = spawn_app().await;
    seed(&app, &app.user, 30).await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = b.page("/").await;
    assert!(
        html.contains("<span class=\"tile-n\">30</span> invoices"),
        "{html}"
    );
    assert!(html.contains("<svg class=\"chart\""), "a chart of months");
    assert!(
        html.contains("href=\"/review/"),
        "the review queue links to reviews"
    );
}

#[tokio::test]
async fn an_upload_by_form_without_javascript_queues_the_files() {
    let app = spawn_app().await;
    let b = Browser::signed_in(&app, &app.user).await;
    let csrf = b.csrf();
    let pdf = doxin_synth::generate(1, &doxin_synth::Spec::default()).pdf;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .text("auto_save", "true")
        .text("confidence_threshold", "0.8")
        .part(
            "files",
            reqwest::multipart::Part::bytes(pdf)
                .file_name("a.pdf")
                .mime_str("application/pdf")
                .expect("mime"),
        )
        .part(
            "files",
            reqwest::multipart::Part::bytes(Vec::new()).file_name("empty.pdf"),
        );
    let resp = b
        .client
        .post(format!("{}/upload", b.app_url))
        .header("cookie", b.cookie_header())
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("body");
    assert!(
        html.contains("a.pdf <span class=\"status status-queued\">queued</span>"),
        "{html}"
    );
    assert!(
        html.contains("empty.pdf <span class=\"status status-failed\">refused</span>"),
        "{html}"
    );
}

#[tokio::test]
async fn first_run_setup_by_form_creates_the_administrator() {
    let app = spawn_app_with(SpawnOptions {
        fresh_install: true,
        ..Default::default()
    })
    .await;
    let token = app.auth.arm_setup();
    let mut b = Browser::new(&app);
    let page = b.page(&format!("/setup?token={token}")).await;
    assert!(
        page.contains(&format!("value=\"{token}\"")),
        "the link fills in the token"
    );
    let form = |t: &str, again: &str| {
        vec![
            ("setup_token", t.to_string()),
            ("email", "root@example.com".to_string()),
            ("display_name", "Root".to_string()),
            ("password", TEST_PASSWORD.to_string()),
            ("password_again", again.to_string()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let url = format!("{}/setup", b.app_url);
        async move {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client")
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(fields.iter().map(|(k, v)| (*k, v.as_str())))
                        .finish(),
                )
                .send()
                .await
                .expect("POST /setup")
        }
    };
    let differ = post(form(&token, "something else entirely")).await;
    assert_eq!(differ.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = post(form("not-the-token", TEST_PASSWORD)).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(
        wrong
            .text()
            .await
            .expect("body")
            .contains("The setup token is wrong")
    );
    let ok = post(form(&token, TEST_PASSWORD)).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ok), "/login?reason=set-up");
    let root = TestUser {
        id: uuid::Uuid::nil(),
        email: "root@example.com".into(),
        token: String::new(),
    };
    let mut admin = Browser::signed_in(&app, &root).await;
    let home = admin.page("/").await;
    assert!(home.contains("href=\"/admin\""), "an administrator's menu");
    let done = b.page("/setup").await;
    assert!(done.contains("already has its administrator"));
}

#[tokio::test]
async fn the_jobs_page_filters_by_state_and_outcome() {
    let app = spawn_app().await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    let page = b.page("/jobs").await;
    assert!(page.contains("No jobs here"), "{page}");
    for show in ["running", "needs_review", "duplicate", "failed"] {
        let html = b.page(&format!("/jobs?show={show}")).await;
        assert!(html.contains("aria-current=\"page\""), "{show}");
    }
    let bad = app
        .req(
            reqwest::Method::GET,
            "/api/v1/jobs/my-jobs?outcome=lost",
            Some(&app.user),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_reports_page_asks_for_a_report_lists_it_and_deletes_it() {
    let app = spawn_app().await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = b.page("/reports").await;
    assert!(html.contains("No reports yet"), "{html}");
    assert!(html.contains("<option value=\"vat_summary\">"), "{html}");

    // No format chosen: the form says so and nothing is asked for.
    let resp = b
        .post_form(
            "/reports",
            &[("_csrf", &b.csrf()), ("report_type", "vat_summary")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("Choose at least one format.")
    );

    // A date the API cannot read comes back in words.
    let resp = b
        .post_form(
            "/reports",
            &[
                ("_csrf", &b.csrf()),
                ("report_type", "vat_summary"),
                ("from", "next tuesday"),
                ("formats", "csv"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.expect("body").contains("alert-error"));

    let resp = b
        .post_form(
            "/reports",
            &[
                ("_csrf", &b.csrf()),
                ("report_type", "vat_summary"),
                ("title", "First quarter VAT"),
                ("from", "2026-01-01"),
                ("to", "2026-03-31"),
                ("period", "month"),
                ("formats", "xlsx"),
                ("formats", "csv"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/reports?done=queued");
    let html = b.page("/reports?done=queued").await;
    assert!(html.contains("First quarter VAT"), "{html}");
    assert!(html.contains("being prepared"), "{html}");

    // The API holds what the form asked for.
    let list: serde_json::Value = app.get("/api/v1/reports").await.json().await.expect("json");
    let report = &list["items"][0];
    assert_eq!(report["report_type"], "vat_summary");
    assert_eq!(report["parameters"]["from"], "2026-01-01");
    assert_eq!(report["formats"], serde_json::json!(["xlsx", "csv"]));
    let id = report["id"].as_str().expect("id").to_string();

    // Another user does not see it on their page.
    let other = app.create_user("reports-other@example.com", false).await;
    let mut o = Browser::signed_in(&app, &other).await;
    assert!(!o.page("/reports").await.contains(&id));

    // Without the form's token nothing is deleted; with it the report goes.
    let resp = b
        .post_form(&format!("/reports/{id}/delete"), &[("_csrf", "wrong")])
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = b
        .post_form(&format!("/reports/{id}/delete"), &[("_csrf", &b.csrf())])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(!b.page("/reports?done=deleted").await.contains(&id));
}
