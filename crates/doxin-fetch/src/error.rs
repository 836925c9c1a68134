//! The one error type of this crate. Messages are written for the person who submitted the URL
//! (the API shows them); [`FetchError::code`] is the stable value clients branch on.

use std::net::IpAddr;
use std::time::Duration;

/// Why a URL was not fetched, or why an allow-list setting was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The text is not a URL, has no host, or a redirect pointed at something unparseable.
    #[error("the URL is not valid: {0}")]
    Invalid(String),

    /// Anything but `http` and `https` (`file:`, `ftp:`, `gopher:`, …) could reach local files
    /// or speak other protocols to internal services.
    #[error("only http and https URLs can be fetched, not {0}:")]
    Scheme(String),

    /// `user:password@` in a URL would be sent to whatever host it names, and credentials do
    /// not belong in a stored URL; pre-signed URLs carry their authorisation in the query.
    #[error("URLs with a user name or password are not accepted; use a pre-signed URL instead")]
    Credentials,

    /// The host is, or resolves to, an address the server must not reach. `addr` is kept for
    /// logs but left out of the message, so the API does not map internal DNS for callers.
    #[error("refusing to fetch from {host}: it is or resolves to a {reason} address")]
    Blocked {
        host: String,
        addr: IpAddr,
        reason: &'static str,
    },

    /// Declared (`Content-Length`) or streamed size above the policy's `max_bytes`.
    #[error("the document is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },

    /// The whole fetch (all redirects and the body) took longer than the policy allows.
    #[error("fetching the URL did not finish within {:.1} s", .limit.as_secs_f64())]
    Timeout { limit: Duration },

    /// The final response was not 2xx (or a 3xx without a `Location`).
    #[error("the server answered with HTTP status {0}")]
    Status(u16),

    /// More redirects than the policy's `max_redirects`.
    #[error("the URL redirected more than {limit} times")]
    TooManyRedirects { limit: u8 },

    /// Name resolution, connection, TLS or a broken body stream.
    #[error("could not fetch the URL: {0}")]
    Connect(String),

    /// A 2xx response with no bytes is not a document.
    #[error("the server returned an empty document")]
    Empty,

    /// A bad entry in the allow-list setting; raised at start-up, never for a request.
    #[error("allow-list entry {entry:?} is not valid: {reason}")]
    AllowList { entry: String, reason: String },
}

impl FetchError {
    /// Stable machine-readable code, used as the problem type suffix in RFC 9457 responses.
    /// Never change an existing value: clients match on it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "url_invalid",
            Self::Scheme(_) => "url_scheme",
            Self::Credentials => "url_credentials",
            Self::Blocked { .. } => "url_blocked",
            Self::TooLarge { .. } => "url_too_large",
            Self::Timeout { .. } => "url_timeout",
            Self::Status(_) => "url_status",
            Self::TooManyRedirects { .. } => "url_redirects",
            Self::Connect(_) => "url_connect",
            Self::Empty => "url_empty",
            Self::AllowList { .. } => "fetch_allow_list",
        }
    }

    /// Whether the caller, rather than the remote side or the network, is at fault: the API
    /// answers these with 4xx and the rest with 502/504.
    pub fn is_caller_error(&self) -> bool {
        matches!(
            self,
            Self::Invalid(_)
                | Self::Scheme(_)
                | Self::Credentials
                | Self::Blocked { .. }
                | Self::TooLarge { .. }
                | Self::TooManyRedirects { .. }
        )
    }
}
