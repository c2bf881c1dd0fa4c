//! Family-doctor teams and doctors as indicator subjects: a visit counts
//! for the doctor who recorded its end and for the patient's team at the
//! team's own institution, a contract for its team and family doctor, and
//! none of it is counted again for the region. The dashboard and
//! `$evaluate-measure` take a team or a doctor as their subject.

use crate::dashboard::{sign_in, ui_get_in};
use crate::funnels::{practitioner_of, refer, report, step, today};
use crate::helpers::{DOCTOR_TEAM, spawn_app};
use serde_json::json;
use tiercare_service::indicators::SubjectRef;
use tiercare_web::Lang;

#[tokio::test]
async fn a_team_and_a_doctor_count_their_visits_and_contracts_once() {
    let app = spawn_app().await;
    let doctor = SubjectRef::Practitioner(practitioner_of(&app, "doctor"));
    let specialist = SubjectRef::Practitioner(practitioner_of(&app, "specialist"));
    let team = SubjectRef::Team(DOCTOR_TEAM.into());
    let subjects = [
        SubjectRef::Region,
        team.clone(),
        doctor.clone(),
        specialist.clone(),
    ];
    let mut before = Vec::new();
    for s in &subjects {
        before.push(today(&app, s.clone()).await);
    }

    // An emergency seen at the hospital, its visit ended by the specialist.
    let up = refer(&app, 0, "stat").await;
    step(&app, "coordinator", &up, "arrive", None).await;
    step(&app, "specialist", &up, "complete", Some(report("Angina."))).await;
    // Referred back down to the team's own centre at once, and seen there
    // by the demo doctor.
    let patient = &app.team_patients()[0];
    let down = app
        .post(
            "specialist",
            "/ServiceRequest",
            &json!({
                "resourceType": "ServiceRequest",
                "priority": "stat",
                "subject": {"reference": format!("Patient/{patient}")},
                "performer": [{"reference": "Organization/zx-tc1"}],
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                "note": [{"text": "Back to the family doctor today."}]
            }),
        )
        .await;
    down.expect(201);
    let down = down.json()["id"].as_str().expect("id").to_string();
    step(&app, "doctor", &down, "arrive", None).await;
    step(&app, "doctor", &down, "complete", Some(report("Stable."))).await;

    let mut after = Vec::new();
    for s in &subjects {
        after.push(today(&app, s.clone()).await);
    }
    let gained = |k: usize| after[k].visits - before[k].visits;
    assert_eq!(gained(0), 2, "the region: two visits, once each");
    assert_eq!(gained(1), 1, "the team: its patient's visit at its centre");
    assert_eq!(gained(2), 1, "the demo doctor: the visit they ended");
    assert_eq!(gained(3), 1, "the specialist: the visit they ended");
    // A team or a doctor has no beds or slots of its own: no figure.
    assert_eq!(after[1].slot_utilisation, None);

    // The team's contracts are its patients.
    let contracts = after[1].tally.institutions.contracts;
    assert_eq!(contracts, app.team_patients().len() as i64);
}

#[tokio::test]
async fn the_dashboard_and_evaluate_measure_take_a_team_or_a_doctor() {
    let app = spawn_app().await;
    let doctor = practitioner_of(&app, "doctor");
    let analyst = sign_in(&app, "analyst").await;
    for (subject, words) in [
        (format!("team:{DOCTOR_TEAM}"), "id=\"subject\""),
        (format!("practitioner:{doctor}"), "id=\"subject\""),
    ] {
        let page = ui_get_in(
            &app,
            Some(&analyst),
            &format!("/ui/dashboard?subject={subject}"),
            Lang::Zh,
        )
        .await;
        page.expect(200);
        assert!(page.body.contains(words), "{subject}");
        // The filter offers teams and doctors, this one selected.
        assert!(page.body.contains("家庭医生团队"), "{subject}");
        assert!(
            page.body.contains(&format!("value=\"{subject}\" selected")),
            "{subject} is selected"
        );
    }
    for (subject, status) in [
        (format!("CareTeam/{DOCTOR_TEAM}"), 200),
        (format!("Practitioner/{doctor}"), 200),
        ("CareTeam/no-such-team".to_string(), 400),
    ] {
        let resp = app
            .get(
                "analyst",
                &format!(
                    "/Measure/contract-coverage/$evaluate-measure?periodStart=2026-01-01&periodEnd=2026-01-31&subject={subject}"
                ),
            )
            .await;
        resp.expect(status);
        if status == 200 {
            assert_eq!(resp.json()["subject"]["reference"], subject.as_str());
        }
    }
}
