//! The time the services act at.
//!
//! A live deployment reads the system clock. Loading history (the demo
//! county's past year, a migration of last year's paper referrals) runs the
//! very same services with a clock that is set by the loader, so a referral
//! requested "last March" carries last March in its events and lands on
//! last March's indicator day. Sessions and tokens always expire in real
//! time: they are read from the system clock directly, never from here.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

/// Where the services' "now" comes from. Cheap to clone; clones of a set
/// clock share one time.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Unix time in milliseconds, when the loader sets the time.
    set: Option<Arc<AtomicI64>>,
    /// Milliseconds a running clock is ahead of the system clock.
    ahead: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock {
            set: None,
            ahead: None,
        }
    }

    /// The system clock, which [`advance`](Self::advance) moves ahead:
    /// time keeps running, so a rehearsal of the loop (or a test) can reach
    /// the day of a booked visit, whose arrival is refused the day before,
    /// without standing still.
    pub fn running() -> Clock {
        Clock {
            set: None,
            ahead: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// A clock that stands at `at` until [`set`](Self::set) moves it.
    pub fn set_at(at: OffsetDateTime) -> Clock {
        Clock {
            set: Some(Arc::new(AtomicI64::new(millis(at)))),
            ahead: None,
        }
    }

    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        match &self.set {
            None => {
                let ahead = self.ahead.as_ref().map_or(0, |a| a.load(Ordering::Relaxed));
                OffsetDateTime::now_utc() + time::Duration::milliseconds(ahead)
            }
            Some(ms) => {
                let nanos = i128::from(ms.load(Ordering::Relaxed)) * 1_000_000;
                OffsetDateTime::from_unix_timestamp_nanos(nanos)
                    .unwrap_or_else(|_| OffsetDateTime::now_utc())
            }
        }
    }

    /// Today's date (UTC).
    pub fn today(&self) -> time::Date {
        self.now().date()
    }

    /// Moves a set clock to `at`; the system clock cannot be moved and
    /// ignores it.
    pub fn set(&self, at: OffsetDateTime) {
        if let Some(ms) = &self.set {
            ms.store(millis(at), Ordering::Relaxed);
        }
    }

    /// Moves a set or running clock forward by `by`; the system clock
    /// cannot be moved and ignores it.
    pub fn advance(&self, by: time::Duration) {
        let by = i64::try_from(by.whole_milliseconds()).unwrap_or(0).max(0);
        if let Some(ms) = self.set.as_ref().or(self.ahead.as_ref()) {
            ms.fetch_add(by, Ordering::Relaxed);
        }
    }

    /// Whether this is the system clock, unmoved.
    pub fn is_system(&self) -> bool {
        self.set.is_none() && self.ahead.is_none()
    }
}

fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_set_clock_stands_still_until_moved_and_clones_share_it() {
        let c = Clock::set_at(datetime!(2025-03-01 08:30 UTC));
        let shared = c.clone();
        assert_eq!(c.now(), datetime!(2025-03-01 08:30 UTC));
        c.set(datetime!(2025-03-02 09:00 UTC));
        assert_eq!(shared.now(), datetime!(2025-03-02 09:00 UTC));
        assert_eq!(shared.today(), time::macros::date!(2025 - 03 - 02));
    }

    #[test]
    fn a_running_clock_runs_ahead_by_what_it_was_advanced() {
        let c = Clock::running();
        let before = OffsetDateTime::now_utc();
        c.advance(time::Duration::days(2));
        let now = c.now();
        assert!(now >= before + time::Duration::days(2));
        assert!(
            now < OffsetDateTime::now_utc() + time::Duration::days(2) + time::Duration::minutes(1)
        );
        assert!(!c.is_system());
    }

    #[test]
    fn the_system_clock_ignores_set() {
        let c = Clock::system();
        c.set(datetime!(2001-01-01 0:00 UTC));
        assert!(c.now().year() > 2001);
        assert!(c.is_system());
    }
}
