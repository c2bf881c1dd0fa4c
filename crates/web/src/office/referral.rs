//! One incoming referral: the patient, the condition, the referrer, the
//! attached results and the loop's history, with a form for each step the
//! core allows this coordinator now (accept, book a slot or a bed,
//! decline, redirect, return with advice, arrival, no-show, completion
//! with the charge, the report back).
//!
//! Each form carries the referral's version: the service refuses a step
//! taken on a version that has moved on, which the page shows as already
//! done, with the referral as it is now.

use super::names::Names;
use super::{Tab, local, office_of, tabs, when};
use crate::form::FieldErrors;
use crate::session::Viewer;
use crate::{Chrome, Lang, UiError, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::booking::{Claimant, SlotStatus};
use tiercare_core::catalogue::IcdCode;
use tiercare_core::insurance::Fen;
use tiercare_core::referral::{
    Action, Command, DeclineReason, Referral, ReferralState, Report, Setting,
};
use tiercare_service::ServiceError;
use tiercare_service::referrals::Referrals;
use tiercare_service::registry::Registry;
use tiercare_service::search::{exact, query};

/// What a step's form sent (every field of every step; each step reads
/// its own).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StepForm {
    pub csrf: String,
    pub version: String,
    pub slot: String,
    pub beds: String,
    pub reason: String,
    pub comment: String,
    pub to: String,
    pub advice: String,
    pub charge: String,
    pub summary: String,
    pub diagnosis: String,
    pub recommendation: String,
    /// The office page to come back to (the arrivals list or this page).
    pub back: String,
}

/// A notice after a step: `done` names the step, `stale` says it had
/// already been taken.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    pub done: String,
    pub stale: String,
}

/// A choice in a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

struct Fact {
    label: String,
    value: String,
}

struct Attached {
    name: String,
    effective: String,
    valid_until: String,
    recognised: bool,
}

struct Step {
    version: u32,
    at: String,
    state: String,
}

#[derive(Template)]
#[template(path = "office/referral.html")]
struct Page {
    chrome: Chrome,
    tabs: Vec<Tab>,
    id: String,
    version: u32,
    patient: String,
    patient_details: String,
    state: String,
    state_code: &'static str,
    facts: Vec<Fact>,
    summary: String,
    conditions: Vec<String>,
    medications: Vec<String>,
    allergies: Vec<String>,
    results: Vec<Attached>,
    history: Vec<Step>,
    actions: Vec<&'static str>,
    inpatient: bool,
    slots: Vec<Choice>,
    beds: Vec<Choice>,
    reasons: Vec<Choice>,
    institutions: Vec<Choice>,
    form: StepForm,
    /// The step whose form was refused, so its errors show beside it.
    failed: &'static str,
    errors: FieldErrors,
    notice: String,
    back: String,
}

impl Page {
    fn can(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }

    /// The error of a field of the step whose form was refused.
    fn err(&self, step: &str, field: &str) -> Option<&str> {
        if self.failed == step {
            self.errors.get(field)
        } else {
            None
        }
    }

    /// `aria-invalid` for a field of a step's form.
    fn invalid(&self, step: &str, field: &str) -> &'static str {
        if self.err(step, field).is_some() {
            "true"
        } else {
            "false"
        }
    }

    /// What a refused form had in a field, to show it again.
    fn kept<'a>(&'a self, step: &str, value: &'a str) -> &'a str {
        if self.failed == step { value } else { "" }
    }
}

/// `GET /ui/office/referrals/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, UiError> {
    office_of(&viewer)?;
    let lang = viewer.lang;
    let message = if !notice.stale.is_empty() {
        lang.t("office-notice-stale")
    } else if let Some(a) = Action::from_code(&notice.done) {
        lang.t_with(
            "office-notice-done",
            &[("action", lang.coded("action", a.code()))],
        )
    } else {
        String::new()
    };
    let shown = Shown {
        form: StepForm::default(),
        failed: "",
        errors: FieldErrors::new(),
        notice: message,
    };
    detail(&state, &viewer, &id, shown, StatusCode::OK).await
}

/// What the page shows besides the referral: a refused form and its
/// errors, or a notice.
struct Shown {
    form: StepForm,
    failed: &'static str,
    errors: FieldErrors,
    notice: String,
}

async fn detail(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, UiError> {
    let ctx = &state.ctx;
    let lang = viewer.lang;
    let actor = &viewer.actor;
    let now = ctx.clock.now();
    let history = Referrals::new(ctx, actor).history(id).await?;
    let Some(current) = history.last() else {
        return Err(UiError::NotFound(id.to_string()));
    };
    let r = &current.value;
    let mut names = Names::new(ctx, actor);
    let patient = names.patient(lang, r.patient.as_str()).await;
    let actions: Vec<&'static str> = r
        .allowed_actions(actor)
        .into_iter()
        .map(|a| a.code())
        .collect();
    let facts = facts(r, lang, &mut names, ctx, now).await;
    let booking = actions.contains(&"book");
    let inpatient = r.setting == Setting::Inpatient;
    let slots = if booking && !inpatient {
        slot_choices(ctx, r, &shown.form.slot, lang).await?
    } else {
        vec![]
    };
    let beds = if booking && inpatient {
        bed_choices(ctx, actor, r, &shown.form.beds, lang).await?
    } else {
        vec![]
    };
    let institutions = if actions.contains(&"redirect") {
        redirect_choices(ctx, actor, r, &shown.form.to, lang).await?
    } else {
        vec![]
    };
    let reasons = DeclineReason::ALL
        .iter()
        .map(|d| Choice {
            value: d.code().into(),
            label: lang.coded("decline", d.code()),
            selected: shown.form.reason == d.code(),
        })
        .collect();
    let summary = &r.attachments.patient;
    let page = Page {
        chrome: viewer.chrome(state),
        tabs: tabs(lang, ""),
        id: r.id.to_string(),
        version: current.version,
        patient: patient.name,
        patient_details: patient.details,
        state: lang.coded("state", r.state.code()),
        state_code: r.state.code(),
        facts,
        summary: r.summary.clone(),
        conditions: summary
            .conditions
            .iter()
            .map(|c| crate::names::condition(lang, c.as_str()))
            .collect(),
        medications: summary
            .medications
            .iter()
            .map(|m| {
                if m.dosage.is_empty() {
                    m.name.clone()
                } else {
                    format!("{} · {}", m.name, m.dosage)
                }
            })
            .collect(),
        allergies: summary.allergies.clone(),
        results: r
            .attachments
            .results
            .iter()
            .map(|a| Attached {
                name: a.name.clone(),
                effective: when(lang, a.effective),
                valid_until: lang.date(local(a.valid_until).date()),
                recognised: a.valid_until >= now,
            })
            .collect(),
        history: history
            .iter()
            .map(|v| Step {
                version: v.version,
                at: tiercare_store_time(lang, &v.updated_at),
                state: lang.coded("state", v.value.state.code()),
            })
            .collect(),
        actions,
        inpatient,
        slots,
        beds,
        reasons,
        institutions,
        failed: shown.failed,
        errors: shown.errors,
        notice: shown.notice,
        back: format!("/ui/office/referrals/{}", r.id),
        form: shown.form,
    };
    Ok(render(status, &page))
}

/// A stored change time (RFC 3339) as the page shows times.
fn tiercare_store_time(lang: Lang, at: &str) -> String {
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map(|t| when(lang, t))
        .unwrap_or_else(|_| at.to_string())
}

async fn facts(
    r: &Referral,
    lang: Lang,
    names: &mut Names<'_>,
    ctx: &tiercare_service::Context,
    now: time::OffsetDateTime,
) -> Vec<Fact> {
    let mut f = vec![
        Fact {
            label: lang.t("office-col-condition"),
            value: crate::names::condition(lang, r.condition.as_str()),
        },
        Fact {
            label: lang.t("office-fact-department"),
            value: format!(
                "{} · {}",
                lang.coded("specialty", r.specialty.code()),
                lang.coded("setting", r.setting.code())
            ),
        },
        Fact {
            label: lang.t("office-col-priority"),
            value: lang.coded("priority", r.priority.code()),
        },
        Fact {
            label: lang.t("office-fact-direction"),
            value: lang.coded("direction", r.direction().code()),
        },
        Fact {
            label: lang.t("office-fact-referrer"),
            value: format!(
                "{} · {}",
                names.practitioner(lang, r.requester.as_str()).await,
                names.institution(r.from.as_str()).await
            ),
        },
        Fact {
            label: lang.t("office-fact-requested"),
            value: when(lang, r.requested_at),
        },
    ];
    if let Some(due) = r.due(&ctx.policy) {
        let late = if due.by < now {
            format!(" ({})", lang.t("office-overdue"))
        } else {
            String::new()
        };
        f.push(Fact {
            label: lang.t("office-col-due"),
            value: format!("{}{late}", when(lang, due.by)),
        });
    }
    let booked = match &r.state {
        ReferralState::Booked { booking } | ReferralState::NoShow { booking } => Some(booking),
        ReferralState::Arrived { booking } => booking.as_ref(),
        _ => None,
    };
    if let Some(b) = booked {
        f.push(Fact {
            label: lang.t("office-fact-booking"),
            value: when(lang, b.start()),
        });
    }
    let outcome = match &r.state {
        ReferralState::Declined { reason, comment } => Some(format!(
            "{} {comment}",
            lang.coded("decline", reason.code())
        )),
        ReferralState::Returned { advice } => Some(advice.clone()),
        ReferralState::Cancelled { reason } => Some(reason.clone()),
        ReferralState::Completed { report: Some(rep) } => {
            Some(format!("{} {}", rep.summary, rep.recommendation))
        }
        _ => None,
    };
    if let Some(o) = outcome {
        f.push(Fact {
            label: lang.t("office-fact-outcome"),
            value: o.trim().to_string(),
        });
    }
    for from in &r.redirected_from {
        f.push(Fact {
            label: lang.t("office-fact-redirected-from"),
            value: names.institution(from.as_str()).await,
        });
    }
    f
}

/// Free slots of the receiving department this referral may take now,
/// soonest first; reserved slots are marked.
async fn slot_choices(
    ctx: &tiercare_service::Context,
    r: &Referral,
    selected: &str,
    lang: Lang,
) -> Result<Vec<Choice>, UiError> {
    let now = ctx.clock.now();
    let q = query(
        "Slot",
        vec![
            exact("organization", format!("Organization/{}", r.to)),
            exact("service-type", r.specialty.code()),
            exact("status", "free"),
        ],
    );
    let (found, _) = tiercare_service::open::search(ctx, &q).await?;
    let claimant: Claimant<'_> = r.claimant();
    let mut slots: Vec<_> = found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Slot(s)
                if s.status_at(now) == SlotStatus::Free
                    && s.open_to(claimant, &ctx.policy, now).is_ok() =>
            {
                Some(s)
            }
            _ => None,
        })
        .collect();
    slots.sort_by_key(|s| (s.start, !s.reserved));
    Ok(slots
        .into_iter()
        .take(40)
        .map(|s| {
            let kind = if s.reserved {
                lang.t("office-slot-reserved")
            } else {
                lang.t("office-slot-public")
            };
            Choice {
                selected: selected == s.id.as_str(),
                value: s.id.to_string(),
                label: format!("{} · {kind}", when(lang, s.start)),
            }
        })
        .collect())
}

/// The receiving department's bed pools, with their free beds.
async fn bed_choices(
    ctx: &tiercare_service::Context,
    actor: &tiercare_core::access::Actor,
    r: &Referral,
    selected: &str,
    lang: Lang,
) -> Result<Vec<Choice>, UiError> {
    let q = query(
        "Location",
        vec![
            exact("organization", format!("Organization/{}", r.to)),
            exact("type", r.specialty.code()),
        ],
    );
    let (found, _) = Registry::new(ctx, actor)
        .search("Location", q, "bed pools")
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::BedPool(p) => Some(Choice {
                selected: selected == p.id.as_str(),
                label: lang.t_with(
                    "office-bed-choice",
                    &[
                        ("ward", lang.coded("specialty", p.specialty.code())),
                        ("reserved", p.reserved_free().to_string()),
                        ("general", p.general_free().to_string()),
                    ],
                ),
                value: p.id.to_string(),
            }),
            _ => None,
        })
        .collect())
}

/// Institutions a referral may be sent on to: all but its two ends,
/// hospitals first.
async fn redirect_choices(
    ctx: &tiercare_service::Context,
    actor: &tiercare_core::access::Actor,
    r: &Referral,
    selected: &str,
    lang: Lang,
) -> Result<Vec<Choice>, UiError> {
    let q = query("Organization", vec![]);
    let (found, _) = Registry::new(ctx, actor)
        .search("Organization", q, "institutions")
        .await?;
    let mut list: Vec<_> = found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Institution(i) if i.id != r.to && i.id != r.from => Some(i),
            _ => None,
        })
        .collect();
    list.sort_by(|a, b| b.level.cmp(&a.level).then(a.name.cmp(&b.name)));
    Ok(list
        .into_iter()
        .map(|i| Choice {
            selected: selected == i.id.as_str(),
            label: format!("{} · {}", i.name, lang.coded("level", i.level.code())),
            value: i.id.to_string(),
        })
        .collect())
}

/// `POST /ui/office/referrals/{id}/{action}`: one step of the loop.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> Result<Response, UiError> {
    office_of(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let lang = viewer.lang;
    let Some(action) = Action::from_code(&action) else {
        return Err(UiError::NotFound(action));
    };
    let version: u32 = form
        .version
        .trim()
        .parse()
        .map_err(|_| UiError::BadRequest(lang.t("office-error-version")))?;
    let ctx = &state.ctx;
    let service = Referrals::new(ctx, &viewer.actor);
    let current = service.read(&id).await?;
    let mut errors = FieldErrors::new();
    let charge = read_charge(&mut errors, lang, action, &form.charge);
    let step = match step(ctx, &current.value, action, &form, lang, &mut errors).await {
        Ok(s) => s,
        Err(e) => return Err(e),
    };
    let back = back_to(&form.back, &id);
    if !errors.is_empty() {
        let shown = Shown {
            failed: action.code(),
            errors,
            notice: String::new(),
            form,
        };
        return detail(
            &state,
            &viewer,
            &id,
            shown,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let service = service.with_charge(charge);
    let done = match step {
        Planned::Slot(slot) => service
            .book_slot(&id, &slot, Some(version))
            .await
            .map(|_| ()),
        Planned::Bed(pool) => service
            .book_bed(&id, &pool, Some(version))
            .await
            .map(|_| ()),
        Planned::Command(c) => service.act(&id, c, Some(version)).await.map(|_| ()),
    };
    match done {
        Ok(()) => Ok(
            Redirect::to(&with_query(&back, &format!("done={}", action.code()))).into_response(),
        ),
        Err(ServiceError::StaleVersion(_)) => {
            Ok(Redirect::to(&format!("/ui/office/referrals/{id}?stale=1")).into_response())
        }
        Err(e) => {
            let status = match &e {
                ServiceError::Conflict(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let fields = [
                ("slot", "slot"),
                ("Slot", "slot"),
                ("beds", "beds"),
                ("Location", "beds"),
                (
                    "booking",
                    if action == Action::Book {
                        "slot"
                    } else {
                        "form"
                    },
                ),
                ("comment", "comment"),
                ("reason", "reason"),
                ("to", "to"),
                ("advice", "advice"),
                ("charge", "charge"),
                ("report", "summary"),
                ("diagnosis", "diagnosis"),
            ];
            let fallback = match action {
                Action::Book if current.value.setting == Setting::Inpatient => "beds",
                Action::Book => "slot",
                Action::Complete => "charge",
                _ => "form",
            };
            // A slot, bed pool or institution that is not there: the
            // choice is wrong, not the page.
            let e = match e {
                ServiceError::NotFound(m) => ServiceError::invalid(fallback, m),
                other => other,
            };
            let errors = FieldErrors::from_service(e, lang, &fields, fallback)?;
            let shown = Shown {
                failed: action.code(),
                errors,
                notice: String::new(),
                form,
            };
            detail(&state, &viewer, &id, shown, status).await
        }
    }
}

/// A step ready for the service.
enum Planned {
    Slot(String),
    Bed(String),
    Command(Command),
}

/// The step a form asks for, checking what the page can check itself.
async fn step(
    ctx: &tiercare_service::Context,
    r: &Referral,
    action: Action,
    form: &StepForm,
    lang: Lang,
    errors: &mut FieldErrors,
) -> Result<Planned, UiError> {
    let required = |errors: &mut FieldErrors, field: &str, value: &str| -> String {
        crate::form::required(errors, lang, field, Some(value)).unwrap_or_default()
    };
    Ok(match action {
        Action::Book if r.setting == Setting::Inpatient => {
            Planned::Bed(required(errors, "beds", &form.beds))
        }
        Action::Book => Planned::Slot(required(errors, "slot", &form.slot)),
        Action::Accept => Planned::Command(Command::Accept),
        Action::Arrive => Planned::Command(Command::Arrive),
        Action::NoShow => Planned::Command(Command::NoShow),
        Action::Close => Planned::Command(Command::Close),
        Action::Decline => {
            let code = required(errors, "reason", &form.reason);
            let reason = DeclineReason::from_code(&code);
            if !code.is_empty() && reason.is_none() {
                errors.add("reason", lang.t("office-error-reason"));
            }
            let reason = reason.unwrap_or(DeclineReason::Other);
            if reason == DeclineReason::Other && form.comment.trim().is_empty() {
                errors.add("comment", lang.t("office-error-comment-other"));
            }
            Planned::Command(Command::Decline {
                reason,
                comment: form.comment.trim().to_string(),
            })
        }
        Action::Redirect => {
            let to = required(errors, "to", &form.to);
            let mut level = tiercare_core::Level::Secondary;
            if !to.is_empty() {
                match tiercare_service::registry::institution(ctx, &to, "to").await {
                    Ok(i) => level = i.level,
                    Err(_) => errors.add("to", lang.t("office-error-institution")),
                }
            }
            match to.parse() {
                Ok(to) => Planned::Command(Command::Redirect {
                    to,
                    to_level: level,
                    comment: form.comment.trim().to_string(),
                }),
                Err(_) => {
                    errors.add("to", lang.t("office-error-institution"));
                    Planned::Command(Command::Accept)
                }
            }
        }
        Action::ReturnWithAdvice => Planned::Command(Command::ReturnWithAdvice {
            advice: required(errors, "advice", &form.advice),
        }),
        Action::Cancel => Planned::Command(Command::Cancel {
            reason: required(errors, "comment", &form.comment),
        }),
        Action::Complete => Planned::Command(Command::Complete {
            report: read_report(errors, lang, form, false),
        }),
        Action::Report => {
            let report = read_report(errors, lang, form, true);
            match report {
                Some(report) => Planned::Command(Command::Report { report }),
                None => Planned::Command(Command::Accept),
            }
        }
    })
}

/// The charge of a completed visit: required, in yuan with at most two
/// decimals, not negative.
fn read_charge(errors: &mut FieldErrors, lang: Lang, action: Action, value: &str) -> Option<Fen> {
    if action != Action::Complete {
        return None;
    }
    let Some(v) = crate::form::required(errors, lang, "charge", Some(value)) else {
        return None;
    };
    match v.parse::<Fen>() {
        Ok(f) if f >= Fen::ZERO => Some(f),
        _ => {
            errors.add("charge", lang.t("office-error-charge"));
            None
        }
    }
}

/// The report back: a summary (required for the report step, optional on
/// completion), a diagnosis (ICD-10, optional) and a recommendation.
fn read_report(
    errors: &mut FieldErrors,
    lang: Lang,
    form: &StepForm,
    required: bool,
) -> Option<Report> {
    let summary = form.summary.trim();
    if summary.is_empty() {
        if required || !form.recommendation.trim().is_empty() {
            errors.add("summary", lang.t("error-required"));
        }
        return None;
    }
    let diagnosis = match form.diagnosis.trim() {
        "" => None,
        d => match d.parse::<IcdCode>() {
            Ok(c) => Some(c),
            Err(_) => {
                errors.add("diagnosis", lang.t("office-error-diagnosis"));
                None
            }
        },
    };
    Some(Report {
        summary: summary.to_string(),
        diagnosis,
        recommendation: form.recommendation.trim().to_string(),
    })
}

/// Where to go after a step: an office page the form named, else the
/// referral's page.
fn back_to(back: &str, id: &str) -> String {
    let ours = back.starts_with("/ui/office") && !back.contains(['\\', '\r', '\n', '#']);
    if ours && !back.starts_with("//") {
        back.to_string()
    } else {
        format!("/ui/office/referrals/{id}")
    }
}

fn with_query(path: &str, q: &str) -> String {
    if path.contains('?') {
        format!("{path}&{q}")
    } else {
        format!("{path}?{q}")
    }
}
