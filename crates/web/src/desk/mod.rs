//! The front desk of a township centre or clinic: the day's appointments
//! at the institution (visits booked there by residents, and down-referred
//! patients), the patient's arrival, the end of the visit with its charge,
//! and then the claim's split — what the insurance fund pays, what the
//! patient pays, and the rules that made it so.
//!
//! Appointments and visits are read through the referral service's scoped
//! searches and audited reads; a referral's visit moves through the
//! referral's own steps (with its version), a self-booked visit through
//! the visit's arrival and finish, each of which the service refuses a
//! second time, so a double click records it once.

mod view;

use crate::form::FieldErrors;
use crate::office::{day_value, local_offset, parse_day, today};
use crate::session::Viewer;
use crate::{UiError, Workplace};
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::InstitutionId;
use tiercare_core::Record;
use tiercare_core::insurance::Fen;
use tiercare_core::referral::Command;
use tiercare_service::ServiceError;
use tiercare_service::referrals::Referrals;

/// The front desk's home: the day's appointments.
pub const PATH: &str = crate::chrome::home::FRONT_DESK;

/// The desk's page and forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(page))
        .route("/ui/desk/appointments/{id}/{step}", post(step))
}

/// The desk's institution: only a coordinator at a primary institution
/// works here; anyone else gets the 403 page.
fn desk_of(viewer: &Viewer) -> Result<InstitutionId, UiError> {
    match (&viewer.workplace, &viewer.actor.institution) {
        (Workplace::FrontDesk, Some(i)) => Ok(i.clone()),
        _ => Err(UiError::Forbidden),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filter {
    pub day: String,
    pub done: String,
}

/// A step's form: the charge when finishing, the referral's version for
/// a referred visit, the day to come back to.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StepForm {
    pub csrf: String,
    pub version: String,
    pub charge: String,
    pub day: String,
}

/// `GET /ui/desk?day=YYYY-MM-DD`.
async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<Filter>,
) -> Result<Response, UiError> {
    let institution = desk_of(&viewer)?;
    let lang = viewer.lang;
    let now = state.ctx.clock.now();
    let mut errors = FieldErrors::new();
    let day = match filter.day.trim() {
        "" => today(now),
        d => parse_day(d).unwrap_or_else(|| {
            errors.add("day", lang.t("desk-error-day"));
            today(now)
        }),
    };
    let notice = match filter.done.as_str() {
        "arrive" => lang.t("desk-notice-arrived"),
        "finish" => lang.t("desk-notice-finished"),
        "already" => lang.t("desk-notice-already"),
        _ => String::new(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let shown = view::Shown {
        day,
        day_field: if errors.is_empty() {
            day_value(day)
        } else {
            filter.day.clone()
        },
        errors,
        failed: String::new(),
        notice,
    };
    view::render_page(&state, &viewer, &institution, shown, status).await
}

/// `POST /ui/desk/appointments/{id}/{arrive|finish}`.
async fn step(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, step)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> Result<Response, UiError> {
    let institution = desk_of(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let lang = viewer.lang;
    let ctx = &state.ctx;
    let day = parse_day(&form.day).unwrap_or_else(|| today(ctx.clock.now()));
    let back = |done: &str| {
        Redirect::to(&format!("{PATH}?day={}&done={done}", day_value(day))).into_response()
    };
    let mut errors = FieldErrors::new();
    let charge = if step == "finish" {
        match crate::form::required(&mut errors, lang, "charge", Some(&form.charge)) {
            Some(c) => match c.parse::<Fen>() {
                Ok(f) if f >= Fen::ZERO => Some(f),
                _ => {
                    errors.add("charge", lang.t("desk-error-charge"));
                    None
                }
            },
            None => None,
        }
    } else if step == "arrive" {
        None
    } else {
        return Err(UiError::NotFound(step));
    };
    let refuse = |errors: FieldErrors| {
        let shown = view::Shown {
            day,
            day_field: day_value(day),
            errors,
            failed: id.clone(),
            notice: String::new(),
        };
        (shown, StatusCode::UNPROCESSABLE_ENTITY)
    };
    if !errors.is_empty() {
        let (shown, status) = refuse(errors);
        return view::render_page(&state, &viewer, &institution, shown, status).await;
    }
    let service = Referrals::new(ctx, &viewer.actor).with_charge(charge);
    let appointment = match service.read_visit("Appointment", &id).await?.record {
        Record::Appointment(a) => a,
        _ => return Err(UiError::NotFound(id)),
    };
    let done = match (&appointment.referral, step.as_str()) {
        (Some(r), s) => {
            let version = form.version.trim().parse::<u32>().ok();
            let command = if s == "arrive" {
                Command::Arrive { early: false }
            } else {
                Command::Complete { report: None }
            };
            service.act(r.as_str(), command, version).await.map(|_| ())
        }
        (None, "arrive") => service.arrive_self(&id, false).await.map(|_| ()),
        (None, _) => service.finish_visit(&format!("enc-{id}")).await.map(|_| ()),
    };
    match done {
        Ok(()) => Ok(back(&step)),
        // Already done, by this form a moment ago or by a colleague.
        Err(ServiceError::StaleVersion(_)) => Ok(back("already")),
        Err(ServiceError::Conflict(_)) => Ok(back("already")),
        Err(e) => {
            let field = if step == "finish" { "charge" } else { "form" };
            let errors = FieldErrors::from_service(e, lang, &[("charge", "charge")], field)?;
            let (shown, status) = refuse(errors);
            view::render_page(&state, &viewer, &institution, shown, status).await
        }
    }
}

/// The start and end of a local day, as the store's time terms.
fn day_range(day: time::Date) -> (String, String) {
    use time::format_description::well_known::Rfc3339;
    let start = time::PrimitiveDateTime::new(day, time::Time::MIDNIGHT)
        .assume_offset(local_offset())
        .to_offset(time::UtcOffset::UTC);
    let end = start + time::Duration::days(1);
    (
        start.format(&Rfc3339).unwrap_or_default(),
        end.format(&Rfc3339).unwrap_or_default(),
    )
}
