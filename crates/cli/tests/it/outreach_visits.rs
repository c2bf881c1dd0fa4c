//! An outreach session's patients are visits at the primary institution,
//! counted once through the same facts as every other visit: the
//! programmes' evaluation, the oversight indicators (what the dashboard
//! shows) and the session's own record agree, and no claim is made up.

use crate::helpers::{TestApp, spawn_app};
use crate::outreach::{params, practitioner_of, programme, session};
use serde_json::{Value, json};
use tiercare_core::indicators::{Indicators, Period};
use tiercare_service::indicators::{SubjectRef, day_of, evaluate};
use time::{Duration, OffsetDateTime};

const PRIMARY: &str = "zx-tc1";

/// The last three days: the session started a few hours ago, perhaps
/// yesterday.
fn recent(app: &TestApp) -> Period {
    let today = day_of(app.state.ctx.clock.today());
    Period::new(today - 2, today)
}

async fn figures(app: &TestApp, subject: SubjectRef) -> Indicators {
    evaluate(&app.state.ctx, recent(app), &subject)
        .await
        .expect("evaluate")
        .1
}

/// Patients seen at outreach sessions, as `$evaluate-measure` (and the
/// programmes page) reports them for the region.
async fn patients_seen(app: &TestApp) -> f64 {
    let today = app.state.ctx.clock.today();
    let query = format!(
        "periodStart={}&periodEnd={today}",
        today - Duration::days(2)
    );
    let r = app
        .get(
            "analyst",
            &format!("/Measure/outreach-patients-seen/$evaluate-measure?{query}"),
        )
        .await;
    r.expect(200);
    r.json()["group"][0]["measureScore"]["value"]
        .as_f64()
        .unwrap_or(0.0)
}

async fn claims(app: &TestApp) -> Value {
    let r = app
        .get("admin", "/ExplanationOfBenefit?_summary=count")
        .await;
    r.expect(200);
    r.json()["total"].clone()
}

#[tokio::test]
async fn patients_seen_at_a_session_are_visits_at_the_township_once_on_every_page() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    let specialist = practitioner_of(&app, "specialist");
    let body = programme(
        &[&specialist],
        now - Duration::days(1),
        now + Duration::days(60),
    );
    let made = app.post("coordinator", "/HealthcareService", &body).await;
    made.expect(201);
    let pid = made.json()["id"].as_str().expect("id").to_string();
    let s = app
        .post(
            "specialist",
            "/Schedule",
            &session(&pid, &specialist, now - Duration::hours(3), 2),
        )
        .await;
    s.expect(201);
    let sid = s.json()["id"].as_str().expect("id").to_string();

    let region = figures(&app, SubjectRef::Region).await;
    let township = figures(&app, SubjectRef::Institution(PRIMARY.into())).await;
    let (seen, claimed) = (patients_seen(&app).await, claims(&app).await);

    app.post(
        "specialist",
        &format!("/Schedule/{sid}/$hold"),
        &params(&[("patients-seen", json!(7)), ("referrals-avoided", json!(1))]),
    )
    .await
    .expect(200);

    assert_eq!(
        patients_seen(&app).await - seen,
        7.0,
        "the programmes' count"
    );
    let after = figures(&app, SubjectRef::Region).await;
    assert_eq!(after.visits - region.visits, 7, "the region's visits");
    assert_eq!(after.outpatient_visits - region.outpatient_visits, 7);
    let primary = |i: &Indicators| i.levels[0].outpatient_visits;
    assert_eq!(primary(&after) - primary(&region), 7, "at primary level");
    let at_township = figures(&app, SubjectRef::Institution(PRIMARY.into())).await;
    assert_eq!(at_township.visits - township.visits, 7, "at the township");
    // Follow-up care, not first contacts: the positioning figures are
    // untouched, and the session billed nobody.
    assert_eq!(after.first_contacts, region.first_contacts);
    assert_eq!(
        after.tally.institutions.charged,
        region.tally.institutions.charged
    );
    assert_eq!(claims(&app).await, claimed);
    // Holding again is refused and counts nothing more.
    let again = app
        .post(
            "specialist",
            &format!("/Schedule/{sid}/$hold"),
            &params(&[("patients-seen", json!(7))]),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(figures(&app, SubjectRef::Region).await.visits, after.visits);
}
