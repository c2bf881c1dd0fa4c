//! The evaluation of joint programmes as named measures, defined once like
//! the oversight indicators (see [`crate::indicators::measures`]) so FHIR
//! `Measure`s, `MeasureReport`s and the web page describe each figure the
//! same way.

use super::Figures;
use crate::indicators::measures::{
    Better, MeasureDef, Scoring, denominator, measured, numerator, observed,
};

fn n(v: u32) -> i64 {
    i64::from(v)
}

fn share(a: u32, b: u32) -> Option<f64> {
    (b > 0).then(|| f64::from(a) / f64::from(b))
}

/// Every measure of a programme's evaluation, in the order the web page
/// shows them.
pub const OUTREACH_MEASURES: &[MeasureDef<Figures>] = &[
    MeasureDef {
        code: "outreach-commitment-kept",
        title: "Outreach commitment kept",
        definition: "Outreach sessions held / sessions committed (the programme's sessions per month for every month it runs on any day of, without proration). Commitments are the hospital's: a specialist or a family doctor has none.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: Some("Hangzhou Joint Health Centres: sessions about monthly, easily cancelled"),
        value: |f| f.commitment_kept,
        populations: &[
            numerator("Sessions held in the period.", |f| n(f.held)),
            denominator("Sessions committed for the months of the period.", |f| {
                n(f.committed.unwrap_or(0))
            }),
        ],
    },
    MeasureDef {
        code: "outreach-hospital-cancellation",
        title: "Sessions cancelled by the hospital",
        definition: "Outreach sessions cancelled by the partner hospital / sessions scheduled in the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Lower,
        reference: None,
        value: |f| f.hospital_cancellation_share,
        populations: &[
            numerator("Sessions the hospital side cancelled.", |f| {
                n(f.cancelled_by_hospital)
            }),
            denominator("Sessions scheduled to start in the period.", |f| {
                n(f.scheduled)
            }),
        ],
    },
    MeasureDef {
        code: "outreach-primary-cancellation",
        title: "Sessions cancelled by the primary institution",
        definition: "Outreach sessions cancelled by the primary institution / sessions scheduled in the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Lower,
        reference: None,
        value: |f| f.primary_cancellation_share,
        populations: &[
            numerator("Sessions the primary side cancelled.", |f| {
                n(f.cancelled_by_primary)
            }),
            denominator("Sessions scheduled to start in the period.", |f| {
                n(f.scheduled)
            }),
        ],
    },
    MeasureDef {
        code: "outreach-missed",
        title: "Sessions missed",
        definition: "Outreach sessions neither held nor cancelled (the specialist did not come) / sessions scheduled in the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Lower,
        reference: None,
        value: |f| share(f.missed, f.scheduled),
        populations: &[
            numerator("Sessions marked missed.", |f| n(f.missed)),
            denominator("Sessions scheduled to start in the period.", |f| {
                n(f.scheduled)
            }),
        ],
    },
    MeasureDef {
        code: "outreach-patients-seen",
        title: "Patients seen at outreach sessions",
        definition: "Patients seen, summed over the outreach sessions held in the period.",
        scoring: Scoring::ContinuousVariable,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |f| Some(f64::from(f.patients_seen)),
        populations: &[
            measured("Sessions held in the period.", |f| n(f.held)),
            observed("The patients seen at each; the score is their sum."),
        ],
    },
    MeasureDef {
        code: "outreach-referrals-avoided",
        title: "Referrals avoided after joint review",
        definition: "Patients whose upward referral was avoided after joint review at a session, summed over the sessions held in the period.",
        scoring: Scoring::ContinuousVariable,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |f| Some(f64::from(f.referrals_avoided)),
        populations: &[
            measured("Sessions held in the period.", |f| n(f.held)),
            observed("The referrals avoided at each; the score is their sum."),
        ],
    },
    MeasureDef {
        code: "panel-control",
        title: "Co-managed panel control",
        definition: "Panel patients with every enrolled condition controlled (blood pressure below 140/90 mmHg; HbA1c below 7.0%, or fasting glucose 4.4-7.0 mmol/L without a recent HbA1c) / panel patients whose status is known (a measurement within two follow-up intervals), on the last day of the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |f| f.panel.rate_of_known,
        populations: &[
            numerator("Enrolled patients controlled on the last day.", |f| {
                n(f.panel.controlled)
            }),
            denominator(
                "Enrolled patients whose status is known on the last day.",
                |f| n(f.panel.known),
            ),
        ],
    },
    MeasureDef {
        code: "panel-hypertension-control",
        title: "Panel hypertension control",
        definition: "Panel patients enrolled for hypertension whose blood pressure is below 140/90 mmHg / those with a blood pressure within two follow-up intervals, on the last day of the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |f| f.hypertension.rate_of_known,
        populations: &[
            numerator("Hypertension patients controlled.", |f| {
                n(f.hypertension.controlled)
            }),
            denominator("Hypertension patients whose status is known.", |f| {
                n(f.hypertension.known)
            }),
        ],
    },
    MeasureDef {
        code: "panel-diabetes-control",
        title: "Panel diabetes control",
        definition: "Panel patients enrolled for diabetes whose HbA1c is below 7.0% (or, without a recent HbA1c, fasting glucose 4.4-7.0 mmol/L) / those with a measurement within two follow-up intervals, on the last day of the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |f| f.diabetes.rate_of_known,
        populations: &[
            numerator("Diabetes patients controlled.", |f| {
                n(f.diabetes.controlled)
            }),
            denominator("Diabetes patients whose status is known.", |f| {
                n(f.diabetes.known)
            }),
        ],
    },
    MeasureDef {
        code: "panel-followed",
        title: "Panel patients followed",
        definition: "Panel patients whose status is known (a measurement within two follow-up intervals) / panel patients enrolled, on the last day of the period.",
        scoring: Scoring::Proportion,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |f| share(f.panel.known, f.panel.enrolled),
        populations: &[
            numerator("Enrolled patients whose status is known.", |f| {
                n(f.panel.known)
            }),
            denominator("Patients enrolled on the last day.", |f| {
                n(f.panel.enrolled)
            }),
        ],
    },
    MeasureDef {
        code: "mentoring-per-family-doctor",
        title: "Mentoring per family doctor",
        definition: "Attendances of family doctors at mentoring activities (joint clinics, case discussions, ward rounds, teaching) in the period / family doctors in mentorships running during the period.",
        scoring: Scoring::Ratio,
        unit: "1",
        better: Better::Higher,
        reference: None,
        value: |f| f.activities_per_family_doctor,
        populations: &[
            numerator(
                "Attendances: one per family doctor present at each activity.",
                |f| n(f.attendances),
            ),
            denominator("Family doctors mentored during the period.", |f| {
                n(f.family_doctors)
            }),
        ],
    },
];

/// The evaluation measure with this code.
pub fn outreach_measure(code: &str) -> Option<&'static MeasureDef<Figures>> {
    OUTREACH_MEASURES.iter().find(|m| m.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_scores_follow_their_populations() {
        let mut codes: Vec<&str> = OUTREACH_MEASURES.iter().map(|m| m.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), OUTREACH_MEASURES.len());
        // 3 held of 4 committed, 1 of 5 scheduled cancelled by the hospital.
        let f = Figures {
            committed: Some(4),
            scheduled: 5,
            held: 3,
            cancelled_by_hospital: 1,
            missed: 1,
            commitment_kept: Some(0.75),
            hospital_cancellation_share: Some(0.2),
            primary_cancellation_share: Some(0.0),
            ..Figures::default()
        };
        for m in OUTREACH_MEASURES {
            if m.scoring != Scoring::Proportion {
                continue;
            }
            let [num, den] = m.populations else {
                panic!("{} has two populations", m.code)
            };
            let (num, den) = (num.count.unwrap()(&f), den.count.unwrap()(&f));
            let expected = (den > 0).then(|| num as f64 / den as f64);
            assert_eq!((m.value)(&f), expected, "{}", m.code);
        }
        assert_eq!(
            outreach_measure("outreach-missed").and_then(|m| (m.value)(&f)),
            Some(0.2)
        );
        assert!(outreach_measure("nothing").is_none());
    }
}
