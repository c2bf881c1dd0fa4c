//! Waits are a property of the region, not of how many residents are
//! simulated: capacity scales with the population, so a county run at a
//! tenth of its size should queue about as long.

use crate::helpers::{model, pooled, spec};
use tiercare_core::Level;

fn tertiary_wait(residents: u64) -> f64 {
    let i = pooled(&model(&spec("zx-baseline"), residents), 9, 1);
    i.levels[Level::Tertiary.index()]
        .mean_wait_days
        .expect("tertiary visits")
}

/// Residents weigh the wait they would be quoted (days to the next open
/// public slot), which does not shrink with the region's size.
#[test]
fn the_tertiary_wait_does_not_depend_on_the_population_size() {
    let small = tertiary_wait(30_000);
    let large = tertiary_wait(600_000);
    assert!(small > 0.5, "the tertiary hospital is crowded: {small}");
    assert!(
        large < 1.5 * small && large > small / 1.5,
        "tertiary wait {small:.2} days at 30,000 residents, {large:.2} at 600,000"
    );
}
