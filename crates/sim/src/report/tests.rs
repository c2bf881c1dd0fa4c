use super::*;
use crate::{Spec, run_replications};
use std::path::PathBuf;

fn refcounty() -> Spec {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/refcounty.toml");
    Spec::load(&path).unwrap()
}

/// The reference county and a reform where everyone has a family doctor,
/// three replications each, at a small size.
fn two_scenarios() -> (Model, Vec<Run>, Model, Vec<Run>) {
    let spec = refcounty();
    let base = Model::compile(&spec, Some(3000)).unwrap();
    let mut reform = spec.clone();
    reform.levers.contract_share_at_least = Some(1.0);
    let reform = Model::compile(&reform, Some(3000)).unwrap();
    let base_runs = run_replications(&base, 7, 3, &|| {});
    let reform_runs = run_replications(&reform, 7, 3, &|| {});
    (base, base_runs, reform, reform_runs)
}

const REFORM: &str = "Reform <b>&\"all\", contracted";

fn report() -> Report {
    let (base, base_runs, reform, reform_runs) = two_scenarios();
    Report::build(&[
        ScenarioRuns {
            name: "baseline",
            model: &base,
            runs: &base_runs,
        },
        ScenarioRuns {
            name: REFORM,
            model: &reform,
            runs: &reform_runs,
        },
    ])
}

#[test]
fn csv_fields_are_quoted_when_needed() {
    assert_eq!(csv_field("refcounty"), "refcounty");
    assert_eq!(csv_field("a,b"), "\"a,b\"");
    assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    assert_eq!(csv_field(""), "");
}

#[test]
fn flattened_names_use_level_and_scheme_codes() {
    let spec = refcounty();
    let model = Model::compile(&spec, Some(2000)).unwrap();
    let run = crate::run_once(&model, 1, 0, &|| {});
    let i = crate::summary::region_indicators(&model, &run);
    let flat = flatten(&i, &model.scheme_codes);
    let get = |n: &str| flat.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
    assert_eq!(get("visits"), Some(i.visits as f64));
    assert_eq!(
        get("levels.primary.visits"),
        Some(i.levels[0].visits as f64)
    );
    assert_eq!(
        get("pyramid.secondary.demand_share"),
        i.pyramid[1].demand_share
    );
    assert!(get("levels.primary.schemes.refcounty.visits").is_some());
    assert!(get("schemes.refcounty.out_of_pocket_share").is_some());
    assert_eq!(get("primary_visit_share"), i.primary_visit_share);
    // No chronic panel in the reference model: a `None` ratio is left out.
    assert!(i.chronic_management.is_none());
    assert!(get("chronic_management").is_none());
    assert!(
        flat.iter().all(|(k, _)| !k.starts_with("period")
            && !k.ends_with(".level")
            && !k.ends_with(".scheme")),
        "{flat:?}"
    );
}

#[test]
fn months_are_thirty_days_the_last_shorter() {
    let m = months(365);
    assert_eq!(m.len(), 13);
    assert_eq!(m[0], Period::new(0, 29));
    assert_eq!(m[1], Period::new(30, 59));
    assert_eq!(m[12], Period::new(360, 364));
    assert_eq!(months(60).len(), 2);
    assert_eq!(months(1), vec![Period::new(0, 0)]);
}

#[test]
fn report_tables_differences_and_series() {
    let r = report();
    assert_eq!(r.baseline, "baseline");
    let (b, s) = (&r.scenarios[0], &r.scenarios[1]);
    assert_eq!(b.replications, 3);
    // The headline comes first.
    assert_eq!(b.summary[0].indicator, "episodes");
    assert_eq!(b.summary[2].indicator, "primary_visit_share");
    // The baseline has no difference; the reform's is its mean minus the
    // baseline's.
    assert!(b.summary.iter().all(|row| row.diff.is_none()));
    let visits = s.row("visits").unwrap();
    let d = visits.diff.unwrap();
    let base_visits = b.row("visits").unwrap().estimate.mean;
    assert!((d.mean - (visits.estimate.mean - base_visits)).abs() < 1e-6);
    assert!(d.low < d.mean && d.mean < d.high);
    let v = b.row("visits").unwrap();
    assert_eq!(v.replications, 3);
    assert!(v.estimate.low < v.estimate.mean && v.estimate.mean < v.estimate.high);
    // Visits by level add up to the visits.
    let by_level: f64 = Level::ALL
        .iter()
        .map(|l| {
            b.row(&format!("levels.{}.visits", l.code()))
                .unwrap()
                .estimate
                .mean
        })
        .sum();
    assert!((by_level - v.estimate.mean).abs() < 1e-6);
    // Everyone contracted: coverage rises to 1.
    let cov = s.row("contract_coverage").unwrap();
    assert!((cov.estimate.mean - 1.0).abs() < 1e-9);
    assert!(cov.diff.unwrap().mean > 0.3);
    // Monthly series: 13 months, whose referrals add up to the year's.
    assert_eq!(b.series.months.len(), 13);
    let up = &b.series.values["referrals_up"];
    assert_eq!(up.len(), 13);
    let year: f64 = up.iter().map(|v| v.unwrap()).sum();
    assert!((year - b.row("referrals_up").unwrap().estimate.mean).abs() < 1e-6);
    assert!(
        b.series.values["primary_visit_share"]
            .iter()
            .all(|v| v.is_some_and(|x| (0.0..=1.0).contains(&x)))
    );
    assert!(
        b.series.values["chronic_management"]
            .iter()
            .all(Option::is_none)
    );
}

#[test]
fn csv_has_a_row_per_scenario_and_indicator() {
    let r = report();
    let csv = r.csv();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("scenario,indicator,mean,low,high,diff,diff_low,diff_high")
    );
    let rows: usize = r
        .scenarios
        .iter()
        .map(|s| s.summary.len() + s.odds_ratios.iter().filter(|o| o.replications > 0).count())
        .sum();
    assert_eq!(csv.lines().count(), rows + 1);
    let first = lines.next().unwrap();
    assert!(first.starts_with("baseline,episodes,"));
    assert!(first.ends_with(",,,"), "{first}");
    let quoted = "\"Reform <b>&\"\"all\"\", contracted\",visits,";
    let reform = csv.lines().find(|l| l.starts_with(quoted)).unwrap();
    // Eight fields: the quoted name holds a comma of its own.
    assert_eq!(reform.split(',').count(), 9, "{reform}");
    assert!(!reform.ends_with(','));
}

#[test]
fn html_has_an_svg_per_chart_and_escapes_names() {
    let r = report();
    let page = html(&r);
    let charts = html::charts(&r);
    // Every monthly indicator with data (chronic management has none in
    // the reference model), plus the level shares and referral flows.
    let with_data = series_indicators()
        .iter()
        .filter(|n| {
            r.scenarios
                .iter()
                .any(|s| s.series.values[*n].iter().any(Option::is_some))
        })
        .count();
    assert_eq!(with_data, series_indicators().len() - 1);
    assert_eq!(charts.len(), with_data + 2);
    assert_eq!(page.matches("<svg").count(), charts.len());
    assert_eq!(page.matches("</svg>").count(), charts.len());
    assert!(page.contains("Reform &lt;b&gt;&amp;&quot;all&quot;, contracted"));
    assert!(!page.contains("<b>"));
    assert!(!page.contains("<script"));
    assert!(page.contains("Visits by level"));
    assert!(page.contains("<td title=\"levels.primary.visits\">Visits (primary)</td>"));
}

#[test]
fn one_replication_reports_the_value_itself() {
    let spec = refcounty();
    let model = Model::compile(&spec, Some(2000)).unwrap();
    let runs = run_replications(&model, 3, 1, &|| {});
    let r = Report::build(&[ScenarioRuns {
        name: "only",
        model: &model,
        runs: &runs,
    }]);
    let v = r.scenarios[0].row("visits").unwrap();
    assert_eq!(v.replications, 1);
    assert_eq!(
        v.estimate,
        Estimate::exact(runs[0].visits(model.days) as f64)
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["baseline"], "only");
    assert_eq!(json["scenarios"][0]["summary"][1]["indicator"], "visits");
    assert!(json["scenarios"][0]["summary"][1].get("diff").is_none());
    assert_eq!(
        json["scenarios"][0]["series"]["values"]["referrals_up"]
            .as_array()
            .map(Vec::len),
        Some(13)
    );
}
