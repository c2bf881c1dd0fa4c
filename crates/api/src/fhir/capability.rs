//! The `CapabilityStatement` at `/fhir/r4/metadata`: built from the same
//! tables the server dispatches on, so it tells the truth.

use super::{ParamKind, RegistryType};
use serde_json::{Value, json};

fn param_type(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::String => "string",
        ParamKind::Token => "token",
        ParamKind::Reference(_) => "reference",
        ParamKind::Date => "date",
    }
}

/// The server's CapabilityStatement.
pub fn statement(base_url: &str) -> Value {
    let mut resources: Vec<Value> = RegistryType::ALL
        .iter()
        .map(|t| {
            let params: Vec<Value> = t
                .search_params()
                .iter()
                .map(
                    |p| json!({"name": p.name, "type": param_type(p.kind), "documentation": p.doc}),
                )
                .collect();
            json!({
                "type": t.name(),
                "interaction": [
                    {"code": "read"}, {"code": "vread"}, {"code": "update"},
                    {"code": "create"}, {"code": "search-type"}
                ],
                "versioning": "versioned-update",
                "readHistory": true,
                "updateCreate": true,
                "conditionalCreate": false,
                "conditionalUpdate": false,
                "conditionalDelete": "not-supported",
                "searchParam": params,
            })
        })
        .collect();
    resources.push(json!({
        "type": "CodeSystem",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [{"name": "url", "type": "uri"}, {"name": "_id", "type": "token"}],
        "operation": [{
            "name": "triage",
            "definition": "https://tiercare.org/fhir/OperationDefinition/triage",
            "documentation": "GET or POST /CodeSystem/$triage with code (ICD-10), severity (mild|moderate|severe), urgency (routine|urgent|emergency), stable-chronic (true|false): returns the level the case belongs at and why."
        }],
    }));
    resources.push(json!({
        "type": "ConceptMap",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [{"name": "url", "type": "uri"}, {"name": "_id", "type": "token"}],
    }));
    resources.push(json!({
        "type": "AuditEvent",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": "patient", "type": "reference", "documentation": "Patient whose data was accessed"},
            {"name": "agent", "type": "token", "documentation": "Username of the user"},
            {"name": "outcome", "type": "token", "documentation": "0 success, 4 denied or failed"}
        ],
        "documentation": "Administrators only. Every read, search and write of patient data, including refused attempts."
    }));
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-23",
        "publisher": "tiercare",
        "kind": "instance",
        "software": {"name": "tiercare", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": "tiercare: tiered care for a region", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Search results are paged with _count (default 50, at most 500) and _offset. Search values of the same parameter separated by commas are ORed. Updates honour If-Match: W/\"version\".",
            "security": {
                "cors": false,
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "OAuth"}]}],
                "description": "Bearer tokens from POST /auth/token (grant_type=password). Access follows care relationships; every access to patient data is audited."
            },
            "resource": resources,
            "interaction": [{"code": "transaction", "documentation": "All entries succeed or none; urn:uuid fullUrls are resolved."}],
        }],
    })
}
