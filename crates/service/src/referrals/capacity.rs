//! Capacity for referrals: booking slots and beds, holds, opening
//! sessions and bed pools, and what a step gives back or opens.

use super::*;

impl Referrals<'_> {
    /// The encounter a change opens (arrival) or finishes (completion),
    /// and the appointment that follows its visit (arrived, fulfilled,
    /// no-show).
    pub(super) async fn encounter_change(
        &self,
        r: &Referral,
        event: &ReferralEvent,
    ) -> Result<Vec<(Record, Expect, Vec<Event>)>, ServiceError> {
        let id = Encounter::id_for(&r.id).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        Ok(match (&event.change, &r.state) {
            (Change::Arrived { .. }, ReferralState::Arrived { booking }) => {
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
                    appointment: appointment.clone(),
                    arrived: event.at,
                    finished: None,
                };
                let arrived = Event::VisitArrived {
                    encounter: e.clone(),
                };
                let mut writes = vec![(Record::Encounter(e), Expect::New, vec![arrived])];
                writes.extend(
                    self.appointment_follows(appointment.as_ref(), VisitProgress::Arrived)
                        .await?,
                );
                writes
            }
            (Change::NoShow { booking }, _) => {
                let appointment = match booking {
                    Booking::Slot { appointment, .. } => Some(appointment),
                    Booking::Bed { .. } => None,
                };
                self.appointment_follows(appointment, VisitProgress::NoShow)
                    .await?
            }
            (Change::Completed { .. }, _) => {
                match self.ctx.store.get("Encounter", id.as_str()).await? {
                    Some(Stored {
                        record: Record::Encounter(mut e),
                        version,
                        ..
                    }) => {
                        e.finished = Some(event.at);
                        let finished = Event::VisitFinished {
                            encounter: e.clone(),
                        };
                        let emergency = r.priority == tiercare_core::referral::Priority::Emergency;
                        let claim = self.claim_for(&e, r.to_level, Some(r), emergency).await?;
                        let fulfilled = self
                            .appointment_follows(e.appointment.as_ref(), VisitProgress::Fulfilled)
                            .await?;
                        let mut writes = vec![(
                            Record::Encounter(e),
                            Expect::Version(version),
                            vec![finished],
                        )];
                        writes.extend(claim);
                        writes.extend(fulfilled);
                        writes
                    }
                    _ => vec![],
                }
            }
            _ => vec![],
        })
    }

    /// The slot or bed a change gives back: a cancelled booking, or the
    /// bed of a finished stay. Written with the referral.
    pub(super) async fn free_capacity(
        &self,
        before: &ReferralState,
        change: &Change,
    ) -> Result<Vec<(Record, Expect, Vec<Event>)>, ServiceError> {
        let booking = match (change, before) {
            (
                Change::Cancelled {
                    released: Some(b), ..
                }
                | Change::PatientRefused {
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
                    .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
                let mut freed = vec![(Record::Slot(s.value), Expect::Version(s.version), vec![])];
                if let Some(stored) = self
                    .ctx
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
    ) -> Result<(Versioned<Referral>, Versioned<BedPool>), ServiceError> {
        let mut seen = None;
        for _ in 0..CAPACITY_RETRIES {
            let now = self.ctx.clock.now();
            let mut referral = self.load(referral_id).await?;
            check_attempt(referral_id, &mut seen, referral.version, if_match)?;
            let mut pool = self.load_pool(pool_id).await?;
            let r = &referral.value;
            if pool.value.institution != r.to || pool.value.specialty != r.specialty {
                return Err(ServiceError::rule(
                    "beds",
                    format!(
                        "Location/{pool_id} is not a {} bed pool of the receiving institution {}",
                        r.specialty.code(),
                        r.to
                    ),
                ));
            }
            let claimant = r.claimant();
            // Who may book first, then whether a bed is free.
            if let Err(e) = r.permits(Action::Book, self.actor) {
                let patient = r.patient.to_string();
                return Err(self.refused("book", Some(referral_id), &patient, e).await);
            }
            let bed = pool
                .value
                .admit(claimant)
                .map_err(|e| ServiceError::Conflict(format!("Location/{pool_id}: {e}")))?;
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
                .write(writes, "book", &format!("Location/{pool_id}"))
                .await
            {
                Ok((version, updated_at)) => {
                    referral.version = version;
                    referral.updated_at = updated_at.clone();
                    pool.version += 1;
                    pool.updated_at = updated_at;
                    return Ok((referral, pool));
                }
                Err(e) if lost_race_elsewhere(&e, "ServiceRequest") => {}
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
    /// a conflict.
    pub async fn book_slot(
        &self,
        referral_id: &str,
        slot_id: &str,
        if_match: Option<u32>,
    ) -> Result<(Versioned<Referral>, Versioned<Slot>), ServiceError> {
        let now = self.ctx.clock.now();
        let mut referral = self.load(referral_id).await?;
        check_version(referral_id, referral.version, if_match)?;
        let mut slot = self.load_slot(slot_id).await?;
        let r = &mut referral.value;
        let s = &mut slot.value;
        same_place(r, s)?;
        let appointment =
            AppointmentId::new(new_id()).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        let booking = Booking::Slot {
            slot: s.id.clone(),
            appointment: appointment.clone(),
            start: s.start,
        };
        // The referral's rules first: a user who may not book is forbidden or in conflict
        // for the referral, not a message about the slot.
        let mut after = r.clone();
        let event = match after.apply(Command::Book { booking }, self.actor, now) {
            Ok(e) => e,
            Err(e) => {
                let patient = r.patient.to_string();
                return Err(self.refused("book", Some(referral_id), &patient, e).await);
            }
        };
        let claimant = r.claimant();
        s.book(
            &self.actor.username,
            appointment.clone(),
            claimant,
            &self.ctx.policy,
            now,
        )
        .map_err(|e| ServiceError::Conflict(format!("Slot/{slot_id}: {e}")))?;
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
            booked_at: Some(now),
            progress: VisitProgress::Booked,
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
            Ok((version, updated_at)) => {
                referral.version = version;
                referral.updated_at = updated_at.clone();
                slot.version += 1;
                slot.updated_at = updated_at;
                Ok((referral, slot))
            }
            Err(StoreError::VersionConflict { resource_type, .. }) if resource_type == "Slot" => {
                Err(ServiceError::Conflict(format!(
                    "Slot/{slot_id} was just taken; choose another"
                )))
            }
            Err(StoreError::VersionConflict { .. }) => Err(changed(referral_id)),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn load_pool(&self, id: &str) -> Result<Versioned<BedPool>, ServiceError> {
        crate::load_as(&self.ctx.store, "Location", id, |r| match r {
            Record::BedPool(v) => Some(v),
            _ => None,
        })
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("bed pool Location/{id} does not exist")))
    }

    pub(super) async fn load_slot(&self, id: &str) -> Result<Versioned<Slot>, ServiceError> {
        crate::load_as(&self.ctx.store, "Slot", id, |r| match r {
            Record::Slot(v) => Some(v),
            _ => None,
        })
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("Slot/{id} does not exist")))
    }

    /// Opens a department's outpatient session: its slots, the policy's
    /// share reserved for referrals. Administrators and the institution's
    /// coordinators may. Slots that exist already are left as they are, so
    /// opening a session twice is harmless. Returns the slots written.
    pub async fn open_session(&self, plan: &SessionPlan<'_>) -> Result<usize, ServiceError> {
        let allowed = match self.actor.role {
            UserRole::Admin => true,
            UserRole::Coordinator => self.actor.institution.as_ref() == Some(plan.institution),
            _ => false,
        };
        if !allowed {
            return Err(ServiceError::Forbidden(
                "only administrators and the institution's coordinators open sessions".into(),
            ));
        }
        let existing: std::collections::HashSet<String> = self
            .ctx
            .store
            .ids_where("Slot", "schedule", &format!("Schedule/{}", plan.schedule))
            .await?
            .into_iter()
            .collect();
        let mut writes = Vec::new();
        for slot in plan.slots(&self.ctx.policy) {
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
                index: self.ctx.terms_of(&record),
                record,
                expect: Expect::New,
                actor: self.actor.username.clone(),
                events: vec![],
                facts: Vec::new(),
            });
        }
        let n = writes.len();
        if n > 0 {
            self.ctx.store.write_all(writes, vec![]).await?;
        }
        Ok(n)
    }

    /// Opens a department's bed pool (administrators and the institution's
    /// coordinators). An existing pool is left as it is; returns whether it
    /// was created.
    pub async fn open_bed_pool(&self, pool: BedPool) -> Result<bool, ServiceError> {
        let allowed = match self.actor.role {
            UserRole::Admin => true,
            UserRole::Coordinator => self.actor.institution.as_ref() == Some(&pool.institution),
            _ => false,
        };
        if !allowed {
            return Err(ServiceError::Forbidden(
                "only administrators and the institution's coordinators open bed pools".into(),
            ));
        }
        if pool.reserved > pool.beds || pool.occupied + pool.reserved_occupied > pool.beds {
            return Err(ServiceError::rule(
                "beds",
                "a pool cannot reserve or fill more beds than it has",
            ));
        }
        if self
            .ctx
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
            index: self.ctx.terms_of(&record),
            record,
            expect: Expect::New,
            actor: self.actor.username.clone(),
            events: vec![],
            facts: Vec::new(),
        };
        self.ctx.store.write_all(vec![write], vec![]).await?;
        Ok(true)
    }

    /// Holds a slot for the caller for the policy's hold time, on behalf of
    /// a referral they may book, so the patient can be asked. Concurrent
    /// holds of one slot: one wins, the others get a conflict.
    pub async fn hold_slot(
        &self,
        referral_id: &str,
        slot_id: &str,
    ) -> Result<Versioned<Slot>, ServiceError> {
        let now = self.ctx.clock.now();
        let referral = self.load(referral_id).await?;
        let r = &referral.value;
        if let Err(e) = r.permits(Action::Book, self.actor) {
            let patient = r.patient.to_string();
            return Err(self.refused("hold", Some(referral_id), &patient, e).await);
        }
        let mut slot = self.load_slot(slot_id).await?;
        same_place(r, &slot.value)?;
        let claimant = r.claimant();
        slot.value
            .hold(&self.actor.username, claimant, &self.ctx.policy, now)
            .map_err(|e| ServiceError::Conflict(format!("Slot/{slot_id}: {e}")))?;
        let write = Write {
            index: self.ctx.terms_of(&Record::Slot(slot.value.clone())),
            record: Record::Slot(slot.value.clone()),
            expect: Expect::Version(slot.version),
            actor: self.actor.username.clone(),
            events: vec![],
            facts: Vec::new(),
        };
        let audit = self.registry().audit_entry(
            "hold",
            "ServiceRequest",
            Some(r.id.as_str()),
            Some(r.patient.as_str()),
            AuditOutcome::Success,
            format!("Slot/{slot_id}"),
        );
        match self.ctx.store.write_all(vec![write], vec![audit]).await {
            Ok(stored) => {
                slot.version = stored.first().map_or(slot.version + 1, |s| s.version);
                Ok(slot)
            }
            Err(StoreError::VersionConflict { .. }) => Err(ServiceError::Conflict(format!(
                "Slot/{slot_id} was just taken or held by someone else"
            ))),
            Err(e) => Err(e.into()),
        }
    }
}

/// Attempts at a change whose slot or bed pool others are changing too.
pub(super) const CAPACITY_RETRIES: usize = 64;

pub(super) fn busy() -> ServiceError {
    ServiceError::Conflict("the slot, bed pool or account is too busy right now; try again".into())
}

/// A slot must be at the receiving institution, in the referral's specialty.
pub(super) fn same_place(r: &Referral, s: &Slot) -> Result<(), ServiceError> {
    if s.institution != r.to {
        return Err(ServiceError::rule(
            "slot",
            format!("Slot/{} is not at the receiving institution {}", s.id, r.to),
        ));
    }
    if s.specialty != r.specialty {
        return Err(ServiceError::rule(
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
