//! E-consults: asking, answering and closing, and the link to the referral
//! made on the advice.

use super::*;
use tiercare_core::ConsultId;
use tiercare_core::consult::{Consult, ConsultError, ConsultOutcome, NewConsult};

impl Referrals<'_> {
    /// Opens a consult about a patient in the caller's care.
    pub async fn ask(&self, new: NewConsult) -> Result<Versioned<Consult>, ServiceError> {
        let patient = new.patient.to_string();
        let (consult, event) = match Consult::ask(new, self.actor, self.ctx.clock.now()) {
            Ok(done) => done,
            Err(e) => return Err(self.consult_refused("create", None, &patient, e).await),
        };
        let (version, updated_at) = self
            .create_in_care(
                Record::Consult(consult.clone()),
                Event::Consult(event),
                "you may ask about a patient in your care only",
                "consult asked",
            )
            .await?;
        Ok(Versioned {
            value: consult,
            version,
            updated_at,
        })
    }

    /// Reads a consult (audited; its two sides, the patient, administrators).
    pub async fn consult(&self, id: &str) -> Result<Versioned<Consult>, ServiceError> {
        let stored = self.read_record("ServiceRequest", id).await?;
        match stored.record {
            Record::Consult(value) => Ok(Versioned {
                value,
                version: stored.version,
                updated_at: stored.updated_at,
            }),
            _ => Err(ServiceError::NotFound(format!(
                "ServiceRequest/{id} is not a consult"
            ))),
        }
    }

    async fn load_consult(&self, id: &str) -> Result<Versioned<Consult>, ServiceError> {
        crate::load_as(&self.ctx.store, "ServiceRequest", id, |r| match r {
            Record::Consult(v) => Some(v),
            _ => None,
        })
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("ServiceRequest/{id} is not a consult")))
    }

    /// Adds a message (a reply, or a follow-up question); answers the
    /// consult and its message number.
    pub async fn post_message(
        &self,
        id: &str,
        text: String,
    ) -> Result<(Versioned<Consult>, usize), ServiceError> {
        let done = self
            .change_consult(id, None, |c, actor, now| c.post(text.clone(), actor, now))
            .await?;
        let n = done.value.messages.len();
        Ok((done, n))
    }

    /// The asking doctor closes the consult (resolved or withdrawn).
    pub async fn close_consult(
        &self,
        id: &str,
        outcome: ConsultOutcome,
        if_match: Option<u32>,
    ) -> Result<Versioned<Consult>, ServiceError> {
        self.change_consult(id, if_match, |c, actor, now| c.close(outcome, actor, now))
            .await
    }

    async fn change_consult(
        &self,
        id: &str,
        if_match: Option<u32>,
        change: impl Fn(
            &mut Consult,
            &Actor,
            OffsetDateTime,
        ) -> Result<tiercare_core::consult::ConsultEvent, ConsultError>,
    ) -> Result<Versioned<Consult>, ServiceError> {
        let mut c = self.load_consult(id).await?;
        check_version(id, c.version, if_match)?;
        let patient = c.value.patient.to_string();
        let event = match change(&mut c.value, self.actor, self.ctx.clock.now()) {
            Ok(e) => e,
            Err(e) => return Err(self.consult_refused("update", Some(id), &patient, e).await),
        };
        let kind = event.kind();
        match self
            .write(
                vec![(
                    Record::Consult(c.value.clone()),
                    Expect::Version(c.version),
                    vec![Event::Consult(event)],
                )],
                "update",
                kind,
            )
            .await
        {
            Ok((version, updated_at)) => {
                c.version = version;
                c.updated_at = updated_at;
                Ok(c)
            }
            Err(StoreError::VersionConflict { .. }) => Err(ServiceError::Conflict(format!(
                "ServiceRequest/{id} was changed by someone else meanwhile; reload and try again"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The consult a new referral is based on, closed as `referred`: the
    /// write to add to the referral's transaction.
    pub(super) async fn consult_referred(
        &self,
        referral: &Referral,
        consult: &ConsultId,
    ) -> Result<(Record, Expect, Vec<Event>), ServiceError> {
        let mut c = self.load_consult(consult.as_str()).await.map_err(|_| {
            ServiceError::rule(
                "ServiceRequest.basedOn",
                format!("ServiceRequest/{consult} is not a consult"),
            )
        })?;
        if c.value.patient != referral.patient {
            return Err(ServiceError::rule(
                "ServiceRequest.basedOn",
                format!("ServiceRequest/{consult} is about another patient"),
            ));
        }
        let patient = referral.patient.to_string();
        let event = match c
            .value
            .referred(referral.id.clone(), self.actor, self.ctx.clock.now())
        {
            Ok(e) => e,
            Err(e) => {
                return Err(self
                    .consult_refused("update", Some(consult.as_str()), &patient, e)
                    .await);
            }
        };
        Ok((
            Record::Consult(c.value),
            Expect::Version(c.version),
            vec![Event::Consult(event)],
        ))
    }

    async fn consult_refused(
        &self,
        action: &str,
        id: Option<&str>,
        patient: &str,
        e: ConsultError,
    ) -> ServiceError {
        let (outcome, err) = match &e {
            ConsultError::NotAllowed(_) | ConsultError::Role(_) => {
                (AuditOutcome::Denied, ServiceError::Forbidden(e.to_string()))
            }
            ConsultError::IllegalTransition { .. } => {
                (AuditOutcome::Failed, ServiceError::Conflict(e.to_string()))
            }
            ConsultError::Invalid { field, .. } => (
                AuditOutcome::Failed,
                ServiceError::rule(format!("ServiceRequest.{field}"), e.to_string()),
            ),
        };
        self.refuse(action, "ServiceRequest", id, Some(patient), (outcome, err))
            .await
    }
}
