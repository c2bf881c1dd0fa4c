//! Resource-sharing hubs as `HealthcareService` (category the kind of
//! study, `providedBy` the institution, the member institutions as
//! extensions), reading orders as `ServiceRequest` (category the kind,
//! `performer` the hub), their acquisitions as `supportingInfo` (a `Media`
//! in an outside archive, or an `Observation`), and their reports as the
//! `DiagnosticReport`s of [`crate::clinical`], `basedOn` the order.

use super::datatypes::{extension_url, system};
use super::reference_term;
use super::referral::instant;
use serde_json::{Value, json};
use tiercare_core::hub::{Acquisition, Hub, ReadingOrder, ReadingState};

/// The code system of hub kinds (`ecg`, `imaging`, …).
pub const HUB_KIND: &str = "hub-kind";

fn kind_concept(o: tiercare_core::hub::HubKind) -> Value {
    json!({"coding": [{"system": system(HUB_KIND), "code": o.code(), "display": o.display()}]})
}

/// A hub as a FHIR `HealthcareService`.
pub fn render_hub(h: &Hub) -> Value {
    let extension: Vec<Value> = h
        .members
        .iter()
        .map(|m| {
            json!({"url": extension_url("hub-member"),
                   "valueReference": {"reference": format!("Organization/{m}")}})
        })
        .collect();
    json!({
        "resourceType": "HealthcareService",
        "extension": extension,
        "active": h.active,
        "providedBy": {"reference": format!("Organization/{}", h.institution)},
        "category": [kind_concept(h.kind)],
        "name": h.name,
    })
}

/// Search terms of a hub.
pub fn index_hub(h: &Hub) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("organization", "Organization", h.institution.as_str()),
        ("active".into(), h.active.to_string()),
        ("name".into(), h.name.to_lowercase()),
    ];
    for m in &h.members {
        t.push(reference_term("member", "Organization", m.as_str()));
    }
    t.extend(crate::index_terms::token_terms(
        "service-category",
        HUB_KIND,
        h.kind.code(),
    ));
    t
}

/// The coarse `ServiceRequest.status` of a reading order.
fn status(o: &ReadingOrder) -> &'static str {
    match o.state {
        ReadingState::Ordered | ReadingState::Taken { .. } => "active",
        ReadingState::Reported { .. } => "completed",
        ReadingState::Cancelled { .. } => "revoked",
    }
}

/// A reading order as a FHIR `ServiceRequest`.
pub fn render_order(o: &ReadingOrder) -> Value {
    let mut ext = vec![
        json!({"url": extension_url("reading-state"),
               "valueCoding": {"system": system("reading-state"), "code": o.state.code()}}),
        json!({"url": extension_url("referring-organization"),
               "valueReference": {"reference": format!("Organization/{}", o.from)}}),
        json!({"url": extension_url("reading-due"), "valueDateTime": instant(o.due)}),
    ];
    match &o.state {
        ReadingState::Taken { reader, .. } | ReadingState::Reported { reader, .. } => {
            ext.push(json!({"url": extension_url("reading-reader"),
                            "valueReference": {"reference": format!("Practitioner/{reader}")}}));
        }
        _ => {}
    }
    if let ReadingState::Reported { report, .. } = &o.state {
        ext.push(json!({"url": extension_url("reading-report"),
                        "valueReference": {"reference": format!("DiagnosticReport/{report}")}}));
    }
    if let Some(c) = &o.charge {
        ext.push(
            json!({"url": extension_url("reading-charge"), "extension": [
                {"url": "fee", "valueMoney": crate::insurance::money(c.fee)},
                {"url": "hub-share", "valueMoney": crate::insurance::money(c.hub_share)},
            ]}),
        );
    }
    if let Some(alert) = o.alert() {
        let mut parts = vec![
            json!({"url": "finding", "valueString": alert.finding}),
            json!({"url": "raised", "valueDateTime": instant(alert.raised_at)}),
        ];
        if let Some(a) = &alert.acknowledged {
            parts.push(json!({"url": "acknowledged-by",
                              "valueReference": {"reference": format!("Practitioner/{}", a.by)}}));
            parts.push(json!({"url": "acknowledged", "valueDateTime": instant(a.at)}));
            if let Some(r) = &a.referral {
                parts.push(json!({"url": "referral",
                                  "valueReference": {"reference": format!("ServiceRequest/{r}")}}));
            }
        }
        ext.push(json!({"url": extension_url("critical-alert"), "extension": parts}));
    }
    let (code, display) = o.kind.report_code();
    let mut v = json!({
        "resourceType": "ServiceRequest",
        "extension": ext,
        "status": status(o),
        "intent": "order",
        "category": [kind_concept(o.kind)],
        "priority": o.priority.code(),
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]},
        "subject": {"reference": format!("Patient/{}", o.patient)},
        "authoredOn": instant(o.ordered_at),
        "requester": {"reference": format!("Practitioner/{}", o.requester)},
        "performer": [{"reference": format!("HealthcareService/{}", o.hub)}],
        "reasonCode": [{"text": o.question}],
    });
    match &o.acquisition {
        Some(Acquisition::Media { url }) => {
            v["supportingInfo"] = json!([{"reference": url, "type": "Media"}]);
        }
        Some(Acquisition::Observation { id }) => {
            v["supportingInfo"] = json!([{"reference": format!("Observation/{id}")}]);
        }
        None => {}
    }
    v
}

/// Search terms of a reading order: `performer` the hub (its queue),
/// `party` both institutions (as referrals and consults, so the same
/// scoping finds them), `state` where it stands, `alert` while a critical
/// alert waits for acknowledgement.
pub fn index_order(o: &ReadingOrder) -> Vec<(String, String)> {
    let mut t = vec![
        ("category".into(), o.kind.code().into()),
        ("category".into(), "reading".into()),
        reference_term("patient", "Patient", o.patient.as_str()),
        reference_term("subject", "Patient", o.patient.as_str()),
        reference_term("requester", "Practitioner", o.requester.as_str()),
        reference_term("performer", "HealthcareService", o.hub.as_str()),
        reference_term("referrer", "Organization", o.from.as_str()),
        reference_term("party", "Organization", o.from.as_str()),
        reference_term("party", "Organization", o.hub_institution.as_str()),
        ("status".into(), status(o).into()),
        ("state".into(), o.state.code().into()),
        ("priority".into(), o.priority.code().into()),
        ("authored".into(), instant(o.ordered_at)),
    ];
    if o.alert_open() {
        t.push(("alert".into(), "open".into()));
    }
    t
}
