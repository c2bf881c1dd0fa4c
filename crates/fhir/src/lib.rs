//! tiercare's records spoken as FHIR R4.
//!
//! Each module maps one kind of record to its FHIR resource and back:
//! `render` turns a stored record into FHIR JSON, `parse` turns FHIR JSON
//! into a domain record (refusing what tiercare cannot keep, so nothing is
//! silently lost), and `index` lists the search terms the record is found
//! by. `search` describes the search parameters each type supports.

pub mod audit_event;
pub mod care_plan;
pub mod care_team;
pub mod clinical;
pub mod conformance;
pub mod consult;
pub mod datatypes;
pub mod emergency;
pub mod estimate;
pub mod export;
pub mod history;
pub mod hub;
mod index_terms;
pub mod insurance;
pub mod limits;
pub mod location;
pub mod measure;
pub mod operations;
pub mod organization;
pub mod outreach;
pub mod panel;
pub mod parameters;
mod parse;
pub mod patient;
pub mod practitioner;
pub mod primitives;
pub mod referral;
pub mod round_trip;
pub mod search;
pub mod strict_json;
pub mod subscription;
pub mod tokens;
pub mod visit;

pub use conformance::{capability, terminology};
pub use search::{ParamKind, SearchParam};

use datatypes::{HumanName, Meta};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tiercare_core::network::{Gender, PersonName, Romanised};
use tiercare_core::{Record, RegionId};
use tiercare_service::ServiceError;
use tiercare_store::Stored;

/// The FHIR JSON media type.
pub const FHIR_JSON: &str = "application/fhir+json";

/// The resource types of the registry, each backed by stored records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryType {
    Organization,
    OrganizationAffiliation,
    Location,
    Practitioner,
    PractitionerRole,
    CareTeam,
    Patient,
    /// An institution's essential-medicines list.
    List,
}

impl RegistryType {
    pub const ALL: [RegistryType; 8] = [
        RegistryType::Organization,
        RegistryType::OrganizationAffiliation,
        RegistryType::Location,
        RegistryType::Practitioner,
        RegistryType::PractitionerRole,
        RegistryType::CareTeam,
        RegistryType::Patient,
        RegistryType::List,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RegistryType::Organization => "Organization",
            RegistryType::OrganizationAffiliation => "OrganizationAffiliation",
            RegistryType::Location => "Location",
            RegistryType::Practitioner => "Practitioner",
            RegistryType::PractitionerRole => "PractitionerRole",
            RegistryType::CareTeam => "CareTeam",
            RegistryType::Patient => "Patient",
            RegistryType::List => "List",
        }
    }

    pub fn from_name(name: &str) -> Option<RegistryType> {
        RegistryType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Parses FHIR JSON of this type into a record with the given id.
    ///
    /// What the record cannot hold is refused, never dropped: the record is
    /// rendered back and must contain everything that was sent (see
    /// [`keeps`]). `today` is the server's day, which no birth date may
    /// follow.
    pub fn parse(
        self,
        value: Value,
        id: &str,
        region: &RegionId,
        today: time::Date,
    ) -> Result<Record, ServiceError> {
        let value = check_resource_type(value, self.name())?;
        let sent = value.clone();
        let record = match self {
            RegistryType::Organization => organization::parse(value, id, region),
            RegistryType::OrganizationAffiliation => organization::parse_affiliation(value, id),
            RegistryType::Location => location::parse(value, id),
            RegistryType::Practitioner => practitioner::parse(value, id, region),
            RegistryType::PractitionerRole => practitioner::parse_role(value, id),
            RegistryType::CareTeam => care_team::parse(value, id, region),
            RegistryType::Patient => patient::parse(value, id, region, today),
            RegistryType::List => clinical::parse_medicines(value, id),
        }?;
        keeps(self.name(), &sent, &record)?;
        Ok(record)
    }

    /// The search parameters this type supports.
    pub fn search_params(self) -> &'static [SearchParam] {
        match self {
            RegistryType::Organization => organization::SEARCH,
            RegistryType::OrganizationAffiliation => organization::AFFILIATION_SEARCH,
            RegistryType::Location => location::SEARCH,
            RegistryType::Practitioner => practitioner::SEARCH,
            RegistryType::PractitionerRole => practitioner::ROLE_SEARCH,
            RegistryType::CareTeam => care_team::SEARCH,
            RegistryType::Patient => patient::SEARCH,
            RegistryType::List => clinical::LIST_SEARCH,
        }
    }
}

/// Renders a stored record as FHIR JSON, with `id` and `meta`.
pub fn render(stored: &Stored) -> Value {
    let mut v = render_record(&stored.record);
    if let Value::Object(map) = &mut v {
        map.insert("id".into(), Value::String(stored.record.id().to_string()));
        let meta = Meta {
            version_id: Some(stored.version.to_string()),
            last_updated: Some(stored.updated_at.clone()),
        };
        map.insert(
            "meta".into(),
            serde_json::to_value(meta).unwrap_or(Value::Null),
        );
    }
    v
}

/// A record as FHIR JSON, without `id` and `meta`.
pub fn render_record(record: &Record) -> Value {
    match record {
        Record::Institution(r) => organization::render_institution(r),
        Record::Alliance(r) => organization::render_alliance(r),
        Record::Membership(r) => organization::render_affiliation(r),
        Record::Site(r) => location::render(r),
        Record::Practitioner(r) => practitioner::render(r),
        Record::Role(r) => practitioner::render_role(r),
        Record::Team(r) => care_team::render(r),
        Record::Resident(r) => patient::render(r),
        Record::Referral(r) => referral::render(r),
        Record::Slot(s) => visit::render_slot(s),
        Record::BedPool(b) => visit::render_bed_pool(b),
        Record::Appointment(a) => visit::render_appointment(a),
        Record::Encounter(e) => visit::render_encounter(e),
        Record::Observation(o) => clinical::render_observation(o),
        Record::DiagnosticReport(r) => clinical::render_report(r),
        Record::MedicinesList(m) => clinical::render_medicines(m),
        Record::Consult(c) => consult::render(c),
        Record::CarePlan(p) => care_plan::render(p),
        Record::FollowUp(f) => care_plan::render_follow_up(f),
        Record::Coverage(c) => insurance::render_coverage(c),
        Record::Claim(c) => insurance::render_claim(c),
        // Accounts are internal; shown as their accumulator for operators.
        Record::Account(a) => serde_json::json!({"resourceType": "Basic",
            "code": {"text": "insurance account"},
            "extension": [{"url": datatypes::extension_url("accumulator"),
                           "valueString": serde_json::to_string(&a.accumulator).unwrap_or_default()}]}),
        Record::Programme(p) => outreach::render_programme(p),
        Record::OutreachSession(s) => outreach::render_session(s),
        Record::Mentorship(m) => outreach::render_mentorship(m),
        Record::MentorshipActivity(a) => outreach::render_activity(a),
        Record::PanelEnrolment(e) => panel::render_enrolment(e),
        Record::Measurement(m) => panel::render_measurement(m),
        Record::Hub(h) => hub::render_hub(h),
        Record::ReadingOrder(o) => hub::render_order(o),
        Record::Centre(c) => emergency::render_centre(c),
        Record::EmergencyCase(c) => emergency::case::render_case(c),
    }
}

/// The search terms of a record.
pub fn index(record: &Record) -> Vec<(String, String)> {
    let mut terms = match record {
        Record::Institution(r) => organization::index_institution(r),
        Record::Alliance(r) => organization::index_alliance(r),
        Record::Membership(r) => organization::index_affiliation(r),
        Record::Site(r) => location::index(r),
        Record::Practitioner(r) => practitioner::index(r),
        Record::Role(r) => practitioner::index_role(r),
        Record::Team(r) => care_team::index(r),
        Record::Resident(r) => patient::index(r),
        Record::Referral(r) => referral::index(r),
        Record::Slot(s) => visit::index_slot(s),
        Record::BedPool(b) => visit::index_bed_pool(b),
        Record::Appointment(a) => visit::index_appointment(a),
        Record::Encounter(e) => visit::index_encounter(e),
        Record::Observation(o) => clinical::index_observation(o),
        Record::DiagnosticReport(r) => clinical::index_report(r),
        Record::MedicinesList(m) => clinical::index_medicines(m),
        Record::Consult(c) => consult::index(c),
        Record::CarePlan(p) => care_plan::index(p),
        Record::FollowUp(f) => care_plan::index_follow_up(f),
        Record::Coverage(c) => insurance::index_coverage(c),
        Record::Claim(c) => insurance::index_claim(c),
        Record::Account(a) => vec![reference_term("patient", "Patient", a.resident.as_str())],
        Record::Programme(p) => outreach::index_programme(p),
        Record::OutreachSession(s) => outreach::index_session(s),
        Record::Mentorship(m) => outreach::index_mentorship(m),
        Record::MentorshipActivity(a) => outreach::index_activity(a),
        Record::PanelEnrolment(e) => panel::index_enrolment(e),
        Record::Measurement(m) => panel::index_measurement(m),
        Record::Hub(h) => hub::index_hub(h),
        Record::ReadingOrder(o) => hub::index_order(o),
        Record::Centre(c) => emergency::index_centre(c),
        Record::EmergencyCase(c) => emergency::case::index_case(c),
    };
    terms = tokens::index_with_systems(record.resource_type(), terms);
    terms.sort();
    terms.dedup();
    terms
}

/// The version of the search-term rules ([`search_terms`]). Raise it with
/// every change to the terms any record is stored under: a database whose
/// index was built by older rules is re-indexed when a server starts (the
/// store keeps the version its index was built with), so records written
/// before the change are found by the new terms. 1: tokens also as
/// `system|code`; statuses and classes of visits under their systems.
/// 2: an Appointment's status follows its visit; tiercare's own systems
/// (specialty, key group, role, Organization type, Slot service-type).
/// 3: care teams' status and category, affiliations' role, programmes'
/// category under their systems. 4: roles with days of the week
/// (multi-site practice) under `multi-site`; a code indexed in its own
/// system (a hub's kind) is no longer also indexed in the parameter's
/// bare-code system (outreach-kind); emergency centres. 5: emergency
/// cases under `sender` and `party` for the ambulance base that opened
/// them.
pub const INDEX_VERSION: i64 = 5;

/// The search terms of a record under the region's policy: the
/// resource's own, plus for a referral the worklist terms that depend on
/// the policy (when each step falls due). The services store records under
/// these.
pub fn search_terms(
    record: &Record,
    policy: &tiercare_core::policy::Policy,
) -> Vec<(String, String)> {
    let mut terms = index(record);
    if let Record::Referral(r) = record {
        let workflow = referral::workflow_terms(r, policy);
        terms.extend(tokens::index_with_systems(record.resource_type(), workflow));
    }
    terms
}

/// Serialises a FHIR struct and adds its `resourceType`.
pub fn with_type<T: Serialize>(resource_type: &str, body: &T) -> Value {
    let mut v = serde_json::to_value(body).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("resourceType".into(), Value::String(resource_type.into()));
    }
    v
}

/// Refuses a body with anything the record would not give back: an element
/// tiercare does not store (a second name, an email), or a value it would
/// change (an inactive flag it cannot keep). Elements the server derives
/// (`name.text`, `generalPractitioner`) are ignored: see [`round_trip`].
pub fn keeps(resource_type: &str, sent: &Value, record: &Record) -> Result<(), ServiceError> {
    let rendered = render_record(record);
    let mut sent = sent.clone();
    if let Value::Object(m) = &mut sent {
        m.remove("id");
    }
    round_trip::strip_derived(resource_type, &mut sent);
    match lost(&sent, &rendered, resource_type) {
        None => Ok(()),
        Some(path) => Err(ServiceError::invalid(
            path.clone(),
            format!(
                "{path} cannot be stored by tiercare as sent and would be lost; leave it out or send what is supported (see docs/fhir.md)"
            ),
        )),
    }
}

/// The first path of `sent` that `kept` lacks or changes. Arrays match
/// element by element in any order, each sent element to a kept one of
/// its own; what the server adds (an object's member, an array's element,
/// such as the region extension it fills in) loses nothing.
pub(crate) fn lost(sent: &Value, kept: &Value, path: &str) -> Option<String> {
    match (sent, kept) {
        (Value::Object(s), Value::Object(k)) => s.iter().find_map(|(key, v)| {
            let child = format!("{path}.{key}");
            match k.get(key) {
                Some(kv) => lost(v, kv, &child),
                None => Some(child),
            }
        }),
        (Value::Array(s), Value::Array(k)) if s.len() <= k.len() => {
            let mut unused: Vec<&Value> = k.iter().collect();
            for (i, v) in s.iter().enumerate() {
                match unused.iter().position(|kv| lost(v, kv, "").is_none()) {
                    Some(at) => {
                        unused.swap_remove(at);
                    }
                    None => {
                        // Name the element, and inside it the first loss
                        // against its counterpart by position.
                        let child = format!("{path}[{i}]");
                        return Some(k.get(i).and_then(|kv| lost(v, kv, &child)).unwrap_or(child));
                    }
                }
            }
            None
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => None,
        (a, b) if a == b => None,
        _ => Some(path.to_string()),
    }
}

/// Checks `resourceType` and strips the elements the server owns.
pub fn check_resource_type(value: Value, expected: &str) -> Result<Value, ServiceError> {
    let Value::Object(mut map) = value else {
        return Err(ServiceError::invalid("$", "the body must be a JSON object"));
    };
    match map.remove("resourceType") {
        Some(Value::String(t)) if t == expected => {}
        Some(Value::String(t)) => {
            return Err(ServiceError::invalid(
                "resourceType",
                format!("expected resourceType {expected}, found {t}"),
            ));
        }
        _ => {
            return Err(ServiceError::invalid(
                "resourceType",
                "resourceType is missing",
            ));
        }
    }
    // Server-managed or informational: accepted and not kept.
    // (`implicitRules` is not: rules a reader must understand cannot be
    // ignored, so it is refused as an element tiercare cannot keep.)
    for k in ["meta", "text", "language"] {
        map.remove(k);
    }
    Ok(Value::Object(map))
}

/// Deserialises a FHIR struct, naming the failing element on error.
pub fn from_json<T: DeserializeOwned>(
    resource_type: &str,
    value: Value,
) -> Result<T, ServiceError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let path = if path == "." {
            resource_type.to_string()
        } else {
            format!("{resource_type}.{path}")
        };
        ServiceError::invalid(path, format!("{resource_type}: {inner}"))
    })
}

/// Parses a typed id from text, naming the field on error.
pub use tiercare_service::typed_id;

pub use index_terms::{
    identifier_terms, name_terms, pinyin_spellings, reference_term, string_terms, token_terms,
};
pub(crate) use parse::items;
pub use parse::{
    only_elements, only_extensions, our_code, reference_id, referenced_id, required_id,
    required_name, required_reference,
};

/// Parses a FHIR `date` (full date only), strictly: see
/// [`primitives::full_date`].
pub fn parse_date(text: &str, field: &str) -> Result<time::Date, ServiceError> {
    primitives::full_date(text).map_err(|e| ServiceError::invalid(field, e.to_string()))
}

/// The day of a FHIR `dateTime` that must name one (a full date, or an
/// instant's date as written), strictly: see [`primitives::day_of`].
pub fn parse_day(text: &str, field: &str) -> Result<time::Date, ServiceError> {
    primitives::day_of(text).map_err(|e| ServiceError::invalid(field, e.to_string()))
}

/// Formats a date as FHIR `date` (`YYYY-MM-DD`, the form the search
/// terms carry too).
pub use tiercare_service::days::format_date;

/// A person's name as FHIR `HumanName`s: the name as written first, then,
/// when the record keeps it, the same name in pinyin.
///
/// FHIR has no `use` code for "the same name in another script", so the
/// codes are chosen for what a reader does with each: the name in hanzi is
/// `official` (the one on the identity card and on every Chinese record)
/// and the pinyin is `usual` (what a latin-only system or a foreign
/// reader calls the person by). `text` is derived by the server ("王芳",
/// "Wang Fang"); sent back unchanged it is accepted, as before.
pub fn human_names(n: &PersonName) -> Vec<HumanName> {
    let mut out = vec![HumanName {
        use_: Some("official".into()),
        text: Some(n.full()),
        family: (!n.family.is_empty()).then(|| n.family.clone()),
        given: if n.given.is_empty() {
            vec![]
        } else {
            vec![n.given.clone()]
        },
        ..Default::default()
    }];
    if let Some(p) = &n.pinyin {
        out.push(HumanName {
            use_: Some(PINYIN_USE.into()),
            text: Some(p.full()),
            family: (!p.family.is_empty()).then(|| p.family.clone()),
            given: if p.given.is_empty() {
                vec![]
            } else {
                vec![p.given.clone()]
            },
            ..Default::default()
        });
    }
    out
}

/// The `HumanName.use` that marks a person's pinyin name (see
/// [`human_names`]).
pub const PINYIN_USE: &str = "usual";

/// A person's name from FHIR `HumanName`s: the first is the name; a later
/// one with use `usual` is its pinyin. Any other name is not read here, so
/// [`keeps`] refuses it as something tiercare cannot store.
pub fn person_name(names: &[HumanName], field: &str) -> Result<PersonName, ServiceError> {
    let Some(n) = names.first() else {
        return Err(ServiceError::invalid(field, "a name is required"));
    };
    let pinyin = names
        .iter()
        .skip(1)
        .find(|n| n.use_.as_deref() == Some(PINYIN_USE))
        .map(|p| Romanised {
            family: p.family.clone().unwrap_or_default(),
            given: p.given.join(" "),
        });
    let name = PersonName {
        family: n.family.clone().unwrap_or_default(),
        given: n.given.join(" "),
        pinyin,
    };
    if name.family.trim().is_empty() && name.given.trim().is_empty() {
        return Err(ServiceError::invalid(
            field,
            "the name needs a family or a given part",
        ));
    }
    if let Some(p) = &name.pinyin
        && p.family.trim().is_empty()
        && p.given.trim().is_empty()
    {
        return Err(ServiceError::invalid(
            format!("{field}[1]"),
            "the pinyin name needs a family or a given part",
        ));
    }
    Ok(name)
}

/// Parses an administrative gender code.
pub fn gender(code: Option<&str>) -> Result<Gender, ServiceError> {
    match code {
        None => Ok(Gender::Unknown),
        Some(c) => Gender::from_code(c).ok_or_else(|| {
            ServiceError::invalid(
                "gender",
                format!("unknown gender {c:?}: use male, female, other or unknown"),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::lost;
    use serde_json::json;

    #[test]
    fn what_the_server_adds_loses_nothing_but_each_sent_element_needs_its_own_match() {
        let kept =
            json!({"extension": [{"url": "r", "valueCode": "zx"}, {"url": "c"}], "name": "A"});
        assert_eq!(
            lost(&json!({"extension": [{"url": "c"}]}), &kept, "$"),
            None
        );
        assert_eq!(lost(&json!({"name": "A"}), &kept, "$"), None);
        assert_eq!(
            lost(
                &json!({"extension": [{"url": "c"}, {"url": "c"}]}),
                &kept,
                "$"
            ),
            Some("$.extension[1]".into())
        );
        assert_eq!(
            lost(
                &json!({"extension": [{"url": "r", "valueCode": "xg"}]}),
                &kept,
                "$"
            ),
            Some("$.extension[0].valueCode".into())
        );
    }
}
