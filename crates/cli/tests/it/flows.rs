//! The resource-flow network of the demo county: every kind of flow the
//! history makes is recorded once and read back per alliance.

use crate::history::fresh;
use tiercare::demo::{self, HistoryOptions};
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::demo::DemoCounty;
use tiercare_core::flows::FlowKind;

#[tokio::test]
async fn the_demo_history_gives_each_alliance_flows_both_ways() {
    let county = DemoCounty::generate(400, 2026);
    let (_dir, state) = fresh(&county).await;
    let options = HistoryOptions {
        days: 60,
        seed: 7,
        county: false,
    };
    demo::load_with_history(&state, &county, options)
        .await
        .expect("load with history");
    let admin = Actor {
        username: "admin".into(),
        role: UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    };
    let today = state.ctx.clock.today();
    let first = today - time::Duration::days(60);
    let region = tiercare_service::flows::flows(&state.ctx, &admin, None, first, today)
        .await
        .expect("region flows");
    let totals = region.network.totals();
    for kind in [
        FlowKind::PatientsUp,
        FlowKind::PatientsDown,
        FlowKind::Readings,
        FlowKind::SpecialistHours,
    ] {
        assert!(totals[kind.index()] > 0, "{kind}: {totals:?}");
    }
    // What the aggregates give is what the raw facts say.
    let mut raw = [0u64; tiercare_core::flows::KINDS];
    for f in state.ctx.store.indicator_facts().await.expect("facts") {
        if let tiercare_core::indicators::Fact::Flow(f) = f
            && f.day >= tiercare_service::days::day_of(first)
        {
            raw[f.kind.index()] += f.amount;
        }
    }
    assert_eq!(raw, totals);
    assert!(!region.partnerships.is_empty());
    assert!(region.csv().lines().count() > 1);
}

/// A reported reading is a reading the hub gave the township and its fee's
/// hub share the township gave the hub, as the order itself records.
#[tokio::test]
async fn a_reported_reading_flows_down_and_its_fee_share_flows_up() {
    use crate::helpers::spawn_app;
    use crate::hubs::{extension, hub_and_reading, sub};
    use crate::referral::{HOSPITAL, op, params};
    use serde_json::json;

    let app = spawn_app().await;
    let (_, reading) = hub_and_reading(&app).await;
    op(
        &app,
        "specialist",
        &reading,
        "report-reading",
        Some(params(&[
            ("conclusion", json!("窦性心律")),
            ("finding", json!("164854000")),
        ])),
        None,
    )
    .await
    .expect(200);
    let read = app
        .get("doctor", &format!("/ServiceRequest/{reading}"))
        .await;
    read.expect(200);
    let order = read.json();
    let charge = extension(&order, "reading-charge").expect("the reading's charge");
    assert_eq!(sub(charge, "fee")["valueMoney"]["value"], json!(30.0));
    assert_eq!(sub(charge, "hub-share")["valueMoney"]["value"], json!(18.0));
    let member = order["extension"]
        .as_array()
        .and_then(|e| {
            e.iter().find(|x| {
                x["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("referring-organization"))
            })
        })
        .and_then(|x| x["valueReference"]["reference"].as_str())
        .and_then(|r| r.strip_prefix("Organization/"))
        .expect("the ordering member")
        .to_string();

    let admin = Actor {
        username: "admin".into(),
        role: UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    };
    let today = app.state.ctx.clock.today();
    let flows = tiercare_service::flows::flows(&app.state.ctx, &admin, None, today, today)
        .await
        .expect("flows");
    let ix = |id: &str| {
        flows
            .nodes
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.ix)
            .expect("a node")
    };
    let (hub, township) = (ix(HOSPITAL), ix(&member));
    let down = flows.network.edge(hub, township).expect("hub to township");
    assert_eq!(down.total[FlowKind::Readings.index()], 1);
    let up = flows.network.edge(township, hub).expect("township to hub");
    assert_eq!(up.total[FlowKind::Money.index()], 1_800);
}
