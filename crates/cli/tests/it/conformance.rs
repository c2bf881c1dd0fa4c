//! Search as FHIR clients expect it, checked against the
//! CapabilityStatement: every declared token parameter takes
//! `system|code` as well as `code`, every search's total is what its pages
//! hold for every role, and the common parameters (`_count=0`,
//! `_summary=count`, `_total`, `_lastUpdated`, `_sort`) behave as declared.

use crate::booking::referrals;
use crate::helpers::{DEMO_RESIDENT, ROLES, TestApp, entries, entry_ids, send};
use crate::referral::HOSPITAL;
use crate::search::link;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tiercare_core::referral::Priority;

/// The demo county with referrals of both priorities and two e-consults,
/// which are ServiceRequests without a Task.
async fn spawn_app() -> TestApp {
    let app = crate::helpers::spawn_app().await;
    referrals(&app, 4, Priority::Routine).await;
    referrals(&app, 3, Priority::Urgent).await;
    for _ in 0..2 {
        let consult = json!({
            "resourceType": "ServiceRequest",
            "status": "active",
            "intent": "order",
            "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "11429006"}]}],
            "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
            "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
            "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
            "note": [{"text": "Treat here or refer?"}]
        });
        app.post("doctor", "/ServiceRequest", &consult)
            .await
            .expect(201);
    }
    app
}

/// The resource entries of the CapabilityStatement that can be searched.
async fn searchable(app: &TestApp) -> Vec<Value> {
    let meta = app.get("admin", "/metadata").await;
    meta.expect(200);
    let cs = meta.json();
    cs["rest"][0]["resource"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| {
            r["interaction"]
                .as_array()
                .is_some_and(|i| i.iter().any(|i| i["code"] == "search-type"))
        })
        .cloned()
        .collect()
}

/// The ids a search finds, page by page along the `next` links, checking
/// that the total is what the pages hold; `None` when the role may not
/// search (any 4xx).
async fn page_through(app: &TestApp, token: &str, path: &str) -> Option<(u64, Vec<String>)> {
    let mut url = app.fhir_url(path);
    let mut ids = Vec::new();
    let mut total = None;
    for page in 0.. {
        assert!(page < 400, "paging does not end: {url}");
        let resp = send(app.client.get(&url).bearer_auth(token)).await;
        if page == 0 && (400..500).contains(&resp.status) {
            return None;
        }
        resp.expect(200);
        let bundle = resp.json();
        let t = bundle["total"].as_u64().expect("total");
        assert_eq!(*total.get_or_insert(t), t, "the total changed: {url}");
        ids.extend(entry_ids(&bundle));
        match link(&bundle, "next") {
            Some(next) => {
                assert!(
                    !entries(&bundle).is_empty(),
                    "an empty page with a next link: {url}"
                );
                url = next;
            }
            None => break,
        }
    }
    let total = total.unwrap_or(0);
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an id came twice in {path}");
    assert_eq!(
        ids.len() as u64,
        total,
        "total and pages disagree for {path}"
    );
    Some((total, ids))
}

/// A search's ids as a sorted set (one page of up to 500).
async fn ids(app: &TestApp, path: &str) -> Vec<String> {
    let resp = app.get("admin", path).await;
    resp.expect(200);
    let mut v = entry_ids(&resp.json());
    v.sort();
    v
}

/// `param` in FHIR's element spelling: `business-status` is `businessStatus`.
fn element(param: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in param.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A code of `system` held by the element: a plain code, or a coding of
/// that system anywhere inside it.
fn code_in(v: &Value, system: &str) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) if m.get("system").and_then(Value::as_str) == Some(system) => {
            m.get("code").and_then(Value::as_str).map(str::to_string)
        }
        Value::Object(m) => m.values().find_map(|x| match x {
            Value::String(_) => None,
            other => code_in(other, system),
        }),
        Value::Array(a) => a.iter().find_map(|x| code_in(x, system)),
        _ => None,
    }
}

/// Token parameters whose values are not codes of a code system: ids,
/// identifiers (searched in their identifier systems), true/false flags,
/// usernames (`AuditEvent.agent`) and a coverage's plan value. Every other
/// token parameter declares its systems.
const NOT_CODED: [&str; 10] = [
    "_id",
    "identifier",
    "active",
    "reserved",
    "bypass",
    "medicine-gap",
    "_overdue",
    "ServiceRequest.alert",
    "AuditEvent.agent",
    "Coverage.class-value",
];

/// Coded token parameters whose systems the CapabilityStatement does not
/// name yet: each is searched by its bare code only.
const NOT_YET_DECLARED: [&str; 9] = [
    "List.item",
    "ServiceRequest.direction",
    "Observation.code",
    "Observation.category",
    "DiagnosticReport.code",
    "CarePlan.category",
    "CarePlan.condition",
    "CarePlan.decision",
    "Schedule.session-status",
];

/// The code of a coding of `system` anywhere in a resource.
fn coding_in(v: &Value, system: &str) -> Option<String> {
    match v {
        Value::Object(m) if m.get("system").and_then(Value::as_str) == Some(system) => {
            m.get("code").and_then(Value::as_str).map(str::to_string)
        }
        Value::Object(m) => m.values().find_map(|x| coding_in(x, system)),
        Value::Array(a) => a.iter().find_map(|x| coding_in(x, system)),
        _ => None,
    }
}

#[tokio::test]
async fn every_token_parameter_with_a_system_takes_system_and_code() {
    let app = spawn_app().await;
    // A subscription, so Subscription.status has a record to find.
    app.post(
        "admin",
        "/Subscription",
        &json!({
            "resourceType": "Subscription",
            "status": "off",
            "reason": "Paused",
            "criteria": "Task",
            "channel": {"type": "rest-hook", "endpoint": "http://127.0.0.1:9/"}
        }),
    )
    .await
    .expect(201);
    // A self-booked visit and an outreach programme, so Appointment and
    // HealthcareService have records too.
    let slots = app
        .get(
            "admin",
            "/Slot?organization=Organization/zx-t1&status=free&reserved=false",
        )
        .await
        .json();
    let slot = entries(&slots)[0]["id"]
        .as_str()
        .expect("a free slot")
        .to_string();
    crate::helpers::self_book(&app, DEMO_RESIDENT, &slot).await;
    let now = time::OffsetDateTime::now_utc();
    let specialist = crate::outreach::practitioner_of(&app, "specialist");
    app.post(
        "coordinator",
        "/HealthcareService",
        &crate::outreach::programme(
            &[&specialist],
            now - time::Duration::days(1),
            now + time::Duration::days(60),
        ),
    )
    .await
    .expect(201);
    let mut checked = BTreeSet::new();
    for r in searchable(&app).await {
        let ty = r["type"].as_str().expect("type");
        let found = app.get("admin", &format!("/{ty}?_count=500")).await;
        if found.status != 200 {
            continue; // a type searched only with a required parameter
        }
        let resources = entries(&found.json());
        for p in r["searchParam"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().expect("name");
            let systems: Vec<&str> = p["extension"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| {
                    e["url"]
                        .as_str()
                        .is_some_and(|u| u.ends_with("/token-system"))
                })
                .filter_map(|e| e["valueUri"].as_str())
                .collect();
            if p["type"] == "token" && systems.is_empty() {
                let qualified = format!("{ty}.{name}");
                assert!(
                    NOT_CODED.contains(&name)
                        || NOT_CODED.contains(&qualified.as_str())
                        || NOT_YET_DECLARED.contains(&qualified.as_str()),
                    "{qualified} is a token parameter without a declared system"
                );
            }
            for system in systems {
                assert_eq!(p["type"], "token", "{ty}.{name}");
                // The element the parameter is named after, else wherever
                // the resource carries a coding of the system (an
                // extension, or PractitionerRole.code for `role`).
                let Some(code) = resources.iter().find_map(|res| {
                    code_in(&res[element(name)], system).or_else(|| coding_in(res, system))
                }) else {
                    continue;
                };
                let q = |v: &str| format!("/{ty}?{name}={}&_count=500", urlencode(v));
                let plain = ids(&app, &q(&code)).await;
                assert!(!plain.is_empty(), "{ty}?{name}={code} finds nothing");
                let with_system = ids(&app, &q(&format!("{system}|{code}"))).await;
                assert_eq!(
                    plain, with_system,
                    "{ty}.{name}: {system}|{code} and {code} differ"
                );
                let no_system = ids(&app, &q(&format!("|{code}"))).await;
                assert_eq!(plain, no_system, "{ty}.{name}: |{code}");
                let any_code = ids(&app, &q(&format!("{system}|"))).await;
                assert!(
                    plain.iter().all(|id| any_code.contains(id)),
                    "{ty}.{name}: {system}| misses some of {code}"
                );
                let unknown = app
                    .get("admin", &q(&format!("http://example.org/other|{code}")))
                    .await;
                unknown.expect(200);
                assert_eq!(unknown.json()["total"], 0, "{ty}.{name}: an unknown system");
                checked.insert(format!("{ty}.{name}"));
                checked.insert(format!("{ty}.{name} in {system}"));
            }
        }
    }
    for want in [
        "Patient.gender",
        "ServiceRequest.category",
        "ServiceRequest.status",
        "ServiceRequest.priority",
        "Task.status",
        "Task.code",
        "Appointment.status",
        "Slot.service-type",
        "Patient.key-group",
        "PractitionerRole.role",
        "PractitionerRole.specialty",
        "HealthcareService.specialty",
        "Organization.type in https://tiercare.org/fhir/CodeSystem/level",
        "Organization.type in https://tiercare.org/fhir/CodeSystem/institution-kind",
        "Organization.type in https://tiercare.org/fhir/CodeSystem/organization-category",
        "Organization.type in https://tiercare.org/fhir/CodeSystem/alliance-kind",
        "Measure.status",
        "Subscription.status",
        "AuditEvent.outcome",
        "CareTeam.status",
        "CareTeam.category",
        "OrganizationAffiliation.role",
        "HealthcareService.service-category",
    ] {
        assert!(checked.contains(want), "{want} not checked: {checked:?}");
    }
    // The SNOMED codes of a referral and an e-consult, with or without
    // their system, find what the aliases find.
    for (alias, code) in [("referral", "3457005"), ("consult", "11429006")] {
        let by_alias = ids(
            &app,
            &format!("/ServiceRequest?category={alias}&_count=500"),
        )
        .await;
        assert!(!by_alias.is_empty(), "no {alias}");
        let by_code = ids(&app, &format!("/ServiceRequest?category={code}&_count=500")).await;
        let by_system = ids(
            &app,
            &format!("/ServiceRequest?category=http://snomed.info/sct%7C{code}&_count=500"),
        )
        .await;
        assert_eq!((&by_alias, &by_alias), (&by_code, &by_system), "{alias}");
    }
    // A malformed token is refused.
    let bad = app.get("admin", "/Patient?gender=a%7Cb%7Cc").await;
    assert_eq!(bad.status, 400);
}

fn urlencode(v: &str) -> String {
    v.replace('|', "%7C")
        .replace(':', "%3A")
        .replace('/', "%2F")
}

#[tokio::test]
async fn totals_are_what_the_pages_hold_for_every_role() {
    let app = spawn_app().await;
    let types: Vec<String> = searchable(&app)
        .await
        .iter()
        .filter_map(|r| r["type"].as_str().map(str::to_string))
        .collect();
    let mut searched = 0;
    for role in ROLES {
        let token = app.token(role).await;
        for ty in &types {
            let Some((total, _)) = page_through(&app, &token, &format!("/{ty}?_count=7")).await
            else {
                continue;
            };
            searched += 1;
            // `_count=0` answers the total only.
            let count = send(
                app.client
                    .get(app.fhir_url(&format!("/{ty}?_count=0")))
                    .bearer_auth(&token),
            )
            .await;
            count.expect(200);
            let b = count.json();
            assert_eq!(b["total"], total, "{role}: {ty}?_count=0");
            assert!(entries(&b).is_empty(), "{role}: {ty}?_count=0 has entries");
            assert!(
                link(&b, "next").is_none(),
                "{role}: {ty}?_count=0 has a next link"
            );
        }
    }
    assert!(searched > 40, "only {searched} searches answered");
    // The Task worklist counts only referrals' Tasks, as it returns.
    let token = app.token("admin").await;
    let (tasks, _) = page_through(&app, &token, "/Task?_count=1")
        .await
        .expect("tasks");
    let (referrals, _) = page_through(&app, &token, "/ServiceRequest?category=referral&_count=50")
        .await
        .expect("referrals");
    assert_eq!(tasks, referrals);
}

#[tokio::test]
async fn summary_total_last_updated_and_sort() {
    let app = spawn_app().await;
    let all = app.get("admin", "/ServiceRequest?_count=500").await.json();
    let n = all["total"].as_u64().expect("total");
    assert!(n > 3);
    let count = app
        .get("admin", "/ServiceRequest?_summary=count")
        .await
        .json();
    assert_eq!(count["total"], n);
    assert!(count.get("entry").is_none());
    let untotalled = app
        .get("admin", "/ServiceRequest?_total=none&_count=2")
        .await
        .json();
    assert!(untotalled.get("total").is_none(), "{untotalled}");
    assert_eq!(entries(&untotalled).len(), 2);
    assert_eq!(
        app.get("admin", "/ServiceRequest?_total=maybe")
            .await
            .status,
        400
    );
    assert_eq!(
        app.get("admin", "/ServiceRequest?_summary=text")
            .await
            .status,
        400
    );

    // `_lastUpdated` compares the day of the last write.
    let updated: Vec<String> = entries(&all)
        .iter()
        .map(|r| {
            r["meta"]["lastUpdated"]
                .as_str()
                .expect("lastUpdated")
                .to_string()
        })
        .collect();
    let day = &updated[0][..10];
    let total = |path: String| {
        let app = &app;
        async move {
            let r = app.get("admin", &path).await;
            r.expect(200);
            r.json()["total"].as_u64().expect("total")
        }
    };
    let on_day = updated.iter().filter(|u| u.starts_with(day)).count() as u64;
    assert_eq!(
        total(format!("/ServiceRequest?_lastUpdated={day}")).await,
        on_day
    );
    assert_eq!(
        total(format!("/ServiceRequest?_lastUpdated=eq{day}")).await,
        on_day
    );
    let before = updated.iter().filter(|u| u[..10] < *day).count() as u64;
    assert_eq!(
        total(format!("/ServiceRequest?_lastUpdated=lt{day}")).await,
        before
    );
    assert_eq!(
        total(format!("/ServiceRequest?_lastUpdated=le{day}")).await,
        before + on_day
    );
    assert_eq!(
        total(format!("/ServiceRequest?_lastUpdated=gt{day}")).await,
        n - before - on_day
    );
    assert_eq!(
        total("/ServiceRequest?_lastUpdated=ge1990-01-01".into()).await,
        n
    );
    assert_eq!(
        total("/ServiceRequest?_lastUpdated=lt1990-01-01".into()).await,
        0
    );
    assert_eq!(
        app.get("admin", "/ServiceRequest?_lastUpdated=xx")
            .await
            .status,
        400
    );
    // An instant, in any offset, compares with the write time itself.
    let mut sorted = updated.clone();
    sorted.sort();
    let latest = sorted.last().expect("latest").clone();
    let at_latest = sorted.iter().filter(|u| **u == latest).count() as u64;
    let at = |prefix: &str, instant: &str| {
        format!(
            "/ServiceRequest?_lastUpdated={prefix}{}",
            instant.replace('+', "%2B")
        )
    };
    assert_eq!(total(at("gt", &latest)).await, 0);
    assert_eq!(total(at("ge", &latest)).await, at_latest);
    assert_eq!(total(at("eq", &latest)).await, at_latest);
    assert_eq!(total(at("lt", "2999-01-01T08:00:00+08:00")).await, n);
    let bad = at("gt", "2026-01-01T25:00:00Z");
    assert_eq!(app.get("admin", &bad).await.status, 400);

    // `_sort` on a date parameter and on `_lastUpdated`, both ways.
    let field = |bundle: &Value, f: &dyn Fn(&Value) -> String| -> Vec<String> {
        entries(bundle).iter().map(f).collect()
    };
    let authored = |r: &Value| r["authoredOn"].as_str().unwrap_or_default().to_string();
    let asc = app
        .get("admin", "/ServiceRequest?_sort=authored&_count=500")
        .await
        .json();
    // Records without the key come last both ways, on either engine.
    let missing_last = |mut v: Vec<String>, descending: bool| {
        v.sort_by(|a, b| {
            let by_value = if descending { b.cmp(a) } else { a.cmp(b) };
            a.is_empty().cmp(&b.is_empty()).then(by_value)
        });
        v
    };
    let got = field(&asc, &authored);
    assert_eq!(got, missing_last(got.clone(), false), "ascending");
    assert_eq!(got.len() as u64, n);
    let desc = app
        .get("admin", "/ServiceRequest?_sort=-authored&_count=500")
        .await
        .json();
    let got = field(&desc, &authored);
    assert_eq!(got, missing_last(got.clone(), true), "descending");
    assert_ne!(field(&asc, &authored), field(&desc, &authored));
    let last = |r: &Value| {
        r["meta"]["lastUpdated"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let latest = app
        .get("admin", "/Patient?_sort=-_lastUpdated&_count=500")
        .await
        .json();
    let got = field(&latest, &last);
    let mut want = got.clone();
    want.sort();
    want.reverse();
    assert_eq!(got, want, "latest first");
    let refused = app.get("admin", "/ServiceRequest?_sort=priority").await;
    assert_eq!(refused.status, 400);
    // Paging a sorted search keeps its order across pages.
    let first = app
        .get("admin", "/ServiceRequest?_sort=-authored&_count=2")
        .await
        .json();
    let next = link(&first, "next").expect("next");
    let second = send(app.client.get(&next).bearer_auth(app.token("admin").await))
        .await
        .json();
    let mut joined = field(&first, &authored);
    joined.extend(field(&second, &authored));
    assert_eq!(joined, missing_last(joined.clone(), true));
}

/// The entries of a Bundle with their search mode.
fn modes(bundle: &Value) -> Vec<(String, String)> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                format!(
                    "{}/{}",
                    e["resource"]["resourceType"].as_str().unwrap_or_default(),
                    e["resource"]["id"].as_str().unwrap_or_default()
                ),
                e["search"]["mode"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_referral_comes_with_its_patient_and_task_in_one_call() {
    let app = spawn_app().await;
    let referrals = app
        .get("admin", "/ServiceRequest?category=referral&_count=1")
        .await
        .json();
    let r = entries(&referrals).remove(0);
    let id = r["id"].as_str().expect("id").to_string();
    let patient = r["subject"]["reference"]
        .as_str()
        .expect("subject")
        .to_string();
    let path =
        format!("/ServiceRequest?_id={id}&_include=ServiceRequest:patient&_revinclude=Task:focus");
    let b = app.get("admin", &path).await;
    b.expect(200);
    let b = b.json();
    assert_eq!(b["total"], 1, "includes do not count");
    assert_eq!(
        modes(&b),
        vec![
            (format!("ServiceRequest/{id}"), "match".into()),
            (patient.clone(), "include".into()),
            (format!("Task/{id}"), "include".into()),
        ]
    );
    // The Task search includes its referral and its patient.
    let t = app
        .get(
            "admin",
            &format!("/Task?_id={id}&_include=Task:focus&_include=Task:for"),
        )
        .await
        .json();
    let got: BTreeSet<(String, String)> = modes(&t).into_iter().collect();
    let want: BTreeSet<(String, String)> = [
        (format!("Task/{id}"), "match".to_string()),
        (format!("ServiceRequest/{id}"), "include".to_string()),
        (patient.clone(), "include".to_string()),
    ]
    .into();
    assert_eq!(got, want);
    assert_eq!(t["total"], 1);
    // Task?focus names the referral, or a care plan's follow-ups.
    let by_focus = app
        .get("admin", &format!("/Task?focus=ServiceRequest/{id}"))
        .await
        .json();
    assert_eq!(entry_ids(&by_focus), vec![id.clone()]);
    let plan_tasks = app.get("admin", "/Task?focus=CarePlan/none").await;
    plan_tasks.expect(200);
    assert_eq!(plan_tasks.json()["total"], 0);
    // An include not declared is refused.
    let bad = app
        .get("admin", "/ServiceRequest?_include=ServiceRequest:performer")
        .await;
    assert_eq!(bad.status, 400);
    let meta = app.get("admin", "/metadata").await.json();
    let sr = meta["rest"][0]["resource"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["type"] == "ServiceRequest")
        .cloned()
        .expect("ServiceRequest");
    assert!(
        sr["searchInclude"]
            .as_array()
            .expect("searchInclude")
            .contains(&"ServiceRequest:patient".into())
    );
    assert!(
        sr["searchRevInclude"]
            .as_array()
            .expect("rev")
            .contains(&"Task:focus".into())
    );

    // One round trip against three.
    let token = app.token("admin").await;
    let get = |p: String| {
        let req = app.client.get(app.fhir_url(&p)).bearer_auth(&token);
        async move { send(req).await.expect(200).status }
    };
    let rounds = 20;
    let t0 = std::time::Instant::now();
    for _ in 0..rounds {
        get(path.clone()).await;
    }
    let one = t0.elapsed();
    let t1 = std::time::Instant::now();
    for _ in 0..rounds {
        get(format!("/ServiceRequest?_id={id}")).await;
        get(format!("/{patient}")).await;
        get(format!("/Task/{id}")).await;
    }
    let separate = t1.elapsed();
    eprintln!(
        "include round trip vs separate calls: {:.2}x the time of the separate calls",
        one.as_secs_f64() / separate.as_secs_f64()
    );
}

#[tokio::test]
async fn includes_never_show_what_the_caller_may_not_read() {
    let app = spawn_app().await;
    for role in ROLES {
        let token = app.token(role).await;
        let url = app.fhir_url(
            "/ServiceRequest?_include=ServiceRequest:patient&_revinclude=Task:focus&_count=500",
        );
        let resp = send(app.client.get(&url).bearer_auth(&token)).await;
        if resp.status != 200 {
            continue;
        }
        for (reference, mode) in modes(&resp.json()) {
            if mode != "include" {
                continue;
            }
            // Each included resource reads the same for this role.
            let read = send(
                app.client
                    .get(app.fhir_url(&format!("/{reference}")))
                    .bearer_auth(&token),
            )
            .await;
            assert_eq!(
                read.status, 200,
                "{role} was shown {reference} but may not read it"
            );
        }
        let tasks = app.fhir_url("/Task?_include=Task:patient&_include=Task:focus&_count=500");
        let resp = send(app.client.get(&tasks).bearer_auth(&token)).await;
        if resp.status == 200 {
            for (reference, mode) in modes(&resp.json()) {
                if mode == "include" {
                    let read = send(
                        app.client
                            .get(app.fhir_url(&format!("/{reference}")))
                            .bearer_auth(&token),
                    )
                    .await;
                    assert_eq!(read.status, 200, "{role} was shown {reference}");
                }
            }
        }
    }
    // A doctor's referral list includes only patients the doctor may read:
    // some patients of its referrals are left out.
    let token = app.token("doctor").await;
    let url = app.fhir_url("/ServiceRequest?_include=ServiceRequest:patient&_count=500");
    let b = send(app.client.get(&url).bearer_auth(&token)).await.json();
    let included: Vec<String> = modes(&b)
        .into_iter()
        .filter(|(r, m)| m == "include" && r.starts_with("Patient/"))
        .map(|(r, _)| r)
        .collect();
    assert!(
        !included.is_empty(),
        "the doctor sees no patient of its referrals"
    );
    // Each included patient was read as a read is: audited against them.
    for reference in included {
        let patient = reference.trim_start_matches("Patient/").to_string();
        let (audit, _) = app
            .state
            .ctx
            .store
            .audit_search(&tiercare_store::AuditQuery {
                patient: Some(patient),
                username: Some("doctor".into()),
                count: 500,
                ..Default::default()
            })
            .await
            .expect("audit");
        assert!(
            audit
                .iter()
                .any(|e| e.action == "read" && e.resource_type == "Patient"),
            "the include of {reference} was not audited as a read"
        );
    }
}
