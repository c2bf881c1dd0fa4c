//! User accounts and API tokens. Passwords arrive here already hashed
//! (argon2, by the API crate); tokens are stored as SHA-256 hashes so a
//! stolen database does not hand out sessions.

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
}

fn parse_opt<T: std::str::FromStr>(v: Option<String>) -> Option<T> {
    v.and_then(|s| s.parse().ok())
}

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = r.try_get("role")?;
    let username: String = r.try_get("username")?;
    let role = UserRole::from_code(&role)
        .ok_or_else(|| StoreError::Corrupt("user".into(), format!("unknown role {role}")))?;
    Ok(User {
        password_hash: r.try_get("password_hash")?,
        actor: Actor {
            username,
            role,
            institution: parse_opt(r.try_get("institution")?),
            practitioner: parse_opt(r.try_get("practitioner")?),
            resident: parse_opt(r.try_get("resident")?),
        },
    })
}

impl Store {
    /// Creates a user; fails with [`StoreError::UserExists`] if the name is
    /// taken.
    pub async fn add_user(&self, u: &NewUser) -> Result<(), StoreError> {
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
        .execute(&self.write)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::UserExists(u.username.clone()));
        }
        Ok(())
    }

    /// Looks a user up by name.
    pub async fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Stores a token hash for a user until `expires_at` (Unix seconds).
    pub async fn add_token(
        &self,
        token_hash: &str,
        username: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM tokens WHERE expires_at < $1")
            .bind(expires_at - 7 * 24 * 3600)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO tokens (token_hash, username, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(username)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user a token hash belongs to, if the token has not expired at
    /// `now` (Unix seconds).
    pub async fn user_by_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT u.* FROM tokens t JOIN users u ON u.username = t.username \
             WHERE t.token_hash = $1 AND t.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}
