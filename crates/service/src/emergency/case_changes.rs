//! The changes to an emergency case after it was opened: the
//! destination's acknowledgement of the alert, the clock filled in by
//! either side, the transfer onward and the 30-day outcome. Each is a
//! write at the version read (and the client's `If-Match`), audited
//! whether it is done or refused.

use super::Emergency;
use super::cases::{RT, Side};
use crate::{ServiceError, Versioned};
use tiercare_core::emergency::{
    CaseChange, CaseError, EmergencyCase, Milestone, Outcome, Treatment,
};
use tiercare_core::{InstitutionId, PractitionerId, Record};
use tiercare_store::{Expect, StoreError};
use time::OffsetDateTime;

/// The refusal of a change the case's state does not allow: a second
/// acknowledgement collides with the first (a conflict); anything else
/// breaks a rule of the clock, naming `field`.
fn case_error(field: &str, e: CaseError) -> ServiceError {
    match e {
        CaseError::AlreadyAcknowledged => ServiceError::Conflict(e.to_string()),
        _ => ServiceError::rule(field, e.to_string()),
    }
}

fn changed(id: &str) -> ServiceError {
    ServiceError::Conflict(format!(
        "{RT}/{id} was changed by someone else meanwhile (the alert may have been acknowledged); reload and try again"
    ))
}

fn check_version(id: &str, current: u32, if_match: Option<u32>) -> Result<(), ServiceError> {
    match if_match {
        Some(v) if v != current => Err(ServiceError::StaleVersion(format!(
            "{RT}/{id} is at version {current}, not {v}; reload and try again"
        ))),
        _ => Ok(()),
    }
}

impl Emergency<'_> {
    /// The destination's team acknowledges the alert: a doctor or
    /// coordinator of the destination, as themself.
    pub async fn acknowledge(
        &self,
        id: &str,
        if_match: Option<u32>,
    ) -> Result<Versioned<EmergencyCase>, ServiceError> {
        let by = self.actor.practitioner.clone();
        self.change(
            id,
            if_match,
            &[Side::Destination],
            "acknowledgement",
            |c, now| {
                let by: PractitionerId = by.clone().ok_or_else(|| {
                    ServiceError::Forbidden(
                        "the alert is acknowledged by a member of the team, as themself".into(),
                    )
                })?;
                c.acknowledge(by, now)
                    .map_err(|e| case_error("acknowledgement", e))?;
                Ok(CaseChange::Acknowledged)
            },
        )
        .await
    }

    /// Records a milestone of the clock (either side, administrators).
    pub async fn record_milestone(
        &self,
        id: &str,
        milestone: Milestone,
        at: Option<OffsetDateTime>,
        if_match: Option<u32>,
    ) -> Result<Versioned<EmergencyCase>, ServiceError> {
        let happened = self.moment("at", at)?;
        self.change(id, if_match, &ANY_SIDE, milestone.code(), |c, _| {
            c.record(milestone, happened)
                .map_err(|e| case_error(milestone.code(), e))?;
            Ok(CaseChange::Milestone {
                milestone,
                happened,
            })
        })
        .await
    }

    /// The patient arrives at the destination, straight to the team or
    /// through the emergency department.
    pub async fn arrive(
        &self,
        id: &str,
        at: Option<OffsetDateTime>,
        bypassed_ed: bool,
        if_match: Option<u32>,
    ) -> Result<Versioned<EmergencyCase>, ServiceError> {
        let happened = self.moment("at", at)?;
        self.change(id, if_match, &ANY_SIDE, "door", |c, _| {
            c.arrive(happened, bypassed_ed)
                .map_err(|e| case_error("door", e))?;
            Ok(CaseChange::Arrived {
                happened,
                bypassed_emergency_department: bypassed_ed,
            })
        })
        .await
    }

    /// The definitive treatment is given.
    pub async fn treat(
        &self,
        id: &str,
        treatment: Treatment,
        at: Option<OffsetDateTime>,
        if_match: Option<u32>,
    ) -> Result<Versioned<EmergencyCase>, ServiceError> {
        let happened = self.moment("at", at)?;
        self.change(id, if_match, &ANY_SIDE, "treatment", |c, _| {
            c.treat(treatment, happened)
                .map_err(|e| case_error("treatment", e))?;
            Ok(CaseChange::Treated {
                treatment,
                happened,
            })
        })
        .await
    }

    /// The patient is sent on from the destination to `to`, an institution
    /// of the registry.
    pub async fn transfer(
        &self,
        id: &str,
        to: InstitutionId,
        at: Option<OffsetDateTime>,
        if_match: Option<u32>,
    ) -> Result<Versioned<EmergencyCase>, ServiceError> {
        let happened = self.moment("at", at)?;
        crate::registry::institution(self.ctx, to.as_str(), "to").await?;
        self.change(id, if_match, &ANY_SIDE, "transfer", |c, _| {
            c.transfer(to.clone(), happened)
                .map_err(|e| case_error("transfer", e))?;
            Ok(CaseChange::Transferred {
                to: to.clone(),
                happened,
            })
        })
        .await
    }

    /// Records the outcome at 30 days, closing the case.
    pub async fn close(
        &self,
        id: &str,
        outcome: Outcome,
        at: Option<OffsetDateTime>,
        if_match: Option<u32>,
    ) -> Result<Versioned<EmergencyCase>, ServiceError> {
        let happened = self.moment("at", at)?;
        self.change(id, if_match, &ANY_SIDE, "outcome", |c, _| {
            c.close(outcome, happened)
                .map_err(|e| case_error("outcome", e))?;
            Ok(CaseChange::Closed { outcome })
        })
        .await
    }

    /// One change to a case by a caller on one of `sides`, at the version
    /// read (and the client's `If-Match`), audited either way.
    async fn change(
        &self,
        id: &str,
        if_match: Option<u32>,
        sides: &[Side],
        what: &str,
        apply: impl FnOnce(&mut EmergencyCase, OffsetDateTime) -> Result<CaseChange, ServiceError>,
    ) -> Result<Versioned<EmergencyCase>, ServiceError> {
        let mut case = self.load_case(id).await?;
        let patient = case.value.patient.to_string();
        let mine = self.sides(&case.value);
        if !mine.iter().any(|s| sides.contains(s)) {
            let err = ServiceError::Forbidden(match sides {
                [Side::Destination] => format!(
                    "only the team of Organization/{}, the destination, records the {what}",
                    case.value.destination()
                ),
                _ => format!(
                    "only staff of the case's institutions and administrators record the {what}"
                ),
            });
            return Err(self.refuse_case("update", Some(id), &patient, err).await);
        }
        if let Err(e) = check_version(id, case.version, if_match) {
            return Err(self.refuse_case("update", Some(id), &patient, e).await);
        }
        let change = match apply(&mut case.value, self.ctx.clock.now()) {
            Ok(c) => c,
            Err(e) => return Err(self.refuse_case("update", Some(id), &patient, e).await),
        };
        let event = self.event(&case.value.id, change);
        let record = Record::EmergencyCase(Box::new(case.value.clone()));
        match self
            .write(record, Expect::Version(case.version), event, "update")
            .await
        {
            Ok((version, updated_at)) => {
                case.version = version;
                case.updated_at = updated_at;
                Ok(case)
            }
            Err(StoreError::VersionConflict { .. }) => Err(self
                .refuse_case("update", Some(id), &patient, changed(id))
                .await),
            Err(e) => Err(e.into()),
        }
    }
}

/// Either institution's staff, or an administrator.
const ANY_SIDE: [Side; 3] = [Side::Admin, Side::From, Side::Destination];
