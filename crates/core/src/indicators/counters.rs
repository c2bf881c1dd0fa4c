//! The additive daily counters behind every indicator.

use super::readings::ReadingCounters;
use super::{Direction, Fact, Step, Visit, VisitKind};
use crate::flows::{FlowCount, add_flow, add_flows};
use crate::referral::DeclineReason;
use serde::{Deserialize, Serialize};

/// How many insurance schemes the counters keep apart (a region has two or
/// three: employees, residents, and before the merger the rural scheme).
pub const SCHEME_SLOTS: usize = 4;

/// Per-scheme visit figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeCounters {
    pub visits: u64,
    pub cost_fen: i64,
    pub out_of_pocket_fen: i64,
}

/// One side of the referral loop, counted by cohort: every step of a
/// referral counts on the day the referral was requested, so the steps of
/// any period are steps of that period's referrals and none can exceed the
/// one before it (booked and declined ≤ requested, completed ≤ booked,
/// reported back ≤ completed). A period's later steps still grow while
/// its referrals move on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Funnel {
    /// Referrals requested, by direction (for the receiving side: addressed
    /// to it, first or after a redirect).
    pub up: u64,
    pub down: u64,
    /// Receiving side only: sent on to another institution.
    pub redirected: u64,
    /// Declines, by [`DeclineReason`] in declaration order.
    pub declined: [u64; 5],
    /// Downward referrals the patient refused.
    pub refused: u64,
    /// Booked (a rebooking after a no-show is the same referral), or seen
    /// unbooked as an emergency.
    pub booked: u64,
    /// Days from request to the booked visit, summed over `booked`.
    pub wait_days: u64,
    pub completed: u64,
    /// Completed with a result report back to the referrer, at completion
    /// or later.
    pub reported: u64,
    /// Results attached to the completed referrals, and of those the
    /// results the receiver recognised (still valid when the patient was
    /// seen): counted per result, not per referral.
    pub results: u64,
    pub recognised: u64,
}

impl Funnel {
    /// Referrals requested (or received), both directions.
    pub fn requested(&self) -> u64 {
        self.up + self.down
    }

    /// Declines of every reason.
    pub fn declines(&self) -> u64 {
        self.declined.iter().sum()
    }

    /// Whether no step passes the one before: what ended the side's part
    /// (booked, declined, refused, redirected) is at most what was asked,
    /// completions at most bookings, reports at most completions, results
    /// recognised at most those attached. The cohort rule makes it hold
    /// for every subject and period.
    pub fn in_order(&self) -> bool {
        self.booked + self.declines() + self.refused + self.redirected <= self.requested()
            && self.completed <= self.booked
            && self.reported <= self.completed
            && self.recognised <= self.results
    }

    /// Adds another row's funnel.
    pub fn add(&mut self, o: &Funnel) {
        self.up += o.up;
        self.down += o.down;
        self.redirected += o.redirected;
        for (a, b) in self.declined.iter_mut().zip(o.declined) {
            *a += b;
        }
        self.refused += o.refused;
        self.booked += o.booked;
        self.wait_days += o.wait_days;
        self.completed += o.completed;
        self.reported += o.reported;
        self.results += o.results;
        self.recognised += o.recognised;
    }

    /// Counts a step of the referral loop on this side.
    fn count(&mut self, fact: &Fact) {
        let Some(step) = fact.step() else {
            return;
        };
        match step {
            Step::Requested(Direction::Up) => self.up += 1,
            Step::Requested(Direction::Down) => self.down += 1,
            Step::Declined(reason) => self.declined[decline_index(reason)] += 1,
            Step::Booked { wait_days } => {
                self.booked += 1;
                self.wait_days += u64::from(wait_days);
            }
            Step::Completed { report_back } => {
                self.completed += 1;
                self.reported += u64::from(report_back);
            }
            Step::ReportBack => self.reported += 1,
            Step::Results {
                attached,
                recognised,
            } => {
                self.results += u64::from(attached);
                self.recognised += u64::from(recognised);
            }
            Step::Refused => self.refused += 1,
        }
    }
}

/// Which part a row plays in a referral fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The row is no party to a referral (a visit, a stock, capacity).
    None,
    /// The referrer.
    Sending,
    /// The institution the referral is addressed to.
    Receiving,
    /// The receiver a redirect took the referral away from.
    RedirectedAway,
    /// The institution whose hub a reading was ordered from.
    Hub,
    /// The member institution that ordered a reading.
    Orderer,
}

/// Everything counted for one institution on one day (or, on the region
/// row, for facts that belong to no institution). Counters add: the
/// counters of a period are the sum of its days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    pub episodes: u64,
    pub visits: u64,
    pub outpatient: u64,
    pub admissions: u64,
    pub visits_by_residents: u64,
    pub first_contacts: u64,
    /// First contacts by the level their case is positioned at.
    pub positioned: [u64; 3],
    pub over_use: u64,
    pub under_capacity: u64,
    pub bypass: u64,
    /// Waits from request to visit, in whole minutes (integers, so sums
    /// add up exactly in any order).
    pub wait_minutes: u64,
    /// Visits with a claim (the denominator of expenditure per visit).
    pub charged: u64,
    pub cost_fen: i64,
    pub out_of_pocket_fen: i64,
    pub schemes: [SchemeCounters; SCHEME_SLOTS],
    /// The referral loop as this institution's referrer side sees it: the
    /// referrals it sent, and how far they got.
    pub sent: Funnel,
    /// The referral loop as the receiving side sees it: the referrals
    /// addressed to this institution, and how far they got there.
    pub received: Funnel,
    /// Remote readings of this institution's hubs, for their members.
    /// Boxed and absent until a reading is counted: only hubs and their
    /// members have any, and the time buckets would triple every other
    /// row (in the store and in the simulator's memory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readings: Option<Box<ReadingCounters>>,
    /// Remote readings this institution ordered from hubs (boxed as
    /// `readings` is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readings_ordered: Option<Box<ReadingCounters>>,
    /// What this institution gave others (see [`crate::flows`]), sorted
    /// by receiver and kind.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<FlowCount>,
    pub slots_offered: u64,
    pub beds_offered: u64,
    pub bed_days: u64,
    /// Of `visits`, those handed over as totals with no record behind
    /// them (the store's `add_indicator_counters`: the demo county's
    /// simulated residents), so a page can say how much of a figure the
    /// platform's own records account for.
    pub handed_over: u64,
    /// Changes of stock (residents, contracts, chronic panel): the stock at
    /// the end of a period is the sum of all changes up to it.
    pub residents: i64,
    pub key_group_residents: i64,
    pub access_known: i64,
    pub within_access: i64,
    pub contracts: i64,
    pub key_group_contracts: i64,
    pub chronic_known: i64,
    pub chronic_followed: i64,
}

impl Counters {
    /// Adds another day's (or institution's) counters.
    pub fn add(&mut self, o: &Counters) {
        self.episodes += o.episodes;
        self.visits += o.visits;
        self.outpatient += o.outpatient;
        self.admissions += o.admissions;
        self.visits_by_residents += o.visits_by_residents;
        self.first_contacts += o.first_contacts;
        for (a, b) in self.positioned.iter_mut().zip(o.positioned) {
            *a += b;
        }
        self.over_use += o.over_use;
        self.under_capacity += o.under_capacity;
        self.bypass += o.bypass;
        self.wait_minutes += o.wait_minutes;
        self.charged += o.charged;
        self.cost_fen += o.cost_fen;
        self.out_of_pocket_fen += o.out_of_pocket_fen;
        for (a, b) in self.schemes.iter_mut().zip(o.schemes) {
            a.visits += b.visits;
            a.cost_fen += b.cost_fen;
            a.out_of_pocket_fen += b.out_of_pocket_fen;
        }
        self.sent.add(&o.sent);
        self.received.add(&o.received);
        add_readings(&mut self.readings, &o.readings);
        add_readings(&mut self.readings_ordered, &o.readings_ordered);
        add_flows(&mut self.flows, &o.flows);
        self.slots_offered += o.slots_offered;
        self.beds_offered += o.beds_offered;
        self.bed_days += o.bed_days;
        self.handed_over += o.handed_over;
        self.add_stocks(o);
    }

    /// Adds only the stock changes (used for the history before a period).
    pub fn add_stocks(&mut self, o: &Counters) {
        self.residents += o.residents;
        self.key_group_residents += o.key_group_residents;
        self.access_known += o.access_known;
        self.within_access += o.within_access;
        self.contracts += o.contracts;
        self.key_group_contracts += o.key_group_contracts;
        self.chronic_known += o.chronic_known;
        self.chronic_followed += o.chronic_followed;
    }

    /// Counts a visit.
    pub(super) fn visit(&mut self, v: &Visit) {
        let level = v.level;
        self.visits += 1;
        if v.inpatient {
            self.admissions += 1;
        } else {
            self.outpatient += 1;
        }
        self.visits_by_residents += u64::from(v.resident);
        if v.kind == VisitKind::FirstContact {
            self.first_contacts += 1;
            if let Some(p) = v.positioned {
                self.positioned[p.index()] += 1;
                self.over_use += u64::from(level > p);
                self.under_capacity += u64::from(level < p);
            }
        }
        self.bypass += u64::from(v.is_bypass());
        // Rounded to the nearest minute (`as` saturates negatives to 0).
        self.wait_minutes += (f64::from(v.wait_days) * 1440.0 + 0.5) as u64;
        if let Some(c) = v.charge {
            self.charged += 1;
            self.cost_fen += c.cost.fen();
            self.out_of_pocket_fen += c.out_of_pocket.fen();
            if let Some(s) = self.schemes.get_mut(usize::from(c.scheme)) {
                s.visits += 1;
                s.cost_fen += c.cost.fen();
                s.out_of_pocket_fen += c.out_of_pocket.fen();
            }
        }
    }

    /// Counts a fact that concerns this row; `side` says which party to a
    /// referral the row is (a referral fact counts at both ends).
    pub(crate) fn count(&mut self, fact: &Fact, side: Side) {
        match side {
            Side::Sending => return self.sent.count(fact),
            Side::Receiving => return self.received.count(fact),
            Side::RedirectedAway => {
                self.received.redirected += 1;
                return;
            }
            Side::Hub | Side::Orderer => {
                if let Fact::Reading(r) = fact {
                    let side = match side {
                        Side::Hub => &mut self.readings,
                        _ => &mut self.readings_ordered,
                    };
                    side.get_or_insert_with(Box::default).count(r);
                }
                return;
            }
            Side::None => {}
        }
        match *fact {
            Fact::Episode { .. } => self.episodes += 1,
            Fact::Visit(ref v) => self.visit(v),
            Fact::Capacity { slots, beds, .. } => {
                self.slots_offered += u64::from(slots);
                self.beds_offered += u64::from(beds);
            }
            Fact::BedDays { occupied, .. } => self.bed_days += u64::from(occupied),
            Fact::Residents {
                delta,
                key_group,
                access_known,
                within_access,
                ..
            } => {
                self.residents += i64::from(delta);
                self.key_group_residents += i64::from(key_group);
                self.access_known += i64::from(access_known);
                self.within_access += i64::from(within_access);
            }
            Fact::Contracts {
                delta, key_group, ..
            } => {
                self.contracts += i64::from(delta);
                self.key_group_contracts += i64::from(key_group);
            }
            // A snapshot, not a change: the accumulator turns it into one
            // (see `Accumulator::record`).
            Fact::ChronicPanel { .. } => {}
            // Counted by the sides above.
            Fact::Referral { .. }
            | Fact::ReferralRedirected { .. }
            | Fact::ReferralDeclined { .. }
            | Fact::ReferralBooked { .. }
            | Fact::ReferralCompleted { .. }
            | Fact::ReportBack { .. }
            | Fact::ResultsRecognised { .. }
            | Fact::SentBy { .. }
            | Fact::DownReferralRefused { .. }
            | Fact::Reading(_) => {}
            Fact::Flow(f) => add_flow(&mut self.flows, f.to, f.kind, f.amount),
        }
    }
}

/// The position of a decline reason in [`Funnel::declined`].
pub fn decline_index(reason: DeclineReason) -> usize {
    DeclineReason::ALL
        .iter()
        .position(|r| *r == reason)
        .unwrap_or(DeclineReason::ALL.len() - 1)
}

/// Adds one side's optional reading counters to another's.
fn add_readings(to: &mut Option<Box<ReadingCounters>>, from: &Option<Box<ReadingCounters>>) {
    if let Some(from) = from {
        to.get_or_insert_with(Box::default).add(from);
    }
}
