//! Insurance as FHIR: a resident's scheme as `Coverage`, each finished
//! visit's or reported reading's adjudicated claim as
//! `ExplanationOfBenefit`.

use super::datatypes::system;
use super::referral::instant;
use super::{ParamKind, SearchParam, format_date, reference_term};
use serde_json::{Value, json};
use tiercare_core::insurance::{Claim, Claimed, Coverage, Fen, ServiceType};

/// FHIR `Money` in yuan, written from the exact fen amount's text.
pub fn money(f: Fen) -> Value {
    let value: Value = serde_json::from_str(&f.to_string()).unwrap_or(Value::Null);
    json!({"value": value, "currency": "CNY"})
}

fn scheme_concept(code: &str) -> Value {
    json!({"identifier": {"system": system("insurance-scheme"), "value": code}, "display": code})
}

/// A resident's scheme as a FHIR `Coverage`.
pub fn render_coverage(c: &Coverage) -> Value {
    json!({
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": {"reference": format!("Patient/{}", c.resident)},
        "payor": [scheme_concept(c.scheme.as_str())],
        "class": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "plan"}]},
                   "value": c.scheme.as_str()}],
        "period": {"start": format_date(c.since)},
    })
}

pub fn index_coverage(c: &Coverage) -> Vec<(String, String)> {
    vec![
        reference_term("patient", "Patient", c.resident.as_str()),
        reference_term("beneficiary", "Patient", c.resident.as_str()),
        ("class-value".into(), c.scheme.as_str().into()),
    ]
}

pub const COVERAGE_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "The resident covered (required unless administrator)",
    },
    SearchParam {
        name: "beneficiary",
        kind: ParamKind::Reference("Patient"),
        doc: "The resident covered",
    },
    SearchParam {
        name: "class-value",
        kind: ParamKind::Token,
        doc: "The scheme's code (uebmi, urrbmi, ...)",
    },
];

fn adjudication(code: &str, amount: Fen) -> Value {
    let system = match code {
        "submitted" | "deductible" | "benefit" => {
            "http://terminology.hl7.org/CodeSystem/adjudication".to_string()
        }
        _ => system("adjudication"),
    };
    json!({"category": {"coding": [{"system": system, "code": code}]}, "amount": money(amount)})
}

/// A finished visit's claim as a FHIR `ExplanationOfBenefit`: the split in
/// `total` (submitted, deductible, benefit, out-of-pocket) and each rule
/// that produced it as a `processNote`.
pub fn render_claim(c: &Claim) -> Value {
    let s = &c.adjudication.split;
    let kind = match c.visit.service {
        ServiceType::Outpatient => "professional",
        ServiceType::Inpatient => "institutional",
    };
    let totals = vec![
        adjudication("submitted", s.total),
        adjudication("deductible", s.deductible),
        adjudication("benefit", s.covered),
        adjudication("out-of-pocket", s.out_of_pocket),
    ];
    let notes: Vec<Value> = c
        .adjudication
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({"number": i + 1, "type": "display",
                   "text": format!("{}: {} ({} yuan)", l.code.code(), l.text, l.amount)})
        })
        .collect();
    let what = match c.service {
        Claimed::Visit { .. } => format!("{kind} visit at {} level", c.visit.level.code()),
        Claimed::Reading { .. } => format!(
            "remote reading billed at {} level, where the study was taken",
            c.visit.level.code()
        ),
    };
    let mut v = json!({
        "resourceType": "ExplanationOfBenefit",
        "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": kind}]},
        "use": "claim",
        "patient": {"reference": format!("Patient/{}", c.patient)},
        "created": instant(c.created),
        "insurer": scheme_concept(c.visit.scheme.as_str()),
        "provider": {"reference": format!("Organization/{}", c.institution)},
        "outcome": "complete",
        "insurance": [{"focal": true, "coverage": {"reference": format!("Coverage/cov-{}", c.patient)}}],
        "item": [{
            "sequence": 1,
            "productOrService": {"coding": [{"system": system("level"), "code": c.visit.level.code()}],
                                 "text": what},
            "servicedDate": format_date(c.visit.date),
            "adjudication": totals.clone(),
        }],
        "total": totals,
    });
    // A visit names its encounter; a reading, the order it answered.
    match &c.service {
        Claimed::Visit { encounter } => {
            v["item"][0]["encounter"] = json!([{"reference": format!("Encounter/{encounter}")}]);
        }
        Claimed::Reading { reading } => {
            v["referral"] = json!({"reference": format!("ServiceRequest/{reading}")});
        }
    }
    if !notes.is_empty() {
        v["processNote"] = Value::Array(notes);
    }
    v
}

pub fn index_claim(c: &Claim) -> Vec<(String, String)> {
    let mut terms = vec![
        reference_term("patient", "Patient", c.patient.as_str()),
        reference_term("provider", "Organization", c.institution.as_str()),
        ("created".into(), instant(c.created)),
    ];
    match &c.service {
        Claimed::Visit { encounter } => {
            terms.push(reference_term("encounter", "Encounter", encounter.as_str()));
        }
        Claimed::Reading { reading } => {
            terms.push(reference_term(
                "referral",
                "ServiceRequest",
                reading.as_str(),
            ));
        }
    }
    terms
}

pub const CLAIM_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam::PATIENT,
    SearchParam {
        name: "provider",
        kind: ParamKind::Reference("Organization"),
        doc: "The institution of the visit",
    },
    SearchParam {
        name: "encounter",
        kind: ParamKind::Reference("Encounter"),
        doc: "The visit",
    },
    SearchParam {
        name: "referral",
        kind: ParamKind::Reference("ServiceRequest"),
        doc: "The reading order a reading's claim pays for",
    },
];
