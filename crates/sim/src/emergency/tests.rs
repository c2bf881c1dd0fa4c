//! The curves at their documented points and monotone in delay; the
//! network compiled from a scenario with its lever.

use super::curves::*;
use super::{CentreSpec, Contact};
use crate::spec::Spec;
use tiercare_core::emergency::{Capability, CentreKind, Emergency};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Every minute of two days.
fn delays() -> impl Iterator<Item = f64> {
    (0..=2880).map(f64::from)
}

/// `f` never falls as the delay grows and stays a probability.
fn non_decreasing(name: &str, f: impl Fn(f64) -> f64) {
    let mut last = f(0.0);
    for t in delays() {
        let v = f(t);
        assert!((0.0..=1.0).contains(&v), "{name} at {t}: {v}");
        assert!(v >= last - 1e-12, "{name} falls at {t}: {last} -> {v}");
        last = v;
    }
}

#[test]
fn every_curve_worsens_with_delay() {
    non_decreasing("stemi_pci", stemi_pci);
    non_decreasing("stemi_lysis", stemi_lysis);
    non_decreasing("pharmaco-invasive", |t| {
        stemi_pharmaco_invasive(t, t + 90.0)
    });
    non_decreasing("trauma at a centre", |t| trauma(t, true));
    non_decreasing("trauma elsewhere", |t| trauma(t, false));
    non_decreasing("obstetric at a centre", |t| obstetric(t, true));
    non_decreasing("obstetric elsewhere", |t| obstetric(t, false));
    non_decreasing("newborn", newborn);
    // The stroke benefit declines: the chance of a bad outcome rises.
    non_decreasing("stroke lysis", |t| 1.0 - stroke_good_outcome_after_lysis(t));
    for lvo in [false, true] {
        non_decreasing("stroke", |_| stroke_mortality(StrokeCare::Centre, lvo));
    }
}

#[test]
fn stemi_curves_at_their_documented_points() {
    // 3.0% at 120 minutes, 7.5% more (relative) every 30 minutes.
    assert!(close(stemi_pci(120.0), 0.03));
    assert!(close(stemi_pci(150.0), 0.03 * 1.075));
    assert!(close(stemi_pci(240.0), 0.03 * 1.075f64.powi(4)));
    assert!(close(stemi_pci(f64::NAN), stemi_pci(0.0)));
    // Capped at no reperfusion, 10%.
    assert!(close(stemi_pci(2000.0), STEMI_UNTREATED));
    assert!(close(STEMI_UNTREATED, 0.10));
    // Fibrinolysis: 10% less 6.5, 3.7, 2.9, 2.0, 1.0 points, then none.
    for (t, benefit) in [
        (60.0, 0.065),
        (120.0, 0.037),
        (180.0, 0.029),
        (360.0, 0.020),
        (720.0, 0.010),
    ] {
        assert!(close(stemi_lysis(t), 0.10 - benefit), "{t}");
    }
    assert!(close(stemi_lysis(30.0), 0.035));
    assert!(close(stemi_lysis(1440.0), 0.10));
    assert!(close(stemi_lysis(90.0), 0.10 - 0.051));
    // Timely PCI beats late lysis; pharmaco-invasive takes the better.
    assert!(stemi_pci(180.0) < stemi_lysis(180.0));
    assert!(close(
        stemi_pharmaco_invasive(60.0, 400.0),
        stemi_lysis(60.0)
    ));
    assert!(close(stemi_pharmaco_invasive(300.0, 120.0), 0.03));
}

#[test]
fn stroke_trauma_obstetric_and_newborn_at_their_documented_points() {
    assert!(close(stroke_lysis_odds_ratio(150.0), 1.75));
    assert!(close(stroke_lysis_odds_ratio(225.0), 1.26));
    assert!(close(stroke_lysis_odds_ratio(60.0), 2.3));
    assert!(close(stroke_lysis_odds_ratio(0.0), 2.3));
    assert!(close(stroke_lysis_odds_ratio(360.0), 1.0));
    assert!(close(stroke_lysis_odds_ratio(600.0), 1.0));
    // 25% good outcomes untreated: odds 1/3, times 1.75 = 0.5833.
    let odds = 1.75 / 3.0;
    assert!(close(
        stroke_good_outcome_after_lysis(150.0),
        odds / (1.0 + odds)
    ));
    assert!(close(
        stroke_good_outcome_after_lysis(400.0),
        STROKE_GOOD_UNTREATED
    ));
    assert!(close(
        stroke_mortality(StrokeCare::Thrombectomy, true),
        0.153
    ));
    assert!(close(stroke_mortality(StrokeCare::Centre, true), 0.19));
    assert!(close(stroke_mortality(StrokeCare::Centre, false), 0.10));
    assert!(close(stroke_mortality(StrokeCare::None, false), 0.12));
    assert!(close(stroke_mortality(StrokeCare::None, true), 0.21));
    // Trauma: 12% in the golden hour, +1.5 points per half hour, 35% cap;
    // a quarter fewer deaths at a trauma centre.
    assert!(close(trauma(45.0, true), 0.12));
    assert!(close(trauma(60.0, true), 0.12));
    assert!(close(trauma(120.0, true), 0.15));
    assert!(close(trauma(60.0, false), 0.16));
    assert!(close(trauma(5000.0, true), TRAUMA_UNTREATED));
    // Obstetric: 0.5% within 30 minutes, +0.25 points per half hour.
    assert!(close(obstetric(30.0, true), 0.005));
    assert!(close(obstetric(90.0, true), 0.01));
    assert!(close(obstetric(90.0, false), 0.015));
    assert!(close(obstetric(9000.0, true), OBSTETRIC_UNTREATED));
    // Newborn: 8% within the hour, +1 point per half hour, 25% cap.
    assert!(close(newborn(60.0), 0.08));
    assert!(close(newborn(120.0), 0.10));
    assert!(close(newborn(9000.0), NEWBORN_UNTREATED));
}

const REGION: &str = include_str!("../../../../scenarios/zx-baseline.toml");

#[test]
fn the_lever_designates_upgrades_and_changes_the_transfer_rule() {
    let mut spec = Spec::from_toml(REGION).expect("zx-baseline");
    let network = |spec: &Spec| {
        let model = crate::Model::compile(spec, Some(1000)).expect("compiles");
        model.emergency
    };
    let site = |n: &super::Network, id: &str| {
        n.sites
            .iter()
            .find(|s| s.institution.as_str() == id)
            .cloned()
            .expect("site")
    };
    let before = network(&spec);
    assert!(!site(&before, "zx-h1").can(Capability::Pci, Some(CentreKind::ChestPain), 0));
    assert!(!site(&before, "zx-tc2").can(Capability::Thrombolysis, None, 0));
    assert_eq!(before.conditions.len(), Emergency::ALL.len());
    assert!(close(before.contact_shares.iter().sum::<f64>(), 1.0));
    assert_eq!(Contact::ALL.len(), before.contact_shares.len());
    spec.levers.designate_centre.push(CentreSpec {
        institution: "zx-h1".into(),
        kind: CentreKind::ChestPain,
        accreditation: tiercare_core::emergency::Accreditation::Basic,
        hours: Some([480, 1020]),
        capabilities: vec![Capability::Pci],
    });
    // An upgrade of the stroke centre: thrombectomy added.
    spec.levers.designate_centre.push(CentreSpec {
        institution: "zx-h1".into(),
        kind: CentreKind::Stroke,
        accreditation: tiercare_core::emergency::Accreditation::Standard,
        hours: None,
        capabilities: vec![Capability::Thrombolysis, Capability::Thrombectomy],
    });
    spec.levers.township_thrombolysis = Some(true);
    let after = network(&spec);
    let h1 = site(&after, "zx-h1");
    assert!(h1.can(Capability::Pci, Some(CentreKind::ChestPain), 600));
    assert!(
        !h1.can(Capability::Pci, Some(CentreKind::ChestPain), 1200),
        "daytime only"
    );
    assert_eq!(
        h1.centres
            .iter()
            .filter(|c| c.kind == CentreKind::Stroke)
            .count(),
        1
    );
    assert!(h1.can(Capability::Thrombectomy, Some(CentreKind::Stroke), 0));
    assert!(site(&after, "zx-tc2").can(Capability::Thrombolysis, None, 0));
    // A centre at an institution the scenario does not have is refused.
    spec.levers.designate_centre[0].institution = "nowhere".into();
    let err = crate::Model::compile(&spec, Some(1000)).expect_err("refused");
    assert!(
        err.to_string().contains("levers.designate_centre[0]"),
        "{err}"
    );
}
