//! `$estimate`: a visit's cost at each level, with and without a referral,
//! as the core's insurance rules price it.

use crate::helpers::{assert_outcome, send, spawn_app, spawn_app_with, workspace_root};
use crate::validate::assert_valid_fhir;
use serde_json::{Value, json};
use tiercare_core::Level;
use tiercare_core::insurance::{Accumulator, Fen, SchemeId, ServiceType, Split, Visit, estimate};

/// The four amounts of one side of a row, as fen.
fn amounts(parts: &Value) -> [Fen; 4] {
    let get = |name: &str| -> Fen {
        let part = parts
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {parts}"));
        assert_eq!(part["valueMoney"]["currency"], "CNY");
        // The JSON number's text is the exact yuan amount.
        format!("{:.2}", part["valueMoney"]["value"].as_f64().unwrap())
            .parse()
            .unwrap()
    };
    [
        get("total"),
        get("deductible"),
        get("covered"),
        get("out-of-pocket"),
    ]
}

fn of(s: &Split) -> [Fen; 4] {
    [s.total, s.deductible, s.covered, s.out_of_pocket]
}

/// The rows of an estimate answer: level, self-referred, referred.
fn rows(v: &Value) -> Vec<(String, [Fen; 4], [Fen; 4])> {
    v["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "estimate")
        .map(|p| {
            let part = |n: &str| {
                p["part"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|q| q["name"] == n)
                    .unwrap()
                    .clone()
            };
            (
                part("level")["valueCode"].as_str().unwrap().to_string(),
                amounts(&part("self-referred")["part"]),
                amounts(&part("referred")["part"]),
            )
        })
        .collect()
}

/// What the core says for the same inputs.
fn core_rows(
    policy: &tiercare_core::policy::Policy,
    scheme: &str,
    total: &str,
) -> Vec<(String, [Fen; 4], [Fen; 4])> {
    let rules = policy.insurance.as_ref().unwrap();
    let date = time::OffsetDateTime::now_utc().date();
    let visit = Visit {
        scheme: SchemeId::new(scheme).unwrap(),
        level: Level::Primary,
        service: ServiceType::Outpatient,
        total: total.parse().unwrap(),
        date,
        referral: None,
        follow_up: false,
        emergency: false,
        at_contracted_primary: false,
        episode_deductible_paid: Fen::ZERO,
    };
    let acc = Accumulator::new(SchemeId::new(scheme).unwrap(), date.year());
    estimate(rules, &visit, &acc)
        .unwrap()
        .rows
        .iter()
        .map(|r| {
            (
                r.level.code().to_string(),
                of(&r.self_referred),
                of(&r.referred),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_estimate_is_the_cores_at_every_level() {
    let app = spawn_app().await;
    let resp = app
        .get("resident", "/$estimate?scheme=urrbmi&total=350.00")
        .await;
    resp.expect(200);
    let v = resp.json();
    let got = rows(&v);
    assert_eq!(got, core_rows(&app.state.ctx.policy, "urrbmi", "350.00"));
    assert_eq!(got.len(), 3);
    for (level, self_referred, referred) in &got {
        for side in [self_referred, referred] {
            assert_eq!(side[0], "350.00".parse().unwrap(), "{level}");
            assert_eq!(
                side[2].saturating_add(side[3]),
                side[0],
                "{level}: covered + out of pocket"
            );
        }
        assert!(
            referred[3] <= self_referred[3],
            "{level}: a referral never costs more"
        );
    }
    // Primary care costs the patient less than the top of the pyramid.
    assert!(got[0].1[3] < got[2].1[3], "{got:?}");
    // POST with Parameters answers the same.
    let post = app
        .post(
            "doctor",
            "/$estimate",
            &json!({"resourceType": "Parameters", "parameter": [
                {"name": "scheme", "valueCode": "urrbmi"},
                {"name": "total", "valueDecimal": 350.00}]}),
        )
        .await;
    post.expect(200);
    assert_eq!(rows(&post.json()), got);
    // total is declared an amount: text is not one, and is refused.
    let text = app
        .post(
            "doctor",
            "/$estimate",
            &json!({"resourceType": "Parameters", "parameter": [
                {"name": "scheme", "valueCode": "urrbmi"},
                {"name": "total", "valueString": "350.00"}]}),
        )
        .await;
    assert_outcome(&text, 400, "total");
    assert_valid_fhir(&[v]);
}

#[tokio::test]
async fn hangzhou_2014_rates_come_out_of_its_policy_file() {
    let path = workspace_root().join("crates/core/data/hangzhou-2014-policy.toml");
    let app = spawn_app_with(|s| s.policy_file = Some(path.display().to_string())).await;
    for (scheme, primary, tertiary) in [("uebmi", 88, 76), ("urbmi", 70, 40)] {
        let resp = app
            .get(
                "resident",
                &format!("/$estimate?scheme={scheme}&total=3000.00"),
            )
            .await;
        resp.expect(200);
        let got = rows(&resp.json());
        assert_eq!(got, core_rows(&app.state.ctx.policy, scheme, "3000.00"));
        // Past the (same) deductible and under the caps, the fund pays the
        // published rate.
        let rate = |row: &[Fen; 4]| {
            let paid_over = row[0].minus_floor_zero(row[1]);
            (row[2].fen() * 100 + paid_over.fen() / 2) / paid_over.fen()
        };
        let by_level = |l: &str| got.iter().find(|r| r.0 == l).unwrap().1;
        assert_eq!(
            by_level("primary")[1],
            by_level("tertiary")[1],
            "{scheme}: same deductible"
        );
        assert_eq!(rate(&by_level("primary")), primary, "{scheme} primary");
        assert_eq!(rate(&by_level("tertiary")), tertiary, "{scheme} tertiary");
    }
}

#[tokio::test]
async fn bad_estimates_name_the_input() {
    let app = spawn_app().await;
    for (query, status, needle) in [
        ("total=350.00", 400, "scheme"),
        ("scheme=nhs&total=350.00", 422, "scheme"),
        ("scheme=urrbmi", 400, "total"),
        ("scheme=urrbmi&total=3.5.0", 400, "total"),
        ("scheme=urrbmi&total=-5.00", 422, "total"),
        ("scheme=urrbmi&total=350.00&service=dental", 400, "service"),
        (
            "scheme=urrbmi&total=350.00&emergency=maybe",
            400,
            "emergency",
        ),
        ("scheme=urrbmi&total=350.00&colour=blue", 400, "colour"),
        ("scheme=urrbmi&total=350.00&date=tomorrow", 400, "date"),
    ] {
        let resp = app.get("resident", &format!("/$estimate?{query}")).await;
        assert_outcome(&resp, status, needle);
    }
    let anonymous = send(
        app.client
            .get(app.fhir_url("/$estimate?scheme=urrbmi&total=1.00")),
    )
    .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn every_finished_visit_is_claimed_and_moves_the_residents_account() {
    use crate::closed_loop::post_op;
    let app = spawn_app().await;
    let patient = "res-000001";
    let coverage = app
        .get("resident", &format!("/Coverage/cov-{patient}"))
        .await;
    coverage.expect(200);
    let scheme = coverage.json()["class"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();

    // A self-referred hospital visit, billed 500 yuan.
    let slots = app
        .get("admin", "/Slot?organization=Organization/zx-h1&service-type=cardiology&status=free&reserved=false")
        .await
        .json();
    let slot = crate::helpers::entries(&slots)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let appointment = crate::helpers::self_book(&app, patient, &slot).await;
    app.on_day_of_appointment(&appointment).await;
    let arrived = post_op(
        &app,
        "coordinator",
        &format!("/Appointment/{appointment}/$arrive"),
        json!({"resourceType": "Parameters"}),
    )
    .await;
    arrived.expect(201);
    let encounter = arrived.json()["id"].as_str().unwrap().to_string();
    let bad = post_op(&app, "coordinator", &format!("/Encounter/{encounter}/$finish"),
        json!({"resourceType": "Parameters", "parameter": [{"name": "charge", "valueString": "five hundred"}]})).await;
    assert_outcome(&bad, 400, "charge");
    post_op(&app, "coordinator", &format!("/Encounter/{encounter}/$finish"),
        json!({"resourceType": "Parameters", "parameter": [{"name": "charge", "valueMoney": {"value": 500.00, "currency": "CNY"}}]}))
        .await
        .expect(200);

    let eobs = app
        .get(
            "doctor",
            &format!("/ExplanationOfBenefit?patient=Patient/{patient}"),
        )
        .await;
    eobs.expect(200);
    let eobs = crate::helpers::entries(&eobs.json());
    assert_eq!(eobs.len(), 1);
    let eob = &eobs[0];
    let total = |code: &str| -> Fen {
        let t = eob["total"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["category"]["coding"][0]["code"] == code)
            .unwrap();
        format!("{:.2}", t["amount"]["value"].as_f64().unwrap())
            .parse()
            .unwrap()
    };
    assert_eq!(total("submitted"), "500.00".parse().unwrap());
    assert_eq!(
        total("benefit").saturating_add(total("out-of-pocket")),
        total("submitted")
    );
    // Self-referred at a hospital under the demo's financial gatekeeping:
    // the bypass penalty is one of the rules applied.
    let notes = eob["processNote"].to_string();
    assert!(notes.contains("bypass-penalty"), "{notes}");
    assert_eq!(
        eob["insurance"][0]["coverage"]["reference"],
        format!("Coverage/cov-{patient}")
    );

    // The claim and the account were written with the visit's end.
    let year = time::OffsetDateTime::now_utc().year();
    let account = app
        .state
        .ctx
        .store
        .get("Account", &format!("acc-{patient}-{scheme}-{year}"))
        .await
        .unwrap()
        .expect("the resident's account for the year");
    let tiercare_core::Record::Account(account) = account.record else {
        panic!("not an account")
    };
    assert_eq!(account.accumulator.reimbursed_total(), total("benefit"));
    let events = app
        .state
        .ctx
        .store
        .events_after(0, 1_000_000)
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "claim.adjudicated.v1")
            .count(),
        1
    );

    // Only those caring for the patient see the claim.
    assert_outcome(
        &app.get(
            "analyst",
            &format!("/ExplanationOfBenefit/{}", eob["id"].as_str().unwrap()),
        )
        .await,
        404,
        "does not exist",
    );
    assert_outcome(
        &app.get("doctor", "/ExplanationOfBenefit").await,
        400,
        "patient",
    );
    assert_valid_fhir(&[eob.clone(), coverage.json()]);

    // A referred visit claimed next moves the same account.
    let walked = crate::closed_loop::walk(&app).await;
    assert!(!walked.referral.is_empty());
    let account = app
        .state
        .ctx
        .store
        .get("Account", &format!("acc-{patient}-{scheme}-{year}"))
        .await
        .unwrap()
        .unwrap();
    let tiercare_core::Record::Account(account) = account.record else {
        panic!("not an account")
    };
    let eobs = app
        .get(
            "admin",
            &format!("/ExplanationOfBenefit?patient=Patient/{patient}"),
        )
        .await
        .json();
    let eobs = crate::helpers::entries(&eobs);
    assert_eq!(eobs.len(), 2, "one claim per finished visit");
    let benefits: Fen = eobs
        .iter()
        .map(|e| {
            let t = e["total"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["category"]["coding"][0]["code"] == "benefit")
                .unwrap();
            format!("{:.2}", t["amount"]["value"].as_f64().unwrap())
                .parse::<Fen>()
                .unwrap()
        })
        .fold(Fen::ZERO, Fen::saturating_add);
    assert_eq!(account.accumulator.reimbursed_total(), benefits);
}

/// A money parameter of a `Parameters` answer, in fen.
fn param_money(v: &Value, name: &str) -> Fen {
    let p = v["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {v}"));
    format!("{:.2}", p["valueMoney"]["value"].as_f64().unwrap())
        .parse()
        .unwrap()
}

/// The benefit of a claim, in fen.
fn benefit(eob: &Value) -> Fen {
    let t = eob["total"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"]["coding"][0]["code"] == "benefit")
        .unwrap();
    format!("{:.2}", t["amount"]["value"].as_f64().unwrap())
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_alliance_budget_counts_its_residents_claims_inside_and_outside() {
    use crate::closed_loop::post_op;
    let app = spawn_app().await;
    let path = "/Organization/zx-all-ccmc/$budget";
    let before = app.get("analyst", path).await;
    before.expect(200);
    let before = before.json();
    let residents = before["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "residents")
        .unwrap()["valueInteger"]
        .as_u64()
        .unwrap();
    assert!(residents > 0, "{before}");
    assert_eq!(
        param_money(&before, "budget"),
        Fen::new(60_000 * residents as i64),
        "600 yuan per contracted resident"
    );
    assert_eq!(param_money(&before, "spent-inside"), Fen::ZERO);

    // Care inside the alliance: the referral loop at its lead hospital.
    crate::closed_loop::walk(&app).await;
    // Care outside: a self-booked visit at the prefecture's tertiary hospital.
    let slots = app
        .get(
            "admin",
            "/Slot?organization=Organization/zx-t1&status=free&reserved=false&_count=500",
        )
        .await
        .json();
    let slot = app.first_not_started(&slots);
    let booked = app
        .post(
            "resident",
            "/Appointment",
            &json!({"resourceType": "Appointment",
                    "slot": [{"reference": format!("Slot/{slot}")}],
                    "participant": [{"actor": {"reference": "Patient/res-000001"}, "status": "accepted"}]}),
        )
        .await;
    booked.expect(201);
    let appointment = booked.json()["id"].as_str().unwrap().to_string();
    app.on_day_of_appointment(&appointment).await;
    let none = json!({"resourceType": "Parameters"});
    let arrived = post_op(
        &app,
        "admin",
        &format!("/Appointment/{appointment}/$arrive"),
        none.clone(),
    )
    .await;
    arrived.expect(201);
    let encounter = arrived.json()["id"].as_str().unwrap().to_string();
    post_op(
        &app,
        "admin",
        &format!("/Encounter/{encounter}/$finish"),
        json!({"resourceType": "Parameters",
               "parameter": [{"name": "charge", "valueDecimal": 3000.00}]}),
    )
    .await
    .expect(200);

    let eobs = app
        .get("admin", "/ExplanationOfBenefit?patient=Patient/res-000001")
        .await
        .json();
    let by = |org: &str| -> Fen {
        crate::helpers::entries(&eobs)
            .iter()
            .filter(|e| e["provider"]["reference"] == format!("Organization/{org}"))
            .map(benefit)
            .fold(Fen::ZERO, Fen::saturating_add)
    };
    let after = app.get("doctor", path).await;
    after.expect(200);
    let after = after.json();
    assert_eq!(param_money(&after, "spent-inside"), by("zx-h1"));
    assert_eq!(param_money(&after, "spent-outside"), by("zx-t1"));
    assert!(by("zx-t1") > Fen::ZERO && by("zx-h1") > Fen::ZERO, "{eobs}");
    assert_valid_fhir(&[after]);

    // An aggregate, for those who oversee or run the alliance.
    assert_outcome(&app.get("resident", path).await, 403, "analysts");
    assert_outcome(
        &app.get("admin", "/Organization/zx-h1/$budget").await,
        422,
        "institution",
    );
    assert_outcome(
        &app.get("admin", "/Organization/zx-all-umg/$budget").await,
        422,
        "no global budget",
    );
    assert_outcome(
        &app.get("admin", &format!("{path}?month=3")).await,
        400,
        "month",
    );
}

#[tokio::test]
async fn administrators_enrol_and_a_residents_estimate_counts_what_they_paid() {
    use crate::closed_loop::post_op;
    let app = spawn_app().await;
    // Enrolment.
    let path = "/Coverage/cov-res-000002";
    let read = app.get("admin", path).await;
    read.expect(200);
    let mut cov = read.json();
    cov["class"][0]["value"] = json!("uebmi");
    assert_outcome(
        &app.put("doctor", path, &cov, None).await,
        403,
        "administrators",
    );
    let mut unknown = cov.clone();
    unknown["class"][0]["value"] = json!("nhs");
    assert_outcome(&app.put("admin", path, &unknown, None).await, 422, "scheme");
    let mut elsewhere = cov.clone();
    elsewhere.as_object_mut().unwrap().remove("id");
    assert_outcome(
        &app.put("admin", "/Coverage/cov-res-000003", &elsewhere, None)
            .await,
        400,
        "cov-res-000002",
    );
    let tag = read.header("etag").unwrap();
    let updated = app.put("admin", path, &cov, Some(&tag)).await;
    updated.expect(200);
    assert_eq!(
        app.get("admin", path).await.json()["class"][0]["value"],
        "uebmi"
    );
    assert_outcome(
        &app.put("admin", path, &cov, Some(&tag)).await,
        412,
        "version",
    );

    // A resident who has paid part of their deductible this year is told so.
    let patient = "res-000001";
    let slots = app
        .get(
            "admin",
            "/Slot?organization=Organization/zx-h1&status=free&reserved=false",
        )
        .await
        .json();
    let slot = crate::helpers::entries(&slots)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let booked = app
        .post("resident", "/Appointment", &json!({"resourceType": "Appointment",
            "slot": [{"reference": format!("Slot/{slot}")}],
            "participant": [{"actor": {"reference": format!("Patient/{patient}")}, "status": "accepted"}]}))
        .await;
    booked.expect(201);
    let appointment = booked.json()["id"].as_str().unwrap().to_string();
    app.on_day_of_appointment(&appointment).await;
    let none = json!({"resourceType": "Parameters"});
    let arrived = post_op(
        &app,
        "coordinator",
        &format!("/Appointment/{appointment}/$arrive"),
        none.clone(),
    )
    .await;
    let encounter = arrived.json()["id"].as_str().unwrap().to_string();
    post_op(
        &app,
        "coordinator",
        &format!("/Encounter/{encounter}/$finish"),
        none,
    )
    .await
    .expect(200);
    let deductible_at = |v: &Value, level: &str| -> Fen {
        rows(v).into_iter().find(|r| r.0 == level).unwrap().1[1]
    };
    let anyone = app
        .get("resident", "/$estimate?scheme=urrbmi&total=300.00")
        .await
        .json();
    let mine = app
        .get(
            "resident",
            &format!("/$estimate?patient=Patient/{patient}&total=300.00"),
        )
        .await;
    mine.expect(200);
    let mine = mine.json();
    assert!(
        deductible_at(&mine, "secondary") < deductible_at(&anyone, "secondary"),
        "mine {mine}\nanyone {anyone}"
    );
    assert_outcome(
        &app.get(
            "analyst",
            &format!("/$estimate?patient=Patient/{patient}&total=300.00"),
        )
        .await,
        422,
        "has no insurance coverage on record",
    );
    // The same answer as for a patient nobody has: the coverage the
    // analyst may not read is not there for them.
    assert_outcome(
        &app.get(
            "analyst",
            "/$estimate?patient=Patient/no-such-resident&total=300.00",
        )
        .await,
        422,
        "has no insurance coverage on record",
    );
}

/// Visits of one resident ended at the front desk at once: the first
/// claims of the year race to open the resident's account, and each end of
/// a visit is done again from fresh reads until it lands.
#[tokio::test]
async fn visits_ended_at_once_all_claim_against_one_account() {
    use crate::closed_loop::post_op;
    let app = std::sync::Arc::new(spawn_app().await);
    let patient = "res-000001";
    let slots = crate::helpers::open_public_session(&app).await;
    let mut visits = Vec::new();
    for slot in slots.iter().take(4) {
        let appointment = crate::helpers::self_book(&app, patient, slot).await;
        app.on_day_of_appointment(&appointment).await;
        let arrived = post_op(
            &app,
            "coordinator",
            &format!("/Appointment/{appointment}/$arrive"),
            json!({"resourceType": "Parameters"}),
        )
        .await;
        arrived.expect(201);
        visits.push(arrived.json()["id"].as_str().unwrap().to_string());
    }
    let claims_before = app.count("ExplanationOfBenefit").await;
    let tasks: Vec<_> = visits
        .iter()
        .map(|v| {
            let (app, v) = (app.clone(), v.clone());
            tokio::spawn(async move {
                post_op(
                    &app,
                    "coordinator",
                    &format!("/Encounter/{v}/$finish"),
                    json!({"resourceType": "Parameters"}),
                )
                .await
                .status
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(app.count("ExplanationOfBenefit").await, claims_before + 4);
}
