//! Mentoring: activities checked against the mentorship, competences
//! growing the primary institution's reach.

use super::*;
use crate::catalogue::IcdCode;

fn mentorship() -> Mentorship {
    Mentorship {
        id: id("m1"),
        specialist: id("sp-a"),
        family_doctors: vec![id("fd1"), id("fd2"), id("fd3")],
        programme: Some(id("prog-1")),
        started: date!(2026 - 03 - 01),
        ended: Some(date!(2026 - 12 - 31)),
        competences: vec![],
    }
}

fn activity(kind: ActivityKind, doctors: &[&str]) -> MentorshipActivity {
    MentorshipActivity {
        id: id("act-1"),
        mentorship: id("m1"),
        kind,
        date: date!(2026 - 04 - 08),
        family_doctors: doctors.iter().map(|d| id(d)).collect(),
        patients: vec![id("res-1")],
        referrals: vec![],
        note: None,
    }
}

const AT: OffsetDateTime = datetime!(2026-04-08 18:00 UTC);

#[test]
fn a_mentorship_is_checked_against_its_programme() {
    let m = mentorship();
    assert_eq!(m.validate(Some(&programme())), Ok(()));
    let mut by_stranger = m.clone();
    by_stranger.specialist = id("sp-z");
    assert_eq!(
        field(by_stranger.validate(Some(&programme()))),
        "specialist"
    );
    assert_eq!(by_stranger.validate(None), Ok(()));
    let mut self_mentor = m.clone();
    self_mentor.family_doctors.push(id("sp-a"));
    assert_eq!(field(self_mentor.validate(None)), "familyDoctor");
    let mut nobody = m;
    nobody.family_doctors.clear();
    assert_eq!(field(nobody.validate(None)), "familyDoctor");
}

#[test]
fn an_activity_involves_only_mentored_doctors_within_the_period() {
    let m = mentorship();
    let ok = activity(ActivityKind::JointClinic, &["fd1", "fd3"]);
    let event = m.log(ok.clone(), AT).unwrap();
    assert_eq!(event.kind(), "mentorship.activity-logged.v1");

    let err = m
        .log(activity(ActivityKind::JointClinic, &["fd1", "fd9"]), AT)
        .unwrap_err();
    assert_eq!(
        err,
        OutreachError::Invalid {
            field: "familyDoctor",
            message: "Practitioner/fd9 is not mentored in m1".into()
        }
    );
    assert_eq!(
        field(m.log(activity(ActivityKind::Teaching, &[]), AT)),
        "familyDoctor"
    );
    let mut before = ok.clone();
    before.date = date!(2026 - 02 - 28);
    assert_eq!(field(m.log(before, AT)), "date");
    let mut after = ok.clone();
    after.date = date!(2027 - 01 - 01);
    assert_eq!(field(m.log(after, AT)), "date");
    let mut elsewhere = ok;
    elsewhere.mentorship = id("m2");
    assert_eq!(field(m.log(elsewhere, AT)), "mentorship");
}

#[test]
fn a_ward_round_is_for_a_referred_patient() {
    let m = mentorship();
    let round = activity(ActivityKind::WardRound, &["fd2"]);
    assert_eq!(field(m.log(round.clone(), AT)), "referral");
    let mut with_referral = round;
    with_referral.referrals.push(id("ref-42"));
    assert!(m.log(with_referral, AT).is_ok());
}

fn competence(doctor: &str, institution: &str, code: &str, since: time::Date) -> Competence {
    Competence {
        doctor: id(doctor),
        institution: id(institution),
        condition: code.parse().unwrap(),
        since,
        mentorship: id("m1"),
    }
}

#[test]
fn capability_grows_with_recognised_competences() {
    let mut m = mentorship();
    let c = competence("fd1", "chc1", "I10", date!(2026 - 05 - 01));
    assert_eq!(
        m.recognise(c.clone(), AT).unwrap().kind(),
        "mentorship.competence-recognised.v1"
    );
    assert_eq!(m.competences, std::slice::from_ref(&c));
    // Recognised once: the same doctor and condition again is refused.
    assert_eq!(field(m.recognise(c.clone(), AT)), "condition");
    assert_eq!(
        field(m.recognise(competence("fd9", "chc1", "I10", date!(2026 - 05 - 01)), AT)),
        "doctor"
    );
    assert_eq!(
        field(m.recognise(competence("fd1", "chc1", "I10", date!(2026 - 02 - 01)), AT)),
        "since"
    );

    let all = [
        c,
        // A second doctor at chc1 with the same condition adds nothing new.
        competence("fd2", "chc1", "I10", date!(2026 - 04 - 01)),
        competence("fd2", "chc1", "E11", date!(2026 - 06 - 01)),
        competence("fd3", "tc7", "J44", date!(2026 - 04 - 01)),
    ];
    let chc1 = id("chc1");
    let codes = |d| -> Vec<String> {
        capability(&all, &chc1, d)
            .iter()
            .map(|c: &IcdCode| c.to_string())
            .collect()
    };
    assert_eq!(codes(date!(2026 - 03 - 31)), Vec::<String>::new());
    assert_eq!(codes(date!(2026 - 05 - 31)), ["I10"]);
    assert_eq!(codes(date!(2026 - 06 - 01)), ["E11", "I10"]);
}
