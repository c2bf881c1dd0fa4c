//! `Organization/{alliance}/$budget`: an alliance's global budget against
//! its residents' claims (computed by `tiercare_service::budget`), as
//! `Parameters`.

use super::*;
use tiercare_core::insurance::BudgetStatus;
use tiercare_fhir::insurance::money;
use tiercare_service::budget::{AllianceBudget, alliance_budget};

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
    let pairs = query_pairs(raw.as_deref())?;
    Inputs::from_query(&ops::ORGANIZATION_BUDGET, &pairs)?;
    let mut year = None;
    for (k, v) in &pairs {
        match k.as_str() {
            "year" => {
                year = Some(
                    v.parse()
                        .ok()
                        .filter(|y| (2000..=2100).contains(y))
                        .ok_or_else(|| ApiError::invalid("year", format!("{v:?} is not a year")))?,
                );
            }
            other => {
                return Err(ApiError::invalid(other, "$budget takes only year"));
            }
        }
    }
    let AllianceBudget {
        alliance,
        on,
        ledger,
    } = alliance_budget(&state.ctx, &actor, &id, year).await?;
    let status = match ledger.status_at(on) {
        BudgetStatus::Surplus(_) => "surplus",
        BudgetStatus::Balanced => "balanced",
        BudgetStatus::Deficit(_) => "deficit",
    };
    let mut parameter = vec![
        json!({"name": "alliance", "valueReference": {"reference": format!("Organization/{alliance}")}}),
        json!({"name": "year", "valueInteger": ledger.year}),
        json!({"name": "residents", "valueInteger": ledger.residents}),
        json!({"name": "per-capita", "valueMoney": money(ledger.per_capita)}),
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
