//! Co-managed chronic panels: hypertension and diabetes patients followed
//! by their family doctor with a specialist behind them (a FHIR `CarePlan`
//! with its `CareTeam`).
//!
//! Two questions are asked of a panel every day: is the patient controlled
//! ([`control_status`], against the region's [`Targets`]), and who is due
//! for a follow-up ([`due_list`]). The national basic public health service
//! asks for a follow-up at least every quarter; unstable patients are seen
//! monthly.

use super::{
    Measurement, MeasurementKind, OutreachError, OutreachEvent, OutreachService, Programme,
    has_duplicates, invalid, within,
};
use crate::level::coded_enum;
use crate::{EnrolmentId, InstitutionId, PractitionerId, ProgrammeId, ResidentId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use time::{Date, Duration, OffsetDateTime};

coded_enum!(
    /// A chronic condition managed jointly.
    PanelCondition {
        Hypertension = "hypertension" / "Hypertension",
        Diabetes = "diabetes" / "Type 2 diabetes",
    }
);

impl PanelCondition {
    /// The programme service that covers it.
    pub fn service(self) -> OutreachService {
        match self {
            PanelCondition::Hypertension => OutreachService::Hypertension,
            PanelCondition::Diabetes => OutreachService::Diabetes,
        }
    }
}

/// The national quarterly follow-up.
pub const QUARTERLY_DAYS: u32 = 90;
/// Monthly follow-up, for patients not yet stable.
pub const MONTHLY_DAYS: u32 = 30;

/// A control status needs a measurement no older than this many follow-up
/// intervals: two, because a stable diabetic's HbA1c is measured twice a
/// year, so one quarter would call most of them unknown.
pub const KNOWN_WINDOW_INTERVALS: u32 = 2;

/// A follow-up is listed as due from this many days before its date.
pub const FOLLOW_UP_NOTICE_DAYS: i64 = 14;

fn quarterly() -> u32 {
    QUARTERLY_DAYS
}

/// A patient's enrolment in a co-managed panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelEnrolment {
    pub id: EnrolmentId,
    pub patient: ResidentId,
    /// The primary institution that follows the patient up.
    pub institution: InstitutionId,
    pub family_doctor: PractitionerId,
    pub specialist: PractitionerId,
    pub programme: Option<ProgrammeId>,
    pub conditions: Vec<PanelCondition>,
    pub enrolled: Date,
    /// Days between follow-ups: [`QUARTERLY_DAYS`] unless set.
    #[serde(default = "quarterly")]
    pub interval_days: u32,
    /// The last day enrolled.
    pub ended: Option<Date>,
}

impl PanelEnrolment {
    /// Checks the record; with its programme, also that the programme runs
    /// at this institution, the specialist is one of its own and it offers
    /// a joint clinic for every condition.
    pub fn validate(&self, programme: Option<&Programme>) -> Result<(), OutreachError> {
        if self.conditions.is_empty() {
            return Err(invalid("addresses", "enrol for at least one condition"));
        }
        if has_duplicates(&self.conditions) {
            return Err(invalid("addresses", "a condition is listed twice"));
        }
        if !(1..=366).contains(&self.interval_days) {
            return Err(invalid(
                "activity.timing",
                "the follow-up interval is 1 to 366 days",
            ));
        }
        if self.family_doctor == self.specialist {
            return Err(invalid(
                "careTeam",
                "the family doctor and the specialist are two people",
            ));
        }
        if self.ended.is_some_and(|e| e < self.enrolled) {
            return Err(invalid("period.end", "the enrolment ends before it starts"));
        }
        let Some(p) = programme else { return Ok(()) };
        if self.programme.as_ref() != Some(&p.id) {
            return Err(invalid(
                "programme",
                format!("not enrolled through {}", p.id),
            ));
        }
        if p.primary != self.institution {
            return Err(invalid(
                "institution",
                format!("programme {} runs at Organization/{}", p.id, p.primary),
            ));
        }
        if !p.has_specialist(&self.specialist) {
            return Err(invalid(
                "careTeam",
                format!("the specialist is not one of programme {}'s", p.id),
            ));
        }
        if let Some(c) = self
            .conditions
            .iter()
            .find(|c| !p.services.contains(&c.service()))
        {
            return Err(invalid(
                "addresses",
                format!("programme {} offers no {} joint clinic", p.id, c),
            ));
        }
        Ok(())
    }

    /// Validates the enrolment and returns its event.
    pub fn enrol(
        self,
        programme: Option<&Programme>,
        at: OffsetDateTime,
    ) -> Result<OutreachEvent, OutreachError> {
        self.validate(programme)?;
        Ok(OutreachEvent::Enrolled {
            enrolment: Box::new(self),
            at,
        })
    }

    /// Whether the patient is enrolled on `day`.
    pub fn active_on(&self, day: Date) -> bool {
        within(day, self.enrolled, self.ended)
    }

    /// How far back a measurement still tells the control status.
    pub fn window_days(&self) -> i64 {
        i64::from(self.interval_days) * i64::from(KNOWN_WINDOW_INTERVALS)
    }

    fn interval(&self) -> Duration {
        Duration::days(i64::from(self.interval_days))
    }
}

/// Control targets. The default follows the Chinese primary-care guidelines
/// for hypertension (below 140/90 mmHg) and type 2 diabetes (HbA1c below
/// 7.0 %; fasting glucose 4.4-7.0 mmol/L); a region may set its own (for
/// example 130/80 for diabetic patients).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// Controlled when systolic is below this, mmHg.
    pub systolic_below: u16,
    /// ... and diastolic below this, mmHg.
    pub diastolic_below: u16,
    /// Controlled when HbA1c is below this, in tenths of a percent.
    pub hba1c_below_tenths: u16,
    /// Without a recent HbA1c: controlled when fasting glucose is within
    /// this range, both ends included, in tenths of a mmol/L.
    pub glucose_low_tenths: u16,
    pub glucose_high_tenths: u16,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            systolic_below: 140,
            diastolic_below: 90,
            hba1c_below_tenths: 70,
            glucose_low_tenths: 44,
            glucose_high_tenths: 70,
        }
    }
}

impl Targets {
    /// Whether one measurement is at target.
    pub fn met_by(&self, kind: MeasurementKind) -> bool {
        match kind {
            MeasurementKind::BloodPressure {
                systolic,
                diastolic,
            } => systolic < self.systolic_below && diastolic < self.diastolic_below,
            MeasurementKind::HbA1c { tenth_percent } => tenth_percent < self.hba1c_below_tenths,
            MeasurementKind::FastingGlucose { tenth_mmol_per_l } => {
                (self.glucose_low_tenths..=self.glucose_high_tenths).contains(&tenth_mmol_per_l)
            }
        }
    }
}

coded_enum!(
    /// Whether a condition is at its target.
    ControlStatus {
        Controlled = "controlled" / "Controlled",
        Uncontrolled = "uncontrolled" / "Not controlled",
        /// No measurement recent enough to tell.
        Unknown = "unknown" / "Unknown",
    }
);

impl ControlStatus {
    fn of(controlled: bool) -> ControlStatus {
        if controlled {
            ControlStatus::Controlled
        } else {
            ControlStatus::Uncontrolled
        }
    }
}

/// A panel patient's control, per condition and overall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelStatus {
    pub conditions: BTreeMap<PanelCondition, ControlStatus>,
    /// Controlled when every condition is; uncontrolled when any is not;
    /// otherwise unknown.
    pub overall: ControlStatus,
}

/// The patient's control on `as_of`, from the latest measurement of each
/// kind taken on or before that day and within the enrolment's window
/// ([`KNOWN_WINDOW_INTERVALS`] follow-up intervals, both ends included).
/// Blood pressure decides hypertension; for diabetes a recent HbA1c
/// decides, and fasting glucose only when there is none, because HbA1c
/// reflects three months and a glucose reading one morning.
/// `measurements` may include other enrolments'; they are skipped.
pub fn control_status(
    enrolment: &PanelEnrolment,
    measurements: &[Measurement],
    targets: &Targets,
    as_of: Date,
) -> PanelStatus {
    let mine: Vec<&Measurement> = measurements
        .iter()
        .filter(|m| m.enrolment == enrolment.id)
        .collect();
    status_of(enrolment, &mine, targets, as_of)
}

/// [`control_status`] over the enrolment's own measurements.
pub(crate) fn status_of(
    enrolment: &PanelEnrolment,
    measurements: &[&Measurement],
    targets: &Targets,
    as_of: Date,
) -> PanelStatus {
    let from = as_of
        .checked_sub(Duration::days(enrolment.window_days()))
        .unwrap_or(Date::MIN);
    let latest = |is: fn(&MeasurementKind) -> bool| {
        measurements
            .iter()
            .filter(|m| is(&m.kind) && (from..=as_of).contains(&m.at.date()))
            .max_by_key(|m| m.at)
            .map(|m| ControlStatus::of(targets.met_by(m.kind)))
    };
    let conditions: BTreeMap<_, _> = enrolment
        .conditions
        .iter()
        .map(|&c| {
            let status = match c {
                PanelCondition::Hypertension => {
                    latest(|k| matches!(k, MeasurementKind::BloodPressure { .. }))
                }
                PanelCondition::Diabetes => latest(|k| matches!(k, MeasurementKind::HbA1c { .. }))
                    .or_else(|| latest(|k| matches!(k, MeasurementKind::FastingGlucose { .. }))),
            };
            (c, status.unwrap_or(ControlStatus::Unknown))
        })
        .collect();
    let all = |s| !conditions.is_empty() && conditions.values().all(|&v| v == s);
    let overall = if all(ControlStatus::Controlled) {
        ControlStatus::Controlled
    } else if conditions
        .values()
        .any(|&v| v == ControlStatus::Uncontrolled)
    {
        ControlStatus::Uncontrolled
    } else {
        ControlStatus::Unknown
    };
    PanelStatus {
        conditions,
        overall,
    }
}

coded_enum!(
    /// Where a patient's next follow-up stands on a day.
    FollowUpState {
        /// More than [`FOLLOW_UP_NOTICE_DAYS`] away.
        NotDue = "not-due" / "Not due",
        /// Due today or within [`FOLLOW_UP_NOTICE_DAYS`] days.
        Due = "due" / "Due",
        /// The due day has passed.
        Overdue = "overdue" / "Overdue",
    }
);

impl FollowUpState {
    /// The state on `today` of a follow-up due on `due`.
    pub fn on(due: Date, today: Date) -> FollowUpState {
        let days_left = (due - today).whole_days();
        if days_left < 0 {
            FollowUpState::Overdue
        } else if days_left <= FOLLOW_UP_NOTICE_DAYS {
            FollowUpState::Due
        } else {
            FollowUpState::NotDue
        }
    }
}

/// When the next follow-up is due: one interval after the last day with a
/// measurement (a follow-up visit), or after enrolment when there is none.
/// `measurements` may include other enrolments'; they are skipped.
pub fn next_due(enrolment: &PanelEnrolment, measurements: &[Measurement]) -> Date {
    let last = measurements
        .iter()
        .filter(|m| m.enrolment == enrolment.id)
        .map(|m| m.at.date())
        .max();
    due_after(enrolment, last)
}

fn due_after(enrolment: &PanelEnrolment, last: Option<Date>) -> Date {
    let from = last.map_or(enrolment.enrolled, |d| d.max(enrolment.enrolled));
    from.checked_add(enrolment.interval()).unwrap_or(Date::MAX)
}

/// One line of a due list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueEntry {
    pub enrolment: EnrolmentId,
    pub patient: ResidentId,
    pub institution: InstitutionId,
    pub family_doctor: PractitionerId,
    pub due: Date,
    pub state: FollowUpState,
    /// Days past the due day; negative while it is still ahead.
    pub days_overdue: i64,
}

/// The patients enrolled on `today` whose follow-up is due or overdue, the
/// most overdue first (then by patient and enrolment id, so the list is
/// stable).
pub fn due_list(
    enrolments: &[PanelEnrolment],
    measurements: &[Measurement],
    today: Date,
) -> Vec<DueEntry> {
    let mut last: HashMap<&EnrolmentId, Date> = HashMap::new();
    for m in measurements {
        let d = last.entry(&m.enrolment).or_insert(m.at.date());
        *d = (*d).max(m.at.date());
    }
    let mut list: Vec<DueEntry> = enrolments
        .iter()
        .filter(|e| e.active_on(today))
        .filter_map(|e| {
            let due = due_after(e, last.get(&e.id).copied());
            let state = FollowUpState::on(due, today);
            (state != FollowUpState::NotDue).then(|| DueEntry {
                enrolment: e.id.clone(),
                patient: e.patient.clone(),
                institution: e.institution.clone(),
                family_doctor: e.family_doctor.clone(),
                due,
                state,
                days_overdue: (today - due).whole_days(),
            })
        })
        .collect();
    list.sort_by(|a, b| (a.due, &a.patient, &a.enrolment).cmp(&(b.due, &b.patient, &b.enrolment)));
    list
}
