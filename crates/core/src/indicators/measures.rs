//! The indicators as named measures: one entry per figure a health
//! commission follows, with its definition in words, so that FHIR
//! `Measure` resources, reports and dashboards all describe the same
//! number the same way.

use super::Indicators;

mod readings;

/// How a measure's value is formed (FHIR `Measure.scoring`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoring {
    /// A numerator that is a subset of the denominator (a share).
    Proportion,
    /// Two counts of different things.
    Ratio,
    /// A count, sum or mean over a population.
    ContinuousVariable,
}

impl Scoring {
    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            Scoring::Proportion => "proportion",
            Scoring::Ratio => "ratio",
            Scoring::ContinuousVariable => "continuous-variable",
        }
    }
}

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    /// No direction is better in itself (a count).
    Neither,
}

impl Better {
    /// The FHIR `improvementNotation` code, if the measure has one.
    pub fn code(self) -> Option<&'static str> {
        match self {
            Better::Higher => Some("increase"),
            Better::Lower => Some("decrease"),
            Better::Neither => None,
        }
    }
}

/// What a population of a measure is (FHIR `Measure.group.population.code`,
/// from http://terminology.hl7.org/CodeSystem/measure-population).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopulationKind {
    /// Proportions and ratios: what is counted above the line.
    Numerator,
    /// Proportions and ratios: what is counted below the line.
    Denominator,
    /// Continuous variables: what the observation is taken over.
    MeasurePopulation,
    /// Continuous variables: the value taken of each member.
    MeasureObservation,
}

impl PopulationKind {
    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            PopulationKind::Numerator => "numerator",
            PopulationKind::Denominator => "denominator",
            PopulationKind::MeasurePopulation => "measure-population",
            PopulationKind::MeasureObservation => "measure-observation",
        }
    }

    /// The FHIR display.
    pub fn display(self) -> &'static str {
        match self {
            PopulationKind::Numerator => "Numerator",
            PopulationKind::Denominator => "Denominator",
            PopulationKind::MeasurePopulation => "Measure Population",
            PopulationKind::MeasureObservation => "Measure Observation",
        }
    }
}

/// One population of a measure: what it holds, in words, and how many
/// there are in computed figures. Reports state the counts next to the
/// score so a reader sees what a share is a share of. `T` is what the
/// figures are: the oversight [`Indicators`] by default, or another family
/// of figures (a joint programme's evaluation) measured the same way.
#[derive(Debug)]
pub struct Population<T: 'static = Indicators> {
    pub kind: PopulationKind,
    /// What belongs to the population, in words.
    pub criteria: &'static str,
    /// Its size, read from the figures; `None` when it is not a count of
    /// things (amounts of money, an observation taken of each member).
    pub count: Option<fn(&T) -> i64>,
}

impl<T> Clone for Population<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Population<T> {}

/// One indicator as a named measure.
#[derive(Debug)]
pub struct MeasureDef<T: 'static = Indicators> {
    /// Stable code, also the FHIR `Measure.id`.
    pub code: &'static str,
    pub title: &'static str,
    /// The definition, as in the module documentation of `indicators`.
    pub definition: &'static str,
    pub scoring: Scoring,
    /// UCUM unit of the value (`1` for shares and counts).
    pub unit: &'static str,
    pub better: Better,
    /// A reference figure from DOMAIN.md, if there is one.
    pub reference: Option<&'static str>,
    /// Reads the value from computed indicators.
    pub value: fn(&T) -> Option<f64>,
    /// Numerator and denominator (proportions and ratios), or measure
    /// population and observation (continuous variables).
    pub populations: &'static [Population<T>],
}

impl<T> Clone for MeasureDef<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for MeasureDef<T> {}

fn count(n: u64) -> Option<f64> {
    Some(n as f64)
}

/// A count as FHIR's integer (counts never come near `i64::MAX`).
fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A numerator population counted by `count`.
pub const fn numerator<T>(criteria: &'static str, count: fn(&T) -> i64) -> Population<T> {
    Population {
        kind: PopulationKind::Numerator,
        criteria,
        count: Some(count),
    }
}

/// A denominator population counted by `count`.
pub const fn denominator<T>(criteria: &'static str, count: fn(&T) -> i64) -> Population<T> {
    Population {
        kind: PopulationKind::Denominator,
        criteria,
        count: Some(count),
    }
}

/// The population a continuous variable is taken over.
pub const fn measured<T>(criteria: &'static str, count: fn(&T) -> i64) -> Population<T> {
    Population {
        kind: PopulationKind::MeasurePopulation,
        criteria,
        count: Some(count),
    }
}

/// The value a continuous variable takes of each member.
pub const fn observed<T>(criteria: &'static str) -> Population<T> {
    Population {
        kind: PopulationKind::MeasureObservation,
        criteria,
        count: None,
    }
}

const COUNTED: &str = "Each counts 1; the score is their number.";

/// Every measure, in the order a dashboard shows them.
pub const MEASURES: &[MeasureDef] = &[
    MeasureDef {
        code: "primary-visit-share",
        title: "Primary visit share",
        definition: "Outpatient visits at primary institutions / all outpatient visits.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: Some("China 2024: 51.7%; policy aims at 65% or more"),
        value: |i| i.primary_visit_share,
        populations: &[
            numerator(
                "Outpatient visits at primary institutions in the period.",
                |i| int(i.levels[0].outpatient_visits),
            ),
            denominator("Outpatient visits in the period.", |i| {
                int(i.outpatient_visits)
            }),
        ],
    },
    MeasureDef {
        code: "county-retention",
        title: "County retention",
        definition: "Visits by the region's residents at institutions inside the region / all \
                     visits by the region's residents.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: Some("national target 90%"),
        value: |i| i.county_retention,
        populations: &[
            numerator(
                "Visits and admissions of the region's residents at institutions inside the \
                 region in the period.",
                |i| int(i.tally.resident_visits_inside),
            ),
            denominator(
                "Visits and admissions of the region's residents in the period.",
                |i| int(i.tally.institutions.visits_by_residents),
            ),
        ],
    },
    MeasureDef {
        code: "referrals-up",
        title: "Upward referrals",
        definition: "Referrals from a lower to a higher level requested in the period.",
        scoring: Scoring::ContinuousVariable,
        unit: "1",
        better: Better::Neither,
        reference: None,
        value: |i| count(i.referrals_up),
        populations: &[
            measured("Upward referrals requested in the period.", |i| {
                int(i.referrals_up)
            }),
            observed(COUNTED),
        ],
    },
    MeasureDef {
        code: "referrals-down",
        title: "Downward referrals",
        definition: "Referrals from a higher to a lower level requested in the period.",
        scoring: Scoring::ContinuousVariable,
        unit: "1",
        better: Better::Neither,
        reference: None,
        value: |i| count(i.referrals_down),
        populations: &[
            measured("Downward referrals requested in the period.", |i| {
                int(i.referrals_down)
            }),
            observed(COUNTED),
        ],
    },
    MeasureDef {
        code: "down-up-ratio",
        title: "Down/up referral ratio",
        definition: "Downward referrals / upward referrals requested in the period.",
        scoring: Scoring::Ratio,
        unit: "1",
        better: Better::Higher,
        reference: Some("usually far below 1"),
        value: |i| i.down_up_ratio,
        populations: &[
            numerator("Downward referrals requested in the period.", |i| {
                int(i.referrals_down)
            }),
            denominator("Upward referrals requested in the period.", |i| {
                int(i.referrals_up)
            }),
        ],
    },
    MeasureDef {
        code: "loop-closure",
        title: "Referral loop closure",
        definition: "Referrals completed with a result report back to the referrer / \
                     referrals completed, of the referrals the subject sent in the period \
                     (each step counts on the day the referral was requested).",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |i| i.loop_closure,
        populations: &[
            numerator(
                "Referrals requested in the period, completed with a result report back to the \
                 referrer.",
                |i| int(i.tally.institutions.sent.reported),
            ),
            denominator("Referrals requested in the period and completed.", |i| {
                int(i.tally.institutions.sent.completed)
            }),
        ],
    },
    MeasureDef {
        code: "time-to-appointment",
        title: "Time to appointment",
        definition: "Mean days from a referral's request to the day of the visit it booked, \
                     over the referrals the subject sent in the period.",
        scoring: Scoring::ContinuousVariable,
        unit: "d",
        better: Better::Lower,
        reference: None,
        value: |i| i.time_to_appointment_days,
        populations: &[
            measured(
                "Referrals requested in the period whose visit was booked.",
                |i| int(i.tally.institutions.sent.booked),
            ),
            observed(
                "Days from the referral's request to the day of the visit it booked; the score \
                 is their mean.",
            ),
        ],
    },
    MeasureDef {
        code: "bypass-share",
        title: "Bypass share",
        definition: "Self-referred outpatient visits at secondary or tertiary institutions for \
                     cases positioned at primary level (no referral, not a follow-up, not an \
                     emergency) / all outpatient visits at secondary and tertiary institutions.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Lower,
        reference: None,
        value: |i| i.bypass_share,
        populations: &[
            numerator(
                "Self-referred outpatient visits at secondary or tertiary institutions in the \
                 period for cases positioned at primary level (no referral, not a follow-up, \
                 not an emergency).",
                |i| int(i.tally.institutions.bypass),
            ),
            denominator(
                "Outpatient visits at secondary and tertiary institutions in the period.",
                |i| int(i.levels[1].outpatient_visits + i.levels[2].outpatient_visits),
            ),
        ],
    },
    MeasureDef {
        code: "over-use-share",
        title: "Positioning mismatch: over-use",
        definition: "First-contact visits at a level above the case's positioning / \
                     first-contact visits.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Lower,
        reference: None,
        value: |i| i.over_use_share,
        populations: &[
            numerator(
                "First-contact visits in the period at a level above the case's positioning.",
                |i| int(i.tally.institutions.over_use),
            ),
            denominator(
                "First-contact visits in the period (the visits patients chose themselves).",
                |i| int(i.first_contacts),
            ),
        ],
    },
    MeasureDef {
        code: "under-capacity-share",
        title: "Positioning mismatch: under-capacity",
        definition: "First-contact visits at a level below the case's positioning (then \
                     referred up) / first-contact visits.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Lower,
        reference: None,
        value: |i| i.under_capacity_share,
        populations: &[
            numerator(
                "First-contact visits in the period at a level below the case's positioning.",
                |i| int(i.tally.institutions.under_capacity),
            ),
            denominator(
                "First-contact visits in the period (the visits patients chose themselves).",
                |i| int(i.first_contacts),
            ),
        ],
    },
    MeasureDef {
        code: "expenditure-per-visit",
        title: "Expenditure per visit",
        definition: "Total charges / visits with a claim, in yuan.",
        scoring: Scoring::ContinuousVariable,
        unit: "[CNY]",
        better: Better::Lower,
        reference: Some("Hangzhou 2011: about 226 yuan per hospital visit, 86 per CHC visit"),
        value: |i| i.expenditure_per_visit_yuan,
        populations: &[
            measured("Visits in the period with a claim.", |i| {
                int(i.tally.institutions.charged)
            }),
            observed("The visit's total charge in yuan; the score is their mean."),
        ],
    },
    MeasureDef {
        code: "out-of-pocket-share",
        title: "Out-of-pocket share",
        definition: "Paid by patients / total charges.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Lower,
        reference: None,
        value: |i| i.out_of_pocket_share,
        populations: &[
            Population {
                kind: PopulationKind::Numerator,
                criteria: "Yuan paid by patients on the claims of the period's visits.",
                count: None,
            },
            Population {
                kind: PopulationKind::Denominator,
                criteria: "Yuan charged on the claims of the period's visits.",
                count: None,
            },
        ],
    },
    MeasureDef {
        code: "chronic-management",
        title: "Chronic management",
        definition: "Known hypertension and diabetes patients with a follow-up at primary level \
                     within the last 90 days / known patients, at the end of the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |i| i.chronic_management,
        populations: &[
            numerator(
                "Known hypertension and diabetes patients with a follow-up at primary level \
                 within the last 90 days, at the end of the period.",
                |i| i.tally.institutions.chronic_followed,
            ),
            denominator(
                "Known hypertension and diabetes patients, at the end of the period.",
                |i| i.tally.institutions.chronic_known,
            ),
        ],
    },
    MeasureDef {
        code: "contract-coverage",
        title: "Contract coverage",
        definition: "Residents with a family-doctor contract / residents, at the end of the \
                     period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |i| i.contract_coverage,
        populations: &[
            numerator(
                "Residents with a family-doctor contract, at the end of the period.",
                |i| i.tally.institutions.contracts,
            ),
            denominator("Residents of the region, at the end of the period.", |i| {
                i.tally.region.residents
            }),
        ],
    },
    MeasureDef {
        code: "key-group-contract-coverage",
        title: "Contract coverage of key groups",
        definition: "Key-group residents with a family-doctor contract / key-group residents, \
                     at the end of the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: Some("ZX City: 100% of key groups"),
        value: |i| i.key_group_contract_coverage,
        populations: &[
            numerator(
                "Key-group residents with a family-doctor contract, at the end of the period.",
                |i| i.tally.institutions.key_group_contracts,
            ),
            denominator(
                "Key-group residents of the region, at the end of the period.",
                |i| i.tally.region.key_group_residents,
            ),
        ],
    },
    MeasureDef {
        code: "access",
        title: "Access within 15 minutes",
        definition: "Residents within 15 minutes of the nearest institution / residents whose \
                     travel time is known, at the end of the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: Some("national target 100% by 2027"),
        value: |i| i.access,
        populations: &[
            numerator(
                "Residents within 15 minutes of the nearest institution, at the end of the \
                 period.",
                |i| i.tally.region.within_access,
            ),
            denominator(
                "Residents of the region whose travel time to care is known, at the end of \
                 the period.",
                |i| i.tally.region.access_known,
            ),
        ],
    },
    MeasureDef {
        code: "slot-utilisation",
        title: "Slot utilisation",
        definition: "Outpatient visits / outpatient slots offered.",
        scoring: Scoring::Ratio,
        unit: "1",
        better: Better::Neither,
        reference: Some("tertiary crowded, primary idle"),
        value: |i| i.slot_utilisation,
        populations: &[
            numerator("Outpatient visits in the period.", |i| {
                int(i.outpatient_visits)
            }),
            denominator(
                "Outpatient slots offered in the period (registered daily slots \
                 for each day where none were recorded).",
                |i| int(i.tally.institutions.slots_offered),
            ),
        ],
    },
    MeasureDef {
        code: "bed-utilisation",
        title: "Bed utilisation",
        definition: "Occupied bed days / bed days offered.",
        scoring: Scoring::Ratio,
        unit: "1",
        better: Better::Neither,
        reference: None,
        value: |i| i.bed_utilisation,
        populations: &[
            numerator("Occupied bed days in the period.", |i| {
                int(i.tally.institutions.bed_days)
            }),
            denominator(
                "Bed days offered in the period (registered beds for each day \
                 where none were recorded).",
                |i| int(i.tally.institutions.beds_offered),
            ),
        ],
    },
    readings::STAT_P50,
    readings::STAT_P90,
    readings::STAT_WITHIN,
    readings::URGENT_P50,
    readings::URGENT_P90,
    readings::URGENT_WITHIN,
    readings::ROUTINE_P50,
    readings::ROUTINE_P90,
    readings::ROUTINE_WITHIN,
    readings::ACKNOWLEDGEMENT,
    readings::ORDERED,
    readings::REPORTED,
    readings::CANCELLED,
    readings::ORDERED_BY_MEMBERS,
    readings::AVOIDABLE_REFERRAL,
];

/// The codes of the insurance indicators: what the fund pays per visit
/// and what patients pay themselves. These are the measures an insurance
/// fund officer evaluates (see [`may_see_measure`]).
pub const INSURANCE_MEASURES: &[&str] = &["expenditure-per-visit", "out-of-pocket-share"];

/// Whether the actor may evaluate the indicator with this code (which
/// subjects they may evaluate it for is a separate rule). Insurance fund
/// officers see the insurance indicators only: the fund oversees what it
/// pays, not the referral loop or the family doctors' contracts. Everyone
/// else who may see indicators at all sees every one.
pub fn may_see_measure(actor: &crate::access::Actor, code: &str) -> bool {
    match actor.role {
        crate::access::UserRole::Insurer => INSURANCE_MEASURES.contains(&code),
        _ => true,
    }
}

/// The measure with this code.
pub fn measure(code: &str) -> Option<&'static MeasureDef> {
    MEASURES.iter().find(|m| m.code == code)
}
