//! The administration pages (`/admin/…`): the overview (jobs by state, live workers, recent
//! failures), users (search, activate, deactivate, change role), access codes (mint — the
//! code and its invitation link shown once — list by state, revoke), access requests
//! (approve, reject), the audit log and usage analytics.
//!
//! Every handler, GET and POST, starts with `viewer.require_admin()?`: anyone else gets the
//! 403 page, not the API's problem details. Changes go through the admin API in process, so
//! its rules (no self-lockout) and audit entries apply unchanged. A successful change
//! redirects back (303) with `done=<what>`, which the page turns into a fixed notice: a
//! notice is never text taken from the address.

use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::api::ApiClient;
use super::session::{Viewer, WebError, safe_next, url_encode};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/users", get(users))
        .route("/admin/users/{id}", post(user_action))
        .route("/admin/access-codes", get(codes).post(mint_code))
        .route("/admin/access-codes/{id}/revoke", post(revoke_code))
        .route("/admin/access-requests", get(requests))
        .route("/admin/access-requests/{id}/approve", post(approve_request))
        .route("/admin/access-requests/{id}/reject", post(reject_request))
        .route("/admin/audit", get(audit))
        .route("/admin/usage", get(usage))
}

/// Users, codes or requests fetched at once when a page filters them itself (the API has no
/// such filter); far more than a deployment's administrators page through by hand.
const MAX_SCAN_PAGES: u32 = 50;
/// Rows per page on the administration lists.
const PER_PAGE: usize = 25;

/// What a redirect after a successful post says on the page it lands on.
fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "activated" => "The user is active again and can sign in.",
        "deactivated" => "The user is deactivated; their sessions have ended.",
        "role" => "The role is changed.",
        "revoked" => "The access code is revoked; it can no longer be used.",
        "rejected" => "The access request is rejected.",
        "approved-mailed" => "The access request is approved; the invitation was e-mailed.",
        _ => return None,
    })
}

/// `next` (a local path) with `done=<what>` in place of any earlier one.
fn back_with(next: Option<&str>, done: &str) -> Response {
    let next = safe_next(next);
    let (path, query) = next.split_once('?').unwrap_or((next.as_str(), ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("done="))
        .collect();
    let done = format!("done={done}");
    params.push(&done);
    Redirect::to(&format!("{path}?{}", params.join("&"))).into_response()
}

/// Every item of a paged API list (at most [`MAX_SCAN_PAGES`] pages of 200).
async fn all_items(api: &ApiClient, viewer: &Viewer, path: &str) -> Result<Vec<Value>, WebError> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    for page in 1..=MAX_SCAN_PAGES {
        let listing = api
            .get(
                &viewer.caller,
                &format!("{path}{sep}per_page=200&page={page}"),
            )
            .await?;
        if let Some(items) = listing["items"].as_array() {
            out.extend(items.iter().cloned());
        }
        if !listing["pagination"]["has_next"].as_bool().unwrap_or(false) {
            break;
        }
    }
    Ok(out)
}

/// One page of `items` in the API's listing shape, so the `pager` macro shows it.
fn local_page(items: Vec<Value>, page: u32) -> Value {
    let total = items.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = (page.max(1) as usize).min(pages);
    let shown: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    json!({
        "items": shown,
        "pagination": {
            "page": page, "per_page": PER_PAGE, "total": total, "pages": pages,
            "has_next": page < pages, "has_prev": page > 1,
        },
    })
}

// ---------------------------------------------------------------- overview

async fn overview(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let jobs = api.get(&viewer.caller, "/api/v1/admin/jobs").await?;
    let pending = api
        .get(
            &viewer.caller,
            "/api/v1/admin/access-requests?status=pending&per_page=1",
        )
        .await?;
    let counts: Vec<Value> = ["queued", "running", "succeeded", "failed", "cancelled"]
        .iter()
        .map(|s| json!({"status": s, "count": jobs["counts"][s].as_u64().unwrap_or(0)}))
        .collect();
    Ok(viewer.render(
        "admin.html",
        context! {
            title => "Administration",
            jobs => jobs,
            counts => counts,
            pending_requests => pending["pagination"]["total"].as_u64().unwrap_or(0),
        },
    ))
}

// ---------------------------------------------------------------- users

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UsersQuery {
    q: Option<String>,
    page: Option<u32>,
    done: Option<String>,
}

async fn users(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<UsersQuery>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let search = q.q.as_deref().unwrap_or("").trim().to_lowercase();
    let page = q.page.unwrap_or(1).max(1);
    // The users API has no search: a search looks through every user here.
    let listing = if search.is_empty() {
        api.get(
            &viewer.caller,
            &format!("/api/v1/admin/users?per_page={PER_PAGE}&page={page}"),
        )
        .await?
    } else {
        let matches: Vec<Value> = all_items(&api, &viewer, "/api/v1/admin/users")
            .await?
            .into_iter()
            .filter(|u| {
                ["email", "display_name"].iter().any(|k| {
                    u[k].as_str()
                        .is_some_and(|v| v.to_lowercase().contains(&search))
                })
            })
            .collect();
        local_page(matches, page)
    };
    let query = q.q.clone().unwrap_or_default();
    Ok(viewer.render(
        "admin_users.html",
        context! {
            title => "Users",
            users => listing,
            q => query.clone(),
            page_base => format!("/admin/users?q={}&", url_encode(&query)),
            notice => notice(q.done.as_deref()),
        },
    ))
}

#[derive(Debug, Deserialize)]
struct UserActionForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    action: String,
    next: Option<String>,
}

async fn user_action(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Form(form): Form<UserActionForm>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    viewer.check_csrf(&form.csrf)?;
    let (patch, done) = match form.action.as_str() {
        "activate" => (json!({"is_active": true}), "activated"),
        "deactivate" => (json!({"is_active": false}), "deactivated"),
        "make_admin" => (json!({"role": "admin"}), "role"),
        "make_user" => (json!({"role": "user"}), "role"),
        _ => {
            return Err(WebError::page(
                axum::http::StatusCode::BAD_REQUEST,
                "Unknown action",
                "The form asked for something this page does not do. Go back and try again.",
            ));
        }
    };
    api.send(
        &viewer.caller,
        Method::PATCH,
        &format!("/api/v1/admin/users/{id}"),
        Some(patch),
    )
    .await?;
    Ok(back_with(
        Some(form.next.as_deref().unwrap_or("/admin/users")),
        done,
    ))
}

// ---------------------------------------------------------------- access codes

/// (value of `state`, label)
const CODE_STATES: &[(&str, &str)] = &[
    ("", "All"),
    ("active", "Active"),
    ("used", "Used"),
    ("expired", "Expired"),
    ("revoked", "Revoked"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CodesQuery {
    state: Option<String>,
    page: Option<u32>,
    done: Option<String>,
}

/// The access codes page; `minted` is the code just made (shown this once) and its link.
async fn render_codes(
    viewer: &Viewer,
    api: &ApiClient,
    q: &CodesQuery,
    minted: Option<Value>,
) -> Result<Response, WebError> {
    let state = q.state.clone().unwrap_or_default();
    let page = q.page.unwrap_or(1).max(1);
    // The codes API lists every state: the page filters by the state each code reports.
    let listing = if state.is_empty() {
        api.get(
            &viewer.caller,
            &format!("/api/v1/admin/access-codes?per_page={PER_PAGE}&page={page}"),
        )
        .await?
    } else {
        let items: Vec<Value> = all_items(api, viewer, "/api/v1/admin/access-codes")
            .await?
            .into_iter()
            .filter(|c| c["state"].as_str() == Some(state.as_str()))
            .collect();
        local_page(items, page)
    };
    let filters: Vec<Value> = CODE_STATES
        .iter()
        .map(|(v, label)| json!({"value": v, "label": label, "current": *v == state}))
        .collect();
    Ok(viewer.render(
        "admin_codes.html",
        context! {
            title => "Access codes",
            codes => listing,
            filters => filters,
            state => state.clone(),
            page_base => format!("/admin/access-codes?state={}&", url_encode(&state)),
            notice => notice(q.done.as_deref()),
            minted => minted,
        },
    ))
}

async fn codes(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<CodesQuery>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    render_codes(&viewer, &api, &q, None).await
}

#[derive(Debug, Deserialize)]
struct MintForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    expires_in_days: String,
}

/// Mints one code and shows the page with it and its invitation link: answered directly,
/// not by redirect, so the code never appears in an address or a later page.
async fn mint_code(
    viewer: Viewer,
    State(state): State<AppState>,
    Extension(api): Extension<ApiClient>,
    Form(form): Form<MintForm>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    viewer.check_csrf(&form.csrf)?;
    let mut body = json!({ "count": 1 });
    let note = form.note.trim();
    if !note.is_empty() {
        body["note"] = json!(note);
    }
    let days = form.expires_in_days.trim();
    if !days.is_empty() {
        let Ok(days) = days.parse::<u32>() else {
            return Err(WebError::page(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Days must be a number",
                "Give the days until the code expires as a whole number from 1 to 365, or leave it empty.",
            ));
        };
        body["expires_in_days"] = json!(days);
    }
    let made = api
        .send(
            &viewer.caller,
            Method::POST,
            "/api/v1/admin/access-codes",
            Some(body),
        )
        .await?;
    let code = made["items"][0]["code"].as_str().unwrap_or_default();
    let link = format!(
        "{}/register?code={}",
        state.auth.settings.public_url.trim_end_matches('/'),
        url_encode(code)
    );
    let minted = json!({
        "code": code,
        "link": link,
        "expires_at": made["items"][0]["expires_at"],
    });
    render_codes(&viewer, &api, &CodesQuery::default(), Some(minted)).await
}

#[derive(Debug, Deserialize)]
struct PlainForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    next: Option<String>,
}

async fn revoke_code(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Form(form): Form<PlainForm>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    viewer.check_csrf(&form.csrf)?;
    api.send(
        &viewer.caller,
        Method::DELETE,
        &format!("/api/v1/admin/access-codes/{id}"),
        None,
    )
    .await?;
    Ok(back_with(
        Some(form.next.as_deref().unwrap_or("/admin/access-codes")),
        "revoked",
    ))
}

// ---------------------------------------------------------------- access requests

const REQUEST_STATES: &[(&str, &str)] = &[
    ("pending", "Pending"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("all", "All"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RequestsQuery {
    status: Option<String>,
    page: Option<u32>,
    done: Option<String>,
}

/// The access requests page; `approved` is an approval's invitation (shown this once), and
/// `error` a refused form's reason.
async fn render_requests(
    viewer: &Viewer,
    api: &ApiClient,
    q: &RequestsQuery,
    approved: Option<Value>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let status = q
        .status
        .clone()
        .filter(|s| REQUEST_STATES.iter().any(|(v, _)| v == s))
        .unwrap_or_else(|| "pending".into());
    let page = q.page.unwrap_or(1).max(1);
    let listing = api
        .get(
            &viewer.caller,
            &format!(
                "/api/v1/admin/access-requests?status={status}&per_page={PER_PAGE}&page={page}"
            ),
        )
        .await?;
    let filters: Vec<Value> = REQUEST_STATES
        .iter()
        .map(|(v, label)| json!({"value": v, "label": label, "current": *v == status}))
        .collect();
    Ok(viewer.render(
        "admin_requests.html",
        context! {
            title => "Access requests",
            requests => listing,
            filters => filters,
            status => status.clone(),
            page_base => format!("/admin/access-requests?status={status}&"),
            notice => notice(q.done.as_deref()),
            error => error,
            approved => approved,
        },
    ))
}

async fn requests(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<RequestsQuery>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    render_requests(&viewer, &api, &q, None, None).await
}

/// Approves and shows the page with the invitation link when it was not mailed (answered
/// directly, so the code is in no address).
async fn approve_request(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Form(form): Form<PlainForm>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    viewer.check_csrf(&form.csrf)?;
    let answer = api
        .send(
            &viewer.caller,
            Method::POST,
            &format!("/api/v1/admin/access-requests/{id}/approve"),
            None,
        )
        .await;
    let q = RequestsQuery::default();
    match answer {
        Ok(a) if a["emailed"].as_bool() == Some(true) => {
            Ok(back_with(Some("/admin/access-requests"), "approved-mailed"))
        }
        Ok(a) => {
            let approved = json!({
                "email": a["request"]["email"],
                "link": a["invitation_link"],
                "email_error": a["email_error"],
            });
            render_requests(&viewer, &api, &q, Some(approved), None).await
        }
        Err(e) if e.status.as_u16() == 409 => {
            render_requests(&viewer, &api, &q, None, Some(e.message())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct RejectForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn reject_request(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Form(form): Form<RejectForm>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    viewer.check_csrf(&form.csrf)?;
    let q = RequestsQuery::default();
    let reason = form.reason.trim();
    // The page asks for a reason: a rejection is the decision the requester hears about.
    if reason.is_empty() {
        let error = "Give a reason to reject the request: it is kept with the decision.";
        return render_requests(&viewer, &api, &q, None, Some(error.into())).await;
    }
    match api
        .send(
            &viewer.caller,
            Method::POST,
            &format!("/api/v1/admin/access-requests/{id}/reject"),
            Some(json!({ "reason": reason })),
        )
        .await
    {
        Ok(_) => Ok(back_with(Some("/admin/access-requests"), "rejected")),
        Err(e) if e.status.as_u16() == 409 => {
            render_requests(&viewer, &api, &q, None, Some(e.message())).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- audit log

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
struct AuditQuery {
    /// An e-mail address (or a user id).
    actor: Option<String>,
    action: Option<String>,
    entity_type: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u32>,
}

/// Keys whose values differ between `before` and `after`, as rows of a two-column diff.
fn changes(before: &Value, after: &Value) -> Vec<Value> {
    let show = |v: Option<&Value>| match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    // An absent side (a creation or a deletion) counts as an object without keys.
    let object = |v: &Value| match v {
        Value::Object(m) => Some(m.clone()),
        Value::Null => Some(serde_json::Map::new()),
        _ => None,
    };
    match (object(before), object(after)) {
        (Some(b), Some(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| b.get(*k) != a.get(*k))
                .map(|k| json!({"key": k, "before": show(b.get(k)), "after": show(a.get(k))}))
                .collect()
        }
        _ => {
            vec![json!({"key": "value", "before": show(Some(before)), "after": show(Some(after))})]
        }
    }
}

async fn audit(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let users = all_items(&api, &viewer, "/api/v1/admin/users").await?;
    let email_of = |id: &Value| -> Option<String> {
        users
            .iter()
            .find(|u| u["id"] == *id)
            .and_then(|u| u["email"].as_str().map(str::to_string))
    };
    let mut error = None;
    let mut params: Vec<String> = Vec::new();
    let field = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(actor) = field(&q.actor) {
        let id = if Uuid::parse_str(&actor).is_ok() {
            Some(actor.clone())
        } else {
            users
                .iter()
                .find(|u| {
                    u["email"]
                        .as_str()
                        .is_some_and(|e| e.eq_ignore_ascii_case(&actor))
                })
                .and_then(|u| u["id"].as_str().map(str::to_string))
        };
        match id {
            Some(id) => params.push(format!("actor={id}")),
            None => error = Some(format!("No user has the e-mail address {actor}.")),
        }
    }
    for (name, value) in [
        ("action", &q.action),
        ("entity_type", &q.entity_type),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        if let Some(v) = field(value) {
            params.push(format!("{name}={}", url_encode(&v)));
        }
    }
    let filter_query = params.join("&");
    let page = q.page.unwrap_or(1).max(1);
    let listing = if error.is_some() {
        json!({"items": []})
    } else {
        match api
            .get(
                &viewer.caller,
                &format!("/api/v1/admin/audit-log?{filter_query}&per_page={PER_PAGE}&page={page}"),
            )
            .await
        {
            Ok(l) => l,
            Err(e) if e.status.as_u16() == 400 => {
                error = Some(e.message());
                json!({"items": []})
            }
            Err(e) => return Err(e.into()),
        }
    };
    let entries: Vec<Value> = listing["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|e| {
                    json!({
                        "id": e["id"],
                        "at": e["at"],
                        "at_text": e["at"].as_str().map(|t| {
                            format!("{} UTC", t.replace('T', " ").chars().take(19).collect::<String>())
                        }),
                        "actor": email_of(&e["actor_id"]).or_else(|| e["actor_id"].as_str().map(str::to_string)),
                        "action": e["action"],
                        "entity_type": e["entity_type"],
                        "entity_id": e["entity_id"],
                        "ip": e["ip"],
                        "changes": changes(&e["before"], &e["after"]),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // The page's own query (with the actor as typed) for the pager's links.
    let own: Vec<String> = [
        ("actor", &q.actor),
        ("action", &q.action),
        ("entity_type", &q.entity_type),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .iter()
    .filter_map(|(k, v)| field(v).map(|v| format!("{k}={}", url_encode(&v))))
    .collect();
    let mut page_base = format!("/admin/audit?{}", own.join("&"));
    if !own.is_empty() {
        page_base.push('&');
    }
    Ok(viewer.render(
        "admin_audit.html",
        context! {
            title => "Audit log",
            entries => entries,
            pagination => listing["pagination"].clone(),
            f => q,
            error => error,
            page_base => page_base,
        },
    ))
}

// ---------------------------------------------------------------- usage

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
struct UsageQuery {
    from: Option<String>,
    to: Option<String>,
}

/// Height of the usage charts' plotting area in SVG units.
const CHART_H: f64 = 140.0;

/// Vertical bars, one per day, scaled to the busiest day.
fn day_bars(days: &Value) -> (Vec<Value>, u64) {
    let items = days.as_array().cloned().unwrap_or_default();
    let max = items
        .iter()
        .filter_map(|d| d["requests"].as_u64())
        .max()
        .unwrap_or(0);
    let width = if items.len() > 40 { 12 } else { 20 };
    let bars = items
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let n = d["requests"].as_u64().unwrap_or(0);
            let share = if max > 0 { n as f64 / max as f64 } else { 0.0 };
            let h = (share * CHART_H).round();
            json!({
                "day": d["day"],
                "requests": n,
                "errors": d["client_errors"].as_u64().unwrap_or(0) + d["server_errors"].as_u64().unwrap_or(0),
                "x": i * (width + 4) + 8,
                "w": width,
                "y": 150.0 - h,
                "height": h,
                "label": i % 7 == 0,
            })
        })
        .collect();
    (bars, max)
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    text.chars()
        .take(max - 1)
        .chain(std::iter::once('…'))
        .collect()
}

/// Horizontal bars for the busiest `limit` rows of `rows`, scaled to the first.
fn rank_bars(rows: &Value, limit: usize, label: impl Fn(&Value) -> String) -> Vec<Value> {
    let items: Vec<Value> = rows
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .take(limit)
        .collect();
    let max = items
        .iter()
        .filter_map(|r| r["requests"].as_u64())
        .max()
        .unwrap_or(0);
    items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let n = r["requests"].as_u64().unwrap_or(0);
            let share = if max > 0 { n as f64 / max as f64 } else { 0.0 };
            json!({
                "short": short(&label(r), 38),
                "label": label(r),
                "requests": n,
                "y": i * 26 + 4,
                "width": (share * 300.0).round().max(1.0),
            })
        })
        .collect()
}

async fn usage(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<UsageQuery>,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let mut params = Vec::new();
    for (k, v) in [("from", &q.from), ("to", &q.to)] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            params.push(format!("{k}={}", url_encode(v)));
        }
    }
    let (report, error) = match api
        .get(
            &viewer.caller,
            &format!("/api/v1/admin/analytics/usage?{}", params.join("&")),
        )
        .await
    {
        Ok(r) => (r, None),
        Err(e) if e.status.as_u16() == 400 => (
            api.get(&viewer.caller, "/api/v1/admin/analytics/usage")
                .await?,
            Some(e.message()),
        ),
        Err(e) => return Err(e.into()),
    };
    let (days, max_day) = day_bars(&report["by_day"]);
    let routes = rank_bars(&report["by_route"], 10, |r| {
        format!(
            "{} {}",
            r["method"].as_str().unwrap_or(""),
            r["route"].as_str().unwrap_or("")
        )
    });
    let users = rank_bars(&report["by_user"], 10, |r| {
        r["email"].as_str().unwrap_or("anonymous").to_string()
    });
    let active_users = report["by_user"]
        .as_array()
        .map_or(0, |u| u.iter().filter(|u| !u["user_id"].is_null()).count());
    Ok(viewer.render(
        "admin_usage.html",
        context! {
            title => "Usage",
            report => report,
            days => days,
            max_day => max_day,
            routes => routes,
            users => users,
            active_users => active_users,
            f => q,
            error => error,
        },
    ))
}
