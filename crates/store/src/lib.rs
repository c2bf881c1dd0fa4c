//! tiercare-store: persistence for tiercare.
//!
//! The store keeps the current version of every registry record, its
//! history, a small search index, and an append-only log of domain events.
//! A write changes the record, its index and its events in **one
//! transaction**, so the log and the state never disagree.
//!
//! The embedded default is SQLite in WAL mode with `synchronous=FULL`: once a
//! write has been acknowledged it is on disk and survives a crash or a power
//! cut. Concurrent writes share their commits (group commit), each still
//! atomic on its own. All SQL uses `$1` placeholders and types both SQLite
//! and PostgreSQL accept, through sqlx's runtime-selected `Any` driver; the
//! production store is PostgreSQL, with its own migration folder, where
//! several servers may share one database ([`Backend`] says how).
//!
//! It owns the database; it depends on `tiercare-core` only and must not
//! know FHIR, HTTP or the services: search terms arrive as
//! `(param, value)` pairs.

mod audit;
mod audit_chain;
mod backup;
mod batch_conn;
mod bulk;
pub mod commit_point;
mod counts;
mod db;
mod direct;
mod error;
mod exclusive;
mod history;
mod indicators;
mod point_reads;
mod records;
mod reindex;
mod rows;
pub mod scratch;
mod subscriptions;
mod users;
mod writer;

pub use audit::{AuditEntry, AuditOutcome, AuditQuery};
pub use audit_chain::{
    AnchorCheck, AuditAnchor, AuditBreak, AuditBreakKind, AuditVerification, GENESIS,
};
pub use backup::{copy_sqlite, database_kind, holds_data};
pub use db::{Backend, DEFAULT_REGION, Store};
pub use error::StoreError;
pub use exclusive::Exclusive;
pub use history::HistoryQuery;
pub use indicators::RowSet;
pub use records::{Expect, Filter, LAST_WRITE, Match, Query, Stored, StoredEvent, Write};
pub use reindex::Reindexed;
pub use subscriptions::{Subscription, SubscriptionSpec, SubscriptionStatus};
pub use users::{Account, NewUser, User, UserChange};
pub use writer::CommitStats;

/// The current time as RFC 3339 text in UTC with milliseconds, the form
/// every stored time has (and a valid FHIR `instant`).
pub fn now_text() -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default()
}
