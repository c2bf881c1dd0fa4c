//! The flows of a period between a chosen set of institutions, by month,
//! and the partnerships they make.

use super::{Amounts, FlowCount, FlowKind, FlowRules, KINDS, PartnershipClass};
use crate::indicators::{Day, Ix};
use serde::Serialize;
use std::collections::BTreeMap;
use time::Date;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Month {
    pub year: i32,
    pub month: u8,
}

/// The Julian day number of 1970-01-01, day 0 of the indicators.
const DAY_ZERO_JULIAN: i32 = 2_440_588;

impl Month {
    /// The month of an indicator day.
    pub fn of(day: Day) -> Month {
        let date = Date::from_julian_day(day.saturating_add(DAY_ZERO_JULIAN)).unwrap_or(Date::MIN);
        Month {
            year: date.year(),
            month: u8::from(date.month()),
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Everything one institution gave another in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub from: Ix,
    pub to: Ix,
    /// By kind, in [`FlowKind::ALL`] order.
    pub total: Amounts,
    /// By month, then kind.
    pub months: BTreeMap<Month, Amounts>,
}

/// A pair of institutions with a flow between them, `a` the lower number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Partnership {
    pub a: Ix,
    pub b: Ix,
    /// What `a` gave `b`, by kind.
    pub a_gives: Amounts,
    /// What `b` gave `a`, by kind.
    pub b_gives: Amounts,
    /// The points `a` received (what `b` gave, valued by the rules).
    pub a_receives: f64,
    pub b_receives: f64,
    pub class: PartnershipClass,
}

impl Partnership {
    /// What `side` gave the other, and the points it received, with the
    /// other side first: `(gives, receives_points)`.
    pub fn side(&self, side: Ix) -> Option<(&Amounts, f64)> {
        if side == self.a {
            Some((&self.a_gives, self.a_receives))
        } else if side == self.b {
            Some((&self.b_gives, self.b_receives))
        } else {
            None
        }
    }
}

/// The flows between a set of institutions over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FlowNetwork {
    edges: BTreeMap<(Ix, Ix), Edge>,
}

impl FlowNetwork {
    pub fn new() -> FlowNetwork {
        FlowNetwork::default()
    }

    /// Adds one flow.
    pub fn add(&mut self, day: Day, from: Ix, to: Ix, kind: FlowKind, amount: u64) {
        if amount == 0 {
            return;
        }
        let edge = self.edges.entry((from, to)).or_insert_with(|| Edge {
            from,
            to,
            total: [0; KINDS],
            months: BTreeMap::new(),
        });
        edge.total[kind.index()] += amount;
        edge.months.entry(Month::of(day)).or_insert([0; KINDS])[kind.index()] += amount;
    }

    /// Adds the flows of `from`'s row of `day` whose receiver `keep`
    /// accepts (the caller keeps a row only if it accepts `from`).
    pub fn add_row(&mut self, day: Day, from: Ix, flows: &[FlowCount], keep: impl Fn(Ix) -> bool) {
        for f in flows.iter().filter(|f| keep(f.to)) {
            self.add(day, from, f.to, f.kind, f.amount);
        }
    }

    /// Every edge, by giver then receiver.
    pub fn edges(&self) -> impl Iterator<Item = &Edge> {
        self.edges.values()
    }

    /// What `from` gave `to`.
    pub fn edge(&self, from: Ix, to: Ix) -> Option<&Edge> {
        self.edges.get(&(from, to))
    }

    /// Every month with a flow, in order.
    pub fn months(&self) -> Vec<Month> {
        let mut months: Vec<Month> = self
            .edges
            .values()
            .flat_map(|e| e.months.keys().copied())
            .collect();
        months.sort();
        months.dedup();
        months
    }

    /// All flows by kind.
    pub fn totals(&self) -> Amounts {
        let mut t = [0; KINDS];
        for e in self.edges.values() {
            for (a, b) in t.iter_mut().zip(e.total) {
                *a += b;
            }
        }
        t
    }

    /// Every pair with a flow between them, classified by `rules`.
    pub fn partnerships(&self, rules: &FlowRules) -> Vec<Partnership> {
        let mut pairs: BTreeMap<(Ix, Ix), (Amounts, Amounts)> = BTreeMap::new();
        for e in self.edges.values() {
            if e.from == e.to {
                continue;
            }
            let (a, b) = (e.from.min(e.to), e.from.max(e.to));
            let sides = pairs.entry((a, b)).or_insert(([0; KINDS], [0; KINDS]));
            let gives = if e.from == a {
                &mut sides.0
            } else {
                &mut sides.1
            };
            for (x, y) in gives.iter_mut().zip(e.total) {
                *x += y;
            }
        }
        pairs
            .into_iter()
            .map(|((a, b), (a_gives, b_gives))| {
                let a_receives = rules.value(&b_gives);
                let b_receives = rules.value(&a_gives);
                Partnership {
                    a,
                    b,
                    a_gives,
                    b_gives,
                    a_receives,
                    b_receives,
                    class: rules.classify(a_receives, b_receives),
                }
            })
            .collect()
    }
}
