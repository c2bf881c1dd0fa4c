//! A booked visit as the API shows it: the appointment's status follows
//! the visit, arrival waits for the booked day, and a care plan's
//! medicines are shown by name.

use crate::closed_loop::post_op;
use crate::helpers::{DEMO_RESIDENT, TestApp, assert_outcome, entries, spawn_app};
use crate::referral::{create, free_slots, op, params};
use serde_json::{Value, json};

/// Books the next free public cardiology slot for a referral; answers the
/// slot's id.
async fn book(app: &TestApp, referral: &str, taken: &mut Vec<String>) -> String {
    let slot = free_slots(app, "coordinator")
        .await
        .into_iter()
        .filter(|s| s["extension"][0]["valueBoolean"] == false)
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .find(|s| !taken.contains(s))
        .expect("a free public cardiology slot");
    taken.push(slot.clone());
    let body = params(&[("slot", json!(format!("Slot/{slot}")))]);
    op(app, "coordinator", referral, "book", Some(body), None)
        .await
        .expect(200);
    slot
}

/// The appointment booked for a referral.
async fn appointment_of(app: &TestApp, referral: &str) -> Value {
    let found = app
        .get(
            "admin",
            &format!("/Appointment?based-on=ServiceRequest/{referral}"),
        )
        .await;
    found.expect(200);
    let e = entries(&found.json());
    assert_eq!(e.len(), 1, "one appointment for ServiceRequest/{referral}");
    e[0].clone()
}

/// What a read of the appointment says, and which status searches find it:
/// exactly the one it reads.
async fn assert_status(app: &TestApp, appointment: &str, want: &str) {
    let read = app
        .get("admin", &format!("/Appointment/{appointment}"))
        .await;
    read.expect(200);
    assert_eq!(read.json()["status"], want, "Appointment/{appointment}");
    for status in ["booked", "arrived", "fulfilled", "noshow", "cancelled"] {
        for token in [
            status.to_string(),
            format!("http://hl7.org/fhir/appointmentstatus|{status}"),
        ] {
            let found = app
                .get(
                    "admin",
                    &format!(
                        "/Appointment?_id={appointment}&status={}",
                        token.replace('|', "%7C")
                    ),
                )
                .await;
            found.expect(200);
            assert_eq!(
                found.json()["total"],
                u64::from(status == want),
                "Appointment/{appointment} searched as {token}, read as {want}"
            );
        }
    }
}

/// A visit the patient booked themselves, at the hospital.
async fn self_booked(app: &TestApp, taken: &mut Vec<String>) -> (String, String) {
    let slot = free_slots(app, "admin")
        .await
        .into_iter()
        .filter(|s| s["extension"][0]["valueBoolean"] == false)
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .find(|s| !taken.contains(s))
        .expect("a free public slot");
    taken.push(slot.clone());
    (
        crate::helpers::self_book(app, DEMO_RESIDENT, &slot).await,
        slot,
    )
}

fn report() -> Value {
    params(&[
        ("report-summary", json!("Stable angina.")),
        ("report-recommendation", json!("Follow up in primary care.")),
    ])
}

#[tokio::test]
async fn an_appointment_follows_its_visit_and_searches_agree_with_reads() {
    let app = spawn_app().await;
    let mut taken = Vec::new();
    // Three referrals booked (one to complete, one not to come, one to
    // cancel) and one self-booked visit, all before the visit day.
    let seen = create(&app, DEMO_RESIDENT).await;
    let slot = book(&app, &seen, &mut taken).await;
    let missed = create(&app, DEMO_RESIDENT).await;
    book(&app, &missed, &mut taken).await;
    let withdrawn = create(&app, DEMO_RESIDENT).await;
    book(&app, &withdrawn, &mut taken).await;
    let (own, _) = self_booked(&app, &mut taken).await;
    let seen_visit = appointment_of(&app, &seen).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let missed_visit = appointment_of(&app, &missed).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let withdrawn_visit = appointment_of(&app, &withdrawn).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for a in [&seen_visit, &missed_visit, &withdrawn_visit, &own] {
        assert_status(&app, a, "booked").await;
    }
    op(
        &app,
        "doctor",
        &withdrawn,
        "cancel",
        Some(params(&[("reason", json!("The patient moved away."))])),
        None,
    )
    .await
    .expect(200);
    assert_status(&app, &withdrawn_visit, "cancelled").await;

    // On the visit day: one comes and is seen, one does not come.
    app.on_day_of_slot(&slot).await;
    op(&app, "coordinator", &seen, "arrive", None, None)
        .await
        .expect(200);
    assert_status(&app, &seen_visit, "arrived").await;
    op(&app, "specialist", &seen, "complete", Some(report()), None)
        .await
        .expect(200);
    assert_status(&app, &seen_visit, "fulfilled").await;
    op(&app, "coordinator", &missed, "no-show", None, None)
        .await
        .expect(200);
    assert_status(&app, &missed_visit, "noshow").await;

    // The self-booked visit: arrived, then over.
    let arrived = post_op(
        &app,
        "coordinator",
        &format!("/Appointment/{own}/$arrive"),
        json!({"resourceType": "Parameters"}),
    )
    .await;
    arrived.expect(201);
    assert_status(&app, &own, "arrived").await;
    let encounter = arrived.json()["id"].as_str().unwrap().to_string();
    post_op(
        &app,
        "coordinator",
        &format!("/Encounter/{encounter}/$finish"),
        json!({"resourceType": "Parameters"}),
    )
    .await
    .expect(200);
    assert_status(&app, &own, "fulfilled").await;
}

#[tokio::test]
async fn a_booked_patient_is_not_recorded_as_arrived_before_the_booked_day() {
    let app = spawn_app().await;
    let mut taken = Vec::new();
    let referral = create(&app, DEMO_RESIDENT).await;
    let slot = book(&app, &referral, &mut taken).await;
    let (own, _) = self_booked(&app, &mut taken).await;
    let start = free_slot_start(&app, &slot).await;
    let booked_day = &start[..10];
    assert!(
        booked_day > app.state.ctx.clock.today().to_string().as_str(),
        "the demo's slots are after today"
    );

    // The day before: refused, naming the booked day; nothing changes.
    let early = op(&app, "coordinator", &referral, "arrive", None, None).await;
    let outcome = assert_outcome(&early, 409, booked_day);
    assert!(
        outcome["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("earlier slot"),
        "{outcome}"
    );
    let task = app.get("admin", &format!("/Task/{referral}")).await.json();
    assert_eq!(task["businessStatus"]["coding"][0]["code"], "booked");
    let early = post_op(
        &app,
        "coordinator",
        &format!("/Appointment/{own}/$arrive"),
        json!({"resourceType": "Parameters"}),
    )
    .await;
    assert_outcome(&early, 409, booked_day);
    assert_status(&app, &own, "booked").await;

    // An emergency without a booking arrives whenever it comes.
    let mut emergency = crate::referral::referral_body(DEMO_RESIDENT, "I21");
    emergency["priority"] = json!("stat");
    let sr = app.post("doctor", "/ServiceRequest", &emergency).await;
    sr.expect(201);
    let sr = sr.json()["id"].as_str().unwrap().to_string();
    op(&app, "coordinator", &sr, "arrive", None, None)
        .await
        .expect(200);

    // The office may confirm a patient who came early: the arrival is
    // recorded, as early.
    let second = create(&app, DEMO_RESIDENT).await;
    book(&app, &second, &mut taken).await;
    let confirmed = crate::referral::params(&[("early", json!(true))]);
    op(
        &app,
        "coordinator",
        &second,
        "arrive",
        Some(confirmed),
        None,
    )
    .await
    .expect(200);
    let recorded = crate::helpers::events_of(&app.state, "referral.arrived.v1")
        .await
        .into_iter()
        .filter(|e| e.resource_id == second)
        .map(|e| e.event)
        .collect::<Vec<_>>();
    assert!(
        matches!(
            recorded.as_slice(),
            [tiercare_core::events::Event::Referral(e)]
                if matches!(e.change, tiercare_core::referral::Change::Arrived { early: true, .. })
        ),
        "{recorded:?}"
    );

    // The same for a self-booked visit at the front desk.
    let (early_own, _) = self_booked(&app, &mut taken).await;
    post_op(
        &app,
        "coordinator",
        &format!("/Appointment/{early_own}/$arrive"),
        crate::referral::params(&[("early", json!(true))]),
    )
    .await
    .expect(201);
    assert_status(&app, &early_own, "arrived").await;

    // On the booked day both arrive.
    app.on_day_of_slot(&slot).await;
    op(&app, "coordinator", &referral, "arrive", None, None)
        .await
        .expect(200);
    post_op(
        &app,
        "coordinator",
        &format!("/Appointment/{own}/$arrive"),
        json!({"resourceType": "Parameters"}),
    )
    .await
    .expect(201);
}

/// A slot's start as the API shows it.
async fn free_slot_start(app: &TestApp, slot: &str) -> String {
    let s = app.get("admin", &format!("/Slot/{slot}")).await;
    s.expect(200);
    s.json()["start"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_care_plans_medicines_are_shown_by_their_catalogue_names() {
    let app = spawn_app().await;
    let down = crate::closed_loop::referred_down(&app).await;
    let mut plan = crate::closed_loop::simple_plan(&down);
    // One medicine sent with its code only, one with the code as its
    // display, one with the prescriber's own name.
    let follow_up = plan["activity"][0].clone();
    plan["activity"] = json!([
        follow_up,
        {"detail": {"kind": "MedicationRequest",
                    "productCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "C08CA01"}]}}},
        {"detail": {"kind": "MedicationRequest",
                    "productCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "B01AC06", "display": "B01AC06"}]}}},
        {"detail": {"kind": "MedicationRequest",
                    "productCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "A10BA02"}],
                                               "text": "二甲双胍缓释片"}}}
    ]);
    let created = app.post("specialist", "/CarePlan", &plan).await;
    created.expect(201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let read = app.get("specialist", &format!("/CarePlan/{id}")).await;
    read.expect(200);
    let shown: Vec<(String, String, String)> = read.json()["activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["detail"]["productCodeableConcept"].as_object().cloned())
        .map(|c| {
            let coding = &c["coding"][0];
            (
                coding["code"].as_str().unwrap().to_string(),
                coding["display"].as_str().unwrap_or_default().to_string(),
                c["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let mut shown = shown;
    shown.sort();
    let want = |code: &str, display: &str, text: &str| {
        (code.to_string(), display.to_string(), text.to_string())
    };
    assert_eq!(
        shown,
        vec![
            want("A10BA02", "metformin", "二甲双胍缓释片"),
            want("B01AC06", "aspirin", "aspirin"),
            want("C08CA01", "amlodipine", "amlodipine"),
        ]
    );
}
