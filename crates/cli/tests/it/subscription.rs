//! FHIR `Subscription` (rest-hook) on `Task` changes: a hospital system is
//! told of referral changes by a real HTTP call to a receiver the test
//! runs, after the change, in order, retried when it fails, and without
//! ever holding up the request that made the change.

use crate::helpers::{
    FHIR_JSON, Resp, TestApp, assert_outcome, entries, send, spawn_app, spawn_app_with,
};
use crate::validate::assert_valid_fhir;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tiercare_api::subscriptions::Criteria;
use tiercare_core::access::UserRole;
use tiercare_store::{AuditQuery, NewUser};
use tokio::sync::{Semaphore, mpsc};

pub(crate) const HOSPITAL: &str = "zx-h1";
const OTHER_HOSPITAL: &str = "zx-h2";
/// How long a test waits for something the server does in the background.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// One request the receiver got, and what it answered.
#[derive(Debug)]
pub(crate) struct Received {
    method: Method,
    path: String,
    pub(crate) headers: HeaderMap,
    body: String,
    answered: u16,
}

impl Received {
    fn task(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not a JSON body ({e}): {:?}", self.body))
    }
}

/// How the receiver behaves.
#[derive(Default)]
pub(crate) struct Behaviour {
    /// Answer 500 to this many requests first.
    fail_first: usize,
    /// Answer 500 always.
    fail_always: bool,
    /// Hold each request until the test releases it.
    hold: bool,
}

struct Hook {
    seen: mpsc::UnboundedSender<Received>,
    fail_first: AtomicUsize,
    fail_always: bool,
    gate: Option<Arc<Semaphore>>,
}

async fn hook(
    State(h): State<Arc<Hook>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let fail = h.fail_always
        || h.fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    let status = if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    // Recorded on arrival: a held request is seen before it is answered.
    let _ = h.seen.send(Received {
        method,
        path: uri.path().to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        answered: status.as_u16(),
    });
    if let Some(gate) = &h.gate
        && let Ok(permit) = gate.acquire().await
    {
        permit.forget();
    }
    status
}

/// A hospital system's endpoint, on a free local port.
pub(crate) struct Receiver {
    /// The endpoint to subscribe with.
    pub(crate) url: String,
    seen: mpsc::UnboundedReceiver<Received>,
    gate: Arc<Semaphore>,
}

impl Receiver {
    pub(crate) async fn start(b: Behaviour) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let url = format!("http://{}/his/fhir", listener.local_addr().expect("addr"));
        let (app, receiver) = Receiver::app(b, url);
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    /// The receiver's application, for a test that serves it itself (over
    /// TLS), and the receiver of what it gets at `url`.
    pub(crate) fn app(b: Behaviour, url: String) -> (axum::Router, Receiver) {
        let (tx, seen) = mpsc::unbounded_channel();
        let gate = Arc::new(Semaphore::new(0));
        let state = Arc::new(Hook {
            seen: tx,
            fail_first: AtomicUsize::new(b.fail_first),
            fail_always: b.fail_always,
            gate: b.hold.then(|| gate.clone()),
        });
        let app = axum::Router::new().fallback(hook).with_state(state);
        (app, Receiver { url, seen, gate })
    }

    /// The next request, waiting for it at most [`PATIENCE`].
    pub(crate) async fn next(&mut self) -> Received {
        tokio::time::timeout(PATIENCE, self.seen.recv())
            .await
            .expect("a notification in time")
            .expect("the receiver is running")
    }

    /// Lets `n` held requests answer.
    fn release(&self, n: usize) {
        self.gate.add_permits(n);
    }

    /// Whether no request is waiting or arrives within `quiet`: after the
    /// cursor has passed every event, a notification sent twice would
    /// already be on its way.
    async fn nothing_more_after(&mut self, quiet: Duration) -> bool {
        if !self.seen.is_empty() {
            return false;
        }
        tokio::time::timeout(quiet, async {
            while self.seen.is_empty() {
                tokio::task::yield_now().await;
            }
        })
        .await
        .is_err()
    }

    /// Whether a request arrived that the test has not looked at.
    pub(crate) fn nothing_more(&mut self) -> bool {
        self.seen.try_recv().is_err()
    }
}

pub(crate) fn subscription(criteria: &str, endpoint: &str) -> Value {
    json!({
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "Tell the hospital information system of referral changes",
        "criteria": criteria,
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint,
            "payload": FHIR_JSON,
            "header": ["Authorization: Bearer his-secret"]
        }
    })
}

/// Subscribes as `user`; asserts 201 and returns the subscription.
pub(crate) async fn subscribe(app: &TestApp, user: &str, criteria: &str, endpoint: &str) -> Value {
    let resp = app
        .post(user, "/Subscription", &subscription(criteria, endpoint))
        .await;
    resp.expect(201);
    let v = resp.json();
    assert_eq!(v["status"], "active", "{v}");
    v
}

pub(crate) fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// A referral from the demo family doctor to `hospital`: its id.
pub(crate) async fn refer(app: &TestApp, hospital: &str) -> String {
    let body = json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": "routine",
        "subject": {"reference": "Patient/res-000001"},
        "performer": [{"reference": format!("Organization/{hospital}")}],
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
        "note": [{"text": "Exertional chest pain for three weeks."}]
    });
    let resp = app.post("doctor", "/ServiceRequest", &body).await;
    resp.expect(201);
    id_of(&resp.json())
}

/// A named operation on a referral as `user`, with optional parameters.
async fn act(app: &TestApp, user: &str, id: &str, op: &str, params: &[(&str, Value)]) -> Resp {
    let mut rb = app
        .fhir(
            reqwest::Method::POST,
            Some(user),
            &format!("/ServiceRequest/{id}/${op}"),
        )
        .await;
    if !params.is_empty() {
        let parameter: Vec<Value> = params
            .iter()
            .map(|(name, v)| {
                let mut p = json!({ "name": name });
                if let Some(r) = v.get("reference") {
                    p["valueReference"] = json!({ "reference": r });
                } else {
                    p["valueString"] = v.clone();
                }
                p
            })
            .collect();
        rb = rb
            .header("content-type", FHIR_JSON)
            .body(json!({"resourceType": "Parameters", "parameter": parameter}).to_string());
    }
    send(rb).await
}

/// Asserts a notification: the Task PUT to `{endpoint}/Task/{id}`.
#[track_caller]
pub(crate) fn assert_task(n: &Received, id: &str, status: &str) -> Value {
    assert_eq!(n.method, Method::PUT, "{n:?}");
    assert_eq!(n.path, format!("/his/fhir/Task/{id}"), "{n:?}");
    let task = n.task();
    assert_eq!(task["resourceType"], "Task", "{task}");
    assert_eq!(task["id"], id, "{task}");
    assert_eq!(task["status"], status, "{task}");
    task
}

/// Reads the subscription until `done` holds for it (the worker works in
/// the background), at most [`PATIENCE`].
pub(crate) async fn read_until(
    app: &TestApp,
    user: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let resp = app.get(user, &format!("/Subscription/{id}")).await;
        resp.expect(200);
        let v = resp.json();
        if done(&v) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Subscription/{id} never got there: {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the subscription's cursor is at the last event: everything
/// delivered (or not its concern).
async fn delivered(app: &TestApp, id: &str) {
    let store = &app.state.ctx.store;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let sub = store.subscription(id).await.expect("read").expect("stored");
        if sub.delivered_seq >= store.last_event_seq().await.expect("seq") {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Subscription/{id} is stuck before the last event: {sub:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many notifications of the subscription were audited as reads on
/// its owner's behalf.
async fn audited_notifications(app: &TestApp, owner: &str, sub_id: &str) -> usize {
    let (audit, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some(owner.into()),
            count: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    audit
        .iter()
        .filter(|e| e.resource_type == "Task" && e.detail.contains(sub_id))
        .count()
}

/// Adds an account straight to the store and logs in: the bearer token.
async fn add_user(app: &TestApp, username: &str, role: UserRole, institution: &str) -> String {
    let password = format!("{username}-password-1");
    app.state
        .ctx
        .store
        .add_user(&NewUser {
            username: username.into(),
            password_hash: tiercare_api::auth::hash_password(&password).expect("hash"),
            role,
            institution: Some(institution.parse().expect("institution id")),
            practitioner: None,
            resident: None,
        })
        .await
        .expect("add user");
    let resp = app.login(username, &password).await;
    resp.expect(200);
    resp.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string()
}

async fn as_token(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<&Value>,
) -> Resp {
    let mut rb = app
        .client
        .request(method, app.fhir_url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        rb = rb.header("content-type", FHIR_JSON).body(b.to_string());
    }
    send(rb).await
}

#[tokio::test]
async fn the_receiving_hospital_is_told_of_its_tasks_in_order() {
    let app = spawn_app().await;
    let mut his = Receiver::start(Behaviour::default()).await;
    let sub = subscribe(
        &app,
        "coordinator",
        &format!("Task?owner=Organization/{HOSPITAL}"),
        &his.url,
    )
    .await;
    let sub_id = id_of(&sub);

    // The family doctor refers: the hospital is told, with the Task.
    let id = refer(&app, HOSPITAL).await;
    let n = his.next().await;
    let task = assert_task(&n, &id, "requested");
    assert_eq!(
        task["owner"]["reference"],
        format!("Organization/{HOSPITAL}")
    );
    assert_eq!(
        n.headers.get("authorization").and_then(|v| v.to_str().ok()),
        Some("Bearer his-secret")
    );
    assert!(
        n.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with(FHIR_JSON)),
        "{n:?}"
    );

    // The coordinator accepts: told again, now accepted.
    act(&app, "coordinator", &id, "accept", &[])
        .await
        .expect(200);
    assert_task(&his.next().await, &id, "accepted");

    // The same Task as a Task read shows it.
    let read = app.get("coordinator", &format!("/Task/{id}")).await.json();
    assert_eq!(read["status"], "accepted");

    // Delivered: the cursor gets past both events; active, no error.
    delivered(&app, &sub_id).await;
    let v = app
        .get("coordinator", &format!("/Subscription/{sub_id}"))
        .await
        .json();
    assert_eq!(v["status"], "active", "{v}");
    assert!(v.get("error").is_none(), "{v}");

    // Each notification is audited as a read of the patient's Task on the
    // coordinator's behalf.
    assert_eq!(audited_notifications(&app, "coordinator", &sub_id).await, 2);
    // And counted.
    let metrics = send(
        app.client
            .get(app.url("/metrics"))
            .bearer_auth(app.token("admin").await),
    )
    .await
    .body;
    assert!(
        metrics
            .lines()
            .any(|l| l
                .starts_with("tiercare_subscription_notifications_total{outcome=\"delivered\"}")),
        "{metrics}"
    );
    assert!(his.nothing_more());
}

#[tokio::test]
async fn without_a_payload_the_endpoint_gets_an_empty_post() {
    let app = spawn_app().await;
    let mut his = Receiver::start(Behaviour::default()).await;
    let mut body = subscription("Task?status=requested", &his.url);
    body["channel"].as_object_mut().unwrap().remove("payload");
    let resp = app.post("admin", "/Subscription", &body).await;
    resp.expect(201);
    assert!(resp.json()["channel"].get("payload").is_none());
    refer(&app, HOSPITAL).await;
    let n = his.next().await;
    assert_eq!((&n.method, n.path.as_str()), (&Method::POST, "/his/fhir"));
    assert!(n.body.is_empty(), "{n:?}");
    assert_eq!(
        n.headers.get("authorization").and_then(|v| v.to_str().ok()),
        Some("Bearer his-secret")
    );
}

#[tokio::test]
async fn a_failing_endpoint_gets_the_notification_on_the_third_attempt() {
    let app = spawn_app_with(|s| {
        s.subscription_retry_ms = 20;
        s.subscription_attempts = 5;
    })
    .await;
    let mut his = Receiver::start(Behaviour {
        fail_first: 2,
        ..Behaviour::default()
    })
    .await;
    let sub = subscribe(&app, "admin", "Task?status=requested", &his.url).await;
    let id = refer(&app, HOSPITAL).await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        let n = his.next().await;
        assert_task(&n, &id, "requested");
        answers.push(n.answered);
    }
    assert_eq!(answers, [500, 500, 200]);
    // Delivered: the error of the failed attempts is cleared.
    let v = read_until(&app, "admin", &id_of(&sub), |v| v.get("error").is_none()).await;
    assert_eq!(v["status"], "active", "{v}");
    assert!(his.nothing_more());
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_puts_the_subscription_in_error_until_switched_on() {
    let app = spawn_app_with(|s| {
        s.subscription_retry_ms = 10;
        s.subscription_attempts = 3;
    })
    .await;
    let mut dead = Receiver::start(Behaviour {
        fail_always: true,
        ..Behaviour::default()
    })
    .await;
    let sub = subscribe(&app, "admin", "Task?status=requested", &dead.url).await;
    let sub_id = id_of(&sub);
    let id = refer(&app, HOSPITAL).await;
    for _ in 0..3 {
        assert_eq!(dead.next().await.answered, 500);
    }
    let v = read_until(&app, "admin", &sub_id, |v| v["status"] == "error").await;
    let error = v["error"].as_str().expect("error text");
    assert!(error.contains("HTTP 500"), "{error}");
    assert!(error.contains(&id), "{error}");
    assert_valid_fhir(std::slice::from_ref(&v));

    // Pointed at a working endpoint and switched back on, it resumes at
    // the notification it could not deliver.
    let mut his = Receiver::start(Behaviour::default()).await;
    let mut fixed = v.clone();
    fixed["status"] = json!("requested");
    fixed["channel"]["endpoint"] = json!(his.url);
    let etag = format!("W/\"{}\"", v["meta"]["versionId"].as_str().unwrap());
    let resp = app
        .put(
            "admin",
            &format!("/Subscription/{sub_id}"),
            &fixed,
            Some(&etag),
        )
        .await;
    resp.expect(200);
    assert_eq!(resp.json()["status"], "active");
    assert!(resp.json().get("error").is_none(), "{}", resp.body);
    assert_task(&his.next().await, &id, "requested");
    assert!(dead.nothing_more());
}

#[tokio::test]
async fn a_hanging_endpoint_does_not_hold_up_the_referral() {
    let app = spawn_app_with(|s| s.subscription_timeout_ms = 60_000).await;
    let mut his = Receiver::start(Behaviour {
        hold: true,
        ..Behaviour::default()
    })
    .await;
    subscribe(
        &app,
        "coordinator",
        &format!("Task?owner=Organization/{HOSPITAL}"),
        &his.url,
    )
    .await;
    let id = refer(&app, HOSPITAL).await;
    // The receiver has the first notification and does not answer.
    assert_task(&his.next().await, &id, "requested");
    // The hospital acts meanwhile: the action returns although the
    // receiver is still blocked (it is released only below).
    let accepted = tokio::time::timeout(PATIENCE, act(&app, "coordinator", &id, "accept", &[]))
        .await
        .expect("the action returns while the receiver hangs");
    accepted.expect(200);
    assert_eq!(accepted.json()["status"], "accepted");
    assert!(his.nothing_more(), "the next notification waits its turn");
    // Released, it answers; the next notification follows, in order.
    his.release(1);
    assert_task(&his.next().await, &id, "accepted");
    his.release(1);
}

#[tokio::test]
async fn a_subscription_is_told_only_of_what_its_criteria_match() {
    let app = spawn_app().await;
    let mut accepted_only = Receiver::start(Behaviour::default()).await;
    subscribe(&app, "admin", "Task?status=accepted", &accepted_only.url).await;
    // The other hospital's coordinator subscribes to every Task: it sees
    // only referrals its institution is a party to.
    let h2 = add_user(&app, "h2coord", UserRole::Coordinator, OTHER_HOSPITAL).await;
    let mut h2_his = Receiver::start(Behaviour::default()).await;
    let resp = as_token(
        &app,
        reqwest::Method::POST,
        &h2,
        "/Subscription",
        Some(&subscription("Task", &h2_his.url)),
    )
    .await;
    resp.expect(201);

    // A requested referral matches neither; then another is accepted.
    let first = refer(&app, HOSPITAL).await;
    let second = refer(&app, HOSPITAL).await;
    act(&app, "coordinator", &second, "accept", &[])
        .await
        .expect(200);
    // Per subscription, notifications come in event order: had the first
    // referral matched, it would have come first.
    assert_task(&accepted_only.next().await, &second, "accepted");

    // The first referral is redirected to the other hospital: now, and
    // only now, it is that hospital's business.
    act(
        &app,
        "coordinator",
        &first,
        "redirect",
        &[
            (
                "to",
                json!({"reference": format!("Organization/{OTHER_HOSPITAL}")}),
            ),
            ("comment", json!("Cath lab there.")),
        ],
    )
    .await
    .expect(200);
    let n = h2_his.next().await;
    let task = assert_task(&n, &first, "requested");
    assert_eq!(
        task["owner"]["reference"],
        format!("Organization/{OTHER_HOSPITAL}")
    );
    // Anything else already there can only be the same Tasks again (a
    // notification carries the Task as it is when sent, and delivery is at
    // least once): the other hospital never hears of the second referral,
    // and the first never reaches the accepted-only subscription.
    for (receiver, only) in [(&mut accepted_only, &second), (&mut h2_his, &first)] {
        while let Ok(n) = receiver.seen.try_recv() {
            assert_eq!(n.task()["id"], only.as_str(), "{n:?}");
        }
    }
}

#[tokio::test]
async fn criteria_match_exactly_what_a_task_search_returns() {
    let app = spawn_app().await;
    let requested = refer(&app, HOSPITAL).await;
    let accepted = refer(&app, HOSPITAL).await;
    act(&app, "coordinator", &accepted, "accept", &[])
        .await
        .expect(200);
    let declined = refer(&app, HOSPITAL).await;
    act(
        &app,
        "coordinator",
        &declined,
        "decline",
        &[("reason", json!("not-indicated"))],
    )
    .await
    .expect(200);
    let ids = [requested, accepted, declined];
    let queries = [
        String::new(),
        "status=requested".into(),
        "status=accepted,rejected".into(),
        "business-status=accepted".into(),
        format!("owner=Organization/{HOSPITAL}"),
        "owner=zx-tc1".into(),
        "patient=Patient/res-000001".into(),
        format!("_id={}", ids[1]),
        format!("owner={HOSPITAL}&status=requested"),
    ];
    for query in &queries {
        let criteria = Criteria::parse(&format!("Task?{query}")).expect("criteria");
        for (user, scope) in [("admin", None), ("coordinator", Some(HOSPITAL))] {
            let found: BTreeSet<String> = entries(
                &app.get(user, &format!("/Task?{query}&_count=500"))
                    .await
                    .json(),
            )
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect();
            for id in &ids {
                let matched = criteria
                    .matches(&app.state.ctx.store, scope, "ServiceRequest", id)
                    .await
                    .expect("match");
                assert_eq!(
                    matched,
                    found.contains(id),
                    "Task?{query} as {user}: {id} matched {matched}, search found {found:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_notification_cut_short_by_a_restart_is_delivered_after_it() {
    let app = spawn_app().await;
    let mut his = Receiver::start(Behaviour {
        hold: true,
        ..Behaviour::default()
    })
    .await;
    let sub = subscribe(&app, "admin", "Task?status=requested", &his.url).await;
    let id = refer(&app, HOSPITAL).await;
    assert_task(&his.next().await, &id, "requested");
    // The server stops while the receiver holds the notification.
    let url = app.database_url.clone();
    let dir = app.stop().await;

    let settings = tiercare::config::Settings {
        listen: "127.0.0.1:0".into(),
        database_url: url,
        region_id: "zx".into(),
        subscription_allow: vec![crate::helpers::TEST_RECEIVERS.into()],
        ..tiercare::config::Settings::default()
    };
    let store = tiercare::startup::open_store(&settings)
        .await
        .expect("store");
    let stored = store
        .subscription(&id_of(&sub))
        .await
        .expect("read")
        .expect("stored");
    assert!(
        stored.delivered_seq < store.last_event_seq().await.unwrap(),
        "the cursor moved without a delivery"
    );
    let state = tiercare::startup::app_state(store.clone(), &settings).expect("state");
    let listener = tiercare::startup::bind(&settings).await.expect("bind");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tiercare_api::serve(
        listener,
        state.clone(),
        tiercare_web::routes(state),
        async move {
            let _ = stopped.await;
        },
    ));
    // The restarted server sends it again.
    his.release(10);
    assert_task(&his.next().await, &id, "requested");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while store
        .subscription(&id_of(&sub))
        .await
        .unwrap()
        .unwrap()
        .delivered_seq
        < store.last_event_seq().await.unwrap()
    {
        assert!(tokio::time::Instant::now() < deadline, "never delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    server.await.expect("server task").expect("server");
    store.close().await;
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_send_each_notification_once() {
    // Both outboxes look for new events all the time, so both would send
    // every notification if nothing kept them apart.
    let eager = |s: &mut tiercare::config::Settings| s.subscription_poll_ms = 5;
    let app = spawn_app_with(eager).await;
    let second = app.second_server_with(eager).await;
    let mut his = Receiver::start(Behaviour::default()).await;
    let sub = subscribe(
        &app,
        "coordinator",
        &format!("Task?owner=Organization/{HOSPITAL}"),
        &his.url,
    )
    .await;
    // Referrals made through the first server, accepted through the
    // second, one change at a time: each change is delivered before the
    // next is made, so one outbox sends exactly one notification for it.
    let token = app.token("coordinator").await;
    let sub_id = id_of(&sub);
    let mut sent = 0;
    for _ in 0..5 {
        let id = refer(&app, HOSPITAL).await;
        delivered(&app, &sub_id).await;
        send(
            app.client
                .post(second.fhir_url(&format!("/ServiceRequest/{id}/$accept")))
                .bearer_auth(&token),
        )
        .await
        .expect(200);
        delivered(&app, &sub_id).await;
        assert_task(&his.next().await, &id, "requested");
        assert_task(&his.next().await, &id, "accepted");
        sent += 2;
        // A second copy from the other server would be on its way by now:
        // the cursor is past the event, and it polls every 5 ms.
        assert!(
            his.nothing_more_after(Duration::from_millis(200)).await,
            "Task/{id} was told twice"
        );
    }
    // Every notification sent is audited once, whichever server sent it.
    assert_eq!(
        audited_notifications(&app, "coordinator", &sub_id).await,
        sent
    );
}

#[tokio::test]
async fn bad_subscriptions_are_refused_by_field() {
    let app = spawn_app().await;
    let good = subscription("Task?status=requested", "http://127.0.0.1:9/his");
    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut b = good.clone();
                b["channel"].as_object_mut().unwrap().remove("endpoint");
                b
            },
            "Subscription.channel.endpoint",
        ),
        (
            {
                let mut b = good.clone();
                b["channel"]["type"] = json!("websocket");
                b
            },
            "Subscription.channel.type",
        ),
        (
            {
                let mut b = good.clone();
                b["criteria"] = json!("Patient?x=y");
                b
            },
            "Subscription.criteria",
        ),
        (
            {
                let mut b = good.clone();
                b["criteria"] = json!("Task?colour=red");
                b
            },
            "colour",
        ),
        (
            {
                let mut b = good.clone();
                b["channel"]["endpoint"] = json!("ftp://his.example/fhir");
                b
            },
            "Subscription.channel.endpoint",
        ),
        (
            {
                let mut b = good.clone();
                b["channel"]["endpoint"] = json!("not a url");
                b
            },
            "Subscription.channel.endpoint",
        ),
        (
            {
                let mut b = good.clone();
                b["channel"]["payload"] = json!("application/fhir+xml");
                b
            },
            "Subscription.channel.payload",
        ),
        (
            {
                let mut b = good.clone();
                b["channel"]["header"] = json!(["no colon here"]);
                b
            },
            "Subscription.channel.header[0]",
        ),
        (
            {
                let mut b = good.clone();
                b["end"] = json!("2030-01-01T00:00:00Z");
                b
            },
            "Subscription.end",
        ),
        (
            {
                let mut b = good.clone();
                b.as_object_mut().unwrap().remove("status");
                b
            },
            "Subscription.status",
        ),
        (json!({"resourceType": "Patient"}), "resourceType"),
        (json!([1, 2]), "body"),
    ];
    let mut outcomes = Vec::new();
    for (body, field) in cases {
        let resp = app.post("admin", "/Subscription", &body).await;
        outcomes.push(assert_outcome(&resp, 400, field));
    }
    // Not JSON, and the wrong media type.
    let resp = send(
        app.fhir(reqwest::Method::POST, Some("admin"), "/Subscription")
            .await
            .header("content-type", FHIR_JSON)
            .body("{"),
    )
    .await;
    assert_outcome(&resp, 400, "json");
    let resp = send(
        app.fhir(reqwest::Method::POST, Some("admin"), "/Subscription")
            .await
            .header("content-type", "text/plain")
            .body(good.to_string()),
    )
    .await;
    assert_outcome(&resp, 415, "content type");
    // Search parameters are checked too.
    assert_outcome(
        &app.get("admin", "/Subscription?colour=red").await,
        400,
        "colour",
    );
    // Nothing was stored.
    assert!(
        app.state
            .ctx
            .store
            .subscriptions()
            .await
            .unwrap()
            .is_empty()
    );

    // Updates: a stale version, another id, an unknown subscription.
    let created = subscribe(&app, "admin", "Task", "http://127.0.0.1:9/his").await;
    let sub_id = id_of(&created);
    let resp = app
        .put(
            "admin",
            &format!("/Subscription/{sub_id}"),
            &created,
            Some("W/\"99\""),
        )
        .await;
    outcomes.push(assert_outcome(&resp, 412, "version"));
    let mut other = created.clone();
    other["id"] = json!("someone-else");
    let resp = app
        .put("admin", &format!("/Subscription/{sub_id}"), &other, None)
        .await;
    outcomes.push(assert_outcome(&resp, 400, "Subscription.id"));
    let mut anonymous = created.clone();
    anonymous.as_object_mut().unwrap().remove("id");
    let resp = app
        .put("admin", "/Subscription/no-such", &anonymous, None)
        .await;
    outcomes.push(assert_outcome(&resp, 404, "no-such"));
    assert_valid_fhir(&outcomes);
}

#[tokio::test]
async fn who_may_subscribe_and_who_sees_a_subscription() {
    let app = spawn_app().await;
    let body = subscription(
        &format!("Task?owner=Organization/{HOSPITAL}"),
        "http://127.0.0.1:9/his",
    );
    // Analysts and residents may not subscribe, nor list subscriptions.
    for user in ["analyst", "resident"] {
        assert_outcome(
            &app.post(user, "/Subscription", &body).await,
            403,
            "subscribe",
        );
        assert_outcome(&app.get(user, "/Subscription").await, 403, "subscribe");
    }
    // Nor may anyone without a token.
    let resp = send(
        app.client
            .post(app.fhir_url("/Subscription"))
            .header("content-type", FHIR_JSON)
            .body(body.to_string()),
    )
    .await;
    assert_outcome(&resp, 401, "authentication");

    // The hospital's coordinator subscribes.
    let created = subscribe(
        &app,
        "coordinator",
        &format!("Task?owner=Organization/{HOSPITAL}"),
        "http://127.0.0.1:9/his",
    )
    .await;
    let id = id_of(&created);
    let path = format!("/Subscription/{id}");

    // The owner and administrators see it, and a doctor of the same
    // hospital; the family doctor, another hospital and analysts do not:
    // for them it does not exist.
    let h1_doctor = add_user(&app, "h1doc", UserRole::Doctor, HOSPITAL).await;
    let h2_coordinator = add_user(&app, "h2coord", UserRole::Coordinator, OTHER_HOSPITAL).await;
    for user in ["coordinator", "admin"] {
        app.get(user, &path).await.expect(200);
        let bundle = app.get(user, "/Subscription?status=active").await.json();
        assert_eq!(bundle["total"], 1, "{user}: {bundle}");
    }
    as_token(&app, reqwest::Method::GET, &h1_doctor, &path, None)
        .await
        .expect(200);
    for user in ["doctor", "analyst"] {
        assert_outcome(&app.get(user, &path).await, 404, &id);
    }
    assert_outcome(
        &as_token(&app, reqwest::Method::GET, &h2_coordinator, &path, None).await,
        404,
        &id,
    );
    let bundle = app.get("doctor", "/Subscription").await.json();
    assert_eq!(bundle["total"], 0, "{bundle}");
    let resp = as_token(
        &app,
        reqwest::Method::GET,
        &h2_coordinator,
        "/Subscription",
        None,
    )
    .await;
    assert_eq!(resp.json()["total"], 0, "{}", resp.body);

    // Those who cannot see it cannot change it either (404); the doctor of
    // the hospital sees it but may not change it (403).
    let mut off = created.clone();
    off["status"] = json!("off");
    assert_outcome(&app.put("doctor", &path, &off, None).await, 404, &id);
    assert_outcome(
        &send(
            app.fhir(reqwest::Method::DELETE, Some("doctor"), &path)
                .await,
        )
        .await,
        404,
        &id,
    );
    assert_outcome(
        &as_token(&app, reqwest::Method::PUT, &h1_doctor, &path, Some(&off)).await,
        403,
        "owner",
    );
    assert_outcome(
        &as_token(&app, reqwest::Method::DELETE, &h1_doctor, &path, None).await,
        403,
        "owner",
    );
    assert_outcome(
        &as_token(&app, reqwest::Method::DELETE, &h2_coordinator, &path, None).await,
        404,
        &id,
    );

    // An administrator switches it off; the owner deletes it.
    let resp = app.put("admin", &path, &off, None).await;
    resp.expect(200);
    assert_eq!(resp.json()["status"], "off");
    assert_eq!(
        app.get("coordinator", "/Subscription?status=active")
            .await
            .json()["total"],
        0
    );
    send(
        app.fhir(reqwest::Method::DELETE, Some("coordinator"), &path)
            .await,
    )
    .await
    .expect(204);
    assert_outcome(&app.get("coordinator", &path).await, 404, &id);
    assert_outcome(&app.get("admin", &path).await, 404, &id);
}

#[tokio::test]
async fn every_subscription_the_server_returns_is_valid_fhir_r4() {
    let app = spawn_app().await;
    let mut his = Receiver::start(Behaviour::default()).await;
    let mut collected = Vec::new();
    let resp = app
        .post(
            "coordinator",
            "/Subscription",
            &subscription(&format!("Task?owner=Organization/{HOSPITAL}"), &his.url),
        )
        .await;
    resp.expect(201);
    assert!(
        resp.header("location")
            .is_some_and(|l| l.ends_with(&format!("/Subscription/{}", id_of(&resp.json())))),
        "{:?}",
        resp.headers
    );
    assert_eq!(resp.header("etag").as_deref(), Some("W/\"1\""));
    let created = resp.json();
    let id = id_of(&created);
    collected.push(created.clone());
    let mut minimal = json!({
        "resourceType": "Subscription",
        "status": "off",
        "reason": "Paused",
        "criteria": "Task",
        "channel": {"type": "rest-hook", "endpoint": "http://127.0.0.1:9/"}
    });
    let resp = app.post("admin", "/Subscription", &minimal).await;
    resp.expect(201);
    minimal = resp.json();
    assert_eq!(minimal["status"], "off");
    collected.push(minimal);
    collected.push(
        app.get("coordinator", &format!("/Subscription/{id}"))
            .await
            .json(),
    );
    let bundle = app.get("admin", "/Subscription").await.json();
    assert_eq!(bundle["total"], 2, "{bundle}");
    collected.push(bundle);
    let updated = app
        .put(
            "coordinator",
            &format!("/Subscription/{id}"),
            &created,
            Some("W/\"1\""),
        )
        .await;
    updated.expect(200);
    assert_eq!(updated.header("etag").as_deref(), Some("W/\"2\""));
    collected.push(updated.json());
    // And the Task a notification carries.
    let referral = refer(&app, HOSPITAL).await;
    collected.push(assert_task(&his.next().await, &referral, "requested"));
    assert_valid_fhir(&collected);
}

#[tokio::test]
async fn the_township_centre_is_told_of_its_follow_ups() {
    use crate::closed_loop::{post_op, referred_down, simple_plan};
    let app = spawn_app().await;
    let mut his = Receiver::start(Behaviour::default()).await;
    subscribe(&app, "doctor", "Task?owner=Organization/zx-tc1", &his.url).await;
    let down = referred_down(&app).await;
    let plan = app
        .post("specialist", "/CarePlan", &simple_plan(&down))
        .await;
    plan.expect(201);
    let plan = id_of(&plan.json());
    // The downward referral's Task, then the plan's follow-up.
    let follow_up = loop {
        let task = his.next().await.task();
        if task["code"]["coding"][0]["code"] == "follow-up" {
            break task;
        }
        assert_eq!(task["id"], down.as_str(), "{task}");
    };
    assert_eq!(follow_up["status"], "requested");
    assert_eq!(follow_up["focus"]["reference"], format!("CarePlan/{plan}"));
    let id = id_of(&follow_up);
    post_op(
        &app,
        "doctor",
        &format!("/Task/{id}/$complete"),
        json!({"resourceType": "Parameters"}),
    )
    .await
    .expect(200);
    let done = his.next().await;
    assert_eq!(done.path, format!("/his/fhir/Task/{id}"));
    assert_eq!(done.task()["status"], "completed");
}

#[tokio::test]
async fn a_disabled_owners_subscription_waits_until_the_account_is_enabled() {
    use tiercare_store::UserChange;
    let app = spawn_app().await;
    let mut his = Receiver::start(Behaviour::default()).await;
    subscribe(
        &app,
        "coordinator",
        &format!("Task?owner=Organization/{HOSPITAL}"),
        &his.url,
    )
    .await;
    let store = &app.state.ctx.store;
    store
        .change_user("coordinator", &UserChange::Disabled(true), &[])
        .await
        .expect("disable");

    // A referral while the owner is disabled: nothing is sent.
    let first = refer(&app, HOSPITAL).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(his.nothing_more(), "a disabled owner's subscription sent");

    // Enabled again, the next change sends the backlog too.
    store
        .change_user("coordinator", &UserChange::Disabled(false), &[])
        .await
        .expect("enable");
    let second = refer(&app, HOSPITAL).await;
    assert_task(&his.next().await, &first, "requested");
    assert_task(&his.next().await, &second, "requested");
}
