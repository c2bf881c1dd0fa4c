//! Designated emergency centres as `HealthcareService`: `category` a
//! coding of tiercare's `emergency-centre` system (the kind),
//! `providedBy` the institution, `characteristic` one coding of the
//! `emergency-capability` system per capability, `availableTime` its hours
//! (`allDay`, or one daily window that may run past midnight), and the
//! accreditation, the catchment and the transfer agreements as tiercare
//! extensions (`centre-accreditation`, `centre-catchment`,
//! `transfer-agreement`), since R4 has no element for them.
//!
//! The routing rule reads nothing else, so a body with any other element
//! is refused rather than kept in part.

use crate::datatypes::{CodeableConcept, Coding, Reference, extension_url, system};
use crate::{from_json, name_terms, our_code, reference_term, required_id, token_terms};
use serde::Deserialize;
use serde_json::{Value, json};
use tiercare_core::CentreId;
use tiercare_core::emergency::{
    Accreditation, Capability, Centre, CentreKind, EmergencyCentre, Hours,
};
use tiercare_service::ServiceError;

/// The code system of centre kinds (`chest-pain`, `stroke`, …).
pub const CENTRE_KIND: &str = "emergency-centre";
/// The code system of what a centre can do (`pci`, `thrombolysis`, …).
pub const CAPABILITY: &str = "emergency-capability";
/// The code system of accreditation levels (`standard`, `basic`,
/// `treatment-unit`).
pub const ACCREDITATION: &str = "centre-accreditation";

pub mod case;
pub mod measures;
pub mod triage;

const F: &str = "HealthcareService";

fn coding(system_name: &str, code: &str, display: &str) -> Value {
    json!({"system": system(system_name), "code": code, "display": display})
}

fn organization(id: &str) -> Value {
    json!({"reference": format!("Organization/{id}")})
}

/// `HH:MM:SS` of a minute of the day.
fn time_of(minute: u16) -> String {
    format!("{:02}:{:02}:00", minute / 60, minute % 60)
}

/// A centre as a FHIR `HealthcareService`.
pub fn render_centre(c: &EmergencyCentre) -> Value {
    let a = c.centre.accreditation;
    let mut extension = vec![json!({"url": extension_url("centre-accreditation"),
        "valueCoding": coding(ACCREDITATION, a.code(), a.display())})];
    for (name, list) in [
        ("centre-catchment", &c.catchment),
        ("transfer-agreement", &c.transfers_to),
    ] {
        extension.extend(list.iter().map(
            |i| json!({"url": extension_url(name), "valueReference": organization(i.as_str())}),
        ));
    }
    let available = match c.centre.hours {
        Hours::Always => json!({"allDay": true}),
        Hours::Daily {
            from_minute,
            to_minute,
        } => json!({"availableStartTime": time_of(from_minute),
                    "availableEndTime": time_of(to_minute)}),
    };
    let k = c.centre.kind;
    json!({
        "resourceType": "HealthcareService",
        "extension": extension,
        "active": c.active,
        "providedBy": organization(c.institution.as_str()),
        "category": [{"coding": [coding(CENTRE_KIND, k.code(), k.display())]}],
        "name": c.name,
        "characteristic": c.centre.capabilities.iter()
            .map(|x| json!({"coding": [coding(CAPABILITY, x.code(), x.display())]}))
            .collect::<Vec<_>>(),
        "availableTime": [available],
    })
}

/// Search terms of a centre: `organization` its institution,
/// `service-category` its kind, `characteristic` each capability,
/// `catchment` each institution it takes emergencies from, `name`,
/// `active`.
pub fn index_centre(c: &EmergencyCentre) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("organization", "Organization", c.institution.as_str()),
        ("active".into(), c.active.to_string()),
    ];
    t.extend(name_terms("name", &c.name));
    t.extend(token_terms(
        "service-category",
        CENTRE_KIND,
        c.centre.kind.code(),
    ));
    for x in &c.centre.capabilities {
        t.extend(token_terms("characteristic", CAPABILITY, x.code()));
    }
    for i in &c.catchment {
        t.push(reference_term("catchment", "Organization", i.as_str()));
    }
    t
}

/// Whether a `HealthcareService` body is a centre: its category names a
/// coding of the `emergency-centre` system.
pub fn is_centre(value: &Value) -> bool {
    super::datatypes::category_coding(value, CENTRE_KIND).is_some()
}

/// An extension as a centre carries it: a coding or a reference.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Ext {
    url: String,
    value_coding: Option<Coding>,
    value_reference: Option<Reference>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AvailableTime {
    all_day: Option<bool>,
    available_start_time: Option<String>,
    available_end_time: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
struct CentreJson {
    id: Option<String>,
    extension: Vec<Ext>,
    active: Option<bool>,
    provided_by: Option<Reference>,
    category: Vec<CodeableConcept>,
    name: Option<String>,
    characteristic: Vec<CodeableConcept>,
    available_time: Vec<AvailableTime>,
}

/// A minute of the day from a FHIR `time` (`HH:MM:SS`); tiercare keeps
/// minutes, so the seconds must be zero.
fn minute_of(text: &str, field: &str) -> Result<u16, ServiceError> {
    let bad = || {
        ServiceError::invalid(
            field,
            format!("{text:?} is not a time of day HH:MM:00 (00:00:00 to 23:59:00)"),
        )
    };
    let parts: Vec<&str> = text.split(':').collect();
    let [h, m, s] = parts[..] else {
        return Err(bad());
    };
    let num = |p: &str| {
        (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u16>().ok())
            .flatten()
    };
    match (num(h), num(m), s) {
        (Some(h), Some(m), "00") if h < 24 && m < 60 => Ok(h * 60 + m),
        _ => Err(bad()),
    }
}

fn hours(list: &[AvailableTime]) -> Result<Hours, ServiceError> {
    let field = "HealthcareService.availableTime";
    let t = match list {
        [] => return Ok(Hours::Always),
        [t] => t,
        _ => return Err(ServiceError::invalid(field, "give one daily window")),
    };
    match (t.all_day, &t.available_start_time, &t.available_end_time) {
        (Some(true), None, None) => Ok(Hours::Always),
        (None | Some(false), Some(from), Some(to)) => Ok(Hours::Daily {
            from_minute: minute_of(from, &format!("{field}[0].availableStartTime"))?,
            to_minute: minute_of(to, &format!("{field}[0].availableEndTime"))?,
        }),
        _ => Err(ServiceError::invalid(
            field,
            "either allDay true, or availableStartTime and availableEndTime",
        )),
    }
}

/// The code of `system_name` in `c`. An unknown code is a malformed
/// centre (refused as invalid input, naming the codes it takes), since
/// the kinds, capabilities and accreditations are a closed list.
fn coded<T: Copy>(
    c: Option<&str>,
    field: &str,
    system_name: &str,
    all: &[T],
    code_of: impl Fn(T) -> &'static str,
) -> Result<T, ServiceError> {
    let from_code = |s: &str| all.iter().copied().find(|x| code_of(*x) == s);
    our_code(c, field, from_code, system_name).map_err(|e| match e {
        ServiceError::Rule { message, .. } => {
            let codes: Vec<&str> = all.iter().map(|x| code_of(*x)).collect();
            ServiceError::invalid(field, format!("{message}; use {}", codes.join(", ")))
        }
        other => other,
    })
}

/// A centre from a `HealthcareService`, with id `id`. A centre is active
/// unless the body says otherwise; without `availableTime` it is open at
/// all hours.
pub fn parse_centre(value: Value, id: CentreId) -> Result<EmergencyCentre, ServiceError> {
    let j: CentreJson = from_json(F, value)?;
    let _ = j.id;
    let kind = match &j.category[..] {
        [c] => coded(
            c.code_in(CENTRE_KIND),
            "HealthcareService.category",
            CENTRE_KIND,
            CentreKind::ALL,
            CentreKind::code,
        )?,
        _ => {
            return Err(ServiceError::invalid(
                "HealthcareService.category",
                "give one category: the kind of centre",
            ));
        }
    };
    let institution = required_id(
        j.provided_by.as_ref(),
        &["Organization"],
        "HealthcareService.providedBy",
        "the institution running the centre is required",
    )?;
    let mut capabilities = Vec::new();
    for (i, c) in j.characteristic.iter().enumerate() {
        let field = format!("HealthcareService.characteristic[{i}]");
        capabilities.push(coded(
            c.code_in(CAPABILITY),
            &field,
            CAPABILITY,
            Capability::ALL,
            Capability::code,
        )?);
    }
    let (mut accreditation, mut catchment, mut transfers_to) = (None, Vec::new(), Vec::new());
    for e in &j.extension {
        let field = |name: &str| format!("HealthcareService.extension({name})");
        if e.url == extension_url("centre-accreditation") {
            let field = field("centre-accreditation");
            if accreditation.is_some() {
                return Err(ServiceError::invalid(&field, "give it once"));
            }
            let code = e.value_coding.as_ref().and_then(|c| {
                (c.system.as_deref() == Some(&system(ACCREDITATION)))
                    .then_some(c.code.as_deref())
                    .flatten()
            });
            accreditation = Some(coded(
                code,
                &field,
                ACCREDITATION,
                Accreditation::ALL,
                Accreditation::code,
            )?);
        } else if e.url == extension_url("centre-catchment") {
            let field = field("centre-catchment");
            let missing = "a valueReference to an Organization is required";
            catchment.push(required_id(
                e.value_reference.as_ref(),
                &["Organization"],
                &field,
                missing,
            )?);
        } else if e.url == extension_url("transfer-agreement") {
            let field = field("transfer-agreement");
            let missing = "a valueReference to an Organization is required";
            transfers_to.push(required_id(
                e.value_reference.as_ref(),
                &["Organization"],
                &field,
                missing,
            )?);
        } else {
            return Err(ServiceError::invalid(
                "HealthcareService.extension",
                format!(
                    "extension {} is not supported here; a centre takes centre-accreditation, centre-catchment and transfer-agreement",
                    e.url
                ),
            ));
        }
    }
    let accreditation = accreditation.ok_or_else(|| {
        ServiceError::invalid(
            "HealthcareService.extension(centre-accreditation)",
            "the accreditation is required",
        )
    })?;
    Ok(EmergencyCentre {
        id,
        name: j.name.unwrap_or_default(),
        institution,
        centre: Centre {
            kind,
            accreditation,
            hours: hours(&j.available_time)?,
            capabilities,
        },
        catchment,
        transfers_to,
        active: j.active.unwrap_or(true),
    })
}

/// A code system as the terminology service lists it: id, title, and
/// each concept's code and display.
pub type CodeSystemRows = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

/// The code systems of centres, for the terminology service.
pub fn code_systems() -> Vec<CodeSystemRows> {
    vec![
        (
            CENTRE_KIND,
            "Kind of designated emergency centre",
            CentreKind::ALL
                .iter()
                .map(|k| (k.code(), k.display()))
                .collect(),
        ),
        (
            CAPABILITY,
            "What a place can do for an emergency",
            Capability::ALL
                .iter()
                .map(|k| (k.code(), k.display()))
                .collect(),
        ),
        (
            ACCREDITATION,
            "Accreditation level of an emergency centre",
            Accreditation::ALL
                .iter()
                .map(|k| (k.code(), k.display()))
                .collect(),
        ),
    ]
}

#[cfg(test)]
mod tests;
