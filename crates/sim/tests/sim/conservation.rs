//! What goes in comes out: every episode that starts ends exactly once,
//! visits by level add up to the total, and the stock figures follow from
//! the scenario's own numbers.

use crate::helpers::{model, run, share, spec, workspace_root};
use tiercare_core::Level;
use tiercare_core::indicators::Indicators;
use tiercare_sim::{Model, Run};

/// Every scenario file of the repository, by name.
fn scenario_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("scenarios"))
        .expect("scenarios/")
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "toml").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    names
}

fn check_conservation(name: &str, m: &Model, run: &Run, i: &Indicators) {
    let t = run.tally;
    assert!(t.started > 0, "{name}: no episode started");
    assert_eq!(t.started, t.ended(), "{name}: {t:?}");
    assert_eq!(t.started, i.episodes, "{name}: tally against indicators");
    let by_level: u64 = i.levels.iter().map(|l| l.visits).sum();
    assert_eq!(by_level, i.visits, "{name}: visits by level");
    assert_eq!(i.outpatient_visits + i.admissions, i.visits, "{name}");
    // Every outpatient visit is priced under a scheme; admissions are not
    // priced by the simulator.
    let per_scheme: u64 = i.schemes.iter().map(|s| s.visits).sum();
    assert_eq!(per_scheme, i.outpatient_visits, "{name}: visits by scheme");
    // A first contact is made only by an episode whose resident sought
    // care; some of those fall past the horizon.
    assert!(i.first_contacts <= i.episodes, "{name}");
    assert!(
        i.first_contacts <= t.started - t.stayed_home,
        "{name}: {} first contacts, {t:?}",
        i.first_contacts
    );
    // Every upward referral starts at a first contact below the case's
    // level: an under-capacity first contact.
    let under = share("under-capacity share", i.under_capacity_share);
    let under_capacity = (under * i.first_contacts as f64).round() as u64;
    assert!(
        i.referrals_up <= under_capacity,
        "{name}: {} up, {under_capacity} under capacity",
        i.referrals_up
    );
    // Every downward referral follows a hospital-level episode's
    // treatment, so there are never more than hospital visits.
    let hospital: u64 = i.levels[1..].iter().map(|l| l.visits).sum();
    assert!(i.referrals_down <= hospital, "{name}");
    assert!(i.visits >= i.first_contacts, "{name}");
    // The region's residents, every partition of them.
    let residents = m.residents * u64::from(m.partitions);
    let coverage = share("contract coverage", i.contract_coverage);
    assert!((0.0..=1.0).contains(&coverage), "{name}: {coverage}");
    assert!(
        residents > 0 && i.visits as f64 / residents as f64 > 1.0,
        "{name}: {} visits for {residents} residents",
        i.visits
    );
}

#[test]
fn every_scenario_conserves_episodes_and_visits() {
    let names = scenario_names();
    for expected in [
        "zx-baseline",
        "province",
        "refcounty",
        "mandatory-gatekeeping",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing");
    }
    for name in &names {
        let s = spec(name);
        // A province is many partitions: keep each one small.
        let residents = if s.partitions > 1 { 500 } else { 12_000 };
        let m = model(&s, residents);
        let (run, i) = run(&m, 1);
        check_conservation(name, &m, &run, &i);
    }
}

#[test]
fn contract_coverage_follows_the_age_groups() {
    let s = spec("zx-baseline");
    let m = model(&s, 40_000);
    let (_, i) = run(&m, 2);
    // Expected coverage: the shares' weighted mean; the key group is fully
    // covered (contract share 1).
    let expected: f64 = s.age_group.iter().map(|g| g.share * g.contract_share).sum();
    let coverage = share("contract coverage", i.contract_coverage);
    assert!(
        (coverage - expected).abs() < 0.01,
        "coverage {coverage}, expected {expected}"
    );
    assert!(
        s.age_group
            .iter()
            .any(|g| g.key_group && g.contract_share == 1.0)
    );
    assert_eq!(i.key_group_contract_coverage, Some(1.0));
}

#[test]
fn the_baseline_keeps_the_levels_and_access_it_describes() {
    let s = spec("zx-baseline");
    let m = model(&s, 20_000);
    let (_, i) = run(&m, 3);
    // Every settlement of the baseline is within 15 minutes of a primary
    // institution (at most 6 km at 30 km/h).
    assert_eq!(i.access, Some(1.0));
    // Only the tertiary hospital is outside the county: retention is below
    // one exactly when it has visits.
    let tertiary = &i.levels[Level::Tertiary.index()];
    assert!(tertiary.visits > 0);
    assert!(share("county retention", i.county_retention) < 1.0);
    // Financial gatekeeping: self-referred hospital visits for
    // primary-level conditions are bypasses.
    assert!(share("bypass share", i.bypass_share) > 0.0);
}
