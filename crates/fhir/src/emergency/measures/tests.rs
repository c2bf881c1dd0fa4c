//! The emergency measures' FHIR shape: definitions, reports, strata that
//! add up to the group.

use super::*;
use tiercare_core::emergency::accreditation::accreditation;
use tiercare_core::emergency::{
    Alert, CaseClock, Decision, EmergencyCase, Outcome, Rule, Step, Treatment, Windows,
};
use tiercare_core::{EmergencyCaseId, InstitutionId, ResidentId};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-03-01 02:00 UTC);

fn at(m: i64) -> OffsetDateTime {
    T0 + Duration::minutes(m)
}

/// A case from `contact`; `ecg` minutes to the ECG if any, `died`.
fn case(
    n: u32,
    emergency: Emergency,
    contact: ContactPoint,
    ecg: Option<i64>,
    died: bool,
) -> EmergencyCase {
    EmergencyCase {
        id: EmergencyCaseId::new(format!("emg-{n}")).unwrap_or_else(|e| panic!("{e}")),
        patient: ResidentId::new(format!("res-{n}")).unwrap_or_else(|e| panic!("{e}")),
        emergency,
        contact,
        from: None,
        decision: Decision {
            first: Step {
                institution: InstitutionId::new("zx-h1").unwrap_or_else(|e| panic!("{e}")),
                travel_minutes: 20,
                treatment: Treatment::Pci,
            },
            then: None,
            rule: Rule::DirectPci,
        },
        alert: Alert::Sent { at: at(5) },
        clock: CaseClock {
            first_contact: T0,
            ecg: ecg.map(at),
            decision: at(5),
            departure: Some(at(6)),
            door: Some(at(30)),
            treatment: Some(at(90)),
        },
        treated_with: Some(Treatment::Pci),
        bypassed_emergency_department: Some(n.is_multiple_of(2)),
        transfer_out: None,
        outcome: Some(if died { Outcome::Died } else { Outcome::Alive }),
        ecg_reading: None,
        opened_by: None,
        onset_minutes: None,
    }
}

fn cases() -> Vec<EmergencyCase> {
    vec![
        case(
            1,
            Emergency::Stemi,
            ContactPoint::VillageClinic,
            Some(8),
            false,
        ),
        case(
            2,
            Emergency::Stemi,
            ContactPoint::VillageClinic,
            Some(14),
            true,
        ),
        case(3, Emergency::Stemi, ContactPoint::Ambulance, None, false),
        case(4, Emergency::Stemi, ContactPoint::Hospital, Some(5), false),
        case(5, Emergency::Stroke, ContactPoint::Township, None, true),
        case(
            6,
            Emergency::MajorTrauma,
            ContactPoint::Hospital,
            None,
            false,
        ),
    ]
}

fn header() -> ReportHeader<'static> {
    ReportHeader {
        period: (date!(2026 - 01 - 01), date!(2026 - 12 - 31)),
        subject: None,
        region: ("zx", "ZX市"),
        date: "2026-12-07T00:00:00Z",
    }
}

fn counts(node: &Value) -> Vec<(String, i64)> {
    node["population"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|p| {
                    (
                        p["code"]["coding"][0]["code"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        p["count"].as_i64().unwrap_or(-1),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pops(initial: i64, denominator: i64, numerator: i64) -> Vec<(String, i64)> {
    // The order the report gives: initial, then the measure's own order.
    vec![
        ("initial-population".into(), initial),
        ("numerator".into(), numerator),
        ("denominator".into(), denominator),
    ]
}

#[test]
fn every_measure_is_a_measure_with_its_populations_and_stratifiers() {
    let all = emergency_measures();
    assert_eq!(all.len(), EMERGENCY_MEASURES.len());
    for id in [
        "emergency-fmc-ecg-10",
        "emergency-door-to-balloon-90",
        "emergency-door-to-needle-60",
        "emergency-direct",
        "emergency-late-transfer",
        "emergency-mortality-30d",
    ] {
        let m = all
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("{id}"));
        assert_eq!(m["resourceType"], "Measure");
        assert_eq!(m["url"], format!("https://tiercare.org/fhir/Measure/{id}"));
        assert_eq!(m["scoring"]["coding"][0]["code"], "proportion");
        assert!(m["improvementNotation"]["coding"][0]["code"].is_string());
        let codes: Vec<&str> = m["group"][0]["population"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|p| p["code"]["coding"][0]["code"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(codes, ["initial-population", "numerator", "denominator"]);
        let stratifiers = m["group"][0]["stratifier"].as_array().map_or(0, Vec::len);
        assert_eq!(stratifiers, if id == MORTALITY { 3 } else { 1 }, "{id}");
        assert_eq!(
            m["group"][0]["stratifier"][0]["code"]["text"],
            "contact-point"
        );
    }
    let late = all.iter().find(|m| m["id"] == "emergency-late-transfer");
    assert_eq!(
        late.map(|m| &m["improvementNotation"]["coding"][0]["code"]),
        Some(&json!("decrease"))
    );
    let median = all
        .iter()
        .find(|m| m["id"] == "emergency-door-to-balloon-median");
    assert_eq!(
        median.map(|m| &m["scoring"]["coding"][0]["code"]),
        Some(&json!("continuous-variable"))
    );
    assert_eq!(
        find("Measure/emergency-direct").map(|m| m.code),
        Some("emergency-direct")
    );
    assert!(find("Measure/access").is_none(), "not an emergency measure");
}

#[test]
fn a_report_has_the_group_counts_and_strata_that_add_up_to_it() {
    let a = accreditation(&cases(), &Windows::default());
    let r = render_emergency_report("emergency-fmc-ecg-10", &header(), &a.region)
        .unwrap_or_else(|| panic!("a measure"));
    assert_eq!(r["resourceType"], "MeasureReport");
    assert_eq!(r["status"], "complete");
    assert_eq!(r["type"], "summary");
    assert_eq!(
        r["measure"],
        "https://tiercare.org/fhir/Measure/emergency-fmc-ecg-10"
    );
    assert_eq!(r["period"]["start"], "2026-01-01");
    let group = &r["group"][0];
    // Four STEMIs; one without an ECG time; two within 10 minutes.
    assert_eq!(counts(group), pops(4, 3, 2));
    assert_eq!(group["measureScore"]["value"].as_f64(), Some(2.0 / 3.0));
    let strata = group["stratifier"][0]["stratum"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(strata.len(), ContactPoint::ALL.len(), "every contact point");
    let village = strata
        .iter()
        .find(|s| s["value"]["coding"][0]["code"] == "village-clinic")
        .unwrap_or_else(|| panic!("a village stratum"));
    assert_eq!(counts(village), pops(2, 2, 1));
    assert_eq!(village["measureScore"]["value"].as_f64(), Some(0.5));
    let township = strata
        .iter()
        .find(|s| s["value"]["coding"][0]["code"] == "township")
        .unwrap_or_else(|| panic!("a township stratum"));
    assert_eq!(counts(township), pops(0, 0, 0));
    assert!(
        township.get("measureScore").is_none(),
        "no share of nothing"
    );
    assert_strata_sum(group);
}

fn assert_strata_sum(group: &Value) {
    let whole = counts(group);
    for s in group["stratifier"].as_array().cloned().unwrap_or_default() {
        let mut sum: Vec<(String, i64)> = whole.iter().map(|(c, _)| (c.clone(), 0)).collect();
        for stratum in s["stratum"].as_array().cloned().unwrap_or_default() {
            for (code, n) in counts(&stratum) {
                if let Some(slot) = sum.iter_mut().find(|(c, _)| *c == code) {
                    slot.1 += n;
                }
            }
        }
        assert_eq!(sum, whole, "{}", s["code"]);
    }
}

#[test]
fn mortality_is_read_by_contact_point_by_condition_and_by_both() {
    let a = accreditation(&cases(), &Windows::default());
    let r = render_emergency_report(MORTALITY, &header(), &a.region)
        .unwrap_or_else(|| panic!("a measure"));
    let group = &r["group"][0];
    assert_eq!(counts(group), pops(6, 6, 2));
    let names: Vec<&str> = group["stratifier"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|s| s["code"][0]["text"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        names,
        ["contact-point", "condition", "condition-contact-point"]
    );
    assert_strata_sum(group);
    let stemi = &group["stratifier"][1]["stratum"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|s| s["value"]["coding"][0]["code"] == "stemi")
                .cloned()
        })
        .unwrap_or_default();
    assert_eq!(counts(stemi), pops(4, 4, 1));
    let pairs = group["stratifier"][2]["stratum"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        pairs.len(),
        5,
        "five condition and contact pairs had a case"
    );
    let village_stemi = pairs
        .iter()
        .find(|s| s["value"]["text"] == "stemi|village-clinic")
        .unwrap_or_else(|| panic!("the pair"));
    assert_eq!(counts(village_stemi), pops(2, 2, 1));
    assert_eq!(
        village_stemi["component"][1]["code"]["text"],
        "contact-point"
    );
    assert_eq!(
        village_stemi["component"][1]["value"]["coding"][0]["code"],
        "village-clinic"
    );
}

#[test]
fn a_centre_without_cases_has_a_report_without_scores_and_medians_in_minutes() {
    let a = accreditation(&cases(), &Windows::default());
    let none = a.of(Some(
        &InstitutionId::new("zx-t1").unwrap_or_else(|e| panic!("{e}")),
    ));
    let r = render_emergency_report("emergency-door-to-balloon-90", &header(), &none)
        .unwrap_or_else(|| panic!("a measure"));
    assert_eq!(counts(&r["group"][0]), pops(0, 0, 0));
    assert!(r["group"][0].get("measureScore").is_none());
    let m = render_emergency_report("emergency-fmc-ecg-median", &header(), &a.region)
        .unwrap_or_else(|| panic!("a measure"));
    assert_eq!(m["group"][0]["measureScore"]["value"].as_f64(), Some(8.0));
    assert_eq!(m["group"][0]["measureScore"]["code"], "min");
    assert!(render_emergency_report("emergency-nothing", &header(), &a.region).is_none());
}

#[test]
fn the_demo_year_renders_every_measure_for_the_region_and_each_centre() {
    use tiercare_core::demo::DemoCounty;
    use tiercare_core::demo::emergency_cases::year_of_cases;
    use tiercare_core::emergency::TravelTimes;
    let county = DemoCounty::generate(600, 3);
    let w = Windows::default();
    let year = year_of_cases(
        &county,
        &w,
        &TravelTimes::default(),
        date!(2025 - 01 - 01),
        5,
    );
    let a = accreditation(&year, &w);
    assert!(a.centres.len() >= 3, "{:?}", a.centres.keys());
    let subjects = std::iter::once(&a.region).chain(a.centres.values());
    for figures in subjects {
        for m in EMERGENCY_MEASURES {
            let r = render_emergency_report(m.code, &header(), figures)
                .unwrap_or_else(|| panic!("{}", m.code));
            assert_eq!(r["status"], "complete");
            assert_strata_sum(&r["group"][0]);
        }
    }
    let mortality = render_emergency_report(MORTALITY, &header(), &a.region)
        .unwrap_or_else(|| panic!("a measure"));
    let whole = counts(&mortality["group"][0]);
    assert_eq!(
        whole[0],
        ("initial-population".to_string(), year.len() as i64)
    );
}
