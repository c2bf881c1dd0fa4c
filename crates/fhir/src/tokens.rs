//! Token search, one way for every parameter: the code systems each token
//! parameter's codes belong to, how a stored code is indexed under its
//! system, and how a searched token (`code`, `system|code`, `|code`,
//! `system|`) becomes a store filter.
//!
//! A parameter whose codes are one of tiercare's own systems is indexed by
//! [`crate::index_terms::token_terms`] already; the table here names the
//! systems of the parameters whose codes are stored bare (FHIR's own
//! `code` elements such as `gender` and `status`) and the codes stored
//! under a tiercare alias (a referral's SNOMED category is stored as
//! `referral`). [`index_with_systems`] adds `system|code` (and the
//! alias's code) to a record's terms, so the search side only ever
//! compares stored text, and the CapabilityStatement names each declared
//! system from the same table.

use serde_json::Value;
use tiercare_service::ServiceError;
use tiercare_store::{Filter, Match};

/// SNOMED CT's system URL.
pub const SNOMED: &str = "http://snomed.info/sct";

/// A token parameter whose codes are stored bare, and the system they
/// are codes of.
#[derive(Debug, Clone, Copy)]
pub struct TokenSystem {
    /// The FHIR resource type the record is exchanged as.
    pub resource: &'static str,
    /// The parameter as stored in the index (as searched, unless a face
    /// renames it: Task `status` is stored as `task-status`).
    pub param: &'static str,
    /// The code system of every stored code of the parameter.
    pub system: &'static str,
}

/// A code another system gives to what tiercare stores under a name of
/// its own: searching `system|code` or `code` finds the records stored
/// with `stored`.
#[derive(Debug, Clone, Copy)]
pub struct TokenAlias {
    pub resource: &'static str,
    pub param: &'static str,
    pub stored: &'static str,
    pub system: &'static str,
    pub code: &'static str,
}

const fn sys(resource: &'static str, param: &'static str, system: &'static str) -> TokenSystem {
    TokenSystem {
        resource,
        param,
        system,
    }
}

/// The systems of the token parameters stored bare.
pub const SYSTEMS: &[TokenSystem] = &[
    sys(
        "Patient",
        "gender",
        "http://hl7.org/fhir/administrative-gender",
    ),
    sys(
        "Practitioner",
        "gender",
        "http://hl7.org/fhir/administrative-gender",
    ),
    sys(
        "ServiceRequest",
        "status",
        "http://hl7.org/fhir/request-status",
    ),
    sys(
        "ServiceRequest",
        "priority",
        "http://hl7.org/fhir/request-priority",
    ),
    sys(
        "ServiceRequest",
        "task-status",
        "http://hl7.org/fhir/task-status",
    ),
    sys(
        "ServiceRequest",
        "state",
        "https://tiercare.org/fhir/CodeSystem/referral-state",
    ),
    sys(
        "ServiceRequest",
        crate::referral::TASK_CODE,
        "http://hl7.org/fhir/CodeSystem/task-code",
    ),
    sys("Task", "task-status", "http://hl7.org/fhir/task-status"),
    sys("CarePlan", "status", "http://hl7.org/fhir/request-status"),
    sys(
        "Appointment",
        "status",
        "http://hl7.org/fhir/appointmentstatus",
    ),
    sys(
        "Encounter",
        "status",
        "http://hl7.org/fhir/encounter-status",
    ),
    sys(
        "Encounter",
        "class",
        "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    ),
    sys("Slot", "status", "http://hl7.org/fhir/slotstatus"),
];

/// Codes of other systems for what tiercare stores under its own name.
pub const ALIASES: &[TokenAlias] = &[
    TokenAlias {
        resource: "ServiceRequest",
        param: "category",
        stored: "referral",
        system: SNOMED,
        code: "3457005",
    },
    TokenAlias {
        resource: "ServiceRequest",
        param: "category",
        stored: "consult",
        system: SNOMED,
        code: crate::consult::CONSULT_CATEGORY,
    },
];

/// The system declared for a token parameter of a resource type, as the
/// CapabilityStatement names it (the stored parameter may be renamed by
/// the caller's `stored` mapping).
pub fn declared_system(resource: &str, param: &str) -> Option<&'static str> {
    SYSTEMS
        .iter()
        .find(|s| s.resource == resource && s.param == param)
        .map(|s| s.system)
        .or_else(|| {
            ALIASES
                .iter()
                .find(|a| a.resource == resource && a.param == param)
                .map(|a| a.system)
        })
}

/// A record's index terms with each bare token also under its system
/// (`system|code`), and each aliased code under the alias's code and
/// `system|code`; everything lower-cased as tokens are searched.
pub fn index_with_systems(
    resource: &str,
    mut terms: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut extra = Vec::new();
    for (param, value) in &terms {
        if value.contains('|') {
            continue;
        }
        if let Some(s) = SYSTEMS
            .iter()
            .find(|s| s.resource == resource && s.param == param)
        {
            extra.push((
                param.clone(),
                format!("{}|{value}", s.system).to_lowercase(),
            ));
        }
        for a in ALIASES
            .iter()
            .filter(|a| a.resource == resource && a.param == param && a.stored == value)
        {
            extra.push((param.clone(), a.code.to_lowercase()));
            extra.push((
                param.clone(),
                format!("{}|{}", a.system, a.code).to_lowercase(),
            ));
        }
    }
    terms.extend(extra);
    terms
}

/// The store filter of a token search on `param` (stored as `stored`):
/// `code` and `|code` match the code, `system|code` the code in that
/// system (an unknown system matches nothing), `system|` any code of the
/// system. Several values are alternatives; `system|` stands alone. A
/// token with more than one `|`, or only `|`, is refused.
pub fn filter(param: &str, stored: &str, values: &[&str]) -> Result<Filter, ServiceError> {
    let mut out = Vec::new();
    let mut any_of_system = None;
    for v in values {
        let malformed = || {
            ServiceError::invalid(
                param,
                format!("{param}={v:?} is not a token: send code, system|code, |code or system|"),
            )
        };
        let (system, code) = match v.split_once('|') {
            None => (None, *v),
            Some((s, c)) => (Some(s), c),
        };
        if code.contains('|') || (system.is_some() && code.is_empty() && system == Some("")) {
            return Err(malformed());
        }
        match system {
            None | Some("") => out.push(code.to_lowercase()),
            Some(s) if code.is_empty() => any_of_system = Some(format!("{s}|").to_lowercase()),
            Some(s) => out.push(format!("{s}|{code}").to_lowercase()),
        }
    }
    match any_of_system {
        Some(prefix) if out.is_empty() && values.len() == 1 => Ok(Filter {
            param: stored.into(),
            values: vec![prefix],
            matching: Match::Prefix,
        }),
        Some(_) => Err(ServiceError::invalid(
            param,
            format!(
                "{param}: system| (any code of a system) cannot be combined with other values; repeat the parameter"
            ),
        )),
        None => Ok(Filter {
            param: stored.into(),
            values: out,
            matching: Match::Exact,
        }),
    }
}

/// Adds to each token `searchParam` of the CapabilityStatement's resources
/// the system its codes are declared in (a tiercare extension, since FHIR
/// has no element for it), so a client knows which `system|code` to send.
/// A referral's Task is searched on its referral's terms.
pub fn declare_systems(resources: &mut [Value]) {
    for r in resources {
        let ty = r["type"].as_str().unwrap_or_default().to_string();
        if let Some(params) = r["searchParam"].as_array_mut() {
            for p in params {
                if p["type"] != "token" {
                    continue;
                }
                let name = p["name"].as_str().unwrap_or_default();
                let system = if ty == "Task" {
                    declared_system("ServiceRequest", crate::referral::task_param(name))
                } else {
                    declared_system(&ty, name)
                };
                if let Some(system) = system {
                    p["extension"] = serde_json::json!([{
                        "url": crate::datatypes::extension_url("token-system"),
                        "valueUri": system,
                    }]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_form_becomes_one_filter() {
        let f = filter("gender", "gender", &["http://x|Female", "|male", "other"]).unwrap();
        assert_eq!(f.values, vec!["http://x|female", "male", "other"]);
        assert_eq!(f.matching, Match::Exact);
        let f = filter("gender", "gender", &["http://x|"]).unwrap();
        assert_eq!(
            (f.values[0].as_str(), f.matching),
            ("http://x|", Match::Prefix)
        );
        for bad in [&["a|b|c"][..], &["|"], &["http://x|", "male"]] {
            assert!(filter("gender", "gender", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_bare_code_is_indexed_under_its_system_and_aliases() {
        let t = index_with_systems(
            "ServiceRequest",
            vec![
                ("category".into(), "referral".into()),
                ("status".into(), "active".into()),
            ],
        );
        for want in [
            "3457005",
            "http://snomed.info/sct|3457005",
            "http://hl7.org/fhir/request-status|active",
        ] {
            assert!(t.iter().any(|(_, v)| v == want), "{want} in {t:?}");
        }
    }
}
