//! The demo county's residents beyond the synthetic ones: the simulator
//! runs them over the history's days and their counters join the
//! platform's aggregates. The county's capacity then carries a county's
//! load, and every figure is the platform's own count plus exactly what
//! the simulator handed over.

use crate::history::fresh;
use tiercare::demo::{self, HistoryOptions};
use tiercare_core::Level;
use tiercare_core::demo::DemoCounty;
use tiercare_core::flows::FlowKind;
use tiercare_core::indicators::{Accumulator, Ix, Period, Subject};
use tiercare_service::indicators::{SubjectRef, accumulator, day_of, evaluate, network, recount};
use tiercare_store::AuditQuery;

const RESIDENTS: usize = 300;
const DAYS: u32 = 60;

#[tokio::test]
async fn the_simulated_county_fills_its_capacity_and_adds_to_the_platforms_own_counts() {
    let county = DemoCounty::generate(RESIDENTS, 2026);
    let (_dir, state) = fresh(&county).await;
    let options = HistoryOptions {
        days: DAYS,
        seed: 11,
        county: true,
    };
    let (_, history) = demo::load_with_history(&state, &county, options)
        .await
        .expect("load with history");
    let rest = history
        .expect("a fresh database gets a history")
        .county
        .expect("the rest of the county was simulated");
    assert_eq!(
        rest.residents,
        county.region.population - RESIDENTS as u64,
        "{rest}"
    );
    assert!(
        rest.outpatient_visits > 100_000 && rest.admissions > 1_000,
        "{rest}"
    );

    let today = day_of(state.ctx.clock.today());
    let all = Period::new(today - DAYS as i32, today);
    let net = network(&state.ctx).await.expect("network");
    // The aggregates hold the platform's own facts plus the simulator's
    // counters, and nothing else.
    let stored = accumulator(&state.ctx, &net, today)
        .await
        .expect("aggregates");
    let own = recount(&state.ctx, &net).await.expect("facts");
    let (s, o) = (
        stored.indicators(all, Subject::Region),
        own.indicators(all, Subject::Region),
    );
    assert_eq!(
        s.outpatient_visits,
        o.outpatient_visits + rest.outpatient_visits
    );
    assert_eq!(s.admissions, o.admissions + rest.admissions);
    assert_eq!(
        s.tally.institutions.bed_days,
        o.tally.institutions.bed_days + rest.bed_days
    );
    // Exactly the simulator's visits are marked as having no record behind
    // them, and the pages say so.
    assert_eq!(
        s.tally.institutions.handed_over,
        rest.outpatient_visits + rest.admissions
    );
    assert_eq!(o.tally.institutions.handed_over, 0);
    // The region's residents are the county's population, once.
    assert_eq!(s.tally.region.residents, county.region.population as i64);

    // Capacity carries a county's load: the last month, when the wards
    // have filled from the empty start.
    let month = Period::new(today - 30, today - 1);
    let (_, f) = evaluate(&state.ctx, month, &SubjectRef::Region)
        .await
        .expect("evaluate");
    let level = |l: Level| &f.levels[l.index()];
    let slots = |l: Level| level(l).slot_utilisation.unwrap_or(0.0);
    let beds = |l: Level| level(l).bed_utilisation.unwrap_or(0.0);
    assert!(slots(Level::Tertiary) > 0.9, "{:?}", f.levels);
    assert!(slots(Level::Primary) < 0.6, "{:?}", f.levels);
    assert!(beds(Level::Tertiary) > 0.9, "{:?}", f.levels);
    assert!(
        (0.6..1.0).contains(&beds(Level::Secondary)),
        "{:?}",
        f.levels
    );
    assert!((0.3..0.8).contains(&beds(Level::Primary)), "{:?}", f.levels);
    // Township centres keep patients in their wards.
    let (_, township) = evaluate(&state.ctx, month, &SubjectRef::Institution("zx-tc1".into()))
        .await
        .expect("evaluate");
    assert!(township.admissions > 0 && township.tally.institutions.bed_days > 0);
    // The county hospital's two funnels, sent and received, each hold.
    let (_, hospital) = evaluate(&state.ctx, month, &SubjectRef::Institution("zx-h1".into()))
        .await
        .expect("evaluate");
    assert!(hospital.received.requested() > 0 && hospital.received.in_order());
    assert!(hospital.sent.in_order());

    // The simulator's resource flows join the platform's, each receiver
    // under the platform's own number: a patient referred up reaches a
    // higher level, one referred down a lower one.
    let patients = |acc: &Accumulator, kind: FlowKind| -> u64 {
        acc.rows()
            .flat_map(|(_, _, c)| c.flows.iter())
            .filter(|f| f.kind == kind)
            .map(|f| f.amount)
            .sum()
    };
    for kind in [FlowKind::PatientsUp, FlowKind::PatientsDown] {
        assert!(
            patients(&stored, kind) > patients(&own, kind) + 1000,
            "{kind}"
        );
    }
    let level = |ix: Ix| net.directory.get(ix).map(|f| f.level);
    for (_, ix, c) in stored.rows() {
        for f in &c.flows {
            let (from, to) = (level(ix.expect("a giver")), level(f.to));
            assert!(from.is_some() && to.is_some(), "{f:?}");
            match f.kind {
                FlowKind::PatientsUp => assert!(from < to, "{f:?}"),
                FlowKind::PatientsDown => assert!(from > to, "{f:?}"),
                _ => {}
            }
        }
    }

    // The hand-over is on the audit trail (among the loader's entries,
    // which also audit each emergency case of the past year).
    let mut entries = Vec::new();
    loop {
        let (page, _) = state
            .ctx
            .store
            .audit_search(&AuditQuery {
                username: Some("demo-loader".into()),
                count: 1000,
                offset: entries.len() as u32,
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        if page.is_empty() {
            break;
        }
        entries.extend(page);
    }
    let imports: Vec<_> = entries.iter().filter(|e| e.action == "import").collect();
    assert_eq!(imports.len(), 1, "{imports:?}");
    assert!(imports[0].detail.contains(&rest.residents.to_string()));
}
