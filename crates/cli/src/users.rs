//! Managing user accounts from the command line.

use anyhow::{Context, bail};
use tiercare_api::auth::hash_password;
use tiercare_core::Record;
use tiercare_core::access::UserRole;
use tiercare_store::{NewUser, Store};

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

/// Checks a user spec against the registry and stores the account.
pub async fn add_user(store: &Store, spec: &UserSpec) -> anyhow::Result<()> {
    let role = UserRole::from_code(&spec.role).with_context(|| {
        let known: Vec<_> = UserRole::ALL.iter().map(|r| r.code()).collect();
        format!(
            "unknown role {:?}: use one of {}",
            spec.role,
            known.join(", ")
        )
    })?;
    if spec.username.trim().is_empty() || spec.username.len() > 64 {
        bail!("username must be 1-64 characters");
    }
    if spec.password.chars().count() < 8 {
        bail!("password must be at least 8 characters");
    }
    if let Some(i) = &spec.institution {
        match store.get("Organization", i).await? {
            Some(s) if matches!(s.record, Record::Institution(_)) => {}
            _ => bail!("institution Organization/{i} does not exist"),
        }
    }
    if let Some(p) = &spec.practitioner
        && store.get("Practitioner", p).await?.is_none()
    {
        bail!("practitioner Practitioner/{p} does not exist");
    }
    if let Some(r) = &spec.resident
        && store.get("Patient", r).await?.is_none()
    {
        bail!("resident Patient/{r} does not exist");
    }
    if role == UserRole::Resident && spec.resident.is_none() {
        bail!("a resident account needs --resident PATIENT_ID");
    }
    if matches!(role, UserRole::Doctor | UserRole::Coordinator) && spec.institution.is_none() {
        bail!(
            "a {} account needs --institution ORGANIZATION_ID: access follows the institution",
            role.code()
        );
    }
    let parse = |v: &Option<String>, what: &str| -> anyhow::Result<Option<String>> {
        match v {
            Some(s) => {
                tiercare_core::check_id(s).with_context(|| format!("--{what}"))?;
                Ok(Some(s.clone()))
            }
            None => Ok(None),
        }
    };
    let user = NewUser {
        username: spec.username.clone(),
        password_hash: hash_password(&spec.password)?,
        role,
        institution: parse(&spec.institution, "institution")?
            .map(|s| s.parse())
            .transpose()?,
        practitioner: parse(&spec.practitioner, "practitioner")?
            .map(|s| s.parse())
            .transpose()?,
        resident: parse(&spec.resident, "resident")?
            .map(|s| s.parse())
            .transpose()?,
    };
    store.add_user(&user).await?;
    Ok(())
}
