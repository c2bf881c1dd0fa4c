//! Drawing a partition's emergencies, counting what became of them, the
//! figures a report shows, and the same model's expectation computed
//! without drawing (for checking the draws against the curves).

use super::outcome::Drawn;
use super::{Contact, Network, outcome};
use crate::run::mix;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tiercare_core::emergency::{Emergency, Rule};

/// Salt of the emergencies' random streams, apart from every other.
const STREAM: u64 = 0x454d_4552_4745_4e43;

/// What became of one condition's cases.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcomes {
    pub cases: u64,
    pub deaths: u64,
    /// Ischaemic strokes with a good outcome (strokes only).
    pub good_outcomes: u64,
    pub ischaemic: u64,
    pub in_window: u64,
    /// Cases by rule, in `Rule::ALL` order, and routed nowhere last.
    pub by_rule: Vec<u64>,
    /// Cases and deaths by first contact, in `Contact::ALL` order.
    pub by_contact: [[u64; 2]; 4],
    /// Minutes from onset to definitive treatment of every treated case.
    pub minutes: Vec<u32>,
}

/// Every condition's outcomes, in `Emergency::ALL` order.
#[derive(Debug, Clone, PartialEq)]
pub struct Counts(pub Vec<(Emergency, Outcomes)>);

impl Default for Counts {
    fn default() -> Self {
        Counts(
            Emergency::ALL
                .iter()
                .map(|&e| {
                    let o = Outcomes {
                        by_rule: vec![0; Rule::ALL.len() + 1],
                        ..Outcomes::default()
                    };
                    (e, o)
                })
                .collect(),
        )
    }
}

impl Counts {
    /// Adds another partition's counts.
    pub fn add(&mut self, other: &Counts) {
        for ((_, a), (_, b)) in self.0.iter_mut().zip(&other.0) {
            a.cases += b.cases;
            a.deaths += b.deaths;
            a.good_outcomes += b.good_outcomes;
            a.ischaemic += b.ischaemic;
            a.in_window += b.in_window;
            for (x, y) in a.by_rule.iter_mut().zip(&b.by_rule) {
                *x += y;
            }
            for (x, y) in a.by_contact.iter_mut().zip(&b.by_contact) {
                x[0] += y[0];
                x[1] += y[1];
            }
            a.minutes.extend_from_slice(&b.minutes);
        }
    }

    /// One condition's outcomes.
    pub fn of(&self, e: Emergency) -> Option<&Outcomes> {
        self.0.iter().find(|(k, _)| *k == e).map(|(_, o)| o)
    }
}

/// A uniform draw in [0, 1).
fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    rng.random::<f64>()
}

/// The index a cumulative draw `u` falls in, by weights.
fn pick(weights: impl Iterator<Item = f64>, total: f64, u: f64) -> usize {
    let mut upto = 0.0;
    let mut last = 0;
    for (k, w) in weights.enumerate() {
        upto += w / total;
        last = k;
        if u < upto {
            return k;
        }
    }
    last
}

/// Draws and follows one partition's emergencies over `days` counted
/// days for `residents` residents, from `seed` (the partition's).
pub fn simulate(net: &Network, residents: u64, days: u32, seed: u64) -> Counts {
    let mut counts = Counts::default();
    let total_weight: f64 = net.homes.iter().map(|h| h.weight).sum();
    if net.homes.is_empty() || total_weight <= 0.0 {
        return counts;
    }
    for (k, ((e, spec), (_, out))) in net.conditions.iter().zip(&mut counts.0).enumerate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(mix(seed ^ mix(STREAM + k as u64)));
        let per_day = spec.incidence_per_100k * residents as f64 / 100_000.0 / 365.0;
        if per_day <= 0.0 {
            continue;
        }
        let mut t = 0.0;
        loop {
            // Every case takes the same eight draws, whatever becomes of
            // it, so two networks on one seed see the same cases.
            let u: [f64; 8] = std::array::from_fn(|_| uniform(&mut rng));
            t += -(1.0 - u[0]).ln() / per_day;
            if t >= f64::from(days) {
                break;
            }
            let z = (-2.0 * (1.0 - u[3]).ln()).sqrt() * (std::f64::consts::TAU * u[4]).cos();
            let ischaemic = u[5] < net.ischaemic_share;
            let case = Drawn {
                emergency: *e,
                home: pick(net.homes.iter().map(|h| h.weight), total_weight, u[1]),
                contact: Contact::ALL[pick(net.contact_shares.iter().copied(), 1.0, u[2])],
                delay: spec.delay_median_minutes * (spec.delay_spread * z).exp(),
                onset_minute: t.fract() * 1440.0,
                ischaemic,
                large_vessel: ischaemic && u[6] < net.large_vessel_share,
            };
            let o = outcome(net, &case);
            let died = u[7] < o.death;
            out.cases += 1;
            out.deaths += u64::from(died);
            if let Some(g) = o.good {
                out.ischaemic += 1;
                // The good-outcome draw is the death draw's complement
                // side: a survivor in the upper part of the interval.
                out.good_outcomes += u64::from(!died && 1.0 - u[7] < g);
            }
            out.in_window += u64::from(o.in_window);
            let rule = o
                .rule
                .and_then(|r| Rule::ALL.iter().position(|x| *x == r))
                .unwrap_or(Rule::ALL.len());
            out.by_rule[rule] += 1;
            let c = Contact::ALL
                .iter()
                .position(|x| *x == case.contact)
                .unwrap_or(0);
            out.by_contact[c][0] += 1;
            out.by_contact[c][1] += u64::from(died);
            if let Some(m) = o.minutes {
                out.minutes
                    .push(m.round().clamp(0.0, f64::from(u32::MAX)) as u32);
            }
        }
    }
    counts
}

/// The expected cases and deaths of `emergency` for `residents` over
/// `days`, by the same model integrated rather than drawn: every
/// settlement by weight, every first contact by share, the delay's
/// log-normal on a fine grid, the onset at each hour of the day (on the
/// half hour), strokes by type. `None` when the network has no such
/// condition.
pub fn expected(
    net: &Network,
    emergency: Emergency,
    residents: u64,
    days: u32,
) -> Option<(f64, f64)> {
    let (_, spec) = net.conditions.iter().find(|(e, _)| *e == emergency)?;
    let total_weight: f64 = net.homes.iter().map(|h| h.weight).sum();
    // The standard normal on [-4, 4], 81 points, weights normalised.
    let grid: Vec<(f64, f64)> = (0..=80)
        .map(|i| {
            let z = -4.0 + f64::from(i) * 0.1;
            (z, (-z * z / 2.0).exp())
        })
        .collect();
    let z_total: f64 = grid.iter().map(|g| g.1).sum();
    let stroke = [
        (true, true, net.ischaemic_share * net.large_vessel_share),
        (
            true,
            false,
            net.ischaemic_share * (1.0 - net.large_vessel_share),
        ),
        (false, false, 1.0 - net.ischaemic_share),
    ];
    let other = [(false, false, 1.0)];
    let types: &[(bool, bool, f64)] = if emergency == Emergency::Stroke {
        &stroke
    } else {
        &other
    };
    let cases = spec.incidence_per_100k * residents as f64 / 100_000.0 * f64::from(days) / 365.0;
    let mut mortality = 0.0;
    for (h, home) in net.homes.iter().enumerate() {
        for (c, contact) in Contact::ALL.iter().enumerate() {
            for &(z, zw) in &grid {
                for hour in 0..24 {
                    for &(ischaemic, large_vessel, tw) in types {
                        let weight = home.weight / total_weight * net.contact_shares[c] * zw
                            / z_total
                            / 24.0
                            * tw;
                        let case = Drawn {
                            emergency,
                            home: h,
                            contact: *contact,
                            delay: spec.delay_median_minutes * (spec.delay_spread * z).exp(),
                            onset_minute: f64::from(hour) * 60.0 + 30.0,
                            ischaemic,
                            large_vessel,
                        };
                        mortality += weight * outcome(net, &case).death;
                    }
                }
            }
        }
    }
    Some((cases, cases * mortality))
}

/// The median of some minutes (none of none).
fn median(minutes: &[u32]) -> Option<f64> {
    let mut m = minutes.to_vec();
    m.sort_unstable();
    let n = m.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(f64::from(m[n / 2])),
        _ => Some((f64::from(m[n / 2 - 1]) + f64::from(m[n / 2])) / 2.0),
    }
}

/// The report's named figures of one run: per condition (by its code)
/// cases, deaths, mortality, the median minutes from onset to treatment,
/// the share treated within the window, the share routed by each rule
/// (and by none), and cases and mortality by first contact; and all
/// deaths together.
pub fn figures(counts: &Counts) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let mut all = 0;
    for (e, o) in &counts.0 {
        let name = |f: &str| format!("emergency.{}.{f}", e.code());
        all += o.deaths;
        out.push((name("cases"), o.cases as f64));
        out.push((name("deaths"), o.deaths as f64));
        if *e == Emergency::Stroke {
            out.push((name("good_outcomes"), o.good_outcomes as f64));
        }
        if o.cases == 0 {
            continue;
        }
        let n = o.cases as f64;
        out.push((name("mortality"), o.deaths as f64 / n));
        if let Some(m) = median(&o.minutes) {
            out.push((name("median_minutes_to_treatment"), m));
        }
        out.push((name("treated_in_window_share"), o.in_window as f64 / n));
        for (k, cases) in o.by_rule.iter().enumerate() {
            let code = Rule::ALL.get(k).map_or("none", |r| r.code());
            if e.rule_applies(k) {
                out.push((name(&format!("rule_{code}_share")), *cases as f64 / n));
            }
        }
        for (c, [cases, deaths]) in Contact::ALL.iter().zip(o.by_contact) {
            let code = c.code();
            out.push((
                name(&format!("first_contact_{code}_share")),
                cases as f64 / n,
            ));
            if cases > 0 {
                out.push((
                    name(&format!("first_contact_{code}_mortality")),
                    deaths as f64 / cases as f64,
                ));
            }
        }
    }
    out.push(("emergency.deaths".into(), all as f64));
    out
}

/// Which rules a condition's figures list (its own and "none").
trait RuleApplies {
    fn rule_applies(self, k: usize) -> bool;
}

impl RuleApplies for Emergency {
    fn rule_applies(self, k: usize) -> bool {
        let Some(rule) = Rule::ALL.get(k) else {
            return true;
        };
        let own: &[Rule] = match self {
            Emergency::Stemi => &[Rule::DirectPci, Rule::LysisThenPci, Rule::PciOutOfWindow],
            Emergency::Stroke => &[Rule::Thrombectomy, Rule::StrokeLysis, Rule::StrokeUnit],
            Emergency::MajorTrauma => &[Rule::TraumaCentre, Rule::StabiliseThenTrauma],
            Emergency::Obstetric => &[Rule::MaternalCentre, Rule::NearestTheatre],
            Emergency::Newborn => &[Rule::NeonatalCentre, Rule::StabiliseThenNeonatal],
        };
        own.contains(rule)
    }
}
