//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use doxin_jobs::{Event, EventBus, JobQueue, SqlQueue};
use doxin_store::{FileStore, Store};
use uuid::Uuid;

use crate::auth::{Auth, AuthSettings};
use crate::tokens::JobTokens;

/// Limits and defaults of intake.
#[derive(Debug, Clone)]
pub struct IntakeLimits {
    /// Largest accepted document.
    pub max_upload_bytes: u64,
    /// Most pages a PDF may have.
    pub max_pages: u32,
    /// Queued jobs above which uploads are refused with 429.
    pub queue_max: u64,
    /// Job attempts before a job is failed for good.
    pub max_attempts: u32,
    /// Files accepted in one request.
    pub max_files_per_request: usize,
    /// Structural limits a PDF is checked against before its pages are counted.
    pub document: doxin_extract::DocumentLimits,
    /// The confidence an upload without its own threshold needs for automatic approval
    /// (`CONFIDENCE_THRESHOLD`, what the worker applies); the upload page starts from it.
    pub confidence_threshold: f32,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        IntakeLimits {
            max_upload_bytes: 25 * 1024 * 1024,
            max_pages: 200,
            queue_max: 10_000,
            max_attempts: 3,
            max_files_per_request: 50,
            document: doxin_extract::DocumentLimits::default(),
            confidence_threshold: 0.85,
        }
    }
}

/// Shared application state; cheap to clone: one reference count. Every request clones it
/// several times (each middleware and handler takes its own), and when it was the fields
/// themselves (strings, the sign-in settings, the sandbox's configuration, …) those copies
/// and their frees were a third of the server's time on `/api/health` under load (issue 16).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares; set up through `AppState`'s `with_*` methods.
#[derive(Clone)]
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub files: FileStore,
    /// A Redis client when `REDIS_URL` is configured (health reports it; queues use it).
    pub redis: Option<redis::Client>,
    pub version: String,
    pub queue: Arc<dyn JobQueue>,
    pub events: EventBus,
    pub limits: IntakeLimits,
    pub tokens: JobTokens,
    /// Downloads documents by URL behind the SSRF guard.
    pub fetcher: Arc<doxin_fetch::Fetcher>,
    /// This process's HTTP counters for `/metrics`.
    /// This process's metrics (HTTP here; jobs too when a worker runs in-process and shares it).
    pub metrics: doxin_metrics::Metrics,
    /// Request counts for the usage analytics, flushed to the store in batches.
    pub usage: crate::usage::UsageRecorder,
    /// The dashboard's figures, kept for seconds (see [`crate::aggregates`]).
    pub aggregates: crate::aggregates::Aggregates,
    /// Sessions, tokens, sign-in limits and first-run setup.
    pub auth: Auth,
    /// Sends invitations when SMTP is configured.
    pub mailer: Option<crate::mail::Mailer>,
    /// Embeds search queries and invoices for semantic search (the hash embedder unless the
    /// deployment configures a model; the worker must use the same one).
    pub embedder: Arc<dyn doxin_embed::Embedder>,
    /// Reads uploaded documents (page counts at intake) in a child process with limits, so a
    /// hostile file cannot take the API down.
    pub sandbox: doxin_sandbox::Sandbox,
    /// The browser application's address (`FRONTEND_URL`) when it is served from elsewhere:
    /// its origin may open WebSockets with the session cookie, besides DoxIn's own.
    pub frontend_url: Option<String>,
}

impl AppState {
    /// A state with the embedded defaults: the SQL queue, an in-process event bus, default
    /// limits, a development job-token key, a random JWT key of this process (see
    /// [`Auth::development`]) and a fetcher that allows no private address.
    pub fn new(store: Arc<dyn Store>, files: FileStore, version: impl Into<String>) -> AppState {
        AppState(Arc::new(Shared {
            queue: Arc::new(SqlQueue::new(store.clone(), Duration::from_secs(60))),
            store,
            files,
            redis: None,
            version: version.into(),
            events: EventBus::local(),
            limits: IntakeLimits::default(),
            tokens: JobTokens::new(b"doxin-development-job-tokens"),
            fetcher: Arc::new(doxin_fetch::Fetcher::new(
                doxin_fetch::FetchPolicy::default(),
            )),
            metrics: doxin_metrics::Metrics::new(),
            usage: crate::usage::UsageRecorder::default(),
            aggregates: crate::aggregates::Aggregates::default(),
            auth: Auth::development(),
            mailer: None,
            embedder: Arc::new(doxin_embed::hash::HashEmbedder::default()),
            sandbox: doxin_sandbox::Sandbox::default(),
            frontend_url: None,
        }))
    }

    /// The shared fields to change while the state is being set up (copied first if it is
    /// already shared).
    fn setup(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// Authentication with this JWT secret, these settings and this sign-in rate limit; fails
    /// only for an empty secret.
    pub fn with_auth(
        mut self,
        jwt_secret: &[u8],
        settings: AuthSettings,
        per_minute: u32,
    ) -> Result<AppState, jsonwebtoken::errors::Error> {
        self.setup().auth = Auth::new(jwt_secret, settings, per_minute)?;
        Ok(self)
    }

    /// Adds the Redis at `url`; fails only on a malformed URL (connecting happens on use).
    pub fn with_redis(mut self, url: &str) -> Result<AppState, redis::RedisError> {
        self.setup().redis = Some(redis::Client::open(url)?);
        Ok(self)
    }

    /// Adds a Redis client built elsewhere (over TLS: `doxin_jobs::redis_client`).
    pub fn with_redis_client(mut self, client: redis::Client) -> AppState {
        self.setup().redis = Some(client);
        self
    }

    /// The queue and event bus the API hands jobs to and follows them on.
    pub fn with_jobs(mut self, queue: Arc<dyn JobQueue>, events: EventBus) -> AppState {
        self.setup().queue = queue;
        self.setup().events = events;
        self
    }

    /// Shares `metrics` with the in-process worker, so one `/metrics` shows both.
    pub fn with_metrics(mut self, metrics: doxin_metrics::Metrics) -> AppState {
        self.setup().metrics = metrics;
        self
    }

    pub fn with_limits(mut self, limits: IntakeLimits) -> AppState {
        self.setup().limits = limits;
        self
    }

    /// Job tokens signed with this key (every API process of a deployment must share it).
    pub fn with_token_key(mut self, key: &[u8]) -> AppState {
        self.setup().tokens = JobTokens::new(key);
        self
    }

    pub fn with_embedder(mut self, embedder: Arc<dyn doxin_embed::Embedder>) -> AppState {
        self.setup().embedder = embedder;
        self
    }

    pub fn with_mailer(mut self, mailer: crate::mail::Mailer) -> AppState {
        self.setup().mailer = Some(mailer);
        self
    }

    pub fn with_sandbox(mut self, sandbox: doxin_sandbox::Sandbox) -> AppState {
        self.setup().sandbox = sandbox;
        self
    }

    /// The browser application's address (`FRONTEND_URL`), trusted as a WebSocket origin.
    pub fn with_frontend_url(mut self, url: Option<String>) -> AppState {
        self.setup().frontend_url = url;
        self
    }

    pub fn with_fetcher(mut self, fetcher: doxin_fetch::Fetcher) -> AppState {
        self.setup().fetcher = Arc::new(fetcher);
        self
    }

    /// Call after changing what `user`'s credentials resolve to (the account, its sessions,
    /// API tokens or memberships), once the change is written: drops this process's cached
    /// callers of `user` before returning, and tells the other API processes over the event
    /// bus (see `auth::cache`).
    pub async fn credentials_changed(&self, user: Uuid) {
        self.auth.cache.forget_user(user);
        self.events
            .publish(Event::CredentialsChanged {
                user_id: Some(user),
                workspace_id: None,
                at: Utc::now(),
            })
            .await;
    }

    /// Like [`AppState::credentials_changed`], for every caller acting in `workspace`.
    pub async fn workspace_changed(&self, workspace: Uuid) {
        self.auth.cache.forget_workspace(workspace);
        self.events
            .publish(Event::CredentialsChanged {
                user_id: None,
                workspace_id: Some(workspace),
                at: Utc::now(),
            })
            .await;
    }
}
