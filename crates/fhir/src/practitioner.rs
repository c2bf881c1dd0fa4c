//! Practitioners and their roles at institutions.

use super::datatypes::*;
use super::{
    ParamKind, SearchParam, from_json, gender, human_names, identifier_terms, our_code,
    person_name, pinyin_spellings, reference_term, referenced_id, string_terms, token_terms,
    typed_id, with_type,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tiercare_core::network::{
    DayOfWeek, Practitioner, PractitionerRole, PractitionerRoleKind, RolePeriod,
};
use tiercare_core::{Record, RegionId, Specialty};
use tiercare_service::ServiceError;

const LICENCE: &str = "practitioner-licence";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PractitionerJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    identifier: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    name: Vec<HumanName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gender: Option<String>,
}

pub const SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "identifier",
        kind: ParamKind::Token,
        doc: "Practising licence number",
    },
    SearchParam {
        name: "name",
        kind: ParamKind::String,
        doc: "Any part of the name, starts-with",
    },
    SearchParam {
        name: "family",
        kind: ParamKind::String,
        doc: "Family name, starts-with",
    },
    SearchParam {
        name: "given",
        kind: ParamKind::String,
        doc: "Given name, starts-with",
    },
    SearchParam {
        name: "gender",
        kind: ParamKind::Token,
        doc: "Administrative gender",
    },
    SearchParam {
        name: "active",
        kind: ParamKind::Token,
        doc: "true or false",
    },
];

pub const ROLE_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "practitioner",
        kind: ParamKind::Reference("Practitioner"),
        doc: "The practitioner",
    },
    SearchParam {
        name: "organization",
        kind: ParamKind::Reference("Organization"),
        doc: "The institution",
    },
    SearchParam {
        name: "role",
        kind: ParamKind::Token,
        doc: "family-doctor, specialist, referral-coordinator, nurse",
    },
    SearchParam {
        name: "specialty",
        kind: ParamKind::Token,
        doc: "Specialty code",
    },
    SearchParam {
        name: "active",
        kind: ParamKind::Token,
        doc: "true or false",
    },
];

pub fn render(p: &Practitioner) -> Value {
    let j = PractitionerJson {
        identifier: p
            .licence
            .iter()
            .map(|v| Identifier::ours(LICENCE, v))
            .collect(),
        active: Some(p.active),
        name: human_names(&p.name),
        gender: Some(p.gender.code().into()),
        ..Default::default()
    };
    with_type("Practitioner", &j)
}

pub fn parse(value: Value, id: &str, region: &RegionId) -> Result<Record, ServiceError> {
    let j: PractitionerJson = from_json("Practitioner", value)?;
    let p = Practitioner {
        id: typed_id(id, "Practitioner.id")?,
        region: region.clone(),
        name: person_name(&j.name, "Practitioner.name")?,
        licence: j.identifier.iter().find_map(|i| i.value.clone()),
        gender: gender(j.gender.as_deref())?,
        active: j.active.unwrap_or(true),
    };
    Ok(Record::Practitioner(p))
}

/// Index terms shared by everything that has a person's name.
///
/// A name in hanzi has no spaces to split words at, so its family and
/// given names are terms of `name` on their own (as the words of a latin
/// name are). Each is also found by its pinyin: the one stored with the
/// name, and the one derived from the hanzi, with every reading of the
/// surname's first character (曾 is Zeng as a surname), so "wang",
/// "wangfang" and "wang fang" all find 王芳.
pub(crate) fn name_terms(name: &tiercare_core::network::PersonName) -> Vec<(String, String)> {
    let mut t = string_terms("name", &name.full());
    t.extend(string_terms("family", &name.family));
    t.extend(string_terms("given", &name.given));
    let family_py = pinyin_spellings(&name.family, true);
    let given_py = pinyin_spellings(&name.given, false);
    for (param, spellings) in [("family", &family_py), ("given", &given_py)] {
        for (together, spaced) in spellings {
            for v in [together, spaced] {
                t.push((param.into(), v.clone()));
                t.push(("name".into(), v.clone()));
            }
        }
    }
    if !family_py.is_empty() || !given_py.is_empty() {
        t.extend(string_terms("name", &name.family));
        t.extend(string_terms("name", &name.given));
        // The whole name in pinyin: each surname reading with the given
        // name's common one, together and spaced.
        let (given, given_spaced) = given_py.first().cloned().unwrap_or_default();
        for (family, family_spaced) in &family_py {
            t.push(("name".into(), format!("{family}{given}")));
            let spaced = format!("{family_spaced} {given_spaced}");
            t.push(("name".into(), spaced.trim().to_string()));
        }
    }
    if let Some(p) = &name.pinyin {
        t.extend(string_terms("name", &p.full()));
        t.push((
            "name".into(),
            format!("{}{}", p.family, p.given).to_lowercase(),
        ));
        t.extend(string_terms("family", &p.family));
        t.extend(string_terms("given", &p.given));
    }
    t.retain(|(_, v)| !v.is_empty());
    t
}

pub fn index(p: &Practitioner) -> Vec<(String, String)> {
    let mut t = name_terms(&p.name);
    if let Some(v) = &p.licence {
        t.extend(identifier_terms(LICENCE, v));
    }
    t.push(("gender".into(), p.gender.code().into()));
    t.push(("active".into(), p.active.to_string()));
    t
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RoleJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    practitioner: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    organization: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    code: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    specialty: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    available_time: Vec<AvailableTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period: Option<Period>,
}

/// The days a multi-site practitioner works at the role's institution
/// (`PractitionerRole.availableTime.daysOfWeek`); times of day are not
/// kept, so they are refused rather than dropped.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AvailableTime {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    days_of_week: Vec<String>,
}

pub fn render_role(r: &PractitionerRole) -> Value {
    let j = RoleJson {
        active: Some(r.active),
        practitioner: Some(Reference::to("Practitioner", r.practitioner.as_str())),
        organization: Some(Reference::to("Organization", r.institution.as_str())),
        code: vec![CodeableConcept::ours(
            "practitioner-role",
            r.role.code(),
            r.role.display(),
        )],
        specialty: r
            .specialty
            .iter()
            .map(|s| CodeableConcept::ours("specialty", s.code(), s.display()))
            .collect(),
        available_time: if r.days.is_empty() {
            vec![]
        } else {
            vec![AvailableTime {
                days_of_week: r.days.iter().map(|d| d.code().to_string()).collect(),
            }]
        },
        period: r.period.map(|p| Period {
            start: p.start.map(tiercare_service::days::format_date),
            end: p.end.map(tiercare_service::days::format_date),
        }),
        ..Default::default()
    };
    with_type("PractitionerRole", &j)
}

pub fn parse_role(value: Value, id: &str) -> Result<Record, ServiceError> {
    let j: RoleJson = from_json("PractitionerRole", value)?;
    let pr = j.practitioner.as_ref().ok_or_else(|| {
        ServiceError::invalid("PractitionerRole.practitioner", "practitioner is required")
    })?;
    let org = j.organization.as_ref().ok_or_else(|| {
        ServiceError::invalid("PractitionerRole.organization", "organization is required")
    })?;
    let practitioner = referenced_id(pr, &["Practitioner"], "PractitionerRole.practitioner")?;
    let institution = referenced_id(org, &["Organization"], "PractitionerRole.organization")?;
    let role_code = j.code.iter().find_map(|c| c.code_in("practitioner-role"));
    let role = our_code(
        role_code,
        "PractitionerRole.code",
        PractitionerRoleKind::from_code,
        "practitioner-role",
    )?;
    let specialty = match j.specialty.iter().find_map(|c| c.code_in("specialty")) {
        None if j.specialty.is_empty() => None,
        code => Some(our_code(
            code,
            "PractitionerRole.specialty",
            Specialty::from_code,
            "specialty",
        )?),
    };
    let mut days: Vec<DayOfWeek> = Vec::new();
    for t in &j.available_time {
        for code in &t.days_of_week {
            let day = DayOfWeek::from_code(code).ok_or_else(|| {
                ServiceError::invalid(
                    "PractitionerRole.availableTime.daysOfWeek",
                    format!("{code} is not a day of the week (mon, tue, wed, thu, fri, sat, sun)"),
                )
            })?;
            if days.contains(&day) {
                return Err(ServiceError::invalid(
                    "PractitionerRole.availableTime.daysOfWeek",
                    format!("{code} is named twice"),
                ));
            }
            days.push(day);
        }
    }
    let period = match &j.period {
        None => None,
        Some(p) => {
            let date = |d: &Option<String>, field| {
                d.as_deref()
                    .map(|text| crate::parse_date(text, field))
                    .transpose()
            };
            let period = RolePeriod {
                start: date(&p.start, "PractitionerRole.period.start")?,
                end: date(&p.end, "PractitionerRole.period.end")?,
            };
            if let (Some(start), Some(end)) = (period.start, period.end)
                && end < start
            {
                return Err(ServiceError::invalid(
                    "PractitionerRole.period",
                    "the role's period ends before it starts",
                ));
            }
            Some(period)
        }
    };
    Ok(Record::Role(PractitionerRole {
        id: typed_id(id, "PractitionerRole.id")?,
        practitioner,
        institution,
        role,
        specialty,
        active: j.active.unwrap_or(true),
        days,
        period,
    }))
}

pub fn index_role(r: &PractitionerRole) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("practitioner", "Practitioner", r.practitioner.as_str()),
        reference_term("organization", "Organization", r.institution.as_str()),
        ("active".into(), r.active.to_string()),
    ];
    t.extend(token_terms("role", "practitioner-role", r.role.code()));
    if let Some(s) = r.specialty {
        t.extend(token_terms("specialty", "specialty", s.code()));
    }
    if !r.days.is_empty() {
        // The roles of multi-site practice, found at once for the flows.
        t.push(("multi-site".into(), "true".into()));
    }
    t
}
