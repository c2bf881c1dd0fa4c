//! The whole closed loop over HTTP, as the issue tells it: a contracted
//! resident, the family doctor asks a specialist's advice, refers up with
//! results attached, the hospital books a reserved slot, the patient
//! arrives, the visit is completed with a report back, the hospital refers
//! the patient down with a care plan (one medicine missing from the
//! township centre's list), the patient accepts and the follow-ups are
//! done. Then: who may see what, illegal steps, and every new resource
//! validated by an independent FHIR library.

use crate::helpers::{
    DEMO_RESIDENT, Resp, TestApp, assert_hidden, assert_outcome, entries, send, spawn_app,
};
use crate::referral::{HOSPITAL, free_slots, op, params};
use crate::validate::assert_valid_fhir;
use reqwest::Method;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// The demo doctor's township centre.
const CENTRE: &str = "zx-tc1";

fn at(days_ago: i64) -> String {
    (OffsetDateTime::now_utc() - Duration::days(days_ago))
        .format(&Rfc3339)
        .unwrap()
}

fn date_in(days: i64) -> String {
    (OffsetDateTime::now_utc() + Duration::days(days))
        .date()
        .to_string()
}

fn observation(loinc: &str, name: &str, value: f64, unit: &str, days_ago: i64) -> Value {
    json!({
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc, "display": name}]},
        "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
        "effectiveDateTime": at(days_ago),
        "valueQuantity": {"value": value, "unit": unit}
    })
}

fn id_of(resp: &Resp) -> String {
    resp.json()["id"].as_str().unwrap().to_string()
}

pub(crate) async fn post_op(app: &TestApp, user: &str, path: &str, body: Value) -> Resp {
    send(
        app.fhir(Method::POST, Some(user), path)
            .await
            .header("content-type", "application/fhir+json")
            .body(body.to_string()),
    )
    .await
}

fn extension<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"].as_str().is_some_and(|u| u.ends_with(name)))
}

/// What the walk made, for other tests to look at.
pub struct Walk {
    pub seen: Vec<Value>,
    pub consult: String,
    pub referral: String,
    pub down: String,
    pub care_plan: String,
    pub follow_ups: Vec<String>,
}

/// Walks the loop; asserts each step.
pub async fn walk(app: &TestApp) -> Walk {
    let mut seen = Vec::new();

    // The family doctor records recent results: an HbA1c 20 days old
    // (recognised for 90 days), a glucose 10 days old (7 days: expired)
    // and an ECG report from today.
    let hba1c = app
        .post(
            "doctor",
            "/Observation",
            &observation("4548-4", "HbA1c", 7.4, "%", 20),
        )
        .await;
    hba1c.expect(201);
    let glucose = app
        .post(
            "doctor",
            "/Observation",
            &observation("2345-7", "Glucose", 8.1, "mmol/L", 10),
        )
        .await;
    glucose.expect(201);
    assert_eq!(
        hba1c.json()["performer"][0]["reference"],
        format!("Organization/{CENTRE}")
    );
    let ecg = app
        .post(
            "doctor",
            "/DiagnosticReport",
            &json!({
                "resourceType": "DiagnosticReport",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "11524-6", "display": "ECG"}]},
                "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
                "effectiveDateTime": at(0),
                "conclusion": "Sinus rhythm, ST depression in V4-V6 on exertion."
            }),
        )
        .await;
    ecg.expect(201);
    seen.extend([hba1c.json(), glucose.json(), ecg.json()]);

    // Advice first: an e-consult to the hospital's cardiology pool.
    let asked = app
        .post(
            "doctor",
            "/ServiceRequest",
            &json!({
                "resourceType": "ServiceRequest",
                "status": "active",
                "intent": "order",
                "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "11429006"}]}],
                "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
                "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                "note": [{"text": "Exertional chest pain, ST depression on ECG. Refer, or treat here?"}]
            }),
        )
        .await;
    asked.expect(201);
    let consult = id_of(&asked);
    assert_eq!(
        extension(&asked.json(), "consult-state").unwrap()["valueCoding"]["code"],
        "open"
    );
    assert_eq!(
        asked.json()["performerType"]["coding"][0]["code"],
        "cardiology"
    );
    // It is on the hospital's worklist of what awaits it.
    let worklist = app
        .get(
            "specialist",
            &format!("/ServiceRequest?category=consult&owner=Organization/{HOSPITAL}"),
        )
        .await;
    worklist.expect(200);
    assert!(
        entries(&worklist.json())
            .iter()
            .any(|e| e["id"] == consult.as_str())
    );
    // While it runs, the specialist may read the patient.
    app.get("specialist", &format!("/Patient/{DEMO_RESIDENT}"))
        .await
        .expect(200);

    // The specialist answers: refer.
    let answer = app
        .post(
            "specialist",
            "/Communication",
            &json!({
                "resourceType": "Communication",
                "basedOn": [{"reference": format!("ServiceRequest/{consult}")}],
                "status": "completed",
                "payload": [{"contentString": "Likely stable angina: refer for an exercise test this week."}]
            }),
        )
        .await;
    answer.expect(201);
    assert_eq!(answer.json()["id"], format!("{consult}-2"));
    assert!(
        answer
            .header("location")
            .unwrap()
            .ends_with(&format!("/Communication/{consult}-2"))
    );
    let thread = app
        .get(
            "doctor",
            &format!("/Communication?based-on=ServiceRequest/{consult}"),
        )
        .await;
    thread.expect(200);
    let thread = entries(&thread.json());
    assert_eq!(thread.len(), 2, "question and answer");
    assert_eq!(thread[1]["category"][0]["coding"][0]["code"], "answer");
    let answered = app
        .get("doctor", &format!("/ServiceRequest/{consult}"))
        .await;
    answered.expect(200);
    let answered = answered.json();
    assert_eq!(
        extension(&answered, "consult-state").unwrap()["valueCoding"]["code"],
        "answered"
    );
    assert!(
        extension(&answered, "response-time").is_some(),
        "{answered}"
    );
    seen.extend([answered, answer.json()]);

    // The family doctor refers up on that advice, with the patient summary
    // and the results.
    let referral_body = json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": "urgent",
        "basedOn": [{"reference": format!("ServiceRequest/{consult}")}],
        "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
        "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
        "note": [{"text": "Exertional chest pain; advised by cardiology to refer."}],
        "contained": [
            {"resourceType": "Condition", "id": "c1",
             "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11"}]},
             "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")}},
            {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "A10BA02", "display": "metformin"}]},
             "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
             "dosage": [{"text": "500 mg twice a day"}]},
            {"resourceType": "AllergyIntolerance", "id": "a1",
             "code": {"text": "penicillin: rash"},
             "patient": {"reference": format!("Patient/{DEMO_RESIDENT}")}}
        ],
        "supportingInfo": [
            {"reference": "#c1"}, {"reference": "#m1"}, {"reference": "#a1"},
            {"reference": format!("Observation/{}", id_of(&hba1c))},
            {"reference": format!("Observation/{}", id_of(&glucose))},
            {"reference": format!("DiagnosticReport/{}", id_of(&ecg))}
        ]
    });
    let referred = app.post("doctor", "/ServiceRequest", &referral_body).await;
    referred.expect(201);
    let referral = id_of(&referred);
    let closed = app
        .get("doctor", &format!("/ServiceRequest/{consult}"))
        .await
        .json();
    assert_eq!(
        extension(&closed, "consult-outcome").unwrap()["valueCoding"]["code"],
        "referred"
    );
    assert_eq!(
        closed["supportingInfo"][0]["reference"],
        format!("ServiceRequest/{referral}")
    );

    // The receiving side sees the summary and, per result, whether it is
    // recognised (so the test is not repeated).
    let received = app
        .get("coordinator", &format!("/ServiceRequest/{referral}"))
        .await;
    received.expect(200);
    let received = received.json();
    assert_eq!(
        received["basedOn"][0]["reference"],
        format!("ServiceRequest/{consult}")
    );
    assert_eq!(
        received["contained"].as_array().unwrap().len(),
        3,
        "{received}"
    );
    let recognition = |id: String| -> String {
        let info = received["supportingInfo"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["reference"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} not attached: {received}"));
        extension(info, "result-recognition").unwrap()["valueCoding"]["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        recognition(format!("Observation/{}", id_of(&hba1c))),
        "recognised"
    );
    assert_eq!(
        recognition(format!("Observation/{}", id_of(&glucose))),
        "expired"
    );
    assert_eq!(
        recognition(format!("DiagnosticReport/{}", id_of(&ecg))),
        "recognised"
    );
    // And may read the results themselves while the referral is open.
    app.get("coordinator", &format!("/Observation/{}", id_of(&hba1c)))
        .await
        .expect(200);
    seen.push(received);

    // The coordinator books a reserved slot (book now), the patient comes,
    // the visit is completed with the report back.
    let slots = free_slots(app, "coordinator").await;
    let reserved = slots
        .iter()
        .find(|s| s["extension"][0]["valueBoolean"] == true)
        .expect("a reserved cardiology slot");
    let slot = reserved["id"].as_str().unwrap();
    let booked = op(
        app,
        "coordinator",
        &referral,
        "book",
        Some(params(&[("slot", json!(format!("Slot/{slot}")))])),
        None,
    )
    .await;
    booked.expect(200);
    assert_eq!(
        booked.json()["businessStatus"]["coding"][0]["code"],
        "booked"
    );
    app.on_day_of_referral_visit(&referral).await;
    op(app, "coordinator", &referral, "arrive", None, None)
        .await
        .expect(200);
    let completed = op(
        app,
        "specialist",
        &referral,
        "complete",
        Some(params(&[
            (
                "report-summary",
                json!("Exercise test positive; stable angina. Started ticagrelor and a statin."),
            ),
            (
                "report-recommendation",
                json!("Follow up in primary care: BP, lipids, bleeding."),
            ),
            ("report-diagnosis", json!("I20.8")),
        ])),
        None,
    )
    .await;
    completed.expect(200);
    assert_eq!(completed.json()["status"], "completed");

    // The hospital refers the patient back down with a care plan.
    let down = app
        .post(
            "specialist",
            "/ServiceRequest",
            &json!({
                "resourceType": "ServiceRequest",
                "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
                "performer": [{"reference": format!("Organization/{CENTRE}")}],
                "performerType": {"coding": [{"system": "https://tiercare.org/fhir/CodeSystem/specialty", "code": "general-practice"}]},
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                "note": [{"text": "Stable angina, treated; for follow-up in primary care."}]
            }),
        )
        .await;
    down.expect(201);
    let down_id = id_of(&down);
    assert_eq!(
        extension(&down.json(), "referral-direction").unwrap()["valueCoding"]["code"],
        "downward"
    );
    let plan_body = json!({
        "resourceType": "CarePlan",
        "status": "active",
        "intent": "plan",
        "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
        "basedOn": [{"reference": format!("ServiceRequest/{down_id}")}],
        "description": "Dual antiplatelet therapy for 12 months; walk 30 minutes a day.",
        "note": [{"text": "blood pressure: below 130/80 mmHg"}, {"text": "LDL cholesterol: below 1.8 mmol/L"}],
        "activity": [
            {"detail": {"kind": "Task", "status": "not-started",
                        "description": "Two-week review: BP, heart rate, bleeding",
                        "scheduledPeriod": {"end": date_in(14)}}},
            {"detail": {"kind": "Task", "status": "not-started",
                        "description": "Lipids and liver function",
                        "scheduledPeriod": {"end": date_in(60)}}},
            {"detail": {"kind": "MedicationRequest", "status": "not-started",
                        "productCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "B01AC06", "display": "aspirin"}]},
                        "description": "100 mg once a day"}},
            {"detail": {"kind": "MedicationRequest", "status": "not-started",
                        "productCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "B01AC24", "display": "ticagrelor"}]},
                        "description": "90 mg twice a day"}},
            {"detail": {"kind": "MedicationRequest", "status": "not-started",
                        "productCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "C10AA05", "display": "atorvastatin"}]},
                        "description": "40 mg at night"}}
        ]
    });
    let plan = app.post("specialist", "/CarePlan", &plan_body).await;
    plan.expect(201);
    let plan_json = plan.json();
    let care_plan = id_of(&plan);
    let flags: Vec<(String, bool)> = plan_json["activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["detail"]["kind"] == "MedicationRequest")
        .map(|a| {
            (
                a["detail"]["productCodeableConcept"]["text"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                extension(&a["detail"], "essential-medicine").unwrap()["valueBoolean"]
                    .as_bool()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        vec![
            ("aspirin".to_string(), true),
            ("ticagrelor".to_string(), false),
            ("atorvastatin".to_string(), true)
        ],
        "only ticagrelor is missing from the township centre's list"
    );
    // A second plan for the same referral is refused.
    assert_outcome(
        &app.post("specialist", "/CarePlan", &plan_body).await,
        409,
        "already",
    );
    // The family doctor finds plans with a medicine gap for their patient.
    let gaps = app
        .get(
            "doctor",
            &format!("/CarePlan?patient=Patient/{DEMO_RESIDENT}&medicine-gap=true"),
        )
        .await;
    gaps.expect(200);
    assert_eq!(entries(&gaps.json()).len(), 1);

    // The patient accepts the plan themself.
    let decided = post_op(
        app,
        "resident",
        &format!("/CarePlan/{care_plan}/$decide"),
        params(&[("decision", json!("accepted"))]),
    )
    .await;
    decided.expect(200);
    assert_eq!(
        extension(&decided.json(), "patient-decision").unwrap()["extension"][0]["valueCode"],
        "accepted"
    );
    // Deciding twice is refused.
    assert_outcome(
        &post_op(
            app,
            "resident",
            &format!("/CarePlan/{care_plan}/$decide"),
            params(&[("decision", json!("refused"))]),
        )
        .await,
        409,
        "decide",
    );
    seen.push(decided.json());

    // The township centre accepts the downward referral; the follow-ups
    // are on its worklist, due in date order.
    op(app, "doctor", &down_id, "accept", None, None)
        .await
        .expect(200);
    let owed = app
        .get(
            "doctor",
            &format!("/Task?code=follow-up&owner=Organization/{CENTRE}&status=requested"),
        )
        .await;
    owed.expect(200);
    let owed = entries(&owed.json());
    let follow_ups: Vec<String> = owed
        .iter()
        .filter(|t| t["focus"]["reference"] == format!("CarePlan/{care_plan}"))
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(follow_ups.len(), 2, "{owed:?}");
    seen.extend(owed.iter().cloned());

    // The hospital may not record a primary-care follow-up.
    assert_outcome(
        &post_op(
            app,
            "specialist",
            &format!("/Task/{}/$complete", follow_ups[0]),
            params(&[]),
        )
        .await,
        403,
        "follow-up",
    );
    for (n, f) in follow_ups.iter().enumerate() {
        let done = post_op(
            app,
            "doctor",
            &format!("/Task/{f}/$complete"),
            params(&[("note", json!(format!("Seen; visit {}", n + 1)))]),
        )
        .await;
        done.expect(200);
        assert_eq!(done.json()["status"], "completed");
        seen.push(done.json());
    }
    let finished = app.get("doctor", &format!("/CarePlan/{care_plan}")).await;
    finished.expect(200);
    assert_eq!(finished.json()["status"], "completed");
    seen.push(finished.json());

    // The family doctor closes the upward loop, report in hand.
    op(app, "doctor", &referral, "close", None, None)
        .await
        .expect(200);

    Walk {
        seen,
        consult,
        referral,
        down: down_id,
        care_plan,
        follow_ups,
    }
}

#[tokio::test]
async fn the_closed_loop_from_advice_to_follow_up() {
    let app = spawn_app().await;
    let walk = walk(&app).await;

    // Every step is in the event log, written with the state it changed.
    let events = app.state.ctx.store.events_after(0, 100_000).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for kind in [
        "result.recorded.v1",
        "consult.asked.v1",
        "consult.answered.v1",
        "consult.closed.v1",
        "referral.requested.v1",
        "referral.booked.v1",
        "referral.arrived.v1",
        "visit.arrived.v1",
        "referral.completed.v1",
        "visit.finished.v1",
        "care-plan.drawn-up.v1",
        "care-plan.accepted.v1",
        "care-plan.follow-up-done.v1",
        "care-plan.completed.v1",
        "referral.closed.v1",
    ] {
        assert!(kinds.contains(&kind), "no {kind} event: {kinds:?}");
    }
    let drawn = events
        .iter()
        .find(|e| e.kind == "care-plan.drawn-up.v1")
        .unwrap();
    let missing = serde_json::to_value(&drawn.event).unwrap();
    assert_eq!(
        missing["change"]["missing"],
        json!(["B01AC24"]),
        "{missing}"
    );

    // Every new kind of resource passes the independent validator.
    assert_valid_fhir(&walk.seen);
    let list = app.get("doctor", &format!("/List/eml-{CENTRE}")).await;
    list.expect(200);
    assert_valid_fhir(&[list.json()]);
    assert!(
        walk.follow_ups
            .iter()
            .all(|f| f.starts_with(&walk.care_plan))
    );
    assert!(!walk.down.is_empty() && !walk.referral.is_empty() && !walk.consult.is_empty());

    // The three results the letter carried count at both ends: two were
    // recognised by the hospital, the expired glucose was not.
    let today = tiercare_service::indicators::day_of(app.state.ctx.clock.today());
    // The referral counts on the day it was requested, before the visit.
    let day = tiercare_core::indicators::Period::new(today - 60, today);
    for (institution, side) in [(CENTRE, "sent"), (HOSPITAL, "received")] {
        let subject = tiercare_service::indicators::SubjectRef::Institution(institution.into());
        let (_, figures) = tiercare_service::indicators::evaluate(&app.state.ctx, day, &subject)
            .await
            .expect("evaluate");
        let funnel = if side == "sent" {
            figures.sent
        } else {
            figures.received
        };
        assert_eq!(
            (funnel.results, funnel.recognised),
            (3, 2),
            "{institution} {side}"
        );
        assert!(funnel.in_order(), "{funnel:?}");
    }
}

/// A resident contracted to another team than the demo doctor's.
fn outside_patient(app: &TestApp) -> String {
    app.residents()
        .find(|r| {
            r.contract
                .as_ref()
                .is_some_and(|c| c.team.as_str() != crate::helpers::DOCTOR_TEAM)
        })
        .expect("a resident on another team")
        .id
        .to_string()
}

/// An open upward referral, so the hospital cares for the demo resident
/// and may refer them down; answers the downward referral's id.
pub(crate) async fn referred_down(app: &TestApp) -> String {
    app.post(
        "doctor",
        "/ServiceRequest",
        &json!({
            "resourceType": "ServiceRequest",
            "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
            "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
            "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
            "note": [{"text": "Chest pain."}]
        }),
    )
    .await
    .expect(201);
    let down = app
        .post(
            "specialist",
            "/ServiceRequest",
            &json!({
                "resourceType": "ServiceRequest",
                "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
                "performer": [{"reference": format!("Organization/{CENTRE}")}],
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                "note": [{"text": "For follow-up."}]
            }),
        )
        .await;
    down.expect(201);
    id_of(&down)
}

pub(crate) fn simple_plan(down: &str) -> Value {
    json!({
        "resourceType": "CarePlan",
        "basedOn": [{"reference": format!("ServiceRequest/{down}")}],
        "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
        "description": "Follow up blood pressure.",
        "activity": [
            {"detail": {"kind": "Task", "description": "BP check",
                        "scheduledPeriod": {"end": date_in(7)}}},
            {"detail": {"kind": "MedicationRequest",
                        "productCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "C08CA01"}]}}}
        ]
    })
}

#[tokio::test]
async fn a_refused_care_plan_ends_the_downward_referral() {
    let app = spawn_app().await;
    let down = referred_down(&app).await;
    let plan = app
        .post("specialist", "/CarePlan", &simple_plan(&down))
        .await;
    plan.expect(201);
    let plan = id_of(&plan);
    // Someone with no part in it cannot decide for the patient.
    assert_outcome(
        &post_op(
            &app,
            "analyst",
            &format!("/CarePlan/{plan}/$decide"),
            params(&[("decision", json!("refused"))]),
        )
        .await,
        403,
        "decision",
    );
    // A bad decision is named.
    assert_outcome(
        &post_op(
            &app,
            "doctor",
            &format!("/CarePlan/{plan}/$decide"),
            params(&[("decision", json!("maybe"))]),
        )
        .await,
        400,
        "decision",
    );
    // The family doctor records the patient's refusal.
    let refused = post_op(
        &app,
        "doctor",
        &format!("/CarePlan/{plan}/$decide"),
        params(&[
            ("decision", json!("refused")),
            ("reason", json!("wants to be followed up at the hospital")),
        ]),
    )
    .await;
    refused.expect(200);
    assert_eq!(refused.json()["status"], "revoked");
    let task = app.get("coordinator", &format!("/Task/{down}")).await;
    task.expect(200);
    assert_eq!(task.json()["status"], "cancelled");
    assert!(
        task.json()["statusReason"]["text"]
            .as_str()
            .unwrap()
            .contains("patient refused"),
        "{}",
        task.body
    );
    let owed = app
        .get(
            "doctor",
            &format!("/Task?code=follow-up&focus=CarePlan/{plan}"),
        )
        .await;
    owed.expect(200);
    let owed = entries(&owed.json());
    assert_eq!(owed.len(), 1);
    assert_eq!(owed[0]["status"], "cancelled");
    // A cancelled follow-up cannot be done.
    let f = owed[0]["id"].as_str().unwrap();
    assert_outcome(
        &post_op(&app, "doctor", &format!("/Task/{f}/$complete"), params(&[])).await,
        409,
        "follow-up",
    );
    let events = app.state.ctx.store.events_after(0, 100_000).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "referral.patient-refused.v1")
    );
    assert!(events.iter().any(|e| e.kind == "care-plan.refused.v1"));
}

#[tokio::test]
async fn results_and_consults_follow_care_relationships() {
    let app = spawn_app().await;
    let mine = app
        .post(
            "doctor",
            "/Observation",
            &observation("8480-6", "Systolic BP", 150.0, "mm[Hg]", 1),
        )
        .await;
    mine.expect(201);
    let obs = id_of(&mine);
    // The patient sees their own result; an analyst and a hospital with no
    // open referral see nothing.
    app.get("resident", &format!("/Observation/{obs}"))
        .await
        .expect(200);
    assert_hidden(
        &app.get("analyst", &format!("/Observation/{obs}")).await,
        &format!("Observation/{obs}"),
    );
    assert_hidden(
        &app.get("specialist", &format!("/Observation/{obs}")).await,
        &format!("Observation/{obs}"),
    );
    assert_outcome(
        &app.get(
            "specialist",
            &format!("/Observation?patient=Patient/{DEMO_RESIDENT}"),
        )
        .await,
        403,
        "Patient",
    );
    assert_outcome(&app.get("doctor", "/Observation").await, 400, "patient");
    // Nobody records results for a patient outside their care.
    let other = outside_patient(&app);
    let mut theirs = observation("8480-6", "Systolic BP", 120.0, "mm[Hg]", 1);
    theirs["subject"] = json!({"reference": format!("Patient/{other}")});
    assert_outcome(
        &app.post("doctor", "/Observation", &theirs).await,
        403,
        "care",
    );
    assert_outcome(
        &app.post("coordinator", "/Observation", &theirs).await,
        403,
        "doctor",
    );
    // Every read and refusal is in the audit trail.
    let audit = app
        .get(
            "admin",
            &format!("/AuditEvent?patient=Patient/{DEMO_RESIDENT}&_count=500"),
        )
        .await;
    audit.expect(200);
    let observation_reads = entries(&audit.json())
        .iter()
        .filter(|e| e.to_string().contains(&format!("Observation/{obs}")))
        .count();
    assert!(observation_reads >= 3, "{}", audit.body);

    // A consult to another hospital is not the specialist's to see or answer.
    let asked = app
        .post(
            "doctor",
            "/ServiceRequest",
            &json!({
                "resourceType": "ServiceRequest",
                "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "11429006"}]}],
                "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
                "performer": [{"reference": "Organization/zx-h2"}],
                "performerType": {"coding": [{"code": "cardiology"}]},
                "note": [{"text": "Advice on a murmur?"}]
            }),
        )
        .await;
    asked.expect(201);
    let consult = id_of(&asked);
    assert_hidden(
        &app.get("specialist", &format!("/ServiceRequest/{consult}"))
            .await,
        &format!("ServiceRequest/{consult}"),
    );
    let reply = json!({
        "resourceType": "Communication",
        "basedOn": [{"reference": format!("ServiceRequest/{consult}")}],
        "payload": [{"contentString": "Not mine to answer."}]
    });
    assert_outcome(
        &app.post("specialist", "/Communication", &reply).await,
        403,
        "write",
    );
    // Resolving before an answer is illegal; withdrawing is fine.
    let resolve = post_op(
        &app,
        "doctor",
        &format!("/ServiceRequest/{consult}/$close"),
        params(&[("outcome", json!("resolved"))]),
    )
    .await;
    assert_outcome(&resolve, 409, "resolve");
    post_op(
        &app,
        "doctor",
        &format!("/ServiceRequest/{consult}/$close"),
        params(&[("outcome", json!("withdrawn"))]),
    )
    .await
    .expect(200);
    assert_outcome(
        &app.post("doctor", "/Communication", &reply).await,
        409,
        "closed",
    );
    // Asking about a patient outside one's care is refused.
    let mut outside = asked.json();
    outside.as_object_mut().unwrap().retain(|k, _| {
        [
            "resourceType",
            "category",
            "performer",
            "performerType",
            "note",
        ]
        .contains(&k.as_str())
    });
    outside["subject"] = json!({"reference": format!("Patient/{other}")});
    assert_outcome(
        &app.post("doctor", "/ServiceRequest", &outside).await,
        403,
        "care",
    );
}

#[tokio::test]
async fn bad_loop_input_is_named_and_changes_nothing() {
    let app = spawn_app().await;
    let before = app
        .state
        .ctx
        .store
        .events_after(0, 1_000_000)
        .await
        .unwrap()
        .len();
    let ok = observation("4548-4", "HbA1c", 7.0, "%", 1);
    let mut cases: Vec<(&str, &str, Value, u16, &str)> = Vec::new();
    let mut no_time = ok.clone();
    no_time.as_object_mut().unwrap().remove("effectiveDateTime");
    cases.push(("doctor", "/Observation", no_time, 400, "effectiveDateTime"));
    let mut bad_loinc = ok.clone();
    bad_loinc["code"]["coding"][0]["code"] = json!("HBA1C");
    cases.push(("doctor", "/Observation", bad_loinc, 400, "LOINC"));
    let mut no_unit = ok.clone();
    no_unit["valueQuantity"] = json!({"value": 7.0});
    cases.push(("doctor", "/Observation", no_unit, 400, "unit"));
    let mut future = ok.clone();
    future["effectiveDateTime"] = json!(at(-3));
    cases.push(("doctor", "/Observation", future, 400, "future"));
    let mut unknown = ok.clone();
    unknown["interpretation"] = json!([{"text": "high"}]);
    cases.push(("doctor", "/Observation", unknown, 400, "interpretation"));
    let mut someone_else = ok.clone();
    someone_else["performer"] = json!([{"reference": "Organization/zx-h1"}]);
    cases.push(("doctor", "/Observation", someone_else, 400, "performer"));
    cases.push((
        "doctor",
        "/DiagnosticReport",
        json!({"resourceType": "DiagnosticReport",
               "code": {"coding": [{"system": "http://loinc.org", "code": "11524-6"}]},
               "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
               "effectiveDateTime": at(0)}),
        400,
        "conclusion",
    ));
    cases.push((
        "doctor",
        "/Communication",
        json!({"resourceType": "Communication", "payload": [{"contentString": "hi"}]}),
        400,
        "basedOn",
    ));
    cases.push((
        "specialist",
        "/CarePlan",
        json!({"resourceType": "CarePlan", "basedOn": [{"reference": "ServiceRequest/nope"}],
               "activity": [{"detail": {"kind": "Appointment"}}]}),
        400,
        "kind",
    ));
    cases.push((
        "specialist",
        "/CarePlan",
        json!({"resourceType": "CarePlan", "basedOn": [{"reference": "ServiceRequest/nope"}],
               "activity": [{"detail": {"kind": "MedicationRequest",
                   "productCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "aspirin"}]}}}]}),
        400,
        "ATC",
    ));
    cases.push((
        "specialist",
        "/CarePlan",
        json!({"resourceType": "CarePlan", "basedOn": [{"reference": "ServiceRequest/nope"}],
               "note": [{"text": "keep well"}]}),
        400,
        "measure: goal",
    ));
    cases.push((
        "specialist",
        "/CarePlan",
        json!({"resourceType": "CarePlan", "basedOn": [{"reference": "ServiceRequest/nope"}],
               "activity": [{"detail": {"kind": "Task", "description": "x",
                   "scheduledPeriod": {"end": date_in(3)}}}]}),
        422,
        "basedOn",
    ));
    for (user, path, body, status, needle) in cases {
        let resp = app.post(user, path, &body).await;
        assert_outcome(&resp, status, needle);
    }
    // An upward referral cannot take a care plan; follow-up operations are
    // only on follow-ups.
    let up = app
        .post(
            "doctor",
            "/ServiceRequest",
            &json!({
                "resourceType": "ServiceRequest",
                "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
                "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                "note": [{"text": "Chest pain."}]
            }),
        )
        .await;
    up.expect(201);
    let up = id_of(&up);
    assert_outcome(
        &app.post("specialist", "/CarePlan", &simple_plan(&up)).await,
        403,
        "referring",
    );
    assert_outcome(
        &app.post("doctor", "/CarePlan", &simple_plan(&up)).await,
        422,
        "downward",
    );
    assert_outcome(
        &post_op(
            &app,
            "doctor",
            &format!("/Task/{up}/$complete"),
            params(&[]),
        )
        .await,
        404,
        "follow-ups",
    );
    // Only the referral's own event was written.
    let after = app
        .state
        .ctx
        .store
        .events_after(0, 1_000_000)
        .await
        .unwrap()
        .len();
    assert_eq!(after, before + 1, "refused requests wrote events");
}

#[tokio::test]
async fn each_institution_keeps_one_medicines_list_that_care_plans_use() {
    let app = spawn_app().await;
    let path = format!("/List/eml-{CENTRE}");
    let read = app.get("doctor", &path).await;
    read.expect(200);
    let tag = read.header("etag").unwrap();
    let mut list = read.json();
    let ticagrelor = json!({"item": {"identifier": {"system": "http://www.whocc.no/atc", "value": "B01AC24"},
                                     "display": "ticagrelor"}});
    list["entry"].as_array_mut().unwrap().push(ticagrelor);
    // Only administrators keep the lists.
    assert_outcome(
        &app.put("doctor", &path, &list, Some(&tag)).await,
        403,
        "administrators",
    );
    let mut bad = list.clone();
    bad["entry"][0]["item"]["identifier"]["value"] = json!("aspirin");
    assert_outcome(&app.put("admin", &path, &bad, Some(&tag)).await, 400, "ATC");
    // A second list for the same institution would make the check ambiguous.
    let mut second = list.clone();
    second.as_object_mut().unwrap().remove("id");
    second.as_object_mut().unwrap().remove("meta");
    assert_outcome(
        &app.put("admin", "/List/another", &second, None).await,
        409,
        "already",
    );
    let updated = app.put("admin", &path, &list, Some(&tag)).await;
    updated.expect(200);

    // Now the centre stocks ticagrelor: a plan prescribing it is not flagged.
    let down = referred_down(&app).await;
    let mut plan = simple_plan(&down);
    plan["activity"][1]["detail"]["productCodeableConcept"]["coding"][0]["code"] = json!("B01AC24");
    let made = app.post("specialist", "/CarePlan", &plan).await;
    made.expect(201);
    let flag = &made.json()["activity"][1]["detail"]["extension"][0];
    assert_eq!(flag["valueBoolean"], true, "{}", made.body);
}
