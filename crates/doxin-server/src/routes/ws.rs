//! `GET /ws`: live job events over a WebSocket.
//!
//! The upgrade request is authenticated like any other (session cookie or bearer token). A
//! connection then receives the events of the caller's own jobs and the caller's
//! notifications, and may subscribe to further jobs it can see (an administrator: any). Other
//! users' jobs are refused as if they did not exist. On each subscription the server first
//! sends the job's current state (`job.snapshot`) and then its events, so a client that
//! subscribes after a job has finished, or that lost events on a slow link, still learns how
//! it ended. The user is re-read every few seconds: a deactivated account's sockets close.
//!
//! Client → server: `{"action":"subscribe","jobs":[{"job_id":…}]}` (a `token` from the upload
//! answer is accepted and ignored: ownership decides),
//! `{"action":"unsubscribe","job_ids":[…]}`, `{"action":"ping"}`.
//! Server → client: `subscribed`, `job.snapshot`, `job.progress`, `job.completed`,
//! `job.failed`, `job.cancelled`, `pong`, `error`.

use std::collections::HashSet;

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::routes::jobs::job_view;

pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

/// How often an open socket re-checks that its user is still active.
const RECHECK_USER: std::time::Duration = std::time::Duration::from_secs(3);

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
    Query(initial): Query<Initial>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| session(state, caller, socket, initial))
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
    let mut recheck = tokio::time::interval(RECHECK_USER);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = recheck.tick() => {
                let active = match state.store.get_user(me).await {
                    Ok(user) => user.is_active,
                    Err(doxin_store::StoreError::NotFound) => false,
                    // The database being away is no reason to drop a client.
                    Err(_) => true,
                };
                if !active {
                    let _ = send(&mut socket, &json!({"event": "error", "code": "account_inactive", "detail": "this account has been deactivated"})).await;
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            }
            incoming = socket.recv() => {
                let Some(Ok(msg)) = incoming else { return };
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

/// Subscribes the jobs the caller can see, refuses the rest, and sends snapshots.
async fn subscribe(
    state: &AppState,
    caller: &Caller,
    socket: &mut WebSocket,
    jobs: &mut HashSet<Uuid>,
    grants: Vec<JobGrant>,
) -> bool {
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
