//! The family doctor's worklist (`/ui/doctor`): what needs them today.
//!
//! - sent referrals still in their loop, with their state and the next
//!   deadline, the overdue first;
//! - downward referrals arriving at the doctor's institution with their
//!   care plans (medicines the institution does not stock flagged), and
//!   the follow-ups it owes;
//! - panel patients due for a follow-up, with their control status;
//! - the doctor's open e-consults, those with an answer waiting first.

use super::family_doctor;
use super::referral::step_word;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::care_plan::{CarePlan, FollowUpStatus};
use tiercare_core::consult::ConsultState;
use tiercare_core::referral::{Direction, ReferralState};
use tiercare_service::ServiceError;
use tiercare_service::panels::Panels;
use tiercare_service::referrals::Referrals;
use tiercare_service::search::{MAX_COUNT, exact};
use tiercare_store::Query;

/// One line of a worklist section.
pub struct Item {
    pub link: String,
    pub patient: String,
    pub what: String,
    pub state: String,
    pub state_word: String,
    pub when: String,
    /// Needs attention first (overdue, an answer waiting, a medicine gap).
    pub flag: bool,
    pub flag_word: String,
}

#[derive(Template)]
#[template(path = "doctor/home.html")]
struct HomePage {
    chrome: Chrome,
    sent: Vec<Item>,
    sent_overdue: usize,
    arriving: Vec<Item>,
    follow_ups: Vec<Item>,
    panels: Vec<Item>,
    consults: Vec<Item>,
    answered: usize,
}

fn query(filters: Vec<tiercare_store::Filter>, rt: &str) -> Query {
    Query {
        resource_type: rt.into(),
        filters,
        count: MAX_COUNT,
        offset: 0,
    }
}

/// Whether a referral is still in its loop.
fn open(state: &ReferralState) -> bool {
    !matches!(
        state,
        ReferralState::Closed | ReferralState::Cancelled { .. } | ReferralState::Declined { .. }
    )
}

/// `GET /ui/doctor`: the worklist.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let ctx = &state.ctx;
    let actor = &viewer.actor;
    let lang = viewer.lang;
    let now = ctx.clock.now();
    let today = ctx.clock.today();
    let mut names = Names::new(ctx, actor);
    let practitioner = actor.practitioner.as_ref().map(|p| p.to_string());
    let institution = actor.institution.as_ref().map(|i| i.to_string());
    let service = Referrals::new(ctx, actor);

    let mut sent = Vec::new();
    let mut consults = Vec::new();
    if let Some(p) = &practitioner {
        let q = query(
            vec![exact("requester", format!("Practitioner/{p}"))],
            "ServiceRequest",
        );
        let (found, _) = service.search(q).await?;
        let mut keyed = Vec::new();
        for s in found {
            match s.record {
                Record::Referral(r) if open(&r.state) => {
                    let due = r.due(&ctx.policy);
                    let overdue = due.is_some_and(|d| d.by < now);
                    let item = Item {
                        link: format!("/ui/doctor/referrals/{}", r.id),
                        patient: names.resident(r.patient.as_str()).await,
                        what: format!(
                            "{} → {}",
                            crate::names::condition(lang, r.condition.as_str()),
                            names.institution(r.to.as_str()).await
                        ),
                        state: r.state.code().to_string(),
                        state_word: lang.coded("state", r.state.code()),
                        when: due
                            .map(|d| format!("{} · {}", step_word(lang, d.step), lang.moment(d.by)))
                            .unwrap_or_default(),
                        flag: overdue,
                        flag_word: if overdue {
                            lang.t("doctor-overdue")
                        } else {
                            String::new()
                        },
                    };
                    keyed.push((!overdue, due.map(|d| d.by), item));
                }
                Record::Consult(c) if !matches!(c.state, ConsultState::Closed { .. }) => {
                    let answered = c.state == ConsultState::Answered;
                    consults.push(Item {
                        link: format!("/ui/doctor/consults/{}", c.id),
                        patient: names.resident(c.patient.as_str()).await,
                        what: format!(
                            "{} · {}",
                            names.institution(c.to.as_str()).await,
                            lang.coded("specialty", c.specialty.code())
                        ),
                        state: c.state.code().to_string(),
                        state_word: super::consults::state_word(lang, &c.state),
                        when: lang.moment(c.asked_at),
                        flag: answered,
                        flag_word: if answered {
                            lang.t("doctor-answer-waiting")
                        } else {
                            String::new()
                        },
                    });
                }
                _ => {}
            }
        }
        keyed.sort_by_key(|k| (k.0, k.1));
        sent = keyed.into_iter().map(|(.., i)| i).collect();
        consults.sort_by_key(|c| !c.flag);
    }
    let sent_overdue = sent.iter().filter(|i| i.flag).count();
    let answered = consults.iter().filter(|i| i.flag).count();

    let mut arriving = Vec::new();
    let mut follow_ups = Vec::new();
    if let Some(i) = &institution {
        let q = query(
            vec![
                exact("performer", format!("Organization/{i}")),
                exact("direction", Direction::Downward.code()),
            ],
            "ServiceRequest",
        );
        let (found, _) = service.search(q).await?;
        for s in found {
            let Record::Referral(r) = s.record else {
                continue;
            };
            if !open(&r.state) {
                continue;
            }
            let plan = match CarePlan::id_for(&r.id) {
                Some(id) => match service.read_record("CarePlan", id.as_str()).await {
                    Ok(s) => match s.record {
                        Record::CarePlan(p) => Some(p),
                        _ => None,
                    },
                    Err(ServiceError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                },
                None => None,
            };
            let gaps: Vec<String> = plan
                .iter()
                .flat_map(|p| p.missing_medicines().map(|m| m.medicine.name.clone()))
                .collect();
            arriving.push(Item {
                link: format!("/ui/doctor/residents/{}", r.patient),
                patient: names.resident(r.patient.as_str()).await,
                what: match &plan {
                    Some(p) => format!(
                        "{} · {}",
                        crate::names::condition(lang, r.condition.as_str()),
                        p.description
                    ),
                    None => format!(
                        "{} · {}",
                        crate::names::condition(lang, r.condition.as_str()),
                        lang.t("doctor-no-plan")
                    ),
                },
                state: r.state.code().to_string(),
                state_word: lang.coded("state", r.state.code()),
                when: names.institution(r.from.as_str()).await,
                flag: !gaps.is_empty(),
                flag_word: if gaps.is_empty() {
                    String::new()
                } else {
                    lang.t_with("doctor-medicine-gap", &[("medicines", gaps.join("、"))])
                },
            });
        }
        let q = query(vec![exact("code", "follow-up")], "Task");
        let (found, _) = service.search_scoped(q, "owner", "follow-ups").await?;
        let mut due = Vec::new();
        for s in found {
            let Record::FollowUp(f) = s.record else {
                continue;
            };
            if f.status != FollowUpStatus::Due {
                continue;
            }
            let overdue = f.overdue(today);
            due.push((
                f.due,
                Item {
                    link: format!("/ui/doctor/residents/{}", f.patient),
                    patient: names.resident(f.patient.as_str()).await,
                    what: f.description.clone(),
                    state: if overdue { "overdue" } else { "due" }.to_string(),
                    state_word: lang.coded("followup", if overdue { "overdue" } else { "due" }),
                    when: lang.date(f.due),
                    flag: overdue,
                    flag_word: String::new(),
                },
            ));
        }
        due.sort_by_key(|(d, _)| *d);
        follow_ups = due.into_iter().map(|(_, i)| i).collect();
    }

    let mut panels = Vec::new();
    if let Some(p) = &practitioner {
        let list = Panels::new(ctx, actor).due(Some(p), None, today).await?;
        for (e, d) in list {
            let st = Panels::new(ctx, actor).state_of(&e, today).await?;
            let overdue = d.days_overdue > 0;
            panels.push(Item {
                link: format!("/ui/doctor/panels/{}", e.id),
                patient: names.resident(e.patient.as_str()).await,
                what: e
                    .conditions
                    .iter()
                    .map(|c| lang.coded("panel", c.code()))
                    .collect::<Vec<_>>()
                    .join("、"),
                state: st.status.overall.code().to_string(),
                state_word: lang.coded("control", st.status.overall.code()),
                when: format!(
                    "{} · {}",
                    lang.coded("followup", d.state.code()),
                    lang.date(d.due)
                ),
                flag: overdue,
                flag_word: String::new(),
            });
        }
    }

    let page = HomePage {
        chrome: viewer.chrome(&state),
        sent,
        sent_overdue,
        arriving,
        follow_ups,
        panels,
        consults,
        answered,
    };
    Ok(render(StatusCode::OK, &page))
}
