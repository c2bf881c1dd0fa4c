//! `HealthcareService/$triage` in FHIR terms: the `Parameters` read into
//! the service's request, and the answer written as `Parameters` (the
//! rule, each step's destination, centre, treatment and travel minutes).

use crate::datatypes::system;
use crate::parameters::Inputs;
use crate::primitives::instant;
use serde_json::{Value, json};
use tiercare_core::InstitutionId;
use tiercare_core::emergency::Emergency;
use tiercare_service::ServiceError;
use tiercare_service::emergency::{Contact, Destination, Triage, TriageRequest};

/// The code system of the routing rule's branches (`direct-pci`, …).
pub const RULE: &str = "emergency-rule";
/// The code system of what is done at a step (`pci`, `stabilise`, …).
pub const TREATMENT: &str = "emergency-treatment";
/// The code system of the five emergencies.
pub const EMERGENCY: &str = "emergency";

/// The request of a `$triage` call: each input checked and refused naming
/// it (an unknown emergency, both or neither of `from` and the
/// coordinates, one coordinate alone, a negative onset, a moment without
/// its time or offset).
pub fn triage_request(inputs: &Inputs) -> Result<TriageRequest, ServiceError> {
    let code = inputs.required_text("emergency")?;
    let emergency = Emergency::from_code(code).ok_or_else(|| {
        ServiceError::invalid(
            "emergency",
            format!(
                "unknown emergency {code:?}: stemi, acute-stroke, major-trauma, obstetric-emergency or critically-ill-newborn"
            ),
        )
    })?;
    let latitude = inputs.decimal("latitude")?;
    let longitude = inputs.decimal("longitude")?;
    let from = match (inputs.reference("from"), latitude, longitude) {
        (Some(id), None, None) => Contact::Institution(
            InstitutionId::new(id).map_err(|e| ServiceError::invalid("from", e.to_string()))?,
        ),
        (None, Some(latitude), Some(longitude)) => Contact::Roadside {
            latitude,
            longitude,
        },
        (Some(_), _, _) => {
            return Err(ServiceError::invalid(
                "from",
                "give from or latitude and longitude, not both",
            ));
        }
        (None, Some(_), None) => {
            return Err(ServiceError::invalid(
                "longitude",
                "latitude needs longitude: give both, or from",
            ));
        }
        (None, None, Some(_)) => {
            return Err(ServiceError::invalid(
                "latitude",
                "longitude needs latitude: give both, or from",
            ));
        }
        (None, None, None) => {
            return Err(ServiceError::invalid(
                "from",
                "where is the patient? give from (an Organization) or latitude and longitude",
            ));
        }
    };
    let onset_minutes = match inputs.number("onset-minutes") {
        None => 0,
        Some(n) => u32::try_from(n).map_err(|_| {
            ServiceError::invalid(
                "onset-minutes",
                format!("onset-minutes counts minutes since onset, 0 or more, not {n}"),
            )
        })?,
    };
    let at = match inputs.text("at") {
        None => None,
        Some(text) => Some(instant(text).map_err(|e| {
            ServiceError::invalid(
                "at",
                format!("at is a moment with its time of day and offset: {e}"),
            )
        })?),
    };
    Ok(TriageRequest {
        emergency,
        from,
        onset_minutes,
        large_vessel: inputs.flag("large-vessel").unwrap_or(false),
        at,
    })
}

fn coding(system_name: &str, code: &str, display: &str) -> Value {
    json!({"system": system(system_name), "code": code, "display": display})
}

/// The parts of one step: where, by which centre, what is done, how far.
fn step_parts(d: &Destination) -> Vec<Value> {
    let mut parts = vec![json!({
        "name": "destination",
        "valueReference": {
            "reference": format!("Organization/{}", d.step.institution),
            "display": d.name,
        },
    })];
    if let Some(centre) = &d.centre {
        parts.push(json!({
            "name": "centre",
            "valueReference": {"reference": format!("HealthcareService/{centre}")},
        }));
    }
    let t = d.step.treatment;
    parts.push(
        json!({"name": "treatment", "valueCoding": coding(TREATMENT, t.code(), t.display())}),
    );
    parts.push(json!({"name": "travel-minutes", "valueInteger": d.step.travel_minutes}));
    parts
}

/// The answer of `$triage` as `Parameters`: `rule`, the first step's
/// parts at the top level, and `then` with the same parts when the first
/// place only bridges (lysis or stabilisation before a transfer).
pub fn render_triage(t: &Triage) -> Value {
    let rule = t.decision.rule;
    let mut parameter = vec![json!({
        "name": "rule",
        "valueCoding": coding(RULE, rule.code(), rule.display()),
    })];
    parameter.extend(step_parts(&t.first));
    if let Some(then) = &t.then {
        parameter.push(json!({"name": "then", "part": step_parts(then)}));
    }
    json!({"resourceType": "Parameters", "parameter": parameter})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::HEALTHCARE_SERVICE_TRIAGE;
    use tiercare_core::emergency::{Decision, Rule, Step, Treatment};

    fn read(list: Value) -> Result<TriageRequest, ServiceError> {
        let body = json!({"resourceType": "Parameters", "parameter": list});
        triage_request(&Inputs::read(&HEALTHCARE_SERVICE_TRIAGE, &body)?)
    }

    fn field(r: Result<TriageRequest, ServiceError>) -> String {
        r.err()
            .and_then(|e| e.field().map(String::from))
            .unwrap_or_default()
    }

    #[test]
    fn a_request_is_read_with_its_defaults_and_refused_by_name() {
        let stemi = json!({"name": "emergency", "valueCode": "acute-stroke"});
        let r = read(json!([stemi, {"name": "latitude", "valueDecimal": 31.5},
            {"name": "longitude", "valueInteger": 114}]))
        .unwrap();
        assert_eq!(r.emergency, Emergency::Stroke);
        assert_eq!(
            r.from,
            Contact::Roadside {
                latitude: 31.5,
                longitude: 114.0
            }
        );
        assert_eq!((r.onset_minutes, r.large_vessel, r.at), (0, false, None));
        let r = read(json!([stemi,
            {"name": "from", "valueReference": {"reference": "Organization/zx-tc1"}},
            {"name": "at", "valueDateTime": "2026-03-01T19:00:00Z"}]))
        .unwrap();
        assert_eq!(r.at.map(|t| t.hour()), Some(19));
        assert_eq!(
            field(read(
                json!([{"name": "emergency", "valueCode": "flu"}, {"name": "latitude", "valueDecimal": 1}, {"name": "longitude", "valueDecimal": 1}])
            )),
            "emergency"
        );
        assert_eq!(
            field(read(
                json!([stemi, {"name": "latitude", "valueDecimal": 1}])
            )),
            "longitude"
        );
        assert_eq!(field(read(json!([stemi]))), "from");
        assert_eq!(
            field(read(json!([stemi, {"name": "latitude", "valueDecimal": 1},
                {"name": "longitude", "valueDecimal": 1},
                {"name": "onset-minutes", "valueInteger": -1}]))),
            "onset-minutes"
        );
    }

    #[test]
    fn the_answer_names_each_step_and_the_bridge_in_then() {
        let step = |at: &str, treatment, travel_minutes| Step {
            institution: InstitutionId::new(at).unwrap(),
            travel_minutes,
            treatment,
        };
        let first = step("zx-tc6", Treatment::Thrombolysis, 0);
        let then = step("zx-t1", Treatment::Pci, 54);
        let t = Triage {
            decision: Decision {
                first: first.clone(),
                then: Some(then.clone()),
                rule: Rule::LysisThenPci,
            },
            first: Destination {
                step: first,
                name: "石板镇卫生院".into(),
                centre: Some(tiercare_core::CentreId::new("ctr-zx-tc6-chest-pain").unwrap()),
            },
            then: Some(Destination {
                step: then,
                name: "孝感市中心医院".into(),
                centre: None,
            }),
            at: time::OffsetDateTime::UNIX_EPOCH,
            minute: 0,
        };
        let v = render_triage(&t);
        let p = &v["parameter"];
        assert_eq!(p[0]["valueCoding"]["code"], "lysis-then-pci");
        assert_eq!(p[1]["valueReference"]["reference"], "Organization/zx-tc6");
        assert_eq!(p[1]["valueReference"]["display"], "石板镇卫生院");
        assert_eq!(
            p[2]["valueReference"]["reference"],
            "HealthcareService/ctr-zx-tc6-chest-pain"
        );
        assert_eq!(p[3]["valueCoding"]["code"], "thrombolysis");
        assert_eq!(p[4]["valueInteger"], 0);
        let then = &p[5];
        assert_eq!(then["name"], "then");
        let names: Vec<&str> = then["part"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x["name"].as_str())
            .collect();
        assert_eq!(names, ["destination", "treatment", "travel-minutes"]);
    }
}
