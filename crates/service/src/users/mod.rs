//! User administration: the accounts people sign in with, and the page
//! language each user chose.
//!
//! Administrators list, add and change accounts (role, password, disabled
//! or not); every user sets their own language. Every change is written to
//! the audit trail in the same transaction as the change, and every refusal
//! of a non-administrator is audited as denied, as the registry does for
//! patient data: who may act on the platform is as sensitive as what they
//! may see.
//!
//! Passwords arrive in clear and are hashed here ([`password`]), so the
//! minimum length is checked in one place whatever face the password came
//! in by (the command line, the pages).

pub mod password;
pub mod site;

pub use password::{MIN_PASSWORD_CHARS, PasswordHash, hash_password, verify_password};

use crate::{Context, ServiceError};
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_store::{Account, AuditEntry, AuditOutcome, NewUser, UserChange};

/// The page languages a user may choose: Chinese (the default of a
/// Chinese deployment) and English.
pub const LANGS: &[&str] = &["zh-CN", "en"];

/// The longest username; names are shown in the pages and the audit trail.
pub const MAX_USERNAME_CHARS: usize = 64;

/// The audit trail's resource type for an account.
const USER: &str = "User";

/// An account to add, as a face received it: the role as its code and the
/// links as ids, checked here.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub role: String,
    pub institution: Option<String>,
    pub practitioner: Option<String>,
    pub resident: Option<String>,
}

/// The user accounts as seen by one caller.
pub struct Users<'a> {
    ctx: &'a Context,
    actor: &'a Actor,
}

impl<'a> Users<'a> {
    pub fn new(ctx: &'a Context, actor: &'a Actor) -> Self {
        Users { ctx, actor }
    }

    /// Every account, by username (administrators).
    pub async fn list(&self) -> Result<Vec<Account>, ServiceError> {
        self.admin_only("search", None).await?;
        Ok(self.ctx.store.list_users().await?)
    }

    /// The caller's own account, for the language they chose.
    pub async fn me(&self) -> Result<Account, ServiceError> {
        self.account(&self.actor.username).await
    }

    /// Adds an account (administrators). The role must be known, a doctor
    /// or coordinator works at an institution of the registry (access
    /// follows it), a resident account names its resident, and the password
    /// has at least [`MIN_PASSWORD_CHARS`] characters.
    pub async fn add(&self, new: NewAccount) -> Result<Account, ServiceError> {
        self.admin_only("create", Some(&new.username)).await?;
        check_username(&new.username)?;
        let role = role_of(&new.role)?;
        let actor = Actor {
            username: new.username.clone(),
            role,
            institution: parse_link(new.institution.as_deref(), "institution")?,
            practitioner: parse_link(new.practitioner.as_deref(), "practitioner")?,
            resident: parse_link(new.resident.as_deref(), "resident")?,
        };
        check_links_fit(&actor)?;
        self.check_links_exist(&actor).await?;
        let hash = password::hash_new(&new.password).await?;
        let user = NewUser {
            username: actor.username.clone(),
            password_hash: hash.into_string(),
            role,
            institution: actor.institution.clone(),
            practitioner: actor.practitioner.clone(),
            resident: actor.resident.clone(),
        };
        let entry = self.entry("create", &actor.username, format!("added as {role}"));
        self.ctx.store.add_user_audited(&user, &[entry]).await?;
        Ok(Account {
            actor,
            disabled: false,
            lang: None,
        })
    }

    /// Gives an account another role (administrators). The account's links
    /// must fit the new role (a doctor needs an institution, a resident
    /// their record). Administrators do not change their own role, so the
    /// platform is never left without one by mistake.
    pub async fn change_role(&self, username: &str, role: &str) -> Result<Account, ServiceError> {
        self.admin_only("update", Some(username)).await?;
        let role = role_of(role)?;
        self.not_myself(username, "change your own role")?;
        let mut account = self.account(username).await?;
        let before = account.actor.role;
        account.actor.role = role;
        check_links_fit(&account.actor)?;
        let detail = format!("role {before} -> {role}");
        self.change(username, UserChange::Role(role), detail)
            .await?;
        Ok(account)
    }

    /// Disables an account (administrators): it cannot sign in and every
    /// token or page session it holds stops working at once. The account
    /// is kept, since the audit trail names it. Administrators do not
    /// disable themselves.
    pub async fn disable(&self, username: &str) -> Result<Account, ServiceError> {
        self.set_disabled(username, true).await
    }

    /// Enables a disabled account again (administrators).
    pub async fn enable(&self, username: &str) -> Result<Account, ServiceError> {
        self.set_disabled(username, false).await
    }

    /// Sets a new password (administrators); the account's tokens end, so
    /// whoever knew the old password is signed out.
    pub async fn reset_password(&self, username: &str, password: &str) -> Result<(), ServiceError> {
        self.admin_only("update", Some(username)).await?;
        let hash = password::hash_new(password).await?;
        self.change(
            username,
            UserChange::PasswordHash(hash.into_string()),
            "password reset".into(),
        )
        .await
    }

    /// Sets the caller's own page language (one of [`LANGS`]), or clears it
    /// with `None` to follow the deployment's default.
    pub async fn set_lang(&self, lang: Option<&str>) -> Result<Account, ServiceError> {
        if let Some(l) = lang
            && !LANGS.contains(&l)
        {
            return Err(ServiceError::invalid(
                "lang",
                format!(
                    "{l:?} is not a language of the pages: use {}",
                    LANGS.join(" or ")
                ),
            ));
        }
        let me = self.actor.username.clone();
        let detail = format!("lang {}", lang.unwrap_or("default"));
        self.change(&me, UserChange::Lang(lang.map(str::to_string)), detail)
            .await?;
        self.account(&me).await
    }

    async fn set_disabled(&self, username: &str, disabled: bool) -> Result<Account, ServiceError> {
        self.admin_only("update", Some(username)).await?;
        if disabled {
            self.not_myself(username, "disable your own account")?;
        }
        let mut account = self.account(username).await?;
        let detail = if disabled { "disabled" } else { "enabled" };
        self.change(username, UserChange::Disabled(disabled), detail.into())
            .await?;
        account.disabled = disabled;
        Ok(account)
    }

    /// Writes one change with its audit entry.
    async fn change(
        &self,
        username: &str,
        change: UserChange,
        detail: String,
    ) -> Result<(), ServiceError> {
        let entry = self.entry("update", username, detail);
        self.ctx
            .store
            .change_user(username, &change, &[entry])
            .await
            .map_err(|e| match e {
                tiercare_store::StoreError::NotFound { .. } => not_found(username),
                e => e.into(),
            })
    }

    async fn account(&self, username: &str) -> Result<Account, ServiceError> {
        match self.ctx.store.user(username).await? {
            Some(u) => Ok(u.into()),
            None => Err(not_found(username)),
        }
    }

    /// Refuses, and audits as denied, anyone but an administrator.
    async fn admin_only(&self, action: &str, username: Option<&str>) -> Result<(), ServiceError> {
        if self.actor.role == UserRole::Admin {
            return Ok(());
        }
        let err = ServiceError::Forbidden("only administrators manage user accounts".into());
        let mut entry = self.entry(action, username.unwrap_or_default(), err.to_string());
        entry.resource_id = username.map(str::to_string);
        entry.outcome = AuditOutcome::Denied;
        self.ctx.store.audit(&[entry]).await?;
        Err(err)
    }

    fn not_myself(&self, username: &str, what: &str) -> Result<(), ServiceError> {
        if username == self.actor.username {
            return Err(ServiceError::invalid(
                "username",
                format!("you cannot {what}; another administrator can"),
            ));
        }
        Ok(())
    }

    fn entry(&self, action: &str, username: &str, detail: String) -> AuditEntry {
        AuditEntry {
            seq: 0,
            recorded_at: String::new(),
            username: self.actor.username.clone(),
            role: self.actor.role.code().to_string(),
            action: action.to_string(),
            resource_type: USER.into(),
            resource_id: Some(username.to_string()),
            patient: None,
            outcome: AuditOutcome::Success,
            detail,
        }
    }

    /// The records an account links to exist: its institution is an
    /// institution, its practitioner and resident are registered.
    async fn check_links_exist(&self, actor: &Actor) -> Result<(), ServiceError> {
        let store = &self.ctx.store;
        if let Some(i) = &actor.institution {
            match store.get("Organization", i.as_str()).await? {
                Some(s) if matches!(s.record, Record::Institution(_)) => {}
                _ => {
                    return Err(ServiceError::invalid(
                        "institution",
                        format!("institution Organization/{i} does not exist"),
                    ));
                }
            }
        }
        if let Some(p) = &actor.practitioner
            && store.get("Practitioner", p.as_str()).await?.is_none()
        {
            return Err(ServiceError::invalid(
                "practitioner",
                format!("practitioner Practitioner/{p} does not exist"),
            ));
        }
        if let Some(r) = &actor.resident
            && store.get("Patient", r.as_str()).await?.is_none()
        {
            return Err(ServiceError::invalid(
                "resident",
                format!("resident Patient/{r} does not exist"),
            ));
        }
        Ok(())
    }
}

fn not_found(username: &str) -> ServiceError {
    ServiceError::NotFound(format!("there is no user {username:?}"))
}

fn role_of(code: &str) -> Result<UserRole, ServiceError> {
    UserRole::from_code(code).ok_or_else(|| {
        let known: Vec<_> = UserRole::ALL.iter().map(|r| r.code()).collect();
        ServiceError::invalid(
            "role",
            format!("unknown role {code:?}: use one of {}", known.join(", ")),
        )
    })
}

/// A username is shown in pages and the audit trail and typed at sign-in:
/// 1 to 64 characters, no spaces around it, no control characters.
fn check_username(name: &str) -> Result<(), ServiceError> {
    let ok = !name.trim().is_empty()
        && name.trim() == name
        && name.chars().count() <= MAX_USERNAME_CHARS
        && !name.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "username",
            format!(
                "a username has 1 to {MAX_USERNAME_CHARS} characters, no spaces around it and no control characters"
            ),
        ))
    }
}

fn parse_link<T: std::str::FromStr>(
    v: Option<&str>,
    field: &str,
) -> Result<Option<T>, ServiceError> {
    v.map(|s| {
        s.parse()
            .map_err(|_| ServiceError::invalid(field, format!("{s:?} is not a valid id")))
    })
    .transpose()
}

/// What a role needs to mean anything: access of doctors and coordinators
/// follows their institution, a resident account is one resident's.
fn check_links_fit(actor: &Actor) -> Result<(), ServiceError> {
    match actor.role {
        UserRole::Resident if actor.resident.is_none() => Err(ServiceError::invalid(
            "resident",
            "a resident account names its resident (Patient id)",
        )),
        UserRole::Doctor | UserRole::Coordinator if actor.institution.is_none() => {
            Err(ServiceError::invalid(
                "institution",
                format!(
                    "a {} account works at an institution (Organization id): access follows it",
                    actor.role
                ),
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
