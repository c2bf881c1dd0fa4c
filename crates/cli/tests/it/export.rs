//! Bulk export (`$export`) as FHIR Bulk Data clients use it: kick-off with
//! `Prefer: respond-async`, the status URL until the manifest, NDJSON
//! files that validate as FHIR R4; whole for an administrator,
//! de-identified for an analyst; refused to everyone else; audited.

use crate::helpers::{Resp, TestApp, assert_outcome, send, spawn_app};
use crate::validate::assert_valid_fhir;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tiercare_store::AuditQuery;

/// Kicks off an export as `user`; the status URL.
async fn kick_off(app: &TestApp, user: &str, path: &str) -> String {
    let resp = send(
        app.client
            .get(app.fhir_url(path))
            .bearer_auth(app.token(user).await)
            .header("prefer", "respond-async"),
    )
    .await;
    resp.expect(202);
    resp.header("content-location").expect("Content-Location")
}

/// Polls the status URL until the manifest (a deadline, not a sleep: the
/// status answers at once either way).
async fn manifest(app: &TestApp, user: &str, status: &str) -> Value {
    let token = app.token(user).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let resp = send(app.client.get(status).bearer_auth(&token)).await;
        match resp.status {
            200 => return resp.json(),
            202 => {
                assert!(resp.header("x-progress").is_some());
                assert!(Instant::now() < deadline, "the export never finished");
                tokio::task::yield_now().await;
            }
            _ => panic!("status {}: {}", resp.status, resp.body),
        }
    }
}

/// Every file of a manifest, as resources by type.
async fn files(app: &TestApp, user: &str, manifest: &Value) -> BTreeMap<String, Vec<Value>> {
    let token = app.token(user).await;
    let mut out = BTreeMap::new();
    for file in manifest["output"].as_array().expect("output") {
        let url = file["url"].as_str().expect("url");
        let resp: Resp = send(app.client.get(url).bearer_auth(&token)).await;
        resp.expect(200);
        assert_eq!(
            resp.header("content-type").as_deref(),
            Some("application/fhir+ndjson")
        );
        let resources: Vec<Value> = resp
            .body
            .lines()
            .map(|l| serde_json::from_str(l).expect("one resource per line"))
            .collect();
        assert_eq!(
            resources.len() as u64,
            file["count"].as_u64().expect("count")
        );
        let kind = file["type"].as_str().expect("type").to_string();
        assert!(resources.iter().all(|r| r["resourceType"] == kind.as_str()));
        out.insert(kind, resources);
    }
    out
}

#[tokio::test]
async fn an_administrator_exports_the_county_as_valid_ndjson() {
    let app = spawn_app().await;
    let started = Instant::now();
    let status = kick_off(&app, "admin", "/$export").await;
    let manifest = manifest(&app, "admin", &status).await;
    let took = started.elapsed();
    assert_eq!(manifest["requiresAccessToken"], true);
    let exported = files(&app, "admin", &manifest).await;
    let patients = exported.get("Patient").expect("Patient file").len() as u64;
    assert_eq!(patients, app.count("Patient").await);
    let total: usize = exported.values().map(Vec::len).sum();
    eprintln!(
        "exported {total} resources of {} types in {took:?}",
        exported.len()
    );
    // Every line of every file is valid FHIR R4.
    let all: Vec<Value> = exported.into_values().flatten().collect();
    assert_valid_fhir(&all);
    // Each exported resident is audited as an export by the administrator.
    let (_, audited) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("admin".into()),
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    assert!(audited >= patients, "{audited} audited");
    // The job can be deleted, and then it is gone.
    let token = app.token("admin").await;
    send(app.client.delete(&status).bearer_auth(&token))
        .await
        .expect(202);
    send(app.client.get(&status).bearer_auth(&token))
        .await
        .expect(404);
}

#[tokio::test]
async fn an_analysts_export_names_no_one() {
    let app = spawn_app().await;
    let status = kick_off(&app, "analyst", "/$export?_type=Patient,Coverage").await;
    let manifest = manifest(&app, "analyst", &status).await;
    let exported = files(&app, "analyst", &manifest).await;
    assert!(exported.contains_key("Patient"), "{manifest}");
    let text = serde_json::to_string(&exported).expect("JSON");
    for key in ["\"name\"", "\"identifier\"", "\"address\"", "\"telecom\""] {
        assert!(!text.contains(key), "{key} in the analyst's export");
    }
    // No resident's platform id or full birth date leaves.
    for r in app.residents() {
        assert!(!text.contains(&format!("\"{}\"", r.id)), "{} leaked", r.id);
        assert!(
            !text.contains(&format!("Patient/{}\"", r.id)),
            "{} leaked",
            r.id
        );
    }
    for p in &exported["Patient"] {
        let birth = p["birthDate"].as_str().unwrap_or("");
        assert!(birth.len() <= 4, "{birth}");
    }
    // Pseudonyms still link a resident's referrals to their Patient.
    let ids: Vec<&str> = exported["Patient"]
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    let coverages = exported.get("Coverage").expect("Coverage file");
    for c in coverages {
        let beneficiary = c["beneficiary"]["reference"].as_str().unwrap_or("");
        let id = beneficiary.trim_start_matches("Patient/");
        assert!(
            ids.contains(&id),
            "{beneficiary} is not an exported Patient"
        );
    }
    // A type this server does not serve is refused by name.
    let resp = send(
        app.client
            .get(app.fhir_url("/$export?_type=Specimen"))
            .bearer_auth(app.token("analyst").await)
            .header("prefer", "respond-async"),
    )
    .await;
    assert_outcome(&resp, 400, "Specimen");
    // Another user cannot read the analyst's job.
    let resp = send(
        app.client
            .get(&status)
            .bearer_auth(app.token("admin").await),
    )
    .await;
    resp.expect(404);
}

#[tokio::test]
async fn a_group_export_holds_the_institutions_residents_only() {
    let app = spawn_app().await;
    let doctor = crate::helpers::actor_of(&app, "doctor");
    let institution = doctor.institution.expect("the doctor's institution");
    let status = kick_off(&app, "admin", &format!("/Group/{institution}/$export")).await;
    let manifest = manifest(&app, "admin", &status).await;
    let exported = files(&app, "admin", &manifest).await;
    let members: Vec<String> = app
        .residents()
        .filter(|r| {
            r.contract
                .as_ref()
                .and_then(|c| c.institution.as_ref())
                .is_some_and(|i| *i == institution)
        })
        .map(|r| r.id.to_string())
        .collect();
    let patients = &exported["Patient"];
    assert!(!patients.is_empty());
    assert!(patients.len() < app.residents().count());
    for p in patients {
        let id = p["id"].as_str().unwrap_or("");
        assert!(members.iter().any(|m| m == id), "{id} is not a member");
    }
}

#[tokio::test]
async fn export_is_refused_to_other_roles_and_needs_respond_async() {
    let app = spawn_app().await;
    for user in ["doctor", "coordinator", "resident", "insurer"] {
        let resp = send(
            app.client
                .get(app.fhir_url("/$export"))
                .bearer_auth(app.token(user).await)
                .header("prefer", "respond-async"),
        )
        .await;
        assert_outcome(&resp, 403, "bulk export");
    }
    let resp = app.get("admin", "/$export").await;
    assert_outcome(&resp, 400, "respond-async");
    let resp = send(
        app.client
            .get(app.fhir_url("/$export?_outputFormat=text/csv"))
            .bearer_auth(app.token("admin").await)
            .header("prefer", "respond-async"),
    )
    .await;
    assert_outcome(&resp, 400, "_outputFormat");
}
