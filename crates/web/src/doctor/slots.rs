//! The slots a family doctor may pick for a referral: free now, in the
//! future, at the receiving institution in the referral's specialty, and
//! open to a referral from primary care at its priority (reserved slots
//! included). Slots carry no patient data: they are open records.

use tiercare_core::booking::{Claimant, Slot, SlotStatus};
use tiercare_core::referral::Priority;
use tiercare_core::{Level, Record, ReferralId, Specialty};
use tiercare_service::search::{MAX_COUNT, exact};
use tiercare_service::{Context, ServiceError};
use tiercare_store::Query;

/// How many slots the form offers at most.
const OFFERED: usize = 12;

/// A slot as the form offers it.
#[derive(Debug, Clone)]
pub struct SlotChoice {
    pub id: String,
    /// When it starts, in words.
    pub when: String,
    pub reserved: bool,
}

/// The slots the doctor may hold for the referral `id`, soonest first.
pub async fn free_slots(
    ctx: &Context,
    lang: crate::Lang,
    to: &str,
    specialty: Specialty,
    priority: Priority,
    id: &ReferralId,
) -> Result<Vec<SlotChoice>, ServiceError> {
    let query = Query {
        resource_type: "Slot".into(),
        filters: vec![
            exact("organization", format!("Organization/{to}")),
            exact("service-type", specialty.code()),
        ],
        count: MAX_COUNT,
        offset: 0,
    };
    let (found, _) = tiercare_service::open::search(ctx, &query).await?;
    let now = ctx.clock.now();
    let claimant = Claimant::Referral {
        referral: id,
        from_level: Level::Primary,
        priority,
    };
    let mut slots: Vec<Slot> = found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Slot(slot) => Some(slot),
            _ => None,
        })
        .filter(|s| {
            s.status_at(now) == SlotStatus::Free && s.open_to(claimant, &ctx.policy, now).is_ok()
        })
        .collect();
    slots.sort_by_key(|s| s.start);
    Ok(slots
        .into_iter()
        .take(OFFERED)
        .map(|s| SlotChoice {
            id: s.id.to_string(),
            when: lang.moment(s.start),
            reserved: s.reserved,
        })
        .collect())
}
