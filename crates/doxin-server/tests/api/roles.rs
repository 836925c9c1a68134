//! The role matrix (issue 13): every route that works on a workspace's data, called in a
//! team's workspace by each role (viewer, clerk, approver, administrator) and by an outsider,
//! on SQLite and on PostgreSQL. A role below the route's least role gets 403 `role_forbidden`;
//! the least role and every role above it get their answer; an outsider naming the team's
//! workspace gets 404 `workspace_not_found`, and without naming it 404 for the team's objects.
//! A route added to the router is either in this table or listed as not workspace-scoped, or
//! `every_route_has_a_least_role` fails.

use std::collections::BTreeSet;

use doxin_model::{Extracted, Invoice};
use doxin_store::{InvoiceStatus, NewInvoice};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{SpawnOptions, TestApp, TestUser, fresh_pg_database, spawn_app_with};

/// The roles of a workspace, least first (as `doxin_store::WorkspaceRole` orders them).
/// Creating a workspace (`POST /api/v1/workspaces`) is for system administrators and is in the
/// authorization matrix; listing them shares its path and is here.
const ROLES: [&str; 4] = ["viewer", "clerk", "approver", "admin"];

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Pdf,
}

#[derive(Debug, Clone)]
struct Row {
    method: Method,
    /// The route template, as in the router.
    route: &'static str,
    path: String,
    body: Body,
    /// The least role that may call it (an index into [`ROLES`]).
    least: usize,
    /// Whether a second call cannot succeed (a deletion): only the least role makes it.
    once: bool,
    /// Whether the path names one of the team's objects (an outsider without the header gets
    /// 404 for it too).
    object: bool,
}

fn row(method: Method, route: &'static str, path: impl Into<String>, least: &str) -> Row {
    Row {
        object: route.contains('{'),
        method,
        route,
        path: path.into(),
        body: Body::None,
        least: ROLES.iter().position(|r| *r == least).expect("a role name"),
        once: false,
    }
}

fn json_row(
    method: Method,
    route: &'static str,
    path: impl Into<String>,
    least: &str,
    body: Value,
) -> Row {
    Row {
        body: Body::Json(body),
        ..row(method, route, path, least)
    }
}

/// Routes that do not work on a workspace's data: public, the caller's own account, the
/// system administration, and the WebSocket (its events are checked in `intake` and `ws`).
const NOT_WORKSPACE_SCOPED: &[&str] = &[
    "/api/health",
    "/api/v1/health",
    "/api/v1/health/database",
    "/api/v1/health/detailed",
    "/metrics",
    "/setup",
    "/ws",
    // A report and a template are their creator's, not the workspace's (another member gets
    // 404 like anyone else: the authorization matrix and tests/api/reports.rs check that);
    // asking for and listing reports are in the table below.
    "/api/v1/reports/{id}",
    "/api/v1/reports/{id}/download",
    "/api/v1/reports/templates",
    "/api/v1/reports/templates/{id}",
];

fn workspace_scoped(route: &str) -> bool {
    !(NOT_WORKSPACE_SCOPED.contains(&route)
        || route.starts_with("/api/v1/auth/")
        || route.starts_with("/api/v1/admin/"))
}

/// The team's objects the rows act on.
struct Objects {
    team: Uuid,
    job: Uuid,
    invoice: Uuid,
    /// One invoice to delete.
    doomed: Uuid,
    company: Uuid,
    /// A user who is added to and removed from the team.
    spare: Uuid,
}

fn matrix(o: &Objects) -> Vec<Row> {
    let (t, inv, job) = (o.team, o.invoice, o.job);
    let edit = json!({"buyer_name": "Buyer AG"});
    vec![
        row(
            Method::GET,
            "/api/v1/workspaces",
            "/api/v1/workspaces",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/workspaces/{id}",
            format!("/api/v1/workspaces/{t}"),
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/workspaces/{id}/members",
            format!("/api/v1/workspaces/{t}/members"),
            "viewer",
        ),
        json_row(
            Method::PATCH,
            "/api/v1/workspaces/{id}",
            format!("/api/v1/workspaces/{t}"),
            "admin",
            json!({"name": "Accounts payable"}),
        ),
        json_row(
            Method::PUT,
            "/api/v1/workspaces/{id}/members/{user_id}",
            format!("/api/v1/workspaces/{t}/members/{}", o.spare),
            "admin",
            json!({"role": "viewer"}),
        ),
        Row {
            once: true,
            ..row(
                Method::DELETE,
                "/api/v1/workspaces/{id}/members/{user_id}",
                format!("/api/v1/workspaces/{t}/members/{}", o.spare),
                "admin",
            )
        },
        json_row(
            Method::POST,
            "/api/v1/workspaces/{id}/invitations",
            format!("/api/v1/workspaces/{t}/invitations"),
            "admin",
            json!({"role": "clerk"}),
        ),
        // Intake and jobs.
        Row {
            body: Body::Pdf,
            ..row(
                Method::POST,
                "/api/v1/invoices/upload",
                "/api/v1/invoices/upload",
                "clerk",
            )
        },
        json_row(
            Method::POST,
            "/api/v1/invoices/process",
            "/api/v1/invoices/process",
            "clerk",
            json!({"url": "http://127.0.0.1:9/x.pdf"}),
        ),
        json_row(
            Method::POST,
            "/api/v1/invoices/process-batch",
            "/api/v1/invoices/process-batch",
            "clerk",
            json!({"files": [{"blob_url": "http://127.0.0.1:9/x.pdf"}]}),
        ),
        row(
            Method::GET,
            "/api/v1/jobs/my-jobs",
            "/api/v1/jobs/my-jobs",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/jobs/unread-count",
            "/api/v1/jobs/unread-count",
            "viewer",
        ),
        // Read marks are the reader's own: reading is all a viewer does.
        json_row(
            Method::POST,
            "/api/v1/jobs/mark-as-read",
            "/api/v1/jobs/mark-as-read",
            "viewer",
            json!({"job_ids": [job]}),
        ),
        row(
            Method::GET,
            "/api/v1/invoices/status/{job_id}",
            format!("/api/v1/invoices/status/{job}"),
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/jobs/{job_id}",
            format!("/api/v1/jobs/{job}"),
            "viewer",
        ),
        row(
            Method::POST,
            "/api/v1/jobs/{job_id}/cancel",
            format!("/api/v1/jobs/{job}/cancel"),
            "clerk",
        ),
        row(
            Method::POST,
            "/api/v1/invoices/approve/{job_id}",
            format!("/api/v1/invoices/approve/{job}"),
            "approver",
        ),
        // Companies and the dashboard.
        row(
            Method::GET,
            "/api/v1/companies",
            "/api/v1/companies",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/companies/{id}",
            format!("/api/v1/companies/{}", o.company),
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/dashboard/stats",
            "/api/v1/dashboard/stats",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/dashboard/supported-types",
            "/api/v1/dashboard/supported-types",
            "viewer",
        ),
        // Reports: any member may ask for one over the workspace's invoices.
        row(Method::GET, "/api/v1/reports", "/api/v1/reports", "viewer"),
        json_row(
            Method::POST,
            "/api/v1/reports",
            "/api/v1/reports",
            "viewer",
            json!({"report_type": "financial", "formats": ["csv"]}),
        ),
        // Analytics.
        row(
            Method::GET,
            "/api/v1/reports/analytics/summary",
            "/api/v1/reports/analytics/summary?from=2020-01-01",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/reports/analytics/invoice-stats",
            "/api/v1/reports/analytics/invoice-stats?from=2020-01-01",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/reports/analytics/top-companies",
            "/api/v1/reports/analytics/top-companies?limit=5",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/reports/analytics/trends",
            "/api/v1/reports/analytics/trends?months=6",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/reports/analytics/executive-dashboard",
            "/api/v1/reports/analytics/executive-dashboard?from=2020-01-01",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/reports/analytics/customer-analytics",
            "/api/v1/reports/analytics/customer-analytics?limit=5",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/reports/analytics/product-performance",
            "/api/v1/reports/analytics/product-performance?limit=5",
            "viewer",
        ),
        // Invoices.
        row(
            Method::GET,
            "/api/v1/invoices",
            "/api/v1/invoices?per_page=5",
            "viewer",
        ),
        json_row(
            Method::POST,
            "/api/v1/invoices",
            "/api/v1/invoices",
            "clerk",
            json!({"invoice_number": "R-1", "seller": {"name": "Role GmbH"}}),
        ),
        row(
            Method::GET,
            "/api/v1/invoices/search",
            "/api/v1/invoices/search?q=Nordwind",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/invoices/semantic-search",
            "/api/v1/invoices/semantic-search?q=logistics",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/invoices/export",
            "/api/v1/invoices/export?format=csv",
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/invoices/{id}",
            format!("/api/v1/invoices/{inv}"),
            "viewer",
        ),
        json_row(
            Method::PUT,
            "/api/v1/invoices/{id}",
            format!("/api/v1/invoices/{inv}"),
            "clerk",
            edit.clone(),
        ),
        json_row(
            Method::PATCH,
            "/api/v1/invoices/{id}",
            format!("/api/v1/invoices/{inv}"),
            "clerk",
            edit,
        ),
        row(
            Method::GET,
            "/api/v1/invoices/{id}/file",
            format!("/api/v1/invoices/{inv}/file"),
            "viewer",
        ),
        Row {
            body: Body::Pdf,
            ..row(
                Method::PUT,
                "/api/v1/invoices/{id}/file",
                format!("/api/v1/invoices/{inv}/file"),
                "clerk",
            )
        },
        row(
            Method::GET,
            "/api/v1/invoices/{id}/similar",
            format!("/api/v1/invoices/{inv}/similar"),
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/invoices/{id}/export",
            format!("/api/v1/invoices/{inv}/export?format=json"),
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/invoices/{id}/history",
            format!("/api/v1/invoices/{inv}/history"),
            "viewer",
        ),
        row(
            Method::GET,
            "/api/v1/invoices/{id}/queue-neighbours",
            format!("/api/v1/invoices/{inv}/queue-neighbours"),
            "viewer",
        ),
        json_row(
            Method::POST,
            "/api/v1/invoices/{id}/comments",
            format!("/api/v1/invoices/{inv}/comments"),
            "clerk",
            json!({"text": "checked the delivery note"}),
        ),
        json_row(
            Method::POST,
            "/api/v1/invoices/{id}/assign",
            format!("/api/v1/invoices/{inv}/assign"),
            "clerk",
            json!({"assignee_id": null}),
        ),
        row(
            Method::POST,
            "/api/v1/invoices/{id}/reprocess",
            format!("/api/v1/invoices/{inv}/reprocess"),
            "clerk",
        ),
        row(
            Method::POST,
            "/api/v1/invoices/{id}/approve",
            format!("/api/v1/invoices/{inv}/approve"),
            "approver",
        ),
        json_row(
            Method::POST,
            "/api/v1/invoices/{id}/reject",
            format!("/api/v1/invoices/{inv}/reject"),
            "approver",
            json!({"reason": "not our order"}),
        ),
        json_row(
            Method::POST,
            "/api/v1/invoices/bulk",
            "/api/v1/invoices/bulk",
            "approver",
            json!({"ids": [inv], "action": "approve"}),
        ),
        Row {
            once: true,
            ..row(
                Method::DELETE,
                "/api/v1/invoices/{id}",
                format!("/api/v1/invoices/{}", o.doomed),
                "clerk",
            )
        },
    ]
}

async fn send(app: &TestApp, r: &Row, who: &TestUser, workspace: Option<Uuid>) -> (u16, Value) {
    let mut rb = app.req(r.method.clone(), &r.path, Some(who));
    if let Some(w) = workspace {
        rb = rb.header("X-Workspace-Id", w.to_string());
    }
    rb = match &r.body {
        Body::None => rb,
        Body::Json(v) => rb.json(v),
        Body::Pdf => rb.multipart(
            reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(crate::intake::handmade_pdf(""))
                    .file_name("r.pdf")
                    .mime_str("application/pdf")
                    .expect("mime"),
            ),
        ),
    };
    let resp = rb.send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// An invoice of the team's, as the pipeline would have saved it (with the uploaded file).
async fn team_invoice(app: &TestApp, team: Uuid, uploader: Uuid, file: Uuid) -> Uuid {
    let mut inv = Invoice {
        invoice_number: Some(Extracted::xml("T-1".to_string())),
        currency: Some(Extracted::xml("EUR".to_string())),
        ..Invoice::default()
    };
    inv.seller.name = Some(Extracted::xml("Nordwind Logistik GmbH".to_string()));
    let (vendor, _) = doxin_jobs::match_companies(app.store.as_ref(), Some(team), &inv)
        .await
        .expect("companies");
    app.store
        .insert_invoice(NewInvoice {
            owner_id: Some(uploader),
            workspace_id: Some(team),
            file_id: Some(file),
            job_id: None,
            status: InvoiceStatus::NeedsReview,
            confidence: 0.7,
            invoice: inv,
            findings: vec![],
            vendor_id: vendor,
            customer_id: None,
            duplicate_of: None,
            file_sha256: None,
        })
        .await
        .expect("invoice")
        .id
}

#[tokio::test]
async fn every_role_gets_what_its_role_allows_on_sqlite() {
    role_matrix(spawn_app_with(SpawnOptions::default()).await).await;
}

#[tokio::test]
async fn every_role_gets_what_its_role_allows_on_postgres() {
    let Some(url) = fresh_pg_database("doxin_roles").await else {
        return;
    };
    role_matrix(
        spawn_app_with(SpawnOptions {
            database_url: Some(url),
            ..Default::default()
        })
        .await,
    )
    .await;
}

async fn role_matrix(app: TestApp) {
    // The default user's first workspace is the team; each role is a member of it.
    let owner = app.user.clone();
    let team = owner.id;
    let mut members = Vec::new();
    for role in ROLES {
        let user = app.create_user(&format!("{role}@example.com"), false).await;
        let resp = app
            .req(
                Method::PUT,
                &format!("/api/v1/workspaces/{team}/members/{}", user.id),
                Some(&owner),
            )
            .json(&json!({ "role": role }))
            .send()
            .await
            .expect("member");
        assert_eq!(resp.status(), StatusCode::OK);
        members.push(user);
    }
    let outsider = app.create_user("outsider@example.com", false).await;
    let spare = app.create_user("spare@example.com", false).await;

    // The clerk uploads into the team's workspace: a job, its file, an invoice from it.
    let upload = Row {
        body: Body::Pdf,
        ..row(
            Method::POST,
            "/api/v1/invoices/upload",
            "/api/v1/invoices/upload",
            "clerk",
        )
    };
    let (status, queued) = send(&app, &upload, &members[1], Some(team)).await;
    assert_eq!(status, 202, "{queued}");
    let id_of = |k: &str| -> Uuid {
        queued["jobs"][0][k]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{k} in {queued}"))
    };
    let (job, file) = (id_of("job_id"), id_of("file_id"));
    let invoice = team_invoice(&app, team, members[1].id, file).await;
    let doomed = team_invoice(&app, team, members[1].id, file).await;
    let company = app
        .store
        .get_invoice(invoice, doxin_store::Scope::All)
        .await
        .expect("invoice")
        .vendor_id
        .expect("vendor");
    let objects = Objects {
        team,
        job,
        invoice,
        doomed,
        company,
        spare: spare.id,
    };

    let mut failures = Vec::new();
    for r in matrix(&objects) {
        let label = format!("{} {}", r.method, r.path);
        // Outsiders first: they must not learn anything, and change nothing.
        let (status, body) = send(&app, &r, &outsider, Some(team)).await;
        if (status, body["code"].as_str()) != (404, Some("workspace_not_found")) {
            failures.push(format!(
                "{label}: outsider naming the team got {status} {body}"
            ));
        }
        if r.object {
            let (status, body) = send(&app, &r, &outsider, None).await;
            if status != 404 {
                failures.push(format!("{label}: outsider got {status} {body}"));
            }
        }
        for (i, (role, user)) in ROLES.iter().zip(&members).enumerate() {
            if r.once && i > r.least {
                break;
            }
            let (status, body) = send(&app, &r, user, Some(team)).await;
            if i < r.least {
                if (status, body["code"].as_str()) != (403, Some("role_forbidden")) {
                    failures.push(format!("{label}: {role} got {status} {body}, not 403"));
                }
            } else if matches!(status, 401 | 403 | 404) || status >= 500 {
                failures.push(format!("{label}: {role} got {status} {body}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // The refused calls changed nothing: the deleted invoice was deleted by the clerk, and the
    // shared invoice's audit entries name members only.
    let audit = app
        .store
        .list_audit(
            &doxin_store::AuditFilter {
                entity_id: Some(invoice.to_string()),
                ..Default::default()
            },
            doxin_store::PageRequest::new(1, 100),
        )
        .await
        .expect("audit");
    let viewer = members[0].id;
    assert!(
        audit
            .items
            .iter()
            .all(|e| e.actor_id != Some(viewer) && e.actor_id != Some(outsider.id)),
        "{:?}",
        audit.items
    );
}

#[test]
fn every_route_has_a_least_role() {
    let id = Uuid::nil();
    let objects = Objects {
        team: id,
        job: id,
        invoice: id,
        doomed: id,
        company: id,
        spare: id,
    };
    let covered: BTreeSet<String> = matrix(&objects)
        .iter()
        .map(|r| r.route.to_string())
        .collect();
    let missing: Vec<String> = crate::authz::registered_routes()
        .into_iter()
        .filter(|r| workspace_scoped(r) && !covered.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "workspace routes without a least role: {missing:?}"
    );
}
