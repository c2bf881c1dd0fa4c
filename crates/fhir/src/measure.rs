//! The oversight indicators as FHIR `Measure` (what a figure means) and
//! `MeasureReport` (its value for a period and subject).
//!
//! Every `Measure` is rendered from the core's `MEASURES` table, so the
//! definitions a health commission reads here are the ones the platform
//! and the simulator compute by. Measures have a canonical URL under
//! tiercare's own base, `https://tiercare.org/fhir/Measure/{code}`, like
//! its code systems: the same measure has the same URL in every
//! deployment, so reports from two regions (or from a simulation) can be
//! compared. Reports are aggregates: they carry counts, never a patient.

use super::datatypes::{BASE, identifier_system, system};
use serde_json::{Value, json};
use tiercare_core::Level;
use tiercare_core::indicators::measures::{self, Scoring};
use tiercare_core::indicators::{Indicators, MEASURES, MeasureDef, Population};
use tiercare_service::ServiceError;
use time::Date;

mod flows;

pub use flows::{FLOWS, organization_concept, organization_system};

const SCORING: &str = "http://terminology.hl7.org/CodeSystem/measure-scoring";
const IMPROVEMENT: &str = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation";
const POPULATION: &str = "http://terminology.hl7.org/CodeSystem/measure-population";
const RESOURCE_TYPES: &str = "http://hl7.org/fhir/resource-types";
const UCUM: &str = "http://unitsofmeasure.org";
/// Currencies are not UCUM units; FHIR's MoneyQuantity uses ISO 4217.
const ISO_4217: &str = "urn:iso:std:iso:4217";

/// What a family of measures is counted over and stratified by: the
/// oversight indicators by the level of the institution a figure was
/// counted at, a programme's evaluation by calendar month.
pub struct Family {
    /// The resource type the measures are principally about.
    pub subject_type: &'static str,
    pub stratifier: &'static str,
    pub stratifier_description: &'static str,
    pub stratifier_criteria: &'static str,
    /// The stratifier's components, each `(code, description)`; every
    /// stratum carries a value for each.
    pub components: &'static [(&'static str, &'static str)],
}

/// The oversight indicators.
pub const INDICATORS: Family = Family {
    subject_type: "Organization",
    stratifier: "level",
    stratifier_description: "By the level of care of the institution the figure was counted at. Facts of no institution (residents) belong to no level, so strata of measures over residents have no score.",
    stratifier_criteria: "The level of the institution: primary, secondary or tertiary.",
    components: &[],
};

/// The evaluation of joint programmes (outreach, mentoring, panels).
pub const OUTREACH: Family = Family {
    subject_type: "HealthcareService",
    stratifier: "month",
    stratifier_description: "By calendar month, clipped to the period; panel control is taken on each month's last day. Subjects are a programme (HealthcareService), a hospital, primary institution or alliance (Organization), a specialist or family doctor (Practitioner), or the region.",
    stratifier_criteria: "The month, as YYYY-MM.",
    components: &[],
};

/// The search parameters of `Measure`: (name, FHIR type, documentation).
/// The search and the CapabilityStatement both read this list.
pub const SEARCH: &[(&str, &str, &str)] = &[
    (
        "_id",
        "token",
        "The measure's code, e.g. primary-visit-share",
    ),
    (
        "url",
        "uri",
        "The canonical URL, https://tiercare.org/fhir/Measure/{code}",
    ),
    (
        "name",
        "string",
        "Start of the computable name (PrimaryVisitShare), any case",
    ),
    (
        "title",
        "string",
        "Start of the title (Primary visit share), any case",
    ),
    ("status", "token", "Always active"),
];

/// The canonical URL of a measure.
pub fn canonical(code: &str) -> String {
    format!("{BASE}/Measure/{code}")
}

/// The computable name: the code in UpperCamelCase
/// (`primary-visit-share` is `PrimaryVisitShare`).
pub fn name(code: &str) -> String {
    code.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The measure a caller names by its code, `Measure/{code}` or its
/// canonical URL.
pub fn find(text: &str) -> Option<&'static MeasureDef> {
    let code = text
        .strip_prefix(&format!("{BASE}/Measure/"))
        .or_else(|| text.strip_prefix("Measure/"))
        .unwrap_or(text);
    measures::measure(code)
}

fn scoring(s: Scoring) -> Value {
    let display = match s {
        Scoring::Proportion => "Proportion",
        Scoring::Ratio => "Ratio",
        Scoring::ContinuousVariable => "Continuous Variable",
    };
    json!({"coding": [{"system": SCORING, "code": s.code(), "display": display}]})
}

fn improvement<T>(m: &MeasureDef<T>) -> Option<Value> {
    let code = m.better.code()?;
    let display = match code {
        "increase" => "Increased score indicates improvement",
        _ => "Decreased score indicates improvement",
    };
    Some(json!({"coding": [{"system": IMPROVEMENT, "code": code, "display": display}]}))
}

fn population_code<T>(p: &Population<T>) -> Value {
    json!({"coding": [{
        "system": POPULATION,
        "code": p.kind.code(),
        "display": p.kind.display(),
    }]})
}

/// What the score is counted in, in words.
fn unit_words(unit: &str) -> &'static str {
    match unit {
        "d" => "days",
        "min" => "minutes",
        "[CNY]" => "yuan",
        _ => "a plain number (shares as fractions: 0.75 is 75%)",
    }
}

/// A score as a `Quantity` in the measure's unit: UCUM, except money in
/// ISO 4217 yuan.
fn quantity(unit: &str, value: f64) -> Value {
    match unit {
        "[CNY]" => json!({"value": value, "unit": "yuan", "system": ISO_4217, "code": "CNY"}),
        "d" => json!({"value": value, "unit": "days", "system": UCUM, "code": "d"}),
        "min" => json!({"value": value, "unit": "minutes", "system": UCUM, "code": "min"}),
        other => json!({"value": value, "unit": other, "system": UCUM, "code": other}),
    }
}

/// The `Measure` resource of an indicator.
pub fn render(m: &MeasureDef) -> Value {
    render_in(m, &INDICATORS)
}

/// The `Measure` resource of a measure of `family`.
pub fn render_in<T>(m: &MeasureDef<T>, family: &Family) -> Value {
    let populations: Vec<Value> = m
        .populations
        .iter()
        .map(|p| {
            json!({
                "code": population_code(p),
                "description": p.criteria,
                "criteria": {"language": "text/plain", "expression": p.criteria},
            })
        })
        .collect();
    let mut v = json!({
        "resourceType": "Measure",
        "id": m.code,
        "url": canonical(m.code),
        "name": name(m.code),
        "title": m.title,
        "status": "active",
        "experimental": false,
        "subjectCodeableConcept": {"coding": [{
            "system": RESOURCE_TYPES, "code": family.subject_type, "display": family.subject_type
        }]},
        "publisher": "tiercare",
        "description": m.definition,
        "scoring": scoring(m.scoring),
        "group": [{
            "description": format!("The score is {}.", unit_words(m.unit)),
            "population": populations,
            "stratifier": [stratifier(family)],
        }],
    });
    if let Some(i) = improvement(m) {
        v["improvementNotation"] = i;
    }
    if let Some(r) = m.reference {
        v["guidance"] = Value::String(format!("Reference figure: {r}."));
    }
    v
}

/// A family's stratifier as a `Measure` declares it.
fn stratifier(family: &Family) -> Value {
    let mut v = json!({
        "code": {"text": family.stratifier},
        "description": family.stratifier_description,
        "criteria": {"language": "text/plain", "expression": family.stratifier_criteria},
    });
    if !family.components.is_empty() {
        v["component"] = family
            .components
            .iter()
            .map(|(code, description)| {
                json!({
                    "code": {"text": code},
                    "description": description,
                    "criteria": {"language": "text/plain", "expression": description},
                })
            })
            .collect();
    }
    v
}

/// Every measure, in the order a dashboard shows them.
pub fn all() -> Vec<Value> {
    MEASURES.iter().map(render).collect()
}

/// The counted populations of a measure in computed figures.
fn counts<T>(m: &MeasureDef<T>, i: &T) -> Vec<Value> {
    m.populations
        .iter()
        .filter_map(|p| {
            p.count
                .map(|c| json!({"code": population_code(p), "count": c(i)}))
        })
        .collect()
}

/// The score, if the measure is defined for these indicators (a share of
/// nothing has no score, not a score of zero).
fn score<T>(m: &MeasureDef<T>, i: &T) -> Option<Value> {
    (m.value)(i)
        .filter(|v| v.is_finite())
        .map(|v| quantity(m.unit, v))
}

/// What a report is about: everything but the figures.
pub struct ReportHeader<'a> {
    pub period: (Date, Date),
    /// The subject as the caller gave it (`None`: the whole region).
    pub subject: Option<Value>,
    /// The region's id and name: the reporter.
    pub region: (&'a str, &'a str),
    /// When the report was made (RFC 3339).
    pub date: &'a str,
}

/// The `MeasureReport` of one measure: the subject's score and counts,
/// and one stratum per level with its own.
pub fn report(
    m: &MeasureDef,
    header: &ReportHeader<'_>,
    whole: &Indicators,
    strata: &[(Level, Indicators)],
) -> Value {
    let strata: Vec<(Value, &Indicators)> = strata
        .iter()
        .map(|(level, i)| {
            let value = json!({"coding": [{
                "system": system("level"),
                "code": level.code(),
                "display": level.display(),
            }]});
            (value, i)
        })
        .collect();
    report_in(m, &INDICATORS, header, whole, &strata)
}

/// The `MeasureReport` of a measure of `family`: the subject's score and
/// counts, and one stratum per value of the family's stratifier (each a
/// `CodeableConcept`) with its own.
pub fn report_in<T>(
    m: &MeasureDef<T>,
    family: &Family,
    header: &ReportHeader<'_>,
    whole: &T,
    strata: &[(Value, &T)],
) -> Value {
    let strata: Vec<Stratum<'_, T>> = strata
        .iter()
        .map(|(value, figures)| Stratum {
            value: value.clone(),
            components: Vec::new(),
            figures: *figures,
        })
        .collect();
    report_stratified(m, family, header, whole, &strata)
}

/// One stratum of a report: its value, the values of the family's
/// components (by code), and its figures.
pub struct Stratum<'a, T> {
    pub value: Value,
    pub components: Vec<(&'static str, Value)>,
    pub figures: &'a T,
}

/// The `MeasureReport` of a measure of `family` whose strata carry
/// components (a partnership's giver and receiver).
pub fn report_stratified<T>(
    m: &MeasureDef<T>,
    family: &Family,
    header: &ReportHeader<'_>,
    whole: &T,
    strata: &[Stratum<'_, T>],
) -> Value {
    let population = counts(m, whole);
    let mut group = json!({});
    if !population.is_empty() {
        group["population"] = Value::Array(population);
    }
    if let Some(s) = score(m, whole) {
        group["measureScore"] = s;
    }
    let stratum: Vec<Value> = strata
        .iter()
        .map(|st| {
            let i = st.figures;
            let mut s = json!({ "value": st.value });
            if !st.components.is_empty() {
                s["component"] = st
                    .components
                    .iter()
                    .map(|(code, value)| json!({"code": {"text": code}, "value": value}))
                    .collect();
            }
            let population = counts(m, i);
            if !population.is_empty() {
                s["population"] = Value::Array(population);
            }
            if let Some(score) = score(m, i) {
                s["measureScore"] = score;
            }
            s
        })
        .collect();
    if !stratum.is_empty() {
        group["stratifier"] = json!([{"code": [{"text": family.stratifier}], "stratum": stratum}]);
    }
    let (start, end) = header.period;
    let mut v = json!({
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": canonical(m.code),
        "date": header.date,
        "reporter": {
            "type": "Organization",
            "identifier": {"system": identifier_system("region"), "value": header.region.0},
            "display": header.region.1,
        },
        "period": {"start": super::format_date(start), "end": super::format_date(end)},
        "group": [group],
    });
    if let Some(s) = &header.subject {
        v["subject"] = s.clone();
    }
    if let Some(i) = improvement(m) {
        v["improvementNotation"] = i;
    }
    v
}

/// The subject of `$evaluate-measure` as the caller names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectArg {
    /// No subject: the whole region.
    Region,
    /// `Organization/{id}`: an institution or an alliance.
    Organization(String),
    /// `Group/level-{code}`: the region's institutions of one level.
    Level(Level),
    /// `CareTeam/{id}`: a family-doctor team.
    CareTeam(String),
    /// `Practitioner/{id}`: a doctor.
    Practitioner(String),
}

impl SubjectArg {
    /// Reads a `subject` value.
    pub fn parse(text: &str) -> Result<SubjectArg, ServiceError> {
        let bad = || {
            ServiceError::invalid(
                "subject",
                format!(
                    "{text:?} is not a subject: use Organization/{{id}} (an institution or an \
                     alliance), CareTeam/{{id}} (a family-doctor team), Practitioner/{{id}} (a \
                     doctor), Group/level-primary, Group/level-secondary or \
                     Group/level-tertiary, or leave it out for the whole region"
                ),
            )
        };
        type Make = fn(String) -> SubjectArg;
        let kinds: [(&str, Make); 3] = [
            ("Organization/", SubjectArg::Organization),
            ("CareTeam/", SubjectArg::CareTeam),
            ("Practitioner/", SubjectArg::Practitioner),
        ];
        for (prefix, make) in kinds {
            if let Some(id) = text.strip_prefix(prefix) {
                tiercare_core::check_id(id).map_err(|_| bad())?;
                return Ok(make(id.to_string()));
            }
        }
        text.strip_prefix("Group/level-")
            .and_then(Level::from_code)
            .map(SubjectArg::Level)
            .ok_or_else(bad)
    }

    /// The subject as a report names it: the reference as given.
    pub fn reference(&self, display: Option<&str>) -> Option<Value> {
        let (reference, display) = match self {
            SubjectArg::Region => return None,
            SubjectArg::Organization(id) => {
                (format!("Organization/{id}"), display.map(str::to_string))
            }
            SubjectArg::CareTeam(id) => (format!("CareTeam/{id}"), display.map(str::to_string)),
            SubjectArg::Practitioner(id) => {
                (format!("Practitioner/{id}"), display.map(str::to_string))
            }
            SubjectArg::Level(l) => (
                format!("Group/level-{}", l.code()),
                Some(format!("{} institutions of the region", l.display())),
            ),
        };
        let mut v = json!({"reference": reference});
        if let Some(d) = display {
            v["display"] = Value::String(d);
        }
        Some(v)
    }
}

/// The inputs of `$evaluate-measure`.
#[derive(Debug, Clone)]
pub struct Evaluate {
    /// First and last day, inclusive.
    pub period: (Date, Date),
    pub subject: SubjectArg,
    /// The measure named by the `measure` parameter (type level only).
    pub measure: Option<&'static MeasureDef>,
}

/// Parameters `$evaluate-measure` takes on a Measure.
const INSTANCE_INPUTS: [&str; 4] = ["periodStart", "periodEnd", "subject", "reportType"];

/// Reads the inputs of `$evaluate-measure` (query string or `Parameters`
/// body). `type_level`: called on `Measure` rather than one measure, where
/// `measure` may name one.
pub fn evaluate_inputs(
    inputs: &[(String, String)],
    type_level: bool,
) -> Result<Evaluate, ServiceError> {
    let mut known: Vec<&str> = INSTANCE_INPUTS.to_vec();
    if type_level {
        known.push("measure");
    }
    let mut seen: Vec<&str> = Vec::new();
    for (k, _) in inputs {
        if k == "_format" || k == "_pretty" {
            continue;
        }
        if !known.contains(&k.as_str()) {
            return Err(ServiceError::invalid(
                k.as_str(),
                format!("$evaluate-measure takes {}, not {k:?}", known.join(", ")),
            ));
        }
        if seen.contains(&k.as_str()) {
            return Err(ServiceError::invalid(
                k.as_str(),
                format!("{k} is given more than once"),
            ));
        }
        seen.push(k);
    }
    let get = |name: &str| {
        inputs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let required = |name: &str| {
        get(name).ok_or_else(|| {
            ServiceError::invalid(
                name,
                format!("{name} is required (a date: YYYY-MM-DD, YYYY-MM or YYYY)"),
            )
        })
    };
    let start = period_bound(required("periodStart")?, "periodStart", false)?;
    let end = period_bound(required("periodEnd")?, "periodEnd", true)?;
    if end < start {
        return Err(ServiceError::invalid(
            "periodEnd",
            format!(
                "periodEnd {} is before periodStart {}",
                super::format_date(end),
                super::format_date(start)
            ),
        ));
    }
    match get("reportType") {
        None | Some("population") => {}
        Some(other) => {
            return Err(ServiceError::invalid(
                "reportType",
                format!(
                    "only population reports are made (summaries over organizations, naming \
                     no patient), not {other:?}"
                ),
            ));
        }
    }
    let subject = match get("subject") {
        None => SubjectArg::Region,
        Some(s) => SubjectArg::parse(s)?,
    };
    let measure = match get("measure") {
        None => None,
        Some(text) => Some(find(text).ok_or_else(|| {
            ServiceError::invalid(
                "measure",
                format!(
                    "{text:?} is not a measure; the measures are {}",
                    MEASURES
                        .iter()
                        .map(|m| m.code)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?),
    };
    Ok(Evaluate {
        period: (start, end),
        subject,
        measure,
    })
}

/// A FHIR `date` as the first (`end` false) or last day it covers:
/// `2026` is 2026-01-01 to 2026-12-31, `2026-02` runs to the 28th.
fn period_bound(text: &str, name: &str, end: bool) -> Result<Date, ServiceError> {
    let date = crate::primitives::PartialDate::parse(text)
        .map_err(|e| ServiceError::invalid(name, e.to_string()))?;
    Ok(if end {
        date.last_day()
    } else {
        date.first_day()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn inputs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn periods_may_be_months_or_years() {
        let e = evaluate_inputs(
            &inputs(&[("periodStart", "2024-02"), ("periodEnd", "2024-02")]),
            false,
        )
        .unwrap();
        assert_eq!(e.period, (date!(2024 - 02 - 01), date!(2024 - 02 - 29)));
        let e = evaluate_inputs(
            &inputs(&[("periodStart", "2025"), ("periodEnd", "2026-01-15")]),
            false,
        )
        .unwrap();
        assert_eq!(e.period, (date!(2025 - 01 - 01), date!(2026 - 01 - 15)));
        assert_eq!(e.subject, SubjectArg::Region);
        for bad in ["2025-13", "25", "2025-1", "2025-02-30", "next week", ""] {
            let err = evaluate_inputs(
                &inputs(&[("periodStart", bad), ("periodEnd", "2026-01-15")]),
                false,
            )
            .unwrap_err();
            assert!(
                matches!(&err, ServiceError::Invalid { field: Some(e), .. } if e == "periodStart"),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn subjects_and_measures_are_named_as_fhir_names_them() {
        assert_eq!(
            SubjectArg::parse("Group/level-secondary").unwrap(),
            SubjectArg::Level(Level::Secondary)
        );
        assert_eq!(
            SubjectArg::parse("Organization/zx-h1").unwrap(),
            SubjectArg::Organization("zx-h1".into())
        );
        for bad in [
            "zx-h1",
            "Patient/res-1",
            "Group/level-quaternary",
            "Organization/",
        ] {
            assert!(SubjectArg::parse(bad).is_err(), "{bad}");
        }
        let m = find("https://tiercare.org/fhir/Measure/loop-closure").unwrap();
        assert_eq!(m.code, "loop-closure");
        assert_eq!(find("Measure/access").map(|m| m.code), Some("access"));
        assert!(find("Measure/nothing").is_none());
        assert_eq!(
            name("key-group-contract-coverage"),
            "KeyGroupContractCoverage"
        );
        // `measure` only where no measure is in the path.
        let with_measure = inputs(&[
            ("periodStart", "2026"),
            ("periodEnd", "2026"),
            ("measure", "access"),
        ]);
        assert!(evaluate_inputs(&with_measure, false).is_err());
        assert_eq!(
            evaluate_inputs(&with_measure, true)
                .unwrap()
                .measure
                .map(|m| m.code),
            Some("access")
        );
    }
}
