//! The emergency centres' accreditation measures as FHIR `Measure` and
//! `MeasureReport`, rendered from the core's table
//! (`tiercare_core::emergency::accreditation::definitions`) by the same
//! functions as the oversight indicators, so a report has the shape every
//! other `$evaluate-measure` answer has.
//!
//! What the emergency measures add to that shape:
//!
//! - The proportions carry an `initial-population` before the numerator
//!   and denominator: the cases the measure is about, whether or not their
//!   clock tells (a STEMI without an ECG time is in the initial population
//!   of the ECG measure and not in its denominator), so a reader sees how
//!   many cases the figure could not judge.
//! - Every report is stratified by where the patient first met the system
//!   (`contact-point`: village clinic, township, ambulance, hospital; all
//!   four strata always present, an empty one without a score).
//! - The 30-day mortality is also stratified by condition (`condition`)
//!   and by condition and contact point together
//!   (`condition-contact-point`, one stratum per pair with a case, its two
//!   components naming them).
//!
//! The subject is the region (no subject) or the institution credited with
//! the cases (`Organization/{id}`: the first destination, see the core's
//! module documentation).

use crate::datatypes::{BASE, system};
use crate::measure::{self as fm, Family, ReportHeader, Stratum};
use serde_json::{Value, json};
use tiercare_core::emergency::accreditation::definitions::{
    EMERGENCY_MEASURES, emergency_measure, initial_population,
};
use tiercare_core::emergency::accreditation::{Figures, Stratified};
use tiercare_core::emergency::{ContactPoint, Emergency};
use tiercare_core::indicators::measures::MeasureDef;

/// The code system of first points of contact (`village-clinic`,
/// `township`, `ambulance`, `hospital`).
pub const CONTACT_POINT: &str = "emergency-contact-point";

/// The mortality measure, the one read by condition too.
pub const MORTALITY: &str = "emergency-mortality-30d";

const POPULATION: &str = "http://terminology.hl7.org/CodeSystem/measure-population";

/// The emergency measures' family: cases credited to a centre or the
/// region, by first point of contact.
pub const EMERGENCY: Family = Family {
    subject_type: "Organization",
    stratifier: "contact-point",
    stratifier_description: "By where the patient first met the system: a village clinic, a \
                             township or community health centre, the ambulance (120), or a \
                             hospital walked into. Tiered care promises that a patient first \
                             seen at a village clinic is not slower to treatment than one who \
                             walks into the county hospital. The subject is the region or the \
                             institution credited with the cases (Organization): the first \
                             destination the triage rule chose, also for a case it sent on.",
    stratifier_criteria: "The first point of contact, a code of the emergency-contact-point \
                          system.",
    components: &[],
};

const CONDITION: (&str, &str, &str) = (
    "condition",
    "By condition: STEMI, acute stroke, major trauma, obstetric emergency, critically ill \
     newborn.",
    "The condition, a code of the emergency system.",
);

const BOTH: (&str, &str, &str) = (
    "condition-contact-point",
    "By condition and first point of contact together: one stratum for each pair with a \
     case.",
    "The condition and the contact point, as {condition}|{contact point}.",
);

/// The measure a caller names by its code, `Measure/{code}` or its
/// canonical URL.
pub fn find(text: &str) -> Option<&'static MeasureDef<Figures>> {
    let code = text
        .strip_prefix(&format!("{BASE}/Measure/"))
        .or_else(|| text.strip_prefix("Measure/"))
        .unwrap_or(text);
    emergency_measure(code)
}

fn initial_code() -> Value {
    json!({"coding": [{
        "system": POPULATION,
        "code": "initial-population",
        "display": "Initial Population",
    }]})
}

fn declared_stratifier((code, description, criteria): (&str, &str, &str)) -> Value {
    json!({
        "code": {"text": code},
        "description": description,
        "criteria": {"language": "text/plain", "expression": criteria},
    })
}

/// The `Measure` resource of an emergency measure.
pub fn render_measure(m: &MeasureDef<Figures>) -> Value {
    let mut v = fm::render_in(m, &EMERGENCY);
    let group = &mut v["group"][0];
    if let Some((criteria, _)) = initial_population(m.code)
        && let Some(populations) = group["population"].as_array_mut()
    {
        populations.insert(
            0,
            json!({
                "code": initial_code(),
                "description": criteria,
                "criteria": {"language": "text/plain", "expression": criteria},
            }),
        );
    }
    if m.code == MORTALITY
        && let Some(stratifiers) = group["stratifier"].as_array_mut()
    {
        stratifiers.push(declared_stratifier(CONDITION));
        let mut both = declared_stratifier(BOTH);
        both["component"] = json!([
            declared_stratifier((
                "condition",
                "The condition.",
                "A code of the emergency system."
            )),
            declared_stratifier((
                "contact-point",
                "The first point of contact.",
                "A code of the emergency-contact-point system.",
            )),
        ]);
        stratifiers.push(both);
    }
    v
}

/// Every emergency measure's `Measure`, in the order a dashboard shows
/// them.
pub fn emergency_measures() -> Vec<Value> {
    EMERGENCY_MEASURES.iter().map(render_measure).collect()
}

fn concept(system_name: &str, code: &str, display: &str) -> Value {
    json!({"coding": [{"system": system(system_name), "code": code, "display": display}]})
}

fn contact_concept(c: ContactPoint) -> Value {
    concept(CONTACT_POINT, c.code(), c.display())
}

fn condition_concept(e: Emergency) -> Value {
    concept(super::triage::EMERGENCY, e.code(), e.display())
}

/// Puts the initial population first in a `population` list of a report.
fn with_initial(node: &mut Value, count: i64) {
    let entry = json!({"code": initial_code(), "count": count});
    match node["population"].as_array_mut() {
        Some(list) => list.insert(0, entry),
        None => node["population"] = json!([entry]),
    }
}

/// The strata of one stratifier as a report renders them.
fn strata_of(
    m: &MeasureDef<Figures>,
    header: &ReportHeader<'_>,
    whole: &Figures,
    strata: &[Stratum<'_, Figures>],
) -> Value {
    let v = fm::report_stratified(m, &EMERGENCY, header, whole, strata);
    match &v["group"][0]["stratifier"][0]["stratum"] {
        Value::Null => json!([]),
        s => s.clone(),
    }
}

/// The `MeasureReport` of the emergency measure `code` over a subject's
/// figures (the region's or a centre's, [`Stratified`]); `None` for a code
/// that is no emergency measure. `header` names the period, the subject
/// and the reporter as for every other measure.
pub fn render_emergency_report(
    code: &str,
    header: &ReportHeader<'_>,
    figures: &Stratified,
) -> Option<Value> {
    let m = find(code)?;
    let contacts: Vec<(ContactPoint, Figures)> = ContactPoint::ALL
        .iter()
        .map(|&c| (c, figures.contact(c)))
        .collect();
    let strata: Vec<(Value, &Figures)> = contacts
        .iter()
        .map(|(c, f)| (contact_concept(*c), f))
        .collect();
    let mut v = fm::report_in(m, &EMERGENCY, header, &figures.all, &strata);
    if m.code == MORTALITY {
        let conditions: Vec<(Emergency, Figures)> = Emergency::ALL
            .iter()
            .map(|&e| (e, figures.condition(e)))
            .collect();
        let by_condition: Vec<Stratum<'_, Figures>> = conditions
            .iter()
            .map(|(e, f)| Stratum {
                value: condition_concept(*e),
                components: Vec::new(),
                figures: f,
            })
            .collect();
        let by_both: Vec<Stratum<'_, Figures>> = figures
            .by_condition_and_contact
            .iter()
            .map(|((e, c), f)| Stratum {
                value: json!({"text": format!("{}|{}", e.code(), c.code())}),
                components: vec![
                    ("condition", condition_concept(*e)),
                    ("contact-point", contact_concept(*c)),
                ],
                figures: f,
            })
            .collect();
        let extra = [
            (
                CONDITION.0,
                strata_of(m, header, &figures.all, &by_condition),
            ),
            (BOTH.0, strata_of(m, header, &figures.all, &by_both)),
        ];
        if let Some(list) = v["group"][0]["stratifier"].as_array_mut() {
            for (name, stratum) in extra {
                list.push(json!({"code": [{"text": name}], "stratum": stratum}));
            }
        }
    }
    if let Some((_, count)) = initial_population(m.code) {
        add_initial(&mut v, figures, count);
    }
    Some(v)
}

/// Adds the initial population's counts to the group and to every stratum
/// of every stratifier, reading each stratum's figures in the order the
/// strata were rendered.
fn add_initial(v: &mut Value, figures: &Stratified, count: fn(&Figures) -> i64) {
    let group = &mut v["group"][0];
    with_initial(group, count(&figures.all));
    let Some(stratifiers) = group["stratifier"].as_array_mut() else {
        return;
    };
    let contact: Vec<Figures> = ContactPoint::ALL
        .iter()
        .map(|&c| figures.contact(c))
        .collect();
    let condition: Vec<Figures> = Emergency::ALL
        .iter()
        .map(|&e| figures.condition(e))
        .collect();
    let both: Vec<Figures> = figures.by_condition_and_contact.values().cloned().collect();
    for (s, list) in stratifiers.iter_mut().zip([contact, condition, both]) {
        if let Some(strata) = s["stratum"].as_array_mut() {
            for (stratum, f) in strata.iter_mut().zip(&list) {
                with_initial(stratum, count(f));
            }
        }
    }
}

/// The code system of first points of contact, for the terminology
/// service: `(name, title, (code, display) rows)`.
pub fn code_system() -> super::CodeSystemRows {
    (
        CONTACT_POINT,
        "Where the patient first met the emergency network",
        ContactPoint::ALL
            .iter()
            .map(|c| (c.code(), c.display()))
            .collect(),
    )
}

#[cfg(test)]
mod tests;
