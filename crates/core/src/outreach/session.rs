//! One specialist clinic at the primary institution, and how it ended.
//!
//! ```text
//!  scheduled --hold (from its start)--> held
//!      |  \--cancel (before its end)--> cancelled (by hospital | primary)
//!      \--miss (from its end)--> missed
//! ```
//!
//! A session still `scheduled` after its end is a gap in the record, not a
//! state: the evaluation counts it apart, as unrecorded.

use super::{OutreachError, OutreachEvent, Programme, ProgrammeStatus, Side, invalid};
use crate::booking::{SessionPlan, Slot};
use crate::policy::Policy;
use crate::{OutreachSessionId, PractitionerId, ProgrammeId, ScheduleId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A clinic session held by one of a programme's specialists at its
/// primary institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutreachSession {
    pub id: OutreachSessionId,
    pub programme: ProgrammeId,
    pub specialist: PractitionerId,
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end: OffsetDateTime,
    /// Bookable slots offered.
    pub slots: u32,
    pub status: SessionStatus,
}

/// Where a session stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum SessionStatus {
    Scheduled,
    Held {
        patients_seen: u32,
        /// Patients who would have been referred up, kept in primary care
        /// after the specialist and the family doctor reviewed them
        /// together.
        referrals_avoided: u32,
    },
    Cancelled {
        by: Side,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// Neither held nor cancelled in time: the specialist did not come.
    Missed,
}

impl SessionStatus {
    pub fn code(&self) -> &'static str {
        match self {
            SessionStatus::Scheduled => "scheduled",
            SessionStatus::Held { .. } => "held",
            SessionStatus::Cancelled { .. } => "cancelled",
            SessionStatus::Missed => "missed",
        }
    }
}

/// What the scheduler fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id: OutreachSessionId,
    pub specialist: PractitionerId,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    /// Slots offered; `None` takes the programme's slots per session.
    pub slots: Option<u32>,
}

/// Slot ids are `{session id}-{yyyymmddhhmm}` and ids have at most 64
/// characters, so a session id that opens for booking has at most 51.
const MAX_BOOKABLE_ID: usize = 64 - 13;

impl OutreachSession {
    /// Schedules a session of `programme`: held by one of its specialists,
    /// inside its period, while it runs. `at` is when it was scheduled;
    /// past sessions may be entered afterwards from paper records.
    pub fn schedule(
        programme: &Programme,
        new: NewSession,
        at: OffsetDateTime,
    ) -> Result<(OutreachSession, OutreachEvent), OutreachError> {
        if programme.status == ProgrammeStatus::Ended {
            return Err(OutreachError::ProgrammeEnded(programme.id.clone()));
        }
        if !programme.has_specialist(&new.specialist) {
            return Err(invalid(
                "specialist",
                format!(
                    "Practitioner/{} is not a specialist of programme {}",
                    new.specialist, programme.id
                ),
            ));
        }
        if new.end <= new.start {
            return Err(invalid("end", "the session ends before it starts"));
        }
        if new.start.date() < programme.start {
            return Err(invalid(
                "start",
                format!("before the programme starts on {}", programme.start),
            ));
        }
        if let Some(last) = programme.end {
            if new.start.date() > last {
                return Err(invalid(
                    "start",
                    format!("after the programme ends on {last}"),
                ));
            }
            if new.end.date() > last {
                return Err(invalid(
                    "end",
                    format!("after the programme ends on {last}"),
                ));
            }
        }
        let slots = new.slots.unwrap_or(programme.slots_per_session);
        if slots == 0 {
            return Err(invalid("slots", "a session offers at least one slot"));
        }
        if (new.end - new.start).whole_minutes() < i64::from(slots) {
            return Err(invalid("slots", "more slots than minutes in the session"));
        }
        let session = OutreachSession {
            id: new.id,
            programme: programme.id.clone(),
            specialist: new.specialist,
            start: new.start,
            end: new.end,
            slots,
            status: SessionStatus::Scheduled,
        };
        let event = OutreachEvent::SessionScheduled {
            session: Box::new(session.clone()),
            at,
        };
        Ok((session, event))
    }

    fn must_be_scheduled(&self, action: &'static str) -> Result<(), OutreachError> {
        match self.status {
            SessionStatus::Scheduled => Ok(()),
            ref other => Err(OutreachError::IllegalTransition {
                action,
                state: other.code(),
            }),
        }
    }

    /// Records the session as held, from its start on.
    pub fn hold(
        &mut self,
        patients_seen: u32,
        referrals_avoided: u32,
        at: OffsetDateTime,
    ) -> Result<OutreachEvent, OutreachError> {
        self.must_be_scheduled("hold")?;
        if at < self.start {
            return Err(invalid(
                "start",
                "the session has not started: it cannot be recorded as held yet",
            ));
        }
        if referrals_avoided > patients_seen {
            return Err(invalid(
                "referralsAvoided",
                "more referrals avoided than patients seen",
            ));
        }
        self.status = SessionStatus::Held {
            patients_seen,
            referrals_avoided,
        };
        Ok(OutreachEvent::SessionHeld {
            session: self.id.clone(),
            programme: self.programme.clone(),
            patients_seen,
            referrals_avoided,
            at,
        })
    }

    /// Cancels the session before its end, saying which side and why.
    pub fn cancel(
        &mut self,
        by: Side,
        reason: String,
        at: OffsetDateTime,
    ) -> Result<OutreachEvent, OutreachError> {
        self.must_be_scheduled("cancel")?;
        if reason.trim().is_empty() {
            return Err(invalid(
                "cancelationReason",
                "say why the session is cancelled",
            ));
        }
        if at >= self.end {
            return Err(invalid(
                "end",
                "the session is over: record it as held or missed",
            ));
        }
        self.status = SessionStatus::Cancelled {
            by,
            reason: reason.clone(),
            at,
        };
        Ok(OutreachEvent::SessionCancelled {
            session: self.id.clone(),
            programme: self.programme.clone(),
            by,
            reason,
            at,
        })
    }

    /// Records that the session did not take place and was not cancelled,
    /// once its end has come.
    pub fn miss(&mut self, at: OffsetDateTime) -> Result<OutreachEvent, OutreachError> {
        self.must_be_scheduled("miss")?;
        if at < self.end {
            return Err(invalid(
                "end",
                "the session is not over: it can still be held or cancelled",
            ));
        }
        self.status = SessionStatus::Missed;
        Ok(OutreachEvent::SessionMissed {
            session: self.id.clone(),
            programme: self.programme.clone(),
            at,
        })
    }

    /// The session's bookable calendar at the primary institution: its own
    /// id, so its slots never collide with another session's.
    pub fn schedule_id(&self) -> Result<ScheduleId, OutreachError> {
        if self.id.as_str().len() > MAX_BOOKABLE_ID {
            return Err(invalid(
                "id",
                format!("a bookable session id has at most {MAX_BOOKABLE_ID} characters"),
            ));
        }
        ScheduleId::new(self.id.as_str()).map_err(|e| invalid("id", e.to_string()))
    }

    /// The session as a clinic day of the programme's department at the
    /// primary institution: its length cut into `slots` equal slots (whole
    /// minutes; any remainder is left at the end).
    pub fn plan<'a>(&self, programme: &'a Programme, schedule: &'a ScheduleId) -> SessionPlan<'a> {
        let minutes = (self.end - self.start).whole_minutes() / i64::from(self.slots.max(1));
        SessionPlan {
            schedule,
            institution: &programme.primary,
            specialty: programme.department,
            start: self.start,
            slot_minutes: u32::try_from(minutes).unwrap_or(u32::MAX),
            slots: self.slots,
        }
    }

    /// Opens a scheduled session for booking: its slots, under the
    /// region's booking rules. The policy's share is reserved for patients
    /// referred by family doctors (of this centre and the village clinics
    /// around it) until it is released to the public.
    pub fn slots(
        &self,
        programme: &Programme,
        policy: &Policy,
    ) -> Result<Vec<Slot>, OutreachError> {
        self.must_be_scheduled("open for booking")?;
        if programme.id != self.programme {
            return Err(invalid(
                "programme",
                format!("the session belongs to programme {}", self.programme),
            ));
        }
        let schedule = self.schedule_id()?;
        Ok(self.plan(programme, &schedule).slots(policy))
    }
}
