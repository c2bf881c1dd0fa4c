//! New referral (`/ui/doctor/residents/{id}/refer`): the case (condition
//! from the catalogue by name, severity, urgency, setting, receiving
//! hospital) is step one, a GET that shows the catalogue's suggestion and
//! its reasons, what the patient would pay at each level and the slots
//! free at the hospital; step two, a POST, sends the referral with its
//! summary, the results to attach and either a slot to hold while the
//! patient decides or the booking left to the hospital.
//!
//! The referral's id comes from the form's submission key, so the form
//! sent twice makes one referral (and holds one slot).

use super::family_doctor;
use super::fields::Fields;
use super::residents::read_resident;
use super::slots::{SlotChoice, free_slots};
use super::triage::{
    CaseInput, Choice, EstimateView, Suggestion, coded_choices, condition_choices, estimate_view,
    suggestion, typical_total,
};
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
use tiercare_core::access::Actor;
use tiercare_core::booking::SlotStatus;
use tiercare_core::clinical::{PatientSummary, ResultKind};
use tiercare_core::referral::{Attachments, NewReferral};
use tiercare_core::resident::Resident;
use tiercare_core::{Level, Record, ReferralId};
use tiercare_service::referrals::{Referrals, VisitQuestion, idempotent_id};
use tiercare_service::registry::Registry;
use tiercare_service::search::{MAX_COUNT, exact};
use tiercare_service::{Context, ServiceError};
use tiercare_store::Query;

/// A result the doctor may attach.
#[derive(Debug, Clone)]
pub struct ResultChoice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "doctor/refer.html")]
struct ReferPage {
    chrome: Chrome,
    patient: String,
    patient_name: String,
    conditions: Vec<Choice>,
    severities: Vec<Choice>,
    urgencies: Vec<Choice>,
    settings: Vec<Choice>,
    hospitals: Vec<Choice>,
    /// The case as chosen, for step two's hidden fields.
    case: Vec<(&'static str, String)>,
    ready: bool,
    suggestion: Option<Suggestion>,
    estimate: Option<EstimateView>,
    estimate_note: String,
    results: Vec<ResultChoice>,
    slots: Vec<SlotChoice>,
    slot: String,
    summary: String,
    submission: String,
    consult: String,
    errors: FieldErrors,
}

/// The hospitals a family doctor may refer to: the region's institutions
/// above primary care, by name.
pub async fn hospitals(
    ctx: &Context,
    actor: &Actor,
) -> Result<Vec<(String, String, Level)>, ServiceError> {
    let query = Query {
        resource_type: "Organization".into(),
        filters: vec![],
        count: MAX_COUNT,
        offset: 0,
    };
    let (found, _) = Registry::new(ctx, actor)
        .search("Organization", query, "hospitals to refer to")
        .await?;
    let mut out: Vec<(String, String, Level)> = found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Institution(i) if i.level != Level::Primary && i.active => {
                Some((i.id.to_string(), i.name, i.level))
            }
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| a.2.cmp(&b.2).then(a.1.cmp(&b.1)));
    Ok(out)
}

/// The resident's recorded results (audited search), as choices.
async fn result_choices(
    ctx: &Context,
    actor: &Actor,
    lang: Lang,
    patient: &str,
    checked: &[String],
) -> Result<Vec<ResultChoice>, ServiceError> {
    let mut out = Vec::new();
    for rt in ["Observation", "DiagnosticReport"] {
        let query = Query {
            resource_type: rt.into(),
            filters: vec![exact("patient", format!("Patient/{patient}"))],
            count: MAX_COUNT,
            offset: 0,
        };
        let (found, _) = Referrals::new(ctx, actor)
            .search_records(query, Some(patient))
            .await?;
        for s in found {
            let (value, label) = match &s.record {
                Record::Observation(o) => (
                    format!("Observation/{}", o.id),
                    format!(
                        "{}: {} · {}",
                        o.name,
                        super::residents::result_value(&o.value),
                        lang.date(o.effective.date())
                    ),
                ),
                Record::DiagnosticReport(r) => (
                    format!("DiagnosticReport/{}", r.id),
                    format!(
                        "{}: {} · {}",
                        r.name,
                        r.conclusion,
                        lang.date(r.effective.date())
                    ),
                ),
                _ => continue,
            };
            out.push(ResultChoice {
                checked: checked.contains(&value),
                value,
                label,
            });
        }
    }
    Ok(out)
}

/// The referral id the form's submission key stands for.
fn referral_id(viewer: &Viewer, submission: &str) -> Result<ReferralId, UiError> {
    idempotent_id(&viewer.actor.username, submission)
        .map_err(|_| UiError::BadRequest(viewer.lang.t("doctor-error-submission")))
}

/// Builds the form page from what was sent (nothing, step one or a
/// refused step two).
async fn page(
    state: &AppState,
    viewer: &Viewer,
    resident: &Resident,
    f: &Fields,
    mut errors: FieldErrors,
    submission: String,
) -> Result<ReferPage, UiError> {
    let ctx = &state.ctx;
    let lang = viewer.lang;
    let patient = resident.id.to_string();
    let asked = !f.get("condition").is_empty() || f.get("step") == "1";
    let mut quiet = FieldErrors::new();
    let case = CaseInput::read(f, lang, if asked { &mut errors } else { &mut quiet });
    let triage = case.as_ref().and_then(CaseInput::triage);
    let suggestion = match (&case, &triage) {
        (Some(c), Some(t)) => Some(suggestion(lang, c, t)),
        _ => None,
    };
    let all_hospitals = hospitals(ctx, &viewer.actor).await?;
    let mut to = f.get("to").to_string();
    if !to.is_empty() && !all_hospitals.iter().any(|(id, ..)| *id == to) {
        if asked {
            errors.add("to", lang.t("doctor-error-hospital"));
        }
        to.clear();
    }
    if to.is_empty()
        && let Some(s) = &suggestion
    {
        to = all_hospitals
            .iter()
            .find(|(_, _, l)| *l == s.level)
            .or(all_hospitals.first())
            .map(|(id, ..)| id.clone())
            .unwrap_or_default();
    }
    let hospitals = all_hospitals
        .iter()
        .map(|(id, name, level)| Choice {
            value: id.clone(),
            label: format!("{name} · {}", lang.coded("level", level.code())),
            selected: *id == to,
        })
        .collect();
    let mut estimate = None;
    let mut estimate_note = String::new();
    if let (Some(c), Some(s)) = (&case, &suggestion)
        && let Some(total) = typical_total(&ctx.policy, c.service(), s.level)
    {
        let question = VisitQuestion {
            service: c.service(),
            total,
            date: ctx.clock.today(),
            follow_up: false,
            emergency: s.emergency,
            at_contracted_primary: false,
        };
        match Referrals::new(ctx, &viewer.actor)
            .own_estimate(&patient, &question)
            .await
        {
            Ok(own) => estimate = Some(estimate_view(lang, total, &own.estimate, s.level)),
            Err(ServiceError::Rule { .. } | ServiceError::Invalid { .. }) => {
                estimate_note = lang.t("doctor-estimate-none")
            }
            Err(e) => return Err(e.into()),
        }
    }
    let ready = case.is_some() && !to.is_empty() && suggestion.is_some();
    let rid = referral_id(viewer, &submission)?;
    let slots = match (&case, ready) {
        (Some(c), true) => {
            free_slots(ctx, lang, &to, c.condition.specialty, c.priority(), &rid).await?
        }
        _ => vec![],
    };
    let results = result_choices(ctx, &viewer.actor, lang, &patient, &f.all("result")).await?;
    let mut names = Names::new(ctx, &viewer.actor);
    names.know_resident(resident.clone());
    let case_fields = match &case {
        Some(c) => vec![
            ("condition", c.code.to_string()),
            ("severity", c.severity.code().to_string()),
            ("urgency", c.urgency.code().to_string()),
            ("setting", c.setting.code().to_string()),
            ("to", to.clone()),
        ],
        None => vec![],
    };
    let sel = |name: &str, default: &str| {
        let v = f.get(name);
        if v.is_empty() {
            default.to_string()
        } else {
            v.to_string()
        }
    };
    Ok(ReferPage {
        chrome: viewer.chrome(state),
        patient_name: names.resident(&patient).await,
        patient,
        conditions: condition_choices(lang, f.get("condition")),
        severities: coded_choices(
            lang,
            "severity",
            &["mild", "moderate", "severe"],
            &sel("severity", "mild"),
        ),
        urgencies: coded_choices(
            lang,
            "urgency",
            &["routine", "urgent", "emergency"],
            &sel("urgency", "routine"),
        ),
        settings: coded_choices(
            lang,
            "setting",
            &["outpatient", "inpatient"],
            &sel("setting", "outpatient"),
        ),
        hospitals,
        case: case_fields,
        ready,
        suggestion,
        estimate,
        estimate_note,
        results,
        slots,
        slot: f.get("slot").to_string(),
        summary: f.get("summary").to_string(),
        submission,
        consult: f.get("consult").to_string(),
        errors,
    })
}

/// `GET /ui/doctor/residents/{id}/refer`: the form, with the suggestion,
/// estimate and slots once the case is chosen.
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let resident = read_resident(&state.ctx, &viewer.actor, &id).await?;
    let f = Fields::of_query(raw.as_deref());
    let submission = match f.get("submission") {
        "" => form::submission_key(),
        s => s.to_string(),
    };
    let p = page(
        &state,
        &viewer,
        &resident,
        &f,
        FieldErrors::new(),
        submission,
    )
    .await?;
    let status = if p.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(render(status, &p))
}

/// A chosen slot must be free (or already held by this doctor, on a
/// resent form), in the future, at the hospital in the specialty.
async fn slot_ok(
    state: &AppState,
    viewer: &Viewer,
    slot: &str,
    to: &str,
    case: &CaseInput,
) -> bool {
    let Ok(s) = tiercare_service::open::read(&state.ctx, "Slot", slot).await else {
        return false;
    };
    let Record::Slot(s) = s.record else {
        return false;
    };
    let now = state.ctx.clock.now();
    let mine = match s.status_at(now) {
        SlotStatus::Free => true,
        SlotStatus::Held { holder, .. } => holder == viewer.actor.username,
        _ => false,
    };
    mine && s.start > now && s.institution.as_str() == to && s.specialty == case.condition.specialty
}

/// The results ticked on the form, as the service takes them.
fn results_of(f: &Fields) -> Option<Vec<(ResultKind, String)>> {
    f.all("result")
        .iter()
        .map(|v| match v.split_once('/') {
            Some(("Observation", id)) => Some((ResultKind::Observation, id.to_string())),
            Some(("DiagnosticReport", id)) => Some((ResultKind::DiagnosticReport, id.to_string())),
            _ => None,
        })
        .collect()
}

/// `POST /ui/doctor/residents/{id}/refer`: sends the referral, then holds
/// the chosen slot; bad input gives the form back with the message next
/// to the field and nothing written.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let f = Fields::of_body(&body);
    viewer.check_csrf(f.get("csrf"))?;
    let lang = viewer.lang;
    let resident = read_resident(&state.ctx, &viewer.actor, &id).await?;
    let submission = f.get("submission").to_string();
    let rid = referral_id(&viewer, &submission)?;
    let mut errors = FieldErrors::new();
    let case = CaseInput::read(&f, lang, &mut errors);
    let to = f.get("to").to_string();
    let to_level = hospitals(&state.ctx, &viewer.actor)
        .await?
        .into_iter()
        .find(|(h, ..)| *h == to)
        .map(|(.., l)| l);
    if to_level.is_none() {
        errors.add("to", lang.t("doctor-error-hospital"));
    }
    let summary = form::required(&mut errors, lang, "summary", Some(f.get("summary")));
    let results = results_of(&f);
    if results.is_none() {
        errors.add("results", lang.t("doctor-error-results"));
    }
    let slot = f.get("slot").to_string();
    let hold = !slot.is_empty() && slot != "hospital";
    if f.get("slot").is_empty() {
        errors.add("slot", lang.t("doctor-error-slot-choice"));
    } else if hold
        && let Some(c) = &case
        && !slot_ok(&state, &viewer, &slot, &to, c).await
    {
        errors.add("slot", lang.t("doctor-error-slot"));
    }
    let consult = match f.get("consult") {
        "" => None,
        c => match c.parse() {
            Ok(c) => Some(c),
            Err(_) => {
                errors.add("form", lang.t("doctor-error-consult"));
                None
            }
        },
    };
    let (Some(case), Some(to_level), Some(summary), Some(results), true) =
        (case, to_level, summary, results, errors.is_empty())
    else {
        return refused(&state, &viewer, &resident, &f, errors, submission).await;
    };
    let from = viewer.actor.institution.clone().ok_or(UiError::Forbidden)?;
    let service = Referrals::new(&state.ctx, &viewer.actor);
    let fields = [
        ("ServiceRequest.reasonCode", "condition"),
        ("reason", "condition"),
        ("condition", "condition"),
        ("ServiceRequest.performer", "to"),
        ("to", "to"),
        ("summary", "summary"),
        ("ServiceRequest.supportingInfo", "results"),
    ];
    let attached = match service.attach_results(&id, &results).await {
        Ok(a) => a,
        Err(e) => {
            let errors = FieldErrors::from_service(e, lang, &fields, "form")?;
            return refused(&state, &viewer, &resident, &f, errors, submission).await;
        }
    };
    let new = NewReferral {
        id: rid.clone(),
        patient: resident.id.clone(),
        from,
        from_level: Level::Primary,
        to: to
            .parse()
            .map_err(|_| UiError::BadRequest(lang.t("doctor-error-hospital")))?,
        to_level,
        specialty: case.condition.specialty,
        setting: case.setting,
        priority: case.priority(),
        condition: case.code.clone(),
        summary,
        attachments: Attachments {
            patient: PatientSummary {
                conditions: vec![case.code.clone()],
                ..PatientSummary::default()
            },
            results: attached,
            consult,
        },
    };
    if let Err(e) = service.request(new).await {
        let errors = FieldErrors::from_service(e, lang, &fields, "form")?;
        return refused(&state, &viewer, &resident, &f, errors, submission).await;
    }
    let done = if hold {
        match service.hold_slot(rid.as_str(), &slot).await {
            Ok(_) => format!("held&slot={slot}"),
            Err(_) => "hold-failed".to_string(),
        }
    } else {
        "referred".to_string()
    };
    Ok(Redirect::to(&format!("/ui/doctor/referrals/{rid}?done={done}")).into_response())
}

/// The form again, with its messages, as refused input (400).
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    resident: &Resident,
    f: &Fields,
    errors: FieldErrors,
    submission: String,
) -> Result<Response, UiError> {
    let p = page(state, viewer, resident, f, errors, submission).await?;
    Ok(render(StatusCode::BAD_REQUEST, &p))
}
