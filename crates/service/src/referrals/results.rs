//! Results (`Observation`, `DiagnosticReport`) and who may see the records
//! around a referral.
//!
//! A doctor records results for a patient in their care; the results then
//! travel with the patient's referrals. Reading follows the same care
//! relationships as the patient's record: the patient themself, the
//! contracted team, and staff of both sides of an open referral, consult
//! or care plan. Every read, search and write is audited.

use super::*;
use tiercare_core::clinical::{AttachedResult, ResultKind};

impl Referrals<'_> {
    /// Records a result for a patient in the caller's care.
    pub async fn record_result(&self, record: Record) -> Result<Versioned<Record>, ServiceError> {
        let (patient, kind, test, checked) = match &record {
            Record::Observation(o) => (
                o.patient.clone(),
                ResultKind::Observation,
                o.test.to_string(),
                o.check(self.ctx.clock.now()),
            ),
            Record::DiagnosticReport(r) => (
                r.patient.clone(),
                ResultKind::DiagnosticReport,
                r.test.to_string(),
                r.check(self.ctx.clock.now()),
            ),
            _ => return Err(ServiceError::Unavailable("not a result".into())),
        };
        let rt = record.resource_type();
        if !self.registry().cares_for(patient.as_str()).await? {
            let err = ServiceError::Forbidden(format!(
                "you may record results only for a patient in your care; Patient/{patient} is not"
            ));
            return Err(self
                .refuse(
                    "create",
                    rt,
                    None,
                    Some(patient.as_str()),
                    (AuditOutcome::Denied, err),
                )
                .await);
        }
        if let Err(tiercare_core::clinical::ResultError::Invalid { field, message }) = checked {
            return Err(ServiceError::invalid(format!("{rt}.{field}"), message));
        }
        self.registry()
            .check_references(&record, &crate::registry::Pending::new())
            .await?;
        let event = Event::ResultRecorded {
            patient,
            kind,
            id: record.id().to_string(),
            test,
        };
        let (version, updated_at) = self
            .write(
                vec![(record.clone(), Expect::New, vec![event])],
                "create",
                "",
            )
            .await?;
        Ok(Versioned {
            value: record,
            version,
            updated_at,
        })
    }

    /// Whether the caller may see a patient-data record: administrators;
    /// the patient; staff of an institution the record names as a party;
    /// staff caring for the patient.
    pub(crate) async fn may_see(&self, record: &Record) -> Result<bool, ServiceError> {
        let Some(patient) = record.patient() else {
            return Ok(true);
        };
        // Panels follow their own rules: a programme's specialist sees its
        // panels and nothing else of the patient (see `crate::panels`).
        let panels = crate::panels::Panels::new(self.ctx, self.actor);
        match record {
            Record::PanelEnrolment(e) => return panels.may_see(e).await,
            Record::Measurement(m) => {
                return match panels.enrolment_of(m).await? {
                    Some(e) => panels.may_see(&e).await,
                    None => Ok(self.actor.role == UserRole::Admin),
                };
            }
            // A hub reading is seen by its two sides only, not by every
            // carer of the patient.
            Record::ReadingOrder(o) => {
                return Ok(self.actor.role == UserRole::Admin || !o.sides(self.actor).is_empty());
            }
            _ => {}
        }
        let mine = |i: &tiercare_core::InstitutionId| self.actor.institution.as_ref() == Some(i);
        Ok(match self.actor.role {
            UserRole::Admin => true,
            UserRole::Resident => self.actor.resident.as_ref() == Some(patient),
            UserRole::Doctor | UserRole::Coordinator => {
                let party = match record {
                    Record::Consult(c) => mine(&c.from) || mine(&c.to),
                    Record::CarePlan(p) => mine(&p.from) || mine(&p.to),
                    Record::FollowUp(f) => mine(&f.owner),
                    Record::Observation(o) => mine(&o.performer),
                    Record::DiagnosticReport(r) => mine(&r.performer),
                    Record::Claim(c) => mine(&c.institution),
                    _ => false,
                };
                party || self.registry().cares_for(patient.as_str()).await?
            }
            // The fund pays the claims, so its officers see every claim of
            // the region, and no clinical record.
            UserRole::Insurer => matches!(record, Record::Claim(_)),
            UserRole::Analyst => false,
        })
    }

    /// Reads a patient-data record of a loop resource type, audited. One
    /// the caller may not see answers as one that does not exist, so ids
    /// cannot be probed (audited as denied).
    pub async fn read_record(&self, rt: &str, id: &str) -> Result<Stored, ServiceError> {
        let missing = || ServiceError::NotFound(format!("{rt}/{id} does not exist"));
        let Some(stored) = self.ctx.store.get(rt, id).await? else {
            return Err(missing());
        };
        let patient = stored.record.patient().map(|p| p.to_string());
        if !self.may_see(&stored.record).await? {
            let err = missing();
            return Err(self
                .refuse(
                    "read",
                    rt,
                    Some(id),
                    patient.as_deref(),
                    (AuditOutcome::Denied, err),
                )
                .await);
        }
        let entry = self.registry().audit_entry(
            "read",
            rt,
            Some(id),
            patient.as_deref(),
            AuditOutcome::Success,
            String::new(),
        );
        self.registry().audit(vec![entry]).await?;
        Ok(stored)
    }

    /// Whether the caller searches records of type `rt` across the
    /// region, without naming a patient: administrators, and insurance
    /// fund officers for claims (the fund pays every claim, so it reviews
    /// them by institution or period, not patient by patient).
    fn searches_region_wide(&self, rt: &str) -> bool {
        match self.actor.role {
            UserRole::Admin => true,
            UserRole::Insurer => rt == "ExplanationOfBenefit",
            _ => false,
        }
    }

    /// Searches a patient's records of one type. Anyone but an
    /// administrator (or an insurer searching claims) names the patient
    /// (`patient=`), and must be allowed to see them; each record found is
    /// audited.
    pub async fn search_records(
        &self,
        query: Query,
        patient: Option<&str>,
    ) -> Result<(Vec<Stored>, u64), ServiceError> {
        let rt = query.resource_type.clone();
        let mut query = query;
        if !self.searches_region_wide(&rt) {
            let Some(p) = patient else {
                return Err(ServiceError::invalid(
                    "patient",
                    format!("name the patient whose {rt} records you want (patient=Patient/id)"),
                ));
            };
            let mut allowed = match self.actor.role {
                UserRole::Resident => self.actor.resident.as_ref().map(|r| r.as_str()) == Some(p),
                UserRole::Doctor | UserRole::Coordinator => self.registry().cares_for(p).await?,
                _ => false,
            };
            // Without a care relationship, a panel's specialist or primary
            // institution sees the panels they may see, and nothing else:
            // the search is narrowed to them.
            if !allowed
                && matches!(self.actor.role, UserRole::Doctor | UserRole::Coordinator)
                && (rt == "CarePlan" || rt == "Observation")
            {
                let visible = crate::panels::Panels::new(self.ctx, self.actor)
                    .visible_enrolments(p)
                    .await?;
                if !visible.is_empty() {
                    query.filters.push(Filter {
                        param: "panel".into(),
                        values: visible.iter().map(|e| format!("CarePlan/{e}")).collect(),
                        matching: Match::Exact,
                    });
                    allowed = true;
                }
            }
            if !allowed {
                let err = ServiceError::Forbidden(format!(
                    "Patient/{p} is not in your care; their {rt} records are not yours to see"
                ));
                return Err(self
                    .refuse("search", &rt, None, Some(p), (AuditOutcome::Denied, err))
                    .await);
            }
        }
        let (found, total) = self.ctx.store.search(&query).await?;
        let mut entries: Vec<AuditEntry> = found
            .iter()
            .map(|s| {
                self.registry().audit_entry(
                    "search",
                    &rt,
                    Some(s.record.id()),
                    s.record.patient().map(|p| p.as_str()),
                    AuditOutcome::Success,
                    String::new(),
                )
            })
            .collect();
        if entries.is_empty() {
            entries.push(self.registry().audit_entry(
                "search",
                &rt,
                None,
                patient,
                AuditOutcome::Success,
                String::new(),
            ));
        }
        self.registry().audit(entries).await?;
        Ok((found, total))
    }

    /// The results a referral will carry, checked: each exists, is about
    /// the same patient, and is fixed to the region's validity window.
    pub async fn attach_results(
        &self,
        patient: &str,
        refs: &[(ResultKind, String)],
    ) -> Result<Vec<AttachedResult>, ServiceError> {
        let mut out = Vec::new();
        for (kind, id) in refs {
            let rt = kind.resource_type();
            let found = self.ctx.store.get(rt, id).await?.map(|s| s.record);
            let attached = match found {
                Some(Record::Observation(o)) if o.patient.as_str() == patient => {
                    AttachedResult::of_observation(&o, &self.ctx.policy)
                }
                Some(Record::DiagnosticReport(r)) if r.patient.as_str() == patient => {
                    AttachedResult::of_report(&r, &self.ctx.policy)
                }
                Some(_) => {
                    return Err(ServiceError::rule(
                        "ServiceRequest.supportingInfo",
                        format!("{rt}/{id} is about another patient"),
                    ));
                }
                None => {
                    return Err(ServiceError::rule(
                        "ServiceRequest.supportingInfo",
                        format!("{rt}/{id} does not exist"),
                    ));
                }
            };
            out.push(attached);
        }
        Ok(out)
    }
}
