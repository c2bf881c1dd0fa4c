//! Resource-sharing hubs over HTTP: the county hospital's ECG centre reads
//! a township's trace, reports a critical finding, and the township doctor
//! acknowledges it by referring the patient as an emergency; the hub's
//! queue order; two readers taking one order; bad input refused by name.

use crate::helpers::{
    DEMO_RESIDENT, Resp, TestApp, actor_of, assert_hidden, assert_outcome, entries, spawn_app,
};
use crate::outreach::{add_user, post_as};
use crate::referral::{HOSPITAL, op, params};
use crate::validate::assert_valid_fhir;
use serde_json::{Value, json};
use std::sync::Arc;
use tiercare_core::access::UserRole;

const CENTRE: &str = "zx-tc1";
const KIND_SYSTEM: &str = "https://tiercare.org/fhir/CodeSystem/hub-kind";

fn hub_body(kind: &str, members: &[&str]) -> Value {
    let ext: Vec<Value> = members
        .iter()
        .map(|m| {
            json!({"url": "https://tiercare.org/fhir/StructureDefinition/hub-member",
                   "valueReference": {"reference": format!("Organization/{m}")}})
        })
        .collect();
    json!({
        "resourceType": "HealthcareService",
        "extension": ext,
        "active": true,
        "providedBy": {"reference": format!("Organization/{HOSPITAL}")},
        "category": [{"coding": [{"system": KIND_SYSTEM, "code": kind}]}],
        "name": "县医院心电中心"
    })
}

/// Creates the hospital's ECG hub for the demo doctor's centre.
pub(crate) async fn ecg_hub(app: &TestApp) -> String {
    let made = app
        .post("admin", "/HealthcareService", &hub_body("ecg", &[CENTRE]))
        .await;
    made.expect(201);
    made.json()["id"].as_str().unwrap().to_string()
}

fn order_body(hub: &str, priority: &str) -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": KIND_SYSTEM, "code": "ecg"}]}],
        "priority": priority,
        "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
        "performer": [{"reference": format!("HealthcareService/{hub}")}],
        "reasonCode": [{"text": "胸痛40分钟"}],
        "supportingInfo": [{"reference": "https://ecg.zx.example/trace/1", "type": "Media"}]
    })
}

pub(crate) async fn order(app: &TestApp, hub: &str, priority: &str) -> String {
    let made = app
        .post("doctor", "/ServiceRequest", &order_body(hub, priority))
        .await;
    made.expect(201);
    made.json()["id"].as_str().unwrap().to_string()
}

/// The hospital's ECG hub and a stat reading ordered by the demo doctor,
/// for other tests to walk.
pub(crate) async fn hub_and_reading(app: &TestApp) -> (String, String) {
    let hub = ecg_hub(app).await;
    let reading = order(app, &hub, "stat").await;
    (hub, reading)
}

pub(crate) fn extension<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"].as_str().is_some_and(|u| u.ends_with(name)))
}

pub(crate) fn sub<'a>(ext: &'a Value, url: &str) -> &'a Value {
    ext["extension"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["url"] == url))
        .unwrap_or(&Value::Null)
}

fn state(resp: &Resp) -> String {
    extension(&resp.json(), "reading-state").unwrap()["valueCoding"]["code"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_critical_ecg_is_reported_acknowledged_and_referred() {
    let app = spawn_app().await;
    let hub = ecg_hub(&app).await;
    let found = app
        .get(
            "doctor",
            &format!("/HealthcareService?member=Organization/{CENTRE}&service-category=ecg"),
        )
        .await;
    found.expect(200);
    assert!(
        entries(&found.json())
            .iter()
            .any(|e| e["id"] == hub.as_str())
    );

    let id = order(&app, &hub, "stat").await;
    let read = app.get("doctor", &format!("/ServiceRequest/{id}")).await;
    read.expect(200);
    let ordered = read.json();
    assert_eq!(ordered["priority"], "stat");
    assert_eq!(
        ordered["performer"][0]["reference"],
        format!("HealthcareService/{hub}")
    );
    assert_eq!(ordered["supportingInfo"][0]["type"], "Media");
    assert_eq!(state(&read), "ordered");

    // On the hub's queue; the hub's reader sees it, another township not.
    let queue = app
        .get(
            "specialist",
            &format!("/ServiceRequest?performer=HealthcareService/{hub}&state=ordered"),
        )
        .await;
    queue.expect(200);
    assert_eq!(crate::helpers::entry_ids(&queue.json()), vec![id.clone()]);
    let outsider = add_user(&app, "tc2-doctor", UserRole::Coordinator, "zx-tc2", None).await;
    let hidden = crate::helpers::send(
        app.client
            .get(app.fhir_url(&format!("/ServiceRequest/{id}")))
            .bearer_auth(&outsider),
    )
    .await;
    assert_hidden(&hidden, &format!("ServiceRequest/{id}"));

    let taken = op(&app, "specialist", &id, "take", None, None).await;
    taken.expect(200);
    assert_eq!(state(&taken), "taken");
    let reported = op(
        &app,
        "specialist",
        &id,
        "report-reading",
        Some(params(&[
            ("conclusion", json!("急性下壁心肌梗死")),
            ("finding", json!("164931005")),
        ])),
        Some("W/\"2\""),
    )
    .await;
    reported.expect(200);
    let order_now = reported.json();
    assert_eq!(order_now["status"], "completed");
    let alert = extension(&order_now, "critical-alert").expect("a critical alert");
    assert_eq!(sub(alert, "finding")["valueString"], "ST segment elevation");
    let report_ref =
        extension(&order_now, "reading-report").unwrap()["valueReference"]["reference"]
            .as_str()
            .unwrap()
            .to_string();

    // The report reaches the ordering doctor, as a final report based on
    // the order with coded findings.
    let report = app.get("doctor", &format!("/{report_ref}")).await;
    report.expect(200);
    let report = report.json();
    assert_eq!(report["status"], "final");
    assert_eq!(
        report["basedOn"][0]["reference"],
        format!("ServiceRequest/{id}")
    );
    assert_eq!(
        report["conclusionCode"][0]["coding"][0]["code"],
        "164931005"
    );
    let alerts = app
        .get("doctor", "/ServiceRequest?alert=open&category=ecg")
        .await;
    alerts.expect(200);
    assert_eq!(crate::helpers::entry_ids(&alerts.json()), vec![id.clone()]);

    // The hub cannot acknowledge for the township.
    let refused = op(&app, "specialist", &id, "acknowledge", None, None).await;
    assert_outcome(&refused, 403, "ordering institution");
    let referred = op(
        &app,
        "doctor",
        &id,
        "refer-emergency",
        Some(params(&[
            ("to", json!(format!("Organization/{HOSPITAL}"))),
            ("condition", json!("I21")),
            ("summary", json!("急性下壁心肌梗死，已给阿司匹林")),
        ])),
        None,
    )
    .await;
    referred.expect(200);
    let acknowledged = referred.json();
    let alert = extension(&acknowledged, "critical-alert").unwrap();
    assert_eq!(
        sub(alert, "acknowledged-by")["valueReference"]["reference"],
        format!(
            "Practitioner/{}",
            app.user("doctor").practitioner.as_ref().unwrap()
        )
    );
    assert!(sub(alert, "acknowledged")["valueDateTime"].is_string());
    let referral = sub(alert, "referral")["valueReference"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let referral = app.get("doctor", &format!("/{referral}")).await;
    referral.expect(200);
    let referral = referral.json();
    assert_eq!(
        referral["priority"], "stat",
        "an emergency referral: {referral}"
    );
    assert!(
        referral.to_string().contains(&report_ref),
        "the referral carries the report: {referral}"
    );
    // Acknowledged once only; the alert is no longer open.
    let again = op(&app, "doctor", &id, "acknowledge", None, None).await;
    again.expect(409);
    let alerts = app.get("doctor", "/ServiceRequest?alert=open").await;
    assert!(entries(&alerts.json()).is_empty());
    assert_valid_fhir(&[ordered, order_now, report, acknowledged, referral]);
}

#[tokio::test]
async fn the_queue_puts_stat_first_then_the_earliest_deadline() {
    let app = spawn_app().await;
    let hub = ecg_hub(&app).await;
    let routine = order(&app, &hub, "routine").await;
    let urgent = order(&app, &hub, "urgent").await;
    let stat = order(&app, &hub, "stat").await;
    let second_urgent = order(&app, &hub, "urgent").await;
    let reader = actor_of(&app, "specialist");
    let queue = tiercare_service::referrals::Referrals::new(&app.state.ctx, &reader)
        .reading_queue(&hub.parse().unwrap())
        .await
        .unwrap();
    let ids: Vec<String> = queue.iter().map(|o| o.value.id.to_string()).collect();
    assert_eq!(ids, vec![stat, urgent, second_urgent, routine.clone()]);
    // The ordering side may not read the hub's queue.
    let doctor = actor_of(&app, "doctor");
    let refused = tiercare_service::referrals::Referrals::new(&app.state.ctx, &doctor)
        .reading_queue(&hub.parse().unwrap())
        .await;
    assert!(refused.is_err());
    // A cancelled order leaves the queue.
    op(&app, "doctor", &routine, "cancel", None, None)
        .await
        .expect(200);
    let queue = tiercare_service::referrals::Referrals::new(&app.state.ctx, &reader)
        .reading_queue(&hub.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(queue.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_readers_taking_one_order_exactly_one_succeeds() {
    let app = Arc::new(spawn_app().await);
    let hub = ecg_hub(&app).await;
    let id = order(&app, &hub, "stat").await;
    let cardiologist = crate::outreach::practitioner_of(&app, "specialist");
    let colleague = app
        .county
        .records
        .iter()
        .find_map(|r| match r {
            tiercare_core::Record::Role(r)
                if r.institution.as_str() == HOSPITAL
                    && r.active
                    && r.practitioner.as_str() != cardiologist =>
            {
                Some(r.practitioner.to_string())
            }
            _ => None,
        })
        .expect("a second doctor at the hospital");
    let second = add_user(
        &app,
        "reader2",
        UserRole::Doctor,
        HOSPITAL,
        Some(&colleague),
    )
    .await;
    let first = app.token("specialist").await;
    let path = format!("/ServiceRequest/{id}/$take");
    let mut tasks = tokio::task::JoinSet::new();
    for token in [first, second] {
        let (app, path) = (app.clone(), path.clone());
        tasks.spawn(async move { post_as(&app, &token, &path, &params(&[])).await });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let resp = done.unwrap();
        if resp.status == 409 {
            assert_outcome(&resp, 409, "");
        }
        statuses.push(resp.status);
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 409]);
    let read = app
        .get("specialist", &format!("/ServiceRequest/{id}"))
        .await;
    assert_eq!(state(&read), "taken");
    assert_eq!(read.header("etag").as_deref(), Some("W/\"2\""));
}

#[tokio::test]
async fn bad_orders_and_reports_are_refused_by_name() {
    let app = spawn_app().await;
    let hub = ecg_hub(&app).await;
    let mut bad = order_body(&hub, "asap");
    let resp = app.post("doctor", "/ServiceRequest", &bad).await;
    assert_outcome(&resp, 400, "ServiceRequest.priority");
    bad = order_body(&hub, "stat");
    bad["supportingInfo"] = json!([{"reference": "file:///etc/passwd", "type": "Media"}]);
    let resp = app.post("doctor", "/ServiceRequest", &bad).await;
    assert_outcome(&resp, 400, "ServiceRequest.supportingInfo");
    bad = order_body(&hub, "stat");
    bad["reasonCode"] = json!([{"text": " "}]);
    let resp = app.post("doctor", "/ServiceRequest", &bad).await;
    assert_outcome(&resp, 422, "ServiceRequest.reasonCode");
    bad = order_body("hub-none", "stat");
    let resp = app.post("doctor", "/ServiceRequest", &bad).await;
    assert_outcome(&resp, 422, "ServiceRequest.performer");
    bad = order_body(&hub, "stat");
    bad["category"][0]["coding"][0]["code"] = json!("imaging");
    let resp = app.post("doctor", "/ServiceRequest", &bad).await;
    assert_outcome(&resp, 422, "ServiceRequest.category");
    bad = order_body(&hub, "stat");
    bad["category"][0]["coding"][0]["code"] = json!("x-ray");
    let resp = app.post("doctor", "/ServiceRequest", &bad).await;
    assert_outcome(&resp, 400, "ServiceRequest.category");
    // A hub that does not read for the township.
    let other = app
        .post("admin", "/HealthcareService", &hub_body("ecg", &["zx-tc2"]))
        .await;
    other.expect(201);
    let other = other.json()["id"].as_str().unwrap().to_string();
    let resp = app
        .post("doctor", "/ServiceRequest", &order_body(&other, "stat"))
        .await;
    assert_outcome(&resp, 422, "ServiceRequest.performer");
    let resp = app
        .post("admin", "/HealthcareService", &hub_body("ecg", &[]))
        .await;
    assert_outcome(&resp, 422, "hub-member");
    let resp = app
        .post("doctor", "/HealthcareService", &hub_body("ecg", &[CENTRE]))
        .await;
    resp.expect(403);

    let id = order(&app, &hub, "urgent").await;
    let resp = op(
        &app,
        "specialist",
        &id,
        "report-reading",
        Some(params(&[])),
        None,
    )
    .await;
    assert_outcome(&resp, 400, "conclusion");
    let resp = op(
        &app,
        "specialist",
        &id,
        "report-reading",
        Some(params(&[
            ("conclusion", json!("正常心电图")),
            ("finding", json!("ST-up")),
        ])),
        None,
    )
    .await;
    assert_outcome(&resp, 422, "ServiceRequest.conclusionCode");
    let resp = op(&app, "specialist", &id, "accept", None, None).await;
    resp.expect(404);
    let resp = op(&app, "doctor", &id, "take", None, None).await;
    assert_outcome(&resp, 403, "read for this hub");
    let resp = op(&app, "specialist", &id, "take", None, Some("W/\"7\"")).await;
    resp.expect(412);
}
