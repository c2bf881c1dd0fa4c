//! `_history` of the referral loop's records: a referral moved through
//! several steps lists each version newest first (as its read renders it,
//! and as its Task), under the rule of a read: a doctor of an unrelated
//! institution gets 404 as for an id that does not exist, and every
//! version listed is audited as a read of the patient's data.

use crate::helpers::{TestApp, assert_outcome, entries, send, spawn_app};
use crate::outreach::add_user;
use crate::referral::{create, op, params};
use serde_json::{Value, json};
use tiercare_core::Record;
use tiercare_core::access::UserRole;
use tiercare_store::{AuditOutcome, AuditQuery};

const PATIENT: &str = "res-000001";

fn versions(bundle: &Value) -> Vec<String> {
    entries_of(bundle)
        .iter()
        .map(|e| {
            e["response"]["etag"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// The entries of a history Bundle, whole (not only their resources).
fn entries_of(bundle: &Value) -> Vec<Value> {
    bundle["entry"].as_array().cloned().unwrap_or_default()
}

/// A doctor at a hospital that is no party to the referral.
async fn unrelated_doctor(app: &TestApp) -> String {
    let practitioner = app
        .county
        .records
        .iter()
        .find_map(|r| match r {
            Record::Role(role) if role.institution.as_str() == "zx-h2" => {
                Some(role.practitioner.to_string())
            }
            _ => None,
        })
        .expect("a practitioner at zx-h2");
    add_user(app, "h2doc", UserRole::Doctor, "zx-h2", Some(&practitioner)).await
}

async fn get_as(app: &TestApp, token: &str, path: &str) -> crate::helpers::Resp {
    send(app.client.get(app.fhir_url(path)).bearer_auth(token)).await
}

#[tokio::test]
async fn a_referrals_history_lists_each_step_newest_first_to_its_sides_only() {
    let app = spawn_app().await;
    let id = create(&app, PATIENT).await;
    op(&app, "coordinator", &id, "accept", None, Some("W/\"1\""))
        .await
        .expect(200);
    let reason = params(&[("reason", json!("Symptoms resolved."))]);
    op(&app, "doctor", &id, "cancel", Some(reason), Some("W/\"2\""))
        .await
        .expect(200);

    let path = format!("/ServiceRequest/{id}/_history");
    let history = app.get("doctor", &path).await;
    history.expect(200);
    let history = history.json();
    assert_eq!(history["type"], "history");
    assert_eq!(history["total"], 3);
    assert_eq!(versions(&history), ["W/\"3\"", "W/\"2\"", "W/\"1\""]);
    let statuses: Vec<String> = entries_of(&history)
        .iter()
        .map(|e| {
            e["resource"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(statuses, ["revoked", "active", "active"], "{history}");
    let methods: Vec<String> = entries_of(&history)
        .iter()
        .map(|e| {
            e["request"]["method"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(methods, ["PUT", "PUT", "POST"]);
    // The newest version is the record as its read renders it.
    let read = app
        .get("doctor", &format!("/ServiceRequest/{id}"))
        .await
        .json();
    assert_eq!(entries_of(&history)[0]["resource"], read);
    // The Task of the referral: the same versions, rendered as Tasks.
    let task = app
        .get("coordinator", &format!("/Task/{id}/_history"))
        .await;
    task.expect(200);
    let task = task.json();
    assert_eq!(versions(&task), versions(&history));
    let task_statuses: Vec<String> = entries(&task)
        .iter()
        .map(|t| t["status"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(task_statuses, ["cancelled", "accepted", "requested"]);
    assert_eq!(
        entries(&task)[0],
        app.get("coordinator", &format!("/Task/{id}")).await.json()
    );

    // Type level: the referral's versions are among the doctor's, and the
    // total counts exactly what the caller may see.
    let all = app
        .get("doctor", "/ServiceRequest/_history?_count=500")
        .await;
    all.expect(200);
    let all = all.json();
    let listed = entries_of(&all);
    assert_eq!(all["total"].as_u64(), Some(listed.len() as u64), "{all}");
    let mine = listed
        .iter()
        .filter(|e| e["resource"]["id"] == id.as_str())
        .count();
    assert_eq!(mine, 3);
    assert_outcome(&app.get("doctor", "/Task/_history").await, 400, "_history");
    assert_outcome(
        &app.get("analyst", "/ServiceRequest/_history").await,
        403,
        "",
    );

    // A doctor of an unrelated institution: as if there were no referral.
    let outsider = unrelated_doctor(&app).await;
    let refused = get_as(&app, &outsider, &path).await;
    let missing = get_as(&app, &outsider, "/ServiceRequest/no-such-referral/_history").await;
    assert_outcome(&refused, 404, "does not exist");
    assert_outcome(&missing, 404, "does not exist");
    assert_outcome(
        &get_as(&app, &outsider, &format!("/Task/{id}/_history")).await,
        404,
        "does not exist",
    );
    let theirs = get_as(&app, &outsider, "/ServiceRequest/_history?_count=500").await;
    theirs.expect(200);
    assert!(
        entries(&theirs.json())
            .iter()
            .all(|r| r["id"] != id.as_str()),
        "the outsider's type history lists the referral"
    );

    // The audit: every version the doctor was shown, as a read of the
    // patient's data; the outsider's attempt, denied.
    let audit = |username: &str| {
        let store = app.state.ctx.store.clone();
        let username = username.to_string();
        async move {
            store
                .audit_search(&AuditQuery {
                    username: Some(username),
                    patient: Some(PATIENT.into()),
                    count: 500,
                    ..AuditQuery::default()
                })
                .await
                .expect("audit")
                .0
        }
    };
    let doctor = audit("doctor").await;
    for v in 1..=3 {
        let detail = format!("_history version {v}");
        assert!(
            doctor.iter().any(|e| e.action == "read"
                && e.resource_id.as_deref() == Some(id.as_str())
                && e.outcome == AuditOutcome::Success
                && e.detail == detail),
            "no audit of {detail}"
        );
    }
    let outsider = audit("h2doc").await;
    assert!(
        outsider
            .iter()
            .any(|e| e.resource_id.as_deref() == Some(id.as_str())
                && e.outcome == AuditOutcome::Denied),
        "{outsider:?}"
    );
    assert!(!outsider.iter().any(
        |e| e.outcome == AuditOutcome::Success && e.resource_id.as_deref() == Some(id.as_str())
    ));
}

#[tokio::test]
async fn the_loops_other_records_have_a_history_under_their_read_rule() {
    let app = spawn_app().await;
    // Open records: anyone signed in.
    let slots = app.get("analyst", "/Slot?_count=1").await.json();
    let slot = entries(&slots)[0]["id"].as_str().expect("slot").to_string();
    let history = app.get("analyst", &format!("/Slot/{slot}/_history")).await;
    history.expect(200);
    let history = history.json();
    assert!(history["total"].as_u64() >= Some(1));
    assert_eq!(
        entries(&history)[0],
        app.get("analyst", &format!("/Slot/{slot}")).await.json()
    );
    let all = app.get("analyst", "/Slot/_history?_count=5").await.json();
    assert_eq!(entries(&all).len(), 5);
    // Results: one record's history for those who may read it; a type's
    // for administrators only.
    assert_outcome(
        &app.get("doctor", "/Observation/_history").await,
        403,
        "administrators",
    );
    let all = app.get("admin", "/Observation/_history?_count=5").await;
    all.expect(200);
    assert_outcome(
        &app.get("doctor", "/Coverage/cov-nobody/_history").await,
        404,
        "does not exist",
    );
    // A panel's CarePlan: the newest version as its read has it, with
    // the control status of today.
    let panel = crate::ui_doctor::enrol(&app).await;
    let read = app.get("doctor", &format!("/CarePlan/{panel}")).await;
    read.expect(200);
    let history = app
        .get("doctor", &format!("/CarePlan/{panel}/_history"))
        .await;
    history.expect(200);
    let newest = entries(&history.json())[0].clone();
    assert_eq!(newest, read.json());
    assert!(newest.to_string().contains("panel-control"), "{newest}");
}
