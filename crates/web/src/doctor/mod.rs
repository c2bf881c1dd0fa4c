//! The family doctor's pages (家庭医生): the worklist, the contracted
//! residents and their records, referral with triage, estimate and a held
//! slot, e-consults, panel measurements, and remote readings from the
//! alliance's resource-sharing hubs.
//!
//! Every page is for [`Workplace::FamilyDoctor`] only; anyone else gets
//! 403 before anything is read. Patient data is read through the services
//! (`Registry`, `Referrals`, `Panels`), which check the doctor's care
//! relationships and audit each read; the pages add no access rule of
//! their own.

mod consults;
mod fields;
mod home;
mod panels;
mod readings;
mod refer;
mod referral;
mod residents;
mod slots;
mod triage;

use crate::session::Viewer;
use crate::{UiError, Workplace};
use axum::Router;
use axum::routing::{get, post};
use tiercare_api::AppState;

pub use fields::Fields;

/// The family doctor's home page.
pub const HOME: &str = crate::chrome::home::FAMILY_DOCTOR;

/// The family doctor's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HOME, get(home::page))
        .route("/ui/doctor/residents", get(residents::list))
        .route("/ui/doctor/residents/{id}", get(residents::record))
        .route(
            "/ui/doctor/residents/{id}/refer",
            get(refer::form).post(refer::submit),
        )
        .route("/ui/doctor/referrals/{id}", get(referral::view))
        .route("/ui/doctor/referrals/{id}/hold", post(referral::hold))
        .route("/ui/doctor/consults/new", get(consults::new_form))
        .route("/ui/doctor/consults", post(consults::ask))
        .route("/ui/doctor/consults/{id}", get(consults::view))
        .route("/ui/doctor/consults/{id}/refer", post(consults::refer))
        .route(
            "/ui/doctor/readings",
            get(readings::list).post(readings::order),
        )
        .route(
            "/ui/doctor/readings/{id}/acknowledge",
            post(readings::acknowledge),
        )
        .route("/ui/doctor/readings/{id}/refer", post(readings::refer))
        .route(
            "/ui/doctor/panels/{id}",
            get(panels::page_route).post(panels::measure),
        )
}

/// Refuses (403) anyone who is not a family doctor, before any read.
fn family_doctor(viewer: &Viewer) -> Result<(), UiError> {
    if viewer.workplace == Workplace::FamilyDoctor {
        Ok(())
    } else {
        Err(UiError::Forbidden)
    }
}

/// A page's short notice after a change (Post/Redirect/Get), from the
/// `done` query parameter; only known notices are shown.
fn notice(lang: crate::Lang, done: Option<&str>) -> String {
    match done {
        Some("referred") => lang.t("doctor-notice-referred"),
        Some("held") => lang.t("doctor-notice-held"),
        Some("hold-failed") => lang.t("doctor-notice-hold-failed"),
        Some("asked") => lang.t("doctor-notice-asked"),
        Some("measured") => lang.t("doctor-notice-measured"),
        _ => String::new(),
    }
}
