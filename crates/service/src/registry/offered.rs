//! Services an institution offers, kept as registry data: a resource-
//! sharing hub, a designated emergency centre. Both are written the same
//! way, so one writer serves them.

use super::{Pending, Registry};
use crate::ServiceError;
use tiercare_core::access::UserRole;
use tiercare_core::events::Event;
use tiercare_core::{InstitutionId, Record};
use tiercare_store::{AuditOutcome, Expect, StoreError, Write};

impl Registry<'_> {
    /// Creates or replaces (at `expect`'s version) a `HealthcareService`
    /// that `institution` offers: allowed to administrators and the
    /// institution's coordinators (a refusal is audited), then checked on
    /// its own (`valid`) and against the network, refused when the stored
    /// record is of another kind (`same` says which are not; `kind` names
    /// this one in messages), and written with its registered or revised
    /// event. Returns the version and time written.
    pub async fn put_offered(
        &self,
        record: Record,
        institution: &InstitutionId,
        expect: Expect,
        kind: &str,
        same: fn(&Record) -> bool,
        valid: impl FnOnce() -> Result<(), ServiceError>,
    ) -> Result<(u32, String), ServiceError> {
        let id = record.id().to_string();
        let action = if expect == Expect::New {
            "create"
        } else {
            "update"
        };
        let allowed = self.actor.role == UserRole::Admin
            || (self.actor.role == UserRole::Coordinator
                && self.actor.institution.as_ref() == Some(institution));
        if !allowed {
            let err = ServiceError::Forbidden(format!(
                "only administrators and the institution's coordinators write its {kind}s"
            ));
            return Err(self
                .refused(
                    action,
                    "HealthcareService",
                    Some(&id),
                    None,
                    (AuditOutcome::Denied, err),
                )
                .await);
        }
        valid()?;
        self.check_references(&record, &Pending::new()).await?;
        let before = match expect {
            Expect::New => None,
            _ => self
                .ctx
                .store
                .get("HealthcareService", &id)
                .await?
                .map(|s| s.record),
        };
        if before.as_ref().is_some_and(|r| !same(r)) {
            return Err(ServiceError::Conflict(format!(
                "HealthcareService/{id} is not a {kind}"
            )));
        }
        let version_after = match expect {
            Expect::Version(v) => v + 1,
            _ => 1,
        };
        let events = Event::for_change(before.as_ref(), &record, version_after);
        let write = Write {
            index: self.ctx.terms_of(&record),
            record,
            expect,
            actor: self.actor.username.clone(),
            events,
            facts: Vec::new(),
        };
        match self.ctx.store.write_all(vec![write], Vec::new()).await {
            Ok(stored) => Ok(stored.first().map_or((1, tiercare_store::now_text()), |s| {
                (s.version, s.updated_at.clone())
            })),
            Err(StoreError::VersionConflict { .. }) => Err(ServiceError::StaleVersion(format!(
                "HealthcareService/{id} was changed meanwhile; reload and try again"
            ))),
            Err(e) => Err(e.into()),
        }
    }
}
