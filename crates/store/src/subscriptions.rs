//! Subscriptions: standing searches whose matching changes are pushed to an
//! outside endpoint, each with its own place in the event log.
//!
//! The event log is the outbox. A subscription remembers the sequence
//! number of the last event it is done with (`delivered_seq`); the delivery
//! worker reads the events after it, and moves it forward only once an
//! event's notification was accepted by the endpoint (or the event did not
//! concern the subscription). A crash or a restart between the change and
//! its delivery therefore loses nothing: the worker starts again from the
//! cursor, and at worst delivers one notification twice. The store knows
//! nothing of FHIR or HTTP: criteria, endpoint and headers are kept as the
//! API validated them.

use crate::{Store, StoreError, now_text};
use sqlx::Row;

/// Where a subscription is in its life (FHIR R4 `Subscription.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Requested,
    /// Notifications are being sent.
    Active,
    /// Delivery failed too often and stopped; the error says why.
    Error,
    /// Switched off by its owner.
    Off,
}

impl SubscriptionStatus {
    /// The stored code, the same as FHIR's.
    pub fn code(self) -> &'static str {
        match self {
            SubscriptionStatus::Requested => "requested",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Error => "error",
            SubscriptionStatus::Off => "off",
        }
    }

    pub fn from_code(code: &str) -> Option<SubscriptionStatus> {
        [
            SubscriptionStatus::Requested,
            SubscriptionStatus::Active,
            SubscriptionStatus::Error,
            SubscriptionStatus::Off,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// What the subscriber chooses: what to watch and where to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSpec {
    /// The standing search, e.g. `Task?owner=Organization/h1`.
    pub criteria: String,
    pub reason: String,
    pub endpoint: String,
    /// `Name: value` lines sent with every notification.
    pub headers: Vec<String>,
    /// MIME type of the payload; `None`: notify without a body.
    pub payload: Option<String>,
    pub status: SubscriptionStatus,
}

/// A stored subscription with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    /// Changes with anything a reader of the resource sees (spec, status,
    /// error); not with the delivery cursor.
    pub version: u32,
    /// Username of who created it.
    pub owner: String,
    /// The institution whose view the criteria are evaluated in; `None`:
    /// region-wide (an administrator's).
    pub institution: Option<String>,
    pub spec: SubscriptionSpec,
    /// Why the last delivery failed, while it is retried or after it gave up.
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Sequence number of the last event this subscription is done with.
    pub delivered_seq: i64,
    /// Failed attempts at delivering the next notification.
    pub attempts: u32,
    /// When to try again (Unix milliseconds), after a failure.
    pub next_attempt_at: Option<i64>,
}

const COLUMNS: &str = "id, version, owner, institution, criteria, reason, endpoint, headers, \
     payload, status, error, created_at, updated_at, delivered_seq, attempts, next_attempt_at";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt("subscription".into(), e.to_string())
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Subscription, StoreError> {
    let headers: String = r.try_get("headers")?;
    let status: String = r.try_get("status")?;
    let version: i64 = r.try_get("version")?;
    let attempts: i64 = r.try_get("attempts")?;
    Ok(Subscription {
        id: r.try_get("id")?,
        version: u32::try_from(version).map_err(corrupt)?,
        owner: r.try_get("owner")?,
        institution: r.try_get("institution")?,
        spec: SubscriptionSpec {
            criteria: r.try_get("criteria")?,
            reason: r.try_get("reason")?,
            endpoint: r.try_get("endpoint")?,
            headers: serde_json::from_str(&headers).map_err(corrupt)?,
            payload: r.try_get("payload")?,
            status: SubscriptionStatus::from_code(&status)
                .ok_or_else(|| corrupt(format!("unknown status {status:?}")))?,
        },
        error: r.try_get("error")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        delivered_seq: r.try_get("delivered_seq")?,
        attempts: u32::try_from(attempts).map_err(corrupt)?,
        next_attempt_at: r.try_get("next_attempt_at")?,
    })
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        resource_type: "Subscription".into(),
        id: id.into(),
    }
}

impl Store {
    /// Stores a new subscription. It starts after the last event written so
    /// far: it is told of changes from now on, not of the past.
    pub async fn add_subscription(
        &self,
        id: &str,
        owner: &str,
        institution: Option<&str>,
        spec: &SubscriptionSpec,
    ) -> Result<Subscription, StoreError> {
        let now = now_text();
        let headers = serde_json::to_string(&spec.headers).map_err(corrupt)?;
        let inserted = sqlx::query(
            "INSERT INTO subscriptions (id, version, owner, institution, criteria, reason, endpoint, \
             headers, payload, status, error, created_at, updated_at, delivered_seq, attempts, \
             next_attempt_at, region) \
             SELECT $1, 1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $10, \
             COALESCE((SELECT MAX(seq) FROM events), 0), 0, NULL, $11",
        )
        .bind(id)
        .bind(owner)
        .bind(institution)
        .bind(&spec.criteria)
        .bind(&spec.reason)
        .bind(&spec.endpoint)
        .bind(headers)
        .bind(spec.payload.as_deref())
        .bind(spec.status.code())
        .bind(&now)
        .bind(&*self.region)
        .execute(&self.write)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::AlreadyExists {
                    resource_type: "Subscription".into(),
                    id: id.into(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.subscription_from(&self.write, id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Reads one subscription.
    pub async fn subscription(&self, id: &str) -> Result<Option<Subscription>, StoreError> {
        self.subscription_from(&self.read, id).await
    }

    async fn subscription_from(
        &self,
        pool: &sqlx::AnyPool,
        id: &str,
    ) -> Result<Option<Subscription>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM subscriptions WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every subscription, by id. There are few (one or two per
    /// institution), so callers filter them in memory.
    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM subscriptions ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Replaces what the subscriber chose, at `expected` version if given.
    /// Switching a subscription (back) on clears its error and failed
    /// attempts; its cursor stays, so nothing in between is skipped.
    pub async fn update_subscription(
        &self,
        id: &str,
        expected: Option<u32>,
        spec: &SubscriptionSpec,
    ) -> Result<Subscription, StoreError> {
        // Under the write lock: two servers updating the same subscription
        // cannot both pass the version check.
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT {COLUMNS} FROM subscriptions WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let current = row
            .as_ref()
            .map(from_row)
            .transpose()?
            .ok_or_else(|| not_found(id))?;
        if let Some(v) = expected
            && v != current.version
        {
            return Err(StoreError::VersionConflict {
                resource_type: "Subscription".into(),
                id: id.into(),
                expected: v,
                current: current.version,
            });
        }
        let restart = spec.status == SubscriptionStatus::Active
            && current.spec.status != SubscriptionStatus::Active;
        let (error, attempts, next) = if restart {
            (None, 0, None)
        } else {
            (
                current.error.clone(),
                current.attempts,
                current.next_attempt_at,
            )
        };
        let headers = serde_json::to_string(&spec.headers).map_err(corrupt)?;
        sqlx::query(
            "UPDATE subscriptions SET version = $1, criteria = $2, reason = $3, endpoint = $4, \
             headers = $5, payload = $6, status = $7, error = $8, updated_at = $9, attempts = $10, \
             next_attempt_at = $11 WHERE id = $12",
        )
        .bind(i64::from(current.version) + 1)
        .bind(&spec.criteria)
        .bind(&spec.reason)
        .bind(&spec.endpoint)
        .bind(headers)
        .bind(spec.payload.as_deref())
        .bind(spec.status.code())
        .bind(error)
        .bind(now_text())
        .bind(i64::from(attempts))
        .bind(next)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.subscription_from(&self.write, id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Deletes a subscription; false if there was none.
    pub async fn delete_subscription(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM subscriptions WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Takes (or renews) the delivery lease on a subscription for `holder`
    /// until `until_ms` (Unix milliseconds): true if `holder` now holds
    /// it, false while another server's lease runs. Several servers on one
    /// database each run an outbox; the lease makes one of them deliver a
    /// subscription's notifications, in order, and lets another take over
    /// once the holder stops renewing (it stopped or crashed).
    pub async fn lease_subscription(
        &self,
        id: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE subscriptions SET lease_owner = $1, lease_until = $2 WHERE id = $3 \
             AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until < $4)",
        )
        .bind(holder)
        .bind(until_ms)
        .bind(id)
        .bind(now_ms)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives back every lease `holder` holds: its outbox is stopping.
    pub async fn release_subscriptions_of(&self, holder: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE subscriptions SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
        )
        .bind(holder)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Gives a lease back, so another server may deliver at once.
    pub async fn release_subscription(&self, id: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE subscriptions SET lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(holder)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The sequence number of the last event written (0 if none).
    pub async fn last_event_seq(&self) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS n FROM events")
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        Ok(n)
    }

    /// The subscription is done with every event up to `seq`: delivered,
    /// or not its concern. Clears the failure state. Never moves back.
    pub async fn subscription_done_with(&self, id: &str, seq: i64) -> Result<(), StoreError> {
        // Clearing a visible error is a new version; moving the cursor is not.
        sqlx::query(
            "UPDATE subscriptions SET \
             version = CASE WHEN error IS NULL THEN version ELSE version + 1 END, \
             updated_at = CASE WHEN error IS NULL THEN updated_at ELSE $1 END, \
             error = NULL, attempts = 0, next_attempt_at = NULL, delivered_seq = $2 \
             WHERE id = $3 AND delivered_seq < $2",
        )
        .bind(now_text())
        .bind(seq)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// A delivery failed and will be tried again at `next_attempt_at` (Unix
    /// milliseconds); `error` says why. Only while the subscription is on.
    pub async fn subscription_failed(
        &self,
        id: &str,
        attempts: u32,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE subscriptions SET version = version + 1, updated_at = $1, error = $2, \
             attempts = $3, next_attempt_at = $4 WHERE id = $5 AND status = 'active'",
        )
        .bind(now_text())
        .bind(error)
        .bind(i64::from(attempts))
        .bind(next_attempt_at)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Delivery gave up: the subscription goes to `error` with the reason.
    /// Its cursor stays at the undelivered event, so switching it back on
    /// resumes there. Only while the subscription is on (not if its owner
    /// switched it off meanwhile).
    pub async fn subscription_gave_up(&self, id: &str, error: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE subscriptions SET version = version + 1, updated_at = $1, status = 'error', \
             error = $2, attempts = 0, next_attempt_at = NULL WHERE id = $3 AND status = 'active'",
        )
        .bind(now_text())
        .bind(error)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NewUser, Write};
    use tiercare_core::access::UserRole;

    async fn store() -> (Store, tempdir::Dir) {
        let dir = tempdir::Dir::new();
        let url =
            crate::scratch::database_url(&format!("sqlite://{}", dir.0.join("t.db").display()))
                .await
                .unwrap();
        let s = Store::open(&url).await.unwrap();
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
        (s, dir)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                let d = std::env::temp_dir().join(format!(
                    "tiercare-subs-{}-{}",
                    std::process::id(),
                    crate::now_text()
                ));
                std::fs::create_dir_all(&d).unwrap();
                Dir(d)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn spec() -> SubscriptionSpec {
        SubscriptionSpec {
            criteria: "Task?status=requested".into(),
            reason: "test".into(),
            endpoint: "http://127.0.0.1:9/hook".into(),
            headers: vec!["Authorization: Bearer x".into()],
            payload: Some("application/fhir+json".into()),
            status: SubscriptionStatus::Active,
        }
    }

    async fn an_event(s: &Store, id: &str) {
        use tiercare_core::Record;
        use tiercare_core::network::{Gender, PersonName};
        use tiercare_core::resident::Resident;
        let record = Record::Resident(Resident {
            id: id.parse().unwrap(),
            region: "zx".parse().unwrap(),
            identifier: None,
            name: PersonName {
                family: "Wang".into(),
                given: "Hua".into(),
                pinyin: None,
            },
            gender: Gender::Female,
            birth_date: time::macros::date!(1950 - 01 - 01),
            district: None,
            phone: None,
            key_groups: vec![],
            contract: None,
        });
        s.write(
            Write {
                record,
                expect: crate::Expect::New,
                index: vec![],
                actor: "ann".into(),
                events: vec![],
                facts: Vec::new(),
            },
            None,
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_subscription_starts_after_the_last_event_and_its_cursor_only_moves_on() {
        let (s, _dir) = store().await;
        an_event(&s, "r1").await;
        let last = s.last_event_seq().await.unwrap();
        assert!(last > 0);
        let sub = s
            .add_subscription("s1", "ann", None, &spec())
            .await
            .unwrap();
        assert_eq!((sub.version, sub.delivered_seq), (1, last));
        assert_eq!(sub.spec, spec());
        assert!(matches!(
            s.add_subscription("s1", "ann", None, &spec()).await,
            Err(StoreError::AlreadyExists { .. })
        ));

        s.subscription_failed("s1", 1, 42, "HTTP 500")
            .await
            .unwrap();
        let failed = s.subscription("s1").await.unwrap().unwrap();
        assert_eq!(
            (failed.version, failed.attempts, failed.next_attempt_at),
            (2, 1, Some(42))
        );
        assert_eq!(failed.error.as_deref(), Some("HTTP 500"));
        s.subscription_done_with("s1", last + 1).await.unwrap();
        let done = s.subscription("s1").await.unwrap().unwrap();
        assert_eq!(
            (done.version, done.attempts, done.delivered_seq, done.error),
            (3, 0, last + 1, None)
        );
        // Never back.
        s.subscription_done_with("s1", last).await.unwrap();
        assert_eq!(
            s.subscription("s1").await.unwrap().unwrap().delivered_seq,
            last + 1
        );
    }

    #[tokio::test]
    async fn giving_up_stops_it_and_switching_it_on_again_resumes_at_the_cursor() {
        let (s, _dir) = store().await;
        let sub = s
            .add_subscription("s1", "ann", None, &spec())
            .await
            .unwrap();
        s.subscription_gave_up("s1", "no answer").await.unwrap();
        let gave_up = s.subscription("s1").await.unwrap().unwrap();
        assert_eq!(gave_up.spec.status, SubscriptionStatus::Error);
        assert_eq!(gave_up.error.as_deref(), Some("no answer"));
        // A stale version is refused.
        assert!(matches!(
            s.update_subscription("s1", Some(1), &spec()).await,
            Err(StoreError::VersionConflict { current: 2, .. })
        ));
        let again = s.update_subscription("s1", Some(2), &spec()).await.unwrap();
        assert_eq!(again.spec.status, SubscriptionStatus::Active);
        assert_eq!(
            (again.error, again.delivered_seq),
            (None, sub.delivered_seq)
        );
        // Switched off, the worker's failures no longer touch it.
        let mut off = spec();
        off.status = SubscriptionStatus::Off;
        s.update_subscription("s1", None, &off).await.unwrap();
        s.subscription_gave_up("s1", "late").await.unwrap();
        let still = s.subscription("s1").await.unwrap().unwrap();
        assert_eq!(
            (still.spec.status, still.error),
            (SubscriptionStatus::Off, None)
        );
        assert!(s.delete_subscription("s1").await.unwrap());
        assert!(!s.delete_subscription("s1").await.unwrap());
        assert!(s.subscriptions().await.unwrap().is_empty());
        assert!(matches!(
            s.update_subscription("s1", None, &spec()).await,
            Err(StoreError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn one_server_holds_a_delivery_lease_until_it_runs_out() {
        let (s, _dir) = store().await;
        s.add_subscription("s1", "ann", None, &spec())
            .await
            .unwrap();
        assert!(
            s.lease_subscription("s1", "a", 1_000, 31_000)
                .await
                .unwrap()
        );
        // Another server is kept out while the lease runs ...
        assert!(
            !s.lease_subscription("s1", "b", 2_000, 32_000)
                .await
                .unwrap()
        );
        // ... the holder renews it ...
        assert!(
            s.lease_subscription("s1", "a", 20_000, 50_000)
                .await
                .unwrap()
        );
        assert!(
            !s.lease_subscription("s1", "b", 40_000, 70_000)
                .await
                .unwrap()
        );
        // ... and once it has run out, another takes over.
        assert!(
            s.lease_subscription("s1", "b", 50_001, 80_000)
                .await
                .unwrap()
        );
        assert!(
            !s.lease_subscription("s1", "a", 60_000, 90_000)
                .await
                .unwrap()
        );
        // Given back, it is free at once.
        s.release_subscription("s1", "a").await.unwrap();
        assert!(
            !s.lease_subscription("s1", "a", 60_000, 90_000)
                .await
                .unwrap()
        );
        s.release_subscription("s1", "b").await.unwrap();
        assert!(
            s.lease_subscription("s1", "a", 60_000, 90_000)
                .await
                .unwrap()
        );
        // A lease is not a change of the subscription.
        assert_eq!(s.subscription("s1").await.unwrap().unwrap().version, 1);
    }
}
