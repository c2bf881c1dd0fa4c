//! The rows one record write adds beside the record itself: its events
//! and its search terms, and the region all of them are stored in (the
//! distribution key of docs/province-scale.md).

use crate::StoreError;
use crate::records::encode;
// Dynamic SQL here is assembled from fixed fragments and numbered
// placeholders only; every value is bound, never spliced in.
use sqlx::{AnyConnection, AssertSqlSafe};
use tiercare_core::Record;
use tiercare_core::events::Event;

/// The region a record's rows are stored in: the one its stored row has
/// (a row never moves, so its key stays the same), else the region the
/// record carries itself, else the writing store's.
pub(crate) fn row_region(stored: Option<&str>, record: &Record, store_region: &str) -> String {
    match (stored, record.region()) {
        (Some(r), _) => r.to_string(),
        (None, Some(own)) => own.to_string(),
        (None, None) => store_region.to_string(),
    }
}

/// The `VALUES` list of a multi-row insert: `rows` groups of `width`
/// numbered placeholders, `($1, $2), ($3, $4)`. Every multi-row insert of
/// the store builds its statement with it, so the numbering is written
/// once.
pub(crate) fn value_rows(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|i| {
            let marks: Vec<String> = (1..=width).map(|k| format!("${}", i * width + k)).collect();
            format!("({})", marks.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Appends a write's events, in order, in one statement: each statement is
/// a round trip to the database thread, and the writer runs them one at a
/// time for everybody.
pub(crate) async fn insert_events(
    tx: &mut AnyConnection,
    region: &str,
    now: &str,
    rt: &str,
    id: &str,
    actor: &str,
    events: &[Event],
) -> Result<(), StoreError> {
    // 7 values per row, well under SQLite's limit of bound values.
    for chunk in events.chunks(64) {
        let payloads = chunk.iter().map(encode).collect::<Result<Vec<_>, _>>()?;
        let mut sql = String::from(
            "INSERT INTO events (region, recorded_at, kind, resource_type, resource_id, actor, payload) VALUES ",
        );
        sql.push_str(&value_rows(chunk.len(), 7));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (e, payload) in chunk.iter().zip(payloads) {
            q = q
                .bind(region)
                .bind(now)
                .bind(e.kind())
                .bind(rt)
                .bind(id)
                .bind(actor)
                .bind(payload);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

pub(crate) async fn insert_index(
    tx: &mut AnyConnection,
    rt: &str,
    id: &str,
    region: &str,
    terms: &[(String, String)],
) -> Result<(), StoreError> {
    // Several rows per statement: far fewer round trips for records with
    // many search terms.
    for chunk in terms.chunks(64) {
        let mut sql = String::from(
            "INSERT INTO search_index (resource_type, id, param, value, region) VALUES ",
        );
        sql.push_str(&value_rows(chunk.len(), 5));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (param, value) in chunk {
            q = q
                .bind(rt)
                .bind(id)
                .bind(param.as_str())
                .bind(value.as_str())
                .bind(region);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_multi_row_insert_numbers_every_placeholder_once() {
        assert_eq!(super::value_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(super::value_rows(1, 1), "($1)");
        assert_eq!(super::value_rows(0, 4), "");
    }

    use crate::audit_chain::{Fields, GENESIS, entry_hash};
    use crate::db::{POSTGRES, SQLITE, normalise_url};
    use crate::records::encode;
    use crate::records::tests::{resident, store, store_and_url, write};
    use crate::{
        AuditEntry, AuditOutcome, Backend, DEFAULT_REGION, Expect, Filter, HistoryQuery, Match,
        NewUser, Query, Store, SubscriptionSpec, SubscriptionStatus,
    };
    use sqlx::{AnyPool, Row};
    use tiercare_core::access::UserRole;
    use tiercare_core::indicators::{Direction, Fact, Ix};
    use tiercare_core::network::Membership;
    use tiercare_core::{Record, RegionId};

    /// Every table a province-wide deployment shards.
    const SHARDED: [&str; 9] = [
        "records",
        "record_history",
        "search_index",
        "events",
        "audit",
        "indicator_facts",
        "indicator_days",
        "indicator_months",
        "subscriptions",
    ];

    fn entry(patient: Option<&str>, resource_id: Option<&str>, detail: &str) -> AuditEntry {
        AuditEntry {
            seq: 0,
            recorded_at: String::new(),
            username: "ann".into(),
            role: "admin".into(),
            action: "read".into(),
            resource_type: "Patient".into(),
            resource_id: resource_id.map(str::to_string),
            patient: patient.map(str::to_string),
            outcome: AuditOutcome::Success,
            detail: detail.into(),
        }
    }

    fn referral(day: i32) -> Fact {
        Fact::Referral {
            day,
            from: Ix(0),
            to: Ix(1),
            direction: Direction::Up,
        }
    }

    fn resident_in(id: &str, family: &str, region: &str) -> Record {
        let mut r = resident(id, family, None);
        if let Record::Resident(p) = &mut r {
            p.region = RegionId::new(region).unwrap();
        }
        r
    }

    fn spec() -> SubscriptionSpec {
        SubscriptionSpec {
            criteria: "Task?status=requested".into(),
            reason: "test".into(),
            endpoint: "http://127.0.0.1:9/hook".into(),
            headers: vec![],
            payload: None,
            status: SubscriptionStatus::Active,
        }
    }

    async fn admin(s: &Store) {
        s.add_user(&NewUser {
            username: "ann".into(),
            password_hash: "x".into(),
            role: UserRole::Admin,
            institution: None,
            practitioner: None,
            resident: None,
        })
        .await
        .unwrap();
    }

    /// `(key, region)` of every row of `table`, sorted.
    async fn regions(pool: &AnyPool, table: &str, key: &str) -> Vec<(String, String)> {
        let sql = format!("SELECT CAST({key} AS TEXT) AS k, region FROM {table} ORDER BY 1, 2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("k"), r.get("region")))
            .collect()
    }

    fn pairs(rows: &[(&str, &str)]) -> Vec<(String, String)> {
        rows.iter()
            .map(|(k, r)| (k.to_string(), r.to_string()))
            .collect()
    }

    #[tokio::test]
    async fn every_sharded_row_carries_the_writing_stores_region() {
        let (s, _dir) = store().await;
        assert_eq!(s.region(), "zx");
        assert_ne!(s.region(), DEFAULT_REGION);
        admin(&s).await;
        // A record that carries no region of its own is stored in the
        // store's.
        let membership = Record::Membership(Membership {
            id: "m1".parse().unwrap(),
            alliance: "a1".parse().unwrap(),
            institution: "i1".parse().unwrap(),
            is_lead: false,
            since: None,
        });
        let mut with_facts = write(resident("r1", "Li", None), Expect::New);
        with_facts.facts = vec![referral(20_000), referral(20_031)];
        s.write_all(
            vec![with_facts, write(membership, Expect::New)],
            vec![entry(Some("r1"), Some("r1"), "create")],
        )
        .await
        .unwrap();
        // An update goes to the rows already there; an audit-only call
        // is stored in the store's region too.
        s.write(write(resident("r1", "Ma", None), Expect::Version(1)), None)
            .await
            .unwrap();
        s.audit(&[entry(None, None, "search")]).await.unwrap();
        s.add_subscription("s1", "ann", None, &spec())
            .await
            .unwrap();
        for table in SHARDED {
            let rows: Vec<String> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT region FROM {table}")))
                    .fetch_all(&s.read)
                    .await
                    .unwrap();
            assert!(!rows.is_empty(), "{table} has rows");
            assert!(rows.iter().all(|r| r == "zx"), "{table}: {rows:?}");
        }
        let records = regions(&s.read, "records", "id").await;
        assert_eq!(records, pairs(&[("m1", "zx"), ("r1", "zx")]));
        let history = regions(&s.read, "record_history", "version").await;
        assert_eq!(history.len(), 3);
        assert!(s.verify_audit().await.unwrap().is_intact());
    }

    /// A database as the store left it at migration 0008, with rows of
    /// every sharded table, moves to 0009: the rows get their region, and
    /// the store still finds them, updates them in place and verifies the
    /// audit trail it had.
    #[tokio::test]
    async fn a_database_from_before_the_region_keys_gets_them() {
        let (fresh, dir, _) = store_and_url().await;
        fresh.close().await;
        let url =
            crate::scratch::database_url(&format!("sqlite://{}", dir.join("old.db").display()))
                .await
                .unwrap();
        let (backend, url) = normalise_url(&url).unwrap();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        let migrator = match backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        };
        migrator.run_to(8, &pool).await.unwrap();
        let sql = |q: &'static str| sqlx::query(q);

        // Two residents of zx (the database's region), one of yc, and a
        // record stored without a region (as non-registry kinds were).
        let rows = [
            ("r1", "Li", Some("zx")),
            ("r2", "Wang", None),
            ("r3", "Wu", Some("yc")),
            ("r4", "Zhou", Some("zx")),
        ];
        for (id, family, region) in rows {
            let body = encode(&resident_in(id, family, region.unwrap_or("zx"))).unwrap();
            sql(
                "INSERT INTO records (resource_type, id, region, version, updated_at, body) \
                 VALUES ('Patient', $1, $2, 1, '2026-01-01T00:00:00.000Z', $3)",
            )
            .bind(id)
            .bind(region)
            .bind(&body)
            .execute(&pool)
            .await
            .unwrap();
            sql(
                "INSERT INTO record_history (resource_type, id, version, updated_at, body) \
                 VALUES ('Patient', $1, 1, '2026-01-01T00:00:00.000Z', $2)",
            )
            .bind(id)
            .bind(&body)
            .execute(&pool)
            .await
            .unwrap();
            sql(
                "INSERT INTO search_index (resource_type, id, param, value) \
                 VALUES ('Patient', $1, 'name', $2)",
            )
            .bind(id)
            .bind(family.to_lowercase())
            .execute(&pool)
            .await
            .unwrap();
            sql("INSERT INTO events (region, recorded_at, kind, resource_type, resource_id, actor, payload) \
                 VALUES ($1, '2026-01-01T00:00:00.000Z', 'resident-registered', 'Patient', $2, 'test', '{}')")
            .bind(region)
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
        }
        // A chained audit trail: about r3 (yc), about r1 by resource only,
        // and a search that names no record.
        let mut prev = GENESIS.to_string();
        let trail = [(Some("r3"), Some("r3")), (None, Some("r1")), (None, None)];
        for (seq, (patient, resource_id)) in (1i64..).zip(trail) {
            let at = "2026-01-01T00:00:00.000Z";
            let hash = entry_hash(
                &prev,
                &Fields {
                    seq,
                    recorded_at: at,
                    username: "ann",
                    role: "admin",
                    action: "read",
                    resource_type: "Patient",
                    resource_id,
                    patient,
                    outcome: "success",
                    detail: "old",
                },
            );
            sql("INSERT INTO audit (seq, recorded_at, username, role, action, resource_type, \
                 resource_id, patient, outcome, detail, prev_hash, hash) \
                 VALUES ($1, $2, 'ann', 'admin', 'read', 'Patient', $3, $4, 'success', 'old', $5, $6)")
            .bind(seq)
            .bind(at)
            .bind(resource_id)
            .bind(patient)
            .bind(&prev)
            .bind(&hash)
            .execute(&pool)
            .await
            .unwrap();
            prev = hash;
        }
        // One referral and its counters (the sender's and the receiver's),
        // as its write stored them.
        let fact = referral(20_000);
        sql("INSERT INTO indicator_facts (day, fact) VALUES ($1, $2)")
            .bind(20_000i64)
            .bind(serde_json::to_string(&fact).unwrap())
            .execute(&pool)
            .await
            .unwrap();
        let deltas = fact.deltas();
        for (day, ix, delta) in &deltas {
            let row_ix = ix.map_or(-1, |i| i64::from(i.0));
            let counters = serde_json::to_string(delta).unwrap();
            sql("INSERT INTO indicator_days (day, ix, counters) VALUES ($1, $2, $3)")
                .bind(i64::from(*day))
                .bind(row_ix)
                .bind(&counters)
                .execute(&pool)
                .await
                .unwrap();
            sql("INSERT INTO indicator_months (month, ix, counters) VALUES ($1, $2, $3)")
                .bind(i64::from(crate::indicators::month_of(*day)))
                .bind(row_ix)
                .bind(&counters)
                .execute(&pool)
                .await
                .unwrap();
        }
        sql(
            "INSERT INTO users (username, password_hash, role, created_at) \
             VALUES ('ann', 'x', 'admin', '2026-01-01T00:00:00.000Z')",
        )
        .execute(&pool)
        .await
        .unwrap();
        sql(
            "INSERT INTO subscriptions (id, version, owner, criteria, reason, endpoint, headers, \
             status, created_at, updated_at, delivered_seq, attempts) \
             VALUES ('s1', 1, 'ann', 'Task?', 'old', 'http://127.0.0.1:9/hook', '[]', 'active', \
             '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 0, 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;

        let s = Store::open(&url)
            .await
            .unwrap()
            .in_region(&RegionId::new("zx").unwrap());
        let per_record = pairs(&[("r1", "zx"), ("r2", "zx"), ("r3", "yc"), ("r4", "zx")]);
        for table in ["records", "record_history", "search_index"] {
            assert_eq!(regions(&s.read, table, "id").await, per_record, "{table}");
        }
        assert_eq!(regions(&s.read, "events", "resource_id").await, per_record);
        assert_eq!(
            regions(&s.read, "audit", "seq").await,
            pairs(&[("1", "yc"), ("2", "zx"), ("3", "zx")])
        );
        for (table, key) in [
            ("indicator_facts", "seq"),
            ("indicator_days", "ix"),
            ("indicator_months", "ix"),
            ("subscriptions", "id"),
        ] {
            let rows = regions(&s.read, table, key).await;
            assert!(!rows.is_empty(), "{table}");
            assert!(rows.iter().all(|(_, r)| r == "zx"), "{table}: {rows:?}");
        }

        // The rebuilt tables kept every index they had.
        let indexes = match backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            }
            Backend::Postgres => {
                "SELECT CAST(indexname AS TEXT) AS name FROM pg_indexes WHERE schemaname = current_schema()"
            }
        };
        let names: Vec<String> = sqlx::query_scalar(indexes)
            .fetch_all(&s.read)
            .await
            .unwrap();
        for name in [
            "search_index_lookup",
            "search_index_owner",
            "audit_patient",
            "audit_user",
            "subscriptions_status",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }

        // Still read: search, history, the audit chain, the subscription.
        let (found, total) = s
            .search(&Query {
                resource_type: "Patient".into(),
                filters: vec![Filter {
                    param: "name".into(),
                    values: vec!["wu".into()],
                    matching: Match::Exact,
                }],
                count: 10,
                offset: 0,
            })
            .await
            .unwrap();
        assert_eq!((total, found[0].record.id().to_string()), (1, "r3".into()));
        let history = HistoryQuery {
            resource_type: "Patient".into(),
            id: Some("r3".into()),
            count: 10,
            ..HistoryQuery::default()
        };
        assert_eq!(s.history(&history).await.unwrap().1, 1);
        let verified = s.verify_audit().await.unwrap();
        assert!(verified.is_intact(), "{verified:?}");
        assert_eq!(verified.checked, 3);
        assert!(s.subscription("s1").await.unwrap().is_some());

        // Written again: the yc record stays one row in yc, its new
        // version and terms with it; the counters add to the old row.
        let mut again = write(resident_in("r3", "Wu", "yc"), Expect::Version(1));
        again.index = vec![("name".into(), "wu".into()), ("family".into(), "wu".into())];
        again.facts = vec![fact];
        s.write(again, None).await.unwrap();
        s.audit(&[entry(Some("r3"), Some("r3"), "new")])
            .await
            .unwrap();
        let r3: Vec<(String, String)> = regions(&s.read, "records", "id")
            .await
            .into_iter()
            .filter(|(id, _)| id == "r3")
            .collect();
        assert_eq!(r3, pairs(&[("r3", "yc")]));
        assert_eq!(
            regions(&s.read, "record_history", "version")
                .await
                .iter()
                .filter(|(v, r)| v == "2" && r == "yc")
                .count(),
            1
        );
        let twice: Vec<_> = deltas
            .iter()
            .map(|&(day, ix, ref delta)| {
                let mut sum = delta.clone();
                sum.add(delta);
                (day, ix, sum)
            })
            .collect();
        assert_eq!(
            s.indicator_days(20_000, crate::indicators::RowSet::Institutions)
                .await
                .unwrap(),
            twice
        );
        let verified = s.verify_audit().await.unwrap();
        assert!(verified.is_intact(), "{verified:?}");
        assert_eq!(verified.checked, 4);
        s.close().await;
    }
}
