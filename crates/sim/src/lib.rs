//! tiercare's policy simulator.
//!
//! A health commission describes its region and a reform in TOML
//! ([`spec`]); the scenario is compiled against the core's own rules
//! ([`model`]: insurance prices, gatekeeping, catalogue positioning,
//! reserved slots), run day by day by a discrete-event engine, and measured
//! by the core's indicator accumulator: no indicator is defined twice.
//! [`run`] runs replications in parallel; a run depends only on its seed.
//! [`strata`] counts the same facts by condition and resident group.
//! [`report`] compares scenarios with a baseline (tables with intervals,
//! by group, odds ratios, paired differences, monthly series, CSV, JSON
//! and HTML with charts); [`calibrate`] fits the level constants to
//! observed visit shares. [`emergency`] follows the five time-critical
//! emergencies through the county's centres to their 30-day outcome.
//!
//! It owns simulation; it depends on `tiercare-core` (its rules) and
//! `tiercare-chart` (the report's charts) only, and must not depend on the
//! store, the services or any face: a simulation touches no database.

pub mod calibrate;
pub mod emergency;
mod engine;
pub mod inpatient;
pub mod model;
mod population;
pub mod report;
pub mod run;
pub mod spec;
pub mod strata;
pub mod summary;

pub use engine::Tally;
pub use model::Model;
pub use run::{Run, run_once, run_replications};
pub use spec::{Spec, SpecError};
