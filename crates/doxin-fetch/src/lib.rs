//! Fetching an invoice by URL for intake (`POST /api/v1/invoices/process` with `url` or
//! `blob_url`) without letting a caller make the server reach what it should not.
//!
//! The guard, per hop: only `http`/`https`; no credentials in the URL; the host is resolved
//! once by a [`Resolver`] and every resulting address is checked against the blocked ranges
//! (loopback, private, link-local and cloud metadata, CGNAT, multicast, documentation,
//! reserved, and IPv6 forms embedding those), with the operator's [`AllowRule`]s as the only
//! exceptions; the connection is then pinned to exactly those addresses, so a second DNS
//! answer cannot redirect it (DNS rebinding). Redirects are followed by hand and each target
//! goes through the same guard. Size and time are capped while reading.
//!
//! Errors carry a user-facing message and a stable [`FetchError::code`] for problem details.
#![forbid(unsafe_code)]

mod error;
mod fetch;
mod filename;
mod policy;
mod ranges;
mod resolve;

pub use error::FetchError;
pub use fetch::{Fetched, Fetcher};
pub use policy::{AllowRule, FetchPolicy};
pub use resolve::{Resolver, StaticResolver, SystemResolver};

/// The guard's classification of a single address, for callers that want to explain or
/// pre-check a setting: `Some(reason)` if the address is blocked without an allow rule.
pub fn blocked_reason(addr: std::net::IpAddr) -> Option<&'static str> {
    ranges::blocked_reason(addr)
}
