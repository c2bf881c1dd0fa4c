//! The audit trail's hash chain, end to end: entries written by the
//! server's reads verify clean, and an entry edited or deleted directly in
//! the database is reported, by the store and by `tiercare audit verify`.

use crate::helpers::{TestApp, spawn_app};
use crate::ops::{text, tiercare_cli};
use sqlx::Connection;
use tiercare_store::{AuditBreak, AuditBreakKind, AuditQuery};

/// Runs one statement on the app's database, past the store.
pub(crate) async fn tamper(app: &TestApp, statement: &str, seq: i64) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .expect("connect");
    let done = sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
        .bind(seq)
        .execute(&mut conn)
        .await
        .expect("tamper");
    assert_eq!(done.rows_affected(), 1, "{statement}");
    conn.close().await.expect("close");
}

/// The numbers of the doctor's audit entries, oldest first.
async fn doctor_entries(app: &TestApp) -> Vec<i64> {
    let (entries, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("doctor".into()),
            count: 100,
            ..AuditQuery::default()
        })
        .await
        .expect("audit search");
    let mut seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
    seqs.sort_unstable();
    seqs
}

async fn verify_cli(app: &TestApp) -> (bool, String) {
    let out = tiercare_cli(app, &["audit", "verify"]).await;
    (out.status.success(), text(&out))
}

#[tokio::test]
async fn an_edited_or_deleted_entry_is_found_and_an_untouched_trail_verifies() {
    let app = spawn_app().await;
    for patient in app.team_patients().iter().cycle().take(5) {
        app.get("doctor", &format!("/Patient/{patient}"))
            .await
            .expect(200);
    }
    let seqs = doctor_entries(&app).await;
    assert!(seqs.len() >= 5, "{seqs:?}");
    let store = &app.state.ctx.store;

    let clean = store.verify_audit().await.expect("verify");
    assert!(clean.is_intact(), "{clean:?}");
    let head = clean.head.clone().expect("a head");
    assert!(clean.checked >= 5 && head.seq >= seqs[4]);
    let (ok, out) = verify_cli(&app).await;
    assert!(ok, "{out}");
    assert!(out.contains("chain: intact"), "{out}");
    assert!(out.contains(&format!("head: {head}")), "{out}");

    // One of the doctor's reads now names another patient.
    let edited = seqs[2];
    let original = store
        .audit_entry(edited)
        .await
        .expect("read")
        .and_then(|e| e.patient)
        .expect("a patient");
    tamper(
        &app,
        "UPDATE audit SET patient = 'res-000999' WHERE seq = $1",
        edited,
    )
    .await;
    let report = store.verify_audit().await.expect("verify");
    assert_eq!(
        report.broken,
        Some(AuditBreak {
            seq: edited,
            kind: AuditBreakKind::Edited
        })
    );
    let (ok, out) = verify_cli(&app).await;
    assert!(!ok, "a broken trail must fail: {out}");
    assert!(
        out.contains(&format!(
            "BROKEN at entry {edited}: entry {edited} was edited"
        )),
        "{out}"
    );

    // Put back, the entry fits again.
    tamper(
        &app,
        &format!("UPDATE audit SET patient = '{original}' WHERE seq = $1"),
        edited,
    )
    .await;
    assert!(store.verify_audit().await.expect("verify").is_intact());

    // A middle entry removed.
    let deleted = seqs[3];
    tamper(&app, "DELETE FROM audit WHERE seq = $1", deleted).await;
    let report = store.verify_audit().await.expect("verify");
    let broken = report.broken.expect("a break");
    assert_eq!(
        broken.kind,
        AuditBreakKind::Deleted {
            first: deleted,
            last: deleted
        }
    );
    assert_eq!(broken.seq, deleted + 1);
    let (ok, out) = verify_cli(&app).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("entry {deleted} was deleted")),
        "{out}"
    );
}

#[tokio::test]
async fn a_cut_tail_fails_against_the_anchor_kept_from_before() {
    let app = spawn_app().await;
    for patient in app.team_patients().iter().cycle().take(3) {
        app.get("doctor", &format!("/Patient/{patient}"))
            .await
            .expect(200);
    }
    let head = app
        .state
        .ctx
        .store
        .verify_audit()
        .await
        .expect("verify")
        .head
        .expect("a head");
    let anchor = head.to_string();
    let out = tiercare_cli(&app, &["audit", "verify", "--anchor", &anchor]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("anchor {anchor}: holds")));

    tamper(&app, "DELETE FROM audit WHERE seq = $1", head.seq).await;
    // The rest is a whole chain; only the anchor shows the cut.
    let plain = tiercare_cli(&app, &["audit", "verify"]).await;
    assert!(plain.status.success(), "{}", text(&plain));
    let out = tiercare_cli(&app, &["audit", "verify", "--anchor", &anchor]).await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("there is no entry {}", head.seq)),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_writing_at_once_keep_one_unbroken_chain() {
    let app = spawn_app().await;
    let second = app.second_server().await;
    let token = app.token("doctor").await;
    let patients = app.team_patients();
    let before = app.state.ctx.store.verify_audit().await.expect("verify");
    let client = reqwest::Client::new();
    let mut reads = Vec::new();
    for (i, patient) in patients.iter().cycle().take(200).enumerate() {
        let path = format!("/Patient/{patient}");
        let url = if i % 2 == 0 {
            app.fhir_url(&path)
        } else {
            second.fhir_url(&path)
        };
        let request = client.get(url).bearer_auth(&token).send();
        reads.push(tokio::spawn(async move {
            request.await.expect("send").status().as_u16()
        }));
    }
    for read in reads {
        assert_eq!(read.await.expect("join"), 200);
    }
    let report = app.state.ctx.store.verify_audit().await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.checked, before.checked + 200);
    // Numbered one after another whichever server wrote them.
    let head = report.head.expect("a head");
    assert_eq!(u64::try_from(head.seq).expect("positive"), report.checked);
}
