//! `/api/v1/auth`: sign-up, sign-in and sign-out, password change, JWTs, personal API tokens,
//! `track-login`, `session-info`, access-code checks, access requests and first-run setup.
//!
//! Sign-in, sign-up, access-code, access-request, setup and password-based JWT requests are
//! rate limited per client address (429): they are where passwords and codes get guessed.
//! Sign-in and password-based JWTs are also throttled per e-mail address, from whatever
//! client addresses the failures come (`auth::rate_limit::AccountThrottle`).

use axum::extract::{FromRequestParts, OptionalFromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use doxin_store::{
    NewAccessRequest, NewApiToken, NewSession, NewUser, Role, StoreError, User, UserUpdate,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{
    self, Caller, Credential, SESSION_COOKIE, client_ip, password, record_audit, request_id,
    secrets,
};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/register", post(register))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/logout-everywhere", post(logout_everywhere))
        .route("/api/v1/auth/me", get(me))
        .route("/api/v1/auth/change-password", post(change_password))
        .route("/api/v1/auth/jwt-token", post(jwt_token))
        .route(
            "/api/v1/auth/api-tokens",
            get(list_tokens).post(create_token),
        )
        .route("/api/v1/auth/api-tokens/{id}", delete(revoke_token))
        .route("/api/v1/auth/track-login", post(track_login))
        .route("/api/v1/auth/session-info", get(session_info))
        .route(
            "/api/v1/auth/validate-access-code",
            post(validate_access_code),
        )
        .route("/api/v1/auth/access-requests", post(request_access))
        .route("/api/v1/auth/setup-status", get(setup_status))
        .route("/api/v1/auth/setup", post(setup))
}

/// The request's origin, for rate limits and the audit log.
pub(crate) struct Origin {
    pub ip: Option<std::net::IpAddr>,
    pub request_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Origin {
            ip: client_ip(parts),
            request_id: request_id(&parts.headers),
        })
    }
}

/// `Option<Caller>`: `None` only when the request carries no credential at all; a credential
/// that is present but wrong is still refused.
impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        let has_credential = parts.headers.contains_key(header::AUTHORIZATION)
            || auth::cookie(&parts.headers, SESSION_COOKIE).is_some();
        if !has_credential {
            return Ok(None);
        }
        <Caller as FromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

/// A user as the API shows it (never the password hash).
pub(crate) fn user_view(user: &User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "is_active": user.is_active,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    })
}

fn check_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if plausible {
        Ok(email)
    } else {
        Err(ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
            "an e-mail address such as ann@example.com is required",
        ))
    }
}

fn check_name(name: &str, field: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("{field} must be 1 to 200 printable characters"),
        ));
    }
    Ok(name.to_string())
}

/// Free text (a message, a note) cut to `max` characters, without control characters other
/// than line breaks and tabs: PostgreSQL refuses NUL in text, and the rest only garbles logs
/// and pages.
pub(crate) fn free_text(text: &str, max: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .take(max)
        .collect()
}

#[derive(Debug, Deserialize)]
pub(crate) struct Register {
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    pub access_code: Option<String>,
}

pub(crate) async fn register(
    State(state): State<AppState>,
    origin: Origin,
    Json(body): Json<Register>,
) -> Result<Response, ApiError> {
    state.auth.limiter.check("signup", origin.ip)?;
    let email = check_email(&body.email)?;
    password::check_policy(&body.password, Some(&email))?;
    let display_name = match body.display_name.as_deref() {
        Some(n) => check_name(n, "display_name")?,
        None => email.split('@').next().unwrap_or(&email).to_string(),
    };
    let code_hash = match body
        .access_code
        .as_deref()
        .map(secrets::normalize_access_code)
    {
        Some(code) if !code.is_empty() => Some(secrets::sha256_hex(&code)),
        _ if state.auth.settings.open_signup => None,
        _ => {
            return Err(ApiError::problem(
                StatusCode::FORBIDDEN,
                "access_code_required",
                "signing up needs an access code; ask an administrator or request access",
            ));
        }
    };
    let password_hash = password::hash(body.password).await?;
    let user = state
        .store
        .create_user_with_code(
            NewUser {
                email,
                display_name,
                password_hash,
                role: Role::User,
            },
            code_hash.as_deref(),
        )
        .await
        .map_err(|e| match e {
            StoreError::InvalidState(_) => ApiError::problem(
                StatusCode::FORBIDDEN,
                "access_code_invalid",
                "the access code is unknown, used, revoked or expired",
            ),
            StoreError::Conflict { .. } => ApiError::problem(
                StatusCode::CONFLICT,
                "email_taken",
                "an account with this e-mail address exists",
            ),
            other => other.into(),
        })?;
    created_user(&state, origin, "user.register", &user).await
}

/// Audits a new account as its own first action and answers 201 with it.
async fn created_user(
    state: &AppState,
    origin: Origin,
    action: &str,
    user: &User,
) -> Result<Response, ApiError> {
    record_audit(
        state,
        Some(user.id),
        origin.ip.map(|i| i.to_string()),
        origin.request_id,
        action,
        "user",
        Some(user.id.to_string()),
        None,
        Some(user_view(user)),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": user_view(user) })),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Credentials {
    pub email: String,
    pub password: String,
}

/// Checks an e-mail address and password; the same answer for an unknown address and a wrong
/// password, in the same time, so accounts cannot be enumerated.
async fn check_credentials(state: &AppState, creds: Credentials) -> Result<User, ApiError> {
    let wrong = || {
        ApiError::problem(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "the e-mail address or password is wrong",
        )
    };
    // No account has such an address, and PostgreSQL would refuse a NUL in the lookup.
    if creds.password.len() > password::MAX_PASSWORD_BYTES
        || creds.email.chars().any(char::is_control)
    {
        return Err(wrong());
    }
    // A locked address is refused before its password is tried, whether an account has it
    // or not (both are counted alike, so the lock says nothing about existence).
    let throttle = &state.auth.accounts;
    throttle.check(&creds.email)?;
    let user = match state.store.find_user_by_email(&creds.email).await {
        Ok(user) => user,
        Err(StoreError::NotFound) => {
            password::dummy_verify(creds.password).await;
            throttle.failed(&creds.email);
            return Err(wrong());
        }
        Err(e) => return Err(e.into()),
    };
    if !password::verify(creds.password, user.password_hash.clone()).await {
        throttle.failed(&creds.email);
        return Err(wrong());
    }
    throttle.succeeded(&creds.email);
    if !user.is_active {
        return Err(ApiError::problem(
            StatusCode::FORBIDDEN,
            "account_inactive",
            "this account has been deactivated",
        ));
    }
    Ok(user)
}

/// A sign-in with e-mail and password, by whatever it yields (a session, a JWT): rate-limited
/// per address, audited either way (`auth.login`, `auth.login_failed`, with the `method`), and
/// the user's last login.
async fn sign_in(
    state: &AppState,
    origin: &Origin,
    creds: Credentials,
    method: &str,
) -> Result<User, ApiError> {
    state.auth.limiter.check("login", origin.ip)?;
    let ip = origin.ip.map(|i| i.to_string());
    // For the audit log only: PostgreSQL's jsonb refuses NUL.
    let email = free_text(&creds.email.trim().to_lowercase(), 320);
    let user = match check_credentials(state, creds).await {
        Ok(user) => user,
        Err(e) => {
            record_audit(
                state,
                None,
                ip,
                origin.request_id.clone(),
                "auth.login_failed",
                "user",
                None,
                None,
                Some(json!({ "email": email, "method": method })),
            )
            .await?;
            return Err(e);
        }
    };
    let user = state
        .store
        .update_user(
            user.id,
            UserUpdate {
                last_login_at: Some(Utc::now()),
                ..UserUpdate::default()
            },
        )
        .await?;
    // Cached callers of this user show the previous sign-in.
    state.credentials_changed(user.id).await;
    record_audit(
        state,
        Some(user.id),
        ip,
        origin.request_id.clone(),
        "auth.login",
        "user",
        Some(user.id.to_string()),
        None,
        Some(json!({ "method": method })),
    )
    .await?;
    Ok(user)
}

pub(crate) async fn login(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    Json(body): Json<Credentials>,
) -> Result<Response, ApiError> {
    let user = sign_in(&state, &origin, body, "session").await?;
    let ip = origin.ip.map(|i| i.to_string());
    let session_token = secrets::random_hex(32);
    let csrf_token = secrets::random_hex(32);
    let now = Utc::now();
    let session = state
        .store
        .create_session(NewSession {
            token_hash: secrets::sha256_hex(&session_token),
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            expires_at: now + state.auth.settings.session_ttl,
            ip,
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(300).collect()),
        })
        .await?;
    let mut resp = Json(json!({
        "user": user_view(&user),
        "csrf_token": csrf_token,
        "expires_at": session.expires_at,
    }))
    .into_response();
    for cookie in auth::session_cookies(&state.auth.settings, &session_token, &csrf_token) {
        resp.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(resp)
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    if let Credential::Session { token_hash, .. } = &caller.credential {
        state.store.delete_session(token_hash).await?;
        // Ended now in every API process, not when the cached session runs out.
        state.credentials_changed(caller.id()).await;
    }
    caller
        .audit(
            &state,
            "auth.logout",
            "user",
            Some(caller.id().to_string()),
            None,
            None,
        )
        .await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    for cookie in auth::clear_session_cookies() {
        resp.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(resp)
}

/// Ends every session of the caller (a lost laptop, a shared computer): other browsers are
/// signed out at their next request, this one at once.
pub(crate) async fn logout_everywhere(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let ended = state.store.delete_user_sessions(caller.id(), None).await?;
    state.credentials_changed(caller.id()).await;
    caller
        .audit(
            &state,
            "auth.logout_everywhere",
            "user",
            Some(caller.id().to_string()),
            None,
            Some(json!({ "sessions_ended": ended })),
        )
        .await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    for cookie in auth::clear_session_cookies() {
        resp.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(resp)
}

async fn me(caller: Caller) -> Json<Value> {
    Json(user_view(&caller.user))
}

#[derive(Debug, Deserialize)]
struct ChangePassword {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    state
        .auth
        .limiter
        .check("login", caller.ip.as_deref().and_then(|i| i.parse().ok()))?;
    if !password::verify(body.current_password, caller.user.password_hash.clone()).await {
        return Err(ApiError::problem(
            StatusCode::FORBIDDEN,
            "invalid_credentials",
            "the current password is wrong",
        ));
    }
    password::check_policy(&body.new_password, Some(&caller.user.email))?;
    let password_hash = password::hash(body.new_password).await?;
    state
        .store
        .update_user(
            caller.id(),
            UserUpdate {
                password_hash: Some(password_hash),
                ..UserUpdate::default()
            },
        )
        .await?;
    // Every other browser signed in with the old password is signed out.
    let keep = match &caller.credential {
        Credential::Session { token_hash, .. } => Some(token_hash.as_str()),
        _ => None,
    };
    state.store.delete_user_sessions(caller.id(), keep).await?;
    // API tokens made under the old password may be what leaked: they end too (JWTs end by
    // themselves, their credential version no longer matches).
    for token in state.store.list_api_tokens(caller.id()).await? {
        if token.revoked_at.is_none() {
            state.store.revoke_api_token(caller.id(), token.id).await?;
        }
    }
    state.credentials_changed(caller.id()).await;
    caller
        .audit(
            &state,
            "user.change_password",
            "user",
            Some(caller.id().to_string()),
            None,
            None,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Credentials that last are minted only by a session, a password or an API token: a
/// 15-minute JWT that could mint another JWT or an API token would be a permanent credential
/// for whoever caught it once.
fn refuse_jwt(caller: &Caller, what: &str) -> Result<(), ApiError> {
    if matches!(caller.credential, Credential::Jwt { .. }) {
        return Err(ApiError::problem(
            StatusCode::FORBIDDEN,
            "credential_not_allowed",
            format!("a JWT cannot be used to get {what}; sign in or use your password"),
        ));
    }
    Ok(())
}

/// A 15-minute JWT for the caller, or for the e-mail address and password in the body.
async fn jwt_token(
    State(state): State<AppState>,
    origin: Origin,
    caller: Option<Caller>,
    body: Option<Json<Credentials>>,
) -> Result<Json<Value>, ApiError> {
    let user = match (caller, body) {
        (Some(caller), _) => {
            refuse_jwt(&caller, "a new JWT")?;
            caller.user
        }
        (None, Some(Json(creds))) => sign_in(&state, &origin, creds, "jwt").await?,
        (None, None) => {
            return Err(ApiError::problem(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in, or send {\"email\", \"password\"}",
            ));
        }
    };
    let now = Utc::now();
    let (token, expires_at) =
        state
            .auth
            .jwt
            .issue(user.id, user.role.as_str(), &user.password_hash, now)?;
    Ok(Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": (expires_at - now).num_seconds(),
        "expires_at": expires_at,
    })))
}

fn token_view(t: &doxin_store::ApiToken) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
    })
}

async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let tokens = state.store.list_api_tokens(caller.id()).await?;
    Ok(Json(
        json!({ "items": tokens.iter().map(token_view).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
struct NewToken {
    name: String,
    expires_in_days: Option<u32>,
}

async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewToken>,
) -> Result<Response, ApiError> {
    refuse_jwt(&caller, "an API token")?;
    let name = check_name(&body.name, "name")?;
    let expires_at = match body.expires_in_days {
        Some(0) | Some(3651..) => {
            return Err(ApiError::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "expires_in_days must be 1 to 3650",
            ));
        }
        Some(days) => Some(Utc::now() + Duration::days(i64::from(days))),
        None => None,
    };
    let token = secrets::new_api_token();
    let stored = state
        .store
        .create_api_token(NewApiToken {
            user_id: caller.id(),
            name,
            token_hash: secrets::sha256_hex(&token),
            prefix: token
                .chars()
                .take(secrets::API_TOKEN_PREFIX.len() + 6)
                .collect(),
            expires_at,
        })
        .await?;
    let view = token_view(&stored);
    caller
        .audit(
            &state,
            "api_token.create",
            "api_token",
            Some(stored.id.to_string()),
            None,
            Some(view.clone()),
        )
        .await?;
    let mut body = view;
    // Shown once: only its hash is kept.
    body["token"] = json!(token);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let revoked = state.store.revoke_api_token(caller.id(), id).await?;
    state.credentials_changed(caller.id()).await;
    caller
        .audit(
            &state,
            "api_token.revoke",
            "api_token",
            Some(id.to_string()),
            None,
            Some(token_view(&revoked)),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn track_login(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let user = state
        .store
        .update_user(
            caller.id(),
            UserUpdate {
                last_login_at: Some(Utc::now()),
                ..UserUpdate::default()
            },
        )
        .await?;
    state.credentials_changed(caller.id()).await;
    Ok(Json(json!({ "last_login_at": user.last_login_at })))
}

async fn session_info(caller: Caller) -> Json<Value> {
    let (expires_at, csrf): (Option<DateTime<Utc>>, Option<&str>) = match &caller.credential {
        Credential::Session {
            expires_at,
            csrf_token,
            ..
        } => (Some(*expires_at), Some(csrf_token)),
        Credential::Jwt { expires_at } => (Some(*expires_at), None),
        Credential::ApiToken { .. } => (None, None),
    };
    Json(json!({
        "authenticated": true,
        "user": user_view(&caller.user),
        "credential": caller.credential.kind(),
        "expires_at": expires_at,
        "csrf_token": csrf,
    }))
}

#[derive(Debug, Deserialize)]
struct CodeCheck {
    code: String,
}

async fn validate_access_code(
    State(state): State<AppState>,
    origin: Origin,
    Json(body): Json<CodeCheck>,
) -> Result<Json<Value>, ApiError> {
    state.auth.limiter.check("access_code", origin.ip)?;
    let code = secrets::normalize_access_code(&body.code);
    let valid = match state
        .store
        .find_access_code(&secrets::sha256_hex(&code))
        .await
    {
        Ok(found) => found.is_usable(Utc::now()),
        Err(StoreError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    Ok(Json(json!({ "valid": valid })))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccessRequestBody {
    pub email: String,
    pub name: String,
    pub message: Option<String>,
}

pub(crate) async fn request_access(
    State(state): State<AppState>,
    origin: Origin,
    Json(body): Json<AccessRequestBody>,
) -> Result<Response, ApiError> {
    state.auth.limiter.check("access_request", origin.ip)?;
    let email = check_email(&body.email)?;
    let name = check_name(&body.name, "name")?;
    let message = body.message.map(|m| free_text(&m, 2000));
    let created = state
        .store
        .create_access_request(NewAccessRequest {
            email,
            name,
            message,
        })
        .await?;
    record_audit(
        &state,
        None,
        origin.ip.map(|i| i.to_string()),
        origin.request_id,
        "access_request.submit",
        "access_request",
        Some(created.id.to_string()),
        None,
        Some(json!({ "email": created.email, "name": created.name })),
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": created.id, "status": created.status })),
    )
        .into_response())
}

async fn setup_status(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let users = state.store.count_users().await?;
    Ok(Json(json!({ "setup_required": users == 0 })))
}

#[derive(Debug, Deserialize)]
pub(crate) struct SetupBody {
    pub setup_token: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
}

/// Creates the first administrator on a fresh install, with the token `doxin serve` logged.
pub(crate) async fn setup(
    State(state): State<AppState>,
    origin: Origin,
    Json(body): Json<SetupBody>,
) -> Result<Response, ApiError> {
    state.auth.limiter.check("setup", origin.ip)?;
    if state.store.count_users().await? > 0 {
        return Err(ApiError::problem(
            StatusCode::CONFLICT,
            "setup_done",
            "this installation already has users",
        ));
    }
    let email = check_email(&body.email)?;
    password::check_policy(&body.password, Some(&email))?;
    let display_name = match body
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        Some(n) => check_name(n, "display_name")?,
        None => "Administrator".to_string(),
    };
    if !state.auth.take_setup_token(body.setup_token.trim()) {
        return Err(ApiError::problem(
            StatusCode::FORBIDDEN,
            "setup_token_invalid",
            "the setup token is wrong or was used; it is printed in the log of `doxin serve`",
        ));
    }
    let password_hash = password::hash(body.password).await?;
    let user = state
        .store
        .create_user(NewUser {
            email,
            display_name,
            password_hash,
            role: Role::Admin,
        })
        .await?;
    created_user(&state, origin, "user.setup_admin", &user).await
}
