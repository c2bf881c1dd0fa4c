//! Visits: what happens when a booked visit takes place.
//!
//! A visit is priced (by the scheme's tariff on the resident's own year when
//! the year matters, from the model's price table otherwise), recorded as a
//! fact, and moves the resident's trust. Then the episode goes on: a first
//! contact below the case's level is referred up, a referred visit
//! completes its referral (and makes its resource flows), and a hospital
//! episode is handed to its follow-up; anything else ends the episode.

use super::{Kind, Partition, Pending, What};
use tiercare_core::Level;
use tiercare_core::catalogue::Severity;
use tiercare_core::flows::FlowKind;
use tiercare_core::indicators::{Charge, Day, Direction, Fact, Ix, Visit};

impl Partition<'_> {
    /// A visit takes place: its fact, the resident's trust, and what the
    /// episode does next.
    pub(super) fn visit(&mut self, e: Pending, kind: Kind) {
        let m = self.m;
        let inst = &m.institutions[e.inst as usize];
        let level = inst.level;
        let ct = m.cases[usize::from(e.case)];
        let who = e.who as usize;
        let person = self.pop.people[who];
        let place = person.place as usize;
        let own = person.contracted() && self.own_primary[place] == Some(e.inst);
        let emergency = ct.emergency && kind == Kind::First;
        let price = if m.year_matters {
            let terms = m.terms(level, kind.price_kind(), own, emergency);
            let mut used = self.pop.year_use(who);
            let price = m.settle(person.scheme(), &terms, &mut used);
            self.pop.set_year_use(who, used);
            price
        } else {
            m.price(person.scheme(), level, kind.price_kind(), own)
        };
        let wait = e.t - e.since;
        let day = e.t as Day;
        let positioned = if kind == Kind::Chronic {
            Level::Primary
        } else {
            ct.positioned
        };
        self.record_for(
            &e,
            Fact::Visit(Visit {
                day,
                institution: Ix(e.inst),
                level,
                kind: kind.visit_kind(),
                positioned: Some(positioned),
                emergency,
                inpatient: false,
                resident: true,
                charge: Some(Charge {
                    scheme: person.scheme(),
                    cost: price.cost,
                    out_of_pocket: price.out_of_pocket,
                }),
                wait_days: wait as f32,
            }),
        );
        let trust = &m.trust;
        if level == Level::Primary && wait > trust.long_wait_days {
            self.pop.people[who].add_trust(trust.long_wait);
        }
        match kind {
            Kind::First => {
                let treats_here = level >= ct.positioned
                    || (inst.upgraded
                        && level.up() == Some(ct.positioned)
                        && ct.severity != Severity::Severe);
                if !treats_here {
                    let target =
                        (ct.positioned.index()..3).find_map(|l| m.places[place].nearest[l]);
                    if let Some(to) = target {
                        self.record_for(
                            &e,
                            Fact::Referral {
                                day,
                                from: Ix(e.inst),
                                to: Ix(to),
                                direction: Direction::Up,
                            },
                        );
                        if level == Level::Primary {
                            self.pop.people[who].add_trust(trust.referred_on);
                        }
                        self.push(Pending {
                            t: e.t + m.referral.delay_days,
                            since: e.t,
                            what: What::Referral {
                                from_primary: level == Level::Primary,
                            },
                            inst: to,
                            from: e.inst,
                            asked: day,
                            ..e
                        });
                        return;
                    }
                }
                if level == Level::Primary {
                    self.pop.people[who].add_trust(trust.resolved_at_primary);
                }
                self.admit(&e, kind, ct.severity, ct.positioned);
                self.after_treatment(e, ct.positioned);
            }
            Kind::Up => {
                self.arrived(&e, FlowKind::PatientsUp, &price);
                self.referral_done(e, day, e.since);
                self.admit(&e, kind, ct.severity, ct.positioned);
                self.after_treatment(e, ct.positioned);
            }
            Kind::Down => {
                self.arrived(&e, FlowKind::PatientsDown, &price);
                self.referral_done(e, day, e.since);
                self.admit(&e, kind, ct.severity, ct.positioned);
                self.tally.completed += 1;
            }
            Kind::FollowUp => self.tally.completed += 1,
            Kind::Chronic => {
                if level == Level::Primary {
                    self.pop.people[who].last_chronic = day as i16;
                }
                if let Some(c) = &m.chronic {
                    let next = e.since + c.interval_days;
                    self.push(Pending {
                        t: next,
                        since: next,
                        what: What::Chronic,
                        ..e
                    });
                }
            }
        }
    }

    fn referral_done(&mut self, e: Pending, day: Day, requested: f64) {
        let report_back = self.draw(&e, 2) < self.m.referral.report_back_share;
        let (from, to) = (Ix(e.from), Ix(e.inst));
        self.record_for(
            &e,
            Fact::ReferralBooked {
                day: e.asked,
                from,
                to,
                wait_days: (day - requested as Day).max(0) as u32,
            },
        );
        self.record_for(
            &e,
            Fact::ReferralCompleted {
                day: e.asked,
                from,
                to,
                report_back,
            },
        );
    }

    /// A hospital episode gets its follow-up; any other ends here.
    fn after_treatment(&mut self, e: Pending, positioned: Level) {
        let f = &self.m.follow_up;
        if positioned >= f.from_level {
            self.push(Pending {
                t: e.t + f.delay_days,
                since: e.t,
                what: What::FollowUp,
                ..e
            });
        } else {
            self.tally.completed += 1;
        }
    }
}
