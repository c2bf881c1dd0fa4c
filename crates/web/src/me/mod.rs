//! The resident's own page (我的), made for a phone: their family doctor
//! and contract, their referrals and appointments in words, the care
//! plans handed down to them to accept or refuse, what a visit would cost
//! them at each level under their own scheme with what they already paid
//! this year, and their claims (what the fund paid and what they paid).
//!
//! Everything is read through the services as the resident themself, who
//! may see only their own record; every read of it is audited. Only users
//! whose workplace is [`Workplace::Resident`] may open it.
//!
//! `record.rs` reads the resident's record, `estimate.rs` the estimate
//! form, this file the routes and the care-plan decision.

mod estimate;
mod record;

use crate::form::FieldErrors;
use crate::session::Viewer;
use crate::specialist::fmt::notice;
use crate::{UiError, Workplace};
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::HashMap;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::care_plan::PatientDecision;
use tiercare_service::ServiceError;
use tiercare_service::referrals::Referrals;

/// The resident's page.
pub const PATH: &str = crate::chrome::home::RESIDENT;

/// The resident's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(page))
        .route("/ui/me/care-plans/{id}/decision", post(decide))
}

/// The resident the page is for: only a resident's own session.
fn me(viewer: &Viewer) -> Result<String, UiError> {
    match (&viewer.workplace, &viewer.actor.resident) {
        (Workplace::Resident, Some(r)) => Ok(r.to_string()),
        _ => Err(UiError::Forbidden),
    }
}

/// `GET /ui/me` (with `?service=&total=` for the estimate).
async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, UiError> {
    let resident = me(&viewer)?;
    let notice = notice(viewer.lang, q.get("done").map(String::as_str));
    record::show(&state, &viewer, &resident, notice, &q, None).await
}

/// The decision form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    csrf: Option<String>,
    version: Option<String>,
    decision: Option<String>,
    reason: Option<String>,
}

/// A refused decision form, shown again with its errors.
pub struct DecisionEcho {
    pub plan: String,
    pub reason: String,
    pub errors: FieldErrors,
}

/// `POST /ui/me/care-plans/{id}/decision`: the resident accepts or refuses
/// a care plan (a refusal ends the downward referral and needs a reason).
async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, UiError> {
    let resident = me(&viewer)?;
    viewer.check_csrf(form.csrf.as_deref().unwrap_or(""))?;
    let lang = viewer.lang;
    let referrals = Referrals::new(&state.ctx, &viewer.actor);
    // Read as the resident may read it: their own plans only (audited).
    let stored = referrals.read_record("CarePlan", &id).await?;
    let Record::CarePlan(plan) = &stored.record else {
        return Err(UiError::NotFound(format!("CarePlan/{id}")));
    };
    let version: Option<u32> = form.version.as_deref().and_then(|v| v.parse().ok());
    if version != Some(stored.version) || plan.decision != PatientDecision::Pending {
        return Ok(Redirect::to("/ui/me?done=stale#plans").into_response());
    }
    let mut errors = FieldErrors::new();
    let reason = form.reason.as_deref().unwrap_or("").trim().to_string();
    let accepted = match form.decision.as_deref() {
        Some("accept") => Some(true),
        Some("refuse") if reason.is_empty() => {
            errors.add("reason", lang.t("me-reason-required"));
            None
        }
        Some("refuse") => Some(false),
        _ => {
            errors.add("decision", lang.t("me-decision-required"));
            None
        }
    };
    if let Some(accepted) = accepted {
        match referrals
            .decide(&id, accepted, reason.clone(), version)
            .await
        {
            Ok(_) => {
                let done = if accepted { "accepted" } else { "refused" };
                return Ok(Redirect::to(&format!("/ui/me?done={done}#plans")).into_response());
            }
            Err(ServiceError::StaleVersion(_) | ServiceError::Conflict(_)) => {
                return Ok(Redirect::to("/ui/me?done=stale#plans").into_response());
            }
            Err(e) => errors = FieldErrors::from_service(e, lang, &[], "decision")?,
        }
    }
    let echo = DecisionEcho {
        plan: id,
        reason,
        errors,
    };
    record::show(
        &state,
        &viewer,
        &resident,
        String::new(),
        &HashMap::new(),
        Some(&echo),
    )
    .await
}
