//! Many clients at once: optimistic locking lets exactly one of many
//! updates of the same version win, unconditional updates never lose a
//! version, and concurrent creates all land under distinct ids.

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app};
use serde_json::json;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use tokio::task::JoinSet;

const N: usize = 50;

/// A started app with the admin's token already fetched, shareable
/// between tasks.
async fn shared_app() -> Arc<TestApp> {
    let app = spawn_app().await;
    app.token("admin").await;
    Arc::new(app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_of_one_version_let_exactly_one_win() {
    let app = shared_app().await;
    let created = app
        .create(&fixtures::patient("Tian", "Yu", Some("team-tc1-1")))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/Patient/{id}");
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let (app, path) = (app.clone(), path.clone());
        let mut body = created.clone();
        body["name"] = json!([{"family": "Tian", "given": [format!("Writer{i}")]}]);
        tasks.spawn(async move {
            let resp = app.put("admin", &path, &body, Some("W/\"1\"")).await;
            (i, resp)
        });
    }
    let mut winners = Vec::new();
    let mut refused = 0;
    while let Some(done) = tasks.join_next().await {
        let (i, resp) = done.expect("task");
        match resp.status {
            200 => {
                assert_eq!(resp.header("etag").as_deref(), Some("W/\"2\""));
                winners.push(i);
            }
            412 => {
                crate::helpers::assert_outcome(&resp, 412, "at version 2");
                refused += 1;
            }
            other => panic!("writer {i}: unexpected {other}: {}", resp.body),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    assert_eq!(refused, N - 1);
    // The winner's change is what is stored, at version 2, and there is
    // no version 3.
    let read = app.get("admin", &path).await;
    read.expect(200);
    assert_eq!(read.header("etag").as_deref(), Some("W/\"2\""));
    let v = read.json();
    assert_eq!(v["meta"]["versionId"], "2");
    assert_eq!(
        v["name"][0]["given"],
        json!([format!("Writer{}", winners[0])])
    );
    app.get("admin", &format!("{path}/_history/2"))
        .await
        .expect(200);
    app.get("admin", &format!("{path}/_history/3"))
        .await
        .expect(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_unconditional_updates_each_get_their_own_version() {
    let app = shared_app().await;
    let created = app
        .create(&fixtures::practitioner("Jiang", "Hao", "110429999995555"))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/Practitioner/{id}");
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let (app, path) = (app.clone(), path.clone());
        let mut body = created.clone();
        body["name"] = json!([{"family": "Jiang", "given": [format!("Writer{i}")]}]);
        tasks.spawn(async move { app.put("admin", &path, &body, None).await });
    }
    let mut versions = BTreeSet::new();
    while let Some(done) = tasks.join_next().await {
        let resp = done.expect("task");
        resp.expect(200);
        versions.insert(
            resp.json()["meta"]["versionId"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Versions 2..=51, each handed out once.
    let expected: BTreeSet<String> = (2..=N + 1).map(|v| v.to_string()).collect();
    assert_eq!(versions, expected);
    let read = app.get("admin", &path).await;
    assert_eq!(read.header("etag"), Some(format!("W/\"{}\"", N + 1)));
    // Every version is in the history, and the last one is the current.
    for v in 1..=N + 1 {
        app.get("admin", &format!("{path}/_history/{v}"))
            .await
            .expect(200);
    }
    let last = app
        .get("admin", &format!("{path}/_history/{}", N + 1))
        .await
        .json();
    assert_eq!(last, read.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_all_land_under_distinct_ids() {
    let app = shared_app().await;
    let before = (app.count("Practitioner").await, app.count("Patient").await);
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let app = app.clone();
        tasks.spawn(async move {
            let body = if i % 2 == 0 {
                fixtures::practitioner("Deng", &format!("P{i}"), &format!("1104299999{i:05}"))
            } else {
                fixtures::patient("Deng", &format!("R{i}"), Some("team-tc1-1"))
            };
            let rt = body["resourceType"].as_str().unwrap().to_string();
            let resp = app.post("admin", &format!("/{rt}"), &body).await;
            resp.expect(201);
            let v = resp.json();
            (
                rt,
                v["id"].as_str().unwrap().to_string(),
                v["name"][0]["given"][0].clone(),
            )
        });
    }
    let mut ids = HashSet::new();
    let mut created = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (rt, id, given) = done.expect("task");
        assert!(ids.insert(id.clone()), "id {id} handed out twice");
        created.push((rt, id, given));
    }
    assert_eq!(ids.len(), N);
    assert_eq!(app.count("Practitioner").await, before.0 + N as u64 / 2);
    assert_eq!(app.count("Patient").await, before.1 + N as u64 / 2);
    // Each id holds what its creator sent.
    for (rt, id, given) in created {
        let v = app.get("admin", &format!("/{rt}/{id}")).await.json();
        assert_eq!(v["name"][0]["given"][0], given, "{rt}/{id}");
        assert_eq!(v["meta"]["versionId"], "1");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_at_one_client_id_create_it_once() {
    let app = shared_app().await;
    let before = app.count("Practitioner").await;
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let app = app.clone();
        tasks.spawn(async move {
            let body = fixtures::practitioner("Cai", &format!("Q{i}"), "110429999994444");
            app.put("admin", "/Practitioner/pr-race", &body, None).await
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        statuses.push(done.expect("task").status);
    }
    statuses.sort();
    // One create, the rest updates of it.
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        N - 1,
        "{statuses:?}"
    );
    assert_eq!(app.count("Practitioner").await, before + 1);
    let read = app.get("admin", "/Practitioner/pr-race").await;
    assert_eq!(read.header("etag"), Some(format!("W/\"{N}\"")));
}
