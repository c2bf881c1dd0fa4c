//! Arrivals and no-shows: the referrals booked for a day (today unless
//! another is asked for) and that day's no-shows, the patients in their visit and the visits
//! whose report is still to go back, each with the step it is waiting
//! for. The forms post to the referral's steps and come back here.

use super::rows::{Row, Whose, incoming, row};
use super::{ARRIVALS, Tab, day_value, office_of, parse_day, tabs, today};
use crate::form::FieldErrors;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::referral::{Action, ReferralState};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filter {
    pub day: String,
    pub done: String,
}

#[derive(Template)]
#[template(path = "office/arrivals.html")]
struct Page {
    chrome: Chrome,
    tabs: Vec<Tab>,
    day: String,
    day_shown: String,
    back: String,
    errors: FieldErrors,
    notice: String,
    booked: Vec<Row>,
    no_shows: Vec<Row>,
    in_visit: Vec<Row>,
    to_report: Vec<Row>,
}

impl Page {
    fn can(row: &Row, action: &str) -> bool {
        row.actions.iter().any(|(a, _)| *a == action)
    }
}

/// `GET /ui/office/arrivals?day=YYYY-MM-DD`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<Filter>,
) -> Result<Response, UiError> {
    let institution = office_of(&viewer)?;
    let ctx = &state.ctx;
    let lang = viewer.lang;
    let now = ctx.clock.now();
    let mut errors = FieldErrors::new();
    let day = match filter.day.trim() {
        "" => today(now),
        d => match parse_day(d) {
            Some(day) => day,
            None => {
                errors.add("day", lang.t("office-error-day"));
                today(now)
            }
        },
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut found = incoming(
        ctx,
        &viewer.actor,
        institution.as_str(),
        Whose::AwaitingUs,
        &["booked", "arrived", "completed"],
    )
    .await?;
    found.extend(
        incoming(
            ctx,
            &viewer.actor,
            institution.as_str(),
            Whose::AddressedToUs,
            &["no-show"],
        )
        .await?,
    );
    let mut names = Names::new(ctx, &viewer.actor);
    let (mut booked, mut no_shows) = (Vec::new(), Vec::new());
    let (mut in_visit, mut to_report) = (Vec::new(), Vec::new());
    found.sort_by_key(|r| r.value.state.booking().map(|b| b.start()));
    for r in &found {
        match &r.value.state {
            ReferralState::Booked { booking } if super::local(booking.start()).date() == day => {
                booked.push(row(ctx, &viewer.actor, &mut names, lang, r, now).await)
            }
            ReferralState::NoShow { booking } if super::local(booking.start()).date() == day => {
                no_shows.push(row(ctx, &viewer.actor, &mut names, lang, r, now).await)
            }
            ReferralState::Arrived { .. } => {
                in_visit.push(row(ctx, &viewer.actor, &mut names, lang, r, now).await)
            }
            ReferralState::Completed { report: None } => {
                to_report.push(row(ctx, &viewer.actor, &mut names, lang, r, now).await)
            }
            _ => {}
        }
    }
    let notice = match Action::from_code(&filter.done) {
        Some(a) => lang.t_with(
            "office-notice-done",
            &[("action", lang.coded("action", a.code()))],
        ),
        None => String::new(),
    };
    let day_text = if errors.is_empty() {
        day_value(day)
    } else {
        filter.day.clone()
    };
    let page = Page {
        chrome: viewer.chrome(&state),
        tabs: tabs(lang, ARRIVALS),
        back: format!("{ARRIVALS}?day={}", day_value(day)),
        day: day_text,
        day_shown: lang.date(day),
        errors,
        notice,
        booked,
        no_shows,
        in_visit,
        to_report,
    };
    Ok(render(status, &page))
}
