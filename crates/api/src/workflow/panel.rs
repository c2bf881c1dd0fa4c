//! Co-managed chronic panels over the `CarePlan` and `Observation` routes
//! (the service and its access rules are `tiercare_service::panels`):
//!
//! - `POST /CarePlan` with category `chronic-panel` enrols a patient;
//! - `POST /CarePlan/{id}/$end` (Parameters `date`, optional, the last
//!   day enrolled; default today) ends an enrolment;
//! - `GET /CarePlan/{id}/$status?date=YYYY-MM-DD` answers a `Parameters`:
//!   `as-of`, `overall`, one `condition` per condition (parts `condition`
//!   and `status`: controlled, uncontrolled, unknown), `next-due` and
//!   `follow-up` (not-due, due, overdue);
//! - `GET /CarePlan/$due?practitioner=Practitioner/x` (or
//!   `organization=Organization/y`) `&date=YYYY-MM-DD` answers a searchset
//!   `Bundle` of the panel `CarePlan`s due or overdue on that day, most
//!   overdue first, each with the `panel-follow-up` extension (due date,
//!   state, days overdue);
//! - `POST /Observation` whose `basedOn` is a `CarePlan` records a
//!   measurement.

use super::*;
use tiercare_core::access::Actor;
use tiercare_fhir::panel::{self as fpanel, control_extension, due_extension};
use tiercare_service::panels::Panels;

/// `POST /CarePlan` of a panel (category `chronic-panel`).
pub(super) async fn enrol(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    value: &Value,
) -> Result<Response, ApiError> {
    let input = match fpanel::parse_enrolment(value) {
        Ok(i) => i,
        Err(e) => return Err(refused_input(state, actor, "CarePlan", value, e).await),
    };
    let made = Panels::new(&state.ctx, actor).enrol(input).await?;
    let mut s = stored(
        Record::PanelEnrolment(made.value),
        made.version,
        made.updated_at,
    );
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(state, headers),
    ))
}

/// `POST /Observation` of a panel measurement (`basedOn` a `CarePlan`).
pub(super) async fn measure(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    value: &Value,
) -> Result<Response, ApiError> {
    let input = match fpanel::parse_measurement(value) {
        Ok(i) => i,
        Err(e) => return Err(refused_input(state, actor, "Observation", value, e).await),
    };
    let made = Panels::new(&state.ctx, actor).measure(input).await?;
    let mut s = stored(
        Record::Measurement(made.value),
        made.version,
        made.updated_at,
    );
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(state, headers),
    ))
}

/// Audits a panel body refused as bad input against the patient it names
/// (when it names one), and hands back the error.
async fn refused_input(
    state: &AppState,
    actor: &Actor,
    rt: &str,
    value: &Value,
    err: ServiceError,
) -> ApiError {
    let patient = value
        .pointer("/subject/reference")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("Patient/"))
        .filter(|p| tiercare_core::check_id(p).is_ok());
    Panels::new(&state.ctx, actor)
        .refuse_input(rt, patient, err)
        .await
        .into()
}

/// `POST /CarePlan/{id}/$end`.
pub(super) async fn end(
    state: &AppState,
    actor: &Actor,
    id: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let version = if_match(headers)?;
    let inputs = operation_inputs(
        &ops::CARE_PLAN_END,
        headers,
        body,
        state.config.max_body_bytes,
    )?;
    let on = inputs
        .text("date")
        .map(|d| fhir::parse_date(d, "date"))
        .transpose()?;
    let done = Panels::new(&state.ctx, actor).end(id, on, version).await?;
    let s = stored(
        Record::PanelEnrolment(done.value),
        done.version,
        done.updated_at,
    );
    Ok(resource_response(
        &s,
        StatusCode::OK,
        &base_url(state, headers),
    ))
}

/// The `date` query parameter (today when absent).
fn date_param(state: &AppState, pairs: &[(String, String)]) -> Result<time::Date, ApiError> {
    match pairs.iter().find(|(k, _)| k == "date") {
        Some((_, d)) => Ok(fhir::parse_date(d, "date")?),
        None => Ok(state.ctx.clock.today()),
    }
}

/// `GET /CarePlan/{id}/$status?date=`.
pub async fn panel_operation_get(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((id, operation)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if operation != "$status" {
        return Err(ApiError::NotFound(format!(
            "GET CarePlan/{id}/{operation} is not an operation; panels answer GET $status"
        )));
    }
    let pairs = query_pairs(raw.as_deref())?;
    Inputs::from_query(&ops::CARE_PLAN_STATUS, &pairs)?;
    let as_of = date_param(&state, &pairs)?;
    let (_, st) = Panels::new(&state.ctx, &actor).status(&id, as_of).await?;
    let mut params = vec![
        json!({"name": "as-of", "valueDate": fhir::format_date(as_of)}),
        json!({"name": "overall", "valueCode": st.status.overall.code()}),
    ];
    for (c, s) in &st.status.conditions {
        params.push(json!({"name": "condition", "part": [
            {"name": "condition", "valueCode": c.code()},
            {"name": "status", "valueCode": s.code()},
        ]}));
    }
    params.push(json!({"name": "next-due", "valueDate": fhir::format_date(st.next_due)}));
    params.push(json!({"name": "follow-up", "valueCode": st.follow_up.code()}));
    Ok(FhirJson(json!({"resourceType": "Parameters", "parameter": params})).into_response())
}

/// `GET /CarePlan/$due?practitioner=|organization=&date=`.
pub async fn panel_due(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    Inputs::from_query(&ops::CARE_PLAN_DUE, &pairs)?;
    let mut practitioner = None;
    let mut organization = None;
    for (k, v) in &pairs {
        match k.as_str() {
            "practitioner" => {
                let id = v.strip_prefix("Practitioner/").unwrap_or(v);
                tiercare_core::check_id(id)
                    .map_err(|e| ApiError::invalid("practitioner", e.to_string()))?;
                practitioner = Some(id.to_string());
            }
            "organization" => {
                let id = v.strip_prefix("Organization/").unwrap_or(v);
                tiercare_core::check_id(id)
                    .map_err(|e| ApiError::invalid("organization", e.to_string()))?;
                organization = Some(id.to_string());
            }
            "date" => {}
            other => {
                return Err(ApiError::invalid(
                    other,
                    format!("$due takes practitioner, organization and date, not {other}"),
                ));
            }
        }
    }
    let today = date_param(&state, &pairs)?;
    let list = Panels::new(&state.ctx, &actor)
        .due(practitioner.as_deref(), organization.as_deref(), today)
        .await?;
    let base = base_url(&state, &headers);
    let entries: Vec<Value> = list
        .iter()
        .map(|(e, d)| {
            let mut r = fhir::render(&stored(Record::PanelEnrolment(e.clone()), 0, String::new()));
            if let Value::Object(m) = &mut r {
                m.remove("meta");
            }
            fpanel::add_control(&mut r, due_extension(d));
            json!({"fullUrl": format!("{base}/CarePlan/{}", e.id), "resource": r,
                   "search": {"mode": "match"}})
        })
        .collect();
    let mut bundle = json!({"resourceType": "Bundle", "type": "searchset", "total": entries.len()});
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    Ok(FhirJson(bundle).into_response())
}

/// A panel `CarePlan` as read: with its control status and next
/// follow-up as of today (`panel-control`).
pub(super) async fn with_control(
    state: &AppState,
    actor: &Actor,
    s: &Stored,
    body: &mut Value,
) -> Result<(), ApiError> {
    if let Record::PanelEnrolment(e) = &s.record {
        let today = state.ctx.clock.today();
        let st = Panels::new(&state.ctx, actor).state_of(e, today).await?;
        fpanel::add_control(
            body,
            control_extension(&st.status, today, st.next_due, st.follow_up),
        );
    }
    Ok(())
}
