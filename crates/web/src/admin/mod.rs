//! The administrator's pages: the registry (institutions, alliances,
//! family-doctor teams, practitioners), the users and the audit trail.
//!
//! Only administrators reach them; the lists come from the same registry
//! service the FHIR API uses, and the audit trail through its service.

mod audit;
mod registry;
mod users;

use crate::chrome::home;
use crate::session::Viewer;
use crate::{UiError, Workplace};
use axum::Router;
use axum::routing::{get, post};
use tiercare_api::AppState;

/// The registry lists, by kind.
pub const REGISTRY_PATH: &str = "/ui/admin/registry";
/// The audit trail.
pub const AUDIT_PATH: &str = "/ui/admin/audit";
/// The user accounts.
pub const USERS_PATH: &str = "/ui/admin/users";

/// The administrator's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(home::ADMIN, get(registry::home))
        .route(REGISTRY_PATH, get(registry::page))
        .route(AUDIT_PATH, get(audit::page))
        .route(USERS_PATH, get(users::page).post(users::add))
        .route("/ui/admin/users/{name}/{change}", post(users::change))
}

/// Refuses anyone but an administrator.
fn admin(viewer: &Viewer) -> Result<(), UiError> {
    if viewer.workplace == Workplace::Admin {
        Ok(())
    } else {
        Err(UiError::Forbidden)
    }
}

/// The tabs every administrator page shows.
pub struct Tab {
    pub href: String,
    pub label: String,
    pub current: bool,
}

fn tabs(viewer: &Viewer, current: &str) -> Vec<Tab> {
    let lang = viewer.lang;
    [
        (home::ADMIN.to_string(), "admin-tab-overview"),
        (
            format!("{REGISTRY_PATH}?kind=institutions"),
            "admin-tab-registry",
        ),
        (AUDIT_PATH.to_string(), "admin-tab-audit"),
    ]
    .into_iter()
    .map(|(href, key)| Tab {
        current: key == current,
        label: lang.t(key),
        href,
    })
    .collect()
}
