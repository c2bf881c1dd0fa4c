//! Co-managed chronic panels as FHIR: an enrolment is a `CarePlan` (its
//! team a contained `CareTeam`, its conditions contained `Condition`s), a
//! follow-up measurement an `Observation` based on that `CarePlan`.
//!
//! A panel `CarePlan` is told from a downward referral's plan by its
//! category (`care-plan-kind|chronic-panel`); a panel `Observation` by its
//! `basedOn` (a panel `CarePlan`). Both share the FHIR types, routes and
//! search of the referral records; the service behind them differs
//! (`tiercare_service::panels`).
//!
//! Each resource has a file of its own, holding its parse, render, search
//! terms and search parameters:
//!
//! - `enrolment.rs`: the `CarePlan`, with its contained team and
//!   conditions.
//! - `control.rs`: the extensions the service adds to a panel `CarePlan`
//!   when it is read (control status, the next follow-up).
//! - `measurement.rs`: the `Observation`, LOINC-coded, with UCUM
//!   quantities.
//!
//! Every item is re-exported from here, so a caller names it
//! `panel::parse_enrolment` whichever file it lives in.

mod control;
mod enrolment;
mod measurement;

pub use control::{add_control, control_extension, due_extension};
pub use enrolment::{
    PANEL_CATEGORY, PLAN_KIND, PLAN_SEARCH, condition_of_icd10, icd10, index_enrolment,
    is_enrolment, parse_enrolment, render_enrolment,
};
pub use measurement::{
    BP_PANEL, DIASTOLIC, FASTING_GLUCOSE, HBA1C, OBSERVATION_SEARCH, SYSTOLIC, UCUM,
    index_measurement, is_measurement, loinc, parse_measurement, render_measurement,
};

use serde_json::{Value, json};

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"system": system, "code": code, "display": display})
}
