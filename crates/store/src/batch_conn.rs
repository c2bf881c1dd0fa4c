//! The few things a group-commit batch asks of the database: run a
//! statement, read rows, and how many rows one statement should carry.
//!
//! The batch (`bulk.rs`), the indicator aggregates (`indicators.rs`) and
//! the audit trail (`audit.rs`) are written once against [`BatchConn`], and
//! run on two kinds of connection:
//! - sqlx's `Any` connection (PostgreSQL, and SQLite's call-by-call path):
//!   every statement is a round trip (a network one, or a hand-off to
//!   SQLite's connection thread and back), so statements carry many rows;
//! - the SQLite writer's own connection (`direct.rs`), called on the
//!   writer's thread: a statement costs no hand-off, and statements of one
//!   row each have a fixed shape that the statement cache keeps prepared.

use crate::StoreError;
use sqlx::{AnyConnection, AssertSqlSafe, Row, ValueRef};
use std::future::Future;

/// A bound value, or a value read back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Text(String),
    Int(i64),
    Null,
}

impl Val {
    /// Text, or `Corrupt` naming `what` (a column that must hold text).
    pub(crate) fn text(self, what: &str) -> Result<String, StoreError> {
        match self {
            Val::Text(s) => Ok(s),
            other => Err(StoreError::Corrupt(what.into(), format!("{other:?}"))),
        }
    }

    /// Text or NULL.
    pub(crate) fn opt_text(self, what: &str) -> Result<Option<String>, StoreError> {
        match self {
            Val::Null => Ok(None),
            other => other.text(what).map(Some),
        }
    }

    /// An integer, or `Corrupt` naming `what`.
    pub(crate) fn int(&self, what: &str) -> Result<i64, StoreError> {
        match self {
            Val::Int(n) => Ok(*n),
            other => Err(StoreError::Corrupt(what.into(), format!("{other:?}"))),
        }
    }
}

impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Val {
        v.map_or(Val::Null, Val::Text)
    }
}

/// A row read back: its columns in the order the statement names them.
pub(crate) type Values = Vec<Val>;

/// A connection a batch is written through, inside its transaction.
/// Statements use `$1`-style placeholders; `args[k]` binds `$k+1`.
pub(crate) trait BatchConn: Send {
    /// How many rows a multi-row statement should carry: many where each
    /// statement is a round trip, one where statements are cheap and a
    /// fixed shape keeps them prepared.
    fn rows_per_statement(&self) -> usize;

    /// Runs a statement that returns rows.
    fn fetch(
        &mut self,
        sql: &str,
        args: Vec<Val>,
    ) -> impl Future<Output = Result<Vec<Values>, StoreError>> + Send;

    /// Runs a statement for its effect.
    fn execute(
        &mut self,
        sql: &str,
        args: Vec<Val>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

fn any_query(
    sql: &str,
    args: Vec<Val>,
) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    let mut q = sqlx::query(AssertSqlSafe(sql.to_string()));
    for v in args {
        q = match v {
            Val::Text(s) => q.bind(s),
            Val::Int(n) => q.bind(n),
            Val::Null => q.bind(None::<String>),
        };
    }
    q
}

/// One column of an `Any` row as a [`Val`]: the store reads only text and
/// integers.
fn any_value(row: &sqlx::any::AnyRow, i: usize) -> Result<Val, StoreError> {
    if row.try_get_raw(i)?.is_null() {
        return Ok(Val::Null);
    }
    if let Ok(s) = row.try_get::<String, _>(i) {
        return Ok(Val::Text(s));
    }
    if let Ok(n) = row.try_get::<i64, _>(i) {
        return Ok(Val::Int(n));
    }
    Ok(Val::Int(i64::from(row.try_get::<i32, _>(i)?)))
}

impl BatchConn for AnyConnection {
    fn rows_per_statement(&self) -> usize {
        // Well under SQLite's 32,766 and PostgreSQL's 65,535 bound values
        // for the widest table (thirteen columns).
        256
    }

    async fn fetch(&mut self, sql: &str, args: Vec<Val>) -> Result<Vec<Values>, StoreError> {
        let rows = any_query(sql, args).fetch_all(&mut *self).await?;
        rows.iter()
            .map(|r| (0..r.len()).map(|i| any_value(r, i)).collect())
            .collect()
    }

    async fn execute(&mut self, sql: &str, args: Vec<Val>) -> Result<(), StoreError> {
        any_query(sql, args).execute(&mut *self).await?;
        Ok(())
    }
}

/// `INSERT INTO table (columns) VALUES (…), (…)` for `rows` rows, then
/// `tail`; placeholders numbered row after row.
pub(crate) fn insert_sql(table: &str, columns: &[&str], rows: usize, tail: &str) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    sql.push_str(&crate::rows::value_rows(rows, columns.len()));
    sql.push_str(tail);
    sql
}

/// Inserts `rows` of `columns.len()` values each into `table`, as many
/// rows per statement as the connection wants; `tail` follows the VALUES
/// list (an ON CONFLICT clause).
pub(crate) async fn insert_rows<C: BatchConn>(
    conn: &mut C,
    table: &str,
    columns: &[&str],
    tail: &str,
    rows: Vec<Vec<Val>>,
) -> Result<(), StoreError> {
    let per = conn.rows_per_statement().max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per).collect();
        let sql = insert_sql(table, columns, chunk.len(), tail);
        conn.execute(&sql, chunk.into_iter().flatten().collect())
            .await?;
    }
    Ok(())
}
