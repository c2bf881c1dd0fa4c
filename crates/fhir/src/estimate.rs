//! `$estimate`: what a visit would cost the patient at each level, with and
//! without a referral, under the region's insurance rules.
//!
//! This is what a resident or a family doctor looks at before choosing
//! where to go: the same [`tiercare_core::insurance::estimate`] the
//! simulator prices visits with, so the platform and the simulator never
//! disagree on a fen. Amounts go in and out as yuan with two decimals
//! (`"350.00"`), and are exact: no floating point is involved.

use super::insurance::money;
use serde_json::{Value, json};
use tiercare_core::insurance::{Accumulator, Fen, ServiceType, Split};
use tiercare_core::policy::Policy;
use tiercare_service::ServiceError;
use tiercare_service::referrals::{EstimateInput, estimate_visit};
use time::Date;

const KNOWN: [&str; 7] = [
    "scheme",
    "service",
    "total",
    "date",
    "emergency",
    "follow-up",
    "at-contracted-primary",
];

/// Runs the estimate for text inputs (query parameters or a `Parameters`
/// body) and answers a `Parameters` resource. `account` is the resident's
/// accumulator for the scheme, when the estimate is for a known resident
/// (what they already paid this year counts); otherwise nothing is assumed
/// paid.
pub fn run(
    policy: &Policy,
    inputs: &[(String, String)],
    today: Date,
    account: Option<Accumulator>,
) -> Result<Value, ServiceError> {
    if let Some((k, _)) = inputs.iter().find(|(k, _)| !KNOWN.contains(&k.as_str())) {
        return Err(ServiceError::invalid(
            k.clone(),
            format!("$estimate takes {}, not {k}", KNOWN.join(", ")),
        ));
    }
    let rules = tiercare_service::referrals::insurance_rules(policy)?;
    let get = |name: &str| {
        inputs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let flag = |name: &str| -> Result<bool, ServiceError> {
        match get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(ServiceError::invalid(
                name,
                format!("use true or false, not {other:?}"),
            )),
        }
    };
    let scheme_code = get("scheme").ok_or_else(|| {
        ServiceError::invalid(
            "scheme",
            format!(
                "name the insurance scheme ({})",
                rules
                    .schemes
                    .keys()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let service = match get("service") {
        None | Some("outpatient") => ServiceType::Outpatient,
        Some("inpatient") => ServiceType::Inpatient,
        Some(other) => {
            return Err(ServiceError::invalid(
                "service",
                format!("use outpatient or inpatient, not {other:?}"),
            ));
        }
    };
    let total_text = get("total").ok_or_else(|| {
        ServiceError::invalid(
            "total",
            "the visit's total in yuan is required (e.g. 350.00)",
        )
    })?;
    let total: Fen = total_text.parse().map_err(|e| {
        ServiceError::invalid(
            "total",
            format!("{total_text:?} is not an amount in yuan: {e}"),
        )
    })?;
    let date = match get("date") {
        None => today,
        Some(d) => super::parse_date(d, "date")?,
    };
    let input = EstimateInput {
        scheme: scheme_code.to_string(),
        service,
        total,
        date,
        follow_up: flag("follow-up")?,
        emergency: flag("emergency")?,
        at_contracted_primary: flag("at-contracted-primary")?,
    };
    let (visit, e) = estimate_visit(policy, &input, account)?;
    let rows: Vec<Value> = e
        .rows
        .iter()
        .map(|r| {
            json!({"name": "estimate", "part": [
                {"name": "level", "valueCode": r.level.code()},
                {"name": "self-referred", "part": split(&r.self_referred)},
                {"name": "referred", "part": split(&r.referred)},
            ]})
        })
        .collect();
    let mut parameter = vec![
        json!({"name": "scheme", "valueCode": visit.scheme.as_str()}),
        json!({"name": "service", "valueCode": service_code(service)}),
        json!({"name": "total", "valueMoney": money(total)}),
    ];
    parameter.extend(rows);
    Ok(json!({"resourceType": "Parameters", "parameter": parameter}))
}

fn service_code(s: ServiceType) -> &'static str {
    match s {
        ServiceType::Outpatient => "outpatient",
        ServiceType::Inpatient => "inpatient",
    }
}

fn split(s: &Split) -> Vec<Value> {
    vec![
        json!({"name": "total", "valueMoney": money(s.total)}),
        json!({"name": "deductible", "valueMoney": money(s.deductible)}),
        json!({"name": "covered", "valueMoney": money(s.covered)}),
        json!({"name": "out-of-pocket", "valueMoney": money(s.out_of_pocket)}),
    ]
}
