//! Resource flows: what one institution of the simulated region gave
//! another, as the same `Fact::Flow` the live platform records (see
//! `tiercare_core::flows`), so a scenario's network compares with the
//! live one kind by kind.
//!
//! The model has four of the platform's flow kinds, each from the event
//! that is it, on the day the patient arrives:
//!
//! * patients up and down: a referred patient arrived at the receiver
//!   (the referring institution gives, one patient);
//! * reserved slots: that referred visit was booked into a slot the
//!   receiver kept for referrals (the receiver gives the referrer a slot);
//! * money: the fund's share of that visit's price (cost less what the
//!   resident paid), in fen, from the referring side to the receiver.
//!
//! A visit makes a flow or two, so flows are kept in a list of the day
//! (reused, never freed) and added to the accumulator at the day's end,
//! one fact per giver, receiver and kind: the day's cost is a sort of a
//! few hundred entries, not one fact per event.

use super::{Partition, Pending};
use crate::model::Price;
use tiercare_core::flows::{FlowFact, FlowKind, KINDS};
use tiercare_core::indicators::{Day, Fact, Ix};

/// One flow of the day, before the day's flows are added up: giver,
/// receiver and kind in one number (so the day's sort compares integers),
/// and the amount.
#[derive(Debug, Clone, Copy)]
pub(super) struct Given {
    key: u64,
    amount: u64,
}

impl Partition<'_> {
    /// A referred patient (`kind` up or down) arrived at `e.inst` from
    /// `e.from` and was seen at `price`: the patient, the fund's share of
    /// the price, and the reserved slot the visit took, if it took one.
    pub(super) fn arrived(&mut self, e: &Pending, kind: FlowKind, price: &Price) {
        self.give(e.from, e.inst, kind, 1);
        let covered = price.cost.fen().saturating_sub(price.out_of_pocket.fen());
        self.give(
            e.from,
            e.inst,
            FlowKind::Money,
            u64::try_from(covered).unwrap_or(0),
        );
        if e.reserved {
            self.give(e.inst, e.from, FlowKind::ReservedSlots, 1);
        }
    }

    /// `from` gave `to` `amount` of `kind` today; nothing when the amount
    /// is nil or the institution gave to itself (as the platform).
    pub(super) fn give(&mut self, from: u32, to: u32, kind: FlowKind, amount: u64) {
        if amount > 0 && from != to {
            let n = self.m.institutions.len() as u64;
            let key = (u64::from(from) * n + u64::from(to)) * KINDS as u64 + kind.index() as u64;
            self.given.push(Given { key, amount });
        }
    }

    /// The day's flows, added up per giver, receiver and kind, as facts.
    pub(super) fn flow_facts(&mut self, d: usize) {
        if self.given.is_empty() {
            return;
        }
        let mut given = std::mem::take(&mut self.given);
        given.sort_unstable_by_key(|g| g.key);
        let n = self.m.institutions.len() as u64;
        let kinds = KINDS as u64;
        let mut k = 0;
        while k < given.len() {
            let key = given[k].key;
            let mut amount = 0;
            while k < given.len() && given[k].key == key {
                amount += given[k].amount;
                k += 1;
            }
            let pair = key / kinds;
            self.record(Fact::Flow(FlowFact {
                day: d as Day,
                from: Ix((pair / n) as u32),
                to: Ix((pair % n) as u32),
                kind: FlowKind::ALL[(key % kinds) as usize],
                amount,
            }));
        }
        given.clear();
        self.given = given;
    }
}
