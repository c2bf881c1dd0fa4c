//! The Joint Health Centre over FHIR: programmes (`HealthcareService`),
//! sessions (`Schedule`, with `$hold`, `$cancel`, `$miss`), mentorships
//! (`CareTeam` of category mentorship, with `$recognise` and `$end`) and
//! mentoring activities (`Task`). The rules are in [`crate::outreach`].

use super::*;
use tiercare_core::access::Actor;
use tiercare_fhir::outreach::{
    ACTIVITY_SEARCH, PROGRAMME_SEARCH, SESSION_SEARCH, is_activity, is_mentorship, parse_side,
};
use tiercare_fhir::{RegistryType, parse_date};
use tiercare_service::fresh_id;
use tiercare_service::outreach::{Outreach, stored_of};
use tiercare_store::Expect;

fn created(state: &AppState, headers: &HeaderMap, mut s: Stored) -> Response {
    s.created = true;
    resource_response(&s, StatusCode::CREATED, &base_url(state, headers))
}

fn ok(state: &AppState, headers: &HeaderMap, s: &Stored) -> Response {
    resource_response(s, StatusCode::OK, &base_url(state, headers))
}

fn body_value(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    rt: &str,
) -> Result<Value, ApiError> {
    Ok(fhir::check_resource_type(
        json_body(headers, body, state.config.max_body_bytes)?,
        rt,
    )?)
}

/// A count parameter (`patients-seen`), 0 when absent.
fn count_input(p: &Inputs, name: &str) -> Result<u32, ApiError> {
    Ok(p.count(name)?.unwrap_or(0))
}

fn no_such_operation(path: &str, operation: &str, known: &str) -> ApiError {
    ApiError::NotFound(format!(
        "{path}/{operation} is not an operation; use {known}"
    ))
}

// ---------------------------------------------------------------- programmes

/// `POST /HealthcareService`: a programme (administrators, the hospital's
/// coordinators); with a hub-kind category a hub, with an
/// emergency-centre category a designated emergency centre.
pub async fn programme_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = body_value(&state, &headers, body, "HealthcareService")?;
    if super::reading::is_hub_body(&value) {
        return super::reading::hub_create(&state, &actor, &headers, value).await;
    }
    if fhir::emergency::is_centre(&value) {
        return super::centre::centre_create(&state, &actor, &headers, value).await;
    }
    let p = Outreach::new(&state.ctx, &actor)
        .create_programme(fhir::outreach::parse_programme(value, fresh_id()?)?)
        .await?;
    let s = stored_of(Record::Programme(p.value), p.version, p.updated_at);
    Ok(created(&state, &headers, s))
}

/// `GET /HealthcareService/{id}`: anyone signed in.
pub async fn programme_read(
    State(state): State<AppState>,
    _c: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let s = tiercare_service::open::read(&state.ctx, "HealthcareService", &id).await?;
    Ok(ok(&state, &headers, &s))
}

/// `GET /HealthcareService?...`: anyone signed in.
pub async fn programme_search(
    State(state): State<AppState>,
    _c: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = query_for("HealthcareService", PROGRAMME_SEARCH, &pairs)?;
    let (found, total) = tiercare_service::open::search(&state.ctx, &q).await?;
    Ok(stored_searchset(
        &state,
        &headers,
        "HealthcareService",
        &pairs,
        &q,
        &found,
        total,
    ))
}

/// `POST /HealthcareService/{id}/$end` with parameter `date` (the last day).
pub async fn programme_operation(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if operation != "$end" {
        return Err(no_such_operation(
            &format!("HealthcareService/{id}"),
            &operation,
            "$end",
        ));
    }
    let p = operation_inputs(
        &ops::HEALTHCARE_SERVICE_END,
        &headers,
        body,
        state.config.max_body_bytes,
    )?;
    let on = parse_date(p.required_text("date")?, "date")?;
    let done = Outreach::new(&state.ctx, &actor)
        .end_programme(&id, on)
        .await?;
    let s = stored_of(Record::Programme(done.value), done.version, done.updated_at);
    Ok(ok(&state, &headers, &s))
}

// ---------------------------------------------------------------- sessions

/// `POST /Schedule`: an outreach session, its slots opened with it.
pub async fn schedule_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = body_value(&state, &headers, body, "Schedule")?;
    let (programme, new) = fhir::outreach::parse_session(value, fresh_id()?)?;
    let s = Outreach::new(&state.ctx, &actor)
        .schedule(programme, new)
        .await?;
    let s = stored_of(Record::OutreachSession(s.value), s.version, s.updated_at);
    Ok(created(&state, &headers, s))
}

/// `GET /Schedule?...`: outreach sessions, for anyone signed in.
pub async fn schedule_search(
    State(state): State<AppState>,
    _c: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = query_for("Schedule", SESSION_SEARCH, &pairs)?;
    let (found, total) = tiercare_service::open::search(&state.ctx, &q).await?;
    Ok(stored_searchset(
        &state, &headers, "Schedule", &pairs, &q, &found, total,
    ))
}

/// The session `id` as stored, if `id` is one (`GET /Schedule/{id}` then
/// answers it rather than a department calendar).
pub(super) async fn session_stored(state: &AppState, id: &str) -> Result<Option<Stored>, ApiError> {
    Ok(state
        .ctx
        .store
        .get("Schedule", id)
        .await?
        .filter(|s| matches!(s.record, Record::OutreachSession(_))))
}

/// `POST /Schedule/{id}/$hold` (patients-seen, referrals-avoided),
/// `$cancel` (reason, side for administrators) or `$miss`.
pub async fn schedule_operation(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let declared = match operation.as_str() {
        "$hold" => &ops::SCHEDULE_HOLD,
        "$miss" => &ops::SCHEDULE_MISS,
        "$cancel" => &ops::SCHEDULE_CANCEL,
        other => {
            return Err(no_such_operation(
                &format!("Schedule/{id}"),
                other,
                "$hold, $cancel or $miss",
            ));
        }
    };
    let p = operation_inputs(declared, &headers, body, state.config.max_body_bytes)?;
    let service = Outreach::new(&state.ctx, &actor);
    let done = match operation.as_str() {
        "$hold" => {
            let seen = count_input(&p, "patients-seen")?;
            let avoided = count_input(&p, "referrals-avoided")?;
            service.hold(&id, seen, avoided).await?
        }
        "$miss" => service.miss(&id).await?,
        "$cancel" => {
            let reason = p
                .text("reason")
                .filter(|r| !r.trim().is_empty())
                .map(str::to_string)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "reason",
                        "say why the session is cancelled (parameter reason)",
                    )
                })?;
            let side = p.text("side").map(parse_side).transpose()?;
            let c = service.cancel(&id, side, reason).await?;
            let schedule = fhir::render(&stored_of(
                Record::OutreachSession(c.session.value),
                c.session.version,
                c.session.updated_at,
            ));
            let mut parameter = vec![
                json!({"name": "schedule", "resource": schedule}),
                json!({"name": "closed-slots", "valueInteger": c.closed_slots}),
            ];
            for a in &c.to_rebook {
                parameter.push(json!({"name": "appointment-to-rebook",
                    "valueReference": {"reference": format!("Appointment/{a}")}}));
            }
            return Ok(
                FhirJson(json!({"resourceType": "Parameters", "parameter": parameter}))
                    .into_response(),
            );
        }
        other => {
            return Err(no_such_operation(
                &format!("Schedule/{id}"),
                other,
                "$hold, $cancel or $miss",
            ));
        }
    };
    let s = stored_of(
        Record::OutreachSession(done.value),
        done.version,
        done.updated_at,
    );
    Ok(ok(&state, &headers, &s))
}

// ---------------------------------------------------------------- mentorship

/// `POST /CareTeam`: a mentorship when its category says so, else a
/// family-doctor team through the registry.
pub async fn care_team_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    if !is_mentorship(&value) {
        let s = crate::routes::parse_and_write(
            &state,
            &actor,
            RegistryType::CareTeam,
            None,
            value,
            Expect::New,
        )
        .await?;
        return Ok(created(&state, &headers, s));
    }
    let value = fhir::check_resource_type(value, "CareTeam")?;
    let m = Outreach::new(&state.ctx, &actor)
        .create_mentorship(fhir::outreach::parse_mentorship(value, fresh_id()?)?)
        .await?;
    let s = stored_of(Record::Mentorship(m.value), m.version, m.updated_at);
    Ok(created(&state, &headers, s))
}

/// `GET /CareTeam?...`: family-doctor teams and mentorships alike, through
/// the registry's search.
pub async fn care_team_search(request: Request, raw: RawQuery) -> Result<Response, ApiError> {
    crate::routes::search(request, Path("CareTeam".into()), raw).await
}

/// `POST /CareTeam/{id}/$recognise` (doctor, condition, since) or `$end`
/// (date) on a mentorship.
pub async fn care_team_operation(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let declared = match operation.as_str() {
        "$recognise" => &ops::CARE_TEAM_RECOGNISE,
        "$end" => &ops::CARE_TEAM_END,
        other => {
            return Err(no_such_operation(
                &format!("CareTeam/{id}"),
                other,
                "$recognise or $end",
            ));
        }
    };
    let p = operation_inputs(declared, &headers, body, state.config.max_body_bytes)?;
    let service = Outreach::new(&state.ctx, &actor);
    let done = match operation.as_str() {
        "$recognise" => {
            let doctor = fhir::typed_id(p.required_reference("doctor")?, "doctor")?;
            let condition = p.required_text("condition")?;
            let condition: IcdCode = condition.parse().map_err(|e| {
                ApiError::invalid(
                    "condition",
                    format!("{condition:?} is not an ICD-10 code: {e}"),
                )
            })?;
            let since = parse_date(p.required_text("since")?, "since")?;
            service.recognise(&id, doctor, condition, since).await?
        }
        "$end" => {
            let on = parse_date(p.required_text("date")?, "date")?;
            service.end_mentorship(&id, on).await?
        }
        other => {
            return Err(no_such_operation(
                &format!("CareTeam/{id}"),
                other,
                "$recognise or $end",
            ));
        }
    };
    let s = stored_of(
        Record::Mentorship(done.value),
        done.version,
        done.updated_at,
    );
    Ok(ok(&state, &headers, &s))
}

/// `POST /Task`: a mentoring activity (the mentor or a mentee).
pub async fn task_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = body_value(&state, &headers, body, "Task")?;
    if !is_activity(&value) {
        return Err(ApiError::invalid(
            "Task.code",
            "only mentoring activities are created with POST Task (code from https://tiercare.org/fhir/CodeSystem/mentorship-activity); a referral's Task changes through the ServiceRequest's operations",
        ));
    }
    let a = Outreach::new(&state.ctx, &actor)
        .log_activity(fhir::outreach::parse_activity(value, fresh_id()?)?)
        .await?;
    let s = stored_of(Record::MentorshipActivity(a.value), a.version, a.updated_at);
    Ok(created(&state, &headers, s))
}

/// `GET /Task/{id}` of a mentoring activity, if `id` is one.
pub(super) async fn activity_read(
    state: &AppState,
    actor: &Actor,
    id: &str,
    headers: &HeaderMap,
) -> Result<Option<Response>, ApiError> {
    match state.ctx.store.get("Task", id).await? {
        Some(s) if matches!(s.record, Record::MentorshipActivity(_)) => {
            let s = Outreach::new(&state.ctx, actor).read_activity(id).await?;
            Ok(Some(ok(state, headers, &s)))
        }
        _ => Ok(None),
    }
}

/// `GET /Task?focus=CareTeam/{id}`: a mentorship's activities.
pub(super) async fn activity_search(
    state: &AppState,
    actor: &Actor,
    pairs: &[(String, String)],
    headers: &HeaderMap,
    mentorship: &str,
) -> Result<Response, ApiError> {
    let q = query_for("Task", ACTIVITY_SEARCH, pairs)?;
    let (found, total) = Outreach::new(&state.ctx, actor)
        .search_activities(mentorship, q.clone())
        .await?;
    Ok(stored_searchset(
        state, headers, "Task", pairs, &q, &found, total,
    ))
}
