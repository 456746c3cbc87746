//! Where webhooks may call: the server-side request forgery guard.
//!
//! A webhook URL must be HTTPS; plain HTTP only to a host the operator lists in
//! `WEBHOOK_ALLOWED_HTTP_HOSTS` (tests, demos). The host is resolved and every address it
//! resolves to must be public (see `netguard::forbidden_reason`): checked at registration,
//! and again at each delivery by the resolver of the delivery agent itself, so the address
//! that was checked is the address connected to (a DNS answer that changes between check
//! and connect cannot slip an internal address in). Redirects are never followed. What a
//! delivery log says about a failure comes from a fixed vocabulary, never the raw network
//! error, so the log cannot be used to map an internal network.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use ureq::config::Config as AgentConfig;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::netguard::forbidden_reason;

/// Why a webhook URL is refused (the 422 message of a registration, or the reason a
/// delivery was not attempted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not an absolute `https://` (or allowed `http://`) URL with a host.
    BadUrl,
    /// `http://` to a host not in `WEBHOOK_ALLOWED_HTTP_HOSTS`.
    PlainHttp,
    /// The host does not resolve.
    Unresolvable,
    /// The host resolves to a loopback, private, link-local, CGNAT, metadata… address.
    ForbiddenAddress,
}

impl Refusal {
    pub fn texts(self) -> (&'static str, &'static str) {
        match self {
            Refusal::BadUrl => (
                "Địa chỉ phải là URL https:// đầy đủ, không chứa tên đăng nhập.",
                "The URL must be an absolute https:// URL without credentials.",
            ),
            Refusal::PlainHttp => ("Webhook phải dùng https://.", "Webhooks must use https://."),
            Refusal::Unresolvable => (
                "Không phân giải được tên máy chủ.",
                "The host name does not resolve.",
            ),
            Refusal::ForbiddenAddress => (
                "Máy chủ trỏ tới địa chỉ nội bộ hoặc dành riêng; không được phép.",
                "The host resolves to an internal or reserved address; not allowed.",
            ),
        }
    }
}

/// The operator's rules for outbound webhook calls.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    /// `host` or `host:port`, lower case.
    allowed_http_hosts: Vec<String>,
}

/// A URL that passed the shape checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// Listed by the operator: plain HTTP and internal addresses allowed.
    pub trusted: bool,
}

impl OutboundPolicy {
    pub fn new(allowed_http_hosts: &[String]) -> Self {
        OutboundPolicy {
            allowed_http_hosts: allowed_http_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }

    fn listed(&self, host: &str, port: u16) -> bool {
        let with_port = format!("{host}:{port}");
        self.allowed_http_hosts
            .iter()
            .any(|h| h == host || *h == with_port || h.trim_matches(['[', ']']) == host)
    }

    /// Scheme, host and credentials of the URL, without resolving it.
    pub fn check_url(&self, url: &str) -> Result<Target, Refusal> {
        let uri: Uri = url.parse().map_err(|_| Refusal::BadUrl)?;
        let scheme = uri
            .scheme_str()
            .ok_or(Refusal::BadUrl)?
            .to_ascii_lowercase();
        let authority = uri.authority().ok_or(Refusal::BadUrl)?;
        if authority.as_str().contains('@') {
            return Err(Refusal::BadUrl);
        }
        let host = authority
            .host()
            .trim_matches(['[', ']'])
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if host.is_empty() {
            return Err(Refusal::BadUrl);
        }
        let port = match (authority.port_u16(), scheme.as_str()) {
            (Some(p), _) => p,
            (None, "https") => 443,
            (None, "http") => 80,
            _ => return Err(Refusal::BadUrl),
        };
        let trusted = self.listed(&host, port);
        match scheme.as_str() {
            "https" => {}
            "http" if trusted => {}
            "http" => return Err(Refusal::PlainHttp),
            _ => return Err(Refusal::BadUrl),
        }
        Ok(Target {
            host,
            port,
            trusted,
        })
    }

    /// The addresses a target may be reached at: all of them public, or the target listed.
    pub fn vet_addresses(
        &self,
        target: &Target,
        addrs: impl IntoIterator<Item = SocketAddr>,
    ) -> Result<Vec<SocketAddr>, Refusal> {
        let addrs: Vec<SocketAddr> = addrs.into_iter().collect();
        if addrs.is_empty() {
            return Err(Refusal::Unresolvable);
        }
        if !target.trusted && addrs.iter().any(|a| forbidden_reason(a.ip()).is_some()) {
            return Err(Refusal::ForbiddenAddress);
        }
        Ok(addrs)
    }

    /// The registration check: the URL's shape, then what its host resolves to now.
    pub fn check_registration(&self, url: &str) -> Result<Target, Refusal> {
        let target = self.check_url(url)?;
        let addrs = match target.host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, target.port)],
            Err(_) => (target.host.as_str(), target.port)
                .to_socket_addrs()
                .map_err(|_| Refusal::Unresolvable)?
                .collect(),
        };
        self.vet_addresses(&target, addrs)?;
        Ok(target)
    }
}

/// The resolver of the delivery agent: resolves, then refuses the connection unless every
/// address passes the policy. ureq connects only to the addresses returned here, so the
/// checked address is pinned for the connection.
#[derive(Debug)]
struct GuardedResolver {
    policy: Arc<OutboundPolicy>,
    inner: DefaultResolver,
}

/// The marker of a refused address inside ureq's error, so the delivery log can say so.
const REFUSED_MARKER: &str = "motcua: webhook address not allowed";

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &AgentConfig,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let refused = || {
            ureq::Error::Io(io::Error::new(
                io::ErrorKind::PermissionDenied,
                REFUSED_MARKER,
            ))
        };
        let target = self
            .policy
            .check_url(&uri.to_string())
            .map_err(|_| refused())?;
        let resolved = self.inner.resolve(uri, config, timeout)?;
        self.policy
            .vet_addresses(&target, resolved.iter().copied())
            .map_err(|_| refused())?;
        Ok(resolved)
    }
}

/// The agent every webhook delivery goes through: guarded resolver, no redirects, no
/// proxy, a global timeout, HTTP error statuses as responses.
pub fn agent(policy: Arc<OutboundPolicy>, timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        // Direct connections only: through an HTTP(S)_PROXY from the environment the
        // resolver would check the proxy's address, not the receiver's.
        .proxy(None)
        .build();
    ureq::Agent::with_parts(
        config,
        DefaultConnector::default(),
        GuardedResolver {
            policy,
            inner: DefaultResolver::default(),
        },
    )
}

/// The delivery log's word for a failed call: one of `address not allowed`, `timeout`,
/// `connection failed`. Never the raw error (which tells refused from filtered ports).
pub fn failure_word(e: &ureq::Error) -> &'static str {
    match e {
        ureq::Error::Timeout(_) => "timeout",
        ureq::Error::Io(io) if io.to_string().contains(REFUSED_MARKER) => "address not allowed",
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::TimedOut => "timeout",
        _ => "connection failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> OutboundPolicy {
        OutboundPolicy::new(&["127.0.0.1".into(), "demo.local:8081".into()])
    }

    #[test]
    fn only_https_unless_listed() {
        let p = policy();
        assert_eq!(p.check_url("https://hooks.example.vn/x").unwrap().port, 443);
        assert_eq!(
            p.check_url("http://hooks.example.vn/x"),
            Err(Refusal::PlainHttp)
        );
        assert!(p.check_url("http://127.0.0.1:9000/x").unwrap().trusted);
        assert!(p.check_url("http://demo.local:8081/x").unwrap().trusted);
        assert_eq!(
            p.check_url("http://demo.local:8082/x"),
            Err(Refusal::PlainHttp)
        );
        assert_eq!(p.check_url("ftp://hooks.example.vn/"), Err(Refusal::BadUrl));
        assert_eq!(
            p.check_url("https://u:p@hooks.example.vn/"),
            Err(Refusal::BadUrl)
        );
        assert_eq!(p.check_url("/relative"), Err(Refusal::BadUrl));
    }

    #[test]
    fn internal_addresses_are_refused_at_registration() {
        let p = policy();
        for url in [
            "https://127.0.0.2/x",
            "https://localhost/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[fd00:ec2::254]/x",
            "https://[::ffff:192.168.0.1]/x",
            "https://100.64.1.1/x",
            "https://0.0.0.0/x",
        ] {
            assert_eq!(
                p.check_registration(url),
                Err(Refusal::ForbiddenAddress),
                "{url}"
            );
        }
        assert!(p.check_registration("https://8.8.8.8/hook").is_ok());
        assert!(
            p.check_registration("http://127.0.0.1:1/hook").is_ok(),
            "listed"
        );
    }
}
