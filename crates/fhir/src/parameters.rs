//! Operation inputs from a FHIR `Parameters` body, read against the
//! operation's declaration ([`crate::operations`]).

use crate::operations::{Operation, Param, ParamType};
use serde_json::{Map, Value};
use tiercare_service::ServiceError;

/// One input, as the type its parameter is declared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A code, a string or a date (dates are checked by whoever reads
    /// them: some operations take `YYYY-MM`).
    Text(String),
    Flag(bool),
    Number(i64),
    /// Yuan as exact text (`"350.00"`).
    Amount(String),
    /// The id of the resource referred to (its type is the declared one).
    Reference(String),
}

/// The inputs of one operation, each checked against its declaration: a
/// handler gets values of the declared type and never has to wonder
/// whether a parameter was dropped because it came as another type.
#[derive(Debug)]
pub struct Inputs {
    operation: &'static Operation,
    values: Vec<(&'static Param, Input)>,
}

/// The `value[x]` of a parameter: the suffix after `value` and the value.
fn value_of(p: &Map<String, Value>) -> Option<(&str, &Value)> {
    p.iter()
        .find_map(|(k, v)| Some((k.strip_prefix("value")?, v)))
}

impl Inputs {
    /// Reads a `Parameters` body for `operation`: an unknown name, a value
    /// of another type, a missing required parameter or one given more
    /// often than declared is refused naming the parameter.
    pub fn read(operation: &'static Operation, body: &Value) -> Result<Inputs, ServiceError> {
        if body.get("resourceType").and_then(Value::as_str) != Some("Parameters") {
            return Err(ServiceError::invalid(
                "resourceType",
                "the body must be a Parameters resource",
            ));
        }
        let mut values = Vec::new();
        for p in crate::items(body, "parameter") {
            let name = p.get("name").and_then(Value::as_str).ok_or_else(|| {
                ServiceError::invalid("Parameters.parameter.name", "every parameter needs a name")
            })?;
            let param = operation
                .param(name)
                .ok_or_else(|| unknown(operation, name))?;
            let (ty, value) = p.as_object().and_then(value_of).ok_or_else(|| {
                ServiceError::invalid(
                    format!("Parameters.parameter[{name}]"),
                    "a value is required",
                )
            })?;
            values.push((param, typed(param, ty, value)?));
        }
        Inputs::checked(operation, values)
    }

    /// Reads the query string of an operation invoked by GET, against the
    /// same declaration: unknown names, repeats beyond the max, missing
    /// required parameters and values that are not of the declared type
    /// (`true`/`false`, a whole number, `Type/id` or an id) are refused
    /// naming the parameter. `_format` and `_pretty` are the server's.
    pub fn from_query(
        operation: &'static Operation,
        pairs: &[(String, String)],
    ) -> Result<Inputs, ServiceError> {
        let mut values = Vec::new();
        for (name, text) in pairs {
            if name == "_format" || name == "_pretty" {
                continue;
            }
            let param = operation
                .param(name)
                .ok_or_else(|| unknown(operation, name))?;
            values.push((param, from_text(param, text)?));
        }
        Inputs::checked(operation, values)
    }

    /// No inputs (an empty body): refused if the operation needs one.
    pub fn none(operation: &'static Operation) -> Result<Inputs, ServiceError> {
        Inputs::checked(operation, Vec::new())
    }

    fn checked(
        operation: &'static Operation,
        values: Vec<(&'static Param, Input)>,
    ) -> Result<Inputs, ServiceError> {
        for param in operation.params {
            let given = values.iter().filter(|(p, _)| p.name == param.name).count();
            if given < param.min as usize {
                return Err(ServiceError::invalid(
                    param.name,
                    format!(
                        "parameter {} is required: ${} takes {}",
                        param.name,
                        operation.code,
                        operation.takes()
                    ),
                ));
            }
            if given > param.max as usize {
                return Err(ServiceError::invalid(
                    param.name,
                    format!(
                        "{} is given {given} times; ${} takes it at most {}",
                        param.name,
                        operation.code,
                        if param.max == 1 {
                            "once".to_string()
                        } else {
                            format!("{} times", param.max)
                        }
                    ),
                ));
            }
        }
        Ok(Inputs { operation, values })
    }

    pub fn operation(&self) -> &'static Operation {
        self.operation
    }

    fn first(&self, name: &str) -> Option<&Input> {
        self.values
            .iter()
            .find(|(p, _)| p.name == name)
            .map(|(_, v)| v)
    }

    /// Whether the parameter was given.
    pub fn has(&self, name: &str) -> bool {
        self.first(name).is_some()
    }

    /// A code, string or date parameter.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.first(name)? {
            Input::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Every value of a repeated code, string or date parameter, in order.
    pub fn texts(&self, name: &str) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(p, _)| p.name == name)
            .filter_map(|(_, v)| match v {
                Input::Text(s) => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }

    /// A required code, string or date parameter (present once read).
    pub fn required_text(&self, name: &str) -> Result<&str, ServiceError> {
        self.text(name)
            .ok_or_else(|| ServiceError::invalid(name, format!("parameter {name} is required")))
    }

    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.first(name)? {
            Input::Flag(b) => Some(*b),
            _ => None,
        }
    }

    /// A whole number as sent (`integer`).
    pub fn number(&self, name: &str) -> Option<i64> {
        match self.first(name)? {
            Input::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A decimal parameter, read as a number (checked finite when read).
    pub fn decimal(&self, name: &str) -> Result<Option<f64>, ServiceError> {
        match self.first(name) {
            Some(Input::Text(t)) => t
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Some)
                .ok_or_else(|| {
                    ServiceError::invalid(name, format!("{name} is a decimal number, not {t:?}"))
                }),
            _ => Ok(None),
        }
    }

    /// A count (`unsignedInt`, `positiveInt`), refused if it does not fit.
    pub fn count(&self, name: &str) -> Result<Option<u32>, ServiceError> {
        match self.first(name) {
            Some(Input::Number(n)) => u32::try_from(*n)
                .map(Some)
                .map_err(|_| ServiceError::invalid(name, format!("{n} is not a count"))),
            _ => Ok(None),
        }
    }

    /// An amount in yuan as exact text.
    pub fn amount(&self, name: &str) -> Option<&str> {
        match self.first(name)? {
            Input::Amount(a) => Some(a),
            _ => None,
        }
    }

    /// The id a reference parameter points to.
    pub fn reference(&self, name: &str) -> Option<&str> {
        match self.first(name)? {
            Input::Reference(id) => Some(id),
            _ => None,
        }
    }

    /// A required reference parameter's id.
    pub fn required_reference(&self, name: &str) -> Result<&str, ServiceError> {
        self.reference(name)
            .ok_or_else(|| ServiceError::invalid(name, format!("parameter {name} is required")))
    }

    /// The inputs written as a query string writes them (`Type/id` for a
    /// reference, `true`, `12`, `350.00`), for operations that take the
    /// same inputs by GET and read them from text: their types have been
    /// checked here already.
    pub fn as_query(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .map(|(p, v)| {
                let text = match (v, p.ty) {
                    (Input::Reference(id), ParamType::Reference(t)) => format!("{t}/{id}"),
                    (Input::Text(s) | Input::Amount(s) | Input::Reference(s), _) => s.clone(),
                    (Input::Flag(b), _) => b.to_string(),
                    (Input::Number(n), _) => n.to_string(),
                };
                (p.name.to_string(), text)
            })
            .collect()
    }
}

fn unknown(operation: &Operation, name: &str) -> ServiceError {
    ServiceError::invalid(
        name,
        if operation.params.is_empty() {
            format!("${} takes no parameters, not {name:?}", operation.code)
        } else {
            format!(
                "unknown parameter {name:?}; ${} takes {}",
                operation.code,
                operation.takes()
            )
        },
    )
}

/// A query-string value, read as `param` declares it.
fn from_text(param: &Param, text: &str) -> Result<Input, ServiceError> {
    let name = param.name;
    let refused = || {
        ServiceError::invalid(
            name,
            format!("{name} is {}, not {text:?}", param.ty.describe()),
        )
    };
    Ok(match param.ty {
        ParamType::Code | ParamType::String | ParamType::Date | ParamType::DateTime => {
            Input::Text(text.to_string())
        }
        ParamType::Decimal => {
            let n: f64 = text.parse().map_err(|_| refused())?;
            if !n.is_finite() {
                return Err(refused());
            }
            Input::Text(text.to_string())
        }
        ParamType::Boolean => match text {
            "true" => Input::Flag(true),
            "false" => Input::Flag(false),
            _ => return Err(refused()),
        },
        ParamType::Integer | ParamType::UnsignedInt | ParamType::PositiveInt => {
            let n: i64 = text.parse().map_err(|_| refused())?;
            let least = match param.ty {
                ParamType::PositiveInt => 1,
                ParamType::UnsignedInt => 0,
                _ => i64::MIN,
            };
            if n < least {
                return Err(refused());
            }
            Input::Number(n)
        }
        ParamType::Amount => Input::Amount(text.to_string()),
        ParamType::Reference(t) => {
            let id = text
                .strip_prefix(t)
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or(text);
            tiercare_core::check_id(id).map_err(|e| {
                ServiceError::invalid(name, format!("{name} is a reference to {t}: {e}"))
            })?;
            Input::Reference(id.to_string())
        }
    })
}

/// A value sent as `value{ty}`, read as `param` declares it.
fn typed(param: &Param, ty: &str, value: &Value) -> Result<Input, ServiceError> {
    let name = param.name;
    if !param.ty.accepts().contains(&ty) {
        return Err(ServiceError::invalid(
            name,
            format!(
                "{name} is {}: send {}, not value{ty}",
                param.ty.describe(),
                param
                    .ty
                    .accepts()
                    .iter()
                    .map(|t| format!("value{t}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ));
    }
    let malformed = |what: &str| {
        ServiceError::invalid(
            name,
            format!("value{ty} of {name} must be {what}, not {value}"),
        )
    };
    Ok(match param.ty {
        ParamType::Decimal => match value {
            Value::Number(n) => Input::Text(n.to_string()),
            _ => return Err(malformed("a number")),
        },
        ParamType::Code | ParamType::String | ParamType::Date | ParamType::DateTime => {
            let text = match (ty, value) {
                ("Coding", Value::Object(c)) => c
                    .get("code")
                    .and_then(Value::as_str)
                    .ok_or_else(|| malformed("a Coding with a code"))?,
                (_, Value::String(s)) => s.as_str(),
                _ => return Err(malformed("a string")),
            };
            Input::Text(text.to_string())
        }
        ParamType::Boolean => {
            Input::Flag(value.as_bool().ok_or_else(|| malformed("true or false"))?)
        }
        ParamType::Integer | ParamType::UnsignedInt | ParamType::PositiveInt => {
            let n = value.as_i64().ok_or_else(|| malformed("a whole number"))?;
            let least = match (param.ty, ty) {
                (ParamType::PositiveInt, _) | (_, "PositiveInt") => Some(1),
                (ParamType::UnsignedInt, _) | (_, "UnsignedInt") => Some(0),
                _ => None,
            };
            if least.is_some_and(|least| n < least) {
                return Err(ServiceError::invalid(
                    name,
                    format!("{name} is {}, not {n}", param.ty.describe()),
                ));
            }
            Input::Number(n)
        }
        ParamType::Amount => Input::Amount(amount(name, ty, value)?),
        ParamType::Reference(t) => {
            let reference = value
                .get("reference")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("a Reference with a reference"))?;
            let r = crate::datatypes::Reference {
                reference: Some(reference.to_string()),
                ..Default::default()
            };
            Input::Reference(crate::reference_id(&r, &[t], name)?.1)
        }
    })
}

/// An amount of money in yuan as exact text, from a `valueDecimal` or a
/// `valueMoney` in CNY.
fn amount(name: &str, ty: &str, v: &Value) -> Result<String, ServiceError> {
    let number = match (ty, v) {
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
                format!("value{ty} of {name} must be a number of yuan, not {v}"),
            ));
        }
    };
    Ok(number.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::{
        CODE_SYSTEM_TRIAGE, ENCOUNTER_FINISH, SCHEDULE_HOLD, SERVICE_REQUEST_ACCEPT,
        SERVICE_REQUEST_BOOK, SERVICE_REQUEST_DECLINE,
    };
    use serde_json::json;

    fn body(list: Value) -> Value {
        json!({"resourceType": "Parameters", "parameter": list})
    }

    fn refused(op: &'static Operation, list: Value) -> String {
        match Inputs::read(op, &body(list)) {
            Ok(i) => panic!("accepted: {i:?}"),
            Err(e) => format!("{e:?}"),
        }
    }

    #[test]
    fn an_amount_is_read_as_the_decimal_or_money_it_was_sent_as() {
        let d = Inputs::read(
            &ENCOUNTER_FINISH,
            &body(json!([{"name": "charge", "valueDecimal": 350.5}])),
        )
        .unwrap();
        assert_eq!(d.amount("charge"), Some("350.5"));
        let m = Inputs::read(
            &ENCOUNTER_FINISH,
            &body(json!([{"name": "charge", "valueMoney": {"value": 12, "currency": "CNY"}}])),
        )
        .unwrap();
        assert_eq!(m.amount("charge"), Some("12"));
        assert_eq!(m.as_query(), vec![("charge".to_string(), "12".to_string())]);
        let usd = refused(
            &ENCOUNTER_FINISH,
            json!([{"name": "charge", "valueMoney": {"value": 12, "currency": "USD"}}]),
        );
        assert!(usd.contains("charge.currency"), "{usd}");
        let s = refused(
            &ENCOUNTER_FINISH,
            json!([{"name": "charge", "valueString": "350.00"}]),
        );
        assert!(s.contains("valueString") && s.contains("charge"), "{s}");
        let none = Inputs::none(&ENCOUNTER_FINISH).unwrap();
        assert_eq!(none.amount("charge"), None);
    }

    #[test]
    fn a_number_or_boolean_sent_for_a_text_is_refused_naming_the_parameter() {
        for wrong in [
            json!({"valueInteger": 3}),
            json!({"valueDecimal": 1.5}),
            json!({"valueBoolean": true}),
        ] {
            let mut p = wrong.clone();
            p["name"] = json!("reason");
            let e = refused(&SERVICE_REQUEST_DECLINE, json!([p]));
            assert!(e.contains("reason") && e.contains("valueCode"), "{e}");
        }
        let ok = Inputs::read(
            &SERVICE_REQUEST_DECLINE,
            &body(json!([{"name": "reason", "valueCoding": {"code": "other"}},
                         {"name": "comment", "valueString": "full"}])),
        )
        .unwrap();
        assert_eq!(ok.text("reason"), Some("other"));
        assert_eq!(ok.text("comment"), Some("full"));
    }

    #[test]
    fn unknown_missing_and_repeated_parameters_are_refused() {
        let e = refused(
            &SERVICE_REQUEST_BOOK,
            json!([{"name": "slto", "valueString": "x"}]),
        );
        assert!(
            e.contains("slto") && e.contains("slot (Reference(Slot))"),
            "{e}"
        );
        let e = refused(
            &SERVICE_REQUEST_ACCEPT,
            json!([{"name": "why", "valueString": "x"}]),
        );
        assert!(e.contains("takes no parameters"), "{e}");
        let e = refused(
            &SERVICE_REQUEST_DECLINE,
            json!([{"name": "comment", "valueString": "x"}]),
        );
        assert!(e.contains("reason is required"), "{e}");
        assert!(format!("{:?}", Inputs::none(&SERVICE_REQUEST_DECLINE)).contains("reason"));
        let e = refused(
            &SERVICE_REQUEST_DECLINE,
            json!([{"name": "reason", "valueCode": "other"}, {"name": "reason", "valueCode": "no-capacity"}]),
        );
        assert!(e.contains("given 2 times"), "{e}");
        let e = refused(&SERVICE_REQUEST_DECLINE, json!([{"name": "reason"}]));
        assert!(e.contains("a value is required"), "{e}");
    }

    #[test]
    fn a_query_string_is_read_against_the_same_declaration() {
        use crate::operations::{CARE_PLAN_DUE, ESTIMATE, ORGANIZATION_BUDGET};
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let due = Inputs::from_query(
            &CARE_PLAN_DUE,
            &pairs(&[("practitioner", "Practitioner/d-1"), ("_format", "json")]),
        )
        .unwrap();
        assert_eq!(due.reference("practitioner"), Some("d-1"));
        let e = format!(
            "{:?}",
            Inputs::from_query(&CARE_PLAN_DUE, &pairs(&[("doctor", "d-1")]))
        );
        assert!(e.contains("doctor") && e.contains("practitioner"), "{e}");
        let e = format!(
            "{:?}",
            Inputs::from_query(&ESTIMATE, &pairs(&[("total", "1"), ("emergency", "maybe")]))
        );
        assert!(e.contains("emergency") && e.contains("maybe"), "{e}");
        let e = format!(
            "{:?}",
            Inputs::from_query(&ESTIMATE, &pairs(&[("scheme", "urrbmi")]))
        );
        assert!(e.contains("total is required"), "{e}");
        let e = format!(
            "{:?}",
            Inputs::from_query(
                &ORGANIZATION_BUDGET,
                &pairs(&[("year", "2026"), ("year", "2027")])
            )
        );
        assert!(e.contains("given 2 times"), "{e}");
        let e = format!(
            "{:?}",
            Inputs::from_query(&ORGANIZATION_BUDGET, &pairs(&[("year", "soon")]))
        );
        assert!(e.contains("year") && e.contains("integer"), "{e}");
    }

    #[test]
    fn references_counts_and_flags_are_typed() {
        let b = Inputs::read(
            &SERVICE_REQUEST_BOOK,
            &body(json!([{"name": "slot", "valueReference": {"reference": "Slot/s-1"}}])),
        )
        .unwrap();
        assert_eq!(b.reference("slot"), Some("s-1"));
        assert_eq!(
            b.as_query(),
            vec![("slot".to_string(), "Slot/s-1".to_string())]
        );
        let e = refused(
            &SERVICE_REQUEST_BOOK,
            json!([{"name": "slot", "valueReference": {"reference": "Patient/p"}}]),
        );
        assert!(e.contains("slot") && e.contains("Slot"), "{e}");
        let e = refused(
            &SERVICE_REQUEST_BOOK,
            json!([{"name": "slot", "valueString": "Slot/s-1"}]),
        );
        assert!(e.contains("valueReference"), "{e}");
        let h = Inputs::read(
            &SCHEDULE_HOLD,
            &body(json!([{"name": "patients-seen", "valueUnsignedInt": 5}])),
        )
        .unwrap();
        assert_eq!(h.count("patients-seen").unwrap(), Some(5));
        assert_eq!(h.count("referrals-avoided").unwrap(), None);
        let e = refused(
            &SCHEDULE_HOLD,
            json!([{"name": "patients-seen", "valueInteger": -1}]),
        );
        assert!(e.contains("patients-seen"), "{e}");
        let e = refused(
            &SCHEDULE_HOLD,
            json!([{"name": "patients-seen", "valueString": "5"}]),
        );
        assert!(e.contains("valueString"), "{e}");
        let t = Inputs::read(
            &CODE_SYSTEM_TRIAGE,
            &body(json!([{"name": "code", "valueCode": "I10"}, {"name": "stable-chronic", "valueBoolean": true}])),
        )
        .unwrap();
        assert_eq!(t.flag("stable-chronic"), Some(true));
        let e = refused(
            &CODE_SYSTEM_TRIAGE,
            json!([{"name": "code", "valueCode": "I10"}, {"name": "stable-chronic", "valueString": "true"}]),
        );
        assert!(
            e.contains("stable-chronic") && e.contains("valueBoolean"),
            "{e}"
        );
        let e = refused(
            &CODE_SYSTEM_TRIAGE,
            json!([{"name": "code", "valueBoolean": "yes"}]),
        );
        assert!(e.contains("code"), "{e}");
    }
}
