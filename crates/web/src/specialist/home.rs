//! The specialist's worklist: e-consults addressed to them or their
//! department, the patients referred to their department, their outreach
//! sessions and their mentorships with the activity log.

use super::fmt::{notice, when};
use super::only_specialists;
use super::outreach::{self, LogEcho, MentorshipView, SessionRow};
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::access::Actor;
use tiercare_core::referral::ReferralState;
use tiercare_core::{Record, Specialty};
use tiercare_service::referrals::Referrals;
use tiercare_service::registry::Registry;
use tiercare_service::search::{exact, query};

/// `?done=` after a saved form.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// An e-consult in the inbox.
pub struct ConsultRow {
    pub href: String,
    pub asked: String,
    pub from: String,
    pub patient: String,
    pub condition: String,
    pub specialty: String,
    pub state: String,
    pub state_code: &'static str,
    /// When it was asked, for the order of the inbox.
    pub sort: i64,
}

/// A referred patient.
pub struct ReferralRow {
    pub href: String,
    pub patient: String,
    pub from: String,
    pub condition: String,
    pub state: String,
    pub state_code: &'static str,
    pub when: String,
}

#[derive(Template)]
#[template(path = "specialist/home.html")]
struct HomePage {
    chrome: Chrome,
    notice: String,
    consults: Vec<ConsultRow>,
    referrals: Vec<ReferralRow>,
    sessions: Vec<SessionRow>,
    mentorships: Vec<MentorshipView>,
}

/// The specialties the doctor practises (their department), from their
/// practitioner roles at their institution.
pub async fn specialties(state: &AppState, actor: &Actor) -> Result<Vec<Specialty>, UiError> {
    let Some(p) = &actor.practitioner else {
        return Ok(vec![]);
    };
    let registry = Registry::new(&state.ctx, actor);
    let q = query(
        "PractitionerRole",
        vec![exact("practitioner", format!("Practitioner/{p}"))],
    );
    let (found, _) = registry.search("PractitionerRole", q, "").await?;
    Ok(found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Role(r) if r.active && r.institution.as_str() == inst(actor) => r.specialty,
            _ => None,
        })
        .collect())
}

fn inst(actor: &Actor) -> &str {
    actor.institution.as_ref().map(|i| i.as_str()).unwrap_or("")
}

/// Whether a referral still needs the receiving department.
fn open(state: &ReferralState) -> bool {
    !matches!(
        state,
        ReferralState::Closed
            | ReferralState::Cancelled { .. }
            | ReferralState::Declined { .. }
            | ReferralState::Returned { .. }
    )
}

/// `GET /ui/specialist`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    let notice = notice(viewer.lang, done.done.as_deref());
    render_home(&state, &viewer, notice, None).await
}

/// The worklist; with `echo`, a refused mentoring log form is shown again
/// with its errors (status 400).
pub async fn render_home(
    state: &AppState,
    viewer: &Viewer,
    notice: String,
    echo: Option<&LogEcho>,
) -> Result<Response, UiError> {
    let lang = viewer.lang;
    let actor = &viewer.actor;
    let mine = specialties(state, actor).await?;
    let me = actor.practitioner.as_ref();
    let referrals = Referrals::new(&state.ctx, actor);
    let q = query(
        "ServiceRequest",
        vec![exact("performer", format!("Organization/{}", inst(actor)))],
    );
    let (found, _) = referrals.search(q).await?;
    let mut names = Names::new(&state.ctx, actor);
    let mut consults = Vec::new();
    let mut referred = Vec::new();
    for s in found {
        match s.record {
            Record::Consult(c) => {
                let addressed = match &c.specialist {
                    Some(p) => Some(p) == me,
                    None => mine.contains(&c.specialty),
                };
                if !addressed {
                    continue;
                }
                consults.push(ConsultRow {
                    href: format!("/ui/specialist/consults/{}", c.id),
                    asked: when(lang, c.asked_at),
                    from: names.institution(c.from.as_str()).await,
                    patient: names.resident(c.patient.as_str()).await,
                    condition: c
                        .condition
                        .as_ref()
                        .map(|i| crate::names::condition(lang, i.as_str()))
                        .unwrap_or_default(),
                    specialty: lang.coded("specialty", c.specialty.code()),
                    state: lang.coded("specialist-consult-state", c.state.code()),
                    state_code: c.state.code(),
                    sort: c.asked_at.unix_timestamp(),
                });
            }
            Record::Referral(r) if mine.contains(&r.specialty) && open(&r.state) => {
                let at = match &r.state {
                    ReferralState::Booked { booking } => when(lang, booking.start()),
                    _ => when(lang, r.since),
                };
                referred.push(ReferralRow {
                    href: format!("/ui/specialist/referrals/{}", r.id),
                    patient: names.resident(r.patient.as_str()).await,
                    from: names.institution(r.from.as_str()).await,
                    condition: crate::names::condition(lang, r.condition.as_str()),
                    state: lang.coded("state", r.state.code()),
                    state_code: r.state.code(),
                    when: at,
                });
            }
            _ => {}
        }
    }
    // Waiting for an answer first, then the newest.
    consults.sort_by_key(|c| (c.state_code != "open", std::cmp::Reverse(c.sort)));
    let sessions = outreach::sessions(state, viewer, &mut names).await?;
    let mentorships = outreach::mentorships(state, viewer, &mut names, echo).await?;
    let status = if echo.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = HomePage {
        chrome: viewer.chrome(state),
        notice,
        consults,
        referrals: referred,
        sessions,
        mentorships,
    };
    Ok(render(status, &page))
}
