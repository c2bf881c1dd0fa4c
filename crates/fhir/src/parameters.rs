//! Operation inputs from a FHIR `Parameters` body.

use serde_json::Value;
use tiercare_service::ServiceError;

/// The inputs of an operation, from a FHIR `Parameters` body: each
/// parameter's name, the FHIR type its value was sent as (`valueDecimal`
/// gives `Decimal`) and the value. Readers ask for the type an operation
/// declares, so a value of another type is refused naming the parameter,
/// never dropped.
#[derive(Debug, Default)]
pub struct Parameters(Vec<(String, String, Value)>);

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
                        .find_map(|(k, v)| Some((k.strip_prefix("value")?.to_string(), v.clone())))
                })
                .ok_or_else(|| {
                    ServiceError::invalid(
                        format!("Parameters.parameter[{name}]"),
                        "a value is required",
                    )
                })?;
            out.push((name.to_string(), value.0, value.1));
        }
        Ok(Parameters(out))
    }

    /// Refuses parameters the operation does not take.
    pub fn only(&self, known: &[&str]) -> Result<(), ServiceError> {
        match self.0.iter().find(|(k, _, _)| !known.contains(&k.as_str())) {
            Some((k, _, _)) => Err(ServiceError::invalid(
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
            .find(|(k, _, _)| k == name)
            .and_then(|(_, _, v)| match v {
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
        let Some((_, _, v)) = self.0.iter().find(|(k, _, _)| k == name) else {
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

    /// An amount of money in yuan as exact text (`"350.00"`), declared as
    /// a decimal or Money: `valueDecimal`, or `valueMoney` in CNY. Any
    /// other type is refused naming the parameter; `None` when absent.
    pub fn amount(&self, name: &str) -> Result<Option<String>, ServiceError> {
        let Some((_, ty, v)) = self.0.iter().find(|(k, _, _)| k == name) else {
            return Ok(None);
        };
        let number = match (ty.as_str(), v) {
            ("Decimal", Value::Number(n)) => n,
            ("Money", Value::Object(m)) => {
                if let Some(c) = m.get("currency")
                    && c.as_str() != Some("CNY")
                {
                    return Err(ServiceError::invalid(
                        format!("{name}.currency"),
                        format!("{name} is in yuan: currency CNY, not {c}"),
                    ));
                }
                match m.get("value") {
                    Some(Value::Number(n)) => n,
                    _ => {
                        return Err(ServiceError::invalid(
                            format!("{name}.value"),
                            format!("{name} needs a value in yuan"),
                        ));
                    }
                }
            }
            _ => {
                return Err(ServiceError::invalid(
                    name,
                    format!(
                        "{name} is an amount in yuan: send valueDecimal or valueMoney (CNY), not value{ty}"
                    ),
                ));
            }
        };
        Ok(Some(number.to_string()))
    }

    /// Every input as text, for operations whose inputs are codes, strings
    /// or booleans, and amounts (`valueDecimal`, `valueMoney`) as yuan.
    pub fn texts(&self) -> Result<Vec<(String, String)>, ServiceError> {
        self.0
            .iter()
            .map(|(name, ty, _)| {
                if matches!(ty.as_str(), "Decimal" | "Money") {
                    return Ok((name.clone(), self.amount(name)?.unwrap_or_default()));
                }
                self.get(name).map(|v| (name.clone(), v)).ok_or_else(|| {
                    ServiceError::invalid(
                        format!("Parameters.parameter({name})"),
                        "use valueCode, valueString, valueBoolean, valueCoding, or valueDecimal or valueMoney for an amount",
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(p: Value) -> Parameters {
        Parameters::read(&json!({"resourceType": "Parameters", "parameter": [p]})).unwrap()
    }

    #[test]
    fn an_amount_is_read_as_the_decimal_or_money_it_was_sent_as() {
        let d = params(json!({"name": "charge", "valueDecimal": 350.5}));
        assert_eq!(d.amount("charge").unwrap().as_deref(), Some("350.5"));
        let m = params(json!({"name": "charge", "valueMoney": {"value": 12, "currency": "CNY"}}));
        assert_eq!(m.amount("charge").unwrap().as_deref(), Some("12"));
        let usd = params(json!({"name": "charge", "valueMoney": {"value": 12, "currency": "USD"}}));
        assert!(format!("{:?}", usd.amount("charge")).contains("charge.currency"));
        let s = params(json!({"name": "charge", "valueString": "350.00"}));
        assert!(format!("{:?}", s.amount("charge")).contains("valueString"));
        assert_eq!(d.amount("other").unwrap(), None);
        assert_eq!(
            m.texts().unwrap(),
            vec![("charge".to_string(), "12".to_string())]
        );
    }
}
