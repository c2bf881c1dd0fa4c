//! The front desk of a township health centre: the day's appointments,
//! the patient's arrival, the end of the visit with its charge, and the
//! claim's split on the page equal to the API's ExplanationOfBenefit. A
//! front-desk account (a coordinator at the demo doctor's township
//! centre) is added in each test's store.

use crate::browser::Driver;
use crate::dashboard::{sign_in, ui_get};
use crate::helpers::field;
use crate::helpers::{DEMO_RESIDENT, TestApp, spawn_app};
use crate::ui_office::{after, count, field_error, ui_post};
use serde_json::Value;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::booking::SessionPlan;
use tiercare_core::{InstitutionId, ScheduleId, Specialty};
use tiercare_service::referrals::{Referrals, SelfBooking};
use time::{Duration, OffsetDateTime};

/// The demo doctor's township centre.
const CENTRE: &str = "zx-tc1";
const DESK: &str = "frontdesk";
/// The demo login's published password.
const DESK_PASSWORD: &str = "frontdesk-demo-2026";

/// The demo's front desk, a coordinator at the demo doctor's township
/// centre.
async fn add_front_desk(app: &TestApp) -> Actor {
    let user = app.user(DESK);
    assert_eq!(
        user.institution.as_ref().map(|i| i.to_string()).as_deref(),
        Some(CENTRE),
        "the demo's front desk works at the demo doctor's centre"
    );
    Actor {
        username: DESK.into(),
        role: UserRole::Coordinator,
        institution: user.institution.clone(),
        practitioner: None,
        resident: None,
    }
}

/// Signs the front desk in through the form; the session cookie.
async fn desk_session(app: &TestApp) -> String {
    let c = crate::helpers::ui_client();
    let form = crate::helpers::send(c.get(app.url("/ui/login"))).await;
    let cookie = form
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tiercare_login="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = field(&form.body, "csrf");
    let resp = crate::helpers::send(
        c.post(app.url("/ui/login"))
            .header("cookie", cookie)
            .form(&[
                ("username", DESK),
                ("password", DESK_PASSWORD),
                ("csrf", &csrf),
            ]),
    )
    .await;
    resp.expect(303);
    assert_eq!(resp.header("location").as_deref(), Some("/ui/desk"));
    resp.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("tiercare_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// A general-practice session at the centre starting in an hour, and
/// `n` of its public slots booked by the front desk for the demo
/// resident: the appointments' ids and the day (China time) they are on.
async fn book_visits(app: &TestApp, desk: &Actor, n: usize) -> (Vec<String>, String) {
    let (ids, day, _) = book_visits_with_spare(app, desk, n).await;
    (ids, day)
}

/// [`book_visits`], with the session's public slots left unbooked.
async fn book_visits_with_spare(
    app: &TestApp,
    desk: &Actor,
    n: usize,
) -> (Vec<String>, String, Vec<String>) {
    let admin = Actor {
        username: "admin".into(),
        role: UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    };
    let schedule: ScheduleId = format!("{CENTRE}-general-practice-desk").parse().unwrap();
    let institution: InstitutionId = CENTRE.parse().unwrap();
    let start = OffsetDateTime::now_utc() + Duration::hours(1);
    let start = start
        .replace_second(0)
        .unwrap()
        .replace_nanosecond(0)
        .unwrap();
    let plan = SessionPlan {
        schedule: &schedule,
        institution: &institution,
        specialty: Specialty::GeneralPractice,
        start,
        slot_minutes: 10,
        slots: 12,
    };
    Referrals::new(&app.state.ctx, &admin)
        .open_session(&plan)
        .await
        .unwrap();
    let mut public: Vec<_> = plan
        .slots(&app.state.ctx.policy)
        .into_iter()
        .filter(|s| !s.reserved)
        .collect();
    let spare: Vec<String> = public
        .split_off(n)
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    let mut ids = Vec::new();
    for s in &public {
        let booked = Referrals::new(&app.state.ctx, desk)
            .book_self(SelfBooking {
                slot: s.id.to_string(),
                patient: DEMO_RESIDENT.parse().unwrap(),
                condition: Some("I10".parse().unwrap()),
                emergency: false,
            })
            .await
            .unwrap();
        ids.push(booked.value.id.to_string());
    }
    // Arrivals are taken from the booked day on: near midnight (UTC) the
    // later visits fall on the next day, so the services' clock moves there.
    if let Some(last) = ids.last() {
        app.on_day_of_appointment(last).await;
    }
    let day = start
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap())
        .date();
    let day = format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    );
    (ids, day, spare)
}

/// An amount the page shows (¥1,234.50) in fen.
fn fen(shown: &str) -> i64 {
    let digits: String = shown.chars().filter(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap()
}

/// An amount of the API's ExplanationOfBenefit total in fen.
fn api_fen(eob: &Value, code: &str) -> i64 {
    let t = eob["total"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"]["coding"][0]["code"] == code)
        .unwrap();
    (t["amount"]["value"].as_f64().unwrap() * 100.0).round() as i64
}

/// The claim shown on a card equals the API's ExplanationOfBenefit.
async fn claim_matches(app: &TestApp, card: &str, appointment: &str) {
    let eob = app
        .get(
            "admin",
            &format!("/ExplanationOfBenefit/eob-enc-{appointment}"),
        )
        .await;
    eob.expect(200);
    let eob = eob.json();
    assert_eq!(
        fen(&after(card, r#"class="claim-total">"#)),
        api_fen(&eob, "submitted")
    );
    assert_eq!(
        fen(&after(card, r#"class="claim-fund">"#)),
        api_fen(&eob, "benefit")
    );
    assert_eq!(
        fen(&after(card, r#"class="claim-patient">"#)),
        api_fen(&eob, "out-of-pocket")
    );
    assert_eq!(
        fen(&after(card, r#"class="claim-deductible">"#)),
        api_fen(&eob, "deductible")
    );
    let notes = eob["processNote"].as_array().map_or(0, |n| n.len());
    let rules = &card[card.find(r#"class="claim-rules""#).unwrap()..];
    let rules = &rules[..rules.find("</ul>").unwrap()];
    assert_eq!(
        rules.matches("<li>").count(),
        notes,
        "every rule applied, by name"
    );
    assert!(!rules.contains("rule-"), "rules by name, not code");
}

/// The card of one appointment on the desk's page.
fn card<'a>(html: &'a str, appointment: &str) -> &'a str {
    let at = html
        .find(&format!(r#"data-appointment="{appointment}""#))
        .unwrap_or_else(|| panic!("no card for {appointment}"));
    let rest = &html[at..];
    &rest[..rest.find("</li>\n").unwrap_or(rest.len())]
}

#[tokio::test]
async fn the_front_desk_records_arrival_and_finish_and_shows_the_claim() {
    let app = spawn_app().await;
    let desk = add_front_desk(&app).await;
    let (visits, day) = book_visits(&app, &desk, 2).await;
    let session = desk_session(&app).await;
    let path = format!("/ui/desk?day={day}");
    let page = ui_get(&app, Some(&session), &path).await;
    page.expect(200);
    assert_eq!(count(&page.body, "booked-count"), 2);
    assert_eq!(count(&page.body, "arrived-count"), 0);
    let csrf = field(&page.body, "csrf");
    let id = &visits[0];
    assert!(card(&page.body, id).contains(r#"data-stage="booked""#));

    // A day that is not one.
    let bad = ui_get(&app, Some(&session), "/ui/desk?day=2026-13-45").await;
    bad.expect(400);
    assert!(!field_error(&bad.body, "day").is_empty());

    // Arrival, twice: recorded once.
    let arrive = format!("/ui/desk/appointments/{id}/arrive");
    let first = ui_post(&app, &session, &arrive, &[("csrf", &csrf), ("day", &day)]).await;
    first.expect(303);
    assert_eq!(
        first.header("location").unwrap(),
        format!("{path}&done=arrive")
    );
    let second = ui_post(&app, &session, &arrive, &[("csrf", &csrf), ("day", &day)]).await;
    assert_eq!(
        second.header("location").unwrap(),
        format!("{path}&done=already")
    );
    let encounter = app.get("admin", &format!("/Encounter/enc-{id}")).await;
    encounter.expect(200);
    assert_eq!(encounter.json()["status"], "arrived");

    // Finishing needs a charge in yuan; nothing is written without one.
    let finish = format!("/ui/desk/appointments/{id}/finish");
    for charge in ["", "thirty", "-1", "3.141"] {
        let resp = ui_post(
            &app,
            &session,
            &finish,
            &[("csrf", &csrf), ("day", &day), ("charge", charge)],
        )
        .await;
        resp.expect(422);
        let message = field_error(&resp.body, &format!("charge-{id}"));
        assert!(message.chars().any(|c| c as u32 >= 0x4E00), "{message}");
        let e = app
            .get("admin", &format!("/Encounter/enc-{id}"))
            .await
            .json();
        assert_eq!(e["status"], "arrived", "{charge:?}: nothing written");
        app.get("admin", &format!("/ExplanationOfBenefit/eob-enc-{id}"))
            .await
            .expect(404);
    }
    let done = ui_post(
        &app,
        &session,
        &finish,
        &[("csrf", &csrf), ("day", &day), ("charge", "35.50")],
    )
    .await;
    done.expect(303);
    let again = ui_post(
        &app,
        &session,
        &finish,
        &[("csrf", &csrf), ("day", &day), ("charge", "35.50")],
    )
    .await;
    assert_eq!(
        again.header("location").unwrap(),
        format!("{path}&done=already")
    );

    // The page's split is the API's claim.
    let page = ui_get(&app, Some(&session), &path).await;
    assert_eq!(count(&page.body, "arrived-count"), 1);
    assert_eq!(count(&page.body, "finished-count"), 1);
    let shown = card(&page.body, id);
    assert!(shown.contains(r#"data-stage="finished""#));
    assert_eq!(fen(&after(shown, r#"class="claim-total">"#)), 3550);
    claim_matches(&app, shown, id).await;
    let claims = app
        .get(
            "admin",
            &format!("/ExplanationOfBenefit?patient=Patient/{DEMO_RESIDENT}"),
        )
        .await
        .json();
    assert_eq!(claims["total"], 1, "one claim for two clicks");
}

#[tokio::test]
async fn only_the_front_desk_sees_the_desk_and_it_is_not_the_office() {
    let app = spawn_app().await;
    let desk = add_front_desk(&app).await;
    let (visits, day) = book_visits(&app, &desk, 1).await;
    let session = desk_session(&app).await;
    ui_get(&app, Some(&session), "/ui/desk").await.expect(200);
    for p in [
        "/ui/office",
        "/ui/office/beds",
        "/ui/office/arrivals",
        "/ui/office/outreach",
    ] {
        ui_get(&app, Some(&session), p).await.expect(403);
    }
    for user in [
        "coordinator",
        "doctor",
        "specialist",
        "resident",
        "analyst",
        "admin",
    ] {
        let s = sign_in(&app, user).await;
        let resp = ui_get(&app, Some(&s), &format!("/ui/desk?day={day}")).await;
        assert_eq!(resp.status, 403, "{user}");
        assert!(!resp.body.contains("data-appointment"), "{user}");
        let csrf = field(&resp.body, "csrf");
        let post = ui_post(
            &app,
            &s,
            &format!("/ui/desk/appointments/{}/arrive", visits[0]),
            &[("csrf", &csrf), ("day", &day)],
        )
        .await;
        assert_eq!(post.status, 403, "{user} may not record an arrival");
    }
    app.get("admin", &format!("/Encounter/enc-{}", visits[0]))
        .await
        .expect(404);
}

#[tokio::test]
async fn the_front_desk_in_a_browser_in_chinese_and_english() {
    let app = spawn_app().await;
    let desk = add_front_desk(&app).await;
    let (visits, day) = book_visits(&app, &desk, 2).await;
    let base = app.base.clone();
    let driver = Driver::start().await;
    let browser = driver.session().await;
    let b = browser.clone();
    let app = std::sync::Arc::new(app);
    let a = app.clone();
    let run = tokio::spawn(async move {
        b.set_window_size(390, 844).await;
        let landed = b.sign_in(&base, DESK, DESK_PASSWORD).await;
        assert!(landed.ends_with("/ui/desk"), "{landed}");
        for (id, lang) in [(&visits[0], "zh-CN"), (&visits[1], "en")] {
            if lang == "en" {
                b.switch_language().await;
            }
            b.goto(&format!("{base}/ui/desk?day={day}")).await;
            assert_eq!(b.page_lang().await, lang);
            crate::ui_office::assert_fits(&b, "the desk").await;
            b.screenshot(&format!("desk-day-{lang}")).await;
            b.click(&format!(r#"li[data-appointment="{id}"] button.arrive"#))
                .await;
            b.wait_for_url("the arrival", |u| u.contains("done=arrive"))
                .await;
            assert!(
                b.has(&format!(
                    r#"li[data-appointment="{id}"][data-stage="arrived"]"#
                ))
                .await
            );
            b.type_into(&format!("#charge-{id}"), "120.00").await;
            b.click(&format!(r#"li[data-appointment="{id}"] button.finish"#))
                .await;
            b.wait_for_url("the finish", |u| u.contains("done=finish"))
                .await;
            assert!(
                b.has(&format!(
                    r#"li[data-appointment="{id}"][data-stage="finished"]"#
                ))
                .await
            );
            crate::ui_office::assert_fits(&b, "the desk with a claim").await;
            b.screenshot(&format!("desk-claim-{lang}")).await;
            let html = b
                .script("return document.documentElement.outerHTML;")
                .await
                .as_str()
                .unwrap()
                .to_string();
            claim_matches(&a, card(&html, id), id).await;
            let word = if lang == "en" {
                "Insurance fund pays"
            } else {
                "医保基金支付"
            };
            assert!(html.contains(word), "{lang}");
        }
    });
    let outcome = run.await;
    browser.quit().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test]
async fn a_down_referred_patient_arrives_and_is_settled_at_the_front_desk() {
    let app = spawn_app().await;
    let desk = add_front_desk(&app).await;
    let (_, day, spare) = book_visits_with_spare(&app, &desk, 0).await;
    // The hospital cares for the demo resident (referred up), and refers
    // them back down to the township centre's general practice.
    crate::ui_office::refer(&app, "I20").await;
    let down = app
        .post(
            "specialist",
            "/ServiceRequest",
            &serde_json::json!({
                "resourceType": "ServiceRequest",
                "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
                "performer": [{"reference": format!("Organization/{CENTRE}")}],
                "performerType": {"coding": [{"system": "https://tiercare.org/fhir/CodeSystem/specialty", "code": "general-practice"}]},
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                "note": [{"text": "Stable angina, treated; follow-up in primary care."}]
            }),
        )
        .await;
    down.expect(201);
    let down = down.json()["id"].as_str().unwrap().to_string();
    let (_, slot) = Referrals::new(&app.state.ctx, &desk)
        .book_slot(&down, &spare[0], None)
        .await
        .unwrap();
    assert_eq!(slot.value.id.as_str(), spare[0]);
    // Arrivals are taken from the booked day on (near midnight UTC, the
    // slot is tomorrow's).
    app.on_day_of_slot(&spare[0]).await;
    let appointment = app
        .get(
            "admin",
            &format!("/Appointment?based-on=ServiceRequest/{down}"),
        )
        .await
        .json();
    let appointment = crate::helpers::entries(&appointment)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let session = desk_session(&app).await;
    let path = format!("/ui/desk?day={day}");
    let page = ui_get(&app, Some(&session), &path).await;
    page.expect(200);
    let shown = card(&page.body, &appointment);
    assert!(shown.contains("下转"), "a downward referral, in words");
    let csrf = field(&page.body, "csrf");
    let version = field(shown, "version");
    let arrive = format!("/ui/desk/appointments/{appointment}/arrive");
    let form = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("day", day.as_str()),
    ];
    ui_post(&app, &session, &arrive, &form).await.expect(303);
    // The same click again: the version has moved on; recorded once.
    let again = ui_post(&app, &session, &arrive, &form).await;
    assert_eq!(
        again.header("location").unwrap(),
        format!("{path}&done=already")
    );
    let task = app.get("specialist", &format!("/Task/{down}")).await.json();
    assert_eq!(task["businessStatus"]["coding"][0]["code"], "arrived");

    let page = ui_get(&app, Some(&session), &path).await;
    let version = field(card(&page.body, &appointment), "version");
    let finish = format!("/ui/desk/appointments/{appointment}/finish");
    let bad = ui_post(
        &app,
        &session,
        &finish,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("day", &day),
            ("charge", "free"),
        ],
    )
    .await;
    bad.expect(422);
    assert!(!field_error(&bad.body, &format!("charge-{appointment}")).is_empty());
    ui_post(
        &app,
        &session,
        &finish,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("day", &day),
            ("charge", "48.00"),
        ],
    )
    .await
    .expect(303);
    let task = app.get("specialist", &format!("/Task/{down}")).await.json();
    assert_eq!(task["businessStatus"]["coding"][0]["code"], "completed");
    let page = ui_get(&app, Some(&session), &path).await;
    let shown = card(&page.body, &appointment);
    assert!(shown.contains(r#"data-stage="finished""#));
    claim_matches(&app, shown, &down).await;
}
