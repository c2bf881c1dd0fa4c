//! The first ECG of an emergency case read by the alliance's ECG centre:
//! a township doctor sends the trace to the hub and opens the case with
//! the reading; the case's ECG is the reading's moment and names it; a
//! reading that is not that patient's ECG from that place is refused by
//! name.

use crate::helpers::{DEMO_RESIDENT, TestApp, assert_outcome, spawn_app};
use crate::hubs::{ecg_hub, order};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const TOWNSHIP: &str = "zx-tc1";

fn alert(first_contact: OffsetDateTime, reading: &str) -> Value {
    let at = first_contact.format(&Rfc3339).unwrap();
    json!({"resourceType": "Parameters", "parameter": [
        {"name": "patient", "valueReference": {"reference": format!("Patient/{DEMO_RESIDENT}")}},
        {"name": "emergency", "valueCode": "stemi"},
        {"name": "contact-point", "valueCode": "township"},
        {"name": "from", "valueReference": {"reference": format!("Organization/{TOWNSHIP}")}},
        {"name": "first-contact", "valueDateTime": at},
        {"name": "ecg-reading", "valueReference": {"reference": reading}},
    ]})
}

fn extension<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"].as_str().is_some_and(|u| u.ends_with(name)))
}

async fn ordered_at(app: &TestApp, reading: &str) -> OffsetDateTime {
    let o = app
        .get("doctor", &format!("/ServiceRequest/{reading}"))
        .await;
    o.expect(200);
    OffsetDateTime::parse(o.json()["authoredOn"].as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test]
async fn a_case_opened_with_the_hubs_reading_takes_its_ecg_from_it() {
    let app = spawn_app().await;
    let hub = ecg_hub(&app).await;
    let first_contact = app.state.ctx.clock.now() - Duration::minutes(10);
    let reading = order(&app, &hub, "stat").await;
    let opened = app
        .post(
            "doctor",
            "/EpisodeOfCare/$alert",
            &alert(first_contact, &format!("ServiceRequest/{reading}")),
        )
        .await;
    opened.expect(201);
    let case = opened.json();
    assert_eq!(
        extension(&case, "emergency-ecg-reading").unwrap()["valueReference"]["reference"],
        format!("ServiceRequest/{reading}")
    );
    let ecg = extension(&case, "emergency-ecg").expect("the ECG on the clock")["valueDateTime"]
        .as_str()
        .map(|t| OffsetDateTime::parse(t, &Rfc3339).unwrap());
    assert_eq!(ecg, Some(ordered_at(&app, &reading).await));
}

#[tokio::test]
async fn a_reading_that_is_not_this_patients_ecg_from_here_is_refused_by_name() {
    let app = spawn_app().await;
    let hub = ecg_hub(&app).await;
    let now = app.state.ctx.clock.now();
    let reading = order(&app, &hub, "stat").await;
    // Sent before the patient was first met.
    let later = alert(
        now + Duration::minutes(1) - Duration::seconds(1),
        &format!("ServiceRequest/{reading}"),
    );
    app.state.ctx.clock.advance(Duration::minutes(1));
    let early = app.post("doctor", "/EpisodeOfCare/$alert", &later).await;
    assert_outcome(&early, 422, "before the first medical contact");
    // Not a reading at all, and not a ServiceRequest.
    let first_contact = app.state.ctx.clock.now() - Duration::minutes(30);
    let none = app
        .post(
            "doctor",
            "/EpisodeOfCare/$alert",
            &alert(first_contact, "ServiceRequest/rdg-nothing"),
        )
        .await;
    assert_outcome(&none, 422, "not a hub reading");
    let wrong_type = app
        .post(
            "doctor",
            "/EpisodeOfCare/$alert",
            &alert(first_contact, "Observation/x"),
        )
        .await;
    assert_outcome(&wrong_type, 400, "ecg-reading");
    assert_eq!(app.count("EpisodeOfCare").await, 0, "nothing opened");
}
