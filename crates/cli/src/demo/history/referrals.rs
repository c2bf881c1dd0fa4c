//! The referral loop upwards in the history: the family doctor refers up,
//! the hospital's coordinator declines with a reason or accepts and books
//! a reserved slot or bed, the specialist completes the visit with or
//! without a report back (sometimes never sent), and may send the patient
//! back down (see `down`); the family doctor closes the loop.

use super::down::Down;
use super::mix::{Case, between, chance};
use super::visits::{hospital_specialty, level_ix};
use super::{Run, Step, at, next_working_day};
use tiercare_core::access::Actor;
use tiercare_core::referral::{
    Attachments, Command, DeclineReason, NewReferral, Priority, Report, Setting,
};
use tiercare_core::{Level, ReferralId, Specialty};
use tiercare_service::referrals::Referrals;
use time::Duration;

/// Declines: of referrals of a case positioned at primary care, and of
/// others. Reasons for the others: no capacity, incomplete information,
/// wrong specialty.
const DECLINE_PRIMARY_CASE: f64 = 0.35;
const DECLINE_OTHER: f64 = 0.07;
const NO_SHOW: f64 = 0.04;
const URGENT: f64 = 0.2;
/// Visits completed with the report back at once; of the rest, those
/// reported a few days later (the others never are: the loop stays open).
const REPORT_AT_ONCE: f64 = 0.8;
const REPORT_LATER: f64 = 0.6;
/// Sent back down after the visit: after an admission, a chronic case,
/// another case.
const DOWN_INPATIENT: f64 = 0.7;
const DOWN_CHRONIC: f64 = 0.5;
const DOWN_OTHER: f64 = 0.15;

/// An upward referral in flight.
#[derive(Debug, Clone)]
pub struct Up {
    pub(super) id: String,
    pub(super) person: usize,
    pub(super) case: Case,
    pub(super) hospital: usize,
    pub(super) specialty: Specialty,
    pub(super) inpatient: bool,
    pub(super) urgent: bool,
    pub(super) doctor: Actor,
}

/// A step of the loop.
#[derive(Debug, Clone)]
pub enum Loop {
    Request {
        person: usize,
        case: Case,
        hospital: usize,
        doctor: Actor,
    },
    Triage(Up),
    Arrive(Up),
    NoShow(Up),
    Complete(Up),
    Report(Up),
    SendDown(Up),
    Decide(Down),
    BookDown(Down),
    ArriveDown(Down),
    CompleteDown(Down),
    FollowUp {
        id: String,
        desk: Actor,
        done: bool,
    },
    /// The referrer closes a loop that is over.
    Close {
        id: String,
        by: Actor,
    },
}

impl Run<'_> {
    pub(super) async fn step(&mut self, step: Loop) -> anyhow::Result<()> {
        match step {
            Loop::Request {
                person,
                case,
                hospital,
                doctor,
            } => self.request(person, case, hospital, doctor).await,
            Loop::Triage(up) => self.triage(up).await,
            Loop::Arrive(up) => self.arrive_up(up).await,
            Loop::NoShow(up) => {
                let coordinator = self.cast.hospitals[up.hospital].coordinator.clone();
                let service = Referrals::new(&self.state.ctx, &coordinator);
                if self
                    .soft(service.act(&up.id, Command::NoShow, None).await)?
                    .is_some()
                {
                    self.close_later(&up.id, &up.doctor, 1);
                }
                Ok(())
            }
            Loop::Complete(up) => self.complete_up(up).await,
            Loop::Report(up) => {
                let specialist = self.cast.hospitals[up.hospital].specialist(up.specialty);
                let command = Command::Report {
                    report: report(&up.case),
                };
                let service = Referrals::new(&self.state.ctx, &specialist);
                if self
                    .soft(service.act(&up.id, command, None).await)?
                    .is_some()
                {
                    self.close_later(&up.id, &up.doctor, 2);
                }
                Ok(())
            }
            Loop::SendDown(up) => self.send_down(up).await,
            Loop::Decide(down) => self.decide(down).await,
            Loop::BookDown(down) => self.book_down(down).await,
            Loop::ArriveDown(down) => self.arrive_down(down).await,
            Loop::CompleteDown(down) => self.complete_down(down).await,
            Loop::FollowUp { id, desk, done } => self.follow_up(id, desk, done).await,
            Loop::Close { id, by } => {
                self.soft(
                    Referrals::new(&self.state.ctx, &by)
                        .act(&id, Command::Close, None)
                        .await,
                )?;
                Ok(())
            }
        }
    }

    /// The referrer closes the loop `days` days from now, in the morning.
    pub(super) fn close_later(&mut self, id: &str, by: &Actor, days: i64) {
        let day = self.state.ctx.clock.today() + Duration::days(days);
        let when = at(day, between(&mut self.dice, 10, 120));
        let close = Loop::Close {
            id: id.to_string(),
            by: by.clone(),
        };
        self.plan(when, Step::Loop(close));
    }

    async fn request(
        &mut self,
        person: usize,
        case: Case,
        hospital: usize,
        doctor: Actor,
    ) -> anyhow::Result<()> {
        let id = ReferralId::new(self.next_id("hist-r"))?;
        let p = &self.cast.people[person];
        let h = &self.cast.hospitals[hospital];
        let specialty = hospital_specialty(case.specialty);
        let inpatient = case.inpatient && h.beds(specialty);
        let urgent = case.level != Level::Primary && chance(&mut self.dice, URGENT);
        let new = NewReferral {
            id,
            patient: p.id.clone(),
            from: p.home.clone(),
            from_level: Level::Primary,
            to: h.id.clone(),
            to_level: h.level,
            specialty,
            setting: if inpatient {
                Setting::Inpatient
            } else {
                Setting::Outpatient
            },
            priority: if urgent {
                Priority::Urgent
            } else {
                Priority::Routine
            },
            condition: case.code.clone(),
            summary: format!(
                "{} not controlled in primary care; please assess.",
                case.code.as_str()
            ),
            attachments: Attachments::default(),
        };
        let service = Referrals::new(&self.state.ctx, &doctor);
        let Some((r, _)) = self.soft(service.request(new).await)? else {
            return Ok(());
        };
        self.report.referrals_up += 1;
        let up = Up {
            id: r.value.id.to_string(),
            person,
            case,
            hospital,
            specialty,
            inpatient,
            urgent,
            doctor,
        };
        let day = if urgent {
            self.state.ctx.clock.today()
        } else {
            next_working_day(self.state.ctx.clock.today())
        };
        let when = (at(day, between(&mut self.dice, 30, 420))).max(self.state.ctx.clock.now());
        self.plan(when, Step::Loop(Loop::Triage(up)));
        Ok(())
    }

    /// The hospital's coordinator declines with a reason, or accepts and
    /// books a bed or a (reserved) slot.
    async fn triage(&mut self, up: Up) -> anyhow::Result<()> {
        let coordinator = self.cast.hospitals[up.hospital].coordinator.clone();
        let service = Referrals::new(&self.state.ctx, &coordinator);
        let decline = if up.case.level == Level::Primary {
            chance(&mut self.dice, DECLINE_PRIMARY_CASE).then_some(DeclineReason::NotIndicated)
        } else if chance(&mut self.dice, DECLINE_OTHER) {
            Some(match between(&mut self.dice, 0, 9) {
                0..=4 => DeclineReason::NoCapacity,
                5..=7 => DeclineReason::IncompleteInformation,
                _ => DeclineReason::WrongSpecialty,
            })
        } else {
            None
        };
        if let Some(reason) = decline {
            let command = Command::Decline {
                reason,
                comment: "Triaged by the referral office.".into(),
            };
            if self
                .soft(service.act(&up.id, command, None).await)?
                .is_some()
            {
                self.report.declined += 1;
                self.close_later(&up.id, &up.doctor, 1);
            }
            return Ok(());
        }
        if self
            .soft(service.act(&up.id, Command::Accept, None).await)?
            .is_none()
        {
            return Ok(());
        }
        let h = &self.cast.hospitals[up.hospital];
        if up.inpatient {
            let pool = format!("{}-{}-beds", h.id, up.specialty.code());
            if self
                .soft(service.book_bed(&up.id, &pool, None).await)?
                .is_some()
            {
                let admitted =
                    self.state.ctx.clock.now() + Duration::hours(between(&mut self.dice, 2, 6));
                self.plan(admitted, Step::Loop(Loop::Arrive(up)));
            }
            return Ok(());
        }
        let (institution, specialty) = (h.id.clone(), up.specialty);
        let wait = if up.urgent {
            between(&mut self.dice, 1, 2)
        } else {
            between(&mut self.dice, 3, 12)
        };
        let mut day = self.state.ctx.clock.today();
        for _ in 0..wait {
            day = next_working_day(day);
        }
        let now = self.state.ctx.clock.now();
        for _ in 0..3 {
            let candidates = self
                .slots
                .candidates(self.state, &self.admin, &institution, specialty, day, now)
                .await?;
            for slot in candidates.into_iter().take(4) {
                self.slots.taken(&institution, specialty, day, &slot);
                let booked = self.soft(service.book_slot(&up.id, slot.as_str(), None).await)?;
                let Some((_, s)) = booked else { continue };
                let start = s.value.start;
                let next = if chance(&mut self.dice, NO_SHOW) {
                    (start + Duration::minutes(30), Loop::NoShow(up))
                } else {
                    (start + Duration::minutes(2), Loop::Arrive(up))
                };
                self.plan(next.0, Step::Loop(next.1));
                return Ok(());
            }
            day = next_working_day(day);
        }
        Ok(())
    }

    async fn arrive_up(&mut self, up: Up) -> anyhow::Result<()> {
        let coordinator = self.cast.hospitals[up.hospital].coordinator.clone();
        let service = Referrals::new(&self.state.ctx, &coordinator);
        if self
            .soft(
                service
                    .act(&up.id, Command::Arrive { early: false }, None)
                    .await,
            )?
            .is_none()
        {
            return Ok(());
        }
        let end = if up.inpatient {
            let stay = between(&mut self.dice, 3, 9);
            at(
                self.state.ctx.clock.today() + Duration::days(stay),
                between(&mut self.dice, 60, 300),
            )
        } else {
            self.state.ctx.clock.now() + Duration::minutes(between(&mut self.dice, 10, 30))
        };
        self.plan(end, Step::Loop(Loop::Complete(up)));
        Ok(())
    }

    async fn complete_up(&mut self, up: Up) -> anyhow::Result<()> {
        let h = &self.cast.hospitals[up.hospital];
        let (level, specialist) = (h.level, h.specialist(up.specialty));
        let at_once = chance(&mut self.dice, REPORT_AT_ONCE);
        let command = Command::Complete {
            report: at_once.then(|| report(&up.case)),
        };
        let service = Referrals::new(&self.state.ctx, &specialist);
        if self
            .soft(service.act(&up.id, command, None).await)?
            .is_none()
        {
            return Ok(());
        }
        self.report.visits[level_ix(level)] += 1;
        let down = if up.inpatient {
            DOWN_INPATIENT
        } else if up.case.chronic {
            DOWN_CHRONIC
        } else {
            DOWN_OTHER
        };
        let now = self.state.ctx.clock.now();
        if chance(&mut self.dice, down) {
            self.plan(
                now + Duration::minutes(30),
                Step::Loop(Loop::SendDown(up.clone())),
            );
        }
        if at_once {
            let days = between(&mut self.dice, 1, 3);
            self.close_later(&up.id, &up.doctor, days);
        } else if chance(&mut self.dice, REPORT_LATER) {
            let day = next_working_day(next_working_day(self.state.ctx.clock.today()));
            let when = at(day, between(&mut self.dice, 30, 400));
            self.plan(when, Step::Loop(Loop::Report(up)));
        }
        Ok(())
    }
}

/// The report back to the referrer.
fn report(case: &Case) -> Report {
    Report {
        summary: format!("Assessed and treated for {}.", case.code.as_str()),
        diagnosis: Some(case.code.clone()),
        recommendation: "Continue follow-up with the family doctor.".into(),
    }
}
