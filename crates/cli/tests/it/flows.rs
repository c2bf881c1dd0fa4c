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
