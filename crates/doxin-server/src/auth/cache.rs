//! A short-lived cache of credential → caller, so a request costs no store query to learn who
//! is calling (without it: the token or session, the user, and the membership: 2–3 queries).
//!
//! Bound: an entry lives at most [`AuthCache::ttl`] (`AUTH_CACHE_SECONDS`, default 5; 0 turns
//! the cache off). Within that, changes made through an API process take effect at once:
//! the handler that revokes a token, ends a session, changes a user or a membership drops the
//! user's entries in its own process before it answers ([`AuthCache::forget_user`]) and
//! publishes [`doxin_jobs::Event::CredentialsChanged`] on the event bus, on which every other
//! API process sharing the bus drops theirs ([`follow`]). What is written to the database
//! some other way, and an event lost on the way, is honoured within the TTL.
//!
//! A hit still checks what can end on its own: a session's or API token's expiry (a JWT's is
//! verified on every request anyway). Only active callers with a resolved workspace are
//! cached; refusals are not.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use doxin_jobs::Event;
use doxin_store::{Membership, User};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::Credential;

/// Entries kept at most; above it expired entries are swept, then, if still full, all go.
pub const MAX_ENTRIES: usize = 10_000;

/// How often an API token's last use is written at most (per cached entry and on each
/// lookup in the store).
pub const TOKEN_TOUCH_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// What a credential resolved to: everything `resolve_caller` needs besides the request.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub user: User,
    pub credential: Credential,
    pub workspace: Option<Membership>,
    pub chose_workspace: bool,
}

/// A cached resolution and what a hit must still check.
#[derive(Debug, Clone)]
struct Entry {
    resolved: Resolved,
    cached_at: Instant,
    /// When the credential itself ends (session, API token); `None`: not by time.
    valid_until: Option<DateTime<Utc>>,
    /// An API token's id and when its use was last written.
    token_use: Option<(Uuid, Option<DateTime<Utc>>)>,
}

/// A cache hit.
#[derive(Debug, Clone)]
pub struct Hit {
    pub resolved: Resolved,
    /// An API token whose use is due to be written (at most once a minute).
    pub touch_token: Option<Uuid>,
}

/// What to store on a miss.
#[derive(Debug, Clone)]
pub struct Fill {
    pub resolved: Resolved,
    pub valid_until: Option<DateTime<Utc>>,
    /// An API token's id and when its use was last written (now, if the miss wrote it).
    pub token_use: Option<(Uuid, Option<DateTime<Utc>>)>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// Bumped by every forget: a resolution read from the store before a change must not be
    /// stored after the change dropped the entries (see [`AuthCache::generation`]).
    generation: u64,
}

/// The cache of one process; clones share it.
#[derive(Debug, Clone)]
pub struct AuthCache {
    ttl: Duration,
    inner: Arc<Mutex<Inner>>,
}

impl AuthCache {
    /// A cache whose entries live `ttl` (zero: nothing is cached).
    pub fn new(ttl: Duration) -> AuthCache {
        AuthCache {
            ttl,
            inner: Arc::default(),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The live entry for `key`, if any. An entry whose credential has expired is dropped.
    pub fn get(&self, key: &str, now: DateTime<Utc>) -> Option<Hit> {
        if !self.enabled() {
            return None;
        }
        let mut inner = self.lock();
        let entry = inner.entries.get_mut(key)?;
        let stale = entry.cached_at.elapsed() >= self.ttl;
        let ended = entry.valid_until.is_some_and(|until| until <= now);
        if stale || ended {
            inner.entries.remove(key);
            return None;
        }
        let touch_token = match &mut entry.token_use {
            Some((id, last)) if last.is_none_or(|at| now - at > TOKEN_TOUCH_INTERVAL) => {
                *last = Some(now);
                Some(*id)
            }
            _ => None,
        };
        Some(Hit {
            resolved: entry.resolved.clone(),
            touch_token,
        })
    }

    /// The current generation: take it before reading the store on a miss and hand it to
    /// [`AuthCache::insert`].
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Stores a resolution read from the store since `generation`; nothing is stored when a
    /// change dropped entries meanwhile (the resolution may predate it).
    pub fn insert(&self, key: String, fill: Fill, generation: u64) {
        if !self.enabled() {
            return;
        }
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES && !inner.entries.contains_key(&key) {
            let now = Utc::now();
            let ttl = self.ttl;
            inner.entries.retain(|_, e| {
                e.cached_at.elapsed() < ttl && e.valid_until.is_none_or(|until| until > now)
            });
            if inner.entries.len() >= MAX_ENTRIES {
                inner.entries.clear();
            }
        }
        inner.entries.insert(
            key,
            Entry {
                resolved: fill.resolved,
                cached_at: Instant::now(),
                valid_until: fill.valid_until,
                token_use: fill.token_use,
            },
        );
    }

    /// Drops every entry of `user`.
    pub fn forget_user(&self, user: Uuid) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        inner.entries.retain(|_, e| e.resolved.user.id != user);
    }

    /// Drops every entry acting in `workspace`.
    pub fn forget_workspace(&self, workspace: Uuid) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        inner.entries.retain(|_, e| {
            e.resolved.workspace.as_ref().map(|m| m.workspace_id) != Some(workspace)
        });
    }

    /// Drops everything.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        inner.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies a [`Event::CredentialsChanged`] (other events: nothing).
    pub fn apply(&self, event: &Event) {
        if let Event::CredentialsChanged {
            user_id,
            workspace_id,
            ..
        } = event
        {
            match (user_id, workspace_id) {
                (None, None) => self.clear(),
                (user, workspace) => {
                    if let Some(u) = user {
                        self.forget_user(*u);
                    }
                    if let Some(w) = workspace {
                        self.forget_workspace(*w);
                    }
                }
            }
        }
    }
}

/// Drops entries as other processes report changes, until the bus closes. Subscribe before
/// serving (the receiver), so no change published after start is missed. A subscriber that
/// falls behind cannot tell what it missed and drops everything.
pub async fn follow(cache: AuthCache, mut events: broadcast::Receiver<Event>) {
    loop {
        match events.recv().await {
            Ok(event) => cache.apply(&event),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "auth cache lagged behind the event bus; cleared");
                cache.clear();
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: Uuid) -> User {
        let now = Utc::now();
        User {
            id,
            email: "a@example.com".into(),
            display_name: "a".into(),
            password_hash: String::new(),
            role: doxin_store::Role::User,
            is_active: true,
            last_login_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn membership(user: Uuid, workspace: Uuid) -> Membership {
        let now = Utc::now();
        Membership {
            workspace_id: workspace,
            workspace_name: "w".into(),
            user_id: user,
            email: "a@example.com".into(),
            display_name: "a".into(),
            role: doxin_store::WorkspaceRole::Admin,
            approval_limit: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn fill(user_id: Uuid, workspace: Option<Uuid>) -> Fill {
        Fill {
            resolved: Resolved {
                user: user(user_id),
                credential: Credential::ApiToken { id: Uuid::nil() },
                workspace: workspace.map(|w| membership(user_id, w)),
                chose_workspace: false,
            },
            valid_until: None,
            token_use: None,
        }
    }

    #[test]
    fn entries_live_for_the_ttl_only() {
        let cache = AuthCache::new(Duration::from_millis(50));
        let u = Uuid::new_v4();
        cache.insert("k".into(), fill(u, None), cache.generation());
        assert!(cache.get("k", Utc::now()).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get("k", Utc::now()).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = AuthCache::new(Duration::ZERO);
        cache.insert("k".into(), fill(Uuid::new_v4(), None), cache.generation());
        assert!(cache.get("k", Utc::now()).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn an_expired_credential_is_not_served() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let mut f = fill(Uuid::new_v4(), None);
        let now = Utc::now();
        f.valid_until = Some(now + chrono::TimeDelta::seconds(1));
        cache.insert("k".into(), f, cache.generation());
        assert!(cache.get("k", now).is_some());
        assert!(
            cache
                .get("k", now + chrono::TimeDelta::seconds(2))
                .is_none()
        );
    }

    #[test]
    fn forgetting_drops_the_user_or_workspace_only() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let (a, b, w) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let g = cache.generation();
        cache.insert("a".into(), fill(a, Some(w)), g);
        cache.insert("a2".into(), fill(a, None), g);
        cache.insert("b".into(), fill(b, None), g);
        cache.forget_user(a);
        assert!(cache.get("a", Utc::now()).is_none());
        assert!(cache.get("a2", Utc::now()).is_none());
        assert!(cache.get("b", Utc::now()).is_some());
        let g = cache.generation();
        cache.insert("a".into(), fill(a, Some(w)), g);
        cache.apply(&Event::CredentialsChanged {
            user_id: None,
            workspace_id: Some(w),
            at: Utc::now(),
        });
        assert!(cache.get("a", Utc::now()).is_none());
        assert!(cache.get("b", Utc::now()).is_some());
    }

    #[test]
    fn a_resolution_older_than_a_change_is_not_stored() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let u = Uuid::new_v4();
        let before = cache.generation();
        cache.forget_user(u);
        cache.insert("k".into(), fill(u, None), before);
        assert!(cache.get("k", Utc::now()).is_none());
    }

    #[test]
    fn a_full_cache_makes_room() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let g = cache.generation();
        for i in 0..MAX_ENTRIES {
            cache.insert(format!("k{i}"), fill(Uuid::new_v4(), None), g);
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        cache.insert("one more".into(), fill(Uuid::new_v4(), None), g);
        assert!(cache.len() <= MAX_ENTRIES);
        assert!(cache.get("one more", Utc::now()).is_some());
    }

    #[test]
    fn token_use_is_due_once_a_minute() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let mut f = fill(Uuid::new_v4(), None);
        let id = Uuid::new_v4();
        let now = Utc::now();
        f.token_use = Some((id, Some(now - chrono::TimeDelta::minutes(2))));
        cache.insert("k".into(), f, cache.generation());
        assert_eq!(cache.get("k", now).and_then(|h| h.touch_token), Some(id));
        assert_eq!(cache.get("k", now).and_then(|h| h.touch_token), None);
        let later = now + chrono::TimeDelta::seconds(61);
        assert_eq!(cache.get("k", later).and_then(|h| h.touch_token), Some(id));
    }
}
