//! What a report gives beyond the region's table: differences paired on
//! shared seeds, a warm-up left out of every figure, monthly volumes, and
//! the figures by group in JSON, CSV and HTML.

use crate::helpers::{model, spec};
use tiercare_sim::report::{self, Report, Sample, ScenarioRuns, stats};
use tiercare_sim::{Model, Run, run_replications, summary};

const RESIDENTS: u64 = 6_000;

fn runs(m: &Model, seed: u64, n: u32) -> Vec<Run> {
    run_replications(m, seed, n, &|| {})
}

fn primary_shares(runs: &[Run], m: &Model) -> Vec<f64> {
    runs.iter()
        .map(|r| {
            summary::region_indicators(m, r)
                .primary_visit_share
                .expect("visits")
        })
        .collect()
}

#[test]
fn shared_seeds_give_paired_differences_narrower_than_welch() {
    let base = model(&spec("refcounty"), RESIDENTS);
    let mut s = spec("refcounty");
    s.levers.contract_share_at_least = Some(0.6);
    let reform = model(&s, RESIDENTS);
    let (b, r) = (runs(&base, 11, 6), runs(&reform, 11, 6));
    let report = Report::build(&[
        ScenarioRuns {
            name: "base",
            model: &base,
            runs: &b,
        },
        ScenarioRuns {
            name: "reform",
            model: &reform,
            runs: &r,
        },
    ]);
    let reform_report = &report.scenarios[1];
    assert_eq!(reform_report.difference.as_deref(), Some("paired"));
    let (xs, ys) = (primary_shares(&r, &reform), primary_shares(&b, &base));
    let welch = Sample::of(&xs)
        .unwrap()
        .difference(&Sample::of(&ys).unwrap());
    let pairs: Vec<(f64, f64)> = xs.iter().copied().zip(ys.iter().copied()).collect();
    let paired = stats::paired_difference(&pairs).unwrap();
    let row = reform_report.row("primary_visit_share").unwrap();
    assert_eq!(row.diff, Some(paired));
    assert!(
        paired.low > 0.0,
        "more contracts raise the share: {paired:?}"
    );
    let width = |e: &report::Estimate| e.high - e.low;
    assert!(
        width(&paired) < 0.7 * width(&welch),
        "paired {paired:?}, Welch {welch:?}"
    );
    // Other seeds: nothing to pair, Welch's interval.
    let other = runs(&reform, 12, 6);
    let report = Report::build(&[
        ScenarioRuns {
            name: "base",
            model: &base,
            runs: &b,
        },
        ScenarioRuns {
            name: "reform",
            model: &reform,
            runs: &other,
        },
    ]);
    assert_eq!(report.scenarios[1].difference.as_deref(), Some("welch"));
}

#[test]
fn the_warm_up_is_run_and_left_out() {
    let mut s = spec("refcounty");
    s.days = 90;
    s.warmup_days = 60;
    let m = model(&s, RESIDENTS);
    assert_eq!((m.days, m.warmup), (150, 60));
    let r = runs(&m, 5, 1);
    let counted = summary::region_indicators(&m, &r[0]);
    // Episodes started in the warm-up are in the tally, not the figures.
    assert!(counted.episodes > 0);
    let share = counted.episodes as f64 / r[0].tally.started as f64;
    assert!((0.5..0.7).contains(&share), "{share}");
    let report = Report::build(&[ScenarioRuns {
        name: "warm",
        model: &m,
        runs: &r,
    }]);
    let sc = &report.scenarios[0];
    assert_eq!((sc.days, sc.warmup_days), (90, 60));
    assert_eq!(sc.series.months.len(), 3);
    assert_eq!(sc.series.months[0].first, 60);
    assert_eq!(sc.series.months[2].last, 149);
    assert_eq!(
        sc.row("episodes").map(|r| r.estimate.mean),
        Some(counted.episodes as f64)
    );
    // The groups count the same period.
    let by_condition: f64 = sc
        .groups
        .iter()
        .filter(|g| g.dimension == "condition")
        .filter_map(|g| g.summary.iter().find(|r| r.indicator == "episodes"))
        .map(|r| r.estimate.mean)
        .sum();
    assert_eq!(by_condition, counted.episodes as f64);
}

#[test]
fn monthly_volumes_add_up_to_the_year() {
    let m = model(&spec("zx-baseline"), RESIDENTS);
    let r = runs(&m, 8, 1);
    let report = Report::build(&[ScenarioRuns {
        name: "zx",
        model: &m,
        runs: &r,
    }]);
    let sc = &report.scenarios[0];
    for name in [
        "episodes",
        "visits",
        "admissions",
        "levels.primary.visits",
        "first_contacts_by_level.primary",
        "first_contacts_by_level.tertiary",
    ] {
        let months: f64 = sc.series.values[name].iter().flatten().sum();
        let year = sc.row(name).map(|r| r.estimate.mean);
        assert_eq!(Some(months), year, "{name}");
        assert!(months > 0.0, "{name}");
    }
}

#[test]
fn groups_are_in_the_json_the_csv_and_the_page() {
    let m = model(&spec("zx-baseline"), RESIDENTS);
    let r = runs(&m, 9, 2);
    let report = Report::build(&[ScenarioRuns {
        name: "zx",
        model: &m,
        runs: &r,
    }]);
    let json = serde_json::to_value(&report).unwrap();
    let groups = json["scenarios"][0]["groups"].as_array().unwrap();
    for dimension in tiercare_sim::strata::DIMENSIONS {
        assert!(
            groups.iter().any(|g| g["dimension"] == dimension),
            "{dimension} missing"
        );
    }
    let odds = &json["scenarios"][0]["odds_ratios"][0];
    assert_eq!(odds["group"], "contracted");
    assert!(odds["mean"].as_f64().unwrap() > 0.0);
    let csv = report.groups_csv();
    assert!(csv.starts_with("scenario,dimension,group,indicator,mean,"));
    let line = csv
        .lines()
        .find(|l| l.starts_with("zx,condition,I10-I15,primary_visit_share,"))
        .expect("hypertension's primary share");
    assert_eq!(line.split(',').count(), 10);
    let rows: usize = report.scenarios[0]
        .groups
        .iter()
        .map(|g| g.summary.len())
        .sum();
    assert_eq!(csv.lines().count(), rows + 1);
    assert!(
        report
            .csv()
            .lines()
            .any(|l| l.starts_with("zx,odds_ratio.primary_first_contact.contracted,"))
    );
    let page = report::html(&report);
    assert!(page.contains("<h2>By condition</h2>"));
    assert!(page.contains("<h2>By settlement</h2>"));
    assert!(page.contains("Odds of a first contact at primary care"));
}
