//! The rules for reserved slots, holds and bed pools.

use super::*;
use proptest::prelude::*;
use time::macros::datetime;

fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

/// A reserved cardiology slot on Monday 2026-11-30 at 09:00.
fn slot(reserved: bool) -> Slot {
    let start = datetime!(2026-11-30 09:00 UTC);
    Slot {
        id: id("s1"),
        schedule: id("sch1"),
        institution: id("h1"),
        specialty: Specialty::Cardiology,
        start,
        end: start + Duration::minutes(15),
        reserved,
        status: SlotStatus::Free,
    }
}

fn referral<'a>(r: &'a ReferralId, from_level: Level, priority: Priority) -> Claimant<'a> {
    Claimant::Referral {
        referral: r,
        from_level,
        priority,
    }
}

#[test]
fn reserved_slots_are_for_primary_referrals_until_released() {
    let policy = Policy::demo();
    let s = slot(true);
    let r: ReferralId = id("r1");
    let week_before = s.start - Duration::days(7);
    assert!(matches!(
        s.open_to(Claimant::Public, &policy, week_before),
        Err(BookingError::ReservedForReferrals { .. })
    ));
    assert_eq!(
        s.open_to(
            referral(&r, Level::Primary, Priority::Routine),
            &policy,
            week_before
        ),
        Ok(())
    );
    // A hospital's own referral is not what the reservation is for.
    assert!(
        s.open_to(
            referral(&r, Level::Secondary, Priority::Urgent),
            &policy,
            week_before
        )
        .is_err()
    );
    // Released: open to everyone.
    let released = s.released_at(&policy);
    assert_eq!(s.open_to(Claimant::Public, &policy, released), Ok(()));
    // A public slot is open to all at any time before it starts.
    assert_eq!(
        slot(false).open_to(Claimant::Public, &policy, week_before),
        Ok(())
    );
    assert_eq!(
        slot(false).open_to(Claimant::Public, &policy, s.start),
        Err(BookingError::InThePast)
    );
}

#[test]
fn near_term_reserved_slots_are_kept_for_urgent_referrals() {
    let policy = Policy::demo();
    let s = slot(true);
    let r: ReferralId = id("r1");
    let inside = s.start - Duration::hours(i64::from(policy.urgent_window_hours) - 1);
    assert!(
        inside < s.released_at(&policy),
        "window must reach before release"
    );
    assert_eq!(
        s.open_to(
            referral(&r, Level::Primary, Priority::Routine),
            &policy,
            inside
        ),
        Err(BookingError::KeptForUrgent)
    );
    assert_eq!(
        s.open_to(
            referral(&r, Level::Primary, Priority::Urgent),
            &policy,
            inside
        ),
        Ok(())
    );
}

#[test]
fn a_hold_keeps_others_out_and_lapses_by_itself() {
    let policy = Policy::demo();
    let mut s = slot(false);
    let now = s.start - Duration::days(3);
    let until = s.hold("doctor-a", Claimant::Public, &policy, now).unwrap();
    assert_eq!(until, now + policy.hold());
    let before = s.clone();
    assert!(matches!(
        s.book(
            "doctor-b",
            id("a2"),
            Claimant::Public,
            &policy,
            now + Duration::minutes(1)
        ),
        Err(BookingError::HeldByOther { .. })
    ));
    assert_eq!(s, before, "a refused booking changes nothing");
    // The holder books within the hold.
    let mut held = s.clone();
    held.book(
        "doctor-a",
        id("a1"),
        Claimant::Public,
        &policy,
        now + Duration::minutes(2),
    )
    .unwrap();
    assert_eq!(
        held.status,
        SlotStatus::Booked {
            appointment: id("a1")
        }
    );
    // After it lapses the slot is free to anyone.
    assert_eq!(s.status_at(until), SlotStatus::Free);
    s.book("doctor-b", id("a2"), Claimant::Public, &policy, until)
        .unwrap();
    assert_eq!(
        s.book("doctor-c", id("a3"), Claimant::Public, &policy, until),
        Err(BookingError::AlreadyBooked)
    );
    assert_eq!(s.release(), Ok(id("a2")));
    assert_eq!(s.status, SlotStatus::Free);
    assert_eq!(s.release(), Err(BookingError::NotBooked));
}

#[test]
fn a_session_reserves_the_policy_share_spread_through_the_day() {
    let policy = Policy::demo();
    let schedule: ScheduleId = id("h1-cardiology");
    let institution: InstitutionId = id("h1");
    let plan = SessionPlan {
        schedule: &schedule,
        institution: &institution,
        specialty: Specialty::Cardiology,
        start: datetime!(2026-11-30 08:00 UTC),
        slot_minutes: 15,
        slots: 20,
    };
    let slots = plan.slots(&policy);
    assert_eq!(slots.len(), 20);
    let reserved: Vec<usize> = (0..20).filter(|&i| slots[i].reserved).collect();
    assert_eq!(reserved.len() as u32, policy.reserved_of(20));
    // Not bunched at one end.
    assert!(
        reserved.first() < Some(&10) && reserved.last() >= Some(&10),
        "{reserved:?}"
    );
    let ids: std::collections::BTreeSet<_> = slots.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids.len(), 20, "slot ids are unique");
    assert_eq!(slots[1].start, slots[0].end);
}

fn pool(beds: u32, reserved: u32) -> BedPool {
    BedPool {
        id: id("h1-cardiology-beds"),
        institution: id("h1"),
        specialty: Specialty::Cardiology,
        beds,
        reserved,
        occupied: 0,
        reserved_occupied: 0,
    }
}

#[test]
fn referrals_take_reserved_beds_first_the_public_never() {
    let r: ReferralId = id("r1");
    let up = referral(&r, Level::Primary, Priority::Routine);
    let mut p = pool(3, 1);
    assert_eq!(p.admit(up), Ok(BedKind::Reserved));
    assert_eq!(p.admit(up), Ok(BedKind::General));
    assert_eq!(p.admit(Claimant::Public), Ok(BedKind::General));
    assert_eq!(p.admit(Claimant::Public), Err(BookingError::NoBedFree));
    assert_eq!(p.admit(up), Err(BookingError::NoReservedBedFree));
    p.discharge(BedKind::Reserved);
    assert_eq!(p.admit(Claimant::Public), Err(BookingError::NoBedFree));
    assert_eq!(p.admit(up), Ok(BedKind::Reserved));
}

proptest! {
    /// Whatever sequence of admissions and discharges, no pool is ever
    /// over-filled and the reserved beds only go to referrals.
    #[test]
    fn a_bed_pool_is_never_overfilled(
        beds in 0u32..8,
        reserved in 0u32..8,
        steps in proptest::collection::vec((0u8..3, any::<bool>()), 0..60),
    ) {
        let reserved = reserved.min(beds);
        let r: ReferralId = id("r1");
        let mut p = pool(beds, reserved);
        let mut taken: Vec<BedKind> = Vec::new();
        for (op, primary) in steps {
            let claimant = if primary {
                referral(&r, Level::Primary, Priority::Routine)
            } else {
                Claimant::Public
            };
            match op {
                0 | 1 => {
                    let before = p.clone();
                    match p.admit(claimant) {
                        Ok(kind) => {
                            prop_assert!(primary || kind == BedKind::General);
                            taken.push(kind);
                        }
                        Err(_) => prop_assert_eq!(&p, &before),
                    }
                }
                _ => {
                    if let Some(kind) = taken.pop() {
                        p.discharge(kind);
                    }
                }
            }
            prop_assert!(p.occupied + p.reserved_occupied <= beds);
            prop_assert!(p.reserved_occupied <= reserved);
            prop_assert_eq!((p.occupied + p.reserved_occupied) as usize, taken.len());
        }
    }
}
