//! The joint programmes over the past year: outreach sessions, mentoring, co-managed panels.

use std::fmt;
use tiercare_api::AppState;
use tiercare_core::demo::DemoCounty;
use time::Date;

/// What was generated.
#[derive(Debug, Default)]
pub struct OutreachReport {}

impl fmt::Display for OutreachReport {
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
) -> anyhow::Result<OutreachReport> {
    let _ = (state, county, first, last, seed);
    Ok(OutreachReport::default())
}
