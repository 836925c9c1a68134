//! Guessing limits.
//!
//! [`RateLimiter`]: attempts per client address on the endpoints people guess at (sign-in,
//! sign-up, access codes, access requests): a fixed one-minute window per (endpoint group,
//! address). An IPv6 client counts by its /64: one host usually holds a whole /64 and could
//! otherwise take a fresh address for every attempt.
//!
//! [`AccountThrottle`]: failed sign-ins per e-mail address, whatever addresses they come from
//! (a botnet spreads its guesses over many): after [`FREE_FAILURES`] failures within
//! [`FAILURE_WINDOW`], the address is locked for 30 s, doubling with each further failure, at
//! most [`MAX_LOCK`]. Locked means 429 with `Retry-After` before the password is even
//! checked. Unknown addresses are counted exactly like existing accounts, so the answer does
//! not tell whether an account exists. A successful sign-in clears the count.
//!
//! Counts live in the process: with several API instances each allows the limit, which still
//! bounds guessing to a small multiple. The client address is the TCP peer: a proxy in front
//! must be trusted explicitly before its `X-Forwarded-For` could be believed, and it is not.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use crate::ApiError;

const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked keys, finished windows are swept out.
const SWEEP_ABOVE: usize = 10_000;

/// Attempts per (endpoint group, address): when the window started and how many so far.
type Windows = HashMap<(&'static str, IpAddr), (Instant, u32)>;

#[derive(Debug, Clone)]
pub struct RateLimiter {
    per_window: u32,
    windows: Arc<Mutex<Windows>>,
}

impl RateLimiter {
    pub fn per_minute(per_window: u32) -> RateLimiter {
        RateLimiter {
            per_window: per_window.max(1),
            windows: Arc::default(),
        }
    }

    /// Counts an attempt of `ip` on `group`; 429 with `Retry-After` once the window is full.
    pub fn check(&self, group: &'static str, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let Some(ip) = ip else { return Ok(()) };
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry((group, bucket(ip))).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_window {
            let wait = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(ApiError::Problem {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "rate_limited",
                detail: format!("too many attempts; try again in {} s", wait.as_secs() + 1),
                retry_after: Some(wait.as_secs() + 1),
            });
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The key an address is counted under: IPv4 as is, IPv6 by its /64 (an IPv4-mapped IPv6
/// address as the IPv4 address it is).
fn bucket(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
        v4 => v4,
    }
}

/// Failures on one account allowed before it is locked.
pub const FREE_FAILURES: u32 = 5;
/// Failures older than this are forgotten.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The first lock; each further failure doubles it.
const FIRST_LOCK: Duration = Duration::from_secs(30);
/// The longest lock.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);

/// One e-mail address's recent failures.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Failed sign-ins per e-mail address (see the module comment).
#[derive(Debug, Clone, Default)]
pub struct AccountThrottle {
    accounts: Arc<Mutex<HashMap<String, Failures>>>,
}

impl AccountThrottle {
    fn key(email: &str) -> String {
        email.trim().to_lowercase()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// 429 with `Retry-After` while `email` is locked.
    pub fn check(&self, email: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        let accounts = self.lock();
        let Some(until) = accounts.get(&Self::key(email)).and_then(|f| f.locked_until) else {
            return Ok(());
        };
        if until <= now {
            return Ok(());
        }
        let wait = until.duration_since(now).as_secs() + 1;
        Err(ApiError::Problem {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
            detail: format!(
                "too many failed sign-ins for this e-mail address; try again in {wait} s"
            ),
            retry_after: Some(wait),
        })
    }

    /// Counts a failed sign-in for `email`, locking it past [`FREE_FAILURES`].
    pub fn failed(&self, email: &str) {
        let now = Instant::now();
        let mut accounts = self.lock();
        if accounts.len() > SWEEP_ABOVE {
            accounts.retain(|_, f| {
                now.duration_since(f.last) < FAILURE_WINDOW
                    || f.locked_until.is_some_and(|u| u > now)
            });
        }
        let entry = accounts.entry(Self::key(email)).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        if now.duration_since(entry.last) >= FAILURE_WINDOW {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        if entry.count >= FREE_FAILURES {
            let doublings = (entry.count - FREE_FAILURES).min(10);
            let lock = FIRST_LOCK.saturating_mul(1 << doublings).min(MAX_LOCK);
            entry.locked_until = Some(now + lock);
        }
    }

    /// A successful sign-in: the count starts again.
    pub fn succeeded(&self, email: &str) {
        self.lock().remove(&Self::key(email));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let limiter = RateLimiter::per_minute(2);
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        limiter.check("login", Some(a)).expect("first");
        limiter.check("login", Some(b)).expect("second, same /64");
        assert!(
            limiter.check("login", Some(a)).is_err(),
            "a third address of the /64 is over the limit"
        );
        limiter.check("login", Some(other)).expect("another /64");
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        assert_eq!(bucket(mapped), IpAddr::from([10, 0, 0, 1]));
    }

    #[test]
    fn accounts_lock_after_repeated_failures_and_unlock_on_success() {
        let t = AccountThrottle::default();
        for _ in 0..FREE_FAILURES - 1 {
            t.failed("Ann@Example.com");
            t.check("ann@example.com").expect("not yet locked");
        }
        t.failed("ann@example.com");
        let err = t.check(" ANN@example.com ").expect_err("locked");
        assert!(matches!(
            err,
            ApiError::Problem { status, retry_after: Some(s), .. }
                if status == StatusCode::TOO_MANY_REQUESTS && (1..=31).contains(&s)
        ));
        t.check("bob@example.com").expect("others are not affected");
        t.succeeded("ann@example.com");
        t.check("ann@example.com").expect("cleared");
    }

    #[test]
    fn the_window_fills_per_group_and_address() {
        let limiter = RateLimiter::per_minute(3);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            limiter.check("login", Some(a)).expect("within the limit");
        }
        let err = limiter.check("login", Some(a)).expect_err("over");
        assert!(
            matches!(err, ApiError::Problem { status, retry_after: Some(_), .. } if status == StatusCode::TOO_MANY_REQUESTS)
        );
        limiter.check("login", Some(b)).expect("another address");
        limiter.check("signup", Some(a)).expect("another group");
    }
}
