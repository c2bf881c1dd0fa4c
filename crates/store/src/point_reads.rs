//! The two reads every request makes, on SQLite, without a thread
//! hand-off: a record by its key, and the user behind a token.
//!
//! Through sqlx each read is handed to its connection's thread and the
//! answer handed back, two thread wake-ups that cost more than the read
//! itself (a few B-tree pages). A referral step reads records four to five
//! times and its token once. These reads run on the asking task's thread,
//! on connections of their own to the same file: a WAL reader never waits
//! for the writer, so the thread is held only for the read. Every other
//! read (searches, history, the indicators) still goes through the read
//! pool.

use crate::StoreError;
use crate::direct::{connect, store_error};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Idle connections kept: about the request workers that may read at once.
const KEPT: usize = 8;

/// Connections for point reads, taken by one read at a time.
#[derive(Debug)]
pub(crate) struct PointReads {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// A record's stored columns: version, last write, body.
pub(crate) type RecordRow = (i64, String, String);

/// A user's stored columns, in `users`' order of the fields `User` needs.
pub(crate) struct UserRow {
    pub(crate) username: String,
    pub(crate) password_hash: String,
    pub(crate) role: String,
    pub(crate) institution: Option<String>,
    pub(crate) practitioner: Option<String>,
    pub(crate) resident: Option<String>,
    pub(crate) disabled: i64,
    pub(crate) lang: Option<String>,
}

impl PointReads {
    /// Point reads on the (created and migrated) database at `path`;
    /// connections open when first needed.
    pub(crate) fn new(path: &Path) -> PointReads {
        PointReads {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on an idle connection, or a new one.
    fn with<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(c) => c,
            None => {
                let c = connect(&self.path)?;
                c.execute_batch("PRAGMA query_only = ON;")
                    .map_err(store_error)?;
                c
            }
        };
        let out = read(&conn).map_err(store_error);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEPT
        {
            idle.push(conn);
        }
        out
    }

    /// The current version of a record.
    pub(crate) fn record(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<RecordRow>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT version, updated_at, body FROM records WHERE resource_type = ?1 AND id = ?2",
            )?;
            let mut rows = stmt.query((resource_type, id))?;
            match rows.next()? {
                Some(r) => Ok(Some((r.get(0)?, r.get(1)?, r.get(2)?))),
                None => Ok(None),
            }
        })
    }

    /// The enabled user a live token belongs to (see
    /// [`Store::user_by_token`](crate::Store::user_by_token)).
    pub(crate) fn user_by_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<UserRow>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT u.username, u.password_hash, u.role, COALESCE(t.site, u.institution), \
                 u.practitioner, \
                 u.resident, u.disabled, u.lang FROM tokens t JOIN users u ON u.username = t.username \
                 WHERE t.token_hash = ?1 AND t.expires_at > ?2 AND u.disabled = 0",
            )?;
            let mut rows = stmt.query((token_hash, now))?;
            match rows.next()? {
                Some(r) => Ok(Some(UserRow {
                    username: r.get(0)?,
                    password_hash: r.get(1)?,
                    role: r.get(2)?,
                    institution: r.get(3)?,
                    practitioner: r.get(4)?,
                    resident: r.get(5)?,
                    disabled: r.get(6)?,
                    lang: r.get(7)?,
                })),
                None => Ok(None),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::records::tests::{resident, store, write};
    use crate::{Expect, NewUser, UserChange};
    use tiercare_core::access::UserRole;

    #[tokio::test]
    async fn point_reads_see_every_commit_and_every_disabled_account() {
        let (s, _dir) = store().await;
        // SQLite on disk reads by key without a hand-off; PostgreSQL
        // through its pool.
        assert_eq!(s.point_reads.is_some(), !crate::scratch::on_postgres());
        assert!(s.get("Patient", "r1").await.unwrap().is_none());
        s.write(write(resident("r1", "Ma", None), Expect::New), None)
            .await
            .unwrap();
        let first = s.get("Patient", "r1").await.unwrap().unwrap();
        assert_eq!(first.version, 1);
        // The same (kept) connection sees the next commit.
        s.write(write(resident("r1", "Li", None), Expect::Version(1)), None)
            .await
            .unwrap();
        let second = s.get("Patient", "r1").await.unwrap().unwrap();
        assert_eq!(second.version, 2);
        assert_ne!(first.updated_at, "");

        s.add_user(&NewUser {
            username: "ann".into(),
            password_hash: "hash".into(),
            role: UserRole::Doctor,
            institution: Some("tc1".parse().unwrap()),
            practitioner: Some("pr1".parse().unwrap()),
            resident: None,
        })
        .await
        .unwrap();
        s.add_token("t1", "ann", 100, None).await.unwrap();
        let user = s.user_by_token("t1", 0).await.unwrap().unwrap();
        assert_eq!(user.actor.role, UserRole::Doctor);
        assert_eq!(
            user.actor.practitioner.map(|p| p.to_string()).as_deref(),
            Some("pr1")
        );
        assert!(
            s.user_by_token("t1", 100).await.unwrap().is_none(),
            "expired"
        );
        assert!(s.user_by_token("t0", 0).await.unwrap().is_none(), "unknown");
        s.change_user("ann", &UserChange::Disabled(true), &[])
            .await
            .unwrap();
        assert!(
            s.user_by_token("t1", 0).await.unwrap().is_none(),
            "disabled"
        );
    }
}
