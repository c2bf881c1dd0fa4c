//! The HTTP conventions ordinary FHIR clients expect of a server, kept
//! apart from the handlers so that every route gets them alike:
//!
//! - `POST [type]/_search` with the parameters form-encoded in the body,
//!   answered as the `GET` search with the same parameters (those of the
//!   query string first): the request is rewritten before routing, so
//!   the two cannot answer differently and the searchset's `self` link is
//!   the `GET` form;
//! - one trailing slash on a FHIR path (`/fhir/r4/`,
//!   `/fhir/r4/Patient/`) is the same as none: trimmed before routing;
//! - content negotiation: only JSON is served, so `_format` or `Accept`
//!   asking for anything else (XML, Turtle) is answered 406 with an
//!   `OperationOutcome`, rather than with JSON the client did not ask for;
//! - CORS for the origins the deployment names (`cors_origins`), on the
//!   API, sign-in and the SMART configuration, never on the web pages;
//! - the SMART configuration and the OpenAPI description.

use crate::body::FhirJson;
use crate::routes::base_url;
use crate::{ApiConfig, AppState};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;
use tiercare_fhir as fhir;
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The FHIR base every convention here applies under.
const FHIR_BASE: &str = "/fhir/r4";

/// Paths CORS applies to: the FHIR API, sign-in and sign-out, the SMART
/// configuration. The web pages are same-origin only.
const CORS_PATHS: [&str; 5] = [
    "/fhir/r4",
    "/auth/token",
    "/auth/revoke",
    "/auth/logout",
    "/.well-known/smart-configuration",
];

/// Wraps the whole application: the conventions that must act before
/// routing (the trailing slash, `_search`, content negotiation), then CORS
/// around them for the configured origins.
pub fn around(app: Router, config: &ApiConfig) -> Router {
    let app = Router::new()
        .fallback_service(app)
        .layer(axum::middleware::from_fn_with_state(
            (config.max_body_bytes, config.limits.request_timeout()),
            before_routing,
        ))
        .layer(axum::middleware::map_response(crate::ops::security_headers));
    let Some(cors) = cors_layer(&config.cors_origins) else {
        return app;
    };
    let with_cors = cors.layer(app.clone());
    Router::new().fallback_service(tower::service_fn(move |req: Request| {
        let plain = app.clone();
        let with_cors = with_cors.clone();
        async move {
            if cors_applies(req.uri().path()) {
                with_cors.oneshot(req).await
            } else {
                plain.oneshot(req).await
            }
        }
    }))
}

/// Whether a request path gets CORS headers.
fn cors_applies(path: &str) -> bool {
    CORS_PATHS.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The CORS policy for the configured origins; none without any (no CORS
/// headers at all). `*` allows every origin: bearer tokens are not
/// cookies, so no credentials are ever allowed.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::IF_MATCH,
                HeaderName::from_static("if-none-exist"),
                HeaderName::from_static("prefer"),
            ])
            .expose_headers([header::LOCATION, header::ETAG, header::CONTENT_LOCATION])
            .max_age(Duration::from_secs(600)),
    )
}

/// Checks one configured origin (`https://host[:port]`, or `*`), so a
/// typo is refused at start-up rather than silently never matching.
pub fn check_origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Ok(());
    }
    let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
        && HeaderValue::from_str(origin).is_ok()
        && origin
            .split_once("://")
            .is_some_and(|(_, host)| !host.is_empty() && !host.contains('/'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "cors_origins: {origin:?} is not an origin (scheme://host[:port], no path) or *"
        ))
    }
}

/// The conventions that decide which route a request reaches.
async fn before_routing(
    State((limit, timeout)): State<(usize, Duration)>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if !(path == FHIR_BASE || path.starts_with("/fhir/r4/")) {
        return next.run(req).await;
    }
    let req = trim_slash(req);
    let req = match search_as_get(req, limit, timeout).await {
        Ok(req) => req,
        Err(resp) => return resp,
    };
    if let Err(message) = negotiate(req.uri(), req.headers()) {
        return outcome(StatusCode::NOT_ACCEPTABLE, "not-supported", &message);
    }
    next.run(req).await
}

/// `/fhir/r4/Patient/` is `/fhir/r4/Patient`, `/fhir/r4/` the base.
fn trim_slash(mut req: Request) -> Request {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = &path[..path.len() - 1];
        let new = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_string(),
        };
        if let Some(uri) = with_path_and_query(req.uri(), &new) {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// The same URI with another path and query.
fn with_path_and_query(uri: &Uri, path_and_query: &str) -> Option<Uri> {
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(path_and_query).ok()?);
    Uri::from_parts(parts).ok()
}

/// `POST /fhir/r4/{type}/_search` with a form body becomes
/// `GET /fhir/r4/{type}?{query&form}`. Another body type is 415, a body
/// over the limit 413, one not sent within the request timeout 408 (the
/// search has not begun, so it is safe to retry), each with an
/// `OperationOutcome`.
async fn search_as_get(req: Request, limit: usize, timeout: Duration) -> Result<Request, Response> {
    let path = req.uri().path();
    let Some(rest) = path.strip_prefix("/fhir/r4/") else {
        return Ok(req);
    };
    let Some(resource_type) = rest.strip_suffix("/_search") else {
        return Ok(req);
    };
    if resource_type.is_empty() || resource_type.contains('/') || req.method() != Method::POST {
        return Ok(req);
    }
    let resource_type = resource_type.to_string();
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let (mut parts, body) = req.into_parts();
    let bytes = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit))
        .await
        .map_err(|_| {
            let message = "the search's form body took too long to arrive; nothing was searched";
            outcome(StatusCode::REQUEST_TIMEOUT, "timeout", message)
        })?
        .map_err(|_| {
            let message = format!("request body is larger than {limit} bytes");
            outcome(StatusCode::PAYLOAD_TOO_LARGE, "too-costly", &message)
        })?;
    if !form && !bytes.is_empty() {
        return Err(outcome(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not-supported",
            "_search takes its parameters as application/x-www-form-urlencoded",
        ));
    }
    let mut query: Vec<&str> = Vec::new();
    if let Some(q) = parts.uri.query().filter(|q| !q.is_empty()) {
        query.push(q);
    }
    let body = std::str::from_utf8(&bytes).map_err(|_| {
        outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            "the form body is not UTF-8",
        )
    })?;
    let body = body.trim();
    if !body.is_empty() {
        query.push(body);
    }
    let new = match query.join("&") {
        q if q.is_empty() => format!("/fhir/r4/{resource_type}"),
        q => format!("/fhir/r4/{resource_type}?{q}"),
    };
    let Some(uri) = with_path_and_query(&parts.uri, &new) else {
        return Err(outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            "the form body is not a valid query",
        ));
    };
    parts.uri = uri;
    parts.method = Method::GET;
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Request::from_parts(parts, Body::empty()))
}

/// Media types that mean JSON, as `_format` or `Accept` may name them.
fn is_json(media: &str) -> bool {
    let media = media.split(';').next().unwrap_or_default().trim();
    [
        "json",
        "application/json",
        "application/fhir+json",
        "application/json+fhir",
        "text/json",
    ]
    .iter()
    .any(|m| media.eq_ignore_ascii_case(m))
}

/// Whether the client accepts JSON: `_format` (which overrides `Accept`)
/// must name JSON; `Accept`, when present, must allow it (a JSON type,
/// `application/*` or `*/*`, not at `q=0`). The error says what to ask.
fn negotiate(uri: &Uri, headers: &HeaderMap) -> Result<(), String> {
    let query = uri.query().unwrap_or_default();
    let formats: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "_format")
        .map(|(_, v)| v.into_owned())
        .collect();
    if let Some(f) = formats.iter().find(|f| !is_json(f)) {
        return Err(format!(
            "_format={f} is not served: tiercare serves FHIR JSON only (_format=json or application/fhir+json)"
        ));
    }
    if !formats.is_empty() {
        return Ok(());
    }
    let accepts: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if accepts.is_empty() {
        return Ok(());
    }
    let acceptable = accepts.iter().any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        !refused
            && (is_json(media) || media == "*/*" || media.eq_ignore_ascii_case("application/*"))
    });
    if acceptable {
        Ok(())
    } else {
        Err(format!(
            "Accept: {} is not served: tiercare serves FHIR JSON only (application/fhir+json)",
            accepts.join(", ")
        ))
    }
}

/// An `OperationOutcome` answer with one error issue.
fn outcome(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    });
    (status, FhirJson(body)).into_response()
}

/// `GET /.well-known/smart-configuration` (also under the FHIR base):
/// where SMART clients get and revoke tokens. Public, as the
/// CapabilityStatement is.
pub async fn smart_configuration(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let body = fhir::capability::smart_configuration(&base_url(&state, &headers));
    let mut resp = axum::Json(body).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `GET /fhir/r4/openapi.json`: the OpenAPI 3.0 description, built from
/// the CapabilityStatement. Public, as the CapabilityStatement is.
pub async fn openapi(State(state): State<AppState>, headers: HeaderMap) -> Response {
    axum::Json(fhir::conformance::openapi::document(&base_url(
        &state, &headers,
    )))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: Option<&str>, query: &str) -> Result<(), String> {
        let mut h = HeaderMap::new();
        if let Some(v) = value {
            h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        let uri: Uri = format!("/fhir/r4/Patient{query}").parse().unwrap();
        negotiate(&uri, &h)
    }

    #[test]
    fn only_json_is_served() {
        for ok in [
            None,
            Some("application/fhir+json"),
            Some("application/json"),
            Some("*/*"),
            Some("text/html, */*;q=0.8"),
            Some("application/fhir+xml;q=0.9, application/fhir+json"),
        ] {
            assert!(accept(ok, "").is_ok(), "{ok:?}");
        }
        for bad in [
            Some("application/fhir+xml"),
            Some("application/xml, text/xml"),
            Some("application/fhir+json;q=0, application/fhir+xml"),
        ] {
            assert!(accept(bad, "").is_err(), "{bad:?}");
        }
        assert!(accept(None, "?_format=json").is_ok());
        assert!(accept(None, "?_format=application%2Ffhir%2Bjson").is_ok());
        assert!(accept(None, "?_format=xml").is_err());
        assert!(accept(Some("application/fhir+xml"), "?_format=json").is_ok());
    }

    #[test]
    fn cors_covers_the_api_not_the_pages() {
        assert!(cors_applies("/fhir/r4"));
        assert!(cors_applies("/fhir/r4/Patient"));
        assert!(cors_applies("/auth/token"));
        assert!(cors_applies("/.well-known/smart-configuration"));
        assert!(!cors_applies("/ui/login"));
        assert!(!cors_applies("/fhir/r4x"));
        assert!(!cors_applies("/"));
    }

    #[test]
    fn origins_are_checked() {
        assert!(check_origin("https://app.example.org").is_ok());
        assert!(check_origin("http://localhost:3000").is_ok());
        assert!(check_origin("*").is_ok());
        assert!(check_origin("app.example.org").is_err());
        assert!(check_origin("https://app.example.org/path").is_err());
    }
}
