//! 转诊办: a hospital's referral office. Incoming referrals to the
//! coordinator's institution in the three worklists the office works from
//! (new, awaiting a slot, overdue), each referral's page with the steps
//! its state allows, today's arrivals, the bed board and the hospital's
//! outreach sessions.
//!
//! Every figure comes from the referral service, which checks that the
//! caller is on the referral's receiving side and audits each patient
//! record it hands out; the pages decide nothing the core does not. A
//! step carries the referral's version, so a double click or a second
//! coordinator acting on the same referral changes it once.

mod arrivals;
mod beds;
mod outreach;
mod referral;
mod rows;
mod steps;
mod worklist;

pub mod names;

use crate::session::Viewer;
use crate::{UiError, Workplace};
use axum::Router;
use axum::routing::{get, post};
use tiercare_api::AppState;
use tiercare_core::InstitutionId;
use time::{Date, OffsetDateTime, UtcOffset};

/// The referral office's home: the worklists.
pub const PATH: &str = crate::chrome::home::REFERRAL_OFFICE;
/// Today's arrivals and no-shows.
pub const ARRIVALS: &str = "/ui/office/arrivals";
/// The bed board.
pub const BEDS: &str = "/ui/office/beds";
/// The hospital's outreach sessions.
pub const OUTREACH: &str = "/ui/office/outreach";

/// The office's pages and forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(worklist::page))
        .route("/ui/office/referrals/{id}", get(referral::page))
        .route("/ui/office/referrals/{id}/{action}", post(steps::act))
        .route(ARRIVALS, get(arrivals::page))
        .route(BEDS, get(beds::page))
        .route(OUTREACH, get(outreach::page))
        .route("/ui/office/outreach/schedule", post(outreach::schedule))
        .route("/ui/office/outreach/{id}/cancel", post(outreach::cancel))
}

/// The office's institution: only a coordinator at a hospital works here;
/// anyone else gets the 403 page, never data.
fn office_of(viewer: &Viewer) -> Result<InstitutionId, UiError> {
    match (&viewer.workplace, &viewer.actor.institution) {
        (Workplace::ReferralOffice, Some(i)) => Ok(i.clone()),
        _ => Err(UiError::Forbidden),
    }
}

/// The tabs between the office's pages.
pub struct Tab {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

fn tabs(lang: crate::Lang, current: &str) -> Vec<Tab> {
    [
        (PATH, "office-tab-worklist"),
        (ARRIVALS, "office-tab-arrivals"),
        (BEDS, "office-tab-beds"),
        (OUTREACH, "office-tab-outreach"),
    ]
    .into_iter()
    .map(|(href, key)| Tab {
        href,
        label: lang.t(key),
        current: href == current,
    })
    .collect()
}

/// China Standard Time: the region's users read times and days in it.
pub fn local_offset() -> UtcOffset {
    tiercare_service::days::LOCAL
}

/// A moment as the users' wall clock shows it.
pub fn local(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(local_offset())
}

/// Today in the region.
pub fn today(now: OffsetDateTime) -> Date {
    tiercare_service::days::local_date(now)
}

/// A moment as a page shows it: the day in the user's style and the time.
pub fn when(lang: crate::Lang, t: OffsetDateTime) -> String {
    let t = local(t);
    format!("{} {:02}:{:02}", lang.date(t.date()), t.hour(), t.minute())
}

/// The day a page's `day` field names (`YYYY-MM-DD`), if it is one.
pub fn parse_day(s: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).ok()
}

/// A day as a date field's value.
pub fn day_value(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}
