//! Which IP addresses the fetcher refuses to connect to, and why.
//!
//! The table follows the IANA special-purpose registries: everything that is not ordinary
//! public unicast is refused, because any of it can reach the server's own host, its private
//! network, a cloud metadata service (169.254.169.254) or something that is not a web server.
//! IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are judged by that address, so
//! `::ffff:127.0.0.1` is loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `(network, prefix length, reason)`; the first match wins, so narrower entries come first.
const V4: &[([u8; 4], u8, &str)] = &[
    ([0, 0, 0, 0], 32, "unspecified"),
    ([0, 0, 0, 0], 8, "\"this network\" (0.0.0.0/8)"),
    ([10, 0, 0, 0], 8, "private"),
    ([100, 64, 0, 0], 10, "shared carrier-grade NAT"),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link-local (cloud metadata)"),
    ([172, 16, 0, 0], 12, "private"),
    ([192, 0, 0, 0], 24, "IETF protocol assignment"),
    ([192, 0, 2, 0], 24, "documentation"),
    ([192, 88, 99, 0], 24, "6to4 relay"),
    ([192, 168, 0, 0], 16, "private"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([198, 51, 100, 0], 24, "documentation"),
    ([203, 0, 113, 0], 24, "documentation"),
    ([224, 0, 0, 0], 4, "multicast"),
    ([255, 255, 255, 255], 32, "broadcast"),
    ([240, 0, 0, 0], 4, "reserved"),
];

/// IPv6 ranges refused outright (the IPv4-embedding ones are handled in [`v6_reason`]).
const V6: &[(u128, u8, &str)] = &[
    (
        0x0064_ff9b_0001_0000_0000_0000_0000_0000,
        48,
        "local-use NAT64",
    ),
    (
        0x0100_0000_0000_0000_0000_0000_0000_0000,
        64,
        "discard-only",
    ),
    (
        0x2001_0000_0000_0000_0000_0000_0000_0000,
        23,
        "IETF protocol assignment",
    ),
    (
        0x2001_0db8_0000_0000_0000_0000_0000_0000,
        32,
        "documentation",
    ),
    (
        0x3fff_0000_0000_0000_0000_0000_0000_0000,
        20,
        "documentation",
    ),
    (
        0xfc00_0000_0000_0000_0000_0000_0000_0000,
        7,
        "private (unique local)",
    ),
    (0xfe80_0000_0000_0000_0000_0000_0000_0000, 10, "link-local"),
    (0xfec0_0000_0000_0000_0000_0000_0000_0000, 10, "site-local"),
    (0xff00_0000_0000_0000_0000_0000_0000_0000, 8, "multicast"),
];

/// Why `ip` is refused, or `None` for a public unicast address.
pub(crate) fn blocked_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

/// The address as the allow-list sees it: an IPv4-mapped IPv6 address is the IPv4 address it
/// carries, so allowing `127.0.0.1/32` also allows `::ffff:127.0.0.1` and nothing else.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let n = u32::from(ip);
    V4.iter()
        .find(|(net, len, _)| {
            let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
            n & mask == u32::from_be_bytes(*net) & mask
        })
        .map(|(_, _, reason)| *reason)
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let n = u128::from(ip);
    let within = |net: u128, len: u8| {
        let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
        n & mask == net & mask
    };
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // ::ffff:a.b.c.d: the socket layer connects to a.b.c.d itself.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    // ::a.b.c.d (deprecated "IPv4-compatible"): no legitimate server lives there.
    if within(0, 96) {
        return Some("IPv4-compatible IPv6");
    }
    // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) reach the IPv4 address they embed.
    if within(0x0064_ff9b_0000_0000_0000_0000_0000_0000, 96) {
        return v4_reason(Ipv4Addr::from((n & 0xffff_ffff) as u32));
    }
    if within(0x2002_0000_0000_0000_0000_0000_0000_0000, 16) {
        return v4_reason(Ipv4Addr::from(((n >> 80) & 0xffff_ffff) as u32));
    }
    if let Some((_, _, reason)) = V6.iter().find(|(net, len, _)| within(*net, *len)) {
        return Some(reason);
    }
    // Only 2000::/3 is allocated as global unicast; the rest is reserved.
    if !within(0x2000_0000_0000_0000_0000_0000_0000_0000, 3) {
        return Some("reserved");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> Option<&'static str> {
        blocked_reason(s.parse().expect("test address"))
    }

    #[test]
    fn refuses_special_purpose_ipv4() {
        for (addr, why) in [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "\"this network\" (0.0.0.0/8)"),
            ("10.0.0.5", "private"),
            ("100.64.0.1", "shared carrier-grade NAT"),
            ("100.127.255.255", "shared carrier-grade NAT"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("169.254.169.254", "link-local (cloud metadata)"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.0.0.170", "IETF protocol assignment"),
            ("192.0.2.1", "documentation"),
            ("192.168.1.1", "private"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "broadcast"),
        ] {
            assert_eq!(reason(addr), Some(why), "{addr}");
        }
    }

    #[test]
    fn allows_public_ipv4_next_to_blocked_ranges() {
        for addr in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.255.255",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "11.0.0.0",
        ] {
            assert_eq!(reason(addr), None, "{addr}");
        }
    }

    #[test]
    fn refuses_special_purpose_ipv6_and_embedded_ipv4() {
        for (addr, why) in [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local (cloud metadata)"),
            ("::ffff:10.1.2.3", "private"),
            ("::127.0.0.1", "IPv4-compatible IPv6"),
            ("64:ff9b::10.0.0.1", "private"),
            ("64:ff9b::127.0.0.1", "loopback"),
            ("64:ff9b:1::1", "local-use NAT64"),
            ("2002:a00:1::1", "private"),
            ("2002:a9fe:a9fe::", "link-local (cloud metadata)"),
            ("100::1", "discard-only"),
            ("2001::1", "IETF protocol assignment"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("fc00::1", "private (unique local)"),
            ("fd12:3456::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("4000::1", "reserved"),
        ] {
            assert_eq!(reason(addr), Some(why), "{addr}");
        }
    }

    #[test]
    fn allows_public_ipv6_including_embedded_public_ipv4() {
        for addr in [
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
        ] {
            assert_eq!(reason(addr), None, "{addr}");
        }
    }

    #[test]
    fn canonical_unwraps_only_mapped_addresses() {
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().expect("addr");
        assert_eq!(canonical(mapped), IpAddr::from([127, 0, 0, 1]));
        let nat64: IpAddr = "64:ff9b::7f00:1".parse().expect("addr");
        assert_eq!(canonical(nat64), nat64);
    }
}
