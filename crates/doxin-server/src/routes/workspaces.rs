//! Workspaces (teams): the caller's workspaces, members and their roles and approval limits,
//! invitations, and the approval rules (`/api/v1/workspaces…`).
//!
//! Everything under `/api/v1/workspaces/{id}` is answered only to the workspace's members and
//! to system administrators; anyone else gets 404, as for any object out of reach. Reading is
//! open to every member; changing members, invitations, rules or the name needs the
//! workspace's `admin` role (403 `role_forbidden` otherwise).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::Duration;
use doxin_model::Decimal;
use doxin_model::approval::ApprovalRules;
use doxin_store::{
    Membership, NewMembership, NewWorkspace, Page, StoreError, Workspace, WorkspaceGrant,
    WorkspaceRole, WorkspaceUpdate,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::listing::Listing;
use crate::auth::{Admin, Caller};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/workspaces", get(list_mine).post(create))
        .route("/api/v1/workspaces/{id}", get(detail).patch(update))
        .route("/api/v1/workspaces/{id}/members", get(members))
        .route(
            "/api/v1/workspaces/{id}/members/{user_id}",
            put(set_member).delete(remove_member),
        )
        .route("/api/v1/workspaces/{id}/invitations", post(invite))
}

fn membership_view(m: &Membership, current: Option<Uuid>) -> Value {
    json!({
        "workspace_id": m.workspace_id,
        "workspace_name": m.workspace_name,
        "user_id": m.user_id,
        "email": m.email,
        "display_name": m.display_name,
        "role": m.role,
        "approval_limit": m.approval_limit.map(|l| l.to_string()),
        "current": current == Some(m.workspace_id),
        "joined_at": m.created_at,
    })
}

fn workspace_view(w: &Workspace, role: WorkspaceRole) -> Value {
    json!({
        "id": w.id,
        "name": w.name,
        "approval_rules": ApprovalRules::from_json(&w.approval_rules)
            .map(|r| json!(r))
            .unwrap_or_else(|_| w.approval_rules.clone()),
        "your_role": role,
        "created_by": w.created_by,
        "created_at": w.created_at,
        "updated_at": w.updated_at,
    })
}

/// A whole list in the paged shape every list has (one page holding everything).
fn whole<T: Clone + serde::Serialize>(items: Vec<T>) -> Value {
    let total = items.len() as u64;
    let page = Page {
        per_page: u32::try_from(items.len().clamp(1, 200)).unwrap_or(200),
        items,
        page: 1,
        total,
        total_is_estimate: false,
        pages: 1,
        has_next: false,
        has_prev: false,
        next_cursor: None,
    };
    json!(Listing::from_page(&page))
}

/// The caller's role in workspace `id`: their membership's, `admin` for a system
/// administrator, 404 for anyone else.
async fn role_in(state: &AppState, caller: &Caller, id: Uuid) -> Result<WorkspaceRole, ApiError> {
    match state.store.get_membership(id, caller.id()).await {
        Ok(m) => Ok(m.role),
        Err(StoreError::NotFound) if caller.is_admin() => {
            state.store.get_workspace(id).await?;
            Ok(WorkspaceRole::Admin)
        }
        Err(e) => Err(e.into()),
    }
}

/// 403 unless the caller administers workspace `id` (404 if they cannot see it).
async fn require_admin_of(state: &AppState, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    let role = role_in(state, caller, id).await?;
    if role < WorkspaceRole::Admin {
        return Err(StoreError::Forbidden {
            role: WorkspaceRole::Admin,
        }
        .into());
    }
    Ok(())
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", detail)
}

fn workspace_name(raw: &str) -> Result<String, ApiError> {
    let name = super::auth::free_text(raw.trim(), 200);
    if name.trim().is_empty() {
        return Err(invalid("a workspace needs a name"));
    }
    Ok(name.trim().to_string())
}

fn limit(raw: Option<&str>) -> Result<Option<Decimal>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let value: Decimal = raw
        .trim()
        .parse()
        .map_err(|_| invalid("approval_limit must be an amount such as \"5000.00\""))?;
    if value.is_sign_negative() {
        return Err(invalid("approval_limit must not be negative"));
    }
    Ok(Some(value))
}

/// `GET /api/v1/workspaces`: the caller's workspaces with their role in each, the one
/// requests act in by default first.
async fn list_mine(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let current = caller.workspace_id();
    let items = state
        .store
        .memberships_of(caller.id())
        .await?
        .iter()
        .map(|m| membership_view(m, current))
        .collect();
    Ok(Json(whole::<Value>(items)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWorkspaceBody {
    name: String,
}

/// `POST /api/v1/workspaces` (system administrators): a new workspace with the caller as its
/// first administrator.
async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(body): Json<NewWorkspaceBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = workspace_name(&body.name)?;
    let ws = state
        .store
        .create_workspace(NewWorkspace {
            name,
            created_by: admin.id(),
        })
        .await?;
    // A first workspace becomes the creator's default.
    state.credentials_changed(admin.id()).await;
    let view = workspace_view(&ws, WorkspaceRole::Admin);
    admin
        .audit(
            &state,
            "workspace.create",
            "workspace",
            Some(ws.id.to_string()),
            None,
            Some(view.clone()),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let role = role_in(&state, &caller, id).await?;
    let ws = state.store.get_workspace(id).await?;
    Ok(Json(workspace_view(&ws, role)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkspaceBody {
    name: Option<String>,
    approval_rules: Option<Value>,
}

/// `PATCH /api/v1/workspaces/{id}`: rename, or replace the approval rules (checked first;
/// nonsense is 422 with the reason).
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<WorkspaceBody>,
) -> Result<Json<Value>, ApiError> {
    require_admin_of(&state, &caller, id).await?;
    let before = state.store.get_workspace(id).await?;
    let name = body.name.as_deref().map(workspace_name).transpose()?;
    let approval_rules = match body.approval_rules {
        Some(raw) => {
            let rules = ApprovalRules::from_json(&raw).map_err(|e| invalid(e.to_string()))?;
            Some(serde_json::to_value(rules).map_err(|e| ApiError::Internal(Box::new(e)))?)
        }
        None => None,
    };
    let after = state
        .store
        .update_workspace(
            id,
            WorkspaceUpdate {
                name,
                approval_rules,
            },
        )
        .await?;
    // Cached members carry the workspace's name.
    state.workspace_changed(id).await;
    let view = workspace_view(&after, WorkspaceRole::Admin);
    caller
        .audit(
            &state,
            "workspace.update",
            "workspace",
            Some(id.to_string()),
            Some(workspace_view(&before, WorkspaceRole::Admin)),
            Some(view.clone()),
        )
        .await?;
    Ok(Json(view))
}

async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    role_in(&state, &caller, id).await?;
    let items = state
        .store
        .list_members(id)
        .await?
        .iter()
        .map(|m| membership_view(m, Some(id)))
        .collect();
    Ok(Json(whole::<Value>(items)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberBody {
    role: WorkspaceRole,
    /// The largest gross amount the member may approve, as a decimal string.
    approval_limit: Option<String>,
}

/// `PUT /api/v1/workspaces/{id}/members/{user_id}`: add an existing user or change a member's
/// role and approval limit.
async fn set_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<MemberBody>,
) -> Result<Json<Value>, ApiError> {
    require_admin_of(&state, &caller, id).await?;
    let approval_limit = limit(body.approval_limit.as_deref())?;
    let user = match state.store.get_user(user_id).await {
        Ok(u) if u.is_active => u,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(invalid("the member must be an active user"));
        }
        Err(e) => return Err(e.into()),
    };
    let before = match state.store.get_membership(id, user.id).await {
        Ok(m) => Some(membership_view(&m, Some(id))),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let after = state
        .store
        .set_membership(NewMembership {
            workspace_id: id,
            user_id: user.id,
            role: body.role,
            approval_limit,
        })
        .await?;
    state.credentials_changed(user.id).await;
    let view = membership_view(&after, Some(id));
    caller
        .audit(
            &state,
            "workspace.member",
            "workspace",
            Some(id.to_string()),
            before,
            Some(view.clone()),
        )
        .await?;
    Ok(Json(view))
}

async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    require_admin_of(&state, &caller, id).await?;
    let before = state.store.get_membership(id, user_id).await?;
    state.store.remove_membership(id, user_id).await?;
    state.credentials_changed(user_id).await;
    caller
        .audit(
            &state,
            "workspace.member_remove",
            "workspace",
            Some(id.to_string()),
            Some(membership_view(&before, Some(id))),
            None,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvitationBody {
    role: WorkspaceRole,
    approval_limit: Option<String>,
    note: Option<String>,
    expires_in_days: Option<u32>,
}

/// `POST /api/v1/workspaces/{id}/invitations`: an access code that signs a new user up as a
/// member with the given role and limit. The code is shown once.
async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<InvitationBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require_admin_of(&state, &caller, id).await?;
    let ttl = match body.expires_in_days {
        None => state.auth.settings.access_code_ttl,
        Some(d @ 1..=365) => Duration::days(i64::from(d)),
        Some(_) => return Err(invalid("expires_in_days must be 1 to 365")),
    };
    let grant = WorkspaceGrant {
        workspace_id: id,
        role: body.role,
        approval_limit: limit(body.approval_limit.as_deref())?,
    };
    let note = body.note.map(|n| super::auth::free_text(&n, 500));
    let (code, record) = super::access::mint(&state, &caller, ttl, note, Some(grant)).await?;
    let mut view = super::access::code_view(&record);
    view["code"] = json!(code);
    view["register_url"] = json!(format!(
        "{}/register?code={code}",
        state.auth.settings.public_url
    ));
    Ok((StatusCode::CREATED, Json(view)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_amounts_and_not_negative() {
        assert_eq!(limit(None).ok(), Some(None));
        assert_eq!(
            limit(Some(" 5000.50 ")).ok().flatten(),
            Some(Decimal::new(500050, 2))
        );
        assert!(limit(Some("-1")).is_err());
        assert!(limit(Some("lots")).is_err());
    }

    #[test]
    fn workspace_names_are_trimmed_and_not_empty() {
        assert_eq!(
            workspace_name("  Finance ").ok().as_deref(),
            Some("Finance")
        );
        assert!(workspace_name(" \t").is_err());
    }
}
