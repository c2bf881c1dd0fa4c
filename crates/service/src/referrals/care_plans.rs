//! Downward referral care plans and their follow-ups.

use super::*;
use tiercare_core::care_plan::{CarePlan, CarePlanError, FollowUp, NewCarePlan};

impl Referrals<'_> {
    /// Draws up the care plan of a downward referral, checks its medicines
    /// against the receiver's essential-medicines list and schedules the
    /// follow-ups, all in one transaction.
    pub async fn draw_up(
        &self,
        referral: &str,
        new: NewCarePlan,
    ) -> Result<Versioned<CarePlan>, ServiceError> {
        let r = self.load(referral).await.map_err(|_| {
            ServiceError::rule(
                "CarePlan.basedOn",
                format!("ServiceRequest/{referral} is not a referral"),
            )
        })?;
        let list = self.essential_medicines(&r.value.to).await?;
        let patient = r.value.patient.to_string();
        let (plan, follow_ups, event) = match CarePlan::draw_up(
            new,
            &r.value,
            list.as_ref(),
            self.actor,
            self.ctx.clock.now(),
        ) {
            Ok(done) => done,
            Err(e) => return Err(self.plan_refused("create", None, &patient, e).await),
        };
        let mut writes = vec![(
            Record::CarePlan(plan.clone()),
            Expect::New,
            vec![Event::CarePlan(event)],
        )];
        writes.extend(
            follow_ups
                .into_iter()
                .map(|f| (Record::FollowUp(f), Expect::New, vec![])),
        );
        match self.write(writes, "create", "care plan drawn up").await {
            Ok((version, updated_at)) => Ok(Versioned {
                value: plan,
                version,
                updated_at,
            }),
            Err(StoreError::AlreadyExists { .. }) => Err(ServiceError::Conflict(format!(
                "ServiceRequest/{referral} already has a care plan (CarePlan/{})",
                plan.id
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The essential-medicines list of an institution (one per
    /// institution; none: it stocks nothing on a list). Not patient data:
    /// anyone may see what a centre's pharmacy dispenses, so a care plan's
    /// medicines can be chosen against it before it is drawn up.
    pub async fn essential_medicines(
        &self,
        institution: &tiercare_core::InstitutionId,
    ) -> Result<Option<tiercare_core::medicines::EssentialMedicines>, ServiceError> {
        let lists = self
            .ctx
            .store
            .ids_where(
                "List",
                "institution",
                &format!("Organization/{institution}"),
            )
            .await?;
        Ok(match lists.first() {
            Some(id) => match self.ctx.store.get("List", id).await? {
                Some(Stored {
                    record: Record::MedicinesList(l),
                    ..
                }) => Some(l),
                _ => None,
            },
            None => None,
        })
    }

    async fn load_plan(&self, id: &str) -> Result<Versioned<CarePlan>, ServiceError> {
        crate::load_as(&self.ctx.store, "CarePlan", id, |r| match r {
            Record::CarePlan(v) => Some(v),
            _ => None,
        })
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("CarePlan/{id} does not exist")))
    }

    async fn load_follow_up(&self, id: &str) -> Result<Versioned<FollowUp>, ServiceError> {
        crate::load_as(&self.ctx.store, "Task", id, |r| match r {
            Record::FollowUp(v) => Some(v),
            _ => None,
        })
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("Task/{id} does not exist")))
    }

    /// Records the patient's decision on the plan. A refusal revokes the
    /// plan, cancels its follow-ups and ends the downward referral, in the
    /// same transaction.
    pub async fn decide(
        &self,
        id: &str,
        accepted: bool,
        reason: String,
        if_match: Option<u32>,
    ) -> Result<Versioned<CarePlan>, ServiceError> {
        let mut plan = self.load_plan(id).await?;
        if let Some(v) = if_match
            && v != plan.version
        {
            return Err(ServiceError::StaleVersion(format!(
                "CarePlan/{id} is at version {}, not {v}; reload and try again",
                plan.version
            )));
        }
        let patient = plan.value.patient.to_string();
        let event =
            match plan
                .value
                .decide(accepted, reason.clone(), self.actor, self.ctx.clock.now())
            {
                Ok(e) => e,
                Err(e) => return Err(self.plan_refused("update", Some(id), &patient, e).await),
            };
        let mut writes = vec![(
            Record::CarePlan(plan.value.clone()),
            Expect::Version(plan.version),
            vec![Event::CarePlan(event)],
        )];
        if !accepted {
            for f in &plan.value.follow_ups {
                let mut f = self.load_follow_up(f.as_str()).await?;
                if f.value.cancel() {
                    writes.push((
                        Record::FollowUp(f.value),
                        Expect::Version(f.version),
                        vec![],
                    ));
                }
            }
            let mut r = self.load(plan.value.referral.as_str()).await?;
            let before = r.value.state.clone();
            let refused = r
                .value
                .refused_by_patient(reason, &self.actor.username, self.ctx.clock.now())
                .map_err(|e| ServiceError::Conflict(format!("the downward referral: {e}")))?;
            let freed = self.free_capacity(&before, &refused.change).await?;
            writes.push((
                Record::Referral(r.value),
                Expect::Version(r.version),
                vec![Event::Referral(refused)],
            ));
            writes.extend(freed);
        }
        self.finish_plan_write(id, plan, writes, "patient decision")
            .await
    }

    /// A doctor of the owning institution records a follow-up as done; the
    /// plan completes with its last follow-up.
    pub async fn complete_follow_up(
        &self,
        id: &str,
        note: String,
        if_match: Option<u32>,
    ) -> Result<Versioned<FollowUp>, ServiceError> {
        let mut f = self.load_follow_up(id).await?;
        if let Some(v) = if_match
            && v != f.version
        {
            return Err(ServiceError::StaleVersion(format!(
                "Task/{id} is at version {}, not {v}; reload and try again",
                f.version
            )));
        }
        let patient = f.value.patient.to_string();
        let now = self.ctx.clock.now();
        let event = match f.value.complete(note, self.actor, now) {
            Ok(e) => e,
            Err(e) => return Err(self.plan_refused("update", Some(id), &patient, e).await),
        };
        let mut writes = vec![(
            Record::FollowUp(f.value.clone()),
            Expect::Version(f.version),
            vec![Event::CarePlan(event)],
        )];
        let mut plan = self.load_plan(f.value.care_plan.as_str()).await?;
        let mut all = Vec::new();
        for other in &plan.value.follow_ups {
            if *other == f.value.id {
                all.push(f.value.clone());
            } else {
                all.push(self.load_follow_up(other.as_str()).await?.value);
            }
        }
        if let Some(done) = plan.value.settle(&all, self.actor, now) {
            writes.push((
                Record::CarePlan(plan.value.clone()),
                Expect::Version(plan.version),
                vec![Event::CarePlan(done)],
            ));
            plan.version += 1;
        }
        match self.write(writes, "update", "follow-up done").await {
            Ok((version, updated_at)) => Ok(Versioned {
                value: f.value,
                version,
                updated_at,
            }),
            Err(StoreError::VersionConflict { .. }) => Err(ServiceError::Conflict(format!(
                "Task/{id} or its care plan changed meanwhile; reload and try again"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    async fn finish_plan_write(
        &self,
        id: &str,
        mut plan: Versioned<CarePlan>,
        writes: Vec<(Record, Expect, Vec<Event>)>,
        detail: &str,
    ) -> Result<Versioned<CarePlan>, ServiceError> {
        match self.write(writes, "update", detail).await {
            Ok((version, updated_at)) => {
                plan.version = version;
                plan.updated_at = updated_at;
                Ok(plan)
            }
            Err(StoreError::VersionConflict { .. }) => Err(ServiceError::Conflict(format!(
                "CarePlan/{id} or its referral changed meanwhile; reload and try again"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    async fn plan_refused(
        &self,
        action: &str,
        id: Option<&str>,
        patient: &str,
        e: CarePlanError,
    ) -> ServiceError {
        let (outcome, err) = match &e {
            CarePlanError::NotAllowed(_) => {
                (AuditOutcome::Denied, ServiceError::Forbidden(e.to_string()))
            }
            CarePlanError::IllegalTransition { .. } => {
                (AuditOutcome::Failed, ServiceError::Conflict(e.to_string()))
            }
            CarePlanError::Invalid { field, .. } => (
                AuditOutcome::Failed,
                ServiceError::rule(format!("CarePlan.{field}"), e.to_string()),
            ),
        };
        self.refuse(action, "CarePlan", id, Some(patient), (outcome, err))
            .await
    }
}
