//! The server under attack and misuse: idle and half-open connections, a
//! sign-in flood, writes past the request deadline, oversize Bundles and
//! periods, token revocation, the operations endpoints, security headers
//! and spoofed `Host` headers.

use crate::helpers::{Resp, TestApp, assert_outcome, send, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Raises this process's open-file limit as far as it goes; the limit.
fn open_file_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024)
}

/// A connection that sends half a request's headers and goes quiet.
async fn half_open(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("send half a request");
    s
}

/// Whether the server closes the connection within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    matches!(
        tokio::time::timeout(within, s.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

async fn healthz_within(app: &TestApp, within: Duration) -> Option<u16> {
    let client = reqwest::Client::new();
    let get = client.get(app.url("/healthz")).send();
    match tokio::time::timeout(within, get).await {
        Ok(Ok(resp)) => Some(resp.status().as_u16()),
        _ => None,
    }
}

#[tokio::test]
async fn two_thousand_half_open_connections_neither_lock_out_healthz_nor_stay_open() {
    let limit = open_file_limit();
    // Each connection is a file on both ends, both in this process.
    let n = 2000.min(limit.saturating_sub(300) / 2) as usize;
    assert!(n >= 100, "open-file limit {limit} too low for the test");
    if n < 2000 {
        eprintln!("open-file limit {limit}: {n} half-open connections instead of 2,000");
    }
    let app = spawn_app_with(|s| s.limits.header_read_timeout_ms = 1500).await;
    let mut idle = Vec::with_capacity(n);
    for _ in 0..n {
        idle.push(half_open(&app).await);
    }
    // Everyone else is still served, at once.
    assert_eq!(
        healthz_within(&app, Duration::from_secs(1)).await,
        Some(200)
    );
    // And the half-open connections are cut off after the header timeout
    // (5 s is a bound for a slow machine, not the timeout).
    let started = Instant::now();
    for s in idle.iter_mut() {
        let left = Duration::from_secs(5).saturating_sub(started.elapsed());
        assert!(
            closed_within(s, left).await,
            "a half-open connection was still open after {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_at_once() {
    open_file_limit();
    let app = spawn_app_with(|s| {
        s.limits.max_connections = 32;
        s.limits.header_read_timeout_ms = 60_000;
    })
    .await;
    let mut conns = Vec::new();
    for _ in 0..100 {
        conns.push(half_open(&app).await);
    }
    let mut closed = 0;
    for s in conns.iter_mut() {
        if closed_within(s, Duration::from_millis(300)).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 100 - 32, "connections closed at the limit of 32");
    // Once the idle clients go, the server serves again.
    drop(conns);
    let deadline = Instant::now() + Duration::from_secs(10);
    while healthz_within(&app, Duration::from_millis(500)).await != Some(200) {
        assert!(Instant::now() < deadline, "the server never recovered");
    }
}

/// This process's resident memory, in MiB.
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .expect("VmRSS")
        / 1024
}

#[tokio::test]
async fn a_sign_in_flood_keeps_memory_flat_and_locks_the_account() {
    let app = spawn_app().await;
    let doctor = app.user("doctor").clone();
    let before = rss_mib();
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..200 {
        let client = app.client.clone();
        let url = app.url("/auth/token");
        flood.spawn(async move {
            let form = [
                ("grant_type", "password".to_string()),
                ("username", "doctor".to_string()),
                ("password", format!("wrong-password-{i}")),
            ];
            send(client.post(url).form(&form)).await.status
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = flood.join_next().await {
        statuses.push(status.expect("sign-in task"));
    }
    let after = rss_mib();
    assert!(
        after.saturating_sub(before) < 200,
        "memory grew from {before} MiB to {after} MiB under 200 sign-ins"
    );
    assert!(
        statuses.iter().all(|s| [400, 429, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "never locked: {statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s == 400).count() <= 5 + 2,
        "more passwords were checked than the account's limit: {statuses:?}"
    );
    // Locked: even the right password is refused for now, and says when
    // to come back.
    let resp = app.login("doctor", &doctor.password).await;
    resp.expect(429);
    assert_eq!(resp.json()["error"], "invalid_grant");
    let wait: u64 = resp
        .header("retry-after")
        .and_then(|s| s.parse().ok())
        .expect("Retry-After");
    assert!(wait > 0 && wait <= 900, "{wait}");
    // Guessing across accounts locks the address (its limit is 20).
    let analyst = app.user("analyst").clone();
    let mut guesses = 0;
    while app
        .login(&format!("nobody-{guesses}"), "wrong-password-x")
        .await
        .status
        == 400
    {
        guesses += 1;
        assert!(guesses < 20, "the address was never locked");
    }
    app.login("analyst", &analyst.password).await.expect(429);
}

#[tokio::test]
async fn a_write_that_reaches_the_store_is_never_answered_408() {
    let app = spawn_app_with(|s| s.limits.request_timeout_ms = 300).await;
    let token = app.token("admin").await;
    let patient = json!({
        "resourceType": "Patient",
        "name": [{"family": "Deadline", "given": ["Wei"]}],
        "gender": "female",
        "birthDate": "1970-01-01",
    });
    // Another writer holds the database: the write queues behind it.
    let hold = tiercare_store::scratch::WriteHold::take(&app.database_url)
        .await
        .expect("hold the write lock");
    let queued = app.state.ctx.store.commit_stats().calls;
    let post = {
        let rb = app
            .client
            .post(app.fhir_url("/Patient"))
            .bearer_auth(&token)
            .header("content-type", "application/fhir+json")
            .body(patient.to_string());
        tokio::spawn(send(rb))
    };
    while app.state.ctx.store.commit_stats().calls == queued {
        tokio::task::yield_now().await;
    }
    // The write is queued; keep it waiting well past the deadline.
    tokio::time::sleep(Duration::from_millis(900)).await;
    hold.release().await.expect("release");
    let resp = post.await.expect("request task");
    resp.expect(201);
    let id = resp.json()["id"].as_str().expect("id").to_string();
    send(
        app.client
            .get(app.fhir_url(&format!("/Patient/{id}")))
            .bearer_auth(&token),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn a_request_past_its_deadline_before_any_write_is_answered_408() {
    // One password check at a time: sixty sign-ins queue for it, and those
    // whose turn comes after the deadline have written nothing yet.
    let app = spawn_app_with(|s| {
        s.limits.request_timeout_ms = 300;
        s.limits.login_concurrency = 1;
    })
    .await;
    let admin = app.user("admin").clone();
    let mut queue = tokio::task::JoinSet::new();
    for _ in 0..60 {
        let client = app.client.clone();
        let url = app.url("/auth/token");
        let password = admin.password.clone();
        queue.spawn(async move {
            let form = [
                ("grant_type", "password"),
                ("username", "admin"),
                ("password", password.as_str()),
            ];
            send(client.post(url).form(&form)).await
        });
    }
    let mut timed_out = 0;
    while let Some(resp) = queue.join_next().await {
        let resp = resp.expect("sign-in task");
        match resp.status {
            200 => {}
            408 => {
                assert!(resp.body.contains("safe to retry"), "{}", resp.body);
                timed_out += 1;
            }
            other => panic!("{other}: {}", resp.body),
        }
    }
    assert!(timed_out > 0, "no sign-in waited past its deadline");
}

#[tokio::test]
async fn a_bundle_over_the_entry_limit_is_refused_whole() {
    let app = spawn_app_with(|s| s.limits.max_bundle_entries = 5).await;
    let bundle = |n: usize| {
        let entries: Vec<Value> = (0..n)
            .map(|i| {
                json!({
                    "fullUrl": format!("urn:uuid:00000000-0000-4000-8000-{i:012}"),
                    "resource": {
                        "resourceType": "Patient",
                        "name": [{"family": "Bundle", "given": [format!("N{i}")]}],
                        "gender": "male",
                        "birthDate": "1980-05-05",
                    },
                    "request": {"method": "POST", "url": "Patient"},
                })
            })
            .collect();
        json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})
    };
    let before = app.count("Patient").await;
    let started = Instant::now();
    let resp = app.post("admin", "", &bundle(6)).await;
    let refused_in = started.elapsed();
    assert_outcome(&resp, 413, "max_bundle_entries");
    assert_eq!(app.count("Patient").await, before, "an entry was written");
    eprintln!("oversize bundle refused in {refused_in:?}");
    app.post("admin", "", &bundle(5)).await.expect(200);
    assert_eq!(app.count("Patient").await, before + 5);
}

#[tokio::test]
async fn an_unbounded_indicator_period_is_refused() {
    let app = spawn_app().await;
    for path in [
        "/Measure/$evaluate-measure?periodStart=0001-01-01&periodEnd=9999-12-31",
        "/Measure/panel-control/$evaluate-measure?periodStart=0001-01-01&periodEnd=9999-12-31",
    ] {
        let resp = app.get("analyst", path).await;
        assert_outcome(&resp, 400, "max_period_days");
    }
    app.get(
        "analyst",
        "/Measure/$evaluate-measure?periodStart=2026-01-01&periodEnd=2026-06-30",
    )
    .await
    .expect(200);
}

async fn organizations(app: &TestApp, token: &str) -> Resp {
    send(
        app.client
            .get(app.fhir_url("/Organization?_count=1"))
            .bearer_auth(token),
    )
    .await
}

#[tokio::test]
async fn tokens_end_at_logout_and_at_revocation() {
    let app = spawn_app().await;
    let doctor = app.user("doctor").clone();
    let token = |resp: Resp| resp.json()["access_token"].as_str().unwrap().to_string();
    let first = token(app.login("doctor", &doctor.password).await);
    let second = token(app.login("doctor", &doctor.password).await);
    organizations(&app, &first).await.expect(200);

    let resp = send(app.client.post(app.url("/auth/logout")).bearer_auth(&first)).await;
    resp.expect(204);
    assert_outcome(&organizations(&app, &first).await, 401, "authentication");
    // The account's other token goes on until it is revoked itself.
    organizations(&app, &second).await.expect(200);
    let resp = send(
        app.client
            .post(app.url("/auth/revoke"))
            .form(&[("token", second.as_str())]),
    )
    .await;
    resp.expect(200);
    assert_outcome(&organizations(&app, &second).await, 401, "authentication");
    // Revoking an unknown token tells nothing.
    send(
        app.client
            .post(app.url("/auth/revoke"))
            .form(&[("token", "no-such-token")]),
    )
    .await
    .expect(200);
    // Logging out without a token is a 401.
    let resp = send(app.client.post(app.url("/auth/logout"))).await;
    assert_outcome(&resp, 401, "authentication");
}

#[tokio::test]
async fn operations_endpoints_are_open_only_on_the_operations_address() {
    let app = spawn_app().await;
    let public = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ops = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_url = format!("http://{}", public.local_addr().unwrap());
    let ops_url = format!("http://{}", ops.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tiercare_api::serve_with_ops(
        public,
        Some(ops),
        app.state.clone(),
        tiercare_web::routes(app.state.clone()),
        async move {
            let _ = stopped.await;
        },
    ));
    let get = |url: String| send(app.client.get(url));
    get(format!("{public_url}/healthz")).await.expect(200);
    let resp = get(format!("{ops_url}/metrics")).await;
    resp.expect(200);
    assert!(
        resp.body.contains("tiercare_http_requests_total"),
        "{}",
        resp.body
    );
    get(format!("{ops_url}/readyz")).await.expect(200);
    get(format!("{ops_url}/healthz")).await.expect(200);
    // Nothing else is served there.
    get(format!("{ops_url}/fhir/r4/metadata")).await.expect(404);
    // On the public address the same endpoints need an administrator.
    assert_outcome(
        &get(format!("{public_url}/metrics")).await,
        401,
        "authentication",
    );
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/healthz", "/fhir/r4/metadata", "/no-such-page"] {
        let resp = send(app.client.get(app.url(path))).await;
        assert_eq!(
            resp.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            resp.header("x-frame-options").as_deref(),
            Some("DENY"),
            "{path}"
        );
        let csp = resp.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    // The landing page's style is allowed by its hash, nothing else.
    let resp = send(app.client.get(app.url("/"))).await;
    let csp = resp.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("style-src 'sha256-"), "{csp}");
}

#[tokio::test]
async fn a_spoofed_host_never_reaches_the_links() {
    let app = spawn_app().await;
    let resp = send(
        app.client
            .get(app.fhir_url("/Organization?_count=1"))
            .bearer_auth(app.token("admin").await)
            .header("host", "attacker.example"),
    )
    .await;
    resp.expect(200);
    let bundle = resp.json();
    assert!(!resp.body.contains("attacker.example"), "{bundle}");
    let full_url = bundle["entry"][0]["fullUrl"].as_str().expect("fullUrl");
    assert!(
        full_url.starts_with(&app.base),
        "{full_url} vs {}",
        app.base
    );
}

#[tokio::test]
async fn the_period_limit_is_the_setting_on_the_api_and_the_pages() {
    let app = spawn_app_with(|s| s.limits.max_period_days = 31).await;
    let measures = "/Measure/$evaluate-measure?periodStart=2026-01-01&periodEnd=";
    let resp = app.get("analyst", &format!("{measures}2026-03-31")).await;
    assert_outcome(&resp, 400, "max_period_days");
    app.get("analyst", &format!("{measures}2026-01-31"))
        .await
        .expect(200);
    let session = crate::dashboard::sign_in(&app, "analyst").await;
    for page in ["/ui/dashboard", "/ui/programmes"] {
        let long = format!("{page}?from=2026-01-01&to=2026-03-31");
        let resp = crate::dashboard::ui_get(&app, Some(&session), &long).await;
        resp.expect(400);
        assert!(resp.body.contains("31"), "{page}: {}", resp.body);
        let month = format!("{page}?from=2026-01-01&to=2026-01-31");
        crate::dashboard::ui_get(&app, Some(&session), &month)
            .await
            .expect(200);
    }
}

#[tokio::test]
async fn the_sign_in_page_says_when_an_account_is_locked() {
    let app = spawn_app().await;
    let client = crate::helpers::ui_client();
    for i in 0..5 {
        crate::dashboard::post_login(&app, &client, "doctor", &format!("wrong-password-{i}"))
            .await
            .expect(401);
    }
    let password = app.user("doctor").password.clone();
    let resp = crate::dashboard::post_login(&app, &client, "doctor", &password).await;
    resp.expect(429);
    assert!(resp.body.contains("登录失败次数过多"), "{}", resp.body);
    assert!(resp.header("retry-after").is_some());
}
