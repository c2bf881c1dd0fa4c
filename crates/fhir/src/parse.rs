//! What the resource parsers share: a reference read into a typed id,
//! required and known elements, and tiercare's codes and extensions, each
//! refused with the field path and message clients see.

use crate::datatypes;
use crate::typed_id;
use serde_json::Value;
use tiercare_service::ServiceError;

/// Reads `Type/id` (or a full URL ending in it) and checks the type.
pub fn reference_id(
    reference: &datatypes::Reference,
    expected: &[&str],
    field: &str,
) -> Result<(String, String), ServiceError> {
    let Some(text) = reference.reference.as_deref() else {
        return Err(ServiceError::invalid(
            field,
            "the reference has no 'reference' element",
        ));
    };
    let mut parts = text.rsplit('/');
    let (id, ty) = match (parts.next(), parts.next()) {
        (Some(id), Some(ty)) => (id, ty),
        _ => {
            return Err(ServiceError::invalid(
                field,
                format!("reference {text:?} is not of the form Type/id"),
            ));
        }
    };
    if !expected.contains(&ty) {
        return Err(ServiceError::invalid(
            field,
            format!("reference {text:?} must point to {}", expected.join(" or ")),
        ));
    }
    tiercare_core::check_id(id).map_err(|e| ServiceError::invalid(field, e.to_string()))?;
    Ok((ty.to_string(), id.to_string()))
}

/// The typed id behind a reference to one of `types`: all a parser keeps of
/// a reference.
pub fn referenced_id<T: std::str::FromStr<Err = tiercare_core::InvalidId>>(
    reference: &datatypes::Reference,
    types: &[&str],
    field: &str,
) -> Result<T, ServiceError> {
    typed_id(&reference_id(reference, types, field)?.1, field)
}

/// [`referenced_id`] of a reference the resource must have; `missing` says
/// what is needed when it is absent.
pub fn required_id<T: std::str::FromStr<Err = tiercare_core::InvalidId>>(
    reference: Option<&datatypes::Reference>,
    types: &[&str],
    field: &str,
    missing: &str,
) -> Result<T, ServiceError> {
    let reference = reference.ok_or_else(|| ServiceError::invalid(field, missing))?;
    referenced_id(reference, types, field)
}

/// Refuses a body with a top-level element outside `known`: what tiercare
/// does not store would otherwise be lost without a word.
pub fn only_elements(
    value: &Value,
    resource_type: &str,
    known: &[&str],
) -> Result<(), ServiceError> {
    if let Value::Object(map) = value
        && let Some(k) = map.keys().find(|k| !known.contains(&k.as_str()))
    {
        return Err(ServiceError::invalid(
            format!("{resource_type}.{k}"),
            format!("{resource_type}.{k} is not supported here and would be lost"),
        ));
    }
    Ok(())
}

/// The elements of the array `key` of a JSON body: none when it is absent
/// (or not an array), so a parser can walk an optional list in one loop.
pub(crate) fn items<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The id behind a required reference at `pointer` in `value`, checked to
/// point to one of `types`; a missing one is a 400 saying what is needed.
pub fn required_reference(
    value: &Value,
    pointer: &str,
    field: &str,
    types: &[&str],
    needed: &str,
) -> Result<String, ServiceError> {
    let r: datatypes::Reference = value
        .pointer(pointer)
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| ServiceError::invalid(field, e.to_string()))?
        .ok_or_else(|| ServiceError::invalid(field, format!("{needed} is required")))?;
    Ok(reference_id(&r, types, field)?.1)
}

/// A resource's required `name`: present and not blank.
pub fn required_name(name: Option<&String>, resource_type: &str) -> Result<String, ServiceError> {
    name.filter(|n| !n.trim().is_empty())
        .cloned()
        .ok_or_else(|| ServiceError::invalid(format!("{resource_type}.name"), "name is required"))
}

/// Parses a code from one of tiercare's code systems, naming the field.
pub fn our_code<T>(
    code: Option<&str>,
    field: &str,
    from_code: impl Fn(&str) -> Option<T>,
    system_name: &str,
) -> Result<T, ServiceError> {
    let Some(code) = code else {
        return Err(ServiceError::invalid(
            field,
            format!(
                "a coding from {} is required",
                datatypes::system(system_name)
            ),
        ));
    };
    from_code(code).ok_or_else(|| {
        ServiceError::rule(
            field,
            format!(
                "unknown code {code:?} in {}",
                datatypes::system(system_name)
            ),
        )
    })
}

/// Refuses extensions other than the named tiercare ones: what the server
/// cannot keep it must not silently drop.
pub fn only_extensions(
    list: &[datatypes::Extension],
    known: &[&str],
    field: &str,
) -> Result<(), ServiceError> {
    for e in list {
        if !known.iter().any(|n| e.url == datatypes::extension_url(n)) {
            return Err(ServiceError::invalid(
                field,
                format!("extension {} is not supported", e.url),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datatypes::Reference;
    use serde_json::json;
    use tiercare_core::PractitionerId;

    fn assert_refused<T: std::fmt::Debug>(got: Result<T, ServiceError>, want: ServiceError) {
        assert_eq!(format!("{:?}", got.unwrap_err()), format!("{want:?}"));
    }

    #[test]
    fn a_required_reference_names_what_is_missing_and_checks_its_type() {
        let missing = required_id::<PractitionerId>(
            None,
            &["Practitioner"],
            "X.member",
            "member is required",
        );
        assert_refused(
            missing,
            ServiceError::invalid("X.member", "member is required"),
        );
        let wrong = Reference::to("Patient", "p1");
        let err = required_id::<PractitionerId>(Some(&wrong), &["Practitioner"], "X.member", "-");
        assert_refused(
            err,
            ServiceError::invalid(
                "X.member",
                "reference \"Patient/p1\" must point to Practitioner",
            ),
        );
        let ok: PractitionerId =
            referenced_id(&Reference::to("Practitioner", "d1"), &["Practitioner"], "X").unwrap();
        assert_eq!(ok.as_str(), "d1");
    }

    #[test]
    fn a_blank_name_is_no_name_and_an_absent_list_has_no_items() {
        let blank = "  ".to_string();
        assert_refused(
            required_name(Some(&blank), "Location"),
            ServiceError::invalid("Location.name", "name is required"),
        );
        assert_eq!(
            required_name(Some(&"Ward".to_string()), "Location").unwrap(),
            "Ward"
        );
        assert_eq!(items(&json!({}), "entry").count(), 0);
        assert_eq!(items(&json!({"entry": [1, 2]}), "entry").count(), 2);
    }
}
