//! `Observation` and `DiagnosticReport` (results that travel with a
//! referral).

use super::*;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::clinical::{DiagnosticReport, Observation};
use tiercare_fhir::clinical::{parse_instant, parse_test, parse_value};
use tiercare_service::new_id;

/// `POST /Observation`: a doctor records a result for a patient in their
/// care; their institution is the performer.
pub async fn observation_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fhir::check_resource_type(
        json_body(&headers, body, state.config.max_body_bytes)?,
        "Observation",
    )?;
    if fhir::panel::is_measurement(&value) {
        return super::panel::measure(&state, &actor, &headers, &value).await;
    }
    let common = parse_result(&value, "Observation", &actor)?;
    let o = Observation {
        id: fhir::typed_id(&new_id(), "Observation.id")?,
        patient: common.patient,
        test: common.test,
        name: common.name,
        value: parse_value(&value)?,
        effective: common.effective,
        performer: common.performer,
        recorded_by: common.recorded_by,
    };
    created(&state, &actor, &headers, Record::Observation(o)).await
}

/// `POST /DiagnosticReport`: an examination report, optionally grouping
/// the caller's earlier `Observation`s of the same patient.
pub async fn report_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fhir::check_resource_type(
        json_body(&headers, body, state.config.max_body_bytes)?,
        "DiagnosticReport",
    )?;
    let common = parse_result(&value, "DiagnosticReport", &actor)?;
    let mut results = Vec::new();
    for r in value
        .get("result")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let r: fhir::datatypes::Reference = serde_json::from_value(r.clone())
            .map_err(|e| ApiError::invalid("DiagnosticReport.result", e.to_string()))?;
        let (_, id) = reference_id(&r, &["Observation"], "DiagnosticReport.result")?;
        match state.ctx.store.get("Observation", &id).await? {
            Some(Stored {
                record: Record::Observation(o),
                ..
            }) if o.patient == common.patient => {}
            _ => {
                return Err(ApiError::rule(
                    "DiagnosticReport.result",
                    format!("Observation/{id} is not a result of this patient"),
                ));
            }
        }
        results.push(fhir::typed_id(&id, "DiagnosticReport.result")?);
    }
    let d = DiagnosticReport {
        id: fhir::typed_id(&new_id(), "DiagnosticReport.id")?,
        patient: common.patient,
        test: common.test,
        name: common.name,
        conclusion: value
            .get("conclusion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        effective: common.effective,
        performer: common.performer,
        results,
        recorded_by: common.recorded_by,
        // A hub's report is written by the reading's `$report`.
        based_on: None,
        findings: Vec::new(),
    };
    created(&state, &actor, &headers, Record::DiagnosticReport(d)).await
}

async fn created(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    record: Record,
) -> Result<Response, ApiError> {
    let made = Referrals::new(&state.ctx, actor)
        .record_result(record)
        .await?;
    let mut s = stored(made.value, made.version, made.updated_at);
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(state, headers),
    ))
}

/// What an `Observation` and a `DiagnosticReport` share.
struct ResultFields {
    patient: tiercare_core::ResidentId,
    test: tiercare_core::clinical::TestCode,
    name: String,
    effective: OffsetDateTime,
    performer: tiercare_core::InstitutionId,
    recorded_by: tiercare_core::PractitionerId,
}

fn parse_result(value: &Value, rt: &str, actor: &Actor) -> Result<ResultFields, ApiError> {
    let known: &[&str] = if rt == "Observation" {
        &[
            "resourceType",
            "status",
            "category",
            "code",
            "subject",
            "effectiveDateTime",
            "performer",
            "valueQuantity",
            "valueString",
        ]
    } else {
        &[
            "resourceType",
            "status",
            "category",
            "code",
            "subject",
            "effectiveDateTime",
            "performer",
            "conclusion",
            "result",
        ]
    };
    fhir::only_elements(value, rt, known)?;
    match value.get("status").and_then(Value::as_str) {
        None | Some("final") => {}
        Some(s) => {
            return Err(ApiError::invalid(
                format!("{rt}.status"),
                format!("results are recorded final, not {s}"),
            ));
        }
    }
    let patient = fhir::required_reference(
        value,
        "/subject",
        &format!("{rt}.subject"),
        &["Patient"],
        "the patient",
    )?;
    let effective = value
        .get("effectiveDateTime")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::invalid(
                format!("{rt}.effectiveDateTime"),
                "when the test was made is required (recognition counts from it)",
            )
        })?;
    let (test, name) = parse_test(value, rt)?;
    let effective = parse_instant(effective, &format!("{rt}.effectiveDateTime"))?;
    let (UserRole::Doctor, Some(recorded_by), Some(performer)) = (
        actor.role,
        actor.practitioner.clone(),
        actor.institution.clone(),
    ) else {
        return Err(ApiError::Forbidden(format!(
            "a {rt} is recorded by a doctor, for their institution"
        )));
    };
    check_performer(value, rt, &performer, &recorded_by)?;
    Ok(ResultFields {
        patient: fhir::typed_id(&patient, &format!("{rt}.subject"))?,
        test,
        name,
        effective,
        performer,
        recorded_by,
    })
}

/// The performer a client sends back must be the caller's institution
/// and the caller: the server sets them.
fn check_performer(
    value: &Value,
    rt: &str,
    performer: &tiercare_core::InstitutionId,
    recorded_by: &tiercare_core::PractitionerId,
) -> Result<(), ApiError> {
    for p in value
        .get("performer")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let r = p.pointer("/reference").and_then(Value::as_str);
        let mine = [
            format!("Organization/{performer}"),
            format!("Practitioner/{recorded_by}"),
        ];
        if !r.is_some_and(|r| mine.iter().any(|m| m == r)) {
            return Err(ApiError::invalid(
                format!("{rt}.performer"),
                "the performer is your institution and yourself",
            ));
        }
    }
    Ok(())
}

/// `GET /{rt}/{id}` of a patient-data record of the loop (a result, a
/// coverage, a claim): one route for every such type.
pub fn record_read_route(rt: &'static str) -> MethodRouter<AppState> {
    get(
        move |Request(state, actor, headers): Request, Path(id): Path<String>| async move {
            record_read(&state, &actor, rt, &id, &headers).await
        },
    )
}

/// `GET /{rt}?patient=...`: one patient's records of a type, searched by
/// `params` (administrators: anyone's).
pub fn records_search_route(
    rt: &'static str,
    params: &'static [fhir::SearchParam],
) -> MethodRouter<AppState> {
    get(
        move |Request(state, actor, headers): Request, RawQuery(raw): RawQuery| async move {
            records_search(&state, &actor, rt, params, raw, &headers).await
        },
    )
}

/// Reads a patient-data record of the loop, audited.
pub(super) async fn record_read(
    state: &AppState,
    actor: &Actor,
    rt: &str,
    id: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let s = Referrals::new(&state.ctx, actor)
        .read_record(rt, id)
        .await?;
    Ok(resource_response(
        &s,
        StatusCode::OK,
        &base_url(state, headers),
    ))
}

/// `GET /Observation?patient=...`.
pub async fn observation_search(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = tiercare_fhir::panel::OBSERVATION_SEARCH;
    records_search(&state, &actor, "Observation", params, raw, &headers).await
}

/// Searches one patient's records of a type (administrators: anyone's).
pub(super) async fn records_search(
    state: &AppState,
    actor: &Actor,
    rt: &str,
    params: &[fhir::SearchParam],
    raw: Option<String>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = query_for(rt, params, &pairs)?;
    let patient = patient_param(&pairs);
    let (found, total) = Referrals::new(&state.ctx, actor)
        .search_records(q.clone(), patient.as_deref())
        .await?;
    Ok(stored_searchset(
        state, headers, rt, &pairs, &q, &found, total,
    ))
}

/// `PUT /Coverage/cov-{resident}`: enrols a resident in a scheme
/// (administrators). `class[0].value` is the scheme's code, `period.start`
/// the date it starts (today if absent); `payor` is derived from the scheme.
pub async fn coverage_update(
    Request(state, actor, headers): Request,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let version = if_match(&headers)?;
    let value = fhir::check_resource_type(
        json_body(&headers, body, state.config.max_body_bytes)?,
        "Coverage",
    )?;
    const KNOWN: [&str; 8] = [
        "resourceType",
        "id",
        "meta",
        "status",
        "beneficiary",
        "payor",
        "class",
        "period",
    ];
    fhir::only_elements(&value, "Coverage", &KNOWN)?;
    if value
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|i| i != id)
    {
        return Err(ApiError::invalid(
            "Coverage.id",
            "the body's id must be the one in the URL",
        ));
    }
    match value.get("status").and_then(Value::as_str) {
        None | Some("active") => {}
        Some(s) => {
            return Err(ApiError::invalid(
                "Coverage.status",
                format!("a coverage is stored active, not {s}; enrol in another scheme instead"),
            ));
        }
    }
    let resident = fhir::required_reference(
        &value,
        "/beneficiary",
        "Coverage.beneficiary",
        &["Patient"],
        "the resident covered",
    )?;
    let scheme = value
        .pointer("/class/0/value")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::invalid(
                "Coverage.class",
                "the scheme's code is required in class[0].value",
            )
        })?;
    let since = match value.pointer("/period/start").and_then(Value::as_str) {
        Some(d) => fhir::parse_day(d, "Coverage.period.start")?,
        None => state.ctx.clock.today(),
    };
    let coverage = tiercare_core::insurance::Coverage {
        id: fhir::typed_id(&id, "Coverage.id")?,
        resident: fhir::typed_id(&resident, "Coverage.beneficiary")?,
        scheme: tiercare_core::insurance::SchemeId::new(scheme)
            .map_err(|e| ApiError::invalid("Coverage.class", e.to_string()))?,
        since,
    };
    let done = Referrals::new(&state.ctx, &actor)
        .enrol(coverage, version)
        .await?;
    let s = stored(Record::Coverage(done.value), done.version, done.updated_at);
    Ok(resource_response(
        &s,
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}
