//! The resource-flow network: what the institutions of an alliance give
//! one another, and whether a partnership is one-way, commensal or mutual.
//!
//! The policy literature on vertical integration (DOMAIN.md) finds that
//! resources flow down only and that what the higher-level hospital gains
//! is rarely shown, so partnerships stall between "parasitism" and
//! "commensalism". This module makes both directions visible.
//!
//! # Flows, each recorded once
//!
//! A flow is a [`FlowFact`]: on one day, one institution gave another an
//! amount of one [`FlowKind`]. The platform derives it from the one event
//! that is the flow (never from the records around it), so nothing is
//! counted twice:
//!
//! | kind | giver → receiver | from the event | amount |
//! |---|---|---|---|
//! | specialist hours | the programme's hospital → its primary institution | an outreach session held | minutes of the session |
//! | patients up | referring institution → receiver | an upward referral's patient arrived | patients |
//! | patients down | referring hospital → receiver | a downward referral's patient arrived | patients |
//! | reserved slots | the hospital → the referring institution | a referral booked into a reserved slot | slots |
//! | reserved beds | the hospital → the referring institution | a referral took a reserved bed | beds |
//! | remote readings | the hub's institution → the ordering member | a reading reported | readings |
//! | mentoring | the specialist's institution → the mentored doctor's | a mentoring activity, once per doctor taking part | doctor-activities |
//! | medicines aligned | the hospital → the primary institution | a downward care plan drawn up | prescriptions the receiver stocks |
//! | money | the referring institution → the one that gave the care | a referred visit's claim | the fund's share, in fen |
//! | money | the ordering member → the hub's institution | a reading reported | the hub's share of its fee, in fen |
//!
//! Money is the fund's payment for care given on a referral: under the
//! alliance's global budget it is paid out of what is kept for the
//! referring side's residents (an assumption of this model: the budget
//! ledger keeps no per-institution accounts). It is also the hub's share
//! of a remote reading's fee (the policy's `[hubs.fees]`), which the member
//! that took the study and collected the fee pays the hub: what the
//! hospital gains from reading for its townships.
//!
//! One flow is not an event but a schedule: a multi-site practitioner's
//! scheduled days at another institution (a role's days of the week, over
//! its period) are specialist hours on site from the institution of their
//! role without days (their own) to the role's, a working day
//! ([`FlowRules::practice_day_minutes`]) on each scheduled date up to
//! today ([`practice_dates`]). They are read from the registry when the
//! flows are asked for, not added to the daily rows.
//!
//! Flows are counted on the giving institution's daily row
//! ([`FlowCount`] in [`Counters::flows`](crate::indicators::Counters)),
//! so any period's flows are sums of daily rows.
//!
//! # Partnerships and their classification
//!
//! A partnership is a pair of institutions with a flow between them in
//! the period. What each side receives is valued in points by the
//! region's [`FlowRules`] (one point is worth about one patient referred;
//! the weights are assumptions a region may set in its policy), and the
//! partnership is:
//!
//! - **one-way** when one side receives nothing of value;
//! - **commensal** when both receive, but the lesser side less than
//!   [`FlowRules::balance_percent`] of what the greater receives;
//! - **mutual** when both receive, each at least that share of the other.

use crate::indicators::{Day, Ix};
use crate::level::coded_enum;
use crate::network::PractitionerRole;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::Date;

pub mod measures;
mod network;
#[cfg(test)]
mod tests;

pub use network::{Edge, FlowNetwork, Month, Partnership};

coded_enum!(
    /// What an institution gave another.
    FlowKind {
        /// A hospital's specialists working at a primary institution.
        SpecialistHours = "specialist-hours" / "Specialist hours on site",
        PatientsUp = "patients-up" / "Patients referred up",
        PatientsDown = "patients-down" / "Patients referred down",
        /// Outpatient slots a hospital kept for referrals, used by one.
        ReservedSlots = "reserved-slots" / "Reserved slots used",
        /// Beds a hospital kept for upward referrals, used by one.
        ReservedBeds = "reserved-beds" / "Reserved beds used",
        /// Studies a hub read for a member.
        Readings = "remote-readings" / "Remote readings",
        /// A mentored doctor at one mentoring activity.
        Mentoring = "mentoring" / "Doctors mentored",
        /// Prescriptions handed down that the receiver stocks.
        MedicinesAligned = "medicines-aligned" / "Medicines aligned",
        /// The fund's share of referred care and the hubs' share of
        /// reading fees, in fen.
        Money = "money" / "Money",
    }
);

/// Number of flow kinds.
pub const KINDS: usize = 9;

/// An amount per kind, in [`FlowKind::ALL`] order.
pub type Amounts = [u64; KINDS];

/// What a flow's amount counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowUnit {
    Count,
    Minutes,
    Fen,
}

impl FlowKind {
    /// The position of the kind in [`Amounts`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// What the amount counts.
    pub fn unit(self) -> FlowUnit {
        match self {
            FlowKind::SpecialistHours => FlowUnit::Minutes,
            FlowKind::Money => FlowUnit::Fen,
            _ => FlowUnit::Count,
        }
    }
}

/// One institution giving another an amount of one kind on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowFact {
    pub day: Day,
    pub from: Ix,
    pub to: Ix,
    pub kind: FlowKind,
    pub amount: u64,
}

/// A flow as counted on the giving institution's row: to whom, what, how
/// much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowCount {
    pub to: Ix,
    pub kind: FlowKind,
    pub amount: u64,
}

/// Adds `amount` of `kind` to `to` into a row's flows, kept sorted by
/// receiver and kind so that two rows add up the same in any order.
pub fn add_flow(flows: &mut Vec<FlowCount>, to: Ix, kind: FlowKind, amount: u64) {
    match flows.binary_search_by(|f| (f.to, f.kind).cmp(&(to, kind))) {
        Ok(k) => flows[k].amount += amount,
        Err(k) => flows.insert(k, FlowCount { to, kind, amount }),
    }
}

/// Adds another row's flows.
pub fn add_flows(flows: &mut Vec<FlowCount>, other: &[FlowCount]) {
    for f in other {
        add_flow(flows, f.to, f.kind, f.amount);
    }
}

/// What one unit of a kind is worth, in points: `points` per `per` units
/// (exact, so a policy file stays comparable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weight {
    pub points: u32,
    pub per: u32,
}

impl Weight {
    fn value(self, amount: u64) -> f64 {
        if self.per == 0 {
            return 0.0;
        }
        amount as f64 * f64::from(self.points) / f64::from(self.per)
    }
}

/// The region's rule for valuing flows and classifying partnerships (the
/// `[flows]` section of the policy file; see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowRules {
    /// Weights by kind code; a kind left out is worth nothing.
    pub weights: BTreeMap<FlowKind, Weight>,
    /// The lesser side must receive at least this percentage of what the
    /// greater side receives for the partnership to be mutual.
    pub balance_percent: u32,
    /// The specialist minutes a scheduled day of multi-site practice gives
    /// the institution it is worked at (see [`practice_dates`]).
    #[serde(default = "working_day")]
    pub practice_day_minutes: u64,
}

/// A working day of eight hours (assumption: a multi-site practitioner's
/// scheduled day at an institution is a full clinic day there).
fn working_day() -> u64 {
    480
}

/// The dates from `first` to `last` (both included) a multi-site role is
/// scheduled on ([`PractitionerRole::scheduled_on`], from `since` when its
/// period names no start): each is a day of specialist hours on site
/// from the practitioner's own institution to the role's.
pub fn practice_dates(role: &PractitionerRole, since: Date, first: Date, last: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let start = role.period.and_then(|p| p.start).unwrap_or(since);
    let mut d = first.max(start);
    while d <= last {
        if role.scheduled_on(d, since) {
            out.push(d);
        }
        match d.next_day() {
            Some(next) => d = next,
            None => break,
        }
    }
    out
}

impl Default for FlowRules {
    /// Assumptions, one point being about one patient referred: a
    /// specialist hour on site is worth two (it sees several patients and
    /// teaches), a reserved bed one, a reserved slot or a mentored doctor's
    /// activity half, a remote reading a third, an aligned medicine a
    /// fifth, and 200 yuan of the fund's money (a county outpatient visit)
    /// one. Mutual needs each side to receive a third of the other's.
    fn default() -> Self {
        let w = |points, per| Weight { points, per };
        let weights = [
            (FlowKind::SpecialistHours, w(2, 60)),
            (FlowKind::PatientsUp, w(1, 1)),
            (FlowKind::PatientsDown, w(1, 1)),
            (FlowKind::ReservedSlots, w(1, 2)),
            (FlowKind::ReservedBeds, w(1, 1)),
            (FlowKind::Readings, w(1, 3)),
            (FlowKind::Mentoring, w(1, 2)),
            (FlowKind::MedicinesAligned, w(1, 5)),
            (FlowKind::Money, w(1, 20_000)),
        ];
        FlowRules {
            weights: weights.into_iter().collect(),
            balance_percent: 33,
            practice_day_minutes: working_day(),
        }
    }
}

impl FlowRules {
    /// The points `amounts` are worth.
    pub fn value(&self, amounts: &Amounts) -> f64 {
        FlowKind::ALL
            .iter()
            .map(|&k| {
                self.weights
                    .get(&k)
                    .map_or(0.0, |w| w.value(amounts[k.index()]))
            })
            .sum()
    }

    /// The class of a partnership whose sides receive `a` and `b` points.
    pub fn classify(&self, a: f64, b: f64) -> PartnershipClass {
        let (less, more) = if a <= b { (a, b) } else { (b, a) };
        if less <= 0.0 {
            PartnershipClass::OneWay
        } else if less * 100.0 < more * f64::from(self.balance_percent) {
            PartnershipClass::Commensal
        } else {
            PartnershipClass::Mutual
        }
    }
}

coded_enum!(
    /// How balanced a partnership is (see the module documentation).
    PartnershipClass {
        /// One side receives nothing.
        OneWay = "one-way" / "One-way",
        /// Both receive, one far less than the other.
        Commensal = "commensal" / "Commensal",
        /// Both receive in some balance.
        Mutual = "mutual" / "Mutual",
    }
);
