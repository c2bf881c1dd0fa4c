//! Capacity: booking a requested visit on the first day with a slot.
//!
//! Each institution has public slots and slots reserved for referrals, per
//! day. A referral from primary care takes the reserved capacity first;
//! anyone else takes a public slot, or a reserved one once the core's
//! `reserved_open` rule releases it. A request that finds no slot before
//! the end of the run ends its episode past the horizon.

use super::{Kind, Partition, Pending, What};
use tiercare_core::booking::{ReservedAccess, reserved_open};
use tiercare_core::catalogue::Severity;

impl Partition<'_> {
    /// Books a visit at `e.inst` requested at `e.t` and, when it falls
    /// today, makes it at once; otherwise it is scheduled. A visit that
    /// would fall past the horizon ends the episode.
    pub(super) fn request(&mut self, e: Pending, kind: Kind, primary_referral: bool) {
        let urgent = self.m.cases[usize::from(e.case)].severity == Severity::Severe;
        let Some((at, reserved)) = self.book(e.inst as usize, e.t, primary_referral, urgent) else {
            if kind != Kind::Chronic {
                self.tally.past_horizon += 1;
            }
            return;
        };
        let visit = Pending {
            t: at,
            since: e.t,
            what: What::Visit(kind),
            reserved,
            ..e
        };
        if at <= e.t {
            self.visit(visit, kind);
        } else {
            self.push(visit);
        }
    }

    /// The first day from the request's on which the institution has a slot
    /// open to this claimant; the visit's time and whether it took a slot
    /// kept for referrals, or `None` past the horizon.
    fn book(
        &mut self,
        inst: usize,
        tau: f64,
        primary_referral: bool,
        urgent: bool,
    ) -> Option<(f64, bool)> {
        let i = &self.m.institutions[inst];
        let base = inst * self.days;
        let mut d = tau as usize;
        while d < self.days {
            let k = base + d;
            let public_free = self.public[k] < i.public;
            let reserved_free = self.reserved[k] < i.reserved;
            let reserved_ok = reserved_free && {
                let minutes = ((d as f64 - tau) * 1440.0) as i64;
                reserved_open(&self.m.policy, primary_referral, urgent, minutes)
                    == ReservedAccess::Open
            };
            // A referral takes the capacity kept for it first.
            let reserved = if primary_referral && reserved_ok {
                true
            } else if public_free {
                false
            } else if reserved_ok {
                true
            } else {
                d += 1;
                continue;
            };
            if reserved {
                self.reserved[k] += 1;
            } else {
                self.public[k] += 1;
            }
            return Some((tau.max(d as f64), reserved));
        }
        None
    }
}
