//! Attempts per client address on the endpoints people guess at (sign-in, sign-up, access
//! codes, access requests): a fixed one-minute window per (endpoint group, address).
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
        let entry = windows.entry((group, ip)).or_insert((now, 0));
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

#[cfg(test)]
mod tests {
    use super::*;

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
