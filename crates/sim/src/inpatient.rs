//! Inpatient care: which treated episodes are admitted, how long they
//! stay, and the beds they fill.
//!
//! Optional: a scenario without an `[inpatient]` section runs outpatient
//! care alone, exactly as before (admissions draw from a random stream of
//! their own, so adding them leaves every outpatient figure unchanged).
//! An admission follows the visit that treated the episode: a first
//! contact treated where it was made, a referred visit up, or a patient
//! referred down to recover near home (the township ward of a county
//! medical community). It is recorded as the indicators' inpatient visit
//! and fills one bed a night at the institution; a full ward (its licensed
//! beds plus the extra beds it may put up) turns the admission away, and
//! the patient is treated as an outpatient. Stays are not priced yet: the
//! expenditure figures stay those of outpatient care.

use crate::spec::{Spec, SpecError, invalid};
use serde::Deserialize;
use tiercare_core::catalogue::Severity;

/// The scenario's inpatient care, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InpatientSpec {
    /// Share of treated episodes admitted, by severity: mild, moderate,
    /// severe.
    pub admitted: [f64; 3],
    /// Share of patients referred down who are admitted at the primary
    /// institution to recover.
    #[serde(default)]
    pub admitted_after_down: f64,
    /// Mean nights of a stay, by level: primary, secondary, tertiary.
    pub nights: [f64; 3],
    /// Beds a ward may put up beyond its licensed beds before it turns an
    /// admission away, as a share of them (corridor beds).
    #[serde(default)]
    pub extra_beds: f64,
}

/// Inpatient care compiled for the run.
#[derive(Debug, Clone)]
pub struct Inpatient {
    pub admitted: [f64; 3],
    pub admitted_after_down: f64,
    pub nights: [f64; 3],
    /// Licensed beds of each institution, scaled with the residents: what
    /// a day offers.
    pub beds: Vec<u32>,
    /// Beds each institution can fill a night, extra beds included.
    pub room: Vec<u32>,
}

impl Inpatient {
    /// The share admitted of treated episodes of `severity`.
    pub fn admitted(&self, severity: Severity) -> f64 {
        match severity {
            Severity::Mild => self.admitted[0],
            Severity::Moderate => self.admitted[1],
            Severity::Severe => self.admitted[2],
        }
    }
}

/// Compiles the `[inpatient]` section, with beds scaled like the slots.
pub fn compile(spec: &Spec, scale: f64) -> Result<Option<Inpatient>, SpecError> {
    let Some(s) = &spec.inpatient else {
        return Ok(None);
    };
    let share = |v: f64| (0.0..=1.0).contains(&v);
    if !s.admitted.iter().all(|&v| share(v)) {
        return Err(invalid(
            "inpatient.admitted",
            "each share must be between 0 and 1",
        ));
    }
    if !share(s.admitted_after_down) {
        return Err(invalid(
            "inpatient.admitted_after_down",
            "must be between 0 and 1",
        ));
    }
    if !s.nights.iter().all(|&n| (1.0..=365.0).contains(&n)) {
        return Err(invalid(
            "inpatient.nights",
            "each mean stay must be between 1 and 365 nights",
        ));
    }
    if !(0.0..=1.0).contains(&s.extra_beds) {
        return Err(invalid("inpatient.extra_beds", "must be between 0 and 1"));
    }
    let beds: Vec<u32> = spec
        .institution
        .iter()
        .map(|i| (f64::from(i.beds) * scale).round() as u32)
        .collect();
    let room = beds
        .iter()
        .map(|&b| (f64::from(b) * (1.0 + s.extra_beds)).round() as u32)
        .collect();
    Ok(Some(Inpatient {
        admitted: s.admitted,
        admitted_after_down: s.admitted_after_down,
        nights: s.nights,
        beds,
        room,
    }))
}
