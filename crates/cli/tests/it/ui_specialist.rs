//! The hospital doctor's pages: the e-consult inbox and answer form, a
//! referred patient and the report back, referral down with a care plan
//! whose missing medicine is flagged, the mentoring log; in Chinese and in
//! English, in a real browser and over HTTP. The browser walk ends on the
//! resident's phone, accepting the plan the specialist drew up.

use crate::browser::{Driver, Session};
use crate::dashboard::{sign_in, ui_get};
use crate::helpers::{DEMO_RESIDENT, Resp, TestApp, field, send, spawn_app, ui_client};
use crate::referral::{HOSPITAL, free_slots, op, params};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// A hospital medicine no primary institution stocks (ticagrelor), and one
/// every primary institution does (amlodipine).
pub const MISSING: &str = "B01AC24";
pub const STOCKED: &str = "C08CA01";

/// What the demo doctor asked and referred for a patient.
pub struct Case {
    pub consult: String,
    pub referral: String,
}

fn id_of(resp: &Resp) -> String {
    resp.json()["id"].as_str().unwrap().to_string()
}

/// The demo doctor records a result, asks the hospital's cardiology an
/// e-consult and refers the patient up; with `arrive`, the referral office
/// books a slot and records the arrival.
pub async fn case(app: &TestApp, patient: &str, arrive: bool) -> Case {
    let at = (OffsetDateTime::now_utc() - Duration::days(3))
        .format(&Rfc3339)
        .unwrap();
    app.post(
        "doctor",
        "/Observation",
        &json!({
            "resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "HbA1c"}]},
            "subject": {"reference": format!("Patient/{patient}")},
            "effectiveDateTime": at,
            "valueQuantity": {"value": 7.4, "unit": "%"}
        }),
    )
    .await
    .expect(201);
    let asked = app
        .post(
            "doctor",
            "/ServiceRequest",
            &json!({
                "resourceType": "ServiceRequest", "status": "active", "intent": "order",
                "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "11429006"}]}],
                "subject": {"reference": format!("Patient/{patient}")},
                "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                "note": [{"text": "劳累后胸痛，心电图ST段压低。转诊还是在基层治疗？"}]
            }),
        )
        .await;
    asked.expect(201);
    let referred = app
        .post(
            "doctor",
            "/ServiceRequest",
            &json!({
                "resourceType": "ServiceRequest", "status": "active", "intent": "order",
                "priority": "urgent",
                "subject": {"reference": format!("Patient/{patient}")},
                "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                "note": [{"text": "劳累性胸痛，请心内科评估。"}]
            }),
        )
        .await;
    referred.expect(201);
    let referral = id_of(&referred);
    if arrive {
        let slots = free_slots(app, "coordinator").await;
        let slot = slots
            .iter()
            .find(|s| s["extension"][0]["valueBoolean"] == true)
            .or(slots.first())
            .expect("a free cardiology slot");
        let slot = slot["id"].as_str().unwrap();
        let slot = params(&[("slot", json!(format!("Slot/{slot}")))]);
        op(app, "coordinator", &referral, "book", Some(slot), None)
            .await
            .expect(200);
        app.on_day_of_referral_visit(&referral).await;
        op(app, "coordinator", &referral, "arrive", None, None)
            .await
            .expect(200);
    }
    Case {
        consult: id_of(&asked),
        referral,
    }
}

/// Posts a form as a signed-in user, in `lang` when given.
pub async fn post_form(
    app: &TestApp,
    session: &str,
    lang: Option<&str>,
    path: &str,
    form: &[(&str, &str)],
) -> Resp {
    let mut cookie = format!("tiercare_session={session}");
    if let Some(l) = lang {
        cookie.push_str(&format!("; tiercare_lang={l}"));
    }
    send(
        ui_client()
            .post(app.url(path))
            .header("cookie", cookie)
            .form(form),
    )
    .await
}

/// The stored version of a record, straight from the store.
pub async fn version(app: &TestApp, rt: &str, id: &str) -> u32 {
    app.state
        .ctx
        .store
        .get(rt, id)
        .await
        .unwrap()
        .map(|s| s.version)
        .unwrap_or(0)
}

/// Draws up a plan through the refer-down form over HTTP (sent twice, to
/// show it is made once); returns the plan's id.
pub async fn refer_down_over_http(app: &TestApp, session: &str, referral: &str) -> String {
    let path = format!("/ui/specialist/referrals/{referral}/refer-down");
    let form = ui_get(app, Some(session), &path).await;
    form.expect(200);
    let csrf = field(&form.body, "csrf");
    let submission = field(&form.body, "submission");
    let to = field(&form.body, "to");
    let fields = [
        ("csrf", csrf.as_str()),
        ("submission", submission.as_str()),
        ("to", to.as_str()),
        (
            "summary",
            "Stable angina, treated; follow up in primary care.",
        ),
        ("measure-1", "Blood pressure"),
        ("goal-1", "below 140/90 mmHg"),
        ("interval", "30"),
        ("visits", "2"),
        ("followup", "Blood pressure and symptoms"),
        ("med-C08CA01", "on"),
        ("dose-C08CA01", "5 mg once a day"),
    ];
    let first = post_form(app, session, None, &path, &fields).await;
    first.expect(303);
    let again = post_form(app, session, None, &path, &fields).await;
    again.expect(303);
    let location = first.header("location").unwrap();
    assert_eq!(again.header("location").as_deref(), Some(location.as_str()));
    let id = location
        .trim_start_matches("/ui/specialist/plans/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert!(id.starts_with("cp-"), "{location}");
    id
}

/// The words the walk expects in one language.
struct Words {
    lang: &'static str,
    answered: &'static str,
    completed: &'static str,
    stocked: &'static str,
    not_stocked: &'static str,
}

const ZH: Words = Words {
    lang: "zh-CN",
    answered: "已回复",
    completed: "已完成",
    stocked: "在目录",
    not_stocked: "不在目录",
};

const EN: Words = Words {
    lang: "en",
    answered: "Answered",
    completed: "Completed",
    stocked: "Stocked",
    not_stocked: "Not stocked",
};

/// The specialist answers the e-consult, reports back and refers the
/// patient down with a care plan; returns the plan's id.
async fn specialist_walk(b: &Session, base: &str, case: &Case, w: &Words) -> String {
    b.goto(&format!("{base}/ui/specialist")).await;
    assert_eq!(b.page_lang().await, w.lang);
    b.screenshot(&format!("specialist-home-{}", w.lang)).await;
    let link = format!(
        "#consult-list a[href='/ui/specialist/consults/{}']",
        case.consult
    );
    assert!(b.has(&link).await, "the e-consult is in the inbox");
    b.click(&link).await;
    b.wait_for_url("the e-consult", |u| u.contains(&case.consult))
        .await;
    b.screenshot(&format!("specialist-consult-{}", w.lang))
        .await;
    b.type_into(
        "#answer-text",
        "可能为稳定型心绞痛：建议本周转诊做运动试验。 Likely stable angina.",
    )
    .await;
    b.click("#send-answer").await;
    b.wait_for_url("the answer saved", |u| u.contains("done=answered"))
        .await;
    assert_eq!(b.text("#consult-state").await, w.answered);

    b.goto(&format!("{base}/ui/specialist/referrals/{}", case.referral))
        .await;
    b.screenshot(&format!("specialist-referral-{}", w.lang))
        .await;
    b.type_into("#report-summary", "运动试验阳性，稳定型心绞痛。")
        .await;
    b.type_into("#report-diagnosis", "I20").await;
    b.type_into("#report-recommendation", "回基层随访血压、血脂。")
        .await;
    b.click("#send-report").await;
    b.wait_for_url("the report saved", |u| u.contains("done=reported"))
        .await;
    assert_eq!(b.text("#referral-state").await, w.completed);

    b.click("#refer-down").await;
    b.wait_for_url("the refer-down form", |u| u.contains("/refer-down"))
        .await;
    assert_eq!(b.text(&format!("#stock-{MISSING}")).await, w.not_stocked);
    assert_eq!(b.text(&format!("#stock-{STOCKED}")).await, w.stocked);
    b.screenshot(&format!("specialist-refer-down-{}", w.lang))
        .await;
    b.script("document.getElementById('medicines').scrollIntoView(); return null;")
        .await;
    b.screenshot(&format!("specialist-refer-down-medicines-{}", w.lang))
        .await;
    b.type_into("#summary", "稳定型心绞痛已治疗，回基层随访。")
        .await;
    b.type_into("#measure-1", "血压").await;
    b.type_into("#goal-1", "<140/90 mmHg").await;
    b.type_into("#followup", "复查血压、心率").await;
    for code in [STOCKED, MISSING] {
        b.click(&format!("#med-{code}")).await;
    }
    b.type_into(&format!("#dose-{STOCKED}"), "5 mg 每日一次")
        .await;
    b.type_into(&format!("#dose-{MISSING}"), "90 mg 每日两次")
        .await;
    b.click("#send-down").await;
    let url = b
        .wait_for_url("the care plan", |u| u.contains("/ui/specialist/plans/"))
        .await;
    assert!(
        b.has(&format!("#missing-{MISSING}")).await,
        "the missing medicine is flagged"
    );
    assert!(!b.has(&format!("#missing-{STOCKED}")).await);
    assert!(b.has("#missing-warning").await);
    b.screenshot(&format!("specialist-plan-{}", w.lang)).await;
    url.split("/ui/specialist/plans/")
        .nth(1)
        .and_then(|r| r.split(['?', '#']).next())
        .unwrap()
        .to_string()
}

/// Whether the page is wider than the phone.
async fn scroll_width(b: &Session) -> i64 {
    b.script("return document.documentElement.scrollWidth;")
        .await
        .as_i64()
        .unwrap()
}

/// The resident accepts a plan on their phone; returns the decision the
/// page shows (its code).
async fn accept_on_phone(b: &Session, plan: &str, accepted_words: &str) -> String {
    b.click(&format!("#decision-accept-{plan}")).await;
    b.click(&format!("#send-decision-{plan}")).await;
    b.wait_for_url("the decision saved", |u| u.contains("done=accepted"))
        .await;
    assert_eq!(
        b.text(&format!("#plan-{plan} #plan-decision")).await,
        accepted_words
    );
    assert!(
        scroll_width(b).await <= 390,
        "no horizontal scroll at 390 px"
    );
    b.script(&format!(
        "document.getElementById('plan-{plan}').scrollIntoView(); return null;"
    ))
    .await;
    let lang = b.page_lang().await;
    b.screenshot(&format!("me-plan-accepted-{lang}")).await;
    b.script(&format!(
        "return document.querySelector('#plan-{plan} #plan-decision').dataset.decision;"
    ))
    .await
    .as_str()
    .unwrap()
    .to_string()
}

#[tokio::test]
async fn the_specialist_answers_reports_and_refers_down_and_the_resident_accepts_on_a_phone() {
    let app = spawn_app().await;
    let zh_case = case(&app, DEMO_RESIDENT, true).await;
    let en_case = case(&app, DEMO_RESIDENT, true).await;
    let base = app.base.clone();
    let specialist = app.user("specialist").password.clone();
    let resident = app.user("resident").password.clone();
    let driver = Driver::start().await;
    let browser = driver.session().await;
    let b = browser.clone();
    let run = tokio::spawn(async move {
        let landed = b.sign_in(&base, "specialist", &specialist).await;
        assert!(landed.ends_with("/ui/specialist"), "{landed}");
        let zh_plan = specialist_walk(&b, &base, &zh_case, &ZH).await;
        b.switch_language().await;
        let en_plan = specialist_walk(&b, &base, &en_case, &EN).await;
        b.click("#sign-out").await;
        b.wait_for_url("the sign-in page", |u| u.contains("/ui/login"))
            .await;

        // The resident, on a phone, still in English (remembered).
        b.set_window_size(390, 844).await;
        let landed = b.sign_in(&base, "resident", &resident).await;
        assert!(landed.ends_with("/ui/me"), "{landed}");
        assert_eq!(b.page_lang().await, "en");
        assert!(
            scroll_width(&b).await <= 390,
            "no horizontal scroll at 390 px"
        );
        b.screenshot("me-home-en").await;
        let en_decision = accept_on_phone(&b, &en_plan, "Accepted by the patient").await;
        b.switch_language().await;
        assert!(
            scroll_width(&b).await <= 390,
            "no horizontal scroll at 390 px"
        );
        // A fresh page: the address after the switch still says the last
        // decision was saved.
        b.goto(&format!("{base}/ui/me")).await;
        assert_eq!(b.page_lang().await, "zh-CN");
        b.screenshot("me-home-zh-CN").await;
        let zh_decision = accept_on_phone(&b, &zh_plan, "患者已同意").await;
        b.goto(&format!("{base}/ui/me#estimate")).await;
        b.screenshot("me-estimate-zh-CN").await;
        b.goto(&format!("{base}/ui/me#claims")).await;
        b.screenshot("me-claims-zh-CN").await;
        vec![(zh_plan, zh_decision), (en_plan, en_decision)]
    });
    let outcome = run.await;
    browser.quit().await;
    drop(driver);
    let decisions = match outcome {
        Ok(d) => d,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    // What the pages showed is what the API says, to the resident.
    for (plan, shown) in decisions {
        let api = app.get("resident", &format!("/CarePlan/{plan}")).await;
        api.expect(200);
        let v: Value = api.json();
        let decision = v["extension"][0]["extension"][0]["valueCode"].as_str();
        assert_eq!(decision, Some(shown.as_str()), "{v}");
        assert_eq!(shown, "accepted");
        let missing: Vec<&Value> = v["activity"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["detail"]["productCodeableConcept"]["coding"][0]["code"] == MISSING)
            .collect();
        assert_eq!(missing.len(), 1, "{v}");
    }
}

#[tokio::test]
async fn bad_input_on_the_specialists_forms_is_named_next_to_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let c = case(&app, DEMO_RESIDENT, true).await;
    let session = sign_in(&app, "specialist").await;

    // The answer: empty, in Chinese and in English; nothing is written.
    let path = format!("/ui/specialist/consults/{}", c.consult);
    let page = ui_get(&app, Some(&session), &path).await;
    page.expect(200);
    assert!(
        page.body.contains("HbA1c"),
        "the patient's results are shown"
    );
    let csrf = field(&page.body, "csrf");
    let v = field(&page.body, "version");
    let before = version(&app, "ServiceRequest", &c.consult).await;
    let empty = [
        ("csrf", csrf.as_str()),
        ("version", v.as_str()),
        ("answer", "  "),
    ];
    let zh = post_form(&app, &session, None, &path, &empty).await;
    zh.expect(400);
    assert!(zh.body.contains(r#"id="answer-error""#) && zh.body.contains("请填写回复内容"));
    assert!(zh.body.contains(r#"aria-invalid="true""#));
    let en = post_form(&app, &session, Some("en"), &path, &empty).await;
    en.expect(400);
    assert!(en.body.contains("Write your answer"));
    assert_eq!(version(&app, "ServiceRequest", &c.consult).await, before);
    // A form from elsewhere is refused.
    let forged = [("csrf", "x"), ("version", v.as_str()), ("answer", "ok")];
    post_form(&app, &session, None, &path, &forged)
        .await
        .expect(403);
    assert_eq!(version(&app, "ServiceRequest", &c.consult).await, before);
    // Answered once, the same form sent again shows where it stands.
    let answer = [
        ("csrf", csrf.as_str()),
        ("version", v.as_str()),
        ("answer", "请转诊。"),
    ];
    let first = post_form(&app, &session, None, &path, &answer).await;
    first.expect(303);
    let again = post_form(&app, &session, None, &path, &answer).await;
    again.expect(303);
    assert!(again.header("location").unwrap().ends_with("done=stale"));
    assert_eq!(
        version(&app, "ServiceRequest", &c.consult).await,
        before + 1
    );

    // The report back: no summary, an unknown diagnosis.
    let path = format!("/ui/specialist/referrals/{}", c.referral);
    let page = ui_get(&app, Some(&session), &path).await;
    page.expect(200);
    let v = field(&page.body, "version");
    let before = version(&app, "ServiceRequest", &c.referral).await;
    let report = format!("{path}/report");
    let bad = [
        ("csrf", csrf.as_str()),
        ("version", v.as_str()),
        ("summary", ""),
        ("diagnosis", "ZZ9"),
        ("recommendation", "随访"),
    ];
    let resp = post_form(&app, &session, None, &report, &bad).await;
    resp.expect(400);
    assert!(resp.body.contains(r#"id="summary-error""#), "{}", resp.body);
    assert!(resp.body.contains(r#"id="diagnosis-error""#));
    assert!(resp.body.contains("不是已知的 ICD-10 诊断编码"));
    assert_eq!(version(&app, "ServiceRequest", &c.referral).await, before);

    // Refer down: a hospital as receiver, a goal without its measure, an
    // interval and a count out of range, a medicine without its dosage.
    let down = format!("{path}/refer-down");
    let page = ui_get(&app, Some(&session), &down).await;
    page.expect(200);
    assert!(page.body.contains(&format!(r#"id="stock-{MISSING}""#)));
    let submission = field(&page.body, "submission");
    let (requests, plans) = (
        app.count("ServiceRequest").await,
        app.count("CarePlan").await,
    );
    let bad = [
        ("csrf", csrf.as_str()),
        ("submission", submission.as_str()),
        ("to", HOSPITAL),
        ("summary", "稳定"),
        ("goal-1", "<140/90"),
        ("interval", "3"),
        ("visits", "0"),
        ("followup", "复查"),
        ("med-B01AC24", "on"),
    ];
    let resp = post_form(&app, &session, None, &down, &bad).await;
    resp.expect(400);
    for id in [
        "to-error",
        "goal-1-error",
        "interval-error",
        "visits-error",
        "medicines-error",
    ] {
        assert!(
            resp.body.contains(&format!(r#"id="{id}""#)),
            "{id}: {}",
            resp.body
        );
    }
    assert!(resp.body.contains("随访间隔应为 7 至 180 天"));
    assert_eq!(app.count("ServiceRequest").await, requests);
    assert_eq!(app.count("CarePlan").await, plans);
    let nowhere = ui_get(&app, Some(&session), &format!("{down}?to=%21%21")).await;
    nowhere.expect(400);
    assert!(nowhere.body.contains(r#"id="to-error""#));
    // Sent right (twice), one referral down and one plan.
    let plan = refer_down_over_http(&app, &session, &c.referral).await;
    assert_eq!(app.count("ServiceRequest").await, requests + 1);
    assert_eq!(app.count("CarePlan").await, plans + 1);
    let shown = ui_get(
        &app,
        Some(&session),
        &format!("/ui/specialist/plans/{plan}"),
    )
    .await;
    shown.expect(200);
    assert!(shown.body.contains("Blood pressure"));
    assert!(
        !shown.body.contains(r#"id="missing-"#),
        "amlodipine is stocked"
    );
}

#[tokio::test]
async fn the_mentoring_log_takes_an_activity_once_and_refuses_bad_input() {
    let app = spawn_app().await;
    let specialist = app.user("specialist").practitioner.clone().unwrap();
    let doctor = app.user("doctor").practitioner.clone().unwrap();
    let cs = crate::fixtures::CS;
    let start = (OffsetDateTime::now_utc() - Duration::days(30))
        .date()
        .to_string();
    let team = json!({
        "resourceType": "CareTeam",
        "category": [{"coding": [{"system": format!("{cs}/care-team-category"), "code": "mentorship"}]}],
        "period": {"start": start},
        "participant": [
            {"role": [{"coding": [{"system": format!("{cs}/mentorship-role"), "code": "mentor"}]}], "member": {"reference": format!("Practitioner/{specialist}")}},
            {"role": [{"coding": [{"system": format!("{cs}/mentorship-role"), "code": "mentee"}]}], "member": {"reference": format!("Practitioner/{doctor}")}}
        ]
    });
    let made = app.post("coordinator", "/CareTeam", &team).await;
    made.expect(201);
    let mentorship = id_of(&made);
    let session = sign_in(&app, "specialist").await;
    let home = ui_get(&app, Some(&session), "/ui/specialist").await;
    home.expect(200);
    assert!(
        home.body
            .contains(&format!(r#"id="mentorship-{mentorship}""#))
    );
    let csrf = field(&home.body, "csrf");
    let submission = field(&home.body, "submission");
    let path = format!("/ui/specialist/mentorships/{mentorship}/activities");
    let tasks = app.count("Task").await;
    let bad = [
        ("csrf", csrf.as_str()),
        ("submission", submission.as_str()),
        ("kind", "ward-round"),
        ("date", "2999-01-01"),
    ];
    let resp = post_form(&app, &session, Some("en"), &path, &bad).await;
    resp.expect(400);
    assert!(
        resp.body
            .contains(&format!(r#"id="kind-{mentorship}-error""#))
    );
    assert!(
        resp.body.contains("Mentorship that has not happened yet")
            || resp.body.contains("has not happened yet")
    );
    assert_eq!(app.count("Task").await, tasks);
    let today = OffsetDateTime::now_utc().date().to_string();
    let good = [
        ("csrf", csrf.as_str()),
        ("submission", submission.as_str()),
        ("kind", "case-discussion"),
        ("date", today.as_str()),
        ("note", "高血压合并糖尿病的用药调整"),
    ];
    post_form(&app, &session, None, &path, &good)
        .await
        .expect(303);
    post_form(&app, &session, None, &path, &good)
        .await
        .expect(303);
    assert_eq!(app.count("Task").await, tasks + 1, "logged once");
    let home = ui_get(&app, Some(&session), "/ui/specialist").await;
    assert!(home.body.contains("高血压合并糖尿病的用药调整"));
    assert!(home.body.contains("病例讨论"));
}

#[tokio::test]
async fn only_hospital_doctors_open_the_specialist_pages() {
    let app = spawn_app().await;
    let c = case(&app, DEMO_RESIDENT, false).await;
    let pages = [
        "/ui/specialist".to_string(),
        format!("/ui/specialist/consults/{}", c.consult),
        format!("/ui/specialist/referrals/{}", c.referral),
        format!("/ui/specialist/referrals/{}/refer-down", c.referral),
    ];
    for user in ["doctor", "coordinator", "analyst", "admin", "resident"] {
        let session = sign_in(&app, user).await;
        for p in &pages {
            let resp = ui_get(&app, Some(&session), p).await;
            resp.expect(403);
            assert!(!resp.body.contains("HbA1c"), "{user} {p}");
        }
        let csrf = field(
            &ui_get(&app, Some(&session), "/ui/specialist").await.body,
            "csrf",
        );
        let post = post_form(
            &app,
            &session,
            None,
            &pages[1],
            &[("csrf", csrf.as_str()), ("version", "1"), ("answer", "x")],
        )
        .await;
        post.expect(403);
    }
    let session = sign_in(&app, "specialist").await;
    for p in &pages {
        ui_get(&app, Some(&session), p).await.expect(200);
    }
    // Not signed in: to the sign-in page.
    let anonymous = ui_get(&app, None, "/ui/specialist").await;
    anonymous.expect(303);
}
