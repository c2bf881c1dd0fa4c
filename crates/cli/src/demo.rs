//! Loading the bundled demo county through the registry service, so it
//! obeys exactly the rules an import would.

use crate::users::{UserSpec, add_user};
use anyhow::Context;
use tiercare_api::AppState;
use tiercare_api::registry::Registry;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::demo::{DemoCounty, DemoUser};
use tiercare_store::{Expect, StoreError};

/// What the demo load did.
#[derive(Debug)]
pub struct Loaded {
    /// Records written; 0 when the database already held the demo county.
    pub records: usize,
    pub users: Vec<DemoUser>,
}

/// Loads the demo county (once: a database that has it already is left
/// alone) and creates the demo users that do not exist yet.
pub async fn load(state: &AppState, county: &DemoCounty) -> anyhow::Result<Loaded> {
    let loader = Actor {
        username: "demo-loader".into(),
        role: UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    };
    let first = county
        .records
        .first()
        .context("the demo county has no records")?;
    let present = state
        .store
        .get(first.resource_type(), first.id())
        .await?
        .is_some();
    let mut written = 0;
    if !present {
        let batch = county
            .records
            .iter()
            .map(|r| (r.clone(), Expect::New))
            .collect();
        written = Registry::new(state, &loader)
            .write_batch(batch, "demo county load")
            .await
            .map_err(|e| anyhow::anyhow!("loading the demo county: {e}"))?
            .len();
    }
    for u in &county.users {
        let spec = UserSpec {
            username: u.username.clone(),
            password: u.password.clone(),
            role: u.role.code().to_string(),
            institution: u.institution.as_ref().map(|v| v.to_string()),
            practitioner: u.practitioner.as_ref().map(|v| v.to_string()),
            resident: u.resident.as_ref().map(|v| v.to_string()),
        };
        match add_user(&state.store, &spec).await {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.downcast_ref::<StoreError>(),
                    Some(StoreError::UserExists(_))
                ) => {}
            Err(e) => return Err(e.context(format!("creating demo user {}", u.username))),
        }
    }
    Ok(Loaded {
        records: written,
        users: county.users.clone(),
    })
}
