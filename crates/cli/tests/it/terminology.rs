//! The catalogue as FHIR terminology: CodeSystems (the condition catalogue
//! and tiercare's own code systems), the condition -> level ConceptMap, and
//! `$triage`, checked against the catalogue itself and against a few
//! clinical expectations.

use crate::helpers::{FHIR_JSON, TestApp, assert_outcome, entries, send, spawn_app};
use serde_json::{Value, json};
use tiercare_core::Level;
use tiercare_core::catalogue::{Case, Catalogue, IcdCode, Severity, Triage, Urgency};

const CS: &str = "https://tiercare.org/fhir/CodeSystem";

fn catalogue() -> &'static Catalogue {
    Catalogue::bundled()
}

/// The value of a CodeSystem concept's property.
fn property<'a>(concept: &'a Value, code: &str) -> &'a Value {
    let p = concept["property"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["code"] == code))
        .unwrap_or_else(|| panic!("no property {code} in {concept}"));
    p.get("valueCode")
        .or_else(|| p.get("valueBoolean"))
        .expect("a value")
}

#[tokio::test]
async fn the_condition_catalogue_is_a_code_system() {
    let app = spawn_app().await;
    let resp = app.get("doctor", "/CodeSystem/conditions").await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .unwrap_or_default()
            .starts_with(FHIR_JSON)
    );
    let cs = resp.json();
    assert_eq!(cs["resourceType"], "CodeSystem");
    assert_eq!(cs["id"], "conditions");
    assert_eq!(cs["url"], format!("{CS}/conditions"));
    assert_eq!(cs["content"], "complete");
    let concepts = cs["concept"].as_array().expect("concepts");
    let conditions = catalogue().conditions();
    assert!(concepts.len() >= 60, "only {} concepts", concepts.len());
    assert_eq!(concepts.len(), conditions.len());
    assert_eq!(cs["count"], concepts.len());
    let declared: Vec<&Value> = cs["property"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["code"])
        .collect();
    assert_eq!(
        declared,
        [
            "level",
            "moderate",
            "severe",
            "emergency",
            "specialty",
            "chronic"
        ]
    );
    for (concept, c) in concepts.iter().zip(conditions) {
        assert_eq!(concept["code"], c.code.to_string());
        assert_eq!(concept["display"], c.name.as_str());
        assert_eq!(property(concept, "level"), c.level.code());
        assert_eq!(property(concept, "moderate"), c.moderate.code());
        assert_eq!(property(concept, "severe"), c.severe.code());
        assert_eq!(property(concept, "emergency"), c.emergency.code());
        assert_eq!(property(concept, "specialty"), c.specialty.code());
        assert_eq!(property(concept, "chronic"), &json!(c.chronic));
    }
    // Codes are unique.
    let mut codes: Vec<&str> = concepts
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), concepts.len());
}

#[tokio::test]
async fn code_systems_are_searched_and_read() {
    let app = spawn_app().await;
    let bundle = app.get("analyst", "/CodeSystem").await;
    bundle.expect(200);
    let bundle = bundle.json();
    assert_eq!(bundle["type"], "searchset");
    let all = entries(&bundle);
    assert_eq!(bundle["total"], all.len());
    let ids: Vec<&str> = all.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in [
        "level",
        "institution-kind",
        "alliance-kind",
        "alliance-closeness",
        "organization-category",
        "alliance-role",
        "practitioner-role",
        "specialty",
        "team-role",
        "care-team-category",
        "key-group",
        "user-role",
        "conditions",
    ] {
        assert!(ids.contains(&id), "no CodeSystem {id} in {ids:?}");
    }
    for (entry, cs) in bundle["entry"].as_array().unwrap().iter().zip(&all) {
        let id = cs["id"].as_str().unwrap();
        assert!(
            entry["fullUrl"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/CodeSystem/{id}")),
            "{entry}"
        );
        assert_eq!(cs["url"], format!("{CS}/{id}"));
        assert_eq!(cs["count"], cs["concept"].as_array().unwrap().len(), "{id}");
        // Read gives the same resource.
        let read = app.get("analyst", &format!("/CodeSystem/{id}")).await;
        read.expect(200);
        assert_eq!(&read.json(), cs, "{id}");
    }
    let level = app.get("analyst", "/CodeSystem/level").await.json();
    let codes: Vec<&Value> = level["concept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["code"])
        .collect();
    let expected: Vec<&str> = Level::ALL.iter().map(|l| l.code()).collect();
    assert_eq!(codes, expected);

    // Search by url and _id; unknown parameters are refused.
    let by_url = app
        .get("analyst", &format!("/CodeSystem?url={CS}/level"))
        .await
        .json();
    assert_eq!(by_url["total"], 1);
    assert_eq!(entries(&by_url)[0]["id"], "level");
    let by_id = app
        .get("analyst", "/CodeSystem?_id=conditions")
        .await
        .json();
    assert_eq!(by_id["total"], 1);
    assert_eq!(entries(&by_id)[0]["id"], "conditions");
    let none = app.get("analyst", "/CodeSystem?_id=nope").await.json();
    assert_eq!(none["total"], 0);
    assert!(none.get("entry").is_none(), "{none}");
    assert_outcome(
        &app.get("analyst", "/CodeSystem?title=Level").await,
        400,
        "title",
    );
    assert_outcome(
        &app.get("analyst", "/CodeSystem/nope").await,
        404,
        "CodeSystem/nope",
    );
    // Terminology is for signed-in users.
    let anonymous = send(app.client.get(app.fhir_url("/CodeSystem/level"))).await;
    assert_outcome(&anonymous, 401, "");
}

#[tokio::test]
async fn the_concept_map_positions_every_condition() {
    let app = spawn_app().await;
    let map = app.get("resident", "/ConceptMap/condition-level").await;
    map.expect(200);
    let map = map.json();
    assert_eq!(map["resourceType"], "ConceptMap");
    assert_eq!(map["sourceUri"], format!("{CS}/conditions"));
    assert_eq!(map["targetUri"], format!("{CS}/level"));
    let group = &map["group"][0];
    assert_eq!(group["source"], format!("{CS}/conditions"));
    assert_eq!(group["target"], format!("{CS}/level"));
    let elements = group["element"].as_array().unwrap();
    let conditions = catalogue().conditions();
    assert_eq!(elements.len(), conditions.len());
    for (e, c) in elements.iter().zip(conditions) {
        assert_eq!(e["code"], c.code.to_string());
        let targets = e["target"].as_array().unwrap();
        assert_eq!(targets.len(), 1, "{e}");
        assert_eq!(targets[0]["code"], c.level.code(), "{e}");
        assert_eq!(targets[0]["display"], c.level.display(), "{e}");
    }
    // A few positionings a family doctor would expect.
    let level_of = |code: &str| {
        elements
            .iter()
            .find(|e| e["code"] == code)
            .map(|e| e["target"][0]["code"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no element {code}"))
    };
    assert_eq!(level_of("I10-I15"), "primary");
    assert_eq!(level_of("E11"), "primary");
    assert_eq!(level_of("I21-I24"), "tertiary");

    let search = app.get("resident", "/ConceptMap").await.json();
    assert_eq!(search["type"], "searchset");
    assert_eq!(search["total"], 1);
    assert_eq!(entries(&search)[0], map);
    let by_url = app
        .get(
            "resident",
            "/ConceptMap?url=https://tiercare.org/fhir/ConceptMap/condition-level",
        )
        .await
        .json();
    assert_eq!(by_url["total"], 1);
    let none = app
        .get("resident", "/ConceptMap?url=http://example.org/other")
        .await
        .json();
    assert_eq!(none["total"], 0);
    assert_outcome(
        &app.get("resident", "/ConceptMap/nope").await,
        404,
        "ConceptMap/nope",
    );
}

/// The `$triage` answer, read out of its Parameters.
#[derive(Debug, PartialEq)]
struct Answer {
    level: String,
    condition: String,
    condition_name: String,
    emergency: bool,
    reasons: Vec<String>,
}

fn answer(params: &Value) -> Answer {
    assert_eq!(params["resourceType"], "Parameters", "{params}");
    let list = params["parameter"].as_array().expect("parameter");
    let one = |name: &str| {
        let found: Vec<&Value> = list.iter().filter(|p| p["name"] == name).collect();
        assert_eq!(found.len(), 1, "{name} in {params}");
        found[0]
    };
    let level = &one("level")["valueCoding"];
    assert_eq!(level["system"], format!("{CS}/level"));
    let condition = &one("condition")["valueCoding"];
    assert_eq!(condition["system"], format!("{CS}/conditions"));
    Answer {
        level: level["code"].as_str().unwrap().into(),
        condition: condition["code"].as_str().unwrap().into(),
        condition_name: condition["display"].as_str().unwrap().into(),
        emergency: one("emergency")["valueBoolean"]
            .as_bool()
            .expect("emergency"),
        reasons: list
            .iter()
            .filter(|p| p["name"] == "reason")
            .map(|p| p["valueString"].as_str().expect("reason text").to_string())
            .collect(),
    }
}

fn expected(t: &Triage) -> Answer {
    Answer {
        level: t.level.code().into(),
        condition: t.condition_code.clone(),
        condition_name: t.condition_name.clone(),
        emergency: t.emergency,
        reasons: t.reasons.clone(),
    }
}

fn query(code: &str, severity: Severity, urgency: Urgency, stable: bool) -> String {
    let mut q = format!("code={code}");
    if severity != Severity::Mild || stable {
        q.push_str(&format!("&severity={}", severity.code()));
    }
    if urgency != Urgency::Routine {
        q.push_str(&format!("&urgency={}", urgency.code()));
    }
    if stable {
        q.push_str("&stable-chronic=true");
    }
    q
}

async fn triage_get(app: &TestApp, q: &str) -> Answer {
    let resp = app.get("doctor", &format!("/CodeSystem/$triage?{q}")).await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .unwrap_or_default()
            .starts_with(FHIR_JSON)
    );
    let a = answer(&resp.json());
    assert!(
        a.reasons.len() >= 2,
        "{q}: every answer explains itself: {a:?}"
    );
    assert_eq!(
        a.reasons.last().unwrap(),
        &format!("The case belongs at {} level.", a.level),
        "{q}"
    );
    a
}

fn case(code: &str, severity: Severity, urgency: Urgency, stable: bool) -> Case {
    Case {
        code: code.parse::<IcdCode>().expect("code"),
        severity,
        urgency,
        stable_chronic: stable,
    }
}

const SEVERITIES: [Severity; 3] = [Severity::Mild, Severity::Moderate, Severity::Severe];
const URGENCIES: [Urgency; 3] = [Urgency::Routine, Urgency::Urgent, Urgency::Emergency];

#[tokio::test]
async fn triage_agrees_with_the_catalogue() {
    let app = spawn_app().await;
    let mut combos = Vec::new();
    for s in SEVERITIES {
        for u in URGENCIES {
            for stable in [false, true] {
                combos.push((s, u, stable));
            }
        }
    }
    let mut checked = 0;
    for (i, c) in catalogue().conditions().iter().enumerate() {
        // Both ends of each range, and three combinations per condition so
        // that every combination is met across the catalogue.
        let codes = [c.code.start.to_string(), c.code.end.to_string()];
        for (k, code) in codes.iter().enumerate() {
            for j in 0..3 {
                let (s, u, stable) = combos[(i * 5 + k * 3 + j * 7) % combos.len()];
                let want = expected(&catalogue().triage(&case(code, s, u, stable)).unwrap());
                let got = triage_get(&app, &query(code, s, u, stable)).await;
                assert_eq!(got, want, "{code} {s:?} {u:?} stable={stable}");
                checked += 1;
            }
        }
    }
    // All combinations for two pilot diseases, and subcategory codes.
    for code in ["I10", "I63", "E11.9", "K92.1", "I21.4"] {
        for &(s, u, stable) in &combos {
            let want = expected(&catalogue().triage(&case(code, s, u, stable)).unwrap());
            let got = triage_get(&app, &query(code, s, u, stable)).await;
            assert_eq!(got, want, "{code} {s:?} {u:?} stable={stable}");
            checked += 1;
        }
    }
    assert!(checked > 400, "{checked}");
    // Codes are read the way IcdCode reads them (trimmed, upper-cased).
    let lower = triage_get(&app, "code=%20e11.9").await;
    assert_eq!(lower, triage_get(&app, "code=E11.9").await);
}

#[tokio::test]
async fn triage_meets_clinical_expectations() {
    let app = spawn_app().await;
    use Severity::*;
    use Urgency::*;
    let cases: &[(&str, Severity, Urgency, bool, &str, bool, &str)] = &[
        // Stable chronic disease is managed by the family doctor.
        ("I10", Mild, Routine, false, "primary", false, "I10-I15"),
        ("I10", Mild, Routine, true, "primary", false, "I10-I15"),
        ("E11.9", Mild, Routine, true, "primary", false, "E11"),
        ("I63", Mild, Routine, true, "primary", false, "I63"),
        ("I25", Mild, Routine, true, "primary", false, "I25"),
        // Severity and urgency move a case up, never down.
        ("I10", Severe, Routine, false, "secondary", false, "I10-I15"),
        ("I10", Mild, Emergency, false, "secondary", true, "I10-I15"),
        ("I10", Severe, Routine, true, "secondary", false, "I10-I15"),
        ("E11", Severe, Routine, false, "secondary", false, "E11"),
        // Stroke and heart attack go up, as emergencies.
        ("I63", Mild, Emergency, false, "secondary", true, "I63"),
        ("I63", Severe, Routine, false, "tertiary", false, "I63"),
        (
            "I61.9",
            Mild,
            Emergency,
            false,
            "secondary",
            true,
            "I60-I62",
        ),
        ("I21", Mild, Routine, false, "tertiary", false, "I21-I24"),
        ("I21.9", Mild, Emergency, false, "tertiary", true, "I21-I24"),
        // A heart attack is never "stable chronic".
        ("I21", Mild, Routine, true, "tertiary", false, "I21-I24"),
    ];
    for &(code, s, u, stable, level, emergency, condition) in cases {
        let a = triage_get(&app, &query(code, s, u, stable)).await;
        let what = format!("{code} {s:?} {u:?} stable={stable}: {a:?}");
        assert_eq!(a.level, level, "{what}");
        assert_eq!(a.emergency, emergency, "{what}");
        assert_eq!(a.condition, condition, "{what}");
        assert!(a.reasons[0].contains(&format!("({condition})")), "{what}");
    }
    // The reasons say why.
    let a = triage_get(&app, "code=I63&stable-chronic=true").await;
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("stable") && r.contains("primary")),
        "{a:?}"
    );
    let a = triage_get(&app, "code=I21&stable-chronic=true").await;
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("not a chronic condition")),
        "{a:?}"
    );
    let a = triage_get(&app, "code=I63&urgency=emergency").await;
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("emergency") && r.contains("no referral")),
        "{a:?}"
    );
    // Moving up is monotone in severity and urgency for every condition.
    for c in catalogue().conditions() {
        let code = c.code.start.to_string();
        let mild = triage_get(&app, &format!("code={code}")).await;
        let severe = triage_get(&app, &format!("code={code}&severity=severe")).await;
        let level = |a: &Answer| Level::from_code(&a.level).unwrap();
        assert!(level(&severe) >= level(&mild), "{code}");
        assert_eq!(level(&mild), c.level, "{code}");
    }
}

fn parameters(pairs: &[(&str, Value)]) -> Value {
    let parameter: Vec<Value> = pairs
        .iter()
        .map(|(name, value)| {
            let mut p = json!({"name": name});
            match value {
                Value::Bool(b) => p["valueBoolean"] = json!(b),
                Value::Object(_) => p["valueCoding"] = value.clone(),
                other => p["valueCode"] = other.clone(),
            }
            p
        })
        .collect();
    json!({"resourceType": "Parameters", "parameter": parameter})
}

#[tokio::test]
async fn triage_by_post_answers_as_by_get() {
    let app = spawn_app().await;
    let cases: Vec<(Value, &str)> = vec![
        (parameters(&[("code", json!("I10"))]), "code=I10"),
        (
            parameters(&[("code", json!("I10")), ("stable-chronic", json!(true))]),
            "code=I10&stable-chronic=true",
        ),
        (
            parameters(&[
                (
                    "code",
                    json!({"system": format!("{CS}/conditions"), "code": "I63"}),
                ),
                ("urgency", json!("emergency")),
            ]),
            "code=I63&urgency=emergency",
        ),
        (
            parameters(&[
                ("code", json!("I21.9")),
                ("severity", json!("moderate")),
                ("urgency", json!("urgent")),
            ]),
            "code=I21.9&severity=moderate&urgency=urgent",
        ),
    ];
    for (body, q) in cases {
        let by_get = triage_get(&app, q).await;
        for path in ["/CodeSystem/$triage", "/CodeSystem/conditions/$triage"] {
            let resp = app.post("doctor", path, &body).await;
            resp.expect(200);
            assert_eq!(answer(&resp.json()), by_get, "{path} {body}");
        }
        let by_instance = app
            .get("doctor", &format!("/CodeSystem/conditions/$triage?{q}"))
            .await;
        by_instance.expect(200);
        assert_eq!(answer(&by_instance.json()), by_get, "{q}");
    }
}

/// A code of valid form that no catalogue entry holds.
fn uncatalogued_code() -> &'static str {
    ["U99", "Z99.9", "Y99", "X99", "W99", "V99", "Q99"]
        .into_iter()
        .find(|c| catalogue().find(&c.parse().unwrap()).is_none())
        .expect("a code outside the catalogue")
}

#[tokio::test]
async fn bad_triage_requests_are_refused_with_an_outcome() {
    let app = spawn_app().await;
    let unknown = uncatalogued_code();
    let resp = app
        .get("doctor", &format!("/CodeSystem/$triage?code={unknown}"))
        .await;
    assert!((400..500).contains(&resp.status), "{}", resp.body);
    assert_outcome(&resp, resp.status, "not in the condition catalogue");
    assert_outcome(&resp, resp.status, unknown);
    for (q, needle) in [
        ("", "code"),
        ("severity=severe", "code"),
        ("code=hello", "hello"),
        ("code=I10.x00x002", "I10.x00x002"),
        ("code=I10&severity=catastrophic", "catastrophic"),
        ("code=I10&urgency=yesterday", "yesterday"),
        ("code=I10&stable-chronic=yes", "stable-chronic"),
    ] {
        let resp = app.get("doctor", &format!("/CodeSystem/$triage?{q}")).await;
        assert_eq!(resp.status, 400, "{q}: {}", resp.body);
        assert_outcome(&resp, 400, needle);
    }
    let resp = app
        .post(
            "doctor",
            "/CodeSystem/$triage",
            &parameters(&[("code", json!(unknown))]),
        )
        .await;
    assert!((400..500).contains(&resp.status), "{}", resp.body);
    assert_outcome(&resp, resp.status, unknown);
    for (body, needle) in [
        (json!({"resourceType": "Patient"}), "Parameters"),
        (
            json!({"resourceType": "Parameters", "parameter": [{"valueCode": "I10"}]}),
            "name",
        ),
        (
            json!({"resourceType": "Parameters", "parameter": [{"name": "code", "valueInteger": 10}]}),
            "valueCode",
        ),
        (
            parameters(&[("code", json!("I10")), ("severity", json!("catastrophic"))]),
            "catastrophic",
        ),
    ] {
        let resp = app.post("doctor", "/CodeSystem/$triage", &body).await;
        assert_eq!(resp.status, 400, "{body}: {}", resp.body);
        assert_outcome(&resp, 400, needle);
    }
    let anonymous = send(app.client.get(app.fhir_url("/CodeSystem/$triage?code=I10"))).await;
    assert_outcome(&anonymous, 401, "");
}

/// A misspelt input must not be ignored: `severty=severe` answered as if
/// the case were mild sends a severe patient to the wrong level. Search
/// refuses unknown parameters for the same reason (docs/fhir.md).
#[tokio::test]
async fn triage_refuses_parameters_it_does_not_know() {
    let app = spawn_app().await;
    for q in [
        "code=I10&severty=severe",
        "code=I63&urgent=true",
        "code=I10&stable=true",
    ] {
        let resp = app.get("doctor", &format!("/CodeSystem/$triage?{q}")).await;
        let bad = q.split('&').nth(1).unwrap().split('=').next().unwrap();
        assert_eq!(
            resp.status, 400,
            "{q}: the unknown input {bad:?} was ignored: {}",
            resp.body
        );
        assert_outcome(&resp, 400, bad);
    }
    let body = parameters(&[("code", json!("I10")), ("severty", json!("severe"))]);
    let resp = app.post("doctor", "/CodeSystem/$triage", &body).await;
    assert_eq!(
        resp.status, 400,
        "POST: the unknown input \"severty\" was ignored: {}",
        resp.body
    );
    assert_outcome(&resp, 400, "severty");
}
