//! A subscription as a FHIR R4 `Subscription`, and back.
//!
//! Parsing takes what tiercare keeps and refuses everything else by name
//! (`end`, `contact`, extensions, other channel types): a subscriber must
//! not believe the server honours what it silently dropped. `error` is the
//! server's, like `meta`: accepted and ignored, so that a read body can be
//! sent back with PUT.

use super::criteria::Criteria;
use crate::error::ApiError;
use axum::http::{HeaderName, HeaderValue};
use serde_json::{Map, Value, json};
use tiercare_fhir::check_resource_type;
use tiercare_store::{Subscription, SubscriptionSpec, SubscriptionStatus};

/// The payload MIME type tiercare sends: the Task as FHIR JSON.
pub const PAYLOAD: &str = "application/fhir+json";

pub use tiercare_fhir::subscription::SEARCH;

/// Headers the HTTP client sets itself; a subscriber may not replace them.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
];

/// A `Subscription` body, checked: the id it names (if any) and the spec.
pub fn parse(value: Value) -> Result<(Option<String>, SubscriptionSpec), ApiError> {
    let Value::Object(mut m) = check_resource_type(value, "Subscription")? else {
        return Err(ApiError::invalid("$", "the body must be a JSON object"));
    };
    let id = optional_string(&mut m, "id", "Subscription.id")?;
    // Set by the server while delivering; accepted back and ignored.
    m.remove("error");
    let status = match required_string(&mut m, "status", "Subscription.status")?.as_str() {
        // tiercare takes a requested subscription up at once: there is no
        // handshake in R4 rest-hook.
        "requested" | "active" => SubscriptionStatus::Active,
        "off" => SubscriptionStatus::Off,
        "error" => {
            return Err(ApiError::invalid(
                "Subscription.status",
                "status error is set by the server when delivery fails; send requested (or active) to switch a subscription on, off to switch it off",
            ));
        }
        other => {
            return Err(ApiError::invalid(
                "Subscription.status",
                format!("unknown status {other:?}: use requested, active or off"),
            ));
        }
    };
    let reason = required_string(&mut m, "reason", "Subscription.reason")?;
    let criteria = required_string(&mut m, "criteria", "Subscription.criteria")?
        .trim()
        .to_string();
    Criteria::parse(&criteria)?;
    let channel = match m.remove("channel") {
        Some(Value::Object(c)) => c,
        Some(_) => {
            return Err(ApiError::invalid(
                "Subscription.channel",
                "channel must be an object",
            ));
        }
        None => {
            return Err(ApiError::invalid(
                "Subscription.channel",
                "a channel (type rest-hook, endpoint) is required",
            ));
        }
    };
    let (endpoint, headers, payload) = parse_channel(channel)?;
    if let Some(key) = m.keys().next() {
        return Err(not_kept(&format!("Subscription.{key}")));
    }
    Ok((
        id,
        SubscriptionSpec {
            criteria,
            reason,
            endpoint,
            headers,
            payload,
            status,
        },
    ))
}

type Channel = (String, Vec<String>, Option<String>);

fn parse_channel(mut c: Map<String, Value>) -> Result<Channel, ApiError> {
    let kind = required_string(&mut c, "type", "Subscription.channel.type")?;
    if kind != "rest-hook" {
        return Err(ApiError::invalid(
            "Subscription.channel.type",
            format!("channel type {kind:?} is not supported: tiercare delivers rest-hook only"),
        ));
    }
    let endpoint = required_string(&mut c, "endpoint", "Subscription.channel.endpoint")?;
    check_endpoint(&endpoint)?;
    let payload = optional_string(&mut c, "payload", "Subscription.channel.payload")?;
    if let Some(p) = &payload
        && p != PAYLOAD
    {
        return Err(ApiError::invalid(
            "Subscription.channel.payload",
            format!(
                "payload {p:?} is not supported: send {PAYLOAD} (the Task is PUT to the endpoint) or leave it out (an empty POST)"
            ),
        ));
    }
    let headers = match c.remove("header") {
        None => Vec::new(),
        Some(Value::Array(list)) => list
            .into_iter()
            .enumerate()
            .map(|(i, h)| check_header(h, &format!("Subscription.channel.header[{i}]")))
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::invalid(
                "Subscription.channel.header",
                "header must be an array of \"Name: value\" strings",
            ));
        }
    };
    if let Some(key) = c.keys().next() {
        return Err(not_kept(&format!("Subscription.channel.{key}")));
    }
    Ok((endpoint, headers, payload))
}

/// An http or https URL with a host and no query, fragment or credentials
/// (the Task is PUT to `{endpoint}/Task/{id}`; credentials go in a header).
/// Where it may point is the endpoint rules' ([`super::guard`]).
fn check_endpoint(text: &str) -> Result<(), ApiError> {
    const FIELD: &str = "Subscription.channel.endpoint";
    let url = reqwest::Url::parse(text)
        .map_err(|e| ApiError::invalid(FIELD, format!("{text:?} is not a URL: {e}")))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(ApiError::invalid(
                FIELD,
                format!("{other}: endpoints are not supported: use an https (or http) URL"),
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::invalid(FIELD, "the endpoint URL has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ApiError::invalid(
            FIELD,
            "the endpoint must not have a query or fragment: notifications go to {endpoint}/Task/{id}",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::invalid(
            FIELD,
            "put credentials in channel.header (e.g. \"Authorization: Bearer ...\"), not in the URL",
        ));
    }
    Ok(())
}

fn check_header(value: Value, field: &str) -> Result<String, ApiError> {
    let Value::String(text) = value else {
        return Err(ApiError::invalid(
            field,
            "a header is a \"Name: value\" string",
        ));
    };
    let Some((name, v)) = text.split_once(':') else {
        return Err(ApiError::invalid(
            field,
            format!("{text:?} is not a \"Name: value\" header"),
        ));
    };
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| ApiError::invalid(field, format!("{:?} is not a header name", name.trim())))?;
    if RESERVED_HEADERS.contains(&name.as_str()) {
        return Err(ApiError::invalid(
            field,
            format!("{name} is set by the server and cannot be replaced"),
        ));
    }
    HeaderValue::from_str(v.trim()).map_err(|_| {
        ApiError::invalid(field, format!("the value of {name} is not a header value"))
    })?;
    // Kept as sent, so that it reads back the same.
    Ok(text)
}

fn not_kept(path: &str) -> ApiError {
    ApiError::invalid(
        path,
        format!(
            "{path} is not supported by tiercare and would be lost; leave it out (see docs/fhir.md)"
        ),
    )
}

fn optional_string(
    m: &mut Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<String>, ApiError> {
    match m.remove(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s)),
        Some(Value::String(_)) => Err(ApiError::invalid(field, format!("{field} is empty"))),
        Some(_) => Err(ApiError::invalid(
            field,
            format!("{field} must be a string"),
        )),
    }
}

fn required_string(m: &mut Map<String, Value>, key: &str, field: &str) -> Result<String, ApiError> {
    optional_string(m, key, field)?
        .ok_or_else(|| ApiError::invalid(field, format!("{field} is required")))
}

/// A stored subscription as FHIR JSON, with `id` and `meta`.
pub fn render(s: &Subscription) -> Value {
    let mut channel = json!({"type": "rest-hook", "endpoint": s.spec.endpoint});
    if let Some(p) = &s.spec.payload {
        channel["payload"] = json!(p);
    }
    if !s.spec.headers.is_empty() {
        channel["header"] = json!(s.spec.headers);
    }
    let mut v = json!({
        "resourceType": "Subscription",
        "id": s.id,
        "meta": {"versionId": s.version.to_string(), "lastUpdated": s.updated_at},
        "status": s.spec.status.code(),
        "reason": s.spec.reason,
        "criteria": s.spec.criteria,
        "channel": channel,
    });
    if let Some(e) = s.error.as_deref().filter(|e| !e.is_empty()) {
        v["error"] = json!(e);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Value {
        json!({
            "resourceType": "Subscription",
            "status": "requested",
            "reason": "Referrals to our hospital",
            "criteria": "Task?owner=Organization/zx-h1",
            "channel": {
                "type": "rest-hook",
                "endpoint": "http://his.example:8080/fhir",
                "payload": "application/fhir+json",
                "header": ["Authorization: Bearer abc"]
            }
        })
    }

    fn field_of(e: ApiError) -> String {
        match e {
            ApiError::Invalid {
                expression: Some(x),
                ..
            } => x,
            other => panic!("not a 400 naming a field: {other:?}"),
        }
    }

    #[test]
    fn a_rest_hook_subscription_round_trips() {
        let (id, spec) = parse(body()).unwrap();
        assert_eq!(id, None);
        assert_eq!(spec.status, SubscriptionStatus::Active);
        assert_eq!(spec.headers, ["Authorization: Bearer abc"]);
        let stored = Subscription {
            id: "s1".into(),
            version: 1,
            owner: "admin".into(),
            institution: None,
            spec: spec.clone(),
            error: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            delivered_seq: 0,
            attempts: 0,
            next_attempt_at: None,
        };
        let back = render(&stored);
        assert_eq!(back["status"], "active");
        let (id, again) = parse(back).unwrap();
        assert_eq!((id.as_deref(), again), (Some("s1"), spec));
    }

    #[test]
    fn https_endpoints_are_taken() {
        let mut b = body();
        b["channel"]["endpoint"] = json!("https://his.example:8443/fhir");
        let (_, spec) = parse(b).unwrap();
        assert_eq!(spec.endpoint, "https://his.example:8443/fhir");
    }

    #[test]
    fn what_cannot_be_kept_is_refused_by_name() {
        type Change = fn(&mut Value);
        let cases: Vec<(Change, &str)> = vec![
            (
                |b| b["channel"]["type"] = json!("websocket"),
                "Subscription.channel.type",
            ),
            (
                |b| {
                    b["channel"].as_object_mut().unwrap().remove("endpoint");
                },
                "Subscription.channel.endpoint",
            ),
            (
                |b| b["channel"]["endpoint"] = json!("ftp://x/y"),
                "Subscription.channel.endpoint",
            ),
            (
                |b| b["channel"]["endpoint"] = json!("http://x/y?a=1"),
                "Subscription.channel.endpoint",
            ),
            (
                |b| b["channel"]["endpoint"] = json!("http://u:p@x/y"),
                "Subscription.channel.endpoint",
            ),
            (
                |b| b["channel"]["payload"] = json!("application/fhir+xml"),
                "Subscription.channel.payload",
            ),
            (
                |b| b["channel"]["header"] = json!(["no colon"]),
                "Subscription.channel.header[0]",
            ),
            (
                |b| b["channel"]["header"] = json!(["Content-Type: text/plain"]),
                "Subscription.channel.header[0]",
            ),
            (
                |b| b["channel"]["header"] = json!(["X-A: ok", "Bad Name: v"]),
                "Subscription.channel.header[1]",
            ),
            (
                |b| b["channel"]["extension"] = json!([]),
                "Subscription.channel.extension",
            ),
            (
                |b| b["end"] = json!("2030-01-01T00:00:00Z"),
                "Subscription.end",
            ),
            (|b| b["status"] = json!("error"), "Subscription.status"),
            (|b| b["status"] = json!("maybe"), "Subscription.status"),
            (
                |b| {
                    b.as_object_mut().unwrap().remove("reason");
                },
                "Subscription.reason",
            ),
            (
                |b| b["criteria"] = json!("Patient?x=y"),
                "Subscription.criteria",
            ),
            (|b| b["criteria"] = json!(7), "Subscription.criteria"),
            (
                |b| b["channel"] = json!("rest-hook"),
                "Subscription.channel",
            ),
        ];
        for (change, field) in cases {
            let mut b = body();
            change(&mut b);
            let e = parse(b.clone()).expect_err(&b.to_string());
            assert_eq!(field_of(e), field, "{b}");
        }
    }
}
