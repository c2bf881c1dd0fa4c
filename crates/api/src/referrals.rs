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
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::booking::{Claimant, SessionPlan, Slot};
use tiercare_core::events::Event;
use tiercare_core::referral::{
    Action, Booking, Command, NewReferral, Referral, ReferralError, ReferralEvent,
};
use tiercare_core::{AppointmentId, ReferralId};
use tiercare_store::{
    AuditEntry, AuditOutcome, Expect, Filter, Match, Query, StoreError, Stored, Write,
};
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
    /// RFC 3339 time of the last change.
    pub updated_at: String,
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
        let (version, updated_at) = self
            .write(
                vec![(Record::Referral(referral.clone()), Expect::New, vec![event])],
                "create",
                "referral requested",
            )
            .await?;
        Ok(Versioned {
            value: referral,
            version,
            updated_at,
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
    /// With `if_match`, the referral must still be at that version (412
    /// otherwise): the client acted on what it saw.
    pub async fn act(
        &self,
        id: &str,
        command: Command,
        if_match: Option<u32>,
    ) -> Result<Versioned<Referral>, ApiError> {
        let mut referral = self.load(id).await?;
        check_version(id, referral.version, if_match)?;
        let action = command.action();
        let event = match referral.value.apply(command, self.actor, now()) {
            Ok(e) => e,
            Err(e) => {
                let patient = referral.value.patient.to_string();
                return Err(self.refused(action.code(), Some(id), &patient, e).await);
            }
        };
        let if_match = referral.version;
        (referral.version, referral.updated_at) = self
            .write(
                vec![(
                    Record::Referral(referral.value.clone()),
                    Expect::Version(if_match),
                    vec![event],
                )],
                action.code(),
                "",
            )
            .await?;
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
        if_match: Option<u32>,
    ) -> Result<(Versioned<Referral>, Versioned<Slot>), ApiError> {
        let now = now();
        let mut referral = self.load(referral_id).await?;
        check_version(referral_id, referral.version, if_match)?;
        let mut slot = self.load_slot(slot_id).await?;
        let r = &mut referral.value;
        let s = &mut slot.value;
        same_place(r, s)?;
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
            Ok((_, updated_at)) => {
                referral.updated_at = updated_at.clone();
                slot.updated_at = updated_at;
            }
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
                    updated_at: stored.updated_at,
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
                    updated_at: stored.updated_at,
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
    ) -> Result<(u32, String), ApiError> {
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
                index: self.index(&record),
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
        Ok(stored.first().map_or((1, tiercare_store::now_text()), |s| {
            (s.version, s.updated_at.clone())
        }))
    }

    /// Search terms: the resource's, plus for a referral the worklist
    /// terms that depend on the policy.
    fn index(&self, record: &Record) -> Vec<(String, String)> {
        let mut terms = fhir::index(record);
        if let Record::Referral(r) = record {
            terms.extend(fhir::referral::workflow_terms(r, &self.state.policy));
        }
        terms
    }

    /// Searches referrals: administrators see all, doctors and
    /// coordinators those their institution is a party to, others none.
    /// Each referral found is audited against its patient.
    pub async fn search(&self, mut query: Query) -> Result<(Vec<Stored>, u64), ApiError> {
        match (self.actor.role, &self.actor.institution) {
            (UserRole::Admin, _) => {}
            (UserRole::Doctor | UserRole::Coordinator, Some(i)) => query.filters.push(Filter {
                param: "party".into(),
                values: vec![format!("Organization/{i}")],
                matching: Match::Exact,
            }),
            _ => {
                let reason = "this account may not see referrals";
                let entry = self.registry().audit_entry(
                    "search",
                    "ServiceRequest",
                    None,
                    None,
                    AuditOutcome::Denied,
                    reason.into(),
                );
                self.registry().audit(vec![entry]).await?;
                return Err(ApiError::Forbidden(reason.into()));
            }
        }
        let (found, total) = self.state.store.search(&query).await?;
        let referrals: Vec<Stored> = found
            .into_iter()
            .filter(|s| matches!(s.record, Record::Referral(_)))
            .collect();
        let entries = referrals
            .iter()
            .filter_map(|s| match &s.record {
                Record::Referral(r) => Some(r),
                _ => None,
            })
            .map(|r| {
                self.registry().audit_entry(
                    "search",
                    "ServiceRequest",
                    Some(r.id.as_str()),
                    Some(r.patient.as_str()),
                    AuditOutcome::Success,
                    String::new(),
                )
            })
            .collect();
        self.registry().audit(entries).await?;
        Ok((referrals, total))
    }

    /// Opens a department's outpatient session: its slots, the policy's
    /// share reserved for referrals. Administrators and the institution's
    /// coordinators may. Slots that exist already are left as they are, so
    /// opening a session twice is harmless. Returns the slots written.
    pub async fn open_session(&self, plan: &SessionPlan<'_>) -> Result<usize, ApiError> {
        let allowed = match self.actor.role {
            UserRole::Admin => true,
            UserRole::Coordinator => self.actor.institution.as_ref() == Some(plan.institution),
            _ => false,
        };
        if !allowed {
            return Err(ApiError::Forbidden(
                "only administrators and the institution's coordinators open sessions".into(),
            ));
        }
        let existing: std::collections::HashSet<String> = self
            .state
            .store
            .ids_where("Slot", "schedule", &format!("Schedule/{}", plan.schedule))
            .await?
            .into_iter()
            .collect();
        let mut writes = Vec::new();
        for slot in plan.slots(&self.state.policy) {
            if existing.contains(slot.id.as_str()) {
                continue;
            }
            let record = Record::Slot(slot);
            if writes.is_empty() {
                self.registry()
                    .check_references(&record, &Pending::new())
                    .await?;
            }
            writes.push(Write {
                index: self.index(&record),
                record,
                expect: Expect::New,
                actor: self.actor.username.clone(),
                events: vec![],
            });
        }
        let n = writes.len();
        if n > 0 {
            self.state.store.write_all(writes, vec![]).await?;
        }
        Ok(n)
    }

    /// Holds a slot for the caller for the policy's hold time, on behalf of
    /// a referral they may book, so the patient can be asked. Concurrent
    /// holds of one slot: one wins, the others get 409.
    pub async fn hold_slot(
        &self,
        referral_id: &str,
        slot_id: &str,
    ) -> Result<Versioned<Slot>, ApiError> {
        let now = now();
        let referral = self.load(referral_id).await?;
        let r = &referral.value;
        if let Err(e) = r.permits(Action::Book, self.actor) {
            let patient = r.patient.to_string();
            return Err(self.refused("hold", Some(referral_id), &patient, e).await);
        }
        let mut slot = self.load_slot(slot_id).await?;
        same_place(r, &slot.value)?;
        let claimant = Claimant::Referral {
            referral: &r.id,
            from_level: r.from_level,
            priority: r.priority,
        };
        slot.value
            .hold(&self.actor.username, claimant, &self.state.policy, now)
            .map_err(|e| ApiError::Conflict(format!("Slot/{slot_id}: {e}")))?;
        let write = Write {
            index: self.index(&Record::Slot(slot.value.clone())),
            record: Record::Slot(slot.value.clone()),
            expect: Expect::Version(slot.version),
            actor: self.actor.username.clone(),
            events: vec![],
        };
        let audit = self.registry().audit_entry(
            "hold",
            "ServiceRequest",
            Some(r.id.as_str()),
            Some(r.patient.as_str()),
            AuditOutcome::Success,
            format!("Slot/{slot_id}"),
        );
        match self.state.store.write_all(vec![write], vec![audit]).await {
            Ok(stored) => {
                slot.version = stored.first().map_or(slot.version + 1, |s| s.version);
                Ok(slot)
            }
            Err(StoreError::VersionConflict { .. }) => Err(ApiError::Conflict(format!(
                "Slot/{slot_id} was just taken or held by someone else"
            ))),
            Err(e) => Err(e.into()),
        }
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

fn check_version(id: &str, current: u32, if_match: Option<u32>) -> Result<(), ApiError> {
    match if_match {
        Some(v) if v != current => Err(ApiError::PreconditionFailed(format!(
            "ServiceRequest/{id} is at version {current}, not {v}; reload and try again"
        ))),
        _ => Ok(()),
    }
}

/// A slot must be at the receiving institution, in the referral's specialty.
fn same_place(r: &Referral, s: &Slot) -> Result<(), ApiError> {
    if s.institution != r.to {
        return Err(ApiError::rule(
            "slot",
            format!("Slot/{} is not at the receiving institution {}", s.id, r.to),
        ));
    }
    if s.specialty != r.specialty {
        return Err(ApiError::rule(
            "slot",
            format!(
                "Slot/{} is a {} slot; the referral is for {}",
                s.id,
                s.specialty.code(),
                r.specialty.code()
            ),
        ));
    }
    Ok(())
}

/// A referral id for a new request.
pub fn new_referral_id() -> Result<ReferralId, ApiError> {
    ReferralId::new(new_id()).map_err(|e| ApiError::Internal(e.to_string()))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}
