//! Which addresses a subscription's notifications may go to.
//!
//! A subscriber chooses the endpoint and the headers sent to it. Without a
//! rule, anyone who may subscribe could make the server send requests into
//! its own network: the loopback interface, a cloud's metadata service at
//! 169.254.169.254, the region's private networks (server-side request
//! forgery). [`EndpointRules`] refuses every address that is not a public
//! unicast one ([`special`] says which and why) unless the region's
//! allow-list names the host or a network holding the address; with
//! `allow_only` it refuses everything the list does not cover, public or
//! not.
//!
//! Pure: the face resolves names, and asks about each address it would
//! connect to, when a subscription is written and again at every delivery,
//! so that a name which later resolves elsewhere (DNS rebinding) is caught.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// The setting that holds the allow-list, named in every refusal so that
/// whoever reads it knows what to change.
pub const ALLOW_SETTING: &str = "subscription_allow";

/// Why `ip` is not a public unicast address, or `None` when it is.
///
/// IPv6 forms that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
/// NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that address:
/// connecting to them reaches it.
pub fn special(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => special_v4(v4),
            None => special_v6(v6),
        },
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some("unspecified (0.0.0.0/8)")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_link_local() {
        Some("link-local (169.254.0.0/16, where cloud metadata services answer)")
    } else if ip.is_private() {
        Some("private (RFC 1918)")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared carrier-grade NAT (100.64.0.0/10)")
    } else if ip.is_broadcast() {
        Some("broadcast")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if a >= 240 {
        Some("reserved (240.0.0.0/4)")
    } else {
        None
    }
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if s[..6] == [0; 6] {
        // ::a.b.c.d, the deprecated IPv4-compatible form.
        Some("reserved (IPv4-compatible ::/96)")
    } else if s[0] & 0xffc0 == 0xfe80 {
        Some("link-local (fe80::/10)")
    } else if s[0] & 0xffc0 == 0xfec0 {
        Some("private (site-local fec0::/10)")
    } else if s[0] & 0xfe00 == 0xfc00 {
        Some("private (unique local fc00::/7)")
    } else if s[0] & 0xff00 == 0xff00 {
        Some("multicast")
    } else if s[..3] == [0x64, 0xff9b, 1] {
        Some("private (local-use NAT64 64:ff9b:1::/48)")
    } else {
        None
    }
}

/// The IPv4 address an IPv6 address carries, for the forms that reach it.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        Some(v4(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(v4(s[1], s[2]))
    } else {
        None
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is; others as given.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One entry of the allow-list: a host name, matched exactly (any case),
/// or a network (`10.1.0.0/16`, `fd00::/8`; a bare address is a network of
/// one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowEntry {
    Host(String),
    Net { addr: IpAddr, prefix: u8 },
}

/// An allow-list entry that is neither a host name nor a network.
#[derive(Debug, thiserror::Error)]
#[error("{ALLOW_SETTING}: {entry:?} is not a host name, an address or a network like 10.1.0.0/16")]
pub struct BadAllowEntry {
    pub entry: String,
}

impl FromStr for AllowEntry {
    type Err = BadAllowEntry;

    fn from_str(text: &str) -> Result<AllowEntry, BadAllowEntry> {
        let bad = || BadAllowEntry {
            entry: text.to_string(),
        };
        let t = text.trim();
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (t, None),
        };
        let bare = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            let ip = canonical(ip);
            let width = if ip.is_ipv4() { 32 } else { 128 };
            let prefix = prefix.unwrap_or(width);
            return if prefix > width {
                Err(bad())
            } else {
                Ok(AllowEntry::Net { addr: ip, prefix })
            };
        }
        let name = normal_host(t);
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if prefix.is_none() && name.len() <= 253 && name.split('.').all(label_ok) {
            Ok(AllowEntry::Host(name))
        } else {
            Err(bad())
        }
    }
}

impl AllowEntry {
    fn holds(&self, ip: IpAddr) -> bool {
        let AllowEntry::Net { addr, prefix } = self else {
            return false;
        };
        match (addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                u32::from(*net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                u128::from(*net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// A host as compared with the allow-list: lower case, without a trailing
/// dot or the brackets of an IPv6 literal.
fn normal_host(host: &str) -> String {
    let h = host.trim();
    let h = h
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h);
    h.trim_end_matches('.').to_ascii_lowercase()
}

/// Where notifications may go: the region's allow-list and whether it is
/// the only way in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointRules {
    allow: Vec<AllowEntry>,
    /// Refuse every endpoint the list does not cover, public ones too.
    allow_only: bool,
}

/// An endpoint address the rules refuse, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a public address, and not allowed.
    Special {
        host: String,
        ip: IpAddr,
        kind: &'static str,
    },
    /// Public, but the allow-list is the only way in.
    NotListed { host: String, ip: IpAddr },
}

impl std::error::Error for Refused {}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (Refused::Special { host, ip, .. } | Refused::NotListed { host, ip }) = self;
        // "localhost resolves to 127.0.0.1", or "10.0.0.1" for a literal.
        let what = match host.parse::<IpAddr>() {
            Ok(literal) if canonical(literal) == *ip => ip.to_string(),
            _ => format!("{host} resolves to {ip}"),
        };
        match self {
            Refused::Special { kind, .. } => write!(
                f,
                "{what}, a {kind} address: tiercare sends notifications there only when {ALLOW_SETTING} lists the host or a network holding the address"
            ),
            Refused::NotListed { .. } => write!(
                f,
                "{what}, which is not on the allow-list, and subscription_allow_only is set: tiercare sends notifications only to hosts and networks {ALLOW_SETTING} lists"
            ),
        }
    }
}

impl EndpointRules {
    /// The rules from the allow-list's entries (host names, addresses and
    /// networks) and the allow-only switch.
    pub fn new(entries: &[String], allow_only: bool) -> Result<EndpointRules, BadAllowEntry> {
        let allow = entries
            .iter()
            .map(|e| e.parse())
            .collect::<Result<_, _>>()?;
        Ok(EndpointRules { allow, allow_only })
    }

    /// Whether the allow-list names `host` itself (then every address it
    /// resolves to is allowed: the region vouches for the name).
    pub fn names(&self, host: &str) -> bool {
        let host = normal_host(host);
        self.allow
            .iter()
            .any(|e| matches!(e, AllowEntry::Host(h) if *h == host))
    }

    /// Whether a notification to `host` may connect to `ip`, one of the
    /// addresses `host` resolved to (or `host` itself, an IP literal).
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        if self.names(host) || self.allow.iter().any(|e| e.holds(ip)) {
            return Ok(());
        }
        let host = normal_host(host);
        let ip = canonical(ip);
        if let Some(kind) = special(ip) {
            Err(Refused::Special { host, ip, kind })
        } else if self.allow_only {
            Err(Refused::NotListed { host, ip })
        } else {
            Ok(())
        }
    }
}

impl fmt::Display for AllowEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowEntry::Host(h) => f.write_str(h),
            AllowEntry::Net { addr, prefix } => write!(f, "{addr}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn rules(entries: &[&str], allow_only: bool) -> EndpointRules {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        EndpointRules::new(&entries, allow_only).unwrap()
    }

    #[test]
    fn what_is_not_public_is_named() {
        let cases = [
            ("127.0.0.1", Some("loopback")),
            ("127.255.0.9", Some("loopback")),
            ("::1", Some("loopback")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("0.0.0.0", Some("unspecified")),
            ("0.1.2.3", Some("unspecified")),
            ("::", Some("unspecified")),
            ("169.254.169.254", Some("link-local")),
            ("fe80::1", Some("link-local")),
            ("::ffff:169.254.169.254", Some("link-local")),
            ("10.1.2.3", Some("private")),
            ("172.16.0.1", Some("private")),
            ("172.31.255.255", Some("private")),
            ("192.168.1.1", Some("private")),
            ("fd12:3456::1", Some("private")),
            ("fc00::1", Some("private")),
            ("::ffff:10.0.0.1", Some("private")),
            ("64:ff9b::a00:1", Some("private")),
            ("2002:a00:1::1", Some("private")),
            ("100.64.0.1", Some("shared")),
            ("100.127.255.254", Some("shared")),
            ("224.0.0.1", Some("multicast")),
            ("ff02::1", Some("multicast")),
            ("255.255.255.255", Some("broadcast")),
            ("240.0.0.1", Some("reserved")),
            ("::7f00:1", Some("reserved")),
            // Public unicast.
            ("8.8.8.8", None),
            ("172.32.0.1", None),
            ("100.128.0.1", None),
            ("169.253.1.1", None),
            ("2001:db8::1", None),
            ("2606:4700::1111", None),
            ("::ffff:8.8.8.8", None),
            ("64:ff9b::808:808", None),
        ];
        for (addr, kind) in cases {
            let got = special(ip(addr));
            match kind {
                Some(k) => assert!(
                    got.is_some_and(|g| g.starts_with(k)),
                    "{addr}: {got:?}, expected {k}"
                ),
                None => assert_eq!(got, None, "{addr}"),
            }
        }
    }

    #[test]
    fn allow_list_entries_parse_or_are_refused() {
        let net = |a: &str, p| AllowEntry::Net {
            addr: ip(a),
            prefix: p,
        };
        assert_eq!(
            "10.1.0.0/16".parse::<AllowEntry>().unwrap(),
            net("10.1.0.0", 16)
        );
        assert_eq!(
            "127.0.0.1".parse::<AllowEntry>().unwrap(),
            net("127.0.0.1", 32)
        );
        assert_eq!("[::1]".parse::<AllowEntry>().unwrap(), net("::1", 128));
        assert_eq!("fd00::/8".parse::<AllowEntry>().unwrap(), net("fd00::", 8));
        assert_eq!(
            "::ffff:10.0.0.0/104"
                .parse::<AllowEntry>()
                .map_err(|e| e.entry),
            Err("::ffff:10.0.0.0/104".to_string()),
            "a mapped address is an IPv4 network: its prefix is at most 32"
        );
        assert_eq!(
            " HIS.Example.org. ".parse::<AllowEntry>().unwrap(),
            AllowEntry::Host("his.example.org".into())
        );
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "a b",
            "his.example.org/8",
            "",
            "x..y",
            "10.0.0.0/x",
        ] {
            assert!(bad.parse::<AllowEntry>().is_err(), "{bad:?}");
        }
        let e = EndpointRules::new(&["ok.example".into(), "not ok".into()], false).unwrap_err();
        assert!(e.to_string().contains("subscription_allow"), "{e}");
    }

    #[test]
    fn special_addresses_need_the_allow_list_and_public_ones_do_not() {
        let none = rules(&[], false);
        assert!(none.check("his.example.org", ip("203.0.113.7")).is_ok());
        let e = none.check("localhost", ip("127.0.0.1")).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("localhost resolves to 127.0.0.1, a loopback address")
                && text.contains("subscription_allow"),
            "{text}"
        );
        let text = none
            .check("10.0.0.1", ip("10.0.0.1"))
            .unwrap_err()
            .to_string();
        assert!(text.starts_with("10.0.0.1, a private"), "{text}");
        assert!(matches!(
            none.check("metadata", ip("169.254.169.254")),
            Err(Refused::Special { kind, .. }) if kind.starts_with("link-local")
        ));

        let listed = rules(&["10.1.0.0/16", "127.0.0.1", "His.Example.org"], false);
        assert!(listed.check("10.1.9.9", ip("10.1.9.9")).is_ok());
        assert!(
            listed.check("x", ip("::ffff:10.1.0.1")).is_ok(),
            "mapped form of a listed network"
        );
        assert!(listed.check("x", ip("10.2.0.1")).is_err());
        assert!(listed.check("127.0.0.1", ip("127.0.0.1")).is_ok());
        assert!(listed.check("x", ip("127.0.0.2")).is_err());
        assert!(
            listed.check("his.example.org.", ip("192.168.7.7")).is_ok(),
            "a listed name"
        );
        assert!(
            listed.check("[::1]", ip("::1")).is_err(),
            "::1 is not 127.0.0.1"
        );
    }

    #[test]
    fn allow_only_refuses_public_addresses_not_listed() {
        let only = rules(&["his.example.org", "203.0.113.0/24"], true);
        assert!(only.check("his.example.org", ip("198.51.100.1")).is_ok());
        assert!(only.check("other.example", ip("203.0.113.9")).is_ok());
        assert!(matches!(
            only.check("other.example", ip("198.51.100.1")),
            Err(Refused::NotListed { .. })
        ));
        assert!(matches!(
            only.check("other.example", ip("10.0.0.1")),
            Err(Refused::Special { .. })
        ));
    }
}
