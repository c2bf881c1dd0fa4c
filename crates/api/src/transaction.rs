//! FHIR transaction bundles: bulk import in one database transaction.
//!
//! Entries may reference each other by their `fullUrl` (usually
//! `urn:uuid:...`), in any order; the server assigns ids to `POST` entries,
//! rewrites those references, checks every entry against the registry plus
//! the other entries, and writes all of them or none. A `POST` entry with
//! `request.ifNoneExist` is a conditional create: when its condition finds
//! one record, nothing is written for it, references to its `fullUrl`
//! point to that record, and its response is `200 OK`.

use crate::error::ApiError;
use serde_json::{Value, json};
use std::collections::HashMap;
use tiercare_fhir::RegistryType;
use tiercare_service::new_id;
use tiercare_service::registry::{Pending, Registry};
use tiercare_store::{Expect, Stored};

struct Entry {
    rt: RegistryType,
    id: String,
    expect: Expect,
    resource: Value,
    full_url: Option<String>,
    if_none_exist: Option<String>,
}

fn field(i: usize, rest: &str) -> String {
    format!("Bundle.entry[{i}].{rest}")
}

fn parse_entries(
    bundle: &Value,
    max_entries: usize,
) -> Result<(Vec<Entry>, HashMap<String, String>), ApiError> {
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(ApiError::invalid(
            "resourceType",
            "POST to the base URL takes a transaction Bundle",
        ));
    }
    match bundle.get("type").and_then(Value::as_str) {
        Some("transaction") => {}
        Some(other) => {
            return Err(ApiError::invalid(
                "Bundle.type",
                format!("Bundle type {other:?} is not supported: use transaction"),
            ));
        }
        None => return Err(ApiError::invalid("Bundle.type", "Bundle.type is required")),
    }
    let mut entries = Vec::new();
    let mut aliases = HashMap::new();
    let list = bundle
        .get("entry")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if list.len() > max_entries {
        return Err(ApiError::OverLimit(format!(
            "the Bundle has {} entries; at most {max_entries} are taken in one transaction \
             (setting max_bundle_entries): split it into several",
            list.len()
        )));
    }
    for (i, e) in list.iter().enumerate() {
        let request = e
            .get("request")
            .ok_or_else(|| ApiError::invalid(field(i, "request"), "request is required"))?;
        let method = request
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let url = request
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let resource = e
            .get("resource")
            .cloned()
            .ok_or_else(|| ApiError::invalid(field(i, "resource"), "resource is required"))?;
        let mut parts = url.trim_start_matches('/').split('/');
        let type_name = parts.next().unwrap_or_default();
        let rt = RegistryType::from_name(type_name).ok_or_else(|| {
            ApiError::invalid(
                field(i, "request.url"),
                format!("{type_name:?} is not a resource type this server stores"),
            )
        })?;
        let (id, expect) = match (method, parts.next(), parts.next()) {
            ("POST", None, _) => (new_id(), Expect::New),
            ("PUT", Some(id), None) => {
                tiercare_core::check_id(id)
                    .map_err(|e| ApiError::invalid(field(i, "request.url"), e.to_string()))?;
                let expect = match request.get("ifMatch").and_then(Value::as_str) {
                    None => Expect::Any,
                    Some(tag) => {
                        Expect::Version(crate::routes::parse_etag(tag).ok_or_else(|| {
                            ApiError::invalid(field(i, "request.ifMatch"), "use W/\"version\"")
                        })?)
                    }
                };
                (id.to_string(), expect)
            }
            _ => {
                return Err(ApiError::invalid(
                    field(i, "request"),
                    format!(
                        "{method} {url} is not supported in a transaction: use POST Type or PUT Type/id"
                    ),
                ));
            }
        };
        if let Some(full) = e.get("fullUrl").and_then(Value::as_str)
            && aliases
                .insert(full.to_string(), format!("{}/{id}", rt.name()))
                .is_some()
        {
            return Err(ApiError::invalid(
                field(i, "fullUrl"),
                format!("fullUrl {full} appears twice; each entry needs its own (bdl-7)"),
            ));
        }
        let if_none_exist = request
            .get("ifNoneExist")
            .map(|c| match (method, c.as_str()) {
                ("POST", Some(c)) => Ok(c.to_string()),
                _ => Err(ApiError::invalid(
                    field(i, "request.ifNoneExist"),
                    "ifNoneExist is a search (a string) on a POST entry",
                )),
            })
            .transpose()?;
        entries.push(Entry {
            rt,
            id,
            expect,
            resource,
            full_url: e.get("fullUrl").and_then(Value::as_str).map(str::to_string),
            if_none_exist,
        });
    }
    Ok((entries, aliases))
}

fn rewrite_references(v: &mut Value, aliases: &HashMap<String, String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == "reference"
                    && let Value::String(s) = child
                    && let Some(target) = aliases.get(s.as_str())
                {
                    *s = target.clone();
                } else {
                    rewrite_references(child, aliases);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|c| rewrite_references(c, aliases)),
        _ => {}
    }
}

/// Runs a transaction bundle of at most `max_entries` entries (more is
/// refused with 413 before anything is checked or written) and returns the
/// `transaction-response` bundle.
pub async fn run(reg: &Registry<'_>, bundle: Value, max_entries: usize) -> Result<Value, ApiError> {
    let (entries, mut aliases) = parse_entries(&bundle, max_entries)?;
    // Conditional creates first: a match stands in for the entry.
    let mut existing: Vec<Option<Stored>> = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let found = match &e.if_none_exist {
            None => None,
            Some(c) => {
                let at = field(i, "request.ifNoneExist");
                match crate::conditional::find(reg.ctx, reg.actor, e.rt, c, &at).await? {
                    crate::conditional::Found::One(s) => Some(*s),
                    crate::conditional::Found::None => None,
                }
            }
        };
        if let (Some(s), Some(full)) = (&found, &e.full_url) {
            aliases.insert(full.clone(), format!("{}/{}", e.rt.name(), s.record.id()));
        }
        existing.push(found);
    }
    let mut parsed = Vec::with_capacity(entries.len());
    let mut pending = Pending::new();
    for (i, mut e) in entries.into_iter().enumerate() {
        if existing[i].is_some() {
            continue;
        }
        rewrite_references(&mut e.resource, &aliases);
        let record =
            e.rt.parse(e.resource, &e.id, &reg.ctx.region, reg.ctx.clock.today())
                .map_err(|err| err.in_entry(i))?;
        let key = (e.rt.name().to_string(), e.id.clone());
        if pending.insert(key, record.clone()).is_some() {
            return Err(ApiError::invalid(
                field(i, "request.url"),
                format!("{}/{} appears twice in the bundle", e.rt.name(), e.id),
            ));
        }
        parsed.push((record, e.expect));
    }
    let mut written = if parsed.is_empty() {
        Vec::new()
    } else {
        reg.write_batch(parsed, "transaction bundle").await?
    }
    .into_iter();
    let entries: Vec<Value> = existing
        .into_iter()
        .filter_map(|found| {
            let (s, status) = match found {
                Some(s) => (s, "200 OK"),
                None => {
                    let s = written.next()?;
                    let status = if s.created { "201 Created" } else { "200 OK" };
                    (s, status)
                }
            };
            let rt = s.record.resource_type();
            let id = s.record.id();
            Some(json!({
                "response": {
                    "status": status,
                    "location": format!("{rt}/{id}/_history/{}", s.version),
                    "etag": format!("W/\"{}\"", s.version),
                    "lastModified": s.updated_at,
                }
            }))
        })
        .collect();
    let mut bundle = json!({"resourceType": "Bundle", "type": "transaction-response"});
    // FHIR JSON has no empty arrays.
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    Ok(bundle)
}
