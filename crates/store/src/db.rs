//! Opening the database: connection pools, pragmas and migrations, for
//! SQLite (the embedded default) and PostgreSQL (production).

use crate::StoreError;
use crate::writer::{CommitStats, Writer};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tiercare_core::RegionId;
use tiercare_core::indicators::Ix;

/// Which database engine the store runs on. The SQL is the same for both
/// (`$1` placeholders, portable types); what differs is how writers from
/// several servers are kept apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One file: every write transaction begins `IMMEDIATE`, taking
    /// SQLite's own lock, which admits one writer at a time even from
    /// several processes on the same machine.
    Sqlite,
    /// Several servers may share the database: every write transaction
    /// first takes one transaction-scoped advisory lock
    /// ([`WRITE_LOCK`]), so writes from all servers run one after another
    /// exactly as on SQLite. Version checks, the indicator counters' read
    /// and add, and the event log's order (the subscription outbox reads
    /// it by sequence number, so a later number must never commit before
    /// an earlier one) all rest on that.
    Postgres,
}

/// The advisory lock key every PostgreSQL write transaction holds until it
/// commits ("tiercare" in ASCII, as a number).
pub(crate) const WRITE_LOCK: i64 = 0x7469_6572_6361_7265;

/// The tiercare database. Cheap to clone: it holds connection pools and a
/// handle to the writer task.
///
/// Writes go through a pool of one connection, so SQLite never sees two
/// writers racing for its lock; reads use a separate pool and run in
/// parallel with writes thanks to WAL. Record and audit writes reach that
/// connection through the group-commit writer (`writer.rs`), so concurrent
/// writers share one durable commit instead of paying one each.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) read: AnyPool,
    pub(crate) write: AnyPool,
    pub(crate) writer: Arc<Writer>,
    pub(crate) backend: Backend,
    /// The database file, for SQLite on disk.
    pub(crate) path: Option<std::path::PathBuf>,
    /// SQLite on disk: records by key and tokens read without a thread
    /// hand-off (`point_reads.rs`).
    pub(crate) point_reads: Option<Arc<crate::point_reads::PointReads>>,
    /// Institutions' indicator numbers already looked up.
    pub(crate) ix_cache: Arc<std::sync::Mutex<HashMap<String, Ix>>>,
    /// The region this store writes in ([`Store::in_region`]): every row
    /// of a table a province-wide deployment shards carries it
    /// (docs/province-scale.md).
    pub(crate) region: Arc<str>,
}

/// The region a store writes in until [`Store::in_region`] names the
/// deployment's: the same as the configuration's default `region_id`, and
/// what migration 0009 gives rows of a database that named no region.
pub const DEFAULT_REGION: &str = "region";

pub(crate) static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its
    /// schema up to date. `url` is `sqlite://PATH`, `sqlite::memory:` for
    /// a throw-away database, or `postgres://USER@HOST:PORT/DB` for an
    /// existing PostgreSQL database (its schema is created on first use).
    /// Must run inside a tokio runtime: it starts the writer task there.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let (backend, url) = normalise_url(url)?;
        let (write, read) = match backend {
            Backend::Sqlite => {
                let write = sqlite_options(1).connect(&url).await?;
                // Two servers starting together on one file would both
                // find a migration missing and both run it: one at a time.
                let migrating = match sqlite_path(&url) {
                    Some(path) => Some(crate::exclusive::lock_beside(&path, "migrate").await?),
                    None => None,
                };
                SQLITE.run(&write).await?;
                drop(migrating);
                // An in-memory database exists once per connection: share
                // the writer's.
                let read = if url.contains(":memory:") {
                    write.clone()
                } else {
                    sqlite_options(4).connect(&url).await?
                };
                (write, read)
            }
            Backend::Postgres => {
                let write = postgres_options(1).connect(&url).await?;
                // Two servers starting together on an empty database both
                // migrate; sqlx's migrator holds an advisory lock, so the
                // second waits and then finds the schema in place.
                POSTGRES.run(&write).await?;
                (write, postgres_options(8).connect(&url).await?)
            }
        };
        // Before the writer starts: a trail from before the hash chain is
        // chained before anything is appended to it.
        crate::audit_chain::chain_unchained(&write, backend).await?;
        let writer = Arc::new(Writer::start(write.clone(), backend, sqlite_path(&url)));
        Ok(Store {
            read,
            write,
            writer,
            backend,
            path: sqlite_path(&url),
            point_reads: sqlite_path(&url)
                .map(|p| Arc::new(crate::point_reads::PointReads::new(&p))),
            ix_cache: Arc::default(),
            region: DEFAULT_REGION.into(),
        })
    }

    /// This store, writing in `region` (the deployment's): new records
    /// that carry no region of their own, their history, search terms and
    /// events, the indicator rows, audit entries and subscriptions are all
    /// stored in it. A row already stored keeps the region it has, so
    /// later writes of its record find it under its key.
    pub fn in_region(mut self, region: &RegionId) -> Store {
        self.region = region.as_str().into();
        self
    }

    /// The region this store writes in.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Begins a transaction on the write connection; on PostgreSQL it
    /// first takes the shared write lock, so it runs after every write
    /// transaction of any server that holds it and before any that comes
    /// later.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        begin_write(&self.write, self.backend).await
    }

    /// Refreshes the query planner's statistics; run after a bulk load
    /// (the demo county). A freshly filled PostgreSQL table has none until
    /// autovacuum first gets to it, and the planner then scans where an
    /// index would do: searches ran several times slower under load.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let statement = match self.backend {
            Backend::Postgres => "ANALYZE",
            Backend::Sqlite => "PRAGMA optimize",
        };
        sqlx::query(statement).execute(&self.write).await?;
        Ok(())
    }

    /// Checks that the database answers; used by `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// How many write calls the writer has taken and how many commits they
    /// needed; `calls / commits` is the average group-commit batch.
    pub fn commit_stats(&self) -> CommitStats {
        self.writer.stats()
    }

    /// Commits the writes already queued, then closes the pools, waiting for
    /// running queries; call on shutdown. Later writes fail with
    /// [`StoreError::Closed`](crate::StoreError::Closed) (or a closed-pool
    /// error).
    pub async fn close(&self) {
        self.writer.close().await;
        self.write.close().await;
        self.read.close().await;
    }
}

/// See [`Store::begin_write`].
pub(crate) async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
) -> Result<Transaction<'static, Any>, sqlx::Error> {
    crate::commit_point::mark();
    match backend {
        // IMMEDIATE takes SQLite's write lock at the start (waiting up to
        // the busy timeout for another process's writer), so the version
        // checks read what no other writer can change before the commit.
        // A plain BEGIN would read first and fail at its first write if
        // another connection had committed in between.
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

fn postgres_options(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        // A network connection can go stale (the database restarted); a
        // connection idle for a while is checked before it is used again.
        .idle_timeout(Duration::from_secs(300))
}

fn sqlite_options(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        // The connection is a file handle in this process: it cannot go
        // stale the way a network connection can, and the default ping on
        // every acquire would cost each read and each write batch an extra
        // round trip to the connection's thread.
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; FULL makes every
                // acknowledged commit durable across a power cut.
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                // Savepoints and statements that may need undoing keep a
                // sub-journal of the pages they change; past 64 KiB SQLite
                // spills it to a temporary file, created and deleted per
                // transaction (a batch of writes easily passes that). In
                // memory it costs a few MiB at most; durability is the
                // WAL's business and does not change.
                conn.execute("PRAGMA temp_store = MEMORY").await?;
                // No memory map (SQLite's default): a growing database
                // file makes every connection unmap and map it again, and
                // fault its pages back in one by one. Under a steady
                // stream of writes that cost more than the read() per page
                // it saves (the load generator measured 1.2-1.5x fewer
                // referral steps per second with a map).
                Ok(())
            })
        })
}

pub(crate) fn normalise_url(url: &str) -> Result<(Backend, String), StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_string()));
    }
    sqlite_url(url).map(|u| (Backend::Sqlite, u))
}

/// The file of a SQLite URL on disk (`sqlite://PATH?mode=rwc`).
pub(crate) fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && !path.starts_with(':')).then(|| path.into())
}

fn sqlite_url(url: &str) -> Result<String, StoreError> {
    if url == "sqlite::memory:" || url.starts_with("sqlite::memory:") {
        return Ok(url.to_string());
    }
    let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Err(StoreError::UnsupportedUrl(url.to_string()));
    };
    if path.is_empty() {
        return Err(StoreError::UnsupportedUrl(url.to_string()));
    }
    if path.contains("mode=") {
        Ok(format!("sqlite://{path}"))
    } else if path.contains('?') {
        Ok(format!("sqlite://{path}&mode=rwc"))
    } else {
        Ok(format!("sqlite://{path}?mode=rwc"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert_eq!(
            sqlite_url("sqlite://a.db").unwrap(),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url("sqlite:///tmp/x.db").unwrap(),
            "sqlite:///tmp/x.db?mode=rwc"
        );
        assert_eq!(
            normalise_url("postgres://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert!(normalise_url("mysql://x").is_err());
        assert_eq!(
            sqlite_path("sqlite:///tmp/x.db?mode=rwc"),
            Some("/tmp/x.db".into())
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert!(normalise_url("sqlite://").is_err());
    }
}
