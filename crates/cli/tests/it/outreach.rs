//! The Joint Health Centre over HTTP: a programme from its commitment to
//! held, cancelled and missed sessions with the figures read back, booking
//! a session's slot, the access rules, and mentorship with a ward round and
//! a recognised competence; every resource validated as FHIR R4.

use crate::fixtures::{CS, SD};
use crate::helpers::{TestApp, assert_outcome, entries, send, spawn_app};
use crate::validate::assert_valid_fhir;
use serde_json::{Value, json};
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::network::PractitionerRoleKind;
use tiercare_core::referral::{NewReferral, Priority, Setting};
use tiercare_core::{Level, Specialty};
use tiercare_service::referrals::{Referrals, new_referral_id};
use tiercare_store::{AuditOutcome, AuditQuery, NewUser};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const HOSPITAL: &str = "zx-h1";
const PRIMARY: &str = "zx-tc1";
const ALLIANCE: &str = "zx-all-ccmc";

pub(crate) fn practitioner_of(app: &TestApp, user: &str) -> String {
    app.user(user).practitioner.clone().unwrap().to_string()
}

/// Another active specialist of the hospital than `not`.
fn other_specialist(app: &TestApp, not: &str) -> String {
    app.county
        .records
        .iter()
        .find_map(|r| match r {
            Record::Role(r)
                if r.institution.as_str() == HOSPITAL
                    && r.role == PractitionerRoleKind::Specialist
                    && r.active
                    && r.practitioner.as_str() != not =>
            {
                Some(r.practitioner.to_string())
            }
            _ => None,
        })
        .expect("a second specialist")
}

/// Adds an account and returns a bearer token for it.
pub(crate) async fn add_user(
    app: &TestApp,
    username: &str,
    role: UserRole,
    institution: &str,
    practitioner: Option<&str>,
) -> String {
    let password = format!("{username}-password-1");
    app.state
        .ctx
        .store
        .add_user(&NewUser {
            username: username.into(),
            password_hash: tiercare_api::auth::hash_password(&password).unwrap(),
            role,
            institution: Some(institution.parse().unwrap()),
            practitioner: practitioner.map(|p| p.parse().unwrap()),
            resident: None,
        })
        .await
        .unwrap();
    let resp = app.login(username, &password).await;
    resp.expect(200);
    resp.json()["access_token"].as_str().unwrap().to_string()
}

pub(crate) async fn post_as(
    app: &TestApp,
    token: &str,
    path: &str,
    body: &Value,
) -> crate::helpers::Resp {
    send(
        app.client
            .post(app.fhir_url(path))
            .bearer_auth(token)
            .header("content-type", "application/fhir+json")
            .body(body.to_string()),
    )
    .await
}

fn day(t: OffsetDateTime) -> String {
    tiercare_fhir::format_date(t.date())
}

fn instant(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

pub(crate) fn programme(specialists: &[&str], start: OffsetDateTime, end: OffsetDateTime) -> Value {
    let mut ext = vec![
        json!({"url": format!("{SD}/outreach-primary"), "valueReference": {"reference": format!("Organization/{PRIMARY}")}}),
        json!({"url": format!("{SD}/outreach-alliance"), "valueReference": {"reference": format!("Organization/{ALLIANCE}")}}),
        json!({"url": format!("{SD}/outreach-period"), "valuePeriod": {"start": day(start), "end": day(end)}}),
        json!({"url": format!("{SD}/sessions-per-month"), "valuePositiveInt": 4}),
        json!({"url": format!("{SD}/slots-per-session"), "valuePositiveInt": 6}),
    ];
    for s in specialists {
        ext.push(json!({"url": format!("{SD}/outreach-specialist"), "valueReference": {"reference": format!("Practitioner/{s}")}}));
    }
    json!({
        "resourceType": "HealthcareService",
        "extension": ext,
        "providedBy": {"reference": format!("Organization/{HOSPITAL}")},
        "category": [{"coding": [{"system": format!("{CS}/outreach-kind"), "code": "outreach"}]}],
        "type": [{"coding": [{"system": format!("{CS}/outreach-service"), "code": "hypertension"}]}],
        "specialty": [{"coding": [{"system": format!("{CS}/specialty"), "code": "cardiology"}]}],
    })
}

pub(crate) fn session(
    programme: &str,
    specialist: &str,
    start: OffsetDateTime,
    hours: i64,
) -> Value {
    json!({
        "resourceType": "Schedule",
        "actor": [
            {"reference": format!("HealthcareService/{programme}")},
            {"reference": format!("Practitioner/{specialist}")}
        ],
        "planningHorizon": {"start": instant(start), "end": instant(start + Duration::hours(hours))},
    })
}

pub(crate) fn params(list: &[(&str, Value)]) -> Value {
    json!({"resourceType": "Parameters", "parameter": list.iter().map(|(n, v)| {
        let mut p = json!({"name": n});
        let key = if v.is_u64() { "valueUnsignedInt" } else if v.is_object() { "valueReference" } else { "valueString" };
        p[key] = v.clone();
        p
    }).collect::<Vec<_>>()})
}

fn ext<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let url = format!("{SD}/{name}");
    v["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"].as_str() == Some(url.as_str()))
}

fn status_of(schedule: &Value) -> String {
    ext(schedule, "session-status").unwrap()["valueCoding"]["code"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A programme of the demo cardiologist at the township centre, and one
/// session of it next week (for other tests that need an instance of
/// each): their ids.
pub async fn programme_and_session(app: &TestApp) -> (String, String) {
    let now = OffsetDateTime::now_utc();
    let specialist = practitioner_of(app, "specialist");
    let body = programme(
        &[&specialist],
        now - Duration::days(1),
        now + Duration::days(60),
    );
    let p = app.post("coordinator", "/HealthcareService", &body).await;
    p.expect(201);
    let pid = p.json()["id"].as_str().unwrap().to_string();
    let s = app
        .post(
            "specialist",
            "/Schedule",
            &session(&pid, &specialist, now + Duration::days(7), 2),
        )
        .await;
    s.expect(201);
    let sid = s.json()["id"].as_str().unwrap().to_string();
    (pid, sid)
}

#[tokio::test]
async fn a_programme_from_commitment_to_held_cancelled_and_missed_sessions() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    let specialist = practitioner_of(&app, "specialist");
    let other = other_specialist(&app, &specialist);
    let mut seen = Vec::new();

    // A family doctor cannot commit the hospital.
    let body = programme(
        &[&specialist],
        now - Duration::days(30),
        now + Duration::days(60),
    );
    assert_outcome(
        &app.post("doctor", "/HealthcareService", &body).await,
        403,
        "coordinators",
    );
    // The hospital's coordinator can.
    let made = app.post("coordinator", "/HealthcareService", &body).await;
    made.expect(201);
    let p = made.json();
    let pid = p["id"].as_str().unwrap().to_string();
    assert_eq!(p["active"], true);
    assert_eq!(
        ext(&p, "sessions-per-month").unwrap()["valuePositiveInt"],
        4
    );
    seen.push(p.clone());
    // Not a member of the alliance: refused, naming the field.
    let mut elsewhere = body.clone();
    elsewhere["extension"][0]["valueReference"]["reference"] = json!("Organization/zx-chc1");
    assert_outcome(
        &app.post("coordinator", "/HealthcareService", &elsewhere)
            .await,
        422,
        "outreach-primary",
    );
    // A second programme whose only specialist is another one.
    let p2 = app
        .post(
            "coordinator",
            "/HealthcareService",
            &programme(
                &[&other],
                now - Duration::days(30),
                now + Duration::days(60),
            ),
        )
        .await;
    p2.expect(201);

    // Sessions: two in the past, three to come.
    let mut ids = Vec::new();
    for start in [
        now - Duration::hours(5),
        now - Duration::hours(5),
        now + Duration::days(2),
        now + Duration::days(3),
        now + Duration::days(5),
    ] {
        let r = app
            .post(
                "specialist",
                "/Schedule",
                &session(&pid, &specialist, start, 2),
            )
            .await;
        r.expect(201);
        let s = r.json();
        assert_eq!(status_of(&s), "scheduled");
        ids.push(s["id"].as_str().unwrap().to_string());
    }
    // Each opened its six slots at the primary institution.
    let slots = app
        .get("doctor", &format!("/Slot?schedule=Schedule/{}", ids[4]))
        .await
        .json();
    assert_eq!(slots["total"], 6);
    seen.push(entries(&slots)[0].clone());
    let at_primary = app
        .get(
            "doctor",
            &format!(
                "/Slot?schedule=Schedule/{}&organization=Organization/{PRIMARY}",
                ids[4]
            ),
        )
        .await
        .json();
    assert_eq!(
        at_primary["total"], 6,
        "the slots are the primary institution's"
    );

    // Outside the programme's period: refused, naming the field.
    let late = session(&pid, &specialist, now + Duration::days(90), 2);
    assert_outcome(
        &app.post("specialist", "/Schedule", &late).await,
        422,
        "planningHorizon.start",
    );
    // Not one of its specialists.
    let wrong = session(&pid, &other, now + Duration::days(4), 2);
    assert_outcome(
        &app.post("coordinator", "/Schedule", &wrong).await,
        422,
        "Schedule.actor",
    );

    // Held by its specialist, with the figures.
    let held = app
        .post(
            "specialist",
            &format!("/Schedule/{}/$hold", ids[0]),
            &params(&[("patients-seen", json!(5)), ("referrals-avoided", json!(2))]),
        )
        .await;
    held.expect(200);
    // Held again: 409.
    assert_outcome(
        &app.post(
            "specialist",
            &format!("/Schedule/{}/$hold", ids[0]),
            &params(&[("patients-seen", json!(1))]),
        )
        .await,
        409,
        "held",
    );
    // A specialist of another programme cannot hold this one's session.
    let other_token = add_user(
        &app,
        "other-specialist",
        UserRole::Doctor,
        HOSPITAL,
        Some(&other),
    )
    .await;
    assert_outcome(
        &post_as(
            &app,
            &other_token,
            &format!("/Schedule/{}/$hold", ids[1]),
            &params(&[("patients-seen", json!(3))]),
        )
        .await,
        403,
        "specialist",
    );
    // Missed, recorded by the primary institution.
    let primary_token = add_user(
        &app,
        "tc1-coordinator",
        UserRole::Coordinator,
        PRIMARY,
        None,
    )
    .await;
    post_as(
        &app,
        &primary_token,
        &format!("/Schedule/{}/$miss", ids[1]),
        &params(&[]),
    )
    .await
    .expect(200);
    // A session to come cannot be missed yet.
    assert_outcome(
        &app.post(
            "specialist",
            &format!("/Schedule/{}/$miss", ids[2]),
            &params(&[]),
        )
        .await,
        422,
        "end",
    );

    // Cancel without a reason: 400.
    assert_outcome(
        &app.post(
            "specialist",
            &format!("/Schedule/{}/$cancel", ids[2]),
            &params(&[]),
        )
        .await,
        400,
        "reason",
    );
    // Cancelled by the hospital side (the specialist's institution) ...
    let c = app
        .post(
            "specialist",
            &format!("/Schedule/{}/$cancel", ids[2]),
            &params(&[("reason", json!("needed on the ward"))]),
        )
        .await;
    c.expect(200);
    seen.push(c.json());
    // ... and by the primary side.
    post_as(
        &app,
        &primary_token,
        &format!("/Schedule/{}/$cancel", ids[3]),
        &params(&[("reason", json!("village market day"))]),
    )
    .await
    .expect(200);
    // An administrator must say the side.
    assert_outcome(
        &app.post(
            "admin",
            &format!("/Schedule/{}/$cancel", ids[4]),
            &params(&[("reason", json!("x"))]),
        )
        .await,
        400,
        "side",
    );
    // Cancelled twice: 409.
    assert_outcome(
        &app.post(
            "specialist",
            &format!("/Schedule/{}/$cancel", ids[2]),
            &params(&[("reason", json!("again"))]),
        )
        .await,
        409,
        "cancelled",
    );

    // Booking a slot of the last session: the reserved share is kept for
    // referrals, a public slot is booked by the resident.
    let slots = entries(
        &app.get("resident", &format!("/Slot?schedule=Schedule/{}", ids[4]))
            .await
            .json(),
    );
    let reserved: Vec<&Value> = slots
        .iter()
        .filter(|s| s["extension"][0]["valueBoolean"] == true)
        .collect();
    let visit = |slot: &str| {
        json!({
            "resourceType": "Appointment",
            "status": "booked",
            "slot": [{"reference": format!("Slot/{slot}")}],
            "participant": [{"actor": {"reference": "Patient/res-000001"}, "status": "accepted"}],
            "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10"}]}]
        })
    };
    assert!(
        !reserved.is_empty(),
        "the policy reserves a share of every session"
    );
    if let Some(r) = reserved.first() {
        assert_outcome(
            &app.post(
                "resident",
                "/Appointment",
                &visit(r["id"].as_str().unwrap()),
            )
            .await,
            409,
            "reserved",
        );
    }
    let public = slots
        .iter()
        .find(|s| !reserved.iter().any(|r| r["id"] == s["id"]))
        .expect("a public slot");
    let public_id = public["id"].as_str().unwrap().to_string();
    let booked = app
        .post("resident", "/Appointment", &visit(&public_id))
        .await;
    booked.expect(201);
    let appointment = booked.json()["id"].as_str().unwrap().to_string();

    // Cancelling it closes the other slots and lists the appointment.
    let c = app
        .post(
            "coordinator",
            &format!("/Schedule/{}/$cancel", ids[4]),
            &params(&[("reason", json!("specialist ill"))]),
        )
        .await;
    c.expect(200);
    let out = c.json();
    let rebook: Vec<&Value> = out["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "appointment-to-rebook")
        .collect();
    assert_eq!(rebook.len(), 1);
    assert_eq!(
        rebook[0]["valueReference"]["reference"],
        format!("Appointment/{appointment}")
    );
    let closed = out["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "closed-slots")
        .unwrap()["valueInteger"]
        .clone();
    assert_eq!(closed, 5);
    let after = app
        .get(
            "admin",
            &format!("/Slot?schedule=Schedule/{}&status=free", ids[4]),
        )
        .await
        .json();
    assert_eq!(after["total"], 0, "no slot of a cancelled session is free");
    let other_slot = slots.iter().find(|s| s["id"] != public["id"]).unwrap();
    let refused = app
        .post(
            "resident",
            "/Appointment",
            &visit(other_slot["id"].as_str().unwrap()),
        )
        .await;
    assert_outcome(&refused, 409, "withdrawn");
    seen.push(
        app.get(
            "admin",
            &format!("/Slot/{}", other_slot["id"].as_str().unwrap()),
        )
        .await
        .json(),
    );

    // The figures read back.
    let all = app
        .get(
            "analyst",
            &format!("/Schedule?actor=HealthcareService/{pid}"),
        )
        .await
        .json();
    assert_eq!(all["total"], 5);
    seen.push(all.clone());
    let by_id = |id: &str| entries(&all).into_iter().find(|s| s["id"] == id).unwrap();
    let h = by_id(&ids[0]);
    assert_eq!(status_of(&h), "held");
    assert_eq!(ext(&h, "patients-seen").unwrap()["valueUnsignedInt"], 5);
    assert_eq!(ext(&h, "referrals-avoided").unwrap()["valueUnsignedInt"], 2);
    assert_eq!(status_of(&by_id(&ids[1])), "missed");
    let side = |s: &Value| {
        ext(s, "session-cancellation").unwrap()["extension"][0]["valueCoding"]["code"].clone()
    };
    assert_eq!(side(&by_id(&ids[2])), "hospital");
    assert_eq!(side(&by_id(&ids[3])), "primary");
    assert_eq!(
        ext(&by_id(&ids[3]), "session-cancellation").unwrap()["extension"][1]["valueString"],
        "village market day"
    );
    assert_eq!(side(&by_id(&ids[4])), "hospital");
    let one = app.get("doctor", &format!("/Schedule/{}", ids[0])).await;
    one.expect(200);
    seen.push(one.json());

    // Ending the programme: no new sessions.
    let ended = app
        .post(
            "coordinator",
            &format!("/HealthcareService/{pid}/$end"),
            &params(&[("date", json!(day(now + Duration::days(10))))]),
        )
        .await;
    ended.expect(200);
    assert_eq!(ended.json()["active"], false);
    seen.push(ended.json());
    assert_outcome(
        &app.post(
            "specialist",
            "/Schedule",
            &session(&pid, &specialist, now + Duration::days(6), 2),
        )
        .await,
        409,
        "ended",
    );
    seen.push(
        app.get(
            "doctor",
            &format!("/HealthcareService?primary=Organization/{PRIMARY}"),
        )
        .await
        .json(),
    );

    // A department calendar is still described from its slots.
    let dept = app.get("admin", "/Slot?_count=1").await.json();
    let sched = entries(&dept)[0]["schedule"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let d = app.get("admin", &format!("/{sched}")).await;
    d.expect(200);
    assert_eq!(d.json()["resourceType"], "Schedule");

    // Every refusal above is in the audit trail.
    let (audit, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("other-specialist".into()),
            count: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "hold" && a.outcome == AuditOutcome::Denied),
        "{audit:?}"
    );
    let (audit, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("doctor".into()),
            count: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.resource_type == "HealthcareService" && a.outcome == AuditOutcome::Denied)
    );

    assert_valid_fhir(&seen);
}

#[tokio::test]
async fn mentorship_with_a_ward_round_and_a_recognised_competence() {
    let app = spawn_app().await;
    let specialist = practitioner_of(&app, "specialist");
    let doctor = practitioner_of(&app, "doctor");
    let today = OffsetDateTime::now_utc();
    let mut seen = Vec::new();

    let team = json!({
        "resourceType": "CareTeam",
        "category": [{"coding": [{"system": format!("{CS}/care-team-category"), "code": "mentorship"}]}],
        "period": {"start": day(today - Duration::days(30))},
        "participant": [
            {"role": [{"coding": [{"system": format!("{CS}/mentorship-role"), "code": "mentor"}]}], "member": {"reference": format!("Practitioner/{specialist}")}},
            {"role": [{"coding": [{"system": format!("{CS}/mentorship-role"), "code": "mentee"}]}], "member": {"reference": format!("Practitioner/{doctor}")}}
        ]
    });
    assert_outcome(
        &app.post("doctor", "/CareTeam", &team).await,
        403,
        "coordinators",
    );
    let made = app.post("coordinator", "/CareTeam", &team).await;
    made.expect(201);
    let mid = made.json()["id"].as_str().unwrap().to_string();

    // A referral up from the mentee, for the ward round.
    let u = app.user("doctor");
    let actor = Actor {
        username: u.username.clone(),
        role: u.role,
        institution: u.institution.clone(),
        practitioner: u.practitioner.clone(),
        resident: u.resident.clone(),
    };
    let patient = app
        .residents()
        .find(|r| {
            r.contract
                .as_ref()
                .is_some_and(|c| c.team.as_str() == crate::helpers::DOCTOR_TEAM)
        })
        .unwrap()
        .id
        .clone();
    let (referral, _) = Referrals::new(&app.state.ctx, &actor)
        .request(NewReferral {
            id: new_referral_id().unwrap(),
            patient: patient.clone(),
            from: u.institution.clone().unwrap(),
            from_level: Level::Primary,
            to: HOSPITAL.parse().unwrap(),
            to_level: Level::Secondary,
            specialty: Specialty::Cardiology,
            setting: Setting::Inpatient,
            priority: Priority::Routine,
            condition: "I50".parse().unwrap(),
            summary: "Heart failure, admitted.".into(),
            attachments: Default::default(),
        })
        .await
        .unwrap();
    let activity = |with_referral: bool| {
        let mut t = json!({
            "resourceType": "Task",
            "status": "completed",
            "intent": "plan",
            "code": {"coding": [{"system": format!("{CS}/mentorship-activity"), "code": "ward-round"}]},
            "focus": {"reference": format!("CareTeam/{mid}")},
            "for": {"reference": format!("Patient/{patient}")},
            "executionPeriod": {"start": day(today), "end": day(today)},
            "extension": [{"url": format!("{SD}/activity-participant"), "valueReference": {"reference": format!("Practitioner/{doctor}")}}],
        });
        if with_referral {
            t["basedOn"] = json!([{"reference": format!("ServiceRequest/{}", referral.value.id)}]);
        }
        t
    };
    assert_outcome(
        &app.post("doctor", "/Task", &activity(false)).await,
        422,
        "referral",
    );
    let logged = app.post("doctor", "/Task", &activity(true)).await;
    logged.expect(201);
    let tid = logged.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        logged.json()["basedOn"][0]["reference"],
        format!("ServiceRequest/{}", referral.value.id)
    );

    // Members read it; a non-member is refused, and audited.
    let read = app.get("specialist", &format!("/Task/{tid}")).await;
    read.expect(200);
    seen.push(read.json());
    let outsider = add_user(&app, "outsider", UserRole::Doctor, HOSPITAL, None).await;
    let refused = send(
        app.client
            .get(app.fhir_url(&format!("/Task/{tid}")))
            .bearer_auth(&outsider),
    )
    .await;
    assert_outcome(&refused, 403, "members");
    let (audit, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("outsider".into()),
            count: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit.iter().any(|a| a.resource_type == "Task"
            && a.outcome == AuditOutcome::Denied
            && a.patient.as_deref() == Some(patient.as_str())),
        "{audit:?}"
    );
    let list = app
        .get("doctor", &format!("/Task?focus=CareTeam/{mid}"))
        .await
        .json();
    assert_eq!(list["total"], 1);
    seen.push(list);

    // The mentor recognises a competence; the mentee cannot.
    let rec = params(&[
        (
            "doctor",
            json!({"reference": format!("Practitioner/{doctor}")}),
        ),
        ("condition", json!("I10")),
        ("since", json!(day(today))),
    ]);
    assert_outcome(
        &app.post("doctor", &format!("/CareTeam/{mid}/$recognise"), &rec)
            .await,
        403,
        "mentor",
    );
    app.post("specialist", &format!("/CareTeam/{mid}/$recognise"), &rec)
        .await
        .expect(200);
    assert_outcome(
        &app.post("specialist", &format!("/CareTeam/{mid}/$recognise"), &rec)
            .await,
        422,
        "already",
    );
    let ct = app.get("analyst", &format!("/CareTeam/{mid}")).await;
    ct.expect(200);
    let ct = ct.json();
    let comp = ext(&ct, "competence").expect("competence");
    assert!(comp.to_string().contains("\"I10\""), "{comp}");
    assert!(comp.to_string().contains(&format!("Practitioner/{doctor}")));
    seen.push(ct);
    let found = app
        .get("admin", "/CareTeam?category=mentorship")
        .await
        .json();
    assert_eq!(found["total"], 1);
    seen.push(found);
    // A mentorship is not replaced through the registry.
    assert_outcome(
        &app.put("admin", &format!("/CareTeam/{mid}"), &team, None)
            .await,
        409,
        "mentorship",
    );
    // Family-doctor teams are still served and created by the registry.
    let teams = app
        .get("admin", "/CareTeam?category=family-doctor-team")
        .await
        .json();
    assert!(teams["total"].as_u64().unwrap() > 0);

    assert_valid_fhir(&seen);
}
