//! FHIR as ordinary clients use it: what the server gives is taken back
//! (GET then PUT, with derived elements stale or not), `_history`, and
//! conditional create and update.

use crate::fixtures;
use crate::helpers::{DEMO_RESIDENT, FHIR_JSON, TestApp, assert_outcome, send, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

const LICENCE: &str = "https://tiercare.org/fhir/sid/practitioner-licence";

fn without_meta(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("meta");
    }
    v
}

/// The resources of a search's first page.
async fn found(app: &TestApp, path: &str) -> Vec<Value> {
    let resp = app.get("admin", path).await;
    resp.expect(200);
    resp.json()["entry"]
        .as_array()
        .map(|e| e.iter().map(|x| x["resource"].clone()).collect())
        .unwrap_or_default()
}

/// Reads `Type/id` as the admin, PUTs it back unchanged with its ETag and
/// expects 200 and the same resource.
async fn put_back(app: &TestApp, rt: &str, id: &str) {
    let path = format!("/{rt}/{id}");
    let read = app.get("admin", &path).await;
    read.expect(200);
    let etag = read.header("etag").expect("etag");
    let body = read.json();
    let resp = app.put("admin", &path, &body, Some(&etag)).await;
    assert_eq!(resp.status, 200, "{path}: {}", resp.body);
    assert_eq!(without_meta(&resp.json()), without_meta(&body), "{path}");
}

#[tokio::test]
async fn an_unchanged_get_then_put_is_accepted_for_every_writable_type() {
    let app = spawn_app().await;
    let cs = app.get("admin", "/metadata").await.json();
    let writable: Vec<String> = cs["rest"][0]["resource"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| {
            r["interaction"]
                .as_array()
                .is_some_and(|i| i.iter().any(|x| x["code"] == "update"))
        })
        .map(|r| r["type"].as_str().expect("type").to_string())
        .collect();
    assert!(writable.len() >= 8, "{writable:?}");
    let mut done = Vec::new();
    for rt in &writable {
        let mut records = found(&app, &format!("/{rt}?_count=200")).await;
        if rt == "Coverage" {
            records = found(&app, &format!("/Coverage?patient=Patient/{DEMO_RESIDENT}")).await;
        }
        // One of each shape the type serves: a site and a bed pool, a
        // family-doctor team and a mentorship.
        let mut shapes = std::collections::BTreeMap::new();
        for r in &records {
            let shape = (r.get("mode").is_some(), r["category"].to_string());
            shapes.entry(shape).or_insert_with(|| r.clone());
        }
        for r in shapes.values().take(4) {
            put_back(&app, rt, r["id"].as_str().expect("id")).await;
            done.push(format!("{rt}/{}", r["id"].as_str().unwrap_or_default()));
        }
    }
    for rt in crate::helpers::REGISTRY_TYPES.iter().chain(&["Coverage"]) {
        assert!(
            done.iter().any(|d| d.starts_with(&format!("{rt}/"))),
            "{rt} not tried: {done:?}"
        );
    }
    let pools = found(&app, "/Location?_count=500").await;
    assert!(
        pools.iter().any(|l| l.get("mode").is_some()),
        "a bed pool was tried"
    );
}

#[tokio::test]
async fn a_changed_given_name_is_stored_whatever_the_stale_text_says() {
    let app = spawn_app().await;
    let practitioner = found(&app, "/Practitioner?_count=1").await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    for path in [
        format!("/Patient/{DEMO_RESIDENT}"),
        format!("/Practitioner/{practitioner}"),
    ] {
        let read = app.get("admin", &path).await;
        read.expect(200);
        let mut body = read.json();
        let family = body["name"][0]["family"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        body["name"][0]["given"] = json!(["新"]);
        let resp = app
            .put("admin", &path, &body, read.header("etag").as_deref())
            .await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.body);
        let again = app.get("admin", &path).await.json();
        assert_eq!(again["name"][0]["given"], json!(["新"]), "{again}");
        assert_eq!(again["name"][0]["text"], format!("{family}新"), "{again}");
        assert_eq!(again["meta"]["versionId"], "2");
    }
    // A bed pool is the server's: a change is refused, naming the element.
    let pool = found(&app, "/Location?_count=500")
        .await
        .into_iter()
        .find(|l| l.get("mode").is_some())
        .expect("a bed pool");
    let mut changed = pool.clone();
    changed["name"] = json!("More beds");
    let path = format!("/Location/{}", pool["id"].as_str().expect("id"));
    assert_outcome(
        &app.put("admin", &path, &changed, None).await,
        409,
        "Location.name",
    );
}

/// Creates a practitioner with `licence` and returns it.
async fn new_practitioner(app: &TestApp, licence: &str) -> Value {
    app.create(&fixtures::practitioner("钱", "一", licence))
        .await
}

#[tokio::test]
async fn history_lists_every_version_newest_first() {
    let app = spawn_app().await;
    let created = new_practitioner(&app, "110000000000001").await;
    let id = created["id"].as_str().expect("id").to_string();
    let since = created["meta"]["lastUpdated"]
        .as_str()
        .expect("time")
        .to_string();
    let path = format!("/Practitioner/{id}");
    for (v, given) in [(1, "二"), (2, "三")] {
        let mut body = app.get("admin", &path).await.json();
        body["name"][0]["given"] = json!([given]);
        app.put("admin", &path, &body, Some(&format!("W/\"{v}\"")))
            .await
            .expect(200);
    }
    let history = app.get("doctor", &format!("{path}/_history")).await;
    history.expect(200);
    let history = history.json();
    assert_eq!(history["type"], "history");
    assert_eq!(history["total"], 3);
    let entries = history["entry"].as_array().expect("entries");
    let versions: Vec<&str> = entries
        .iter()
        .map(|e| {
            e["resource"]["meta"]["versionId"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(versions, ["3", "2", "1"]);
    let methods: Vec<&str> = entries
        .iter()
        .map(|e| e["request"]["method"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(methods, ["PUT", "PUT", "POST"]);
    assert_eq!(entries[2]["response"]["status"], "201 Created");
    assert_eq!(entries[0]["resource"]["name"][0]["given"], json!(["三"]));
    assert_eq!(entries[0]["fullUrl"], app.fhir_url(&path));
    for e in entries {
        let v = e["resource"]["meta"]["versionId"]
            .as_str()
            .expect("version");
        let old = app.get("doctor", &format!("{path}/_history/{v}")).await;
        old.expect(200);
        assert_eq!(without_meta(&old.json()), without_meta(&e["resource"]));
    }
    // Type level, since the practitioner was created: its three versions
    // and nothing older.
    let all = app
        .get("admin", &format!("/Practitioner/_history?_since={since}"))
        .await;
    all.expect(200);
    let all = all.json();
    assert_eq!(all["total"], 3, "{all}");
    assert!(
        all["entry"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["resource"]["meta"]["lastUpdated"].as_str() >= Some(since.as_str()))
    );
    assert_outcome(
        &app.get("admin", "/Practitioner/_history?name=x").await,
        400,
        "name",
    );
    // A patient's history is the patient's: a doctor caring for them, not
    // every resident's.
    app.get("doctor", &format!("/Patient/{DEMO_RESIDENT}/_history"))
        .await
        .expect(200);
    app.get("doctor", "/Patient/_history").await.expect(403);
    app.get("analyst", &format!("/Patient/{DEMO_RESIDENT}/_history"))
        .await
        .expect(404);
}

async fn post_if_none_exist(app: &TestApp, body: &Value, condition: &str) -> crate::helpers::Resp {
    send(
        app.fhir(Method::POST, Some("admin"), "/Practitioner")
            .await
            .header("content-type", FHIR_JSON)
            .header("if-none-exist", condition)
            .body(body.to_string()),
    )
    .await
}

#[tokio::test]
async fn conditional_create_and_update_make_no_duplicates() {
    let app = spawn_app().await;
    let body = fixtures::practitioner("孙", "立", "120000000000002");
    let condition = format!("identifier={LICENCE}|120000000000002");
    let first = post_if_none_exist(&app, &body, &condition).await;
    first.expect(201);
    let id = first.json()["id"].as_str().expect("id").to_string();
    let before = app.count("Practitioner").await;
    let again = post_if_none_exist(&app, &body, &condition).await;
    again.expect(200);
    assert_eq!(again.json()["id"], id.as_str());
    assert_eq!(again.header("etag").as_deref(), Some("W/\"1\""));
    assert!(again.header("location").is_some_and(|l| l.contains(&id)));
    assert_eq!(app.count("Practitioner").await, before, "no duplicate");
    // Several matches, an empty or unknown condition, a query on POST.
    assert_outcome(
        &post_if_none_exist(&app, &body, "active=true").await,
        412,
        "matches",
    );
    assert_outcome(
        &post_if_none_exist(&app, &body, "").await,
        400,
        "If-None-Exist",
    );
    assert_outcome(
        &post_if_none_exist(&app, &body, "colour=red").await,
        400,
        "colour",
    );
    assert_outcome(
        &app.post("admin", "/Practitioner?identifier=x", &body).await,
        400,
        "identifier",
    );
    assert_eq!(app.count("Practitioner").await, before);

    // Conditional update: no match creates, one match updates it.
    let put_path = format!("/Practitioner?identifier={LICENCE}|130000000000003");
    let body = fixtures::practitioner("周", "一", "130000000000003");
    let created = app.put("admin", &put_path, &body, None).await;
    created.expect(201);
    let new_id = created.json()["id"].as_str().expect("id").to_string();
    let mut body = body;
    body["name"][0]["given"] = json!(["二"]);
    let updated = app.put("admin", &put_path, &body, Some("W/\"1\"")).await;
    updated.expect(200);
    assert_eq!(updated.json()["id"], new_id.as_str());
    assert_eq!(updated.json()["meta"]["versionId"], "2");
    assert_eq!(updated.json()["name"][0]["given"], json!(["二"]));
    app.put("admin", &put_path, &body, Some("W/\"1\""))
        .await
        .expect(412);
    assert_outcome(
        &app.put("admin", "/Practitioner?active=true", &body, None)
            .await,
        412,
        "matches",
    );
}

#[tokio::test]
async fn an_operation_reads_each_parameter_by_its_declared_type() {
    use crate::closed_loop::post_op;
    let app = spawn_app().await;
    let slots = app
        .get("admin", "/Slot?organization=Organization/zx-h1&service-type=cardiology&status=free&reserved=false")
        .await
        .json();
    let slot = crate::helpers::entries(&slots)[0]["id"]
        .as_str()
        .expect("slot")
        .to_string();
    let appointment = crate::helpers::self_book(&app, DEMO_RESIDENT, &slot).await;
    app.on_day_of_appointment(&appointment).await;
    let arrived = post_op(
        &app,
        "coordinator",
        &format!("/Appointment/{appointment}/$arrive"),
        json!({"resourceType": "Parameters"}),
    )
    .await;
    arrived.expect(201);
    let finish = format!(
        "/Encounter/{}/$finish",
        arrived.json()["id"].as_str().expect("id")
    );
    let params = |p: Value| json!({"resourceType": "Parameters", "parameter": [p]});
    // A decimal sent as a string, an unknown parameter: refused, named.
    let mistyped = post_op(
        &app,
        "coordinator",
        &finish,
        params(json!({"name": "charge", "valueString": "300.00"})),
    )
    .await;
    let outcome = assert_outcome(&mistyped, 400, "charge");
    assert!(outcome.to_string().contains("valueString"), "{outcome}");
    assert_outcome(
        &post_op(
            &app,
            "coordinator",
            &finish,
            params(json!({"name": "tip", "valueDecimal": 5})),
        )
        .await,
        400,
        "tip",
    );
    // The declared type is used: the claim is for the amount sent.
    post_op(
        &app,
        "coordinator",
        &finish,
        params(json!({"name": "charge", "valueDecimal": 312.5})),
    )
    .await
    .expect(200);
    let eobs = app
        .get(
            "doctor",
            &format!("/ExplanationOfBenefit?patient=Patient/{DEMO_RESIDENT}"),
        )
        .await
        .json();
    let eob = &crate::helpers::entries(&eobs)[0];
    let submitted = eob["total"]
        .as_array()
        .expect("totals")
        .iter()
        .find(|t| t["category"]["coding"][0]["code"] == "submitted")
        .expect("submitted")["amount"]["value"]
        .as_f64();
    assert_eq!(submitted, Some(312.5), "{eob}");
    // $estimate takes the Money it gives.
    let estimate = app
        .post(
            "admin",
            "/$estimate",
            &json!({"resourceType": "Parameters", "parameter": [
                {"name": "scheme", "valueCode": "urrbmi"},
                {"name": "total", "valueMoney": {"value": 350, "currency": "CNY"}}]}),
        )
        .await;
    estimate.expect(200);
    assert!(estimate.body.contains("350"), "{}", estimate.body);
}

#[tokio::test]
async fn a_transaction_entry_with_if_none_exist_stands_for_the_record_it_finds() {
    let app = spawn_app().await;
    let existing = new_practitioner(&app, "140000000000004").await;
    let id = existing["id"].as_str().expect("id").to_string();
    let before = app.count("Practitioner").await;
    let mut role = fixtures::role("x", "zx-tc1", "nurse", None);
    role["practitioner"]["reference"] = json!("urn:uuid:p");
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:p",
         "resource": fixtures::practitioner("钱", "一", "140000000000004"),
         "request": {"method": "POST", "url": "Practitioner",
                     "ifNoneExist": format!("identifier={LICENCE}|140000000000004")}},
        {"resource": role, "request": {"method": "POST", "url": "PractitionerRole"}}]});
    let resp = app.post("admin", "", &bundle).await;
    resp.expect(200);
    let out = resp.json();
    assert_eq!(out["entry"][0]["response"]["status"], "200 OK", "{out}");
    assert_eq!(
        out["entry"][0]["response"]["location"],
        format!("Practitioner/{id}/_history/1")
    );
    assert_eq!(
        out["entry"][1]["response"]["status"], "201 Created",
        "{out}"
    );
    assert_eq!(app.count("Practitioner").await, before, "no duplicate");
    let role_at = out["entry"][1]["response"]["location"]
        .as_str()
        .expect("location");
    let role_id = role_at.split('/').nth(1).expect("id");
    let role = app
        .get("admin", &format!("/PractitionerRole/{role_id}"))
        .await
        .json();
    assert_eq!(
        role["practitioner"]["reference"],
        format!("Practitioner/{id}")
    );
}

/// A multi-site specialist's second role names the days worked there, as
/// `availableTime.daysOfWeek`; the days come back as sent, and a day that
/// is not one, or one named twice, is refused naming the field.
#[tokio::test]
async fn a_roles_days_of_the_week_round_trip_and_a_bad_day_is_refused() {
    let app = spawn_app().await;
    let p = new_practitioner(&app, "140000000000005").await;
    let id = p["id"].as_str().expect("id").to_string();
    let mut role = fixtures::role(&id, "zx-tc1", "specialist", Some("cardiology"));
    role["availableTime"] = json!([{"daysOfWeek": ["thu", "sat"]}]);
    let made = app.post("admin", "/PractitionerRole", &role).await;
    made.expect(201);
    let back = made.json();
    assert_eq!(
        back["availableTime"],
        json!([{"daysOfWeek": ["thu", "sat"]}]),
        "{back}"
    );
    role["availableTime"] = json!([{"daysOfWeek": ["thu", "thu"]}]);
    let twice = app.post("admin", "/PractitionerRole", &role).await;
    assert_outcome(&twice, 400, "named twice");
    role["availableTime"] = json!([{"daysOfWeek": ["someday"]}]);
    let bad = app.post("admin", "/PractitionerRole", &role).await;
    assert_outcome(&bad, 400, "PractitionerRole.availableTime.daysOfWeek");
    // Times of day are not kept, so they are refused rather than lost.
    role["availableTime"] = json!([{"daysOfWeek": ["mon"], "availableStartTime": "08:00:00"}]);
    let timed = app.post("admin", "/PractitionerRole", &role).await;
    timed.expect(400);

    // The period the days hold over comes back as sent; one that ends
    // before it starts, or a date that is not one, is refused.
    role["availableTime"] = json!([{"daysOfWeek": ["wed"]}]);
    role["period"] = json!({"start": "2026-03-01", "end": "2026-12-31"});
    let made = app.post("admin", "/PractitionerRole", &role).await;
    made.expect(201);
    assert_eq!(made.json()["period"], role["period"], "{}", made.body);
    role["period"] = json!({"start": "2026-03-01", "end": "2026-02-01"});
    let backwards = app.post("admin", "/PractitionerRole", &role).await;
    assert_outcome(&backwards, 400, "period");
    role["period"] = json!({"start": "2026-02-30"});
    let bad = app.post("admin", "/PractitionerRole", &role).await;
    assert_outcome(&bad, 400, "PractitionerRole.period.start");
}
