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

mod appointments;
pub use appointments::SelfBooking;
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::booking::{
    Appointment, BedPool, Claimant, Encounter, SessionPlan, Slot, SlotStatus,
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
    ///
    /// Retrying is safe when the id was derived from the client's
    /// idempotency key ([`idempotent_id`]): a second request finds the
    /// referral the first made and answers it with `created == false`.
    pub async fn request(&self, new: NewReferral) -> Result<(Versioned<Referral>, bool), ApiError> {
        let patient = new.patient.to_string();
        let (referral, event) = match Referral::request(new, self.actor, now()) {
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
            let err = ApiError::Forbidden(format!(
                "you may refer only a patient in your care (contracted to your team, or referred to or from your institution); Patient/{patient} is not"
            ));
            let entry = self.registry().audit_entry(
                "create",
                "ServiceRequest",
                None,
                Some(&patient),
                AuditOutcome::Denied,
                err.to_string(),
            );
            self.registry().audit(vec![entry]).await?;
            return Err(err);
        }
        let written = self
            .write_raw(
                vec![(record, Expect::New, vec![Event::Referral(event)])],
                "create",
                "referral requested",
            )
            .await;
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
                    return Err(ApiError::Conflict(format!(
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
        let action = command.action();
        let mut seen = None;
        for _ in 0..CAPACITY_RETRIES {
            let mut referral = self.load(id).await?;
            match seen {
                None => check_version(id, referral.version, if_match)?,
                Some(v) if v != referral.version => return Err(changed(id)),
                Some(_) => {}
            }
            seen = Some(referral.version);
            let before = referral.value.state.clone();
            let event = match referral.value.apply(command.clone(), self.actor, now()) {
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
            match self.write_raw(writes, action.code(), "").await {
                Ok((version, updated_at)) => {
                    referral.version = version;
                    referral.updated_at = updated_at;
                    return Ok(referral);
                }
                // A slot or bed pool changed meanwhile: do it again.
                Err(StoreError::VersionConflict { resource_type, .. })
                    if resource_type != "ServiceRequest" => {}
                Err(StoreError::VersionConflict { .. }) => return Err(changed(id)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(busy())
    }

    /// The encounter a change opens (arrival) or finishes (completion).
    async fn encounter_change(
        &self,
        r: &Referral,
        event: &ReferralEvent,
    ) -> Result<Vec<(Record, Expect, Vec<Event>)>, ApiError> {
        let id = Encounter::id_for(&r.id).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(match (&event.change, &r.state) {
            (Change::Arrived, ReferralState::Arrived { booking }) => {
                let appointment = match booking {
                    Some(Booking::Slot { appointment, .. }) => Some(appointment.clone()),
                    _ => None,
                };
                let e = Encounter {
                    id,
                    patient: r.patient.clone(),
                    institution: r.to.clone(),
                    specialty: r.specialty,
                    inpatient: r.setting == Setting::Inpatient,
                    referral: Some(r.id.clone()),
                    appointment,
                    arrived: event.at,
                    finished: None,
                };
                vec![(Record::Encounter(e), Expect::New, vec![])]
            }
            (Change::Completed { .. }, _) => {
                match self.state.store.get("Encounter", id.as_str()).await? {
                    Some(Stored {
                        record: Record::Encounter(mut e),
                        version,
                        ..
                    }) => {
                        e.finished = Some(event.at);
                        vec![(Record::Encounter(e), Expect::Version(version), vec![])]
                    }
                    _ => vec![],
                }
            }
            _ => vec![],
        })
    }

    /// The slot or bed a change gives back: a cancelled booking, or the
    /// bed of a finished stay. Written with the referral.
    async fn free_capacity(
        &self,
        before: &ReferralState,
        change: &Change,
    ) -> Result<Vec<(Record, Expect, Vec<Event>)>, ApiError> {
        let booking = match (change, before) {
            (
                Change::Cancelled {
                    released: Some(b), ..
                },
                _,
            ) => b.clone(),
            (
                Change::Completed { .. },
                ReferralState::Arrived {
                    booking: Some(b @ Booking::Bed { .. }),
                },
            ) => b.clone(),
            _ => return Ok(vec![]),
        };
        Ok(match booking {
            Booking::Slot {
                slot, appointment, ..
            } => {
                let mut s = self.load_slot(slot.as_str()).await?;
                if s.value.status != (SlotStatus::Booked { appointment }) {
                    return Ok(vec![]);
                }
                let appointment = s
                    .value
                    .release()
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                let mut freed = vec![(Record::Slot(s.value), Expect::Version(s.version), vec![])];
                if let Some(stored) = self
                    .state
                    .store
                    .get("Appointment", appointment.as_str())
                    .await?
                    && let Record::Appointment(mut a) = stored.record
                {
                    a.cancelled = true;
                    freed.push((
                        Record::Appointment(a),
                        Expect::Version(stored.version),
                        vec![],
                    ));
                }
                freed
            }
            Booking::Bed { pool, bed, .. } => {
                let mut p = self.load_pool(pool.as_str()).await?;
                p.value.discharge(bed);
                vec![(Record::BedPool(p.value), Expect::Version(p.version), vec![])]
            }
        })
    }

    /// Admits an inpatient referral into a bed of the pool: a reserved bed
    /// for a referral from primary care while one is free, else a general
    /// one. Concurrent admissions to one pool are retried until the pool
    /// is full, so 200 requests for 20 beds give exactly 20 admissions.
    pub async fn book_bed(
        &self,
        referral_id: &str,
        pool_id: &str,
        if_match: Option<u32>,
    ) -> Result<(Versioned<Referral>, Versioned<BedPool>), ApiError> {
        let mut seen = None;
        for _ in 0..CAPACITY_RETRIES {
            let now = now();
            let mut referral = self.load(referral_id).await?;
            match seen {
                None => check_version(referral_id, referral.version, if_match)?,
                Some(v) if v != referral.version => return Err(changed(referral_id)),
                Some(_) => {}
            }
            seen = Some(referral.version);
            let mut pool = self.load_pool(pool_id).await?;
            let r = &referral.value;
            if pool.value.institution != r.to || pool.value.specialty != r.specialty {
                return Err(ApiError::rule(
                    "beds",
                    format!(
                        "Location/{pool_id} is not a {} bed pool of the receiving institution {}",
                        r.specialty.code(),
                        r.to
                    ),
                ));
            }
            let claimant = Claimant::Referral {
                referral: &r.id,
                from_level: r.from_level,
                priority: r.priority,
            };
            // Who may book first, then whether a bed is free.
            if let Err(e) = r.permits(Action::Book, self.actor) {
                let patient = r.patient.to_string();
                return Err(self.refused("book", Some(referral_id), &patient, e).await);
            }
            let bed = pool
                .value
                .admit(claimant)
                .map_err(|e| ApiError::Conflict(format!("Location/{pool_id}: {e}")))?;
            let booking = Booking::Bed {
                pool: pool.value.id.clone(),
                bed,
                from: now,
            };
            let event = match referral
                .value
                .apply(Command::Book { booking }, self.actor, now)
            {
                Ok(e) => e,
                Err(e) => {
                    let patient = referral.value.patient.to_string();
                    return Err(self.refused("book", Some(referral_id), &patient, e).await);
                }
            };
            let writes = vec![
                (
                    Record::Referral(referral.value.clone()),
                    Expect::Version(referral.version),
                    vec![Event::Referral(event)],
                ),
                (
                    Record::BedPool(pool.value.clone()),
                    Expect::Version(pool.version),
                    vec![],
                ),
            ];
            match self
                .write_raw(writes, "book", &format!("Location/{pool_id}"))
                .await
            {
                Ok((version, updated_at)) => {
                    referral.version = version;
                    referral.updated_at = updated_at.clone();
                    pool.version += 1;
                    pool.updated_at = updated_at;
                    return Ok((referral, pool));
                }
                Err(StoreError::VersionConflict { resource_type, .. })
                    if resource_type != "ServiceRequest" => {}
                Err(StoreError::VersionConflict { .. }) => return Err(changed(referral_id)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(busy())
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
            appointment.clone(),
            claimant,
            &self.state.policy,
            now,
        )
        .map_err(|e| ApiError::Conflict(format!("Slot/{slot_id}: {e}")))?;
        let visit = Appointment {
            id: appointment,
            slot: s.id.clone(),
            patient: r.patient.clone(),
            institution: s.institution.clone(),
            specialty: s.specialty,
            start: s.start,
            end: s.end,
            condition: Some(r.condition.clone()),
            referral: Some(r.id.clone()),
            emergency: r.priority == Priority::Emergency,
            bypass: false,
            cancelled: false,
        };
        *r = after;
        let written = self
            .write(
                vec![
                    (
                        Record::Referral(r.clone()),
                        Expect::Version(referral.version),
                        vec![Event::Referral(event)],
                    ),
                    (
                        Record::Slot(s.clone()),
                        Expect::Version(slot.version),
                        vec![],
                    ),
                    (Record::Appointment(visit), Expect::New, vec![]),
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

    async fn load_pool(&self, id: &str) -> Result<Versioned<BedPool>, ApiError> {
        match self.state.store.get("Location", id).await? {
            Some(Stored {
                record: Record::BedPool(value),
                version,
                updated_at,
                ..
            }) => Ok(Versioned {
                value,
                version,
                updated_at,
            }),
            _ => Err(ApiError::NotFound(format!(
                "bed pool Location/{id} does not exist"
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
        writes: Vec<(Record, Expect, Vec<Event>)>,
        action: &str,
        detail: &str,
    ) -> Result<(u32, String), ApiError> {
        Ok(self.write_raw(writes, action, detail).await?)
    }

    /// [`write`](Self::write), keeping the store's error so a caller can
    /// tell which record changed underneath it.
    async fn write_raw(
        &self,
        writes: Vec<(Record, Expect, Vec<Event>)>,
        action: &str,
        detail: &str,
    ) -> Result<(u32, String), StoreError> {
        let audit = match writes.first() {
            Some((Record::Referral(r), ..)) => vec![self.registry().audit_entry(
                action,
                "ServiceRequest",
                Some(r.id.as_str()),
                Some(r.patient.as_str()),
                AuditOutcome::Success,
                detail.to_string(),
            )],
            Some((Record::Appointment(a), ..)) => vec![self.registry().audit_entry(
                action,
                "Appointment",
                Some(a.id.as_str()),
                Some(a.patient.as_str()),
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
                events,
            })
            .collect();
        let stored = self.state.store.write_all(writes, audit).await?;
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

    /// Opens a department's bed pool (administrators and the institution's
    /// coordinators). An existing pool is left as it is; returns whether it
    /// was created.
    pub async fn open_bed_pool(&self, pool: BedPool) -> Result<bool, ApiError> {
        let allowed = match self.actor.role {
            UserRole::Admin => true,
            UserRole::Coordinator => self.actor.institution.as_ref() == Some(&pool.institution),
            _ => false,
        };
        if !allowed {
            return Err(ApiError::Forbidden(
                "only administrators and the institution's coordinators open bed pools".into(),
            ));
        }
        if pool.reserved > pool.beds || pool.occupied + pool.reserved_occupied > pool.beds {
            return Err(ApiError::rule(
                "beds",
                "a pool cannot reserve or fill more beds than it has",
            ));
        }
        if self
            .state
            .store
            .get("Location", pool.id.as_str())
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let record = Record::BedPool(pool);
        self.registry()
            .check_references(&record, &Pending::new())
            .await?;
        let write = Write {
            index: self.index(&record),
            record,
            expect: Expect::New,
            actor: self.actor.username.clone(),
            events: vec![],
        };
        self.state.store.write_all(vec![write], vec![]).await?;
        Ok(true)
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

/// Attempts at a change whose slot or bed pool others are changing too.
const CAPACITY_RETRIES: usize = 64;

fn changed(id: &str) -> ApiError {
    ApiError::Conflict(format!(
        "ServiceRequest/{id} was changed by someone else meanwhile; reload and try again"
    ))
}

fn busy() -> ApiError {
    ApiError::Conflict("the slot or bed pool is too busy right now; try again".into())
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

/// The referral id for a client's idempotency key: the same user and key
/// always give the same id, so a retried create finds the first one.
pub fn idempotent_id(username: &str, key: &str) -> Result<ReferralId, ApiError> {
    use sha2::{Digest, Sha256};
    if key.is_empty() || key.len() > 200 || key.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "the key must be 1-200 printable characters",
        ));
    }
    let digest = Sha256::digest(format!("{username}\n{key}").as_bytes());
    ReferralId::new(hex::encode(&digest[..16])).map_err(|e| ApiError::Internal(e.to_string()))
}

/// A referral id for a new request.
pub fn new_referral_id() -> Result<ReferralId, ApiError> {
    ReferralId::new(new_id()).map_err(|e| ApiError::Internal(e.to_string()))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}
