//! Downward referral care plans (`CarePlan`) and their follow-ups (`Task`
//! with code `follow-up`).

use super::*;
use tiercare_core::access::Actor;
use tiercare_core::care_plan::{FollowUp, NewCarePlan, PlannedFollowUp, Target};
use tiercare_core::clinical::MedicineUse;
use tiercare_core::medicines::MedicineCode;
use tiercare_fhir::clinical::ATC;
use tiercare_fhir::panel::PLAN_SEARCH;

/// `POST /CarePlan`: the hospital doctor's plan for a downward referral
/// (`basedOn`). Follow-ups are activities of kind `Task` due by
/// `scheduledPeriod.end`; medicines are activities of kind
/// `MedicationRequest` with an ATC `productCodeableConcept`; targets are
/// notes written `measure: goal`.
pub async fn care_plan_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fhir::check_resource_type(
        json_body(&headers, body, state.config.max_body_bytes)?,
        "CarePlan",
    )?;
    if fhir::panel::is_enrolment(&value) {
        return super::panel::enrol(&state, &actor, &headers, &value).await;
    }
    let (referral, new) = parse_care_plan(&value)?;
    let made = Referrals::new(&state.ctx, &actor)
        .draw_up(&referral, new)
        .await?;
    let mut s = stored(Record::CarePlan(made.value), made.version, made.updated_at);
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(&state, &headers),
    ))
}

fn parse_care_plan(value: &Value) -> Result<(String, NewCarePlan), ApiError> {
    const KNOWN: [&str; 10] = [
        "resourceType",
        "status",
        "intent",
        "category",
        "subject",
        "basedOn",
        "description",
        "activity",
        "note",
        "author",
    ];
    fhir::only_elements(value, "CarePlan", &KNOWN)?;
    let referral = fhir::required_reference(
        value,
        "/basedOn/0",
        "CarePlan.basedOn",
        &["ServiceRequest"],
        "the downward referral (a ServiceRequest)",
    )?;
    let mut medicines = Vec::new();
    let mut follow_ups = Vec::new();
    for (i, a) in value
        .get("activity")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field = format!("CarePlan.activity[{i}]");
        let detail = a
            .get("detail")
            .ok_or_else(|| ApiError::invalid(&field, "each activity needs a detail"))?;
        match detail.get("kind").and_then(Value::as_str) {
            Some("MedicationRequest") => {
                let coding = detail
                    .pointer("/productCodeableConcept/coding")
                    .and_then(Value::as_array)
                    .and_then(|c| {
                        c.iter()
                            .find(|c| c.get("system").and_then(Value::as_str) == Some(ATC))
                    })
                    .ok_or_else(|| {
                        ApiError::invalid(
                            format!("{field}.detail.productCodeableConcept"),
                            format!("a coding from {ATC} is required"),
                        )
                    })?;
                let code = coding
                    .get("code")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let medicine = MedicineCode::new(code).map_err(|e| {
                    ApiError::invalid(
                        format!("{field}.detail.productCodeableConcept"),
                        e.to_string(),
                    )
                })?;
                let name = detail
                    .pointer("/productCodeableConcept/text")
                    .or_else(|| coding.get("display"))
                    .and_then(Value::as_str)
                    .filter(|n| !n.trim().is_empty())
                    .map_or_else(
                        || tiercare_core::medicines::name_for_code(&medicine),
                        str::to_string,
                    );
                medicines.push(MedicineUse {
                    medicine,
                    name,
                    dosage: text_at(detail, "/description"),
                });
            }
            Some("Task") => {
                let due = detail
                    .pointer("/scheduledPeriod/end")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            format!("{field}.detail.scheduledPeriod.end"),
                            "a follow-up needs the date it is due",
                        )
                    })?;
                let due = fhir::parse_day(due, &format!("{field}.detail.scheduledPeriod.end"))?;
                follow_ups.push(PlannedFollowUp {
                    due,
                    description: text_at(detail, "/description"),
                });
            }
            other => {
                return Err(ApiError::invalid(
                    format!("{field}.detail.kind"),
                    format!(
                        "use Task (a follow-up) or MedicationRequest (a medicine), not {}",
                        other.unwrap_or("nothing")
                    ),
                ));
            }
        }
    }
    let mut targets = Vec::new();
    for (i, n) in value
        .get("note")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let text = n.get("text").and_then(Value::as_str).unwrap_or_default();
        let text = text.strip_prefix("Target: ").unwrap_or(text);
        let (measure, goal) = text.split_once(": ").ok_or_else(|| {
            ApiError::invalid(
                format!("CarePlan.note[{i}]"),
                "write a target as `measure: goal`, e.g. `blood pressure: below 140/90 mmHg`",
            )
        })?;
        targets.push(Target {
            measure: measure.trim().to_string(),
            goal: goal.trim().to_string(),
        });
    }
    Ok((
        referral,
        NewCarePlan {
            description: text_at(value, "/description"),
            targets,
            medicines,
            follow_ups,
        },
    ))
}

fn text_at(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// `GET /CarePlan/{id}`: a downward referral's plan, or a panel enrolment
/// with its control status and next follow-up as of today.
pub async fn care_plan_read(
    Request(state, actor, headers): Request,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = Referrals::new(&state.ctx, &actor)
        .read_record("CarePlan", &id)
        .await?;
    let resp = resource_response(&s, StatusCode::OK, &base_url(&state, &headers));
    if !matches!(s.record, Record::PanelEnrolment(_)) {
        return Ok(resp);
    }
    // The same headers, with the control status added to the body.
    let mut body = fhir::render(&s);
    super::panel::with_control(&state, &actor, &s, &mut body).await?;
    let (parts, _) = resp.into_parts();
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Ok(Response::from_parts(parts, axum::body::Body::from(bytes)))
}

/// `GET /CarePlan?patient=...`.
pub async fn care_plan_search(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    super::results::records_search(&state, &actor, "CarePlan", PLAN_SEARCH, raw, &headers).await
}

/// `POST /CarePlan/{id}/$decide`: the patient's decision (`decision`
/// accepted or refused, with an optional `reason`), by the patient or by
/// staff of either institution.
pub async fn care_plan_operation(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if operation == "$end" {
        return super::panel::end(&state, &actor, &id, &headers, body).await;
    }
    if operation != "$decide" {
        return Err(ApiError::NotFound(format!(
            "CarePlan/{id}/{operation} is not an operation; use $decide (a referral's plan) or $end (a panel)"
        )));
    }
    let version = if_match(&headers)?;
    let inputs = operation_inputs(
        &ops::CARE_PLAN_DECIDE,
        &headers,
        body,
        state.config.max_body_bytes,
    )?;
    let accepted = match inputs.required_text("decision")? {
        "accepted" => true,
        "refused" => false,
        other => {
            return Err(ApiError::invalid(
                "decision",
                format!("use accepted or refused, not {other:?}"),
            ));
        }
    };
    let reason = inputs.text("reason").unwrap_or_default().to_string();
    let done = Referrals::new(&state.ctx, &actor)
        .decide(&id, accepted, reason, version)
        .await?;
    let s = stored(Record::CarePlan(done.value), done.version, done.updated_at);
    Ok(resource_response(
        &s,
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}

/// `GET /Task?code=follow-up&owner=...`: the follow-ups an institution
/// owes. Staff see their own institution's; residents their own.
pub(super) async fn follow_up_search(
    state: &AppState,
    actor: &Actor,
    pairs: &[(String, String)],
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let mut q = query_for("Task", FOLLOW_UP_SEARCH, pairs)?;
    q.filters.retain(|f| f.param != "code");
    for f in &mut q.filters {
        if f.param == "status" {
            f.param = "task-status".into();
        }
    }
    let (found, total) = Referrals::new(&state.ctx, actor)
        .search_scoped(q.clone(), "owner", "this account may not see follow-ups")
        .await?;
    Ok(stored_searchset(
        state, headers, "Task", pairs, &q, &found, total,
    ))
}

/// Search parameters of follow-up `Task`s.
pub const FOLLOW_UP_SEARCH: &[fhir::SearchParam] = &[
    fhir::SearchParam {
        name: "code",
        kind: fhir::ParamKind::Token,
        doc: "follow-up (required to search follow-ups rather than referral tasks)",
    },
    fhir::SearchParam {
        name: "owner",
        kind: fhir::ParamKind::Reference("Organization"),
        doc: "The primary institution that owes the follow-up",
    },
    fhir::SearchParam {
        name: "patient",
        kind: fhir::ParamKind::Reference("Patient"),
        doc: "The patient",
    },
    fhir::SearchParam {
        name: "focus",
        kind: fhir::ParamKind::Reference("CarePlan"),
        doc: "The care plan",
    },
    fhir::SearchParam {
        name: "status",
        kind: fhir::ParamKind::Token,
        doc: "requested (due), completed, cancelled",
    },
];

/// `POST /Task/{id}/$complete` on a follow-up: a doctor of the owning
/// institution records it done, with an optional `note`.
pub async fn task_operation(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let not_an_operation = || {
        ApiError::NotFound(format!(
            "Task/{id}/{operation} is not an operation: follow-ups take $complete, emergency alerts $acknowledge; a referral's Task changes through its ServiceRequest's operations"
        ))
    };
    let version = if_match(&headers)?;
    if operation == "$acknowledge" {
        operation_inputs(
            &ops::TASK_ACKNOWLEDGE,
            &headers,
            body,
            state.config.max_body_bytes,
        )?;
        if !fhir::emergency::case::is_case_id(&id) {
            return Err(not_an_operation());
        }
        return super::emergency_case::alert_acknowledge(&state, &actor, &id, version).await;
    }
    if operation != "$complete" {
        return Err(not_an_operation());
    }
    let inputs = operation_inputs(
        &ops::TASK_COMPLETE,
        &headers,
        body,
        state.config.max_body_bytes,
    )?;
    if !FollowUp::is_follow_up_id(&id) {
        return Err(not_an_operation());
    }
    let note = inputs.text("note").unwrap_or_default().to_string();
    let done = Referrals::new(&state.ctx, &actor)
        .complete_follow_up(&id, note, version)
        .await?;
    let s = stored(Record::FollowUp(done.value), done.version, done.updated_at);
    Ok(resource_response(
        &s,
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}
