//! The indicator dashboard and the joint programmes page in a real
//! browser on a phone (390 px) and a tablet, in Chinese (the default) and
//! in English (the switch): nothing wider than the screen, every control
//! reachable by the keyboard and labelled, a screenshot of each page in
//! each language, and the figures on the pages equal to what the service
//! and `$evaluate-measure` say, in both languages.

use crate::browser::Driver;
use crate::browser::Session;
use crate::dashboard::{seed, sign_in, ui_get_in};
use crate::helpers::{TestApp, spawn_app_at};
use serde_json::Value;
use std::collections::HashMap;
use tiercare::demo::{HistoryOptions, outreach_history};
use tiercare_core::indicators::{MEASURES, Period};
use tiercare_core::outreach::evaluation::OUTREACH_MEASURES;
use tiercare_service::clock::Clock;
use tiercare_service::indicators::{SubjectRef, day_of, evaluate};
use tiercare_web::Lang;
use tiercare_web::tables::measure_format;
use time::macros::{date, datetime};

/// The day the test stands on, so the generated history is the same on
/// every day the suite runs.
const TODAY: time::OffsetDateTime = datetime!(2026-12-06 12:00 UTC);
/// Enough residents for the co-managed panels to have patients.
const RESIDENTS: usize = 400;
/// Days of joint programme history.
const DAYS: u32 = 60;

/// What the browser read off a page: its width against the screen's,
/// the controls that cannot be focused or have no name, and every
/// figure with its `data-measure`.
const LOOK: &str = r#"
    const name = e => (e.getAttribute('aria-label') || e.textContent || '').trim()
        || [...(e.labels || [])].map(l => l.textContent.trim()).join(' ');
    const controls = [...document.querySelectorAll(
        'main a[href], main button, main input, main select, main [tabindex]')];
    const unreachable = controls.filter(e => { e.focus(); return document.activeElement !== e; })
        .map(e => e.outerHTML.slice(0, 80));
    const unnamed = controls.filter(e => !name(e)).map(e => e.outerHTML.slice(0, 80));
    const unlabelled = [...document.querySelectorAll('main input, main select')]
        .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.name);
    const wide = [...document.querySelectorAll('main *')].filter(e => {
        if (e.closest('.scroll') || (e.closest('svg') && e.tagName !== 'svg')) return false;
        const r = e.getBoundingClientRect();
        return r.width > 0 && (r.right > window.innerWidth + 1 || r.left < -1);
    }).map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 10);
    document.activeElement.blur();
    window.scrollTo(0, 0);
    const scrollers = [...document.querySelectorAll('.scroll')]
        .filter(e => e.getAttribute('tabindex') !== '0').length;
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      lang: document.documentElement.lang,
      h1: document.querySelector('h1').textContent.trim(),
      unreachable, unnamed, unlabelled, wide, scrollers,
      controls: controls.length,
      measures: [...document.querySelectorAll('[data-measure]')].map(e => ({
        code: e.dataset.measure, value: e.dataset.value, text: e.textContent.trim(),
      })),
    };"#;

/// Looks at the page shown and checks it fits `width` and works with the
/// keyboard; returns what it read.
async fn look(b: &Session, width: u64, what: &str) -> Value {
    let seen = b.script(LOOK).await;
    let scroll = seen["scrollWidth"].as_u64().unwrap_or(u64::MAX);
    assert!(
        scroll <= width,
        "{what}: the page is {scroll} px wide on a {width} px screen; too wide: {}",
        seen["wide"]
    );
    assert_eq!(seen["wide"], serde_json::json!([]), "{what}: off-screen");
    assert!(seen["controls"].as_u64() > Some(5), "{what}: {seen}");
    for list in ["unreachable", "unnamed", "unlabelled"] {
        assert_eq!(seen[list], serde_json::json!([]), "{what}: {list}");
    }
    assert_eq!(
        seen["scrollers"], 0,
        "{what}: a wide table the keyboard cannot scroll"
    );
    seen
}

/// The figures a page shows: code -> (exact value, the words shown).
fn figures(seen: &Value) -> HashMap<String, (Option<f64>, String)> {
    seen["measures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let raw = m["value"].as_str().unwrap_or_default();
            let value = (!raw.is_empty()).then(|| raw.parse::<f64>().expect("a number"));
            (
                m["code"].as_str().unwrap_or_default().to_string(),
                (value, m["text"].as_str().unwrap_or_default().to_string()),
            )
        })
        .collect()
}

async fn history(app: &TestApp) {
    let options = HistoryOptions {
        days: DAYS,
        seed: 7,
        county: false,
    };
    outreach_history(&app.state, &app.county, options)
        .await
        .expect("the joint programmes' history");
}

#[tokio::test]
async fn on_a_phone_and_a_tablet_both_pages_fit_and_show_the_figures_in_both_languages() {
    let app = spawn_app_at(RESIDENTS, |_| {}, Clock::set_at(TODAY)).await;
    seed(&app).await;
    history(&app).await;
    let today = app.state.ctx.clock.today();
    let (first, last) = (today - time::Duration::days(i64::from(DAYS)), today);
    let dashboard = format!(
        "{}/ui/dashboard?from=2026-01-01&to=2026-03-31&subject=region",
        app.base
    );
    let programmes = format!(
        "{}/ui/programmes?from={first}&to={last}&subject=region",
        app.base
    );
    let base = app.base.clone();
    let password = app.user("analyst").password.clone();

    let driver = Driver::start().await;
    let browser = driver.session().await;
    let b = browser.clone();
    let run = tokio::spawn(async move {
        let mut seen: HashMap<String, Value> = HashMap::new();
        b.set_window_size(390, 844).await;
        let landed = b.sign_in(&base, "analyst", &password).await;
        assert!(landed.ends_with("/ui/dashboard"), "{landed}");

        b.goto(&dashboard).await;
        let zh = look(&b, 390, "dashboard zh-CN").await;
        assert_eq!(zh["lang"], "zh-CN");
        assert!(
            zh["h1"]
                .as_str()
                .is_some_and(|h| h.starts_with("监测指标：")),
            "{}",
            zh["h1"]
        );
        b.screenshot("dashboard-zh-CN").await;
        seen.insert("dashboard-zh-CN".into(), zh);

        b.switch_language().await;
        let en = look(&b, 390, "dashboard en").await;
        assert!(
            en["h1"]
                .as_str()
                .is_some_and(|h| h.starts_with("Indicators: ")),
            "{}",
            en["h1"]
        );
        b.screenshot("dashboard-en").await;
        seen.insert("dashboard-en".into(), en);

        // The choice is remembered on the next page.
        b.goto(&programmes).await;
        let en = look(&b, 390, "programmes en").await;
        assert_eq!(en["lang"], "en");
        assert!(
            en["h1"]
                .as_str()
                .is_some_and(|h| h.starts_with("Joint programmes: ")),
            "{}",
            en["h1"]
        );
        b.screenshot("programmes-en").await;
        seen.insert("programmes-en".into(), en);

        b.switch_language().await;
        let zh = look(&b, 390, "programmes zh-CN").await;
        assert!(
            zh["h1"]
                .as_str()
                .is_some_and(|h| h.starts_with("专家下沉项目：")),
            "{}",
            zh["h1"]
        );
        b.screenshot("programmes-zh-CN").await;
        seen.insert("programmes-zh-CN".into(), zh);

        // A tablet, upright.
        b.set_window_size(768, 1024).await;
        look(&b, 768, "programmes on a tablet").await;
        b.goto(&dashboard).await;
        look(&b, 768, "dashboard on a tablet").await;
        seen
    })
    .await;
    browser.quit().await;
    drop(driver);
    let seen = match run {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };

    // The dashboard's figures are the service's, shown in each language.
    let period = Period::new(day_of(date!(2026 - 01 - 01)), day_of(date!(2026 - 03 - 31)));
    let (_, want) = evaluate(&app.state.ctx, period, &SubjectRef::Region)
        .await
        .expect("evaluate");
    for lang in Lang::ALL {
        let page = figures(&seen[&format!("dashboard-{}", lang.code())]);
        assert_eq!(page.len(), MEASURES.len(), "{}", lang.code());
        for m in MEASURES {
            let value = (m.value)(&want);
            let (on_page, text) = &page[m.code];
            assert_eq!(*on_page, value, "{} {}", lang.code(), m.code);
            assert_eq!(*text, measure_format(m).show(lang, value), "{}", m.code);
        }
    }

    // The programme figures are those `$evaluate-measure` reports.
    let mut scores: HashMap<&str, Option<f64>> = HashMap::new();
    for m in OUTREACH_MEASURES {
        let report = app
            .get(
                "analyst",
                &format!(
                    "/Measure/{}/$evaluate-measure?periodStart={first}&periodEnd={last}",
                    m.code
                ),
            )
            .await;
        report.expect(200);
        scores.insert(
            m.code,
            report.json()["group"][0]["measureScore"]["value"].as_f64(),
        );
    }
    assert!(
        scores["outreach-patients-seen"].is_some_and(|n| n > 0.0),
        "the history held sessions"
    );
    for lang in Lang::ALL {
        let page = figures(&seen[&format!("programmes-{}", lang.code())]);
        for m in OUTREACH_MEASURES {
            let (on_page, _) = &page[m.code];
            let want = scores[m.code];
            match (on_page, want) {
                (Some(a), Some(b)) => {
                    assert!((a - b).abs() < 1e-9, "{} {}: {a} {b}", lang.code(), m.code)
                }
                (a, b) => assert_eq!(*a, b, "{} {}", lang.code(), m.code),
            }
        }
    }
}

/// Filters the pages cannot use are refused in the reader's language,
/// inside the page frame, with nothing shown of the figures; a role the
/// pages are not for gets a 403 page.
#[tokio::test]
async fn bad_filters_are_refused_in_the_readers_language_and_other_roles_get_403() {
    let app = crate::helpers::spawn_app().await;
    let analyst = sign_in(&app, "analyst").await;
    let cases: [(&str, &str, &str); 8] = [
        (
            "/ui/dashboard?from=2026-03-01&to=2026-01-01",
            "开始日期不能晚于结束日期。",
            "The start date must not be after the end date.",
        ),
        (
            "/ui/dashboard?from=2026-13-01",
            "开始日期须为日期",
            "From must be a date written YYYY-MM-DD.",
        ),
        (
            "/ui/dashboard?subject=town:x",
            "无法识别统计对象“town:x”",
            "\"town:x\" is not a subject",
        ),
        (
            "/ui/dashboard.csv?table=patients",
            "没有这张表",
            "There is no such table",
        ),
        (
            "/ui/dashboard?from=2000-01-01&to=2026-01-01",
            "统计期最长为 3660 天。",
            "The period may be at most 3660 days long.",
        ),
        (
            "/ui/programmes?from=2026-03-01&to=2026-01-01",
            "开始日期不能晚于结束日期。",
            "The start date must not be after the end date.",
        ),
        (
            "/ui/programmes?subject=town:x",
            "无法识别统计对象“town:x”",
            "\"town:x\" is not a subject",
        ),
        (
            "/ui/programmes.csv?table=patients",
            "没有这张表",
            "There is no such table",
        ),
    ];
    for (path, zh, en) in cases {
        for (lang, words) in [(Lang::Zh, zh), (Lang::En, en)] {
            let resp = ui_get_in(&app, Some(&analyst), path, lang).await;
            resp.expect(400);
            let body = resp.body.replace("&quot;", "\"").replace("&#34;", "\"");
            assert!(body.contains(words), "{path} {}: {body}", lang.code());
            assert!(!body.contains("data-measure"), "{path}: no figures");
            assert!(
                body.contains("data-user=\"analyst\""),
                "{path}: in the frame"
            );
        }
    }
    let unknown = ui_get_in(
        &app,
        Some(&analyst),
        "/ui/dashboard?subject=institution:nowhere",
        Lang::En,
    )
    .await;
    unknown.expect(404);
    assert!(
        unknown
            .body
            .contains("institution:nowhere is not a level, alliance or institution of the region"),
        "{}",
        unknown.body
    );

    // The pages are not for a resident; the dashboard is not for doctors.
    let resident = sign_in(&app, "resident").await;
    let doctor = sign_in(&app, "doctor").await;
    for (session, path) in [
        (&resident, "/ui/programmes"),
        (&resident, "/ui/programmes.csv?table=measures"),
        (&resident, "/ui/dashboard"),
        (&doctor, "/ui/dashboard"),
        (&doctor, "/ui/dashboard.csv?table=levels"),
    ] {
        for lang in Lang::ALL {
            let resp = ui_get_in(&app, Some(session), path, lang).await;
            resp.expect(403);
            assert!(!resp.body.contains("data-measure"), "{path}: no figures");
            let words = match lang {
                Lang::Zh => "此页面不在您的权限范围内",
                Lang::En => "this page is not among the pages your role may see",
            };
            assert!(resp.body.contains(words), "{path} {}", lang.code());
        }
    }
}

/// Counters handed over with no record behind them (the demo county's
/// simulated residents) are named on the page in both languages, with how
/// many visits the platform recorded itself; a page of recorded figures
/// alone says nothing of it.
#[tokio::test]
async fn figures_handed_over_without_records_are_named_on_the_page() {
    let app = crate::helpers::spawn_app().await;
    let analyst = sign_in(&app, "analyst").await;
    let path = "/ui/dashboard?from=2026-01-01&to=2026-01-31&subject=region";
    let before = ui_get_in(&app, Some(&analyst), path, Lang::En).await;
    before.expect(200);
    assert!(!before.body.contains("id=\"sources\""), "{}", before.body);

    let store = &app.state.ctx.store;
    let ix = store.institution_ix("zx-tc1").await.expect("number");
    let day = day_of(date!(2026 - 01 - 15));
    let handed = tiercare_core::indicators::Counters {
        visits: 1234,
        outpatient: 1234,
        ..Default::default()
    };
    store
        .add_indicator_counters(&[(day, Some(ix), handed)])
        .await
        .expect("handed over");
    for (lang, words) in [
        (Lang::Zh, "另有 1234 人次由模拟器"),
        (Lang::En, "1234 more were handed over"),
    ] {
        let page = ui_get_in(&app, Some(&analyst), path, lang).await;
        page.expect(200);
        let sources = page
            .body
            .split("id=\"sources\">")
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .unwrap_or_else(|| panic!("no sources note: {}", page.body));
        assert!(sources.contains(words), "{}: {sources}", lang.code());
    }
}
