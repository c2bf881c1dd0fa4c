//! `_history` of the loop's records (referrals and consults, their Tasks,
//! visits, results, care plans and follow-ups, coverage, claims, and the
//! open capacity records): one record's versions under the same rule as a
//! read of it, and a whole type's narrowed inside the store's query to
//! what the caller may see, so its total counts only those. Every version
//! of patient data listed is audited as a read of that patient's data.

use super::Referrals;
use crate::ServiceError;
use crate::outreach::Outreach;
use tiercare_core::Record;
use tiercare_core::access::UserRole;
use tiercare_core::care_plan::FollowUp;
use tiercare_core::consult::Consult;
use tiercare_store::{AuditOutcome, HistoryQuery, Stored};

/// The versions a history request found: newest first, how many there are
/// in all, and the type they are stored under (a referral's `Task` is
/// stored as its `ServiceRequest`, and rendered from it).
#[derive(Debug)]
pub struct History {
    pub versions: Vec<Stored>,
    pub total: u64,
    pub stored_as: String,
}

impl Referrals<'_> {
    /// The versions of `q.resource_type`/`q.id`. The record is first read
    /// as its `GET` reads it (audited alike); a caller who may not read it
    /// is told it does not exist, as for an unknown id, so a history
    /// request never confirms that a record is there.
    pub async fn instance_history(&self, mut q: HistoryQuery) -> Result<History, ServiceError> {
        let rt = q.resource_type.clone();
        let id = q.id.clone().unwrap_or_default();
        let stored_as = match self.read_for_history(&rt, &id).await {
            Ok(stored_as) => stored_as,
            Err(ServiceError::Forbidden(_)) => {
                return Err(ServiceError::NotFound(format!("{rt}/{id} does not exist")));
            }
            Err(e) => return Err(e),
        };
        q.resource_type = stored_as.to_string();
        self.listed(q).await
    }

    /// The versions of every record of `q.resource_type` the caller may
    /// see, by the rule of that type's search; refused where the type's
    /// search needs a patient named, or for `Task`, whose records are of
    /// three kinds stored under two types.
    pub async fn type_history(&self, mut q: HistoryQuery) -> Result<History, ServiceError> {
        let rt = q.resource_type.clone();
        let actor = self.actor;
        let admin = actor.role == UserRole::Admin;
        let staff = matches!(actor.role, UserRole::Doctor | UserRole::Coordinator);
        let institution = actor
            .institution
            .as_ref()
            .map(|i| format!("Organization/{i}"));
        let refusal = match rt.as_str() {
            "Slot" | "HealthcareService" | "Schedule" => None,
            "ServiceRequest" => match (admin, staff, institution) {
                (true, ..) => None,
                (false, true, Some(i)) => {
                    q.scope.push(("party".into(), i));
                    None
                }
                _ => Some("this account may not see referrals".to_string()),
            },
            "Appointment" | "Encounter" => {
                let staff_term = if rt == "Appointment" {
                    "organization"
                } else {
                    "service-provider"
                };
                match (actor.role, &actor.resident, institution) {
                    (UserRole::Admin, ..) => None,
                    (UserRole::Resident, Some(r), _) => {
                        q.scope.push(("patient".into(), format!("Patient/{r}")));
                        None
                    }
                    (UserRole::Doctor | UserRole::Coordinator, _, Some(i)) => {
                        q.scope.push((staff_term.into(), i));
                        None
                    }
                    _ => Some("this account may not see visits".to_string()),
                }
            }
            "ExplanationOfBenefit" if admin || actor.role == UserRole::Insurer => None,
            "Observation"
            | "DiagnosticReport"
            | "CarePlan"
            | "Coverage"
            | "ExplanationOfBenefit" => (!admin).then(|| {
                format!(
                    "the history of every {rt} is for administrators; ask for one record's history ({rt}/{{id}}/_history)"
                )
            }),
            "Task" => {
                return Err(ServiceError::invalid(
                    "_history",
                    "Task/_history is not served: a referral's Task shares its history with the ServiceRequest (ServiceRequest/_history); ask for one Task's history (Task/{id}/_history)",
                ));
            }
            other => {
                return Err(ServiceError::NotFound(format!(
                    "resource type {other:?} has no history here"
                )));
            }
        };
        if let Some(reason) = refusal {
            let refused = (AuditOutcome::Denied, ServiceError::Forbidden(reason));
            return Err(self.refuse("history", &rt, None, None, refused).await);
        }
        self.listed(q).await
    }

    /// Reads record `rt`/`id` as its `GET` does (refused and audited
    /// alike) and answers the type its versions are stored under.
    async fn read_for_history(&self, rt: &str, id: &str) -> Result<&'static str, ServiceError> {
        match rt {
            "ServiceRequest" if Consult::is_consult_id(id) => {
                self.consult(id).await?;
                Ok("ServiceRequest")
            }
            "ServiceRequest" => {
                self.read(id).await?;
                Ok("ServiceRequest")
            }
            "Task" if FollowUp::is_follow_up_id(id) => {
                self.read_record("Task", id).await?;
                Ok("Task")
            }
            "Task" => {
                let activity = self
                    .ctx
                    .store
                    .get("Task", id)
                    .await?
                    .is_some_and(|s| matches!(s.record, Record::MentorshipActivity(_)));
                if activity {
                    Outreach::new(self.ctx, self.actor)
                        .read_activity(id)
                        .await?;
                    Ok("Task")
                } else {
                    self.read(id).await?;
                    Ok("ServiceRequest")
                }
            }
            "Appointment" => self.read_visit(rt, id).await.map(|_| "Appointment"),
            "Encounter" => self.read_visit(rt, id).await.map(|_| "Encounter"),
            "Observation"
            | "DiagnosticReport"
            | "CarePlan"
            | "Coverage"
            | "ExplanationOfBenefit" => {
                let s = self.read_record(rt, id).await?;
                Ok(s.record.resource_type())
            }
            "Slot" | "HealthcareService" | "Schedule" => {
                let s = crate::open::read(self.ctx, rt, id).await?;
                Ok(s.record.resource_type())
            }
            other => Err(ServiceError::NotFound(format!(
                "resource type {other:?} has no history here"
            ))),
        }
    }

    /// Lists the versions `q` names and audits each one that holds
    /// patient data as a read of it.
    async fn listed(&self, q: HistoryQuery) -> Result<History, ServiceError> {
        let (versions, total) = self.ctx.store.history(&q).await?;
        let registry = self.registry();
        let entries = versions
            .iter()
            .filter_map(|s| {
                let patient = s.record.patient()?;
                Some(registry.audit_entry(
                    "read",
                    &q.resource_type,
                    Some(s.record.id()),
                    Some(patient.as_str()),
                    AuditOutcome::Success,
                    format!("_history version {}", s.version),
                ))
            })
            .collect::<Vec<_>>();
        if !entries.is_empty() {
            registry.audit(entries).await?;
        }
        Ok(History {
            versions,
            total,
            stored_as: q.resource_type,
        })
    }
}
