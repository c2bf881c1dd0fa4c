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
//!
//! Each resource has a file of its own, holding its parse, render, search
//! terms and search parameters:
//!
//! - `programme.rs`: the `HealthcareService`.
//! - `session.rs`: the `Schedule`, and the side of a `$cancel`.
//! - `mentorship.rs`: the `CareTeam` of category `mentorship`.
//! - `activity.rs`: the `Task` coded from `mentorship-activity`.
//!
//! This module keeps what they share (the extensions as tiercare reads
//! them, the small JSON builders), the outreach code systems and the
//! CapabilityStatement entries. Every item is re-exported from here, so a
//! caller names it `outreach::parse_session` whichever file it lives in.

mod activity;
mod mentorship;
mod programme;
mod session;

pub use activity::{ACTIVITY_SEARCH, index_activity, is_activity, parse_activity, render_activity};
pub use mentorship::{
    MENTORSHIP_CATEGORY, MENTORSHIP_SEARCH, index_mentorship, is_mentorship, parse_mentorship,
    render_mentorship,
};
pub use programme::{PROGRAMME_SEARCH, index_programme, parse_programme, render_programme};
pub use session::{
    SESSION_SEARCH, SESSION_STATUS_CODES, index_session, parse_session, parse_side, render_session,
};

use crate::datatypes::{Period, Reference, extension_url, system};
use crate::operations as ops;
use crate::{SearchParam, required_id};
use serde::Deserialize;
use serde_json::{Value, json};
use tiercare_core::outreach::{ActivityKind, OutreachService, ProgrammeKind, Side};
use tiercare_service::ServiceError;

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

/// The typed id in an extension's required `valueReference`.
fn ext_reference<T: std::str::FromStr<Err = tiercare_core::InvalidId>>(
    e: &Ext,
    types: &[&str],
    field: &str,
) -> Result<T, ServiceError> {
    let missing = "a valueReference is required";
    required_id(e.value_reference.as_ref(), types, field, missing)
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
    let params =
        |list: &[SearchParam]| -> Vec<Value> { list.iter().map(SearchParam::capability).collect() };
    resources.push(json!({
        "type": "HealthcareService",
        "interaction": [{"code": "read"}, {"code": "create"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": params(PROGRAMME_SEARCH),
        "documentation": "Joint programmes: a hospital department (providedBy, specialty) committed to a primary institution of the same alliance (extensions outreach-primary, outreach-alliance, outreach-period, sessions-per-month, slots-per-session, outreach-specialist; category outreach or resident-team; type the services). Created by administrators or the hospital's coordinators; read by anyone signed in. Resource-sharing hubs are HealthcareServices too: category a hub-kind code (ecg, imaging, laboratory, pathology), providedBy the institution, one hub-member extension per member institution whose doctors order readings (search member, service-category); created by administrators or the institution's coordinators. Designated emergency centres (id ctr-…) are HealthcareServices too: category an emergency-centre code (chest-pain, stroke, trauma, critical-maternal, critical-neonatal), providedBy the institution, name, active, characteristic one emergency-capability coding per capability (pci, thrombolysis, thrombectomy, trauma-surgery, caesarean, nicu; each must fit the kind), availableTime [{allDay: true}] or one daily window (availableStartTime, availableEndTime, HH:MM:00; past midnight allowed), the centre-accreditation extension (valueCoding standard, basic or treatment-unit: a township chest pain treatment unit that lyses and transfers), centre-catchment and transfer-agreement extensions (valueReference Organization, repeated); search service-category, characteristic, catchment, organization, name, active; created by administrators or the institution's coordinators; the triage routes by them (POST HealthcareService/$triage).",
        "operation": [
            ops::HEALTHCARE_SERVICE_END.capability(),
            ops::HEALTHCARE_SERVICE_TRIAGE.capability(),
        ],
    }));
    resources.push(json!({
        "type": "Schedule",
        "interaction": [{"code": "read"}, {"code": "create"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": params(SESSION_SEARCH),
        "documentation": "Outreach sessions: actor the programme (HealthcareService) and the specialist (Practitioner), planningHorizon the clinic's start and end; creating one opens its slots (Slot?schedule=Schedule/{id}) at the primary institution under the booking rules. Outcome in the session-status extension, with patients-seen and referrals-avoided, or session-cancellation (by, reason, at). Schedule/{id} of a department calendar (no session) is described from its slots.",
        "operation": [
            ops::SCHEDULE_HOLD.capability(),
            ops::SCHEDULE_CANCEL.capability(),
            ops::SCHEDULE_MISS.capability(),
        ],
    }));
    for r in resources.iter_mut() {
        match r["type"].as_str() {
            Some("CareTeam") => {
                r["operation"] = json!([
                    ops::CARE_TEAM_RECOGNISE.capability(),
                    ops::CARE_TEAM_END.capability(),
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
