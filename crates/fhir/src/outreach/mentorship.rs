//! A mentorship as a `CareTeam` of category `mentorship`: a specialist
//! mentoring family doctors.
//!
//! The mentor and the mentees are the team's participants, told apart by
//! their role (`mentorship-role`). The joint programme, when there is one,
//! is the `outreach-programme` extension, and each competence the mentor
//! has recognised a `competence` extension. Family-doctor teams are
//! `CareTeam`s too ([`crate::care_team`]); [`is_mentorship`] tells a posted
//! body which of the two it is. A new mentorship is active and has no end:
//! it is ended with `$end`.

use super::{Ext, check_exts, ext, ext_reference, one_ext, ours, reference};
use crate::datatypes::{CodeableConcept, Period, Reference, extension_url, system};
use crate::referral::ICD10;
use crate::{
    ParamKind, SearchParam, format_date, from_json, parse_date, reference_term, required_id,
    token_terms,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tiercare_core::outreach::{Competence, Mentorship};
use tiercare_core::{PractitionerId, ProgrammeId};
use tiercare_service::ServiceError;

/// The `CareTeam.category` code that makes a team a mentorship.
pub const MENTORSHIP_CATEGORY: &str = "mentorship";

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

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
struct TeamJson {
    id: Option<String>,
    extension: Vec<Ext>,
    status: Option<String>,
    category: Vec<CodeableConcept>,
    period: Option<Period>,
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
        .map(|e| ext_reference::<ProgrammeId>(e, &["HealthcareService"], field))
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
        let member = format!("{field}.member");
        let pid: PractitionerId = required_id(
            p.member.as_ref(),
            &["Practitioner"],
            &member,
            "member is required",
        )?;
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
