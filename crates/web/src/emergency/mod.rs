//! The county emergency network's pages (急诊急救): the first-contact
//! doctor sends a pre-arrival alert and follows it, the destination
//! centre's team sees its incoming patients with countdowns, acknowledges
//! the alert and fills in the case clock.
//!
//! `list.rs` is the worklist (`/ui/emergency`: incoming, then sent; it
//! refreshes itself every 30 seconds, since no script may count down),
//! `new.rs` the alert form, `case.rs` one case with its clock and the
//! forms of each step, `actions.rs` the steps themselves, and `view.rs`
//! how a case reads in words (destination, countdowns, clock).
//!
//! Only doctors and coordinators of an institution open these pages;
//! everyone else gets 403 before anything is read. Cases are read and
//! changed through `tiercare_service::emergency::Emergency`, which decides
//! who is a party to a case and audits every touch.

mod actions;
mod case;
mod list;
mod new;
mod view;

use crate::UiError;
use crate::session::Viewer;
use axum::Router;
use axum::routing::{get, post};
use tiercare_api::AppState;
use tiercare_core::InstitutionId;
use tiercare_core::access::UserRole;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The worklist, where the nav links.
pub const PATH: &str = crate::chrome::home::EMERGENCY;
/// The alert form.
pub const NEW_PATH: &str = "/ui/emergency/new";

/// The emergency pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list::page).post(new::send))
        .route(NEW_PATH, get(new::form))
        .route("/ui/emergency/cases/{id}", get(case::page))
        .route(
            "/ui/emergency/cases/{id}/acknowledge",
            post(actions::acknowledge),
        )
        .route("/ui/emergency/cases/{id}/ecg", post(actions::ecg))
        .route(
            "/ui/emergency/cases/{id}/departure",
            post(actions::departure),
        )
        .route("/ui/emergency/cases/{id}/door", post(actions::door))
        .route("/ui/emergency/cases/{id}/treatment", post(actions::treat))
        .route("/ui/emergency/cases/{id}/transfer", post(actions::transfer))
        .route("/ui/emergency/cases/{id}/outcome", post(actions::outcome))
}

/// The caller's institution, when they are a doctor or coordinator of
/// one; everyone else is refused (403) before anything is read.
fn staff(viewer: &Viewer) -> Result<InstitutionId, UiError> {
    match (viewer.actor.role, &viewer.actor.institution) {
        (UserRole::Doctor | UserRole::Coordinator, Some(i)) => Ok(i.clone()),
        _ => Err(UiError::Forbidden),
    }
}

/// China Standard Time, in which the region reads and writes times.
const LOCAL: UtcOffset = tiercare_core::CHINA_TIME;

/// A moment as a `datetime-local` field holds it (`2026-12-08T08:30`).
fn input_value(at: OffsetDateTime) -> String {
    let l = at.to_offset(LOCAL);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        l.year(),
        u8::from(l.month()),
        l.day(),
        l.hour(),
        l.minute()
    )
}

/// A time a form gives: empty for none; otherwise `YYYY-MM-DDTHH:MM`
/// (seconds allowed, a space for the `T`) in China Standard Time, never
/// later than `now`. The error is the message key to show by the field.
fn parse_time(text: &str, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let short = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let long = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let t = text.replacen(' ', "T", 1);
    let local = PrimitiveDateTime::parse(&t, short)
        .or_else(|_| PrimitiveDateTime::parse(&t, long))
        .map_err(|_| "emergency-error-time")?;
    let at = local.assume_offset(LOCAL);
    if at > now {
        return Err("emergency-error-future");
    }
    Ok(Some(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_form_time_is_read_in_china_time_and_never_in_the_future() {
        let now = datetime!(2026-12-08 02:00 UTC);
        assert_eq!(parse_time("", now), Ok(None));
        assert_eq!(
            parse_time("2026-12-08T09:30", now),
            Ok(Some(datetime!(2026-12-08 01:30 UTC)))
        );
        assert_eq!(
            parse_time("2026-12-08 09:30:15", now),
            Ok(Some(datetime!(2026-12-08 01:30:15 UTC)))
        );
        assert_eq!(
            parse_time("2026-12-08T10:01", now),
            Err("emergency-error-future")
        );
        assert_eq!(parse_time("tomorrow", now), Err("emergency-error-time"));
        assert_eq!(input_value(now), "2026-12-08T10:00");
        assert_eq!(crate::Lang::Zh.moment(now), "2026年12月8日 10:00");
    }
}
