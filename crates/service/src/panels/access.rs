//! Who sees and changes a panel: the primary side manages it, the
//! programme's specialists and the sides of an open referral see it, the
//! patient sees their own (the rules are listed in the documentation of
//! the `panels` module). Every use case asks here before it reads or
//! writes, so the rules stand in one place.

use super::Panels;
use crate::ServiceError;
use crate::search::exact;
use tiercare_core::access::UserRole;
use tiercare_core::outreach::PanelEnrolment;
use tiercare_core::{EnrolmentId, Record};
use tiercare_store::Stored;

impl Panels<'_> {
    /// Whether the caller may see an enrolment and its measurements (see
    /// the module documentation).
    pub async fn may_see(&self, e: &PanelEnrolment) -> Result<bool, ServiceError> {
        Ok(match self.actor.role {
            UserRole::Admin => true,
            // A panel is clinical care; the fund sees claims, not panels.
            UserRole::Analyst | UserRole::Insurer => false,
            UserRole::Resident => self.actor.resident.as_ref() == Some(&e.patient),
            UserRole::Doctor | UserRole::Coordinator => {
                self.may_manage(e).await?
                    || self.is_panel_specialist(e).await?
                    // The sides of an open referral see the patient's
                    // records, panels included, while the loop runs.
                    || self.registry().cares_for(e.patient.as_str()).await?
            }
        })
    }

    /// Whether the caller is on the primary side of the panel (or an
    /// administrator): the family doctor, staff of the institution, or the
    /// patient's contracted team (contract in force).
    pub(super) async fn may_manage(&self, e: &PanelEnrolment) -> Result<bool, ServiceError> {
        Ok(match self.actor.role {
            UserRole::Admin => true,
            UserRole::Doctor | UserRole::Coordinator => {
                self.actor.practitioner.as_ref() == Some(&e.family_doctor)
                    || self.actor.institution.as_ref() == Some(&e.institution)
                    || self.contracted(e.patient.as_str()).await?
            }
            _ => false,
        })
    }

    /// Whether the patient is contracted to one of the caller's teams.
    async fn contracted(&self, patient: &str) -> Result<bool, ServiceError> {
        let scope = self.registry().patient_scope().await?;
        Ok(match self.ctx.store.get("Patient", patient).await? {
            Some(Stored {
                record: Record::Resident(r),
                ..
            }) => scope.covers(&r, self.ctx.clock.today()),
            _ => false,
        })
    }

    /// Whether the caller is a specialist of the enrolment's programme (or,
    /// without one, its panel specialist).
    async fn is_panel_specialist(&self, e: &PanelEnrolment) -> Result<bool, ServiceError> {
        let Some(me) = &self.actor.practitioner else {
            return Ok(false);
        };
        let Some(programme) = &e.programme else {
            return Ok(*me == e.specialist);
        };
        Ok(
            match self
                .ctx
                .store
                .get("HealthcareService", programme.as_str())
                .await?
            {
                Some(Stored {
                    record: Record::Programme(p),
                    ..
                }) => p.has_specialist(me),
                _ => false,
            },
        )
    }

    /// The patient's enrolments the caller may see, for a search by
    /// someone with no other care relationship to the patient.
    pub async fn visible_enrolments(
        &self,
        patient: &str,
    ) -> Result<Vec<EnrolmentId>, ServiceError> {
        let all = self
            .all_enrolments(exact("patient", format!("Patient/{patient}")))
            .await?;
        let mut out = Vec::new();
        for e in all {
            if self.may_see(&e).await? {
                out.push(e.id);
            }
        }
        Ok(out)
    }
}
