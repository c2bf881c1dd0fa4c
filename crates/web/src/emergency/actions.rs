//! The steps of a case, each a POST with the session's CSRF token that
//! redirects back on success (Post/Redirect/Get): the destination's team
//! acknowledges the alert; either side records the ECG, the departure, the
//! door (straight to the team or not), the treatment, a transfer onward
//! and the 30-day outcome.
//!
//! A step is first tried on a copy of the case with the core's own rule,
//! so that a step out of order, recorded twice or too early is refused
//! next to its field in the user's language; the service then decides
//! for real, at the version read (a change in between is a conflict). Its
//! refusals (403, 409, 422) come back as a notice on the page, never as
//! an error page.

use super::list::{self, Notice};
use super::{case, parse_time, staff};
use crate::doctor::Fields;
use crate::form::FieldErrors;
use crate::session::Viewer;
use crate::{Lang, UiError};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tiercare_api::AppState;
use tiercare_core::InstitutionId;
use tiercare_core::emergency::{Alert, CaseError, Milestone, Outcome, Treatment};
use tiercare_service::ServiceError;
use tiercare_service::emergency::Emergency;
use time::OffsetDateTime;

/// A step's form, read.
enum Change {
    Milestone(Milestone),
    Door { bypassed: bool },
    Treat(Treatment),
    Transfer(InstitutionId),
    Close(Outcome),
}

/// A refused step: the status, the notice and the field errors to show.
type Refusal = (StatusCode, Notice, FieldErrors);

/// The core's refusal of a step, in the user's words, by `field`.
fn case_refusal(e: CaseError, lang: Lang, field: &str) -> Refusal {
    let mut errors = FieldErrors::new();
    let message = match e {
        CaseError::AlreadyAcknowledged => {
            let n = Notice::refused(lang, "emergency-notice-conflict");
            return (StatusCode::CONFLICT, n, errors);
        }
        CaseError::Closed => {
            let n = Notice::refused(lang, "emergency-notice-closed");
            return (StatusCode::CONFLICT, n, errors);
        }
        CaseError::AlreadyRecorded(_) => lang.t("emergency-error-already"),
        CaseError::OutOfOrder { before, .. } => {
            let named = Milestone::ALL
                .iter()
                .find(|m| m.display() == before)
                .map(|m| lang.coded("emergency-milestone", m.code()))
                .unwrap_or_else(|| before.to_string());
            lang.t_with("emergency-error-order", &[("before", named)])
        }
        CaseError::TooEarly(date) => lang.t_with("emergency-error-too-early", &[("date", date)]),
    };
    errors.add(field, message);
    let n = Notice::refused(lang, "error-form");
    (StatusCode::UNPROCESSABLE_ENTITY, n, errors)
}

/// The service's refusal of a step, as a notice (or by `field` when it is
/// about the input).
fn service_refusal(e: ServiceError, lang: Lang, field: &str) -> Result<Refusal, UiError> {
    let mut errors = FieldErrors::new();
    match e {
        ServiceError::Forbidden(_) => Ok((
            StatusCode::FORBIDDEN,
            Notice::refused(lang, "emergency-notice-forbidden"),
            errors,
        )),
        ServiceError::Conflict(_) | ServiceError::StaleVersion(_) => Ok((
            StatusCode::CONFLICT,
            Notice::refused(lang, "emergency-notice-conflict"),
            errors,
        )),
        ServiceError::Invalid { message, .. } | ServiceError::Rule { message, .. } => {
            errors.add(field, lang.t_with("error-service", &[("detail", message)]));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Notice::refused(lang, "error-form"),
                errors,
            ))
        }
        other => Err(UiError::from(other)),
    }
}

/// The case page again, as it stands now, with a refusal.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    mine: &InstitutionId,
    id: &str,
    (status, notice, errors): Refusal,
) -> Result<Response, UiError> {
    let now = Emergency::new(&state.ctx, &viewer.actor)
        .read_case(id)
        .await?
        .value;
    case::answer(state, viewer, mine, &now, notice, errors, status).await
}

/// `POST /ui/emergency/cases/{id}/acknowledge`: the destination's team is
/// ready; back to the list (or the case, with `back=case`).
pub async fn acknowledge(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let mine = staff(&viewer)?;
    let f = Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    let lang = viewer.lang;
    let to_case = f.get("back") == "case";
    let service = Emergency::new(&state.ctx, &viewer.actor);
    let current = service.read_case(&id).await?;
    let refusal = match current.value.alert {
        Alert::Acknowledged { .. } => Some(case_refusal(
            CaseError::AlreadyAcknowledged,
            lang,
            "acknowledge",
        )),
        Alert::Sent { .. } => match service.acknowledge(&id, Some(current.version)).await {
            Ok(_) => None,
            Err(e) => Some(service_refusal(e, lang, "acknowledge")?),
        },
    };
    match (refusal, to_case) {
        (None, true) => Ok(
            Redirect::to(&format!("/ui/emergency/cases/{id}?done=acknowledged")).into_response(),
        ),
        (None, false) => Ok(Redirect::to("/ui/emergency?done=acknowledged").into_response()),
        (Some(r), true) => refused(&state, &viewer, &mine, &id, r).await,
        (Some((status, notice, _)), false) => {
            list::answer(&state, &viewer, &mine, notice, status).await
        }
    }
}

/// `POST /ui/emergency/cases/{id}/ecg`.
pub async fn ecg(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    step(&state, &viewer, &id, &body, "ecg").await
}

/// `POST /ui/emergency/cases/{id}/departure`.
pub async fn departure(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    step(&state, &viewer, &id, &body, "departure").await
}

/// `POST /ui/emergency/cases/{id}/door`, with `bypassed` when the patient
/// went straight to the team.
pub async fn door(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    step(&state, &viewer, &id, &body, "door").await
}

/// `POST /ui/emergency/cases/{id}/treatment`.
pub async fn treat(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    step(&state, &viewer, &id, &body, "treatment").await
}

/// `POST /ui/emergency/cases/{id}/transfer`.
pub async fn transfer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    step(&state, &viewer, &id, &body, "transfer").await
}

/// `POST /ui/emergency/cases/{id}/outcome`.
pub async fn outcome(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    step(&state, &viewer, &id, &body, "outcome").await
}

/// The form of step `what` read: the change, and the form field its
/// choice is in.
fn read(f: &Fields, what: &str, lang: Lang, errors: &mut FieldErrors) -> Option<Change> {
    let choice = |errors: &mut FieldErrors, field: &str| {
        errors.add(field, lang.t("emergency-error-choice"));
        None
    };
    match what {
        "ecg" => Some(Change::Milestone(Milestone::Ecg)),
        "departure" => Some(Change::Milestone(Milestone::Departure)),
        "door" => Some(Change::Door {
            bypassed: !f.get("bypassed").is_empty(),
        }),
        "treatment" => match Treatment::from_code(f.get("treatment")) {
            Some(t) => Some(Change::Treat(t)),
            None => choice(errors, "treatment"),
        },
        "transfer" => match f.get("to").parse::<InstitutionId>() {
            Ok(to) => Some(Change::Transfer(to)),
            Err(_) => choice(errors, "to"),
        },
        _ => match f.get("outcome") {
            "alive" => Some(Change::Close(Outcome::Alive)),
            "died" => Some(Change::Close(Outcome::Died)),
            _ => choice(errors, "outcome"),
        },
    }
}

/// One step: read, tried on a copy by the core's rule, then made by the
/// service at the version read.
async fn step(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    body: &Bytes,
    what: &str,
) -> Result<Response, UiError> {
    let mine = staff(viewer)?;
    let f = Fields::of_body(body);
    viewer.check_csrf(f.get("csrf"))?;
    let lang = viewer.lang;
    let now = state.ctx.clock.now();
    let service = Emergency::new(&state.ctx, &viewer.actor);
    let current = service.read_case(id).await?;
    let field = format!("{what}-at");
    let mut errors = FieldErrors::new();
    let at = parse_time(f.get("at"), now).unwrap_or_else(|key| {
        errors.add(&field, lang.t(key));
        None
    });
    let change = read(&f, what, lang, &mut errors);
    let Some(change) = change.filter(|_| errors.is_empty()) else {
        let n = Notice::refused(lang, "error-form");
        let r = (StatusCode::BAD_REQUEST, n, errors);
        return case::answer(state, viewer, &mine, &current.value, r.1, r.2, r.0).await;
    };
    if let Err(e) = tried(&current.value, &change, at.unwrap_or(now)) {
        let (status, notice, errors) = case_refusal(e, lang, &field);
        return case::answer(state, viewer, &mine, &current.value, notice, errors, status).await;
    }
    let v = Some(current.version);
    let done = match change {
        Change::Milestone(m) => service.record_milestone(id, m, at, v).await,
        Change::Door { bypassed } => service.arrive(id, at, bypassed, v).await,
        Change::Treat(t) => service.treat(id, t, at, v).await,
        Change::Transfer(to) => service.transfer(id, to, at, v).await,
        Change::Close(o) => service.close(id, o, at, v).await,
    };
    match done {
        Ok(_) => {
            Ok(Redirect::to(&format!("/ui/emergency/cases/{id}?done=recorded")).into_response())
        }
        Err(e) => {
            let r = service_refusal(e, lang, &field)?;
            refused(state, viewer, &mine, id, r).await
        }
    }
}

/// The change tried on a copy of the case by the core's rule.
fn tried(
    case: &tiercare_core::emergency::EmergencyCase,
    change: &Change,
    at: OffsetDateTime,
) -> Result<(), CaseError> {
    let mut copy = case.clone();
    match change {
        Change::Milestone(m) => copy.record(*m, at),
        Change::Door { bypassed } => copy.arrive(at, *bypassed),
        Change::Treat(t) => copy.treat(*t, at),
        Change::Transfer(to) => copy.transfer(to.clone(), at),
        Change::Close(o) => copy.close(*o, at),
    }
}
