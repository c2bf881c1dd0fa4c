//! The SQLite writer's own connection, called on the writer's thread.
//!
//! Through sqlx every statement is handed to the connection's thread and
//! its answer handed back: two thread wake-ups per statement, each waiting
//! for a core when the server's request workers keep both busy. A batch is
//! some fifteen statements, written by the one writer that every write
//! waits for, so those wake-ups set the platform's write throughput. This
//! connection runs each statement where the writer is, synchronously, from
//! a cache of prepared statements.
//!
//! It is a second connection to the same file, opened with the same
//! pragmas as the pool's (WAL, `synchronous=FULL`: a commit is on the disk
//! before anybody is answered). The writer still holds the write pool's
//! connection while it writes, so the pool's own writes (user accounts)
//! and the writer's take turns exactly as before, and every transaction
//! still begins `IMMEDIATE`, so other servers' writers wait their turn.

use crate::StoreError;
use crate::batch_conn::{BatchConn, Val, Values};
use rusqlite::types::ValueRef;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

/// Statements kept prepared: every shape the writer uses, with room.
const CACHED_STATEMENTS: usize = 128;

/// WAL pages past which the writer checkpoints itself, should the
/// checkpointer fall behind (SQLite's default is 1,000, on every commit's
/// path).
const WAL_BACKSTOP_PAGES: u32 = 20_000;

/// Least time between two background checkpoints: each copies what the
/// commits since the last one wrote and syncs the database file once.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Batches the writer may commit in a row before it lets the pool's own
/// writes have their turn.
const TURNS_IN_A_ROW: u32 = 8;

/// The writer's connection.
pub(crate) struct Direct {
    conn: rusqlite::Connection,
    /// The write pool's connection, held while the writer writes (see
    /// [`Direct::take_turn`]).
    turn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
    /// Batches committed since the turn was taken.
    turns: u32,
    /// Tells the checkpointer that commits have added to the WAL.
    checkpoints: Option<std::sync::mpsc::SyncSender<()>>,
}

/// A SQLite error as the store reports database errors.
pub(crate) fn sqlx_error(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::AnyDriverError(Box::new(e))
}

pub(crate) fn store_error(e: rusqlite::Error) -> StoreError {
    StoreError::Database(sqlx_error(e))
}

impl Direct {
    /// Opens the database file the pool has already created and migrated,
    /// and starts its checkpointer.
    pub(crate) fn open(path: &Path) -> Result<Direct, StoreError> {
        let conn = connect(path)?;
        // SQLite checkpoints after a commit once the WAL passes 1,000
        // pages, in the committing connection: the writer would copy pages
        // into the database file and sync it while every write waits.
        // A thread of its own does it instead (a checkpoint only copies
        // what is already durable in the WAL, and runs beside writers).
        conn.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = {WAL_BACKSTOP_PAGES};"
        ))
        .map_err(store_error)?;
        let checkpointer = connect(path)?;
        let (checkpoints, commits) = std::sync::mpsc::sync_channel(1);
        let started = std::thread::Builder::new()
            .name("tiercare-checkpoint".into())
            .spawn(move || checkpoint_after(&checkpointer, &commits));
        if let Err(e) = &started {
            tracing::warn!(error = %e, "no checkpointer: the writer checkpoints");
            conn.execute_batch("PRAGMA wal_autocheckpoint = 1000;")
                .map_err(store_error)?;
        }
        Ok(Direct {
            conn,
            turn: None,
            turns: 0,
            checkpoints: started.ok().map(|_| checkpoints),
        })
    }

    /// Takes the write pool's connection, unless already held: the pool's
    /// own writes (user accounts, subscriptions) then wait for the batch,
    /// as they would for any write, and never race the writer for
    /// SQLite's lock.
    pub(crate) async fn take_turn(&mut self, pool: &sqlx::AnyPool) -> Result<(), sqlx::Error> {
        if self.turn.is_none() {
            self.turn = Some(pool.acquire().await?);
            self.turns = 0;
        }
        self.turns += 1;
        Ok(())
    }

    /// Gives the pool's connection back, unless more batches wait and the
    /// writer has not had too many turns in a row: each return costs a
    /// round trip to the pool connection's thread (sqlx checks it).
    pub(crate) fn end_turn(&mut self, more_waiting: bool) {
        if !more_waiting || self.turns >= TURNS_IN_A_ROW {
            self.turn = None;
        }
    }

    /// After a commit: the checkpointer may have work.
    pub(crate) fn committed(&self) {
        if let Some(c) = &self.checkpoints {
            // Full: a checkpoint is already due.
            let _ = c.try_send(());
        }
    }
}

/// A connection to the store's file with the pool's pragmas.
pub(crate) fn connect(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(store_error)?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(store_error)?;
    // The same as the pool's connections (db.rs says why).
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = FULL; \
             PRAGMA foreign_keys = ON; \
             PRAGMA temp_store = MEMORY;",
    )
    .map_err(store_error)?;
    conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
    Ok(conn)
}

/// Checkpoints (passively: never waiting for readers or the writer) after
/// commits, at most every [`CHECKPOINT_EVERY`]; ends with the writer.
fn checkpoint_after(conn: &rusqlite::Connection, commits: &std::sync::mpsc::Receiver<()>) {
    while commits.recv().is_ok() {
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        if let Err(e) = done {
            tracing::debug!(error = %e, "a background checkpoint failed; the next one retries");
        }
        std::thread::sleep(CHECKPOINT_EVERY);
    }
}

impl Direct {
    /// Runs statements without arguments (BEGIN, COMMIT, ROLLBACK).
    pub(crate) fn batch(&self, sql: &str) -> Result<(), rusqlite::Error> {
        self.conn.execute_batch(sql)
    }

    /// Whether a transaction is open (a failed COMMIT may leave one).
    pub(crate) fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// A cached statement with `args` bound: `$k` (or `?k`) takes
    /// `args[k-1]`, whatever order the placeholders appear in.
    fn prepared(
        &self,
        sql: &str,
        args: Vec<Val>,
    ) -> Result<rusqlite::CachedStatement<'_>, rusqlite::Error> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut args: Vec<Option<Val>> = args.into_iter().map(Some).collect();
        for i in 1..=stmt.parameter_count() {
            let at = stmt
                .parameter_name(i)
                .and_then(|n| n.get(1..))
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(i);
            let value = args
                .get_mut(at - 1)
                .and_then(Option::take)
                .ok_or(rusqlite::Error::InvalidParameterCount(at, args.len()))?;
            match value {
                Val::Text(s) => stmt.raw_bind_parameter(i, s)?,
                Val::Int(n) => stmt.raw_bind_parameter(i, n)?,
                Val::Null => stmt.raw_bind_parameter(i, rusqlite::types::Null)?,
            }
        }
        Ok(stmt)
    }

    fn fetch_now(&self, sql: &str, args: Vec<Val>) -> Result<Vec<Values>, rusqlite::Error> {
        let mut stmt = self.prepared(sql, args)?;
        let width = stmt.column_count();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(n) => Val::Int(n),
                    ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                    other => {
                        return Err(rusqlite::Error::InvalidColumnType(
                            i,
                            "a stored value".into(),
                            other.data_type(),
                        ));
                    }
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl BatchConn for Direct {
    fn rows_per_statement(&self) -> usize {
        1
    }

    fn fetch(
        &mut self,
        sql: &str,
        args: Vec<Val>,
    ) -> impl Future<Output = Result<Vec<Values>, StoreError>> + Send {
        std::future::ready(self.fetch_now(sql, args).map_err(store_error))
    }

    fn execute(
        &mut self,
        sql: &str,
        args: Vec<Val>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let done = self
            .prepared(sql, args)
            .and_then(|mut stmt| stmt.raw_execute())
            .map(|_| ())
            .map_err(store_error);
        std::future::ready(done)
    }
}
