//! The family doctor's pages: the worklist, contracted residents and their
//! records, referral with triage, estimate and a held slot, e-consults and
//! panel measurements; over HTTP (bad input on every form, other roles,
//! residents outside the team) and in a real browser in Chinese and
//! English, checking what the pages show against the FHIR API.

use crate::browser::Driver;
use crate::dashboard::{sign_in, ui_get};
use crate::helpers::{
    DEMO_RESIDENT, DOCTOR_TEAM, Resp, TestApp, actor_of, field, send, spawn_app, ui_client,
};
use tiercare_core::insurance::Fen;
use tiercare_core::outreach::PanelCondition;
use tiercare_service::panels::{EnrolmentInput, Panels};
use tiercare_service::referrals::Referrals;
use tiercare_store::{AuditOutcome, AuditQuery};
use tiercare_web::Lang;
use tiercare_web::i18n::yuan;

/// The hospital and condition the referrals go to: angina is positioned
/// at secondary level, in cardiology, where the demo opens slots.
const HOSPITAL: &str = "zx-h1";
const CONDITION: &str = "I20";

/// Every value of the radio or checkbox inputs named `name`.
fn values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(r#"name="{name}" value=""#);
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest[..rest.find('"').expect("end")].to_string()
        })
        .collect()
}

async fn ui_post(app: &TestApp, session: &str, path: &str, form: &[(&str, &str)]) -> Resp {
    send(
        ui_client()
            .post(app.url(path))
            .header("cookie", format!("tiercare_session={session}"))
            .form(form),
    )
    .await
}

/// A resident the doctor may not see, by the API's own answer.
async fn outside_team(app: &TestApp) -> String {
    let others: Vec<String> = app
        .residents()
        .filter(|r| {
            r.contract
                .as_ref()
                .is_none_or(|c| c.team.as_str() != DOCTOR_TEAM)
        })
        .map(|r| r.id.to_string())
        .collect();
    for id in others {
        if app.get("doctor", &format!("/Patient/{id}")).await.status == 404 {
            return id;
        }
    }
    panic!("no resident outside the doctor's care");
}

/// Enrols the demo resident in a hypertension panel as the doctor.
pub(crate) async fn enrol(app: &TestApp) -> String {
    let doctor = actor_of(app, "doctor");
    let specialist = app
        .user("specialist")
        .practitioner
        .clone()
        .expect("specialist");
    let e = Panels::new(&app.state.ctx, &doctor)
        .enrol(EnrolmentInput {
            patient: DEMO_RESIDENT.into(),
            institution: doctor.institution.clone().expect("institution").to_string(),
            family_doctor: doctor
                .practitioner
                .clone()
                .expect("practitioner")
                .to_string(),
            specialist: specialist.to_string(),
            programme: None,
            conditions: vec![PanelCondition::Hypertension],
            enrolled: Some(app.state.ctx.clock.today() - time::Duration::days(200)),
            interval_days: None,
        })
        .await
        .expect("enrolled");
    e.value.id.to_string()
}

/// The money of an `$estimate` row's split part as the pages write it.
fn money_of(row: &serde_json::Value, split: &str, part: &str) -> String {
    let parts = row["part"].as_array().expect("parts");
    let s = parts.iter().find(|p| p["name"] == split).expect("split");
    let v = s["part"]
        .as_array()
        .expect("split parts")
        .iter()
        .find(|p| p["name"] == part)
        .expect("part");
    let fen: Fen = v["valueMoney"]["value"].to_string().parse().expect("yuan");
    yuan(fen)
}

/// The text of the element carrying `attr="value"` up to its end tag.
fn cell(html: &str, from: &str, class: &str) -> String {
    let start = html.find(from).unwrap_or_else(|| panic!("no {from}"));
    let rest = &html[start..];
    let at = rest
        .find(&format!(r#"class="num {class}">"#))
        .expect("cell");
    let rest = &rest[at..];
    let open = rest.find('>').expect(">") + 1;
    rest[open..open + rest[open..].find('<').expect("<")].to_string()
}

#[tokio::test]
async fn the_doctor_works_through_the_pages_and_bad_input_writes_nothing() {
    let app = spawn_app().await;
    let doctor = sign_in(&app, "doctor").await;

    // Home, list, search by name, record.
    let home = ui_get(&app, Some(&doctor), "/ui/doctor").await;
    home.expect(200);
    assert!(home.body.contains("家庭医生工作台"), "{}", home.body);
    let list = ui_get(&app, Some(&doctor), "/ui/doctor/residents").await;
    list.expect(200);
    let link = format!("/ui/doctor/residents/{DEMO_RESIDENT}");
    assert!(list.body.contains(&link), "{}", list.body);
    let demo = app
        .residents()
        .find(|r| r.id.as_str() == DEMO_RESIDENT)
        .expect("demo resident");
    let url = reqwest::Url::parse_with_params(
        &app.url("/ui/doctor/residents"),
        &[("name", demo.name.family.as_str())],
    )
    .expect("url");
    let search = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    let found = ui_get(&app, Some(&doctor), &search).await;
    assert!(found.body.contains(&link), "{}", found.body);
    let none = ui_get(&app, Some(&doctor), "/ui/doctor/residents?name=zzzzqx").await;
    assert!(none.body.contains(r#"id="no-residents""#), "{}", none.body);
    let record = ui_get(&app, Some(&doctor), &link).await;
    record.expect(200);
    assert!(record.body.contains(&demo.name.full()));

    // Outside the team: the API's answer, and audited as denied.
    let other = outside_team(&app).await;
    let page = ui_get(
        &app,
        Some(&doctor),
        &format!("/ui/doctor/residents/{other}"),
    )
    .await;
    page.expect(404);
    let other_name = app
        .residents()
        .find(|r| r.id.as_str() == other)
        .map(|r| r.name.full())
        .expect("resident");
    assert!(!page.body.contains(&other_name), "no data shown");
    let refer_other = ui_get(
        &app,
        Some(&doctor),
        &format!("/ui/doctor/residents/{other}/refer"),
    )
    .await;
    refer_other.expect(404);
    let denied = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("doctor".into()),
            patient: Some(other.clone()),
            outcomes: vec![AuditOutcome::Denied],
            count: 50,
            ..Default::default()
        })
        .await
        .expect("audit")
        .0;
    assert!(
        denied.len() >= 2,
        "each refused page view is audited: {denied:?}"
    );

    // Other roles: 403 on every page, before any data.
    let plan = enrol(&app).await;
    let pages = [
        "/ui/doctor".to_string(),
        "/ui/doctor/residents".to_string(),
        link.clone(),
        format!("{link}/refer"),
        format!("/ui/doctor/consults/new?patient={DEMO_RESIDENT}"),
        format!("/ui/doctor/panels/{plan}"),
    ];
    for user in ["coordinator", "resident", "specialist"] {
        let s = sign_in(&app, user).await;
        for p in &pages {
            let resp = ui_get(&app, Some(&s), p).await;
            assert_eq!(resp.status, 403, "{user} on {p}: {}", resp.body);
            assert!(
                !resp.body.contains(&demo.name.full()),
                "{user} saw the name on {p}"
            );
        }
    }

    // A result recorded for the resident, to travel with the referral.
    let taken = time::OffsetDateTime::now_utc() - time::Duration::days(3);
    let result = app
        .post(
            "doctor",
            "/Observation",
            &serde_json::json!({
                "resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3", "display": "Total cholesterol"}]},
                "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
                "effectiveDateTime": taken.format(&time::format_description::well_known::Rfc3339).expect("time"),
                "valueQuantity": {"value": 6.2, "unit": "mmol/L"}
            }),
        )
        .await;
    result.expect(201);
    let result_ref = format!("Observation/{}", result.json()["id"].as_str().expect("id"));

    // The referral form: step one shows the suggestion, estimate and slots.
    let step = format!(
        "{link}/refer?step=1&condition={CONDITION}&severity=mild&urgency=routine&setting=outpatient&to={HOSPITAL}"
    );
    let form = ui_get(&app, Some(&doctor), &step).await;
    form.expect(200);
    assert!(
        form.body
            .contains(r#"id="suggestion" data-level="secondary""#),
        "{}",
        form.body
    );
    assert!(
        form.body.contains("功能定位为二级医院") || form.body.contains("功能定位为"),
        "reasons in Chinese"
    );
    let csrf = field(&form.body, "csrf");
    let submission = field(&form.body, "submission");
    assert_eq!(values(&form.body, "result"), vec![result_ref.clone()]);
    let slots: Vec<String> = values(&form.body, "slot")
        .into_iter()
        .filter(|s| s != "hospital")
        .collect();
    assert!(!slots.is_empty(), "free slots offered: {}", form.body);

    // The estimate on the page is the API's, level by level.
    let total = field_text(&form.body, r#"id="estimate-total">"#);
    let total_fen: Fen = total
        .trim_start_matches('¥')
        .replace(',', "")
        .parse()
        .expect("total");
    let api = app
        .get(
            "doctor",
            &format!(
                "/$estimate?patient=Patient/{DEMO_RESIDENT}&service=outpatient&total={total_fen}"
            ),
        )
        .await;
    api.expect(200);
    let rows: Vec<serde_json::Value> = api.json()["parameter"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter(|p| p["name"] == "estimate")
        .cloned()
        .collect();
    assert_eq!(rows.len(), 3);
    for row in &rows {
        let level = row["part"][0]["valueCode"].as_str().expect("level");
        let from = format!(r#"<tr data-level="{level}""#);
        assert_eq!(
            cell(&form.body, &from, "referred"),
            money_of(row, "referred", "out-of-pocket")
        );
        assert_eq!(
            cell(&form.body, &from, "self-referred"),
            money_of(row, "self-referred", "out-of-pocket")
        );
    }

    // Bad input: each message next to its field, nothing written.
    let before = app.count("ServiceRequest").await;
    let base: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("submission", &submission),
        ("condition", CONDITION),
        ("severity", "mild"),
        ("urgency", "routine"),
        ("setting", "outpatient"),
        ("to", HOSPITAL),
        ("summary", "劳力性胸痛两周，请心内科评估。"),
        ("slot", &slots[0]),
        ("result", &result_ref),
    ];
    let with = |k: &str, v: &'static str| -> Vec<(String, String)> {
        base.iter()
            .map(|(bk, bv)| {
                (
                    bk.to_string(),
                    if *bk == k {
                        v.to_string()
                    } else {
                        bv.to_string()
                    },
                )
            })
            .collect()
    };
    for (name, value, error_id) in [
        ("summary", "", "summary-error"),
        ("slot", "no-such-slot", "slot-error"),
        ("condition", "Q99", "condition-error"),
        ("to", "zx-tc1", "to-error"),
        ("urgency", "whenever", "urgency-error"),
    ] {
        let sent = with(name, value);
        let pairs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let resp = ui_post(&app, &doctor, &format!("{link}/refer"), &pairs).await;
        assert_eq!(resp.status, 400, "{name}={value}: {}", resp.body);
        assert!(
            resp.body.contains(&format!(r#"id="{error_id}""#)),
            "{name}: {}",
            resp.body
        );
        assert!(resp.body.contains(r#"aria-invalid="true""#));
        assert_eq!(
            app.count("ServiceRequest").await,
            before,
            "{name}: nothing written"
        );
    }
    let forged = ui_post(&app, &doctor, &format!("{link}/refer"), &[("csrf", "x")]).await;
    forged.expect(403);

    // Sent twice: one referral, its slot held.
    let first = ui_post(&app, &doctor, &format!("{link}/refer"), &base).await;
    first.expect(303);
    let again = ui_post(&app, &doctor, &format!("{link}/refer"), &base).await;
    again.expect(303);
    let location = first.header("location").expect("location");
    assert_eq!(again.header("location").as_deref(), Some(location.as_str()));
    assert!(location.contains("done=held"), "{location}");
    assert_eq!(app.count("ServiceRequest").await, before + 1);
    let id = location
        .trim_start_matches("/ui/doctor/referrals/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    let shown = ui_get(&app, Some(&doctor), &location).await;
    shown.expect(200);
    assert!(shown.body.contains(r#"id="held""#), "{}", shown.body);
    // The hold form on the referral's page: a stale version shows where
    // the referral stands (409), no slot chosen is refused (400).
    let view = ui_get(&app, Some(&doctor), &format!("/ui/doctor/referrals/{id}")).await;
    view.expect(200);
    let version = field(&view.body, "version");
    let hold = format!("/ui/doctor/referrals/{id}/hold");
    let stale = ui_post(
        &app,
        &doctor,
        &hold,
        &[("csrf", &csrf), ("version", "999"), ("slot", &slots[1])],
    )
    .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains(r#"id="slot-error""#));
    let empty = ui_post(
        &app,
        &doctor,
        &hold,
        &[("csrf", &csrf), ("version", &version), ("slot", "")],
    )
    .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(empty.body.contains(r#"id="slot-error""#));
    let missing = ui_get(&app, Some(&doctor), "/ui/doctor/residents/res-nobody").await;
    assert_eq!(
        missing.status,
        app.get("doctor", "/Patient/res-nobody").await.status
    );
    assert_eq!(missing.status, 404);
    let task = app.get("doctor", &format!("/Task/{id}")).await;
    task.expect(200);
    let state = task.json()["businessStatus"]["coding"][0]["code"]
        .as_str()
        .expect("state")
        .to_string();
    assert!(
        shown.body.contains(&format!(r#"data-state="{state}""#)),
        "{}",
        shown.body
    );
    let sr = app
        .get("doctor", &format!("/ServiceRequest/{id}"))
        .await
        .json();
    assert_eq!(sr["reasonCode"][0]["coding"][0]["code"], CONDITION);
    assert!(
        sr.to_string().contains(&result_ref),
        "the result travels with the referral: {sr}"
    );
    assert!(
        shown.body.contains(r#"id="attached" data-count="1""#),
        "{}",
        shown.body
    );
    assert!(
        shown
            .body
            .contains(&tiercare_web::names::condition(Lang::Zh, CONDITION))
    );
    let home = ui_get(&app, Some(&doctor), "/ui/doctor").await;
    assert!(
        home.body.contains(&format!("/ui/doctor/referrals/{id}")),
        "on the worklist"
    );
    assert!(
        home.body.contains(&format!("/ui/doctor/panels/{plan}")),
        "the panel patient is due: {}",
        home.body
    );

    // The hospital refers the patient back down with a care plan whose
    // ticagrelor the centre does not stock: the worklist flags it.
    let centre = app
        .user("doctor")
        .institution
        .clone()
        .expect("centre")
        .to_string();
    let down = app
        .post(
            "specialist",
            "/ServiceRequest",
            &serde_json::json!({
                "resourceType": "ServiceRequest",
                "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
                "performer": [{"reference": format!("Organization/{centre}")}],
                "performerType": {"coding": [{"system": "https://tiercare.org/fhir/CodeSystem/specialty", "code": "general-practice"}]},
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": CONDITION}]}],
                "note": [{"text": "Stable angina, for follow-up in primary care."}]
            }),
        )
        .await;
    down.expect(201);
    let down_id = down.json()["id"].as_str().expect("id").to_string();
    let due = app.state.ctx.clock.today() + time::Duration::days(14);
    let due = format!(
        "{:04}-{:02}-{:02}",
        due.year(),
        u8::from(due.month()),
        due.day()
    );
    app.post(
        "specialist",
        "/CarePlan",
        &serde_json::json!({
            "resourceType": "CarePlan", "status": "active", "intent": "plan",
            "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
            "basedOn": [{"reference": format!("ServiceRequest/{down_id}")}],
            "description": "Dual antiplatelet therapy for 12 months.",
            "activity": [
                {"detail": {"kind": "Task", "status": "not-started",
                            "description": "Two-week review: BP, bleeding",
                            "scheduledPeriod": {"end": due}}},
                {"detail": {"kind": "MedicationRequest", "status": "not-started",
                            "productCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "B01AC24", "display": "ticagrelor"}]},
                            "description": "90 mg twice a day"}}
            ]
        }),
    )
    .await
    .expect(201);
    let home = ui_get(&app, Some(&doctor), "/ui/doctor").await;
    assert!(home.body.contains("medicine-gap"), "{}", home.body);
    assert!(home.body.contains("ticagrelor"), "{}", home.body);
    assert!(
        home.body.contains("Two-week review: BP, bleeding"),
        "{}",
        home.body
    );

    // E-consult: bad input, ask, the specialist answers, refer in one step.
    let new = ui_get(
        &app,
        Some(&doctor),
        &format!("/ui/doctor/consults/new?patient={DEMO_RESIDENT}"),
    )
    .await;
    new.expect(200);
    let to = app
        .user("specialist")
        .institution
        .clone()
        .expect("hospital")
        .to_string();
    let sub = field(&new.body, "submission");
    let ask = |question: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("submission", sub.clone()),
            ("patient", DEMO_RESIDENT.to_string()),
            ("to", to.clone()),
            ("specialty", "cardiology".to_string()),
            ("condition", CONDITION.to_string()),
            ("question", question.to_string()),
        ]
    };
    let count = app.count("ServiceRequest").await;
    let bad = ask("");
    let pairs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = ui_post(&app, &doctor, "/ui/doctor/consults", &pairs).await;
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert!(resp.body.contains(r#"id="question-error""#));
    assert_eq!(app.count("ServiceRequest").await, count);
    let good = ask("胸痛两周，是否需要转诊？");
    let pairs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = ui_post(&app, &doctor, "/ui/doctor/consults", &pairs).await;
    resp.expect(303);
    let consult_page = resp.header("location").expect("location");
    let count = app.count("ServiceRequest").await;
    let again = ui_post(&app, &doctor, "/ui/doctor/consults", &pairs).await;
    again.expect(303);
    assert_eq!(
        again.header("location").as_deref(),
        Some(consult_page.as_str())
    );
    assert_eq!(app.count("ServiceRequest").await, count, "asked once");
    let consult_id = consult_page
        .trim_start_matches("/ui/doctor/consults/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    Referrals::new(&app.state.ctx, &actor_of(&app, "specialist"))
        .post_message(&consult_id, "建议转心内科门诊进一步检查。".into())
        .await
        .expect("answered");
    let c = ui_get(&app, Some(&doctor), &consult_page).await;
    c.expect(200);
    assert!(c.body.contains("建议转心内科门诊进一步检查。"));
    let sub = field(&c.body, "submission");
    let refer = |summary: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("submission", sub.clone()),
            ("condition", CONDITION.to_string()),
            ("urgency", "routine".to_string()),
            ("summary", summary.to_string()),
        ]
    };
    let count = app.count("ServiceRequest").await;
    let bad = refer("");
    let pairs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = ui_post(
        &app,
        &doctor,
        &format!("/ui/doctor/consults/{consult_id}/refer"),
        &pairs,
    )
    .await;
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert!(resp.body.contains(r#"id="summary-error""#));
    assert_eq!(app.count("ServiceRequest").await, count);
    let good = refer("按专家建议转诊。");
    let pairs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = ui_post(
        &app,
        &doctor,
        &format!("/ui/doctor/consults/{consult_id}/refer"),
        &pairs,
    )
    .await;
    resp.expect(303);
    assert_eq!(app.count("ServiceRequest").await, count + 1);
    let closed = Referrals::new(&app.state.ctx, &actor_of(&app, "doctor"))
        .consult(&consult_id)
        .await
        .expect("consult");
    assert_eq!(closed.value.state.code(), "closed");

    // Panel: bad values refused next to their field, a good one recorded.
    let panel = format!("/ui/doctor/panels/{plan}");
    let p = ui_get(&app, Some(&doctor), &panel).await;
    p.expect(200);
    let count = app.count("Observation").await;
    for (form, error_id) in [
        (
            vec![
                ("kind", "blood-pressure"),
                ("systolic", "400"),
                ("diastolic", "80"),
            ],
            "systolic-error",
        ),
        (
            vec![
                ("kind", "blood-pressure"),
                ("systolic", "120"),
                ("diastolic", "130"),
            ],
            "diastolic-error",
        ),
        (
            vec![
                ("kind", "blood-pressure"),
                ("systolic", "abc"),
                ("diastolic", "80"),
            ],
            "systolic-error",
        ),
        (
            vec![("kind", "hba1c"), ("hba1c", "6.5"), ("unit", "mg")],
            "unit-error",
        ),
        (
            vec![("kind", "hba1c"), ("hba1c", "45"), ("unit", "%")],
            "hba1c-error",
        ),
    ] {
        let today = field(&p.body, "date");
        let mut sent = vec![("csrf", csrf.as_str()), ("date", today.as_str())];
        sent.extend(form.iter().copied());
        let resp = ui_post(&app, &doctor, &panel, &sent).await;
        assert_eq!(resp.status, 400, "{form:?}: {}", resp.body);
        assert!(
            resp.body.contains(&format!(r#"id="{error_id}""#)),
            "{form:?}: {}",
            resp.body
        );
        assert_eq!(app.count("Observation").await, count, "nothing written");
    }
    let today = field(&p.body, "date");
    let resp = ui_post(
        &app,
        &doctor,
        &panel,
        &[
            ("csrf", &csrf),
            ("date", &today),
            ("kind", "blood-pressure"),
            ("systolic", "132"),
            ("diastolic", "84"),
        ],
    )
    .await;
    resp.expect(303);
    assert_eq!(app.count("Observation").await, count + 1);
    let after = ui_get(&app, Some(&doctor), &panel).await;
    assert!(
        after.body.contains(r#"data-control="controlled""#),
        "{}",
        after.body
    );
}

/// The text right after `marker` up to the next tag.
fn field_text(html: &str, marker: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker}")) + marker.len();
    html[at..at + html[at..].find('<').expect("<")].to_string()
}

/// The browser walk: sign in, find the demo resident, refer with a held
/// slot in Chinese and again in English, compare with the API, record a
/// blood pressure; a screenshot of every page in both languages.
#[tokio::test]
async fn a_family_doctor_refers_with_a_held_slot_in_a_browser_in_both_languages() {
    let app = spawn_app().await;
    let plan = enrol(&app).await;
    let token = app.token("doctor").await;
    let demo_name = app
        .residents()
        .find(|r| r.id.as_str() == DEMO_RESIDENT)
        .map(|r| r.name.clone())
        .expect("demo resident");
    // A consult answered by the specialist, for its page.
    let base = app.base.clone();
    let password = app.user("doctor").password.clone();
    let driver = Driver::start().await;
    let browser = driver.session().await;
    let b = browser.clone();
    let api_base = app.fhir_url("");
    let specialist_ctx = (app.state.ctx.clone(), actor_of(&app, "specialist"));
    let run = tokio::spawn(async move {
        let http = reqwest::Client::new();
        let api = |path: String| {
            let http = http.clone();
            let token = token.clone();
            let url = format!("{api_base}{path}");
            async move {
                let resp = http.get(url).bearer_auth(token).send().await.expect("api");
                assert!(resp.status().is_success(), "{}", resp.status());
                resp.json::<serde_json::Value>().await.expect("json")
            }
        };
        let landed = b.sign_in(&base, "doctor", &password).await;
        assert!(landed.ends_with("/ui/doctor"), "{landed}");
        for lang in ["zh-CN", "en"] {
            if b.page_lang().await != lang {
                b.switch_language().await;
            }
            assert_eq!(b.page_lang().await, lang);
            b.goto(&format!("{base}/ui/doctor")).await;
            b.screenshot(&format!("doctor-home-{lang}")).await;
            b.click("#to-residents").await;
            b.wait_for_url("the residents", |u| u.ends_with("/ui/doctor/residents"))
                .await;
            b.type_into("#name", &demo_name.family).await;
            b.click("#search").await;
            b.wait_for_url("the search", |u| u.contains("name=")).await;
            b.screenshot(&format!("doctor-residents-{lang}")).await;
            b.click(&format!("a[href='/ui/doctor/residents/{DEMO_RESIDENT}']"))
                .await;
            b.wait_for_url("the record", |u| u.ends_with(DEMO_RESIDENT))
                .await;
            assert_eq!(b.text("#resident-name").await, demo_name.full());
            b.screenshot(&format!("doctor-resident-{lang}")).await;
            b.click("#refer").await;
            b.wait_for_url("the referral form", |u| u.ends_with("/refer"))
                .await;
            b.click(&format!("#condition option[value='{CONDITION}']"))
                .await;
            b.click(&format!("#to option[value='{HOSPITAL}']")).await;
            b.click("#show-suggestion").await;
            b.wait_for_url("the suggestion", |u| u.contains("step=1"))
                .await;
            assert!(b.has("#suggestion").await && b.has("#estimate").await);
            let reasons = b.text("#reasons").await;
            if lang == "en" {
                assert!(reasons.contains("Secondary hospital"), "{reasons}");
            } else {
                assert!(reasons.contains("二级"), "{reasons}");
            }
            b.screenshot(&format!("doctor-refer-{lang}")).await;
            // Bad input in the browser: the message next to the summary.
            b.click("#slot-1").await;
            b.click("#send-referral").await;
            b.wait_for("#summary-error").await;
            b.type_into(
                "#summary",
                "Exertional chest pain for two weeks / 劳力性胸痛两周",
            )
            .await;
            b.click("#slot-1").await;
            b.click("#send-referral").await;
            let at = b
                .wait_for_url("the referral", |u| u.contains("/ui/doctor/referrals/"))
                .await;
            assert!(at.contains("done=held"), "{at}");
            assert!(b.has("#held").await);
            b.screenshot(&format!("doctor-referral-{lang}")).await;
            let id = at
                .split("/ui/doctor/referrals/")
                .nth(1)
                .and_then(|r| r.split('?').next())
                .expect("id")
                .to_string();
            let task = api(format!("/Task/{id}")).await;
            let state = b
                .script("return document.getElementById('referral').dataset.state;")
                .await;
            assert_eq!(state, task["businessStatus"]["coding"][0]["code"]);
            let sr = api(format!("/ServiceRequest/{id}")).await;
            assert_eq!(sr["reasonCode"][0]["coding"][0]["code"], CONDITION);
            assert_eq!(
                sr["performer"][0]["reference"],
                format!("Organization/{HOSPITAL}")
            );
            let shown_state = b.text("#state").await;
            let expected = if lang == "en" {
                "Requested"
            } else {
                "待接收"
            };
            assert_eq!(shown_state, expected);

            // An e-consult, answered, then its page.
            b.goto(&format!(
                "{base}/ui/doctor/consults/new?patient={DEMO_RESIDENT}"
            ))
            .await;
            b.screenshot(&format!("doctor-consult-new-{lang}")).await;
            b.click("#send-consult").await;
            b.wait_for("#question-error").await;
            assert!(b.has("#to-error").await);
            let to = specialist_ctx
                .1
                .institution
                .clone()
                .expect("hospital")
                .to_string();
            b.click(&format!("#to option[value='{to}']")).await;
            b.click("#specialty option[value='cardiology']").await;
            b.type_into("#question", "Chest pain: refer? / 胸痛是否需要转诊？")
                .await;
            b.click("#send-consult").await;
            let at = b
                .wait_for_url("the consult", |u| u.contains("/ui/doctor/consults/con-"))
                .await;
            let cid = at
                .split("/ui/doctor/consults/")
                .nth(1)
                .and_then(|r| r.split('?').next())
                .expect("id")
                .to_string();
            Referrals::new(&specialist_ctx.0, &specialist_ctx.1)
                .post_message(&cid, "Please refer to cardiology. 建议转诊。".into())
                .await
                .expect("answered");
            b.goto(&format!("{base}/ui/doctor/consults/{cid}")).await;
            assert!(b.has("#consult-refer").await);
            b.screenshot(&format!("doctor-consult-{lang}")).await;

            // A blood pressure for the panel patient.
            b.goto(&format!("{base}/ui/doctor/panels/{plan}")).await;
            b.click("#kind-blood-pressure").await;
            b.type_into("#systolic", "90").await;
            b.type_into("#diastolic", "95").await;
            b.click("#record").await;
            b.wait_for("#diastolic-error").await;
            b.screenshot(&format!("doctor-panel-{lang}")).await;
            b.script("document.getElementById('systolic').value=''; document.getElementById('diastolic').value='';")
                .await;
            b.type_into("#systolic", "128").await;
            b.type_into("#diastolic", "82").await;
            b.click("#record").await;
            b.wait_for_url("the recorded measurement", |u| u.contains("done=measured"))
                .await;
            assert!(b.has("#notice").await);
        }
        // At phone width the worklist still fits.
        b.set_window_size(390, 844).await;
        b.goto(&format!("{base}/ui/doctor")).await;
        let wide = b
            .script("return document.documentElement.scrollWidth > window.innerWidth + 1;")
            .await;
        assert_eq!(
            wide,
            serde_json::json!(false),
            "no sideways scrolling at 390 px"
        );
        b.screenshot("doctor-home-phone").await;
    });
    let outcome = run.await;
    browser.quit().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
