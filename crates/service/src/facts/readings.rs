//! Whether an upward referral follows a remote reading of the same
//! patient (`tiercare_core::indicators::readings`, `FollowedByReferral`):
//! the reading's report is the last before the referral, within
//! `FOLLOW_UP_DAYS`, and no other upward referral of the patient came
//! between them, so each reading is counted once, by the first.

use super::{Lookup, direction, positioned};
use crate::days::day_of;
use crate::search::{all, exact, query};
use tiercare_core::hub::{ReadingOrder, ReadingState};
use tiercare_core::indicators::readings::FOLLOW_UP_DAYS;
use tiercare_core::indicators::{Direction, Fact, ReadingFact, ReadingStep};
use tiercare_core::referral::{Priority, Referral};
use tiercare_core::{Level, Record};
use tiercare_store::StoreError;
use time::{Duration, OffsetDateTime};

/// The fact of the reading `r` (an upward referral being requested)
/// follows, if any.
pub(super) async fn followed(
    look: &mut Lookup<'_>,
    r: &Referral,
) -> Result<Option<Fact>, StoreError> {
    if direction(r) != Direction::Up {
        return Ok(None);
    }
    let patient = format!("Patient/{}", r.patient);
    let at = r.requested_at;
    let since = at - Duration::days(FOLLOW_UP_DAYS);
    let readings = all(
        &look.ctx.store,
        query(
            "ServiceRequest",
            vec![
                exact("patient", patient.clone()),
                exact("category", "reading"),
            ],
        ),
    )
    .await?;
    let latest: Option<(ReadingOrder, OffsetDateTime)> = readings
        .into_iter()
        .filter_map(|s| match s.record {
            Record::ReadingOrder(o) => match o.state {
                ReadingState::Reported { at: reported, .. } => Some((o, reported)),
                _ => None,
            },
            _ => None,
        })
        .filter(|(_, reported)| (since..=at).contains(reported))
        .max_by_key(|(o, reported)| (*reported, o.id.to_string()));
    let Some((order, reported)) = latest else {
        return Ok(None);
    };
    let earlier = all(
        &look.ctx.store,
        query(
            "ServiceRequest",
            vec![exact("patient", patient), exact("category", "referral")],
        ),
    )
    .await?;
    let counted = earlier.iter().any(|s| match &s.record {
        Record::Referral(other) => {
            other.id != r.id
                && direction(other) == Direction::Up
                && other.requested_at >= reported
                && other.requested_at <= at
        }
        _ => false,
    });
    if counted {
        return Ok(None);
    }
    let avoidable =
        r.priority != Priority::Emergency && positioned(&r.condition) == Some(Level::Primary);
    Ok(Some(Fact::Reading(ReadingFact {
        day: day_of(order.ordered_at.date()),
        hub: look.ix(order.hub_institution.as_str()).await?,
        member: look.ix(order.from.as_str()).await?,
        priority: order.priority,
        step: ReadingStep::FollowedByReferral { avoidable },
    })))
}
