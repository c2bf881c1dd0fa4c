//! Multi-site practice: a specialist who works at a township centre on
//! set days of the week acts there on those days. A sign-in (a token of the
//! API, a session of the pages) on a scheduled day works at the day's site:
//! the referrals sent under it are the township's, and the pages are the
//! township doctor's; on other days the same account works at its own
//! hospital.

use crate::dashboard::post_login;
use crate::helpers::{DEMO_RESIDENT, FHIR_JSON, Resp, TestApp, send, spawn_app, ui_client};
use crate::referral::{HOSPITAL, referral_body};
use serde_json::{Value, json};
use tiercare_core::Level;
use tiercare_core::Record;
use tiercare_core::network::DayOfWeek;
use tiercare_core::referral::Referral;

/// A new bearer token for a demo user, from a sign-in made now (the app's
/// cached tokens were issued before the schedule changed).
async fn sign_in_now(app: &TestApp, user: &str) -> String {
    let resp = app.login(user, &app.user(user).password).await;
    resp.expect(200);
    resp.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// Sends a referral under `token` and gives it as stored.
async fn refer(app: &TestApp, token: &str, body: &Value) -> Referral {
    let resp: Resp = send(
        app.client
            .post(app.fhir_url("/ServiceRequest"))
            .bearer_auth(token)
            .header("content-type", FHIR_JSON)
            .body(body.to_string()),
    )
    .await;
    resp.expect(201);
    let id = resp.json()["id"].as_str().expect("id").to_string();
    let stored = app
        .state
        .ctx
        .store
        .get("ServiceRequest", &id)
        .await
        .expect("read")
        .expect("stored");
    match stored.record {
        Record::Referral(r) => r,
        other => panic!("ServiceRequest/{id} is {other:?}"),
    }
}

/// Where signing in through the pages now leads a demo user: their
/// workplace's home page.
async fn landing(app: &TestApp, user: &str) -> String {
    let page = post_login(app, &ui_client(), user, &app.user(user).password).await;
    page.expect(303);
    page.header("location").expect("where sign-in leads")
}

/// The days of the week from today (the region's date) on.
fn days_from_today(app: &TestApp, n: i64) -> Vec<&'static str> {
    let today = tiercare_service::days::local_date(app.state.ctx.clock.now());
    (0..n)
        .map(|k| DayOfWeek::of(today + time::Duration::days(k)).code())
        .collect()
}

#[tokio::test]
async fn a_multi_site_specialist_works_at_the_days_site_and_credits_it() {
    let app = spawn_app().await;
    let specialist = app
        .user("specialist")
        .practitioner
        .clone()
        .expect("the demo specialist is a practitioner");
    let township = app
        .user("doctor")
        .institution
        .clone()
        .expect("the demo doctor's centre");
    // Today and tomorrow (so a sign-in at midnight still falls on a
    // scheduled day), the cardiologist works at the township centre.
    let week = days_from_today(&app, 7);
    let mut role = crate::fixtures::role(
        specialist.as_str(),
        township.as_str(),
        "specialist",
        Some("cardiology"),
    );
    role["availableTime"] = json!([{"daysOfWeek": week[..2]}]);
    let made = app.post("admin", "/PractitionerRole", &role).await;
    made.expect(201);
    let role_id = made.json()["id"].as_str().expect("id").to_string();

    // The family doctor refers the demo resident up; the specialist, at the
    // township today, sees the patient on the township's side of the loop
    // and sends a referral of their own: it is the township's.
    app.post(
        "doctor",
        "/ServiceRequest",
        &referral_body(DEMO_RESIDENT, "I20"),
    )
    .await
    .expect(201);
    let away = sign_in_now(&app, "specialist").await;
    let sent = refer(&app, &away, &referral_body(DEMO_RESIDENT, "I20")).await;
    assert_eq!(
        sent.from, township,
        "a township day's referral is the township's"
    );
    assert_eq!(sent.from_level, Level::Primary);
    assert_eq!(sent.requester, specialist);

    // The pages of a township day are the township doctor's.
    let away_home = landing(&app, "specialist").await;

    // The schedule moves to other days: a sign-in now works at the
    // hospital, and its referral back down is the hospital's.
    role["id"] = json!(role_id);
    role["availableTime"] = json!([{"daysOfWeek": week[3..5]}]);
    app.put(
        "admin",
        &format!("/PractitionerRole/{role_id}"),
        &role,
        None,
    )
    .await
    .expect(200);
    let home = sign_in_now(&app, "specialist").await;
    let mut down = referral_body(DEMO_RESIDENT, "I10");
    down["performer"] = json!([{"reference": format!("Organization/{township}")}]);
    let back = refer(&app, &home, &down).await;
    assert_eq!(
        back.from.as_str(),
        HOSPITAL,
        "a hospital day's referral is the hospital's"
    );
    assert_ne!(back.from_level, Level::Primary);

    let home_home = landing(&app, "specialist").await;
    assert_ne!(away_home, home_home, "{away_home} on both days");
    assert!(away_home.starts_with("/ui/doctor"), "{away_home}");
    assert!(home_home.starts_with("/ui/specialist"), "{home_home}");

    // The token of the township day keeps its site for the shift it was
    // issued for: what it sends is still the township's.
    let still = refer(&app, &away, &referral_body(DEMO_RESIDENT, "I20")).await;
    assert_eq!(still.from, township);
}
