//! The authorization matrix: every route, called by an anonymous client, user A (who owns the
//! objects), user B and an administrator. B never reads or changes A's invoice, job, file or
//! export: those answer 404, exactly as for an id that does not exist. Administration answers
//! 403 to users. A route added to the router without a row here fails
//! `every_route_is_in_the_matrix`.

use std::collections::BTreeSet;

use doxin_model::{Extracted, Invoice};
use doxin_store::{InvoiceStatus, NewInvoice, Scope};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TEST_PASSWORD, TestApp, TestUser, spawn_app};

/// Who may do what on a route.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user, on their own data.
    Authed,
    /// An object of A's: A and the administrator, B gets 404.
    OwnedByA,
    /// Administrators only: users get 403.
    Admin,
    /// A shared secret, not a user (the alert webhook's `WEBHOOK_SECRET`): every user's
    /// credential is refused with 401 like none at all; only the secret is let in.
    Secret,
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Multipart,
}

/// Who exercises an owned route once B has been refused (destructive routes run once).
#[derive(Debug, Clone, Copy, PartialEq)]
enum By {
    Both,
    AOnly,
    AdminOnly,
}

#[derive(Debug, Clone)]
struct Case {
    method: Method,
    /// The route template, as in the router.
    route: &'static str,
    /// The concrete path.
    path: String,
    body: Body,
    class: Class,
    by: By,
}

fn case(method: Method, route: &'static str, path: impl Into<String>, class: Class) -> Case {
    Case {
        method,
        route,
        path: path.into(),
        body: Body::None,
        class,
        by: By::Both,
    }
}

fn by(mut c: Case, who: By) -> Case {
    c.by = who;
    c
}

fn with_json(mut c: Case, v: Value) -> Case {
    c.body = Body::Json(v);
    c
}

fn pdf() -> Vec<u8> {
    crate::intake::handmade_pdf("")
}

async fn send(app: &TestApp, c: &Case, who: Option<&TestUser>) -> u16 {
    let mut rb = app.req(c.method.clone(), &c.path, who);
    rb = match &c.body {
        Body::None => rb,
        Body::Json(v) => rb.json(v),
        Body::Multipart => rb.multipart(
            reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(pdf())
                    .file_name("m.pdf")
                    .mime_str("application/pdf")
                    .expect("mime"),
            ),
        ),
    };
    rb.send().await.expect("send").status().as_u16()
}

struct Fixture {
    a: TestUser,
    b: TestUser,
    admin: TestUser,
    job: Uuid,
    job_for_admin: Uuid,
    invoice: Uuid,
    invoice_for_admin: Uuid,
    company: Uuid,
    token_of_a: Uuid,
    code: Uuid,
    request: Uuid,
    request_for_admin: Uuid,
    /// A's generated reports (the second for the administrator to delete) and templates.
    report: Uuid,
    report_for_admin: Uuid,
    template: Uuid,
    template_for_admin: Uuid,
}

/// A report of `user`'s, generated (its job run as a worker runs it).
async fn report_of(app: &TestApp, user: &TestUser) -> Uuid {
    let queued: Value = app
        .req(Method::POST, "/api/v1/reports", Some(user))
        .json(&json!({"report_type": "financial", "formats": ["csv"]}))
        .send()
        .await
        .expect("report")
        .json()
        .await
        .expect("json");
    let id = |k: &str| -> Uuid {
        queued[k]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{k} in {queued}"))
    };
    let job = app
        .store
        .claim_job(
            id("job_id"),
            "authz",
            chrono::Utc::now() + chrono::Duration::minutes(5),
        )
        .await
        .expect("claim")
        .expect("claimable");
    doxin_jobs::ReportRunner::new(app.store.clone(), doxin_jobs::EventBus::local())
        .run(&job, chrono::Utc::now().date_naive())
        .await
        .expect("report job");
    id("id")
}

async fn template_of(app: &TestApp, user: &TestUser) -> Uuid {
    let t: Value = app
        .req(Method::POST, "/api/v1/reports/templates", Some(user))
        .json(&json!({"name": "T", "report_type": "ap_aging"}))
        .send()
        .await
        .expect("template")
        .json()
        .await
        .expect("json");
    t["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("template id")
}

async fn upload_as(app: &TestApp, user: &TestUser) -> (Uuid, Uuid) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(pdf())
            .file_name("a.pdf")
            .mime_str("application/pdf")
            .expect("mime"),
    );
    let body: Value = app
        .req(Method::POST, "/api/v1/invoices/upload", Some(user))
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let id = |k: &str| {
        body["jobs"][0][k]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{k} in {body}"))
    };
    (id("job_id"), id("file_id"))
}

async fn invoice_of(app: &TestApp, owner: Uuid, file: Uuid, number: &str) -> Uuid {
    let mut inv = Invoice {
        invoice_number: Some(Extracted::xml(number.to_string())),
        currency: Some(Extracted::xml("EUR".to_string())),
        ..Invoice::default()
    };
    inv.seller.name = Some(Extracted::xml("Nordwind Logistik GmbH".to_string()));
    inv.buyer.name = Some(Extracted::xml("Buyer AG".to_string()));
    let vendor = app
        .store
        .upsert_company(doxin_store::NewCompany {
            workspace_id: Some(owner),
            kind: doxin_store::CompanyKind::Vendor,
            name: "Nordwind Logistik GmbH".into(),
            vat_id: None,
            tax_number: None,
            country: None,
            address: json!({}),
        })
        .await
        .expect("company");
    app.store
        .insert_invoice(NewInvoice {
            owner_id: Some(owner),
            workspace_id: Some(owner),
            file_id: Some(file),
            job_id: None,
            status: InvoiceStatus::NeedsReview,
            confidence: 0.7,
            invoice: inv,
            findings: vec![],
            vendor_id: Some(vendor.id),
            customer_id: None,
            duplicate_of: None,
            file_sha256: None,
        })
        .await
        .expect("invoice")
        .id
}

async fn fixture(app: &TestApp) -> Fixture {
    let a = app.user.clone();
    let b = app.create_user("b@example.com", false).await;
    let admin = app.create_user("admin@example.com", true).await;
    let (job, file) = upload_as(app, &a).await;
    let (job_for_admin, file2) = upload_as(app, &a).await;
    let invoice = invoice_of(app, a.id, file, "A-1").await;
    let invoice_for_admin = invoice_of(app, a.id, file2, "A-2").await;
    let company = app
        .store
        .get_invoice(invoice, Scope::All)
        .await
        .expect("invoice")
        .vendor_id
        .expect("vendor");
    // A second token of A's, to be revoked (A keeps signing in with the first).
    let token: Value = app
        .req(Method::POST, "/api/v1/auth/api-tokens", Some(&a))
        .json(&json!({"name": "to revoke"}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token_of_a = token["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("token id");
    let codes: Value = app
        .req(Method::POST, "/api/v1/admin/access-codes", Some(&admin))
        .json(&json!({"count": 1}))
        .send()
        .await
        .expect("codes")
        .json()
        .await
        .expect("json");
    let code = codes["items"][0]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("code id");
    let mut requests = Vec::new();
    for who in ["r1@example.com", "r2@example.com"] {
        let r: Value = app
            .req(Method::POST, "/api/v1/auth/access-requests", None)
            .json(&json!({"email": who, "name": "R"}))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        requests.push(r["id"].as_str().and_then(|s| s.parse().ok()).expect("id"));
    }
    let report = report_of(app, &a).await;
    let report_for_admin = report_of(app, &a).await;
    let template = template_of(app, &a).await;
    let template_for_admin = template_of(app, &a).await;
    Fixture {
        report,
        report_for_admin,
        template,
        template_for_admin,
        a,
        b,
        admin,
        job,
        job_for_admin,
        invoice,
        invoice_for_admin,
        company,
        token_of_a,
        code,
        request: requests[0],
        request_for_admin: requests[1],
    }
}

/// Every route with the class that decides who may call it. Destructive routes on A's objects
/// appear twice: once on the object A acts on, once on the object the administrator acts on.
fn matrix(f: &Fixture) -> Vec<Case> {
    use Class::*;
    let (inv, inv2, job, job2) = (f.invoice, f.invoice_for_admin, f.job, f.job_for_admin);
    let update = json!({"buyer_name": "Buyer AG"});
    vec![
        case(Method::GET, "/api/health", "/api/health", Public),
        case(Method::GET, "/api/v1/health", "/api/v1/health", Public),
        case(
            Method::GET,
            "/api/v1/health/database",
            "/api/v1/health/database",
            Public,
        ),
        case(
            Method::GET,
            "/api/v1/health/detailed",
            "/api/v1/health/detailed",
            Public,
        ),
        case(Method::GET, "/metrics", "/metrics", Public),
        case(Method::GET, "/setup", "/setup", Public),
        case(
            Method::GET,
            "/api/v1/auth/setup-status",
            "/api/v1/auth/setup-status",
            Public,
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/auth/setup",
                "/api/v1/auth/setup",
                Public,
            ),
            json!({"setup_token": "x", "email": "x@example.com", "password": "long enough pw"}),
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/auth/register",
                "/api/v1/auth/register",
                Public,
            ),
            json!({"email": "new@example.com", "password": "long enough pw"}),
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/auth/login",
                "/api/v1/auth/login",
                Public,
            ),
            json!({"email": "nobody@example.com", "password": "wrong password"}),
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/auth/validate-access-code",
                "/api/v1/auth/validate-access-code",
                Public,
            ),
            json!({"code": "ABCDEFGHJKMN"}),
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/auth/access-requests",
                "/api/v1/auth/access-requests",
                Public,
            ),
            json!({"email": "someone@example.com", "name": "S"}),
        ),
        case(Method::GET, "/api/v1/auth/me", "/api/v1/auth/me", Authed),
        case(
            Method::GET,
            "/api/v1/auth/session-info",
            "/api/v1/auth/session-info",
            Authed,
        ),
        case(
            Method::POST,
            "/api/v1/auth/track-login",
            "/api/v1/auth/track-login",
            Authed,
        ),
        case(
            Method::POST,
            "/api/v1/auth/jwt-token",
            "/api/v1/auth/jwt-token",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/auth/api-tokens",
            "/api/v1/auth/api-tokens",
            Authed,
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/auth/api-tokens",
                "/api/v1/auth/api-tokens",
                Authed,
            ),
            json!({"name": "matrix"}),
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/auth/change-password",
                "/api/v1/auth/change-password",
                Authed,
            ),
            // A refused new password (422): a real change would revoke the caller's API
            // tokens, which the rows after this one still use.
            json!({"current_password": TEST_PASSWORD, "new_password": "short"}),
        ),
        // Tokens are personal: not even an administrator revokes someone else's.
        by(
            case(
                Method::DELETE,
                "/api/v1/auth/api-tokens/{id}",
                format!("/api/v1/auth/api-tokens/{}", f.token_of_a),
                OwnedByA,
            ),
            By::AOnly,
        ),
        case(
            Method::POST,
            "/api/v1/auth/logout",
            "/api/v1/auth/logout",
            Authed,
        ),
        case(
            Method::POST,
            "/api/v1/auth/logout-everywhere",
            "/api/v1/auth/logout-everywhere",
            Authed,
        ),
        // Intake and jobs.
        Case {
            body: Body::Multipart,
            ..case(
                Method::POST,
                "/api/v1/invoices/upload",
                "/api/v1/invoices/upload",
                Authed,
            )
        },
        with_json(
            case(
                Method::POST,
                "/api/v1/invoices/process",
                "/api/v1/invoices/process",
                Authed,
            ),
            json!({"url": "http://127.0.0.1:9/x.pdf"}),
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/invoices/process-batch",
                "/api/v1/invoices/process-batch",
                Authed,
            ),
            json!({"files": [{"blob_url": "http://127.0.0.1:9/x.pdf"}]}),
        ),
        case(
            Method::GET,
            "/api/v1/jobs/my-jobs",
            "/api/v1/jobs/my-jobs",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/jobs/unread-count",
            "/api/v1/jobs/unread-count",
            Authed,
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/jobs/mark-as-read",
                "/api/v1/jobs/mark-as-read",
                Authed,
            ),
            json!({"job_ids": [job]}),
        ),
        case(
            Method::GET,
            "/api/v1/invoices/status/{job_id}",
            format!("/api/v1/invoices/status/{job}"),
            OwnedByA,
        ),
        case(
            Method::GET,
            "/api/v1/jobs/{job_id}",
            format!("/api/v1/jobs/{job}"),
            OwnedByA,
        ),
        by(
            case(
                Method::POST,
                "/api/v1/jobs/{job_id}/cancel",
                format!("/api/v1/jobs/{job}/cancel"),
                OwnedByA,
            ),
            By::AOnly,
        ),
        by(
            case(
                Method::POST,
                "/api/v1/jobs/{job_id}/cancel",
                format!("/api/v1/jobs/{job2}/cancel"),
                OwnedByA,
            ),
            By::AdminOnly,
        ),
        case(
            Method::POST,
            "/api/v1/invoices/approve/{job_id}",
            format!("/api/v1/invoices/approve/{job}"),
            OwnedByA,
        ),
        // Companies and dashboard.
        case(
            Method::GET,
            "/api/v1/companies",
            "/api/v1/companies",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/companies/{id}",
            format!("/api/v1/companies/{}", f.company),
            OwnedByA,
        ),
        case(
            Method::GET,
            "/api/v1/dashboard/stats",
            "/api/v1/dashboard/stats",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/dashboard/supported-types",
            "/api/v1/dashboard/supported-types",
            Authed,
        ),
        // Analytics.
        case(
            Method::GET,
            "/api/v1/reports/analytics/summary",
            "/api/v1/reports/analytics/summary?from=2020-01-01",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/reports/analytics/invoice-stats",
            "/api/v1/reports/analytics/invoice-stats?from=2020-01-01",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/reports/analytics/top-companies",
            "/api/v1/reports/analytics/top-companies?limit=5",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/reports/analytics/trends",
            "/api/v1/reports/analytics/trends?months=6",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/reports/analytics/executive-dashboard",
            "/api/v1/reports/analytics/executive-dashboard?from=2020-01-01",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/reports/analytics/customer-analytics",
            "/api/v1/reports/analytics/customer-analytics?limit=5",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/reports/analytics/product-performance",
            "/api/v1/reports/analytics/product-performance?limit=5",
            Authed,
        ),
        // Reports: A's own; B is refused as if they did not exist.
        case(Method::GET, "/api/v1/reports", "/api/v1/reports", Authed),
        with_json(
            case(Method::POST, "/api/v1/reports", "/api/v1/reports", Authed),
            json!({"report_type": "vendor_spend", "formats": ["csv"]}),
        ),
        case(
            Method::GET,
            "/api/v1/reports/{id}",
            format!("/api/v1/reports/{}", f.report),
            OwnedByA,
        ),
        case(
            Method::GET,
            "/api/v1/reports/{id}/download",
            format!("/api/v1/reports/{}/download?format=csv", f.report),
            OwnedByA,
        ),
        by(
            case(
                Method::DELETE,
                "/api/v1/reports/{id}",
                format!("/api/v1/reports/{}", f.report),
                OwnedByA,
            ),
            By::AOnly,
        ),
        by(
            case(
                Method::DELETE,
                "/api/v1/reports/{id}",
                format!("/api/v1/reports/{}", f.report_for_admin),
                OwnedByA,
            ),
            By::AdminOnly,
        ),
        case(
            Method::GET,
            "/api/v1/reports/templates",
            "/api/v1/reports/templates",
            Authed,
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/reports/templates",
                "/api/v1/reports/templates",
                Authed,
            ),
            json!({"name": "Mine", "report_type": "financial"}),
        ),
        by(
            case(
                Method::DELETE,
                "/api/v1/reports/templates/{id}",
                format!("/api/v1/reports/templates/{}", f.template),
                OwnedByA,
            ),
            By::AOnly,
        ),
        by(
            case(
                Method::DELETE,
                "/api/v1/reports/templates/{id}",
                format!("/api/v1/reports/templates/{}", f.template_for_admin),
                OwnedByA,
            ),
            By::AdminOnly,
        ),
        // Invoices.
        case(
            Method::GET,
            "/api/v1/invoices",
            "/api/v1/invoices?per_page=5",
            Authed,
        ),
        with_json(
            case(Method::POST, "/api/v1/invoices", "/api/v1/invoices", Authed),
            json!({"invoice": {"invoice_number": {"value": "NEW-1", "confidence": 1.0, "source": "human"}}}),
        ),
        case(
            Method::GET,
            "/api/v1/invoices/search",
            "/api/v1/invoices/search?q=Nordwind",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/invoices/semantic-search",
            "/api/v1/invoices/semantic-search?q=logistics",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/invoices/export",
            "/api/v1/invoices/export?format=csv",
            Authed,
        ),
        case(
            Method::GET,
            "/api/v1/invoices/{id}",
            format!("/api/v1/invoices/{inv}"),
            OwnedByA,
        ),
        with_json(
            case(
                Method::PUT,
                "/api/v1/invoices/{id}",
                format!("/api/v1/invoices/{inv}"),
                OwnedByA,
            ),
            update.clone(),
        ),
        with_json(
            case(
                Method::PATCH,
                "/api/v1/invoices/{id}",
                format!("/api/v1/invoices/{inv}"),
                OwnedByA,
            ),
            update,
        ),
        case(
            Method::GET,
            "/api/v1/invoices/{id}/file",
            format!("/api/v1/invoices/{inv}/file"),
            OwnedByA,
        ),
        Case {
            body: Body::Multipart,
            ..case(
                Method::PUT,
                "/api/v1/invoices/{id}/file",
                format!("/api/v1/invoices/{inv}/file"),
                OwnedByA,
            )
        },
        case(
            Method::GET,
            "/api/v1/invoices/{id}/similar",
            format!("/api/v1/invoices/{inv}/similar"),
            OwnedByA,
        ),
        case(
            Method::GET,
            "/api/v1/invoices/{id}/export",
            format!("/api/v1/invoices/{inv}/export?format=json"),
            OwnedByA,
        ),
        case(
            Method::POST,
            "/api/v1/invoices/{id}/approve",
            format!("/api/v1/invoices/{inv}/approve"),
            OwnedByA,
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/invoices/{id}/reject",
                format!("/api/v1/invoices/{inv}/reject"),
                OwnedByA,
            ),
            json!({"reason": "not our order"}),
        ),
        case(
            Method::GET,
            "/api/v1/invoices/{id}/history",
            format!("/api/v1/invoices/{inv}/history"),
            OwnedByA,
        ),
        case(
            Method::GET,
            "/api/v1/invoices/{id}/queue-neighbours",
            format!("/api/v1/invoices/{inv}/queue-neighbours"),
            OwnedByA,
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/invoices/bulk",
                "/api/v1/invoices/bulk",
                Authed,
            ),
            json!({"ids": [inv], "action": "approve"}),
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/invoices/{id}/assign",
                format!("/api/v1/invoices/{inv}/assign"),
                OwnedByA,
            ),
            json!({"assignee_id": null}),
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/invoices/{id}/comments",
                format!("/api/v1/invoices/{inv}/comments"),
                OwnedByA,
            ),
            json!({"text": "checked the delivery note"}),
        ),
        case(
            Method::POST,
            "/api/v1/invoices/{id}/reprocess",
            format!("/api/v1/invoices/{inv}/reprocess"),
            OwnedByA,
        ),
        by(
            case(
                Method::DELETE,
                "/api/v1/invoices/{id}",
                format!("/api/v1/invoices/{inv}"),
                OwnedByA,
            ),
            By::AOnly,
        ),
        by(
            case(
                Method::DELETE,
                "/api/v1/invoices/{id}",
                format!("/api/v1/invoices/{inv2}"),
                OwnedByA,
            ),
            By::AdminOnly,
        ),
        // Administration.
        case(
            Method::GET,
            "/api/v1/admin/users",
            "/api/v1/admin/users",
            Admin,
        ),
        case(
            Method::GET,
            "/api/v1/admin/users/{id}",
            format!("/api/v1/admin/users/{}", f.b.id),
            Admin,
        ),
        with_json(
            case(
                Method::PATCH,
                "/api/v1/admin/users/{id}",
                format!("/api/v1/admin/users/{}", f.b.id),
                Admin,
            ),
            json!({"role": "user"}),
        ),
        case(
            Method::GET,
            "/api/v1/admin/audit-log",
            "/api/v1/admin/audit-log",
            Admin,
        ),
        case(
            Method::GET,
            "/api/v1/admin/jobs",
            "/api/v1/admin/jobs",
            Admin,
        ),
        case(
            Method::GET,
            "/api/v1/admin/analytics/usage",
            "/api/v1/admin/analytics/usage",
            Admin,
        ),
        case(
            Method::GET,
            "/api/v1/admin/access-codes",
            "/api/v1/admin/access-codes",
            Admin,
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/admin/access-codes",
                "/api/v1/admin/access-codes",
                Admin,
            ),
            json!({}),
        ),
        case(
            Method::DELETE,
            "/api/v1/admin/access-codes/{id}",
            format!("/api/v1/admin/access-codes/{}", f.code),
            Admin,
        ),
        case(
            Method::GET,
            "/api/v1/admin/access-requests",
            "/api/v1/admin/access-requests",
            Admin,
        ),
        case(
            Method::POST,
            "/api/v1/admin/access-requests/{id}/approve",
            format!("/api/v1/admin/access-requests/{}/approve", f.request),
            Admin,
        ),
        case(
            Method::POST,
            "/api/v1/admin/access-requests/{id}/reject",
            format!(
                "/api/v1/admin/access-requests/{}/reject",
                f.request_for_admin
            ),
            Admin,
        ),
        case(
            Method::GET,
            "/api/v1/admin/alerts",
            "/api/v1/admin/alerts",
            Admin,
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/admin/alerts/webhook",
                "/api/v1/admin/alerts/webhook",
                Secret,
            ),
            crate::alerts::notification("firing", &[("fp-matrix", "DoxinApiDown")]),
        ),
        // Workspaces: A's personal workspace has A's id.
        case(
            Method::GET,
            "/api/v1/workspaces",
            "/api/v1/workspaces",
            Authed,
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/workspaces",
                "/api/v1/workspaces",
                Admin,
            ),
            json!({"name": "Matrix team"}),
        ),
        case(
            Method::GET,
            "/api/v1/workspaces/{id}",
            format!("/api/v1/workspaces/{}", f.a.id),
            OwnedByA,
        ),
        with_json(
            case(
                Method::PATCH,
                "/api/v1/workspaces/{id}",
                format!("/api/v1/workspaces/{}", f.a.id),
                OwnedByA,
            ),
            json!({"name": "A's team"}),
        ),
        case(
            Method::GET,
            "/api/v1/workspaces/{id}/members",
            format!("/api/v1/workspaces/{}/members", f.a.id),
            OwnedByA,
        ),
        // The administrator joins A's workspace as a viewer (B joining would open A's objects
        // to B for the rows after this one), and A removes them again.
        with_json(
            case(
                Method::PUT,
                "/api/v1/workspaces/{id}/members/{user_id}",
                format!("/api/v1/workspaces/{}/members/{}", f.a.id, f.admin.id),
                OwnedByA,
            ),
            json!({"role": "viewer"}),
        ),
        by(
            case(
                Method::DELETE,
                "/api/v1/workspaces/{id}/members/{user_id}",
                format!("/api/v1/workspaces/{}/members/{}", f.a.id, f.admin.id),
                OwnedByA,
            ),
            By::AOnly,
        ),
        with_json(
            case(
                Method::POST,
                "/api/v1/workspaces/{id}/invitations",
                format!("/api/v1/workspaces/{}/invitations", f.a.id),
                OwnedByA,
            ),
            json!({"role": "clerk"}),
        ),
        // The WebSocket's upgrade is checked in `intake::websocket_events_follow_ownership…`:
        // here, only that a plain GET needs a credential.
        case(Method::GET, "/ws", "/ws", Authed),
    ]
}

fn refused(status: u16) -> bool {
    matches!(status, 401 | 403 | 404) || status >= 500
}

fn expect_ok(failures: &mut Vec<String>, label: &str, who: &str, status: u16) {
    if refused(status) {
        failures.push(format!("{label}: {who} got {status}"));
    }
}

#[tokio::test]
async fn every_route_answers_each_kind_of_caller_as_it_should() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let mut failures = Vec::new();
    for c in &matrix(&f) {
        let label = format!("{} {}", c.method, c.path);
        let anon = send(&app, c, None).await;
        if c.class == Class::Public {
            // Public routes may still say no (a wrong password is 401), never fail.
            if anon >= 500 {
                failures.push(format!("{label}: anonymous got {anon}"));
            }
            continue;
        }
        if anon != 401 {
            failures.push(format!("{label}: anonymous got {anon}, not 401"));
        }
        if c.path == "/ws" {
            continue;
        }
        match c.class {
            Class::Public => {}
            Class::Authed => {
                for (who, user) in [("B", &f.b), ("admin", &f.admin), ("A", &f.a)] {
                    expect_ok(&mut failures, &label, who, send(&app, c, Some(user)).await);
                }
            }
            Class::OwnedByA => {
                let s = send(&app, c, Some(&f.b)).await;
                if s != 404 {
                    failures.push(format!("{label}: B got {s}, not 404"));
                }
                if c.by != By::AOnly {
                    expect_ok(
                        &mut failures,
                        &label,
                        "admin",
                        send(&app, c, Some(&f.admin)).await,
                    );
                }
                if c.by != By::AdminOnly {
                    expect_ok(&mut failures, &label, "A", send(&app, c, Some(&f.a)).await);
                }
            }
            Class::Secret => {
                for (who, user) in [("A", &f.a), ("B", &f.b), ("admin", &f.admin)] {
                    let s = send(&app, c, Some(user)).await;
                    if s != 401 {
                        failures.push(format!("{label}: {who} got {s}, not 401"));
                    }
                }
                let secret = TestUser {
                    id: Uuid::nil(),
                    email: String::new(),
                    token: crate::helpers::WEBHOOK_SECRET.to_string(),
                };
                expect_ok(
                    &mut failures,
                    &label,
                    "the secret",
                    send(&app, c, Some(&secret)).await,
                );
            }
            Class::Admin => {
                for (who, user) in [("A", &f.a), ("B", &f.b)] {
                    let s = send(&app, c, Some(user)).await;
                    if s != 403 {
                        failures.push(format!("{label}: {who} got {s}, not 403"));
                    }
                }
                expect_ok(
                    &mut failures,
                    &label,
                    "admin",
                    send(&app, c, Some(&f.admin)).await,
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // B's attempts changed nothing of A's: the first invoice was approved, then rejected, then
    // deleted by A — never by B — and the audit log names only A and the admin as actors on it.
    let audit = app
        .store
        .list_audit(
            &doxin_store::AuditFilter {
                entity_id: Some(f.invoice.to_string()),
                ..Default::default()
            },
            doxin_store::PageRequest::new(1, 100),
        )
        .await
        .expect("audit");
    assert!(!audit.items.is_empty());
    assert!(
        audit
            .items
            .iter()
            .all(|e| e.actor_id == Some(f.a.id) || e.actor_id == Some(f.admin.id)),
        "{:?}",
        audit.items
    );
}

/// The route templates the router registers, read from the route modules' sources.
pub(crate) fn registered_routes() -> BTreeSet<String> {
    let sources = [
        include_str!("../../src/lib.rs"),
        include_str!("../../src/metrics.rs"),
        include_str!("../../src/routes/access.rs"),
        include_str!("../../src/routes/admin.rs"),
        include_str!("../../src/routes/analytics.rs"),
        include_str!("../../src/routes/alerts.rs"),
        include_str!("../../src/routes/auth.rs"),
        include_str!("../../src/routes/companies.rs"),
        include_str!("../../src/routes/dashboard.rs"),
        include_str!("../../src/routes/exports.rs"),
        include_str!("../../src/routes/health.rs"),
        include_str!("../../src/routes/intake.rs"),
        include_str!("../../src/routes/invoices.rs"),
        include_str!("../../src/routes/jobs.rs"),
        include_str!("../../src/routes/review.rs"),
        include_str!("../../src/web/setup.rs"),
        include_str!("../../src/routes/reports.rs"),
        include_str!("../../src/routes/workspaces.rs"),
        include_str!("../../src/routes/ws.rs"),
    ];
    let mut routes = BTreeSet::new();
    for src in sources {
        for chunk in src.split(".route(").skip(1) {
            if let Some(start) = chunk.find('"') {
                let rest = &chunk[start + 1..];
                if let Some(end) = rest.find('"') {
                    routes.insert(rest[..end].to_string());
                }
            }
        }
    }
    routes
}

#[test]
fn every_route_is_in_the_matrix() {
    let id = Uuid::nil();
    let f = Fixture {
        a: TestUser {
            id,
            email: String::new(),
            token: String::new(),
        },
        b: TestUser {
            id,
            email: String::new(),
            token: String::new(),
        },
        admin: TestUser {
            id,
            email: String::new(),
            token: String::new(),
        },
        job: id,
        job_for_admin: id,
        invoice: id,
        invoice_for_admin: id,
        company: id,
        token_of_a: id,
        code: id,
        request: id,
        request_for_admin: id,
        report: id,
        report_for_admin: id,
        template: id,
        template_for_admin: id,
    };
    let covered: BTreeSet<String> = matrix(&f).iter().map(|c| c.route.to_string()).collect();
    let registered = registered_routes();
    assert!(registered.len() > 40, "{registered:?}");
    let missing: Vec<&String> = registered.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the matrix: {missing:?}"
    );
}
