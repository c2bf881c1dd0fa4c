//! The referral service: requests, loop transitions and slot bookings.
//!
//! Each operation loads what it needs, lets the domain core decide
//! ([`Referral`]'s transitions, [`Slot`]'s booking rules) and writes the
//! changed records with their events in one transaction, each at the
//! version it was read at. Two users booking the last slot both pass the
//! rules on what they read; the store lets only the first write through
//! and the second gets a conflict. Every operation is audited against the patient.

use crate::Context;
use crate::ServiceError;
use crate::Versioned;
use crate::new_id;
use crate::registry::{Pending, Registry};
use crate::search::{any_of, exact};

mod appointments;
mod capacity;
mod care_plans;
mod claims;
mod consults;
mod estimate;
mod history;
mod hubs;
mod readings;
mod results;
pub use appointments::SelfBooking;
use capacity::{CAPACITY_RETRIES, busy};
pub use estimate::{OwnEstimate, VisitQuestion, estimate_visit};
pub use history::History;
pub use readings::{EmergencyReferral, new_reading_id};
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::booking::{
    Appointment, BedPool, Claimant, Encounter, SessionPlan, Slot, SlotStatus, VisitProgress,
};
use tiercare_core::events::Event;
use tiercare_core::referral::{
    Action, Booking, Change, Command, NewReferral, Priority, Referral, ReferralError,
    ReferralEvent, ReferralState, Setting,
};
use tiercare_core::{AppointmentId, ReferralId};
use tiercare_store::{
    AuditEntry, AuditOutcome, Expect, Filter, Match, Query, StoreError, Stored, Write,
};
use time::OffsetDateTime;

/// Referrals as seen by one caller.
pub struct Referrals<'a> {
    ctx: &'a Context,
    actor: &'a Actor,
    /// The bill of a visit finished by this call (`$complete`, `$finish`);
    /// without one, the region's typical charge is claimed.
    charge: Option<tiercare_core::insurance::Fen>,
}

impl<'a> Referrals<'a> {
    pub fn new(ctx: &'a Context, actor: &'a Actor) -> Self {
        Referrals {
            ctx,
            actor,
            charge: None,
        }
    }

    /// The same service, claiming `charge` for a visit it finishes.
    pub fn with_charge(mut self, charge: Option<tiercare_core::insurance::Fen>) -> Self {
        self.charge = charge;
        self
    }

    fn registry(&self) -> Registry<'a> {
        Registry::new(self.ctx, self.actor)
    }

    /// Opens a referral: the core checks who asks and what; the registry
    /// checks that patient, requester and institutions exist.
    ///
    /// Retrying is safe when the id was derived from the client's
    /// idempotency key ([`idempotent_id`]): a second request finds the
    /// referral the first made and answers it with `created == false`.
    pub async fn request(
        &self,
        new: NewReferral,
    ) -> Result<(Versioned<Referral>, bool), ServiceError> {
        let patient = new.patient.to_string();
        let (referral, event) = match Referral::request(new, self.actor, self.ctx.clock.now()) {
            Ok(done) => done,
            Err(e) => return Err(self.refused("create", None, &patient, e).await),
        };
        let record = Record::Referral(referral.clone());
        self.registry()
            .check_references(&record, &Pending::new())
            .await?;
        // Referring opens the patient's record to the receiving side: only
        // someone already caring for the patient may do it.
        if !self.registry().cares_for(&patient).await? {
            let err = ServiceError::Forbidden(format!(
                "you may refer only a patient in your care (contracted to your team, or referred to or from your institution); Patient/{patient} is not"
            ));
            let refusal = (AuditOutcome::Denied, err);
            return Err(self
                .refuse("create", "ServiceRequest", None, Some(&patient), refusal)
                .await);
        }
        let mut writes = vec![(record, Expect::New, vec![Event::Referral(event)])];
        if let Some(consult) = &referral.attachments.consult {
            writes.push(self.consult_referred(&referral, consult).await?);
        }
        let written = self.write(writes, "create", "referral requested").await;
        match written {
            Ok((version, updated_at)) => Ok((
                Versioned {
                    value: referral,
                    version,
                    updated_at,
                },
                true,
            )),
            Err(StoreError::AlreadyExists { .. }) => {
                let existing = self.load(referral.id.as_str()).await?;
                if existing.value.requester != referral.requester
                    || existing.value.patient != referral.patient
                {
                    return Err(ServiceError::Conflict(format!(
                        "ServiceRequest/{} exists and is another referral; use a new idempotency key",
                        referral.id
                    )));
                }
                self.audit(
                    "read",
                    &existing.value,
                    AuditOutcome::Success,
                    "idempotent retry",
                )
                .await?;
                Ok((existing, false))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reads a referral (audited; only its two sides and administrators).
    pub async fn read(&self, id: &str) -> Result<Versioned<Referral>, ServiceError> {
        let referral = self.load(id).await?;
        let r = &referral.value;
        if !self.may_read(r) {
            // As for an id that does not exist: ids cannot be probed.
            let reason = "only staff of the referring or receiving institution may see a referral";
            self.audit("read", r, AuditOutcome::Denied, reason).await?;
            return Err(hidden(id));
        }
        self.audit("read", r, AuditOutcome::Success, "").await?;
        Ok(referral)
    }

    /// A referral's versions, oldest first, for the loop's history on a
    /// page: read as [`Referrals::read`] reads it (its two sides and
    /// administrators), audited once.
    pub async fn history(&self, id: &str) -> Result<Vec<Versioned<Referral>>, ServiceError> {
        let current = self.read(id).await?;
        let mut versions = Vec::new();
        for v in 1..current.version {
            if let Some(Stored {
                record: Record::Referral(value),
                version,
                updated_at,
                ..
            }) = self.ctx.store.get_version("ServiceRequest", id, v).await?
            {
                versions.push(Versioned {
                    value,
                    version,
                    updated_at,
                });
            }
        }
        versions.push(current);
        Ok(versions)
    }

    /// Takes one action on a referral that needs no slot or bed.
    /// With `if_match`, the referral must still be at that version (a stale version
    /// otherwise): the client acted on what it saw.
    pub async fn act(
        &self,
        id: &str,
        command: Command,
        if_match: Option<u32>,
    ) -> Result<Versioned<Referral>, ServiceError> {
        let action = command.action();
        let mut seen = None;
        for _ in 0..CAPACITY_RETRIES {
            let mut referral = self.load(id).await?;
            check_attempt(id, &mut seen, referral.version, if_match)?;
            let before = referral.value.state.clone();
            let event =
                match referral
                    .value
                    .apply(command.clone(), self.actor, self.ctx.clock.now())
                {
                    Ok(e) => e,
                    Err(e) => {
                        let patient = referral.value.patient.to_string();
                        return Err(self.refused(action.code(), Some(id), &patient, e).await);
                    }
                };
            let freed = self.free_capacity(&before, &event.change).await?;
            let visit = self.encounter_change(&referral.value, &event).await?;
            let mut writes = vec![(
                Record::Referral(referral.value.clone()),
                Expect::Version(referral.version),
                vec![Event::Referral(event)],
            )];
            writes.extend(freed);
            writes.extend(visit);
            match self.write(writes, action.code(), "").await {
                Ok((version, updated_at)) => {
                    referral.version = version;
                    referral.updated_at = updated_at;
                    return Ok(referral);
                }
                // A slot, a bed pool or the resident's year account
                // changed meanwhile: do it again.
                Err(e) if lost_race_elsewhere(&e, "ServiceRequest") => {}
                Err(StoreError::VersionConflict { .. }) => return Err(changed(id)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(busy())
    }

    /// Writes a new request about a patient (a consult, a reading order)
    /// once the registry has checked its references and the caller is
    /// found to care for the patient; `refusal` says what the caller may
    /// not do otherwise. Returns the version written.
    async fn create_in_care(
        &self,
        record: Record,
        event: Event,
        refusal: &str,
        detail: &str,
    ) -> Result<(u32, String), ServiceError> {
        self.registry()
            .check_references(&record, &Pending::new())
            .await?;
        let patient = record.patient().map(|p| p.to_string()).unwrap_or_default();
        if !self.registry().cares_for(&patient).await? {
            let err = ServiceError::Forbidden(format!("{refusal}; Patient/{patient} is not"));
            return Err(self
                .refuse(
                    "create",
                    record.resource_type(),
                    None,
                    Some(&patient),
                    (AuditOutcome::Denied, err),
                )
                .await);
        }
        Ok(self
            .write(vec![(record, Expect::New, vec![event])], "create", detail)
            .await?)
    }

    async fn load(&self, id: &str) -> Result<Versioned<Referral>, ServiceError> {
        match self.ctx.store.get("ServiceRequest", id).await? {
            Some(stored) => match stored.record {
                Record::Referral(value) => Ok(Versioned {
                    value,
                    version: stored.version,
                    updated_at: stored.updated_at,
                }),
                _ => Err(ServiceError::NotFound(format!(
                    "ServiceRequest/{id} is not a referral"
                ))),
            },
            None => Err(ServiceError::NotFound(format!(
                "ServiceRequest/{id} does not exist"
            ))),
        }
    }

    /// Writes records with their events, and the caller's success audit
    /// entry, in one transaction; returns the first record's new version.
    /// The store's error is kept so a caller can tell which record changed
    /// underneath it.
    async fn write(
        &self,
        writes: Vec<(Record, Expect, Vec<Event>)>,
        action: &str,
        detail: &str,
    ) -> Result<(u32, String), StoreError> {
        let audit = match writes.first() {
            Some((record, ..)) => record
                .patient()
                .map(|patient| {
                    self.registry().audit_entry(
                        action,
                        record.resource_type(),
                        Some(record.id()),
                        Some(patient.as_str()),
                        AuditOutcome::Success,
                        detail.to_string(),
                    )
                })
                .into_iter()
                .collect(),
            None => vec![],
        };
        let mut writes: Vec<Write> = writes
            .into_iter()
            .map(|(record, expect, events)| Write {
                index: self.ctx.terms_of(&record),
                record,
                expect,
                actor: self.actor.username.clone(),
                events,
                facts: Vec::new(),
            })
            .collect();
        crate::facts::derive(self.ctx, self.actor, &mut writes).await?;
        let stored = self.ctx.store.write_all(writes, audit).await?;
        Ok(stored.first().map_or((1, tiercare_store::now_text()), |s| {
            (s.version, s.updated_at.clone())
        }))
    }

    /// Searches patient-data records of the loop (visits, follow-ups) as
    /// the caller may see them: administrators all, a resident their own,
    /// staff those of their institution (the `staff_term` search term);
    /// anyone else is refused with `refusal`. Each record found is audited
    /// against its patient.
    pub async fn search_scoped(
        &self,
        mut query: Query,
        staff_term: &str,
        refusal: &str,
    ) -> Result<(Vec<Stored>, u64), ServiceError> {
        let actor = self.actor;
        let scope = match (actor.role, &actor.resident, &actor.institution) {
            (UserRole::Admin, ..) => None,
            (UserRole::Resident, Some(r), _) => Some(("patient", format!("Patient/{r}"))),
            (UserRole::Doctor | UserRole::Coordinator, _, Some(i)) => {
                Some((staff_term, format!("Organization/{i}")))
            }
            _ => return Err(ServiceError::Forbidden(refusal.to_string())),
        };
        if let Some((param, value)) = scope {
            query.filters.push(exact(param, value));
        }
        let (found, total) = self.ctx.store.search(&query).await?;
        let registry = self.registry();
        let audit = found
            .iter()
            .map(|s| {
                registry.audit_entry(
                    "search",
                    &query.resource_type,
                    Some(s.record.id()),
                    s.record.patient().map(|p| p.as_str()),
                    AuditOutcome::Success,
                    String::new(),
                )
            })
            .collect();
        registry.audit(audit).await?;
        Ok((found, total))
    }

    /// Searches referrals: administrators see all, doctors and
    /// coordinators those their institution is a party to, others none.
    /// Each referral found is audited against its patient.
    pub async fn search(&self, mut query: Query) -> Result<(Vec<Stored>, u64), ServiceError> {
        match (self.actor.role, &self.actor.institution) {
            (UserRole::Admin, _) => {}
            (UserRole::Doctor | UserRole::Coordinator, Some(i)) => query.filters.push(Filter {
                param: "party".into(),
                values: vec![format!("Organization/{i}")],
                matching: Match::Exact,
            }),
            _ => {
                let err = ServiceError::Forbidden("this account may not see referrals".into());
                let refusal = (AuditOutcome::Denied, err);
                return Err(self
                    .refuse("search", "ServiceRequest", None, None, refusal)
                    .await);
            }
        }
        let (found, total) = self.ctx.store.search(&query).await?;
        // Referrals, e-consults and hub readings: all are ServiceRequests.
        let referrals: Vec<Stored> = found
            .into_iter()
            .filter(|s| {
                matches!(
                    s.record,
                    Record::Referral(_) | Record::Consult(_) | Record::ReadingOrder(_)
                )
            })
            .collect();
        let entries = referrals
            .iter()
            .map(|s| {
                self.registry().audit_entry(
                    "search",
                    "ServiceRequest",
                    Some(s.record.id()),
                    s.record.patient().map(|p| p.as_str()),
                    AuditOutcome::Success,
                    String::new(),
                )
            })
            .collect();
        self.registry().audit(entries).await?;
        Ok((referrals, total))
    }

    async fn audit(
        &self,
        action: &str,
        r: &Referral,
        outcome: AuditOutcome,
        detail: &str,
    ) -> Result<(), ServiceError> {
        let entry: AuditEntry = self.registry().audit_entry(
            action,
            "ServiceRequest",
            Some(r.id.as_str()),
            Some(r.patient.as_str()),
            outcome,
            detail.to_string(),
        );
        self.registry().audit(vec![entry]).await
    }

    /// Whether the caller may see the referral at all: administrators and
    /// staff of either side.
    fn may_read(&self, r: &Referral) -> bool {
        self.actor.role == UserRole::Admin || !r.sides(self.actor).is_empty()
    }

    /// Maps a refusal by the core to the service error, auditing it. A
    /// caller who may not even see the referral is answered as for an id
    /// that does not exist; one who may see it but not take the action
    /// is forbidden.
    async fn refused(
        &self,
        action: &str,
        id: Option<&str>,
        patient: &str,
        e: ReferralError,
    ) -> ServiceError {
        if let (Some(id), ReferralError::WrongSide { .. } | ReferralError::Role(_)) = (id, &e) {
            match self.ctx.store.get("ServiceRequest", id).await {
                Ok(Some(Stored {
                    record: Record::Referral(r),
                    ..
                })) if !self.may_read(&r) => {
                    let refusal = (AuditOutcome::Denied, hidden(id));
                    return self
                        .refuse(action, "ServiceRequest", Some(id), Some(patient), refusal)
                        .await;
                }
                Ok(_) => {}
                Err(err) => return err.into(),
            }
        }
        let (outcome, err) = match &e {
            ReferralError::WrongSide { .. } | ReferralError::Role(_) => {
                (AuditOutcome::Denied, ServiceError::Forbidden(e.to_string()))
            }
            ReferralError::IllegalTransition { .. } | ReferralError::BeforeBookedDay { .. } => {
                (AuditOutcome::Failed, ServiceError::Conflict(e.to_string()))
            }
            ReferralError::Invalid { field, .. } => (
                AuditOutcome::Failed,
                ServiceError::rule(*field, e.to_string()),
            ),
        };
        self.refuse(action, "ServiceRequest", id, Some(patient), (outcome, err))
            .await
    }

    /// Audits a refused request (against the patient, when known) and hands
    /// back its error; if the audit itself fails, that error instead.
    async fn refuse(
        &self,
        action: &str,
        resource_type: &str,
        id: Option<&str>,
        patient: Option<&str>,
        refusal: (AuditOutcome, ServiceError),
    ) -> ServiceError {
        self.registry()
            .refused(action, resource_type, id, patient, refusal)
            .await
    }
}

/// What a caller who may not see a referral is told: what a caller
/// naming an id that does not exist is told.
fn hidden(id: &str) -> ServiceError {
    ServiceError::NotFound(format!("ServiceRequest/{id} does not exist"))
}

/// Whether a write lost a race on a record other than the one acted on
/// (`own`): a slot or bed pool changed, or the resident's year account
/// changed or was opened by another visit's claim meanwhile. The action is
/// then worth doing again from fresh reads; a race on `own` is the
/// caller's to report.
pub(super) fn lost_race_elsewhere(e: &StoreError, own: &str) -> bool {
    match e {
        StoreError::VersionConflict { resource_type, .. }
        | StoreError::AlreadyExists { resource_type, .. } => resource_type != own,
        _ => false,
    }
}

fn changed(id: &str) -> ServiceError {
    ServiceError::Conflict(format!(
        "ServiceRequest/{id} was changed by someone else meanwhile; reload and try again"
    ))
}

/// On a change's first attempt the client's `If-Match` must hold; on a
/// retry (its slot or bed pool moved) the referral itself must not have.
fn check_attempt(
    id: &str,
    seen: &mut Option<u32>,
    current: u32,
    if_match: Option<u32>,
) -> Result<(), ServiceError> {
    match *seen {
        None => check_version(id, current, if_match)?,
        Some(v) if v != current => return Err(changed(id)),
        Some(_) => {}
    }
    *seen = Some(current);
    Ok(())
}

fn check_version(id: &str, current: u32, if_match: Option<u32>) -> Result<(), ServiceError> {
    match if_match {
        Some(v) if v != current => Err(ServiceError::StaleVersion(format!(
            "ServiceRequest/{id} is at version {current}, not {v}; reload and try again"
        ))),
        _ => Ok(()),
    }
}

/// The referral id for a client's idempotency key: the same user and key
/// always give the same id, so a retried create finds the first one.
pub fn idempotent_id(username: &str, key: &str) -> Result<ReferralId, ServiceError> {
    use sha2::{Digest, Sha256};
    if key.is_empty() || key.len() > 200 || key.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            "Idempotency-Key",
            "the key must be 1-200 printable characters",
        ));
    }
    let digest = Sha256::digest(format!("{username}\n{key}").as_bytes());
    ReferralId::new(hex::encode(&digest[..16]))
        .map_err(|e| ServiceError::Unavailable(e.to_string()))
}

/// A referral id for a new request.
pub fn new_referral_id() -> Result<ReferralId, ServiceError> {
    ReferralId::new(new_id()).map_err(|e| ServiceError::Unavailable(e.to_string()))
}
