//! What every form that changes something shares: field errors shown next
//! to their field in the user's language, and a submission key so that a
//! double click or a resent form does the work once.
//!
//! A page validates what it can itself (required fields, numbers, dates)
//! with its own messages; what only the services can judge (a rule of the
//! referral loop, a slot already taken) comes back as a `ServiceError`
//! naming a field, which [`FieldErrors::from_service`] places next to the
//! form's field. Nothing is written when a form is refused: the services
//! write each change in one transaction.

use crate::i18n::Lang;
use tiercare_service::ServiceError;

/// Errors of one submitted form, by the form's field name.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    errors: Vec<(String, String)>,
}

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors::default()
    }

    /// Notes `message` against `field` (the first message per field wins).
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.errors.push((field.to_string(), message.into()));
        }
    }

    /// A field's error, for the template to show below it.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// `"true"` when the field has an error, for `aria-invalid`.
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.get(field).is_some() {
            "true"
        } else {
            "false"
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every error, in the order they were found.
    pub fn all(&self) -> &[(String, String)] {
        &self.errors
    }

    /// Places a service's refusal next to the form field it concerns.
    /// `fields` maps the start of a service field path (e.g. `"reason"`,
    /// `"slot"`) to the form's field name; a refusal naming none of them is
    /// shown against `fallback`. Refusals that are not about input (not
    /// found, forbidden, store trouble) are returned for the page's error
    /// handling instead.
    pub fn from_service(
        err: ServiceError,
        lang: Lang,
        fields: &[(&str, &str)],
        fallback: &str,
    ) -> Result<FieldErrors, ServiceError> {
        let (field, message) = match err {
            ServiceError::Invalid { field, message } | ServiceError::Rule { field, message } => {
                (field, message)
            }
            ServiceError::Conflict(message) | ServiceError::StaleVersion(message) => {
                (None, message)
            }
            other => return Err(other),
        };
        let target = fields
            .iter()
            .find(|(prefix, _)| {
                field
                    .as_deref()
                    .is_some_and(|f| !prefix.is_empty() && f.starts_with(prefix))
            })
            .map(|(_, form)| *form)
            .unwrap_or(fallback);
        let mut errors = FieldErrors::new();
        errors.add(target, lang.t_with("error-service", &[("detail", message)]));
        Ok(errors)
    }
}

/// A fresh submission key for a form's hidden `submission` field: the
/// handler derives the id of what it creates from it, so the same form
/// sent twice finds the first result instead of creating a second.
pub fn submission_key() -> String {
    tiercare_service::new_id()
}

/// A form field that must be filled, trimmed; notes `required` when empty.
pub fn required(
    errors: &mut FieldErrors,
    lang: Lang,
    field: &str,
    value: Option<&str>,
) -> Option<String> {
    let v = value.map(str::trim).unwrap_or("");
    if v.is_empty() {
        errors.add(field, lang.t("error-required"));
        None
    } else {
        Some(v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_refusal_lands_on_the_form_field_it_names() {
        let err = ServiceError::invalid("reasonCode[0]", "unknown condition X99");
        let errors =
            FieldErrors::from_service(err, Lang::En, &[("reason", "condition")], "form").unwrap();
        assert!(
            errors
                .get("condition")
                .unwrap()
                .contains("unknown condition X99")
        );
        assert_eq!(errors.invalid("condition"), "true");
        assert_eq!(errors.invalid("form"), "false");
        let other = ServiceError::invalid("whatever", "no");
        let errors =
            FieldErrors::from_service(other, Lang::Zh, &[("reason", "c")], "form").unwrap();
        assert!(errors.get("form").is_some());
        assert!(
            FieldErrors::from_service(ServiceError::NotFound("x".into()), Lang::Zh, &[], "f")
                .is_err()
        );
    }

    #[test]
    fn required_fields_are_trimmed_and_noted_when_empty() {
        let mut e = FieldErrors::new();
        assert_eq!(
            required(&mut e, Lang::Zh, "a", Some("  x ")),
            Some("x".into())
        );
        assert_eq!(required(&mut e, Lang::Zh, "b", Some("   ")), None);
        assert_eq!(required(&mut e, Lang::Zh, "c", None), None);
        assert_eq!(e.get("b"), Some("必填"));
        assert_eq!(e.all().len(), 2);
    }
}
