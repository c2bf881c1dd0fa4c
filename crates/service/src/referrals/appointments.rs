//! Self-referred visits under the region's gatekeeping: a resident (or the
//! hospital's front desk) books a public slot without a referral. In
//! mandatory mode a non-emergency visit at a hospital is refused with the
//! reason; in financial mode it is booked and marked as a bypass, which the
//! event carries for insurance.

use super::*;
use tiercare_core::catalogue::IcdCode;
use tiercare_core::policy::{Gate, VisitRequest};
use tiercare_core::{Level, ResidentId};

/// What a self-referred booking asks for.
#[derive(Debug, Clone)]
pub struct SelfBooking {
    pub slot: String,
    pub patient: ResidentId,
    /// Why the patient comes (required for an emergency).
    pub condition: Option<IcdCode>,
    pub emergency: bool,
}

impl Referrals<'_> {
    /// Books a public slot for a patient without a referral, if the
    /// region's gatekeeping lets them.
    pub async fn book_self(
        &self,
        req: SelfBooking,
    ) -> Result<Versioned<Appointment>, ServiceError> {
        let now = self.ctx.clock.now();
        let mut slot = self.load_slot(&req.slot).await?;
        let s = &mut slot.value;
        let patient = req.patient.to_string();
        let allowed = match self.actor.role {
            UserRole::Admin => true,
            UserRole::Resident => self.actor.resident.as_ref() == Some(&req.patient),
            UserRole::Coordinator => self.actor.institution.as_ref() == Some(&s.institution),
            _ => false,
        };
        if !allowed {
            let reason = "a visit is booked by the patient, or by the hospital's coordinators";
            let refusal = (AuditOutcome::Denied, ServiceError::Forbidden(reason.into()));
            return Err(self
                .refuse("create", "Appointment", None, Some(&patient), refusal)
                .await);
        }
        if req.emergency && req.condition.is_none() {
            return Err(ServiceError::invalid(
                "Appointment.reasonCode",
                "an emergency booking needs the condition (ICD-10)",
            ));
        }
        // A referral on its way to this institution books through the loop.
        let in_flight = Query {
            resource_type: "ServiceRequest".into(),
            filters: vec![
                exact("patient", format!("Patient/{patient}")),
                exact("performer", format!("Organization/{}", s.institution)),
                any_of("state", vec!["requested".into(), "accepted".into()]),
            ],
            count: 1,
            offset: 0,
        };
        if let Some(r) = self.ctx.store.search_page(&in_flight).await?.first() {
            return Err(ServiceError::Conflict(format!(
                "the patient has a referral to this institution: book it with POST ServiceRequest/{}/$book",
                r.record.id()
            )));
        }
        let level = match self
            .ctx
            .store
            .get("Organization", s.institution.as_str())
            .await?
        {
            Some(Stored {
                record: Record::Institution(i),
                ..
            }) => i.level,
            _ => Level::Primary,
        };
        let bypass = match self.ctx.policy.gatekeep(VisitRequest {
            level,
            emergency: req.emergency,
            referred: false,
        }) {
            Gate::Allowed => false,
            Gate::Bypass => true,
            Gate::Refused(reason) => {
                let refusal = (
                    AuditOutcome::Failed,
                    ServiceError::rule("Appointment", reason),
                );
                return Err(self
                    .refuse("create", "Appointment", None, Some(&patient), refusal)
                    .await);
            }
        };
        let id =
            AppointmentId::new(new_id()).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        s.book(
            &self.actor.username,
            id.clone(),
            Claimant::Public,
            &self.ctx.policy,
            now,
        )
        .map_err(|e| ServiceError::Conflict(format!("Slot/{}: {e}", req.slot)))?;
        let appointment = Appointment {
            id,
            slot: s.id.clone(),
            patient: req.patient.clone(),
            institution: s.institution.clone(),
            specialty: s.specialty,
            start: s.start,
            end: s.end,
            condition: req.condition.clone(),
            referral: None,
            emergency: req.emergency,
            bypass,
            cancelled: false,
            booked_at: Some(now),
            progress: VisitProgress::Booked,
        };
        let record = Record::Appointment(appointment.clone());
        self.registry()
            .check_references(&record, &Pending::new())
            .await?;
        let event = Event::AppointmentBooked {
            appointment: appointment.clone(),
        };
        let detail = if bypass {
            "self-referred: bypass"
        } else {
            "self-referred"
        };
        let written = self
            .write(
                vec![
                    (record, Expect::New, vec![event]),
                    (
                        Record::Slot(s.clone()),
                        Expect::Version(slot.version),
                        vec![],
                    ),
                ],
                "create",
                detail,
            )
            .await;
        match written {
            Ok((version, updated_at)) => Ok(Versioned {
                value: appointment,
                version,
                updated_at,
            }),
            Err(StoreError::VersionConflict { .. }) => Err(ServiceError::Conflict(format!(
                "Slot/{} was just taken; choose another",
                req.slot
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads an appointment or an encounter: administrators, the patient,
    /// and staff of the institution (or of the referring one, for a
    /// referral's visit). Audited.
    pub async fn read_visit(&self, resource_type: &str, id: &str) -> Result<Stored, ServiceError> {
        let stored = self.ctx.store.get(resource_type, id).await?;
        let (patient, institution, referral) = match stored.as_ref().map(|s| &s.record) {
            Some(Record::Appointment(a)) => (&a.patient, &a.institution, &a.referral),
            Some(Record::Encounter(e)) => (&e.patient, &e.institution, &e.referral),
            _ => {
                return Err(ServiceError::NotFound(format!(
                    "{resource_type}/{id} does not exist"
                )));
            }
        };
        let staff = matches!(self.actor.role, UserRole::Doctor | UserRole::Coordinator);
        let mut allowed = match self.actor.role {
            UserRole::Admin => true,
            UserRole::Resident => self.actor.resident.as_ref() == Some(patient),
            _ => staff && self.actor.institution.as_ref() == Some(institution),
        };
        if !allowed
            && staff
            && let Some(r) = referral
        {
            allowed = !self
                .load(r.as_str())
                .await?
                .value
                .sides(self.actor)
                .is_empty();
        }
        let outcome = if allowed {
            AuditOutcome::Success
        } else {
            AuditOutcome::Denied
        };
        let entry = self.registry().audit_entry(
            "read",
            resource_type,
            Some(id),
            Some(patient.as_str()),
            outcome,
            String::new(),
        );
        self.registry().audit(vec![entry]).await?;
        // A visit the caller may not see reads as one that does not exist,
        // so its id cannot be probed (the audit says denied).
        match stored {
            Some(s) if allowed => Ok(s),
            _ => Err(ServiceError::NotFound(format!(
                "{resource_type}/{id} does not exist"
            ))),
        }
    }
}

impl Referrals<'_> {
    /// The patient of a self-booked appointment arrived: opens the visit's
    /// `Encounter`. Recorded by the institution's staff (or an
    /// administrator); a second arrival is a conflict.
    pub async fn arrive_self(
        &self,
        appointment: &str,
        early: bool,
    ) -> Result<Versioned<Encounter>, ServiceError> {
        let (mut a, a_version) = match self.ctx.store.get("Appointment", appointment).await? {
            Some(Stored {
                record: Record::Appointment(a),
                version,
                ..
            }) => (a, version),
            _ => {
                return Err(ServiceError::NotFound(format!(
                    "Appointment/{appointment} does not exist"
                )));
            }
        };
        self.check_front_desk(&a.institution, "Appointment", appointment, &a.patient)
            .await?;
        let e = Encounter::arrive_for(&a, self.ctx.clock.now(), early)
            .map_err(|e| ServiceError::Conflict(e.to_string()))?;
        let event = Event::VisitArrived {
            encounter: e.clone(),
        };
        a.progress = VisitProgress::Arrived;
        let writes = vec![
            (Record::Encounter(e.clone()), Expect::New, vec![event]),
            (Record::Appointment(a), Expect::Version(a_version), vec![]),
        ];
        match self.write(writes, "create", "arrived").await {
            Ok((version, updated_at)) => Ok(Versioned {
                value: e,
                version,
                updated_at,
            }),
            Err(StoreError::AlreadyExists { .. }) => Err(ServiceError::Conflict(format!(
                "the patient of Appointment/{appointment} has already arrived (Encounter/{})",
                e.id
            ))),
            Err(StoreError::VersionConflict { .. }) => Err(ServiceError::Conflict(format!(
                "Appointment/{appointment} changed meanwhile; reload and try again"
            ))),
            Err(err) => Err(err.into()),
        }
    }

    /// A self-referred visit is over.
    pub async fn finish_visit(
        &self,
        encounter: &str,
    ) -> Result<Versioned<Encounter>, ServiceError> {
        // The resident's year account (opened or moved by another visit's
        // claim) or the appointment may change meanwhile: done again from
        // fresh reads, as a referral's completion is.
        for _ in 0..CAPACITY_RETRIES {
            let (mut e, version) = match self.ctx.store.get("Encounter", encounter).await? {
                Some(Stored {
                    record: Record::Encounter(e),
                    version,
                    ..
                }) => (e, version),
                _ => {
                    return Err(ServiceError::NotFound(format!(
                        "Encounter/{encounter} does not exist"
                    )));
                }
            };
            self.check_front_desk(&e.institution, "Encounter", encounter, &e.patient)
                .await?;
            e.finish(self.ctx.clock.now())
                .map_err(|err| ServiceError::Conflict(err.to_string()))?;
            let event = Event::VisitFinished {
                encounter: e.clone(),
            };
            let level = match self
                .ctx
                .store
                .get("Organization", e.institution.as_str())
                .await?
            {
                Some(Stored {
                    record: Record::Institution(i),
                    ..
                }) => i.level,
                _ => Level::Secondary,
            };
            let emergency = match &e.appointment {
                Some(a) => matches!(
                    self.ctx.store.get("Appointment", a.as_str()).await?,
                    Some(Stored { record: Record::Appointment(a), .. }) if a.emergency
                ),
                None => false,
            };
            let mut writes = vec![(
                Record::Encounter(e.clone()),
                Expect::Version(version),
                vec![event],
            )];
            writes.extend(self.claim_for(&e, level, None, emergency).await?);
            writes.extend(
                self.appointment_follows(e.appointment.as_ref(), VisitProgress::Fulfilled)
                    .await?,
            );
            match self.write(writes, "update", "finished").await {
                Ok((version, updated_at)) => {
                    return Ok(Versioned {
                        value: e,
                        version,
                        updated_at,
                    });
                }
                Err(err) if lost_race_elsewhere(&err, "Encounter") => {}
                Err(StoreError::VersionConflict { .. }) => {
                    return Err(ServiceError::Conflict(format!(
                        "Encounter/{encounter} changed meanwhile; reload and try again"
                    )));
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(busy())
    }

    /// The appointment of a visit that moved on, at its new progress, to
    /// write with the change; nothing when the visit had no appointment
    /// (a bed, an unbooked emergency).
    pub(super) async fn appointment_follows(
        &self,
        appointment: Option<&AppointmentId>,
        progress: VisitProgress,
    ) -> Result<Vec<(Record, Expect, Vec<Event>)>, ServiceError> {
        let Some(id) = appointment else {
            return Ok(vec![]);
        };
        Ok(
            match self.ctx.store.get("Appointment", id.as_str()).await? {
                Some(Stored {
                    record: Record::Appointment(mut a),
                    version,
                    ..
                }) => {
                    a.progress = progress;
                    vec![(Record::Appointment(a), Expect::Version(version), vec![])]
                }
                _ => vec![],
            },
        )
    }

    /// Visits are recorded by staff of the institution (or an
    /// administrator); a refusal is audited against the patient.
    async fn check_front_desk(
        &self,
        institution: &tiercare_core::InstitutionId,
        rt: &str,
        id: &str,
        patient: &ResidentId,
    ) -> Result<(), ServiceError> {
        let allowed = match self.actor.role {
            UserRole::Admin => true,
            UserRole::Doctor | UserRole::Coordinator => {
                self.actor.institution.as_ref() == Some(institution)
            }
            _ => false,
        };
        if allowed {
            return Ok(());
        }
        let err = ServiceError::Forbidden(format!(
            "visits are recorded by staff of Organization/{institution}"
        ));
        Err(self
            .refuse(
                "update",
                rt,
                Some(id),
                Some(patient.as_str()),
                (AuditOutcome::Denied, err),
            )
            .await)
    }
}
