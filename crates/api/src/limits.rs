//! The limits on what one client may ask of a server, in one place.
//!
//! Every limit here has a default that suits a county's deployment on a
//! small machine and a configuration key of the same name (`tiercare.toml`
//! or `TIERCARE_<NAME>`; the README lists them). A client that goes over a
//! limit gets a 4xx answer that names the limit; none of them lets one
//! client starve the others of connections, memory, the writer or the CPU.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Limits on connections, requests, logins and indicator periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Open connections served at once; a connection over the limit is
    /// closed at once, so the process never runs out of file handles.
    /// Keep it below the process's `ulimit -n`. Default 4,096.
    pub max_connections: usize,
    /// Longest a client may take to send a request's headers, in ms; it
    /// also closes keep-alive connections idle that long. Default 10,000.
    pub header_read_timeout_ms: u64,
    /// Longest a request may run before it is answered 408, in ms. A write
    /// that has reached the store is never answered 408: the answer waits
    /// for the commit. Default 60,000.
    pub request_timeout_ms: u64,
    /// Entries one transaction or batch Bundle may carry; more is refused
    /// with 413 before anything is written, so one Bundle never holds the
    /// writer for seconds. Default 1,000.
    pub max_bundle_entries: usize,
    /// Longest indicator period one request may ask for, in days (the
    /// dashboard and `$evaluate-measure`). Default 3,660 (ten years).
    pub max_period_days: u32,
    /// Failed sign-ins to one account before it is locked for
    /// `login_lockout_seconds`. Default 5.
    pub login_failures_per_account: u32,
    /// Failed sign-ins from one client address (any accounts) before the
    /// address is locked for `login_lockout_seconds`. Default 20.
    pub login_failures_per_address: u32,
    /// How long a lock lasts, and the window failures are counted in, in
    /// seconds. Default 900.
    pub login_lockout_seconds: u64,
    /// Password checks run at once. Each takes the hash's memory (19 MiB)
    /// and a core for tens of milliseconds, so this bounds both.
    /// Default 2.
    pub login_concurrency: usize,
    /// Sign-ins that may wait for a password check; more are answered 503
    /// at once. Default 64.
    pub login_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            header_read_timeout_ms: 10_000,
            request_timeout_ms: 60_000,
            max_bundle_entries: 1000,
            max_period_days: 3660,
            login_failures_per_account: 5,
            login_failures_per_address: 20,
            login_lockout_seconds: 900,
            login_concurrency: 2,
            login_queue: 64,
        }
    }
}

impl Limits {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms.max(1))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.max(1))
    }

    pub fn login_lockout(&self) -> Duration {
        Duration::from_secs(self.login_lockout_seconds)
    }

    /// The period `first..=last` (days), or why it is too long, naming the
    /// limit.
    pub fn check_period_days(&self, days: i64) -> Result<(), String> {
        if days > i64::from(self.max_period_days) {
            return Err(format!(
                "the period is {days} days; at most {} days may be asked for at once \
                 (setting max_period_days)",
                self.max_period_days
            ));
        }
        Ok(())
    }
}

/// Token lifetimes a server accepts in its settings: at least a minute,
/// at most thirty days.
pub const TOKEN_TTL_SECONDS: std::ops::RangeInclusive<i64> = 60..=30 * 24 * 3600;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_over_the_limit_names_the_setting() {
        let limits = Limits::default();
        assert!(limits.check_period_days(3660).is_ok());
        let err = limits.check_period_days(3661).unwrap_err();
        assert!(err.contains("max_period_days"), "{err}");
    }
}
