//! Remote readings in a real browser, in Chinese: a township doctor orders
//! a stat ECG reading, the county hospital's reader takes it and reports
//! ST elevation, and the doctor sees the critical alert and turns it into
//! an emergency referral in one step; the FHIR API agrees with what the
//! pages showed, and the reading appears as a flow from the hospital to the
//! township on the analyst's network page and in `$evaluate-measure`.

use crate::browser::Driver;
use crate::helpers::{DEMO_RESIDENT, spawn_app};
use crate::hubs::{extension, sub};
use crate::referral::HOSPITAL;

/// The township of the demo doctor, and the county medical community it
/// and the county hospital belong to.
const CENTRE: &str = "zx-tc1";
const ALLIANCE: &str = "zx-all-ccmc";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_township_doctor_orders_an_ecg_and_refers_on_its_critical_finding() {
    let app = spawn_app().await;
    let base = app.base.clone();
    let doctor_password = app.user("doctor").password.clone();
    let reader_password = app.user("specialist").password.clone();
    let analyst_password = app.user("analyst").password.clone();
    let today = app.state.ctx.clock.today().to_string();
    let doctor_driver = Driver::start().await;
    let reader_driver = Driver::start().await;
    let analyst_driver = Driver::start().await;
    let d = doctor_driver.session().await;
    let r = reader_driver.session().await;
    let a = analyst_driver.session().await;
    let on = today.clone();
    let run = tokio::spawn(async move {
        let today = on;
        // The doctor orders, in Chinese (the browser's language).
        d.sign_in(&base, "doctor", &doctor_password).await;
        assert_eq!(d.page_lang().await, "zh-CN");
        d.click("#to-readings").await;
        d.wait_for_url("the readings", |u| u.ends_with("/ui/doctor/readings"))
            .await;
        // Bad input first: the message next to the question.
        d.type_into("#patient", DEMO_RESIDENT).await;
        d.click("#send-order").await;
        d.wait_for("#question-error").await;
        // The county hospital's ECG hub, which the demo gives the county
        // medical community.
        d.click("#hub option[value='hub-zx-h1-ecg']").await;
        d.click("#priority option[value='stat']").await;
        d.type_into("#question", "胸痛40分钟，出汗").await;
        d.type_into("#media", "https://ecg.zx.example/trace/1")
            .await;
        d.click("#send-order").await;
        d.wait_for_url("the order", |u| u.contains("done=ordered"))
            .await;
        let notice = d.text("#notice").await;
        assert!(notice.contains("已提交"), "{notice}");
        let id = d
            .script("return document.querySelector('.reading').id.replace('reading-', '');")
            .await
            .as_str()
            .expect("a reading")
            .to_string();
        d.screenshot("hub-doctor-ordered-zh-CN").await;

        // The reader takes it from the queue and reports ST elevation.
        r.sign_in(&base, "specialist", &reader_password).await;
        r.click("#to-hub").await;
        r.wait_for_url("the queue", |u| u.ends_with("/ui/specialist/hub"))
            .await;
        let priority = r
            .script(&format!(
                "return document.getElementById('order-{id}').dataset.priority;"
            ))
            .await;
        assert_eq!(priority, "stat");
        r.click(&format!("#order-{id} .take")).await;
        r.wait_for_url("the take", |u| u.contains("done=taken"))
            .await;
        r.type_into(&format!("#conclusion-{id}"), "急性下壁心肌梗死")
            .await;
        r.click(&format!("#order-{id} input[value='164931005']"))
            .await;
        r.screenshot("hub-reader-report-zh-CN").await;
        r.click(&format!("#order-{id} .send-report")).await;
        r.wait_for_url("the report", |u| u.contains("done=reported"))
            .await;

        // The alert on the doctor's worklist, acknowledged by referring.
        d.goto(&format!("{base}/ui/doctor/readings")).await;
        let alert = d
            .wait_for_text(&format!("#reading-{id} .alert"), "ST段抬高")
            .await;
        assert!(alert.contains("危急值"), "{alert}");
        let button = d.text(&format!("#reading-{id} .refer")).await;
        assert_eq!(button, "转为急诊转诊");
        d.screenshot("hub-doctor-alert-zh-CN").await;
        d.click(&format!("#reading-{id} .refer")).await;
        let at = d
            .wait_for_url("the referral", |u| u.contains("/ui/doctor/referrals/"))
            .await;
        assert!(at.contains("done=referred"), "{at}");
        let referral = at
            .split("/ui/doctor/referrals/")
            .nth(1)
            .and_then(|x| x.split('?').next())
            .expect("referral id")
            .to_string();
        d.goto(&format!("{base}/ui/doctor/readings")).await;
        d.wait_for(&format!("#reading-{id} .acknowledged")).await;
        assert!(!d.has(&format!("#reading-{id} .refer")).await);
        d.quit().await;

        // The commission's analyst sees the reading as a flow from the
        // county hospital to the township, and the fee's share back.
        r.quit().await;
        a.sign_in(&base, "analyst", &analyst_password).await;
        a.goto(&format!(
            "{base}/ui/network?alliance={ALLIANCE}&from={today}&to={today}"
        ))
        .await;
        let reading_flow = format!(
            "path.flow[data-from='{HOSPITAL}'][data-to='{CENTRE}'][data-kind='remote-readings']"
        );
        a.wait_for(&reading_flow).await;
        let value = a
            .script(&format!(
                "return document.querySelector(\"{reading_flow}\").dataset.value;"
            ))
            .await;
        assert_eq!(value, "1");
        assert!(
            a.has(&format!(
                "path.flow[data-from='{CENTRE}'][data-to='{HOSPITAL}'][data-kind='money']"
            ))
            .await
        );
        a.screenshot("hub-network-zh-CN").await;
        a.quit().await;
        (id, referral)
    });
    let (id, referral) = run.await.expect("the browser walk");
    // The API says what the pages said.
    let order = app.get("doctor", &format!("/ServiceRequest/{id}")).await;
    order.expect(200);
    let order = order.json();
    let alert = extension(&order, "critical-alert").expect("an alert");
    assert_eq!(
        sub(alert, "referral")["valueReference"]["reference"],
        format!("ServiceRequest/{referral}")
    );
    let made = app
        .get("doctor", &format!("/ServiceRequest/{referral}"))
        .await;
    made.expect(200);
    assert_eq!(made.json()["priority"], "stat");
    assert_eq!(
        made.json()["performer"][0]["reference"],
        format!("Organization/{}", crate::referral::HOSPITAL)
    );
    // The same flow in `$evaluate-measure`, stratified by partnership.
    let report = app
        .get(
            "analyst",
            &format!(
                "/Measure/flow-remote-readings/$evaluate-measure?periodStart={today}&periodEnd={today}&subject=Organization/{ALLIANCE}"
            ),
        )
        .await;
    report.expect(200);
    let report = report.json();
    let stratum = report["group"][0]["stratifier"][0]["stratum"]
        .as_array()
        .and_then(|s| {
            s.iter()
                .find(|x| x["value"]["text"] == format!("{HOSPITAL}->{CENTRE}"))
        })
        .cloned()
        .expect("the hospital-to-township stratum");
    assert_eq!(stratum["measureScore"]["value"], 1.0, "{report}");
}
