//! Remote readings (远程诊断): the family doctor orders a reading from a
//! resource-sharing hub of the alliance, and sees the reports and the
//! critical alerts come back, open alerts first; an alert is acknowledged,
//! or turned into an emergency referral to the hub's hospital in one step
//! (the report attached).

use super::family_doctor;
use super::fields::Fields;
use super::triage::{Choice, condition_choices};
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
use tiercare_core::Record;
use tiercare_core::catalogue::IcdCode;
use tiercare_core::hub::{
    Acquisition, NewReadingOrder, ReadingOrder, ReadingPriority, ReadingState,
};
use tiercare_service::referrals::{EmergencyReferral, Referrals, new_reading_id};

/// One reading as the worklist shows it.
struct ReadingView {
    id: String,
    patient: String,
    patient_id: String,
    hub: String,
    priority: String,
    ordered: String,
    due: String,
    state: String,
    state_word: String,
    conclusion: String,
    findings: String,
    alert: String,
    alert_open: bool,
    acknowledged: String,
}

#[derive(Template)]
#[template(path = "doctor/readings.html")]
struct ReadingsPage {
    chrome: Chrome,
    notice: String,
    readings: Vec<ReadingView>,
    hubs: Vec<Choice>,
    priorities: Vec<Choice>,
    conditions: Vec<Choice>,
    patient: String,
    question: String,
    media: String,
    errors: FieldErrors,
}

fn state_word(lang: Lang, s: &ReadingState) -> String {
    lang.coded("hub-reading-state", s.code())
}

async fn view_of(
    state: &AppState,
    viewer: &Viewer,
    names: &mut Names<'_>,
    o: &ReadingOrder,
) -> Result<ReadingView, UiError> {
    let lang = viewer.lang;
    let (mut conclusion, mut findings) = (String::new(), String::new());
    let alert = o.alert();
    let mut alert_words = alert.map(|a| a.finding.clone()).unwrap_or_default();
    if let ReadingState::Reported { report, .. } = &o.state {
        let stored = Referrals::new(&state.ctx, &viewer.actor)
            .read_record("DiagnosticReport", report.as_str())
            .await?;
        if let Record::DiagnosticReport(r) = stored.record {
            conclusion = r.conclusion;
            let named = |f: &tiercare_core::hub::Finding| {
                let key = format!("hub-finding-{}", f.code);
                match lang.t(&key) {
                    t if t == key => f.display.clone(),
                    t => t,
                }
            };
            findings = r.findings.iter().map(named).collect::<Vec<_>>().join("；");
            // An alert raised by the catalogue's critical findings is
            // shown in the user's words; one the reader wrote, as written.
            let critical: Vec<_> = r
                .findings
                .iter()
                .filter(|f| tiercare_core::hub::is_critical(o.kind, &f.code))
                .collect();
            let english = critical
                .iter()
                .map(|f| f.display.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            if !critical.is_empty() && alert_words == english {
                alert_words = critical
                    .iter()
                    .map(|f| named(f))
                    .collect::<Vec<_>>()
                    .join("；");
            }
        }
    }
    Ok(ReadingView {
        id: o.id.to_string(),
        patient: names.resident(o.patient.as_str()).await,
        patient_id: o.patient.to_string(),
        hub: lang.coded("hub-kind", o.kind.code()),
        priority: lang.coded("hub-priority", o.priority.code()),
        ordered: lang.moment(o.ordered_at),
        due: lang.moment(o.due),
        state: o.state.code().to_string(),
        state_word: state_word(lang, &o.state),
        conclusion,
        findings,
        alert: alert_words,
        alert_open: o.alert_open(),
        acknowledged: match alert.and_then(|a| a.acknowledged.as_ref()) {
            Some(a) => format!(
                "{} · {}",
                names.practitioner(a.by.as_str()).await,
                lang.moment(a.at)
            ),
            None => String::new(),
        },
    })
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    f: &Fields,
    notice: String,
    errors: FieldErrors,
) -> Result<ReadingsPage, UiError> {
    let lang = viewer.lang;
    let service = Referrals::new(&state.ctx, &viewer.actor);
    let institution = viewer.actor.institution.clone().ok_or(UiError::Forbidden)?;
    let mut names = Names::new(&state.ctx, &viewer.actor);
    let mut readings = Vec::new();
    for o in service.readings_ordered().await?.iter().take(50) {
        readings.push(view_of(state, viewer, &mut names, &o.value).await?);
    }
    let mut hubs = Vec::new();
    for h in service.hubs_serving(institution.as_str()).await? {
        hubs.push(Choice {
            selected: f.get("hub") == h.id.as_str(),
            label: format!(
                "{} · {}",
                names.institution(h.institution.as_str()).await,
                lang.coded("hub-kind", h.kind.code())
            ),
            value: h.id.to_string(),
        });
    }
    let priority = match f.get("priority") {
        "" => "routine",
        p => p,
    };
    let priorities = ReadingPriority::ALL
        .iter()
        .map(|p| Choice {
            value: p.code().to_string(),
            label: lang.coded("hub-priority", p.code()),
            selected: p.code() == priority,
        })
        .collect();
    Ok(ReadingsPage {
        chrome: viewer.chrome(state),
        notice,
        readings,
        hubs,
        priorities,
        conditions: condition_choices(
            lang,
            match f.get("condition") {
                "" => "I21",
                c => c,
            },
        ),
        patient: f.get("patient").to_string(),
        question: f.get("question").to_string(),
        media: f.get("media").to_string(),
        errors,
    })
}

fn notice(lang: Lang, done: &str) -> String {
    match done {
        "ordered" => lang.t("hub-notice-ordered"),
        "acknowledged" => lang.t("hub-notice-acknowledged"),
        _ => String::new(),
    }
}

/// `GET /ui/doctor/readings[?patient=]`: the order form and the readings
/// the doctor's institution ordered (each an audited read).
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let q = Fields::of_query(raw.as_deref());
    let n = notice(viewer.lang, q.get("done"));
    let p = page(&state, &viewer, &q, n, FieldErrors::new()).await?;
    Ok(render(StatusCode::OK, &p))
}

/// `POST /ui/doctor/readings`: orders a reading; the form back with the
/// field at fault on bad input, nothing written.
pub async fn order(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let f = Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    let lang = viewer.lang;
    let mut errors = FieldErrors::new();
    let patient = f.get("patient").trim().parse().ok();
    if patient.is_none() {
        errors.add("patient", lang.t("hub-error-patient"));
    }
    let hub = f.get("hub").parse().ok();
    if hub.is_none() {
        errors.add("hub", lang.t("hub-error-hub"));
    }
    let priority = ReadingPriority::from_code(f.get("priority"));
    if priority.is_none() {
        errors.add("priority", lang.t("doctor-error-choice"));
    }
    let question = form::required(&mut errors, lang, "question", Some(f.get("question")));
    let media = f.get("media").trim();
    let (Some(patient), Some(hub), Some(priority), Some(question), true) =
        (patient, hub, priority, question, errors.is_empty())
    else {
        let p = page(&state, &viewer, &f, String::new(), errors).await?;
        return Ok(render(StatusCode::BAD_REQUEST, &p));
    };
    let service = Referrals::new(&state.ctx, &viewer.actor);
    let kind = match service.hub(&hub).await {
        Ok(h) => h.value.kind,
        Err(_) => {
            let mut errors = FieldErrors::new();
            errors.add("hub", lang.t("hub-error-hub"));
            let p = page(&state, &viewer, &f, String::new(), errors).await?;
            return Ok(render(StatusCode::BAD_REQUEST, &p));
        }
    };
    let new = NewReadingOrder {
        id: new_reading_id()?,
        patient,
        from: viewer.actor.institution.clone().ok_or(UiError::Forbidden)?,
        kind,
        priority,
        question,
        acquisition: (!media.is_empty()).then(|| Acquisition::Media {
            url: media.to_string(),
        }),
    };
    if let Err(e) = service.order_reading(new, &hub).await {
        let fields = [
            ("ServiceRequest.subject", "patient"),
            ("ServiceRequest.performer", "hub"),
            ("ServiceRequest.reasonCode", "question"),
            ("ServiceRequest.supportingInfo", "media"),
        ];
        let errors = match e {
            tiercare_service::ServiceError::Forbidden(_) => {
                let mut errors = FieldErrors::new();
                errors.add("patient", lang.t("hub-error-patient"));
                errors
            }
            e => FieldErrors::from_service(e, lang, &fields, "question")?,
        };
        let p = page(&state, &viewer, &f, String::new(), errors).await?;
        return Ok(render(StatusCode::BAD_REQUEST, &p));
    }
    Ok(Redirect::to("/ui/doctor/readings?done=ordered").into_response())
}

/// `POST /ui/doctor/readings/{id}/acknowledge`: the critical alert seen.
pub async fn acknowledge(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let f = Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    Referrals::new(&state.ctx, &viewer.actor)
        .acknowledge_reading(&id, None)
        .await?;
    Ok(Redirect::to("/ui/doctor/readings?done=acknowledged").into_response())
}

/// `POST /ui/doctor/readings/{id}/refer`: the alert acknowledged and the
/// patient referred as an emergency to the hub's hospital, in one write.
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
    let o = service.reading(&id).await?.value;
    let mut errors = FieldErrors::new();
    let condition = f.get("condition").parse::<IcdCode>().ok();
    if condition.is_none() {
        errors.add("condition", lang.t("doctor-error-condition"));
    }
    let summary = form::required(&mut errors, lang, "summary", Some(f.get("summary")));
    let (Some(condition), Some(summary), true) = (condition, summary, errors.is_empty()) else {
        let p = page(&state, &viewer, &f, String::new(), errors).await?;
        return Ok(render(StatusCode::BAD_REQUEST, &p));
    };
    let referral = EmergencyReferral {
        to: o.hub_institution.clone(),
        specialty: o.kind.referral_specialty(),
        condition,
        summary,
    };
    let (_, made) = service.refer_from_alert(&id, referral, None).await?;
    Ok(Redirect::to(&format!(
        "/ui/doctor/referrals/{}?done=referred",
        made.value.id
    ))
    .into_response())
}
