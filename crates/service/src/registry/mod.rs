//! The registry service: every read and write of registry records goes
//! through here, whatever face (FHIR, bulk import, demo load) it came in by.
//!
//! It checks who is asking against the access rules of
//! `tiercare_core::access`, resolves and checks references (a team's
//! institution must be primary care, a contract's team must exist), and
//! writes an audit entry for every touch of patient data, refusals included.
//! Records arrive parsed: the face they came in by turned them into core
//! records first.
//!
//! The methods of [`Registry`] are grouped by concern: this file holds the
//! type, its audit helpers, reads, searches and writes; `scope` decides
//! which residents the caller may see (contracts and open referrals);
//! `references` checks a record against the records it points at before it
//! is written.

mod history;
mod offered;
mod references;
mod scope;

pub use references::institution;

use crate::days::format_date;
use crate::{Context, ServiceError};
use std::collections::HashMap;
use tiercare_core::Record;
use tiercare_core::access::{Actor, PatientScope, UserRole};
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

    /// [`refused`](Self::refused), denied when the error is `Forbidden` and
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

    /// Refuses a read of a patient's record by id the caller may not see
    /// exactly as a read of an id that does not exist (so ids cannot be
    /// probed for who is registered), audited as a denied access.
    async fn hide(
        &self,
        action: &str,
        id: &str,
        version: Option<u32>,
        reason: &str,
    ) -> ServiceError {
        let entry = self.audit_entry(
            action,
            "Patient",
            Some(id),
            Some(id),
            AuditOutcome::Denied,
            reason.to_string(),
        );
        if let Err(e) = self.audit(vec![entry]).await {
            return e;
        }
        not_found("Patient", id, version)
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
            return Err(self.hide(action, id, version, scope.refusal()).await);
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
            return Err(self.hide(action, id, version, scope.refusal()).await);
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
