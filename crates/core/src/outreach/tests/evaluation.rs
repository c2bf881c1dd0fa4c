//! The evaluation over March and April 2026, figures worked out by hand.
//!
//! prog-1: h1 -> chc1, 4 sessions a month from 1 March, sp-a and sp-b.
//! prog-2: h2 -> chc2, 2 a month from 20 April, sp-c. Both in umg1.
//!
//! | session | day   | who  | outcome                        |
//! |---------|-------|------|--------------------------------|
//! | s1      | 03-03 | sp-a | held, 10 seen, 2 avoided       |
//! | s2      | 03-10 | sp-a | held, 8 seen, 1 avoided        |
//! | s3      | 03-17 | sp-a | cancelled by the hospital      |
//! | s4      | 03-24 | sp-a | held, 12 seen, 3 avoided       |
//! | s5      | 04-07 | sp-b | held, 9 seen, 0 avoided        |
//! | s6      | 04-14 | sp-b | cancelled by the hospital      |
//! | s7      | 04-21 | sp-b | cancelled by the primary side  |
//! | s8      | 04-28 | sp-b | missed                         |
//! | s9      | 04-30 | sp-b | held, 11 seen, 2 avoided       |
//! | s10     | 05-05 | sp-a | held (after the period)        |
//! | s11     | 04-27 | sp-c | prog-2, never recorded         |

use super::*;
use crate::outreach::evaluation::*;

struct World {
    programmes: Vec<Programme>,
    sessions: Vec<OutreachSession>,
    mentorships: Vec<Mentorship>,
    activities: Vec<MentorshipActivity>,
    enrolments: Vec<PanelEnrolment>,
    measurements: Vec<Measurement>,
    targets: Targets,
}

impl World {
    fn data(&self) -> OutreachData<'_> {
        OutreachData {
            programmes: &self.programmes,
            sessions: &self.sessions,
            mentorships: &self.mentorships,
            activities: &self.activities,
            enrolments: &self.enrolments,
            measurements: &self.measurements,
            targets: &self.targets,
        }
    }
}

enum Outcome {
    Held(u32, u32),
    Cancelled(Side),
    Missed,
    Open,
}

fn session(
    p: &Programme,
    sid: &str,
    who: &str,
    day: time::Date,
    outcome: Outcome,
) -> OutreachSession {
    let start = day.with_hms(9, 0, 0).unwrap().assume_utc();
    let mut s = scheduled(p, sid, who, start);
    match outcome {
        Outcome::Held(seen, avoided) => s.hold(seen, avoided, start).map(drop),
        Outcome::Cancelled(by) => s
            .cancel(by, "clinic duty".into(), start - Duration::days(1))
            .map(drop),
        Outcome::Missed => s.miss(start + Duration::hours(3)).map(drop),
        Outcome::Open => Ok(()),
    }
    .unwrap();
    s
}

fn activity(
    aid: &str,
    kind: ActivityKind,
    day: time::Date,
    doctors: &[&str],
) -> MentorshipActivity {
    MentorshipActivity {
        id: id(aid),
        mentorship: id("m1"),
        kind,
        date: day,
        family_doctors: doctors.iter().map(|d| id(d)).collect(),
        patients: vec![],
        referrals: if kind == ActivityKind::WardRound {
            vec![id("ref-1")]
        } else {
            vec![]
        },
        note: None,
    }
}

fn world() -> World {
    use Outcome::*;
    let p1 = programme();
    let mut p2 = programme();
    p2.id = id("prog-2");
    p2.hospital = id("h2");
    p2.primary = id("chc2");
    p2.start = date!(2026 - 04 - 20);
    p2.sessions_per_month = 2;
    p2.specialists = vec![id("sp-c")];
    let sessions = vec![
        session(&p1, "s1", "sp-a", date!(2026 - 03 - 03), Held(10, 2)),
        session(&p1, "s2", "sp-a", date!(2026 - 03 - 10), Held(8, 1)),
        session(
            &p1,
            "s3",
            "sp-a",
            date!(2026 - 03 - 17),
            Cancelled(Side::Hospital),
        ),
        session(&p1, "s4", "sp-a", date!(2026 - 03 - 24), Held(12, 3)),
        session(&p1, "s5", "sp-b", date!(2026 - 04 - 07), Held(9, 0)),
        session(
            &p1,
            "s6",
            "sp-b",
            date!(2026 - 04 - 14),
            Cancelled(Side::Hospital),
        ),
        session(
            &p1,
            "s7",
            "sp-b",
            date!(2026 - 04 - 21),
            Cancelled(Side::Primary),
        ),
        session(&p1, "s8", "sp-b", date!(2026 - 04 - 28), Missed),
        session(&p1, "s9", "sp-b", date!(2026 - 04 - 30), Held(11, 2)),
        session(&p1, "s10", "sp-a", date!(2026 - 05 - 05), Held(7, 1)),
        session(&p2, "s11", "sp-c", date!(2026 - 04 - 27), Open),
    ];
    let e1 = enrolment(
        "e1",
        "res-1",
        &[PanelCondition::Hypertension],
        date!(2026 - 03 - 05),
    );
    let e2 = enrolment(
        "e2",
        "res-2",
        &[PanelCondition::Diabetes],
        date!(2026 - 03 - 06),
    );
    let e3 = enrolment(
        "e3",
        "res-3",
        &[PanelCondition::Hypertension, PanelCondition::Diabetes],
        date!(2026 - 04 - 02),
    );
    let mut e4 = enrolment(
        "e4",
        "res-4",
        &[PanelCondition::Hypertension],
        date!(2026 - 03 - 01),
    );
    e4.institution = id("chc2");
    e4.family_doctor = id("fd7");
    e4.specialist = id("sp-c");
    e4.programme = Some(id("prog-2"));
    let at = |d: time::Date| d.with_hms(10, 0, 0).unwrap().assume_utc();
    let measurements = vec![
        measurement("x1", &e1, at(date!(2026 - 03 - 05)), bp(150.0, 95.0)),
        measurement("x2", &e1, at(date!(2026 - 04 - 10)), bp(138.0, 88.0)),
        measurement("x3", &e2, at(date!(2026 - 03 - 20)), hba1c(7.0)),
        measurement("x4", &e3, at(date!(2026 - 04 - 02)), bp(130.0, 80.0)),
        measurement("x5", &e4, at(date!(2026 - 04 - 25)), bp(120.0, 70.0)),
    ];
    let m1 = Mentorship {
        id: id("m1"),
        specialist: id("sp-a"),
        family_doctors: vec![id("fd1"), id("fd2"), id("fd3")],
        programme: Some(id("prog-1")),
        started: date!(2026 - 03 - 01),
        ended: None,
        competences: vec![],
    };
    let m2 = Mentorship {
        id: id("m2"),
        specialist: id("sp-c"),
        family_doctors: vec![id("fd7")],
        programme: Some(id("prog-2")),
        started: date!(2026 - 04 - 20),
        ended: None,
        competences: vec![],
    };
    let activities = vec![
        activity(
            "a1",
            ActivityKind::JointClinic,
            date!(2026 - 03 - 10),
            &["fd1", "fd2"],
        ),
        activity(
            "a2",
            ActivityKind::Teaching,
            date!(2026 - 04 - 08),
            &["fd1", "fd2", "fd3"],
        ),
        activity(
            "a3",
            ActivityKind::WardRound,
            date!(2026 - 04 - 22),
            &["fd3"],
        ),
        activity(
            "a4",
            ActivityKind::Teaching,
            date!(2026 - 05 - 06),
            &["fd1"],
        ),
    ];
    for a in &activities {
        m1.log(a.clone(), at(a.date)).unwrap();
    }
    World {
        programmes: vec![p1, p2],
        sessions,
        mentorships: vec![m1, m2],
        activities,
        enrolments: vec![e1, e2, e3, e4],
        measurements,
        targets: Targets::default(),
    }
}

const FIRST: time::Date = date!(2026 - 03 - 01);
const LAST: time::Date = date!(2026 - 04 - 30);

fn run(w: &World, subject: EvaluationSubject) -> Evaluation {
    evaluate(w.data(), &subject, FIRST, LAST).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[test]
fn a_programme_against_its_commitment() {
    let w = world();
    let e = run(&w, EvaluationSubject::Programme(id("prog-1")));
    let t = &e.total;
    // Committed 4 in March + 4 in April = 8; s1-s9 scheduled (s10 is May).
    assert_eq!(t.committed, Some(8));
    assert_eq!(
        (t.scheduled, t.held, t.missed, t.still_scheduled),
        (9, 5, 1, 0)
    );
    assert_eq!((t.cancelled_by_hospital, t.cancelled_by_primary), (2, 1));
    // Held s1 s2 s4 s5 s9: 10+8+12+9+11 = 50 seen, 2+1+3+0+2 = 8 avoided.
    assert_eq!((t.patients_seen, t.referrals_avoided), (50, 8));
    assert!(close(t.commitment_kept, 5.0 / 8.0));
    assert!(close(t.hospital_cancellation_share, 2.0 / 9.0));
    assert!(close(t.primary_cancellation_share, 1.0 / 9.0));

    let months: Vec<time::Date> = e.months.iter().map(|m| m.month).collect();
    assert_eq!(months, [date!(2026 - 03 - 01), date!(2026 - 04 - 01)]);
    let march = &e.months[0].figures;
    // March: s1-s4, held 3 of 4 committed, 1 of 4 cancelled by h1.
    assert_eq!(
        (march.committed, march.scheduled, march.held),
        (Some(4), 4, 3)
    );
    assert_eq!((march.patients_seen, march.referrals_avoided), (30, 6));
    assert!(close(march.commitment_kept, 0.75));
    assert!(close(march.hospital_cancellation_share, 0.25));
    assert!(close(march.primary_cancellation_share, 0.0));
    let april = &e.months[1].figures;
    // April: s5-s9, held 2 of 4 committed; h1 cancelled 1 of 5 scheduled.
    assert_eq!(
        (april.committed, april.scheduled, april.held, april.missed),
        (Some(4), 5, 2, 1)
    );
    assert!(close(april.commitment_kept, 0.5));
    assert!(close(april.hospital_cancellation_share, 0.2));
}

#[test]
fn the_region_and_a_late_programme_count_whole_months() {
    let w = world();
    let region = run(&w, EvaluationSubject::Region).total;
    // prog-2 starts on 20 April and owes all of April's 2: 4 + 4 + 2 = 10.
    assert_eq!(region.committed, Some(10));
    // s1-s9 and s11; s11 is still scheduled.
    assert_eq!(
        (region.scheduled, region.held, region.still_scheduled),
        (10, 5, 1)
    );
    assert!(close(region.commitment_kept, 0.5));
    assert!(close(region.hospital_cancellation_share, 0.2));

    let h2 = run(&w, EvaluationSubject::Hospital(id("h2")));
    assert_eq!(h2.months[0].figures.committed, Some(0));
    assert_eq!(
        h2.months[0].figures.commitment_kept, None,
        "nothing owed in March"
    );
    assert_eq!(h2.total.committed, Some(2));
    assert!(close(h2.total.commitment_kept, 0.0), "owed 2, held 0");
    assert_eq!(h2.total.hospital_cancellation_share, Some(0.0));
    let alliance = run(&w, EvaluationSubject::Alliance(id("umg1"))).total;
    assert_eq!(alliance.committed, Some(10));
    let chc2 = run(&w, EvaluationSubject::Primary(id("chc2"))).total;
    assert_eq!((chc2.committed, chc2.scheduled), (Some(2), 1));
}

#[test]
fn a_specialist_answers_for_their_sessions_not_the_commitment() {
    let w = world();
    let b = run(&w, EvaluationSubject::Specialist(id("sp-b"))).total;
    // s5-s9: held 2 (9 + 11 seen), h1 1, primary 1, missed 1.
    assert_eq!(b.committed, None);
    assert_eq!(b.commitment_kept, None);
    assert_eq!((b.scheduled, b.held, b.patients_seen), (5, 2, 20));
    assert!(close(b.hospital_cancellation_share, 0.2));
    let fd = run(&w, EvaluationSubject::FamilyDoctor(id("fd1"))).total;
    assert_eq!((fd.committed, fd.scheduled), (None, 0));
    assert_eq!(
        fd.hospital_cancellation_share, None,
        "no sessions: no share, not 0"
    );
}

#[test]
fn panel_control_at_the_end_of_each_month() {
    let w = world();
    let e = run(&w, EvaluationSubject::Programme(id("prog-1")));
    // 30 April: e1 controlled (138/88 on 10 April), e2 not (HbA1c 7.0),
    // e3 unknown (blood pressure fine, no diabetes reading).
    let p = e.total.panel;
    assert_eq!((p.enrolled, p.known, p.controlled), (3, 2, 1));
    assert!(close(p.rate_of_known, 0.5));
    assert!(close(p.rate_of_enrolled, 1.0 / 3.0));
    // Hypertension: e1 and e3, both controlled. Diabetes: e2 no, e3 unknown.
    let h = e.total.hypertension;
    assert_eq!((h.enrolled, h.known, h.controlled), (2, 2, 2));
    let d = e.total.diabetes;
    assert_eq!((d.enrolled, d.known, d.controlled), (2, 1, 0));
    assert!(close(d.rate_of_known, 0.0));
    // 31 March: e1 (150/95) and e2 uncontrolled; e3 not yet enrolled.
    let march = e.months[0].figures.panel;
    assert_eq!((march.enrolled, march.known, march.controlled), (2, 2, 0));
    // The region adds e4 at chc2, controlled: 2 of 3 known, 2 of 4.
    let region = run(&w, EvaluationSubject::Region).total.panel;
    assert_eq!(
        (region.enrolled, region.known, region.controlled),
        (4, 3, 2)
    );
    assert!(close(region.rate_of_known, 2.0 / 3.0));
    assert!(close(region.rate_of_enrolled, 0.5));
    let fd7 = run(&w, EvaluationSubject::FamilyDoctor(id("fd7")))
        .total
        .panel;
    assert_eq!((fd7.enrolled, fd7.controlled), (1, 1));
}

#[test]
fn mentoring_per_family_doctor() {
    let w = world();
    let p1 = run(&w, EvaluationSubject::Programme(id("prog-1")));
    // a1 (fd1 fd2), a2 (fd1 fd2 fd3), a3 (fd3); a4 is in May.
    // 6 attendances over 3 mentored doctors = 2 each.
    assert_eq!(
        (
            p1.total.activities,
            p1.total.attendances,
            p1.total.family_doctors
        ),
        (3, 6, 3)
    );
    assert!(close(p1.total.activities_per_family_doctor, 2.0));
    // March: a1 only, 2 attendances over the same 3 doctors.
    assert!(close(
        p1.months[0].figures.activities_per_family_doctor,
        2.0 / 3.0
    ));
    // The region adds fd7 (m2 from 20 April, no activity yet): 6 / 4.
    let region = run(&w, EvaluationSubject::Region).total;
    assert_eq!(region.family_doctors, 4);
    assert!(close(region.activities_per_family_doctor, 1.5));
    let fd3 = run(&w, EvaluationSubject::FamilyDoctor(id("fd3"))).total;
    assert_eq!(
        (fd3.activities, fd3.attendances, fd3.family_doctors),
        (2, 2, 1)
    );
    let h2 = run(&w, EvaluationSubject::Hospital(id("h2")));
    assert_eq!(h2.months[0].figures.activities_per_family_doctor, None);
    assert_eq!(h2.total.activities_per_family_doctor, Some(0.0));
    let sp_a = run(&w, EvaluationSubject::Specialist(id("sp-a"))).total;
    assert_eq!(sp_a.attendances, 6);
}

#[test]
fn a_period_inside_months_clips_sessions_and_owes_what_falls_due_in_it() {
    let w = world();
    let subject = EvaluationSubject::Programme(id("prog-1"));
    let e = evaluate(
        w.data(),
        &subject,
        date!(2026 - 03 - 15),
        date!(2026 - 04 - 10),
    )
    .unwrap();
    // Sessions s3, s4 (March 15-31) and s5 (April 1-10). Of 4 a month,
    // 17 of March's 31 days owe 2 (2.19 rounded down), 10 of April's 30
    // owe 1 (1.33): a partial month is neither owed whole nor free.
    assert_eq!(e.total.committed, Some(3));
    assert_eq!(e.months[0].figures.committed, Some(2));
    assert_eq!(e.months[1].figures.committed, Some(1));
    assert!(e.months.iter().all(|m| m.partial));
    let whole = evaluate(w.data(), &subject, FIRST, LAST).unwrap();
    assert!(whole.months.iter().all(|m| !m.partial), "{FIRST}..{LAST}");
    assert_eq!((e.total.scheduled, e.total.held), (3, 2));
    assert_eq!(e.months[0].figures.scheduled, 2);
    assert_eq!(e.months[1].figures.scheduled, 1);
    assert_eq!(
        field(evaluate(
            w.data(),
            &subject,
            date!(2026 - 04 - 10),
            date!(2026 - 04 - 09)
        )),
        "period.end"
    );
}

#[test]
fn every_named_subject_is_evaluated_once() {
    let w = world();
    let all = subjects(w.data());
    assert_eq!(all[0], EvaluationSubject::Region);
    // Region, umg1, h1, h2, chc1, chc2, prog-1, prog-2, sp-a, sp-b, sp-c,
    // fd1, fd2, fd3, fd7.
    assert_eq!(all.len(), 15);
    let many = evaluate_many(w.data(), &all, FIRST, LAST).unwrap();
    assert_eq!(many.len(), 15);
    let region = many
        .iter()
        .find(|e| e.subject == EvaluationSubject::Region)
        .unwrap();
    assert_eq!(region.total.held, 5);
    let json = serde_json::to_value(&many[1]).unwrap();
    assert_eq!(json["subject"]["subject"], "alliance");
    assert_eq!(json["subject"]["id"], "umg1");
}
