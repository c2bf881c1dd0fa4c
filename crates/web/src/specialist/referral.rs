//! A patient referred to the specialist's department: the referral letter
//! and its results, where the loop stands, and the report back to the
//! referring family doctor (with the visit's completion when the patient
//! has arrived).

use super::consult::{ResultRow, results};
use super::fmt::{notice, when};
use super::home::Done;
use super::only_specialists;
use crate::form::{FieldErrors, required};
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::catalogue::{Catalogue, IcdCode};
use tiercare_core::referral::{Command, Direction, Referral, ReferralState, Report};
use tiercare_service::referrals::Referrals;
use tiercare_service::{ServiceError, Versioned};

/// A result the referral letter carries, and whether it is still
/// recognised (检查检验结果互认) so the test need not be repeated.
pub struct AttachedRow {
    pub name: String,
    pub at: String,
    pub recognised: bool,
}

/// What the report form says.
#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    csrf: Option<String>,
    version: Option<String>,
    summary: Option<String>,
    diagnosis: Option<String>,
    recommendation: Option<String>,
}

#[derive(Template)]
#[template(path = "specialist/referral.html")]
struct ReferralPage {
    chrome: Chrome,
    notice: String,
    id: String,
    patient: String,
    from: String,
    condition: String,
    direction: String,
    priority: String,
    summary: String,
    state: String,
    state_code: &'static str,
    booked: String,
    attached: Vec<AttachedRow>,
    results: Vec<ResultRow>,
    report: Option<(String, String, String)>,
    can_report: bool,
    can_refer_down: bool,
    version: u32,
    form: ReportForm,
    errors: FieldErrors,
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    r: Versioned<Referral>,
    notice: String,
    form: ReportForm,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let lang = viewer.lang;
    let mut names = Names::new(&state.ctx, &viewer.actor);
    let referral = &r.value;
    let now = state.ctx.clock.now();
    let patient = referral.patient.to_string();
    let booked = match &referral.state {
        ReferralState::Booked { booking } | ReferralState::NoShow { booking } => {
            when(lang, booking.start())
        }
        ReferralState::Arrived {
            booking: Some(booking),
        } => when(lang, booking.start()),
        _ => String::new(),
    };
    let report = match &referral.state {
        ReferralState::Completed {
            report: Some(report),
        } => Some((
            report.summary.clone(),
            report
                .diagnosis
                .as_ref()
                .map(|d| crate::names::condition(lang, d.as_str()))
                .unwrap_or_default(),
            report.recommendation.clone(),
        )),
        _ => None,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = ReferralPage {
        chrome: viewer.chrome(state),
        notice,
        id: referral.id.to_string(),
        patient: names.resident(&patient).await,
        from: names.institution(referral.from.as_str()).await,
        condition: crate::names::condition(lang, referral.condition.as_str()),
        direction: lang.coded("direction", referral.direction().code()),
        priority: lang.coded("priority", referral.priority.code()),
        summary: referral.summary.clone(),
        state: lang.coded("state", referral.state.code()),
        state_code: referral.state.code(),
        booked,
        attached: referral
            .attachments
            .results
            .iter()
            .map(|a| AttachedRow {
                name: a.name.clone(),
                at: when(lang, a.effective),
                recognised: a.valid_until > now,
            })
            .collect(),
        results: results(state, &viewer.actor, &mut names, lang, &patient).await?,
        report,
        can_report: can_report(&referral.state),
        can_refer_down: referral.direction() != Direction::Downward
            && !matches!(
                referral.state,
                ReferralState::Closed | ReferralState::Cancelled { .. }
            ),
        version: r.version,
        form,
        errors,
    };
    Ok(render(status, &page))
}

/// Whether the receiving department reports now: at the end of the visit
/// (arrived) or after it (completed without a report yet).
fn can_report(state: &ReferralState) -> bool {
    matches!(
        state,
        ReferralState::Arrived { .. } | ReferralState::Completed { report: None }
    )
}

/// `GET /ui/specialist/referrals/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    let r = Referrals::new(&state.ctx, &viewer.actor).read(&id).await?;
    let notice = notice(viewer.lang, done.done.as_deref());
    show(
        &state,
        &viewer,
        r,
        notice,
        ReportForm::default(),
        FieldErrors::new(),
    )
    .await
}

/// `POST /ui/specialist/referrals/{id}/report`: completes the visit with
/// the report, or sends the report of a completed one.
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<ReportForm>,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    viewer.check_csrf(form.csrf.as_deref().unwrap_or(""))?;
    let lang = viewer.lang;
    let referrals = Referrals::new(&state.ctx, &viewer.actor);
    let r = referrals.read(&id).await?;
    let back = format!("/ui/specialist/referrals/{id}");
    let stale = || Ok(Redirect::to(&format!("{back}?done=stale")).into_response());
    let version: Option<u32> = form.version.as_deref().and_then(|v| v.parse().ok());
    if version != Some(r.version) || !can_report(&r.value.state) {
        return stale();
    }
    let mut errors = FieldErrors::new();
    let summary = required(&mut errors, lang, "summary", form.summary.as_deref());
    let recommendation = required(
        &mut errors,
        lang,
        "recommendation",
        form.recommendation.as_deref(),
    );
    let diagnosis = match form.diagnosis.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => match code.to_ascii_uppercase().parse::<IcdCode>() {
            Ok(icd) if Catalogue::bundled().find(&icd).is_some() => Some(icd),
            _ => {
                errors.add("diagnosis", lang.t("specialist-diagnosis-error"));
                None
            }
        },
    };
    if let (Some(summary), Some(recommendation), true) =
        (summary, recommendation, errors.is_empty())
    {
        let report = Report {
            summary,
            diagnosis,
            recommendation,
        };
        let command = match r.value.state {
            ReferralState::Arrived { .. } => Command::Complete {
                report: Some(report),
            },
            _ => Command::Report { report },
        };
        match referrals.act(&id, command, version).await {
            Ok(_) => return Ok(Redirect::to(&format!("{back}?done=reported")).into_response()),
            Err(ServiceError::StaleVersion(_) | ServiceError::Conflict(_)) => return stale(),
            Err(e) => {
                errors = FieldErrors::from_service(
                    e,
                    lang,
                    &[("report.summary", "summary"), ("report", "recommendation")],
                    "summary",
                )?;
            }
        }
    }
    show(&state, &viewer, r, String::new(), form, errors).await
}
