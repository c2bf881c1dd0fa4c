//! Referrals as `ServiceRequest` (category referral) and appointment slots
//! as `Slot`.
//!
//! The `ServiceRequest` is the request as the referrer made it: patient,
//! requester, receiving institution, priority, reason and summary. Its
//! `status` follows the loop coarsely (active while open, completed once
//! the visit is done, revoked when declined, returned or cancelled); the
//! fine state is in the `referral-state` extension, and will be carried by
//! the referral's `Task`.

use super::datatypes::{extension_url, system};
use super::reference_term;
use serde_json::{Value, json};
use tiercare_core::booking::{Slot, SlotStatus};
use tiercare_core::referral::{Priority, Referral, ReferralState};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// ICD-10, as FHIR names it.
const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";

fn instant(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// FHIR's `request-priority` for a referral priority.
pub fn fhir_priority(p: Priority) -> &'static str {
    match p {
        Priority::Routine => "routine",
        Priority::Urgent => "urgent",
        Priority::Emergency => "stat",
    }
}

/// The coarse `ServiceRequest.status` of a referral state.
pub fn request_status(state: &ReferralState) -> &'static str {
    match state {
        ReferralState::Requested
        | ReferralState::Accepted
        | ReferralState::Booked { .. }
        | ReferralState::Arrived { .. }
        | ReferralState::NoShow { .. } => "active",
        ReferralState::Completed { .. } | ReferralState::Closed => "completed",
        ReferralState::Declined { .. }
        | ReferralState::Returned { .. }
        | ReferralState::Cancelled { .. } => "revoked",
    }
}

/// A referral as a FHIR `ServiceRequest`.
pub fn render(r: &Referral) -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "extension": [
            {"url": extension_url("referral-direction"),
             "valueCoding": {"system": system("referral-direction"), "code": r.direction().code()}},
            {"url": extension_url("referral-state"),
             "valueCoding": {"system": system("referral-state"), "code": r.state.code()}},
            {"url": extension_url("referring-organization"),
             "valueReference": {"reference": format!("Organization/{}", r.from)}}
        ],
        "status": request_status(&r.state),
        "intent": "order",
        "category": [{"coding": [{
            "system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"
        }]}],
        "priority": fhir_priority(r.priority),
        "code": {"coding": [{"system": system("referral-setting"), "code": r.setting.code(),
                             "display": r.setting.display()}]},
        "subject": {"reference": format!("Patient/{}", r.patient)},
        "authoredOn": instant(r.requested_at),
        "requester": {"reference": format!("Practitioner/{}", r.requester)},
        "performerType": {"coding": [{"system": system("specialty"), "code": r.specialty.code()}]},
        "performer": [{"reference": format!("Organization/{}", r.to)}],
        "reasonCode": [{"coding": [{"system": ICD10, "code": r.condition.to_string()}]}],
        "note": [{"text": r.summary}]
    })
}

/// Search terms of a referral: the worklists are searches on these.
pub fn index(r: &Referral) -> Vec<(String, String)> {
    vec![
        reference_term("patient", "Patient", r.patient.as_str()),
        reference_term("subject", "Patient", r.patient.as_str()),
        reference_term("requester", "Practitioner", r.requester.as_str()),
        reference_term("performer", "Organization", r.to.as_str()),
        reference_term("referrer", "Organization", r.from.as_str()),
        ("status".into(), request_status(&r.state).into()),
        ("state".into(), r.state.code().into()),
        ("priority".into(), fhir_priority(r.priority).into()),
        ("direction".into(), r.direction().code().into()),
        ("authored".into(), instant(r.requested_at)),
    ]
}

/// The FHIR `Slot.status` of a slot as the world sees it now (a lapsed
/// hold is free).
pub fn slot_status(s: &Slot, now: OffsetDateTime) -> &'static str {
    match s.status_at(now) {
        SlotStatus::Free => "free",
        SlotStatus::Held { .. } => "busy-tentative",
        SlotStatus::Booked { .. } => "busy",
    }
}

/// A slot as a FHIR `Slot`.
pub fn render_slot(s: &Slot) -> Value {
    let mut v = json!({
        "resourceType": "Slot",
        "extension": [{"url": extension_url("reserved-for-referral"), "valueBoolean": s.reserved}],
        "serviceType": [{"coding": [{"system": system("specialty"), "code": s.specialty.code()}]}],
        "schedule": {"reference": format!("Schedule/{}", s.schedule)},
        "status": slot_status(s, OffsetDateTime::now_utc()),
        "start": instant(s.start),
        "end": instant(s.end),
    });
    if s.reserved {
        v["comment"] = json!("Reserved for referrals from primary care until released");
    }
    v
}

/// Search terms of a slot. `status` is as stored: a lapsed hold still
/// reads `busy-tentative` here and is treated as free when booking.
pub fn index_slot(s: &Slot) -> Vec<(String, String)> {
    vec![
        reference_term("schedule", "Schedule", s.schedule.as_str()),
        reference_term("organization", "Organization", s.institution.as_str()),
        ("service-type".into(), s.specialty.code().into()),
        ("start".into(), instant(s.start)),
        ("reserved".into(), s.reserved.to_string()),
        (
            "status".into(),
            match &s.status {
                SlotStatus::Free => "free",
                SlotStatus::Held { .. } => "busy-tentative",
                SlotStatus::Booked { .. } => "busy",
            }
            .into(),
        ),
    ]
}
