//! Downward referral with a care plan.
//!
//! When a hospital sends a stable patient back to primary care, the loop
//! only closes if the family doctor knows what to do next. The hospital
//! doctor draws up a care plan on the downward referral: targets (blood
//! pressure under 140/90), medicines, and follow-up visits due on dates.
//! Each follow-up is a task for the receiving institution, listed when due
//! and overdue. Each medicine is checked against the receiving
//! institution's essential-medicines list, and the ones it cannot dispense
//! are flagged. The patient accepts or refuses the plan; a refusal ends the
//! downward referral (and is counted: patients who refuse to go down are
//! one of the flows the health commission watches).

use crate::access::{Actor, UserRole};
use crate::clinical::MedicineUse;
use crate::medicines::{EssentialMedicines, MedicineCode};
use crate::referral::{Direction, Referral, ReferralState};
use crate::{CarePlanId, FollowUpId, InstitutionId, PractitionerId, ReferralId, ResidentId};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

#[cfg(test)]
mod tests;

/// A target the family doctor keeps the patient to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// What is measured ("blood pressure").
    pub measure: String,
    /// The goal ("below 140/90 mmHg").
    pub goal: String,
}

/// A prescribed medicine, and whether the receiving institution stocks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prescription {
    pub medicine: MedicineUse,
    /// False when the receiving institution's essential-medicines list
    /// does not have it (or it has no list).
    pub on_receiver_list: bool,
}

/// A follow-up visit as planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedFollowUp {
    pub due: Date,
    pub description: String,
}

/// The patient's answer to the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum PatientDecision {
    Pending,
    Accepted {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    Refused {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        reason: String,
    },
}

impl PatientDecision {
    pub fn code(&self) -> &'static str {
        match self {
            PatientDecision::Pending => "pending",
            PatientDecision::Accepted { .. } => "accepted",
            PatientDecision::Refused { .. } => "refused",
        }
    }
}

/// Where the plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanStatus {
    Active,
    /// Every follow-up is done.
    Completed,
    /// The patient refused it.
    Revoked,
}

/// The plan handed down with a downward referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarePlan {
    pub id: CarePlanId,
    pub patient: ResidentId,
    /// The downward referral it belongs to.
    pub referral: ReferralId,
    pub author: PractitionerId,
    /// The hospital handing the patient down.
    pub from: InstitutionId,
    /// The primary institution taking the patient on.
    pub to: InstitutionId,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// Discharge summary and instructions in words.
    pub description: String,
    pub targets: Vec<Target>,
    pub medicines: Vec<Prescription>,
    pub follow_ups: Vec<FollowUpId>,
    pub decision: PatientDecision,
    pub status: PlanStatus,
}

/// A follow-up visit the receiving institution owes the patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub id: FollowUpId,
    pub care_plan: CarePlanId,
    pub patient: ResidentId,
    /// The institution that does it (the plan's receiver).
    pub owner: InstitutionId,
    pub due: Date,
    pub description: String,
    pub status: FollowUpStatus,
}

/// Where a follow-up stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum FollowUpStatus {
    Due,
    Done {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: PractitionerId,
        note: String,
    },
    /// The plan was refused; nothing is owed.
    Cancelled,
}

impl FollowUpStatus {
    pub fn code(&self) -> &'static str {
        match self {
            FollowUpStatus::Due => "due",
            FollowUpStatus::Done { .. } => "done",
            FollowUpStatus::Cancelled => "cancelled",
        }
    }
}

/// What the hospital doctor fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCarePlan {
    pub description: String,
    pub targets: Vec<Target>,
    pub medicines: Vec<MedicineUse>,
    pub follow_ups: Vec<PlannedFollowUp>,
}

/// Why a care-plan action was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarePlanError {
    #[error("{0}")]
    NotAllowed(String),
    #[error("cannot {action} when {state}")]
    IllegalTransition {
        action: &'static str,
        state: &'static str,
    },
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// A change to a care plan or one of its follow-ups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarePlanEvent {
    pub care_plan: CarePlanId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub change: PlanChange,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum PlanChange {
    DrawnUp {
        plan: Box<CarePlan>,
        /// Prescribed medicines the receiver cannot dispense.
        missing: Vec<MedicineCode>,
    },
    PatientAccepted,
    PatientRefused {
        reason: String,
        /// The plan's follow-ups, cancelled with it where still due.
        #[serde(default)]
        follow_ups: Vec<FollowUpId>,
    },
    FollowUpDone {
        follow_up: FollowUpId,
        due: Date,
        on_time: bool,
    },
    Completed,
}

impl CarePlanEvent {
    /// A stable, versioned event name.
    pub fn kind(&self) -> &'static str {
        match self.change {
            PlanChange::DrawnUp { .. } => "care-plan.drawn-up.v1",
            PlanChange::PatientAccepted => "care-plan.accepted.v1",
            PlanChange::PatientRefused { .. } => "care-plan.refused.v1",
            PlanChange::FollowUpDone { .. } => "care-plan.follow-up-done.v1",
            PlanChange::Completed => "care-plan.completed.v1",
        }
    }
}

fn invalid(field: &'static str, message: &str) -> CarePlanError {
    CarePlanError::Invalid {
        field,
        message: message.into(),
    }
}

impl CarePlan {
    /// The id of a referral's plan: one plan per downward referral.
    pub fn id_for(referral: &ReferralId) -> Option<CarePlanId> {
        CarePlanId::new(format!("{}{referral}", Self::ID_PREFIX)).ok()
    }

    /// Every plan id, and so every follow-up id, starts with this; no
    /// referral id does (those are hex), so a `Task` id says whether it is
    /// a follow-up or a referral's workflow without a read.
    pub const ID_PREFIX: &'static str = "cp-";

    /// Draws up the plan for a downward referral. Only a doctor of the
    /// referring hospital may, while the referral is open; each medicine is
    /// checked against `list`, the receiver's essential medicines.
    pub fn draw_up(
        new: NewCarePlan,
        referral: &Referral,
        list: Option<&EssentialMedicines>,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<(CarePlan, Vec<FollowUp>, CarePlanEvent), CarePlanError> {
        let author = match (&by.role, &by.practitioner) {
            (UserRole::Doctor, Some(p)) if by.institution.as_ref() == Some(&referral.from) => {
                p.clone()
            }
            _ => {
                return Err(CarePlanError::NotAllowed(format!(
                    "a care plan is drawn up by a doctor of the referring institution (Organization/{})",
                    referral.from
                )));
            }
        };
        if referral.direction() != Direction::Downward {
            return Err(invalid(
                "basedOn",
                "a care plan goes with a downward referral",
            ));
        }
        if matches!(
            referral.state,
            ReferralState::Closed
                | ReferralState::Cancelled { .. }
                | ReferralState::Declined { .. }
                | ReferralState::Returned { .. }
        ) {
            return Err(CarePlanError::IllegalTransition {
                action: "draw up a care plan",
                state: referral.state.code(),
            });
        }
        if new.follow_ups.is_empty() {
            return Err(invalid("activity", "plan at least one follow-up visit"));
        }
        if new.follow_ups.iter().any(|f| f.due < now.date()) {
            return Err(invalid("activity", "a follow-up cannot be due in the past"));
        }
        if new
            .follow_ups
            .iter()
            .any(|f| f.description.trim().is_empty())
        {
            return Err(invalid("activity", "say what each follow-up is for"));
        }
        let id = CarePlan::id_for(&referral.id)
            .ok_or_else(|| invalid("basedOn", "the referral id is too long for a plan id"))?;
        let mut follow_ups = Vec::new();
        let mut planned = new.follow_ups;
        planned.sort_by_key(|f| f.due);
        for (n, f) in planned.into_iter().enumerate() {
            let fid = FollowUpId::new(format!("{id}-{}", n + 1))
                .map_err(|_| invalid("activity", "too many follow-ups"))?;
            follow_ups.push(FollowUp {
                id: fid,
                care_plan: id.clone(),
                patient: referral.patient.clone(),
                owner: referral.to.clone(),
                due: f.due,
                description: f.description,
                status: FollowUpStatus::Due,
            });
        }
        let medicines: Vec<Prescription> = new
            .medicines
            .into_iter()
            .map(|m| Prescription {
                on_receiver_list: list.is_some_and(|l| l.has(&m.medicine)),
                medicine: m,
            })
            .collect();
        let missing = medicines
            .iter()
            .filter(|p| !p.on_receiver_list)
            .map(|p| p.medicine.medicine.clone())
            .collect();
        let plan = CarePlan {
            id,
            patient: referral.patient.clone(),
            referral: referral.id.clone(),
            author,
            from: referral.from.clone(),
            to: referral.to.clone(),
            created: now,
            description: new.description,
            targets: new.targets,
            medicines,
            follow_ups: follow_ups.iter().map(|f| f.id.clone()).collect(),
            decision: PatientDecision::Pending,
            status: PlanStatus::Active,
        };
        let event = CarePlanEvent {
            care_plan: plan.id.clone(),
            at: now,
            by: by.username.clone(),
            change: PlanChange::DrawnUp {
                plan: Box::new(plan.clone()),
                missing,
            },
        };
        Ok((plan, follow_ups, event))
    }

    /// Medicines the receiver cannot dispense.
    pub fn missing_medicines(&self) -> impl Iterator<Item = &Prescription> {
        self.medicines.iter().filter(|p| !p.on_receiver_list)
    }

    /// Records the patient's decision: by the patient themself, or by staff
    /// of either institution who discussed it with them. Made once.
    pub fn decide(
        &mut self,
        accepted: bool,
        reason: String,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<CarePlanEvent, CarePlanError> {
        let patient_self =
            by.role == UserRole::Resident && by.resident.as_ref() == Some(&self.patient);
        let staff = matches!(by.role, UserRole::Doctor | UserRole::Coordinator)
            && (by.institution.as_ref() == Some(&self.from)
                || by.institution.as_ref() == Some(&self.to));
        if !patient_self && !staff {
            return Err(CarePlanError::NotAllowed(
                "the patient's decision is recorded by the patient or by staff of either institution"
                    .into(),
            ));
        }
        if self.decision != PatientDecision::Pending {
            return Err(CarePlanError::IllegalTransition {
                action: "decide again",
                state: self.decision.code(),
            });
        }
        let change = if accepted {
            self.decision = PatientDecision::Accepted { at: now };
            PlanChange::PatientAccepted
        } else {
            self.decision = PatientDecision::Refused {
                at: now,
                reason: reason.clone(),
            };
            self.status = PlanStatus::Revoked;
            PlanChange::PatientRefused {
                reason,
                follow_ups: self.follow_ups.clone(),
            }
        };
        Ok(CarePlanEvent {
            care_plan: self.id.clone(),
            at: now,
            by: by.username.clone(),
            change,
        })
    }

    /// Marks the plan completed once every follow-up is settled; returns
    /// the event when it changed.
    pub fn settle(
        &mut self,
        follow_ups: &[FollowUp],
        by: &Actor,
        now: OffsetDateTime,
    ) -> Option<CarePlanEvent> {
        let all_done = follow_ups
            .iter()
            .all(|f| matches!(f.status, FollowUpStatus::Done { .. }));
        (self.status == PlanStatus::Active && all_done).then(|| {
            self.status = PlanStatus::Completed;
            CarePlanEvent {
                care_plan: self.id.clone(),
                at: now,
                by: by.username.clone(),
                change: PlanChange::Completed,
            }
        })
    }
}

impl FollowUp {
    /// Whether a `Task` id is a follow-up's (see [`CarePlan::ID_PREFIX`]).
    pub fn is_follow_up_id(id: &str) -> bool {
        id.starts_with(CarePlan::ID_PREFIX)
    }

    /// A doctor of the owning institution records the follow-up as done.
    pub fn complete(
        &mut self,
        note: String,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<CarePlanEvent, CarePlanError> {
        let doctor = match (&by.role, &by.practitioner) {
            (UserRole::Doctor, Some(p)) if by.institution.as_ref() == Some(&self.owner) => {
                p.clone()
            }
            _ => {
                return Err(CarePlanError::NotAllowed(format!(
                    "a follow-up is recorded by a doctor of Organization/{}",
                    self.owner
                )));
            }
        };
        if self.status != FollowUpStatus::Due {
            return Err(CarePlanError::IllegalTransition {
                action: "complete a follow-up",
                state: self.status.code(),
            });
        }
        self.status = FollowUpStatus::Done {
            at: now,
            by: doctor,
            note,
        };
        Ok(CarePlanEvent {
            care_plan: self.care_plan.clone(),
            at: now,
            by: by.username.clone(),
            change: PlanChange::FollowUpDone {
                follow_up: self.id.clone(),
                due: self.due,
                on_time: now.date() <= self.due,
            },
        })
    }

    /// Cancels a follow-up that is still due (its plan was refused).
    pub fn cancel(&mut self) -> bool {
        let due = self.status == FollowUpStatus::Due;
        if due {
            self.status = FollowUpStatus::Cancelled;
        }
        due
    }

    /// Whether it is late on `today`.
    pub fn overdue(&self, today: Date) -> bool {
        self.status == FollowUpStatus::Due && self.due < today
    }
}
