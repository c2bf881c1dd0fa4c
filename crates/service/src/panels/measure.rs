//! Measurements: the follow-up `Observation`s of an enrolment.
//!
//! Doctors of a panel record them (the core checks patient and dates); the
//! other use cases read them back here, a bounded number of enrolments per
//! store query.

use super::{Panels, core_error};
use crate::ServiceError;
use crate::Versioned;
use crate::new_id;
use crate::search::{all, any_of, query};
use tiercare_core::EnrolmentId;
use tiercare_core::Record;
use tiercare_core::access::UserRole;
use tiercare_core::outreach::{Measurement, PanelEnrolment};
use tiercare_store::{Expect, Filter, Match};
use time::Date;

/// What a measurement `Observation` says, before it is checked against
/// its enrolment.
pub struct MeasurementInput {
    pub enrolment: String,
    pub patient: String,
    pub at: time::OffsetDateTime,
    pub kind: tiercare_core::outreach::MeasurementKind,
}

/// How many ids one search names at most (bound values stay well under
/// SQLite's limit).
const IDS_PER_QUERY: usize = 200;

impl Panels<'_> {
    /// Records a measurement on an enrolment: same patient, taken while
    /// enrolled and not in the future (the core's `Measurement::record`).
    pub async fn measure(
        &self,
        input: MeasurementInput,
    ) -> Result<Versioned<Measurement>, ServiceError> {
        let enrolment = match self.load(&input.enrolment).await {
            Ok(e) => e.value,
            Err(ServiceError::NotFound(msg)) => {
                let err = ServiceError::rule("Observation.basedOn", msg);
                return Err(self
                    .refused((("create", "Observation"), input.patient.clone(), err))
                    .await);
            }
            Err(e) => return Err(e),
        };
        let patient = enrolment.patient.to_string();
        let refuse = |e: ServiceError| (("create", "Observation"), patient.clone(), e);
        let may = self.actor.role == UserRole::Doctor && self.may_see(&enrolment).await?;
        if !may {
            let err = ServiceError::Forbidden(
                "panel measurements are recorded by doctors of the panel: the primary side or the programme's specialists".into(),
            );
            return Err(self.refused(refuse(err)).await);
        }
        let m = Measurement {
            id: crate::typed_id(&new_id(), "Observation.id")?,
            enrolment: enrolment.id.clone(),
            patient: crate::typed_id(&input.patient, "Observation.subject")?,
            at: input.at,
            kind: input.kind,
        };
        let event = match m.clone().record(&enrolment, self.ctx.clock.now()) {
            Ok(e) => e,
            Err(e) => return Err(self.refused(refuse(core_error(e, "Observation."))).await),
        };
        let (version, updated_at) = self
            .write(
                Record::Measurement(m.clone()),
                Expect::New,
                event,
                &enrolment,
                "create",
                "measured",
            )
            .await?;
        Ok(Versioned {
            value: m,
            version,
            updated_at,
        })
    }

    /// The measurements of some enrolments.
    pub(super) async fn measurements_of(
        &self,
        ids: &[&EnrolmentId],
    ) -> Result<Vec<Measurement>, ServiceError> {
        self.measurements_since(ids, None).await
    }

    /// The measurements of some enrolments, only those taken on or after
    /// `since` when it is given.
    pub(super) async fn measurements_since(
        &self,
        ids: &[&EnrolmentId],
        since: Option<Date>,
    ) -> Result<Vec<Measurement>, ServiceError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let mut filters = vec![any_of(
                "panel",
                chunk.iter().map(|id| format!("CarePlan/{id}")).collect(),
            )];
            // The `date` term is the RFC 3339 instant in the offset it was
            // taken in, so it starts with the same day as
            // `Measurement::at.date()`: comparing it as text with the bare
            // day keeps exactly the measurements of that day on.
            if let Some(since) = since {
                filters.push(Filter {
                    param: "date".into(),
                    values: vec![crate::days::format_date(since)],
                    matching: Match::AtLeast,
                });
            }
            let found = all(&self.ctx.store, query("Observation", filters)).await?;
            out.extend(found.into_iter().filter_map(|s| match s.record {
                Record::Measurement(m) => Some(m),
                _ => None,
            }));
        }
        Ok(out)
    }

    /// The enrolment a measurement belongs to.
    pub async fn enrolment_of(
        &self,
        m: &Measurement,
    ) -> Result<Option<PanelEnrolment>, ServiceError> {
        match self.load(m.enrolment.as_str()).await {
            Ok(e) => Ok(Some(e.value)),
            Err(ServiceError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
