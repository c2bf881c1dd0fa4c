//! An alliance's global budget against its residents' claims.
//!
//! The budget is the policy's per-capita amount times the residents
//! contracted to the alliance's family doctors; spending is what the fund
//! paid on those residents' claims this year, inside the alliance and
//! outside it (residents who went elsewhere). Computed from the stored
//! claims, the same ones the explanations of benefit show. An aggregate:
//! administrators, analysts and the alliance's own staff see it, and it
//! names no patient.

use crate::search::{all, exact, query};
use crate::{Context, ServiceError};
use std::collections::HashSet;
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::insurance::BudgetLedger;
use tiercare_store::{Filter, Match, Query, Stored};
use time::Date;

/// An alliance's budget for a year, as it stands on a day.
pub struct AllianceBudget {
    pub alliance: String,
    /// The day the figures stand at: today in the current year, the last
    /// day of a past year.
    pub on: Date,
    /// The year's budget and spending.
    pub ledger: BudgetLedger,
}

/// The budget of `alliance` for `year` (this year when `None`), for a
/// caller who may see it.
pub async fn alliance_budget(
    ctx: &Context,
    actor: &Actor,
    alliance: &str,
    year: Option<i32>,
) -> Result<AllianceBudget, ServiceError> {
    let today = ctx.clock.today();
    let year = year.unwrap_or(today.year());
    match ctx.store.get("Organization", alliance).await? {
        Some(Stored {
            record: Record::Alliance(_),
            ..
        }) => {}
        Some(_) => {
            return Err(ServiceError::rule(
                "Organization",
                format!("Organization/{alliance} is an institution; a budget is an alliance's"),
            ));
        }
        None => {
            return Err(ServiceError::NotFound(format!(
                "Organization/{alliance} does not exist"
            )));
        }
    }
    let members = members(ctx, alliance).await?;
    may_see_budget(actor, &members)?;
    let rules = ctx.policy.insurance.as_ref();
    let per_capita = rules
        .and_then(|r| r.global_budget_per_capita_fen.get(alliance))
        .copied()
        .ok_or_else(|| {
            ServiceError::rule(
                "Organization",
                format!("the region's policy pays Organization/{alliance} no global budget"),
            )
        })?;
    let on = if year == today.year() {
        today
    } else {
        Date::from_calendar_date(year, time::Month::December, 31)
            .map_err(|e| ServiceError::invalid("year", e.to_string()))?
    };
    let residents = contracted(ctx, &members, on).await?;
    let mut ledger = BudgetLedger::new(
        year,
        per_capita,
        u32::try_from(residents.len()).unwrap_or(u32::MAX),
    );
    for s in all(&ctx.store, claims_of(year)).await? {
        if let Record::Claim(c) = &s.record
            && residents.contains(c.patient.as_str())
        {
            ledger.record(
                c.adjudication.split.covered,
                members.contains(c.institution.as_str()),
            );
        }
    }
    Ok(AllianceBudget {
        alliance: alliance.to_string(),
        on,
        ledger,
    })
}

/// Administrators and analysts see every alliance's budget; coordinators
/// and doctors their own alliance's. Insurance fund officers see every
/// alliance's: the fund pays the global budget the ledger is kept against.
fn may_see_budget(actor: &Actor, members: &HashSet<String>) -> Result<(), ServiceError> {
    let allowed = match actor.role {
        UserRole::Admin | UserRole::Analyst | UserRole::Insurer => true,
        UserRole::Coordinator | UserRole::Doctor => actor
            .institution
            .as_ref()
            .is_some_and(|i| members.contains(i.as_str())),
        UserRole::Resident => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "an alliance's budget is seen by administrators, analysts, insurance fund officers and its own staff".into(),
        ))
    }
}

async fn members(ctx: &Context, alliance: &str) -> Result<HashSet<String>, ServiceError> {
    let q = query(
        "OrganizationAffiliation",
        vec![exact(
            "primary-organization",
            format!("Organization/{alliance}"),
        )],
    );
    Ok(all(&ctx.store, q)
        .await?
        .iter()
        .filter_map(|s| match &s.record {
            Record::Membership(m) => Some(m.institution.to_string()),
            _ => None,
        })
        .collect())
}

/// Residents whose family-doctor contract, in force on `on`, is with one of
/// the members.
async fn contracted(
    ctx: &Context,
    members: &HashSet<String>,
    on: Date,
) -> Result<HashSet<String>, ServiceError> {
    Ok(all(&ctx.store, query("Patient", vec![]))
        .await?
        .iter()
        .filter_map(|s| match &s.record {
            Record::Resident(r) => r
                .contract
                .as_ref()
                .filter(|c| c.in_force_on(on))
                .and_then(|c| c.institution.as_ref())
                .filter(|i| members.contains(i.as_str()))
                .map(|_| r.id.to_string()),
            _ => None,
        })
        .collect())
}

/// The claims created in `year`, the query the budget and the fund summary share.
pub(crate) fn claims_of(year: i32) -> Query {
    let created = |value: String, matching| Filter {
        param: "created".into(),
        values: vec![value],
        matching,
    };
    query(
        "ExplanationOfBenefit",
        vec![
            created(format!("{year}-01-01"), Match::AtLeast),
            created(format!("{}-01-01", year + 1), Match::Below),
        ],
    )
}
