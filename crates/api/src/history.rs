//! `_history`: one record's versions (`GET {type}/{id}/_history`) and a
//! type's (`GET {type}/_history`), newest first, under the access rules
//! and audit of a read, for the registry's types (the loop's are in
//! `workflow::history`).

use crate::auth::Request;
use crate::body::FhirJson;
use crate::error::ApiError;
use crate::routes::{base_url, registry_type};
use axum::extract::{Path, RawQuery};
use axum::response::{IntoResponse, Response};
use tiercare_fhir::search::query_pairs;
use tiercare_service::registry::Registry;

/// `GET {type}/{id}/_history`.
pub async fn instance(
    Request(state, actor, headers): Request,
    Path((type_name, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let rt = registry_type(&type_name)?;
    let pairs = query_pairs(raw.as_deref())?;
    let q = tiercare_fhir::history::query(rt.name(), Some(&id), &pairs)?;
    let (found, total) = Registry::new(&state.ctx, &actor).history(&q).await?;
    let base = base_url(&state, &headers);
    Ok(FhirJson(tiercare_fhir::history::bundle(&base, total, &found)).into_response())
}

/// `GET {type}/{id}/_history` for the types whose `{id}/{operation}`
/// routes are their own, with the type in the route.
pub fn instance_route(type_name: &'static str) -> axum::routing::MethodRouter<crate::AppState> {
    axum::routing::get(
        move |req: Request, Path(id): Path<String>, raw: RawQuery| async move {
            instance(req, Path((type_name.to_string(), id)), raw).await
        },
    )
}

/// `GET {type}/_history`, with `_since` and `_count`.
pub async fn of_type(
    Request(state, actor, headers): Request,
    Path(type_name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let rt = registry_type(&type_name)?;
    let pairs = query_pairs(raw.as_deref())?;
    let q = tiercare_fhir::history::query(rt.name(), None, &pairs)?;
    let (found, total) = Registry::new(&state.ctx, &actor).history(&q).await?;
    let base = base_url(&state, &headers);
    Ok(FhirJson(tiercare_fhir::history::bundle(&base, total, &found)).into_response())
}
