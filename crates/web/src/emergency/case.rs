//! One case (`/ui/emergency/cases/{id}`): the decision in plain words, the
//! alert, the countdowns, the clock with its intervals, and the form of
//! each step the caller's side records next (the door with "straight to
//! the team", the treatment, the transfer onward, the 30-day outcome when
//! due). A refused step comes back here with its field or a notice.

use super::list::Notice;
use super::staff;
use super::view::{CaseView, Choice, view_of};
use crate::doctor::Fields;
use crate::form::FieldErrors;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use tiercare_api::AppState;
use tiercare_core::emergency::{EmergencyCase, Treatment};
use tiercare_core::{InstitutionId, Level};
use tiercare_service::emergency::Emergency;

#[derive(Template)]
#[template(path = "emergency/case.html")]
struct CasePage {
    chrome: Chrome,
    notice: Notice,
    errors: FieldErrors,
    c: CaseView,
    treatments: Vec<Choice>,
    places: Vec<Choice>,
    outcomes: Vec<Choice>,
}

/// `GET /ui/emergency/cases/{id}`: the case, to its parties (an audited
/// read; anyone else is told it does not exist).
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let mine = staff(&viewer)?;
    let q = Fields::of_query(raw.as_deref());
    let notice = Notice::done(viewer.lang, q.get("done"));
    let case = Emergency::new(&state.ctx, &viewer.actor)
        .read_case(&id)
        .await?
        .value;
    answer(
        &state,
        &viewer,
        &mine,
        &case,
        notice,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// Where a patient may be sent on: the decision's next step first, then
/// every hospital of the registry (secondary or tertiary) but the case's
/// destination.
async fn places(
    state: &AppState,
    names: &mut Names<'_>,
    case: &EmergencyCase,
) -> Result<Vec<Choice>, UiError> {
    let then = case.decision.then.as_ref().map(|s| s.institution.clone());
    let mut ids: Vec<InstitutionId> = then.iter().cloned().collect();
    for s in tiercare_service::emergency::sites(&state.ctx).await? {
        if s.level >= Level::Secondary
            && &s.institution != case.destination()
            && !ids.contains(&s.institution)
        {
            ids.push(s.institution);
        }
    }
    let mut out = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        out.push(Choice {
            label: names.institution(id.as_str()).await,
            selected: i == 0,
            value: id.to_string(),
        });
    }
    Ok(out)
}

/// The case page with `notice` and `errors`, answered with `status`.
pub(super) async fn answer(
    state: &AppState,
    viewer: &Viewer,
    mine: &InstitutionId,
    case: &EmergencyCase,
    notice: Notice,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, UiError> {
    let lang = viewer.lang;
    let mut names = Names::new(&state.ctx, &viewer.actor);
    let windows = state.ctx.policy.emergency.windows;
    let now = state.ctx.clock.now();
    let c = view_of(lang, &mut names, case, mine, &windows, now).await;
    let places = if c.can_transfer {
        places(state, &mut names, case).await?
    } else {
        Vec::new()
    };
    let planned = case.decision.first.treatment;
    let page = CasePage {
        chrome: viewer.chrome(state),
        notice,
        errors,
        treatments: Treatment::ALL
            .iter()
            .filter(|t| **t != Treatment::Stabilise)
            .map(|t| Choice {
                value: t.code().to_string(),
                label: lang.coded("emergency-treatment", t.code()),
                selected: *t == planned,
            })
            .collect(),
        places,
        outcomes: ["alive", "died"]
            .into_iter()
            .map(|o| Choice {
                value: o.to_string(),
                label: lang.coded("emergency-outcome", o),
                selected: o == "alive",
            })
            .collect(),
        c,
    };
    Ok(render(status, &page))
}
