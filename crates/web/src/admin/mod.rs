//! The administrator's pages: the registry (institutions, alliances,
//! family-doctor teams, practitioners), the users and the audit trail.
//!
//! Only administrators reach them; the lists come from the same registry
//! service the FHIR API uses, and the audit trail through its service.

mod audit;
mod registry;

use crate::chrome::home;
use crate::session::Viewer;
use crate::{UiError, Workplace};
use axum::Router;
use axum::routing::get;
use tiercare_api::AppState;

/// The registry lists, by kind.
pub const REGISTRY_PATH: &str = "/ui/admin/registry";
/// The audit trail.
pub const AUDIT_PATH: &str = "/ui/admin/audit";

/// The administrator's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(home::ADMIN, get(registry::home))
        .route(REGISTRY_PATH, get(registry::page))
        .route(AUDIT_PATH, get(audit::page))
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
