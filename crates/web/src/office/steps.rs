//! The steps of the loop as the office's forms send them: the page checks
//! what it can (a choice made, an amount in yuan, an ICD-10 code), the
//! core and the service the rest, and a refusal comes back beside the
//! field it concerns with the referral's page around it.

use super::office_of;
use super::referral::{Shown, detail};
use crate::form::FieldErrors;
use crate::session::Viewer;
use crate::{Lang, UiError};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::catalogue::IcdCode;
use tiercare_core::insurance::Fen;
use tiercare_core::referral::{Action, Command, DeclineReason, Referral, Report, Setting};
use tiercare_service::ServiceError;
use tiercare_service::referrals::Referrals;

/// What a step's form sent (every field of every step; each step reads
/// its own).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StepForm {
    pub csrf: String,
    pub version: String,
    pub slot: String,
    pub beds: String,
    pub reason: String,
    pub comment: String,
    pub to: String,
    pub advice: String,
    pub charge: String,
    pub summary: String,
    pub diagnosis: String,
    pub recommendation: String,
    /// The office page to come back to (the arrivals list or this page).
    pub back: String,
}

/// `POST /ui/office/referrals/{id}/{action}`: one step of the loop.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> Result<Response, UiError> {
    office_of(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let lang = viewer.lang;
    let Some(action) = Action::from_code(&action) else {
        return Err(UiError::NotFound(action));
    };
    let version: u32 = form
        .version
        .trim()
        .parse()
        .map_err(|_| UiError::BadRequest(lang.t("office-error-version")))?;
    let ctx = &state.ctx;
    let service = Referrals::new(ctx, &viewer.actor);
    let current = service.read(&id).await?;
    let mut errors = FieldErrors::new();
    let charge = read_charge(&mut errors, lang, action, &form.charge);
    let step = step(ctx, &current.value, action, &form, lang, &mut errors).await;
    let back = back_to(&form.back, &id);
    let (Some(step), true) = (step, errors.is_empty()) else {
        let shown = Shown {
            failed: action.code(),
            errors,
            notice: String::new(),
            form,
        };
        return detail(
            &state,
            &viewer,
            &id,
            shown,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let service = service.with_charge(charge);
    let done = match step {
        Planned::Slot(slot) => service
            .book_slot(&id, &slot, Some(version))
            .await
            .map(|_| ()),
        Planned::Bed(pool) => service
            .book_bed(&id, &pool, Some(version))
            .await
            .map(|_| ()),
        Planned::Command(c) => service.act(&id, c, Some(version)).await.map(|_| ()),
    };
    match done {
        Ok(()) => Ok(
            Redirect::to(&with_query(&back, &format!("done={}", action.code()))).into_response(),
        ),
        Err(ServiceError::StaleVersion(_)) => {
            Ok(Redirect::to(&format!("/ui/office/referrals/{id}?stale=1")).into_response())
        }
        Err(e) => {
            let status = match &e {
                ServiceError::Conflict(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let fields = [
                ("slot", "slot"),
                ("Slot", "slot"),
                ("beds", "beds"),
                ("Location", "beds"),
                (
                    "booking",
                    if action == Action::Book {
                        "slot"
                    } else {
                        "form"
                    },
                ),
                ("comment", "comment"),
                ("reason", "reason"),
                ("to", "to"),
                ("advice", "advice"),
                ("charge", "charge"),
                ("report", "summary"),
                ("diagnosis", "diagnosis"),
            ];
            let fallback = match action {
                Action::Book if current.value.setting == Setting::Inpatient => "beds",
                Action::Book => "slot",
                Action::Complete => "charge",
                _ => "form",
            };
            // A slot, bed pool or institution that is not there: the
            // choice is wrong, not the page.
            let e = match e {
                ServiceError::NotFound(m) => ServiceError::invalid(fallback, m),
                other => other,
            };
            let errors = FieldErrors::from_service(e, lang, &fields, fallback)?;
            let shown = Shown {
                failed: action.code(),
                errors,
                notice: String::new(),
                form,
            };
            detail(&state, &viewer, &id, shown, status).await
        }
    }
}

/// A step ready for the service.
enum Planned {
    Slot(String),
    Bed(String),
    Command(Command),
}

/// The step a form asks for, checking what the page can check itself;
/// `None` when the form cannot make one (the reasons are in `errors`).
async fn step(
    ctx: &tiercare_service::Context,
    r: &Referral,
    action: Action,
    form: &StepForm,
    lang: Lang,
    errors: &mut FieldErrors,
) -> Option<Planned> {
    let mut required = |field: &str, value: &str| -> Option<String> {
        crate::form::required(errors, lang, field, Some(value))
    };
    let command = match action {
        Action::Book if r.setting == Setting::Inpatient => {
            return required("beds", &form.beds).map(Planned::Bed);
        }
        Action::Book => return required("slot", &form.slot).map(Planned::Slot),
        Action::Accept => Command::Accept,
        Action::Arrive => Command::Arrive { early: false },
        Action::NoShow => Command::NoShow,
        Action::Close => Command::Close,
        Action::Decline => {
            let code = required("reason", &form.reason)?;
            let Some(reason) = DeclineReason::from_code(&code) else {
                errors.add("reason", lang.t("office-error-reason"));
                return None;
            };
            if reason == DeclineReason::Other && form.comment.trim().is_empty() {
                errors.add("comment", lang.t("office-error-comment-other"));
                return None;
            }
            Command::Decline {
                reason,
                comment: form.comment.trim().to_string(),
            }
        }
        Action::Redirect => {
            let to = required("to", &form.to)?;
            let found = tiercare_service::registry::institution(ctx, &to, "to").await;
            let (Ok(institution), Ok(id)) = (found, to.parse()) else {
                errors.add("to", lang.t("office-error-institution"));
                return None;
            };
            Command::Redirect {
                to: id,
                to_level: institution.level,
                comment: form.comment.trim().to_string(),
            }
        }
        Action::ReturnWithAdvice => Command::ReturnWithAdvice {
            advice: required("advice", &form.advice)?,
        },
        Action::Cancel => Command::Cancel {
            reason: required("comment", &form.comment)?,
        },
        Action::Complete => Command::Complete {
            report: read_report(errors, lang, form, false),
        },
        Action::Report => Command::Report {
            report: read_report(errors, lang, form, true)?,
        },
    };
    Some(Planned::Command(command))
}

/// The charge of a completed visit: required, in yuan with at most two
/// decimals, not negative.
fn read_charge(errors: &mut FieldErrors, lang: Lang, action: Action, value: &str) -> Option<Fen> {
    if action != Action::Complete {
        return None;
    }
    let v = crate::form::required(errors, lang, "charge", Some(value))?;
    match v.parse::<Fen>() {
        Ok(f) if f >= Fen::ZERO => Some(f),
        _ => {
            errors.add("charge", lang.t("office-error-charge"));
            None
        }
    }
}

/// The report back: a summary (required for the report step, optional on
/// completion), a diagnosis (ICD-10, optional) and a recommendation.
fn read_report(
    errors: &mut FieldErrors,
    lang: Lang,
    form: &StepForm,
    required: bool,
) -> Option<Report> {
    let summary = form.summary.trim();
    if summary.is_empty() {
        if required || !form.recommendation.trim().is_empty() {
            errors.add("summary", lang.t("error-required"));
        }
        return None;
    }
    let diagnosis = match form.diagnosis.trim() {
        "" => None,
        d => match d.parse::<IcdCode>() {
            Ok(c) => Some(c),
            Err(_) => {
                errors.add("diagnosis", lang.t("office-error-diagnosis"));
                None
            }
        },
    };
    Some(Report {
        summary: summary.to_string(),
        diagnosis,
        recommendation: form.recommendation.trim().to_string(),
    })
}

/// Where to go after a step: an office page the form named, else the
/// referral's page.
fn back_to(back: &str, id: &str) -> String {
    let ours = back.starts_with("/ui/office") && !back.contains(['\\', '\r', '\n', '#']);
    if ours && !back.starts_with("//") {
        back.to_string()
    } else {
        format!("/ui/office/referrals/{id}")
    }
}

fn with_query(path: &str, q: &str) -> String {
    if path.contains('?') {
        format!("{path}&{q}")
    } else {
        format!("{path}?{q}")
    }
}
