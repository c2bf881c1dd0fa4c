//! Resource-sharing hubs: examined at the grassroots, diagnosed above.
//!
//! Most county medical communities keep the skill of reading an ECG, an
//! X-ray, a lab panel or a slide at the county hospital and the patient at
//! the township: the township centre takes the trace, the film or the
//! sample, and the hospital's imaging, ECG, laboratory or pathology centre
//! reads it and sends the report back. A [`Hub`] is such a department of an
//! alliance institution, serving named member institutions.
//!
//! A primary doctor orders a reading ([`ReadingOrder`]) with a priority;
//! its deadline comes from the region's policy (`[hubs]`). A reader at the
//! hub takes it, so two readers never report the same study, and reports
//! it: a conclusion and coded findings, kept as an ordinary
//! [`DiagnosticReport`] based on the order, so the reading is a result like
//! any other and is recognised by a later referral. A critical finding
//! (ST elevation, a pneumothorax) raises an alert the ordering side must
//! acknowledge; the acknowledgement records who and when, and the referral
//! it was turned into, if any.

mod order;

#[cfg(test)]
mod tests;

pub use order::{
    Acknowledgement, Acquisition, CriticalAlert, NewReading, NewReadingOrder, ReadingChange,
    ReadingCharge, ReadingEvent, ReadingOrder, ReadingState, sort_queue,
};

use crate::clinical::{DiagnosticReport, TestCode};
use crate::level::coded_enum;
use crate::policy::{Policy, ReadingDeadline, add_working_days};
use crate::{HubId, InstitutionId, Specialty};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

coded_enum!(
    /// What a hub reads.
    HubKind {
        Ecg = "ecg" / "ECG centre",
        Imaging = "imaging" / "Imaging centre",
        Laboratory = "laboratory" / "Laboratory centre",
        Pathology = "pathology" / "Pathology centre",
    }
);

impl HubKind {
    /// The LOINC code a report of this kind is filed under, so its
    /// recognition window is the region's for that test.
    pub fn report_code(self) -> (&'static str, &'static str) {
        match self {
            HubKind::Ecg => ("11524-6", "EKG study"),
            HubKind::Imaging => ("18748-4", "Diagnostic imaging study"),
            HubKind::Laboratory => ("11502-2", "Laboratory report"),
            HubKind::Pathology => ("11526-1", "Pathology study"),
        }
    }

    /// The report's test code.
    pub fn test(self) -> TestCode {
        // Checked by the `report_codes_are_loinc` test.
        TestCode::new(self.report_code().0).expect("the hub report codes are LOINC codes")
    }

    /// The hospital department an emergency referral from a critical
    /// finding of this kind goes to, unless the doctor picks another.
    pub fn referral_specialty(self) -> Specialty {
        match self {
            HubKind::Ecg => Specialty::Cardiology,
            HubKind::Imaging | HubKind::Laboratory | HubKind::Pathology => Specialty::Emergency,
        }
    }

    /// The region's deadlines for this kind.
    pub fn deadline(self, policy: &Policy) -> ReadingDeadline {
        match self {
            HubKind::Ecg => policy.hubs.ecg,
            HubKind::Imaging => policy.hubs.imaging,
            HubKind::Laboratory => policy.hubs.laboratory,
            HubKind::Pathology => policy.hubs.pathology,
        }
    }

    /// The fee of this kind's reading and the hub's share, under `policy`.
    pub fn fee(self, policy: &Policy) -> crate::policy::ReadingFee {
        let f = &policy.hubs.fees;
        match self {
            HubKind::Ecg => f.ecg,
            HubKind::Imaging => f.imaging,
            HubKind::Laboratory => f.laboratory,
            HubKind::Pathology => f.pathology,
        }
    }
}

coded_enum!(
    /// How soon a reading is needed; the FHIR `ServiceRequest.priority`
    /// codes of the same names.
    ReadingPriority {
        /// Now: a suspected infarct, a suspected pneumothorax.
        Stat = "stat" / "Stat",
        Urgent = "urgent" / "Urgent",
        Routine = "routine" / "Routine",
    }
);

impl ReadingPriority {
    /// Rank in a reading queue: stat first.
    pub fn rank(self) -> u8 {
        match self {
            ReadingPriority::Stat => 0,
            ReadingPriority::Urgent => 1,
            ReadingPriority::Routine => 2,
        }
    }

    /// When a reading of this kind ordered at `ordered_at` is due.
    pub fn due(self, kind: HubKind, ordered_at: OffsetDateTime, policy: &Policy) -> OffsetDateTime {
        let d = kind.deadline(policy);
        match self {
            ReadingPriority::Stat => ordered_at + Duration::minutes(i64::from(d.stat_minutes)),
            ReadingPriority::Urgent => ordered_at + Duration::minutes(i64::from(d.urgent_minutes)),
            ReadingPriority::Routine => add_working_days(ordered_at, d.routine_working_days),
        }
    }
}

/// A coded finding of a report (SNOMED CT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub display: String,
}

/// Findings a reader picks from, by kind: the code, its name, and whether
/// it is critical (raises an alert by itself).
pub const FINDINGS: &[(HubKind, &str, &str, bool)] = &[
    (HubKind::Ecg, "164854000", "ECG normal", false),
    (HubKind::Ecg, "164931005", "ST segment elevation", true),
    (HubKind::Ecg, "25569003", "Ventricular tachycardia", true),
    (
        HubKind::Ecg,
        "27885002",
        "Complete atrioventricular block",
        true,
    ),
    (HubKind::Ecg, "49436004", "Atrial fibrillation", false),
    (HubKind::Ecg, "55930002", "ST segment depression", false),
    (HubKind::Imaging, "17621005", "Normal", false),
    (HubKind::Imaging, "36118008", "Pneumothorax", true),
    (HubKind::Imaging, "233604007", "Pneumonia", false),
    (HubKind::Imaging, "125605004", "Fracture of bone", false),
    (HubKind::Laboratory, "17621005", "Normal", false),
    (
        HubKind::Laboratory,
        "166705000",
        "Serum potassium raised",
        true,
    ),
    (HubKind::Laboratory, "271737000", "Anaemia", false),
    (HubKind::Pathology, "17621005", "Normal", false),
    (HubKind::Pathology, "86049000", "Malignant neoplasm", false),
];

/// The catalogue's findings of one kind.
pub fn findings_of(kind: HubKind) -> impl Iterator<Item = (&'static str, &'static str, bool)> {
    FINDINGS
        .iter()
        .filter(move |(k, ..)| *k == kind)
        .map(|(_, code, display, critical)| (*code, *display, *critical))
}

/// Whether a finding is critical by the catalogue.
pub fn is_critical(kind: HubKind, code: &str) -> bool {
    findings_of(kind).any(|(c, _, critical)| critical && c == code)
}

/// Whether a text is a SNOMED CT concept id: 6 to 18 digits.
pub fn is_snomed_code(code: &str) -> bool {
    (6..=18).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

/// An alliance institution's department that reads studies for its
/// members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hub {
    pub id: HubId,
    pub name: String,
    /// The institution the department belongs to (`providedBy`).
    pub institution: InstitutionId,
    pub kind: HubKind,
    /// The institutions whose doctors may order readings.
    pub members: Vec<InstitutionId>,
    /// Whether it takes new orders.
    pub active: bool,
}

/// Why a hub or a reading was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error("cannot {action} a reading that is {state}")]
    IllegalTransition {
        action: &'static str,
        state: &'static str,
    },
    /// The caller is not on the side that may do this.
    #[error("{0}")]
    NotAllowed(String),
    #[error("a user with role {0} may not take part in hub readings")]
    Role(&'static str),
    /// A field breaks a rule; `field` is its FHIR element name.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> HubError {
    HubError::Invalid {
        field,
        message: message.into(),
    }
}

impl Hub {
    /// Checks the rules of the hub record on its own.
    pub fn validate(&self) -> Result<(), HubError> {
        if self.name.trim().is_empty() {
            return Err(invalid("name", "a hub needs a name"));
        }
        if self.members.is_empty() {
            return Err(invalid(
                "extension(hub-member)",
                "a hub serves at least one member institution",
            ));
        }
        if self.members.contains(&self.institution) {
            return Err(invalid(
                "extension(hub-member)",
                "the hub's own institution is not one of its members",
            ));
        }
        let mut seen = self.members.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.members.len() {
            return Err(invalid("extension(hub-member)", "a member is named twice"));
        }
        Ok(())
    }

    /// Whether doctors of `institution` may order readings here.
    pub fn serves(&self, institution: &InstitutionId) -> bool {
        self.active && self.members.contains(institution)
    }
}

/// The report's findings checked and named: a finding of the catalogue
/// takes the catalogue's name, another SNOMED code needs one. Answers the
/// findings and whether any is critical by the catalogue.
pub fn check_findings(
    kind: HubKind,
    findings: Vec<Finding>,
) -> Result<(Vec<Finding>, bool), HubError> {
    let mut checked = Vec::with_capacity(findings.len());
    let mut critical = false;
    for f in findings {
        if !is_snomed_code(&f.code) {
            return Err(invalid(
                "conclusionCode",
                format!("{:?} is not a SNOMED CT concept id", f.code),
            ));
        }
        let known = findings_of(kind).find(|(c, ..)| *c == f.code);
        let display = match known {
            Some((_, display, is_critical)) => {
                critical |= is_critical;
                if f.display.trim().is_empty() {
                    display.to_string()
                } else {
                    f.display
                }
            }
            None if f.display.trim().is_empty() => {
                return Err(invalid(
                    "conclusionCode",
                    format!("finding {} needs its name", f.code),
                ));
            }
            None => f.display,
        };
        if checked.iter().any(|c: &Finding| c.code == f.code) {
            return Err(invalid(
                "conclusionCode",
                format!("finding {} is named twice", f.code),
            ));
        }
        checked.push(Finding {
            code: f.code,
            display,
        });
    }
    Ok((checked, critical))
}

/// Whether a report answers a hub reading.
pub fn is_reading_report(report: &DiagnosticReport) -> bool {
    report.based_on.is_some()
}
