//! Results: what is checked, and recognition under the region's windows.

use super::*;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);

#[test]
fn loinc_codes_are_checked() {
    assert!(TestCode::new("4548-4").is_ok());
    assert!(TestCode::new("24627-2").is_ok());
    for bad in ["", "4548", "4548-", "-4", "4548-44", "45a8-4", "12345678-1"] {
        assert!(TestCode::new(bad).is_err(), "{bad}");
    }
}

#[test]
fn recognition_follows_the_validity_window_per_test() {
    let policy = Policy::demo();
    let hba1c = TestCode::new("4548-4").unwrap(); // 90 days in the demo policy
    let glucose = TestCode::new("2345-7").unwrap(); // 7 days
    let other = TestCode::new("2160-0").unwrap(); // default, 30 days
    let taken = NOW - Duration::days(20);
    let r = Recognition::of(&hba1c, taken, &policy, NOW);
    assert_eq!(
        r,
        Recognition::Recognised {
            until: taken + Duration::days(90)
        }
    );
    assert_eq!(r.code(), "recognised");
    let r = Recognition::of(&glucose, taken, &policy, NOW);
    assert_eq!(
        r,
        Recognition::Expired {
            since: taken + Duration::days(7)
        }
    );
    assert_eq!(r.code(), "expired");
    assert_eq!(
        Recognition::of(&other, taken, &policy, NOW).until(),
        taken + Duration::days(30)
    );
    // The last moment of the window still counts.
    let edge = NOW - Duration::days(7);
    assert_eq!(
        Recognition::of(&glucose, edge, &policy, NOW).code(),
        "recognised"
    );
}

fn observation(value: ResultValue, effective: OffsetDateTime) -> Observation {
    Observation {
        id: "obs-1".parse().unwrap(),
        patient: "res-1".parse().unwrap(),
        test: TestCode::new("4548-4").unwrap(),
        name: "HbA1c".into(),
        value,
        effective,
        performer: "tc1".parse().unwrap(),
        recorded_by: "pr-1".parse().unwrap(),
    }
}

#[test]
fn results_must_be_complete_and_not_in_the_future() {
    let q = |v: f64, u: &str| ResultValue::Quantity {
        value: v,
        unit: u.into(),
    };
    assert!(observation(q(7.1, "%"), NOW).check(NOW).is_ok());
    assert!(observation(q(f64::NAN, "%"), NOW).check(NOW).is_err());
    assert!(observation(q(7.1, " "), NOW).check(NOW).is_err());
    assert!(
        observation(q(7.1, "%"), NOW + Duration::hours(1))
            .check(NOW)
            .is_err()
    );
    let text = ResultValue::Text { text: "".into() };
    assert!(observation(text, NOW).check(NOW).is_err());
}

#[test]
fn an_attached_result_keeps_its_window() {
    let policy = Policy::demo();
    let o = observation(
        ResultValue::Quantity {
            value: 7.1,
            unit: "%".into(),
        },
        NOW - Duration::days(80),
    );
    let a = AttachedResult::of_observation(&o, &policy);
    assert_eq!(a.valid_until, o.effective + Duration::days(90));
    assert_eq!(a.recognition(NOW).code(), "recognised");
    assert_eq!(a.recognition(NOW + Duration::days(11)).code(), "expired");
}
