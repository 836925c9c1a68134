//! Events of the pipeline and the bus that carries them to every API server.
//!
//! Events are notifications, not the record: a client that misses one (a reconnect, a Redis
//! hiccup) reads the job's state from the database. So publishing never fails a job; a lost
//! event is logged and the job goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use doxin_model::JobStage;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, broadcast};
use uuid::Uuid;

use crate::RedisKeys;

/// How a finished job ended for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Saved and approved automatically.
    Approved,
    /// Saved; a person should look at it.
    NeedsReview,
    /// The same document was already an invoice; nothing new was saved.
    Duplicate,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::NeedsReview => "needs_review",
            Outcome::Duplicate => "duplicate",
        }
    }
}

/// Something that happened; serialised with an `event` tag for WebSocket clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum Event {
    /// A job entered a stage (progress in percent).
    #[serde(rename = "job.progress")]
    JobProgress {
        job_id: Uuid,
        owner_id: Option<Uuid>,
        stage: JobStage,
        progress: i16,
        at: DateTime<Utc>,
    },
    #[serde(rename = "job.completed")]
    JobCompleted {
        job_id: Uuid,
        owner_id: Option<Uuid>,
        /// The invoice this job produced, or the original for a duplicate.
        invoice_id: Option<Uuid>,
        outcome: Outcome,
        duplicate_of: Option<Uuid>,
        confidence: f32,
        at: DateTime<Utc>,
    },
    #[serde(rename = "job.failed")]
    JobFailed {
        job_id: Uuid,
        owner_id: Option<Uuid>,
        error_code: String,
        error: String,
        at: DateTime<Utc>,
    },
    #[serde(rename = "job.cancelled")]
    JobCancelled {
        job_id: Uuid,
        owner_id: Option<Uuid>,
        at: DateTime<Utc>,
    },
    /// A report job moved on (`step`: query, compute, save).
    #[serde(rename = "report.progress")]
    ReportProgress {
        job_id: Uuid,
        report_id: Uuid,
        owner_id: Option<Uuid>,
        step: String,
        progress: i16,
        at: DateTime<Utc>,
    },
    /// A report's files are ready (a failed report job ends with `job.failed`).
    #[serde(rename = "report.completed")]
    ReportCompleted {
        job_id: Uuid,
        report_id: Uuid,
        owner_id: Option<Uuid>,
        formats: Vec<String>,
        at: DateTime<Utc>,
    },
    /// A message for one user (or, with no owner, for the anonymous uploader's channel).
    #[serde(rename = "notification")]
    Notification {
        owner_id: Option<Uuid>,
        title: String,
        body: String,
        at: DateTime<Utc>,
    },
    /// What a credential resolves to changed: `user_id`'s account, sessions, API tokens or
    /// memberships, or `workspace_id` (neither: anything). API processes drop the callers
    /// they cached for it. For the servers only: never sent to WebSocket clients (see
    /// [`Event::for_clients`]).
    #[serde(rename = "credentials.changed")]
    CredentialsChanged {
        user_id: Option<Uuid>,
        workspace_id: Option<Uuid>,
        at: DateTime<Utc>,
    },
}

impl Event {
    pub fn job_id(&self) -> Option<Uuid> {
        match self {
            Event::JobProgress { job_id, .. }
            | Event::JobCompleted { job_id, .. }
            | Event::JobFailed { job_id, .. }
            | Event::JobCancelled { job_id, .. }
            | Event::ReportProgress { job_id, .. }
            | Event::ReportCompleted { job_id, .. } => Some(*job_id),
            Event::Notification { .. } | Event::CredentialsChanged { .. } => None,
        }
    }

    pub fn owner_id(&self) -> Option<Uuid> {
        match self {
            Event::JobProgress { owner_id, .. }
            | Event::JobCompleted { owner_id, .. }
            | Event::JobFailed { owner_id, .. }
            | Event::JobCancelled { owner_id, .. }
            | Event::ReportProgress { owner_id, .. }
            | Event::ReportCompleted { owner_id, .. }
            | Event::Notification { owner_id, .. } => *owner_id,
            // Not an owner: whose credentials changed is nobody's notification.
            Event::CredentialsChanged { .. } => None,
        }
    }

    /// Whether WebSocket clients may see this event at all (internal events are for the
    /// servers).
    pub fn for_clients(&self) -> bool {
        !matches!(self, Event::CredentialsChanged { .. })
    }

    /// Whether this is the last event of its job.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Event::JobCompleted { .. }
                | Event::JobFailed { .. }
                | Event::JobCancelled { .. }
                | Event::ReportCompleted { .. }
        )
    }
}

/// Fan-out of events: every subscriber of every process sharing the bus sees every event.
#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<Event>,
    redis: Option<Arc<RedisPublisher>>,
    /// Jobs this process has seen end (see [`EventBus::jobs_ended`]).
    ended: Arc<AtomicU64>,
}

struct RedisPublisher {
    client: redis::Client,
    channel: String,
    conn: Mutex<Option<redis::aio::ConnectionManager>>,
}

/// Events buffered per subscriber before a slow one starts losing the oldest.
const CAPACITY: usize = 4096;

impl EventBus {
    /// A bus within this process (the embedded single-node setup).
    pub fn local() -> EventBus {
        EventBus {
            local: broadcast::channel(CAPACITY).0,
            redis: None,
            ended: Arc::default(),
        }
    }

    /// A bus over Redis pub/sub: events published by any process reach the subscribers of
    /// every process. Spawns the subscriber task, which reconnects on its own.
    pub fn redis(client: redis::Client, keys: &RedisKeys) -> EventBus {
        let local = broadcast::channel(CAPACITY).0;
        let channel = keys.events();
        let ended = Arc::<AtomicU64>::default();
        tokio::spawn(forward_from_redis(
            client.clone(),
            channel.clone(),
            local.clone(),
            ended.clone(),
        ));
        EventBus {
            local,
            ended,
            redis: Some(Arc::new(RedisPublisher {
                client,
                channel,
                conn: Mutex::new(None),
            })),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    /// How many jobs this process has seen end (completed, failed, cancelled, reports
    /// finished), counted just before their last event reaches this process's subscribers,
    /// so whoever learnt of the end from an event (a browser over `/ws`) finds the count
    /// moved. Caches of figures that jobs change compare it to decide they are stale, without
    /// a task of their own.
    pub fn jobs_ended(&self) -> u64 {
        self.ended.load(Ordering::Acquire)
    }

    /// Sends an event to every subscriber; failures are logged (see the module note).
    pub async fn publish(&self, event: Event) {
        match &self.redis {
            // Through Redis only: our own subscriber task brings it back to local subscribers,
            // so each event is seen once everywhere.
            Some(publisher) => {
                if let Err(e) = publisher.publish(&event).await {
                    tracing::warn!(error = %e, job_id = ?event.job_id(), "event not published");
                }
            }
            None => deliver(&self.local, &self.ended, event),
        }
    }
}

impl RedisPublisher {
    async fn publish(&self, event: &Event) -> Result<(), redis::RedisError> {
        let payload = serde_json::to_string(event).map_err(|e| {
            redis::RedisError::from((redis::ErrorKind::Client, "event encoding", e.to_string()))
        })?;
        let mut guard = self.conn.lock().await;
        let conn = match guard.as_mut() {
            Some(c) => c,
            None => guard.insert(self.client.get_connection_manager().await?),
        };
        let _: i64 = redis::cmd("PUBLISH")
            .arg(&self.channel)
            .arg(payload)
            .query_async(conn)
            .await?;
        Ok(())
    }
}

/// Hands `event` to this process's subscribers, counting it when it ends a job.
fn deliver(local: &broadcast::Sender<Event>, ended: &AtomicU64, event: Event) {
    if event.is_terminal() {
        ended.fetch_add(1, Ordering::AcqRel);
    }
    let _ = local.send(event);
}

async fn forward_from_redis(
    client: redis::Client,
    channel: String,
    local: broadcast::Sender<Event>,
    ended: Arc<AtomicU64>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    backoff = Duration::from_millis(100);
                    tracing::debug!(%channel, "subscribed to events");
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        match serde_json::from_str::<Event>(&payload) {
                            Ok(event) => deliver(&local, &ended, event),
                            Err(e) => tracing::warn!(error = %e, "undecodable event ignored"),
                        }
                    }
                    tracing::warn!(%channel, "event subscription ended; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "cannot subscribe to events"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot reach Redis for events"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_a_tag() {
        let e = Event::JobCompleted {
            job_id: Uuid::nil(),
            owner_id: None,
            invoice_id: Some(Uuid::nil()),
            outcome: Outcome::NeedsReview,
            duplicate_of: None,
            confidence: 0.5,
            at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
        };
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json["event"], "job.completed");
        assert_eq!(json["outcome"], "needs_review");
        let back: Event = serde_json::from_value(json).expect("parse");
        assert_eq!(back, e);
        assert!(back.is_terminal());
        assert!(back.for_clients());
    }

    #[test]
    fn credential_changes_are_for_the_servers_only() {
        let e = Event::CredentialsChanged {
            user_id: Some(Uuid::nil()),
            workspace_id: None,
            at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
        };
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json["event"], "credentials.changed");
        let back: Event = serde_json::from_value(json).expect("parse");
        assert_eq!(back, e);
        assert!(!back.for_clients());
        assert_eq!(back.owner_id(), None);
        assert_eq!(back.job_id(), None);
        assert!(!back.is_terminal());
    }

    #[tokio::test]
    async fn local_bus_delivers_to_every_subscriber() {
        let bus = EventBus::local();
        let (mut a, mut b) = (bus.subscribe(), bus.subscribe());
        bus.publish(Event::JobCancelled {
            job_id: Uuid::nil(),
            owner_id: None,
            at: Utc::now(),
        })
        .await;
        assert_eq!(
            a.recv().await.ok().and_then(|e| e.job_id()),
            Some(Uuid::nil())
        );
        assert_eq!(
            b.recv().await.ok().and_then(|e| e.job_id()),
            Some(Uuid::nil())
        );
    }
}
