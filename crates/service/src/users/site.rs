//! Multi-site practice: where a practitioner works today.
//!
//! A specialist licensed for multi-site practice holds a role at each
//! institution they work at, each naming its days of the week. What they do
//! on a township day (the referrals they send, the patients they may see,
//! the worklists they are shown) belongs to the township, so a sign-in
//! works at the day's site: the token or session issued carries it and
//! every request under it acts there. The site is found once, at sign-in,
//! not on every request: a working day is one shift, and a token lives a
//! shift (eight hours by default); signing in again on another day finds
//! that day's site.

use crate::{Context, days, search};
use tiercare_core::InstitutionId;
use tiercare_core::access::Actor;
use tiercare_core::network::site_on;
use tiercare_store::StoreError;

/// The institution `actor` works at today (the region's date) when it is
/// not their account's own: `None` for everyone whose day belongs to their
/// home institution, and for accounts that are not a practitioner's.
pub async fn away_today(ctx: &Context, actor: &Actor) -> Result<Option<InstitutionId>, StoreError> {
    let (Some(practitioner), Some(home)) = (&actor.practitioner, &actor.institution) else {
        return Ok(None);
    };
    let roles = search::active_roles(&ctx.store, practitioner.as_str()).await?;
    let today = days::local_date(ctx.clock.now());
    let site = site_on(&roles, home, today);
    Ok((site != home).then(|| site.clone()))
}
