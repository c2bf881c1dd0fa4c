//! Follow-ups: after a hospital episode, and for chronic patients.
//!
//! A hospital episode's follow-up is referred down to the resident's own
//! primary institution or booked back at the hospital, with the shares the
//! scenario gives for contracted and other residents. Chronic patients are
//! followed up on a fixed interval, at primary care or the nearest
//! hospital; at each month's end their panels are counted per primary
//! institution, and outreach adds trust around upgraded centres.

use super::{Kind, Partition, Pending, What};
use rand::Rng;
use tiercare_core::Level;
use tiercare_core::indicators::{Day, Direction, Fact, Ix, REGULAR_FOLLOW_UP_DAYS};

impl Partition<'_> {
    /// Every chronic patient's first follow-up falls somewhere in the
    /// first interval; the one before it was an interval earlier.
    pub(super) fn schedule_chronic(&mut self) {
        let Some(c) = &self.m.chronic else { return };
        let interval = c.interval_days;
        for k in 0..self.pop.chronic.len() {
            let who = self.pop.chronic[k];
            let t = self.rng.random::<f64>() * interval;
            self.pop.people[who as usize].last_chronic = (t - interval).floor() as i16;
            self.push(Pending {
                t,
                since: t,
                who,
                inst: 0,
                from: 0,
                asked: 0,
                case: 0,
                what: What::Chronic,
                reserved: false,
            });
        }
    }

    /// The follow-up: referred down to the resident's primary institution,
    /// or back at the institution that treated them.
    pub(super) fn follow_up(&mut self, e: Pending) {
        let m = self.m;
        let person = self.pop.people[e.who as usize];
        let treated = &m.institutions[e.inst as usize];
        let p_down = if person.contracted() {
            m.follow_up.down_share_contracted
        } else {
            m.follow_up.down_share_other
        };
        let home = self.own_primary[person.place as usize];
        if treated.level > Level::Primary
            && self.draw(&e, 1) < p_down
            && let Some(to) = home
        {
            self.record_for(
                &e,
                Fact::Referral {
                    day: e.t as Day,
                    from: Ix(e.inst),
                    to: Ix(to),
                    direction: Direction::Down,
                },
            );
            let down = Pending {
                inst: to,
                from: e.inst,
                asked: e.t as Day,
                ..e
            };
            self.request(down, Kind::Down, false);
            return;
        }
        self.request(e, Kind::FollowUp, false);
    }

    /// A chronic patient's follow-up, at their primary institution or the
    /// nearest hospital.
    pub(super) fn chronic(&mut self, e: Pending) {
        let person = self.pop.people[e.who as usize];
        let place = &self.m.places[person.place as usize];
        let at = if person.chronic_at_primary() {
            place.nearest[0]
        } else {
            place.nearest[1].or(place.nearest[2])
        };
        if let Some(inst) = at.or(place.nearest[0]) {
            self.request(Pending { inst, ..e }, Kind::Chronic, false);
        }
    }

    /// Month-end: the chronic panels' snapshot and outreach's trust.
    pub(super) fn month_end(&mut self, d: usize) {
        let day = d as Day;
        if self.m.chronic.is_some() {
            let mut panel = vec![(0u32, 0u32); self.m.institutions.len()];
            for &who in &self.pop.chronic {
                let p = self.pop.people[who as usize];
                if let Some(home) = self.own_primary[p.place as usize] {
                    let row = &mut panel[home as usize];
                    row.0 += 1;
                    row.1 += u32::from(i32::from(p.last_chronic) > day - REGULAR_FOLLOW_UP_DAYS);
                }
            }
            for (i, (known, followed)) in panel.into_iter().enumerate() {
                if self.m.institutions[i].level == Level::Primary {
                    self.record(Fact::ChronicPanel {
                        day,
                        institution: Ix(i as u32),
                        known,
                        followed,
                    });
                }
            }
            self.group_panels(d);
        }
        let boost = self.m.trust.outreach_per_month;
        if boost != 0.0 {
            for k in 0..self.pop.people.len() {
                let place = self.pop.people[k].place as usize;
                let upgraded = self.own_primary[place]
                    .is_some_and(|i| self.m.institutions[i as usize].upgraded);
                if upgraded {
                    self.pop.people[k].add_trust(boost);
                }
            }
        }
    }
}
