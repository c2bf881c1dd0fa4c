//! The referral loop over HTTP: `ServiceRequest`, its `Task`, the named
//! operations, slots and holds, worklists, access and concurrency.

use crate::helpers::{Resp, TestApp, assert_hidden, assert_outcome, entries, send, spawn_app};
use crate::validate::assert_valid_fhir;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use tiercare_core::Record;

pub(crate) const HOSPITAL: &str = "zx-h1";

/// The body of a referral from the demo family doctor.
pub(crate) fn referral_body(patient: &str, code: &str) -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": "routine",
        "subject": {"reference": format!("Patient/{patient}")},
        "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}]}],
        "note": [{"text": "Exertional chest pain for three weeks; resting ECG normal."}]
    })
}

pub(crate) fn params(pairs: &[(&str, Value)]) -> Value {
    let parameter: Vec<Value> = pairs
        .iter()
        .map(|(name, v)| {
            let mut p = json!({"name": name});
            match v {
                Value::String(s) if s.contains('/') => {
                    p["valueReference"] = json!({"reference": s})
                }
                Value::String(s) => p["valueString"] = json!(s),
                other => p["valueBoolean"] = other.clone(),
            }
            p
        })
        .collect();
    json!({"resourceType": "Parameters", "parameter": parameter})
}

pub(crate) async fn op(
    app: &TestApp,
    user: &str,
    id: &str,
    name: &str,
    body: Option<Value>,
    etag: Option<&str>,
) -> Resp {
    let mut rb = app
        .fhir(
            Method::POST,
            Some(user),
            &format!("/ServiceRequest/{id}/${name}"),
        )
        .await
        .header("content-type", "application/fhir+json");
    if let Some(b) = body {
        rb = rb.body(b.to_string());
    }
    if let Some(tag) = etag {
        rb = rb.header("if-match", tag);
    }
    send(rb).await
}

async fn actions(app: &TestApp, user: &str, id: &str) -> Vec<String> {
    let resp = app
        .get(user, &format!("/ServiceRequest/{id}/$actions"))
        .await;
    resp.expect(200);
    resp.json()["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "action")
        .map(|p| p["valueCode"].as_str().unwrap().to_string())
        .collect()
}

/// A free cardiology slot at the hospital, as the slot search shows it.
pub(crate) async fn free_slots(app: &TestApp, user: &str) -> Vec<Value> {
    let resp = app
        .get(
            user,
            &format!("/Slot?organization=Organization/{HOSPITAL}&service-type=cardiology&status=free&_count=500"),
        )
        .await;
    resp.expect(200);
    entries(&resp.json())
}

pub(crate) async fn create(app: &TestApp, patient: &str) -> String {
    let resp = app
        .post("doctor", "/ServiceRequest", &referral_body(patient, "I20"))
        .await;
    resp.expect(201);
    resp.json()["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_whole_loop_over_http() {
    let app = spawn_app().await;
    let mut seen = Vec::new();

    // The family doctor refers a contracted patient up.
    let resp = app
        .post(
            "doctor",
            "/ServiceRequest",
            &referral_body("res-000001", "I20"),
        )
        .await;
    resp.expect(201);
    assert_eq!(resp.header("etag").as_deref(), Some("W/\"1\""));
    let sr = resp.json();
    let id = sr["id"].as_str().unwrap().to_string();
    assert_eq!(sr["subject"]["reference"], "Patient/res-000001");
    assert_eq!(
        sr["performer"][0]["reference"],
        format!("Organization/{HOSPITAL}")
    );
    assert_eq!(
        sr["requester"]["reference"],
        format!(
            "Practitioner/{}",
            app.user("doctor").practitioner.as_ref().unwrap()
        )
    );
    // The specialty comes from the catalogue when not given.
    assert_eq!(sr["performerType"]["coding"][0]["code"], "cardiology");
    seen.push(sr);

    // It is on the hospital's incoming worklist and awaits its action.
    let incoming = app
        .get(
            "coordinator",
            &format!("/ServiceRequest?performer=Organization/{HOSPITAL}&state=requested"),
        )
        .await;
    incoming.expect(200);
    assert!(
        entries(&incoming.json())
            .iter()
            .any(|r| r["id"] == id.as_str()),
        "{}",
        incoming.body
    );
    let awaiting = app
        .get(
            "coordinator",
            &format!("/Task?owner=Organization/{HOSPITAL}"),
        )
        .await;
    awaiting.expect(200);
    assert!(
        entries(&awaiting.json())
            .iter()
            .any(|t| t["id"] == id.as_str())
    );
    seen.push(awaiting.json());
    let task = app.get("coordinator", &format!("/Task/{id}")).await;
    task.expect(200);
    let task = task.json();
    assert_eq!(task["status"], "requested");
    assert!(
        task["restriction"]["period"]["end"].is_string(),
        "triage is due: {task}"
    );
    seen.push(task);

    // Who may do what, so clients never guess.
    let coordinator = actions(&app, "coordinator", &id).await;
    for a in [
        "accept",
        "book",
        "decline",
        "redirect",
        "return-with-advice",
    ] {
        assert!(coordinator.contains(&a.to_string()), "{coordinator:?}");
    }
    assert!(!coordinator.contains(&"cancel".to_string()));
    assert_eq!(actions(&app, "doctor", &id).await, vec!["book", "cancel"]);

    // Accept (book later), with If-Match.
    let stale = op(&app, "coordinator", &id, "accept", None, Some("W/\"7\"")).await;
    assert_outcome(&stale, 412, "version");
    let accepted = op(&app, "coordinator", &id, "accept", None, Some("W/\"1\"")).await;
    accepted.expect(200);
    assert_eq!(accepted.json()["status"], "accepted");
    assert_eq!(accepted.header("etag").as_deref(), Some("W/\"2\""));
    // Accepting twice is an illegal transition: 409, nothing changes.
    assert_outcome(
        &op(&app, "coordinator", &id, "accept", None, None).await,
        409,
        "accept",
    );

    // The family doctor holds a free slot while asking the patient; the
    // coordinator cannot take it meanwhile.
    let slots = free_slots(&app, "doctor").await;
    assert!(!slots.is_empty(), "the demo opens cardiology sessions");
    let slot = slots[0]["id"].as_str().unwrap().to_string();
    let held = send(
        app.fhir(Method::POST, Some("doctor"), &format!("/Slot/{slot}/$hold"))
            .await
            .header("content-type", "application/fhir+json")
            .body(params(&[("referral", json!(format!("ServiceRequest/{id}")))]).to_string()),
    )
    .await;
    held.expect(200);
    assert_eq!(held.json()["status"], "busy-tentative");
    seen.push(held.json());
    assert!(
        !free_slots(&app, "doctor")
            .await
            .iter()
            .any(|s| s["id"] == slot.as_str()),
        "a held slot is not shown free"
    );
    let taken = op(
        &app,
        "coordinator",
        &id,
        "book",
        Some(params(&[("slot", json!(format!("Slot/{slot}")))])),
        None,
    )
    .await;
    assert_outcome(&taken, 409, "held");
    let booked = op(
        &app,
        "doctor",
        &id,
        "book",
        Some(params(&[("slot", json!(format!("Slot/{slot}")))])),
        None,
    )
    .await;
    booked.expect(200);
    let booked = booked.json();
    assert_eq!(booked["businessStatus"]["coding"][0]["code"], "booked");
    assert!(booked["executionPeriod"]["start"].is_string());
    let slot_now = app.get("doctor", &format!("/Slot/{slot}")).await;
    slot_now.expect(200);
    assert_eq!(slot_now.json()["status"], "busy");
    seen.push(slot_now.json());
    let schedule = slot_now.json()["schedule"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let schedule = app.get("doctor", &format!("/{schedule}")).await;
    schedule.expect(200);
    seen.push(schedule.json());

    // Arrival (on the booked day), completion with the report back, and
    // the loop closed.
    app.on_day_of_referral_visit(&id).await;
    op(&app, "coordinator", &id, "arrive", None, None)
        .await
        .expect(200);
    let visits = app
        .get(
            "coordinator",
            &format!("/Encounter?based-on=ServiceRequest/{id}"),
        )
        .await;
    visits.expect(200);
    let visit = entries(&visits.json());
    assert_eq!(visit.len(), 1);
    assert_eq!(visit[0]["status"], "arrived");
    assert_eq!(visit[0]["class"]["code"], "AMB");
    let encounter = visit[0]["id"].as_str().unwrap().to_string();
    let report = params(&[
        (
            "report-summary",
            json!("Stable angina; started on a beta blocker."),
        ),
        (
            "report-recommendation",
            json!("Monthly blood pressure and heart rate."),
        ),
    ]);
    let done = op(&app, "coordinator", &id, "complete", Some(report), None).await;
    done.expect(200);
    let done = done.json();
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["output"][0]["valueString"],
        "Stable angina; started on a beta blocker."
    );
    assert_eq!(
        done["owner"]["reference"], "Organization/zx-tc1",
        "the referrer closes the loop"
    );
    seen.push(done);
    let finished = app.get("doctor", &format!("/Encounter/{encounter}")).await;
    finished.expect(200);
    assert_eq!(finished.json()["status"], "finished");
    assert!(finished.json()["period"]["end"].is_string());
    seen.push(finished.json());
    assert_outcome(
        &app.get("analyst", &format!("/Encounter/{encounter}")).await,
        404,
        "does not exist",
    );
    let closed = op(&app, "doctor", &id, "close", None, None).await;
    closed.expect(200);
    assert_eq!(
        closed.json()["businessStatus"]["coding"][0]["code"],
        "closed"
    );
    assert!(actions(&app, "doctor", &id).await.is_empty());
    let sr = app.get("doctor", &format!("/ServiceRequest/{id}")).await;
    sr.expect(200);
    assert_eq!(sr.json()["status"], "completed");
    seen.push(sr.json());

    // Every step is an event, in order.
    let kinds: Vec<String> = app
        .state
        .ctx
        .store
        .events_after(0, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.resource_id == id)
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "referral.requested.v1",
            "referral.accepted.v1",
            "referral.booked.v1",
            "referral.arrived.v1",
            "referral.completed.v1",
            "referral.closed.v1"
        ]
    );
    assert_valid_fhir(&seen);
}

#[tokio::test]
async fn bad_requests_name_what_is_wrong() {
    let app = spawn_app().await;
    let before = app.count("ServiceRequest").await;
    let mut unknown = referral_body("res-000001", "I20");
    unknown["supportingInfo"] = json!([{"reference": "Observation/x"}]);
    assert_outcome(
        &app.post("doctor", "/ServiceRequest", &unknown).await,
        422,
        "supportingInfo",
    );
    let mut not_a_result = referral_body("res-000001", "I20");
    not_a_result["supportingInfo"] = json!([{"reference": "Patient/res-000001"}]);
    assert_outcome(
        &app.post("doctor", "/ServiceRequest", &not_a_result).await,
        400,
        "supportingInfo",
    );
    let not_catalogued = referral_body("res-000001", "Z99.9");
    assert_outcome(
        &app.post("doctor", "/ServiceRequest", &not_catalogued).await,
        422,
        "catalogue",
    );
    let mut nowhere = referral_body("res-000001", "I20");
    nowhere["performer"] = json!([{"reference": "Organization/nope"}]);
    assert_outcome(
        &app.post("doctor", "/ServiceRequest", &nowhere).await,
        422,
        "nope",
    );
    let mut no_summary = referral_body("res-000001", "I20");
    no_summary.as_object_mut().unwrap().remove("note");
    assert_outcome(
        &app.post("doctor", "/ServiceRequest", &no_summary).await,
        422,
        "summary",
    );
    let mut ghost = referral_body("res-999999", "I20");
    ghost["priority"] = json!("urgent");
    assert_outcome(
        &app.post("doctor", "/ServiceRequest", &ghost).await,
        422,
        "res-999999",
    );
    // Only a doctor refers.
    assert_outcome(
        &app.post(
            "coordinator",
            "/ServiceRequest",
            &referral_body("res-000001", "I20"),
        )
        .await,
        403,
        "coordinator",
    );
    assert_eq!(app.count("ServiceRequest").await, before, "nothing stored");

    let id = create(&app, "res-000001").await;
    assert_outcome(
        &op(&app, "coordinator", &id, "teleport", None, None).await,
        404,
        "teleport",
    );
    assert_outcome(
        &op(
            &app,
            "coordinator",
            &id,
            "accept",
            Some(params(&[("why", json!("x"))])),
            None,
        )
        .await,
        400,
        "why",
    );
    assert_outcome(
        &op(
            &app,
            "coordinator",
            &id,
            "return-with-advice",
            Some(params(&[("advice", json!(" "))])),
            None,
        )
        .await,
        422,
        "advice",
    );
    assert_outcome(
        &op(
            &app,
            "coordinator",
            &id,
            "decline",
            Some(params(&[("reason", json!("bored"))])),
            None,
        )
        .await,
        422,
        "bored",
    );
    // Declined with a reason the referrer can read.
    let declined = op(
        &app,
        "coordinator",
        &id,
        "decline",
        Some(params(&[
            ("reason", json!("not-indicated")),
            ("comment", json!("Manage at primary level.")),
        ])),
        None,
    )
    .await;
    declined.expect(200);
    assert_eq!(declined.json()["status"], "rejected");
    assert!(
        declined.json()["statusReason"]["text"]
            .as_str()
            .unwrap()
            .contains("Manage at primary level.")
    );
    assert_valid_fhir(&[declined.json()]);
}

#[tokio::test]
async fn referrals_are_seen_only_by_their_two_sides() {
    let app = spawn_app().await;
    let id = create(&app, "res-000001").await;
    for user in ["analyst", "resident"] {
        assert_hidden(
            &app.get(user, &format!("/ServiceRequest/{id}")).await,
            &format!("ServiceRequest/{id}"),
        );
        assert_outcome(&app.get(user, "/ServiceRequest").await, 403, "");
    }
    // A doctor of a third institution sees nothing of it.
    let county = &app.county;
    let other = county
        .records
        .iter()
        .find_map(|r| match r {
            Record::Role(role) if role.institution.as_str() == "zx-h2" => {
                Some(role.practitioner.clone())
            }
            _ => None,
        })
        .expect("a practitioner at zx-h2");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tiercare"))
        .args([
            "user",
            "add",
            "--username",
            "h2doc",
            "--password",
            "h2doc-password",
            "--role",
            "doctor",
        ])
        .args(["--institution", "zx-h2", "--practitioner", other.as_str()])
        .args(["--database", &app.database_url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let login = app.login("h2doc", "h2doc-password").await;
    login.expect(200);
    let token = login.json()["access_token"].as_str().unwrap().to_string();
    let read = send(
        app.client
            .get(app.fhir_url(&format!("/ServiceRequest/{id}")))
            .bearer_auth(&token),
    )
    .await;
    assert_hidden(&read, &format!("ServiceRequest/{id}"));
    let list = send(
        app.client
            .get(app.fhir_url("/ServiceRequest"))
            .bearer_auth(&token),
    )
    .await;
    list.expect(200);
    assert_eq!(list.json()["total"], 0);
    let act = send(
        app.client
            .post(app.fhir_url(&format!("/ServiceRequest/{id}/$accept")))
            .bearer_auth(&token),
    )
    .await;
    // Acting on it too: as for a referral that does not exist.
    assert_hidden(&act, &format!("ServiceRequest/{id}"));
    // Both sides see it; each look is audited against the patient.
    for user in ["doctor", "coordinator"] {
        app.get(user, &format!("/ServiceRequest/{id}"))
            .await
            .expect(200);
    }
    let (audit, _) = app
        .state
        .ctx
        .store
        .audit_search(&tiercare_store::AuditQuery {
            patient: Some("res-000001".into()),
            count: 200,
            ..Default::default()
        })
        .await
        .unwrap();
    let on_it: BTreeSet<(String, String)> = audit
        .iter()
        .filter(|e| e.resource_type == "ServiceRequest")
        .map(|e| (e.username.clone(), e.outcome.code().to_string()))
        .collect();
    for expected in [
        ("doctor", "success"),
        ("coordinator", "success"),
        ("analyst", "denied"),
        ("h2doc", "denied"),
    ] {
        assert!(
            on_it.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} in {on_it:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_http_bookings_of_twenty_slots() {
    let app = Arc::new(spawn_app().await);
    let slots = crate::helpers::open_public_session(&app).await;
    let mut refs = Vec::new();
    for i in 0..200 {
        let patient = on_doctors_team(&app, i);
        refs.push(create(&app, &patient).await);
    }
    let token = app.token("coordinator").await;
    let mut tasks = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let app = app.clone();
        let token = token.clone();
        let url = app.fhir_url(&format!("/ServiceRequest/{r}/$book"));
        let body = params(&[("slot", json!(format!("Slot/{}", slots[i % 20])))]).to_string();
        tasks.push(tokio::spawn(async move {
            send(
                app.client
                    .post(url)
                    .bearer_auth(token)
                    .header("content-type", "application/fhir+json")
                    .body(body),
            )
            .await
            .status
        }));
    }
    let mut ok = 0;
    let mut conflict = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            409 => conflict += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((ok, conflict), (20, 180));
    for s in &slots {
        let slot = app.get("coordinator", &format!("/Slot/{s}")).await.json();
        assert_eq!(slot["status"], "busy", "{s}");
    }
    let booked = app
        .get(
            "coordinator",
            &format!("/ServiceRequest?performer=Organization/{HOSPITAL}&state=booked&_count=500"),
        )
        .await
        .json();
    assert_eq!(booked["total"], 20);
}

fn admin() -> tiercare_core::access::Actor {
    tiercare_core::access::Actor {
        username: "admin".into(),
        role: tiercare_core::access::UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    }
}

/// A cardiology bed pool at the hospital, opened through the service.
async fn open_pool(app: &TestApp, id: &str, beds: u32, reserved: u32) {
    let pool = tiercare_core::booking::BedPool {
        id: id.parse().unwrap(),
        institution: HOSPITAL.parse().unwrap(),
        specialty: tiercare_core::Specialty::Cardiology,
        beds,
        reserved,
        occupied: 0,
        reserved_occupied: 0,
    };
    let opened = tiercare_service::referrals::Referrals::new(&app.state.ctx, &admin())
        .open_bed_pool(pool)
        .await
        .unwrap();
    assert!(opened);
}

async fn create_inpatient(app: &TestApp, patient: &str) -> String {
    let mut body = referral_body(patient, "I21");
    body["code"] = json!({"coding": [{"system": "https://tiercare.org/fhir/CodeSystem/referral-setting", "code": "inpatient"}]});
    body["priority"] = json!("urgent");
    let resp = app.post("doctor", "/ServiceRequest", &body).await;
    resp.expect(201);
    resp.json()["id"].as_str().unwrap().to_string()
}

fn bed_counts(location: &Value) -> std::collections::BTreeMap<String, i64> {
    location["extension"][0]["extension"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["url"].as_str().unwrap().to_string(),
                e["valueInteger"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_http_admissions_to_twenty_beds() {
    let app = Arc::new(spawn_app().await);
    open_pool(&app, "zx-h1-cardiology-test-beds", 20, 10).await;
    let mut refs = Vec::new();
    for i in 0..200 {
        let patient = on_doctors_team(&app, i);
        refs.push(create_inpatient(&app, &patient).await);
    }
    let token = app.token("coordinator").await;
    let body = params(&[("beds", json!("Location/zx-h1-cardiology-test-beds"))]).to_string();
    let mut tasks = Vec::new();
    for r in &refs {
        let app = app.clone();
        let (token, body) = (token.clone(), body.clone());
        let url = app.fhir_url(&format!("/ServiceRequest/{r}/$book"));
        tasks.push(tokio::spawn(async move {
            let resp = send(
                app.client
                    .post(url)
                    .bearer_auth(token)
                    .header("content-type", "application/fhir+json")
                    .body(body),
            )
            .await;
            (resp.status, resp.body)
        }));
    }
    let mut ok = 0;
    let mut full = 0;
    for t in tasks {
        match t.await.unwrap() {
            (200, _) => ok += 1,
            (409, body) => {
                assert!(body.contains("bed"), "{body}");
                full += 1;
            }
            (other, body) => panic!("unexpected status {other}: {body}"),
        }
    }
    assert_eq!((ok, full), (20, 180));
    let pool = app
        .get("coordinator", "/Location/zx-h1-cardiology-test-beds")
        .await;
    pool.expect(200);
    let counts = bed_counts(&pool.json());
    assert_eq!(
        counts["reserved-occupied"], 10,
        "referrals from primary care take the reserved beds first"
    );
    assert_eq!(counts["occupied"], 10);
    assert_eq!(counts["free"] + counts["reserved-free"], 0);
    assert_valid_fhir(&[pool.json()]);
}

#[tokio::test]
async fn cancelling_frees_the_slot_and_a_finished_stay_frees_the_bed() {
    let app = spawn_app().await;
    // Outpatient: book a public slot, then the referrer cancels.
    let id = create(&app, "res-000001").await;
    let slot = free_slots(&app, "doctor")
        .await
        .into_iter()
        .find(|s| s["extension"][0]["valueBoolean"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let slot_param = params(&[("slot", json!(format!("Slot/{slot}")))]);
    op(&app, "coordinator", &id, "book", Some(slot_param), None)
        .await
        .expect(200);
    assert_eq!(
        app.get("doctor", &format!("/Slot/{slot}")).await.json()["status"],
        "busy"
    );
    let no_reason = op(&app, "doctor", &id, "cancel", None, None).await;
    assert_outcome(&no_reason, 422, "reason");
    assert_eq!(
        app.get("doctor", &format!("/Slot/{slot}")).await.json()["status"],
        "busy",
        "a refused cancel frees nothing"
    );
    let cancel = params(&[("reason", json!("Symptoms resolved."))]);
    let cancelled = op(&app, "doctor", &id, "cancel", Some(cancel), None).await;
    cancelled.expect(200);
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(
        app.get("doctor", &format!("/Slot/{slot}")).await.json()["status"],
        "free"
    );
    assert!(
        free_slots(&app, "doctor")
            .await
            .iter()
            .any(|s| s["id"] == slot.as_str())
    );

    // Inpatient: admitted into a reserved bed, which is free again after
    // the stay.
    open_pool(&app, "zx-h1-cardiology-ward-2", 4, 2).await;
    let id = create_inpatient(&app, "res-000001").await;
    let beds = params(&[("beds", json!("Location/zx-h1-cardiology-ward-2"))]);
    op(&app, "coordinator", &id, "book", Some(beds), None)
        .await
        .expect(200);
    let counts = bed_counts(
        &app.get("coordinator", "/Location/zx-h1-cardiology-ward-2")
            .await
            .json(),
    );
    assert_eq!(counts["reserved-occupied"], 1);
    op(&app, "coordinator", &id, "arrive", None, None)
        .await
        .expect(200);
    let report = params(&[(
        "report-summary",
        json!("NSTEMI treated; discharged on day 5."),
    )]);
    op(&app, "coordinator", &id, "complete", Some(report), None)
        .await
        .expect(200);
    let counts = bed_counts(
        &app.get("coordinator", "/Location/zx-h1-cardiology-ward-2")
            .await
            .json(),
    );
    assert_eq!(counts["reserved-occupied"], 0);
    assert_eq!(counts["occupied"], 0);
    // An outpatient referral cannot book a bed, nor an inpatient one a slot.
    let outpatient = create(&app, "res-000001").await;
    let beds = params(&[("beds", json!("Location/zx-h1-cardiology-ward-2"))]);
    assert_outcome(
        &op(&app, "coordinator", &outpatient, "book", Some(beds), None).await,
        422,
        "slot",
    );
}

#[tokio::test]
async fn a_retried_create_with_an_idempotency_key_makes_one_referral() {
    let app = spawn_app().await;
    let before = app.count("ServiceRequest").await;
    let body = referral_body("res-000001", "I20");
    let post = |key: &'static str| {
        let app = &app;
        let body = body.clone();
        async move {
            send(
                app.fhir(Method::POST, Some("doctor"), "/ServiceRequest")
                    .await
                    .header("content-type", "application/fhir+json")
                    .header("idempotency-key", key)
                    .body(body.to_string()),
            )
            .await
        }
    };
    let first = post("visit-2026-11-23-a").await;
    first.expect(201);
    let again = post("visit-2026-11-23-a").await;
    again.expect(200);
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(app.count("ServiceRequest").await, before + 1);
    // Another key is another referral; concurrent retries still make one.
    let (a, b) = tokio::join!(post("visit-2026-11-23-b"), post("visit-2026-11-23-b"));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 201]);
    assert_eq!(a.json()["id"], b.json()["id"]);
    assert_eq!(app.count("ServiceRequest").await, before + 2);
    let events = app
        .state
        .ctx
        .store
        .events_after(0, 1_000_000)
        .await
        .unwrap();
    let requested = events
        .iter()
        .filter(|e| e.kind == "referral.requested.v1")
        .count();
    assert_eq!(requested, 2, "one requested event per referral");
}

#[tokio::test]
async fn the_receiving_side_sees_the_patient_while_the_loop_is_open() {
    let app = spawn_app().await;
    let patient = "/Patient/res-000001";
    assert_hidden(&app.get("coordinator", patient).await, "Patient/res-000001");
    let id = create(&app, "res-000001").await;
    let read = app.get("coordinator", patient).await;
    read.expect(200);
    assert_eq!(read.json()["id"], "res-000001");
    // Not other patients of the same team.
    let other = app.residents().nth(1).unwrap().id.to_string();
    assert_outcome(
        &app.get("coordinator", &format!("/Patient/{other}")).await,
        404,
        "does not exist",
    );
    // Closed loop: the relationship ends.
    let reason = params(&[("reason", json!("Resolved."))]);
    op(&app, "doctor", &id, "cancel", Some(reason), None)
        .await
        .expect(200);
    assert_hidden(&app.get("coordinator", patient).await, "Patient/res-000001");
    // The family doctor's own access does not depend on referrals.
    app.get("doctor", patient).await.expect(200);
}

/// The `i`-th (cycling) resident contracted to the demo doctor's team: the
/// patients the doctor may refer.
fn on_doctors_team(app: &TestApp, i: usize) -> String {
    let mine = app.team_patients();
    mine[i % mine.len()].to_string()
}

#[tokio::test]
async fn only_a_patient_in_your_care_can_be_referred() {
    let app = spawn_app().await;
    let stranger = app
        .residents()
        .find(|r| {
            r.contract
                .as_ref()
                .is_none_or(|c| c.team.as_str() != crate::helpers::DOCTOR_TEAM)
        })
        .unwrap()
        .id
        .to_string();
    let before = app.count("ServiceRequest").await;
    let resp = app
        .post(
            "doctor",
            "/ServiceRequest",
            &referral_body(&stranger, "I20"),
        )
        .await;
    assert_outcome(&resp, 403, "in your care");
    assert_eq!(app.count("ServiceRequest").await, before);
    // So the hospital gains no access to them either.
    assert_outcome(
        &app.get("coordinator", &format!("/Patient/{stranger}"))
            .await,
        404,
        "does not exist",
    );
    let (audit, _) = app
        .state
        .ctx
        .store
        .audit_search(&tiercare_store::AuditQuery {
            patient: Some(stranger.clone()),
            count: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.resource_type == "ServiceRequest"
        && e.outcome == tiercare_store::AuditOutcome::Denied));
}

/// Several referrals of one resident finishing at once: the first claims of
/// the year race to open the resident's fund account, and each completion
/// is done again from fresh reads until it lands, instead of answering a
/// conflict the coordinator did not cause.
#[tokio::test]
async fn completions_racing_to_open_one_residents_account_all_land() {
    let app = Arc::new(spawn_app().await);
    let patient = on_doctors_team(&app, 0);
    app.get("resident", &format!("/Coverage/cov-{patient}"))
        .await
        .expect(200);
    let slots = crate::helpers::open_public_session(&app).await;
    let early = params(&[("early", json!(true))]);
    let mut refs = Vec::new();
    for slot in slots.iter().take(8) {
        let id = create(&app, &patient).await;
        op(&app, "coordinator", &id, "accept", None, None)
            .await
            .expect(200);
        let book = params(&[("slot", json!(format!("Slot/{slot}")))]);
        op(&app, "coordinator", &id, "book", Some(book), None)
            .await
            .expect(200);
        op(
            &app,
            "coordinator",
            &id,
            "arrive",
            Some(early.clone()),
            None,
        )
        .await
        .expect(200);
        refs.push(id);
    }
    let claims_before = app.count("ExplanationOfBenefit").await;
    let report = params(&[("report-summary", json!("Stable angina."))]);
    let tasks: Vec<_> = refs
        .iter()
        .map(|id| {
            let (app, id, report) = (app.clone(), id.clone(), report.clone());
            tokio::spawn(async move {
                op(&app, "coordinator", &id, "complete", Some(report), None)
                    .await
                    .status
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(app.count("ExplanationOfBenefit").await, claims_before + 8);
}
