//! Everything the server returns is valid FHIR R4, as judged by an
//! independent implementation: `tests/fhir_validate.py` with the Python
//! `fhir.resources` 6.1.0 models. The test writes (where the type is
//! writable) and fetches every kind of resource the server returns, then
//! validates them all in one run of the script.
//!
//! The Python comes from `TIERCARE_PYTHON`, else `<workspace>/.venv`;
//! `./scripts/test.sh` sets it up. Without it these tests fail: they never
//! skip.

use crate::fixtures;
use crate::helpers::{
    FHIR_JSON, REGISTRY_TYPES, Resp, TestApp, demo_ids, entries, send, send_raw, spawn_app,
    workspace_root,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const SETUP: &str = "run ./scripts/test.sh once to create .venv with fhir.resources 6.1.0 \
     (or set TIERCARE_PYTHON to a python that has it)";

/// The python with `fhir.resources` 6.1.0; panics (never skips) without it.
fn python() -> PathBuf {
    let python = std::env::var_os("TIERCARE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    let out = Command::new(&python)
        .args([
            "-c",
            "import fhir.resources, pydantic; print(fhir.resources.__version__)",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {SETUP}", python.display()));
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success(),
        "{} has no fhir.resources ({}); {SETUP}",
        python.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    assert_eq!(
        version,
        "6.1.0",
        "{} has fhir.resources {version}; {SETUP}",
        python.display()
    );
    python
}

/// What one run of the validator said.
struct Verdict {
    success: bool,
    validated: Option<usize>,
    /// Indices of the resources it reported as failing.
    failed: BTreeSet<usize>,
    stdout: String,
}

fn run_validator(resources: &[Value]) -> Verdict {
    let script = workspace_root().join("tests/fhir_validate.py");
    assert!(script.is_file(), "{} is missing", script.display());
    let mut child = Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the validator");
    let input = serde_json::to_vec(resources).expect("JSON");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("write to the validator");
    let out = child.wait_with_output().expect("validator output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 1),
        "the validator could not run ({:?}): {stdout}{stderr}",
        out.status
    );
    let validated = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("validated "))
        .next_back()
        .and_then(|n| n.trim().parse().ok());
    let failed = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FAIL #"))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    Verdict {
        success: out.status.success(),
        validated,
        failed,
        stdout,
    }
}

/// Resources as fetched, each with where it came from.
#[derive(Default)]
struct Collected(Vec<(String, Value)>);

impl Collected {
    /// Keeps the body of a response with the expected status.
    fn keep(&mut self, label: impl Into<String>, resp: &Resp, status: u16) -> Value {
        let label = label.into();
        assert_eq!(resp.status, status, "{label}: {}", resp.body);
        assert!(
            resp.header("content-type")
                .unwrap_or_default()
                .starts_with(FHIR_JSON),
            "{label}: content type {:?}",
            resp.header("content-type")
        );
        let v = resp.json();
        self.0.push((label, v.clone()));
        v
    }

    /// What kinds of resources are here, counting Bundle entries:
    /// `Organization (alliance)`, `Bundle (searchset)`, ...
    fn kinds(&self) -> BTreeMap<String, usize> {
        fn kind(v: &Value) -> String {
            let rt = v["resourceType"].as_str().unwrap_or("?");
            match rt {
                "Bundle" => format!("Bundle ({})", v["type"].as_str().unwrap_or("?")),
                "Organization" => {
                    let alliance = v.to_string().contains("organization-category");
                    format!(
                        "Organization ({})",
                        if alliance { "alliance" } else { "institution" }
                    )
                }
                _ => rt.to_string(),
            }
        }
        let mut out = BTreeMap::new();
        for (_, v) in &self.0 {
            *out.entry(kind(v)).or_insert(0) += 1;
            for e in entries(v) {
                *out.entry(kind(&e)).or_insert(0) += 1;
            }
        }
        out
    }
}

/// Writes and fetches every kind of resource the server returns.
async fn collect(app: &TestApp) -> Collected {
    let mut c = Collected::default();
    let meta = send(app.client.get(app.fhir_url("/metadata"))).await;
    c.keep("metadata", &meta, 200);

    // Registry resources: created, read, updated and read at a version.
    let mut clinic =
        fixtures::institution("Validation Village Clinic", "primary", "village-clinic");
    clinic["partOf"] = json!({"reference": "Organization/zx-tc1"});
    clinic["extension"].as_array_mut().unwrap().push(json!({
        "url": format!("{}/department", fixtures::SD),
        "extension": [
            {"url": "specialty", "valueCoding": {"system": format!("{}/specialty", fixtures::CS), "code": "general-practice"}},
            {"url": "daily-slots", "valueInteger": 60},
            {"url": "beds", "valueInteger": 4}
        ]
    }));
    let pr = demo_ids(app, "practitioner");
    let alliance = fixtures::alliance("Validation league", "zx-h1");
    let mut created = Vec::new();
    for body in [clinic, alliance] {
        created.push(c.keep(
            "create Organization",
            &app.post("admin", "/Organization", &body).await,
            201,
        ));
    }
    let alliance_id = created[1]["id"].as_str().unwrap().to_string();
    let mut bodies = vec![
        fixtures::affiliation(&alliance_id, "zx-tc2", "member"),
        fixtures::affiliation(&alliance_id, "zx-h1", "lead"),
        fixtures::location("Validation wing", "zx-h1"),
        json!({"resourceType": "Location", "name": "Validation annex", "managingOrganization": {"reference": "Organization/zx-tc1"}}),
        fixtures::practitioner("Yao", "Lin", "110429999996666"),
        fixtures::role(&pr[0], "zx-tc1", "family-doctor", Some("general-practice")),
        fixtures::role(&pr[1], "zx-h1", "specialist", Some("cardiology")),
        fixtures::role(&pr[2], "zx-h2", "referral-coordinator", None),
        fixtures::care_team("Validation team", "zx-tc1", &[&pr[0], &pr[1]]),
        fixtures::patient("Lu", "Xin", None),
    ];
    let mut keyed = fixtures::patient("Lu", "Yi", Some("team-tc1-1"));
    keyed["extension"].as_array_mut().unwrap().push(json!({
        "url": format!("{}/key-group", fixtures::SD),
        "valueCoding": {"system": format!("{}/key-group", fixtures::CS), "code": "elderly"}
    }));
    bodies.push(keyed);
    for body in bodies {
        let rt = body["resourceType"].as_str().unwrap().to_string();
        created.push(c.keep(
            format!("create {rt}"),
            &app.post("admin", &format!("/{rt}"), &body).await,
            201,
        ));
    }
    for v in &created {
        let (rt, id) = (
            v["resourceType"].as_str().unwrap(),
            v["id"].as_str().unwrap(),
        );
        c.keep(
            format!("read {rt}/{id}"),
            &app.get("admin", &format!("/{rt}/{id}")).await,
            200,
        );
    }
    let patient = created.last().unwrap().clone();
    let pid = patient["id"].as_str().unwrap();
    let mut changed = patient.clone();
    changed["address"] = json!([{"district": "Dawan Village"}]);
    c.keep(
        "update Patient",
        &app.put(
            "admin",
            &format!("/Patient/{pid}"),
            &changed,
            Some("W/\"1\""),
        )
        .await,
        200,
    );
    c.keep(
        "vread Patient",
        &app.get("admin", &format!("/Patient/{pid}/_history/1"))
            .await,
        200,
    );
    c.keep(
        "doctor reads own patient",
        &app.get("doctor", &format!("/Patient/{pid}")).await,
        200,
    );

    // Searches: every record of every type, paging, nothing found.
    for rt in REGISTRY_TYPES {
        c.keep(
            format!("search {rt}"),
            &app.get("admin", &format!("/{rt}?_count=500")).await,
            200,
        );
    }
    c.keep(
        "page",
        &app.get("admin", "/Patient?_count=10&_offset=10").await,
        200,
    );
    c.keep(
        "empty search",
        &app.get("admin", "/Patient?family=Zzzyzx").await,
        200,
    );
    c.keep(
        "doctor's patients",
        &app.get("doctor", "/Patient?_count=5").await,
        200,
    );
    c.keep(
        "alliances",
        &app.get("admin", "/Organization?type=alliance").await,
        200,
    );

    // Terminology.
    let systems = c.keep(
        "CodeSystem search",
        &app.get("doctor", "/CodeSystem").await,
        200,
    );
    for cs in entries(&systems) {
        let id = cs["id"].as_str().unwrap();
        c.keep(
            format!("CodeSystem/{id}"),
            &app.get("doctor", &format!("/CodeSystem/{id}")).await,
            200,
        );
    }
    c.keep(
        "ConceptMap search",
        &app.get("doctor", "/ConceptMap").await,
        200,
    );
    c.keep(
        "ConceptMap read",
        &app.get("doctor", "/ConceptMap/condition-level").await,
        200,
    );
    for q in [
        "code=I10",
        "code=I63&urgency=emergency",
        "code=I21&stable-chronic=true",
        "code=E11.9&severity=severe",
    ] {
        c.keep(
            format!("$triage {q}"),
            &app.get("doctor", &format!("/CodeSystem/$triage?{q}")).await,
            200,
        );
    }
    let params = json!({"resourceType": "Parameters", "parameter": [
        {"name": "code", "valueCode": "I63"}, {"name": "stable-chronic", "valueBoolean": true}
    ]});
    c.keep(
        "$triage POST",
        &app.post("doctor", "/CodeSystem/$triage", &params).await,
        200,
    );

    // Indicators: the measures and a report of each.
    c.keep("Measure search", &app.get("doctor", "/Measure").await, 200);
    c.keep(
        "Measure read",
        &app.get("doctor", "/Measure/primary-visit-share").await,
        200,
    );
    c.keep(
        "$evaluate-measure",
        &app.get(
            "analyst",
            "/Measure/$evaluate-measure?periodStart=2026-01&periodEnd=2026-12",
        )
        .await,
        200,
    );
    c.keep(
        "$evaluate-measure one",
        &app.get(
            "doctor",
            "/Measure/loop-closure/$evaluate-measure?periodStart=2026&periodEnd=2026&subject=Organization/zx-tc1",
        )
        .await,
        200,
    );

    // A transaction.
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:1c0e7f3a-0000-4000-8000-0000000000a1",
         "resource": fixtures::practitioner("He", "Ping", "110429999996667"),
         "request": {"method": "POST", "url": "Practitioner"}},
        {"fullUrl": "urn:uuid:1c0e7f3a-0000-4000-8000-0000000000a2",
         "resource": {"resourceType": "PractitionerRole", "active": true,
                      "practitioner": {"reference": "urn:uuid:1c0e7f3a-0000-4000-8000-0000000000a1"},
                      "organization": {"reference": "Organization/zx-tc1"},
                      "code": [fixtures::concept("practitioner-role", "nurse")]},
         "request": {"method": "POST", "url": "PractitionerRole"}},
        {"fullUrl": "urn:uuid:1c0e7f3a-0000-4000-8000-0000000000a3",
         "resource": changed.clone().tap(|v| v["birthDate"] = json!("1950-05-07")),
         "request": {"method": "PUT", "url": format!("Patient/{pid}"), "ifMatch": "W/\"2\""}}
    ]});
    c.keep("transaction", &app.post("admin", "", &bundle).await, 200);

    // Errors of every kind.
    let no_token = send(app.client.get(app.fhir_url("/Patient"))).await;
    c.keep("401", &no_token, 401);
    c.keep(
        "400 JSON",
        &send_raw(app, Method::POST, "admin", "/Patient", Some(FHIR_JSON), "{").await,
        400,
    );
    c.keep(
        "400 search",
        &app.get("admin", "/Patient?colour=blue").await,
        400,
    );
    let outsider = demo_ids(app, "resident")
        .into_iter()
        .find(|id| {
            app.residents().any(|r| {
                r.id.as_str() == id
                    && r.contract
                        .as_ref()
                        .is_none_or(|k| k.team.as_str() != "team-tc1-1")
            })
        })
        .expect("a resident outside the doctor's team");
    c.keep(
        "404 hidden patient",
        &app.get("doctor", &format!("/Patient/{outsider}")).await,
        404,
    );
    c.keep(
        "403 registry",
        &app.post(
            "doctor",
            "/Organization",
            &fixtures::alliance("Doctor league", "zx-h1"),
        )
        .await,
        403,
    );
    c.keep("404 type", &app.get("admin", "/Observation/1").await, 404);
    c.keep("404 id", &app.get("admin", "/Patient/nobody").await, 404);
    c.keep(
        "404 endpoint",
        &app.get("admin", "/Patient/1/_history/1/extra").await,
        404,
    );
    let delete = send(
        app.fhir(Method::DELETE, Some("admin"), "/Patient/res-000001")
            .await,
    )
    .await;
    c.keep("405", &delete, 405);
    let over = app
        .put(
            "admin",
            "/Organization/zx-tc3",
            &fixtures::alliance("Usurper league", "zx-h1"),
            None,
        )
        .await;
    c.keep("409", &over, 409);
    c.keep(
        "412",
        &app.put(
            "admin",
            &format!("/Patient/{pid}"),
            &changed,
            Some("W/\"1\""),
        )
        .await,
        412,
    );
    c.keep(
        "415",
        &send_raw(
            app,
            Method::POST,
            "admin",
            "/Patient",
            Some("text/plain"),
            "{}",
        )
        .await,
        415,
    );
    c.keep(
        "422",
        &app.post(
            "admin",
            "/Patient",
            &fixtures::patient("Wang", "Fang", Some("nope")),
        )
        .await,
        422,
    );

    // An emergency case and its alert Task, acknowledged and timed.
    let case = crate::emergency_cases::open_as_admin(app).await;
    c.keep(
        "EpisodeOfCare read",
        &app.get("admin", &format!("/EpisodeOfCare/{case}")).await,
        200,
    );
    c.keep(
        "alert Task read",
        &app.get("admin", &format!("/Task/{case}")).await,
        200,
    );
    let arrive = json!({"resourceType": "Parameters", "parameter": [
        {"name": "bypassed-ed", "valueBoolean": true}]});
    c.keep(
        "EpisodeOfCare $arrive",
        &app.post("admin", &format!("/EpisodeOfCare/{case}/$arrive"), &arrive)
            .await,
        200,
    );
    c.keep(
        "EpisodeOfCare search",
        &app.get("admin", "/EpisodeOfCare?status=active").await,
        200,
    );
    c.keep(
        "alert Task search",
        &app.get("admin", "/Task?code=emergency-alert&status=requested")
            .await,
        200,
    );

    // The audit trail, after all of the above.
    let audit = c.keep(
        "AuditEvent search",
        &app.get("admin", "/AuditEvent?_count=500").await,
        200,
    );
    let events = entries(&audit);
    assert!(
        events.iter().any(|e| e["outcome"] == "4"),
        "a refusal is audited"
    );
    let first = events[0]["id"].as_str().unwrap();
    c.keep(
        "AuditEvent read",
        &app.get("admin", &format!("/AuditEvent/{first}")).await,
        200,
    );
    c.keep(
        "AuditEvent denied",
        &app.get("admin", "/AuditEvent?outcome=4").await,
        200,
    );
    c.keep(
        "AuditEvent by patient",
        &app.get("admin", &format!("/AuditEvent?patient=Patient/{pid}"))
            .await,
        200,
    );
    c
}

/// `v.tap(f)`: a changed copy inline.
trait Tap: Sized {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}
impl Tap for Value {}

#[tokio::test]
async fn every_resource_the_server_returns_is_valid_fhir_r4() {
    let python = python(); // fail fast, before starting anything
    assert!(python.exists());
    let app = spawn_app().await;
    let collected = collect(&app).await;

    // The collection covers every kind of resource the server returns.
    let kinds = collected.kinds();
    for kind in [
        "Organization (institution)",
        "Organization (alliance)",
        "OrganizationAffiliation",
        "Location",
        "Practitioner",
        "PractitionerRole",
        "CareTeam",
        "Patient",
        "CodeSystem",
        "ConceptMap",
        "AuditEvent",
        "CapabilityStatement",
        "OperationOutcome",
        "Bundle (searchset)",
        "Bundle (transaction-response)",
        "Bundle (collection)",
        "Parameters",
        "Measure",
        "MeasureReport",
    ] {
        assert!(
            kinds.contains_key(kind),
            "nothing of kind {kind} collected: {kinds:?}"
        );
    }
    // The whole demo county went through the searches.
    assert!(kinds["Patient"] > crate::helpers::RESIDENTS, "{kinds:?}");

    let resources: Vec<Value> = collected.0.iter().map(|(_, v)| v.clone()).collect();
    let verdict = tokio::task::spawn_blocking(move || run_validator(&resources))
        .await
        .expect("validator task");
    let labels: Vec<String> = verdict
        .failed
        .iter()
        .map(|&i| {
            format!(
                "#{i} {}",
                collected.0.get(i).map_or("?", |(l, _)| l.as_str())
            )
        })
        .collect();
    assert!(
        verdict.success,
        "resources the server returned are not valid FHIR R4 ({}):\n{}",
        labels.join(", "),
        verdict.stdout
    );
    assert!(verdict.failed.is_empty(), "{}", verdict.stdout);
    assert_eq!(
        verdict.validated,
        Some(collected.0.len()),
        "the validator must validate every resource sent: {}",
        verdict.stdout
    );
}

/// The validator is not a no-op: it refuses what is not valid R4 JSON, and
/// counts what it reads.
#[test]
fn the_validator_refuses_invalid_resources() {
    let valid = fixtures::patient("Wang", "Fang", None);
    let resources = vec![
        valid.clone(),
        valid.clone().tap(|v| v["birthDate"] = json!("1950-13-45")),
        valid.clone().tap(|v| v["favouriteColour"] = json!("blue")),
        valid.clone().tap(|v| v["telecom"] = json!([])),
        valid.clone().tap(|v| v["gender"] = Value::Null),
        valid.clone().tap(|v| v["name"] = json!("Wang Fang")),
        json!({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": valid.clone().tap(|v| v["birthDate"] = json!("tomorrow"))}]}),
        json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error"}]}),
        json!({"resourceType": "Nonsense"}),
        json!({"resourceType": "Parameters", "parameter": [{"name": "level", "valueCoding": {"code": ""}}]}),
        json!({"resourceType": "Parameters", "parameter": [{"name": "level", "valueCoding": {"code": "primary"}}]}),
    ];
    let verdict = run_validator(&resources);
    assert!(!verdict.success, "{}", verdict.stdout);
    assert_eq!(
        verdict.validated,
        Some(resources.len()),
        "{}",
        verdict.stdout
    );
    let expected: BTreeSet<usize> = (1..=9).collect();
    assert_eq!(verdict.failed, expected, "{}", verdict.stdout);

    let verdict = run_validator(&[valid.clone(), valid]);
    assert!(verdict.success, "{}", verdict.stdout);
    assert_eq!(verdict.validated, Some(2));
    let verdict = run_validator(&[]);
    assert!(verdict.success, "{}", verdict.stdout);
    assert_eq!(verdict.validated, Some(0));
}

/// Codings in tiercare's own code systems use codes (and displays) those
/// code systems define, as served at /CodeSystem.
#[tokio::test]
async fn every_tiercare_coding_is_defined_by_its_code_system() {
    let app = spawn_app().await;
    let mut collected = collect(&app).await;
    // And every resource of the referral loop: referrals, consults and
    // their messages, results, care plans and follow-up tasks.
    for v in crate::closed_loop::walk(&app).await.seen {
        collected.0.push((format!("loop {}", v["resourceType"]), v));
    }
    let mut defined: HashMap<String, HashMap<String, String>> = HashMap::new();
    for cs in entries(&app.get("admin", "/CodeSystem").await.json()) {
        let concepts = cs["concept"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["code"].as_str().unwrap().to_string(),
                    c["display"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        defined.insert(cs["url"].as_str().unwrap().to_string(), concepts);
    }
    let mut problems = BTreeSet::new();
    let mut seen = 0;
    for (label, v) in &collected.0 {
        walk(v, &mut |o| {
            let (Some(system), Some(code)) = (
                o.get("system").and_then(Value::as_str),
                o.get("code").and_then(Value::as_str),
            ) else {
                return;
            };
            if !system.starts_with("https://tiercare.org/fhir/CodeSystem/") {
                return;
            }
            seen += 1;
            match defined.get(system).map(|cs| cs.get(code)) {
                None => {
                    problems.insert(format!("{label}: code system {system} is not served"));
                }
                Some(None) => {
                    problems.insert(format!("{label}: {system}#{code} is not defined"));
                }
                Some(Some(display)) => {
                    if let Some(d) = o.get("display").and_then(Value::as_str)
                        && d != display
                    {
                        problems.insert(format!(
                            "{label}: {system}#{code} display {d:?}, defined as {display:?}"
                        ));
                    }
                }
            }
        });
    }
    assert!(seen > 100, "only {seen} codings seen");
    assert!(
        problems.is_empty(),
        "{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// Every reference in a registry resource the server returns resolves.
#[tokio::test]
async fn every_reference_in_the_registry_resolves() {
    let app = spawn_app().await;
    let mut targets = BTreeSet::new();
    for rt in REGISTRY_TYPES {
        let bundle = app.get("admin", &format!("/{rt}?_count=500")).await.json();
        assert!(bundle["total"].as_u64().unwrap() <= 500);
        for r in entries(&bundle) {
            walk(&r, &mut |o| {
                if let Some(t) = o.get("reference").and_then(Value::as_str) {
                    targets.insert(t.to_string());
                }
            });
        }
    }
    assert!(targets.len() > 30, "{targets:?}");
    for t in targets {
        let resp = app.get("admin", &format!("/{t}")).await;
        assert_eq!(
            resp.status, 200,
            "reference {t} does not resolve: {}",
            resp.body
        );
    }
}

/// Calls `f` on every JSON object inside `v`.
fn walk(v: &Value, f: &mut impl FnMut(&serde_json::Map<String, Value>)) {
    match v {
        Value::Object(o) => {
            f(o);
            o.values().for_each(|c| walk(c, f));
        }
        Value::Array(a) => a.iter().for_each(|c| walk(c, f)),
        _ => {}
    }
}

/// The HTTP headers around a resource are well-formed too: `ETag` is the
/// weak version tag, `Last-Modified` an HTTP-date (RFC 9110 section 5.6.7,
/// e.g. `Sun, 06 Nov 1994 08:49:37 GMT`) for `meta.lastUpdated`, and
/// `Location` the absolute URL of the new version.
#[tokio::test]
async fn http_headers_are_well_formed() {
    let app = spawn_app().await;
    let created = app
        .post(
            "admin",
            "/Practitioner",
            &fixtures::practitioner("Kong", "Wen", "110429999996668"),
        )
        .await;
    created.expect(201);
    let v = created.json();
    let id = v["id"].as_str().unwrap();
    assert_eq!(
        created.header("location"),
        Some(app.fhir_url(&format!("/Practitioner/{id}/_history/1")))
    );
    let read = app.get("admin", &format!("/Practitioner/{id}")).await;
    read.expect(200);
    let updated = time::OffsetDateTime::parse(
        v["meta"]["lastUpdated"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("meta.lastUpdated is an instant");
    let http_date = updated
        .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .unwrap();
    for (what, resp) in [("create", &created), ("read", &read)] {
        assert_eq!(resp.header("etag").as_deref(), Some("W/\"1\""), "{what}");
        assert_eq!(
            resp.header("last-modified").as_deref(),
            Some(http_date.as_str()),
            "{what}: Last-Modified must be an HTTP-date"
        );
    }
}

/// Asserts that every resource validates as FHIR R4 with `fhir.resources`
/// (for other modules' new resource types).
#[track_caller]
pub fn assert_valid_fhir(resources: &[Value]) {
    let v = run_validator(resources);
    assert!(v.success, "invalid FHIR:\n{}", v.stdout);
    assert_eq!(v.validated, Some(resources.len()), "{}", v.stdout);
}
