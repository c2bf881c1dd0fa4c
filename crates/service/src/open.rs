//! Records of the care network that carry no patient data, which anyone
//! signed in may read: the slots institutions open, the joint programmes
//! and their outreach sessions, the resource-sharing hubs, the designated
//! emergency centres. Reading them needs no care relationship and
//! writes no audit entry; everything else goes through the service that
//! guards it.

use crate::{Context, ServiceError};
use tiercare_core::Record;
use tiercare_store::{Query, Stored};

/// Whether a stored record is open to every signed-in user, by the type it
/// is stored under (a `Task` or `Schedule` may also hold other records).
fn is_open(resource_type: &str, record: &Record) -> bool {
    matches!(
        (resource_type, record),
        ("Slot", Record::Slot(_))
            | (
                "HealthcareService",
                Record::Programme(_) | Record::Hub(_) | Record::Centre(_)
            )
            | ("Schedule", Record::OutreachSession(_))
    )
}

/// Reads an open record; anything else of that id is not found.
pub async fn read(ctx: &Context, resource_type: &str, id: &str) -> Result<Stored, ServiceError> {
    match ctx.store.get(resource_type, id).await? {
        Some(s) if is_open(resource_type, &s.record) => Ok(s),
        _ => Err(ServiceError::NotFound(format!(
            "{resource_type}/{id} does not exist"
        ))),
    }
}

/// Searches open records; a query of another type is refused.
pub async fn search(ctx: &Context, query: &Query) -> Result<(Vec<Stored>, u64), ServiceError> {
    if !matches!(
        query.resource_type.as_str(),
        "Slot" | "HealthcareService" | "Schedule"
    ) {
        return Err(ServiceError::Forbidden(format!(
            "{} records are not open to every user",
            query.resource_type
        )));
    }
    // One kind of record is stored under each of these types.
    Ok(ctx.store.search(query).await?)
}
