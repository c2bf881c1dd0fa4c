//! Scenarios compared with a baseline, in the forms a health commission
//! reads: a table of every indicator (mean over replications with its 95%
//! interval, and each reform's difference from the baseline), monthly
//! series of the main indicators, as JSON, CSV and a self-contained HTML
//! page with charts.
//!
//! Each scenario also carries its resource-flow network ([`flows`]): the
//! region's and each alliance's, with its partnerships classified.
//!
//! Every figure is one of the core's [`Indicators`] for the whole region,
//! flattened into named scalars (`levels.primary.visits`,
//! `pyramid.secondary.demand_share`, ...) so that no indicator is defined
//! here a second time.

pub mod flows;
mod groups;
mod html;
pub mod stats;

use crate::model::Model;
use crate::run::Run;
use crate::strata::first_contacts;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use tiercare_core::Level;
use tiercare_core::indicators::{Indicators, Period, Subject};

pub use flows::ScenarioFlows;
use groups::Collected;
pub use groups::{GroupReport, OddsRatio, figures};
pub use html::html;
pub use stats::{Estimate, Sample};

/// Days in a month of the series: reports compare months, not calendar
/// months, so that every scenario's months line up.
pub const MONTH_DAYS: u32 = 30;

/// The indicators a reader looks for first, in the order a table shows
/// them; every other indicator follows in name order.
pub fn headline() -> Vec<String> {
    let mut names: Vec<String> = ["episodes", "visits", "primary_visit_share"]
        .map(String::from)
        .to_vec();
    names.extend(Level::ALL.map(|l| format!("levels.{}.visits", l.code())));
    names.extend(
        [
            "county_retention",
            "referrals_up",
            "referrals_down",
            "down_up_ratio",
            "bypass_share",
            "over_use_share",
            "under_capacity_share",
        ]
        .map(String::from),
    );
    names.extend(Level::ALL.map(|l| format!("levels.{}.mean_wait_days", l.code())));
    names.extend(
        [
            "time_to_appointment_days",
            "total_cost_yuan",
            "total_out_of_pocket_yuan",
            "expenditure_per_visit_yuan",
            "out_of_pocket_share",
            "contract_coverage",
            "key_group_contract_coverage",
            "chronic_management",
            "access",
            "slot_utilisation",
            "loop_closure",
        ]
        .map(String::from),
    );
    names
}

/// The indicators followed month by month: volumes (episodes, visits by
/// level, admissions, first contacts) and shares.
pub fn series_indicators() -> Vec<String> {
    let mut names: Vec<String> = ["episodes", "visits", "outpatient_visits", "admissions"]
        .map(String::from)
        .to_vec();
    names.extend(Level::ALL.map(|l| format!("levels.{}.visits", l.code())));
    names.extend(Level::ALL.map(|l| format!("first_contacts_by_level.{}", l.code())));
    names.extend(
        [
            "primary_visit_share",
            "county_retention",
            "bypass_share",
            "over_use_share",
            "referrals_up",
            "referrals_down",
        ]
        .map(String::from),
    );
    names.extend(Level::ALL.map(|l| format!("levels.{}.mean_wait_days", l.code())));
    names.extend(
        [
            "out_of_pocket_share",
            "contract_coverage",
            "chronic_management",
        ]
        .map(String::from),
    );
    names
}

/// One scenario's runs, under the name the report gives it.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioRuns<'a> {
    pub name: &'a str,
    pub model: &'a Model,
    pub runs: &'a [Run],
}

/// Scenarios compared with the first, the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub baseline: String,
    pub scenarios: Vec<ScenarioReport>,
}

/// One scenario's table and series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    pub residents: u64,
    pub partitions: u32,
    pub days: u32,
    pub replications: usize,
    /// Days run before the counted `days` and left out.
    pub warmup_days: u32,
    /// The seed the replications' own seeds are drawn from.
    pub seed: Option<u64>,
    /// How differences from the baseline are estimated: `paired` when the
    /// scenarios share seeds (replication by replication), `welch`
    /// otherwise; absent for the baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<String>,
    /// The region's figures.
    pub summary: Vec<Row>,
    /// The odds of a first contact at primary care, group against group.
    pub odds_ratios: Vec<OddsRatio>,
    /// The same figures by condition, resident group, institution and
    /// alliance.
    pub groups: Vec<GroupReport>,
    pub series: Series,
    /// The resource flows between the region's institutions.
    pub flows: ScenarioFlows,
}

/// One indicator of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub indicator: String,
    /// Replications in which the indicator is defined (a ratio with an
    /// empty denominator is not).
    pub replications: usize,
    #[serde(flatten)]
    pub estimate: Estimate,
    /// The difference from the baseline's mean; absent for the baseline
    /// and for indicators the baseline does not have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<Estimate>,
}

/// Monthly values of the main indicators, averaged over replications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub months: Vec<Period>,
    /// Per indicator, one value per month (`None` where no replication
    /// defines it).
    pub values: BTreeMap<String, Vec<Option<f64>>>,
}

impl Report {
    /// Compares `scenarios` with the first of them.
    pub fn build(scenarios: &[ScenarioRuns<'_>]) -> Report {
        let headline = headline();
        let rank: HashMap<&str, usize> = headline
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let collected: Vec<Collected> = scenarios
            .iter()
            .map(|s| Collected::of(s.model, s.runs))
            .collect();
        // Every scenario's names, in first-seen order, headline first.
        let mut order: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for c in &collected {
            for n in &c.order {
                if seen.insert(n) {
                    order.push(n.clone());
                }
            }
        }
        order.sort_by_key(|n| rank.get(n.as_str()).copied().unwrap_or(usize::MAX));
        let base = collected.first();
        let reports = scenarios
            .iter()
            .zip(&collected)
            .enumerate()
            .map(|(k, (s, c))| {
                let compared = (k > 0).then_some(base).flatten();
                let paired = k > 0 && groups::pairable(s.runs, scenarios[0].runs);
                let groups = c
                    .groups
                    .iter()
                    .map(|((dimension, group), values)| GroupReport {
                        dimension: dimension.clone(),
                        group: group.clone(),
                        summary: groups::rows(
                            &order,
                            values,
                            compared.and_then(|b| b.group(dimension, group)),
                            paired,
                        ),
                    })
                    .collect();
                ScenarioReport {
                    name: s.name.to_string(),
                    residents: s.model.residents,
                    partitions: s.model.partitions,
                    days: s.model.days - s.model.warmup,
                    warmup_days: s.model.warmup,
                    replications: s.runs.len(),
                    seed: s.runs.first().map(|r| r.seed),
                    difference: if k == 0 {
                        None
                    } else if paired {
                        Some("paired".into())
                    } else {
                        Some("welch".into())
                    },
                    summary: groups::rows(&order, &c.region, compared.map(|b| &b.region), paired),
                    odds_ratios: c.tables.iter().map(|(o, _)| o.clone()).collect(),
                    groups,
                    series: series(s.model, s.runs),
                    flows: ScenarioFlows::of(s.model, s.runs),
                }
            })
            .collect();
        Report {
            baseline: scenarios
                .first()
                .map(|s| s.name.to_string())
                .unwrap_or_default(),
            scenarios: reports,
        }
    }

    /// One row per scenario and indicator: scenario, indicator, mean, low,
    /// high, diff, diff_low, diff_high (the differences empty for the
    /// baseline).
    pub fn csv(&self) -> String {
        let mut out = String::from("scenario,indicator,mean,low,high,diff,diff_low,diff_high\n");
        for s in &self.scenarios {
            for r in &s.summary {
                csv_row(&mut out, &[&s.name], r);
            }
            // The odds ratios: group against reference, no difference.
            for o in &s.odds_ratios {
                if o.replications > 0 {
                    let row = Row {
                        indicator: o.indicator.clone(),
                        replications: o.replications,
                        estimate: o.estimate,
                        diff: None,
                    };
                    csv_row(&mut out, &[&s.name], &row);
                }
            }
        }
        out
    }

    /// The figures by group: one row per scenario, group and indicator
    /// (scenario, dimension, group, indicator, mean, low, high, diff,
    /// diff_low, diff_high).
    pub fn groups_csv(&self) -> String {
        let mut out = String::from(
            "scenario,dimension,group,indicator,mean,low,high,diff,diff_low,diff_high\n",
        );
        for s in &self.scenarios {
            for g in &s.groups {
                for r in &g.summary {
                    csv_row(&mut out, &[&s.name, &g.dimension, &g.group], r);
                }
            }
        }
        out
    }

    /// The scenario called `name`.
    pub fn scenario(&self, name: &str) -> Option<&ScenarioReport> {
        self.scenarios.iter().find(|s| s.name == name)
    }
}

impl ScenarioReport {
    /// The row of `indicator`.
    pub fn row(&self, indicator: &str) -> Option<&Row> {
        self.summary.iter().find(|r| r.indicator == indicator)
    }
}

/// One CSV line: the leading fields, then the row's figures.
fn csv_row(out: &mut String, lead: &[&str], r: &Row) {
    let e = r.estimate;
    let (d, dl, dh) = match r.diff {
        Some(d) => (num(d.mean), num(d.low), num(d.high)),
        None => Default::default(),
    };
    let mut fields: Vec<String> = lead.iter().map(|f| csv_field(f)).collect();
    fields.extend([
        csv_field(&r.indicator),
        num(e.mean),
        num(e.low),
        num(e.high),
        d,
        dl,
        dh,
    ]);
    out.push_str(&fields.join(","));
    out.push('\n');
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
/// break, with quotes doubled.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The indicators as named scalars: nested fields joined by dots, per-level
/// and per-scheme lists keyed by the level or scheme code, `None` ratios
/// and the period left out.
pub fn flatten(indicators: &Indicators, scheme_codes: &[String]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    // Indicators holds only numbers, strings and lists: serialising it
    // cannot fail.
    if let Ok(Value::Object(map)) = serde_json::to_value(indicators) {
        for (key, value) in &map {
            if key != "period" {
                walk(value, key, None, scheme_codes, &mut out);
            }
        }
    }
    out
}

fn walk(
    value: &Value,
    prefix: &str,
    skip: Option<&str>,
    scheme_codes: &[String],
    out: &mut Vec<(String, f64)>,
) {
    match value {
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                out.push((prefix.to_string(), x));
            }
        }
        Value::Object(map) => {
            for (key, v) in map {
                if Some(key.as_str()) != skip {
                    walk(v, &format!("{prefix}.{key}"), None, scheme_codes, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let (key, skip) = element_key(item, i, scheme_codes);
                walk(item, &format!("{prefix}.{key}"), skip, scheme_codes, out);
            }
        }
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// An element of a list is named by its level or scheme, whose field is
/// then not a figure of its own.
fn element_key(
    item: &Value,
    index: usize,
    scheme_codes: &[String],
) -> (String, Option<&'static str>) {
    if let Some(level) = item.get("level").and_then(Value::as_str) {
        return (level.to_string(), Some("level"));
    }
    if let Some(slot) = item.get("scheme").and_then(Value::as_u64) {
        let code = usize::try_from(slot)
            .ok()
            .and_then(|s| scheme_codes.get(s))
            .cloned()
            .unwrap_or_else(|| slot.to_string());
        return (code, Some("scheme"));
    }
    (index.to_string(), None)
}

/// The 30-day months of a run of `days` days; the last may be shorter.
pub fn months(days: u32) -> Vec<Period> {
    months_of(Period::new(0, days as i32 - 1))
}

/// The 30-day months of a period; the last may be shorter.
pub fn months_of(period: Period) -> Vec<Period> {
    let days = (period.last - period.first + 1).max(0) as u32;
    (0..days.div_ceil(MONTH_DAYS))
        .map(|m| {
            let first = period.first + (m * MONTH_DAYS) as i32;
            let last = (first + MONTH_DAYS as i32 - 1).min(period.last);
            Period::new(first, last)
        })
        .collect()
}

fn series(model: &Model, runs: &[Run]) -> Series {
    let months = months_of(model.counted());
    let names = series_indicators();
    let mut sums: BTreeMap<String, Vec<(f64, u32)>> = names
        .iter()
        .map(|n| (n.clone(), vec![(0.0, 0); months.len()]))
        .collect();
    for run in runs {
        for (m, period) in months.iter().enumerate() {
            let i = run.accumulator.indicators(*period, Subject::Region);
            let first = first_contacts(&run.accumulator, *period, Subject::Region);
            for (name, v) in figures(&i, first, &model.scheme_codes) {
                if let Some(cell) = sums.get_mut(&name).and_then(|s| s.get_mut(m)) {
                    cell.0 += v;
                    cell.1 += 1;
                }
            }
        }
    }
    let values = sums
        .into_iter()
        .map(|(name, cells)| {
            let means = cells
                .into_iter()
                .map(|(sum, n)| (n > 0).then(|| sum / f64::from(n)))
                .collect();
            (name, means)
        })
        .collect();
    Series { months, values }
}

#[cfg(test)]
mod tests;
