//! The tariff: the price of one visit under one scheme's rules for one
//! service type.
//!
//! [`Tariff`] holds the arithmetic every price in tiercare comes from: the
//! deductible due (and its waivers after a referral), the level's rate with
//! the bypass penalty and the contracted-institution bonus, then the annual
//! caps. It works on [`Terms`], the parts of a visit that decide its price,
//! and on the resident's [`YearUse`], so the simulator can run it on
//! millions of visits without writing a claim. A claim runs the very same
//! code through [`adjudicate`](super::adjudicate()), keeping the
//! [`RuleLine`]s that explain the [`Split`]; the simulator keeps none and
//! never formats their text.

use super::{
    AfterUpwardReferral, DeductibleBasis, Fen, InsuranceRules, Rate, ServiceRules, ServiceType,
    YearUse,
};
use crate::Level;
use crate::level::coded_enum;
use serde::{Deserialize, Serialize};

/// The direction of the referral a visit follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferralDirection {
    /// Referred up from a lower level within the same episode of care.
    Up,
    /// Referred down (back) from a higher level.
    Down,
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

/// Why a tariff could not price a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    #[error("the scheme has no rules for the visit's level")]
    MissingLevel,
    #[error("`{field}` is negative ({amount})")]
    Negative { field: &'static str, amount: Fen },
}

/// One scheme's rules for one service type: the arithmetic of
/// [`adjudicate`](super::adjudicate()), which the simulator runs on its own
/// visits without writing a claim.
#[derive(Debug, Clone, Copy)]
pub struct Tariff<'r> {
    rules: &'r ServiceRules,
    scheme_cap: Option<Fen>,
    service: ServiceType,
}

/// Where the rule lines of an adjudication go: a claim keeps them, a
/// simulated visit does not (and never formats their text).
pub(super) trait Lines {
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
    /// counts it into `used`: exactly what [`adjudicate`](super::adjudicate())
    /// would pay.
    pub fn settle(&self, terms: &Terms, used: &mut YearUse) -> Result<Split, TariffError> {
        self.apply(terms, used, &mut NoLines)
            .map(|(split, _)| split)
    }

    /// In order: the deductible due (annual: what is left of it this year;
    /// per admission: all of it), less any waiver for a referral; the
    /// level's rate on the rest, less a bypass penalty, plus the
    /// contracted-institution bonus; then the caps.
    pub(super) fn apply(
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
