//! Programmes and their sessions.
//!
//! Each alliance's lead hospital commits its cardiology and endocrinology
//! departments (internal medicine where it has neither) to every primary
//! centre of the alliance, two to four sessions a month, as the Joint
//! Health Centres did; a county medical community also posts one hospital
//! team to its last township centre, with sessions nearly every working
//! day. Sessions are scheduled on the 20th for the month ahead. Most are
//! held; hospitals cancel more in the winter, when wards are full, as the
//! pilots found; centres cancel a few; a few are simply missed.

use super::cast::Cast;
use super::{AFTERNOON_HOUR, at, month_end, plus, working_days};
use crate::demo::outreach::OutreachReport;
use anyhow::anyhow;
use rand::Rng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tiercare_api::AppState;
use tiercare_core::network::AllianceKind;
use tiercare_core::outreach::{OutreachService, ProgrammeKind};
use tiercare_core::{AllianceId, InstitutionId, PractitionerId, Specialty};
use tiercare_fhir::datatypes::{extension_url, system};
use tiercare_fhir::{format_date, outreach};
use tiercare_service::fresh_id;
use tiercare_service::outreach::Outreach;
use time::{Date, Month, OffsetDateTime};
use tokio::task::JoinSet;

/// A programme: planned, then created on its first day.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub hospital: InstitutionId,
    pub primary: InstitutionId,
    pub alliance: AllianceId,
    pub department: Specialty,
    pub kind: ProgrammeKind,
    pub services: Vec<OutreachService>,
    pub specialists: Vec<PractitionerId>,
    pub sessions_per_month: u32,
    pub slots: u32,
    pub start: Date,
    /// Its id once created.
    pub id: Option<String>,
    /// The last day its sessions are scheduled to.
    scheduled_to: Option<Date>,
}

/// A session waiting for its day.
#[derive(Debug, Clone)]
struct Pending {
    id: String,
    programme: usize,
    specialist: PractitionerId,
}

/// A session to schedule: its programme, day and specialist.
type SessionPlan = (usize, Date, PractitionerId);

/// A session held today: its programme and specialist.
pub(super) type Held = (usize, PractitionerId);

pub(super) struct Programmes {
    list: Vec<Planned>,
    pending: BTreeMap<Date, Vec<Pending>>,
    rng: Xoshiro256PlusPlus,
}

const HOSPITAL_REASONS: [&str; 4] = [
    "the specialist is needed on the ward",
    "the specialist is on call after a night shift",
    "department meeting at the hospital",
    "the specialist is covering an absent colleague",
];
const PRIMARY_REASONS: [&str; 3] = [
    "the centre's vaccination day",
    "village market day: few patients expected",
    "the consulting room is being renovated",
];

impl Programmes {
    /// Plans every programme of the county (none is created yet).
    pub fn plan(cast: &Cast, first: Date, mut rng: Xoshiro256PlusPlus) -> Programmes {
        let mut list = Vec::new();
        for a in &cast.alliances {
            let departments = cast
                .departments
                .get(&a.hospital)
                .cloned()
                .unwrap_or_default();
            let has = |s: Specialty| departments.contains(&s);
            let mut offers: Vec<(Specialty, Vec<OutreachService>)> = Vec::new();
            if has(Specialty::Cardiology) {
                offers.push((Specialty::Cardiology, vec![OutreachService::Hypertension]));
            }
            if has(Specialty::Endocrinology) {
                offers.push((Specialty::Endocrinology, vec![OutreachService::Diabetes]));
            }
            if offers.is_empty() && has(Specialty::InternalMedicine) {
                offers.push((
                    Specialty::InternalMedicine,
                    vec![OutreachService::Hypertension, OutreachService::Diabetes],
                ));
            }
            for (k, centre) in a.centres.iter().enumerate() {
                // Every third centre joins a few weeks late.
                let start = if k % 3 == 2 {
                    plus(first, rng.random_range(20..=45))
                } else {
                    first
                };
                for (department, services) in &offers {
                    let Some(specialists) =
                        cast.specialists.get(&(a.hospital.clone(), *department))
                    else {
                        continue;
                    };
                    let n = 1 + usize::from(rng.random_bool(0.5) && specialists.len() > 1);
                    list.push(Planned {
                        hospital: a.hospital.clone(),
                        primary: centre.clone(),
                        alliance: a.id.clone(),
                        department: *department,
                        kind: ProgrammeKind::Outreach,
                        services: services.clone(),
                        specialists: (0..n)
                            .map(|j| specialists[(k + j) % specialists.len()].clone())
                            .collect(),
                        sessions_per_month: rng.random_range(2..=4),
                        slots: rng.random_range(8..=12),
                        start,
                        id: None,
                        scheduled_to: None,
                    });
                }
            }
            // The county medical community's hospital team, posted to its
            // last township centre.
            let team_department = [Specialty::InternalMedicine, Specialty::Cardiology]
                .into_iter()
                .find(|s| has(*s));
            if a.kind == AllianceKind::CountyMedicalCommunity
                && let (Some(centre), Some(department)) = (a.centres.last(), team_department)
                && let Some(specialists) = cast.specialists.get(&(a.hospital.clone(), department))
            {
                list.push(Planned {
                    hospital: a.hospital.clone(),
                    primary: centre.clone(),
                    alliance: a.id.clone(),
                    department,
                    kind: ProgrammeKind::ResidentTeam,
                    services: vec![OutreachService::SpecialistClinic],
                    specialists: specialists.iter().take(3).cloned().collect(),
                    sessions_per_month: 16,
                    slots: 16,
                    start: first,
                    id: None,
                    scheduled_to: None,
                });
            }
        }
        Programmes {
            list,
            pending: BTreeMap::new(),
            rng,
        }
    }

    pub fn all(&self) -> &[Planned] {
        &self.list
    }

    pub fn get(&self, i: usize) -> &Planned {
        &self.list[i]
    }

    /// Sessions still scheduled after the history (today or later).
    pub fn ahead(&self) -> u32 {
        u32::try_from(self.pending.values().map(Vec::len).sum::<usize>()).unwrap_or(u32::MAX)
    }

    /// Creates the programmes starting today, schedules the month ahead on
    /// the 20th, and records the cancellations of today's sessions. The
    /// programmes created today are returned.
    pub async fn morning(
        &mut self,
        state: &AppState,
        cast: &Cast,
        day: Date,
        report: &mut OutreachReport,
    ) -> anyhow::Result<Vec<usize>> {
        let mut created = Vec::new();
        let mut plans = Vec::new();
        for i in 0..self.list.len() {
            let p = self.list[i].clone();
            if p.start == day && p.id.is_none() {
                let coordinator = cast
                    .coordinator(&p.hospital)
                    .ok_or_else(|| anyhow!("{} has no coordinator", p.hospital))?;
                let made = Outreach::new(&state.ctx, &coordinator)
                    .create_programme(outreach::parse_programme(programme_json(&p), fresh_id()?)?)
                    .await
                    .map_err(|e| anyhow!("creating a programme of {}: {e}", p.hospital))?;
                self.list[i].id = Some(made.value.id.to_string());
                report.programmes += 1;
                report.resident_teams += u32::from(p.kind == ProgrammeKind::ResidentTeam);
                created.push(i);
                // This month's sessions, and next month's if it is late.
                let to = if day.day() >= 20 {
                    month_end(plus(month_end(day), 1))
                } else {
                    month_end(day)
                };
                plans.extend(self.plan_sessions(i, day, to));
            } else if day.day() == 20 && p.id.is_some() {
                plans.extend(self.plan_sessions(i, day, month_end(plus(month_end(day), 1))));
            }
        }
        self.schedule(state, cast, plans, report).await?;
        let winter = matches!(
            day.month(),
            Month::December | Month::January | Month::February
        );
        let today = self.pending.get(&day).cloned().unwrap_or_default();
        let mut kept = Vec::new();
        for s in today {
            let p = &self.list[s.programme];
            let resident = p.kind == ProgrammeKind::ResidentTeam;
            let by_hospital = match (resident, winter) {
                (true, _) => 0.03,
                (false, true) => 0.15,
                (false, false) => 0.07,
            };
            let r: f64 = self.rng.random();
            if r < by_hospital {
                let reason = HOSPITAL_REASONS[self.rng.random_range(0..HOSPITAL_REASONS.len())];
                let specialist = cast.doctor(&s.specialist, &p.hospital);
                Outreach::new(&state.ctx, &specialist)
                    .cancel(&s.id, None, reason.into())
                    .await
                    .map_err(|e| anyhow!("cancelling session {}: {e}", s.id))?;
                report.cancelled_by_hospital += 1;
            } else if r < by_hospital + 0.04 {
                let reason = PRIMARY_REASONS[self.rng.random_range(0..PRIMARY_REASONS.len())];
                let coordinator = cast
                    .coordinator(&p.primary)
                    .ok_or_else(|| anyhow!("{} has no coordinator", p.primary))?;
                Outreach::new(&state.ctx, &coordinator)
                    .cancel(&s.id, None, reason.into())
                    .await
                    .map_err(|e| anyhow!("cancelling session {}: {e}", s.id))?;
                report.cancelled_by_primary += 1;
            } else {
                kept.push(s);
            }
        }
        if kept.is_empty() {
            self.pending.remove(&day);
        } else {
            self.pending.insert(day, kept);
        }
        Ok(created)
    }

    /// Records today's remaining sessions as held (by their specialist)
    /// or, a few, as missed (by the centre); the held ones are returned.
    pub async fn afternoon(
        &mut self,
        state: &AppState,
        cast: &Cast,
        day: Date,
        report: &mut OutreachReport,
    ) -> anyhow::Result<Vec<Held>> {
        let mut held = Vec::new();
        for s in self.pending.remove(&day).unwrap_or_default() {
            let p = &self.list[s.programme];
            if self.rng.random_bool(0.03) {
                let coordinator = cast
                    .coordinator(&p.primary)
                    .ok_or_else(|| anyhow!("{} has no coordinator", p.primary))?;
                Outreach::new(&state.ctx, &coordinator)
                    .miss(&s.id)
                    .await
                    .map_err(|e| anyhow!("recording session {} missed: {e}", s.id))?;
                report.sessions_missed += 1;
                continue;
            }
            let seen = self.rng.random_range(p.slots / 2..=p.slots);
            // A few of the patients seen would otherwise have been referred
            // up: about one in twenty, never more than one in ten.
            let avoided = self.rng.random_range(0..=seen / 10);
            let specialist = cast.doctor(&s.specialist, &p.hospital);
            Outreach::new(&state.ctx, &specialist)
                .hold(&s.id, seen, avoided)
                .await
                .map_err(|e| anyhow!("holding session {}: {e}", s.id))?;
            report.sessions_held += 1;
            report.patients_seen += seen;
            report.referrals_avoided += avoided;
            held.push((s.programme, s.specialist));
        }
        Ok(held)
    }

    /// Plans programme `i`'s sessions from the day after those already
    /// planned (or `today`) to `to`: each one's day and specialist, the
    /// specialists taking turns.
    fn plan_sessions(&mut self, i: usize, today: Date, to: Date) -> Vec<SessionPlan> {
        let p = &self.list[i];
        let from = p.scheduled_to.map_or(today, |d| plus(d, 1)).max(p.start);
        let mut days = Vec::new();
        let mut month_start = from;
        while month_start <= to {
            let end = month_end(month_start).min(to);
            days.extend(self.pick_days(i, month_start, end));
            month_start = plus(end, 1);
        }
        let p = &mut self.list[i];
        p.scheduled_to = Some(to.max(p.scheduled_to.unwrap_or(to)));
        days.into_iter()
            .enumerate()
            .map(|(n, d)| (i, d, p.specialists[n % p.specialists.len()].clone()))
            .collect()
    }

    /// Schedules the planned sessions, as each programme's first
    /// specialist: one programme's after another, the programmes at the
    /// same time, as the hospitals' departments would.
    async fn schedule(
        &mut self,
        state: &AppState,
        cast: &Cast,
        plans: Vec<SessionPlan>,
        report: &mut OutreachReport,
    ) -> anyhow::Result<()> {
        let mut by_programme: BTreeMap<usize, Vec<(Date, PractitionerId)>> = BTreeMap::new();
        for (i, d, s) in plans {
            by_programme.entry(i).or_default().push((d, s));
        }
        let mut jobs = JoinSet::new();
        for (i, sessions) in by_programme {
            let p = &self.list[i];
            let Some(id) = p.id.clone() else { continue };
            let scheduler = cast.doctor(&p.specialists[0], &p.hospital);
            let state = state.clone();
            jobs.spawn(async move {
                let service = Outreach::new(&state.ctx, &scheduler);
                let mut made = Vec::new();
                for (d, specialist) in sessions {
                    let start = at(d, 1, 0)?;
                    let end = at(d, AFTERNOON_HOUR - 2, 0)?;
                    let json = session_json(&id, &specialist, start, end);
                    let (programme, new) = outreach::parse_session(json, fresh_id()?)?;
                    let s = service
                        .schedule(programme, new)
                        .await
                        .map_err(|e| anyhow!("scheduling a session of {id} on {d}: {e}"))?;
                    made.push((i, d, specialist, s.value.id.to_string()));
                }
                anyhow::Ok(made)
            });
        }
        let mut made = Vec::new();
        while let Some(done) = jobs.join_next().await {
            made.extend(done.map_err(|e| anyhow!("scheduling sessions: {e}"))??);
        }
        // The same order whatever finished first.
        made.sort_by_key(|(i, d, ..)| (*d, *i));
        for (programme, d, specialist, id) in made {
            report.sessions_scheduled += 1;
            self.pending.entry(d).or_default().push(Pending {
                id,
                programme,
                specialist,
            });
        }
        Ok(())
    }

    /// The days of one month's sessions between `from` and `to`: spread
    /// over the month for an outreach programme (one in each part of it),
    /// most working days for a resident team. Sometimes the hospital
    /// schedules one session fewer than it committed.
    fn pick_days(&mut self, i: usize, from: Date, to: Date) -> Vec<Date> {
        let p = &self.list[i];
        let working = working_days(from, to);
        let month_days = working_days(from.replace_day(1).unwrap_or(from), month_end(from))
            .len()
            .max(1);
        // A part month gets its share of the commitment.
        let share = working.len() as f64 / month_days as f64;
        let mut n = (f64::from(p.sessions_per_month) * share).round() as usize;
        if p.kind == ProgrammeKind::Outreach && n > 1 && self.rng.random_bool(0.12) {
            n -= 1;
        }
        let n = n.min(working.len());
        if n == 0 {
            return Vec::new();
        }
        if p.kind == ProgrammeKind::ResidentTeam {
            let mut days = working;
            days.shuffle(&mut self.rng);
            days.truncate(n);
            days.sort();
            return days;
        }
        let len = working.len();
        (0..n)
            .map(|k| {
                let lo = k * len / n;
                let hi = ((k + 1) * len / n).max(lo + 1);
                working[self.rng.random_range(lo..hi)]
            })
            .collect()
    }
}

fn reference(kind: &str, id: &str) -> Value {
    json!({"reference": format!("{kind}/{id}")})
}

fn coding(code_system: &str, code: &str) -> Value {
    json!({"coding": [{"system": system(code_system), "code": code}]})
}

fn programme_json(p: &Planned) -> Value {
    let mut ext = vec![
        json!({"url": extension_url("outreach-primary"), "valueReference": reference("Organization", p.primary.as_str())}),
        json!({"url": extension_url("outreach-alliance"), "valueReference": reference("Organization", p.alliance.as_str())}),
        json!({"url": extension_url("outreach-period"), "valuePeriod": {"start": format_date(p.start)}}),
        json!({"url": extension_url("sessions-per-month"), "valuePositiveInt": p.sessions_per_month}),
        json!({"url": extension_url("slots-per-session"), "valuePositiveInt": p.slots}),
    ];
    for s in &p.specialists {
        ext.push(json!({"url": extension_url("outreach-specialist"), "valueReference": reference("Practitioner", s.as_str())}));
    }
    json!({
        "extension": ext,
        "providedBy": reference("Organization", p.hospital.as_str()),
        "category": [coding("outreach-kind", p.kind.code())],
        "type": p.services.iter().map(|s| coding("outreach-service", s.code())).collect::<Vec<_>>(),
        "specialty": [coding("specialty", p.department.code())],
    })
}

fn session_json(
    programme: &str,
    specialist: &PractitionerId,
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> Value {
    let instant = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    json!({
        "actor": [reference("HealthcareService", programme), reference("Practitioner", specialist.as_str())],
        "planningHorizon": {"start": instant(start), "end": instant(end)},
    })
}
