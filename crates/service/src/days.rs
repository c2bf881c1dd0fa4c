//! Days as the platform counts them: the daily indicator aggregates are
//! keyed by day number, and search terms carry dates as text.

use tiercare_core::indicators::Day;
use time::{Date, OffsetDateTime, UtcOffset};

/// China Standard Time: the region's wall clock, by which its users count
/// their working days and read times.
pub const LOCAL: UtcOffset = tiercare_core::CHINA_TIME;

/// The region's date at a moment: the working day it falls on.
pub fn local_date(at: OffsetDateTime) -> Date {
    at.to_offset(LOCAL).date()
}

/// Days are counted from 1970-01-01 on the platform.
pub fn day_of(date: Date) -> Day {
    date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY
}

/// The date of a platform day.
pub fn date_of(day: Day) -> Option<Date> {
    Date::from_julian_day(day + UNIX_EPOCH_JULIAN_DAY).ok()
}

/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// A date as `YYYY-MM-DD`, the form dates are searched by.
pub fn format_date(d: Date) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&fmt).unwrap_or_default()
}
