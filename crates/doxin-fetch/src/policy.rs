//! What the fetcher may reach and how much it may read: the operator's exceptions to the
//! blocked ranges, and the size, time and redirect limits.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use crate::FetchError;
use crate::ranges::canonical;

/// One exception to the blocked ranges, e.g. the object store on the private network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowRule {
    /// Every address in the network, on every port: `10.1.0.0/16`, `127.0.0.1/32`, `fd00::/8`.
    Network(IpNet),
    /// One host name exactly as it appears in the URL (lower case, no trailing dot), whatever
    /// it resolves to. Sub-domains are not included: `minio` does not allow `x.minio`.
    Host(String),
}

impl fmt::Display for AllowRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(net) => write!(f, "{net}"),
            Self::Host(host) => f.write_str(host),
        }
    }
}

/// Limits and exceptions for one [`crate::Fetcher`].
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Exceptions to the blocked ranges; public addresses need no rule.
    pub allow: Vec<AllowRule>,
    /// Largest body accepted, checked against `Content-Length` and while streaming.
    pub max_bytes: u64,
    /// Deadline for the whole fetch: every redirect hop and the body.
    pub timeout: Duration,
    /// Redirects followed before giving up; `0` follows none.
    pub max_redirects: u8,
}

impl Default for FetchPolicy {
    /// Nothing internal allowed, 25 MiB, 30 s, 5 redirects.
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            max_bytes: 25 * 1024 * 1024,
            timeout: Duration::from_secs(30),
            max_redirects: 5,
        }
    }
}

impl FetchPolicy {
    /// Parses a comma-separated allow-list setting such as
    /// `10.1.0.0/16, 127.0.0.1/32, minio.internal`. A bare address means that address alone.
    /// Empty entries are skipped so a trailing comma is harmless; anything else that is neither
    /// a network nor a plain host name is an error naming the entry, so a typo fails start-up
    /// instead of silently allowing nothing (or everything).
    pub fn parse_allow_list(setting: &str) -> Result<Vec<AllowRule>, FetchError> {
        setting
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(parse_rule)
            .collect()
    }

    /// Whether an address of `host` is exempt from the blocked ranges.
    pub(crate) fn allows(&self, host: Option<&str>, addr: IpAddr) -> bool {
        let canonical = canonical(addr);
        self.allow.iter().any(|rule| match rule {
            AllowRule::Network(net) => net.contains(&addr) || net.contains(&canonical),
            AllowRule::Host(name) => host.is_some_and(|h| h == name),
        })
    }
}

fn parse_rule(entry: &str) -> Result<AllowRule, FetchError> {
    let bad = |reason: &str| FetchError::AllowList {
        entry: entry.to_string(),
        reason: reason.to_string(),
    };
    if entry.contains('/') {
        return entry
            .parse::<IpNet>()
            .map(|net| AllowRule::Network(net.trunc()))
            .map_err(|_| {
                bad("expected an IP network such as 10.1.0.0/16 or fd00::/8 (prefix at most 32 for IPv4, 128 for IPv6)")
            });
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Ok(AllowRule::Network(IpNet::from(ip)));
    }
    let host = entry.trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if host.len() > 253 || !host.split('.').all(label_ok) {
        return Err(bad(
            "expected an IP network (10.1.0.0/16), an address (127.0.0.1) or a host name (minio.internal); no schemes, ports, paths or wildcards",
        ));
    }
    // A name made only of digits and dots would be read as an IPv4 number by URL parsers.
    if host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad("not a valid IP address"));
    }
    Ok(AllowRule::Host(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_networks_addresses_and_hosts() {
        let rules = FetchPolicy::parse_allow_list(
            " 10.1.0.0/16, 127.0.0.1/32,fd00::/8 ,192.168.1.9, Minio.Internal., files ,",
        )
        .expect("valid list");
        let shown: Vec<String> = rules.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "10.1.0.0/16",
                "127.0.0.1/32",
                "fd00::/8",
                "192.168.1.9/32",
                "minio.internal",
                "files"
            ]
        );
    }

    #[test]
    fn truncates_host_bits_of_a_network() {
        let rules = FetchPolicy::parse_allow_list("10.1.2.3/16").expect("valid");
        assert_eq!(
            rules,
            [AllowRule::Network("10.1.0.0/16".parse().expect("net"))]
        );
    }

    #[test]
    fn empty_setting_allows_nothing() {
        assert!(FetchPolicy::parse_allow_list("").expect("empty").is_empty());
        assert!(
            FetchPolicy::parse_allow_list(" , ,")
                .expect("empty")
                .is_empty()
        );
    }

    #[test]
    fn refuses_bad_entries_naming_them() {
        for entry in [
            "10.0.0.0/33",
            "10.0.0/8",
            "fd00::/129",
            "http://minio",
            "minio:9000",
            "*.internal",
            "bad host",
            "-x.internal",
            "a..b",
            "300.1.2.3",
            "10.0.0.0/",
        ] {
            let err =
                FetchPolicy::parse_allow_list(&format!("127.0.0.1/32,{entry}")).expect_err(entry);
            assert_eq!(err.code(), "fetch_allow_list");
            match &err {
                FetchError::AllowList { entry: e, .. } => assert_eq!(e, entry),
                other => panic!("unexpected {other:?}"),
            }
            assert!(err.to_string().contains(entry), "{err}");
        }
    }

    #[test]
    fn network_rule_covers_mapped_form_and_host_rule_only_its_name() {
        let policy = FetchPolicy {
            allow: FetchPolicy::parse_allow_list("127.0.0.1/32,files.internal").expect("valid"),
            ..FetchPolicy::default()
        };
        let lo: IpAddr = "127.0.0.1".parse().expect("addr");
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().expect("addr");
        let other: IpAddr = "127.0.0.2".parse().expect("addr");
        assert!(policy.allows(None, lo));
        assert!(policy.allows(None, mapped));
        assert!(!policy.allows(None, other));
        assert!(policy.allows(Some("files.internal"), other));
        assert!(!policy.allows(Some("x.files.internal"), other));
    }
}
