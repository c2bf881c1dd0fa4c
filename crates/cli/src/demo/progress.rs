//! The demo load's progress on stderr: one line per phase as it ends, so
//! whoever starts `tiercare demo` on a fresh database sees what the
//! minute is spent on. Off unless the command line turns it on (tests load
//! the demo quietly).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

static ON_STDERR: AtomicBool = AtomicBool::new(false);

/// Turns the progress lines on (the `demo` command does).
pub fn report_progress(on: bool) {
    ON_STDERR.store(on, Ordering::Relaxed);
}

/// The phases of one load, numbered out of `of`.
pub(crate) struct Phases {
    of: usize,
    done: usize,
    started: Instant,
    phase: Instant,
}

impl Phases {
    pub(crate) fn new(of: usize) -> Phases {
        let now = Instant::now();
        Phases {
            of,
            done: 0,
            started: now,
            phase: now,
        }
    }

    /// A phase ended: `what` it did.
    pub(crate) fn done(&mut self, what: &str) {
        self.done += 1;
        if ON_STDERR.load(Ordering::Relaxed) {
            eprintln!(
                "[{}/{}] {what} ({:.1} s; {:.1} s in all)",
                self.done,
                self.of,
                self.phase.elapsed().as_secs_f64(),
                self.started.elapsed().as_secs_f64()
            );
        }
        self.phase = Instant::now();
    }
}
