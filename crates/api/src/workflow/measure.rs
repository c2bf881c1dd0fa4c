//! `Measure` (read, search) and `$evaluate-measure`: the oversight
//! indicators as FHIR, computed from the store's daily aggregates by
//! [`crate::indicators`].
//!
//! Measures are definitions, so anyone signed in reads them. Reports are
//! aggregates over organizations and name no patient, so nothing here is
//! audited as patient access; who may see which subject follows the
//! `$budget` rule: administrators and analysts see every subject,
//! coordinators and doctors their own institution and the alliances it
//! belongs to (not the region, which would show every other institution's
//! figures through the strata), residents none. Insurance fund officers
//! see every subject but only the insurance indicators
//! ([`may_see_measure`]), and no programme
//! evaluation.

use super::measure_emergency::evaluate_emergency;
use super::measure_flows::evaluate_flows;
use super::*;
use crate::routes::{DEFAULT_COUNT, MAX_COUNT, parse_number};
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::emergency::accreditation::Figures as CaseFigures;
use tiercare_core::emergency::accreditation::definitions::{EMERGENCY_MEASURES, emergency_measure};
use tiercare_core::flows::measures::{FLOW_MEASURES, FlowFigures, flow_measure};
use tiercare_core::indicators::measures::may_see_measure;
use tiercare_core::indicators::{Indicators, MEASURES, MeasureDef, Period};
use tiercare_core::outreach::evaluation::{
    Figures, OUTREACH_MEASURES, evaluate as evaluate_subject, outreach_measure,
};
use tiercare_fhir::emergency::measures as em;
use tiercare_fhir::measure::{self as fm, ReportHeader, SubjectArg};
use tiercare_service::indicators::{Network, SubjectRef, day_of};
use tiercare_store::Query;

const EVALUATE: &str = "$evaluate-measure";

/// `GET /Measure`: every measure, filtered by `_id`, `url`, `name`,
/// `title` and `status` (the parameters of [`fm::SEARCH`]).
pub async fn measure_search(
    State(state): State<AppState>,
    _caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let mut found: Vec<Listed> = MEASURES
        .iter()
        .map(|m| Listed {
            code: m.code,
            title: m.title,
            render: fm::render(m),
        })
        .chain(OUTREACH_MEASURES.iter().map(|m| Listed {
            code: m.code,
            title: m.title,
            render: fm::render_in(m, &fm::OUTREACH),
        }))
        .chain(FLOW_MEASURES.iter().map(|m| Listed {
            code: m.code,
            title: m.title,
            render: fm::render_in(m, &fm::FLOWS),
        }))
        .chain(EMERGENCY_MEASURES.iter().map(|m| Listed {
            code: m.code,
            title: m.title,
            render: em::render_measure(m),
        }))
        .collect();
    let mut q = Query {
        resource_type: "Measure".into(),
        filters: vec![],
        count: DEFAULT_COUNT,
        offset: 0,
    };
    for (key, raw_value) in &pairs {
        match key.as_str() {
            "_count" => q.count = parse_number("_count", raw_value)?.min(MAX_COUNT),
            "_offset" => q.offset = parse_number("_offset", raw_value)?,
            "_format" | "_pretty" => {}
            name if fm::SEARCH.iter().any(|(n, _, _)| *n == name) => {
                // Values separated by commas are alternatives, as in every
                // other search; an empty value filters nothing.
                // Strings match from the start in any case; ids and URLs
                // exactly.
                let values: Vec<&str> = raw_value.split(',').filter(|v| !v.is_empty()).collect();
                if values.is_empty() {
                    continue;
                }
                // A status in its system, bare, or any of the system.
                let active = match name {
                    "status" => {
                        let f = fhir::tokens::filter("status", "status", &values)?;
                        fhir::tokens::codes_in(&f, fhir::tokens::MEASURE_STATUS)
                            .is_none_or(|codes| codes.iter().any(|c| c == "active"))
                    }
                    _ => false,
                };
                let starts = |text: String| {
                    let text = text.to_lowercase();
                    values
                        .iter()
                        .any(|v| text.starts_with(v.to_lowercase().as_str()))
                };
                found.retain(|m| match name {
                    "_id" => values.contains(&m.code),
                    "url" => values.iter().any(|v| *v == fm::canonical(m.code)),
                    "name" => starts(fm::name(m.code).to_lowercase()),
                    "title" => starts(m.title.to_lowercase()),
                    // Every measure is active.
                    _ => active,
                });
            }
            other => {
                return Err(ApiError::invalid(
                    other,
                    format!(
                        "search parameter {other:?} is not supported for Measure; use {}",
                        fm::SEARCH
                            .iter()
                            .map(|(n, _, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
    let base = base_url(&state, &headers);
    let total = found.len() as u64;
    let resources = found
        .into_iter()
        .skip(q.offset as usize)
        .take(q.count as usize)
        .map(|m| (format!("{base}/Measure/{}", m.code), m.render))
        .collect();
    Ok(FhirJson(searchset(&base, "Measure", &pairs, &q, total, resources)).into_response())
}

/// A measure of any family, as a search lists it.
struct Listed {
    code: &'static str,
    title: &'static str,
    render: Value,
}

/// A measure of any family: an oversight indicator, a figure of a
/// programme's evaluation, a resource flow, or an emergency centre's
/// accreditation measure.
#[derive(Clone, Copy)]
enum AnyMeasure {
    Indicator(&'static MeasureDef),
    Outreach(&'static MeasureDef<Figures>),
    Flow(&'static MeasureDef<FlowFigures>),
    Emergency(&'static MeasureDef<CaseFigures>),
}

fn measure_def(id: &str) -> Result<AnyMeasure, ApiError> {
    if let Some(m) = tiercare_core::indicators::measures::measure(id) {
        return Ok(AnyMeasure::Indicator(m));
    }
    if let Some(m) = outreach_measure(id) {
        return Ok(AnyMeasure::Outreach(m));
    }
    if let Some(m) = flow_measure(id) {
        return Ok(AnyMeasure::Flow(m));
    }
    if let Some(m) = emergency_measure(id) {
        return Ok(AnyMeasure::Emergency(m));
    }
    Err(ApiError::NotFound(format!(
        "Measure/{id} does not exist; the measures are {}",
        MEASURES
            .iter()
            .map(|m| m.code)
            .chain(OUTREACH_MEASURES.iter().map(|m| m.code))
            .chain(FLOW_MEASURES.iter().map(|m| m.code))
            .chain(EMERGENCY_MEASURES.iter().map(|m| m.code))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// `GET /Measure/{code}`.
pub async fn measure_read(_caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let v = match measure_def(&id)? {
        AnyMeasure::Indicator(m) => fm::render(m),
        AnyMeasure::Outreach(m) => fm::render_in(m, &fm::OUTREACH),
        AnyMeasure::Flow(m) => fm::render_in(m, &fm::FLOWS),
        AnyMeasure::Emergency(m) => em::render_measure(m),
    };
    Ok(FhirJson(v).into_response())
}

/// `GET /Measure/$evaluate-measure`: a Bundle of one report per measure
/// (the dashboard's one call), or one report when `measure` names it.
pub async fn evaluate_all_get(
    State(state): State<AppState>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    Inputs::from_query(&ops::MEASURE_EVALUATE, &pairs)?;
    let v = evaluate_any(&state, &actor, &pairs, None).await?;
    Ok(FhirJson(v).into_response())
}

/// `POST /Measure/$evaluate-measure` with a `Parameters` body.
pub async fn evaluate_all_post(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    let inputs = Inputs::read(&ops::MEASURE_EVALUATE, &value)?.as_query();
    let v = evaluate_any(&state, &actor, &inputs, None).await?;
    Ok(FhirJson(v).into_response())
}

fn operation_of(id: &str, operation: &str) -> Result<AnyMeasure, ApiError> {
    if operation != EVALUATE {
        return Err(ApiError::NotFound(format!(
            "Measure/{id}/{operation} is not an operation; measures have {EVALUATE}"
        )));
    }
    measure_def(id)
}

/// `GET /Measure/{code}/$evaluate-measure`: one report.
pub async fn measure_operation_get(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((id, operation)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let m = operation_of(&id, &operation)?;
    let pairs = query_pairs(raw.as_deref())?;
    Inputs::from_query(&ops::MEASURE_EVALUATE, &pairs)?;
    let v = evaluate_any(&state, &actor, &pairs, Some(m)).await?;
    Ok(FhirJson(v).into_response())
}

/// `POST /Measure/{code}/$evaluate-measure` with a `Parameters` body.
pub async fn measure_operation_post(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let m = operation_of(&id, &operation)?;
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    let inputs = Inputs::read(&ops::MEASURE_EVALUATE, &value)?.as_query();
    let v = evaluate_any(&state, &actor, &inputs, Some(m)).await?;
    Ok(FhirJson(v).into_response())
}

/// Runs `$evaluate-measure` for a measure of any family. At the type
/// level, a `measure` parameter naming a flow measure asks for that
/// flow's report; one naming an evaluation measure, or a subject only
/// evaluations have (`HealthcareService/...`, `Practitioner/...`), for a
/// programme's evaluation; anything else for the indicators (the flows do
/// not join the indicators' Bundle: their strata are partnerships, not
/// levels).
async fn evaluate_any(
    state: &AppState,
    actor: &Actor,
    inputs: &[(String, String)],
    measure: Option<AnyMeasure>,
) -> Result<Value, ApiError> {
    let get = |name: &str| {
        inputs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let code = get("measure").map(|t| {
        t.strip_prefix(&format!("{}/Measure/", fhir::datatypes::BASE))
            .or_else(|| t.strip_prefix("Measure/"))
            .unwrap_or(t)
    });
    let named = code.and_then(outreach_measure);
    let named_flow = code.and_then(flow_measure);
    let named_emergency = code.and_then(emergency_measure);
    let outreach_subject = get("subject")
        .is_some_and(|s| s.starts_with("HealthcareService/") || s.starts_with("Practitioner/"));
    match measure {
        Some(AnyMeasure::Indicator(m)) => evaluate(state, actor, inputs, Some(m)).await,
        Some(AnyMeasure::Outreach(m)) => {
            evaluate_outreach(state, actor, inputs, Some(m), false).await
        }
        Some(AnyMeasure::Flow(m)) => evaluate_flows(state, actor, inputs, m, false).await,
        Some(AnyMeasure::Emergency(m)) => evaluate_emergency(state, actor, inputs, m, false).await,
        None if let Some(m) = named_flow => evaluate_flows(state, actor, inputs, m, true).await,
        None if let Some(m) = named_emergency => {
            evaluate_emergency(state, actor, inputs, m, true).await
        }
        None if named.is_some() || outreach_subject => {
            evaluate_outreach(state, actor, inputs, named, true).await
        }
        None => evaluate(state, actor, inputs, None).await,
    }
}

/// A programme's evaluation as `MeasureReport`s: one for `measure`, else a
/// Bundle of every evaluation measure's report. Strata are the months.
async fn evaluate_outreach(
    state: &AppState,
    actor: &Actor,
    inputs: &[(String, String)],
    measure: Option<&'static MeasureDef<Figures>>,
    type_level: bool,
) -> Result<Value, ApiError> {
    // The subject kinds differ from the indicators'; the rest of the
    // inputs are read and checked the same way.
    let subject_text = inputs
        .iter()
        .find(|(k, _)| k == "subject")
        .map(|(_, v)| v.clone());
    let rest: Vec<(String, String)> = inputs
        .iter()
        .filter(|(k, _)| k != "subject" && !(type_level && k == "measure"))
        .cloned()
        .collect();
    let e = fm::evaluate_inputs(&rest, false)?;
    check_period(state, e.period)?;
    let records = tiercare_service::evaluation::OutreachRecords::load(&state.ctx).await?;
    let subject =
        tiercare_service::evaluation::subject(&state.ctx, &records, subject_text.as_deref())
            .await?;
    tiercare_service::evaluation::may_see(actor, &records, &subject)?;
    let (first, last) = e.period;
    let ev = evaluate_subject(records.data(), &subject, first, last)
        .map_err(|err| ApiError::invalid("periodStart", err.to_string()))?;
    let strata: Vec<(Value, &Figures)> = ev
        .months
        .iter()
        .map(|m| {
            let code = format!("{:04}-{:02}", m.month.year(), u8::from(m.month.month()));
            (json!({"text": code}), &m.figures)
        })
        .collect();
    let date = now_text();
    let header = ReportHeader {
        period: e.period,
        subject: tiercare_service::evaluation::reference(&subject).map(|r| json!({"reference": r})),
        region: (state.ctx.region.as_str(), &state.ctx.region_name),
        date: &date,
    };
    if let Some(m) = measure {
        return Ok(fm::report_in(m, &fm::OUTREACH, &header, &ev.total, &strata));
    }
    let entries: Vec<Value> = OUTREACH_MEASURES
        .iter()
        .map(|m| json!({"resource": fm::report_in(m, &fm::OUTREACH, &header, &ev.total, &strata)}))
        .collect();
    Ok(json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": date,
        "entry": entries,
    }))
}

/// Runs `$evaluate-measure`: one report for `measure` (or the one the
/// `measure` parameter names), else a Bundle of every measure's report.
/// The indicators are computed once; each measure reads its figure.
async fn evaluate(
    state: &AppState,
    actor: &Actor,
    inputs: &[(String, String)],
    measure: Option<&'static MeasureDef>,
) -> Result<Value, ApiError> {
    let e = fm::evaluate_inputs(inputs, measure.is_none())?;
    check_period(state, e.period)?;
    let mut network = tiercare_service::indicators::network(&state.ctx).await?;
    if matches!(
        e.subject,
        SubjectArg::CareTeam(_) | SubjectArg::Practitioner(_)
    ) {
        network = network.with_units(&state.ctx).await?;
    }
    let subject_ref = resolve(&network, &e.subject)?;
    may_see(actor, &network, &subject_ref)?;
    if let Some(m) = measure.or(e.measure)
        && !may_see_measure(actor, m.code)
    {
        return Err(ApiError::Forbidden(format!(
            "Measure/{} is not one of the indicators this account may evaluate",
            m.code
        )));
    }
    let (network, subject) = network.focus(&subject_ref).ok_or_else(|| {
        ApiError::invalid("subject", "the subject is not in the region's network")
    })?;
    let (start, end) = e.period;
    let period = Period::new(day_of(start), day_of(end));
    let acc = tiercare_service::indicators::accumulator(&state.ctx, &network, period.last).await?;
    let whole = acc.indicators(period, subject);
    let strata: Vec<(Level, Indicators)> = Level::ALL
        .iter()
        .map(|&l| (l, acc.stratum(period, subject, l)))
        .collect();
    let display = match &subject_ref {
        // A team's or a doctor's network is that one row.
        SubjectRef::Institution(id) | SubjectRef::Team(id) | SubjectRef::Practitioner(id) => {
            network
                .institutions
                .iter()
                .position(|i| i == id)
                .and_then(|k| network.names.get(k))
                .map(String::as_str)
        }
        _ => None,
    };
    let date = now_text();
    let header = ReportHeader {
        period: e.period,
        subject: e.subject.reference(display),
        region: (state.ctx.region.as_str(), &state.ctx.region_name),
        date: &date,
    };
    if let Some(m) = measure.or(e.measure) {
        return Ok(fm::report(m, &header, &whole, &strata));
    }
    let entries: Vec<Value> = MEASURES
        .iter()
        .filter(|m| may_see_measure(actor, m.code))
        .map(|m| json!({"resource": fm::report(m, &header, &whole, &strata)}))
        .collect();
    Ok(json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": date,
        "entry": entries,
    }))
}

/// The network's subject for what the caller named: an `Organization` is
/// an institution or an alliance of the region, a `CareTeam` a
/// family-doctor team, a `Practitioner` a doctor, or unknown (400).
fn resolve(network: &Network, subject: &SubjectArg) -> Result<SubjectRef, ApiError> {
    Ok(match subject {
        SubjectArg::Region => SubjectRef::Region,
        SubjectArg::Level(l) => SubjectRef::Level(*l),
        SubjectArg::Organization(id) if network.institutions.contains(id) => {
            SubjectRef::Institution(id.clone())
        }
        SubjectArg::Organization(id) if network.alliances.contains(id) => {
            SubjectRef::Alliance(id.clone())
        }
        SubjectArg::Organization(id) => {
            return Err(ApiError::invalid(
                "subject",
                format!("Organization/{id} is not an institution or alliance of the region"),
            ));
        }
        SubjectArg::CareTeam(id) if network.teams.iter().any(|t| &t.id == id) => {
            SubjectRef::Team(id.clone())
        }
        SubjectArg::Practitioner(id) if network.practitioners.iter().any(|p| &p.id == id) => {
            SubjectRef::Practitioner(id.clone())
        }
        SubjectArg::CareTeam(id) => {
            return Err(ApiError::invalid(
                "subject",
                format!("CareTeam/{id} is not a family-doctor team of the region"),
            ));
        }
        SubjectArg::Practitioner(id) => {
            return Err(ApiError::invalid(
                "subject",
                format!("Practitioner/{id} is not a doctor of the region"),
            ));
        }
    })
}

/// Administrators and analysts see every subject; coordinators and doctors
/// their own institution and the alliances it belongs to; residents none.
/// Insurance fund officers see every subject, since the fund pays across
/// the region (which measures they see is [`may_see_measure`]).
fn may_see(actor: &Actor, network: &Network, subject: &SubjectRef) -> Result<(), ApiError> {
    let own = actor.institution.as_ref().and_then(|id| {
        let k = network.institutions.iter().position(|i| i == id.as_str())?;
        Some((id.as_str(), network.directory.institutions.get(k)?))
    });
    let allowed = match actor.role {
        UserRole::Admin | UserRole::Analyst | UserRole::Insurer => true,
        UserRole::Coordinator | UserRole::Doctor => match (subject, own) {
            (SubjectRef::Institution(id), Some((mine, _))) => id == mine,
            (SubjectRef::Alliance(id), Some((_, facts))) => network
                .alliances
                .iter()
                .position(|a| a == id)
                .is_some_and(|a| facts.alliances.contains(&(a as u16))),
            _ => false,
        },
        UserRole::Resident => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "indicators are seen by administrators and analysts; staff see their own \
             institution's and its alliances'"
                .into(),
        ))
    }
}

/// The inputs of one measure's report in a family of its own (flows,
/// emergency centres): read as an instance's, without the `measure`
/// parameter a type-level call named it by, the period checked.
pub(super) fn family_inputs(
    state: &AppState,
    inputs: &[(String, String)],
    type_level: bool,
) -> Result<fm::Evaluate, ApiError> {
    let rest: Vec<(String, String)> = inputs
        .iter()
        .filter(|(k, _)| !(type_level && k == "measure"))
        .cloned()
        .collect();
    let e = fm::evaluate_inputs(&rest, false)?;
    check_period(state, e.period)?;
    Ok(e)
}

/// Refuses a period longer than the server's limit (`max_period_days`),
/// before any figure is computed.
pub(super) fn check_period(
    state: &AppState,
    (start, end): (time::Date, time::Date),
) -> Result<(), ApiError> {
    let days = i64::from(day_of(end) - day_of(start)) + 1;
    state
        .config
        .limits
        .check_period_days(days)
        .map_err(|message| ApiError::invalid("periodEnd", message))
}
