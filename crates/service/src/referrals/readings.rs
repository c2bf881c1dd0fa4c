//! Remote readings at a resource-sharing hub: ordering, the hub's queue,
//! taking, reporting, and the critical alert's acknowledgement (with the
//! emergency referral it may become in the same step).
//!
//! Only the ordering institution's staff and the hub institution's staff
//! see an order (and administrators); every read, search, write and
//! refusal is audited against the patient. Taking an order is a write at
//! the version read: of two readers taking the same order, the store lets
//! one through and the other gets a conflict. The report is an ordinary
//! `DiagnosticReport`, written with the order, so it is a result a later
//! referral attaches and the receiving side recognises.

use super::hubs::hub_error;
use super::*;
use tiercare_core::catalogue::IcdCode;
use tiercare_core::clinical::{AttachedResult, DiagnosticReport, ResultKind};
use tiercare_core::hub::{
    HubError, NewReading, NewReadingOrder, ReadingCharge, ReadingEvent, ReadingOrder, sort_queue,
};
use tiercare_core::referral::Attachments;
use tiercare_core::{HubId, InstitutionId, ReadingOrderId, Specialty};

/// What the ordering doctor adds to turn a critical alert into an
/// emergency referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyReferral {
    pub to: InstitutionId,
    pub specialty: Specialty,
    pub condition: IcdCode,
    pub summary: String,
}

/// The order as written, or why not: a version conflict on the order
/// itself means another reader or the ordering side changed it meanwhile.
fn reading_written(
    mut o: Versioned<ReadingOrder>,
    done: Result<(u32, String), StoreError>,
) -> Result<Versioned<ReadingOrder>, ServiceError> {
    match done {
        Ok((version, updated_at)) => {
            o.version = version;
            o.updated_at = updated_at;
            Ok(o)
        }
        Err(StoreError::VersionConflict { .. }) => Err(ServiceError::Conflict(format!(
            "ServiceRequest/{} was changed by someone else meanwhile (another reader may have taken it); reload and try again",
            o.value.id
        ))),
        Err(e) => Err(e.into()),
    }
}

/// A fresh reading order id.
pub fn new_reading_id() -> Result<ReadingOrderId, ServiceError> {
    ReadingOrderId::new(format!("{}{}", ReadingOrder::ID_PREFIX, crate::new_id()))
        .map_err(|e| ServiceError::Unavailable(e.to_string()))
}

impl Referrals<'_> {
    /// Orders a reading from `hub` for a patient in the caller's care.
    pub async fn order_reading(
        &self,
        new: NewReadingOrder,
        hub: &HubId,
    ) -> Result<Versioned<ReadingOrder>, ServiceError> {
        let patient = new.patient.to_string();
        let hub = match self.hub(hub).await {
            Ok(h) => h.value,
            Err(_) => {
                let err = ServiceError::rule(
                    "ServiceRequest.performer",
                    format!("HealthcareService/{hub} is not a hub"),
                );
                return Err(self
                    .refuse(
                        "create",
                        "ServiceRequest",
                        None,
                        Some(&patient),
                        (AuditOutcome::Failed, err),
                    )
                    .await);
            }
        };
        let (order, event) = match ReadingOrder::order(
            new,
            &hub,
            self.actor,
            self.ctx.clock.now(),
            &self.ctx.policy,
        ) {
            Ok(done) => done,
            Err(e) => return Err(self.reading_refused("create", None, &patient, e).await),
        };
        let (version, updated_at) = self
            .create_in_care(
                Record::ReadingOrder(order.clone()),
                Event::Reading(event),
                "you may order a reading only for a patient in your care",
                "reading ordered",
            )
            .await?;
        Ok(Versioned {
            value: order,
            version,
            updated_at,
        })
    }

    /// Reads a reading order (audited; its two sides and administrators).
    pub async fn reading(&self, id: &str) -> Result<Versioned<ReadingOrder>, ServiceError> {
        let stored = self.read_record("ServiceRequest", id).await?;
        match stored.record {
            Record::ReadingOrder(value) => Ok(Versioned {
                value,
                version: stored.version,
                updated_at: stored.updated_at,
            }),
            _ => Err(ServiceError::NotFound(format!(
                "ServiceRequest/{id} is not a reading order"
            ))),
        }
    }

    async fn load_reading(&self, id: &str) -> Result<Versioned<ReadingOrder>, ServiceError> {
        crate::load_as(&self.ctx.store, "ServiceRequest", id, |r| match r {
            Record::ReadingOrder(v) => Some(v),
            _ => None,
        })
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("ServiceRequest/{id} does not exist")))
    }

    /// A reader of the hub takes the order; a second reader finds it taken
    /// (a conflict), whichever of them read it first.
    pub async fn take_reading(
        &self,
        id: &str,
        if_match: Option<u32>,
    ) -> Result<Versioned<ReadingOrder>, ServiceError> {
        self.change_reading(id, if_match, |o, actor, now| o.take(actor, now))
            .await
    }

    /// The reader gives the order back to the queue.
    pub async fn release_reading(
        &self,
        id: &str,
        if_match: Option<u32>,
    ) -> Result<Versioned<ReadingOrder>, ServiceError> {
        self.change_reading(id, if_match, |o, actor, now| o.release(actor, now))
            .await
    }

    /// The ordering side withdraws the order.
    pub async fn cancel_reading(
        &self,
        id: &str,
        if_match: Option<u32>,
    ) -> Result<Versioned<ReadingOrder>, ServiceError> {
        self.change_reading(id, if_match, |o, actor, now| o.cancel(actor, now))
            .await
    }

    /// The ordering side acknowledges the critical alert.
    pub async fn acknowledge_reading(
        &self,
        id: &str,
        if_match: Option<u32>,
    ) -> Result<Versioned<ReadingOrder>, ServiceError> {
        self.change_reading(id, if_match, |o, actor, now| {
            o.acknowledge(None, actor, now)
        })
        .await
    }

    async fn change_reading(
        &self,
        id: &str,
        if_match: Option<u32>,
        change: impl Fn(&mut ReadingOrder, &Actor, OffsetDateTime) -> Result<ReadingEvent, HubError>,
    ) -> Result<Versioned<ReadingOrder>, ServiceError> {
        let mut o = self.load_reading(id).await?;
        check_version(id, o.version, if_match)?;
        let patient = o.value.patient.to_string();
        let event = match change(&mut o.value, self.actor, self.ctx.clock.now()) {
            Ok(e) => e,
            Err(e) => return Err(self.reading_refused("update", Some(id), &patient, e).await),
        };
        let kind = event.kind();
        let writes = vec![(
            Record::ReadingOrder(o.value.clone()),
            Expect::Version(o.version),
            vec![Event::Reading(event)],
        )];
        self.write_reading(o, writes, kind).await
    }

    async fn write_reading(
        &self,
        o: Versioned<ReadingOrder>,
        writes: Vec<(Record, Expect, Vec<Event>)>,
        kind: &str,
    ) -> Result<Versioned<ReadingOrder>, ServiceError> {
        reading_written(o, self.write(writes, "update", kind).await)
    }

    /// The reader reports: the order, its `DiagnosticReport` and the
    /// reading's claim (when the patient is insured) are written together;
    /// a critical finding raises the alert on the order. Another claim of
    /// the patient's moving their year account meanwhile is met by doing
    /// the report again from fresh reads, as a visit's end is.
    pub async fn report_reading(
        &self,
        id: &str,
        new: NewReading,
        if_match: Option<u32>,
    ) -> Result<(Versioned<ReadingOrder>, DiagnosticReport), ServiceError> {
        let mut expected = if_match;
        for _ in 0..CAPACITY_RETRIES {
            let mut o = self.load_reading(id).await?;
            check_version(id, o.version, expected)?;
            expected = Some(o.version);
            let patient = o.value.patient.to_string();
            let now = self.ctx.clock.now();
            let (report, event) = match o.value.report(new.clone(), self.actor, now) {
                Ok(done) => done,
                Err(e) => return Err(self.reading_refused("update", Some(id), &patient, e).await),
            };
            // The fee and its split as the policy has them today.
            let charge = ReadingCharge::of(o.value.kind.fee(&self.ctx.policy));
            o.value.charge = Some(charge);
            let recorded = Event::ResultRecorded {
                patient: report.patient.clone(),
                kind: ResultKind::DiagnosticReport,
                id: report.id.to_string(),
                test: report.test.to_string(),
            };
            let kind = event.kind();
            let mut writes = vec![
                (
                    Record::ReadingOrder(o.value.clone()),
                    Expect::Version(o.version),
                    vec![Event::Reading(event)],
                ),
                (
                    Record::DiagnosticReport(report.clone()),
                    Expect::New,
                    vec![recorded],
                ),
            ];
            writes.extend(self.claim_reading(&o.value, charge.fee, now).await?);
            match self.write(writes, "update", kind).await {
                Err(err) if lost_race_elsewhere(&err, "ServiceRequest") => {}
                done => return Ok((reading_written(o, done)?, report)),
            }
        }
        Err(busy())
    }

    /// Acknowledges the critical alert and refers the patient as an
    /// emergency in one write: the referral carries the report, the
    /// acknowledgement names the referral.
    pub async fn refer_from_alert(
        &self,
        id: &str,
        referral: EmergencyReferral,
        if_match: Option<u32>,
    ) -> Result<(Versioned<ReadingOrder>, Versioned<Referral>), ServiceError> {
        let mut o = self.load_reading(id).await?;
        check_version(id, o.version, if_match)?;
        let patient = o.value.patient.to_string();
        let report_id = match &o.value.state {
            tiercare_core::hub::ReadingState::Reported { report, .. } => report.clone(),
            _ => {
                let e = HubError::Invalid {
                    field: "alert",
                    message: "the reading raised no critical alert to turn into a referral".into(),
                };
                return Err(self.reading_refused("update", Some(id), &patient, e).await);
            }
        };
        let report = match self
            .ctx
            .store
            .get("DiagnosticReport", report_id.as_str())
            .await?
        {
            Some(Stored {
                record: Record::DiagnosticReport(r),
                ..
            }) => r,
            _ => {
                return Err(ServiceError::Unavailable(format!(
                    "DiagnosticReport/{report_id} of the reading is missing"
                )));
            }
        };
        let from = crate::registry::institution(
            self.ctx,
            o.value.from.as_str(),
            "ServiceRequest.requester",
        )
        .await?;
        let to = crate::registry::institution(self.ctx, referral.to.as_str(), "performer").await?;
        let new = NewReferral {
            id: new_referral_id()?,
            patient: o.value.patient.clone(),
            from: from.id.clone(),
            from_level: from.level,
            to: to.id.clone(),
            to_level: to.level,
            specialty: referral.specialty,
            setting: Setting::Outpatient,
            priority: Priority::Emergency,
            condition: referral.condition,
            summary: referral.summary,
            attachments: Attachments {
                results: vec![AttachedResult::of_report(&report, &self.ctx.policy)],
                ..Attachments::default()
            },
        };
        let now = self.ctx.clock.now();
        let (made, referral_event) = match Referral::request(new, self.actor, now) {
            Ok(done) => done,
            Err(e) => return Err(self.refused("create", None, &patient, e).await),
        };
        let event = match o.value.acknowledge(Some(made.id.clone()), self.actor, now) {
            Ok(e) => e,
            Err(e) => return Err(self.reading_refused("update", Some(id), &patient, e).await),
        };
        let kind = event.kind();
        let writes = vec![
            (
                Record::ReadingOrder(o.value.clone()),
                Expect::Version(o.version),
                vec![Event::Reading(event)],
            ),
            (
                Record::Referral(made.clone()),
                Expect::New,
                vec![Event::Referral(referral_event)],
            ),
        ];
        let o = self.write_reading(o, writes, kind).await?;
        let updated_at = o.updated_at.clone();
        Ok((
            o,
            Versioned {
                value: made,
                version: 1,
                updated_at,
            },
        ))
    }

    /// A hub's queue: orders waiting or being read, stat first, then by
    /// deadline. Its institution's staff and administrators only; every
    /// order shown is audited.
    pub async fn reading_queue(
        &self,
        hub: &HubId,
    ) -> Result<Vec<Versioned<ReadingOrder>>, ServiceError> {
        let h = self.hub(hub).await?.value;
        let staff = matches!(self.actor.role, UserRole::Doctor | UserRole::Coordinator)
            && self.actor.institution.as_ref() == Some(&h.institution);
        if !(staff || self.actor.role == UserRole::Admin) {
            let err = ServiceError::Forbidden(format!(
                "only staff of Organization/{} see this hub's queue",
                h.institution
            ));
            return Err(self
                .refuse(
                    "search",
                    "ServiceRequest",
                    None,
                    None,
                    (AuditOutcome::Denied, err),
                )
                .await);
        }
        let filters = vec![
            exact("performer", format!("HealthcareService/{hub}")),
            any_of("state", vec!["ordered".into(), "taken".into()]),
        ];
        let mut orders = self.readings_where(filters).await?;
        let mut plain: Vec<ReadingOrder> = orders.iter().map(|o| o.value.clone()).collect();
        sort_queue(&mut plain);
        let rank = |id: &ReadingOrderId| plain.iter().position(|p| p.id == *id);
        orders.sort_by_key(|o| rank(&o.value.id));
        Ok(orders)
    }

    /// The readings the caller's institution ordered, newest first, those
    /// with an open critical alert before all others.
    pub async fn readings_ordered(&self) -> Result<Vec<Versioned<ReadingOrder>>, ServiceError> {
        let Some(institution) = self
            .actor
            .institution
            .clone()
            .filter(|_| matches!(self.actor.role, UserRole::Doctor | UserRole::Coordinator))
        else {
            return Err(ServiceError::Forbidden(
                "only staff of an institution order readings".into(),
            ));
        };
        let filters = vec![exact("referrer", format!("Organization/{institution}"))];
        let mut orders = self.readings_where(filters).await?;
        orders.sort_by(|a, b| {
            (!a.value.alert_open(), std::cmp::Reverse(a.value.ordered_at))
                .cmp(&(!b.value.alert_open(), std::cmp::Reverse(b.value.ordered_at)))
        });
        Ok(orders)
    }

    async fn readings_where(
        &self,
        filters: Vec<Filter>,
    ) -> Result<Vec<Versioned<ReadingOrder>>, ServiceError> {
        let query = Query {
            resource_type: "ServiceRequest".into(),
            filters,
            count: crate::search::MAX_COUNT,
            offset: 0,
        };
        let (found, _) = self.ctx.store.search(&query).await?;
        let orders: Vec<Versioned<ReadingOrder>> = found
            .into_iter()
            .filter_map(|s| match s.record {
                Record::ReadingOrder(value) => Some(Versioned {
                    value,
                    version: s.version,
                    updated_at: s.updated_at,
                }),
                _ => None,
            })
            .collect();
        let registry = self.registry();
        let audit = orders
            .iter()
            .map(|o| {
                registry.audit_entry(
                    "search",
                    "ServiceRequest",
                    Some(o.value.id.as_str()),
                    Some(o.value.patient.as_str()),
                    AuditOutcome::Success,
                    String::new(),
                )
            })
            .collect();
        registry.audit(audit).await?;
        Ok(orders)
    }

    async fn reading_refused(
        &self,
        action: &str,
        id: Option<&str>,
        patient: &str,
        e: HubError,
    ) -> ServiceError {
        // A caller on neither side is told what a caller naming an id that
        // does not exist is told.
        if let (Some(id), HubError::NotAllowed(_) | HubError::Role(_)) = (id, &e)
            && let Ok(Some(Stored {
                record: Record::ReadingOrder(o),
                ..
            })) = self.ctx.store.get("ServiceRequest", id).await
            && self.actor.role != UserRole::Admin
            && o.sides(self.actor).is_empty()
        {
            let refusal = (AuditOutcome::Denied, hidden(id));
            return self
                .refuse(action, "ServiceRequest", Some(id), Some(patient), refusal)
                .await;
        }
        let outcome = match e {
            HubError::NotAllowed(_) | HubError::Role(_) => AuditOutcome::Denied,
            _ => AuditOutcome::Failed,
        };
        let err = hub_error("ServiceRequest", e);
        self.refuse(action, "ServiceRequest", id, Some(patient), (outcome, err))
            .await
    }
}
