//! Resource flows: the simulator records the platform's flow facts for
//! what its region does (patients referred up and down, reserved slots
//! used, the fund's money for referred care), and its report shows the
//! network with its partnerships classified.

use crate::helpers::{model, run, spec};
use std::collections::BTreeMap;
use tiercare_core::Level;
use tiercare_core::flows::FlowKind;
use tiercare_core::indicators::{Ix, Period, Subject};
use tiercare_sim::{Model, Run};

const RESIDENTS: u64 = 10_000;

/// Every flow of the whole run (warm-up included) by giver, receiver and
/// kind.
fn flows(run: &Run) -> BTreeMap<(Ix, Ix, FlowKind), u64> {
    let mut out = BTreeMap::new();
    for (_, ix, c) in run.accumulator.rows() {
        for f in &c.flows {
            let from = ix.expect("flows are counted on an institution's row");
            *out.entry((from, f.to, f.kind)).or_default() += f.amount;
        }
    }
    out
}

fn total(flows: &BTreeMap<(Ix, Ix, FlowKind), u64>, kind: FlowKind) -> u64 {
    flows
        .iter()
        .filter(|((_, _, k), _)| *k == kind)
        .map(|(_, a)| a)
        .sum()
}

/// Referred patients who arrived, by the level that received them: the
/// received funnel's completions over the whole run (a referral completes
/// when its patient is seen, and none is left half-way at the end).
fn arrived_at(m: &Model, run: &Run, level: Level) -> u64 {
    let whole = Period::new(0, m.days as i32 - 1);
    run.accumulator
        .stratum(whole, Subject::Region, level)
        .received
        .completed
}

fn level(m: &Model, ix: Ix) -> Level {
    m.institutions[ix.0 as usize].level
}

#[test]
fn patients_referred_up_and_down_are_the_referrals_that_arrived() {
    let m = model(&spec("zx-baseline"), RESIDENTS);
    let (r, _) = run(&m, 3);
    let f = flows(&r);
    let up = total(&f, FlowKind::PatientsUp);
    let down = total(&f, FlowKind::PatientsDown);
    // Upward referrals go to hospitals, downward ones to primary care.
    let up_arrived = arrived_at(&m, &r, Level::Secondary) + arrived_at(&m, &r, Level::Tertiary);
    let down_arrived = arrived_at(&m, &r, Level::Primary);
    assert!(up > 100 && down > 100, "up {up}, down {down}");
    assert_eq!(up, up_arrived, "patients up against upward arrivals");
    assert_eq!(
        down, down_arrived,
        "patients down against downward arrivals"
    );
    for ((from, to, kind), amount) in &f {
        let (a, b) = (level(&m, *from), level(&m, *to));
        match kind {
            FlowKind::PatientsUp => assert!(a < b),
            // Reserved slots are hospitals' (to a referring township, or
            // to a county hospital referring to a city one).
            FlowKind::PatientsDown | FlowKind::ReservedSlots => assert!(a > b, "{kind:?}"),
            FlowKind::Money => assert_ne!(a, b),
            other => panic!("{other:?} is not modelled, yet {amount} flowed"),
        }
    }
    // The fund paid for referred care, from the referring side to the
    // institution that gave it.
    let money = total(&f, FlowKind::Money);
    assert!(money > 0);
    for &(from, to, kind) in f.keys() {
        if kind == FlowKind::Money {
            let patients = f
                .get(&(from, to, FlowKind::PatientsUp))
                .copied()
                .unwrap_or(0)
                + f.get(&(from, to, FlowKind::PatientsDown))
                    .copied()
                    .unwrap_or(0);
            assert!(patients > 0, "money without patients {from:?} -> {to:?}");
        }
    }
}

#[test]
fn reserved_slots_flow_back_to_the_referrers_who_used_them() {
    let m = model(&spec("reserved-slots"), RESIDENTS);
    let (r, _) = run(&m, 5);
    let f = flows(&r);
    let reserved = total(&f, FlowKind::ReservedSlots);
    assert!(reserved > 0, "no reserved slot used");
    for (&(from, to, kind), &amount) in &f {
        if kind == FlowKind::ReservedSlots {
            // Every reserved slot was a referred patient's, sent the
            // other way.
            let patients = f
                .get(&(to, from, FlowKind::PatientsUp))
                .copied()
                .unwrap_or(0)
                + f.get(&(to, from, FlowKind::PatientsDown))
                    .copied()
                    .unwrap_or(0);
            assert!(amount <= patients, "{amount} slots, {patients} patients");
        }
    }
}

#[test]
fn a_region_without_referrals_has_no_patient_flows() {
    let mut s = spec("refcounty");
    for case in &mut s.case {
        case.positioned = Some(Level::Primary);
    }
    s.follow_up.down_share_contracted = 0.0;
    s.follow_up.down_share_other = 0.0;
    let m = model(&s, RESIDENTS);
    let (r, i) = run(&m, 1);
    assert!(i.visits > 1000, "{} visits", i.visits);
    assert_eq!((i.referrals_up, i.referrals_down), (0, 0));
    assert_eq!(flows(&r), BTreeMap::new());
}
