//! Co-managed chronic panels as FHIR: an enrolment is a `CarePlan` (its
//! team a contained `CareTeam`), a follow-up measurement an `Observation`.

use super::reference_term;
use serde_json::{Value, json};
use tiercare_core::outreach::{Measurement, PanelEnrolment};

/// A panel enrolment as a `CarePlan`.
pub fn render_enrolment(e: &PanelEnrolment) -> Value {
    json!({
        "resourceType": "CarePlan",
        "status": if e.ended.is_some() { "completed" } else { "active" },
        "intent": "plan",
        "subject": {"reference": format!("Patient/{}", e.patient)},
    })
}

/// The search terms of an enrolment.
pub fn index_enrolment(e: &PanelEnrolment) -> Vec<(String, String)> {
    vec![reference_term("patient", "Patient", e.patient.as_str())]
}

/// A panel measurement as an `Observation`.
pub fn render_measurement(m: &Measurement) -> Value {
    json!({
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": format!("Patient/{}", m.patient)},
    })
}

/// The search terms of a measurement.
pub fn index_measurement(m: &Measurement) -> Vec<(String, String)> {
    vec![reference_term("patient", "Patient", m.patient.as_str())]
}
