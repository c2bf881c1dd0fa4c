//! Outreach: a cardiology programme of tertiary hospital h1 at community
//! health centre chc1, both in alliance umg1, from Sunday 2026-03-01 with
//! four sessions a month and specialists sp-a and sp-b.

use super::*;
use crate::Specialty;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

mod evaluation;
mod measurement;
mod mentorship;
mod panel;
mod programme;
mod session;

fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

fn programme() -> Programme {
    Programme {
        id: id("prog-1"),
        hospital: id("h1"),
        department: Specialty::Cardiology,
        primary: id("chc1"),
        alliance: id("umg1"),
        kind: ProgrammeKind::Outreach,
        start: date!(2026 - 03 - 01),
        end: None,
        sessions_per_month: 4,
        slots_per_session: 12,
        specialists: vec![id("sp-a"), id("sp-b")],
        services: vec![OutreachService::Hypertension, OutreachService::Diabetes],
        status: ProgrammeStatus::Active,
    }
}

/// A two-hour session from `start`, scheduled a week before.
fn new_session(sid: &str, specialist: &str, start: OffsetDateTime) -> NewSession {
    NewSession {
        id: id(sid),
        specialist: id(specialist),
        start,
        end: start + Duration::hours(2),
        slots: None,
    }
}

fn scheduled(p: &Programme, sid: &str, specialist: &str, start: OffsetDateTime) -> OutreachSession {
    OutreachSession::schedule(
        p,
        new_session(sid, specialist, start),
        start - Duration::days(7),
    )
    .unwrap()
    .0
}

/// The field an `Invalid` error names, or a panic.
fn field<T: std::fmt::Debug>(r: Result<T, OutreachError>) -> &'static str {
    match r {
        Err(OutreachError::Invalid { field, .. }) => field,
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

fn enrolment(
    eid: &str,
    patient: &str,
    conditions: &[PanelCondition],
    enrolled: time::Date,
) -> PanelEnrolment {
    PanelEnrolment {
        id: id(eid),
        patient: id(patient),
        institution: id("chc1"),
        family_doctor: id("fd1"),
        specialist: id("sp-a"),
        programme: Some(id("prog-1")),
        conditions: conditions.to_vec(),
        enrolled,
        interval_days: QUARTERLY_DAYS,
        ended: None,
    }
}

fn measurement(
    mid: &str,
    e: &PanelEnrolment,
    at: OffsetDateTime,
    kind: MeasurementKind,
) -> Measurement {
    Measurement {
        id: id(mid),
        enrolment: e.id.clone(),
        patient: e.patient.clone(),
        at,
        kind,
    }
}

fn bp(systolic: f64, diastolic: f64) -> MeasurementKind {
    MeasurementKind::blood_pressure(systolic, diastolic, "mm[Hg]").unwrap()
}

fn hba1c(percent: f64) -> MeasurementKind {
    MeasurementKind::hba1c(percent, "%").unwrap()
}

fn glucose(mmol: f64) -> MeasurementKind {
    MeasurementKind::fasting_glucose(mmol, "mmol/L").unwrap()
}

#[test]
fn events_have_stable_names_and_round_trip() {
    let p = programme();
    let start = datetime!(2026-03-10 09:00 UTC);
    let (mut s, scheduled) =
        OutreachSession::schedule(&p, new_session("s1", "sp-a", start), start).unwrap();
    assert_eq!(scheduled.kind(), "outreach-session.scheduled.v1");
    let cancelled = s
        .cancel(
            Side::Hospital,
            "ward round at h1".into(),
            start - Duration::hours(1),
        )
        .unwrap();
    assert_eq!(cancelled.kind(), "outreach-session.cancelled.v1");
    let json = serde_json::to_value(&cancelled).unwrap();
    assert_eq!(json["change"], "session-cancelled");
    assert_eq!(json["by"], "hospital");
    let back: OutreachEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, cancelled);
    let stored: OutreachSession =
        serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(stored, s);
}
