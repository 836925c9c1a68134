//! API usage analytics: every request counted by UTC day, route template, user and status,
//! for `GET /api/v1/admin/analytics/usage`.
//!
//! Counting happens in memory ([`UsageRecorder`]); the counts are added to the store's
//! counters in one batch every [`FLUSH_EVERY`] by a background task (started with the first
//! request), and on demand before a report is read. So a request costs a map update, never a
//! database write, and the table grows with distinct keys, not with traffic. Counts still in
//! memory when the process dies are lost (at most a few seconds' worth): analytics, not
//! accounting.
//!
//! Not counted: health checks (`/api/health`, `/api/v1/health…`) and metric scrapes
//! (`/metrics`), which machines call on a timer and would drown what people do. The route
//! is the matched template (`/api/v1/invoices/{id}`), never the raw path, so ids and query
//! strings stay out and the number of keys stays bounded; requests no route matched are
//! counted under `unmatched`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use doxin_store::{Store, UsageKey};

use crate::AppState;
use crate::auth::Caller;

/// How often counts are written to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// Distinct keys held in memory at most; past this, new keys are dropped until the next
/// flush (a flood of distinct users or routes must not grow memory without bound).
const MAX_PENDING_KEYS: usize = 50_000;

/// This process's counts not yet written; cheap to clone.
#[derive(Clone, Default)]
pub struct UsageRecorder {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    pending: Mutex<HashMap<UsageKey, u64>>,
    flusher_started: AtomicBool,
}

impl std::fmt::Debug for UsageRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageRecorder").finish_non_exhaustive()
    }
}

impl UsageRecorder {
    fn add(&self, key: UsageKey) {
        let mut pending = self
            .inner
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = pending.get_mut(&key) {
            *n += 1;
        } else if pending.len() < MAX_PENDING_KEYS {
            pending.insert(key, 1);
        }
    }

    fn take(&self) -> Vec<(UsageKey, u64)> {
        let mut pending = self
            .inner
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.drain().collect()
    }

    /// Puts counts back after a failed write, so a database hiccup loses nothing.
    fn restore(&self, counts: Vec<(UsageKey, u64)>) {
        let mut pending = self
            .inner
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (key, n) in counts {
            if let Some(have) = pending.get_mut(&key) {
                *have += n;
            } else if pending.len() < MAX_PENDING_KEYS {
                pending.insert(key, n);
            }
        }
    }

    /// Writes the pending counts now (the report calls this so it includes this process's
    /// latest requests).
    pub async fn flush(&self, store: &dyn Store) -> Result<(), doxin_store::StoreError> {
        let counts = self.take();
        if counts.is_empty() {
            return Ok(());
        }
        if let Err(e) = store.record_usage(&counts).await {
            self.restore(counts);
            return Err(e);
        }
        Ok(())
    }

    /// Starts the periodic flush once per recorder. The task holds the recorder weakly and
    /// ends when the application (and with it the recorder) is gone.
    fn ensure_flusher(&self, store: Arc<dyn Store>) {
        if self.inner.flusher_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FLUSH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                let recorder = UsageRecorder { inner };
                if let Err(e) = recorder.flush(store.as_ref()).await {
                    tracing::warn!(error = %e, "writing API usage counts; kept for the next try");
                }
            }
        });
    }
}

/// Whether requests to this route template are left out of the analytics.
fn excluded(route: &str) -> bool {
    route == "/metrics"
        || route == "/api/health"
        || route.starts_with("/api/health/")
        || route == "/api/v1/health"
        || route.starts_with("/api/v1/health/")
}

/// The middleware: identifies the caller (if any), runs the request, counts the answer.
///
/// The caller is resolved here, before the handler, with the same [`Caller`] extractor the
/// handlers use; it leaves the result in the request's extensions, where the handler's own
/// extraction finds it, so a request is still authenticated once. A request without a valid
/// credential is counted as anonymous and passed on untouched: rejecting it is the handler's
/// business (and public routes have no credential).
pub async fn count_usage(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    if route.as_deref().is_some_and(excluded) {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let (mut parts, body) = req.into_parts();
    let user_id = if has_credential(&parts.headers) {
        Caller::from_request_parts(&mut parts, &state)
            .await
            .ok()
            .map(|c| c.id())
    } else {
        None
    };
    let resp = next.run(Request::from_parts(parts, body)).await;
    let key = UsageKey {
        day: chrono::Utc::now().date_naive(),
        method,
        route: route.unwrap_or_else(|| "unmatched".to_string()),
        user_id,
        status: resp.status().as_u16(),
    };
    state.usage.add(key);
    state.usage.ensure_flusher(state.store.clone());
    resp
}

/// Whether the request carries anything that could identify a user; without one there is
/// nothing to look up.
fn has_credential(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key(axum::http::header::AUTHORIZATION)
        || crate::auth::cookie(headers, crate::auth::SESSION_COOKIE).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_and_metrics_are_not_counted() {
        for r in [
            "/metrics",
            "/api/health",
            "/api/v1/health",
            "/api/v1/health/database",
            "/api/v1/health/detailed",
        ] {
            assert!(excluded(r), "{r}");
        }
        for r in [
            "/api/v1/invoices",
            "/api/v1/healthy-things",
            "/api/v1/admin/users",
        ] {
            assert!(!excluded(r), "{r}");
        }
    }

    #[test]
    fn counts_add_up_and_survive_a_failed_write() {
        let r = UsageRecorder::default();
        let key = UsageKey {
            day: chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("date"),
            method: "GET".into(),
            route: "/api/v1/invoices".into(),
            user_id: None,
            status: 200,
        };
        r.add(key.clone());
        r.add(key.clone());
        let taken = r.take();
        assert_eq!(taken, vec![(key.clone(), 2)]);
        assert!(r.take().is_empty());
        r.restore(taken);
        r.add(key.clone());
        assert_eq!(r.take(), vec![(key, 3)]);
    }
}
