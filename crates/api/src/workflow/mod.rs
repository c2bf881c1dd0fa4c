//! FHIR handlers for the referral loop: `ServiceRequest` (the referral),
//! `Task` (its workflow, read-only: it changes through the named
//! operations), `Slot` and `Schedule`.
//!
//! Transitions are named operations on the referral, each a `POST` with a
//! `Parameters` body (optional where the action needs nothing):
//! `$accept`, `$book` (slot), `$decline` (reason, comment), `$redirect`
//! (to, comment), `$return-with-advice` (advice), `$cancel` (reason),
//! `$arrive`, `$no-show`, `$complete` (report-summary,
//! report-recommendation, report-diagnosis), `$report` (same), `$close`.
//! They take `If-Match` and answer the updated `Task`. `GET
//! ServiceRequest/{id}/$actions` lists what the caller may do now.

mod appointment;
pub(crate) mod budget;
mod care_plan;
mod centre;
mod consult;
mod emergency_case;
mod history;
mod include;
mod measure;
mod measure_emergency;
mod measure_flows;
mod outreach;
mod panel;
mod reading;
mod results;
mod service_request;
mod slot;
mod task;

pub use appointment::*;
pub use budget::*;
pub use care_plan::*;
pub use centre::centre_triage;
pub use consult::*;
pub use emergency_case::{case_alert, case_operation, case_read, case_search};
pub use history::{history_instance_route, history_type_route};
pub use measure::*;
pub use outreach::*;
pub use panel::{panel_due, panel_operation_get};
pub use results::*;
pub use service_request::*;
pub use slot::*;
pub use task::*;

use tiercare_fhir::operations::{self as ops, Operation};
use tiercare_fhir::parameters::Inputs;

use crate::AppState;
use crate::auth::{Caller, Request};
use crate::body::FhirJson;
use crate::error::ApiError;
use crate::routes::{
    base_url, json_body, parse_etag, query_for, query_pairs, resource_response, searchset,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};
use tiercare_core::catalogue::{Catalogue, IcdCode};
use tiercare_core::referral::{
    Command, DeclineReason, NewReferral, Priority, Referral, Report, Setting,
};
use tiercare_core::{Level, Record, Specialty};
use tiercare_fhir::referral::{DUE, SEARCH, TASK_SEARCH, render_task};
use tiercare_fhir::visit::{FREE_FROM, SLOT_SEARCH};
use tiercare_fhir::{self as fhir, reference_id};
use tiercare_service::ServiceError;
use tiercare_service::Versioned;
use tiercare_service::referrals::{Referrals, idempotent_id, new_referral_id};
use tiercare_store::now_text;
use tiercare_store::{Filter, Match, Stored};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn stored(record: Record, version: u32, updated_at: String) -> Stored {
    Stored {
        record,
        version,
        updated_at,
        created: false,
    }
}

/// A service's versioned record as the FHIR face renders it, `wrap`
/// naming its kind (`Record::Referral`, `Record::Consult`, ...).
fn versioned_stored<T: Clone>(v: &Versioned<T>, wrap: fn(T) -> Record) -> Stored {
    stored(wrap(v.value.clone()), v.version, v.updated_at.clone())
}

fn referral_stored(r: &Versioned<Referral>) -> Stored {
    versioned_stored(r, Record::Referral)
}

fn if_match(headers: &HeaderMap) -> Result<Option<u32>, ApiError> {
    match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => Ok(None),
        Some(tag) => parse_etag(tag).map(Some).ok_or_else(|| {
            ApiError::invalid("If-Match", format!("{tag:?} is not an ETag like W/\"3\""))
        }),
    }
}

/// An operation's `Parameters` body, read against its declaration; an
/// empty body is no parameters.
fn operation_inputs(
    operation: &'static Operation,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Inputs, ApiError> {
    let empty = body.as_ref().map(|b| b.is_empty()).unwrap_or(false);
    if empty {
        Ok(Inputs::none(operation)?)
    } else {
        Ok(Inputs::read(operation, &json_body(headers, body, limit)?)?)
    }
}

/// The `charge` of a visit being finished (yuan, a `valueDecimal` or a
/// `valueMoney` in CNY): what its claim is made for; without it the
/// region's typical charge.
fn charge_input(p: &Inputs) -> Result<Option<tiercare_core::insurance::Fen>, ApiError> {
    p.amount("charge")
        .map(|c| {
            c.parse().map_err(|e| {
                ApiError::invalid("charge", format!("{c:?} is not an amount in yuan: {e}"))
            })
        })
        .transpose()
}

/// Searches that name a patient give it as `patient` or `subject`, as
/// `Patient/id` or a bare id.
fn patient_param(pairs: &[(String, String)]) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == "patient" || k == "subject")
        .map(|(_, v)| v.strip_prefix("Patient/").unwrap_or(v).to_string())
}

/// A search-set of stored records of one type.
fn stored_searchset(
    state: &AppState,
    headers: &HeaderMap,
    rt: &str,
    pairs: &[(String, String)],
    q: &tiercare_store::Query,
    found: &[Stored],
    total: u64,
) -> Response {
    let base = base_url(state, headers);
    let resources = found
        .iter()
        .map(|s| (format!("{base}/{rt}/{}", s.record.id()), fhir::render(s)))
        .collect();
    FhirJson(searchset(&base, rt, pairs, q, total, resources)).into_response()
}

/// The Task of a referral, with its version as ETag.
fn task_response(state: &AppState, r: &Versioned<Referral>) -> Response {
    let mut resp = FhirJson(render_task(&r.value, &state.ctx.policy)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("W/\"{}\"", r.version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}
