//! The hospital's outreach sessions (专家下沉): its programmes' sessions
//! at the primary institutions, a form to schedule one, cancellation with
//! a reason, and the rebook list — cancelled sessions whose booked slots
//! the primary institution must rebook.
//!
//! Sessions and slots are open records of the care network (no patient
//! in them), read through the service's open reads; scheduling and
//! cancelling go through the outreach service, which checks that the
//! caller is the hospital's coordinator.

use super::{OUTREACH, Tab, local_offset, office_of, parse_day, tabs, when};
use crate::form::FieldErrors;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, Lang, UiError, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::booking::SlotStatus;
use tiercare_core::outreach::{NewSession, OutreachSession, Programme, SessionStatus};
use tiercare_core::{InstitutionId, Record};
use tiercare_service::outreach::Outreach;
use tiercare_service::search::{exact, query};
use tiercare_service::{Context, ServiceError};
use time::{PrimitiveDateTime, Time};

/// The schedule form.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ScheduleForm {
    pub csrf: String,
    pub submission: String,
    pub programme: String,
    pub specialist: String,
    pub day: String,
    pub start: String,
    pub end: String,
    pub slots: String,
}

/// The cancel form.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CancelForm {
    pub csrf: String,
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    pub done: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

struct SessionRow {
    id: String,
    programme: String,
    specialist: String,
    when: String,
    slots: u32,
    status: String,
    status_code: &'static str,
    /// Why it was cancelled ("" otherwise).
    reason: String,
    /// Booked slots left for the primary institution to rebook.
    to_rebook: Vec<String>,
}

#[derive(Template)]
#[template(path = "office/outreach.html")]
struct Page {
    chrome: Chrome,
    tabs: Vec<Tab>,
    programmes: Vec<Choice>,
    specialists: Vec<Choice>,
    upcoming: Vec<SessionRow>,
    past: Vec<SessionRow>,
    rebook: Vec<SessionRow>,
    form: ScheduleForm,
    errors: FieldErrors,
    /// The session whose cancel form was refused, and why.
    cancel_failed: String,
    cancel_error: String,
    notice: String,
}

impl Page {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

/// The hospital's programmes.
async fn programmes(ctx: &Context, hospital: &InstitutionId) -> Result<Vec<Programme>, UiError> {
    let q = query(
        "HealthcareService",
        vec![exact("organization", format!("Organization/{hospital}"))],
    );
    let (found, _) = tiercare_service::open::search(ctx, &q).await?;
    Ok(found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Programme(p) if &p.hospital == hospital => Some(p),
            _ => None,
        })
        .collect())
}

async fn sessions_of(ctx: &Context, p: &Programme) -> Result<Vec<OutreachSession>, UiError> {
    let q = query(
        "Schedule",
        vec![exact("actor", format!("HealthcareService/{}", p.id))],
    );
    let (found, _) = tiercare_service::open::search(ctx, &q).await?;
    Ok(found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::OutreachSession(s) => Some(s),
            _ => None,
        })
        .collect())
}

/// The booked slots of a cancelled session: what must be rebooked.
async fn booked_slots(
    ctx: &Context,
    s: &OutreachSession,
    lang: Lang,
) -> Result<Vec<String>, UiError> {
    let Ok(schedule) = s.schedule_id() else {
        return Ok(vec![]);
    };
    let q = query(
        "Slot",
        vec![exact("schedule", format!("Schedule/{schedule}"))],
    );
    let (found, _) = tiercare_service::open::search(ctx, &q).await?;
    let mut starts: Vec<_> = found
        .into_iter()
        .filter_map(|st| match st.record {
            Record::Slot(slot) if matches!(slot.status, SlotStatus::Booked { .. }) => {
                Some(slot.start)
            }
            _ => None,
        })
        .collect();
    starts.sort();
    Ok(starts.into_iter().map(|t| when(lang, t)).collect())
}

/// `GET /ui/office/outreach`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(notice): Query<Notice>,
) -> Result<Response, UiError> {
    office_of(&viewer)?;
    let lang = viewer.lang;
    let message = match notice.done.as_str() {
        "schedule" => lang.t("office-outreach-scheduled"),
        "cancel" => lang.t("office-outreach-cancelled"),
        "already" => lang.t("office-outreach-already"),
        _ => String::new(),
    };
    let shown = Shown {
        form: ScheduleForm {
            submission: crate::form::submission_key(),
            ..ScheduleForm::default()
        },
        errors: FieldErrors::new(),
        cancel_failed: String::new(),
        cancel_error: String::new(),
        notice: message,
    };
    outreach_page(&state, &viewer, shown, StatusCode::OK).await
}

struct Shown {
    form: ScheduleForm,
    errors: FieldErrors,
    cancel_failed: String,
    cancel_error: String,
    notice: String,
}

async fn outreach_page(
    state: &AppState,
    viewer: &Viewer,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, UiError> {
    let hospital = office_of(viewer)?;
    let ctx = &state.ctx;
    let lang = viewer.lang;
    let now = ctx.clock.now();
    let mut names = Names::new(ctx, &viewer.actor);
    let list = programmes(ctx, &hospital).await?;
    let mut programme_choices = Vec::new();
    let mut specialist_choices: Vec<Choice> = Vec::new();
    let (mut upcoming, mut past, mut rebook) = (Vec::new(), Vec::new(), Vec::new());
    for p in &list {
        let label = format!(
            "{} · {}",
            lang.coded("specialty", p.department.code()),
            names.institution(p.primary.as_str()).await
        );
        programme_choices.push(Choice {
            value: p.id.to_string(),
            label: label.clone(),
            selected: shown.form.programme == p.id.as_str(),
        });
        for s in &p.specialists {
            if !specialist_choices.iter().any(|c| c.value == s.as_str()) {
                specialist_choices.push(Choice {
                    value: s.to_string(),
                    label: names.practitioner(s.as_str()).await,
                    selected: shown.form.specialist == s.as_str(),
                });
            }
        }
        let mut sessions = sessions_of(ctx, p).await?;
        sessions.sort_by_key(|s| s.start);
        for s in sessions {
            let (reason, cancelled) = match &s.status {
                SessionStatus::Cancelled { reason, .. } => (reason.clone(), true),
                _ => (String::new(), false),
            };
            let row = SessionRow {
                id: s.id.to_string(),
                programme: label.clone(),
                specialist: names.practitioner(s.specialist.as_str()).await,
                when: format!(
                    "{}–{:02}:{:02}",
                    when(lang, s.start),
                    super::local(s.end).hour(),
                    super::local(s.end).minute()
                ),
                slots: s.slots,
                status: lang.t(&format!("office-session-{}", s.status.code())),
                status_code: s.status.code(),
                reason,
                to_rebook: if cancelled {
                    booked_slots(ctx, &s, lang).await?
                } else {
                    vec![]
                },
            };
            if cancelled {
                rebook.push(row);
            } else if s.status == SessionStatus::Scheduled && s.end > now {
                upcoming.push(row);
            } else {
                past.push(row);
            }
        }
    }
    let page = Page {
        chrome: viewer.chrome(state),
        tabs: tabs(lang, OUTREACH),
        programmes: programme_choices,
        specialists: specialist_choices,
        upcoming,
        past,
        rebook,
        form: shown.form,
        errors: shown.errors,
        cancel_failed: shown.cancel_failed,
        cancel_error: shown.cancel_error,
        notice: shown.notice,
    };
    Ok(render(status, &page))
}

/// `POST /ui/office/outreach/schedule`.
pub async fn schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ScheduleForm>,
) -> Result<Response, UiError> {
    office_of(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let lang = viewer.lang;
    let ctx = &state.ctx;
    let mut errors = FieldErrors::new();
    let programme = crate::form::required(&mut errors, lang, "programme", Some(&form.programme));
    let specialist = crate::form::required(&mut errors, lang, "specialist", Some(&form.specialist));
    let day = match crate::form::required(&mut errors, lang, "day", Some(&form.day)) {
        Some(d) => match parse_day(&d) {
            Some(day) => Some(day),
            None => {
                errors.add("day", lang.t("office-error-day"));
                None
            }
        },
        None => None,
    };
    let start = clock_time(&mut errors, lang, "start", &form.start);
    let end = clock_time(&mut errors, lang, "end", &form.end);
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        errors.add("end", lang.t("office-error-end"));
    }
    let slots = match form.slots.trim() {
        "" => None,
        n => match n.parse::<u32>() {
            Ok(n) if (1..=200).contains(&n) => Some(n),
            _ => {
                errors.add("slots", lang.t("office-error-slots"));
                None
            }
        },
    };
    let key = form.submission.trim();
    let id_ok = (8..=48).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !id_ok {
        errors.add("programme", lang.t("office-error-resend"));
    }
    let programme_id = programme.as_deref().and_then(|p| p.parse().ok());
    if programme.is_some() && programme_id.is_none() {
        errors.add("programme", lang.t("office-error-programme"));
    }
    let specialist_id = specialist.as_deref().and_then(|p| p.parse().ok());
    if specialist.is_some() && specialist_id.is_none() {
        errors.add("specialist", lang.t("office-error-specialist"));
    }
    let session_id = format!("os-{key}").parse().ok();
    let (Some(programme_id), Some(specialist), Some(day), Some(start), Some(end), Some(id), true) = (
        programme_id,
        specialist_id,
        day,
        start,
        end,
        session_id,
        errors.is_empty(),
    ) else {
        return refused(&state, &viewer, form, errors).await;
    };
    // The same form sent twice finds the session the first one made.
    let outreach = Outreach::new(ctx, &viewer.actor);
    if outreach.load_session(&format!("os-{key}")).await.is_ok() {
        return Ok(Redirect::to(&format!("{OUTREACH}?done=schedule")).into_response());
    }
    let at = |t: Time| PrimitiveDateTime::new(day, t).assume_offset(local_offset());
    let new = NewSession {
        id,
        specialist,
        start: at(start),
        end: at(end),
        slots,
    };
    match outreach.schedule(programme_id, new).await {
        Ok(_) => Ok(Redirect::to(&format!("{OUTREACH}?done=schedule")).into_response()),
        Err(ServiceError::Conflict(m)) if m.contains("exists") => {
            Ok(Redirect::to(&format!("{OUTREACH}?done=schedule")).into_response())
        }
        Err(e) => {
            let fields = [
                ("Schedule.actor", "specialist"),
                ("Schedule.planningHorizon.start", "start"),
                ("Schedule.planningHorizon.end", "end"),
                ("Schedule.slots", "slots"),
            ];
            let errors = FieldErrors::from_service(e, lang, &fields, "programme")?;
            refused(&state, &viewer, form, errors).await
        }
    }
}

async fn refused(
    state: &AppState,
    viewer: &Viewer,
    form: ScheduleForm,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let shown = Shown {
        form,
        errors,
        cancel_failed: String::new(),
        cancel_error: String::new(),
        notice: String::new(),
    };
    outreach_page(state, viewer, shown, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// A time of day from a time field (`HH:MM`).
fn clock_time(errors: &mut FieldErrors, lang: Lang, field: &str, value: &str) -> Option<Time> {
    let v = crate::form::required(errors, lang, field, Some(value))?;
    let parsed = v.split_once(':').and_then(|(h, m)| {
        let h: u8 = h.parse().ok()?;
        let m: u8 = m.get(..2)?.parse().ok()?;
        Time::from_hms(h, m, 0).ok()
    });
    if parsed.is_none() {
        errors.add(field, lang.t("office-error-time"));
    }
    parsed
}

/// `POST /ui/office/outreach/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<CancelForm>,
) -> Result<Response, UiError> {
    office_of(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let lang = viewer.lang;
    let outreach = Outreach::new(&state.ctx, &viewer.actor);
    let session = outreach.load_session(&id).await?;
    if session.value.status != SessionStatus::Scheduled {
        return Ok(Redirect::to(&format!("{OUTREACH}?done=already")).into_response());
    }
    let reason = form.reason.trim().to_string();
    let error = if reason.is_empty() {
        lang.t("error-required")
    } else {
        match outreach.cancel(&id, None, reason).await {
            Ok(_) => return Ok(Redirect::to(&format!("{OUTREACH}?done=cancel")).into_response()),
            Err(e) => {
                let errors = FieldErrors::from_service(e, lang, &[], "reason")?;
                errors.get("reason").unwrap_or_default().to_string()
            }
        }
    };
    let shown = Shown {
        form: ScheduleForm {
            submission: crate::form::submission_key(),
            ..ScheduleForm::default()
        },
        errors: FieldErrors::new(),
        cancel_failed: id,
        cancel_error: error,
        notice: String::new(),
    };
    outreach_page(&state, &viewer, shown, StatusCode::UNPROCESSABLE_ENTITY).await
}
