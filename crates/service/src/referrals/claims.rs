//! The claim of a finished visit or a reported reading: adjudicated under
//! the region's insurance rules and written, with the resident's yearly
//! account it moves, in the same transaction as the visit's end or the
//! reading's report.

use super::*;
use tiercare_core::Level;
use tiercare_core::hub::ReadingOrder;
use tiercare_core::insurance::{
    Accumulator, Claim, Claimed, Coverage, EncounterFacts, Fen, InsuranceRules, ReferralDirection,
    ServiceType, Visit, YearAccount, adjudicate,
};
use tiercare_core::referral::Direction;
use tiercare_core::{ClaimId, InstitutionId, ResidentId};

impl Referrals<'_> {
    /// The writes that claim a finished encounter: the claim (with its
    /// event) and the resident's account for the year. None when the region
    /// has no insurance rules or the patient no coverage. A concurrent claim
    /// for the same resident meets the account's version and is retried by
    /// the caller.
    pub(super) async fn claim_for(
        &self,
        e: &Encounter,
        level: Level,
        referral: Option<&Referral>,
        emergency: bool,
    ) -> Result<Vec<(Record, Expect, Vec<Event>)>, ServiceError> {
        let Some(rules) = self.ctx.policy.insurance.as_ref() else {
            return Ok(vec![]);
        };
        let Some(coverage) = self.coverage_of(&e.patient).await? else {
            return Ok(vec![]);
        };
        let service = if e.inpatient {
            ServiceType::Inpatient
        } else {
            ServiceType::Outpatient
        };
        let total: Fen = self
            .charge
            .unwrap_or_else(|| rules.typical_charge_fen.of(service, level));
        let facts = EncounterFacts {
            scheme: coverage.scheme.clone(),
            level,
            total,
            referral: referral.map(|r| match r.direction() {
                Direction::Downward => ReferralDirection::Down,
                Direction::Upward | Direction::Lateral => ReferralDirection::Up,
            }),
            follow_up: false,
            emergency,
            at_contracted_primary: self
                .at_contracted_primary(&e.patient, &e.institution, level)
                .await?,
            episode_deductible_paid: Fen::ZERO,
        };
        let visit = Visit::from_encounter(e, facts).map_err(|err| unavailable(err.to_string()))?;
        let id = Claim::id_for(&e.id).ok_or_else(|| unavailable("claim id too long".into()))?;
        let service = Claimed::Visit {
            encounter: e.id.clone(),
        };
        self.adjudicated(rules, id, service, &e.patient, &e.institution, visit)
            .await
    }

    /// The writes that claim a reported reading, as for any service: its
    /// fee, billed by the ordering institution at its level (see
    /// [`Visit::for_reading`]) and adjudicated under the patient's scheme,
    /// with the account it moves. None without insurance rules or
    /// coverage. Retried by the caller on the account's version, as a
    /// visit's claim is.
    pub(super) async fn claim_reading(
        &self,
        o: &ReadingOrder,
        fee: Fen,
        reported: OffsetDateTime,
    ) -> Result<Vec<(Record, Expect, Vec<Event>)>, ServiceError> {
        let Some(rules) = self.ctx.policy.insurance.as_ref() else {
            return Ok(vec![]);
        };
        let Some(coverage) = self.coverage_of(&o.patient).await? else {
            return Ok(vec![]);
        };
        let level =
            crate::registry::institution(self.ctx, o.from.as_str(), "ServiceRequest.requester")
                .await?
                .level;
        let visit = Visit::for_reading(
            coverage.scheme.clone(),
            level,
            fee,
            reported.date(),
            self.at_contracted_primary(&o.patient, &o.from, level)
                .await?,
        );
        let id =
            Claim::id_for_reading(&o.id).ok_or_else(|| unavailable("claim id too long".into()))?;
        let service = Claimed::Reading {
            reading: o.id.clone(),
        };
        self.adjudicated(rules, id, service, &o.patient, &o.from, visit)
            .await
    }

    /// The patient's coverage, if they have one.
    async fn coverage_of(&self, patient: &ResidentId) -> Result<Option<Coverage>, ServiceError> {
        let coverage = match Coverage::id_for(patient) {
            Some(id) => self.ctx.store.get("Coverage", id.as_str()).await?,
            None => None,
        };
        Ok(match coverage {
            Some(Stored {
                record: Record::Coverage(c),
                ..
            }) => Some(c),
            _ => None,
        })
    }

    /// Whether care at `institution` is at the patient's own contracted
    /// primary institution (their family doctor's).
    async fn at_contracted_primary(
        &self,
        patient: &ResidentId,
        institution: &InstitutionId,
        level: Level,
    ) -> Result<bool, ServiceError> {
        Ok(level == Level::Primary
            && matches!(
                self.ctx.store.get("Patient", patient.as_str()).await?,
                Some(Stored { record: Record::Resident(r), .. })
                    if r.contract.as_ref().and_then(|c| c.institution.as_ref()) == Some(institution)
            ))
    }

    /// Adjudicates `visit` against the patient's account for its year: the
    /// claim with its event, and the account at its read version.
    async fn adjudicated(
        &self,
        rules: &InsuranceRules,
        id: ClaimId,
        service: Claimed,
        patient: &ResidentId,
        institution: &InstitutionId,
        visit: Visit,
    ) -> Result<Vec<(Record, Expect, Vec<Event>)>, ServiceError> {
        let year = visit.date.year();
        let account_id = YearAccount::id_for(patient, &visit.scheme, year)
            .ok_or_else(|| unavailable("account id too long".into()))?;
        let (accumulator, expect) = match self.ctx.store.get("Account", account_id.as_str()).await?
        {
            Some(Stored {
                record: Record::Account(a),
                version,
                ..
            }) => (a.accumulator, Expect::Version(version)),
            _ => (Accumulator::new(visit.scheme.clone(), year), Expect::New),
        };
        let adjudication = adjudicate(rules, &visit, &accumulator).map_err(|err| {
            ServiceError::rule("charge", format!("the service cannot be claimed: {err}"))
        })?;
        let claim = Claim {
            id,
            service,
            patient: patient.clone(),
            institution: institution.clone(),
            visit,
            adjudication: adjudication.clone(),
            created: self.ctx.clock.now(),
        };
        let account = YearAccount {
            id: account_id,
            resident: patient.clone(),
            accumulator: adjudication.accumulator,
        };
        let event = Event::ClaimAdjudicated {
            claim: Box::new(claim.clone()),
        };
        Ok(vec![
            (Record::Claim(Box::new(claim)), Expect::New, vec![event]),
            (Record::Account(account), expect, vec![]),
        ])
    }
}

fn unavailable(what: String) -> ServiceError {
    ServiceError::Unavailable(what)
}

impl Referrals<'_> {
    /// A resident's scheme and their account for `year` (none if nothing
    /// was claimed yet), for an estimate of their own. Read as the
    /// resident's coverage is: the resident, those caring for them,
    /// administrators; audited.
    pub async fn account_of(
        &self,
        patient: &str,
        year: i32,
    ) -> Result<(String, Option<Accumulator>), ServiceError> {
        let resident: tiercare_core::ResidentId = crate::typed_id(patient, "patient")?;
        let id = Coverage::id_for(&resident)
            .ok_or_else(|| ServiceError::invalid("patient", "the patient id is too long"))?;
        let coverage = match self.read_record("Coverage", id.as_str()).await {
            Ok(Stored {
                record: Record::Coverage(c),
                ..
            }) => c,
            Ok(_) | Err(ServiceError::NotFound(_)) => {
                return Err(ServiceError::rule(
                    "patient",
                    format!("Patient/{patient} has no insurance coverage on record"),
                ));
            }
            Err(e) => return Err(e),
        };
        let account = match YearAccount::id_for(&resident, &coverage.scheme, year) {
            Some(id) => match self.ctx.store.get("Account", id.as_str()).await? {
                Some(Stored {
                    record: Record::Account(a),
                    ..
                }) => Some(a.accumulator),
                _ => None,
            },
            None => None,
        };
        Ok((coverage.scheme.to_string(), account))
    }

    /// Enrols a resident in a scheme, or changes their scheme
    /// (administrators, for the insurer). One coverage per resident, at
    /// `Coverage/cov-{resident}`.
    pub async fn enrol(
        &self,
        coverage: Coverage,
        if_match: Option<u32>,
    ) -> Result<Versioned<Coverage>, ServiceError> {
        if self.actor.role != UserRole::Admin {
            let err =
                ServiceError::Forbidden("only administrators enrol residents in schemes".into());
            let patient = coverage.resident.to_string();
            return Err(self
                .refuse(
                    "update",
                    "Coverage",
                    Some(coverage.id.as_str()),
                    Some(&patient),
                    (AuditOutcome::Denied, err),
                )
                .await);
        }
        let known = self
            .ctx
            .policy
            .insurance
            .as_ref()
            .is_some_and(|r| r.schemes.contains_key(&coverage.scheme));
        if !known {
            return Err(ServiceError::rule(
                "Coverage.class",
                format!(
                    "{} is not a scheme of this region's policy",
                    coverage.scheme
                ),
            ));
        }
        if Coverage::id_for(&coverage.resident).as_ref() != Some(&coverage.id) {
            return Err(ServiceError::invalid(
                "Coverage.id",
                format!(
                    "a resident's coverage is Coverage/cov-{}",
                    coverage.resident
                ),
            ));
        }
        let record = Record::Coverage(coverage.clone());
        self.registry()
            .check_references(&record, &crate::registry::Pending::new())
            .await?;
        let expect = if_match.map_or(Expect::Any, Expect::Version);
        match self
            .write(vec![(record, expect, vec![])], "update", "")
            .await
        {
            Ok((version, updated_at)) => Ok(Versioned {
                value: coverage,
                version,
                updated_at,
            }),
            Err(StoreError::VersionConflict { current, .. }) => {
                Err(ServiceError::StaleVersion(format!(
                    "Coverage/{} is at version {current}; reload and try again",
                    coverage.id
                )))
            }
            Err(e) => Err(e.into()),
        }
    }
}
