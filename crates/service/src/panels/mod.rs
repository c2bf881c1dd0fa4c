//! The co-managed chronic panel service: enrolments (`CarePlan`, category
//! `chronic-panel`), their follow-up measurements (`Observation` based on
//! the plan), control status and the due list.
//!
//! Rules come from `tiercare_core::outreach`; this service looks up what
//! they need (the patient, the institution's level, the family doctor's
//! role there, the specialist, the programme), decides who may see and
//! change a panel, and writes each change with its `OutreachEvent`, its
//! audit entry and a chronic-management snapshot of the institution in one
//! transaction, at `ctx.clock.now()`.
//!
//! # Who sees and changes a panel
//!
//! A panel is shared between primary care and a hospital specialist, so it
//! is seen by both sides, and no further:
//!
//! - administrators: every panel; analysts: none (patient data; they see
//!   the chronic-management indicator only);
//! - the patient: their own (read only);
//! - the primary side: the enrolment's family doctor, staff of the primary
//!   institution that follows the patient up, and the patient's contracted
//!   family-doctor team. They enrol, end and measure (measurements:
//!   doctors only);
//! - the sides of an open referral of the patient see the panel (as they
//!   see the patient's other records while the loop runs), and may
//!   measure, but neither enrol nor end;
//! - the specialist side: a specialist sees the enrolments whose programme
//!   lists them among its specialists (or, without a programme, whose
//!   panel specialist they are), with their measurements, and may record
//!   measurements on them (a joint clinic measures too). Nothing of other
//!   patients is visible through panels; a search by such a specialist is
//!   narrowed to the panels they may see.
//!
//! Every read, search, write and refusal is audited against the patient.
//!
//! # The chronic-management indicator
//!
//! Each enrolment, end and measurement write carries a
//! `Fact::ChronicPanel` snapshot of its institution as of the write's day:
//! `known` the patients enrolled there that day, `followed` those with a
//! measurement within `REGULAR_FOLLOW_UP_DAYS` days. The store turns
//! successive snapshots into changes of the daily aggregates, so the
//! indicator for a period reads the last snapshot of each institution: a
//! snapshot is as fresh as the institution's last panel write (patients
//! whose follow-up lapses without any write there still count as followed
//! until the next write).
//!
//! # Where the code is
//!
//! The methods of [`Panels`] are grouped by use case: `enrol` enrols and
//! ends, `measure` records measurements and reads them back, `due` answers
//! the control status and the due list; `access` decides who sees and
//! changes a panel, and `write` writes a change with its event, audit entry
//! and snapshot. This file holds the types and the lookups and refusals
//! they share.

mod access;
mod due;
mod enrol;
mod measure;
mod write;

pub use due::PanelState;
pub use enrol::EnrolmentInput;
pub use measure::MeasurementInput;

use crate::Context;
use crate::ServiceError;
use crate::Versioned;
use crate::registry::Registry;
use crate::search::{all, exact, query};
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_core::outreach::{OutreachError, PanelEnrolment};
use tiercare_store::{Filter, Stored};

/// A refusal to audit: (action, resource type), patient, error.
type Refusal = ((&'static str, &'static str), String, ServiceError);

/// Panels as seen by one caller.
pub struct Panels<'a> {
    ctx: &'a Context,
    actor: &'a Actor,
}

/// The category code of a panel enrolment `CarePlan`, which the panel
/// searches filter by.
pub const PANEL_CATEGORY: &str = "chronic-panel";

impl<'a> Panels<'a> {
    pub fn new(ctx: &'a Context, actor: &'a Actor) -> Self {
        Panels { ctx, actor }
    }

    fn registry(&self) -> Registry<'a> {
        Registry::new(self.ctx, self.actor)
    }

    /// Every panel enrolment matching `filter`, page by page.
    async fn all_enrolments(&self, filter: Filter) -> Result<Vec<PanelEnrolment>, ServiceError> {
        let q = query("CarePlan", vec![filter, exact("category", PANEL_CATEGORY)]);
        let found = all(&self.ctx.store, q).await?;
        Ok(found
            .into_iter()
            .filter_map(|s| match s.record {
                Record::PanelEnrolment(e) => Some(e),
                _ => None,
            })
            .collect())
    }

    async fn load(&self, id: &str) -> Result<Versioned<PanelEnrolment>, ServiceError> {
        match self.ctx.store.get("CarePlan", id).await? {
            Some(Stored {
                record: Record::PanelEnrolment(value),
                version,
                updated_at,
                ..
            }) => Ok(Versioned {
                value,
                version,
                updated_at,
            }),
            Some(_) => Err(ServiceError::NotFound(format!(
                "CarePlan/{id} is not a panel enrolment"
            ))),
            None => Err(ServiceError::NotFound(format!(
                "CarePlan/{id} does not exist"
            ))),
        }
    }

    /// Audits a refusal against the patient and hands back its error.
    /// Audits a create refused as bad input (a unit, a malformed element)
    /// against the patient it names, and hands back its error.
    pub async fn refuse_input(
        &self,
        rt: &str,
        patient: Option<&str>,
        err: ServiceError,
    ) -> ServiceError {
        self.refuse_as("create", rt, None, patient, err).await
    }

    async fn refused(&self, ((action, rt), patient, err): Refusal) -> ServiceError {
        self.refuse_as(action, rt, None, Some(&patient), err).await
    }

    async fn refuse(
        &self,
        action: &str,
        id: Option<&str>,
        patient: Option<&str>,
        err: ServiceError,
    ) -> ServiceError {
        self.refuse_as(action, "CarePlan", id, patient, err).await
    }

    async fn refuse_as(
        &self,
        action: &str,
        rt: &str,
        id: Option<&str>,
        patient: Option<&str>,
        err: ServiceError,
    ) -> ServiceError {
        self.registry().refuse(action, rt, id, patient, err).await
    }
}

/// A core refusal (a rule the record breaks: a programme that does not
/// fit, a measurement of another patient or outside the enrolment): a rule error,
/// naming the FHIR field. Values and units were checked when parsed.
fn core_error(e: OutreachError, prefix: &str) -> ServiceError {
    match e {
        OutreachError::Invalid { field, message } => {
            ServiceError::rule(format!("{prefix}{field}"), format!("{field}: {message}"))
        }
        other => ServiceError::rule(prefix.trim_end_matches('.'), other.to_string()),
    }
}
