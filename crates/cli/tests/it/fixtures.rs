//! Valid FHIR bodies for each registry type, as a client would send them
//! (the shapes of `crates/api/src/fhir/*`).

use serde_json::{Value, json};

pub const CS: &str = "https://tiercare.org/fhir/CodeSystem";
pub const SD: &str = "https://tiercare.org/fhir/StructureDefinition";
pub const SID: &str = "https://tiercare.org/fhir/sid";
pub const CONTRACT_URL: &str =
    "https://tiercare.org/fhir/StructureDefinition/family-doctor-contract";

/// A CodeableConcept with one coding from one of tiercare's code systems.
pub fn concept(system: &str, code: &str) -> Value {
    json!({"coding": [{"system": format!("{CS}/{system}"), "code": code}]})
}

/// An institution (`Organization` with level and kind).
pub fn institution(name: &str, level: &str, kind: &str) -> Value {
    json!({
        "resourceType": "Organization",
        "extension": [{
            "url": format!("{SD}/region"),
            "valueCode": "zx"
        }, {
            "url": format!("{SD}/capacity"),
            "extension": [
                {"url": "physicians", "valueInteger": 12},
                {"url": "daily-outpatient-slots", "valueInteger": 300},
                {"url": "beds", "valueInteger": 40}
            ]
        }],
        "identifier": [{"system": format!("{SID}/institution-licence"), "value": "12429999TEST0001"}],
        "active": true,
        "type": [concept("level", level), concept("institution-kind", kind)],
        "name": name,
        "address": [{
            "extension": [{
                "url": "http://hl7.org/fhir/StructureDefinition/geolocation",
                "extension": [
                    {"url": "latitude", "valueDecimal": 30.25},
                    {"url": "longitude", "valueDecimal": 112.5}
                ]
            }],
            "text": "1 Riverside Road",
            "district": "Hekou Town"
        }]
    })
}

/// A medical alliance (`Organization` of category alliance).
pub fn alliance(name: &str, lead: &str) -> Value {
    json!({
        "resourceType": "Organization",
        "extension": [
            {
                "url": format!("{SD}/alliance-closeness"),
                "valueCoding": {"system": format!("{CS}/alliance-closeness"), "code": "loose"}
            },
            {
                "url": format!("{SD}/alliance-lead"),
                "valueReference": {"reference": format!("Organization/{lead}")}
            }
        ],
        "active": true,
        "type": [
            concept("organization-category", "alliance"),
            concept("alliance-kind", "specialist-league")
        ],
        "name": name
    })
}

/// Membership of an institution in an alliance.
pub fn affiliation(alliance: &str, member: &str, role: &str) -> Value {
    json!({
        "resourceType": "OrganizationAffiliation",
        "active": true,
        "period": {"start": "2025-03-01"},
        "organization": {"reference": format!("Organization/{alliance}")},
        "participatingOrganization": {"reference": format!("Organization/{member}")},
        "code": [concept("alliance-role", role)]
    })
}

/// A site or ward of an institution.
pub fn location(name: &str, institution: &str) -> Value {
    json!({
        "resourceType": "Location",
        "status": "active",
        "name": name,
        "address": {"text": "2 Hospital Lane", "district": "Central District"},
        "position": {"longitude": 112.25, "latitude": 30.5},
        "managingOrganization": {"reference": format!("Organization/{institution}")}
    })
}

pub fn practitioner(family: &str, given: &str, licence: &str) -> Value {
    json!({
        "resourceType": "Practitioner",
        "identifier": [{"system": format!("{SID}/practitioner-licence"), "value": licence}],
        "active": true,
        "name": [{"family": family, "given": [given]}],
        "gender": "female"
    })
}

/// A practitioner's role; `specialty` is a specialty code or None.
pub fn role(practitioner: &str, institution: &str, role: &str, specialty: Option<&str>) -> Value {
    let mut v = json!({
        "resourceType": "PractitionerRole",
        "active": true,
        "practitioner": {"reference": format!("Practitioner/{practitioner}")},
        "organization": {"reference": format!("Organization/{institution}")},
        "code": [concept("practitioner-role", role)]
    });
    if let Some(s) = specialty {
        v["specialty"] = json!([concept("specialty", s)]);
    }
    v
}

/// A family-doctor team; the first member leads it.
pub fn care_team(name: &str, institution: &str, members: &[&str]) -> Value {
    let participant: Vec<Value> = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({
                "role": [concept("team-role", if i == 0 { "lead" } else { "member" })],
                "member": {"reference": format!("Practitioner/{m}")}
            })
        })
        .collect();
    json!({
        "resourceType": "CareTeam",
        "status": "active",
        "name": name,
        "participant": participant,
        "managingOrganization": [{"reference": format!("Organization/{institution}")}]
    })
}

/// A resident with a family-doctor contract with `team` (or none).
pub fn patient(family: &str, given: &str, team: Option<&str>) -> Value {
    let mut v = json!({
        "resourceType": "Patient",
        "identifier": [{"system": format!("{SID}/resident-id"), "value": format!("TEST-{family}-{given}")}],
        "active": true,
        "name": [{"family": family, "given": [given]}],
        "telecom": [{"system": "phone", "value": "10012345678", "use": "mobile"}],
        "gender": "male",
        "birthDate": "1950-05-06",
        "address": [{"district": "Hekou Town"}]
    });
    if let Some(t) = team {
        v["extension"] = json!([contract(t, "2025-12-15")]);
    }
    v
}

/// The family-doctor contract extension.
pub fn contract(team: &str, signed: &str) -> Value {
    json!({
        "url": CONTRACT_URL,
        "extension": [
            {"url": "team", "valueReference": {"reference": format!("CareTeam/{team}")}},
            {"url": "signed", "valueDate": signed}
        ]
    })
}
