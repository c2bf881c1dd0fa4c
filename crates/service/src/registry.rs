//! The registry service: every read and write of registry records goes
//! through here, whatever face (FHIR, bulk import, demo load) it came in by.
//!
//! It checks who is asking against the access rules of
//! `tiercare_core::access`, resolves and checks references (a team's
//! institution must be primary care, a contract's team must exist), and
//! writes an audit entry for every touch of patient data, refusals included.
//! Records arrive parsed: the face they came in by turned them into core
//! records first.

use crate::days::format_date;
use crate::{Context, ServiceError};
use std::collections::HashMap;
use tiercare_core::Record;
use tiercare_core::access::{
    Actor, PatientScope, UserRole, may_manage_registry, may_write_patient,
};
use tiercare_store::{AuditEntry, AuditOutcome, Expect, Filter, Match, Query, Stored, Write};

/// The search terms a resident is found by while a contract is in force:
/// the day it was signed and the day it ends.
pub const CONTRACT_FROM: &str = "_contract-from";
pub const CONTRACT_UNTIL: &str = "_contract-until";

/// Records written earlier in the same transaction, by `(type, id)`.
pub type Pending = HashMap<(String, String), Record>;

/// The registry as seen by one caller.
pub struct Registry<'a> {
    pub ctx: &'a Context,
    pub actor: &'a Actor,
}

impl<'a> Registry<'a> {
    pub fn new(ctx: &'a Context, actor: &'a Actor) -> Self {
        Registry { ctx, actor }
    }

    /// Which residents the caller may see, from their care relationships.
    pub async fn patient_scope(&self) -> Result<PatientScope, ServiceError> {
        let store = &self.ctx.store;
        let teams = match (
            self.actor.role,
            &self.actor.practitioner,
            &self.actor.institution,
        ) {
            (UserRole::Doctor, Some(p), _) => {
                store
                    .ids_where("CareTeam", "participant", &format!("Practitioner/{p}"))
                    .await?
            }
            (UserRole::Doctor | UserRole::Coordinator, _, Some(i)) => {
                store
                    .ids_where("CareTeam", "organization", &format!("Organization/{i}"))
                    .await?
            }
            _ => vec![],
        };
        let teams = teams.into_iter().filter_map(|t| t.parse().ok()).collect();
        Ok(PatientScope::of(self.actor, teams))
    }

    pub fn audit_entry(
        &self,
        action: &str,
        rt: &str,
        id: Option<&str>,
        patient: Option<&str>,
        outcome: AuditOutcome,
        detail: String,
    ) -> AuditEntry {
        AuditEntry {
            seq: 0,
            recorded_at: String::new(),
            username: self.actor.username.clone(),
            role: self.actor.role.code().to_string(),
            action: action.to_string(),
            resource_type: rt.to_string(),
            resource_id: id.map(str::to_string),
            patient: patient.map(str::to_string),
            outcome,
            detail,
        }
    }

    pub async fn audit(&self, entries: Vec<AuditEntry>) -> Result<(), ServiceError> {
        self.ctx.store.audit(&entries).await?;
        Ok(())
    }

    /// Audits a refused request (against the patient, when known) with
    /// `outcome` and hands back its error; if the audit itself fails, that
    /// error instead. The one place the services file their refusals.
    pub async fn refused(
        &self,
        action: &str,
        rt: &str,
        id: Option<&str>,
        patient: Option<&str>,
        (outcome, err): (AuditOutcome, ServiceError),
    ) -> ServiceError {
        let entry = self.audit_entry(action, rt, id, patient, outcome, err.to_string());
        match self.audit(vec![entry]).await {
            Ok(()) => err,
            Err(audit_failed) => audit_failed,
        }
    }

    /// [`refused`](Self::refused), denied when the error is a 403 and
    /// failed otherwise.
    pub async fn refuse(
        &self,
        action: &str,
        rt: &str,
        id: Option<&str>,
        patient: Option<&str>,
        err: ServiceError,
    ) -> ServiceError {
        let outcome = match err {
            ServiceError::Forbidden(_) => AuditOutcome::Denied,
            _ => AuditOutcome::Failed,
        };
        self.refused(action, rt, id, patient, (outcome, err)).await
    }

    /// Refuses and audits an attempt on patient data.
    async fn deny(&self, action: &str, id: Option<&str>, reason: &str) -> ServiceError {
        let entry = self.audit_entry(
            action,
            "Patient",
            id,
            id,
            AuditOutcome::Denied,
            reason.to_string(),
        );
        if let Err(e) = self.audit(vec![entry]).await {
            return e;
        }
        ServiceError::Forbidden(reason.to_string())
    }

    /// Reads a record (the current version, or `version`).
    pub async fn read(
        &self,
        rt: &str,
        id: &str,
        version: Option<u32>,
    ) -> Result<Stored, ServiceError> {
        let store = &self.ctx.store;
        let found = match version {
            None => store.get(rt, id).await?,
            Some(v) => store.get_version(rt, id, v).await?,
        };
        let action = if version.is_some() { "vread" } else { "read" };
        if rt != "Patient" {
            return found.ok_or_else(|| not_found(rt, id, version));
        }
        let scope = self.patient_scope().await?;
        let staff = matches!(self.actor.role, UserRole::Doctor | UserRole::Coordinator);
        if scope == PatientScope::Nothing && !staff {
            return Err(self.deny(action, Some(id), scope.refusal()).await);
        }
        let Some(stored) = found else {
            let e = self.audit_entry(
                action,
                "Patient",
                Some(id),
                Some(id),
                AuditOutcome::Failed,
                "not found".into(),
            );
            self.audit(vec![e]).await?;
            return Err(not_found(rt, id, version));
        };
        // A past version is judged by the current care relationship.
        let current = if version.is_some() {
            store.get(rt, id).await?
        } else {
            Some(stored.clone())
        };
        let mut covered = current.as_ref().is_some_and(
            |c| matches!(&c.record, Record::Resident(r) if scope.covers(r, self.ctx.clock.today())),
        );
        if !covered && staff {
            covered = self.open_referral_with(id).await?;
        }
        if !covered {
            return Err(self.deny(action, Some(id), scope.refusal()).await);
        }
        let e = self.audit_entry(
            action,
            "Patient",
            Some(id),
            Some(id),
            AuditOutcome::Success,
            String::new(),
        );
        self.audit(vec![e]).await?;
        Ok(stored)
    }

    /// Whether the caller has a care relationship with the patient: the
    /// patient is contracted to one of their teams (contract in force), or
    /// their institution is a side of an open referral of the patient.
    pub async fn cares_for(&self, patient: &str) -> Result<bool, ServiceError> {
        let scope = self.patient_scope().await?;
        if let Some(Stored {
            record: Record::Resident(r),
            ..
        }) = self.ctx.store.get("Patient", patient).await?
            && scope.covers(&r, self.ctx.clock.today())
        {
            return Ok(true);
        }
        self.open_referral_with(patient).await
    }

    /// Whether the caller's institution sends or receives an open referral
    /// of this patient: staff on either side see the patient while the loop
    /// runs (until it is closed or cancelled).
    pub async fn open_referral_with(&self, patient: &str) -> Result<bool, ServiceError> {
        let (UserRole::Doctor | UserRole::Coordinator, Some(institution)) =
            (self.actor.role, &self.actor.institution)
        else {
            return Ok(false);
        };
        // One lookup: the patient's referrals this institution is a party to
        // (the `party` term), then whether any is still open.
        let exact = |param: &str, value: String| Filter {
            param: param.into(),
            values: vec![value],
            matching: Match::Exact,
        };
        let query = Query {
            resource_type: "ServiceRequest".into(),
            filters: vec![
                exact("patient", format!("Patient/{patient}")),
                exact("party", format!("Organization/{institution}")),
            ],
            count: crate::search::MAX_COUNT,
            offset: 0,
        };
        let (found, _) = self.ctx.store.search(&query).await?;
        Ok(found.iter().any(|s| match &s.record {
            Record::Referral(r) => !matches!(
                r.state,
                tiercare_core::referral::ReferralState::Closed
                    | tiercare_core::referral::ReferralState::Cancelled { .. }
            ),
            // The specialist asked sees the patient while the consult runs.
            Record::Consult(c) => {
                !matches!(c.state, tiercare_core::consult::ConsultState::Closed { .. })
            }
            _ => false,
        }))
    }

    /// Searches; for patients the caller's scope is added as a filter so a
    /// search can never return someone outside it.
    pub async fn search(
        &self,
        rt: &str,
        mut query: Query,
        described: &str,
    ) -> Result<(Vec<Stored>, u64), ServiceError> {
        if rt == "Patient" {
            match self.patient_scope().await? {
                PatientScope::All => {}
                PatientScope::Nothing => {
                    return Err(self
                        .deny("search", None, PatientScope::Nothing.refusal())
                        .await);
                }
                PatientScope::Only(me) => query.filters.push(Filter {
                    param: "_id".into(),
                    values: vec![me.to_string()],
                    matching: Match::Exact,
                }),
                PatientScope::Teams(teams) => {
                    // Only while the contract is in force (see the `CONTRACT_FROM` and `CONTRACT_UNTIL` terms).
                    let day = format_date(self.ctx.clock.today());
                    query.filters.push(Filter {
                        param: "care-team".into(),
                        values: teams.iter().map(|t| format!("CareTeam/{t}")).collect(),
                        matching: Match::Exact,
                    });
                    query.filters.push(Filter {
                        param: CONTRACT_FROM.into(),
                        values: vec![day.clone()],
                        matching: Match::AtMost,
                    });
                    query.filters.push(Filter {
                        param: CONTRACT_UNTIL.into(),
                        values: vec![day],
                        matching: Match::AtLeast,
                    });
                }
            }
        }
        let (found, total) = self.ctx.store.search(&query).await?;
        if rt == "Patient" {
            let mut entries: Vec<AuditEntry> = found
                .iter()
                .map(|s| {
                    let id = s.record.id();
                    self.audit_entry(
                        "search",
                        "Patient",
                        Some(id),
                        Some(id),
                        AuditOutcome::Success,
                        described.to_string(),
                    )
                })
                .collect();
            if entries.is_empty() {
                entries.push(self.audit_entry(
                    "search",
                    "Patient",
                    None,
                    None,
                    AuditOutcome::Success,
                    described.to_string(),
                ));
            }
            self.audit(entries).await?;
        }
        Ok((found, total))
    }

    /// Checks a record before it is written: the caller's rights, its
    /// references, and the rules that need the records it points at. Fills
    /// in what is derived from them (a contract's institution and doctor).
    pub async fn prepare(
        &self,
        record: Record,
        before: Option<&Record>,
        pending: &Pending,
    ) -> Result<Record, ServiceError> {
        match record {
            Record::Resident(mut r) => {
                if let Some(c) = &mut r.contract {
                    let team = match self.lookup("CareTeam", c.team.as_str(), pending).await? {
                        Some(Record::Team(t)) => t,
                        _ => {
                            return Err(dangling(
                                "Patient.extension:family-doctor-contract",
                                "CareTeam",
                                c.team.as_str(),
                            ));
                        }
                    };
                    c.institution = Some(team.institution.clone());
                    c.family_doctor = Some(team.lead.clone());
                }
                let scope = self.patient_scope().await?;
                let before_resident = match before {
                    Some(Record::Resident(b)) => Some(b),
                    _ => None,
                };
                if !may_write_patient(&scope, before_resident, &r) {
                    let action = if before.is_some() { "update" } else { "create" };
                    let reason = "no care relationship that allows writing this patient's record";
                    return Err(self.deny(action, Some(r.id.as_str()), reason).await);
                }
                Ok(Record::Resident(r))
            }
            other => {
                if !may_manage_registry(self.actor) {
                    return Err(ServiceError::Forbidden(
                        "only administrators change the registry".into(),
                    ));
                }
                self.check_references(&other, pending).await?;
                Ok(other)
            }
        }
    }

    async fn lookup(
        &self,
        rt: &str,
        id: &str,
        pending: &Pending,
    ) -> Result<Option<Record>, ServiceError> {
        if let Some(r) = pending.get(&(rt.to_string(), id.to_string())) {
            return Ok(Some(r.clone()));
        }
        Ok(self.ctx.store.get(rt, id).await?.map(|s| s.record))
    }

    async fn institution(
        &self,
        id: &str,
        field: &str,
        pending: &Pending,
    ) -> Result<tiercare_core::network::Institution, ServiceError> {
        match self.lookup("Organization", id, pending).await? {
            Some(Record::Institution(i)) => Ok(i),
            Some(_) => Err(ServiceError::rule(
                field,
                format!("Organization/{id} is an alliance, not an institution"),
            )),
            None => Err(dangling(field, "Organization", id)),
        }
    }

    pub async fn check_references(
        &self,
        record: &Record,
        pending: &Pending,
    ) -> Result<(), ServiceError> {
        let net = |field: &'static str| {
            move |e: tiercare_core::network::NetworkError| ServiceError::rule(field, e.to_string())
        };
        match record {
            Record::Institution(i) => {
                // Walk up the partOf chain: it must end, and never come back
                // to this institution.
                let mut next = i.part_of.clone();
                let mut depth = 0;
                while let Some(parent) = next {
                    if parent == i.id || depth > 16 {
                        return Err(ServiceError::rule(
                            "Organization.partOf",
                            "partOf would make a cycle",
                        ));
                    }
                    next = self
                        .institution(parent.as_str(), "Organization.partOf", pending)
                        .await?
                        .part_of;
                    depth += 1;
                }
            }
            Record::Alliance(a) => {
                self.institution(
                    a.lead.as_str(),
                    "Organization.extension:alliance-lead",
                    pending,
                )
                .await?;
            }
            Record::Membership(m) => {
                match self
                    .lookup("Organization", m.alliance.as_str(), pending)
                    .await?
                {
                    Some(Record::Alliance(_)) => {}
                    Some(_) => {
                        return Err(ServiceError::rule(
                            "OrganizationAffiliation.organization",
                            format!(
                                "Organization/{} is an institution, not an alliance",
                                m.alliance
                            ),
                        ));
                    }
                    None => {
                        return Err(dangling(
                            "OrganizationAffiliation.organization",
                            "Organization",
                            m.alliance.as_str(),
                        ));
                    }
                }
                let field = "OrganizationAffiliation.participatingOrganization";
                self.institution(m.institution.as_str(), field, pending)
                    .await?;
                let member = format!("Organization/{}", m.institution);
                for other in self
                    .ctx
                    .store
                    .ids_where(
                        "OrganizationAffiliation",
                        "participating-organization",
                        &member,
                    )
                    .await?
                {
                    let twin = match self
                        .lookup("OrganizationAffiliation", &other, pending)
                        .await?
                    {
                        Some(Record::Membership(o)) => o.alliance == m.alliance && o.id != m.id,
                        _ => false,
                    };
                    if twin {
                        return Err(ServiceError::rule(
                            field,
                            format!("{member} is already a member of this alliance ({other})"),
                        ));
                    }
                }
            }
            Record::Site(s) => {
                self.institution(
                    s.institution.as_str(),
                    "Location.managingOrganization",
                    pending,
                )
                .await?;
            }
            Record::Practitioner(p) => p.validate().map_err(net("Practitioner.name"))?,
            Record::Role(r) => {
                if self
                    .lookup("Practitioner", r.practitioner.as_str(), pending)
                    .await?
                    .is_none()
                {
                    return Err(dangling(
                        "PractitionerRole.practitioner",
                        "Practitioner",
                        r.practitioner.as_str(),
                    ));
                }
                let inst = self
                    .institution(
                        r.institution.as_str(),
                        "PractitionerRole.organization",
                        pending,
                    )
                    .await?;
                r.validate_at(&inst)
                    .map_err(net("PractitionerRole.organization"))?;
            }
            Record::Team(t) => {
                let inst = self
                    .institution(
                        t.institution.as_str(),
                        "CareTeam.managingOrganization",
                        pending,
                    )
                    .await?;
                t.validate_at(&inst).map_err(net("CareTeam"))?;
                for m in &t.members {
                    if self
                        .lookup("Practitioner", m.as_str(), pending)
                        .await?
                        .is_none()
                    {
                        return Err(dangling(
                            "CareTeam.participant.member",
                            "Practitioner",
                            m.as_str(),
                        ));
                    }
                }
            }
            Record::Resident(_) => {}
            Record::Referral(r) => {
                if self
                    .lookup("Patient", r.patient.as_str(), pending)
                    .await?
                    .is_none()
                {
                    return Err(dangling(
                        "ServiceRequest.subject",
                        "Patient",
                        r.patient.as_str(),
                    ));
                }
                if self
                    .lookup("Practitioner", r.requester.as_str(), pending)
                    .await?
                    .is_none()
                {
                    return Err(dangling(
                        "ServiceRequest.requester",
                        "Practitioner",
                        r.requester.as_str(),
                    ));
                }
                self.institution(r.from.as_str(), "ServiceRequest.requester", pending)
                    .await?;
                self.institution(r.to.as_str(), "ServiceRequest.performer", pending)
                    .await?;
            }
            Record::Slot(s) => {
                self.institution(s.institution.as_str(), "Slot.schedule", pending)
                    .await?;
            }
            Record::Appointment(a) => {
                if self
                    .lookup("Patient", a.patient.as_str(), pending)
                    .await?
                    .is_none()
                {
                    return Err(dangling(
                        "Appointment.participant.actor",
                        "Patient",
                        a.patient.as_str(),
                    ));
                }
                self.institution(a.institution.as_str(), "Appointment.slot", pending)
                    .await?;
            }
            Record::Encounter(e) => {
                self.institution(e.institution.as_str(), "Encounter.serviceProvider", pending)
                    .await?;
            }
            Record::BedPool(b) => {
                self.institution(
                    b.institution.as_str(),
                    "Location.managingOrganization",
                    pending,
                )
                .await?;
            }
            Record::MedicinesList(m) => {
                self.institution(
                    m.institution.as_str(),
                    "List.extension:institution",
                    pending,
                )
                .await?;
                // One list per institution: it is what care plans are
                // checked against.
                let others = self
                    .ctx
                    .store
                    .ids_where(
                        "List",
                        "institution",
                        &format!("Organization/{}", m.institution),
                    )
                    .await?;
                if let Some(other) = others.iter().find(|o| o.as_str() != m.id.as_str()) {
                    return Err(ServiceError::Conflict(format!(
                        "Organization/{} already has its essential-medicines list, List/{other}; update that one",
                        m.institution
                    )));
                }
            }
            Record::Consult(c) => {
                self.patient_exists(c.patient.as_str(), "ServiceRequest.subject", pending)
                    .await?;
                self.institution(c.to.as_str(), "ServiceRequest.performer", pending)
                    .await?;
                if let Some(s) = &c.specialist
                    && self
                        .lookup("Practitioner", s.as_str(), pending)
                        .await?
                        .is_none()
                {
                    return Err(dangling(
                        "ServiceRequest.performer",
                        "Practitioner",
                        s.as_str(),
                    ));
                }
            }
            Record::Observation(o) => {
                self.patient_exists(o.patient.as_str(), "Observation.subject", pending)
                    .await?;
            }
            Record::DiagnosticReport(r) => {
                self.patient_exists(r.patient.as_str(), "DiagnosticReport.subject", pending)
                    .await?;
            }
            Record::Coverage(c) => {
                self.patient_exists(c.resident.as_str(), "Coverage.beneficiary", pending)
                    .await?;
            }
            // Built by the services from records they loaded themselves.
            Record::CarePlan(_) | Record::FollowUp(_) | Record::Claim(_) | Record::Account(_) => {}
            // Built by the outreach service from records it loaded itself.
            Record::Programme(_)
            | Record::OutreachSession(_)
            | Record::Mentorship(_)
            | Record::MentorshipActivity(_)
            | Record::PanelEnrolment(_)
            | Record::Measurement(_) => {}
        }
        Ok(())
    }

    async fn patient_exists(
        &self,
        id: &str,
        field: &str,
        pending: &Pending,
    ) -> Result<(), ServiceError> {
        match self.lookup("Patient", id, pending).await? {
            Some(_) => Ok(()),
            None => Err(dangling(field, "Patient", id)),
        }
    }

    /// Creates or updates a registry record (parsed by the caller's face,
    /// with its id set: a fresh [`new_id`](crate::new_id) for a create).
    pub async fn write(&self, record: Record, expect: Expect) -> Result<Stored, ServiceError> {
        let rt = record.resource_type();
        let id = record.id().to_string();
        let before = self.ctx.store.get(rt, &id).await?;
        if let (Expect::New, Some(_)) = (expect, &before) {
            return Err(ServiceError::Conflict(format!(
                "{}/{id} already exists",
                rt
            )));
        }
        let record = self
            .prepare(record, before.as_ref().map(|b| &b.record), &Pending::new())
            .await?;
        let audit = record.is_patient_data().then(|| {
            let action = if before.is_some() { "update" } else { "create" };
            self.audit_entry(
                action,
                "Patient",
                Some(&id),
                Some(&id),
                AuditOutcome::Success,
                String::new(),
            )
        });
        let facts = crate::facts::RegistryFacts::new(self.ctx)
            .of(before.as_ref().map(|b| &b.record), &record)
            .await?;
        let write = Write {
            index: self.ctx.terms_of(&record),
            record,
            expect,
            actor: self.actor.username.clone(),
            events: Vec::new(),
            facts,
        };
        Ok(self.ctx.store.write(write, audit).await?)
    }
}

impl Registry<'_> {
    /// Writes many records in one transaction, all or none: each is checked
    /// against the store and the others in the batch, in any order. Used by
    /// transaction bundles and the demo load, so both follow the same rules
    /// as single writes.
    pub async fn write_batch(
        &self,
        records: Vec<(Record, Expect)>,
        detail: &str,
    ) -> Result<Vec<Stored>, ServiceError> {
        let pending: Pending = records
            .iter()
            .map(|(r, _)| {
                (
                    (r.resource_type().to_string(), r.id().to_string()),
                    r.clone(),
                )
            })
            .collect();
        let mut writes = Vec::with_capacity(records.len());
        let mut audit = Vec::new();
        let mut facts = crate::facts::RegistryFacts::new(self.ctx);
        for (i, (record, expect)) in records.into_iter().enumerate() {
            let rt = record.resource_type();
            let before = self.ctx.store.get(rt, record.id()).await?;
            if let (Expect::New, Some(_)) = (expect, &before) {
                return Err(ServiceError::Conflict(format!(
                    "entry {i}: {rt}/{} already exists",
                    record.id()
                )));
            }
            let record = self
                .prepare(record, before.as_ref().map(|b| &b.record), &pending)
                .await
                .map_err(|e| e.in_entry(i))?;
            if record.is_patient_data() {
                let id = record.id();
                let action = if before.is_some() { "update" } else { "create" };
                audit.push(self.audit_entry(
                    action,
                    "Patient",
                    Some(id),
                    Some(id),
                    AuditOutcome::Success,
                    detail.to_string(),
                ));
            }
            let facts = facts
                .of(before.as_ref().map(|b| &b.record), &record)
                .await?;
            writes.push(Write {
                index: self.ctx.terms_of(&record),
                record,
                expect,
                actor: self.actor.username.clone(),
                events: Vec::new(),
                facts,
            });
        }
        Ok(self.ctx.store.write_all(writes, audit).await?)
    }
}

fn not_found(rt: &str, id: &str, version: Option<u32>) -> ServiceError {
    match version {
        None => ServiceError::NotFound(format!("{rt}/{id} does not exist")),
        Some(v) => ServiceError::NotFound(format!("{rt}/{id} has no version {v}")),
    }
}

/// A reference to a record that does not exist.
pub fn dangling(field: &str, rt: &str, id: &str) -> ServiceError {
    ServiceError::rule(field, format!("{rt}/{id} does not exist"))
}
