//! Conditional interactions, one rule for every registry type: a create
//! with `If-None-Exist` and an update addressed by a search
//! (`PUT {type}?identifier=...`). The condition is any search the type
//! supports, run as the caller (so it finds only what they may see): no
//! match creates, one match is that record, several are a 412; an empty
//! condition or one naming no search criterion is a 400.

use crate::auth::Request;
use crate::error::ApiError;
use crate::routes::{base_url, json_body, registry_type};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use tiercare_core::access::Actor;
use tiercare_fhir::RegistryType;
use tiercare_fhir::search::{build_query, query_pairs};
use tiercare_service::registry::Registry;
use tiercare_store::Stored;

/// What a condition found: nothing, or the one record it names.
pub(crate) enum Found {
    None,
    One(Box<Stored>),
}

/// Runs `condition` (a query string, as `field` gave it) as a search of
/// `rt` by the caller; several matches are a 412.
pub(crate) async fn find(
    ctx: &tiercare_service::Context,
    actor: &Actor,
    rt: RegistryType,
    condition: &str,
    field: &str,
) -> Result<Found, ApiError> {
    let condition = condition.trim().trim_start_matches('?');
    // A condition may name its type, as in `Patient?identifier=...`.
    let condition = condition
        .strip_prefix(&format!("{}?", rt.name()))
        .unwrap_or(condition);
    let pairs = query_pairs(Some(condition))?;
    let mut q = build_query(rt, &pairs)?;
    if q.filters.is_empty() {
        return Err(ApiError::invalid(
            field,
            format!(
                "the condition {condition:?} names no search criterion of {}: give one, such as identifier=system|value",
                rt.name()
            ),
        ));
    }
    q.count = 2;
    q.offset = 0;
    let (mut found, total) = Registry::new(ctx, actor)
        .search(rt.name(), q, condition)
        .await?;
    match (total, found.pop()) {
        (0, _) | (_, None) => Ok(Found::None),
        (1, Some(one)) => Ok(Found::One(Box::new(one))),
        (n, Some(_)) => Err(ApiError::PreconditionFailed(format!(
            "the condition {condition:?} matches {n} {} resources; it must match at most one",
            rt.name()
        ))),
    }
}

/// The answer to a conditional create that found its record: 200 with the
/// record, its `ETag` and `Location`, nothing written.
pub(crate) fn existing_response(stored: &Stored, base: &str) -> Response {
    let mut resp = crate::routes::resource_response(stored, StatusCode::OK, base);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{base}/{}/{}/_history/{}",
        stored.record.resource_type(),
        stored.record.id(),
        stored.version
    )) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// `PUT {type}?search`: creates when nothing matches (with the body's id,
/// if it has one), updates the one match (honouring `If-Match`), 412 on
/// several.
pub async fn update(
    Request(state, actor, headers): Request,
    Path(type_name): Path<String>,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let rt = registry_type(&type_name)?;
    let condition = raw.unwrap_or_default();
    if condition.trim().is_empty() {
        return Err(ApiError::invalid(
            "url",
            format!(
                "PUT {} needs an id (PUT {}/id) or a search condition (PUT {}?identifier=...)",
                rt.name(),
                rt.name(),
                rt.name()
            ),
        ));
    }
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    let body_id = value.get("id").and_then(|v| v.as_str()).map(str::to_string);
    let id = match find(&state.ctx, &actor, rt, &condition, "url").await? {
        Found::One(stored) => {
            let id = stored.record.id().to_string();
            if body_id.as_ref().is_some_and(|b| *b != id) {
                return Err(ApiError::invalid(
                    format!("{}.id", rt.name()),
                    format!(
                        "the condition matches {}/{id}; the body's id must be that or absent",
                        rt.name()
                    ),
                ));
            }
            id
        }
        Found::None => body_id.unwrap_or_else(tiercare_service::new_id),
    };
    let mut value = value;
    if let serde_json::Value::Object(m) = &mut value {
        m.remove("id");
    }
    crate::routes::put_resource(
        &state,
        &actor,
        &headers,
        rt,
        &id,
        value,
        &base_url(&state, &headers),
    )
    .await
}
