//! The demo year: deterministic, every clock in order, every destination
//! able to do what it was chosen for, counts within the documented
//! incidence, and measures in plausible ranges (printed per centre with
//! `--nocapture`).

use super::*;
use crate::emergency::accreditation::{Interval, Measure, accreditation};
use crate::emergency::{Capability, CentreKind, Milestone};
use std::collections::BTreeSet;
use std::sync::OnceLock;
use time::macros::date;

const START: Date = date!(2025 - 01 - 01);

fn county() -> &'static DemoCounty {
    static COUNTY: OnceLock<DemoCounty> = OnceLock::new();
    COUNTY.get_or_init(|| DemoCounty::generate(3000, 7))
}

fn year() -> &'static Vec<EmergencyCase> {
    static YEAR: OnceLock<Vec<EmergencyCase>> = OnceLock::new();
    YEAR.get_or_init(|| {
        year_of_cases(
            county(),
            &Windows::default(),
            &TravelTimes::default(),
            START,
            11,
        )
    })
}

#[test]
fn the_same_seed_gives_the_same_year_and_another_seed_another() {
    let again = year_of_cases(
        county(),
        &Windows::default(),
        &TravelTimes::default(),
        START,
        11,
    );
    assert_eq!(&again, year());
    let other = year_of_cases(
        county(),
        &Windows::default(),
        &TravelTimes::default(),
        START,
        12,
    );
    assert_ne!(&other, year());
    let ids: BTreeSet<&str> = year().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), year().len(), "ids are unique");
    let other_ids: BTreeSet<&str> = other.iter().map(|c| c.id.as_str()).collect();
    assert!(ids.is_disjoint(&other_ids), "another seed, other ids");
}

#[test]
fn every_case_names_a_demo_resident_of_a_fitting_age_and_falls_in_the_year() {
    let residents: Vec<&Resident> = county()
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Resident(r) => Some(r),
            _ => None,
        })
        .collect();
    for c in year() {
        let r = residents
            .iter()
            .find(|r| r.id == c.patient)
            .unwrap_or_else(|| panic!("{}: no resident {}", c.id, c.patient));
        assert!(
            fits(c.emergency, r) || c.emergency == Emergency::Newborn,
            "{}",
            c.id
        );
        let day = c.clock.first_contact.to_offset(LOCAL).date();
        assert!(
            START <= day && day < START + Duration::days(365),
            "{}",
            c.id
        );
    }
}

#[test]
fn every_clock_runs_forward() {
    for c in year() {
        let k = &c.clock;
        let at = |m| k.at(m);
        let order = [
            (Milestone::FirstContact, Milestone::Ecg),
            (Milestone::FirstContact, Milestone::Decision),
            (Milestone::Decision, Milestone::Departure),
            (Milestone::Departure, Milestone::Door),
            (Milestone::FirstContact, Milestone::Door),
            (Milestone::Door, Milestone::Treatment),
        ];
        for (a, b) in order {
            if let (Some(x), Some(y)) = (at(a), at(b)) {
                assert!(x <= y, "{}: {a:?} {x} after {b:?} {y}", c.id);
            }
        }
        if c.emergency == Emergency::Stemi
            && let Some(ecg) = k.ecg
        {
            assert!(ecg <= k.decision, "{}: decided before the ECG", c.id);
        }
        if let Some(t) = &c.transfer_out {
            assert!(k.door.is_some_and(|d| d <= t.at), "{}", c.id);
        }
        if let Alert::Acknowledged { sent, at, .. } = &c.alert {
            assert!(sent <= at, "{}", c.id);
        }
        assert_eq!(c.treated_with.is_some(), k.treatment.is_some(), "{}", c.id);
    }
}

#[test]
fn every_destination_can_do_what_it_was_chosen_for() {
    let c = County::of(county());
    for case in year() {
        let site = c
            .sites
            .iter()
            .find(|s| &s.institution == case.destination())
            .unwrap_or_else(|| panic!("{}: no site", case.id));
        let local = case.clock.decision.to_offset(LOCAL).time();
        let minute = u16::from(local.hour()) * 60 + u16::from(local.minute());
        let ok = match case.decision.first.treatment {
            Treatment::Pci => site.can(Capability::Pci, Some(CentreKind::ChestPain), minute),
            Treatment::Thrombolysis => site.can(Capability::Thrombolysis, None, minute),
            Treatment::Thrombectomy => {
                site.can(Capability::Thrombectomy, Some(CentreKind::Stroke), minute)
            }
            Treatment::StrokeUnit => site.centre_open(CentreKind::Stroke, minute),
            Treatment::TraumaSurgery => {
                site.can(Capability::TraumaSurgery, Some(CentreKind::Trauma), minute)
            }
            Treatment::Caesarean => site.can(Capability::Caesarean, None, minute),
            Treatment::NeonatalIntensiveCare => site.can(
                Capability::NeonatalIntensiveCare,
                Some(CentreKind::Neonatal),
                minute,
            ),
            Treatment::Stabilise => site.level >= Level::Secondary,
        };
        assert!(
            ok,
            "{}: {:?} at {}",
            case.id, case.decision, site.institution
        );
    }
}

#[test]
fn a_year_holds_the_documented_incidence() {
    let population = county().region.population as f64;
    for (e, rate) in INCIDENCE_PER_100K {
        let expected = rate * population / 100_000.0;
        let n = year().iter().filter(|c| c.emergency == e).count() as f64;
        let band = 5.0 * expected.sqrt() + 0.02 * expected;
        assert!(
            (n - expected).abs() <= band,
            "{e:?}: {n} cases, expected {expected:.0} ± {band:.0}"
        );
    }
}

#[test]
fn the_year_s_measures_are_plausible_per_centre_and_by_contact_point() {
    let w = Windows::default();
    let a = accreditation(year(), &w);
    println!(
        "centre       cases  ECG≤10  D2B≤90  DTN≤60  direct  late-out  died  median FMC-treat"
    );
    let pct = |t: crate::emergency::accreditation::Tally| {
        t.share()
            .map_or("-".to_string(), |s| format!("{:.0}%", s * 100.0))
    };
    for (id, s) in std::iter::once(("region".to_string(), &a.region))
        .chain(a.centres.iter().map(|(i, s)| (i.to_string(), s)))
    {
        let f = &s.all;
        println!(
            "{id:<12} {:>5}  {:>6}  {:>6}  {:>6}  {:>6}  {:>8}  {:>4}  {:>6}",
            f.cases,
            pct(f.tally(Measure::FmcToEcg)),
            pct(f.tally(Measure::DoorToBalloon)),
            pct(f.tally(Measure::DoorToNeedle)),
            pct(f.tally(Measure::Direct)),
            pct(f.tally(Measure::LateTransfer)),
            pct(f.tally(Measure::Mortality)),
            f.median(Interval::ContactToTreatment)
                .map_or("-".into(), |m| format!("{m:.0}")),
        );
    }
    let r = &a.region;
    for (cp, f) in &r.by_contact {
        println!(
            "from {:<14} cases {:>5}  ECG≤10 {:>4}  D2B≤90 {:>4}  died {:>4}  median FMC-treat {}",
            cp.code(),
            f.cases,
            pct(f.tally(Measure::FmcToEcg)),
            pct(f.tally(Measure::DoorToBalloon)),
            pct(f.tally(Measure::Mortality)),
            f.median(Interval::ContactToTreatment)
                .map_or("-".into(), |m| format!("{m:.0}")),
        );
    }
    let share = |m| r.all.tally(m).share().unwrap_or(-1.0);
    assert!(
        (0.5..0.98).contains(&share(Measure::FmcToEcg)),
        "some ECGs late"
    );
    assert!(
        (0.4..0.98).contains(&share(Measure::DoorToBalloon)),
        "some balloons late"
    );
    assert!(
        (0.3..0.95).contains(&share(Measure::DoorToNeedle)),
        "some needles late"
    );
    assert!((0.3..0.9).contains(&share(Measure::Direct)));
    assert!((0.02..0.15).contains(&share(Measure::Mortality)));
    let late = r.all.tally(Measure::LateTransfer);
    assert!(
        late.denominator > 0 && late.numerator > 0,
        "some sent on late"
    );
    // Every contact point is represented; most came by hospital or
    // ambulance; primary PCI is at the prefecture's centre.
    for cp in ContactPoint::ALL {
        assert!(r.contact(*cp).cases > 0, "{cp:?}");
    }
    let front = r.contact(ContactPoint::Hospital).cases + r.contact(ContactPoint::Ambulance).cases;
    assert!(front * 10 > r.all.cases * 6, "{front} of {}", r.all.cases);
    let pci = a
        .centres
        .iter()
        .filter(|(_, s)| s.all.tally(Measure::DoorToBalloon).denominator > 0)
        .map(|(i, _)| i.as_str())
        .collect::<Vec<_>>();
    assert_eq!(pci, ["zx-t1"]);
    // STEMI from a village clinic reaches treatment later than a walk-in.
    let stemi_from = |cp| {
        r.by_condition_and_contact
            .get(&(Emergency::Stemi, cp))
            .and_then(|f| f.median(Interval::ContactToTreatment))
            .unwrap_or(0.0)
    };
    assert!(stemi_from(ContactPoint::VillageClinic) > stemi_from(ContactPoint::Hospital));
}
