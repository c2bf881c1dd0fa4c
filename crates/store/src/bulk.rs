//! A whole group-commit batch written with a handful of statements.
//!
//! Each statement costs a round trip to the database (a hand-off to
//! SQLite's thread, or a network round trip to PostgreSQL), and the writer
//! runs one batch at a time for everybody, so the statements per batch set
//! the platform's write throughput. Instead of each call checking and
//! writing its records one by one (about sixteen statements a referral
//! step), the batch is decided in memory and then written in bulk:
//!
//! 1. one read of the current version of every record the batch touches;
//! 2. the calls checked in arrival order against those versions, each
//!    seeing what the calls before it wrote (exactly as if each had
//!    committed alone); a call that fails a check (version conflict,
//!    existing id, record of another kind) gets its own error and leaves
//!    nothing behind;
//! 3. the surviving calls' records, history, search terms, events,
//!    indicator facts and audit entries written with one multi-row
//!    statement per table (chunked to stay under the engines' limits on
//!    bound values), or, on SQLite's writer connection where a statement
//!    costs no hand-off, one cached statement per row (`batch_conn.rs`). Of an updated record's search terms only those that
//!    changed are deleted and inserted: most stay as they were.
//!
//! A database error in step 3 fails the batch as a whole; the writer then
//! rolls it back and runs the calls one by one with savepoints (the
//! original path), so each still fails only for its own reasons.

use crate::audit::{AuditEntry, insert_audit};
use crate::batch_conn::{BatchConn, Val, insert_rows};
use crate::records::{Expect, Stored, Write, decode, encode};
use crate::rows::row_region;
use crate::writer::Work;
use crate::{StoreError, now_text};
use std::collections::HashMap;
use tiercare_core::Record;
use tiercare_core::events::Event;
use tiercare_core::indicators::Fact;

type Key = (String, String);

/// `(resource_type = $1 AND id = $2) OR …` for `n` keys: each branch an
/// index lookup on both engines.
fn any_key(n: usize) -> String {
    (0..n)
        .map(|i| format!("(resource_type = ${} AND id = ${})", 2 * i + 1, 2 * i + 2))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// The values of an [`any_key`] condition, in order.
fn key_args(keys: &[Key]) -> Vec<Val> {
    keys.iter()
        .flat_map(|(rt, id)| [Val::Text(rt.clone()), Val::Text(id.clone())])
        .collect()
}

/// A record as the batch has it so far: stored before, or written by an
/// earlier call of the batch.
#[derive(Clone)]
struct Current {
    version: u32,
    record: Record,
    /// The region its rows are stored in.
    region: String,
}

/// The last state a batch gives a record: what goes into `records` and
/// the search index.
struct Last {
    version: u32,
    updated_at: String,
    body: String,
    region: String,
    terms: Vec<(String, String)>,
}

/// What the surviving calls write, in call order.
#[derive(Default)]
struct Out {
    /// Last state of each record written.
    last: HashMap<Key, Last>,
    order: Vec<Key>,
    history: Vec<Vec<Val>>,
    events: Vec<Vec<Val>>,
    /// Facts and audit entries by the region of the calls that wrote
    /// them, in call order (one group unless stores of several regions
    /// share the writer).
    facts: Vec<(String, Vec<Fact>)>,
    audit: Vec<(String, Vec<AuditEntry>)>,
    /// Keys stored before the batch: they have search terms already.
    existed: std::collections::HashSet<Key>,
}

/// Reads the current version and body of every key, many per statement.
async fn read_current<C: BatchConn>(
    conn: &mut C,
    keys: &[Key],
) -> Result<HashMap<Key, Current>, StoreError> {
    let mut found = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(conn.rows_per_statement().max(1)) {
        let sql = format!(
            "SELECT resource_type, id, version, body, region FROM records WHERE {}",
            any_key(chunk.len())
        );
        for row in conn.fetch(&sql, key_args(chunk)).await? {
            let [rt, id, version, body, region]: [Val; 5] = row
                .try_into()
                .map_err(|r| StoreError::Corrupt("records".into(), format!("{r:?}")))?;
            let rt = rt.text("records.resource_type")?;
            let id = id.text("records.id")?;
            let record = decode(&rt, &body.text("records.body")?)?;
            found.insert(
                (rt, id),
                Current {
                    version: u32::try_from(version.int("records.version")?).unwrap_or(0),
                    record,
                    region: region.text("records.region")?,
                },
            );
        }
    }
    Ok(found)
}

/// Checks one write against the batch's view; the new version.
fn check(w: &Write, before: Option<&Current>) -> Result<u32, StoreError> {
    let rt = w.record.resource_type();
    let id = w.record.id().to_string();
    let version = match (w.expect, before) {
        (Expect::New, Some(_)) => {
            return Err(StoreError::AlreadyExists {
                resource_type: rt.into(),
                id,
            });
        }
        (Expect::Version(_), None) => {
            return Err(StoreError::NotFound {
                resource_type: rt.into(),
                id,
            });
        }
        (Expect::Version(expected), Some(c)) if c.version != expected => {
            return Err(StoreError::VersionConflict {
                resource_type: rt.into(),
                id,
                expected,
                current: c.version,
            });
        }
        (_, Some(c)) => c.version + 1,
        (_, None) => 1,
    };
    // A record of the other kind under the same id would change its
    // meaning: refuse.
    if let Some(c) = before
        && c.record.kind() != w.record.kind()
    {
        return Err(StoreError::AlreadyExists {
            resource_type: rt.into(),
            id,
        });
    }
    Ok(version)
}

/// Decides and writes a batch; one result per call, in order. An `Err`
/// return is a database error: nothing of the batch may be kept.
pub(crate) async fn write_batch<C: BatchConn>(
    conn: &mut C,
    work: &[Work],
) -> Result<Vec<Result<Vec<Stored>, StoreError>>, StoreError> {
    let mut keys: Vec<Key> = Vec::new();
    for call in work {
        for w in &call.writes {
            let key = (
                w.record.resource_type().to_string(),
                w.record.id().to_string(),
            );
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let mut state = read_current(conn, &keys).await?;
    let mut out = Out {
        existed: keys
            .iter()
            .filter(|k| state.contains_key(*k))
            .cloned()
            .collect(),
        ..Out::default()
    };
    let mut results = Vec::with_capacity(work.len());
    for call in work {
        match decide(&state, &call.writes) {
            Ok((stored, changes)) => {
                let now = stored
                    .first()
                    .map_or_else(now_text, |s| s.updated_at.clone());
                for (key, version, before, w) in changes {
                    let body = encode(&w.record)?;
                    let stored_in = state.get(&key).map(|c| c.region.as_str());
                    let region = row_region(stored_in, &w.record, &call.region);
                    let mut events = Event::for_change(before.as_ref(), &w.record, version);
                    events.extend(w.events.iter().cloned());
                    for e in &events {
                        out.events.push(vec![
                            Val::Text(region.clone()),
                            Val::Text(now.clone()),
                            Val::Text(e.kind()),
                            Val::Text(key.0.clone()),
                            Val::Text(key.1.clone()),
                            Val::Text(w.actor.clone()),
                            Val::Text(encode(e)?),
                        ]);
                    }
                    out.history.push(vec![
                        Val::Text(key.0.clone()),
                        Val::Text(key.1.clone()),
                        Val::Int(i64::from(version)),
                        Val::Text(now.clone()),
                        Val::Text(body.clone()),
                        Val::Text(region.clone()),
                    ]);
                    grouped(&mut out.facts, &call.region).extend(w.facts.iter().cloned());
                    if !out.last.contains_key(&key) {
                        out.order.push(key.clone());
                    }
                    state.insert(
                        key.clone(),
                        Current {
                            version,
                            record: w.record.clone(),
                            region: region.clone(),
                        },
                    );
                    out.last.insert(
                        key,
                        Last {
                            version,
                            updated_at: now.clone(),
                            body,
                            region,
                            terms: w.index.clone(),
                        },
                    );
                }
                grouped(&mut out.audit, &call.region).extend(call.audit.iter().cloned());
                results.push(Ok(stored));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    write_out(conn, out).await?;
    Ok(results)
}

/// The last group of `groups` if it is `region`'s, else a new one.
fn grouped<'a, T>(groups: &'a mut Vec<(String, Vec<T>)>, region: &str) -> &'a mut Vec<T> {
    if groups.last().is_none_or(|(r, _)| r != region) {
        groups.push((region.to_string(), Vec::new()));
    }
    let last = groups.len() - 1;
    &mut groups[last].1
}

/// One change a call makes: the key, the new version, the record before,
/// and the write.
type Change<'a> = (Key, u32, Option<Record>, &'a Write);

/// Checks a call's writes in order against `state` (and each other) and
/// says what it stores, or why it fails.
fn decide<'a>(
    state: &HashMap<Key, Current>,
    writes: &'a [Write],
) -> Result<(Vec<Stored>, Vec<Change<'a>>), StoreError> {
    let now = now_text();
    let mut mine: HashMap<Key, Current> = HashMap::new();
    let mut stored = Vec::with_capacity(writes.len());
    let mut changes = Vec::with_capacity(writes.len());
    for w in writes {
        let key = (
            w.record.resource_type().to_string(),
            w.record.id().to_string(),
        );
        let before = mine.get(&key).or_else(|| state.get(&key)).cloned();
        let version = check(w, before.as_ref())?;
        mine.insert(
            key.clone(),
            Current {
                version,
                record: w.record.clone(),
                // Not read: the region is decided when the change is kept.
                region: String::new(),
            },
        );
        stored.push(Stored {
            record: w.record.clone(),
            version,
            updated_at: now.clone(),
            created: before.is_none(),
        });
        changes.push((key, version, before.map(|c| c.record), w));
    }
    Ok((stored, changes))
}

/// Writes what the surviving calls store, one statement per table (per
/// chunk).
async fn write_out<C: BatchConn>(conn: &mut C, out: Out) -> Result<(), StoreError> {
    if !out.order.is_empty() {
        let mut records = Vec::with_capacity(out.order.len());
        let mut index = Vec::new();
        let mut stale = Vec::new();
        // An update changes few of a record's search terms: only those
        // that changed are deleted and inserted.
        let known: Vec<Key> = out
            .order
            .iter()
            .filter(|k| out.existed.contains(*k))
            .cloned()
            .collect();
        let mut old_terms = read_terms(conn, &known).await?;
        for key in &out.order {
            let Some(last) = out.last.get(key) else {
                continue;
            };
            records.push(vec![
                Val::Text(key.0.clone()),
                Val::Text(key.1.clone()),
                Val::Text(last.region.clone()),
                Val::Int(i64::from(last.version)),
                Val::Text(last.updated_at.clone()),
                Val::Text(last.body.clone()),
            ]);
            let mut had = old_terms.remove(key).unwrap_or_default();
            let mut now_held: std::collections::HashSet<&(String, String)> =
                std::collections::HashSet::with_capacity(last.terms.len());
            for term in &last.terms {
                // Kept (there before and now) or added.
                if now_held.insert(term) && !had.remove(term) {
                    index.push(vec![
                        Val::Text(key.0.clone()),
                        Val::Text(key.1.clone()),
                        Val::Text(term.0.clone()),
                        Val::Text(term.1.clone()),
                        Val::Text(last.region.clone()),
                    ]);
                }
            }
            stale.extend(had.into_iter().map(|(p, v)| (key.clone(), p, v)));
        }
        insert_rows(
            conn,
            "records",
            &[
                "resource_type",
                "id",
                "region",
                "version",
                "updated_at",
                "body",
            ],
            // A stored record's row keeps its region: the key matches it.
            " ON CONFLICT (resource_type, id, region) DO UPDATE SET \
             version = excluded.version, updated_at = excluded.updated_at, body = excluded.body",
            records,
        )
        .await?;
        insert_rows(
            conn,
            "record_history",
            &[
                "resource_type",
                "id",
                "version",
                "updated_at",
                "body",
                "region",
            ],
            "",
            out.history,
        )
        .await?;
        delete_terms(conn, &stale).await?;
        insert_rows(
            conn,
            "search_index",
            &["resource_type", "id", "param", "value", "region"],
            "",
            index,
        )
        .await?;
    }
    insert_rows(
        conn,
        "events",
        &[
            "region",
            "recorded_at",
            "kind",
            "resource_type",
            "resource_id",
            "actor",
            "payload",
        ],
        "",
        out.events,
    )
    .await?;
    for (region, facts) in &out.facts {
        crate::indicators::record_facts(conn, region, facts).await?;
    }
    for (region, audit) in &out.audit {
        insert_audit(conn, region, audit).await?;
    }
    Ok(())
}

/// The search terms stored for `keys`, as sets (read from the
/// `search_index_owner` index alone).
async fn read_terms<C: BatchConn>(
    conn: &mut C,
    keys: &[Key],
) -> Result<HashMap<Key, std::collections::HashSet<(String, String)>>, StoreError> {
    let mut found: HashMap<Key, std::collections::HashSet<(String, String)>> = HashMap::new();
    for chunk in keys.chunks(conn.rows_per_statement().max(1)) {
        let sql = format!(
            "SELECT resource_type, id, param, value FROM search_index WHERE {}",
            any_key(chunk.len())
        );
        for row in conn.fetch(&sql, key_args(chunk)).await? {
            let [rt, id, param, value]: [Val; 4] = row
                .try_into()
                .map_err(|r| StoreError::Corrupt("search_index".into(), format!("{r:?}")))?;
            found
                .entry((
                    rt.text("search_index.resource_type")?,
                    id.text("search_index.id")?,
                ))
                .or_default()
                .insert((
                    param.text("search_index.param")?,
                    value.text("search_index.value")?,
                ));
        }
    }
    Ok(found)
}

/// Removes search terms that no longer hold.
async fn delete_terms<C: BatchConn>(
    conn: &mut C,
    terms: &[(Key, String, String)],
) -> Result<(), StoreError> {
    for chunk in terms.chunks(conn.rows_per_statement().max(1)) {
        let mut sql = String::from("DELETE FROM search_index WHERE ");
        let mut args = Vec::with_capacity(4 * chunk.len());
        for (i, ((rt, id), param, value)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(" OR ");
            }
            let b = 4 * i;
            sql.push_str(&format!(
                "(resource_type = ${} AND id = ${} AND param = ${} AND value = ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4
            ));
            args.extend([
                Val::Text(rt.clone()),
                Val::Text(id.clone()),
                Val::Text(param.clone()),
                Val::Text(value.clone()),
            ]);
        }
        conn.execute(&sql, args).await?;
    }
    Ok(())
}
