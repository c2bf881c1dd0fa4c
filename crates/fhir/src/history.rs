//! `_history`: the query a history request asks for and the `history`
//! Bundle that answers it, for one record or a whole type.

use crate::search::{DEFAULT_COUNT, MAX_COUNT, parse_number};
use serde_json::{Value, json};
use tiercare_service::ServiceError;
use tiercare_store::{HistoryQuery, Stored};

/// Reads `_since` (an instant) and `_count` into a history query of
/// `resource_type` (and `id` for one record's history); any other
/// parameter is refused, naming it.
pub fn query(
    resource_type: &str,
    id: Option<&str>,
    pairs: &[(String, String)],
) -> Result<HistoryQuery, ServiceError> {
    let mut q = HistoryQuery {
        resource_type: resource_type.to_string(),
        id: id.map(str::to_string),
        since: None,
        count: DEFAULT_COUNT,
        scope: Vec::new(),
    };
    for (k, v) in pairs {
        match k.as_str() {
            "_since" => {
                let t = crate::primitives::instant(v)
                    .map_err(|e| ServiceError::invalid("_since", e.to_string()))?
                    .to_offset(time::UtcOffset::UTC);
                let fmt = time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
                );
                let text = t
                    .format(&fmt)
                    .map_err(|e| ServiceError::invalid("_since", e.to_string()))?;
                q.since = Some(text);
            }
            "_count" => q.count = parse_number("_count", v)?.clamp(1, MAX_COUNT),
            "_format" | "_pretty" => {}
            other => {
                return Err(ServiceError::invalid(
                    other,
                    format!(
                        "parameter {other:?} is not supported for _history: use _since or _count"
                    ),
                ));
            }
        }
    }
    Ok(q)
}

/// The `history` Bundle of `versions` (newest first), `total` in all: each
/// entry the version as it was, with the request that made it (`POST` for
/// the first version, `PUT` after) and its response.
pub fn bundle(base: &str, total: u64, versions: &[Stored]) -> Value {
    let shown = versions
        .iter()
        .map(|s| (s.record.resource_type(), crate::render(s)))
        .collect();
    bundle_with(base, total, versions, shown)
}

/// [`bundle`], each version shown as `shown` (in the same order) gives
/// its type and resource: a referral's `Task` is rendered from the
/// referral's versions, and a panel's `CarePlan` carries its control
/// status, as their reads render them from the current version.
pub fn bundle_with(
    base: &str,
    total: u64,
    versions: &[Stored],
    shown: Vec<(&'static str, Value)>,
) -> Value {
    let entries: Vec<Value> = versions
        .iter()
        .zip(shown)
        .map(|(s, (rt, resource))| {
            let id = s.record.id();
            let (method, url, status) = if s.version == 1 {
                ("POST", rt.to_string(), "201 Created")
            } else {
                ("PUT", format!("{rt}/{id}"), "200 OK")
            };
            json!({
                "fullUrl": format!("{base}/{rt}/{id}"),
                "resource": resource,
                "request": {"method": method, "url": url},
                "response": {
                    "status": status,
                    "location": format!("{rt}/{id}/_history/{}", s.version),
                    "etag": format!("W/\"{}\"", s.version),
                    "lastModified": s.updated_at,
                },
            })
        })
        .collect();
    let mut out = json!({"resourceType": "Bundle", "type": "history", "total": total});
    // FHIR JSON has no empty arrays.
    if !entries.is_empty() {
        out["entry"] = Value::Array(entries);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_read_as_an_instant_and_other_parameters_are_refused() {
        let pairs = vec![
            (
                "_since".to_string(),
                "2026-03-01T08:00:00+08:00".to_string(),
            ),
            ("_count".to_string(), "5".to_string()),
        ];
        let q = query("Patient", Some("p1"), &pairs).unwrap();
        assert_eq!(q.since.as_deref(), Some("2026-03-01T00:00:00.000Z"));
        assert_eq!(q.count, 5);
        let bad = query("Patient", None, &[("name".into(), "x".into())]);
        assert!(format!("{:?}", bad.unwrap_err()).contains("name"));
        let bad = query("Patient", None, &[("_since".into(), "yesterday".into())]);
        assert!(format!("{:?}", bad.unwrap_err()).contains("_since"));
    }
}
