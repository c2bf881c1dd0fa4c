//! The emergency centres' accreditation measures over HTTP: one case,
//! timed and closed, counted once in each measure it meets, for the region
//! and the centre credited with it, in the stratum of where the patient
//! first met the system; who may see which subject; bad subjects named.

use crate::helpers::{DEMO_RESIDENT, TestApp, actor_of, entries, spawn_app};
use crate::outreach::add_user;
use serde_json::Value;
use tiercare_core::access::UserRole;
use tiercare_core::emergency::accreditation::Measure;
use tiercare_core::emergency::{
    ContactPoint, Emergency as Condition, EmergencyCase, Milestone, Outcome, measures,
};
use tiercare_service::emergency::{Contact, Emergency, NewCase};
use time::{Duration, UtcOffset};

/// For each accreditation measure, the denominator and numerator one case
/// gives by the core's per-case rule: 1 and 0 or 1 where it applies, 0
/// and 0 where not.
pub(crate) fn expected_counts(
    app: &TestApp,
    case: &EmergencyCase,
) -> Vec<(&'static str, u64, u64)> {
    let m = measures(case, &app.state.ctx.policy.emergency.windows);
    Measure::ALL
        .iter()
        .map(|&measure| {
            let v = match measure {
                Measure::FmcToEcg => m.ecg_within_10,
                Measure::DoorToBalloon => m.door_to_balloon_within_90,
                Measure::DoorToNeedle => m.door_to_needle_within_60,
                Measure::Direct => m.direct,
                Measure::LateTransfer => m.transferred_after_window,
                Measure::Mortality => m.died,
            };
            (
                measure.code(),
                u64::from(v.is_some()),
                u64::from(v == Some(true)),
            )
        })
        .collect()
}

fn population(group: &Value, code: &str) -> u64 {
    group["population"]
        .as_array()
        .and_then(|p| p.iter().find(|x| x["code"]["coding"][0]["code"] == code))
        .and_then(|x| x["count"].as_u64())
        .unwrap_or_else(|| panic!("no {code} population in {group}"))
}

/// The period of the last sixty days, China's dates.
fn period(app: &TestApp) -> String {
    let today = app
        .state
        .ctx
        .clock
        .now()
        .to_offset(UtcOffset::from_hms(8, 0, 0).unwrap())
        .date();
    format!(
        "periodStart={}&periodEnd={today}",
        today - Duration::days(60)
    )
}

/// `$evaluate-measure` of every accreditation measure, for the region and
/// for `centre`, agrees with `expected`, whole and in the first contact's
/// stratum (and nothing in the others).
pub(crate) async fn assert_reports(
    app: &TestApp,
    centre: &str,
    contact: ContactPoint,
    expected: &[(&'static str, u64, u64)],
) {
    for subject in [String::new(), format!("&subject=Organization/{centre}")] {
        for (code, den, num) in expected {
            let path = format!("/Measure/{code}/$evaluate-measure?{}{subject}", period(app));
            let report = app.get("analyst", &path).await;
            report.expect(200);
            let report = report.json();
            assert_eq!(report["resourceType"], "MeasureReport");
            let group = &report["group"][0];
            assert_eq!(population(group, "denominator"), *den, "{code}{subject}");
            assert_eq!(population(group, "numerator"), *num, "{code}{subject}");
            let strata = group["stratifier"][0]["stratum"]
                .as_array()
                .unwrap_or_else(|| panic!("no strata: {report}"));
            for stratum in strata {
                let here = stratum["value"]["coding"][0]["code"] == contact.code();
                let (d, n) = if here { (*den, *num) } else { (0, 0) };
                assert_eq!(population(stratum, "denominator"), d, "{code} {stratum}");
                assert_eq!(population(stratum, "numerator"), n, "{code} {stratum}");
            }
        }
    }
}

/// A STEMI from the demo doctor's township, timed and closed (the
/// patient died) by the administrator through the service.
async fn walked(app: &TestApp) -> EmergencyCase {
    let admin = actor_of(app, "admin");
    let service = Emergency::new(&app.state.ctx, &admin);
    let township = app.user("doctor").institution.clone().expect("a centre");
    let clock = &app.state.ctx.clock;
    let opened = service
        .open_case(NewCase {
            patient: DEMO_RESIDENT.parse().unwrap(),
            emergency: Condition::Stemi,
            contact: ContactPoint::Township,
            from: Contact::Institution(township),
            first_contact: Some(clock.now() - Duration::minutes(20)),
            onset_minutes: 60,
            large_vessel: false,
            ecg: Some(clock.now() - Duration::minutes(5)),
            ecg_reading: None,
        })
        .await
        .expect("opened");
    let id = opened.value.id.to_string();
    let travel = i64::from(opened.value.decision.first.travel_minutes);
    service
        .record_milestone(&id, Milestone::Departure, None, None)
        .await
        .expect("departure");
    clock.advance(Duration::minutes(travel));
    service.arrive(&id, None, true, None).await.expect("door");
    clock.advance(Duration::minutes(100));
    service
        .treat(&id, opened.value.decision.first.treatment, None, None)
        .await
        .expect("treated");
    clock.advance(Duration::days(30));
    service
        .close(&id, Outcome::Died, None, None)
        .await
        .expect("closed")
        .value
}

#[tokio::test]
async fn a_closed_case_counts_once_in_each_measure_for_the_region_and_its_centre() {
    let app = spawn_app().await;
    let case = walked(&app).await;
    let expected = expected_counts(&app, &case);
    // The ECG 15 minutes after the first contact misses the 10 minutes;
    // the patient went straight to the team and died within 30 days.
    let of = |code: &str| expected.iter().find(|(c, ..)| *c == code).copied();
    assert_eq!(
        of("emergency-fmc-ecg-10"),
        Some(("emergency-fmc-ecg-10", 1, 0))
    );
    assert_eq!(of("emergency-direct"), Some(("emergency-direct", 1, 1)));
    assert_eq!(
        of("emergency-mortality-30d"),
        Some(("emergency-mortality-30d", 1, 1))
    );
    let centre = case.destination().to_string();
    assert_reports(&app, &centre, ContactPoint::Township, &expected).await;

    // Another centre has none of it.
    let elsewhere = app
        .get(
            "analyst",
            &format!(
                "/Measure/emergency-direct/$evaluate-measure?{}&subject=Organization/zx-h3",
                period(&app)
            ),
        )
        .await;
    elsewhere.expect(200);
    assert_eq!(population(&elsewhere.json()["group"][0], "denominator"), 0);

    // Mortality is stratified by condition too.
    let mortality = app
        .get(
            "analyst",
            &format!(
                "/Measure/emergency-mortality-30d/$evaluate-measure?{}",
                period(&app)
            ),
        )
        .await
        .json();
    let stratifiers = mortality["group"][0]["stratifier"].to_string();
    assert!(stratifiers.contains("\"stemi\""), "{stratifiers}");
}

#[tokio::test]
async fn the_measures_are_listed_and_seen_by_analysts_and_the_centres_own_staff() {
    let app = spawn_app().await;
    let case = walked(&app).await;
    let centre = case.destination().to_string();
    let listed = app.get("resident", "/Measure?_count=500").await;
    listed.expect(200);
    let codes: Vec<String> = entries(&listed.json())
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_string))
        .collect();
    for m in Measure::ALL {
        assert!(codes.iter().any(|c| c == m.code()), "{} listed", m.code());
    }
    let read = app
        .get("doctor", "/Measure/emergency-door-to-balloon-90")
        .await;
    read.expect(200);
    assert_eq!(read.json()["resourceType"], "Measure");

    let path = |subject: &str| {
        format!(
            "/Measure/emergency-direct/$evaluate-measure?{}{subject}",
            period(&app)
        )
    };
    let own = format!("&subject=Organization/{centre}");
    let token = add_user(
        &app,
        "centre-coordinator",
        UserRole::Coordinator,
        &centre,
        None,
    )
    .await;
    let get_as = |p: String| {
        let token = token.clone();
        let app = &app;
        async move { crate::helpers::send(app.client.get(app.fhir_url(&p)).bearer_auth(token)).await }
    };
    get_as(path(&own)).await.expect(200);
    assert_eq!(get_as(path("")).await.status, 403, "not the region");
    for user in ["insurer", "resident"] {
        assert_eq!(app.get(user, &path(&own)).await.status, 403, "{user}");
    }
    // The demo doctor's township is not the centre.
    assert_eq!(app.get("doctor", &path(&own)).await.status, 403);
    let unknown = app
        .get("analyst", &path("&subject=Organization/nowhere"))
        .await;
    crate::helpers::assert_outcome(&unknown, 400, "subject");
    let team = app.get("analyst", &path("&subject=CareTeam/any")).await;
    crate::helpers::assert_outcome(&team, 400, "subject");
    let none = app
        .get(
            "analyst",
            &format!(
                "/Measure/emergency-nothing/$evaluate-measure?{}",
                period(&app)
            ),
        )
        .await;
    assert_eq!(none.status, 404);
}
