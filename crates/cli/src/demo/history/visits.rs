//! First contacts: a resident books a visit at their primary institution,
//! or goes straight to a hospital (a bypass under financial gatekeeping,
//! or an emergency); the front desk records the arrival and the end of the
//! visit, which files its claim. After a primary visit the family doctor
//! may refer the patient up or ask a specialist an e-consult.

use super::cast::Person;
use super::mix::{Case, between, chance};
use super::referrals::Loop;
use super::{Run, Step, at, next_working_day};
use tiercare_core::access::Actor;
use tiercare_core::consult::{ConsultMode, ConsultOutcome, NewConsult};
use tiercare_core::{ConsultId, Level, Specialty};
use tiercare_service::ServiceError;
use tiercare_service::referrals::{Referrals, SelfBooking};
use time::Duration;

/// A resident with a new problem.
#[derive(Debug, Clone)]
pub struct Contact {
    pub person: usize,
    pub case: Case,
    pub weekend: bool,
}

/// A self-booked visit on its way.
#[derive(Debug, Clone)]
pub struct Visit {
    pub person: usize,
    pub case: Case,
    pub appointment: String,
    pub encounter: String,
    pub level: Level,
    /// Who records it: a doctor of the primary institution, or the
    /// hospital's coordinator.
    pub desk: Actor,
}

/// An e-consult waiting for the specialist.
#[derive(Debug, Clone)]
pub struct Consulted {
    pub id: String,
    pub asker: Actor,
    pub specialist: Actor,
}

/// Shares of first contacts made at a hospital without a referral, by
/// where the condition belongs and whether the resident has a family
/// doctor: residents "chase high-level care", more so without one.
const BYPASS_PRIMARY_CASE: [f64; 2] = [0.35, 0.18];
const BYPASS_HOSPITAL_CASE: [f64; 2] = [0.6, 0.35];
/// Of those going to a hospital for a secondary-level problem, the share
/// that goes to the tertiary one outside the county.
const CHASE_TERTIARY: f64 = 0.25;
/// After a primary visit: referral up of a case positioned above primary
/// care, of one positioned at it (often declined), and an e-consult.
const REFER_HOSPITAL_CASE: f64 = 0.8;
const REFER_PRIMARY_CASE: f64 = 0.07;
const CONSULT: f64 = 0.04;
/// Primary visits made at the village clinic or community station near
/// the resident rather than at their township or community centre.
const AT_CLINIC: f64 = 0.4;

/// The hospital department a problem is seen in.
pub fn hospital_specialty(s: Specialty) -> Specialty {
    match s {
        Specialty::GeneralPractice | Specialty::Rehabilitation | Specialty::TraditionalChinese => {
            Specialty::InternalMedicine
        }
        other => other,
    }
}

impl Run<'_> {
    /// The services' outcome, with the refusals a busy region runs into
    /// (a slot just taken, a referral in flight) counted and turned into
    /// `None`; any other error ends the history.
    pub(super) fn soft<T, E: Into<ServiceError>>(
        &mut self,
        r: Result<T, E>,
    ) -> anyhow::Result<Option<T>> {
        match r.map_err(Into::into) {
            Ok(v) => Ok(Some(v)),
            Err(ServiceError::Conflict(e)) => {
                tracing::debug!("demo history: refused: {e}");
                self.report.refused += 1;
                Ok(None)
            }
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    }

    /// A hospital for the case: the level it belongs at (at least
    /// secondary), with a clinic of its specialty.
    pub(super) fn hospital_for(&mut self, case: &Case, chase: bool) -> Option<usize> {
        let specialty = hospital_specialty(case.specialty);
        let level = if case.level == Level::Tertiary || chase {
            Level::Tertiary
        } else {
            Level::Secondary
        };
        let mut fits: Vec<usize> = (0..self.cast.hospitals.len())
            .filter(|&i| {
                let h = &self.cast.hospitals[i];
                h.level == level && h.has(specialty)
            })
            .collect();
        if fits.is_empty() {
            fits = (0..self.cast.hospitals.len())
                .filter(|&i| self.cast.hospitals[i].has(specialty))
                .collect();
        }
        if fits.is_empty() {
            return None;
        }
        let k = between(&mut self.dice, 0, fits.len() as i64 - 1) as usize;
        fits.get(k).copied()
    }

    pub(super) async fn contact(&mut self, c: Contact) -> anyhow::Result<()> {
        let today = self.state.ctx.clock.today();
        let p: Person = self.cast.people[c.person].clone();
        let emergency = chance(&mut self.dice, c.case.emergency_share);
        let contracted = usize::from(self.doctor_of(c.person, today).is_some());
        let bypass = match c.case.level {
            Level::Primary => BYPASS_PRIMARY_CASE[contracted],
            _ => BYPASS_HOSPITAL_CASE[contracted],
        };
        let to_hospital = emergency || (!c.weekend && chance(&mut self.dice, bypass));
        let chase = !emergency && chance(&mut self.dice, CHASE_TERTIARY);
        let hospital = if to_hospital {
            self.hospital_for(&c.case, chase)
        } else {
            None
        };
        let (institution, specialty, level, desk) = match hospital {
            Some(h) => {
                let h = &self.cast.hospitals[h];
                let s = hospital_specialty(c.case.specialty);
                (h.id.clone(), s, h.level, h.coordinator.clone())
            }
            None => {
                let place = match &p.clinic {
                    Some(c) if chance(&mut self.dice, AT_CLINIC) => c.clone(),
                    _ => p.home.clone(),
                };
                match self.cast.desks.get(&place) {
                    Some(d) => (place, Specialty::GeneralPractice, Level::Primary, d.clone()),
                    None => return Ok(()),
                }
            }
        };
        let now = self.state.ctx.clock.now();
        let candidates = self
            .slots
            .candidates(
                self.state,
                &self.admin,
                &institution,
                specialty,
                today,
                now + Duration::minutes(10),
            )
            .await?;
        let me = p.actor();
        for slot in candidates.into_iter().take(3) {
            self.slots.taken(&institution, specialty, today, &slot);
            let booking = SelfBooking {
                slot: slot.to_string(),
                patient: p.id.clone(),
                condition: Some(c.case.code.clone()),
                emergency: emergency && hospital.is_some(),
            };
            let booked = self.soft(
                Referrals::new(&self.state.ctx, &me)
                    .book_self(booking)
                    .await,
            )?;
            let Some(a) = booked else { continue };
            let a = a.value;
            if a.bypass {
                self.report.bypass += 1;
            }
            if a.emergency {
                self.report.emergencies += 1;
            }
            let visit = Visit {
                person: c.person,
                case: c.case,
                appointment: a.id.to_string(),
                encounter: String::new(),
                level,
                desk,
            };
            let arrive = a.start + Duration::minutes(between(&mut self.dice, 0, 5));
            self.plan(arrive, Step::Arrive(visit));
            return Ok(());
        }
        Ok(())
    }

    pub(super) async fn arrive(&mut self, mut v: Visit) -> anyhow::Result<()> {
        let service = Referrals::new(&self.state.ctx, &v.desk);
        let Some(e) = self.soft(service.arrive_self(&v.appointment, false).await)? else {
            return Ok(());
        };
        v.encounter = e.value.id.to_string();
        let end = self.state.ctx.clock.now() + Duration::minutes(between(&mut self.dice, 8, 25));
        self.plan(end, Step::Finish(v));
        Ok(())
    }

    pub(super) async fn finish(&mut self, v: Visit) -> anyhow::Result<()> {
        let service = Referrals::new(&self.state.ctx, &v.desk);
        if self
            .soft(service.finish_visit(&v.encounter).await)?
            .is_none()
        {
            return Ok(());
        }
        self.report.visits[level_ix(v.level)] += 1;
        if v.level != Level::Primary {
            return Ok(());
        }
        let today = self.state.ctx.clock.today();
        let Some(doctor) = self.doctor_of(v.person, today) else {
            return Ok(());
        };
        self.maybe_read(v.person, v.case.specialty, &doctor).await?;
        let refer = match v.case.level {
            Level::Primary => REFER_PRIMARY_CASE,
            _ => REFER_HOSPITAL_CASE,
        };
        let now = self.state.ctx.clock.now();
        if chance(&mut self.dice, refer) {
            if let Some(hospital) = self.hospital_for(&v.case, false) {
                let request = Loop::Request {
                    person: v.person,
                    case: v.case,
                    hospital,
                    doctor,
                };
                self.plan(now + Duration::minutes(5), Step::Loop(request));
            }
        } else if chance(&mut self.dice, CONSULT) {
            self.ask(v, doctor).await?;
        }
        Ok(())
    }

    /// The family doctor asks a hospital specialist about the patient.
    async fn ask(&mut self, v: Visit, doctor: Actor) -> anyhow::Result<()> {
        let Some(h) = self.hospital_for(&v.case, false) else {
            return Ok(());
        };
        let id = ConsultId::new(self.next_id("hist-c"))?;
        let hospital = &self.cast.hospitals[h];
        let specialty = hospital_specialty(v.case.specialty);
        let specialist = hospital.specialist(specialty);
        let new = NewConsult {
            id,
            patient: self.cast.people[v.person].id.clone(),
            from: self.cast.people[v.person].home.clone(),
            to: hospital.id.clone(),
            specialist: None,
            specialty,
            mode: ConsultMode::Written,
            condition: Some(v.case.code.clone()),
            question: format!(
                "Patient seen today with {}: is a change of treatment needed before referring?",
                v.case.code.as_str()
            ),
        };
        let Some(c) = self.soft(Referrals::new(&self.state.ctx, &doctor).ask(new).await)? else {
            return Ok(());
        };
        self.report.consults += 1;
        let day = next_working_day(self.state.ctx.clock.today());
        let when = at(day, between(&mut self.dice, 30, 420));
        let consulted = Consulted {
            id: c.value.id.to_string(),
            asker: doctor,
            specialist,
        };
        self.plan(when, Step::Answer(consulted));
        Ok(())
    }

    /// The specialist answers; the family doctor reads it and closes the
    /// consult as resolved in primary care.
    pub(super) async fn answer(&mut self, c: Consulted) -> anyhow::Result<()> {
        let text = "Continue in primary care: adjust the dose as discussed and review in four weeks; refer if no better.".to_string();
        let specialist = Referrals::new(&self.state.ctx, &c.specialist);
        if self
            .soft(specialist.post_message(&c.id, text).await)?
            .is_none()
        {
            return Ok(());
        }
        let later =
            self.state.ctx.clock.now() + Duration::minutes(between(&mut self.dice, 30, 180));
        self.state.ctx.clock.set(later);
        let asker = Referrals::new(&self.state.ctx, &c.asker);
        self.soft(
            asker
                .close_consult(&c.id, ConsultOutcome::Resolved, None)
                .await,
        )?;
        Ok(())
    }
}

/// The report's index of a level.
pub fn level_ix(level: Level) -> usize {
    match level {
        Level::Primary => 0,
        Level::Secondary => 1,
        Level::Tertiary => 2,
    }
}
