//! `tiercare user`: listing, role changes, disabling and new passwords
//! from the command line, seen from a running server: a disabled account's
//! token stops working at once and it cannot sign in again.

use crate::helpers::{TestApp, spawn_app};
use crate::ops::{text, tiercare_cli};
use std::io::Write;
use std::process::{Command, Output, Stdio};
use tiercare_store::AuditQuery;

/// Runs `tiercare` with `input` on its standard input.
async fn tiercare_with_stdin(app: &TestApp, args: &[&str], input: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tiercare"));
    cmd.args(args)
        .arg("--database")
        .arg(&app.database_url)
        .current_dir(app.dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("TIERCARE_") {
            cmd.env_remove(k);
        }
    }
    let input = input.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("run tiercare");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait")
    })
    .await
    .expect("join")
}

/// The status of a claims search with a bearer token: 200 while the token
/// works, 401 after.
async fn status_with(app: &TestApp, token: &str) -> u16 {
    let resp = app
        .client
        .get(app.fhir_url("/ExplanationOfBenefit"))
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    resp.status().as_u16()
}

#[tokio::test]
async fn the_console_disables_enables_and_resets_accounts() {
    let app = spawn_app().await;
    let token = app.token("insurer").await;
    assert_eq!(status_with(&app, &token).await, 200);

    let out = tiercare_cli(&app, &["user", "list"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    for name in ["admin", "insurer", "frontdesk", "doctor"] {
        assert!(
            listed.lines().any(|l| l.starts_with(&format!("{name}\t"))),
            "{name} missing from\n{listed}"
        );
    }
    assert!(listed.contains("insurer\tinsurer\t-\tenabled"), "{listed}");

    // Disabled: the token already issued stops working, and no new one.
    let out = tiercare_cli(&app, &["user", "disable", "insurer"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(status_with(&app, &token).await, 401);
    app.login("insurer", "insurer-demo-2026").await.expect(400);
    let listed = tiercare_cli(&app, &["user", "list"]).await;
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("insurer\tinsurer\t-\tdisabled"),
        "{}",
        text(&listed)
    );

    // Enabled again, the password works again.
    let out = tiercare_cli(&app, &["user", "enable", "insurer"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let resp = app.login("insurer", "insurer-demo-2026").await;
    resp.expect(200);
    let token = resp.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();

    // A new password from standard input ends the old sessions.
    let out = tiercare_with_stdin(&app, &["user", "passwd", "insurer"], "fund-secret-2026\n").await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(status_with(&app, &token).await, 401);
    app.login("insurer", "insurer-demo-2026").await.expect(400);
    app.login("insurer", "fund-secret-2026").await.expect(200);
    let out = tiercare_with_stdin(&app, &["user", "passwd", "insurer"], "short\n").await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));

    // A new role, checked against the account's links.
    let out = tiercare_cli(&app, &["user", "role", "insurer", "analyst"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let user = app.state.ctx.store.user("insurer").await.expect("store");
    assert_eq!(
        user.expect("kept").actor.role,
        tiercare_core::access::UserRole::Analyst
    );
    let out = tiercare_cli(&app, &["user", "role", "insurer", "doctor"]).await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("institution"));
    let out = tiercare_cli(&app, &["user", "role", "insurer", "nurse"]).await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("role"));
    let out = tiercare_cli(&app, &["user", "disable", "nobody"]).await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));

    // Every change is in the audit trail, by the console.
    let (trail, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some(tiercare::users::CONSOLE.into()),
            count: 50,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    let details: Vec<&str> = trail.iter().rev().map(|e| e.detail.as_str()).collect();
    assert_eq!(
        details,
        [
            "disabled",
            "enabled",
            "password reset",
            "role insurer -> analyst"
        ]
    );
}
