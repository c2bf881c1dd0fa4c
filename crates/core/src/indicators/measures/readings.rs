//! The hub readings' measures (see `indicators::readings`): turnaround by
//! priority, the share within deadline, the critical-finding
//! acknowledgement time, the readings' volume on each side, and the share
//! followed by an avoidable upward referral.

use super::{Better, MeasureDef, Scoring, denominator, int, measured, numerator, observed};
use crate::hub::ReadingPriority;
use crate::indicators::Indicators;

const P: [ReadingPriority; 3] = [
    ReadingPriority::Stat,
    ReadingPriority::Urgent,
    ReadingPriority::Routine,
];

fn p50<const K: usize>(i: &Indicators) -> Option<f64> {
    i.readings.priority(P[K]).turnaround_p50_minutes
}

fn p90<const K: usize>(i: &Indicators) -> Option<f64> {
    i.readings.priority(P[K]).turnaround_p90_minutes
}

fn within<const K: usize>(i: &Indicators) -> Option<f64> {
    i.readings.priority(P[K]).within_deadline_share
}

fn reported<const K: usize>(i: &Indicators) -> i64 {
    int(i.readings.priority(P[K]).reported)
}

fn within_count<const K: usize>(i: &Indicators) -> i64 {
    int(i.readings.priority(P[K]).within_deadline)
}

const TURNAROUND_POPULATION: &str =
    "Readings of the priority at the subject's hubs, ordered in the period and reported.";

const fn turnaround(
    code: &'static str,
    title: &'static str,
    definition: &'static str,
    value: fn(&Indicators) -> Option<f64>,
    populations: &'static [super::Population],
) -> MeasureDef {
    MeasureDef {
        code,
        title,
        definition,
        scoring: Scoring::ContinuousVariable,
        unit: "min",
        better: Better::Lower,
        reference: None,
        value,
        populations,
    }
}

const fn within_deadline(
    code: &'static str,
    title: &'static str,
    value: fn(&Indicators) -> Option<f64>,
    populations: &'static [super::Population],
) -> MeasureDef {
    MeasureDef {
        code,
        title,
        definition: "Readings of the priority at the subject's hubs reported by their deadline \
                     (the region's policy, [hubs]) / readings of the priority reported, of the \
                     readings ordered in the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value,
        populations,
    }
}

const fn volume(
    code: &'static str,
    title: &'static str,
    definition: &'static str,
    value: fn(&Indicators) -> Option<f64>,
    populations: &'static [super::Population],
) -> MeasureDef {
    MeasureDef {
        code,
        title,
        definition,
        scoring: Scoring::ContinuousVariable,
        unit: "1",
        better: Better::Neither,
        reference: None,
        value,
        populations,
    }
}

const P50_OBSERVED: &str = "Minutes from the order to the report, rounded up; the score is the \
                            upper edge of the time bucket the median falls in.";
const P90_OBSERVED: &str = "Minutes from the order to the report, rounded up; the score is the \
                            upper edge of the time bucket the 90th percentile falls in.";
const COUNTED: &str = "Each counts 1; the score is their number.";

pub const STAT_P50: MeasureDef = turnaround(
    "hub-turnaround-stat-p50",
    "Hub turnaround, stat: median",
    "Median minutes from order to report of the stat readings at the subject's hubs ordered in \
     the period (nearest rank, as the upper edge of its time bucket).",
    p50::<0>,
    &[
        measured(TURNAROUND_POPULATION, reported::<0>),
        observed(P50_OBSERVED),
    ],
);
pub const STAT_P90: MeasureDef = turnaround(
    "hub-turnaround-stat-p90",
    "Hub turnaround, stat: 90th percentile",
    "90th percentile of the minutes from order to report of the stat readings at the subject's \
     hubs ordered in the period (nearest rank, as the upper edge of its time bucket).",
    p90::<0>,
    &[
        measured(TURNAROUND_POPULATION, reported::<0>),
        observed(P90_OBSERVED),
    ],
);
pub const URGENT_P50: MeasureDef = turnaround(
    "hub-turnaround-urgent-p50",
    "Hub turnaround, urgent: median",
    "Median minutes from order to report of the urgent readings at the subject's hubs ordered \
     in the period (nearest rank, as the upper edge of its time bucket).",
    p50::<1>,
    &[
        measured(TURNAROUND_POPULATION, reported::<1>),
        observed(P50_OBSERVED),
    ],
);
pub const URGENT_P90: MeasureDef = turnaround(
    "hub-turnaround-urgent-p90",
    "Hub turnaround, urgent: 90th percentile",
    "90th percentile of the minutes from order to report of the urgent readings at the \
     subject's hubs ordered in the period (nearest rank, as the upper edge of its time bucket).",
    p90::<1>,
    &[
        measured(TURNAROUND_POPULATION, reported::<1>),
        observed(P90_OBSERVED),
    ],
);
pub const ROUTINE_P50: MeasureDef = turnaround(
    "hub-turnaround-routine-p50",
    "Hub turnaround, routine: median",
    "Median minutes from order to report of the routine readings at the subject's hubs \
     ordered in the period (nearest rank, as the upper edge of its time bucket).",
    p50::<2>,
    &[
        measured(TURNAROUND_POPULATION, reported::<2>),
        observed(P50_OBSERVED),
    ],
);
pub const ROUTINE_P90: MeasureDef = turnaround(
    "hub-turnaround-routine-p90",
    "Hub turnaround, routine: 90th percentile",
    "90th percentile of the minutes from order to report of the routine readings at the \
     subject's hubs ordered in the period (nearest rank, as the upper edge of its time bucket).",
    p90::<2>,
    &[
        measured(TURNAROUND_POPULATION, reported::<2>),
        observed(P90_OBSERVED),
    ],
);

const WITHIN_NUMERATOR: &str = "Readings of the priority at the subject's hubs, ordered in the period, reported by their \
     deadline.";

pub const STAT_WITHIN: MeasureDef = within_deadline(
    "hub-within-deadline-stat",
    "Hub readings within deadline, stat",
    within::<0>,
    &[
        numerator(WITHIN_NUMERATOR, within_count::<0>),
        denominator(TURNAROUND_POPULATION, reported::<0>),
    ],
);
pub const URGENT_WITHIN: MeasureDef = within_deadline(
    "hub-within-deadline-urgent",
    "Hub readings within deadline, urgent",
    within::<1>,
    &[
        numerator(WITHIN_NUMERATOR, within_count::<1>),
        denominator(TURNAROUND_POPULATION, reported::<1>),
    ],
);
pub const ROUTINE_WITHIN: MeasureDef = within_deadline(
    "hub-within-deadline-routine",
    "Hub readings within deadline, routine",
    within::<2>,
    &[
        numerator(WITHIN_NUMERATOR, within_count::<2>),
        denominator(TURNAROUND_POPULATION, reported::<2>),
    ],
);

pub const ACKNOWLEDGEMENT: MeasureDef = MeasureDef {
    code: "hub-critical-acknowledgement",
    title: "Critical finding acknowledgement time",
    definition: "Median minutes from a hub's critical alert to the ordering doctor's \
                 acknowledgement, of the readings at the subject's hubs ordered in the period \
                 (nearest rank, as the upper edge of its time bucket).",
    scoring: Scoring::ContinuousVariable,
    unit: "min",
    better: Better::Lower,
    reference: None,
    value: |i| i.readings.acknowledgement_p50_minutes,
    populations: &[
        measured(
            "Critical alerts of readings at the subject's hubs ordered in the period, \
             acknowledged.",
            |i| int(i.readings.acknowledged),
        ),
        observed(
            "Minutes from the alert to its acknowledgement, rounded up; the score is the upper \
             edge of the time bucket the median falls in.",
        ),
    ],
};

pub const ORDERED: MeasureDef = volume(
    "hub-readings-ordered",
    "Hub readings ordered",
    "Remote readings ordered in the period from the subject's hubs.",
    |i| Some(i.readings.ordered as f64),
    &[
        measured(
            "Readings ordered in the period from the subject's hubs.",
            |i| int(i.readings.ordered),
        ),
        observed(COUNTED),
    ],
);
pub const REPORTED: MeasureDef = volume(
    "hub-readings-reported",
    "Hub readings reported",
    "Remote readings read and reported by the subject's hubs, of those ordered in the period.",
    |i| Some(i.readings.reported as f64),
    &[
        measured(
            "Readings ordered in the period from the subject's hubs and reported.",
            |i| int(i.readings.reported),
        ),
        observed(COUNTED),
    ],
);
pub const CANCELLED: MeasureDef = volume(
    "hub-readings-cancelled",
    "Hub readings cancelled",
    "Remote readings withdrawn before their report, of those ordered in the period from the \
     subject's hubs.",
    |i| Some(i.readings.cancelled as f64),
    &[
        measured(
            "Readings ordered in the period from the subject's hubs and cancelled.",
            |i| int(i.readings.cancelled),
        ),
        observed(COUNTED),
    ],
);
pub const ORDERED_BY_MEMBERS: MeasureDef = volume(
    "hub-readings-ordered-by-members",
    "Readings ordered from hubs by members",
    "Remote readings the subject's institutions ordered from hubs in the period, reported.",
    |i| Some(i.readings_ordered.reported as f64),
    &[
        measured(
            "Readings the subject's institutions ordered from hubs in the period, reported.",
            |i| int(i.readings_ordered.reported),
        ),
        observed(COUNTED),
    ],
);

pub const AVOIDABLE_REFERRAL: MeasureDef = MeasureDef {
    code: "hub-reading-avoidable-referral-share",
    title: "Hub readings followed by an avoidable upward referral",
    definition: "Share of the readings at the subject's hubs, ordered in the period and \
                 reported, whose patient was then referred up within 30 days of the report \
                 (the first upward referral after it) for a condition positioned at primary \
                 level and not as an emergency: the reading could have kept the patient at the \
                 township.",
    scoring: Scoring::Proportion,
    unit: "1",
    better: Better::Lower,
    reference: None,
    value: |i| i.readings.avoidable_referral_share,
    populations: &[
        numerator(
            "Of those, readings whose patient's first upward referral within 30 days of the \
             report was avoidable.",
            |i| int(i.readings.followed_by_avoidable_referral),
        ),
        denominator(
            "Readings at the subject's hubs ordered in the period and reported.",
            |i| int(i.readings.reported),
        ),
    ],
};
