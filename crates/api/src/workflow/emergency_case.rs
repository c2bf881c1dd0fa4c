//! Emergency cases over FHIR: the case is an `EpisodeOfCare`, its
//! pre-arrival alert the `Task` of the same id (see
//! [`tiercare_fhir::emergency::case`]). `$alert` opens a case; the
//! destination's team acknowledges it (`$acknowledge`, on the case or its
//! Task); either side fills in the clock (`$milestone`, `$arrive`,
//! `$treat`, `$transfer`) and records the 30-day outcome (`$close`).
//! Every change takes `If-Match` and answers the case (the Task, for the
//! Task's own operation).

use super::*;
use tiercare_core::access::Actor;
use tiercare_core::emergency::{
    ContactPoint, Emergency as Condition, EmergencyCase, Milestone, Outcome, Treatment,
};
use tiercare_fhir::emergency::case::{SEARCH as CASE_SEARCH, render_alert};
use tiercare_service::emergency::{Contact, Emergency, NewCase};

fn case_stored(c: &Versioned<EmergencyCase>) -> Stored {
    stored(
        Record::EmergencyCase(Box::new(c.value.clone())),
        c.version,
        c.updated_at.clone(),
    )
}

/// A moment input (a dateTime with its offset), refused naming it.
fn moment(inputs: &Inputs, name: &str) -> Result<Option<OffsetDateTime>, ApiError> {
    inputs
        .text(name)
        .map(|text| {
            fhir::primitives::instant(text).map_err(|e| {
                ApiError::invalid(
                    name,
                    format!("{name} is a moment with its time of day and offset: {e}"),
                )
            })
        })
        .transpose()
}

/// A code input of a closed list, refused naming it and the codes taken.
fn code<T: Copy>(
    inputs: &Inputs,
    name: &str,
    all: &[T],
    code_of: impl Fn(T) -> &'static str,
) -> Result<T, ApiError> {
    let given = inputs.required_text(name)?;
    all.iter()
        .copied()
        .find(|x| code_of(*x) == given)
        .ok_or_else(|| {
            let codes: Vec<&str> = all.iter().map(|x| code_of(*x)).collect();
            ApiError::invalid(
                name,
                format!("unknown {name} {given:?}: use {}", codes.join(", ")),
            )
        })
}

/// Where the patient is: `from`, or `latitude` and `longitude`.
fn contact(inputs: &Inputs) -> Result<Contact, ApiError> {
    let latitude = inputs.decimal("latitude")?;
    let longitude = inputs.decimal("longitude")?;
    match (inputs.reference("from"), latitude, longitude) {
        (Some(id), None, None) => Ok(Contact::Institution(fhir::typed_id(id, "from")?)),
        (None, Some(latitude), Some(longitude)) => Ok(Contact::Roadside {
            latitude,
            longitude,
        }),
        (Some(_), _, _) => Err(ApiError::invalid(
            "from",
            "give from or latitude and longitude, not both",
        )),
        (None, Some(_), None) => Err(ApiError::invalid(
            "longitude",
            "latitude needs longitude: give both, or from",
        )),
        (None, None, Some(_)) => Err(ApiError::invalid(
            "latitude",
            "longitude needs latitude: give both, or from",
        )),
        (None, None, None) => Err(ApiError::invalid(
            "from",
            "where is the patient? give from (an Organization) or latitude and longitude",
        )),
    }
}

/// `POST /EpisodeOfCare/$alert` (Parameters): opens a case and sends its
/// alert; 201 with the case and its Location.
pub async fn case_alert(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let inputs = operation_inputs(
        &ops::EPISODE_OF_CARE_ALERT,
        &headers,
        body,
        state.config.max_body_bytes,
    )?;
    let onset_minutes = match inputs.number("onset-minutes") {
        None => 0,
        Some(n) => u32::try_from(n).map_err(|_| {
            ApiError::invalid(
                "onset-minutes",
                format!("onset-minutes counts minutes since onset, 0 or more, not {n}"),
            )
        })?,
    };
    let new = NewCase {
        patient: fhir::typed_id(inputs.required_reference("patient")?, "patient")?,
        emergency: code(&inputs, "emergency", Condition::ALL, Condition::code)?,
        contact: code(
            &inputs,
            "contact-point",
            ContactPoint::ALL,
            ContactPoint::code,
        )?,
        from: contact(&inputs)?,
        first_contact: moment(&inputs, "first-contact")?,
        onset_minutes,
        large_vessel: inputs.flag("large-vessel").unwrap_or(false),
        ecg: moment(&inputs, "ecg")?,
        ecg_reading: inputs
            .reference("ecg-reading")
            .map(|r| fhir::typed_id(r, "ecg-reading"))
            .transpose()?,
    };
    let made = Emergency::new(&state.ctx, &actor).open_case(new).await?;
    let mut s = case_stored(&made);
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(&state, &headers),
    ))
}

/// `GET /EpisodeOfCare/{id}`: a case (its parties, administrators).
pub async fn case_read(
    Request(state, actor, headers): Request,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let c = Emergency::new(&state.ctx, &actor).read_case(&id).await?;
    Ok(resource_response(
        &case_stored(&c),
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}

/// `GET /EpisodeOfCare?...`: the cases the caller may see.
pub async fn case_search(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = query_for("EpisodeOfCare", CASE_SEARCH, &pairs)?;
    let (found, total) = Emergency::new(&state.ctx, &actor)
        .search_cases(q.clone())
        .await?;
    let base = base_url(&state, &headers);
    let resources = found
        .iter()
        .map(|c| {
            (
                format!("{base}/EpisodeOfCare/{}", c.value.id),
                fhir::render(&case_stored(c)),
            )
        })
        .collect();
    Ok(FhirJson(searchset(
        &base,
        "EpisodeOfCare",
        &pairs,
        &q,
        total,
        resources,
    ))
    .into_response())
}

/// `POST /EpisodeOfCare/{id}/$…`: a change to a case.
pub async fn case_operation(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let version = if_match(&headers)?;
    let name = operation.strip_prefix('$').unwrap_or("");
    let declared = ops::ALL
        .iter()
        .copied()
        .find(|o| o.instance && o.resource == ["EpisodeOfCare"] && o.code == name)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "{operation} is not an operation of an emergency case; use $acknowledge, $milestone, $arrive, $treat, $transfer or $close"
            ))
        })?;
    // The body is read first: a malformed one is refused as such, whatever
    // the id names.
    let inputs = operation_inputs(declared, &headers, body, state.config.max_body_bytes)?;
    let at = moment(&inputs, "at")?;
    let service = Emergency::new(&state.ctx, &actor);
    let done = match name {
        "acknowledge" => service.acknowledge(&id, version).await?,
        "milestone" => {
            let m = code(&inputs, "milestone", Milestone::ALL, Milestone::code)?;
            service.record_milestone(&id, m, at, version).await?
        }
        "arrive" => {
            let bypassed = inputs.flag("bypassed-ed").unwrap_or(false);
            service.arrive(&id, at, bypassed, version).await?
        }
        "treat" => {
            let t = code(&inputs, "treatment", Treatment::ALL, Treatment::code)?;
            service.treat(&id, t, at, version).await?
        }
        "transfer" => {
            let to = fhir::typed_id(inputs.required_reference("to")?, "to")?;
            service.transfer(&id, to, at, version).await?
        }
        "close" => {
            let outcome = match inputs.required_text("outcome")? {
                "alive" => Outcome::Alive,
                "died" => Outcome::Died,
                other => {
                    return Err(ApiError::invalid(
                        "outcome",
                        format!("unknown outcome {other:?}: use alive or died"),
                    ));
                }
            };
            service.close(&id, outcome, at, version).await?
        }
        _ => {
            return Err(ApiError::NotFound(format!(
                "{operation} is not an operation of an emergency case"
            )));
        }
    };
    Ok(resource_response(
        &case_stored(&done),
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}

/// A case's alert as a Task response, with the case's version as ETag.
fn alert_response(c: &Versioned<EmergencyCase>) -> Response {
    let mut resp = FhirJson(render_alert(&c.value)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("W/\"{}\"", c.version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// `GET /Task/{id}` of an emergency case's alert.
pub(super) async fn alert_read(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<Response, ApiError> {
    let c = Emergency::new(&state.ctx, actor).read_case(id).await?;
    Ok(alert_response(&c))
}

/// `POST /Task/{id}/$acknowledge` of an emergency case's alert: as the
/// case's `$acknowledge`, answering the accepted Task.
pub(super) async fn alert_acknowledge(
    state: &AppState,
    actor: &Actor,
    id: &str,
    version: Option<u32>,
) -> Result<Response, ApiError> {
    let c = Emergency::new(&state.ctx, actor)
        .acknowledge(id, version)
        .await?;
    Ok(alert_response(&c))
}

/// Whether a Task search asks for emergency alerts (`code=emergency-alert`,
/// with or without its system).
pub(super) fn asks_for_alerts(pairs: &[(String, String)]) -> bool {
    pairs.iter().any(|(k, v)| {
        k == "code"
            && v.split(',')
                .any(|c| c.rsplit('|').next() == Some(tiercare_fhir::emergency::case::ALERT_CODE))
    })
}

/// `GET /Task?code=emergency-alert&...`: the alerts the caller may see
/// (`owner`, `requester`'s institution as `from`, `status`, `patient`).
pub(super) async fn alert_search(
    state: &AppState,
    actor: &Actor,
    pairs: &[(String, String)],
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let mut q = query_for("Task", TASK_SEARCH, pairs)?;
    for f in &mut q.filters {
        f.param = fhir::referral::task_param(&f.param).into();
        if f.param == "_id" {
            for v in &mut f.values {
                if let Some(id) = v.strip_prefix("EpisodeOfCare/") {
                    *v = id.to_string();
                }
            }
        }
    }
    let (found, total) = Emergency::new(&state.ctx, actor)
        .search_cases(q.clone())
        .await?;
    let base = base_url(state, headers);
    let resources = found
        .iter()
        .map(|c| {
            (
                format!("{base}/Task/{}", c.value.id),
                render_alert(&c.value),
            )
        })
        .collect();
    Ok(FhirJson(searchset(&base, "Task", pairs, &q, total, resources)).into_response())
}
