//! `GET /ws`: live job events over a WebSocket.
//!
//! The upgrade request is authenticated like any other (session cookie or bearer token). A
//! connection then receives the events of the caller's own jobs and the caller's
//! notifications, and may subscribe to further jobs it can see (an administrator: any). Other
//! users' jobs are refused as if they did not exist. On each subscription the server first
//! sends the job's current state (`job.snapshot`) and then its events, so a client that
//! subscribes after a job has finished, or that lost events on a slow link, still learns how
//! it ended.
//!
//! Authorization is not fixed at connect time (security review, finding 4): every few seconds
//! and before every subscription the socket checks again that its credential stands (the
//! session has not ended, the API token is not revoked, the JWT has not expired) and that its
//! user is still active with the same role. If not, it sends an `error` event with the reason
//! and closes with code 4401 (`session_ended`, `token_revoked`, `token_expired`) or 4403
//! (`account_inactive`, `role_changed`), so a demoted administrator's socket is refused the
//! moment it asks for another user's job and closes within seconds even if it never asks.
//!
//! A browser sends the session cookie with any page's WebSocket request, so a socket signed in
//! with the cookie needs an `Origin` of DoxIn itself (the request's `Host`, `PUBLIC_URL`) or of
//! `FRONTEND_URL`; anything else (another port of the same host included) is 403
//! `origin_not_allowed`. Bearer credentials are never sent by a browser on its own, so
//! non-browser clients using them need no `Origin`. Incoming messages are capped at 16 KiB
//! (close code 1009 beyond) and a subscription at 100 jobs per message (an `error` event
//! `too_many_jobs` beyond; nothing is subscribed), so one message cannot cost the server
//! thousands of lookups.
//!
//! Client → server: `{"action":"subscribe","jobs":[{"job_id":…}]}` (a `token` from the upload
//! answer is accepted and ignored: ownership decides),
//! `{"action":"unsubscribe","job_ids":[…]}`, `{"action":"ping"}`.
//! Server → client: `subscribed`, `job.snapshot`, `job.progress`, `job.completed`,
//! `job.failed`, `job.cancelled`, `pong`, `error`.

use std::collections::HashSet;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use doxin_store::StoreError;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::auth::{Caller, Credential};
use crate::routes::jobs::job_view;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

/// How often an open socket re-checks its credential and its user.
const RECHECK_USER: std::time::Duration = std::time::Duration::from_secs(3);

/// The largest message (and frame) a client may send; ours are a few hundred bytes, a
/// subscription of [`MAX_JOBS_PER_SUBSCRIBE`] jobs about 5 KiB.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

/// Jobs one subscribe message may name: each costs a lookup, and 20,000 took 1.8 s.
pub const MAX_JOBS_PER_SUBSCRIBE: usize = 100;

/// Close codes in the private range, after the HTTP statuses they mirror: the credential no
/// longer stands (sign in again), or the account may no longer do what the socket was opened
/// for (reconnect, to get a socket with the current rights).
pub const CLOSE_UNAUTHENTICATED: u16 = 4401;
pub const CLOSE_FORBIDDEN: u16 = 4403;

#[derive(Debug, Deserialize)]
struct Initial {
    job_id: Option<Uuid>,
}

#[derive(Debug, Deserialize)]
struct JobGrant {
    job_id: Uuid,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum ClientMessage {
    Subscribe { jobs: Vec<JobGrant> },
    Unsubscribe { job_ids: Vec<Uuid> },
    Ping,
}

async fn upgrade(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(initial): Query<Initial>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    // Only the cookie is sent by browsers on their own (cross-site WebSocket hijacking);
    // SameSite=Lax does not help against another port of the same host, which is same-site.
    if matches!(caller.credential, Credential::Session { .. }) && !origin_allowed(&state, &headers)
    {
        return Err(ApiError::problem(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "a WebSocket signed in with the session cookie must come from DoxIn's own origin \
             or FRONTEND_URL",
        ));
    }
    Ok(ws
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| session(state, caller, socket, initial)))
}

/// An origin as `(scheme, host, port)`, lower-cased, the scheme's default port made explicit;
/// `None` for anything without an `http(s)`/`ws(s)` scheme (such as the `null` origin).
fn origin_of(url: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let (host, port) = host_port(authority, default_port)?;
    Some((scheme, host, port))
}

/// `host[:port]` (IPv6 in brackets) as a lower-cased host and a port.
fn host_port(authority: &str, default_port: u16) -> Option<(String, u16)> {
    let authority = authority.rsplit('@').next()?;
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (format!("[{host}]"), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default_port,
    };
    if host.is_empty() {
        return None;
    }
    Some((host.to_ascii_lowercase(), port))
}

/// Whether the request's `Origin` is DoxIn's own (the `Host` it was sent to, or
/// `PUBLIC_URL`) or the configured `FRONTEND_URL`. No `Origin` is not allowed: browsers always
/// send one on WebSocket requests.
fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some((scheme, host, port)) = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(origin_of)
    else {
        return false;
    };
    let configured = [
        Some(state.auth.settings.public_url.as_str()),
        state.frontend_url.as_deref(),
    ];
    if configured
        .into_iter()
        .flatten()
        .filter_map(origin_of)
        .any(|o| o == (scheme.clone(), host.clone(), port))
    {
        return true;
    }
    // The browser sets `Host` to the server it connects to; a page may not change it. The
    // scheme is not known behind a proxy, so host and port decide.
    let default_port = if matches!(scheme.as_str(), "https" | "wss") {
        443
    } else {
        80
    };
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| host_port(h, default_port))
        .is_some_and(|own| own == (host, port))
}

/// Why an open socket is closed: the `error` event's code and the close frame.
#[derive(Debug, Clone, Copy)]
struct Ended {
    close: u16,
    code: &'static str,
    detail: &'static str,
}

/// Checks that the socket's credential still stands and that its user is active with the
/// role the socket was opened with. `Ok(Some(_))`: close the socket; `Err`: the store could
/// not tell (no reason to drop a client while the database is away).
async fn recheck(state: &AppState, caller: &Caller) -> Result<Option<Ended>, StoreError> {
    let me = caller.id();
    let unauthenticated = |code, detail| Ended {
        close: CLOSE_UNAUTHENTICATED,
        code,
        detail,
    };
    match &caller.credential {
        Credential::Session { token_hash, .. } => match state.store.get_session(token_hash).await {
            Ok(session) if session.user_id == me => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Ok(Some(unauthenticated(
                    "session_ended",
                    "the session has ended; sign in again",
                )));
            }
            Err(e) => return Err(e),
        },
        Credential::ApiToken { id } => {
            let tokens = state.store.list_api_tokens(me).await?;
            let usable = tokens
                .iter()
                .any(|t| t.id == *id && t.is_usable(Utc::now()));
            if !usable {
                return Ok(Some(unauthenticated(
                    "token_revoked",
                    "the API token was revoked or has expired",
                )));
            }
        }
        Credential::Jwt { expires_at } => {
            if *expires_at <= Utc::now() {
                return Ok(Some(unauthenticated(
                    "token_expired",
                    "the token has expired; connect again with a new one",
                )));
            }
        }
    }
    let user = match state.store.get_user(me).await {
        Ok(user) => user,
        Err(StoreError::NotFound) => {
            return Ok(Some(unauthenticated(
                "unauthenticated",
                "the account no longer exists",
            )));
        }
        Err(e) => return Err(e),
    };
    if !user.is_active {
        return Ok(Some(Ended {
            close: CLOSE_FORBIDDEN,
            code: "account_inactive",
            detail: "this account has been deactivated",
        }));
    }
    if user.role != caller.user.role {
        // The socket's scope came from the old role: a demoted administrator must not keep
        // following other users' jobs. Reconnecting gives a socket with the current rights.
        return Ok(Some(Ended {
            close: CLOSE_FORBIDDEN,
            code: "role_changed",
            detail: "the account's role changed; connect again",
        }));
    }
    Ok(None)
}

/// Says why, then closes.
async fn close(socket: &mut WebSocket, end: Ended) {
    let _ = send(
        socket,
        &json!({"event": "error", "code": end.code, "detail": end.detail}),
    )
    .await;
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: end.close,
            reason: end.code.into(),
        })))
        .await;
}

async fn send(socket: &mut WebSocket, value: &Value) -> bool {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .is_ok()
}

async fn session(state: AppState, caller: Caller, mut socket: WebSocket, initial: Initial) {
    // Subscribe to the bus before reading snapshots: an event between the two is then
    // seen twice at worst, never missed.
    let mut events = state.events.subscribe();
    let mut jobs: HashSet<Uuid> = HashSet::new();
    let me = caller.id();
    if let Some(job_id) = initial.job_id {
        let grants = vec![JobGrant { job_id }];
        if !subscribe(&state, &caller, &mut socket, &mut jobs, grants).await {
            return;
        }
    }
    let mut recheck_timer = tokio::time::interval(RECHECK_USER);
    recheck_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = recheck_timer.tick() => {
                match recheck(&state, &caller).await {
                    Ok(None) => {}
                    Ok(Some(end)) => {
                        close(&mut socket, end).await;
                        return;
                    }
                    // The database being away is no reason to drop a client.
                    Err(e) => tracing::debug!(error = %e, "websocket recheck"),
                }
            }
            incoming = socket.recv() => {
                let msg = match incoming {
                    Some(Ok(msg)) => msg,
                    Some(Err(e)) => {
                        // tungstenite refuses a message over the limit while reading it; the
                        // rest of it is never read, so the socket is done either way.
                        if e.to_string().contains("too long") {
                            let _ = socket
                                .send(Message::Close(Some(CloseFrame {
                                    code: close_code::SIZE,
                                    reason: "message_too_big".into(),
                                })))
                                .await;
                        }
                        return;
                    }
                    None => return,
                };
                let text = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => return,
                    _ => continue,
                };
                let ok = match serde_json::from_str::<ClientMessage>(&text) {
                    Ok(ClientMessage::Subscribe { jobs: grants }) => {
                        subscribe(&state, &caller, &mut socket, &mut jobs, grants).await
                    }
                    Ok(ClientMessage::Unsubscribe { job_ids }) => {
                        for id in &job_ids {
                            jobs.remove(id);
                        }
                        send(&mut socket, &json!({"event": "unsubscribed", "job_ids": job_ids})).await
                    }
                    Ok(ClientMessage::Ping) => send(&mut socket, &json!({"event": "pong"})).await,
                    Err(e) => send(&mut socket, &json!({"event": "error", "detail": format!("unreadable message: {e}")})).await,
                };
                if !ok {
                    return;
                }
            }
            event = events.recv() => {
                match event {
                    // Internal events (credential changes for the auth caches) never
                    // reach a client, whoever they concern.
                    Ok(event) if !event.for_clients() => {}
                    Ok(event) => {
                        let mine = event.owner_id() == Some(me);
                        if mine || event.job_id().is_some_and(|id| jobs.contains(&id)) {
                            let Ok(value) = serde_json::to_value(&event) else { continue };
                            if !send(&mut socket, &value).await {
                                return;
                            }
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        // Too slow to keep up: say so and send the current state of every job.
                        tracing::warn!(missed, "websocket client lagged");
                        let ids: Vec<Uuid> = jobs.iter().copied().collect();
                        if !send(&mut socket, &json!({"event": "lagged", "missed": missed})).await
                            || !snapshots(&state, &mut socket, &ids).await
                        {
                            return;
                        }
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        }
    }
}

/// Subscribes the jobs the caller can see, refuses the rest, and sends snapshots; `false`
/// when the socket is done. The credential and role are checked first, so rights lost since
/// the last periodic check are not used for this subscription.
async fn subscribe(
    state: &AppState,
    caller: &Caller,
    socket: &mut WebSocket,
    jobs: &mut HashSet<Uuid>,
    grants: Vec<JobGrant>,
) -> bool {
    if grants.len() > MAX_JOBS_PER_SUBSCRIBE {
        // Refused whole rather than cut short: a client must not believe it follows jobs it
        // does not.
        return send(
            socket,
            &json!({
                "event": "error",
                "code": "too_many_jobs",
                "detail": format!(
                    "at most {MAX_JOBS_PER_SUBSCRIBE} jobs per subscribe message ({} sent); \
                     nothing was subscribed",
                    grants.len()
                ),
                "max_jobs": MAX_JOBS_PER_SUBSCRIBE,
            }),
        )
        .await;
    }
    match recheck(state, caller).await {
        Ok(None) => {}
        Ok(Some(end)) => {
            close(socket, end).await;
            return false;
        }
        Err(e) => {
            tracing::warn!(error = %e, "websocket subscription check");
            return send(
                socket,
                &json!({
                    "event": "error",
                    "code": "unavailable",
                    "detail": "the subscription could not be checked; try again",
                }),
            )
            .await;
        }
    }
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for grant in grants {
        if state
            .store
            .get_job(grant.job_id, caller.scope())
            .await
            .is_ok()
        {
            jobs.insert(grant.job_id);
            accepted.push(grant.job_id);
        } else {
            rejected.push(grant.job_id);
        }
    }
    send(
        socket,
        &json!({"event": "subscribed", "job_ids": accepted, "rejected": rejected}),
    )
    .await
        && snapshots(state, socket, &accepted).await
}

async fn snapshots(state: &AppState, socket: &mut WebSocket, ids: &[Uuid]) -> bool {
    for id in ids {
        match state.store.get_job(*id, doxin_store::Scope::All).await {
            Ok(job) => {
                let mut view = job_view(&job);
                view["event"] = json!("job.snapshot");
                if !send(socket, &view).await {
                    return false;
                }
            }
            Err(e) => tracing::debug!(job_id = %id, error = %e, "no snapshot"),
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{host_port, origin_of};

    fn o(scheme: &str, host: &str, port: u16) -> Option<(String, String, u16)> {
        Some((scheme.into(), host.into(), port))
    }

    #[test]
    fn origins_are_compared_by_scheme_host_and_effective_port() {
        assert_eq!(
            origin_of("https://App.Example.com"),
            o("https", "app.example.com", 443)
        );
        assert_eq!(
            origin_of("https://app.example.com:443/x?y"),
            o("https", "app.example.com", 443)
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8000"),
            o("http", "127.0.0.1", 8000)
        );
        assert_eq!(origin_of("http://[::1]:8000"), o("http", "[::1]", 8000));
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("file:///etc/passwd"), None);
        assert_eq!(origin_of("http://host:notaport"), None);
        assert_eq!(origin_of("http://"), None);
        assert_eq!(
            host_port("127.0.0.1:8000", 80),
            Some(("127.0.0.1".into(), 8000))
        );
        assert_eq!(
            host_port("Doxin.test", 443),
            Some(("doxin.test".into(), 443))
        );
        assert_eq!(host_port("[::1]", 80), Some(("[::1]".into(), 80)));
    }
}
