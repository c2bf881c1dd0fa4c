//! Resource flows: the simulator records the platform's flow facts for
//! what its region does (patients referred up and down, reserved slots
//! used, the fund's money for referred care), and its report shows the
//! network with its partnerships classified.

use crate::helpers::{model, run, spec};
use std::collections::BTreeMap;
use tiercare_core::Level;
use tiercare_core::flows::{FlowKind, PartnershipClass};
use tiercare_core::indicators::{Ix, Period, Subject};
use tiercare_sim::report::flows::MODELLED;
use tiercare_sim::report::{Report, ScenarioRuns};
use tiercare_sim::{Model, Run, run_replications};

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

fn report(m: &Model, replications: u32) -> Report {
    let runs = run_replications(m, 7, replications, &|| {});
    Report::build(&[ScenarioRuns {
        name: "zx",
        model: m,
        runs: &runs,
    }])
}

#[test]
fn the_report_gives_each_alliances_network_with_its_partnerships_classified() {
    let m = model(&spec("zx-baseline"), RESIDENTS);
    let r = report(&m, 2);
    let f = &r.scenarios[0].flows;
    let scopes: Vec<&str> = f.networks.iter().map(|n| n.scope.as_str()).collect();
    let mut expected = vec!["region"];
    expected.extend(m.layout.alliances.iter().map(String::as_str));
    assert_eq!(scopes, expected);
    assert!(expected.len() > 1, "the baseline has alliances");
    assert_eq!(
        f.not_modelled,
        [
            FlowKind::SpecialistHours,
            FlowKind::ReservedBeds,
            FlowKind::Readings,
            FlowKind::Mentoring,
            FlowKind::MedicinesAligned
        ]
    );
    let region = f.network("region").unwrap();
    for net in &f.networks {
        // Every kind is given, those the model lacks at zero; directions
        // and edges add up to the totals.
        assert_eq!(net.totals.len(), FlowKind::ALL.len());
        for kind in &f.not_modelled {
            assert_eq!(net.totals[kind], 0.0, "{}", net.scope);
        }
        for &kind in FlowKind::ALL {
            let by_direction: f64 = net.directions.values().map(|d| d[&kind]).sum();
            let by_edge: f64 = net.edges.iter().filter_map(|e| e.amounts.get(&kind)).sum();
            assert!((by_direction - net.totals[&kind]).abs() < 1e-6);
            assert!((by_edge - net.totals[&kind]).abs() < 1e-6);
            assert!(net.totals[&kind] <= region.totals[&kind]);
        }
        // Patients go up and down, never sideways.
        assert_eq!(net.directions["up"][&FlowKind::PatientsDown], 0.0);
        assert_eq!(net.directions["down"][&FlowKind::PatientsUp], 0.0);
        for e in &net.edges {
            assert!(net.institutions.contains(&e.from) && net.institutions.contains(&e.to));
        }
        // Every partnership classified by the scenario's rules, counted
        // once by class.
        assert_eq!(net.classes.len(), PartnershipClass::ALL.len());
        assert_eq!(net.classes.values().sum::<usize>(), net.partnerships.len());
        for p in &net.partnerships {
            assert_eq!(
                p.class,
                m.policy.flows.classify(p.a_receives, p.b_receives),
                "{p:?}"
            );
        }
    }
    assert!(region.totals[&FlowKind::PatientsUp] > 0.0);
    assert!(!region.partnerships.is_empty());
    // The JSON carries the classes by code.
    let json = serde_json::to_value(&r).unwrap();
    let classes = &json["scenarios"][0]["flows"]["networks"][0]["classes"];
    for class in ["one-way", "commensal", "mutual"] {
        assert!(classes[class].is_u64(), "{classes}");
    }
    assert_eq!(
        json["scenarios"][0]["flows"]["networks"][0]["partnerships"][0]["class"]
            .as_str()
            .and_then(PartnershipClass::from_code),
        Some(region.partnerships[0].class)
    );
}

#[test]
fn partnerships_follow_the_scenarios_flow_rules() {
    let mut s = spec("zx-baseline");
    // Any two-way partnership is mutual when no balance is asked for.
    s.policy.flows.balance_percent = 0;
    let lax = report(&model(&s, RESIDENTS), 1);
    // And none is when the lesser side must receive as much as the other.
    s.policy.flows.balance_percent = 1000;
    let strict = report(&model(&s, RESIDENTS), 1);
    let classes = |r: &Report| r.scenarios[0].flows.networks[0].classes.clone();
    let (lax, strict) = (classes(&lax), classes(&strict));
    assert_eq!(lax[&PartnershipClass::Commensal], 0, "{lax:?}");
    assert!(lax[&PartnershipClass::Mutual] > 0, "{lax:?}");
    assert_eq!(strict[&PartnershipClass::Mutual], 0, "{strict:?}");
    assert_eq!(
        strict[&PartnershipClass::Commensal],
        lax[&PartnershipClass::Mutual]
    );
    assert_eq!(
        strict[&PartnershipClass::OneWay],
        lax[&PartnershipClass::OneWay]
    );
}

#[test]
fn the_flows_csv_has_the_platforms_columns_and_adds_up_to_the_network() {
    let m = model(&spec("zx-baseline"), RESIDENTS);
    let r = report(&m, 1);
    let csv = r.flows_csv();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("month,from,from_name,to,to_name,kind,unit,amount,scenario")
    );
    let region = r.scenarios[0].flows.network("region").unwrap();
    let mut by_kind: BTreeMap<String, f64> = BTreeMap::new();
    let mut months = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 9, "{line}");
        assert_eq!(cells[8], "zx");
        let unit = if cells[5] == "money" { "fen" } else { "count" };
        assert_eq!(cells[6], unit, "{line}");
        months = months.max(cells[0].parse::<u32>().unwrap());
        *by_kind.entry(cells[5].to_string()).or_default() += cells[7].parse::<f64>().unwrap();
    }
    // The counted days in 30-day months, the last one shorter.
    assert_eq!(months, (m.days - m.warmup).div_ceil(30));
    for kind in MODELLED {
        assert_eq!(by_kind[kind.code()], region.totals[&kind], "{kind:?}");
    }
}
