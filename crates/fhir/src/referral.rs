//! Referrals as `ServiceRequest` (category referral) and their workflow as
//! `Task`.
//!
//! The `ServiceRequest` is the request as the referrer made it: patient,
//! requester, receiving institution, priority, reason and summary. Its
//! `status` follows the loop coarsely (active while open, completed once
//! the visit is done, revoked when declined, returned or cancelled); the
//! fine state is in the `referral-state` extension and in the `Task`.

use super::datatypes::{extension_url, system};
use super::{ParamKind, SearchParam, reference_id, reference_term};
use serde_json::{Value, json};
use tiercare_core::InstitutionId;
use tiercare_core::clinical::{MedicineUse, PatientSummary, ResultKind};
use tiercare_core::medicines::MedicineCode;
use tiercare_core::policy::Policy;
use tiercare_core::referral::{Priority, Referral, ReferralState, Side};
use tiercare_service::ServiceError;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// ICD-10, as FHIR names it.
pub(super) const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";

pub(super) fn instant(t: OffsetDateTime) -> String {
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

/// A referral as a FHIR `ServiceRequest`, with the patient summary as
/// contained resources and each attached result marked recognised or
/// expired under the region's validity window, as of now.
pub fn render(r: &Referral) -> Value {
    let mut v = json!({
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
    });
    let (contained, mut supporting) = summary_resources(r);
    let now = OffsetDateTime::now_utc();
    for a in &r.attachments.results {
        let recognition = a.recognition(now);
        supporting.push(json!({
            "extension": [
                {"url": extension_url("result-recognition"),
                 "valueCoding": {"system": system("result-recognition"), "code": recognition.code()}},
                {"url": extension_url("recognised-until"), "valueDateTime": instant(recognition.until())}
            ],
            "reference": format!("{}/{}", a.kind.resource_type(), a.id),
            "display": format!("{} ({})", a.name, instant(a.effective)),
        }));
    }
    if !contained.is_empty() {
        v["contained"] = Value::Array(contained);
    }
    if !supporting.is_empty() {
        v["supportingInfo"] = Value::Array(supporting);
    }
    if let Some(c) = &r.attachments.consult {
        v["basedOn"] = json!([{"reference": format!("ServiceRequest/{c}")}]);
    }
    v
}

/// The patient summary as contained `Condition`, `MedicationStatement`
/// and `AllergyIntolerance` resources, and the references to them.
fn summary_resources(r: &Referral) -> (Vec<Value>, Vec<Value>) {
    let s = &r.attachments.patient;
    let subject = json!({"reference": format!("Patient/{}", r.patient)});
    let mut contained = Vec::new();
    for (n, c) in s.conditions.iter().enumerate() {
        contained.push(json!({
            "resourceType": "Condition",
            "id": format!("condition-{}", n + 1),
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                            "code": "active"}]},
            "code": {"coding": [{"system": ICD10, "code": c.to_string()}]},
            "subject": subject,
        }));
    }
    for (n, m) in s.medications.iter().enumerate() {
        let mut med = json!({
            "resourceType": "MedicationStatement",
            "id": format!("medication-{}", n + 1),
            "status": "active",
            "medicationCodeableConcept": super::clinical::medicine_concept(m),
            "subject": subject,
        });
        if !m.dosage.is_empty() {
            med["dosage"] = json!([{"text": m.dosage}]);
        }
        contained.push(med);
    }
    for (n, a) in s.allergies.iter().enumerate() {
        contained.push(json!({
            "resourceType": "AllergyIntolerance",
            "id": format!("allergy-{}", n + 1),
            "code": {"text": a},
            "patient": subject,
        }));
    }
    let refs = contained
        .iter()
        .map(|c| json!({"reference": format!("#{}", c["id"].as_str().unwrap_or_default())}))
        .collect();
    (contained, refs)
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
        ("category".into(), "referral".into()),
        // The referral's Task: `Task?code=fulfill`.
        (TASK_CODE.into(), "fulfill".into()),
    ]
}

/// Index term: the code of the referral's `Task` (`fulfill`), searched as
/// Task `code`.
pub const TASK_CODE: &str = "task-code";

/// Search parameters of `ServiceRequest` (referrals). Worklists are
/// searches: incoming (`performer`), sent (`referrer`, `requester`),
/// awaiting an institution's action (`owner`), and late (`_overdue=true`).
pub const SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "category",
        kind: ParamKind::Token,
        doc: "referral, consult (e-consults and remote consultations), reading (hub readings) or a hub kind: ecg, imaging, laboratory, pathology",
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
        doc: "The receiving institution (incoming referrals); for hub readings HealthcareService/{hub} (the hub's orders)",
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
        doc: "Step of the loop: requested, accepted, booked, arrived, no-show, completed, closed, declined, returned, cancelled; of a hub reading: ordered, taken, reported, cancelled",
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
    SearchParam {
        name: "alert",
        kind: ParamKind::Token,
        doc: "Hub readings: open while a critical alert awaits the ordering side's acknowledgement",
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
    SearchParam {
        name: "code",
        kind: ParamKind::Token,
        doc: "fulfill (a referral's workflow), follow-up (a care plan's follow-ups), emergency-alert (an emergency case's pre-arrival alert) or a mentorship activity's kind",
    },
    SearchParam {
        name: "focus",
        kind: ParamKind::Reference("ServiceRequest"),
        doc: "ServiceRequest/{id} (the referral's own Task), CarePlan/{id} (its follow-ups) or CareTeam/{id} (a mentorship's activities)",
    },
    SearchParam {
        name: "for",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient (as patient)",
    },
];

/// Where a referral Task's search parameter is stored: the referral's
/// index term of the same meaning (the Task shares its referral's id).
/// The CapabilityStatement declares each token's system from the same
/// mapping.
pub fn task_param(name: &str) -> &str {
    match name {
        "status" => "task-status",
        "business-status" => "state",
        "code" => TASK_CODE,
        "focus" => "_id",
        "for" => "patient",
        other => other,
    }
}

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

/// The patient summary from contained `Condition`, `MedicationStatement`
/// and `AllergyIntolerance` resources.
pub fn parse_summary(value: &Value) -> Result<PatientSummary, ServiceError> {
    let mut summary = PatientSummary::default();
    for (i, c) in super::items(value, "contained").enumerate() {
        let field = format!("ServiceRequest.contained[{i}]");
        let code = |pointer: &str| c.pointer(pointer).and_then(Value::as_str);
        match code("/resourceType") {
            Some("Condition") => {
                let icd = code("/code/coding/0/code").ok_or_else(|| {
                    ServiceError::invalid(format!("{field}.code"), "an ICD-10 code is required")
                })?;
                summary.conditions.push(icd.parse().map_err(
                    |e: tiercare_core::catalogue::InvalidIcdCode| {
                        ServiceError::invalid(format!("{field}.code"), e.to_string())
                    },
                )?);
            }
            Some("MedicationStatement") => {
                let atc = code("/medicationCodeableConcept/coding/0/code").ok_or_else(|| {
                    ServiceError::invalid(
                        format!("{field}.medicationCodeableConcept"),
                        "an ATC code is required",
                    )
                })?;
                let medicine = MedicineCode::new(atc).map_err(|e| {
                    ServiceError::invalid(
                        format!("{field}.medicationCodeableConcept"),
                        e.to_string(),
                    )
                })?;
                let name = code("/medicationCodeableConcept/text")
                    .or(code("/medicationCodeableConcept/coding/0/display"))
                    .filter(|n| !n.trim().is_empty())
                    .map_or_else(
                        || tiercare_core::medicines::name_for_code(&medicine),
                        str::to_string,
                    );
                summary.medications.push(MedicineUse {
                    medicine,
                    name,
                    dosage: code("/dosage/0/text").unwrap_or_default().to_string(),
                });
            }
            Some("AllergyIntolerance") => {
                let text = code("/code/text")
                    .or(code("/code/coding/0/display"))
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| {
                        ServiceError::invalid(format!("{field}.code"), "say what the allergy is to")
                    })?;
                summary.allergies.push(text.to_string());
            }
            other => {
                return Err(ServiceError::invalid(
                    field,
                    format!(
                        "a referral contains Condition, MedicationStatement or AllergyIntolerance, not {}",
                        other.unwrap_or("nothing")
                    ),
                ));
            }
        }
    }
    Ok(summary)
}

/// The results a referral carries: `supportingInfo` references to
/// `Observation`s and `DiagnosticReport`s (references to contained
/// resources, `#id`, are the summary and need nothing more).
pub fn parse_supporting(value: &Value) -> Result<Vec<(ResultKind, String)>, ServiceError> {
    let mut out = Vec::new();
    for s in super::items(value, "supportingInfo") {
        let r: crate::datatypes::Reference = serde_json::from_value(s.clone())
            .map_err(|e| ServiceError::invalid("ServiceRequest.supportingInfo", e.to_string()))?;
        if r.reference.as_deref().is_some_and(|t| t.starts_with('#')) {
            continue;
        }
        let (ty, id) = reference_id(
            &r,
            &["Observation", "DiagnosticReport"],
            "ServiceRequest.supportingInfo",
        )?;
        let kind = if ty == "Observation" {
            ResultKind::Observation
        } else {
            ResultKind::DiagnosticReport
        };
        if !out.contains(&(kind, id.clone())) {
            out.push((kind, id));
        }
    }
    Ok(out)
}
