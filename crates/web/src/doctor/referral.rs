//! A sent referral (`/ui/doctor/referrals/{id}`): where it stands, its
//! deadline, what it carries, and the slot held for it; while it waits
//! for a booking the doctor may hold a slot here.

use super::family_doctor;
use super::fields::Fields;
use super::slots::{SlotChoice, free_slots};
use crate::form::FieldErrors;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::booking::SlotStatus;
use tiercare_core::referral::{Action, Referral, Step};
use tiercare_service::referrals::Referrals;

#[derive(Template)]
#[template(path = "doctor/referral.html")]
struct ReferralPage {
    chrome: Chrome,
    notice: String,
    id: String,
    patient: String,
    patient_name: String,
    state: String,
    state_word: String,
    direction_word: String,
    condition: String,
    priority: String,
    setting: String,
    to: String,
    specialty: String,
    requested: String,
    deadline: String,
    overdue: bool,
    summary: String,
    results: Vec<String>,
    held: String,
    version: u32,
    slots: Vec<SlotChoice>,
    errors: FieldErrors,
}

/// The words for a step that has a deadline.
pub fn step_word(lang: crate::Lang, step: Step) -> String {
    match step {
        Step::Triage => lang.t("doctor-step-triage"),
        Step::Booking => lang.t("doctor-step-booking"),
        Step::Visit => lang.t("doctor-step-visit"),
        Step::Report => lang.t("doctor-step-report"),
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    r: &Referral,
    version: u32,
    q: &Fields,
    errors: FieldErrors,
) -> Result<ReferralPage, UiError> {
    let ctx = &state.ctx;
    let lang = viewer.lang;
    let mut names = Names::new(ctx, &viewer.actor);
    let now = ctx.clock.now();
    let due = r.due(&ctx.policy);
    let held = match q.get("slot") {
        "" => String::new(),
        slot => match tiercare_service::open::read(ctx, "Slot", slot).await {
            Ok(s) => match s.record {
                Record::Slot(s) => match s.status_at(now) {
                    SlotStatus::Held { holder, until } if holder == viewer.actor.username => lang
                        .t_with(
                            "doctor-slot-held",
                            &[
                                ("start", lang.moment(s.start)),
                                ("until", lang.moment(until)),
                            ],
                        ),
                    _ => String::new(),
                },
                _ => String::new(),
            },
            Err(_) => String::new(),
        },
    };
    let slots = if r.permits(Action::Book, &viewer.actor).is_ok() && held.is_empty() {
        free_slots(ctx, lang, r.to.as_str(), r.specialty, r.priority, &r.id).await?
    } else {
        vec![]
    };
    Ok(ReferralPage {
        chrome: viewer.chrome(state),
        notice: super::notice(lang, Some(q.get("done")).filter(|d| !d.is_empty())),
        id: r.id.to_string(),
        patient: r.patient.to_string(),
        patient_name: names.resident(r.patient.as_str()).await,
        state: r.state.code().to_string(),
        state_word: lang.coded("state", r.state.code()),
        direction_word: lang.coded("direction", r.direction().code()),
        condition: crate::names::condition(lang, r.condition.as_str()),
        priority: lang.coded("priority", r.priority.code()),
        setting: lang.coded("setting", r.setting.code()),
        to: names.institution(r.to.as_str()).await,
        specialty: lang.coded("specialty", r.specialty.code()),
        requested: lang.moment(r.requested_at),
        deadline: due
            .map(|d| format!("{} · {}", step_word(lang, d.step), lang.moment(d.by)))
            .unwrap_or_default(),
        overdue: due.is_some_and(|d| d.by < now),
        summary: r.summary.clone(),
        results: r
            .attachments
            .results
            .iter()
            .map(|a| format!("{} · {}", a.name, lang.date(a.effective.date())))
            .collect(),
        held,
        version,
        slots,
        errors,
    })
}

/// `GET /ui/doctor/referrals/{id}`: the referral as its referring side
/// sees it (an audited read; 403 for anyone not on either side).
pub async fn view(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let r = Referrals::new(&state.ctx, &viewer.actor).read(&id).await?;
    let q = Fields::of_query(raw.as_deref());
    let p = page(&state, &viewer, &r.value, r.version, &q, FieldErrors::new()).await?;
    Ok(render(StatusCode::OK, &p))
}

/// `POST /ui/doctor/referrals/{id}/hold`: holds a slot for the referral
/// while the patient decides. A form sent for an older version of the
/// referral shows where it stands now.
pub async fn hold(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let f = Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    let lang = viewer.lang;
    let service = Referrals::new(&state.ctx, &viewer.actor);
    let r = service.read(&id).await?;
    let slot = f.get("slot").to_string();
    let stale = f.get("version") != r.version.to_string();
    let mut errors = FieldErrors::new();
    if stale {
        errors.add("slot", lang.t("doctor-error-stale"));
    } else if slot.is_empty() {
        errors.add("slot", lang.t("doctor-error-slot-choice"));
    } else {
        match service.hold_slot(&id, &slot).await {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "/ui/doctor/referrals/{id}?done=held&slot={slot}"
                ))
                .into_response());
            }
            Err(e) => errors = FieldErrors::from_service(e, lang, &[("slot", "slot")], "slot")?,
        }
    }
    let status = if stale {
        StatusCode::CONFLICT
    } else {
        StatusCode::BAD_REQUEST
    };
    let p = page(
        &state,
        &viewer,
        &r.value,
        r.version,
        &Fields::default(),
        errors,
    )
    .await?;
    Ok(render(status, &p))
}
