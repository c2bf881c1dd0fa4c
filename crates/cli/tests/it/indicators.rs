//! The live region's indicators count what happens through the services:
//! the demo county's residents and contracts, and the closed loop walked
//! over HTTP; and the daily aggregates the store keeps equal the
//! indicators recomputed from the raw facts.

use crate::helpers::spawn_app;
use tiercare_core::Record;
use tiercare_core::indicators::{Period, Subject};
use tiercare_service::indicators::{
    SubjectRef, accumulator, accumulator_for, day_of, evaluate, network, recount,
};

/// The year up to the services' today: the closed loop's visit, and what
/// follows it, happen on the booked day, where the walk moves the clock.
fn this_year_of(app: &crate::helpers::TestApp) -> Period {
    let today = day_of(app.state.ctx.clock.today());
    Period::new(today - 364, today)
}

#[tokio::test]
async fn the_demo_and_the_closed_loop_are_counted() {
    let app = spawn_app().await;
    // Contract coverage from the registry itself.
    let residents: Vec<_> = app
        .county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Resident(r) => Some(r),
            _ => None,
        })
        .collect();
    let contracted = residents.iter().filter(|r| r.contract.is_some()).count();
    let (_, before) = evaluate(&app.state.ctx, this_year_of(&app), &SubjectRef::Region)
        .await
        .unwrap();
    assert_eq!(
        before.contract_coverage,
        Some(contracted as f64 / residents.len() as f64)
    );
    assert_eq!(before.referrals_up, 0);
    assert_eq!(before.access, None, "the platform holds no travel times");

    crate::closed_loop::walk(&app).await;

    let (_, after) = evaluate(&app.state.ctx, this_year_of(&app), &SubjectRef::Region)
        .await
        .unwrap();
    assert_eq!(after.referrals_up, 1, "the loop's upward referral");
    assert_eq!(after.referrals_down, 1, "and its downward referral");
    assert_eq!(after.down_up_ratio, Some(1.0));
    assert!(after.visits >= 1, "the referred visit was finished");
    assert_eq!(
        after.levels[0].visits + after.levels[1].visits + after.levels[2].visits,
        after.visits
    );
    assert_eq!(
        after.loop_closure,
        Some(1.0),
        "completed with the report back"
    );
    assert!(after.time_to_appointment_days.is_some());
    // Capacity is the registry's: every level of the county offers slots
    // and beds each day, so utilisation has a denominator.
    for l in &after.levels[..2] {
        assert!(l.slot_utilisation.is_some() && l.bed_utilisation.is_some());
    }
    let (_, hospital) = evaluate(
        &app.state.ctx,
        this_year_of(&app),
        &SubjectRef::Institution(crate::referral::HOSPITAL.to_string()),
    )
    .await
    .unwrap();
    assert_eq!(
        hospital
            .levels
            .iter()
            .map(|l| l.referrals_received_up)
            .sum::<u64>(),
        1
    );
    // Nothing counted for a period before any of it.
    let (_, old) = evaluate(
        &app.state.ctx,
        Period::new(
            this_year_of(&app).first - 400,
            this_year_of(&app).first - 40,
        ),
        &SubjectRef::Region,
    )
    .await
    .unwrap();
    assert_eq!((old.visits, old.referrals_up), (0, 0));

    // The aggregates equal the recomputation from every raw fact.
    let net = network(&app.state.ctx).await.unwrap();
    // The prefecture's hospital is of another region: outside the county's
    // pyramid, and visits there leave the county.
    let k = net.institutions.iter().position(|i| i == "zx-t1").unwrap();
    assert!(!net.directory.institutions[k].inside);
    assert!(
        net.directory
            .institutions
            .iter()
            .filter(|i| i.inside)
            .count()
            > 1
    );
    let t1 = app.get("admin", "/Organization/zx-t1").await.json();
    let region = t1["extension"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["url"].as_str().unwrap().ends_with("/region"))
        .unwrap();
    assert_eq!(region["valueCode"], "xiaogan");
    let stored = accumulator(&app.state.ctx, &net, this_year_of(&app).last)
        .await
        .unwrap();
    let raw = recount(&app.state.ctx, &net).await.unwrap();
    let monthly = accumulator_for(&app.state.ctx, &net, this_year_of(&app))
        .await
        .unwrap();
    for subject in [Subject::Region, Subject::Alliance(0)] {
        assert_eq!(
            stored.indicators(this_year_of(&app), subject),
            raw.indicators(this_year_of(&app), subject)
        );
        assert_eq!(
            monthly.indicators(this_year_of(&app), subject),
            raw.indicators(this_year_of(&app), subject)
        );
    }
}

#[tokio::test]
async fn an_unknown_subject_is_refused_by_name() {
    let app = spawn_app().await;
    let err = evaluate(
        &app.state.ctx,
        this_year_of(&app),
        &SubjectRef::Institution("no-such-place".into()),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("is not an institution, alliance, level, team or doctor"),
        "{err}"
    );
}
