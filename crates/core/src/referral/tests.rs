//! The referral loop: the whole walk, the transition table, who may act,
//! deadlines, and a property test that refused actions change nothing.

use super::*;
use proptest::prelude::*;
use time::macros::datetime;

fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

fn actor(username: &str, role: UserRole, institution: &str) -> Actor {
    Actor {
        username: username.into(),
        role,
        institution: Some(id(institution)),
        practitioner: Some(id(&format!("pr-{username}"))),
        resident: None,
    }
}

/// The family doctor at township centre tc1, the coordinator and a
/// specialist at county hospital h1, a coordinator at h2.
fn family_doctor() -> Actor {
    actor("fd", UserRole::Doctor, "tc1")
}
fn coordinator() -> Actor {
    actor("coord", UserRole::Coordinator, "h1")
}
fn specialist() -> Actor {
    actor("spec", UserRole::Doctor, "h1")
}
fn other_hospital() -> Actor {
    actor("other", UserRole::Coordinator, "h2")
}

/// Monday 2026-11-23, 09:00.
const MONDAY: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);

fn new_referral(priority: Priority, setting: Setting) -> NewReferral {
    NewReferral {
        id: id("ref-1"),
        patient: id("res-000001"),
        from: id("tc1"),
        from_level: Level::Primary,
        to: id("h1"),
        to_level: Level::Secondary,
        specialty: Specialty::Cardiology,
        setting,
        priority,
        condition: id("I20"),
        summary: "Exertional chest pain for three weeks; ECG attached.".into(),
        attachments: Default::default(),
    }
}

fn requested(priority: Priority) -> Referral {
    Referral::request(
        new_referral(priority, Setting::Outpatient),
        &family_doctor(),
        MONDAY,
    )
    .unwrap()
    .0
}

fn slot_booking(start: OffsetDateTime) -> Booking {
    Booking::Slot {
        slot: id("h1-cardiology-202611250900"),
        appointment: id("appt-1"),
        start,
    }
}

fn report() -> Report {
    Report {
        summary: "Stable angina; started on a beta blocker.".into(),
        diagnosis: Some(id("I20.8")),
        recommendation: "Follow up blood pressure and heart rate monthly.".into(),
    }
}

#[test]
fn the_whole_loop_up_and_closed() {
    let (mut r, event) = Referral::request(
        new_referral(Priority::Routine, Setting::Outpatient),
        &family_doctor(),
        MONDAY,
    )
    .unwrap();
    assert_eq!(event.kind(), "referral.requested.v1");
    assert_eq!(r.direction(), Direction::Upward);
    assert_eq!(r.requester, id::<PractitionerId>("pr-fd"));
    assert_eq!(r.awaiting(), Some(Side::Receiver));

    let e = r
        .accept(&coordinator(), MONDAY + Duration::hours(2))
        .unwrap();
    assert_eq!(e.kind(), "referral.accepted.v1");
    assert_eq!(r.state, ReferralState::Accepted);

    let start = MONDAY + Duration::days(2);
    let e = r
        .book(
            slot_booking(start),
            &coordinator(),
            MONDAY + Duration::hours(3),
        )
        .unwrap();
    assert_eq!(
        e.change,
        Change::Booked {
            booking: slot_booking(start),
            rebooked: false,
        }
    );

    r.arrive(&specialist(), start).unwrap();
    r.complete(None, &specialist(), start + Duration::hours(1))
        .unwrap();
    assert_eq!(
        r.awaiting(),
        Some(Side::Receiver),
        "the report is still owed"
    );
    assert_eq!(r.allowed_actions(&family_doctor()), vec![]);
    let e = r
        .report(report(), &specialist(), start + Duration::hours(5))
        .unwrap();
    assert_eq!(e.kind(), "referral.reported.v1");
    assert_eq!(r.allowed_actions(&family_doctor()), vec![Action::Close]);
    r.close(&family_doctor(), start + Duration::days(1))
        .unwrap();
    assert_eq!(r.state, ReferralState::Closed);
    assert_eq!(r.awaiting(), None);
    assert!(r.allowed_actions(&family_doctor()).is_empty());
    assert!(r.allowed_actions(&coordinator()).is_empty());
}

#[test]
fn a_family_doctor_books_a_reserved_slot_directly() {
    let mut r = requested(Priority::Routine);
    assert!(r.allowed_actions(&family_doctor()).contains(&Action::Book));
    assert!(
        !r.allowed_actions(&family_doctor())
            .contains(&Action::Accept)
    );
    r.book(
        slot_booking(MONDAY + Duration::days(3)),
        &family_doctor(),
        MONDAY,
    )
    .unwrap();
    assert_eq!(r.state.code(), "booked");
}

#[test]
fn a_downward_referral_goes_the_other_way() {
    let mut new = new_referral(Priority::Routine, Setting::Outpatient);
    new.from = id("h1");
    new.from_level = Level::Secondary;
    new.to = id("tc1");
    new.to_level = Level::Primary;
    let (r, _) = Referral::request(new, &specialist(), MONDAY).unwrap();
    assert_eq!(r.direction(), Direction::Downward);
    // Now the family doctor is on the receiving side.
    assert!(
        r.allowed_actions(&family_doctor())
            .contains(&Action::Accept)
    );
    assert_eq!(
        r.allowed_actions(&specialist()),
        vec![Action::Book, Action::Cancel]
    );
}

#[test]
fn only_a_doctor_of_the_referring_institution_may_request() {
    let new = || new_referral(Priority::Routine, Setting::Outpatient);
    assert!(matches!(
        Referral::request(new(), &specialist(), MONDAY),
        Err(ReferralError::WrongSide { .. })
    ));
    let analyst = actor("an", UserRole::Analyst, "tc1");
    assert_eq!(
        Referral::request(new(), &analyst, MONDAY).unwrap_err(),
        ReferralError::Role("analyst")
    );
    let mut to_self = new();
    to_self.to = id("tc1");
    assert!(matches!(
        Referral::request(to_self, &family_doctor(), MONDAY),
        Err(ReferralError::Invalid {
            field: "performer",
            ..
        })
    ));
    let mut empty = new();
    empty.summary = "  ".into();
    assert!(matches!(
        Referral::request(empty, &family_doctor(), MONDAY),
        Err(ReferralError::Invalid {
            field: "summary",
            ..
        })
    ));
}

#[test]
fn triage_decisions_need_their_reasons() {
    let mut r = requested(Priority::Routine);
    let before = r.clone();
    assert!(matches!(
        r.return_with_advice(" ".into(), &coordinator(), MONDAY),
        Err(ReferralError::Invalid {
            field: "advice",
            ..
        })
    ));
    assert!(matches!(
        r.decline(DeclineReason::Other, String::new(), &coordinator(), MONDAY),
        Err(ReferralError::Invalid {
            field: "comment",
            ..
        })
    ));
    assert_eq!(r, before, "refused actions change nothing");
    r.return_with_advice(
        "Try a beta blocker first; refer if pain persists.".into(),
        &coordinator(),
        MONDAY,
    )
    .unwrap();
    assert_eq!(r.awaiting(), Some(Side::Referrer));
    assert_eq!(r.allowed_actions(&family_doctor()), vec![Action::Close]);
}

#[test]
fn redirect_hands_the_referral_to_the_new_receiver() {
    let mut r = requested(Priority::Urgent);
    let e = r
        .redirect(
            id("h2"),
            Level::Tertiary,
            "Needs cath lab.".into(),
            &coordinator(),
            MONDAY,
        )
        .unwrap();
    assert_eq!(
        e.change,
        Change::Redirected {
            from: id("h1"),
            to: id("h2"),
            comment: "Needs cath lab.".into()
        }
    );
    assert_eq!(r.state, ReferralState::Requested);
    assert_eq!(r.to, id::<InstitutionId>("h2"));
    assert_eq!(r.to_level, Level::Tertiary);
    assert_eq!(r.redirected_from, vec![id::<InstitutionId>("h1")]);
    assert!(r.allowed_actions(&coordinator()).is_empty());
    assert!(
        r.allowed_actions(&other_hospital())
            .contains(&Action::Accept)
    );
    // Not back to where it came from, nor to the referrer.
    let mut again = r.clone();
    assert!(
        again
            .redirect(
                id("h2"),
                Level::Tertiary,
                String::new(),
                &other_hospital(),
                MONDAY
            )
            .is_err()
    );
    assert!(
        again
            .redirect(
                id("tc1"),
                Level::Primary,
                String::new(),
                &other_hospital(),
                MONDAY
            )
            .is_err()
    );
}

#[test]
fn cancelling_a_booked_referral_names_the_booking_to_release() {
    let mut r = requested(Priority::Routine);
    let booking = slot_booking(MONDAY + Duration::days(2));
    r.book(booking.clone(), &coordinator(), MONDAY).unwrap();
    assert!(matches!(
        r.cancel("x".into(), &coordinator(), MONDAY),
        Err(ReferralError::WrongSide {
            side: "referrer",
            ..
        })
    ));
    let e = r
        .cancel("Patient recovered.".into(), &family_doctor(), MONDAY)
        .unwrap();
    assert_eq!(
        e.change,
        Change::Cancelled {
            reason: "Patient recovered.".into(),
            released: Some(booking)
        }
    );
    assert!(r.allowed_actions(&family_doctor()).is_empty());
}

#[test]
fn inpatient_referrals_book_beds_and_outpatient_ones_slots() {
    let mut r = requested(Priority::Routine);
    let bed = Booking::Bed {
        pool: id("h1-cardiology-beds"),
        bed: BedKind::Reserved,
        from: MONDAY,
    };
    assert!(matches!(
        r.book(bed.clone(), &coordinator(), MONDAY),
        Err(ReferralError::Invalid {
            field: "booking",
            ..
        })
    ));
    let (mut inpatient, _) = Referral::request(
        new_referral(Priority::Urgent, Setting::Inpatient),
        &family_doctor(),
        MONDAY,
    )
    .unwrap();
    inpatient.book(bed, &coordinator(), MONDAY).unwrap();
}

#[test]
fn an_emergency_arrives_without_a_booking() {
    let mut routine = requested(Priority::Routine);
    assert!(matches!(
        routine.arrive(&coordinator(), MONDAY),
        Err(ReferralError::IllegalTransition { .. })
    ));
    let mut emergency = requested(Priority::Emergency);
    emergency.arrive(&coordinator(), MONDAY).unwrap();
    assert_eq!(emergency.state, ReferralState::Arrived { booking: None });
}

#[test]
fn a_booked_patient_arrives_from_the_booked_day_on() {
    let mut r = requested(Priority::Routine);
    let start = MONDAY + Duration::days(1) + Duration::hours(5);
    r.book(slot_booking(start), &coordinator(), MONDAY).unwrap();
    let before = r.clone();
    // Late on the day before: refused, naming the booked day.
    let eve = datetime!(2026-11-23 23:59 UTC);
    match r.arrive(&coordinator(), eve) {
        Err(e @ ReferralError::BeforeBookedDay { .. }) => {
            assert!(e.to_string().contains("2026-11-24"), "{e}");
        }
        other => panic!("arrival the day before: {other:?}"),
    }
    assert_eq!(r, before);
    // Early on the booked day, before the slot's hour, it is recorded.
    let mut on_the_day = r.clone();
    let e = on_the_day
        .apply(
            Command::Arrive { early: true },
            &coordinator(),
            datetime!(2026-11-24 00:01 UTC),
        )
        .unwrap();
    assert_eq!(on_the_day.state.code(), "arrived");
    assert!(
        matches!(e.change, Change::Arrived { early: false, .. }),
        "on the day is not early, whatever was confirmed"
    );
    // The day before, confirmed as early by the receiving side: recorded
    // as an early arrival.
    let e = r
        .apply(Command::Arrive { early: true }, &coordinator(), eve)
        .unwrap();
    assert_eq!(r.state.code(), "arrived");
    assert!(matches!(e.change, Change::Arrived { early: true, .. }));
}

#[test]
fn a_no_show_can_be_rebooked() {
    let mut r = requested(Priority::Routine);
    r.book(
        slot_booking(MONDAY + Duration::days(1)),
        &coordinator(),
        MONDAY,
    )
    .unwrap();
    r.no_show(&coordinator(), MONDAY + Duration::days(1))
        .unwrap();
    assert_eq!(r.awaiting(), Some(Side::Referrer));
    let e = r
        .book(
            slot_booking(MONDAY + Duration::days(8)),
            &family_doctor(),
            MONDAY + Duration::days(2),
        )
        .unwrap();
    assert_eq!(r.state.code(), "booked");
    assert!(
        matches!(e.change, Change::Booked { rebooked: true, .. }),
        "the indicators count the referral booked once"
    );
}

#[test]
fn deadlines_follow_the_policy_and_working_days() {
    let policy = Policy::demo();
    // Requested on Friday: triage due two working days later, on Tuesday.
    let friday = datetime!(2026-11-27 16:00 UTC);
    let (mut r, _) = Referral::request(
        new_referral(Priority::Routine, Setting::Outpatient),
        &family_doctor(),
        friday,
    )
    .unwrap();
    let due = r.due(&policy).unwrap();
    assert_eq!(due.step, Step::Triage);
    assert_eq!(due.by, datetime!(2026-12-01 16:00 UTC));
    assert_eq!(r.overdue(&policy, datetime!(2026-12-01 15:59 UTC)), None);
    assert_eq!(
        r.overdue(&policy, datetime!(2026-12-01 16:01 UTC)),
        Some(due)
    );

    let accepted_at = datetime!(2026-11-30 10:00 UTC);
    r.accept(&coordinator(), accepted_at).unwrap();
    let due = r.due(&policy).unwrap();
    assert_eq!(due.step, Step::Booking);
    assert_eq!(
        due.by,
        accepted_at + Duration::days(i64::from(policy.deadlines.book_days.routine))
    );
    let mut urgent = requested(Priority::Urgent);
    urgent.accept(&coordinator(), accepted_at).unwrap();
    assert!(
        urgent.due(&policy).unwrap().by < due.by,
        "urgent books sooner"
    );

    let start = datetime!(2026-12-02 09:00 UTC);
    r.book(slot_booking(start), &coordinator(), accepted_at)
        .unwrap();
    assert_eq!(r.due(&policy).unwrap().step, Step::Visit);
    r.arrive(&coordinator(), start).unwrap();
    assert_eq!(r.due(&policy), None, "a visit in progress has no deadline");
    r.complete(None, &specialist(), start).unwrap();
    assert_eq!(r.due(&policy).unwrap().step, Step::Report);
    r.report(report(), &specialist(), start).unwrap();
    assert_eq!(r.due(&policy), None);
}

#[test]
fn the_transition_table() {
    use ReferralState as S;
    let states = [
        S::Requested,
        S::Accepted,
        S::Booked {
            booking: slot_booking(MONDAY),
        },
        S::Arrived { booking: None },
        S::NoShow {
            booking: slot_booking(MONDAY),
        },
        S::Completed { report: None },
        S::Completed {
            report: Some(report()),
        },
        S::Closed,
        S::Declined {
            reason: DeclineReason::NoCapacity,
            comment: String::new(),
        },
        S::Returned { advice: "a".into() },
        S::Cancelled { reason: "c".into() },
    ];
    // The legal actions of each state, as written in the module docs.
    let expected: [&[&str]; 11] = [
        &[
            "accept",
            "book",
            "decline",
            "redirect",
            "return-with-advice",
            "cancel",
        ],
        &["book", "decline", "cancel"],
        &["cancel", "arrive", "no-show"],
        &["complete"],
        &["book", "close"],
        &["report"],
        &["close"],
        &[],
        &["close"],
        &["close"],
        &[],
    ];
    for (state, legal) in states.iter().zip(expected) {
        let mut r = requested(Priority::Routine);
        r.state = state.clone();
        let got: Vec<&str> = Action::ALL
            .iter()
            .filter(|a| r.legal(**a))
            .map(|a| a.code())
            .collect();
        assert_eq!(got, legal, "state {}", state.code());
    }
}

fn any_command() -> impl Strategy<Value = Command> {
    let start = MONDAY + Duration::days(2);
    prop_oneof![
        Just(Command::Accept),
        Just(Command::Book {
            booking: slot_booking(start)
        }),
        Just(Command::Book {
            booking: Booking::Bed {
                pool: id("p"),
                bed: BedKind::General,
                from: start
            }
        }),
        prop::sample::select(DeclineReason::ALL.to_vec()).prop_map(|reason| Command::Decline {
            reason,
            comment: String::new()
        }),
        prop::sample::select(vec!["h1", "h2", "h3", "tc1"]).prop_map(|to| Command::Redirect {
            to: id(to),
            to_level: Level::Tertiary,
            comment: String::new()
        }),
        prop::sample::select(vec!["", "Advice."])
            .prop_map(|a| Command::ReturnWithAdvice { advice: a.into() }),
        prop::sample::select(vec!["", "Recovered."])
            .prop_map(|r| Command::Cancel { reason: r.into() }),
        Just(Command::Arrive { early: false }),
        Just(Command::NoShow),
        prop::option::of(Just(report())).prop_map(|report| Command::Complete { report }),
        Just(Command::Report { report: report() }),
        Just(Command::Close),
    ]
}

fn actors() -> Vec<Actor> {
    vec![
        family_doctor(),
        coordinator(),
        specialist(),
        other_hospital(),
        actor("h3", UserRole::Coordinator, "h3"),
        actor("admin", UserRole::Admin, "h1"),
        actor("analyst", UserRole::Analyst, "h1"),
    ]
}

proptest! {
    /// Any sequence of commands by anyone: a refused command leaves the
    /// referral exactly as it was; an accepted one was among the actions
    /// offered to that user; an ended referral offers nothing to anyone.
    #[test]
    fn refused_actions_change_nothing(
        priority in prop::sample::select(Priority::ALL.to_vec()),
        steps in prop::collection::vec((0usize..7, any_command()), 1..40),
    ) {
        let people = actors();
        let mut r = requested(priority);
        let mut now = MONDAY;
        for (who, command) in steps {
            now += Duration::minutes(30);
            let by = &people[who];
            let offered = r.allowed_actions(by);
            let action = command.action();
            let before = r.clone();
            match r.apply(command, by, now) {
                Ok(event) => {
                    prop_assert!(offered.contains(&action), "{action} was not offered");
                    prop_assert_eq!(&event.referral, &r.id);
                    prop_assert_eq!(r.since, now);
                }
                // Offered, but refused for what it carries or when it
                // comes (an arrival before the booked day).
                Err(ReferralError::Invalid { .. } | ReferralError::BeforeBookedDay { .. }) => {
                    prop_assert!(offered.contains(&action));
                    prop_assert_eq!(&r, &before);
                }
                Err(_) => {
                    prop_assert!(!offered.contains(&action));
                    prop_assert_eq!(&r, &before);
                }
            }
            if r.awaiting().is_none() {
                for p in &people {
                    prop_assert!(r.allowed_actions(p).is_empty());
                }
            }
            // Admins and analysts never act on referrals.
            prop_assert!(r.allowed_actions(&people[5]).is_empty());
            prop_assert!(r.allowed_actions(&people[6]).is_empty());
        }
    }
}
