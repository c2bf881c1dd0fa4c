//! `Organization/{alliance}/$budget`: an alliance's global budget against
//! its residents' claims.
//!
//! The budget is the policy's per-capita amount times the residents
//! contracted to the alliance's family doctors; spending is what the fund
//! paid on those residents' claims this year, inside the alliance and
//! outside it (residents who went elsewhere). Computed from the stored
//! claims, the same ones the explanations of benefit show. An aggregate:
//! administrators, analysts and the alliance's own staff see it, and it
//! names no patient.

use super::*;
use std::collections::HashSet;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::insurance::{BudgetLedger, BudgetStatus};
use tiercare_fhir::insurance::money;
use tiercare_store::Query;

/// `GET /Organization/{id}/$budget?year=YYYY`.
pub async fn organization_operation(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((id, operation)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if operation != "$budget" {
        return Err(ApiError::NotFound(format!(
            "Organization/{id}/{operation} is not an operation; alliances have $budget"
        )));
    }
    let pairs = query_pairs(raw.as_deref());
    let today = state.ctx.clock.today();
    let mut year = today.year();
    for (k, v) in &pairs {
        match k.as_str() {
            "year" => {
                year = v
                    .parse()
                    .ok()
                    .filter(|y| (2000..=2100).contains(y))
                    .ok_or_else(|| ApiError::invalid("year", format!("{v:?} is not a year")))?;
            }
            other => {
                return Err(ApiError::invalid(other, "$budget takes only year"));
            }
        }
    }
    match state.ctx.store.get("Organization", &id).await? {
        Some(Stored {
            record: Record::Alliance(_),
            ..
        }) => {}
        Some(_) => {
            return Err(ApiError::rule(
                "Organization",
                format!("Organization/{id} is an institution; a budget is an alliance's"),
            ));
        }
        None => {
            return Err(ApiError::NotFound(format!(
                "Organization/{id} does not exist"
            )));
        }
    }
    let members = members(&state, &id).await?;
    may_see_budget(&actor, &members)?;
    let rules = state.ctx.policy.insurance.as_ref();
    let per_capita = rules
        .and_then(|r| r.global_budget_per_capita_fen.get(&id))
        .copied()
        .ok_or_else(|| {
            ApiError::rule(
                "Organization",
                format!("the region's policy pays Organization/{id} no global budget"),
            )
        })?;
    let on = if year == today.year() {
        today
    } else {
        time::Date::from_calendar_date(year, time::Month::December, 31)
            .map_err(|e| ApiError::invalid("year", e.to_string()))?
    };
    let residents = contracted(&state, &members, on).await?;
    let mut ledger = BudgetLedger::new(
        year,
        per_capita,
        u32::try_from(residents.len()).unwrap_or(u32::MAX),
    );
    for s in all(&state, claims_of(year)).await? {
        if let Record::Claim(c) = &s.record
            && residents.contains(c.patient.as_str())
        {
            ledger.record(
                c.adjudication.split.covered,
                members.contains(c.institution.as_str()),
            );
        }
    }
    let status = match ledger.status_at(on) {
        BudgetStatus::Surplus(_) => "surplus",
        BudgetStatus::Balanced => "balanced",
        BudgetStatus::Deficit(_) => "deficit",
    };
    let mut parameter = vec![
        json!({"name": "alliance", "valueReference": {"reference": format!("Organization/{id}")}}),
        json!({"name": "year", "valueInteger": year}),
        json!({"name": "residents", "valueInteger": ledger.residents}),
        json!({"name": "per-capita", "valueMoney": money(per_capita)}),
        json!({"name": "budget", "valueMoney": money(ledger.budget())}),
        json!({"name": "budget-to-date", "valueMoney": money(ledger.budget_to(on))}),
        json!({"name": "spent-inside", "valueMoney": money(ledger.inside)}),
        json!({"name": "spent-outside", "valueMoney": money(ledger.outside)}),
        json!({"name": "balance-to-date", "valueMoney": money(ledger.budget_to(on).saturating_sub(ledger.spent()))}),
        json!({"name": "status", "valueCode": status}),
    ];
    if let Some(bp) = ledger.inside_share_bp() {
        parameter.push(json!({"name": "inside-share-bp", "valueInteger": bp}));
    }
    Ok(FhirJson(json!({"resourceType": "Parameters", "parameter": parameter})).into_response())
}

/// Administrators and analysts see every alliance's budget; coordinators
/// and doctors their own alliance's.
fn may_see_budget(actor: &Actor, members: &HashSet<String>) -> Result<(), ApiError> {
    let allowed = match actor.role {
        UserRole::Admin | UserRole::Analyst => true,
        UserRole::Coordinator | UserRole::Doctor => actor
            .institution
            .as_ref()
            .is_some_and(|i| members.contains(i.as_str())),
        UserRole::Resident => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "an alliance's budget is seen by administrators, analysts and its own staff".into(),
        ))
    }
}

fn query(resource_type: &str, filters: Vec<Filter>) -> Query {
    Query {
        resource_type: resource_type.into(),
        filters,
        count: crate::routes::MAX_COUNT,
        offset: 0,
    }
}

/// Every record a query finds, page by page.
pub(crate) async fn all(state: &AppState, mut q: Query) -> Result<Vec<Stored>, ApiError> {
    let mut out = Vec::new();
    loop {
        let (page, total) = state.ctx.store.search(&q).await?;
        let n = page.len();
        out.extend(page);
        if n == 0 || out.len() as u64 >= total {
            return Ok(out);
        }
        q.offset += q.count;
    }
}

async fn members(state: &AppState, alliance: &str) -> Result<HashSet<String>, ApiError> {
    let q = query(
        "OrganizationAffiliation",
        vec![Filter {
            param: "primary-organization".into(),
            values: vec![format!("Organization/{alliance}")],
            matching: Match::Exact,
        }],
    );
    Ok(all(state, q)
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
    state: &AppState,
    members: &HashSet<String>,
    on: time::Date,
) -> Result<HashSet<String>, ApiError> {
    Ok(all(state, query("Patient", vec![]))
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

fn claims_of(year: i32) -> Query {
    query(
        "ExplanationOfBenefit",
        vec![
            Filter {
                param: "created".into(),
                values: vec![format!("{year}-01-01")],
                matching: Match::AtLeast,
            },
            Filter {
                param: "created".into(),
                values: vec![format!("{}-01-01", year + 1)],
                matching: Match::Below,
            },
        ],
    )
}
