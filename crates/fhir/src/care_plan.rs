//! A downward referral's plan as `CarePlan`, its follow-ups as `Task`s.
//!
//! Each prescribed medicine is a `CarePlan.activity` of kind
//! `MedicationRequest`; one the receiving institution cannot dispense
//! carries the `essential-medicine` extension set to false and a
//! `statusReason` saying so. Follow-ups are `Task`s (code `follow-up`,
//! focus the CarePlan) owned by the receiving institution and due by
//! `restriction.period.end`.

use super::clinical::medicine_concept;
use super::datatypes::{extension_url, system};
use super::referral::instant;
use super::{ParamKind, SearchParam, format_date, reference_term};
use serde_json::{Value, json};
use tiercare_core::care_plan::{CarePlan, FollowUp, FollowUpStatus, PatientDecision, PlanStatus};

fn plan_status(p: &CarePlan) -> &'static str {
    match p.status {
        PlanStatus::Active => "active",
        PlanStatus::Completed => "completed",
        PlanStatus::Revoked => "revoked",
    }
}

/// A care plan as a FHIR `CarePlan`.
pub fn render(p: &CarePlan) -> Value {
    let mut decision = vec![json!({"url": "decision", "valueCode": p.decision.code()})];
    match &p.decision {
        PatientDecision::Pending => {}
        PatientDecision::Accepted { at } => {
            decision.push(json!({"url": "at", "valueDateTime": instant(*at)}));
        }
        PatientDecision::Refused { at, reason } => {
            decision.push(json!({"url": "at", "valueDateTime": instant(*at)}));
            if !reason.is_empty() {
                decision.push(json!({"url": "reason", "valueString": reason}));
            }
        }
    }
    let mut activities: Vec<Value> = p
        .follow_ups
        .iter()
        .map(|f| json!({"reference": {"reference": format!("Task/{f}")}}))
        .collect();
    for m in &p.medicines {
        let mut detail = json!({
            "extension": [{"url": extension_url("essential-medicine"), "valueBoolean": m.on_receiver_list}],
            "kind": "MedicationRequest",
            "status": if p.status == PlanStatus::Revoked { "cancelled" } else { "not-started" },
            "productCodeableConcept": medicine_concept(&m.medicine),
        });
        if !m.medicine.dosage.is_empty() {
            detail["description"] = json!(m.medicine.dosage);
        }
        if !m.on_receiver_list {
            detail["statusReason"] = json!({
                "coding": [{"system": system("medicine-gap"), "code": "not-on-essential-list"}],
                "text": format!("{} is not on the essential-medicines list of Organization/{}; \
                                 switch it or arrange supply", m.medicine.name, p.to)
            });
        }
        activities.push(json!({"detail": detail}));
    }
    let mut v = json!({
        "resourceType": "CarePlan",
        "extension": [{"url": extension_url("patient-decision"), "extension": decision}],
        "basedOn": [{"reference": format!("ServiceRequest/{}", p.referral)}],
        "status": plan_status(p),
        "intent": "plan",
        "category": [{"coding": [{"system": system("care-plan-kind"), "code": "downward-referral",
                                  "display": "Downward referral care plan"}]}],
        "subject": {"reference": format!("Patient/{}", p.patient)},
        "created": instant(p.created),
        "author": {"reference": format!("Practitioner/{}", p.author)},
        "contributor": [{"reference": format!("Organization/{}", p.from)},
                        {"reference": format!("Organization/{}", p.to)}],
        "description": p.description,
        "activity": activities,
    });
    if !p.targets.is_empty() {
        v["note"] = p
            .targets
            .iter()
            .map(|t| json!({"text": format!("Target: {}: {}", t.measure, t.goal)}))
            .collect();
    }
    v
}

pub fn index(p: &CarePlan) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("patient", "Patient", p.patient.as_str()),
        reference_term("subject", "Patient", p.patient.as_str()),
        reference_term("based-on", "ServiceRequest", p.referral.as_str()),
        reference_term("performer", "Organization", p.to.as_str()),
        reference_term("party", "Organization", p.from.as_str()),
        reference_term("party", "Organization", p.to.as_str()),
        ("status".into(), plan_status(p).into()),
        ("decision".into(), p.decision.code().into()),
        ("category".into(), "downward-referral".into()),
        (
            "category".into(),
            format!("{}|downward-referral", system("care-plan-kind")).to_lowercase(),
        ),
        (
            "medicine-gap".into(),
            (p.missing_medicines().count() > 0).to_string(),
        ),
    ];
    t.extend(p.medicines.iter().map(|m| {
        (
            "medicine".into(),
            m.medicine.medicine.as_str().to_lowercase(),
        )
    }));
    t
}

/// Search parameters of `CarePlan`.
pub const SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient",
    },
    SearchParam {
        name: "based-on",
        kind: ParamKind::Reference("ServiceRequest"),
        doc: "The downward referral",
    },
    SearchParam {
        name: "performer",
        kind: ParamKind::Reference("Organization"),
        doc: "The primary institution taking the patient on",
    },
    SearchParam {
        name: "status",
        kind: ParamKind::Token,
        doc: "active, completed, revoked",
    },
    SearchParam {
        name: "decision",
        kind: ParamKind::Token,
        doc: "The patient's decision: pending, accepted, refused",
    },
    SearchParam {
        name: "medicine-gap",
        kind: ParamKind::Token,
        doc: "true: a prescribed medicine is missing from the receiver's essential list",
    },
];

fn follow_up_status(f: &FollowUp) -> &'static str {
    match f.status {
        FollowUpStatus::Due => "requested",
        FollowUpStatus::Done { .. } => "completed",
        FollowUpStatus::Cancelled => "cancelled",
    }
}

/// The end of the day a follow-up is due, as an instant (what `_due`
/// and `restriction.period.end` hold).
pub fn due_instant(f: &FollowUp) -> String {
    format!("{}T23:59:59Z", format_date(f.due))
}

/// A follow-up as a FHIR `Task`.
pub fn render_follow_up(f: &FollowUp) -> Value {
    let mut v = json!({
        "resourceType": "Task",
        "status": follow_up_status(f),
        "businessStatus": {"coding": [{"system": system("follow-up-state"), "code": f.status.code()}]},
        "intent": "plan",
        "code": {"coding": [{"system": system("task-kind"), "code": "follow-up",
                             "display": "Follow-up after downward referral"}]},
        "description": f.description,
        "focus": {"reference": format!("CarePlan/{}", f.care_plan)},
        "for": {"reference": format!("Patient/{}", f.patient)},
        "owner": {"reference": format!("Organization/{}", f.owner)},
        "restriction": {"period": {"end": due_instant(f)}},
    });
    if let FollowUpStatus::Done { at, by, note } = &f.status {
        v["executionPeriod"] = json!({"end": instant(*at)});
        v["lastModified"] = json!(instant(*at));
        v["output"] = json!([{"type": {"text": "done-by"},
                              "valueReference": {"reference": format!("Practitioner/{by}")}}]);
        if !note.is_empty() {
            v["note"] = json!([{"text": note}]);
        }
    }
    v
}

pub fn index_follow_up(f: &FollowUp) -> Vec<(String, String)> {
    let mut t = vec![
        ("code".into(), "follow-up".into()),
        reference_term("patient", "Patient", f.patient.as_str()),
        reference_term("focus", "CarePlan", f.care_plan.as_str()),
        reference_term("owner", "Organization", f.owner.as_str()),
        // Who may see it in a Task search or subscription: its owner.
        reference_term("party", "Organization", f.owner.as_str()),
        ("task-status".into(), follow_up_status(f).into()),
        ("state".into(), f.status.code().into()),
    ];
    if f.status == FollowUpStatus::Due {
        t.push((super::referral::DUE.into(), due_instant(f)));
    }
    t
}
