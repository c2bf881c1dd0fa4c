//! The hub readings' indicators over HTTP: readings of two priorities are
//! ordered, reported (one late, one critical) and one cancelled, the
//! critical alert acknowledged, and every `$evaluate-measure` figure of the
//! hub and of the ordering township equals a recount from the
//! `ServiceRequest` and `DiagnosticReport` resources themselves.

use crate::helpers::{TestApp, spawn_app};
use crate::hubs::{ecg_hub, extension, order, sub};
use crate::referral::{HOSPITAL, op, params};
use serde_json::{Value, json};
use tiercare_core::indicators::readings::TIME_EDGES_MINUTES;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const CENTRE: &str = "zx-tc1";

fn at(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().expect("a dateTime"), &Rfc3339).expect("an RFC 3339 time")
}

/// The documented figure of a time: whole minutes rounded up, shown as the
/// upper edge of the first bucket it does not pass (the last edge beyond).
fn bucket_edge(d: Duration) -> f64 {
    let minutes = (d.whole_seconds().max(0) + 59) / 60;
    let edge = TIME_EDGES_MINUTES
        .iter()
        .find(|&&e| minutes <= i64::from(e))
        .or(TIME_EDGES_MINUTES.last())
        .copied()
        .unwrap_or(0);
    f64::from(edge)
}

/// The nearest-rank percentile of times, as their bucket edges.
fn percentile(mut times: Vec<Duration>, percent: usize) -> Option<f64> {
    if times.is_empty() {
        return None;
    }
    times.sort();
    let rank = (percent * times.len()).div_ceil(100).max(1);
    Some(bucket_edge(times[rank - 1]))
}

/// One reading as its resources tell it.
struct Recount {
    priority: String,
    status: String,
    turnaround: Option<Duration>,
    within_deadline: Option<bool>,
    acknowledged: Option<Duration>,
}

async fn recount(app: &TestApp, id: &str) -> Recount {
    let read = app.get("doctor", &format!("/ServiceRequest/{id}")).await;
    read.expect(200);
    let order = read.json();
    let authored = at(&order["authoredOn"]);
    let due = at(&extension(&order, "reading-due").unwrap()["valueDateTime"]);
    let mut r = Recount {
        priority: order["priority"].as_str().unwrap().to_string(),
        status: order["status"].as_str().unwrap().to_string(),
        turnaround: None,
        within_deadline: None,
        acknowledged: None,
    };
    if let Some(report) = extension(&order, "reading-report") {
        let reference = report["valueReference"]["reference"].as_str().unwrap();
        let report = app.get("doctor", &format!("/{reference}")).await;
        report.expect(200);
        let report = report.json();
        assert_eq!(
            report["basedOn"][0]["reference"],
            format!("ServiceRequest/{id}")
        );
        let effective = at(&report["effectiveDateTime"]);
        r.turnaround = Some(effective - authored);
        r.within_deadline = Some(effective <= due);
    }
    if let Some(alert) = extension(&order, "critical-alert") {
        let acknowledged = sub(alert, "acknowledged");
        if !acknowledged.is_null() {
            r.acknowledged = Some(
                at(&acknowledged["valueDateTime"]) - at(&sub(alert, "raised")["valueDateTime"]),
            );
        }
    }
    r
}

async fn evaluate(app: &TestApp, code: &str, subject: &str, day: &str) -> Value {
    let resp = app
        .get(
            "analyst",
            &format!(
                "/Measure/{code}/$evaluate-measure?periodStart={day}&periodEnd={day}&subject={subject}"
            ),
        )
        .await;
    resp.expect(200);
    resp.json()
}

fn score(report: &Value) -> Option<f64> {
    report["group"][0]["measureScore"]["value"].as_f64()
}

fn population(report: &Value, code: &str) -> Option<i64> {
    report["group"][0]["population"]
        .as_array()?
        .iter()
        .find(|p| p["code"]["coding"][0]["code"] == code)?["count"]
        .as_i64()
}

#[tokio::test]
async fn hub_figures_from_evaluate_measure_equal_a_recount_of_the_resources() {
    let app = spawn_app().await;
    let hub = ecg_hub(&app).await;
    app.keep_within_one_day(Duration::hours(2));
    let clock = &app.state.ctx.clock;
    let critical = order(&app, &hub, "stat").await;
    let late = order(&app, &hub, "stat").await;
    let routine = order(&app, &hub, "routine").await;
    let withdrawn = order(&app, &hub, "routine").await;
    let day = clock.now().date().to_string();

    let report = |id: String, finding: &'static str| {
        let app = &app;
        async move {
            op(
                app,
                "specialist",
                &id,
                "report-reading",
                Some(params(&[
                    ("conclusion", json!("已阅")),
                    ("finding", json!(finding)),
                ])),
                None,
            )
            .await
            .expect(200);
        }
    };
    // The stat reading with ST elevation within its ten minutes; the other
    // stat one and the routine one half an hour later.
    clock.advance(Duration::minutes(4));
    report(critical.clone(), "164931005").await;
    clock.advance(Duration::minutes(30));
    report(late.clone(), "164854000").await;
    report(routine.clone(), "164854000").await;
    op(&app, "doctor", &withdrawn, "cancel", None, None)
        .await
        .expect(200);
    clock.advance(Duration::minutes(7));
    op(&app, "doctor", &critical, "acknowledge", None, None)
        .await
        .expect(200);

    let mut readings = Vec::new();
    for id in [&critical, &late, &routine, &withdrawn] {
        readings.push(recount(&app, id).await);
    }
    let hospital = format!("Organization/{HOSPITAL}");
    let centre = format!("Organization/{CENTRE}");
    let reported = |p: &str| -> Vec<&Recount> {
        readings
            .iter()
            .filter(|r| r.priority == p && r.turnaround.is_some())
            .collect()
    };

    let ordered = evaluate(&app, "hub-readings-ordered", &hospital, &day).await;
    assert_eq!(score(&ordered), Some(readings.len() as f64));
    let done = evaluate(&app, "hub-readings-reported", &hospital, &day).await;
    let reported_count = readings.iter().filter(|r| r.status == "completed").count();
    assert_eq!(reported_count, 3);
    assert_eq!(score(&done), Some(reported_count as f64));
    let cancelled = evaluate(&app, "hub-readings-cancelled", &hospital, &day).await;
    let revoked = readings.iter().filter(|r| r.status == "revoked").count();
    assert_eq!((score(&cancelled), revoked), (Some(1.0), 1));
    let by_members = evaluate(&app, "hub-readings-ordered-by-members", &centre, &day).await;
    assert_eq!(score(&by_members), Some(reported_count as f64));
    // The township reads nothing for others.
    let none = evaluate(&app, "hub-readings-ordered", &centre, &day).await;
    assert_eq!(score(&none), Some(0.0));

    for priority in ["stat", "routine"] {
        let times: Vec<Duration> = reported(priority)
            .iter()
            .filter_map(|r| r.turnaround)
            .collect();
        for (pct, name) in [(50, "p50"), (90, "p90")] {
            let code = format!("hub-turnaround-{priority}-{name}");
            let m = evaluate(&app, &code, &hospital, &day).await;
            assert_eq!(score(&m), percentile(times.clone(), pct), "{code}: {m}");
            assert_eq!(
                population(&m, "measure-population"),
                Some(times.len() as i64),
                "{code}"
            );
        }
        let within = reported(priority)
            .iter()
            .filter(|r| r.within_deadline == Some(true))
            .count();
        let code = format!("hub-within-deadline-{priority}");
        let m = evaluate(&app, &code, &hospital, &day).await;
        assert_eq!(population(&m, "numerator"), Some(within as i64), "{code}");
        assert_eq!(
            population(&m, "denominator"),
            Some(times.len() as i64),
            "{code}"
        );
        assert_eq!(
            score(&m),
            Some(within as f64 / times.len() as f64),
            "{code}"
        );
    }
    // Stat: one in time, one late; the figures are not all alike.
    let stat = evaluate(&app, "hub-within-deadline-stat", &hospital, &day).await;
    assert_eq!(score(&stat), Some(0.5));
    let p90 = evaluate(&app, "hub-turnaround-stat-p90", &hospital, &day).await;
    assert_eq!(score(&p90), Some(45.0), "34 minutes fall in (30, 45]");

    let acks: Vec<Duration> = readings.iter().filter_map(|r| r.acknowledged).collect();
    assert_eq!(acks.len(), 1);
    let ack = evaluate(&app, "hub-critical-acknowledgement", &hospital, &day).await;
    assert_eq!(score(&ack), percentile(acks, 50));
    assert_eq!(
        score(&ack),
        Some(45.0),
        "37 minutes after the alert fall in (30, 45]"
    );
    assert_eq!(population(&ack, "measure-population"), Some(1));
    assert_eq!(ack["group"][0]["measureScore"]["code"], "min");
}

/// Reports a reading as the hub's reader, with a normal trace.
async fn report_normal(app: &TestApp, id: &str) {
    op(
        app,
        "specialist",
        id,
        "report-reading",
        Some(params(&[
            ("conclusion", json!("窦性心律，未见异常")),
            ("finding", json!("164854000")),
        ])),
        None,
    )
    .await
    .expect(200);
}

/// Refers the demo resident up for `code` and gives the referral's id.
async fn refer_up(app: &TestApp, code: &str) -> String {
    let made = app
        .post(
            "doctor",
            "/ServiceRequest",
            &crate::referral::referral_body(crate::helpers::DEMO_RESIDENT, code),
        )
        .await;
    made.expect(201);
    made.json()["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_reading_is_followed_by_the_first_upward_referral_and_avoidable_ones_are_counted() {
    let app = spawn_app().await;
    let hub = ecg_hub(&app).await;
    app.keep_within_one_day(Duration::hours(6));
    let clock = &app.state.ctx.clock;
    let day = clock.now().date().to_string();
    let hospital = format!("Organization/{HOSPITAL}");

    // A normal trace, then a referral up for hypertension: a condition the
    // catalogue keeps at primary level, sent routinely, so avoidable.
    let first = order(&app, &hub, "routine").await;
    clock.advance(Duration::minutes(20));
    report_normal(&app, &first).await;
    clock.advance(Duration::hours(2));
    refer_up(&app, "I10").await;
    // A second referral of the same patient follows no new reading.
    clock.advance(Duration::hours(1));
    refer_up(&app, "I20").await;
    // Another reading, then a referral for angina (hospital care): followed,
    // not avoidable.
    let second = order(&app, &hub, "routine").await;
    clock.advance(Duration::minutes(20));
    report_normal(&app, &second).await;
    clock.advance(Duration::minutes(5));
    refer_up(&app, "I20").await;

    let m = evaluate(
        &app,
        "hub-reading-avoidable-referral-share",
        &hospital,
        &day,
    )
    .await;
    assert_eq!(population(&m, "numerator"), Some(1), "{m}");
    assert_eq!(population(&m, "denominator"), Some(2), "{m}");
    assert_eq!(score(&m), Some(0.5), "{m}");

    let today = time::Date::parse(&day, &time::format_description::well_known::Iso8601::DATE)
        .expect("the test's day");
    let period = tiercare_core::indicators::Period::new(
        tiercare_service::days::day_of(today),
        tiercare_service::days::day_of(today),
    );
    let (_, figures) = tiercare_service::indicators::evaluate(
        &app.state.ctx,
        period,
        &tiercare_service::indicators::SubjectRef::Institution(HOSPITAL.into()),
    )
    .await
    .expect("figures");
    assert_eq!(figures.readings.followed_by_referral, 2);
    assert_eq!(figures.readings.followed_by_avoidable_referral, 1);
}
