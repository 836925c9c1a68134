//! The fetch loop: vet the URL, connect only to the vetted addresses, follow redirects by hand
//! (vetting each one the same way), and read the body under the size cap.

use std::error::Error as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use url::{Host, Url};

use crate::filename;
use crate::ranges::blocked_reason;
use crate::{FetchError, FetchPolicy, Resolver, SystemResolver};

/// A fetched document.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The URL that answered, after redirects.
    pub final_url: Url,
    pub content_type: Option<String>,
    /// From `Content-Disposition`, else the last segment of `final_url`'s path.
    pub filename_hint: Option<String>,
}

/// Fetches documents under one [`FetchPolicy`]. Cheap to share (`Arc` it); each fetch builds
/// its own HTTP client, because the client is what pins the connection to the vetted
/// addresses.
#[derive(Clone)]
pub struct Fetcher {
    policy: FetchPolicy,
    resolver: Arc<dyn Resolver>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Where one hop may connect: the vetted addresses, and the host name they belong to (none
/// for an IP literal, which needs no resolution).
struct Target {
    domain: Option<String>,
    addrs: Vec<SocketAddr>,
}

impl Fetcher {
    /// A fetcher using the system resolver.
    pub fn new(policy: FetchPolicy) -> Self {
        Self::with_resolver(policy, Arc::new(SystemResolver))
    }

    pub fn with_resolver(policy: FetchPolicy, resolver: Arc<dyn Resolver>) -> Self {
        Self { policy, resolver }
    }

    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Fetches `url`, refusing anything the policy does not allow; the policy's timeout covers
    /// the whole call.
    pub async fn fetch(&self, url: &str) -> Result<Fetched, FetchError> {
        let url = Url::parse(url.trim()).map_err(|e| FetchError::Invalid(e.to_string()))?;
        let limit = self.policy.timeout;
        tokio::time::timeout(limit, self.fetch_url(url))
            .await
            .unwrap_or(Err(FetchError::Timeout { limit }))
    }

    /// Checks `url` without fetching it: what the API can run at submission time to reject a
    /// bad URL synchronously. [`Fetcher::fetch`] checks again, since DNS may change meanwhile.
    pub async fn check(&self, url: &str) -> Result<(), FetchError> {
        let url = Url::parse(url.trim()).map_err(|e| FetchError::Invalid(e.to_string()))?;
        self.vet(&url).await.map(|_| ())
    }

    async fn fetch_url(&self, mut url: Url) -> Result<Fetched, FetchError> {
        let mut followed: u8 = 0;
        loop {
            let target = self.vet(&url).await?;
            let client = self.client(&target)?;
            let response = client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| self.transport(e))?;
            let status = response.status();
            if status.is_redirection()
                && let Some(location) = response.headers().get(LOCATION)
            {
                if followed >= self.policy.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        limit: self.policy.max_redirects,
                    });
                }
                let location = location.to_str().map_err(|_| {
                    FetchError::Invalid("the redirect location is not valid text".into())
                })?;
                url = url
                    .join(location)
                    .map_err(|e| FetchError::Invalid(format!("redirect location: {e}")))?;
                followed += 1;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status(status.as_u16()));
            }
            return self.read(url, response).await;
        }
    }

    /// The SSRF guard for one hop: scheme, credentials, then every address the host is or
    /// resolves to. One blocked address refuses the URL, since the connector may pick any.
    async fn vet(&self, url: &Url) -> Result<Target, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Scheme(url.scheme().to_string()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FetchError::Credentials);
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| FetchError::Invalid("no port".into()))?;
        let host_str = url.host_str().unwrap_or_default().to_string();
        let (domain, ips): (Option<String>, Vec<IpAddr>) = match url.host() {
            Some(Host::Ipv4(ip)) => (None, vec![IpAddr::V4(ip)]),
            Some(Host::Ipv6(ip)) => (None, vec![IpAddr::V6(ip)]),
            Some(Host::Domain(name)) => {
                let ips =
                    self.resolver.resolve(name, port).await.map_err(|e| {
                        FetchError::Connect(format!("could not resolve {name}: {e}"))
                    })?;
                (Some(name.to_string()), ips)
            }
            None => return Err(FetchError::Invalid("the URL has no host".into())),
        };
        if ips.is_empty() {
            return Err(FetchError::Connect(format!("{host_str} has no addresses")));
        }
        let rule_name = domain
            .as_deref()
            .map(|d| d.trim_end_matches('.').to_ascii_lowercase());
        for &addr in &ips {
            if let Some(reason) = blocked_reason(addr)
                && !self.policy.allows(rule_name.as_deref(), addr)
            {
                return Err(FetchError::Blocked {
                    host: host_str,
                    addr,
                    reason,
                });
            }
        }
        Ok(Target {
            domain,
            addrs: ips
                .into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect(),
        })
    }

    /// A client that can reach only `target`: its name maps to the vetted addresses and any
    /// other lookup fails, so reqwest never resolves a name on its own (DNS rebinding).
    /// Redirects and proxies are off: the guard must see every hop and the real peer.
    fn client(&self, target: &Target) -> Result<reqwest::Client, FetchError> {
        // reqwest has no TLS provider of its own here (Cargo.toml: `rustls-no-provider`).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(NoDns)
            .connect_timeout(self.policy.timeout)
            .user_agent(concat!("doxin-fetch/", env!("CARGO_PKG_VERSION")));
        if let Some(domain) = &target.domain {
            builder = builder.resolve_to_addrs(domain, &target.addrs);
        }
        builder
            .build()
            .map_err(|e| FetchError::Connect(format!("HTTP client: {}", chain(&e))))
    }

    async fn read(&self, url: Url, mut response: reqwest::Response) -> Result<Fetched, FetchError> {
        let limit = self.policy.max_bytes;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(CONTENT_TYPE);
        let disposition = header(CONTENT_DISPOSITION);
        let capacity = response.content_length().unwrap_or(0).min(limit);
        let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            if bytes.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Err(FetchError::Empty);
        }
        let filename_hint = disposition
            .as_deref()
            .and_then(filename::from_content_disposition)
            .or_else(|| filename::from_url(&url));
        Ok(Fetched {
            bytes,
            final_url: url,
            content_type,
            filename_hint,
        })
    }

    fn transport(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout {
                limit: self.policy.timeout,
            }
        } else {
            FetchError::Connect(chain(&e.without_url()))
        }
    }
}

/// The error and its causes, without the URL (the caller knows it; logs get it from spans).
fn chain(e: &reqwest::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// The fallback resolver of every client: refuses, so a name not pinned by
/// `resolve_to_addrs` can never be looked up behind the guard's back.
struct NoDns;

impl reqwest::dns::Resolve for NoDns {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let message = format!("{} was not vetted for this request", name.as_str());
        Box::pin(std::future::ready(Err(message.into())))
    }
}
