//! The oversight indicators as FHIR: `Measure` definitions and
//! `$evaluate-measure` reports, checked against figures worked out by hand
//! from facts written straight into the store.

use crate::helpers::{TestApp, assert_outcome, entries, send, spawn_app};
use crate::search::{check_searchset, link};
use crate::validate::assert_valid_fhir;
use serde_json::{Value, json};
use tiercare_core::Level;
use tiercare_core::emergency::accreditation::definitions::EMERGENCY_MEASURES;
use tiercare_core::flows::measures::FLOW_MEASURES;
use tiercare_core::indicators::{Charge, Direction, Fact, Ix, MEASURES, Visit, VisitKind};
use tiercare_core::insurance::Fen;
use tiercare_core::outreach::evaluation::OUTREACH_MEASURES;
use tiercare_service::indicators::day_of;
use tiercare_store::{AuditQuery, Expect, Write};
use time::Date;
use time::macros::date;

const MARCH: &str = "periodStart=2026-03-01&periodEnd=2026-03-31";

fn day(d: Date) -> i32 {
    day_of(d)
}

/// An outpatient visit by a resident of the region.
fn visit(on: Date, at: Ix, level: Level, kind: VisitKind, charge: Option<(i64, i64)>) -> Visit {
    Visit {
        day: day(on),
        institution: at,
        level,
        kind,
        positioned: Some(Level::Primary),
        emergency: false,
        inpatient: false,
        resident: true,
        charge: charge.map(|(cost, oop)| Charge {
            scheme: 0,
            cost: Fen::new(cost),
            out_of_pocket: Fen::new(oop),
        }),
        wait_days: 0.0,
    }
}

/// Writes the test's facts with a rewrite of an institution record (facts
/// travel with a record write), numbering institutions as the platform
/// does. In March 2026: three primary outpatient visits (two at Hekou
/// township, zx-tc1, one at Chengnan community centre, zx-chc1, of the
/// urban group), one secondary (a bypass at the People's Hospital, zx-h1,
/// lead of the county medical community with zx-tc1), and an admission at
/// the city's tertiary hospital zx-t1; two referrals up and one down, one
/// booked after 4 days, two completed (one reported back). One more
/// primary visit in February, at Shuangqiao township (zx-tc2).
async fn write_facts(app: &TestApp) {
    let store = &app.state.ctx.store;
    let ix = |id: &'static str| async move { store.institution_ix(id).await.expect("number") };
    let (tc1, tc2, chc1, h1, t1) = (
        ix("zx-tc1").await,
        ix("zx-tc2").await,
        ix("zx-chc1").await,
        ix("zx-h1").await,
        ix("zx-t1").await,
    );
    use Level::*;
    use VisitKind::*;
    let mut admission = visit(date!(2026 - 03 - 12), t1, Tertiary, ReferredUp, None);
    admission.inpatient = true;
    let facts = vec![
        Fact::Visit(visit(
            date!(2026 - 02 - 10),
            tc2,
            Primary,
            FirstContact,
            None,
        )),
        Fact::Visit(visit(
            date!(2026 - 03 - 02),
            tc1,
            Primary,
            FirstContact,
            Some((8600, 2580)),
        )),
        Fact::Visit(visit(date!(2026 - 03 - 05), tc1, Primary, FollowUp, None)),
        Fact::Visit(visit(
            date!(2026 - 03 - 09),
            chc1,
            Primary,
            FirstContact,
            None,
        )),
        Fact::Visit(visit(
            date!(2026 - 03 - 10),
            h1,
            Secondary,
            FirstContact,
            Some((22600, 12430)),
        )),
        Fact::Visit(admission),
        Fact::Referral {
            day: day(date!(2026 - 03 - 05)),
            from: tc1,
            to: h1,
            direction: Direction::Up,
        },
        Fact::Referral {
            day: day(date!(2026 - 03 - 06)),
            from: tc1,
            to: t1,
            direction: Direction::Up,
        },
        Fact::Referral {
            day: day(date!(2026 - 03 - 20)),
            from: h1,
            to: tc2,
            direction: Direction::Down,
        },
        // The loop's steps count on the day of the request.
        Fact::ReferralBooked {
            day: day(date!(2026 - 03 - 05)),
            from: tc1,
            to: h1,
            wait_days: 4,
        },
        Fact::ReferralCompleted {
            day: day(date!(2026 - 03 - 05)),
            from: tc1,
            to: h1,
            report_back: true,
        },
        Fact::ReferralCompleted {
            day: day(date!(2026 - 03 - 06)),
            from: tc1,
            to: t1,
            report_back: false,
        },
    ];
    let carrier = store
        .get("Organization", "zx-tc1")
        .await
        .expect("read")
        .expect("zx-tc1 is in the demo county");
    store
        .write_all(
            vec![Write {
                index: tiercare_fhir::index(&carrier.record),
                record: carrier.record,
                expect: Expect::Version(carrier.version),
                actor: "test".into(),
                events: vec![],
                facts,
            }],
            vec![],
        )
        .await
        .expect("write the facts");
}

async fn audit_total(app: &TestApp) -> u64 {
    app.state
        .ctx
        .store
        .audit_search(&AuditQuery {
            count: 1,
            ..Default::default()
        })
        .await
        .expect("audit")
        .1
}

/// The count of one population (by its code) in a group or stratum.
fn count(part: &Value, code: &str) -> Option<i64> {
    part["population"]
        .as_array()?
        .iter()
        .find(|p| p["code"]["coding"][0]["code"] == code)?["count"]
        .as_i64()
}

fn score(part: &Value) -> Option<f64> {
    part["measureScore"]["value"].as_f64()
}

/// The stratum of a level in a report.
fn stratum<'a>(report: &'a Value, level: &str) -> &'a Value {
    report["group"][0]["stratifier"][0]["stratum"]
        .as_array()
        .expect("strata")
        .iter()
        .find(|s| s["value"]["coding"][0]["code"] == level)
        .unwrap_or_else(|| panic!("no stratum {level}: {report}"))
}

/// `Measure/{code}/$evaluate-measure?{query}` as a user, asserting 200.
async fn report(app: &TestApp, user: &str, code: &str, query: &str) -> Value {
    let resp = app
        .get(user, &format!("/Measure/{code}/$evaluate-measure?{query}"))
        .await;
    resp.expect(200);
    let v = resp.json();
    assert_eq!(v["resourceType"], "MeasureReport", "{v}");
    v
}

#[tokio::test]
async fn measures_define_every_indicator() {
    let app = spawn_app().await;
    // More measures than a default page holds: ask for them all.
    let resp = app.get("resident", "/Measure?_count=100").await;
    resp.expect(200);
    let bundle = resp.json();
    check_searchset(&app, &bundle, "Measure");
    let all = entries(&bundle);
    // The oversight indicators, then the evaluation of joint programmes,
    // then the resource flows, then the emergency centres' measures.
    assert_eq!(
        bundle["total"],
        (MEASURES.len() + OUTREACH_MEASURES.len() + FLOW_MEASURES.len() + EMERGENCY_MEASURES.len())
            as u64
    );
    let ids: Vec<&str> = all.iter().map(|m| m["id"].as_str().unwrap()).collect();
    let codes: Vec<&str> = MEASURES
        .iter()
        .map(|m| m.code)
        .chain(OUTREACH_MEASURES.iter().map(|m| m.code))
        .chain(FLOW_MEASURES.iter().map(|m| m.code))
        .chain(EMERGENCY_MEASURES.iter().map(|m| m.code))
        .collect();
    assert_eq!(ids, codes);
    let kept = app.get("doctor", "/Measure/outreach-commitment-kept").await;
    kept.expect(200);
    assert_eq!(
        kept.json()["subjectCodeableConcept"]["coding"][0]["code"],
        "HealthcareService"
    );
    assert_eq!(
        kept.json()["group"][0]["stratifier"][0]["code"]["text"],
        "month"
    );

    // Each reads back as in the search, with its canonical URL.
    let share = app.get("doctor", "/Measure/primary-visit-share").await;
    share.expect(200);
    let share = share.json();
    assert_eq!(share, all[0]);
    assert_eq!(
        share["url"],
        "https://tiercare.org/fhir/Measure/primary-visit-share"
    );
    assert_eq!(share["name"], "PrimaryVisitShare");
    assert_eq!(share["status"], "active");
    assert_eq!(
        share["description"],
        "Outpatient visits at primary institutions / all outpatient visits."
    );
    assert_eq!(share["scoring"]["coding"][0]["code"], "proportion");
    assert_eq!(
        share["improvementNotation"]["coding"][0]["code"],
        "increase"
    );
    assert!(
        share["guidance"].as_str().unwrap().contains("51.7%"),
        "{share}"
    );
    let group = &share["group"][0];
    let populations: Vec<&str> = group["population"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(populations, ["numerator", "denominator"]);
    assert_eq!(group["population"][0]["criteria"]["language"], "text/plain");
    assert_eq!(group["stratifier"][0]["code"]["text"], "level");

    // A count has no better direction and is a continuous variable.
    let up = app.get("analyst", "/Measure/referrals-up").await.json();
    assert_eq!(up["scoring"]["coding"][0]["code"], "continuous-variable");
    assert!(up.get("improvementNotation").is_none(), "{up}");
    let populations: Vec<&str> = up["group"][0]["population"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(populations, ["measure-population", "measure-observation"]);

    // Searches by id, url, name and title; paging.
    for (query, expected) in [
        ("_id=loop-closure", vec!["loop-closure"]),
        (
            "url=https://tiercare.org/fhir/Measure/access",
            vec!["access"],
        ),
        ("name=referrals", vec!["referrals-up", "referrals-down"]),
        ("name=PRIMARY", vec!["primary-visit-share"]),
        ("title=bed", vec!["bed-utilisation"]),
        ("_id=access,bypass-share", vec!["bypass-share", "access"]),
        ("status=retired", vec![]),
    ] {
        let resp = app.get("admin", &format!("/Measure?{query}")).await;
        resp.expect(200);
        let b = resp.json();
        check_searchset(&app, &b, "Measure");
        let found: Vec<String> = entries(&b)
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(found, expected, "{query}");
    }
    let page = app.get("admin", "/Measure?_count=5&_offset=5").await.json();
    assert_eq!(entries(&page).len(), 5);
    assert_eq!(entries(&page)[0]["id"], MEASURES[5].code);
    assert!(link(&page, "next").is_some() && link(&page, "previous").is_some());
    assert_eq!(page["total"], bundle["total"]);

    assert_outcome(
        &app.get("admin", "/Measure?colour=blue").await,
        400,
        "colour",
    );
    assert_outcome(
        &app.get("admin", "/Measure/no-such-measure").await,
        404,
        "no-such-measure",
    );
    let anonymous = send(app.client.get(app.fhir_url("/Measure"))).await;
    assert_eq!(anonymous.status, 401);

    let mut valid = vec![bundle, page, share, up];
    valid.extend(all);
    assert_valid_fhir(&valid);
}

#[tokio::test]
async fn reports_give_the_hand_computed_figures() {
    let app = spawn_app().await;
    write_facts(&app).await;
    let audited = audit_total(&app).await;

    // 3 primary of 4 outpatient visits (the admission is no outpatient
    // visit); by level 3/3, 0/1 and nothing at tertiary level.
    let share = report(&app, "analyst", "primary-visit-share", MARCH).await;
    assert_eq!(share["status"], "complete");
    assert_eq!(share["type"], "summary");
    assert_eq!(
        share["measure"],
        "https://tiercare.org/fhir/Measure/primary-visit-share"
    );
    assert_eq!(
        share["period"],
        json!({"start": "2026-03-01", "end": "2026-03-31"})
    );
    assert!(share.get("subject").is_none(), "the region: {share}");
    assert_eq!(share["reporter"]["identifier"]["value"], "zx");
    let group = &share["group"][0];
    assert_eq!(score(group), Some(0.75));
    assert_eq!(group["measureScore"]["code"], "1");
    assert_eq!(count(group, "numerator"), Some(3));
    assert_eq!(count(group, "denominator"), Some(4));
    let primary = stratum(&share, "primary");
    assert_eq!(score(primary), Some(1.0));
    assert_eq!(count(primary, "denominator"), Some(3));
    assert_eq!(score(stratum(&share, "secondary")), Some(0.0));
    let tertiary = stratum(&share, "tertiary");
    assert_eq!(score(tertiary), None, "nothing to share: {tertiary}");
    assert_eq!(count(tertiary, "denominator"), Some(0));

    // An alliance counts its members only: the county medical community
    // has Hekou (2 visits) and the People's Hospital (1), the urban group
    // Chengnan (1).
    let ccmc = report(
        &app,
        "analyst",
        "primary-visit-share",
        &format!("{MARCH}&subject=Organization/zx-all-ccmc"),
    )
    .await;
    assert_eq!(ccmc["subject"]["reference"], "Organization/zx-all-ccmc");
    assert_eq!(score(&ccmc["group"][0]), Some(2.0 / 3.0));
    assert_eq!(score(stratum(&ccmc, "primary")), Some(1.0));
    assert_eq!(count(stratum(&ccmc, "primary"), "numerator"), Some(2));
    assert_eq!(score(stratum(&ccmc, "secondary")), Some(0.0));
    let umg = report(
        &app,
        "analyst",
        "primary-visit-share",
        &format!("{MARCH}&subject=Organization/zx-all-umg"),
    )
    .await;
    assert_eq!(score(&umg["group"][0]), Some(1.0));
    assert_eq!(count(&umg["group"][0], "denominator"), Some(1));
    // One institution, and one level of the region.
    let hekou = report(
        &app,
        "admin",
        "primary-visit-share",
        &format!("{MARCH}&subject=Organization/zx-tc1"),
    )
    .await;
    assert_eq!(count(&hekou["group"][0], "denominator"), Some(2));
    assert_eq!(hekou["subject"]["display"], "河口镇卫生院");
    let secondary = report(
        &app,
        "admin",
        "primary-visit-share",
        &format!("{MARCH}&subject=Group/level-secondary"),
    )
    .await;
    assert_eq!(score(&secondary["group"][0]), Some(0.0));
    assert_eq!(secondary["subject"]["reference"], "Group/level-secondary");

    // February has only Shuangqiao's visit; before the facts, nothing.
    let february = report(
        &app,
        "admin",
        "primary-visit-share",
        "periodStart=2026-02&periodEnd=2026-02",
    )
    .await;
    assert_eq!(
        february["period"],
        json!({"start": "2026-02-01", "end": "2026-02-28"})
    );
    assert_eq!(count(&february["group"][0], "denominator"), Some(1));
    let before = report(
        &app,
        "admin",
        "primary-visit-share",
        "periodStart=2025-01-01&periodEnd=2025-12-31",
    )
    .await;
    let group = &before["group"][0];
    assert!(
        group.get("measureScore").is_none(),
        "no score, not 0: {before}"
    );
    assert_eq!(count(group, "denominator"), Some(0));
    assert!(
        stratum(&before, "primary").get("measureScore").is_none(),
        "{before}"
    );

    // The other figures of March, one by one.
    let figure = |code: &'static str| {
        let app = &app;
        async move { report(app, "analyst", code, MARCH).await }
    };
    let ratio = figure("down-up-ratio").await;
    assert_eq!(score(&ratio["group"][0]), Some(0.5));
    assert_eq!(count(&ratio["group"][0], "numerator"), Some(1));
    assert_eq!(count(&ratio["group"][0], "denominator"), Some(2));
    let up = figure("referrals-up").await;
    assert_eq!(score(&up["group"][0]), Some(2.0));
    assert_eq!(count(&up["group"][0], "measure-population"), Some(2));
    // Both upward referrals left from primary level.
    assert_eq!(
        count(stratum(&up, "primary"), "measure-population"),
        Some(2)
    );
    assert_eq!(
        count(stratum(&up, "secondary"), "measure-population"),
        Some(0)
    );
    let closure = figure("loop-closure").await;
    assert_eq!(score(&closure["group"][0]), Some(0.5));
    let wait = figure("time-to-appointment").await;
    assert_eq!(
        wait["group"][0]["measureScore"],
        json!({"value": 4.0, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"})
    );
    assert_eq!(wait["improvementNotation"]["coding"][0]["code"], "decrease");
    // The bypass at the People's Hospital is the one hospital outpatient
    // visit.
    let bypass = figure("bypass-share").await;
    assert_eq!(score(&bypass["group"][0]), Some(1.0));
    // (86 + 226) yuan over two claimed visits.
    let spent = figure("expenditure-per-visit").await;
    assert_eq!(
        spent["group"][0]["measureScore"],
        json!({"value": 156.0, "unit": "yuan", "system": "urn:iso:std:iso:4217", "code": "CNY"})
    );
    assert_eq!(count(&spent["group"][0], "measure-population"), Some(2));
    // Money is not counted as a population.
    let oop = figure("out-of-pocket-share").await;
    let expected = (2580.0 + 12430.0) / (8600.0 + 22600.0);
    assert!((score(&oop["group"][0]).unwrap() - expected).abs() < 1e-12);
    assert!(oop["group"][0].get("population").is_none(), "{oop}");
    // No residents recorded: coverage is undefined, not zero.
    let coverage = figure("contract-coverage").await;
    assert!(
        coverage["group"][0].get("measureScore").is_none(),
        "{coverage}"
    );
    assert_eq!(count(&coverage["group"][0], "denominator"), Some(0));

    // The dashboard's one call: every measure's report, with the same
    // figures as one by one.
    let resp = app
        .get("analyst", &format!("/Measure/$evaluate-measure?{MARCH}"))
        .await;
    resp.expect(200);
    let bundle = resp.json();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    let reports = entries(&bundle);
    assert_eq!(reports.len(), MEASURES.len());
    for (r, m) in reports.iter().zip(MEASURES) {
        assert_eq!(
            r["measure"],
            format!("https://tiercare.org/fhir/Measure/{}", m.code)
        );
    }
    assert_eq!(reports[0]["group"], share["group"]);
    assert_eq!(reports[2]["group"], up["group"]);
    // Naming one measure on the type gives its report alone.
    let one = app
        .get(
            "analyst",
            &format!("/Measure/$evaluate-measure?{MARCH}&measure=https://tiercare.org/fhir/Measure/loop-closure"),
        )
        .await;
    one.expect(200);
    assert_eq!(one.json()["group"], closure["group"]);
    // POST with a Parameters body answers the same.
    let params = json!({"resourceType": "Parameters", "parameter": [
        {"name": "periodStart", "valueDate": "2026-03-01"},
        {"name": "periodEnd", "valueDate": "2026-03-31"},
        {"name": "subject", "valueString": "Organization/zx-all-ccmc"}
    ]});
    let posted = app
        .post(
            "analyst",
            "/Measure/primary-visit-share/$evaluate-measure",
            &params,
        )
        .await;
    posted.expect(200);
    assert_eq!(posted.json()["group"], ccmc["group"]);
    let posted_all = app
        .post("analyst", "/Measure/$evaluate-measure", &params)
        .await;
    posted_all.expect(200);
    assert_eq!(entries(&posted_all.json())[0]["group"], ccmc["group"]);

    // Aggregates are no patient access: nothing was audited.
    assert_eq!(audit_total(&app).await, audited);

    assert_valid_fhir(&[
        share, ccmc, umg, hekou, secondary, february, before, ratio, up, closure, wait, bypass,
        spent, oop, coverage, bundle,
    ]);
}

#[tokio::test]
async fn reports_follow_who_may_see_which_subject() {
    let app = spawn_app().await;
    write_facts(&app).await;
    let doctor = app
        .user("doctor")
        .institution
        .clone()
        .expect("doctor's institution");
    assert_eq!(doctor.as_str(), "zx-tc1", "the demo doctor works at Hekou");
    let coordinator = app
        .user("coordinator")
        .institution
        .clone()
        .expect("coordinator's institution");
    assert_eq!(coordinator.as_str(), "zx-h1");
    let path = |subject: &str| {
        let subject = if subject.is_empty() {
            String::new()
        } else {
            format!("&subject={subject}")
        };
        format!("/Measure/primary-visit-share/$evaluate-measure?{MARCH}{subject}")
    };
    for (user, subject, allowed) in [
        ("admin", "", true),
        ("analyst", "", true),
        ("analyst", "Organization/zx-h2", true),
        ("analyst", "Group/level-primary", true),
        // Staff: their own institution and its alliances.
        ("doctor", "Organization/zx-tc1", true),
        ("doctor", "Organization/zx-all-ccmc", true),
        ("doctor", "Organization/zx-tc2", false),
        ("doctor", "Organization/zx-h1", false),
        ("doctor", "Organization/zx-all-umg", false),
        ("doctor", "", false),
        ("doctor", "Group/level-primary", false),
        ("coordinator", "Organization/zx-h1", true),
        ("coordinator", "Organization/zx-all-ccmc", true),
        ("coordinator", "Organization/zx-all-umg", false),
        ("coordinator", "", false),
        ("resident", "", false),
        ("resident", "Organization/zx-tc1", false),
    ] {
        let resp = app.get(user, &path(subject)).await;
        if allowed {
            assert_eq!(resp.status, 200, "{user} {subject:?}: {}", resp.body);
            assert_eq!(resp.json()["resourceType"], "MeasureReport");
        } else {
            assert_outcome(&resp, 403, "analysts");
        }
    }
    // The dashboard's call follows the same rule.
    let all = |subject: &str| format!("/Measure/$evaluate-measure?{MARCH}&subject={subject}");
    app.get("doctor", &all("Organization/zx-all-ccmc"))
        .await
        .expect(200);
    assert_outcome(
        &app.get("doctor", &all("Organization/zx-h2")).await,
        403,
        "analysts",
    );
    assert_outcome(
        &app.get("resident", &format!("/Measure/$evaluate-measure?{MARCH}"))
            .await,
        403,
        "analysts",
    );
    // Definitions are for everyone signed in.
    app.get("resident", "/Measure/access").await.expect(200);
    let anonymous = send(
        app.client
            .get(app.fhir_url(&format!("/Measure/$evaluate-measure?{MARCH}"))),
    )
    .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn bad_evaluate_inputs_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let at = |query: &str| format!("/Measure/primary-visit-share/$evaluate-measure?{query}");
    for (query, name) in [
        ("periodEnd=2026-03-31", "periodStart"),
        ("periodStart=2026-03-01", "periodEnd"),
        ("periodStart=2026-03-01&periodEnd=2026-13-01", "periodEnd"),
        ("periodStart=March&periodEnd=2026-03-31", "periodStart"),
        ("periodStart=2026-03-31&periodEnd=2026-03-01", "periodEnd"),
        (
            &format!("{MARCH}&subject=Organization/zx-nowhere"),
            "subject",
        ),
        (&format!("{MARCH}&subject=Patient/res-000001"), "subject"),
        (&format!("{MARCH}&subject=Group/level-fourth"), "subject"),
        (&format!("{MARCH}&subject=zx-h1"), "subject"),
        (&format!("{MARCH}&colour=blue"), "colour"),
        (&format!("{MARCH}&reportType=subject-list"), "reportType"),
        (&format!("{MARCH}&periodStart=2026-01-01"), "periodStart"),
        // `measure` is for the type, where no measure is in the path.
        (&format!("{MARCH}&measure=access"), "measure"),
    ] {
        let resp = app.get("admin", &at(query)).await;
        let v = assert_outcome(&resp, 400, name);
        assert_eq!(v["issue"][0]["expression"][0], name, "{query}: {v}");
    }
    let resp = app
        .get(
            "admin",
            &format!("/Measure/$evaluate-measure?{MARCH}&measure=nothing"),
        )
        .await;
    assert_outcome(&resp, 400, "measure");
    assert_outcome(
        &app.get(
            "admin",
            &format!("/Measure/nothing/$evaluate-measure?{MARCH}"),
        )
        .await,
        404,
        "nothing",
    );
    assert_outcome(
        &app.get("admin", &format!("/Measure/access/$evaluate?{MARCH}"))
            .await,
        404,
        "$evaluate-measure",
    );
    let not_parameters = app
        .post(
            "admin",
            "/Measure/access/$evaluate-measure",
            &json!({"resourceType": "Patient"}),
        )
        .await;
    assert_outcome(&not_parameters, 400, "Parameters");
    // A well-formed request for a period with no facts is fine.
    report(&app, "admin", "access", MARCH).await;
}
