//! Mentoring: each specialist of an outreach programme mentors two to four
//! family doctors of the partner centre from the programme's first day.
//!
//! What the mentoring does over the year: joint clinics on the days the
//! mentor's sessions are held, a teaching session most months, case
//! discussions the family doctors bring, and a ward round when a mentee's
//! own referral to the hospital exists (only then does the service allow
//! one; the care history may or may not have made such referrals). A
//! family doctor who has taken part often enough for long enough is
//! recognised by the mentor as managing the department's condition.

use super::cast::Cast;
use super::programmes::{Held, Planned};
use super::{OutreachReport, plus, working};
use anyhow::anyhow;
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use tiercare_api::AppState;
use tiercare_core::outreach::{ActivityKind, ProgrammeKind};
use tiercare_core::{InstitutionId, PractitionerId, Record, ResidentId, Specialty};
use tiercare_fhir::datatypes::{extension_url, system};
use tiercare_fhir::{format_date, outreach};
use tiercare_service::fresh_id;
use tiercare_service::outreach::Outreach;
use tiercare_store::Stored;
use time::Date;

/// Attendances a family doctor needs before each competence.
const ATTENDANCES_PER_COMPETENCE: u32 = 6;
/// Days of mentoring before the first competence.
const DAYS_BEFORE_COMPETENCE: i64 = 90;

/// One running mentorship.
struct Mentor {
    id: String,
    programme: usize,
    specialist: PractitionerId,
    hospital: InstitutionId,
    primary: InstitutionId,
    mentees: Vec<PractitionerId>,
    started: Date,
    /// The conditions its mentees may be recognised for, in order.
    conditions: Vec<&'static str>,
    attended: BTreeMap<PractitionerId, u32>,
    recognised: BTreeMap<PractitionerId, usize>,
    /// The day of the month its teaching session falls on.
    teaching_day: u8,
}

pub(super) struct Mentoring {
    list: Vec<Mentor>,
    /// Referrals a ward round was already held for.
    used: BTreeSet<String>,
    rng: Xoshiro256PlusPlus,
}

impl Mentoring {
    pub fn new(rng: Xoshiro256PlusPlus) -> Mentoring {
        Mentoring {
            list: Vec::new(),
            used: BTreeSet::new(),
            rng,
        }
    }

    /// Starts the mentorships of a programme created today: one per
    /// specialist, created by the hospital's coordinator.
    pub async fn start(
        &mut self,
        state: &AppState,
        cast: &Cast,
        (index, p): (usize, &Planned),
        day: Date,
        report: &mut OutreachReport,
    ) -> anyhow::Result<()> {
        if p.kind != ProgrammeKind::Outreach {
            return Ok(());
        }
        let Some(id) = &p.id else { return Ok(()) };
        let Some(doctors) = cast.family_doctors.get(&p.primary) else {
            return Ok(());
        };
        let coordinator = cast
            .coordinator(&p.hospital)
            .ok_or_else(|| anyhow!("{} has no coordinator", p.hospital))?;
        let conditions = match p.department {
            Specialty::Cardiology => vec!["I10"],
            Specialty::Endocrinology => vec!["E11"],
            _ => vec!["I10", "E11"],
        };
        for specialist in &p.specialists {
            let n = self.rng.random_range(2..=4).min(doctors.len());
            let mentees: Vec<PractitionerId> =
                doctors.choose_multiple(&mut self.rng, n).cloned().collect();
            let made = Outreach::new(&state.ctx, &coordinator)
                .create_mentorship(outreach::parse_mentorship(
                    team_json(id, specialist, &mentees, day),
                    fresh_id()?,
                )?)
                .await
                .map_err(|e| anyhow!("creating a mentorship of {specialist}: {e}"))?;
            report.mentorships += 1;
            self.list.push(Mentor {
                id: made.value.id.to_string(),
                programme: index,
                specialist: specialist.clone(),
                hospital: p.hospital.clone(),
                primary: p.primary.clone(),
                mentees,
                started: day,
                conditions: conditions.clone(),
                attended: BTreeMap::new(),
                recognised: BTreeMap::new(),
                teaching_day: self.rng.random_range(3..=25),
            });
        }
        Ok(())
    }

    /// Today's mentoring, after the morning's sessions.
    pub async fn afternoon(
        &mut self,
        state: &AppState,
        cast: &Cast,
        held: &[Held],
        day: Date,
        report: &mut OutreachReport,
    ) -> anyhow::Result<()> {
        if !working(day) {
            return Ok(());
        }
        for m in 0..self.list.len() {
            let mentor = &self.list[m];
            let mut activities: Vec<(ActivityKind, Vec<PractitionerId>, Option<ResidentId>)> =
                Vec::new();
            let joint = held
                .iter()
                .any(|(p, s)| *p == mentor.programme && *s == mentor.specialist);
            if joint && self.rng.random_bool(0.6) {
                let n = self.rng.random_range(1..=2).min(mentor.mentees.len());
                let who = mentor
                    .mentees
                    .choose_multiple(&mut self.rng, n)
                    .cloned()
                    .collect();
                activities.push((ActivityKind::JointClinic, who, None));
            }
            if day.day() == mentor.teaching_day && self.rng.random_bool(0.85) {
                let mut who: Vec<PractitionerId> = mentor
                    .mentees
                    .iter()
                    .filter(|_| self.rng.random_bool(0.8))
                    .cloned()
                    .collect();
                if who.is_empty() {
                    who.push(mentor.mentees[0].clone());
                }
                activities.push((ActivityKind::Teaching, who, None));
            }
            if self.rng.random_bool(0.07)
                && let Some(doctor) = mentor.mentees.choose(&mut self.rng)
            {
                let patient = cast
                    .residents
                    .get(&mentor.primary)
                    .and_then(|r| r.choose(&mut self.rng))
                    .cloned();
                activities.push((ActivityKind::CaseDiscussion, vec![doctor.clone()], patient));
            }
            for (kind, who, patient) in activities {
                self.log(state, cast, m, kind, who, patient, None, day, report)
                    .await?;
            }
            if day.day() == self.list[m].teaching_day.saturating_add(2) {
                self.ward_round(state, cast, m, day, report).await?;
            }
            self.recognise(state, cast, m, day, report).await?;
        }
        Ok(())
    }

    /// A ward round for a mentee's referral up to the mentor's hospital
    /// that none was held for yet, if there is one.
    async fn ward_round(
        &mut self,
        state: &AppState,
        cast: &Cast,
        m: usize,
        day: Date,
        report: &mut OutreachReport,
    ) -> anyhow::Result<()> {
        let mentor = &self.list[m];
        for doctor in mentor.mentees.clone() {
            let ids = state
                .ctx
                .store
                .ids_where(
                    "ServiceRequest",
                    "requester",
                    &format!("Practitioner/{doctor}"),
                )
                .await?;
            for id in ids {
                if self.used.contains(&id) {
                    continue;
                }
                let Some(Stored {
                    record: Record::Referral(r),
                    ..
                }) = state.ctx.store.get("ServiceRequest", &id).await?
                else {
                    continue;
                };
                if r.to != self.list[m].hospital || r.requested_at.date() > day {
                    continue;
                }
                self.used.insert(id.clone());
                let (kind, who) = (ActivityKind::WardRound, vec![doctor]);
                self.log(
                    state,
                    cast,
                    m,
                    kind,
                    who,
                    Some(r.patient),
                    Some(id),
                    day,
                    report,
                )
                .await?;
                report.ward_rounds += 1;
                return Ok(());
            }
        }
        Ok(())
    }

    /// Logs an activity: a ward round or a case discussion by the family
    /// doctor who brought it, anything else by the mentor.
    #[allow(clippy::too_many_arguments)]
    async fn log(
        &mut self,
        state: &AppState,
        cast: &Cast,
        m: usize,
        kind: ActivityKind,
        who: Vec<PractitionerId>,
        patient: Option<ResidentId>,
        referral: Option<String>,
        day: Date,
        report: &mut OutreachReport,
    ) -> anyhow::Result<()> {
        let mentor = &self.list[m];
        let actor = match kind {
            ActivityKind::WardRound | ActivityKind::CaseDiscussion => {
                cast.doctor(&who[0], &mentor.primary)
            }
            _ => cast.doctor(&mentor.specialist, &mentor.hospital),
        };
        let task = task_json(
            &mentor.id,
            kind,
            &who,
            patient.as_ref(),
            referral.as_deref(),
            day,
        );
        Outreach::new(&state.ctx, &actor)
            .log_activity(outreach::parse_activity(task, fresh_id()?)?)
            .await
            .map_err(|e| anyhow!("logging a {} of {}: {e}", kind.code(), mentor.id))?;
        report.activities += 1;
        let mentor = &mut self.list[m];
        for d in who {
            *mentor.attended.entry(d).or_default() += 1;
        }
        Ok(())
    }

    /// Recognises the competences the mentees have earned by today.
    async fn recognise(
        &mut self,
        state: &AppState,
        cast: &Cast,
        m: usize,
        day: Date,
        report: &mut OutreachReport,
    ) -> anyhow::Result<()> {
        let mentor = &self.list[m];
        if day < plus(mentor.started, DAYS_BEFORE_COMPETENCE) {
            return Ok(());
        }
        let actor = cast.doctor(&mentor.specialist, &mentor.hospital);
        let mut earned = Vec::new();
        for d in &mentor.mentees {
            let done = mentor.recognised.get(d).copied().unwrap_or(0);
            let attended = mentor.attended.get(d).copied().unwrap_or(0);
            let needed = ATTENDANCES_PER_COMPETENCE * (u32::try_from(done).unwrap_or(0) + 1);
            if let Some(condition) = mentor.conditions.get(done)
                && attended >= needed
            {
                earned.push((d.clone(), *condition));
            }
        }
        for (d, condition) in earned {
            let code = condition
                .parse()
                .map_err(|e| anyhow!("condition {condition}: {e}"))?;
            Outreach::new(&state.ctx, &actor)
                .recognise(&self.list[m].id, d.clone(), code, day)
                .await
                .map_err(|e| anyhow!("recognising {d} for {condition}: {e}"))?;
            report.competences += 1;
            *self.list[m].recognised.entry(d).or_default() += 1;
        }
        Ok(())
    }
}

fn reference(kind: &str, id: &str) -> Value {
    json!({"reference": format!("{kind}/{id}")})
}

fn role(code: &str) -> Value {
    json!([{"coding": [{"system": system("mentorship-role"), "code": code}]}])
}

fn team_json(
    programme: &str,
    specialist: &PractitionerId,
    mentees: &[PractitionerId],
    day: Date,
) -> Value {
    let mut participants = vec![
        json!({"role": role("mentor"), "member": reference("Practitioner", specialist.as_str())}),
    ];
    for d in mentees {
        participants
            .push(json!({"role": role("mentee"), "member": reference("Practitioner", d.as_str())}));
    }
    json!({
        "category": [{"coding": [{"system": system("care-team-category"), "code": "mentorship"}]}],
        "period": {"start": format_date(day)},
        "participant": participants,
        "extension": [{"url": extension_url("outreach-programme"), "valueReference": reference("HealthcareService", programme)}],
    })
}

fn task_json(
    mentorship: &str,
    kind: ActivityKind,
    who: &[PractitionerId],
    patient: Option<&ResidentId>,
    referral: Option<&str>,
    day: Date,
) -> Value {
    let mut t = json!({
        "status": "completed",
        "intent": "plan",
        "code": {"coding": [{"system": system("mentorship-activity"), "code": kind.code()}]},
        "focus": reference("CareTeam", mentorship),
        "executionPeriod": {"start": format_date(day), "end": format_date(day)},
        "extension": who.iter().map(|d| json!({"url": extension_url("activity-participant"), "valueReference": reference("Practitioner", d.as_str())})).collect::<Vec<_>>(),
    });
    if let Some(p) = patient {
        t["for"] = reference("Patient", p.as_str());
    }
    if let Some(r) = referral {
        t["basedOn"] = json!([reference("ServiceRequest", r)]);
    }
    t
}
