//! The oversight indicators of tiered care, computed by one accumulator that
//! the platform and the simulator both feed.
//!
//! A health commission asks the same questions of its live region and of a
//! simulated reform: how much care stays at the grassroots, how much is
//! kept in the county, how referrals flow, where patients bypass their
//! family doctor. So there is exactly one definition of each indicator, here.
//! Sources describe what happened as [`Fact`]s (small, `Copy` values: the
//! simulator emits millions a second), the [`Accumulator`] adds them into
//! daily [`Counters`] per institution, and [`Accumulator::indicators`] turns
//! the counters of any period and [`Subject`] into [`Indicators`].
//!
//! Daily counters are additive, so a store can keep them as aggregates next
//! to its events and a dashboard never rescans raw history: the indicators
//! of summed counters are the indicators of the events.
//!
//! # Definitions
//!
//! All counts are over the period asked for; a ratio with an empty
//! denominator is `None`, never a made-up zero.
//!
//! - **Primary visit share**: outpatient visits at primary institutions /
//!   all outpatient visits.
//! - **County retention**: visits by the region's residents made at
//!   institutions inside the region / all visits by the region's residents
//!   (institutions outside, such as the prefecture city's hospitals, are in
//!   the [`Directory`] with `inside = false`).
//! - **The referral loop** is counted by cohort and from both sides. A
//!   referral's every step (declined, booked or seen unbooked as an
//!   emergency, completed, reported back, refused by the patient) counts on
//!   the day the referral was requested, so a period's steps are those of
//!   its own referrals and no step exceeds the one before it. Each step
//!   counts at the referrer (the **sent** funnel: where its patients went
//!   and whether the loop closed) and at the receiver (the **received**
//!   funnel: what was asked of it and what it did); a redirect ends the
//!   first receiver's part (redirected) and starts the next one's. For a
//!   subject below the region each side counts the institutions of the
//!   subject on that side; for the region both sides hold every referral
//!   (the received side once more for each redirect). The headline
//!   figures below are the sent side.
//! - **Upward and downward referrals**: referrals requested;
//!   **down/up ratio** = downward / upward.
//! - **Referral loop closure**: referrals completed with a result report
//!   back to the referrer / referrals completed.
//! - **Teams and doctors** are subjects too: their rows hold copies of
//!   facts counted at their institution (the referrals a doctor or a
//!   team's doctors sent, sent side only; the visits a doctor ended and a
//!   team's patients' visits at its institution; contracts), numbered from
//!   [`Ix::FIRST_UNIT`] and never summed into the region, a level or an
//!   alliance. The rules are the platform's (`tiercare-service`'s `units`).
//! - **Results recognised** (mutual recognition of tests): of the results a
//!   completed referral's letter carried, those still valid when the
//!   receiver saw the patient, so the test was not repeated; counted per
//!   result, in the referral's cohort, on both sides like every step
//!   (sent: the subject's results that others recognised; received: the
//!   results of others the subject recognised).
//! - **Time to appointment**: mean days from a referral's request to the
//!   day of the visit it booked.
//! - **Bypass share**: outpatient visits at secondary or tertiary
//!   institutions for cases positioned at primary level, made without a
//!   referral (not a follow-up, not an emergency) / all outpatient visits at
//!   secondary and tertiary institutions.
//! - **Positioning mismatch**: over first-contact visits (the visits
//!   patients choose themselves; referred visits and follow-ups are placed
//!   by doctors) with a known positioning, the share made at a level other
//!   than the case's positioning: **over-use** (too high) and
//!   **under-capacity** (too low, then referred up).
//! - **Capacity pyramid**: physicians, beds and daily outpatient slots per
//!   level (from the [`Directory`]) against the demand positioned at that
//!   level (first-contact visits by the level their case is positioned at).
//!   A resource's pyramid is **inverted** when its capacity-weighted mean
//!   level lies above the demand-weighted mean level
//!   ([`Indicators::pyramid_fit`]), upright otherwise.
//! - **Utilisation**: outpatient visits / slots offered, and occupied bed
//!   days / beds offered, per institution and level. What a level offered
//!   is what was recorded day by day, or where nothing was (the live
//!   platform), its registered daily slots and beds for every day of the
//!   period. A finished stay occupies one bed day per night.
//! - **Expenditure per visit** (total charge / visits with a claim) and
//!   **out-of-pocket share** (paid by the patient / total charge), by level
//!   and by scheme.
//! - **Chronic management**: known hypertension and diabetes patients under
//!   regular follow-up at primary level / known patients, at the end of the
//!   period. "Regular" means a follow-up at primary level within the last
//!   [`REGULAR_FOLLOW_UP_DAYS`] days; sources report the panel as
//!   [`Fact::ChronicPanel`] snapshots.
//! - **Contract coverage**: residents with a family-doctor contract /
//!   residents, at the end of the period, overall and for key groups.
//! - **Hub readings** (remote reading at resource-sharing hubs) are
//!   counted by cohort, every step on the day the reading was ordered, at
//!   the hub's institution (the readings it read for its members) and at
//!   the ordering member (the readings it had read remotely); for the
//!   region both sides hold every reading, and the headline figures are
//!   the hub side. **Turnaround** by priority is the p50 and p90 of the
//!   minutes from order to report, **within deadline** the share of
//!   reported readings reported by their deadline, and **critical
//!   acknowledgement** the median minutes from a critical alert to the
//!   ordering doctor's acknowledgement; times are counted in the fixed
//!   buckets of [`readings::TIME_EDGES_MINUTES`], and a percentile is the
//!   upper edge of the bucket its nearest rank falls in. **Followed by an
//!   avoidable referral**: the share of reported readings whose patient's
//!   first upward referral within [`readings::FOLLOW_UP_DAYS`] of the
//!   report was for a condition positioned at primary level and not an
//!   emergency.
//! - **Access**: residents within [`ACCESS_MINUTES`] minutes of the nearest
//!   institution / residents whose travel time is known, at the end of the
//!   period.

mod accumulator;
mod compute;
mod counters;
#[cfg(test)]
mod funnel_tests;
pub mod measures;
pub mod readings;
#[cfg(test)]
mod readings_tests;
mod shape;
#[cfg(test)]
mod tests;

pub use accumulator::Accumulator;
pub use compute::{Indicators, LevelFigures, PyramidLevel, SchemeFigures, Tally};
pub use counters::{Counters, Funnel, SCHEME_SLOTS, Side};
pub use measures::{MEASURES, MeasureDef, Population, PopulationKind};
pub use readings::{ReadingCounters, ReadingFact, ReadingFigures, ReadingStep};
pub use shape::{PyramidFit, Resource, Shape};

use crate::Level;
use crate::insurance::Fen;
use crate::referral::DeclineReason;
use serde::{Deserialize, Serialize};

/// A day, counted from an origin the source chooses (the simulator's first
/// day, or the Unix epoch on the platform). Only differences matter.
pub type Day = i32;

/// How recent a primary follow-up must be for a chronic patient to count as
/// under regular follow-up: the national basic public health service asks
/// for a hypertension or diabetes follow-up at least every quarter.
pub const REGULAR_FOLLOW_UP_DAYS: i32 = 90;

/// The travel time within which a resident counts as having access: the
/// national "15-minute health circle".
pub const ACCESS_MINUTES: u32 = 15;

/// An institution's position in the [`Directory`]; from [`Ix::FIRST_UNIT`]
/// up, a team's or a doctor's row instead (see [`Fact::SentBy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ix(pub u32);

impl Ix {
    /// The first number of a unit below the institution (a family-doctor
    /// team, a doctor). A unit's rows repeat part of its institution's
    /// facts, so they are kept apart from the institutions' and read only
    /// when the unit itself is asked about: nothing is counted twice.
    pub const FIRST_UNIT: u32 = 1 << 24;

    fn index(self) -> usize {
        self.0 as usize
    }

    /// Whether this is a team's or a doctor's row.
    pub fn is_unit(self) -> bool {
        self.0 >= Ix::FIRST_UNIT
    }
}

/// What the accumulator needs to know about one institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionFacts {
    pub level: Level,
    /// Inside the region (counts towards county retention).
    pub inside: bool,
    /// Positions of the alliances it belongs to.
    pub alliances: Vec<u16>,
    pub physicians: u32,
    pub beds: u32,
    pub daily_slots: u32,
}

/// The institutions the facts refer to, in [`Ix`] order. The caller maps
/// its own identifiers to positions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub institutions: Vec<InstitutionFacts>,
}

impl Directory {
    /// The institution at `ix`, if there is one.
    pub fn get(&self, ix: Ix) -> Option<&InstitutionFacts> {
        self.institutions.get(ix.index())
    }

    /// Number of institutions.
    pub fn len(&self) -> usize {
        self.institutions.len()
    }

    /// Whether there are no institutions.
    pub fn is_empty(&self) -> bool {
        self.institutions.is_empty()
    }
}

/// Which institutions an indicator is computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Subject {
    /// Every institution in the directory, and the region-wide facts
    /// (episodes, residents, access).
    Region,
    /// The institutions of one level.
    Level(Level),
    /// The members of one alliance.
    Alliance(u16),
    /// One institution.
    Institution(Ix),
}

impl Subject {
    /// Whether the institution belongs to the subject.
    pub fn includes(self, ix: Ix, facts: &InstitutionFacts) -> bool {
        match self {
            Subject::Region => true,
            Subject::Level(l) => facts.level == l,
            Subject::Alliance(a) => facts.alliances.contains(&a),
            Subject::Institution(i) => i == ix,
        }
    }
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub first: Day,
    pub last: Day,
}

impl Period {
    /// Days `first..=last`.
    pub fn new(first: Day, last: Day) -> Period {
        Period { first, last }
    }

    /// Whether `day` falls in the period.
    pub fn contains(self, day: Day) -> bool {
        (self.first..=self.last).contains(&day)
    }
}

/// How a visit came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VisitKind {
    /// The patient chose where to go: the first contact of an episode.
    FirstContact,
    /// Through a referral up from a lower level.
    ReferredUp,
    /// Through a referral down from a higher level.
    ReferredDown,
    /// A return visit booked by the treating side (chronic follow-up, a
    /// hospital's own check).
    FollowUp,
}

/// What a visit cost and who paid: the adjudicated claim, when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// Position of the patient's insurance scheme, below [`SCHEME_SLOTS`].
    pub scheme: u8,
    /// The total charge.
    pub cost: Fen,
    /// The part the patient paid.
    pub out_of_pocket: Fen,
}

/// One visit or admission that took place.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub day: Day,
    pub institution: Ix,
    /// The level of the institution.
    pub level: Level,
    pub kind: VisitKind,
    /// The level the case is positioned at by the catalogue, when known.
    pub positioned: Option<Level>,
    pub emergency: bool,
    /// An admission rather than an outpatient visit.
    pub inpatient: bool,
    /// The patient lives in the region.
    pub resident: bool,
    /// The claim, if the visit was charged to a scheme.
    pub charge: Option<Charge>,
    /// Days from the request to the visit (fractions allowed).
    pub wait_days: f32,
}

impl Visit {
    /// A self-referred outpatient visit above the primary level for a case
    /// positioned at primary level: the family doctor was bypassed.
    pub fn is_bypass(&self) -> bool {
        !self.inpatient
            && !self.emergency
            && self.kind == VisitKind::FirstContact
            && self.level > Level::Primary
            && self.positioned == Some(Level::Primary)
    }
}

/// The direction of a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Up,
    Down,
}

/// A step of the referral loop, as a funnel counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Requested(Direction),
    Declined(DeclineReason),
    Booked { wait_days: u32 },
    Completed { report_back: bool },
    ReportBack,
    Results { attached: u16, recognised: u16 },
    Refused,
}

/// Something that happened, as the indicators see it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Fact {
    /// An illness episode began (the simulator knows; the platform does not).
    Episode { day: Day },
    /// A visit or admission took place.
    Visit(Visit),
    /// A referral was requested. Every step of the loop after it names
    /// the referrer and the receiver, and is dated on the day the referral
    /// was requested (its cohort: see [`Funnel`]).
    Referral {
        day: Day,
        from: Ix,
        to: Ix,
        direction: Direction,
    },
    /// The receiver sent a referral on to another institution: `away`
    /// lost it, `to` received it.
    ReferralRedirected {
        day: Day,
        from: Ix,
        away: Ix,
        to: Ix,
        direction: Direction,
    },
    /// The receiving institution declined a referral.
    ReferralDeclined {
        day: Day,
        from: Ix,
        to: Ix,
        reason: DeclineReason,
    },
    /// A referral's visit or bed was booked (once per referral: a
    /// rebooking after a no-show is not another), `wait_days` after the
    /// request, or an emergency was seen unbooked on arrival (0 days).
    ReferralBooked {
        day: Day,
        from: Ix,
        to: Ix,
        wait_days: u32,
    },
    /// A referral was completed, with or without a report back.
    ReferralCompleted {
        day: Day,
        from: Ix,
        to: Ix,
        report_back: bool,
    },
    /// The report of a referral completed without one reached the referrer.
    ReportBack { day: Day, from: Ix, to: Ix },
    /// The receiver saw a referred patient whose referral carried
    /// `attached` results, `recognised` of them still within their
    /// validity that day (mutual recognition: those tests are not
    /// repeated). Recorded with the completion, in the request's cohort.
    ResultsRecognised {
        day: Day,
        from: Ix,
        to: Ix,
        attached: u16,
        recognised: u16,
    },
    /// A patient refused a downward referral.
    DownReferralRefused { day: Day, from: Ix, to: Ix },
    /// A step of a referral counted once more for the doctor who asked
    /// for it, or for that doctor's family-doctor team: `unit` is their
    /// row ([`Ix::is_unit`]), and only its sent funnel counts it (a team or
    /// a doctor refers; what a hospital receives is its institution's).
    SentBy { day: Day, unit: Ix, step: Step },
    /// The outpatient slots and beds an institution offered that day.
    Capacity {
        day: Day,
        institution: Ix,
        slots: u32,
        beds: u32,
    },
    /// Beds occupied at an institution that day.
    BedDays {
        day: Day,
        institution: Ix,
        occupied: u32,
    },
    /// A change in the region's residents: `delta` residents, of whom
    /// `key_group` are in a key group, `access_known` have a known travel
    /// time to care and `within_access` of those live within
    /// [`ACCESS_MINUTES`] of an institution (negative when they leave).
    Residents {
        day: Day,
        delta: i32,
        key_group: i32,
        access_known: i32,
        within_access: i32,
    },
    /// Contracts signed (positive) or ended (negative) with a primary
    /// institution's family-doctor teams.
    Contracts {
        day: Day,
        institution: Ix,
        delta: i32,
        key_group: i32,
    },
    /// The chronic panel of a primary institution as of `day`: known
    /// hypertension and diabetes patients, and those followed up within
    /// [`REGULAR_FOLLOW_UP_DAYS`]. Snapshots of one institution must come in
    /// day order.
    ChronicPanel {
        day: Day,
        institution: Ix,
        known: u32,
        followed: u32,
    },
    /// A step of a remote reading at a resource-sharing hub, counted in
    /// the cohort of the day it was ordered, at the hub's institution and
    /// at the ordering member (see [`readings`]).
    Reading(ReadingFact),
    /// One institution gave another an amount of one kind of resource
    /// (see [`crate::flows`]), counted on the giver's row.
    Flow(crate::flows::FlowFact),
}

impl Fact {
    /// The counters the fact adds, by day and row (an institution, or
    /// `None` for the region row): what a store adds to its daily
    /// aggregates in the transaction that records the fact. A chronic
    /// panel snapshot is not a change by itself (it has none: the
    /// [`Accumulator`] turns snapshots into changes).
    pub fn deltas(&self) -> Vec<(Day, Option<Ix>, Counters)> {
        let day = self.day();
        self.rows()
            .into_iter()
            .flatten()
            .map(|(ix, side)| {
                let mut c = Counters::default();
                c.count(self, side);
                (day, ix, c)
            })
            .collect()
    }

    /// The rows a fact counts in: an institution (`None` for the region
    /// row) and the part that row plays in a referral. A referral's steps
    /// count at both ends; a chronic panel snapshot in none (it is not a
    /// change by itself).
    pub fn rows(&self) -> [Option<(Option<Ix>, Side)>; 2] {
        match *self {
            Fact::Episode { .. } | Fact::Residents { .. } => [Some((None, Side::None)), None],
            Fact::Visit(v) => [Some((Some(v.institution), Side::None)), None],
            Fact::Referral { from, to, .. }
            | Fact::ReferralDeclined { from, to, .. }
            | Fact::ReferralBooked { from, to, .. }
            | Fact::ReferralCompleted { from, to, .. }
            | Fact::ReportBack { from, to, .. }
            | Fact::ResultsRecognised { from, to, .. }
            | Fact::DownReferralRefused { from, to, .. } => [
                Some((Some(from), Side::Sending)),
                Some((Some(to), Side::Receiving)),
            ],
            Fact::SentBy { unit, .. } => [Some((Some(unit), Side::Sending)), None],
            Fact::ReferralRedirected { away, to, .. } => [
                Some((Some(away), Side::RedirectedAway)),
                Some((Some(to), Side::Receiving)),
            ],
            Fact::Capacity {
                institution: ix, ..
            }
            | Fact::BedDays {
                institution: ix, ..
            }
            | Fact::Contracts {
                institution: ix, ..
            } => [Some((Some(ix), Side::None)), None],
            Fact::ChronicPanel { .. } => [None, None],
            Fact::Reading(r) => [
                Some((Some(r.hub), Side::Hub)),
                Some((Some(r.member), Side::Orderer)),
            ],
            Fact::Flow(f) => [Some((Some(f.from), Side::None)), None],
        }
    }

    /// The referral step a fact is, if it is one.
    pub fn step(&self) -> Option<Step> {
        Some(match *self {
            Fact::Referral { direction, .. } | Fact::ReferralRedirected { direction, .. } => {
                Step::Requested(direction)
            }
            Fact::ReferralDeclined { reason, .. } => Step::Declined(reason),
            Fact::ReferralBooked { wait_days, .. } => Step::Booked { wait_days },
            Fact::ReferralCompleted { report_back, .. } => Step::Completed { report_back },
            Fact::ReportBack { .. } => Step::ReportBack,
            Fact::ResultsRecognised {
                attached,
                recognised,
                ..
            } => Step::Results {
                attached,
                recognised,
            },
            Fact::DownReferralRefused { .. } => Step::Refused,
            Fact::SentBy { step, .. } => step,
            _ => return None,
        })
    }

    /// Whether the fact is counted at a team's or a doctor's row only.
    pub fn is_unit_fact(&self) -> bool {
        match *self {
            Fact::SentBy { .. } => true,
            Fact::Visit(v) => v.institution.is_unit(),
            Fact::Contracts { institution, .. } => institution.is_unit(),
            _ => false,
        }
    }

    /// The day the fact belongs to.
    pub fn day(&self) -> Day {
        match *self {
            Fact::Episode { day }
            | Fact::Referral { day, .. }
            | Fact::ReferralRedirected { day, .. }
            | Fact::ReferralDeclined { day, .. }
            | Fact::ReferralBooked { day, .. }
            | Fact::ReferralCompleted { day, .. }
            | Fact::ReportBack { day, .. }
            | Fact::ResultsRecognised { day, .. }
            | Fact::SentBy { day, .. }
            | Fact::DownReferralRefused { day, .. }
            | Fact::Capacity { day, .. }
            | Fact::BedDays { day, .. }
            | Fact::Residents { day, .. }
            | Fact::Contracts { day, .. }
            | Fact::ChronicPanel { day, .. } => day,
            Fact::Visit(v) => v.day,
            Fact::Reading(r) => r.day,
            Fact::Flow(f) => f.day,
        }
    }
}

/// Why a fact was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorError {
    #[error("institution position {0} is not in the directory")]
    UnknownInstitution(u32),
    #[error("scheme position {0} is beyond the {SCHEME_SLOTS} scheme slots")]
    SchemeSlot(u8),
}
