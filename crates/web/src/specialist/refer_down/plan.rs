//! A drawn-up care plan as the hospital sees it: where the patient goes,
//! the goals, the follow-up visits and the medicines, each missing one
//! flagged as the core recorded it against the receiver's list, and the
//! patient's decision.

use super::super::fmt::{notice, when};
use super::super::home::Done;
use super::super::only_specialists;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_core::care_plan::CarePlan;
use tiercare_service::referrals::Referrals;

/// A medicine of a plan.
pub struct PlanMedicine {
    pub code: String,
    pub name: String,
    pub dosage: String,
    pub stocked: bool,
}

/// A follow-up visit of a plan.
pub struct PlanFollowUp {
    pub due: String,
    pub what: String,
    pub status: String,
}

/// What both the hospital's and the resident's pages show of a plan.
pub struct PlanView {
    pub id: String,
    pub from: String,
    pub to: String,
    pub drawn: String,
    pub description: String,
    pub targets: Vec<(String, String)>,
    pub medicines: Vec<PlanMedicine>,
    pub missing: usize,
    pub follow_ups: Vec<PlanFollowUp>,
    pub decision: String,
    pub decision_code: &'static str,
    pub status: String,
}

/// The view of a plan, its follow-ups read through the service (audited).
pub async fn view(
    state: &AppState,
    actor: &Actor,
    names: &mut Names<'_>,
    lang: crate::Lang,
    plan: &CarePlan,
) -> Result<PlanView, UiError> {
    let referrals = Referrals::new(&state.ctx, actor);
    let mut follow_ups = Vec::new();
    for f in &plan.follow_ups {
        if let Record::FollowUp(f) = referrals.read_record("Task", f.as_str()).await?.record {
            follow_ups.push(PlanFollowUp {
                due: lang.date(f.due),
                what: f.description,
                status: lang.coded("specialist-followup", f.status.code()),
            });
        }
    }
    let status = match plan.status {
        tiercare_core::care_plan::PlanStatus::Active => "active",
        tiercare_core::care_plan::PlanStatus::Completed => "completed",
        tiercare_core::care_plan::PlanStatus::Revoked => "revoked",
    };
    Ok(PlanView {
        id: plan.id.to_string(),
        from: names.institution(plan.from.as_str()).await,
        to: names.institution(plan.to.as_str()).await,
        drawn: when(lang, plan.created),
        description: plan.description.clone(),
        targets: plan
            .targets
            .iter()
            .map(|t| (t.measure.clone(), t.goal.clone()))
            .collect(),
        medicines: plan
            .medicines
            .iter()
            .map(|p| PlanMedicine {
                code: p.medicine.medicine.to_string(),
                name: p.medicine.name.clone(),
                dosage: p.medicine.dosage.clone(),
                stocked: p.on_receiver_list,
            })
            .collect(),
        missing: plan.missing_medicines().count(),
        follow_ups,
        decision: lang.coded("specialist-decision", plan.decision.code()),
        decision_code: plan.decision.code(),
        status: lang.coded("specialist-plan", status),
    })
}

#[derive(Template)]
#[template(path = "specialist/plan.html")]
struct PlanPage {
    chrome: Chrome,
    notice: String,
    patient: String,
    plan: PlanView,
}

/// `GET /ui/specialist/plans/{id}`.
pub async fn plan(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    let referrals = Referrals::new(&state.ctx, &viewer.actor);
    let Record::CarePlan(plan) = referrals.read_record("CarePlan", &id).await?.record else {
        return Err(UiError::NotFound(format!("CarePlan/{id}")));
    };
    let lang = viewer.lang;
    let mut names = Names::new(&state.ctx, &viewer.actor);
    let page = PlanPage {
        chrome: viewer.chrome(&state),
        notice: notice(lang, done.done.as_deref()),
        patient: names.resident(plan.patient.as_str()).await,
        plan: view(&state, &viewer.actor, &mut names, lang, &plan).await?,
    };
    Ok(render(StatusCode::OK, &page))
}
