//! A panel measurement as an `Observation` based on the panel `CarePlan`:
//! a blood pressure, an HbA1c or a fasting glucose taken at a follow-up.
//!
//! Measurements are LOINC-coded: blood pressure 85354-9 with components
//! systolic 8480-6 and diastolic 8462-4 in `mm[Hg]` (category vital-signs),
//! HbA1c 4548-4 in `%`, fasting glucose 1558-6 in `mmol/L` (category
//! laboratory); quantities carry the UCUM system. Values are given back in
//! the unit they are stored in, whatever unit they were sent in. Results
//! are `Observation`s too ([`crate::clinical`]); [`is_measurement`] tells
//! a posted body which of the two it is.

use super::coding;
use crate::clinical::LOINC;
use crate::referral::instant;
use crate::{ParamKind, SearchParam, reference_term};
use serde_json::{Value, json};
use tiercare_core::outreach::{Measurement, MeasurementKind};
use tiercare_service::ServiceError;
use tiercare_service::panels::MeasurementInput;

/// UCUM, the system of every quantity.
pub const UCUM: &str = "http://unitsofmeasure.org";
const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

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
    crate::items(value, "basedOn").any(|r| {
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
    crate::only_elements(value, "Observation", &KNOWN)?;
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
    let enrolment = crate::required_reference(
        value,
        "/basedOn/0",
        "Observation.basedOn",
        &["CarePlan"],
        "the panel CarePlan",
    )?;
    let patient = crate::required_reference(
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
    let at = crate::clinical::parse_instant(at, "Observation.effectiveDateTime")?;
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

/// Search parameters of `Observation`: results and panel measurements.
pub const OBSERVATION_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam::PATIENT,
    SearchParam::SUBJECT,
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
