//! The medical insurance fund officer's page: the year's claims by
//! institution, level and scheme, what bypass penalties took, each
//! alliance's global budget against its spending, and the latest claims.
//!
//! The totals come from the fund's summary and the budget service (they
//! name no resident); the latest claims from the audited claim search, so
//! every claim shown to the officer is in the audit trail.

use crate::chrome::{Chrome, home};
use crate::form::FieldErrors;
use crate::i18n::{Lang, yuan};
use crate::session::Viewer;
use crate::{UiError, Workplace, render};
use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use std::collections::HashMap;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::insurance::{BudgetStatus, Fen};
use tiercare_service::referrals::Referrals;
use tiercare_service::search::query;

/// The insurer's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route(home::INSURER, get(page))
}

/// How many of the latest claims the page lists.
const LATEST: u32 = 20;

/// A row of the claims table, formatted.
pub struct ClaimRow {
    pub institution: String,
    pub level: String,
    pub scheme: String,
    pub claims: u64,
    pub total: String,
    pub covered: String,
    pub out_of_pocket: String,
    pub covered_fen: i64,
}

/// An alliance's budget line, formatted.
pub struct BudgetRow {
    pub alliance: String,
    pub residents: u32,
    pub budget: String,
    pub budget_to_date: String,
    pub inside: String,
    pub outside: String,
    pub spent: String,
    pub status: String,
    pub deficit: bool,
}

/// One of the latest claims.
pub struct LatestClaim {
    pub id: String,
    pub date: String,
    pub patient: String,
    pub institution: String,
    /// What was claimed (`outpatient`, `inpatient`, `reading`), and its
    /// message key.
    pub service_code: &'static str,
    pub service_key: &'static str,
    pub total: String,
    pub covered: String,
    pub out_of_pocket: String,
    pub rules: String,
}

#[derive(Template)]
#[template(path = "insurer/page.html")]
struct InsurerPage {
    chrome: Chrome,
    year: i32,
    years: Vec<i32>,
    errors: FieldErrors,
    rows: Vec<ClaimRow>,
    claims: u64,
    total: String,
    covered: String,
    out_of_pocket: String,
    covered_fen: i64,
    bypass_claims: u64,
    bypass_amount: String,
    budgets: Vec<BudgetRow>,
    latest: Vec<LatestClaim>,
}

/// The page's filter.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    year: Option<String>,
}

fn sum(
    rows: &[tiercare_service::fund::FundRow],
    f: impl Fn(&tiercare_service::fund::FundRow) -> Fen,
) -> Fen {
    rows.iter().fold(Fen::ZERO, |a, r| a.saturating_add(f(r)))
}

/// `GET /ui/insurer?year=`: the year's claims and budgets.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, UiError> {
    if viewer.workplace != Workplace::Insurer {
        return Err(UiError::Forbidden);
    }
    let lang = viewer.lang;
    let ctx = &state.ctx;
    let this_year = ctx.clock.today().year();
    let years: Vec<i32> = (this_year - 4..=this_year).rev().collect();
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let mut errors = FieldErrors::new();
    let year = match params.year.as_deref().map(str::parse::<i32>) {
        None => this_year,
        Some(Ok(y)) if years.contains(&y) => y,
        Some(_) => {
            errors.add("year", lang.t("insurer-bad-year"));
            this_year
        }
    };
    let names = institution_names(&state, &viewer).await?;
    let summary = tiercare_service::fund::summary(ctx, &viewer.actor, year).await?;
    let rows: Vec<ClaimRow> = summary
        .rows
        .iter()
        .map(|r| ClaimRow {
            institution: names
                .get(&r.institution)
                .cloned()
                .unwrap_or_else(|| r.institution.clone()),
            level: lang.coded("level", r.level.code()),
            scheme: lang.coded("scheme", &r.scheme),
            claims: r.claims,
            total: yuan(r.total),
            covered: yuan(r.covered),
            out_of_pocket: yuan(r.out_of_pocket),
            covered_fen: r.covered.fen(),
        })
        .collect();
    let budgets = budgets(&state, &viewer, lang, year, &names).await?;
    let latest = latest(&state, &viewer, lang, year, &names).await?;
    let covered = sum(&summary.rows, |r| r.covered);
    let page = InsurerPage {
        chrome: viewer.chrome(&state),
        year,
        years,
        errors,
        claims: summary.rows.iter().map(|r| r.claims).sum(),
        total: yuan(sum(&summary.rows, |r| r.total)),
        covered: yuan(covered),
        out_of_pocket: yuan(sum(&summary.rows, |r| r.out_of_pocket)),
        covered_fen: covered.fen(),
        bypass_claims: summary.bypass_claims,
        bypass_amount: yuan(summary.bypass_amount),
        rows,
        budgets,
        latest,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Institution and alliance names by id (registry records: no resident).
async fn institution_names(
    state: &AppState,
    viewer: &Viewer,
) -> Result<HashMap<String, String>, UiError> {
    let (orgs, _) = tiercare_service::registry::Registry::new(&state.ctx, &viewer.actor)
        .search(
            "Organization",
            query("Organization", vec![]),
            "insurer names",
        )
        .await?;
    Ok(orgs
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Institution(i) => Some((i.id.to_string(), i.name)),
            Record::Alliance(a) => Some((a.id.to_string(), a.name)),
            _ => None,
        })
        .collect())
}

/// Every alliance with a global budget, against its spending.
async fn budgets(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    year: i32,
    names: &HashMap<String, String>,
) -> Result<Vec<BudgetRow>, UiError> {
    let Some(rules) = state.ctx.policy.insurance.as_ref() else {
        return Ok(vec![]);
    };
    let mut out = Vec::new();
    let mut alliances: Vec<&String> = rules.global_budget_per_capita_fen.keys().collect();
    alliances.sort();
    for alliance in alliances {
        let b = tiercare_service::budget::alliance_budget(
            &state.ctx,
            &viewer.actor,
            alliance,
            Some(year),
        )
        .await?;
        let l = &b.ledger;
        let (status, deficit) = match l.status_at(b.on) {
            BudgetStatus::Surplus(f) => (
                lang.t_with("insurer-surplus", &[("amount", yuan(f))]),
                false,
            ),
            BudgetStatus::Balanced => (lang.t("insurer-balanced"), false),
            BudgetStatus::Deficit(f) => {
                (lang.t_with("insurer-deficit", &[("amount", yuan(f))]), true)
            }
        };
        out.push(BudgetRow {
            alliance: names
                .get(alliance.as_str())
                .cloned()
                .unwrap_or_else(|| alliance.clone()),
            residents: l.residents,
            budget: yuan(l.budget()),
            budget_to_date: yuan(l.budget_to(b.on)),
            inside: yuan(l.inside),
            outside: yuan(l.outside),
            spent: yuan(l.spent()),
            status,
            deficit,
        });
    }
    Ok(out)
}

/// Claims of the year (the first [`LATEST`] found), through the audited
/// claim search: each one shown is in the audit trail.
async fn latest(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    year: i32,
    names: &HashMap<String, String>,
) -> Result<Vec<LatestClaim>, UiError> {
    let mut q = query(
        "ExplanationOfBenefit",
        vec![tiercare_store::Filter {
            param: "created".into(),
            values: vec![format!("{year}-01-01")],
            matching: tiercare_store::Match::AtLeast,
        }],
    );
    q.count = LATEST;
    let (found, _) = Referrals::new(&state.ctx, &viewer.actor)
        .search_records(q, None)
        .await?;
    let mut claims: Vec<_> = found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Claim(c) => Some(c),
            _ => None,
        })
        .collect();
    claims.sort_by_key(|c| std::cmp::Reverse(c.created));
    Ok(claims
        .into_iter()
        .map(|c| LatestClaim {
            service_code: service_code(&c),
            service_key: match service_code(&c) {
                "reading" => "insurer-service-reading",
                "inpatient" => "insurer-service-inpatient",
                _ => "insurer-service-outpatient",
            },
            id: c.id.to_string(),
            date: lang.date(c.visit.date),
            patient: c.patient.to_string(),
            institution: names
                .get(c.institution.as_str())
                .cloned()
                .unwrap_or_else(|| c.institution.to_string()),
            total: yuan(c.adjudication.split.total),
            covered: yuan(c.adjudication.split.covered),
            out_of_pocket: yuan(c.adjudication.split.out_of_pocket),
            rules: c
                .adjudication
                .lines
                .iter()
                .map(|l| lang.coded("rule", l.code.code()))
                .collect::<Vec<_>>()
                .join("、"),
        })
        .collect())
}

/// What a claim paid for: a reading, or a visit by its service type.
fn service_code(c: &tiercare_core::insurance::Claim) -> &'static str {
    use tiercare_core::insurance::{Claimed, ServiceType};
    match (&c.service, c.visit.service) {
        (Claimed::Reading { .. }, _) => "reading",
        (Claimed::Visit { .. }, ServiceType::Inpatient) => "inpatient",
        (Claimed::Visit { .. }, ServiceType::Outpatient) => "outpatient",
    }
}
