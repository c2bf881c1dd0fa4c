//! Inpatient care: admissions add stays and fill beds without changing
//! any outpatient figure, and a full ward turns admissions away.

use crate::helpers::{model, run, spec};
use tiercare_core::Level;
use tiercare_core::indicators::Subject;

#[test]
fn admissions_fill_beds_and_leave_outpatient_care_alone() {
    let with = spec("zx-baseline");
    assert!(with.inpatient.is_some(), "the baseline describes its wards");
    let mut without = with.clone();
    without.inpatient = None;
    let m_with = model(&with, 40_000);
    let m_without = model(&without, 40_000);
    let (_, a) = run(&m_with, 3);
    let (_, b) = run(&m_without, 3);
    // Admissions draw from a stream of their own: every outpatient figure
    // is the same with and without inpatient care.
    assert_eq!(a.outpatient_visits, b.outpatient_visits);
    assert_eq!(a.primary_visit_share, b.primary_visit_share);
    assert_eq!(a.referrals_up, b.referrals_up);
    assert_eq!(a.total_cost_yuan, b.total_cost_yuan);
    assert_eq!(b.admissions, 0);
    assert!(a.admissions > 0, "the wards admit patients");
    for level in Level::ALL {
        let l = &a.levels[level.index()];
        assert!(l.admissions > 0, "{level:?} admits patients");
        let occupancy = l.bed_utilisation.expect("beds are offered");
        // A ward fills at most its beds and the tenth more it may put up.
        assert!(
            occupancy > 0.0 && occupancy <= 1.1 + 1e-9,
            "{level:?}: {occupancy}"
        );
    }
    // Inpatient care is where DOMAIN.md puts it: the tertiary hospital
    // crowded, the township wards fuller than idle but well below it.
    let occupancy = |l: Level| a.levels[l.index()].bed_utilisation.unwrap_or(0.0);
    assert!(occupancy(Level::Tertiary) > 0.9);
    assert!(occupancy(Level::Primary) < occupancy(Level::Tertiary));
}

#[test]
fn a_ward_without_room_admits_nobody() {
    let mut s = spec("zx-baseline");
    for i in &mut s.institution {
        if i.level == Level::Primary {
            i.beds = 0;
        }
    }
    let m = model(&s, 40_000);
    let (run, _) = run(&m, 5);
    let p = run.period(m.days);
    let primary = run
        .accumulator
        .indicators(p, Subject::Level(Level::Primary));
    assert_eq!(primary.admissions, 0);
    assert_eq!(primary.tally.institutions.bed_days, 0);
    let region = run.accumulator.indicators(p, Subject::Region);
    assert!(region.admissions > 0, "the hospitals still admit");
}
