//! Booking reserved capacity through the referral service: under any
//! concurrency a slot goes to exactly one referral, and the rules of the
//! core (who may book, which slots are open) hold on the real store.

use crate::helpers::{TestApp, spawn_app};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tiercare_core::access::Actor;
use tiercare_core::booking::{SessionPlan, Slot, SlotStatus};
use tiercare_core::referral::{NewReferral, Priority, ReferralState, Setting};
use tiercare_core::{InstitutionId, Level, Record, ScheduleId, Specialty};
use tiercare_service::ServiceError;
use tiercare_service::referrals::{Referrals, new_referral_id};
use tiercare_store::{Expect, Write};
use time::{Duration, OffsetDateTime};

const HOSPITAL: &str = "zx-h1";

fn actor_of(app: &TestApp, username: &str) -> Actor {
    let u = app.user(username);
    Actor {
        username: u.username.clone(),
        role: u.role,
        institution: u.institution.clone(),
        practitioner: u.practitioner.clone(),
        resident: u.resident.clone(),
    }
}

/// Opens `slots` cardiology slots at the hospital from tomorrow, none
/// reserved (so any referral may take them at any time), and stores them.
async fn open_slots(app: &TestApp, slots: u32, reserved_percent: u32) -> Vec<Slot> {
    let schedule: ScheduleId = "zx-h1-cardiology".parse().unwrap();
    let institution: InstitutionId = HOSPITAL.parse().unwrap();
    let mut policy = (*app.state.ctx.policy).clone();
    policy.reserved_slot_percent = reserved_percent;
    let plan = SessionPlan {
        schedule: &schedule,
        institution: &institution,
        specialty: Specialty::Cardiology,
        start: OffsetDateTime::now_utc() + Duration::days(7),
        slot_minutes: 10,
        slots,
    };
    let made = plan.slots(&policy);
    let writes = made
        .iter()
        .map(|s| Write {
            index: tiercare_fhir::index(&Record::Slot(s.clone())),
            record: Record::Slot(s.clone()),
            expect: Expect::New,
            actor: "admin".into(),
            events: vec![],
            facts: Vec::new(),
        })
        .collect();
    app.state
        .ctx
        .store
        .write_all(writes, vec![])
        .await
        .expect("slots stored");
    made
}

/// `n` upward referrals from the demo family doctor to the hospital.
pub(crate) async fn referrals(app: &TestApp, n: usize, priority: Priority) -> Vec<String> {
    let doctor = actor_of(app, "doctor");
    // Patients the doctor cares for: contracted to their team.
    let patients = app.team_patients();
    let mut ids = Vec::new();
    for i in 0..n {
        let new = NewReferral {
            id: new_referral_id().unwrap(),
            patient: patients[i % patients.len()].clone(),
            from: doctor.institution.clone().unwrap(),
            from_level: Level::Primary,
            to: HOSPITAL.parse().unwrap(),
            to_level: Level::Secondary,
            specialty: Specialty::Cardiology,
            setting: Setting::Outpatient,
            priority,
            condition: "I20".parse().unwrap(),
            summary: format!("Exertional chest pain, case {i}."),
            attachments: Default::default(),
        };
        let (made, created) = Referrals::new(&app.state.ctx, &doctor)
            .request(new)
            .await
            .expect("referral requested");
        assert!(created);
        assert_eq!(made.version, 1);
        ids.push(made.value.id.to_string());
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_bookings_at_twenty_slots_give_twenty() {
    let app = Arc::new(spawn_app().await);
    let slots = open_slots(&app, 20, 0).await;
    let refs = referrals(&app, 200, Priority::Routine).await;
    let coordinator = actor_of(&app, "coordinator");
    assert_eq!(
        coordinator.institution.as_ref().map(|i| i.as_str()),
        Some(HOSPITAL)
    );

    // Every referral goes for one slot; ten compete for each.
    let mut tasks = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let app = app.clone();
        let who = coordinator.clone();
        let r = r.clone();
        let slot = slots[i % slots.len()].id.to_string();
        tasks.push(tokio::spawn(async move {
            let result = Referrals::new(&app.state.ctx, &who)
                .book_slot(&r, &slot, None)
                .await;
            (r, slot, result.map(|_| ()))
        }));
    }
    let mut won: BTreeMap<String, String> = BTreeMap::new();
    let mut conflicts = 0;
    for t in tasks {
        let (r, slot, result) = t.await.expect("task");
        match result {
            Ok(()) => {
                assert!(won.insert(slot.clone(), r).is_none(), "{slot} booked twice");
            }
            Err(ServiceError::Conflict(_)) => conflicts += 1,
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    assert_eq!(won.len(), 20, "exactly one booking per slot");
    assert_eq!(conflicts, 180);

    // The store agrees: each slot booked once, for the referral that won
    // it, with the same appointment on both sides.
    let mut appointments = BTreeSet::new();
    for s in &slots {
        let stored = app
            .state
            .ctx
            .store
            .get("Slot", s.id.as_str())
            .await
            .unwrap()
            .unwrap();
        let Record::Slot(slot) = stored.record else {
            panic!("not a slot")
        };
        let SlotStatus::Booked { appointment } = &slot.status else {
            panic!("{} not booked: {:?}", s.id, slot.status)
        };
        assert_eq!(stored.version, 2, "written exactly once after creation");
        assert!(appointments.insert(appointment.clone()));
        let winner = &won[s.id.as_str()];
        let r = app
            .state
            .ctx
            .store
            .get("ServiceRequest", winner)
            .await
            .unwrap()
            .unwrap();
        let Record::Referral(r) = r.record else {
            panic!("not a referral")
        };
        match &r.state {
            ReferralState::Booked { booking } => {
                assert_eq!(booking.start(), slot.start);
                assert_eq!(
                    booking,
                    &tiercare_core::referral::Booking::Slot {
                        slot: slot.id.clone(),
                        appointment: appointment.clone(),
                        start: slot.start
                    }
                );
            }
            other => panic!("{winner} is {other:?}"),
        }
    }
    // The losers are untouched and still waiting for a slot.
    let mut waiting = 0;
    for r in &refs {
        let stored = app
            .state
            .ctx
            .store
            .get("ServiceRequest", r)
            .await
            .unwrap()
            .unwrap();
        if stored.version == 1 {
            let Record::Referral(r) = stored.record else {
                panic!()
            };
            assert_eq!(r.state, ReferralState::Requested);
            waiting += 1;
        }
    }
    assert_eq!(waiting, 180);
    // One booking event per success, in the same transactions.
    let booked_events = app
        .state
        .ctx
        .store
        .events_after(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "referral.booked.v1")
        .count();
    assert_eq!(booked_events, 20);
}

#[tokio::test]
async fn reserved_slots_follow_the_rules_and_the_sides() {
    let app = spawn_app().await;
    // All reserved: open only to referrals from primary care.
    let slots = open_slots(&app, 2, 100).await;
    assert!(slots.iter().all(|s| s.reserved));
    let refs = referrals(&app, 2, Priority::Routine).await;
    let doctor = actor_of(&app, "doctor");
    let analyst = actor_of(&app, "analyst");
    let service = |who| Referrals::new(&app.state.ctx, who);

    // An analyst is not on either side.
    match service(&analyst)
        .book_slot(&refs[0], slots[0].id.as_str(), None)
        .await
    {
        // Who may not even see the referral is answered as for a
        // referral that does not exist.
        Err(ServiceError::NotFound(m)) => assert!(m.contains("does not exist"), "{m}"),
        other => panic!("analyst booked: {other:?}"),
    }
    // The family doctor books the reserved slot directly ("book now").
    let (r, s) = service(&doctor)
        .book_slot(&refs[0], slots[0].id.as_str(), None)
        .await
        .expect("family doctor books a reserved slot");
    assert_eq!(r.value.state.code(), "booked");
    assert!(matches!(s.value.status, SlotStatus::Booked { .. }));
    // Booking again is an illegal transition: 409, nothing changes.
    match service(&doctor)
        .book_slot(&refs[0], slots[1].id.as_str(), None)
        .await
    {
        Err(ServiceError::Conflict(m)) => assert!(m.contains("booked"), "{m}"),
        other => panic!("booked twice: {other:?}"),
    }
    let still = app
        .state
        .ctx
        .store
        .get("Slot", slots[1].id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.version, 1);
    // A slot of another department is refused by name.
    let mut other = slots[1].clone();
    other.id = "zx-h1-other-slot".parse().unwrap();
    other.specialty = Specialty::Neurology;
    app.state
        .ctx
        .store
        .write_all(
            vec![Write {
                index: tiercare_fhir::index(&Record::Slot(other.clone())),
                record: Record::Slot(other),
                expect: Expect::New,
                actor: "admin".into(),
                events: vec![],
                facts: Vec::new(),
            }],
            vec![],
        )
        .await
        .unwrap();
    match service(&doctor)
        .book_slot(&refs[1], "zx-h1-other-slot", None)
        .await
    {
        Err(ServiceError::Rule { message, .. }) => {
            assert!(message.contains("neurology"), "{message}")
        }
        other => panic!("wrong department booked: {other:?}"),
    }
    // Every attempt on the patient's referral is in the audit trail.
    let (entries, _) = app
        .state
        .ctx
        .store
        .audit_search(&tiercare_store::AuditQuery {
            count: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let on_referrals: Vec<_> = entries
        .iter()
        .filter(|e| e.resource_type == "ServiceRequest")
        .collect();
    assert!(on_referrals.iter().any(|e| e.action == "book"
        && e.username == "analyst"
        && e.outcome == tiercare_store::AuditOutcome::Denied));
    assert!(on_referrals.iter().any(|e| e.action == "book"
        && e.username == "doctor"
        && e.outcome == tiercare_store::AuditOutcome::Success));
}
