//! E-consults (在线咨询): the family doctor asks a hospital specialist
//! about a resident, reads the answer, and turns the advice into a
//! referral in one step (the referral names the consult, which closes as
//! referred in the same transaction).

use super::family_doctor;
use super::fields::Fields;
use super::refer::hospitals;
use super::residents::read_resident;
use super::triage::{Choice, coded_choices, condition_choices};
use crate::form::{self, FieldErrors};
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, Lang, UiError, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tiercare_api::AppState;
use tiercare_core::catalogue::{Catalogue, IcdCode};
use tiercare_core::consult::{Consult, ConsultMode, ConsultState, NewConsult};
use tiercare_core::referral::{Attachments, NewReferral, Priority, Setting};
use tiercare_core::{ConsultId, Level, Specialty};
use tiercare_service::referrals::{Referrals, idempotent_id};

/// A consult's state in words.
pub fn state_word(lang: Lang, s: &ConsultState) -> String {
    match s {
        ConsultState::Open => lang.t("doctor-consult-open"),
        ConsultState::Answered => lang.t("doctor-consult-answered"),
        ConsultState::Closed { outcome, .. } => lang.coded("consult-outcome", outcome.code()),
    }
}

/// The consult id a submission key stands for, so a resent form asks once.
fn consult_id(viewer: &Viewer, submission: &str) -> Result<ConsultId, UiError> {
    let bad = || UiError::BadRequest(viewer.lang.t("doctor-error-submission"));
    let key = idempotent_id(&viewer.actor.username, submission).map_err(|_| bad())?;
    format!("{}{key}", Consult::ID_PREFIX)
        .parse()
        .map_err(|_| bad())
}

#[derive(Template)]
#[template(path = "doctor/consult_new.html")]
struct NewPage {
    chrome: Chrome,
    patient: String,
    patient_name: String,
    hospitals: Vec<Choice>,
    specialties: Vec<Choice>,
    conditions: Vec<Choice>,
    question: String,
    submission: String,
    errors: FieldErrors,
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    patient: &str,
    f: &Fields,
    errors: FieldErrors,
    submission: String,
) -> Result<NewPage, UiError> {
    let lang = viewer.lang;
    let resident = read_resident(&state.ctx, &viewer.actor, patient).await?;
    let to = f.get("to");
    let hospitals = hospitals(&state.ctx, &viewer.actor)
        .await?
        .into_iter()
        .map(|(id, name, level)| Choice {
            selected: id == to,
            value: id,
            label: format!("{name} · {}", lang.coded("level", level.code())),
        })
        .collect();
    let codes: Vec<&str> = Specialty::ALL.iter().map(|s| s.code()).collect();
    Ok(NewPage {
        chrome: viewer.chrome(state),
        patient: patient.to_string(),
        patient_name: resident.name.full(),
        hospitals,
        specialties: coded_choices(lang, "specialty", &codes, f.get("specialty")),
        conditions: condition_choices(lang, f.get("condition")),
        question: f.get("question").to_string(),
        submission,
        errors,
    })
}

/// `GET /ui/doctor/consults/new?patient=`: the question form.
pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let f = Fields::of_query(raw.as_deref());
    let patient = f.get("patient");
    if patient.is_empty() {
        return Err(UiError::BadRequest(viewer.lang.t("doctor-error-patient")));
    }
    let p = new_page(
        &state,
        &viewer,
        patient,
        &f,
        FieldErrors::new(),
        form::submission_key(),
    )
    .await?;
    Ok(render(StatusCode::OK, &p))
}

/// `POST /ui/doctor/consults`: asks; the form back with messages on bad
/// input, nothing written.
pub async fn ask(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let f = Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    let lang = viewer.lang;
    let patient = f.get("patient").to_string();
    let resident = read_resident(&state.ctx, &viewer.actor, &patient).await?;
    let submission = f.get("submission").to_string();
    let id = consult_id(&viewer, &submission)?;
    let service = Referrals::new(&state.ctx, &viewer.actor);
    if service.consult(id.as_str()).await.is_ok() {
        return Ok(Redirect::to(&format!("/ui/doctor/consults/{id}?done=asked")).into_response());
    }
    let mut errors = FieldErrors::new();
    let to = f.get("to").to_string();
    if !hospitals(&state.ctx, &viewer.actor)
        .await?
        .iter()
        .any(|(h, ..)| *h == to)
    {
        errors.add("to", lang.t("doctor-error-hospital"));
    }
    let specialty = Specialty::from_code(f.get("specialty"));
    if specialty.is_none() {
        errors.add("specialty", lang.t("doctor-error-choice"));
    }
    let condition = match f.get("condition") {
        "" => None,
        c => match c
            .parse::<IcdCode>()
            .ok()
            .filter(|i| Catalogue::bundled().find(i).is_some())
        {
            Some(i) => Some(i),
            None => {
                errors.add("condition", lang.t("doctor-error-condition-unknown"));
                None
            }
        },
    };
    let question = form::required(&mut errors, lang, "question", Some(f.get("question")));
    let (Some(specialty), Some(question), true) = (specialty, question, errors.is_empty()) else {
        let p = new_page(&state, &viewer, &patient, &f, errors, submission).await?;
        return Ok(render(StatusCode::BAD_REQUEST, &p));
    };
    let new = NewConsult {
        id: id.clone(),
        patient: resident.id.clone(),
        from: viewer.actor.institution.clone().ok_or(UiError::Forbidden)?,
        to: to
            .parse()
            .map_err(|_| UiError::BadRequest(lang.t("doctor-error-hospital")))?,
        specialist: None,
        specialty,
        mode: ConsultMode::Written,
        condition,
        question,
    };
    if let Err(e) = service.ask(new).await {
        let fields = [
            ("performer", "to"),
            ("note", "question"),
            ("reason", "condition"),
        ];
        let errors = FieldErrors::from_service(e, lang, &fields, "question")?;
        let p = new_page(&state, &viewer, &patient, &f, errors, submission).await?;
        return Ok(render(StatusCode::BAD_REQUEST, &p));
    }
    Ok(Redirect::to(&format!("/ui/doctor/consults/{id}?done=asked")).into_response())
}

/// One message of the exchange.
struct MessageView {
    author: String,
    side: String,
    when: String,
    text: String,
}

#[derive(Template)]
#[template(path = "doctor/consult.html")]
struct ConsultPage {
    chrome: Chrome,
    notice: String,
    id: String,
    patient: String,
    patient_name: String,
    to: String,
    specialty: String,
    state: String,
    state_word: String,
    messages: Vec<MessageView>,
    may_refer: bool,
    conditions: Vec<Choice>,
    urgencies: Vec<Choice>,
    summary: String,
    submission: String,
    errors: FieldErrors,
}

async fn consult_page(
    state: &AppState,
    viewer: &Viewer,
    c: &Consult,
    f: &Fields,
    notice: String,
    errors: FieldErrors,
    submission: String,
) -> Result<ConsultPage, UiError> {
    let lang = viewer.lang;
    let mut names = Names::new(&state.ctx, &viewer.actor);
    let mut messages = Vec::new();
    for m in &c.messages {
        messages.push(MessageView {
            author: names.practitioner(m.author.as_str()).await,
            side: lang.t(match m.side {
                tiercare_core::referral::Side::Referrer => "doctor-side-referrer",
                tiercare_core::referral::Side::Receiver => "doctor-side-receiver",
            }),
            when: lang.moment(m.at),
            text: m.text.clone(),
        });
    }
    let condition = match f.get("condition") {
        "" => c
            .condition
            .as_ref()
            .map(|x| x.to_string())
            .unwrap_or_default(),
        x => x.to_string(),
    };
    let urgency = match f.get("urgency") {
        "" => "routine",
        u => u,
    };
    Ok(ConsultPage {
        chrome: viewer.chrome(state),
        notice,
        id: c.id.to_string(),
        patient: c.patient.to_string(),
        patient_name: names.resident(c.patient.as_str()).await,
        to: names.institution(c.to.as_str()).await,
        specialty: lang.coded("specialty", c.specialty.code()),
        state: c.state.code().to_string(),
        state_word: state_word(lang, &c.state),
        may_refer: c.state == ConsultState::Answered,
        conditions: condition_choices(lang, &condition),
        urgencies: coded_choices(
            lang,
            "urgency",
            &["routine", "urgent", "emergency"],
            urgency,
        ),
        summary: match f.get("summary") {
            "" => c
                .messages
                .last()
                .map(|m| m.text.clone())
                .unwrap_or_default(),
            s => s.to_string(),
        },
        messages,
        submission,
        errors,
    })
}

/// `GET /ui/doctor/consults/{id}`: the exchange (an audited read).
pub async fn view(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let c = Referrals::new(&state.ctx, &viewer.actor)
        .consult(&id)
        .await?;
    let q = Fields::of_query(raw.as_deref());
    let notice = super::notice(viewer.lang, Some(q.get("done")));
    let p = consult_page(
        &state,
        &viewer,
        &c.value,
        &Fields::default(),
        notice,
        FieldErrors::new(),
        form::submission_key(),
    )
    .await?;
    Ok(render(StatusCode::OK, &p))
}

/// `POST /ui/doctor/consults/{id}/refer`: the advice becomes a referral
/// to the institution asked, in its specialty, naming the consult.
pub async fn refer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let f = Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    let lang = viewer.lang;
    let service = Referrals::new(&state.ctx, &viewer.actor);
    let c = service.consult(&id).await?.value;
    let submission = f.get("submission").to_string();
    let rid = idempotent_id(&viewer.actor.username, &submission)
        .map_err(|_| UiError::BadRequest(lang.t("doctor-error-submission")))?;
    if service.read(rid.as_str()).await.is_ok() {
        return Ok(
            Redirect::to(&format!("/ui/doctor/referrals/{rid}?done=referred")).into_response(),
        );
    }
    let mut errors = FieldErrors::new();
    let condition = match f.get("condition") {
        "" => {
            errors.add("condition", lang.t("doctor-error-condition"));
            None
        }
        x => match x
            .parse::<IcdCode>()
            .ok()
            .filter(|i| Catalogue::bundled().find(i).is_some())
        {
            Some(i) => Some(i),
            None => {
                errors.add("condition", lang.t("doctor-error-condition-unknown"));
                None
            }
        },
    };
    let priority = Priority::from_code(f.get("urgency"));
    if priority.is_none() {
        errors.add("urgency", lang.t("doctor-error-choice"));
    }
    let summary = form::required(&mut errors, lang, "summary", Some(f.get("summary")));
    let (Some(condition), Some(priority), Some(summary), true) =
        (condition, priority, summary, errors.is_empty())
    else {
        let p = consult_page(&state, &viewer, &c, &f, String::new(), errors, submission).await?;
        return Ok(render(StatusCode::BAD_REQUEST, &p));
    };
    let to_level = tiercare_service::registry::institution(&state.ctx, c.to.as_str(), "to")
        .await
        .map(|i| i.level)
        .unwrap_or(Level::Secondary);
    let new = NewReferral {
        id: rid.clone(),
        patient: c.patient.clone(),
        from: viewer.actor.institution.clone().ok_or(UiError::Forbidden)?,
        from_level: Level::Primary,
        to: c.to.clone(),
        to_level,
        specialty: c.specialty,
        setting: Setting::Outpatient,
        priority,
        condition,
        summary,
        attachments: Attachments {
            consult: Some(c.id.clone()),
            ..Attachments::default()
        },
    };
    if let Err(e) = service.request(new).await {
        let fields = [("reason", "condition"), ("summary", "summary")];
        let errors = FieldErrors::from_service(e, lang, &fields, "summary")?;
        let p = consult_page(&state, &viewer, &c, &f, String::new(), errors, submission).await?;
        return Ok(render(StatusCode::BAD_REQUEST, &p));
    }
    Ok(Redirect::to(&format!("/ui/doctor/referrals/{rid}?done=referred")).into_response())
}
