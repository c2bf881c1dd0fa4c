//! Remote readings at resource-sharing hubs, counted by cohort.
//!
//! A reading's every step (ordered, reported, cancelled, its critical
//! alert acknowledged) counts on the day it was ordered, at both ends: at
//! the hub's institution (what it read for others) and at the ordering
//! member (what it had read remotely). Times are kept as counts per fixed
//! time bucket, not as sums, so that percentiles of any period and
//! subject come from added-up daily counters exactly as from the raw
//! facts.
//!
//! # Time buckets
//!
//! A time (turnaround from order to report, or acknowledgement from the
//! alert to the ordering doctor's acknowledgement) is taken in whole
//! minutes, rounded up (a report after 4 min 10 s took 5 minutes), and
//! counted in the first bucket whose upper edge it does not pass:
//! [`TIME_EDGES_MINUTES`] are those edges (5, 10, 15, 20, 30 and 45
//! minutes; 1, 1½, 2, 3, 4, 6, 8 and 12 hours; 1, 1½, 2, 3, 5 and 7 days),
//! chosen so a stat ECG's deadline (minutes) and a routine imaging study's
//! (working days) both fall on an edge. Times beyond the last edge share
//! one overflow bucket.
//!
//! A percentile is the nearest rank's bucket: of `n` times, the
//! `⌈p·n/100⌉`-th smallest lies in some bucket, and the figure is that
//! bucket's upper edge ("p90 within 30 minutes"). In the overflow bucket
//! it is the last edge, a lower bound.

use super::{Day, Ix};
use crate::hub::ReadingPriority;
use serde::{Deserialize, Serialize};

/// Upper edges of the time buckets, in minutes (see the module
/// documentation).
pub const TIME_EDGES_MINUTES: [u32; 20] = [
    5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440, 2160, 2880, 4320, 7200,
    10080,
];

/// Buckets per time: one per edge, and the overflow.
pub const TIME_BUCKETS: usize = TIME_EDGES_MINUTES.len() + 1;

/// Counts per time bucket.
pub type TimeBuckets = [u64; TIME_BUCKETS];

/// Whole minutes of `seconds`, rounded up (never negative).
pub fn minutes_of(seconds: i64) -> u32 {
    let s = seconds.max(0);
    u32::try_from((s + 59) / 60).unwrap_or(u32::MAX)
}

/// The bucket a time of `minutes` is counted in.
pub fn bucket_of(minutes: u32) -> usize {
    TIME_EDGES_MINUTES
        .iter()
        .position(|&edge| minutes <= edge)
        .unwrap_or(TIME_EDGES_MINUTES.len())
}

/// The upper edge of a bucket, in minutes; the last edge for the overflow.
pub fn bucket_edge(bucket: usize) -> u32 {
    TIME_EDGES_MINUTES[bucket.min(TIME_EDGES_MINUTES.len() - 1)]
}

/// The `percent`-th percentile of the times counted in `buckets`, in
/// minutes, by the nearest rank (see the module documentation); `None`
/// when nothing was counted.
pub fn percentile(buckets: &TimeBuckets, percent: u64) -> Option<f64> {
    let n: u64 = buckets.iter().sum();
    if n == 0 {
        return None;
    }
    let rank = (percent.clamp(1, 100) * n).div_ceil(100).max(1);
    let mut seen = 0;
    for (k, c) in buckets.iter().enumerate() {
        seen += c;
        if seen >= rank {
            return Some(f64::from(bucket_edge(k)));
        }
    }
    None
}

/// The position of a priority in the per-priority counters.
pub fn priority_index(p: ReadingPriority) -> usize {
    usize::from(p.rank())
}

/// A step of a reading, as the counters see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadingStep {
    Ordered,
    /// Reported `minutes` after the order (rounded up).
    Reported {
        minutes: u32,
        within_deadline: bool,
        critical: bool,
    },
    /// Withdrawn before it was reported.
    Cancelled,
    /// The critical alert acknowledged `minutes` after it was raised.
    Acknowledged {
        minutes: u32,
    },
    /// The patient's first upward referral within
    /// [`FOLLOW_UP_DAYS`] of the report; `avoidable` when its condition is
    /// positioned at primary level and it is not an emergency (the reading
    /// could have kept the patient at the township).
    FollowedByReferral {
        avoidable: bool,
    },
}

/// Days after a reading's report in which an upward referral of the same
/// patient counts as following it.
pub const FOLLOW_UP_DAYS: i64 = 30;

/// A step of a remote reading ordered on `day` by `member` from a hub of
/// the institution `hub`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingFact {
    pub day: Day,
    pub hub: Ix,
    pub member: Ix,
    pub priority: ReadingPriority,
    pub step: ReadingStep,
}

/// One side's readings, counted by cohort; per priority in
/// [`ReadingPriority::rank`] order (stat, urgent, routine).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadingCounters {
    pub ordered: [u64; 3],
    pub reported: [u64; 3],
    pub cancelled: [u64; 3],
    /// Of `reported`, those reported by their deadline.
    pub within_deadline: [u64; 3],
    /// Of `reported`, by turnaround bucket.
    pub turnaround: [TimeBuckets; 3],
    /// Reports that raised a critical alert.
    pub critical: u64,
    /// Of `critical`, acknowledged by the ordering side, by the bucket of
    /// the time from the alert to the acknowledgement.
    pub acknowledgement: TimeBuckets,
    /// Of `reported`, followed by the patient's upward referral within
    /// [`FOLLOW_UP_DAYS`].
    pub followed_by_referral: u64,
    /// Of those, the referrals that were avoidable.
    pub followed_by_avoidable_referral: u64,
}

impl ReadingCounters {
    /// Nothing counted.
    pub const EMPTY: ReadingCounters = ReadingCounters {
        ordered: [0; 3],
        reported: [0; 3],
        cancelled: [0; 3],
        within_deadline: [0; 3],
        turnaround: [[0; TIME_BUCKETS]; 3],
        critical: 0,
        acknowledgement: [0; TIME_BUCKETS],
        followed_by_referral: 0,
        followed_by_avoidable_referral: 0,
    };

    /// Adds another row's counters.
    pub fn add(&mut self, o: &ReadingCounters) {
        for p in 0..3 {
            self.ordered[p] += o.ordered[p];
            self.reported[p] += o.reported[p];
            self.cancelled[p] += o.cancelled[p];
            self.within_deadline[p] += o.within_deadline[p];
            for (a, b) in self.turnaround[p].iter_mut().zip(o.turnaround[p]) {
                *a += b;
            }
        }
        self.critical += o.critical;
        self.followed_by_referral += o.followed_by_referral;
        self.followed_by_avoidable_referral += o.followed_by_avoidable_referral;
        for (a, b) in self.acknowledgement.iter_mut().zip(o.acknowledgement) {
            *a += b;
        }
    }

    /// Counts a step.
    pub(super) fn count(&mut self, f: &ReadingFact) {
        let p = priority_index(f.priority);
        match f.step {
            ReadingStep::Ordered => self.ordered[p] += 1,
            ReadingStep::Reported {
                minutes,
                within_deadline,
                critical,
            } => {
                self.reported[p] += 1;
                self.within_deadline[p] += u64::from(within_deadline);
                self.turnaround[p][bucket_of(minutes)] += 1;
                self.critical += u64::from(critical);
            }
            ReadingStep::Cancelled => self.cancelled[p] += 1,
            ReadingStep::Acknowledged { minutes } => self.acknowledgement[bucket_of(minutes)] += 1,
            ReadingStep::FollowedByReferral { avoidable } => {
                self.followed_by_referral += 1;
                self.followed_by_avoidable_referral += u64::from(avoidable);
            }
        }
    }
}

/// The figures of one priority.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriorityFigures {
    pub priority: ReadingPriority,
    pub ordered: u64,
    pub reported: u64,
    pub cancelled: u64,
    pub within_deadline: u64,
    /// Reported by the deadline / reported.
    pub within_deadline_share: Option<f64>,
    pub turnaround_p50_minutes: Option<f64>,
    pub turnaround_p90_minutes: Option<f64>,
}

/// The readings of one side of a subject over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingFigures {
    pub ordered: u64,
    pub reported: u64,
    pub cancelled: u64,
    /// Reported by the deadline / reported, every priority.
    pub within_deadline_share: Option<f64>,
    pub by_priority: Vec<PriorityFigures>,
    pub critical: u64,
    pub acknowledged: u64,
    /// Median minutes from a critical alert to its acknowledgement.
    pub acknowledgement_p50_minutes: Option<f64>,
    pub followed_by_referral: u64,
    pub followed_by_avoidable_referral: u64,
    /// Reported readings followed by an avoidable upward referral /
    /// reported readings.
    pub avoidable_referral_share: Option<f64>,
}

impl ReadingFigures {
    /// The figures of summed counters.
    pub fn of(c: &ReadingCounters) -> ReadingFigures {
        let by_priority: Vec<PriorityFigures> = ReadingPriority::ALL
            .iter()
            .map(|&priority| {
                let p = priority_index(priority);
                PriorityFigures {
                    priority,
                    ordered: c.ordered[p],
                    reported: c.reported[p],
                    cancelled: c.cancelled[p],
                    within_deadline: c.within_deadline[p],
                    within_deadline_share: share(c.within_deadline[p], c.reported[p]),
                    turnaround_p50_minutes: percentile(&c.turnaround[p], 50),
                    turnaround_p90_minutes: percentile(&c.turnaround[p], 90),
                }
            })
            .collect();
        let reported = c.reported.iter().sum();
        ReadingFigures {
            ordered: c.ordered.iter().sum(),
            reported,
            cancelled: c.cancelled.iter().sum(),
            within_deadline_share: share(c.within_deadline.iter().sum(), reported),
            by_priority,
            critical: c.critical,
            acknowledged: c.acknowledgement.iter().sum(),
            acknowledgement_p50_minutes: percentile(&c.acknowledgement, 50),
            followed_by_referral: c.followed_by_referral,
            followed_by_avoidable_referral: c.followed_by_avoidable_referral,
            avoidable_referral_share: share(c.followed_by_avoidable_referral, reported),
        }
    }

    /// The figures of one priority.
    pub fn priority(&self, p: ReadingPriority) -> &PriorityFigures {
        &self.by_priority[priority_index(p)]
    }
}

fn share(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}
