//! Panel control against the targets, at the exact edges, and the due list.

use super::*;
use PanelCondition::{Diabetes, Hypertension};

const ENROLLED: time::Date = date!(2026 - 01 - 05);
const AS_OF: time::Date = date!(2026 - 06 - 30);

/// The control status of `condition` on AS_OF, from measurements taken at
/// the given dates.
fn status_with(
    conditions: &[PanelCondition],
    taken: &[(time::Date, MeasurementKind)],
) -> PanelStatus {
    let e = enrolment("e1", "res-1", conditions, ENROLLED);
    let ms: Vec<Measurement> = taken
        .iter()
        .enumerate()
        .map(|(n, (d, k))| measurement(&format!("m{n}"), &e, d.midnight().assume_utc(), *k))
        .collect();
    control_status(&e, &ms, &Targets::default(), AS_OF)
}

fn one(condition: PanelCondition, kind: MeasurementKind) -> ControlStatus {
    status_with(&[condition], &[(date!(2026 - 06 - 01), kind)]).overall
}

use ControlStatus::{Controlled, Uncontrolled, Unknown};

#[test]
fn blood_pressure_is_controlled_only_below_both_targets() {
    assert_eq!(one(Hypertension, bp(139.0, 89.0)), Controlled);
    assert_eq!(one(Hypertension, bp(140.0, 89.0)), Uncontrolled);
    assert_eq!(one(Hypertension, bp(139.0, 90.0)), Uncontrolled);
    assert_eq!(one(Hypertension, bp(160.0, 70.0)), Uncontrolled);
    // A glucose tells nothing about blood pressure.
    assert_eq!(one(Hypertension, glucose(5.0)), Unknown);
}

#[test]
fn diabetes_is_judged_by_hba1c_below_7_or_else_fasting_glucose_in_range() {
    assert_eq!(one(Diabetes, hba1c(6.9)), Controlled);
    assert_eq!(one(Diabetes, hba1c(7.0)), Uncontrolled);
    assert_eq!(one(Diabetes, glucose(4.4)), Controlled);
    assert_eq!(one(Diabetes, glucose(7.0)), Controlled);
    assert_eq!(one(Diabetes, glucose(4.3)), Uncontrolled);
    assert_eq!(one(Diabetes, glucose(7.1)), Uncontrolled);
    // Through the conversions: 126 mg/dL = 7.0, 127 mg/dL = 7.1 mmol/L;
    // 52 mmol/mol = 6.9 %, 53 mmol/mol = 7.0 %.
    let mg = |v| MeasurementKind::fasting_glucose(v, "mg/dL").unwrap();
    let ifcc = |v| MeasurementKind::hba1c(v, "mmol/mol").unwrap();
    assert_eq!(one(Diabetes, mg(126.0)), Controlled);
    assert_eq!(one(Diabetes, mg(127.0)), Uncontrolled);
    assert_eq!(one(Diabetes, ifcc(52.0)), Controlled);
    assert_eq!(one(Diabetes, ifcc(53.0)), Uncontrolled);
    // A recent HbA1c outweighs a later good glucose.
    let both = status_with(
        &[Diabetes],
        &[
            (date!(2026 - 05 - 01), hba1c(7.2)),
            (date!(2026 - 06 - 20), glucose(5.0)),
        ],
    );
    assert_eq!(both.overall, Uncontrolled);
    // An HbA1c outside the window leaves the glucose to decide.
    let stale = status_with(
        &[Diabetes],
        &[
            (date!(2025 - 12 - 01), hba1c(6.5)),
            (date!(2026 - 06 - 20), glucose(7.5)),
        ],
    );
    assert_eq!(stale.overall, Uncontrolled);
}

#[test]
fn only_the_latest_measurement_in_the_window_counts() {
    // Quarterly follow-up: the window is 2 x 90 = 180 days back from
    // 30 June, to 1 January 2026 inclusive.
    assert_eq!(
        status_with(&[Hypertension], &[(date!(2026 - 01 - 01), bp(130.0, 80.0))]).overall,
        Controlled
    );
    assert_eq!(
        status_with(&[Hypertension], &[(date!(2025 - 12 - 31), bp(130.0, 80.0))]).overall,
        Unknown
    );
    // The later of two readings decides; one after AS_OF is not seen yet.
    let series = [
        (date!(2026 - 03 - 01), bp(150.0, 95.0)),
        (date!(2026 - 06 - 30), bp(135.0, 85.0)),
        (date!(2026 - 07 - 01), bp(170.0, 100.0)),
    ];
    assert_eq!(status_with(&[Hypertension], &series).overall, Controlled);
    assert_eq!(
        status_with(&[Hypertension], &series[..1]).overall,
        Uncontrolled
    );
    // A monthly patient's window is 60 days: 1 May is 60 days before.
    let mut e = enrolment("e1", "res-1", &[Hypertension], ENROLLED);
    e.interval_days = MONTHLY_DAYS;
    let at = |d: time::Date| {
        vec![measurement(
            "m",
            &e,
            d.midnight().assume_utc(),
            bp(120.0, 70.0),
        )]
    };
    let t = Targets::default();
    assert_eq!(
        control_status(&e, &at(date!(2026 - 05 - 01)), &t, AS_OF).overall,
        Controlled
    );
    assert_eq!(
        control_status(&e, &at(date!(2026 - 04 - 30)), &t, AS_OF).overall,
        Unknown
    );
}

#[test]
fn the_panel_is_controlled_only_when_every_condition_is() {
    let bp_ok = (date!(2026 - 06 - 01), bp(130.0, 80.0));
    let s = status_with(&[Hypertension, Diabetes], &[bp_ok]);
    assert_eq!(s.conditions[&Hypertension], Controlled);
    assert_eq!(s.conditions[&Diabetes], Unknown);
    assert_eq!(s.overall, Unknown);
    let a1c_high = (date!(2026 - 06 - 01), hba1c(8.1));
    assert_eq!(
        status_with(&[Hypertension, Diabetes], &[bp_ok, a1c_high]).overall,
        Uncontrolled
    );
    let a1c_ok = (date!(2026 - 06 - 01), hba1c(6.4));
    assert_eq!(
        status_with(&[Hypertension, Diabetes], &[bp_ok, a1c_ok]).overall,
        Controlled
    );
    // Another enrolment's readings are not this patient's.
    let e = enrolment("e1", "res-1", &[Hypertension], ENROLLED);
    let other = enrolment("e2", "res-2", &[Hypertension], ENROLLED);
    let ms = [measurement(
        "m1",
        &other,
        datetime!(2026-06-01 09:00 UTC),
        bp(120.0, 70.0),
    )];
    assert_eq!(
        control_status(&e, &ms, &Targets::default(), AS_OF).overall,
        Unknown
    );
}

#[test]
fn a_region_may_set_stricter_targets() {
    let strict = Targets {
        systolic_below: 130,
        diastolic_below: 80,
        ..Targets::default()
    };
    let e = enrolment("e1", "res-1", &[Hypertension], ENROLLED);
    let ms = [measurement(
        "m1",
        &e,
        datetime!(2026-06-01 09:00 UTC),
        bp(135.0, 85.0),
    )];
    assert_eq!(
        control_status(&e, &ms, &Targets::default(), AS_OF).overall,
        Controlled
    );
    assert_eq!(
        control_status(&e, &ms, &strict, AS_OF).overall,
        Uncontrolled
    );
}

#[test]
fn an_enrolment_is_checked_against_its_programme() {
    let p = programme();
    let e = enrolment("e1", "res-1", &[Hypertension, Diabetes], ENROLLED);
    assert_eq!(e.validate(Some(&p)), Ok(()));
    let mut hypertension_only = p.clone();
    hypertension_only.services = vec![OutreachService::Hypertension];
    assert_eq!(field(e.validate(Some(&hypertension_only))), "addresses");
    let mut elsewhere = e.clone();
    elsewhere.institution = id("chc2");
    assert_eq!(field(elsewhere.validate(Some(&p))), "institution");
    let mut stranger = e.clone();
    stranger.specialist = id("sp-z");
    assert_eq!(field(stranger.validate(Some(&p))), "careTeam");
    let mut none = e.clone();
    none.conditions.clear();
    assert_eq!(field(none.validate(None)), "addresses");
    let mut never = e.clone();
    never.interval_days = 0;
    assert_eq!(field(never.validate(None)), "activity.timing");
    assert_eq!(
        e.enrol(Some(&p), AS_OF.midnight().assume_utc())
            .unwrap()
            .kind(),
        "panel.enrolled.v1"
    );
}

#[test]
fn next_due_is_one_interval_after_the_last_follow_up() {
    let e = enrolment("e1", "res-1", &[Hypertension], ENROLLED);
    // No follow-up yet: 5 January + 90 days = 5 April.
    assert_eq!(next_due(&e, &[]), date!(2026 - 04 - 05));
    let ms = [
        measurement("m1", &e, datetime!(2026-02-10 09:00 UTC), bp(150.0, 95.0)),
        measurement("m2", &e, datetime!(2026-03-02 09:00 UTC), hba1c(7.5)),
    ];
    // Last follow-up 2 March + 90 days = 31 May.
    assert_eq!(next_due(&e, &ms), date!(2026 - 05 - 31));
}

#[test]
fn the_due_list_puts_the_most_overdue_first() {
    let today = date!(2026 - 06 - 15);
    // Enrolled so that enrolled + 90 lands on the day wanted.
    let due_on = |eid: &str, patient: &str, due: time::Date| {
        enrolment(eid, patient, &[Hypertension], due - Duration::days(90))
    };
    let mut ended = due_on("e-ended", "res-9", date!(2026 - 06 - 01));
    ended.ended = Some(date!(2026 - 06 - 14));
    let enrolments = [
        due_on("e-15", "res-1", date!(2026 - 06 - 30)), // 15 days ahead: not due
        due_on("e-14", "res-2", date!(2026 - 06 - 29)), // 14 days ahead: due
        due_on("e-0", "res-3", today),                  // today: due
        due_on("e-1", "res-4", date!(2026 - 06 - 14)),  // yesterday: overdue by 1
        due_on("e-30", "res-5", date!(2026 - 05 - 16)), // overdue by 30
        ended,                                          // no longer enrolled
    ];
    // res-5 was seen on 10 June: next due 8 September, so not listed.
    let mut seen = enrolments.clone();
    seen[4].enrolled = date!(2026 - 02 - 01);
    let ms = [measurement(
        "m1",
        &seen[4],
        datetime!(2026-06-10 09:00 UTC),
        bp(130.0, 80.0),
    )];

    let list = due_list(&enrolments, &[], today);
    let rows: Vec<(&str, FollowUpState, i64)> = list
        .iter()
        .map(|d| (d.enrolment.as_str(), d.state, d.days_overdue))
        .collect();
    assert_eq!(
        rows,
        [
            ("e-30", FollowUpState::Overdue, 30),
            ("e-1", FollowUpState::Overdue, 1),
            ("e-0", FollowUpState::Due, 0),
            ("e-14", FollowUpState::Due, -14),
        ]
    );
    let seen_list = due_list(&seen, &ms, today);
    let listed: Vec<&str> = seen_list.iter().map(|d| d.enrolment.as_str()).collect();
    assert_eq!(listed, ["e-1", "e-0", "e-14"]);
    assert_eq!(
        FollowUpState::on(date!(2026 - 06 - 30), today),
        FollowUpState::NotDue
    );
}
