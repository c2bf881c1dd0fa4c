//! `tiercare simulate`: run scenarios of the policy simulator and compare
//! each with the first, the baseline.
//!
//! stdout carries the result only (a table, or JSON with `--json`), so it
//! can be piped; progress and logs go to stderr. With one scenario and one
//! replication, `--json` prints the reference county model's object
//! (REFMODEL.md), which `anchors/compare_refcounty.py` compares with the
//! SimPy implementation.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tiercare_sim::report::{self, Report, ScenarioRuns};
use tiercare_sim::{Model, Run, Spec, run_replications, summary};

/// Options of `tiercare simulate`.
#[derive(clap::Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Scenario files (TOML); the first is the baseline the others are
    /// compared with.
    #[arg(required = true, value_name = "SCENARIO.toml")]
    pub scenarios: Vec<PathBuf>,
    /// Residents per partition (capacities scale with them). Default: the
    /// scenario's own.
    #[arg(long)]
    pub residents: Option<u64>,
    /// Seed of the replications' random numbers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Replications per scenario (run in parallel).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub replications: u32,
    /// Print JSON on stdout: the reference-model object for one scenario
    /// and one replication, the whole report otherwise.
    #[arg(long)]
    pub json: bool,
    /// Write the summary table as CSV (one row per scenario and indicator).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write the figures by group as CSV (one row per scenario, group and
    /// indicator: by condition, resident group, institution, alliance).
    #[arg(long, value_name = "FILE")]
    pub groups_csv: Option<PathBuf>,
    /// Write the resource flows between the region's institutions as CSV
    /// (one row per 30-day month, giver, receiver and kind: the columns
    /// of the platform's flows CSV, then the scenario).
    #[arg(long, value_name = "FILE")]
    pub flows_csv: Option<PathBuf>,
    /// Write a self-contained HTML report with charts.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the whole report as JSON.
    #[arg(long, value_name = "FILE")]
    pub out_json: Option<PathBuf>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Every indicator in the table, not only the headline.
    #[arg(long)]
    pub all: bool,
    /// No progress bar and no log lines on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `f` on a pool of `threads` workers, or on rayon's default pool.
pub fn with_threads<T: Send>(
    threads: Option<u32>,
    f: impl FnOnce() -> anyhow::Result<T> + Send,
) -> anyhow::Result<T> {
    match threads {
        Some(t) => rayon::ThreadPoolBuilder::new()
            .num_threads(t as usize)
            .build()
            .context("starting the worker threads")?
            .install(f),
        None => f(),
    }
}

/// A scenario read and compiled, under the name the report gives it.
struct Scenario {
    name: String,
    model: Model,
}

/// Reads and compiles the scenarios; errors name the file.
fn load(paths: &[PathBuf], residents: Option<u64>) -> anyhow::Result<Vec<Scenario>> {
    let mut models = Vec::new();
    for path in paths {
        let spec = Spec::load(path).with_context(|| format!("scenario {}", path.display()))?;
        let model = Model::compile(&spec, residents)
            .with_context(|| format!("scenario {}", path.display()))?;
        models.push(model);
    }
    let names = unique_names(paths, &models);
    Ok(models
        .into_iter()
        .zip(names)
        .map(|(model, name)| Scenario { name, model })
        .collect())
}

/// Scenario names for the report: the scenario's own, or its file's stem
/// when two share a name (a fitted scenario keeps its base's name).
fn unique_names(paths: &[PathBuf], models: &[Model]) -> Vec<String> {
    let count = |n: &str| models.iter().filter(|m| m.name == n).count();
    let mut names: Vec<String> = paths
        .iter()
        .zip(models)
        .map(|(p, m)| {
            if count(&m.name) > 1 {
                p.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| m.name.clone())
            } else {
                m.name.clone()
            }
        })
        .collect();
    for k in 1..names.len() {
        if names[..k].contains(&names[k]) {
            names[k] = format!("{} ({})", names[k], k + 1);
        }
    }
    names
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
pub fn progress_bar(len: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:16} [{bar:30}] {pos}/{len} days (eta {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Runs `tiercare simulate`.
pub fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    with_threads(args.threads, || simulate(args))
}

fn simulate(args: &SimulateArgs) -> anyhow::Result<()> {
    let mut scenarios = load(&args.scenarios, args.residents)?;
    // The region's table and the reference model's object show no group:
    // counting by group would only slow the run.
    let refmodel = args.json && scenarios.len() == 1 && args.replications == 1;
    let groups_shown = args.csv.is_some()
        || args.html.is_some()
        || args.out_json.is_some()
        || args.groups_csv.is_some()
        || (args.json && !refmodel);
    for s in &mut scenarios {
        s.model.count_groups = groups_shown;
    }
    let days: u64 = scenarios
        .iter()
        .map(|s| u64::from(s.model.days) * u64::from(s.model.partitions))
        .sum();
    let bar = progress_bar(days * u64::from(args.replications), args.quiet);
    let mut results: Vec<(Vec<Run>, f64)> = Vec::new();
    for s in &scenarios {
        bar.set_message(s.name.clone());
        let started = Instant::now();
        let runs = run_replications(&s.model, args.seed, args.replications, &|| bar.inc(1));
        let wall = started.elapsed().as_secs_f64();
        if !args.quiet {
            let visits: u64 = runs.iter().map(|r| r.visits(s.model.days)).sum();
            bar.suspend(|| {
                eprintln!(
                    "simulated {}: {} residents x {} partition(s), {} replication(s), {visits} visits in {wall:.2} s ({:.0} visits/s)",
                    s.name,
                    s.model.residents,
                    s.model.partitions,
                    runs.len(),
                    visits as f64 / wall.max(1e-9)
                )
            });
        }
        results.push((runs, wall));
    }
    bar.finish_and_clear();
    let inputs: Vec<ScenarioRuns<'_>> = scenarios
        .iter()
        .zip(&results)
        .map(|(s, (runs, _))| ScenarioRuns {
            name: &s.name,
            model: &s.model,
            runs,
        })
        .collect();
    let report = Report::build(&inputs);
    if let Some(path) = &args.csv {
        write_file(path, &report.csv())?;
    }
    if let Some(path) = &args.groups_csv {
        write_file(path, &report.groups_csv())?;
    }
    if let Some(path) = &args.flows_csv {
        write_file(path, &report.flows_csv())?;
    }
    if let Some(path) = &args.html {
        write_file(path, &report::html(&report))?;
    }
    if let Some(path) = &args.out_json {
        write_file(
            path,
            &format!("{}\n", serde_json::to_string_pretty(&report)?),
        )?;
    }
    let text = match (args.json, &scenarios[..], &results[..]) {
        (true, [s], [(runs, wall)]) if runs.len() == 1 => {
            let mut value = summary::refmodel_json(&s.model, &runs[0], *wall);
            let indicators = summary::region_indicators(&s.model, &runs[0]);
            if let Value::Object(map) = &mut value {
                map.insert("indicators".into(), serde_json::to_value(indicators)?);
            }
            serde_json::to_string_pretty(&value)?
        }
        (true, ..) => serde_json::to_string_pretty(&report)?,
        (false, ..) => table(&report, args.all),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", text.trim_end()).context("writing to stdout")?;
    Ok(())
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// `v` with as many decimals as a number of the size of `scale` needs.
fn value(v: f64, scale: f64) -> String {
    let scale = scale.abs();
    if !v.is_finite() {
        String::new()
    } else if scale >= 1000.0 {
        format!("{v:.0}")
    } else if scale >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// A mean and, when there is spread, its interval, all at one precision.
fn estimate(e: &report::Estimate) -> String {
    let scale = e.mean.abs().max(e.low.abs()).max(e.high.abs());
    if e.high > e.low {
        format!(
            "{} [{}, {}]",
            value(e.mean, scale),
            value(e.low, scale),
            value(e.high, scale)
        )
    } else {
        value(e.mean, scale)
    }
}

/// The report as text: a table of indicator, the baseline's mean with
/// its interval, then each scenario's mean and difference from the
/// baseline; and each scenario's resource flows.
pub fn table(report: &Report, all: bool) -> String {
    let Some(baseline) = report.scenarios.first() else {
        return String::new();
    };
    let headline = report::headline();
    let mut header = vec![
        "indicator".to_string(),
        format!("{} (baseline)", baseline.name),
    ];
    for s in &report.scenarios[1..] {
        header.push(s.name.clone());
        header.push(format!("{} - baseline", s.name));
    }
    let mut rows = vec![header];
    for row in &baseline.summary {
        if !all && !headline.contains(&row.indicator) {
            continue;
        }
        let mut cells = vec![row.indicator.clone(), estimate(&row.estimate)];
        for s in &report.scenarios[1..] {
            match s.row(&row.indicator) {
                Some(r) => {
                    cells.push(estimate(&r.estimate));
                    cells.push(r.diff.as_ref().map(estimate).unwrap_or_default());
                }
                None => cells.extend([String::new(), String::new()]),
            }
        }
        rows.push(cells);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for s in &report.scenarios {
        out.push_str(&format!(
            "{}: {} residents x {} partition(s), {} days, {} replication(s), seed {}\n",
            s.name,
            s.residents,
            s.partitions,
            s.days,
            s.replications,
            s.seed.map(|x| x.to_string()).unwrap_or_default()
        ));
    }
    if report.scenarios.iter().any(|s| s.replications > 1) {
        out.push_str("means over replications, [95% interval]\n");
    }
    out.push('\n');
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                if c == 0 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&report::flows::text(report));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_names_fall_back_to_file_stems() {
        let spec = Spec::from_toml(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../scenarios/refcounty.toml"
            ))
            .unwrap(),
        )
        .unwrap();
        let m = Model::compile(&spec, Some(100)).unwrap();
        let models = vec![m.clone(), m.clone(), m];
        let paths = ["a/refcounty.toml", "b/fitted.toml", "c/fitted.toml"].map(PathBuf::from);
        assert_eq!(
            unique_names(&paths, &models),
            ["refcounty", "fitted", "fitted (3)"]
        );
        assert_eq!(unique_names(&paths[..1], &models[..1]), ["refcounty"]);
    }

    #[test]
    fn values_are_rounded_to_their_size() {
        assert_eq!(value(443_120.4, 443_120.4), "443120");
        assert_eq!(value(12.345_6, 12.345_6), "12.35");
        assert_eq!(value(0.521_73, 0.521_73), "0.5217");
        assert_eq!(value(f64::NAN, 1.0), "");
        let e = report::Estimate {
            mean: 0.5,
            low: 0.49,
            high: 0.51,
        };
        assert_eq!(estimate(&e), "0.5000 [0.4900, 0.5100]");
        assert_eq!(estimate(&report::Estimate::exact(2.0)), "2.0000");
        // One precision for the mean and its interval.
        let d = report::Estimate {
            mean: -359.8,
            low: -1125.2,
            high: 405.5,
        };
        assert_eq!(estimate(&d), "-360 [-1125, 406]");
    }
}
