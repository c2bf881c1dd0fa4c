//! The audit trail, read by the administrators who answer for it: who
//! touched which resident's data, when, and whether they were allowed to.

use crate::{Context, ServiceError};
use tiercare_core::access::{Actor, UserRole};
use tiercare_store::{AuditEntry, AuditQuery};

/// One page of the trail under `q`, newest first, with the total. Only
/// administrators read it: it names every resident anyone looked at.
pub async fn trail(
    ctx: &Context,
    actor: &Actor,
    q: &AuditQuery,
) -> Result<(Vec<AuditEntry>, u64), ServiceError> {
    may_read(actor)?;
    Ok(ctx.store.audit_search(q).await?)
}

/// Refuses anyone but an administrator, before their query is even read.
pub fn may_read(actor: &Actor) -> Result<(), ServiceError> {
    if actor.role == UserRole::Admin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "only administrators read the audit trail".into(),
        ))
    }
}
