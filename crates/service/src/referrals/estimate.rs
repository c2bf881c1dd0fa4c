//! The estimate of what a visit would cost a resident at each level, with
//! and without a referral: one computation for the FHIR `$estimate`
//! operation and the family doctor's referral page, so what a resident is
//! told on either never differs by a fen.

use super::*;
use tiercare_core::insurance::{
    Accumulator, Estimate, Fen, InsuranceRules, SchemeId, ServiceType, Visit, estimate,
};
use tiercare_core::policy::Policy;
use time::Date;

/// The visit to estimate, typed: the faces parse their own input into it.
#[derive(Debug, Clone)]
pub struct EstimateInput {
    /// The scheme's code, as the region's policy names it.
    pub scheme: String,
    pub service: ServiceType,
    /// The visit's eligible total.
    pub total: Fen,
    pub date: Date,
    pub follow_up: bool,
    pub emergency: bool,
    pub at_contracted_primary: bool,
}

/// The region's insurance rules, or the refusal to estimate without them.
pub fn insurance_rules(policy: &Policy) -> Result<&InsuranceRules, ServiceError> {
    policy.insurance.as_ref().ok_or_else(|| {
        ServiceError::rule(
            "scheme",
            "the region's policy has no insurance rules to estimate with",
        )
    })
}

/// What `input` would cost at each level under `policy`, counting what the
/// resident already paid this year (`account`, when it is theirs for the
/// scheme and the visit's year). Answers the visit as estimated too.
pub fn estimate_visit(
    policy: &Policy,
    input: &EstimateInput,
    account: Option<Accumulator>,
) -> Result<(Visit, Estimate), ServiceError> {
    let rules = insurance_rules(policy)?;
    let scheme = SchemeId::new(&input.scheme)
        .ok()
        .filter(|s| rules.schemes.contains_key(s))
        .ok_or_else(|| {
            ServiceError::rule(
                "scheme",
                format!("{:?} is not a scheme of this region", input.scheme),
            )
        })?;
    let visit = Visit {
        scheme: scheme.clone(),
        level: tiercare_core::Level::Primary,
        service: input.service,
        total: input.total,
        date: input.date,
        referral: None,
        follow_up: input.follow_up,
        emergency: input.emergency,
        at_contracted_primary: input.at_contracted_primary,
        episode_deductible_paid: Fen::ZERO,
    };
    let account = account
        .filter(|a| a.scheme == scheme && a.year == input.date.year())
        .unwrap_or_else(|| Accumulator::new(scheme, input.date.year()));
    let e = estimate(rules, &visit, &account)
        .map_err(|err| ServiceError::rule("total", err.to_string()))?;
    Ok((visit, e))
}

impl Referrals<'_> {
    /// A resident's own estimate: their scheme and what they already paid
    /// this year count (read as their coverage is: audited, and only by
    /// those who may see it). `input.scheme` empty means the resident's
    /// scheme.
    pub async fn estimate_for(
        &self,
        patient: &str,
        mut input: EstimateInput,
    ) -> Result<(Visit, Estimate), ServiceError> {
        let (scheme, account) = self.account_of(patient, input.date.year()).await?;
        if input.scheme.is_empty() {
            input.scheme = scheme;
        }
        estimate_visit(&self.ctx.policy, &input, account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_names_every_level_and_refuses_an_unknown_scheme() {
        let policy = Policy::demo();
        let Some(rules) = policy.insurance.as_ref() else {
            return;
        };
        let scheme = rules.schemes.keys().next().map(|s| s.to_string());
        let input = EstimateInput {
            scheme: scheme.unwrap_or_default(),
            service: ServiceType::Outpatient,
            total: Fen::yuan(300),
            date: time::macros::date!(2026 - 06 - 01),
            follow_up: false,
            emergency: false,
            at_contracted_primary: false,
        };
        let (_, e) = estimate_visit(&policy, &input, None).unwrap();
        assert_eq!(e.rows.len(), tiercare_core::Level::ALL.len());
        let bad = EstimateInput {
            scheme: "nope".into(),
            ..input
        };
        assert!(matches!(
            estimate_visit(&policy, &bad, None),
            Err(ServiceError::Rule { .. })
        ));
    }
}
