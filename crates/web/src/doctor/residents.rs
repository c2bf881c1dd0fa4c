//! My contracted residents (签约居民) and a resident's record.
//!
//! The list is the registry's patient search: it adds the doctor's teams
//! and contracts in force itself, so nobody else's residents can appear,
//! and its name search is the registry's own matching. The record is read
//! section by section through the services that guard each kind of
//! patient data, every read audited.

use super::family_doctor;
use super::fields::Fields;
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, Lang, UiError, render};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_core::clinical::ResultValue;
use tiercare_core::resident::Resident;
use tiercare_service::Context;
use tiercare_service::panels::Panels;
use tiercare_service::referrals::Referrals;
use tiercare_service::registry::Registry;
use tiercare_service::search::{MAX_COUNT, exact};
use tiercare_store::{Filter, Match, Query, Stored};

/// How many residents the list shows at once.
const PAGE: u32 = 100;

/// Reads a resident as the doctor may (audited; forbidden outside their
/// care, not found when there is no such resident).
pub async fn read_resident(ctx: &Context, actor: &Actor, id: &str) -> Result<Resident, UiError> {
    let s = Registry::new(ctx, actor).read("Patient", id, None).await?;
    match s.record {
        Record::Resident(r) => Ok(r),
        _ => Err(UiError::NotFound(id.to_string())),
    }
}

/// A result's value as written.
pub fn result_value(v: &ResultValue) -> String {
    match v {
        ResultValue::Quantity { value, unit } => format!("{value} {unit}"),
        ResultValue::Text { text } => text.clone(),
    }
}

/// A panel's control status on a resident's row or record.
#[derive(Debug, Clone)]
pub struct Control {
    pub plan: String,
    pub conditions: String,
    pub code: String,
    pub word: String,
    pub follow_up: String,
}

/// The resident's panels the doctor may see, with their control status
/// today (each an audited read).
pub async fn controls(
    ctx: &Context,
    actor: &Actor,
    lang: Lang,
    patient: &str,
) -> Result<Vec<Control>, UiError> {
    let panels = Panels::new(ctx, actor);
    let today = ctx.clock.today();
    let mut out = Vec::new();
    for id in panels.visible_enrolments(patient).await? {
        let (e, state) = panels.status(id.as_str(), today).await?;
        if !e.value.active_on(today) {
            continue;
        }
        out.push(Control {
            plan: id.to_string(),
            conditions: e
                .value
                .conditions
                .iter()
                .map(|c| lang.coded("panel", c.code()))
                .collect::<Vec<_>>()
                .join("、"),
            code: state.status.overall.code().to_string(),
            word: lang.coded("control", state.status.overall.code()),
            follow_up: format!(
                "{} · {}",
                lang.coded("followup", state.follow_up.code()),
                lang.date(state.next_due)
            ),
        });
    }
    Ok(out)
}

struct Row {
    id: String,
    name: String,
    gender: String,
    age: i32,
    groups: String,
    signed: String,
    ends: String,
    controls: Vec<Control>,
}

#[derive(Template)]
#[template(path = "doctor/residents.html")]
struct ResidentsPage {
    chrome: Chrome,
    name: String,
    rows: Vec<Row>,
    total: u64,
    count_text: String,
}

/// `GET /ui/doctor/residents?name=`: the doctor's contracted residents.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let ctx = &state.ctx;
    let lang = viewer.lang;
    let q = Fields::of_query(raw.as_deref());
    let name = q.get("name").to_string();
    let mut filters = Vec::new();
    if !name.is_empty() {
        // The registry's name search, exactly as its API asks it.
        filters.push(Filter {
            param: "name".into(),
            values: vec![name.to_lowercase()],
            matching: Match::Prefix,
        });
    }
    let query = Query {
        resource_type: "Patient".into(),
        filters,
        count: PAGE,
        offset: 0,
    };
    let described = format!("contracted residents; name={name}");
    let (found, total) = Registry::new(ctx, &viewer.actor)
        .search("Patient", query, &described)
        .await?;
    let today = ctx.clock.today();
    let mut rows = Vec::new();
    for s in found {
        let Record::Resident(r) = s.record else {
            continue;
        };
        let id = r.id.to_string();
        rows.push(Row {
            controls: controls(ctx, &viewer.actor, lang, &id).await?,
            name: r.name.full(),
            gender: lang.coded("gender", r.gender.code()),
            age: r.age_on(today),
            groups: r
                .key_groups
                .iter()
                .map(|g| lang.coded("keygroup", g.code()))
                .collect::<Vec<_>>()
                .join("、"),
            signed: r
                .contract
                .as_ref()
                .map(|c| lang.date(c.signed_on))
                .unwrap_or_default(),
            ends: r
                .contract
                .as_ref()
                .map(|c| {
                    c.ends_on
                        .map_or_else(|| lang.t("doctor-open-ended"), |d| lang.date(d))
                })
                .unwrap_or_default(),
            id,
        });
    }
    let page = ResidentsPage {
        chrome: viewer.chrome(&state),
        name,
        rows,
        total,
        count_text: lang.t_with("doctor-residents-count", &[("count", total.to_string())]),
    };
    Ok(render(StatusCode::OK, &page))
}

/// One line of a section of the record.
pub struct Line {
    pub when: String,
    pub what: String,
    pub detail: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "doctor/resident.html")]
struct RecordPage {
    chrome: Chrome,
    id: String,
    name: String,
    facts: Vec<(String, String)>,
    contract: Vec<(String, String)>,
    controls: Vec<Control>,
    sections: Vec<Section>,
}

/// A section of the record: its anchor, title and lines.
struct Section {
    id: &'static str,
    title: String,
    lines: Vec<Line>,
}

async fn records(
    ctx: &Context,
    actor: &Actor,
    rt: &str,
    patient: &str,
) -> Result<Vec<Stored>, UiError> {
    let query = Query {
        resource_type: rt.into(),
        filters: vec![exact("patient", format!("Patient/{patient}"))],
        count: MAX_COUNT,
        offset: 0,
    };
    Ok(Referrals::new(ctx, actor)
        .search_records(query, Some(patient))
        .await?
        .0)
}

/// `GET /ui/doctor/residents/{id}`: the resident's record.
pub async fn record(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    family_doctor(&viewer)?;
    let ctx = &state.ctx;
    let actor = &viewer.actor;
    let lang = viewer.lang;
    let r = read_resident(ctx, actor, &id).await?;
    let mut names = Names::new(ctx, actor);
    let today = ctx.clock.today();
    let facts = vec![
        (
            lang.t("doctor-gender"),
            lang.coded("gender", r.gender.code()),
        ),
        (lang.t("doctor-birth-date"), lang.date(r.birth_date)),
        (lang.t("doctor-age"), r.age_on(today).to_string()),
        (
            lang.t("doctor-district"),
            r.district.clone().unwrap_or_default(),
        ),
        (lang.t("doctor-phone"), r.phone.clone().unwrap_or_default()),
        (
            lang.t("doctor-key-groups"),
            r.key_groups
                .iter()
                .map(|g| lang.coded("keygroup", g.code()))
                .collect::<Vec<_>>()
                .join("、"),
        ),
    ];
    let mut contract = Vec::new();
    if let Some(c) = &r.contract {
        if let Some(i) = &c.institution {
            contract.push((
                lang.t("doctor-institution"),
                names.institution(i.as_str()).await,
            ));
        }
        if let Some(d) = &c.family_doctor {
            contract.push((
                lang.t("doctor-family-doctor"),
                names.practitioner(d.as_str()).await,
            ));
        }
        contract.push((lang.t("doctor-signed-on"), lang.date(c.signed_on)));
        contract.push((
            lang.t("doctor-ends-on"),
            c.ends_on
                .map_or_else(|| lang.t("doctor-open-ended"), |d| lang.date(d)),
        ));
    }
    let controls = controls(ctx, actor, lang, &id).await?;
    let visit_query = Query {
        resource_type: "Encounter".into(),
        filters: vec![exact("patient", format!("Patient/{id}"))],
        count: MAX_COUNT,
        offset: 0,
    };
    let (found, _) = Referrals::new(ctx, actor)
        .search_scoped(visit_query, "service-provider", "visits")
        .await?;
    let mut visits = Vec::new();
    for s in found {
        if let Record::Encounter(e) = s.record {
            visits.push(Line {
                when: lang.moment(e.arrived),
                what: format!(
                    "{} · {}",
                    names.institution(e.institution.as_str()).await,
                    lang.coded("specialty", e.specialty.code())
                ),
                detail: lang.coded(
                    "service",
                    if e.inpatient {
                        "inpatient"
                    } else {
                        "outpatient"
                    },
                ),
                link: String::new(),
            });
        }
    }
    let mut results = Vec::new();
    for rt in ["Observation", "DiagnosticReport"] {
        for s in records(ctx, actor, rt, &id).await? {
            match s.record {
                Record::Observation(o) => results.push(Line {
                    when: lang.moment(o.effective),
                    what: o.name,
                    detail: result_value(&o.value),
                    link: String::new(),
                }),
                Record::DiagnosticReport(d) => results.push(Line {
                    when: lang.moment(d.effective),
                    what: d.name,
                    detail: d.conclusion,
                    link: String::new(),
                }),
                _ => {}
            }
        }
    }
    let query = Query {
        resource_type: "ServiceRequest".into(),
        filters: vec![exact("patient", format!("Patient/{id}"))],
        count: MAX_COUNT,
        offset: 0,
    };
    let (found, _) = Referrals::new(ctx, actor).search(query).await?;
    let mut referrals = Vec::new();
    for s in found {
        match s.record {
            Record::Referral(x) => referrals.push(Line {
                when: lang.moment(x.requested_at),
                what: format!(
                    "{} → {}",
                    crate::names::condition(lang, x.condition.as_str()),
                    names.institution(x.to.as_str()).await
                ),
                detail: lang.coded("state", x.state.code()),
                link: format!("/ui/doctor/referrals/{}", x.id),
            }),
            Record::Consult(c) => referrals.push(Line {
                when: lang.moment(c.asked_at),
                what: format!(
                    "{} · {}",
                    lang.t("doctor-consult"),
                    names.institution(c.to.as_str()).await
                ),
                detail: super::consults::state_word(lang, &c.state),
                link: format!("/ui/doctor/consults/{}", c.id),
            }),
            _ => {}
        }
    }
    let mut plans = Vec::new();
    for s in records(ctx, actor, "CarePlan", &id).await? {
        if let Record::CarePlan(p) = s.record {
            let gaps: Vec<String> = p
                .missing_medicines()
                .map(|m| m.medicine.name.clone())
                .collect();
            plans.push(Line {
                when: lang.moment(p.created),
                what: p.description.clone(),
                detail: if gaps.is_empty() {
                    lang.t("doctor-no-medicine-gap")
                } else {
                    lang.t_with("doctor-medicine-gap", &[("medicines", gaps.join("、"))])
                },
                link: String::new(),
            });
        }
    }
    let mut claims = Vec::new();
    for s in records(ctx, actor, "Claim", &id).await? {
        if let Record::Claim(c) = s.record {
            claims.push(Line {
                when: lang.moment(c.created),
                what: names.institution(c.institution.as_str()).await,
                detail: lang.t_with(
                    "doctor-claim-split",
                    &[
                        ("total", crate::i18n::yuan(c.adjudication.split.total)),
                        ("covered", crate::i18n::yuan(c.adjudication.split.covered)),
                        ("own", crate::i18n::yuan(c.adjudication.split.out_of_pocket)),
                    ],
                ),
                link: String::new(),
            });
        }
    }
    let page = RecordPage {
        chrome: viewer.chrome(&state),
        id,
        name: r.name.full(),
        facts,
        contract,
        controls,
        sections: vec![
            Section {
                id: "visits",
                title: lang.t("doctor-visits"),
                lines: visits,
            },
            Section {
                id: "results",
                title: lang.t("doctor-results"),
                lines: results,
            },
            Section {
                id: "referrals",
                title: lang.t("doctor-referrals"),
                lines: referrals,
            },
            Section {
                id: "plans",
                title: lang.t("doctor-care-plans"),
                lines: plans,
            },
            Section {
                id: "claims",
                title: lang.t("doctor-claims"),
                lines: claims,
            },
        ],
    };
    Ok(render(StatusCode::OK, &page))
}
