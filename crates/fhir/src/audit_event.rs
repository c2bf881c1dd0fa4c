//! The audit trail as FHIR `AuditEvent`.

use serde_json::{Value, json};
use tiercare_store::{AuditEntry, AuditOutcome};

/// Renders one audit entry.
pub fn render(a: &AuditEntry) -> Value {
    let action = match a.action.as_str() {
        "create" => "C",
        "update" => "U",
        "read" | "vread" | "search" => "R",
        _ => "E",
    };
    let outcome = match a.outcome {
        AuditOutcome::Success => "0",
        AuditOutcome::Denied | AuditOutcome::Failed => "4",
    };
    let interaction = match a.action.as_str() {
        "search" => "search-type",
        other => other,
    };
    let mut entity = Vec::new();
    if let Some(p) = &a.patient {
        entity.push(json!({
            "what": {"reference": format!("Patient/{p}")},
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person"},
            "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"},
        }));
    }
    if let Some(id) = &a.resource_id
        && a.patient.as_deref() != Some(id.as_str())
    {
        entity.push(json!({"what": {"reference": format!("{}/{}", a.resource_type, id)}}));
    }
    let mut v = json!({
        "resourceType": "AuditEvent",
        "id": a.seq.to_string(),
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "RESTful Operation"},
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": interaction}],
        "action": action,
        "recorded": a.recorded_at,
        "outcome": outcome,
        "outcomeDesc": a.detail,
        "agent": [{
            "who": {"identifier": {"system": "https://tiercare.org/fhir/sid/username", "value": a.username}, "display": a.username},
            "role": [{"coding": [{"system": "https://tiercare.org/fhir/CodeSystem/user-role", "code": a.role}]}],
            "requestor": true,
        }],
        "source": {"site": "tiercare", "observer": {"display": "tiercare"}},
    });
    if !entity.is_empty() {
        v["entity"] = Value::Array(entity);
    }
    if a.detail.is_empty()
        && let Value::Object(m) = &mut v
    {
        m.remove("outcomeDesc");
    }
    v
}
