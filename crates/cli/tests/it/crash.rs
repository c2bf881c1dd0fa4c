//! A server killed with SIGKILL under a mixed write load loses no write it
//! acknowledged: every create and update answered 2xx before the kill is
//! in the database afterwards, at its version and with its content, on
//! whichever store the suite runs on. `scripts/crash.sh` runs this on both
//! stores by itself.

use crate::fixtures;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tiercare_core::Record;
use tiercare_core::demo::DemoCounty;
use tokio::sync::{Mutex, Notify};

/// Clients writing at once, and the acknowledged writes after which the
/// server is killed (the load goes on until then, and past it).
const CLIENTS: usize = 8;
const KILL_AFTER: usize = 400;
const RESIDENTS: usize = 100;

/// One write the server acknowledged.
#[derive(Debug, Clone)]
struct Acked {
    resource_type: &'static str,
    id: String,
    version: u32,
    /// What the write set, to find in the stored version.
    family: Option<String>,
}

/// Starts `tiercare demo` on `url` and returns it with its base URL, read
/// from what it prints once it listens.
fn start_server(url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tiercare"))
        .args(["demo", "--history-days", "0", "--listen", "127.0.0.1:0"])
        .args(["--residents", &RESIDENTS.to_string(), "--database", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tiercare demo");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the server printed its URL before it stopped")
            .expect("read stdout");
        if let Some(rest) = line.trim().strip_prefix("URL:") {
            let url = rest.split_whitespace().next().expect("a URL");
            break url.trim_end_matches('/').to_string();
        }
    };
    // Keep draining what it prints, so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (child, base)
}

async fn token(client: &reqwest::Client, base: &str, county: &DemoCounty, user: &str) -> String {
    let password = &county
        .users
        .iter()
        .find(|u| u.username == user)
        .expect("demo user")
        .password;
    let v: Value = client
        .post(format!("{base}/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("token JSON");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// What the clients share: the writes acknowledged so far, and the signal
/// that there are enough to kill the server.
struct Shared {
    acked: Mutex<Vec<Acked>>,
    count: AtomicUsize,
    enough: Notify,
    /// The doctor's patients, referred in turn.
    patients: Vec<String>,
}

/// One client's writes until the server dies: creates a Patient, updates
/// it, refers one of the doctor's patients; records each write that was
/// answered 2xx. Returns what stopped it: a refused write, or (once the
/// server is killed) a failed connection.
async fn write_until_gone(
    client: reqwest::Client,
    base: String,
    admin: String,
    doctor: String,
    n: usize,
    shared: Arc<Shared>,
) -> String {
    let fhir = format!("{base}/fhir/r4");
    let ack = |a: Acked| {
        let shared = shared.clone();
        async move {
            shared.acked.lock().await.push(a);
            if shared.count.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                shared.enough.notify_one();
            }
        }
    };
    for i in 0.. {
        let family = format!("Crash{n}x{i}");
        let body = fixtures::patient(&family, "Yu", Some("team-tc1-1"));
        let resp = match client
            .post(format!("{fhir}/Patient"))
            .bearer_auth(&admin)
            .header("content-type", "application/fhir+json")
            .json(&body)
            .send()
            .await
        {
            Ok(r) if r.status().as_u16() == 201 => r,
            Ok(r) => return format!("create refused: {}", r.status()),
            Err(e) => return format!("connection: {e}"),
        };
        let Ok(created) = resp.json::<Value>().await else {
            return "connection: body cut".into();
        };
        let id = created["id"].as_str().expect("id").to_string();
        ack(Acked {
            resource_type: "Patient",
            id: id.clone(),
            version: 1,
            family: Some(family.clone()),
        })
        .await;
        let renamed = format!("{family}b");
        let mut changed = body.clone();
        changed["id"] = Value::String(id.clone());
        changed["name"][0]["family"] = Value::String(renamed.clone());
        match client
            .put(format!("{fhir}/Patient/{id}"))
            .bearer_auth(&admin)
            .header("content-type", "application/fhir+json")
            .header("if-match", "W/\"1\"")
            .json(&changed)
            .send()
            .await
        {
            Ok(r) if r.status().as_u16() == 200 => {}
            Ok(r) => return format!("update refused: {}", r.status()),
            Err(e) => return format!("connection: {e}"),
        }
        ack(Acked {
            resource_type: "Patient",
            id,
            version: 2,
            family: Some(renamed),
        })
        .await;
        let referral = serde_json::json!({
            "resourceType": "ServiceRequest",
            "subject": {"reference": format!("Patient/{}", shared.patients[(n + i) % shared.patients.len()])},
            "performer": [{"reference": "Organization/zx-h1"}],
            "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
            "note": [{"text": "Exertional chest pain."}]
        });
        let resp = match client
            .post(format!("{fhir}/ServiceRequest"))
            .bearer_auth(&doctor)
            .header("content-type", "application/fhir+json")
            .json(&referral)
            .send()
            .await
        {
            Ok(r) if r.status().as_u16() == 201 => r,
            Ok(r) => {
                let status = r.status();
                return format!(
                    "referral refused: {status} {}",
                    r.text().await.unwrap_or_default()
                );
            }
            Err(e) => return format!("connection: {e}"),
        };
        let Ok(made) = resp.json::<Value>().await else {
            return "connection: body cut".into();
        };
        ack(Acked {
            resource_type: "ServiceRequest",
            id: made["id"].as_str().expect("id").to_string(),
            version: 1,
            family: None,
        })
        .await;
    }
    unreachable!("the loop only ends by returning")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_under_load_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = tiercare_store::scratch::database_url(&format!(
        "sqlite://{}",
        dir.path().join("crash.db").display()
    ))
    .await
    .expect("a fresh database");
    let county = DemoCounty::generate(RESIDENTS, 2026);
    let (mut server, base) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || start_server(&url)
    })
    .await
    .expect("server start");
    let client = reqwest::Client::new();
    let admin = token(&client, &base, &county, "admin").await;
    let doctor = token(&client, &base, &county, "doctor").await;

    let patients = county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Resident(r)
                if r.contract
                    .as_ref()
                    .is_some_and(|c| c.team.as_str() == crate::helpers::DOCTOR_TEAM) =>
            {
                Some(r.id.to_string())
            }
            _ => None,
        })
        .collect();
    let shared = Arc::new(Shared {
        acked: Mutex::new(Vec::new()),
        count: AtomicUsize::new(0),
        enough: Notify::new(),
        patients,
    });
    let mut clients = tokio::task::JoinSet::new();
    for n in 0..CLIENTS {
        clients.spawn(write_until_gone(
            client.clone(),
            base.clone(),
            admin.clone(),
            doctor.clone(),
            n,
            shared.clone(),
        ));
    }
    // Killed in the middle of the load, writes in flight; a client that
    // stops before then was refused, which fails the test.
    tokio::select! {
        () = shared.enough.notified() => {}
        Some(stopped) = clients.join_next() => {
            let _ = server.kill();
            panic!("a client stopped before the kill: {}", stopped.expect("client"));
        }
    }
    server.kill().expect("SIGKILL the server");
    server.wait().expect("the server is gone");
    while let Some(stopped) = clients.join_next().await {
        let why = stopped.expect("client");
        assert!(why.starts_with("connection"), "after the kill: {why}");
    }
    let acked = shared.acked.lock().await.clone();
    assert!(acked.len() >= KILL_AFTER, "{} acknowledged", acked.len());

    // Reopened, the database holds every acknowledged write as it was
    // acknowledged.
    let store = tiercare_store::Store::open(&url).await.expect("reopen");
    for a in &acked {
        let stored = store
            .get_version(a.resource_type, &a.id, a.version)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("lost: {a:?}"));
        if let Some(family) = &a.family {
            let Record::Resident(r) = &stored.record else {
                panic!("{a:?} is {:?}", stored.record)
            };
            assert_eq!(&r.name.family, family, "{a:?}");
        }
    }
    // And the server starts again on it.
    let (mut again, base) = tokio::task::spawn_blocking(move || start_server(&url))
        .await
        .expect("restart");
    let health = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
    again.kill().expect("stop the restarted server");
    let _ = again.wait();
    store.close().await;
}
