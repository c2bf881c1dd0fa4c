//! The resident's own page over HTTP: their claims and the estimate equal
//! what the API tells them, a decision needs its reason, they see only
//! their own record, and nobody else opens the page.

use crate::dashboard::{sign_in, ui_get};
use crate::helpers::field;
use crate::helpers::{DEMO_RESIDENT, TestApp, entries, spawn_app};
use crate::referral::HOSPITAL;
use crate::ui_specialist::{case, post_form, refer_down_over_http, version};
use serde_json::Value;
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::insurance::Fen;
use tiercare_core::referral::{NewReferral, Priority, Setting};
use tiercare_core::resident::Resident;
use tiercare_core::{Level, Specialty};
use tiercare_service::referrals::{Referrals, new_referral_id};
use tiercare_web::i18n::yuan;

/// The text of the first element after `from` in `html` whose class is
/// `class`.
fn text_of<'a>(html: &'a str, from: &str, class: &str) -> &'a str {
    let at = html.find(from).unwrap_or_else(|| panic!("no {from}"));
    let rest = &html[at..];
    let needle = format!(r#"class="{class}">"#);
    let start = rest
        .find(&needle)
        .unwrap_or_else(|| panic!("no {class} after {from}"))
        + needle.len();
    let rest = &rest[start..];
    &rest[..rest.find('<').unwrap()]
}

/// An amount of an API answer, as the page writes it.
fn money(v: &Value) -> String {
    let text = v["value"].to_string();
    yuan(text.parse::<Fen>().unwrap_or_else(|_| panic!("{v}")))
}

fn part<'a>(parts: &'a Value, name: &str) -> &'a Value {
    parts
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {parts}"))
}

/// The specialist completes the referral with a report over HTTP: the
/// visit's claim is made.
async fn complete(app: &TestApp, referral: &str) {
    let session = sign_in(app, "specialist").await;
    let path = format!("/ui/specialist/referrals/{referral}");
    let page = ui_get(app, Some(&session), &path).await;
    let form = [
        ("csrf", field(&page.body, "csrf")),
        ("version", field(&page.body, "version")),
        ("summary", "运动试验阳性。".to_string()),
        ("recommendation", "回基层随访。".to_string()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_form(app, &session, None, &format!("{path}/report"), &form)
        .await
        .expect(303);
}

#[tokio::test]
async fn the_residents_claims_and_estimate_are_the_apis() {
    let app = spawn_app().await;
    let c = case(&app, DEMO_RESIDENT, true).await;
    complete(&app, &c.referral).await;
    let session = sign_in(&app, "resident").await;
    let page = ui_get(
        &app,
        Some(&session),
        "/ui/me?service=outpatient&total=300.00",
    )
    .await;
    page.expect(200);

    // Claims: what the fund paid and what the resident paid.
    let api = app
        .get(
            "resident",
            &format!("/ExplanationOfBenefit?patient=Patient/{DEMO_RESIDENT}"),
        )
        .await;
    api.expect(200);
    let claims = entries(&api.json());
    assert!(!claims.is_empty(), "the finished visit was claimed");
    assert_eq!(page.body.matches("data-claim=").count(), claims.len());
    for claim in &claims {
        let id = claim["id"].as_str().unwrap();
        let from = format!(r#"data-claim="{id}""#);
        let total = |code: &str| {
            claim["total"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["category"]["coding"][0]["code"] == code)
                .map(|t| money(&t["amount"]))
                .unwrap()
        };
        assert_eq!(
            text_of(&page.body, &from, "claim-total"),
            total("submitted")
        );
        assert_eq!(text_of(&page.body, &from, "claim-fund"), total("benefit"));
        assert_eq!(
            text_of(&page.body, &from, "claim-mine"),
            total("out-of-pocket")
        );
    }

    // The estimate: the resident's own scheme and year so far.
    let api = app
        .get(
            "resident",
            &format!("/$estimate?patient=Patient/{DEMO_RESIDENT}&total=300.00&service=outpatient"),
        )
        .await;
    api.expect(200);
    let rows: Vec<Value> = api.json()["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "estimate")
        .cloned()
        .collect();
    assert_eq!(rows.len(), 3);
    for row in rows {
        let level = part(&row["part"], "level")["valueCode"]
            .as_str()
            .unwrap()
            .to_string();
        let from = format!(r#"data-level="{level}""#);
        for (kind, class) in [("self-referred", "self"), ("referred", "referred")] {
            let split = &part(&row["part"], kind)["part"];
            let mine = money(&part(split, "out-of-pocket")["valueMoney"]);
            let fund = money(&part(split, "covered")["valueMoney"]);
            assert_eq!(
                text_of(&page.body, &from, &format!("{class}-mine")),
                mine,
                "{level} {kind}"
            );
            assert_eq!(
                text_of(&page.body, &from, &format!("{class}-fund")),
                fund,
                "{level} {kind}"
            );
        }
    }

    // A total that is not an amount is named next to its field.
    let bad = ui_get(&app, Some(&session), "/ui/me?service=outpatient&total=abc").await;
    bad.expect(400);
    assert!(bad.body.contains(r#"id="total-error""#));
    assert!(bad.body.contains("请填写大于 0 的金额"));
}

/// A referral up to the hospital's cardiology by the resident's own
/// family doctor (the lead of their team), through the service.
async fn referred_by_their_doctor(app: &TestApp, r: &Resident) -> String {
    let team = r.contract.as_ref().unwrap().team.clone();
    let team = app
        .county
        .records
        .iter()
        .find_map(|rec| match rec {
            Record::Team(t) if t.id == team => Some(t.clone()),
            _ => None,
        })
        .unwrap();
    let actor = Actor {
        username: "their-doctor".into(),
        role: UserRole::Doctor,
        institution: Some(team.institution.clone()),
        practitioner: Some(team.lead.clone()),
        resident: None,
    };
    let (referral, _) = Referrals::new(&app.state.ctx, &actor)
        .request(NewReferral {
            id: new_referral_id().unwrap(),
            patient: r.id.clone(),
            from: team.institution.clone(),
            from_level: Level::Primary,
            to: HOSPITAL.parse().unwrap(),
            to_level: Level::Secondary,
            specialty: Specialty::Cardiology,
            setting: Setting::Outpatient,
            priority: Priority::Routine,
            condition: "I20".parse().unwrap(),
            summary: "劳累性胸痛。".into(),
            attachments: Default::default(),
        })
        .await
        .unwrap();
    referral.value.id.to_string()
}

#[tokio::test]
async fn a_decision_needs_its_reason_and_a_resident_sees_only_their_own_record() {
    let app = spawn_app().await;
    // Another resident, referred up by their own family doctor.
    let other = app
        .residents()
        .find(|r| r.id.as_str() != DEMO_RESIDENT && r.contract.is_some())
        .expect("another contracted resident")
        .clone();
    let their_referral = referred_by_their_doctor(&app, &other).await;
    let mine = case(&app, DEMO_RESIDENT, false).await;
    let specialist = sign_in(&app, "specialist").await;
    let my_plan = refer_down_over_http(&app, &specialist, &mine.referral).await;
    let their_plan = refer_down_over_http(&app, &specialist, &their_referral).await;

    let session = sign_in(&app, "resident").await;
    let page = ui_get(&app, Some(&session), "/ui/me").await;
    page.expect(200);
    assert!(page.body.contains(&format!(r#"id="plan-{my_plan}""#)));
    assert!(!page.body.contains(&their_plan));
    assert!(
        !page.body.contains(&other.name.full()),
        "another resident's name"
    );
    let csrf = field(&page.body, "csrf");
    let v = field(&page.body, "version");
    let path = format!("/ui/me/care-plans/{my_plan}/decision");
    let before = version(&app, "CarePlan", &my_plan).await;

    // Refusing needs a reason; a decision must be chosen.
    let no_reason = [
        ("csrf", csrf.as_str()),
        ("version", v.as_str()),
        ("decision", "refuse"),
        ("reason", " "),
    ];
    let resp = post_form(&app, &session, None, &path, &no_reason).await;
    resp.expect(400);
    assert!(
        resp.body
            .contains(&format!(r#"id="reason-error-{my_plan}""#))
    );
    assert!(resp.body.contains("请写明不同意的原因"));
    let none = [("csrf", csrf.as_str()), ("version", v.as_str())];
    let resp = post_form(&app, &session, Some("en"), &path, &none).await;
    resp.expect(400);
    assert!(resp.body.contains("Choose whether you agree"));
    assert_eq!(version(&app, "CarePlan", &my_plan).await, before);

    // Another resident's plan is not theirs to decide.
    let theirs_path = format!("/ui/me/care-plans/{their_plan}/decision");
    let accept = [
        ("csrf", csrf.as_str()),
        ("version", "1"),
        ("decision", "accept"),
    ];
    post_form(&app, &session, None, &theirs_path, &accept)
        .await
        .expect(404);
    let api = app.get("admin", &format!("/CarePlan/{their_plan}")).await;
    assert_eq!(
        api.json()["extension"][0]["extension"][0]["valueCode"],
        "pending"
    );

    // Accepted once; sent again, the page says it was already done.
    let accept = [
        ("csrf", csrf.as_str()),
        ("version", v.as_str()),
        ("decision", "accept"),
    ];
    post_form(&app, &session, None, &path, &accept)
        .await
        .expect(303);
    let again = post_form(&app, &session, None, &path, &accept).await;
    again.expect(303);
    assert!(again.header("location").unwrap().contains("done=stale"));
    let api = app.get("resident", &format!("/CarePlan/{my_plan}")).await;
    assert_eq!(
        api.json()["extension"][0]["extension"][0]["valueCode"],
        "accepted"
    );
}

#[tokio::test]
async fn only_residents_open_their_page() {
    let app = spawn_app().await;
    for user in ["doctor", "coordinator", "analyst", "admin", "specialist"] {
        let session = sign_in(&app, user).await;
        ui_get(&app, Some(&session), "/ui/me").await.expect(403);
        let csrf = field(&ui_get(&app, Some(&session), "/ui/me").await.body, "csrf");
        post_form(
            &app,
            &session,
            None,
            "/ui/me/care-plans/cp-x/decision",
            &[("csrf", csrf.as_str()), ("decision", "accept")],
        )
        .await
        .expect(403);
    }
    let session = sign_in(&app, "resident").await;
    let page = ui_get(&app, Some(&session), "/ui/me").await;
    page.expect(200);
    assert!(
        page.body.contains(r#"id="family-doctor""#),
        "the contracted family doctor"
    );
}
