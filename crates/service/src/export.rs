//! Bulk export: who may take the platform's records out in bulk, in what
//! form, which records a group's export holds, and the audit of it.
//!
//! An administrator exports whole records; an analyst (a commission's
//! researcher) de-identified ones, although an analyst reads no patient
//! otherwise: what leaves is counted, coded and dated care without the
//! person. Every resident whose records leave is audited, once per export,
//! as an `export` by the caller.

use crate::{Context, ServiceError};
use std::collections::BTreeSet;
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_store::{AuditEntry, AuditOutcome, Query, Stored};

/// The form an export takes for its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportForm {
    /// Everything as stored: administrators.
    Whole,
    /// Without what names a person: analysts.
    Deidentified,
}

/// How `actor` may export, or why not.
pub fn form_for(actor: &Actor) -> Result<ExportForm, ServiceError> {
    match actor.role {
        UserRole::Admin => Ok(ExportForm::Whole),
        UserRole::Analyst => Ok(ExportForm::Deidentified),
        _ => Err(ServiceError::Forbidden(
            "bulk export is for administrators, and de-identified for analysts".into(),
        )),
    }
}

/// The resource types stored, in order.
pub async fn resource_types(ctx: &Context) -> Result<Vec<String>, ServiceError> {
    Ok(ctx.store.resource_types().await?)
}

/// One page of a type's records, oldest id first.
pub async fn page(
    ctx: &Context,
    resource_type: &str,
    offset: u32,
    count: u32,
) -> Result<Vec<Stored>, ServiceError> {
    let q = Query {
        resource_type: resource_type.to_string(),
        filters: Vec::new(),
        count,
        offset,
    };
    Ok(ctx.store.search_page(&q).await?)
}

/// The residents contracted to a family-doctor team of `institution`: the
/// members of the institution's Group for a group-level export.
pub async fn group_members(
    ctx: &Context,
    institution: &str,
) -> Result<BTreeSet<String>, ServiceError> {
    if ctx.store.get("Organization", institution).await?.is_none() {
        return Err(ServiceError::NotFound(format!(
            "Group/{institution}: a group is an institution's contracted residents, and there is no Organization/{institution}"
        )));
    }
    let mut members = BTreeSet::new();
    let mut offset = 0;
    loop {
        let records = page(ctx, "Patient", offset, 1000).await?;
        if records.is_empty() {
            break;
        }
        offset += u32::try_from(records.len()).unwrap_or(u32::MAX);
        for s in records {
            if let Record::Resident(r) = &s.record
                && r.contract
                    .as_ref()
                    .and_then(|c| c.institution.as_ref())
                    .is_some_and(|i| i.as_str() == institution)
            {
                members.insert(r.id.to_string());
            }
        }
    }
    Ok(members)
}

/// Audits an export: one entry per resident whose records left.
pub async fn audit(
    ctx: &Context,
    actor: &Actor,
    job: &str,
    form: ExportForm,
    patients: &BTreeSet<String>,
) -> Result<(), ServiceError> {
    let detail = match form {
        ExportForm::Whole => format!("bulk export {job}"),
        ExportForm::Deidentified => format!("bulk export {job}, de-identified"),
    };
    let entries: Vec<AuditEntry> = patients
        .iter()
        .map(|p| AuditEntry {
            seq: 0,
            recorded_at: String::new(),
            username: actor.username.clone(),
            role: actor.role.code().to_string(),
            action: "export".into(),
            resource_type: "Patient".into(),
            resource_id: Some(p.clone()),
            patient: Some(p.clone()),
            outcome: AuditOutcome::Success,
            detail: detail.clone(),
        })
        .collect();
    for chunk in entries.chunks(1000) {
        ctx.store.audit(chunk).await?;
    }
    Ok(())
}
