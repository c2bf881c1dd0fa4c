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
use super::{ParamKind, SearchParam, reference_term};
use serde_json::{Value, json};
use tiercare_core::InstitutionId;
use tiercare_core::booking::{Appointment, BedPool, Encounter, Slot, SlotStatus};
use tiercare_core::policy::Policy;
use tiercare_core::referral::{Priority, Referral, ReferralState, Side};
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
            FREE_FROM.into(),
            match &s.status {
                SlotStatus::Free => "0000".to_string(),
                SlotStatus::Held { until, .. } => instant(*until),
                SlotStatus::Booked { .. } => "9999".to_string(),
            },
        ),
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

/// Search parameters of `ServiceRequest` (referrals). Worklists are
/// searches: incoming (`performer`), sent (`referrer`, `requester`),
/// awaiting an institution's action (`owner`), and late (`_overdue=true`).
pub const SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "_id",
        kind: ParamKind::Token,
        doc: "Logical id",
    },
    SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient referred",
    },
    SearchParam {
        name: "subject",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient referred",
    },
    SearchParam {
        name: "requester",
        kind: ParamKind::Reference("Practitioner"),
        doc: "The referring doctor",
    },
    SearchParam {
        name: "performer",
        kind: ParamKind::Reference("Organization"),
        doc: "The receiving institution (incoming referrals)",
    },
    SearchParam {
        name: "referrer",
        kind: ParamKind::Reference("Organization"),
        doc: "The referring institution (sent referrals)",
    },
    SearchParam {
        name: "owner",
        kind: ParamKind::Reference("Organization"),
        doc: "The institution whose action the referral awaits",
    },
    SearchParam {
        name: "status",
        kind: ParamKind::Token,
        doc: "ServiceRequest status: active, completed, revoked",
    },
    SearchParam {
        name: "state",
        kind: ParamKind::Token,
        doc: "Step of the loop: requested, accepted, booked, arrived, no-show, completed, closed, declined, returned, cancelled",
    },
    SearchParam {
        name: "priority",
        kind: ParamKind::Token,
        doc: "routine, urgent, stat",
    },
    SearchParam {
        name: "direction",
        kind: ParamKind::Token,
        doc: "upward, downward, lateral",
    },
    SearchParam {
        name: "authored",
        kind: ParamKind::Date,
        doc: "When it was requested (eq, lt, le, gt, ge)",
    },
];

/// Search parameters of `Task` (the referral's workflow). A Task shares its
/// referral's id.
pub const TASK_SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "_id",
        kind: ParamKind::Token,
        doc: "Logical id (the referral's)",
    },
    SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient referred",
    },
    SearchParam {
        name: "owner",
        kind: ParamKind::Reference("Organization"),
        doc: "The institution whose action it awaits",
    },
    SearchParam {
        name: "requester",
        kind: ParamKind::Reference("Practitioner"),
        doc: "The referring doctor",
    },
    SearchParam {
        name: "status",
        kind: ParamKind::Token,
        doc: "requested, accepted, rejected, in-progress, on-hold, completed, cancelled",
    },
    SearchParam {
        name: "business-status",
        kind: ParamKind::Token,
        doc: "Step of the loop (as ServiceRequest `state`)",
    },
];

/// Search parameters of `Slot`.
pub const SLOT_SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "_id",
        kind: ParamKind::Token,
        doc: "Logical id",
    },
    SearchParam {
        name: "schedule",
        kind: ParamKind::Reference("Schedule"),
        doc: "The department's schedule",
    },
    SearchParam {
        name: "organization",
        kind: ParamKind::Reference("Organization"),
        doc: "The institution",
    },
    SearchParam {
        name: "service-type",
        kind: ParamKind::Token,
        doc: "Specialty code",
    },
    SearchParam {
        name: "status",
        kind: ParamKind::Token,
        doc: "free (really free now: lapsed holds count as free), busy-tentative, busy",
    },
    SearchParam {
        name: "start",
        kind: ParamKind::Date,
        doc: "Start date (eq, lt, le, gt, ge)",
    },
    SearchParam {
        name: "reserved",
        kind: ParamKind::Token,
        doc: "true: reserved for referrals from primary care",
    },
];

/// Index term: when a slot is free from (free: always; held: when the hold
/// lapses; booked: never), so `status=free` finds what is free now.
pub const FREE_FROM: &str = "_free-from";
/// Index term: when the referral's current step is due.
pub const DUE: &str = "_due";

/// The `Task.status` of a referral state.
pub fn task_status(state: &ReferralState) -> &'static str {
    match state {
        ReferralState::Requested => "requested",
        ReferralState::Accepted | ReferralState::Booked { .. } => "accepted",
        ReferralState::Arrived { .. } | ReferralState::Completed { report: None } => "in-progress",
        ReferralState::NoShow { .. } => "on-hold",
        ReferralState::Completed { report: Some(_) } | ReferralState::Closed => "completed",
        ReferralState::Declined { .. } | ReferralState::Returned { .. } => "rejected",
        ReferralState::Cancelled { .. } => "cancelled",
    }
}

/// The institution whose action the referral awaits.
pub fn owner(r: &Referral) -> Option<&InstitutionId> {
    r.awaiting().map(|side| match side {
        Side::Receiver => &r.to,
        Side::Referrer => &r.from,
    })
}

/// Terms that depend on the region's policy and on who must act; written
/// with the referral so worklists are plain index lookups.
pub fn workflow_terms(r: &Referral, policy: &Policy) -> Vec<(String, String)> {
    let mut t = vec![
        ("task-status".into(), task_status(&r.state).into()),
        reference_term("party", "Organization", r.from.as_str()),
        reference_term("party", "Organization", r.to.as_str()),
    ];
    if let Some(o) = owner(r) {
        t.push(reference_term("owner", "Organization", o.as_str()));
    }
    if let Some(due) = r.due(policy) {
        t.push((DUE.into(), instant(due.by)));
    }
    t
}

/// The referral's workflow as a FHIR `Task`.
pub fn render_task(r: &Referral, policy: &Policy) -> Value {
    let mut v = json!({
        "resourceType": "Task",
        "id": r.id.as_str(),
        "status": task_status(&r.state),
        "businessStatus": {"coding": [{"system": system("referral-state"), "code": r.state.code()}]},
        "intent": "order",
        "priority": fhir_priority(r.priority),
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
        "focus": {"reference": format!("ServiceRequest/{}", r.id)},
        "for": {"reference": format!("Patient/{}", r.patient)},
        "authoredOn": instant(r.requested_at),
        "lastModified": instant(r.since),
        "requester": {"reference": format!("Practitioner/{}", r.requester)},
    });
    if let Some(o) = owner(r) {
        v["owner"] = json!({"reference": format!("Organization/{o}")});
    }
    if let Some(due) = r.due(policy) {
        v["restriction"] = json!({"period": {"end": instant(due.by)}});
    }
    match &r.state {
        ReferralState::Declined { reason, comment } => {
            let text = if comment.is_empty() {
                reason.display().to_string()
            } else {
                format!("{}: {comment}", reason.display())
            };
            v["statusReason"] = json!({
                "coding": [{"system": system("decline-reason"), "code": reason.code()}],
                "text": text
            });
        }
        ReferralState::Cancelled { reason } => v["statusReason"] = json!({"text": reason}),
        ReferralState::Returned { advice } => v["note"] = json!([{"text": advice}]),
        ReferralState::Completed {
            report: Some(report),
        } => {
            let mut out =
                vec![json!({"type": {"text": "report-summary"}, "valueString": report.summary})];
            if !report.recommendation.is_empty() {
                out.push(json!({"type": {"text": "report-recommendation"}, "valueString": report.recommendation}));
            }
            if let Some(d) = &report.diagnosis {
                out.push(json!({"type": {"text": "report-diagnosis"},
                                "valueCodeableConcept": {"coding": [{"system": ICD10, "code": d.to_string()}]}}));
            }
            v["output"] = Value::Array(out);
        }
        _ => {}
    }
    if let Some(b) = r.state.booking().or(match &r.state {
        ReferralState::NoShow { booking } => Some(booking),
        ReferralState::Arrived { booking } => booking.as_ref(),
        _ => None,
    }) {
        v["executionPeriod"] = json!({"start": instant(b.start())});
    }
    v
}

/// A department's bed pool as a FHIR `Location` (a ward, as a kind of
/// place), with its counts in the `bed-availability` extension.
pub fn render_bed_pool(b: &BedPool) -> Value {
    let count = |url: &str, n: u32| json!({"url": url, "valueInteger": n});
    json!({
        "resourceType": "Location",
        "extension": [{
            "url": extension_url("bed-availability"),
            "extension": [
                count("beds", b.beds),
                count("reserved-for-referral", b.reserved),
                count("occupied", b.occupied),
                count("reserved-occupied", b.reserved_occupied),
                count("free", b.general_free()),
                count("reserved-free", b.reserved_free()),
            ]
        }],
        "status": "active",
        "name": format!("{} beds", b.specialty.display()),
        "mode": "kind",
        "type": [{"coding": [{"system": system("specialty"), "code": b.specialty.code()}]}],
        "physicalType": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
            "code": "wa", "display": "Ward"
        }]},
        "managingOrganization": {"reference": format!("Organization/{}", b.institution)},
    })
}

/// Search terms of a bed pool, under the `Location` parameters.
pub fn index_bed_pool(b: &BedPool) -> Vec<(String, String)> {
    let mut t = super::string_terms("name", &format!("{} beds", b.specialty.display()));
    t.push(reference_term(
        "organization",
        "Organization",
        b.institution.as_str(),
    ));
    t.push(("type".into(), b.specialty.code().into()));
    t
}

/// HL7 v2 table 0276, appointment reason codes.
pub const APPOINTMENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0276";

/// A booked visit as a FHIR `Appointment`.
pub fn render_appointment(a: &Appointment) -> Value {
    let mut v = json!({
        "resourceType": "Appointment",
        "extension": [{"url": extension_url("gatekeeping-bypass"), "valueBoolean": a.bypass}],
        "status": if a.cancelled { "cancelled" } else { "booked" },
        "serviceType": [{"coding": [{"system": system("specialty"), "code": a.specialty.code()}]}],
        "start": instant(a.start),
        "end": instant(a.end),
        "slot": [{"reference": format!("Slot/{}", a.slot)}],
        "participant": [
            {"actor": {"reference": format!("Patient/{}", a.patient)}, "status": "accepted"}
        ],
    });
    if a.emergency {
        v["appointmentType"] =
            json!({"coding": [{"system": APPOINTMENT_TYPE, "code": "EMERGENCY"}]});
    }
    if let Some(c) = &a.condition {
        v["reasonCode"] = json!([{"coding": [{"system": ICD10, "code": c.to_string()}]}]);
    }
    if let Some(r) = &a.referral {
        v["basedOn"] = json!([{"reference": format!("ServiceRequest/{r}")}]);
    }
    v
}

/// Search terms of an appointment.
pub fn index_appointment(a: &Appointment) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("patient", "Patient", a.patient.as_str()),
        reference_term("slot", "Slot", a.slot.as_str()),
        reference_term("organization", "Organization", a.institution.as_str()),
        ("date".into(), instant(a.start)),
        (
            "status".into(),
            if a.cancelled { "cancelled" } else { "booked" }.into(),
        ),
        ("bypass".into(), a.bypass.to_string()),
    ];
    if let Some(r) = &a.referral {
        t.push(reference_term("based-on", "ServiceRequest", r.as_str()));
    }
    t
}

/// Search parameters of `Appointment`.
pub const APPOINTMENT_SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "_id",
        kind: ParamKind::Token,
        doc: "Logical id",
    },
    SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient",
    },
    SearchParam {
        name: "organization",
        kind: ParamKind::Reference("Organization"),
        doc: "The institution visited",
    },
    SearchParam {
        name: "slot",
        kind: ParamKind::Reference("Slot"),
        doc: "The slot booked",
    },
    SearchParam {
        name: "based-on",
        kind: ParamKind::Reference("ServiceRequest"),
        doc: "The referral it was booked for",
    },
    SearchParam {
        name: "status",
        kind: ParamKind::Token,
        doc: "booked, cancelled",
    },
    SearchParam {
        name: "bypass",
        kind: ParamKind::Token,
        doc: "true: self-referred to a hospital under financial gatekeeping",
    },
    SearchParam {
        name: "date",
        kind: ParamKind::Date,
        doc: "Start (eq, lt, le, gt, ge)",
    },
];

/// A visit or admission as a FHIR `Encounter`.
pub fn render_encounter(e: &Encounter) -> Value {
    let (code, display) = if e.inpatient {
        ("IMP", "inpatient encounter")
    } else {
        ("AMB", "ambulatory")
    };
    let mut period = json!({"start": instant(e.arrived)});
    if let Some(end) = e.finished {
        period["end"] = json!(instant(end));
    }
    let mut v = json!({
        "resourceType": "Encounter",
        "status": if e.finished.is_some() { "finished" } else { "arrived" },
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": code, "display": display},
        "serviceType": {"coding": [{"system": system("specialty"), "code": e.specialty.code()}]},
        "subject": {"reference": format!("Patient/{}", e.patient)},
        "period": period,
        "serviceProvider": {"reference": format!("Organization/{}", e.institution)},
    });
    if let Some(r) = &e.referral {
        v["basedOn"] = json!([{"reference": format!("ServiceRequest/{r}")}]);
    }
    if let Some(a) = &e.appointment {
        v["appointment"] = json!([{"reference": format!("Appointment/{a}")}]);
    }
    v
}

/// Search terms of an encounter.
pub fn index_encounter(e: &Encounter) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("patient", "Patient", e.patient.as_str()),
        reference_term("service-provider", "Organization", e.institution.as_str()),
        ("date".into(), instant(e.arrived)),
        (
            "status".into(),
            if e.finished.is_some() {
                "finished"
            } else {
                "arrived"
            }
            .into(),
        ),
        (
            "class".into(),
            if e.inpatient { "imp" } else { "amb" }.into(),
        ),
    ];
    if let Some(r) = &e.referral {
        t.push(reference_term("based-on", "ServiceRequest", r.as_str()));
    }
    t
}

/// Search parameters of `Encounter`.
pub const ENCOUNTER_SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "_id",
        kind: ParamKind::Token,
        doc: "Logical id",
    },
    SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient",
    },
    SearchParam {
        name: "service-provider",
        kind: ParamKind::Reference("Organization"),
        doc: "The institution",
    },
    SearchParam {
        name: "based-on",
        kind: ParamKind::Reference("ServiceRequest"),
        doc: "The referral",
    },
    SearchParam {
        name: "status",
        kind: ParamKind::Token,
        doc: "arrived, finished",
    },
    SearchParam {
        name: "class",
        kind: ParamKind::Token,
        doc: "AMB (visit), IMP (admission)",
    },
    SearchParam {
        name: "date",
        kind: ParamKind::Date,
        doc: "Arrival (eq, lt, le, gt, ge)",
    },
];
