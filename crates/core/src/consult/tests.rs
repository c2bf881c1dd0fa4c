//! E-consults: who writes, when it counts as answered, how it ends.

use super::*;
use time::macros::datetime;

fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

fn doctor(name: &str, institution: &str) -> Actor {
    Actor {
        username: name.into(),
        role: UserRole::Doctor,
        institution: Some(id(institution)),
        practitioner: Some(id(&format!("pr-{name}"))),
        resident: None,
    }
}

const MONDAY: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);

fn ask(specialist: Option<&str>) -> Consult {
    let new = NewConsult {
        id: id("con-1"),
        patient: id("res-1"),
        from: id("tc1"),
        to: id("h1"),
        specialist: specialist.map(id),
        specialty: Specialty::Cardiology,
        mode: ConsultMode::Written,
        condition: Some(id("I10")),
        question: "BP 165/100 on two drugs; add a third or refer?".into(),
    };
    let (c, e) = Consult::ask(new, &doctor("fd", "tc1"), MONDAY).unwrap();
    assert_eq!(e.kind(), "consult.asked.v1");
    c
}

#[test]
fn an_answer_records_the_response_time_and_resolving_closes_it() {
    let mut c = ask(None);
    assert_eq!(
        c.answer_due(&Policy::demo()),
        Some(datetime!(2026-11-24 09:00 UTC))
    );
    // A follow-up from the family doctor is not an answer.
    let e = c
        .post("Also on metformin.".into(), &doctor("fd", "tc1"), MONDAY)
        .unwrap();
    assert_eq!(
        e.change,
        ConsultChange::Messaged {
            side: Side::Referrer
        }
    );
    assert_eq!(c.state, ConsultState::Open);
    let later = MONDAY + Duration::hours(3);
    let e = c
        .post(
            "Add indapamide; refer if not controlled in 4 weeks.".into(),
            &doctor("spec", "h1"),
            later,
        )
        .unwrap();
    assert_eq!(
        e.change,
        ConsultChange::Answered {
            response_seconds: 3 * 3600
        }
    );
    assert_eq!(c.response_time(), Some(Duration::hours(3)));
    assert_eq!(c.answer_due(&Policy::demo()), None);
    // A second reply is a message, not a second answer.
    let e = c
        .post("Check potassium.".into(), &doctor("spec2", "h1"), later)
        .unwrap();
    assert_eq!(
        e.change,
        ConsultChange::Messaged {
            side: Side::Receiver
        }
    );
    assert_eq!(c.response_time(), Some(Duration::hours(3)));
    c.close(ConsultOutcome::Resolved, &doctor("fd", "tc1"), later)
        .unwrap();
    assert_eq!(c.state.code(), "closed");
    assert!(c.post("more".into(), &doctor("fd", "tc1"), later).is_err());
}

#[test]
fn only_the_named_specialist_answers_a_named_consult() {
    let mut c = ask(Some("pr-spec"));
    let before = c.clone();
    let err = c
        .post("I can see it".into(), &doctor("spec2", "h1"), MONDAY)
        .unwrap_err();
    assert!(matches!(err, ConsultError::NotAllowed(_)));
    assert_eq!(c, before);
    c.post("Answer".into(), &doctor("spec", "h1"), MONDAY)
        .unwrap();
    assert_eq!(c.state, ConsultState::Answered);
}

#[test]
fn outsiders_and_other_roles_cannot_write_or_close() {
    let mut c = ask(None);
    let before = c.clone();
    assert!(c.post("x".into(), &doctor("other", "h2"), MONDAY).is_err());
    let mut coordinator = doctor("coord", "h1");
    coordinator.role = UserRole::Coordinator;
    assert!(matches!(
        c.post("x".into(), &coordinator, MONDAY),
        Err(ConsultError::Role(_))
    ));
    assert!(
        c.close(ConsultOutcome::Withdrawn, &doctor("spec", "h1"), MONDAY)
            .is_err()
    );
    assert!(c.post("  ".into(), &doctor("spec", "h1"), MONDAY).is_err());
    assert_eq!(c, before);
    assert_eq!(c.sides(&coordinator), vec![Side::Receiver]);
}

#[test]
fn resolving_needs_an_answer_and_referring_closes_with_the_referral() {
    let mut c = ask(None);
    let fd = doctor("fd", "tc1");
    assert!(matches!(
        c.close(ConsultOutcome::Resolved, &fd, MONDAY),
        Err(ConsultError::IllegalTransition { .. })
    ));
    assert!(c.close(ConsultOutcome::Referred, &fd, MONDAY).is_err());
    let e = c.referred(id("ref-9"), &fd, MONDAY).unwrap();
    assert_eq!(e.kind(), "consult.closed.v1");
    assert_eq!(
        c.state,
        ConsultState::Closed {
            outcome: ConsultOutcome::Referred,
            referral: Some(id("ref-9"))
        }
    );
    assert!(c.referred(id("ref-10"), &fd, MONDAY).is_err());
}

#[test]
fn asking_checks_who_and_what() {
    let new = |from: &str, to: &str, q: &str| NewConsult {
        id: id("con-2"),
        patient: id("res-1"),
        from: id(from),
        to: id(to),
        specialist: None,
        specialty: Specialty::Cardiology,
        mode: ConsultMode::Live,
        condition: None,
        question: q.into(),
    };
    let fd = doctor("fd", "tc1");
    assert!(Consult::ask(new("tc1", "tc1", "q"), &fd, MONDAY).is_err());
    assert!(Consult::ask(new("tc1", "h1", " "), &fd, MONDAY).is_err());
    assert!(Consult::ask(new("tc2", "h1", "q"), &fd, MONDAY).is_err());
    let mut analyst = fd.clone();
    analyst.role = UserRole::Analyst;
    assert!(matches!(
        Consult::ask(new("tc1", "h1", "q"), &analyst, MONDAY),
        Err(ConsultError::Role(_))
    ));
}
