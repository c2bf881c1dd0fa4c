//! Bulk export (FHIR Bulk Data): what one exported resource looks like,
//! whole for an administrator and de-identified for an analyst.
//!
//! De-identification keeps what a commission's researcher counts
//! (levels, codes, dates of care, states, amounts) and removes what names
//! a person: every `name`, `identifier`, `address`, `telecom`, `photo`,
//! `contact` and narrative `text`, free-text `note`s and the `display`
//! beside a reference; a birth date keeps its year. A resident's id, and
//! every reference to it, is replaced by a pseudonym the caller makes, so
//! one export still links a patient's records without naming the
//! patient or the platform's id for them.

use serde_json::{Map, Value};

/// The elements removed from every resource of a de-identified export.
pub const REMOVED: [&str; 9] = [
    "name",
    "identifier",
    "address",
    "telecom",
    "photo",
    "contact",
    "text",
    "note",
    "alias",
];

/// The MIME type of the export's files.
pub const NDJSON: &str = "application/fhir+ndjson";

/// De-identifies one resource in place; `pseudonym` turns a resident's id
/// into the id the export uses for them.
pub fn deidentify(resource: &mut Value, pseudonym: &dyn Fn(&str) -> String) {
    if resource.get("resourceType").and_then(Value::as_str) == Some("Patient")
        && let Some(Value::String(id)) = resource.get_mut("id")
    {
        *id = pseudonym(id);
    }
    if let Some(Value::String(birth)) = resource.get_mut("birthDate") {
        birth.truncate(4);
    }
    scrub(resource, pseudonym);
}

fn scrub(value: &mut Value, pseudonym: &dyn Fn(&str) -> String) {
    match value {
        Value::Object(map) => scrub_object(map, pseudonym),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub(v, pseudonym)),
        _ => {}
    }
}

fn scrub_object(map: &mut Map<String, Value>, pseudonym: &dyn Fn(&str) -> String) {
    for key in REMOVED {
        map.remove(key);
    }
    if let Some(Value::String(reference)) = map.get_mut("reference") {
        if let Some(id) = reference.strip_prefix("Patient/") {
            *reference = format!("Patient/{}", pseudonym(id));
        }
        map.remove("display");
    }
    for child in map.values_mut() {
        scrub(child, pseudonym);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_patient_and_references_to_it_lose_what_names_the_person() {
        let pseudonym = |id: &str| format!("p-{}", id.len());
        let mut patient = json!({
            "resourceType": "Patient", "id": "res-000001",
            "name": [{"family": "王"}], "identifier": [{"value": "110"}],
            "address": [{"city": "河口"}], "telecom": [{"value": "138"}],
            "birthDate": "1970-05-03", "gender": "female",
        });
        deidentify(&mut patient, &pseudonym);
        assert_eq!(
            patient,
            json!({"resourceType": "Patient", "id": "p-10", "birthDate": "1970", "gender": "female"})
        );
        let mut referral = json!({
            "resourceType": "ServiceRequest", "id": "sr-1",
            "subject": {"reference": "Patient/res-000001", "display": "王芳"},
            "note": [{"text": "王芳 prefers mornings"}],
            "performer": [{"reference": "Organization/zx-h1", "display": "ZX hospital"}],
            "category": [{"coding": [{"code": "3457005"}]}],
        });
        deidentify(&mut referral, &pseudonym);
        assert_eq!(referral["subject"], json!({"reference": "Patient/p-10"}));
        assert!(referral.get("note").is_none());
        assert_eq!(referral["category"][0]["coding"][0]["code"], "3457005");
        assert!(!referral.to_string().contains("王"));
    }
}
