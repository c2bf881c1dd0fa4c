//! Indicators by condition and by resident group.
//!
//! A researcher asks how a reform moves hypertension patients' primary
//! share, or contracted residents' odds of a first contact at primary care.
//! The engine therefore counts every fact that concerns one resident a
//! second time, into the accumulator of the resident's *cell*: the
//! condition of the episode (or of the chronic follow-up), age group,
//! contract and scheme, and once more into the accumulator of the
//! resident's settlement. A cell's accumulator is the core's own
//! [`Accumulator`], over six stand-in institutions (each level, inside or
//! outside the region) and two days (the warm-up and the counted period),
//! so a cell costs a few kilobytes and its indicators are the core's
//! definitions, not a second set. A group's indicators are its cells'
//! accumulators merged: integer sums, so a group's counts add up to the
//! region's exactly.
//!
//! Institutions and alliances need no cells: the run's own accumulator
//! already holds them.

use crate::model::Model;
use crate::run::Run;
use crate::spec::{Spec, SpecError, invalid};
use serde::Serialize;
use tiercare_core::Level;
use tiercare_core::catalogue::Catalogue;
use tiercare_core::indicators::{
    Accumulator, Day, Directory, Indicators, InstitutionFacts, Ix, Period, Subject,
};

/// The strata a scenario is reported by, and how a resident's facts find
/// their cell.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Conditions: the catalogue codes of the case mix and of the chronic
    /// patients, then the names of cases given by level only.
    pub conditions: Vec<String>,
    /// Named groups of conditions (indices into `conditions`).
    pub condition_groups: Vec<(String, Vec<u16>)>,
    /// Each case type's condition.
    pub case_condition: Vec<u16>,
    /// Chronic patients' conditions: cumulative share and condition.
    pub chronic: Vec<(f64, u16)>,
    pub age_groups: Vec<String>,
    /// Whether each age group is a key group (contracts' priority).
    pub key_group: Vec<bool>,
    pub settlements: Vec<String>,
    pub alliances: Vec<String>,
    pub institutions: Vec<String>,
    schemes: usize,
}

/// At most this many chronic conditions (three bits of a resident).
pub const CHRONIC_CONDITIONS: usize = 8;

impl Layout {
    pub(crate) fn compile(spec: &Spec) -> Result<Layout, SpecError> {
        let catalogue = Catalogue::bundled();
        let mut conditions: Vec<String> = Vec::new();
        let index = |label: &str, conditions: &mut Vec<String>| -> u16 {
            match conditions.iter().position(|c| c == label) {
                Some(k) => k as u16,
                None => {
                    conditions.push(label.to_string());
                    (conditions.len() - 1) as u16
                }
            }
        };
        let mut case_condition = Vec::new();
        for (k, c) in spec.case.iter().enumerate() {
            let label = match (&c.condition, c.name.is_empty()) {
                (Some(code), _) => code.clone(),
                (None, false) => c.name.clone(),
                (None, true) => format!("case {k}"),
            };
            case_condition.push(index(&label, &mut conditions));
        }
        let mut chronic = Vec::new();
        if let Some(c) = &spec.chronic {
            if c.conditions.is_empty() {
                chronic.push((1.0, index("chronic", &mut conditions)));
            } else {
                if c.conditions.len() > CHRONIC_CONDITIONS {
                    return Err(invalid(
                        "chronic.conditions",
                        format!("at most {CHRONIC_CONDITIONS} conditions"),
                    ));
                }
                let total: f64 = c.conditions.values().sum();
                if (total - 1.0).abs() > 1e-6 || c.conditions.values().any(|s| *s < 0.0) {
                    return Err(invalid("chronic.conditions", "shares must add up to 1"));
                }
                let mut upto = 0.0;
                for (code, share) in &c.conditions {
                    if catalogue.by_range_code(code).is_none() {
                        return Err(invalid(
                            "chronic.conditions",
                            format!("`{code}` is not a catalogue entry"),
                        ));
                    }
                    upto += share;
                    chronic.push((upto, index(code, &mut conditions)));
                }
                if let Some(last) = chronic.last_mut() {
                    last.0 = 1.0;
                }
            }
        }
        if conditions.len() >= usize::from(u16::MAX) {
            return Err(invalid("case", "too many conditions"));
        }
        let mut condition_groups = Vec::new();
        for (g, group) in spec.condition_group.iter().enumerate() {
            let mut members = Vec::new();
            for code in &group.conditions {
                let k = conditions.iter().position(|c| c == code).ok_or_else(|| {
                    invalid(
                        format!("condition_group[{g}].conditions"),
                        format!("`{code}` is no condition of the case mix or the chronic table"),
                    )
                })?;
                members.push(k as u16);
            }
            condition_groups.push((group.name.clone(), members));
        }
        Ok(Layout {
            conditions,
            condition_groups,
            case_condition,
            chronic,
            age_groups: spec.age_group.iter().map(|g| g.name.clone()).collect(),
            key_group: spec.age_group.iter().map(|g| g.key_group).collect(),
            settlements: spec.settlement.iter().map(|s| s.name.clone()).collect(),
            alliances: spec.alliance.iter().map(|a| a.id.clone()).collect(),
            institutions: spec.institution.iter().map(|i| i.id.clone()).collect(),
            schemes: spec.schemes.len(),
        })
    }

    /// The cell that holds resident stocks (residents, contracts): no
    /// condition's, so a condition's figures are its patients' only.
    pub(crate) fn stock_condition(&self) -> u16 {
        self.conditions.len() as u16
    }

    /// Number of cells.
    pub(crate) fn cells(&self) -> usize {
        (self.conditions.len() + 1) * self.age_groups.len() * 2 * self.schemes
    }

    /// The cell of a condition, age group, contract and scheme.
    #[inline]
    pub(crate) fn cell(&self, condition: u16, group: u8, contracted: bool, scheme: u8) -> usize {
        ((usize::from(condition) * self.age_groups.len() + usize::from(group)) * 2
            + usize::from(contracted))
            * self.schemes
            + usize::from(scheme)
    }

    /// The parts of a cell: condition, age group, contract, scheme.
    pub(crate) fn parts(&self, cell: usize) -> (u16, usize, bool, usize) {
        let scheme = cell % self.schemes;
        let rest = cell / self.schemes;
        let contracted = rest % 2 == 1;
        let rest = rest / 2;
        let group = rest % self.age_groups.len();
        (
            (rest / self.age_groups.len()) as u16,
            group,
            contracted,
            scheme,
        )
    }
}

/// The stand-in institution of a level, inside or outside the region.
pub(crate) fn stand_in(level: Level, inside: bool) -> Ix {
    Ix((level.index() * 2 + usize::from(!inside)) as u32)
}

/// The six stand-in institutions a cell counts at.
pub(crate) fn stand_in_directory() -> Directory {
    Directory {
        institutions: Level::ALL
            .into_iter()
            .flat_map(|level| {
                [true, false].map(|inside| InstitutionFacts {
                    level,
                    inside,
                    alliances: Vec::new(),
                    physicians: 0,
                    beds: 0,
                    daily_slots: 0,
                })
            })
            .collect(),
    }
}

/// A cell's day: 0 for the warm-up, 1 for the counted period.
pub(crate) const WARM_UP: Day = 0;
pub(crate) const COUNTED: Day = 1;

/// The facts of a run counted by cell and by settlement, all in one
/// accumulator whose "days" are slots: cell `c` counts on days `2c` (the
/// warm-up) and `2c + 1` (the counted period), settlement `s` on the days
/// after the last cell's. One compact table (a few megabytes for a
/// county) keeps the counting in cache; a group's own accumulator is made
/// from it after the run ([`breakdown`]).
#[derive(Debug, Clone)]
pub struct GroupCounts {
    pub slots: Accumulator,
    /// Cells, before the settlements' slots.
    cells: usize,
}

impl GroupCounts {
    pub(crate) fn new(layout: &Layout) -> GroupCounts {
        GroupCounts {
            slots: Accumulator::new(stand_in_directory()),
            cells: layout.cells(),
        }
    }

    /// The slot day of a cell (or, from `cells()` on, a settlement) and a
    /// period (`WARM_UP` or `COUNTED`).
    #[inline]
    pub(crate) fn day(slot: usize, period: Day) -> Day {
        (slot * 2) as Day + period
    }

    /// The slot of a settlement.
    #[inline]
    pub(crate) fn settlement(&self, s: usize) -> usize {
        self.cells + s
    }

    /// Adds another partition's (or replication's) counts.
    pub(crate) fn add(&mut self, other: &GroupCounts) {
        // One stand-in directory everywhere: merging cannot fail.
        let _ = self.slots.merge(&other.slots);
    }
}

/// The dimensions figures are broken down by, in the order reports list
/// them.
pub const DIMENSIONS: [&str; 9] = [
    "condition",
    "condition_group",
    "contract",
    "age_group",
    "key_group",
    "scheme",
    "settlement",
    "institution",
    "alliance",
];

/// One group's figures over the counted period: the core's indicators and
/// first contacts at each level (made by the group's residents, or at the
/// institution or alliance).
#[derive(Debug, Clone, Serialize)]
pub struct GroupFigures {
    pub dimension: &'static str,
    pub group: String,
    pub indicators: Indicators,
    pub first_contacts: [u64; 3],
}

/// First contacts at each level of a subject over a period.
pub fn first_contacts(acc: &Accumulator, period: Period, subject: Subject) -> [u64; 3] {
    Level::ALL.map(|l| acc.stratum(period, subject, l).first_contacts)
}

/// Every group's figures of one run: by condition and condition group, by
/// resident group (contract, age group, key group, scheme, settlement),
/// and by institution and alliance.
/// Nothing when the model did not count by group
/// ([`Model::count_groups`]).
pub fn breakdown(model: &Model, run: &Run) -> Vec<GroupFigures> {
    if !model.count_groups {
        return Vec::new();
    }
    let layout = &model.layout;
    let counted = Period::new(COUNTED, COUNTED);
    let figures = |dimension: &'static str, group: String, acc: &Accumulator| {
        let mut indicators = acc.indicators(counted, Subject::Region);
        indicators.period = model.counted();
        GroupFigures {
            dimension,
            group,
            indicators,
            first_contacts: first_contacts(acc, counted, Subject::Region),
        }
    };
    // Each group's accumulator, filled in one pass over the slots.
    let fresh = || Accumulator::new(stand_in_directory());
    let mut conditions = vec![fresh(); layout.conditions.len()];
    let mut condition_groups = vec![fresh(); layout.condition_groups.len()];
    let mut contract = [fresh(), fresh()];
    let mut ages = vec![fresh(); layout.age_groups.len()];
    let mut key = [fresh(), fresh()];
    let mut schemes = vec![fresh(); model.scheme_codes.len()];
    let mut settlements = vec![fresh(); layout.settlements.len()];
    let cells = layout.cells();
    for (day, ix, counters) in run.groups.slots.rows() {
        let (slot, period) = ((day / 2) as usize, day % 2);
        let mut into: Vec<&mut Accumulator> = Vec::with_capacity(8);
        if slot >= cells {
            into.extend(settlements.get_mut(slot - cells));
        } else {
            let (condition, group, contracted, scheme) = layout.parts(slot);
            into.extend(conditions.get_mut(usize::from(condition)));
            for (acc, (_, members)) in condition_groups.iter_mut().zip(&layout.condition_groups) {
                if members.contains(&condition) {
                    into.push(acc);
                }
            }
            into.push(&mut contract[usize::from(!contracted)]);
            into.extend(ages.get_mut(group));
            into.push(&mut key[usize::from(!layout.key_group[group])]);
            into.extend(schemes.get_mut(scheme));
        }
        for acc in into {
            // Stand-in institutions only: nothing can be refused.
            let _ = acc.add_counters(period, ix, counters);
        }
    }
    let mut out = Vec::new();
    let named = conditions
        .iter()
        .zip(&layout.conditions)
        .map(|(a, n)| ("condition", n.clone(), a))
        .chain(
            condition_groups
                .iter()
                .zip(&layout.condition_groups)
                .map(|(a, (n, _))| ("condition_group", n.clone(), a)),
        )
        .chain(
            contract
                .iter()
                .zip(["contracted", "not contracted"])
                .map(|(a, n)| ("contract", n.to_string(), a)),
        )
        .chain(
            ages.iter()
                .zip(&layout.age_groups)
                .map(|(a, n)| ("age_group", n.clone(), a)),
        )
        .chain(
            key.iter()
                .zip(["key group", "other"])
                .map(|(a, n)| ("key_group", n.to_string(), a)),
        )
        .chain(
            schemes
                .iter()
                .zip(&model.scheme_codes)
                .map(|(a, n)| ("scheme", n.clone(), a)),
        )
        .chain(
            settlements
                .iter()
                .zip(&layout.settlements)
                .map(|(a, n)| ("settlement", n.clone(), a)),
        );
    for (dimension, group, acc) in named {
        out.push(figures(dimension, group, acc));
    }
    let period = model.counted();
    let mut subject = |dimension: &'static str, group: &str, subject: Subject| {
        out.push(GroupFigures {
            dimension,
            group: group.to_string(),
            indicators: run.accumulator.indicators(period, subject),
            first_contacts: first_contacts(&run.accumulator, period, subject),
        });
    };
    for (i, id) in layout.institutions.iter().enumerate() {
        subject("institution", id, Subject::Institution(Ix(i as u32)));
    }
    for (a, id) in layout.alliances.iter().enumerate() {
        subject("alliance", id, Subject::Alliance(a as u16));
    }
    out
}
