//! The API's one error type. Every variant maps to one HTTP status and a
//! FHIR `OperationOutcome` that names the problem; internal errors are
//! logged with context and never shown to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tiercare_service::ServiceError;
use tiercare_store::StoreError;

/// Something the client should be told about.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed request: bad JSON, wrong structure, bad parameter.
    #[error("{message}")]
    Invalid {
        message: String,
        expression: Option<String>,
    },
    /// Well-formed but breaks a rule: unknown code, dangling reference.
    #[error("{message}")]
    Unprocessable {
        message: String,
        expression: Option<String>,
    },
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` named a version that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    /// Over one of the server's limits other than the body's size (a
    /// Bundle's entries); the message names the limit.
    #[error("{0}")]
    OverLimit(String),
    /// The request ran past its deadline before writing anything.
    #[error(
        "the request took too long and was stopped before it changed anything; it is safe to retry"
    )]
    Timeout,
    /// Too many failed attempts: try again after `retry_after` seconds.
    #[error("{message}")]
    Throttled { message: String, retry_after: u64 },
    /// The server is at capacity for this kind of request; try again soon.
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A structural error about one element of the input.
    pub fn invalid(expression: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            message: message.into(),
            expression: Some(expression.into()),
        }
    }

    /// A business-rule error about one element of the input.
    pub fn rule(expression: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable {
            message: message.into(),
            expression: Some(expression.into()),
        }
    }

    /// HTTP status and FHIR issue code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Invalid { .. } => (StatusCode::BAD_REQUEST, "invalid"),
            ApiError::Unprocessable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "processing"),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "login"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PreconditionFailed(_) => (StatusCode::PRECONDITION_FAILED, "conflict"),
            ApiError::TooLarge(_) | ApiError::OverLimit(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "too-costly")
            }
            ApiError::Timeout => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            ApiError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "throttled"),
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "transient"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not-supported")
            }
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "not-supported"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "exception"),
        }
    }

    /// The error as a FHIR `OperationOutcome`.
    pub fn outcome(&self) -> serde_json::Value {
        let (_, code) = self.status_and_code();
        let mut issue = json!({
            "severity": "error",
            "code": code,
            "diagnostics": self.to_string(),
        });
        if let ApiError::Invalid {
            expression: Some(e),
            ..
        }
        | ApiError::Unprocessable {
            expression: Some(e),
            ..
        } = self
        {
            issue["expression"] = json!([e]);
        }
        json!({ "resourceType": "OperationOutcome", "issue": [issue] })
    }
}

impl From<StoreError> for ApiError {
    /// The same meaning as for the services, so a store error reads alike
    /// whichever layer met it.
    fn from(e: StoreError) -> ApiError {
        ApiError::from(ServiceError::from(e))
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::Invalid { message, field } => ApiError::Invalid {
                message,
                expression: field,
            },
            ServiceError::Rule { message, field } => ApiError::Unprocessable {
                message,
                expression: field,
            },
            ServiceError::Forbidden(m) => ApiError::Forbidden(m),
            ServiceError::NotFound(m) => ApiError::NotFound(m),
            ServiceError::Conflict(m) => ApiError::Conflict(m),
            ServiceError::StaleVersion(m) => ApiError::PreconditionFailed(m),
            ServiceError::Unavailable(detail) => ApiError::Internal(detail),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let mut resp = (status, crate::body::FhirJson(self.outcome())).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        let retry_after = match &self {
            ApiError::Throttled { retry_after, .. } => Some(*retry_after),
            ApiError::Busy(_) => Some(1),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        resp
    }
}
