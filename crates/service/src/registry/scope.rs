//! Patient scope: which residents a caller of the registry may see.
//!
//! A resident is seen through a care relationship: a contract in force with
//! one of the caller's family-doctor teams, or an open referral (or consult)
//! that the caller's institution is a side of. Reads, searches and writes of
//! patient data ask here, and so do the services built on the registry.

use super::Registry;
use crate::ServiceError;
use crate::search::exact;
use tiercare_core::Record;
use tiercare_core::access::{PatientScope, UserRole};
use tiercare_store::{Query, Stored};

impl Registry<'_> {
    /// Which residents the caller may see, from their care relationships.
    pub async fn patient_scope(&self) -> Result<PatientScope, ServiceError> {
        let store = &self.ctx.store;
        let teams = match (
            self.actor.role,
            &self.actor.practitioner,
            &self.actor.institution,
        ) {
            (UserRole::Doctor, Some(p), _) => {
                store
                    .ids_where("CareTeam", "participant", &format!("Practitioner/{p}"))
                    .await?
            }
            (UserRole::Doctor | UserRole::Coordinator, _, Some(i)) => {
                store
                    .ids_where("CareTeam", "organization", &format!("Organization/{i}"))
                    .await?
            }
            _ => vec![],
        };
        let teams = teams.into_iter().filter_map(|t| t.parse().ok()).collect();
        Ok(PatientScope::of(self.actor, teams))
    }

    /// Whether the caller has a care relationship with the patient: the
    /// patient is contracted to one of their teams (contract in force), or
    /// their institution is a side of an open referral of the patient.
    pub async fn cares_for(&self, patient: &str) -> Result<bool, ServiceError> {
        let scope = self.patient_scope().await?;
        if let Some(Stored {
            record: Record::Resident(r),
            ..
        }) = self.ctx.store.get("Patient", patient).await?
            && scope.covers(&r, self.ctx.clock.today())
        {
            return Ok(true);
        }
        self.open_referral_with(patient).await
    }

    /// Whether the caller's institution sends or receives an open referral
    /// of this patient: staff on either side see the patient while the loop
    /// runs (until it is closed or cancelled).
    pub async fn open_referral_with(&self, patient: &str) -> Result<bool, ServiceError> {
        let (UserRole::Doctor | UserRole::Coordinator, Some(institution)) =
            (self.actor.role, &self.actor.institution)
        else {
            return Ok(false);
        };
        // One lookup: the patient's referrals this institution is a party to
        // (the `party` term), then whether any is still open.
        let query = Query {
            resource_type: "ServiceRequest".into(),
            filters: vec![
                exact("patient", format!("Patient/{patient}")),
                exact("party", format!("Organization/{institution}")),
            ],
            count: crate::search::MAX_COUNT,
            offset: 0,
        };
        let found = self.ctx.store.search_page(&query).await?;
        Ok(found.iter().any(|s| match &s.record {
            Record::Referral(r) => !matches!(
                r.state,
                tiercare_core::referral::ReferralState::Closed
                    | tiercare_core::referral::ReferralState::Cancelled { .. }
            ),
            // The specialist asked sees the patient while the consult runs.
            Record::Consult(c) => {
                !matches!(c.state, tiercare_core::consult::ConsultState::Closed { .. })
            }
            // The hub's readers see the patient while the reading waits.
            Record::ReadingOrder(o) => o.in_queue(),
            _ => false,
        }))
    }
}
