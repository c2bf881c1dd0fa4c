//! A record's past versions, seen under the same rules as a read: one
//! record's history only by those who may read it, and a whole type's
//! history of residents only by those who may see every resident, each
//! version's patient audited.

use super::Registry;
use crate::ServiceError;
use tiercare_core::access::PatientScope;
use tiercare_store::{AuditOutcome, HistoryQuery, Stored};

impl Registry<'_> {
    /// The versions `q` names, newest first, and how many there are. With
    /// `q.id`, the record is first read as [`Registry::read`] reads it (so
    /// a refusal or an unknown record is the read's, audited alike).
    pub async fn history(&self, q: &HistoryQuery) -> Result<(Vec<Stored>, u64), ServiceError> {
        let rt = q.resource_type.as_str();
        match &q.id {
            Some(id) => {
                self.read(rt, id, None).await?;
            }
            None if rt == "Patient" => {
                let scope = self.patient_scope().await?;
                if scope != PatientScope::All {
                    let reason = "the history of every resident is for those who may see every resident; ask for one patient's history";
                    return Err(self.deny("history", None, reason).await);
                }
            }
            None => {}
        }
        let (found, total) = self.ctx.store.history(q).await?;
        if q.id.is_none() && rt == "Patient" {
            let entries = found
                .iter()
                .map(|s| {
                    let id = s.record.id();
                    self.audit_entry(
                        "history",
                        "Patient",
                        Some(id),
                        Some(id),
                        AuditOutcome::Success,
                        String::new(),
                    )
                })
                .collect();
            self.audit(entries).await?;
        }
        Ok((found, total))
    }
}
