//! FHIR R4 datatypes, as plain serde structs.
//!
//! FHIR JSON has rules serde does not enforce by itself: no `null`s and no
//! empty arrays. Every optional element here is skipped when absent and
//! every list when empty, so whatever tiercare writes is valid FHIR JSON.

use serde::{Deserialize, Serialize};

/// Base of tiercare's own code systems, identifier systems and extensions.
pub const BASE: &str = "https://tiercare.org/fhir";

/// The URL of one of tiercare's code systems.
pub fn system(name: &str) -> String {
    format!("{BASE}/CodeSystem/{name}")
}

/// The URL of one of tiercare's extensions.
pub fn extension_url(name: &str) -> String {
    format!("{BASE}/StructureDefinition/{name}")
}

/// The URL of one of tiercare's identifier systems.
pub fn identifier_system(name: &str) -> String {
    format!("{BASE}/sid/{name}")
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Coding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_selected: Option<bool>,
}

impl Coding {
    /// A coding from one of tiercare's code systems.
    pub fn ours(system_name: &str, code: &str, display: &str) -> Coding {
        Coding {
            system: Some(system(system_name)),
            code: Some(code.to_string()),
            display: Some(display.to_string()),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeableConcept {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// A concept with a single coding from one of tiercare's code systems.
    pub fn ours(system_name: &str, code: &str, display: &str) -> CodeableConcept {
        CodeableConcept {
            coding: vec![Coding::ours(system_name, code, display)],
            text: None,
        }
    }

    /// The code of the first coding in the given tiercare system, if any.
    pub fn code_in(&self, system_name: &str) -> Option<&str> {
        let sys = system(system_name);
        self.coding
            .iter()
            .find(|c| c.system.as_deref() == Some(&sys))
            .and_then(|c| c.code.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    /// A literal reference `Type/id`.
    pub fn to(resource_type: &str, id: &str) -> Reference {
        Reference {
            reference: Some(format!("{resource_type}/{id}")),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Identifier {
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "use")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub type_: Option<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Identifier {
    /// An identifier in one of tiercare's identifier systems.
    pub fn ours(system_name: &str, value: &str) -> Identifier {
        Identifier {
            system: Some(identifier_system(system_name)),
            value: Some(value.to_string()),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HumanName {
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "use")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suffix: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "use")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactPoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "use")]
    pub use_: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Period {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// A FHIR extension. Only the value types tiercare uses are modelled;
/// others are refused at parse time rather than silently dropped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Extension {
    pub url: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_decimal: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_coding: Option<Coding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_reference: Option<Reference>,
}

impl Extension {
    /// An empty extension with one of tiercare's extension URLs.
    pub fn ours(name: &str) -> Extension {
        Extension {
            url: extension_url(name),
            ..Default::default()
        }
    }
}

/// Finds tiercare extensions by name in a list.
pub fn find_extensions<'a>(
    list: &'a [Extension],
    name: &str,
) -> impl Iterator<Item = &'a Extension> {
    let url = extension_url(name);
    list.iter().filter(move |e| e.url == url)
}

/// Version metadata the server sets on every resource it returns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

/// The first coding of tiercare's code system `name` among a body's
/// `category` codings, if any: how a `HealthcareService` or
/// `ServiceRequest` body says which of tiercare's kinds it is (a hub's
/// kind, an emergency centre's kind).
pub fn category_coding<'a>(
    value: &'a serde_json::Value,
    name: &str,
) -> Option<&'a serde_json::Value> {
    use serde_json::Value;
    let ours = system(name);
    value
        .get("category")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("coding").and_then(Value::as_array))
        .flatten()
        .find(|c| c.get("system").and_then(Value::as_str) == Some(ours.as_str()))
}
