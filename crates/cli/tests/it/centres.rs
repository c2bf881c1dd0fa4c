//! Designated emergency centres over HTTP: a centre created as a
//! HealthcareService reads back as sent and is found by category,
//! capability, institution and catchment; bad input is refused by name;
//! only administrators and the institution's coordinators write centres;
//! the demo county's centres are there to search.

use crate::helpers::{TestApp, assert_contains, assert_outcome, entries, spawn_app};
use crate::validate::assert_valid_fhir;
use serde_json::{Value, json};

const KIND: &str = "https://tiercare.org/fhir/CodeSystem/emergency-centre";
const CAPABILITY: &str = "https://tiercare.org/fhir/CodeSystem/emergency-capability";
const EXT: &str = "https://tiercare.org/fhir/StructureDefinition";

fn org(id: &str) -> Value {
    json!({"reference": format!("Organization/{id}")})
}

/// A stroke centre at `at` doing `capabilities`, taking two townships'
/// emergencies and transferring to the prefecture's hospital.
fn centre_body(at: &str, kind: &str, capabilities: &[&str]) -> Value {
    json!({
        "resourceType": "HealthcareService",
        "extension": [
            {"url": format!("{EXT}/centre-accreditation"),
             "valueCoding": {"system": "https://tiercare.org/fhir/CodeSystem/centre-accreditation",
                             "code": "basic"}},
            {"url": format!("{EXT}/centre-catchment"), "valueReference": org("zx-tc1")},
            {"url": format!("{EXT}/centre-catchment"), "valueReference": org("zx-tc2")},
            {"url": format!("{EXT}/transfer-agreement"), "valueReference": org("zx-t1")},
        ],
        "active": true,
        "providedBy": org(at),
        "category": [{"coding": [{"system": KIND, "code": kind}]}],
        "name": "ZX市中医院卒中中心",
        "characteristic": capabilities.iter()
            .map(|c| json!({"coding": [{"system": CAPABILITY, "code": c}]}))
            .collect::<Vec<_>>(),
        "availableTime": [{"availableStartTime": "08:00:00", "availableEndTime": "20:00:00"}],
    })
}

async fn ids(app: &TestApp, user: &str, query: &str) -> Vec<String> {
    let found = app.get(user, &format!("/HealthcareService?{query}")).await;
    found.expect(200);
    entries(&found.json())
        .iter()
        .filter_map(|e| e["id"].as_str().map(String::from))
        .collect()
}

#[tokio::test]
async fn a_centre_is_created_read_back_and_searched() {
    let app = spawn_app().await;
    let body = centre_body("zx-h2", "stroke", &["thrombolysis"]);
    let made = app.post("admin", "/HealthcareService", &body).await;
    made.expect(201);
    let id = made.json()["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("ctr-"), "{id}");
    let read = app.get("doctor", &format!("/HealthcareService/{id}")).await;
    read.expect(200);
    let got = read.json();
    assert_valid_fhir(std::slice::from_ref(&got));
    assert_contains(&body, &got);
    assert_eq!(got["extension"].as_array().map(Vec::len), Some(4));

    for query in [
        "service-category=stroke".to_string(),
        format!("service-category={KIND}|stroke"),
        "service-category=stroke&organization=Organization/zx-h2".into(),
        "characteristic=thrombolysis&organization=zx-h2".into(),
        "catchment=Organization/zx-tc2&service-category=stroke".into(),
        "name=ZX市中医院卒中".into(),
    ] {
        assert!(
            ids(&app, "doctor", &query).await.contains(&id),
            "{query} misses {id}"
        );
    }
    for query in [
        "service-category=chest-pain&organization=zx-h2",
        "characteristic=thrombectomy&organization=zx-h2",
        "catchment=Organization/zx-tc5&organization=zx-h2",
        // Not an outreach programme, whatever system is asked.
        "service-category=https://tiercare.org/fhir/CodeSystem/outreach-kind|stroke",
    ] {
        assert!(
            !ids(&app, "doctor", query).await.contains(&id),
            "{query} finds {id}"
        );
    }
}

#[tokio::test]
async fn bad_centres_are_refused_by_name() {
    let app = spawn_app().await;
    let post = |body: Value| {
        let app = &app;
        async move { app.post("admin", "/HealthcareService", &body).await }
    };
    let resp = post(centre_body("zx-h2", "stroke", &["lysis"])).await;
    assert_outcome(&resp, 400, "HealthcareService.characteristic[0]");
    let resp = post(centre_body("zx-h2", "stroke", &["pci"])).await;
    assert_outcome(&resp, 400, "HealthcareService.characteristic");
    let mut bad = centre_body("zx-h2", "stroke", &["thrombolysis"]);
    bad["availableTime"][0]["availableEndTime"] = json!("8pm");
    let resp = post(bad).await;
    assert_outcome(&resp, 400, "availableEndTime");
    let mut bad = centre_body("zx-h2", "stroke", &["thrombolysis"]);
    bad["extension"][3]["valueReference"] = org("zx-h2");
    let resp = post(bad).await;
    assert_outcome(&resp, 400, "transfer-agreement");
    let mut bad = centre_body("zx-h2", "stroke", &["thrombolysis"]);
    bad["telecom"] = json!([{"system": "phone", "value": "120"}]);
    let resp = post(bad).await;
    assert_outcome(&resp, 400, "telecom");
    let resp = post(centre_body("zx-nowhere", "stroke", &["thrombolysis"])).await;
    assert_outcome(&resp, 422, "providedBy");
    let mut bad = centre_body("zx-h2", "stroke", &["thrombolysis"]);
    bad["extension"][1]["valueReference"] = org("zx-nowhere");
    let resp = post(bad).await;
    assert_outcome(&resp, 422, "centre-catchment");
    // Nothing refused was kept.
    assert!(
        ids(&app, "admin", "organization=zx-h2&service-category=stroke")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn only_administrators_and_the_institutions_coordinators_write_centres() {
    let app = spawn_app().await;
    let body = centre_body("zx-h1", "trauma", &["trauma-surgery"]);
    let resp = app.post("doctor", "/HealthcareService", &body).await;
    assert_outcome(&resp, 403, "coordinators");
    // The demo coordinator is the county hospital's, not the MCH's.
    let elsewhere = centre_body("zx-h3", "critical-neonatal", &["nicu"]);
    let resp = app
        .post("coordinator", "/HealthcareService", &elsewhere)
        .await;
    resp.expect(403);
    let resp = app.post("coordinator", "/HealthcareService", &body).await;
    resp.expect(201);
}

#[tokio::test]
async fn the_demo_countys_centres_are_searchable() {
    let app = spawn_app().await;
    let chest_pain = ids(&app, "doctor", "service-category=chest-pain&_count=100").await;
    for id in [
        "ctr-zx-h1-chest-pain",
        "ctr-zx-t1-chest-pain",
        "ctr-zx-tc4-chest-pain",
        "ctr-zx-tc5-chest-pain",
        "ctr-zx-tc6-chest-pain",
    ] {
        assert!(chest_pain.contains(&id.to_string()), "{id}: {chest_pain:?}");
    }
    assert_eq!(
        ids(&app, "doctor", &format!("characteristic={CAPABILITY}|pci")).await,
        ["ctr-zx-t1-chest-pain"]
    );
    let county = ids(&app, "doctor", "organization=Organization/zx-h1&service-category=chest-pain,stroke,trauma,critical-maternal").await;
    assert_eq!(county.len(), 4, "{county:?}");
    let neonatal = ids(&app, "doctor", "service-category=critical-neonatal").await;
    assert_eq!(neonatal, ["ctr-zx-h3-critical-neonatal"]);
    // A township's emergencies go to the county centres by agreement.
    let for_tc3 = ids(&app, "doctor", "catchment=Organization/zx-tc3").await;
    assert_eq!(for_tc3.len(), 5, "{for_tc3:?}");
    let unit = app
        .get("doctor", "/HealthcareService/ctr-zx-tc6-chest-pain")
        .await;
    unit.expect(200);
    let unit = unit.json();
    assert_eq!(
        unit["availableTime"],
        json!([{"availableStartTime": "08:00:00", "availableEndTime": "17:30:00"}])
    );
    assert_eq!(unit["name"], "石板镇卫生院胸痛救治单元");
}
