//! Appointment slots ("number sources") and inpatient beds, and who may take
//! them.
//!
//! Hospitals keep a policy share of each department's outpatient slots for
//! referrals from primary care; an unused reserved slot goes back to the
//! public a set time before it starts. A family doctor may hold a slot for a
//! few minutes while the patient decides; the hold lapses by itself, so a
//! slot shown free is really free. Beds work the same way by count: a
//! department's pool keeps some beds for upward inpatient referrals.
//!
//! These are the rules only. Making two requests for the last slot give
//! exactly one success is the store's job: it writes a slot only if its
//! version is still the one these rules were checked against.

use crate::catalogue::IcdCode;
use crate::level::Level;
use crate::policy::Policy;
use crate::referral::Priority;
use crate::{
    AppointmentId, BedPoolId, EncounterId, InstitutionId, ReferralId, ResidentId, ScheduleId,
    SlotId, Specialty,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Who wants a slot or a bed: a referral, or a member of the public booking
/// for themself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimant<'a> {
    /// A referral, from an institution at `from_level`.
    Referral {
        referral: &'a ReferralId,
        from_level: Level,
        priority: Priority,
    },
    /// Anyone else (self-referral, a follow-up booked at the desk).
    Public,
}

impl Claimant<'_> {
    /// Whether this claimant may use capacity reserved for referrals from
    /// primary care.
    fn is_primary_referral(&self) -> bool {
        matches!(
            self,
            Claimant::Referral {
                from_level: Level::Primary,
                ..
            }
        )
    }
}

/// A bookable time in a department's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub id: SlotId,
    pub schedule: ScheduleId,
    pub institution: InstitutionId,
    pub specialty: Specialty,
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end: OffsetDateTime,
    /// Kept for referrals from primary care until released.
    pub reserved: bool,
    pub status: SlotStatus,
}

/// A slot's booking state as stored. Read it through
/// [`Slot::status_at`], which treats an expired hold as free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum SlotStatus {
    Free,
    /// Held by one user (a family doctor confirming with the patient) until
    /// `until`, for one claimant.
    Held {
        holder: String,
        #[serde(with = "time::serde::rfc3339")]
        until: OffsetDateTime,
    },
    Booked {
        appointment: AppointmentId,
    },
    /// Withdrawn before anyone booked it: its outreach session was
    /// cancelled, so nobody may hold or book it any more.
    Closed,
}

/// Why a slot or bed cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    #[error("the slot is already booked")]
    AlreadyBooked,
    #[error("the slot is held by another user until {until}")]
    HeldByOther { until: String },
    #[error("the slot is reserved for referrals from primary care until {released_at}")]
    ReservedForReferrals { released_at: String },
    #[error("the reserved slot starts within the urgent window and is kept for urgent referrals")]
    KeptForUrgent,
    #[error("the slot has already started")]
    InThePast,
    #[error("the slot was withdrawn: its session was cancelled")]
    Closed,
    #[error("the slot is not booked, so there is nothing to release")]
    NotBooked,
    #[error("no bed is free in the pool")]
    NoBedFree,
    #[error("no reserved bed is free in the pool")]
    NoReservedBedFree,
}

impl Slot {
    /// The status as the world sees it at `now`: a lapsed hold is free.
    pub fn status_at(&self, now: OffsetDateTime) -> SlotStatus {
        match &self.status {
            SlotStatus::Held { until, .. } if *until <= now => SlotStatus::Free,
            s => s.clone(),
        }
    }

    /// When an unused reserved slot goes back to the public.
    pub fn released_at(&self, policy: &Policy) -> OffsetDateTime {
        self.start - Duration::hours(i64::from(policy.release_hours_before))
    }

    /// Whether the claimant may take this slot at `now`, ignoring whether it
    /// is free: the reservation, release and urgency rules.
    pub fn open_to(
        &self,
        claimant: Claimant<'_>,
        policy: &Policy,
        now: OffsetDateTime,
    ) -> Result<(), BookingError> {
        if self.start <= now {
            return Err(BookingError::InThePast);
        }
        if !self.reserved {
            return Ok(());
        }
        let urgent = !matches!(
            claimant,
            Claimant::Referral {
                priority: Priority::Routine,
                ..
            }
        );
        let minutes = (self.start - now).whole_minutes();
        match reserved_open(policy, claimant.is_primary_referral(), urgent, minutes) {
            ReservedAccess::Open => Ok(()),
            ReservedAccess::ForReferrals => Err(BookingError::ReservedForReferrals {
                released_at: rfc3339(self.released_at(policy)),
            }),
            ReservedAccess::KeptForUrgent => Err(BookingError::KeptForUrgent),
        }
    }

    /// Whether `holder` may take the slot now: it is free, or held by them.
    fn available_to(&self, holder: &str, now: OffsetDateTime) -> Result<(), BookingError> {
        match self.status_at(now) {
            SlotStatus::Free => Ok(()),
            SlotStatus::Held { holder: h, .. } if h == holder => Ok(()),
            SlotStatus::Held { until, .. } => Err(BookingError::HeldByOther {
                until: rfc3339(until),
            }),
            SlotStatus::Booked { .. } => Err(BookingError::AlreadyBooked),
            SlotStatus::Closed => Err(BookingError::Closed),
        }
    }

    /// Withdraws a slot nobody has booked (its session was cancelled); a
    /// booked slot stays booked, for its patient to be told and rebooked.
    /// Returns whether the slot was closed.
    pub fn close(&mut self) -> bool {
        match self.status {
            SlotStatus::Free | SlotStatus::Held { .. } => {
                self.status = SlotStatus::Closed;
                true
            }
            SlotStatus::Booked { .. } | SlotStatus::Closed => false,
        }
    }

    /// Holds the slot for `holder` for the policy's hold time. Holding again
    /// by the same holder extends the hold.
    pub fn hold(
        &mut self,
        holder: &str,
        claimant: Claimant<'_>,
        policy: &Policy,
        now: OffsetDateTime,
    ) -> Result<OffsetDateTime, BookingError> {
        self.open_to(claimant, policy, now)?;
        self.available_to(holder, now)?;
        let until = now + policy.hold();
        self.status = SlotStatus::Held {
            holder: holder.to_string(),
            until,
        };
        Ok(until)
    }

    /// Books the slot for an appointment: it must be open to the claimant
    /// and free or held by `holder`.
    pub fn book(
        &mut self,
        holder: &str,
        appointment: AppointmentId,
        claimant: Claimant<'_>,
        policy: &Policy,
        now: OffsetDateTime,
    ) -> Result<(), BookingError> {
        self.open_to(claimant, policy, now)?;
        self.available_to(holder, now)?;
        self.status = SlotStatus::Booked { appointment };
        Ok(())
    }

    /// Frees a booked slot (the appointment was cancelled).
    pub fn release(&mut self) -> Result<AppointmentId, BookingError> {
        match std::mem::replace(&mut self.status, SlotStatus::Free) {
            SlotStatus::Booked { appointment } => Ok(appointment),
            other => {
                self.status = other;
                Err(BookingError::NotBooked)
            }
        }
    }
}

/// Whether a reserved slot is open to a claimant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservedAccess {
    Open,
    /// Only referrals from primary care may take it until it is released.
    ForReferrals,
    /// Near its start it is kept for urgent referrals.
    KeptForUrgent,
}

/// The reservation rule on its own, for a reserved slot starting
/// `minutes_to_start` from now: released slots are open to all; before
/// that only referrals from primary care, and within the urgent window
/// only urgent ones. [`Slot::open_to`] and the simulator both apply it.
pub fn reserved_open(
    policy: &Policy,
    primary_referral: bool,
    urgent: bool,
    minutes_to_start: i64,
) -> ReservedAccess {
    if minutes_to_start <= i64::from(policy.release_hours_before) * 60 {
        return ReservedAccess::Open;
    }
    if !primary_referral {
        return ReservedAccess::ForReferrals;
    }
    if !urgent && minutes_to_start <= i64::from(policy.urgent_window_hours) * 60 {
        return ReservedAccess::KeptForUrgent;
    }
    ReservedAccess::Open
}

/// A booked visit in a slot: through a referral, or self-referred (then
/// marked as a bypass when the region's gatekeeping is financial).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: AppointmentId,
    pub slot: SlotId,
    pub patient: ResidentId,
    pub institution: InstitutionId,
    pub specialty: Specialty,
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end: OffsetDateTime,
    /// Why the patient comes (ICD-10), when known.
    pub condition: Option<IcdCode>,
    /// The referral it was booked for, if any.
    pub referral: Option<ReferralId>,
    /// Booked as an emergency (not held at the gate).
    pub emergency: bool,
    /// Booked at a hospital without a referral under financial
    /// gatekeeping: insurance may pay less for it.
    pub bypass: bool,
    pub cancelled: bool,
    /// When it was booked: a visit's wait runs from here to the arrival.
    /// Absent on appointments stored before it was kept.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub booked_at: Option<OffsetDateTime>,
    /// How far the visit has got since it was booked. Absent (booked) on
    /// appointments stored before it was kept.
    #[serde(default)]
    pub progress: VisitProgress,
}

/// How far a booked visit has got: the appointment follows its visit, so
/// an appointment read after the patient came does not still say booked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VisitProgress {
    /// Waiting for the patient.
    #[default]
    Booked,
    /// The patient came; the visit is under way.
    Arrived,
    /// The visit is over.
    Fulfilled,
    /// The patient did not come.
    NoShow,
}

impl Appointment {
    /// The appointment's status as FHIR codes it (`Appointment.status`):
    /// cancelled, else where the visit stands.
    pub fn status_code(&self) -> &'static str {
        if self.cancelled {
            return "cancelled";
        }
        match self.progress {
            VisitProgress::Booked => "booked",
            VisitProgress::Arrived => "arrived",
            VisitProgress::Fulfilled => "fulfilled",
            VisitProgress::NoShow => "noshow",
        }
    }
}

/// A visit or an admission as it happened: the patient arrived, and (later)
/// it finished. One per referral; its id is derived from the referral's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encounter {
    pub id: EncounterId,
    pub patient: ResidentId,
    pub institution: InstitutionId,
    pub specialty: Specialty,
    /// An admission (true) or an outpatient visit.
    pub inpatient: bool,
    pub referral: Option<ReferralId>,
    pub appointment: Option<AppointmentId>,
    #[serde(with = "time::serde::rfc3339")]
    pub arrived: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished: Option<OffsetDateTime>,
}

/// The day a booked visit may first be recorded as arrived: the booked
/// slot's day, counted as the platform counts days (UTC), so a patient who
/// turns up the day before is not recorded against tomorrow's slot; the
/// front desk rebooks them to an earlier slot instead. `Err` carries the
/// booked day, for the refusal to name it.
pub fn arrival_day_reached(
    booked_start: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), time::Date> {
    let booked = booked_start.to_offset(time::UtcOffset::UTC).date();
    if now.to_offset(time::UtcOffset::UTC).date() < booked {
        Err(booked)
    } else {
        Ok(())
    }
}

impl Encounter {
    /// The encounter id of a referral's visit.
    pub fn id_for(referral: &ReferralId) -> Result<EncounterId, crate::InvalidId> {
        EncounterId::new(format!("enc-{referral}"))
    }

    /// The patient of a self-booked appointment arrived. A referral's
    /// visit arrives through the referral (`$arrive` on it), so its loop
    /// and its encounter never disagree; a cancelled appointment has no
    /// visit. Before the booked day only when the front desk confirms the
    /// patient came `early` (the encounter's arrival, before its slot's
    /// day, then records it).
    pub fn arrive_for(
        a: &Appointment,
        at: OffsetDateTime,
        early: bool,
    ) -> Result<Encounter, VisitError> {
        if a.cancelled {
            return Err(VisitError::Cancelled);
        }
        if let Some(r) = &a.referral {
            return Err(VisitError::ThroughReferral(r.to_string()));
        }
        if !early {
            arrival_day_reached(a.start, at).map_err(VisitError::BeforeBookedDay)?;
        }
        let id = EncounterId::new(format!("enc-{}", a.id)).map_err(|_| VisitError::Id)?;
        Ok(Encounter {
            id,
            patient: a.patient.clone(),
            institution: a.institution.clone(),
            specialty: a.specialty,
            inpatient: false,
            referral: None,
            appointment: Some(a.id.clone()),
            arrived: at,
            finished: None,
        })
    }

    /// The visit is over. A referral's visit finishes with the referral's
    /// `complete`.
    pub fn finish(&mut self, at: OffsetDateTime) -> Result<(), VisitError> {
        if let Some(r) = &self.referral {
            return Err(VisitError::ThroughReferral(r.to_string()));
        }
        if self.finished.is_some() {
            return Err(VisitError::AlreadyFinished);
        }
        self.finished = Some(at.max(self.arrived));
        Ok(())
    }
}

/// Why a visit cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisitError {
    #[error("the appointment was cancelled")]
    Cancelled,
    #[error("the visit belongs to ServiceRequest/{0}: record it there ($arrive, $complete)")]
    ThroughReferral(String),
    #[error("the visit is already finished")]
    AlreadyFinished,
    #[error(
        "the visit is booked for {0}: arrival is recorded on that day or later; to see the patient earlier, book an earlier slot"
    )]
    BeforeBookedDay(time::Date),
    #[error("the appointment id is too long for an encounter id")]
    Id,
}

/// A department's outpatient day, cut into equal slots, the policy share of
/// them (spread evenly through the day) reserved for referrals.
#[derive(Debug, Clone)]
pub struct SessionPlan<'a> {
    pub schedule: &'a ScheduleId,
    pub institution: &'a InstitutionId,
    pub specialty: Specialty,
    pub start: OffsetDateTime,
    pub slot_minutes: u32,
    pub slots: u32,
}

impl SessionPlan<'_> {
    /// The slots of the session, ids `{schedule}-{yyyymmddhhmm}`, free.
    pub fn slots(&self, policy: &Policy) -> Vec<Slot> {
        let reserved = policy.reserved_of(self.slots);
        let length = Duration::minutes(i64::from(self.slot_minutes));
        (0..self.slots)
            .filter_map(|i| {
                let start = self.start + length * i;
                let stamp = format!(
                    "{:04}{:02}{:02}{:02}{:02}",
                    start.year(),
                    u8::from(start.month()),
                    start.day(),
                    start.hour(),
                    start.minute()
                );
                let id = SlotId::new(format!("{}-{stamp}", self.schedule)).ok()?;
                Some(Slot {
                    id,
                    schedule: self.schedule.clone(),
                    institution: self.institution.clone(),
                    specialty: self.specialty,
                    start,
                    end: start + length,
                    // Slot i is reserved when it crosses the next multiple of
                    // slots/reserved: an even spread with exactly `reserved`.
                    reserved: (i + 1) * reserved / self.slots > i * reserved / self.slots,
                    status: SlotStatus::Free,
                })
            })
            .collect()
    }
}

/// A department's inpatient beds. Beds are counted, not named: a reservation
/// takes one bed of the pool until the patient leaves or it is cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BedPool {
    pub id: BedPoolId,
    pub institution: InstitutionId,
    pub specialty: Specialty,
    /// All beds of the pool.
    pub beds: u32,
    /// Of those, beds kept for upward inpatient referrals.
    pub reserved: u32,
    /// Beds in use by anyone other than a referral into a reserved bed.
    pub occupied: u32,
    /// Reserved beds in use by referrals.
    pub reserved_occupied: u32,
}

/// Which kind of bed a reservation took, so it can be given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BedKind {
    Reserved,
    General,
}

impl BedPool {
    /// Free general (unreserved) beds.
    pub fn general_free(&self) -> u32 {
        self.beds
            .saturating_sub(self.reserved)
            .saturating_sub(self.occupied)
    }

    /// Free reserved beds.
    pub fn reserved_free(&self) -> u32 {
        self.reserved.saturating_sub(self.reserved_occupied)
    }

    /// Takes a bed: a primary-care referral takes a reserved bed first and
    /// a general bed when none is left; anyone else only a general bed.
    pub fn admit(&mut self, claimant: Claimant<'_>) -> Result<BedKind, BookingError> {
        if claimant.is_primary_referral() && self.reserved_free() > 0 {
            self.reserved_occupied += 1;
            return Ok(BedKind::Reserved);
        }
        if self.general_free() > 0 {
            self.occupied += 1;
            return Ok(BedKind::General);
        }
        Err(if claimant.is_primary_referral() {
            BedKind::Reserved.none_free()
        } else {
            BookingError::NoBedFree
        })
    }

    /// Gives a bed back (discharge or cancellation).
    pub fn discharge(&mut self, kind: BedKind) {
        match kind {
            BedKind::Reserved => self.reserved_occupied = self.reserved_occupied.saturating_sub(1),
            BedKind::General => self.occupied = self.occupied.saturating_sub(1),
        }
    }
}

impl BedKind {
    fn none_free(self) -> BookingError {
        match self {
            BedKind::Reserved => BookingError::NoReservedBedFree,
            BedKind::General => BookingError::NoBedFree,
        }
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests;
