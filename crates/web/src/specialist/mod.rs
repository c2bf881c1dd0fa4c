//! The hospital doctor's workplace (专科医生): e-consults addressed to
//! them or their department, the patients referred to their department
//! and the report back, referral down to primary care with a care plan
//! whose medicines are checked against the receiving centre's
//! essential-medicines list, and their outreach sessions and mentoring.
//!
//! Every page reads through the services (`Referrals`, `Registry`,
//! `Outreach`, `open`), which check access and audit each touch of patient
//! data; only users whose workplace is [`Workplace::Specialist`] may open
//! these pages (anyone else gets 403).
//!
//! `home.rs` gathers the worklist, `consult.rs` the answer form,
//! `referral.rs` a referred patient and the report back, `refer_down.rs`
//! the downward referral with its care plan, `outreach.rs` sessions and
//! the mentorship log, `hub.rs` the resource-sharing hub's reading queue; `names.rs` and `fmt.rs` are shared with the
//! resident's pages.

pub mod fmt;

mod consult;
mod home;
mod hub;
mod outreach;
pub mod refer_down;
mod referral;

use crate::session::Viewer;
use crate::{UiError, Workplace};
use axum::Router;
use axum::routing::{get, post};
use tiercare_api::AppState;

/// The worklist.
pub const PATH: &str = crate::chrome::home::SPECIALIST;

/// The specialist's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(home::page))
        .route(
            "/ui/specialist/consults/{id}",
            get(consult::page).post(consult::answer),
        )
        .route("/ui/specialist/referrals/{id}", get(referral::page))
        .route(
            "/ui/specialist/referrals/{id}/report",
            post(referral::report),
        )
        .route(
            "/ui/specialist/referrals/{id}/refer-down",
            get(refer_down::form).post(refer_down::submit),
        )
        .route("/ui/specialist/plans/{id}", get(refer_down::plan))
        .route("/ui/specialist/hub", get(hub::queue))
        .route("/ui/specialist/hub/{id}/take", post(hub::take))
        .route("/ui/specialist/hub/{id}/report", post(hub::report))
        .route(
            "/ui/specialist/mentorships/{id}/activities",
            post(outreach::log),
        )
}

/// Refuses anyone whose workplace is not a hospital doctor's.
fn only_specialists(viewer: &Viewer) -> Result<(), UiError> {
    if viewer.workplace == Workplace::Specialist {
        Ok(())
    } else {
        Err(UiError::Forbidden)
    }
}
