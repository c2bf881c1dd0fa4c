//! What capacity and visits look like in FHIR: outpatient slots as `Slot`,
//! bed pools as `Location` wards, booked visits as `Appointment`, visits
//! and admissions that happened as `Encounter`.

use super::datatypes::{extension_url, system};
use super::referral::{ICD10, instant};
use super::{ParamKind, SearchParam, reference_term};
use serde_json::{Value, json};
use tiercare_core::booking::{Appointment, BedPool, Encounter, Slot, SlotStatus};
use time::OffsetDateTime;

/// The FHIR `Slot.status` of a slot as the world sees it now (a lapsed
/// hold is free).
pub fn slot_status(s: &Slot, now: OffsetDateTime) -> &'static str {
    status_code(&s.status_at(now))
}

fn status_code(status: &SlotStatus) -> &'static str {
    match status {
        SlotStatus::Free => "free",
        SlotStatus::Held { .. } => "busy-tentative",
        SlotStatus::Booked { .. } => "busy",
        SlotStatus::Closed => "busy-unavailable",
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
                SlotStatus::Booked { .. } | SlotStatus::Closed => "9999".to_string(),
            },
        ),
        ("status".into(), status_code(&s.status).into()),
    ]
}

/// Search parameters of `Slot`.
pub const SLOT_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
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
        "status": a.status_code(),
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
    if let Some(at) = a.booked_at {
        v["created"] = json!(instant(at));
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
        ("status".into(), a.status_code().into()),
        ("bypass".into(), a.bypass.to_string()),
    ];
    if let Some(r) = &a.referral {
        t.push(reference_term("based-on", "ServiceRequest", r.as_str()));
    }
    t
}

/// Search parameters of `Appointment`.
pub const APPOINTMENT_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
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
        doc: "booked, arrived, fulfilled, noshow, cancelled: follows the visit",
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
    SearchParam::ID,
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
