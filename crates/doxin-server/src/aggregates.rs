//! Figures over all of a scope's invoices (the dashboard's), kept for a few seconds.
//!
//! The dashboard is the page a team opens first and most often; its figures are aggregates
//! over every invoice in the scope, which at 100,000 invoices cost tens of milliseconds of
//! database time each. They are computed once per scope and reused until one of three
//! things happens:
//! - [`FIGURES_TTL`] passes (the bound for changes made elsewhere: another API process, the
//!   CLI, a worker on another host whose events this process missed);
//! - this process answered a change (any successful request other than GET/HEAD/OPTIONS:
//!   see [`note_changes`]), so a person sees their own edit, upload or decision at once;
//! - a job ended, as the event bus told this process ([`doxin_jobs::EventBus::jobs_ended`]).
//!
//! Concurrent requests for the same scope wait for one computation instead of each running
//! the same aggregates (a page of 64 simultaneous dashboards costs one set of queries).
//!
//! Figures that are old only by time (nothing this process knows of changed them) are
//! answered at once while one background task computes the next ones, for up to
//! [`STALE_FOR`] past the TTL: at 1,000,000 invoices a computation takes over a second, and
//! every request arriving during it used to wait for it (p99 1.6 s under load). A change
//! this process answered, or a job that ended, still makes the next request wait for new
//! figures, so a person sees their own edit at once.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use doxin_store::Scope;
use serde_json::Value;

use crate::AppState;

/// How long figures may be reused when nothing this process knows of changed them.
pub const FIGURES_TTL: Duration = Duration::from_secs(5);

/// How long past the TTL figures may still be answered while new ones are computed in the
/// background; past it (the refresh keeps failing, or nobody asked for a while) a request
/// waits for new figures.
pub const STALE_FOR: Duration = Duration::from_secs(30);

/// Scopes kept at most; past it the cache starts afresh (one entry per workspace in use).
const MAX_SCOPES: usize = 10_000;

/// What a set of figures was computed for: whose, which day counts as today.
type Key = (Scope, DateTime<Utc>);

/// When figures were computed and what had happened by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    writes: u64,
    jobs_ended: u64,
}

struct Entry {
    at: Instant,
    stamp: Stamp,
    value: Arc<Value>,
    /// A background computation of the next figures is under way.
    refreshing: bool,
}

/// One scope's slot: its async lock is what makes concurrent misses wait for one computation.
type Slot = Arc<tokio::sync::Mutex<Option<Entry>>>;

/// The cache of aggregate figures; cheap to clone (shared).
#[derive(Clone)]
pub struct Aggregates {
    ttl: Duration,
    writes: Arc<AtomicU64>,
    slots: Arc<Mutex<HashMap<Key, Slot>>>,
}

impl Default for Aggregates {
    fn default() -> Self {
        Aggregates::new(FIGURES_TTL)
    }
}

impl Aggregates {
    /// Figures reused for at most `ttl` (zero: computed on every request).
    pub fn new(ttl: Duration) -> Aggregates {
        Aggregates {
            ttl,
            writes: Arc::default(),
            slots: Arc::default(),
        }
    }

    /// Marks every cached figure stale: this process changed something.
    pub fn changed(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
    }

    fn slot(&self, key: Key) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_SCOPES && !slots.contains_key(&key) {
            slots.clear();
        }
        slots.entry(key).or_default().clone()
    }

    /// The figures of `scope` for the day starting at `day_start`: cached ones while fresh
    /// or old only by time (see the module note), else what `compute` returns (an error is
    /// not cached).
    pub async fn get_or_compute<E, F, C>(
        &self,
        scope: Scope,
        day_start: DateTime<Utc>,
        jobs_ended: u64,
        compute: C,
    ) -> Result<Arc<Value>, E>
    where
        C: FnOnce() -> F + Send + 'static,
        F: Future<Output = Result<Value, E>> + Send + 'static,
        E: Send + 'static,
    {
        let slot = self.slot((scope, day_start));
        let mut entry = slot.lock().await;
        // Read after taking the lock: a change that landed while waiting for it counts.
        let stamp = Stamp {
            writes: self.writes.load(Ordering::Acquire),
            jobs_ended,
        };
        if let Some(e) = entry.as_mut()
            && e.stamp == stamp
        {
            let age = e.at.elapsed();
            if age < self.ttl {
                return Ok(e.value.clone());
            }
            if age < self.ttl + STALE_FOR {
                if !e.refreshing {
                    e.refreshing = true;
                    tokio::spawn(refresh(slot.clone(), stamp, compute));
                }
                return Ok(e.value.clone());
            }
        }
        let value = Arc::new(compute().await?);
        *entry = Some(Entry {
            at: Instant::now(),
            stamp,
            value: value.clone(),
            refreshing: false,
        });
        Ok(value)
    }
}

/// Computes the next figures of a slot without holding it, then keeps them unless newer ones
/// (computed for a later change) arrived meanwhile.
async fn refresh<E, F>(slot: Slot, stamp: Stamp, compute: impl FnOnce() -> F)
where
    F: Future<Output = Result<Value, E>>,
{
    let computed = compute().await;
    let mut entry = slot.lock().await;
    let Some(e) = entry.as_mut() else {
        return;
    };
    match computed {
        Ok(value) if e.stamp == stamp => {
            *e = Entry {
                at: Instant::now(),
                stamp,
                value: Arc::new(value),
                refreshing: false,
            };
        }
        // Replaced by figures of a later change (fresher than these), or failed: the next
        // request past the TTL tries again.
        _ => e.refreshing = false,
    }
}

/// Middleware: a successful change answered by this process makes the cached figures stale.
pub async fn note_changes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let resp = next.run(req).await;
    if changes && resp.status().is_success() {
        state.aggregates.changed();
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A computation that counts its runs and answers with the count before it.
    fn computing(
        n: &Arc<AtomicUsize>,
    ) -> impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = Result<Value, ()>> + Send>>
    + Send
    + 'static {
        let n = n.clone();
        move || {
            Box::pin(async move {
                let i = n.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(Value::from(i))
            })
        }
    }

    #[tokio::test]
    async fn figures_are_reused_until_a_change_a_job_or_the_ttl() {
        let cache = Aggregates::new(Duration::from_millis(300));
        let runs = Arc::new(AtomicUsize::new(0));
        let day = Utc::now();
        let scope = Scope::All;
        let get = |ended| cache.get_or_compute(scope, day, ended, computing(&runs));
        assert_eq!(*get(0).await.expect("first"), Value::from(0));
        assert_eq!(*get(0).await.expect("cached"), Value::from(0));
        cache.changed();
        assert_eq!(*get(0).await.expect("after a change"), Value::from(1));
        assert_eq!(*get(1).await.expect("after a job ended"), Value::from(2));
        assert_eq!(*get(1).await.expect("cached again"), Value::from(2));
        tokio::time::sleep(Duration::from_millis(350)).await;
        // Old only by time: answered at once, while the next figures are computed once in
        // the background.
        assert_eq!(*get(1).await.expect("after the ttl"), Value::from(2));
        assert_eq!(*get(1).await.expect("still refreshing"), Value::from(2));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(*get(1).await.expect("refreshed"), Value::from(3));
        assert_eq!(runs.load(Ordering::SeqCst), 4);
        // A change still waits for new figures, whatever their age.
        cache.changed();
        assert_eq!(*get(1).await.expect("after a change"), Value::from(4));
        // Another scope has its own figures.
        let other = Scope::admin_of(uuid::Uuid::new_v4());
        let v = cache
            .get_or_compute(other, day, 1, computing(&runs))
            .await
            .expect("other scope");
        assert_eq!(*v, Value::from(5));
    }

    #[tokio::test]
    async fn concurrent_misses_compute_once() {
        let cache = Aggregates::new(Duration::from_secs(60));
        let runs = Arc::new(AtomicUsize::new(0));
        let day = Utc::now();
        let all = futures::future::join_all(
            (0..16).map(|_| cache.get_or_compute(Scope::All, day, 0, computing(&runs))),
        )
        .await;
        assert!(all.iter().all(|v| v.as_deref() == Ok(&Value::from(0))));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn errors_are_not_kept() {
        let cache = Aggregates::new(Duration::from_secs(60));
        let day = Utc::now();
        let failed: Result<_, &str> = cache
            .get_or_compute(Scope::All, day, 0, || async { Err("database down") })
            .await;
        assert!(failed.is_err());
        let ok: Result<_, &str> = cache
            .get_or_compute(Scope::All, day, 0, || async { Ok(Value::from(7)) })
            .await;
        assert_eq!(ok.as_deref(), Ok(&Value::from(7)));
    }
}
