//! `_history` of the loop's records: one record's versions
//! (`GET {type}/{id}/_history`) and a type's (`GET {type}/_history`),
//! newest first, under the service's read and search rules for the type,
//! each version rendered as a read of it renders it.

use super::*;
use tiercare_service::referrals::Referrals;

/// `GET {type}/_history` of a type of the loop (the referral loop, its
/// results, visits, care plans, coverage and claims, and the open
/// capacity records). Each has a route of its own: the type's
/// `{type}/{id}` route would otherwise take `_history` for an id.
/// `Communication` has none: a message is never changed, and it is kept
/// inside its consult, whose history is the `ServiceRequest`'s.
pub fn history_type_route(rt: &'static str) -> axum::routing::MethodRouter<crate::AppState> {
    axum::routing::get(move |req: Request, raw: RawQuery| async move {
        history(req, rt, None, raw).await
    })
}

/// `GET {type}/{id}/_history` of a record of the loop: its own route, as
/// the type's `{type}/{id}/{operation}` route would otherwise take
/// `_history` for an operation.
pub fn history_instance_route(rt: &'static str) -> axum::routing::MethodRouter<crate::AppState> {
    axum::routing::get(
        move |req: Request, Path(id): Path<String>, raw: RawQuery| async move {
            history(req, rt, Some(id), raw).await
        },
    )
}

/// The `_history` of one record of the loop, or of a type: each version
/// rendered as a read of it renders it.
async fn history(
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
    let mut shown = Vec::with_capacity(found.versions.len());
    for s in &found.versions {
        shown.push(match &s.record {
            // A referral's Task is its workflow, rendered from it.
            Record::Referral(r) if rt == "Task" => ("Task", render_task(r, policy)),
            other => {
                let mut body = tiercare_fhir::render(s);
                // A panel is read with its control status as of today.
                super::panel::with_control(&state, &actor, s, &mut body).await?;
                (other.resource_type(), body)
            }
        });
    }
    let bundle = tiercare_fhir::history::bundle_with(&base, found.total, &found.versions, shown);
    Ok(FhirJson(bundle).into_response())
}
