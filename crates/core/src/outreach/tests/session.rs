//! Sessions: scheduling inside the programme, the transitions, booking.

use super::*;
use crate::policy::Policy;

#[test]
fn a_session_outside_the_programme_is_refused_naming_the_field() {
    let mut p = programme();
    p.end = Some(date!(2026 - 04 - 30));
    let at = datetime!(2026-02-01 09:00 UTC);
    let try_at = |start: OffsetDateTime| {
        OutreachSession::schedule(&p, new_session("s1", "sp-a", start), at).map(|(s, _)| s)
    };
    // The programme starts on 1 March and ends on 30 April.
    assert_eq!(field(try_at(datetime!(2026-02-28 09:00 UTC))), "start");
    assert_eq!(field(try_at(datetime!(2026-05-01 09:00 UTC))), "start");
    assert!(try_at(datetime!(2026-03-01 09:00 UTC)).is_ok());
    assert!(try_at(datetime!(2026-04-30 09:00 UTC)).is_ok());
    // Starts on the last day but runs past midnight.
    assert_eq!(field(try_at(datetime!(2026-04-30 23:00 UTC))), "end");

    let start = datetime!(2026-03-10 09:00 UTC);
    let mut new = new_session("s1", "sp-z", start);
    assert_eq!(
        field(OutreachSession::schedule(&p, new.clone(), at)),
        "specialist"
    );
    new.specialist = id("sp-b");
    new.end = start;
    assert_eq!(field(OutreachSession::schedule(&p, new.clone(), at)), "end");
    new.end = start + Duration::minutes(30);
    new.slots = Some(0);
    assert_eq!(
        field(OutreachSession::schedule(&p, new.clone(), at)),
        "slots"
    );
    // 31 slots do not fit in 30 minutes; 30 do, one minute each.
    new.slots = Some(31);
    assert_eq!(
        field(OutreachSession::schedule(&p, new.clone(), at)),
        "slots"
    );
    new.slots = Some(30);
    let (s, _) = OutreachSession::schedule(&p, new, at).unwrap();
    assert_eq!(s.slots, 30);
    assert_eq!(s.status, SessionStatus::Scheduled);
}

#[test]
fn held_from_its_start_and_only_once() {
    let p = programme();
    let start = datetime!(2026-03-10 09:00 UTC);
    let mut s = scheduled(&p, "s1", "sp-a", start);
    assert_eq!(field(s.hold(10, 2, start - Duration::minutes(1))), "start");
    assert_eq!(field(s.hold(2, 3, start)), "referralsAvoided");
    assert_eq!(
        s.status,
        SessionStatus::Scheduled,
        "refusals change nothing"
    );
    let event = s.hold(10, 2, start).unwrap();
    assert_eq!(event.kind(), "outreach-session.held.v1");
    assert_eq!(
        s.status,
        SessionStatus::Held {
            patients_seen: 10,
            referrals_avoided: 2
        }
    );
    let later = start + Duration::hours(3);
    let illegal = |action, state| Err(OutreachError::IllegalTransition { action, state });
    assert_eq!(s.hold(1, 0, later), illegal("hold", "held"));
    assert_eq!(
        s.cancel(Side::Primary, "flu clinic".into(), later),
        illegal("cancel", "held")
    );
    assert_eq!(s.miss(later), illegal("miss", "held"));
}

#[test]
fn cancelled_before_its_end_with_a_reason_by_one_side() {
    let p = programme();
    let start = datetime!(2026-03-10 09:00 UTC);
    let end = start + Duration::hours(2);
    let mut s = scheduled(&p, "s1", "sp-a", start);
    assert_eq!(
        field(s.cancel(Side::Hospital, "  ".into(), start)),
        "cancelationReason"
    );
    assert_eq!(
        field(s.cancel(Side::Hospital, "surgery".into(), end)),
        "end"
    );
    // Still before the end: a late cancellation is a cancellation.
    let at = end - Duration::minutes(1);
    s.cancel(Side::Primary, "power cut at the centre".into(), at)
        .unwrap();
    assert_eq!(
        s.status,
        SessionStatus::Cancelled {
            by: Side::Primary,
            reason: "power cut at the centre".into(),
            at
        }
    );
    assert_eq!(
        s.hold(5, 0, at),
        Err(OutreachError::IllegalTransition {
            action: "hold",
            state: "cancelled"
        })
    );
}

#[test]
fn missed_only_once_it_is_over() {
    let p = programme();
    let start = datetime!(2026-03-10 09:00 UTC);
    let end = start + Duration::hours(2);
    let mut s = scheduled(&p, "s1", "sp-b", start);
    assert_eq!(field(s.miss(end - Duration::seconds(1))), "end");
    assert_eq!(s.miss(end).unwrap().kind(), "outreach-session.missed.v1");
    assert_eq!(s.status, SessionStatus::Missed);
    assert!(matches!(
        s.cancel(Side::Hospital, "too late".into(), end),
        Err(OutreachError::IllegalTransition {
            state: "missed",
            ..
        })
    ));
}

#[test]
fn a_session_opens_as_bookable_slots_at_the_primary_institution() {
    let p = programme();
    let start = datetime!(2026-03-10 09:00 UTC);
    let s = scheduled(&p, "s1", "sp-a", start);
    let mut policy = Policy::demo();
    policy.reserved_slot_percent = 25;
    let slots = s.slots(&p, &policy).unwrap();
    // 120 minutes / 12 slots = 10-minute slots, 09:00 to 11:00; 25 % of 12
    // = 3 reserved for family doctors' referrals.
    assert_eq!(slots.len(), 12);
    assert_eq!(slots[0].start, start);
    assert_eq!(slots[11].end, datetime!(2026-03-10 11:00 UTC));
    assert_eq!(slots.iter().filter(|x| x.reserved).count(), 3);
    assert!(slots.iter().all(|x| x.institution == p.primary
        && x.specialty == Specialty::Cardiology
        && x.schedule.as_str() == "s1"));
    assert_eq!(slots[1].id.as_str(), "s1-202603100910");

    let mut other = programme();
    other.id = id("prog-2");
    assert_eq!(field(s.slots(&other, &policy)), "programme");
    // 52 characters and a 13-character time stamp would pass the 64 limit.
    let long = scheduled(&p, &"x".repeat(52), "sp-a", start);
    assert_eq!(field(long.slots(&p, &policy)), "id");
    let mut cancelled = s.clone();
    cancelled
        .cancel(Side::Hospital, "on call".into(), start - Duration::days(1))
        .unwrap();
    assert!(matches!(
        cancelled.slots(&p, &policy),
        Err(OutreachError::IllegalTransition { .. })
    ));
}
