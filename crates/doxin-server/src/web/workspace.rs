//! The workspace page (`/workspace`): the current workspace's members and their roles and
//! approval limits, invitations by link, the approval rules, and the workspace switch the
//! layout's selector posts to (`POST /workspace/switch`).
//!
//! Everyone in the workspace reads the page; the forms that change it are shown to its
//! administrators (and system administrators), and the API refuses them to anyone else
//! anyway. The workspace a page acts in is remembered by the `doxin_workspace` cookie, which
//! the switch sets only after the API has confirmed the viewer may act there.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::api::{ApiClient, ApiRefusal};
use super::render;
use super::session::{Viewer, WORKSPACE_COOKIE, WebError, safe_next, url_encode};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workspace", get(page))
        .route("/workspace/switch", post(switch))
        .route("/workspace/members/{user_id}", post(set_member))
        .route("/workspace/members/{user_id}/remove", post(remove_member))
        .route("/workspace/invitations", post(invite))
        .route("/workspace/rules", post(set_rules))
}

const ROLES: &[(&str, &str)] = &[
    ("viewer", "Viewer — reads"),
    ("clerk", "Clerk — uploads and corrects"),
    ("approver", "Approver — approves and rejects"),
    ("admin", "Administrator — manages the workspace"),
];

fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "member" => "The member's role is changed.",
        "removed" => "The member is removed from the workspace.",
        "rules" => "The approval rules are saved.",
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageQuery {
    done: Option<String>,
}

/// The workspace the viewer acts in, or a page saying there is none.
fn current(viewer: &Viewer) -> Result<Uuid, WebError> {
    viewer.caller.workspace_id().ok_or_else(|| {
        WebError::page(
            StatusCode::NOT_FOUND,
            "No workspace",
            "You are not a member of any workspace. Ask an administrator to invite you.",
        )
    })
}

async fn render_page(
    viewer: &Viewer,
    api: &ApiClient,
    status: StatusCode,
    extra: Value,
) -> Result<Response, WebError> {
    let id = current(viewer)?;
    let (ws_path, members_path) = (
        format!("/api/v1/workspaces/{id}"),
        format!("/api/v1/workspaces/{id}/members"),
    );
    let (ws, members) = tokio::join!(
        api.get(&viewer.caller, &ws_path),
        api.get(&viewer.caller, &members_path),
    );
    let ws = ws?;
    let manage = ws["your_role"].as_str() == Some("admin");
    let rules_json = serde_json::to_string_pretty(&ws["approval_rules"]).unwrap_or_default();
    let roles: Vec<Value> = ROLES
        .iter()
        .map(|(v, l)| json!({"value": v, "label": l}))
        .collect();
    let base = viewer.base();
    Ok(render::page(
        status,
        "workspace.html",
        context! { ..minijinja::Value::from_serialize(&extra), ..context! {
            title => "Workspace",
            ws => ws,
            members => members?["items"].clone(),
            manage => manage,
            roles => roles,
            rules_json => rules_json,
        }, ..base },
    ))
}

async fn page(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    render_page(
        &viewer,
        &api,
        StatusCode::OK,
        json!({ "notice": notice(q.done.as_deref()) }),
    )
    .await
}

/// A refusal the form can show (a bad amount, a rule that makes no sense), or the error page.
async fn refused(
    viewer: &Viewer,
    api: &ApiClient,
    e: ApiRefusal,
    field: &str,
) -> Result<Response, WebError> {
    if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::BAD_REQUEST {
        let mut extra = json!({});
        extra[field] = json!(e.message());
        return render_page(viewer, api, e.status, extra).await;
    }
    Err(e.into())
}

#[derive(Debug, Deserialize)]
struct SwitchForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    workspace_id: String,
    next: Option<String>,
}

/// Remembers the workspace the pages act in, once the API confirms the viewer belongs to it
/// (or administers the system): anything else is the not-found page, and no cookie.
async fn switch(
    viewer: Viewer,
    State(state): State<AppState>,
    Extension(api): Extension<ApiClient>,
    Form(form): Form<SwitchForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    let id = Uuid::parse_str(form.workspace_id.trim()).map_err(|_| WebError::not_found())?;
    api.get(&viewer.caller, &format!("/api/v1/workspaces/{id}"))
        .await?;
    let secure = if state.auth.settings.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!("{WORKSPACE_COOKIE}={id}; Path=/; SameSite=Lax; HttpOnly{secure}");
    let mut resp = Redirect::to(&safe_next(form.next.as_deref())).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(resp)
}

#[derive(Debug, Deserialize)]
struct MemberForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    role: String,
    #[serde(default)]
    approval_limit: String,
}

async fn set_member(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(user_id): Path<Uuid>,
    Form(form): Form<MemberForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    let id = current(&viewer)?;
    let limit = form.approval_limit.trim();
    let body = json!({
        "role": form.role,
        "approval_limit": if limit.is_empty() { Value::Null } else { json!(limit) },
    });
    match api
        .send(
            &viewer.caller,
            Method::PUT,
            &format!("/api/v1/workspaces/{id}/members/{user_id}"),
            Some(body),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/workspace?done=member").into_response()),
        Err(e) => refused(&viewer, &api, e, "member_error").await,
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn remove_member(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(user_id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    let id = current(&viewer)?;
    api.send(
        &viewer.caller,
        Method::DELETE,
        &format!("/api/v1/workspaces/{id}/members/{user_id}"),
        None,
    )
    .await?;
    Ok(Redirect::to("/workspace?done=removed").into_response())
}

#[derive(Debug, Deserialize)]
struct InviteForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    role: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    approval_limit: String,
}

/// An invitation link into the workspace, shown once (answered directly, never redirected).
async fn invite(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Form(form): Form<InviteForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    let id = current(&viewer)?;
    let email = form.email.trim();
    let limit = form.approval_limit.trim();
    let mut body = json!({ "role": form.role });
    if !limit.is_empty() {
        body["approval_limit"] = json!(limit);
    }
    if !email.is_empty() {
        body["note"] = json!(format!("invitation for {email}"));
    }
    match api
        .send(
            &viewer.caller,
            Method::POST,
            &format!("/api/v1/workspaces/{id}/invitations"),
            Some(body),
        )
        .await
    {
        Ok(made) => {
            let mut link = made["register_url"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if !email.is_empty() {
                link.push_str("&email=");
                link.push_str(&url_encode(email));
            }
            let invitation = json!({
                "link": link,
                "email": email,
                "role": made["grant"]["role"],
                "expires_at": made["expires_at"],
            });
            render_page(
                &viewer,
                &api,
                StatusCode::OK,
                json!({ "invitation": invitation }),
            )
            .await
        }
        Err(e) => refused(&viewer, &api, e, "invite_error").await,
    }
}

#[derive(Debug, Deserialize)]
struct RulesForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    rules: String,
}

async fn set_rules(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Form(form): Form<RulesForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    let id = current(&viewer)?;
    let rules: Value = match serde_json::from_str(form.rules.trim()) {
        Ok(v) => v,
        Err(e) => {
            let error = format!("The rules are not valid JSON: {e}.");
            return render_page(
                &viewer,
                &api,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "rules_error": error, "rules_draft": form.rules }),
            )
            .await;
        }
    };
    match api
        .send(
            &viewer.caller,
            Method::PATCH,
            &format!("/api/v1/workspaces/{id}"),
            Some(json!({ "approval_rules": rules })),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/workspace?done=rules").into_response()),
        Err(e) => refused(&viewer, &api, e, "rules_error").await,
    }
}
