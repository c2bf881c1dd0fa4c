//! The desk's page: the day's appointments, each with where its visit
//! stands and, once finished, its claim.

use super::{PATH, day_range, desk_of};
use crate::form::FieldErrors;
use crate::i18n::yuan;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, Lang, UiError, render};
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use tiercare_api::AppState;
use tiercare_core::access::Actor;
use tiercare_core::booking::Appointment;
use tiercare_core::insurance::Claim;
use tiercare_core::{InstitutionId, Record};
use tiercare_service::referrals::Referrals;
use tiercare_service::search::{any_of, exact, query};
use tiercare_service::{Context, ServiceError};
use tiercare_store::{Filter, Match};
use time::Date;

/// What the page shows besides the appointments.
pub struct Shown {
    pub day: Date,
    pub day_field: String,
    pub errors: FieldErrors,
    /// The appointment whose form was refused.
    pub failed: String,
    pub notice: String,
}

/// A claim's split as the desk reads it to the patient.
pub struct Split {
    pub total: String,
    pub fund: String,
    pub patient: String,
    pub deductible: String,
    pub rules: Vec<(String, String)>,
}

/// One appointment.
pub struct Visit {
    pub id: String,
    pub time: String,
    pub patient: String,
    pub department: String,
    pub kind: String,
    /// booked, arrived or finished.
    pub stage: &'static str,
    pub stage_words: String,
    /// The referral's version, for a referred visit's steps.
    pub version: String,
    pub may_arrive: bool,
    pub may_finish: bool,
    pub claim: Option<Split>,
}

#[derive(Template)]
#[template(path = "desk/page.html")]
struct Page {
    chrome: Chrome,
    institution: String,
    day: String,
    day_shown: String,
    errors: FieldErrors,
    failed: String,
    notice: String,
    visits: Vec<Visit>,
    arrived: usize,
    finished: usize,
}

pub async fn render_page(
    state: &AppState,
    viewer: &Viewer,
    institution: &InstitutionId,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, UiError> {
    desk_of(viewer)?;
    let ctx = &state.ctx;
    let lang = viewer.lang;
    let actor = &viewer.actor;
    let (from, to) = day_range(shown.day);
    let mut q = query(
        "Appointment",
        vec![exact("organization", format!("Organization/{institution}"))],
    );
    // The day's visits wherever they stand: an appointment follows its
    // visit (arrived, fulfilled, no-show); only cancelled ones drop out.
    q.filters.push(any_of(
        "status",
        vec![
            "booked".into(),
            "arrived".into(),
            "fulfilled".into(),
            "noshow".into(),
        ],
    ));
    q.filters.push(Filter {
        param: "date".into(),
        values: vec![from],
        matching: Match::AtLeast,
    });
    q.filters.push(Filter {
        param: "date".into(),
        values: vec![to],
        matching: Match::Below,
    });
    let (found, _) = Referrals::new(ctx, actor)
        .search_scoped(
            q,
            "organization",
            "only the institution's staff see its visits",
        )
        .await?;
    let mut appointments: Vec<Appointment> = found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Appointment(a) if !a.cancelled => Some(a),
            _ => None,
        })
        .collect();
    appointments.sort_by_key(|a| a.start);
    let mut names = Names::new(ctx, actor);
    let mut visits = Vec::new();
    for a in &appointments {
        visits.push(visit(ctx, actor, &mut names, lang, a).await?);
    }
    let page = Page {
        chrome: viewer.chrome(state),
        institution: names.institution(institution.as_str()).await,
        day: shown.day_field,
        day_shown: lang.date(shown.day),
        errors: shown.errors,
        failed: shown.failed,
        notice: shown.notice,
        arrived: visits.iter().filter(|v| v.stage != "booked").count(),
        finished: visits.iter().filter(|v| v.stage == "finished").count(),
        visits,
    };
    Ok(render(status, &page))
}

impl Page {
    fn path(&self) -> &'static str {
        PATH
    }
}

async fn visit(
    ctx: &Context,
    actor: &Actor,
    names: &mut Names<'_>,
    lang: Lang,
    a: &Appointment,
) -> Result<Visit, UiError> {
    let service = Referrals::new(ctx, actor);
    let (encounter, version, kind, referral_actions) = match &a.referral {
        Some(r) => {
            let referral = service.read(r.as_str()).await?;
            let actions = referral.value.allowed_actions(actor);
            (
                format!("enc-{r}"),
                referral.version.to_string(),
                lang.coded("direction", referral.value.direction().code()),
                Some(actions),
            )
        }
        None => (
            format!("enc-{}", a.id),
            String::new(),
            lang.t("desk-self-booked"),
            None,
        ),
    };
    let (stage, claim) = match service.read_visit("Encounter", &encounter).await {
        Ok(s) => match s.record {
            Record::Encounter(e) if e.finished.is_some() => {
                ("finished", claim_of(&service, &encounter, lang).await?)
            }
            _ => ("arrived", None),
        },
        Err(ServiceError::NotFound(_)) => ("booked", None),
        Err(e) => return Err(e.into()),
    };
    let (may_arrive, may_finish) = match &referral_actions {
        Some(actions) => (
            actions.contains(&tiercare_core::referral::Action::Arrive),
            actions.contains(&tiercare_core::referral::Action::Complete),
        ),
        None => (stage == "booked", stage == "arrived"),
    };
    Ok(Visit {
        id: a.id.to_string(),
        time: crate::office::when(lang, a.start),
        patient: names.resident(a.patient.as_str()).await,
        department: lang.coded("specialty", a.specialty.code()),
        kind,
        stage,
        stage_words: lang.t(&format!("desk-stage-{stage}")),
        version,
        may_arrive,
        may_finish,
        claim,
    })
}

/// The claim of a finished visit (audited read), if one was made: a
/// patient without coverage has none.
async fn claim_of(
    service: &Referrals<'_>,
    encounter: &str,
    lang: Lang,
) -> Result<Option<Split>, UiError> {
    let id = format!("eob-{encounter}");
    let claim: Claim = match service.read_record("ExplanationOfBenefit", &id).await {
        Ok(s) => match s.record {
            Record::Claim(c) => *c,
            _ => return Ok(None),
        },
        Err(ServiceError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let s = &claim.adjudication.split;
    Ok(Some(Split {
        total: yuan(s.total),
        fund: yuan(s.covered),
        patient: yuan(s.out_of_pocket),
        deductible: yuan(s.deductible),
        rules: claim
            .adjudication
            .lines
            .iter()
            .map(|l| (lang.coded("rule", l.code.code()), yuan(l.amount)))
            .collect(),
    }))
}
