//! Panel measurements, parsed from a value and its UCUM unit into exact
//! integers.
//!
//! Control targets are thresholds ("HbA1c below 7.0 %"), so values are kept
//! as integers in the unit a laboratory reports to: blood pressure in whole
//! mmHg, HbA1c in tenths of a percent, glucose in tenths of a mmol/L. A
//! value is rounded once, to the nearest step with halves away from zero,
//! when it is parsed (and after converting units), and compared exactly
//! ever after: 6.95 % is 7.0 %, 79 mg/dL (4.39 mmol/L) is 4.4 mmol/L.

use super::{OutreachError, OutreachEvent, PanelEnrolment, invalid};
use crate::{EnrolmentId, MeasurementId, ResidentId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::RangeInclusive;
use time::{Duration, OffsetDateTime};

/// One measurement of a panel patient (a FHIR `Observation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measurement {
    pub id: MeasurementId,
    pub enrolment: EnrolmentId,
    pub patient: ResidentId,
    /// When it was measured or the sample taken.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub kind: MeasurementKind,
}

/// What was measured, in exact integer steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum MeasurementKind {
    /// Office blood pressure, mmHg.
    BloodPressure { systolic: u16, diastolic: u16 },
    /// HbA1c in tenths of a percent (NGSP/DCCT): 69 is 6.9 %.
    #[serde(rename = "hba1c")]
    HbA1c { tenth_percent: u16 },
    /// Fasting plasma glucose in tenths of a mmol/L: 70 is 7.0 mmol/L.
    FastingGlucose { tenth_mmol_per_l: u16 },
}

/// Plausible values; anything outside is a typing or unit error.
const SYSTOLIC: RangeInclusive<u16> = 50..=300;
const DIASTOLIC: RangeInclusive<u16> = 20..=200;
const HBA1C_TENTHS: RangeInclusive<u16> = 30..=200;
const GLUCOSE_TENTHS: RangeInclusive<u16> = 10..=400;

const UNIT: &str = "valueQuantity.unit";
const VALUE: &str = "valueQuantity.value";
const SYSTOLIC_VALUE: &str = "component[systolic].valueQuantity.value";
const DIASTOLIC_VALUE: &str = "component[diastolic].valueQuantity.value";

/// mg/dL of glucose per mmol/L (molar mass 180 g/mol, rounded as clinics
/// convert).
const GLUCOSE_MG_PER_MMOL: f64 = 18.0;

/// `value` rounded to whole steps of `1/scale` and expressed in them.
fn steps(value: f64, scale: f64, field: &'static str) -> Result<u16, OutreachError> {
    let n = (value * scale).round();
    if !n.is_finite() || n < 0.0 || n > f64::from(u16::MAX) {
        return Err(invalid(field, format!("{value} is not a plausible value")));
    }
    Ok(n as u16)
}

fn tenths(n: u16) -> String {
    format!("{}.{}", n / 10, n % 10)
}

fn plausible(
    field: &'static str,
    what: &str,
    n: u16,
    range: RangeInclusive<u16>,
    unit: &str,
    show: fn(u16) -> String,
) -> Result<(), OutreachError> {
    if range.contains(&n) {
        return Ok(());
    }
    Err(invalid(
        field,
        format!(
            "{what} {} {unit} is outside the plausible {}-{} {unit}",
            show(n),
            show(*range.start()),
            show(*range.end())
        ),
    ))
}

impl MeasurementKind {
    /// A blood pressure in `mm[Hg]`.
    pub fn blood_pressure(
        systolic: f64,
        diastolic: f64,
        unit: &str,
    ) -> Result<Self, OutreachError> {
        if unit != "mm[Hg]" {
            return Err(invalid(
                UNIT,
                format!("{unit} is not a unit of blood pressure (use mm[Hg])"),
            ));
        }
        let kind = MeasurementKind::BloodPressure {
            systolic: steps(systolic, 1.0, SYSTOLIC_VALUE)?,
            diastolic: steps(diastolic, 1.0, DIASTOLIC_VALUE)?,
        };
        kind.check()?;
        Ok(kind)
    }

    /// An HbA1c in `%` (NGSP) or `mmol/mol` (IFCC, converted by the master
    /// equation NGSP % = 0.09148 × IFCC + 2.152).
    pub fn hba1c(value: f64, unit: &str) -> Result<Self, OutreachError> {
        let percent = match unit {
            "%" => value,
            "mmol/mol" => 0.09148 * value + 2.152,
            _ => {
                return Err(invalid(
                    UNIT,
                    format!("{unit} is not a unit of HbA1c (use % or mmol/mol)"),
                ));
            }
        };
        let kind = MeasurementKind::HbA1c {
            tenth_percent: steps(percent, 10.0, VALUE)?,
        };
        kind.check()?;
        Ok(kind)
    }

    /// A fasting glucose in `mmol/L`, or `mg/dL` (divided by 18).
    pub fn fasting_glucose(value: f64, unit: &str) -> Result<Self, OutreachError> {
        let mmol = match unit {
            "mmol/L" => value,
            "mg/dL" => value / GLUCOSE_MG_PER_MMOL,
            _ => {
                return Err(invalid(
                    UNIT,
                    format!("{unit} is not a unit of glucose (use mmol/L or mg/dL)"),
                ));
            }
        };
        let kind = MeasurementKind::FastingGlucose {
            tenth_mmol_per_l: steps(mmol, 10.0, VALUE)?,
        };
        kind.check()?;
        Ok(kind)
    }

    /// Checks the value is plausible (also for values read back from
    /// storage, which skip the constructors).
    pub fn check(&self) -> Result<(), OutreachError> {
        match *self {
            MeasurementKind::BloodPressure {
                systolic,
                diastolic,
            } => {
                let whole = |n: u16| n.to_string();
                plausible(
                    SYSTOLIC_VALUE,
                    "systolic",
                    systolic,
                    SYSTOLIC,
                    "mm[Hg]",
                    whole,
                )?;
                plausible(
                    DIASTOLIC_VALUE,
                    "diastolic",
                    diastolic,
                    DIASTOLIC,
                    "mm[Hg]",
                    whole,
                )?;
                if systolic <= diastolic {
                    return Err(invalid(
                        DIASTOLIC_VALUE,
                        format!("diastolic {diastolic} must be below systolic {systolic}"),
                    ));
                }
                Ok(())
            }
            MeasurementKind::HbA1c { tenth_percent } => {
                plausible(VALUE, "HbA1c", tenth_percent, HBA1C_TENTHS, "%", tenths)
            }
            MeasurementKind::FastingGlucose { tenth_mmol_per_l } => plausible(
                VALUE,
                "glucose",
                tenth_mmol_per_l,
                GLUCOSE_TENTHS,
                "mmol/L",
                tenths,
            ),
        }
    }

    /// The kind's code: `blood-pressure`, `hba1c`, `fasting-glucose`.
    pub fn code(&self) -> &'static str {
        match self {
            MeasurementKind::BloodPressure { .. } => "blood-pressure",
            MeasurementKind::HbA1c { .. } => "hba1c",
            MeasurementKind::FastingGlucose { .. } => "fasting-glucose",
        }
    }
}

impl fmt::Display for MeasurementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MeasurementKind::BloodPressure {
                systolic,
                diastolic,
            } => write!(f, "{systolic}/{diastolic} mm[Hg]"),
            MeasurementKind::HbA1c { tenth_percent } => write!(f, "{} %", tenths(tenth_percent)),
            MeasurementKind::FastingGlucose { tenth_mmol_per_l } => {
                write!(f, "{} mmol/L", tenths(tenth_mmol_per_l))
            }
        }
    }
}

/// Measurements may be timed a little ahead of the server's clock (a
/// device's clock), never more.
const CLOCK_SKEW: Duration = Duration::minutes(5);

impl Measurement {
    /// Checks the measurement belongs to `enrolment` (same patient, taken
    /// while enrolled, not in the future) and returns its event.
    pub fn record(
        self,
        enrolment: &PanelEnrolment,
        now: OffsetDateTime,
    ) -> Result<OutreachEvent, OutreachError> {
        if self.enrolment != enrolment.id {
            return Err(invalid(
                "basedOn",
                format!("the measurement belongs to enrolment {}", self.enrolment),
            ));
        }
        if self.patient != enrolment.patient {
            return Err(invalid(
                "subject",
                format!(
                    "enrolment {} is Patient/{}'s",
                    enrolment.id, enrolment.patient
                ),
            ));
        }
        if !enrolment.active_on(self.at.date()) {
            return Err(invalid(
                "effectiveDateTime",
                "taken while the patient was not enrolled",
            ));
        }
        if self.at > now + CLOCK_SKEW {
            return Err(invalid(
                "effectiveDateTime",
                "a measurement cannot be in the future",
            ));
        }
        self.kind.check()?;
        Ok(OutreachEvent::Measured { measurement: self })
    }
}
