//! What every handler can reach.

use std::sync::Arc;

use doxin_store::{FileStore, Store};

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub files: FileStore,
    /// A Redis client when `REDIS_URL` is configured (health reports it; queues use it).
    pub redis: Option<redis::Client>,
    pub version: String,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, files: FileStore, version: impl Into<String>) -> AppState {
        AppState {
            store,
            files,
            redis: None,
            version: version.into(),
        }
    }

    /// Adds the Redis at `url`; fails only on a malformed URL (connecting happens on use).
    pub fn with_redis(mut self, url: &str) -> Result<AppState, redis::RedisError> {
        self.redis = Some(redis::Client::open(url)?);
        Ok(self)
    }
}
