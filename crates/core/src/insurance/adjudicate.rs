//! Adjudication of one visit: the claim the platform writes.
//!
//! A finished encounter is described as a [`Visit`] (with the
//! [`EncounterFacts`] the encounter does not hold itself), and [`adjudicate`]
//! prices it with the scheme's [`Tariff`] against the resident's yearly
//! [`Accumulator`]. The result, an [`Adjudication`], is the explanation of
//! benefit: the split of the total, every rule line that produced it, and
//! the accumulator after the claim, for the store to write in the same
//! transaction.
//!
//! The arithmetic itself lives in [`tariff`](super::tariff), so that the
//! simulator can run it on its own visits without building a claim; this
//! module only checks the claim against the accumulator, rolls the year over
//! and turns the tariff's errors into [`ClaimError`]s that name the scheme.

use super::{
    Accumulator, Fen, InsuranceRules, Rate, ReferralDirection, RuleLine, SchemeId, ServiceType,
    Split, Tariff, TariffError, Terms, YearUse,
};
use crate::Level;
use crate::booking::Encounter;
use serde::{Deserialize, Serialize};
use time::Date;

/// A visit as insurance sees it: plain facts, so the platform (from a
/// finished Encounter) and the simulator (from a synthetic one) describe it
/// the same way.
///
/// Whether the visit is a bypass is not an input: it follows from the
/// facts. A visit at secondary or tertiary level is a bypass when it has no
/// referral, is not a follow-up and is not an emergency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub scheme: SchemeId,
    pub level: Level,
    pub service: ServiceType,
    /// The eligible total of the visit (the bill within the scheme's lists).
    pub total: Fen,
    /// The day of the visit (of discharge, for an admission): its calendar
    /// year picks the accumulator.
    pub date: Date,
    /// The referral this visit follows, if any.
    pub referral: Option<ReferralDirection>,
    /// A follow-up within an episode already referred or admitted (a
    /// return visit the hospital booked): not a bypass.
    pub follow_up: bool,
    /// An emergency by the catalogue's urgency: never a bypass.
    pub emergency: bool,
    /// At the resident's own contracted primary institution (family doctor).
    pub at_contracted_primary: bool,
    /// Deductible already paid in this episode at a lower level, for the
    /// top-up rule after an upward referral; zero otherwise.
    pub episode_deductible_paid: Fen,
}

/// What insurance needs to know about a finished [`Encounter`] that the
/// encounter itself does not hold: the platform looks these up (the
/// institution's level, the resident's scheme and contract, the bill, the
/// referral's direction) when the encounter finishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncounterFacts {
    pub scheme: SchemeId,
    /// The level of the encounter's institution.
    pub level: Level,
    pub total: Fen,
    /// The direction of the encounter's referral, if it has one.
    pub referral: Option<ReferralDirection>,
    pub follow_up: bool,
    pub emergency: bool,
    pub at_contracted_primary: bool,
    pub episode_deductible_paid: Fen,
}

impl Visit {
    /// The visit of a finished encounter, dated by the day it finished (the
    /// day of discharge, for an admission), so every finished encounter can
    /// be adjudicated into an explanation of benefit.
    pub fn from_encounter(
        encounter: &Encounter,
        facts: EncounterFacts,
    ) -> Result<Visit, ClaimError> {
        let finished = encounter
            .finished
            .ok_or_else(|| ClaimError::NotFinished(encounter.id.to_string()))?;
        // A visit after a downward referral may be booked by the patient
        // (no referral on the encounter), but an encounter that came
        // through a referral must say which way it went.
        if encounter.referral.is_some() && facts.referral.is_none() {
            return Err(ClaimError::ReferralMismatch(encounter.id.to_string()));
        }
        Ok(Visit {
            scheme: facts.scheme,
            level: facts.level,
            service: if encounter.inpatient {
                ServiceType::Inpatient
            } else {
                ServiceType::Outpatient
            },
            total: facts.total,
            date: finished.date(),
            referral: facts.referral,
            follow_up: facts.follow_up,
            emergency: facts.emergency,
            at_contracted_primary: facts.at_contracted_primary,
            episode_deductible_paid: facts.episode_deductible_paid,
        })
    }

    /// The visit a reported remote reading is billed as: an outpatient
    /// service of the ordering institution (where the patient was seen and
    /// pays, at that level's rates), on the day of the report, for the
    /// reading's fee. It was ordered within care already under way, so it
    /// is never a bypass whatever the ordering level.
    pub fn for_reading(
        scheme: SchemeId,
        level: Level,
        fee: Fen,
        reported: Date,
        at_contracted_primary: bool,
    ) -> Visit {
        Visit {
            scheme,
            level,
            service: ServiceType::Outpatient,
            total: fee,
            date: reported,
            referral: None,
            follow_up: true,
            emergency: false,
            at_contracted_primary,
            episode_deductible_paid: Fen::ZERO,
        }
    }

    /// A self-referred visit at secondary or tertiary level.
    pub fn is_bypass(&self) -> bool {
        self.terms().is_bypass()
    }
}

/// Why a claim could not be adjudicated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("unknown insurance scheme `{0}`")]
    UnknownScheme(String),
    #[error("scheme `{scheme}` has no {service} rules for level `{level}`")]
    MissingLevel {
        scheme: String,
        service: ServiceType,
        level: Level,
    },
    #[error("`{field}` is negative ({amount})")]
    Negative { field: &'static str, amount: Fen },
    #[error("the accumulator is for scheme `{accumulator}`, the visit for `{visit}`")]
    AccumulatorScheme { visit: String, accumulator: String },
    #[error("encounter `{0}` has not finished: only a finished encounter is claimed")]
    NotFinished(String),
    #[error("encounter `{0}` came through a referral: give the referral's direction")]
    ReferralMismatch(String),
    #[error("a claim of {claim} needs that year's accumulator, not {accumulator}'s")]
    AccumulatorYear { claim: i32, accumulator: i32 },
}

/// The result of adjudicating one visit: the explanation of benefit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjudication {
    pub split: Split,
    /// The rate finally applied, after penalty and bonus.
    pub rate: Rate,
    /// Every rule that applied, in order.
    pub lines: Vec<RuleLine>,
    /// The resident's accumulator after this claim (for the claim's year).
    pub accumulator: Accumulator,
}

/// Adjudicates one visit against the rules and the resident's accumulator
/// (any earlier year's is rolled over to the visit's year).
///
/// In order: the deductible due (annual: what is left of it this year;
/// per admission: all of it), less any waiver for a referral; the level's
/// rate on the rest, less a bypass penalty, plus the contracted-institution
/// bonus; then the caps. The patient pays the rest.
pub fn adjudicate(
    rules: &InsuranceRules,
    visit: &Visit,
    accumulator: &Accumulator,
) -> Result<Adjudication, ClaimError> {
    let scheme = rules
        .schemes
        .get(&visit.scheme)
        .ok_or_else(|| ClaimError::UnknownScheme(visit.scheme.to_string()))?;
    if accumulator.scheme != visit.scheme {
        return Err(ClaimError::AccumulatorScheme {
            visit: visit.scheme.to_string(),
            accumulator: accumulator.scheme.to_string(),
        });
    }
    let mut acc = accumulator.rolled_to(visit.date.year())?;
    let service = visit.service;
    let tariff = Tariff::new(scheme.service(service), scheme.annual_cap_fen, service);
    let mut used = YearUse {
        deductible_met: *acc.deductible_met.get(service),
        reimbursed: *acc.reimbursed.get(service),
        reimbursed_total: acc.reimbursed_total(),
    };
    let mut lines = Vec::new();
    let (split, rate) = tariff
        .apply(&visit.terms(), &mut used, &mut lines)
        .map_err(|e| match e {
            TariffError::Negative { field, amount } => ClaimError::Negative { field, amount },
            TariffError::MissingLevel => ClaimError::MissingLevel {
                scheme: visit.scheme.to_string(),
                service,
                level: visit.level,
            },
        })?;
    *acc.deductible_met.get_mut(service) = used.deductible_met;
    *acc.reimbursed.get_mut(service) = used.reimbursed;
    Ok(Adjudication {
        split,
        rate,
        lines,
        accumulator: acc,
    })
}

impl Visit {
    /// The visit's pricing terms.
    pub fn terms(&self) -> Terms {
        Terms {
            level: self.level,
            total: self.total,
            referral: self.referral,
            follow_up: self.follow_up,
            emergency: self.emergency,
            at_contracted_primary: self.at_contracted_primary,
            episode_deductible_paid: self.episode_deductible_paid,
        }
    }
}
