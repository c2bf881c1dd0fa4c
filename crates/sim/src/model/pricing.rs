//! Prices: every visit's price on a fresh year, and the terms a visit is
//! settled on, from the scheme's outpatient rules and the region's typical
//! charges.

use super::{Price, PriceKind};
use tiercare_core::Level;
use tiercare_core::insurance::{
    DeductibleBasis, Fen, ReferralDirection, ServiceRules, ServiceType, Tariff, Terms, YearUse,
};

pub(super) fn prices(
    outpatient: &[(ServiceRules, Option<Fen>)],
    charges: [Fen; 3],
) -> Vec<[[[Price; 2]; 4]; 3]> {
    let kinds = [
        PriceKind::SelfReferred,
        PriceKind::ReferredUp,
        PriceKind::ReferredDown,
        PriceKind::FollowUp,
    ];
    outpatient
        .iter()
        .map(|(rules, cap)| {
            let tariff = Tariff::new(rules, *cap, ServiceType::Outpatient);
            let mut table = [[[Price::default(); 2]; 4]; 3];
            for level in Level::ALL {
                for (k, kind) in kinds.into_iter().enumerate() {
                    for own in [false, true] {
                        let terms = terms(charges, level, kind, own, false);
                        table[level.index()][k][usize::from(own)] =
                            settle(&tariff, &terms, &mut YearUse::default());
                    }
                }
            }
            table
        })
        .collect()
}

/// A visit's price under a tariff. A visit the rules cannot price (they
/// were validated, so this does not happen) is paid in full by the patient.
pub(super) fn settle(tariff: &Tariff, terms: &Terms, used: &mut YearUse) -> Price {
    match tariff.settle(terms, used) {
        Ok(split) => Price {
            cost: split.total,
            out_of_pocket: split.out_of_pocket,
        },
        Err(_) => Price {
            cost: terms.total,
            out_of_pocket: terms.total,
        },
    }
}

/// The pricing terms of an outpatient visit at the typical charge.
pub(super) fn terms(
    charges: [Fen; 3],
    level: Level,
    kind: PriceKind,
    own_primary: bool,
    emergency: bool,
) -> Terms {
    Terms {
        level,
        total: charges[level.index()],
        referral: match kind {
            PriceKind::ReferredUp => Some(ReferralDirection::Up),
            PriceKind::ReferredDown => Some(ReferralDirection::Down),
            _ => None,
        },
        follow_up: kind == PriceKind::FollowUp,
        emergency,
        at_contracted_primary: own_primary && level == Level::Primary,
        episode_deductible_paid: Fen::ZERO,
    }
}

/// Whether a resident's year changes prices: an annual deductible, or a
/// cap reachable within a thousand visits.
pub(super) fn year_matters(outpatient: &[(ServiceRules, Option<Fen>)], charges: [Fen; 3]) -> bool {
    let most = charges
        .iter()
        .map(|c| c.fen())
        .max()
        .unwrap_or(0)
        .saturating_mul(1000);
    outpatient.iter().any(|(rules, cap)| {
        let deductible = rules.deductible == DeductibleBasis::Annual
            && Level::ALL
                .iter()
                .any(|&l| rules.level(l).is_some_and(|r| r.deductible_fen > Fen::ZERO));
        deductible || rules.annual_cap_fen.fen() < most || cap.is_some_and(|c| c.fen() < most)
    })
}
