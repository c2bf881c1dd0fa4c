//! The county emergency network as registry data: which institution runs
//! which designated centre, and the routing sites the triage reads.
//!
//! A centre is not patient data: anyone signed in reads it (a village
//! doctor must know where a STEMI goes). It is written by an
//! administrator or a coordinator of the centre's institution, checked on
//! its own (the core's [`EmergencyCentre::validate`]) and against the
//! network (its institution, catchment and transfer institutions exist).
//! A refusal for rights is audited, as for hubs. A centre breaking a rule
//! of its own (a capability its kind does not do, a transfer to itself)
//! is malformed input; one naming an institution the registry lacks
//! breaks a rule of the network.

use crate::registry::{Pending, Registry};
use crate::search::{all, exact, query};
use crate::{Context, ServiceError, Versioned};
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::emergency::{CentreError, EmergencyCentre, Site};
use tiercare_core::network::Institution;
use tiercare_store::{AuditOutcome, Expect, StoreError, Write};

mod triage;
pub use triage::{Contact, Destination, Triage, TriageRequest, centre_for, local_minute, triage};

/// The emergency network as seen by one caller.
pub struct Emergency<'a> {
    ctx: &'a Context,
    actor: &'a Actor,
}

/// A centre refusal by the core, as the service's error for `resource`:
/// invalid input, since the record alone breaks the rule.
fn centre_error(resource: &str, e: CentreError) -> ServiceError {
    match e {
        CentreError::Invalid { field, message } => {
            ServiceError::invalid(format!("{resource}.{field}"), message)
        }
    }
}

impl<'a> Emergency<'a> {
    pub fn new(ctx: &'a Context, actor: &'a Actor) -> Self {
        Emergency { ctx, actor }
    }

    /// Creates a centre, or replaces one at `expect`'s version.
    pub async fn put_centre(
        &self,
        centre: EmergencyCentre,
        expect: Expect,
    ) -> Result<Versioned<EmergencyCentre>, ServiceError> {
        let action = if expect == Expect::New {
            "create"
        } else {
            "update"
        };
        let allowed = self.actor.role == UserRole::Admin
            || (self.actor.role == UserRole::Coordinator
                && self.actor.institution.as_ref() == Some(&centre.institution));
        if !allowed {
            let err = ServiceError::Forbidden(
                "only administrators and the institution's coordinators write its emergency centres"
                    .into(),
            );
            return Err(Registry::new(self.ctx, self.actor)
                .refused(
                    action,
                    "HealthcareService",
                    Some(centre.id.as_str()),
                    None,
                    (AuditOutcome::Denied, err),
                )
                .await);
        }
        centre
            .validate()
            .map_err(|e| centre_error("HealthcareService", e))?;
        let record = Record::Centre(centre.clone());
        Registry::new(self.ctx, self.actor)
            .check_references(&record, &Pending::new())
            .await?;
        let before = match expect {
            Expect::New => None,
            _ => self
                .ctx
                .store
                .get("HealthcareService", centre.id.as_str())
                .await?
                .map(|s| s.record),
        };
        if before
            .as_ref()
            .is_some_and(|r| !matches!(r, Record::Centre(_)))
        {
            return Err(ServiceError::Conflict(format!(
                "HealthcareService/{} is not an emergency centre",
                centre.id
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
                    centre.id
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let (version, updated_at) = stored.first().map_or((1, tiercare_store::now_text()), |s| {
            (s.version, s.updated_at.clone())
        });
        Ok(Versioned {
            value: centre,
            version,
            updated_at,
        })
    }
}

/// Every active centre of the registry, by id.
pub async fn active_centres(ctx: &Context) -> Result<Vec<EmergencyCentre>, ServiceError> {
    let q = query("HealthcareService", vec![exact("active", "true")]);
    let mut centres: Vec<EmergencyCentre> = all(&ctx.store, q)
        .await?
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Centre(c) if c.active => Some(c),
            _ => None,
        })
        .collect();
    centres.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(centres)
}

/// The routing sites of the region as the registry holds them now: every
/// active institution with coordinates and its active centres (see
/// [`tiercare_core::emergency::sites`]), in institution id order. Open
/// registry data, so no caller is needed.
pub async fn sites(ctx: &Context) -> Result<Vec<Site>, ServiceError> {
    let (institutions, centres) = registry_of(ctx).await?;
    Ok(tiercare_core::emergency::sites(&institutions, &centres))
}

/// Every institution of the registry in id order, and its active centres:
/// what the sites are built from.
async fn registry_of(
    ctx: &Context,
) -> Result<(Vec<Institution>, Vec<EmergencyCentre>), ServiceError> {
    let mut institutions: Vec<_> = all(&ctx.store, query("Organization", vec![]))
        .await?
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Institution(i) => Some(i),
            _ => None,
        })
        .collect();
    institutions.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((institutions, active_centres(ctx).await?))
}

#[cfg(test)]
mod tests;
