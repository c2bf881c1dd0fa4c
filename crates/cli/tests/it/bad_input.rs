//! Bad input of every kind is refused with a 4xx and an OperationOutcome
//! that names the problem, and nothing is stored; property tests feed the
//! create endpoints arbitrary bytes, arbitrary JSON and mutated valid
//! bodies and check that the server never fails (5xx) and that the store
//! changes by exactly one record on a 201 and not at all otherwise.

use crate::fixtures;
use crate::helpers::{
    FHIR_JSON, REGISTRY_TYPES, Resp, TestApp, assert_outcome, counts, demo_ids, send_raw,
    spawn_app, spawn_app_with,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Asserts an OperationOutcome as [`assert_outcome`], with the case named
/// in the message when the status is wrong.
fn refused_with(case: &str, resp: &Resp, status: u16, needle: &str) -> Value {
    assert_eq!(
        resp.status, status,
        "{case}: expected {status}, got {}: {}",
        resp.status, resp.body
    );
    assert_outcome(resp, status, needle)
}

/// POSTs `body` as the admin; asserts the refusal and that no record of
/// any type was stored.
async fn post_refused(app: &TestApp, case: &str, body: &Value, status: u16, needle: &str) {
    let rt = body["resourceType"]
        .as_str()
        .unwrap_or("Patient")
        .to_string();
    post_refused_at(app, case, &format!("/{rt}"), body, status, needle).await;
}

async fn post_refused_at(
    app: &TestApp,
    case: &str,
    path: &str,
    body: &Value,
    status: u16,
    needle: &str,
) {
    let before = counts(app).await;
    let resp = app.post("admin", path, body).await;
    refused_with(case, &resp, status, needle);
    assert_eq!(counts(app).await, before, "{case}: the store changed");
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().expect("object").remove(key);
    v
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

/// The demo county's first practitioner.
fn demo_practitioner(app: &TestApp) -> String {
    demo_ids(app, "practitioner")[0].clone()
}

/// The demo county's first alliance.
fn demo_alliance(app: &TestApp) -> String {
    demo_ids(app, "alliance")[0].clone()
}

/// POSTs raw bytes as FHIR JSON, as the admin.
async fn post_bytes(app: &TestApp, path: &str, body: &'static [u8]) -> Resp {
    send_raw(app, Method::POST, "admin", path, Some(FHIR_JSON), body).await
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = spawn_app().await;
    let syntax: [&[u8]; 9] = [
        b"",
        b"{",
        b"{\"resourceType\": \"Patient\",}",
        b"{\"resourceType\": \"Patient\"} trailing",
        b"[1, 2",
        b"nul",
        b"{'resourceType': 'Patient'}",
        b"\xff\xfe{\x00}",
        b"{\"resourceType\": \"Patient\", \"birthDate\": \"1950-01-01\" \"name\": []}",
    ];
    let not_objects: [&[u8]; 5] = [b"[]", b"null", b"42", b"\"Patient\"", b"true"];
    for rt in ["Patient", "Organization", "PractitionerRole"] {
        let before = counts(&app).await;
        for body in syntax {
            let case = format!("POST /{rt} {:?}", String::from_utf8_lossy(body));
            let resp = post_bytes(&app, &format!("/{rt}"), body).await;
            refused_with(&case, &resp, 400, "not valid JSON");
        }
        for body in not_objects {
            let case = format!("POST /{rt} {:?}", String::from_utf8_lossy(body));
            let resp = post_bytes(&app, &format!("/{rt}"), body).await;
            refused_with(&case, &resp, 400, "JSON object");
        }
        // The same through PUT: nothing is created at the id.
        let resp = send_raw(
            &app,
            Method::PUT,
            "admin",
            &format!("/{rt}/bad-json-1"),
            Some(FHIR_JSON),
            &b"{"[..],
        )
        .await;
        refused_with("PUT {", &resp, 400, "not valid JSON");
        assert_eq!(counts(&app).await, before, "{rt}: the store changed");
        let resp = app.get("admin", &format!("/{rt}/bad-json-1")).await;
        assert_outcome(&resp, 404, "bad-json-1");
    }
}

#[tokio::test]
async fn wrong_resource_type_for_the_endpoint_is_a_400() {
    let app = spawn_app().await;
    let patient = fixtures::patient("Wang", "Fang", None);
    post_refused_at(
        &app,
        "Patient to /Organization",
        "/Organization",
        &patient,
        400,
        "expected resourceType Organization",
    )
    .await;
    let practitioner = fixtures::practitioner("Zhou", "Min", "110429999990101");
    post_refused_at(
        &app,
        "Practitioner to /Patient",
        "/Patient",
        &practitioner,
        400,
        "expected resourceType Patient",
    )
    .await;
    post_refused_at(
        &app,
        "Practitioner to /PractitionerRole",
        "/PractitionerRole",
        &practitioner,
        400,
        "found Practitioner",
    )
    .await;
    post_refused(
        &app,
        "no resourceType",
        &without(patient.clone(), "resourceType"),
        400,
        "resourceType",
    )
    .await;
    post_refused_at(
        &app,
        "resourceType 7",
        "/Patient",
        &with(patient.clone(), "resourceType", json!(7)),
        400,
        "resourceType",
    )
    .await;
    post_refused_at(
        &app,
        "resourceType patient",
        "/Patient",
        &with(patient.clone(), "resourceType", json!("patient")),
        400,
        "resourceType",
    )
    .await;
    // PUT: refused, and nothing is created at the id.
    let before = counts(&app).await;
    let resp = app
        .put("admin", "/Practitioner/pr-wrong-type", &patient, None)
        .await;
    refused_with(
        "Patient PUT to /Practitioner",
        &resp,
        400,
        "expected resourceType Practitioner",
    );
    assert_eq!(counts(&app).await, before);
    assert_outcome(
        &app.get("admin", "/Practitioner/pr-wrong-type").await,
        404,
        "pr-wrong-type",
    );
}

#[tokio::test]
async fn missing_required_elements_are_a_400_naming_them() {
    let app = spawn_app().await;
    let pr = demo_practitioner(&app);
    let alliance = demo_alliance(&app);
    let clinic = fixtures::institution("Xiwan Village Clinic", "primary", "village-clinic");
    let patient = fixtures::patient("Wang", "Fang", Some("team-tc1-1"));
    let role = fixtures::role(&pr, "zx-tc1", "nurse", None);
    let team = fixtures::care_team("Xiwan team", "zx-tc1", &[&pr]);
    let location = fixtures::location("North wing", "zx-h1");
    let affiliation = fixtures::affiliation(&alliance, "zx-chc1", "member");
    let mut contract_unsigned = patient.clone();
    contract_unsigned["extension"][0]["extension"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["url"] != "signed");
    let mut contract_no_team = patient.clone();
    contract_no_team["extension"][0]["extension"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["url"] != "team");
    let mut alliance_no_lead = fixtures::alliance("Lead-less league", "zx-h1");
    alliance_no_lead["extension"]
        .as_array_mut()
        .unwrap()
        .retain(|e| !e["url"].as_str().unwrap().ends_with("alliance-lead"));
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "Organization without name",
            without(clinic.clone(), "name"),
            "Organization.name",
        ),
        (
            "Organization with a blank name",
            with(clinic.clone(), "name", json!("   ")),
            "Organization.name",
        ),
        (
            "Organization without type",
            without(clinic.clone(), "type"),
            "Organization.type",
        ),
        ("alliance without lead", alliance_no_lead, "alliance-lead"),
        (
            "Patient without name",
            without(patient.clone(), "name"),
            "Patient.name",
        ),
        (
            "Patient with an empty name",
            with(patient.clone(), "name", json!([{}])),
            "Patient.name",
        ),
        (
            "Patient with a blank name",
            with(
                patient.clone(),
                "name",
                json!([{"family": " ", "given": [""]}]),
            ),
            "Patient.name",
        ),
        (
            "Patient without birthDate",
            without(patient.clone(), "birthDate"),
            "birthDate",
        ),
        (
            "Patient with a partial birthDate",
            with(patient.clone(), "birthDate", json!("1950-05")),
            "birthDate",
        ),
        ("contract without signed", contract_unsigned, "signed"),
        ("contract without team", contract_no_team, "team"),
        (
            "Practitioner without name",
            without(
                fixtures::practitioner("Zhou", "Min", "110429999990102"),
                "name",
            ),
            "Practitioner.name",
        ),
        (
            "PractitionerRole without practitioner",
            without(role.clone(), "practitioner"),
            "PractitionerRole.practitioner",
        ),
        (
            "PractitionerRole without organization",
            without(role.clone(), "organization"),
            "PractitionerRole.organization",
        ),
        (
            "PractitionerRole without code",
            without(role.clone(), "code"),
            "PractitionerRole.code",
        ),
        (
            "PractitionerRole with an empty reference",
            with(
                role.clone(),
                "organization",
                json!({"display": "somewhere"}),
            ),
            "PractitionerRole.organization",
        ),
        (
            "CareTeam without name",
            without(team.clone(), "name"),
            "CareTeam.name",
        ),
        (
            "CareTeam without participant",
            without(team.clone(), "participant"),
            "CareTeam.participant",
        ),
        (
            "CareTeam without managingOrganization",
            without(team.clone(), "managingOrganization"),
            "CareTeam.managingOrganization",
        ),
        (
            "Location without name",
            without(location.clone(), "name"),
            "Location.name",
        ),
        (
            "Location without managingOrganization",
            without(location.clone(), "managingOrganization"),
            "Location.managingOrganization",
        ),
        (
            "Location with address but no position",
            without(location.clone(), "position"),
            "Location.position",
        ),
        (
            "OrganizationAffiliation without organization",
            without(affiliation.clone(), "organization"),
            "OrganizationAffiliation.organization",
        ),
        (
            "OrganizationAffiliation without participatingOrganization",
            without(affiliation.clone(), "participatingOrganization"),
            "participatingOrganization",
        ),
    ];
    for (case, body, needle) in cases {
        post_refused(&app, case, &body, 400, needle).await;
    }
}

#[tokio::test]
async fn unknown_elements_are_a_400_naming_them() {
    let app = spawn_app().await;
    let patient = fixtures::patient("Wang", "Fang", Some("team-tc1-1"));
    let mut nickname = patient.clone();
    nickname["name"][0]["nickname"] = json!("Fangfang");
    let mut ref_extra = fixtures::location("South wing", "zx-h1");
    ref_extra["managingOrganization"]["weight"] = json!(3);
    let mut participant_period =
        fixtures::care_team("Period team", "zx-tc1", &[&demo_practitioner(&app)]);
    participant_period["participant"][0]["period"] = json!({"start": "2025-01-01"});
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "Patient.maritalStatus",
            with(patient.clone(), "maritalStatus", json!({"text": "married"})),
            "maritalStatus",
        ),
        (
            "Patient.deceasedBoolean",
            with(patient.clone(), "deceasedBoolean", json!(false)),
            "deceasedBoolean",
        ),
        ("Patient.name.nickname", nickname, "nickname"),
        (
            "Patient._birthDate",
            with(patient.clone(), "_birthDate", json!({"id": "b"})),
            "_birthDate",
        ),
        (
            "Patient.modifierExtension",
            with(
                patient.clone(),
                "modifierExtension",
                json!([{"url": "http://example.org/x", "valueBoolean": true}]),
            ),
            "modifierExtension",
        ),
        (
            "Patient.contained",
            with(
                patient.clone(),
                "contained",
                json!([{"resourceType": "Practitioner", "id": "p"}]),
            ),
            "contained",
        ),
        (
            "Organization.contact",
            with(
                fixtures::institution("Contact Clinic", "primary", "village-clinic"),
                "contact",
                json!([{"name": {"text": "Desk"}}]),
            ),
            "contact",
        ),
        (
            "Practitioner.qualification",
            with(
                fixtures::practitioner("Zhou", "Min", "110429999990103"),
                "qualification",
                json!([{"code": {"text": "MD"}}]),
            ),
            "qualification",
        ),
        (
            "Location.hoursOfOperation",
            with(
                fixtures::location("East wing", "zx-h1"),
                "hoursOfOperation",
                json!([{"allDay": true}]),
            ),
            "hoursOfOperation",
        ),
        ("Location.managingOrganization.weight", ref_extra, "weight"),
        ("CareTeam.participant.period", participant_period, "period"),
    ];
    for (case, body, needle) in cases {
        post_refused(&app, case, &body, 400, needle).await;
    }
}

/// docs/fhir.md: "an element or extension it does not store is a 400
/// naming it, never silently dropped".
#[tokio::test]
async fn unsupported_extensions_are_a_400_naming_them() {
    let app = spawn_app().await;
    let url = "http://example.org/fhir/StructureDefinition/favourite-colour";
    let ext = json!({"url": url, "valueString": "blue"});
    let mut patient = fixtures::patient("Wang", "Fang", Some("team-tc1-1"));
    patient["extension"]
        .as_array_mut()
        .unwrap()
        .push(ext.clone());
    let mut clinic = fixtures::institution("Colour Clinic", "primary", "village-clinic");
    clinic["extension"]
        .as_array_mut()
        .unwrap()
        .push(ext.clone());
    for (case, body) in [("Patient", patient), ("Organization", clinic)] {
        post_refused(&app, case, &body, 400, "favourite-colour").await;
    }
}

#[tokio::test]
async fn dangling_references_are_a_422_naming_the_target() {
    let app = spawn_app().await;
    let pr = demo_practitioner(&app);
    let alliance = demo_alliance(&app);
    let mut part_of_nowhere =
        fixtures::institution("Lost Village Clinic", "primary", "village-clinic");
    part_of_nowhere["partOf"] = json!({"reference": "Organization/nope"});
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "Patient contract to CareTeam/nope",
            fixtures::patient("Wang", "Fang", Some("nope")),
            "CareTeam/nope",
        ),
        (
            "PractitionerRole to Organization/nope",
            fixtures::role(&pr, "nope", "nurse", None),
            "Organization/nope",
        ),
        (
            "PractitionerRole to Practitioner/nope",
            fixtures::role("nope", "zx-tc1", "nurse", None),
            "Practitioner/nope",
        ),
        (
            "CareTeam member Practitioner/nope",
            fixtures::care_team("Ghost team", "zx-tc1", &[&pr, "nope"]),
            "Practitioner/nope",
        ),
        (
            "CareTeam at Organization/nope",
            fixtures::care_team("Homeless team", "nope", &[&pr]),
            "Organization/nope",
        ),
        (
            "Location at Organization/nope",
            fixtures::location("Ghost wing", "nope"),
            "Organization/nope",
        ),
        (
            "Organization partOf Organization/nope",
            part_of_nowhere,
            "Organization/nope",
        ),
        (
            "alliance led by Organization/nope",
            fixtures::alliance("Ghost league", "nope"),
            "Organization/nope",
        ),
        (
            "affiliation to alliance Organization/nope",
            fixtures::affiliation("nope", "zx-tc1", "member"),
            "Organization/nope",
        ),
        (
            "affiliation of member Organization/nope",
            fixtures::affiliation(&alliance, "nope", "member"),
            "Organization/nope",
        ),
        (
            "PractitionerRole at an alliance",
            fixtures::role(&pr, &alliance, "nurse", None),
            "alliance",
        ),
        (
            "affiliation to an institution as alliance",
            fixtures::affiliation("zx-h2", "zx-tc1", "member"),
            "not an alliance",
        ),
    ];
    for (case, body, needle) in cases {
        post_refused(&app, case, &body, 422, needle).await;
    }
    // A reference of the wrong type is a structural error.
    let mut wrong_type = fixtures::role(&pr, "zx-tc1", "nurse", None);
    wrong_type["organization"] = json!({"reference": "Patient/res-000001"});
    post_refused(
        &app,
        "organization pointing at a Patient",
        &wrong_type,
        400,
        "must point to Organization",
    )
    .await;
    let mut not_a_ref = fixtures::role(&pr, "zx-tc1", "nurse", None);
    not_a_ref["organization"] = json!({"reference": "zx-tc1"});
    post_refused(&app, "reference without a type", &not_a_ref, 400, "Type/id").await;
}

#[tokio::test]
async fn unknown_codes_are_a_422_naming_the_code() {
    let app = spawn_app().await;
    let pr = demo_practitioner(&app);
    let alliance = demo_alliance(&app);
    let mut key_group = fixtures::patient("Wang", "Fang", Some("team-tc1-1"));
    key_group["extension"].as_array_mut().unwrap().push(json!({
        "url": format!("{}/key-group", fixtures::SD),
        "valueCoding": {"system": format!("{}/key-group", fixtures::CS), "code": "vip"}
    }));
    let mut closeness = fixtures::alliance("Sticky league", "zx-h1");
    closeness["extension"][0]["valueCoding"]["code"] = json!("sticky");
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "level quaternary",
            fixtures::institution("Moon Clinic", "quaternary", "village-clinic"),
            "quaternary",
        ),
        (
            "institution kind spaceport",
            fixtures::institution("Moon Port", "primary", "spaceport"),
            "spaceport",
        ),
        (
            "role surgeon-general",
            fixtures::role(&pr, "zx-h1", "surgeon-general", None),
            "surgeon-general",
        ),
        (
            "specialty astrology",
            fixtures::role(&pr, "zx-h1", "specialist", Some("astrology")),
            "astrology",
        ),
        ("key group vip", key_group, "vip"),
        (
            "alliance role boss",
            fixtures::affiliation(&alliance, "zx-chc1", "boss"),
            "boss",
        ),
        ("alliance closeness sticky", closeness, "sticky"),
    ];
    for (case, body, needle) in cases {
        post_refused(&app, case, &body, 422, needle).await;
    }
    // Codes of FHIR's own required value sets are structural errors.
    let robot = with(
        fixtures::practitioner("Zhou", "Min", "110429999990104"),
        "gender",
        json!("robot"),
    );
    post_refused(&app, "gender robot", &robot, 400, "robot").await;
    let paused = with(
        fixtures::care_team("Paused team", "zx-tc1", &[&pr]),
        "status",
        json!("paused"),
    );
    post_refused(&app, "CareTeam status paused", &paused, 400, "paused").await;
}

#[tokio::test]
async fn rules_that_need_the_referenced_institution_are_a_422() {
    let app = spawn_app().await;
    let pr = demo_practitioner(&app);
    // core network.rs PractitionerRole::validate_at and
    // FamilyDoctorTeam::validate_at: family medicine is primary care.
    post_refused(
        &app,
        "family doctor at a hospital",
        &fixtures::role(&pr, "zx-h1", "family-doctor", Some("general-practice")),
        422,
        "primary institution",
    )
    .await;
    post_refused(
        &app,
        "family-doctor team at a hospital",
        &fixtures::care_team("Hospital team", "zx-h1", &[&pr]),
        422,
        "primary institution",
    )
    .await;
    post_refused(
        &app,
        "specialist without specialty",
        &fixtures::role(&pr, "zx-h1", "specialist", None),
        422,
        "specialty",
    )
    .await;
    // The same role at a primary institution is fine: the refusal above
    // was about the level.
    let resp = app
        .post(
            "admin",
            "/PractitionerRole",
            &fixtures::role(&pr, "zx-tc1", "family-doctor", Some("general-practice")),
        )
        .await;
    resp.expect(201);
    // A kind of institution that cannot be at the level it claims.
    post_refused(
        &app,
        "village clinic at secondary level",
        &fixtures::institution("Big Village Clinic", "secondary", "village-clinic"),
        400,
        "cannot be at",
    )
    .await;
    post_refused(
        &app,
        "hospital at primary level",
        &fixtures::institution("Small Hospital", "primary", "county-hospital"),
        400,
        "cannot be at",
    )
    .await;
}

#[tokio::test]
async fn stale_if_match_is_a_412_and_changes_nothing() {
    let app = spawn_app().await;
    let created = app
        .create(&fixtures::patient("Li", "Na", Some("team-tc1-1")))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/Patient/{id}");
    let mut v2 = created.clone();
    v2["birthDate"] = json!("1951-01-01");
    app.put("admin", &path, &v2, Some("W/\"1\""))
        .await
        .expect(200);
    let current = app.get("admin", &path).await.json();
    let before = counts(&app).await;
    let mut stale = created.clone();
    stale["birthDate"] = json!("1930-01-01");
    for tag in ["W/\"1\"", "\"1\"", "W/\"3\"", "W/\"99\""] {
        let resp = app.put("admin", &path, &stale, Some(tag)).await;
        refused_with(&format!("If-Match {tag}"), &resp, 412, "at version 2");
    }
    assert_eq!(counts(&app).await, before);
    let after = app.get("admin", &path).await;
    after.expect(200);
    assert_eq!(after.json(), current, "a refused update changed the record");
    assert_eq!(after.header("etag").as_deref(), Some("W/\"2\""));
    assert_outcome(
        &app.get("admin", &format!("{path}/_history/3")).await,
        404,
        "version 3",
    );
}

#[tokio::test]
async fn malformed_if_match_is_a_400() {
    let app = spawn_app().await;
    let created = app
        .create(&fixtures::practitioner("Zhou", "Min", "110429999990105"))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/Practitioner/{id}");
    let mut changed = created.clone();
    changed["gender"] = json!("male");
    for tag in [
        "banana",
        "W/\"one\"",
        "W/\"-1\"",
        "W/\"1.5\"",
        "",
        "W/\"99999999999\"",
    ] {
        let resp = app.put("admin", &path, &changed, Some(tag)).await;
        refused_with(&format!("If-Match {tag:?}"), &resp, 400, "If-Match");
    }
    let now = app.get("admin", &path).await;
    assert_eq!(now.header("etag").as_deref(), Some("W/\"1\""));
    assert_eq!(now.json()["gender"], "female");
}

#[tokio::test]
async fn unknown_resource_types_are_a_404() {
    let app = spawn_app().await;
    let before = counts(&app).await;
    let immunization =
        json!({"resourceType": "Immunization", "status": "final", "code": {"text": "BP"}});
    for (case, resp) in [
        ("search", app.get("admin", "/Immunization").await),
        ("read", app.get("admin", "/Immunization/1").await),
        (
            "vread",
            app.get("admin", "/Immunization/1/_history/1").await,
        ),
        (
            "create",
            app.post("admin", "/Immunization", &immunization).await,
        ),
        (
            "update",
            app.put("admin", "/Immunization/i1", &immunization, None)
                .await,
        ),
    ] {
        refused_with(case, &resp, 404, "Immunization");
    }
    // Resource type names are case-sensitive.
    refused_with(
        "lower-case patient",
        &app.get("admin", "/patient").await,
        404,
        "patient",
    );
    let resp = app
        .post(
            "admin",
            "/patient",
            &fixtures::patient("Wang", "Fang", None),
        )
        .await;
    refused_with("POST /patient", &resp, 404, "patient");
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn invalid_ids_in_the_path_are_refused() {
    let app = spawn_app().await;
    let before = counts(&app).await;
    let body = fixtures::practitioner("Zhou", "Min", "110429999990106");
    let long = "a".repeat(65);
    for id in [
        "bad$id",
        "under_score",
        "has%20space",
        "caf%C3%A9",
        long.as_str(),
        "a%2Fb",
    ] {
        let resp = app
            .put("admin", &format!("/Practitioner/{id}"), &body, None)
            .await;
        refused_with(&format!("PUT /Practitioner/{id}"), &resp, 400, "id");
        let resp = app.get("admin", &format!("/Practitioner/{id}")).await;
        assert!(
            resp.status == 400 || resp.status == 404,
            "GET /Practitioner/{id}: {} {}",
            resp.status,
            resp.body
        );
        assert_outcome(&resp, resp.status, "");
    }
    // 64 characters is the longest id FHIR allows.
    let max = "b".repeat(64);
    app.put("admin", &format!("/Practitioner/{max}"), &body, None)
        .await
        .expect(201);
    let resp = app
        .get("admin", "/Practitioner/pr-0001/_history/first")
        .await;
    refused_with("vread version first", &resp, 400, "version");
    let mut after = before.clone();
    *after.get_mut("Practitioner").unwrap() += 1;
    assert_eq!(counts(&app).await, after);
}

#[tokio::test]
async fn unsupported_content_types_are_a_415() {
    let app = spawn_app().await;
    let body = fixtures::practitioner("Zhou", "Min", "110429999990107").to_string();
    let before = counts(&app).await;
    for ct in [
        "text/plain",
        "application/xml",
        "application/fhir+xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let resp = send_raw(
            &app,
            Method::POST,
            "admin",
            "/Practitioner",
            Some(ct),
            body.clone(),
        )
        .await;
        refused_with(&format!("POST {ct}"), &resp, 415, "content type");
        let resp = send_raw(
            &app,
            Method::PUT,
            "admin",
            "/Practitioner/pr-ct",
            Some(ct),
            body.clone(),
        )
        .await;
        refused_with(&format!("PUT {ct}"), &resp, 415, "content type");
        let resp = send_raw(&app, Method::POST, "admin", "", Some(ct), "{}").await;
        refused_with(&format!("transaction {ct}"), &resp, 415, "content type");
    }
    assert_eq!(counts(&app).await, before);
    // The JSON media types, with parameters, are accepted.
    for ct in [
        "application/fhir+json; charset=utf-8",
        "application/json",
        "application/fhir+json;fhirVersion=4.0",
    ] {
        let resp = send_raw(
            &app,
            Method::POST,
            "admin",
            "/Practitioner",
            Some(ct),
            body.clone(),
        )
        .await;
        assert_eq!(resp.status, 201, "{ct}: {}", resp.body);
    }
    assert_eq!(app.count("Practitioner").await, before["Practitioner"] + 3);
}

#[tokio::test]
async fn bodies_over_the_limit_are_a_413() {
    const LIMIT: usize = 2048;
    let app = spawn_app_with(|s| s.max_body_bytes = LIMIT).await;
    // `text` is accepted and not kept: a way to pad a valid body.
    let padded = |n: usize| {
        let mut p = fixtures::patient("Wang", "Fang", Some("team-tc1-1"));
        p["text"] = json!({"status": "generated", "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div>", "x".repeat(n))});
        p
    };
    let small = padded(200);
    assert!(small.to_string().len() < LIMIT);
    let big = padded(LIMIT);
    assert!(big.to_string().len() > LIMIT);
    let before = counts(&app).await;
    post_refused(
        &app,
        "POST over the limit",
        &big,
        413,
        &format!("larger than {LIMIT} bytes"),
    )
    .await;
    let resp = app.put("admin", "/Patient/res-big", &big, None).await;
    refused_with("PUT over the limit", &resp, 413, "larger than");
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:7d0f3c1e-0000-4000-8000-000000000001", "resource": big, "request": {"method": "POST", "url": "Patient"}}
    ]});
    post_refused_at(
        &app,
        "transaction over the limit",
        "",
        &bundle,
        413,
        "larger than",
    )
    .await;
    let params = json!({"resourceType": "Parameters", "parameter": [
        {"name": "code", "valueCode": "I10"},
        {"name": "note", "valueString": "x".repeat(LIMIT)}
    ]});
    post_refused_at(
        &app,
        "$triage over the limit",
        "/CodeSystem/$triage",
        &params,
        413,
        "larger than",
    )
    .await;
    assert_eq!(counts(&app).await, before);
    // Just under the limit is fine.
    let resp = app.post("admin", "/Patient", &small).await;
    resp.expect(201);
    assert_eq!(app.count("Patient").await, before["Patient"] + 1);
}

/// core network.rs Place::check keeps coordinates on the globe for
/// institutions; a Location's position is the same kind of place.
#[tokio::test]
async fn coordinates_off_the_globe_are_refused() {
    let app = spawn_app().await;
    let mut clinic = fixtures::institution("Off-map Clinic", "primary", "village-clinic");
    clinic["address"][0]["extension"][0]["extension"][0]["valueDecimal"] = json!(200.0);
    post_refused(&app, "Organization latitude 200", &clinic, 400, "latitude").await;
    let mut site = fixtures::location("Off-map wing", "zx-h1");
    site["position"]["latitude"] = json!(200.0);
    let before = counts(&app).await;
    let resp = app.post("admin", "/Location", &site).await;
    assert!(
        (400..500).contains(&resp.status),
        "a Location at latitude 200 was accepted: {} {}",
        resp.status,
        resp.body
    );
    assert_outcome(&resp, resp.status, "latitude");
    assert_eq!(counts(&app).await, before);
}

/// docs/fhir.md: "What tiercare cannot keep it refuses: an element or
/// extension it does not store is a 400 naming it, never silently
/// dropped." Each body here holds something the server has no place for;
/// it must either refuse it or give it back.
#[tokio::test]
async fn what_cannot_be_kept_is_refused_not_dropped() {
    let app = spawn_app().await;
    let alliance = demo_alliance(&app);
    let patient = fixtures::patient("Wang", "Fang", Some("team-tc1-1"));
    let mut second_name = patient.clone();
    second_name["name"] =
        json!([{"family": "Wang", "given": ["Fang"]}, {"family": "Wong", "given": ["Fong"]}]);
    let mut email = patient.clone();
    email["telecom"] = json!([
        {"system": "phone", "value": "10012345678", "use": "mobile"},
        {"system": "email", "value": "wang.fang@example.org"}
    ]);
    let mut other_identifier = patient.clone();
    other_identifier["identifier"] =
        json!([{"system": "http://example.org/national-health-card", "value": "HC-1"}]);
    let mut postal = patient.clone();
    postal["address"] =
        json!([{"line": ["3 Willow Lane"], "district": "Hekou Town", "postalCode": "431700"}]);
    let mut ended = fixtures::affiliation(&alliance, "zx-chc1", "member");
    ended["period"]["end"] = json!("2025-12-31");
    let mut prefix = fixtures::practitioner("Zhou", "Min", "110429999990108");
    prefix["name"][0]["prefix"] = json!(["Dr"]);
    let cases: Vec<(&str, Value)> = vec![
        (
            "Patient.active false",
            with(patient.clone(), "active", json!(false)),
        ),
        ("a second Patient.name", second_name),
        ("an email besides the phone", email),
        ("an identifier of another system", other_identifier),
        ("Patient.address line and postalCode", postal),
        (
            "Patient.implicitRules",
            with(
                patient.clone(),
                "implicitRules",
                json!("http://example.org/rules"),
            ),
        ),
        ("OrganizationAffiliation.period.end", ended),
        (
            "Location.status inactive",
            with(
                fixtures::location("Closed wing", "zx-h1"),
                "status",
                json!("inactive"),
            ),
        ),
        (
            "alliance active false",
            with(
                fixtures::alliance("Dormant league", "zx-h1"),
                "active",
                json!(false),
            ),
        ),
        ("Practitioner.name.prefix", prefix),
    ];
    let mut dropped = Vec::new();
    for (case, body) in cases {
        let rt = body["resourceType"].as_str().unwrap().to_string();
        let resp = app.post("admin", &format!("/{rt}"), &body).await;
        match resp.status {
            400..=499 => {
                assert_outcome(&resp, resp.status, "");
            }
            201 => {
                let id = resp.json()["id"].as_str().unwrap().to_string();
                let read = app.get("admin", &format!("/{rt}/{id}")).await.json();
                if let Some(path) = first_difference(&body, &read, "$") {
                    dropped.push(format!(
                        "{case}: accepted (201), but {rt}/{id} reads back without {path} as sent"
                    ));
                }
            }
            other => panic!("{case}: unexpected status {other}: {}", resp.body),
        }
    }
    assert!(
        dropped.is_empty(),
        "the server silently dropped what it was sent:\n{}",
        dropped.join("\n")
    );
}

/// The first place where `actual` lacks or changes something of
/// `expected` (objects: every key; arrays: same length, element by element).
fn first_difference(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().find_map(|(k, v)| {
            let child = format!("{path}.{k}");
            match a.get(k) {
                Some(av) => first_difference(v, av, &child),
                None => Some(child),
            }
        }),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (ev, av))| first_difference(ev, av, &format!("{path}[{i}]"))),
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => None,
        (e, a) if e == a => None,
        _ => Some(path.to_string()),
    }
}

// ------------------------------------------------------------ properties

/// A server and a runtime shared by all cases of one property test.
struct Harness {
    rt: tokio::runtime::Runtime,
    app: Option<TestApp>,
    /// How many cases were created (201) and refused (4xx).
    created: AtomicUsize,
    refused: AtomicUsize,
}

impl Harness {
    fn new() -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let app = rt.block_on(async {
            let app = spawn_app().await;
            app.token("admin").await;
            app
        });
        Harness {
            rt,
            app: Some(app),
            created: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
        }
    }

    fn app(&self) -> &TestApp {
        self.app.as_ref().expect("app")
    }

    /// POSTs the bytes to `/{rt}` and checks the response and the store.
    fn post(&self, rt: &str, body: Vec<u8>) -> Result<(), TestCaseError> {
        let app = self.app();
        self.rt.block_on(async {
            let before = counts(app).await;
            let resp = send_raw(
                app,
                Method::POST,
                "admin",
                &format!("/{rt}"),
                Some(FHIR_JSON),
                body,
            )
            .await;
            let after = counts(app).await;
            prop_assert!(
                resp.status < 500,
                "server error {}: {}",
                resp.status,
                resp.body
            );
            let v: Value = serde_json::from_str(&resp.body).map_err(|e| {
                TestCaseError::fail(format!(
                    "{} body is not JSON ({e}): {}",
                    resp.status, resp.body
                ))
            })?;
            if resp.status == 201 {
                self.created.fetch_add(1, Ordering::Relaxed);
                prop_assert_eq!(&v["resourceType"], rt);
                let mut expected = before.clone();
                *expected.get_mut(rt).unwrap() += 1;
                prop_assert_eq!(after, expected, "a 201 must store exactly one record");
                let id = v["id"].as_str().unwrap_or_default();
                let read = app.get("admin", &format!("/{rt}/{id}")).await;
                prop_assert_eq!(read.status, 200, "created but not readable: {}", read.body);
            } else {
                self.refused.fetch_add(1, Ordering::Relaxed);
                prop_assert!(
                    (400..500).contains(&resp.status),
                    "status {}: {}",
                    resp.status,
                    resp.body
                );
                prop_assert_eq!(&v["resourceType"], "OperationOutcome", "{}", resp.body);
                prop_assert_eq!(
                    after,
                    before,
                    "a refused create changed the store: {}",
                    resp.body
                );
            }
            Ok(())
        })
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(app) = self.app.take() {
            self.rt.block_on(async move { drop(app) });
        }
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    })
}

/// Words that appear in tiercare's FHIR bodies, so generated JSON gets
/// past the first checks now and then.
const KEYS: &[&str] = &[
    "resourceType",
    "id",
    "name",
    "family",
    "given",
    "extension",
    "url",
    "valueReference",
    "valueCoding",
    "valueDate",
    "valueInteger",
    "valueDecimal",
    "reference",
    "type",
    "coding",
    "system",
    "code",
    "birthDate",
    "identifier",
    "value",
    "managingOrganization",
    "participant",
    "member",
    "role",
    "organization",
    "participatingOrganization",
    "practitioner",
    "partOf",
    "address",
    "district",
    "active",
    "gender",
    "status",
    "period",
    "start",
    "position",
    "latitude",
    "longitude",
    "telecom",
    "specialty",
    "meta",
    "text",
];

const WORDS: &[&str] = &[
    "Patient",
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "CareTeam",
    "Location",
    "OrganizationAffiliation",
    "primary",
    "secondary",
    "tertiary",
    "family-doctor",
    "male",
    "female",
    "active",
    "1950-05-06",
    "2025-12-15",
    "Organization/zx-tc1",
    "Organization/zx-h1",
    "CareTeam/team-tc1-1",
    "Practitioner/pr-0001",
    "https://tiercare.org/fhir/CodeSystem/level",
    "https://tiercare.org/fhir/StructureDefinition/family-doctor-contract",
    "team",
    "signed",
    "village-clinic",
    "",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(KEYS).prop_map(String::from),
            "[a-zA-Z_]{1,10}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn registry_type() -> impl Strategy<Value = &'static str> {
    prop::sample::select(REGISTRY_TYPES.to_vec())
}

#[test]
fn arbitrary_bytes_never_break_the_server() {
    let h = Harness::new();
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        // Valid JSON with one byte changed.
        (json_value(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(v, i, b)| {
            let mut s = v.to_string().into_bytes();
            if !s.is_empty() {
                let at = i.index(s.len());
                s[at] = b;
            }
            s
        }),
    ];
    runner(64)
        .run(&(registry_type(), bytes), |(rt, body)| h.post(rt, body))
        .unwrap();
}

#[test]
fn arbitrary_json_never_breaks_the_server() {
    let h = Harness::new();
    runner(128)
        .run(
            &(registry_type(), json_value(), any::<bool>()),
            |(rt, mut v, typed)| {
                if typed && let Value::Object(m) = &mut v {
                    m.insert("resourceType".into(), json!(rt));
                }
                h.post(rt, v.to_string().into_bytes())
            },
        )
        .unwrap();
}

/// One step into a JSON value.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    At(usize),
}

fn paths(v: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                prefix.push(Step::Key(k.clone()));
                out.push(prefix.clone());
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                prefix.push(Step::At(i));
                out.push(prefix.clone());
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn parent_mut<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => &mut v[k.as_str()],
        Step::At(i) => &mut v[*i],
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Replace(Value),
    /// Replaces a string with another string (a wrong code, id or date).
    Retext(String),
    /// Adds an element of that name next to the chosen one.
    AddSibling(String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => Just(Mutation::Remove),
        2 => json_value().prop_map(Mutation::Replace),
        3 => prop_oneof![
            prop::sample::select(WORDS).prop_map(String::from),
            "\\PC{0,10}",
            "[a-z0-9./-]{0,12}",
        ]
        .prop_map(Mutation::Retext),
        1 => (prop::sample::select(KEYS).prop_map(String::from), json_value())
            .prop_map(|(k, v)| Mutation::AddSibling(k, v)),
    ]
}

fn apply(body: &mut Value, path: &[Step], m: &Mutation) {
    let (last, parent) = path.split_last().expect("non-empty path");
    let parent = parent_mut(body, parent);
    match (m, last, parent) {
        (Mutation::Remove, Step::Key(k), Value::Object(o)) => {
            o.remove(k);
        }
        (Mutation::Remove, Step::At(i), Value::Array(a)) => {
            a.remove(*i);
        }
        (Mutation::Replace(v), Step::Key(k), p) => p[k.as_str()] = v.clone(),
        (Mutation::Replace(v), Step::At(i), p) => p[*i] = v.clone(),
        (Mutation::Retext(s), Step::Key(k), p) if p[k.as_str()].is_string() => {
            p[k.as_str()] = json!(s)
        }
        (Mutation::Retext(s), Step::At(i), p) if p[*i].is_string() => p[*i] = json!(s),
        (Mutation::AddSibling(k, v), Step::Key(_), Value::Object(o)) => {
            o.insert(k.clone(), v.clone());
        }
        (Mutation::AddSibling(_, v), Step::At(_), Value::Array(a)) => a.push(v.clone()),
        _ => {}
    }
}

#[test]
fn mutated_valid_bodies_never_break_the_server() {
    let h = Harness::new();
    let app = h.app();
    let pr = demo_practitioner(app);
    let alliance = demo_alliance(app);
    let team = demo_ids(app, "practitioner")[1..3].to_vec();
    let bodies = vec![
        fixtures::institution("Mutant Clinic", "primary", "village-clinic"),
        with(
            fixtures::institution("Mutant Station", "primary", "community-station"),
            "partOf",
            json!({"reference": "Organization/zx-chc1"}),
        ),
        fixtures::alliance("Mutant league", "zx-h1"),
        fixtures::affiliation(&alliance, "zx-h3", "member"),
        fixtures::location("Mutant wing", "zx-h1"),
        fixtures::practitioner("Zhou", "Min", "110429999990109"),
        fixtures::role(&pr, "zx-tc1", "family-doctor", Some("general-practice")),
        fixtures::role(&pr, "zx-h1", "specialist", Some("cardiology")),
        fixtures::care_team("Mutant team", "zx-tc1", &[&team[0], &team[1]]),
        fixtures::patient("Wang", "Fang", Some("team-tc1-1")),
        fixtures::patient("Li", "Lei", None),
    ];
    // Every body is valid as it is.
    for b in &bodies {
        let rt = b["resourceType"].as_str().unwrap();
        h.rt.block_on(app.post("admin", &format!("/{rt}"), b))
            .expect(201);
    }
    let strategy = (
        prop::sample::select(bodies),
        any::<prop::sample::Index>(),
        mutation(),
    );
    runner(128)
        .run(&strategy, |(mut body, at, m)| {
            let rt = body["resourceType"].as_str().unwrap().to_string();
            let mut all = Vec::new();
            paths(&body, &mut Vec::new(), &mut all);
            let path = &all[at.index(all.len())];
            apply(&mut body, path, &m);
            // POST to the type the fixture is, whatever the mutation did to
            // its resourceType.
            h.post(&rt, body.to_string().into_bytes())
        })
        .unwrap();
    // The mutations explore both sides: some bodies stay valid, most not.
    let (created, refused) = (
        h.created.load(Ordering::Relaxed),
        h.refused.load(Ordering::Relaxed),
    );
    assert!(
        created > 0 && refused > 0,
        "created {created}, refused {refused}"
    );
}

/// The referral loop's endpoints under arbitrary JSON: never a 5xx, and a
/// refused request changes no referral, appointment or encounter.
#[test]
fn arbitrary_json_never_breaks_the_referral_loop() {
    let h = Harness::new();
    let app = h.app();
    let (referral, slot) = h.rt.block_on(async {
        let body = json!({
            "resourceType": "ServiceRequest",
            "subject": {"reference": "Patient/res-000001"},
            "performer": [{"reference": "Organization/zx-h1"}],
            "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
            "note": [{"text": "Chest pain."}]
        });
        let sr = app.post("doctor", "/ServiceRequest", &body).await;
        sr.expect(201);
        let slots = app.get("doctor", "/Slot?organization=Organization/zx-h1&status=free").await;
        slots.expect(200);
        let slot = crate::helpers::entries(&slots.json())[0]["id"].as_str().unwrap().to_string();
        (sr.json()["id"].as_str().unwrap().to_string(), slot)
    });
    let targets: Vec<(&str, String, &str)> = vec![
        ("doctor", "/ServiceRequest".to_string(), "ServiceRequest"),
        ("resident", "/Appointment".to_string(), "Appointment"),
        ("doctor", format!("/Slot/{slot}/$hold"), "Parameters"),
        (
            "coordinator",
            format!("/ServiceRequest/{referral}/$decline"),
            "Parameters",
        ),
        (
            "coordinator",
            format!("/ServiceRequest/{referral}/$redirect"),
            "Parameters",
        ),
        (
            "coordinator",
            format!("/ServiceRequest/{referral}/$book"),
            "Parameters",
        ),
        (
            "doctor",
            format!("/ServiceRequest/{referral}/$cancel"),
            "Parameters",
        ),
        (
            "coordinator",
            format!("/ServiceRequest/{referral}/$complete"),
            "Parameters",
        ),
    ];
    let workflow_counts = || async {
        let mut n = Vec::new();
        for rt in ["ServiceRequest", "Appointment", "Encounter"] {
            n.push(app.count(rt).await);
        }
        let v = app
            .state
            .ctx
            .store
            .get("ServiceRequest", &referral)
            .await
            .unwrap()
            .unwrap()
            .version;
        (n, v)
    };
    runner(96)
        .run(
            &(
                prop::sample::select((0..targets.len()).collect::<Vec<_>>()),
                json_value(),
                any::<bool>(),
            ),
            |(t, mut v, typed)| {
                let (user, path, rt) = &targets[t];
                if typed && let Value::Object(m) = &mut v {
                    m.insert("resourceType".into(), json!(rt));
                }
                h.rt.block_on(async {
                    let before = workflow_counts().await;
                    let resp = send_raw(
                        app,
                        Method::POST,
                        user,
                        path,
                        Some(FHIR_JSON),
                        v.to_string().into_bytes(),
                    )
                    .await;
                    prop_assert!(
                        resp.status < 500,
                        "{path}: server error {}: {}",
                        resp.status,
                        resp.body
                    );
                    let body: Value = serde_json::from_str(&resp.body).map_err(|e| {
                        TestCaseError::fail(format!("{path}: not JSON ({e}): {}", resp.body))
                    })?;
                    if resp.status >= 400 {
                        prop_assert_eq!(&body["resourceType"], "OperationOutcome", "{}", resp.body);
                        prop_assert_eq!(
                            workflow_counts().await,
                            before,
                            "{} changed the store: {}",
                            path,
                            resp.body
                        );
                    }
                    Ok(())
                })
            },
        )
        .unwrap();
}
