//! The analytics page and the reports page's templates, as a browser without JavaScript sees
//! them: the figures on `/analytics` are the analytics API's for the same viewer (their
//! workspace; an administrator: every workspace), a range the API refuses is a form error in
//! its words, and templates are saved, listed, used and deleted through the page, each only by
//! its owner.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app};
use crate::web::{Browser, location};

const ANALYTICS: &str = "/api/v1/reports/analytics";

/// Stores the synthetic invoices `seeds` of `user` (in their own workspace): every third
/// waiting for review, every fifth rejected, the rest approved.
async fn seed(app: &TestApp, user: &TestUser, seeds: std::ops::Range<u64>) {
    for (i, s) in seeds.enumerate() {
        let invoice = doxin_synth::generate(s, &doxin_synth::Spec::default()).truth;
        let status = if i % 5 == 4 {
            doxin_store::InvoiceStatus::Rejected
        } else if i % 3 == 0 {
            doxin_store::InvoiceStatus::NeedsReview
        } else {
            doxin_store::InvoiceStatus::Approved
        };
        app.store
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
    }
}

/// The API's answer at `path` for `user` (who must be allowed it).
async fn api(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let resp = app
        .req(reqwest::Method::GET, path, Some(user))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    resp.json().await.expect("json")
}

/// Text as the page's templates escape it.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// The part of `html` from `start` to the next `end` after it.
fn part<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in the page:\n{html}"));
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// An amount as the page writes it: the API's exact string, in its currency.
fn money(value: &Value, currency: &Value) -> String {
    format!(
        "<data class=\"money\" value=\"{}\" data-currency=\"{}\">",
        value
            .as_str()
            .unwrap_or_else(|| panic!("not a string: {value}")),
        currency.as_str().unwrap_or("")
    )
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The invoices tile of the key figures: its number.
fn invoices_tile(html: &str) -> String {
    part(
        html,
        "<li id=\"kpi-invoices\"><span class=\"tile-n\">",
        "</span>",
    )
    .trim_start_matches("<li id=\"kpi-invoices\"><span class=\"tile-n\">")
    .to_string()
}

/// The count of every invoice in the range (by status, in all): its number.
fn total_count(html: &str) -> String {
    part(html, "<span class=\"count\" id=\"total-count\">", "</span>")
        .trim_start_matches("<span class=\"count\" id=\"total-count\">")
        .to_string()
}

/// Every figure of the page against the API's answers for `user` with the query `q`.
async fn assert_page_is_the_apis(app: &TestApp, user: &TestUser, html: &str, q: &str) {
    let get = |what: &str| format!("{ANALYTICS}/{what}?{q}");
    let exec = api(app, user, &get("executive-dashboard")).await;
    let summary = api(app, user, &get("summary")).await;
    let top = api(app, user, &format!("{}&limit=10", get("top-companies"))).await;
    let customers = api(
        app,
        user,
        &format!("{}&limit=10", get("customer-analytics")),
    )
    .await;
    let trends = api(app, user, &get("trends")).await;

    // Key figures: the count, and the gross of each currency with the period before's.
    assert_eq!(
        invoices_tile(html),
        text(&exec["current"]["total_invoices"]),
        "the invoices tile"
    );
    let gross = exec["change"]["gross_by_currency"]
        .as_array()
        .expect("gross");
    assert!(!gross.is_empty(), "{exec}");
    assert_eq!(html.matches("class=\"kpi-gross\"").count(), gross.len());
    for g in gross {
        let tile = part(
            html,
            &format!(
                "class=\"kpi-gross\" data-currency=\"{}\"",
                g["currency"].as_str().unwrap_or("")
            ),
            "</li>",
        );
        assert!(
            tile.contains(&money(&g["current"], &g["currency"])),
            "{tile}"
        );
        if g["previous"] != "0" {
            assert!(
                tile.contains(&money(&g["previous"], &g["currency"])),
                "{tile}"
            );
        }
        if let Some(pct) = g["change_pct"].as_str() {
            assert!(tile.contains(&format!("{pct} %")), "{tile}");
        }
    }

    // Counts by status and the totals per currency.
    assert_eq!(total_count(html), text(&summary["total_invoices"]));
    for status in ["approved", "needs_review", "rejected"] {
        assert!(
            html.contains(&format!(
                "data-status=\"{status}\">{}</span>",
                summary["by_status"][status]
            )),
            "{status}: {}",
            summary["by_status"]
        );
    }
    let totals = part(html, "<table id=\"totals\">", "</table>");
    for t in summary["totals_by_currency"].as_array().expect("totals") {
        for col in ["net", "tax", "gross", "average_gross"] {
            assert!(
                totals.contains(&money(&t[col], &t["currency"])),
                "{col}: {t}"
            );
        }
    }
    let overdue_count = summary["overdue"]["count"].as_u64().expect("count");
    if overdue_count > 0 {
        let overdue = part(html, "<ul class=\"plain rows\" id=\"overdue\">", "</ul>");
        for o in summary["overdue"]["by_currency"]
            .as_array()
            .expect("overdue")
        {
            assert!(overdue.contains(&money(&o["gross"], &o["currency"])), "{o}");
        }
    }

    // Top vendors and customers, one table per currency.
    let vendors = part(html, "<h2 id=\"vendors-h\">", "</section>");
    let groups = top["vendors"].as_array().expect("vendors");
    assert_eq!(
        vendors.matches("<table class=\"ranking\"").count(),
        groups.len()
    );
    for group in groups {
        let table = part(
            vendors,
            &format!(
                "<table class=\"ranking\" data-currency=\"{}\">",
                group["currency"].as_str().unwrap_or("")
            ),
            "</table>",
        );
        for v in group["items"].as_array().expect("items") {
            let name = esc(v["name"].as_str().expect("name"));
            assert!(table.contains(&format!(">{name}</a>")), "{name}");
            assert!(
                table.contains(&money(&v["gross"], &group["currency"])),
                "{v}"
            );
        }
    }
    let section = part(html, "<h2 id=\"customers-h\">", "</section>");
    for group in customers["customers"].as_array().expect("customers") {
        let table = part(
            section,
            &format!(
                "<table class=\"ranking\" data-currency=\"{}\">",
                group["currency"].as_str().unwrap_or("")
            ),
            "</table>",
        );
        for c in group["items"].as_array().expect("items") {
            assert!(table.contains(&esc(c["name"].as_str().expect("name"))));
            assert!(
                table.contains(&money(&c["gross"], &group["currency"])),
                "{c}"
            );
            if let Some(share) = c["share_pct"].as_str() {
                assert!(table.contains(&format!("{share} %")), "{c}");
            }
        }
    }

    // The trend's table: every month, each currency's exact gross.
    let months = trends["months"].as_array().expect("months");
    let table = part(html, "<table id=\"trend-table\">", "</table>");
    assert_eq!(table.matches("<th scope=\"row\">").count(), months.len());
    for m in months {
        let row = part(
            table,
            &format!(
                "<th scope=\"row\">{}</th>",
                m["month"].as_str().expect("month")
            ),
            "</tr>",
        );
        for c in m["by_currency"].as_array().expect("currencies") {
            assert!(row.contains(&money(&c["gross"], &c["currency"])), "{m}");
        }
    }
}

#[tokio::test]
async fn the_analytics_page_shows_the_apis_figures_per_currency() {
    let app = spawn_app().await;
    seed(&app, &app.user, 1..31).await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = b.page("/analytics").await;
    assert!(
        html.contains("analytics\" aria-current=\"page\">Analytics</a>"),
        "in the menu, as the current page"
    );
    assert!(!html.contains(" style=\""), "no inline style");
    assert!(!html.contains("analytics-empty"));
    assert_page_is_the_apis(&app, &app.user, &html, "").await;
    // Thirty invoices, six of them rejected: counted, but in no amount.
    let summary = api(&app, &app.user, &format!("{ANALYTICS}/summary")).await;
    assert_eq!(summary["total_invoices"], 30);
    assert_eq!(summary["by_status"]["rejected"], 6);
    // A chart per currency of the trend (the data's last twelve months), each with its text
    // alternative.
    let trends = api(&app, &app.user, &format!("{ANALYTICS}/trends")).await;
    let currencies: std::collections::BTreeSet<String> = trends["months"]
        .as_array()
        .expect("months")
        .iter()
        .flat_map(|m| m["by_currency"].as_array().cloned().unwrap_or_default())
        .map(|c| text(&c["currency"]))
        .collect();
    assert!(!currencies.is_empty(), "{trends}");
    assert_eq!(
        html.matches("<figure class=\"trend\"").count(),
        currencies.len()
    );
    assert_eq!(html.matches("<desc id=\"trend-").count(), currencies.len());
    for c in &currencies {
        assert!(
            html.contains(&format!("Gross in {c} per month of issue: ")),
            "{c}"
        );
    }

    // A range goes to the API as it is: the page shows the API's figures for it, and its
    // links to the invoices keep it.
    let first = summary["first_issue_date"].as_str().expect("first");
    let last = summary["last_issue_date"].as_str().expect("last");
    assert_ne!(first, last, "the invoices span more than a day");
    let q = format!("from={first}&to={first}");
    let html = b.page(&format!("/analytics?{q}")).await;
    assert!(
        html.contains(&format!("value=\"{first}\"")),
        "the form keeps it"
    );
    assert!(!html.contains("role=\"alert\""), "{html}");
    assert_page_is_the_apis(&app, &app.user, &html, &q).await;
    let ranged = api(&app, &app.user, &format!("{ANALYTICS}/summary?{q}")).await;
    assert!(ranged["total_invoices"].as_u64() < Some(30), "{ranged}");
    assert!(
        html.contains(&format!(
            "/invoices?status=approved&amp;date_from={first}&amp;date_to={first}"
        )),
        "{html}"
    );
}

#[tokio::test]
async fn a_user_sees_only_their_workspaces_figures_and_an_administrator_everyones() {
    let app = spawn_app().await;
    seed(&app, &app.user, 1..13).await;
    let other = app.create_user("analytics-other@example.com", false).await;

    // Nothing of their own yet: the friendly empty page, none of the owner's figures.
    let mut o = Browser::signed_in(&app, &other).await;
    let empty = o.page("/analytics").await;
    assert!(empty.contains("id=\"analytics-empty\""), "{empty}");
    assert!(empty.contains("No invoices yet"), "{empty}");
    let owners = api(&app, &app.user, &format!("{ANALYTICS}/top-companies")).await;
    for group in owners["vendors"].as_array().expect("vendors") {
        for v in group["items"].as_array().expect("items") {
            let name = esc(v["name"].as_str().expect("name"));
            assert!(!empty.contains(&name), "{name} is the owner's");
        }
    }

    // Their own three: their figures, not the owner's twelve.
    seed(&app, &other, 101..104).await;
    let html = o.page("/analytics").await;
    assert_eq!(total_count(&html), "3");
    assert_page_is_the_apis(&app, &other, &html, "").await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    assert_eq!(total_count(&b.page("/analytics").await), "12");

    // An administrator who chose no workspace: every workspace, as the API gives them.
    let admin = app.create_user("analytics-admin@example.com", true).await;
    let mut a = Browser::signed_in(&app, &admin).await;
    let html = a.page("/analytics").await;
    assert!(html.contains("Invoices of every workspace"), "{html}");
    assert_eq!(total_count(&html), "15");
    assert_page_is_the_apis(&app, &admin, &html, "").await;
}

#[tokio::test]
async fn a_range_the_api_refuses_is_a_form_error_in_its_words() {
    let app = spawn_app().await;
    seed(&app, &app.user, 1..7).await;
    let mut b = Browser::signed_in(&app, &app.user).await;
    for (q, words) in [
        ("from=2026-05-01&to=2026-01-01", "`from` is after `to`."),
        (
            "from=next+tuesday",
            "`from` must be a date (YYYY-MM-DD, years 1 to 9999).",
        ),
        // Valid for the totals, but the period before it is out of the calendar.
        (
            "from=0001-01-01&to=0001-06-30",
            "The period before `from` is out of the calendar.",
        ),
    ] {
        let resp = b.get(&format!("/analytics?{q}")).await;
        assert_eq!(resp.status(), StatusCode::OK, "{q}");
        let html = resp.text().await.expect("body");
        let alert = part(
            &html,
            "<div class=\"alert alert-error\" role=\"alert\"",
            "</div>",
        );
        assert!(alert.contains(words), "{q}: {alert}");
        assert!(html.contains("aria-invalid=\"true\""), "{q}");
        // The figures without a range below it, as the API gives them.
        assert_eq!(total_count(&html), "6", "{q}");
        assert_page_is_the_apis(&app, &app.user, &html, "").await;
    }
    // The API says the same, as a 400.
    let resp = app
        .req(
            reqwest::Method::GET,
            &format!("{ANALYTICS}/summary?from=2026-05-01&to=2026-01-01"),
            Some(&app.user),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn analytics_of_an_empty_database_and_of_an_empty_period_say_so() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let resp = b.get("/analytics").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "signed out");
    assert!(location(&resp).starts_with("/login?next="));
    let mut b = Browser::signed_in(&app, &app.user).await;
    let html = b.page("/analytics").await;
    assert!(html.contains("No invoices yet"), "{html}");
    assert!(!html.contains("kpi-invoices"), "no figures of nothing");
    seed(&app, &app.user, 1..4).await;
    let html = b.page("/analytics?from=1990-01-01&to=1990-12-31").await;
    assert!(
        html.contains("No invoices were issued in this period."),
        "{html}"
    );
    assert!(!b.page("/analytics").await.contains("analytics-empty"));
}

fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().cloned().unwrap_or_default()
}

/// The report form filled in: a VAT summary of the first quarter in euros, CSV and PDF.
fn settings(csrf: &str, name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("_csrf", csrf.to_string()),
        ("report_type", "vat_summary".into()),
        ("title", String::new()),
        ("template_name", name.to_string()),
        ("from", "2026-01-01".into()),
        ("to", "2026-03-31".into()),
        ("currency", "eur".into()),
        ("period", "quarter".into()),
        ("formats", "csv".into()),
        ("formats", "pdf".into()),
    ]
}

async fn post(b: &mut Browser, path: &str, fields: &[(&'static str, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_form(path, &pairs).await
}

async fn list(app: &TestApp, user: &TestUser, path: &str) -> Vec<Value> {
    items(&api(app, user, path).await)
}

#[tokio::test]
async fn report_templates_are_saved_listed_used_and_deleted_on_the_reports_page() {
    let app = spawn_app().await;
    let me = &app.user;
    let templates = "/api/v1/reports/templates";
    let mut b = Browser::signed_in(&app, me).await;
    let html = b.page("/reports").await;
    assert!(html.contains("No templates yet"), "{html}");

    // Without the session's token nothing is saved.
    let resp = post(&mut b, "/reports/templates", &settings("forged", "X")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Without a name (nor a title) the form says so and comes back as it was filled in.
    let csrf = b.csrf();
    let resp = post(&mut b, "/reports/templates", &settings(&csrf, "")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("body");
    assert!(
        html.contains("Name the template to save these settings."),
        "{html}"
    );
    assert!(
        html.contains("value=\"2026-03-31\""),
        "the form keeps its values"
    );
    assert!(
        html.contains("<option value=\"quarter\" selected>"),
        "{html}"
    );
    // A range the API refuses comes back in its words.
    let mut reversed = settings(&csrf, "Reversed");
    reversed[4].1 = "2026-04-01".into();
    let resp = post(&mut b, "/reports/templates", &reversed).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("body");
    assert!(html.contains("`from` is after `to`."), "{html}");
    assert!(list(&app, me, templates).await.is_empty());

    // Saved: the API holds the form's settings, the page lists it.
    let resp = post(
        &mut b,
        "/reports/templates",
        &settings(&csrf, "Quarterly VAT"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/reports?done=template-saved");
    let saved = list(&app, me, templates).await;
    assert_eq!(saved.len(), 1, "{saved:?}");
    let t = &saved[0];
    assert_eq!(t["name"], "Quarterly VAT");
    assert_eq!(t["report_type"], "vat_summary");
    assert_eq!(
        t["parameters"],
        json!({"from": "2026-01-01", "to": "2026-03-31", "currency": "EUR", "period": "quarter"})
    );
    assert_eq!(t["formats"], json!(["csv", "pdf"]));
    let id = t["id"].as_str().expect("id").to_string();
    let html = b.page("/reports?done=template-saved").await;
    assert!(html.contains("Template saved"), "{html}");
    let row = part(&html, &format!("<tr data-template=\"{id}\">"), "</tr>");
    assert!(row.contains("Quarterly VAT"), "{row}");
    assert!(
        row.contains("issued 2026-01-01 to 2026-03-31 · EUR · per quarter"),
        "{row}"
    );
    assert!(
        row.contains(&format!("action=\"/reports/templates/{id}/use\"")),
        "{row}"
    );

    // Another user neither sees, uses nor deletes it.
    let other = app.create_user("templates-other@example.com", false).await;
    let mut o = Browser::signed_in(&app, &other).await;
    assert!(!o.page("/reports").await.contains(&id));
    let their_csrf = o.csrf();
    for action in ["use", "delete"] {
        let resp = post(
            &mut o,
            &format!("/reports/templates/{id}/{action}"),
            &[("_csrf", their_csrf.clone())],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{action}");
    }
    assert!(list(&app, &other, "/api/v1/reports").await.is_empty());
    assert_eq!(list(&app, me, templates).await.len(), 1, "still there");

    // One click: a report from the template, named after it, with its settings.
    let use_it = format!("/reports/templates/{id}/use");
    let resp = post(&mut b, &use_it, &[("_csrf", "forged".into())]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(list(&app, me, "/api/v1/reports").await.is_empty());
    let resp = post(&mut b, &use_it, &[("_csrf", csrf.clone())]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/reports?done=queued");
    let reports = list(&app, me, "/api/v1/reports").await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["title"], "Quarterly VAT");
    assert_eq!(reports[0]["report_type"], "vat_summary");
    assert_eq!(reports[0]["parameters"], t["parameters"]);
    assert_eq!(reports[0]["formats"], json!(["csv", "pdf"]));
    assert!(
        b.page("/reports?done=queued")
            .await
            .contains("being prepared")
    );

    // Deleted: gone from the API and the page; the report made from it stays.
    let resp = post(
        &mut b,
        &format!("/reports/templates/{id}/delete"),
        &[("_csrf", csrf.clone())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/reports?done=template-deleted");
    assert!(list(&app, me, templates).await.is_empty());
    let html = b.page("/reports?done=template-deleted").await;
    assert!(html.contains("Template deleted."), "{html}");
    assert!(!html.contains(&format!("data-template=\"{id}\"")));
    assert!(html.contains("No templates yet"));
    assert_eq!(list(&app, me, "/api/v1/reports").await.len(), 1);
}
