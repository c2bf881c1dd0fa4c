//! Joint programmes as FHIR: a programme is a `HealthcareService`, a
//! session the `Schedule` its slots belong to, a mentorship a `CareTeam`
//! (category `mentorship`), a mentoring activity a `Task`.
//!
//! FHIR R4 has no element for most of what a programme commits to, so the
//! commitment travels in tiercare extensions (see docs/fhir.md, "Joint
//! Health Centre"). `Schedule.actor` may not name an `Organization` in R4:
//! a session's actors are its programme (`HealthcareService`, whose
//! `outreach-primary` extension names the primary institution) and its
//! specialist. Parsers refuse any element they do not keep.

use super::datatypes::{CodeableConcept, Period, Reference, extension_url, system};
use super::referral::{ICD10, instant};
use super::{
    ParamKind, SearchParam, format_date, from_json, parse_date, reference_id, reference_term,
    token_terms, typed_id,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tiercare_core::outreach::{
    ActivityKind, Competence, Mentorship, MentorshipActivity, NewSession, OutreachService,
    OutreachSession, Programme, ProgrammeKind, ProgrammeStatus, SessionStatus, Side,
};
use tiercare_core::{PractitionerId, ProgrammeId, Specialty};
use tiercare_service::ServiceError;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The `CareTeam.category` code that makes a team a mentorship.
pub const MENTORSHIP_CATEGORY: &str = "mentorship";

/// An extension as tiercare reads it: only the value types it uses, any
/// other element refused.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Ext {
    url: String,
    value_reference: Option<Reference>,
    value_positive_int: Option<u32>,
    value_unsigned_int: Option<u32>,
    value_integer: Option<i64>,
    value_period: Option<Period>,
}

/// The extensions named `name`, refusing any URL outside `known`.
fn check_exts(list: &[Ext], known: &[&str], field: &str) -> Result<(), ServiceError> {
    for e in list {
        if !known.iter().any(|n| e.url == extension_url(n)) {
            return Err(ServiceError::invalid(
                field,
                format!("extension {} is not supported here", e.url),
            ));
        }
    }
    Ok(())
}

fn exts<'a>(list: &'a [Ext], name: &str) -> impl Iterator<Item = &'a Ext> {
    let url = extension_url(name);
    list.iter().filter(move |e| e.url == url)
}

fn one_ext<'a>(list: &'a [Ext], name: &str, field: &str) -> Result<Option<&'a Ext>, ServiceError> {
    let mut found = exts(list, name);
    let first = found.next();
    if found.next().is_some() {
        return Err(ServiceError::invalid(
            field,
            format!("extension {name} is given more than once"),
        ));
    }
    Ok(first)
}

fn ext_reference(e: &Ext, types: &[&str], field: &str) -> Result<String, ServiceError> {
    let r = e
        .value_reference
        .as_ref()
        .ok_or_else(|| ServiceError::invalid(field, "a valueReference is required"))?;
    Ok(reference_id(r, types, field)?.1)
}

fn ext_count(e: &Ext, field: &str) -> Result<u32, ServiceError> {
    if let Some(n) = e.value_positive_int.or(e.value_unsigned_int) {
        return Ok(n);
    }
    match e.value_integer {
        Some(n) => u32::try_from(n)
            .map_err(|_| ServiceError::invalid(field, format!("{n} is not a count"))),
        None => Err(ServiceError::invalid(
            field,
            "a valuePositiveInt is required",
        )),
    }
}

fn ours(system_name: &str, code: &str, display: &str) -> Value {
    json!({"coding": [{"system": system(system_name), "code": code, "display": display}]})
}

fn reference(rt: &str, id: &str) -> Value {
    json!({"reference": format!("{rt}/{id}")})
}

fn ext(name: &str, value_key: &str, value: Value) -> Value {
    let mut e = json!({"url": extension_url(name)});
    e[value_key] = value;
    e
}

// ---------------------------------------------------------------- programme

/// Search parameters of `HealthcareService`.
pub const PROGRAMME_SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "_id",
        kind: ParamKind::Token,
        doc: "Logical id",
    },
    SearchParam {
        name: "organization",
        kind: ParamKind::Reference("Organization"),
        doc: "The partner hospital (providedBy)",
    },
    SearchParam {
        name: "primary",
        kind: ParamKind::Reference("Organization"),
        doc: "The primary institution the sessions are held at",
    },
    SearchParam {
        name: "alliance",
        kind: ParamKind::Reference("Organization"),
        doc: "The alliance of the programme",
    },
    SearchParam {
        name: "specialist",
        kind: ParamKind::Reference("Practitioner"),
        doc: "One of the programme's specialists",
    },
    SearchParam {
        name: "service-category",
        kind: ParamKind::Token,
        doc: "outreach or resident-team",
    },
    SearchParam {
        name: "specialty",
        kind: ParamKind::Token,
        doc: "The hospital department",
    },
    SearchParam {
        name: "active",
        kind: ParamKind::Token,
        doc: "true while the commitment runs",
    },
];

/// A programme as a `HealthcareService`.
pub fn render_programme(p: &Programme) -> Value {
    let mut period = json!({"start": format_date(p.start)});
    if let Some(end) = p.end {
        period["end"] = json!(format_date(end));
    }
    let mut extension = vec![
        ext(
            "outreach-primary",
            "valueReference",
            reference("Organization", p.primary.as_str()),
        ),
        ext(
            "outreach-alliance",
            "valueReference",
            reference("Organization", p.alliance.as_str()),
        ),
        ext("outreach-period", "valuePeriod", period),
        ext(
            "sessions-per-month",
            "valuePositiveInt",
            json!(p.sessions_per_month),
        ),
        ext(
            "slots-per-session",
            "valuePositiveInt",
            json!(p.slots_per_session),
        ),
    ];
    for s in &p.specialists {
        extension.push(ext(
            "outreach-specialist",
            "valueReference",
            reference("Practitioner", s.as_str()),
        ));
    }
    json!({
        "resourceType": "HealthcareService",
        "extension": extension,
        "active": p.status == ProgrammeStatus::Active,
        "providedBy": reference("Organization", p.hospital.as_str()),
        "category": [ours("outreach-kind", p.kind.code(), p.kind.display())],
        "type": p.services.iter().map(|s| ours("outreach-service", s.code(), s.display())).collect::<Vec<_>>(),
        "specialty": [ours("specialty", p.department.code(), p.department.display())],
    })
}

/// The search terms of a programme.
pub fn index_programme(p: &Programme) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("organization", "Organization", p.hospital.as_str()),
        reference_term("primary", "Organization", p.primary.as_str()),
        reference_term("alliance", "Organization", p.alliance.as_str()),
        (
            "active".into(),
            (p.status == ProgrammeStatus::Active).to_string(),
        ),
    ];
    for s in &p.specialists {
        t.push(reference_term("specialist", "Practitioner", s.as_str()));
    }
    t.extend(token_terms(
        "service-category",
        "outreach-kind",
        p.kind.code(),
    ));
    t.extend(token_terms("specialty", "specialty", p.department.code()));
    t
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ServiceJson {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    extension: Vec<Ext>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    provided_by: Option<Reference>,
    #[serde(default)]
    category: Vec<CodeableConcept>,
    #[serde(default, rename = "type")]
    type_: Vec<CodeableConcept>,
    #[serde(default)]
    specialty: Vec<CodeableConcept>,
}

fn single_code<'a>(
    list: &'a [CodeableConcept],
    system_name: &str,
    field: &str,
) -> Result<Option<&'a str>, ServiceError> {
    match list {
        [] => Ok(None),
        [c] => Ok(c.code_in(system_name)),
        _ => Err(ServiceError::invalid(field, "give one coding")),
    }
}

/// A new programme from a `HealthcareService`: active, with id `id`.
pub fn parse_programme(value: Value, id: ProgrammeId) -> Result<Programme, ServiceError> {
    const F: &str = "HealthcareService";
    let j: ServiceJson = from_json(F, value)?;
    let _ = j.id;
    check_exts(
        &j.extension,
        &[
            "outreach-primary",
            "outreach-alliance",
            "outreach-period",
            "sessions-per-month",
            "slots-per-session",
            "outreach-specialist",
        ],
        "HealthcareService.extension",
    )?;
    if j.active == Some(false) {
        return Err(ServiceError::invalid(
            "HealthcareService.active",
            "a new programme is active; end it with $end",
        ));
    }
    let hospital = j.provided_by.as_ref().ok_or_else(|| {
        ServiceError::invalid(
            "HealthcareService.providedBy",
            "the partner hospital is required",
        )
    })?;
    let hospital = reference_id(hospital, &["Organization"], "HealthcareService.providedBy")?.1;
    let field = "HealthcareService.extension(outreach-primary)";
    let primary = one_ext(&j.extension, "outreach-primary", field)?
        .ok_or_else(|| ServiceError::invalid(field, "the primary institution is required"))?;
    let primary = ext_reference(primary, &["Organization"], field)?;
    let field = "HealthcareService.extension(outreach-alliance)";
    let alliance = one_ext(&j.extension, "outreach-alliance", field)?
        .ok_or_else(|| ServiceError::invalid(field, "the alliance is required"))?;
    let alliance = ext_reference(alliance, &["Organization"], field)?;
    let field = "HealthcareService.extension(outreach-period)";
    let period = one_ext(&j.extension, "outreach-period", field)?
        .and_then(|e| e.value_period.clone())
        .ok_or_else(|| ServiceError::invalid(field, "a valuePeriod with the start is required"))?;
    let start = period
        .start
        .as_deref()
        .ok_or_else(|| ServiceError::invalid(format!("{field}.start"), "the start is required"))?;
    let start = parse_date(start, &format!("{field}.start"))?;
    let end = period
        .end
        .as_deref()
        .map(|e| parse_date(e, &format!("{field}.end")))
        .transpose()?;
    let count = |name: &str| -> Result<u32, ServiceError> {
        let field = format!("HealthcareService.extension({name})");
        let e = one_ext(&j.extension, name, &field)?
            .ok_or_else(|| ServiceError::invalid(&field, format!("{name} is required")))?;
        ext_count(e, &field)
    };
    let sessions_per_month = count("sessions-per-month")?;
    let slots_per_session = count("slots-per-session")?;
    let mut specialists = Vec::new();
    for e in exts(&j.extension, "outreach-specialist") {
        let field = "HealthcareService.extension(outreach-specialist)";
        let p = ext_reference(e, &["Practitioner"], field)?;
        specialists.push(typed_id::<PractitionerId>(&p, field)?);
    }
    let kind = match single_code(&j.category, "outreach-kind", "HealthcareService.category")? {
        None if j.category.is_empty() => ProgrammeKind::Outreach,
        code => super::our_code(
            code,
            "HealthcareService.category",
            ProgrammeKind::from_code,
            "outreach-kind",
        )?,
    };
    let department = super::our_code(
        single_code(&j.specialty, "specialty", "HealthcareService.specialty")?,
        "HealthcareService.specialty",
        Specialty::from_code,
        "specialty",
    )?;
    let mut services = Vec::new();
    for (i, c) in j.type_.iter().enumerate() {
        let field = format!("HealthcareService.type[{i}]");
        services.push(super::our_code(
            c.code_in("outreach-service"),
            &field,
            OutreachService::from_code,
            "outreach-service",
        )?);
    }
    Ok(Programme {
        id,
        hospital: typed_id(&hospital, "HealthcareService.providedBy")?,
        department,
        primary: typed_id(&primary, "HealthcareService.extension(outreach-primary)")?,
        alliance: typed_id(&alliance, "HealthcareService.extension(outreach-alliance)")?,
        kind,
        start,
        end,
        sessions_per_month,
        slots_per_session,
        specialists,
        services,
        status: ProgrammeStatus::Active,
    })
}

// ---------------------------------------------------------------- session

/// Search parameters of `Schedule` (outreach sessions).
pub const SESSION_SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "_id",
        kind: ParamKind::Token,
        doc: "Logical id",
    },
    SearchParam {
        name: "actor",
        kind: ParamKind::Reference("HealthcareService"),
        doc: "The programme (HealthcareService/id) or the specialist (Practitioner/id)",
    },
    SearchParam {
        name: "session-status",
        kind: ParamKind::Token,
        doc: "scheduled, held, cancelled or missed",
    },
    SearchParam {
        name: "date",
        kind: ParamKind::Date,
        doc: "The day the session is held (YYYY-MM-DD)",
    },
];

/// A session as a `Schedule`.
pub fn render_session(s: &OutreachSession) -> Value {
    let mut extension = vec![
        ext(
            "session-status",
            "valueCoding",
            json!({"system": system("session-status"), "code": s.status.code(), "display": session_display(&s.status)}),
        ),
        ext("session-slots", "valuePositiveInt", json!(s.slots)),
    ];
    match &s.status {
        SessionStatus::Held {
            patients_seen,
            referrals_avoided,
        } => {
            extension.push(ext(
                "patients-seen",
                "valueUnsignedInt",
                json!(patients_seen),
            ));
            extension.push(ext(
                "referrals-avoided",
                "valueUnsignedInt",
                json!(referrals_avoided),
            ));
        }
        SessionStatus::Cancelled { by, reason, at } => {
            extension.push(json!({
                "url": extension_url("session-cancellation"),
                "extension": [
                    {"url": "by", "valueCoding": {"system": system("outreach-side"), "code": by.code(), "display": by.display()}},
                    {"url": "reason", "valueString": reason},
                    {"url": "at", "valueDateTime": instant(*at)},
                ]
            }));
        }
        SessionStatus::Scheduled | SessionStatus::Missed => {}
    }
    json!({
        "resourceType": "Schedule",
        "extension": extension,
        "active": s.status == SessionStatus::Scheduled,
        "actor": [
            reference("HealthcareService", s.programme.as_str()),
            reference("Practitioner", s.specialist.as_str()),
        ],
        "planningHorizon": {"start": instant(s.start), "end": instant(s.end)},
    })
}

fn session_display(s: &SessionStatus) -> &'static str {
    match s {
        SessionStatus::Scheduled => "Scheduled",
        SessionStatus::Held { .. } => "Held",
        SessionStatus::Cancelled { .. } => "Cancelled",
        SessionStatus::Missed => "Missed",
    }
}

/// The codes of `session-status`, for the CodeSystem.
pub const SESSION_STATUS_CODES: [(&str, &str); 4] = [
    ("scheduled", "Scheduled"),
    ("held", "Held"),
    ("cancelled", "Cancelled"),
    ("missed", "Missed"),
];

/// The search terms of a session.
pub fn index_session(s: &OutreachSession) -> Vec<(String, String)> {
    vec![
        reference_term("actor", "HealthcareService", s.programme.as_str()),
        reference_term("actor", "Practitioner", s.specialist.as_str()),
        ("session-status".into(), s.status.code().into()),
        ("date".into(), format_date(s.start.date())),
    ]
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScheduleJson {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    extension: Vec<Ext>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    actor: Vec<Reference>,
    #[serde(default)]
    planning_horizon: Option<Period>,
}

fn date_time(text: &str, field: &str) -> Result<OffsetDateTime, ServiceError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        ServiceError::invalid(
            field,
            format!("{text:?} is not a FHIR dateTime with a time and a time zone"),
        )
    })
}

/// A new session from a `Schedule`: the programme it belongs to and what
/// the scheduler fills in.
pub fn parse_session(
    value: Value,
    id: tiercare_core::OutreachSessionId,
) -> Result<(ProgrammeId, NewSession), ServiceError> {
    let j: ScheduleJson = from_json("Schedule", value)?;
    let _ = j.id;
    check_exts(&j.extension, &["session-slots"], "Schedule.extension")?;
    if j.active == Some(false) {
        return Err(ServiceError::invalid(
            "Schedule.active",
            "a new session is active; record its end with $hold, $cancel or $miss",
        ));
    }
    let mut programme = None;
    let mut specialist = None;
    for (i, r) in j.actor.iter().enumerate() {
        let field = format!("Schedule.actor[{i}]");
        let (ty, id) = reference_id(r, &["HealthcareService", "Practitioner"], &field)?;
        let slot = if ty == "HealthcareService" {
            &mut programme
        } else {
            &mut specialist
        };
        if slot.replace(id).is_some() {
            return Err(ServiceError::invalid(
                "Schedule.actor",
                format!("name one {ty}"),
            ));
        }
    }
    let programme = programme.ok_or_else(|| {
        ServiceError::invalid(
            "Schedule.actor",
            "the programme (HealthcareService) is required",
        )
    })?;
    let specialist = specialist.ok_or_else(|| {
        ServiceError::invalid(
            "Schedule.actor",
            "the specialist (Practitioner) holding the session is required",
        )
    })?;
    let horizon = j.planning_horizon.ok_or_else(|| {
        ServiceError::invalid(
            "Schedule.planningHorizon",
            "the session's start and end are required",
        )
    })?;
    let start = horizon.start.as_deref().ok_or_else(|| {
        ServiceError::invalid("Schedule.planningHorizon.start", "the start is required")
    })?;
    let end = horizon.end.as_deref().ok_or_else(|| {
        ServiceError::invalid("Schedule.planningHorizon.end", "the end is required")
    })?;
    let field = "Schedule.extension(session-slots)";
    let slots = one_ext(&j.extension, "session-slots", field)?
        .map(|e| ext_count(e, field))
        .transpose()?;
    Ok((
        typed_id(&programme, "Schedule.actor")?,
        NewSession {
            id,
            specialist: typed_id(&specialist, "Schedule.actor")?,
            start: date_time(start, "Schedule.planningHorizon.start")?,
            end: date_time(end, "Schedule.planningHorizon.end")?,
            slots,
        },
    ))
}

// ---------------------------------------------------------------- mentorship

/// Search parameters of mentorship `CareTeam`s (besides the family-doctor
/// teams' own).
pub const MENTORSHIP_SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "category",
        kind: ParamKind::Token,
        doc: "mentorship (or family-doctor-team)",
    },
    SearchParam {
        name: "participant",
        kind: ParamKind::Reference("Practitioner"),
        doc: "The mentor or a mentee",
    },
];

/// A mentorship as a `CareTeam`.
pub fn render_mentorship(m: &Mentorship) -> Value {
    let mut participant = vec![json!({
        "role": [ours("mentorship-role", "mentor", "Mentor (specialist)")],
        "member": reference("Practitioner", m.specialist.as_str()),
    })];
    for d in &m.family_doctors {
        participant.push(json!({
            "role": [ours("mentorship-role", "mentee", "Mentee (family doctor)")],
            "member": reference("Practitioner", d.as_str()),
        }));
    }
    let mut period = json!({"start": format_date(m.started)});
    if let Some(e) = m.ended {
        period["end"] = json!(format_date(e));
    }
    let mut extension = Vec::new();
    if let Some(p) = &m.programme {
        extension.push(ext(
            "outreach-programme",
            "valueReference",
            reference("HealthcareService", p.as_str()),
        ));
    }
    for c in &m.competences {
        extension.push(render_competence(c));
    }
    let mut v = json!({
        "resourceType": "CareTeam",
        "status": if m.ended.is_some() { "inactive" } else { "active" },
        "category": [ours("care-team-category", MENTORSHIP_CATEGORY, "Mentorship")],
        "period": period,
        "participant": participant,
    });
    if !extension.is_empty() {
        v["extension"] = Value::Array(extension);
    }
    v
}

fn render_competence(c: &Competence) -> Value {
    json!({
        "url": extension_url("competence"),
        "extension": [
            {"url": "doctor", "valueReference": reference("Practitioner", c.doctor.as_str())},
            {"url": "institution", "valueReference": reference("Organization", c.institution.as_str())},
            {"url": "condition", "valueCoding": {"system": ICD10, "code": c.condition.to_string()}},
            {"url": "since", "valueDate": format_date(c.since)},
        ]
    })
}

/// The search terms of a mentorship.
pub fn index_mentorship(m: &Mentorship) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("participant", "Practitioner", m.specialist.as_str()),
        (
            "status".into(),
            if m.ended.is_some() {
                "inactive"
            } else {
                "active"
            }
            .into(),
        ),
    ];
    for d in &m.family_doctors {
        t.push(reference_term("participant", "Practitioner", d.as_str()));
    }
    t.extend(token_terms(
        "category",
        "care-team-category",
        MENTORSHIP_CATEGORY,
    ));
    t
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TeamJson {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    extension: Vec<Ext>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    category: Vec<CodeableConcept>,
    #[serde(default)]
    period: Option<Period>,
    #[serde(default)]
    participant: Vec<ParticipantJson>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ParticipantJson {
    #[serde(default)]
    role: Vec<CodeableConcept>,
    member: Option<Reference>,
}

/// Whether a `CareTeam` body is a mentorship (its category says so).
pub fn is_mentorship(value: &Value) -> bool {
    let sys = system("care-team-category");
    value["category"].as_array().is_some_and(|cats| {
        cats.iter().any(|c| {
            c["coding"].as_array().is_some_and(|codings| {
                codings.iter().any(|k| {
                    k["system"].as_str() == Some(sys.as_str())
                        && k["code"].as_str() == Some(MENTORSHIP_CATEGORY)
                })
            })
        })
    })
}

/// A new mentorship from a `CareTeam` of category `mentorship`.
pub fn parse_mentorship(
    value: Value,
    id: tiercare_core::MentorshipId,
) -> Result<Mentorship, ServiceError> {
    let j: TeamJson = from_json("CareTeam", value)?;
    let _ = (j.id, j.category);
    check_exts(&j.extension, &["outreach-programme"], "CareTeam.extension")?;
    match j.status.as_deref() {
        None | Some("active") | Some("proposed") => {}
        Some(other) => {
            return Err(ServiceError::invalid(
                "CareTeam.status",
                format!("a new mentorship is active, not {other:?}; end it with $end"),
            ));
        }
    }
    let field = "CareTeam.extension(outreach-programme)";
    let programme = one_ext(&j.extension, "outreach-programme", field)?
        .map(|e| ext_reference(e, &["HealthcareService"], field))
        .transpose()?
        .map(|p| typed_id::<ProgrammeId>(&p, field))
        .transpose()?;
    let period = j.period.unwrap_or_default();
    let started = period
        .start
        .as_deref()
        .ok_or_else(|| ServiceError::invalid("CareTeam.period.start", "the start is required"))?;
    let started = parse_date(started, "CareTeam.period.start")?;
    if period.end.is_some() {
        return Err(ServiceError::invalid(
            "CareTeam.period.end",
            "a new mentorship has no end yet; end it with $end",
        ));
    }
    let mut mentor = None;
    let mut mentees = Vec::new();
    for (i, p) in j.participant.iter().enumerate() {
        let field = format!("CareTeam.participant[{i}]");
        let member = p.member.as_ref().ok_or_else(|| {
            ServiceError::invalid(format!("{field}.member"), "member is required")
        })?;
        let pid = reference_id(member, &["Practitioner"], &format!("{field}.member"))?.1;
        let pid: PractitionerId = typed_id(&pid, &format!("{field}.member"))?;
        let role = match p.role.as_slice() {
            [r] => r.code_in("mentorship-role"),
            _ => None,
        };
        match role {
            Some("mentor") if mentor.is_none() => mentor = Some(pid),
            Some("mentor") => {
                return Err(ServiceError::rule(
                    format!("{field}.role"),
                    "a mentorship has one mentor",
                ));
            }
            Some("mentee") => mentees.push(pid),
            _ => {
                return Err(ServiceError::invalid(
                    format!("{field}.role"),
                    format!(
                        "one role from {}: mentor or mentee",
                        system("mentorship-role")
                    ),
                ));
            }
        }
    }
    let specialist = mentor.ok_or_else(|| {
        ServiceError::invalid(
            "CareTeam.participant",
            "the mentor (role mentor) is required",
        )
    })?;
    Ok(Mentorship {
        id,
        specialist,
        family_doctors: mentees,
        programme,
        started,
        ended: None,
        competences: Vec::new(),
    })
}

// ---------------------------------------------------------------- activity

/// Search parameters of mentoring-activity `Task`s.
pub const ACTIVITY_SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "focus",
        kind: ParamKind::Reference("CareTeam"),
        doc: "The mentorship (CareTeam/id)",
    },
    SearchParam {
        name: "code",
        kind: ParamKind::Token,
        doc: "joint-clinic, case-discussion, ward-round or teaching",
    },
    SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "A patient the activity concerned",
    },
];

/// A mentoring activity as a `Task`.
pub fn render_activity(a: &MentorshipActivity) -> Value {
    let mut extension: Vec<Value> = a
        .family_doctors
        .iter()
        .map(|d| {
            ext(
                "activity-participant",
                "valueReference",
                reference("Practitioner", d.as_str()),
            )
        })
        .collect();
    for p in a.patients.iter().skip(1) {
        extension.push(ext(
            "activity-patient",
            "valueReference",
            reference("Patient", p.as_str()),
        ));
    }
    let day = format_date(a.date);
    let mut v = json!({
        "resourceType": "Task",
        "extension": extension,
        "status": "completed",
        "intent": "plan",
        "code": ours("mentorship-activity", a.kind.code(), a.kind.display()),
        "focus": reference("CareTeam", a.mentorship.as_str()),
        "executionPeriod": {"start": day, "end": day},
    });
    if let Some(p) = a.patients.first() {
        v["for"] = reference("Patient", p.as_str());
    }
    if !a.referrals.is_empty() {
        v["basedOn"] = a
            .referrals
            .iter()
            .map(|r| reference("ServiceRequest", r.as_str()))
            .collect();
    }
    if let Some(n) = &a.note {
        v["note"] = json!([{"text": n}]);
    }
    v
}

/// The search terms of a mentoring activity.
pub fn index_activity(a: &MentorshipActivity) -> Vec<(String, String)> {
    let mut t = vec![reference_term("focus", "CareTeam", a.mentorship.as_str())];
    t.extend(token_terms("code", "mentorship-activity", a.kind.code()));
    for p in &a.patients {
        t.push(reference_term("patient", "Patient", p.as_str()));
    }
    t
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TaskJson {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    extension: Vec<Ext>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    intent: Option<String>,
    #[serde(default)]
    code: Option<CodeableConcept>,
    #[serde(default)]
    focus: Option<Reference>,
    #[serde(default, rename = "for")]
    for_: Option<Reference>,
    #[serde(default)]
    based_on: Vec<Reference>,
    #[serde(default)]
    execution_period: Option<Period>,
    #[serde(default)]
    note: Vec<NoteJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteJson {
    text: String,
}

/// Whether a `Task` body is a mentoring activity (its code is one).
pub fn is_activity(value: &Value) -> bool {
    let sys = system("mentorship-activity");
    value["code"]["coding"]
        .as_array()
        .is_some_and(|c| c.iter().any(|k| k["system"].as_str() == Some(sys.as_str())))
}

/// A mentoring activity from a `Task`.
pub fn parse_activity(
    value: Value,
    id: tiercare_core::ActivityId,
) -> Result<MentorshipActivity, ServiceError> {
    let j: TaskJson = from_json("Task", value)?;
    let _ = j.id;
    check_exts(
        &j.extension,
        &["activity-participant", "activity-patient"],
        "Task.extension",
    )?;
    if j.status.as_deref().is_some_and(|s| s != "completed") {
        return Err(ServiceError::invalid(
            "Task.status",
            "an activity is logged once done: status completed",
        ));
    }
    if j.intent.as_deref().is_some_and(|s| s != "plan") {
        return Err(ServiceError::invalid(
            "Task.intent",
            "an activity's intent is plan",
        ));
    }
    let kind = super::our_code(
        j.code
            .as_ref()
            .and_then(|c| c.code_in("mentorship-activity")),
        "Task.code",
        ActivityKind::from_code,
        "mentorship-activity",
    )?;
    let focus = j.focus.as_ref().ok_or_else(|| {
        ServiceError::invalid("Task.focus", "the mentorship (CareTeam) is required")
    })?;
    let mentorship = reference_id(focus, &["CareTeam"], "Task.focus")?.1;
    let period = j.execution_period.unwrap_or_default();
    let day = period.start.as_deref().ok_or_else(|| {
        ServiceError::invalid(
            "Task.executionPeriod.start",
            "the day of the activity is required",
        )
    })?;
    let date = parse_date(day, "Task.executionPeriod.start")?;
    if period.end.as_deref().is_some_and(|e| e != day) {
        return Err(ServiceError::invalid(
            "Task.executionPeriod.end",
            "an activity takes one day: end must equal start",
        ));
    }
    let mut family_doctors = Vec::new();
    for e in exts(&j.extension, "activity-participant") {
        let f = "Task.extension(activity-participant)";
        family_doctors.push(typed_id(&ext_reference(e, &["Practitioner"], f)?, f)?);
    }
    let mut patients = Vec::new();
    if let Some(r) = &j.for_ {
        patients.push(typed_id(
            &reference_id(r, &["Patient"], "Task.for")?.1,
            "Task.for",
        )?);
    }
    for e in exts(&j.extension, "activity-patient") {
        let f = "Task.extension(activity-patient)";
        if patients.is_empty() {
            return Err(ServiceError::invalid(
                f,
                "name the first patient in Task.for, further ones here",
            ));
        }
        patients.push(typed_id(&ext_reference(e, &["Patient"], f)?, f)?);
    }
    let mut referrals = Vec::new();
    for (i, r) in j.based_on.iter().enumerate() {
        let f = format!("Task.basedOn[{i}]");
        referrals.push(typed_id(&reference_id(r, &["ServiceRequest"], &f)?.1, &f)?);
    }
    let note = match j.note.as_slice() {
        [] => None,
        [n] => Some(n.text.clone()),
        _ => return Err(ServiceError::invalid("Task.note", "give one note")),
    };
    Ok(MentorshipActivity {
        id,
        mentorship: typed_id(&mentorship, "Task.focus")?,
        kind,
        date,
        family_doctors,
        patients,
        referrals,
        note,
    })
}

/// The side code of a cancellation parameter.
pub fn parse_side(code: &str) -> Result<Side, ServiceError> {
    Side::from_code(code)
        .ok_or_else(|| ServiceError::invalid("side", format!("{code:?}: use hospital or primary")))
}

/// One code system as `(id, title, concepts)`.
pub type CodeSystemRows = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

/// The codes of tiercare's outreach code systems, for the CodeSystems
/// served at `/CodeSystem`: `(id, title, concepts)`.
pub fn code_systems() -> Vec<CodeSystemRows> {
    vec![
        (
            "outreach-kind",
            "Kind of joint programme",
            ProgrammeKind::ALL
                .iter()
                .map(|k| (k.code(), k.display()))
                .collect(),
        ),
        (
            "outreach-service",
            "Service of a joint programme",
            OutreachService::ALL
                .iter()
                .map(|k| (k.code(), k.display()))
                .collect(),
        ),
        (
            "session-status",
            "Outcome of an outreach session",
            SESSION_STATUS_CODES.to_vec(),
        ),
        (
            "outreach-side",
            "Side of a joint programme",
            Side::ALL.iter().map(|k| (k.code(), k.display())).collect(),
        ),
        (
            "mentorship-role",
            "Role in a mentorship",
            vec![
                ("mentor", "Mentor (specialist)"),
                ("mentee", "Mentee (family doctor)"),
            ],
        ),
        (
            "mentorship-activity",
            "Kind of mentoring activity",
            ActivityKind::ALL
                .iter()
                .map(|k| (k.code(), k.display()))
                .collect(),
        ),
    ]
}

/// Adds the outreach resources and operations to the CapabilityStatement's
/// resource list (CareTeam and Task are there already, for the registry
/// and the referral loop: they gain the mentorship operations).
pub fn capability(resources: &mut Vec<Value>) {
    let params = |list: &[SearchParam]| -> Vec<Value> {
        list.iter()
            .map(|p| {
                let ty = match p.kind {
                    ParamKind::String => "string",
                    ParamKind::Token => "token",
                    ParamKind::Reference(_) => "reference",
                    ParamKind::Date => "date",
                };
                json!({"name": p.name, "type": ty, "documentation": p.doc})
            })
            .collect()
    };
    let operation = |name: &str, doc: &str| {
        json!({
            "name": name,
            "definition": format!("https://tiercare.org/fhir/OperationDefinition/{name}"),
            "documentation": doc
        })
    };
    resources.push(json!({
        "type": "HealthcareService",
        "interaction": [{"code": "read"}, {"code": "create"}, {"code": "search-type"}],
        "searchParam": params(PROGRAMME_SEARCH),
        "documentation": "Joint programmes: a hospital department (providedBy, specialty) committed to a primary institution of the same alliance (extensions outreach-primary, outreach-alliance, outreach-period, sessions-per-month, slots-per-session, outreach-specialist; category outreach or resident-team; type the services). Created by administrators or the hospital's coordinators; read by anyone signed in.",
        "operation": [operation("end", "POST HealthcareService/{id}/$end with parameter date (the last day): ends the commitment")],
    }));
    resources.push(json!({
        "type": "Schedule",
        "interaction": [{"code": "read"}, {"code": "create"}, {"code": "search-type"}],
        "searchParam": params(SESSION_SEARCH),
        "documentation": "Outreach sessions: actor the programme (HealthcareService) and the specialist (Practitioner), planningHorizon the clinic's start and end; creating one opens its slots (Slot?schedule=Schedule/{id}) at the primary institution under the booking rules. Outcome in the session-status extension, with patients-seen and referrals-avoided, or session-cancellation (by, reason, at). Schedule/{id} of a department calendar (no session) is described from its slots.",
        "operation": [
            operation("hold", "patients-seen, referrals-avoided (counts): by the session's specialist or staff of the primary institution, from the session's start"),
            operation("cancel", "reason (required), side (hospital or primary; administrators only, others' side is their institution's): before the session's end; closes its unbooked slots and answers a Parameters with the schedule and the appointments to rebook"),
            operation("miss", "the specialist did not come: from the session's end"),
        ],
    }));
    for r in resources.iter_mut() {
        match r["type"].as_str() {
            Some("CareTeam") => {
                r["operation"] = json!([
                    operation(
                        "recognise",
                        "Mentorship CareTeams: doctor (Practitioner), condition (ICD-10 code), since (date): by the mentor"
                    ),
                    operation("end", "Mentorship CareTeams: date (the last day)"),
                ]);
                r["documentation"] = json!(
                    "Family-doctor teams (category family-doctor-team), and mentorships (category mentorship: participants a mentor and mentees by role, period, outreach-programme and competence extensions), created with POST by administrators or coordinators of the mentor's hospital."
                );
            }
            Some("Task") => {
                let doc = r["documentation"].as_str().unwrap_or_default().to_string();
                r["documentation"] = json!(format!(
                    "{doc} Mentoring activities are Tasks too (code from mentorship-activity, focus the mentorship CareTeam, executionPeriod the day, for and activity-patient the patients, basedOn the referrals, activity-participant the mentees): POST Task logs one (the mentor or a mentee); read by the mentorship's members and administrators, audited; search them with focus=CareTeam/id."
                ));
                if let Some(i) = r["interaction"].as_array_mut() {
                    i.push(json!({"code": "create"}));
                }
            }
            _ => {}
        }
    }
}
