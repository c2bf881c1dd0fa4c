//! Results as `Observation` and `DiagnosticReport`, and essential-medicines
//! lists as `List`.

use super::datatypes::{extension_url, system};
use super::referral::instant;
use super::{ParamKind, SearchParam, reference_term};
use serde_json::{Value, json};
use tiercare_core::clinical::{DiagnosticReport, Observation, ResultValue, TestCode};
use tiercare_core::medicines::EssentialMedicines;
use tiercare_service::ServiceError;
use time::OffsetDateTime;

pub const LOINC: &str = "http://loinc.org";
pub const ATC: &str = "http://www.whocc.no/atc";

fn test_code(test: &TestCode, name: &str) -> Value {
    json!({"coding": [{"system": LOINC, "code": test.as_str(), "display": name}], "text": name})
}

/// A result as a FHIR `Observation`.
pub fn render_observation(o: &Observation) -> Value {
    let mut v = json!({
        "resourceType": "Observation",
        "status": "final",
        "code": test_code(&o.test, &o.name),
        "subject": {"reference": format!("Patient/{}", o.patient)},
        "effectiveDateTime": instant(o.effective),
        "performer": [
            {"reference": format!("Organization/{}", o.performer)},
            {"reference": format!("Practitioner/{}", o.recorded_by)}
        ],
    });
    match &o.value {
        ResultValue::Quantity { value, unit } => {
            v["valueQuantity"] = json!({"value": value, "unit": unit});
        }
        ResultValue::Text { text } => v["valueString"] = json!(text),
    }
    v
}

pub fn index_observation(o: &Observation) -> Vec<(String, String)> {
    vec![
        reference_term("patient", "Patient", o.patient.as_str()),
        reference_term("subject", "Patient", o.patient.as_str()),
        reference_term("performer", "Organization", o.performer.as_str()),
        ("code".into(), o.test.as_str().into()),
        ("code".into(), format!("{LOINC}|{}", o.test)),
        ("date".into(), instant(o.effective)),
    ]
}

/// An examination report as a FHIR `DiagnosticReport`.
pub fn render_report(r: &DiagnosticReport) -> Value {
    let mut v = json!({
        "resourceType": "DiagnosticReport",
        "status": "final",
        "code": test_code(&r.test, &r.name),
        "subject": {"reference": format!("Patient/{}", r.patient)},
        "effectiveDateTime": instant(r.effective),
        "performer": [
            {"reference": format!("Organization/{}", r.performer)},
            {"reference": format!("Practitioner/{}", r.recorded_by)}
        ],
        "conclusion": r.conclusion,
    });
    if !r.results.is_empty() {
        v["result"] = r
            .results
            .iter()
            .map(|o| json!({"reference": format!("Observation/{o}")}))
            .collect();
    }
    if let Some(order) = &r.based_on {
        v["basedOn"] = json!([{"reference": format!("ServiceRequest/{order}")}]);
    }
    if !r.findings.is_empty() {
        v["conclusionCode"] = r
            .findings
            .iter()
            .map(|f| {
                json!({"coding": [{"system": "http://snomed.info/sct", "code": f.code,
                                   "display": f.display}]})
            })
            .collect();
    }
    v
}

pub fn index_report(r: &DiagnosticReport) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("patient", "Patient", r.patient.as_str()),
        reference_term("subject", "Patient", r.patient.as_str()),
        reference_term("performer", "Organization", r.performer.as_str()),
        ("code".into(), r.test.as_str().into()),
        ("code".into(), format!("{LOINC}|{}", r.test)),
        ("date".into(), instant(r.effective)),
    ];
    if let Some(order) = &r.based_on {
        t.push(reference_term("based-on", "ServiceRequest", order.as_str()));
    }
    t
}

/// Search parameters of `Observation` and `DiagnosticReport`.
pub const RESULT_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam::PATIENT,
    SearchParam::SUBJECT,
    SearchParam {
        name: "performer",
        kind: ParamKind::Reference("Organization"),
        doc: "The institution that made the test",
    },
    SearchParam {
        name: "code",
        kind: ParamKind::Token,
        doc: "LOINC code of the test",
    },
];

/// An institution's essential-medicines list as a FHIR `List`.
/// A prescribed medicine as a `CodeableConcept`: the ATC coding displays
/// the catalogue's name of the code (never the code itself); `text` keeps
/// the name the prescriber used, or the catalogue's when they gave none.
pub fn medicine_concept(m: &tiercare_core::clinical::MedicineUse) -> Value {
    let known = tiercare_core::medicines::catalogue_entry(&m.medicine);
    let given = Some(m.name.trim()).filter(|n| !n.is_empty() && *n != m.medicine.as_str());
    let display = known.map(|k| k.name.as_str()).or(given);
    let mut coding = json!({"system": ATC, "code": m.medicine.as_str()});
    if let Some(d) = display {
        coding["display"] = json!(d);
    }
    let mut concept = json!({"coding": [coding]});
    if let Some(text) = given.or(display) {
        concept["text"] = json!(text);
    }
    concept
}

pub fn render_medicines(m: &EssentialMedicines) -> Value {
    json!({
        "resourceType": "List",
        "extension": [{"url": extension_url("institution"),
                       "valueReference": {"reference": format!("Organization/{}", m.institution)}}],
        "status": "current",
        "mode": "working",
        "title": format!("Essential medicines stocked by Organization/{}", m.institution),
        "code": {"coding": [{"system": system("list-kind"), "code": "essential-medicines",
                             "display": "Essential medicines list"}]},
        "entry": m.medicines.iter().map(|(code, name)| json!({
            "item": {"identifier": {"system": ATC, "value": code.as_str()}, "display": name}
        })).collect::<Vec<_>>(),
    })
}

pub fn index_medicines(m: &EssentialMedicines) -> Vec<(String, String)> {
    let mut terms = vec![
        reference_term("institution", "Organization", m.institution.as_str()),
        ("code".into(), "essential-medicines".into()),
    ];
    terms.extend(
        m.medicines
            .keys()
            .map(|c| ("item".into(), c.as_str().to_lowercase())),
    );
    terms
}

/// Search parameters of `List`.
pub const LIST_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "institution",
        kind: ParamKind::Reference("Organization"),
        doc: "The institution whose list it is",
    },
    SearchParam {
        name: "item",
        kind: ParamKind::Token,
        doc: "ATC code of a medicine on the list",
    },
];

/// An essential-medicines `List` as sent: the `institution` extension and
/// one entry per medicine, identified by its ATC code.
pub fn parse_medicines(value: Value, id: &str) -> Result<tiercare_core::Record, ServiceError> {
    use tiercare_core::medicines::MedicineCode;
    let known = [
        "resourceType",
        "id",
        "meta",
        "extension",
        "status",
        "mode",
        "title",
        "code",
        "entry",
    ];
    super::only_elements(&value, "List", &known)?;
    let institution = super::items(&value, "extension")
        .find(|e| e.get("url").and_then(Value::as_str) == Some(&extension_url("institution")))
        .and_then(|e| e.pointer("/valueReference/reference"))
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("Organization/"))
        .ok_or_else(|| {
            ServiceError::invalid(
                "List.extension:institution",
                "the institution whose list it is (an Organization reference) is required",
            )
        })?;
    let mut medicines = std::collections::BTreeMap::new();
    for (i, e) in super::items(&value, "entry").enumerate() {
        let field = format!("List.entry[{i}].item.identifier");
        if e.pointer("/item/identifier/system").and_then(Value::as_str) != Some(ATC) {
            return Err(ServiceError::invalid(
                field,
                format!("each medicine is identified in {ATC}"),
            ));
        }
        let code = e
            .pointer("/item/identifier/value")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let code = MedicineCode::new(code)
            .map_err(|err| ServiceError::invalid(&field, err.to_string()))?;
        let name = e
            .pointer("/item/display")
            .and_then(Value::as_str)
            .unwrap_or(code.as_str())
            .to_string();
        medicines.insert(code, name);
    }
    Ok(tiercare_core::Record::MedicinesList(EssentialMedicines {
        id: super::typed_id(id, "List.id")?,
        institution: super::typed_id(institution, "List.extension:institution")?,
        medicines,
    }))
}

/// Reads a FHIR `dateTime` with a time zone (a date alone is taken as
/// midnight UTC).
pub fn parse_instant(text: &str, field: &str) -> Result<OffsetDateTime, ServiceError> {
    use crate::primitives::{DateTime, PartialDate, PrimitiveError, date_time};
    match date_time(text) {
        Ok(DateTime::At(t)) => Ok(t),
        Ok(DateTime::Date(PartialDate::Day(d))) => Ok(d.midnight().assume_utc()),
        Err(e @ PrimitiveError::NoSuchDay(_)) => Err(ServiceError::invalid(field, e.to_string())),
        Ok(DateTime::Date(_)) | Err(_) => Err(ServiceError::invalid(
            field,
            format!(
                "{text:?} is not a FHIR dateTime with a time zone (YYYY-MM-DDThh:mm:ssZ or +hh:mm) or a full date"
            ),
        )),
    }
}

/// The LOINC test of a result's `code`.
pub fn parse_test(value: &Value, resource_type: &str) -> Result<(TestCode, String), ServiceError> {
    let field = format!("{resource_type}.code");
    let coding = value
        .pointer("/code/coding")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.get("system").and_then(Value::as_str) == Some(LOINC))
        })
        .ok_or_else(|| {
            ServiceError::invalid(&field, format!("a coding from {LOINC} is required"))
        })?;
    let code = coding
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let test = TestCode::new(code).map_err(|e| ServiceError::invalid(&field, e.to_string()))?;
    let name = value
        .pointer("/code/text")
        .or_else(|| coding.get("display"))
        .and_then(Value::as_str)
        .unwrap_or(code)
        .to_string();
    Ok((test, name))
}

/// The value of an `Observation`: `valueQuantity` or `valueString`.
pub fn parse_value(value: &Value) -> Result<ResultValue, ServiceError> {
    match (value.get("valueQuantity"), value.get("valueString")) {
        (Some(q), None) => {
            let v = q.get("value").and_then(Value::as_f64).ok_or_else(|| {
                ServiceError::invalid("Observation.valueQuantity.value", "a number is required")
            })?;
            let unit = q
                .get("unit")
                .or_else(|| q.get("code"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            Ok(ResultValue::Quantity {
                value: v,
                unit: unit.to_string(),
            })
        }
        (None, Some(Value::String(s))) => Ok(ResultValue::Text { text: s.clone() }),
        _ => Err(ServiceError::invalid(
            "Observation.value[x]",
            "give exactly one of valueQuantity or valueString",
        )),
    }
}
