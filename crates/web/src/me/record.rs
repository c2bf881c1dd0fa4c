//! The resident's record as their page shows it, read through the
//! services as the resident themself (their own record only, audited).

use super::DecisionEcho;
use super::estimate::{EstimateView, estimate};
use crate::form::FieldErrors;
use crate::i18n::yuan;
use crate::names::Names;
use crate::session::Viewer;
use crate::specialist::fmt::when;
use crate::specialist::refer_down::plan::{PlanView, view};
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::care_plan::PatientDecision;
use tiercare_core::referral::ReferralState;
use tiercare_service::referrals::Referrals;
use tiercare_service::registry::Registry;
use tiercare_service::search::{exact, query};
use tiercare_store::Stored;

/// The family doctor and the contract.
pub struct ContractView {
    pub doctor: String,
    pub team: String,
    pub place: String,
    pub signed: String,
    pub ends: String,
    pub in_force: bool,
}

/// A referral in words.
pub struct ReferralRow {
    pub what: String,
    pub to: String,
    pub state: String,
    pub state_code: &'static str,
    pub when: String,
}

/// An appointment.
pub struct AppointmentRow {
    pub when: String,
    pub place: String,
    pub department: String,
    pub cancelled: bool,
}

/// A care plan and, while it waits, the form to decide.
pub struct PlanRow {
    pub plan: PlanView,
    pub version: u32,
    pub pending: bool,
    pub reason: String,
    pub errors: FieldErrors,
}

/// A claim: what the fund paid and what the resident paid.
pub struct ClaimRow {
    pub id: String,
    pub date: String,
    pub place: String,
    pub total: String,
    pub fund: String,
    pub mine: String,
}

#[derive(Template)]
#[template(path = "me/home.html")]
struct MePage {
    chrome: Chrome,
    notice: String,
    name: String,
    contract: Option<ContractView>,
    referrals: Vec<ReferralRow>,
    appointments: Vec<AppointmentRow>,
    plans: Vec<PlanRow>,
    estimate: EstimateView,
    claims: Vec<ClaimRow>,
}

/// The resident's records of one type, newest first by the store's order.
async fn mine(
    state: &AppState,
    viewer: &Viewer,
    rt: &str,
    resident: &str,
) -> Result<Vec<Stored>, UiError> {
    let q = query(rt, vec![exact("patient", format!("Patient/{resident}"))]);
    let (found, _) = Referrals::new(&state.ctx, &viewer.actor)
        .search_records(q, Some(resident))
        .await?;
    Ok(found)
}

/// Renders the page; `echo` shows a refused decision form again (400).
pub async fn show(
    state: &AppState,
    viewer: &Viewer,
    resident: &str,
    notice: String,
    q: &HashMap<String, String>,
    echo: Option<&DecisionEcho>,
) -> Result<Response, UiError> {
    let lang = viewer.lang;
    let actor = &viewer.actor;
    let mut names = Names::new(&state.ctx, actor);
    let registry = Registry::new(&state.ctx, actor);
    let Record::Resident(me) = registry.read("Patient", resident, None).await?.record else {
        return Err(UiError::NotFound(format!("Patient/{resident}")));
    };
    let today = state.ctx.clock.today();
    let contract = match &me.contract {
        Some(c) => {
            let team = match registry.read("CareTeam", c.team.as_str(), None).await {
                Ok(Stored {
                    record: Record::Team(t),
                    ..
                }) => Some(t),
                _ => None,
            };
            let doctor = c
                .family_doctor
                .clone()
                .or_else(|| team.as_ref().map(|t| t.lead.clone()));
            let place = c
                .institution
                .clone()
                .or_else(|| team.as_ref().map(|t| t.institution.clone()));
            Some(ContractView {
                doctor: match doctor {
                    Some(d) => names.practitioner(d.as_str()).await,
                    None => String::new(),
                },
                team: team.map(|t| t.name).unwrap_or_default(),
                place: match place {
                    Some(p) => names.institution(p.as_str()).await,
                    None => String::new(),
                },
                signed: lang.date(c.signed_on),
                ends: c.ends_on.map(|d| lang.date(d)).unwrap_or_default(),
                in_force: c.in_force_on(today),
            })
        }
        None => None,
    };
    let mut referrals = Vec::new();
    for s in mine(state, viewer, "ServiceRequest", resident).await? {
        let Record::Referral(r) = s.record else {
            continue;
        };
        let at = match &r.state {
            ReferralState::Booked { booking } => when(lang, booking.start()),
            _ => when(lang, r.since),
        };
        referrals.push(ReferralRow {
            what: format!(
                "{} · {}",
                lang.coded("direction", r.direction().code()),
                crate::names::condition(lang, r.condition.as_str())
            ),
            to: names.institution(r.to.as_str()).await,
            state: lang.coded("state", r.state.code()),
            state_code: r.state.code(),
            when: at,
        });
    }
    let mut appointments = Vec::new();
    for s in mine(state, viewer, "Appointment", resident).await? {
        let Record::Appointment(a) = s.record else {
            continue;
        };
        appointments.push((a.start, a));
    }
    appointments.sort_by_key(|(start, _)| std::cmp::Reverse(*start));
    let mut appointment_rows = Vec::new();
    for (_, a) in appointments {
        appointment_rows.push(AppointmentRow {
            when: when(lang, a.start),
            place: names.institution(a.institution.as_str()).await,
            department: lang.coded("specialty", a.specialty.code()),
            cancelled: a.cancelled,
        });
    }
    let mut plans = Vec::new();
    for s in mine(state, viewer, "CarePlan", resident).await? {
        let Record::CarePlan(p) = &s.record else {
            continue;
        };
        let id = p.id.to_string();
        let echoed = echo.filter(|e| e.plan == id);
        plans.push(PlanRow {
            plan: view(state, actor, &mut names, lang, p).await?,
            version: s.version,
            pending: p.decision == PatientDecision::Pending,
            reason: echoed.map(|e| e.reason.clone()).unwrap_or_default(),
            errors: echoed.map(|e| e.errors.clone()).unwrap_or_default(),
        });
    }
    let mut claims = Vec::new();
    for s in mine(state, viewer, "ExplanationOfBenefit", resident).await? {
        let Record::Claim(c) = s.record else {
            continue;
        };
        let split = &c.adjudication.split;
        claims.push(ClaimRow {
            id: c.id.to_string(),
            date: lang.date(c.visit.date),
            place: names.institution(c.institution.as_str()).await,
            total: yuan(split.total),
            fund: yuan(split.covered),
            mine: yuan(split.out_of_pocket),
        });
    }
    let estimate = estimate(state, actor, lang, resident, q).await?;
    let status = if echo.is_some() || !estimate.errors.is_empty() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = MePage {
        chrome: viewer.chrome(state),
        notice,
        name: me.name.full(),
        contract,
        referrals,
        appointments: appointment_rows,
        plans,
        estimate,
        claims,
    };
    Ok(render(status, &page))
}
