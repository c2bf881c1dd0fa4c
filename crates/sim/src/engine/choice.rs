//! First contact: an episode begins and the resident chooses where to go.
//!
//! The choice is a logit over the nearest institution of each level and
//! staying home. Its utilities weigh the level's constant, the fit of the
//! case's severity, travel, the family-doctor contract and the price, plus
//! (when the scenario turns them on) the resident's trust in primary care
//! and the wait they would be quoted. When none of those change during a
//! run, the cumulative probabilities are computed once per place, case,
//! contract and scheme and the choice is a table look-up.

use super::{Kind, Partition, Pending};
use crate::model::{Entry, PriceKind};
use crate::population::Person;
use rand::Rng;
use tiercare_core::Level;
use tiercare_core::catalogue::Severity;
use tiercare_core::indicators::{Day, Fact};

impl Partition<'_> {
    pub(super) fn episode(&mut self, e: Pending) {
        self.record(Fact::Episode { day: e.t as Day });
        self.tally.started += 1;
        let u: f64 = self.demand.random();
        let case = self
            .m
            .cases
            .partition_point(|c| c.upto <= u)
            .min(self.m.cases.len() - 1);
        if self.m.count_groups {
            let condition = self.m.layout.case_condition[case];
            self.count_for(e.who, condition, &Fact::Episode { day: e.t as Day });
        }
        let person = self.pop.people[e.who as usize];
        let Some(level) = self.choose(e.who as usize, &person, case, e.t) else {
            self.tally.stayed_home += 1;
            return;
        };
        let Some(inst) = self.m.places[person.place as usize].nearest[level] else {
            self.tally.stayed_home += 1;
            return;
        };
        self.request(
            Pending {
                case: case as u16,
                inst,
                ..e
            },
            Kind::First,
            false,
        );
    }

    /// The level a resident goes to first, or `None` to stay home. What
    /// the resident weighs: the price given what they already paid this
    /// year (as `$estimate` shows it), and the wait they would be quoted.
    fn choose(&mut self, who: usize, person: &Person, case: usize, now: f64) -> Option<usize> {
        let u: f64 = self.demand.random();
        if let Some(table) = &self.fixed_choice {
            let cum = table[self.choice_key(person, case)];
            return pick(&cum, u);
        }
        let m = self.m;
        let own_year = m.year_matters;
        let mut utility = self.base_utilities(
            person.place as usize,
            case,
            person.contracted(),
            person.scheme(),
            !own_year,
        );
        let place = &m.places[person.place as usize];
        let emergency = m.cases[case].emergency;
        for level in Level::ALL {
            let l = level.index();
            let Some(i) = place.nearest[l] else { continue };
            if !utility[l].is_finite() {
                continue;
            }
            if own_year {
                let own = person.contracted() && level == Level::Primary;
                let terms = m.terms(level, PriceKind::SelfReferred, own, emergency);
                let mut used = self.pop.year_use(who);
                let price = m.settle(person.scheme(), &terms, &mut used);
                utility[l] +=
                    m.choice.out_of_pocket_per_yuan * price.out_of_pocket.fen() as f64 / 100.0;
            }
            if m.choice.wait_per_day != 0.0 {
                utility[l] += m.choice.wait_per_day * self.quoted_wait(i as usize, now);
            }
        }
        if utility[0].is_finite() {
            utility[0] += m.choice.trust * person.trust();
        }
        pick(&cumulative(&utility), u)
    }

    /// Days from `now` to the first day with a public slot at `inst`.
    fn quoted_wait(&mut self, inst: usize, now: f64) -> f64 {
        let cap = self.m.institutions[inst].public;
        let base = inst * self.days;
        let mut d = self.open_from[inst].max(now as usize);
        while d < self.days && self.public[base + d] >= cap {
            d += 1;
        }
        self.open_from[inst] = d;
        (d as f64 - now).max(0.0)
    }

    fn choice_key(&self, person: &Person, case: usize) -> usize {
        let schemes = self.m.scheme_codes.len();
        ((person.place as usize * self.m.cases.len() + case) * 2 + usize::from(person.contracted()))
            * schemes
            + usize::from(person.scheme())
    }

    pub(super) fn choice_table(&self) -> Vec<[f64; 4]> {
        let mut out = Vec::new();
        for place in 0..self.m.places.len() {
            for case in 0..self.m.cases.len() {
                for contracted in [false, true] {
                    for scheme in 0..self.m.scheme_codes.len() {
                        let u = self.base_utilities(place, case, contracted, scheme as u8, true);
                        out.push(cumulative(&u));
                    }
                }
            }
        }
        out
    }

    /// Utilities of the nearest institution of each level and of staying
    /// home, without trust and waits (and without the price unless
    /// `fresh_price`: the price on a fresh year); unreachable or closed
    /// levels are minus infinity.
    fn base_utilities(
        &self,
        place: usize,
        case: usize,
        contracted: bool,
        scheme: u8,
        fresh_price: bool,
    ) -> [f64; 4] {
        let m = self.m;
        let c = &m.choice;
        let p = &m.places[place];
        let ct = &m.cases[case];
        let fit = match ct.severity {
            Severity::Mild => c.severity_fit.mild,
            Severity::Moderate => c.severity_fit.moderate,
            Severity::Severe => c.severity_fit.severe,
        };
        let mut u = [f64::NEG_INFINITY; 4];
        for level in Level::ALL {
            let l = level.index();
            if p.nearest[l].is_none() || (m.entry[l] == Entry::Closed && !ct.emergency) {
                continue;
            }
            let own = contracted && level == Level::Primary;
            let price = if fresh_price {
                m.price(scheme, level, PriceKind::SelfReferred, own)
                    .out_of_pocket
                    .fen() as f64
                    / 100.0
            } else {
                0.0
            };
            u[l] = c.asc[l]
                + fit[l]
                + c.out_of_pocket_per_yuan * price
                + c.travel_per_hour * p.travel_hours[l]
                + if own { c.contract } else { 0.0 };
        }
        if let Some(s) = c.stay_home {
            u[3] = s;
        }
        u
    }
}

/// Cumulative logit probabilities of `utility` (minus infinity = not an
/// option).
fn cumulative(utility: &[f64; 4]) -> [f64; 4] {
    let top = utility.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut w = [0.0; 4];
    let mut sum = 0.0;
    for (w, u) in w.iter_mut().zip(utility) {
        if u.is_finite() {
            sum += (u - top).exp();
        }
        *w = sum;
    }
    if sum > 0.0 {
        for w in &mut w {
            *w /= sum;
        }
    }
    w
}

/// The option a uniform draw falls on: a level index, or `None` for
/// staying home (or no option at all).
fn pick(cum: &[f64; 4], u: f64) -> Option<usize> {
    let k = cum.iter().position(|&c| u < c)?;
    (k < 3).then_some(k)
}
