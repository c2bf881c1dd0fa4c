//! Residents as `Patient`, with their family-doctor contract.
//!
//! The contract is the extension `family-doctor-contract` (team, signed,
//! ends); `generalPractitioner` is derived from it (the team's institution
//! and lead family doctor) and is not read on input. Key groups are the
//! repeating extension `key-group`.

use super::datatypes::*;
use super::{
    ParamKind, SearchParam, format_date, from_json, gender, human_names, identifier_terms,
    our_code, parse_date, person_name, reference_term, required_id, token_terms, typed_id,
    with_type,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tiercare_core::resident::{Contract, KeyGroup, Resident};
use tiercare_core::{Record, RegionId};
use tiercare_service::ServiceError;

const RESIDENT_ID: &str = "resident-id";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PatientJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    identifier: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    name: Vec<HumanName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    telecom: Vec<ContactPoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    address: Vec<Address>,
    /// Derived from the contract; accepted on input and not kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    general_practitioner: Vec<Reference>,
}

pub const SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "identifier",
        kind: ParamKind::Token,
        doc: "Resident identity or health card number",
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
        name: "birthdate",
        kind: ParamKind::Date,
        doc: "Date of birth, YYYY-MM-DD",
    },
    SearchParam {
        name: "general-practitioner",
        kind: ParamKind::Reference("Practitioner"),
        doc: "Contracted family doctor (Practitioner/ID) or primary institution (Organization/ID)",
    },
    SearchParam {
        name: "care-team",
        kind: ParamKind::Reference("CareTeam"),
        doc: "Contracted family-doctor team",
    },
    SearchParam {
        name: "key-group",
        kind: ParamKind::Token,
        doc: "elderly, chronic or low-income",
    },
    SearchParam {
        name: "address-district",
        kind: ParamKind::String,
        doc: "District or township of residence",
    },
];

fn contract_extension(c: &Contract) -> Extension {
    let mut ext = Extension::ours("family-doctor-contract");
    ext.extension.push(Extension {
        url: "team".into(),
        value_reference: Some(Reference::to("CareTeam", c.team.as_str())),
        ..Default::default()
    });
    ext.extension.push(Extension {
        url: "signed".into(),
        value_date: Some(format_date(c.signed_on)),
        ..Default::default()
    });
    if let Some(end) = c.ends_on {
        ext.extension.push(Extension {
            url: "ends".into(),
            value_date: Some(format_date(end)),
            ..Default::default()
        });
    }
    ext
}

pub fn render(r: &Resident) -> Value {
    let mut extension: Vec<Extension> = r
        .key_groups
        .iter()
        .map(|g| Extension {
            value_coding: Some(Coding::ours("key-group", g.code(), g.display())),
            ..Extension::ours("key-group")
        })
        .collect();
    let mut gp = Vec::new();
    if let Some(c) = &r.contract {
        extension.push(contract_extension(c));
        if let Some(i) = &c.institution {
            gp.push(Reference::to("Organization", i.as_str()));
        }
        if let Some(d) = &c.family_doctor {
            gp.push(Reference::to("Practitioner", d.as_str()));
        }
    }
    let j = PatientJson {
        extension,
        identifier: r
            .identifier
            .iter()
            .map(|v| Identifier::ours(RESIDENT_ID, v))
            .collect(),
        active: Some(true),
        name: human_names(&r.name),
        telecom: r
            .phone
            .iter()
            .map(|p| ContactPoint {
                system: Some("phone".into()),
                value: Some(p.clone()),
                use_: Some("mobile".into()),
            })
            .collect(),
        gender: Some(r.gender.code().into()),
        birth_date: Some(format_date(r.birth_date)),
        address: r
            .district
            .iter()
            .map(|d| Address {
                district: Some(d.clone()),
                ..Default::default()
            })
            .collect(),
        general_practitioner: gp,
        ..Default::default()
    };
    with_type("Patient", &j)
}

fn parse_contract(ext: &Extension) -> Result<Contract, ServiceError> {
    let field = "Patient.extension:family-doctor-contract";
    let part = |name: &str| ext.extension.iter().find(|e| e.url == name);
    let team = required_id(
        part("team").and_then(|e| e.value_reference.as_ref()),
        &["CareTeam"],
        field,
        "the contract needs its team (CareTeam reference)",
    )?;
    let signed = part("signed")
        .and_then(|e| e.value_date.as_deref())
        .ok_or_else(|| ServiceError::invalid(field, "the contract needs the date it was signed"))?;
    Ok(Contract {
        team,
        institution: None,
        family_doctor: None,
        signed_on: parse_date(signed, field)?,
        ends_on: part("ends")
            .and_then(|e| e.value_date.as_deref())
            .map(|d| parse_date(d, field))
            .transpose()?,
    })
}

/// A `Patient` as a resident; `today` is the server's day, and a birth
/// date after it is refused.
pub fn parse(
    value: Value,
    id: &str,
    region: &RegionId,
    today: time::Date,
) -> Result<Record, ServiceError> {
    let j: PatientJson = from_json("Patient", value)?;
    let birth = j
        .birth_date
        .as_deref()
        .ok_or_else(|| ServiceError::invalid("Patient.birthDate", "birthDate is required"))?;
    let mut key_groups = Vec::new();
    for e in find_extensions(&j.extension, "key-group") {
        let code = e.value_coding.as_ref().and_then(|c| c.code.as_deref());
        key_groups.push(our_code(
            code,
            "Patient.extension:key-group",
            KeyGroup::from_code,
            "key-group",
        )?);
    }
    let mut contracts = find_extensions(&j.extension, "family-doctor-contract");
    let contract = contracts.next().map(parse_contract).transpose()?;
    if contracts.next().is_some() {
        return Err(ServiceError::rule(
            "Patient.extension:family-doctor-contract",
            "a resident has at most one family-doctor contract",
        ));
    }
    super::only_extensions(
        &j.extension,
        &["key-group", "family-doctor-contract"],
        "Patient.extension",
    )?;
    let resident = Resident {
        id: typed_id(id, "Patient.id")?,
        region: region.clone(),
        identifier: j.identifier.iter().find_map(|i| i.value.clone()),
        name: person_name(&j.name, "Patient.name")?,
        gender: gender(j.gender.as_deref())?,
        birth_date: born_by(parse_date(birth, "Patient.birthDate")?, today)?,
        district: j
            .address
            .iter()
            .find_map(|a| a.district.clone().or_else(|| a.city.clone())),
        phone: j
            .telecom
            .iter()
            .find(|t| t.system.as_deref() == Some("phone"))
            .and_then(|t| t.value.clone()),
        key_groups,
        contract,
    };
    resident
        .validate()
        .map_err(|e| ServiceError::rule(format!("Patient.{}", e.field), e.to_string()))?;
    Ok(Record::Resident(resident))
}

/// Index terms: the day a contract starts and the last day it is in force;
/// the registry service searches by them.
pub use tiercare_service::registry::{CONTRACT_FROM, CONTRACT_UNTIL};

/// A birth date no later than `today`: a resident born in the future is a
/// typing error (9999 for "unknown"), and would break every age the
/// services compute.
fn born_by(birth: time::Date, today: time::Date) -> Result<time::Date, ServiceError> {
    if birth > today {
        return Err(ServiceError::invalid(
            "Patient.birthDate",
            format!(
                "birthDate {} is in the future (after the server's today, {}): a birth date cannot be",
                format_date(birth),
                format_date(today)
            ),
        ));
    }
    Ok(birth)
}

pub fn index(r: &Resident) -> Vec<(String, String)> {
    let mut t = super::practitioner::name_terms(&r.name);
    if let Some(v) = &r.identifier {
        t.extend(identifier_terms(RESIDENT_ID, v));
    }
    t.push(("gender".into(), r.gender.code().into()));
    t.push(("birthdate".into(), format_date(r.birth_date)));
    for g in &r.key_groups {
        t.extend(token_terms("key-group", "key-group", g.code()));
    }
    if let Some(d) = &r.district {
        t.extend(super::name_terms("address-district", d));
    }
    if let Some(c) = &r.contract {
        t.push(reference_term("care-team", "CareTeam", c.team.as_str()));
        // Internal terms (not search parameters): access checks that the
        // contract is in force; an open-ended contract runs to 9999.
        t.push((CONTRACT_FROM.into(), format_date(c.signed_on)));
        t.push((
            CONTRACT_UNTIL.into(),
            c.ends_on
                .map_or_else(|| "9999-12-31".to_string(), format_date),
        ));
        if let Some(i) = &c.institution {
            t.push(reference_term(
                "general-practitioner",
                "Organization",
                i.as_str(),
            ));
        }
        if let Some(d) = &c.family_doctor {
            t.push(reference_term(
                "general-practitioner",
                "Practitioner",
                d.as_str(),
            ));
        }
    }
    t
}
