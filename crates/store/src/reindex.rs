//! Re-indexing: every record's search terms computed again by the rules of
//! the running build, when the index was built by older rules.
//!
//! Terms are computed when a record is written, so when the rules change
//! (a new search parameter, tokens also kept as `system|code`) a record
//! written before is not found by the new terms until it is written
//! again. The store keeps the version of the rules its index was built
//! with (`index_meta`); a server whose rules are newer re-indexes at start.
//! The store knows no rules: the caller hands in the version and the
//! function that computes a record's terms.
//!
//! One server re-indexes at a time (an exclusive section), and one that
//! finds the work done when it gets the section does nothing. Each batch
//! is one write transaction that reads the records it re-indexes inside
//! it, under the write lock: a record written meanwhile gets the terms of
//! its new version. The version is stored with the last batch, so a
//! re-index that stops halfway is done again from the start next time.

use crate::records::decode;
use crate::rows::insert_index;
use crate::{Store, StoreError};
use sqlx::Row;
use tiercare_core::Record;

/// What [`Store::reindex_to`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reindexed {
    /// The index was already built by the rules of that version (or
    /// newer ones): nothing to do.
    Current { stored: i64 },
    /// Every record was re-indexed, `from` the version stored before.
    Done { records: u64, from: i64 },
}

impl Store {
    /// The version of the search-term rules the index was built with.
    pub async fn index_version(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT version FROM index_meta WHERE id = 1")
            .fetch_optional(&self.read)
            .await?;
        Ok(match row {
            Some(r) => r.try_get("version")?,
            None => 0,
        })
    }

    /// Re-indexes every record with `terms` in batches of `batch` records
    /// (one transaction each), reporting `progress(done, total)` after
    /// each, and stores `version` with the last batch; does nothing if the
    /// index is at `version` already.
    pub async fn reindex_to(
        &self,
        version: i64,
        batch: u32,
        terms: impl Fn(&Record) -> Vec<(String, String)>,
        progress: impl Fn(u64, u64),
    ) -> Result<Reindexed, StoreError> {
        let stored = self.index_version().await?;
        if stored >= version {
            return Ok(Reindexed::Current { stored });
        }
        let section = self.exclusive("reindex").await?;
        let done = self.reindex_held(version, batch, &terms, &progress).await;
        section.release().await;
        done
    }

    async fn reindex_held(
        &self,
        version: i64,
        batch: u32,
        terms: &impl Fn(&Record) -> Vec<(String, String)>,
        progress: &impl Fn(u64, u64),
    ) -> Result<Reindexed, StoreError> {
        // Another server may have done it while this one waited.
        let from = self.index_version().await?;
        if from >= version {
            return Ok(Reindexed::Current { stored: from });
        }
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM records")
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        let total = u64::try_from(total).unwrap_or(0);
        let mut done = 0u64;
        let mut after = (String::new(), String::new());
        loop {
            let mut tx = self.begin_write().await?;
            let sql = format!(
                "SELECT resource_type, id, region, body FROM records \
                 WHERE resource_type > $1 OR (resource_type = $1 AND id > $2) \
                 ORDER BY resource_type, id LIMIT {}",
                batch.max(1)
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(after.0.clone())
                .bind(after.1.clone())
                .fetch_all(&mut *tx)
                .await?;
            if rows.is_empty() {
                sqlx::query("UPDATE index_meta SET version = $1 WHERE id = 1 AND version < $1")
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Ok(Reindexed::Done {
                    records: done,
                    from,
                });
            }
            for row in &rows {
                let rt: String = row.try_get("resource_type")?;
                let id: String = row.try_get("id")?;
                let body: String = row.try_get("body")?;
                // The terms go where their record is.
                let region: String = row.try_get("region")?;
                let record = decode(&rt, &body)?;
                sqlx::query("DELETE FROM search_index WHERE resource_type = $1 AND id = $2")
                    .bind(&rt)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                insert_index(&mut tx, &rt, &id, &region, &terms(&record)).await?;
                after = (rt, id);
            }
            tx.commit().await?;
            done += rows.len() as u64;
            progress(done, total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Expect;
    use crate::records::tests::{resident, store, store_and_url, write};

    /// Terms by "new rules": a code with its system, and no name.
    fn new_terms(r: &Record) -> Vec<(String, String)> {
        vec![
            ("_id".into(), r.id().to_string()),
            ("code".into(), format!("sys|{}", r.id())),
        ]
    }

    async fn ids_with(s: &Store, value: &str) -> Vec<String> {
        s.ids_where("Patient", "code", value).await.unwrap()
    }

    #[tokio::test]
    async fn an_old_index_is_rebuilt_once_in_batches() {
        let (s, _dir) = store().await;
        for id in ["r1", "r2", "r3"] {
            s.write(write(resident(id, "Wang", None), Expect::New), None)
                .await
                .unwrap();
        }
        assert_eq!(s.index_version().await.unwrap(), 0);
        assert!(ids_with(&s, "sys|r2").await.is_empty());
        let old = |s: Store| async move { s.ids_where("Patient", "name", "wang").await.unwrap() };
        assert_eq!(old(s.clone()).await.len(), 3);
        let reports = std::sync::Mutex::new(Vec::new());
        let done = s
            .reindex_to(3, 2, new_terms, |d, t| reports.lock().unwrap().push((d, t)))
            .await
            .unwrap();
        assert_eq!(
            done,
            Reindexed::Done {
                records: 3,
                from: 0
            }
        );
        assert_eq!(*reports.lock().unwrap(), [(2, 3), (3, 3)]);
        assert_eq!(s.index_version().await.unwrap(), 3);
        assert_eq!(ids_with(&s, "sys|r2").await, ["r2"]);
        // The old terms are gone, the new ones not doubled.
        assert!(old(s.clone()).await.is_empty());
        assert_eq!(ids_with(&s, "sys|r1").await, ["r1"]);
        let again = s.reindex_to(3, 2, new_terms, |_, _| {}).await.unwrap();
        assert_eq!(again, Reindexed::Current { stored: 3 });
        let older = s.reindex_to(2, 2, new_terms, |_, _| {}).await.unwrap();
        assert_eq!(older, Reindexed::Current { stored: 3 });
    }

    #[tokio::test]
    async fn of_two_servers_starting_together_one_reindexes() {
        let (s, _dir, url) = store_and_url().await;
        for id in ["r1", "r2", "r3", "r4", "r5"] {
            s.write(write(resident(id, "Wang", None), Expect::New), None)
                .await
                .unwrap();
        }
        let other = Store::open(&url).await.unwrap();
        let (a, b) = tokio::join!(
            s.reindex_to(1, 1, new_terms, |_, _| {}),
            other.reindex_to(1, 1, new_terms, |_, _| {}),
        );
        let mut outcomes = [a.unwrap(), b.unwrap()];
        outcomes.sort_by_key(|o| matches!(o, Reindexed::Current { .. }));
        assert_eq!(
            outcomes,
            [
                Reindexed::Done {
                    records: 5,
                    from: 0
                },
                Reindexed::Current { stored: 1 }
            ]
        );
        // Each record's terms once, not twice.
        assert_eq!(ids_with(&s, "sys|r3").await, ["r3"]);
        other.close().await;
    }
}
