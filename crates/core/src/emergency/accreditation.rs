//! The accreditation measures of the emergency centres over a list of
//! cases: per destination centre and region-wide, each a numerator over a
//! denominator, stratified by where the patient first met the system
//! ([`ContactPoint`]) and, for every measure, by condition too (the
//! 30-day mortality is read by condition and contact point).
//!
//! # Who is credited with a case
//!
//! A case is credited to its destination, the institution the triage rule
//! sent the patient to first ([`EmergencyCase::destination`]). A patient
//! the first destination bridged (thrombolysis, stabilising) and then sent
//! on stays credited to that first destination for every measure: its
//! door-to-balloon and door-to-needle are the first door's, its transfer
//! after the window is the first destination's delay, and its 30-day death
//! counts at the first destination too, since the network's promise is
//! judged where the patient was first taken (the receiving centre's own
//! door is not on the case's clock).
//!
//! # Counted once
//!
//! Each case is counted once in each measure whose condition it meets
//! (its *initial population*: STEMI for the ECG, a PCI route or treatment
//! for door-to-balloon, …). It enters the measure's denominator only when
//! the milestones the measure reads are known, and its numerator when it
//! meets the target: a case missing a milestone drops out of that one
//! measure's denominator and nowhere else.
//!
//! The caller chooses the cases (those of a period: [`in_period`], by the
//! local date of first contact).

use super::ContactPoint;
use super::{Emergency, EmergencyCase, Milestone, Treatment, Windows, measures};
use crate::InstitutionId;
use std::collections::BTreeMap;
use time::Date;

pub mod definitions;

/// Whether the case's first contact fell between `from` and `to`
/// (inclusive), on China's local calendar.
pub fn in_period(case: &EmergencyCase, from: Date, to: Date) -> bool {
    let day = case.clock.first_contact.to_offset(crate::CHINA_TIME).date();
    from <= day && day <= to
}

/// The accreditation measures, each counted in a [`Tally`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Measure {
    /// First medical contact to first ECG within 10 minutes (STEMI).
    FmcToEcg,
    /// Door to balloon within 90 minutes (primary PCI).
    DoorToBalloon,
    /// Door to needle within 60 minutes (stroke thrombolysis).
    DoorToNeedle,
    /// Straight to the team, bypassing the emergency department.
    Direct,
    /// Sent on after the condition's window had closed, of those sent on.
    LateTransfer,
    /// Died within 30 days, of the cases whose outcome is known.
    Mortality,
}

impl Measure {
    /// The code of its `Measure` (see [`definitions`]).
    pub fn code(self) -> &'static str {
        match self {
            Measure::FmcToEcg => "emergency-fmc-ecg-10",
            Measure::DoorToBalloon => "emergency-door-to-balloon-90",
            Measure::DoorToNeedle => "emergency-door-to-needle-60",
            Measure::Direct => "emergency-direct",
            Measure::LateTransfer => "emergency-late-transfer",
            Measure::Mortality => "emergency-mortality-30d",
        }
    }

    /// Every measure, in the order a dashboard shows them.
    pub const ALL: [Measure; 6] = [
        Measure::FmcToEcg,
        Measure::DoorToBalloon,
        Measure::DoorToNeedle,
        Measure::Direct,
        Measure::LateTransfer,
        Measure::Mortality,
    ];
}

/// An interval of the clock whose median minutes are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Interval {
    /// First medical contact to first ECG (STEMI).
    FmcToEcg,
    /// Door to balloon (cases treated by primary PCI).
    DoorToBalloon,
    /// Door to needle (strokes thrombolysed).
    DoorToNeedle,
    /// First medical contact to the definitive treatment (any case
    /// treated at its first destination, stabilising before a transfer
    /// excepted): the figure the tiered-care promise is about.
    ContactToTreatment,
}

impl Interval {
    /// Every interval.
    pub const ALL: [Interval; 4] = [
        Interval::FmcToEcg,
        Interval::DoorToBalloon,
        Interval::DoorToNeedle,
        Interval::ContactToTreatment,
    ];
}

/// One measure's counts over a group of cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases the measure is about (they meet its condition).
    pub initial: u64,
    /// Of those, cases whose milestones tell whether the target was met.
    pub denominator: u64,
    /// Of those, cases meeting it.
    pub numerator: u64,
}

impl Tally {
    /// Counts one case: `about` whether the measure concerns it, `met`
    /// whether the target was met, if known. A known result always
    /// concerns the case, so the numerator stays within the denominator
    /// and the denominator within the initial population.
    fn count(&mut self, about: bool, met: Option<bool>) {
        if !(about || met.is_some()) {
            return;
        }
        self.initial += 1;
        if let Some(met) = met {
            self.denominator += 1;
            self.numerator += u64::from(met);
        }
    }

    /// Numerator over denominator; none for an empty denominator (a share
    /// of nothing is not zero).
    pub fn share(&self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    fn merge(&mut self, other: &Tally) {
        self.initial += other.initial;
        self.denominator += other.denominator;
        self.numerator += other.numerator;
    }
}

/// The figures of a group of cases (a centre, the region, one stratum).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Cases counted.
    pub cases: u64,
    tallies: [Tally; 6],
    /// Minutes of each interval, one entry per case where both ends are
    /// known.
    minutes: [Vec<i64>; 4],
}

fn measure_ix(m: Measure) -> usize {
    Measure::ALL.iter().position(|&x| x == m).unwrap_or(0)
}

fn interval_ix(i: Interval) -> usize {
    Interval::ALL.iter().position(|&x| x == i).unwrap_or(0)
}

impl Figures {
    /// One measure's counts.
    pub fn tally(&self, m: Measure) -> Tally {
        self.tallies[measure_ix(m)]
    }

    /// The minutes of an interval, in the order the cases came.
    pub fn minutes(&self, i: Interval) -> &[i64] {
        &self.minutes[interval_ix(i)]
    }

    /// The median minutes of an interval (the mean of the middle two of an
    /// even count); none without a case.
    pub fn median(&self, i: Interval) -> Option<f64> {
        let mut m = self.minutes(i).to_vec();
        m.sort_unstable();
        let n = m.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(m[n / 2] as f64),
            _ => Some((m[n / 2 - 1] + m[n / 2]) as f64 / 2.0),
        }
    }

    /// Counts one case in every measure and interval it belongs to.
    pub fn add(&mut self, case: &EmergencyCase, w: &Windows) {
        use Milestone::{Door, Ecg, FirstContact, Treatment as Tx};
        let m = measures(case, w);
        let stemi = case.emergency == Emergency::Stemi;
        let stroke = case.emergency == Emergency::Stroke;
        let routed = case.decision.first.treatment;
        let pci = routed == Treatment::Pci || case.treated_with == Some(Treatment::Pci);
        let lysis = stroke
            && (routed == Treatment::Thrombolysis
                || case.treated_with == Some(Treatment::Thrombolysis));
        let onward = case.decision.then.is_some() || case.transfer_out.is_some();
        self.cases += 1;
        let about = [
            (Measure::FmcToEcg, stemi, m.ecg_within_10),
            (Measure::DoorToBalloon, pci, m.door_to_balloon_within_90),
            (Measure::DoorToNeedle, lysis, m.door_to_needle_within_60),
            (Measure::Direct, true, m.direct),
            (Measure::LateTransfer, onward, m.transferred_after_window),
            (Measure::Mortality, true, m.died),
        ];
        for (measure, concerns, met) in about {
            self.tallies[measure_ix(measure)].count(concerns, met);
        }
        let c = &case.clock;
        let treated = case.treated_with;
        let intervals = [
            (Interval::FmcToEcg, stemi, FirstContact, Ecg),
            (
                Interval::DoorToBalloon,
                treated == Some(Treatment::Pci),
                Door,
                Tx,
            ),
            (
                Interval::DoorToNeedle,
                stroke && treated == Some(Treatment::Thrombolysis),
                Door,
                Tx,
            ),
            (
                Interval::ContactToTreatment,
                treated.is_some_and(|t| t != Treatment::Stabilise),
                FirstContact,
                Tx,
            ),
        ];
        for (interval, concerns, from, to) in intervals {
            if let Some(minutes) = c.minutes(from, to).filter(|_| concerns) {
                self.minutes[interval_ix(interval)].push(minutes);
            }
        }
    }

    /// Adds another group's figures to these.
    pub fn merge(&mut self, other: &Figures) {
        self.cases += other.cases;
        for (a, b) in self.tallies.iter_mut().zip(&other.tallies) {
            a.merge(b);
        }
        for (a, b) in self.minutes.iter_mut().zip(&other.minutes) {
            a.extend_from_slice(b);
        }
    }
}

/// The figures of one subject (a centre or the region), whole and by
/// stratum. Every case is in exactly one stratum of each kind, so the
/// strata of a kind add up to the whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stratified {
    pub all: Figures,
    /// By where the patient first met the system.
    pub by_contact: BTreeMap<ContactPoint, Figures>,
    /// By condition.
    pub by_condition: BTreeMap<Emergency, Figures>,
    /// By condition and contact point together (mortality's table).
    pub by_condition_and_contact: BTreeMap<(Emergency, ContactPoint), Figures>,
}

impl Stratified {
    /// Counts one case in the whole and in its strata.
    pub fn add(&mut self, case: &EmergencyCase, w: &Windows) {
        self.all.add(case, w);
        self.by_contact
            .entry(case.contact)
            .or_default()
            .add(case, w);
        self.by_condition
            .entry(case.emergency)
            .or_default()
            .add(case, w);
        self.by_condition_and_contact
            .entry((case.emergency, case.contact))
            .or_default()
            .add(case, w);
    }

    /// The figures of one contact point (empty when no case came that
    /// way).
    pub fn contact(&self, c: ContactPoint) -> Figures {
        self.by_contact.get(&c).cloned().unwrap_or_default()
    }

    /// The figures of one condition (empty when there was none).
    pub fn condition(&self, e: Emergency) -> Figures {
        self.by_condition.get(&e).cloned().unwrap_or_default()
    }
}

/// The measures of a list of cases: region-wide and per destination
/// centre (see the module documentation for who is credited).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accreditation {
    pub region: Stratified,
    /// By the institution credited (the first destination).
    pub centres: BTreeMap<InstitutionId, Stratified>,
}

impl Accreditation {
    /// The figures of a subject: the region (`None`) or an institution
    /// (empty figures for one no case was sent to).
    pub fn of(&self, institution: Option<&InstitutionId>) -> Stratified {
        match institution {
            None => self.region.clone(),
            Some(i) => self.centres.get(i).cloned().unwrap_or_default(),
        }
    }
}

/// Counts `cases` (already chosen for the period) into the measures.
pub fn accreditation(cases: &[EmergencyCase], w: &Windows) -> Accreditation {
    let mut a = Accreditation::default();
    for case in cases {
        a.region.add(case, w);
        a.centres
            .entry(case.destination().clone())
            .or_default()
            .add(case, w);
    }
    a
}

#[cfg(test)]
mod tests;
