//! The demo's joint programmes history: generated through the services
//! under a set clock, then read back over HTTP as the joint programmes
//! page and the outreach reports read it: sessions held and cancelled
//! across the period, evaluation figures that agree with what was
//! generated, a non-empty due list, a control rate, and the same history
//! for the same seed.

use crate::helpers::{TestApp, entries, spawn_app_at};
use serde_json::Value;
use tiercare::demo::{HistoryOptions, OutreachReport, outreach_history};
use tiercare_service::clock::Clock;
use time::Duration;

const DAYS: u32 = 100;
/// The day the test stands on: the history's seasons, weekdays and
/// scheduling days follow the date, so a fixed one keeps it the same on
/// every day the suite runs.
const TODAY: time::OffsetDateTime = time::macros::datetime!(2026-12-06 12:00 UTC);
const SEED: u64 = 7;
/// Enough residents for every centre's panel to have a few patients.
const RESIDENTS: usize = 400;

async fn generate(app: &TestApp) -> OutreachReport {
    let options = HistoryOptions {
        days: DAYS,
        seed: SEED,
        county: false,
    };
    outreach_history(&app.state, &app.county, options)
        .await
        .expect("the outreach history")
}

async fn total(app: &TestApp, path: &str) -> u64 {
    let r = app.get("admin", path).await;
    r.expect(200);
    r.json()["total"].as_u64().unwrap()
}

fn population(report: &Value, code: &str) -> i64 {
    report["group"][0]["population"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"]["coding"][0]["code"] == code)
        .unwrap()["count"]
        .as_i64()
        .unwrap()
}

async fn measure(app: &TestApp, measure: &str, query: &str) -> Value {
    let r = app
        .get(
            "analyst",
            &format!("/Measure/{measure}/$evaluate-measure?{query}"),
        )
        .await;
    r.expect(200);
    r.json()
}

#[tokio::test]
async fn the_demo_outreach_history_is_alive_and_the_same_for_the_same_seed() {
    let app = spawn_app_at(RESIDENTS, |_| {}, Clock::set_at(TODAY)).await;
    let report = generate(&app).await;
    let today = app.state.ctx.clock.today();
    let first = today - Duration::days(i64::from(DAYS));
    let last = today - Duration::days(1);

    // Programmes with sessions held and cancelled early and late in the
    // period, and some scheduled ahead.
    assert!(report.programmes >= 2, "{report}");
    assert_eq!(
        total(
            &app,
            "/HealthcareService?service-category=outreach,resident-team&_count=1"
        )
        .await,
        u64::from(report.programmes)
    );
    assert!(
        report.sessions_held > 0 && report.cancelled_by_hospital > 0,
        "{report}"
    );
    assert_eq!(
        total(&app, "/Schedule?session-status=held&_count=1").await,
        u64::from(report.sessions_held)
    );
    let cancelled = u64::from(report.cancelled_by_hospital + report.cancelled_by_primary);
    assert_eq!(
        total(&app, "/Schedule?session-status=cancelled&_count=1").await,
        cancelled
    );
    let early = first + Duration::days(35);
    let late = last - Duration::days(35);
    for (when, day) in [("lt", early), ("ge", late)] {
        let held = total(
            &app,
            &format!("/Schedule?session-status=held&date={when}{day}&_count=1"),
        )
        .await;
        assert!(held > 0, "no session held {when} {day}");
    }
    assert!(
        total(
            &app,
            &format!(
                "/Schedule?session-status=cancelled&date=lt{}&_count=1",
                first + Duration::days(60)
            )
        )
        .await
            + total(
                &app,
                &format!(
                    "/Schedule?session-status=cancelled&date=ge{}&_count=1",
                    first + Duration::days(60)
                )
            )
            .await
            == cancelled
    );
    assert!(report.sessions_ahead > 0, "{report}");

    // The region's outreach reports for the period count what was made.
    let period = format!("periodStart={first}&periodEnd={last}");
    let kept = measure(&app, "outreach-commitment-kept", &period).await;
    assert_eq!(
        population(&kept, "numerator"),
        i64::from(report.sessions_held)
    );
    assert!(population(&kept, "denominator") >= i64::from(report.sessions_held));
    let seen = measure(&app, "outreach-patients-seen", &period).await;
    assert_eq!(
        seen["group"][0]["measureScore"]["value"].as_f64(),
        Some(f64::from(report.patients_seen))
    );
    let missed = measure(&app, "outreach-missed", &period).await;
    assert_eq!(
        population(&missed, "numerator"),
        i64::from(report.sessions_missed)
    );
    // A single programme's report has figures too.
    let pid = entries(
        &app.get(
            "admin",
            "/HealthcareService?service-category=outreach,resident-team&_count=1",
        )
        .await
        .json(),
    )[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let one = measure(
        &app,
        "outreach-commitment-kept",
        &format!("{period}&subject=HealthcareService/{pid}"),
    )
    .await;
    assert!(population(&one, "denominator") > 0);

    // Mentoring with activities and panels with a control rate.
    assert!(report.mentorships > 0 && report.activities > 0, "{report}");
    assert!(
        report.panel_patients > 0 && report.measurements > 0,
        "{report}"
    );
    let control = measure(&app, "panel-control", &period).await;
    let score = control["group"][0]["measureScore"]["value"].as_f64();
    assert!(score.is_some_and(|s| (0.0..=1.0).contains(&s)), "{control}");
    assert!(report.known > 0, "{report}");

    // Somebody's due list is not empty, as the report says.
    assert!(report.due + report.overdue > 0, "{report}");
    let mut listed = 0;
    for fd in family_doctors(&app) {
        let r = app
            .get(
                "admin",
                &format!("/CarePlan/$due?practitioner=Practitioner/{fd}"),
            )
            .await;
        r.expect(200);
        listed += entries(&r.json()).len();
    }
    assert_eq!(listed as u32, report.due + report.overdue);

    // The same seed gives the same history.
    let again = spawn_app_at(RESIDENTS, |_| {}, Clock::set_at(TODAY)).await;
    assert_eq!(generate(&again).await.counts(), report.counts());
}

/// The county's family doctors.
fn family_doctors(app: &TestApp) -> Vec<String> {
    app.county
        .records
        .iter()
        .filter_map(|r| match r {
            tiercare_core::Record::Role(r)
                if r.role == tiercare_core::network::PractitionerRoleKind::FamilyDoctor =>
            {
                Some(r.practitioner.to_string())
            }
            _ => None,
        })
        .collect()
}
