//! Downward referrals in the history: the specialist sends a stable
//! patient back to their primary institution with a care plan of
//! follow-ups; the patient accepts it or refuses to go back down, primary
//! care books and sees them, reports back to the hospital, which closes
//! the loop, and does the plan's follow-ups on time, late or not at all.

use super::mix::{between, chance};
use super::referrals::{Loop, Up};
use super::{Run, Step, at};
use tiercare_core::access::Actor;
use tiercare_core::care_plan::{NewCarePlan, PlannedFollowUp, Target};
use tiercare_core::clinical::MedicineUse;
use tiercare_core::referral::{Attachments, Command, NewReferral, Priority, Report, Setting};
use tiercare_core::{InstitutionId, Level, ReferralId, Specialty};
use tiercare_service::referrals::Referrals;
use time::{Date, Duration};

/// Patients who refuse to go back down (the Hangzhou pilot's friction).
const REFUSE_DOWN: f64 = 0.2;
/// Follow-ups done (the rest are missed), and of those, done late.
const FOLLOW_UP_DONE: f64 = 0.8;
const FOLLOW_UP_LATE: f64 = 0.2;

/// A downward referral in flight.
#[derive(Debug, Clone)]
pub struct Down {
    id: String,
    plan: String,
    person: usize,
    to: InstitutionId,
    specialist: Actor,
    desk: Actor,
    /// The plan's follow-ups, in due order.
    follow_ups: Vec<(String, Date)>,
}

impl Run<'_> {
    /// The medicines a patient goes home on: two the receiving centre
    /// stocks and, where the hospital dispenses one it does not, that one
    /// too (the plan records it as missing). Chosen without the dice, so
    /// the history's other choices stay as they were.
    async fn going_home_on(
        &self,
        service: &Referrals<'_>,
        hospital: &InstitutionId,
        home: &InstitutionId,
    ) -> anyhow::Result<Vec<MedicineUse>> {
        let stocked = service.essential_medicines(home).await?;
        let stocked = stocked.map(|l| l.medicines).unwrap_or_default();
        let dispensed = service.essential_medicines(hospital).await?;
        let use_of =
            |(code, name): (&tiercare_core::medicines::MedicineCode, &String)| MedicineUse {
                medicine: code.clone(),
                name: name.clone(),
                dosage: "as at discharge".into(),
            };
        let mut out: Vec<MedicineUse> = stocked.iter().take(2).map(use_of).collect();
        out.extend(
            dispensed
                .iter()
                .flat_map(|l| l.medicines.iter())
                .find(|(code, _)| !stocked.contains_key(*code))
                .map(use_of),
        );
        Ok(out)
    }

    /// The specialist refers the patient back to their primary institution
    /// with a care plan of follow-ups.
    pub(super) async fn send_down(&mut self, up: Up) -> anyhow::Result<()> {
        let p = self.cast.people[up.person].clone();
        let Some(desk) = self.cast.desks.get(&p.home).cloned() else {
            return Ok(());
        };
        let h = &self.cast.hospitals[up.hospital];
        let specialist = h.specialist(up.specialty);
        let from = h.id.clone();
        let from_level = h.level;
        let Some(me) = specialist.institution.clone().filter(|i| *i == from) else {
            return Ok(());
        };
        let new = NewReferral {
            id: ReferralId::new(self.next_id("hist-d"))?,
            patient: p.id.clone(),
            from: me,
            from_level,
            to: p.home.clone(),
            to_level: Level::Primary,
            specialty: Specialty::GeneralPractice,
            setting: Setting::Outpatient,
            priority: Priority::Routine,
            condition: up.case.code.clone(),
            summary: format!(
                "{} treated and stable: continue care and follow-up in primary care.",
                up.case.code.as_str()
            ),
            attachments: Attachments::default(),
        };
        let service = Referrals::new(&self.state.ctx, &specialist);
        let Some((r, _)) = self.soft(service.request(new).await)? else {
            return Ok(());
        };
        self.report.referrals_down += 1;
        let today = self.state.ctx.clock.today();
        let mut dues = vec![14, 42];
        if up.case.chronic {
            dues.push(90);
        }
        let plan = NewCarePlan {
            description: "Discharged stable; continue treatment in primary care.".into(),
            targets: vec![Target {
                measure: "symptoms".into(),
                goal: "no worse than at discharge".into(),
            }],
            medicines: self.going_home_on(&service, &from, &p.home).await?,
            follow_ups: dues
                .iter()
                .map(|d| PlannedFollowUp {
                    due: today + Duration::days(*d),
                    description: "Review at the family doctor's clinic".into(),
                })
                .collect(),
        };
        let Some(plan) = self.soft(service.draw_up(r.value.id.as_str(), plan).await)? else {
            return Ok(());
        };
        let follow_ups = plan
            .value
            .follow_ups
            .iter()
            .zip(&dues)
            .map(|(id, d)| (id.to_string(), today + Duration::days(*d)))
            .collect();
        let down = Down {
            id: r.value.id.to_string(),
            plan: plan.value.id.to_string(),
            person: up.person,
            to: p.home,
            specialist,
            desk,
            follow_ups,
        };
        let when = at(today + Duration::days(1), between(&mut self.dice, 60, 400));
        self.plan(when, Step::Loop(Loop::Decide(down)));
        Ok(())
    }

    /// The patient accepts the plan or refuses to go back down.
    pub(super) async fn decide(&mut self, down: Down) -> anyhow::Result<()> {
        let me = self.cast.people[down.person].actor();
        let service = Referrals::new(&self.state.ctx, &me);
        let refuse = chance(&mut self.dice, REFUSE_DOWN);
        let reason = if refuse {
            "prefers to stay under the hospital's care".to_string()
        } else {
            String::new()
        };
        if self
            .soft(service.decide(&down.plan, !refuse, reason, None).await)?
            .is_none()
        {
            return Ok(());
        }
        if refuse {
            self.report.refused_down += 1;
            return Ok(());
        }
        let later =
            self.state.ctx.clock.now() + Duration::minutes(between(&mut self.dice, 30, 240));
        self.plan(later, Step::Loop(Loop::BookDown(down)));
        Ok(())
    }

    /// Primary care accepts the downward referral and books the first visit.
    pub(super) async fn book_down(&mut self, down: Down) -> anyhow::Result<()> {
        let service = Referrals::new(&self.state.ctx, &down.desk);
        if self
            .soft(service.act(&down.id, Command::Accept, None).await)?
            .is_none()
        {
            return Ok(());
        }
        let mut day = self.state.ctx.clock.today() + Duration::days(between(&mut self.dice, 2, 7));
        let now = self.state.ctx.clock.now();
        let specialty = Specialty::GeneralPractice;
        for _ in 0..3 {
            let candidates = self
                .slots
                .candidates(self.state, &self.admin, &down.to, specialty, day, now)
                .await?;
            for slot in candidates.into_iter().take(4) {
                self.slots.taken(&down.to, specialty, day, &slot);
                let booked = self.soft(service.book_slot(&down.id, slot.as_str(), None).await)?;
                let Some((_, s)) = booked else { continue };
                let arrive = s.value.start + Duration::minutes(2);
                self.plan(arrive, Step::Loop(Loop::ArriveDown(down)));
                return Ok(());
            }
            day += Duration::days(1);
        }
        Ok(())
    }

    /// The first visit back in primary care: reported back to the hospital,
    /// which closes the loop; the follow-ups go on the agenda.
    pub(super) async fn complete_down(&mut self, down: Down) -> anyhow::Result<()> {
        let service = Referrals::new(&self.state.ctx, &down.desk);
        let command = Command::Complete {
            report: Some(Report {
                summary: "Seen back in primary care; the plan is under way.".into(),
                diagnosis: None,
                recommendation: "None: the family doctor follows the plan.".into(),
            }),
        };
        if self
            .soft(service.act(&down.id, command, None).await)?
            .is_none()
        {
            return Ok(());
        }
        self.report.visits[0] += 1;
        self.close_later(&down.id, &down.specialist, 1);
        for (id, due) in &down.follow_ups {
            let done = chance(&mut self.dice, FOLLOW_UP_DONE);
            let late = if chance(&mut self.dice, FOLLOW_UP_LATE) {
                between(&mut self.dice, 1, 10)
            } else {
                between(&mut self.dice, -3, 0)
            };
            let day = (*due + Duration::days(late)).max(self.state.ctx.clock.today());
            let step = Loop::FollowUp {
                id: id.clone(),
                desk: down.desk.clone(),
                done,
            };
            let when = at(day, between(&mut self.dice, 30, 420));
            self.plan(when.max(self.state.ctx.clock.now()), Step::Loop(step));
        }
        Ok(())
    }

    pub(super) async fn arrive_down(&mut self, down: Down) -> anyhow::Result<()> {
        let service = Referrals::new(&self.state.ctx, &down.desk);
        if self
            .soft(
                service
                    .act(&down.id, Command::Arrive { early: false }, None)
                    .await,
            )?
            .is_some()
        {
            let end = self.state.ctx.clock.now() + Duration::minutes(15);
            self.plan(end, Step::Loop(Loop::CompleteDown(down)));
        }
        Ok(())
    }

    /// A follow-up is done on its day, or missed.
    pub(super) async fn follow_up(
        &mut self,
        id: String,
        desk: Actor,
        done: bool,
    ) -> anyhow::Result<()> {
        if !done {
            self.report.follow_ups_missed += 1;
            return Ok(());
        }
        let note = "Seen: stable on the plan's treatment.".to_string();
        let service = Referrals::new(&self.state.ctx, &desk);
        if self
            .soft(service.complete_follow_up(&id, note, None).await)?
            .is_some()
        {
            self.report.follow_ups_done += 1;
        }
        Ok(())
    }
}
