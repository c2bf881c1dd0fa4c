//! Mentorships: created and ended by the mentor's hospital, activities
//! logged by their members, competences recognised by the mentor.

use super::*;
use tiercare_core::catalogue::IcdCode;
use tiercare_core::network::{PractitionerRole, PractitionerRoleKind};
use tiercare_core::outreach::{ActivityKind, Competence, Mentorship, MentorshipActivity};
use tiercare_core::referral::Referral;
use tiercare_store::{Filter, Match, Query};

impl Outreach<'_> {
    /// The active roles of a practitioner.
    async fn roles_of(&self, p: &PractitionerId) -> Result<Vec<PractitionerRole>, ServiceError> {
        let mut out = Vec::new();
        for id in self
            .ctx
            .store
            .ids_where(
                "PractitionerRole",
                "practitioner",
                &format!("Practitioner/{p}"),
            )
            .await?
        {
            if let Some(Stored {
                record: Record::Role(r),
                ..
            }) = self.load("PractitionerRole", &id).await?
                && r.active
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Whether the caller coordinates at an institution where `mentor`
    /// works.
    async fn coordinates_for(&self, mentor: &PractitionerId) -> Result<bool, ServiceError> {
        match (&self.actor.role, &self.actor.institution) {
            (UserRole::Coordinator, Some(i)) => self.works_at(mentor, i).await,
            _ => Ok(false),
        }
    }

    /// Creates a mentorship from its parsed `CareTeam`.
    pub async fn create_mentorship(
        &self,
        m: Mentorship,
    ) -> Result<Versioned<Mentorship>, ServiceError> {
        let refused =
            |e: ServiceError| async move { self.refuse("create", "CareTeam", None, None, e).await };
        if !(self.is_admin() || self.coordinates_for(&m.specialist).await?) {
            return Err(refused(ServiceError::Forbidden(
                "mentorships are created by administrators or coordinators of the mentor's hospital".into(),
            ))
            .await);
        }
        if let Err(e) = self.check_mentorship(&m).await {
            return Err(refused(e).await);
        }
        let record = Record::Mentorship(m);
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
        as_mentorship(s)
    }

    async fn check_mentorship(&self, m: &Mentorship) -> Result<(), ServiceError> {
        let programme = match &m.programme {
            Some(p) => Some(
                self.load_programme(p.as_str())
                    .await
                    .map_err(|e| {
                        ServiceError::rule("CareTeam.extension(outreach-programme)", e.to_string())
                    })?
                    .value,
            ),
            None => None,
        };
        m.validate(programme.as_ref())
            .map_err(|e| super::outreach_error("CareTeam", e))?;
        let mentor_roles = self.roles_of(&m.specialist).await?;
        if !mentor_roles
            .iter()
            .any(|r| r.role == PractitionerRoleKind::Specialist)
        {
            return Err(ServiceError::rule(
                "CareTeam.participant",
                format!(
                    "the mentor Practitioner/{} has no active specialist role",
                    m.specialist
                ),
            ));
        }
        for d in &m.family_doctors {
            if self.primary_of(d).await?.is_none() {
                return Err(ServiceError::rule(
                    "CareTeam.participant",
                    format!("the mentee Practitioner/{d} has no active family-doctor role"),
                ));
            }
        }
        Ok(())
    }

    /// The primary institution a family doctor works at.
    async fn primary_of(&self, d: &PractitionerId) -> Result<Option<InstitutionId>, ServiceError> {
        Ok(self
            .roles_of(d)
            .await?
            .into_iter()
            .find(|r| r.role == PractitionerRoleKind::FamilyDoctor)
            .map(|r| r.institution))
    }

    pub async fn load_mentorship(&self, id: &str) -> Result<Versioned<Mentorship>, ServiceError> {
        match self.load("CareTeam", id).await? {
            Some(s) => as_mentorship(s),
            None => Err(ServiceError::NotFound(format!(
                "CareTeam/{id} does not exist"
            ))),
        }
    }

    /// Whether the caller is the mentor or one of the mentees.
    fn member_of(&self, m: &Mentorship) -> bool {
        self.is(&m.specialist) || m.family_doctors.iter().any(|d| self.is(d))
    }

    /// Ends a mentorship on `on` (administrators and coordinators of the
    /// mentor's hospital).
    pub async fn end_mentorship(
        &self,
        id: &str,
        on: time::Date,
    ) -> Result<Versioned<Mentorship>, ServiceError> {
        for _ in 0..RETRIES {
            let mut m = self.load_mentorship(id).await?;
            if !(self.is_admin() || self.coordinates_for(&m.value.specialist).await?) {
                let e = ServiceError::Forbidden(
                    "mentorships are ended by administrators or coordinators of the mentor's hospital".into(),
                );
                return Err(self.refuse("end", "CareTeam", Some(id), None, e).await);
            }
            let problem = if m.value.ended.is_some() {
                Some(ServiceError::Conflict(format!(
                    "CareTeam/{id} has ended already"
                )))
            } else if on < m.value.started {
                Some(ServiceError::rule(
                    "date",
                    "the mentorship ends before it starts",
                ))
            } else {
                None
            };
            if let Some(e) = problem {
                return Err(self.refuse("end", "CareTeam", Some(id), None, e).await);
            }
            m.value.ended = Some(on);
            let record = Record::Mentorship(m.value.clone());
            let revised = Event::Revised {
                record: record.clone(),
                version: m.version + 1,
            };
            match self
                .write(
                    vec![(record, Expect::Version(m.version), vec![revised])],
                    "end",
                    String::new(),
                )
                .await
            {
                Ok(s) => {
                    m.version = s.version;
                    m.updated_at = s.updated_at;
                    return Ok(m);
                }
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "CareTeam/{id} is being changed by others; try again"
        )))
    }

    /// Recognises that a mentee now manages `condition` without referring
    /// (the mentor only).
    pub async fn recognise(
        &self,
        id: &str,
        doctor: PractitionerId,
        condition: IcdCode,
        since: time::Date,
    ) -> Result<Versioned<Mentorship>, ServiceError> {
        for _ in 0..RETRIES {
            let mut m = self.load_mentorship(id).await?;
            if !self.is(&m.value.specialist) {
                let e = ServiceError::Forbidden("competences are recognised by the mentor".into());
                return Err(self
                    .refuse("recognise", "CareTeam", Some(id), None, e)
                    .await);
            }
            let institution = match self.primary_of(&doctor).await? {
                Some(i) => i,
                None => {
                    let e = ServiceError::rule(
                        "doctor",
                        format!("Practitioner/{doctor} has no active family-doctor role"),
                    );
                    return Err(self
                        .refuse("recognise", "CareTeam", Some(id), None, e)
                        .await);
                }
            };
            let competence = Competence {
                doctor: doctor.clone(),
                institution,
                condition: condition.clone(),
                since,
                mentorship: m.value.id.clone(),
            };
            let event = match m.value.recognise(competence, self.ctx.clock.now()) {
                Ok(e) => e,
                Err(e) => {
                    let e = super::outreach_error("CareTeam", e);
                    let e = match e {
                        ServiceError::Rule { message, .. } => {
                            ServiceError::rule(recognise_field(&message), message)
                        }
                        other => other,
                    };
                    return Err(self
                        .refuse("recognise", "CareTeam", Some(id), None, e)
                        .await);
                }
            };
            match self
                .write(
                    vec![(
                        Record::Mentorship(m.value.clone()),
                        Expect::Version(m.version),
                        vec![Event::Outreach(event)],
                    )],
                    "recognise",
                    format!("{doctor}: {condition}"),
                )
                .await
            {
                Ok(s) => {
                    m.version = s.version;
                    m.updated_at = s.updated_at;
                    return Ok(m);
                }
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "CareTeam/{id} is being changed by others; try again"
        )))
    }

    /// Logs a mentoring activity from its parsed `Task` (the mentor or a
    /// mentee). Patients and referrals must exist; a ward round needs a
    /// referral made by one of the family doctors who took part.
    pub async fn log_activity(
        &self,
        activity: MentorshipActivity,
    ) -> Result<Versioned<MentorshipActivity>, ServiceError> {
        let patient = activity.patients.first().map(|p| p.to_string());
        let patient = patient.as_deref();
        let m = match self.load_mentorship(activity.mentorship.as_str()).await {
            Ok(m) => m,
            Err(ServiceError::NotFound(msg)) => {
                let e = ServiceError::rule("Task.focus", msg);
                return Err(self.refuse("create", "Task", None, patient, e).await);
            }
            Err(e) => return Err(e),
        };
        if !self.member_of(&m.value) {
            let e = ServiceError::Forbidden(
                "mentoring activities are logged by the mentor or a mentee".into(),
            );
            return Err(self.refuse("create", "Task", None, patient, e).await);
        }
        if let Err(e) = self.check_activity(&activity).await {
            return Err(self.refuse("create", "Task", None, patient, e).await);
        }
        let event = match m.value.log(activity.clone(), self.ctx.clock.now()) {
            Ok(e) => e,
            Err(e) => {
                let e = super::outreach_error("Task", e);
                return Err(self.refuse("create", "Task", None, patient, e).await);
            }
        };
        let s = self
            .write(
                vec![(
                    Record::MentorshipActivity(activity),
                    Expect::New,
                    vec![Event::Outreach(event)],
                )],
                "create",
                String::new(),
            )
            .await?;
        as_activity(s)
    }

    /// The activity's patients and referrals exist, and each patient is
    /// the patient of one of its referrals or in the caller's care: an
    /// activity may not name a resident the caller has no relationship with
    /// (nor learn whether one exists).
    async fn check_activity(&self, a: &MentorshipActivity) -> Result<(), ServiceError> {
        let mut by_mentee = false;
        let mut referred = Vec::new();
        for r in &a.referrals {
            match self.load("ServiceRequest", r.as_str()).await? {
                Some(Stored {
                    record:
                        Record::Referral(Referral {
                            requester, patient, ..
                        }),
                    ..
                }) => {
                    by_mentee |= a.family_doctors.contains(&requester);
                    referred.push(patient);
                }
                _ => {
                    return Err(crate::registry::dangling(
                        "Task.basedOn",
                        "ServiceRequest",
                        r.as_str(),
                    ));
                }
            }
        }
        for p in &a.patients {
            if !referred.contains(p)
                && !self.registry().cares_for(p.as_str()).await?
                && !self.of_my_institution(p.as_str()).await?
            {
                return Err(ServiceError::Forbidden(format!(
                    "Task.for: no care relationship with Patient/{p}: an activity names the patients of its referrals or of the caller's institution"
                )));
            }
            if self.load("Patient", p.as_str()).await?.is_none() {
                return Err(crate::registry::dangling("Task.for", "Patient", p.as_str()));
            }
        }
        if a.kind == ActivityKind::WardRound && !a.referrals.is_empty() && !by_mentee {
            return Err(ServiceError::rule(
                "Task.basedOn",
                "a ward round is for a patient one of the family doctors who took part referred: name their referral",
            ));
        }
        Ok(())
    }

    /// Whether the resident is contracted to a team of the caller's
    /// institution (a case a family doctor brings may be a colleague's).
    async fn of_my_institution(&self, patient: &str) -> Result<bool, ServiceError> {
        let Some(home) = &self.actor.institution else {
            return Ok(false);
        };
        let Some(Stored {
            record: Record::Resident(r),
            ..
        }) = self.load("Patient", patient).await?
        else {
            return Ok(false);
        };
        let Some(contract) = &r.contract else {
            return Ok(false);
        };
        Ok(matches!(
            self.load("CareTeam", contract.team.as_str()).await?,
            Some(Stored { record: Record::Team(t), .. }) if t.institution == *home
        ))
    }

    /// Reads an activity: one that names patients only by the mentorship's
    /// members and administrators, audited; others by anyone signed in.
    pub async fn read_activity(&self, id: &str) -> Result<Stored, ServiceError> {
        let Some(stored) = self.load("Task", id).await? else {
            return Err(ServiceError::NotFound(format!("Task/{id} does not exist")));
        };
        let Record::MentorshipActivity(a) = &stored.record else {
            return Err(ServiceError::NotFound(format!(
                "Task/{id} is not a mentoring activity"
            )));
        };
        let Some(patient) = a.patients.first().map(|p| p.to_string()) else {
            return Ok(stored);
        };
        let m = self.load_mentorship(a.mentorship.as_str()).await?;
        if !(self.is_admin() || self.member_of(&m.value)) {
            let e = ServiceError::Forbidden(
                "an activity naming patients is seen by the mentorship's members and administrators only".into(),
            );
            return Err(self
                .refuse("read", "Task", Some(id), Some(&patient), e)
                .await);
        }
        let entry = self.registry().audit_entry(
            "read",
            "Task",
            Some(id),
            Some(&patient),
            AuditOutcome::Success,
            String::new(),
        );
        self.registry().audit(vec![entry]).await?;
        Ok(stored)
    }

    /// The activities of a mentorship: its members and administrators
    /// only; each one naming patients is audited.
    pub async fn search_activities(
        &self,
        mentorship: &str,
        mut query: Query,
    ) -> Result<(Vec<Stored>, u64), ServiceError> {
        let m = self.load_mentorship(mentorship).await?;
        if !(self.is_admin() || self.member_of(&m.value)) {
            let e = ServiceError::Forbidden(
                "a mentorship's activities are seen by its members and administrators only".into(),
            );
            return Err(self.refuse("search", "Task", None, None, e).await);
        }
        query.filters.retain(|f| f.param != "focus");
        query.filters.push(Filter {
            param: "focus".into(),
            values: vec![format!("CareTeam/{mentorship}")],
            matching: Match::Exact,
        });
        let (found, total) = self.ctx.store.search(&query).await?;
        let entries = found
            .iter()
            .filter_map(|s| {
                s.record.patient().map(|p| {
                    self.registry().audit_entry(
                        "search",
                        "Task",
                        Some(s.record.id()),
                        Some(p.as_str()),
                        AuditOutcome::Success,
                        String::new(),
                    )
                })
            })
            .collect::<Vec<_>>();
        if !entries.is_empty() {
            self.registry().audit(entries).await?;
        }
        Ok((found, total))
    }
}

/// The parameter a refused recognition is about, from the core's message.
fn recognise_field(message: &str) -> &'static str {
    if message.starts_with("CareTeam.since") {
        "since"
    } else if message.starts_with("CareTeam.condition") {
        "condition"
    } else {
        "doctor"
    }
}

fn as_mentorship(s: Stored) -> Result<Versioned<Mentorship>, ServiceError> {
    let id = s.record.id().to_string();
    Versioned::picked(s, |r| match r {
        Record::Mentorship(x) => Some(x),
        _ => None,
    })
    .ok_or_else(|| ServiceError::NotFound(format!("CareTeam/{id} is not a mentorship")))
}

fn as_activity(s: Stored) -> Result<Versioned<MentorshipActivity>, ServiceError> {
    let id = s.record.id().to_string();
    Versioned::picked(s, |r| match r {
        Record::MentorshipActivity(x) => Some(x),
        _ => None,
    })
    .ok_or_else(|| ServiceError::NotFound(format!("Task/{id} is not a mentoring activity")))
}
