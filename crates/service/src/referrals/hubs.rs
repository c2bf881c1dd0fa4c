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
        let (version, updated_at) = self
            .registry()
            .put_offered(
                Record::Hub(hub.clone()),
                &hub.institution,
                expect,
                "hub",
                |r| matches!(r, Record::Hub(_)),
                || {
                    hub.validate()
                        .map_err(|e| hub_error("HealthcareService", e))
                },
            )
            .await?;
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
