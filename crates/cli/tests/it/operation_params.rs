//! Every named operation the CapabilityStatement declares, walked as a
//! FHIR client walks it: from `/metadata` to the operation's
//! `OperationDefinition`, and from its parameters to requests. A value of
//! another FHIR type, an unknown parameter, a missing required one and one
//! repeated beyond its max are each refused with a 400 OperationOutcome
//! naming the parameter, in a `Parameters` body and (for the operations
//! invoked by GET) in the query; the definitions served are the
//! declarations the server reads requests by, and openapi.json lists the
//! same parameters.

use crate::helpers::{TestApp, assert_outcome, spawn_app};
use serde_json::{Value, json};
use tiercare_fhir::operations::{self, DEFINITION_BASE};

/// The CapabilityStatement's operations: (resource type or none, entry).
async fn declared_operations(app: &TestApp) -> Vec<(Option<String>, Value)> {
    let meta = app.get("doctor", "/metadata").await;
    meta.expect(200);
    let rest = meta.json()["rest"][0].clone();
    let mut out = Vec::new();
    for r in rest["resource"].as_array().expect("resources") {
        for o in r["operation"].as_array().into_iter().flatten() {
            out.push((r["type"].as_str().map(str::to_string), o.clone()));
        }
    }
    for o in rest["operation"].as_array().into_iter().flatten() {
        out.push((None, o.clone()));
    }
    out
}

/// Where to POST an operation, from its definition: the server, else the
/// type, else an instance (an id of the right shape: bodies are read
/// before the resource is looked up).
fn path_of(def: &Value) -> (String, String) {
    let code = def["code"].as_str().expect("code");
    let resource = def["resource"][0].as_str().unwrap_or_default();
    if def["system"] == true {
        return (format!("/${code}"), format!("/${code}"));
    }
    if def["type"] == true {
        return (
            format!("/{resource}/${code}"),
            format!("/{resource}/${code}"),
        );
    }
    (
        format!("/{resource}/none-1/${code}"),
        format!("/{resource}/{{id}}/${code}"),
    )
}

/// A value of the parameter's declared type, as `(value[x] key, value)`.
fn good_value(p: &Value) -> (String, Value) {
    match p["type"].as_str().expect("type") {
        "code" => ("valueCode".into(), json!("x")),
        "string" => ("valueString".into(), json!("x")),
        "boolean" => ("valueBoolean".into(), json!(true)),
        "integer" => ("valueInteger".into(), json!(2026)),
        "unsignedInt" => ("valueUnsignedInt".into(), json!(1)),
        "positiveInt" => ("valuePositiveInt".into(), json!(1)),
        "date" => ("valueDate".into(), json!("2026-01-01")),
        "dateTime" => ("valueDateTime".into(), json!("2026-01-01T10:00:00+08:00")),
        "decimal" => ("valueDecimal".into(), json!(1.5)),
        "Reference" => {
            let profile = p["targetProfile"][0].as_str().expect("targetProfile");
            let t = profile.rsplit('/').next().expect("type");
            (
                "valueReference".into(),
                json!({"reference": format!("{t}/x-1")}),
            )
        }
        other => panic!("undeclared parameter type {other}"),
    }
}

/// A value of another FHIR type than the parameter's.
fn wrong_value(p: &Value) -> (&'static str, Value) {
    match p["type"].as_str().expect("type") {
        "integer" | "unsignedInt" | "positiveInt" | "decimal" => ("valueBoolean", json!(true)),
        _ => ("valueInteger", json!(7)),
    }
}

fn parameters(list: Vec<Value>) -> Value {
    json!({"resourceType": "Parameters", "parameter": list})
}

fn parameter(name: &str, (key, value): (impl AsRef<str>, Value)) -> Value {
    let mut p = json!({"name": name});
    p[key.as_ref()] = value;
    p
}

#[tokio::test]
async fn every_operation_reads_its_parameters_as_its_definition_declares() {
    let app = spawn_app().await;
    let ops = declared_operations(&app).await;
    assert_eq!(ops.len(), operations::ALL.len(), "one entry per operation");
    let openapi = app.get("doctor", "/openapi.json").await;
    openapi.expect(200);
    let openapi = openapi.json();
    let mut posted = 0;
    for (resource, entry) in ops {
        let url = entry["definition"].as_str().expect("definition");
        let id = url
            .strip_prefix(&format!("{DEFINITION_BASE}/"))
            .unwrap_or_else(|| panic!("{url} is not a tiercare OperationDefinition"));
        // The definition is served, parses, and is the declaration.
        let resp = app
            .get("resident", &format!("/OperationDefinition/{id}"))
            .await;
        resp.expect(200);
        let def = resp.json();
        assert_eq!(def["resourceType"], "OperationDefinition", "{def}");
        assert_eq!(def["url"], url, "{def}");
        assert_eq!(def["code"], entry["name"], "{def}");
        assert_eq!(def["kind"], "operation");
        if let Some(t) = &resource {
            assert!(
                def["resource"]
                    .as_array()
                    .expect("resource")
                    .contains(&json!(t)),
                "{id} is listed on {t}: {def}"
            );
        }
        let declared = operations::find(id).unwrap_or_else(|| panic!("{id} is not declared"));
        let params = def["parameter"].as_array().cloned().unwrap_or_default();
        assert_eq!(params.len(), declared.params.len(), "{id}");
        for (p, d) in params.iter().zip(declared.params) {
            assert_eq!(p["name"], d.name, "{id}");
            assert_eq!(p["use"], "in", "{id}");
            assert_eq!(p["min"], d.min, "{id} {}", d.name);
            assert_eq!(p["max"], d.max.to_string(), "{id} {}", d.name);
            assert_eq!(p["type"], d.ty.fhir_type(), "{id} {}", d.name);
            assert!(
                p["documentation"].as_str().is_some_and(|t| !t.is_empty()),
                "{id} {}",
                d.name
            );
        }
        assert_eq!(def["affectsState"], json!(!declared.get), "{id}");

        let (path, template) = path_of(&def);
        let names: Vec<&str> = params.iter().filter_map(|p| p["name"].as_str()).collect();
        let methods = &openapi["paths"][&template];
        assert!(methods.is_object(), "{template} is not in openapi.json");
        if declared.get {
            // A GET lists the parameters as its query.
            let query: Vec<&str> = methods["get"]["parameters"]
                .as_array()
                .expect("GET parameters")
                .iter()
                .filter(|q| q["in"] == "query")
                .filter_map(|q| q["name"].as_str())
                .collect();
            assert_eq!(query, names, "{template}");
            // The query is read against the same declaration.
            let unknown = app
                .get("admin", &format!("{path}?no-such-parameter=x"))
                .await;
            let outcome = assert_outcome(&unknown, 400, "no-such-parameter");
            for name in &names {
                assert!(outcome.to_string().contains(name), "{path}: {outcome}");
            }
            for p in &params {
                let name = p["name"].as_str().expect("name");
                let bad = match p["type"].as_str().expect("type") {
                    "boolean" => "maybe",
                    "integer" | "unsignedInt" | "positiveInt" => "many",
                    "Reference" => "not%20an%20id",
                    _ => continue,
                };
                let resp = app.get("admin", &format!("{path}?{name}={bad}")).await;
                assert_outcome(&resp, 400, name);
            }
        }
        let Some(post) = methods.get("post") else {
            assert!(
                !declared.post,
                "{template}: declared POST, not in openapi.json"
            );
            continue;
        };
        assert!(
            declared.post,
            "{template}: POST in openapi.json, not declared"
        );
        let schema = &post["requestBody"]["content"]["application/fhir+json"]["schema"];
        for name in &names {
            assert!(
                schema["description"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(name),
                "{template}: the body's description misses {name}: {schema}"
            );
        }
        posted += 1;

        // An unknown parameter is refused, naming it and what is taken.
        let unknown = app
            .post(
                "admin",
                &path,
                &parameters(vec![
                    json!({"name": "no-such-parameter", "valueString": "x"}),
                ]),
            )
            .await;
        let outcome = assert_outcome(&unknown, 400, "no-such-parameter");
        for name in &names {
            assert!(outcome.to_string().contains(name), "{path}: {outcome}");
        }

        // A value of another type is refused, naming the parameter.
        for p in &params {
            let name = p["name"].as_str().expect("name");
            let (key, value) = wrong_value(p);
            let resp = app
                .post(
                    "admin",
                    &path,
                    &parameters(vec![parameter(name, (key, value))]),
                )
                .await;
            let outcome = assert_outcome(&resp, 400, name);
            assert!(
                outcome.to_string().contains(key),
                "{path} {name}: the type sent is not named: {outcome}"
            );
            assert!(
                outcome.to_string().contains(&good_value(p).0),
                "{path} {name}: the type expected is not named: {outcome}"
            );
        }

        // The required parameters: without them, the first is named.
        let required: Vec<&Value> = params.iter().filter(|p| p["min"] == 1).collect();
        if let Some(first) = required.first() {
            let name = first["name"].as_str().expect("name");
            let resp = app.post("admin", &path, &parameters(vec![])).await;
            let outcome = assert_outcome(&resp, 400, name);
            assert!(
                outcome.to_string().contains("required"),
                "{path}: {outcome}"
            );
        }

        // Each given twice (max 1), the required ones given once; a
        // repeatable parameter (finding) is given once more than its max.
        for p in &params {
            let name = p["name"].as_str().expect("name");
            let max: usize = p["max"].as_str().and_then(|m| m.parse().ok()).expect("max");
            let mut list: Vec<Value> = required
                .iter()
                .filter(|r| r["name"] != name)
                .map(|r| parameter(r["name"].as_str().expect("name"), good_value(r)))
                .collect();
            for _ in 0..=max {
                list.push(parameter(name, good_value(p)));
            }
            let resp = app.post("admin", &path, &parameters(list)).await;
            let outcome = assert_outcome(&resp, 400, name);
            let times = format!("{} times", max + 1);
            assert!(outcome.to_string().contains(&times), "{path}: {outcome}");
        }
    }
    assert!(posted > 20, "only {posted} operations take a body");
}

#[tokio::test]
async fn the_definitions_are_searchable_by_url() {
    let app = spawn_app().await;
    let all = app.get("analyst", "/OperationDefinition").await;
    all.expect(200);
    assert_eq!(
        all.json()["total"],
        json!(operations::ALL.len()),
        "{}",
        all.body
    );
    // Each is a valid R4 OperationDefinition to an independent reader.
    let definitions = crate::helpers::entries(&all.json());
    assert_eq!(definitions.len(), operations::ALL.len());
    crate::validate::assert_valid_fhir(&definitions);
    let book = operations::SERVICE_REQUEST_BOOK.url();
    let one = app
        .get("analyst", &format!("/OperationDefinition?url={book}"))
        .await;
    one.expect(200);
    let found = crate::helpers::entries(&one.json());
    assert_eq!(found.len(), 1, "{}", one.body);
    assert_eq!(found[0]["id"], "ServiceRequest-book");
    let missing = app.get("analyst", "/OperationDefinition/no-such-op").await;
    assert_outcome(&missing, 404, "no-such-op");
    let anonymous = crate::helpers::send(
        app.client
            .get(app.fhir_url("/OperationDefinition/ServiceRequest-book")),
    )
    .await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
}
