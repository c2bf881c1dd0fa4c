//! The emergency network: a PCI centre where a county has none lowers
//! simulated STEMI deaths as much as the curves say it should, the
//! outputs reach the report, and runs repeat.

use crate::helpers::{model, spec};
use tiercare_core::emergency::Emergency;
use tiercare_sim::emergency::{Counts, expected, simulate};
use tiercare_sim::report::stats::paired_difference;
use tiercare_sim::report::{Report, ScenarioRuns};
use tiercare_sim::run::mix;
use tiercare_sim::{Model, run_replications};

/// ZX City's residents (the scenario's own size).
const ZX: u64 = 867_000;

fn deaths(c: &Counts, e: Emergency) -> f64 {
    c.of(e).map_or(0.0, |o| o.deaths as f64)
}

/// One year of a model's emergencies, replication `r` of a shared seed.
fn year(m: &Model, r: u64) -> Counts {
    simulate(&m.emergency, ZX, 365, mix(7 ^ mix(r)))
}

#[test]
fn a_pci_centre_in_a_county_without_one_averts_stemi_deaths_as_the_curves_say() {
    let base = model(&spec("zx-baseline"), ZX);
    let lever = model(&spec("zx-pci-centre"), ZX);
    let replications = 20;
    let pairs: Vec<(f64, f64)> = (0..replications)
        .map(|r| {
            let (b, l) = (year(&base, r), year(&lever, r));
            assert_eq!(
                b.of(Emergency::Stemi).map(|o| o.cases),
                l.of(Emergency::Stemi).map(|o| o.cases),
                "shared seeds draw the same patients"
            );
            (deaths(&l, Emergency::Stemi), deaths(&b, Emergency::Stemi))
        })
        .collect();
    let diff = paired_difference(&pairs).expect("replications");
    let (cases, base_deaths) = expected(&base.emergency, Emergency::Stemi, ZX, 365).expect("stemi");
    let (_, lever_deaths) = expected(&lever.emergency, Emergency::Stemi, ZX, 365).expect("stemi");
    let analytic = lever_deaths - base_deaths;
    let base_mean = pairs.iter().map(|p| p.1).sum::<f64>() / replications as f64;
    eprintln!(
        "STEMI cases {cases:.0}/year; deaths expected {base_deaths:.1} -> {lever_deaths:.1}; \
         simulated baseline {base_mean:.1}, difference {:.2} [{:.2}, {:.2}]",
        diff.mean, diff.low, diff.high
    );
    // Fewer deaths, and the interval excludes no change.
    assert!(analytic < 0.0, "the curves say the centre saves lives");
    assert!(diff.high < 0.0, "{diff:?}");
    // The size the curves give for the new treatment and time mix, within
    // a factor of two.
    let ratio = diff.mean / analytic;
    assert!(
        (0.5..=2.0).contains(&ratio),
        "simulated {} vs {analytic}",
        diff.mean
    );
    // Baseline case fatality in the documented range for a county without
    // a PCI centre (between timely PCI's 3% and no reperfusion's 10%).
    let mortality = base_deaths / cases;
    assert!((0.03..0.10).contains(&mortality), "{mortality}");
}

#[test]
fn the_emergency_figures_reach_the_report_with_paired_differences() {
    let residents = 20_000;
    let base = model(&spec("zx-baseline"), residents);
    let lever = model(&spec("zx-pci-centre"), residents);
    let (b, l) = (
        run_replications(&base, 3, 3, &|| {}),
        run_replications(&lever, 3, 3, &|| {}),
    );
    let report = Report::build(&[
        ScenarioRuns {
            name: "base",
            model: &base,
            runs: &b,
        },
        ScenarioRuns {
            name: "pci",
            model: &lever,
            runs: &l,
        },
    ]);
    let pci = report.scenario("pci").expect("scenario");
    for name in [
        "emergency.stemi.cases",
        "emergency.stemi.deaths",
        "emergency.stemi.mortality",
        "emergency.stemi.median_minutes_to_treatment",
        "emergency.stemi.treated_in_window_share",
        "emergency.stemi.rule_direct-pci_share",
        "emergency.stemi.first_contact_village-clinic_share",
        "emergency.acute-stroke.good_outcomes",
        "emergency.deaths",
    ] {
        let row = pci.row(name).unwrap_or_else(|| panic!("{name} missing"));
        assert!(row.diff.is_some(), "{name} has no difference");
    }
    // The same patients on both sides: the case count does not move.
    let cases = pci.row("emergency.stemi.cases").and_then(|r| r.diff);
    assert_eq!(cases.map(|d| d.mean), Some(0.0));
    // A PCI centre at the county hospital sends more patients straight to
    // PCI.
    let direct = pci
        .row("emergency.stemi.rule_direct-pci_share")
        .and_then(|r| r.diff);
    assert!(direct.is_some_and(|d| d.mean > 0.0), "{direct:?}");
    assert!(report.csv().contains("emergency.stemi.deaths"));
    // Every non-emergency figure is the baseline's own: the centre moves
    // nothing else.
    let base_report = report.scenario("base").expect("baseline");
    for row in &base_report.summary {
        if row.indicator.starts_with("emergency.") {
            continue;
        }
        let other = pci.row(&row.indicator).map(|r| r.estimate);
        assert_eq!(other, Some(row.estimate), "{}", row.indicator);
    }
}

#[test]
fn emergencies_repeat_on_a_seed_and_differ_on_another() {
    let m = model(&spec("zx-baseline"), ZX);
    let a = simulate(&m.emergency, ZX, 365, 11);
    assert_eq!(a, simulate(&m.emergency, ZX, 365, 11));
    assert_ne!(a, simulate(&m.emergency, ZX, 365, 12));
    let stemi = a.of(Emergency::Stemi).expect("stemi");
    // About 50 per 100,000 a year.
    assert!((300..600).contains(&stemi.cases), "{}", stemi.cases);
}

#[test]
fn emergencies_leave_every_other_figure_alone() {
    let residents = 20_000;
    let mut without = spec("zx-baseline");
    without
        .emergency
        .conditions
        .values_mut()
        .for_each(|c| c.incidence_per_100k = 0.0);
    let with = model(&spec("zx-baseline"), residents);
    let without = model(&without, residents);
    let (a, b) = (
        tiercare_sim::run_once(&with, 5, 0, &|| {}),
        tiercare_sim::run_once(&without, 5, 0, &|| {}),
    );
    assert_eq!(a.tally, b.tally);
    assert_eq!(a.visits(with.days), b.visits(without.days));
    assert!(
        a.emergencies
            .of(Emergency::Stroke)
            .is_some_and(|o| o.cases > 0)
    );
    assert!(
        b.emergencies
            .of(Emergency::Stroke)
            .is_some_and(|o| o.cases == 0)
    );
}
