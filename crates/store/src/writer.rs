//! Group commit: one task owns the write side of the record store.
//!
//! With `synchronous=FULL` every commit waits for the disk, so one commit
//! per call caps writes at the disk's flush rate divided by the work around
//! it. Instead, [`Store::write_all`](crate::Store::write_all) and
//! [`Store::audit`](crate::Store::audit) hand their work to a single writer
//! task over a channel. The writer takes whatever calls are queued (never
//! waiting to fill a batch, so an idle store adds no latency), runs them in
//! one transaction (decided in memory and written in bulk, `bulk.rs`; after
//! a database error, again call by call, each inside its own savepoint),
//! commits once and only then answers every caller. Calls that arrive while
//! a commit is on the disk form the next batch, so the batch size grows
//! with the load.
//!
//! What each caller keeps:
//! - atomicity of its own call: a call that fails (a version conflict, an
//!   existing id, a database error in one of its statements) is rolled back
//!   to its savepoint, gets its own error, and does not affect the other
//!   calls of the batch;
//! - durability: nobody is answered `Ok` before the shared `COMMIT` has
//!   returned. If the commit (or the savepoint bookkeeping) fails, every
//!   call of the batch that had succeeded gets [`StoreError::BatchFailed`]:
//!   none of it was stored;
//! - serial order: calls run one after another in arrival order on one
//!   connection, so a later call sees the changes of an earlier one of the
//!   same batch, exactly as if each had committed on its own.
//!
//! A caller that stops waiting (its future is dropped) before its batch
//! starts is skipped; once the batch has started, its write may still be
//! committed, as a dropped commit could be before.
//!
//! On SQLite (on disk) the writer writes through a connection of its own,
//! called on its own thread without a hand-off per statement (`direct.rs`),
//! and a thread beside it checkpoints the WAL, so no commit copies pages
//! into the database file while every write waits.
//!
//! The writer takes the write pool's only connection per batch and gives it
//! back after the commit (on SQLite, after at most a few batches in a row
//! while more are queued), instead of holding it for good. The rarer writes
//! that still use the pool directly (user accounts and tokens) therefore
//! queue for the connection between two batches, and neither side ever
//! waits for the other while holding the connection: no deadlock. For an
//! in-memory database, where reads share that one connection, this also
//! lets reads through between batches.

use crate::StoreError;
use crate::audit::AuditEntry;
use crate::db::{Backend, begin_write};
use crate::direct::{Direct, sqlx_error};
use crate::records::{Stored, Write, write_records};
use sqlx::{AnyPool, Executor};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

/// Most calls committed together. Bounds the work lost to one failed
/// commit and how long the first call of a batch waits for the last.
const MAX_BATCH: usize = 64;

/// What a caller gets back.
type Reply = oneshot::Sender<Result<Vec<Stored>, StoreError>>;

/// One `write_all` call waiting for the writer.
pub(crate) struct Call {
    /// The region of the store that made the call.
    pub(crate) region: Arc<str>,
    pub(crate) writes: Vec<Write>,
    pub(crate) audit: Vec<AuditEntry>,
    pub(crate) reply: Reply,
}

/// What a call writes, in the region of the store that made it.
pub(crate) struct Work {
    pub(crate) region: Arc<str>,
    pub(crate) writes: Vec<Write>,
    pub(crate) audit: Vec<AuditEntry>,
}

enum Message {
    Call(Call),
    /// Finish what is queued, refuse what comes after, then stop.
    Close,
}

/// How much sharing group commit achieved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// `write_all`/`audit` calls handed to the writer.
    pub calls: u64,
    /// Transactions the writer committed (or tried to) for them.
    pub commits: u64,
}

#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    commits: AtomicU64,
}

/// The handle callers use to reach the writer task.
#[derive(Debug)]
pub(crate) struct Writer {
    // Unbounded: each caller waits for its answer, so the queue never holds
    // more than one call per concurrent caller; a bound would only add a
    // second place to wait.
    queue: mpsc::UnboundedSender<Message>,
    task: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer task on the current tokio runtime.
    /// `file` is the SQLite database's file, which the writer opens a
    /// connection of its own to (`direct.rs`); without one (PostgreSQL, an
    /// in-memory database) it writes through the pool.
    pub(crate) fn start(pool: AnyPool, backend: Backend, file: Option<PathBuf>) -> Writer {
        let (queue, inbox) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let task = match backend {
            Backend::Sqlite => on_own_thread(pool, backend, file, inbox, counters.clone()),
            Backend::Postgres => tokio::spawn(run(pool, backend, None, inbox, counters.clone())),
        };
        Writer {
            queue,
            task: Mutex::new(Some(task)),
            counters,
        }
    }

    /// Queues one call and waits until it is committed (or has failed).
    pub(crate) async fn submit(
        &self,
        region: Arc<str>,
        writes: Vec<Write>,
        audit: Vec<AuditEntry>,
    ) -> Result<Vec<Stored>, StoreError> {
        let (reply, answer) = oneshot::channel();
        crate::commit_point::mark();
        self.queue
            .send(Message::Call(Call {
                region,
                writes,
                audit,
                reply,
            }))
            .map_err(|_| StoreError::Closed)?;
        // Counted once queued, so a count of n means n calls are queued or
        // done (the tests rely on that).
        self.counters.calls.fetch_add(1, Ordering::Relaxed);
        // A dropped reply means the writer stopped without answering (it
        // panicked, or its runtime shut down): the outcome is unknown.
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Commits every call queued so far, then stops the writer; later calls
    /// fail with [`StoreError::Closed`]. Safe to call more than once.
    pub(crate) async fn close(&self) {
        // Fails only if the writer is already gone or closing.
        let _ = self.queue.send(Message::Close);
        // Held while waiting, so a second closer also waits for the drain.
        let mut task = self.task.lock().await;
        if let Some(handle) = task.take()
            && let Err(e) = handle.await
        {
            tracing::error!(error = %e, "the store writer stopped abnormally");
        }
    }

    pub(crate) fn stats(&self) -> CommitStats {
        CommitStats {
            calls: self.counters.calls.load(Ordering::Relaxed),
            commits: self.counters.commits.load(Ordering::Relaxed),
        }
    }
}

/// Runs the SQLite writer on a thread of its own (a single-threaded
/// runtime), and returns a handle that ends when it does.
///
/// Every statement of a batch is a hand-off to SQLite's connection thread
/// and back; on the server's shared runtime each of those wake-ups waits
/// behind whatever requests the workers are busy with, and the batch, which
/// everybody's writes wait for, takes several times its database time. On
/// its own thread the writer is woken at once.
fn on_own_thread(
    pool: AnyPool,
    backend: Backend,
    file: Option<PathBuf>,
    inbox: mpsc::UnboundedReceiver<Message>,
    counters: Arc<Counters>,
) -> JoinHandle<()> {
    let (done, finished) = oneshot::channel::<()>();
    let started = std::thread::Builder::new()
        .name("tiercare-writer".into())
        .spawn(move || {
            // Opened here: the connection is used on this thread only.
            let direct = file.and_then(|f| match Direct::open(&f) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::warn!(error = %e, "the store writer writes through the pool");
                    None
                }
            });
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(run(pool, backend, direct, inbox, counters)),
                Err(e) => tracing::error!(error = %e, "cannot start the store writer's runtime"),
            }
            let _ = done.send(());
        });
    if let Err(e) = started {
        tracing::error!(error = %e, "cannot start the store writer's thread");
    }
    tokio::spawn(async move {
        // Err: the thread ended without a word (it could not start).
        let _ = finished.await;
    })
}

/// The writer task: take what is queued, commit it as one batch, repeat.
async fn run(
    pool: AnyPool,
    backend: Backend,
    mut direct: Option<Direct>,
    mut inbox: mpsc::UnboundedReceiver<Message>,
    counters: Arc<Counters>,
) {
    let mut messages = Vec::with_capacity(MAX_BATCH);
    // `recv_many` waits for the first message only, then takes whatever
    // else is already there: no waiting to fill a batch. It returns 0 once
    // the channel is closed and drained, or every `Store` is dropped.
    while inbox.recv_many(&mut messages, MAX_BATCH).await > 0 {
        let mut calls = Vec::with_capacity(messages.len());
        for message in messages.drain(..) {
            match message {
                // A caller that has given up (its future was dropped) before
                // its transaction began gets what it would have got before
                // group commit: nothing written.
                Message::Call(call) if call.reply.is_closed() => {}
                Message::Call(call) => calls.push(call),
                // Messages already queued are still received after this.
                Message::Close => inbox.close(),
            }
        }
        if !calls.is_empty() {
            counters.commits.fetch_add(1, Ordering::Relaxed);
            commit_batch_on(&pool, backend, direct.as_mut(), calls).await;
        }
        if let Some(d) = direct.as_mut() {
            d.end_turn(!inbox.is_empty());
        }
    }
}

/// Runs `calls` in one transaction and answers each of them.
/// As the writer does it: on a connection of its own to the store's file,
/// if it has one.
#[cfg(test)]
pub(crate) async fn commit_batch(store: &crate::Store, calls: Vec<Call>) {
    let mut direct = match (store.backend, store.path.as_deref()) {
        (Backend::Sqlite, Some(file)) => Some(Direct::open(file).unwrap()),
        _ => None,
    };
    commit_batch_on(&store.write, store.backend, direct.as_mut(), calls).await;
}

/// Runs `calls` in one transaction, written in bulk on `direct` if given,
/// and answers each of them.
async fn commit_batch_on(
    pool: &AnyPool,
    backend: Backend,
    direct: Option<&mut Direct>,
    calls: Vec<Call>,
) {
    let (work, replies): (Vec<_>, Vec<_>) = calls
        .into_iter()
        .map(|c| {
            (
                Work {
                    region: c.region,
                    writes: c.writes,
                    audit: c.audit,
                },
                c.reply,
            )
        })
        .unzip();
    let mut results = Vec::with_capacity(work.len());
    let failed = run_batch(pool, backend, direct, work, &mut results)
        .await
        .err()
        .map(Arc::new);
    let mut results = results.into_iter();
    for reply in replies {
        let result = match (results.next(), &failed) {
            // A call's own failure stands whatever happened to the batch:
            // nothing of it was stored either way.
            (Some(Err(own)), _) => Err(own),
            (Some(Ok(stored)), None) => Ok(stored),
            (_, Some(e)) => Err(StoreError::BatchFailed(e.clone())),
            // Every call has a result unless the batch failed.
            (None, None) => Err(StoreError::Closed),
        };
        // The caller may have gone meanwhile; nobody is left to tell.
        let _ = reply.send(result);
    }
}

/// The transaction of one batch. Pushes each call's result onto `results`
/// in order; an `Err` return means the batch as a whole failed and nothing
/// was committed (calls without a result never ran).
async fn run_batch(
    pool: &AnyPool,
    backend: Backend,
    direct: Option<&mut Direct>,
    work: Vec<Work>,
    results: &mut Vec<Result<Vec<Stored>, StoreError>>,
) -> Result<(), sqlx::Error> {
    // First the whole batch in bulk (bulk.rs): a few statements for all
    // its calls. Only a database error sends it down the slower path
    // below, call by call, so each still fails for its own reasons alone.
    match direct {
        Some(direct) => {
            // The pool's connection is held while the writer's own writes:
            // the pool's writes wait for the batch as they always have.
            direct.take_turn(pool).await?;
            direct.batch("BEGIN IMMEDIATE").map_err(sqlx_error)?;
            match crate::bulk::write_batch(direct, &work).await {
                Ok(done) => {
                    results.extend(done);
                    let committed = direct.batch("COMMIT");
                    match committed {
                        Ok(()) => direct.committed(),
                        // A failed COMMIT may leave the transaction open.
                        Err(_) if direct.in_transaction() => {
                            let _ = direct.batch("ROLLBACK");
                        }
                        Err(_) => {}
                    }
                    return committed.map_err(sqlx_error);
                }
                Err(e) => {
                    tracing::warn!(error = %e, calls = work.len(), "a batch failed in bulk; writing its calls one by one");
                    direct.batch("ROLLBACK").map_err(sqlx_error)?;
                }
            }
            // The path below writes through the pool.
            direct.end_turn(false);
        }
        None => {
            let mut tx = begin_write(pool, backend).await?;
            match crate::bulk::write_batch(&mut *tx, &work).await {
                Ok(done) => {
                    results.extend(done);
                    return tx.commit().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, calls = work.len(), "a batch failed in bulk; writing its calls one by one");
                    tx.rollback().await?;
                }
            }
        }
    }
    let mut tx = begin_write(pool, backend).await?;
    // A call alone needs no savepoint: its transaction is its own.
    if work.len() == 1 {
        for w in work {
            let result = write_records(&mut tx, &w.region, w.writes, &w.audit).await;
            let ok = result.is_ok();
            results.push(result);
            if !ok {
                tx.rollback().await?;
                return Ok(());
            }
        }
        return tx.commit().await;
    }
    for w in work {
        // Each call gets its own savepoint, all under one name: SQLite (and
        // PostgreSQL) roll back to the most recent one of that name. They
        // are not released one by one, which would cost a round trip per
        // call; the commit releases them all.
        tx.execute("SAVEPOINT tiercare_call").await?;
        let result = write_records(&mut tx, &w.region, w.writes, &w.audit).await;
        let failed = result.is_err();
        // Pushed first: a call that failed keeps its own error even if
        // undoing it fails the batch.
        results.push(result);
        if failed {
            tx.execute("ROLLBACK TO SAVEPOINT tiercare_call").await?;
        }
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::tests::{resident, store, write};
    use crate::{AuditOutcome, AuditQuery, Expect, Store};

    fn audit(patient: &str, detail: &str) -> AuditEntry {
        AuditEntry {
            seq: 0,
            recorded_at: String::new(),
            username: "test".into(),
            role: "doctor".into(),
            action: "update".into(),
            resource_type: "Patient".into(),
            resource_id: Some(patient.into()),
            patient: Some(patient.into()),
            outcome: AuditOutcome::Success,
            detail: detail.into(),
        }
    }

    async fn audited(s: &Store, patient: &str) -> u64 {
        let q = AuditQuery {
            patient: Some(patient.into()),
            count: 100,
            ..AuditQuery::default()
        };
        s.audit_search(&q).await.unwrap().1
    }

    async fn events_of(s: &Store, id: &str) -> usize {
        let all = s.events_after(0, 10_000).await.unwrap();
        all.iter().filter(|e| e.resource_id == id).count()
    }

    /// Takes the write pool's only connection, so the writer cannot start
    /// a batch until it is dropped: calls made meanwhile queue up and then
    /// commit together (the writer may already have taken the first of them
    /// on its own, hence at most two commits).
    async fn hold_writes(s: &Store) -> sqlx::pool::PoolConnection<sqlx::Any> {
        s.write.acquire().await.unwrap()
    }

    /// Yields (no timed sleep) until `n` calls have reached the writer's
    /// queue.
    async fn wait_until_queued(s: &Store, n: u64) {
        while s.commit_stats().calls < n {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn concurrent_writers_share_commits_and_all_land() {
        let (s, _dir) = store().await;
        let held = hold_writes(&s).await;
        let mut tasks = Vec::new();
        for i in 0..50 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("r{i}");
                s.write(
                    write(resident(&id, "Wang", None), Expect::New),
                    Some(audit(&id, "created")),
                )
                .await
            }));
        }
        wait_until_queued(&s, 50).await;
        drop(held);
        for t in tasks {
            let stored = t.await.unwrap().unwrap();
            assert_eq!((stored.version, stored.created), (1, true));
            let now = s.get("Patient", stored.record.id()).await.unwrap().unwrap();
            assert_eq!(now.updated_at, stored.updated_at);
        }
        assert_eq!(s.count("Patient").await.unwrap(), 50);
        assert_eq!(s.events_after(0, 1000).await.unwrap().len(), 50);
        for i in 0..50 {
            assert_eq!(audited(&s, &format!("r{i}")).await, 1);
        }
        let stats = s.commit_stats();
        assert_eq!(stats.calls, 50);
        assert!(stats.commits <= 2, "{stats:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_writers_on_many_threads_all_land() {
        let (s, _dir) = store().await;
        let mut tasks = Vec::new();
        for i in 0..200 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("m{i}");
                let v1 = s
                    .write(write(resident(&id, "Li", None), Expect::New), None)
                    .await?;
                s.write(
                    write(resident(&id, "Zhao", None), Expect::Version(v1.version)),
                    None,
                )
                .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().version, 2);
        }
        assert_eq!(s.count("Patient").await.unwrap(), 200);
        let stats = s.commit_stats();
        assert_eq!(stats.calls, 400);
        assert!(stats.commits <= 400);
    }

    #[tokio::test]
    async fn a_failing_call_leaves_the_rest_of_its_batch_alone() {
        let (s, _dir) = store().await;
        s.write(write(resident("r0", "Wang", None), Expect::New), None)
            .await
            .unwrap();
        let mut answers = Vec::new();
        let mut calls = Vec::new();
        let mut call = |writes: Vec<Write>, audit: Vec<AuditEntry>| {
            let (reply, answer) = oneshot::channel();
            calls.push(Call {
                region: s.region.clone(),
                writes,
                audit,
                reply,
            });
            answers.push(answer);
        };
        call(
            vec![write(resident("r1", "Li", None), Expect::New)],
            vec![audit("r1", "first")],
        );
        // Two records, the second one stale: neither may land, nor the
        // events or the audit entry.
        call(
            vec![
                write(resident("r2", "Zhou", Some("t1")), Expect::New),
                write(resident("r0", "Sun", None), Expect::Version(5)),
            ],
            vec![audit("r2", "lost")],
        );
        call(
            vec![write(resident("r0", "Zhang", None), Expect::Version(1))],
            vec![audit("r0", "third")],
        );
        // Sees the first call of the same batch.
        call(vec![write(resident("r1", "Ma", None), Expect::New)], vec![]);
        commit_batch(&s, calls).await;
        let mut results = Vec::new();
        for a in answers {
            results.push(a.await.unwrap());
        }
        let first = results[0].as_ref().unwrap();
        assert_eq!((first[0].version, first[0].created), (1, true));
        assert!(matches!(
            results[1],
            Err(StoreError::VersionConflict {
                expected: 5,
                current: 1,
                ..
            })
        ));
        let third = results[2].as_ref().unwrap();
        assert_eq!((third[0].version, third[0].created), (2, false));
        assert!(matches!(results[3], Err(StoreError::AlreadyExists { .. })));

        assert!(s.get("Patient", "r2").await.unwrap().is_none());
        assert_eq!(events_of(&s, "r2").await, 0);
        assert_eq!(audited(&s, "r2").await, 0);
        let r1 = s.get("Patient", "r1").await.unwrap().unwrap();
        assert_eq!(r1.record, resident("r1", "Li", None));
        assert_eq!(r1.updated_at, first[0].updated_at);
        assert_eq!(audited(&s, "r1").await, 1);
        let r0 = s.get("Patient", "r0").await.unwrap().unwrap();
        assert_eq!((r0.version, r0.record), (2, resident("r0", "Zhang", None)));
        assert_eq!(audited(&s, "r0").await, 1);
        assert_eq!(events_of(&s, "r1").await, 1);
    }

    #[tokio::test]
    async fn a_database_error_in_a_bulk_batch_fails_only_its_own_call() {
        let (s, _dir) = store().await;
        // A stray history row the bulk insert runs into: the database, not
        // a check, refuses the call that creates r9.
        sqlx::query(
            "INSERT INTO record_history (resource_type, id, version, updated_at, body, region) \
             VALUES ('Patient', 'r9', 1, 'x', '{}', $1)",
        )
        .bind(s.region().to_string())
        .execute(&s.write)
        .await
        .unwrap();
        let mut answers = Vec::new();
        let mut calls = Vec::new();
        for (id, audit_of) in [("r1", "a"), ("r9", "b"), ("r2", "c")] {
            let (reply, answer) = oneshot::channel();
            calls.push(Call {
                region: s.region.clone(),
                writes: vec![write(resident(id, "Li", None), Expect::New)],
                audit: vec![audit(id, audit_of)],
                reply,
            });
            answers.push(answer);
        }
        commit_batch(&s, calls).await;
        let mut results = Vec::new();
        for a in answers {
            results.push(a.await.unwrap());
        }
        assert!(results[0].is_ok(), "{:?}", results[0]);
        assert!(
            matches!(results[1], Err(StoreError::Database(_))),
            "{:?}",
            results[1]
        );
        assert!(results[2].is_ok(), "{:?}", results[2]);
        for (id, landed) in [("r1", true), ("r9", false), ("r2", true)] {
            assert_eq!(
                s.get("Patient", id).await.unwrap().is_some(),
                landed,
                "{id}"
            );
            assert_eq!(audited(&s, id).await, u64::from(landed), "{id}");
            assert_eq!(events_of(&s, id).await, usize::from(landed), "{id}");
        }
    }

    #[tokio::test]
    async fn concurrent_creates_of_one_id_give_one_success() {
        let (s, _dir) = store().await;
        let held = hold_writes(&s).await;
        let mut tasks = Vec::new();
        for i in 0..20 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.write(
                    write(resident("r1", &format!("N{i}"), Some("t1")), Expect::New),
                    Some(audit("r1", "create")),
                )
                .await
            }));
        }
        wait_until_queued(&s, 20).await;
        drop(held);
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(stored) => {
                    ok += 1;
                    assert_eq!((stored.version, stored.created), (1, true));
                }
                Err(StoreError::AlreadyExists { .. }) => {}
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(ok, 1);
        assert_eq!(s.get("Patient", "r1").await.unwrap().unwrap().version, 1);
        assert!(s.get_version("Patient", "r1", 2).await.unwrap().is_none());
        // Registered and contract signed, once.
        assert_eq!(events_of(&s, "r1").await, 2);
        assert_eq!(audited(&s, "r1").await, 1);
    }

    #[tokio::test]
    async fn audit_entries_keep_their_order_across_statements() {
        let (s, _dir) = store().await;
        // Over several statements (one a row on SQLite's writer connection).
        let entries: Vec<_> = (0..70).map(|i| audit("r1", &format!("e{i}"))).collect();
        s.audit(&entries).await.unwrap();
        let q = AuditQuery {
            patient: Some("r1".into()),
            count: 100,
            ..AuditQuery::default()
        };
        let (found, total) = s.audit_search(&q).await.unwrap();
        assert_eq!(total, 70);
        let details: Vec<_> = found.iter().rev().map(|e| e.detail.clone()).collect();
        let expected: Vec<_> = (0..70).map(|i| format!("e{i}")).collect();
        assert_eq!(details, expected);
    }

    #[tokio::test]
    async fn close_commits_what_is_queued_then_refuses() {
        let (s, _dir, url) = crate::records::tests::store_and_url().await;
        let held = hold_writes(&s).await;
        let mut tasks = Vec::new();
        for i in 0..10 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.write(
                    write(resident(&format!("c{i}"), "Wu", None), Expect::New),
                    None,
                )
                .await
            }));
        }
        wait_until_queued(&s, 10).await;
        drop(held);
        s.close().await;
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let late = s
            .write(write(resident("late", "Wu", None), Expect::New), None)
            .await;
        assert!(matches!(late, Err(StoreError::Closed)));
        s.close().await;
        let reopened = Store::open(&url).await.unwrap();
        assert_eq!(reopened.count("Patient").await.unwrap(), 10);
    }
}
