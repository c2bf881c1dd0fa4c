//! The audit trail: who touched which patient's data, when, and whether they
//! were allowed to. Append-only; denied attempts are recorded too.

use crate::batch_conn::{BatchConn, Val, insert_rows};
use crate::{Store, StoreError, audit_chain, now_text};
use sqlx::{AssertSqlSafe, Row};

/// How an audited attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    Success,
    /// Refused by access rules.
    Denied,
    /// Allowed but failed (bad input, conflict).
    Failed,
}

impl AuditOutcome {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Denied => "denied",
            AuditOutcome::Failed => "failed",
        }
    }
    fn from_code(s: &str) -> AuditOutcome {
        match s {
            "success" => AuditOutcome::Success,
            "denied" => AuditOutcome::Denied,
            _ => AuditOutcome::Failed,
        }
    }
}

/// One audited access.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Sequence number; 0 until stored.
    pub seq: i64,
    /// RFC 3339 UTC; filled in when stored if empty.
    pub recorded_at: String,
    pub username: String,
    pub role: String,
    /// `read`, `vread`, `search`, `create`, `update`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// The resident whose data it was, when known.
    pub patient: Option<String>,
    pub outcome: AuditOutcome,
    pub detail: String,
}

/// A search of the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub patient: Option<String>,
    pub username: Option<String>,
    /// Entries with any of these outcomes (all when empty).
    pub outcomes: Vec<AuditOutcome>,
    pub count: u32,
    pub offset: u32,
}

/// Appends audit entries, in order, as many per statement as the
/// connection takes (`batch_conn.rs`).
///
/// Runs inside a write transaction (they run one at a time): it numbers
/// the entries after the last one stored and chains each to the one before
/// (`audit_chain.rs`). The last entry is read again on every call, so a
/// call rolled back to its savepoint, or an entry written by another
/// server, is never chained to by mistake.
///
/// `region` is the region of the store that writes them. It is not part of
/// an entry's hash (`audit_chain.rs`): it says which shard holds the entry,
/// not what happened, and chains stored before the column existed verify
/// as they were.
pub(crate) async fn insert_audit<C: BatchConn>(
    conn: &mut C,
    region: &str,
    entries: &[AuditEntry],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let (mut seq, mut prev) = audit_chain::head(conn).await?;
    let mut rows = Vec::with_capacity(entries.len());
    for a in entries {
        let at = if a.recorded_at.is_empty() {
            now_text()
        } else {
            a.recorded_at.clone()
        };
        seq += 1;
        let hash = audit_chain::entry_hash(
            &prev,
            &audit_chain::Fields {
                seq,
                recorded_at: &at,
                username: &a.username,
                role: &a.role,
                action: &a.action,
                resource_type: &a.resource_type,
                resource_id: a.resource_id.as_deref(),
                patient: a.patient.as_deref(),
                outcome: a.outcome.code(),
                detail: &a.detail,
            },
        );
        rows.push(vec![
            Val::Int(seq),
            Val::Text(at),
            Val::Text(a.username.clone()),
            Val::Text(a.role.clone()),
            Val::Text(a.action.clone()),
            Val::Text(a.resource_type.clone()),
            Val::from(a.resource_id.clone()),
            Val::from(a.patient.clone()),
            Val::Text(a.outcome.code().to_string()),
            Val::Text(a.detail.clone()),
            Val::Text(std::mem::replace(&mut prev, hash.clone())),
            Val::Text(hash),
            Val::Text(region.to_string()),
        ]);
    }
    // 13 values per row: the connection's rows per statement stay well
    // under SQLite's limit of bound values.
    insert_rows(
        conn,
        "audit",
        &[
            "seq",
            "recorded_at",
            "username",
            "role",
            "action",
            "resource_type",
            "resource_id",
            "patient",
            "outcome",
            "detail",
            "prev_hash",
            "hash",
            "region",
        ],
        "",
        rows,
    )
    .await
}

impl Store {
    /// Appends audit entries durably, in one transaction.
    ///
    /// Goes through the group-commit writer like record writes: every
    /// audited read writes an entry, so under load these commits are shared
    /// too.
    pub async fn audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.writer
            .submit(self.region.clone(), Vec::new(), entries.to_vec())
            .await
            .map(|_| ())
    }

    /// Searches the audit trail, newest first; returns a page and the total.
    pub async fn audit_search(&self, q: &AuditQuery) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        let mut clause = String::from(" FROM audit WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        for (col, val) in [
            ("patient", q.patient.clone()),
            ("username", q.username.clone()),
        ] {
            if let Some(v) = val {
                binds.push(v);
                clause.push_str(&format!(" AND {col} = ${}", binds.len()));
            }
        }
        if !q.outcomes.is_empty() {
            let mut alts = Vec::new();
            for o in &q.outcomes {
                binds.push(o.code().to_string());
                alts.push(format!("${}", binds.len()));
            }
            clause.push_str(&format!(" AND outcome IN ({})", alts.join(", ")));
        }
        let mut count =
            sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!("SELECT COUNT(*){clause}")));
        for b in &binds {
            count = count.bind(b.as_str());
        }
        let total = count.fetch_one(&self.read).await?;
        let sql = format!(
            "SELECT *{clause} ORDER BY seq DESC LIMIT {} OFFSET {}",
            q.count, q.offset
        );
        let mut page = sqlx::query(AssertSqlSafe(sql));
        for b in &binds {
            page = page.bind(b.as_str());
        }
        let rows = page.fetch_all(&self.read).await?;
        let entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((entries, u64::try_from(total).unwrap_or(0)))
    }

    /// Reads one audit entry by sequence number.
    pub async fn audit_entry(&self, seq: i64) -> Result<Option<AuditEntry>, StoreError> {
        let row = sqlx::query("SELECT * FROM audit WHERE seq = $1")
            .bind(seq)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(entry_from_row).transpose()
    }
}

fn entry_from_row(r: &sqlx::any::AnyRow) -> Result<AuditEntry, StoreError> {
    let outcome: String = r.try_get("outcome")?;
    Ok(AuditEntry {
        seq: r.try_get("seq")?,
        recorded_at: r.try_get("recorded_at")?,
        username: r.try_get("username")?,
        role: r.try_get("role")?,
        action: r.try_get("action")?,
        resource_type: r.try_get("resource_type")?,
        resource_id: r.try_get("resource_id")?,
        patient: r.try_get("patient")?,
        outcome: AuditOutcome::from_code(&outcome),
        detail: r.try_get("detail")?,
    })
}
