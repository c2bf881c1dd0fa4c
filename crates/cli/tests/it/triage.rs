//! The emergency triage over FHIR (`POST HealthcareService/$triage`): each
//! of the five emergencies from each kind of first contact (a village
//! clinic, a township, an ambulance at the roadside, the county hospital),
//! by day and by night, goes where the documented rule
//! (`tiercare_core::emergency::route`) sends it over the registry's
//! institutions and centres; spot checks written out by hand from the
//! rule's documentation and the demo county's geography; the region's
//! policy windows and travel times feeding the rule; who may ask; bad
//! input refused naming the parameter.

use crate::helpers::{TestApp, assert_outcome, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use tiercare_core::Record;
use tiercare_core::emergency::{
    Case, Decision, Emergency, EmergencyCentre, FirstContact, TravelTimes, Windows, route, sites,
};
use tiercare_core::network::Institution;
use tiercare_service::search::{all, query};

/// 10:00 China Standard Time: every centre is open.
const DAY: &str = "2026-03-02T10:00:00+08:00";
/// 03:00 China Standard Time (19:00 UTC the day before): the 石板
/// (zx-tc6) chest pain treatment unit, open 08:00 to 17:30, is closed.
const NIGHT: &str = "2026-03-01T19:00:00Z";

/// Where the patient is, as the request says it.
#[derive(Debug, Clone, Copy)]
enum From {
    Institution(&'static str),
    Roadside(f64, f64),
}

fn request(emergency: &str, from: From, onset: u32, large_vessel: bool, at: &str) -> Value {
    let mut parameter = vec![json!({"name": "emergency", "valueCode": emergency})];
    match from {
        From::Institution(id) => parameter.push(
            json!({"name": "from", "valueReference": {"reference": format!("Organization/{id}")}}),
        ),
        From::Roadside(latitude, longitude) => {
            parameter.push(json!({"name": "latitude", "valueDecimal": latitude}));
            parameter.push(json!({"name": "longitude", "valueDecimal": longitude}));
        }
    }
    parameter.push(json!({"name": "onset-minutes", "valueInteger": onset}));
    parameter.push(json!({"name": "large-vessel", "valueBoolean": large_vessel}));
    parameter.push(json!({"name": "at", "valueDateTime": at}));
    json!({"resourceType": "Parameters", "parameter": parameter})
}

/// One step of an answer: destination, treatment, travel minutes, centre.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Leg {
    destination: String,
    treatment: String,
    travel: u64,
    centre: Option<String>,
}

/// An answer as the tests compare it: the rule and each step.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    rule: String,
    legs: Vec<Leg>,
}

fn named<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|p| p["name"] == name)
}

fn leg(list: &[Value]) -> Leg {
    let reference = |name: &str, prefix: &str| {
        named(list, name).map(|p| {
            let r = p["valueReference"]["reference"]
                .as_str()
                .unwrap_or_default();
            r.strip_prefix(prefix)
                .unwrap_or_else(|| panic!("{name} is not a {prefix} reference: {r}"))
                .to_string()
        })
    };
    Leg {
        destination: reference("destination", "Organization/").expect("a destination"),
        treatment: named(list, "treatment").expect("a treatment")["valueCoding"]["code"]
            .as_str()
            .expect("a treatment code")
            .to_string(),
        travel: named(list, "travel-minutes").expect("travel-minutes")["valueInteger"]
            .as_u64()
            .expect("whole minutes"),
        centre: reference("centre", "HealthcareService/"),
    }
}

fn answer(v: &Value) -> Answer {
    assert_eq!(v["resourceType"], "Parameters", "{v}");
    let list = v["parameter"].as_array().expect("parameters");
    let rule = named(list, "rule").expect("a rule");
    assert_eq!(
        rule["valueCoding"]["system"], "https://tiercare.org/fhir/CodeSystem/emergency-rule",
        "{v}"
    );
    let mut legs = vec![leg(list)];
    if let Some(then) = named(list, "then") {
        legs.push(leg(then["part"].as_array().expect("then's parts")));
    }
    Answer {
        rule: rule["valueCoding"]["code"]
            .as_str()
            .expect("a rule code")
            .into(),
        legs,
    }
}

async fn triage(app: &TestApp, body: &Value) -> Answer {
    let resp = app.post("doctor", "/HealthcareService/$triage", body).await;
    resp.expect(200);
    answer(&resp.json())
}

/// The registry's institutions and emergency centres, read from the store.
async fn registry(app: &TestApp) -> (Vec<Institution>, Vec<EmergencyCentre>) {
    let store = &app.state.ctx.store;
    let institutions = all(store, query("Organization", vec![]))
        .await
        .expect("organizations")
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Institution(i) => Some(i),
            _ => None,
        })
        .collect();
    let centres = all(store, query("HealthcareService", vec![]))
        .await
        .expect("services")
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Centre(c) => Some(c),
            _ => None,
        })
        .collect();
    (institutions, centres)
}

/// What the documented rule gives, as an answer without centres.
fn expected(decision: &Decision) -> Answer {
    let legs = std::iter::once(&decision.first)
        .chain(decision.then.as_ref())
        .map(|s| Leg {
            destination: s.institution.to_string(),
            treatment: s.treatment.code().into(),
            travel: u64::from(s.travel_minutes),
            centre: None,
        })
        .collect();
    Answer {
        rule: decision.rule.code().into(),
        legs,
    }
}

fn without_centres(a: &Answer) -> Answer {
    let mut a = a.clone();
    for l in &mut a.legs {
        l.centre = None;
    }
    a
}

/// A step's centre is one of the registry's active centres, at the
/// step's institution, open at the minute and able to give the treatment;
/// a stabilising step names none.
fn check_centre(leg: &Leg, minute: u16, centres: &[EmergencyCentre], context: &str) {
    if leg.treatment == "stabilise" {
        assert_eq!(leg.centre, None, "{context}: {leg:?}");
        return;
    }
    let id = leg
        .centre
        .as_deref()
        .unwrap_or_else(|| panic!("{context}: no centre for {leg:?}"));
    let c = centres
        .iter()
        .find(|c| c.id.as_str() == id)
        .unwrap_or_else(|| panic!("{context}: {id} is not a registered centre"));
    assert!(c.active, "{context}: {id} is inactive");
    assert_eq!(c.institution.as_str(), leg.destination, "{context}: {id}");
    assert!(c.centre.hours.open_at(minute), "{context}: {id} is closed");
    if leg.treatment != "stroke-unit" {
        assert!(
            c.centre
                .capabilities
                .iter()
                .any(|cap| cap.code() == leg.treatment),
            "{context}: {id} does not do {}",
            leg.treatment
        );
    }
}

#[tokio::test]
async fn every_emergency_from_every_first_contact_goes_where_the_rule_sends_it() {
    let app = spawn_app().await;
    let (institutions, centres) = registry(&app).await;
    let active: Vec<EmergencyCentre> = centres.iter().filter(|c| c.active).cloned().collect();
    let routing = sites(&institutions, &active);
    let clinic = "zx-vc5-1";
    assert!(
        institutions.iter().any(|i| i.id.as_str() == clinic),
        "the demo county has {clinic}"
    );
    let contacts = [
        From::Institution(clinic),
        From::Institution("zx-tc6"),
        From::Roadside(31.02, 113.80),
        From::Institution("zx-h1"),
    ];
    // Strokes early with a suspected large vessel, and late without.
    let cases = [
        (Emergency::Stemi, 0, false),
        (Emergency::Stroke, 60, true),
        (Emergency::Stroke, 300, false),
        (Emergency::MajorTrauma, 0, false),
        (Emergency::Obstetric, 0, false),
        (Emergency::Newborn, 0, false),
    ];
    let mut rules = std::collections::BTreeSet::new();
    for (at, minute) in [(DAY, 600u16), (NIGHT, 180)] {
        for from in contacts {
            let first = match from {
                From::Institution(id) => {
                    let i = institutions
                        .iter()
                        .find(|i| i.id.as_str() == id)
                        .expect("a registered institution");
                    let place = i.place.as_ref().expect("a registered place");
                    FirstContact {
                        latitude: place.latitude,
                        longitude: place.longitude,
                        institution: Some(i.id.clone()),
                    }
                }
                From::Roadside(latitude, longitude) => FirstContact {
                    latitude,
                    longitude,
                    institution: None,
                },
            };
            for (emergency, onset, large_vessel) in cases {
                let case = Case {
                    emergency,
                    onset_minutes: onset,
                    large_vessel,
                };
                let decision = route(
                    &case,
                    &first,
                    minute,
                    &routing,
                    &TravelTimes::default(),
                    &Windows::default(),
                )
                .expect("the demo county can take every emergency");
                let body = request(emergency.code(), from, onset, large_vessel, at);
                let got = triage(&app, &body).await;
                let context = format!("{} from {from:?} at {at}", emergency.code());
                assert_eq!(without_centres(&got), expected(&decision), "{context}");
                for leg in &got.legs {
                    check_centre(leg, minute, &active, &context);
                }
                rules.insert(got.rule);
            }
        }
    }
    // The demo county exercises these branches of the rule.
    for rule in [
        "direct-pci",
        "thrombectomy",
        "stroke-unit",
        "trauma-centre",
        "maternal-centre",
        "neonatal-centre",
    ] {
        assert!(rules.contains(rule), "{rule} never decided: {rules:?}");
    }
}

fn leg_of(destination: &str, treatment: &str, travel: u64, centre: Option<&str>) -> Leg {
    Leg {
        destination: destination.into(),
        treatment: treatment.into(),
        travel,
        centre: centre.map(String::from),
    }
}

fn one(rule: &str, leg: Leg) -> Answer {
    Answer {
        rule: rule.into(),
        legs: vec![leg],
    }
}

/// By hand from the rule's documentation and the demo county (estimated
/// minutes: great-circle distance x 1.4 at 40 km/h, rounded up): zx-t1 is
/// 82 minutes from 桃花's township zx-tc5, 54 from zx-tc6, 70 from zx-tc1;
/// zx-h1 29 from zx-tc1 and 41 from zx-tc5; zx-h3 31 from zx-tc1.
#[tokio::test]
async fn spot_checks_by_hand_under_the_demo_policy() {
    let app = spawn_app().await;
    let ask = |emergency: &'static str, from: &'static str, onset: u32, lvo: bool, at| {
        request(emergency, From::Institution(from), onset, lvo, at)
    };
    // A STEMI at a township 82 minutes from PCI: 82 + 30 door-to-wire is
    // within 120, so straight to the prefecture's catheter laboratory.
    let direct = one(
        "direct-pci",
        leg_of("zx-t1", "pci", 82, Some("ctr-zx-t1-chest-pain")),
    );
    assert_eq!(
        triage(&app, &ask("stemi", "zx-tc5", 0, false, DAY)).await,
        direct
    );
    // At 03:00 石板's unit is closed and PCI is within reach (54 + 30):
    // the STEMI is not lysed at zx-tc6.
    let night = triage(&app, &ask("stemi", "zx-tc6", 0, false, NIGHT)).await;
    assert_eq!(
        night,
        one(
            "direct-pci",
            leg_of("zx-t1", "pci", 54, Some("ctr-zx-t1-chest-pain"))
        )
    );
    assert!(night.legs.iter().all(|l| l.destination != "zx-tc6"));
    // An obstetric emergency: the county hospital's maternal centre.
    assert_eq!(
        triage(&app, &ask("obstetric-emergency", "zx-tc5", 0, false, DAY)).await,
        one(
            "maternal-centre",
            leg_of(
                "zx-h1",
                "caesarean",
                41,
                Some("ctr-zx-h1-critical-maternal")
            )
        )
    );
    // A critically ill newborn: the neonatal centre at zx-h3.
    assert_eq!(
        triage(
            &app,
            &ask("critically-ill-newborn", "zx-tc1", 0, false, NIGHT)
        )
        .await,
        one(
            "neonatal-centre",
            leg_of("zx-h3", "nicu", 31, Some("ctr-zx-h3-critical-neonatal"))
        )
    );
    // Major trauma within the golden hour of the county's trauma centre.
    assert_eq!(
        triage(&app, &ask("major-trauma", "zx-tc5", 0, false, DAY)).await,
        one(
            "trauma-centre",
            leg_of("zx-h1", "trauma-surgery", 41, Some("ctr-zx-h1-trauma"))
        )
    );
    // A large-vessel stroke 120 minutes in: 120 + 70 is within 6 hours,
    // thrombectomy at zx-t1.
    assert_eq!(
        triage(&app, &ask("acute-stroke", "zx-tc1", 120, true, DAY)).await,
        one(
            "thrombectomy",
            leg_of("zx-t1", "thrombectomy", 70, Some("ctr-zx-t1-stroke"))
        )
    );
    // 330 minutes in: 330 + 70 is past 6 hours, and 330 + 29 + 60 past
    // 4.5 hours: stroke-unit care at the nearest stroke centre.
    assert_eq!(
        triage(&app, &ask("acute-stroke", "zx-tc1", 330, true, DAY)).await,
        one(
            "stroke-unit",
            leg_of("zx-h1", "stroke-unit", 29, Some("ctr-zx-h1-stroke"))
        )
    );
    // No large vessel, 60 minutes in: 60 + 29 + 60 is within 4.5 hours.
    assert_eq!(
        triage(&app, &ask("acute-stroke", "zx-tc1", 60, false, DAY)).await,
        one(
            "stroke-lysis",
            leg_of("zx-h1", "thrombolysis", 29, Some("ctr-zx-h1-stroke"))
        )
    );
    // At the county hospital itself: no travel.
    let here = triage(&app, &ask("major-trauma", "zx-h1", 0, false, NIGHT)).await;
    assert_eq!(here.legs[0].travel, 0);
    assert_eq!(here.legs[0].destination, "zx-h1");
}

/// The region's policy feeds the rule: with a 60-minute primary-PCI
/// window, a 20-minute neonatal window and a measured 200 minutes between
/// zx-tc5 and zx-t1, the fall-backs of the rule decide.
#[tokio::test]
async fn the_policy_windows_and_travel_times_decide_the_fall_backs() {
    let demo = include_str!("../../../core/data/demo-policy.toml");
    let tight = demo
        .replace(
            "# pci_first_contact_to_wire = 120",
            "pci_first_contact_to_wire = 60",
        )
        .replace("# neonatal = 120", "neonatal = 20");
    assert_ne!(tight, demo, "the demo policy documents the windows");
    let text = format!(
        "{tight}\n[[emergency.travel]]\nfrom = \"zx-tc5\"\nto = \"zx-t1\"\nminutes = 200\n"
    );
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, text).expect("the policy written");
    let app = spawn_app_with(|s| s.policy_file = Some(path.display().to_string())).await;
    let ask = |emergency: &'static str, from: &'static str, at| {
        request(emergency, From::Institution(from), 0, false, at)
    };
    let lysis_then = |at: &str, lysed: u64, to_pci: u64| Answer {
        rule: "lysis-then-pci".into(),
        legs: vec![
            leg_of(
                at,
                "thrombolysis",
                lysed,
                Some(&format!("ctr-{at}-chest-pain")),
            ),
            leg_of("zx-t1", "pci", to_pci, Some("ctr-zx-t1-chest-pain")),
        ],
    };
    // By day: PCI (54 + 30) is out of the 60-minute window, so 石板's own
    // unit lyses, then the transfer to PCI.
    assert_eq!(
        triage(&app, &ask("stemi", "zx-tc6", DAY)).await,
        lysis_then("zx-tc6", 0, 54)
    );
    // At 03:00 its unit is closed: the nearest open place that lyses is
    // zx-tc4's unit, 26 minutes away (zx-h1 is 35), then zx-t1 from there.
    assert_eq!(
        triage(&app, &ask("stemi", "zx-tc6", NIGHT)).await,
        lysis_then("zx-tc4", 26, 29)
    );
    // The measured 200 minutes replace the estimate of 82.
    assert_eq!(
        triage(&app, &ask("stemi", "zx-tc5", DAY)).await,
        lysis_then("zx-tc5", 0, 200)
    );
    // The neonatal centre (31 minutes) is beyond 20: stabilise at the
    // nearest hospital, zx-h2 (27 minutes), then zx-h3 (5 from there).
    assert_eq!(
        triage(&app, &ask("critically-ill-newborn", "zx-tc1", DAY)).await,
        Answer {
            rule: "stabilise-then-neonatal".into(),
            legs: vec![
                leg_of("zx-h2", "stabilise", 27, None),
                leg_of("zx-h3", "nicu", 5, Some("ctr-zx-h3-critical-neonatal")),
            ],
        }
    );
}

#[tokio::test]
async fn only_doctors_coordinators_and_administrators_triage() {
    let app = spawn_app().await;
    let body = request("stemi", From::Institution("zx-tc1"), 0, false, DAY);
    for user in ["resident", "analyst", "insurer"] {
        let resp = app.post(user, "/HealthcareService/$triage", &body).await;
        assert_outcome(&resp, 403, "triage");
    }
    for user in ["doctor", "coordinator", "admin"] {
        let resp = app.post(user, "/HealthcareService/$triage", &body).await;
        resp.expect(200);
        assert_eq!(answer(&resp.json()).rule, "direct-pci", "{user}");
    }
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_parameter() {
    let app = spawn_app().await;
    let post = |body: Value| {
        let app = &app;
        async move {
            app.post("doctor", "/HealthcareService/$triage", &body)
                .await
        }
    };
    let with = |list: Value| json!({"resourceType": "Parameters", "parameter": list});
    let stemi = json!({"name": "emergency", "valueCode": "stemi"});
    let from = json!({"name": "from", "valueReference": {"reference": "Organization/zx-tc1"}});
    let lat = json!({"name": "latitude", "valueDecimal": 31.0});
    let lon = json!({"name": "longitude", "valueDecimal": 113.8});

    let unknown = request("heart-attack", From::Institution("zx-tc1"), 0, false, DAY);
    assert_outcome(&post(unknown).await, 400, "emergency");
    let both = with(json!([stemi, from, lat, lon]));
    assert_outcome(&post(both).await, 400, "from");
    let neither = with(json!([stemi]));
    assert_outcome(&post(neither).await, 400, "from");
    let half = with(json!([stemi, lat]));
    assert_outcome(&post(half).await, 400, "longitude");
    let half = with(json!([stemi, lon]));
    assert_outcome(&post(half).await, 400, "latitude");
    let north = with(json!([stemi, {"name": "latitude", "valueDecimal": 95.0}, lon]));
    assert_outcome(&post(north).await, 400, "latitude");
    let negative = with(json!([stemi, from, {"name": "onset-minutes", "valueInteger": -5}]));
    assert_outcome(&post(negative).await, 400, "onset-minutes");
    let day_only = with(json!([stemi, from, {"name": "at", "valueDateTime": "2026-03-02"}]));
    assert_outcome(&post(day_only).await, 400, "at");
    let nowhere = with(json!([stemi,
        {"name": "from", "valueReference": {"reference": "Organization/zx-nowhere"}}]));
    let outcome = assert_outcome(&post(nowhere).await, 422, "zx-nowhere");
    assert!(outcome.to_string().contains("from"), "{outcome}");
    let not_an_org = with(json!([stemi,
        {"name": "from", "valueReference": {"reference": "Patient/res-000001"}}]));
    assert_outcome(&post(not_an_org).await, 400, "from");
}
