//! `tiercare calibrate`: fit a scenario's level constants to observed
//! visit shares and write the fitted scenario over it.

use crate::simulate::with_threads;
use anyhow::{Context, bail};
use std::path::PathBuf;
use tiercare_sim::Spec;
use tiercare_sim::calibrate::{Iteration, Targets, calibrate, write_fitted};

/// Options of `tiercare calibrate`.
#[derive(clap::Args, Debug, Clone)]
pub struct CalibrateArgs {
    /// The scenario whose constants are fitted (TOML).
    #[arg(value_name = "SCENARIO.toml")]
    pub scenario: PathBuf,
    /// Observed share of outpatient visits at primary institutions.
    #[arg(long)]
    pub primary_share: f64,
    /// Observed share of outpatient visits at tertiary institutions.
    #[arg(long)]
    pub tertiary_share: Option<f64>,
    /// Residents per partition for the runs. Default: the scenario's own.
    #[arg(long)]
    pub residents: Option<u64>,
    /// Seed of every run (the same in each: common random numbers).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Largest absolute difference from a target share accepted.
    #[arg(long, default_value_t = Targets::TOLERANCE)]
    pub tolerance: f64,
    /// Runs tried at most.
    #[arg(long, default_value_t = Targets::MAX_ITERATIONS)]
    pub max_iterations: u32,
    /// Where to write the fitted scenario. Default: SCENARIO-fitted.toml
    /// beside the input.
    #[arg(long, value_name = "FITTED.toml")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
}

/// Runs `tiercare calibrate`.
pub fn run(args: &CalibrateArgs) -> anyhow::Result<()> {
    let path = &args.scenario;
    let spec = Spec::load(path).with_context(|| format!("scenario {}", path.display()))?;
    let targets = Targets {
        primary_share: args.primary_share,
        tertiary_share: args.tertiary_share,
        tolerance: args.tolerance,
        max_iterations: args.max_iterations,
    };
    let out = match &args.out {
        Some(out) => out.clone(),
        None => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "scenario".into());
            path.with_file_name(format!("{stem}-fitted.toml"))
        }
    };
    let tertiary = args
        .tertiary_share
        .map(|t| format!(", tertiary share {t}"))
        .unwrap_or_default();
    println!(
        "calibrating {} ({} residents, seed {}): primary share {}{tertiary}, tolerance {}",
        spec.name,
        args.residents.unwrap_or(spec.residents),
        args.seed,
        args.primary_share,
        args.tolerance
    );
    println!(
        "{:>4}  {:>13}  {:>12}  {:>13}  {:>14}  {:>7}",
        "run", "asc secondary", "asc tertiary", "primary share", "tertiary share", "error"
    );
    let print = |it: &Iteration| {
        println!(
            "{:>4}  {:>13.4}  {:>12.4}  {:>13.4}  {:>14.4}  {:>7.4}",
            it.number, it.asc[1], it.asc[2], it.primary_share, it.tertiary_share, it.error
        );
    };
    let calibration = with_threads(args.threads, || {
        calibrate(&spec, args.residents, args.seed, &targets, &mut |it| {
            print(it)
        })
        .with_context(|| format!("calibrating {}", path.display()))
    })?;
    let asc = calibration.asc;
    if !calibration.converged {
        bail!(
            "no constants within {} of the targets after {} runs (best: asc [{}, {}, {}], primary share {:.4}, tertiary share {:.4}); nothing written",
            args.tolerance,
            calibration.iterations.len(),
            asc[0],
            asc[1],
            asc[2],
            calibration.primary_share,
            calibration.tertiary_share
        );
    }
    println!(
        "fitted: asc = [{}, {:.6}, {:.6}] (primary share {:.4}, tertiary share {:.4})",
        asc[0], asc[1], asc[2], calibration.primary_share, calibration.tertiary_share
    );
    write_fitted(&out, path, &calibration, &targets)?;
    println!("wrote {}", out.display());
    Ok(())
}
