//! Scenario files of the repository, compiled at test sizes, and runs.

use std::path::{Path, PathBuf};
use tiercare_core::indicators::Indicators;
use tiercare_sim::{Model, Run, Spec, run_once, run_replications, summary};

/// The workspace root (where `scenarios/` and `bench/` are).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// `scenarios/<name>.toml`.
pub fn scenario_path(name: &str) -> PathBuf {
    workspace_root()
        .join("scenarios")
        .join(format!("{name}.toml"))
}

/// A scenario of the repository, by name.
pub fn spec(name: &str) -> Spec {
    let path = scenario_path(name);
    Spec::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A scenario compiled for `residents` per partition.
pub fn model(spec: &Spec, residents: u64) -> Model {
    Model::compile(spec, Some(residents)).unwrap_or_else(|e| panic!("{}: {e}", spec.name))
}

/// One replication and its region-wide indicators.
pub fn run(model: &Model, seed: u64) -> (Run, Indicators) {
    let run = run_once(model, seed, 0, &|| {});
    let indicators = summary::region_indicators(model, &run);
    (run, indicators)
}

/// The indicators of `replications` replications pooled into one
/// accumulator (counts add up; shares are over all replications).
pub fn pooled(model: &Model, seed: u64, replications: u32) -> Indicators {
    let runs = run_replications(model, seed, replications, &|| {});
    let mut first = runs[0].clone();
    for r in &runs[1..] {
        first
            .accumulator
            .merge(&r.accumulator)
            .expect("replications of one model share a directory");
    }
    summary::region_indicators(model, &first)
}

/// A share that must be there.
pub fn share(name: &str, value: Option<f64>) -> f64 {
    value.unwrap_or_else(|| panic!("{name} has no denominator"))
}
