//! The HTTP conventions ordinary FHIR clients expect: `POST _search`, a
//! trailing slash on FHIR paths, content negotiation (JSON only, 406
//! otherwise), CORS for configured origins, the SMART configuration and
//! the OpenAPI description.

use crate::helpers::{
    FHIR_JSON, TestApp, assert_outcome, entry_ids, send, spawn_app, spawn_app_with,
};
use crate::search::link;
use reqwest::Method;
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded";

/// `POST [type]/_search` with a form body, as the admin.
async fn post_search(app: &TestApp, path: &str, form: &str) -> crate::helpers::Resp {
    send(
        app.fhir(Method::POST, Some("admin"), path)
            .await
            .header("content-type", FORM)
            .body(form.to_string()),
    )
    .await
}

#[tokio::test]
async fn post_search_answers_as_get_and_a_trailing_slash_is_no_slash() {
    let app = spawn_app().await;

    // The same parameters, in the query or in a form body: the same answer,
    // and the self link is the GET form.
    let get = app.get("admin", "/Patient?gender=female&_count=5").await;
    get.expect(200);
    let get = get.json();
    let post = post_search(&app, "/Patient/_search", "gender=female&_count=5").await;
    post.expect(200);
    let post = post.json();
    assert_eq!(post["type"], "searchset", "{post}");
    assert_eq!(entry_ids(&post), entry_ids(&get));
    assert_eq!(post["total"], get["total"]);
    assert!(!entry_ids(&post).is_empty());
    let self_link = link(&post, "self").expect("self link");
    assert!(!self_link.contains("_search"), "{self_link}");
    assert_eq!(Some(self_link), link(&get, "self"));

    // Query-string and body parameters are merged.
    let merged = post_search(&app, "/Patient/_search?_count=2", "gender=male").await;
    merged.expect(200);
    let expected = app
        .get("admin", "/Patient?_count=2&gender=male")
        .await
        .json();
    assert_eq!(entry_ids(&merged.json()), entry_ids(&expected));
    assert_eq!(entry_ids(&merged.json()).len(), 2);

    // A workflow resource's search, and the refusals of a bad search stay
    // refusals.
    let requests = post_search(&app, "/ServiceRequest/_search", "_count=3").await;
    requests.expect(200);
    assert_eq!(
        entry_ids(&requests.json()),
        entry_ids(&app.get("admin", "/ServiceRequest?_count=3").await.json())
    );
    let bad = post_search(&app, "/Patient/_search", "no-such-param=1").await;
    assert_eq!(
        bad.status,
        app.get("admin", "/Patient?no-such-param=1").await.status
    );
    let json_body = send(
        app.fhir(Method::POST, Some("admin"), "/Patient/_search")
            .await
            .header("content-type", FHIR_JSON)
            .body("{}"),
    )
    .await;
    assert_outcome(&json_body, 415, "x-www-form-urlencoded");
    let anonymous = send(
        app.fhir(Method::POST, None, "/Patient/_search")
            .await
            .header("content-type", FORM)
            .body("gender=female"),
    )
    .await;
    anonymous.expect(401);

    // A trailing slash on the base and on resource paths.
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": []});
    let tx = app.post("admin", "/", &bundle).await;
    tx.expect(200);
    assert_eq!(tx.json()["type"], "transaction-response");
    let meta = send(app.client.get(app.fhir_url("/metadata/"))).await;
    meta.expect(200);
    assert_eq!(meta.json()["resourceType"], "CapabilityStatement");
    let id = &entry_ids(&get)[0];
    let plain = app.get("admin", &format!("/Patient/{id}")).await;
    let slashed = app.get("admin", &format!("/Patient/{id}/")).await;
    slashed.expect(200);
    assert_eq!(slashed.json(), plain.json());
    let search = app.get("admin", "/Patient/?gender=female&_count=5").await;
    search.expect(200);
    assert_eq!(entry_ids(&search.json()), entry_ids(&get));
    let slashed_search = post_search(&app, "/Patient/_search/", "gender=female&_count=5").await;
    slashed_search.expect(200);
    assert_eq!(entry_ids(&slashed_search.json()), entry_ids(&get));
}

#[tokio::test]
async fn only_json_is_served_and_the_server_describes_itself() {
    let app = spawn_app().await;

    // Content negotiation: XML is 406 with an OperationOutcome in JSON.
    let xml = app.get("admin", "/Patient?_format=xml").await;
    assert_outcome(&xml, 406, "json");
    let xml_meta = send(
        app.client
            .get(app.fhir_url("/metadata?_format=application/fhir%2Bxml")),
    )
    .await;
    assert_outcome(&xml_meta, 406, "json");
    let accept_xml = send(
        app.fhir(Method::GET, Some("admin"), "/Patient")
            .await
            .header("accept", "application/fhir+xml"),
    )
    .await;
    assert_outcome(&accept_xml, 406, "application/fhir+json");
    for accept in [
        Some("application/fhir+json"),
        Some("application/json"),
        Some("*/*"),
        None,
    ] {
        let mut rb = app
            .fhir(Method::GET, Some("admin"), "/Patient?_count=1")
            .await;
        if let Some(a) = accept {
            rb = rb.header("accept", a);
        }
        send(rb).await.expect(200);
    }
    for format in ["json", "application/fhir%2Bjson"] {
        let ok = app
            .get("admin", &format!("/Patient?_count=1&_format={format}"))
            .await;
        ok.expect(200);
        assert_eq!(ok.json()["type"], "searchset");
        let request = app
            .get(
                "admin",
                &format!("/ServiceRequest?_count=1&_format={format}"),
            )
            .await;
        request.expect(200);
    }

    // SMART configuration, at the root and under the FHIR base.
    for path in [
        "/.well-known/smart-configuration",
        "/fhir/r4/.well-known/smart-configuration",
    ] {
        let smart = send(app.client.get(app.url(path))).await;
        smart.expect(200);
        let smart = smart.json();
        assert_eq!(
            smart["token_endpoint"],
            format!("{}/auth/token", app.base),
            "{smart}"
        );
        assert_eq!(
            smart["revocation_endpoint"],
            format!("{}/auth/revoke", app.base)
        );
        assert_eq!(smart["grant_types_supported"], json!(["password"]));
        assert!(smart["token_endpoint_auth_methods_supported"].is_array());
        let capabilities = smart["capabilities"].as_array().expect("capabilities");
        assert!(!capabilities.iter().any(|c| c == "launch-standalone"));
        assert!(smart.get("authorization_endpoint").is_none());
    }
    let meta = send(app.client.get(app.fhir_url("/metadata"))).await.json();
    let uris = meta["rest"][0]["security"]["extension"]
        .as_array()
        .expect("security extensions")
        .iter()
        .find(|e| {
            e["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
        })
        .expect("oauth-uris")
        .clone();
    let uri = |name: &str| -> Value {
        uris["extension"]
            .as_array()
            .and_then(|l| l.iter().find(|e| e["url"] == name))
            .map(|e| e["valueUri"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(uri("token"), format!("{}/auth/token", app.base));
    assert_eq!(uri("revoke"), format!("{}/auth/revoke", app.base));

    // OpenAPI, generated from the CapabilityStatement: every resource's
    // searches and interactions are paths.
    let openapi = send(app.client.get(app.fhir_url("/openapi.json"))).await;
    openapi.expect(200);
    let openapi = openapi.json();
    assert_eq!(openapi["openapi"], "3.0.3");
    assert_eq!(
        openapi["servers"][0]["url"],
        format!("{}/fhir/r4", app.base)
    );
    assert_eq!(
        openapi["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths = openapi["paths"].as_object().expect("paths");
    for resource in meta["rest"][0]["resource"].as_array().expect("resources") {
        let t = resource["type"].as_str().expect("type");
        let interactions = resource["interaction"].to_string();
        if interactions.contains("search-type") {
            assert!(paths[&format!("/{t}")]["get"].is_object(), "{t}");
            assert!(paths[&format!("/{t}/_search")]["post"].is_object(), "{t}");
        }
        if interactions.contains("\"read\"") {
            assert!(paths[&format!("/{t}/{{id}}")]["get"].is_object(), "{t}");
        }
    }
    assert!(paths["/ServiceRequest/{id}/$book"]["post"].is_object());
    assert!(paths["/"]["post"].is_object());
    let read = &paths["/Patient/{id}"]["get"]["responses"];
    assert_eq!(
        read["404"]["content"][FHIR_JSON]["schema"]["$ref"],
        "#/components/schemas/OperationOutcome"
    );

    // Without configured origins there are no CORS headers.
    assert_eq!(meta["rest"][0]["security"]["cors"], false);
    let preflight = send(
        app.client
            .request(Method::OPTIONS, app.fhir_url("/Patient"))
            .header("origin", "https://app.example.org")
            .header("access-control-request-method", "GET"),
    )
    .await;
    assert!(preflight.header("access-control-allow-origin").is_none());
    let get = send(
        app.fhir(Method::GET, Some("admin"), "/Patient?_count=1")
            .await
            .header("origin", "https://app.example.org"),
    )
    .await;
    get.expect(200);
    assert!(get.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_answers_the_configured_origins_on_the_api_only() {
    let origin = "https://app.example.org";
    let app = spawn_app_with(|s| s.cors_origins = vec![origin.into()]).await;
    let meta = send(app.client.get(app.fhir_url("/metadata"))).await.json();
    assert_eq!(meta["rest"][0]["security"]["cors"], true);

    for path in [
        "/fhir/r4/Patient",
        "/auth/token",
        "/.well-known/smart-configuration",
    ] {
        let preflight = send(
            app.client
                .request(Method::OPTIONS, app.url(path))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization, content-type, if-none-exist",
                ),
        )
        .await;
        assert!(preflight.status < 300, "{path}: {}", preflight.status);
        assert_eq!(
            preflight.header("access-control-allow-origin").as_deref(),
            Some(origin)
        );
        let methods = preflight
            .header("access-control-allow-methods")
            .unwrap_or_default();
        assert!(
            methods.contains("POST") && methods.contains("PUT"),
            "{methods}"
        );
        let headers = preflight
            .header("access-control-allow-headers")
            .unwrap_or_default()
            .to_lowercase();
        for h in [
            "authorization",
            "content-type",
            "if-match",
            "if-none-exist",
            "prefer",
        ] {
            assert!(headers.contains(h), "{path}: {h} not in {headers}");
        }
    }

    let get = send(
        app.fhir(Method::GET, Some("admin"), "/Patient?_count=1")
            .await
            .header("origin", origin),
    )
    .await;
    get.expect(200);
    assert_eq!(
        get.header("access-control-allow-origin").as_deref(),
        Some(origin)
    );
    let exposed = get
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_lowercase();
    for h in ["location", "etag", "content-location"] {
        assert!(exposed.contains(h), "{h} not in {exposed}");
    }
    // A refusal carries the headers too, so the browser lets the page read it.
    let xml = send(
        app.fhir(Method::GET, Some("admin"), "/Patient?_format=xml")
            .await
            .header("origin", origin),
    )
    .await;
    xml.expect(406);
    assert_eq!(
        xml.header("access-control-allow-origin").as_deref(),
        Some(origin)
    );

    // Another origin, and the web pages, get none.
    let other = send(
        app.fhir(Method::GET, Some("admin"), "/Patient?_count=1")
            .await
            .header("origin", "https://evil.example.net"),
    )
    .await;
    other.expect(200);
    assert!(other.header("access-control-allow-origin").is_none());
    let page = send(
        app.client
            .get(app.url("/ui/login"))
            .header("origin", origin),
    )
    .await;
    assert!(page.status < 500);
    assert!(page.header("access-control-allow-origin").is_none());
}
