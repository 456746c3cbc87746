//! Network addresses at the trust boundary: which client a request comes from behind
//! reverse proxies, and which addresses an outbound call (webhooks) may never reach.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address block, `10.0.0.0/8` or `2001:db8::/32` (a bare address is a /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR block"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0–{max}"))?,
        };
        Ok(Cidr { net, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address it carries.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// The client of a request. `forwarded` is the `X-Forwarded-For` header when the operator
/// said a reverse proxy writes it (`TRUST_FORWARDED_FOR`); the TCP peer is then that proxy.
/// Each proxy appends the address it received from, so the entries a client wrote itself
/// are on the left: the client is the right-most entry that is not one of the operator's
/// proxies (`TRUSTED_PROXIES`). An unreadable entry stops the walk (what lies left of it
/// cannot be trusted), and the address it was appended by is used.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded: Option<&str>,
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let Some(header) = forwarded else {
        return peer.map(canonical);
    };
    let mut client = peer.map(canonical);
    for entry in header.rsplit(',').map(str::trim) {
        let Ok(ip) = entry.parse::<IpAddr>().map(canonical) else {
            break;
        };
        client = Some(ip);
        if !trusted.iter().any(|c| c.contains(ip)) {
            break;
        }
    }
    client
}

/// The throttling key of a client: the IPv4 address, or the /64 of an IPv6 one (one
/// subscriber line usually gets a whole /64, so counting single IPv6 addresses would let
/// one client rotate through 2⁶⁴ of them).
pub fn client_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let net = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", Ipv6Addr::from(net))
        }
    }
}

/// Why an outbound call may not go to this address, or `None` when it may: loopback,
/// private (RFC 1918, IPv6 ULA), link-local (which holds the cloud metadata service
/// 169.254.169.254), shared address space / CGNAT (100.64.0.0/10), unspecified, broadcast,
/// multicast, documentation and reserved ranges, the AWS IPv6 metadata address
/// fd00:ec2::254, and IPv4-mapped/-compatible, NAT64 and 6to4 forms of any of these.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() || o[0] == 0 {
        Some("unspecified")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local (metadata)")
    } else if o[0] == 100 && (o[1] & 0xC0) == 64 {
        Some("shared address space (CGNAT)")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_broadcast()
        || o[0] >= 240
        || ip.is_documentation()
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (o[1] & 0xFE) == 18)
    {
        // Broadcast, class E, documentation, IETF protocol assignments, benchmarking.
        Some("reserved")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let bits = u128::from(ip);
    if ip.is_loopback() {
        return Some("loopback");
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Some("link-local (metadata)");
    }
    if (s[0] & 0xfe00) == 0xfc00 {
        return Some("private");
    }
    if (s[0] & 0xffc0) == 0xfe80 || (s[0] & 0xffc0) == 0xfec0 {
        return Some("link-local (metadata)");
    }
    if ip.is_multicast() {
        return Some("multicast");
    }
    // IPv4-compatible (::a.b.c.d, deprecated), NAT64 (64:ff9b::/96 and 64:ff9b:1::/48),
    // 6to4 (2002::/16): the IPv4 address inside decides.
    let compatible = bits >> 32 == 0;
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && (s[2..6] == [0, 0, 0, 0] || s[2] == 1);
    let embedded = if compatible || nat64 {
        Some(Ipv4Addr::from(bits as u32))
    } else if s[0] == 0x2002 {
        Some(Ipv4Addr::from(((u32::from(s[1])) << 16) | u32::from(s[2])))
    } else {
        None
    };
    if let Some(v4) = embedded {
        return forbidden_v4(v4).or(Some("reserved"));
    }
    // Documentation (2001:db8::/32), Teredo and other IETF special-purpose (2001::/23).
    let documentation = s[0] == 0x2001 && s[1] == 0x0db8;
    let special_purpose = s[0] == 0x2001 && s[1] < 0x0200;
    if documentation || special_purpose || s[0] == 0x0100 {
        return Some("reserved");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_blocks() {
        let c: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(c.contains(ip("10.1.200.3")));
        assert!(c.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped");
        assert!(!c.contains(ip("10.2.0.1")));
        let c: Cidr = "2001:db8:1::/48".parse().unwrap();
        assert!(c.contains(ip("2001:db8:1:ffff::1")));
        assert!(!c.contains(ip("2001:db8:2::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        assert_eq!("192.0.2.7".parse::<Cidr>().unwrap().prefix, 32);
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nonsense".parse::<Cidr>().is_err());
    }

    #[test]
    fn client_is_the_right_most_untrusted_entry() {
        let proxies: Vec<Cidr> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = Some(ip("10.0.0.2"));
        // The client forged the first entry; our proxy appended the real address.
        assert_eq!(
            client_address(peer, Some("1.2.3.4, 203.0.113.9"), &proxies),
            Some(ip("203.0.113.9"))
        );
        // Through two of our proxies.
        assert_eq!(
            client_address(peer, Some("6.6.6.6, 198.51.100.4, 10.0.0.7"), &proxies),
            Some(ip("198.51.100.4"))
        );
        // Without a configured list, the peer is the one proxy: the last entry is the client.
        assert_eq!(
            client_address(peer, Some("6.6.6.6, 198.51.100.4"), &[]),
            Some(ip("198.51.100.4"))
        );
        // Garbage stops the walk at the address that appended it.
        assert_eq!(
            client_address(peer, Some("1.1.1.1, garbage, 10.0.0.7"), &proxies),
            Some(ip("10.0.0.7"))
        );
        assert_eq!(client_address(peer, None, &proxies), peer);
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(client_key(ip("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
        assert_eq!(client_key(ip("::ffff:203.0.113.5")), "203.0.113.5");
        assert_eq!(client_key(ip("203.0.113.5")), "203.0.113.5");
    }

    #[test]
    fn outbound_calls_never_reach_internal_addresses() {
        for bad in [
            "127.0.0.1",
            "127.8.9.1",
            "0.0.0.0",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            assert!(forbidden_reason(ip(bad)).is_some(), "{bad} must be refused");
        }
        for good in [
            "8.8.8.8",
            "203.162.4.190",
            "100.128.0.1",
            "2404:6800:4005:80a::200e",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(forbidden_reason(ip(good)), None, "{good} is public");
        }
    }
}
