//! `tiercare simulate` and `tiercare calibrate`, run as a user runs them:
//! the built binary, from the workspace root, on the shipped scenarios.

use crate::helpers::workspace_root;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const REFMODEL_KEYS: [&str; 13] = [
    "episodes",
    "visits",
    "visits_total",
    "primary_share",
    "up_referrals",
    "down_referrals",
    "overuse_share",
    "mean_wait_days",
    "total_cost",
    "total_oop",
    "wall_seconds",
    "visits_per_second",
    // Not a reference-model key: the full indicators ride along.
    "indicators",
];

fn tiercare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tiercare"))
        .current_dir(workspace_root())
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> &Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&ok(out).stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The reference county at 20,000 residents, with `extra` options (seed 1
/// unless they give another).
fn refcounty(extra: &[&str]) -> Value {
    let mut args = vec![
        "simulate",
        "scenarios/refcounty.toml",
        "--residents",
        "20000",
        "--json",
    ];
    if !extra.contains(&"--seed") {
        args.extend(["--seed", "1"]);
    }
    args.extend(extra);
    json(&tiercare(&args))
}

/// The object without its timing keys.
fn untimed(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v {
        map.remove("wall_seconds");
        map.remove("visits_per_second");
    }
    v
}

#[test]
fn simulate_json_has_the_reference_model_keys() {
    let v = refcounty(&[]);
    let map = v.as_object().unwrap();
    for key in REFMODEL_KEYS {
        assert!(map.contains_key(key), "missing {key}: {v}");
    }
    assert_eq!(map.len(), REFMODEL_KEYS.len(), "{:?}", map.keys());
    let share = v["primary_share"].as_f64().unwrap();
    assert!((0.4..=0.65).contains(&share), "primary share {share}");
    let visits = &v["visits"];
    let by_level: u64 = ["primary", "secondary", "tertiary"]
        .iter()
        .map(|l| visits[l].as_u64().unwrap())
        .sum();
    assert_eq!(v["visits_total"].as_u64(), Some(by_level));
    assert!(by_level > 50_000, "{by_level} visits");
    let episodes = v["episodes"].as_u64().unwrap();
    // About 3.9 episodes a resident a year.
    assert!((60_000..100_000).contains(&episodes), "{episodes}");
    let (up, down) = (
        v["up_referrals"].as_u64().unwrap(),
        v["down_referrals"].as_u64().unwrap(),
    );
    assert!(up > 0 && down > up, "up {up}, down {down}");
    let overuse = v["overuse_share"].as_f64().unwrap();
    assert!((0.1..0.5).contains(&overuse), "{overuse}");
    for l in ["primary", "secondary", "tertiary"] {
        let w = v["mean_wait_days"][l].as_f64().unwrap();
        assert!((0.0..30.0).contains(&w), "wait at {l}: {w}");
    }
    let (cost, oop) = (
        v["total_cost"].as_f64().unwrap(),
        v["total_oop"].as_f64().unwrap(),
    );
    assert!(oop > 0.0 && oop < cost, "oop {oop} of {cost}");
    assert!(v["wall_seconds"].as_f64().unwrap() > 0.0);
    assert!(v["visits_per_second"].as_f64().unwrap() > 0.0);
    // The extra key is the core's indicators of the same run.
    assert_eq!(v["indicators"]["visits"], v["visits_total"]);
    assert_eq!(v["indicators"]["primary_visit_share"], v["primary_share"]);
}

#[test]
fn simulate_is_deterministic_for_a_seed() {
    let a = untimed(refcounty(&[]));
    let b = untimed(refcounty(&[]));
    assert_eq!(a, b);
    let other = untimed(refcounty(&["--seed", "2"]));
    assert_ne!(a["indicators"], other["indicators"]);
}

#[test]
fn simulate_threads_do_not_change_the_results() {
    let one = untimed(refcounty(&["--threads", "1"]));
    let two = untimed(refcounty(&["--threads", "2"]));
    assert_eq!(one["indicators"], two["indicators"]);
    assert_eq!(one, two);
}

#[test]
fn simulate_bad_scenario_path_names_the_file() {
    let out = tiercare(&["simulate", "scenarios/no-such-county.toml", "--json"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "stdout must stay clean");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-county.toml"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn simulate_bad_field_names_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad-reform.toml");
    let base = workspace_root().join("scenarios/refcounty.toml");
    std::fs::write(
        &bad,
        format!(
            "base = {:?}\n[levers]\nprimary_capacity_factor = -1.0\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let out = tiercare(&["simulate", bad.to_str().unwrap(), "--residents", "1000"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad-reform.toml"), "{err}");
    assert!(err.contains("levers.primary_capacity_factor"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // A field of the wrong type: the TOML error names it too.
    std::fs::write(
        &bad,
        format!(
            "base = {:?}\n[choice]\nasc = \"high\"\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let out = tiercare(&["simulate", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad-reform.toml") && err.contains("asc"),
        "{err}"
    );
}

#[test]
fn simulate_writes_csv_html_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, html, report, groups, flows) = (
        dir.path().join("out.csv"),
        dir.path().join("out.html"),
        dir.path().join("report.json"),
        dir.path().join("groups.csv"),
        dir.path().join("flows.csv"),
    );
    let out = tiercare(&[
        "simulate",
        "scenarios/refcounty.toml",
        "scenarios/refcounty-contracts.toml",
        "--residents",
        "5000",
        "--replications",
        "3",
        "--json",
        "--quiet",
        "--csv",
        csv.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--out-json",
        report.to_str().unwrap(),
        "--groups-csv",
        groups.to_str().unwrap(),
        "--flows-csv",
        flows.to_str().unwrap(),
    ]);
    let v = json(&out);
    assert!(
        out.stderr.is_empty(),
        "--quiet: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Several scenarios: stdout is the report, the same as the file.
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v, file);
    assert_eq!(v["baseline"], "refcounty");
    let scenarios = v["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 2);
    assert_eq!(scenarios[1]["name"], "contracts-80");
    assert_eq!(scenarios[1]["replications"], 3);
    let row = |s: &Value, name: &str| {
        s["summary"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["indicator"] == name)
            .cloned()
            .unwrap()
    };
    // One seed for both scenarios: differences are paired.
    assert_eq!(scenarios[1]["difference"], "paired");
    let cov = row(&scenarios[1], "contract_coverage");
    assert!(cov["diff"]["low"].as_f64().unwrap() > 0.2, "{cov}");
    assert!(row(&scenarios[0], "visits").get("diff").is_none());
    let share = row(&scenarios[0], "primary_visit_share");
    assert!(share["low"].as_f64() < share["high"].as_f64(), "{share}");
    assert_eq!(
        scenarios[0]["series"]["values"]["primary_visit_share"]
            .as_array()
            .map(Vec::len),
        Some(13)
    );

    let csv = std::fs::read_to_string(&csv).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("scenario,indicator,mean,low,high,diff,diff_low,diff_high")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 8));
    assert!(
        rows.iter()
            .any(|r| r[0] == "refcounty" && r[1] == "primary_visit_share" && r[5].is_empty())
    );
    assert!(
        rows.iter()
            .any(|r| r[0] == "contracts-80" && r[1] == "primary_visit_share" && !r[5].is_empty())
    );

    // The odds of a first contact at primary care, contracted or not.
    assert!(rows.iter().any(|r| r[0] == "contracts-80"
        && r[1] == "odds_ratio.primary_first_contact.contracted"
        && r[3].parse::<f64>().is_ok_and(|low| low > 1.0)));

    let groups = std::fs::read_to_string(&groups).unwrap();
    assert!(groups.starts_with("scenario,dimension,group,indicator,mean,low,high,diff,"));
    assert!(
        groups
            .lines()
            .any(|l| l.starts_with("contracts-80,contract,contracted,visits,"))
    );

    // The resource flows: the region's network (the reference county has
    // no alliance) with its partnerships by class, and its rows as CSV in
    // the platform's columns.
    let networks = scenarios[0]["flows"]["networks"].as_array().unwrap();
    assert_eq!(networks.len(), 1);
    assert_eq!(networks[0]["scope"], "region");
    let up = networks[0]["totals"]["patients-up"].as_f64().unwrap();
    assert!(up > 0.0, "{}", networks[0]["totals"]);
    let classes = &networks[0]["classes"];
    let counted: u64 = ["one-way", "commensal", "mutual"]
        .iter()
        .map(|c| classes[c].as_u64().unwrap())
        .sum();
    assert_eq!(
        counted,
        networks[0]["partnerships"].as_array().unwrap().len() as u64
    );
    assert!(counted > 0);
    let flows = std::fs::read_to_string(&flows).unwrap();
    let mut lines = flows.lines();
    assert_eq!(
        lines.next(),
        Some("month,from,from_name,to,to_name,kind,unit,amount,scenario")
    );
    let csv_up: f64 = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r[5] == "patients-up" && r[8] == "refcounty")
        .map(|r| r[7].parse::<f64>().unwrap())
        .sum();
    assert!((csv_up - up).abs() < 1e-6, "{csv_up} against {up}");

    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h2>By contract</h2>"));
    assert!(html.contains("<h2>Resource flows</h2>"));
    assert!(html.matches("<svg").count() >= 3, "charts");
    assert!(!html.contains("<script") && !html.contains("src=\""));
}

#[test]
fn simulate_prints_a_table_without_json() {
    let out = tiercare(&[
        "simulate",
        "scenarios/refcounty.toml",
        "scenarios/refcounty-contracts.toml",
        "--residents",
        "3000",
        "--replications",
        "2",
    ]);
    let text = String::from_utf8_lossy(&ok(&out).stdout).into_owned();
    let header = text
        .lines()
        .find(|l| l.starts_with("indicator"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(header.contains("refcounty (baseline)"), "{header}");
    assert!(header.contains("contracts-80 - baseline"), "{header}");
    let share = text
        .lines()
        .find(|l| l.starts_with("primary_visit_share"))
        .unwrap();
    // Baseline mean [interval], scenario mean [interval], difference [interval].
    assert_eq!(share.matches('[').count(), 3, "{share}");
    // Each scenario's flows follow the table.
    assert!(
        text.lines()
            .any(|l| l == "contracts-80 / region (9 institutions)"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("partnerships: "))
    );
    // Logs went to stderr, not into the table.
    assert!(!text.contains("simulated"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("simulated refcounty"));
}

#[test]
fn simulate_after_calibrate_reproduces_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let fitted = dir.path().join("fitted.toml");
    let out = tiercare(&[
        "calibrate",
        "scenarios/refcounty.toml",
        "--primary-share",
        "0.6",
        "--residents",
        "20000",
        "--out",
        fitted.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&ok(&out).stdout).into_owned();
    assert!(text.contains("fitted: asc = [0, "), "{text}");
    let text_file = std::fs::read_to_string(&fitted).unwrap();
    let table: toml_like::Keys = toml_like::keys(&text_file);
    assert_eq!(table, ["base", "[choice]", "asc"], "{text_file}");
    assert!(Path::new(&fitted).exists());
    // The fitted file is a scenario over refcounty with the fitted share,
    // on the same residents and seed.
    let v = json(&tiercare(&[
        "simulate",
        fitted.to_str().unwrap(),
        "--residents",
        "20000",
        "--seed",
        "1",
        "--json",
    ]));
    let share = v["primary_share"].as_f64().unwrap();
    assert!((share - 0.6).abs() <= 0.005, "{share}");

    let out = tiercare(&[
        "calibrate",
        "scenarios/refcounty.toml",
        "--primary-share",
        "1.5",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("primary_share") && err.contains("refcounty.toml"),
        "{err}"
    );
}

/// The keys and tables of a small TOML file, in order, ignoring comments
/// (the test binary does not depend on a TOML parser).
mod toml_like {
    pub type Keys = Vec<String>;

    pub fn keys(text: &str) -> Keys {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                if l.starts_with('[') {
                    l.to_string()
                } else {
                    l.split('=').next().unwrap_or("").trim().to_string()
                }
            })
            .collect()
    }
}
