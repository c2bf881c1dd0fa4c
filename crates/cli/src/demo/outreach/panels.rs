//! Co-managed panels: the centres' chronic-disease residents enrolled with
//! their family doctor and a specialist of the centre's programme, and
//! followed up at the plan's interval.
//!
//! Each patient has a course: where their blood pressure or HbA1c starts
//! and where treatment takes it, approached month by month, so the panel's
//! control rises over the year without every patient reaching the target.
//! Patients not yet stable are followed monthly, the others quarterly.
//! Most come when due; some come late, some stop coming (so the due list
//! has overdue patients at the end), a few leave the panel.

use super::cast::Cast;
use super::programmes::Programmes;
use super::{OutreachReport, at, plus, working};
use anyhow::anyhow;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tiercare_api::AppState;
use tiercare_core::access::Actor;
use tiercare_core::outreach::{
    ControlStatus, FollowUpState, MONTHLY_DAYS, Measurement, MeasurementKind, OutreachService,
    PanelCondition, PanelEnrolment, ProgrammeKind, QUARTERLY_DAYS, Targets, control_status,
    due_list,
};
use tiercare_core::{EnrolmentId, InstitutionId, PractitionerId, ResidentId};
use tiercare_service::panels::Panels as PanelService;
use tiercare_service::panels::{EnrolmentInput, MeasurementInput};
use time::Date;
use tokio::task::JoinSet;

/// Days after its programme's start over which a centre enrols its panel.
const ENROLMENT_DAYS: i64 = 120;
/// The share of a centre's chronic-disease residents it enrols: the
/// family doctors keep the stable, simple cases to themselves and put on
/// the panel those who need a specialist behind them. (It also keeps the
/// demo's load short: each panel write carries a snapshot of its centre.)
const ENROLLED_SHARE: f64 = 0.7;
/// The chance a patient comes when due.
const ATTENDANCE: f64 = 0.85;

/// Where a measurement starts and where treatment takes it, with the
/// monthly rate it gets there.
#[derive(Debug, Clone, Copy)]
struct Course {
    start: f64,
    target: f64,
    rate: f64,
}

impl Course {
    fn at(&self, months: f64) -> f64 {
        self.target + (self.start - self.target) * (-self.rate * months).exp()
    }
}

/// One patient's enrolment, planned and then followed.
struct Track {
    patient: ResidentId,
    family_doctor: PractitionerId,
    centre: InstitutionId,
    programme: usize,
    specialist: PractitionerId,
    conditions: Vec<PanelCondition>,
    enrol_on: Date,
    interval: u32,
    /// Systolic pressure, mmHg.
    bp: Option<Course>,
    /// HbA1c, %.
    a1c: Option<Course>,
    /// The patient stops coming from this day.
    lapse_from: Option<Date>,
    /// The patient leaves the panel on this day.
    end_on: Option<Date>,
    enrolment: Option<PanelEnrolment>,
    next: Date,
    visits: u32,
}

pub(super) struct Panels {
    tracks: Vec<Track>,
    measurements: Vec<Measurement>,
    rng: Xoshiro256PlusPlus,
}

/// A small symmetric noise: the sum of three uniforms, scaled.
fn noise(rng: &mut Xoshiro256PlusPlus, scale: f64) -> f64 {
    let s: f64 = (0..3).map(|_| rng.random::<f64>() - 0.5).sum();
    s * scale
}

/// The first working day on or after `day`.
fn on_working(mut day: Date) -> Date {
    while !working(day) {
        day = plus(day, 1);
    }
    day
}

impl Panels {
    /// Plans the panels of every centre that has an outreach programme
    /// offering a hypertension or diabetes clinic.
    pub fn plan(
        cast: &Cast,
        programmes: &Programmes,
        last: Date,
        mut rng: Xoshiro256PlusPlus,
    ) -> Panels {
        let offering = |centre: &InstitutionId, service: OutreachService| {
            programmes.all().iter().position(|p| {
                &p.primary == centre
                    && p.kind == ProgrammeKind::Outreach
                    && p.services.contains(&service)
            })
        };
        let mut tracks = Vec::new();
        for (centre, residents) in &cast.chronic {
            let hyp = offering(centre, OutreachService::Hypertension);
            let dia = offering(centre, OutreachService::Diabetes);
            for r in residents {
                if !rng.random_bool(ENROLLED_SHARE) {
                    continue;
                }
                let u: f64 = rng.random();
                let (h, d) = match (hyp.is_some(), dia.is_some()) {
                    (false, false) => continue,
                    (true, false) => (true, false),
                    (false, true) => (false, true),
                    (true, true) if u < 0.6 => (true, false),
                    (true, true) if u < 0.8 => (false, true),
                    (true, true) => (true, true),
                };
                let mut groups: Vec<(usize, Vec<PanelCondition>)> = Vec::new();
                for (wanted, programme, condition) in [
                    (h, hyp, PanelCondition::Hypertension),
                    (d, dia, PanelCondition::Diabetes),
                ] {
                    let Some(programme) = programme.filter(|_| wanted) else {
                        continue;
                    };
                    match groups.iter_mut().find(|(p, _)| *p == programme) {
                        Some((_, c)) => c.push(condition),
                        None => groups.push((programme, vec![condition])),
                    }
                }
                for (programme, conditions) in groups {
                    let p = programmes.get(programme);
                    let enrol_on = on_working(plus(p.start, rng.random_range(0..=ENROLMENT_DAYS)));
                    if enrol_on > last {
                        continue;
                    }
                    // Older patients start higher and come down more slowly.
                    let older = f64::from((r.age - 50).clamp(0, 30)) / 30.0;
                    let bp = conditions.contains(&PanelCondition::Hypertension).then(|| {
                        // A third come already treated, near the target.
                        let good = rng.random_bool(0.72);
                        let start = rng.random_range(130.0..172.0) + 6.0 * older;
                        let target: f64 = if good {
                            rng.random_range(118.0..137.0)
                        } else {
                            rng.random_range(138.0..152.0)
                        };
                        Course {
                            start,
                            target: target.min(start),
                            rate: rng.random_range(0.15..0.5) * (1.0 - 0.4 * older),
                        }
                    });
                    let a1c = conditions.contains(&PanelCondition::Diabetes).then(|| {
                        let good = rng.random_bool(0.62);
                        let start = rng.random_range(6.5..9.8);
                        let target: f64 = if good {
                            rng.random_range(6.0..6.9)
                        } else {
                            rng.random_range(7.0..8.2)
                        };
                        Course {
                            start,
                            target: target.min(start),
                            rate: rng.random_range(0.12..0.4),
                        }
                    });
                    let unstable =
                        bp.is_some_and(|c| c.start >= 160.0) || a1c.is_some_and(|c| c.start >= 8.5);
                    let lapse_from = rng
                        .random_bool(0.1)
                        .then(|| plus(enrol_on, rng.random_range(45..=300)));
                    let end_on = rng
                        .random_bool(0.03)
                        .then(|| on_working(plus(enrol_on, rng.random_range(60..=330))))
                        .filter(|d| *d <= last);
                    tracks.push(Track {
                        patient: r.id.clone(),
                        family_doctor: r.family_doctor.clone(),
                        centre: centre.clone(),
                        specialist: p.specialists[tracks.len() % p.specialists.len()].clone(),
                        programme,
                        conditions,
                        enrol_on,
                        interval: if unstable {
                            MONTHLY_DAYS
                        } else {
                            QUARTERLY_DAYS
                        },
                        bp,
                        a1c,
                        lapse_from,
                        end_on,
                        enrolment: None,
                        next: enrol_on,
                        visits: 0,
                    });
                }
            }
        }
        Panels {
            tracks,
            measurements: Vec::new(),
            rng,
        }
    }

    /// Enrols the patients whose day it is, and ends the enrolments of
    /// those leaving, as their family doctor.
    pub async fn morning(
        &mut self,
        state: &AppState,
        cast: &Cast,
        programmes: &Programmes,
        day: Date,
        report: &mut OutreachReport,
    ) -> anyhow::Result<()> {
        for t in &mut self.tracks {
            let actor = cast.doctor(&t.family_doctor, &t.centre);
            let service = PanelService::new(&state.ctx, &actor);
            if t.enrol_on == day && t.enrolment.is_none() {
                let Some(programme) = programmes.get(t.programme).id.clone() else {
                    continue;
                };
                let made = service
                    .enrol(EnrolmentInput {
                        patient: t.patient.to_string(),
                        institution: t.centre.to_string(),
                        family_doctor: t.family_doctor.to_string(),
                        specialist: t.specialist.to_string(),
                        programme: Some(programme),
                        conditions: t.conditions.clone(),
                        enrolled: None,
                        interval_days: Some(t.interval),
                    })
                    .await
                    .map_err(|e| anyhow!("enrolling {}: {e}", t.patient))?;
                t.enrolment = Some(made.value);
                report.panel_enrolments += 1;
            } else if t.end_on == Some(day)
                && let Some(e) = &t.enrolment
            {
                let ended = service
                    .end(e.id.as_str(), Some(day), None)
                    .await
                    .map_err(|err| anyhow!("ending {}: {err}", e.id))?;
                t.enrolment = Some(ended.value);
                report.enrolments_ended += 1;
            }
        }
        Ok(())
    }

    /// Today's follow-up visits: measurements by the family doctor.
    ///
    /// Who comes and what is measured is decided first, in track order;
    /// then each centre's measurements are recorded one after another (so
    /// each write's chronic-management snapshot sees the one before, as
    /// at a real centre), the centres at the same time, as they would be:
    /// their writes share commits and no centre waits for another.
    pub async fn afternoon(
        &mut self,
        state: &AppState,
        cast: &Cast,
        day: Date,
        report: &mut OutreachReport,
    ) -> anyhow::Result<()> {
        let mut by_centre: BTreeMap<InstitutionId, Vec<(usize, MeasurementInput)>> =
            BTreeMap::new();
        for i in 0..self.tracks.len() {
            let t = &self.tracks[i];
            let Some(e) = &t.enrolment else { continue };
            if t.next != day || !e.active_on(day) {
                continue;
            }
            if t.lapse_from.is_some_and(|d| day >= d) {
                self.tracks[i].next = Date::MAX;
                continue;
            }
            if t.visits > 0 && !self.rng.random_bool(ATTENDANCE) {
                let late = self.rng.random_range(5..=25);
                self.tracks[i].next = on_working(plus(day, late));
                continue;
            }
            let kinds = self.readings(i, day);
            let early = self.rng.random_range(0..=7);
            let t = &mut self.tracks[i];
            t.visits += 1;
            t.next = on_working(plus(day, i64::from(t.interval) - early));
            let Some(e) = &t.enrolment else { continue };
            let list = by_centre.entry(t.centre.clone()).or_default();
            for (k, kind) in kinds.into_iter().enumerate() {
                let minute = u8::try_from(10 * k).unwrap_or(0);
                list.push((
                    i,
                    MeasurementInput {
                        enrolment: e.id.to_string(),
                        patient: t.patient.to_string(),
                        at: at(day, 2, minute)?,
                        kind,
                    },
                ));
            }
        }
        let started = std::time::Instant::now();
        let mut centres = JoinSet::new();
        for list in by_centre.into_values() {
            let state = state.clone();
            // Each patient's own family doctor measures.
            let actors: Vec<Actor> = list
                .iter()
                .map(|(i, _)| {
                    let t = &self.tracks[*i];
                    cast.doctor(&t.family_doctor, &t.centre)
                })
                .collect();
            centres.spawn(async move {
                let mut made = Vec::new();
                for ((i, input), actor) in list.into_iter().zip(actors) {
                    let patient = input.patient.clone();
                    let m = PanelService::new(&state.ctx, &actor)
                        .measure(input)
                        .await
                        .map_err(|err| anyhow!("measuring {patient}: {err}"))?;
                    made.push((i, m.value));
                }
                anyhow::Ok(made)
            });
        }
        let mut made = Vec::new();
        while let Some(done) = centres.join_next().await {
            made.extend(done.map_err(|e| anyhow!("a centre's follow-ups: {e}"))??);
        }
        report.measuring += started.elapsed();
        // The same order whatever finished first.
        made.sort_by_key(|(i, m)| (*i, m.at));
        report.measurements += u32::try_from(made.len()).unwrap_or(u32::MAX);
        self.measurements.extend(made.into_iter().map(|(_, m)| m));
        Ok(())
    }

    /// What is measured at track `i`'s visit today: blood pressure for
    /// hypertension; for diabetes HbA1c at the first visit and then every
    /// second quarterly (every third monthly) visit, fasting glucose at
    /// the others.
    fn readings(&mut self, i: usize, day: Date) -> Vec<MeasurementKind> {
        let t = &self.tracks[i];
        let months = (day - t.enrol_on).whole_days() as f64 / 30.4;
        let (bp, a1c, visits, interval) = (t.bp, t.a1c, t.visits, t.interval);
        let mut out = Vec::new();
        if let Some(c) = bp {
            let systolic = c.at(months) + noise(&mut self.rng, 10.0);
            let diastolic = 0.55 * systolic + 8.0 + noise(&mut self.rng, 6.0);
            out.push(MeasurementKind::BloodPressure {
                systolic: systolic.round().clamp(90.0, 220.0) as u16,
                diastolic: diastolic.round().clamp(50.0, 130.0) as u16,
            });
        }
        if let Some(c) = a1c {
            let value = c.at(months) + noise(&mut self.rng, 0.4);
            let every = if interval == QUARTERLY_DAYS { 2 } else { 3 };
            out.push(if visits % every == 0 {
                MeasurementKind::HbA1c {
                    tenth_percent: (value * 10.0).round().clamp(45.0, 140.0) as u16,
                }
            } else {
                let glucose = 1.3 * value - 2.5 + noise(&mut self.rng, 0.9);
                MeasurementKind::FastingGlucose {
                    tenth_mmol_per_l: (glucose * 10.0).round().clamp(35.0, 250.0) as u16,
                }
            });
        }
        out
    }

    /// The panels at the end: patients, control on `last`, and the
    /// follow-ups due and overdue `today`.
    pub fn conclude(&self, last: Date, today: Date, report: &mut OutreachReport) {
        let enrolments: Vec<&PanelEnrolment> = self
            .tracks
            .iter()
            .filter_map(|t| t.enrolment.as_ref())
            .collect();
        let patients: BTreeSet<&ResidentId> = enrolments.iter().map(|e| &e.patient).collect();
        report.panel_patients = u32::try_from(patients.len()).unwrap_or(u32::MAX);
        let mut by_enrolment: HashMap<&EnrolmentId, Vec<Measurement>> = HashMap::new();
        for m in &self.measurements {
            by_enrolment
                .entry(&m.enrolment)
                .or_default()
                .push(m.clone());
        }
        let targets = Targets::default();
        for e in enrolments.iter().filter(|e| e.active_on(last)) {
            let mine = by_enrolment.get(&e.id).map_or(&[][..], Vec::as_slice);
            match control_status(e, mine, &targets, last).overall {
                ControlStatus::Controlled => {
                    report.controlled += 1;
                    report.known += 1;
                }
                ControlStatus::Uncontrolled => report.known += 1,
                ControlStatus::Unknown => {}
            }
        }
        let active: Vec<PanelEnrolment> = enrolments
            .iter()
            .filter(|e| e.active_on(today))
            .map(|e| (*e).clone())
            .collect();
        for d in due_list(&active, &self.measurements, today) {
            match d.state {
                FollowUpState::Due => report.due += 1,
                FollowUpState::Overdue => report.overdue += 1,
                FollowUpState::NotDue => {}
            }
        }
    }
}
