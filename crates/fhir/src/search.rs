//! FHIR search as clients send it: query parameters turned into a store
//! query (refusing unknown parameters and modifiers, since a silently
//! ignored filter would return too much), and the search-set Bundle with
//! its paging links. The search parameters themselves ([`SearchParam`])
//! are defined here, each type's table next to its mapping.

use crate::RegistryType;
use serde_json::{Value, json};
use tiercare_service::ServiceError;
use tiercare_store::{Filter, Match, Query};

/// How a search parameter's values are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Case-insensitive "starts with" on any indexed word or the whole text.
    String,
    /// `code` or `system|code`.
    Token,
    /// `Type/id`, or a bare id of the given target type.
    Reference(&'static str),
    /// A date, matched exactly (`YYYY-MM-DD`).
    Date,
}

impl ParamKind {
    /// The FHIR search parameter type, as the CapabilityStatement names it.
    pub fn fhir_type(self) -> &'static str {
        match self {
            ParamKind::String => "string",
            ParamKind::Token => "token",
            ParamKind::Reference(_) => "reference",
            ParamKind::Date => "date",
        }
    }
}

/// A search parameter as the CapabilityStatement describes it.
#[derive(Debug, Clone, Copy)]
pub struct SearchParam {
    pub name: &'static str,
    pub kind: ParamKind,
    pub doc: &'static str,
}

/// The parameters many types share, named once.
impl SearchParam {
    /// `_id`, which every type is searched by.
    pub const ID: SearchParam = SearchParam {
        name: "_id",
        kind: ParamKind::Token,
        doc: "Logical id",
    };

    /// The patient a record of their care belongs to.
    pub const PATIENT: SearchParam = SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient (required unless administrator)",
    };

    /// The same patient, under FHIR's own name for the element.
    pub const SUBJECT: SearchParam = SearchParam {
        name: "subject",
        kind: ParamKind::Reference("Patient"),
        doc: "The patient",
    };

    /// The parameter as a CapabilityStatement `searchParam` entry.
    pub fn capability(&self) -> Value {
        json!({"name": self.name, "type": self.kind.fhir_type(), "documentation": self.doc})
    }
}

/// Default and largest page sizes of a search.
pub const DEFAULT_COUNT: u32 = 50;
pub use tiercare_service::search::MAX_COUNT;

/// The base URL clients should see in links: configured, or from `Host`.
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

pub fn parse_number(name: &str, v: &str) -> Result<u32, ServiceError> {
    v.parse().map_err(|_| {
        ServiceError::invalid(name, format!("{name} must be a whole number, not {v:?}"))
    })
}

fn reference_value(target: &str, v: &str) -> String {
    let mut parts: Vec<&str> = v.rsplitn(3, '/').collect();
    parts.truncate(2);
    match parts.as_slice() {
        [id, ty] => format!("{ty}/{id}"),
        _ => format!("{target}/{v}"),
    }
}

/// Turns query parameters into a store query, refusing unknown parameters
/// and modifiers (a silently ignored filter would return too much).
pub fn build_query(rt: RegistryType, pairs: &[(String, String)]) -> Result<Query, ServiceError> {
    query_for(rt.name(), rt.search_params(), pairs)
}

/// [`build_query`] for any type with its own list of parameters.
pub fn query_for(
    type_name: &str,
    params: &[SearchParam],
    pairs: &[(String, String)],
) -> Result<Query, ServiceError> {
    let mut q = Query {
        resource_type: type_name.to_string(),
        filters: vec![],
        count: DEFAULT_COUNT,
        offset: 0,
    };
    for (key, raw) in pairs {
        let (name, modifier) = key
            .split_once(':')
            .map_or((key.as_str(), None), |(n, m)| (n, Some(m)));
        match name {
            "_count" => q.count = parse_number("_count", raw)?.clamp(1, MAX_COUNT),
            "_offset" => q.offset = parse_number("_offset", raw)?,
            "_format" | "_pretty" => {}
            _ => {
                let param = params.iter().find(|p| p.name == name).ok_or_else(|| {
                    ServiceError::invalid(
                        name,
                        format!("search parameter {name:?} is not supported for {type_name}"),
                    )
                })?;
                let values: Vec<&str> = raw.split(',').filter(|v| !v.is_empty()).collect();
                if values.is_empty() {
                    continue;
                }
                let filter = match (param.kind, modifier) {
                    (_, None) if name == "_id" => Filter {
                        param: "_id".into(),
                        values: values.iter().map(|v| v.to_string()).collect(),
                        matching: Match::Exact,
                    },
                    (ParamKind::String, None) => Filter {
                        param: name.into(),
                        values: values.iter().map(|v| v.to_lowercase()).collect(),
                        matching: Match::Prefix,
                    },
                    (ParamKind::String, Some("exact")) => Filter {
                        param: name.into(),
                        values: values.iter().map(|v| v.to_lowercase()).collect(),
                        matching: Match::Exact,
                    },
                    (ParamKind::Token, None) => Filter {
                        param: name.into(),
                        values: values
                            .iter()
                            .map(|v| v.trim_start_matches('|').to_lowercase())
                            .collect(),
                        matching: Match::Exact,
                    },
                    (ParamKind::Reference(target), None) => Filter {
                        param: name.into(),
                        values: values.iter().map(|v| reference_value(target, v)).collect(),
                        matching: Match::Exact,
                    },
                    (ParamKind::Date, None) => date_filter(name, &values)?,
                    (_, Some(m)) => {
                        return Err(ServiceError::invalid(
                            key.as_str(),
                            format!("modifier :{m} is not supported on {name}"),
                        ));
                    }
                };
                q.filters.push(filter);
            }
        }
    }
    Ok(q)
}

/// A date search: `eq` (or no prefix) matches the whole period given
/// (`1950`, `1950-05`, `1950-05-06`); `lt`/`ge` compare with its start,
/// `gt`/`le` with its end. Several values are alternatives and must all be
/// `eq`.
fn date_filter(name: &str, values: &[&str]) -> Result<Filter, ServiceError> {
    let mut parsed = Vec::new();
    for v in values {
        let (prefix, date) = match v.get(..2) {
            Some(p) if p.chars().all(|c| c.is_ascii_alphabetic()) => (p, &v[2..]),
            _ => ("eq", *v),
        };
        let shape_ok = matches!(date.len(), 4 | 7 | 10)
            && date.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !shape_ok {
            return Err(ServiceError::invalid(
                name,
                format!(
                    "{v:?} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD, optionally prefixed by eq, lt, le, gt or ge"
                ),
            ));
        }
        // '~' sorts after every digit and '-': the end of the period.
        let matching = match prefix {
            "eq" => (Match::Prefix, date.to_string()),
            "lt" => (Match::Below, date.to_string()),
            "ge" => (Match::AtLeast, date.to_string()),
            "gt" => (Match::Above, format!("{date}~")),
            "le" => (Match::AtMost, format!("{date}~")),
            other => {
                return Err(ServiceError::invalid(
                    name,
                    format!("date prefix {other:?} is not supported; use eq, lt, le, gt or ge"),
                ));
            }
        };
        parsed.push(matching);
    }
    if parsed.len() > 1 && parsed.iter().any(|(m, _)| *m != Match::Prefix) {
        return Err(ServiceError::invalid(
            name,
            "a list of dates must all be plain dates; repeat the parameter to combine comparisons",
        ));
    }
    let matching = parsed.first().map(|(m, _)| *m).unwrap_or(Match::Prefix);
    Ok(Filter {
        param: name.into(),
        values: parsed.into_iter().map(|(_, v)| v).collect(),
        matching,
    })
}

fn page_url(base: &str, rt: &str, pairs: &[(String, String)], count: u32, offset: u32) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if k != "_count" && k != "_offset" {
            ser.append_pair(k, v);
        }
    }
    ser.append_pair("_count", &count.to_string());
    ser.append_pair("_offset", &offset.to_string());
    format!("{base}/{rt}?{}", ser.finish())
}

/// A search-set Bundle with paging links.
pub fn searchset(
    base: &str,
    rt: &str,
    pairs: &[(String, String)],
    q: &Query,
    total: u64,
    resources: Vec<(String, Value)>,
) -> Value {
    let mut links =
        vec![json!({"relation": "self", "url": page_url(base, rt, pairs, q.count, q.offset)})];
    if u64::from(q.offset) + u64::from(q.count) < total {
        links.push(json!({"relation": "next", "url": page_url(base, rt, pairs, q.count, q.offset + q.count)}));
    }
    if q.offset > 0 {
        links.push(json!({"relation": "previous", "url": page_url(base, rt, pairs, q.count, q.offset.saturating_sub(q.count))}));
    }
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|(full, r)| json!({"fullUrl": full, "resource": r, "search": {"mode": "match"}}))
        .collect();
    let mut bundle =
        json!({"resourceType": "Bundle", "type": "searchset", "total": total, "link": links});
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    bundle
}
