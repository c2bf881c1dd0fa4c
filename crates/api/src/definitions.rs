//! The definitions the server serves as fixed resources: its code systems,
//! concept maps and operation definitions, read and searched by `url` and
//! `_id` like stored records.

use crate::AppState;
use crate::auth::Caller;
use crate::body::FhirJson;
use crate::error::ApiError;
use crate::routes::base_url;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::Value;
use tiercare_fhir::operations;
use tiercare_fhir::search::{DEFAULT_COUNT, MAX_COUNT, parse_number, query_pairs, searchset};
use tiercare_fhir::terminology;
use tiercare_store::Query;

/// `GET /{rt}`: a search of the fixed resources `all()` of that type, as
/// a searchset, for any signed-in user.
pub fn listing_route(rt: &'static str, all: fn() -> Vec<Value>) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>,
              _c: Caller,
              RawQuery(raw): RawQuery,
              headers: HeaderMap| async move {
            let pairs = query_pairs(raw.as_deref())?;
            let base = base_url(&state, &headers);
            Ok::<_, ApiError>(FhirJson(fixed_search(&base, rt, all(), &pairs)?).into_response())
        },
    )
}

/// The concept maps served: the one from conditions to levels.
pub fn concept_maps() -> Vec<Value> {
    vec![terminology::condition_level_map()]
}

/// Serves a fixed list of resources (code systems, concept maps) as search
/// results; `url` and `_id` filter it.
fn fixed_search(
    base: &str,
    rt: &str,
    all: Vec<Value>,
    pairs: &[(String, String)],
) -> Result<Value, ApiError> {
    let mut items = all;
    let mut q = Query {
        resource_type: rt.into(),
        filters: vec![],
        count: DEFAULT_COUNT,
        offset: 0,
    };
    for (k, v) in pairs {
        match k.as_str() {
            "_id" => items.retain(|r| r["id"] == v.as_str()),
            "url" => items.retain(|r| r["url"] == v.as_str()),
            "_count" => q.count = parse_number("_count", v)?.min(MAX_COUNT),
            "_offset" => q.offset = parse_number("_offset", v)?,
            "_format" | "_pretty" => {}
            other => {
                return Err(ApiError::invalid(
                    other,
                    format!("search parameter {other:?} is not supported for {rt}"),
                ));
            }
        }
    }
    let total = items.len() as u64;
    let resources = items
        .into_iter()
        .skip(q.offset as usize)
        .take(q.count as usize)
        .map(|r| {
            (
                format!("{base}/{rt}/{}", r["id"].as_str().unwrap_or_default()),
                r,
            )
        })
        .collect();
    Ok(searchset(base, rt, pairs, &q, total, resources))
}

pub async fn code_system_read(_c: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let cs = terminology::code_system(&id)
        .ok_or_else(|| ApiError::NotFound(format!("CodeSystem/{id} does not exist")))?;
    Ok(FhirJson(cs).into_response())
}

/// `GET /OperationDefinition/{id}`: one operation's parameters, as its
/// declaration says and the server reads them.
pub async fn operation_definition_read(
    _c: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let o = operations::find(&id)
        .ok_or_else(|| ApiError::NotFound(format!("OperationDefinition/{id} does not exist")))?;
    Ok(FhirJson(o.definition()).into_response())
}

pub async fn concept_map_read(_c: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    if id != terminology::CONDITION_LEVEL_MAP {
        return Err(ApiError::NotFound(format!(
            "ConceptMap/{id} does not exist"
        )));
    }
    Ok(FhirJson(terminology::condition_level_map()).into_response())
}
