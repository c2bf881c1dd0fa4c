//! The referral service: requests, loop transitions and slot bookings.
//!
//! Each operation loads what it needs, lets the domain core decide
//! ([`Referral`]'s transitions, [`Slot`]'s booking rules) and writes the
//! changed records with their events in one transaction, each at the
//! version it was read at. Two users booking the last slot both pass the
//! rules on what they read; the store lets only the first write through
//! and the second gets 409. Every operation is audited against the patient.

use crate::AppState;
use crate::error::ApiError;
use crate::fhir;
use crate::registry::{Pending, Registry, new_id};
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_core::booking::{Claimant, Slot};
use tiercare_core::events::Event;
use tiercare_core::referral::{
    Booking, Command, NewReferral, Referral, ReferralError, ReferralEvent,
};
use tiercare_core::{AppointmentId, ReferralId};
use tiercare_store::{AuditEntry, AuditOutcome, Expect, StoreError, Write};
use time::OffsetDateTime;

/// Referrals as seen by one caller.
pub struct Referrals<'a> {
    state: &'a AppState,
    actor: &'a Actor,
}

/// A referral and the version it was read or written at.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u32,
}

impl<'a> Referrals<'a> {
    pub fn new(state: &'a AppState, actor: &'a Actor) -> Self {
        Referrals { state, actor }
    }

    fn registry(&self) -> Registry<'a> {
        Registry::new(self.state, self.actor)
    }

    /// Opens a referral: the core checks who asks and what; the registry
    /// checks that patient, requester and institutions exist.
    pub async fn request(&self, new: NewReferral) -> Result<Versioned<Referral>, ApiError> {
        let patient = new.patient.to_string();
        let (referral, event) = match Referral::request(new, self.actor, now()) {
            Ok(done) => done,
            Err(e) => return Err(self.refused("create", None, &patient, e).await),
        };
        let record = Record::Referral(referral);
        self.registry()
            .check_references(&record, &Pending::new())
            .await?;
        let Record::Referral(referral) = record else {
            unreachable!("built as a referral just above")
        };
        let version = self
            .write(
                vec![(Record::Referral(referral.clone()), Expect::New, vec![event])],
                "create",
                "referral requested",
            )
            .await?;
        Ok(Versioned {
            value: referral,
            version,
        })
    }

    /// Reads a referral (audited; only its two sides and administrators).
    pub async fn read(&self, id: &str) -> Result<Versioned<Referral>, ApiError> {
        let referral = self.load(id).await?;
        let r = &referral.value;
        if self.actor.role != tiercare_core::access::UserRole::Admin
            && r.sides(self.actor).is_empty()
        {
            let reason = "only staff of the referring or receiving institution may see a referral";
            self.audit("read", r, AuditOutcome::Denied, reason).await?;
            return Err(ApiError::Forbidden(reason.into()));
        }
        self.audit("read", r, AuditOutcome::Success, "").await?;
        Ok(referral)
    }

    /// Takes one action on a referral that needs no slot or bed.
    pub async fn act(&self, id: &str, command: Command) -> Result<Versioned<Referral>, ApiError> {
        let mut referral = self.load(id).await?;
        let action = command.action();
        let event = match referral.value.apply(command, self.actor, now()) {
            Ok(e) => e,
            Err(e) => {
                let patient = referral.value.patient.to_string();
                return Err(self.refused(action.code(), Some(id), &patient, e).await);
            }
        };
        let version = self
            .write(
                vec![(
                    Record::Referral(referral.value.clone()),
                    Expect::Version(referral.version),
                    vec![event],
                )],
                action.code(),
                "",
            )
            .await?;
        referral.version = version;
        Ok(referral)
    }

    /// Books a slot for a referral: the slot must be at the receiving
    /// institution, in the referral's specialty, open to it under the
    /// region's policy and free (or held by this user). Exactly one of any
    /// number of concurrent bookings of one slot succeeds; the others get
    /// 409.
    pub async fn book_slot(
        &self,
        referral_id: &str,
        slot_id: &str,
    ) -> Result<(Versioned<Referral>, Versioned<Slot>), ApiError> {
        let now = now();
        let mut referral = self.load(referral_id).await?;
        let mut slot = self.load_slot(slot_id).await?;
        let r = &mut referral.value;
        let s = &mut slot.value;
        if s.institution != r.to {
            return Err(ApiError::rule(
                "slot",
                format!(
                    "Slot/{slot_id} is not at the receiving institution {}",
                    r.to
                ),
            ));
        }
        if s.specialty != r.specialty {
            return Err(ApiError::rule(
                "slot",
                format!(
                    "Slot/{slot_id} is a {} slot; the referral is for {}",
                    s.specialty.code(),
                    r.specialty.code()
                ),
            ));
        }
        let appointment =
            AppointmentId::new(new_id()).map_err(|e| ApiError::Internal(e.to_string()))?;
        let booking = Booking::Slot {
            slot: s.id.clone(),
            appointment: appointment.clone(),
            start: s.start,
        };
        // The referral's rules first: a user who may not book gets 403/409
        // for the referral, not a message about the slot.
        let mut after = r.clone();
        let event = match after.apply(Command::Book { booking }, self.actor, now) {
            Ok(e) => e,
            Err(e) => {
                let patient = r.patient.to_string();
                return Err(self.refused("book", Some(referral_id), &patient, e).await);
            }
        };
        let claimant = Claimant::Referral {
            referral: &r.id,
            from_level: r.from_level,
            priority: r.priority,
        };
        s.book(
            &self.actor.username,
            appointment,
            claimant,
            &self.state.policy,
            now,
        )
        .map_err(|e| ApiError::Conflict(format!("Slot/{slot_id}: {e}")))?;
        *r = after;
        let written = self
            .write(
                vec![
                    (
                        Record::Referral(r.clone()),
                        Expect::Version(referral.version),
                        vec![event],
                    ),
                    (
                        Record::Slot(s.clone()),
                        Expect::Version(slot.version),
                        vec![],
                    ),
                ],
                "book",
                &format!("Slot/{slot_id}"),
            )
            .await;
        match written {
            Ok(_) => {}
            Err(ApiError::PreconditionFailed(_)) => {
                return Err(ApiError::Conflict(format!(
                    "Slot/{slot_id} or ServiceRequest/{referral_id} changed while booking (the slot was probably just taken); reload and try again"
                )));
            }
            Err(e) => return Err(e),
        }
        referral.version += 1;
        slot.version += 1;
        Ok((referral, slot))
    }

    async fn load(&self, id: &str) -> Result<Versioned<Referral>, ApiError> {
        match self.state.store.get("ServiceRequest", id).await? {
            Some(stored) => match stored.record {
                Record::Referral(value) => Ok(Versioned {
                    value,
                    version: stored.version,
                }),
                _ => Err(ApiError::NotFound(format!(
                    "ServiceRequest/{id} is not a referral"
                ))),
            },
            None => Err(ApiError::NotFound(format!(
                "ServiceRequest/{id} does not exist"
            ))),
        }
    }

    async fn load_slot(&self, id: &str) -> Result<Versioned<Slot>, ApiError> {
        match self.state.store.get("Slot", id).await? {
            Some(stored) => match stored.record {
                Record::Slot(value) => Ok(Versioned {
                    value,
                    version: stored.version,
                }),
                _ => Err(ApiError::NotFound(format!("Slot/{id} does not exist"))),
            },
            None => Err(ApiError::NotFound(format!("Slot/{id} does not exist"))),
        }
    }

    /// Writes records with their events in one transaction; returns the
    /// first record's new version. A version conflict is a 412 here; the
    /// caller decides whether it means 409.
    /// The success audit entry is written in the same transaction.
    async fn write(
        &self,
        writes: Vec<(Record, Expect, Vec<ReferralEvent>)>,
        action: &str,
        detail: &str,
    ) -> Result<u32, ApiError> {
        let audit = match writes.first() {
            Some((Record::Referral(r), ..)) => vec![self.registry().audit_entry(
                action,
                "ServiceRequest",
                Some(r.id.as_str()),
                Some(r.patient.as_str()),
                AuditOutcome::Success,
                detail.to_string(),
            )],
            _ => vec![],
        };
        let writes: Vec<Write> = writes
            .into_iter()
            .map(|(record, expect, events)| Write {
                index: fhir::index(&record),
                record,
                expect,
                actor: self.actor.username.clone(),
                events: events.into_iter().map(Event::Referral).collect(),
            })
            .collect();
        let stored = self
            .state
            .store
            .write_all(writes, audit)
            .await
            .map_err(|e: StoreError| ApiError::from(e))?;
        Ok(stored.first().map_or(1, |s| s.version))
    }

    async fn audit(
        &self,
        action: &str,
        r: &Referral,
        outcome: AuditOutcome,
        detail: &str,
    ) -> Result<(), ApiError> {
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

    /// Maps a refusal by the core to an HTTP error, auditing it.
    async fn refused(
        &self,
        action: &str,
        id: Option<&str>,
        patient: &str,
        e: ReferralError,
    ) -> ApiError {
        let (outcome, err) = match &e {
            ReferralError::WrongSide { .. } | ReferralError::Role(_) => {
                (AuditOutcome::Denied, ApiError::Forbidden(e.to_string()))
            }
            ReferralError::IllegalTransition { .. } => {
                (AuditOutcome::Failed, ApiError::Conflict(e.to_string()))
            }
            ReferralError::Invalid { field, .. } => {
                (AuditOutcome::Failed, ApiError::rule(*field, e.to_string()))
            }
        };
        let entry = self.registry().audit_entry(
            action,
            "ServiceRequest",
            id,
            Some(patient),
            outcome,
            e.to_string(),
        );
        match self.registry().audit(vec![entry]).await {
            Ok(()) => err,
            Err(audit_failed) => audit_failed,
        }
    }
}

/// A referral id for a new request.
pub fn new_referral_id() -> Result<ReferralId, ApiError> {
    ReferralId::new(new_id()).map_err(|e| ApiError::Internal(e.to_string()))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}
