//! Control status and the due list: where an enrolment stands on a day,
//! and which enrolments of a family doctor or an institution are due or
//! overdue for a follow-up.
//!
//! Both are computed by the core from the enrolments and the measurements
//! known on that day; this file checks who may ask and audits every answer
//! against its patient.

use super::Panels;
use crate::ServiceError;
use crate::Versioned;
use crate::search::exact;
use std::collections::HashMap;
use tiercare_core::EnrolmentId;
use tiercare_core::access::UserRole;
use tiercare_core::outreach::{
    DueEntry, FollowUpState, Measurement, PanelEnrolment, PanelStatus, Targets, control_status,
    due_list, next_due,
};
use tiercare_store::AuditOutcome;
use time::Date;

/// Where one enrolment stands on a day.
#[derive(Debug, Clone)]
pub struct PanelState {
    pub status: PanelStatus,
    pub next_due: Date,
    pub follow_up: FollowUpState,
}

impl Panels<'_> {
    /// Where an enrolment stands on `as_of`: control per condition and
    /// overall, the next follow-up and its state (audited as a read).
    pub async fn status(
        &self,
        id: &str,
        as_of: Date,
    ) -> Result<(Versioned<PanelEnrolment>, PanelState), ServiceError> {
        let e = self.load(id).await?;
        let patient = e.value.patient.to_string();
        if !self.may_see(&e.value).await? {
            let err = ServiceError::Forbidden(format!(
                "CarePlan/{id} is seen by the panel's primary side and its programme's specialists only"
            ));
            return Err(self.refuse("read", Some(id), Some(&patient), err).await);
        }
        let state = self.state_of(&e.value, as_of).await?;
        let entry = self.registry().audit_entry(
            "read",
            "CarePlan",
            Some(id),
            Some(&patient),
            AuditOutcome::Success,
            "control status".into(),
        );
        self.registry().audit(vec![entry]).await?;
        Ok((e, state))
    }

    /// The state of an enrolment the caller may see (not audited: the
    /// caller audits the read it belongs to).
    pub async fn state_of(
        &self,
        e: &PanelEnrolment,
        as_of: Date,
    ) -> Result<PanelState, ServiceError> {
        let measurements = self.measurements_of(&[&e.id]).await?;
        // A status as of a past day knows nothing measured after it.
        let known: Vec<Measurement> = measurements
            .into_iter()
            .filter(|m| m.at.date() <= as_of)
            .collect();
        let status = control_status(e, &known, &Targets::default(), as_of);
        let due = next_due(e, &known);
        Ok(PanelState {
            status,
            next_due: due,
            follow_up: FollowUpState::on(due, as_of),
        })
    }

    /// The enrolments due or overdue for a follow-up on `today`, of a
    /// family doctor or of an institution, the most overdue first.
    /// Doctors ask for themselves or their institution, coordinators for
    /// their institution, administrators for anyone. Each entry is audited
    /// against its patient.
    pub async fn due(
        &self,
        practitioner: Option<&str>,
        organization: Option<&str>,
        today: Date,
    ) -> Result<Vec<(PanelEnrolment, DueEntry)>, ServiceError> {
        let filter = match (practitioner, organization) {
            (Some(p), None) => exact("family-doctor", format!("Practitioner/{p}")),
            (None, Some(o)) => exact("performer", format!("Organization/{o}")),
            _ => {
                return Err(ServiceError::invalid(
                    "practitioner",
                    "name either the family doctor (practitioner=Practitioner/id) or the institution (organization=Organization/id)",
                ));
            }
        };
        let mine = match self.actor.role {
            UserRole::Admin => true,
            UserRole::Doctor => {
                practitioner.is_some_and(|p| {
                    self.actor.practitioner.as_ref().map(|x| x.as_str()) == Some(p)
                }) || organization
                    .is_some_and(|o| self.actor.institution.as_ref().map(|x| x.as_str()) == Some(o))
            }
            UserRole::Coordinator => organization
                .is_some_and(|o| self.actor.institution.as_ref().map(|x| x.as_str()) == Some(o)),
            // A due list names patients and their follow-ups: care work,
            // not the fund's.
            UserRole::Analyst | UserRole::Insurer | UserRole::Resident => false,
        };
        if !mine {
            let err = ServiceError::Forbidden(
                "a due list is seen by the family doctor it belongs to and staff of the institution".into(),
            );
            return Err(self.refuse("search", None, None, err).await);
        }
        let enrolments = self.all_enrolments(filter).await?;
        let active: Vec<PanelEnrolment> = enrolments
            .into_iter()
            .filter(|e| e.active_on(today))
            .collect();
        let ids: Vec<&EnrolmentId> = active.iter().map(|e| &e.id).collect();
        let measurements: Vec<Measurement> = self
            .measurements_of(&ids)
            .await?
            .into_iter()
            .filter(|m| m.at.date() <= today)
            .collect();
        let list = due_list(&active, &measurements, today);
        let by_id: HashMap<&EnrolmentId, &PanelEnrolment> =
            active.iter().map(|e| (&e.id, e)).collect();
        let out: Vec<(PanelEnrolment, DueEntry)> = list
            .into_iter()
            .filter_map(|d| by_id.get(&d.enrolment).map(|e| ((*e).clone(), d)))
            .collect();
        let mut entries: Vec<_> = out
            .iter()
            .map(|(e, _)| {
                self.registry().audit_entry(
                    "search",
                    "CarePlan",
                    Some(e.id.as_str()),
                    Some(e.patient.as_str()),
                    AuditOutcome::Success,
                    "due list".into(),
                )
            })
            .collect();
        if entries.is_empty() {
            entries.push(self.registry().audit_entry(
                "search",
                "CarePlan",
                None,
                None,
                AuditOutcome::Success,
                "due list: none due".into(),
            ));
        }
        self.registry().audit(entries).await?;
        Ok(out)
    }
}
