//! Two-way referral as a closed loop.
//!
//! A referral is requested by a doctor at one institution for a patient, to
//! another institution. The receiving side triages it (accept and book now,
//! accept and book later, decline with a reason, redirect to another
//! institution, or return it to the referrer with advice), a slot or bed is
//! booked, the patient arrives (on the booked day or later, or does not),
//! the visit is completed and a
//! result report goes back to the referrer, who closes the loop. Nothing
//! falls through: every open state has a deadline from the region's
//! [`Policy`], and [`Referral::overdue`] says which step is late.
//!
//! The state is an enum and every change goes through [`Referral::apply`]
//! (or the named method for each action): it checks that the action is
//! legal in the current state and that the asking user is on the side that
//! may take it, and only then changes the state and returns the event to
//! store. A refused action leaves the referral exactly as it was.
//!
//! ```text
//!  requested --accept--> accepted --book--> booked --arrive--> arrived
//!     |  \--book (book now)-------------------^  |                |
//!     |  \--redirect--> requested (elsewhere)    no-show       complete
//!     |  \--decline--> declined --close--+       |                v
//!     |  \--return-with-advice--> returned +--> closed <--close-- completed
//!     \--cancel (any state before arrival)--> cancelled     (report back)
//! ```

use crate::access::{Actor, UserRole};
use crate::booking::{BedKind, Claimant};
use crate::catalogue::IcdCode;
use crate::clinical::{AttachedResult, PatientSummary};
use crate::level::coded_enum;
use crate::policy::{Policy, add_working_days};
use crate::{
    AppointmentId, BedPoolId, ConsultId, InstitutionId, Level, PractitionerId, ReferralId,
    ResidentId, SlotId, Specialty,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

mod transitions;
pub use transitions::Command;

#[cfg(test)]
mod tests;

coded_enum!(
    /// Which way a referral goes between the levels.
    Direction {
        /// To a higher level: the case exceeds what the referrer can handle.
        Upward = "upward" / "Upward referral",
        /// To a lower level: the patient is stable and goes back to primary
        /// care for follow-up and rehabilitation.
        Downward = "downward" / "Downward referral",
        /// To the same level (another speciality or a better-placed site).
        Lateral = "lateral" / "Lateral referral",
    }
);

impl Direction {
    /// The direction from an institution at `from` to one at `to`.
    pub fn between(from: Level, to: Level) -> Direction {
        match from.cmp(&to) {
            std::cmp::Ordering::Less => Direction::Upward,
            std::cmp::Ordering::Greater => Direction::Downward,
            std::cmp::Ordering::Equal => Direction::Lateral,
        }
    }
}

coded_enum!(
    /// Whether the referral is for a clinic visit or an admission.
    Setting {
        Outpatient = "outpatient" / "Outpatient visit",
        Inpatient = "inpatient" / "Inpatient admission",
    }
);

coded_enum!(
    /// How soon the patient must be seen. Decides the booking deadline and
    /// which reserved slots the referral may take; an emergency may arrive
    /// without a booking.
    Priority {
        Routine = "routine" / "Routine",
        Urgent = "urgent" / "Urgent",
        Emergency = "emergency" / "Emergency",
    }
);

coded_enum!(
    /// Why a receiving institution declines a referral.
    DeclineReason {
        NoCapacity = "no-capacity" / "No capacity in a useful time",
        NotIndicated = "not-indicated" / "Not indicated at this level",
        WrongSpecialty = "wrong-specialty" / "Wrong specialty",
        IncompleteInformation = "incomplete-information" / "Information incomplete",
        Other = "other" / "Other (see comment)",
    }
);

coded_enum!(
    /// Everything that can be done to a referral after it is requested.
    Action {
        Accept = "accept" / "Accept, book later",
        Book = "book" / "Book a slot or bed",
        Decline = "decline" / "Decline with a reason",
        Redirect = "redirect" / "Redirect to another institution",
        ReturnWithAdvice = "return-with-advice" / "Return to the referrer with advice",
        Cancel = "cancel" / "Cancel",
        Arrive = "arrive" / "Record arrival",
        NoShow = "no-show" / "Record a no-show",
        Complete = "complete" / "Complete the visit",
        Report = "report" / "Send the result report back",
        Close = "close" / "Close the loop",
    }
);

coded_enum!(
    /// A step of the loop that has a deadline.
    Step {
        Triage = "triage" / "Triage by the receiving institution",
        Booking = "booking" / "Booking a slot or bed",
        Visit = "visit" / "Recording the visit",
        Report = "report" / "Result report back to the referrer",
    }
);

coded_enum!(
    /// The two sides of a referral.
    Side {
        /// Staff of the institution that sent it.
        Referrer = "referrer" / "Referring institution",
        /// Staff of the institution it is addressed to.
        Receiver = "receiver" / "Receiving institution",
    }
);

impl Side {
    /// The sides a user is on of a request sent by staff of `from` to
    /// `to` (a referral, a consult, a reading): only doctors and
    /// coordinators act for an institution, and a user may be on both.
    pub fn of(by: &Actor, from: &InstitutionId, to: &InstitutionId) -> Vec<Side> {
        if !matches!(by.role, UserRole::Doctor | UserRole::Coordinator) {
            return Vec::new();
        }
        let mut sides = Vec::new();
        if by.institution.as_ref() == Some(from) {
            sides.push(Side::Referrer);
        }
        if by.institution.as_ref() == Some(to) {
            sides.push(Side::Receiver);
        }
        sides
    }
}

/// What was booked for a referral: an outpatient slot or an inpatient bed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Booking {
    Slot {
        slot: SlotId,
        appointment: AppointmentId,
        #[serde(with = "time::serde::rfc3339")]
        start: OffsetDateTime,
    },
    Bed {
        pool: BedPoolId,
        bed: BedKind,
        #[serde(with = "time::serde::rfc3339")]
        from: OffsetDateTime,
    },
}

impl Booking {
    /// When the patient is expected.
    pub fn start(&self) -> OffsetDateTime {
        match self {
            Booking::Slot { start, .. } => *start,
            Booking::Bed { from, .. } => *from,
        }
    }
}

/// The result report the receiving side sends back to the referrer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// What was found and done.
    pub summary: String,
    /// The diagnosis made, if any.
    pub diagnosis: Option<IcdCode>,
    /// What the referrer should do next.
    pub recommendation: String,
}

/// Where a referral is in its loop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ReferralState {
    /// Waiting for the receiving institution to triage it.
    Requested,
    /// Accepted; waiting for a slot or bed ("awaiting a slot" worklist).
    Accepted,
    Booked {
        booking: Booking,
    },
    /// The patient came (an emergency may come without a booking).
    Arrived {
        booking: Option<Booking>,
    },
    /// The patient did not come; the referrer may rebook or close.
    NoShow {
        booking: Booking,
    },
    /// The visit or stay is over; the loop closes when the report is back.
    Completed {
        report: Option<Report>,
    },
    Closed,
    Declined {
        reason: DeclineReason,
        comment: String,
    },
    /// Sent back to the referrer with advice instead of a visit.
    Returned {
        advice: String,
    },
    Cancelled {
        reason: String,
    },
}

impl ReferralState {
    /// The state's code, as used in searches and `Task.businessStatus`.
    pub fn code(&self) -> &'static str {
        match self {
            ReferralState::Requested => "requested",
            ReferralState::Accepted => "accepted",
            ReferralState::Booked { .. } => "booked",
            ReferralState::Arrived { .. } => "arrived",
            ReferralState::NoShow { .. } => "no-show",
            ReferralState::Completed { .. } => "completed",
            ReferralState::Closed => "closed",
            ReferralState::Declined { .. } => "declined",
            ReferralState::Returned { .. } => "returned",
            ReferralState::Cancelled { .. } => "cancelled",
        }
    }

    /// The booking the referral holds now, if any (to release on cancel).
    pub fn booking(&self) -> Option<&Booking> {
        match self {
            ReferralState::Booked { booking } => Some(booking),
            _ => None,
        }
    }
}

/// A referral and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub id: ReferralId,
    pub patient: ResidentId,
    /// The doctor who asked for it.
    pub requester: PractitionerId,
    pub from: InstitutionId,
    pub from_level: Level,
    /// The receiving institution (changes when the referral is redirected).
    pub to: InstitutionId,
    pub to_level: Level,
    pub specialty: Specialty,
    pub setting: Setting,
    pub priority: Priority,
    /// The condition the patient is referred for (catalogue code).
    pub condition: IcdCode,
    /// The clinical question and summary for the receiving side.
    pub summary: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// When the current state was entered: deadlines count from here.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    pub state: ReferralState,
    /// Institutions it was redirected away from, oldest first.
    #[serde(default)]
    pub redirected_from: Vec<InstitutionId>,
    /// What the referral letter carries besides the summary.
    #[serde(default)]
    pub attachments: Attachments,
}

/// What travels with a referral so the receiving side need not ask or
/// repeat: the patient summary, recent results, and the e-consult that led
/// to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachments {
    #[serde(default)]
    pub patient: PatientSummary,
    #[serde(default)]
    pub results: Vec<AttachedResult>,
    /// The e-consult whose advice was to refer, if any.
    #[serde(default)]
    pub consult: Option<ConsultId>,
}

/// What a doctor fills in to ask for a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReferral {
    pub id: ReferralId,
    pub patient: ResidentId,
    pub from: InstitutionId,
    pub from_level: Level,
    pub to: InstitutionId,
    pub to_level: Level,
    pub specialty: Specialty,
    pub setting: Setting,
    pub priority: Priority,
    pub condition: IcdCode,
    pub summary: String,
    pub attachments: Attachments,
}

/// A step that is due, and by when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub step: Step,
    pub by: OffsetDateTime,
}

/// Why an action on a referral was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferralError {
    /// The action does not apply in the current state.
    #[error("cannot {action} a referral that is {state}")]
    IllegalTransition {
        action: &'static str,
        state: &'static str,
    },
    /// The user is not on the side that may take this action.
    #[error("only staff of the {side} institution may {action} this referral")]
    WrongSide {
        action: &'static str,
        side: &'static str,
    },
    /// The user's role may not act on referrals at all.
    #[error("a user with role {0} may not act on referrals")]
    Role(&'static str),
    /// The patient came before the booked slot's day (see
    /// [`crate::booking::arrival_day_reached`]).
    #[error(
        "the visit is booked for {booked}: arrival is recorded on that day or later; to see the patient earlier, rebook the referral to an earlier slot"
    )]
    BeforeBookedDay { booked: time::Date },
    /// A required field is empty or wrong.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// A change to a referral, to be stored with it and fed to indicators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralEvent {
    pub referral: ReferralId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The username of who did it.
    pub by: String,
    pub change: Change,
}

/// What changed. Each carries what an indicator needs without looking up
/// the referral; `Requested` carries the whole referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    Requested {
        referral: Box<Referral>,
    },
    Accepted,
    Booked {
        booking: Booking,
        /// Booked again after a no-show: the same referral's visit, not
        /// another step of the loop.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        rebooked: bool,
    },
    Declined {
        reason: DeclineReason,
        comment: String,
    },
    Redirected {
        from: InstitutionId,
        to: InstitutionId,
        comment: String,
    },
    Returned {
        advice: String,
    },
    Cancelled {
        reason: String,
        released: Option<Booking>,
    },
    /// The patient refused a downward referral (recorded on their care
    /// plan); the referral ends as cancelled.
    PatientRefused {
        reason: String,
        released: Option<Booking>,
    },
    Arrived {
        /// An emergency seen on arrival without a booking.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unbooked: bool,
        /// Before the booked day, confirmed by the receiving side.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        early: bool,
    },
    NoShow {
        booking: Booking,
    },
    Completed {
        report: Option<Report>,
    },
    Reported {
        report: Report,
    },
    Closed,
}

impl ReferralEvent {
    /// A stable, versioned event name, e.g. `referral.accepted.v1`.
    pub fn kind(&self) -> &'static str {
        match self.change {
            Change::Requested { .. } => "referral.requested.v1",
            Change::Accepted => "referral.accepted.v1",
            Change::Booked { .. } => "referral.booked.v1",
            Change::Declined { .. } => "referral.declined.v1",
            Change::Redirected { .. } => "referral.redirected.v1",
            Change::Returned { .. } => "referral.returned.v1",
            Change::Cancelled { .. } => "referral.cancelled.v1",
            Change::PatientRefused { .. } => "referral.patient-refused.v1",
            Change::Arrived { .. } => "referral.arrived.v1",
            Change::NoShow { .. } => "referral.no-show.v1",
            Change::Completed { .. } => "referral.completed.v1",
            Change::Reported { .. } => "referral.reported.v1",
            Change::Closed => "referral.closed.v1",
        }
    }
}

impl Referral {
    /// Opens a referral. Only a doctor (with a practitioner record) at the
    /// referring institution may ask, for another institution, with a
    /// summary the receiving side can triage on.
    pub fn request(
        new: NewReferral,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<(Referral, ReferralEvent), ReferralError> {
        let requester = match (&by.role, &by.practitioner, &by.institution) {
            (UserRole::Doctor, Some(p), Some(i)) if *i == new.from => p.clone(),
            (UserRole::Doctor, ..) => {
                return Err(ReferralError::WrongSide {
                    action: "request",
                    side: Side::Referrer.code(),
                });
            }
            (role, ..) => return Err(ReferralError::Role(role.code())),
        };
        if new.to == new.from {
            return Err(invalid(
                "performer",
                "a referral must go to another institution",
            ));
        }
        if new.summary.trim().is_empty() {
            return Err(invalid(
                "summary",
                "the receiving side needs a clinical summary to triage on",
            ));
        }
        let referral = Referral {
            id: new.id,
            patient: new.patient,
            requester,
            from: new.from,
            from_level: new.from_level,
            to: new.to,
            to_level: new.to_level,
            specialty: new.specialty,
            setting: new.setting,
            priority: new.priority,
            condition: new.condition,
            summary: new.summary,
            requested_at: now,
            since: now,
            state: ReferralState::Requested,
            redirected_from: Vec::new(),
            attachments: new.attachments,
        };
        let event = ReferralEvent {
            referral: referral.id.clone(),
            at: now,
            by: by.username.clone(),
            change: Change::Requested {
                referral: Box::new(referral.clone()),
            },
        };
        Ok((referral, event))
    }

    /// The referral as a claimant of reserved capacity (slots, beds).
    pub fn claimant(&self) -> Claimant<'_> {
        Claimant::Referral {
            referral: &self.id,
            from_level: self.from_level,
            priority: self.priority,
        }
    }

    /// Up, down or lateral, from the two institutions' levels.
    pub fn direction(&self) -> Direction {
        Direction::between(self.from_level, self.to_level)
    }

    /// Which sides of this referral the user is on (a user may be on both
    /// when a referral stays inside one institution's alliance site).
    pub fn sides(&self, by: &Actor) -> Vec<Side> {
        Side::of(by, &self.from, &self.to)
    }

    /// The actions the user may take now, so clients never guess.
    pub fn allowed_actions(&self, by: &Actor) -> Vec<Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| self.permits(*a, by).is_ok())
            .collect()
    }

    /// The side whose action the referral is waiting for, if any.
    pub fn awaiting(&self) -> Option<Side> {
        match &self.state {
            ReferralState::Requested
            | ReferralState::Accepted
            | ReferralState::Booked { .. }
            | ReferralState::Arrived { .. }
            | ReferralState::Completed { report: None } => Some(Side::Receiver),
            ReferralState::NoShow { .. }
            | ReferralState::Completed { report: Some(_) }
            | ReferralState::Declined { .. }
            | ReferralState::Returned { .. } => Some(Side::Referrer),
            ReferralState::Closed | ReferralState::Cancelled { .. } => None,
        }
    }

    /// The next step with a deadline under the region's policy, if any.
    pub fn due(&self, policy: &Policy) -> Option<Due> {
        let d = &policy.deadlines;
        let (step, by) = match &self.state {
            ReferralState::Requested => (
                Step::Triage,
                add_working_days(self.since, d.triage_working_days),
            ),
            ReferralState::Accepted => (
                Step::Booking,
                self.since + Duration::days(i64::from(d.book_days.get(self.priority))),
            ),
            // Arrival or no-show is recorded by the end of the next day.
            ReferralState::Booked { booking } => (Step::Visit, booking.start() + Duration::days(1)),
            ReferralState::Completed { report: None } => (
                Step::Report,
                add_working_days(self.since, d.report_working_days),
            ),
            _ => return None,
        };
        Some(Due { step, by })
    }

    /// The step that is late at `now`, if one is.
    pub fn overdue(&self, policy: &Policy, now: OffsetDateTime) -> Option<Due> {
        self.due(policy).filter(|due| due.by < now)
    }

    /// Triage: accept now, book later.
    pub fn accept(
        &mut self,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(Command::Accept, by, now)
    }

    /// Book a slot or bed (from requested this is "book now").
    pub fn book(
        &mut self,
        booking: Booking,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(Command::Book { booking }, by, now)
    }

    /// Triage: decline with a reason (a comment is required for `other`).
    pub fn decline(
        &mut self,
        reason: DeclineReason,
        comment: String,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(Command::Decline { reason, comment }, by, now)
    }

    /// Triage: send it on to another institution, which triages it afresh.
    pub fn redirect(
        &mut self,
        to: InstitutionId,
        to_level: Level,
        comment: String,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(
            Command::Redirect {
                to,
                to_level,
                comment,
            },
            by,
            now,
        )
    }

    /// Triage: no visit needed; the referrer gets advice (required).
    pub fn return_with_advice(
        &mut self,
        advice: String,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(Command::ReturnWithAdvice { advice }, by, now)
    }

    /// The referrer withdraws it before the patient arrives; a booked slot
    /// or bed is named in the event so the caller can release it.
    pub fn cancel(
        &mut self,
        reason: String,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(Command::Cancel { reason }, by, now)
    }

    /// The patient arrived.
    pub fn arrive(
        &mut self,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(Command::Arrive { early: false }, by, now)
    }

    /// The patient did not come.
    pub fn no_show(
        &mut self,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(Command::NoShow, by, now)
    }

    /// The visit or stay is over, with the report if it is ready.
    pub fn complete(
        &mut self,
        report: Option<Report>,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(Command::Complete { report }, by, now)
    }

    /// The result report goes back to the referrer after completion.
    pub fn report(
        &mut self,
        report: Report,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(Command::Report { report }, by, now)
    }

    /// The patient refused to be referred down (their decision is recorded
    /// on the care plan, by them or by staff of either side). Legal where a
    /// cancel is, and only for a downward referral.
    pub fn refused_by_patient(
        &mut self,
        reason: String,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        if self.direction() != Direction::Downward {
            return Err(invalid(
                "decision",
                "only a downward referral is refused by the patient this way",
            ));
        }
        if !self.legal(Action::Cancel) {
            return Err(ReferralError::IllegalTransition {
                action: "refuse",
                state: self.state.code(),
            });
        }
        let reason = if reason.trim().is_empty() {
            "the patient refused".to_string()
        } else {
            reason
        };
        let released = self.state.booking().cloned();
        self.state = ReferralState::Cancelled {
            reason: format!("patient refused: {reason}"),
        };
        self.since = now;
        Ok(ReferralEvent {
            referral: self.id.clone(),
            at: now,
            by: by.to_string(),
            change: Change::PatientRefused { reason, released },
        })
    }

    /// The referrer closes the loop.
    pub fn close(
        &mut self,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.apply(Command::Close, by, now)
    }
}

fn invalid(field: &'static str, message: &str) -> ReferralError {
    ReferralError::Invalid {
        field,
        message: message.to_string(),
    }
}
