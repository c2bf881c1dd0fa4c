//! Results that travel with a referral (mutual recognition).
//!
//! A family doctor records results (`Observation`s: a blood pressure, an
//! HbA1c) and examination reports (`DiagnosticReport`s: a chest CT) and
//! attaches them to a referral, together with a summary of the patient's
//! active conditions, medicines and allergies. The receiving hospital sees
//! for each result whether it is still recent enough to be recognised under
//! the region's policy (a validity window per test), so a recognised test
//! is not repeated: the cost and the wait the pilots wanted to remove.

use crate::catalogue::IcdCode;
use crate::hub::Finding;
use crate::medicines::MedicineCode;
use crate::policy::Policy;
use crate::{
    DiagnosticReportId, InstitutionId, ObservationId, PractitionerId, ReadingOrderId, ResidentId,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Duration, OffsetDateTime};

#[cfg(test)]
mod tests;

/// A LOINC code naming a test (`4548-4` is HbA1c). The region's validity
/// windows are keyed by it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TestCode(String);

/// A test code that is not a LOINC code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a LOINC code (digits, a hyphen and a check digit, like 4548-4)")]
pub struct InvalidTestCode(pub String);

impl TestCode {
    /// Checks the LOINC form: 1 to 7 digits, `-`, one check digit.
    pub fn new(s: impl Into<String>) -> Result<TestCode, InvalidTestCode> {
        let s = s.into();
        let ok = s.split_once('-').is_some_and(|(num, check)| {
            (1..=7).contains(&num.len())
                && num.bytes().all(|b| b.is_ascii_digit())
                && check.len() == 1
                && check.bytes().all(|b| b.is_ascii_digit())
        });
        if ok {
            Ok(TestCode(s))
        } else {
            Err(InvalidTestCode(s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TestCode {
    type Error = InvalidTestCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TestCode::new(s)
    }
}

impl From<TestCode> for String {
    fn from(c: TestCode) -> String {
        c.0
    }
}

impl fmt::Display for TestCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a result says: a measured quantity or a finding in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ResultValue {
    Quantity { value: f64, unit: String },
    Text { text: String },
}

/// One clinical result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub id: ObservationId,
    pub patient: ResidentId,
    pub test: TestCode,
    /// The test's name as the doctor sees it ("HbA1c").
    pub name: String,
    pub value: ResultValue,
    /// When the sample was taken or the measurement made: recognition
    /// counts from here, not from when it was typed in.
    #[serde(with = "time::serde::rfc3339")]
    pub effective: OffsetDateTime,
    /// The institution that made the test.
    pub performer: InstitutionId,
    pub recorded_by: PractitionerId,
}

/// An examination report: imaging, an ECG, a lab panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticReport {
    pub id: DiagnosticReportId,
    pub patient: ResidentId,
    pub test: TestCode,
    pub name: String,
    /// The reporting doctor's conclusion.
    pub conclusion: String,
    #[serde(with = "time::serde::rfc3339")]
    pub effective: OffsetDateTime,
    pub performer: InstitutionId,
    /// The individual results the report groups, if any.
    #[serde(default)]
    pub results: Vec<ObservationId>,
    pub recorded_by: PractitionerId,
    /// The hub reading this report answers, when a hub read the study.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub based_on: Option<ReadingOrderId>,
    /// Coded findings (SNOMED CT), as a hub reader reports them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// Why a result cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

fn invalid(field: &'static str, message: &str) -> ResultError {
    ResultError::Invalid {
        field,
        message: message.into(),
    }
}

/// Results may be timed a little ahead of the server's clock (a device's
/// clock), never more.
const CLOCK_SKEW: Duration = Duration::minutes(5);

impl Observation {
    /// Checks what a stored result must have.
    pub fn check(&self, now: OffsetDateTime) -> Result<(), ResultError> {
        if self.name.trim().is_empty() {
            return Err(invalid("code", "the test needs a name"));
        }
        match &self.value {
            ResultValue::Quantity { value, unit } => {
                if !value.is_finite() {
                    return Err(invalid("valueQuantity.value", "must be a finite number"));
                }
                if unit.trim().is_empty() {
                    return Err(invalid("valueQuantity.unit", "a quantity needs a unit"));
                }
            }
            ResultValue::Text { text } if text.trim().is_empty() => {
                return Err(invalid("valueString", "the finding is empty"));
            }
            ResultValue::Text { .. } => {}
        }
        check_effective(self.effective, now)
    }
}

impl DiagnosticReport {
    /// Checks what a stored report must have.
    pub fn check(&self, now: OffsetDateTime) -> Result<(), ResultError> {
        if self.name.trim().is_empty() {
            return Err(invalid("code", "the examination needs a name"));
        }
        if self.conclusion.trim().is_empty() {
            return Err(invalid("conclusion", "a report needs a conclusion"));
        }
        check_effective(self.effective, now)
    }
}

fn check_effective(effective: OffsetDateTime, now: OffsetDateTime) -> Result<(), ResultError> {
    if effective > now + CLOCK_SKEW {
        return Err(invalid(
            "effectiveDateTime",
            "a result cannot be in the future",
        ));
    }
    Ok(())
}

/// Whether another institution recognises a result instead of repeating
/// the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recognition {
    /// Recent enough: recognised until this time.
    Recognised { until: OffsetDateTime },
    /// Too old: not recognised since this time; the test is repeated.
    Expired { since: OffsetDateTime },
}

impl Recognition {
    /// Under the region's validity window for `test`, at `now`.
    pub fn of(
        test: &TestCode,
        effective: OffsetDateTime,
        policy: &Policy,
        now: OffsetDateTime,
    ) -> Recognition {
        let until = effective + Duration::days(i64::from(policy.validity_days(test.as_str())));
        if now <= until {
            Recognition::Recognised { until }
        } else {
            Recognition::Expired { since: until }
        }
    }

    /// `recognised` or `expired`.
    pub fn code(self) -> &'static str {
        match self {
            Recognition::Recognised { .. } => "recognised",
            Recognition::Expired { .. } => "expired",
        }
    }

    /// Whether the result stands in for a new test.
    pub fn is_recognised(self) -> bool {
        matches!(self, Recognition::Recognised { .. })
    }

    /// The end of the validity window.
    pub fn until(self) -> OffsetDateTime {
        match self {
            Recognition::Recognised { until } | Recognition::Expired { since: until } => until,
        }
    }
}

/// The two kinds of result a referral can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultKind {
    Observation,
    DiagnosticReport,
}

impl ResultKind {
    /// The FHIR resource type.
    pub fn resource_type(self) -> &'static str {
        match self {
            ResultKind::Observation => "Observation",
            ResultKind::DiagnosticReport => "DiagnosticReport",
        }
    }
}

/// A result attached to a referral: enough of it to show the receiving
/// side what it is and whether it is recognised without another lookup.
/// The validity window is fixed when the result is attached, under the
/// policy then in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedResult {
    pub kind: ResultKind,
    pub id: String,
    pub test: TestCode,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub effective: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
}

impl AttachedResult {
    pub fn of_observation(o: &Observation, policy: &Policy) -> AttachedResult {
        AttachedResult::new(
            ResultKind::Observation,
            o.id.as_str(),
            &o.test,
            &o.name,
            o.effective,
            policy,
        )
    }

    pub fn of_report(r: &DiagnosticReport, policy: &Policy) -> AttachedResult {
        AttachedResult::new(
            ResultKind::DiagnosticReport,
            r.id.as_str(),
            &r.test,
            &r.name,
            r.effective,
            policy,
        )
    }

    fn new(
        kind: ResultKind,
        id: &str,
        test: &TestCode,
        name: &str,
        effective: OffsetDateTime,
        policy: &Policy,
    ) -> AttachedResult {
        let valid_until = Recognition::of(test, effective, policy, effective).until();
        AttachedResult {
            kind,
            id: id.to_string(),
            test: test.clone(),
            name: name.to_string(),
            effective,
            valid_until,
        }
    }

    /// Whether the receiving side recognises it at `now`.
    pub fn recognition(&self, now: OffsetDateTime) -> Recognition {
        if now <= self.valid_until {
            Recognition::Recognised {
                until: self.valid_until,
            }
        } else {
            Recognition::Expired {
                since: self.valid_until,
            }
        }
    }
}

/// A medicine the patient takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MedicineUse {
    pub medicine: MedicineCode,
    pub name: String,
    /// How it is taken ("5 mg once a day").
    #[serde(default)]
    pub dosage: String,
}

/// The patient summary a referral letter carries, as the referrer saw it
/// when referring.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientSummary {
    /// Active conditions (catalogue codes).
    #[serde(default)]
    pub conditions: Vec<IcdCode>,
    #[serde(default)]
    pub medications: Vec<MedicineUse>,
    /// Allergies and intolerances, in words ("penicillin: rash").
    #[serde(default)]
    pub allergies: Vec<String>,
}

impl PatientSummary {
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty() && self.medications.is_empty() && self.allergies.is_empty()
    }
}
