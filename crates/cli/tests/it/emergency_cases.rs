//! Emergency cases over FHIR: a STEMI met at a village clinic of the demo
//! county opened with `EpisodeOfCare/$alert` goes where the triage rule
//! sends it, its alert is a Task the destination's team finds, acknowledges
//! once (of two at once, one wins) and is told of by its subscription; the
//! clock is filled in and never runs backwards; the outcome waits for day
//! 30; strangers are refused and every read is audited.

use crate::helpers::{DEMO_RESIDENT, Resp, TestApp, assert_outcome, entries, spawn_app};
use crate::outreach::{add_user, post_as};
use crate::subscription::{Behaviour, Receiver, assert_task};
use serde_json::{Value, json};
use std::sync::Arc;
use tiercare_core::access::UserRole;
use tiercare_store::AuditQuery;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// A village clinic of the ZX county.
const CLINIC: &str = "zx-vc5-1";

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("a formattable moment")
}

fn params(list: &[(&str, Value)]) -> Value {
    let parameter: Vec<Value> = list
        .iter()
        .map(|(name, v)| {
            let mut p = json!({"name": name});
            let (key, value) = match v {
                Value::Bool(_) => ("valueBoolean", v.clone()),
                Value::Object(_) => ("valueReference", v.clone()),
                Value::String(s) if s.contains('T') && s.contains(':') => {
                    ("valueDateTime", v.clone())
                }
                _ => ("valueCode", v.clone()),
            };
            p[key] = value;
            p
        })
        .collect();
    json!({"resourceType": "Parameters", "parameter": parameter})
}

fn org(id: &str) -> Value {
    json!({"reference": format!("Organization/{id}")})
}

/// A STEMI at the clinic, first met `first_contact`.
fn stemi(first_contact: OffsetDateTime) -> Value {
    params(&[
        (
            "patient",
            json!({"reference": format!("Patient/{DEMO_RESIDENT}")}),
        ),
        ("emergency", json!("stemi")),
        ("contact-point", json!("village-clinic")),
        ("from", org(CLINIC)),
        ("first-contact", json!(rfc3339(first_contact))),
    ])
}

/// Where the triage sends a STEMI from the clinic at `at`.
async fn triage_destination(app: &TestApp, at: OffsetDateTime) -> String {
    let body = params(&[
        ("emergency", json!("stemi")),
        ("from", org(CLINIC)),
        ("at", json!(rfc3339(at))),
    ]);
    let resp = app.post("admin", "/HealthcareService/$triage", &body).await;
    resp.expect(200);
    let v = resp.json();
    let dest = v["parameter"]
        .as_array()
        .and_then(|l| l.iter().find(|p| p["name"] == "destination"))
        .and_then(|p| p["valueReference"]["reference"].as_str())
        .expect("a destination");
    dest.trim_start_matches("Organization/").to_string()
}

/// A practitioner with a role at `institution` in the demo county.
fn practitioner_at(app: &TestApp, institution: &str, skip: usize) -> String {
    app.county
        .records
        .iter()
        .filter_map(|r| match r {
            tiercare_core::Record::Role(r) if r.institution.as_str() == institution && r.active => {
                Some(r.practitioner.to_string())
            }
            _ => None,
        })
        .nth(skip)
        .unwrap_or_else(|| panic!("a practitioner at {institution}"))
}

/// The setting of a test: the clinic's doctor and the destination's staff
/// as tokens, the destination, the first contact.
struct Scene {
    clinic: String,
    team: String,
    dest: String,
    first_contact: OffsetDateTime,
}

async fn scene(app: &TestApp) -> Scene {
    let first_contact = app.state.ctx.clock.now() - Duration::minutes(20);
    let dest = triage_destination(app, first_contact).await;
    assert_ne!(dest, CLINIC, "a village clinic does no PCI");
    let clinic = add_user(app, "vc-doctor", UserRole::Doctor, CLINIC, None).await;
    let p = practitioner_at(app, &dest, 0);
    let team = add_user(app, "cp-team", UserRole::Coordinator, &dest, Some(&p)).await;
    Scene {
        clinic,
        team,
        dest,
        first_contact,
    }
}

async fn open(app: &TestApp, s: &Scene) -> Value {
    let resp = post_as(
        app,
        &s.clinic,
        "/EpisodeOfCare/$alert",
        &stemi(s.first_contact),
    )
    .await;
    resp.expect(201);
    let v = resp.json();
    let id = v["id"].as_str().expect("an id").to_string();
    assert!(
        resp.header("location")
            .is_some_and(|l| l.contains(&format!("/EpisodeOfCare/{id}/_history/1"))),
        "{:?}",
        resp.header("location")
    );
    v
}

/// Opens a STEMI case at the clinic as the administrator, first met ten
/// minutes ago: for a test that needs an EpisodeOfCare to exist.
pub(crate) async fn open_as_admin(app: &TestApp) -> String {
    let first_contact = app.state.ctx.clock.now() - Duration::minutes(10);
    let resp = app
        .post("admin", "/EpisodeOfCare/$alert", &stemi(first_contact))
        .await;
    resp.expect(201);
    resp.json()["id"].as_str().expect("an id").to_string()
}

/// An emergency case the demo doctor opens at their centre for the demo
/// resident, first met yesterday at 10:00 China time (every centre open),
/// of the first of the five emergencies the rule sends to `destination`:
/// the authorisation walk's fixture. Returns its id.
pub(crate) async fn opened_by_the_demo_doctor(app: &TestApp, destination: &str) -> String {
    let centre = app.user("doctor").institution.clone().expect("a centre");
    let yesterday = app
        .state
        .ctx
        .clock
        .now()
        .to_offset(time::UtcOffset::UTC)
        .date()
        - Duration::days(1);
    let first_contact = yesterday.with_hms(2, 0, 0).expect("a time").assume_utc();
    for emergency in [
        "stemi",
        "major-trauma",
        "obstetric-emergency",
        "critically-ill-newborn",
        "acute-stroke",
    ] {
        let body = params(&[
            (
                "patient",
                json!({"reference": format!("Patient/{DEMO_RESIDENT}")}),
            ),
            ("emergency", json!(emergency)),
            ("contact-point", json!("township")),
            ("from", org(centre.as_str())),
            ("first-contact", json!(rfc3339(first_contact))),
        ]);
        let triage = params(&[
            ("emergency", json!(emergency)),
            ("from", org(centre.as_str())),
            ("at", json!(rfc3339(first_contact))),
        ]);
        let answer = app
            .post("doctor", "/HealthcareService/$triage", &triage)
            .await;
        answer.expect(200);
        let goes_there = answer.json()["parameter"]
            .as_array()
            .and_then(|l| l.iter().find(|p| p["name"] == "destination"))
            .and_then(|p| p["valueReference"]["reference"].as_str())
            == Some(format!("Organization/{destination}").as_str());
        if !goes_there {
            continue;
        }
        let resp = app.post("doctor", "/EpisodeOfCare/$alert", &body).await;
        resp.expect(201);
        let v = resp.json();
        assert_eq!(
            v["managingOrganization"]["reference"],
            format!("Organization/{destination}")
        );
        return v["id"].as_str().expect("an id").to_string();
    }
    panic!("no emergency from {centre} goes to {destination}")
}

async fn get_as(app: &TestApp, token: &str, path: &str) -> Resp {
    crate::helpers::send(app.client.get(app.fhir_url(path)).bearer_auth(token)).await
}

fn ext<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let url = format!("https://tiercare.org/fhir/StructureDefinition/{name}");
    v["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"] == url.as_str())
}

#[tokio::test]
async fn a_stemi_from_a_village_clinic_is_alerted_acknowledged_and_timed() {
    let app = spawn_app().await;
    let s = scene(&app).await;
    let case = open(&app, &s).await;
    let id = case["id"].as_str().unwrap().to_string();
    assert_eq!(case["resourceType"], "EpisodeOfCare");
    assert_eq!(case["status"], "active");
    assert_eq!(case["type"][0]["coding"][0]["code"], "stemi");
    assert_eq!(
        case["managingOrganization"]["reference"],
        format!("Organization/{}", s.dest),
        "the destination the triage gives"
    );
    assert_eq!(case["period"]["start"], rfc3339(s.first_contact));
    let from = ext(&case, "first-contact-organization").expect("from");
    assert_eq!(
        from["valueReference"]["reference"],
        format!("Organization/{CLINIC}")
    );

    // The destination's team finds the open alert.
    let path = format!(
        "/Task?code=emergency-alert&owner=Organization/{}&status=requested",
        s.dest
    );
    let found = get_as(&app, &s.team, &path).await;
    found.expect(200);
    let tasks = entries(&found.json());
    assert!(
        tasks.iter().any(|t| t["id"] == id.as_str()),
        "the alert is listed: {tasks:?}"
    );

    // Strangers: another institution's doctor and a resident.
    let other = if s.dest == "zx-tc2" {
        "zx-tc3"
    } else {
        "zx-tc2"
    };
    let stranger = add_user(&app, "stranger", UserRole::Doctor, other, None).await;
    let ack = format!("/EpisodeOfCare/{id}/$acknowledge");
    assert_outcome(&post_as(&app, &stranger, &ack, &params(&[])).await, 403, "");
    let resident = app.token("resident").await;
    assert_outcome(&post_as(&app, &resident, &ack, &params(&[])).await, 403, "");
    assert_eq!(
        get_as(&app, &stranger, &format!("/EpisodeOfCare/{id}"))
            .await
            .status,
        404
    );
    // The first contact cannot acknowledge for the destination.
    assert_outcome(&post_as(&app, &s.clinic, &ack, &params(&[])).await, 403, "");

    // The team acknowledges through the Task; a second time is a conflict.
    let task_ack = format!("/Task/{id}/$acknowledge");
    let resp = post_as(&app, &s.team, &task_ack, &params(&[])).await;
    resp.expect(200);
    let task = resp.json();
    assert_eq!(task["status"], "accepted", "{task}");
    assert!(task["executionPeriod"]["start"].is_string(), "{task}");
    assert_eq!(resp.header("etag").as_deref(), Some("W/\"2\""));
    assert_outcome(
        &post_as(&app, &s.team, &ack, &params(&[])).await,
        409,
        "already acknowledged",
    );
    let read = get_as(&app, &s.clinic, &format!("/Task/{id}")).await;
    read.expect(200);
    assert_eq!(read.json()["status"], "accepted");

    // The clock: out of order, refused naming the milestone. The case was
    // decided when opened, 20 minutes after the first contact; half an
    // hour passes.
    app.state.ctx.clock.advance(Duration::minutes(30));
    let op = |name: &str| format!("/EpisodeOfCare/{id}/${name}");
    let early = rfc3339(s.first_contact - Duration::minutes(1));
    let resp = post_as(
        &app,
        &s.clinic,
        &op("milestone"),
        &params(&[("milestone", json!("ecg")), ("at", json!(early))]),
    )
    .await;
    assert_outcome(&resp, 422, "ecg");
    let ecg = rfc3339(s.first_contact + Duration::minutes(6));
    post_as(
        &app,
        &s.clinic,
        &op("milestone"),
        &params(&[("milestone", json!("ecg")), ("at", json!(ecg))]),
    )
    .await
    .expect(200);
    let departed = rfc3339(s.first_contact + Duration::minutes(25));
    post_as(
        &app,
        &s.clinic,
        &op("milestone"),
        &params(&[("milestone", json!("departure")), ("at", json!(departed))]),
    )
    .await
    .expect(200);
    let before_departure = rfc3339(s.first_contact + Duration::minutes(24));
    let resp = post_as(
        &app,
        &s.team,
        &op("arrive"),
        &params(&[
            ("at", json!(before_departure)),
            ("bypassed-ed", json!(true)),
        ]),
    )
    .await;
    let outcome = assert_outcome(&resp, 422, "door");
    assert!(outcome.to_string().contains("Departure"), "{outcome}");
    // Nothing in the future.
    let future = rfc3339(app.state.ctx.clock.now() + Duration::hours(1));
    assert_outcome(
        &post_as(
            &app,
            &s.team,
            &op("arrive"),
            &params(&[("at", json!(future))]),
        )
        .await,
        422,
        "at",
    );
    let door = rfc3339(s.first_contact + Duration::minutes(45));
    post_as(
        &app,
        &s.team,
        &op("arrive"),
        &params(&[("at", json!(door)), ("bypassed-ed", json!(true))]),
    )
    .await
    .expect(200);
    let resp = post_as(
        &app,
        &s.team,
        &op("treat"),
        &params(&[("treatment", json!("pci"))]),
    )
    .await;
    resp.expect(200);
    let treated = resp.json();
    assert_eq!(
        ext(&treated, "emergency-door").expect("door")["valueDateTime"],
        door.as_str()
    );
    assert_eq!(
        ext(&treated, "emergency-bypassed-ed").expect("bypass")["valueBoolean"],
        true
    );
    assert_eq!(
        ext(&treated, "emergency-treatment").expect("treatment")["valueCoding"]["code"],
        "pci"
    );

    // The outcome waits for day 30.
    let close = params(&[("outcome", json!("alive"))]);
    assert_outcome(
        &post_as(&app, &s.team, &op("close"), &close).await,
        422,
        "30 days",
    );
    app.state.ctx.clock.advance(Duration::days(31));
    let resp = post_as(&app, &s.team, &op("close"), &close).await;
    resp.expect(200);
    assert_eq!(resp.json()["status"], "finished");
    assert_eq!(
        ext(&resp.json(), "emergency-outcome").expect("outcome")["valueCoding"]["code"],
        "alive"
    );

    // Reads are audited against the patient, the refused one as denied.
    let read = get_as(&app, &s.team, &format!("/EpisodeOfCare/{id}")).await;
    read.expect(200);
    let store = &app.state.ctx.store;
    let of = |username: &str| AuditQuery {
        username: Some(username.into()),
        count: 1000,
        ..Default::default()
    };
    let (team_audit, _) = store.audit_search(&of("cp-team")).await.unwrap();
    let reads: Vec<_> = team_audit
        .iter()
        .filter(|e| e.resource_type == "EpisodeOfCare" && e.resource_id.as_deref() == Some(&id))
        .collect();
    assert!(
        reads
            .iter()
            .any(|e| e.action == "read" && e.patient.as_deref() == Some(DEMO_RESIDENT)),
        "{reads:?}"
    );
    assert!(
        reads.iter().any(|e| e.action == "search"),
        "the Task search: {reads:?}"
    );
    let (stranger_audit, _) = store.audit_search(&of("stranger")).await.unwrap();
    assert!(
        stranger_audit
            .iter()
            .any(|e| e.resource_type == "EpisodeOfCare"
                && e.action == "read"
                && e.outcome == tiercare_store::AuditOutcome::Denied),
        "{stranger_audit:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_acknowledgements_at_once_exactly_one_succeeds() {
    let app = Arc::new(spawn_app().await);
    let s = scene(&app).await;
    let id = open(&app, &s).await["id"].as_str().unwrap().to_string();
    let p = practitioner_at(&app, &s.dest, 1);
    let colleague = add_user(&app, "cp-team-2", UserRole::Doctor, &s.dest, Some(&p)).await;
    let path = format!("/EpisodeOfCare/{id}/$acknowledge");
    let mut tasks = tokio::task::JoinSet::new();
    for token in [s.team.clone(), colleague] {
        let (app, path) = (app.clone(), path.clone());
        tasks.spawn(async move { post_as(&app, &token, &path, &params(&[])).await });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        statuses.push(done.unwrap().status);
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 409]);
    let read = get_as(&app, &s.team, &format!("/EpisodeOfCare/{id}")).await;
    assert_eq!(read.header("etag").as_deref(), Some("W/\"2\""));

    // A change made on what the client saw: a stale If-Match is refused.
    let arrive = |tag: &'static str| {
        app.client
            .post(app.fhir_url(&format!("/EpisodeOfCare/{id}/$arrive")))
            .bearer_auth(&s.team)
            .header("content-type", "application/fhir+json")
            .header("if-match", tag)
            .body(params(&[]).to_string())
    };
    let stale = crate::helpers::send(arrive("W/\"1\"")).await;
    assert_outcome(&stale, 412, "version 2");
    let fresh = crate::helpers::send(arrive("W/\"2\"")).await;
    fresh.expect(200);
    assert_eq!(fresh.header("etag").as_deref(), Some("W/\"3\""));
}

#[tokio::test]
async fn the_destination_is_told_of_the_alert_and_its_acknowledgement() {
    let app = spawn_app().await;
    let s = scene(&app).await;
    let mut his = Receiver::start(Behaviour::default()).await;
    let criteria = format!("Task?code=emergency-alert&owner=Organization/{}", s.dest);
    let sub = post_as(
        &app,
        &s.team,
        "/Subscription",
        &crate::subscription::subscription(&criteria, &his.url),
    )
    .await;
    sub.expect(201);
    assert_eq!(sub.json()["status"], "active");

    let id = open(&app, &s).await["id"].as_str().unwrap().to_string();
    let task = assert_task(&his.next().await, &id, "requested");
    assert_eq!(task["code"]["coding"][0]["code"], "emergency-alert");
    assert_eq!(task["focus"]["reference"], format!("EpisodeOfCare/{id}"));
    assert_eq!(
        task["requester"]["reference"],
        format!("Organization/{CLINIC}")
    );
    assert!(
        task["description"]
            .as_str()
            .is_some_and(|d| d.contains("min travel")),
        "{task}"
    );

    post_as(
        &app,
        &s.team,
        &format!("/Task/{id}/$acknowledge"),
        &params(&[]),
    )
    .await
    .expect(200);
    assert_task(&his.next().await, &id, "accepted");
}

#[tokio::test]
async fn bad_openings_are_refused_naming_the_input() {
    let app = spawn_app().await;
    let s = scene(&app).await;
    // Another institution's patient location: not the caller's.
    let mut body = stemi(s.first_contact);
    body["parameter"][3]["valueReference"]["reference"] = json!("Organization/zx-tc2");
    assert_outcome(
        &post_as(&app, &s.clinic, "/EpisodeOfCare/$alert", &body).await,
        403,
        "",
    );
    // A first contact in the future.
    let later = app.state.ctx.clock.now() + Duration::hours(2);
    let resp = post_as(&app, &s.clinic, "/EpisodeOfCare/$alert", &stemi(later)).await;
    assert_outcome(&resp, 422, "first-contact");
    // An unknown emergency.
    let mut body = stemi(s.first_contact);
    body["parameter"][1]["valueCode"] = json!("flu");
    assert_outcome(
        &post_as(&app, &s.clinic, "/EpisodeOfCare/$alert", &body).await,
        400,
        "emergency",
    );
    // Coordinates from a village clinic.
    let roadside = params(&[
        (
            "patient",
            json!({"reference": format!("Patient/{DEMO_RESIDENT}")}),
        ),
        ("emergency", json!("major-trauma")),
        ("contact-point", json!("village-clinic")),
    ]);
    let mut roadside = roadside;
    let list = roadside["parameter"].as_array_mut().unwrap();
    list.push(json!({"name": "latitude", "valueDecimal": 31.02}));
    list.push(json!({"name": "longitude", "valueDecimal": 113.80}));
    assert_outcome(
        &post_as(&app, &s.clinic, "/EpisodeOfCare/$alert", &roadside).await,
        422,
        "contact-point",
    );
    // An ambulance at the roadside is fine, and routed; no referral is
    // made for it.
    roadside["parameter"][2]["valueCode"] = json!("ambulance");
    let referrals = app.count("ServiceRequest").await;
    let resp = post_as(&app, &s.clinic, "/EpisodeOfCare/$alert", &roadside).await;
    resp.expect(201);
    assert!(ext(&resp.json(), "first-contact-organization").is_none());
    assert_eq!(app.count("ServiceRequest").await, referrals, "no referral");
    // An analyst sees no case.
    assert_outcome(&app.get("analyst", "/EpisodeOfCare").await, 403, "");
}

/// The lists the pages read (`Emergency::cases`): by destination, by
/// first contact, open only, waiting alerts, by day; the caller's own
/// cases only, each shown audited.
#[tokio::test]
async fn cases_are_listed_by_destination_origin_state_and_day() {
    use tiercare_service::emergency::{CaseFilter, Emergency};
    let app = spawn_app().await;
    let s = scene(&app).await;
    let first = open(&app, &s).await["id"].as_str().unwrap().to_string();
    let second = open(&app, &s).await["id"].as_str().unwrap().to_string();
    post_as(
        &app,
        &s.team,
        &format!("/EpisodeOfCare/{second}/$acknowledge"),
        &params(&[]),
    )
    .await
    .expect(200);
    let admin = crate::helpers::actor_of(&app, "admin");
    let service = Emergency::new(&app.state.ctx, &admin);
    let ids = |list: Vec<tiercare_service::Versioned<tiercare_core::emergency::EmergencyCase>>| {
        list.into_iter()
            .map(|c| c.value.id.to_string())
            .collect::<Vec<_>>()
    };
    let to_dest = CaseFilter {
        destination: Some(s.dest.parse().unwrap()),
        ..CaseFilter::default()
    };
    let all = ids(service.cases(&to_dest).await.unwrap());
    assert!(all.contains(&first) && all.contains(&second), "{all:?}");
    let waiting = CaseFilter {
        alert_waiting: true,
        ..to_dest.clone()
    };
    let waiting = ids(service.cases(&waiting).await.unwrap());
    assert!(
        waiting.contains(&first) && !waiting.contains(&second),
        "{waiting:?}"
    );
    let from_clinic = CaseFilter {
        from: Some(CLINIC.parse().unwrap()),
        open_only: true,
        ..CaseFilter::default()
    };
    assert_eq!(ids(service.cases(&from_clinic).await.unwrap()).len(), 2);
    let day = s
        .first_contact
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap())
        .date();
    let that_day = CaseFilter {
        first_contact_from: Some(day),
        first_contact_to: Some(day),
        ..to_dest.clone()
    };
    assert_eq!(ids(service.cases(&that_day).await.unwrap()).len(), 2);
    let next_day = CaseFilter {
        first_contact_from: Some(day.next_day().unwrap()),
        ..to_dest.clone()
    };
    assert!(service.cases(&next_day).await.unwrap().is_empty());

    // An analyst is refused; a stranger's list is empty.
    let analyst = crate::helpers::actor_of(&app, "analyst");
    assert!(matches!(
        Emergency::new(&app.state.ctx, &analyst)
            .cases(&CaseFilter::default())
            .await,
        Err(tiercare_service::ServiceError::Forbidden(_))
    ));
    let resident = crate::helpers::actor_of(&app, "resident");
    assert!(
        Emergency::new(&app.state.ctx, &resident)
            .cases(&CaseFilter::default())
            .await
            .is_err()
    );
    let doctor = crate::helpers::actor_of(&app, "doctor");
    let theirs = ids(Emergency::new(&app.state.ctx, &doctor)
        .cases(&CaseFilter::default())
        .await
        .unwrap());
    let doctors_side = [Some(CLINIC), Some(s.dest.as_str())]
        .contains(&doctor.institution.as_ref().map(|i| i.as_str()));
    assert_eq!(theirs.contains(&first), doctors_side, "{theirs:?}");
    // Each case the administrator was shown is audited against the patient.
    let (audit, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("admin".into()),
            count: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .filter(|e| e.resource_type == "EpisodeOfCare" && e.action == "search")
            .any(|e| e.resource_id.as_deref() == Some(first.as_str())
                && e.patient.as_deref() == Some(DEMO_RESIDENT)),
        "the list is audited"
    );
}
