//! Operations endpoints: liveness, readiness, Prometheus metrics, the
//! landing page, and request metrics middleware.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;
use tiercare_core::access::UserRole;

/// The process-wide Prometheus recorder; installed once, shared by every
/// server in the process (tests start several).
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed: then ours stays
            // unused and /metrics shows its empty output.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts requests and their latency by route and status.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", path), ("status", status)];
    metrics::counter!("tiercare_http_requests_total", &labels).increment(1);
    metrics::histogram!("tiercare_http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    resp
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// The operations endpoints alone, without a token: served on the
/// operations listen address (`ops_listen`), which the load balancer and
/// the metrics collector reach and the public does not.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// `/readyz` on the public listener: an administrator's token first.
pub async fn readyz_signed_in(caller: Caller, state: State<AppState>) -> Response {
    match administrator(&caller) {
        Ok(()) => readyz(state).await,
        Err(e) => e.into_response(),
    }
}

/// `/metrics` on the public listener: an administrator's token first.
pub async fn metrics_signed_in(caller: Caller, state: State<AppState>) -> Response {
    match administrator(&caller) {
        Ok(()) => metrics_text(state).await,
        Err(e) => e.into_response(),
    }
}

fn administrator(Caller(actor): &Caller) -> Result<(), ApiError> {
    if actor.role == UserRole::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "readiness and metrics are for administrators, or on the operations address (ops_listen)"
                .into(),
        ))
    }
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.ctx.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn metrics_text(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound(
        "no such endpoint; the FHIR API is under /fhir/r4 (see /fhir/r4/metadata)".into(),
    )
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("this method is not allowed on this endpoint".into())
}

pub async fn landing(State(state): State<AppState>) -> Html<String> {
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tiercare</title>
<style>{style}</style>
</head><body>
<h1>tiercare</h1>
<p>Tiered care for <strong>{region}</strong>: family doctors as first contact, two-way referral between primary care and hospitals, and the indicators that show where patients fall through.</p>
<ul>
<li><a href="/ui/dashboard">Indicator dashboard</a> (administrators and analysts sign in)</li>
<li><a href="/fhir/r4/metadata">FHIR R4 CapabilityStatement</a> (<code>/fhir/r4</code>, JSON)</li>
<li>Sign in for a token: <code>POST /auth/token</code> with <code>grant_type=password&amp;username=...&amp;password=...</code></li>
<li>Operations: <a href="/healthz">/healthz</a>; <code>/readyz</code> and <code>/metrics</code> for administrators, or on the operations address</li>
</ul>
</body></html>"#,
        style = LANDING_STYLE,
        region = html_escape(&state.ctx.region_name)
    ))
}

/// The landing page's only style, allowed by its hash in [`security_headers`].
const LANDING_STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:.1rem .3rem}";

/// The headers every answer carries unless the handler set its own (the
/// web pages set theirs): no sniffing, no framing, no referrer, and a
/// content policy that allows nothing but the landing page's style.
pub async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in defaults {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, content_policy().clone());
    }
    resp
}

fn content_policy() -> &'static HeaderValue {
    static POLICY: OnceLock<HeaderValue> = OnceLock::new();
    POLICY.get_or_init(|| {
        use base64::Engine;
        use sha2::Digest;
        let hash = sha2::Sha256::digest(LANDING_STYLE.as_bytes());
        let policy = format!(
            "default-src 'none'; style-src 'sha256-{}'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            base64::engine::general_purpose::STANDARD.encode(hash)
        );
        HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
    })
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
