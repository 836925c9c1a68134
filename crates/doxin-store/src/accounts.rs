//! What accounts need besides the `users` table: browser sessions, personal API tokens, access
//! codes and access requests ([`AccountStore`]).
//!
//! Every secret arrives here already hashed (SHA-256 hex of the random value the user holds):
//! this crate never sees a session id, API token or access code in clear.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::{NewUser, Page, PageRequest, Result, User};

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    #[serde(skip)]
    pub token_hash: String,
    pub user_id: Uuid,
    /// Sent back by the browser in `X-CSRF-Token` on every change.
    #[serde(skip)]
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A personal API token (the token itself is shown once, at creation, and never stored).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// Neither revoked nor expired at `now`.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub user_id: Uuid,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A single-use sign-up code handed out by an administrator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessCode {
    pub id: Uuid,
    #[serde(skip)]
    pub code_hash: String,
    /// The code's first characters, to recognise it in a list.
    pub hint: String,
    pub note: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub used_by: Option<Uuid>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The workspace membership it grants (`None`: a workspace of the new user's own).
    pub grant: Option<WorkspaceGrant>,
}

impl AccessCode {
    /// Unused, unrevoked and unexpired at `now`.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }
}

#[derive(Debug, Clone)]
pub struct NewAccessCode {
    pub code_hash: String,
    pub hint: String,
    pub note: Option<String>,
    pub created_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    /// What the code grants: membership of this workspace with `role` and `approval_limit`;
    /// `None`: a workspace of the new user's own.
    pub grant: Option<WorkspaceGrant>,
}

/// Membership an invitation grants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkspaceGrant {
    pub workspace_id: Uuid,
    pub role: crate::WorkspaceRole,
    pub approval_limit: Option<rust_decimal::Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessRequestStatus {
    Pending,
    Approved,
    Rejected,
}

impl AccessRequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessRequestStatus::Pending => "pending",
            AccessRequestStatus::Approved => "approved",
            AccessRequestStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<AccessRequestStatus> {
        match s {
            "pending" => Some(AccessRequestStatus::Pending),
            "approved" => Some(AccessRequestStatus::Approved),
            "rejected" => Some(AccessRequestStatus::Rejected),
            _ => None,
        }
    }
}

/// Someone without a code asking for an account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessRequest {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub message: Option<String>,
    pub status: AccessRequestStatus,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub access_code_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct NewAccessRequest {
    pub email: String,
    pub name: String,
    pub message: Option<String>,
}

/// An administrator's decision on a pending request.
#[derive(Debug, Clone)]
pub struct AccessDecision {
    pub status: AccessRequestStatus,
    pub decided_by: Uuid,
    /// The code minted for an approved request.
    pub access_code_id: Option<Uuid>,
}

/// Persistence of sessions, tokens, access codes and access requests. Every [`crate::Store`]
/// is one; the conformance suite runs these on both backends.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates a user, first redeeming `access_code_hash` if given, in one transaction: a code
    /// that is unknown, used, revoked or expired refuses the sign-up with
    /// [`StoreError::InvalidState`](crate::StoreError::InvalidState) and creates nothing; two
    /// sign-ups racing for one code get one account.
    async fn create_user_with_code(
        &self,
        new: NewUser,
        access_code_hash: Option<&str>,
    ) -> Result<User>;

    async fn create_session(&self, new: NewSession) -> Result<Session>;
    /// The unexpired session with this hash.
    async fn get_session(&self, token_hash: &str) -> Result<Session>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Signs a user out everywhere, except the session `keep` (if any); returns how many ended.
    async fn delete_user_sessions(&self, user_id: Uuid, keep: Option<&str>) -> Result<u64>;

    async fn create_api_token(&self, new: NewApiToken) -> Result<ApiToken>;
    /// The token with this hash, usable or not (the caller checks [`ApiToken::is_usable`]).
    async fn find_api_token(&self, token_hash: &str) -> Result<ApiToken>;
    async fn list_api_tokens(&self, user_id: Uuid) -> Result<Vec<ApiToken>>;
    /// Revokes one of `user_id`'s tokens; `NotFound` for anyone else's.
    async fn revoke_api_token(&self, user_id: Uuid, id: Uuid) -> Result<ApiToken>;
    async fn touch_api_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<()>;

    async fn create_access_code(&self, new: NewAccessCode) -> Result<AccessCode>;
    async fn find_access_code(&self, code_hash: &str) -> Result<AccessCode>;
    async fn list_access_codes(&self, page: PageRequest) -> Result<Page<AccessCode>>;
    async fn revoke_access_code(&self, id: Uuid) -> Result<AccessCode>;

    async fn create_access_request(&self, new: NewAccessRequest) -> Result<AccessRequest>;
    async fn get_access_request(&self, id: Uuid) -> Result<AccessRequest>;
    async fn list_access_requests(
        &self,
        status: Option<AccessRequestStatus>,
        page: PageRequest,
    ) -> Result<Page<AccessRequest>>;
    /// Records a decision on a pending request; `InvalidState` when it was already decided.
    async fn decide_access_request(
        &self,
        id: Uuid,
        decision: AccessDecision,
    ) -> Result<AccessRequest>;
}
