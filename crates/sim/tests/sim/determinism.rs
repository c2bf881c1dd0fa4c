//! A run depends only on its seed: not on the run before it, nor on the
//! number of threads that ran its partitions and replications.

use crate::helpers::{model, run, spec};
use serde_json::Value;
use tiercare_sim::{Model, run_once, run_replications, summary};

/// The reference model's JSON of a run, without the wall-clock figures.
fn figures(model: &Model, run: &tiercare_sim::Run) -> Value {
    let mut json = summary::refmodel_json(model, run, 1.0);
    let object = json.as_object_mut().expect("a JSON object");
    object.remove("wall_seconds");
    object.remove("visits_per_second");
    json
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

#[test]
fn same_seed_gives_identical_indicators() {
    let m = model(&spec("zx-baseline"), 20_000);
    let (run_a, a) = run(&m, 7);
    let (run_b, b) = run(&m, 7);
    assert!(a.visits > 0, "the run simulated nothing");
    assert_eq!(a, b);
    assert_eq!(run_a.tally, run_b.tally);
    assert_eq!(figures(&m, &run_a), figures(&m, &run_b));
}

#[test]
fn different_seeds_give_different_results() {
    let m = model(&spec("zx-baseline"), 20_000);
    let (run_a, a) = run(&m, 1);
    let (run_b, b) = run(&m, 2);
    assert_ne!(a, b);
    assert_ne!(figures(&m, &run_a), figures(&m, &run_b));
    // Replications of one seed are different runs too.
    let runs = run_replications(&m, 1, 2, &|| {});
    assert_ne!(
        summary::region_indicators(&m, &runs[0]),
        summary::region_indicators(&m, &runs[1])
    );
}

#[test]
fn thread_count_does_not_change_a_single_county() {
    let m = model(&spec("zx-baseline"), 20_000);
    let one = in_pool(1, || run(&m, 3));
    let two = in_pool(2, || run(&m, 3));
    assert_eq!(one.1, two.1);
    assert_eq!(one.0.tally, two.0.tally);
}

#[test]
fn thread_count_does_not_change_a_province_of_partitions() {
    // 75 counties of 400 residents: every partition runs in parallel and
    // the merge order must not matter.
    let m = model(&spec("province"), 400);
    assert_eq!(m.partitions, 75);
    let one = in_pool(1, || run_once(&m, 11, 0, &|| {}));
    let two = in_pool(2, || run_once(&m, 11, 0, &|| {}));
    assert_eq!(
        summary::region_indicators(&m, &one),
        summary::region_indicators(&m, &two)
    );
    assert_eq!(one.tally, two.tally);
    assert_eq!(figures(&m, &one), figures(&m, &two));
    // The figures by group too: integer counts merged in any order.
    let groups = |r| {
        tiercare_sim::strata::breakdown(&m, r)
            .into_iter()
            .map(|g| (g.dimension, g.group, g.indicators))
            .collect::<Vec<_>>()
    };
    assert_eq!(groups(&one), groups(&two));
    // The partitions are not copies of one another: a province's episodes
    // are not 75 times one county's.
    let county = model(&spec("zx-baseline"), 400);
    let (_, single) = run(&county, 11);
    assert_ne!(
        summary::region_indicators(&m, &one).episodes,
        75 * single.episodes
    );
}

#[test]
fn thread_count_does_not_change_replications() {
    let m = model(&spec("zx-baseline"), 10_000);
    let one = in_pool(1, || run_replications(&m, 5, 3, &|| {}));
    let two = in_pool(2, || run_replications(&m, 5, 3, &|| {}));
    assert_eq!(one.len(), 3);
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(a.replication, b.replication);
        assert_eq!(
            summary::region_indicators(&m, a),
            summary::region_indicators(&m, b)
        );
    }
}
