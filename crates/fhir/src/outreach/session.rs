//! An outreach session as a `Schedule`: the clinic a programme's
//! specialist holds at the primary institution, whose slots patients book.
//!
//! R4 does not let `Schedule.actor` name an `Organization`, so the actors
//! are the programme (`HealthcareService`) and the specialist
//! (`Practitioner`); `planningHorizon` is the clinic's start and end. The
//! outcome (held with its counts, cancelled with who, why and when, or
//! missed) is rendered in the `session-status` extension and its
//! companions; a new session is active and is closed by `$hold`, `$cancel`
//! or `$miss`, whose `side` parameter [`parse_side`] reads.

use super::{Ext, check_exts, ext, ext_count, one_ext, reference};
use crate::datatypes::{Period, Reference, extension_url, system};
use crate::referral::instant;
use crate::{
    ParamKind, SearchParam, format_date, from_json, reference_id, reference_term, typed_id,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tiercare_core::ProgrammeId;
use tiercare_core::outreach::{NewSession, OutreachSession, SessionStatus, Side};
use tiercare_service::ServiceError;
use time::OffsetDateTime;

/// Search parameters of `Schedule` (outreach sessions).
pub const SESSION_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
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

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
struct ScheduleJson {
    id: Option<String>,
    extension: Vec<Ext>,
    active: Option<bool>,
    actor: Vec<Reference>,
    planning_horizon: Option<Period>,
}

fn date_time(text: &str, field: &str) -> Result<OffsetDateTime, ServiceError> {
    crate::primitives::instant(text).map_err(|e| ServiceError::invalid(field, e.to_string()))
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

/// The side code of a cancellation parameter.
pub fn parse_side(code: &str) -> Result<Side, ServiceError> {
    Side::from_code(code)
        .ok_or_else(|| ServiceError::invalid("side", format!("{code:?}: use hospital or primary")))
}
