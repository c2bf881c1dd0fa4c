//! Programmes: a hospital department's commitment to a primary
//! institution of the same alliance.

use super::*;
use tiercare_core::Level;
use tiercare_core::network::Membership;
use tiercare_core::outreach::Programme;
use tiercare_store::{Filter, Match, Query};

impl Outreach<'_> {
    /// Creates a programme from its parsed `HealthcareService`: checked on
    /// its own, against the network (levels, alliance memberships) and its
    /// specialists (practitioners with a role at the hospital).
    pub async fn create_programme(
        &self,
        programme: Programme,
    ) -> Result<Versioned<Programme>, ServiceError> {
        let refused = |e: ServiceError| async move {
            self.refuse("create", "HealthcareService", None, None, e)
                .await
        };
        if !(self.is_admin() || self.coordinator_of(&programme.hospital)) {
            return Err(refused(ServiceError::Forbidden(
                "only administrators and the hospital's coordinators create its programmes".into(),
            ))
            .await);
        }
        if let Err(e) = self.check_programme(&programme).await {
            return Err(refused(e).await);
        }
        let record = Record::Programme(programme);
        let registered = Event::Registered {
            record: record.clone(),
        };
        let s = self
            .write(
                vec![(record, Expect::New, vec![registered])],
                "create",
                String::new(),
            )
            .await?;
        Versioned::picked(s, |r| match r {
            Record::Programme(p) => Some(p),
            _ => None,
        })
        .ok_or_else(|| ServiceError::Unavailable("a programme was stored as something else".into()))
    }

    async fn check_programme(&self, p: &Programme) -> Result<(), ServiceError> {
        let err = |e| super::outreach_error("HealthcareService", e);
        p.validate().map_err(err)?;
        let hospital_level = self
            .level_of("HealthcareService.providedBy", &p.hospital)
            .await?;
        let primary_level = self
            .level_of("HealthcareService.extension(outreach-primary)", &p.primary)
            .await?;
        let field = "HealthcareService.extension(outreach-alliance)";
        match self.load("Organization", p.alliance.as_str()).await? {
            Some(Stored {
                record: Record::Alliance(_),
                ..
            }) => {}
            _ => {
                return Err(crate::registry::dangling(
                    field,
                    "Organization",
                    p.alliance.as_str(),
                ));
            }
        }
        let found = self
            .ctx
            .store
            .search_page(&Query {
                resource_type: "OrganizationAffiliation".into(),
                filters: vec![Filter {
                    param: "primary-organization".into(),
                    values: vec![format!("Organization/{}", p.alliance)],
                    matching: Match::Exact,
                }],
                count: 10_000,
                offset: 0,
            })
            .await?;
        let memberships: Vec<Membership> = found
            .into_iter()
            .filter_map(|s| match s.record {
                Record::Membership(m) => Some(m),
                _ => None,
            })
            .collect();
        p.check_network(hospital_level, primary_level, &memberships)
            .map_err(err)?;
        for s in &p.specialists {
            if !self.works_at(s, &p.hospital).await? {
                return Err(ServiceError::rule(
                    "HealthcareService.extension(outreach-specialist)",
                    format!(
                        "Practitioner/{s} has no active role at the partner hospital Organization/{}",
                        p.hospital
                    ),
                ));
            }
        }
        Ok(())
    }

    async fn level_of(&self, field: &str, id: &InstitutionId) -> Result<Level, ServiceError> {
        match self.load("Organization", id.as_str()).await? {
            Some(Stored {
                record: Record::Institution(i),
                ..
            }) => Ok(i.level),
            _ => Err(crate::registry::dangling(
                field,
                "Organization",
                id.as_str(),
            )),
        }
    }

    /// Whether the practitioner has an active role at the institution.
    pub(super) async fn works_at(
        &self,
        practitioner: &PractitionerId,
        institution: &InstitutionId,
    ) -> Result<bool, ServiceError> {
        let roles = crate::search::active_roles(&self.ctx.store, practitioner.as_str()).await?;
        Ok(roles.iter().any(|r| &r.institution == institution))
    }

    pub(super) async fn load_programme(
        &self,
        id: &str,
    ) -> Result<Versioned<Programme>, ServiceError> {
        self.load("HealthcareService", id)
            .await?
            .and_then(|s| {
                Versioned::picked(s, |r| match r {
                    Record::Programme(p) => Some(p),
                    _ => None,
                })
            })
            .ok_or_else(|| ServiceError::NotFound(format!("HealthcareService/{id} does not exist")))
    }

    /// Ends a programme on `on`, its last day (administrators and the
    /// hospital's coordinators).
    pub async fn end_programme(
        &self,
        id: &str,
        on: time::Date,
    ) -> Result<Versioned<Programme>, ServiceError> {
        for _ in 0..RETRIES {
            let mut p = self.load_programme(id).await?;
            if !(self.is_admin() || self.coordinator_of(&p.value.hospital)) {
                let e = ServiceError::Forbidden(
                    "only administrators and the hospital's coordinators end its programmes".into(),
                );
                return Err(self
                    .refuse("end", "HealthcareService", Some(id), None, e)
                    .await);
            }
            let event = match p.value.end_on(on) {
                Ok(e) => e,
                Err(e) => {
                    let e = super::outreach_error("HealthcareService", e);
                    return Err(self
                        .refuse("end", "HealthcareService", Some(id), None, e)
                        .await);
                }
            };
            let change = (
                Record::Programme(p.value.clone()),
                Expect::Version(p.version),
                vec![Event::Outreach(event)],
            );
            match self.write(vec![change], "end", String::new()).await {
                Ok(s) => {
                    p.version = s.version;
                    p.updated_at = s.updated_at;
                    return Ok(p);
                }
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "HealthcareService/{id} is being changed by others; try again"
        )))
    }
}
