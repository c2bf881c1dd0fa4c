//! How well a joint programme keeps its promises: the evaluation of
//! hospitals and specialists that the Hangzhou pilot lacked.
//!
//! [`evaluate`] turns the records of a period into [`Figures`] for one
//! [`EvaluationSubject`], in total and per calendar month: plain counts and
//! `Option<f64>` rates, ready to be rendered as a FHIR `MeasureReport` or a
//! web page.
//!
//! # Definitions
//!
//! The period is `first..=last`; each month of the series is the calendar
//! month clipped to the period. A ratio with an empty denominator is
//! `None`, never a made-up zero.
//!
//! - **Committed**: for each month, the programme's sessions per month if
//!   the programme runs on any day of it (a hospital that signs on the
//!   20th owes that month's sessions). A month only partly inside the
//!   period (the current month, or one the period cuts) owes the sessions
//!   due by the last day it covers, spread evenly over the month and
//!   rounded down: 4 a month owe 0 by the 6th of a 31-day month and 2 by
//!   the 16th. This is the rule for every promise measured over a period
//!   (the indicators reckon offered capacity day by day the same way), and
//!   such a month is marked [`MonthFigures::partial`]. A commitment is the
//!   hospital's, so it is `None` for a specialist or a family doctor.
//! - **Scheduled, held, cancelled (by side), missed, still scheduled**:
//!   sessions starting in the period, by their status now. A session still
//!   scheduled after its end is a gap in the record.
//! - **Commitment kept**: held / committed.
//! - **Cancellation share** of a side: sessions it cancelled / sessions
//!   scheduled (what was actually planned, not the promise: a session never
//!   scheduled was not cancelled, it is missing from held / committed).
//! - **Patients seen, referrals avoided**: summed over held sessions.
//! - **Panel control** at the end of the period (of each month): patients
//!   enrolled that day; controlled / those whose status is known, and
//!   controlled / all enrolled (an unknown status counts against it), for
//!   the whole panel and per condition. See
//!   [`control_status`](super::control_status).
//! - **Mentoring**: activities in the period; attendances (one per family
//!   doctor present at each); family doctors in mentorships running on any
//!   day of the period; attendances per family doctor.
//!
//! # Subjects
//!
//! Sessions and commitments count for the programme's hospital, primary
//! institution and alliance, and for the specialist who held (or was to
//! hold) the session. Panel patients count for their primary institution,
//! family doctor and specialist, and through their programme (if any) for
//! its hospital and alliance. Mentoring counts for the mentor, the mentored
//! doctors (only the activities they attended), and through the
//! mentorship's programme for its hospital, primary institution and
//! alliance.

use super::panel::status_of;
use super::{
    ControlStatus, Measurement, Mentorship, MentorshipActivity, OutreachError, OutreachSession,
    PanelCondition, PanelEnrolment, Programme, SessionStatus, Side, Targets, invalid,
};
use crate::{AllianceId, EnrolmentId, InstitutionId, MentorshipId, PractitionerId, ProgrammeId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use time::Date;

pub mod measures;
mod scope;

pub use measures::{OUTREACH_MEASURES, outreach_measure};

/// The records an evaluation reads. Slices may hold more than the subject's
/// records; each figure picks its own.
#[derive(Debug, Clone, Copy)]
pub struct OutreachData<'a> {
    pub programmes: &'a [Programme],
    pub sessions: &'a [OutreachSession],
    pub mentorships: &'a [Mentorship],
    pub activities: &'a [MentorshipActivity],
    pub enrolments: &'a [PanelEnrolment],
    pub measurements: &'a [Measurement],
    pub targets: &'a Targets,
}

/// Whom the figures are about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "subject", content = "id", rename_all = "kebab-case")]
pub enum EvaluationSubject {
    Region,
    Alliance(AllianceId),
    Hospital(InstitutionId),
    Primary(InstitutionId),
    Programme(ProgrammeId),
    Specialist(PractitionerId),
    FamilyDoctor(PractitionerId),
}

/// Panel control on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ControlFigures {
    pub enrolled: u32,
    /// Enrolled patients whose status is known.
    pub known: u32,
    pub controlled: u32,
    /// controlled / known.
    pub rate_of_known: Option<f64>,
    /// controlled / enrolled.
    pub rate_of_enrolled: Option<f64>,
}

/// The figures of one subject over one span of days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub committed: Option<u32>,
    pub scheduled: u32,
    pub held: u32,
    pub cancelled_by_hospital: u32,
    pub cancelled_by_primary: u32,
    pub missed: u32,
    pub still_scheduled: u32,
    pub patients_seen: u32,
    pub referrals_avoided: u32,
    /// held / committed.
    pub commitment_kept: Option<f64>,
    /// cancelled by the hospital / scheduled.
    pub hospital_cancellation_share: Option<f64>,
    /// cancelled by the primary institution / scheduled.
    pub primary_cancellation_share: Option<f64>,
    /// Every enrolled condition controlled.
    pub panel: ControlFigures,
    pub hypertension: ControlFigures,
    pub diabetes: ControlFigures,
    pub activities: u32,
    pub attendances: u32,
    pub family_doctors: u32,
    /// attendances / family doctors.
    pub activities_per_family_doctor: Option<f64>,
}

/// One month of the series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthFigures {
    /// The month's first day (its figures cover only the part inside the
    /// period).
    pub month: Date,
    /// The period covers only part of the month (from `from` to `to`):
    /// its counts are those days', its commitment pro-rated to them.
    pub partial: bool,
    pub from: Date,
    pub to: Date,
    pub figures: Figures,
}

/// An evaluation: the whole period, and month by month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub subject: EvaluationSubject,
    pub first: Date,
    pub last: Date,
    pub total: Figures,
    pub months: Vec<MonthFigures>,
}

fn ratio(n: u32, d: u32) -> Option<f64> {
    (d > 0).then(|| f64::from(n) / f64::from(d))
}

/// The sessions of a monthly commitment due within `from..=to` of the
/// month starting on `month`: all of them for the whole month, else the
/// share of the month's days covered, rounded down.
fn due(per_month: u32, month: Date, from: Date, to: Date) -> u32 {
    if whole_month(month, from, to) {
        return per_month;
    }
    let length = u32::from(month.month().length(month.year()));
    let covered = u32::try_from((to - from).whole_days() + 1).unwrap_or(0);
    per_month * covered.min(length) / length
}

/// Whether `from..=to` is the whole month starting on `month`.
fn whole_month(month: Date, from: Date, to: Date) -> bool {
    let length = i64::from(month.month().length(month.year()));
    from == month && (to - from).whole_days() + 1 >= length
}

/// The calendar months touching `first..=last`, each clipped to it, as
/// (month's first day, span start, span end).
fn months(first: Date, last: Date) -> Vec<(Date, Date, Date)> {
    let mut out = Vec::new();
    let mut month = first.replace_day(1).expect("every month has a day 1");
    while month <= last {
        let end = month
            .replace_day(month.month().length(month.year()))
            .expect("a month's length is one of its days");
        out.push((month, month.max(first), end.min(last)));
        match end.next_day() {
            Some(next) => month = next,
            None => break,
        }
    }
    out
}

/// The records indexed once, for every subject and span.
struct Index<'a> {
    data: OutreachData<'a>,
    programmes: HashMap<&'a ProgrammeId, &'a Programme>,
    mentorships: HashMap<&'a MentorshipId, &'a Mentorship>,
    measurements: HashMap<&'a EnrolmentId, Vec<&'a Measurement>>,
}

impl<'a> Index<'a> {
    fn new(data: OutreachData<'a>) -> Self {
        let mut measurements: HashMap<_, Vec<_>> = HashMap::new();
        for m in data.measurements {
            measurements.entry(&m.enrolment).or_default().push(m);
        }
        Index {
            data,
            programmes: data.programmes.iter().map(|p| (&p.id, p)).collect(),
            mentorships: data.mentorships.iter().map(|m| (&m.id, m)).collect(),
            measurements,
        }
    }

    fn figures(&self, subject: &EvaluationSubject, first: Date, last: Date) -> Figures {
        let mut f = Figures {
            committed: self.committed(subject, first, last),
            ..Figures::default()
        };
        self.add_sessions(&mut f, subject, first, last);
        self.add_panel(&mut f, subject, last);
        self.add_mentoring(&mut f, subject, first, last);
        f.commitment_kept = f.committed.and_then(|c| ratio(f.held, c));
        f.hospital_cancellation_share = ratio(f.cancelled_by_hospital, f.scheduled);
        f.primary_cancellation_share = ratio(f.cancelled_by_primary, f.scheduled);
        f.activities_per_family_doctor = ratio(f.attendances, f.family_doctors);
        f
    }

    fn committed(&self, subject: &EvaluationSubject, first: Date, last: Date) -> Option<u32> {
        if !subject.has_commitment() {
            return None;
        }
        let sum = months(first, last)
            .into_iter()
            .map(|(month, from, to)| {
                let per_month: u32 = self
                    .data
                    .programmes
                    .iter()
                    .filter(|p| {
                        p.start <= to
                            && p.end.is_none_or(|e| e >= from)
                            && subject.owns_programme(p)
                    })
                    .map(|p| p.sessions_per_month)
                    .sum();
                due(per_month, month, from, to)
            })
            .sum();
        Some(sum)
    }

    fn add_sessions(&self, f: &mut Figures, subject: &EvaluationSubject, first: Date, last: Date) {
        let sessions =
            self.data.sessions.iter().filter(|s| {
                (first..=last).contains(&s.start.date()) && self.session_in(subject, s)
            });
        for s in sessions {
            f.scheduled += 1;
            match &s.status {
                SessionStatus::Scheduled => f.still_scheduled += 1,
                SessionStatus::Held {
                    patients_seen,
                    referrals_avoided,
                } => {
                    f.held += 1;
                    f.patients_seen += patients_seen;
                    f.referrals_avoided += referrals_avoided;
                }
                SessionStatus::Cancelled {
                    by: Side::Hospital, ..
                } => f.cancelled_by_hospital += 1,
                SessionStatus::Cancelled {
                    by: Side::Primary, ..
                } => f.cancelled_by_primary += 1,
                SessionStatus::Missed => f.missed += 1,
            }
        }
    }

    fn add_panel(&self, f: &mut Figures, subject: &EvaluationSubject, day: Date) {
        let count = |c: &mut ControlFigures, status: ControlStatus| {
            c.enrolled += 1;
            c.known += u32::from(status != ControlStatus::Unknown);
            c.controlled += u32::from(status == ControlStatus::Controlled);
        };
        let enrolled = self
            .data
            .enrolments
            .iter()
            .filter(|e| e.active_on(day) && self.enrolment_in(subject, e));
        for e in enrolled {
            let own = self.measurements.get(&e.id).map_or(&[][..], Vec::as_slice);
            let status = status_of(e, own, self.data.targets, day);
            count(&mut f.panel, status.overall);
            for (&condition, &s) in &status.conditions {
                match condition {
                    PanelCondition::Hypertension => count(&mut f.hypertension, s),
                    PanelCondition::Diabetes => count(&mut f.diabetes, s),
                }
            }
        }
        for c in [&mut f.panel, &mut f.hypertension, &mut f.diabetes] {
            c.rate_of_known = ratio(c.controlled, c.known);
            c.rate_of_enrolled = ratio(c.controlled, c.enrolled);
        }
    }

    fn add_mentoring(&self, f: &mut Figures, subject: &EvaluationSubject, first: Date, last: Date) {
        for a in self.data.activities {
            if !(first..=last).contains(&a.date) {
                continue;
            }
            let Some(m) = self.mentorships.get(&a.mentorship) else {
                continue;
            };
            let attended = match subject {
                EvaluationSubject::FamilyDoctor(d) => u32::from(a.family_doctors.contains(d)),
                _ if self.mentorship_in(subject, m) => a.family_doctors.len() as u32,
                _ => 0,
            };
            if attended > 0 {
                f.activities += 1;
                f.attendances += attended;
            }
        }
        let doctors: BTreeSet<&PractitionerId> = self
            .data
            .mentorships
            .iter()
            .filter(|m| {
                m.started <= last
                    && m.ended.is_none_or(|e| e >= first)
                    && self.mentorship_in(subject, m)
            })
            .flat_map(|m| &m.family_doctors)
            .filter(|d| match subject {
                EvaluationSubject::FamilyDoctor(x) => *d == x,
                _ => true,
            })
            .collect();
        f.family_doctors = doctors.len() as u32;
    }
}

/// Evaluates `subject` over `first..=last`, in total and per month.
pub fn evaluate(
    data: OutreachData<'_>,
    subject: &EvaluationSubject,
    first: Date,
    last: Date,
) -> Result<Evaluation, OutreachError> {
    evaluate_many(data, std::slice::from_ref(subject), first, last).map(|mut v| v.remove(0))
}

/// Evaluates each subject over `first..=last`, indexing the records once.
pub fn evaluate_many(
    data: OutreachData<'_>,
    subjects: &[EvaluationSubject],
    first: Date,
    last: Date,
) -> Result<Vec<Evaluation>, OutreachError> {
    if last < first {
        return Err(invalid("period.end", "the period ends before it starts"));
    }
    let index = Index::new(data);
    let spans = months(first, last);
    Ok(subjects
        .iter()
        .map(|subject| Evaluation {
            subject: subject.clone(),
            first,
            last,
            total: index.figures(subject, first, last),
            months: spans
                .iter()
                .map(|&(month, from, to)| MonthFigures {
                    month,
                    partial: !whole_month(month, from, to),
                    from,
                    to,
                    figures: index.figures(subject, from, to),
                })
                .collect(),
        })
        .collect())
}

/// Every subject the records name: the region, then each alliance,
/// hospital, primary institution, programme, specialist and family doctor,
/// in that order.
pub fn subjects(data: OutreachData<'_>) -> Vec<EvaluationSubject> {
    use EvaluationSubject as S;
    let mut all = BTreeSet::from([S::Region]);
    for p in data.programmes {
        all.insert(S::Alliance(p.alliance.clone()));
        all.insert(S::Hospital(p.hospital.clone()));
        all.insert(S::Primary(p.primary.clone()));
        all.insert(S::Programme(p.id.clone()));
        all.extend(p.specialists.iter().cloned().map(S::Specialist));
    }
    for m in data.mentorships {
        all.insert(S::Specialist(m.specialist.clone()));
        all.extend(m.family_doctors.iter().cloned().map(S::FamilyDoctor));
    }
    for e in data.enrolments {
        all.insert(S::Primary(e.institution.clone()));
        all.insert(S::Specialist(e.specialist.clone()));
        all.insert(S::FamilyDoctor(e.family_doctor.clone()));
    }
    all.into_iter().collect()
}
