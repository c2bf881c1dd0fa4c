//! Fresh databases for tests and benchmarks, on either engine.
//!
//! The test command runs the whole suite twice: once on SQLite and once
//! with [`TEST_POSTGRES`] set to a throwaway PostgreSQL cluster it started
//! itself. Every test asks here for its database, so the same test body
//! runs on both engines.

use crate::StoreError;
use sqlx::{Connection, Executor};
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that names a PostgreSQL server (a URL to a
/// database there that the user may create databases from, such as
/// `postgres://tiercare@127.0.0.1:55432/postgres`) for tests to use.
pub const TEST_POSTGRES: &str = "TIERCARE_TEST_POSTGRES";

/// The URL of a fresh, empty database: a new database on the server that
/// [`TEST_POSTGRES`] names when it is set, else `sqlite_url` as given (a
/// file in the caller's temporary directory, or `sqlite::memory:`).
pub async fn database_url(sqlite_url: &str) -> Result<String, StoreError> {
    match std::env::var(TEST_POSTGRES) {
        Ok(server) if !server.is_empty() => fresh_postgres(&server).await,
        _ => Ok(sqlite_url.to_string()),
    }
}

/// Whether tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var(TEST_POSTGRES).is_ok_and(|s| !s.is_empty())
}

async fn fresh_postgres(server: &str) -> Result<String, StoreError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    sqlx::any::install_default_drivers();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // Unique among the tests running at once: each has its own process id,
    // and a process numbers its own databases.
    let name = format!(
        "t_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::AnyConnection::connect(server).await?;
    // `name` is made of digits, letters and underscores only.
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await?;
    admin.close().await?;
    Ok(with_database(server, &name))
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A connection of its own holding the store's write lock, as another
/// server's long write transaction would: every write of every server waits
/// until [`release`](WriteHold::release). For tests of what a request does
/// while its write waits.
pub struct WriteHold {
    conn: sqlx::AnyConnection,
    backend: crate::Backend,
}

impl WriteHold {
    /// Takes the write lock of the database at `url` (SQLite: `BEGIN
    /// IMMEDIATE`; PostgreSQL: the writers' advisory lock).
    pub async fn take(url: &str) -> Result<WriteHold, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres") {
            crate::Backend::Postgres
        } else {
            crate::Backend::Sqlite
        };
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        match backend {
            crate::Backend::Sqlite => {
                conn.execute("BEGIN IMMEDIATE").await?;
            }
            crate::Backend::Postgres => {
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(crate::db::WRITE_LOCK)
                    .execute(&mut conn)
                    .await?;
            }
        }
        Ok(WriteHold { conn, backend })
    }

    /// Lets the waiting writes go.
    pub async fn release(mut self) -> Result<(), StoreError> {
        match self.backend {
            crate::Backend::Sqlite => {
                self.conn.execute("ROLLBACK").await?;
            }
            crate::Backend::Postgres => {
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(crate::db::WRITE_LOCK)
                    .execute(&mut self.conn)
                    .await?;
            }
        }
        self.conn.close().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5/postgres", "t_1"),
            "postgres://u@h:5/t_1"
        );
        assert_eq!(
            with_database("postgres://u@h:5", "t_1"),
            "postgres://u@h:5/t_1"
        );
        assert_eq!(
            with_database("postgres://u@h/p?sslmode=disable", "t_2"),
            "postgres://u@h/t_2?sslmode=disable"
        );
    }
}
