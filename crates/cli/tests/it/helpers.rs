//! A real tiercare server per test: a fresh database (a SQLite file in a
//! temporary directory, or a new PostgreSQL database when the suite runs
//! on PostgreSQL), the demo county loaded through the registry service,
//! and an HTTP client that speaks to it over a real socket.

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;
use tiercare::config::Settings;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::demo::{DemoCounty, DemoUser};
use tokio::sync::{Mutex, oneshot};
use tokio::task::JoinHandle;

/// Residents in the test county: enough for paging and for patients outside
/// the demo doctor's team, few enough to load in a moment.
pub const RESIDENTS: usize = 60;
pub const SEED: u64 = 2026;

/// The FHIR JSON media type.
pub const FHIR_JSON: &str = "application/fhir+json";

/// The demo doctor's team and the demo resident (who is on it).
pub const DOCTOR_TEAM: &str = "team-tc1-1";
pub const DEMO_RESIDENT: &str = "res-000001";

/// A running server and what the tests need to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub county: DemoCounty,
    pub users: Vec<DemoUser>,
    pub database_url: String,
    pub db_path: PathBuf,
    tokens: Mutex<HashMap<String, String>>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    dir: Option<TempDir>,
}

/// Where the tests' subscription receivers listen: on the allow-list of
/// every test server unless a test clears it.
pub const TEST_RECEIVERS: &str = "127.0.0.1";

/// Starts a server on a fresh database with the demo county loaded.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with changed settings (e.g. a small body limit).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_sized(RESIDENTS, configure).await
}

/// Like [`spawn_app_with`], with a county of `residents` residents.
pub async fn spawn_app_sized(residents: usize, configure: impl FnOnce(&mut Settings)) -> TestApp {
    // A running clock: a test moves it to a booked visit's day to record
    // the arrival (see [`TestApp::on_day_of_slot`]).
    spawn_app_at(
        residents,
        configure,
        tiercare_service::clock::Clock::running(),
    )
    .await
}

/// [`spawn_app_sized`] with the services' clock given: a set clock makes a
/// test that generates dated history (seasons, weekdays, the 20th of the
/// month) the same on every day it runs.
pub async fn spawn_app_at(
    residents: usize,
    configure: impl FnOnce(&mut Settings),
    clock: tiercare_service::clock::Clock,
) -> TestApp {
    let dir = tempfile::Builder::new()
        .prefix("tiercare-it-")
        .tempdir()
        .expect("temporary directory");
    let db_path = dir.path().join("t.db");
    // SQLite in the temporary directory, or a fresh PostgreSQL database
    // when the suite runs there.
    let database_url =
        tiercare_store::scratch::database_url(&format!("sqlite://{}", db_path.display()))
            .await
            .expect("a fresh database");
    let county = DemoCounty::generate(residents, SEED);
    let mut settings = Settings {
        listen: "127.0.0.1:0".into(),
        database_url: database_url.clone(),
        region_id: "zx".into(),
        region_name: county.region.name.clone(),
        // The tests' subscription receivers listen on 127.0.0.1, which the
        // production default refuses; `subscription_security` clears this.
        subscription_allow: vec![TEST_RECEIVERS.into()],
        ..Settings::default()
    };
    configure(&mut settings);
    let store = tiercare::startup::open_store(&settings)
        .await
        .expect("open store");
    let state = tiercare::startup::app_state(store, &settings)
        .expect("app state")
        .with_clock(clock);
    tiercare::startup::reindex(&state).await.expect("re-index");
    // One working day of outpatient sessions: enough to book, quick to open.
    let loaded = tiercare::demo::load_with_sessions(&state, &county, 1)
        .await
        .expect("load the demo county");
    assert_eq!(loaded.records, county.records.len());
    let (base, server, tx) = serve(&state, &settings).await;
    TestApp {
        base,
        client: reqwest::Client::new(),
        state,
        users: loaded.users,
        county,
        database_url,
        db_path,
        tokens: Mutex::new(HashMap::new()),
        shutdown: Some(tx),
        server: Some(server),
        dir: Some(dir),
    }
}

/// Another server on a test app's database, as a deployment runs several
/// behind a load balancer: its own connections, state and outbox, the same
/// records, accounts and tokens. Stops when dropped.
pub struct SecondServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
}

impl SecondServer {
    /// The URL of a path under its FHIR base.
    pub fn fhir_url(&self, path: &str) -> String {
        format!("{}/fhir/r4{path}", self.base)
    }
}

impl Drop for SecondServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestApp {
    /// Moves the services' clock to the start of a slot's day, unless it
    /// is there already: a booked patient's arrival is recorded from the
    /// booked day on, and the demo's slots start tomorrow or later.
    pub async fn on_day_of_slot(&self, slot: &str) {
        let slot = slot.strip_prefix("Slot/").unwrap_or(slot);
        let stored = self
            .state
            .ctx
            .store
            .get("Slot", slot)
            .await
            .expect("read the slot")
            .expect("the slot exists");
        let Record::Slot(s) = stored.record else {
            panic!("Slot/{slot} is not a slot");
        };
        let day = s
            .start
            .to_offset(time::UtcOffset::UTC)
            .date()
            .midnight()
            .assume_utc();
        let now = self.state.ctx.clock.now();
        if now < day {
            // Milliseconds are what the clock counts: round up to reach the day.
            self.state
                .ctx
                .clock
                .advance(day - now + time::Duration::milliseconds(1));
        }
        let moved = self.state.ctx.clock.now();
        assert!(
            moved >= day,
            "the clock does not move: {now} -> {moved}, to {day}"
        );
    }

    /// Moves the services' clock to the start of tomorrow (UTC) when less
    /// than `span` is left of today, so a test that advances the clock by up
    /// to `span` counts everything in one day's cohort whatever the hour it
    /// runs at.
    pub fn keep_within_one_day(&self, span: time::Duration) {
        let clock = &self.state.ctx.clock;
        let now = clock.now();
        let tomorrow = now.date().midnight().assume_utc() + time::Duration::days(1);
        if tomorrow - now < span {
            clock.advance(tomorrow - now + time::Duration::minutes(1));
        }
        let moved = clock.now();
        let end = moved.date().midnight().assume_utc() + time::Duration::days(1);
        assert!(
            end - moved >= span,
            "the clock does not move: {now} -> {moved}"
        );
    }

    /// The id of the first slot of a search's page that has not started by
    /// the services' clock (which a test may have moved past the first).
    pub fn first_not_started(&self, bundle: &Value) -> String {
        let now = self.state.ctx.clock.now();
        entries(bundle)
            .iter()
            .find(|s| {
                s["start"].as_str().is_some_and(|t| {
                    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .is_ok_and(|start| start > now)
                })
            })
            .and_then(|s| s["id"].as_str())
            .expect("a slot that has not started")
            .to_string()
    }

    /// [`on_day_of_slot`](Self::on_day_of_slot) for the slot of an appointment.
    pub async fn on_day_of_appointment(&self, appointment: &str) {
        let id = appointment
            .strip_prefix("Appointment/")
            .unwrap_or(appointment);
        let stored = self
            .state
            .ctx
            .store
            .get("Appointment", id)
            .await
            .expect("read the appointment")
            .expect("the appointment exists");
        let Record::Appointment(a) = stored.record else {
            panic!("Appointment/{id} is not an appointment");
        };
        self.on_day_of_slot(a.slot.as_str()).await;
    }

    /// [`on_day_of_slot`](Self::on_day_of_slot) for the slot a referral is
    /// booked in (nothing for a bed or an unbooked referral).
    pub async fn on_day_of_referral_visit(&self, referral: &str) {
        let id = referral.strip_prefix("ServiceRequest/").unwrap_or(referral);
        let stored = self
            .state
            .ctx
            .store
            .get("ServiceRequest", id)
            .await
            .expect("read the referral")
            .expect("the referral exists");
        let Record::Referral(r) = stored.record else {
            panic!("ServiceRequest/{id} is not a referral");
        };
        if let Some(tiercare_core::referral::Booking::Slot { slot, .. }) = r.state.booking() {
            self.on_day_of_slot(slot.as_str()).await;
        }
    }

    /// Starts a second server on this app's database. It loads the demo as
    /// every server does on start, which finds the county there already.
    pub async fn second_server(&self) -> SecondServer {
        self.second_server_with(|_| {}).await
    }

    /// [`second_server`](Self::second_server) with changed settings.
    pub async fn second_server_with(&self, configure: impl FnOnce(&mut Settings)) -> SecondServer {
        let mut settings = Settings {
            listen: "127.0.0.1:0".into(),
            database_url: self.database_url.clone(),
            region_id: self.county.region.id.to_string(),
            region_name: self.county.region.name.clone(),
            subscription_allow: vec![TEST_RECEIVERS.into()],
            ..Settings::default()
        };
        configure(&mut settings);
        let store = tiercare::startup::open_store(&settings)
            .await
            .expect("open the store again");
        let state = tiercare::startup::app_state(store, &settings).expect("app state");
        tiercare::startup::reindex(&state)
            .await
            .expect("the second server's re-index");
        let loaded = tiercare::demo::load_with_sessions(&state, &self.county, 1)
            .await
            .expect("the second server's demo load");
        assert_eq!(loaded.records, 0, "the demo county was loaded twice");
        let (base, _, tx) = serve(&state, &settings).await;
        SecondServer {
            base,
            state,
            shutdown: Some(tx),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Opens an afternoon cardiology session at the county hospital (zx-h1) a
/// week ahead through the referral service: 25 slots, of which the 20
/// public ones (any referral may book them at any time) are returned.
pub async fn open_public_session(app: &TestApp) -> Vec<String> {
    let admin = tiercare_core::access::Actor {
        username: "admin".into(),
        role: tiercare_core::access::UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    };
    let schedule: tiercare_core::ScheduleId = "zx-h1-cardiology".parse().expect("schedule");
    let institution: tiercare_core::InstitutionId = "zx-h1".parse().expect("hospital");
    let day = (time::OffsetDateTime::now_utc() + time::Duration::days(7)).date();
    let plan = tiercare_core::booking::SessionPlan {
        schedule: &schedule,
        institution: &institution,
        specialty: tiercare_core::Specialty::Cardiology,
        start: time::PrimitiveDateTime::new(day, time::macros::time!(06:00)).assume_utc(),
        slot_minutes: 10,
        slots: 25,
    };
    let opened = tiercare_service::referrals::Referrals::new(&app.state.ctx, &admin)
        .open_session(&plan)
        .await
        .expect("session opened");
    assert_eq!(opened, 25);
    let slots: Vec<String> = plan
        .slots(&app.state.ctx.policy)
        .into_iter()
        .filter(|s| !s.reserved)
        .map(|s| s.id.to_string())
        .collect();
    assert_eq!(slots.len(), 20);
    slots
}

/// A response read in full.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {:?}",
                self.status, self.body
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Asserts the status, with the body in the message.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.body
        );
        self
    }
}

/// Sends a request and reads the whole response.
pub async fn send(rb: RequestBuilder) -> Resp {
    let resp = rb.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("response body");
    Resp {
        status,
        headers,
        body,
    }
}

impl TestApp {
    /// The URL of a path on the server (`/healthz`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The URL of a path under the FHIR base (`/Patient/1`).
    pub fn fhir_url(&self, path: &str) -> String {
        format!("{}/fhir/r4{path}", self.base)
    }

    pub fn user(&self, username: &str) -> &DemoUser {
        self.users
            .iter()
            .find(|u| u.username == username)
            .unwrap_or_else(|| panic!("no demo user {username}"))
    }

    /// `POST /auth/token` with a username and password.
    pub async fn login(&self, username: &str, password: &str) -> Resp {
        send(self.client.post(self.url("/auth/token")).form(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ]))
        .await
    }

    /// A bearer token for a demo user, fetched once per app (logins are
    /// deliberately slow).
    pub async fn token(&self, username: &str) -> String {
        let mut tokens = self.tokens.lock().await;
        if let Some(t) = tokens.get(username) {
            return t.clone();
        }
        let password = self.user(username).password.clone();
        let resp = self.login(username, &password).await;
        resp.expect(200);
        let token = resp.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_string();
        tokens.insert(username.to_string(), token.clone());
        token
    }

    /// A request to the FHIR API as a demo user (`None`: no token).
    pub async fn fhir(&self, method: Method, user: Option<&str>, path: &str) -> RequestBuilder {
        let rb = self.client.request(method, self.fhir_url(path));
        match user {
            Some(u) => rb.bearer_auth(self.token(u).await),
            None => rb,
        }
    }

    pub async fn get(&self, user: &str, path: &str) -> Resp {
        send(self.fhir(Method::GET, Some(user), path).await).await
    }

    pub async fn post(&self, user: &str, path: &str, body: &Value) -> Resp {
        send(
            self.fhir(Method::POST, Some(user), path)
                .await
                .header("content-type", FHIR_JSON)
                .body(body.to_string()),
        )
        .await
    }

    pub async fn put(&self, user: &str, path: &str, body: &Value, if_match: Option<&str>) -> Resp {
        let mut rb = self
            .fhir(Method::PUT, Some(user), path)
            .await
            .header("content-type", FHIR_JSON)
            .body(body.to_string());
        if let Some(tag) = if_match {
            rb = rb.header("if-match", tag);
        }
        send(rb).await
    }

    /// Creates a resource as the admin; asserts 201 and returns it.
    pub async fn create(&self, resource: &Value) -> Value {
        let rt = resource["resourceType"].as_str().expect("resourceType");
        let resp = self.post("admin", &format!("/{rt}"), resource).await;
        resp.expect(201);
        resp.json()
    }

    /// Number of stored records of a type, straight from the store.
    pub async fn count(&self, resource_type: &str) -> u64 {
        self.state
            .ctx
            .store
            .count(resource_type)
            .await
            .expect("count")
    }

    /// The demo county's residents.
    pub fn residents(&self) -> impl Iterator<Item = &tiercare_core::resident::Resident> {
        self.county.records.iter().filter_map(|r| match r {
            Record::Resident(r) => Some(r),
            _ => None,
        })
    }

    /// The residents contracted to the demo doctor's team: the patients
    /// the doctor may refer.
    pub fn team_patients(&self) -> Vec<tiercare_core::ResidentId> {
        self.residents()
            .filter(|r| {
                r.contract
                    .as_ref()
                    .is_some_and(|c| c.team.as_str() == DOCTOR_TEAM)
            })
            .map(|r| r.id.clone())
            .collect()
    }

    /// The temporary directory holding the database.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("directory").path()
    }

    /// Stops the server without closing the store, and hands back the
    /// temporary directory so the database file outlives the app.
    pub async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server");
        }
        self.dir.take().expect("directory")
    }
}

/// Asserts an `OperationOutcome` with the status, whose diagnostics or
/// expression mention `needle` (case-insensitive).
#[track_caller]
/// A request naming a record the caller may not read: answered exactly as
/// for an id that does not exist (404, `not-found`, "`reference` does not
/// exist"), so ids cannot be probed.
pub fn assert_hidden(resp: &Resp, reference: &str) {
    let v = assert_outcome(resp, 404, &format!("{reference} does not exist"));
    assert_eq!(v["issue"][0]["code"], "not-found", "{v}");
}

pub fn assert_outcome(resp: &Resp, status: u16, needle: &str) -> Value {
    resp.expect(status);
    let ct = resp.header("content-type").unwrap_or_default();
    assert!(ct.starts_with(FHIR_JSON), "content type {ct:?}");
    let v = resp.json();
    assert_eq!(v["resourceType"], "OperationOutcome", "{v}");
    let issue = &v["issue"][0];
    assert_eq!(issue["severity"], "error", "{v}");
    let text = format!("{} {}", issue["diagnostics"], issue["expression"]).to_lowercase();
    assert!(
        text.contains(&needle.to_lowercase()),
        "OperationOutcome does not mention {needle:?}: {v}"
    );
    v
}

/// Asserts that every element of `expected` is in `actual` (objects: every
/// key, recursively; arrays: element by element, same length). Lets a test
/// check that what was sent comes back, whatever the server adds.
#[track_caller]
pub fn assert_contains(expected: &Value, actual: &Value) {
    if let Err(path) = contains(expected, actual, "$") {
        panic!("{path} differs\nexpected (subset): {expected:#}\nactual: {actual:#}");
    }
}

fn contains(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let child = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => contains(v, av, &child)?,
                    None => return Err(child),
                }
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                contains(ev, av, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => Ok(()),
        (e, a) if e == a => Ok(()),
        _ => Err(path.to_string()),
    }
}

/// The resources of a Bundle's entries.
pub fn entries(bundle: &Value) -> Vec<Value> {
    bundle["entry"]
        .as_array()
        .map(|es| es.iter().map(|e| e["resource"].clone()).collect())
        .unwrap_or_default()
}

/// The ids of a Bundle's entries.
pub fn entry_ids(bundle: &Value) -> Vec<String> {
    entries(bundle)
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// The team a Patient's family-doctor contract names, if any.
pub fn contract_team(patient: &Value) -> Option<String> {
    patient["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"] == crate::fixtures::CONTRACT_URL)?["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"] == "team")?["valueReference"]["reference"]
        .as_str()
        .map(str::to_string)
}

/// The workspace root (for `tests/fhir_validate.py`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Every demo user, one per role and workplace (the front desk is a
/// coordinator at a primary-care centre, the specialist a doctor at the
/// county hospital): the callers a test walks an endpoint as.
pub const ROLES: [&str; 8] = [
    "admin",
    "coordinator",
    "doctor",
    "specialist",
    "analyst",
    "resident",
    "insurer",
    "frontdesk",
];

/// The registry's resource types, each backed by stored records.
pub const REGISTRY_TYPES: [&str; 8] = [
    "Organization",
    "OrganizationAffiliation",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "CareTeam",
    "Patient",
    "List",
];

/// Sends raw bytes to a FHIR path as a demo user, with the given
/// content type (`None`: no Content-Type header).
pub async fn send_raw(
    app: &TestApp,
    method: Method,
    user: &str,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Resp {
    let mut rb = app.fhir(method, Some(user), path).await.body(body);
    if let Some(ct) = content_type {
        rb = rb.header("content-type", ct);
    }
    send(rb).await
}

/// The resident `patient` books `slot` for themself (a self-referred
/// visit): the Appointment's id.
pub async fn self_book(app: &TestApp, patient: &str, slot: &str) -> String {
    let booked = app
        .post(
            "resident",
            "/Appointment",
            &serde_json::json!({"resourceType": "Appointment",
                    "slot": [{"reference": format!("Slot/{slot}")}],
                    "participant": [{"actor": {"reference": format!("Patient/{patient}")}, "status": "accepted"}]}),
        )
        .await;
    booked.expect(201);
    booked.json()["id"]
        .as_str()
        .expect("the appointment's id")
        .to_string()
}

/// A fresh database for a `tiercare` process a test starts (a SQLite file
/// in a temporary folder, or a new database on the suite's PostgreSQL),
/// with a runtime to reach it from a plain test: the folder, the runtime,
/// the URL.
pub fn scratch_database() -> (tempfile::TempDir, tokio::runtime::Runtime, String) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let url = runtime
        .block_on(tiercare_store::scratch::database_url(&format!(
            "sqlite://{}",
            dir.path().join("d.db").display()
        )))
        .expect("a fresh database");
    (dir, runtime, url)
}

/// The stored domain events of one kind (`referral.booked.v1`), oldest
/// first, straight from the store.
pub async fn events_of(state: &AppState, kind: &str) -> Vec<tiercare_store::StoredEvent> {
    state
        .ctx
        .store
        .events_after(0, 1_000_000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

/// Stored records of every registry type, straight from the store.
pub async fn counts(app: &TestApp) -> std::collections::BTreeMap<&'static str, u64> {
    let mut out = std::collections::BTreeMap::new();
    for rt in REGISTRY_TYPES {
        out.insert(rt, app.count(rt).await);
    }
    out
}

/// Ids of the demo county's records of one kind (`Record::kind`:
/// institution, alliance, practitioner, team, resident, ...), in load order.
pub fn demo_ids(app: &TestApp, kind: &str) -> Vec<String> {
    app.county
        .records
        .iter()
        .filter(|r| r.kind() == kind)
        .map(|r| r.id().to_string())
        .collect()
}

/// A client that shows redirects instead of following them, as the web
/// UI's tests need (a form answers 303 to the page it leads to).
pub fn ui_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The value of the first `name="…" value="…"` field of a page (the
/// CSRF token, a hidden version, a submission key).
pub fn field(html: &str, name: &str) -> String {
    let needle = format!(r#"name="{name}" value=""#);
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no field {name} in the page"));
    let rest = &html[at + needle.len()..];
    rest[..rest.find('"').expect("end of value")].to_string()
}

/// The core actor a demo user signs in as, for calling the services
/// directly in a test's setup.
pub fn actor_of(app: &TestApp, username: &str) -> tiercare_core::access::Actor {
    let u = app.user(username);
    tiercare_core::access::Actor {
        username: u.username.clone(),
        role: u.role,
        institution: u.institution.clone(),
        practitioner: u.practitioner.clone(),
        resident: u.resident.clone(),
    }
}

/// Serves `state` (the FHIR API and the pages) where `settings` say to
/// listen: its base address, the server's task and the sender that stops
/// it.
pub(crate) async fn serve(
    state: &AppState,
    settings: &Settings,
) -> (String, JoinHandle<std::io::Result<()>>, oneshot::Sender<()>) {
    let listener = tiercare::startup::bind(settings).await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(tiercare_api::serve(
        listener,
        state.clone(),
        tiercare_web::routes(state.clone()),
        async move {
            let _ = rx.await;
        },
    ));
    (base, server, tx)
}
