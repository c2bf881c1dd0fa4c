//! Running a compiled scenario: partitions and replications in parallel,
//! each from its own seed, merged in a way that does not depend on the
//! number of threads (every counter is an integer, so sums are exact in
//! any order).

use crate::engine::{Partition, Tally};
use crate::model::Model;
use crate::strata::GroupCounts;
use rayon::prelude::*;
use std::time::Instant;
use tiercare_core::indicators::{Accumulator, Period, Subject};

/// One replication's result.
#[derive(Debug, Clone)]
pub struct Run {
    pub replication: u32,
    pub seed: u64,
    pub accumulator: Accumulator,
    /// How the episodes ended (every one exactly once).
    pub tally: Tally,
    /// The facts again by condition, resident group and settlement.
    pub groups: GroupCounts,
    /// The time-critical emergencies and what became of them.
    pub emergencies: crate::emergency::Counts,
    pub wall_seconds: f64,
}

impl Run {
    /// The whole simulated period.
    pub fn period(&self, days: u32) -> Period {
        Period::new(0, days as i32 - 1)
    }

    /// Visits simulated.
    pub fn visits(&self, days: u32) -> u64 {
        self.accumulator
            .indicators(self.period(days), Subject::Region)
            .visits
    }
}

/// A well-mixed 64-bit hash (SplitMix64), so neighbouring seeds give
/// unrelated streams.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs one replication: every partition (in parallel), merged.
/// `progress` is called once per simulated day of each partition.
pub fn run_once(model: &Model, seed: u64, replication: u32, progress: &(dyn Fn() + Sync)) -> Run {
    let started = Instant::now();
    let run_seed = mix(seed ^ mix(u64::from(replication)));
    let counted = model.days - model.warmup;
    let (accumulator, tally, groups, emergencies) = (0..model.partitions)
        .into_par_iter()
        .map(|p| {
            let seed = mix(run_seed ^ mix(u64::from(p) + 1));
            let (a, t, g) = Partition::new(model, seed).run(progress);
            // Emergencies draw from streams of their own: no other figure
            // moves when they change.
            let e = crate::emergency::simulate(&model.emergency, model.residents, counted, seed);
            (a, t, g, e)
        })
        .reduce(
            || {
                (
                    Accumulator::new(model.directory.clone()),
                    Tally::default(),
                    GroupCounts::new(&model.layout),
                    crate::emergency::Counts::default(),
                )
            },
            |(mut a, mut ta, mut ga, mut ea), (b, tb, gb, eb)| {
                // Same directory on both sides: merging cannot fail.
                let _ = a.merge(&b);
                ta.add(&tb);
                ga.add(&gb);
                ea.add(&eb);
                (a, ta, ga, ea)
            },
        );
    Run {
        replication,
        seed,
        accumulator,
        tally,
        groups,
        emergencies,
        wall_seconds: started.elapsed().as_secs_f64(),
    }
}

/// Runs `replications` replications in parallel, in replication order.
pub fn run_replications(
    model: &Model,
    seed: u64,
    replications: u32,
    progress: &(dyn Fn() + Sync),
) -> Vec<Run> {
    (0..replications)
        .into_par_iter()
        .map(|r| run_once(model, seed, r, progress))
        .collect()
}
