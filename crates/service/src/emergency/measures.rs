//! The centres' accreditation measures over a period, counted from the
//! stored cases by [`tiercare_core::emergency::accreditation`]: each case
//! once, credited to its first destination, stratified by where the
//! patient first met the system.
//!
//! The figures are aggregates that name no patient, so reading them is not
//! patient access and is not audited. Who may see them follows the other
//! measures: administrators and analysts every subject, a hospital's or a
//! township's staff their own institution. Insurance fund officers see the
//! insurance indicators, not these.

use crate::search::{all, query};
use crate::{Context, ServiceError};
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::emergency::EmergencyCase;
use tiercare_core::emergency::accreditation::{Accreditation, accreditation, in_period};
use tiercare_core::{InstitutionId, Record};
use time::Date;

/// Who may see the measures of `institution` (the region when `None`).
pub fn may_see(actor: &Actor, institution: Option<&InstitutionId>) -> Result<(), ServiceError> {
    let allowed = match actor.role {
        UserRole::Admin | UserRole::Analyst => true,
        UserRole::Coordinator | UserRole::Doctor => {
            institution.is_some() && actor.institution.as_ref() == institution
        }
        UserRole::Insurer | UserRole::Resident => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "the emergency centres' measures are seen by administrators and analysts; a \
             centre's staff see their own institution's"
                .into(),
        ))
    }
}

/// The measures of every case whose first contact fell from `first` to
/// `last` (China's dates), region-wide and by credited centre. Callers
/// check [`may_see`] for the subject they show.
pub async fn accreditation_between(
    ctx: &Context,
    first: Date,
    last: Date,
) -> Result<Accreditation, ServiceError> {
    accreditation_of(ctx, first, last, |_| true).await
}

/// As [`accreditation_between`], over the cases credited to the
/// institutions `credited` keeps (an alliance's, a level's): its `region`
/// is then those institutions' figures together.
pub async fn accreditation_of(
    ctx: &Context,
    first: Date,
    last: Date,
    credited: impl Fn(&InstitutionId) -> bool,
) -> Result<Accreditation, ServiceError> {
    let stored = all(&ctx.store, query(super::cases::RT, vec![])).await?;
    let cases: Vec<EmergencyCase> = stored
        .into_iter()
        .filter_map(|s| match s.record {
            Record::EmergencyCase(c) => Some(*c),
            _ => None,
        })
        .filter(|c| in_period(c, first, last) && credited(c.destination()))
        .collect();
    Ok(accreditation(&cases, &ctx.policy.emergency.windows))
}
