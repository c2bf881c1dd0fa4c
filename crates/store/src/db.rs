//! Opening the database: connection pools, pragmas and migrations.

use crate::StoreError;
use crate::writer::{CommitStats, Writer};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::sync::Arc;
use std::time::Duration;

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
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its
    /// schema up to date. `url` is `sqlite://PATH`, or `sqlite::memory:` for
    /// a throw-away database. Must run inside a tokio runtime: it starts
    /// the writer task there.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let url = normalise_url(url)?;
        let memory = url.contains(":memory:");
        let write = options(1).connect(&url).await?;
        MIGRATOR.run(&write).await?;
        // An in-memory database exists once per connection: share the writer.
        let read = if memory {
            write.clone()
        } else {
            options(4).connect(&url).await?
        };
        let writer = Arc::new(Writer::start(write.clone()));
        Ok(Store {
            read,
            write,
            writer,
        })
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

fn options(max: u32) -> AnyPoolOptions {
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
                Ok(())
            })
        })
}

fn normalise_url(url: &str) -> Result<String, StoreError> {
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
            normalise_url("sqlite://a.db").unwrap(),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            normalise_url("sqlite:///tmp/x.db").unwrap(),
            "sqlite:///tmp/x.db?mode=rwc"
        );
        assert!(normalise_url("postgres://x").is_err());
        assert!(normalise_url("sqlite://").is_err());
    }
}
