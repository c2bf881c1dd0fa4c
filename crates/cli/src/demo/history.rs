//! Residents' care over the past year: contracts, visits at every level, referrals up and down.

use std::fmt;
use tiercare_api::AppState;
use tiercare_core::demo::DemoCounty;
use time::Date;

/// What was generated.
#[derive(Debug, Default)]
pub struct HistoryReport {}

impl fmt::Display for HistoryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "nothing yet")
    }
}

/// Runs the county's activity from `first` to `last` (inclusive) through
/// the services, moving `state`'s clock day by day.
pub async fn run(
    state: &AppState,
    county: &DemoCounty,
    first: Date,
    last: Date,
    seed: u64,
) -> anyhow::Result<HistoryReport> {
    let _ = (state, county, first, last, seed);
    Ok(HistoryReport::default())
}
