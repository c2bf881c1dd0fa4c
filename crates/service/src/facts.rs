//! What the platform's changes mean for the oversight indicators.
//!
//! Every write that carries a domain event the indicators count (a
//! referral requested, declined, booked, completed or refused, a visit
//! finished with its claim, an outreach session held with its patients, a
//! resident registered, a contract signed or ended, a remote reading
//! ordered, reported, cancelled or its critical alert acknowledged) gets
//! its indicator facts here, just before it is stored; the store adds them to the daily aggregates in the same transaction. The
//! facts are the core's, the same ones the simulator emits, so the live
//! region and a simulated one are measured by one definition.

mod flows;
mod readings;

use crate::Context;
use crate::days::day_of;
use crate::units::{Attribution, practitioner_key, team_key};
use std::collections::HashMap;
use tiercare_core::catalogue::{Case, Catalogue, IcdCode, Severity, Urgency};
use tiercare_core::events::Event;
use tiercare_core::hub::ReadingChange;
use tiercare_core::indicators::readings::minutes_of;
use tiercare_core::indicators::{
    Charge, Direction, Fact, Ix, ReadingFact, ReadingStep, SCHEME_SLOTS, Visit, VisitKind,
};
use tiercare_core::insurance::{Claim, ReferralDirection};
use tiercare_core::outreach::OutreachEvent;
use tiercare_core::referral::{Change, Referral};
use tiercare_core::{Level, Record};
use tiercare_store::{StoreError, Stored, Write};

/// Lookups shared by the writes of one call.
struct Lookup<'a> {
    ctx: &'a Context,
    ix: HashMap<String, Ix>,
    levels: HashMap<String, Level>,
}

impl Lookup<'_> {
    async fn ix(&mut self, institution: &str) -> Result<Ix, StoreError> {
        if let Some(ix) = self.ix.get(institution) {
            return Ok(*ix);
        }
        let ix = self.ctx.store.institution_ix(institution).await?;
        self.ix.insert(institution.to_string(), ix);
        Ok(ix)
    }

    async fn level(&mut self, institution: &str) -> Result<Level, StoreError> {
        if let Some(l) = self.levels.get(institution) {
            return Ok(*l);
        }
        let level = match self.ctx.store.get("Organization", institution).await? {
            Some(Stored {
                record: Record::Institution(i),
                ..
            }) => i.level,
            _ => Level::Primary,
        };
        self.levels.insert(institution.to_string(), level);
        Ok(level)
    }

    async fn referral(
        &self,
        in_call: &HashMap<String, Referral>,
        id: &str,
    ) -> Result<Option<Referral>, StoreError> {
        if let Some(r) = in_call.get(id) {
            return Ok(Some(r.clone()));
        }
        Ok(match self.ctx.store.get("ServiceRequest", id).await? {
            Some(Stored {
                record: Record::Referral(r),
                ..
            }) => Some(r),
            _ => None,
        })
    }
}

/// The level the catalogue positions a typical case of `code` at.
fn positioned(code: &IcdCode) -> Option<Level> {
    Catalogue::bundled()
        .triage(&Case {
            code: code.clone(),
            severity: Severity::Mild,
            urgency: Urgency::Routine,
            stable_chronic: false,
        })
        .ok()
        .map(|t| t.level)
}

fn direction(r: &Referral) -> Direction {
    if r.to_level >= r.from_level {
        Direction::Up
    } else {
        Direction::Down
    }
}

/// Fills in the indicator facts of every write of one call, made by
/// `acting` (whose doctor the call need not look up).
pub async fn derive(
    ctx: &Context,
    acting: &tiercare_core::access::Actor,
    writes: &mut [Write],
) -> Result<(), StoreError> {
    let mut referrals: HashMap<String, Referral> = HashMap::new();
    let mut claims: HashMap<String, Claim> = HashMap::new();
    for w in writes.iter() {
        match &w.record {
            Record::Referral(r) => {
                referrals.insert(r.id.to_string(), r.clone());
            }
            // A visit's claim, for the visit's facts (a reading's claim
            // has no visit: its money is in the fund's summary, not in the
            // visits' spend).
            Record::Claim(c) => {
                if let Some(e) = c.encounter() {
                    claims.insert(e.to_string(), (**c).clone());
                }
            }
            _ => {}
        }
    }
    let mut look = Lookup {
        ctx,
        ix: HashMap::new(),
        levels: HashMap::new(),
    };
    let mut who = Attribution::new(ctx);
    who.knows(acting);
    let slots: HashMap<String, bool> = writes
        .iter()
        .filter_map(|w| match &w.record {
            Record::Slot(s) => Some((s.id.to_string(), s.reserved)),
            _ => None,
        })
        .collect();
    for w in writes.iter_mut() {
        let mut facts = Vec::new();
        for event in &w.events {
            let (referral, claim) = match event {
                Event::Referral(ev) => {
                    (look.referral(&referrals, ev.referral.as_str()).await?, None)
                }
                Event::VisitFinished { encounter } => (
                    match &encounter.referral {
                        Some(id) => look.referral(&referrals, id.as_str()).await?,
                        None => None,
                    },
                    claims.get(encounter.id.as_str()),
                ),
                _ => (None, None),
            };
            facts.extend(
                flows::of(&mut look, w, event, referral.as_ref(), claim, |id| {
                    slots.get(id).copied()
                })
                .await?,
            );
            match event {
                Event::Referral(ev) => {
                    let Some(r) = referral else {
                        continue;
                    };
                    let start = facts.len();
                    // Every step counts in the request's cohort, at both
                    // ends (see `tiercare_core::indicators`).
                    let day = day_of(r.requested_at.date());
                    let from = look.ix(r.from.as_str()).await?;
                    let to = look.ix(r.to.as_str()).await?;
                    let waited = |on: time::Date| {
                        let days = (on - r.requested_at.date()).whole_days();
                        u32::try_from(days.max(0)).unwrap_or(u32::MAX)
                    };
                    let fact = match &ev.change {
                        Change::Requested { .. } => {
                            facts.extend(readings::followed(&mut look, &r).await?);
                            Some(Fact::Referral {
                                day,
                                from,
                                to,
                                direction: direction(&r),
                            })
                        }
                        Change::Redirected { from: away, .. } => Some(Fact::ReferralRedirected {
                            day,
                            from,
                            away: look.ix(away.as_str()).await?,
                            to,
                            direction: direction(&r),
                        }),
                        Change::Declined { reason, .. } => Some(Fact::ReferralDeclined {
                            day,
                            from,
                            to,
                            reason: *reason,
                        }),
                        Change::Booked {
                            booking,
                            rebooked: false,
                        } => Some(Fact::ReferralBooked {
                            day,
                            from,
                            to,
                            wait_days: waited(booking.start().date()),
                        }),
                        // An emergency seen without a booking: its arrival
                        // is the step a booking would have been.
                        Change::Arrived { unbooked: true, .. } => Some(Fact::ReferralBooked {
                            day,
                            from,
                            to,
                            wait_days: waited(ev.at.date()),
                        }),
                        Change::PatientRefused { .. } => {
                            Some(Fact::DownReferralRefused { day, from, to })
                        }
                        Change::Completed { report } => {
                            // The results the letter carried, as the
                            // receiver found them when it saw the patient.
                            let results = &r.attachments.results;
                            if !results.is_empty() {
                                let recognised = results
                                    .iter()
                                    .filter(|a| a.recognition(ev.at).is_recognised())
                                    .count();
                                facts.push(Fact::ResultsRecognised {
                                    day,
                                    from,
                                    to,
                                    attached: u16::try_from(results.len()).unwrap_or(u16::MAX),
                                    recognised: u16::try_from(recognised).unwrap_or(u16::MAX),
                                });
                            }
                            Some(Fact::ReferralCompleted {
                                day,
                                from,
                                to,
                                report_back: report.is_some(),
                            })
                        }
                        Change::Reported { .. } => Some(Fact::ReportBack { day, from, to }),
                        _ => None,
                    };
                    facts.extend(fact);
                    // Once more for the doctor who referred and the
                    // doctor's teams, on the sent side (crate::units).
                    let steps: Vec<_> = facts[start..]
                        .iter()
                        .filter(|f| !matches!(f, Fact::ReferralRedirected { .. }))
                        .filter_map(Fact::step)
                        .collect();
                    if !steps.is_empty() {
                        let units = who
                            .doctor_and_teams(r.requester.as_str(), r.from.as_str())
                            .await?;
                        for step in steps {
                            for &unit in &units {
                                facts.push(Fact::SentBy { day, unit, step });
                            }
                        }
                    }
                }
                // The patients a visiting specialist saw at a township's
                // outreach session are visits at that primary institution,
                // counted once, here, from the session's record (the desk
                // does not record them again). They carry no claim: the
                // session records how many were seen, not their bills.
                Event::Outreach(OutreachEvent::SessionHeld {
                    programme,
                    patients_seen,
                    at,
                    ..
                }) => {
                    let Some(Stored {
                        record: Record::Programme(p),
                        ..
                    }) = ctx
                        .store
                        .get("HealthcareService", programme.as_str())
                        .await?
                    else {
                        continue;
                    };
                    let day = match &w.record {
                        Record::OutreachSession(s) => day_of(s.start.date()),
                        _ => day_of(at.date()),
                    };
                    let institution = look.ix(p.primary.as_str()).await?;
                    let level = look.level(p.primary.as_str()).await?;
                    let seen = Fact::Visit(Visit {
                        day,
                        institution,
                        level,
                        kind: VisitKind::FollowUp,
                        positioned: None,
                        emergency: false,
                        inpatient: false,
                        resident: true,
                        charge: None,
                        wait_days: 0.0,
                    });
                    facts.extend(std::iter::repeat_n(seen, *patients_seen as usize));
                }
                Event::VisitFinished { encounter } => {
                    let Some(finished) = encounter.finished else {
                        continue;
                    };
                    let institution = encounter.institution.as_str();
                    let claim = claims.get(encounter.id.as_str());
                    let level = match claim {
                        Some(c) => c.visit.level,
                        None => look.level(institution).await?,
                    };
                    let appointment = match &encounter.appointment {
                        Some(id) => match ctx.store.get("Appointment", id.as_str()).await? {
                            Some(Stored {
                                record: Record::Appointment(a),
                                ..
                            }) => Some(a),
                            _ => None,
                        },
                        None => None,
                    };
                    let kind = match (claim, &referral) {
                        (Some(c), _) => match c.visit.referral {
                            Some(ReferralDirection::Up) => VisitKind::ReferredUp,
                            Some(ReferralDirection::Down) => VisitKind::ReferredDown,
                            None if c.visit.follow_up => VisitKind::FollowUp,
                            None => VisitKind::FirstContact,
                        },
                        (None, Some(r)) => match direction(r) {
                            Direction::Up => VisitKind::ReferredUp,
                            Direction::Down => VisitKind::ReferredDown,
                        },
                        (None, None) => VisitKind::FirstContact,
                    };
                    let condition = referral
                        .as_ref()
                        .map(|r| r.condition.clone())
                        .or_else(|| appointment.as_ref().and_then(|a| a.condition.clone()));
                    let emergency = claim.is_some_and(|c| c.visit.emergency)
                        || appointment.as_ref().is_some_and(|a| a.emergency);
                    let charge = match (claim, ctx.policy.insurance.as_ref()) {
                        (Some(c), Some(rules)) => rules
                            .schemes
                            .keys()
                            .position(|s| *s == c.visit.scheme)
                            .filter(|&k| k < SCHEME_SLOTS)
                            .map(|k| Charge {
                                scheme: k as u8,
                                cost: c.adjudication.split.total,
                                out_of_pocket: c.adjudication.split.out_of_pocket,
                            }),
                        _ => None,
                    };
                    let ix = look.ix(institution).await?;
                    if encounter.inpatient {
                        facts.extend(bed_days(ix, encounter.arrived.date(), finished.date()));
                    }
                    let visit = Visit {
                        day: day_of(finished.date()),
                        institution: ix,
                        level,
                        kind,
                        positioned: condition.as_ref().and_then(positioned),
                        emergency,
                        inpatient: encounter.inpatient,
                        resident: true,
                        charge,
                        // A referred visit waited from the request, a
                        // self-booked one from its booking, to the arrival
                        // (0 for walk-ins and for appointments booked before
                        // the booking time was kept).
                        wait_days: match (&referral, &appointment) {
                            (Some(r), _) => waited(r.requested_at, encounter.arrived),
                            (None, Some(a)) => {
                                a.booked_at.map_or(0.0, |at| waited(at, encounter.arrived))
                            }
                            (None, None) => 0.0,
                        },
                    };
                    facts.push(Fact::Visit(visit));
                    // Once more for the doctor who recorded its end and the
                    // patient's team at this institution (crate::units).
                    let mut units = Vec::new();
                    if let Some(p) = who.doctor_of(&w.actor).await? {
                        units.push(who.row(practitioner_key(&p)).await?);
                    }
                    if let Some(t) = who.team_at(encounter.patient.as_str(), institution).await? {
                        units.push(t);
                    }
                    for unit in units {
                        facts.push(Fact::Visit(Visit {
                            institution: unit,
                            ..visit
                        }));
                    }
                }
                // Every step of a remote reading counts in the cohort of its
                // order day, at the hub's institution and at the member
                // that ordered it (see `tiercare_core::indicators::readings`).
                Event::Reading(ev) => {
                    let Record::ReadingOrder(o) = &w.record else {
                        continue;
                    };
                    let step = match &ev.change {
                        ReadingChange::Ordered { .. } => ReadingStep::Ordered,
                        ReadingChange::Reported {
                            turnaround_seconds,
                            within_deadline,
                            critical,
                            ..
                        } => ReadingStep::Reported {
                            minutes: minutes_of(*turnaround_seconds),
                            within_deadline: *within_deadline,
                            critical: *critical,
                        },
                        ReadingChange::Cancelled => ReadingStep::Cancelled,
                        ReadingChange::Acknowledged {
                            seconds_after_report,
                            ..
                        } => ReadingStep::Acknowledged {
                            minutes: minutes_of(*seconds_after_report),
                        },
                        ReadingChange::Taken | ReadingChange::Released => continue,
                    };
                    facts.push(Fact::Reading(ReadingFact {
                        day: day_of(o.ordered_at.date()),
                        hub: look.ix(o.hub_institution.as_str()).await?,
                        member: look.ix(o.from.as_str()).await?,
                        priority: o.priority,
                        step,
                    }));
                }
                _ => {}
            }
        }
        w.facts.extend(facts);
    }
    Ok(())
}

/// Days from a request or a booking to the patient's arrival.
fn waited(requested: time::OffsetDateTime, arrived: time::OffsetDateTime) -> f32 {
    ((arrived - requested).as_seconds_f32() / 86_400.0).max(0.0)
}

/// Longest stay counted day by day: a stay left open by mistake for years
/// must not flood the aggregates.
const MAX_STAY_DAYS: i64 = 366;

/// A finished stay's occupied bed days, one per night from admission to
/// discharge (a same-day stay occupies its bed for one day), counted on
/// the days they were occupied.
fn bed_days(institution: Ix, admitted: time::Date, discharged: time::Date) -> Vec<Fact> {
    let nights = (discharged - admitted).whole_days().clamp(1, MAX_STAY_DAYS);
    (0..nights)
        .map(|k| Fact::BedDays {
            day: day_of(admitted) + k as tiercare_core::indicators::Day,
            institution,
            occupied: 1,
        })
        .collect()
}

/// The facts of registry changes (residents registered, contracts signed
/// or ended), with lookups shared across a batch.
pub struct RegistryFacts<'a> {
    look: Lookup<'a>,
    who: Attribution<'a>,
    today: tiercare_core::indicators::Day,
}

impl<'a> RegistryFacts<'a> {
    pub fn new(ctx: &'a Context) -> Self {
        RegistryFacts {
            look: Lookup {
                ctx,
                ix: HashMap::new(),
                levels: HashMap::new(),
            },
            who: Attribution::new(ctx),
            today: day_of(ctx.clock.today()),
        }
    }

    /// What changing `before` into `after` means for the indicators,
    /// counted on the day of the change (a contract loaded today counts
    /// from today, like the resident it belongs to).
    pub async fn of(
        &mut self,
        before: Option<&Record>,
        after: &Record,
    ) -> Result<Vec<Fact>, StoreError> {
        let Record::Resident(new) = after else {
            return Ok(Vec::new());
        };
        let old = match before {
            Some(Record::Resident(old)) => Some(old),
            _ => None,
        };
        let day = self.today;
        let key = |r: &tiercare_core::resident::Resident| i32::from(!r.key_groups.is_empty());
        let mut facts = Vec::new();
        let key_change = key(new) - old.map_or(0, key);
        if old.is_none() || key_change != 0 {
            facts.push(Fact::Residents {
                day,
                delta: i32::from(old.is_none()),
                key_group: key_change,
                // The platform holds no travel times to care.
                access_known: 0,
                within_access: 0,
            });
        }
        for event in Event::for_change(before, after, 0) {
            let (contract, delta, resident) = match &event {
                Event::ContractSigned { contract, .. } => (contract, 1, new),
                Event::ContractEnded { contract, .. } => match old {
                    Some(o) => (contract, -1, o),
                    None => continue,
                },
                _ => continue,
            };
            let Some(institution) = &contract.institution else {
                continue;
            };
            let mut rows = vec![self.look.ix(institution.as_str()).await?];
            // Once more for its team and its family doctor (crate::units).
            rows.push(self.who.row(team_key(contract.team.as_str())).await?);
            if let Some(p) = &contract.family_doctor {
                rows.push(self.who.row(practitioner_key(p.as_str())).await?);
            }
            for institution in rows {
                facts.push(Fact::Contracts {
                    day,
                    institution,
                    delta,
                    key_group: delta * key(resident),
                });
            }
        }
        Ok(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_stay_occupies_one_bed_day_per_night_and_a_same_day_stay_one() {
        let ix = Ix(3);
        let days = |f: &[Fact]| -> Vec<i32> {
            f.iter()
                .map(|f| match f {
                    Fact::BedDays {
                        day,
                        institution,
                        occupied,
                    } => {
                        assert_eq!((*institution, *occupied), (ix, 1));
                        *day
                    }
                    other => panic!("not a bed day: {other:?}"),
                })
                .collect()
        };
        let first = day_of(date!(2026 - 03 - 30));
        let stay = bed_days(ix, date!(2026 - 03 - 30), date!(2026 - 04 - 02));
        assert_eq!(days(&stay), vec![first, first + 1, first + 2]);
        assert_eq!(
            days(&bed_days(ix, date!(2026 - 03 - 30), date!(2026 - 03 - 30))),
            vec![first]
        );
        assert_eq!(
            waited(
                datetime!(2026-03-01 09:00 UTC),
                datetime!(2026-03-04 21:00 UTC)
            ),
            3.5
        );
        assert_eq!(
            waited(
                datetime!(2026-03-04 09:00 UTC),
                datetime!(2026-03-01 09:00 UTC)
            ),
            0.0
        );
        let forgotten = bed_days(ix, date!(2020 - 01 - 01), date!(2026 - 01 - 01));
        assert_eq!(forgotten.len() as i64, MAX_STAY_DAYS);
    }
}
