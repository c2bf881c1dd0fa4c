//! Identifiers of the things in a care network.
//!
//! Each kind of record has its own id type so that a resident id can never be
//! passed where an institution id is expected. Ids follow the FHIR `id` rules
//! (1-64 characters of `A-Z a-z 0-9 - .`), so every id is also a valid FHIR
//! logical id and can appear in a URL without escaping.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An id string failed the FHIR `id` rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid id {0:?}: use 1-64 characters of A-Z, a-z, 0-9, '-' and '.'")]
pub struct InvalidId(pub String);

/// Checks the FHIR `id` rules shared by every id type.
pub fn check_id(s: &str) -> Result<(), InvalidId> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(InvalidId(s.to_string()))
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an id, checking the FHIR `id` rules.
            pub fn new(s: impl Into<String>) -> Result<Self, InvalidId> {
                let s = s.into();
                check_id(&s)?;
                Ok(Self(s))
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::new(s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::new(s)
            }
        }
    };
}

id_type!(
    /// A region served by one tiercare deployment (a county, a city, a province).
    RegionId
);
id_type!(
    /// A health institution: a clinic, a health centre or a hospital.
    InstitutionId
);
id_type!(
    /// A medical alliance (urban medical group, county medical community, ...).
    AllianceId
);
id_type!(
    /// One institution's membership of one alliance.
    MembershipId
);
id_type!(
    /// A physical place: an institution's site or a ward.
    LocationId
);
id_type!(
    /// A person who practises: doctor, nurse, coordinator.
    PractitionerId
);
id_type!(
    /// A practitioner's role at one institution.
    RoleId
);
id_type!(
    /// A family-doctor team at a primary institution.
    TeamId
);
id_type!(
    /// A resident of the region: a patient, or a patient-to-be.
    ResidentId
);

id_type!(
    /// A referral between two institutions, with its whole closed loop.
    ReferralId
);
id_type!(
    /// A department's bookable calendar at one institution.
    ScheduleId
);
id_type!(
    /// One bookable appointment time ("number source").
    SlotId
);
id_type!(
    /// A booked visit in a slot.
    AppointmentId
);
id_type!(
    /// A department's inpatient beds, with those reserved for referrals.
    BedPoolId
);
id_type!(
    /// A visit or admission that happened.
    EncounterId
);
id_type!(
    /// A clinical result: one measurement or finding.
    ObservationId
);
id_type!(
    /// A report of an examination that groups results (imaging, a panel).
    DiagnosticReportId
);
id_type!(
    /// An institution's essential-medicines list.
    MedicinesListId
);
id_type!(
    /// A question from a family doctor to a specialist (e-consult).
    ConsultId
);
id_type!(
    /// The plan a hospital hands to primary care with a downward referral.
    CarePlanId
);
id_type!(
    /// One follow-up visit of a care plan, due on a date.
    FollowUpId
);
id_type!(
    /// A resident's enrolment in an insurance scheme.
    CoverageId
);
id_type!(
    /// A claim: one finished visit adjudicated (explanation of benefit).
    ClaimId
);
id_type!(
    /// A resident's yearly account with a scheme (the accumulator).
    AccountId
);
id_type!(
    /// A partner hospital's outreach programme at one primary institution.
    ProgrammeId
);
id_type!(
    /// One specialist clinic session held under an outreach programme.
    OutreachSessionId
);
id_type!(
    /// A specialist's mentoring of a group of family doctors.
    MentorshipId
);
id_type!(
    /// One mentoring activity: a joint clinic, a case discussion, a ward
    /// round, a teaching session.
    ActivityId
);
id_type!(
    /// A patient's enrolment in a co-managed chronic-disease panel.
    EnrolmentId
);
id_type!(
    /// A panel measurement: a blood pressure, an HbA1c, a fasting glucose.
    MeasurementId
);
id_type!(
    /// A resource-sharing hub: an alliance institution's imaging, ECG,
    /// laboratory or pathology department reading for its members.
    HubId
);
id_type!(
    /// A remote reading ordered from a hub for one patient's study.
    ReadingOrderId
);
id_type!(
    /// One patient's time-critical emergency, from the first contact to
    /// the outcome at 30 days.
    EmergencyCaseId
);
id_type!(
    /// A designated emergency centre (chest pain, stroke, trauma, critical
    /// maternal, critical neonatal) at an institution: "ctr-…".
    CentreId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_fhir_rules() {
        assert!(ResidentId::new("r-001.a").is_ok());
        assert!(ResidentId::new("").is_err());
        assert!(ResidentId::new("a/b").is_err());
        assert!(ResidentId::new("x".repeat(65)).is_err());
        let parsed: Result<ResidentId, _> = serde_json::from_str("\"bad id\"");
        assert!(parsed.is_err());
    }
}
