//! Several tiercare servers on one database, as a county runs them behind
//! a load balancer: a booking race driven through two servers books each
//! slot once, and servers started together load the demo county once.

use crate::helpers::{FHIR_JSON, send, spawn_app};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use tiercare_core::referral::Priority;
use tokio::sync::Semaphore;

const HOSPITAL: &str = "zx-h1";
/// Booking attempts in the race, and how many are in flight at once.
const ATTEMPTS: usize = 10_000;
const IN_FLIGHT: usize = 256;
const REFERRALS: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_bookings_through_two_servers_book_each_slot_once() {
    let app = Arc::new(spawn_app().await);
    let second = Arc::new(app.second_server().await);
    let slots = crate::helpers::open_public_session(&app).await;
    let refs = crate::booking::referrals(&app, REFERRALS, Priority::Routine).await;
    // One sign-in, on the first server: the token works on both.
    let token = app.token("coordinator").await;

    // Every referral tries several slots, every slot is wanted by many,
    // alternately through one server and the other.
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let client = reqwest::Client::new();
    let mut tasks = Vec::with_capacity(ATTEMPTS);
    for i in 0..ATTEMPTS {
        let r = &refs[i % REFERRALS];
        let slot = &slots[(i / REFERRALS + i) % slots.len()];
        let path = format!("/ServiceRequest/{r}/$book");
        let url = if i % 2 == 0 {
            app.fhir_url(&path)
        } else {
            second.fhir_url(&path)
        };
        let body = json!({"resourceType": "Parameters", "parameter": [
            {"name": "slot", "valueReference": {"reference": format!("Slot/{slot}")}}
        ]})
        .to_string();
        let (gate, client, token, r, slot) = (
            gate.clone(),
            client.clone(),
            token.clone(),
            r.clone(),
            slot.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.expect("gate");
            let resp = send(
                client
                    .post(url)
                    .bearer_auth(token)
                    .header("content-type", FHIR_JSON)
                    .body(body),
            )
            .await;
            (r, slot, resp.status, resp.body)
        }));
    }
    let mut won: BTreeMap<String, String> = BTreeMap::new();
    let mut refused = 0;
    for t in tasks {
        let (r, slot, status, body) = t.await.expect("task");
        match status {
            200 => {
                if let Some(earlier) = won.insert(slot.clone(), r.clone()) {
                    panic!("Slot/{slot} booked twice: for {earlier} and {r}");
                }
            }
            409 => refused += 1,
            other => panic!("booking {r} at {slot}: unexpected {other}: {body}"),
        }
    }
    assert_eq!(won.len(), 20, "exactly one booking per slot");
    assert_eq!(refused, ATTEMPTS - 20);
    // A referral holds at most one of them.
    let mut holders: Vec<&String> = won.values().collect();
    holders.sort();
    holders.dedup();
    assert_eq!(holders.len(), 20, "a referral booked twice: {won:?}");

    // Both servers read the same outcome: each slot busy, twenty referrals
    // booked, one booking event each.
    for base in [app.base.clone(), second.base.clone()] {
        let booked: Value = send(
            client
                .get(format!(
                    "{base}/fhir/r4/ServiceRequest?performer=Organization/{HOSPITAL}&state=booked&_count=500"
                ))
                .bearer_auth(&token),
        )
        .await
        .json();
        assert_eq!(booked["total"], 20, "{base}");
        for s in &slots {
            let slot: Value = send(
                client
                    .get(format!("{base}/fhir/r4/Slot/{s}"))
                    .bearer_auth(&token),
            )
            .await
            .json();
            assert_eq!(slot["status"], "busy", "{base} Slot/{s}");
        }
    }
    let booked = crate::helpers::events_of(&second.state, "referral.booked.v1").await;
    assert_eq!(booked.len(), 20);
}

#[test]
fn servers_started_together_load_the_demo_county_once() {
    let (_dir, runtime, url) = crate::helpers::scratch_database();
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tiercare"))
            .args(["demo", "--load-only", "--history-days", "0"])
            .args(["--residents", "300", "--database", &url])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start tiercare demo")
    };
    let (a, b) = (start(), start());
    let mut loaded_now = Vec::new();
    for child in [a, b] {
        let out = child.wait_with_output().expect("tiercare demo ran");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let n: usize = stdout
            .split(" records loaded now")
            .next()
            .and_then(|s| s.rsplit('(').next())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("no record count in {stdout:?}"));
        loaded_now.push(n);
    }
    loaded_now.sort_unstable();
    let county = tiercare_core::demo::DemoCounty::generate(300, 2026);
    assert_eq!(
        loaded_now,
        [0, county.records.len()],
        "one server loads, the other finds it"
    );
    // Each record is there once, each demo account once.
    runtime.block_on(async {
        let store = tiercare_store::Store::open(&url).await.expect("open");
        let patients = county
            .records
            .iter()
            .filter(|r| r.resource_type() == "Patient")
            .count();
        assert_eq!(
            store.count("Patient").await.expect("count"),
            patients as u64
        );
        let users = store.list_users().await.expect("users");
        assert_eq!(users.len(), county.users.len());
        store.close().await;
    });
}
