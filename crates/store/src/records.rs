//! Versioned registry records, their search index and their events.

use crate::audit::{AuditEntry, insert_audit};
use crate::rows::{insert_events, insert_index, row_region};
use crate::{Store, StoreError, now_text};
// Dynamic SQL here is assembled from fixed fragments and numbered
// placeholders only; every value is bound, never spliced in.
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tiercare_core::Record;
use tiercare_core::events::Event;
use tiercare_core::indicators::Fact;

/// What the writer expects of the record's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The record must not exist yet (create).
    New,
    /// The record must exist at exactly this version (update with
    /// `If-Match`).
    Version(u32),
    /// Create or replace, whatever is there (update without `If-Match`).
    Any,
}

/// One record to write, with the search terms it is found by.
#[derive(Debug, Clone)]
pub struct Write {
    pub record: Record,
    pub expect: Expect,
    /// `(parameter, value)` pairs; values should already be normalised
    /// (lower-cased for text) by the caller, who owns the search semantics.
    pub index: Vec<(String, String)>,
    /// Who made the change, for the event log.
    pub actor: String,
    /// Domain events of the change (a referral accepted, a slot booked),
    /// stored in the same transaction. Registry records also log their
    /// registered or revised event by themselves.
    pub events: Vec<Event>,
    /// What the change means for the oversight indicators, added to the
    /// daily aggregates in the same transaction.
    pub facts: Vec<Fact>,
}

/// A record as stored, with its version metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub record: Record,
    pub version: u32,
    /// RFC 3339 UTC time of the last change.
    pub updated_at: String,
    /// Whether the write created the record (false for reads and updates).
    pub created: bool,
}

/// How a search value is compared with indexed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Exact,
    /// The indexed value starts with the search value.
    Prefix,
    /// The indexed value sorts before the search value (dates as
    /// `YYYY-MM-DD` text sort in time order).
    Below,
    /// The indexed value sorts before or equal to the search value.
    AtMost,
    /// The indexed value sorts after the search value.
    Above,
    /// The indexed value sorts after or equal to the search value.
    AtLeast,
    /// Not a condition: the results are ordered by the parameter's
    /// smallest indexed value (or by [`LAST_WRITE`]), earliest first.
    /// Sort keys apply in the order the filters list them.
    Ascending,
    /// As [`Match::Ascending`], latest first.
    Descending,
}

/// The pseudo-parameter naming a record's last write time (its
/// `updated_at`, RFC 3339 UTC): it can be compared with the range matches
/// and sorted on like any indexed parameter, so a face can offer "changed
/// since" and "latest first" without a search term per write.
pub const LAST_WRITE: &str = "_last_write";

/// One search parameter: the record matches if any of `values` matches.
#[derive(Debug, Clone)]
pub struct Filter {
    pub param: String,
    pub values: Vec<String>,
    pub matching: Match,
}

/// A search over one resource type: every filter must match (AND), results
/// ordered by id and paged.
#[derive(Debug, Clone)]
pub struct Query {
    pub resource_type: String,
    pub filters: Vec<Filter>,
    pub count: u32,
    pub offset: u32,
}

/// A stored domain event.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub kind: String,
    pub resource_type: String,
    pub resource_id: String,
    pub event: Event,
}

pub(crate) fn decode(resource_type: &str, body: &str) -> Result<Record, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(resource_type.into(), e.to_string()))
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt("record".into(), e.to_string()))
}

/// The SQL comparison of a range match (`=` for the others).
fn comparison(m: Match) -> &'static str {
    match m {
        Match::Below => "<",
        Match::AtMost => "<=",
        Match::Above => ">",
        Match::AtLeast => ">=",
        _ => "=",
    }
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Store {
    /// Reads the current version of a record.
    pub async fn get(&self, resource_type: &str, id: &str) -> Result<Option<Stored>, StoreError> {
        if let Some(reads) = &self.point_reads {
            return reads
                .record(resource_type, id)?
                .map(|(version, updated_at, body)| {
                    stored_from(resource_type, version, updated_at, &body)
                })
                .transpose();
        }
        let row = sqlx::query(
            "SELECT version, updated_at, body FROM records WHERE resource_type = $1 AND id = $2",
        )
        .bind(resource_type)
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| stored_from_row(resource_type, &r)).transpose()
    }

    /// Reads one past (or the current) version of a record.
    pub async fn get_version(
        &self,
        resource_type: &str,
        id: &str,
        version: u32,
    ) -> Result<Option<Stored>, StoreError> {
        let row = sqlx::query(
            "SELECT version, updated_at, body FROM record_history \
             WHERE resource_type = $1 AND id = $2 AND version = $3",
        )
        .bind(resource_type)
        .bind(id)
        .bind(i64::from(version))
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| stored_from_row(resource_type, &r)).transpose()
    }

    /// Writes one record with its index and events in one transaction.
    pub async fn write(
        &self,
        write: Write,
        audit: Option<AuditEntry>,
    ) -> Result<Stored, StoreError> {
        let mut out = self
            .write_all(vec![write], audit.into_iter().collect())
            .await?;
        out.pop()
            .ok_or_else(|| StoreError::Corrupt("write".into(), "no result".into()))
    }

    /// Writes several records in one transaction: all of them or none. Used
    /// for FHIR transaction bundles and the demo load. Audit entries for
    /// patient data are written in the same transaction.
    ///
    /// The call goes through the group-commit writer (see `writer.rs`): it
    /// may share its commit with concurrent calls, but stays atomic on its
    /// own, fails only for its own reasons (or if the shared commit fails),
    /// and returns once it is durably committed.
    pub async fn write_all(
        &self,
        writes: Vec<Write>,
        audit: Vec<AuditEntry>,
    ) -> Result<Vec<Stored>, StoreError> {
        self.writer.submit(self.region.clone(), writes, audit).await
    }

    /// Finds records; returns one page and the total number of matches.
    pub async fn search(&self, q: &Query) -> Result<(Vec<Stored>, u64), StoreError> {
        let (found, total) = self.search_counted(q, true).await?;
        Ok((found, total.unwrap_or(0)))
    }

    /// One page of the records a query finds, without counting them all:
    /// for callers that read every page anyway (a page shorter than asked
    /// for is the last), the count is a second statement as dear as the
    /// page.
    pub async fn search_page(&self, q: &Query) -> Result<Vec<Stored>, StoreError> {
        Ok(self.search_counted(q, false).await?.0)
    }

    async fn search_counted(
        &self,
        q: &Query,
        counted: bool,
    ) -> Result<(Vec<Stored>, Option<u64>), StoreError> {
        let mut clause = String::from(" FROM records r WHERE r.resource_type = $1");
        let mut binds: Vec<String> = vec![q.resource_type.clone()];
        let mut driven = false;
        let mut order: Vec<(String, &str)> = Vec::new();
        for f in &q.filters {
            if f.values.is_empty() {
                continue;
            }
            if matches!(f.matching, Match::Ascending | Match::Descending) {
                let dir = if f.matching == Match::Ascending {
                    "ASC"
                } else {
                    "DESC"
                };
                order.extend(f.values.iter().map(|v| (v.clone(), dir)));
                continue;
            }
            let mut alts = Vec::new();
            for v in &f.values {
                binds.push(match f.matching {
                    Match::Prefix => escape_like(v),
                    _ => v.clone(),
                });
                let n = binds.len();
                alts.push(match (f.param.as_str(), f.matching) {
                    ("_id", _) => format!("r.id = ${n}"),
                    (LAST_WRITE, Match::Prefix) => format!("r.updated_at LIKE ${n} ESCAPE '\\'"),
                    (LAST_WRITE, m) => format!("r.updated_at {} ${n}", comparison(m)),
                    (_, Match::Exact) => format!("s.value = ${n}"),
                    (_, Match::Prefix) => format!("s.value LIKE ${n} ESCAPE '\\'"),
                    (_, m) => format!("s.value {} ${n}", comparison(m)),
                });
            }
            if f.param == "_id" || f.param == LAST_WRITE {
                clause.push_str(&format!(" AND ({})", alts.join(" OR ")));
            } else {
                binds.push(f.param.clone());
                let n = binds.len();
                // The index drives: the ids whose terms match, looked up
                // by key, rather than every record of the type checked in
                // turn (which cost as much as the type had records). After
                // the first exact filter, further exact ones are checked
                // on its ids with one index probe each. A range or prefix
                // is always listed once: checked per record, its probe
                // would walk the whole range each time.
                if f.matching == Match::Exact && driven {
                    clause.push_str(&format!(
                        " AND EXISTS (SELECT 1 FROM search_index s WHERE s.resource_type = r.resource_type \
                         AND s.id = r.id AND s.param = ${n} AND ({}))",
                        alts.join(" OR ")
                    ));
                } else {
                    driven |= f.matching == Match::Exact;
                    clause.push_str(&format!(
                        " AND r.id IN (SELECT s.id FROM search_index s WHERE s.resource_type = $1 \
                         AND s.param = ${n} AND ({}))",
                        alts.join(" OR ")
                    ));
                }
            }
        }
        let total = if counted {
            let count_sql = format!("SELECT COUNT(*) AS n{clause}");
            let mut count = sqlx::query(AssertSqlSafe(count_sql));
            for b in &binds {
                count = count.bind(b.as_str());
            }
            let n: i64 = count.fetch_one(&self.read).await?.try_get("n")?;
            Some(u64::try_from(n).unwrap_or(0))
        } else {
            None
        };
        if q.count == 0 {
            return Ok((Vec::new(), total));
        }
        // Sort keys bind after the filters: the count above binds only those.
        let mut keys: Vec<String> = Vec::new();
        for (param, dir) in order {
            if param == LAST_WRITE {
                keys.push(format!("r.updated_at {dir}"));
            } else {
                binds.push(param);
                let n = binds.len();
                // Records without the key sort last both ways: SQLite
                // puts NULL first and PostgreSQL last unless told.
                keys.push(format!(
                    "(SELECT MIN(s.value) FROM search_index s WHERE s.resource_type = r.resource_type \
                     AND s.id = r.id AND s.param = ${n}) {dir} NULLS LAST"
                ));
            }
        }
        keys.push("r.id".into());
        let page_sql = format!(
            "SELECT r.version, r.updated_at, r.body{clause} ORDER BY {} LIMIT {} OFFSET {}",
            keys.join(", "),
            q.count,
            q.offset
        );
        let mut page = sqlx::query(AssertSqlSafe(page_sql));
        for b in &binds {
            page = page.bind(b.as_str());
        }
        let rows = page.fetch_all(&self.read).await?;
        let found = rows
            .iter()
            .map(|r| stored_from_row(&q.resource_type, r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((found, total))
    }

    /// The ids of records of `resource_type` whose index has
    /// `param = value`; used to follow relationships (a practitioner's teams).
    pub async fn ids_where(
        &self,
        resource_type: &str,
        param: &str,
        value: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM search_index WHERE resource_type = $1 AND param = $2 AND value = $3 ORDER BY id",
        )
        .bind(resource_type)
        .bind(param)
        .bind(value)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("id").map_err(StoreError::from))
            .collect()
    }

    /// Events after `after_seq`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, resource_type, resource_id, payload FROM events \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(StoredEvent {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    resource_type: r.try_get("resource_type")?,
                    resource_id: r.try_get("resource_id")?,
                    event: serde_json::from_str(&payload)
                        .map_err(|e| StoreError::Corrupt("event".into(), e.to_string()))?,
                })
            })
            .collect()
    }
}

pub(crate) fn stored_from_row(
    resource_type: &str,
    r: &sqlx::any::AnyRow,
) -> Result<Stored, StoreError> {
    let body: String = r.try_get("body")?;
    stored_from(
        resource_type,
        r.try_get("version")?,
        r.try_get("updated_at")?,
        &body,
    )
}

/// A stored record from its columns.
fn stored_from(
    resource_type: &str,
    version: i64,
    updated_at: String,
    body: &str,
) -> Result<Stored, StoreError> {
    Ok(Stored {
        record: decode(resource_type, body)?,
        version: u32::try_from(version).unwrap_or(0),
        updated_at,
        created: false,
    })
}

/// The version, record and region of a stored record.
async fn current(
    tx: &mut AnyConnection,
    resource_type: &str,
    id: &str,
) -> Result<Option<(u32, Record, String)>, StoreError> {
    let row = sqlx::query(
        "SELECT version, body, region FROM records WHERE resource_type = $1 AND id = $2",
    )
    .bind(resource_type)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let v: i64 = r.try_get("version")?;
            let body: String = r.try_get("body")?;
            Ok(Some((
                u32::try_from(v).unwrap_or(0),
                decode(resource_type, &body)?,
                r.try_get("region")?,
            )))
        }
    }
}

/// The body of one `write_all` call, run by the writer inside the batch's
/// transaction (and the call's savepoint).
pub(crate) async fn write_records(
    conn: &mut AnyConnection,
    region: &str,
    writes: Vec<Write>,
    audit: &[AuditEntry],
) -> Result<Vec<Stored>, StoreError> {
    let now = now_text();
    let mut out = Vec::with_capacity(writes.len());
    for w in writes {
        out.push(write_one(conn, region, w, &now).await?);
    }
    insert_audit(conn, region, audit).await?;
    Ok(out)
}

async fn write_one(
    tx: &mut AnyConnection,
    store_region: &str,
    w: Write,
    now: &str,
) -> Result<Stored, StoreError> {
    let rt = w.record.resource_type();
    let id = w.record.id().to_string();
    let before = current(tx, rt, &id).await?;
    let version = match (w.expect, &before) {
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
        (Expect::Version(expected), Some((current, _, _))) if *current != expected => {
            return Err(StoreError::VersionConflict {
                resource_type: rt.into(),
                id,
                expected,
                current: *current,
            });
        }
        (_, Some((current, _, _))) => current + 1,
        (_, None) => 1,
    };
    // A record of the other kind under the same id (an alliance where an
    // institution is) would change its meaning: refuse.
    if let Some((_, old, _)) = &before
        && old.kind() != w.record.kind()
    {
        return Err(StoreError::AlreadyExists {
            resource_type: rt.into(),
            id,
        });
    }
    let body = encode(&w.record)?;
    let region = row_region(
        before.as_ref().map(|b| b.2.as_str()),
        &w.record,
        store_region,
    );
    if before.is_none() {
        sqlx::query(
            "INSERT INTO records (resource_type, id, region, version, updated_at, body) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(rt)
        .bind(&id)
        .bind(&region)
        .bind(i64::from(version))
        .bind(now)
        .bind(&body)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "UPDATE records SET version = $1, updated_at = $2, body = $3 \
             WHERE resource_type = $4 AND id = $5",
        )
        .bind(i64::from(version))
        .bind(now)
        .bind(&body)
        .bind(rt)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM search_index WHERE resource_type = $1 AND id = $2")
            .bind(rt)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO record_history (resource_type, id, version, updated_at, body, region) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(rt)
    .bind(&id)
    .bind(i64::from(version))
    .bind(now)
    .bind(&body)
    .bind(&region)
    .execute(&mut *tx)
    .await?;
    insert_index(tx, rt, &id, &region, &w.index).await?;
    let mut events = Event::for_change(before.as_ref().map(|b| &b.1), &w.record, version);
    events.extend(w.events.iter().cloned());
    insert_events(tx, &region, now, rt, &id, &w.actor, &events).await?;
    crate::indicators::record_facts(tx, store_region, &w.facts).await?;
    Ok(Stored {
        record: w.record,
        version,
        updated_at: now.to_string(),
        created: before.is_none(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use tiercare_core::network::{Gender, PersonName};
    use tiercare_core::resident::{Contract, Resident};
    use tiercare_core::{RegionId, ResidentId, TeamId};
    use time::macros::date;

    pub(crate) fn resident(id: &str, family: &str, team: Option<&str>) -> Record {
        Record::Resident(Resident {
            id: ResidentId::new(id).unwrap(),
            region: RegionId::new("zx").unwrap(),
            identifier: None,
            name: PersonName {
                family: family.into(),
                given: "Hua".into(),
                pinyin: None,
            },
            gender: Gender::Female,
            birth_date: date!(1950 - 01 - 01),
            district: None,
            phone: None,
            key_groups: vec![],
            contract: team.map(|t| Contract {
                team: TeamId::new(t).unwrap(),
                institution: None,
                family_doctor: None,
                signed_on: date!(2026 - 01 - 01),
                ends_on: None,
            }),
        })
    }

    pub(crate) fn write(record: Record, expect: Expect) -> Write {
        let name = match &record {
            Record::Resident(r) => r.name.family.to_lowercase(),
            _ => String::new(),
        };
        Write {
            record,
            expect,
            index: vec![("name".into(), name)],
            actor: "test".into(),
            events: Vec::new(),
            facts: Vec::new(),
        }
    }

    /// A fresh database in its own directory (tests run in parallel).
    pub(crate) async fn store() -> (Store, std::path::PathBuf) {
        let (s, dir, _) = store_and_url().await;
        (s, dir)
    }

    /// A fresh store (SQLite in a temporary directory, or a new PostgreSQL
    /// database when the tests run there), its directory and its URL.
    pub(crate) async fn store_and_url() -> (Store, std::path::PathBuf, String) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tiercare-store-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            crate::now_text()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = crate::scratch::database_url(&format!("sqlite://{}", dir.join("t.db").display()))
            .await
            .unwrap();
        // In the region the test records carry, as a deployment's store is.
        let region = RegionId::new("zx").unwrap();
        (
            Store::open(&url).await.unwrap().in_region(&region),
            dir,
            url,
        )
    }

    #[tokio::test]
    async fn versions_conflicts_and_history() {
        let (s, _dir) = store().await;
        let v1 = s
            .write(write(resident("r1", "Wang", None), Expect::New), None)
            .await
            .unwrap();
        assert_eq!((v1.version, v1.created), (1, true));
        let again = s
            .write(write(resident("r1", "Wang", None), Expect::New), None)
            .await;
        assert!(matches!(again, Err(StoreError::AlreadyExists { .. })));
        let v2 = s
            .write(
                write(resident("r1", "Zhang", None), Expect::Version(1)),
                None,
            )
            .await
            .unwrap();
        assert_eq!((v2.version, v2.created), (2, false));
        let stale = s
            .write(write(resident("r1", "Li", None), Expect::Version(1)), None)
            .await;
        assert!(matches!(
            stale,
            Err(StoreError::VersionConflict { current: 2, .. })
        ));
        let now = s.get("Patient", "r1").await.unwrap().unwrap();
        assert_eq!(now.record, resident("r1", "Zhang", None));
        let old = s.get_version("Patient", "r1", 1).await.unwrap().unwrap();
        assert_eq!(old.record, resident("r1", "Wang", None));
        let missing = s
            .write(write(resident("r9", "Li", None), Expect::Version(1)), None)
            .await;
        assert!(matches!(missing, Err(StoreError::NotFound { .. })));
    }

    #[tokio::test]
    async fn events_are_written_with_the_state_and_batches_are_atomic() {
        let (s, _dir) = store().await;
        s.write(write(resident("r1", "Wang", Some("t1")), Expect::New), None)
            .await
            .unwrap();
        let events = s.events_after(0, 100).await.unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["resident.registered.v1", "contract.signed.v1"]);
        // The second write conflicts: the first must not land either.
        let batch = vec![
            write(resident("r2", "Li", None), Expect::New),
            write(resident("r1", "Li", None), Expect::New),
        ];
        assert!(s.write_all(batch, vec![]).await.is_err());
        assert!(s.get("Patient", "r2").await.unwrap().is_none());
        assert_eq!(s.events_after(0, 100).await.unwrap().len(), 2);
        assert_eq!(s.count("Patient").await.unwrap(), 1);
    }

    #[tokio::test]
    async fn search_uses_current_terms_and_escapes_wildcards() {
        let (s, _dir) = store().await;
        s.write(write(resident("r1", "Wang", None), Expect::New), None)
            .await
            .unwrap();
        s.write(write(resident("r2", "Wa%ng", None), Expect::New), None)
            .await
            .unwrap();
        let q = |v: &str| Query {
            resource_type: "Patient".into(),
            filters: vec![Filter {
                param: "name".into(),
                values: vec![v.into()],
                matching: Match::Prefix,
            }],
            count: 10,
            offset: 0,
        };
        assert_eq!(s.search(&q("wa")).await.unwrap().1, 2);
        assert_eq!(s.search(&q("wa%")).await.unwrap().1, 1);
        s.write(write(resident("r1", "Zhou", None), Expect::Any), None)
            .await
            .unwrap();
        assert_eq!(s.search(&q("wang")).await.unwrap().1, 0);
        let (found, total) = s.search(&q("zh")).await.unwrap();
        assert_eq!((total, found[0].record.id()), (1, "r1"));
    }

    #[tokio::test]
    async fn an_update_keeps_adds_and_drops_exactly_the_terms_it_should() {
        let (s, _dir) = store().await;
        let terms = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(p, v)| (p.to_string(), v.to_string()))
                .collect()
        };
        let mut w = write(resident("r1", "Wang", None), Expect::New);
        w.index = terms(&[("a", "1"), ("b", "2"), ("b", "3")]);
        s.write(w, None).await.unwrap();
        // b=2 kept, a=1 and b=3 dropped, c=4 added (given twice).
        let mut w = write(resident("r1", "Wang", None), Expect::Version(1));
        w.index = terms(&[("b", "2"), ("c", "4"), ("c", "4")]);
        s.write(w, None).await.unwrap();
        let rows = sqlx::query(
            "SELECT param, value FROM search_index WHERE resource_type = 'Patient' AND id = 'r1' \
             ORDER BY param, value",
        )
        .fetch_all(&s.read)
        .await
        .unwrap();
        let stored: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.try_get("param").unwrap(), r.try_get("value").unwrap()))
            .collect();
        assert_eq!(stored, terms(&[("b", "2"), ("c", "4")]));
    }

    #[tokio::test]
    async fn search_combines_exact_range_and_id_filters() {
        let (s, _dir) = store().await;
        // Residents with a team, a day and a name each.
        let rows = [
            ("r1", "t1", "2026-01-05", "Wang"),
            ("r2", "t1", "2026-02-10", "Li"),
            ("r3", "t2", "2026-02-11", "Wang"),
            ("r4", "t1", "2026-03-01", "Wang"),
        ];
        for (id, team, day, name) in rows {
            let mut w = write(resident(id, name, None), Expect::New);
            w.index.push(("team".into(), team.into()));
            w.index.push(("date".into(), day.into()));
            s.write(w, None).await.unwrap();
        }
        let filter = |param: &str, values: &[&str], matching: Match| Filter {
            param: param.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            matching,
        };
        let ids = |filters: Vec<Filter>| {
            let s = s.clone();
            async move {
                let q = Query {
                    resource_type: "Patient".into(),
                    filters,
                    count: 10,
                    offset: 0,
                };
                let (found, total) = s.search(&q).await.unwrap();
                let ids: Vec<String> = found.iter().map(|f| f.record.id().to_string()).collect();
                assert_eq!(total as usize, ids.len());
                ids
            }
        };
        // The first exact filter drives; a second exact one, a range and a
        // prefix narrow it, in any order.
        let team = filter("team", &["t1"], Match::Exact);
        let since = filter("date", &["2026-02"], Match::AtLeast);
        let wang = filter("name", &["wang"], Match::Exact);
        assert_eq!(ids(vec![team.clone(), since.clone()]).await, ["r2", "r4"]);
        assert_eq!(ids(vec![since.clone(), team.clone()]).await, ["r2", "r4"]);
        assert_eq!(
            ids(vec![team.clone(), wang.clone(), since.clone()]).await,
            ["r4"]
        );
        assert_eq!(
            ids(vec![since.clone(), filter("name", &["w"], Match::Prefix)]).await,
            ["r3", "r4"]
        );
        assert_eq!(
            ids(vec![
                filter("team", &["t1", "t2"], Match::Exact),
                wang.clone()
            ])
            .await,
            ["r1", "r3", "r4"]
        );
        assert_eq!(
            ids(vec![wang, filter("_id", &["r1", "r3"], Match::Exact)]).await,
            ["r1", "r3"]
        );
        assert_eq!(
            ids(vec![team, filter("date", &["2026-02-10"], Match::Below)]).await,
            ["r1"]
        );
        // Sort keys order the page, ties by id; they filter nothing, and
        // the count is the same with them.
        let by = |m: Match| filter("_sort", &["date"], m);
        assert_eq!(
            ids(vec![by(Match::Descending)]).await,
            ["r4", "r3", "r2", "r1"]
        );
        assert_eq!(
            ids(vec![
                by(Match::Ascending),
                filter("team", &["t1"], Match::Exact)
            ])
            .await,
            ["r1", "r2", "r4"]
        );
        assert_eq!(
            ids(vec![filter("_sort", &["team", "date"], Match::Descending)]).await,
            ["r3", "r4", "r2", "r1"]
        );
        // The last write time: every record was written today, none
        // before 2000 or after 2999.
        let today = crate::now_text()[..10].to_string();
        let written = |v: &str, m: Match| filter(LAST_WRITE, &[v], m);
        assert_eq!(ids(vec![written(&today, Match::Prefix)]).await.len(), 4);
        assert_eq!(ids(vec![written("2000", Match::AtLeast)]).await.len(), 4);
        assert!(ids(vec![written("2000", Match::Below)]).await.is_empty());
        assert!(ids(vec![written("2999", Match::Above)]).await.is_empty());
        let last = ids(vec![filter("_sort", &[LAST_WRITE], Match::Descending)]).await;
        assert_eq!(last.len(), 4);
        // A page of none still counts.
        let q = Query {
            resource_type: "Patient".into(),
            filters: vec![],
            count: 0,
            offset: 0,
        };
        assert_eq!(s.search(&q).await.unwrap(), (vec![], 4));
    }

    #[tokio::test]
    async fn records_without_the_sort_key_come_last_both_ways() {
        let (s, _dir) = store().await;
        // r2 has no date: it must come last ascending and descending, on
        // SQLite (NULL sorts first by default) as on PostgreSQL (NULL
        // sorts first descending by default).
        for (id, day) in [
            ("r1", Some("2026-01-05")),
            ("r2", None),
            ("r3", Some("2026-03-01")),
        ] {
            let mut w = write(resident(id, "Wang", None), Expect::New);
            if let Some(day) = day {
                w.index.push(("date".into(), day.into()));
            }
            s.write(w, None).await.unwrap();
        }
        let sorted = |m: Match| {
            let s = s.clone();
            async move {
                let q = Query {
                    resource_type: "Patient".into(),
                    filters: vec![Filter {
                        param: "_sort".into(),
                        values: vec!["date".into()],
                        matching: m,
                    }],
                    count: 10,
                    offset: 0,
                };
                let (found, _) = s.search(&q).await.unwrap();
                found
                    .iter()
                    .map(|f| f.record.id().to_string())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(sorted(Match::Ascending).await, ["r1", "r3", "r2"]);
        assert_eq!(sorted(Match::Descending).await, ["r3", "r1", "r2"]);
    }

    #[tokio::test]
    async fn concurrent_updates_with_the_same_version_give_one_winner() {
        let (s, _dir) = store().await;
        s.write(write(resident("r1", "Wang", None), Expect::New), None)
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..20 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.write(
                    write(resident("r1", &format!("N{i}"), None), Expect::Version(1)),
                    None,
                )
                .await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::VersionConflict { .. }) => {}
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(ok, 1);
        assert_eq!(s.get("Patient", "r1").await.unwrap().unwrap().version, 2);
    }
}
