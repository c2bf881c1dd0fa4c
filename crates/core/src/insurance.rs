//! Insurance: what a visit costs the resident, by scheme and level.
//!
//! Differentiated reimbursement is the region's financial lever for tiered
//! care: the same visit is reimbursed at a higher rate in a community or
//! township centre than in a hospital (Hangzhou 2014, outpatient: employee
//! scheme 88% vs 76%, resident scheme 70% vs 40%), a self-referred hospital
//! visit may lose rate points (a bypass penalty), and a patient referred up
//! does not pay a second full deductible. The rules are data
//! ([`InsuranceRules`], the `[insurance]` section of the region's policy
//! file), validated with errors that name the field.
//!
//! One pure function, [`adjudicate`], turns a described [`Visit`] and the
//! resident's yearly [`Accumulator`] into an [`Adjudication`]: the split of
//! the total (deductible, covered, out of pocket), the [`RuleLine`]s that
//! produced it, and the accumulator after the claim, which the store writes
//! in the same transaction as the claim. [`estimate`] runs the very same
//! function for every level, with and without a referral, so what a
//! resident is told before choosing, what the simulator assumes and what is
//! finally paid cannot disagree. [`BudgetLedger`] keeps an alliance's global
//! budget against its claims.
//!
//! Money is exact: [`Fen`] (integer fen) and [`Rate`] (basis points), with
//! one rounding rule, in [`money`].

use crate::Level;
use crate::level::coded_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

mod accumulator;
mod adjudicate;
mod budget;
mod claim;
mod estimate;
pub mod money;
mod tariff;
#[cfg(test)]
mod tests;

pub use accumulator::{Accumulator, PerService, YearUse};
pub use adjudicate::{Adjudication, ClaimError, EncounterFacts, Visit, adjudicate};
pub use budget::{BudgetLedger, BudgetStatus};
pub use claim::{Claim, Claimed, Coverage, PerLevelFen, TypicalCharges, YearAccount};
pub use estimate::{Estimate, EstimateRow, estimate};
pub use money::{Fen, InvalidAmount, Rate};
pub use tariff::{ReferralDirection, RuleCode, RuleLine, Split, Tariff, TariffError, Terms};

/// The bundled policy file for Hangzhou as of 2014
/// (`data/hangzhou-2014-policy.toml`): the outpatient rates DOMAIN.md
/// quotes, with illustrative values around them. Load it with
/// [`Policy::from_toml`](crate::policy::Policy::from_toml).
pub const HANGZHOU_2014_POLICY: &str = include_str!("../data/hangzhou-2014-policy.toml");

coded_enum!(
    /// The kind of service a claim is for; each has its own table.
    ServiceType {
        /// A clinic visit.
        Outpatient = "outpatient" / "Outpatient",
        /// An admission.
        Inpatient = "inpatient" / "Inpatient",
    }
);

coded_enum!(
    /// When a deductible is due.
    DeductibleBasis {
        /// Once per calendar year: what has been paid toward it is kept in
        /// the resident's [`Accumulator`], across levels (a region that
        /// gives levels different annual deductibles charges the
        /// difference when a higher level's is reached).
        Annual = "annual" / "Per calendar year",
        /// In full on every claim (every admission): nothing accumulates.
        PerAdmission = "per-admission" / "Per admission",
    }
);

coded_enum!(
    /// What happens to the deductible when a patient is referred up within
    /// one episode of care and the higher level's deductible is due.
    AfterUpwardReferral {
        /// Nothing special: the higher level's deductible is due in full.
        Full = "full" / "Full deductible",
        /// No deductible at the receiving level.
        Waived = "waived" / "Deductible waived",
        /// Only the difference between the receiving level's deductible and
        /// what was already paid in the episode at the lower level (the
        /// common "top up the difference" rule). For an annual deductible
        /// this is what the accumulator does anyway.
        TopUp = "top-up" / "Top up the difference",
    }
);

/// A scheme's code, the key of its table: `uebmi`, `urrbmi`, `ncms`, ...
///
/// Lower-case ASCII letters, digits and `-`, 1-32 characters, so it can be
/// a TOML bare key, a URL segment and a FHIR code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SchemeId(String);

/// A scheme code that breaks the [`SchemeId`] rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scheme code {0:?}: use 1-32 characters of a-z, 0-9 and '-'")]
pub struct InvalidSchemeId(pub String);

impl SchemeId {
    /// Parses a scheme code.
    pub fn new(code: impl Into<String>) -> Result<SchemeId, InvalidSchemeId> {
        let code = code.into();
        let ok = !code.is_empty()
            && code.len() <= 32
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(SchemeId(code))
        } else {
            Err(InvalidSchemeId(code))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SchemeId {
    type Error = InvalidSchemeId;
    fn try_from(s: String) -> Result<SchemeId, InvalidSchemeId> {
        SchemeId::new(s)
    }
}

impl From<SchemeId> for String {
    fn from(id: SchemeId) -> String {
        id.0
    }
}

impl fmt::Display for SchemeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The region's insurance rules: every scheme it runs, by code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsuranceRules {
    /// What a visit is billed when its charge is not given.
    #[serde(default)]
    pub typical_charge_fen: TypicalCharges,
    /// Global budgets: the annual amount per contracted resident the fund
    /// pays each alliance (by alliance id) that is paid this way.
    #[serde(default)]
    pub global_budget_per_capita_fen: BTreeMap<String, Fen>,
    pub schemes: BTreeMap<SchemeId, Scheme>,
}

/// One scheme (UEBMI, URRBMI, a legacy NCMS, ...): a table per service
/// type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    /// The scheme's name, for people.
    pub name: String,
    /// The most the fund pays for one resident in a calendar year, over
    /// both service types; none if only the per-service caps apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_cap_fen: Option<Fen>,
    pub outpatient: ServiceRules,
    pub inpatient: ServiceRules,
}

impl Scheme {
    /// The table for one service type.
    pub fn service(&self, service: ServiceType) -> &ServiceRules {
        match service {
            ServiceType::Outpatient => &self.outpatient,
            ServiceType::Inpatient => &self.inpatient,
        }
    }
}

/// The rules of one scheme for one service type: a row per level and the
/// extras that steer patients between levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRules {
    /// Whether the deductible is yearly or per admission.
    pub deductible: DeductibleBasis,
    /// The most the fund pays for this service type for one resident in a
    /// calendar year, whatever the level.
    pub annual_cap_fen: Fen,
    /// Rate points taken off for a self-referred visit at secondary or
    /// tertiary level (no referral, not an emergency, not a follow-up).
    #[serde(default)]
    pub bypass_penalty_bp: Rate,
    /// The deductible after an upward referral within one episode.
    #[serde(default = "full")]
    pub after_upward_referral: AfterUpwardReferral,
    /// No deductible for a visit that follows a downward referral.
    #[serde(default)]
    pub waive_deductible_on_downward: bool,
    /// Rate points added at the resident's own contracted primary
    /// institution (never above 100%).
    #[serde(default)]
    pub contracted_bonus_bp: Rate,
    // One row per level; `Option` so that a missing level is reported by
    // validation with its full path rather than as a bare parse error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<LevelRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary: Option<LevelRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tertiary: Option<LevelRule>,
}

fn full() -> AfterUpwardReferral {
    AfterUpwardReferral::Full
}

impl ServiceRules {
    /// The row for a level (always present once validated).
    pub fn level(&self, level: Level) -> Option<&LevelRule> {
        match level {
            Level::Primary => self.primary.as_ref(),
            Level::Secondary => self.secondary.as_ref(),
            Level::Tertiary => self.tertiary.as_ref(),
        }
    }
}

/// What one level pays for one service type of one scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRule {
    /// The deductible ("起付线"), in fen; see [`ServiceRules::deductible`]
    /// for when it is due.
    pub deductible_fen: Fen,
    /// The share of the amount above the deductible the fund pays.
    pub rate_bp: Rate,
}

/// Why insurance rules were refused, naming the field by its full path in
/// the policy file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InsuranceError {
    /// e.g. `insurance.schemes.uebmi.outpatient.tertiary.rate_bp`.
    pub field: String,
    pub message: String,
}

impl InsuranceRules {
    /// Parses and validates a TOML document holding only the rules (the
    /// body of a policy file's `[insurance]` section, without the prefix).
    pub fn from_toml(text: &str) -> Result<InsuranceRules, InsuranceError> {
        let rules: InsuranceRules = toml::from_str(text).map_err(|e| InsuranceError {
            field: "insurance".to_string(),
            message: e.to_string(),
        })?;
        rules.validate()?;
        Ok(rules)
    }

    /// The scheme with this code.
    pub fn scheme(&self, code: &str) -> Option<&Scheme> {
        self.schemes
            .iter()
            .find(|(id, _)| id.as_str() == code)
            .map(|(_, s)| s)
    }

    /// Checks what a TOML parser cannot: every level present, rates at most
    /// 100%, no negative amounts, penalties and bonuses that leave a rate.
    pub fn validate(&self) -> Result<(), InsuranceError> {
        let err = |field: String, message: String| Err(InsuranceError { field, message });
        if self.schemes.is_empty() {
            return err(
                "insurance.schemes".into(),
                "needs at least one scheme".into(),
            );
        }
        for (id, scheme) in &self.schemes {
            let at = format!("insurance.schemes.{id}");
            if scheme.name.trim().is_empty() {
                return err(format!("{at}.name"), "must not be empty".into());
            }
            if let Some(cap) = scheme.annual_cap_fen
                && cap.is_negative()
            {
                return err(
                    format!("{at}.annual_cap_fen"),
                    format!("{} is negative", cap.fen()),
                );
            }
            for service in ServiceType::ALL {
                let rules = scheme.service(*service);
                let at = format!("{at}.{service}");
                if rules.annual_cap_fen.is_negative() {
                    return err(
                        format!("{at}.annual_cap_fen"),
                        format!("{} is negative", rules.annual_cap_fen.fen()),
                    );
                }
                for (name, rate) in [
                    ("bypass_penalty_bp", rules.bypass_penalty_bp),
                    ("contracted_bonus_bp", rules.contracted_bonus_bp),
                ] {
                    if rate > Rate::FULL {
                        return err(
                            format!("{at}.{name}"),
                            format!("{} is above 100%", rate.bp()),
                        );
                    }
                }
                for level in Level::ALL {
                    let at = format!("{at}.{level}");
                    let Some(row) = rules.level(level) else {
                        return err(at, format!("missing level `{level}`"));
                    };
                    if row.rate_bp > Rate::FULL {
                        return err(
                            format!("{at}.rate_bp"),
                            format!("{} is above 100%", row.rate_bp.bp()),
                        );
                    }
                    if row.deductible_fen.is_negative() {
                        return err(
                            format!("{at}.deductible_fen"),
                            format!("{} is negative", row.deductible_fen.fen()),
                        );
                    }
                }
            }
        }
        Ok(())
    }
}
