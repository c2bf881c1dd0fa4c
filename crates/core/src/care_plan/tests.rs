//! Care plans: drawn up by the hospital, checked against the receiver's
//! medicines, decided by the patient, followed up by the family doctor.

use super::*;
use crate::referral::{Attachments, NewReferral, Priority, Setting};
use crate::{Level, MedicinesListId, Specialty};
use time::macros::{date, datetime};

fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

fn person(name: &str, role: UserRole, institution: &str) -> Actor {
    Actor {
        username: name.into(),
        role,
        institution: Some(id(institution)),
        practitioner: Some(id(&format!("pr-{name}"))),
        resident: None,
    }
}

fn specialist() -> Actor {
    person("spec", UserRole::Doctor, "h1")
}
fn family_doctor() -> Actor {
    person("fd", UserRole::Doctor, "tc1")
}
fn patient() -> Actor {
    Actor {
        username: "res".into(),
        role: UserRole::Resident,
        institution: None,
        practitioner: None,
        resident: Some(id("res-1")),
    }
}

const NOW: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);

fn down_referral() -> Referral {
    let new = NewReferral {
        id: id("ref-down"),
        patient: id("res-1"),
        from: id("h1"),
        from_level: Level::Secondary,
        to: id("tc1"),
        to_level: Level::Primary,
        specialty: Specialty::GeneralPractice,
        setting: Setting::Outpatient,
        priority: Priority::Routine,
        condition: id("I21"),
        summary: "After PCI for NSTEMI; stable for follow-up.".into(),
        attachments: Attachments::default(),
    };
    Referral::request(new, &specialist(), NOW).unwrap().0
}

fn medicine(code: &str, name: &str) -> MedicineUse {
    MedicineUse {
        medicine: id(code),
        name: name.into(),
        dosage: "once a day".into(),
    }
}

fn list() -> EssentialMedicines {
    EssentialMedicines {
        id: MedicinesListId::new("eml-tc1").unwrap(),
        institution: id("tc1"),
        medicines: [
            (id("B01AC06"), "aspirin".to_string()),
            (id("C10AA05"), "atorvastatin".to_string()),
        ]
        .into(),
    }
}

fn plan() -> NewCarePlan {
    NewCarePlan {
        description: "Dual antiplatelet for 12 months; cardiac rehab.".into(),
        targets: vec![Target {
            measure: "LDL cholesterol".into(),
            goal: "below 1.8 mmol/L".into(),
        }],
        medicines: vec![
            medicine("B01AC06", "aspirin"),
            medicine("B01AC24", "ticagrelor"),
            medicine("C10AA05", "atorvastatin"),
        ],
        follow_ups: vec![
            PlannedFollowUp {
                due: date!(2027 - 01 - 20),
                description: "Lipids and liver function".into(),
            },
            PlannedFollowUp {
                due: date!(2026 - 12 - 07),
                description: "Two-week review: BP, heart rate, bleeding".into(),
            },
        ],
    }
}

#[test]
fn medicines_missing_from_the_receivers_list_are_flagged() {
    let r = down_referral();
    let (p, follow_ups, e) =
        CarePlan::draw_up(plan(), &r, Some(&list()), &specialist(), NOW).unwrap();
    assert_eq!(p.id.as_str(), "cp-ref-down");
    let missing: Vec<&str> = p
        .missing_medicines()
        .map(|m| m.medicine.name.as_str())
        .collect();
    assert_eq!(missing, ["ticagrelor"]);
    match e.change {
        PlanChange::DrawnUp { missing, .. } => {
            assert_eq!(missing, vec![id::<MedicineCode>("B01AC24")])
        }
        other => panic!("{other:?}"),
    }
    // Follow-ups in date order, owned by the receiver.
    assert_eq!(follow_ups.len(), 2);
    assert_eq!(follow_ups[0].due, date!(2026 - 12 - 07));
    assert_eq!(follow_ups[0].id.as_str(), "cp-ref-down-1");
    assert!(follow_ups.iter().all(|f| f.owner.as_str() == "tc1"));
    // No list at all: nothing can be assumed to be stocked.
    let (p, _, _) = CarePlan::draw_up(plan(), &r, None, &specialist(), NOW).unwrap();
    assert_eq!(p.missing_medicines().count(), 3);
}

#[test]
fn only_the_hospitals_doctor_draws_up_a_plan_for_an_open_downward_referral() {
    let r = down_referral();
    assert!(CarePlan::draw_up(plan(), &r, None, &family_doctor(), NOW).is_err());
    let mut coordinator = specialist();
    coordinator.role = UserRole::Coordinator;
    assert!(CarePlan::draw_up(plan(), &r, None, &coordinator, NOW).is_err());
    let mut past = plan();
    past.follow_ups[0].due = date!(2026 - 11 - 01);
    assert!(CarePlan::draw_up(past, &r, None, &specialist(), NOW).is_err());
    let mut none = plan();
    none.follow_ups.clear();
    assert!(CarePlan::draw_up(none, &r, None, &specialist(), NOW).is_err());
    let mut up = r.clone();
    std::mem::swap(&mut up.from_level, &mut up.to_level);
    assert!(CarePlan::draw_up(plan(), &up, None, &specialist(), NOW).is_err());
}

#[test]
fn a_refusal_revokes_the_plan_and_ends_the_downward_referral() {
    let mut r = down_referral();
    let (mut p, mut follow_ups, _) =
        CarePlan::draw_up(plan(), &r, None, &specialist(), NOW).unwrap();
    // Someone unrelated cannot decide for the patient.
    assert!(
        p.decide(false, "".into(), &person("x", UserRole::Doctor, "h2"), NOW)
            .is_err()
    );
    let e = p
        .decide(
            false,
            "wants to stay near the hospital".into(),
            &patient(),
            NOW,
        )
        .unwrap();
    assert_eq!(e.kind(), "care-plan.refused.v1");
    assert_eq!(p.status, PlanStatus::Revoked);
    assert!(p.decide(true, "".into(), &patient(), NOW).is_err());
    assert!(follow_ups.iter_mut().all(FollowUp::cancel));
    let e = r
        .refused_by_patient("wants to stay near the hospital".into(), "res", NOW)
        .unwrap();
    assert_eq!(e.kind(), "referral.patient-refused.v1");
    assert_eq!(r.state.code(), "cancelled");
    assert!(r.refused_by_patient("again".into(), "res", NOW).is_err());
}

#[test]
fn follow_ups_are_done_by_the_receivers_doctors_and_settle_the_plan() {
    let r = down_referral();
    let (mut p, mut follow_ups, _) =
        CarePlan::draw_up(plan(), &r, None, &specialist(), NOW).unwrap();
    p.decide(true, String::new(), &family_doctor(), NOW)
        .unwrap();
    assert!(
        follow_ups[0]
            .complete("".into(), &specialist(), NOW)
            .is_err()
    );
    let late = datetime!(2026-12-09 10:00 UTC);
    assert!(follow_ups[0].overdue(late.date()));
    let e = follow_ups[0]
        .complete("BP 128/76".into(), &family_doctor(), late)
        .unwrap();
    assert!(matches!(
        e.change,
        PlanChange::FollowUpDone { on_time: false, .. }
    ));
    assert!(!follow_ups[0].overdue(late.date()));
    assert!(
        follow_ups[0]
            .complete("again".into(), &family_doctor(), late)
            .is_err()
    );
    assert!(p.settle(&follow_ups, &family_doctor(), late).is_none());
    follow_ups[1]
        .complete("LDL 1.6".into(), &family_doctor(), late)
        .unwrap();
    let e = p.settle(&follow_ups, &family_doctor(), late).unwrap();
    assert_eq!(e.kind(), "care-plan.completed.v1");
    assert_eq!(p.status, PlanStatus::Completed);
}
