//! The bed board: each ward's bed pool at the coordinator's hospital, its
//! free, reserved and occupied beds, as the bed bookings left them.

use super::{BEDS, Tab, office_of, tabs};
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_service::registry::Registry;
use tiercare_service::search::{exact, query};

/// One ward's beds.
struct Ward {
    id: String,
    name: String,
    beds: u32,
    free: u32,
    free_general: u32,
    reserved: u32,
    reserved_free: u32,
    occupied: u32,
}

#[derive(Template)]
#[template(path = "office/beds.html")]
struct Page {
    chrome: Chrome,
    tabs: Vec<Tab>,
    wards: Vec<Ward>,
    total_free: u32,
    total_occupied: u32,
}

/// `GET /ui/office/beds`.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    let institution = office_of(&viewer)?;
    let lang = viewer.lang;
    let q = query(
        "Location",
        vec![exact("organization", format!("Organization/{institution}"))],
    );
    let (found, _) = Registry::new(&state.ctx, &viewer.actor)
        .search("Location", q, "bed pools")
        .await?;
    let mut wards: Vec<Ward> = found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::BedPool(p) => Some(Ward {
                id: p.id.to_string(),
                name: lang.coded("specialty", p.specialty.code()),
                beds: p.beds,
                free: p.general_free() + p.reserved_free(),
                free_general: p.general_free(),
                reserved: p.reserved,
                reserved_free: p.reserved_free(),
                occupied: p.occupied + p.reserved_occupied,
            }),
            _ => None,
        })
        .collect();
    wards.sort_by(|a, b| a.name.cmp(&b.name));
    let page = Page {
        chrome: viewer.chrome(&state),
        tabs: tabs(lang, BEDS),
        total_free: wards.iter().map(|w| w.free).sum(),
        total_occupied: wards.iter().map(|w| w.occupied).sum(),
        wards,
    };
    Ok(render(StatusCode::OK, &page))
}
