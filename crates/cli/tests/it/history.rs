//! The demo county's past activity: a fresh database starts with weeks of
//! visits, referrals both ways, declines and refusals spread over the past
//! days, counted by the indicators exactly as live use would be; the same
//! seed gives the same history, and loading again adds nothing.

use tempfile::TempDir;
use tiercare::config::Settings;
use tiercare::demo::{self, HistoryOptions, HistoryReport};
use tiercare_api::AppState;
use tiercare_core::demo::DemoCounty;
use tiercare_core::indicators::{Period, Subject};
use tiercare_service::clock::Clock;
use tiercare_service::indicators::{SubjectRef, accumulator, day_of, evaluate, network, recount};

const RESIDENTS: usize = 400;
const DAYS: u32 = 90;
const SEED: u64 = 7;
/// The day the test stands on: the history's seasons and weekdays follow
/// the date, so a fixed one keeps the counts the same on every day the
/// suite runs.
const TODAY: time::OffsetDateTime = time::macros::datetime!(2026-12-06 12:00 UTC);

/// A fresh database with nothing loaded.
pub(crate) async fn fresh(county: &DemoCounty) -> (TempDir, AppState) {
    let dir = tempfile::Builder::new()
        .prefix("tiercare-history-")
        .tempdir()
        .expect("temporary directory");
    let settings = Settings {
        database_url: tiercare_store::scratch::database_url(&format!(
            "sqlite://{}",
            dir.path().join("h.db").display()
        ))
        .await
        .expect("a fresh database"),
        region_id: county.region.id.to_string(),
        region_name: county.region.name.clone(),
        ..Settings::default()
    };
    let store = tiercare::startup::open_store(&settings)
        .await
        .expect("open store");
    let state = tiercare::startup::app_state(store, &settings)
        .expect("app state")
        .with_clock(Clock::set_at(TODAY));
    (dir, state)
}

async fn history(state: &AppState, county: &DemoCounty, days: u32) -> HistoryReport {
    with_outreach(state, county, days).await.0
}

/// The history's care, and the patients seen at its outreach sessions.
async fn with_outreach(state: &AppState, county: &DemoCounty, days: u32) -> (HistoryReport, u64) {
    let options = HistoryOptions {
        days,
        seed: SEED,
        county: false,
    };
    let (loaded, history) = demo::load_with_history(state, county, options)
        .await
        .expect("load with history");
    assert_eq!(loaded.records, county.records.len());
    let history = history.expect("a fresh database gets a history");
    (history.care, u64::from(history.outreach.patients_seen))
}

fn period(first: i32, last: i32) -> Period {
    Period::new(first, last)
}

#[tokio::test]
async fn a_fresh_demo_starts_with_past_care_counted_by_the_indicators() {
    let county = DemoCounty::generate(RESIDENTS, 2026);
    let (_dir, state) = fresh(&county).await;
    let (report, seen_at_outreach) = with_outreach(&state, &county, DAYS).await;
    let today = day_of(state.ctx.clock.today());
    let first = today - DAYS as i32;

    // The report: every kind of activity happened.
    assert!(report.visits[0] > 0 && report.visits[1] > 0, "{report}");
    assert!(report.primary_share() > 0.5, "{report}");
    assert!(report.bypass > 0, "{report}");
    assert!(report.referrals_up > 0 && report.declined > 0, "{report}");
    assert!(report.referrals_down > 0, "{report}");
    assert!(report.follow_ups_done > 0, "{report}");
    assert!(report.claims > 0, "{report}");
    assert!(report.contracts_signed > 0, "{report}");
    assert!(report.to_string().contains("referrals up"), "{report}");

    // The indicators of the period see it, as $evaluate-measure does.
    let all = period(first, today);
    let (_, figures) = evaluate(&state.ctx, all, &SubjectRef::Region)
        .await
        .expect("evaluate");
    // Outreach sessions' patients are visits at the townships too.
    let visits: u64 = report.visits.iter().sum();
    assert!(seen_at_outreach > 0);
    assert_eq!(figures.visits, visits + seen_at_outreach);
    assert_eq!(figures.referrals_up, report.referrals_up);
    assert_eq!(figures.referrals_down, report.referrals_down);
    assert_eq!(figures.declines.values().sum::<u64>(), report.declined);
    assert_eq!(figures.down_referrals_refused, report.refused_down);
    assert!(figures.time_to_appointment_days.is_some());
    assert!(figures.loop_closure.is_some());
    assert!(figures.bypass_share.is_some_and(|s| s > 0.0));
    assert!(figures.total_cost_yuan > 0.0);
    // The alliances' hubs read townships' traces and films.
    assert!(report.readings > 0, "{report}");
    assert_eq!(figures.readings.ordered, report.readings);
    assert_eq!(figures.readings_ordered.ordered, report.readings);
    assert_eq!(figures.readings.critical, report.critical_readings);
    assert!(figures.readings.reported > 0, "{report}");
    assert!(
        figures
            .readings
            .by_priority
            .iter()
            .any(|p| p.turnaround_p50_minutes.is_some()),
        "{:?}",
        figures.readings
    );
    // Tertiary care is the prefecture's hospital, outside the county.
    assert!(report.visits[2] > 0, "{report}");
    assert!(
        figures.county_retention.is_some_and(|r| r < 1.0),
        "{:?}",
        figures.county_retention
    );
    // Contracts signed during the history raise coverage over the period.
    let (_, start) = evaluate(&state.ctx, period(first, first), &SubjectRef::Region)
        .await
        .expect("evaluate");
    assert!(
        figures.contract_coverage > start.contract_coverage,
        "{:?} then {:?}",
        start.contract_coverage,
        figures.contract_coverage
    );

    // On past days across the whole period, not all today.
    let thirds = [
        period(first, first + 29),
        period(first + 30, first + 59),
        period(first + 60, today - 1),
    ];
    for p in thirds {
        let (_, f) = evaluate(&state.ctx, p, &SubjectRef::Region)
            .await
            .expect("evaluate");
        assert!(f.visits > 0, "no visits in {p:?}");
    }
    let (_, now) = evaluate(&state.ctx, period(today, today), &SubjectRef::Region)
        .await
        .expect("evaluate");
    assert_eq!(now.visits, 0, "the history ends yesterday");

    // The stored daily aggregates equal the recomputation from the facts.
    let net = network(&state.ctx).await.expect("network");
    let stored = accumulator(&state.ctx, &net, today)
        .await
        .expect("aggregates");
    let raw = recount(&state.ctx, &net).await.expect("facts");
    for subject in [Subject::Region, Subject::Alliance(0)] {
        assert_eq!(
            stored.indicators(all, subject),
            raw.indicators(all, subject)
        );
    }

    // Loading again adds nothing.
    let options = HistoryOptions {
        days: DAYS,
        seed: SEED,
        county: false,
    };
    let (again, none) = demo::load_with_history(&state, &county, options)
        .await
        .expect("load again");
    assert_eq!(again.records, 0);
    assert!(none.is_none());
    let (_, after) = evaluate(&state.ctx, all, &SubjectRef::Region)
        .await
        .expect("evaluate");
    assert_eq!(
        (after.visits, after.referrals_up, after.referrals_down),
        (figures.visits, figures.referrals_up, figures.referrals_down)
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_history() {
    let county = DemoCounty::generate(150, 2026);
    let (_a, one) = fresh(&county).await;
    let (_b, two) = fresh(&county).await;
    let first = history(&one, &county, 40).await;
    assert!(first.visits.iter().sum::<u64>() > 0, "{first}");
    assert_eq!(history(&two, &county, 40).await, first);
}

#[test]
fn the_demo_command_shows_each_phase_of_its_load_on_stderr() {
    let (_dir, _runtime, url) = crate::helpers::scratch_database();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tiercare"))
        .args(["demo", "--load-only", "--history-days", "5"])
        .args(["--residents", "150", "--database", &url])
        .output()
        .expect("tiercare demo ran");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut from = 0;
    for phase in [
        "[1/6] registry",
        "[2/6] care over 5 days",
        "[3/6] joint programmes",
        "[4/6] the rest of the county, simulated: 866850 residents",
        "[5/6] emergencies of the past year",
        "[6/6] outpatient slots",
    ] {
        let at = stderr[from..]
            .find(phase)
            .unwrap_or_else(|| panic!("no {phase:?} after the phases before it in {stderr}"));
        from += at + phase.len();
    }
}

/// The county's past year of emergencies is stored with the history, each
/// case counted once by the centres' measures, none with a moment after
/// the loading, and an outcome exactly for those whose thirty days are
/// over.
#[tokio::test]
async fn a_fresh_demo_holds_a_year_of_emergencies_counted_once_by_the_measures() {
    use tiercare_core::emergency::accreditation::Measure;
    let county = DemoCounty::generate(RESIDENTS, 2026);
    let (_dir, state) = fresh(&county).await;
    let options = HistoryOptions {
        days: 2,
        seed: SEED,
        county: false,
    };
    let (_, history) = demo::load_with_history(&state, &county, options)
        .await
        .expect("load with history");
    let report = history.expect("a history").emergency;
    assert!(report.cases > 1_000, "{report}");
    assert!(report.died > 0 && report.closed < report.cases, "{report}");
    assert_eq!(
        report.by_centre.iter().map(|(_, n)| n).sum::<u64>(),
        report.cases
    );
    let today = state.ctx.clock.today();
    let measures = tiercare_service::emergency::measures::accreditation_between(
        &state.ctx,
        today - time::Duration::days(366),
        today,
    )
    .await
    .expect("the measures");
    let region = &measures.region.all;
    assert_eq!(region.cases, report.cases, "every case once");
    for (id, n) in &report.by_centre {
        let centre = measures.centres.iter().find(|(k, _)| k.as_str() == id);
        assert_eq!(centre.map(|(_, s)| s.all.cases), Some(*n), "{id}");
    }
    assert_eq!(region.tally(Measure::Mortality).denominator, report.closed);
    assert_eq!(region.tally(Measure::Mortality).numerator, report.died);
    for m in Measure::ALL {
        let t = region.tally(m);
        assert!(
            t.numerator <= t.denominator && t.denominator <= t.initial,
            "{m:?}"
        );
    }
    let now = state.ctx.clock.now();
    let stored = tiercare_service::search::all(
        &state.ctx.store,
        tiercare_service::search::query("EpisodeOfCare", vec![]),
    )
    .await
    .expect("the cases");
    assert_eq!(stored.len() as u64, report.cases);
    for s in stored {
        let tiercare_core::Record::EmergencyCase(c) = s.record else {
            panic!("not a case")
        };
        let c = &c.clock;
        for t in [c.ecg, c.departure, c.door, c.treatment]
            .into_iter()
            .flatten()
        {
            assert!(t <= now && t >= c.first_contact, "{c:?}");
        }
    }
}
