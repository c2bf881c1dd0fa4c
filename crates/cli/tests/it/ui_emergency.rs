//! The emergency network's pages: one STEMI from a village clinic walked
//! in a real browser (the village doctor sends the alert in Chinese, the
//! destination's doctor sees it coming with its countdowns and
//! acknowledges, the village doctor sees that and records the ECG and the
//! departure, the centre records the door straight to the team and the
//! treatment, the clock shows every milestone as the store holds it, and
//! the page switches to English); then over plain HTTP: who is refused,
//! bad forms answered next to their fields in Chinese, a second
//! acknowledgement answered with a notice, and an overdue window marked.

use crate::browser::{Driver, Session};
use crate::dashboard::{post_login, sign_in, ui_get};
use crate::helpers::{DEMO_RESIDENT, Resp, TestApp, actor_of, field, spawn_app};
use crate::outreach::add_user;
use crate::ui_office::ui_post;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::emergency::{ContactPoint, Emergency as Condition, EmergencyCase, Milestone};
use tiercare_core::network::InstitutionKind;
use tiercare_core::{Level, Record};
use tiercare_service::emergency::{CaseFilter, Contact, Emergency, NewCase};
use time::Duration;

/// The village doctor's and the centre doctor's usernames.
const VILLAGE: &str = "vc-doctor";
const CENTRE: &str = "centre-doctor";

/// A demo village clinic of the ZX county: primary care, kind village
/// clinic.
fn village_clinic(app: &TestApp) -> String {
    app.county
        .records
        .iter()
        .find_map(|r| match r {
            Record::Institution(i)
                if i.kind == InstitutionKind::VillageClinic
                    && i.level == Level::Primary
                    && i.id.as_str().starts_with("zx-") =>
            {
                Some(i.id.to_string())
            }
            _ => None,
        })
        .expect("a village clinic in the demo county")
}

/// A practitioner working at `institution`.
fn practitioner_at(app: &TestApp, institution: &str) -> String {
    app.county
        .records
        .iter()
        .find_map(|r| match r {
            Record::Role(role) if role.institution.as_str() == institution => {
                Some(role.practitioner.to_string())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("a practitioner at {institution}"))
}

/// The password `add_user` gives an account.
fn password(username: &str) -> String {
    format!("{username}-password-1")
}

/// A UI session for an added account.
async fn session_of(app: &TestApp, username: &str) -> String {
    let resp = post_login(
        app,
        &crate::helpers::ui_client(),
        username,
        &password(username),
    )
    .await;
    resp.expect(303);
    resp.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("tiercare_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string()
}

fn staff(username: &str, institution: &str, practitioner: Option<&str>) -> Actor {
    Actor {
        username: username.into(),
        role: UserRole::Doctor,
        institution: Some(institution.parse().unwrap()),
        practitioner: practitioner.map(|p| p.parse().unwrap()),
        resident: None,
    }
}

/// A case as the store holds it, read as an administrator.
async fn case_of(app: &TestApp, id: &str) -> EmergencyCase {
    let admin = actor_of(app, "admin");
    Emergency::new(&app.state.ctx, &admin)
        .read_case(id)
        .await
        .expect("the case")
        .value
}

/// Every case of the region, as an administrator sees them.
async fn all_cases(app: &TestApp) -> usize {
    let admin = actor_of(app, "admin");
    Emergency::new(&app.state.ctx, &admin)
        .cases(&CaseFilter::default())
        .await
        .expect("the cases")
        .len()
}

/// The minutes in a countdown's words ("预计 63 分钟后到达").
fn minutes_in(text: &str) -> i64 {
    text.split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no minutes in {text:?}"))
}

/// Clicks a step's button and waits for its milestone in the clock.
async fn record(s: &Session, button: &str, milestone: &str) {
    s.click(button).await;
    s.wait_for(&format!("#milestone-{milestone}[data-done='true']"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stemi_from_a_village_clinic_is_alerted_acknowledged_and_timed() {
    let app = spawn_app().await;
    let base = app.base.clone();
    let clinic = village_clinic(&app);
    add_user(&app, VILLAGE, UserRole::Doctor, &clinic, None).await;
    let clock = &app.state.ctx.clock;
    let village_driver = Driver::start().await;
    let centre_driver = Driver::start().await;
    let v = village_driver.session().await;
    let c = centre_driver.session().await;

    // The village doctor sends the alert, in Chinese.
    v.sign_in(&base, VILLAGE, &password(VILLAGE)).await;
    assert_eq!(v.page_lang().await, "zh-CN");
    v.click("nav.pages a[href='/ui/emergency']").await;
    v.wait_for_url("the emergency list", |u| u.ends_with("/ui/emergency"))
        .await;
    v.click("#to-new-alert").await;
    v.wait_for("#send-alert").await;
    let contact = v
        .script("return document.getElementById('contact').value;")
        .await;
    assert_eq!(contact, "village-clinic", "the default from the clinic");
    let emergency = v
        .script("return document.getElementById('emergency').value;")
        .await;
    assert_eq!(emergency, "stemi");
    v.type_into("#patient", DEMO_RESIDENT).await;
    v.screenshot("emergency-alert-form-zh-CN").await;
    v.click("#send").await;
    v.wait_for_url("the case", |u| u.contains("done=sent"))
        .await;
    assert!(v.text("#notice").await.contains("预警已发出"));
    let id = v
        .script("return document.getElementById('case').dataset.case;")
        .await
        .as_str()
        .expect("the case id")
        .to_string();
    let case = case_of(&app, &id).await;
    assert_eq!(case.contact, ContactPoint::VillageClinic);
    assert_eq!(
        case.from.as_ref().map(|f| f.as_str()),
        Some(clinic.as_str())
    );
    let destination = case.destination().to_string();
    let travel = i64::from(case.decision.first.travel_minutes);
    let decision = v.text("#case .decision").await;
    assert!(decision.starts_with("送往"), "{decision}");
    assert!(
        decision.contains(&format!("车程约 {travel} 分钟")),
        "{decision}"
    );
    assert!(!v.text("#case .destination").await.is_empty());

    // The destination's doctor sees it coming, counting down, and
    // acknowledges.
    let practitioner = practitioner_at(&app, &destination);
    add_user(
        &app,
        CENTRE,
        UserRole::Doctor,
        &destination,
        Some(&practitioner),
    )
    .await;
    c.sign_in(&base, CENTRE, &password(CENTRE)).await;
    c.click("nav.pages a[href='/ui/emergency']").await;
    c.wait_for(&format!("#incoming #case-{id}[data-alert='waiting']"))
        .await;
    let refresh = c
        .script("return document.querySelector(\"meta[http-equiv='refresh']\").content;")
        .await;
    assert_eq!(refresh, "30", "the countdowns tick without a script");
    let eta = c.text(&format!("#case-{id} .eta")).await;
    assert!(
        eta.starts_with("预计") && eta.ends_with("分钟后到达"),
        "{eta}"
    );
    assert!((travel - 2..=travel).contains(&minutes_in(&eta)), "{eta}");
    let window = c.text(&format!("#case-{id} .window")).await;
    assert!(window.starts_with("距再灌注时间窗还剩"), "{window}");
    assert!((118..=120).contains(&minutes_in(&window)), "{window}");
    c.screenshot("emergency-incoming-zh-CN").await;
    c.click(&format!("#case-{id} .acknowledge")).await;
    c.wait_for_url("the acknowledgement", |u| u.contains("done=acknowledged"))
        .await;
    c.wait_for(&format!("#case-{id}[data-alert='acknowledged']"))
        .await;
    assert!(!c.has(&format!("#case-{id} .acknowledge")).await);

    // The village doctor sees it acknowledged, then records the ECG six
    // minutes after the first contact and the departure four later.
    v.goto(&format!("{base}/ui/emergency")).await;
    let state = v
        .wait_for_text(&format!("#sent #case-{id} .alert-state"), "确认就绪")
        .await;
    assert!(state.contains("已于"), "{state}");
    v.click(&format!("#sent #case-{id} .open-case")).await;
    v.wait_for("#record-ecg").await;
    clock.advance(Duration::minutes(6));
    record(&v, "#ecg-button", "ecg").await;
    clock.advance(Duration::minutes(4));
    record(&v, "#departure-button", "departure").await;
    assert!(!v.has("#record-door").await, "the door is the centre's");
    v.screenshot("emergency-sent-clock-zh-CN").await;

    // The centre records the door, straight to the catheter laboratory,
    // and the treatment 40 minutes later.
    clock.advance(Duration::minutes(travel));
    c.goto(&format!("{base}/ui/emergency/cases/{id}")).await;
    c.wait_for("#record-door").await;
    c.click("#bypassed").await;
    record(&c, "#door-button", "door").await;
    assert!(c.text(".door-note").await.contains("绕行急诊"));
    clock.advance(Duration::minutes(40));
    record(&c, "#treatment-button", "treatment").await;
    let waiting = c
        .script("return document.querySelectorAll(\"#clock tr[data-done='false']\").length;")
        .await;
    assert_eq!(waiting, 0, "every milestone is on the clock");
    let stored = case_of(&app, &id).await;
    assert_eq!(stored.bypassed_emergency_department, Some(true));
    assert_eq!(stored.treated_with, Some(case.decision.first.treatment));
    let intervals = c.text(".intervals").await;
    for (words, from, to) in [
        (
            "首次医疗接触至心电图",
            Milestone::FirstContact,
            Milestone::Ecg,
        ),
        ("进门至治疗", Milestone::Door, Milestone::Treatment),
    ] {
        let m = stored.clock.minutes(from, to).expect("both recorded");
        assert!(
            intervals.contains(&format!("{words}：{m} 分钟")),
            "{intervals}"
        );
    }
    assert_eq!(
        stored.clock.minutes(Milestone::Door, Milestone::Treatment),
        Some(40)
    );
    assert!(!c.has(".eta").await && !c.has(".window").await);
    c.screenshot("emergency-clock-zh-CN").await;

    // The same page in English.
    c.switch_language().await;
    assert_eq!(c.page_lang().await, "en");
    assert_eq!(c.text("#clock-h").await, "Case clock");
    assert!(
        c.text(".door-note")
            .await
            .contains("bypassing the emergency department")
    );
    assert!(
        c.text(".intervals")
            .await
            .contains("Door to treatment: 40 min")
    );
    c.screenshot("emergency-clock-en").await;

    // Thirty days on the centre records the outcome; the case is then
    // counted once in every measure it meets, on the dashboard and in
    // $evaluate-measure alike, in the village clinic's stratum.
    clock.advance(Duration::days(30));
    c.goto(&format!("{base}/ui/emergency/cases/{id}")).await;
    c.wait_for("#record-outcome").await;
    c.script("document.getElementById('outcome').value = 'alive'; return true;")
        .await;
    c.click("#outcome-button").await;
    c.wait_for(".outcome").await;
    let closed = case_of(&app, &id).await;
    assert!(closed.closed());
    let expected = crate::emergency_measures::expected_counts(&app, &closed);
    assert!(
        expected.iter().filter(|(_, den, _)| *den == 1).count() >= 4,
        "a treated, timed, closed STEMI meets most measures: {expected:?}"
    );
    // The commission's analyst reads the centre's measures.
    let analyst_driver = Driver::start().await;
    let a = analyst_driver.session().await;
    a.sign_in(&base, "analyst", &app.user("analyst").password)
        .await;
    a.goto(&format!(
        "{base}/ui/dashboard?subject=institution:{destination}"
    ))
    .await;
    a.wait_for("#table-emergency").await;
    let cell = |row: String, col: &str| {
        format!(
            "return document.querySelector(\"#table-emergency tr[data-row='{row}'] td[data-col='{col}']\").dataset.value;"
        )
    };
    for (code, den, num) in &expected {
        for (contact, den, num) in [
            ("all", *den, *num),
            ("village-clinic", *den, *num),
            ("township", 0, 0),
            ("ambulance", 0, 0),
            ("hospital", 0, 0),
        ] {
            let row = format!("{code}/{contact}");
            let shown_den = a.script(&cell(row.clone(), "emergency-denominator")).await;
            let shown_num = a.script(&cell(row.clone(), "emergency-numerator")).await;
            assert_eq!(shown_den, den.to_string(), "{row} denominator");
            assert_eq!(shown_num, num.to_string(), "{row} numerator");
        }
    }
    a.screenshot("emergency-dashboard-zh-CN").await;
    crate::emergency_measures::assert_reports(
        &app,
        &destination,
        ContactPoint::VillageClinic,
        &expected,
    )
    .await;
    a.quit().await;
    v.quit().await;
    c.quit().await;
}

/// A STEMI alert sent by the service from a village clinic, as its
/// doctor (for the tests that need a case without the form).
async fn opened(app: &TestApp) -> EmergencyCase {
    let clinic = village_clinic(app);
    let actor = staff(VILLAGE, &clinic, None);
    Emergency::new(&app.state.ctx, &actor)
        .open_case(NewCase {
            patient: DEMO_RESIDENT.parse().unwrap(),
            emergency: Condition::Stemi,
            contact: ContactPoint::VillageClinic,
            from: Contact::Institution(clinic.parse().unwrap()),
            first_contact: None,
            onset_minutes: 0,
            large_vessel: false,
            ecg: None,
            ecg_reading: None,
        })
        .await
        .expect("the case opened")
        .value
}

/// The text of the error next to the field `id`.
fn error_of(resp: &Resp, id: &str) -> String {
    crate::ui_office::after(&resp.body, &format!(r#"id="{id}-error">"#))
}

#[tokio::test]
async fn ui_emergency_is_refused_to_residents_analysts_and_insurers() {
    let app = spawn_app().await;
    for user in ["resident", "analyst", "insurer"] {
        let s = sign_in(&app, user).await;
        for path in ["/ui/emergency", "/ui/emergency/new"] {
            let resp = ui_get(&app, Some(&s), path).await;
            assert_eq!(resp.status, 403, "{user} {path}");
        }
    }
    // Doctors and coordinators find it in their navigation.
    for user in ["doctor", "specialist", "coordinator", "frontdesk"] {
        let s = sign_in(&app, user).await;
        let home = ui_get(&app, Some(&s), "/ui/emergency").await;
        home.expect(200);
        assert!(
            home.body
                .contains(r#"href="/ui/emergency" aria-current="page""#),
            "{user}"
        );
    }
}

#[tokio::test]
async fn ui_emergency_a_bad_alert_shows_the_field_at_fault_in_chinese() {
    let app = spawn_app().await;
    let clinic = village_clinic(&app);
    add_user(&app, VILLAGE, UserRole::Doctor, &clinic, None).await;
    let s = session_of(&app, VILLAGE).await;
    let form = ui_get(&app, Some(&s), "/ui/emergency/new").await;
    form.expect(200);
    assert!(
        form.body
            .contains(r#"<option value="village-clinic" selected>"#)
    );
    let csrf = field(&form.body, "csrf");
    let now = field(&form.body, "first-contact");
    let send = |patient: &'static str, first_contact: String| {
        let (app, s, csrf) = (&app, &s, &csrf);
        async move {
            let fields = [
                ("csrf", csrf.as_str()),
                ("patient", patient),
                ("emergency", "stemi"),
                ("contact", "village-clinic"),
                ("first-contact", first_contact.as_str()),
                ("onset", ""),
            ];
            ui_post(app, s, "/ui/emergency", &fields).await
        }
    };
    // A patient the registry does not have: refused by the service, shown
    // by the patient field.
    let unknown = send("res-999999", now.clone()).await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert_eq!(error_of(&unknown, "patient"), "没有这个患者");
    // A first contact two hours from now.
    let later = app.state.ctx.clock.now() + Duration::hours(2);
    let local = later.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    let future = format!("{}T{:02}:{:02}", local.date(), local.hour(), local.minute());
    let ahead = send(DEMO_RESIDENT, future.clone()).await;
    assert_eq!(ahead.status, 400, "{}", ahead.body);
    assert_eq!(error_of(&ahead, "first-contact"), "时间不能晚于现在");
    assert!(ahead.body.contains(&format!(r#"value="{future}""#)), "kept");
    assert!(ahead.body.contains("请修改标出的字段后重新提交"));
    // An empty patient and a time that is no time.
    let empty = send("", "yesterday".into()).await;
    assert_eq!(empty.status, 400);
    assert_eq!(error_of(&empty, "patient"), "必填");
    assert_eq!(
        error_of(&empty, "first-contact"),
        "请填写有效的时间（年-月-日 时:分）"
    );
    // Coordinates are for an ambulance at the roadside only.
    let fields = [
        ("csrf", csrf.as_str()),
        ("patient", DEMO_RESIDENT),
        ("emergency", "major-trauma"),
        ("contact", "village-clinic"),
        ("latitude", "30.1"),
        ("longitude", "104.1"),
    ];
    let roadside = ui_post(&app, &s, "/ui/emergency", &fields).await;
    assert_eq!(roadside.status, 400);
    assert_eq!(
        error_of(&roadside, "latitude"),
        "请同时填写有效的纬度和经度，且仅用于救护车"
    );
    assert_eq!(all_cases(&app).await, 0, "nothing written");
    let mut fields = fields;
    fields[3] = ("contact", "ambulance");
    let ambulance = ui_post(&app, &s, "/ui/emergency", &fields).await;
    assert_eq!(ambulance.status, 303, "{}", ambulance.body);
    let to_case = ambulance.header("location").unwrap_or_default();
    assert!(
        to_case.starts_with("/ui/emergency/cases/") && to_case.ends_with("?done=sent"),
        "{to_case}"
    );
    // Its sender reads the case it opened at the roadside.
    ui_get(&app, Some(&s), &to_case).await.expect(200);
    assert_eq!(all_cases(&app).await, 1);
    // The same form right opens the case.
    let sent = send(DEMO_RESIDENT, now).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(all_cases(&app).await, 2);
}

#[tokio::test]
async fn ui_emergency_a_second_acknowledgement_is_a_notice_and_a_late_window_is_marked() {
    let app = spawn_app().await;
    let case = opened(&app).await;
    let id = case.id.to_string();
    let destination = case.destination().to_string();
    let practitioner = practitioner_at(&app, &destination);
    add_user(
        &app,
        CENTRE,
        UserRole::Doctor,
        &destination,
        Some(&practitioner),
    )
    .await;
    let s = session_of(&app, CENTRE).await;
    let list = ui_get(&app, Some(&s), "/ui/emergency").await;
    list.expect(200);
    assert!(list.body.contains(&format!(r#"id="case-{id}""#)));
    let csrf = field(&list.body, "csrf");
    let ack = format!("/ui/emergency/cases/{id}/acknowledge");
    let first = ui_post(&app, &s, &ack, &[("csrf", &csrf)]).await;
    assert_eq!(first.status, 303);
    let again = ui_post(&app, &s, &ack, &[("csrf", &csrf)]).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("该病例刚被他人更新"), "{}", again.body);
    assert!(again.body.contains(r#"class="message error""#));
    // From the case page, the notice is on the case.
    let on_case = ui_post(&app, &s, &ack, &[("csrf", &csrf), ("back", "case")]).await;
    assert_eq!(on_case.status, 409);
    assert!(on_case.body.contains(r#"id="clock""#));
    // A door before the first contact: refused next to its time, in
    // Chinese, nothing written.
    let early = case.clock.first_contact - Duration::minutes(5);
    let local = early.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    let at = format!("{}T{:02}:{:02}", local.date(), local.hour(), local.minute());
    let door = format!("/ui/emergency/cases/{id}/door");
    let refused = ui_post(&app, &s, &door, &[("csrf", &csrf), ("at", &at)]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(error_of(&refused, "door-at"), "不能早于“首次医疗接触”");
    assert_eq!(case_of(&app, &id).await.clock.door, None);
    // A doctor of another institution is told the case does not exist.
    let other = sign_in(&app, "doctor").await;
    let home = ui_get(&app, Some(&other), "/ui/emergency").await;
    let theirs = ui_post(&app, &other, &ack, &[("csrf", &field(&home.body, "csrf"))]).await;
    assert_eq!(theirs.status, 404);
    // Three hours on, untreated: the reperfusion window is over, marked.
    app.state.ctx.clock.advance(Duration::hours(3));
    let late = ui_get(&app, Some(&s), "/ui/emergency").await;
    assert!(
        late.body.contains("badge window bad overdue"),
        "{}",
        late.body
    );
    assert!(late.body.contains("再灌注时间窗已过"));
    assert!(late.body.contains("已超过预计到达时间"));
}

#[tokio::test]
async fn ui_emergency_the_centre_transfers_onward_and_closes_the_case_at_thirty_days() {
    let app = spawn_app().await;
    let case = opened(&app).await;
    let id = case.id.to_string();
    let destination = case.destination().to_string();
    let practitioner = practitioner_at(&app, &destination);
    add_user(
        &app,
        CENTRE,
        UserRole::Doctor,
        &destination,
        Some(&practitioner),
    )
    .await;
    let s = session_of(&app, CENTRE).await;
    let path = format!("/ui/emergency/cases/{id}");
    let page = ui_get(&app, Some(&s), &path).await;
    page.expect(200);
    assert!(!page.body.contains(r#"id="record-outcome""#), "not yet due");
    let csrf = field(&page.body, "csrf");
    // The county hospital, among the places a patient may be sent on to.
    let onward = crate::referral::HOSPITAL;
    assert!(page.body.contains(&format!(r#"<option value="{onward}""#)));
    app.state.ctx.clock.advance(Duration::minutes(50));
    let door = ui_post(
        &app,
        &s,
        &format!("{path}/door"),
        &[("csrf", &csrf), ("bypassed", "yes")],
    )
    .await;
    assert_eq!(door.status, 303, "{}", door.body);
    app.state.ctx.clock.advance(Duration::minutes(30));
    let sent_on = ui_post(
        &app,
        &s,
        &format!("{path}/transfer"),
        &[("csrf", &csrf), ("to", onward)],
    )
    .await;
    assert_eq!(sent_on.status, 303, "{}", sent_on.body);
    let stored = case_of(&app, &id).await;
    let out = stored.transfer_out.expect("the transfer");
    assert_eq!(out.to.as_str(), onward);
    let page = ui_get(&app, Some(&s), &path).await;
    assert!(page.body.contains("已转往"), "{}", page.body);
    assert!(!page.body.contains(r#"id="record-transfer""#), "once");
    // Thirty days on, the outcome is due: flagged on the list, then
    // recorded, which closes the case and takes it off the list.
    app.state.ctx.clock.advance(Duration::days(30));
    let list = ui_get(&app, Some(&s), "/ui/emergency").await;
    assert!(list.body.contains("30 天结局待记录"), "{}", list.body);
    let page = ui_get(&app, Some(&s), &path).await;
    assert!(page.body.contains(r#"id="record-outcome""#));
    let bad = ui_post(
        &app,
        &s,
        &format!("{path}/outcome"),
        &[("csrf", &csrf), ("outcome", "unknown")],
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(error_of(&bad, "outcome"), "请从列表中选择");
    let closed = ui_post(
        &app,
        &s,
        &format!("{path}/outcome"),
        &[("csrf", &csrf), ("outcome", "alive")],
    )
    .await;
    assert_eq!(closed.status, 303, "{}", closed.body);
    assert_eq!(
        case_of(&app, &id).await.outcome,
        Some(tiercare_core::emergency::Outcome::Alive)
    );
    let page = ui_get(&app, Some(&s), &path).await;
    assert!(page.body.contains("病例已结案"));
    let list = ui_get(&app, Some(&s), "/ui/emergency").await;
    assert!(!list.body.contains(&format!(r#"id="case-{id}""#)));
    // A step on a closed case is a notice, not an error page.
    let late = ui_post(&app, &s, &format!("{path}/ecg"), &[("csrf", &csrf)]).await;
    assert_eq!(late.status, 409, "{}", late.body);
    assert!(late.body.contains("该病例已结案，不能再更改"));
}

/// The township doctor who sent the trace to the alliance's ECG centre
/// picks that reading on the alert form: the case's ECG is the reading's;
/// a reading that is not there is shown at its field in Chinese.
#[tokio::test]
async fn ui_emergency_the_alert_names_the_hubs_ecg_reading() {
    let app = spawn_app().await;
    let hub = crate::hubs::ecg_hub(&app).await;
    let s = sign_in(&app, "doctor").await;
    let form = ui_get(&app, Some(&s), "/ui/emergency/new").await;
    form.expect(200);
    let csrf = field(&form.body, "csrf");
    let first_contact = field(&form.body, "first-contact");
    let reading = crate::hubs::order(&app, &hub, "stat").await;
    let form = ui_get(&app, Some(&s), "/ui/emergency/new").await;
    assert!(
        form.body
            .contains(&format!(r#"<option value="{reading}">{DEMO_RESIDENT} · "#)),
        "{}",
        form.body
    );
    let send = |chosen: String| {
        let (app, s, csrf, first_contact) = (&app, &s, csrf.clone(), first_contact.clone());
        async move {
            let fields = [
                ("csrf", csrf.as_str()),
                ("patient", DEMO_RESIDENT),
                ("emergency", "stemi"),
                ("contact", "township"),
                ("first-contact", first_contact.as_str()),
                ("onset", ""),
                ("ecg-reading", chosen.as_str()),
            ];
            ui_post(app, s, "/ui/emergency", &fields).await
        }
    };
    let wrong = send("rdg-nothing".into()).await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        error_of(&wrong, "ecg-reading").contains("不是该患者"),
        "{}",
        wrong.body
    );
    assert_eq!(all_cases(&app).await, 0, "nothing written");
    let sent = send(reading.clone()).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let cases = Emergency::new(&app.state.ctx, &actor_of(&app, "admin"))
        .cases(&CaseFilter::default())
        .await
        .expect("the cases");
    assert_eq!(cases.len(), 1);
    let case = &cases[0].value;
    assert_eq!(
        case.ecg_reading.as_ref().map(|r| r.as_str()),
        Some(reading.as_str())
    );
    assert!(
        case.clock.ecg.is_some(),
        "the reading's moment is the ECG's"
    );
}
