//! FHIR search as clients send it: query parameters turned into a store
//! query (refusing unknown parameters and modifiers, since a silently
//! ignored filter would return too much), and the search-set Bundle with
//! its paging links. The search parameters themselves ([`SearchParam`])
//! are defined here, each type's table next to its mapping.

use crate::RegistryType;
use crate::limits;
use crate::primitives::PartialDate;
use serde_json::{Value, json};
use tiercare_service::ServiceError;
use tiercare_store::{Filter, LAST_WRITE, Match, Query};

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

/// The `name=value` pairs of a query string, percent-decoded (and `+` as
/// a space), strictly: a name or value whose bytes are not UTF-8 once
/// decoded is refused, not patched with replacement characters (which
/// would search for something the client never sent); so are a name or
/// value holding a control character ([`crate::primitives::check_string`])
/// and a query of more than [`limits::MAX_QUERY_PARAMS`] parameters.
/// Every handler reads its query through here.
pub fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, ServiceError> {
    let Some(raw) = raw else {
        return Ok(vec![]);
    };
    let mut pairs = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let key = percent_decode(k).map_err(|_| {
            ServiceError::invalid(
                String::from_utf8_lossy(&percent_bytes(k)).into_owned(),
                format!("the parameter name {k:?} is not UTF-8 once percent-decoded"),
            )
        })?;
        let value = percent_decode(v).map_err(|_| {
            ServiceError::invalid(
                key.as_str(),
                format!("the value of {key} ({v:?}) is not UTF-8 once percent-decoded"),
            )
        })?;
        // Only the characters: a value's length is bounded by the URL's
        // and, per alternative, by what the index holds.
        let unbounded = usize::MAX;
        if let Err(e) = crate::primitives::check_string(&value, unbounded)
            .and_then(|()| crate::primitives::check_string(&key, unbounded))
        {
            return Err(ServiceError::invalid(key.as_str(), format!("{key}: {e}")));
        }
        if pairs.len() == limits::MAX_QUERY_PARAMS {
            return Err(ServiceError::invalid(
                key.as_str(),
                format!(
                    "the query has more than {} parameters (at {key}); send fewer conditions",
                    limits::MAX_QUERY_PARAMS
                ),
            ));
        }
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// The bytes `application/x-www-form-urlencoded` text stands for: `%XX`
/// escapes decoded, `+` a space, anything else (a lone `%` too) as is.
fn percent_bytes(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                b.get(i + 1).and_then(|c| hex(*c)),
                b.get(i + 2).and_then(|c| hex(*c)),
            ) {
                (Some(h), Some(l)) => {
                    // Two hex digits: at most 255.
                    out.push(u8::try_from(h * 16 + l).unwrap_or(u8::MAX));
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// [`percent_bytes`] as text, if it is UTF-8.
fn percent_decode(text: &str) -> Result<String, std::string::FromUtf8Error> {
    String::from_utf8(percent_bytes(text))
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
    let mut total_values = 0;
    let mut summary_count = false;
    for (key, raw) in pairs {
        let (name, modifier) = key
            .split_once(':')
            .map_or((key.as_str(), None), |(n, m)| (n, Some(m)));
        match name {
            "_count" => q.count = parse_number("_count", raw)?.min(MAX_COUNT),
            "_offset" => q.offset = parse_number("_offset", raw)?,
            "_format" | "_pretty" => {}
            "_summary" if raw == "count" => summary_count = true,
            "_summary" => {
                return Err(ServiceError::invalid(
                    "_summary",
                    format!("_summary={raw:?} is not supported; _summary=count is"),
                ));
            }
            "_total" => {
                if !matches!(raw.as_str(), "none" | "estimate" | "accurate") {
                    return Err(ServiceError::invalid(
                        "_total",
                        format!("_total={raw:?}: send none, estimate or accurate"),
                    ));
                }
            }
            "_lastUpdated" => {
                let values: Vec<&str> = raw.split(',').filter(|v| !v.is_empty()).collect();
                let mut f = match values.as_slice() {
                    [one] if one.contains('T') => instant_filter(name, one)?,
                    _ => date_filter(name, &values)?,
                };
                f.param = LAST_WRITE.into();
                q.filters.push(f);
            }
            "_sort" => q.filters.extend(sort_keys(type_name, params, raw)?),
            "_include" | "_revinclude" => {
                let listed = INCLUDES
                    .iter()
                    .any(|i| i.searched == type_name && i.kind == name && i.value == raw);
                if !listed {
                    return Err(ServiceError::invalid(
                        name,
                        format!(
                            "{name}={raw} is not supported on {type_name} (see searchInclude and searchRevInclude in the CapabilityStatement)"
                        ),
                    ));
                }
            }
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
                if values.len() > limits::MAX_VALUES_PER_PARAM {
                    return Err(ServiceError::invalid(
                        name,
                        format!(
                            "{name} has {} values; a search parameter takes at most {}",
                            values.len(),
                            limits::MAX_VALUES_PER_PARAM
                        ),
                    ));
                }
                total_values += values.len();
                if total_values > limits::MAX_SEARCH_VALUES {
                    return Err(ServiceError::invalid(
                        name,
                        format!(
                            "the search has more than {} values over all its parameters (at {name}); send fewer",
                            limits::MAX_SEARCH_VALUES
                        ),
                    ));
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
                    (ParamKind::Token, None) => crate::tokens::filter(name, name, &values)?,
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
    if summary_count {
        q.count = 0;
    }
    Ok(q)
}

/// The sort keys of `_sort`: `_lastUpdated` or a date parameter of the
/// type, `-` before one for latest first; any other key is refused.
fn sort_keys(
    type_name: &str,
    params: &[SearchParam],
    raw: &str,
) -> Result<Vec<Filter>, ServiceError> {
    let mut keys = Vec::new();
    for key in raw.split(',').filter(|k| !k.is_empty()) {
        let (name, matching) = match key.strip_prefix('-') {
            Some(k) => (k, Match::Descending),
            None => (key, Match::Ascending),
        };
        let stored = if name == "_lastUpdated" {
            LAST_WRITE
        } else if params
            .iter()
            .any(|p| p.name == name && p.kind == ParamKind::Date)
        {
            name
        } else {
            return Err(ServiceError::invalid(
                "_sort",
                format!(
                    "{type_name} cannot be sorted by {name:?}; sort by _lastUpdated or a date parameter"
                ),
            ));
        };
        keys.push(Filter {
            param: "_sort".into(),
            values: vec![stored.into()],
            matching,
        });
    }
    Ok(keys)
}

/// An `_include` or `_revinclude` a search of `searched` answers: the
/// referral loop's references, so a client gets a referral with its
/// patient and its Task in one call.
#[derive(Debug, Clone, Copy)]
pub struct Include {
    pub searched: &'static str,
    /// `_include` or `_revinclude`.
    pub kind: &'static str,
    /// `Type:param`, as the client writes it.
    pub value: &'static str,
}

/// Every include tiercare answers; the CapabilityStatement lists them.
pub const INCLUDES: &[Include] = &[
    Include {
        searched: "ServiceRequest",
        kind: "_include",
        value: "ServiceRequest:patient",
    },
    Include {
        searched: "ServiceRequest",
        kind: "_include",
        value: "ServiceRequest:subject",
    },
    Include {
        searched: "ServiceRequest",
        kind: "_revinclude",
        value: "Task:focus",
    },
    Include {
        searched: "Task",
        kind: "_include",
        value: "Task:focus",
    },
    Include {
        searched: "Task",
        kind: "_include",
        value: "Task:patient",
    },
    Include {
        searched: "Task",
        kind: "_include",
        value: "Task:for",
    },
];

/// The includes a search asked for (already checked by [`query_for`]).
pub fn includes_asked(pairs: &[(String, String)]) -> Vec<&str> {
    pairs
        .iter()
        .filter(|(k, _)| k == "_include" || k == "_revinclude")
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Names each searchable resource's includes in the CapabilityStatement.
pub fn declare_includes(resources: &mut [Value]) {
    for r in resources {
        for (kind, element) in [
            ("_include", "searchInclude"),
            ("_revinclude", "searchRevInclude"),
        ] {
            let listed: Vec<&str> = INCLUDES
                .iter()
                .filter(|i| r["type"] == i.searched && i.kind == kind)
                .map(|i| i.value)
                .collect();
            if !listed.is_empty() {
                r[element] = json!(listed);
            }
        }
    }
}

/// Adds included resources to a search-set Bundle, after its matches, as
/// `search.mode = include`; they do not count in its total.
pub fn with_included(mut bundle: Value, included: Vec<(String, Value)>) -> Value {
    if included.is_empty() {
        return bundle;
    }
    let extra = included
        .into_iter()
        .map(|(full, r)| json!({"fullUrl": full, "resource": r, "search": {"mode": "include"}}));
    match bundle["entry"].as_array_mut() {
        Some(list) => list.extend(extra),
        None => bundle["entry"] = Value::Array(extra.collect()),
    }
    bundle
}

/// The parameters every search takes besides the type's own, as the
/// CapabilityStatement lists them.
pub const COMMON_PARAMS: &[SearchParam] = &[
    SearchParam {
        name: "_lastUpdated",
        kind: ParamKind::Date,
        doc: "When the record was last written (eq, lt, le, gt, ge): a date, or one instant in any offset",
    },
    SearchParam {
        name: "_sort",
        kind: ParamKind::String,
        doc: "_lastUpdated or a date parameter, - before it for latest first; others are refused",
    },
    SearchParam {
        name: "_total",
        kind: ParamKind::Token,
        doc: "none (no total), estimate or accurate (both exact)",
    },
    SearchParam {
        name: "_summary",
        kind: ParamKind::Token,
        doc: "count: the total only, no entries (as _count=0)",
    },
];

/// A comparison with an instant (`gt2026-12-07T06:00:00Z`, any offset):
/// the instant in UTC to the millisecond, the form stored times have, so
/// a client polling "changed since" gets what was written after it.
fn instant_filter(name: &str, v: &str) -> Result<Filter, ServiceError> {
    let (prefix, text) = match v.get(..2) {
        Some(p) if p.chars().all(|c| c.is_ascii_alphabetic()) => (p, &v[2..]),
        _ => ("eq", v),
    };
    let at = crate::primitives::instant(text)
        .map_err(|e| ServiceError::invalid(name, format!("{name}={v:?}: {e}")))?;
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    let utc = at
        .to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .map_err(|e| ServiceError::invalid(name, format!("{name}={v:?}: {e}")))?;
    let matching = match prefix {
        "eq" => Match::Exact,
        "lt" => Match::Below,
        "le" => Match::AtMost,
        "gt" => Match::Above,
        "ge" => Match::AtLeast,
        other => {
            return Err(ServiceError::invalid(
                name,
                format!("prefix {other:?} is not supported; use eq, lt, le, gt or ge"),
            ));
        }
    };
    Ok(Filter {
        param: name.into(),
        values: vec![utc],
        matching,
    })
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
        if let Err(e) = PartialDate::parse(date) {
            return Err(ServiceError::invalid(
                name,
                format!("{name}={v:?}: {e}, optionally prefixed by eq, lt, le, gt or ge"),
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
    // `_count=0` (or `_summary=count`) asks for the total only: no pages.
    if q.count > 0 && u64::from(q.offset) + u64::from(q.count) < total {
        links.push(json!({"relation": "next", "url": page_url(base, rt, pairs, q.count, q.offset + q.count)}));
    }
    if q.count > 0 && q.offset > 0 {
        links.push(json!({"relation": "previous", "url": page_url(base, rt, pairs, q.count, q.offset.saturating_sub(q.count))}));
    }
    // `_count=0`: the total only, whatever the handler found.
    let shown = if q.count == 0 { Vec::new() } else { resources };
    let entries: Vec<Value> = shown
        .into_iter()
        .map(|(full, r)| json!({"fullUrl": full, "resource": r, "search": {"mode": "match"}}))
        .collect();
    let mut bundle = json!({"resourceType": "Bundle", "type": "searchset", "link": links});
    if !pairs.iter().any(|(k, v)| k == "_total" && v == "none") {
        bundle["total"] = json!(total);
    }
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    bundle
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: &[SearchParam] = &[
        SearchParam {
            name: "name",
            kind: ParamKind::String,
            doc: "",
        },
        SearchParam {
            name: "birthdate",
            kind: ParamKind::Date,
            doc: "",
        },
    ];

    fn field(e: ServiceError) -> String {
        match e {
            ServiceError::Invalid { field, .. } => field.unwrap_or_default(),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn a_query_is_decoded_strictly() {
        assert_eq!(
            query_pairs(Some("name=%E7%8E%8B+%E8%8A%B3&&_count=5&flag")).unwrap(),
            vec![
                ("name".to_string(), "王 芳".to_string()),
                ("_count".into(), "5".into()),
                ("flag".into(), String::new()),
            ]
        );
        // A lone or broken escape is kept as written.
        assert_eq!(
            query_pairs(Some("name=100%&x=%G1")).unwrap(),
            vec![("name".into(), "100%".into()), ("x".into(), "%G1".into())]
        );
        assert_eq!(field(query_pairs(Some("name=%FF%FE")).unwrap_err()), "name");
        assert_eq!(
            field(query_pairs(Some("a=1&%C3=2")).unwrap_err()),
            "\u{fffd}"
        );
        assert_eq!(query_pairs(None).unwrap(), vec![]);
        assert_eq!(field(query_pairs(Some("name=a%00b")).unwrap_err()), "name");
    }

    #[test]
    fn a_query_has_a_bounded_number_of_parameters() {
        let at_most = vec!["name=a"; limits::MAX_QUERY_PARAMS].join("&");
        assert_eq!(
            query_pairs(Some(&at_most)).unwrap().len(),
            limits::MAX_QUERY_PARAMS
        );
        let more = format!("{at_most}&gender=male");
        assert_eq!(field(query_pairs(Some(&more)).unwrap_err()), "gender");
    }

    #[test]
    fn a_search_has_a_bounded_number_of_values() {
        let pairs = |list: &[(&str, usize)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, n)| (k.to_string(), vec!["ab"; *n].join(",")))
                .collect()
        };
        let ok = query_for(
            "X",
            PARAMS,
            &pairs(&[("name", limits::MAX_VALUES_PER_PARAM)]),
        );
        assert_eq!(
            ok.unwrap().filters[0].values.len(),
            limits::MAX_VALUES_PER_PARAM
        );
        let too_many = query_for(
            "X",
            PARAMS,
            &pairs(&[("name", limits::MAX_VALUES_PER_PARAM + 1)]),
        );
        assert_eq!(field(too_many.unwrap_err()), "name");
        let per_param = limits::MAX_VALUES_PER_PARAM;
        let rounds = limits::MAX_SEARCH_VALUES / per_param;
        let mut list = vec![("name", per_param); rounds];
        assert!(query_for("X", PARAMS, &pairs(&list)).is_ok());
        list.push(("name", 1));
        assert_eq!(
            field(query_for("X", PARAMS, &pairs(&list)).unwrap_err()),
            "name"
        );
    }

    #[test]
    fn a_date_search_needs_a_calendar_date() {
        for bad in ["2026-02-30", "0000", "ge2026-13", "2026-2", "xx2026"] {
            let pairs = vec![("birthdate".to_string(), bad.to_string())];
            assert_eq!(
                field(query_for("X", PARAMS, &pairs).unwrap_err()),
                "birthdate",
                "{bad}"
            );
        }
        let pairs = vec![("birthdate".to_string(), "le2024-02".to_string())];
        let q = query_for("X", PARAMS, &pairs).unwrap();
        assert_eq!(q.filters[0].values, vec!["2024-02~".to_string()]);
        assert_eq!(q.filters[0].matching, Match::AtMost);
    }
}
