//! Notifications over HTTP: the FHIR R4 rest-hook channel the outbox
//! delivers through, and the wake-up after every change.

use super::criteria::Criteria;
use super::guard::{GuardedResolver, literal_ip};
use super::resource::PAYLOAD;
use crate::AppState;
use std::sync::Arc;
use std::time::Duration;
use tiercare_core::Record;
use tiercare_core::policy::Policy;
use tiercare_service::subscriptions::{Delivery, DeliveryConfig, EndpointRules};
use tiercare_store::{Filter, Subscription};

/// Wakes the outbox after every request that may have changed something
/// (any method but GET, HEAD and OPTIONS), once it has been answered: the
/// change is committed by then, and the request does not wait for any
/// delivery.
pub async fn wake_after_change(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let resp = next.run(req).await;
    if changes && resp.status().is_success() {
        state.ctx.changes.notify_one();
    }
    resp
}

/// R4 rest-hook: with a payload, `PUT {endpoint}/Task/{id}` with the Task
/// as FHIR JSON; without, an empty `POST {endpoint}`. The subscription's
/// headers go with it. Over http or https (certificates verified against
/// the public roots and the region's own, `extra_roots_pem`), and only to
/// addresses the endpoint rules allow ([`GuardedResolver`]).
pub struct RestHook {
    client: reqwest::Client,
    /// Longest one attempt may take, connection to answer.
    timeout: Duration,
    /// The policy a referral's Task is rendered under (its deadlines).
    policy: Arc<Policy>,
    /// Where notifications may go; checked here for IP-literal endpoints,
    /// which the client dials without its resolver.
    rules: EndpointRules,
}

impl RestHook {
    /// The channel for a server; `None` (logged) when no HTTP client can
    /// be built, in which case nothing is delivered.
    pub fn new(state: &AppState) -> Option<RestHook> {
        let config = &state.config.delivery;
        match client(config) {
            Ok(client) => Some(RestHook {
                client,
                timeout: config.timeout,
                policy: state.ctx.policy.clone(),
                rules: config.endpoints.clone(),
            }),
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "no HTTP client: subscriptions are not delivered");
                None
            }
        }
    }
}

/// The HTTP client notifications go through.
fn client(config: &DeliveryConfig) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        // A redirect is not a delivery: the endpoint must answer itself
        // (and a redirect could lead past the endpoint rules).
        .redirect(reqwest::redirect::Policy::none())
        // Straight to the endpoint: through a proxy the rules would judge
        // the proxy's address, not the endpoint's.
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver::new(config.endpoints.clone())));
    if let Some(pem) = &config.extra_roots_pem {
        for cert in reqwest::Certificate::from_pem_bundle(pem.as_bytes())? {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build()
}

impl Delivery for RestHook {
    fn criteria(&self, text: &str) -> Result<Vec<Filter>, String> {
        Criteria::parse(text)
            .map(Criteria::into_filters)
            .map_err(|e| e.to_string())
    }

    async fn send(&self, sub: &Subscription, task: &str, record: &Record) -> Result<(), String> {
        let body = match record {
            Record::Referral(r) => tiercare_fhir::referral::render_task(r, &self.policy),
            Record::FollowUp(f) => {
                let mut body = tiercare_fhir::care_plan::render_follow_up(f);
                body["id"] = serde_json::Value::String(f.id.to_string());
                body
            }
            Record::EmergencyCase(c) => tiercare_fhir::emergency::case::render_alert(c),
            other => return Err(format!("{} is not a Task", other.resource_type())),
        };
        let endpoint = sub.spec.endpoint.as_str();
        let url = reqwest::Url::parse(endpoint).map_err(|e| format!("{endpoint:?}: {e}"))?;
        if let Some(ip) = literal_ip(&url) {
            self.rules
                .check(url.host_str().unwrap_or_default(), ip)
                .map_err(|e| {
                    tracing::warn!(subscription = %sub.id, reason = %e,
                    "a notification is not sent to a refused address");
                    e.to_string()
                })?;
        }
        let mut rb = match sub.spec.payload.as_deref() {
            Some(mime) => {
                let bytes = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
                let url = format!("{}/Task/{task}", endpoint.trim_end_matches('/'));
                self.client
                    .put(url)
                    .header(reqwest::header::CONTENT_TYPE, mime)
                    .body(bytes)
            }
            None => self.client.post(endpoint).body(Vec::new()),
        };
        rb = rb.header(reqwest::header::ACCEPT, PAYLOAD);
        for h in &sub.spec.headers {
            if let Some((name, value)) = h.split_once(':') {
                rb = rb.header(name.trim(), value.trim());
            }
        }
        match rb.timeout(self.timeout).send().await {
            Ok(resp) if resp.status().is_success() => Ok(()),
            Ok(resp) => Err(format!("the endpoint answered HTTP {}", resp.status())),
            Err(e) if e.is_timeout() => Err(format!(
                "the endpoint did not answer within {} ms",
                self.timeout.as_millis()
            )),
            Err(e) => Err(error_chain(&e)),
        }
    }
}

/// An error with its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
