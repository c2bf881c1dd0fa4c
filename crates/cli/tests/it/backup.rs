//! `tiercare backup` and `tiercare restore`: a backup of a running server's
//! database restored into a fresh one holds exactly the same rows in every
//! table; a restore refuses a database with data unless forced.
//!
//! On PostgreSQL the commands run `pg_dump` and `pg_restore`, taken from
//! the PostgreSQL 15 client tools when installed there, else from `PATH`.

use crate::helpers::{TestApp, spawn_app};
use crate::ops::text;
use sqlx::{Connection, Row};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Runs `tiercare` from `dir` without any `TIERCARE_*` settings of the
/// environment, with the PostgreSQL client tools on `PATH`.
/// Backs the app's database up with `tiercare backup` into its folder.
async fn back_up(app: &TestApp, name: &str) -> std::path::PathBuf {
    let backup = app.dir().join(name);
    let out = tiercare(
        app.dir(),
        &[
            "backup",
            "--database",
            &app.database_url,
            backup.to_str().expect("utf-8"),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    backup
}

async fn tiercare(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tiercare"));
    cmd.args(args).current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("TIERCARE_") {
            cmd.env_remove(k);
        }
    }
    if Path::new(PG_BIN).is_dir() {
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{PG_BIN}:{path}"));
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("run tiercare"))
        .await
        .expect("join")
}

/// Every row of every table (but the migrations' bookkeeping), each as its
/// columns' text, sorted: two databases with the same rows give the same.
async fn every_row(url: &str) -> BTreeMap<String, Vec<Vec<String>>> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    let list = if url.starts_with("sqlite") {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'"
    } else {
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'"
    };
    let tables: Vec<String> = sqlx::query_scalar(list)
        .fetch_all(&mut conn)
        .await
        .expect("tables");
    let mut out = BTreeMap::new();
    for table in tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(&mut conn)
            .await
            .expect("rows");
        let mut texts: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
                            format!("{v:?}")
                        } else {
                            let v: Option<String> = r.try_get(i).expect("text or integer");
                            format!("{v:?}")
                        }
                    })
                    .collect()
            })
            .collect();
        texts.sort();
        out.insert(table, texts);
    }
    conn.close().await.expect("close");
    out
}

/// A fresh, empty database beside the app's: a file in its directory, or a
/// new PostgreSQL database.
async fn fresh_database(app: &TestApp, name: &str) -> String {
    tiercare_store::scratch::database_url(&format!("sqlite://{}", app.dir().join(name).display()))
        .await
        .expect("a fresh database")
}

#[tokio::test]
async fn a_backup_restored_into_a_fresh_database_holds_every_row() {
    let app = spawn_app().await;
    // Audit entries, tokens and a written record besides the demo county.
    for patient in app.team_patients().iter().cycle().take(3) {
        app.get("doctor", &format!("/Patient/{patient}"))
            .await
            .expect(200);
    }
    let backup = back_up(&app, "county.backup").await;
    assert!(backup.is_file());
    // A backup never overwrites a file.
    let again = tiercare(
        app.dir(),
        &[
            "backup",
            "--database",
            &app.database_url,
            backup.to_str().expect("utf-8"),
        ],
    )
    .await;
    assert!(!again.status.success(), "{}", text(&again));

    let target = fresh_database(&app, "restored.db").await;
    let restore = |force: bool| {
        let mut args = vec![
            "restore".to_string(),
            "--database".into(),
            target.clone(),
            backup.display().to_string(),
        ];
        if force {
            args.push("--force".into());
        }
        let dir = app.dir().to_path_buf();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            tiercare(&dir, &args).await
        }
    };
    let out = restore(false).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("chain: intact"), "{}", text(&out));

    let source = every_row(&app.database_url).await;
    let restored = every_row(&target).await;
    for table in [
        "records",
        "record_history",
        "search_index",
        "events",
        "users",
        "audit",
        "indicator_days",
    ] {
        assert!(
            source.get(table).is_some_and(|rows| !rows.is_empty()),
            "{table} is empty: the comparison would prove nothing"
        );
    }
    assert_eq!(
        source.keys().collect::<Vec<_>>(),
        restored.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &source {
        assert_eq!(
            rows.len(),
            restored[table].len(),
            "{table}: row counts differ"
        );
        assert!(rows == &restored[table], "{table}: rows differ");
    }

    // The restored database now holds data: only --force replaces it.
    let out = restore(false).await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("already holds data"), "{}", text(&out));
    let out = restore(true).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(every_row(&target).await, source);
}

#[tokio::test]
async fn a_restore_refuses_what_is_not_a_backup() {
    let app = spawn_app().await;
    let junk = app.dir().join("junk.backup");
    std::fs::write(&junk, "not a database").expect("write");
    let target = fresh_database(&app, "restored.db").await;
    let out = tiercare(
        app.dir(),
        &[
            "restore",
            "--database",
            &target,
            junk.to_str().expect("utf-8"),
        ],
    )
    .await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("junk.backup"), "{}", text(&out));
    // Nothing was restored.
    match target.strip_prefix("sqlite://") {
        Some(file) => assert!(!Path::new(file).exists(), "a failed restore left {file}"),
        None => assert!(
            every_row(&target).await.values().all(Vec::is_empty),
            "a failed restore left rows behind"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_the_server_writes_is_consistent() {
    let app = spawn_app().await;
    let token = app.token("doctor").await;
    let patients = app.team_patients();
    let client = reqwest::Client::new();
    // Audited reads keep the writer busy while the backup runs.
    let mut reads = Vec::new();
    for patient in patients.iter().cycle().take(300) {
        let request = client
            .get(app.fhir_url(&format!("/Patient/{patient}")))
            .bearer_auth(&token)
            .send();
        reads.push(tokio::spawn(async move {
            request.await.expect("send").status().as_u16()
        }));
    }
    let backup = back_up(&app, "online.backup").await;
    for read in reads {
        assert_eq!(read.await.expect("join"), 200);
    }
    let target = fresh_database(&app, "restored.db").await;
    let out = tiercare(
        app.dir(),
        &[
            "restore",
            "--database",
            &target,
            backup.to_str().expect("utf-8"),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    // The copy's trail is whole, and the live trail passes through its
    // head: the backup holds exactly a prefix of what was committed.
    let restored = tiercare_store::Store::open(&target).await.expect("open");
    let copy = restored.verify_audit().await.expect("verify");
    restored.close().await;
    assert!(copy.is_intact(), "{copy:?}");
    let head = copy.head.expect("a head");
    let live = app
        .state
        .ctx
        .store
        .verify_audit_anchored(Some(&head))
        .await
        .expect("verify");
    assert!(live.is_intact(), "{live:?}");
    assert_eq!(live.anchor, Some(tiercare_store::AnchorCheck::Holds));
    assert!(live.checked >= copy.checked);
}
