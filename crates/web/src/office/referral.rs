//! One incoming referral: the patient, the condition, the referrer, the
//! attached results and the loop's history, with a form for each step the
//! core allows this coordinator now (accept, book a slot or a bed,
//! decline, redirect, return with advice, arrival, no-show, completion
//! with the charge, the report back).
//!
//! Each form carries the referral's version: the service refuses a step
//! taken on a version that has moved on, which the page shows as already
//! done, with the referral as it is now.

use super::steps::StepForm;
use super::{Tab, local, office_of, tabs, when};
use crate::form::FieldErrors;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, Lang, UiError, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::booking::{Claimant, SlotStatus};
use tiercare_core::referral::{Action, DeclineReason, Referral, ReferralState, Setting};
use tiercare_service::referrals::Referrals;
use tiercare_service::registry::Registry;
use tiercare_service::search::{exact, query};

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
pub(super) struct Shown {
    pub form: StepForm,
    pub failed: &'static str,
    pub errors: FieldErrors,
    pub notice: String,
}

pub(super) async fn detail(
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
    let patient = super::names::patient(&mut names, lang, r.patient.as_str()).await;
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
                at: stored_time(lang, &v.updated_at),
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
fn stored_time(lang: Lang, at: &str) -> String {
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
                names.practitioner(r.requester.as_str()).await,
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
    let mut q = q;
    // Only slots still ahead: a department's past days are many.
    q.filters.push(tiercare_store::Filter {
        param: "start".into(),
        values: vec![
            now.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        ],
        matching: tiercare_store::Match::AtLeast,
    });
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
