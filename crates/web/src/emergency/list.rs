//! The worklist (`/ui/emergency`): the patients coming to the caller's
//! institution, unacknowledged alerts first, each with its countdowns and
//! an acknowledge button; then the alerts the institution sent, with
//! their state. A `<meta http-equiv="refresh">` re-renders it every 30
//! seconds, so the countdowns tick without a script.

use super::view::{CaseView, view_of};
use super::{NEW_PATH, staff};
use crate::doctor::Fields;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, Lang, UiError, render};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use tiercare_api::AppState;
use tiercare_core::InstitutionId;
use tiercare_service::emergency::{CaseFilter, Emergency};

/// How many cases each section shows at most.
const SHOWN: usize = 50;

/// A short message at the top of a page: a change done, or refused.
pub struct Notice {
    pub text: String,
    pub error: bool,
}

impl Notice {
    pub fn none() -> Notice {
        Notice {
            text: String::new(),
            error: false,
        }
    }

    /// The notice after a change (Post/Redirect/Get), from `done`; only
    /// known notices are shown.
    pub fn done(lang: Lang, done: &str) -> Notice {
        let key = match done {
            "sent" => "emergency-notice-sent",
            "acknowledged" => "emergency-notice-acknowledged",
            "recorded" => "emergency-notice-recorded",
            _ => return Notice::none(),
        };
        Notice {
            text: lang.t(key),
            error: false,
        }
    }

    /// A refusal, in words.
    pub fn refused(lang: Lang, key: &str) -> Notice {
        Notice {
            text: lang.t(key),
            error: true,
        }
    }
}

#[derive(Template)]
#[template(path = "emergency/list.html")]
struct ListPage {
    chrome: Chrome,
    notice: Notice,
    incoming: Vec<CaseView>,
    sent: Vec<CaseView>,
    new_path: &'static str,
}

/// `GET /ui/emergency`: incoming and sent cases (each an audited read).
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let mine = staff(&viewer)?;
    let q = Fields::of_query(raw.as_deref());
    let notice = Notice::done(viewer.lang, q.get("done"));
    answer(&state, &viewer, &mine, notice, StatusCode::OK).await
}

/// The worklist with `notice`, answered with `status`.
pub(super) async fn answer(
    state: &AppState,
    viewer: &Viewer,
    mine: &InstitutionId,
    notice: Notice,
    status: StatusCode,
) -> Result<Response, UiError> {
    let service = Emergency::new(&state.ctx, &viewer.actor);
    let mut incoming = service
        .cases(&CaseFilter {
            destination: Some(mine.clone()),
            open_only: true,
            ..CaseFilter::default()
        })
        .await?;
    // Waiting alerts first; newest first within each (a stable sort).
    incoming
        .sort_by_key(|c| !matches!(c.value.alert, tiercare_core::emergency::Alert::Sent { .. }));
    let sent = service
        .cases(&CaseFilter {
            from: Some(mine.clone()),
            open_only: true,
            ..CaseFilter::default()
        })
        .await?;
    let lang = viewer.lang;
    let windows = state.ctx.policy.emergency.windows;
    let now = state.ctx.clock.now();
    let mut names = Names::new(&state.ctx, &viewer.actor);
    let views = |list: Vec<_>| {
        list.into_iter()
            .take(SHOWN)
            .map(|c: tiercare_service::Versioned<_>| c.value)
            .collect::<Vec<_>>()
    };
    let (incoming, sent) = (views(incoming), views(sent));
    let mut page = ListPage {
        chrome: viewer.chrome(state),
        notice,
        incoming: Vec::new(),
        sent: Vec::new(),
        new_path: NEW_PATH,
    };
    for c in &incoming {
        page.incoming
            .push(view_of(lang, &mut names, c, mine, &windows, now).await);
    }
    for c in &sent {
        page.sent
            .push(view_of(lang, &mut names, c, mine, &windows, now).await);
    }
    Ok(render(status, &page))
}
