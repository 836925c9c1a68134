//! Review decisions and the invoice's history.
//!
//! - `POST /api/v1/invoices/{id}/approve` `{comment?, override_reason?}`: approving an invoice
//!   with error findings needs `override_reason` (422 `override_required` otherwise).
//! - `POST /api/v1/invoices/{id}/reject` `{reason, comment?}`: a rejection needs a reason
//!   (422 `reason_required`).
//! - `POST /api/v1/invoices/approve/{job_id}`: approve the invoice a job produced.
//! - `GET /api/v1/invoices/{id}/history`: every step (extraction, edits, decisions, reopening)
//!   with actor, time and comment, oldest first.
//! - `POST /api/v1/invoices/{id}/comments` `{text}`: a remark in the history; `@address`
//!   mentions of people who can see the invoice notify them over the WebSocket.
//! - `POST /api/v1/invoices/{id}/assign` `{assignee_id}`: give the review to someone who can
//!   see the invoice (`null`: nobody); they are notified.
//! - `POST /api/v1/invoices/bulk` `{ids, action, …}`: the same decision on a selection, each
//!   invoice decided (or refused) on its own.
//!
//! A decision is one compare-and-set on the status (`Store::transition_invoice_status`):
//! deciding what is already decided that way changes nothing and records nothing, and of two
//! concurrent decisions one wins. Every decision is in the audit log, which is also what the
//! history shows, so the two cannot disagree.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use doxin_model::approval::ApprovalRules;
use doxin_model::{JobStatus, Severity};
use doxin_store::{
    Approval, AuditFilter, InvoiceRecord, InvoiceStatus, PageRequest, ReviewNeighbours,
    WorkspaceRole,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::Caller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/invoices/approve/{job_id}", post(approve_job))
        .route("/api/v1/invoices/{id}/approve", post(approve_invoice))
        .route("/api/v1/invoices/{id}/reject", post(reject_invoice))
        .route("/api/v1/invoices/{id}/history", get(history))
        .route(
            "/api/v1/invoices/{id}/queue-neighbours",
            get(queue_neighbours),
        )
        .route("/api/v1/invoices/{id}/comments", post(comment))
        .route("/api/v1/invoices/bulk", post(bulk))
        .route("/api/v1/invoices/{id}/assign", post(assign))
}

/// Most invoices one bulk request may decide.
const MAX_BULK: usize = 200;

/// Longest comment or reason kept.
const MAX_TEXT: usize = 2000;

/// What a reviewer says with a decision. Every field is optional in the body; which are
/// required depends on the decision and the invoice.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DecisionBody {
    /// Any remark, kept in the history.
    comment: Option<String>,
    /// Why the invoice is rejected (required to reject).
    reason: Option<String>,
    /// Why the invoice is approved although validation found errors (required then).
    override_reason: Option<String>,
}

/// A reviewer's text: trimmed, NUL-free (PostgreSQL's jsonb refuses it), at most
/// [`MAX_TEXT`] characters; blank is none.
fn text(value: Option<String>, name: &str) -> Result<Option<String>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.contains('\0') {
        return Err(ApiError::BadRequest(format!(
            "{name} contains a NUL character"
        )));
    }
    if v.chars().count() > MAX_TEXT {
        return Err(ApiError::BadRequest(format!(
            "{name} is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(Some(v.to_string()))
}

async fn approve_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(job_id): Path<Uuid>,
    body: Option<Json<DecisionBody>>,
) -> Result<Json<Value>, ApiError> {
    let job = state.store.get_job(job_id, caller.scope()).await?;
    // Refused for the role before anything is said about the job's state.
    caller.require(WorkspaceRole::Approver)?;
    let invoice_id = match (job.status, job.invoice_id) {
        (JobStatus::Succeeded, Some(id)) => id,
        _ => {
            return Err(ApiError::Conflict(format!(
                "the job is {} and has no invoice to approve",
                job.status
            )));
        }
    };
    if job
        .result
        .as_ref()
        .and_then(|r| r.get("outcome"))
        .and_then(Value::as_str)
        == Some("duplicate")
    {
        return Err(ApiError::Conflict(
            "the job was a duplicate; its invoice is the original's and is approved there".into(),
        ));
    }
    let body = body.map(|Json(b)| b).unwrap_or_default();
    decide(&state, &caller, invoice_id, InvoiceStatus::Approved, body).await
}

async fn approve_invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    body: Option<Json<DecisionBody>>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    decide(&state, &caller, id, InvoiceStatus::Approved, body).await
}

async fn reject_invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    body: Option<Json<DecisionBody>>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    decide(&state, &caller, id, InvoiceStatus::Rejected, body).await
}

/// The answer to a decision: the status, whether this request changed anything, and the
/// approvals collected towards the number the workspace's rules ask.
fn decision_view(
    inv: &InvoiceRecord,
    changed: bool,
    approvals: &[Approval],
    needed: u8,
) -> Json<Value> {
    Json(json!({
        "invoice_id": inv.id,
        "status": inv.status,
        "duplicate_of": inv.duplicate_of,
        "changed": changed,
        "approvals": approvals.iter().map(|a| json!({
            "approver_id": a.approver_id, "at": a.created_at,
        })).collect::<Vec<_>>(),
        "approvals_needed": needed,
    }))
}

/// The approval rules of the workspace an invoice belongs to (none: the defaults).
pub(crate) async fn rules_of(
    state: &AppState,
    workspace: Option<Uuid>,
) -> Result<ApprovalRules, ApiError> {
    Ok(doxin_jobs::approval::workspace_rules(state.store.as_ref(), workspace).await?)
}

fn forbidden(code: &'static str, detail: String) -> ApiError {
    ApiError::problem(StatusCode::FORBIDDEN, code, detail)
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    to: InvoiceStatus,
    body: DecisionBody,
) -> Result<Json<Value>, ApiError> {
    let scope = caller.scope();
    let comment = text(body.comment, "comment")?;
    let reason = text(body.reason, "reason")?;
    let override_reason = text(body.override_reason, "override_reason")?;
    let before = state.store.get_invoice(id, scope).await?;
    caller.require(match to {
        InvoiceStatus::NeedsReview => WorkspaceRole::Clerk,
        _ => WorkspaceRole::Approver,
    })?;
    let rules = rules_of(state, before.workspace_id).await?;
    let needed = rules.required_approvals(&before.invoice);
    if before.status == to {
        // Deciding again what is decided: one decision, nothing recorded twice.
        let approvals = state.store.list_approvals(id).await?;
        return Ok(decision_view(&before, false, &approvals, needed));
    }
    let errors: Vec<String> = before
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule.to_string())
        .collect();
    match to {
        InvoiceStatus::Rejected if reason.is_none() => {
            return Err(ApiError::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "reason_required",
                "a rejection needs a reason: send {\"reason\": \"…\"}",
            ));
        }
        InvoiceStatus::Approved if !errors.is_empty() && override_reason.is_none() => {
            return Err(ApiError::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "override_required",
                format!(
                    "validation found {} error(s) ({}); approve anyway only with \
                     {{\"override_reason\": \"…\"}}",
                    errors.len(),
                    errors.join(", ")
                ),
            ));
        }
        _ => {}
    }
    let mut approvals = Vec::new();
    if to == InvoiceStatus::Approved {
        let gross = doxin_model::approval::gross(&before.invoice);
        if let (Some(limit), Some(gross)) = (approval_limit(caller), gross)
            && gross > limit
        {
            return Err(forbidden(
                "approval_limit_exceeded",
                format!("the gross amount {gross} is above your approval limit of {limit}"),
            ));
        }
        if needed > 1 && before.owner_id == Some(caller.id()) {
            return Err(forbidden(
                "uploader_cannot_approve",
                format!("this invoice needs {needed} approvals by people other than its uploader"),
            ));
        }
        let known = state.store.list_approvals(id).await?;
        approvals = state.store.record_approval(id, caller.id()).await?;
        let added = approvals.len() > known.len();
        if approvals.len() < usize::from(needed) {
            if added {
                caller
                    .audit(
                        state,
                        "invoice.approval",
                        "invoice",
                        Some(id.to_string()),
                        Some(json!({ "status": before.status, "approvals": known.len() })),
                        Some(json!({
                            "status": before.status, "approvals": approvals.len(),
                            "approvals_needed": needed, "comment": comment,
                        })),
                    )
                    .await?;
            }
            return Ok(decision_view(&before, added, &approvals, needed));
        }
    }
    let from: Vec<InvoiceStatus> = [
        InvoiceStatus::NeedsReview,
        InvoiceStatus::Approved,
        InvoiceStatus::Rejected,
    ]
    .into_iter()
    .filter(|s| *s != to)
    .collect();
    let Some(after) = state
        .store
        .transition_invoice_status(id, scope, &from, to)
        .await?
    else {
        // Someone else decided the same at the same moment: theirs is the decision.
        let now = state.store.get_invoice(id, scope).await?;
        let approvals = state.store.list_approvals(id).await?;
        return Ok(decision_view(&now, false, &approvals, needed));
    };
    let mut after_json = json!({ "status": after.status });
    if let Some(c) = &comment {
        after_json["comment"] = json!(c);
    }
    if let Some(r) = &reason {
        after_json["reason"] = json!(r);
    }
    if to == InvoiceStatus::Approved && !errors.is_empty() {
        after_json["override_reason"] = json!(override_reason);
        after_json["overridden_findings"] = json!(errors);
    }
    if to == InvoiceStatus::Approved {
        after_json["approvers"] =
            json!(approvals.iter().map(|a| a.approver_id).collect::<Vec<_>>());
    }
    let action = match to {
        InvoiceStatus::Approved => "invoice.approve",
        InvoiceStatus::Rejected => "invoice.reject",
        InvoiceStatus::NeedsReview => "invoice.reopen",
    };
    caller
        .audit(
            state,
            action,
            "invoice",
            Some(id.to_string()),
            Some(json!({ "status": before.status })),
            Some(after_json),
        )
        .await?;
    Ok(decision_view(&after, true, &approvals, needed))
}

/// The caller's approval limit in the current workspace (system administrators reading
/// across workspaces have none).
fn approval_limit(caller: &Caller) -> Option<doxin_model::Decimal> {
    match caller.scope() {
        doxin_store::Scope::All => None,
        doxin_store::Scope::Workspace { .. } => {
            caller.workspace.as_ref().and_then(|m| m.approval_limit)
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    text: String,
}

/// `@name@example.com` tokens of a comment, lower-cased, without repeats.
fn mentioned_addresses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let Some(rest) = word.strip_prefix('@') else {
            continue;
        };
        let address = rest
            .trim_end_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if address.contains('@') && !out.contains(&address) {
            out.push(address);
        }
    }
    out
}

/// Whether `user` may see `invoice`: active, and a member of its workspace or a system
/// administrator.
async fn sees_invoice(
    state: &AppState,
    user: &doxin_store::User,
    invoice: &InvoiceRecord,
) -> Result<bool, ApiError> {
    if !user.is_active {
        return Ok(false);
    }
    if user.role == doxin_store::Role::Admin {
        return Ok(true);
    }
    let Some(workspace) = invoice.workspace_id else {
        return Ok(false);
    };
    match state.store.get_membership(workspace, user.id).await {
        Ok(_) => Ok(true),
        Err(doxin_store::StoreError::NotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<CommentBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let text = text(Some(body.text), "text")?
        .ok_or_else(|| ApiError::BadRequest("a comment needs text".into()))?;
    let invoice = state.store.get_invoice(id, caller.scope()).await?;
    caller.require(WorkspaceRole::Clerk)?;
    // Only people who can see the invoice can be mentioned: its workspace's members and
    // system administrators.
    let mut mentions = Vec::new();
    for address in mentioned_addresses(&text) {
        let Ok(user) = state.store.find_user_by_email(&address).await else {
            continue;
        };
        if sees_invoice(&state, &user, &invoice).await? && !mentions.contains(&user.id) {
            mentions.push(user.id);
        }
    }
    caller
        .audit(
            &state,
            "invoice.comment",
            "invoice",
            Some(id.to_string()),
            None,
            Some(json!({ "comment": text, "mentions": mentions })),
        )
        .await?;
    let number = invoice
        .invoice
        .invoice_number
        .as_ref()
        .map_or_else(|| id.to_string(), |n| n.value.clone());
    for user in &mentions {
        state
            .events
            .publish(doxin_jobs::Event::Notification {
                owner_id: Some(*user),
                title: format!(
                    "{} mentioned you on invoice {number}",
                    caller.user.display_name
                ),
                body: text.clone(),
                at: chrono::Utc::now(),
            })
            .await;
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "invoice_id": id, "comment": text, "mentions": mentions })),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    assignee_id: Option<Uuid>,
}

async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<AssignBody>,
) -> Result<Json<Value>, ApiError> {
    let scope = caller.scope();
    let before = state.store.get_invoice(id, scope).await?;
    caller.require(WorkspaceRole::Clerk)?;
    // A reviewer must be able to see the invoice: an active member of its workspace or a
    // system administrator.
    if let Some(who) = body.assignee_id {
        let sees_it = match state.store.get_user(who).await {
            Ok(user) => sees_invoice(&state, &user, &before).await?,
            Err(_) => false,
        };
        if !sees_it {
            return Err(ApiError::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "assignee_not_allowed",
                "the assignee must be an active user who can see this invoice",
            ));
        }
    }
    let after = state
        .store
        .assign_invoice(id, scope, body.assignee_id)
        .await?;
    if before.assignee_id != after.assignee_id {
        caller
            .audit(
                &state,
                "invoice.assign",
                "invoice",
                Some(id.to_string()),
                Some(json!({ "assignee_id": before.assignee_id })),
                Some(json!({ "assignee_id": after.assignee_id })),
            )
            .await?;
        if let Some(who) = after.assignee_id.filter(|w| *w != caller.id()) {
            let number = after
                .invoice
                .invoice_number
                .as_ref()
                .map_or_else(|| id.to_string(), |n| n.value.clone());
            state
                .events
                .publish(doxin_jobs::Event::Notification {
                    owner_id: Some(who),
                    title: format!("Invoice {number} is yours to review"),
                    body: format!("assigned by {}", caller.user.display_name),
                    at: chrono::Utc::now(),
                })
                .await;
        }
    }
    Ok(Json(
        json!({ "invoice_id": id, "assignee_id": after.assignee_id }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkBody {
    ids: Vec<Uuid>,
    /// `approve` or `reject`.
    action: String,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    override_reason: Option<String>,
}

/// The same decision on each selected invoice; one that cannot be decided (not found, a
/// rejection without reason, findings without override) is reported and the rest go on.
async fn bulk(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<BulkBody>,
) -> Result<Json<Value>, ApiError> {
    let to = match body.action.as_str() {
        "approve" => InvoiceStatus::Approved,
        "reject" => InvoiceStatus::Rejected,
        _ => {
            return Err(ApiError::BadRequest(
                "action must be approve or reject".into(),
            ));
        }
    };
    // A role that decides nothing is refused as a whole, not invoice by invoice.
    caller.require(WorkspaceRole::Approver)?;
    if body.ids.is_empty() || body.ids.len() > MAX_BULK {
        return Err(ApiError::BadRequest(format!(
            "ids must name 1 to {MAX_BULK} invoices"
        )));
    }
    let mut ids: Vec<Uuid> = Vec::with_capacity(body.ids.len());
    for id in &body.ids {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    let mut items = Vec::with_capacity(ids.len());
    let mut succeeded = 0;
    for id in ids {
        let decision = DecisionBody {
            comment: body.comment.clone(),
            reason: body.reason.clone(),
            override_reason: body.override_reason.clone(),
        };
        match decide(&state, &caller, id, to, decision).await {
            Ok(Json(v)) => {
                succeeded += 1;
                items.push(v);
            }
            Err(e) => {
                // The database failing is not this invoice's fault: the whole request fails.
                let Some((status, code, detail)) = e.parts() else {
                    return Err(e);
                };
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    return Err(e);
                }
                items.push(json!({
                    "invoice_id": id,
                    "error": { "status": status.as_u16(), "code": code, "detail": detail },
                }));
            }
        }
    }
    let failed = items.len() - succeeded;
    Ok(Json(
        json!({ "items": items, "succeeded": succeeded, "failed": failed }),
    ))
}

/// Most changed values one history entry lists.
const MAX_CHANGES: usize = 100;

/// The values that differ between two canonical invoices (`{value, …}` leaves compared by
/// value only, so a confirmed value with new provenance is no change), by path.
fn value_changes(before: Option<&Value>, after: Option<&Value>) -> Vec<Value> {
    fn leaves(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(o) if o.contains_key("value") && o.contains_key("source") => {
                out.push((path, o["value"].clone()));
            }
            Value::Object(o) => {
                for (k, v) in o {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    leaves(v, p, out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    leaves(v, format!("{path}[{i}]"), out);
                }
            }
            // Plain values (notes, the document type) are compared as they are.
            other if !path.is_empty() => out.push((path, other.clone())),
            _ => {}
        }
    }
    let (Some(before), Some(after)) = (before, after) else {
        return Vec::new();
    };
    let (mut old, mut new) = (Vec::new(), Vec::new());
    leaves(before, String::new(), &mut old);
    leaves(after, String::new(), &mut new);
    let old_map: std::collections::BTreeMap<_, _> = old.into_iter().collect();
    let new_map: std::collections::BTreeMap<_, _> = new.into_iter().collect();
    let mut keys: Vec<&String> = old_map.keys().chain(new_map.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (b, a) = (old_map.get(k), new_map.get(k));
            (b != a).then(|| json!({ "field": k, "before": b, "after": a }))
        })
        .take(MAX_CHANGES)
        .collect()
}

/// The invoice's history: its audit entries, oldest first, each with who, when, what, the
/// status it moved between and what was said.
/// The invoices waiting for review before and after this one in the queue's order (oldest
/// upload first, wrapping round): what "next in queue" and "previous" go to.
async fn queue_neighbours(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<ReviewNeighbours>, ApiError> {
    // Visible to whoever may see the invoice (404 otherwise), as its history.
    state.store.get_invoice(id, caller.scope()).await?;
    Ok(Json(
        state.store.review_neighbours(id, caller.scope()).await?,
    ))
}

async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    // Visible to whoever may see the invoice (404 otherwise), deleted ones excepted.
    state.store.get_invoice(id, caller.scope()).await?;
    let filter = AuditFilter {
        entity_type: Some("invoice".into()),
        entity_id: Some(id.to_string()),
        ..Default::default()
    };
    let mut entries = Vec::new();
    let mut page = 1;
    loop {
        let p = state
            .store
            .list_audit(&filter, PageRequest::new(page, PageRequest::MAX_PER_PAGE))
            .await?;
        entries.extend(p.items);
        if !p.has_next {
            break;
        }
        page += 1;
    }
    entries.reverse();
    let items: Vec<Value> = entries
        .iter()
        .map(|e| {
            let after = e.after.as_ref();
            let field = |k: &str| after.and_then(|a| a.get(k)).cloned().unwrap_or(Value::Null);
            json!({
                "at": e.at,
                "actor_id": e.actor_id,
                "action": e.action,
                "from_status": e.before.as_ref().and_then(|b| b.get("status")).cloned()
                    .unwrap_or(Value::Null),
                "to_status": field("status"),
                "comment": field("comment"),
                "reason": field("reason"),
                "override_reason": field("override_reason"),
                "changed_fields": field("changed_fields"),
                "changes": value_changes(
                    e.before.as_ref().and_then(|b| b.get("invoice")),
                    after.and_then(|a| a.get("invoice")),
                ),
            })
        })
        .collect();
    Ok(Json(json!({ "invoice_id": id, "items": items })))
}
