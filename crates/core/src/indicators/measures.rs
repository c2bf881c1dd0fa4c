//! The indicators as named measures: one entry per figure a health
//! commission follows, with its definition in words, so that FHIR
//! `Measure` resources, reports and dashboards all describe the same
//! number the same way.

use super::Indicators;

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

/// One indicator as a named measure.
#[derive(Debug, Clone, Copy)]
pub struct MeasureDef {
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
    pub value: fn(&Indicators) -> Option<f64>,
}

fn count(n: u64) -> Option<f64> {
    Some(n as f64)
}

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
    },
    MeasureDef {
        code: "loop-closure",
        title: "Referral loop closure",
        definition: "Referrals completed with a result report back to the referrer / \
                     referrals completed.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |i| i.loop_closure,
    },
    MeasureDef {
        code: "time-to-appointment",
        title: "Time to appointment",
        definition: "Mean days from a referral's request to the day of the visit it booked.",
        scoring: Scoring::ContinuousVariable,
        unit: "d",
        better: Better::Lower,
        reference: None,
        value: |i| i.time_to_appointment_days,
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
    },
    MeasureDef {
        code: "access",
        title: "Access within 15 minutes",
        definition: "Residents within 15 minutes of the nearest institution / residents, at the \
                     end of the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: Some("national target 100% by 2027"),
        value: |i| i.access,
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
    },
];

/// The measure with this code.
pub fn measure(code: &str) -> Option<&'static MeasureDef> {
    MEASURES.iter().find(|m| m.code == code)
}
