//! The events of an emergency case: what the subscription outbox, the
//! indicators and the audit of the network read, one per change of the
//! case, each with a stable versioned name.

use super::case::{EmergencyCase, Milestone, Outcome};
use super::route::Treatment;
use crate::{EmergencyCaseId, InstitutionId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A change to an emergency case, stored with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyEvent {
    pub case: EmergencyCaseId,
    /// When the change was recorded (the services' clock).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The username of who made it.
    pub by: String,
    pub change: CaseChange,
}

/// What changed. Each milestone carries the moment it happened, which may
/// be earlier than the moment it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum CaseChange {
    /// The first contact opened the case and sent the alert.
    Opened { case: Box<EmergencyCase> },
    /// The destination's team acknowledged the alert.
    Acknowledged,
    /// A milestone of the clock was recorded.
    Milestone {
        milestone: Milestone,
        #[serde(with = "time::serde::rfc3339")]
        happened: OffsetDateTime,
    },
    /// The patient arrived at the destination.
    Arrived {
        #[serde(with = "time::serde::rfc3339")]
        happened: OffsetDateTime,
        bypassed_emergency_department: bool,
    },
    /// The definitive treatment was given.
    Treated {
        treatment: Treatment,
        #[serde(with = "time::serde::rfc3339")]
        happened: OffsetDateTime,
    },
    /// The patient was sent on from the destination.
    Transferred {
        to: InstitutionId,
        #[serde(with = "time::serde::rfc3339")]
        happened: OffsetDateTime,
    },
    /// The 30-day outcome closed the case.
    Closed { outcome: Outcome },
}

impl EmergencyEvent {
    /// A stable, versioned event name.
    pub fn kind(&self) -> &'static str {
        match self.change {
            CaseChange::Opened { .. } => "emergency.opened.v1",
            CaseChange::Acknowledged => "emergency.acknowledged.v1",
            CaseChange::Milestone { .. } => "emergency.milestone.v1",
            CaseChange::Arrived { .. } => "emergency.arrived.v1",
            CaseChange::Treated { .. } => "emergency.treated.v1",
            CaseChange::Transferred { .. } => "emergency.transferred.v1",
            CaseChange::Closed { .. } => "emergency.closed.v1",
        }
    }
}
