//! Where a Subscription may send: not into the server's own networks
//! (loopback, link-local cloud metadata, private addresses) unless the
//! region's allow-list says so, checked when a subscription is written and
//! again on the addresses a delivery connects to; and https endpoints,
//! their certificates verified against a certificate authority the region
//! trusts (`subscription_ca_file`).

use crate::helpers::{TestApp, assert_outcome, spawn_app_with};
use crate::subscription::{
    Behaviour, HOSPITAL, Receiver, assert_task, id_of, read_until, refer, subscribe, subscription,
};
use serde_json::{Value, json};
use std::sync::Arc;
use tiercare_store::{SubscriptionSpec, SubscriptionStatus};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

const ENDPOINT: &str = "Subscription.channel.endpoint";

/// The subscriptions stored, whoever owns them.
async fn stored(app: &TestApp) -> usize {
    app.state
        .ctx
        .store
        .subscriptions()
        .await
        .expect("read the subscriptions")
        .len()
}

/// Subscribes as the administrator to `endpoint`, switched off (nothing is
/// sent: only where it may point is at stake).
async fn try_subscribe(app: &TestApp, endpoint: &str) -> crate::helpers::Resp {
    let mut body = subscription("Task", endpoint);
    body["status"] = json!("off");
    app.post("admin", "/Subscription", &body).await
}

#[tokio::test]
async fn endpoints_in_the_servers_own_networks_are_refused_and_nothing_is_stored() {
    // The production default: an empty allow-list.
    let app = spawn_app_with(|s| s.subscription_allow.clear()).await;
    let cases = [
        ("http://127.0.0.1:9/his", "loopback"),
        ("http://[::1]:9/his", "loopback"),
        ("http://[::ffff:127.0.0.1]:9/his", "loopback"),
        // The URL's other spellings of 127.0.0.1 end up the same.
        ("http://2130706433:9/his", "loopback"),
        ("http://0x7f.1:9/his", "loopback"),
        // A name that resolves to loopback.
        ("http://localhost:9/his", "loopback"),
        ("https://localhost/his", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[fe80::1]/his", "link-local"),
        ("http://10.1.2.3:8080/fhir", "private"),
        ("http://192.168.0.10/fhir", "private"),
        ("http://172.20.0.1/fhir", "private"),
        ("http://[fd00::1]/fhir", "private"),
        ("http://100.64.0.1/fhir", "carrier-grade NAT"),
        ("http://0.0.0.0:9/his", "unspecified"),
        ("http://224.0.0.1/his", "multicast"),
    ];
    for (endpoint, kind) in cases {
        let resp = try_subscribe(&app, endpoint).await;
        let outcome = assert_outcome(&resp, 400, kind);
        assert_eq!(
            outcome["issue"][0]["expression"][0], ENDPOINT,
            "{endpoint}: {outcome}"
        );
        let diagnostics = outcome["issue"][0]["diagnostics"]
            .as_str()
            .unwrap_or_default();
        assert!(
            diagnostics.contains("subscription_allow"),
            "{endpoint}: the refusal names the setting that allows it: {diagnostics}"
        );
    }
    assert_eq!(stored(&app).await, 0, "a refused subscription was stored");

    // A public endpoint is taken; changing it to a refused one is not.
    let resp = try_subscribe(&app, "http://203.0.113.7/fhir").await;
    resp.expect(201);
    let created = resp.json();
    let mut changed = created.clone();
    changed["channel"]["endpoint"] = json!("http://169.254.169.254/latest");
    let path = format!("/Subscription/{}", id_of(&created));
    let resp = app.put("admin", &path, &changed, None).await;
    assert_outcome(&resp, 400, "link-local");
    let now = app.get("admin", &path).await;
    now.expect(200);
    assert_eq!(now.json()["channel"]["endpoint"], "http://203.0.113.7/fhir");
    assert_eq!(
        now.json()["meta"]["versionId"],
        created["meta"]["versionId"]
    );
    assert_eq!(stored(&app).await, 1);
}

#[tokio::test]
async fn what_the_allow_list_names_is_allowed_and_nothing_more() {
    let app = spawn_app_with(|s| {
        s.subscription_allow = vec![
            "10.1.0.0/16".into(),
            "localhost".into(),
            "169.254.169.254".into(),
        ];
    })
    .await;
    for endpoint in [
        "http://10.1.2.3:8080/fhir",
        "http://[::ffff:10.1.0.9]/fhir",
        "http://localhost:9/his",
        "http://169.254.169.254/latest",
        "https://his.example.org/fhir",
    ] {
        let resp = try_subscribe(&app, endpoint).await;
        assert_eq!(resp.status, 201, "{endpoint}: {}", resp.body);
    }
    for (endpoint, kind) in [
        ("http://10.2.0.1/fhir", "private"),
        ("http://127.0.0.1:9/his", "loopback"),
        ("http://169.254.169.253/latest", "link-local"),
    ] {
        assert_outcome(&try_subscribe(&app, endpoint).await, 400, kind);
    }
    assert_eq!(stored(&app).await, 5);

    // Allow-only: public endpoints too must be listed.
    let only = spawn_app_with(|s| {
        s.subscription_allow = vec!["203.0.113.0/24".into()];
        s.subscription_allow_only = true;
    })
    .await;
    try_subscribe(&only, "http://203.0.113.7/fhir")
        .await
        .expect(201);
    assert_outcome(
        &try_subscribe(&only, "http://198.51.100.7/fhir").await,
        400,
        "subscription_allow_only",
    );
    assert_eq!(stored(&only).await, 1);
}

/// A subscription written straight to the store, past the API's check: one
/// whose name resolved elsewhere when it was written.
async fn planted(app: &TestApp, id: &str, endpoint: &str) -> String {
    let spec = SubscriptionSpec {
        criteria: "Task".into(),
        reason: "Written when the name resolved elsewhere".into(),
        endpoint: endpoint.into(),
        headers: vec!["Authorization: Bearer his-secret".into()],
        payload: Some("application/fhir+json".into()),
        status: SubscriptionStatus::Active,
    };
    app.state
        .ctx
        .store
        .add_subscription(id, "admin", None, &spec)
        .await
        .expect("store the subscription");
    id.to_string()
}

#[tokio::test]
async fn a_delivery_to_an_address_refused_at_send_time_is_not_sent() {
    let app = spawn_app_with(|s| {
        s.subscription_allow.clear();
        s.subscription_attempts = 1;
    })
    .await;
    let mut his = Receiver::start(Behaviour::default()).await;
    let port = his
        .url
        .rsplit(':')
        .next()
        .and_then(|rest| rest.split('/').next())
        .expect("the receiver's port")
        .to_string();
    // By name (the resolver filters what `localhost` resolves to), and by
    // an address the client dials without resolving.
    let by_name = planted(
        &app,
        "by-name",
        &format!("http://localhost:{port}/his/fhir"),
    )
    .await;
    let by_address = planted(
        &app,
        "by-address",
        &format!("http://[::ffff:127.0.0.1]:{port}/his/fhir"),
    )
    .await;
    refer(&app, HOSPITAL).await;
    for id in [by_name, by_address] {
        let v = read_until(&app, "admin", &id, |v| v["status"] == "error").await;
        let error = v["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("loopback") && error.contains("subscription_allow"),
            "Subscription/{id} failed for another reason: {v}"
        );
    }
    // The attempts are over: a request sent would have been seen by now.
    assert!(
        his.nothing_more(),
        "a refused notification reached the receiver"
    );
}

/// A certificate authority, as PEM, and a TLS server configuration for
/// `localhost` with a certificate it issued.
fn certificates() -> (String, rustls::ServerConfig) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "County health network test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["localhost".to_string()]).expect("server params");
    let cert = params
        .signed_by(&key, &ca_cert, &ca_key)
        .expect("server certificate");
    // The build's one TLS provider (ring), as the server's client uses.
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server TLS configuration");
    (ca_cert.pem(), config)
}

/// The receiver over https at `https://localhost:PORT/his/fhir`.
async fn https_receiver(config: rustls::ServerConfig) -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the receiver");
    let port = listener.local_addr().expect("addr").port();
    let (app, receiver) = Receiver::app(
        Behaviour::default(),
        format!("https://localhost:{port}/his/fhir"),
    );
    let tls = TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (tls, app) = (tls.clone(), app.clone());
            tokio::spawn(async move {
                // A client that does not trust the certificate hangs up
                // here; the next one is served all the same.
                if let Ok(stream) = tls.accept(tcp).await {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(
                            hyper_util::rt::TokioIo::new(stream),
                            hyper_util::service::TowerToHyperService::new(app),
                        )
                        .await;
                }
            });
        }
    });
    receiver
}

#[tokio::test]
async fn an_https_endpoint_with_a_certificate_of_a_trusted_authority_is_told() {
    let (ca_pem, config) = certificates();
    let dir = tempfile::tempdir().expect("temporary directory");
    let ca_file = dir.path().join("county-ca.pem");
    std::fs::write(&ca_file, ca_pem).expect("write the CA file");
    let app = spawn_app_with(|s| {
        s.subscription_allow = vec!["localhost".into()];
        s.subscription_ca_file = Some(ca_file.display().to_string());
    })
    .await;
    let mut his = https_receiver(config.clone()).await;
    subscribe(&app, "admin", "Task", &his.url).await;
    let id = refer(&app, HOSPITAL).await;
    let n = his.next().await;
    assert_task(&n, &id, "requested");
    assert_eq!(
        n.headers.get("authorization").and_then(|v| v.to_str().ok()),
        Some("Bearer his-secret")
    );

    // Without the authority the certificate is not trusted: the attempt
    // fails with a certificate error and nothing is delivered.
    let untrusting = spawn_app_with(|s| {
        s.subscription_allow = vec!["localhost".into()];
        s.subscription_attempts = 1;
    })
    .await;
    let mut other = https_receiver(config).await;
    let sub = subscribe(&untrusting, "admin", "Task", &other.url).await;
    refer(&untrusting, HOSPITAL).await;
    let v: Value = read_until(&untrusting, "admin", &id_of(&sub), |v| {
        v["status"] == "error"
    })
    .await;
    let error = v["error"].as_str().unwrap_or_default().to_lowercase();
    assert!(error.contains("certificate"), "{v}");
    assert!(
        other.nothing_more(),
        "delivered over an untrusted connection"
    );
}
