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
//! system from the same table. Parameters indexed in tiercare's own
//! systems are only declared ([`OWN_SYSTEMS`]); those searched in memory
//! read their codes with [`codes_in`] ([`SEARCHED_IN_MEMORY`]).

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
    sys(
        "EpisodeOfCare",
        "status",
        "http://hl7.org/fhir/episode-of-care-status",
    ),
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
    sys("CareTeam", "status", "http://hl7.org/fhir/care-team-status"),
    sys("CareTeam", "category", OUR_CARE_TEAM_CATEGORY),
    sys(
        "OrganizationAffiliation",
        "role",
        "https://tiercare.org/fhir/CodeSystem/alliance-role",
    ),
    sys(
        "HealthcareService",
        "service-category",
        "https://tiercare.org/fhir/CodeSystem/outreach-kind",
    ),
    sys(
        "Slot",
        "service-type",
        "https://tiercare.org/fhir/CodeSystem/specialty",
    ),
];

/// Token parameters whose codes are indexed in tiercare's own systems
/// already ([`crate::index_terms::token_terms`] writes `code` and
/// `system|code`), declared here so the CapabilityStatement names their
/// systems too. A parameter may have several: an `Organization`'s `type`
/// is a level and a kind (an institution) or a category and a kind (an
/// alliance).
pub const OWN_SYSTEMS: &[TokenSystem] = &[
    sys(
        "EpisodeOfCare",
        "type",
        "https://tiercare.org/fhir/CodeSystem/emergency",
    ),
    sys("Patient", "key-group", OUR_KEY_GROUP),
    sys("PractitionerRole", "role", OUR_PRACTITIONER_ROLE),
    sys("PractitionerRole", "specialty", OUR_SPECIALTY),
    sys("HealthcareService", "specialty", OUR_SPECIALTY),
    sys(
        "HealthcareService",
        "service-category",
        "https://tiercare.org/fhir/CodeSystem/emergency-centre",
    ),
    sys(
        "HealthcareService",
        "characteristic",
        "https://tiercare.org/fhir/CodeSystem/emergency-capability",
    ),
    sys(
        "Organization",
        "type",
        "https://tiercare.org/fhir/CodeSystem/level",
    ),
    sys(
        "Organization",
        "type",
        "https://tiercare.org/fhir/CodeSystem/institution-kind",
    ),
    sys(
        "Organization",
        "type",
        "https://tiercare.org/fhir/CodeSystem/organization-category",
    ),
    sys(
        "Organization",
        "type",
        "https://tiercare.org/fhir/CodeSystem/alliance-kind",
    ),
];

const OUR_CARE_TEAM_CATEGORY: &str = "https://tiercare.org/fhir/CodeSystem/care-team-category";
const OUR_KEY_GROUP: &str = "https://tiercare.org/fhir/CodeSystem/key-group";
const OUR_PRACTITIONER_ROLE: &str = "https://tiercare.org/fhir/CodeSystem/practitioner-role";
const OUR_SPECIALTY: &str = "https://tiercare.org/fhir/CodeSystem/specialty";

/// The systems of token parameters searched in memory rather than in the
/// index (measures, subscriptions and the audit trail): their searches
/// read a value's code with [`codes_in`].
pub const SEARCHED_IN_MEMORY: &[TokenSystem] = &[
    sys("Measure", "status", MEASURE_STATUS),
    sys("Subscription", "status", SUBSCRIPTION_STATUS),
    sys("AuditEvent", "outcome", AUDIT_OUTCOME),
];

/// FHIR's publication status: a `Measure`'s `status`.
pub const MEASURE_STATUS: &str = "http://hl7.org/fhir/publication-status";
/// FHIR's subscription status: a `Subscription`'s `status`.
pub const SUBSCRIPTION_STATUS: &str = "http://hl7.org/fhir/subscription-status";
/// FHIR's audit event outcome: an `AuditEvent`'s `outcome` (0, 4).
pub const AUDIT_OUTCOME: &str = "http://hl7.org/fhir/audit-event-outcome";

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
/// the caller's `stored` mapping); the first, when it has several.
pub fn declared_system(resource: &str, param: &str) -> Option<&'static str> {
    declared_systems(resource, param).first().copied()
}

/// Every system declared for a token parameter of a resource type.
pub fn declared_systems(resource: &str, param: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = SYSTEMS
        .iter()
        .chain(OWN_SYSTEMS)
        .chain(SEARCHED_IN_MEMORY)
        .filter(|s| s.resource == resource && s.param == param)
        .map(|s| s.system)
        .collect();
    for a in ALIASES
        .iter()
        .filter(|a| a.resource == resource && a.param == param)
    {
        if !out.contains(&a.system) {
            out.push(a.system);
        }
    }
    out
}

/// The codes a token filter asks for, for a parameter whose records are
/// searched in memory with bare codes of `system`: `None` for any code
/// (`system|`); otherwise the codes (`code`, `|code`, `system|code`), with
/// those of another system dropped, so a search in an unknown system
/// finds nothing.
pub fn codes_in(f: &Filter, system: &str) -> Option<Vec<String>> {
    let ours = format!("{system}|").to_lowercase();
    if f.matching == Match::Prefix {
        return if f.values.iter().all(|v| *v == ours) {
            None
        } else {
            Some(Vec::new())
        };
    }
    Some(
        f.values
            .iter()
            .filter_map(|v| match v.strip_prefix(&ours) {
                Some(code) => Some(code.to_string()),
                None if v.contains('|') => None,
                None => Some(v.clone()),
            })
            .collect(),
    )
}

/// A record's index terms with each bare token also under its system
/// (`system|code`), and each aliased code under the alias's code and
/// `system|code`; everything lower-cased as tokens are searched.
pub fn index_with_systems(
    resource: &str,
    mut terms: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut extra = Vec::new();
    // A code already indexed in its own system (a hub's `ecg` in
    // hub-kind) is not also put in the parameter's bare-code system.
    let own: std::collections::HashSet<(&str, &str)> = terms
        .iter()
        .filter_map(|(p, v)| Some((p.as_str(), v.rsplit_once('|')?.1)))
        .collect();
    for (param, value) in &terms {
        if value.contains('|') {
            continue;
        }
        if let Some(s) = SYSTEMS
            .iter()
            .find(|s| s.resource == resource && s.param == param)
            && !own.contains(&(param.as_str(), value.as_str()))
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
                let systems = if ty == "Task" {
                    declared_systems("ServiceRequest", crate::referral::task_param(name))
                } else {
                    declared_systems(&ty, name)
                };
                if !systems.is_empty() {
                    p["extension"] = systems
                        .iter()
                        .map(|system| {
                            serde_json::json!({
                                "url": crate::datatypes::extension_url("token-system"),
                                "valueUri": system,
                            })
                        })
                        .collect();
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
    fn a_code_searched_in_memory_is_read_in_its_system() {
        let system = "http://hl7.org/fhir/subscription-status";
        let f = filter(
            "status",
            "status",
            &[&format!("{system}|Active"), "|off", "error"],
        )
        .unwrap();
        assert_eq!(
            codes_in(&f, system).unwrap(),
            vec!["active", "off", "error"]
        );
        let f = filter("status", "status", &["http://example.org/other|active"]).unwrap();
        assert!(codes_in(&f, system).unwrap().is_empty());
        let f = filter("status", "status", &[&format!("{system}|")]).unwrap();
        assert_eq!(codes_in(&f, system), None);
        let f = filter("status", "status", &["http://example.org/other|"]).unwrap();
        assert_eq!(codes_in(&f, system), Some(Vec::new()));
        assert_eq!(
            declared_systems("Organization", "type").len(),
            4,
            "an institution's level and kind, an alliance's category and kind"
        );
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
