//! The resource flows as named measures, defined once next to the flows
//! (like the oversight indicators, [`crate::indicators::measures`]) so
//! FHIR `Measure`s, `MeasureReport`s and the pages describe each figure
//! the same way: one measure per [`FlowKind`], the amount in its unit, and
//! the partnerships by class.
//!
//! A report is over an alliance (or the region) and stratified by
//! partnership: one stratum per direction of every pair with a flow, its
//! figures what that giver gave that receiver ([`FlowFigures::of_pair`]).

use super::{Amounts, FlowKind, FlowNetwork, KINDS, Partnership, PartnershipClass};
use crate::indicators::Ix;
use crate::indicators::measures::{
    Better, MeasureDef, Population, Scoring, denominator, measured, numerator, observed,
};

/// The figures the flow measures read: of a whole network, or of one
/// giver → receiver pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowFigures {
    /// What was given, by kind, in each kind's unit (fen for money).
    pub amounts: Amounts,
    /// Giver → receiver pairs with a flow of each kind.
    pub pairs: Amounts,
    /// Partnerships by class, in [`PartnershipClass::ALL`] order.
    pub classes: [u64; 3],
}

fn class_index(c: PartnershipClass) -> usize {
    PartnershipClass::ALL
        .iter()
        .position(|&x| x == c)
        .unwrap_or(0)
}

impl FlowFigures {
    /// The figures of a whole network and its partnerships.
    pub fn of_network(network: &FlowNetwork, partnerships: &[Partnership]) -> FlowFigures {
        let mut f = FlowFigures::default();
        for e in network.edges().filter(|e| e.from != e.to) {
            for k in 0..KINDS {
                f.amounts[k] += e.total[k];
                f.pairs[k] += u64::from(e.total[k] > 0);
            }
        }
        for p in partnerships {
            f.classes[class_index(p.class)] += 1;
        }
        f
    }

    /// What `from` gave `to`, and the partnership the pair is (counted
    /// once in each direction's stratum).
    pub fn of_pair(network: &FlowNetwork, partnership: &Partnership, from: Ix, to: Ix) -> Self {
        let mut f = FlowFigures::default();
        if let Some(e) = network.edge(from, to) {
            f.amounts = e.total;
            for k in 0..KINDS {
                f.pairs[k] = u64::from(e.total[k] > 0);
            }
        }
        f.classes[class_index(partnership.class)] = 1;
        f
    }

    /// Every partnership.
    pub fn partnerships(&self) -> u64 {
        self.classes.iter().sum()
    }
}

/// Both directions of every partnership, lower number giving first: the
/// strata of a report, each with its figures.
pub fn pair_strata(
    network: &FlowNetwork,
    partnerships: &[Partnership],
) -> Vec<(Ix, Ix, FlowFigures)> {
    partnerships
        .iter()
        .flat_map(|p| {
            [(p.a, p.b), (p.b, p.a)]
                .map(|(from, to)| (from, to, FlowFigures::of_pair(network, p, from, to)))
        })
        .collect()
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn amount<const K: usize>(f: &FlowFigures) -> Option<f64> {
    Some(f.amounts[K] as f64)
}

/// Money is scored in yuan, as the insurance indicators are; it is
/// counted in fen.
fn yuan<const K: usize>(f: &FlowFigures) -> Option<f64> {
    Some(f.amounts[K] as f64 / 100.0)
}

fn pairs<const K: usize>(f: &FlowFigures) -> i64 {
    int(f.pairs[K])
}

const SUMMED: &str =
    "What the giver gave the receiver, summed over the period; the score is the sum.";

const PAIRS: &str = "Giver → receiver pairs of the subject's institutions with a flow of the kind \
                     in the period.";

const fn kind<const K: usize>(
    code: &'static str,
    title: &'static str,
    definition: &'static str,
    unit: &'static str,
    populations: &'static [Population<FlowFigures>],
) -> MeasureDef<FlowFigures> {
    MeasureDef {
        code,
        title,
        definition,
        scoring: Scoring::ContinuousVariable,
        unit,
        // A flow describes; whether more is better depends on what comes
        // back, which the partnership measures judge.
        better: Better::Neither,
        reference: None,
        value: if K == FlowKind::Money as usize {
            yuan::<K>
        } else {
            amount::<K>
        },
        populations,
    }
}

fn class<const C: usize>(f: &FlowFigures) -> Option<f64> {
    Some(f.classes[C] as f64)
}

fn class_count<const C: usize>(f: &FlowFigures) -> i64 {
    int(f.classes[C])
}

const fn partnership_count<const C: usize>(
    code: &'static str,
    title: &'static str,
    definition: &'static str,
    better: Better,
    populations: &'static [Population<FlowFigures>],
) -> MeasureDef<FlowFigures> {
    MeasureDef {
        code,
        title,
        definition,
        scoring: Scoring::ContinuousVariable,
        unit: "1",
        better,
        reference: None,
        value: class::<C>,
        populations,
    }
}

const PARTNERSHIPS: &str = "Pairs of the subject's institutions with a flow between them in \
                            the period (partnerships) of the class.";
const COUNTED: &str = "Each counts 1; the score is their number.";

const SH: usize = FlowKind::SpecialistHours as usize;
const UP: usize = FlowKind::PatientsUp as usize;
const DOWN: usize = FlowKind::PatientsDown as usize;
const SLOTS: usize = FlowKind::ReservedSlots as usize;
const BEDS: usize = FlowKind::ReservedBeds as usize;
const READ: usize = FlowKind::Readings as usize;
const MENTOR: usize = FlowKind::Mentoring as usize;
const MEDS: usize = FlowKind::MedicinesAligned as usize;
const MONEY: usize = FlowKind::Money as usize;
const ONE_WAY: usize = PartnershipClass::OneWay as usize;
const COMMENSAL: usize = PartnershipClass::Commensal as usize;
const MUTUAL: usize = PartnershipClass::Mutual as usize;

/// Every flow measure: one per kind in [`FlowKind::ALL`] order (code
/// `flow-{kind}`), then the partnerships by class and the mutual share.
pub const FLOW_MEASURES: &[MeasureDef<FlowFigures>] = &[
    kind::<SH>(
        "flow-specialist-hours",
        "Specialist hours on site",
        "Minutes of outreach sessions held, each given by the programme's hospital to its \
         primary institution on the session's day.",
        "min",
        &[
            measured(PAIRS, pairs::<SH>),
            observed("The minutes of each session held; the score is their sum."),
        ],
    ),
    kind::<UP>(
        "flow-patients-up",
        "Patients referred up",
        "Patients of upward referrals who arrived, each given by the referring institution \
         to the receiver on the day of arrival.",
        "1",
        &[measured(PAIRS, pairs::<UP>), observed(SUMMED)],
    ),
    kind::<DOWN>(
        "flow-patients-down",
        "Patients referred down",
        "Patients of downward referrals who arrived, each given by the referring hospital to \
         the receiver on the day of arrival.",
        "1",
        &[measured(PAIRS, pairs::<DOWN>), observed(SUMMED)],
    ),
    kind::<SLOTS>(
        "flow-reserved-slots",
        "Reserved slots used",
        "Referrals booked into a slot the receiving hospital kept for referrals, each given \
         by the hospital to the referring institution on the slot's day.",
        "1",
        &[measured(PAIRS, pairs::<SLOTS>), observed(SUMMED)],
    ),
    kind::<BEDS>(
        "flow-reserved-beds",
        "Reserved beds used",
        "Referrals that took a bed the receiving hospital kept for upward referrals, each \
         given by the hospital to the referring institution on the day of admission.",
        "1",
        &[measured(PAIRS, pairs::<BEDS>), observed(SUMMED)],
    ),
    kind::<READ>(
        "flow-remote-readings",
        "Remote readings",
        "Studies a hub reported, each given by the hub's institution to the ordering member \
         on the day of the report.",
        "1",
        &[measured(PAIRS, pairs::<READ>), observed(SUMMED)],
    ),
    kind::<MENTOR>(
        "flow-mentoring",
        "Doctors mentored",
        "Mentored doctors at mentoring activities, each doctor at each activity given by the \
         specialist's institution to the doctor's on the activity's day.",
        "1",
        &[measured(PAIRS, pairs::<MENTOR>), observed(SUMMED)],
    ),
    kind::<MEDS>(
        "flow-medicines-aligned",
        "Medicines aligned",
        "Prescriptions of downward care plans that the receiving primary institution stocks, \
         given by the hospital to the primary institution on the day the plan was drawn up.",
        "1",
        &[measured(PAIRS, pairs::<MEDS>), observed(SUMMED)],
    ),
    kind::<MONEY>(
        "flow-money",
        "Money",
        "The fund's share of the claims of visits given on a referral, in yuan, given by the \
         referring institution (out of what the alliance's budget keeps for its residents) \
         to the institution that gave the care, on the day the visit ended; and the hub's \
         share of a remote reading's fee, given by the ordering member to the hub's \
         institution on the day it was reported.",
        "[CNY]",
        &[
            measured(PAIRS, pairs::<MONEY>),
            observed(
                "The fund's share of each claim and the hub's share of each reading fee, in \
                 yuan; the score is their sum.",
            ),
        ],
    ),
    partnership_count::<ONE_WAY>(
        "partnerships-one-way",
        "One-way partnerships",
        "Pairs of institutions with a flow between them in the period where one side \
         received nothing of value (the region's [flows] weights).",
        Better::Lower,
        &[
            measured(PARTNERSHIPS, class_count::<ONE_WAY>),
            observed(COUNTED),
        ],
    ),
    partnership_count::<COMMENSAL>(
        "partnerships-commensal",
        "Commensal partnerships",
        "Pairs of institutions with a flow between them in the period where both received, \
         the lesser side less than the region's balance share of what the greater received.",
        Better::Neither,
        &[
            measured(PARTNERSHIPS, class_count::<COMMENSAL>),
            observed(COUNTED),
        ],
    ),
    partnership_count::<MUTUAL>(
        "partnerships-mutual",
        "Mutual partnerships",
        "Pairs of institutions with a flow between them in the period where each received at \
         least the region's balance share of what the other received.",
        Better::Higher,
        &[
            measured(PARTNERSHIPS, class_count::<MUTUAL>),
            observed(COUNTED),
        ],
    ),
    MeasureDef {
        code: "partnerships-mutual-share",
        title: "Mutual partnership share",
        definition: "Mutual partnerships / partnerships (pairs of institutions with a flow \
                     between them in the period).",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |f| {
            let all = f.partnerships();
            (all > 0).then(|| f.classes[MUTUAL] as f64 / all as f64)
        },
        populations: &[
            numerator("Mutual partnerships in the period.", class_count::<MUTUAL>),
            denominator("Partnerships in the period.", |f| int(f.partnerships())),
        ],
    },
];

/// The flow measure with this code.
pub fn flow_measure(code: &str) -> Option<&'static MeasureDef<FlowFigures>> {
    FLOW_MEASURES.iter().find(|m| m.code == code)
}

/// The measure of a kind.
pub fn of_kind(kind: FlowKind) -> &'static MeasureDef<FlowFigures> {
    &FLOW_MEASURES[kind.index()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::FlowRules;

    #[test]
    fn every_kind_has_its_measure_in_its_unit() {
        for &k in FlowKind::ALL {
            let m = of_kind(k);
            assert_eq!(m.code, format!("flow-{}", k.code()));
            assert_eq!(m.title, k.display());
            let unit = match k.unit() {
                super::super::FlowUnit::Minutes => "min",
                super::super::FlowUnit::Fen => "[CNY]",
                super::super::FlowUnit::Count => "1",
            };
            assert_eq!(m.unit, unit, "{k}");
        }
        let mut codes: Vec<&str> = FLOW_MEASURES.iter().map(|m| m.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), FLOW_MEASURES.len());
        for (c, code) in PartnershipClass::ALL
            .iter()
            .zip([ONE_WAY, COMMENSAL, MUTUAL])
        {
            assert_eq!(class_index(*c), code);
            assert!(flow_measure(&format!("partnerships-{}", c.code())).is_some());
        }
    }

    #[test]
    fn a_pair_stratum_is_what_one_side_gave_the_other() {
        let (h, t) = (Ix(0), Ix(1));
        let mut n = FlowNetwork::new();
        n.add(100, h, t, FlowKind::SpecialistHours, 120);
        n.add(130, h, t, FlowKind::Money, 12_345);
        n.add(101, t, h, FlowKind::PatientsUp, 3);
        let p = n.partnerships(&FlowRules::default());
        let whole = FlowFigures::of_network(&n, &p);
        assert_eq!(whole.partnerships(), 1);
        let strata = pair_strata(&n, &p);
        assert_eq!(
            strata.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(),
            [(h, t), (t, h)]
        );
        let money = of_kind(FlowKind::Money);
        assert_eq!((money.value)(&strata[0].2), Some(123.45));
        assert_eq!((money.value)(&strata[1].2), Some(0.0));
        let up = of_kind(FlowKind::PatientsUp);
        assert_eq!((up.value)(&strata[1].2), Some(3.0));
        assert_eq!((up.value)(&whole), Some(3.0));
        assert_eq!(
            (of_kind(FlowKind::SpecialistHours).populations[0]
                .count
                .unwrap())(&whole),
            1
        );
        // Two hours (four points) against three patients: mutual.
        let share = flow_measure("partnerships-mutual-share").unwrap();
        assert_eq!((share.value)(&whole), Some(1.0));
        assert_eq!((share.value)(&FlowFigures::default()), None);
    }
}
