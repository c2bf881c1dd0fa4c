//! The specialist's outreach: the sessions of their joint programmes
//! (专家下沉坐诊) and their mentorships (带教), whose activities they log
//! here.

use super::fmt::when;
use super::home;
use super::only_specialists;
use crate::UiError;
use crate::form::{FieldErrors, submission_key};
use crate::names::Names;
use crate::session::Viewer;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::outreach::{ActivityKind, MentorshipActivity};
use tiercare_core::{ActivityId, Record};
use tiercare_service::outreach::Outreach;
use tiercare_service::registry::Registry;
use tiercare_service::search::{exact, query};
use tiercare_service::{ServiceError, open};
use time::Date;

/// The kinds of activity logged from this page (a ward round needs the
/// referral it was for, and is logged from the FHIR API).
pub const KINDS: [ActivityKind; 3] = [
    ActivityKind::JointClinic,
    ActivityKind::CaseDiscussion,
    ActivityKind::Teaching,
];

/// An outreach session of one of the specialist's programmes.
pub struct SessionRow {
    pub when: String,
    pub place: String,
    pub slots: u32,
    pub status: String,
}

/// One activity in a mentorship's log.
pub struct ActivityRow {
    pub date: String,
    pub kind: String,
    pub note: String,
}

/// A mentorship, its log and the form to add to it.
pub struct MentorshipView {
    pub id: String,
    pub action: String,
    pub mentees: String,
    pub since: String,
    pub activities: Vec<ActivityRow>,
    pub submission: String,
    pub kinds: Vec<(&'static str, String, bool)>,
    pub date: String,
    pub note: String,
    pub errors: FieldErrors,
}

/// The specialist's sessions, the coming ones first.
pub async fn sessions(
    state: &AppState,
    viewer: &Viewer,
    names: &mut Names<'_>,
) -> Result<Vec<SessionRow>, UiError> {
    let Some(p) = &viewer.actor.practitioner else {
        return Ok(vec![]);
    };
    let q = query(
        "Schedule",
        vec![exact("actor", format!("Practitioner/{p}"))],
    );
    let (found, _) = open::search(&state.ctx, &q).await?;
    let mut sessions: Vec<_> = found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::OutreachSession(o) => Some(o),
            _ => None,
        })
        .collect();
    let now = state.ctx.clock.now();
    sessions.sort_by_key(|s| (s.end < now, (s.start - now).abs()));
    let lang = viewer.lang;
    let mut rows = Vec::new();
    for s in sessions.into_iter().take(20) {
        let place = match open::read(&state.ctx, "HealthcareService", s.programme.as_str()).await {
            Ok(stored) => match stored.record {
                Record::Programme(p) => names.institution(p.primary.as_str()).await,
                _ => s.programme.to_string(),
            },
            Err(_) => s.programme.to_string(),
        };
        rows.push(SessionRow {
            when: when(lang, s.start),
            place,
            slots: s.slots,
            status: lang.coded("specialist-session", s.status.code()),
        });
    }
    Ok(rows)
}

/// What a refused log form said, to show again with its errors.
pub struct LogEcho {
    pub mentorship: String,
    pub form: LogForm,
    pub errors: FieldErrors,
}

/// The specialist's mentorships with their logs.
pub async fn mentorships(
    state: &AppState,
    viewer: &Viewer,
    names: &mut Names<'_>,
    echo: Option<&LogEcho>,
) -> Result<Vec<MentorshipView>, UiError> {
    let Some(p) = &viewer.actor.practitioner else {
        return Ok(vec![]);
    };
    let lang = viewer.lang;
    let registry = Registry::new(&state.ctx, &viewer.actor);
    let q = query(
        "CareTeam",
        vec![exact("participant", format!("Practitioner/{p}"))],
    );
    let (found, _) = registry.search("CareTeam", q, "").await?;
    let outreach = Outreach::new(&state.ctx, &viewer.actor);
    let mut out = Vec::new();
    for s in found {
        let Record::Mentorship(m) = s.record else {
            continue;
        };
        if &m.specialist != p || m.ended.is_some() {
            continue;
        }
        let (acts, _) = outreach
            .search_activities(m.id.as_str(), query("Task", vec![]))
            .await?;
        let mut activities: Vec<MentorshipActivity> = acts
            .into_iter()
            .filter_map(|s| match s.record {
                Record::MentorshipActivity(a) => Some(a),
                _ => None,
            })
            .collect();
        activities.sort_by_key(|a| std::cmp::Reverse(a.date));
        let mut mentees = Vec::new();
        for d in &m.family_doctors {
            mentees.push(names.practitioner(d.as_str()).await);
        }
        let id = m.id.to_string();
        let echo = echo.filter(|e| e.mentorship == id);
        let chosen = echo.and_then(|e| e.form.kind.clone()).unwrap_or_default();
        out.push(MentorshipView {
            action: format!("/ui/specialist/mentorships/{id}/activities"),
            mentees: mentees.join(match lang {
                crate::Lang::Zh => "、",
                crate::Lang::En => ", ",
            }),
            since: lang.date(m.started),
            activities: activities
                .iter()
                .map(|a| ActivityRow {
                    date: lang.date(a.date),
                    kind: lang.coded("specialist-activity", a.kind.code()),
                    note: a.note.clone().unwrap_or_default(),
                })
                .collect(),
            submission: echo
                .and_then(|e| e.form.submission.clone())
                .unwrap_or_else(submission_key),
            kinds: KINDS
                .iter()
                .map(|k| {
                    let code = k.code();
                    (
                        code,
                        lang.coded("specialist-activity", code),
                        chosen == code,
                    )
                })
                .collect(),
            date: echo
                .and_then(|e| e.form.date.clone())
                .unwrap_or_else(|| state.ctx.clock.today().to_string()),
            note: echo.and_then(|e| e.form.note.clone()).unwrap_or_default(),
            errors: echo.map(|e| e.errors.clone()).unwrap_or_default(),
            id,
        });
    }
    Ok(out)
}

/// The log form's fields.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogForm {
    pub csrf: Option<String>,
    pub submission: Option<String>,
    pub kind: Option<String>,
    pub date: Option<String>,
    pub note: Option<String>,
}

/// `POST /ui/specialist/mentorships/{id}/activities`: logs an activity
/// with every mentee of the mentorship.
pub async fn log(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<LogForm>,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    viewer.check_csrf(form.csrf.as_deref().unwrap_or(""))?;
    let lang = viewer.lang;
    let outreach = Outreach::new(&state.ctx, &viewer.actor);
    let m = outreach.load_mentorship(&id).await?.value;
    let mut errors = FieldErrors::new();
    let kind = match form.kind.as_deref().and_then(ActivityKind::from_code) {
        Some(k) if KINDS.contains(&k) => Some(k),
        _ => {
            errors.add("kind", lang.t("specialist-log-kind-error"));
            None
        }
    };
    let today = state.ctx.clock.today();
    let date = match form.date.as_deref().map(str::trim).map(parse_date) {
        Some(Some(d)) if d <= today => Some(d),
        Some(Some(_)) => {
            errors.add("date", lang.t("specialist-log-date-future"));
            None
        }
        _ => {
            errors.add("date", lang.t("specialist-date-error"));
            None
        }
    };
    let note = form
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let submission = form.submission.clone().unwrap_or_default();
    let activity_id =
        tiercare_service::referrals::idempotent_id(&viewer.actor.username, &submission)
            .ok()
            .and_then(|r| ActivityId::new(format!("act-{r}")).ok());
    let Some(activity_id) = activity_id else {
        return Err(UiError::BadRequest(lang.t("specialist-resend")));
    };
    if let (Some(kind), Some(date), true) = (kind, date, errors.is_empty()) {
        let activity = MentorshipActivity {
            id: activity_id,
            mentorship: m.id.clone(),
            kind,
            date,
            family_doctors: m.family_doctors.clone(),
            patients: vec![],
            referrals: vec![],
            note,
        };
        match outreach.log_activity(activity).await {
            Ok(_) => return Ok(done()),
            // The same form sent twice: the first one was logged.
            Err(ServiceError::Conflict(_)) => return Ok(done()),
            Err(e) => {
                errors = FieldErrors::from_service(
                    e,
                    lang,
                    &[("date", "date"), ("note", "note"), ("Task.", "kind")],
                    "kind",
                )?;
            }
        }
    }
    let echo = LogEcho {
        mentorship: id,
        form,
        errors,
    };
    home::render_home(&state, &viewer, String::new(), Some(&echo)).await
}

fn done() -> Response {
    Redirect::to("/ui/specialist?done=logged#mentoring").into_response()
}

/// A day written `YYYY-MM-DD`, as a date field sends it.
pub fn parse_date(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format).ok()
}
