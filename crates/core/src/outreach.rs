//! The Joint Health Centre: hospital specialists working inside primary
//! care, and the record that shows whether it works.
//!
//! In the Hangzhou pilot, tertiary specialists held clinics in community
//! health centres, mentored the family doctors there and managed
//! hypertension and diabetes patients together with them; in the Anhui
//! county medical community, county-hospital teams were posted to township
//! sub-centres. Both stalled where nothing was recorded: sessions cancelled
//! when the specialist was busy, mentoring with no visible result, no
//! evaluation of hospitals and specialists. This module is that record:
//!
//! - [`Programme`]: a hospital department's commitment to a primary
//!   institution of the same alliance (sessions a month, specialists,
//!   services), either visiting ([`ProgrammeKind::Outreach`]) or posted
//!   ([`ProgrammeKind::ResidentTeam`]).
//! - [`OutreachSession`]: one clinic, scheduled and then held, cancelled (by
//!   which side) or missed; [`OutreachSession::slots`] opens it for booking
//!   under the ordinary [`booking`](crate::booking) rules.
//! - [`Mentorship`], [`MentorshipActivity`] and [`Competence`]: what
//!   mentoring did, and the conditions a family doctor now manages without
//!   referring ([`capability`]).
//! - [`PanelEnrolment`] and [`Measurement`]: co-managed chronic panels, with
//!   [`control_status`] against the guideline [`Targets`] and the
//!   [`due_list`] of follow-ups.
//! - [`evaluation`]: the figures per programme, hospital, specialist,
//!   primary institution, alliance and region, by month.
//!
//! Every change returns an [`OutreachEvent`] to store with it. Rules that
//! need other records take them as arguments; nothing here looks anything
//! up.

mod measurement;
mod mentorship;
mod panel;
mod programme;
mod session;

pub mod evaluation;

#[cfg(test)]
mod tests;

pub use measurement::{Measurement, MeasurementKind};
pub use mentorship::{ActivityKind, Competence, Mentorship, MentorshipActivity, capability};
pub use panel::{
    ControlStatus, DueEntry, FOLLOW_UP_NOTICE_DAYS, FollowUpState, KNOWN_WINDOW_INTERVALS,
    MONTHLY_DAYS, PanelCondition, PanelEnrolment, PanelStatus, QUARTERLY_DAYS, Targets,
    control_status, due_list, next_due,
};
pub use programme::{OutreachService, Programme, ProgrammeKind, ProgrammeStatus};
pub use session::{NewSession, OutreachSession, SessionStatus};

use crate::level::coded_enum;
use crate::{OutreachSessionId, ProgrammeId};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

coded_enum!(
    /// The two sides of a joint programme: who cancelled a session.
    Side {
        /// The partner hospital (the specialist was needed at home).
        Hospital = "hospital" / "Partner hospital",
        /// The primary institution (no room, no patients, a holiday).
        Primary = "primary" / "Primary institution",
    }
);

/// Why an outreach record or change was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutreachError {
    /// A field breaks a rule; `field` is its FHIR-style name.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("cannot {action} a session that is {state}")]
    IllegalTransition {
        action: &'static str,
        state: &'static str,
    },
    #[error("programme {0} has ended: no new sessions")]
    ProgrammeEnded(ProgrammeId),
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> OutreachError {
    OutreachError::Invalid {
        field,
        message: message.into(),
    }
}

/// Something that happened in a joint programme, to store with the record
/// it changed. Tagged `change`, not `event`: it is stored inside
/// [`Event::Outreach`](crate::events::Event), whose own tag is `event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum OutreachEvent {
    /// A programme's commitment ended on `on`.
    ProgrammeEnded {
        programme: ProgrammeId,
        on: Date,
    },
    SessionScheduled {
        session: Box<OutreachSession>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    SessionHeld {
        session: OutreachSessionId,
        programme: ProgrammeId,
        patients_seen: u32,
        referrals_avoided: u32,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    SessionCancelled {
        session: OutreachSessionId,
        programme: ProgrammeId,
        by: Side,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// Neither held nor cancelled: the specialist did not come.
    SessionMissed {
        session: OutreachSessionId,
        programme: ProgrammeId,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    ActivityLogged {
        activity: Box<MentorshipActivity>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// A family doctor was recognised as managing a condition alone.
    CompetenceRecognised {
        competence: Competence,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    Enrolled {
        enrolment: Box<PanelEnrolment>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    Measured {
        measurement: Measurement,
    },
}

impl OutreachEvent {
    /// A stable, versioned event name.
    pub fn kind(&self) -> &'static str {
        match self {
            OutreachEvent::ProgrammeEnded { .. } => "outreach-programme.ended.v1",
            OutreachEvent::SessionScheduled { .. } => "outreach-session.scheduled.v1",
            OutreachEvent::SessionHeld { .. } => "outreach-session.held.v1",
            OutreachEvent::SessionCancelled { .. } => "outreach-session.cancelled.v1",
            OutreachEvent::SessionMissed { .. } => "outreach-session.missed.v1",
            OutreachEvent::ActivityLogged { .. } => "mentorship.activity-logged.v1",
            OutreachEvent::CompetenceRecognised { .. } => "mentorship.competence-recognised.v1",
            OutreachEvent::Enrolled { .. } => "panel.enrolled.v1",
            OutreachEvent::Measured { .. } => "panel.measured.v1",
        }
    }
}

/// Whether `day` lies in `start..=end`, an open end meaning "still running".
pub(crate) fn within(day: Date, start: Date, end: Option<Date>) -> bool {
    start <= day && end.is_none_or(|e| day <= e)
}

/// Whether the list repeats an entry.
pub(crate) fn has_duplicates<T: Ord>(items: &[T]) -> bool {
    let mut seen: Vec<&T> = items.iter().collect();
    seen.sort();
    seen.windows(2).any(|w| w[0] == w[1])
}
