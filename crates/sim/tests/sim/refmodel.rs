//! The reference county model (REFMODEL.md) run as an ordinary scenario,
//! `scenarios/refcounty.toml`, agrees with its independent SimPy
//! implementation, `bench/anchors/refcounty_simpy.py`, within the sampling
//! noise that `bench/anchors/compare_refcounty.py` allows.
//!
//! The Python comes from `TIERCARE_PYTHON` (`scripts/test.sh` sets it to
//! the workspace's `.venv`, with SimPy), else `<workspace>/.venv` if it has
//! SimPy. Without either the test says so and does nothing; with
//! `TIERCARE_PYTHON` set it never skips.

use crate::helpers::{model, spec, workspace_root};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;
use tiercare_sim::{run_once, summary};

/// Residents of both runs: large enough that the script's tolerances are
/// several standard errors wide (about 200,000 visits), small enough for
/// SimPy to take a few seconds.
const RESIDENTS: u64 = 40_000;
const SEED: u64 = 1;

fn has_simpy(python: &PathBuf) -> bool {
    Command::new(python)
        .args(["-c", "import simpy"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The Python with SimPy, or `None` (and a message) when none is set up.
fn python() -> Option<PathBuf> {
    if let Some(python) = std::env::var_os("TIERCARE_PYTHON") {
        let python = PathBuf::from(python);
        assert!(
            has_simpy(&python),
            "TIERCARE_PYTHON={} cannot import simpy; run ./scripts/test.sh once",
            python.display()
        );
        return Some(python);
    }
    let venv = workspace_root().join(".venv/bin/python");
    if has_simpy(&venv) {
        return Some(venv);
    }
    eprintln!(
        "SKIPPED reference_county_agrees_with_simpy: TIERCARE_PYTHON is not set and \
         {} has no simpy; run ./scripts/test.sh (or set TIERCARE_PYTHON to a python with simpy)",
        venv.display()
    );
    None
}

#[test]
fn reference_county_agrees_with_simpy() {
    let Some(python) = python() else { return };
    let anchors = workspace_root().join("bench/anchors");
    let dir = tempfile::tempdir().expect("a temporary directory");

    let simpy = Command::new(&python)
        .arg(anchors.join("refcounty_simpy.py"))
        .args([
            "--residents",
            &RESIDENTS.to_string(),
            "--seed",
            &SEED.to_string(),
        ])
        .output()
        .expect("run refcounty_simpy.py");
    assert!(
        simpy.status.success(),
        "refcounty_simpy.py failed: {}",
        String::from_utf8_lossy(&simpy.stderr)
    );
    let simpy_json: Value = serde_json::from_slice(&simpy.stdout).expect("SimPy's JSON");
    let simpy_path = dir.path().join("simpy.json");
    std::fs::write(&simpy_path, &simpy.stdout).expect("write SimPy's JSON");

    let started = Instant::now();
    let m = model(&spec("refcounty"), RESIDENTS);
    let run = run_once(&m, SEED, 0, &|| {});
    let ours = summary::refmodel_json(&m, &run, started.elapsed().as_secs_f64());
    let ours_path = dir.path().join("tiercare.json");
    std::fs::write(&ours_path, serde_json::to_vec_pretty(&ours).expect("JSON"))
        .expect("write tiercare's JSON");

    // The same keys, so that the comparison is key by key.
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&simpy_json), keys(&ours));

    let compare = Command::new(&python)
        .arg(anchors.join("compare_refcounty.py"))
        .arg(&simpy_path)
        .arg(&ours_path)
        .output()
        .expect("run compare_refcounty.py");
    let report = String::from_utf8_lossy(&compare.stdout);
    println!("{report}");
    assert!(
        compare.status.success(),
        "tiercare and SimPy disagree:\n{report}{}",
        String::from_utf8_lossy(&compare.stderr)
    );
}
