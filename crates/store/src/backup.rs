//! Backups: a consistent copy of a SQLite store taken while servers keep
//! writing, copying one back in, and the checks around a restore (is the
//! target empty, how many rows each table holds).
//!
//! PostgreSQL has its own tools for this (`pg_dump`, `pg_restore`): the
//! `tiercare` binary runs them; the store only answers whether a target
//! database already holds data and counts what a restore brought.

use crate::db::{Backend, normalise_url, sqlite_path};
use crate::{Store, StoreError};
use sqlx::{AnyConnection, AssertSqlSafe, Connection};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which engine a database URL names, and for SQLite on disk its file
/// (`None` for PostgreSQL and in-memory databases).
pub fn database_kind(url: &str) -> Result<(Backend, Option<PathBuf>), StoreError> {
    let (backend, url) = normalise_url(url)?;
    Ok((backend, sqlite_path(&url)))
}

impl Store {
    /// Writes a consistent copy of the whole database (SQLite) to `out`,
    /// which must not exist yet. Servers may keep writing meanwhile: the
    /// copy is one read transaction (`VACUUM INTO`), so it holds exactly
    /// the commits before it began, in a compact file of its own.
    pub async fn backup_into(&self, out: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Backup(
                "a PostgreSQL database is backed up with pg_dump".into(),
            ));
        }
        if out.exists() {
            return Err(StoreError::Backup(format!(
                "{} exists already: a backup never overwrites a file",
                out.display()
            )));
        }
        let target = path_text(out)?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.read)
            .await?;
        Ok(())
    }

    /// The number of rows in each table of the schema, by table name (the
    /// migrations' own bookkeeping left out).
    pub async fn table_counts(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        let mut conn = self.read.acquire().await?;
        counts(&mut conn, self.backend).await
    }
}

/// Whether the database at `url` holds any row in any data table, without
/// creating or migrating anything: a restore refuses such a target unless
/// forced. A SQLite file that does not exist holds nothing.
pub async fn holds_data(url: &str) -> Result<bool, StoreError> {
    sqlx::any::install_default_drivers();
    let (backend, url) = normalise_url(url)?;
    if let Some(path) = sqlite_path(&url)
        && !path.exists()
    {
        return Ok(false);
    }
    let mut conn = AnyConnection::connect(&url).await?;
    let found = counts(&mut conn, backend).await?;
    conn.close().await?;
    // `index_meta` is the schema's bookkeeping (its one row is written by
    // the migration), not data.
    Ok(found
        .iter()
        .any(|(table, n)| table != "index_meta" && *n > 0))
}

/// Copies the SQLite database `input` (a backup) into the new file `out`
/// consistently, with whatever its write-ahead log still holds. Refuses an
/// input that is not a tiercare database and an `out` that exists.
pub async fn copy_sqlite(input: &Path, out: &Path) -> Result<(), StoreError> {
    sqlx::any::install_default_drivers();
    if !input.is_file() {
        return Err(StoreError::Backup(format!(
            "{} is not a file",
            input.display()
        )));
    }
    if out.exists() {
        return Err(StoreError::Backup(format!(
            "{} exists already",
            out.display()
        )));
    }
    let url = format!("sqlite://{}?mode=ro", path_text(input)?);
    let mut conn = AnyConnection::connect(&url).await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('records', 'audit', '_sqlx_migrations')",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| StoreError::Backup(format!("{} is not a SQLite database: {e}", input.display())))?;
    if tables != 3 {
        return Err(StoreError::Backup(format!(
            "{} is not a tiercare database",
            input.display()
        )));
    }
    sqlx::query("VACUUM INTO $1")
        .bind(path_text(out)?)
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

fn path_text(p: &Path) -> Result<&str, StoreError> {
    p.to_str()
        .ok_or_else(|| StoreError::Backup(format!("{} is not a UTF-8 path", p.display())))
}

/// Rows per table of the connection's schema.
async fn counts(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let list = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'"
        }
    };
    let names: Vec<String> = sqlx::query_scalar(list).fetch_all(&mut *conn).await?;
    let mut out = BTreeMap::new();
    for name in names {
        // Names from the catalogue, quoted: they are identifiers.
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM \"{}\"",
            name.replace('"', "\"\"")
        )))
        .fetch_one(&mut *conn)
        .await?;
        out.insert(name, n);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::tests::{resident, store_and_url, write};
    use crate::{AuditEntry, AuditOutcome, Expect};

    #[tokio::test]
    async fn a_backup_copied_back_holds_the_same_rows() {
        let (s, dir, url) = store_and_url().await;
        assert!(!holds_data(&url).await.unwrap());
        let entry = AuditEntry {
            seq: 0,
            recorded_at: String::new(),
            username: "doctor".into(),
            role: "doctor".into(),
            action: "create".into(),
            resource_type: "Patient".into(),
            resource_id: Some("r1".into()),
            patient: Some("r1".into()),
            outcome: AuditOutcome::Success,
            detail: String::new(),
        };
        s.write(
            write(resident("r1", "Wang", None), Expect::New),
            Some(entry),
        )
        .await
        .unwrap();
        assert!(holds_data(&url).await.unwrap());
        let counts = s.table_counts().await.unwrap();
        assert_eq!(counts.get("records"), Some(&1));
        assert_eq!(counts.get("audit"), Some(&1));
        let out = dir.join("b.db");
        if s.backend == Backend::Postgres {
            // PostgreSQL is backed up with its own tools.
            assert!(matches!(
                s.backup_into(&out).await,
                Err(StoreError::Backup(_))
            ));
            return;
        }
        s.backup_into(&out).await.unwrap();
        assert!(matches!(
            s.backup_into(&out).await,
            Err(StoreError::Backup(_))
        ));
        let copy = dir.join("c.db");
        copy_sqlite(&out, &copy).await.unwrap();
        let restored = Store::open(&format!("sqlite://{}", copy.display()))
            .await
            .unwrap();
        assert_eq!(restored.table_counts().await.unwrap(), counts);
        assert!(restored.verify_audit().await.unwrap().is_intact());
        // Only a tiercare database is copied.
        let junk = dir.join("junk.db");
        std::fs::write(&junk, "not a database").unwrap();
        assert!(copy_sqlite(&junk, &dir.join("d.db")).await.is_err());
        assert!(!dir.join("d.db").exists());
    }
}
