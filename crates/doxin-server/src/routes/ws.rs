//! `GET /ws`: live job events over a WebSocket.
//!
//! A client subscribes to jobs by id with the job token it got at upload (accounts will add
//! the caller's own channel). On each subscription the server first sends the job's current
//! state (`job.snapshot`) and then its events, so a client that subscribes after a job has
//! finished, or that lost events on a slow link, still learns how it ended.
//!
//! Client → server: `{"action":"subscribe","jobs":[{"job_id":…,"token":…}]}`,
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
use crate::routes::jobs::job_view;

pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

#[derive(Debug, Deserialize)]
struct Initial {
    job_id: Option<Uuid>,
    token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct JobGrant {
    job_id: Uuid,
    token: String,
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
    Query(initial): Query<Initial>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| session(state, socket, initial))
}

async fn send(socket: &mut WebSocket, value: &Value) -> bool {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .is_ok()
}

async fn session(state: AppState, mut socket: WebSocket, initial: Initial) {
    // Subscribe to the bus before reading snapshots: an event between the two is then
    // seen twice at worst, never missed.
    let mut events = state.events.subscribe();
    let mut jobs: HashSet<Uuid> = HashSet::new();
    if let (Some(job_id), Some(token)) = (initial.job_id, initial.token) {
        let grants = vec![JobGrant { job_id, token }];
        if !subscribe(&state, &mut socket, &mut jobs, grants).await {
            return;
        }
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(msg)) = incoming else { return };
                let text = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => return,
                    _ => continue,
                };
                let ok = match serde_json::from_str::<ClientMessage>(&text) {
                    Ok(ClientMessage::Subscribe { jobs: grants }) => {
                        subscribe(&state, &mut socket, &mut jobs, grants).await
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
                        if event.job_id().is_some_and(|id| jobs.contains(&id)) {
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

/// Checks each grant, subscribes the valid ones and sends their snapshots.
async fn subscribe(
    state: &AppState,
    socket: &mut WebSocket,
    jobs: &mut HashSet<Uuid>,
    grants: Vec<JobGrant>,
) -> bool {
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for grant in grants {
        if state.tokens.verify(grant.job_id, &grant.token) {
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
