//! The referral loop as the indicators count it, from both sides, through
//! the live platform: a rebooking after a no-show is one booking, an
//! emergency seen unbooked is a booking, a redirect ends the first
//! receiver's part and starts the next one's, and every later step counts
//! on the day of the request. Checked on `$evaluate-measure`'s figures for
//! the referrer, both receivers and the region, and on the dashboard's CSV.

use crate::helpers::{DOCTOR_TEAM, TestApp, spawn_app};
use crate::referral::{HOSPITAL, free_slots, op, params};
use serde_json::{Value, json};
use tiercare_core::indicators::{Funnel, Indicators, Period};
use tiercare_service::indicators::{SubjectRef, day_of, evaluate};

const REFERRER: &str = "zx-tc1";
const OTHER_HOSPITAL: &str = "zx-h2";

/// Refers a patient of the demo doctor's team (a small team: patients
/// come round again, and may have several referrals).
pub(crate) async fn refer(app: &TestApp, k: usize, priority: &str) -> String {
    let team = app.team_patients();
    let patient = &team[k % team.len()];
    let body = json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": priority,
        "subject": {"reference": format!("Patient/{patient}")},
        "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
        "note": [{"text": "Chest pain on exertion."}]
    });
    let resp = app.post("doctor", "/ServiceRequest", &body).await;
    resp.expect(201);
    resp.json()["id"].as_str().expect("id").to_string()
}

pub(crate) async fn step(app: &TestApp, user: &str, id: &str, name: &str, body: Option<Value>) {
    op(app, user, id, name, body, None).await.expect(200);
}

pub(crate) fn report(summary: &str) -> Value {
    params(&[("report-summary", json!(summary))])
}

/// Today's figures of a subject.
pub(crate) async fn today(app: &TestApp, subject: SubjectRef) -> Indicators {
    let day = day_of(app.state.ctx.clock.today());
    evaluate(&app.state.ctx, Period::new(day, day), &subject)
        .await
        .expect("evaluate")
        .1
}

/// What a side's funnel gained between two readings.
fn gained(after: &Funnel, before: &Funnel) -> Funnel {
    let mut d = Funnel {
        up: after.up - before.up,
        down: after.down - before.down,
        redirected: after.redirected - before.redirected,
        refused: after.refused - before.refused,
        booked: after.booked - before.booked,
        wait_days: after.wait_days - before.wait_days,
        completed: after.completed - before.completed,
        reported: after.reported - before.reported,
        ..Funnel::default()
    };
    for (k, n) in d.declined.iter_mut().enumerate() {
        *n = after.declined[k] - before.declined[k];
    }
    d
}

/// The practitioner an account acts for.
pub(crate) fn practitioner_of(app: &TestApp, username: &str) -> String {
    app.users
        .iter()
        .find(|u| u.username == username)
        .and_then(|u| u.practitioner.as_ref())
        .map(|p| p.to_string())
        .unwrap_or_else(|| panic!("{username} acts for no practitioner"))
}

/// The region, the referrer, both hospitals, and the demo doctor's team
/// and the demo doctor, who make every referral here.
fn subjects(app: &TestApp) -> [SubjectRef; 6] {
    [
        SubjectRef::Region,
        SubjectRef::Institution(REFERRER.into()),
        SubjectRef::Institution(HOSPITAL.into()),
        SubjectRef::Institution(OTHER_HOSPITAL.into()),
        SubjectRef::Team(DOCTOR_TEAM.into()),
        SubjectRef::Practitioner(practitioner_of(app, "doctor")),
    ]
}

#[tokio::test]
async fn each_step_counts_once_on_both_sides_in_the_requests_cohort() {
    let app = spawn_app().await;
    let mut before = Vec::new();
    for s in subjects(&app) {
        before.push(today(&app, s).await);
    }

    // Booked, a no-show, booked again: one booking.
    let rebooked = refer(&app, 0, "routine").await;
    let slots = free_slots(&app, "coordinator").await;
    assert!(slots.len() >= 2, "two free slots");
    for (k, slot) in slots.iter().take(2).enumerate() {
        let slot = format!("Slot/{}", slot["id"].as_str().expect("slot id"));
        step(
            &app,
            "coordinator",
            &rebooked,
            "book",
            Some(params(&[("slot", json!(slot))])),
        )
        .await;
        if k == 0 {
            step(&app, "coordinator", &rebooked, "no-show", None).await;
        }
    }
    // Sent on to another hospital: the first receiver's part ends there.
    let redirected = refer(&app, 1, "routine").await;
    let to = json!(format!("Organization/{OTHER_HOSPITAL}"));
    let redirect = params(&[
        ("to", to),
        ("comment", json!("Cardiology is at the other site.")),
    ]);
    step(&app, "coordinator", &redirected, "redirect", Some(redirect)).await;
    // Declined.
    let declined = refer(&app, 2, "routine").await;
    step(
        &app,
        "coordinator",
        &declined,
        "decline",
        Some(params(&[("reason", json!("no-capacity"))])),
    )
    .await;
    // Emergencies seen unbooked: one reported at completion, one later.
    for k in 0..2 {
        let id = refer(&app, 3 + k, "stat").await;
        step(&app, "coordinator", &id, "arrive", None).await;
        if k == 0 {
            step(
                &app,
                "coordinator",
                &id,
                "complete",
                Some(report("Unstable angina; PCI.")),
            )
            .await;
        } else {
            step(&app, "coordinator", &id, "complete", None).await;
            step(
                &app,
                "coordinator",
                &id,
                "report",
                Some(report("NSTEMI; medical treatment.")),
            )
            .await;
        }
    }

    let mut after = Vec::new();
    for s in subjects(&app) {
        after.push(today(&app, s).await);
    }
    let side = |k: usize, sent: bool| {
        let (a, b) = (&after[k], &before[k]);
        if sent {
            gained(&a.sent, &b.sent)
        } else {
            gained(&a.received, &b.received)
        }
    };
    let mut no_capacity = [0; 5];
    no_capacity[0] = 1;
    let referrer = side(1, true);
    assert_eq!(
        (
            referrer.up,
            referrer.booked,
            referrer.completed,
            referrer.reported
        ),
        (5, 3, 2, 2),
        "the referrer's patients: {referrer:?}"
    );
    assert_eq!((referrer.redirected, referrer.declined), (0, no_capacity));
    let hospital = side(2, false);
    assert_eq!(
        (
            hospital.up,
            hospital.redirected,
            hospital.booked,
            hospital.completed,
            hospital.reported
        ),
        (5, 1, 3, 2, 2),
        "what was asked of the first hospital: {hospital:?}"
    );
    assert_eq!(hospital.declined, no_capacity);
    let other = side(3, false);
    assert_eq!(
        (other.up, other.booked, other.redirected),
        (1, 0, 0),
        "{other:?}"
    );
    // The hospitals sent nothing, the township received nothing.
    assert_eq!(side(2, true), Funnel::default());
    assert_eq!(side(1, false), Funnel::default());
    // The doctor who referred, and the doctor's team, sent exactly what
    // their institution sent, and received nothing: what a hospital
    // receives is the institution's.
    for k in [4, 5] {
        assert_eq!(side(k, true), referrer, "{k}");
        assert_eq!(side(k, false), Funnel::default(), "{k}");
    }
    // The region holds every referral once as sent, and once more as
    // received for the redirect: the team's and the doctor's copies are
    // not counted again.
    assert_eq!(side(0, true), referrer);
    let mut received = hospital;
    received.add(&other);
    assert_eq!(side(0, false), received);
    for i in &after {
        for f in [&i.sent, &i.received] {
            assert!(f.in_order(), "{f:?}");
        }
    }
}
