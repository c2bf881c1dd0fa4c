//! A scenario's resource-flow network (see `tiercare_core::flows`): what
//! the region's institutions gave one another over the counted days, for
//! the region and for each alliance, by kind and by direction between the
//! giver's and the receiver's level, with the partnerships classified by
//! the scenario policy's `[flows]` rules, as the platform's network view
//! shows the live region.
//!
//! Amounts are means per replication. A partnership is classified on the
//! flows of every replication together: the rules compare what the two
//! sides receive as a ratio, so that is the class of the mean network.
//!
//! The simulated region has four of the platform's flow kinds (patients
//! up and down, reserved slots used, the fund's money for referred care;
//! see [`MODELLED`]); the others (specialist hours, reserved beds, remote
//! readings, mentoring, aligned medicines) are not in the model and stay
//! zero, listed in [`ScenarioFlows::not_modelled`].

use super::{MONTH_DAYS, Report, csv_field, num};
use crate::model::Model;
use crate::run::Run;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use tiercare_core::Level;
use tiercare_core::flows::{Amounts, FlowKind, FlowNetwork, FlowUnit, PartnershipClass};
use tiercare_core::indicators::Ix;

/// The flow kinds the simulated region has: a referred patient's arrival
/// (up or down), the reserved slot the visit took, and the fund's share
/// of its price.
pub const MODELLED: [FlowKind; 4] = [
    FlowKind::PatientsUp,
    FlowKind::PatientsDown,
    FlowKind::ReservedSlots,
    FlowKind::Money,
];

/// Amounts by kind (means per replication).
pub type ByKind = BTreeMap<FlowKind, f64>;

/// A scenario's flows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioFlows {
    /// Kinds the model does not have: zero throughout.
    pub not_modelled: Vec<FlowKind>,
    /// The region's institutions, in the directory's order.
    pub institutions: Vec<Node>,
    /// The region first, then each alliance in the scenario's order.
    pub networks: Vec<NetworkReport>,
    /// The region's flows by month (30-day months of the counted days,
    /// from 1, as the series), giver, receiver and kind: the flows CSV.
    pub monthly: Vec<FlowRow>,
}

/// An institution of the region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub level: Level,
}

/// The network of the region or of one alliance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkReport {
    /// `region`, or the alliance's id.
    pub scope: String,
    /// The ids of the institutions in scope; only flows between two of
    /// them count.
    pub institutions: Vec<String>,
    /// Every kind, those the model lacks at zero.
    pub totals: ByKind,
    /// By the direction of the flow from the giver's level to the
    /// receiver's: `up`, `down`, `same-level`; every kind.
    pub directions: BTreeMap<&'static str, ByKind>,
    /// By giver's and receiver's level, pairs with a flow only and their
    /// kinds with an amount.
    pub levels: Vec<LevelFlows>,
    /// What one institution gave another, kinds with an amount.
    pub edges: Vec<EdgeFlows>,
    pub partnerships: Vec<PartnershipFlows>,
    /// Partnerships by class, every class.
    pub classes: BTreeMap<PartnershipClass, usize>,
}

/// The flows from institutions of one level to those of another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelFlows {
    pub from: Level,
    pub to: Level,
    pub direction: &'static str,
    pub amounts: ByKind,
}

/// What one institution gave another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeFlows {
    pub from: String,
    pub to: String,
    pub amounts: ByKind,
}

/// A pair of institutions with a flow between them, classified.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnershipFlows {
    pub a: String,
    pub b: String,
    pub a_gives: ByKind,
    pub b_gives: ByKind,
    /// The points each side receives (by the policy's weights), per
    /// replication.
    pub a_receives: f64,
    pub b_receives: f64,
    pub class: PartnershipClass,
}

/// One line of the flows CSV.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowRow {
    pub month: u32,
    pub from: String,
    pub to: String,
    pub kind: FlowKind,
    pub amount: f64,
}

/// The direction of a flow from a giver at `from` to a receiver at `to`.
pub fn direction(from: Level, to: Level) -> &'static str {
    match from.cmp(&to) {
        Ordering::Less => "up",
        Ordering::Greater => "down",
        Ordering::Equal => "same-level",
    }
}

/// The unit's code in the CSV, as the platform's flows CSV writes it.
pub fn unit_code(kind: FlowKind) -> &'static str {
    match kind.unit() {
        FlowUnit::Count => "count",
        FlowUnit::Minutes => "min",
        FlowUnit::Fen => "fen",
    }
}

/// Every kind at zero.
fn zeros() -> ByKind {
    FlowKind::ALL.iter().map(|&k| (k, 0.0)).collect()
}

/// The kinds of `amounts` with an amount, divided by `n`.
fn nonzero(amounts: &Amounts, n: f64) -> ByKind {
    FlowKind::ALL
        .iter()
        .filter(|k| amounts[k.index()] > 0)
        .map(|&k| (k, amounts[k.index()] as f64 / n))
        .collect()
}

impl ScenarioFlows {
    /// The flows of `runs` of `model` over its counted days.
    pub fn of(model: &Model, runs: &[Run]) -> ScenarioFlows {
        let counted = model.counted();
        let n = runs.len().max(1) as f64;
        // Every run's flows added up once, by the report's 30-day month
        // and by pair; each network then takes its pairs' totals (so its
        // own calendar months, which simulated days have none of, are
        // left unused).
        let mut monthly: BTreeMap<(u32, Ix, Ix, FlowKind), u64> = BTreeMap::new();
        let mut pairs: BTreeMap<(Ix, Ix), Amounts> = BTreeMap::new();
        for (day, ix, c) in runs.iter().flat_map(|r| r.accumulator.rows()) {
            let Some(from) = ix else { continue };
            if c.flows.is_empty() || !counted.contains(day) {
                continue;
            }
            let month = (day - counted.first) as u32 / MONTH_DAYS + 1;
            for f in &c.flows {
                *monthly.entry((month, from, f.to, f.kind)).or_default() += f.amount;
                pairs.entry((from, f.to)).or_default()[f.kind.index()] += f.amount;
            }
        }
        let institutions = &model.directory.institutions;
        let mut networks = vec![network(model, "region", &pairs, |_| true, n)];
        for (a, id) in model.layout.alliances.iter().enumerate() {
            let member = |ix: Ix| {
                institutions
                    .get(ix.0 as usize)
                    .is_some_and(|f| f.alliances.contains(&(a as u16)))
            };
            networks.push(network(model, id, &pairs, member, n));
        }
        let id = |ix: Ix| model.institutions[ix.0 as usize].id.clone();
        ScenarioFlows {
            not_modelled: FlowKind::ALL
                .iter()
                .copied()
                .filter(|k| !MODELLED.contains(k))
                .collect(),
            institutions: model
                .institutions
                .iter()
                .map(|i| Node {
                    id: i.id.clone(),
                    name: i.name.clone(),
                    level: i.level,
                })
                .collect(),
            networks,
            monthly: monthly
                .into_iter()
                .map(|((month, from, to, kind), amount)| FlowRow {
                    month,
                    from: id(from),
                    to: id(to),
                    kind,
                    amount: amount as f64 / n,
                })
                .collect(),
        }
    }

    /// The network of `scope` (`region` or an alliance's id).
    pub fn network(&self, scope: &str) -> Option<&NetworkReport> {
        self.networks.iter().find(|r| r.scope == scope)
    }

    fn name(&self, id: &str) -> &str {
        self.institutions
            .iter()
            .find(|n| n.id == id)
            .map_or("", |n| n.name.as_str())
    }
}

/// The network between the institutions `member` accepts.
fn network(
    model: &Model,
    scope: &str,
    pairs: &BTreeMap<(Ix, Ix), Amounts>,
    member: impl Fn(Ix) -> bool,
    n: f64,
) -> NetworkReport {
    let mut net = FlowNetwork::new();
    for (&(from, to), amounts) in pairs {
        if member(from) && member(to) {
            for &k in FlowKind::ALL {
                net.add(0, from, to, k, amounts[k.index()]);
            }
        }
    }
    let id = |ix: Ix| model.institutions[ix.0 as usize].id.clone();
    let level = |ix: Ix| model.institutions[ix.0 as usize].level;
    let mut directions: BTreeMap<&'static str, ByKind> = ["up", "down", "same-level"]
        .into_iter()
        .map(|d| (d, zeros()))
        .collect();
    let mut levels: BTreeMap<(Level, Level), Amounts> = BTreeMap::new();
    let mut edges = Vec::new();
    for e in net.edges() {
        let (a, b) = (level(e.from), level(e.to));
        let by_kind = directions.entry(direction(a, b)).or_insert_with(zeros);
        let pair = levels.entry((a, b)).or_default();
        for &k in FlowKind::ALL {
            let amount = e.total[k.index()];
            *by_kind.entry(k).or_default() += amount as f64 / n;
            pair[k.index()] += amount;
        }
        edges.push(EdgeFlows {
            from: id(e.from),
            to: id(e.to),
            amounts: nonzero(&e.total, n),
        });
    }
    let totals = net.totals();
    let mut classes: BTreeMap<PartnershipClass, usize> =
        PartnershipClass::ALL.iter().map(|&c| (c, 0)).collect();
    let partnerships = net
        .partnerships(&model.policy.flows)
        .into_iter()
        .map(|p| {
            *classes.entry(p.class).or_default() += 1;
            PartnershipFlows {
                a: id(p.a),
                b: id(p.b),
                a_gives: nonzero(&p.a_gives, n),
                b_gives: nonzero(&p.b_gives, n),
                a_receives: p.a_receives / n,
                b_receives: p.b_receives / n,
                class: p.class,
            }
        })
        .collect();
    NetworkReport {
        scope: scope.to_string(),
        institutions: (0..model.institutions.len())
            .map(|i| Ix(i as u32))
            .filter(|&ix| member(ix))
            .map(id)
            .collect(),
        totals: FlowKind::ALL
            .iter()
            .map(|&k| (k, totals[k.index()] as f64 / n))
            .collect(),
        directions,
        levels: levels
            .into_iter()
            .map(|((from, to), amounts)| LevelFlows {
                from,
                to,
                direction: direction(from, to),
                amounts: nonzero(&amounts, n),
            })
            .collect(),
        edges,
        partnerships,
        classes,
    }
}

impl Report {
    /// The region's flows by month, giver, receiver and kind: the columns
    /// of the platform's flows CSV (month, from, from_name, to, to_name,
    /// kind, unit, amount), then the scenario. The month is the 30-day
    /// month of the counted days (from 1), the amount a mean per
    /// replication.
    pub fn flows_csv(&self) -> String {
        let mut out = String::from("month,from,from_name,to,to_name,kind,unit,amount,scenario\n");
        for s in &self.scenarios {
            for r in &s.flows.monthly {
                let fields = [
                    r.month.to_string(),
                    csv_field(&r.from),
                    csv_field(s.flows.name(&r.from)),
                    csv_field(&r.to),
                    csv_field(s.flows.name(&r.to)),
                    r.kind.code().to_string(),
                    unit_code(r.kind).to_string(),
                    num(r.amount),
                    csv_field(&s.name),
                ];
                out.push_str(&fields.join(","));
                out.push('\n');
            }
        }
        out
    }
}

/// A flow amount as a table shows it: whole when it is, else one decimal.
pub fn amount(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// The directions a table shows, in order.
pub const DIRECTIONS: [&str; 3] = ["up", "down", "same-level"];

/// The flows as text: per scenario and network, the modelled kinds by
/// direction, and the partnerships by class.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let Some(first) = report.scenarios.first() else {
        return out;
    };
    let lacking: Vec<&str> = first.flows.not_modelled.iter().map(|k| k.code()).collect();
    out.push_str(&format!(
        "resource flows (means per replication over the counted days; not in the model, so zero: {})\n",
        lacking.join(", ")
    ));
    for s in &report.scenarios {
        for net in &s.flows.networks {
            out.push_str(&format!(
                "{} / {} ({} institutions)\n",
                s.name,
                net.scope,
                net.institutions.len()
            ));
            let mut rows = vec![
                ["kind", "unit", "up", "down", "same-level", "total"]
                    .map(String::from)
                    .to_vec(),
            ];
            for kind in MODELLED {
                let mut row = vec![kind.code().to_string(), unit_code(kind).to_string()];
                for d in DIRECTIONS {
                    let v = net.directions.get(d).and_then(|k| k.get(&kind));
                    row.push(amount(v.copied().unwrap_or(0.0)));
                }
                row.push(amount(net.totals.get(&kind).copied().unwrap_or(0.0)));
                rows.push(row);
            }
            let widths: Vec<usize> = (0..rows[0].len())
                .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
                .collect();
            for row in &rows {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .enumerate()
                    .map(|(c, (v, w))| {
                        if c < 2 {
                            format!("{v:<w$}")
                        } else {
                            format!("{v:>w$}")
                        }
                    })
                    .collect();
                out.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
            }
            let classes: Vec<String> = net
                .classes
                .iter()
                .map(|(c, n)| format!("{} {n}", c.code()))
                .collect();
            out.push_str(&format!(
                "  partnerships: {} ({})\n",
                net.partnerships.len(),
                classes.join(", ")
            ));
        }
    }
    out
}
