//! Fitting the level constants of the choice model to observed shares.
//!
//! A region's statistics yearbook gives the share of visits made at
//! primary institutions (and often at tertiary ones); the behaviour behind
//! them is unknown. Calibration adjusts the secondary and tertiary
//! constants of `choice.asc` (primary stays as it is, the reference) until
//! the baseline run reproduces those shares. Every iteration runs with the
//! same seed (common random numbers), so the only thing that changes from
//! one iteration to the next is the constants: the method is deterministic
//! and the search is not misled by sampling noise.
//!
//! - With the primary share alone, one number is fitted: a shift of both
//!   hospital constants together (their difference is kept), by the secant
//!   method, the first step taken from the logit's own sensitivity.
//! - With the tertiary share too, each hospital constant moves by the log
//!   ratio of its target to its simulated share, relative to primary's
//!   (`asc_l += ln(target_l / share_l) - ln(target_p / share_p)`): the
//!   fixed point of a multinomial logit's shares.
//!
//! The fitted scenario is written as a small TOML file over the input, so
//! it stays a reform-style layer: the region is still described once.

use crate::model::Model;
use crate::run::run_once;
use crate::spec::{Spec, SpecError};
use serde::Serialize;
use std::path::{Component, Path, PathBuf};
use tiercare_core::Level;
use tiercare_core::indicators::Subject;

/// Why a calibration could not be done or written.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("target `{field}`: {message}")]
    Target {
        field: &'static str,
        message: String,
    },
    #[error("the run with asc {asc:?} made no outpatient visits: no share to fit")]
    NoVisits { asc: [f64; 3] },
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// The shares to reproduce, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Targets {
    /// Share of outpatient visits at primary institutions.
    pub primary_share: f64,
    /// Share of outpatient visits at tertiary institutions, if known.
    pub tertiary_share: Option<f64>,
    /// Largest absolute difference accepted, per share.
    pub tolerance: f64,
    /// Runs tried at most (the input's constants are the first).
    pub max_iterations: u32,
}

impl Targets {
    /// The default tolerance: half a percentage point, finer than what a
    /// yearbook's shares can be trusted to.
    pub const TOLERANCE: f64 = 0.005;
    /// The default number of runs.
    pub const MAX_ITERATIONS: u32 = 20;

    /// Targets for the primary share alone, with the default stopping rule.
    pub fn primary(share: f64) -> Targets {
        Targets {
            primary_share: share,
            tertiary_share: None,
            tolerance: Targets::TOLERANCE,
            max_iterations: Targets::MAX_ITERATIONS,
        }
    }

    fn check(&self) -> Result<(), CalibrateError> {
        let target = |field, message: &str| CalibrateError::Target {
            field,
            message: message.to_string(),
        };
        let unit = |v: f64| v > 0.0 && v < 1.0;
        if !unit(self.primary_share) {
            return Err(target("primary_share", "must be strictly between 0 and 1"));
        }
        if let Some(t) = self.tertiary_share {
            if !unit(t) {
                return Err(target("tertiary_share", "must be strictly between 0 and 1"));
            }
            if self.primary_share + t >= 1.0 {
                return Err(target(
                    "tertiary_share",
                    "primary and tertiary shares must leave some visits to secondary",
                ));
            }
        }
        if !(self.tolerance > 0.0 && self.tolerance < 1.0) {
            return Err(target("tolerance", "must be between 0 and 1"));
        }
        if self.max_iterations == 0 {
            return Err(target("max_iterations", "must be at least 1"));
        }
        Ok(())
    }

    /// The largest distance of `shares` from the targets.
    fn error(&self, primary: f64, tertiary: f64) -> f64 {
        let p = (primary - self.primary_share).abs();
        match self.tertiary_share {
            Some(t) => p.max((tertiary - t).abs()),
            None => p,
        }
    }
}

/// One run of the search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Iteration {
    /// From 1.
    pub number: u32,
    pub asc: [f64; 3],
    pub primary_share: f64,
    pub tertiary_share: f64,
    /// Largest distance from a target.
    pub error: f64,
}

/// The outcome: the best constants found and every run on the way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub asc: [f64; 3],
    pub primary_share: f64,
    pub tertiary_share: f64,
    /// Whether the best run is within the tolerance.
    pub converged: bool,
    pub iterations: Vec<Iteration>,
    /// Residents per partition and seed of the runs: the shares hold for
    /// these (another size or seed gives them within sampling noise).
    pub residents: u64,
    pub seed: u64,
}

/// Fits `choice.asc` of `spec` (run at `residents` per partition, or the
/// spec's own number) to `targets`, reporting each iteration to
/// `on_iteration` as it ends.
pub fn calibrate(
    spec: &Spec,
    residents: Option<u64>,
    seed: u64,
    targets: &Targets,
    on_iteration: &mut dyn FnMut(&Iteration),
) -> Result<Calibration, CalibrateError> {
    targets.check()?;
    let start = spec.choice.asc;
    let size = residents.unwrap_or(spec.residents);
    let mut spec = spec.clone();
    let mut iterations: Vec<Iteration> = Vec::new();
    let mut evaluate = |asc: [f64; 3]| -> Result<Iteration, CalibrateError> {
        spec.choice.asc = asc;
        let (primary_share, tertiary_share) = shares(&spec, residents, seed)?;
        let it = Iteration {
            number: iterations.len() as u32 + 1,
            asc,
            primary_share,
            tertiary_share,
            error: targets.error(primary_share, tertiary_share),
        };
        on_iteration(&it);
        iterations.push(it);
        Ok(it)
    };
    let mut current = evaluate(start)?;
    let mut previous: Option<Iteration> = None;
    let mut runs = 1;
    while current.error > targets.tolerance && runs < targets.max_iterations {
        let next = match targets.tertiary_share {
            None => shift_step(&current, previous.as_ref(), targets.primary_share, start),
            Some(t) => ratio_step(&current, targets.primary_share, t),
        };
        previous = Some(current);
        current = evaluate(next)?;
        runs += 1;
    }
    let best = iterations
        .iter()
        .copied()
        .min_by(|a, b| a.error.total_cmp(&b.error))
        .unwrap_or(current);
    Ok(Calibration {
        asc: best.asc,
        primary_share: best.primary_share,
        tertiary_share: best.tertiary_share,
        converged: best.error <= targets.tolerance,
        iterations,
        residents: size,
        seed,
    })
}

/// The primary and tertiary shares of outpatient visits in one run.
fn shares(spec: &Spec, residents: Option<u64>, seed: u64) -> Result<(f64, f64), CalibrateError> {
    let model = Model::compile(spec, residents)?;
    let run = run_once(&model, seed, 0, &|| {});
    let i = run.accumulator.indicators(model.counted(), Subject::Region);
    let no_visits = || CalibrateError::NoVisits {
        asc: spec.choice.asc,
    };
    if i.outpatient_visits == 0 {
        return Err(no_visits());
    }
    let primary = i.primary_visit_share.ok_or_else(no_visits)?;
    let tertiary =
        i.levels[Level::Tertiary.index()].outpatient_visits as f64 / i.outpatient_visits as f64;
    Ok((primary, tertiary))
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// The largest change of a constant in one step: beyond it the shares
/// saturate and the next step would learn nothing.
const MAX_STEP: f64 = 3.0;

/// The next shift of both hospital constants (from `start`): secant on
/// the last two runs when they give a usable slope, else the logit step
/// (a primary share `p` moves by `p(1 - p)` per unit of the shift).
fn shift_step(
    current: &Iteration,
    previous: Option<&Iteration>,
    target: f64,
    start: [f64; 3],
) -> [f64; 3] {
    let shift = |it: &Iteration| it.asc[1] - start[1];
    let (x1, y1) = (shift(current), current.primary_share - target);
    let logit_step = logit(current.primary_share) - logit(target);
    let step = match previous {
        Some(p) => {
            let (x0, y0) = (shift(p), p.primary_share - target);
            let slope = (y1 - y0) / (x1 - x0);
            // Raising the hospitals' constants lowers the primary share:
            // a slope of any other sign is noise, not information.
            if slope.is_finite() && slope < 0.0 {
                -y1 / slope
            } else {
                logit_step
            }
        }
        None => logit_step,
    };
    let x = x1 + step.clamp(-MAX_STEP, MAX_STEP);
    [current.asc[0], start[1] + x, start[2] + x]
}

/// The next constants from the log ratios of target to simulated shares,
/// relative to primary (whose constant is the reference).
fn ratio_step(current: &Iteration, primary: f64, tertiary: f64) -> [f64; 3] {
    let floor = |v: f64| v.max(1e-6);
    let secondary_share = floor(1.0 - current.primary_share - current.tertiary_share);
    let reference = (primary / floor(current.primary_share)).ln();
    let secondary = ((1.0 - primary - tertiary) / secondary_share).ln() - reference;
    let tertiary = (tertiary / floor(current.tertiary_share)).ln() - reference;
    [
        current.asc[0],
        current.asc[1] + secondary.clamp(-MAX_STEP, MAX_STEP),
        current.asc[2] + tertiary.clamp(-MAX_STEP, MAX_STEP),
    ]
}

/// The fitted scenario: `base` (a path relative to the fitted file's
/// folder) and the fitted constants, with a comment saying how they were
/// found.
pub fn fitted_scenario(base: &str, calibration: &Calibration, targets: &Targets) -> String {
    let mut choice = toml::Table::new();
    choice.insert(
        "asc".into(),
        toml::Value::Array(calibration.asc.iter().map(|&a| a.into()).collect()),
    );
    let mut table = toml::Table::new();
    table.insert("base".into(), base.into());
    table.insert("choice".into(), choice.into());
    let tertiary = targets
        .tertiary_share
        .map(|t| format!(", tertiary {t} (reached {:.4})", calibration.tertiary_share))
        .unwrap_or_default();
    format!(
        "# Level constants fitted by `tiercare calibrate` to the shares of\n\
         # outpatient visits: primary {} (reached {:.4}){tertiary},\n\
         # in {} runs of {} residents with seed {}.\n{}",
        targets.primary_share,
        calibration.primary_share,
        calibration.iterations.len(),
        calibration.residents,
        calibration.seed,
        table
    )
}

/// Writes the fitted scenario of `input` to `out`, its `base` given
/// relative to `out`'s folder so the pair can move together.
pub fn write_fitted(
    out: &Path,
    input: &Path,
    calibration: &Calibration,
    targets: &Targets,
) -> Result<(), CalibrateError> {
    let write_error = |message: String| CalibrateError::Write {
        path: out.to_path_buf(),
        message,
    };
    let base = base_path(out, input).map_err(write_error)?;
    std::fs::write(out, fitted_scenario(&base, calibration, targets))
        .map_err(|e| write_error(e.to_string()))
}

/// `input` as seen from the folder of `out`: relative when the two share
/// a folder below the root, absolute otherwise.
fn base_path(out: &Path, input: &Path) -> Result<String, String> {
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let folder = folder
        .canonicalize()
        .map_err(|e| format!("folder {}: {e}", folder.display()))?;
    let input = input
        .canonicalize()
        .map_err(|e| format!("scenario {}: {e}", input.display()))?;
    let from: Vec<Component> = folder.components().collect();
    let to: Vec<Component> = input.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let shared_root = from
        .iter()
        .take(common)
        .all(|c| matches!(c, Component::RootDir | Component::Prefix(_)));
    if shared_root {
        return input
            .to_str()
            .map(str::to_string)
            .ok_or_else(|| format!("scenario path {} is not UTF-8", input.display()));
    }
    let mut rel = PathBuf::new();
    for _ in common..from.len() {
        rel.push("..");
    }
    for c in &to[common..] {
        rel.push(c);
    }
    let text = rel
        .to_str()
        .ok_or_else(|| format!("scenario path {} is not UTF-8", input.display()))?;
    Ok(text.replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refcounty_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/refcounty.toml")
    }

    #[test]
    fn fits_the_primary_share_moving_hospital_constants_down() {
        let spec = Spec::load(&refcounty_path()).unwrap();
        let targets = Targets::primary(0.60);
        let mut seen = Vec::new();
        let c = calibrate(&spec, Some(20_000), 1, &targets, &mut |it| seen.push(*it)).unwrap();
        assert!(c.converged, "{c:#?}");
        assert!((c.primary_share - 0.60).abs() <= 0.005, "{c:#?}");
        // The reference model's share is about 0.52: more primary care
        // needs less attractive hospitals.
        assert!(c.iterations[0].primary_share < 0.56);
        assert!(c.asc[1] < 0.3 && c.asc[2] < 0.8, "{:?}", c.asc);
        assert_eq!(c.asc[0], 0.0);
        // The hospitals' difference is kept when only one share is given.
        assert!(((c.asc[2] - c.asc[1]) - 0.5).abs() < 1e-9);
        assert_eq!(seen, c.iterations);
        assert!(c.iterations.len() <= 6, "{} runs", c.iterations.len());
        // Common random numbers: the same constants give the same share.
        let again = calibrate(&spec, Some(20_000), 1, &targets, &mut |_| {}).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn fits_primary_and_tertiary_shares() {
        let spec = Spec::load(&refcounty_path()).unwrap();
        let targets = Targets {
            tertiary_share: Some(0.12),
            ..Targets::primary(0.55)
        };
        let c = calibrate(&spec, Some(20_000), 1, &targets, &mut |_| {}).unwrap();
        assert!(c.converged, "{c:#?}");
        assert!((c.primary_share - 0.55).abs() <= 0.005);
        assert!((c.tertiary_share - 0.12).abs() <= 0.005);
        assert_eq!(c.asc[0], 0.0);
    }

    #[test]
    fn refuses_impossible_targets() {
        let spec = Spec::load(&refcounty_path()).unwrap();
        for targets in [
            Targets::primary(1.2),
            Targets::primary(0.0),
            Targets {
                tertiary_share: Some(0.5),
                ..Targets::primary(0.6)
            },
            Targets {
                max_iterations: 0,
                ..Targets::primary(0.5)
            },
        ] {
            let e = calibrate(&spec, Some(1000), 1, &targets, &mut |_| {}).unwrap_err();
            assert!(matches!(e, CalibrateError::Target { .. }), "{e}");
        }
    }

    #[test]
    fn stops_at_the_iteration_limit() {
        let spec = Spec::load(&refcounty_path()).unwrap();
        let targets = Targets {
            tolerance: 1e-9,
            max_iterations: 2,
            ..Targets::primary(0.6)
        };
        let c = calibrate(&spec, Some(2000), 1, &targets, &mut |_| {}).unwrap();
        assert_eq!(c.iterations.len(), 2);
        assert!(!c.converged);
    }

    #[test]
    fn the_fitted_file_is_a_scenario_over_its_input() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("fitted.toml");
        let calibration = Calibration {
            asc: [0.0, -0.25, 0.125],
            primary_share: 0.6,
            tertiary_share: 0.1,
            converged: true,
            iterations: Vec::new(),
            residents: 20_000,
            seed: 1,
        };
        write_fitted(
            &out,
            &refcounty_path(),
            &calibration,
            &Targets::primary(0.6),
        )
        .unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let table: toml::Table = text.parse().unwrap();
        assert_eq!(table.len(), 2, "{text}");
        assert_eq!(table["choice"].as_table().map(toml::Table::len), Some(1));
        let base = table["base"].as_str().unwrap();
        assert!(base.ends_with("scenarios/refcounty.toml"), "{base}");
        let fitted = Spec::load(&out).unwrap();
        assert_eq!(fitted.choice.asc, [0.0, -0.25, 0.125]);
        assert_eq!(fitted.name, "refcounty");
        assert_eq!(fitted.institution.len(), 9);
        // Into a folder that does not exist: an error naming the file.
        let bad = dir.path().join("missing/fitted.toml");
        let e = write_fitted(
            &bad,
            &refcounty_path(),
            &calibration,
            &Targets::primary(0.6),
        )
        .unwrap_err();
        assert!(e.to_string().contains("missing/fitted.toml"), "{e}");
    }

    #[test]
    fn relative_base_within_a_tree_absolute_across_trees() {
        let input = refcounty_path();
        let out = input.with_file_name("fitted.toml");
        assert_eq!(base_path(&out, &input).unwrap(), "refcounty.toml");
        let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/fitted.toml");
        assert_eq!(
            base_path(&out, &input).unwrap(),
            "../../../scenarios/refcounty.toml"
        );
        // From the root, nothing but the root is shared: absolute.
        let base = base_path(Path::new("/fitted.toml"), &input).unwrap();
        assert!(Path::new(&base).is_absolute(), "{base}");
        assert!(base_path(&out, Path::new("no/such/file.toml")).is_err());
    }
}
