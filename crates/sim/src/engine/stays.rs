//! Admissions and the beds they fill (see `crate::inpatient`).

use super::{Kind, Partition, Pending};
use rand::Rng;
use tiercare_core::Level;
use tiercare_core::catalogue::Severity;
use tiercare_core::indicators::{Day, Fact, Ix, Visit, VisitKind};

impl Partition<'_> {
    /// After a visit that treated the episode at its institution: an
    /// admission there, if one is drawn and the ward has room tonight. A
    /// stay fills a bed each night from the visit's day; nights past the
    /// run are not counted.
    pub(super) fn admit(&mut self, e: &Pending, kind: Kind, severity: Severity, positioned: Level) {
        let Some(ip) = &self.m.inpatient else {
            return;
        };
        let share = match kind {
            Kind::Down => ip.admitted_after_down,
            Kind::First | Kind::Up => ip.admitted(severity),
            Kind::FollowUp | Kind::Chronic => return,
        };
        if share <= 0.0 || self.stay_rng.random::<f64>() >= share {
            return;
        }
        let inst = e.inst as usize;
        let day = e.t as usize;
        let slot = inst * self.days + day;
        if self.occupied[slot] >= ip.room[inst] {
            return;
        }
        let level = self.m.institutions[inst].level;
        // Nights: 1 + an exponential draw, so the mean is the level's.
        let u: f64 = self.stay_rng.random();
        let extra = -(1.0 - u).ln() * (ip.nights[level.index()] - 1.0);
        let nights = 1 + extra.round() as usize;
        let end = (day + nights).min(self.days);
        for n in &mut self.occupied[slot..inst * self.days + end] {
            *n += 1;
        }
        self.record_for(
            e,
            Fact::Visit(Visit {
                day: day as Day,
                institution: Ix(e.inst),
                level,
                // The admission follows the visit that decided it: the
                // episode's first contact and referral were counted there.
                kind: VisitKind::FollowUp,
                positioned: Some(positioned),
                emergency: false,
                inpatient: true,
                resident: true,
                charge: None,
                wait_days: 0.0,
            }),
        );
    }

    /// The day's occupied beds, one fact per institution with patients.
    pub(super) fn bed_facts(&mut self, d: usize) {
        if self.m.inpatient.is_none() {
            return;
        }
        for i in 0..self.m.institutions.len() {
            let occupied = self.occupied[i * self.days + d];
            if occupied > 0 {
                self.record(Fact::BedDays {
                    day: d as Day,
                    institution: Ix(i as u32),
                    occupied,
                });
            }
        }
    }
}
