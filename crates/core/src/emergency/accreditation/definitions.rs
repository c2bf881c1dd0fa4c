//! The accreditation measures as named measures, defined once (like the
//! oversight indicators, [`crate::indicators::measures`]) so FHIR
//! `Measure`s, `MeasureReport`s and the dashboard describe each figure the
//! same way. The targets are those of China's chest pain and stroke centre
//! standards (DOMAIN.md section 5b: first medical contact to ECG 10
//! minutes, door-to-balloon 90, stroke door-to-needle 60).

use super::{Figures, Interval, Measure};
use crate::indicators::measures::{
    Better, MeasureDef, Scoring, denominator, measured, numerator, observed,
};

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn share<const M: usize>(f: &Figures) -> Option<f64> {
    f.tally(Measure::ALL[M]).share()
}

fn num<const M: usize>(f: &Figures) -> i64 {
    int(f.tally(Measure::ALL[M]).numerator)
}

fn den<const M: usize>(f: &Figures) -> i64 {
    int(f.tally(Measure::ALL[M]).denominator)
}

/// The initial population's count of measure `M`.
fn initial<const M: usize>(f: &Figures) -> i64 {
    int(f.tally(Measure::ALL[M]).initial)
}

fn median<const I: usize>(f: &Figures) -> Option<f64> {
    f.median(Interval::ALL[I])
}

fn timed<const I: usize>(f: &Figures) -> i64 {
    int(f.minutes(Interval::ALL[I]).len() as u64)
}

const ECG: usize = 0;
const D2B: usize = 1;
const DTN: usize = 2;
const DIRECT: usize = 3;
const LATE: usize = 4;
const DIED: usize = 5;
const CONTACT: usize = 3;

const fn proportion<const M: usize>(
    code: &'static str,
    title: &'static str,
    definition: &'static str,
    better: Better,
    reference: Option<&'static str>,
    populations: &'static [crate::indicators::measures::Population<Figures>],
) -> MeasureDef<Figures> {
    MeasureDef {
        code,
        title,
        definition,
        scoring: Scoring::Proportion,
        unit: "1",
        better,
        reference,
        value: share::<M>,
        populations,
    }
}

const fn median_of<const I: usize>(
    code: &'static str,
    title: &'static str,
    definition: &'static str,
    populations: &'static [crate::indicators::measures::Population<Figures>],
) -> MeasureDef<Figures> {
    MeasureDef {
        code,
        title,
        definition,
        scoring: Scoring::ContinuousVariable,
        unit: "min",
        better: Better::Lower,
        reference: None,
        value: median::<I>,
        populations,
    }
}

const MEDIAN: &str = "The minutes of each case; the score is their median (the mean of the \
                      middle two of an even number).";

/// Every emergency measure, in the order a dashboard shows them: the six
/// accreditation proportions, then the median minutes.
pub const EMERGENCY_MEASURES: &[MeasureDef<Figures>] = &[
    proportion::<ECG>(
        "emergency-fmc-ecg-10",
        "First medical contact to ECG within 10 minutes",
        "STEMI cases whose first ECG was taken within 10 minutes of the first medical contact \
         / STEMI cases with both times recorded.",
        Better::Higher,
        Some("chest pain centre standard: 10 minutes"),
        &[
            numerator(
                "STEMI cases with the first ECG at most 10 minutes after the first medical \
                 contact.",
                num::<ECG>,
            ),
            denominator(
                "STEMI cases with the first medical contact and the first ECG recorded.",
                den::<ECG>,
            ),
        ],
    ),
    proportion::<D2B>(
        "emergency-door-to-balloon-90",
        "Door to balloon within 90 minutes",
        "Cases treated by primary PCI within 90 minutes of arriving at the door of the first \
         destination / cases treated by primary PCI with both times recorded.",
        Better::Higher,
        Some("chest pain centre standard: 90 minutes"),
        &[
            numerator(
                "Cases treated by primary PCI at most 90 minutes after the door.",
                num::<D2B>,
            ),
            denominator(
                "Cases treated by primary PCI with the door and the balloon recorded.",
                den::<D2B>,
            ),
        ],
    ),
    proportion::<DTN>(
        "emergency-door-to-needle-60",
        "Stroke door to needle within 60 minutes",
        "Strokes thrombolysed within 60 minutes of arriving at the door / strokes \
         thrombolysed with both times recorded.",
        Better::Higher,
        Some("stroke centre standard: 60 minutes"),
        &[
            numerator(
                "Strokes thrombolysed at most 60 minutes after the door.",
                num::<DTN>,
            ),
            denominator(
                "Strokes thrombolysed with the door and the needle recorded.",
                den::<DTN>,
            ),
        ],
    ),
    proportion::<DIRECT>(
        "emergency-direct",
        "Direct to the team, bypassing the emergency department",
        "Cases taken at the door straight to the team (catheter laboratory, CT, theatre) / \
         cases whose arrival is recorded.",
        Better::Higher,
        None,
        &[
            numerator(
                "Cases that went straight to the team, not through the emergency department.",
                num::<DIRECT>,
            ),
            denominator(
                "Cases whose arrival at the first destination is recorded.",
                den::<DIRECT>,
            ),
        ],
    ),
    proportion::<LATE>(
        "emergency-late-transfer",
        "Transfers out after the window",
        "Cases sent on from the first destination after the condition's window (from first \
         contact) had closed / cases sent on.",
        Better::Lower,
        None,
        &[
            numerator(
                "Cases sent on later after the first contact than the condition's window \
                 (STEMI 120, stroke 270, trauma 60, obstetric 60, newborn 120 minutes by \
                 default; the region's policy may set its own).",
                num::<LATE>,
            ),
            denominator("Cases sent on from the first destination.", den::<LATE>),
        ],
    ),
    proportion::<DIED>(
        "emergency-mortality-30d",
        "30-day mortality",
        "Cases who died within 30 days of the first medical contact / cases whose 30-day \
         outcome is recorded; read by condition and by where the patient first met the \
         system.",
        Better::Lower,
        Some("Renshou County: acute myocardial infarction mortality from 10% to 3.1%"),
        &[
            numerator("Cases who died within 30 days.", num::<DIED>),
            denominator("Cases whose 30-day outcome is recorded.", den::<DIED>),
        ],
    ),
    median_of::<ECG>(
        "emergency-fmc-ecg-median",
        "Median first medical contact to ECG",
        "The median minutes from the first medical contact to the first ECG, STEMI cases.",
        &[
            measured(
                "STEMI cases with the first medical contact and the first ECG recorded.",
                timed::<ECG>,
            ),
            observed(MEDIAN),
        ],
    ),
    median_of::<D2B>(
        "emergency-door-to-balloon-median",
        "Median door to balloon",
        "The median minutes from the door to the balloon, cases treated by primary PCI.",
        &[
            measured(
                "Cases treated by primary PCI with the door and the balloon recorded.",
                timed::<D2B>,
            ),
            observed(MEDIAN),
        ],
    ),
    median_of::<DTN>(
        "emergency-door-to-needle-median",
        "Median stroke door to needle",
        "The median minutes from the door to the needle, strokes thrombolysed.",
        &[
            measured(
                "Strokes thrombolysed with the door and the needle recorded.",
                timed::<DTN>,
            ),
            observed(MEDIAN),
        ],
    ),
    median_of::<CONTACT>(
        "emergency-contact-to-treatment-median",
        "Median first contact to treatment",
        "The median minutes from the first medical contact to the definitive treatment \
         (needle, balloon, knife) at the first destination, any condition; stabilising \
         before a transfer is not one.",
        &[
            measured(
                "Cases given a definitive treatment at the first destination, with both times \
                 recorded.",
                timed::<CONTACT>,
            ),
            observed(MEDIAN),
        ],
    ),
];

/// A population's count read from the figures.
pub type Count = fn(&Figures) -> i64;

/// The measure of a code.
pub fn emergency_measure(code: &str) -> Option<&'static MeasureDef<Figures>> {
    EMERGENCY_MEASURES.iter().find(|m| m.code == code)
}

/// The initial population of a proportion (the cases the measure is
/// about, whether or not their milestones are known): its criteria in
/// words and its count. `None` for the medians.
pub fn initial_population(code: &str) -> Option<(&'static str, Count)> {
    let (criteria, count): (&'static str, Count) = match code {
        "emergency-fmc-ecg-10" => ("STEMI cases.", initial::<ECG>),
        "emergency-door-to-balloon-90" => {
            ("Cases routed to or treated by primary PCI.", initial::<D2B>)
        }
        "emergency-door-to-needle-60" => (
            "Strokes routed to or treated by thrombolysis.",
            initial::<DTN>,
        ),
        "emergency-direct" => ("Every case.", initial::<DIRECT>),
        "emergency-late-transfer" => (
            "Cases with a planned onward step or sent on.",
            initial::<LATE>,
        ),
        "emergency-mortality-30d" => ("Every case.", initial::<DIED>),
        _ => return None,
    };
    Some((criteria, count))
}
