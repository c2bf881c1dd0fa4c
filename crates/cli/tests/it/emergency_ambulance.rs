//! An ambulance crew's case: a doctor of a township's ambulance station
//! opens the case at the roadside; the case names the station, which is a
//! party to it as a first contact's institution is: its doctor reads the
//! case, fills in the departure and finds it among the cases the station
//! sent; a doctor elsewhere does not see it.

use crate::helpers::{DEMO_RESIDENT, Resp, TestApp, spawn_app};
use crate::outreach::add_user;
use serde_json::{Value, json};
use tiercare_core::access::UserRole;

/// The station whose doctor rides the ambulance.
const STATION: &str = "zx-tc2";

async fn post_as(app: &TestApp, token: &str, path: &str, body: &Value) -> Resp {
    crate::helpers::send(
        app.client
            .post(app.fhir_url(path))
            .bearer_auth(token)
            .header("content-type", "application/fhir+json")
            .json(body),
    )
    .await
}

async fn get_as(app: &TestApp, token: &str, path: &str) -> Resp {
    crate::helpers::send(app.client.get(app.fhir_url(path)).bearer_auth(token)).await
}

#[tokio::test]
async fn the_ambulance_station_whose_doctor_opened_a_roadside_case_is_a_party_to_it() {
    let app = spawn_app().await;
    let crew = add_user(&app, "ambulance-doctor", UserRole::Doctor, STATION, None).await;
    let alert = json!({"resourceType": "Parameters", "parameter": [
        {"name": "patient", "valueReference": {"reference": format!("Patient/{DEMO_RESIDENT}")}},
        {"name": "emergency", "valueCode": "major-trauma"},
        {"name": "contact-point", "valueCode": "ambulance"},
        {"name": "latitude", "valueDecimal": 30.92},
        {"name": "longitude", "valueDecimal": 113.92},
    ]});
    let opened = post_as(&app, &crew, "/EpisodeOfCare/$alert", &alert).await;
    opened.expect(201);
    let case = opened.json();
    let id = case["id"].as_str().expect("an id").to_string();
    assert_ne!(
        case["managingOrganization"]["reference"],
        format!("Organization/{STATION}"),
        "the station is not where the patient goes"
    );
    let opened_by = case["extension"]
        .as_array()
        .and_then(|e| {
            e.iter().find(|x| {
                x["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("emergency-opened-by"))
            })
        })
        .map(|x| x["valueReference"]["reference"].clone());
    assert_eq!(opened_by, Some(json!(format!("Organization/{STATION}"))));

    // The crew reads it, times the departure and finds it among the
    // station's cases.
    get_as(&app, &crew, &format!("/EpisodeOfCare/{id}"))
        .await
        .expect(200);
    let departed = post_as(
        &app,
        &crew,
        &format!("/EpisodeOfCare/{id}/$milestone"),
        &json!({"resourceType": "Parameters", "parameter": [
            {"name": "milestone", "valueCode": "departure"}]}),
    )
    .await;
    departed.expect(200);
    let sent = get_as(
        &app,
        &crew,
        &format!("/EpisodeOfCare?sender=Organization/{STATION}"),
    )
    .await;
    sent.expect(200);
    assert_eq!(crate::helpers::entry_ids(&sent.json()), vec![id.clone()]);
    let listed = tiercare_service::emergency::Emergency::new(
        &app.state.ctx,
        &crate::helpers::actor_of(&app, "admin"),
    )
    .cases(&tiercare_service::emergency::CaseFilter {
        from: Some(STATION.parse().unwrap()),
        ..Default::default()
    })
    .await
    .expect("the station's cases");
    assert_eq!(listed.len(), 1);

    // A doctor of another township does not see it.
    let stranger = add_user(&app, "elsewhere", UserRole::Doctor, "zx-tc3", None).await;
    assert_eq!(
        get_as(&app, &stranger, &format!("/EpisodeOfCare/{id}"))
            .await
            .status,
        404
    );
}
