//! The figures of every replication collected by name, for the region and
//! for each group (condition, resident group, institution, alliance), and
//! the rows a report makes of them: a mean with its interval and the
//! difference from the baseline, paired when the scenarios share seeds.

use super::stats::{Estimate, Sample, TwoByTwo, odds_ratio, paired_difference};
use super::{Row, flatten};
use crate::model::Model;
use crate::run::Run;
use crate::strata::{GroupFigures, breakdown, first_contacts};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use tiercare_core::Level;
use tiercare_core::indicators::{Indicators, Subject};

/// One group's table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    /// `condition`, `condition_group`, `contract`, `age_group`,
    /// `key_group`, `scheme`, `settlement`, `institution` or `alliance`.
    pub dimension: String,
    pub group: String,
    pub summary: Vec<Row>,
}

/// The odds of a first contact at primary care in one group against a
/// reference group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OddsRatio {
    /// The name the CSV and the tables give it.
    pub indicator: String,
    pub group: String,
    pub reference: String,
    /// Replications with first contacts in both groups.
    pub replications: usize,
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// Values by name, each with the replication it came from.
pub(super) type Named = HashMap<String, Vec<(u32, f64)>>;

/// Everything a scenario's replications gave.
#[derive(Debug, Default)]
pub(super) struct Collected {
    /// Names in first-seen order.
    pub order: Vec<String>,
    pub region: Named,
    /// Groups in the order the breakdown lists them.
    pub groups: Vec<((String, String), Named)>,
    /// Per odds ratio, each replication's table.
    pub tables: Vec<(OddsRatio, Vec<TwoByTwo>)>,
}

/// The odds ratios a report gives: (name, dimension, group, reference).
const ODDS: [(&str, &str, &str, &str); 2] = [
    (
        "odds_ratio.primary_first_contact.contracted",
        "contract",
        "contracted",
        "not contracted",
    ),
    (
        "odds_ratio.primary_first_contact.key_group",
        "key_group",
        "key group",
        "other",
    ),
];

/// The named figures of one subject: the core's indicators flattened, and
/// first contacts by level with the primary share of them.
pub fn figures(i: &Indicators, first: [u64; 3], scheme_codes: &[String]) -> Vec<(String, f64)> {
    let mut out = flatten(i, scheme_codes);
    for level in Level::ALL {
        out.push((
            format!("first_contacts_by_level.{}", level.code()),
            first[level.index()] as f64,
        ));
    }
    let all: u64 = first.iter().sum();
    if all > 0 {
        out.push((
            "primary_first_contact_share".into(),
            first[0] as f64 / all as f64,
        ));
    }
    out
}

impl Collected {
    pub(super) fn of(model: &Model, runs: &[Run]) -> Collected {
        let mut c = Collected::default();
        let mut seen: HashSet<String> = HashSet::new();
        let mut note = |name: &str, c: &mut Vec<String>| {
            if seen.insert(name.to_string()) {
                c.push(name.to_string());
            }
        };
        let mut index: HashMap<(String, String), usize> = HashMap::new();
        c.tables = ODDS
            .iter()
            .map(|(name, _, group, reference)| {
                let odds = OddsRatio {
                    indicator: name.to_string(),
                    group: group.to_string(),
                    reference: reference.to_string(),
                    replications: 0,
                    estimate: Estimate::exact(f64::NAN),
                };
                (odds, Vec::new())
            })
            .collect();
        for run in runs {
            let counted = model.counted();
            let region = run.accumulator.indicators(counted, Subject::Region);
            let first = first_contacts(&run.accumulator, counted, Subject::Region);
            let emergencies = crate::emergency::figures(&run.emergencies);
            for (name, v) in figures(&region, first, &model.scheme_codes)
                .into_iter()
                .chain(emergencies)
            {
                note(&name, &mut c.order);
                c.region.entry(name).or_default().push((run.replication, v));
            }
            let groups = breakdown(model, run);
            for (k, (_, dimension, group, reference)) in ODDS.iter().enumerate() {
                let find = |g: &str| {
                    groups
                        .iter()
                        .find(|f| f.dimension == *dimension && f.group == g)
                };
                if let (Some(a), Some(b)) = (find(group), find(reference)) {
                    let split = |f: &GroupFigures| {
                        let all: u64 = f.first_contacts.iter().sum();
                        [f.first_contacts[0], all - f.first_contacts[0]]
                    };
                    let ([p, q], [r, s]) = (split(a), split(b));
                    c.tables[k].1.push([p, q, r, s]);
                }
            }
            for g in groups {
                let key = (g.dimension.to_string(), g.group.clone());
                let slot = *index.entry(key.clone()).or_insert_with(|| {
                    c.groups.push((key, Named::new()));
                    c.groups.len() - 1
                });
                for (name, v) in figures(&g.indicators, g.first_contacts, &model.scheme_codes) {
                    note(&name, &mut c.order);
                    c.groups[slot]
                        .1
                        .entry(name)
                        .or_default()
                        .push((run.replication, v));
                }
            }
        }
        for (odds, tables) in &mut c.tables {
            if let Some(e) = odds_ratio(tables) {
                odds.estimate = e;
                odds.replications = tables.len();
            }
        }
        c
    }

    /// The named values of a group, if the scenario has it.
    pub(super) fn group(&self, dimension: &str, group: &str) -> Option<&Named> {
        self.groups
            .iter()
            .find(|((d, g), _)| d == dimension && g == group)
            .map(|(_, v)| v)
    }
}

/// The rows of one subject: every name in `order` it has, with its
/// difference from the baseline's same subject when there is one, paired
/// by replication when `paired`, by Welch's interval otherwise.
pub(super) fn rows(
    order: &[String],
    values: &Named,
    baseline: Option<&Named>,
    paired: bool,
) -> Vec<Row> {
    order
        .iter()
        .filter_map(|name| {
            let own = values.get(name)?;
            let plain: Vec<f64> = own.iter().map(|(_, v)| *v).collect();
            let sample = Sample::of(&plain)?;
            let diff = baseline
                .and_then(|b| b.get(name))
                .and_then(|base| difference(own, base, paired));
            Some(Row {
                indicator: name.clone(),
                replications: sample.n,
                estimate: sample.interval(),
                diff,
            })
        })
        .collect()
}

fn difference(own: &[(u32, f64)], base: &[(u32, f64)], paired: bool) -> Option<Estimate> {
    if paired {
        let pairs: Vec<(f64, f64)> = own
            .iter()
            .filter_map(|(r, v)| base.iter().find(|(b, _)| b == r).map(|(_, b)| (*v, *b)))
            .collect();
        return paired_difference(&pairs);
    }
    let a: Vec<f64> = own.iter().map(|(_, v)| *v).collect();
    let b: Vec<f64> = base.iter().map(|(_, v)| *v).collect();
    Some(Sample::of(&a)?.difference(&Sample::of(&b)?))
}

/// Whether two scenarios' replications can be paired: the same seeds and
/// replication numbers, so replication `r` of each drew the same
/// residents and the same episodes (common random numbers).
pub(super) fn pairable(a: &[Run], b: &[Run]) -> bool {
    a.len() == b.len()
        && a.len() > 1
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.seed == y.seed && x.replication == y.replication)
}
