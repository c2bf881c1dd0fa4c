//! Create, read, update, version-aware update, vread and conditional read,
//! for every registry type.

use crate::fixtures;
use crate::helpers::{TestApp, assert_contains, assert_outcome, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use tiercare_core::Record;

fn without_meta(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("meta");
    }
    v
}

/// Runs the whole versioned life cycle of one resource as the admin and
/// returns its id: `change` makes the second version from the first.
async fn life_cycle(app: &TestApp, body: Value, change: impl Fn(&mut Value)) -> String {
    let rt = body["resourceType"]
        .as_str()
        .expect("resourceType")
        .to_string();

    // Create: 201, Location of version 1, ETag W/"1", what was sent.
    let resp = app.post("admin", &format!("/{rt}"), &body).await;
    resp.expect(201);
    let created = resp.json();
    let id = created["id"]
        .as_str()
        .expect("server-assigned id")
        .to_string();
    let path = format!("/{rt}/{id}");
    assert_eq!(resp.header("etag").as_deref(), Some("W/\"1\""));
    assert_eq!(
        resp.header("location"),
        Some(app.fhir_url(&format!("{path}/_history/1")))
    );
    assert_eq!(created["resourceType"], rt.as_str());
    assert_eq!(created["meta"]["versionId"], "1");
    assert!(created["meta"]["lastUpdated"].is_string(), "{created}");
    assert_contains(&body, &created);

    // Read: the same content.
    let read = app.get("admin", &path).await;
    read.expect(200);
    assert_eq!(read.header("etag").as_deref(), Some("W/\"1\""));
    assert!(
        read.header("content-type")
            .is_some_and(|c| c.starts_with("application/fhir+json")),
        "{:?}",
        read.headers
    );
    assert_eq!(read.json(), created);

    // Update what was read, with If-Match: version 2.
    let mut second = read.json();
    change(&mut second);
    assert_ne!(second, created, "the change must change something");
    let resp = app.put("admin", &path, &second, Some("W/\"1\"")).await;
    resp.expect(200);
    assert_eq!(resp.header("etag").as_deref(), Some("W/\"2\""));
    let updated = resp.json();
    assert_eq!(updated["meta"]["versionId"], "2");
    assert_eq!(updated["id"], id.as_str());
    assert_contains(&without_meta(&second), &updated);
    assert_ne!(without_meta(&updated), without_meta(&created));

    // A stale If-Match is refused and changes nothing.
    let stale = app
        .put("admin", &path, &body_with_id(&body, &id), Some("W/\"1\""))
        .await;
    assert_outcome(&stale, 412, "version 2");
    let now = app.get("admin", &path).await;
    now.expect(200);
    assert_eq!(now.json(), updated);

    // vread: both versions, as they were.
    let v1 = app.get("admin", &format!("{path}/_history/1")).await;
    v1.expect(200);
    assert_eq!(v1.header("etag").as_deref(), Some("W/\"1\""));
    assert_eq!(v1.json(), created);
    let v2 = app.get("admin", &format!("{path}/_history/2")).await;
    v2.expect(200);
    assert_eq!(v2.json(), updated);
    let v3 = app.get("admin", &format!("{path}/_history/3")).await;
    assert_outcome(&v3, 404, "version 3");

    // Conditional read: the current version is not sent again.
    let token = app.token("admin").await;
    let not_modified = crate::helpers::send(
        app.client
            .get(app.fhir_url(&path))
            .bearer_auth(&token)
            .header("if-none-match", "W/\"2\""),
    )
    .await;
    not_modified.expect(304);
    assert!(not_modified.body.is_empty());
    let modified = crate::helpers::send(
        app.client
            .get(app.fhir_url(&path))
            .bearer_auth(&token)
            .header("if-none-match", "W/\"1\""),
    )
    .await;
    modified.expect(200);
    assert_eq!(modified.json(), updated);
    id
}

fn body_with_id(body: &Value, id: &str) -> Value {
    let mut b = body.clone();
    b["id"] = json!(id);
    b
}

/// Members of one of the demo county's teams.
fn team_members(app: &TestApp, team: &str) -> Vec<String> {
    app.county
        .records
        .iter()
        .find_map(|r| match r {
            Record::Team(t) if t.id.as_str() == team => {
                Some(t.members.iter().map(|m| m.to_string()).collect())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no team {team}"))
}

#[tokio::test]
async fn institution_life_cycle() {
    let app = spawn_app().await;
    let mut clinic = fixtures::institution("Qiaotou Village Clinic", "primary", "village-clinic");
    clinic["partOf"] = json!({"reference": "Organization/zx-tc1"});
    let id = life_cycle(&app, clinic, |v| {
        v["name"] = json!("Qiaotou Village Clinic (new site)");
    })
    .await;
    let v = app
        .get("admin", &format!("/Organization/{id}"))
        .await
        .json();
    assert_eq!(v["name"], "Qiaotou Village Clinic (new site)");
    assert_eq!(v["partOf"]["reference"], "Organization/zx-tc1");

    // Without a region the institution is the served region's; with
    // another region's id it is registered as outside.
    let region_of = |v: &Value| {
        v["extension"]
            .as_array()
            .and_then(|l| {
                l.iter()
                    .find(|e| e["url"].as_str().is_some_and(|u| u.ends_with("/region")))
            })
            .map(|e| e["valueCode"].clone())
    };
    for (sent, kept) in [(None, "zx"), (Some("xiaogan"), "xiaogan")] {
        let mut body = fixtures::institution("Hilltop Clinic", "primary", "village-clinic");
        let list = body["extension"].as_array_mut().unwrap();
        list.retain(|e| !e["url"].as_str().unwrap().ends_with("/region"));
        if let Some(r) = sent {
            list.push(json!({"url": format!("{}/region", fixtures::SD), "valueCode": r}));
        }
        let resp = app.post("admin", "/Organization", &body).await;
        resp.expect(201);
        assert_eq!(region_of(&resp.json()), Some(json!(kept)));
    }
}

#[tokio::test]
async fn alliance_life_cycle() {
    let app = spawn_app().await;
    let id = life_cycle(
        &app,
        fixtures::alliance("Cardiology league", "zx-h1"),
        |v| {
            v["name"] = json!("Cardiology and stroke league");
        },
    )
    .await;
    let v = app
        .get("admin", &format!("/Organization/{id}"))
        .await
        .json();
    let codes: Vec<&Value> = v["type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["coding"][0]["code"])
        .collect();
    assert_eq!(codes, [&json!("alliance"), &json!("specialist-league")]);
}

#[tokio::test]
async fn affiliation_life_cycle() {
    let app = spawn_app().await;
    let alliance = app
        .create(&fixtures::alliance("Stroke league", "zx-h2"))
        .await;
    let alliance = alliance["id"].as_str().unwrap();
    let id = life_cycle(
        &app,
        fixtures::affiliation(alliance, "zx-tc2", "member"),
        |v| v["code"] = json!([fixtures::concept("alliance-role", "lead")]),
    )
    .await;
    let v = app
        .get("admin", &format!("/OrganizationAffiliation/{id}"))
        .await
        .json();
    assert_eq!(v["code"][0]["coding"][0]["code"], "lead");
}

#[tokio::test]
async fn location_life_cycle() {
    let app = spawn_app().await;
    life_cycle(&app, fixtures::location("East wing", "zx-h1"), |v| {
        v["name"] = json!("East wing, floor 2");
    })
    .await;
}

#[tokio::test]
async fn practitioner_life_cycle() {
    let app = spawn_app().await;
    life_cycle(
        &app,
        fixtures::practitioner("Zhou", "Min", "110429999990001"),
        |v| v["name"] = json!([{"family": "Zhou", "given": ["Minghui"]}]),
    )
    .await;
}

#[tokio::test]
async fn practitioner_role_life_cycle() {
    let app = spawn_app().await;
    let p = app
        .create(&fixtures::practitioner("Sun", "Li", "110429999990002"))
        .await;
    let p = p["id"].as_str().unwrap();
    life_cycle(
        &app,
        fixtures::role(p, "zx-tc1", "family-doctor", Some("general-practice")),
        |v| v["active"] = json!(false),
    )
    .await;
}

#[tokio::test]
async fn care_team_life_cycle() {
    let app = spawn_app().await;
    let members = team_members(&app, "team-tc2-1");
    let members: Vec<&str> = members.iter().map(String::as_str).collect();
    life_cycle(
        &app,
        fixtures::care_team("Qiaotou outreach team", "zx-tc2", &members),
        |v| v["status"] = json!("inactive"),
    )
    .await;
}

#[tokio::test]
async fn patient_life_cycle() {
    let app = spawn_app().await;
    let id = life_cycle(
        &app,
        fixtures::patient("Li", "Lei", Some("team-tc1-1")),
        |v| v["address"] = json!([{"district": "Dawan Village"}]),
    )
    .await;
    // The contract's doctor and institution are derived from the team.
    let v = app.get("admin", &format!("/Patient/{id}")).await.json();
    let lead = team_members(&app, "team-tc1-1")[0].clone();
    assert_eq!(
        v["generalPractitioner"],
        json!([{"reference": "Organization/zx-tc1"}, {"reference": format!("Practitioner/{lead}")}])
    );
}

#[tokio::test]
async fn put_creates_at_a_client_id_and_checks_ids() {
    let app = spawn_app().await;
    let body = fixtures::practitioner("Wu", "Fang", "110429999990003");
    let resp = app
        .put("admin", "/Practitioner/pr-client-1", &body, None)
        .await;
    resp.expect(201);
    assert_eq!(resp.header("etag").as_deref(), Some("W/\"1\""));
    assert_eq!(resp.json()["id"], "pr-client-1");
    // An update without If-Match replaces whatever is there.
    let resp = app
        .put("admin", "/Practitioner/pr-client-1", &body, None)
        .await;
    resp.expect(200);
    assert_eq!(resp.header("etag").as_deref(), Some("W/\"2\""));
    // If-Match on a record that does not exist.
    let resp = app
        .put("admin", "/Practitioner/pr-nobody", &body, Some("W/\"1\""))
        .await;
    assert_outcome(&resp, 404, "pr-nobody");
    // The body's id must be the URL's.
    let resp = app
        .put(
            "admin",
            "/Practitioner/pr-client-1",
            &body_with_id(&body, "pr-other"),
            None,
        )
        .await;
    assert_outcome(&resp, 400, "Practitioner.id");
    // POST never overwrites: the server assigns a new id.
    let created = app.create(&body_with_id(&body, "pr-client-1")).await;
    assert_ne!(created["id"], "pr-client-1");
    // Unknown resource types and ids.
    let resp = app.get("admin", "/Observation/1").await;
    assert_outcome(&resp, 404, "Observation");
    let resp = app.get("admin", "/Practitioner/does-not-exist").await;
    assert_outcome(&resp, 404, "does-not-exist");
    let resp = crate::helpers::send(
        app.fhir(Method::DELETE, Some("admin"), "/Practitioner/pr-client-1")
            .await,
    )
    .await;
    assert_outcome(&resp, 405, "not allowed");
}
