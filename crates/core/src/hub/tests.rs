//! Hub readings: who orders, takes, reports and acknowledges; deadlines
//! and the queue's order.

use super::*;
use crate::access::{Actor, UserRole};
use crate::referral::Side;
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

/// A Friday morning, so a routine reading's working day skips the weekend.
const FRIDAY: OffsetDateTime = datetime!(2026-11-20 09:00 UTC);

fn hub(kind: HubKind) -> Hub {
    Hub {
        id: id("hub-h1-ecg"),
        name: "County hospital ECG centre".into(),
        institution: id("h1"),
        kind,
        members: vec![id("tc1"), id("tc2")],
        active: true,
    }
}

fn order(priority: ReadingPriority, n: u32, at: OffsetDateTime) -> ReadingOrder {
    let new = NewReadingOrder {
        id: id(&format!("rdg-{n}")),
        patient: id("res-1"),
        from: id("tc1"),
        kind: HubKind::Ecg,
        priority,
        question: "Chest pain for 40 minutes".into(),
        acquisition: Some(Acquisition::Media {
            url: "https://ecg.zx.example/trace/1".into(),
        }),
    };
    let (o, e) = ReadingOrder::order(
        new,
        &hub(HubKind::Ecg),
        &doctor("fd", "tc1"),
        at,
        &Policy::demo(),
    )
    .unwrap();
    assert_eq!(e.kind(), "reading.ordered.v1");
    o
}

fn st_elevation() -> NewReading {
    NewReading {
        report: id("dr-1"),
        conclusion: "Acute inferior STEMI".into(),
        findings: vec![Finding {
            code: "164931005".into(),
            display: String::new(),
        }],
        critical: None,
    }
}

#[test]
fn report_codes_are_loinc() {
    for kind in HubKind::ALL {
        assert_eq!(kind.test().as_str(), kind.report_code().0);
    }
}

#[test]
fn deadlines_follow_the_policy_by_kind_and_priority() {
    let p = Policy::demo();
    assert_eq!(
        ReadingPriority::Stat.due(HubKind::Ecg, FRIDAY, &p),
        FRIDAY + Duration::minutes(10)
    );
    assert_eq!(
        ReadingPriority::Urgent.due(HubKind::Ecg, FRIDAY, &p),
        FRIDAY + Duration::minutes(60)
    );
    // One working day from a Friday is Monday.
    assert_eq!(
        ReadingPriority::Routine.due(HubKind::Imaging, FRIDAY, &p),
        datetime!(2026-11-23 09:00 UTC)
    );
}

#[test]
fn only_a_member_doctor_orders_with_a_question() {
    let p = Policy::demo();
    let new = |from: &str, question: &str| NewReadingOrder {
        id: id("rdg-1"),
        patient: id("res-1"),
        from: id(from),
        kind: HubKind::Ecg,
        priority: ReadingPriority::Stat,
        question: question.into(),
        acquisition: None,
    };
    let h = hub(HubKind::Ecg);
    let outsider = ReadingOrder::order(new("tc9", "q"), &h, &doctor("x", "tc9"), FRIDAY, &p);
    assert!(
        matches!(
            outsider,
            Err(HubError::Invalid {
                field: "performer",
                ..
            })
        ),
        "{outsider:?}"
    );
    let wrong_side = ReadingOrder::order(new("tc1", "q"), &h, &doctor("x", "tc2"), FRIDAY, &p);
    assert!(matches!(wrong_side, Err(HubError::NotAllowed(_))));
    let empty = ReadingOrder::order(new("tc1", " "), &h, &doctor("fd", "tc1"), FRIDAY, &p);
    assert!(matches!(
        empty,
        Err(HubError::Invalid {
            field: "reasonCode",
            ..
        })
    ));
    let mut coordinator = doctor("co", "tc1");
    coordinator.role = UserRole::Coordinator;
    let by_role = ReadingOrder::order(new("tc1", "q"), &h, &coordinator, FRIDAY, &p);
    assert!(matches!(by_role, Err(HubError::Role(_))));
    let mut imaging = new("tc1", "q");
    imaging.kind = HubKind::Imaging;
    let wrong_kind = ReadingOrder::order(imaging, &h, &doctor("fd", "tc1"), FRIDAY, &p);
    assert!(matches!(
        wrong_kind,
        Err(HubError::Invalid {
            field: "category",
            ..
        })
    ));
    let mut closed = h.clone();
    closed.active = false;
    let inactive = ReadingOrder::order(new("tc1", "q"), &closed, &doctor("fd", "tc1"), FRIDAY, &p);
    assert!(inactive.is_err());
}

#[test]
fn a_bad_archive_address_is_refused() {
    let new = NewReadingOrder {
        id: id("rdg-1"),
        patient: id("res-1"),
        from: id("tc1"),
        kind: HubKind::Ecg,
        priority: ReadingPriority::Routine,
        question: "q".into(),
        acquisition: Some(Acquisition::Media {
            url: "file:///etc/passwd".into(),
        }),
    };
    let err = ReadingOrder::order(
        new,
        &hub(HubKind::Ecg),
        &doctor("fd", "tc1"),
        FRIDAY,
        &Policy::demo(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        HubError::Invalid {
            field: "supportingInfo",
            ..
        }
    ));
}

#[test]
fn one_reader_takes_and_reports_a_critical_finding() {
    let mut o = order(ReadingPriority::Stat, 1, FRIDAY);
    assert_eq!(o.sides(&doctor("fd", "tc1")), vec![Side::Referrer]);
    assert_eq!(o.sides(&doctor("rd", "h1")), vec![Side::Receiver]);
    assert!(o.sides(&doctor("x", "tc2")).is_empty());
    // The ordering doctor cannot read it.
    assert!(o.take(&doctor("fd", "tc1"), FRIDAY).is_err());
    let at = FRIDAY + Duration::minutes(3);
    o.take(&doctor("rd", "h1"), at).unwrap();
    // A second reader finds it taken.
    assert!(matches!(
        o.take(&doctor("rd2", "h1"), at),
        Err(HubError::IllegalTransition { .. })
    ));
    assert!(matches!(
        o.report(st_elevation(), &doctor("rd2", "h1"), at),
        Err(HubError::NotAllowed(_))
    ));
    let done = FRIDAY + Duration::minutes(8);
    let (report, event) = o.report(st_elevation(), &doctor("rd", "h1"), done).unwrap();
    assert_eq!(report.based_on.as_ref(), Some(&o.id));
    assert_eq!(report.test.as_str(), "11524-6");
    assert_eq!(report.findings[0].display, "ST segment elevation");
    assert_eq!(report.performer.as_str(), "h1");
    assert_eq!(
        event.change,
        ReadingChange::Reported {
            report: id("dr-1"),
            turnaround_seconds: 480,
            within_deadline: true,
            critical: true,
        }
    );
    assert!(o.alert_open());
    assert_eq!(o.turnaround(), Some(Duration::minutes(8)));
    assert!(!o.in_queue());
    // The hub cannot acknowledge its own alert.
    assert!(
        o.acknowledge(None, &doctor("rd", "h1"), done)
            .unwrap_err()
            .to_string()
            .contains("ordering institution")
    );
    let ack = done + Duration::minutes(2);
    let e = o
        .acknowledge(Some(id("abc123")), &doctor("fd", "tc1"), ack)
        .unwrap();
    assert_eq!(
        e.change,
        ReadingChange::Acknowledged {
            seconds_after_report: 120,
            referral: Some(id("abc123")),
        }
    );
    let a = o.alert().unwrap().acknowledged.clone().unwrap();
    assert_eq!((a.by.as_str(), a.at), ("pr-fd", ack));
    assert!(!o.alert_open());
    assert!(o.acknowledge(None, &doctor("fd", "tc1"), ack).is_err());
}

#[test]
fn a_normal_reading_raises_no_alert_unless_marked() {
    let mut o = order(ReadingPriority::Routine, 1, FRIDAY);
    let normal = NewReading {
        report: id("dr-1"),
        conclusion: "Sinus rhythm, normal ECG".into(),
        findings: vec![Finding {
            code: "164854000".into(),
            display: String::new(),
        }],
        critical: None,
    };
    o.report(normal.clone(), &doctor("rd", "h1"), FRIDAY)
        .unwrap();
    assert!(o.alert().is_none());
    assert!(matches!(
        o.acknowledge(None, &doctor("fd", "tc1"), FRIDAY),
        Err(HubError::Invalid { field: "alert", .. })
    ));
    let mut marked = order(ReadingPriority::Routine, 2, FRIDAY);
    let new = NewReading {
        critical: Some("QT 620 ms".into()),
        ..normal
    };
    marked.report(new, &doctor("rd", "h1"), FRIDAY).unwrap();
    assert_eq!(marked.alert().unwrap().finding, "QT 620 ms");
}

#[test]
fn bad_findings_name_the_field() {
    let mut o = order(ReadingPriority::Urgent, 1, FRIDAY);
    for (code, display) in [("ST-up", "x"), ("123456789", ""), ("", "x")] {
        let new = NewReading {
            findings: vec![Finding {
                code: code.into(),
                display: display.into(),
            }],
            ..st_elevation()
        };
        let err = o.report(new, &doctor("rd", "h1"), FRIDAY).unwrap_err();
        assert!(
            matches!(
                err,
                HubError::Invalid {
                    field: "conclusionCode",
                    ..
                }
            ),
            "{code:?}: {err:?}"
        );
    }
    let empty = NewReading {
        conclusion: " ".into(),
        ..st_elevation()
    };
    assert!(matches!(
        o.report(empty, &doctor("rd", "h1"), FRIDAY),
        Err(HubError::Invalid {
            field: "conclusion",
            ..
        })
    ));
    assert_eq!(o.state, ReadingState::Ordered, "a refusal changes nothing");
}

#[test]
fn release_and_cancel() {
    let mut o = order(ReadingPriority::Urgent, 1, FRIDAY);
    o.take(&doctor("rd", "h1"), FRIDAY).unwrap();
    assert!(o.release(&doctor("rd2", "h1"), FRIDAY).is_err());
    o.release(&doctor("rd", "h1"), FRIDAY).unwrap();
    assert_eq!(o.state, ReadingState::Ordered);
    assert!(o.cancel(&doctor("rd", "h1"), FRIDAY).is_err());
    o.cancel(&doctor("fd", "tc1"), FRIDAY).unwrap();
    assert!(o.take(&doctor("rd", "h1"), FRIDAY).is_err());
    assert!(!o.overdue(FRIDAY + Duration::days(3)));
}

#[test]
fn the_queue_is_ordered_by_priority_then_deadline() {
    let mut q = vec![
        order(ReadingPriority::Routine, 1, FRIDAY),
        order(ReadingPriority::Urgent, 2, FRIDAY + Duration::minutes(5)),
        order(ReadingPriority::Stat, 3, FRIDAY + Duration::minutes(20)),
        order(ReadingPriority::Urgent, 4, FRIDAY),
        order(ReadingPriority::Stat, 5, FRIDAY + Duration::minutes(1)),
    ];
    sort_queue(&mut q);
    let ids: Vec<&str> = q.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["rdg-5", "rdg-3", "rdg-4", "rdg-2", "rdg-1"]);
    assert!(q[0].overdue(FRIDAY + Duration::minutes(12)));
}

#[test]
fn a_hub_checks_its_members() {
    let mut h = hub(HubKind::Imaging);
    assert!(h.validate().is_ok());
    h.members.push(id("h1"));
    assert!(h.validate().is_err());
    h.members = vec![id("tc1"), id("tc1")];
    assert!(h.validate().is_err());
    h.members.clear();
    assert!(matches!(
        h.validate(),
        Err(HubError::Invalid {
            field: "extension(hub-member)",
            ..
        })
    ));
}

#[test]
fn a_readings_fee_is_split_by_the_policy_never_beyond_the_fee() {
    let p = Policy::demo();
    assert_eq!(p.hubs.fees, crate::policy::ReadingFees::default());
    let c = ReadingCharge::of(HubKind::Ecg.fee(&p));
    assert_eq!((c.fee.fen(), c.hub_share.fen()), (3_000, 1_800));
    // Rounded down to the fen.
    let odd = ReadingCharge::of(crate::policy::ReadingFee {
        fee_fen: 999,
        hub_share_percent: 33,
    });
    assert_eq!(odd.hub_share.fen(), 329);
    let mut bad = Policy::demo();
    bad.hubs.fees.imaging.hub_share_percent = 101;
    let text = toml::to_string(&bad).unwrap_or_default();
    let err = Policy::from_toml(&text).unwrap_err().to_string();
    assert!(err.contains("hubs.fees.imaging"), "{err}");
}
