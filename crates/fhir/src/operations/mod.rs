//! Every named FHIR operation of tiercare, declared once.
//!
//! An [`Operation`] says where the operation is invoked (the system, a
//! type, an instance), by which methods, and each input parameter: its
//! name, FHIR type, cardinality and a line of documentation. From that one
//! declaration come the reading of a `Parameters` body
//! ([`crate::parameters::Inputs`]: an unknown name, a value of another
//! type, a missing required parameter or one repeated beyond its maximum
//! is refused naming it), the CapabilityStatement's operation entries,
//! the `OperationDefinition` served for each (where FHIR clients look up
//! what an operation takes) and the OpenAPI description, so none of them
//! can say something the server does not do.

mod cases;
mod declared;
mod readings;
mod triage;

pub use cases::*;
pub use declared::*;
pub use readings::*;
pub use triage::*;

use serde_json::{Value, json};

/// Where tiercare's `OperationDefinition`s live: the same canonical URL in
/// every deployment, as for its Measures and CodeSystems.
pub const DEFINITION_BASE: &str = "https://tiercare.org/fhir/OperationDefinition";

/// The FHIR type an input parameter is declared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A code: `valueCode`, or `valueString` or a `valueCoding`'s code.
    Code,
    /// Free text: `valueString` (`valueMarkdown`, `valueCode` too).
    String,
    /// `valueBoolean`.
    Boolean,
    /// A whole number (`valueInteger`, `valueUnsignedInt`,
    /// `valuePositiveInt`), declared as `integer`.
    Integer,
    /// A count, zero or more.
    UnsignedInt,
    /// A count, one or more.
    PositiveInt,
    /// A date (`valueDate`; a `valueString` holding one is read too).
    Date,
    /// A moment with its offset (`valueDateTime`; a `valueInstant` or a
    /// `valueString` holding one is read too).
    DateTime,
    /// A number with a fraction (`valueDecimal`): a coordinate.
    Decimal,
    /// An amount of money in yuan: `valueDecimal`, or `valueMoney` in CNY.
    Amount,
    /// A `valueReference` to a resource of this type.
    Reference(&'static str),
}

impl ParamType {
    /// The type as an `OperationDefinition` names it.
    pub fn fhir_type(self) -> &'static str {
        match self {
            ParamType::Code => "code",
            ParamType::String => "string",
            ParamType::Boolean => "boolean",
            ParamType::Integer => "integer",
            ParamType::UnsignedInt => "unsignedInt",
            ParamType::PositiveInt => "positiveInt",
            ParamType::Date => "date",
            ParamType::DateTime => "dateTime",
            ParamType::Decimal => "decimal",
            ParamType::Amount => "decimal",
            ParamType::Reference(_) => "Reference",
        }
    }

    /// The `value[x]` suffixes a value of this type may be sent as, the
    /// usual one first.
    pub fn accepts(self) -> &'static [&'static str] {
        match self {
            ParamType::Code => &["Code", "String", "Coding"],
            ParamType::String => &["String", "Markdown", "Code"],
            ParamType::Boolean => &["Boolean"],
            ParamType::Integer | ParamType::UnsignedInt | ParamType::PositiveInt => {
                &["Integer", "UnsignedInt", "PositiveInt"]
            }
            ParamType::Date => &["Date", "String"],
            ParamType::DateTime => &["DateTime", "Instant", "String"],
            ParamType::Decimal => &["Decimal", "Integer"],
            ParamType::Amount => &["Decimal", "Money"],
            ParamType::Reference(_) => &["Reference"],
        }
    }

    /// The type in words, for error messages and documentation.
    pub fn describe(self) -> String {
        match self {
            ParamType::Code => "a code".into(),
            ParamType::String => "a string".into(),
            ParamType::Boolean => "a boolean (true or false)".into(),
            ParamType::Integer => "an integer".into(),
            ParamType::UnsignedInt => "a count (0 or more)".into(),
            ParamType::PositiveInt => "a count (1 or more)".into(),
            ParamType::Date => "a date (YYYY-MM-DD)".into(),
            ParamType::DateTime => {
                "a date and time with its offset (2026-03-01T03:00:00+08:00)".into()
            }
            ParamType::Decimal => "a decimal number".into(),
            ParamType::Amount => "an amount in yuan (valueDecimal, or valueMoney in CNY)".into(),
            ParamType::Reference(t) => format!("a Reference to {t}"),
        }
    }
}

/// One input parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub ty: ParamType,
    /// 1 when the operation needs it.
    pub min: u32,
    /// How many times it may be given.
    pub max: u32,
    pub doc: &'static str,
}

impl Param {
    /// A parameter the operation can do without, given at most once.
    pub const fn optional(name: &'static str, ty: ParamType, doc: &'static str) -> Param {
        Param {
            name,
            ty,
            min: 0,
            max: 1,
            doc,
        }
    }

    /// A parameter the operation needs, given once.
    pub const fn required(name: &'static str, ty: ParamType, doc: &'static str) -> Param {
        Param {
            name,
            ty,
            min: 1,
            max: 1,
            doc,
        }
    }

    /// `name (type)`, as a list of what an operation takes says it.
    pub fn summary(&self) -> String {
        let ty = match self.ty {
            ParamType::Reference(t) => format!("Reference({t})"),
            ParamType::Amount => "decimal or Money".into(),
            other => other.fhir_type().into(),
        };
        let required = if self.min > 0 { ", required" } else { "" };
        format!("{} ({ty}{required})", self.name)
    }

    /// The `OperationDefinition.parameter` of this input.
    pub fn definition(&self) -> Value {
        let mut p = json!({
            "name": self.name,
            "use": "in",
            "min": self.min,
            "max": self.max.to_string(),
            "type": self.ty.fhir_type(),
            "documentation": format!("{} ({})", self.doc, self.ty.describe()),
        });
        if let ParamType::Reference(t) = self.ty {
            p["targetProfile"] = json!([format!("http://hl7.org/fhir/StructureDefinition/{t}")]);
        }
        p
    }
}

/// One named operation: where it is invoked, how, and what it takes.
#[derive(Debug, PartialEq, Eq)]
pub struct Operation {
    /// The `OperationDefinition` id: `Type-code`, or the code for an
    /// operation of the whole server.
    pub id: &'static str,
    /// What follows the `$`.
    pub code: &'static str,
    /// The resource types it is invoked on (empty: the server only).
    pub resource: &'static [&'static str],
    /// Invoked on the server's base (`/$code`).
    pub system: bool,
    /// Invoked on a type (`/Type/$code`).
    pub type_level: bool,
    /// Invoked on one resource (`/Type/{id}/$code`).
    pub instance: bool,
    /// Answers GET, its parameters in the query string.
    pub get: bool,
    /// Answers POST, its parameters in a `Parameters` body.
    pub post: bool,
    /// What it does, as the CapabilityStatement documents it.
    pub doc: &'static str,
    pub params: &'static [Param],
}

impl Operation {
    /// Its canonical URL, the CapabilityStatement's `operation.definition`.
    pub fn url(&self) -> String {
        format!("{DEFINITION_BASE}/{}", self.id)
    }

    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// What it takes, in words: `slot (Reference(Slot)), beds (...)`.
    pub fn takes(&self) -> String {
        if self.params.is_empty() {
            return "no parameters".into();
        }
        self.params
            .iter()
            .map(Param::summary)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The CapabilityStatement's entry for it.
    pub fn capability(&self) -> Value {
        json!({"name": self.code, "definition": self.url(), "documentation": self.doc})
    }

    /// Its `OperationDefinition` (FHIR JSON has no empty arrays: an
    /// operation of the server alone has no `resource`, one that takes
    /// nothing no `parameter`).
    pub fn definition(&self) -> Value {
        let mut d = json!({
            "resourceType": "OperationDefinition",
            "id": self.id,
            "url": self.url(),
            "name": computer_name(self.id),
            "title": format!("${}", self.code),
            "status": "active",
            "kind": "operation",
            "publisher": "tiercare",
            "description": self.doc,
            "affectsState": !self.get,
            "code": self.code,
            "resource": self.resource,
            "system": self.system,
            "type": self.type_level,
            "instance": self.instance,
            "parameter": self.params.iter().map(Param::definition).collect::<Vec<_>>(),
        });
        if let Value::Object(map) = &mut d {
            map.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
        }
        d
    }
}

/// An `OperationDefinition.name`: the id in CamelCase
/// (`ServiceRequest-return-with-advice` is `ServiceRequestReturnWithAdvice`).
fn computer_name(id: &str) -> String {
    id.split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The operation whose `OperationDefinition` has this id.
pub fn find(id: &str) -> Option<&'static Operation> {
    ALL.iter().copied().find(|o| o.id == id)
}

/// The operation a CapabilityStatement `definition` URL names.
pub fn by_url(url: &str) -> Option<&'static Operation> {
    find(url.strip_prefix(DEFINITION_BASE)?.strip_prefix('/')?)
}

/// Every `OperationDefinition`, for the `OperationDefinition` search.
pub fn definitions() -> Vec<Value> {
    ALL.iter().map(|o| o.definition()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_operation_is_invoked_somewhere() {
        let mut ids: Vec<&str> = ALL.iter().map(|o| o.id).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "an id is declared twice");
        for o in ALL {
            assert!(o.system || o.type_level || o.instance, "{}", o.id);
            assert!(o.get || o.post, "{}", o.id);
            assert!(
                (o.type_level || o.instance) != o.resource.is_empty(),
                "{}",
                o.id
            );
            assert!(tiercare_core::check_id(o.id).is_ok(), "{}", o.id);
            let mut names: Vec<&str> = o.params.iter().map(|p| p.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), o.params.len(), "{}: a parameter twice", o.id);
        }
    }

    #[test]
    fn the_capability_statement_declares_each_operation_once() {
        let statement = crate::capability::statement("http://x/fhir/r4");
        let rest = &statement["rest"][0];
        let mut urls: Vec<String> = rest["resource"]
            .as_array()
            .unwrap()
            .iter()
            .chain(std::iter::once(rest))
            .flat_map(|r| r["operation"].as_array().cloned().unwrap_or_default())
            .map(|o| o["definition"].as_str().unwrap().to_string())
            .collect();
        urls.sort();
        let mut declared: Vec<String> = ALL.iter().map(|o| o.url()).collect();
        declared.sort();
        assert_eq!(urls, declared);
    }

    #[test]
    fn a_definition_lists_each_parameter_with_its_type_and_cardinality() {
        let d = SERVICE_REQUEST_BOOK.definition();
        assert_eq!(d["url"], format!("{DEFINITION_BASE}/ServiceRequest-book"));
        assert_eq!(d["name"], "ServiceRequestBook");
        assert_eq!(d["affectsState"], true);
        assert_eq!(d["instance"], true);
        let slot = &d["parameter"][0];
        assert_eq!(slot["name"], "slot");
        assert_eq!(slot["use"], "in");
        assert_eq!(slot["min"], 0);
        assert_eq!(slot["max"], "1");
        assert_eq!(slot["type"], "Reference");
        assert_eq!(
            slot["targetProfile"][0],
            "http://hl7.org/fhir/StructureDefinition/Slot"
        );
        assert_eq!(
            by_url(&SERVICE_REQUEST_BOOK.url()),
            Some(&SERVICE_REQUEST_BOOK)
        );
        assert_eq!(by_url("http://hl7.org/fhir/OperationDefinition/x"), None);
    }
}
