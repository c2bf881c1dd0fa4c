//! The insurance fund's view of the claims it pays: totals by institution,
//! level and scheme, and what bypass penalties took, for a year.
//!
//! An aggregate that names no resident, like the alliance budget: the
//! fund's officers, administrators and analysts see it. A claim itself
//! (who was treated) is read through the audited claim search.

use crate::budget::claims_of;
use crate::search::all;
use crate::{Context, ServiceError};
use std::collections::BTreeMap;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::insurance::{Fen, RuleCode};
use tiercare_core::{Level, Record};

/// The claims of one institution under one scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundRow {
    pub institution: String,
    pub level: Level,
    pub scheme: String,
    pub claims: u64,
    pub total: Fen,
    /// Paid by the fund.
    pub covered: Fen,
    /// Paid by the residents, deductibles included.
    pub out_of_pocket: Fen,
}

/// A year of claims as the fund sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FundSummary {
    pub year: i32,
    /// By institution id, then scheme.
    pub rows: Vec<FundRow>,
    /// Claims a bypass penalty applied to (care sought above primary
    /// level without a referral), and what it shifted to the residents.
    pub bypass_claims: u64,
    pub bypass_amount: Fen,
}

/// The fund's summary of `year`'s claims.
pub async fn summary(ctx: &Context, actor: &Actor, year: i32) -> Result<FundSummary, ServiceError> {
    match actor.role {
        UserRole::Insurer | UserRole::Admin | UserRole::Analyst => {}
        _ => {
            return Err(ServiceError::Forbidden(
                "the fund's summary of claims is for insurance fund officers, administrators and analysts".into(),
            ));
        }
    }
    let mut rows: BTreeMap<(String, String), FundRow> = BTreeMap::new();
    let mut out = FundSummary {
        year,
        ..FundSummary::default()
    };
    for s in all(&ctx.store, claims_of(year)).await? {
        let Record::Claim(c) = s.record else { continue };
        let split = &c.adjudication.split;
        let row = rows
            .entry((c.institution.to_string(), c.visit.scheme.to_string()))
            .or_insert_with(|| FundRow {
                institution: c.institution.to_string(),
                level: c.visit.level,
                scheme: c.visit.scheme.to_string(),
                claims: 0,
                total: Fen::ZERO,
                covered: Fen::ZERO,
                out_of_pocket: Fen::ZERO,
            });
        row.claims += 1;
        row.total = row.total.saturating_add(split.total);
        row.covered = row.covered.saturating_add(split.covered);
        row.out_of_pocket = row.out_of_pocket.saturating_add(split.out_of_pocket);
        let penalty: Vec<_> = c
            .adjudication
            .lines
            .iter()
            .filter(|l| l.code == RuleCode::BypassPenalty)
            .collect();
        if !penalty.is_empty() {
            out.bypass_claims += 1;
            for l in penalty {
                // The line is the fund's share taken away: a negative amount.
                out.bypass_amount = out
                    .bypass_amount
                    .saturating_add(Fen::new(l.amount.fen().saturating_abs()));
            }
        }
    }
    out.rows = rows.into_values().collect();
    Ok(out)
}
