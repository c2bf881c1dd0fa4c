//! `Appointment` and `Encounter`: visits booked in slots (through a
//! referral or self-referred under the region's gatekeeping), and the
//! visits and admissions that happened.

use super::*;
use tiercare_fhir::visit::{APPOINTMENT_SEARCH, APPOINTMENT_TYPE, ENCOUNTER_SEARCH};
use tiercare_service::referrals::SelfBooking;

/// `POST /Appointment`: a self-referred visit (a referral's visit is booked
/// with `ServiceRequest/{id}/$book`).
pub async fn appointment_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fhir::check_resource_type(
        json_body(&headers, body, state.config.max_body_bytes)?,
        "Appointment",
    )?;
    let req = parse_appointment(&value)?;
    let made = Referrals::new(&state.ctx, &actor).book_self(req).await?;
    let mut s = stored(
        Record::Appointment(made.value),
        made.version,
        made.updated_at,
    );
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(&state, &headers),
    ))
}

/// `GET /Appointment/{id}` and `GET /Encounter/{id}`.
pub fn visit_read_route(rt: &'static str) -> MethodRouter<AppState> {
    get(
        move |Request(state, actor, headers): Request, Path(id): Path<String>| async move {
            visit_read(&state, &actor, rt, &id, &headers).await
        },
    )
}

async fn visit_read(
    state: &AppState,
    actor: &tiercare_core::access::Actor,
    resource_type: &str,
    id: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let s = Referrals::new(&state.ctx, actor)
        .read_visit(resource_type, id)
        .await?;
    Ok(resource_response(
        &s,
        StatusCode::OK,
        &base_url(state, headers),
    ))
}

/// `GET /Appointment?...`: administrators see all, residents their own,
/// doctors and coordinators their institution's.
pub async fn appointment_search(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    visit_search(
        &state,
        &actor,
        "Appointment",
        APPOINTMENT_SEARCH,
        "organization",
        raw,
        &headers,
    )
    .await
}

/// `GET /Encounter?...`: as for appointments.
pub async fn encounter_search(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    visit_search(
        &state,
        &actor,
        "Encounter",
        ENCOUNTER_SEARCH,
        "service-provider",
        raw,
        &headers,
    )
    .await
}

async fn visit_search(
    state: &AppState,
    actor: &tiercare_core::access::Actor,
    rt: &str,
    params: &[fhir::SearchParam],
    institution_param: &str,
    raw: Option<String>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = query_for(rt, params, &pairs)?;
    let refusal = format!("this account may not see {rt} records");
    let (found, total) = Referrals::new(&state.ctx, actor)
        .search_scoped(q.clone(), institution_param, &refusal)
        .await?;
    let base = base_url(state, headers);
    let resources = found
        .iter()
        .map(|s| (format!("{base}/{rt}/{}", s.record.id()), fhir::render(s)))
        .collect();
    Ok(FhirJson(searchset(&base, rt, &pairs, &q, total, resources)).into_response())
}

fn parse_appointment(value: &Value) -> Result<SelfBooking, ApiError> {
    const KNOWN: [&str; 7] = [
        "id",
        "status",
        "slot",
        "participant",
        "reasonCode",
        "appointmentType",
        "serviceType",
    ];
    if let Some(k) = value
        .as_object()
        .and_then(|m| m.keys().find(|k| !KNOWN.contains(&k.as_str())))
    {
        return Err(ApiError::invalid(
            format!("Appointment.{k}"),
            format!("Appointment.{k} is not supported when booking a visit and would be lost"),
        ));
    }
    match value.get("status").and_then(Value::as_str) {
        None | Some("booked") => {}
        Some(s) => {
            return Err(ApiError::invalid(
                "Appointment.status",
                format!("a booking is booked, not {s}"),
            ));
        }
    }
    let reference = |pointer: &str, field: &str, ty: &str| -> Result<String, ApiError> {
        let text = value
            .pointer(pointer)
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::invalid(field, format!("{field} is required")))?;
        let r = fhir::datatypes::Reference {
            reference: Some(text.to_string()),
            ..Default::default()
        };
        Ok(reference_id(&r, &[ty], field)?.1)
    };
    if value["slot"].as_array().map(Vec::len) != Some(1) {
        return Err(ApiError::invalid(
            "Appointment.slot",
            "exactly one slot is required",
        ));
    }
    let slot = reference("/slot/0/reference", "Appointment.slot", "Slot")?;
    let participants = value["participant"].as_array().cloned().unwrap_or_default();
    if participants.len() != 1 {
        return Err(ApiError::invalid(
            "Appointment.participant",
            "exactly one participant, the patient, is required",
        ));
    }
    let patient = reference(
        "/participant/0/actor/reference",
        "Appointment.participant.actor",
        "Patient",
    )?;
    let condition = value
        .pointer("/reasonCode/0/coding/0/code")
        .and_then(Value::as_str)
        .map(|c| {
            c.parse::<IcdCode>()
                .map_err(|e| ApiError::invalid("Appointment.reasonCode", e.to_string()))
        })
        .transpose()?;
    let emergency = match value.pointer("/appointmentType/coding/0") {
        None => false,
        Some(c) if c["system"] == APPOINTMENT_TYPE => c["code"] == "EMERGENCY",
        Some(_) => {
            return Err(ApiError::invalid(
                "Appointment.appointmentType",
                format!("use {APPOINTMENT_TYPE} (EMERGENCY, ROUTINE, ...)"),
            ));
        }
    };
    Ok(SelfBooking {
        slot,
        patient: patient
            .parse()
            .map_err(|e| ApiError::invalid("Appointment.participant.actor", format!("{e}")))?,
        condition,
        emergency,
    })
}

/// `POST Appointment/{id}/$arrive`: the patient of a self-booked visit
/// came; answers the visit's `Encounter` (status arrived).
pub async fn appointment_operation(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if operation != "$arrive" {
        return Err(ApiError::NotFound(format!(
            "Appointment/{id}/{operation} is not an operation; use $arrive"
        )));
    }
    let inputs = operation_inputs(
        &ops::APPOINTMENT_ARRIVE,
        &headers,
        body,
        state.config.max_body_bytes,
    )?;
    let early = inputs.flag("early").unwrap_or(false);
    let e = Referrals::new(&state.ctx, &actor)
        .arrive_self(&id, early)
        .await?;
    let mut s = stored(Record::Encounter(e.value), e.version, e.updated_at);
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(&state, &headers),
    ))
}

/// `POST Encounter/{id}/$finish`: a self-referred visit is over (a
/// referral's visit finishes with the referral's `$complete`).
pub async fn encounter_operation(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if operation != "$finish" {
        return Err(ApiError::NotFound(format!(
            "Encounter/{id}/{operation} is not an operation; use $finish"
        )));
    }
    let inputs = operation_inputs(
        &ops::ENCOUNTER_FINISH,
        &headers,
        body,
        state.config.max_body_bytes,
    )?;
    let e = Referrals::new(&state.ctx, &actor)
        .with_charge(charge_input(&inputs)?)
        .finish_visit(&id)
        .await?;
    let s = stored(Record::Encounter(e.value), e.version, e.updated_at);
    Ok(resource_response(
        &s,
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}
