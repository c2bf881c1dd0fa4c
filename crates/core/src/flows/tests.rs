use super::*;
use crate::indicators::{Accumulator, Counters, Directory, Fact, InstitutionFacts};
use crate::level::Level;

const H: Ix = Ix(0);
const T: Ix = Ix(1);
const V: Ix = Ix(2);

fn flow(day: Day, from: Ix, to: Ix, kind: FlowKind, amount: u64) -> Fact {
    Fact::Flow(FlowFact {
        day,
        from,
        to,
        kind,
        amount,
    })
}

#[test]
fn a_rows_flows_add_up_in_any_order_and_stay_sorted() {
    let mut a = Vec::new();
    add_flow(&mut a, T, FlowKind::Readings, 2);
    add_flow(&mut a, H, FlowKind::PatientsUp, 1);
    add_flow(&mut a, T, FlowKind::Readings, 3);
    let mut b = Vec::new();
    add_flow(&mut b, H, FlowKind::PatientsUp, 1);
    add_flow(&mut b, T, FlowKind::Readings, 5);
    assert_eq!(a, b);
    add_flows(&mut a, &b);
    let kinds: Vec<_> = a.iter().map(|f| (f.to, f.kind, f.amount)).collect();
    assert_eq!(
        kinds,
        vec![(H, FlowKind::PatientsUp, 2), (T, FlowKind::Readings, 10)]
    );
}

#[test]
fn flows_are_counted_on_the_givers_row_and_survive_the_stored_form() {
    let mut c = Counters::default();
    c.count(
        &flow(10, H, T, FlowKind::SpecialistHours, 180),
        crate::indicators::Side::None,
    );
    assert_eq!(c.flows.len(), 1);
    let text = serde_json::to_string(&c).unwrap_or_default();
    let back: Counters = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(back, c);
    // A row without flows stores none.
    let empty = serde_json::to_string(&Counters::default()).unwrap_or_default();
    assert!(!empty.contains("flows"), "{empty}");
}

#[test]
fn daily_rows_give_the_network_the_raw_facts_give() {
    let facts = [
        flow(0, H, T, FlowKind::SpecialistHours, 120),
        flow(1, T, H, FlowKind::PatientsUp, 1),
        flow(40, T, H, FlowKind::PatientsUp, 1),
        flow(40, H, V, FlowKind::Readings, 4),
        flow(41, H, T, FlowKind::SpecialistHours, 60),
    ];
    let mut raw = FlowNetwork::new();
    for f in &facts {
        if let Fact::Flow(f) = f {
            raw.add(f.day, f.from, f.to, f.kind, f.amount);
        }
    }
    let dir = Directory {
        institutions: [Level::Secondary, Level::Primary, Level::Primary]
            .iter()
            .map(|&level| InstitutionFacts {
                level,
                inside: true,
                alliances: vec![0],
                physicians: 1,
                beds: 0,
                daily_slots: 0,
            })
            .collect(),
    };
    let mut acc = Accumulator::new(dir);
    for f in &facts {
        assert!(acc.record(f).is_ok());
    }
    let mut rows = FlowNetwork::new();
    for (day, ix, c) in acc.rows() {
        if let Some(ix) = ix {
            rows.add_row(day, ix, &c.flows, |_| true);
        }
    }
    assert_eq!(rows, raw);
    let e = raw
        .edge(H, T)
        .map(|e| e.total[FlowKind::SpecialistHours.index()]);
    assert_eq!(e, Some(180));
    assert_eq!(raw.months().len(), 2, "January and February 1970");
    assert_eq!(raw.totals()[FlowKind::PatientsUp.index()], 2);
}

#[test]
fn partnerships_are_one_way_commensal_or_mutual_by_the_documented_rule() {
    let rules = FlowRules::default();
    let mut n = FlowNetwork::new();
    // H gives T two specialist hours (4 points); T sends one patient (1).
    n.add(0, H, T, FlowKind::SpecialistHours, 120);
    n.add(0, T, H, FlowKind::PatientsUp, 1);
    // H reads for V; V gives nothing back.
    n.add(0, H, V, FlowKind::Readings, 9);
    let p = n.partnerships(&rules);
    assert_eq!(p.len(), 2);
    let ht = &p[0];
    assert_eq!((ht.a, ht.b), (H, T));
    assert!((ht.b_receives - 4.0).abs() < 1e-9);
    assert!((ht.a_receives - 1.0).abs() < 1e-9);
    assert_eq!(ht.class, PartnershipClass::Commensal, "1 < 33% of 4");
    assert_eq!(p[1].class, PartnershipClass::OneWay);
    // Two more patients up: 3 of 4 points is mutual.
    n.add(5, T, H, FlowKind::PatientsUp, 2);
    assert_eq!(n.partnerships(&rules)[0].class, PartnershipClass::Mutual);
    // The threshold is the region's: at 80% the same pair is commensal.
    let strict = FlowRules {
        balance_percent: 80,
        ..FlowRules::default()
    };
    assert_eq!(
        n.partnerships(&strict)[0].class,
        PartnershipClass::Commensal
    );
}

#[test]
fn the_rules_read_from_a_policy_section() {
    let text = r#"
        balance_percent = 50
        [weights]
        patients-up = { points = 2, per = 1 }
        money = { points = 1, per = 10000 }
    "#;
    let rules: Result<FlowRules, _> = toml::from_str(text);
    let Ok(rules) = rules else {
        panic!("{rules:?}");
    };
    let mut a = [0; KINDS];
    a[FlowKind::PatientsUp.index()] = 3;
    a[FlowKind::Money.index()] = 25_000;
    // Kinds left out are worth nothing.
    a[FlowKind::Readings.index()] = 100;
    assert!((rules.value(&a) - 8.5).abs() < 1e-9);
    let bad: Result<FlowRules, _> =
        toml::from_str("balance_percent = 5\n[weights]\nhugs = { points = 1, per = 1 }");
    assert!(bad.is_err());
}

#[test]
fn the_demo_policy_states_the_default_rule() {
    let policy = crate::policy::Policy::demo();
    assert_eq!(policy.flows, FlowRules::default());
}
