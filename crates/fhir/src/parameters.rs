//! Operation inputs from a FHIR `Parameters` body.

use serde_json::Value;
use tiercare_service::ServiceError;

/// The inputs of an operation, from a FHIR `Parameters` body.
#[derive(Debug, Default)]
pub struct Parameters(Vec<(String, Value)>);

impl Parameters {
    pub fn read(body: &Value) -> Result<Parameters, ServiceError> {
        if body.get("resourceType").and_then(Value::as_str) != Some("Parameters") {
            return Err(ServiceError::invalid(
                "resourceType",
                "the body must be a Parameters resource",
            ));
        }
        let mut out = Vec::new();
        for p in crate::items(body, "parameter") {
            let name = p.get("name").and_then(Value::as_str).ok_or_else(|| {
                ServiceError::invalid("Parameters.parameter.name", "every parameter needs a name")
            })?;
            let value = p
                .as_object()
                .and_then(|o| {
                    o.iter()
                        .find(|(k, _)| k.starts_with("value"))
                        .map(|(_, v)| v.clone())
                })
                .ok_or_else(|| {
                    ServiceError::invalid(
                        format!("Parameters.parameter[{name}]"),
                        "a value is required",
                    )
                })?;
            out.push((name.to_string(), value));
        }
        Ok(Parameters(out))
    }

    /// Refuses parameters the operation does not take.
    pub fn only(&self, known: &[&str]) -> Result<(), ServiceError> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            Some((k, _)) => Err(ServiceError::invalid(
                k.as_str(),
                if known.is_empty() {
                    format!("this operation takes no parameters, not {k:?}")
                } else {
                    format!(
                        "unknown parameter {k:?}; this operation takes {}",
                        known.join(", ")
                    )
                },
            )),
            None => Ok(()),
        }
    }

    /// A text value (`valueString`, `valueCode`, or a coding's code).
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| match v {
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Object(o) => o
                    .get("code")
                    .or_else(|| o.get("reference"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                _ => None,
            })
    }

    /// A count (`valueUnsignedInt`, `valueInteger` or `valuePositiveInt`;
    /// a numeric string too), `None` when absent.
    pub fn count(&self, name: &str) -> Result<Option<u32>, ServiceError> {
        let Some((_, v)) = self.0.iter().find(|(k, _)| k == name) else {
            return Ok(None);
        };
        let n = match v {
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        n.map(Some)
            .ok_or_else(|| ServiceError::invalid(name, format!("{v} is not a count")))
    }

    pub fn required(&self, name: &str) -> Result<String, ServiceError> {
        self.get(name)
            .ok_or_else(|| ServiceError::invalid(name, format!("parameter {name} is required")))
    }

    /// The id of a `valueReference` (or a `Type/id` string) to `ty`.
    pub fn reference(&self, name: &str, ty: &str) -> Result<String, ServiceError> {
        let text = self.required(name)?;
        let r = super::datatypes::Reference {
            reference: Some(text),
            ..Default::default()
        };
        Ok(super::reference_id(&r, &[ty], name)?.1)
    }

    /// Every input as text, for operations whose inputs are all codes,
    /// strings or booleans.
    pub fn texts(&self) -> Result<Vec<(String, String)>, ServiceError> {
        self.0
            .iter()
            .map(|(name, _)| {
                self.get(name).map(|v| (name.clone(), v)).ok_or_else(|| {
                    ServiceError::invalid(
                        format!("Parameters.parameter({name})"),
                        "use valueCode, valueString, valueBoolean or valueCoding",
                    )
                })
            })
            .collect()
    }
}
