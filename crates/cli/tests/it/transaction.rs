//! Transaction bundles (`POST /fhir/r4`): entries linked by `urn:uuid`
//! fullUrls are created together with their references rewritten to the
//! ids the server assigned; `PUT` entries create or update, honouring
//! `ifMatch`; and any bad entry makes the whole bundle fail with nothing
//! stored.

use crate::fixtures;
use crate::helpers::{
    TestApp, assert_outcome, contract_team, counts, demo_ids, entries, spawn_app,
};
use serde_json::{Value, json};

const ORG: &str = "urn:uuid:0b6f5a3e-8a51-4c6e-9d0e-7f3a1c000001";
const PRACT: &str = "urn:uuid:0b6f5a3e-8a51-4c6e-9d0e-7f3a1c000002";
const ROLE: &str = "urn:uuid:0b6f5a3e-8a51-4c6e-9d0e-7f3a1c000003";
const TEAM: &str = "urn:uuid:0b6f5a3e-8a51-4c6e-9d0e-7f3a1c000004";
const PATIENT: &str = "urn:uuid:0b6f5a3e-8a51-4c6e-9d0e-7f3a1c000005";

/// The practitioner's licence in [`network`], to look for it afterwards.
const LICENCE: &str = "110429999997777";

fn post_entry(full_url: &str, resource: Value) -> Value {
    let rt = resource["resourceType"]
        .as_str()
        .expect("resourceType")
        .to_string();
    json!({"fullUrl": full_url, "resource": resource, "request": {"method": "POST", "url": rt}})
}

fn put_entry(resource: Value, id: &str, if_match: Option<&str>) -> Value {
    let rt = resource["resourceType"]
        .as_str()
        .expect("resourceType")
        .to_string();
    let mut request = json!({"method": "PUT", "url": format!("{rt}/{id}")});
    if let Some(tag) = if_match {
        request["ifMatch"] = json!(tag);
    }
    json!({"fullUrl": format!("urn:uuid:put-{rt}-{id}"), "resource": resource, "request": request})
}

fn transaction(entries: Vec<Value>) -> Value {
    json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})
}

/// A new township health centre with a family doctor, the doctor's role,
/// a team, and a resident contracted to the team, all linked by fullUrl.
fn network() -> Vec<Value> {
    let org = fixtures::institution("Hekou Township Health Centre", "primary", "township-centre");
    let pract = fixtures::practitioner("Hu", "Jing", LICENCE);
    let mut role = fixtures::role("x", "x", "family-doctor", Some("general-practice"));
    role["practitioner"]["reference"] = json!(PRACT);
    role["organization"]["reference"] = json!(ORG);
    let mut team = fixtures::care_team("Hekou family-doctor team 1", "x", &["x"]);
    team["managingOrganization"][0]["reference"] = json!(ORG);
    team["participant"][0]["member"]["reference"] = json!(PRACT);
    let mut patient = fixtures::patient("Guo", "Mei", Some("x"));
    patient["extension"][0]["extension"][0]["valueReference"]["reference"] = json!(TEAM);
    vec![
        post_entry(ORG, org),
        post_entry(PRACT, pract),
        post_entry(ROLE, role),
        post_entry(TEAM, team),
        post_entry(PATIENT, patient),
    ]
}

/// Posts a bundle as `user`; asserts the refusal and that nothing of any
/// type was stored.
async fn refused(app: &TestApp, case: &str, user: &str, bundle: &Value, status: u16, needle: &str) {
    let before = counts(app).await;
    let resp = app.post(user, "", bundle).await;
    assert_eq!(resp.status, status, "{case}: {}", resp.body);
    assert_outcome(&resp, status, needle);
    assert_eq!(counts(app).await, before, "{case}: the store changed");
    // In particular, the bundle's practitioner is nowhere to be found.
    let found = app
        .get("admin", &format!("/Practitioner?identifier={LICENCE}"))
        .await
        .json();
    assert_eq!(found["total"], 0, "{case}: {found}");
}

/// `Type/id/_history/N` split up.
fn location_parts(location: &str) -> (String, String, String) {
    let parts: Vec<&str> = location.split('/').collect();
    assert_eq!(parts.len(), 4, "location {location:?}");
    assert_eq!(parts[2], "_history", "location {location:?}");
    (parts[0].into(), parts[1].into(), parts[3].into())
}

/// Reads version 1 of a record as the admin.
async fn read_back(app: &TestApp, rt: &str, id: &str) -> Value {
    let r = app.get("admin", &format!("/{rt}/{id}")).await;
    r.expect(200);
    assert_eq!(r.header("etag").as_deref(), Some("W/\"1\""), "{rt}/{id}");
    r.json()
}

/// Runs the network bundle with its entries in `order` and checks what
/// was stored.
async fn create_network(order: &[usize]) {
    let app = spawn_app().await;
    let before = counts(&app).await;
    let all = network();
    let sent: Vec<Value> = order.iter().map(|&i| all[i].clone()).collect();
    let resp = app.post("admin", "", &transaction(sent.clone())).await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .unwrap_or_default()
            .starts_with("application/fhir+json"),
        "{:?}",
        resp.headers
    );
    let out = resp.json();
    assert_eq!(out["resourceType"], "Bundle");
    assert_eq!(out["type"], "transaction-response");
    let results = out["entry"].as_array().expect("entries");
    assert_eq!(results.len(), sent.len(), "{out}");

    // One response per entry, in the order sent, each with a location.
    let mut ids = std::collections::HashMap::new();
    for (entry, result) in sent.iter().zip(results) {
        let rt = entry["request"]["url"].as_str().unwrap();
        let r = &result["response"];
        assert_eq!(r["status"], "201 Created", "{result}");
        assert_eq!(r["etag"], "W/\"1\"", "{result}");
        assert!(r["lastModified"].is_string(), "{result}");
        let (lrt, id, version) = location_parts(r["location"].as_str().expect("location"));
        assert_eq!(lrt, rt, "{result}");
        assert_eq!(version, "1");
        tiercare_core::check_id(&id).expect("a valid id");
        ids.insert(entry["fullUrl"].as_str().unwrap().to_string(), id);
    }
    let distinct: std::collections::HashSet<&String> = ids.values().collect();
    assert_eq!(distinct.len(), 5, "{ids:?}");

    // Exactly one new record of each type.
    let after = counts(&app).await;
    for (rt, n) in &after {
        let grew = [
            "Organization",
            "Practitioner",
            "PractitionerRole",
            "CareTeam",
            "Patient",
        ]
        .contains(rt);
        assert_eq!(*n, before[rt] + u64::from(grew), "{rt}");
    }

    // Read back: references point at the new ids.
    let (org, pract) = (&ids[ORG], &ids[PRACT]);
    let o = read_back(&app, "Organization", org).await;
    assert_eq!(o["name"], "Hekou Township Health Centre");
    let p = read_back(&app, "Practitioner", pract).await;
    assert_eq!(p["identifier"][0]["value"], LICENCE);
    let role = read_back(&app, "PractitionerRole", &ids[ROLE]).await;
    assert_eq!(
        role["practitioner"]["reference"],
        format!("Practitioner/{pract}")
    );
    assert_eq!(
        role["organization"]["reference"],
        format!("Organization/{org}")
    );
    let team = read_back(&app, "CareTeam", &ids[TEAM]).await;
    assert_eq!(
        team["managingOrganization"][0]["reference"],
        format!("Organization/{org}")
    );
    assert_eq!(
        team["participant"][0]["member"]["reference"],
        format!("Practitioner/{pract}")
    );
    let patient = read_back(&app, "Patient", &ids[PATIENT]).await;
    assert_eq!(
        contract_team(&patient),
        Some(format!("CareTeam/{}", ids[TEAM]))
    );
    assert_eq!(
        patient["generalPractitioner"],
        json!([{"reference": format!("Organization/{org}")}, {"reference": format!("Practitioner/{pract}")}])
    );
    for v in [&o, &p, &role, &team, &patient] {
        assert!(!v.to_string().contains("urn:uuid"), "{v}");
    }

    // The search index holds the rewritten references too.
    let found = app
        .get(
            "admin",
            &format!("/Patient?care-team=CareTeam/{}", ids[TEAM]),
        )
        .await
        .json();
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(entries(&found)[0]["id"], ids[PATIENT].as_str());
    let found = app
        .get("admin", &format!("/PractitionerRole?organization={org}"))
        .await
        .json();
    assert_eq!(found["total"], 1, "{found}");
}

#[tokio::test]
async fn creates_a_linked_network_in_one_go() {
    create_network(&[0, 1, 2, 3, 4]).await;
}

#[tokio::test]
async fn entries_may_reference_entries_that_come_later() {
    create_network(&[4, 3, 2, 1, 0]).await;
}

#[tokio::test]
async fn a_bad_last_entry_stores_nothing() {
    let app = spawn_app().await;
    let pr = demo_ids(&app, "practitioner")[0].clone();
    let stale = {
        let current = app
            .get("admin", &format!("/Practitioner/{pr}"))
            .await
            .json();
        put_entry(current, &pr, Some("W/\"7\""))
    };
    let mut unknown_element = fixtures::practitioner("Tang", "Yi", "110429999997778");
    unknown_element["qualification"] = json!([{"code": {"text": "MD"}}]);
    let mut unresolved = fixtures::location("Ghost wing", "x");
    unresolved["managingOrganization"]["reference"] = json!("urn:uuid:not-in-the-bundle");
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "dangling reference",
            post_entry(
                "urn:uuid:bad",
                fixtures::patient("Wang", "Fang", Some("nope")),
            ),
            422,
            "CareTeam/nope",
        ),
        (
            "unknown code",
            post_entry(
                "urn:uuid:bad",
                fixtures::institution("Moon Clinic", "quaternary", "village-clinic"),
            ),
            422,
            "quaternary",
        ),
        (
            "family doctor at a hospital",
            post_entry(
                "urn:uuid:bad",
                fixtures::role(&pr, "zx-h1", "family-doctor", None),
            ),
            422,
            "primary institution",
        ),
        (
            "missing name",
            post_entry(
                "urn:uuid:bad",
                json!({"resourceType": "Practitioner", "gender": "male"}),
            ),
            400,
            "Practitioner.name",
        ),
        (
            "unknown element",
            post_entry("urn:uuid:bad", unknown_element),
            400,
            "qualification",
        ),
        (
            "reference to a fullUrl not in the bundle",
            post_entry("urn:uuid:bad", unresolved),
            400,
            "managingOrganization",
        ),
        ("stale ifMatch", stale, 412, "version"),
    ];
    for (case, bad, status, needle) in cases {
        let mut list = network();
        list.push(bad);
        refused(&app, case, "admin", &transaction(list), status, needle).await;
    }
    // The entry is named in the expression.
    let mut list = network();
    list.push(post_entry(
        "urn:uuid:bad",
        fixtures::patient("Wang", "Fang", Some("nope")),
    ));
    let resp = app.post("admin", "", &transaction(list)).await;
    let oo = assert_outcome(&resp, 422, "entry 5");
    assert!(
        oo["issue"][0]["expression"][0]
            .as_str()
            .unwrap()
            .starts_with("Bundle.entry[5]"),
        "{oo}"
    );
}

#[tokio::test]
async fn put_entries_create_then_update_with_if_match() {
    let app = spawn_app().await;
    let pract = fixtures::practitioner("Fu", "Lan", "110429999997779");
    let clinic = fixtures::institution("Shuangqiao Village Clinic", "primary", "village-clinic");
    let resp = app
        .post(
            "admin",
            "",
            &transaction(vec![
                put_entry(pract.clone(), "pr-tx-1", None),
                put_entry(clinic, "zx-tx-clinic", None),
            ]),
        )
        .await;
    resp.expect(200);
    let out = resp.json();
    let statuses: Vec<&Value> = out["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["response"]["status"])
        .collect();
    assert_eq!(statuses, [&json!("201 Created"), &json!("201 Created")]);
    assert_eq!(
        out["entry"][0]["response"]["location"],
        "Practitioner/pr-tx-1/_history/1"
    );
    assert_eq!(
        out["entry"][1]["response"]["location"],
        "Organization/zx-tx-clinic/_history/1"
    );

    // Update with the right version, and add a role that points at it by
    // its real id.
    let mut renamed = pract.clone();
    renamed["name"] = json!([{"family": "Fu", "given": ["Lanlan"]}]);
    renamed["id"] = json!("pr-tx-1");
    let role = fixtures::role("pr-tx-1", "zx-tx-clinic", "nurse", None);
    let roles = app.count("PractitionerRole").await;
    let resp = app
        .post(
            "admin",
            "",
            &transaction(vec![
                put_entry(renamed.clone(), "pr-tx-1", Some("W/\"1\"")),
                post_entry("urn:uuid:role", role.clone()),
            ]),
        )
        .await;
    resp.expect(200);
    let out = resp.json();
    assert_eq!(out["entry"][0]["response"]["status"], "200 OK");
    assert_eq!(out["entry"][0]["response"]["etag"], "W/\"2\"");
    assert_eq!(
        out["entry"][0]["response"]["location"],
        "Practitioner/pr-tx-1/_history/2"
    );
    assert_eq!(out["entry"][1]["response"]["status"], "201 Created");
    assert_eq!(app.count("PractitionerRole").await, roles + 1);
    let read = app.get("admin", "/Practitioner/pr-tx-1").await;
    assert_eq!(read.header("etag").as_deref(), Some("W/\"2\""));
    assert_eq!(read.json()["name"][0]["given"], json!(["Lanlan"]));

    // The same If-Match again is stale: nothing of the bundle is stored.
    let mut again = renamed.clone();
    again["gender"] = json!("male");
    let bundle = transaction(vec![
        post_entry("urn:uuid:role", role.clone()),
        put_entry(again, "pr-tx-1", Some("W/\"1\"")),
    ]);
    let before = counts(&app).await;
    let resp = app.post("admin", "", &bundle).await;
    assert_outcome(&resp, 412, "at version 2");
    assert_eq!(counts(&app).await, before);
    let read = app.get("admin", "/Practitioner/pr-tx-1").await;
    assert_eq!(read.header("etag").as_deref(), Some("W/\"2\""));
    assert_eq!(read.json()["gender"], "female");

    // ifMatch on a record that does not exist.
    let bundle = transaction(vec![put_entry(
        pract.clone(),
        "pr-tx-nobody",
        Some("W/\"1\""),
    )]);
    let resp = app.post("admin", "", &bundle).await;
    assert_outcome(&resp, 404, "pr-tx-nobody");
    assert_outcome(
        &app.get("admin", "/Practitioner/pr-tx-nobody").await,
        404,
        "pr-tx-nobody",
    );

    // A malformed ifMatch.
    let bundle = transaction(vec![put_entry(pract, "pr-tx-1", Some("banana"))]);
    let resp = app.post("admin", "", &bundle).await;
    let oo = assert_outcome(&resp, 400, "version");
    assert_eq!(
        oo["issue"][0]["expression"][0],
        "Bundle.entry[0].request.ifMatch"
    );
}

#[tokio::test]
async fn only_transaction_bundles_are_accepted() {
    let app = spawn_app().await;
    for kind in [
        "batch",
        "collection",
        "searchset",
        "document",
        "message",
        "history",
        "Transaction",
    ] {
        let mut b = transaction(network());
        b["type"] = json!(kind);
        refused(&app, kind, "admin", &b, 400, "use transaction").await;
    }
    let mut b = transaction(network());
    b.as_object_mut().unwrap().remove("type");
    refused(&app, "no type", "admin", &b, 400, "Bundle.type").await;
    refused(
        &app,
        "a Patient",
        "admin",
        &fixtures::patient("Wang", "Fang", None),
        400,
        "transaction Bundle",
    )
    .await;
    let mut b = transaction(network());
    b["resourceType"] = json!("Parameters");
    refused(&app, "a Parameters", "admin", &b, 400, "transaction Bundle").await;
}

#[tokio::test]
async fn unsupported_entries_are_refused() {
    let app = spawn_app().await;
    let pr = demo_ids(&app, "practitioner")[0].clone();
    let with_request = |method: &str, url: &str| {
        let mut e = post_entry(
            "urn:uuid:odd",
            fixtures::practitioner("Ma", "Li", "110429999997780"),
        );
        e["request"] = json!({"method": method, "url": url});
        e
    };
    let mut no_request = post_entry(
        "urn:uuid:odd",
        fixtures::practitioner("Ma", "Li", "110429999997780"),
    );
    no_request.as_object_mut().unwrap().remove("request");
    let mut no_resource = post_entry(
        "urn:uuid:odd",
        fixtures::practitioner("Ma", "Li", "110429999997780"),
    );
    no_resource.as_object_mut().unwrap().remove("resource");
    let observation = json!({"fullUrl": "urn:uuid:obs", "resource": {"resourceType": "Observation", "status": "final"}, "request": {"method": "POST", "url": "Observation"}});
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        (
            "DELETE",
            vec![with_request("DELETE", &format!("Practitioner/{pr}"))],
            "DELETE",
        ),
        (
            "GET",
            vec![with_request("GET", &format!("Practitioner/{pr}"))],
            "GET",
        ),
        (
            "PATCH",
            vec![with_request("PATCH", &format!("Practitioner/{pr}"))],
            "PATCH",
        ),
        (
            "POST with an id",
            vec![with_request("POST", "Practitioner/pr-chosen")],
            "POST Type",
        ),
        (
            "PUT without an id",
            vec![with_request("PUT", "Practitioner")],
            "PUT Type/id",
        ),
        (
            "PUT with a bad id",
            vec![with_request("PUT", "Practitioner/bad$id")],
            "bad$id",
        ),
        (
            "conditional create",
            vec![with_request("POST", "Practitioner?identifier=1")],
            "Practitioner?identifier=1",
        ),
        ("no request", vec![no_request], "request"),
        ("no resource", vec![no_resource], "resource"),
        ("Observation", vec![observation], "Observation"),
        (
            "the same record twice",
            vec![
                with_request("PUT", "Practitioner/pr-twice"),
                with_request("PUT", "Practitioner/pr-twice"),
            ],
            "appears twice",
        ),
        (
            "body of another type than the URL",
            vec![with_request("POST", "Organization")],
            "expected resourceType Organization",
        ),
    ];
    for (case, bad, needle) in cases {
        let mut list = network();
        list.extend(bad);
        refused(&app, case, "admin", &transaction(list), 400, needle).await;
    }
}

/// FHIR bdl-7: fullUrl is unique in a bundle. Two entries with the same
/// fullUrl make every reference to it ambiguous.
#[tokio::test]
async fn duplicate_full_urls_are_refused() {
    let app = spawn_app().await;
    let mut list = network();
    // A second organization under the first one's fullUrl: which one do the
    // role and the team belong to?
    list.push(post_entry(
        ORG,
        fixtures::institution("Other Township Health Centre", "primary", "township-centre"),
    ));
    let before = counts(&app).await;
    let resp = app.post("admin", "", &transaction(list)).await;
    assert!(
        (400..500).contains(&resp.status),
        "a bundle with a duplicate fullUrl was accepted: {} {}",
        resp.status,
        resp.body
    );
    assert_outcome(&resp, resp.status, "fullUrl");
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn non_admins_cannot_change_the_registry_by_transaction() {
    let app = spawn_app().await;
    for user in ["doctor", "coordinator", "analyst"] {
        refused(&app, user, user, &transaction(network()), 403, "entry 0").await;
    }
}

/// An empty transaction does nothing; whatever the server answers must be
/// valid FHIR, which has no empty arrays.
#[tokio::test]
async fn an_empty_transaction_changes_nothing_and_answers_valid_fhir() {
    let app = spawn_app().await;
    let before = counts(&app).await;
    for bundle in [
        transaction(vec![]),
        json!({"resourceType": "Bundle", "type": "transaction"}),
    ] {
        let resp = app.post("admin", "", &bundle).await;
        assert_eq!(counts(&app).await, before);
        if resp.status == 200 {
            let v = resp.json();
            assert_eq!(v["type"], "transaction-response");
            assert!(
                v.get("entry")
                    .is_none_or(|e| e.as_array().is_some_and(|a| !a.is_empty())),
                "FHIR JSON has no empty arrays: {v}"
            );
        } else {
            assert_outcome(&resp, resp.status, "");
            assert!((400..500).contains(&resp.status), "{}", resp.body);
        }
    }
}
