//! A panel patient's follow-up (`/ui/doctor/panels/{id}`): the control
//! status of each condition, the next follow-up, and the form that
//! records a blood pressure or an HbA1c.
//!
//! The core judges the values (units, plausible ranges, diastolic below
//! systolic) and the service the rest (the doctor's panel, the dates);
//! the page only says which field is wrong, in the doctor's language.

use super::fields::Fields;
use super::triage::Choice;
use super::{family_doctor, notice};
use crate::form::FieldErrors;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, Lang, UiError, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tiercare_api::AppState;
use tiercare_core::outreach::{MeasurementKind, OutreachError};
use tiercare_service::ServiceError;
use tiercare_service::panels::{MeasurementInput, Panels};
use time::{Date, OffsetDateTime, Time};

#[derive(Template)]
#[template(path = "doctor/panel.html")]
struct PanelPage {
    chrome: Chrome,
    notice: String,
    id: String,
    patient: String,
    patient_name: String,
    conditions: Vec<(String, String, String)>,
    overall: String,
    overall_word: String,
    next_due: String,
    kinds: Vec<Choice>,
    units: Vec<Choice>,
    systolic: String,
    diastolic: String,
    hba1c: String,
    date: String,
    errors: FieldErrors,
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    f: &Fields,
    errors: FieldErrors,
    notice: String,
) -> Result<PanelPage, UiError> {
    let ctx = &state.ctx;
    let lang = viewer.lang;
    let today = ctx.clock.today();
    let (e, st) = Panels::new(ctx, &viewer.actor).status(id, today).await?;
    let mut names = Names::new(ctx, &viewer.actor);
    let kind = match f.get("kind") {
        "" => "blood-pressure",
        k => k,
    };
    let unit = match f.get("unit") {
        "" => "%",
        u => u,
    };
    Ok(PanelPage {
        chrome: viewer.chrome(state),
        notice,
        id: id.to_string(),
        patient: e.value.patient.to_string(),
        patient_name: names.resident(e.value.patient.as_str()).await,
        conditions: st
            .status
            .conditions
            .iter()
            .map(|(c, s)| {
                (
                    lang.coded("panel", c.code()),
                    s.code().to_string(),
                    lang.coded("control", s.code()),
                )
            })
            .collect(),
        overall: st.status.overall.code().to_string(),
        overall_word: lang.coded("control", st.status.overall.code()),
        next_due: format!(
            "{} · {}",
            lang.date(st.next_due),
            lang.coded("followup", st.follow_up.code())
        ),
        kinds: vec![
            Choice {
                value: "blood-pressure".into(),
                label: lang.t("doctor-blood-pressure"),
                selected: kind == "blood-pressure",
            },
            Choice {
                value: "hba1c".into(),
                label: lang.t("doctor-hba1c"),
                selected: kind == "hba1c",
            },
        ],
        units: ["%", "mmol/mol"]
            .into_iter()
            .map(|u| Choice {
                value: u.into(),
                label: u.into(),
                selected: unit == u,
            })
            .collect(),
        systolic: f.get("systolic").to_string(),
        diastolic: f.get("diastolic").to_string(),
        hba1c: f.get("hba1c").to_string(),
        date: match f.get("date") {
            "" => iso(today),
            d => d.to_string(),
        },
        errors,
    })
}

/// `GET /ui/doctor/panels/{id}`: the panel's status and the form.
pub async fn page_get(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    raw: Option<&str>,
) -> Result<Response, UiError> {
    let q = Fields::of_query(raw);
    let n = notice(viewer.lang, Some(q.get("done")));
    let p = page(state, viewer, id, &Fields::default(), FieldErrors::new(), n).await?;
    Ok(render(StatusCode::OK, &p))
}

/// `GET /ui/doctor/panels/{id}`.
pub async fn page_route(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    page_get(&state, &viewer, &id, raw.as_deref()).await
}

/// A number typed in a field, or a message next to it.
fn number(f: &Fields, lang: Lang, field: &str, errors: &mut FieldErrors) -> Option<f64> {
    let v = f.get(field);
    if v.is_empty() {
        errors.add(field, lang.t("error-required"));
        return None;
    }
    match v.parse::<f64>() {
        Ok(n) if n.is_finite() => Some(n),
        _ => {
            errors.add(field, lang.t("doctor-error-number"));
            None
        }
    }
}

/// Places the core's refusal of a value next to the field it names, in
/// the doctor's words.
fn value_error(e: OutreachError, lang: Lang, errors: &mut FieldErrors) {
    let field = match &e {
        OutreachError::Invalid { field, .. } => *field,
        _ => "",
    };
    let (form_field, key) = if field.contains("systolic") {
        ("systolic", "doctor-error-systolic")
    } else if field.contains("diastolic") {
        ("diastolic", "doctor-error-diastolic")
    } else if field.contains("unit") {
        ("unit", "doctor-error-unit")
    } else {
        ("hba1c", "doctor-error-hba1c")
    };
    errors.add(form_field, lang.t(key));
}

/// When a measurement taken on `day` is recorded: now for today, else
/// noon China time that day.
fn taken_at(day: Date, now: OffsetDateTime) -> OffsetDateTime {
    let cst = tiercare_core::CHINA_TIME;
    if now.to_offset(cst).date() == day {
        now
    } else {
        day.with_time(Time::MIDNIGHT + time::Duration::hours(12))
            .assume_offset(cst)
    }
}

/// `POST /ui/doctor/panels/{id}`: records a blood pressure or an HbA1c.
pub async fn measure(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let f = Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    let lang = viewer.lang;
    let panels = Panels::new(&state.ctx, &viewer.actor);
    let (e, _) = panels.status(&id, state.ctx.clock.today()).await?;
    let mut errors = FieldErrors::new();
    let kind = match f.get("kind") {
        "blood-pressure" => {
            let s = number(&f, lang, "systolic", &mut errors);
            let d = number(&f, lang, "diastolic", &mut errors);
            match (s, d) {
                (Some(s), Some(d)) => MeasurementKind::blood_pressure(s, d, "mm[Hg]")
                    .map_err(|e| value_error(e, lang, &mut errors))
                    .ok(),
                _ => None,
            }
        }
        "hba1c" => match number(&f, lang, "hba1c", &mut errors) {
            Some(v) => MeasurementKind::hba1c(v, f.get("unit"))
                .map_err(|e| value_error(e, lang, &mut errors))
                .ok(),
            None => None,
        },
        _ => {
            errors.add("kind", lang.t("doctor-error-choice"));
            None
        }
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = Date::parse(f.get("date"), &format).ok();
    if day.is_none() {
        errors.add("date", lang.t("doctor-error-date"));
    }
    let (Some(kind), Some(day), true) = (kind, day, errors.is_empty()) else {
        let p = page(&state, &viewer, &id, &f, errors, String::new()).await?;
        return Ok(render(StatusCode::BAD_REQUEST, &p));
    };
    let input = MeasurementInput {
        enrolment: id.clone(),
        patient: e.value.patient.to_string(),
        at: taken_at(day, state.ctx.clock.now()),
        kind,
    };
    match panels.measure(input).await {
        Ok(_) => Ok(Redirect::to(&format!("/ui/doctor/panels/{id}?done=measured")).into_response()),
        Err(ServiceError::Forbidden(_)) => Err(UiError::Forbidden),
        Err(err) => {
            let fields = [("Observation.effective", "date")];
            let errors = FieldErrors::from_service(err, lang, &fields, "date")?;
            let p = page(&state, &viewer, &id, &f, errors, String::new()).await?;
            Ok(render(StatusCode::BAD_REQUEST, &p))
        }
    }
}
