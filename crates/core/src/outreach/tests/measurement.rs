//! Parsing measurements: units, conversions, rounding and plausibility.

use super::*;

fn message(r: Result<MeasurementKind, OutreachError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn blood_pressure_is_whole_mmhg_systolic_above_diastolic() {
    assert_eq!(
        bp(139.0, 89.0),
        MeasurementKind::BloodPressure {
            systolic: 139,
            diastolic: 89
        }
    );
    assert_eq!(
        message(MeasurementKind::blood_pressure(139.0, 89.0, "mmol/L")),
        "valueQuantity.unit: mmol/L is not a unit of blood pressure (use mm[Hg])"
    );
    let bp = MeasurementKind::blood_pressure;
    assert_eq!(
        field(bp(90.0, 90.0, "mm[Hg]")),
        "component[diastolic].valueQuantity.value"
    );
    assert_eq!(
        field(bp(301.0, 90.0, "mm[Hg]")),
        "component[systolic].valueQuantity.value"
    );
    assert!(bp(300.0, 200.0, "mm[Hg]").is_ok());
    assert!(bp(50.0, 20.0, "mm[Hg]").is_ok());
    assert_eq!(
        field(bp(120.0, 19.0, "mm[Hg]")),
        "component[diastolic].valueQuantity.value"
    );
    assert_eq!(
        field(bp(f64::NAN, 80.0, "mm[Hg]")),
        "component[systolic].valueQuantity.value"
    );
    assert_eq!(
        field(bp(-120.0, 80.0, "mm[Hg]")),
        "component[systolic].valueQuantity.value"
    );
}

#[test]
fn hba1c_in_percent_or_ifcc_rounds_to_a_tenth() {
    let tenths = |v: f64, unit: &str| match MeasurementKind::hba1c(v, unit).unwrap() {
        MeasurementKind::HbA1c { tenth_percent } => tenth_percent,
        other => panic!("{other:?}"),
    };
    assert_eq!(tenths(6.9, "%"), 69);
    assert_eq!(tenths(7.0, "%"), 70);
    // 6.95 is a half step: rounded away from zero, to 7.0.
    assert_eq!(tenths(6.95, "%"), 70);
    assert_eq!(tenths(6.94, "%"), 69);
    // IFCC to NGSP: 0.09148 x 52 + 2.152 = 6.90896 -> 6.9 %;
    // 0.09148 x 53 + 2.152 = 7.00044 -> 7.0 %.
    assert_eq!(tenths(52.0, "mmol/mol"), 69);
    assert_eq!(tenths(53.0, "mmol/mol"), 70);
    assert_eq!(
        message(MeasurementKind::hba1c(6.9, "mg/dL")),
        "valueQuantity.unit: mg/dL is not a unit of HbA1c (use % or mmol/mol)"
    );
    assert_eq!(
        message(MeasurementKind::hba1c(25.0, "%")),
        "valueQuantity.value: HbA1c 25.0 % is outside the plausible 3.0-20.0 %"
    );
    // 0.09148 x 5 + 2.152 = 2.6094 -> 2.6 %, below 3.0.
    assert_eq!(
        field(MeasurementKind::hba1c(5.0, "mmol/mol")),
        "valueQuantity.value"
    );
    assert_eq!(
        MeasurementKind::hba1c(6.9, "%").unwrap().to_string(),
        "6.9 %"
    );
}

#[test]
fn glucose_in_mmol_or_mg_per_dl_rounds_to_a_tenth() {
    let tenths = |v: f64, unit: &str| match MeasurementKind::fasting_glucose(v, unit).unwrap() {
        MeasurementKind::FastingGlucose { tenth_mmol_per_l } => tenth_mmol_per_l,
        other => panic!("{other:?}"),
    };
    assert_eq!(tenths(4.4, "mmol/L"), 44);
    assert_eq!(tenths(7.0, "mmol/L"), 70);
    // mg/dL / 18: 126 -> 7.0; 127 -> 7.056 -> 7.1; 79 -> 4.389 -> 4.4;
    // 78 -> 4.333 -> 4.3.
    assert_eq!(tenths(126.0, "mg/dL"), 70);
    assert_eq!(tenths(127.0, "mg/dL"), 71);
    assert_eq!(tenths(79.0, "mg/dL"), 44);
    assert_eq!(tenths(78.0, "mg/dL"), 43);
    assert_eq!(
        message(MeasurementKind::fasting_glucose(5.0, "%")),
        "valueQuantity.unit: % is not a unit of glucose (use mmol/L or mg/dL)"
    );
    // 800 mg/dL = 44.4 mmol/L: above 40.0.
    assert_eq!(
        field(MeasurementKind::fasting_glucose(800.0, "mg/dL")),
        "valueQuantity.value"
    );
    assert_eq!(
        field(MeasurementKind::fasting_glucose(0.9, "mmol/L")),
        "valueQuantity.value"
    );
    // UCUM codes are case-sensitive.
    assert_eq!(
        field(MeasurementKind::fasting_glucose(5.0, "mmol/l")),
        "valueQuantity.unit"
    );
}

#[test]
fn a_measurement_belongs_to_its_enrolment_while_enrolled() {
    let mut e = enrolment(
        "e1",
        "res-1",
        &[PanelCondition::Hypertension],
        date!(2026 - 03 - 05),
    );
    e.ended = Some(date!(2026 - 09 - 30));
    let now = datetime!(2026-04-01 12:00 UTC);
    let m = measurement("m1", &e, datetime!(2026-03-05 10:00 UTC), bp(150.0, 95.0));
    assert_eq!(
        m.clone().record(&e, now).unwrap().kind(),
        "panel.measured.v1"
    );

    let mut other_patient = m.clone();
    other_patient.patient = id("res-2");
    assert_eq!(field(other_patient.record(&e, now)), "subject");
    let mut before = m.clone();
    before.at = datetime!(2026-03-04 23:59 UTC);
    assert_eq!(field(before.record(&e, now)), "effectiveDateTime");
    let mut future = m.clone();
    future.at = now + Duration::minutes(6);
    assert_eq!(field(future.record(&e, now)), "effectiveDateTime");
    let mut after_end = m.clone();
    after_end.at = datetime!(2026-10-01 09:00 UTC);
    assert_eq!(
        field(after_end.record(&e, datetime!(2026-10-02 09:00 UTC))),
        "effectiveDateTime"
    );
    // Read back from storage without the constructor: still checked.
    let mut implausible = m;
    implausible.kind = MeasurementKind::BloodPressure {
        systolic: 80,
        diastolic: 120,
    };
    assert_eq!(
        field(implausible.record(&e, now)),
        "component[diastolic].valueQuantity.value"
    );
}
