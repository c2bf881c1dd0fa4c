//! A hospital department's standing commitment to a primary institution.

use super::{OutreachError, OutreachEvent, has_duplicates, invalid, within};
use crate::level::coded_enum;
use crate::network::Membership;
use crate::{AllianceId, InstitutionId, Level, PractitionerId, ProgrammeId, Specialty};
use serde::{Deserialize, Serialize};
use time::Date;

coded_enum!(
    /// How the hospital's specialists come to the primary institution.
    ProgrammeKind {
        /// Visiting specialists on set days (the Hangzhou Joint Health
        /// Centres: often only monthly).
        Outreach = "outreach" / "Specialist outreach",
        /// A hospital team posted to a township sub-centre, with sessions
        /// nearly every working day (the Anhui county medical community).
        ResidentTeam = "resident-team" / "Resident hospital team",
    }
);

coded_enum!(
    /// What the specialists offer at the primary institution.
    OutreachService {
        /// Joint management of hypertension patients.
        Hypertension = "hypertension" / "Hypertension joint clinic",
        /// Joint management of diabetes patients.
        Diabetes = "diabetes" / "Diabetes joint clinic",
        /// Any patient of the department's specialty.
        SpecialistClinic = "specialist-clinic" / "Specialist clinic",
    }
);

coded_enum!(
    /// Whether the commitment still runs.
    ProgrammeStatus {
        Active = "active" / "Active",
        /// Ended on `period.end`; no new sessions.
        Ended = "ended" / "Ended",
    }
);

/// A hospital department's commitment to hold clinics at one primary
/// institution of the same alliance.
///
/// The commitment is what the hospital promised (sessions a month); the
/// sessions are what happened. [`evaluation`](super::evaluation) sets one
/// against the other, which is the figure the pilots lacked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Programme {
    pub id: ProgrammeId,
    /// The partner hospital (secondary or tertiary).
    pub hospital: InstitutionId,
    /// The hospital department the specialists come from.
    pub department: Specialty,
    /// The community or township health centre the sessions are held at.
    pub primary: InstitutionId,
    /// The alliance both belong to.
    pub alliance: AllianceId,
    pub kind: ProgrammeKind,
    pub start: Date,
    /// The last day of the commitment; `None` while open-ended.
    pub end: Option<Date>,
    /// Sessions the hospital commits to each calendar month.
    pub sessions_per_month: u32,
    /// Bookable slots each session offers.
    pub slots_per_session: u32,
    /// The specialists who may hold its sessions.
    pub specialists: Vec<PractitionerId>,
    pub services: Vec<OutreachService>,
    pub status: ProgrammeStatus,
}

impl Programme {
    /// Checks the rules of the programme record on its own.
    pub fn validate(&self) -> Result<(), OutreachError> {
        if self.hospital == self.primary {
            return Err(invalid(
                "primary",
                "the primary institution cannot be the hospital itself",
            ));
        }
        if self.end.is_some_and(|e| e < self.start) {
            return Err(invalid("period.end", "the programme ends before it starts"));
        }
        if self.status == ProgrammeStatus::Ended && self.end.is_none() {
            return Err(invalid(
                "period.end",
                "an ended programme needs its end date",
            ));
        }
        if self.sessions_per_month == 0 {
            return Err(invalid(
                "sessionsPerMonth",
                "commit to at least one session a month",
            ));
        }
        if self.slots_per_session == 0 {
            return Err(invalid(
                "slotsPerSession",
                "a session offers at least one slot",
            ));
        }
        if self.specialists.is_empty() {
            return Err(invalid("specialist", "name at least one specialist"));
        }
        if has_duplicates(&self.specialists) {
            return Err(invalid("specialist", "a specialist is listed twice"));
        }
        if self.services.is_empty() {
            return Err(invalid("service", "offer at least one service"));
        }
        if has_duplicates(&self.services) {
            return Err(invalid("service", "a service is listed twice"));
        }
        Ok(())
    }

    /// Checks the programme against the network: the hospital is not
    /// primary care, the primary institution is, and both are members of
    /// the programme's alliance (`memberships` may hold any alliances'
    /// memberships; only this alliance's count).
    pub fn check_network(
        &self,
        hospital_level: Level,
        primary_level: Level,
        memberships: &[Membership],
    ) -> Result<(), OutreachError> {
        if hospital_level == Level::Primary {
            return Err(invalid(
                "hospital",
                "the partner hospital must be secondary or tertiary",
            ));
        }
        if primary_level != Level::Primary {
            return Err(invalid(
                "primary",
                format!("sessions are held in primary care, not at {primary_level} level"),
            ));
        }
        let member = |i: &InstitutionId| {
            memberships
                .iter()
                .any(|m| m.alliance == self.alliance && &m.institution == i)
        };
        for (field, institution) in [("hospital", &self.hospital), ("primary", &self.primary)] {
            if !member(institution) {
                return Err(invalid(
                    field,
                    format!(
                        "Organization/{institution} is not a member of alliance {}",
                        self.alliance
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether the commitment runs on `day`.
    pub fn active_on(&self, day: Date) -> bool {
        within(day, self.start, self.end)
    }

    /// Ends the commitment on `on` (its last day). Sessions already
    /// scheduled after it stay as they are, to be held or cancelled.
    pub fn end_on(&mut self, on: Date) -> Result<OutreachEvent, OutreachError> {
        if self.status == ProgrammeStatus::Ended {
            return Err(OutreachError::ProgrammeEnded(self.id.clone()));
        }
        if on < self.start {
            return Err(invalid("period.end", "the programme ends before it starts"));
        }
        self.end = Some(on);
        self.status = ProgrammeStatus::Ended;
        Ok(OutreachEvent::ProgrammeEnded {
            programme: self.id.clone(),
            on,
        })
    }

    /// Whether `specialist` is one of the programme's.
    pub fn has_specialist(&self, specialist: &PractitionerId) -> bool {
        self.specialists.contains(specialist)
    }
}
