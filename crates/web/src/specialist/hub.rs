//! The hub's reading queue (诊断中心工作队列): the orders of every hub of
//! the reader's institution, stat first, then by deadline. A reader takes
//! an order (two readers taking the same one: the second is told it is
//! taken) and reports it with a conclusion, coded findings and, when
//! critical, the finding in words, which alerts the ordering doctor.

use super::only_specialists;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tiercare_api::AppState;
use tiercare_core::hub::{Acquisition, Finding, NewReading, ReadingState, findings_of};
use tiercare_service::referrals::Referrals;

struct FindingChoice {
    code: String,
    label: String,
}

struct QueueItem {
    id: String,
    patient: String,
    priority: String,
    priority_code: String,
    ordered: String,
    due: String,
    overdue: bool,
    question: String,
    requester: String,
    media: String,
    state: String,
    state_word: String,
    reader: String,
    mine: bool,
    findings: Vec<FindingChoice>,
}

struct HubQueue {
    name: String,
    kind: String,
    items: Vec<QueueItem>,
}

#[derive(Template)]
#[template(path = "specialist/hub.html")]
struct QueuePage {
    chrome: Chrome,
    notice: String,
    hubs: Vec<HubQueue>,
}

/// `GET /ui/specialist/hub`: the queues of the reader's institution's hubs
/// (every order shown is an audited read).
pub async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    let lang = viewer.lang;
    let service = Referrals::new(&state.ctx, &viewer.actor);
    let institution = viewer.actor.institution.clone().ok_or(UiError::Forbidden)?;
    let mut names = Names::new(&state.ctx, &viewer.actor);
    let now = state.ctx.clock.now();
    let mut hubs = Vec::new();
    for h in service.hubs_at(institution.as_str()).await? {
        let findings: Vec<FindingChoice> = findings_of(h.kind)
            .map(|(code, display, _)| {
                let key = format!("hub-finding-{code}");
                FindingChoice {
                    code: code.to_string(),
                    label: match lang.t(&key) {
                        t if t == key => display.to_string(),
                        t => t,
                    },
                }
            })
            .collect();
        let mut items = Vec::new();
        for o in service.reading_queue(&h.id).await? {
            let o = o.value;
            let (reader, mine) = match &o.state {
                ReadingState::Taken { reader, .. } => (
                    names.practitioner(reader.as_str()).await,
                    viewer.actor.practitioner.as_ref() == Some(reader),
                ),
                _ => (String::new(), false),
            };
            items.push(QueueItem {
                id: o.id.to_string(),
                patient: names.resident(o.patient.as_str()).await,
                priority: lang.coded("hub-priority", o.priority.code()),
                priority_code: o.priority.code().to_string(),
                ordered: lang.moment(o.ordered_at),
                due: lang.moment(o.due),
                overdue: o.overdue(now),
                question: o.question.clone(),
                requester: names.practitioner(o.requester.as_str()).await,
                media: match &o.acquisition {
                    Some(Acquisition::Media { url }) => url.clone(),
                    _ => String::new(),
                },
                state: o.state.code().to_string(),
                state_word: lang.coded("hub-reading-state", o.state.code()),
                reader,
                mine,
                findings: findings
                    .iter()
                    .map(|f| FindingChoice {
                        code: f.code.clone(),
                        label: f.label.clone(),
                    })
                    .collect(),
            });
        }
        hubs.push(HubQueue {
            name: h.name.clone(),
            kind: lang.coded("hub-kind", h.kind.code()),
            items,
        });
    }
    let q = crate::doctor::Fields::of_query(raw.as_deref());
    let notice = match q.get("done") {
        "taken" => lang.t("hub-notice-taken"),
        "reported" => lang.t("hub-notice-reported"),
        _ => String::new(),
    };
    let page = QueuePage {
        chrome: viewer.chrome(&state),
        notice,
        hubs,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /ui/specialist/hub/{id}/take`: the reader takes the order.
pub async fn take(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    let f = crate::doctor::Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    Referrals::new(&state.ctx, &viewer.actor)
        .take_reading(&id, None)
        .await?;
    Ok(Redirect::to("/ui/specialist/hub?done=taken").into_response())
}

/// `POST /ui/specialist/hub/{id}/report`: the report, with its findings
/// (repeated `finding` fields) and any critical finding in words.
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    let f = crate::doctor::Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    let findings = form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "finding")
        .map(|(_, v)| Finding {
            code: v.into_owned(),
            display: String::new(),
        })
        .collect();
    let critical = Some(f.get("critical").trim())
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let report = tiercare_service::new_id()
        .parse()
        .map_err(|_| UiError::BadRequest(viewer.lang.t("doctor-error-submission")))?;
    let new = NewReading {
        report,
        conclusion: f.get("conclusion").to_string(),
        findings,
        critical,
    };
    Referrals::new(&state.ctx, &viewer.actor)
        .report_reading(&id, new, None)
        .await?;
    Ok(Redirect::to("/ui/specialist/hub?done=reported").into_response())
}
