//! Figures by condition and by group: every breakdown adds up to the
//! region, each group is the residents it names, first contacts are
//! counted by level, and the odds ratio of a first contact at primary care
//! moves with the contract's pull.

use crate::helpers::{model, run, share, spec};
use tiercare_core::indicators::Indicators;
use tiercare_core::indicators::Subject;
use tiercare_sim::report::{Report, ScenarioRuns};
use tiercare_sim::strata::{GroupFigures, breakdown, first_contacts};
use tiercare_sim::{Model, run_replications};

/// The additive counts of a subject, to be compared across a breakdown.
fn counts(i: &Indicators, first: [u64; 3]) -> Vec<(&'static str, i64)> {
    let t = &i.tally.institutions;
    vec![
        ("visits", i.visits as i64),
        ("outpatient", i.outpatient_visits as i64),
        ("admissions", i.admissions as i64),
        ("first contacts", i.first_contacts as i64),
        ("first at primary", first[0] as i64),
        ("first at secondary", first[1] as i64),
        ("first at tertiary", first[2] as i64),
        ("referrals up", i.referrals_up as i64),
        ("referrals down", i.referrals_down as i64),
        ("referrals completed", i.referrals_completed as i64),
        ("cost fen", t.cost_fen),
        ("out of pocket fen", t.out_of_pocket_fen),
        ("bypass", t.bypass as i64),
        ("over-use", t.over_use as i64),
        ("wait minutes", t.wait_minutes as i64),
        ("primary visits", i.levels[0].visits as i64),
        ("tertiary visits", i.levels[2].visits as i64),
    ]
}

fn sum_of(groups: &[&GroupFigures]) -> Vec<(&'static str, i64)> {
    let mut total: Option<Vec<(&'static str, i64)>> = None;
    for g in groups {
        let c = counts(&g.indicators, g.first_contacts);
        total = Some(match total {
            None => c,
            Some(t) => t
                .into_iter()
                .zip(c)
                .map(|((n, a), (_, b))| (n, a + b))
                .collect(),
        });
    }
    total.unwrap_or_default()
}

fn dimension<'a>(all: &'a [GroupFigures], d: &str) -> Vec<&'a GroupFigures> {
    all.iter().filter(|g| g.dimension == d).collect()
}

fn group<'a>(all: &'a [GroupFigures], d: &str, name: &str) -> &'a GroupFigures {
    all.iter()
        .find(|g| g.dimension == d && g.group == name)
        .unwrap_or_else(|| panic!("no group {d}/{name}"))
}

#[test]
fn every_breakdown_adds_up_to_the_region() {
    let s = spec("zx-baseline");
    let m = model(&s, 20_000);
    let (run, region) = run(&m, 4);
    let first = first_contacts(&run.accumulator, m.counted(), Subject::Region);
    let expected = counts(&region, first);
    assert!(region.visits > 50_000 && region.referrals_up > 0 && region.admissions > 0);
    let all = breakdown(&m, &run);
    for d in [
        "condition",
        "contract",
        "age_group",
        "key_group",
        "scheme",
        "settlement",
        "institution",
    ] {
        let groups = dimension(&all, d);
        assert!(groups.len() >= 2, "{d}: {} groups", groups.len());
        assert_eq!(sum_of(&groups), expected, "{d}");
    }
    // Episodes belong to residents, not institutions.
    for d in ["condition", "contract", "age_group", "scheme", "settlement"] {
        let episodes: u64 = dimension(&all, d)
            .iter()
            .map(|g| g.indicators.episodes)
            .sum();
        assert_eq!(episodes, region.episodes, "{d}");
    }
    // A condition group is its conditions.
    let cardio = group(&all, "condition_group", "cardiometabolic");
    let parts = [
        group(&all, "condition", "I10-I15"),
        group(&all, "condition", "E11"),
    ];
    assert_eq!(
        counts(&cardio.indicators, cardio.first_contacts),
        sum_of(&parts)
    );
    // An alliance is its members.
    let ccmc = group(&all, "alliance", "zx-all-ccmc");
    let members: Vec<&GroupFigures> = s.alliance[0]
        .members
        .iter()
        .map(|id| group(&all, "institution", id))
        .collect();
    assert_eq!(
        counts(&ccmc.indicators, ccmc.first_contacts),
        sum_of(&members)
    );
}

#[test]
fn groups_are_the_residents_they_name() {
    let s = spec("zx-baseline");
    let m = model(&s, 20_000);
    let (run, region) = run(&m, 5);
    let all = breakdown(&m, &run);
    let coverage = |d: &str, g: &str| share(g, group(&all, d, g).indicators.contract_coverage);
    assert_eq!(coverage("contract", "contracted"), 1.0);
    assert_eq!(coverage("contract", "not contracted"), 0.0);
    assert_eq!(coverage("age_group", "older people 65+"), 1.0);
    let residents: i64 = dimension(&all, "settlement")
        .iter()
        .map(|g| g.indicators.tally.region.residents)
        .sum();
    assert_eq!(residents, region.tally.region.residents);
    assert_eq!(residents as u64, m.residents);
    // Hypertension and diabetes apart: each has its own panel and its own
    // follow-ups at primary care.
    for code in ["I10-I15", "E11"] {
        let g = group(&all, "condition", code);
        let managed = share(code, g.indicators.chronic_management);
        assert!((0.2..=1.0).contains(&managed), "{code}: {managed}");
        assert!(g.indicators.levels[0].visits > 0, "{code}");
    }
    let known = |code: &str| {
        group(&all, "condition", code)
            .indicators
            .tally
            .institutions
            .chronic_known
    };
    // About seven in ten known patients have hypertension.
    let h = known("I10-I15") as f64 / (known("I10-I15") + known("E11")) as f64;
    assert!((0.6..0.8).contains(&h), "{h}");
    // A condition's figures are its patients': no resident stocks.
    assert_eq!(
        group(&all, "condition", "J00-J06")
            .indicators
            .contract_coverage,
        None
    );
}

/// The reference county with contracted residents' pull towards primary
/// care set to `contract`; three replications.
fn contract_pull(contract: f64, seed: u64) -> (Model, Vec<tiercare_sim::Run>) {
    let mut s = spec("refcounty");
    s.choice.contract = contract;
    let m = model(&s, 6_000);
    let runs = run_replications(&m, seed, 3, &|| {});
    (m, runs)
}

fn odds(name: &str, m: &Model, runs: &[tiercare_sim::Run]) -> tiercare_sim::report::OddsRatio {
    let r = Report::build(&[ScenarioRuns {
        name: "odds",
        model: m,
        runs,
    }]);
    r.scenarios[0]
        .odds_ratios
        .iter()
        .find(|o| o.indicator == name)
        .cloned()
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn contracted_residents_preferring_primary_care_have_higher_odds() {
    let name = "odds_ratio.primary_first_contact.contracted";
    let (m, runs) = contract_pull(1.5, 3);
    let o = odds(name, &m, &runs);
    assert_eq!(o.replications, 3);
    assert!(o.estimate.mean > 1.5, "{o:?}");
    assert!(o.estimate.low > 1.0, "the interval excludes 1: {o:?}");
    // No pull: the odds are the same whether contracted or not (the
    // reference county prices a contracted visit like any other).
    let (m, runs) = contract_pull(0.0, 3);
    let o = odds(name, &m, &runs);
    assert!(o.estimate.low < 1.0 && o.estimate.high > 1.0, "{o:?}");
}

#[test]
fn counting_by_group_changes_no_region_figure_and_can_be_left_out() {
    let s = spec("zx-baseline");
    let mut m = model(&s, 8_000);
    let (with, region) = run(&m, 6);
    m.count_groups = false;
    let (without, region_without) = run(&m, 6);
    assert_eq!(region, region_without);
    assert_eq!(with.tally, without.tally);
    assert!(breakdown(&m, &without).is_empty());
    assert_eq!(without.groups.slots.span(), None, "nothing counted");
    assert!(with.groups.slots.span().is_some());
}
