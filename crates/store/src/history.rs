//! A record's past: every version kept in `record_history`, newest first,
//! for FHIR's `_history` (instance and type level).

use crate::records::stored_from_row;
use crate::{Store, StoreError, Stored};

/// Which versions to list: one record's (`id`) or a whole type's, changed
/// at or after `since` (an RFC 3339 UTC time as the store writes it), at
/// most `count`, of the records whose current search terms hold every
/// `(param, value)` of `scope`.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub resource_type: String,
    pub id: Option<String>,
    pub since: Option<String>,
    pub count: u32,
    /// Who may see a record is decided on its current version (as a read
    /// decides it), so a type's history is narrowed by the current terms:
    /// inside the query, so the total counts only what the caller may see.
    pub scope: Vec<(String, String)>,
}

impl Store {
    /// The versions a [`HistoryQuery`] names, newest first (by time, then
    /// version), and how many there are in all.
    pub async fn history(&self, q: &HistoryQuery) -> Result<(Vec<Stored>, u64), StoreError> {
        let mut cond = String::from("resource_type = $1");
        let mut binds: Vec<String> = vec![q.resource_type.clone()];
        if let Some(id) = &q.id {
            binds.push(id.clone());
            cond.push_str(&format!(" AND id = ${}", binds.len()));
        }
        if let Some(since) = &q.since {
            binds.push(since.clone());
            cond.push_str(&format!(" AND updated_at >= ${}", binds.len()));
        }
        for (param, value) in &q.scope {
            binds.push(param.clone());
            binds.push(value.clone());
            let (p, v) = (binds.len() - 1, binds.len());
            cond.push_str(&format!(
                " AND id IN (SELECT s.id FROM search_index s WHERE s.resource_type = $1 \
                 AND s.param = ${p} AND s.value = ${v})"
            ));
        }
        let count_sql = format!("SELECT COUNT(*) AS n FROM record_history WHERE {cond}");
        let mut count = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        for b in &binds {
            count = count.bind(b.clone());
        }
        let total: i64 = sqlx::Row::try_get(&count.fetch_one(&self.read).await?, "n")?;
        let sql = format!(
            "SELECT version, updated_at, body FROM record_history WHERE {cond} \
             ORDER BY updated_at DESC, id, version DESC LIMIT {}",
            q.count
        );
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in &binds {
            rows = rows.bind(b.clone());
        }
        let rows = rows.fetch_all(&self.read).await?;
        let found = rows
            .iter()
            .map(|r| stored_from_row(&q.resource_type, r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((found, u64::try_from(total).unwrap_or(0)))
    }
}
