//! One e-consult: the question, the patient's results, the thread, and the
//! specialist's written answer. Closing is the asking family doctor's
//! (resolved in primary care, or a referral made on the advice).

use super::fmt::{notice, when};
use super::home::Done;
use super::only_specialists;
use crate::form::FieldErrors;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_core::consult::{Consult, ConsultState};
use tiercare_core::referral::Side;
use tiercare_service::referrals::Referrals;
use tiercare_service::search::{exact, query};
use tiercare_service::{ServiceError, Versioned};

/// The longest answer the form takes.
const MAX_ANSWER: usize = 4000;

/// A message of the thread.
pub struct MessageRow {
    pub who: String,
    pub side: &'static str,
    pub at: String,
    pub text: String,
}

/// A result of the patient.
pub struct ResultRow {
    pub name: String,
    pub value: String,
    pub at: String,
    pub place: String,
}

#[derive(Template)]
#[template(path = "specialist/consult.html")]
struct ConsultPage {
    chrome: Chrome,
    notice: String,
    action: String,
    patient: String,
    from: String,
    asked: String,
    condition: String,
    specialty: String,
    state: String,
    state_code: &'static str,
    messages: Vec<MessageRow>,
    results: Vec<ResultRow>,
    version: u32,
    answer: String,
    can_answer: bool,
    errors: FieldErrors,
}

/// The patient's results (observations and reports), newest first, read
/// through the service that audits them.
pub async fn results(
    state: &AppState,
    actor: &Actor,
    names: &mut Names<'_>,
    lang: crate::Lang,
    patient: &str,
) -> Result<Vec<ResultRow>, UiError> {
    let referrals = Referrals::new(&state.ctx, actor);
    let mut found = Vec::new();
    for rt in ["Observation", "DiagnosticReport"] {
        let q = query(rt, vec![exact("patient", format!("Patient/{patient}"))]);
        // Once the care relationship ends, the results are no longer ours.
        match referrals.search_records(q, Some(patient)).await {
            Ok((page, _)) => found.extend(page.into_iter().map(|s| s.record)),
            Err(ServiceError::Forbidden(_)) => return Ok(vec![]),
            Err(e) => return Err(e.into()),
        }
    }
    let mut rows = Vec::new();
    for r in found {
        let (name, value, at, place) = match r {
            Record::Observation(o) => (
                o.name,
                super::fmt::result_value(&o.value),
                o.effective,
                o.performer,
            ),
            Record::DiagnosticReport(d) => (d.name, d.conclusion, d.effective, d.performer),
            _ => continue,
        };
        rows.push((at, name, value, place));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut out = Vec::new();
    for (at, name, value, place) in rows {
        out.push(ResultRow {
            name,
            value,
            at: when(lang, at),
            place: names.institution(place.as_str()).await,
        });
    }
    Ok(out)
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    c: Versioned<Consult>,
    notice: String,
    answer: String,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let lang = viewer.lang;
    let mut names = Names::new(&state.ctx, &viewer.actor);
    let consult = &c.value;
    let mut messages = Vec::new();
    for m in &consult.messages {
        messages.push(MessageRow {
            who: names.practitioner(m.author.as_str()).await,
            side: match m.side {
                Side::Referrer => "referrer",
                Side::Receiver => "receiver",
            },
            at: when(lang, m.at),
            text: m.text.clone(),
        });
    }
    let patient = consult.patient.to_string();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = ConsultPage {
        chrome: viewer.chrome(state),
        notice,
        action: format!("/ui/specialist/consults/{}", consult.id),
        patient: names.resident(&patient).await,
        from: names.institution(consult.from.as_str()).await,
        asked: when(lang, consult.asked_at),
        condition: consult
            .condition
            .as_ref()
            .map(|i| crate::names::condition(lang, i.as_str()))
            .unwrap_or_default(),
        specialty: lang.coded("specialty", consult.specialty.code()),
        state: lang.coded("specialist-consult-state", consult.state.code()),
        state_code: consult.state.code(),
        messages,
        results: results(state, &viewer.actor, &mut names, lang, &patient).await?,
        version: c.version,
        answer,
        can_answer: !matches!(consult.state, ConsultState::Closed { .. }),
        errors,
    };
    Ok(render(status, &page))
}

/// `GET /ui/specialist/consults/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    let c = Referrals::new(&state.ctx, &viewer.actor)
        .consult(&id)
        .await?;
    let notice = notice(viewer.lang, done.done.as_deref());
    show(
        &state,
        &viewer,
        c,
        notice,
        String::new(),
        FieldErrors::new(),
    )
    .await
}

/// The answer form's fields.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    csrf: Option<String>,
    version: Option<String>,
    answer: Option<String>,
}

/// `POST /ui/specialist/consults/{id}`: the written answer (or a further
/// message once answered).
pub async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    viewer.check_csrf(form.csrf.as_deref().unwrap_or(""))?;
    let lang = viewer.lang;
    let referrals = Referrals::new(&state.ctx, &viewer.actor);
    let c = referrals.consult(&id).await?;
    let back = format!("/ui/specialist/consults/{id}");
    // Sent twice, or answered meanwhile: show where it stands.
    if form.version.as_deref() != Some(c.version.to_string().as_str()) {
        return Ok(Redirect::to(&format!("{back}?done=stale")).into_response());
    }
    let text = form.answer.unwrap_or_default();
    let mut errors = FieldErrors::new();
    if text.trim().is_empty() {
        errors.add("answer", lang.t("specialist-answer-required"));
    } else if text.chars().count() > MAX_ANSWER {
        errors.add("answer", lang.t("specialist-answer-too-long"));
    }
    if errors.is_empty() {
        match referrals.post_message(&id, text.trim().to_string()).await {
            Ok(_) => return Ok(Redirect::to(&format!("{back}?done=answered")).into_response()),
            Err(ServiceError::Conflict(_)) => {
                return Ok(Redirect::to(&format!("{back}?done=stale")).into_response());
            }
            Err(e) => errors = FieldErrors::from_service(e, lang, &[], "answer")?,
        }
    }
    show(&state, &viewer, c, String::new(), text, errors).await
}
