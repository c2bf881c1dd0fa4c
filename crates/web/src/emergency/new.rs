//! The alert form (`/ui/emergency/new`): the first-contact doctor says
//! who, what and since when; the service's triage picks the destination,
//! opens the case and sends the alert, and the doctor lands on the case
//! with the destination in plain words. Bad input comes back next to its
//! field in the user's language, nothing written.

use super::list::Notice;
use super::view::Choice;
use super::{PATH, input_value, parse_time, staff};
use crate::doctor::Fields;
use crate::form::FieldErrors;
use crate::session::Viewer;
use crate::{Chrome, Lang, UiError, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tiercare_api::AppState;
use tiercare_core::emergency::{ContactPoint, Emergency as Condition};
use tiercare_core::hub::HubKind;
use tiercare_core::network::InstitutionKind;
use tiercare_core::{InstitutionId, Level, ReadingOrderId, ResidentId};
use tiercare_service::ServiceError;
use tiercare_service::emergency::{Contact, Emergency, NewCase};
use tiercare_service::referrals::Referrals;

#[derive(Template)]
#[template(path = "emergency/new.html")]
struct NewPage {
    chrome: Chrome,
    notice: Notice,
    errors: FieldErrors,
    action: &'static str,
    patient: String,
    emergencies: Vec<Choice>,
    contacts: Vec<Choice>,
    first_contact: String,
    onset: String,
    large_vessel: bool,
    ecg: String,
    /// The institution's ECG readings of the past day, to name the hub's
    /// reading of this patient's first ECG.
    readings: Vec<Choice>,
    latitude: String,
    longitude: String,
}

/// Where a user of `institution` meets patients, for the form's default.
async fn default_contact(state: &AppState, institution: &InstitutionId) -> ContactPoint {
    match tiercare_service::registry::institution(&state.ctx, institution.as_str(), "from").await {
        Ok(i)
            if matches!(
                i.kind,
                InstitutionKind::VillageClinic | InstitutionKind::CommunityStation
            ) =>
        {
            ContactPoint::VillageClinic
        }
        Ok(i) if i.level == Level::Primary => ContactPoint::Township,
        Ok(_) => ContactPoint::Hospital,
        Err(_) => ContactPoint::Township,
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    mine: &InstitutionId,
    f: &Fields,
    notice: Notice,
    errors: FieldErrors,
) -> NewPage {
    let lang = viewer.lang;
    let emergency = match f.get("emergency") {
        "" => Condition::Stemi.code(),
        e => e,
    };
    let contact = match f.get("contact") {
        "" => default_contact(state, mine).await.code(),
        c => c,
    };
    let first_contact = match (f.get("first-contact"), errors.is_empty()) {
        ("", true) => input_value(state.ctx.clock.now()),
        (v, _) => v.to_string(),
    };
    NewPage {
        chrome: viewer.chrome(state),
        notice,
        errors,
        action: PATH,
        patient: f.get("patient").to_string(),
        emergencies: Condition::ALL
            .iter()
            .map(|e| Choice {
                value: e.code().to_string(),
                label: lang.coded("emergency-kind", e.code()),
                selected: e.code() == emergency,
            })
            .collect(),
        contacts: ContactPoint::ALL
            .iter()
            .map(|c| Choice {
                value: c.code().to_string(),
                label: lang.coded("emergency-contact", c.code()),
                selected: c.code() == contact,
            })
            .collect(),
        first_contact,
        onset: f.get("onset").to_string(),
        large_vessel: !f.get("large-vessel").is_empty(),
        ecg: f.get("ecg").to_string(),
        readings: recent_ecg_readings(state, viewer, f.get("ecg-reading")).await,
        latitude: f.get("latitude").to_string(),
        longitude: f.get("longitude").to_string(),
    }
}

/// How far back the form offers the institution's ECG readings.
const RECENT_READINGS_HOURS: i64 = 24;

/// The ECG readings the caller's institution ordered in the past day
/// (newest first), for the form's choice of the hub's reading: each by
/// patient, time and the hub's state. None when they cannot be read.
async fn recent_ecg_readings(state: &AppState, viewer: &Viewer, selected: &str) -> Vec<Choice> {
    let lang = viewer.lang;
    let since = state.ctx.clock.now() - time::Duration::hours(RECENT_READINGS_HOURS);
    let orders = Referrals::new(&state.ctx, &viewer.actor)
        .readings_ordered()
        .await
        .unwrap_or_default();
    let mut orders: Vec<_> = orders
        .into_iter()
        .map(|o| o.value)
        .filter(|o| o.kind == HubKind::Ecg && o.ordered_at >= since)
        .collect();
    orders.sort_by_key(|o| std::cmp::Reverse(o.ordered_at));
    orders
        .into_iter()
        .map(|o| Choice {
            label: format!(
                "{} · {} · {}",
                o.patient,
                lang.moment(o.ordered_at),
                lang.coded("hub-reading-state", o.state.code())
            ),
            selected: o.id.as_str() == selected,
            value: o.id.to_string(),
        })
        .collect()
}

/// `GET /ui/emergency/new`: the alert form, first contact now.
pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    let mine = staff(&viewer)?;
    let p = page(
        &state,
        &viewer,
        &mine,
        &Fields::default(),
        Notice::none(),
        FieldErrors::new(),
    )
    .await;
    Ok(render(StatusCode::OK, &p))
}

/// The form read into a new case, or the errors by field.
fn read(
    f: &Fields,
    lang: Lang,
    mine: &InstitutionId,
    now: time::OffsetDateTime,
) -> Result<NewCase, FieldErrors> {
    let mut errors = FieldErrors::new();
    let ecg_reading = match f.get("ecg-reading") {
        "" => None,
        id => match id.parse::<ReadingOrderId>() {
            Ok(r) => Some(r),
            Err(_) => {
                errors.add("ecg-reading", lang.t("emergency-error-ecg-reading"));
                None
            }
        },
    };
    let patient = match f.get("patient") {
        "" => {
            errors.add("patient", lang.t("error-required"));
            None
        }
        p => p.parse::<ResidentId>().ok(),
    };
    if patient.is_none() {
        errors.add("patient", lang.t("emergency-error-patient"));
    }
    let emergency = Condition::from_code(f.get("emergency"));
    if emergency.is_none() {
        errors.add("emergency", lang.t("emergency-error-choice"));
    }
    let contact = ContactPoint::from_code(f.get("contact"));
    if contact.is_none() {
        errors.add("contact", lang.t("emergency-error-choice"));
    }
    let mut time_of = |field: &str| match parse_time(f.get(field), now) {
        Ok(t) => t,
        Err(key) => {
            errors.add(field, lang.t(key));
            None
        }
    };
    let first_contact = time_of("first-contact");
    let ecg = time_of("ecg");
    if let (Some(fc), Some(e)) = (first_contact, ecg)
        && e < fc
    {
        errors.add("ecg", lang.t("emergency-error-ecg-before"));
    }
    let onset = match f.get("onset") {
        "" => Some(0),
        o => o.parse::<u32>().ok(),
    };
    if onset.is_none() {
        errors.add("onset", lang.t("emergency-error-minutes"));
    }
    let from = match (f.get("latitude"), f.get("longitude")) {
        ("", "") => Some(Contact::Institution(mine.clone())),
        (la, lo) => match (la.parse::<f64>(), lo.parse::<f64>(), contact) {
            (Ok(latitude), Ok(longitude), Some(ContactPoint::Ambulance))
                if (-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude) =>
            {
                Some(Contact::Roadside {
                    latitude,
                    longitude,
                })
            }
            _ => {
                errors.add("latitude", lang.t("emergency-error-coordinates"));
                None
            }
        },
    };
    match (patient, emergency, contact, onset, from, errors.is_empty()) {
        (Some(patient), Some(emergency), Some(contact), Some(onset_minutes), Some(from), true) => {
            Ok(NewCase {
                patient,
                emergency,
                contact,
                from,
                first_contact,
                onset_minutes,
                large_vessel: !f.get("large-vessel").is_empty(),
                ecg,
                ecg_reading,
            })
        }
        _ => Err(errors),
    }
}

/// The service's refusal of a new case: by the field it names, in the
/// user's words, or as a notice.
fn refusal(e: ServiceError, lang: Lang) -> Result<(StatusCode, Notice, FieldErrors), UiError> {
    let mut errors = FieldErrors::new();
    let (field, message) = match e {
        ServiceError::Forbidden(_) => {
            let n = Notice::refused(lang, "emergency-notice-forbidden");
            return Ok((StatusCode::FORBIDDEN, n, errors));
        }
        ServiceError::Invalid { field, message } | ServiceError::Rule { field, message } => {
            (field.unwrap_or_default(), message)
        }
        other => return Err(UiError::from(other)),
    };
    let placed = match field.as_str() {
        "patient" => Some(("patient", lang.t("emergency-error-patient-unknown"))),
        "first-contact" => Some(("first-contact", lang.t("emergency-error-future"))),
        "ecg" => Some(("ecg", lang.t("emergency-error-ecg-before"))),
        "ecg-reading" => Some(("ecg-reading", lang.t("emergency-error-ecg-reading"))),
        "contact-point" => Some(("contact", lang.t("emergency-error-coordinates"))),
        "emergency" => Some(("emergency", lang.t("emergency-error-no-destination"))),
        _ => None,
    };
    let notice = match placed {
        Some((f, m)) => {
            errors.add(f, m);
            Notice::refused(lang, "error-form")
        }
        None => Notice {
            text: lang.t_with("error-service", &[("detail", message)]),
            error: true,
        },
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, notice, errors))
}

/// `POST /ui/emergency`: opens the case and sends the alert; the form
/// again with the fields at fault on bad input.
pub async fn send(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, UiError> {
    let mine = staff(&viewer)?;
    let f = Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    let lang = viewer.lang;
    let new = match read(&f, lang, &mine, state.ctx.clock.now()) {
        Ok(n) => n,
        Err(errors) => {
            let n = Notice::refused(lang, "error-form");
            let p = page(&state, &viewer, &mine, &f, n, errors).await;
            return Ok(render(StatusCode::BAD_REQUEST, &p));
        }
    };
    match Emergency::new(&state.ctx, &viewer.actor)
        .open_case(new)
        .await
    {
        // At the roadside too: the case names the sender's institution as
        // the one that opened it, a party to the case.
        Ok(c) => Ok(
            Redirect::to(&format!("/ui/emergency/cases/{}?done=sent", c.value.id)).into_response(),
        ),
        Err(e) => {
            let (status, notice, errors) = refusal(e, lang)?;
            let p = page(&state, &viewer, &mine, &f, notice, errors).await;
            Ok(render(status, &p))
        }
    }
}
