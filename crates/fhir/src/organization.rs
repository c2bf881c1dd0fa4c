//! Institutions and alliances as `Organization`; alliance membership as
//! `OrganizationAffiliation`.
//!
//! An institution's `type` carries its level and its kind; an alliance's
//! carries the code `alliance` and its alliance kind, with closeness and
//! lead institution as extensions.

use super::datatypes::*;
use super::{
    ParamKind, SearchParam, format_date, from_json, identifier_terms, name_terms, our_code,
    parse_date, reference_term, referenced_id, required_id, required_name, token_terms, typed_id,
    with_type,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tiercare_core::network::{
    Alliance, AllianceKind, Capacity, Closeness, Department, Institution, InstitutionKind,
    Membership, Place,
};
use tiercare_core::{Level, Record, RegionId, Specialty};
use tiercare_service::ServiceError;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OrganizationJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    identifier: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "type")]
    type_: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// Other names: English and pinyin for an institution named in Chinese.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    alias: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    telecom: Vec<ContactPoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    address: Vec<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    part_of: Option<Reference>,
}

pub const SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "identifier",
        kind: ParamKind::Token,
        doc: "Licence or credit code",
    },
    SearchParam {
        name: "name",
        kind: ParamKind::String,
        doc: "Name or alias, starts-with on any word, case-insensitive; a Chinese name is also found by its pinyin",
    },
    SearchParam {
        name: "type",
        kind: ParamKind::Token,
        doc: "Level (primary/secondary/tertiary), institution kind, 'alliance' or alliance kind",
    },
    SearchParam {
        name: "partof",
        kind: ParamKind::Reference("Organization"),
        doc: "Parent institution",
    },
    SearchParam {
        name: "active",
        kind: ParamKind::Token,
        doc: "true or false",
    },
    SearchParam {
        name: "address-district",
        kind: ParamKind::String,
        doc: "District or township",
    },
];

pub const AFFILIATION_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "primary-organization",
        kind: ParamKind::Reference("Organization"),
        doc: "The alliance",
    },
    SearchParam {
        name: "participating-organization",
        kind: ParamKind::Reference("Organization"),
        doc: "The member institution",
    },
    SearchParam {
        name: "role",
        kind: ParamKind::Token,
        doc: "lead or member",
    },
];

const LICENCE: &str = "institution-licence";

/// The standard `geolocation` extension of an address, which
/// [`address_place`] reads back.
pub(crate) fn geolocation(latitude: f64, longitude: f64) -> Extension {
    let coordinate = |url: &str, value: f64| Extension {
        url: url.into(),
        value_decimal: Some(value),
        ..Default::default()
    };
    Extension {
        url: "http://hl7.org/fhir/StructureDefinition/geolocation".into(),
        extension: vec![
            coordinate("latitude", latitude),
            coordinate("longitude", longitude),
        ],
        ..Default::default()
    }
}

fn place_address(p: &Place) -> Address {
    Address {
        extension: vec![geolocation(p.latitude, p.longitude)],
        text: Some(p.address.clone()),
        district: Some(p.district.clone()),
        ..Default::default()
    }
}

/// Reads a place from an address with the standard geolocation extension.
pub(crate) fn address_place(a: &Address, field: &str) -> Result<Place, ServiceError> {
    let geo = a.extension.iter().find(|e| e.url.ends_with("/geolocation"));
    let coord = |name: &str| -> Result<f64, ServiceError> {
        geo.and_then(|g| g.extension.iter().find(|e| e.url == name))
            .and_then(|e| e.value_decimal)
            .ok_or_else(|| {
                ServiceError::invalid(
                    field,
                    format!("address needs the geolocation extension with {name}"),
                )
            })
    };
    let place = Place {
        address: a
            .text
            .clone()
            .or_else(|| a.line.first().cloned())
            .unwrap_or_default(),
        district: a
            .district
            .clone()
            .or_else(|| a.city.clone())
            .unwrap_or_default(),
        latitude: coord("latitude")?,
        longitude: coord("longitude")?,
    };
    Ok(place)
}

/// The region an institution belongs to. An institution of another region
/// (the prefecture's hospital a county refers to) is registered so that
/// referrals can reach it, but its beds and physicians are not the
/// region's and visits there are visits that left the region.
fn region_extension(r: &RegionId) -> Extension {
    Extension {
        value_code: Some(r.to_string()),
        ..Extension::ours("region")
    }
}

/// A count inside the capacity or a department extension, which [`count`]
/// reads back.
fn count_part(name: &str, n: u32) -> Extension {
    Extension {
        url: name.into(),
        value_integer: Some(n.into()),
        ..Default::default()
    }
}

fn capacity_extension(c: &Capacity) -> Extension {
    let mut ext = Extension::ours("capacity");
    ext.extension = vec![
        count_part("physicians", c.physicians),
        count_part("daily-outpatient-slots", c.daily_outpatient_slots),
        count_part("beds", c.beds),
    ];
    ext
}

fn department_extension(d: &Department) -> Extension {
    let mut ext = Extension::ours("department");
    ext.extension = vec![
        Extension {
            url: "specialty".into(),
            value_coding: Some(Coding::ours(
                "specialty",
                d.specialty.code(),
                d.specialty.display(),
            )),
            ..Default::default()
        },
        count_part("daily-slots", d.daily_slots),
        count_part("beds", d.beds),
    ];
    ext
}

fn count(ext: &Extension, name: &str, field: &str) -> Result<u32, ServiceError> {
    let v = ext
        .extension
        .iter()
        .find(|e| e.url == name)
        .and_then(|e| e.value_integer)
        .unwrap_or(0);
    u32::try_from(v).map_err(|_| {
        ServiceError::invalid(field, format!("{name} must be a whole number 0 or more"))
    })
}

pub fn render_institution(i: &Institution) -> Value {
    let mut extension = vec![region_extension(&i.region), capacity_extension(&i.capacity)];
    extension.extend(i.departments.iter().map(department_extension));
    let o = OrganizationJson {
        extension,
        identifier: i
            .identifier
            .iter()
            .map(|v| Identifier::ours(LICENCE, v))
            .collect(),
        active: Some(i.active),
        type_: vec![
            CodeableConcept::ours("level", i.level.code(), i.level.display()),
            CodeableConcept::ours("institution-kind", i.kind.code(), i.kind.display()),
        ],
        name: Some(i.name.clone()),
        alias: i.alias.clone(),
        address: i.place.iter().map(place_address).collect(),
        part_of: i
            .part_of
            .as_ref()
            .map(|p| Reference::to("Organization", p.as_str())),
        ..Default::default()
    };
    with_type("Organization", &o)
}

pub fn render_alliance(a: &Alliance) -> Value {
    let mut closeness = Extension::ours("alliance-closeness");
    closeness.value_coding = Some(Coding::ours(
        "alliance-closeness",
        a.closeness.code(),
        a.closeness.display(),
    ));
    let mut lead = Extension::ours("alliance-lead");
    lead.value_reference = Some(Reference::to("Organization", a.lead.as_str()));
    let o = OrganizationJson {
        extension: vec![closeness, lead],
        active: Some(true),
        type_: vec![
            CodeableConcept::ours("organization-category", "alliance", "Medical alliance"),
            CodeableConcept::ours("alliance-kind", a.kind.code(), a.kind.display()),
        ],
        name: Some(a.name.clone()),
        alias: a.alias.clone(),
        ..Default::default()
    };
    with_type("Organization", &o)
}

pub fn parse(value: Value, id: &str, region: &RegionId) -> Result<Record, ServiceError> {
    let o: OrganizationJson = from_json("Organization", value)?;
    let name = required_name(o.name.as_ref(), "Organization")?;
    let known = [
        "region",
        "capacity",
        "department",
        "alliance-closeness",
        "alliance-lead",
    ];
    super::only_extensions(&o.extension, &known, "Organization.extension")?;
    let code_in = |sys: &str| o.type_.iter().find_map(|t| t.code_in(sys));
    if code_in("organization-category") == Some("alliance") || code_in("alliance-kind").is_some() {
        let kind = our_code(
            code_in("alliance-kind"),
            "Organization.type",
            AllianceKind::from_code,
            "alliance-kind",
        )?;
        let closeness_code = find_extensions(&o.extension, "alliance-closeness")
            .next()
            .and_then(|e| e.value_coding.as_ref())
            .and_then(|c| c.code.as_deref());
        let closeness = our_code(
            closeness_code,
            "Organization.extension:alliance-closeness",
            Closeness::from_code,
            "alliance-closeness",
        )?;
        let lead = required_id(
            find_extensions(&o.extension, "alliance-lead")
                .next()
                .and_then(|e| e.value_reference.as_ref()),
            &["Organization"],
            "Organization.extension:alliance-lead",
            "an alliance needs its lead institution",
        )?;
        let alliance = Alliance {
            id: typed_id(id, "Organization.id")?,
            region: region.clone(),
            name,
            alias: o.alias.clone(),
            kind,
            closeness,
            lead,
        };
        alliance.validate().map_err(|e| {
            ServiceError::invalid(format!("Organization.{}", e.field), e.to_string())
        })?;
        return Ok(Record::Alliance(alliance));
    }
    let level = our_code(
        code_in("level"),
        "Organization.type",
        Level::from_code,
        "level",
    )?;
    let kind = our_code(
        code_in("institution-kind"),
        "Organization.type",
        InstitutionKind::from_code,
        "institution-kind",
    )?;
    let capacity = match find_extensions(&o.extension, "capacity").next() {
        None => Capacity::default(),
        Some(e) => Capacity {
            physicians: count(e, "physicians", "Organization.extension:capacity")?,
            daily_outpatient_slots: count(
                e,
                "daily-outpatient-slots",
                "Organization.extension:capacity",
            )?,
            beds: count(e, "beds", "Organization.extension:capacity")?,
        },
    };
    let mut departments = Vec::new();
    for e in find_extensions(&o.extension, "department") {
        let field = "Organization.extension:department";
        let code = e
            .extension
            .iter()
            .find(|x| x.url == "specialty")
            .and_then(|x| x.value_coding.as_ref())
            .and_then(|c| c.code.as_deref());
        departments.push(Department {
            specialty: our_code(code, field, Specialty::from_code, "specialty")?,
            daily_slots: count(e, "daily-slots", field)?,
            beds: count(e, "beds", field)?,
        });
    }
    let part_of = o
        .part_of
        .as_ref()
        .map(|r| referenced_id(r, &["Organization"], "Organization.partOf"))
        .transpose()?;
    let region = match find_extensions(&o.extension, "region").next() {
        None => region.clone(),
        Some(e) => typed_id(
            e.value_code.as_deref().unwrap_or_default(),
            "Organization.extension:region",
        )?,
    };
    let institution = Institution {
        id: typed_id(id, "Organization.id")?,
        region,
        name,
        alias: o.alias.clone(),
        identifier: o.identifier.iter().find_map(|i| i.value.clone()),
        kind,
        level,
        part_of,
        place: o
            .address
            .first()
            .map(|a| address_place(a, "Organization.address"))
            .transpose()?,
        departments,
        capacity,
        active: o.active.unwrap_or(true),
    };
    institution
        .validate()
        .map_err(|e| ServiceError::invalid(format!("Organization.{}", e.field), e.to_string()))?;
    Ok(Record::Institution(institution))
}

pub fn index_institution(i: &Institution) -> Vec<(String, String)> {
    let mut t = name_terms("name", &i.name);
    for a in &i.alias {
        t.extend(name_terms("name", a));
    }
    t.extend(token_terms("type", "level", i.level.code()));
    t.extend(token_terms("type", "institution-kind", i.kind.code()));
    if let Some(v) = &i.identifier {
        t.extend(identifier_terms(LICENCE, v));
    }
    if let Some(p) = &i.part_of {
        t.push(reference_term("partof", "Organization", p.as_str()));
    }
    if let Some(p) = &i.place {
        t.extend(name_terms("address-district", &p.district));
    }
    t.push(("active".into(), i.active.to_string()));
    t
}

pub fn index_alliance(a: &Alliance) -> Vec<(String, String)> {
    let mut t = name_terms("name", &a.name);
    for x in &a.alias {
        t.extend(name_terms("name", x));
    }
    t.extend(token_terms("type", "organization-category", "alliance"));
    t.extend(token_terms("type", "alliance-kind", a.kind.code()));
    t.push(("active".into(), "true".into()));
    t
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AffiliationJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period: Option<Period>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    organization: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    participating_organization: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    code: Vec<CodeableConcept>,
}

pub fn render_affiliation(m: &Membership) -> Value {
    let (code, display) = if m.is_lead {
        ("lead", "Lead institution")
    } else {
        ("member", "Member")
    };
    let a = AffiliationJson {
        active: Some(true),
        period: m.since.map(|d| Period {
            start: Some(format_date(d)),
            end: None,
        }),
        organization: Some(Reference::to("Organization", m.alliance.as_str())),
        participating_organization: Some(Reference::to("Organization", m.institution.as_str())),
        code: vec![CodeableConcept::ours("alliance-role", code, display)],
        ..Default::default()
    };
    with_type("OrganizationAffiliation", &a)
}

pub fn parse_affiliation(value: Value, id: &str) -> Result<Record, ServiceError> {
    let a: AffiliationJson = from_json("OrganizationAffiliation", value)?;
    let alliance_ref = a.organization.as_ref().ok_or_else(|| {
        ServiceError::invalid(
            "OrganizationAffiliation.organization",
            "the alliance (organization) is required",
        )
    })?;
    let member_ref = a.participating_organization.as_ref().ok_or_else(|| {
        ServiceError::invalid(
            "OrganizationAffiliation.participatingOrganization",
            "the member institution (participatingOrganization) is required",
        )
    })?;
    let alliance = referenced_id(
        alliance_ref,
        &["Organization"],
        "OrganizationAffiliation.organization",
    )?;
    let institution = referenced_id(
        member_ref,
        &["Organization"],
        "OrganizationAffiliation.participatingOrganization",
    )?;
    let role = a.code.iter().find_map(|c| c.code_in("alliance-role"));
    let is_lead = match role {
        None | Some("member") => false,
        Some("lead") => true,
        Some(other) => {
            return Err(ServiceError::rule(
                "OrganizationAffiliation.code",
                format!("unknown alliance role {other:?}: use lead or member"),
            ));
        }
    };
    let since = a
        .period
        .as_ref()
        .and_then(|p| p.start.as_deref())
        .map(|s| parse_date(s, "OrganizationAffiliation.period.start"))
        .transpose()?;
    Ok(Record::Membership(Membership {
        id: typed_id(id, "OrganizationAffiliation.id")?,
        alliance,
        institution,
        is_lead,
        since,
    }))
}

pub fn index_affiliation(m: &Membership) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("primary-organization", "Organization", m.alliance.as_str()),
        reference_term(
            "participating-organization",
            "Organization",
            m.institution.as_str(),
        ),
    ];
    t.extend(token_terms(
        "role",
        "alliance-role",
        if m.is_lead { "lead" } else { "member" },
    ));
    t
}
