//! A panel enrolment as a `CarePlan`: a patient followed up for
//! hypertension or type 2 diabetes by a family doctor and a specialist
//! together.
//!
//! - `CarePlan.period`: enrolled (start) and, once ended, the last day
//!   enrolled (end); `status` active or completed; `intent` plan.
//! - `CarePlan.careTeam` points at the contained `CareTeam` `#team`: the
//!   family doctor and the specialist (roles from tiercare's
//!   `practitioner-role` codes) and the primary institution as
//!   `managingOrganization`.
//! - `CarePlan.addresses` points at contained `Condition`s (`#hypertension`,
//!   `#diabetes`), coded in ICD-10 (I10, E11) and tiercare's
//!   `panel-condition` codes, because R4 `addresses` must be a reference.
//! - `CarePlan.activity[0].detail`: the follow-up schedule, one visit every
//!   `interval` days (`scheduledTiming.repeat` frequency 1, period n, unit d).
//! - The `panel-programme` extension names the joint programme
//!   (`HealthcareService`) the specialist comes from, when there is one.
//! - On read the service adds the `panel-control` extension (see
//!   `control.rs`); a posted one is accepted and not kept.

use super::coding;
use crate::datatypes::{extension_url, system};
use crate::referral::ICD10;
use crate::{ParamKind, SearchParam, format_date, reference_term, token_terms};
use serde_json::{Value, json};
use tiercare_core::outreach::{PanelCondition, PanelEnrolment};
use tiercare_service::ServiceError;
use tiercare_service::panels::EnrolmentInput;

const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";

/// The category code of a panel `CarePlan`.
pub use tiercare_service::panels::PANEL_CATEGORY;
/// The code system of [`PANEL_CATEGORY`] (shared with downward-referral
/// plans, `downward-referral`).
pub const PLAN_KIND: &str = "care-plan-kind";

/// The ICD-10 code a panel condition is coded with.
pub fn icd10(c: PanelCondition) -> (&'static str, &'static str) {
    match c {
        PanelCondition::Hypertension => ("I10", "Essential (primary) hypertension"),
        PanelCondition::Diabetes => ("E11", "Type 2 diabetes mellitus"),
    }
}

/// The panel condition an ICD-10 code (or a code in its range) stands for.
pub fn condition_of_icd10(code: &str) -> Option<PanelCondition> {
    let c = code.to_ascii_uppercase();
    if c.starts_with("I10") {
        Some(PanelCondition::Hypertension)
    } else if c.starts_with("E11") {
        Some(PanelCondition::Diabetes)
    } else {
        None
    }
}

/// The contained Condition of a panel condition.
fn condition(e: &PanelEnrolment, c: PanelCondition) -> Value {
    let (code, display) = icd10(c);
    json!({
        "resourceType": "Condition",
        "id": c.code(),
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
        "code": {"coding": [coding(ICD10, code, display),
                            coding(&system("panel-condition"), c.code(), c.display())],
                 "text": display},
        "subject": {"reference": format!("Patient/{}", e.patient)},
    })
}

/// A panel enrolment as a `CarePlan`.
pub fn render_enrolment(e: &PanelEnrolment) -> Value {
    let active = e.ended.is_none();
    let role = |code: &str, display: &str| json!([{"coding": [coding(&system("practitioner-role"), code, display)]}]);
    let team = json!({
        "resourceType": "CareTeam",
        "id": "team",
        "status": if active { "active" } else { "inactive" },
        "name": "Co-managed chronic panel team",
        "subject": {"reference": format!("Patient/{}", e.patient)},
        "participant": [
            {"role": role("family-doctor", "Family doctor"),
             "member": {"reference": format!("Practitioner/{}", e.family_doctor)}},
            {"role": role("specialist", "Specialist"),
             "member": {"reference": format!("Practitioner/{}", e.specialist)}},
        ],
        "managingOrganization": [{"reference": format!("Organization/{}", e.institution)}],
    });
    let mut contained = vec![team];
    contained.extend(e.conditions.iter().map(|&c| condition(e, c)));
    let mut period = json!({"start": format_date(e.enrolled)});
    if let Some(end) = e.ended {
        period["end"] = json!(format_date(end));
    }
    let conditions: Vec<&str> = e.conditions.iter().map(|c| c.display()).collect();
    let mut v = json!({
        "resourceType": "CarePlan",
        "contained": contained,
        "status": if active { "active" } else { "completed" },
        "intent": "plan",
        "category": [{"coding": [coding(&system(PLAN_KIND), PANEL_CATEGORY, "Co-managed chronic panel")]}],
        "title": format!("Co-managed chronic panel: {}", conditions.join(", ")),
        "subject": {"reference": format!("Patient/{}", e.patient)},
        "period": period,
        "careTeam": [{"reference": "#team"}],
        "addresses": e.conditions.iter().map(|c| json!({"reference": format!("#{}", c.code())})).collect::<Vec<_>>(),
        "activity": [{"detail": {
            "kind": "Appointment",
            "code": {"coding": [coding(&system("panel-activity"), "follow-up", "Chronic disease follow-up")]},
            "status": if active { "scheduled" } else { "completed" },
            "scheduledTiming": {"repeat": {"frequency": 1, "period": e.interval_days, "periodUnit": "d"}},
            "performer": [{"reference": format!("Practitioner/{}", e.family_doctor)}],
            "description": format!("A follow-up visit every {} days, with a measurement", e.interval_days),
        }}],
    });
    if let Some(p) = &e.programme {
        v["extension"] = json!([{"url": extension_url("panel-programme"),
                                 "valueReference": {"reference": format!("HealthcareService/{p}")}}]);
    }
    v
}

/// The search terms of an enrolment.
pub fn index_enrolment(e: &PanelEnrolment) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("patient", "Patient", e.patient.as_str()),
        reference_term("subject", "Patient", e.patient.as_str()),
        reference_term("panel", "CarePlan", e.id.as_str()),
        reference_term("performer", "Organization", e.institution.as_str()),
        reference_term("party", "Organization", e.institution.as_str()),
        reference_term("care-team", "Practitioner", e.family_doctor.as_str()),
        reference_term("care-team", "Practitioner", e.specialist.as_str()),
        reference_term("family-doctor", "Practitioner", e.family_doctor.as_str()),
        (
            "status".into(),
            if e.ended.is_some() {
                "completed"
            } else {
                "active"
            }
            .into(),
        ),
        ("date".into(), format_date(e.enrolled)),
    ];
    t.extend(token_terms("category", PLAN_KIND, PANEL_CATEGORY));
    if let Some(p) = &e.programme {
        t.push(reference_term("programme", "HealthcareService", p.as_str()));
    }
    for c in &e.conditions {
        t.extend(token_terms("condition", "panel-condition", c.code()));
    }
    t
}

/// Whether a posted `CarePlan` is a panel enrolment: its category is
/// `chronic-panel`.
pub fn is_enrolment(value: &Value) -> bool {
    crate::items(value, "category")
        .filter_map(|c| c.get("coding").and_then(Value::as_array))
        .flatten()
        .any(|c| c.get("code").and_then(Value::as_str) == Some(PANEL_CATEGORY))
}

fn contained<'a>(value: &'a Value, rt: &str) -> Vec<&'a Value> {
    crate::items(value, "contained")
        .filter(|c| c.get("resourceType").and_then(Value::as_str) == Some(rt))
        .collect()
}

/// Parses a panel enrolment `CarePlan` (its `resourceType` already
/// checked and stripped). The team is the contained `CareTeam` the
/// `careTeam` reference points at; the conditions the contained
/// `Condition`s `addresses` points at.
pub fn parse_enrolment(value: &Value) -> Result<EnrolmentInput, ServiceError> {
    const KNOWN: [&str; 13] = [
        "resourceType",
        "extension",
        "contained",
        "status",
        "intent",
        "category",
        "title",
        "subject",
        "period",
        "careTeam",
        "addresses",
        "activity",
        "id",
    ];
    crate::only_elements(value, "CarePlan", &KNOWN)?;
    match value.get("status").and_then(Value::as_str) {
        None | Some("active") => {}
        Some(s) => {
            return Err(ServiceError::invalid(
                "CarePlan.status",
                format!("a panel enrolment starts active, not {s}; end it with $end"),
            ));
        }
    }
    match value.get("intent").and_then(Value::as_str) {
        None | Some("plan") => {}
        Some(s) => {
            return Err(ServiceError::invalid(
                "CarePlan.intent",
                format!("a panel enrolment is a plan, not {s}"),
            ));
        }
    }
    let patient = crate::required_reference(
        value,
        "/subject",
        "CarePlan.subject",
        &["Patient"],
        "the patient",
    )?;
    // The team.
    let team_ref = value
        .pointer("/careTeam/0/reference")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ServiceError::invalid(
                "CarePlan.careTeam",
                "the panel team is required: a contained CareTeam referenced as #id",
            )
        })?;
    let team_id = team_ref.strip_prefix('#').ok_or_else(|| {
        ServiceError::invalid(
            "CarePlan.careTeam",
            "the panel team is a contained CareTeam (reference #id)",
        )
    })?;
    let team = contained(value, "CareTeam")
        .into_iter()
        .find(|t| t.get("id").and_then(Value::as_str) == Some(team_id))
        .ok_or_else(|| {
            ServiceError::invalid(
                "CarePlan.careTeam",
                format!("no contained CareTeam with id {team_id:?}"),
            )
        })?;
    let institution = crate::required_reference(
        team,
        "/managingOrganization/0",
        "CarePlan.contained.CareTeam.managingOrganization",
        &["Organization"],
        "the primary institution",
    )?;
    let mut family_doctor = None;
    let mut specialist = None;
    for (i, p) in crate::items(team, "participant").enumerate() {
        let field = format!("CarePlan.contained.CareTeam.participant[{i}]");
        let member = crate::required_reference(
            p,
            "/member",
            &format!("{field}.member"),
            &["Practitioner"],
            "the practitioner",
        )?;
        let role = p
            .pointer("/role/0/coding/0/code")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let slot = match role {
            "family-doctor" => &mut family_doctor,
            "specialist" => &mut specialist,
            other => {
                return Err(ServiceError::invalid(
                    format!("{field}.role"),
                    format!(
                        "a panel team has a family-doctor and a specialist ({}), not {other:?}",
                        system("practitioner-role")
                    ),
                ));
            }
        };
        if slot.replace(member).is_some() {
            return Err(ServiceError::invalid(
                format!("{field}.role"),
                format!("the panel team has one {role}"),
            ));
        }
    }
    let family_doctor = family_doctor.ok_or_else(|| {
        ServiceError::invalid(
            "CarePlan.careTeam",
            "the panel team needs its family-doctor",
        )
    })?;
    let specialist = specialist.ok_or_else(|| {
        ServiceError::invalid("CarePlan.careTeam", "the panel team needs its specialist")
    })?;
    // The conditions.
    let conditions_found = contained(value, "Condition");
    let mut conditions = Vec::new();
    for (i, a) in crate::items(value, "addresses").enumerate() {
        let field = format!("CarePlan.addresses[{i}]");
        let id = a
            .get("reference")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .ok_or_else(|| {
                ServiceError::invalid(&field, "a contained Condition, referenced as #id")
            })?;
        let c = conditions_found
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(id))
            .ok_or_else(|| {
                ServiceError::invalid(&field, format!("no contained Condition with id {id:?}"))
            })?;
        let codings = c
            .pointer("/code/coding")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let ours = system("panel-condition");
        let found = codings.iter().find_map(|k| {
            let code = k.get("code").and_then(Value::as_str)?;
            match k.get("system").and_then(Value::as_str)? {
                s if s == ICD10 => condition_of_icd10(code),
                s if s == ours => PanelCondition::from_code(code),
                _ => None,
            }
        });
        let found = found.ok_or_else(|| {
            ServiceError::rule(
                format!("{field}.code"),
                format!("panels manage hypertension (ICD-10 I10) and type 2 diabetes (E11), coded in {ICD10} or {ours}"),
            )
        })?;
        conditions.push(found);
    }
    // The schedule.
    let mut interval_days = None;
    if let Some(list) = value.get("activity").and_then(Value::as_array) {
        if list.len() > 1 {
            return Err(ServiceError::invalid(
                "CarePlan.activity",
                "a panel has one activity: its follow-up schedule",
            ));
        }
        if let Some(repeat) = value.pointer("/activity/0/detail/scheduledTiming/repeat") {
            let field = "CarePlan.activity[0].detail.scheduledTiming.repeat";
            if repeat.get("frequency").and_then(Value::as_u64).unwrap_or(1) != 1 {
                return Err(ServiceError::invalid(
                    format!("{field}.frequency"),
                    "one follow-up per interval",
                ));
            }
            let unit = repeat
                .get("periodUnit")
                .and_then(Value::as_str)
                .unwrap_or("d");
            let per_unit = match unit {
                "d" => 1,
                "wk" => 7,
                "mo" => 30,
                other => {
                    return Err(ServiceError::invalid(
                        format!("{field}.periodUnit"),
                        format!("use d, wk or mo, not {other}"),
                    ));
                }
            };
            let period = repeat
                .get("period")
                .and_then(Value::as_f64)
                .ok_or_else(|| {
                    ServiceError::invalid(format!("{field}.period"), "the interval is required")
                })?;
            if period.fract() != 0.0 || !(1.0..=366.0).contains(&period) {
                return Err(ServiceError::invalid(
                    format!("{field}.period"),
                    "the interval is a whole number of units, 1 to 366 days",
                ));
            }
            interval_days = Some(period as u32 * per_unit);
        }
    }
    // The programme.
    let mut programme = None;
    for (i, e) in crate::items(value, "extension").enumerate() {
        let field = format!("CarePlan.extension[{i}]");
        let url = e.get("url").and_then(Value::as_str).unwrap_or_default();
        if url == extension_url("panel-programme") {
            programme = Some(crate::required_reference(
                e,
                "/valueReference",
                &field,
                &["HealthcareService"],
                "the programme",
            )?);
        } else if url != extension_url("panel-control") {
            return Err(ServiceError::invalid(
                field,
                format!("extension {url} is not supported"),
            ));
        }
    }
    let enrolled = value
        .pointer("/period/start")
        .and_then(Value::as_str)
        .map(|d| crate::parse_day(d, "CarePlan.period.start"))
        .transpose()?;
    if value.pointer("/period/end").is_some() {
        return Err(ServiceError::invalid(
            "CarePlan.period.end",
            "a new enrolment has no end; end it with $end",
        ));
    }
    Ok(EnrolmentInput {
        patient,
        institution,
        family_doctor,
        specialist,
        programme,
        conditions,
        enrolled,
        interval_days,
    })
}

/// Search parameters of `CarePlan`: the downward-referral plan's and the
/// panel's.
pub const PLAN_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam::PATIENT,
    SearchParam::SUBJECT,
    SearchParam {
        name: "category",
        kind: ParamKind::Token,
        doc: "downward-referral or chronic-panel (care-plan-kind)",
    },
    SearchParam {
        name: "based-on",
        kind: ParamKind::Reference("ServiceRequest"),
        doc: "The downward referral",
    },
    SearchParam {
        name: "performer",
        kind: ParamKind::Reference("Organization"),
        doc: "The primary institution taking the patient on (a panel: the one following them up)",
    },
    SearchParam {
        name: "care-team",
        kind: ParamKind::Reference("Practitioner"),
        doc: "Panels: the family doctor or the specialist of the panel team",
    },
    SearchParam {
        name: "condition",
        kind: ParamKind::Token,
        doc: "Panels: hypertension or diabetes (panel-condition)",
    },
    SearchParam {
        name: "date",
        kind: ParamKind::Date,
        doc: "Panels: the day enrolled",
    },
    SearchParam {
        name: "status",
        kind: ParamKind::Token,
        doc: "active, completed, revoked",
    },
    SearchParam {
        name: "decision",
        kind: ParamKind::Token,
        doc: "Downward referrals: the patient's decision: pending, accepted, refused",
    },
    SearchParam {
        name: "medicine-gap",
        kind: ParamKind::Token,
        doc: "Downward referrals: true when a prescribed medicine is missing from the receiver's essential list",
    },
];
