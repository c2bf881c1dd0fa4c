//! A programme's evaluation over HTTP: sessions held, cancelled by each
//! side and missed through the Joint Health Centre service, then the
//! `MeasureReport`s for the programme, its hospital and its specialist
//! checked against figures worked out by hand, who may see which subject,
//! and the same figures on the web page and in its CSV.

use crate::dashboard::{sign_in, ui_get, ui_get_in};
use crate::fixtures::CS;
use crate::helpers::{TestApp, assert_outcome, spawn_app};
use crate::outreach::{add_user, params, post_as, practitioner_of, programme, session};
use crate::validate::assert_valid_fhir;
use serde_json::{Value, json};
use tiercare_core::access::UserRole;
use tiercare_web::Lang;
use tiercare_web::tables::BOM;
use time::{Date, Duration, OffsetDateTime};

/// The number of calendar months from `from`'s to `to`'s, both counted.
fn months(from: Date, to: Date) -> u32 {
    let index = |d: Date| d.year() * 12 + i32::from(u8::from(d.month()));
    u32::try_from(index(to) - index(from) + 1).unwrap()
}

/// The sessions a commitment of `per_month` owes over `from..=to`: a
/// month's all for a month the period covers whole, else the share of its
/// days covered, rounded down (counted here day by day).
fn owed(per_month: u32, from: Date, to: Date) -> u32 {
    let mut total = 0;
    let mut day = from;
    while day <= to {
        let length = u32::from(day.month().length(day.year()));
        let mut covered = 0;
        let month = day.month();
        while day <= to && day.month() == month {
            covered += 1;
            day = day.next_day().unwrap();
        }
        total += per_month * covered / length;
    }
    total
}

fn score(report: &Value) -> Option<f64> {
    report["group"][0]["measureScore"]["value"].as_f64()
}

fn population(report: &Value, code: &str) -> Option<i64> {
    report["group"][0]["population"]
        .as_array()?
        .iter()
        .find(|p| p["code"]["coding"][0]["code"] == code)?["count"]
        .as_i64()
}

async fn report(app: &TestApp, user: &str, measure: &str, query: &str) -> Value {
    let r = app
        .get(
            user,
            &format!("/Measure/{measure}/$evaluate-measure?{query}"),
        )
        .await;
    r.expect(200);
    r.json()
}

#[tokio::test]
async fn evaluation_reports_the_hand_computed_figures_for_every_party() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    let specialist = practitioner_of(&app, "specialist");
    let start = now - Duration::days(40);
    let made = app
        .post(
            "coordinator",
            "/HealthcareService",
            &programme(&[&specialist], start, now + Duration::days(60)),
        )
        .await;
    made.expect(201);
    let pid = made.json()["id"].as_str().unwrap().to_string();

    // Seven sessions: two held and one missed today, one cancelled by each
    // side and one still to come within the period, one after it.
    let mut ids = Vec::new();
    for begin in [
        now - Duration::hours(5),
        now - Duration::hours(5),
        now - Duration::hours(4),
        now + Duration::days(2),
        now + Duration::days(3),
        now + Duration::days(5),
        now + Duration::days(30),
    ] {
        let r = app
            .post(
                "specialist",
                "/Schedule",
                &session(&pid, &specialist, begin, 2),
            )
            .await;
        r.expect(201);
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let hold = |id: &str, seen: u64, avoided: u64| {
        let path = format!("/Schedule/{id}/$hold");
        let body = params(&[
            ("patients-seen", json!(seen)),
            ("referrals-avoided", json!(avoided)),
        ]);
        let app = &app;
        async move {
            app.post("specialist", &path, &body)
                .await
                .expect(200)
                .json()
        }
    };
    hold(&ids[0], 5, 2).await;
    hold(&ids[1], 7, 0).await;
    let primary = add_user(
        &app,
        "tc1-coordinator",
        UserRole::Coordinator,
        "zx-tc1",
        None,
    )
    .await;
    post_as(
        &app,
        &primary,
        &format!("/Schedule/{}/$miss", ids[2]),
        &params(&[]),
    )
    .await
    .expect(200);
    app.post(
        "specialist",
        &format!("/Schedule/{}/$cancel", ids[3]),
        &params(&[("reason", json!("needed in theatre"))]),
    )
    .await
    .expect(200);
    post_as(
        &app,
        &primary,
        &format!("/Schedule/{}/$cancel", ids[4]),
        &params(&[("reason", json!("vaccination day"))]),
    )
    .await
    .expect(200);

    // The specialist mentors the township's family doctor, who is
    // recognised as managing hypertension alone.
    let doctor = practitioner_of(&app, "doctor");
    let role = |code: &str, who: &str| {
        json!({"role": [{"coding": [{"system": format!("{CS}/mentorship-role"), "code": code}]}],
               "member": {"reference": format!("Practitioner/{who}")}})
    };
    let team = json!({
        "resourceType": "CareTeam",
        "category": [{"coding": [{"system": format!("{CS}/care-team-category"), "code": "mentorship"}]}],
        "period": {"start": tiercare_fhir::format_date(start.date())},
        "participant": [role("mentor", &specialist), role("mentee", &doctor)],
    });
    let made = app.post("coordinator", "/CareTeam", &team).await;
    made.expect(201);
    let mid = made.json()["id"].as_str().unwrap().to_string();
    let recognised_on = tiercare_fhir::format_date(now.date());
    app.post(
        "specialist",
        &format!("/CareTeam/{mid}/$recognise"),
        &params(&[
            (
                "doctor",
                json!({"reference": format!("Practitioner/{doctor}")}),
            ),
            ("condition", json!("I10")),
            ("since", json!(recognised_on)),
        ]),
    )
    .await
    .expect(200);

    let (from, to) = (start.date(), (now + Duration::days(14)).date());
    let period = format!("periodStart={from}&periodEnd={to}");
    let of_programme = format!("{period}&subject=HealthcareService/{pid}");

    // Six sessions start in the period (the seventh is after it): 2 held,
    // 1 missed, 1 cancelled by each side, 1 still scheduled. The
    // commitment is 4 a month, pro-rated in the months the period covers
    // only in part.
    let committed = i64::from(owed(4, from, to));
    assert!(
        committed < i64::from(4 * months(from, to)),
        "a partial month"
    );
    let kept = report(&app, "analyst", "outreach-commitment-kept", &of_programme).await;
    assert_eq!(population(&kept, "numerator"), Some(2));
    assert_eq!(population(&kept, "denominator"), Some(committed));
    assert_eq!(score(&kept), Some(2.0 / committed as f64));
    assert_eq!(
        kept["subject"]["reference"],
        format!("HealthcareService/{pid}")
    );
    let stratum_months: Vec<&str> = kept["group"][0]["stratifier"][0]["stratum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["value"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(stratum_months.len() as u32, months(from, to));
    for (code, numerator) in [
        ("outreach-hospital-cancellation", 1),
        ("outreach-primary-cancellation", 1),
        ("outreach-missed", 1),
    ] {
        let r = report(&app, "analyst", code, &of_programme).await;
        assert_eq!(population(&r, "numerator"), Some(numerator), "{code}");
        assert_eq!(population(&r, "denominator"), Some(6), "{code}");
        assert_eq!(score(&r), Some(1.0 / 6.0), "{code}");
    }
    let seen = report(&app, "analyst", "outreach-patients-seen", &of_programme).await;
    assert_eq!(score(&seen), Some(12.0));
    let avoided = report(&app, "analyst", "outreach-referrals-avoided", &of_programme).await;
    assert_eq!(score(&avoided), Some(2.0));
    // No panel and no mentoring yet: no score, never a zero.
    let control = report(&app, "analyst", "panel-control", &of_programme).await;
    assert_eq!(score(&control), None);

    // The hospital is evaluated like the programme (its only one) ...
    let of_hospital = format!("{period}&subject=Organization/zx-h1");
    let h = report(
        &app,
        "admin",
        "outreach-hospital-cancellation",
        &of_hospital,
    )
    .await;
    assert_eq!(score(&h), Some(1.0 / 6.0));
    // ... and its specialist too, who owes no commitment of their own.
    let of_specialist = format!("{period}&subject=Practitioner/{specialist}");
    let s = report(&app, "specialist", "outreach-patients-seen", &of_specialist).await;
    assert_eq!(score(&s), Some(12.0));
    let s_kept = report(
        &app,
        "specialist",
        "outreach-commitment-kept",
        &of_specialist,
    )
    .await;
    assert_eq!(score(&s_kept), None);

    // The whole evaluation of a programme in one call.
    let all = app
        .get(
            "analyst",
            &format!("/Measure/$evaluate-measure?{of_programme}"),
        )
        .await;
    all.expect(200);
    let bundle = all.json();
    assert_eq!(
        bundle["entry"].as_array().unwrap().len(),
        tiercare_core::outreach::evaluation::OUTREACH_MEASURES.len()
    );

    // Who may see what: the primary side sees the programme it takes part
    // in but not the hospital; a resident sees nothing; an unknown
    // programme is named in a 400.
    app.get(
        "doctor",
        &format!("/Measure/outreach-missed/$evaluate-measure?{of_programme}"),
    )
    .await
    .expect(200);
    assert_outcome(
        &app.get(
            "doctor",
            &format!("/Measure/outreach-missed/$evaluate-measure?{of_hospital}"),
        )
        .await,
        403,
        "evaluation",
    );
    assert_outcome(
        &app.get(
            "resident",
            &format!("/Measure/outreach-missed/$evaluate-measure?{of_programme}"),
        )
        .await,
        403,
        "evaluation",
    );
    assert_outcome(
        &app.get(
            "analyst",
            &format!("/Measure/outreach-missed/$evaluate-measure?{period}&subject=HealthcareService/nothing"),
        )
        .await,
        400,
        "subject",
    );

    // The web page shows the same figures in both languages, and its CSV
    // the same rows.
    let analyst = sign_in(&app, "analyst").await;
    for lang in Lang::ALL {
        let page = ui_get_in(
            &app,
            Some(&analyst),
            &format!("/ui/programmes?from={from}&to={to}&subject=programme:{pid}"),
            lang,
        )
        .await;
        page.expect(200);
        let (words, other) = match lang {
            Lang::Zh => (
                [
                    "专家下沉项目：",
                    "坐诊承诺履约率",
                    "医院取消坐诊比例",
                    ">承诺次数</th>",
                    "带教新增的诊治能力",
                ],
                "Outreach commitment kept",
            ),
            Lang::En => (
                [
                    "Joint programmes: ",
                    "Outreach commitment kept",
                    "Sessions cancelled by the hospital",
                    ">Committed</th>",
                    "Capability added by mentoring",
                ],
                "坐诊承诺履约率",
            ),
        };
        for w in words {
            assert!(page.body.contains(w), "{}: no {w:?}", lang.code());
        }
        assert!(!page.body.contains(other), "{}: {other:?}", lang.code());
        for (code, value) in [
            ("outreach-hospital-cancellation", 1.0 / 6.0),
            ("outreach-patients-seen", 12.0),
            ("outreach-commitment-kept", 2.0 / committed as f64),
        ] {
            let needle = format!(r#"data-measure="{code}" data-value=""#);
            let at = page
                .body
                .find(&needle)
                .unwrap_or_else(|| panic!("{code} on the page"));
            let rest = &page.body[at + needle.len()..];
            let shown: f64 = rest[..rest.find('"').unwrap()].parse().unwrap();
            assert!(
                (shown - value).abs() < 1e-9,
                "{code}: {shown} against {value}"
            );
        }
    }
    let csv = ui_get(
        &app,
        Some(&analyst),
        &format!("/ui/programmes.csv?table=programmes&from={from}&to={to}&subject=region"),
    )
    .await;
    csv.expect(200);
    // A UTF-8 file Excel opens as such, headed in Chinese, named after the
    // subject and the period.
    assert!(
        csv.body
            .starts_with(&format!("{BOM}项目,承诺次数,排定次数,已开展,")),
        "{}",
        csv.body
    );
    let disposition = csv.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.contains(&format!(
            "filename=\"tiercare-programmes-programmes-region-{from}-{to}.csv\""
        )) && disposition.contains("filename*=UTF-8''%E4%B8%93%E5%AE%B6"),
        "{disposition}"
    );
    let row = csv
        .body
        .lines()
        .find(|l| l.starts_with(&format!("programme:{pid},")))
        .expect("the programme's row");
    let cells: Vec<&str> = row.split(',').collect();
    // programme, committed, scheduled, held, cancelled by hospital, by
    // primary, missed, ...
    assert_eq!(
        &cells[1..7],
        &[&committed.to_string(), "6", "2", "1", "1", "1"]
    );
    // In English the headings change, never the cells.
    let en = ui_get_in(
        &app,
        Some(&analyst),
        &format!("/ui/programmes.csv?table=programmes&from={from}&to={to}&subject=region"),
        Lang::En,
    )
    .await;
    en.expect(200);
    assert!(
        en.body
            .starts_with(&format!("{BOM}Programme,Committed,Scheduled,Held,")),
        "{}",
        en.body
    );
    assert_eq!(
        en.body.lines().skip(1).collect::<Vec<_>>(),
        csv.body.lines().skip(1).collect::<Vec<_>>()
    );
    // What the mentoring added: the township now manages hypertension.
    let capability = ui_get(
        &app,
        Some(&analyst),
        &format!("/ui/programmes.csv?table=capability&from={from}&to={to}&subject=programme:{pid}"),
    )
    .await;
    capability.expect(200);
    let row = capability
        .body
        .lines()
        .find(|l| l.starts_with("zx-tc1,"))
        .expect("the township's capability");
    assert!(row.ends_with(&format!(",I10,1,{recognised_on}")), "{row}");
    // Before it was recognised, nothing.
    let before = ui_get(
        &app,
        Some(&analyst),
        &format!(
            "/ui/programmes.csv?table=capability&from={from}&to={}&subject=programme:{pid}",
            (now - Duration::days(1)).date()
        ),
    )
    .await;
    assert_eq!(before.body.lines().count(), 1, "{}", before.body);
    // A resident is refused the page.
    let resident = sign_in(&app, "resident").await;
    assert_eq!(
        ui_get(&app, Some(&resident), "/ui/programmes").await.status,
        403
    );

    assert_valid_fhir(&[kept, h, s, bundle]);
}
