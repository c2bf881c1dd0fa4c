//! The oversight pages (the indicator dashboard and the joint programmes
//! page) where there is little or nothing to show, or where the filters
//! cannot be used: a period with nothing recorded or not begun says so
//! instead of drawing zeros; a share over nothing reads "n/a" and a tiny
//! share never "0.0 %"; a refused filter keeps the page, its form and
//! the reader's values; CSV files are named per table, subject and
//! period, with a byte-order mark.

use crate::dashboard::{record_facts, seed, sign_in, ui_get_in};
use crate::helpers::{RESIDENTS, Resp, TestApp, spawn_app_at};
use tiercare::demo::{HistoryOptions, outreach_history};
use tiercare_core::Level;
use tiercare_core::indicators::{Fact, Visit, VisitKind};
use tiercare_service::clock::Clock;
use tiercare_service::indicators::day_of;
use tiercare_web::Lang;
use time::macros::{date, datetime};

/// The day the tests stand on.
const TODAY: time::OffsetDateTime = datetime!(2026-12-06 12:00 UTC);

/// A server standing on [`TODAY`] with a quarter of indicator facts
/// (January to March 2026) and sixty days of joint programme history
/// (October to December 2026).
async fn app() -> TestApp {
    let app = spawn_app_at(RESIDENTS, |_| {}, Clock::set_at(TODAY)).await;
    seed(&app).await;
    outreach_history(
        &app.state,
        &app.county,
        HistoryOptions {
            days: 60,
            seed: 7,
            county: false,
        },
    )
    .await
    .expect("the joint programmes' history");
    app
}

/// The words a page shows for "no figure".
fn no_figure(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "无数据",
        Lang::En => "n/a",
    }
}

/// Every figure the page shows with its exact value: (the `data-value`,
/// the text shown), for the figures of tables and panels.
fn figures(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split(" data-value=\"").skip(1) {
        let Some((raw, rest)) = part.split_once('"') else {
            continue;
        };
        // The element's text follows its opening tag's end.
        let Some((attrs, text)) = rest.split_once('>') else {
            continue;
        };
        if attrs.contains('<') || text.starts_with('<') {
            continue;
        }
        let shown = text.split('<').next().unwrap_or_default();
        out.push((raw.to_string(), unescape(shown)));
    }
    out
}

/// Text with the escapes of `<` and `>` undone.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
}

/// The tooltips of a chart's marks: (the `data-value`, the tooltip).
fn tooltips(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split(" data-value=\"").skip(1) {
        let Some((raw, rest)) = part.split_once('"') else {
            continue;
        };
        if let Some(tip) = rest.strip_prefix("><title>") {
            let tip = tip.split("</title>").next().unwrap_or_default();
            out.push((raw.to_string(), unescape(tip)));
        }
    }
    out
}

/// Whether a text reads as a zero percentage ("0.0 %", "0%", "0.00 %").
fn reads_zero_percent(s: &str) -> bool {
    let s = s.trim();
    let Some(number) = s.strip_suffix('%') else {
        return false;
    };
    let number = number.trim();
    !number.is_empty() && number.chars().all(|c| c == '0' || c == '.' || c == '-')
}

#[tokio::test]
async fn an_empty_or_future_period_says_nothing_was_recorded_instead_of_zeros() {
    let app = app().await;
    let analyst = sign_in(&app, "analyst").await;
    let cases = [
        // Before anything was recorded.
        ("2025-01-01", "2025-06-30", false),
        // Not begun on the day the test stands on.
        ("2027-02-01", "2027-03-31", true),
    ];
    for page in ["/ui/dashboard", "/ui/programmes"] {
        for (from, to, future) in cases {
            for lang in Lang::ALL {
                let path = format!("{page}?from={from}&to={to}&subject=region");
                let resp = ui_get_in(&app, Some(&analyst), &path, lang).await;
                resp.expect(200);
                let body = &resp.body;
                let words = match (lang, future) {
                    (Lang::Zh, false) => "暂无记录：该统计对象在此期间没有任何记录。",
                    (Lang::Zh, true) => "暂无记录：此期间尚未开始，还没有任何记录。",
                    (Lang::En, false) => {
                        "Nothing recorded: nothing was recorded for this subject in this period."
                    }
                    (Lang::En, true) => {
                        "Nothing recorded: this period has not begun yet, so nothing is recorded in it."
                    }
                };
                let what = format!("{path} {}", lang.code());
                assert!(body.contains(r#"id="empty""#), "{what}: {body}");
                assert!(body.contains(words), "{what}: {body}");
                // Nothing of zeros: no figure, no chart, no table.
                for drawn in ["data-measure", "<svg", "data-table=", "0.0 %"] {
                    assert!(!body.contains(drawn), "{what}: {drawn} drawn");
                }
                // The form is there, holding the period.
                assert!(body.contains(&format!(r#"value="{from}""#)), "{what}");
                assert!(body.contains(&format!(r#"value="{to}""#)), "{what}");
            }
        }
    }
    // A period with records still shows its figures.
    let full = ui_get_in(
        &app,
        Some(&analyst),
        "/ui/dashboard?from=2026-01-01&to=2026-03-31&subject=region",
        Lang::Zh,
    )
    .await;
    full.expect(200);
    assert!(!full.body.contains(r#"id="empty""#));
    assert!(full.body.contains("data-measure"));
}

/// A visit fact at a first contact.
fn first_contact(day: i32, at: tiercare_core::indicators::Ix, level: Level) -> Fact {
    Fact::Visit(Visit {
        day,
        institution: at,
        level,
        kind: VisitKind::FirstContact,
        positioned: Some(Level::Primary),
        emergency: false,
        inpatient: false,
        resident: true,
        charge: None,
        wait_days: 0.0,
    })
}

#[tokio::test]
async fn a_share_of_nothing_reads_no_figure_and_a_tiny_share_never_reads_zero() {
    let app = app().await;
    let analyst = sign_in(&app, "analyst").await;
    // June 2026: three thousand first contacts at a township health
    // centre and a single one bypassing it to the county hospital; no
    // referral and no capacity recorded, so those shares divide nothing.
    let ix = |id: &'static str| {
        let app = &app;
        async move {
            app.state
                .ctx
                .store
                .institution_ix(id)
                .await
                .expect("institution number")
        }
    };
    let (township, hospital) = (ix("zx-tc1").await, ix("zx-h1").await);
    let day = day_of(date!(2026 - 06 - 10));
    let mut facts: Vec<Fact> = (0..3000)
        .map(|_| first_contact(day, township, Level::Primary))
        .collect();
    facts.push(first_contact(day, hospital, Level::Secondary));
    record_facts(&app, facts).await;

    for lang in Lang::ALL {
        let resp = ui_get_in(
            &app,
            Some(&analyst),
            "/ui/dashboard?from=2026-06-01&to=2026-06-30&subject=region",
            lang,
        )
        .await;
        resp.expect(200);
        let body = &resp.body;
        let shown = figures(body);
        assert!(shown.len() > 50, "{}", shown.len());
        let mut none = 0;
        for (raw, text) in &shown {
            if raw.is_empty() {
                none += 1;
                assert_eq!(text, no_figure(lang), "a figure over nothing");
            } else if raw.parse::<f64>().is_ok_and(|v| v != 0.0) {
                assert!(!reads_zero_percent(text), "{raw} shown as {text}");
            }
        }
        assert!(none > 0, "some shares divide nothing in June");
        // The one bypass in three thousand and one first contacts.
        let bypass = shown
            .iter()
            .find(|(raw, _)| raw.parse::<f64>().is_ok_and(|v| v > 0.0 && v < 0.001))
            .expect("the tiny bypass share");
        assert_eq!(bypass.1, "<0.1 %", "{bypass:?}");
        for (raw, tip) in tooltips(body) {
            if raw.parse::<f64>().is_ok_and(|v| v != 0.0) {
                let value = tip.rsplit(": ").next().unwrap_or_default();
                assert!(!reads_zero_percent(value), "{raw}: {tip}");
            }
        }
    }
}

/// Checks a refusal inside the page: the frame, the navigation, the form
/// holding what was sent with the field at fault marked, the refusal.
fn assert_refused_in_page(resp: &Resp, what: &str, sent: &[&str], field: &str, words: &str) {
    resp.expect(400);
    let body = resp.body.replace("&quot;", "\"").replace("&#34;", "\"");
    assert!(body.contains(r#"data-user="analyst""#), "{what}: the frame");
    assert!(body.contains(r#"class="pages""#), "{what}: the navigation");
    assert!(body.contains(r#"id="filters""#), "{what}: the form: {body}");
    for v in sent {
        assert!(
            body.contains(&format!(r#"value="{v}""#)),
            "{what}: {v} kept"
        );
    }
    assert!(
        body.contains(&format!(r#"data-field="{field}""#)),
        "{what}: {field} at fault: {body}"
    );
    let marked = |id: &str| {
        body.split(&format!(r#"id="filter-{id}""#))
            .nth(1)
            .and_then(|rest| rest.split('>').next())
            .is_some_and(|tag| tag.contains(r#"aria-invalid="true""#))
    };
    match field {
        "period" => assert!(marked("from") && marked("to"), "{what}: both dates marked"),
        f => assert!(marked(f), "{what}: {f} marked"),
    }
    assert!(body.contains(words), "{what}: {body}");
    assert!(!body.contains("data-measure"), "{what}: no figures");
}

#[tokio::test]
async fn a_refused_filter_keeps_the_page_its_form_and_what_was_sent() {
    let app = app().await;
    let analyst = sign_in(&app, "analyst").await;
    for page in ["/ui/dashboard", "/ui/programmes"] {
        let cases: [(String, Vec<&str>, &str, &str, &str); 4] = [
            (
                format!("{page}?from=2026-13-01&to=2026-12-31&subject=region"),
                vec!["2026-13-01", "2026-12-31", "region"],
                "from",
                "开始日期须为日期",
                "From must be a date written YYYY-MM-DD.",
            ),
            (
                format!("{page}?from=2026-01-01&to=2026-02-30&subject=region"),
                vec!["2026-01-01", "2026-02-30"],
                "to",
                "结束日期须为日期",
                "To must be a date written YYYY-MM-DD.",
            ),
            (
                format!("{page}?from=2000-01-01&to=2026-01-01&subject=region"),
                vec!["2000-01-01", "2026-01-01"],
                "period",
                "统计期最长为",
                "The period may be at most",
            ),
            (
                format!("{page}?from=2026-01-01&to=2026-03-31&subject=town:x"),
                vec!["2026-01-01", "2026-03-31", "town:x"],
                "subject",
                "无法识别统计对象“town:x”",
                "\"town:x\" is not a subject",
            ),
        ];
        for (path, sent, field, zh, en) in cases {
            for (lang, words) in [(Lang::Zh, zh), (Lang::En, en)] {
                let resp = ui_get_in(&app, Some(&analyst), &path, lang).await;
                let what = format!("{path} {}", lang.code());
                assert_refused_in_page(&resp, &what, &sent, field, words);
            }
        }
    }
    // A bad filter shows a role the pages are not for no more than a
    // good one: the 403 page, no form.
    let resident = sign_in(&app, "resident").await;
    for path in [
        "/ui/programmes?from=2026-13-01",
        "/ui/dashboard?from=2026-13-01",
    ] {
        let resp = ui_get_in(&app, Some(&resident), path, Lang::Zh).await;
        resp.expect(403);
        assert!(!resp.body.contains(r#"id="filters""#), "{path}");
    }
}

/// Decodes a `filename*=UTF-8''…` parameter (RFC 8187).
fn ext_value(disposition: &str) -> String {
    let encoded = disposition
        .split("filename*=UTF-8''")
        .nth(1)
        .expect("a filename* parameter")
        .split(';')
        .next()
        .unwrap_or_default();
    let bytes = encoded.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// The ASCII `filename` of a download.
fn ascii_name(disposition: &str) -> String {
    disposition
        .split("filename=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_string()
}

/// The subject's name as the page heads it.
async fn subject_name(app: &TestApp, session: &str, path: &str) -> String {
    let page = ui_get_in(app, Some(session), path, Lang::Zh).await;
    page.expect(200);
    page.body
        .split(r#"<span id="subject">"#)
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the subject's name")
        .to_string()
}

/// Downloads a CSV file in Chinese, checks it opens as UTF-8 (a
/// byte-order mark first), and answers its Content-Disposition.
async fn download(app: &TestApp, session: &str, path: &str) -> String {
    let csv = ui_get_in(app, Some(session), path, Lang::Zh).await;
    csv.expect(200);
    assert_eq!(
        &csv.body.as_bytes()[..3],
        b"\xEF\xBB\xBF",
        "byte-order mark"
    );
    csv.header("content-disposition").unwrap_or_default()
}

#[tokio::test]
async fn csv_files_are_named_by_table_subject_and_period_and_open_as_utf8() {
    let app = app().await;
    let analyst = sign_in(&app, "analyst").await;
    let period = "from=2026-01-01&to=2026-12-31";
    let mut names = Vec::new();
    for id in ["zx-tc1", "zx-tc2"] {
        let query = format!("{period}&subject=institution:{id}");
        let disposition = download(
            &app,
            &analyst,
            &format!("/ui/dashboard.csv?table=referrals&{query}"),
        )
        .await;
        assert_eq!(
            ascii_name(&disposition),
            format!("tiercare-referrals-institution-{id}-2026-01-01-2026-12-31.csv")
        );
        // The Chinese name comes back whole from filename*.
        let name = subject_name(&app, &analyst, &format!("/ui/dashboard?{query}")).await;
        assert!(name.chars().any(|c| c > '\u{2E80}'), "{name}");
        let decoded = ext_value(&disposition);
        assert!(decoded.contains(&name), "{decoded} names {name}");
        assert!(decoded.ends_with("-2026-01-01-2026-12-31.csv"), "{decoded}");
        names.push((ascii_name(&disposition), decoded));
    }
    assert_ne!(names[0].0, names[1].0, "two subjects, two files");
    assert_ne!(names[0].1, names[1].1, "two subjects, two files");

    // The programmes page: the region and one programme.
    let page = ui_get_in(
        &app,
        Some(&analyst),
        &format!("/ui/programmes?{period}&subject=region"),
        Lang::Zh,
    )
    .await;
    let programme = page
        .body
        .split(r#"value="programme:"#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a programme to choose")
        .to_string();
    let mut names = Vec::new();
    for subject in ["region".to_string(), format!("programme:{programme}")] {
        let query = format!("{period}&subject={subject}");
        let disposition = download(
            &app,
            &analyst,
            &format!("/ui/programmes.csv?table=months&{query}"),
        )
        .await;
        let slug = subject.replace(':', "-");
        assert_eq!(
            ascii_name(&disposition),
            format!("tiercare-programmes-months-{slug}-2026-01-01-2026-12-31.csv")
        );
        let name = subject_name(&app, &analyst, &format!("/ui/programmes?{query}")).await;
        let decoded = ext_value(&disposition);
        assert!(decoded.contains(&name), "{decoded} names {name}");
        names.push(ascii_name(&disposition));
    }
    assert_ne!(names[0], names[1]);
}
