//! The endpoint rules ([`EndpointRules`]) applied where addresses are
//! known: when a subscription is written (its endpoint's host resolved
//! now) and on every delivery, by a resolver the HTTP client connects
//! through, so that only the addresses the rules allow are ever dialled,
//! whatever the name resolves to by then.

use crate::error::ApiError;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tiercare_service::subscriptions::EndpointRules;
use tiercare_service::subscriptions::endpoints::Refused;

const FIELD: &str = "Subscription.channel.endpoint";

/// The IP address a URL names literally (`http://10.0.0.1/`, `http://[::1]/`):
/// such a URL is dialled without asking the resolver.
pub fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Checks a new or changed endpoint against the rules, with its host
/// resolved now (within `timeout`): 400 naming the endpoint when an address
/// it resolves to is refused. A name that does not resolve yet is accepted;
/// every delivery checks again.
pub async fn check_endpoint(
    rules: &EndpointRules,
    endpoint: &str,
    timeout: Duration,
) -> Result<(), ApiError> {
    let url = Url::parse(endpoint)
        .map_err(|e| ApiError::invalid(FIELD, format!("{endpoint:?} is not a URL: {e}")))?;
    let host = url.host_str().unwrap_or_default();
    let refused = |e: Refused| ApiError::invalid(FIELD, e.to_string());
    if let Some(ip) = literal_ip(&url) {
        return rules.check(host, ip).map_err(refused);
    }
    if rules.names(host) {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(80);
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
        Ok(Ok(addrs)) => {
            for a in addrs {
                rules.check(host, a.ip()).map_err(refused)?;
            }
            Ok(())
        }
        Ok(Err(e)) => {
            tracing::info!(%host, error = %e, "a subscription's endpoint does not resolve yet; checked again at delivery");
            Ok(())
        }
        Err(_) => {
            tracing::info!(%host, "resolving a subscription's endpoint timed out; checked again at delivery");
            Ok(())
        }
    }
}

/// The HTTP client's resolver for notifications: the system's answer,
/// less every address the rules refuse; an error (which fails the attempt
/// with the reason) when none is left.
pub struct GuardedResolver {
    rules: Arc<EndpointRules>,
}

impl GuardedResolver {
    pub fn new(rules: EndpointRules) -> GuardedResolver {
        GuardedResolver {
            rules: Arc::new(rules),
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let rules = self.rules.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match rules.check(&host, a.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::warn!(%host, address = %a.ip(), reason = %e,
                            "a notification is not sent to a refused address");
                        refused = Some(e);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(e)) => Err(e.into()),
                (true, None) => Err(format!("{host} resolves to no address").into()),
                (false, _) => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn literal_addresses_are_found_in_every_spelling() {
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        assert_eq!(
            literal_ip(&url("http://10.0.0.1:8080/x")),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(literal_ip(&url("http://[::1]/x")), Some(ip("::1")));
        assert_eq!(
            literal_ip(&url("http://2130706433/")),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(literal_ip(&url("http://0x7f.1/")), Some(ip("127.0.0.1")));
        assert_eq!(literal_ip(&url("https://his.example.org/fhir")), None);
    }

    #[tokio::test]
    async fn a_literal_endpoint_is_judged_without_resolving() {
        let none = EndpointRules::default();
        let wait = Duration::from_secs(1);
        let e = check_endpoint(&none, "http://[::ffff:169.254.169.254]/latest", wait)
            .await
            .unwrap_err();
        match e {
            ApiError::Invalid {
                expression: Some(x),
                ..
            } => assert_eq!(x, FIELD),
            other => panic!("not a 400 naming the endpoint: {other:?}"),
        }
        assert!(
            check_endpoint(&none, "https://203.0.113.7/fhir", wait)
                .await
                .is_ok()
        );
        let listed = EndpointRules::new(&["169.254.169.254".into()], false).unwrap();
        assert!(
            check_endpoint(&listed, "http://169.254.169.254/latest", wait)
                .await
                .is_ok()
        );
    }
}
