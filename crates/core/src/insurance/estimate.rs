//! The estimate: what a visit would cost at each level, before the
//! resident chooses where to go.
//!
//! [`estimate`] is no second price list: it runs [`adjudicate`] on the visit
//! moved to each level, with and without a referral, against the resident's
//! own accumulator. What a resident is told, what the simulator assumes and
//! what is finally paid therefore cannot disagree.

use super::{Accumulator, ClaimError, InsuranceRules, ReferralDirection, Split, Visit, adjudicate};
use crate::Level;
use serde::{Deserialize, Serialize};

/// One level of an [`Estimate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimateRow {
    pub level: Level,
    /// Going there without a referral.
    pub self_referred: Split,
    /// Going there with a referral: up, to secondary or tertiary; down (from
    /// a hospital), to primary.
    pub referred: Split,
}

/// What one visit would cost at each level, with and without a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    /// One row per level, lowest first.
    pub rows: Vec<EstimateRow>,
}

impl Estimate {
    /// The row for a level.
    pub fn row(&self, level: Level) -> Option<&EstimateRow> {
        self.rows.iter().find(|r| r.level == level)
    }
}

/// What `visit` would cost the resident at each level, with and without a
/// referral, given their accumulator: [`adjudicate`] run on the visit moved
/// to each level, so the estimate is exactly what would be paid. The
/// visit's own level and referral are ignored; everything else (total,
/// date, emergency, follow-up, contracted institution) is kept.
pub fn estimate(
    rules: &InsuranceRules,
    visit: &Visit,
    accumulator: &Accumulator,
) -> Result<Estimate, ClaimError> {
    let mut rows = Vec::with_capacity(Level::ALL.len());
    for level in Level::ALL {
        let at = |referral| {
            let v = Visit {
                level,
                referral,
                ..visit.clone()
            };
            adjudicate(rules, &v, accumulator).map(|a| a.split)
        };
        let referred = if level == Level::Primary {
            ReferralDirection::Down
        } else {
            ReferralDirection::Up
        };
        rows.push(EstimateRow {
            level,
            self_referred: at(None)?,
            referred: at(Some(referred))?,
        });
    }
    Ok(Estimate { rows })
}
