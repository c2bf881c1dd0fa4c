//! Co-managed chronic panels as FHIR: an enrolment is a `CarePlan` (its
//! team a contained `CareTeam`, its conditions contained `Condition`s), a
//! follow-up measurement an `Observation` based on that `CarePlan`.
//!
//! A panel `CarePlan` is told from a downward referral's plan by its
//! category (`care-plan-kind|chronic-panel`); a panel `Observation` by its
//! `basedOn` (a panel `CarePlan`). Both share the FHIR types, routes and
//! search of the referral records; the service behind them differs
//! (`crate::panels`).
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
//! - On read the service adds the `panel-control` extension: control
//!   status per condition and overall, the next follow-up date and its
//!   state, as of the day of the read ([`control_extension`]).
//!
//! Measurements are LOINC-coded: blood pressure 85354-9 with components
//! systolic 8480-6 and diastolic 8462-4 in `mm[Hg]` (category vital-signs),
//! HbA1c 4548-4 in `%`, fasting glucose 1558-6 in `mmol/L` (category
//! laboratory); quantities carry the UCUM system. Values are given back in
//! the unit they are stored in, whatever unit they were sent in.

use super::clinical::LOINC;
use super::datatypes::{extension_url, system};
use super::referral::{ICD10, instant};
use super::{ParamKind, SearchParam, format_date, reference_term, token_terms};
use serde_json::{Value, json};
use tiercare_core::outreach::{
    DueEntry, FollowUpState, Measurement, MeasurementKind, PanelCondition, PanelEnrolment,
    PanelStatus,
};
use tiercare_service::ServiceError;
use tiercare_service::panels::{EnrolmentInput, MeasurementInput};

/// UCUM, the system of every quantity.
pub const UCUM: &str = "http://unitsofmeasure.org";
const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";

/// The category code of a panel `CarePlan`.
pub use tiercare_service::panels::PANEL_CATEGORY;
/// The code system of [`PANEL_CATEGORY`] (shared with downward-referral
/// plans, `downward-referral`).
pub const PLAN_KIND: &str = "care-plan-kind";

/// LOINC: blood pressure panel.
pub const BP_PANEL: &str = "85354-9";
/// LOINC: systolic blood pressure.
pub const SYSTOLIC: &str = "8480-6";
/// LOINC: diastolic blood pressure.
pub const DIASTOLIC: &str = "8462-4";
/// LOINC: haemoglobin A1c / total haemoglobin in blood.
pub const HBA1C: &str = "4548-4";
/// LOINC: fasting glucose, moles/volume in serum or plasma.
pub const FASTING_GLUCOSE: &str = "1558-6";

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

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"system": system, "code": code, "display": display})
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

/// The `panel-control` extension: control as of `as_of` and the next
/// follow-up. Added by the service on reads (it depends on the day and on
/// the measurements, not on the enrolment alone).
pub fn control_extension(
    status: &PanelStatus,
    as_of: time::Date,
    due: time::Date,
    state: FollowUpState,
) -> Value {
    let mut parts = vec![
        json!({"url": "as-of", "valueDate": format_date(as_of)}),
        json!({"url": "overall", "valueCode": status.overall.code()}),
    ];
    for (c, s) in &status.conditions {
        parts.push(json!({"url": "condition", "extension": [
            {"url": "condition", "valueCode": c.code()},
            {"url": "status", "valueCode": s.code()},
        ]}));
    }
    parts.push(json!({"url": "next-due", "valueDate": format_date(due)}));
    parts.push(json!({"url": "follow-up", "valueCode": state.code()}));
    json!({"url": extension_url("panel-control"), "extension": parts})
}

/// Adds the `panel-control` extension to a rendered `CarePlan`.
pub fn add_control(plan: &mut Value, control: Value) {
    match plan.get_mut("extension").and_then(Value::as_array_mut) {
        Some(list) => list.push(control),
        None => plan["extension"] = json!([control]),
    }
}

/// The `panel-follow-up` extension of a due-list entry.
pub fn due_extension(d: &DueEntry) -> Value {
    json!({"url": extension_url("panel-follow-up"), "extension": [
        {"url": "due", "valueDate": format_date(d.due)},
        {"url": "state", "valueCode": d.state.code()},
        {"url": "days-overdue", "valueInteger": d.days_overdue},
    ]})
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

/// The LOINC code and display of a measurement kind.
pub fn loinc(kind: &MeasurementKind) -> (&'static str, &'static str) {
    match kind {
        MeasurementKind::BloodPressure { .. } => {
            (BP_PANEL, "Blood pressure panel with all children optional")
        }
        MeasurementKind::HbA1c { .. } => (HBA1C, "Hemoglobin A1c/Hemoglobin.total in Blood"),
        MeasurementKind::FastingGlucose { .. } => (
            FASTING_GLUCOSE,
            "Fasting glucose [Moles/volume] in Serum or Plasma",
        ),
    }
}

fn category_of(kind: &MeasurementKind) -> (&'static str, &'static str) {
    match kind {
        MeasurementKind::BloodPressure { .. } => ("vital-signs", "Vital Signs"),
        _ => ("laboratory", "Laboratory"),
    }
}

fn quantity(value: Value, unit: &str) -> Value {
    json!({"value": value, "unit": unit, "system": UCUM, "code": unit})
}

/// Tenths as a JSON decimal (69 → 6.9).
fn tenths(n: u16) -> Value {
    serde_json::Number::from_f64(f64::from(n) / 10.0).map_or(Value::Null, Value::Number)
}

/// A panel measurement as an `Observation`.
pub fn render_measurement(m: &Measurement) -> Value {
    let (code, display) = loinc(&m.kind);
    let (cat, cat_display) = category_of(&m.kind);
    let mut v = json!({
        "resourceType": "Observation",
        "basedOn": [{"reference": format!("CarePlan/{}", m.enrolment)}],
        "status": "final",
        "category": [{"coding": [coding(OBSERVATION_CATEGORY, cat, cat_display)]}],
        "code": {"coding": [coding(LOINC, code, display)], "text": display},
        "subject": {"reference": format!("Patient/{}", m.patient)},
        "effectiveDateTime": instant(m.at),
    });
    match m.kind {
        MeasurementKind::BloodPressure {
            systolic,
            diastolic,
        } => {
            v["component"] = json!([
                {"code": {"coding": [coding(LOINC, SYSTOLIC, "Systolic blood pressure")]},
                 "valueQuantity": quantity(json!(systolic), "mm[Hg]")},
                {"code": {"coding": [coding(LOINC, DIASTOLIC, "Diastolic blood pressure")]},
                 "valueQuantity": quantity(json!(diastolic), "mm[Hg]")},
            ]);
        }
        MeasurementKind::HbA1c { tenth_percent } => {
            v["valueQuantity"] = quantity(tenths(tenth_percent), "%");
        }
        MeasurementKind::FastingGlucose { tenth_mmol_per_l } => {
            v["valueQuantity"] = quantity(tenths(tenth_mmol_per_l), "mmol/L");
        }
    }
    v
}

/// The search terms of a measurement.
pub fn index_measurement(m: &Measurement) -> Vec<(String, String)> {
    let (code, _) = loinc(&m.kind);
    let (cat, _) = category_of(&m.kind);
    vec![
        reference_term("patient", "Patient", m.patient.as_str()),
        reference_term("subject", "Patient", m.patient.as_str()),
        reference_term("based-on", "CarePlan", m.enrolment.as_str()),
        reference_term("panel", "CarePlan", m.enrolment.as_str()),
        ("code".into(), code.into()),
        ("code".into(), format!("{LOINC}|{code}").to_lowercase()),
        ("category".into(), cat.into()),
        ("date".into(), instant(m.at)),
    ]
}

/// The measurement kind a LOINC code stands for, by its code alone.
fn kind_code(code: &str) -> Option<&'static str> {
    match code {
        BP_PANEL => Some(BP_PANEL),
        HBA1C => Some(HBA1C),
        FASTING_GLUCOSE => Some(FASTING_GLUCOSE),
        _ => None,
    }
}

/// The LOINC code of an `Observation.code` (or a component's), if any.
fn loinc_code(code: Option<&Value>) -> Option<&str> {
    code?
        .get("coding")?
        .as_array()?
        .iter()
        .find(|c| c.get("system").and_then(Value::as_str) == Some(LOINC))?
        .get("code")?
        .as_str()
}

/// A quantity's value and unit (the UCUM `code`, else `unit`).
fn value_and_unit(q: Option<&Value>, field: &str) -> Result<(f64, String), ServiceError> {
    let q = q.ok_or_else(|| ServiceError::invalid(field, "a valueQuantity is required"))?;
    let value = q.get("value").and_then(Value::as_f64).ok_or_else(|| {
        ServiceError::invalid(format!("{field}.value"), "a numeric value is required")
    })?;
    if let Some(s) = q.get("system").and_then(Value::as_str)
        && s != UCUM
    {
        return Err(ServiceError::invalid(
            format!("{field}.system"),
            format!("units are UCUM ({UCUM}), not {s}"),
        ));
    }
    let code = q.get("code").and_then(Value::as_str);
    let unit = q.get("unit").and_then(Value::as_str);
    if let (Some(c), Some(u)) = (code, unit)
        && c != u
    {
        return Err(ServiceError::invalid(
            format!("{field}.unit"),
            format!("unit {u:?} and code {c:?} disagree"),
        ));
    }
    let unit = code.or(unit).ok_or_else(|| {
        ServiceError::invalid(format!("{field}.unit"), "the unit is required (UCUM)")
    })?;
    Ok((value, unit.to_string()))
}

/// Maps a core refusal of a value to a 400 naming the FHIR field.
fn value_error(e: tiercare_core::outreach::OutreachError, prefix: &str) -> ServiceError {
    match e {
        tiercare_core::outreach::OutreachError::Invalid { field, message } => {
            // A component's own field (`component[systolic]...`) is named
            // from the Observation.
            let path = if field.starts_with("component") {
                format!("Observation.{field}")
            } else {
                format!("{prefix}{field}")
            };
            ServiceError::invalid(path, format!("{field}: {message}"))
        }
        other => ServiceError::invalid(prefix.trim_end_matches('.'), other.to_string()),
    }
}

/// Whether a posted `Observation` is a panel measurement: its `basedOn`
/// names a `CarePlan`.
pub fn is_measurement(value: &Value) -> bool {
    value
        .get("basedOn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|r| {
            r.get("reference")
                .and_then(Value::as_str)
                .is_some_and(|r| r.starts_with("CarePlan/") || r.contains("/CarePlan/"))
        })
}

/// Parses a panel measurement `Observation` (its `resourceType` already
/// checked and stripped).
pub fn parse_measurement(value: &Value) -> Result<MeasurementInput, ServiceError> {
    const KNOWN: [&str; 10] = [
        "resourceType",
        "status",
        "category",
        "code",
        "subject",
        "basedOn",
        "effectiveDateTime",
        "valueQuantity",
        "component",
        "id",
    ];
    super::only_elements(value, "Observation", &KNOWN)?;
    match value.get("status").and_then(Value::as_str) {
        None | Some("final") => {}
        Some(s) => {
            return Err(ServiceError::invalid(
                "Observation.status",
                format!("measurements are recorded final, not {s}"),
            ));
        }
    }
    if value.get("basedOn").and_then(Value::as_array).map(Vec::len) != Some(1) {
        return Err(ServiceError::invalid(
            "Observation.basedOn",
            "name exactly one panel CarePlan",
        ));
    }
    let enrolment = super::required_reference(
        value,
        "/basedOn/0",
        "Observation.basedOn",
        &["CarePlan"],
        "the panel CarePlan",
    )?;
    let patient = super::required_reference(
        value,
        "/subject",
        "Observation.subject",
        &["Patient"],
        "the patient",
    )?;
    let at = value
        .get("effectiveDateTime")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ServiceError::invalid(
                "Observation.effectiveDateTime",
                "when it was measured is required",
            )
        })?;
    let at = super::clinical::parse_instant(at, "Observation.effectiveDateTime")?;
    let code = loinc_code(value.get("code")).and_then(kind_code).ok_or_else(|| {
        ServiceError::invalid(
            "Observation.code",
            format!(
                "a panel measurement is coded in LOINC ({LOINC}): {BP_PANEL} blood pressure, {HBA1C} HbA1c or {FASTING_GLUCOSE} fasting glucose"
            ),
        )
    })?;
    let kind = if code == BP_PANEL {
        if value.get("valueQuantity").is_some() {
            return Err(ServiceError::invalid(
                "Observation.valueQuantity",
                "a blood pressure is given as its systolic and diastolic components",
            ));
        }
        let components = value
            .get("component")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let find = |loinc: &str, name: &str| -> Result<(f64, String), ServiceError> {
            let c = components
                .iter()
                .find(|c| loinc_code(c.get("code")) == Some(loinc))
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "Observation.component",
                        format!("the {name} component (LOINC {loinc}) is required"),
                    )
                })?;
            value_and_unit(
                c.get("valueQuantity"),
                "Observation.component.valueQuantity",
            )
        };
        if components.len() != 2 {
            return Err(ServiceError::invalid(
                "Observation.component",
                "a blood pressure has exactly two components, systolic and diastolic",
            ));
        }
        let (sys, sys_unit) = find(SYSTOLIC, "systolic")?;
        let (dia, dia_unit) = find(DIASTOLIC, "diastolic")?;
        if sys_unit != dia_unit {
            return Err(ServiceError::invalid(
                "Observation.component.valueQuantity.unit",
                format!("systolic in {sys_unit} and diastolic in {dia_unit}: use mm[Hg] for both"),
            ));
        }
        MeasurementKind::blood_pressure(sys, dia, &sys_unit)
            .map_err(|e| value_error(e, "Observation.component."))?
    } else {
        if value.get("component").is_some() {
            return Err(ServiceError::invalid(
                "Observation.component",
                "only a blood pressure has components",
            ));
        }
        let (v, unit) = value_and_unit(value.get("valueQuantity"), "Observation.valueQuantity")?;
        let made = if code == HBA1C {
            MeasurementKind::hba1c(v, &unit)
        } else {
            MeasurementKind::fasting_glucose(v, &unit)
        };
        made.map_err(|e| value_error(e, "Observation."))?
    };
    Ok(MeasurementInput {
        enrolment,
        patient,
        at,
        kind,
    })
}

/// Whether a posted `CarePlan` is a panel enrolment: its category is
/// `chronic-panel`.
pub fn is_enrolment(value: &Value) -> bool {
    value
        .get("category")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("coding").and_then(Value::as_array))
        .flatten()
        .any(|c| c.get("code").and_then(Value::as_str) == Some(PANEL_CATEGORY))
}

fn contained<'a>(value: &'a Value, rt: &str) -> Vec<&'a Value> {
    value
        .get("contained")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
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
    super::only_elements(value, "CarePlan", &KNOWN)?;
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
    let patient = super::required_reference(
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
    let institution = super::required_reference(
        team,
        "/managingOrganization/0",
        "CarePlan.contained.CareTeam.managingOrganization",
        &["Organization"],
        "the primary institution",
    )?;
    let mut family_doctor = None;
    let mut specialist = None;
    for (i, p) in team
        .get("participant")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field = format!("CarePlan.contained.CareTeam.participant[{i}]");
        let member = super::required_reference(
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
    for (i, a) in value
        .get("addresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
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
    for (i, e) in value
        .get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field = format!("CarePlan.extension[{i}]");
        let url = e.get("url").and_then(Value::as_str).unwrap_or_default();
        if url == extension_url("panel-programme") {
            programme = Some(super::required_reference(
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
        .map(|d| super::parse_date(d.get(..10).unwrap_or(d), "CarePlan.period.start"))
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
    SearchParam {
        name: "_id",
        kind: ParamKind::Token,
        doc: "Logical id",
    },
    SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient (required unless administrator)",
    },
    SearchParam {
        name: "subject",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient",
    },
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

/// Search parameters of `Observation`: results and panel measurements.
pub const OBSERVATION_SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "_id",
        kind: ParamKind::Token,
        doc: "Logical id",
    },
    SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient (required unless administrator)",
    },
    SearchParam {
        name: "subject",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient",
    },
    SearchParam {
        name: "performer",
        kind: ParamKind::Reference("Organization"),
        doc: "Results: the institution that made the test",
    },
    SearchParam {
        name: "code",
        kind: ParamKind::Token,
        doc: "LOINC code of the test",
    },
    SearchParam {
        name: "category",
        kind: ParamKind::Token,
        doc: "Panel measurements: vital-signs or laboratory",
    },
    SearchParam {
        name: "based-on",
        kind: ParamKind::Reference("CarePlan"),
        doc: "Panel measurements: the panel CarePlan",
    },
    SearchParam {
        name: "date",
        kind: ParamKind::Date,
        doc: "When measured (ge/le/gt/lt prefixes)",
    },
];
