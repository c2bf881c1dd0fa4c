//! The FHIR JSON bodies: every request body a FHIR handler reads comes
//! through [`json_body`], and every response goes out as [`FhirJson`].

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tiercare_fhir as fhir;

/// A JSON body sent as `application/fhir+json`.
pub struct FhirJson(pub Value);

impl IntoResponse for FhirJson {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        let mut resp = body.into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/fhir+json; charset=utf-8"),
        );
        resp
    }
}

/// Reads a FHIR request body: it must be declared as FHIR JSON (or plain
/// JSON) by `Content-Type`, else 415, since a body of unknown type is not
/// one the server may guess at; and it is parsed strictly
/// ([`fhir::strict_json::read_body`]: no duplicate keys, FHIR strings and
/// dates), every refusal a 400 naming the element.
pub fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Value, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(limit)
        } else {
            ApiError::invalid("body", e.body_text())
        }
    })?;
    check_media_type(headers)?;
    Ok(fhir::strict_json::read_body(&body)?)
}

/// Accepts `application/fhir+json` and `application/json`, with any
/// parameters (`charset`, `fhirVersion`); media types are compared
/// without regard to case.
fn check_media_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "the request has a body but no Content-Type: send it as {}",
            fhir::FHIR_JSON
        )));
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let mime = text.split(';').next().unwrap_or_default().trim();
    if mime.eq_ignore_ascii_case(fhir::FHIR_JSON) || mime.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "content type {mime:?} is not supported: send {}",
            fhir::FHIR_JSON
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_type(ct: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(ct) = ct {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        }
        h
    }

    #[test]
    fn a_body_must_say_it_is_json() {
        for ok in [
            "application/fhir+json",
            "application/json",
            "application/fhir+json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            "application/fhir+json; fhirVersion=4.0",
        ] {
            assert!(check_media_type(&with_type(Some(ok))).is_ok(), "{ok}");
        }
        for bad in [None, Some("text/plain"), Some("application/xml"), Some("")] {
            let err = check_media_type(&with_type(bad)).unwrap_err();
            assert_eq!(
                err.status_and_code().0,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_body_is_read_strictly() {
        let h = with_type(Some("application/fhir+json"));
        let dup =
            Bytes::from_static(br#"{"resourceType":"Patient","gender":"male","gender":"female"}"#);
        let err = json_body(&h, Ok(dup), 100).unwrap_err();
        assert_eq!(err.status_and_code().0, StatusCode::BAD_REQUEST);
        assert!(err.outcome()["issue"][0]["expression"][0] == "Patient.gender");
        let ok = Bytes::from_static(br#"{"resourceType":"Patient"}"#);
        assert_eq!(
            json_body(&h, Ok(ok), 100).unwrap()["resourceType"],
            "Patient"
        );
    }
}
