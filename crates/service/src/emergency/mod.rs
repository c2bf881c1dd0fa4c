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

use crate::registry::Registry;
use crate::search::{all, exact, query};
use crate::{Context, ServiceError, Versioned};
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_core::emergency::{CentreError, EmergencyCentre, Site};
use tiercare_core::network::Institution;
use tiercare_store::Expect;

mod case_changes;
mod cases;
pub mod measures;
mod triage;
pub use cases::{CASE_ID_PREFIX, CaseFilter, NewCase, new_case_id};
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
        let (version, updated_at) = Registry::new(self.ctx, self.actor)
            .put_offered(
                Record::Centre(centre.clone()),
                &centre.institution,
                expect,
                "emergency centre",
                |r| matches!(r, Record::Centre(_)),
                || {
                    centre
                        .validate()
                        .map_err(|e| centre_error("HealthcareService", e))
                },
            )
            .await?;
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
