//! Each policy lever moves the indicators it is meant to move, the way it
//! is meant to. Lever and baseline run on the same seeds (common random
//! numbers) and three replications are pooled, on a region of 30,000
//! residents; every margin is several times the replication noise.

use crate::helpers::{model, pooled, share, spec};
use tiercare_core::Level;
use tiercare_core::indicators::Indicators;
use tiercare_sim::Spec;

const RESIDENTS: u64 = 30_000;
const SEED: u64 = 2026;
const REPLICATIONS: u32 = 3;

fn indicators(spec: &Spec) -> Indicators {
    pooled(&model(spec, RESIDENTS), SEED, REPLICATIONS)
}

fn baseline() -> Indicators {
    indicators(&spec("zx-baseline"))
}

#[test]
fn mandatory_gatekeeping_raises_the_primary_share_and_ends_bypass() {
    let base = baseline();
    let lever = indicators(&spec("mandatory-gatekeeping"));
    let (b, l) = (
        share("primary share", base.primary_visit_share),
        share("primary share", lever.primary_visit_share),
    );
    assert!(l > b + 0.05, "primary share {b} -> {l}");
    let bypass = share("bypass share", base.bypass_share);
    assert!(bypass > 0.1, "the baseline has bypasses: {bypass}");
    // No case of the scenario is an emergency, so a hospital visit without
    // a referral is refused: none is a bypass, none is a first contact
    // above the case's level.
    assert_eq!(lever.bypass_share, Some(0.0));
    assert_eq!(lever.over_use_share, Some(0.0));
    assert!(lever.referrals_up > base.referrals_up);
}

#[test]
fn a_wider_reimbursement_gap_raises_the_primary_share() {
    let base = baseline();
    let lever = indicators(&spec("wider-gap"));
    let (b, l) = (
        share("primary share", base.primary_visit_share),
        share("primary share", lever.primary_visit_share),
    );
    assert!(l > b + 0.01, "primary share {b} -> {l}");
    // Cheaper primary care: residents pay a smaller share there.
    let oop = |i: &Indicators| i.levels[Level::Primary.index()].out_of_pocket_share;
    assert!(
        oop(&lever) < oop(&base),
        "{:?} -> {:?}",
        oop(&base),
        oop(&lever)
    );
}

/// Primary capacity cut to a fifth of the baseline's, so that it binds.
fn tight(mut spec: Spec) -> Spec {
    for i in &mut spec.institution {
        if i.level == Level::Primary {
            i.daily_visits *= 0.2;
        }
    }
    spec
}

#[test]
fn more_family_doctors_shorten_primary_waits_where_capacity_binds() {
    let wait = |i: &Indicators| {
        let p = &i.levels[Level::Primary.index()];
        (
            p.mean_wait_days.expect("primary visits"),
            p.slot_utilisation.expect("primary slots"),
        )
    };
    let (base_wait, base_use) = wait(&indicators(&tight(spec("zx-baseline"))));
    let (lever_wait, lever_use) = wait(&indicators(&tight(spec("more-family-doctors"))));
    assert!(base_use > 0.9, "primary capacity must bind: {base_use}");
    assert!(base_wait > 0.5, "the tight baseline has waits: {base_wait}");
    assert!(
        lever_wait < 0.75 * base_wait,
        "primary wait {base_wait} -> {lever_wait} days"
    );
    assert!(
        lever_use < base_use,
        "utilisation {base_use} -> {lever_use}"
    );
}

#[test]
fn wider_contracts_raise_contract_coverage() {
    let base = baseline();
    let lever = indicators(&spec("wider-contracts"));
    let (b, l) = (
        share("contract coverage", base.contract_coverage),
        share("contract coverage", lever.contract_coverage),
    );
    // Every age group at 80% or more.
    assert!(l > 0.79, "coverage {l}");
    assert!(l > b + 0.2, "coverage {b} -> {l}");
    assert_eq!(lever.key_group_contract_coverage, Some(1.0));
    // More contracted residents follow their chronic care at primary level.
    assert!(lever.chronic_management > base.chronic_management);
}

#[test]
fn upgraded_townships_cut_upward_referrals() {
    let base = baseline();
    let lever = indicators(&spec("upgraded-townships"));
    assert!(base.referrals_up > 1000, "{}", base.referrals_up);
    assert!(
        lever.referrals_up * 2 < base.referrals_up,
        "upward referrals {} -> {}",
        base.referrals_up,
        lever.referrals_up
    );
    let secondary = |i: &Indicators| i.levels[Level::Secondary.index()].visits;
    assert!(secondary(&lever) < secondary(&base));
}
