//! Sign-in throttling: failed passwords counted per account and per client
//! address, locks when either goes over its limit, and a bound on password
//! checks running at once.
//!
//! A password check is an argon2 hash: 19 MiB of memory and tens of
//! milliseconds of a core. Unbounded, a flood of sign-ins takes gigabytes
//! and starves every other request; so checks run on `login_concurrency`
//! threads of their own (the allocator keeps a thread's freed hash memory
//! for that thread's next one, so few threads means little memory kept),
//! at most `login_queue` wait, and anyone beyond is answered 503 at once. A locked account or address is refused
//! before any hash is computed, so guessing costs the server nothing once
//! the lock is on.
//!
//! The counts live in this server's memory: each server of a deployment
//! counts its own, and a restart forgets them. The tally is bounded
//! (`MAX_TRACKED` keys), dropping what has expired first.

use crate::error::ApiError;
use crate::limits::Limits;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Keys tracked at most; beyond, new keys are not tracked until old ones
/// expire (the locks already on stay on).
const MAX_TRACKED: usize = 100_000;

/// Whose failures are counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// Usernames compare without case, as people type them.
    Account(String),
    Address(IpAddr),
}

/// Failures of one key within the current window.
#[derive(Debug, Clone, Copy)]
struct Tally {
    since: Instant,
    failures: u32,
    locked_until: Option<Instant>,
}

/// A password check waiting for a checking thread.
type Job = Box<dyn FnOnce() + Send>;

/// The sign-in guard of one server.
pub struct SignIns {
    limits: Limits,
    checks: Arc<Semaphore>,
    waiting: AtomicUsize,
    tallies: Mutex<HashMap<Key, Tally>>,
    /// The checking threads' queue; they end when the guard is dropped.
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
}

impl SignIns {
    pub fn new(limits: &Limits) -> SignIns {
        let threads = limits.login_concurrency.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-check-{i}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "no password-check thread");
            }
        }
        SignIns {
            limits: limits.clone(),
            checks: Arc::new(Semaphore::new(threads)),
            waiting: AtomicUsize::new(0),
            tallies: Mutex::new(HashMap::new()),
            jobs: Mutex::new(jobs),
        }
    }

    fn keys(username: &str, from: Option<IpAddr>) -> Vec<Key> {
        let mut keys = vec![Key::Account(username.trim().to_lowercase())];
        keys.extend(from.map(Key::Address));
        keys
    }

    /// Refuses a sign-in while its account or address is locked.
    pub fn admit(&self, username: &str, from: Option<IpAddr>) -> Result<(), ApiError> {
        let now = Instant::now();
        let tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        let wait = Self::keys(username, from)
            .iter()
            .filter_map(|k| tallies.get(k)?.locked_until)
            .filter(|until| *until > now)
            .max();
        match wait {
            None => Ok(()),
            Some(until) => Err(locked(until - now)),
        }
    }

    /// Runs a password check for a sign-in once a slot is free, or answers
    /// 503 when too many already wait. The lock is looked at again when
    /// the slot comes: sign-ins queued behind the failure that locked
    /// their account or address are refused without a check.
    pub async fn check<T: Send + 'static>(
        &self,
        username: &str,
        from: Option<IpAddr>,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.limits.login_queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::Busy(
                "too many sign-ins at once; try again in a moment".into(),
            ));
        }
        let permit = self.checks.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let permit = permit.map_err(|_| ApiError::Busy("the server is shutting down".into()))?;
        self.admit(username, from)?;
        // The check runs to its end even if the request is dropped, and
        // holds its slot until then.
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = answer.send(f());
            drop(permit);
        });
        let sent = self
            .jobs
            .lock()
            .map_err(|_| ApiError::Internal("password checks stopped".into()))?
            .send(job);
        if sent.is_err() {
            return Err(ApiError::Internal("password checks stopped".into()));
        }
        answered
            .await
            .map_err(|_| ApiError::Internal("a password check failed".into()))
    }

    /// Counts a failed sign-in; locks the account or the address when it
    /// reaches its limit.
    pub fn failed(&self, username: &str, from: Option<IpAddr>) {
        let now = Instant::now();
        let window = self.limits.login_lockout();
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        for key in Self::keys(username, from) {
            let limit = match key {
                Key::Account(_) => self.limits.login_failures_per_account,
                Key::Address(_) => self.limits.login_failures_per_address,
            };
            if !tallies.contains_key(&key) && tallies.len() >= MAX_TRACKED {
                tallies.retain(|_, t| t.since + window > now || t.locked_until > Some(now));
                if tallies.len() >= MAX_TRACKED {
                    continue;
                }
            }
            let tally = tallies.entry(key.clone()).or_insert(Tally {
                since: now,
                failures: 0,
                locked_until: None,
            });
            if tally.since + window <= now && tally.locked_until.is_none_or(|u| u <= now) {
                *tally = Tally {
                    since: now,
                    failures: 0,
                    locked_until: None,
                };
            }
            tally.failures = tally.failures.saturating_add(1);
            if tally.failures >= limit.max(1) && tally.locked_until.is_none_or(|u| u <= now) {
                tally.locked_until = Some(now + window);
                tracing::warn!(
                    ?key,
                    failures = tally.failures,
                    "sign-in locked after failed attempts"
                );
                metrics::counter!("tiercare_login_locks_total").increment(1);
            }
        }
    }

    /// A successful sign-in clears its account's failures (not its
    /// address's: one good password does not excuse guesses at others).
    pub fn succeeded(&self, username: &str) {
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        tallies.remove(&Key::Account(username.trim().to_lowercase()));
    }
}

fn locked(wait: Duration) -> ApiError {
    let seconds = wait.as_secs().max(1);
    ApiError::Throttled {
        message: format!(
            "too many failed sign-ins for this account or from this address; try again in {seconds} s"
        ),
        retry_after: seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            login_failures_per_account: 3,
            login_failures_per_address: 5,
            ..Limits::default()
        }
    }

    #[test]
    fn an_account_locks_after_its_limit_whatever_the_case_of_its_name() {
        let s = SignIns::new(&limits());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        for name in ["doctor", "Doctor", "DOCTOR "] {
            assert!(s.admit(name, Some(a)).is_ok());
            s.failed(name, Some(a));
        }
        assert!(matches!(
            s.admit("doctor", None),
            Err(ApiError::Throttled { .. })
        ));
        // Another account from another address is not affected.
        assert!(
            s.admit("analyst", Some("10.0.0.2".parse().unwrap()))
                .is_ok()
        );
    }

    #[test]
    fn an_address_locks_after_guesses_at_many_accounts() {
        let s = SignIns::new(&limits());
        let a: IpAddr = "10.0.0.9".parse().unwrap();
        for i in 0..5 {
            s.failed(&format!("user{i}"), Some(a));
        }
        assert!(matches!(
            s.admit("someone-else", Some(a)),
            Err(ApiError::Throttled { .. })
        ));
        assert!(s.admit("someone-else", None).is_ok());
    }

    #[test]
    fn a_success_clears_the_account_but_not_the_address() {
        let s = SignIns::new(&limits());
        let a: IpAddr = "10.0.0.3".parse().unwrap();
        s.failed("doctor", Some(a));
        s.failed("doctor", Some(a));
        s.succeeded("doctor");
        s.failed("doctor", Some(a));
        assert!(s.admit("doctor", None).is_ok());
    }

    #[tokio::test]
    async fn checks_beyond_the_queue_are_refused_at_once() {
        let s = Arc::new(SignIns::new(&Limits {
            login_concurrency: 1,
            login_queue: 1,
            ..Limits::default()
        }));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let first = {
            let s = s.clone();
            tokio::spawn(async move { s.check("a", None, move || rx.recv().is_ok()).await })
        };
        // Wait until the first check holds the only slot.
        while s.checks.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let second = {
            let s = s.clone();
            tokio::spawn(async move { s.check("b", None, || true).await })
        };
        while s.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            s.check("c", None, || true).await,
            Err(ApiError::Busy(_))
        ));
        tx.send(()).unwrap();
        assert!(first.await.unwrap().unwrap());
        assert!(second.await.unwrap().unwrap());
    }
}
