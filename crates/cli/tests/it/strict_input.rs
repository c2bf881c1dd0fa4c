//! FHIR's primitives are read strictly on every path, and searches are
//! bounded: invalid or future dates, over-long strings, control
//! characters, duplicate keys, bodies of no declared type, query strings
//! that are not UTF-8 and searches too large to plan are each refused with
//! a 4xx `OperationOutcome` naming the element or parameter, and nothing
//! is stored.

use crate::fixtures;
use crate::helpers::{FHIR_JSON, TestApp, assert_outcome, counts, send_raw, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use tiercare_fhir::limits;

fn patient_born(birth: &str) -> Value {
    let mut p = fixtures::patient("Strict", "Date", None);
    p["birthDate"] = json!(birth);
    p
}

/// A patient named as given (the fixture's identifier is built from the
/// name, so it is left out here).
fn patient_named(family: &str, given: &str) -> Value {
    let mut p = fixtures::patient("Strict", "Name", None);
    p["name"] = json!([{"family": family, "given": [given]}]);
    p.as_object_mut().map(|m| m.remove("identifier"));
    p
}

fn transaction(resource: Value) -> Value {
    json!({"resourceType": "Bundle", "type": "transaction", "entry": [{
        "fullUrl": "urn:uuid:0b4c8f5e-2f5a-4d8e-9f0a-6b1b3c2d4e5f",
        "resource": resource,
        "request": {"method": "POST", "url": "Patient"}
    }]})
}

/// POSTs `body` to `path` as the admin and asserts a 400 naming `needle`.
async fn refused(app: &TestApp, path: &str, body: &Value, needle: &str) -> Value {
    let resp = app.post("admin", path, body).await;
    assert_outcome(&resp, 400, needle)
}

#[tokio::test]
async fn dates_must_be_real_calendar_dates_and_no_birth_is_in_the_future() {
    let app = spawn_app().await;
    let before = counts(&app).await;
    for bad in ["0000-01-01", "-0001-01-01", "2026-02-30", "1990-13-01"] {
        let body = patient_born(bad);
        let v = refused(&app, "/Patient", &body, "Patient.birthDate").await;
        assert!(v.to_string().contains(bad), "{bad}: {v}");
        refused(&app, "", &transaction(body), "birthDate").await;
    }
    // A contract's date, read by the Patient parser.
    let mut body = fixtures::patient("Strict", "Contract", None);
    body["extension"] = json!([fixtures::contract("team-tc1-1", "2025-02-29")]);
    refused(&app, "/Patient", &body, "2025-02-29").await;
    // A choice element's date type is checked on any resource.
    let obs = json!({"resourceType": "Observation", "status": "final",
                     "effectiveDateTime": "2026-04-31T08:00:00Z"});
    refused(&app, "/Observation", &obs, "Observation.effectiveDateTime").await;

    let today = app.state.ctx.clock.today();
    let tomorrow = today.next_day().expect("a tomorrow");
    for future in [
        "9999-01-01".to_string(),
        tiercare_fhir::format_date(tomorrow),
    ] {
        let v = refused(&app, "/Patient", &patient_born(&future), "future").await;
        assert_eq!(v["issue"][0]["expression"][0], "Patient.birthDate", "{v}");
        refused(&app, "", &transaction(patient_born(&future)), "future").await;
    }
    let put = app
        .put(
            "admin",
            "/Patient/strict-1",
            &patient_born("9999-01-01"),
            None,
        )
        .await;
    assert_outcome(&put, 400, "future");
    assert_eq!(counts(&app).await, before, "nothing was stored");
    // Born today is fine.
    let born = app
        .create(&patient_born(&tiercare_fhir::format_date(today)))
        .await;
    assert_eq!(born["birthDate"], json!(tiercare_fhir::format_date(today)));
}

#[tokio::test]
async fn a_date_search_value_must_be_a_calendar_date() {
    let app = spawn_app().await;
    for bad in [
        "2026-02-30",
        "0000",
        "ge2026-13",
        "2026-02-3",
        "lt0000-01-01",
    ] {
        let resp = app.get("admin", &format!("/Patient?birthdate={bad}")).await;
        let v = assert_outcome(&resp, 400, "birthdate");
        assert_eq!(v["issue"][0]["expression"][0], "birthdate", "{bad}: {v}");
    }
    let resp = app.get("admin", "/Patient?birthdate=2024-02-29").await;
    resp.expect(200);
    let resp = app.get("admin", "/Patient?birthdate=ge1950-02").await;
    resp.expect(200);
}

#[tokio::test]
async fn strings_are_bounded_and_hold_no_control_characters() {
    let app = spawn_app().await;
    let before = counts(&app).await;
    let long = "x".repeat(limits::MAX_STRING_CHARS + 1);
    let body = patient_named(&long, "Long");
    let v = refused(&app, "/Patient", &body, "Patient.name[0].family").await;
    assert!(v.to_string().contains("at most 4096"), "{v}");
    refused(
        &app,
        "",
        &transaction(body),
        "Bundle.entry[0].resource.name[0].family",
    )
    .await;
    // A megabyte, as an attacker would send.
    let huge = patient_named("Big", &"名".repeat(1 << 20));
    refused(&app, "/Patient", &huge, "Patient.name[0].given[0]").await;
    for (case, text) in [
        ("NUL", "Wang\u{0}"),
        ("ESC", "\u{1b}[2J"),
        ("BEL", "a\u{7}"),
    ] {
        let body = patient_named("Ctrl", text);
        let v = refused(&app, "/Patient", &body, "Patient.name[0].given[0]").await;
        assert!(v.to_string().contains("control character"), "{case}: {v}");
    }
    let mut body = fixtures::patient("Ctrl", "Address", None);
    body["address"] = json!([{"district": "Hekou\u{0}Town"}]);
    refused(&app, "/Patient", &body, "Patient.address[0].district").await;
    assert_eq!(counts(&app).await, before, "nothing was stored");
    // Tab and line ends are text; the longest ordinary string is fine.
    let ok = patient_named(&"x".repeat(limits::MAX_STRING_CHARS), "Tab\tName");
    let resp = app.post("admin", "/Patient", &ok).await;
    resp.expect(201);
}

#[tokio::test]
async fn a_fhir_body_must_declare_its_type() {
    let app = spawn_app().await;
    let before = counts(&app).await;
    let body = fixtures::patient("No", "Type", None).to_string();
    for (method, path) in [
        (Method::POST, "/Patient"),
        (Method::PUT, "/Patient/no-type"),
        (Method::POST, ""),
        (Method::POST, "/CodeSystem/$triage"),
    ] {
        let resp = send_raw(&app, method.clone(), "admin", path, None, body.clone()).await;
        assert_outcome(&resp, 415, "Content-Type");
    }
    assert_eq!(counts(&app).await, before, "nothing was stored");
    let resp = send_raw(
        &app,
        Method::POST,
        "admin",
        "/Patient",
        Some("Application/JSON; charset=UTF-8"),
        body,
    )
    .await;
    resp.expect(201);
}

#[tokio::test]
async fn duplicate_keys_are_refused_with_their_path() {
    let app = spawn_app().await;
    let before = counts(&app).await;
    let body = r#"{"resourceType":"Patient","name":[{"family":"Dup","given":["Key"]}],
        "gender":"male","birthDate":"1950-05-06","birthDate":"1960-01-01"}"#;
    let resp = send_raw(
        &app,
        Method::POST,
        "admin",
        "/Patient",
        Some(FHIR_JSON),
        body,
    )
    .await;
    let v = assert_outcome(&resp, 400, "Patient.birthDate");
    assert!(v.to_string().contains("twice"), "{v}");
    let bundle = r#"{"resourceType":"Bundle","type":"transaction","entry":[{"resource":
        {"resourceType":"Patient","name":[{"family":"A","family":"B"}],"birthDate":"1950-05-06"},
        "request":{"method":"POST","url":"Patient"}}]}"#;
    let resp = send_raw(&app, Method::POST, "admin", "", Some(FHIR_JSON), bundle).await;
    assert_outcome(&resp, 400, "Bundle.entry[0].resource.name[0].family");
    assert_eq!(counts(&app).await, before, "nothing was stored");
}

#[tokio::test]
async fn a_query_that_is_not_utf8_is_a_400() {
    let app = spawn_app().await;
    for (path, needle) in [
        ("/Patient?name=%FF%FE", "name"),
        ("/Patient?%FF=1", "not UTF-8"),
        ("/Task?owner=Organization/%C3", "owner"),
        ("/CodeSystem?url=%FF", "url"),
        ("/AuditEvent?patient=%E4%B8", "patient"),
    ] {
        let resp = app.get("admin", path).await;
        let v = assert_outcome(&resp, 400, needle);
        assert!(v.to_string().contains("UTF-8"), "{path}: {v}");
    }
    // Escaped UTF-8 is text: 王 is %E7%8E%8B.
    let resp = app.get("admin", "/Patient?name=%E7%8E%8B").await;
    resp.expect(200);
}

#[tokio::test]
async fn searches_are_bounded_by_values_and_parameters() {
    let app = spawn_app().await;
    let list = |n: usize| vec!["ab"; n].join(",");
    // The attacker's search: 500 alternatives of one parameter.
    let resp = app
        .get("admin", &format!("/Patient?name={}", list(500)))
        .await;
    let v = assert_outcome(&resp, 400, "name");
    assert!(v.to_string().contains("at most 100"), "{v}");
    let resp = app
        .get("admin", &format!("/Task?owner={}", list(101)))
        .await;
    assert_outcome(&resp, 400, "owner");
    // The most a parameter takes, on several parameters: answered.
    let at_limit = list(limits::MAX_VALUES_PER_PARAM);
    let resp = app
        .get(
            "admin",
            &format!("/Patient?name={at_limit}&family={at_limit}&given={at_limit}&identifier={at_limit}&_id={at_limit}"),
        )
        .await;
    resp.expect(200);
    // One more value over all the parameters is one too many.
    let resp = app
        .get(
            "admin",
            &format!("/Patient?name={at_limit}&family={at_limit}&given={at_limit}&identifier={at_limit}&_id={at_limit}&gender=male"),
        )
        .await;
    assert_outcome(&resp, 400, "gender");
    // Repeated parameters: the most a query takes is answered, more is a 400.
    let repeated = |n: usize| vec!["name=ab"; n].join("&");
    let resp = app
        .get(
            "admin",
            &format!("/Patient?{}", repeated(limits::MAX_QUERY_PARAMS)),
        )
        .await;
    resp.expect(200);
    for n in [limits::MAX_QUERY_PARAMS + 1, 2_000] {
        let resp = app.get("admin", &format!("/Patient?{}", repeated(n))).await;
        let v = assert_outcome(&resp, 400, "name");
        assert!(v.to_string().contains("parameters"), "{n}: {v}");
    }
}
