//! The Joint Health Centre service: outreach programmes, their sessions,
//! and the mentoring of family doctors by the programmes' specialists.
//!
//! Each operation loads what it needs, lets [`tiercare_core::outreach`]
//! decide, and writes the changed records with their events and the
//! caller's audit entry in one transaction, at the version it read them,
//! at [`crate::Clock::now`]; a version conflict is retried on
//! fresh records (a second `$hold` of one session then meets the first's
//! result and gets a conflict).
//!
//! Who may do what (the pilots failed partly because nobody was
//! accountable, so every write and every refusal is audited):
//!
//! - programmes and sessions are not patient data: anyone signed in reads
//!   them;
//! - a programme is created or ended by an administrator or a coordinator
//!   of its hospital;
//! - a session is scheduled by an administrator, a coordinator of the
//!   programme's hospital or one of the programme's specialists; held by
//!   its specialist or by staff (doctors, coordinators) of the primary
//!   institution; cancelled by staff of either institution, the side
//!   being the caller's institution's (an administrator names the side);
//!   recorded as missed by an administrator or staff of either side;
//! - a mentorship is created or ended by an administrator or a
//!   coordinator of the mentor's hospital; activities are logged by the
//!   mentor or a mentee; competences are recognised by the mentor;
//! - an activity that names patients is patient data: read only by the
//!   mentorship's members and administrators, every read, write and
//!   refusal audited against its (first) patient.
//!
//! When a session is cancelled its unbooked slots are closed (no one can
//! hold or book them any more). Booked appointments are not cancelled
//! behind the patients' backs: the `$cancel` answer lists them, for the
//! primary institution to call the patients and rebook.

mod mentorship;
mod programmes;
mod sessions;

pub use sessions::Cancelled;

use crate::Context;
use crate::ServiceError;
use crate::Versioned;
use crate::registry::Registry;
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::events::Event;
use tiercare_core::outreach::OutreachError;
use tiercare_core::{InstitutionId, PractitionerId};
use tiercare_store::{AuditOutcome, Expect, StoreError, Stored, Write};

/// Attempts at a change whose records others are changing too.
const RETRIES: usize = 16;

/// The Joint Health Centre as seen by one caller.
pub struct Outreach<'a> {
    ctx: &'a Context,
    actor: &'a Actor,
}

/// A record change to write: the record, the version it was read at, its
/// events.
type Change = (Record, Expect, Vec<Event>);

impl<'a> Outreach<'a> {
    pub fn new(ctx: &'a Context, actor: &'a Actor) -> Self {
        Outreach { ctx, actor }
    }

    fn registry(&self) -> Registry<'a> {
        Registry::new(self.ctx, self.actor)
    }

    fn is_admin(&self) -> bool {
        self.actor.role == UserRole::Admin
    }

    /// Whether the caller is staff (doctor or coordinator) of `institution`.
    fn staff_of(&self, institution: &InstitutionId) -> bool {
        matches!(self.actor.role, UserRole::Doctor | UserRole::Coordinator)
            && self.actor.institution.as_ref() == Some(institution)
    }

    fn coordinator_of(&self, institution: &InstitutionId) -> bool {
        self.actor.role == UserRole::Coordinator
            && self.actor.institution.as_ref() == Some(institution)
    }

    /// Whether the caller is the practitioner `p`.
    fn is(&self, p: &PractitionerId) -> bool {
        matches!(self.actor.role, UserRole::Doctor | UserRole::Coordinator)
            && self.actor.practitioner.as_ref() == Some(p)
    }

    async fn load(&self, rt: &str, id: &str) -> Result<Option<Stored>, ServiceError> {
        Ok(self.ctx.store.get(rt, id).await?)
    }

    /// Writes the changes with the caller's success audit entry in one
    /// transaction; the first change's stored version is returned.
    async fn write(
        &self,
        changes: Vec<Change>,
        action: &str,
        detail: String,
    ) -> Result<Stored, StoreError> {
        let audit = match changes.first() {
            Some((record, ..)) => vec![self.registry().audit_entry(
                action,
                record.resource_type(),
                Some(record.id()),
                record.patient().map(|p| p.as_str()),
                AuditOutcome::Success,
                detail,
            )],
            None => vec![],
        };
        let first = changes.first().map(|(r, ..)| r.clone());
        let mut writes: Vec<Write> = changes
            .into_iter()
            .map(|(record, expect, events)| Write {
                index: self.ctx.terms_of(&record),
                record,
                expect,
                actor: self.actor.username.clone(),
                events,
                facts: Vec::new(),
            })
            .collect();
        crate::facts::derive(self.ctx, self.actor, &mut writes).await?;
        let stored = self.ctx.store.write_all(writes, audit).await?;
        match (stored.into_iter().next(), first) {
            (Some(s), _) => Ok(s),
            (None, Some(record)) => Ok(Stored {
                record,
                version: 1,
                updated_at: tiercare_store::now_text(),
                created: true,
            }),
            (None, None) => Err(StoreError::NotFound {
                resource_type: "record".into(),
                id: String::new(),
            }),
        }
    }

    /// Audits a refused request and hands back its error; if the audit
    /// itself fails, that error instead.
    async fn refuse(
        &self,
        action: &str,
        resource_type: &str,
        id: Option<&str>,
        patient: Option<&str>,
        err: ServiceError,
    ) -> ServiceError {
        self.registry()
            .refuse(action, resource_type, id, patient, err)
            .await
    }
}

/// A stored record as the handlers answer it.
pub fn stored_of(record: Record, version: u32, updated_at: String) -> Stored {
    Stored {
        record,
        version,
        updated_at,
        created: false,
    }
}

/// Maps a refusal of the core to the service error, naming the field as
/// the element of the resource it was sent in (`Schedule.planningHorizon.start`).
pub fn outreach_error(resource_type: &str, e: OutreachError) -> ServiceError {
    match &e {
        OutreachError::Invalid { field, message } => {
            let path = match (resource_type, *field) {
                ("Schedule", "start") => "Schedule.planningHorizon.start".to_string(),
                ("Schedule", "end") => "Schedule.planningHorizon.end".to_string(),
                ("Schedule", "specialist") => "Schedule.actor".to_string(),
                ("HealthcareService", "period.end") => {
                    "HealthcareService.extension(outreach-period).end".to_string()
                }
                ("HealthcareService", "primary") => {
                    "HealthcareService.extension(outreach-primary)".to_string()
                }
                ("HealthcareService", "hospital") => "HealthcareService.providedBy".to_string(),
                ("HealthcareService", "specialist") => {
                    "HealthcareService.extension(outreach-specialist)".to_string()
                }
                ("HealthcareService", "sessionsPerMonth") => {
                    "HealthcareService.extension(sessions-per-month)".to_string()
                }
                ("HealthcareService", "slotsPerSession") => {
                    "HealthcareService.extension(slots-per-session)".to_string()
                }
                ("HealthcareService", "service") => "HealthcareService.type".to_string(),
                ("CareTeam", "familyDoctor") => "CareTeam.participant".to_string(),
                ("Task", "familyDoctor") => "Task.extension(activity-participant)".to_string(),
                ("Task", "referral") => "Task.basedOn".to_string(),
                ("Task", "date") => "Task.executionPeriod.start".to_string(),
                (rt, f) => format!("{rt}.{f}"),
            };
            ServiceError::rule(path.clone(), format!("{path}: {message}"))
        }
        OutreachError::IllegalTransition { .. } | OutreachError::ProgrammeEnded(_) => {
            ServiceError::Conflict(e.to_string())
        }
    }
}
