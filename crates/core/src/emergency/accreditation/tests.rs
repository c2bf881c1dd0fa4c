//! The measures over hand-built cases: each numerator and denominator,
//! a case counted once per measure, the strata adding up to the whole,
//! and a missing milestone leaving only its own measure.

use super::definitions::{EMERGENCY_MEASURES, emergency_measure, initial_population};
use super::*;
use crate::emergency::{Alert, CaseClock, Decision, Outcome, Rule, Step, TransferOut};
use crate::{EmergencyCaseId, ResidentId};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-03-01 02:00 UTC);

fn at(m: i64) -> OffsetDateTime {
    T0 + Duration::minutes(m)
}

fn id(s: &str) -> InstitutionId {
    InstitutionId::new(s).unwrap_or_else(|e| panic!("{e}"))
}

/// A case of `emergency` from `contact` to `to`, routed to `treatment`;
/// its door and treatment at the given minutes after first contact.
fn case(
    n: u32,
    emergency: Emergency,
    contact: ContactPoint,
    to: &str,
    treatment: Treatment,
) -> EmergencyCase {
    EmergencyCase {
        id: EmergencyCaseId::new(format!("emg-{n}")).unwrap_or_else(|e| panic!("{e}")),
        patient: ResidentId::new(format!("res-{n}")).unwrap_or_else(|e| panic!("{e}")),
        emergency,
        contact,
        from: None,
        decision: Decision {
            first: Step {
                institution: id(to),
                travel_minutes: 30,
                treatment,
            },
            then: None,
            rule: Rule::DirectPci,
        },
        alert: Alert::Sent { at: at(5) },
        clock: CaseClock {
            first_contact: T0,
            ecg: None,
            decision: at(5),
            departure: Some(at(6)),
            door: None,
            treatment: None,
        },
        treated_with: None,
        bypassed_emergency_department: None,
        transfer_out: None,
        outcome: None,
        ecg_reading: None,
        opened_by: None,
        onset_minutes: None,
    }
}

/// A STEMI from a village clinic with every milestone: ECG at 8, door at
/// 50 (direct), balloon at 120 (70 minutes door-to-balloon), alive.
fn full_stemi(n: u32) -> EmergencyCase {
    let mut c = case(
        n,
        Emergency::Stemi,
        ContactPoint::VillageClinic,
        "pci",
        Treatment::Pci,
    );
    c.clock.ecg = Some(at(8));
    c.clock.door = Some(at(50));
    c.clock.treatment = Some(at(120));
    c.treated_with = Some(Treatment::Pci);
    c.bypassed_emergency_department = Some(true);
    c.outcome = Some(Outcome::Alive);
    c
}

fn w() -> Windows {
    Windows::default()
}

fn counts(t: Tally) -> (u64, u64, u64) {
    (t.initial, t.denominator, t.numerator)
}

#[test]
fn a_single_case_is_counted_exactly_once_in_each_measure_it_belongs_to() {
    let a = accreditation(&[full_stemi(1)], &w());
    let f = &a.region.all;
    assert_eq!(f.cases, 1);
    assert_eq!(counts(f.tally(Measure::FmcToEcg)), (1, 1, 1));
    assert_eq!(counts(f.tally(Measure::DoorToBalloon)), (1, 1, 1));
    assert_eq!(
        counts(f.tally(Measure::DoorToNeedle)),
        (0, 0, 0),
        "no stroke"
    );
    assert_eq!(counts(f.tally(Measure::Direct)), (1, 1, 1));
    assert_eq!(counts(f.tally(Measure::LateTransfer)), (0, 0, 0), "kept");
    assert_eq!(counts(f.tally(Measure::Mortality)), (1, 1, 0));
    assert_eq!(f.median(Interval::FmcToEcg), Some(8.0));
    assert_eq!(f.median(Interval::DoorToBalloon), Some(70.0));
    assert_eq!(f.median(Interval::ContactToTreatment), Some(120.0));
    assert_eq!(f.median(Interval::DoorToNeedle), None);
    // The same once at its centre and in its one stratum of each kind.
    let centre = &a.centres[&id("pci")];
    assert_eq!(centre.all, *f);
    assert_eq!(centre.by_contact.len(), 1);
    assert_eq!(centre.contact(ContactPoint::VillageClinic), *f);
    assert_eq!(centre.condition(Emergency::Stemi), *f);
    assert_eq!(centre.contact(ContactPoint::Hospital).cases, 0);
}

#[test]
fn each_measure_counts_its_targets_against_its_own_denominator() {
    // A late ECG (15 minutes), a slow balloon (100), through the
    // emergency department, died.
    let mut slow = full_stemi(2);
    slow.clock.ecg = Some(at(15));
    slow.clock.treatment = Some(at(150));
    slow.bypassed_emergency_department = Some(false);
    slow.outcome = Some(Outcome::Died);
    // Strokes: needle at 45 and at 75 minutes after the door.
    let mut quick = case(
        3,
        Emergency::Stroke,
        ContactPoint::Ambulance,
        "h",
        Treatment::Thrombolysis,
    );
    quick.clock.door = Some(at(30));
    quick.clock.treatment = Some(at(75));
    quick.treated_with = Some(Treatment::Thrombolysis);
    let mut late = quick.clone();
    late.id = EmergencyCaseId::new("emg-4").unwrap_or_else(|e| panic!("{e}"));
    late.clock.treatment = Some(at(105));
    // A trauma stabilised and sent on at 70 minutes (window 60), and one
    // sent on at 50.
    let mut trauma = case(
        5,
        Emergency::MajorTrauma,
        ContactPoint::Township,
        "h",
        Treatment::Stabilise,
    );
    trauma.transfer_out = Some(TransferOut {
        to: id("c"),
        at: at(70),
    });
    let mut prompt = trauma.clone();
    prompt.transfer_out = Some(TransferOut {
        to: id("c"),
        at: at(50),
    });
    let cases = [full_stemi(1), slow, quick, late, trauma, prompt];
    let f = accreditation(&cases, &w()).region.all;
    assert_eq!(counts(f.tally(Measure::FmcToEcg)), (2, 2, 1));
    assert_eq!(counts(f.tally(Measure::DoorToBalloon)), (2, 2, 1));
    assert_eq!(counts(f.tally(Measure::DoorToNeedle)), (2, 2, 1));
    assert_eq!(counts(f.tally(Measure::Direct)), (6, 2, 1));
    assert_eq!(counts(f.tally(Measure::LateTransfer)), (2, 2, 1));
    assert_eq!(counts(f.tally(Measure::Mortality)), (6, 2, 1));
    assert_eq!(f.tally(Measure::FmcToEcg).share(), Some(0.5));
    assert_eq!(f.median(Interval::FmcToEcg), Some(11.5), "8 and 15");
    assert_eq!(f.median(Interval::DoorToNeedle), Some(60.0), "45 and 75");
    assert_eq!(f.tally(Measure::DoorToNeedle).share(), Some(0.5));
}

#[test]
fn a_case_missing_a_milestone_leaves_only_that_measures_denominator() {
    let mut no_ecg = full_stemi(1);
    no_ecg.clock.ecg = None;
    let whole = accreditation(&[full_stemi(1)], &w()).region.all;
    let f = accreditation(&[no_ecg], &w()).region.all;
    assert_eq!(counts(f.tally(Measure::FmcToEcg)), (1, 0, 0));
    assert_eq!(
        f.tally(Measure::FmcToEcg).share(),
        None,
        "no share of nothing"
    );
    for m in Measure::ALL.into_iter().filter(|&m| m != Measure::FmcToEcg) {
        assert_eq!(f.tally(m), whole.tally(m), "{m:?}");
    }
    // Without a balloon time: out of door-to-balloon only (the interval
    // to treatment goes with it).
    let mut no_balloon = full_stemi(1);
    no_balloon.clock.treatment = None;
    no_balloon.treated_with = None;
    let f = accreditation(&[no_balloon], &w()).region.all;
    assert_eq!(counts(f.tally(Measure::DoorToBalloon)), (1, 0, 0));
    assert_eq!(counts(f.tally(Measure::FmcToEcg)), (1, 1, 1));
    assert_eq!(counts(f.tally(Measure::Mortality)), (1, 1, 0));
    assert!(f.minutes(Interval::DoorToBalloon).is_empty());
}

#[test]
fn strata_add_up_to_the_whole_and_centres_are_credited_with_their_cases() {
    let mut cases = Vec::new();
    for (n, contact) in ContactPoint::ALL.iter().enumerate() {
        let mut c = full_stemi(n as u32);
        c.contact = *contact;
        if n % 2 == 0 {
            c.outcome = Some(Outcome::Died);
            c.decision.first.institution = id("other");
        }
        cases.push(c);
        let mut s = case(
            10 + n as u32,
            Emergency::Stroke,
            *contact,
            "h",
            Treatment::StrokeUnit,
        );
        s.outcome = Some(Outcome::Alive);
        cases.push(s);
    }
    let a = accreditation(&cases, &w());
    for stratified in std::iter::once(&a.region).chain(a.centres.values()) {
        for strata in [
            stratified.by_contact.values().collect::<Vec<_>>(),
            stratified.by_condition.values().collect(),
            stratified.by_condition_and_contact.values().collect(),
        ] {
            let mut sum = Figures::default();
            for f in strata {
                sum.merge(f);
            }
            assert_eq!(sum.cases, stratified.all.cases);
            for m in Measure::ALL {
                assert_eq!(sum.tally(m), stratified.all.tally(m), "{m:?}");
            }
        }
    }
    assert_eq!(a.region.all.cases, 8);
    assert_eq!(a.centres[&id("other")].all.cases, 2);
    assert_eq!(a.centres[&id("pci")].all.cases, 2);
    assert_eq!(a.centres[&id("h")].all.cases, 4);
    let stemi_deaths = a
        .region
        .condition(Emergency::Stemi)
        .tally(Measure::Mortality);
    assert_eq!(counts(stemi_deaths), (4, 4, 2));
    let village_stemi =
        &a.region.by_condition_and_contact[&(Emergency::Stemi, ContactPoint::VillageClinic)];
    assert_eq!(counts(village_stemi.tally(Measure::Mortality)), (1, 1, 1));
    assert_eq!(a.of(Some(&id("nowhere"))), Stratified::default());
    assert_eq!(a.of(None), a.region);
}

#[test]
fn a_case_sent_on_stays_credited_to_its_first_destination() {
    let mut bridged = case(
        1,
        Emergency::Stemi,
        ContactPoint::Township,
        "tc",
        Treatment::Thrombolysis,
    );
    bridged.decision.then = Some(Step {
        institution: id("pci"),
        travel_minutes: 60,
        treatment: Treatment::Pci,
    });
    bridged.clock.door = Some(at(10));
    bridged.clock.treatment = Some(at(30));
    bridged.treated_with = Some(Treatment::Thrombolysis);
    bridged.transfer_out = Some(TransferOut {
        to: id("pci"),
        at: at(130),
    });
    bridged.outcome = Some(Outcome::Died);
    let a = accreditation(&[bridged], &w());
    assert!(!a.centres.contains_key(&id("pci")));
    let f = &a.centres[&id("tc")].all;
    assert_eq!(counts(f.tally(Measure::LateTransfer)), (1, 1, 1));
    assert_eq!(counts(f.tally(Measure::Mortality)), (1, 1, 1));
    assert_eq!(counts(f.tally(Measure::DoorToBalloon)), (0, 0, 0));
    assert_eq!(f.minutes(Interval::ContactToTreatment), [30]);
    // Stabilising before a transfer is no definitive treatment.
    let mut trauma = case(
        2,
        Emergency::MajorTrauma,
        ContactPoint::Township,
        "h",
        Treatment::Stabilise,
    );
    trauma.clock.door = Some(at(20));
    trauma.clock.treatment = Some(at(40));
    trauma.treated_with = Some(Treatment::Stabilise);
    let f = accreditation(&[trauma], &w()).region.all;
    assert!(f.minutes(Interval::ContactToTreatment).is_empty());
}

#[test]
fn the_period_is_by_the_local_date_of_first_contact() {
    // 02:00 UTC on 1 March is 10:00 in China; 20:00 UTC the day before is
    // already 1 March there.
    let c = full_stemi(1);
    assert!(in_period(&c, date!(2026 - 03 - 01), date!(2026 - 03 - 01)));
    assert!(!in_period(&c, date!(2026 - 03 - 02), date!(2026 - 03 - 31)));
    let mut evening = full_stemi(2);
    evening.clock.first_contact = datetime!(2026-02-28 20:00 UTC);
    assert!(in_period(
        &evening,
        date!(2026 - 03 - 01),
        date!(2026 - 03 - 31)
    ));
    assert!(!in_period(
        &evening,
        date!(2026 - 02 - 01),
        date!(2026 - 02 - 28)
    ));
}

#[test]
fn every_measure_is_defined_once_with_its_populations() {
    let mut codes: Vec<&str> = EMERGENCY_MEASURES.iter().map(|m| m.code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), EMERGENCY_MEASURES.len());
    let f = accreditation(&[full_stemi(1)], &w()).region.all;
    for m in EMERGENCY_MEASURES {
        assert_eq!(emergency_measure(m.code).map(|x| x.code), Some(m.code));
        assert_eq!(m.populations.len(), 2, "{}", m.code);
        let proportion = m.code.ends_with("-10")
            || m.code.ends_with("-90")
            || m.code.ends_with("-60")
            || [
                "emergency-direct",
                "emergency-late-transfer",
                "emergency-mortality-30d",
            ]
            .contains(&m.code);
        assert_eq!(
            initial_population(m.code).is_some(),
            proportion,
            "{}",
            m.code
        );
    }
    let ecg = emergency_measure("emergency-fmc-ecg-10").map(|m| (m.value)(&f));
    assert_eq!(ecg, Some(Some(1.0)));
    let median = emergency_measure("emergency-door-to-balloon-median").map(|m| (m.value)(&f));
    assert_eq!(median, Some(Some(70.0)));
    assert!(emergency_measure("emergency-nothing").is_none());
}
