//! Designated emergency centres over FHIR: a centre is a
//! `HealthcareService` with an emergency-centre category (see
//! [`tiercare_fhir::emergency`]); read and searched with the other
//! HealthcareServices by anyone signed in.

use super::*;
use tiercare_core::access::Actor;
use tiercare_service::emergency::Emergency;

/// `POST /HealthcareService` with an emergency-centre category: a centre
/// (administrators, the institution's coordinators).
pub(super) async fn centre_create(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    value: Value,
) -> Result<Response, ApiError> {
    let id = fhir::typed_id(
        &format!("ctr-{}", tiercare_service::new_id()),
        "HealthcareService.id",
    )?;
    let centre = fhir::emergency::parse_centre(value, id)?;
    let done = Emergency::new(&state.ctx, actor)
        .put_centre(centre, tiercare_store::Expect::New)
        .await?;
    let mut s = stored(Record::Centre(done.value), done.version, done.updated_at);
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(state, headers),
    ))
}

/// `POST /HealthcareService/$triage` (Parameters): where a patient with a
/// time-critical emergency goes from the first point of contact, by the
/// documented rule over the registered centres (doctors, coordinators,
/// administrators). Nothing is written.
pub async fn centre_triage(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let inputs = operation_inputs(
        &ops::HEALTHCARE_SERVICE_TRIAGE,
        &headers,
        body,
        state.config.max_body_bytes,
    )?;
    let request = fhir::emergency::triage::triage_request(&inputs)?;
    let answer = tiercare_service::emergency::triage(&state.ctx, &actor, &request).await?;
    Ok(FhirJson(fhir::emergency::triage::render_triage(&answer)).into_response())
}
