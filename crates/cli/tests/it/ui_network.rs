//! The resource-flow network page over the demo county's history: in a
//! real browser in Chinese and then English (the drawing has arrows, the
//! partnerships their classes in words), and over HTTP the JSON and CSV
//! downloads equal to what `tiercare_service::flows::flows` returns, with
//! the same authorisation: a township doctor sees their own alliance's
//! network, not another's.

use crate::browser::Driver;
use crate::helpers::{Resp, field, send, ui_client};
use serde_json::Value;
use tempfile::TempDir;
use tiercare::config::Settings;
use tiercare::demo::{self, HistoryOptions};
use tiercare_api::AppState;
use tiercare_core::access::Actor;
use tiercare_core::demo::{DemoCounty, DemoUser};
use tiercare_core::flows::FlowKind;
use tokio::sync::oneshot;

/// The alliance of the demo county's township centres and the county
/// hospital, and the urban group the township doctor is not in.
const CCMC: &str = "zx-all-ccmc";
const UMG: &str = "zx-all-umg";

/// A server over a fresh database holding the demo county with 60 days
/// of history (care, readings, the joint programmes), on the history
/// test's fixed day.
struct HistoryApp {
    base: String,
    state: AppState,
    users: Vec<DemoUser>,
    _dir: TempDir,
    _stop: oneshot::Sender<()>,
}

impl HistoryApp {
    async fn start() -> HistoryApp {
        let county = DemoCounty::generate(400, 2026);
        let (dir, state) = crate::history::fresh(&county).await;
        let options = HistoryOptions {
            days: 60,
            seed: 7,
            county: false,
        };
        let (loaded, _) = demo::load_with_history(&state, &county, options)
            .await
            .expect("the demo county with its history");
        let settings = Settings {
            listen: "127.0.0.1:0".into(),
            ..Settings::default()
        };
        let (base, _, tx) = crate::helpers::serve(&state, &settings).await;
        HistoryApp {
            base,
            state,
            users: loaded.users,
            _dir: dir,
            _stop: tx,
        }
    }

    fn user(&self, name: &str) -> &DemoUser {
        self.users
            .iter()
            .find(|u| u.username == name)
            .unwrap_or_else(|| panic!("no demo user {name}"))
    }

    fn actor(&self, name: &str) -> Actor {
        let u = self.user(name);
        Actor {
            username: u.username.clone(),
            role: u.role,
            institution: u.institution.clone(),
            practitioner: u.practitioner.clone(),
            resident: u.resident.clone(),
        }
    }

    /// Signs a demo user in through the form; the session cookie's value.
    async fn sign_in(&self, name: &str) -> String {
        let c = ui_client();
        let form = send(c.get(format!("{}/ui/login", self.base))).await;
        form.expect(200);
        let login = cookie(&form, "tiercare_login");
        let resp = send(
            c.post(format!("{}/ui/login", self.base))
                .header("cookie", format!("tiercare_login={login}"))
                .form(&[
                    ("username", name),
                    ("password", self.user(name).password.as_str()),
                    ("csrf", field(&form.body, "csrf").as_str()),
                ]),
        )
        .await;
        resp.expect(303);
        cookie(&resp, "tiercare_session")
    }

    async fn get(&self, session: &str, path: &str) -> Resp {
        send(
            ui_client()
                .get(format!("{}{path}", self.base))
                .header("cookie", format!("tiercare_session={session}")),
        )
        .await
    }
}

/// The value of the cookie `name` a response sets.
fn cookie(resp: &Resp, name: &str) -> String {
    resp.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no cookie {name}"))
        .to_string()
}

/// What the browser reads off the page: the arrows drawn, the classes
/// shown and the headings.
const LOOK: &str = r#"
    const cells = (table, col) => [...document.querySelectorAll(
        `[data-table="${table}"] td[data-col="${col}"]`)].map(e => e.textContent.trim());
    return {
      lang: document.documentElement.lang,
      h1: document.querySelector('h1').textContent.trim(),
      arrows: document.querySelectorAll('svg[data-chart="network"] path.flow').length,
      nodes: document.querySelectorAll('svg[data-chart="network"] g.node').length,
      legend: [...document.querySelectorAll('svg[data-chart="network"] g.legend text')]
        .map(e => e.textContent.trim()),
      classes: cells('network-partnerships', 'class'),
      edges: document.querySelectorAll('[data-table="network-edges"] tbody tr').length,
      months: cells('network-months', 'direction'),
      giver: document.querySelector('[data-table="network-edges"] th[data-col="from"]')
        .textContent.trim(),
      nav: !!document.querySelector('nav.pages a[href="/ui/network"][aria-current="page"]'),
      wide: document.documentElement.scrollWidth > window.innerWidth,
    };"#;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_sees_the_network_drawn_and_its_partnerships_in_both_languages() {
    let app = HistoryApp::start().await;
    let base = app.base.clone();
    let password = app.user("analyst").password.clone();
    let driver = Driver::start().await;
    let b = driver.session().await;
    let run = tokio::spawn(async move {
        b.sign_in(&base, "analyst", &password).await;
        b.click("nav.pages a[href='/ui/network']").await;
        b.wait_for("svg[data-chart='network']").await;
        let zh = b.script(LOOK).await;
        b.screenshot("network-zh-CN").await;
        b.script("document.getElementById('section-network-partnerships').scrollIntoView();")
            .await;
        b.screenshot("network-partnerships-zh-CN").await;
        // On a phone the drawing shrinks and the tables scroll inside the
        // page.
        b.set_window_size(390, 844).await;
        let phone = b.script(LOOK).await;
        b.screenshot("network-phone-zh-CN").await;
        b.set_window_size(1400, 1000).await;
        b.switch_language().await;
        b.wait_for("svg[data-chart='network']").await;
        let en = b.script(LOOK).await;
        b.screenshot("network-en").await;
        b.quit().await;
        (zh, en, phone)
    });
    let (zh, en, phone) = run.await.expect("the browser walk");
    let today = app.state.ctx.clock.today();
    let expected = tiercare_service::flows::flows(
        &app.state.ctx,
        &app.actor("analyst"),
        Some(CCMC),
        today - time::Duration::days(365),
        today,
    )
    .await
    .expect("the service's flows");

    assert_eq!(zh["lang"], "zh-CN");
    assert!(zh["nav"].as_bool().unwrap_or(false), "{zh}");
    // The analyst has no alliance of their own: the first, the county's.
    assert_eq!(zh["h1"], "资源流动网络：ZX市县域医共体", "{zh}");
    assert!(zh["arrows"].as_u64() > Some(0), "no arrows: {zh}");
    assert_eq!(zh["nodes"].as_u64(), Some(expected.nodes.len() as u64));
    let drawn: usize = expected
        .network
        .edges()
        .map(|e| e.total.iter().filter(|&&x| x > 0).count())
        .sum();
    assert_eq!(
        zh["arrows"].as_u64(),
        Some(drawn as u64),
        "an arrow per edge and kind"
    );
    assert!(zh["edges"].as_u64() > Some(0), "{zh}");
    assert!(
        strings(&zh["legend"]).contains(&"上转患者".to_string()),
        "{zh}"
    );
    let zh_classes = strings(&zh["classes"]);
    assert!(!zh_classes.is_empty(), "no partnerships: {zh}");
    for c in &zh_classes {
        assert!(
            ["单向", "偏利共生", "互利共生"].contains(&c.as_str()),
            "{c}"
        );
    }
    let directions = strings(&zh["months"]);
    assert!(directions.contains(&"下转方向".to_string()), "{zh}");
    assert!(directions.contains(&"上转方向".to_string()), "{zh}");
    assert_eq!(zh["giver"], "给予方");
    assert_eq!(zh["wide"], false, "the page is wider than the window");
    assert_eq!(phone["wide"], false, "the page is wider than a phone");

    assert_eq!(en["lang"], "en");
    assert_eq!(en["h1"], "Resource-flow network: ZX市县域医共体", "{en}");
    assert_eq!(en["arrows"], zh["arrows"], "the same drawing");
    assert_eq!(en["giver"], "Giver");
    assert!(
        strings(&en["legend"]).contains(&"Patients referred up".to_string()),
        "{en}"
    );
    let en_classes = strings(&en["classes"]);
    assert_eq!(en_classes.len(), zh_classes.len());
    for (e, z) in en_classes.iter().zip(&zh_classes) {
        let want = match z.as_str() {
            "单向" => "One-way",
            "偏利共生" => "Commensal",
            _ => "Mutual",
        };
        assert_eq!(e, want);
    }
}

#[tokio::test]
async fn the_downloads_are_the_service_figures_and_staff_see_their_own_alliance_only() {
    let app = HistoryApp::start().await;
    let today = app.state.ctx.clock.today();
    let from = today - time::Duration::days(90);
    let query = format!("alliance={CCMC}&from={from}&to={today}");
    let analyst = app.sign_in("analyst").await;
    let expected = tiercare_service::flows::flows(
        &app.state.ctx,
        &app.actor("analyst"),
        Some(CCMC),
        from,
        today,
    )
    .await
    .expect("the service's flows");
    assert!(expected.network.edges().count() > 0);

    // JSON: every edge's totals by kind code are the service's.
    let resp = app
        .get(&analyst, &format!("/ui/network.json?{query}"))
        .await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        resp.header("content-type")
    );
    let doc = resp.json();
    let id = |ix| expected.node(ix).expect("a node").id.clone();
    let edges = doc["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), expected.network.edges().count());
    for e in expected.network.edges() {
        let (from_id, to_id) = (id(e.from), id(e.to));
        let got = edges
            .iter()
            .find(|x| x["from"] == from_id.as_str() && x["to"] == to_id.as_str())
            .unwrap_or_else(|| panic!("no edge {from_id} -> {to_id}"));
        for &kind in FlowKind::ALL {
            assert_eq!(
                got["total"][kind.code()].as_u64().unwrap_or(0),
                e.total[kind.index()],
                "{from_id} -> {to_id} {kind}"
            );
        }
        // The months add up to the total.
        let by_month: u64 = got["months"]
            .as_object()
            .expect("months")
            .values()
            .filter_map(|m| m["patients-up"].as_u64())
            .sum();
        assert_eq!(by_month, e.total[FlowKind::PatientsUp.index()]);
    }
    assert_eq!(
        doc["nodes"].as_array().map(Vec::len),
        Some(expected.nodes.len())
    );
    let classes: Vec<&str> = doc["partnerships"]
        .as_array()
        .expect("partnerships")
        .iter()
        .filter_map(|p| p["class"].as_str())
        .collect();
    let want: Vec<&str> = expected
        .partnerships
        .iter()
        .map(|p| p.class.code())
        .collect();
    assert_eq!(classes, want);
    let totals = expected.network.totals();
    assert_eq!(
        doc["totals"]["patients-up"].as_u64(),
        Some(totals[FlowKind::PatientsUp.index()])
    );

    // CSV: exactly the service's, as a named download.
    let resp = app.get(&analyst, &format!("/ui/network.csv?{query}")).await;
    resp.expect(200);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let disposition = resp.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.contains(&format!(
            "filename=\"tiercare-network-{CCMC}-{from}-{today}.csv\""
        )),
        "{disposition}"
    );
    assert_eq!(resp.body, expected.csv());
    assert!(
        resp.body
            .starts_with("month,from,from_name,to,to_name,kind,unit,amount\n")
    );
    assert!(resp.body.lines().count() > 1, "no flows in the CSV");

    // The page refuses a date that is not one, naming the field.
    let resp = app
        .get(&analyst, "/ui/network?from=2026-13-01&to=2026-12-01")
        .await;
    resp.expect(400);
    assert!(resp.body.contains("开始日期"), "{}", resp.body);
    assert!(resp.body.contains(r#"data-field="from""#), "{}", resp.body);
    let resp = app.get(&analyst, "/ui/network?alliance=nowhere").await;
    resp.expect(400);
    assert!(
        resp.body.contains(r#"data-field="alliance""#),
        "{}",
        resp.body
    );
    assert!(resp.body.contains("nowhere"), "{}", resp.body);

    // A township doctor: their own alliance by default, not another's.
    let doctor = app.sign_in("doctor").await;
    let own = app.get(&doctor, "/ui/network").await;
    own.expect(200);
    assert!(own.body.contains("ZX市县域医共体"), "{}", own.body);
    for path in ["/ui/network", "/ui/network.json", "/ui/network.csv"] {
        let resp = app.get(&doctor, &format!("{path}?alliance={UMG}")).await;
        resp.expect(403);
    }
    let resident = app.sign_in("resident").await;
    app.get(&resident, "/ui/network").await.expect(403);
}
