//! FHIR REST handlers. Each parses, asks the registry service, and maps the
//! result; rules live in the service and the core.

use crate::AppState;
use crate::auth::{Caller, Request};
use crate::body::FhirJson;
pub use crate::body::json_body;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tiercare_fhir::operations;
use tiercare_fhir::parameters::Inputs;
pub use tiercare_fhir::search::{
    DEFAULT_COUNT, MAX_COUNT, build_query, parse_number, query_for, query_pairs, searchset,
};
use tiercare_fhir::{self as fhir, RegistryType, terminology};
use tiercare_service::registry::Registry;
use tiercare_store::{AuditOutcome, AuditQuery, Expect, Query, Stored};

pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(b) = &state.config.public_url {
        return format!("{}/fhir/r4", b.trim_end_matches('/'));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/fhir/r4")
}

/// Reads a weak or strong ETag `W/"3"` into a version number.
pub fn parse_etag(tag: &str) -> Option<u32> {
    tag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
}

pub(crate) fn registry_type(name: &str) -> Result<RegistryType, ApiError> {
    RegistryType::from_name(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "resource type {name:?} is not supported by this server"
        ))
    })
}

/// An RFC 3339 time as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(rfc3339: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()?
        .to_offset(time::UtcOffset::UTC);
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&f).ok()
}

pub(crate) fn resource_response(stored: &Stored, status: StatusCode, base: &str) -> Response {
    let rt = stored.record.resource_type();
    let mut resp = (status, FhirJson(fhir::render(stored))).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("W/\"{}\"", stored.version)) {
        h.insert(header::ETAG, v);
    }
    if let Some(v) = http_date(&stored.updated_at).and_then(|d| HeaderValue::from_str(&d).ok()) {
        h.insert(header::LAST_MODIFIED, v);
    }
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{base}/{rt}/{}/_history/{}",
            stored.record.id(),
            stored.version
        ))
    {
        h.insert(header::LOCATION, v);
    }
    resp
}

pub async fn search(
    Request(state, actor, headers): Request,
    Path(type_name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let rt = registry_type(&type_name)?;
    let pairs = query_pairs(raw.as_deref())?;
    let q = build_query(rt, &pairs)?;
    let (found, total) = Registry::new(&state.ctx, &actor)
        .search(rt.name(), q.clone(), raw.as_deref().unwrap_or_default())
        .await?;
    let base = base_url(&state, &headers);
    let resources = found
        .iter()
        .map(|s| {
            (
                format!("{base}/{}/{}", rt.name(), s.record.id()),
                fhir::render(s),
            )
        })
        .collect();
    Ok(FhirJson(searchset(&base, rt.name(), &pairs, &q, total, resources)).into_response())
}

pub async fn read(
    Request(state, actor, headers): Request,
    Path((type_name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let rt = registry_type(&type_name)?;
    let stored = Registry::new(&state.ctx, &actor)
        .read(rt.name(), &id, None)
        .await?;
    if let Some(tag) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        && parse_etag(tag) == Some(stored.version)
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    Ok(resource_response(
        &stored,
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}

pub async fn vread(
    Request(state, actor, headers): Request,
    Path((type_name, id, version)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let rt = registry_type(&type_name)?;
    let v = parse_number("version", &version)?;
    let stored = Registry::new(&state.ctx, &actor)
        .read(rt.name(), &id, Some(v))
        .await?;
    Ok(resource_response(
        &stored,
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}

/// Parses a registry resource (with a fresh id when `id` is None) and
/// writes it through the registry service.
pub(crate) async fn parse_and_write(
    state: &AppState,
    actor: &tiercare_core::access::Actor,
    rt: RegistryType,
    id: Option<&str>,
    body: Value,
    expect: Expect,
) -> Result<Stored, ApiError> {
    let id = id.map_or_else(tiercare_service::new_id, str::to_string);
    let record = rt.parse(body, &id, &state.ctx.region, state.ctx.clock.today())?;
    Ok(Registry::new(&state.ctx, actor)
        .write(record, expect)
        .await?)
}

async fn audited_write(
    state: &AppState,
    actor: &tiercare_core::access::Actor,
    rt: RegistryType,
    id: Option<&str>,
    body: Value,
    expect: Expect,
) -> Result<Stored, ApiError> {
    let result = parse_and_write(state, actor, rt, id, body, expect).await;
    // Refusals are audited where they are decided; other failed attempts on
    // patient data are audited here.
    if rt == RegistryType::Patient
        && let Err(e) = &result
        && !matches!(e, ApiError::Forbidden(_))
    {
        let registry = Registry::new(&state.ctx, actor);
        let action = if id.is_some() { "update" } else { "create" };
        let detail = e.to_string();
        let entry = registry.audit_entry(action, "Patient", id, id, AuditOutcome::Failed, detail);
        registry.audit(vec![entry]).await?;
    }
    result
}

/// `POST {type}`; with `If-None-Exist` a conditional create (see
/// [`crate::conditional`]). A query string is refused: it would be ignored.
pub async fn create(
    Request(state, actor, headers): Request,
    Path(type_name): Path<String>,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let rt = registry_type(&type_name)?;
    if let Some((k, _)) = query_pairs(raw.as_deref())?
        .iter()
        .find(|(k, _)| !matches!(k.as_str(), "_format" | "_pretty"))
    {
        return Err(ApiError::invalid(
            k.as_str(),
            "a create takes no search parameters: for a conditional create send them in the If-None-Exist header",
        ));
    }
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    let base = base_url(&state, &headers);
    if let Some(condition) = headers.get("if-none-exist") {
        let condition = condition
            .to_str()
            .map_err(|_| ApiError::invalid("If-None-Exist", "the condition must be ASCII"))?;
        if let crate::conditional::Found::One(existing) =
            crate::conditional::find(&state.ctx, &actor, rt, condition, "If-None-Exist").await?
        {
            return Ok(crate::conditional::existing_response(&existing, &base));
        }
    }
    let stored = audited_write(&state, &actor, rt, None, value, Expect::New).await?;
    Ok(resource_response(&stored, StatusCode::CREATED, &base))
}

pub async fn update(
    Request(state, actor, headers): Request,
    Path((type_name, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let rt = registry_type(&type_name)?;
    tiercare_core::check_id(&id).map_err(|e| ApiError::invalid("id", e.to_string()))?;
    let mut value = json_body(&headers, body, state.config.max_body_bytes)?;
    if let Some(body_id) = value.get("id")
        && body_id.as_str() != Some(id.as_str())
    {
        return Err(ApiError::invalid(
            format!("{}.id", rt.name()),
            format!("the body's id must be {id:?}, as in the URL"),
        ));
    }
    if let Value::Object(m) = &mut value {
        m.remove("id");
    }
    let base = base_url(&state, &headers);
    put_resource(&state, &actor, &headers, rt, &id, value, &base).await
}

/// Writes `value` as `{rt}/{id}` (creating it when new), honouring
/// `If-Match`. A record the server keeps alone under the type (a bed
/// pool, a mentorship) is not replaced: sent back unchanged it is answered
/// as it stands, changed it is a 409 naming the first difference.
pub(crate) async fn put_resource(
    state: &AppState,
    actor: &tiercare_core::access::Actor,
    headers: &HeaderMap,
    rt: RegistryType,
    id: &str,
    value: Value,
    base: &str,
) -> Result<Response, ApiError> {
    let expect = match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => Expect::Any,
        Some(tag) => Expect::Version(
            parse_etag(tag).ok_or_else(|| ApiError::invalid("If-Match", "use W/\"version\""))?,
        ),
    };
    if let Some(current) = state.ctx.store.get(rt.name(), id).await?
        && !rt.parses(&current.record)
    {
        let current = Registry::new(&state.ctx, actor)
            .read(rt.name(), id, None)
            .await?;
        if let Expect::Version(v) = expect
            && v != current.version
        {
            return Err(ApiError::PreconditionFailed(format!(
                "{}/{id} is at version {}, not {v}",
                rt.name(),
                current.version
            )));
        }
        return match fhir::round_trip::unchanged(&value, &current) {
            None => Ok(resource_response(&current, StatusCode::OK, base)),
            Some(path) => Err(ApiError::Conflict(format!(
                "{}/{id} is a {} kept by the server (it changes through its operations or bookings, not by PUT): {path} differs from what it holds",
                rt.name(),
                current.record.kind()
            ))),
        };
    }
    let stored = audited_write(state, actor, rt, Some(id), value, expect).await?;
    let status = if stored.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(resource_response(&stored, status, base))
}

pub async fn transaction(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    let reg = Registry::new(&state.ctx, &actor);
    let out = crate::transaction::run(&reg, value, state.config.limits.max_bundle_entries).await?;
    Ok(FhirJson(out).into_response())
}

pub async fn metadata(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mut statement = fhir::capability::statement(&base_url(&state, &headers));
    // Whether browsers on other origins may call: the deployment decides.
    statement["rest"][0]["security"]["cors"] = Value::Bool(!state.config.cors_origins.is_empty());
    FhirJson(statement).into_response()
}

pub async fn triage_get(_c: Caller, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    Inputs::from_query(&operations::CODE_SYSTEM_TRIAGE, &pairs)?;
    Ok(FhirJson(terminology::triage(&pairs)?).into_response())
}

pub async fn triage_post(
    State(state): State<AppState>,
    _c: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    let inputs = Inputs::read(&operations::CODE_SYSTEM_TRIAGE, &value)?.as_query();
    Ok(FhirJson(terminology::triage(&inputs)?).into_response())
}

/// `GET /$estimate?scheme=..&total=..`: a visit's cost at each level, with
/// and without a referral (no patient data: any signed-in user).
pub async fn estimate_get(
    State(state): State<AppState>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    Inputs::from_query(&operations::ESTIMATE, &pairs)?;
    estimate(&state, &actor, pairs).await
}

/// With `patient`, the estimate is the resident's own: their scheme (unless
/// named) and what they already paid this year. That is patient data, so
/// it follows care relationships and is audited.
async fn estimate(
    state: &AppState,
    actor: &tiercare_core::access::Actor,
    mut inputs: Vec<(String, String)>,
) -> Result<Response, ApiError> {
    let today = state.ctx.clock.today();
    let patient = inputs
        .iter()
        .position(|(k, _)| k == "patient")
        .map(|i| inputs.remove(i).1);
    let account = match patient {
        None => None,
        Some(p) => {
            let p = p.strip_prefix("Patient/").unwrap_or(&p).to_string();
            let (scheme, account) = tiercare_service::referrals::Referrals::new(&state.ctx, actor)
                .account_of(&p, today.year())
                .await?;
            if !inputs.iter().any(|(k, _)| k == "scheme") {
                inputs.push(("scheme".into(), scheme));
            }
            account
        }
    };
    let v = fhir::estimate::run(&state.ctx.policy, &inputs, today, account)?;
    Ok(FhirJson(v).into_response())
}

/// `POST /$estimate` with a `Parameters` body.
pub async fn estimate_post(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    let inputs = Inputs::read(&operations::ESTIMATE, &value)?.as_query();
    estimate(&state, &actor, inputs).await
}

pub async fn audit_search(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    tiercare_service::audit::may_read(&actor)?;
    let pairs = query_pairs(raw.as_deref())?;
    let mut q = AuditQuery {
        count: DEFAULT_COUNT,
        ..Default::default()
    };
    // An outcome in another code system: no entry matches.
    let mut nothing = false;
    for (k, v) in &pairs {
        match k.as_str() {
            "patient" => q.patient = Some(v.rsplit('/').next().unwrap_or_default().to_string()),
            "agent" => q.username = Some(v.rsplit('|').next().unwrap_or_default().to_string()),
            "outcome" => {
                // FHIR's 4 ("minor failure") covers refused and failed
                // requests alike, as rendered. The code may come in its
                // system (`system|0`), bare (`0`, `|0`), or as any code of
                // it (`system|`); another system finds nothing.
                let values: Vec<&str> = v.split(',').collect();
                let f = fhir::tokens::filter("outcome", "outcome", &values)?;
                let Some(codes) = fhir::tokens::codes_in(&f, fhir::tokens::AUDIT_OUTCOME) else {
                    continue;
                };
                q.outcomes.clear();
                for code in &codes {
                    match code.as_str() {
                        "0" => q.outcomes.push(AuditOutcome::Success),
                        "4" => q
                            .outcomes
                            .extend([AuditOutcome::Denied, AuditOutcome::Failed]),
                        _ => {
                            return Err(ApiError::invalid(
                                "outcome",
                                "use 0 (success) or 4 (refused or failed)",
                            ));
                        }
                    }
                }
                nothing |= codes.is_empty();
            }
            "_count" => q.count = parse_number("_count", v)?.min(MAX_COUNT),
            "_offset" => q.offset = parse_number("_offset", v)?,
            other => {
                return Err(ApiError::invalid(
                    other,
                    format!("search parameter {other:?} is not supported for AuditEvent"),
                ));
            }
        }
    }
    let (entries, total) = if nothing {
        tiercare_service::audit::may_read(&actor)?;
        (Vec::new(), 0)
    } else {
        tiercare_service::audit::trail(&state.ctx, &actor, &q).await?
    };
    let base = base_url(&state, &headers);
    let query = Query {
        resource_type: "AuditEvent".into(),
        filters: vec![],
        count: q.count,
        offset: q.offset,
    };
    let resources = entries
        .iter()
        .map(|a| {
            (
                format!("{base}/AuditEvent/{}", a.seq),
                fhir::audit_event::render(a),
            )
        })
        .collect();
    Ok(FhirJson(searchset(
        &base,
        "AuditEvent",
        &pairs,
        &query,
        total,
        resources,
    ))
    .into_response())
}

pub async fn audit_read(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    tiercare_service::audit::may_read(&actor)?;
    let seq: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("AuditEvent/{id} does not exist")))?;
    let entry = state
        .ctx
        .store
        .audit_entry(seq)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("AuditEvent/{id} does not exist")))?;
    Ok(FhirJson(fhir::audit_event::render(&entry)).into_response())
}
