//! Operations: health, readiness, metrics, the landing page, errors for
//! unknown paths and methods, the CapabilityStatement's truthfulness, the
//! `tiercare user add` command, and durability across a restart.

use crate::fixtures;
use crate::helpers::{DOCTOR_TEAM, Resp, TestApp, assert_outcome, entries, send, spawn_app};
use crate::search::{check_searchset, search_all_as, sorted, teams};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::{Command, Output};
use tiercare::config::Settings;
use tiercare_core::Record;
use tiercare_store::{AuditOutcome, AuditQuery};

/// The value of the request counter for one method, route and status.
fn request_count(metrics: &str, method: &str, route: &str, status: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("tiercare_http_requests_total{"))
        .filter(|l| {
            l.contains(&format!("method=\"{method}\""))
                && l.contains(&format!("route=\"{route}\""))
                && l.contains(&format!("status=\"{status}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn metrics(app: &TestApp) -> String {
    let resp = send(
        app.client
            .get(app.url("/metrics"))
            .bearer_auth(app.token("admin").await),
    )
    .await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain")),
        "{:?}",
        resp.headers
    );
    resp.body
}

#[tokio::test]
async fn health_answers_anyone_and_readiness_an_administrator() {
    let app = spawn_app().await;
    let resp = send(app.client.get(app.url("/healthz"))).await;
    resp.expect(200);
    assert_eq!(resp.body.trim(), "ok");
    for path in ["/readyz", "/metrics"] {
        let resp = send(app.client.get(app.url(path))).await;
        assert_outcome(&resp, 401, "authentication");
        let resp = send(
            app.client
                .get(app.url(path))
                .bearer_auth(app.token("doctor").await),
        )
        .await;
        assert_outcome(&resp, 403, "administrators");
    }
    let resp = send(
        app.client
            .get(app.url("/readyz"))
            .bearer_auth(app.token("admin").await),
    )
    .await;
    resp.expect(200);
    assert_eq!(resp.body.trim(), "ready");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    let before = metrics(&app).await;
    for _ in 0..3 {
        send(app.client.get(app.url("/healthz"))).await.expect(200);
    }
    send(app.client.get(app.url("/no-such-page")))
        .await
        .expect(404);
    app.get("admin", "/Organization?_count=1").await.expect(200);
    let after = metrics(&app).await;
    assert!(
        after.contains("# TYPE tiercare_http_requests_total counter"),
        "{after}"
    );
    let grew = |method: &str, route: &str, status: &str| {
        request_count(&after, method, route, status) - request_count(&before, method, route, status)
    };
    assert!(grew("GET", "/healthz", "200") >= 3.0, "{after}");
    assert!(grew("GET", "/fhir/r4/{type}", "200") >= 1.0, "{after}");
    assert!(grew("GET", "unmatched", "404") >= 1.0, "{after}");
    assert!(
        after.contains("tiercare_http_request_duration_seconds"),
        "no latency metric: {after}"
    );
}

#[tokio::test]
async fn landing_page_is_html_linking_to_the_capability_statement() {
    let app = spawn_app().await;
    let resp = send(app.client.get(app.url("/"))).await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{:?}",
        resp.headers
    );
    assert!(
        resp.body.to_lowercase().starts_with("<!doctype html>"),
        "{}",
        resp.body
    );
    assert!(resp.body.contains(&app.county.region.name), "{}", resp.body);
    let href = "href=\"/fhir/r4/metadata\"";
    assert!(resp.body.contains(href), "{}", resp.body);
    // The link leads where it says.
    let meta = send(app.client.get(app.url("/fhir/r4/metadata"))).await;
    meta.expect(200);
    assert_eq!(meta.json()["resourceType"], "CapabilityStatement");
}

#[tokio::test]
async fn unknown_paths_are_404_outcomes() {
    let app = spawn_app().await;
    for path in [
        "/no-such-page",
        "/fhir",
        "/fhir/r5/metadata",
        "/fhir/r4/Patient/a/b/c/d",
    ] {
        let resp = send(app.client.get(app.url(path))).await;
        let v = assert_outcome(&resp, 404, "no such endpoint");
        assert_eq!(v["issue"][0]["code"], "not-found", "{path}");
    }
    // A resource type the server does not serve, asked with a token.
    for path in ["/Immunization", "/Immunization/1", "/Condition?_id=1"] {
        let resp = app.get("admin", path).await;
        assert_outcome(
            &resp,
            404,
            path.trim_start_matches('/')
                .split(['/', '?'])
                .next()
                .unwrap(),
        );
    }
}

#[tokio::test]
async fn wrong_methods_are_405_outcomes_with_allow() {
    let app = spawn_app().await;
    let token = app.token("admin").await;
    for (method, path, allowed) in [
        (Method::POST, "/healthz", "GET"),
        (Method::DELETE, "/readyz", "GET"),
        (Method::POST, "/metrics", "GET"),
        (Method::GET, "/auth/token", "POST"),
        (Method::DELETE, "/fhir/r4/metadata", "GET"),
        (Method::DELETE, "/fhir/r4/Patient", "POST"),
        (Method::DELETE, "/fhir/r4/Patient/res-000001", "PUT"),
        (Method::PATCH, "/fhir/r4/Organization/zx-h1", "GET"),
        (Method::POST, "/fhir/r4/AuditEvent", "GET"),
        (Method::POST, "/fhir/r4/CodeSystem", "GET"),
        (Method::PUT, "/fhir/r4/CodeSystem/level", "GET"),
    ] {
        let resp = send(
            app.client
                .request(method.clone(), app.url(path))
                .bearer_auth(&token),
        )
        .await;
        let v = assert_outcome(&resp, 405, "not allowed");
        assert_eq!(v["issue"][0]["code"], "not-supported", "{method} {path}");
        let allow = resp.header("allow").unwrap_or_default();
        assert!(
            allow.split(',').any(|m| m.trim() == allowed),
            "{method} {path}: Allow {allow:?} should name {allowed}"
        );
        assert!(
            !allow.split(',').any(|m| m.trim() == method.as_str()),
            "{method} {path}: Allow {allow:?}"
        );
    }
}

/// A value of the right kind for a search parameter, to check that it is
/// accepted (the search may well find nothing).
fn probe_value(resource_type: &str, name: &str, kind: &str) -> String {
    match (resource_type, name, kind) {
        ("AuditEvent", "outcome", _) => "0".into(),
        ("Slot", "status", _) => "free".into(),
        (_, "_overdue", _) => "true".into(),
        (_, "active", _) => "true".into(),
        (_, _, "string") => "a".into(),
        (_, _, "token") => "x".into(),
        (_, _, "reference") => "x".into(),
        (_, _, "date") => "2000-01-01".into(),
        (_, _, "uri") => format!("{}/level", fixtures::CS),
        (_, _, other) => panic!("{resource_type}.{name}: unknown search parameter type {other}"),
    }
}

#[tokio::test]
async fn capability_statement_tells_the_truth() {
    let app = spawn_app().await;
    // Something for the audit trail to list, and a Location (the county
    // has none).
    app.get("admin", "/Patient/res-000001").await.expect(200);
    app.create(&fixtures::location("East wing", "zx-h1")).await;
    // And a referral, so ServiceRequest and Task have an instance.
    let referral = serde_json::json!({
        "resourceType": "ServiceRequest",
        "subject": {"reference": "Patient/res-000001"},
        "performer": [{"reference": "Organization/zx-h1"}],
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
        "note": [{"text": "Chest pain on exertion."}]
    });
    app.post("doctor", "/ServiceRequest", &referral)
        .await
        .expect(201);
    // And the whole loop: results, a consult and its messages, a care plan
    // and its follow-up tasks, so each of those types has one too.
    crate::closed_loop::walk(&app).await;
    // And a self-referred visit, so Appointment has one.
    let slots = app
        .get(
            "admin",
            "/Slot?organization=Organization/zx-h1&status=free&reserved=false&_count=500",
        )
        .await
        .json();
    let slot = app.first_not_started(&slots);
    let visit = serde_json::json!({
        "resourceType": "Appointment",
        "slot": [{"reference": format!("Slot/{slot}")}],
        "participant": [{"actor": {"reference": "Patient/res-000002"}, "status": "accepted"}]
    });
    app.post("admin", "/Appointment", &visit).await.expect(201);
    // And an emergency that arrived, so Encounter has one.
    let mut emergency = referral.clone();
    emergency["priority"] = serde_json::json!("stat");
    let sr = app.post("doctor", "/ServiceRequest", &emergency).await;
    sr.expect(201);
    let sr_id = sr.json()["id"].as_str().unwrap().to_string();
    send(
        app.fhir(
            reqwest::Method::POST,
            Some("coordinator"),
            &format!("/ServiceRequest/{sr_id}/$arrive"),
        )
        .await,
    )
    .await
    .expect(200);
    // And an outreach programme with a session (HealthcareService, Schedule).
    crate::outreach::programme_and_session(&app).await;
    // And an emergency case (EpisodeOfCare), opened at a village clinic.
    crate::emergency_cases::open_as_admin(&app).await;
    // And a Subscription (switched off: nothing is sent meanwhile).
    let subscription = serde_json::json!({
        "resourceType": "Subscription", "status": "off", "reason": "Capability check",
        "criteria": "Task?owner=Organization/zx-h1",
        "channel": {"type": "rest-hook", "endpoint": "http://127.0.0.1:9/his"}
    });
    app.post("admin", "/Subscription", &subscription)
        .await
        .expect(201);

    let resp = send(app.client.get(app.fhir_url("/metadata"))).await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .is_some_and(|c| c.starts_with("application/fhir+json")),
        "{:?}",
        resp.headers
    );
    let cap = resp.json();
    assert_eq!(cap["resourceType"], "CapabilityStatement");
    assert_eq!(cap["fhirVersion"], "4.0.1");
    assert_eq!(cap["kind"], "instance");
    assert_eq!(cap["status"], "active");
    assert!(
        cap["format"]
            .as_array()
            .unwrap()
            .contains(&json!("application/fhir+json")),
        "{cap}"
    );
    assert_eq!(cap["implementation"]["url"], app.fhir_url(""));
    let rest = &cap["rest"][0];
    assert_eq!(rest["mode"], "server");
    let resources = rest["resource"].as_array().expect("resources");
    let listed: BTreeSet<String> = resources
        .iter()
        .map(|r| r["type"].as_str().expect("type").to_string())
        .collect();
    assert_eq!(listed.len(), resources.len(), "a type is listed twice");

    for r in resources {
        let rt = r["type"].as_str().unwrap();
        let interactions: BTreeSet<&str> = r["interaction"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap())
            .collect();
        assert!(interactions.contains("search-type"), "{rt} has no search");

        // Each listed type answers a search.
        let resp = app.get("admin", &format!("/{rt}")).await;
        assert_eq!(
            resp.status, 200,
            "{rt} is listed but its search fails: {}",
            resp.body
        );
        let bundle = resp.json();
        check_searchset(&app, &bundle, rt);

        // Each listed search parameter is accepted.
        for p in r["searchParam"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap();
            let kind = p["type"].as_str().unwrap();
            let value = probe_value(rt, name, kind);
            let path = format!("/{rt}?{name}={}", crate::search::enc(&value));
            let resp = app.get("admin", &path).await;
            assert_eq!(
                resp.status, 200,
                "{rt} lists search parameter {name} ({kind}) but {path} answers: {}",
                resp.body
            );
            check_searchset(&app, &resp.json(), rt);
        }
        // And a parameter it does not list is refused.
        let resp = app.get("admin", &format!("/{rt}?not-a-parameter=1")).await;
        assert_outcome(&resp, 400, "not-a-parameter");

        // The listed interactions work on a real instance; the others are 405.
        let Some(first) = entries(&bundle).into_iter().next() else {
            panic!("{rt}: the demo county should give every type an instance");
        };
        let id = first["id"].as_str().unwrap().to_string();
        let read = app.get("admin", &format!("/{rt}/{id}")).await;
        if interactions.contains("read") {
            read.expect(200);
            assert_eq!(read.json()["id"], id.as_str(), "{rt}");
        }
        if interactions.contains("vread") {
            app.get("admin", &format!("/{rt}/{id}/_history/1"))
                .await
                .expect(200);
        }
        let post = app
            .post("admin", &format!("/{rt}"), &json!({"resourceType": rt}))
            .await;
        if interactions.contains("create") {
            // An empty resource is refused for its content, not its method.
            assert!(
                post.status == 400 || post.status == 422,
                "{rt}: POST of an empty resource answered {}: {}",
                post.status,
                post.body
            );
        } else {
            assert_outcome(&post, 405, "not allowed");
        }
        if interactions.contains("update") {
            let tag = read.header("etag").expect("etag");
            let resp = app
                .put("admin", &format!("/{rt}/{id}"), &read.json(), Some(&tag))
                .await;
            assert_eq!(resp.status, 200, "{rt}: update: {}", resp.body);
        } else {
            let resp = app.put("admin", &format!("/{rt}/{id}"), &first, None).await;
            assert_outcome(&resp, 405, "not allowed");
        }
    }

    // Every type the server answers a search for is listed, and no other.
    for rt in [
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "OrganizationAffiliation",
        "Location",
        "CareTeam",
        "CodeSystem",
        "ConceptMap",
        "AuditEvent",
        "ValueSet",
        "Observation",
        "Encounter",
        "Condition",
        "ServiceRequest",
        "Appointment",
        "HealthcareService",
        "Endpoint",
        "Group",
        "Task",
        "Subscription",
        "Bundle",
        "Provenance",
        "StructureDefinition",
        "OperationDefinition",
        "CapabilityStatement",
    ] {
        let resp = app.get("admin", &format!("/{rt}")).await;
        assert_eq!(
            resp.status == 200,
            listed.contains(rt),
            "{rt}: search answers {} but listed = {}",
            resp.status,
            listed.contains(rt)
        );
    }
}

/// Runs the `tiercare` binary against the test's database, from the test's
/// directory and without any `TIERCARE_*` settings of the environment.
pub(crate) async fn tiercare_cli(app: &TestApp, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tiercare"));
    cmd.args(args)
        .arg("--database")
        .arg(&app.database_url)
        .current_dir(app.dir());
    for (k, _) in std::env::vars() {
        if k.starts_with("TIERCARE_") {
            cmd.env_remove(k);
        }
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("run tiercare"))
        .await
        .expect("join")
}

pub(crate) fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts the command failed with a message naming `field`, and that the
/// user was not created.
async fn assert_refused(app: &TestApp, out: &Output, username: &str, field: &str) {
    assert!(!out.status.success(), "should have failed: {}", text(out));
    let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        stderr.contains(&field.to_lowercase()),
        "the error does not name {field:?}: {}",
        text(out)
    );
    let user = app.state.ctx.store.user(username).await.expect("store");
    assert!(user.is_none(), "a refused user was created: {username}");
}

#[tokio::test]
async fn cli_user_add_creates_a_doctor_who_can_log_in() {
    let app = spawn_app().await;
    // A team other than the demo doctor's, with patients.
    let team = app
        .residents()
        .filter_map(crate::search::team_in_force)
        .find(|t| t != DOCTOR_TEAM)
        .expect("a resident on another team");
    let team = teams(&app)
        .into_iter()
        .find(|t| t.id.as_str() == team)
        .unwrap();
    let lead = team.lead.to_string();
    let institution = team.institution.to_string();
    let out = tiercare_cli(
        &app,
        &[
            "user",
            "add",
            "--username",
            "wang",
            "--password",
            "wang-secret-2026",
            "--role",
            "doctor",
            "--institution",
            &institution,
            "--practitioner",
            &lead,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("wang"),
        "{}",
        text(&out)
    );

    // Logging in over HTTP works, and the account has the lead's scope.
    let resp = app.login("wang", "wang-secret-2026").await;
    resp.expect(200);
    let token = resp.json()["access_token"].as_str().unwrap().to_string();
    let lead_teams: Vec<String> = teams(&app)
        .iter()
        .filter(|t| t.members.iter().any(|m| m.as_str() == lead))
        .map(|t| t.id.to_string())
        .collect();
    let expected = crate::search::contracted_to(&app, &lead_teams);
    assert!(!expected.is_empty());
    let found = search_all_as(&app, &token, "/Patient").await;
    assert_eq!(sorted(found), expected);
    // The wrong password is still refused.
    app.login("wang", "wang-secret-2027").await.expect(400);
    // The same name twice is refused.
    let out = tiercare_cli(
        &app,
        &[
            "user",
            "add",
            "--username",
            "wang",
            "--password",
            "another-secret",
            "--role",
            "analyst",
        ],
    )
    .await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("wang"),
        "{}",
        text(&out)
    );
    app.login("wang", "wang-secret-2026").await.expect(200);
}

#[tokio::test]
async fn cli_user_add_refuses_bad_input_by_name() {
    let app = spawn_app().await;
    let lead = teams(&app)[0].lead.to_string();
    let inst = teams(&app)[0].institution.to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--username",
                "u1",
                "--password",
                "long-enough-1",
                "--role",
                "surgeon",
            ],
            "role",
        ),
        (
            vec![
                "--username",
                "u2",
                "--password",
                "long-enough-1",
                "--role",
                "doctor",
                "--institution",
                "no-such-org",
                "--practitioner",
                &lead,
            ],
            "institution",
        ),
        (
            vec![
                "--username",
                "u3",
                "--password",
                "long-enough-1",
                "--role",
                "doctor",
                "--institution",
                &inst,
                "--practitioner",
                "no-such-doc",
            ],
            "practitioner",
        ),
        (
            vec![
                "--username",
                "u4",
                "--password",
                "long-enough-1",
                "--role",
                "resident",
            ],
            "resident",
        ),
        (
            vec![
                "--username",
                "u5",
                "--password",
                "long-enough-1",
                "--role",
                "resident",
                "--resident",
                "no-such-resident",
            ],
            "resident",
        ),
        (
            vec![
                "--username",
                "u6",
                "--password",
                "short",
                "--role",
                "analyst",
            ],
            "password",
        ),
        (
            vec![
                "--username",
                "u7",
                "--password",
                "long-enough-1",
                "--role",
                "coordinator",
                "--institution",
                "has space",
            ],
            "institution",
        ),
    ];
    for (args, field) in cases {
        let username = args[1];
        let mut all = vec!["user", "add"];
        all.extend(args.iter().copied());
        let out = tiercare_cli(&app, &all).await;
        assert_refused(&app, &out, username, field).await;
    }
    // An alliance is not an institution.
    let alliance = app
        .county
        .records
        .iter()
        .find_map(|r| match r {
            Record::Alliance(a) => Some(a.id.to_string()),
            _ => None,
        })
        .expect("an alliance");
    let out = tiercare_cli(
        &app,
        &[
            "user",
            "add",
            "--username",
            "u8",
            "--password",
            "long-enough-1",
            "--role",
            "coordinator",
            "--institution",
            &alliance,
        ],
    )
    .await;
    assert_refused(&app, &out, "u8", "institution").await;
}

/// A doctor or coordinator account needs the institution they work at
/// (without one, and for a coordinator without a team, the account sees
/// nothing it was made for).
#[tokio::test]
async fn cli_user_add_needs_an_institution_for_doctors_and_coordinators() {
    let app = spawn_app().await;
    let lead = teams(&app)[0].lead.to_string();
    let out = tiercare_cli(
        &app,
        &[
            "user",
            "add",
            "--username",
            "nodesk",
            "--password",
            "long-enough-1",
            "--role",
            "doctor",
            "--practitioner",
            &lead,
        ],
    )
    .await;
    assert_refused(&app, &out, "nodesk", "institution").await;
    let out = tiercare_cli(
        &app,
        &[
            "user",
            "add",
            "--username",
            "nodesk2",
            "--password",
            "long-enough-1",
            "--role",
            "coordinator",
        ],
    )
    .await;
    assert_refused(&app, &out, "nodesk2", "institution").await;
}

#[tokio::test]
async fn writes_survive_a_restart() {
    let app = spawn_app().await;
    let residents = app.residents().count() as u64;
    let created = app
        .create(&fixtures::patient("Bai", "Lu", Some(DOCTOR_TEAM)))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let mut changed = created.clone();
    changed["address"] = json!([{"district": "Dawan Village"}]);
    app.put(
        "admin",
        &format!("/Patient/{id}"),
        &changed,
        Some("W/\"1\""),
    )
    .await
    .expect(200);
    let url = app.database_url.clone();
    let db_path = app.db_path.clone();
    let dir = app.stop().await;
    // On SQLite the database is a file of the test's own directory.
    if !tiercare_store::scratch::on_postgres() {
        assert!(db_path.starts_with(dir.path()), "{}", db_path.display());
        assert!(
            std::fs::metadata(&db_path).expect("database file").len() > 0,
            "the database file is empty"
        );
    }

    let settings = Settings {
        database_url: url,
        ..Settings::default()
    };
    let store = tiercare::startup::open_store(&settings)
        .await
        .expect("reopen the store");
    let stored = store
        .get("Patient", &id)
        .await
        .expect("read")
        .expect("the patient survived the restart");
    assert_eq!(stored.version, 2);
    match &stored.record {
        Record::Resident(r) => {
            assert_eq!(r.name.family, "Bai");
            assert_eq!(r.district.as_deref(), Some("Dawan Village"));
            assert_eq!(
                r.contract.as_ref().map(|c| c.team.as_str()),
                Some(DOCTOR_TEAM)
            );
        }
        other => panic!("not a resident: {other:?}"),
    }
    let v1 = store
        .get_version("Patient", &id, 1)
        .await
        .expect("read")
        .expect("version 1 survived");
    assert_eq!(v1.version, 1);
    assert_eq!(store.count("Patient").await.expect("count"), residents + 1);

    let events = store.events_after(0, 1_000_000).await.expect("events");
    let mine: Vec<_> = events
        .iter()
        .filter(|e| e.resource_type == "Patient" && e.resource_id == id)
        .collect();
    let kinds: Vec<&str> = mine.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"resident.registered.v1"), "{kinds:?}");
    assert!(kinds.contains(&"resident.revised.v1"), "{kinds:?}");
    assert!(
        mine.windows(2).all(|w| w[0].seq < w[1].seq),
        "events out of order"
    );

    let (audit, _) = store
        .audit_search(&AuditQuery {
            patient: Some(id.clone()),
            count: 10,
            ..Default::default()
        })
        .await
        .expect("audit");
    let actions: Vec<(&str, AuditOutcome)> = audit
        .iter()
        .map(|a| (a.action.as_str(), a.outcome))
        .collect();
    assert!(
        actions.contains(&("create", AuditOutcome::Success)),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("update", AuditOutcome::Success)),
        "{actions:?}"
    );
    store.close().await;
    drop(dir);
}

/// A restarted server on the same database serves what was written, and the
/// accounts and tokens it had.
#[tokio::test]
async fn a_second_server_on_the_same_database_serves_the_data() {
    let app = spawn_app().await;
    let created = app
        .create(&fixtures::patient("Bai", "Er", Some(DOCTOR_TEAM)))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let url = app.database_url.clone();
    let password = app.user("doctor").password.clone();
    let dir = app.stop().await;

    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        database_url: url,
        region_id: "zx".into(),
        ..Settings::default()
    };
    let store = tiercare::startup::open_store(&settings)
        .await
        .expect("store");
    let state = tiercare::startup::app_state(store, &settings).expect("state");
    let listener = tiercare::startup::bind(&settings).await.expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tiercare_api::serve(
        listener,
        state.clone(),
        tiercare_web::routes(state),
        async move {
            let _ = rx.await;
        },
    ));
    let client = reqwest::Client::new();
    let login = |user: &'static str, password: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            send(client.post(format!("{base}/auth/token")).form(&[
                ("grant_type", "password"),
                ("username", user),
                ("password", password.as_str()),
            ]))
            .await
        }
    };
    let resp: Resp = login("doctor", password).await;
    resp.expect(200);
    let token = resp.json()["access_token"].as_str().unwrap().to_string();
    let resp = send(
        client
            .get(format!("{base}/fhir/r4/Patient/{id}"))
            .bearer_auth(&token),
    )
    .await;
    resp.expect(200);
    let v: Value = resp.json();
    assert_eq!(v["name"][0]["family"], "Bai");
    assert_eq!(v["meta"]["versionId"], "1");
    let _ = tx.send(());
    server.await.expect("join").expect("serve");
    drop(dir);
}
