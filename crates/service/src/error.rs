//! The services' one error type.
//!
//! It says what went wrong in the caller's terms (which field, which rule,
//! which record) and nothing about how a face shows it: the HTTP face maps
//! each variant to a status and an `OperationOutcome`, the web pages to a
//! page. A store failure becomes [`ServiceError::Unavailable`], whose
//! detail is for the log and never for the caller.

use tiercare_store::StoreError;

/// Something the caller should be told about.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input cannot be read: a malformed value, a missing element.
    #[error("{message}")]
    Invalid {
        message: String,
        /// The element at fault, as a FHIRPath-like path
        /// (`ServiceRequest.subject`).
        field: Option<String>,
    },
    /// Well-formed, but it breaks a rule: an unknown code, a reference to
    /// nothing, a step the referral's state does not allow.
    #[error("{message}")]
    Rule {
        message: String,
        /// The element at fault, when one is.
        field: Option<String>,
    },
    /// The caller may not do this; the reason is shown to them.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The change collides with what is stored (a slot already booked, a
    /// record that already exists).
    #[error("{0}")]
    Conflict(String),
    /// The caller acted on a version that is no longer current.
    #[error("{0}")]
    StaleVersion(String),
    /// The store failed; the detail goes to the log only.
    #[error("internal error")]
    Unavailable(String),
}

impl ServiceError {
    /// An input error about one element.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A broken rule about one element.
    pub fn rule(field: impl Into<String>, message: impl Into<String>) -> ServiceError {
        ServiceError::Rule {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// The element at fault, when the error names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ServiceError::Invalid { field, .. } | ServiceError::Rule { field, .. } => {
                field.as_deref()
            }
            _ => None,
        }
    }
}

impl ServiceError {
    /// The error about the `i`-th record of a batch (a transaction
    /// bundle's entry `i`): the message says which, and the field is put
    /// under `Bundle.entry[i].resource`.
    pub fn in_entry(self, i: usize) -> ServiceError {
        let place = |field: Option<String>| {
            Some(format!(
                "Bundle.entry[{i}].resource.{}",
                field.unwrap_or_default()
            ))
        };
        match self {
            ServiceError::Invalid { message, field } => ServiceError::Invalid {
                message: format!("entry {i}: {message}"),
                field: place(field),
            },
            ServiceError::Rule { message, field } => ServiceError::Rule {
                message: format!("entry {i}: {message}"),
                field: place(field),
            },
            ServiceError::Forbidden(m) => ServiceError::Forbidden(format!("entry {i}: {m}")),
            ServiceError::Conflict(m) => ServiceError::Conflict(format!("entry {i}: {m}")),
            other => other,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> ServiceError {
        match e {
            StoreError::AlreadyExists { .. } | StoreError::UserExists(_) => {
                ServiceError::Conflict(e.to_string())
            }
            StoreError::NotFound { .. } => ServiceError::NotFound(e.to_string()),
            StoreError::VersionConflict { .. } => ServiceError::StaleVersion(e.to_string()),
            other => ServiceError::Unavailable(other.to_string()),
        }
    }
}
