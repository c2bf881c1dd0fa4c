//! E-consults as `ServiceRequest` (category consult) and their messages as
//! `Communication`.
//!
//! A consult's messages live inside the consult record, so a message and
//! the state it moves (open to answered) are written together. Message `n`
//! (counting from 1; the question is 1) is `Communication/{consult}-{n}`.

use super::datatypes::{extension_url, system};
use super::referral::{ICD10, instant};
use super::{ParamKind, SearchParam, reference_term};
use serde_json::{Value, json};
use tiercare_core::consult::{Consult, ConsultState, Message};
use tiercare_core::referral::Side;

/// SNOMED CT "Consultation" as the category of an e-consult.
pub const CONSULT_CATEGORY: &str = "11429006";

/// The coarse `ServiceRequest.status` of a consult.
fn status(c: &Consult) -> &'static str {
    match c.state {
        ConsultState::Open | ConsultState::Answered => "active",
        ConsultState::Closed { .. } => "completed",
    }
}

/// A consult as a FHIR `ServiceRequest`.
pub fn render(c: &Consult) -> Value {
    let mut ext = vec![
        json!({"url": extension_url("consult-state"),
               "valueCoding": {"system": system("consult-state"), "code": c.state.code()}}),
        json!({"url": extension_url("consult-mode"),
               "valueCoding": {"system": system("consult-mode"), "code": c.mode.code(),
                               "display": c.mode.display()}}),
        json!({"url": extension_url("referring-organization"),
               "valueReference": {"reference": format!("Organization/{}", c.from)}}),
    ];
    if let Some(t) = c.response_time() {
        ext.push(json!({"url": extension_url("response-time"),
                        "valueDuration": {"value": t.whole_minutes(), "unit": "min",
                                          "system": "http://unitsofmeasure.org", "code": "min"}}));
    }
    if let ConsultState::Closed { outcome, .. } = &c.state {
        ext.push(json!({"url": extension_url("consult-outcome"),
                        "valueCoding": {"system": system("consult-outcome"), "code": outcome.code(),
                                        "display": outcome.display()}}));
    }
    let mut performer = vec![json!({"reference": format!("Organization/{}", c.to)})];
    if let Some(s) = &c.specialist {
        performer.insert(0, json!({"reference": format!("Practitioner/{s}")}));
    }
    let mut v = json!({
        "resourceType": "ServiceRequest",
        "extension": ext,
        "status": status(c),
        "intent": "order",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": CONSULT_CATEGORY,
                                  "display": "Consultation"}]}],
        "code": {"coding": [{"system": system("consult-mode"), "code": c.mode.code(),
                             "display": c.mode.display()}]},
        "subject": {"reference": format!("Patient/{}", c.patient)},
        "authoredOn": instant(c.asked_at),
        "requester": {"reference": format!("Practitioner/{}", c.requester)},
        "performerType": {"coding": [{"system": system("specialty"), "code": c.specialty.code()}]},
        "performer": performer,
        "note": [{"text": c.messages.first().map(|m| m.text.as_str()).unwrap_or_default()}],
    });
    if let Some(code) = &c.condition {
        v["reasonCode"] = json!([{"coding": [{"system": ICD10, "code": code.to_string()}]}]);
    }
    if let ConsultState::Closed {
        referral: Some(r), ..
    } = &c.state
    {
        v["supportingInfo"] = json!([{"reference": format!("ServiceRequest/{r}"),
                                      "display": "The referral made on this advice"}]);
    }
    v
}

/// Search terms of a consult: the same worklist terms as a referral, so
/// "incoming" and "awaiting my action" show both.
pub fn index(c: &Consult) -> Vec<(String, String)> {
    let mut t = vec![
        ("category".into(), "consult".into()),
        reference_term("patient", "Patient", c.patient.as_str()),
        reference_term("subject", "Patient", c.patient.as_str()),
        reference_term("requester", "Practitioner", c.requester.as_str()),
        reference_term("performer", "Organization", c.to.as_str()),
        reference_term("referrer", "Organization", c.from.as_str()),
        reference_term("party", "Organization", c.from.as_str()),
        reference_term("party", "Organization", c.to.as_str()),
        ("status".into(), status(c).into()),
        ("state".into(), c.state.code().into()),
        ("authored".into(), instant(c.asked_at)),
    ];
    if let Some(s) = &c.specialist {
        t.push(reference_term("performer", "Practitioner", s.as_str()));
    }
    match c.state {
        ConsultState::Open => t.push(reference_term("owner", "Organization", c.to.as_str())),
        ConsultState::Answered => t.push(reference_term("owner", "Organization", c.from.as_str())),
        ConsultState::Closed { .. } => {}
    }
    t
}

/// The id of message `n` (from 1) of a consult.
pub fn message_id(c: &Consult, n: usize) -> String {
    format!("{}-{n}", c.id)
}

/// Splits a `Communication` id into the consult id and the message number.
pub fn split_message_id(id: &str) -> Option<(&str, usize)> {
    let (consult, n) = id.rsplit_once('-')?;
    let n: usize = n.parse().ok()?;
    (n >= 1).then_some((consult, n))
}

/// Message `n` (from 1) as a FHIR `Communication`.
pub fn render_message(c: &Consult, n: usize, m: &Message) -> Value {
    let recipient = match m.side {
        Side::Referrer => match &c.specialist {
            Some(s) => format!("Practitioner/{s}"),
            None => format!("Organization/{}", c.to),
        },
        Side::Receiver => format!("Practitioner/{}", c.requester),
    };
    let kind = if n == 1 {
        "question"
    } else if m.side == Side::Receiver {
        "answer"
    } else {
        "follow-up"
    };
    json!({
        "resourceType": "Communication",
        "id": message_id(c, n),
        "basedOn": [{"reference": format!("ServiceRequest/{}", c.id)}],
        "status": "completed",
        "category": [{"coding": [{"system": system("consult-message"), "code": kind}]}],
        "subject": {"reference": format!("Patient/{}", c.patient)},
        "sent": instant(m.at),
        "sender": {"reference": format!("Practitioner/{}", m.author)},
        "recipient": [{"reference": recipient}],
        "payload": [{"contentString": m.text}],
    })
}

/// Search parameters of `Communication` (consult messages).
pub const COMMUNICATION_SEARCH: &[SearchParam] = &[SearchParam {
    name: "based-on",
    kind: ParamKind::Reference("ServiceRequest"),
    doc: "The consult (required): its messages in order",
}];
