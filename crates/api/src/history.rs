//! `_history`: one record's versions (`GET {type}/{id}/_history`) and a
//! type's (`GET {type}/_history`), newest first, under the access rules
//! and audit of a read: the registry's types, and the loop's
//! ([`workflow_type_route`], [`workflow_instance_route`]).

use crate::auth::Request;
use crate::body::FhirJson;
use crate::error::ApiError;
use crate::routes::{base_url, registry_type};
use axum::extract::{Path, RawQuery};
use axum::response::{IntoResponse, Response};
use tiercare_core::Record;
use tiercare_fhir::referral::render_task;
use tiercare_fhir::search::query_pairs;
use tiercare_service::referrals::Referrals;
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

/// `GET {type}/_history` of a type of the loop (the referral loop, its
/// results, visits, care plans, coverage and claims, and the open
/// capacity records). Each has a route of its own: the type's
/// `{type}/{id}` route would otherwise take `_history` for an id.
/// `Communication` has none: a message is never changed, and it is kept
/// inside its consult, whose history is the `ServiceRequest`'s.
pub fn workflow_type_route(rt: &'static str) -> axum::routing::MethodRouter<crate::AppState> {
    axum::routing::get(move |req: Request, raw: RawQuery| async move {
        workflow(req, rt, None, raw).await
    })
}

/// `GET {type}/{id}/_history` of a record of the loop: its own route, as
/// the type's `{type}/{id}/{operation}` route would otherwise take
/// `_history` for an operation.
pub fn workflow_instance_route(rt: &'static str) -> axum::routing::MethodRouter<crate::AppState> {
    axum::routing::get(
        move |req: Request, Path(id): Path<String>, raw: RawQuery| async move {
            workflow(req, rt, Some(id), raw).await
        },
    )
}

/// The `_history` of one record of the loop, or of a type: each version
/// rendered as a read of it renders it.
async fn workflow(
    Request(state, actor, headers): Request,
    rt: &'static str,
    id: Option<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = tiercare_fhir::history::query(rt, id.as_deref(), &pairs)?;
    let service = Referrals::new(&state.ctx, &actor);
    let found = if id.is_some() {
        service.instance_history(q).await?
    } else {
        service.type_history(q).await?
    };
    let base = base_url(&state, &headers);
    let policy = &state.ctx.policy;
    let bundle = tiercare_fhir::history::bundle_with(&base, found.total, &found.versions, |s| {
        match &s.record {
            // A referral's Task is its workflow, rendered from it.
            Record::Referral(r) if rt == "Task" => ("Task", render_task(r, policy)),
            other => (other.resource_type(), tiercare_fhir::render(s)),
        }
    });
    Ok(FhirJson(bundle).into_response())
}
