//! Authentication and access: tokens, who sees which patients, who changes
//! the registry, and the audit trail every touch of patient data leaves.

use crate::fixtures;
use crate::helpers::{
    DEMO_RESIDENT, TestApp, assert_hidden, assert_outcome, entries, send, spawn_app, spawn_app_with,
};
use crate::search::{
    contracted_to, enc, residents_where, search_all, search_all_as, search_page, sorted,
    team_in_force, teams,
};
use reqwest::Method;
use serde_json::{Value, json};
use tiercare_api::auth::hash_password;
use tiercare_core::access::UserRole;
use tiercare_store::{AuditEntry, AuditOutcome, AuditQuery, NewUser};

/// Ids of the teams a practitioner is a member of, in the demo county.
fn teams_of(app: &TestApp, practitioner: &str) -> Vec<String> {
    teams(app)
        .iter()
        .filter(|t| t.members.iter().any(|m| m.as_str() == practitioner))
        .map(|t| t.id.to_string())
        .collect()
}

/// Ids of the teams at an institution, in the demo county.
fn teams_at(app: &TestApp, institution: &str) -> Vec<String> {
    teams(app)
        .iter()
        .filter(|t| t.institution.as_str() == institution)
        .map(|t| t.id.to_string())
        .collect()
}

/// The demo doctor's patients, a resident on another team, and that team.
fn doctor_view(app: &TestApp) -> (Vec<String>, String, String) {
    let practitioner = app
        .user("doctor")
        .practitioner
        .clone()
        .expect("the demo doctor is a practitioner")
        .to_string();
    let mine = teams_of(app, &practitioner);
    assert!(mine.contains(&crate::helpers::DOCTOR_TEAM.to_string()));
    let patients = contracted_to(app, &mine);
    let other = app
        .residents()
        .find(|r| team_in_force(r).is_some_and(|t| !mine.contains(&t)))
        .expect("a resident on another team");
    let other_team = team_in_force(other).unwrap();
    (patients, other.id.to_string(), other_team)
}

/// Adds an account straight to the store and logs in: the bearer token.
async fn add_user_and_login(
    app: &TestApp,
    username: &str,
    role: UserRole,
    institution: Option<&str>,
    practitioner: Option<&str>,
) -> String {
    let password = format!("{username}-password-1");
    app.state
        .ctx
        .store
        .add_user(&NewUser {
            username: username.into(),
            password_hash: hash_password(&password).expect("hash"),
            role,
            institution: institution.map(|i| i.parse().expect("institution id")),
            practitioner: practitioner.map(|p| p.parse().expect("practitioner id")),
            resident: None,
        })
        .await
        .expect("add user");
    let resp = app.login(username, &password).await;
    resp.expect(200);
    resp.json()["access_token"].as_str().unwrap().to_string()
}

async fn get_as(app: &TestApp, token: &str, path: &str) -> crate::helpers::Resp {
    send(app.client.get(app.fhir_url(path)).bearer_auth(token)).await
}

/// Audit entries of a user after sequence number `after`, oldest first.
async fn audit_since(app: &TestApp, username: &str, after: i64) -> Vec<AuditEntry> {
    let (mut list, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some(username.into()),
            count: 500,
            ..Default::default()
        })
        .await
        .expect("audit search");
    list.retain(|a| a.seq > after);
    list.reverse();
    list
}

/// The newest audit sequence number.
async fn last_seq(app: &TestApp) -> i64 {
    let (list, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            count: 1,
            ..Default::default()
        })
        .await
        .expect("audit search");
    list.first().map_or(0, |a| a.seq)
}

#[tokio::test]
async fn no_token_is_401_everywhere_but_the_public_endpoints() {
    let app = spawn_app().await;
    let patient = fixtures::patient("Li", "Lei", Some(crate::helpers::DOCTOR_TEAM));
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": []});
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/Patient".into(), None),
        (Method::GET, format!("/Patient/{DEMO_RESIDENT}"), None),
        (
            Method::GET,
            format!("/Patient/{DEMO_RESIDENT}/_history/1"),
            None,
        ),
        (Method::POST, "/Patient".into(), Some(patient.clone())),
        (
            Method::PUT,
            format!("/Patient/{DEMO_RESIDENT}"),
            Some(patient),
        ),
        (Method::GET, "/Organization".into(), None),
        (Method::GET, "/Organization/zx-h1".into(), None),
        (
            Method::POST,
            "/Organization".into(),
            Some(fixtures::institution("X", "primary", "village-clinic")),
        ),
        (Method::GET, "/OrganizationAffiliation".into(), None),
        (Method::GET, "/Location".into(), None),
        (Method::GET, "/Practitioner".into(), None),
        (Method::GET, "/PractitionerRole".into(), None),
        (Method::GET, "/CareTeam".into(), None),
        (Method::GET, "/CareTeam/team-tc1-1".into(), None),
        (Method::POST, "".into(), Some(bundle)),
        (Method::GET, "/CodeSystem".into(), None),
        (Method::GET, "/CodeSystem/level".into(), None),
        (Method::GET, "/CodeSystem/$triage?code=I10".into(), None),
        (Method::GET, "/ConceptMap".into(), None),
        (Method::GET, "/ConceptMap/condition-level".into(), None),
        (Method::GET, "/AuditEvent".into(), None),
        (Method::GET, "/AuditEvent/1".into(), None),
        // Not even whether a type exists is told without a token.
        (Method::GET, "/Observation".into(), None),
    ];
    let before = app.count("Patient").await;
    for (method, path, body) in calls {
        let mut rb = app.client.request(method.clone(), app.fhir_url(&path));
        if let Some(b) = &body {
            rb = rb
                .header("content-type", crate::helpers::FHIR_JSON)
                .body(b.to_string());
        }
        let resp = send(rb).await;
        let v = assert_outcome(&resp, 401, "authentication");
        assert_eq!(v["issue"][0]["code"], "login", "{method} {path}: {v}");
        assert_eq!(
            resp.header("www-authenticate").as_deref(),
            Some("Bearer"),
            "{method} {path}"
        );
    }
    assert_eq!(
        app.count("Patient").await,
        before,
        "an unauthenticated write went through"
    );

    // Wrong tokens and schemes are no better than none.
    let admin = app.token("admin").await;
    for auth in [
        "Bearer not-a-token".to_string(),
        format!("Basic {admin}"),
        format!("Bearer {}", &admin[..admin.len() - 1]),
        "Bearer ".to_string(),
    ] {
        let resp = send(
            app.client
                .get(app.fhir_url("/Organization"))
                .header("authorization", &auth),
        )
        .await;
        assert_outcome(&resp, 401, "authentication");
    }
    // Both spellings of the scheme work with the real token.
    for scheme in ["Bearer", "bearer"] {
        let resp = send(
            app.client
                .get(app.fhir_url("/Organization?_count=1"))
                .header("authorization", format!("{scheme} {admin}")),
        )
        .await;
        resp.expect(200);
    }

    // The public endpoints.
    for path in ["/healthz", "/", "/fhir/r4/metadata"] {
        let resp = send(app.client.get(app.url(path))).await;
        resp.expect(200);
    }
    let meta = send(app.client.get(app.fhir_url("/metadata"))).await;
    assert_eq!(meta.json()["resourceType"], "CapabilityStatement");
}

#[tokio::test]
async fn token_endpoint_speaks_oauth2() {
    let app = spawn_app().await;
    let doctor = app.user("doctor").clone();
    let resp = app.login("doctor", &doctor.password).await;
    resp.expect(200);
    assert_eq!(resp.header("cache-control").as_deref(), Some("no-store"));
    assert!(
        resp.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        resp.headers
    );
    let v = resp.json();
    let token = v["access_token"].as_str().expect("access_token");
    assert!(token.len() >= 32, "a short token: {token}");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(
        v["expires_in"].as_i64(),
        Some(app.state.config.token_ttl_seconds),
        "{v}"
    );
    // It works, and a second login is a different token that works too.
    let resp = send(
        app.client
            .get(app.fhir_url("/Organization?_count=1"))
            .bearer_auth(token),
    )
    .await;
    resp.expect(200);
    let second = app.login("doctor", &doctor.password).await.json();
    let second = second["access_token"].as_str().unwrap();
    assert_ne!(second, token);
    send(
        app.client
            .get(app.fhir_url("/Organization?_count=1"))
            .bearer_auth(second),
    )
    .await
    .expect(200);

    // Errors, as RFC 6749 section 5.2 has them: 400 with an error code.
    let oauth_error = |resp: &crate::helpers::Resp, code: &str| {
        resp.expect(400);
        let v = resp.json();
        assert_eq!(v["error"], code, "{v}");
        assert!(v["error_description"].is_string(), "{v}");
        assert!(v.get("access_token").is_none(), "{v}");
        assert_eq!(resp.header("cache-control").as_deref(), Some("no-store"));
    };
    let wrong = app.login("doctor", "not-the-password").await;
    oauth_error(&wrong, "invalid_grant");
    let nobody = app.login("no-such-user", "whatever-password").await;
    oauth_error(&nobody, "invalid_grant");
    // Which names exist is not told.
    assert_eq!(wrong.json(), nobody.json());
    let empty = app.login("doctor", "").await;
    oauth_error(&empty, "invalid_grant");

    let resp = send(app.client.post(app.url("/auth/token")).form(&[
        ("grant_type", "client_credentials"),
        ("username", "doctor"),
        ("password", doctor.password.as_str()),
    ]))
    .await;
    oauth_error(&resp, "unsupported_grant_type");
    let resp = send(
        app.client
            .post(app.url("/auth/token"))
            .form(&[("grant_type", "password"), ("username", "doctor")]),
    )
    .await;
    oauth_error(&resp, "invalid_request");
    let resp = send(
        app.client
            .post(app.url("/auth/token"))
            .header("content-type", "application/json")
            .body(json!({"grant_type": "password", "username": "doctor", "password": doctor.password}).to_string()),
    )
    .await;
    oauth_error(&resp, "invalid_request");
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let app = spawn_app_with(|s| s.token_ttl_seconds = 0).await;
    let admin = app.user("admin").clone();
    let resp = app.login("admin", &admin.password).await;
    resp.expect(200);
    let v = resp.json();
    assert_eq!(v["expires_in"], 0);
    let token = v["access_token"].as_str().unwrap();
    let resp = send(
        app.client
            .get(app.fhir_url("/Organization"))
            .bearer_auth(token),
    )
    .await;
    assert_outcome(&resp, 401, "authentication");
}

#[tokio::test]
async fn doctor_sees_only_patients_contracted_to_their_teams() {
    let app = spawn_app().await;
    let (mut mine, other, other_team) = doctor_view(&app);
    assert!(!mine.is_empty(), "the demo doctor needs patients");
    assert!(mine.len() < app.residents().count());
    // A few more on the doctor's team, so their patients fill several pages.
    for given in ["Yi", "Er", "San", "Si", "Wu"] {
        let p = app
            .create(&fixtures::patient(
                "Zhong",
                given,
                Some(crate::helpers::DOCTOR_TEAM),
            ))
            .await;
        mine.push(p["id"].as_str().unwrap().to_string());
    }
    let mine = sorted(mine);

    // Search: exactly their patients, across pages, with the right total.
    let found = search_all(&app, "doctor", "/Patient?_count=2").await;
    assert_eq!(sorted(found), mine);
    let (_, total) = search_page(&app, "doctor", "/Patient").await;
    assert_eq!(total, mine.len() as u64);
    // A search aimed outside the scope finds nothing, never more.
    let (found, total) = search_page(&app, "doctor", &format!("/Patient?_id={other}")).await;
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(total, 0);
    let (found, _) =
        search_page(&app, "doctor", &format!("/Patient?_id={other},{}", mine[0])).await;
    assert_eq!(found, [mine[0].clone()]);
    let (found, _) = search_page(
        &app,
        "doctor",
        &format!("/Patient?care-team={}", enc(&other_team)),
    )
    .await;
    assert!(found.is_empty(), "{found:?}");
    // The admin sees the other team's patients with the same search.
    let (found, _) = search_page(
        &app,
        "admin",
        &format!("/Patient?care-team={}", enc(&other_team)),
    )
    .await;
    assert!(found.contains(&other));

    // Reads: their patients yes, others 403 with an OperationOutcome.
    let resp = app.get("doctor", &format!("/Patient/{}", mine[0])).await;
    resp.expect(200);
    assert_eq!(resp.json()["id"], mine[0].as_str());
    let resp = app
        .get("doctor", &format!("/Patient/{}/_history/1", mine[0]))
        .await;
    resp.expect(200);
    // Someone else's patient reads exactly as an id nobody has.
    let resp = app.get("doctor", &format!("/Patient/{other}")).await;
    assert_hidden(&resp, &format!("Patient/{other}"));
    let missing = app.get("doctor", "/Patient/no-such-resident").await;
    assert_hidden(&missing, "Patient/no-such-resident");
    assert_eq!(
        resp.body.replace(other.as_str(), "X"),
        missing.body.replace("no-such-resident", "X"),
        "a hidden patient and a missing one answer alike"
    );
    let resp = app
        .get("doctor", &format!("/Patient/{other}/_history/1"))
        .await;
    assert_outcome(&resp, 404, &format!("Patient/{other} has no version 1"));
    if let Some(loose) = app.residents().find(|r| r.contract.is_none()) {
        let resp = app.get("doctor", &format!("/Patient/{}", loose.id)).await;
        assert_hidden(&resp, &format!("Patient/{}", loose.id));
    }
    // Registry records are not patient data: the doctor reads them.
    app.get("doctor", "/Organization/zx-h1").await.expect(200);
}

#[tokio::test]
async fn resident_reads_only_their_own_record() {
    let app = spawn_app().await;
    let me = app
        .user("resident")
        .resident
        .clone()
        .expect("the demo resident has a record")
        .to_string();
    assert_eq!(me, DEMO_RESIDENT);
    let found = search_all(&app, "resident", "/Patient").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0], me);
    let resp = app.get("resident", &format!("/Patient/{me}")).await;
    resp.expect(200);
    assert_eq!(resp.json()["id"], me.as_str());
    app.get("resident", &format!("/Patient/{me}/_history/1"))
        .await
        .expect(200);
    for other in app.residents().filter(|r| r.id.as_str() != me).take(3) {
        let resp = app.get("resident", &format!("/Patient/{}", other.id)).await;
        assert_hidden(&resp, &format!("Patient/{}", other.id));
        let (found, _) = search_page(&app, "resident", &format!("/Patient?_id={}", other.id)).await;
        assert!(found.is_empty(), "{found:?}");
    }
    // Filters cannot widen the scope either.
    let (found, _) = search_page(
        &app,
        "resident",
        "/Patient?gender=male,female,other,unknown",
    )
    .await;
    assert_eq!(found, [me]);
}

#[tokio::test]
async fn analyst_reads_no_patient() {
    let app = spawn_app().await;
    let someone = app.residents().next().unwrap().id.to_string();
    let resp = app.get("analyst", &format!("/Patient/{someone}")).await;
    assert_hidden(&resp, &format!("Patient/{someone}"));
    let resp = app
        .get("analyst", &format!("/Patient/{someone}/_history/1"))
        .await;
    assert_outcome(&resp, 404, &format!("Patient/{someone} has no version 1"));
    // A patient that does not exist reads the same: no existence leak.
    let resp = app.get("analyst", "/Patient/no-such-patient").await;
    assert_hidden(&resp, "Patient/no-such-patient");
    // Searches are refused outright.
    for q in [
        "/Patient",
        "/Patient?_id=res-000001",
        "/Patient?gender=female",
    ] {
        let resp = app.get("analyst", q).await;
        assert_outcome(&resp, 403, "patient data");
    }
    // The registry is readable.
    let (_, total) = search_page(&app, "analyst", "/Organization").await;
    assert!(total > 0);
}

#[tokio::test]
async fn coordinators_and_unlinked_doctors_see_their_institutions_teams() {
    let app = spawn_app().await;
    // The demo coordinator: the teams of their institution.
    let coordinator = app.user("coordinator").clone();
    let institution = coordinator
        .institution
        .clone()
        .expect("the demo coordinator has an institution")
        .to_string();
    let expected = contracted_to(&app, &teams_at(&app, &institution));
    let someone = app.residents().next().unwrap().id.to_string();
    if expected.is_empty() {
        // A hospital has no family-doctor teams: no patient data.
        let resp = app.get("coordinator", "/Patient").await;
        assert_outcome(&resp, 403, "patient data");
        let resp = app.get("coordinator", &format!("/Patient/{someone}")).await;
        assert_hidden(&resp, &format!("Patient/{someone}"));
    } else {
        let found = search_all(&app, "coordinator", "/Patient").await;
        assert_eq!(sorted(found), expected);
    }

    // A coordinator at a primary institution with teams.
    let primary = teams(&app)[0].institution.to_string();
    let expected = contracted_to(&app, &teams_at(&app, &primary));
    assert!(!expected.is_empty());
    let token =
        add_user_and_login(&app, "coord2", UserRole::Coordinator, Some(&primary), None).await;
    let found = search_all_as(&app, &token, "/Patient?_count=5").await;
    assert_eq!(sorted(found), expected);
    let outside = residents_where(&app, |r| !expected.contains(&r.id.to_string()));
    let resp = get_as(&app, &token, &format!("/Patient/{}", outside[0])).await;
    assert_hidden(&resp, &format!("Patient/{}", outside[0]));
    get_as(&app, &token, &format!("/Patient/{}", expected[0]))
        .await
        .expect(200);

    // A doctor without a linked practitioner: their institution's teams.
    let token = add_user_and_login(&app, "doc2", UserRole::Doctor, Some(&primary), None).await;
    let found = search_all_as(&app, &token, "/Patient").await;
    assert_eq!(sorted(found), expected);
    // A doctor with neither: nothing at all.
    let token = add_user_and_login(&app, "doc3", UserRole::Doctor, None, None).await;
    let resp = get_as(&app, &token, "/Patient").await;
    assert_outcome(&resp, 403, "patient data");
}

#[tokio::test]
async fn only_administrators_change_the_registry() {
    let app = spawn_app().await;
    let orgs = app.count("Organization").await;
    let practitioners = app.count("Practitioner").await;
    let current = app.get("admin", "/Organization/zx-h1").await.json();
    for user in ["doctor", "analyst", "coordinator", "resident"] {
        let resp = app
            .post(
                user,
                "/Organization",
                &fixtures::institution("Rogue clinic", "primary", "village-clinic"),
            )
            .await;
        assert_outcome(&resp, 403, "administrators");
        let mut changed = current.clone();
        changed["name"] = json!("Renamed by someone else");
        let resp = app.put(user, "/Organization/zx-h1", &changed, None).await;
        assert_outcome(&resp, 403, "administrators");
        let resp = app
            .post(
                user,
                "/Practitioner",
                &fixtures::practitioner("Rogue", "Doc", "110429999999999"),
            )
            .await;
        assert_outcome(&resp, 403, "administrators");
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [{
            "fullUrl": "urn:uuid:4f7c2a1e-0000-4000-8000-000000000001",
            "resource": fixtures::practitioner("Rogue", "Batch", "110429999999998"),
            "request": {"method": "POST", "url": "Practitioner"}
        }]});
        let resp = app.post(user, "", &bundle).await;
        assert_eq!(resp.status, 403, "{user} transaction: {}", resp.body);
    }
    assert_eq!(app.count("Organization").await, orgs);
    assert_eq!(app.count("Practitioner").await, practitioners);
    let now = app.get("admin", "/Organization/zx-h1").await.json();
    assert_eq!(now, current, "a refused update changed the record");
    // The administrator may.
    app.create(&fixtures::institution(
        "Real clinic",
        "primary",
        "village-clinic",
    ))
    .await;
    assert_eq!(app.count("Organization").await, orgs + 1);
}

#[tokio::test]
async fn patient_writes_follow_care_relationships() {
    let app = spawn_app().await;
    let (mine, other, other_team) = doctor_view(&app);
    let before = app.count("Patient").await;

    // A doctor registers a resident to their own team, not to another.
    let created = app
        .post(
            "doctor",
            "/Patient",
            &fixtures::patient("Qian", "Yu", Some(crate::helpers::DOCTOR_TEAM)),
        )
        .await;
    created.expect(201);
    let resp = app
        .post(
            "doctor",
            "/Patient",
            &fixtures::patient("Qian", "Er", Some(&other_team)),
        )
        .await;
    assert_outcome(&resp, 403, "care relationship");
    // Nor moves their patient out of reach, nor edits someone else's.
    let mut moved = app
        .get("doctor", &format!("/Patient/{}", mine[0]))
        .await
        .json();
    moved["extension"] = json!([fixtures::contract(&other_team, "2026-01-02")]);
    let resp = app
        .put("doctor", &format!("/Patient/{}", mine[0]), &moved, None)
        .await;
    assert_outcome(&resp, 403, "care relationship");
    let theirs = app.get("admin", &format!("/Patient/{other}")).await.json();
    let resp = app
        .put("doctor", &format!("/Patient/{other}"), &theirs, None)
        .await;
    assert_outcome(&resp, 403, "care relationship");

    // Residents, analysts and the hospital coordinator write no patient.
    let me = app
        .get("resident", &format!("/Patient/{DEMO_RESIDENT}"))
        .await
        .json();
    let resp = app
        .put("resident", &format!("/Patient/{DEMO_RESIDENT}"), &me, None)
        .await;
    assert_outcome(&resp, 403, "care relationship");
    for user in ["analyst", "resident", "coordinator"] {
        let resp = app
            .post(
                user,
                "/Patient",
                &fixtures::patient("Qian", "San", Some(crate::helpers::DOCTOR_TEAM)),
            )
            .await;
        assert_eq!(resp.status, 403, "{user}: {}", resp.body);
    }
    assert_eq!(app.count("Patient").await, before + 1);
    let unchanged = app.get("admin", &format!("/Patient/{}", mine[0])).await;
    assert_eq!(unchanged.json()["meta"]["versionId"], "1");
}

#[tokio::test]
async fn reads_and_searches_of_patient_data_are_audited_allowed_or_not() {
    let app = spawn_app().await;
    let (mine, other, _) = doctor_view(&app);

    // An allowed read: one success entry naming the patient.
    let t = last_seq(&app).await;
    app.get("doctor", &format!("/Patient/{}", mine[0]))
        .await
        .expect(200);
    let got = audit_since(&app, "doctor", t).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].action, "read");
    assert_eq!(got[0].role, "doctor");
    assert_eq!(got[0].patient.as_deref(), Some(mine[0].as_str()));
    assert_eq!(got[0].outcome, AuditOutcome::Success);

    // A refused read: one denied entry naming the patient.
    let t = last_seq(&app).await;
    app.get("doctor", &format!("/Patient/{other}"))
        .await
        .expect(404);
    let got = audit_since(&app, "doctor", t).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].action, "read");
    assert_eq!(got[0].patient.as_deref(), Some(other.as_str()));
    assert_eq!(got[0].outcome, AuditOutcome::Denied);

    // A vread too.
    let t = last_seq(&app).await;
    app.get("doctor", &format!("/Patient/{}/_history/1", mine[0]))
        .await
        .expect(200);
    let got = audit_since(&app, "doctor", t).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].outcome, AuditOutcome::Success);
    assert_eq!(got[0].patient.as_deref(), Some(mine[0].as_str()));

    // A search: one entry per patient returned.
    let t = last_seq(&app).await;
    let (found, _) = search_page(&app, "doctor", "/Patient?_count=3").await;
    let got = audit_since(&app, "doctor", t).await;
    assert!(
        got.iter()
            .all(|a| a.action == "search" && a.outcome == AuditOutcome::Success),
        "{got:?}"
    );
    assert_eq!(
        sorted(got.iter().filter_map(|a| a.patient.clone())),
        sorted(found)
    );
    // An empty search is still recorded.
    let t = last_seq(&app).await;
    search_page(&app, "doctor", &format!("/Patient?_id={other}")).await;
    let got = audit_since(&app, "doctor", t).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].action, "search");
    assert_eq!(got[0].patient, None);

    // Refused searches and reads by an analyst, and a resident's attempt.
    let t = last_seq(&app).await;
    app.get("analyst", "/Patient").await.expect(403);
    app.get("analyst", &format!("/Patient/{other}"))
        .await
        .expect(404);
    let got = audit_since(&app, "analyst", t).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got.iter().all(|a| a.outcome == AuditOutcome::Denied),
        "{got:?}"
    );
    assert_eq!(got[0].action, "search");
    assert_eq!(got[1].action, "read");
    assert_eq!(got[1].patient.as_deref(), Some(other.as_str()));
    let t = last_seq(&app).await;
    app.get("resident", &format!("/Patient/{other}"))
        .await
        .expect(404);
    let got = audit_since(&app, "resident", t).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].outcome, AuditOutcome::Denied);

    // Reading registry records leaves no patient audit entry.
    let t = last_seq(&app).await;
    app.get("doctor", "/Organization/zx-h1").await.expect(200);
    search_page(&app, "doctor", "/Practitioner?_count=2").await;
    assert!(audit_since(&app, "doctor", t).await.is_empty());

    // The same trail over HTTP, as AuditEvents.
    let resp = app
        .get(
            "admin",
            &format!("/AuditEvent?patient=Patient/{other}&agent=analyst"),
        )
        .await;
    resp.expect(200);
    let events = entries(&resp.json());
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e["resourceType"], "AuditEvent");
    assert_eq!(e["outcome"], "4");
    assert_eq!(e["action"], "R");
    assert_eq!(e["agent"][0]["who"]["identifier"]["value"], "analyst");
    assert_eq!(
        e["entity"][0]["what"]["reference"],
        format!("Patient/{other}")
    );
    let resp = app
        .get(
            "admin",
            &format!("/AuditEvent?patient={}&agent=doctor", mine[0]),
        )
        .await;
    let events = entries(&resp.json());
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["outcome"] == "0"), "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| e["entity"][0]["what"]["reference"] == format!("Patient/{}", mine[0])),
        "{events:?}"
    );
}

#[tokio::test]
async fn patient_writes_are_audited_refused_or_not() {
    let app = spawn_app().await;
    let (_, _, other_team) = doctor_view(&app);
    let t = last_seq(&app).await;
    let ok = app
        .post(
            "doctor",
            "/Patient",
            &fixtures::patient("Kong", "Ling", Some(crate::helpers::DOCTOR_TEAM)),
        )
        .await;
    ok.expect(201);
    let id = ok.json()["id"].as_str().unwrap().to_string();
    app.post(
        "doctor",
        "/Patient",
        &fixtures::patient("Kong", "Er", Some(&other_team)),
    )
    .await
    .expect(403);
    let got = audit_since(&app, "doctor", t).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].action, "create");
    assert_eq!(got[0].outcome, AuditOutcome::Success);
    assert_eq!(got[0].patient.as_deref(), Some(id.as_str()));
    assert_eq!(got[1].action, "create");
    assert_eq!(got[1].outcome, AuditOutcome::Denied);

    // A write that fails on its content is recorded as failed.
    let t = last_seq(&app).await;
    let mut bad = fixtures::patient("Kong", "San", Some("no-such-team"));
    bad["id"] = json!(id);
    app.put("admin", &format!("/Patient/{id}"), &bad, None)
        .await
        .expect(422);
    let got = audit_since(&app, "admin", t).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].action, "update");
    assert_eq!(got[0].outcome, AuditOutcome::Failed);
    assert_eq!(got[0].patient.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn the_audit_trail_is_for_administrators_only() {
    let app = spawn_app().await;
    // Leave something in the trail.
    app.get("doctor", &format!("/Patient/{DEMO_RESIDENT}"))
        .await
        .expect(200);
    let resp = app.get("admin", "/AuditEvent?_count=1").await;
    resp.expect(200);
    let newest = entries(&resp.json());
    let id = newest[0]["id"]
        .as_str()
        .expect("an audit event")
        .to_string();
    let resp = app.get("admin", &format!("/AuditEvent/{id}")).await;
    resp.expect(200);
    assert_eq!(resp.json(), newest[0]);
    for user in ["doctor", "coordinator", "analyst", "resident"] {
        let resp = app.get(user, "/AuditEvent").await;
        let v = assert_outcome(&resp, 403, "administrators");
        assert_eq!(v["issue"][0]["code"], "forbidden");
        let resp = app.get(user, &format!("/AuditEvent/{id}")).await;
        assert_outcome(&resp, 403, "administrators");
        let resp = app
            .get(user, &format!("/AuditEvent?patient={DEMO_RESIDENT}"))
            .await;
        assert_outcome(&resp, 403, "administrators");
    }
    let resp = app.get("admin", "/AuditEvent/999999999").await;
    assert_outcome(&resp, 404, "999999999");
}

#[tokio::test]
async fn audit_event_search_filters_by_patient_agent_and_outcome() {
    let app = spawn_app().await;
    let (mine, other, _) = doctor_view(&app);
    app.get("doctor", &format!("/Patient/{}", mine[0]))
        .await
        .expect(200);
    app.get("doctor", &format!("/Patient/{other}"))
        .await
        .expect(404);
    app.get("analyst", &format!("/Patient/{}", mine[0]))
        .await
        .expect(404);

    let store_count =
        |username: Option<&str>, patient: Option<&str>, outcome: Option<AuditOutcome>| {
            let q = AuditQuery {
                username: username.map(str::to_string),
                patient: patient.map(str::to_string),
                outcomes: outcome.into_iter().collect(),
                count: 1,
                offset: 0,
            };
            let store = app.state.ctx.store.clone();
            async move { store.audit_search(&q).await.expect("audit").1 }
        };

    let all = search_all(&app, "admin", "/AuditEvent?_count=50").await;
    assert_eq!(all.len() as u64, store_count(None, None, None).await);

    let resp = app
        .get("admin", "/AuditEvent?agent=doctor&_count=500")
        .await;
    let b = resp.json();
    let events = entries(&b);
    assert_eq!(
        b["total"].as_u64(),
        Some(store_count(Some("doctor"), None, None).await)
    );
    assert!(
        events
            .iter()
            .all(|e| e["agent"][0]["who"]["identifier"]["value"] == "doctor")
    );
    // The agent as system|value.
    let q = enc("https://tiercare.org/fhir/sid/username|doctor");
    let (ids, _) = search_page(&app, "admin", &format!("/AuditEvent?agent={q}&_count=500")).await;
    assert_eq!(ids, crate::helpers::entry_ids(&b));

    let resp = app
        .get(
            "admin",
            &format!("/AuditEvent?patient=Patient/{}&_count=500", mine[0]),
        )
        .await;
    let b = resp.json();
    let events = entries(&b);
    assert_eq!(
        events.len() as u64,
        store_count(None, Some(&mine[0]), None).await
    );
    assert!(events.len() >= 2, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| e["entity"][0]["what"]["reference"] == format!("Patient/{}", mine[0]))
    );

    for (code, outcome) in [("0", AuditOutcome::Success), ("4", AuditOutcome::Denied)] {
        let resp = app
            .get(
                "admin",
                &format!("/AuditEvent?patient={}&outcome={code}&_count=500", mine[0]),
            )
            .await;
        let events = entries(&resp.json());
        assert!(!events.is_empty(), "outcome={code}");
        assert!(events.iter().all(|e| e["outcome"] == code), "{events:?}");
        assert_eq!(
            events.len() as u64,
            store_count(None, Some(&mine[0]), Some(outcome)).await
        );
    }
    let resp = app.get("admin", "/AuditEvent?outcome=8").await;
    assert_outcome(&resp, 400, "outcome");
    let resp = app.get("admin", "/AuditEvent?date=2026-01-01").await;
    assert_outcome(&resp, 400, "date");
}

/// An AuditEvent rendered with outcome 4 (a failed attempt, here a read of
/// a patient that does not exist) must be found by `outcome=4`.
#[tokio::test]
async fn audit_outcome_4_finds_failed_attempts() {
    let app = spawn_app().await;
    app.get("admin", "/Patient/ghost-1").await.expect(404);
    let resp = app.get("admin", "/AuditEvent?patient=ghost-1").await;
    let events = entries(&resp.json());
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["outcome"], "4", "{}", events[0]);
    let resp = app
        .get("admin", "/AuditEvent?patient=ghost-1&outcome=4")
        .await;
    resp.expect(200);
    assert_eq!(
        entries(&resp.json()).len(),
        1,
        "an AuditEvent with outcome 4 is not found by outcome=4"
    );
}

/// Access follows contracts in force: a resident whose contract with the
/// doctor's team ended years ago is no longer the doctor's patient.
#[tokio::test]
async fn an_ended_contract_gives_no_access() {
    let app = spawn_app().await;
    let team = crate::helpers::DOCTOR_TEAM;
    let mut body = fixtures::patient("Gu", "Jiu", Some(team));
    body["extension"][0]["extension"] = json!([
        {"url": "team", "valueReference": {"reference": format!("CareTeam/{team}")}},
        {"url": "signed", "valueDate": "2020-01-01"},
        {"url": "ends", "valueDate": "2020-12-31"}
    ]);
    let created = app.create(&body).await;
    let id = created["id"].as_str().unwrap().to_string();
    let stored = app.get("admin", &format!("/Patient/{id}")).await.json();
    assert_eq!(
        crate::helpers::contract_team(&stored),
        Some(format!("CareTeam/{team}"))
    );

    let found = search_all(&app, "doctor", "/Patient").await;
    assert!(
        !found.contains(&id),
        "a resident whose contract ended in 2020 is in the doctor's search"
    );
    let resp = app.get("doctor", &format!("/Patient/{id}")).await;
    assert_hidden(&resp, &format!("Patient/{id}"));
}
