//! Sessions: scheduled (their slots opened at the primary institution in
//! the same transaction), then held, cancelled or missed.

use super::*;
use tiercare_core::AppointmentId;
use tiercare_core::booking::{Slot, SlotStatus};
use tiercare_core::outreach::{OutreachSession, Programme, Side};
use tiercare_store::{Filter, Match, Query};

/// What cancelling a session did.
#[derive(Debug, Clone)]
pub struct Cancelled {
    pub session: Versioned<OutreachSession>,
    /// Unbooked slots closed.
    pub closed_slots: usize,
    /// Booked appointments left for the primary institution to rebook.
    pub to_rebook: Vec<AppointmentId>,
}

/// How a scheduled session ends.
enum Outcome {
    Held {
        patients_seen: u32,
        referrals_avoided: u32,
    },
    Cancelled {
        side: Option<Side>,
        reason: String,
    },
    Missed,
}

impl Outcome {
    fn action(&self) -> &'static str {
        match self {
            Outcome::Held { .. } => "hold",
            Outcome::Cancelled { .. } => "cancel",
            Outcome::Missed => "miss",
        }
    }
}

impl Outreach<'_> {
    /// Schedules a session from its parsed `Schedule` and opens its slots.
    pub async fn schedule(
        &self,
        programme_id: tiercare_core::ProgrammeId,
        new: tiercare_core::outreach::NewSession,
    ) -> Result<Versioned<OutreachSession>, ServiceError> {
        let programme = self
            .load_programme(programme_id.as_str())
            .await
            .map_err(|e| match e {
                ServiceError::NotFound(m) => ServiceError::rule("Schedule.actor", m),
                other => other,
            })?;
        let p = &programme.value;
        let allowed = self.is_admin()
            || self.coordinator_of(&p.hospital)
            || p.specialists.iter().any(|s| self.is(s));
        if !allowed {
            let e = ServiceError::Forbidden(
                "sessions are scheduled by administrators, the hospital's coordinators or the programme's specialists".into(),
            );
            return Err(self.refuse("create", "Schedule", None, None, e).await);
        }
        let now = self.ctx.clock.now();
        let opened = OutreachSession::schedule(p, new, now).and_then(|(session, event)| {
            let slots = session.slots(p, &self.ctx.policy)?;
            Ok((session, event, slots))
        });
        let (session, event, slots) = match opened {
            Ok(done) => done,
            Err(e) => {
                let e = super::outreach_error("Schedule", e);
                return Err(self.refuse("create", "Schedule", None, None, e).await);
            }
        };
        let mut changes: Vec<Change> = vec![(
            Record::OutreachSession(session),
            Expect::New,
            vec![Event::Outreach(event)],
        )];
        changes.extend(
            slots
                .into_iter()
                .map(|s| (Record::Slot(s), Expect::New, vec![])),
        );
        let n = changes.len() - 1;
        let s = self
            .write(changes, "create", format!("{n} slots opened"))
            .await?;
        as_session(s)
    }

    pub async fn load_session(&self, id: &str) -> Result<Versioned<OutreachSession>, ServiceError> {
        match self.load("Schedule", id).await? {
            Some(s) => as_session(s),
            None => Err(ServiceError::NotFound(format!(
                "Schedule/{id} does not exist"
            ))),
        }
    }

    /// Records a session as held.
    pub async fn hold(
        &self,
        id: &str,
        patients_seen: u32,
        referrals_avoided: u32,
    ) -> Result<Versioned<OutreachSession>, ServiceError> {
        let outcome = Outcome::Held {
            patients_seen,
            referrals_avoided,
        };
        Ok(self.end_session(id, outcome).await?.session)
    }

    /// Cancels a session: `side` only from an administrator (others' side
    /// is their institution's).
    pub async fn cancel(
        &self,
        id: &str,
        side: Option<Side>,
        reason: String,
    ) -> Result<Cancelled, ServiceError> {
        self.end_session(id, Outcome::Cancelled { side, reason })
            .await
    }

    /// Records that the session did not take place.
    pub async fn miss(&self, id: &str) -> Result<Versioned<OutreachSession>, ServiceError> {
        Ok(self.end_session(id, Outcome::Missed).await?.session)
    }

    /// Who may end a session this way, and for a cancellation on which
    /// side; `Err` is the refusal.
    fn may_end(
        &self,
        p: &Programme,
        s: &OutreachSession,
        outcome: &Outcome,
    ) -> Result<Option<Side>, ServiceError> {
        let side_of_caller = if self.staff_of(&p.hospital) {
            Some(Side::Hospital)
        } else if self.staff_of(&p.primary) {
            Some(Side::Primary)
        } else {
            None
        };
        match outcome {
            Outcome::Held { .. } => {
                if self.is_admin() || self.is(&s.specialist) || self.staff_of(&p.primary) {
                    Ok(None)
                } else {
                    Err(ServiceError::Forbidden(
                        "a session is recorded as held by its specialist or staff of the primary institution".into(),
                    ))
                }
            }
            Outcome::Cancelled { side, .. } => match (self.is_admin(), side, side_of_caller) {
                (true, Some(side), _) => Ok(Some(*side)),
                (true, None, _) => Err(ServiceError::invalid(
                    "side",
                    "an administrator cancelling says which side cancels: hospital or primary",
                )),
                (false, Some(_), _) => Err(ServiceError::invalid(
                    "side",
                    "the side is your institution's; leave it out",
                )),
                (false, None, Some(mine)) => Ok(Some(mine)),
                (false, None, None) => Err(ServiceError::Forbidden(
                    "a session is cancelled by staff of the hospital or the primary institution"
                        .into(),
                )),
            },
            Outcome::Missed => {
                if self.is_admin() || side_of_caller.is_some() {
                    Ok(None)
                } else {
                    Err(ServiceError::Forbidden(
                        "a session is recorded as missed by staff of the hospital or the primary institution".into(),
                    ))
                }
            }
        }
    }

    async fn end_session(&self, id: &str, outcome: Outcome) -> Result<Cancelled, ServiceError> {
        let action = outcome.action();
        for _ in 0..RETRIES {
            let mut session = self.load_session(id).await?;
            let programme = self
                .load_programme(session.value.programme.as_str())
                .await?;
            let side = match self.may_end(&programme.value, &session.value, &outcome) {
                Ok(side) => side,
                Err(e) => return Err(self.refuse(action, "Schedule", Some(id), None, e).await),
            };
            let now = self.ctx.clock.now();
            let s = &mut session.value;
            let event = match &outcome {
                Outcome::Held {
                    patients_seen,
                    referrals_avoided,
                } => s.hold(*patients_seen, *referrals_avoided, now),
                Outcome::Cancelled { reason, .. } => {
                    let side = side.unwrap_or(Side::Hospital);
                    s.cancel(side, reason.clone(), now)
                }
                Outcome::Missed => s.miss(now),
            };
            let event = match event {
                Ok(e) => e,
                Err(e) => {
                    let e = super::outreach_error("Schedule", e);
                    return Err(self.refuse(action, "Schedule", Some(id), None, e).await);
                }
            };
            let mut changes: Vec<Change> = vec![(
                Record::OutreachSession(s.clone()),
                Expect::Version(session.version),
                vec![Event::Outreach(event)],
            )];
            let mut closed = 0;
            let mut to_rebook = Vec::new();
            if matches!(outcome, Outcome::Cancelled { .. }) {
                for (mut slot, version) in self.session_slots(id).await? {
                    if let SlotStatus::Booked { appointment } = &slot.status {
                        to_rebook.push(appointment.clone());
                    }
                    if slot.close() {
                        closed += 1;
                        changes.push((Record::Slot(slot), Expect::Version(version), vec![]));
                    }
                }
            }
            let detail = match &outcome {
                Outcome::Cancelled { .. } => format!(
                    "{closed} slots closed, {} appointments to rebook",
                    to_rebook.len()
                ),
                _ => String::new(),
            };
            match self.write(changes, action, detail).await {
                Ok(stored) => {
                    session.version = stored.version;
                    session.updated_at = stored.updated_at;
                    return Ok(Cancelled {
                        session,
                        closed_slots: closed,
                        to_rebook,
                    });
                }
                // The session or one of its slots moved: decide again on
                // what is there now.
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "Schedule/{id} is being changed by others; try again"
        )))
    }

    /// The slots of a session, with their versions.
    async fn session_slots(&self, id: &str) -> Result<Vec<(Slot, u32)>, ServiceError> {
        let found = self
            .ctx
            .store
            .search_page(&Query {
                resource_type: "Slot".into(),
                filters: vec![Filter {
                    param: "schedule".into(),
                    values: vec![format!("Schedule/{id}")],
                    matching: Match::Exact,
                }],
                count: 10_000,
                offset: 0,
            })
            .await?;
        Ok(found
            .into_iter()
            .filter_map(|s| match s.record {
                Record::Slot(slot) => Some((slot, s.version)),
                _ => None,
            })
            .collect())
    }
}

fn as_session(s: Stored) -> Result<Versioned<OutreachSession>, ServiceError> {
    let id = s.record.id().to_string();
    Versioned::picked(s, |r| match r {
        Record::OutreachSession(x) => Some(x),
        _ => None,
    })
    .ok_or_else(|| ServiceError::NotFound(format!("Schedule/{id} is not an outreach session")))
}
