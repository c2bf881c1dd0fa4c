//! Re-indexing at start: a database whose search index was built by older
//! term rules (here: without the `system|code` terms, as before they were
//! added) is re-indexed by the next server that starts on it, once, and
//! the records written before are found by the new terms again.

use crate::helpers::{TestApp, send, spawn_app};
use crate::search::enc;
use sqlx::Connection;
use tiercare_store::Reindexed;

/// Runs statements on the app's database, past the store, as an older
/// build would have left it.
async fn run_sql(app: &TestApp, statements: &[&str]) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .expect("connect");
    for s in statements {
        sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
            .execute(&mut conn)
            .await
            .expect(s);
    }
    conn.close().await.expect("close");
}

async fn total(app: &TestApp, url: String) -> u64 {
    let resp = send(app.client.get(url).bearer_auth(app.token("admin").await)).await;
    resp.expect(200);
    resp.json()["total"].as_u64().expect("total")
}

#[tokio::test]
async fn a_server_started_on_an_older_index_rebuilds_it() {
    let app = spawn_app().await;
    let store = &app.state.ctx.store;
    assert_eq!(
        store.index_version().await.expect("version"),
        tiercare_fhir::INDEX_VERSION
    );
    let system_code = enc(&format!("{}/key-group|elderly", crate::fixtures::CS));
    let path = format!("/Patient?key-group={system_code}&_summary=count");
    let elderly = total(&app, app.fhir_url(&path)).await;
    assert!(elderly > 0);
    let plain = total(
        &app,
        app.fhir_url("/Patient?key-group=elderly&_summary=count"),
    )
    .await;
    assert_eq!(plain, elderly);

    // The index as the build before `system|code` terms left it.
    run_sql(
        &app,
        &[
            "UPDATE index_meta SET version = 0",
            "DELETE FROM search_index WHERE value LIKE 'http%|%'",
        ],
    )
    .await;
    assert_eq!(total(&app, app.fhir_url(&path)).await, 0);

    // The next server to start re-indexes; both then find the records.
    let second = app.second_server().await;
    assert_eq!(
        store.index_version().await.expect("version"),
        tiercare_fhir::INDEX_VERSION
    );
    assert_eq!(total(&app, second.fhir_url(&path)).await, elderly);
    assert_eq!(total(&app, app.fhir_url(&path)).await, elderly);
    // The plain code terms were rebuilt too, not doubled.
    let plain_after = total(
        &app,
        app.fhir_url("/Patient?key-group=elderly&_summary=count"),
    )
    .await;
    assert_eq!(plain_after, plain);

    // A later start finds the index current and leaves it alone.
    let again = store
        .reindex_to(tiercare_fhir::INDEX_VERSION, 500, |_| Vec::new(), |_, _| {})
        .await
        .expect("re-index");
    assert_eq!(
        again,
        Reindexed::Current {
            stored: tiercare_fhir::INDEX_VERSION
        }
    );
    assert_eq!(total(&app, app.fhir_url(&path)).await, elderly);
}
