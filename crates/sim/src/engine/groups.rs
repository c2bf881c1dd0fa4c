//! Counting a resident's facts a second time, into the cell of their
//! condition, age group, contract and scheme and into their settlement's
//! accumulator (see `crate::strata`).

use super::{Partition, Pending, in_episode};
use crate::strata::{COUNTED, GroupCounts, WARM_UP, stand_in};
use tiercare_core::Level;
use tiercare_core::indicators::{Counters, Day, Fact, Ix, REGULAR_FOLLOW_UP_DAYS};

impl Partition<'_> {
    /// Records a fact about the resident of `e` for the region and for the
    /// resident's groups.
    pub(super) fn record_for(&mut self, e: &Pending, fact: Fact) {
        self.record(fact);
        if !self.m.count_groups {
            return;
        }
        let condition = self.condition_of(e);
        self.count_for(e.who, condition, &fact);
    }

    /// The condition of an event: its episode's case, or the resident's
    /// chronic condition for a chronic follow-up.
    pub(super) fn condition_of(&self, e: &Pending) -> u16 {
        let layout = &self.m.layout;
        if in_episode(e) {
            layout.case_condition[usize::from(e.case)]
        } else {
            let p = &self.pop.people[e.who as usize];
            layout
                .chronic
                .get(p.chronic_condition())
                .map_or(layout.stock_condition(), |c| c.1)
        }
    }

    /// Counts a fact in the resident's cell and settlement.
    pub(super) fn count_for(&mut self, who: u32, condition: u16, fact: &Fact) {
        if !self.m.count_groups {
            return;
        }
        let p = self.pop.people[who as usize];
        let cell = self
            .m
            .layout
            .cell(condition, p.group, p.contracted(), p.scheme());
        let period = self.period_of(fact.day());
        let settlement = self.groups.settlement(usize::from(p.place));
        // Stand-in institutions and days only: nothing can be refused.
        let _ = self
            .groups
            .slots
            .record(&self.relabel(fact, GroupCounts::day(cell, period)));
        let _ = self
            .groups
            .slots
            .record(&self.relabel(fact, GroupCounts::day(settlement, period)));
    }

    /// Whether a day is in the warm-up or the counted period.
    fn period_of(&self, day: Day) -> Day {
        if day < self.m.warmup as Day {
            WARM_UP
        } else {
            COUNTED
        }
    }

    /// A fact as a slot counts it: at the stand-in of its institutions, on
    /// the slot's day.
    fn relabel(&self, fact: &Fact, day: Day) -> Fact {
        let at = |ix: Ix| self.stand_ins[ix.0 as usize];
        match *fact {
            Fact::Visit(mut v) => {
                v.day = day;
                v.institution = at(v.institution);
                Fact::Visit(v)
            }
            Fact::Referral {
                from,
                to,
                direction,
                ..
            } => Fact::Referral {
                day,
                from: at(from),
                to: at(to),
                direction,
            },
            Fact::ReferralBooked {
                from,
                to,
                wait_days,
                ..
            } => Fact::ReferralBooked {
                day,
                from: at(from),
                to: at(to),
                wait_days,
            },
            Fact::ReferralCompleted {
                from,
                to,
                report_back,
                ..
            } => Fact::ReferralCompleted {
                day,
                from: at(from),
                to: at(to),
                report_back,
            },
            Fact::Episode { .. } => Fact::Episode { day },
            // The engine counts no other fact per resident.
            other => other,
        }
    }

    /// Residents and contracts by cell and settlement, at the start: the
    /// stocks behind contract coverage by group.
    pub(super) fn group_opening_facts(&mut self) {
        if !self.m.count_groups {
            return;
        }
        let layout = &self.m.layout;
        let stock = layout.stock_condition();
        let primary = stand_in(Level::Primary, true);
        // (residents, key group, within access, contracts, key-group
        // contracts) per slot.
        let mut slots = vec![[0i32; 5]; layout.cells() + layout.settlements.len()];
        for p in &self.pop.people {
            let place = &self.m.places[usize::from(p.place)];
            let key = i32::from(layout.key_group[usize::from(p.group)]);
            let contract = i32::from(p.contracted() && place.nearest[0].is_some());
            let row = [1, key, i32::from(place.access), contract, key * contract];
            let cell = layout.cell(stock, p.group, p.contracted(), p.scheme());
            for slot in [cell, self.groups.settlement(usize::from(p.place))] {
                for (a, b) in slots[slot].iter_mut().zip(row) {
                    *a += b;
                }
            }
        }
        let period = self.period_of(0);
        for (slot, [n, key, access, contracts, key_contracts]) in slots.into_iter().enumerate() {
            if n == 0 {
                continue;
            }
            let day = GroupCounts::day(slot, period);
            let _ = self.groups.slots.record(&Fact::Residents {
                day,
                delta: n,
                key_group: key,
                access_known: n,
                within_access: access,
            });
            if contracts > 0 {
                let _ = self.groups.slots.record(&Fact::Contracts {
                    day,
                    institution: primary,
                    delta: contracts,
                    key_group: key_contracts,
                });
            }
        }
    }

    /// The month-end chronic panels by cell and settlement: known patients
    /// with a primary institution, and those followed there lately. Each
    /// slot keeps its last snapshot and counts the change.
    pub(super) fn group_panels(&mut self, d: usize) {
        if !self.m.count_groups {
            return;
        }
        let layout = &self.m.layout;
        let mut slots = vec![(0u32, 0u32); layout.cells() + layout.settlements.len()];
        let today = d as Day;
        for &who in &self.pop.chronic {
            let p = self.pop.people[who as usize];
            if self.own_primary[usize::from(p.place)].is_none() {
                continue;
            }
            let condition = layout
                .chronic
                .get(p.chronic_condition())
                .map_or(layout.stock_condition(), |c| c.1);
            let cell = layout.cell(condition, p.group, p.contracted(), p.scheme());
            let followed = u32::from(i32::from(p.last_chronic) > today - REGULAR_FOLLOW_UP_DAYS);
            for slot in [cell, self.groups.settlement(usize::from(p.place))] {
                slots[slot].0 += 1;
                slots[slot].1 += followed;
            }
        }
        let period = self.period_of(today);
        let primary = stand_in(Level::Primary, true);
        for (slot, now) in slots.into_iter().enumerate() {
            let last = self.panels.get(slot).copied().unwrap_or((0, 0));
            if now == last {
                continue;
            }
            let change = Counters {
                chronic_known: i64::from(now.0) - i64::from(last.0),
                chronic_followed: i64::from(now.1) - i64::from(last.1),
                ..Counters::default()
            };
            let _ = self.groups.slots.add_counters(
                GroupCounts::day(slot, period),
                Some(primary),
                &change,
            );
            if let Some(l) = self.panels.get_mut(slot) {
                *l = now;
            }
        }
    }
}
