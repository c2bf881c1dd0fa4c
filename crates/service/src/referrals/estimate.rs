//! What a visit would cost a resident at each level, with and without a
//! referral: the core's [`estimate`] under the region's insurance rules,
//! for a scheme and the resident's account for the year. `$estimate` and
//! the resident's own page both ask here, so they never disagree on a fen.

use super::*;
use tiercare_core::Level;
use tiercare_core::insurance::{
    Accumulator, Estimate, Fen, SchemeId, ServiceType, Visit, estimate,
};
use tiercare_core::policy::Policy;
use time::Date;

/// The visit someone asks the price of.
#[derive(Debug, Clone)]
pub struct VisitQuestion {
    pub service: ServiceType,
    /// The visit's total bill.
    pub total: Fen,
    pub date: Date,
    pub follow_up: bool,
    pub emergency: bool,
    pub at_contracted_primary: bool,
}

/// The estimate of `question` under `scheme`, counting what `account`
/// says was already paid when it is that scheme's account for the visit's
/// year (nothing is assumed paid otherwise).
pub fn estimate_visit(
    policy: &Policy,
    scheme: &SchemeId,
    question: &VisitQuestion,
    account: Option<Accumulator>,
) -> Result<Estimate, ServiceError> {
    let rules = policy.insurance.as_ref().ok_or_else(|| {
        ServiceError::rule(
            "scheme",
            "the region's policy has no insurance rules to estimate with",
        )
    })?;
    if !rules.schemes.contains_key(scheme) {
        return Err(ServiceError::rule(
            "scheme",
            format!("{:?} is not a scheme of this region", scheme.as_str()),
        ));
    }
    let visit = Visit {
        scheme: scheme.clone(),
        level: Level::Primary,
        service: question.service,
        total: question.total,
        date: question.date,
        referral: None,
        follow_up: question.follow_up,
        emergency: question.emergency,
        at_contracted_primary: question.at_contracted_primary,
        episode_deductible_paid: Fen::ZERO,
    };
    let year = question.date.year();
    let account = account
        .filter(|a| a.scheme == *scheme && a.year == year)
        .unwrap_or_else(|| Accumulator::new(scheme.clone(), year));
    estimate(rules, &visit, &account).map_err(|err| ServiceError::rule("total", err.to_string()))
}

/// A resident's own estimate: their scheme, and the figures.
#[derive(Debug, Clone)]
pub struct OwnEstimate {
    pub scheme: SchemeId,
    pub estimate: Estimate,
}

impl Referrals<'_> {
    /// What `question` would cost the resident `patient` under their own
    /// scheme, with what they already paid this year counted. Their
    /// coverage and account are patient data: read as
    /// [`account_of`](Self::account_of) reads them (care relationships,
    /// audited).
    pub async fn own_estimate(
        &self,
        patient: &str,
        question: &VisitQuestion,
    ) -> Result<OwnEstimate, ServiceError> {
        let (scheme, account) = self.account_of(patient, question.date.year()).await?;
        let scheme = SchemeId::new(scheme)
            .map_err(|e| ServiceError::Unavailable(format!("stored coverage: {e}")))?;
        let estimate = estimate_visit(&self.ctx.policy, &scheme, question, account)?;
        Ok(OwnEstimate { scheme, estimate })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiercare_core::insurance::adjudicate;
    use time::macros::date;

    fn question(total: i64) -> VisitQuestion {
        VisitQuestion {
            service: ServiceType::Outpatient,
            total: Fen::yuan(total),
            date: date!(2026 - 06 - 01),
            follow_up: false,
            emergency: false,
            at_contracted_primary: false,
        }
    }

    #[test]
    fn the_residents_account_counts_only_for_its_scheme_and_year() {
        let policy = Policy::demo();
        let rules = policy.insurance.as_ref().unwrap();
        let scheme = SchemeId::new("urrbmi").unwrap();
        let q = question(300);
        // A year in which a large visit already met the deductible.
        let big = Visit {
            total: Fen::yuan(5000),
            level: Level::Secondary,
            ..visit_of(&scheme, &q)
        };
        let used = adjudicate(rules, &big, &Accumulator::new(scheme.clone(), 2026))
            .unwrap()
            .accumulator;
        let fresh = estimate_visit(&policy, &scheme, &q, None).unwrap();
        let counted = estimate_visit(&policy, &scheme, &q, Some(used.clone())).unwrap();
        assert_eq!(
            counted,
            estimate(rules, &visit_of(&scheme, &q), &used).unwrap()
        );
        assert_ne!(
            counted, fresh,
            "what was paid this year changes the figures"
        );
        let last_year = Accumulator { year: 2025, ..used };
        assert_eq!(
            estimate_visit(&policy, &scheme, &q, Some(last_year)).unwrap(),
            fresh
        );
        let unknown = SchemeId::new("nowhere").unwrap();
        assert!(matches!(
            estimate_visit(&policy, &unknown, &q, None),
            Err(ServiceError::Rule { .. })
        ));
    }

    fn visit_of(scheme: &SchemeId, q: &VisitQuestion) -> Visit {
        Visit {
            scheme: scheme.clone(),
            level: Level::Primary,
            service: q.service,
            total: q.total,
            date: q.date,
            referral: None,
            follow_up: false,
            emergency: false,
            at_contracted_primary: false,
            episode_deductible_paid: Fen::ZERO,
        }
    }
}
