//! Family-doctor teams as `CareTeam`.
//!
//! A team's participants are its practitioners; its contracted residents
//! point at it from their `Patient` record (found with
//! `Patient?care-team=CareTeam/ID`), so signing a contract never rewrites
//! the team.

use super::datatypes::*;
use super::{
    ParamKind, SearchParam, from_json, name_terms, reference_term, required_id, required_name,
    typed_id, with_type,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tiercare_core::network::FamilyDoctorTeam;
use tiercare_core::{PractitionerId, Record, RegionId};
use tiercare_service::ServiceError;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CareTeamJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    category: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    participant: Vec<Participant>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    managing_organization: Vec<Reference>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Participant {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    role: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    member: Option<Reference>,
}

pub const SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "name",
        kind: ParamKind::String,
        doc: "Team name, starts-with",
    },
    SearchParam {
        name: "participant",
        kind: ParamKind::Reference("Practitioner"),
        doc: "A member",
    },
    SearchParam {
        name: "organization",
        kind: ParamKind::Reference("Organization"),
        doc: "The primary institution the team belongs to",
    },
    SearchParam {
        name: "status",
        kind: ParamKind::Token,
        doc: "active or inactive",
    },
    SearchParam {
        name: "category",
        kind: ParamKind::Token,
        doc: "family-doctor-team or mentorship",
    },
];

pub fn render(t: &FamilyDoctorTeam) -> Value {
    let participant = t
        .members
        .iter()
        .map(|m| Participant {
            role: vec![if *m == t.lead {
                CodeableConcept::ours("team-role", "lead", "Team lead")
            } else {
                CodeableConcept::ours("team-role", "member", "Team member")
            }],
            member: Some(Reference::to("Practitioner", m.as_str())),
        })
        .collect();
    let j = CareTeamJson {
        status: Some(if t.active { "active" } else { "inactive" }.into()),
        category: vec![CodeableConcept::ours(
            "care-team-category",
            "family-doctor-team",
            "Family-doctor team",
        )],
        name: Some(t.name.clone()),
        participant,
        managing_organization: vec![Reference::to("Organization", t.institution.as_str())],
        ..Default::default()
    };
    with_type("CareTeam", &j)
}

pub fn parse(value: Value, id: &str, region: &RegionId) -> Result<Record, ServiceError> {
    let j: CareTeamJson = from_json("CareTeam", value)?;
    let name = required_name(j.name.as_ref(), "CareTeam")?;
    let institution = required_id(
        j.managing_organization.first(),
        &["Organization"],
        "CareTeam.managingOrganization",
        "the team's primary institution is required",
    )?;
    let mut members: Vec<PractitionerId> = Vec::new();
    let mut lead = None;
    for (i, p) in j.participant.iter().enumerate() {
        let field = format!("CareTeam.participant[{i}].member");
        let pid: PractitionerId = required_id(
            p.member.as_ref(),
            &["Practitioner"],
            &field,
            "member is required",
        )?;
        if p.role
            .iter()
            .any(|c| c.code_in("team-role") == Some("lead"))
        {
            if lead.is_some() {
                return Err(ServiceError::rule(
                    "CareTeam.participant.role",
                    "a team has one lead",
                ));
            }
            lead = Some(pid.clone());
        }
        members.push(pid);
    }
    let lead = lead.or_else(|| members.first().cloned()).ok_or_else(|| {
        ServiceError::invalid(
            "CareTeam.participant",
            "a team needs at least one practitioner",
        )
    })?;
    let active = match j.status.as_deref() {
        None | Some("active") | Some("proposed") => true,
        Some("inactive") | Some("suspended") => false,
        Some(other) => {
            return Err(ServiceError::invalid(
                "CareTeam.status",
                format!("unsupported status {other:?}"),
            ));
        }
    };
    Ok(Record::Team(FamilyDoctorTeam {
        id: typed_id(id, "CareTeam.id")?,
        region: region.clone(),
        name,
        institution,
        lead,
        members,
        active,
    }))
}

pub fn index(t: &FamilyDoctorTeam) -> Vec<(String, String)> {
    let mut terms = name_terms("name", &t.name);
    terms.push(reference_term(
        "organization",
        "Organization",
        t.institution.as_str(),
    ));
    terms.push((
        "status".into(),
        if t.active { "active" } else { "inactive" }.into(),
    ));
    for m in &t.members {
        terms.push(reference_term("participant", "Practitioner", m.as_str()));
    }
    terms.extend(super::token_terms(
        "category",
        "care-team-category",
        "family-doctor-team",
    ));
    terms
}
