//! Gatekeeping: self-referred visits under the region's policy, read from
//! its policy file.

use crate::helpers::{TestApp, assert_outcome, entries, spawn_app, spawn_app_with, workspace_root};
use crate::validate::assert_valid_fhir;
use serde_json::{Value, json};

/// A public cardiology slot at the hospital: open to self-referrals now.
async fn public_slot(app: &TestApp) -> String {
    let resp = app
        .get(
            "admin",
            "/Slot?organization=Organization/zx-h1&service-type=cardiology&status=free&reserved=false",
        )
        .await;
    resp.expect(200);
    entries(&resp.json())[0]["id"].as_str().unwrap().to_string()
}

fn visit(slot: &str, patient: &str, emergency: bool) -> Value {
    let mut v = json!({
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": format!("Slot/{slot}")}],
        "participant": [{"actor": {"reference": format!("Patient/{patient}")}, "status": "accepted"}],
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}]
    });
    if emergency {
        v["appointmentType"] = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0276", "code": "EMERGENCY"}]});
    }
    v
}

fn bypass(appointment: &Value) -> bool {
    appointment["extension"][0]["valueBoolean"]
        .as_bool()
        .unwrap()
}

#[tokio::test]
async fn financial_gatekeeping_books_a_self_referral_as_a_bypass() {
    let app = spawn_app().await;
    assert_eq!(
        app.state.ctx.policy.gatekeeping.code(),
        "financial",
        "the demo county's mode"
    );
    let slot = public_slot(&app).await;
    let resp = app
        .post(
            "resident",
            "/Appointment",
            &visit(&slot, "res-000001", false),
        )
        .await;
    resp.expect(201);
    let a = resp.json();
    assert!(bypass(&a), "{a}");
    // When it was booked, for the wait to the visit.
    let created = a["created"].as_str().expect("created");
    let created =
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert!(
        (time::OffsetDateTime::now_utc() - created)
            .whole_minutes()
            .abs()
            < 5
    );
    assert_eq!(
        app.get("admin", &format!("/Slot/{slot}")).await.json()["status"],
        "busy"
    );
    // The event carries the bypass for insurance.
    let events = app
        .state
        .ctx
        .store
        .events_after(0, 1_000_000)
        .await
        .unwrap();
    let booked: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "appointment.booked.v1")
        .collect();
    assert_eq!(booked.len(), 1);
    match &booked[0].event {
        tiercare_core::events::Event::AppointmentBooked { appointment } => {
            assert!(appointment.bypass)
        }
        other => panic!("{other:?}"),
    }
    // The patient and the hospital see it; an analyst and another resident's
    // booking do not go through.
    let id = a["id"].as_str().unwrap();
    app.get("resident", &format!("/Appointment/{id}"))
        .await
        .expect(200);
    app.get("coordinator", &format!("/Appointment/{id}"))
        .await
        .expect(200);
    assert_outcome(
        &app.get("analyst", &format!("/Appointment/{id}")).await,
        404,
        "",
    );
    let mine = app.get("resident", "/Appointment").await;
    mine.expect(200);
    assert_eq!(mine.json()["total"], 1);
    let other = app.residents().nth(1).unwrap().id.to_string();
    let slot2 = public_slot(&app).await;
    assert_outcome(
        &app.post("resident", "/Appointment", &visit(&slot2, &other, false))
            .await,
        403,
        "patient",
    );
    // The same slot twice: 409.
    assert_outcome(
        &app.post("admin", "/Appointment", &visit(&slot, &other, false))
            .await,
        409,
        "booked",
    );
    assert_valid_fhir(&[a, mine.json()]);
}

#[tokio::test]
async fn mandatory_gatekeeping_refuses_a_self_referral_but_not_an_emergency() {
    let policy =
        std::fs::read_to_string(workspace_root().join("crates/core/data/demo-policy.toml"))
            .unwrap();
    let mandatory = policy.replace("gatekeeping = \"financial\"", "gatekeeping = \"mandatory\"");
    assert_ne!(policy, mandatory);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, mandatory).unwrap();
    let app = spawn_app_with(|s| s.policy_file = Some(path.display().to_string())).await;
    assert_eq!(app.state.ctx.policy.gatekeeping.code(), "mandatory");

    let before = app.count("Appointment").await;
    let slot = public_slot(&app).await;
    let refused = app
        .post(
            "resident",
            "/Appointment",
            &visit(&slot, "res-000001", false),
        )
        .await;
    assert_outcome(&refused, 422, "referral from the patient's family doctor");
    assert_eq!(app.count("Appointment").await, before, "nothing booked");
    assert_eq!(
        app.get("admin", &format!("/Slot/{slot}")).await.json()["status"],
        "free"
    );
    // The refusal is in the audit trail.
    let (audit, _) = app
        .state
        .ctx
        .store
        .audit_search(&tiercare_store::AuditQuery {
            patient: Some("res-000001".into()),
            count: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit.iter().any(|e| e.resource_type == "Appointment"
            && e.outcome == tiercare_store::AuditOutcome::Failed)
    );

    // An emergency passes, and is no bypass; it must say what it is.
    let mut no_reason = visit(&slot, "res-000001", true);
    no_reason.as_object_mut().unwrap().remove("reasonCode");
    assert_outcome(
        &app.post("resident", "/Appointment", &no_reason).await,
        400,
        "reasonCode",
    );
    let emergency = app
        .post(
            "resident",
            "/Appointment",
            &visit(&slot, "res-000001", true),
        )
        .await;
    emergency.expect(201);
    assert!(!bypass(&emergency.json()));

    // With a referral on its way, the visit is booked through the referral.
    let referral = json!({
        "resourceType": "ServiceRequest",
        "subject": {"reference": "Patient/res-000001"},
        "performer": [{"reference": "Organization/zx-h1"}],
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
        "note": [{"text": "Chest pain on exertion."}]
    });
    let sr = app.post("doctor", "/ServiceRequest", &referral).await;
    sr.expect(201);
    let id = sr.json()["id"].as_str().unwrap().to_string();
    let slot2 = public_slot(&app).await;
    assert_outcome(
        &app.post(
            "resident",
            "/Appointment",
            &visit(&slot2, "res-000001", false),
        )
        .await,
        409,
        &id,
    );
}

#[tokio::test]
async fn a_self_booked_visit_is_recorded_when_the_patient_comes_and_leaves() {
    use crate::closed_loop::post_op;
    let app = spawn_app().await;
    let slot = public_slot(&app).await;
    let booked = app
        .post(
            "resident",
            "/Appointment",
            &visit(&slot, "res-000001", false),
        )
        .await;
    booked.expect(201);
    let id = booked.json()["id"].as_str().unwrap().to_string();
    let none = json!({"resourceType": "Parameters"});
    app.on_day_of_appointment(&id).await;
    // Only the hospital's staff record the visit.
    for user in ["resident", "doctor", "analyst"] {
        let resp = post_op(
            &app,
            user,
            &format!("/Appointment/{id}/$arrive"),
            none.clone(),
        )
        .await;
        assert_outcome(&resp, 403, "staff");
    }
    let arrived = post_op(
        &app,
        "coordinator",
        &format!("/Appointment/{id}/$arrive"),
        none.clone(),
    )
    .await;
    arrived.expect(201);
    let encounter = arrived.json();
    assert_eq!(encounter["status"], "arrived");
    assert_eq!(
        encounter["serviceProvider"]["reference"],
        "Organization/zx-h1"
    );
    let eid = encounter["id"].as_str().unwrap().to_string();
    // Arriving twice is a conflict; finishing is done once.
    assert_outcome(
        &post_op(
            &app,
            "coordinator",
            &format!("/Appointment/{id}/$arrive"),
            none.clone(),
        )
        .await,
        409,
        "already arrived",
    );
    let finished = post_op(
        &app,
        "specialist",
        &format!("/Encounter/{eid}/$finish"),
        none.clone(),
    )
    .await;
    finished.expect(200);
    assert_eq!(finished.json()["status"], "finished");
    assert_outcome(
        &post_op(
            &app,
            "specialist",
            &format!("/Encounter/{eid}/$finish"),
            none.clone(),
        )
        .await,
        409,
        "finished",
    );
    assert_valid_fhir(&[encounter, finished.json()]);
    // Both ends of the visit are events, as a referred visit's are.
    let events = app
        .state
        .ctx
        .store
        .events_after(0, 1_000_000)
        .await
        .unwrap();
    for kind in ["visit.arrived.v1", "visit.finished.v1"] {
        assert_eq!(
            events.iter().filter(|e| e.kind == kind).count(),
            1,
            "{kind}"
        );
    }
}
