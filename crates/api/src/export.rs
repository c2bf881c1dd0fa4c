//! Bulk export, as FHIR Bulk Data clients expect it: `$export` at the
//! system and group level kicked off with `Prefer: respond-async`, a status
//! URL polled until the manifest is ready, and one NDJSON file per
//! resource type.
//!
//! The export runs in this server's background and keeps its files in a
//! temporary folder until the client deletes the job (or for an hour after
//! it is done); the status and file URLs answer only the user who asked,
//! and only on this server. Administrators get whole records, analysts
//! de-identified ones ([`tiercare_fhir::export`]), each resident whose
//! records left audited once ([`tiercare_service::export`]).

use crate::AppState;
use crate::auth::Request;
use crate::error::ApiError;
use crate::routes::base_url;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tiercare_core::access::Actor;
use tiercare_fhir::export::{NDJSON, deidentify};
use tiercare_service::export::{self, ExportForm};

/// How long a finished export's files are kept.
const KEPT: Duration = Duration::from_secs(3600);

/// Records read from the store at a time.
const PAGE: u32 = 1000;

/// The exports of one server, by job id.
#[derive(Default)]
pub struct Exports(Mutex<HashMap<String, Job>>);

struct Job {
    owner: String,
    state: JobState,
    dir: std::path::PathBuf,
    finished: Option<Instant>,
}

enum JobState {
    Running { types_done: usize, types: usize },
    Done(Value),
    Failed(String),
}

impl Exports {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets the jobs finished more than [`KEPT`] ago, with their files.
    fn expire(&self) {
        let mut jobs = self.lock();
        jobs.retain(|_, j| {
            let keep = j.finished.is_none_or(|t| t.elapsed() < KEPT);
            if !keep {
                let _ = std::fs::remove_dir_all(&j.dir);
            }
            keep
        });
    }

    fn set(&self, id: &str, state: JobState) {
        if let Some(job) = self.lock().get_mut(id) {
            if !matches!(state, JobState::Running { .. }) {
                job.finished = Some(Instant::now());
            }
            job.state = state;
        }
    }
}

/// `GET /fhir/r4/$export`: every resource type, or those of `_type`.
pub async fn system(
    Request(state, actor, headers): Request,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    kick_off(state, actor, &headers, query, None).await
}

/// `GET /fhir/r4/Group/{id}/$export`: the residents contracted to the
/// institution's teams and every record that refers to them.
pub async fn group(
    Request(state, actor, headers): Request,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    kick_off(state, actor, &headers, query, Some(id)).await
}

async fn kick_off(
    state: AppState,
    actor: Actor,
    headers: &axum::http::HeaderMap,
    query: Option<String>,
    group: Option<String>,
) -> Result<Response, ApiError> {
    // The query is read against $export's declaration before anything
    // else, so a misspelt parameter is named rather than ignored.
    tiercare_fhir::parameters::Inputs::from_query(
        &tiercare_fhir::operations::EXPORT,
        &crate::routes::query_pairs(query.as_deref())?,
    )?;
    let form = export::form_for(&actor)?;
    let async_asked = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|p| p.trim() == "respond-async"));
    if !async_asked {
        return Err(ApiError::invalid(
            "Prefer",
            "an export runs in the background: send Prefer: respond-async",
        ));
    }
    let stored = export::resource_types(&state.ctx).await?;
    let mut types = stored.clone();
    for (key, value) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "_outputFormat" => {
                if !["application/fhir+ndjson", "application/ndjson", "ndjson"]
                    .contains(&value.as_ref())
                {
                    return Err(ApiError::invalid(
                        "_outputFormat",
                        format!("{value:?}: exports are written as {NDJSON} only"),
                    ));
                }
            }
            "_type" => {
                let asked: Vec<String> = value.split(',').map(str::to_string).collect();
                let served = served_types(&state, headers);
                if let Some(unknown) = asked.iter().find(|t| !served.contains(t.as_str())) {
                    return Err(ApiError::invalid(
                        "_type",
                        format!("{unknown:?} is not a resource type this server serves"),
                    ));
                }
                types = asked.into_iter().filter(|t| stored.contains(t)).collect();
            }
            other => {
                return Err(ApiError::invalid(
                    other,
                    format!("{other} is not an export parameter here (_type, _outputFormat)"),
                ));
            }
        }
    }
    let members = match &group {
        Some(id) => Some(export::group_members(&state.ctx, id).await?),
        None => None,
    };
    state.exports.expire();
    let id = crate::auth::new_token()[..32].to_string();
    let dir = std::env::temp_dir().join(format!("tiercare-export-{id}"));
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| ApiError::Internal(format!("export folder: {e}")))?;
    state.exports.lock().insert(
        id.clone(),
        Job {
            owner: actor.username.clone(),
            state: JobState::Running {
                types_done: 0,
                types: types.len(),
            },
            dir: dir.clone(),
            finished: None,
        },
    );
    let base = base_url(&state, headers);
    let run = Run {
        state: state.clone(),
        actor,
        id: id.clone(),
        form,
        base: base.clone(),
        dir,
        members,
    };
    tokio::spawn(async move {
        let id = run.id.clone();
        let exports = run.state.exports.clone();
        let outcome = run.run(types).await;
        match outcome {
            Ok(manifest) => exports.set(&id, JobState::Done(manifest)),
            Err(e) => {
                tracing::error!(job = %id, error = %e, "bulk export failed");
                exports.set(&id, JobState::Failed(e.to_string()));
            }
        }
    });
    let mut resp = StatusCode::ACCEPTED.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{base}/$export-status/{id}")) {
        resp.headers_mut().insert(header::CONTENT_LOCATION, v);
    }
    Ok(resp)
}

/// The resource types of the CapabilityStatement.
fn served_types(state: &AppState, headers: &axum::http::HeaderMap) -> BTreeSet<String> {
    let statement = tiercare_fhir::capability::statement(&base_url(state, headers));
    statement["rest"][0]["resource"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r["type"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// One export being made.
struct Run {
    state: AppState,
    actor: Actor,
    id: String,
    form: ExportForm,
    base: String,
    dir: std::path::PathBuf,
    /// The group's residents, for a group export.
    members: Option<BTreeSet<String>>,
}

impl Run {
    async fn run(self, types: Vec<String>) -> Result<Value, ApiError> {
        let started = tiercare_store::now_text();
        let key = crate::auth::new_token();
        let pseudonym = move |id: &str| {
            let digest = Sha256::digest(format!("{key}:{id}").as_bytes());
            format!("p-{}", &hex::encode(digest)[..20])
        };
        let mut files: BTreeMap<String, (Vec<u8>, u64)> = BTreeMap::new();
        let mut patients = BTreeSet::new();
        for (done, rt) in types.iter().enumerate() {
            let mut offset = 0;
            loop {
                let page = export::page(&self.state.ctx, rt, offset, PAGE).await?;
                if page.is_empty() {
                    break;
                }
                offset += u32::try_from(page.len()).unwrap_or(u32::MAX);
                for stored in &page {
                    let mut resource = tiercare_fhir::render(stored);
                    let named = patients_named(&resource);
                    if let Some(members) = &self.members
                        && !named.iter().any(|p| members.contains(p))
                    {
                        continue;
                    }
                    patients.extend(named);
                    if self.form == ExportForm::Deidentified {
                        deidentify(&mut resource, &pseudonym);
                    }
                    let name = resource
                        .get("resourceType")
                        .and_then(Value::as_str)
                        .unwrap_or(rt)
                        .to_string();
                    let (bytes, count) = files.entry(name).or_default();
                    serde_json::to_writer(&mut *bytes, &resource)
                        .map_err(|e| ApiError::Internal(e.to_string()))?;
                    bytes.push(b'\n');
                    *count += 1;
                }
            }
            self.state.exports.set(
                &self.id,
                JobState::Running {
                    types_done: done + 1,
                    types: types.len(),
                },
            );
        }
        let mut output = Vec::new();
        for (name, (bytes, count)) in files {
            tokio::fs::write(self.dir.join(format!("{name}.ndjson")), bytes)
                .await
                .map_err(|e| ApiError::Internal(format!("export file: {e}")))?;
            output.push(json!({
                "type": name,
                "url": format!("{}/$export-file/{}/{name}.ndjson", self.base, self.id),
                "count": count,
            }));
        }
        export::audit(&self.state.ctx, &self.actor, &self.id, self.form, &patients).await?;
        Ok(json!({
            "transactionTime": started,
            "request": format!("{}/$export", self.base),
            "requiresAccessToken": true,
            "output": output,
            "error": [],
        }))
    }
}

/// The residents a resource is about: a Patient itself, or every
/// `Patient/…` it refers to.
fn patients_named(resource: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("reference")
                    && let Some(id) = r.strip_prefix("Patient/")
                {
                    out.insert(id.to_string());
                }
                map.values().for_each(|c| walk(c, out));
            }
            Value::Array(items) => items.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    if resource.get("resourceType").and_then(Value::as_str) == Some("Patient")
        && let Some(id) = resource.get("id").and_then(Value::as_str)
    {
        out.insert(id.to_string());
    }
    walk(resource, &mut out);
    out
}

/// The job `id` if `actor` may see it; others' jobs do not exist for them.
fn owned<T>(
    state: &AppState,
    actor: &Actor,
    id: &str,
    f: impl FnOnce(&Job) -> T,
) -> Result<T, ApiError> {
    export::form_for(actor)?;
    state.exports.expire();
    let jobs = state.exports.lock();
    match jobs.get(id) {
        Some(job) if job.owner == actor.username => Ok(f(job)),
        _ => Err(ApiError::NotFound(format!(
            "no export {id} of yours on this server"
        ))),
    }
}

/// `GET /fhir/r4/$export-status/{job}`: 202 with `X-Progress` while it
/// runs, then 200 with the manifest.
pub async fn status(
    Request(state, actor, _): Request,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let answer = owned(&state, &actor, &id, |job| match &job.state {
        JobState::Running { types_done, types } => Err(format!("{types_done} of {types} types")),
        JobState::Done(manifest) => Ok(Ok(manifest.clone())),
        JobState::Failed(e) => Ok(Err(e.clone())),
    })?;
    match answer {
        Err(progress) => {
            let mut resp = StatusCode::ACCEPTED.into_response();
            if let Ok(v) = HeaderValue::from_str(&progress) {
                resp.headers_mut().insert("x-progress", v);
            }
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(1u64));
            Ok(resp)
        }
        Ok(Ok(manifest)) => Ok(axum::Json(manifest).into_response()),
        Ok(Err(e)) => Err(ApiError::Internal(format!("the export failed: {e}"))),
    }
}

/// `DELETE /fhir/r4/$export-status/{job}`: ends the job and removes its
/// files.
pub async fn cancel(
    Request(state, actor, _): Request,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    owned(&state, &actor, &id, |_| ())?;
    if let Some(job) = state.exports.lock().remove(&id) {
        let _ = std::fs::remove_dir_all(&job.dir);
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `GET /fhir/r4/$export-file/{job}/{type}.ndjson`: one file of a
/// finished export.
pub async fn file(
    Request(state, actor, _): Request,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let dir = owned(&state, &actor, &id, |job| job.dir.clone())?;
    let valid = name
        .strip_suffix(".ndjson")
        .is_some_and(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric()));
    let not_found = || ApiError::NotFound(format!("export {id} has no file {name}"));
    if !valid {
        return Err(not_found());
    }
    let bytes = tokio::fs::read(dir.join(&name))
        .await
        .map_err(|_| not_found())?;
    Ok(([(header::CONTENT_TYPE, NDJSON)], bytes).into_response())
}

/// The exports kept by a server.
pub fn exports() -> Arc<Exports> {
    Arc::new(Exports::default())
}
