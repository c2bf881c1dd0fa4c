//! HTTP handlers of `Subscription`: create, read, search, update (PUT, to
//! change the channel or switch it off and on) and delete.

use super::resource::{self, SEARCH};
use crate::AppState;
use crate::auth::{Caller, Request};
use crate::body::FhirJson;
use crate::error::ApiError;
use crate::routes::{base_url, json_body, parse_etag, query_for, query_pairs, searchset};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tiercare_service::subscriptions::Subscriptions;
use tiercare_store::Subscription;

fn response(s: &Subscription, status: StatusCode, base: &str) -> Response {
    let mut resp = (status, FhirJson(resource::render(s))).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("W/\"{}\"", s.version)) {
        h.insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&format!("{base}/Subscription/{}", s.id))
    {
        h.insert(header::LOCATION, v);
    }
    resp
}

/// The endpoint rules for a subscription about to be written.
async fn check_endpoint(state: &AppState, endpoint: &str) -> Result<(), ApiError> {
    let delivery = &state.config.delivery;
    super::guard::check_endpoint(&delivery.endpoints, endpoint, delivery.timeout).await
}

fn if_match(headers: &HeaderMap) -> Result<Option<u32>, ApiError> {
    match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => Ok(None),
        Some(tag) => parse_etag(tag).map(Some).ok_or_else(|| {
            ApiError::invalid("If-Match", format!("{tag:?} is not an ETag like W/\"3\""))
        }),
    }
}

/// `POST /Subscription`: subscribes the caller; 201 with the subscription,
/// active at once.
pub async fn subscription_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    let (_, spec) = resource::parse(value)?;
    check_endpoint(&state, &spec.endpoint).await?;
    let created = Subscriptions::new(&state.ctx, &actor).create(spec).await?;
    Ok(response(
        &created,
        StatusCode::CREATED,
        &base_url(&state, &headers),
    ))
}

/// `GET /Subscription/{id}`.
pub async fn subscription_read(
    Request(state, actor, headers): Request,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = Subscriptions::new(&state.ctx, &actor).read(&id).await?;
    Ok(response(&s, StatusCode::OK, &base_url(&state, &headers)))
}

/// `GET /Subscription?status=...`: the subscriptions the caller may see.
pub async fn subscription_search(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = query_for("Subscription", SEARCH, &pairs)?;
    let all = Subscriptions::new(&state.ctx, &actor).list().await?;
    // Few subscriptions exist: the filters run here, with a search's
    // semantics (values of one parameter ORed, parameters ANDed).
    let found: Vec<Subscription> = all
        .into_iter()
        .filter(|s| {
            q.filters.iter().all(|f| match f.param.as_str() {
                "_id" => f.values.contains(&s.id),
                // In its system, bare, or in any system's `system|`.
                "status" => {
                    tiercare_fhir::tokens::codes_in(f, tiercare_fhir::tokens::SUBSCRIPTION_STATUS)
                        .is_none_or(|codes| codes.iter().any(|c| c == s.spec.status.code()))
                }
                _ => false,
            })
        })
        .collect();
    let total = u64::try_from(found.len()).unwrap_or(u64::MAX);
    let base = base_url(&state, &headers);
    let page = found
        .iter()
        .skip(usize::try_from(q.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(q.count).unwrap_or(usize::MAX))
        .map(|s| (format!("{base}/Subscription/{}", s.id), resource::render(s)))
        .collect();
    Ok(FhirJson(searchset(&base, "Subscription", &pairs, &q, total, page)).into_response())
}

/// `PUT /Subscription/{id}`: changes criteria, channel or status (`off` to
/// pause, `requested` to switch back on after an error); honours If-Match.
pub async fn subscription_update(
    Request(state, actor, headers): Request,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let expected = if_match(&headers)?;
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    let (body_id, spec) = resource::parse(value)?;
    if let Some(b) = body_id
        && b != id
    {
        return Err(ApiError::invalid(
            "Subscription.id",
            format!("the body's id {b:?} is not the id in the URL ({id:?})"),
        ));
    }
    check_endpoint(&state, &spec.endpoint).await?;
    let updated = Subscriptions::new(&state.ctx, &actor)
        .update(&id, expected, spec)
        .await?;
    Ok(response(
        &updated,
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}

/// `DELETE /Subscription/{id}`: 204; nothing is sent for it afterwards.
pub async fn subscription_delete(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Subscriptions::new(&state.ctx, &actor).delete(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
