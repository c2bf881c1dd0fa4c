//! User accounts and API tokens. Passwords arrive here already hashed
//! (argon2, by the service crate); tokens are stored as SHA-256 hashes so a
//! stolen database does not hand out sessions.
//!
//! A disabled account is kept (its audit trail names it) but is refused at
//! every door: the password lookup for signing in and the token lookup
//! both skip it, so its sessions stop working at the next request.

use crate::audit::{AuditEntry, insert_audit};
use crate::point_reads::UserRow;
use crate::{Store, StoreError, now_text};
use sqlx::Row;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::{InstitutionId, PractitionerId, ResidentId};

/// A user account to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: UserRole,
    pub institution: Option<InstitutionId>,
    pub practitioner: Option<PractitionerId>,
    pub resident: Option<ResidentId>,
}

/// A stored user account.
#[derive(Debug, Clone)]
pub struct User {
    pub actor: Actor,
    pub password_hash: String,
    /// Disabled accounts cannot sign in and their tokens are refused.
    pub disabled: bool,
    /// The page language the user chose (`zh-CN` or `en`), if any.
    pub lang: Option<String>,
}

/// A user account as an administrator lists it: everything but the
/// password hash, which nobody needs to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub actor: Actor,
    pub disabled: bool,
    pub lang: Option<String>,
}

impl From<User> for Account {
    fn from(u: User) -> Account {
        Account {
            actor: u.actor,
            disabled: u.disabled,
            lang: u.lang,
        }
    }
}

/// One change to an account (see [`Store::change_user`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    Role(UserRole),
    /// A new argon2 hash; the account's tokens end with the old password.
    PasswordHash(String),
    /// Disabling also ends the account's tokens.
    Disabled(bool),
    Lang(Option<String>),
}

fn parse_opt<T: std::str::FromStr>(v: Option<String>) -> Option<T> {
    v.and_then(|s| s.parse().ok())
}

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    user_from(UserRow {
        username: r.try_get("username")?,
        password_hash: r.try_get("password_hash")?,
        role: r.try_get("role")?,
        institution: r.try_get("institution")?,
        practitioner: r.try_get("practitioner")?,
        resident: r.try_get("resident")?,
        disabled: r.try_get("disabled")?,
        lang: r.try_get("lang")?,
    })
}

fn user_from(r: UserRow) -> Result<User, StoreError> {
    let role = UserRole::from_code(&r.role)
        .ok_or_else(|| StoreError::Corrupt("user".into(), format!("unknown role {}", r.role)))?;
    Ok(User {
        password_hash: r.password_hash,
        disabled: r.disabled != 0,
        lang: r.lang,
        actor: Actor {
            username: r.username,
            role,
            institution: parse_opt(r.institution),
            practitioner: parse_opt(r.practitioner),
            resident: parse_opt(r.resident),
        },
    })
}

impl Store {
    /// Creates a user; fails with [`StoreError::UserExists`] if the name is
    /// taken.
    pub async fn add_user(&self, u: &NewUser) -> Result<(), StoreError> {
        self.add_user_audited(u, &[]).await
    }

    /// Creates a user and writes `audit` in the same transaction, so an
    /// account never exists without the entry saying who made it.
    pub async fn add_user_audited(
        &self,
        u: &NewUser,
        audit: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "INSERT INTO users (username, password_hash, role, institution, practitioner, resident, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING",
        )
        .bind(&u.username)
        .bind(&u.password_hash)
        .bind(u.role.code())
        .bind(u.institution.as_ref().map(|v| v.to_string()))
        .bind(u.practitioner.as_ref().map(|v| v.to_string()))
        .bind(u.resident.as_ref().map(|v| v.to_string()))
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::UserExists(u.username.clone()));
        }
        insert_audit(&mut *tx, &self.region, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every account, by username.
    pub async fn list_users(&self) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY username")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| user_from_row(r).map(Account::from))
            .collect()
    }

    /// Changes an account and writes `audit` in the same transaction; fails
    /// with [`StoreError::NotFound`] for an unknown username. A new password
    /// or disabling ends every token the account holds.
    pub async fn change_user(
        &self,
        username: &str,
        change: &UserChange,
        audit: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let query = match change {
            UserChange::Role(role) => {
                sqlx::query("UPDATE users SET role = $1 WHERE username = $2").bind(role.code())
            }
            UserChange::PasswordHash(hash) => {
                sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
                    .bind(hash.as_str())
            }
            UserChange::Disabled(d) => {
                sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2")
                    .bind(i64::from(*d))
            }
            UserChange::Lang(lang) => {
                sqlx::query("UPDATE users SET lang = $1 WHERE username = $2").bind(lang.clone())
            }
        };
        let res = query.bind(username).execute(&mut *tx).await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                resource_type: "User".into(),
                id: username.to_string(),
            });
        }
        if matches!(
            change,
            UserChange::PasswordHash(_) | UserChange::Disabled(true)
        ) {
            sqlx::query("DELETE FROM tokens WHERE username = $1")
                .bind(username)
                .execute(&mut *tx)
                .await?;
        }
        insert_audit(&mut *tx, &self.region, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Looks a user up by name, enabled or not (administration, and the
    /// audit of a subscription's owner).
    pub async fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The account that may sign in under this name: `None` when there is
    /// none or it is disabled.
    pub async fn enabled_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE username = $1 AND disabled = 0")
            .bind(username)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Stores a token hash for a user until `expires_at` (Unix seconds).
    /// `site` is the institution the holder works at under this token when
    /// it is not their account's own (multi-site practice): the token's
    /// lookups then give it as the actor's institution.
    pub async fn add_token(
        &self,
        token_hash: &str,
        username: &str,
        expires_at: i64,
        site: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM tokens WHERE expires_at < $1")
            .bind(expires_at - 7 * 24 * 3600)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO tokens (token_hash, username, expires_at, site) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(username)
        .bind(expires_at)
        .bind(site)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a token at once (sign-out, revocation); whether it existed.
    pub async fn revoke_token(&self, token_hash: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM tokens WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// The user a token hash belongs to, if the token has not expired at
    /// `now` (Unix seconds) and the account is not disabled; the actor's
    /// institution is the token's site when it has one. Asked on every
    /// request and never cached, so an account disabled by any server or by
    /// the console is refused at once everywhere.
    pub async fn user_by_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<User>, StoreError> {
        if let Some(reads) = &self.point_reads {
            return reads
                .user_by_token(token_hash, now)?
                .map(user_from)
                .transpose();
        }
        let row = sqlx::query(
            "SELECT u.username, u.password_hash, u.role, \
             COALESCE(t.site, u.institution) AS institution, u.practitioner, u.resident, \
             u.disabled, u.lang FROM tokens t JOIN users u ON u.username = t.username \
             WHERE t.token_hash = $1 AND t.expires_at > $2 AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuditOutcome, AuditQuery};

    async fn store_with(username: &str) -> Store {
        let url = crate::scratch::database_url("sqlite::memory:")
            .await
            .unwrap();
        let s = Store::open(&url).await.unwrap();
        s.add_user(&NewUser {
            username: username.into(),
            password_hash: "hash".into(),
            role: UserRole::Doctor,
            institution: Some("tc1".parse().unwrap()),
            practitioner: None,
            resident: None,
        })
        .await
        .unwrap();
        s
    }

    fn entry(detail: &str) -> AuditEntry {
        AuditEntry {
            seq: 0,
            recorded_at: String::new(),
            username: "admin".into(),
            role: "admin".into(),
            action: "update".into(),
            resource_type: "User".into(),
            resource_id: Some("ann".into()),
            patient: None,
            outcome: AuditOutcome::Success,
            detail: detail.into(),
        }
    }

    #[tokio::test]
    async fn a_token_with_a_site_acts_at_that_institution_and_one_without_at_home() {
        let s = store_with("ann").await;
        s.add_token("home", "ann", i64::MAX, None).await.unwrap();
        s.add_token("away", "ann", i64::MAX, Some("tc2"))
            .await
            .unwrap();
        let home = s.user_by_token("home", 0).await.unwrap().unwrap();
        let away = s.user_by_token("away", 0).await.unwrap().unwrap();
        assert_eq!(home.actor.institution, Some("tc1".parse().unwrap()));
        assert_eq!(away.actor.institution, Some("tc2".parse().unwrap()));
        // The account itself keeps its own institution.
        let kept = s.user("ann").await.unwrap().unwrap();
        assert_eq!(kept.actor.institution, Some("tc1".parse().unwrap()));
    }

    #[tokio::test]
    async fn a_disabled_account_loses_its_tokens_and_cannot_sign_in() {
        let s = store_with("ann").await;
        s.add_token("t1", "ann", i64::MAX, None).await.unwrap();
        assert!(s.user_by_token("t1", 0).await.unwrap().is_some());
        assert!(s.enabled_user("ann").await.unwrap().is_some());

        s.change_user("ann", &UserChange::Disabled(true), &[entry("disabled")])
            .await
            .unwrap();
        assert!(s.user_by_token("t1", 0).await.unwrap().is_none());
        assert!(s.enabled_user("ann").await.unwrap().is_none());
        let kept = s.user("ann").await.unwrap().unwrap();
        assert!(kept.disabled, "the account is kept, marked disabled");

        // A token issued while disabled (a race with sign-in) is refused too.
        s.add_token("t2", "ann", i64::MAX, None).await.unwrap();
        assert!(s.user_by_token("t2", 0).await.unwrap().is_none());

        s.change_user("ann", &UserChange::Disabled(false), &[])
            .await
            .unwrap();
        assert!(s.enabled_user("ann").await.unwrap().is_some());
        assert!(s.user_by_token("t2", 0).await.unwrap().is_some());

        let (trail, _) = s
            .audit_search(&AuditQuery {
                count: 10,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].detail, "disabled");
    }

    #[tokio::test]
    async fn lang_role_and_password_round_trip() {
        let s = store_with("ann").await;
        assert_eq!(s.user("ann").await.unwrap().unwrap().lang, None);
        s.change_user("ann", &UserChange::Lang(Some("zh-CN".into())), &[])
            .await
            .unwrap();
        assert_eq!(
            s.user("ann").await.unwrap().unwrap().lang.as_deref(),
            Some("zh-CN")
        );
        s.change_user("ann", &UserChange::Lang(None), &[])
            .await
            .unwrap();
        assert_eq!(s.user("ann").await.unwrap().unwrap().lang, None);

        s.change_user("ann", &UserChange::Role(UserRole::Coordinator), &[])
            .await
            .unwrap();
        s.add_token("t1", "ann", i64::MAX, None).await.unwrap();
        s.change_user("ann", &UserChange::PasswordHash("new".into()), &[])
            .await
            .unwrap();
        let ann = s.user("ann").await.unwrap().unwrap();
        assert_eq!(ann.actor.role, UserRole::Coordinator);
        assert_eq!(ann.password_hash, "new");
        assert!(
            s.user_by_token("t1", 0).await.unwrap().is_none(),
            "a new password ends the old sessions"
        );

        let listed = s.list_users().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].actor.username, "ann");
        assert!(!listed[0].disabled);
    }

    #[tokio::test]
    async fn changing_an_unknown_account_is_not_found_and_leaves_no_audit() {
        let s = store_with("ann").await;
        let err = s
            .change_user("bob", &UserChange::Disabled(true), &[entry("disabled")])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        let (trail, _) = s
            .audit_search(&AuditQuery {
                count: 10,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert!(trail.is_empty());
    }
}
