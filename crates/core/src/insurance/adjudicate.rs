//! Adjudication of one visit, and the estimate built on it.

use super::{
    AfterUpwardReferral, DeductibleBasis, Fen, InsuranceRules, Rate, SchemeId, ServiceRules,
    ServiceType,
};
use crate::Level;
use crate::booking::Encounter;
use crate::level::coded_enum;
use serde::{Deserialize, Serialize};
use time::Date;

/// The direction of the referral a visit follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferralDirection {
    /// Referred up from a lower level within the same episode of care.
    Up,
    /// Referred down (back) from a higher level.
    Down,
}

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

    /// A self-referred visit at secondary or tertiary level.
    pub fn is_bypass(&self) -> bool {
        self.terms().is_bypass()
    }
}

/// One number per service type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerService<T> {
    pub outpatient: T,
    pub inpatient: T,
}

impl<T> PerService<T> {
    /// The number for one service type.
    pub fn get(&self, service: ServiceType) -> &T {
        match service {
            ServiceType::Outpatient => &self.outpatient,
            ServiceType::Inpatient => &self.inpatient,
        }
    }

    /// The number for one service type, to change.
    pub fn get_mut(&mut self, service: ServiceType) -> &mut T {
        match service {
            ServiceType::Outpatient => &mut self.outpatient,
            ServiceType::Inpatient => &mut self.inpatient,
        }
    }
}

/// A resident's running totals in one scheme for one calendar year. The
/// store keeps one per resident, scheme and year and writes the updated one
/// returned by [`adjudicate`] in the same transaction as the claim, so the
/// totals are always the sum of the stored claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accumulator {
    pub scheme: SchemeId,
    pub year: i32,
    /// Paid toward annual deductibles this year. Per-admission deductibles
    /// are due in full on each claim and never counted here.
    pub deductible_met: PerService<Fen>,
    /// Paid by the fund this year, toward the caps.
    pub reimbursed: PerService<Fen>,
}

impl Accumulator {
    /// Nothing paid yet in `year`.
    pub fn new(scheme: SchemeId, year: i32) -> Accumulator {
        Accumulator {
            scheme,
            year,
            deductible_met: PerService::default(),
            reimbursed: PerService::default(),
        }
    }

    /// Paid by the fund this year over both service types.
    pub fn reimbursed_total(&self) -> Fen {
        self.reimbursed
            .outpatient
            .saturating_add(self.reimbursed.inpatient)
    }

    /// The accumulator for a claim dated in `year`: this one in its own
    /// year, a fresh one in a later year (deductibles and caps start again
    /// on 1 January). A claim dated before this accumulator's year needs
    /// that year's accumulator, so it is an error.
    pub fn rolled_to(&self, year: i32) -> Result<Accumulator, ClaimError> {
        match year.cmp(&self.year) {
            std::cmp::Ordering::Equal => Ok(self.clone()),
            std::cmp::Ordering::Greater => Ok(Accumulator::new(self.scheme.clone(), year)),
            std::cmp::Ordering::Less => Err(ClaimError::AccumulatorYear {
                claim: year,
                accumulator: self.year,
            }),
        }
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

coded_enum!(
    /// The rule behind a line of an adjudication.
    RuleCode {
        /// The deductible applied: `amount` is what the patient paid toward
        /// it on this claim.
        Deductible = "deductible" / "Deductible",
        /// Deductible waived after an upward referral: `amount` waived.
        UpwardWaiver = "upward-waiver" / "Deductible waived after upward referral",
        /// Deductible reduced to the difference after an upward referral:
        /// `amount` waived.
        UpwardTopUp = "upward-top-up" / "Deductible topped up after upward referral",
        /// Deductible waived after a downward referral: `amount` waived.
        DownwardWaiver = "downward-waiver" / "Deductible waived after downward referral",
        /// The level's rate on the amount above the deductible: `amount` is
        /// the fund's share at that rate.
        Rate = "rate" / "Reimbursement rate",
        /// Rate points lost by a self-referred visit: `amount` (negative) is
        /// the fund's share lost.
        BypassPenalty = "bypass-penalty" / "Bypass penalty",
        /// Rate points added at the contracted primary institution: `amount`
        /// is the fund's share gained.
        ContractBonus = "contract-bonus" / "Contracted institution bonus",
        /// The service type's annual cap: `amount` (negative) cut from the
        /// fund's share.
        ServiceCap = "service-cap" / "Annual cap for the service type",
        /// The scheme's overall annual cap: `amount` (negative) cut.
        SchemeCap = "scheme-cap" / "Annual cap of the scheme",
    }
);

/// One rule applied to a claim, with the amount it was about and a sentence
/// for the resident.
///
/// The `amount`s of the `rate`, `bypass-penalty`, `contract-bonus` and cap
/// lines add up to the covered amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleLine {
    pub code: RuleCode,
    pub text: String,
    pub amount: Fen,
}

/// How a total is split between the patient and the fund. Always
/// `deductible <= total`, `covered + out_of_pocket == total`, and all four
/// non-negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub total: Fen,
    /// The part of the total the patient paid as deductible.
    pub deductible: Fen,
    /// What the fund pays.
    pub covered: Fen,
    /// What the patient pays, deductible included.
    pub out_of_pocket: Fen,
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
    let tariff = Tariff {
        rules: scheme.service(service),
        scheme_cap: scheme.annual_cap_fen,
        service,
    };
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

/// The parts of a visit that decide its price, without who or when: what
/// the simulator has for each of its millions of visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub level: Level,
    pub total: Fen,
    pub referral: Option<ReferralDirection>,
    pub follow_up: bool,
    pub emergency: bool,
    pub at_contracted_primary: bool,
    pub episode_deductible_paid: Fen,
}

impl Terms {
    /// A self-referred visit at secondary or tertiary level.
    pub fn is_bypass(&self) -> bool {
        self.level > Level::Primary && self.referral.is_none() && !self.follow_up && !self.emergency
    }
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

/// What a resident has used of one scheme and service type this year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearUse {
    /// Paid toward this service type's annual deductibles.
    pub deductible_met: Fen,
    /// Paid by the fund for this service type.
    pub reimbursed: Fen,
    /// Paid by the fund over all service types (for the scheme's cap).
    pub reimbursed_total: Fen,
}

/// Why a tariff could not price a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    #[error("the scheme has no rules for the visit's level")]
    MissingLevel,
    #[error("`{field}` is negative ({amount})")]
    Negative { field: &'static str, amount: Fen },
}

/// One scheme's rules for one service type: [`adjudicate`]'s arithmetic,
/// which the simulator runs on its own visits without writing a claim.
#[derive(Debug, Clone, Copy)]
pub struct Tariff<'r> {
    rules: &'r ServiceRules,
    scheme_cap: Option<Fen>,
    service: ServiceType,
}

/// Where the rule lines of an adjudication go: a claim keeps them, a
/// simulated visit does not (and never formats their text).
trait Lines {
    fn line(&mut self, code: RuleCode, text: &dyn Fn() -> String, amount: Fen);
}

impl Lines for Vec<RuleLine> {
    fn line(&mut self, code: RuleCode, text: &dyn Fn() -> String, amount: Fen) {
        self.push(RuleLine {
            code,
            text: text(),
            amount,
        });
    }
}

struct NoLines;

impl Lines for NoLines {
    fn line(&mut self, _: RuleCode, _: &dyn Fn() -> String, _: Fen) {}
}

impl<'r> Tariff<'r> {
    /// The tariff of one service type's rules, under the scheme's overall
    /// cap.
    pub fn new(
        rules: &'r ServiceRules,
        scheme_cap: Option<Fen>,
        service: ServiceType,
    ) -> Tariff<'r> {
        Tariff {
            rules,
            scheme_cap,
            service,
        }
    }

    /// The tariff of a scheme (by code) for a service type.
    pub fn of(rules: &'r InsuranceRules, scheme: &str, service: ServiceType) -> Option<Tariff<'r>> {
        let s = rules.scheme(scheme)?;
        Some(Tariff {
            rules: s.service(service),
            scheme_cap: s.annual_cap_fen,
            service,
        })
    }

    /// Prices a visit given what the resident has used this year, and
    /// counts it into `used`: exactly what [`adjudicate`] would pay.
    pub fn settle(&self, terms: &Terms, used: &mut YearUse) -> Result<Split, TariffError> {
        self.apply(terms, used, &mut NoLines)
            .map(|(split, _)| split)
    }

    /// In order: the deductible due (annual: what is left of it this year;
    /// per admission: all of it), less any waiver for a referral; the
    /// level's rate on the rest, less a bypass penalty, plus the
    /// contracted-institution bonus; then the caps.
    fn apply(
        &self,
        visit: &Terms,
        used: &mut YearUse,
        lines: &mut dyn Lines,
    ) -> Result<(Split, Rate), TariffError> {
        for (field, amount) in [
            ("total", visit.total),
            ("episode_deductible_paid", visit.episode_deductible_paid),
        ] {
            if amount.is_negative() {
                return Err(TariffError::Negative { field, amount });
            }
        }
        let rules_s = self.rules;
        let service = self.service;
        let row = rules_s
            .level(visit.level)
            .ok_or(TariffError::MissingLevel)?;
        let total = visit.total;

        // The deductible.
        let annual = rules_s.deductible == DeductibleBasis::Annual;
        let met = used.deductible_met;
        let mut due = if annual {
            row.deductible_fen.minus_floor_zero(met)
        } else {
            row.deductible_fen
        };
        let basis_text = || {
            if annual {
                format!(
                    "annual {service} deductible at {} level {}, {} already met this year",
                    visit.level, row.deductible_fen, met
                )
            } else {
                format!(
                    "{service} deductible per admission at {} level {}",
                    visit.level, row.deductible_fen
                )
            }
        };
        match visit.referral {
            Some(ReferralDirection::Down)
                if rules_s.waive_deductible_on_downward && due > Fen::ZERO =>
            {
                lines.line(
                    RuleCode::DownwardWaiver,
                    &|| format!("deductible of {due} waived after a downward referral"),
                    due,
                );
                due = Fen::ZERO;
            }
            Some(ReferralDirection::Up) if due > Fen::ZERO => match rules_s.after_upward_referral {
                AfterUpwardReferral::Full => {}
                AfterUpwardReferral::Waived => {
                    lines.line(
                        RuleCode::UpwardWaiver,
                        &|| format!("deductible of {due} waived after an upward referral"),
                        due,
                    );
                    due = Fen::ZERO;
                }
                // An annual deductible already counts what the episode paid
                // (it is in the accumulator), so only a per-admission one is
                // reduced here.
                AfterUpwardReferral::TopUp if !annual => {
                    let paid = visit.episode_deductible_paid;
                    let top_up = due.minus_floor_zero(paid);
                    lines.line(
                        RuleCode::UpwardTopUp,
                        &|| {
                            format!(
                                "after an upward referral only the difference is due: {due} less \
                                 {paid} already paid in this episode"
                            )
                        },
                        due.saturating_sub(top_up),
                    );
                    due = top_up;
                }
                AfterUpwardReferral::TopUp => {}
            },
            _ => {}
        }
        let deductible = due.min(total);
        lines.line(
            RuleCode::Deductible,
            &|| format!("{}: {deductible} paid by the patient", basis_text()),
            deductible,
        );
        if annual {
            used.deductible_met = used.deductible_met.saturating_add(deductible);
        }

        // The rate on the rest.
        let eligible = total.saturating_sub(deductible);
        let base = row.rate_bp;
        let mut share = eligible.apply_rate(base);
        lines.line(
            RuleCode::Rate,
            &|| format!("{base} of {eligible} at {} level", visit.level),
            share,
        );
        let mut rate = base;
        if visit.is_bypass() && rules_s.bypass_penalty_bp > Rate::ZERO {
            let lower = rate.minus(rules_s.bypass_penalty_bp);
            let after = eligible.apply_rate(lower);
            lines.line(
                RuleCode::BypassPenalty,
                &|| {
                    format!(
                        "self-referred at {} level without a referral: rate {rate} - {} = {lower}",
                        visit.level, rules_s.bypass_penalty_bp
                    )
                },
                after.saturating_sub(share),
            );
            rate = lower;
            share = after;
        }
        if visit.level == Level::Primary
            && visit.at_contracted_primary
            && rules_s.contracted_bonus_bp > Rate::ZERO
        {
            let higher = rate.plus_capped(rules_s.contracted_bonus_bp);
            let after = eligible.apply_rate(higher);
            lines.line(
                RuleCode::ContractBonus,
                &|| {
                    format!(
                        "at the resident's contracted primary institution: rate {rate} + {} = \
                         {higher} (at most 100%)",
                        rules_s.contracted_bonus_bp
                    )
                },
                after.saturating_sub(share),
            );
            rate = higher;
            share = after;
        }

        // The caps.
        let service_left = rules_s.annual_cap_fen.minus_floor_zero(used.reimbursed);
        if share > service_left {
            lines.line(
                RuleCode::ServiceCap,
                &|| {
                    format!(
                        "annual {service} cap {}: {service_left} left this year",
                        rules_s.annual_cap_fen
                    )
                },
                service_left.saturating_sub(share),
            );
            share = service_left;
        }
        if let Some(cap) = self.scheme_cap {
            let left = cap.minus_floor_zero(used.reimbursed_total);
            if share > left {
                lines.line(
                    RuleCode::SchemeCap,
                    &|| format!("annual cap of the scheme {cap}: {left} left this year"),
                    left.saturating_sub(share),
                );
                share = left;
            }
        }
        used.reimbursed = used.reimbursed.saturating_add(share);
        used.reimbursed_total = used.reimbursed_total.saturating_add(share);

        Ok((
            Split {
                total,
                deductible,
                covered: share,
                out_of_pocket: total.saturating_sub(share),
            },
            rate,
        ))
    }
}

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
