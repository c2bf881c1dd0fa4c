//! Every FHIR JSON body is read here, in one linear pass, before any
//! resource parser sees it: a key that appears twice in one object is
//! refused (a plain JSON reader keeps the last, so the server would store
//! what another reader of the same body does not see), every string and
//! key must follow FHIR's `string` rule within tiercare's lengths
//! ([`crate::limits`]), and elements whose name fixes a date type
//! (`birthDate`, `valueDate`, `…DateTime`, `…Instant`) must hold one. A
//! refusal names the element, e.g. `Patient.name[0].family`.

use crate::primitives::{self, PrimitiveError};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;
use tiercare_service::ServiceError;

/// Parses a request body as FHIR JSON, refusing duplicate keys, control
/// characters, over-long strings and malformed dates with the element's
/// path.
pub fn read_body(bytes: &[u8]) -> Result<Value, ServiceError> {
    let mut state = State::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = Node { st: &mut state }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match (parsed, state.failure) {
        (Ok(v), _) => Ok(v),
        (Err(_), Some(Failure { path, message })) => {
            let element = format!("{}{path}", root_name(bytes));
            Err(ServiceError::invalid(
                element.clone(),
                format!("{element}: {message}"),
            ))
        }
        (Err(e), None) => Err(ServiceError::invalid(
            "body",
            format!("the body is not valid JSON: {e}"),
        )),
    }
}

/// The body's `resourceType`, which a path starts from; `$` when it has
/// none. Only read when a body is refused, so its cost is no concern.
fn root_name(bytes: &[u8]) -> String {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| v.get("resourceType")?.as_str().map(str::to_string))
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "$".to_string())
}

/// One step of the path from the body's root to the element being read.
enum Step {
    Key(String),
    Index(usize),
}

/// The first thing refused: the path below the root and why.
struct Failure {
    path: String,
    message: String,
}

#[derive(Default)]
struct State {
    path: Vec<Step>,
    failure: Option<Failure>,
}

impl State {
    /// The path so far, as `.name[0].family`.
    fn path_text(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            match step {
                Step::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// The names of the innermost element and the element around it
    /// (array positions skipped): what decides a string's limits.
    fn element_and_parent(&self) -> (Option<&str>, Option<&str>) {
        let mut keys = self.path.iter().rev().filter_map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Index(_) => None,
        });
        (keys.next(), keys.next())
    }

    /// Records why the body is refused; the error returned to serde only
    /// stops the reading.
    fn fail<E: de::Error>(&mut self, message: String) -> E {
        self.failure = Some(Failure {
            path: self.path_text(),
            message,
        });
        E::custom("refused")
    }

    /// Checks a string value at the current path.
    fn check_value<E: de::Error>(&mut self, text: &str) -> Result<(), E> {
        let (name, parent) = self.element_and_parent();
        let max = name.map_or(crate::limits::MAX_STRING_CHARS, |n| {
            primitives::max_chars(n, parent)
        });
        let kind = name.and_then(primitives::date_kind);
        let checked = primitives::check_string(text, max)
            .and_then(|()| kind.map_or(Ok(()), |k| k.check(text)));
        checked.map_err(|e: PrimitiveError| self.fail(e.to_string()))
    }
}

/// Reads one JSON value at the path in `st`.
struct Node<'s> {
    st: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.st.check_value(v)?;
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.st.check_value(&v)?;
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            self.st.path.push(Step::Index(out.len()));
            let next = seq.next_element_seed(Node { st: &mut *self.st });
            self.st.path.pop();
            match next? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                let at = self.st.path_text();
                let within = if at.is_empty() {
                    "the body".to_string()
                } else {
                    format!("the object at {}", at.trim_start_matches('.'))
                };
                self.st.path.push(Step::Key(key.clone()));
                return Err(self.st.fail(format!(
                    "the key {key:?} appears twice in {within}; a FHIR object holds each element once"
                )));
            }
            self.st.path.push(Step::Key(key));
            if let Some(Step::Key(k)) = self.st.path.last()
                && let Err(e) = primitives::check_string(k, crate::limits::MAX_STRING_CHARS)
            {
                return Err(self.st.fail(format!("the element name is refused: {e}")));
            }
            let value = map.next_value_seed(Node { st: &mut *self.st });
            let key = match self.st.path.pop() {
                Some(Step::Key(k)) => k,
                _ => return Err(de::Error::custom("the path lost its place")),
            };
            out.insert(key, value?);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(body: &str) -> (String, String) {
        match read_body(body.as_bytes()) {
            Err(ServiceError::Invalid { message, field }) => (field.unwrap_or_default(), message),
            other => panic!("expected a refusal of {body}, got {other:?}"),
        }
    }

    #[test]
    fn a_sound_body_reads_as_serde_json_reads_it() {
        let body = r#"{"resourceType":"Patient","name":[{"family":"王","given":["芳"]}],
            "birthDate":"1950-05-06","multipleBirthInteger":2,"x":-1.5,"y":null,"z":true}"#;
        let ours = read_body(body.as_bytes()).unwrap();
        let theirs: Value = serde_json::from_str(body).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_duplicate_key_is_refused_with_its_path() {
        let (field, message) =
            refused(r#"{"resourceType":"Patient","name":[{"family":"A","family":"B"}]}"#);
        assert_eq!(field, "Patient.name[0].family");
        assert!(
            message.contains("appears twice in the object at name[0]"),
            "{message}"
        );
        let (field, _) = refused(r#"{"id":"a","resourceType":"Patient","id":"b"}"#);
        assert_eq!(field, "Patient.id");
    }

    #[test]
    fn control_characters_and_long_strings_are_refused_with_their_path() {
        let (field, message) =
            refused(r#"{"resourceType":"Patient","name":[{"given":["ok","a\u0000b"]}]}"#);
        assert_eq!(field, "Patient.name[0].given[1]");
        assert!(message.contains("U+0000"), "{message}");
        let long = "x".repeat(crate::limits::MAX_STRING_CHARS + 1);
        let body = json!({"resourceType": "Patient", "name": [{"family": long}]}).to_string();
        let (field, message) = refused(&body);
        assert_eq!(field, "Patient.name[0].family");
        assert!(message.contains("at most 4096"), "{message}");
        // The same length is fine as a note's text.
        let body = json!({"resourceType": "ServiceRequest", "note": [{"text": long}]});
        assert!(read_body(body.to_string().as_bytes()).is_ok());
        // Tab and line ends are text.
        assert!(read_body(br#"{"a":"line\r\n\tnext"}"#).is_ok());
        let (field, _) = refused(r#"{"a\u0007":1}"#);
        assert_eq!(field, "$.a\u{7}");
    }

    #[test]
    fn elements_typed_by_their_name_must_hold_their_date_type() {
        let (field, message) = refused(r#"{"resourceType":"Patient","birthDate":"0000-01-01"}"#);
        assert_eq!(field, "Patient.birthDate");
        assert!(message.contains("not a FHIR date"), "{message}");
        let (field, _) = refused(
            r#"{"resourceType":"Parameters","parameter":[{"name":"d","valueDate":"2026-02-30"}]}"#,
        );
        assert_eq!(field, "Parameters.parameter[0].valueDate");
        let (field, _) =
            refused(r#"{"resourceType":"Observation","effectiveDateTime":"2026-01-01T25:00:00Z"}"#);
        assert_eq!(field, "Observation.effectiveDateTime");
    }

    #[test]
    fn malformed_json_is_still_a_json_error() {
        let (field, message) = refused(r#"{"a":1"#);
        assert_eq!(field, "body");
        assert!(
            message.starts_with("the body is not valid JSON"),
            "{message}"
        );
        let (field, _) = refused(r#"{"a":1} trailing"#);
        assert_eq!(field, "body");
    }
}
