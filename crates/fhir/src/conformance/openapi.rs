//! The OpenAPI 3.0 description at `/fhir/r4/openapi.json`, for integrators
//! whose tools read OpenAPI rather than FHIR's CapabilityStatement.
//!
//! It is built from the CapabilityStatement itself
//! ([`capability::statement`]), which is built from the tables the server
//! dispatches on: every resource, interaction, search parameter and named
//! operation in one is in the other, so the two cannot drift apart. The
//! schemas are deliberately loose (a resource is an object with a
//! `resourceType`); the CapabilityStatement and the FHIR specification
//! say the rest.

use super::capability;
use crate::operations::{self, Operation};
use serde_json::{Map, Value, json};

/// Error statuses any FHIR endpoint may answer, each with an
/// `OperationOutcome`.
const ERRORS: [(&str, &str); 12] = [
    (
        "400",
        "The request is malformed: a bad parameter, body or id",
    ),
    ("401", "No valid bearer token"),
    ("403", "The caller may not do this"),
    ("404", "No such resource or endpoint"),
    ("405", "The method is not allowed here"),
    (
        "406",
        "Only JSON is served (_format or Accept asked for another)",
    ),
    ("409", "Conflict with the current state"),
    ("412", "If-Match named a version that is not current"),
    ("413", "The request is over one of the server's limits"),
    (
        "415",
        "The body is not FHIR JSON (or, for _search, not a form)",
    ),
    ("422", "Well-formed but breaks a rule"),
    ("429", "Too many requests; retry later"),
];

/// The OpenAPI document for the FHIR API at `base_url` (`…/fhir/r4`).
pub fn document(base_url: &str) -> Value {
    let statement = capability::statement(base_url);
    let rest = &statement["rest"][0];
    let mut paths = Map::new();
    let public = || json!([]);
    add(
        &mut paths,
        "/metadata",
        "get",
        op(
            "metadata",
            "The CapabilityStatement",
            vec![],
            None,
            "200",
            Some(public()),
        ),
    );
    add(
        &mut paths,
        "/openapi.json",
        "get",
        json!({
            "operationId": "openapi",
            "summary": "This document",
            "security": public(),
            "responses": {"200": {"description": "OpenAPI 3.0", "content": {"application/json": {"schema": {"type": "object"}}}}},
        }),
    );
    add(
        &mut paths,
        "/.well-known/smart-configuration",
        "get",
        json!({
            "operationId": "smart-configuration",
            "summary": "SMART configuration: the token and revocation endpoints",
            "security": public(),
            "responses": {"200": {"description": "SMART configuration", "content": {"application/json": {"schema": {"type": "object"}}}}},
        }),
    );
    let mut transaction = op(
        "transaction",
        "A transaction Bundle: all entries succeed or none",
        vec![],
        Some(resource_schema(Some("Bundle"))),
        "200",
        None,
    );
    transaction["requestBody"]["required"] = json!(true);
    add(&mut paths, "/", "post", transaction);
    for resource in rest["resource"].as_array().into_iter().flatten() {
        let Some(t) = resource["type"].as_str() else {
            continue;
        };
        resource_paths(&mut paths, t, resource);
    }
    for operation in rest["operation"].as_array().into_iter().flatten() {
        operation_paths(&mut paths, operation);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "tiercare FHIR R4 API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Generated from the server's CapabilityStatement (GET /metadata), which says more about each resource. Bodies are FHIR R4 JSON (application/fhir+json); errors are OperationOutcomes. Tokens: POST /auth/token on the server root (grant_type=password).",
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Resource": {
                    "type": "object",
                    "required": ["resourceType"],
                    "properties": {"resourceType": {"type": "string"}, "id": {"type": "string"}},
                },
                "OperationOutcome": {
                    "type": "object",
                    "required": ["resourceType", "issue"],
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                        "issue": {"type": "array", "minItems": 1, "items": {
                            "type": "object",
                            "required": ["severity", "code"],
                            "properties": {
                                "severity": {"type": "string", "enum": ["fatal", "error", "warning", "information"]},
                                "code": {"type": "string"},
                                "diagnostics": {"type": "string"},
                                "expression": {"type": "array", "items": {"type": "string"}},
                            },
                        }},
                    },
                },
            },
            "responses": {"Error": {
                "description": "An OperationOutcome naming the problem",
                "content": {"application/fhir+json": {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}},
            }},
        },
    })
}

/// The paths of one resource type: its interactions, search (GET and
/// `POST _search`) and named operations.
fn resource_paths(paths: &mut Map<String, Value>, t: &str, resource: &Value) {
    let has = |code: &str| {
        resource["interaction"]
            .as_array()
            .is_some_and(|list| list.iter().any(|i| i["code"] == code))
    };
    let type_path = format!("/{t}");
    let instance = format!("/{t}/{{id}}");
    if has("search-type") {
        let params = search_params(resource);
        let query: Vec<Value> = params
            .iter()
            .map(|(name, schema, doc)| {
                json!({"name": name, "in": "query", "required": false, "schema": schema, "description": doc})
            })
            .collect();
        let summary = format!("Search {t}: a searchset Bundle");
        add(
            paths,
            &type_path,
            "get",
            op(&format!("search-{t}"), &summary, query, None, "200", None),
        );
        let form: Map<String, Value> = params
            .into_iter()
            .map(|(name, schema, _)| (name, schema))
            .collect();
        let mut post = op(
            &format!("search-post-{t}"),
            &format!("{summary}, the parameters form-encoded in the body"),
            vec![],
            None,
            "200",
            None,
        );
        post["requestBody"] = json!({"required": true, "content": {
            "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": form}},
        }});
        add(paths, &format!("/{t}/_search"), "post", post);
    }
    if has("create") {
        let body = Some(resource_schema(Some(t)));
        let create = op(
            &format!("create-{t}"),
            &format!("Create a {t}"),
            vec![],
            body,
            "201",
            None,
        );
        add(paths, &type_path, "post", create);
    }
    if has("read") {
        let read = op(
            &format!("read-{t}"),
            &format!("Read a {t}"),
            vec![id_param("id")],
            None,
            "200",
            None,
        );
        add(paths, &instance, "get", read);
    }
    if has("vread") {
        let params = vec![id_param("id"), version_param()];
        let vread = op(
            &format!("vread-{t}"),
            &format!("Read a version of a {t}"),
            params,
            None,
            "200",
            None,
        );
        add(
            paths,
            &format!("/{t}/{{id}}/_history/{{vid}}"),
            "get",
            vread,
        );
    }
    if has("update") {
        let mut params = vec![id_param("id")];
        params.push(if_match("update only that version"));
        let body = Some(resource_schema(Some(t)));
        let update = op(
            &format!("update-{t}"),
            &format!("Update a {t}"),
            params,
            body,
            "200",
            None,
        );
        add(paths, &instance, "put", update);
    }
    if has("delete") {
        let delete = op(
            &format!("delete-{t}"),
            &format!("Delete a {t}"),
            vec![id_param("id")],
            None,
            "200",
            None,
        );
        add(paths, &instance, "delete", delete);
    }
    for operation in resource["operation"].as_array().into_iter().flatten() {
        operation_paths(paths, operation);
    }
}

/// A search's parameters: the resource's own, then paging. Values are
/// strings, as FHIR writes every search value in the query string.
fn search_params(resource: &Value) -> Vec<(String, Value, String)> {
    let mut out: Vec<(String, Value, String)> = resource["searchParam"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = p["name"].as_str()?;
            let kind = p["type"].as_str().unwrap_or("string");
            let doc = p["documentation"].as_str().unwrap_or_default();
            Some((
                name.to_string(),
                json!({"type": "string"}),
                format!("FHIR {kind} search parameter. {doc}")
                    .trim()
                    .to_string(),
            ))
        })
        .collect();
    out.push((
        "_count".into(),
        json!({"type": "integer", "minimum": 1}),
        "Results per page".into(),
    ));
    out.push((
        "_offset".into(),
        json!({"type": "integer", "minimum": 0}),
        "Results to skip".into(),
    ));
    out
}

/// The paths of one named operation, from its declaration (found by the
/// CapabilityStatement entry's `definition`): on the server, its types and
/// their instances, by the methods it answers; a POST's body is a
/// `Parameters` of the declared names, a GET's query the declared
/// parameters.
fn operation_paths(paths: &mut Map<String, Value>, operation: &Value) {
    let Some(decl) = operation["definition"]
        .as_str()
        .and_then(operations::by_url)
    else {
        return;
    };
    let code = decl.code;
    let mut targets: Vec<(String, bool)> = Vec::new();
    if decl.system {
        targets.push((format!("/${code}"), false));
    }
    for t in decl.resource {
        if decl.type_level {
            targets.push((format!("/{t}/${code}"), false));
        }
        if decl.instance {
            targets.push((format!("/{t}/{{id}}/${code}"), true));
        }
    }
    let mut methods = Vec::new();
    if decl.get {
        methods.push("get");
    }
    if decl.post {
        methods.push("post");
    }
    let summary = decl.doc.split(". ").next().unwrap_or(decl.doc);
    for (path, on_instance) in targets {
        for method in &methods {
            let mut params = if on_instance {
                vec![id_param("id")]
            } else {
                vec![]
            };
            if *method == "post" {
                params.push(if_match("the version of the resource acted on"));
            } else {
                params.extend(decl.params.iter().map(|p| {
                    json!({"name": p.name, "in": "query", "required": p.min > 0,
                        "schema": {"type": "string"},
                        "description": format!("{}: {} ({})", p.summary(), p.doc, p.ty.describe())})
                }));
            }
            let body = (*method == "post").then(|| parameters_schema(decl));
            let id = format!(
                "{method}-{}",
                path.trim_start_matches('/')
                    .replace(['/', '{', '}', '$'], "-")
            );
            let o = op(&id, summary, params, body, "200", None);
            add(paths, &path, method, o);
        }
    }
}

/// A `Parameters` body of an operation's declared parameters.
fn parameters_schema(decl: &Operation) -> Value {
    let names: Vec<&str> = decl.params.iter().map(|p| p.name).collect();
    let parameter = if names.is_empty() {
        json!({"type": "array", "maxItems": 0})
    } else {
        json!({"type": "array", "items": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "enum": names}},
        }})
    };
    json!({
        "type": "object",
        "required": ["resourceType"],
        "description": format!("A Parameters resource; ${} takes {} (OperationDefinition {})", decl.code, decl.takes(), decl.url()),
        "properties": {
            "resourceType": {"type": "string", "enum": ["Parameters"]},
            "parameter": parameter,
        },
    })
}

/// One OpenAPI operation object with the usual FHIR answers.
fn op(
    id: &str,
    summary: &str,
    parameters: Vec<Value>,
    body: Option<Value>,
    success: &str,
    security: Option<Value>,
) -> Value {
    let mut responses = Map::new();
    responses.insert(
        success.into(),
        json!({"description": "FHIR JSON", "content": {"application/fhir+json": {"schema": {"$ref": "#/components/schemas/Resource"}}}}),
    );
    for (code, why) in ERRORS {
        responses.insert(
            code.into(),
            json!({"description": why, "content": {"application/fhir+json": {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}}),
        );
    }
    let mut o = json!({
        "operationId": id,
        "summary": summary,
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(schema) = body {
        o["requestBody"] =
            json!({"required": true, "content": {"application/fhir+json": {"schema": schema}}});
    }
    if let Some(s) = security {
        o["security"] = s;
    }
    o
}

/// A FHIR resource, of one type when `t` is given.
fn resource_schema(t: Option<&str>) -> Value {
    let kind = match t {
        Some(t) => json!({"type": "string", "enum": [t]}),
        None => json!({"type": "string"}),
    };
    json!({"type": "object", "required": ["resourceType"], "properties": {"resourceType": kind}})
}

/// A path parameter holding a FHIR id.
fn id_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9\\-\\.]{1,64}$"}})
}

/// The `If-Match` header: a weak ETag naming a version.
fn if_match(doc: &str) -> Value {
    json!({"name": "If-Match", "in": "header", "required": false,
        "schema": {"type": "string", "pattern": "^W/\"[0-9]{1,9}\"$"},
        "description": format!("W/\"version\": {doc}")})
}

/// The version path parameter of a vread.
fn version_param() -> Value {
    json!({"name": "vid", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"}})
}

/// Adds one method to a path, keeping what the path already has.
fn add(paths: &mut Map<String, Value>, path: &str, method: &str, operation: Value) {
    let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
    if entry.get(method).is_none() {
        entry[method] = operation;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_and_search_of_the_statement_is_a_path() {
        let doc = document("http://x/fhir/r4");
        let statement = capability::statement("http://x/fhir/r4");
        let paths = doc["paths"].as_object().unwrap();
        for r in statement["rest"][0]["resource"].as_array().unwrap() {
            let t = r["type"].as_str().unwrap();
            let codes: Vec<&str> = r["interaction"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|i| i["code"].as_str())
                .collect();
            if codes.contains(&"search-type") {
                let get = &paths[&format!("/{t}")]["get"];
                for p in r["searchParam"].as_array().unwrap() {
                    assert!(
                        get["parameters"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|q| q["name"] == p["name"]),
                        "{t} {}",
                        p["name"]
                    );
                }
                assert!(paths[&format!("/{t}/_search")]["post"].is_object(), "{t}");
            }
            if codes.contains(&"read") {
                assert!(paths[&format!("/{t}/{{id}}")]["get"].is_object(), "{t}");
            }
        }
        assert!(paths["/ServiceRequest/{id}/$book"]["post"].is_object());
        assert!(paths["/ServiceRequest/{id}/$actions"]["get"].is_object());
        assert!(paths["/CarePlan/$due"]["get"].is_object());
        assert!(paths["/Measure/$evaluate-measure"]["post"].is_object());
        assert!(paths["/Measure/{id}/$evaluate-measure"]["get"].is_object());
        assert!(paths["/Organization/{id}/$budget"]["get"].is_object());
        assert!(paths["/$estimate"]["get"].is_object());
        assert!(paths["/"]["post"].is_object());
        assert!(paths["/Group/{id}/$export"]["get"].is_object());
        assert!(paths["/CodeSystem/{id}/$triage"]["post"].is_object());
        assert!(paths["/OperationDefinition/{id}"]["get"].is_object());
    }

    #[test]
    fn an_operation_lists_its_declared_parameters() {
        let doc = document("http://x/fhir/r4");
        let book = &doc["paths"]["/ServiceRequest/{id}/$book"]["post"];
        let schema = &book["requestBody"]["content"]["application/fhir+json"]["schema"];
        assert_eq!(
            schema["properties"]["parameter"]["items"]["properties"]["name"]["enum"],
            json!(["slot", "beds"])
        );
        assert!(
            schema["description"]
                .as_str()
                .unwrap()
                .contains("slot (Reference(Slot))")
        );
        let due = &doc["paths"]["/CarePlan/$due"]["get"]["parameters"];
        let names: Vec<&str> = due
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["practitioner", "organization", "date"]);
        assert!(doc["paths"]["/CarePlan/$due"].get("post").is_none());
    }
}
