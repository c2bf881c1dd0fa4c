use std::sync::Arc;
use thiserror::Error;

/// What can go wrong in the store. Conflicts are expected outcomes that the
/// API turns into 409/412; `Database` is an internal failure.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A record with this id already exists.
    #[error("{resource_type}/{id} already exists")]
    AlreadyExists { resource_type: String, id: String },
    /// The record does not exist.
    #[error("{resource_type}/{id} does not exist")]
    NotFound { resource_type: String, id: String },
    /// The caller's expected version is not the current one.
    #[error("{resource_type}/{id} is at version {current}, not {expected}")]
    VersionConflict {
        resource_type: String,
        id: String,
        expected: u32,
        current: u32,
    },
    /// A user of that name already exists.
    #[error("user {0} already exists")]
    UserExists(String),
    /// The database URL is not one the store supports.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl(String),
    /// A stored body could not be read back (a bug or a corrupted row).
    #[error("stored {0} could not be decoded: {1}")]
    Corrupt(String, String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The transaction this write shared with concurrent writes failed as a
    /// whole (its commit, or its bookkeeping): the write was not stored.
    /// Every write of the batch gets the same error, hence the `Arc`.
    #[error("the shared commit failed, nothing was stored: {0}")]
    BatchFailed(Arc<sqlx::Error>),
    /// An exclusive section's lock file could not be taken.
    #[error("cannot take the lock beside the database: {0}")]
    Lock(String),
    /// The store has been closed, or its writer has stopped.
    #[error("the store is closed")]
    Closed,
    /// A backup could not be written or restored (a file in the way, an
    /// input that is not a tiercare database, an engine without it).
    #[error("backup: {0}")]
    Backup(String),
    /// Counters handed over that the aggregates cannot take.
    #[error("indicator counters: {0}")]
    Counters(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
