//! Resource-sharing hubs as registry data: which department of which
//! alliance institution reads for which member institutions.
//!
//! A hub is not patient data: anyone signed in reads it (a primary doctor
//! must find the hubs that read for their institution). It is written by
//! an administrator or a coordinator of the hub's institution, checked on
//! its own and against the network (its institution and members exist).

use super::*;
use tiercare_core::HubId;
use tiercare_core::hub::{Hub, HubError};

/// A hub refusal by the core, as the service's error for `resource`.
pub(super) fn hub_error(resource: &str, e: HubError) -> ServiceError {
    match e {
        HubError::Invalid { field, message } => {
            ServiceError::rule(format!("{resource}.{field}"), message)
        }
        HubError::IllegalTransition { .. } => ServiceError::Conflict(e.to_string()),
        HubError::NotAllowed(_) | HubError::Role(_) => ServiceError::Forbidden(e.to_string()),
    }
}

impl Referrals<'_> {
    /// Creates a hub, or replaces one at `if_match`'s version.
    pub async fn put_hub(&self, hub: Hub, expect: Expect) -> Result<Versioned<Hub>, ServiceError> {
        let action = if expect == Expect::New {
            "create"
        } else {
            "update"
        };
        let allowed = self.actor.role == UserRole::Admin
            || (self.actor.role == UserRole::Coordinator
                && self.actor.institution.as_ref() == Some(&hub.institution));
        if !allowed {
            let err = ServiceError::Forbidden(
                "only administrators and the hub institution's coordinators write its hubs".into(),
            );
            return Err(self
                .refuse(
                    action,
                    "HealthcareService",
                    Some(hub.id.as_str()),
                    None,
                    (AuditOutcome::Denied, err),
                )
                .await);
        }
        hub.validate()
            .map_err(|e| hub_error("HealthcareService", e))?;
        let record = Record::Hub(hub.clone());
        self.registry()
            .check_references(&record, &Pending::new())
            .await?;
        let before = match expect {
            Expect::New => None,
            _ => self
                .ctx
                .store
                .get("HealthcareService", hub.id.as_str())
                .await?
                .map(|s| s.record),
        };
        if before
            .as_ref()
            .is_some_and(|r| !matches!(r, Record::Hub(_)))
        {
            return Err(ServiceError::Conflict(format!(
                "HealthcareService/{} is an outreach programme, not a hub",
                hub.id
            )));
        }
        let version_after = match expect {
            Expect::Version(v) => v + 1,
            _ => 1,
        };
        let events =
            tiercare_core::events::Event::for_change(before.as_ref(), &record, version_after);
        let write = Write {
            index: self.ctx.terms_of(&record),
            record,
            expect,
            actor: self.actor.username.clone(),
            events,
            facts: Vec::new(),
        };
        let stored = match self.ctx.store.write_all(vec![write], Vec::new()).await {
            Ok(s) => s,
            Err(StoreError::VersionConflict { .. }) => {
                return Err(ServiceError::StaleVersion(format!(
                    "HealthcareService/{} was changed meanwhile; reload and try again",
                    hub.id
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let (version, updated_at) = stored.first().map_or((1, tiercare_store::now_text()), |s| {
            (s.version, s.updated_at.clone())
        });
        Ok(Versioned {
            value: hub,
            version,
            updated_at,
        })
    }

    /// One hub, by id (open registry data).
    pub async fn hub(&self, id: &HubId) -> Result<Versioned<Hub>, ServiceError> {
        match self.ctx.store.get("HealthcareService", id.as_str()).await? {
            Some(Stored {
                record: Record::Hub(value),
                version,
                updated_at,
                ..
            }) => Ok(Versioned {
                value,
                version,
                updated_at,
            }),
            _ => Err(ServiceError::NotFound(format!(
                "HealthcareService/{id} is not a hub"
            ))),
        }
    }

    /// The active hubs reading for `institution`'s doctors.
    pub async fn hubs_serving(&self, institution: &str) -> Result<Vec<Hub>, ServiceError> {
        self.hubs_where("member", institution).await
    }

    /// The hubs of `institution` (the departments its readers read for).
    pub async fn hubs_at(&self, institution: &str) -> Result<Vec<Hub>, ServiceError> {
        self.hubs_where("organization", institution).await
    }

    async fn hubs_where(&self, param: &str, institution: &str) -> Result<Vec<Hub>, ServiceError> {
        let query = Query {
            resource_type: "HealthcareService".into(),
            filters: vec![exact(param, format!("Organization/{institution}"))],
            count: crate::search::MAX_COUNT,
            offset: 0,
        };
        let (found, _) = self.ctx.store.search(&query).await?;
        let mut hubs: Vec<Hub> = found
            .into_iter()
            .filter_map(|s| match s.record {
                Record::Hub(h) if h.active => Some(h),
                _ => None,
            })
            .collect();
        hubs.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(hubs)
    }
}
