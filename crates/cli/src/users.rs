//! Managing user accounts from the command line, through the user
//! service: the same checks and the same audit trail as any other face.
//!
//! Whoever runs the binary against the database is its operator, so the
//! commands act as an administrator named [`CONSOLE`] in the audit trail.

use anyhow::Context as _;
use std::io::BufRead;
use tiercare_core::access::{Actor, UserRole};
use tiercare_service::users::{NewAccount, Users};
use tiercare_service::{Context, ServiceError};
use tiercare_store::Account;

/// The name the command line's changes are audited under.
pub const CONSOLE: &str = "console";

/// A user to add, as given on the command line.
#[derive(Debug, Clone)]
pub struct UserSpec {
    pub username: String,
    pub password: String,
    pub role: String,
    pub institution: Option<String>,
    pub practitioner: Option<String>,
    pub resident: Option<String>,
}

/// The operator at the console: an administrator.
pub fn console() -> Actor {
    Actor {
        username: CONSOLE.into(),
        role: UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    }
}

/// Checks a user spec against the registry and stores the account, as
/// `operator` (the console, or the demo loader).
pub async fn add_user(
    ctx: &Context,
    operator: &Actor,
    spec: &UserSpec,
) -> Result<Account, ServiceError> {
    Users::new(ctx, operator)
        .add(NewAccount {
            username: spec.username.clone(),
            password: spec.password.clone(),
            role: spec.role.clone(),
            institution: spec.institution.clone(),
            practitioner: spec.practitioner.clone(),
            resident: spec.resident.clone(),
        })
        .await
}

/// A `tiercare user` command other than `add`.
#[derive(Debug, Clone)]
pub enum Change {
    Role(String),
    Disable,
    Enable,
    Password(String),
}

/// Applies a change to an account and says what was done.
pub async fn change(ctx: &Context, username: &str, change: Change) -> anyhow::Result<String> {
    let operator = console();
    let users = Users::new(ctx, &operator);
    let done = match change {
        Change::Role(role) => {
            let a = users.change_role(username, &role).await.map_err(explain)?;
            format!("{username} is now {}", a.actor.role)
        }
        Change::Disable => {
            users.disable(username).await.map_err(explain)?;
            format!("disabled {username}: signed out everywhere, cannot sign in")
        }
        Change::Enable => {
            users.enable(username).await.map_err(explain)?;
            format!("enabled {username}")
        }
        Change::Password(p) => {
            users.reset_password(username, &p).await.map_err(explain)?;
            format!("set a new password for {username}; their sessions have ended")
        }
    };
    Ok(done)
}

/// Every account, one a line: name, role, links, state and language.
pub async fn list(ctx: &Context) -> anyhow::Result<String> {
    let operator = console();
    let accounts = Users::new(ctx, &operator).list().await.map_err(explain)?;
    let mut out = String::new();
    for a in accounts {
        let links: Vec<String> = [
            a.actor
                .institution
                .as_ref()
                .map(|i| format!("Organization/{i}")),
            a.actor
                .practitioner
                .as_ref()
                .map(|p| format!("Practitioner/{p}")),
            a.actor.resident.as_ref().map(|r| format!("Patient/{r}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            a.actor.username,
            a.actor.role,
            if links.is_empty() {
                "-".to_string()
            } else {
                links.join(" ")
            },
            if a.disabled { "disabled" } else { "enabled" },
            a.lang.as_deref().unwrap_or("-"),
        ));
    }
    Ok(out)
}

/// The password given with `--password`, or else the first line of
/// standard input (so it need not appear in the shell's history).
pub fn password_from(flag: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = flag {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        anyhow::bail!("give the password with --password or on standard input");
    }
    Ok(password)
}

/// A service error as the command line shows it: the option at fault
/// first, so the operator knows what to fix.
pub fn explain(e: ServiceError) -> anyhow::Error {
    match e.field() {
        Some(field) => anyhow::anyhow!("--{field}: {e}"),
        None => anyhow::anyhow!("{e}"),
    }
}
