//! Who is calling: the [`Caller`] and [`Admin`] extractors, and what they need ([`Auth`]).
//!
//! Three credentials are accepted on every route:
//! - the session cookie a browser gets at sign-in (HttpOnly, SameSite=Lax, Secure when
//!   configured); changes made with it must carry the session's CSRF token in `X-CSRF-Token`,
//!   because a cookie is sent by the browser whoever made the page that sends the request;
//! - `Authorization: Bearer <JWT>` (15 minutes, HS256, see [`jwt`]);
//! - `Authorization: Bearer dxn_…`, a personal API token.
//!
//! What a credential resolves to (user, workspace membership) is kept a few seconds in
//! [`cache::AuthCache`]; every change made through the API (deactivation, role, password,
//! revocation, sign-out, membership) drops it at once in every API process, so such changes
//! apply at once; changes written to the database some other way apply within the cache's
//! bound (`AUTH_CACHE_SECONDS`).
//! Objects a caller does not own answer 404, not 403, so their existence does not leak.

pub mod cache;
pub mod jwt;
pub mod jwt_crypto;
pub mod password;
pub mod rate_limit;
pub mod secrets;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use doxin_store::{Membership, NewAuditEntry, Scope, StoreError, User, WorkspaceRole};
use uuid::Uuid;

use crate::{ApiError, AppState};
pub use cache::AuthCache;
use cache::{Fill, Resolved};
pub use jwt::JwtKeys;
pub use rate_limit::{AccountThrottle, RateLimiter};

pub const SESSION_COOKIE: &str = "doxin_session";
/// Readable by the page's script (not HttpOnly), which copies it into `X-CSRF-Token`.
pub const CSRF_COOKIE: &str = "doxin_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Chooses which of the caller's workspaces a request acts in (default: their oldest).
pub const WORKSPACE_HEADER: &str = "x-workspace-id";

/// How long a resolved credential is cached by default (`AUTH_CACHE_SECONDS`).
pub const DEFAULT_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Account settings the handlers need.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub cookie_secure: bool,
    /// `HttpOnly` on the session cookie (`SESSION_COOKIE_HTTPONLY`); the CSRF cookie is
    /// readable by design, whatever this says.
    pub cookie_httponly: bool,
    /// The one browser origin allowed to call the API with credentials (CORS), from
    /// `FRONTEND_URL`; `None`: no CORS headers at all.
    pub allowed_origin: Option<String>,
    /// The bearer token `/metrics` scrapers must send (`METRICS_TOKEN`); `None`: `/metrics`
    /// answers only clients on the loopback interface.
    pub metrics_token: Option<String>,
    /// The bearer token Alertmanager sends to the alert webhook (`WEBHOOK_SECRET`); `None`:
    /// the webhook answers 503.
    pub webhook_secret: Option<doxin_config::Secret>,
    pub session_ttl: Duration,
    pub open_signup: bool,
    /// Base of links in invitations, e.g. `https://invoices.example.com`.
    pub public_url: String,
    pub access_code_ttl: Duration,
    /// How long a resolved credential is cached (`AUTH_CACHE_SECONDS`; zero: not at all).
    pub cache_ttl: std::time::Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            cookie_secure: false,
            cookie_httponly: true,
            allowed_origin: None,
            metrics_token: None,
            webhook_secret: None,
            session_ttl: Duration::days(7),
            open_signup: false,
            public_url: "http://localhost:8000".into(),
            access_code_ttl: Duration::days(14),
            cache_ttl: DEFAULT_CACHE_TTL,
        }
    }
}

/// Everything authentication shares across requests.
#[derive(Debug, Clone)]
pub struct Auth {
    pub jwt: JwtKeys,
    pub settings: AuthSettings,
    pub limiter: RateLimiter,
    /// Failed sign-ins per e-mail address, from any client address.
    pub accounts: AccountThrottle,
    /// The one-time first-run token, while no user exists (see `web::setup`).
    pub setup_token: Arc<Mutex<Option<String>>>,
    /// Credentials resolved in the last few seconds (see [`cache`]).
    pub cache: AuthCache,
}

impl Auth {
    /// Fails only for an empty JWT secret.
    pub fn new(
        jwt_secret: &[u8],
        settings: AuthSettings,
        attempts_per_minute: u32,
    ) -> Result<Auth, jsonwebtoken::errors::Error> {
        Ok(Auth {
            jwt: JwtKeys::new(jwt_secret)?,
            cache: AuthCache::new(settings.cache_ttl),
            settings,
            limiter: RateLimiter::per_minute(attempts_per_minute),
            accounts: AccountThrottle::default(),
            setup_token: Arc::default(),
        })
    }

    /// Defaults for embedding and tests: a random JWT secret of this process (a fixed one
    /// would be public, and anyone could sign tokens).
    pub fn development() -> Auth {
        let jwt = JwtKeys::new(secrets::random_hex(32).as_bytes())
            .unwrap_or_else(|_| unreachable!("a random secret is not empty"));
        Auth {
            jwt,
            cache: AuthCache::new(DEFAULT_CACHE_TTL),
            settings: AuthSettings::default(),
            limiter: RateLimiter::per_minute(10),
            accounts: AccountThrottle::default(),
            setup_token: Arc::default(),
        }
    }

    /// Arms first-run setup with a fresh token and returns it (for the log).
    pub fn arm_setup(&self) -> String {
        let token = secrets::random_hex(16);
        *self
            .setup_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(token.clone());
        token
    }

    /// Consumes the setup token if `offered` matches it.
    pub fn take_setup_token(&self, offered: &str) -> bool {
        let mut slot = self
            .setup_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match slot.as_deref() {
            Some(t) if secrets::constant_time_eq(t, offered) => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    pub fn setup_armed(&self) -> bool {
        self.setup_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some()
    }
}

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    Session {
        token_hash: String,
        csrf_token: String,
        expires_at: DateTime<Utc>,
    },
    Jwt {
        expires_at: DateTime<Utc>,
    },
    ApiToken {
        id: Uuid,
    },
}

impl Credential {
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Session { .. } => "session",
            Credential::Jwt { .. } => "jwt",
            Credential::ApiToken { .. } => "api_token",
        }
    }
}

/// An authenticated, active user making this request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub credential: Credential,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    /// The workspace the request acts in and the caller's membership of it: the one named by
    /// `X-Workspace-Id`, else the caller's oldest. `None` only for a user in no workspace.
    pub workspace: Option<Membership>,
    /// Whether `X-Workspace-Id` chose the workspace. A system administrator who names none
    /// reads across every workspace.
    pub chose_workspace: bool,
}

impl Caller {
    pub fn id(&self) -> Uuid {
        self.user.id
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == doxin_store::Role::Admin
    }

    /// What this caller may see and do: the current workspace with their role in it; for a
    /// system administrator who chose no workspace, everything. A user in no workspace sees
    /// nothing (a workspace id nobody has).
    pub fn scope(&self) -> Scope {
        if self.is_admin() && !self.chose_workspace {
            return Scope::All;
        }
        match &self.workspace {
            Some(m) => Scope::Workspace {
                id: m.workspace_id,
                role: m.role,
            },
            None => Scope::Workspace {
                id: Uuid::nil(),
                role: WorkspaceRole::Viewer,
            },
        }
    }

    /// The workspace new objects (uploads, invoices typed in) go into.
    pub fn workspace_id(&self) -> Option<Uuid> {
        self.workspace.as_ref().map(|m| m.workspace_id)
    }

    /// The caller's role where the request acts (administrators of the system: every right).
    pub fn role(&self) -> WorkspaceRole {
        self.scope().role()
    }

    /// 403 `role_forbidden` unless the caller's role in the current workspace is at least
    /// `min`.
    pub fn require(&self, min: WorkspaceRole) -> Result<(), ApiError> {
        if self.scope().allows(min) {
            Ok(())
        } else {
            Err(ApiError::from(StoreError::Forbidden { role: min }))
        }
    }

    /// Appends a change to the audit log, with this caller as the actor.
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        entity_type: &str,
        entity_id: Option<String>,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), ApiError> {
        record_audit(
            state,
            Some(self.user.id),
            self.ip.clone(),
            self.request_id.clone(),
            action,
            entity_type,
            entity_id,
            before,
            after,
        )
        .await
    }
}

/// Appends an audit entry for an actor that may not be a [`Caller`] yet (sign-up, setup).
#[allow(clippy::too_many_arguments)]
pub async fn record_audit(
    state: &AppState,
    actor_id: Option<Uuid>,
    ip: Option<String>,
    request_id: Option<String>,
    action: &str,
    entity_type: &str,
    entity_id: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), ApiError> {
    state
        .store
        .append_audit(NewAuditEntry {
            actor_id,
            action: action.into(),
            entity_type: entity_type.into(),
            entity_id,
            before,
            after,
            ip,
            request_id,
        })
        .await?;
    Ok(())
}

/// The client's address as the TCP peer saw it.
pub fn client_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn unauthenticated(detail: &str) -> ApiError {
    ApiError::problem(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
}

/// The credential a request presents, read from its headers (no store query yet). Each
/// carries the SHA-256 of the secret: what the store is asked for, and the cache's key.
enum Presented {
    ApiToken { hash: String },
    Jwt { hash: String, claims: jwt::Claims },
    Session { hash: String },
}

impl Presented {
    /// The `Authorization` header, else the session cookie; a JWT is verified here (it costs
    /// no query), so an expired or forged one is refused before the cache is consulted.
    fn from_headers(state: &AppState, headers: &HeaderMap) -> Result<Presented, ApiError> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let value = value
                .to_str()
                .map_err(|_| unauthenticated("the Authorization header is not readable"))?;
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .map(str::trim)
                .ok_or_else(|| unauthenticated("use `Authorization: Bearer <token>`"))?;
            if token.starts_with(secrets::API_TOKEN_PREFIX) {
                return Ok(Presented::ApiToken {
                    hash: secrets::sha256_hex(token),
                });
            }
            let claims = state
                .auth
                .jwt
                .verify(token)
                .ok_or_else(|| unauthenticated("the token is invalid or has expired"))?;
            return Ok(Presented::Jwt {
                hash: secrets::sha256_hex(token),
                claims,
            });
        }
        if let Some(session) = cookie(headers, SESSION_COOKIE) {
            return Ok(Presented::Session {
                hash: secrets::sha256_hex(&session),
            });
        }
        Err(unauthenticated("sign in, or send a bearer token"))
    }

    /// The cache key: the kind, the hash of the secret, and the workspace asked for (the
    /// same credential acts in different workspaces with different headers).
    fn cache_key(&self, headers: &HeaderMap) -> String {
        let (kind, hash) = match self {
            Presented::ApiToken { hash } => ("t", hash),
            Presented::Jwt { hash, .. } => ("j", hash),
            Presented::Session { hash } => ("s", hash),
        };
        match headers.get(WORKSPACE_HEADER) {
            Some(ws) => format!("{kind}:{hash}:{}", String::from_utf8_lossy(ws.as_bytes())),
            None => format!("{kind}:{hash}"),
        }
    }
}

/// Refuses a JWT issued before the user's password last changed: the change ended it.
fn check_jwt_version(claims: &jwt::Claims, user: &User) -> Result<(), ApiError> {
    if claims.sub != user.id
        || !secrets::constant_time_eq(&claims.pwv, &jwt::credential_version(&user.password_hash))
    {
        return Err(unauthenticated(
            "the token was issued before the password changed; get a new one",
        ));
    }
    Ok(())
}

fn jwt_credential(claims: &jwt::Claims) -> Credential {
    Credential::Jwt {
        expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now),
    }
}

/// Records an API token's use without holding up the request.
fn touch_token(state: &AppState, id: Uuid, now: DateTime<Utc>) {
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.touch_api_token(id, now).await {
            tracing::debug!(error = %e, "recording API token use");
        }
    });
}

/// Resolves the request's credential to a user (active or not), from the store.
async fn authenticate(
    state: &AppState,
    presented: &Presented,
    now: DateTime<Utc>,
) -> Result<(User, Fill), ApiError> {
    let lookup = |e: StoreError| match e {
        StoreError::NotFound => unauthenticated("the credential is not valid"),
        other => ApiError::from(other),
    };
    let fill = |user: &User, credential, valid_until, token_use| Fill {
        resolved: Resolved {
            user: user.clone(),
            credential,
            workspace: None,
            chose_workspace: false,
        },
        valid_until,
        token_use,
    };
    match presented {
        Presented::ApiToken { hash } => {
            let found = state.store.find_api_token(hash).await.map_err(lookup)?;
            if !found.is_usable(now) {
                return Err(unauthenticated("the API token was revoked or has expired"));
            }
            // Recording use costs a write: do it at most once a minute per token.
            let mut last_used = found.last_used_at;
            if last_used.is_none_or(|at| now - at > cache::TOKEN_TOUCH_INTERVAL) {
                touch_token(state, found.id, now);
                last_used = Some(now);
            }
            let user = state.store.get_user(found.user_id).await.map_err(lookup)?;
            let fill = fill(
                &user,
                Credential::ApiToken { id: found.id },
                found.expires_at,
                Some((found.id, last_used)),
            );
            Ok((user, fill))
        }
        Presented::Jwt { claims, .. } => {
            let user = state.store.get_user(claims.sub).await.map_err(lookup)?;
            check_jwt_version(claims, &user)?;
            // The token's own expiry is verified on every request, hit or miss.
            let fill = fill(&user, jwt_credential(claims), None, None);
            Ok((user, fill))
        }
        Presented::Session { hash } => {
            let found = state.store.get_session(hash).await.map_err(|e| match e {
                StoreError::NotFound => unauthenticated("the session has ended; sign in again"),
                other => ApiError::from(other),
            })?;
            let user = state.store.get_user(found.user_id).await.map_err(lookup)?;
            let fill = fill(
                &user,
                Credential::Session {
                    token_hash: hash.clone(),
                    csrf_token: found.csrf_token,
                    expires_at: found.expires_at,
                },
                Some(found.expires_at),
                None,
            );
            Ok((user, fill))
        }
    }
}

/// What the request's credential resolves to: from the cache when it was resolved in the
/// last few seconds (its expiry checked again), else from the store (then cached).
/// `check_csrf` runs once the credential is known, before the workspace is looked up.
async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    check_csrf: impl Fn(&Credential) -> Result<(), ApiError>,
) -> Result<Resolved, ApiError> {
    let presented = Presented::from_headers(state, headers)?;
    let key = presented.cache_key(headers);
    let now = Utc::now();
    let cache = &state.auth.cache;
    if let Some(hit) = cache.get(&key, now) {
        let mut resolved = hit.resolved;
        if let Presented::Jwt { claims, .. } = &presented {
            check_jwt_version(claims, &resolved.user)?;
            resolved.credential = jwt_credential(claims);
        }
        check_csrf(&resolved.credential)?;
        if let Some(id) = hit.touch_token {
            touch_token(state, id, now);
        }
        return Ok(resolved);
    }
    // Taken before reading the store: a change meanwhile keeps this resolution out.
    let generation = cache.generation();
    let (user, mut fill) = authenticate(state, &presented, now).await?;
    if !user.is_active {
        return Err(ApiError::problem(
            StatusCode::FORBIDDEN,
            "account_inactive",
            "this account has been deactivated",
        ));
    }
    check_csrf(&fill.resolved.credential)?;
    let (workspace, chose_workspace) = current_workspace(state, headers, &user).await?;
    fill.resolved.workspace = workspace;
    fill.resolved.chose_workspace = chose_workspace;
    let resolved = fill.resolved.clone();
    cache.insert(key, fill, generation);
    Ok(resolved)
}

/// The workspace a request acts in (see [`Caller::workspace`]). Naming a workspace one is not
/// a member of answers 404, like any object outside one's reach; a system administrator may
/// name any workspace and acts in it as its administrator.
async fn current_workspace(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
) -> Result<(Option<Membership>, bool), ApiError> {
    let not_found = || {
        ApiError::problem(
            StatusCode::NOT_FOUND,
            "workspace_not_found",
            "no workspace of yours has the id in X-Workspace-Id",
        )
    };
    let Some(value) = headers.get(WORKSPACE_HEADER) else {
        let mine = state.store.memberships_of(user.id).await?;
        return Ok((mine.into_iter().next(), false));
    };
    let id = value
        .to_str()
        .ok()
        .and_then(|v| Uuid::parse_str(v.trim()).ok())
        .ok_or_else(|| {
            ApiError::problem(
                StatusCode::BAD_REQUEST,
                "invalid_workspace",
                "X-Workspace-Id must be a workspace id (a UUID)",
            )
        })?;
    match state.store.get_membership(id, user.id).await {
        Ok(m) => Ok((Some(m), true)),
        Err(StoreError::NotFound) if user.role == doxin_store::Role::Admin => {
            let ws = state.store.get_workspace(id).await.map_err(|e| match e {
                StoreError::NotFound => not_found(),
                other => ApiError::from(other),
            })?;
            let now = Utc::now();
            Ok((
                Some(Membership {
                    workspace_id: ws.id,
                    workspace_name: ws.name,
                    user_id: user.id,
                    email: user.email.clone(),
                    display_name: user.display_name.clone(),
                    role: WorkspaceRole::Admin,
                    approval_limit: None,
                    created_at: now,
                    updated_at: now,
                }),
                true,
            ))
        }
        Err(StoreError::NotFound) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        resolve_caller(parts, state, CsrfFrom::Header).await
    }
}

/// Where a change made with a session cookie carries its CSRF token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfFrom {
    /// `X-CSRF-Token`, as the API expects from scripts.
    Header,
    /// A form field the handler checks itself (the web pages' `_csrf`, see
    /// `web::session`): the caller is resolved without looking at the header.
    Form,
}

/// The [`Caller`] of a request: its credential resolved to an active user, the CSRF token of
/// a session checked for changes (when `csrf` says it travels in the header), and the
/// workspace it acts in. Cached in the request's extensions.
pub async fn resolve_caller(
    parts: &mut Parts,
    state: &AppState,
    csrf: CsrfFrom,
) -> Result<Caller, ApiError> {
    if let Some(caller) = parts.extensions.get::<Caller>() {
        return Ok(caller.clone());
    }
    let check_csrf = |credential: &Credential| match credential {
        Credential::Session { csrf_token, .. }
            if csrf == CsrfFrom::Header && changes_state(&parts.method) =>
        {
            let offered = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if secrets::constant_time_eq(offered, csrf_token) {
                Ok(())
            } else {
                Err(ApiError::problem(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "a change made with a session cookie needs its CSRF token in X-CSRF-Token",
                ))
            }
        }
        _ => Ok(()),
    };
    let Resolved {
        user,
        credential,
        workspace,
        chose_workspace,
    } = resolve(state, &parts.headers, check_csrf).await?;
    let caller = Caller {
        user,
        credential,
        ip: client_ip(parts).map(|ip| ip.to_string()),
        request_id: request_id(&parts.headers),
        workspace,
        chose_workspace,
    };
    // Later extractors of the same request (and the usage middleware) reuse it.
    parts.extensions.insert(caller.clone());
    Ok(caller)
}

/// A [`Caller`] who is an administrator; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.is_admin() {
            return Err(ApiError::problem(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this needs an administrator",
            ));
        }
        Ok(Admin(caller))
    }
}

/// `Set-Cookie` values that start a session.
pub fn session_cookies(
    settings: &AuthSettings,
    session_token: &str,
    csrf_token: &str,
) -> [HeaderValue; 2] {
    let secure = if settings.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let max_age = settings.session_ttl.num_seconds();
    let http_only = if settings.cookie_httponly {
        "; HttpOnly"
    } else {
        ""
    };
    let session = format!(
        "{SESSION_COOKIE}={session_token}; Path=/{http_only}; SameSite=Lax; Max-Age={max_age}{secure}"
    );
    let csrf =
        format!("{CSRF_COOKIE}={csrf_token}; Path=/; SameSite=Lax; Max-Age={max_age}{secure}");
    [session, csrf].map(|c| HeaderValue::from_str(&c).unwrap_or(HeaderValue::from_static("")))
}

/// `Set-Cookie` values that end a session in the browser.
pub fn clear_session_cookies() -> [HeaderValue; 2] {
    [
        HeaderValue::from_static("doxin_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
        HeaderValue::from_static("doxin_csrf=; Path=/; SameSite=Lax; Max-Age=0"),
    ]
}
