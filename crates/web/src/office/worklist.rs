//! The office's worklists: new referrals to triage, accepted ones
//! awaiting a slot or bed, and those whose step is past the deadline the
//! region's policy sets.

use super::rows::{Row, Whose, incoming, row};
use super::{PATH, Tab, office_of, tabs};
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tiercare_api::AppState;

#[derive(Template)]
#[template(path = "office/worklist.html")]
struct Page {
    chrome: Chrome,
    tabs: Vec<Tab>,
    institution: String,
    new: Vec<Row>,
    awaiting: Vec<Row>,
    overdue: Vec<Row>,
}

/// `GET /ui/office`.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    let institution = office_of(&viewer)?;
    let ctx = &state.ctx;
    let lang = viewer.lang;
    let now = ctx.clock.now();
    // Every state whose step has a deadline, so the overdue list is whole.
    let open = incoming(
        ctx,
        &viewer.actor,
        institution.as_str(),
        Whose::AwaitingUs,
        &["requested", "accepted", "booked", "completed"],
    )
    .await?;
    let mut names = Names::new(ctx, &viewer.actor);
    let (mut new, mut awaiting, mut overdue) = (Vec::new(), Vec::new(), Vec::new());
    let mut sorted = open;
    sorted.sort_by_key(|r| r.value.due(&ctx.policy).map(|d| d.by));
    for r in &sorted {
        let code = r.value.state.code();
        let late = r.value.overdue(&ctx.policy, now).is_some();
        if !(late || code == "requested" || code == "accepted") {
            continue;
        }
        let shown = row(ctx, &viewer.actor, &mut names, lang, r, now).await;
        if late {
            overdue.push(row(ctx, &viewer.actor, &mut names, lang, r, now).await);
        }
        match code {
            "requested" => new.push(shown),
            "accepted" => awaiting.push(shown),
            _ => {}
        }
    }
    let page = Page {
        chrome: viewer.chrome(&state),
        tabs: tabs(lang, PATH),
        institution: names.institution(institution.as_str()).await,
        new,
        awaiting,
        overdue,
    };
    Ok(render(StatusCode::OK, &page))
}
