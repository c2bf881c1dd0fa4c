//! The web UI's sign-in and the indicator dashboard: sessions, CSRF,
//! roles, the figures on the page and in CSV against
//! `tiercare_service::indicators::evaluate`, escaping, and a real headless
//! browser.
//!
//! Facts are written into the store directly, as the services will write
//! them with their records: a quarter of varied activity at the demo
//! county's institutions, with some on either side of the quarter.

use crate::browser::Driver;
use crate::fixtures;
use crate::helpers::{Resp, TestApp, field, send, spawn_app, spawn_app_with, ui_client};
use std::collections::HashMap;
use tiercare_core::Level;
use tiercare_core::indicators::{
    Charge, Direction, Fact, Funnel, Indicators, Ix, MEASURES, Period, Visit, VisitKind,
};
use tiercare_core::insurance::Fen;
use tiercare_core::referral::DeclineReason;
use tiercare_service::indicators::{SubjectRef, day_of, evaluate, network};
use tiercare_store::{Expect, Write};
use tiercare_web::Lang;
use tiercare_web::tables::{BOM, column_label, measure_format, measure_title};
use time::Date;
use time::macros::date;

const FROM: Date = date!(2026 - 01 - 01);
const TO: Date = date!(2026 - 03 - 31);

fn period() -> Period {
    Period::new(day_of(FROM), day_of(TO))
}

/// The demo county's institutions the facts are about, by level.
const PRIMARY: [&str; 3] = ["zx-tc1", "zx-tc2", "zx-chc1"];
const SECONDARY: [&str; 2] = ["zx-h1", "zx-h2"];
const TERTIARY: [&str; 1] = ["zx-t1"];
const ALLIANCE: &str = "zx-all-ccmc";

/// A small deterministic generator: varied data, the same every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// Writes facts into the store with a revision of an institution's record,
/// in one transaction, as a service would with the record it changes.
pub async fn record_facts(app: &TestApp, facts: Vec<Fact>) {
    let stored = app
        .state
        .ctx
        .store
        .get("Organization", "zx-h1")
        .await
        .expect("read")
        .expect("the county hospital");
    let record = stored.record;
    app.state
        .ctx
        .store
        .write_all(
            vec![Write {
                index: tiercare_fhir::index(&record),
                record,
                expect: Expect::Version(stored.version),
                actor: "dashboard-test".into(),
                events: vec![],
                facts,
            }],
            vec![],
        )
        .await
        .expect("facts written");
}

/// A visit fact.
fn visit(
    day: i32,
    at: Ix,
    level: Level,
    kind: VisitKind,
    positioned: Level,
    rng: &mut Lcg,
) -> Fact {
    Fact::Visit(Visit {
        day,
        institution: at,
        level,
        kind,
        positioned: Some(positioned),
        emergency: rng.below(25) == 0,
        inpatient: level > Level::Primary && rng.below(8) == 0,
        resident: rng.below(12) != 0,
        charge: (rng.below(5) != 0).then(|| Charge {
            scheme: rng.below(2) as u8,
            cost: Fen::new(5_000 + rng.below(30_000) as i64),
            out_of_pocket: Fen::new(rng.below(6_000) as i64),
        }),
        wait_days: rng.below(40) as f32 / 7.0,
    })
}

/// A quarter of activity (and two weeks either side) at the demo
/// county's institutions.
pub async fn seed(app: &TestApp) {
    seed_with(app, 2026).await;
}

/// [`seed`] with the random history of another seed.
async fn seed_with(app: &TestApp, seed: u64) {
    let ix = |id: &'static str| async move {
        app.state
            .ctx
            .store
            .institution_ix(id)
            .await
            .expect("institution number")
    };
    let mut primary = Vec::new();
    for id in PRIMARY {
        primary.push(ix(id).await);
    }
    let mut secondary = Vec::new();
    for id in SECONDARY {
        secondary.push(ix(id).await);
    }
    let tertiary = ix(TERTIARY[0]).await;
    let hospitals: Vec<(Ix, Level)> = secondary
        .iter()
        .map(|&i| (i, Level::Secondary))
        .chain([(tertiary, Level::Tertiary)])
        .collect();
    let mut rng = Lcg(seed);
    let mut facts = Vec::new();
    for day in day_of(FROM) - 14..=day_of(TO) + 14 {
        for &p in &primary {
            facts.push(Fact::Capacity {
                day,
                institution: p,
                slots: 40,
                beds: 0,
            });
        }
        for &(h, level) in &hospitals {
            let beds = if level == Level::Tertiary { 60 } else { 30 };
            facts.push(Fact::Capacity {
                day,
                institution: h,
                slots: 25,
                beds,
            });
            facts.push(Fact::BedDays {
                day,
                institution: h,
                occupied: rng.below(beds as u64 + 10) as u32,
            });
        }
        for _ in 0..rng.below(3) {
            facts.push(Fact::Episode { day });
        }
        // First contacts: mostly primary-level cases, often at hospitals.
        for _ in 0..rng.below(7) {
            let positioned = rng.pick(&[
                Level::Primary,
                Level::Primary,
                Level::Primary,
                Level::Secondary,
                Level::Tertiary,
            ]);
            let f = if rng.below(5) < 3 {
                visit(
                    day,
                    rng.pick(&primary),
                    Level::Primary,
                    VisitKind::FirstContact,
                    positioned,
                    &mut rng,
                )
            } else {
                let (h, level) = rng.pick(&hospitals);
                visit(day, h, level, VisitKind::FirstContact, positioned, &mut rng)
            };
            facts.push(f);
        }
        if rng.below(2) == 0 {
            let (h, level) = rng.pick(&hospitals);
            let from = rng.pick(&primary);
            facts.push(Fact::Referral {
                day,
                from,
                to: h,
                direction: Direction::Up,
            });
            facts.push(visit(day, h, level, VisitKind::ReferredUp, level, &mut rng));
            match rng.below(4) {
                0 => facts.push(Fact::ReferralDeclined {
                    day,
                    from,
                    to: h,
                    reason: rng.pick(DeclineReason::ALL),
                }),
                _ => {
                    facts.push(Fact::ReferralBooked {
                        day,
                        from,
                        to: h,
                        wait_days: rng.below(15) as u32,
                    });
                    if rng.below(3) != 0 {
                        facts.push(Fact::ReferralCompleted {
                            day,
                            from,
                            to: h,
                            report_back: rng.below(3) != 0,
                        });
                    }
                }
            }
        }
        if rng.below(4) == 0 {
            let (h, _) = rng.pick(&hospitals);
            let to = rng.pick(&primary);
            facts.push(Fact::Referral {
                day,
                from: h,
                to,
                direction: Direction::Down,
            });
            if rng.below(3) == 0 {
                facts.push(Fact::DownReferralRefused { day, from: h, to });
            } else {
                facts.push(visit(
                    day,
                    to,
                    Level::Primary,
                    VisitKind::ReferredDown,
                    Level::Primary,
                    &mut rng,
                ));
            }
        }
        if rng.below(6) == 0 {
            let p = rng.pick(&primary);
            facts.push(Fact::Contracts {
                day,
                institution: p,
                delta: 3,
                key_group: 1,
            });
            facts.push(Fact::Residents {
                day,
                delta: 5,
                key_group: 2,
                access_known: 5,
                within_access: 4,
            });
        }
    }
    record_facts(app, facts).await;
}

/// The `Set-Cookie` line that sets `name`, if any.
fn set_cookie(resp: &Resp, name: &str) -> Option<String> {
    resp.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn cookie_value(line: &str) -> String {
    line.split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// Fetches the sign-in form: its CSRF cookie value and field.
async fn login_form(app: &TestApp, c: &reqwest::Client) -> (String, String) {
    let resp = send(c.get(app.url("/ui/login"))).await;
    resp.expect(200);
    let line = set_cookie(&resp, "tiercare_login").expect("the form's CSRF cookie");
    (cookie_value(&line), field(&resp.body, "csrf"))
}

pub(crate) async fn post_login(
    app: &TestApp,
    c: &reqwest::Client,
    user: &str,
    password: &str,
) -> Resp {
    let (cookie, field) = login_form(app, c).await;
    send(
        c.post(app.url("/ui/login"))
            .header("cookie", format!("tiercare_login={cookie}"))
            .form(&[("username", user), ("password", password), ("csrf", &field)]),
    )
    .await
}

/// Signs a demo user in through the form; returns the session cookie's
/// value.
pub(crate) async fn sign_in(app: &TestApp, user: &str) -> String {
    let password = app.user(user).password.clone();
    let resp = post_login(app, &ui_client(), user, &password).await;
    resp.expect(303);
    cookie_value(&set_cookie(&resp, "tiercare_session").expect("a session cookie"))
}

pub(crate) async fn ui_get(app: &TestApp, session: Option<&str>, path: &str) -> Resp {
    ui_get_in(app, session, path, Lang::Zh).await
}

/// A page in a language: English is asked for with the cookie the
/// language switch sets, Chinese is what a browser gets by default.
pub(crate) async fn ui_get_in(
    app: &TestApp,
    session: Option<&str>,
    path: &str,
    lang: Lang,
) -> Resp {
    let mut cookies = Vec::new();
    if let Some(s) = session {
        cookies.push(format!("tiercare_session={s}"));
    }
    if lang == Lang::En {
        cookies.push("tiercare_lang=en".to_string());
    }
    let mut rb = ui_client().get(app.url(path));
    if !cookies.is_empty() {
        rb = rb.header("cookie", cookies.join("; "));
    }
    send(rb).await
}

/// The query of the test period for a subject (whose ids need no
/// escaping in a URL).
fn filters(subject: &str) -> String {
    format!("from={FROM}&to={TO}&subject={subject}")
}

/// Parses CSV (RFC 4180: quoted fields, doubled quotes, CRLF).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "CSV ends without CRLF");
    rows
}

/// A CSV table as its header and rows keyed by the first column, and the
/// language of its headings.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    lang: Lang,
}

impl Csv {
    /// The cell of the column whose key is `col`, found by its heading in
    /// the file's language.
    fn cell(&self, row: &str, col: &str) -> &str {
        let heading = column_label(self.lang, col);
        let c = self
            .header
            .iter()
            .position(|h| *h == heading)
            .unwrap_or_else(|| panic!("no column {col} ({heading}) in {:?}", self.header));
        let r = self
            .rows
            .iter()
            .find(|r| r[0] == row)
            .unwrap_or_else(|| panic!("no row {row}"));
        &r[c]
    }

    /// A figure: `None` for an empty cell.
    fn figure(&self, row: &str, col: &str) -> Option<f64> {
        let s = self.cell(row, col);
        (!s.is_empty()).then(|| {
            s.parse()
                .unwrap_or_else(|e| panic!("{row}/{col} = {s:?}: {e}"))
        })
    }

    fn count(&self, row: &str, col: &str) -> u64 {
        self.cell(row, col)
            .parse()
            .unwrap_or_else(|e| panic!("{row}/{col}: {e}"))
    }
}

async fn csv(app: &TestApp, session: &str, table: &str, subject: &str) -> Csv {
    csv_in(app, session, table, subject, Lang::Zh).await
}

/// A dashboard table as CSV in a language: a UTF-8 file with its
/// byte-order mark, named in ASCII and in the language.
async fn csv_in(app: &TestApp, session: &str, table: &str, subject: &str, lang: Lang) -> Csv {
    let resp = ui_get_in(
        app,
        Some(session),
        &format!("/ui/dashboard.csv?table={table}&{}", filters(subject)),
        lang,
    )
    .await;
    resp.expect(200);
    let ascii: String = subject
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let disposition = resp.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.contains(&format!(
            "filename=\"tiercare-{table}-{ascii}-{FROM}-{TO}.csv\""
        )) && disposition.contains("filename*=UTF-8''"),
        "{disposition}"
    );
    assert!(resp.body.starts_with(BOM), "no byte-order mark");
    assert!(
        resp.header("content-type")
            .is_some_and(|c| c.starts_with("text/csv")),
        "{:?}",
        resp.headers
    );
    let mut rows = parse_csv(&resp.body[BOM.len_utf8()..]);
    assert!(!rows.is_empty(), "no header row");
    let header = rows.remove(0);
    for r in &rows {
        assert_eq!(r.len(), header.len(), "ragged row {r:?}");
    }
    Csv { header, rows, lang }
}

async fn evaluated(app: &TestApp, period: Period, subject: &SubjectRef) -> Indicators {
    evaluate(&app.state.ctx, period, subject)
        .await
        .expect("evaluate")
        .1
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_session_cookie_and_signing_out_ends_it() {
    let app = spawn_app().await;
    let c = ui_client();
    let form = send(c.get(app.url("/ui/login"))).await;
    form.expect(200);
    let login_cookie = set_cookie(&form, "tiercare_login").expect("CSRF cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(login_cookie.contains(attr), "{login_cookie}");
    }
    assert!(
        form.header("content-security-policy")
            .is_some_and(|p| p.contains("default-src 'none'")),
        "{:?}",
        form.headers
    );

    let password = app.user("analyst").password.clone();
    let resp = post_login(&app, &c, "analyst", &password).await;
    resp.expect(303);
    // An analyst's worklist is the dashboard.
    assert_eq!(resp.header("location").as_deref(), Some("/ui/dashboard"));
    let line = set_cookie(&resp, "tiercare_session").expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/ui", "Max-Age="] {
        assert!(line.contains(attr), "{line}");
    }
    // The test server's public URL is plain http.
    assert!(!line.contains("Secure"), "{line}");
    let session = cookie_value(&line);
    assert_eq!(session.len(), 64, "{line}");

    let page = ui_get(&app, Some(&session), "/ui/dashboard").await;
    page.expect(200);
    assert!(page.body.contains("data-user=\"analyst\""), "{}", page.body);
    // Signed in, the sign-in page sends the browser on.
    let again = ui_get(&app, Some(&session), "/ui/login").await;
    again.expect(303);

    // A session cookie is not an API token.
    let api = send(c.get(app.fhir_url("/Organization")).bearer_auth(&session)).await;
    api.expect(401);

    // Signing out needs the session's CSRF token.
    let csrf = field(&page.body, "csrf");
    let forged = send(
        c.post(app.url("/ui/logout"))
            .header("cookie", format!("tiercare_session={session}"))
            .form(&[("csrf", "0".repeat(64))]),
    )
    .await;
    forged.expect(400);
    ui_get(&app, Some(&session), "/ui/dashboard")
        .await
        .expect(200);
    let out = send(
        c.post(app.url("/ui/logout"))
            .header("cookie", format!("tiercare_session={session}"))
            .form(&[("csrf", csrf.as_str())]),
    )
    .await;
    out.expect(303);
    assert_eq!(out.header("location").as_deref(), Some("/ui/login"));
    let cleared = set_cookie(&out, "tiercare_session").expect("cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // The old cookie no longer opens anything.
    let after = ui_get(&app, Some(&session), "/ui/dashboard").await;
    after.expect(303);
    assert_eq!(after.header("location").as_deref(), Some("/ui/login"));
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_secure() {
    let app = spawn_app_with(|s| s.public_url = Some("https://tiercare.example".into())).await;
    let password = app.user("admin").password.clone();
    let resp = post_login(&app, &ui_client(), "admin", &password).await;
    resp.expect(303);
    let line = set_cookie(&resp, "tiercare_session").expect("session cookie");
    assert!(line.contains("; Secure"), "{line}");
}

#[tokio::test]
async fn bad_credentials_or_a_missing_csrf_token_give_the_form_again() {
    let app = spawn_app().await;
    let c = ui_client();
    let wrong = post_login(&app, &c, "analyst", "not-the-password").await;
    wrong.expect(401);
    // Chinese unless the browser asks for English.
    assert!(wrong.body.contains("用户名或密码错误。"), "{}", wrong.body);
    assert!(wrong.body.contains(r#"id="login""#), "the form again");
    assert!(set_cookie(&wrong, "tiercare_session").is_none());
    let unknown = post_login(&app, &c, "<b>nobody</b>", "x").await;
    unknown.expect(401);
    assert!(
        unescape(&unknown.body).contains(r#"value="<b>nobody</b>""#),
        "{}",
        unknown.body
    );
    assert!(!unknown.body.contains("<b>nobody"), "{}", unknown.body);

    // Without the form's cookie (a cross-site post), nothing is checked.
    let password = app.user("analyst").password.clone();
    let (_, field) = login_form(&app, &c).await;
    let forged = send(c.post(app.url("/ui/login")).form(&[
        ("username", "analyst"),
        ("password", password.as_str()),
        ("csrf", field.as_str()),
    ]))
    .await;
    forged.expect(403);
    assert!(set_cookie(&forged, "tiercare_session").is_none());
}

#[tokio::test]
async fn without_a_session_the_dashboard_sends_the_browser_to_sign_in() {
    let app = spawn_app().await;
    for path in [
        "/ui/dashboard".to_string(),
        format!("/ui/dashboard.csv?table=levels&{}", filters("region")),
        "/ui".to_string(),
    ] {
        let resp = ui_get(&app, None, &path).await;
        resp.expect(303);
        let to = resp.header("location").unwrap_or_default();
        assert!(to == "/ui/login" || to == "/ui/dashboard", "{path}: {to}");
    }
    for bogus in ["0".repeat(64), "not-a-token".into()] {
        let resp = ui_get(&app, Some(&bogus), "/ui/dashboard").await;
        resp.expect(303);
        assert_eq!(resp.header("location").as_deref(), Some("/ui/login"));
    }
    // A bearer token is not a session either.
    let token = app.token("admin").await;
    let resp = send(ui_client().get(app.url("/ui/dashboard")).bearer_auth(token)).await;
    resp.expect(303);
}

#[tokio::test]
async fn doctors_and_coordinators_get_a_403_page() {
    let app = spawn_app().await;
    for user in ["doctor", "coordinator"] {
        let session = sign_in(&app, user).await;
        let page = ui_get(&app, Some(&session), "/ui/dashboard").await;
        page.expect(403);
        assert!(
            page.header("content-type")
                .is_some_and(|c| c.starts_with("text/html")),
            "{:?}",
            page.headers
        );
        assert!(
            page.body.contains("此页面不在您的权限范围内"),
            "{}",
            page.body
        );
        // The header still says who is signed in, with the way out.
        assert!(
            page.body.contains(&format!("data-user=\"{user}\"")),
            "{}",
            page.body
        );
        assert!(!page.body.contains("data-measure"), "no figures");
        let file = ui_get(
            &app,
            Some(&session),
            &format!("/ui/dashboard.csv?table=levels&{}", filters("region")),
        )
        .await;
        file.expect(403);
    }
    let admin = sign_in(&app, "admin").await;
    ui_get(&app, Some(&admin), "/ui/dashboard")
        .await
        .expect(200);
}

#[tokio::test]
async fn the_csv_tables_hold_the_figures_of_evaluate() {
    let app = spawn_app().await;
    seed(&app).await;
    let session = sign_in(&app, "analyst").await;
    let subjects = [
        ("region", SubjectRef::Region),
        ("level:secondary", SubjectRef::Level(Level::Secondary)),
        (
            "alliance:zx-all-ccmc",
            SubjectRef::Alliance(ALLIANCE.into()),
        ),
        ("institution:zx-h1", SubjectRef::Institution("zx-h1".into())),
    ];
    for (code, subject) in &subjects {
        let want = evaluated(&app, period(), subject).await;
        assert!(want.visits > 0, "{code}: the seed reaches every subject");

        // The same figures in both languages, under headings in each.
        for (lang, headings) in [
            (Lang::Zh, ["指标代码", "指标", "数值", "单位"]),
            (Lang::En, ["Code", "Indicator", "Value", "Unit"]),
        ] {
            let m = csv_in(&app, &session, "measures", code, lang).await;
            assert_eq!(m.header, headings);
            assert_eq!(m.rows.len(), MEASURES.len());
            for def in MEASURES {
                assert_eq!(
                    m.figure(def.code, "value"),
                    (def.value)(&want),
                    "{code}: {}",
                    def.code
                );
                assert_eq!(m.cell(def.code, "title"), measure_title(lang, def.code));
            }
        }
        let m = csv_in(&app, &session, "measures", code, Lang::En).await;
        assert_eq!(m.cell("county-retention", "title"), "County retention");
        let m = csv(&app, &session, "measures", code).await;
        assert_eq!(m.cell("county-retention", "title"), "县域内就诊率");

        let l = csv(&app, &session, "levels", code).await;
        assert_eq!(l.rows.len(), 3);
        for lf in &want.levels {
            let row = lf.level.code();
            assert_eq!(l.count(row, "visits"), lf.visits, "{code} {row}");
            assert_eq!(l.count(row, "outpatient-visits"), lf.outpatient_visits);
            assert_eq!(l.figure(row, "mean-wait-days"), lf.mean_wait_days);
            assert_eq!(l.figure(row, "slot-utilisation"), lf.slot_utilisation);
            assert_eq!(l.figure(row, "bed-utilisation"), lf.bed_utilisation);
            assert_eq!(
                l.figure(row, "expenditure-per-visit"),
                lf.expenditure_per_visit_yuan
            );
        }

        let p = csv(&app, &session, "pyramid", code).await;
        for layer in &want.pyramid {
            let row = layer.level.code();
            assert_eq!(p.count(row, "physicians"), layer.physicians);
            assert_eq!(p.figure(row, "physician-share"), layer.physician_share);
            assert_eq!(p.count(row, "beds"), layer.beds);
            assert_eq!(p.figure(row, "slot-share"), layer.slot_share);
            assert_eq!(p.count(row, "positioned-demand"), layer.positioned_demand);
            assert_eq!(p.figure(row, "demand-share"), layer.demand_share);
        }

        let d = csv(&app, &session, "declines", code).await;
        assert_eq!(
            d.header,
            [
                "原因代码",
                "原因",
                "转出",
                "占转出被拒比例",
                "接收",
                "占接收拒绝比例"
            ]
        );
        for (k, reason) in DeclineReason::ALL.iter().enumerate() {
            let code = reason.code();
            assert_eq!(d.count(code, "sent"), want.sent.declined[k], "{code}");
            assert_eq!(d.count(code, "received"), want.received.declined[k]);
            assert_eq!(want.declines[code], want.sent.declined[k]);
        }

        // Both sides of the loop, each a funnel: no step passes the one
        // before it, whatever the subject.
        let r = csv(&app, &session, "referrals", code).await;
        for (side, f) in [("sent", &want.sent), ("received", &want.received)] {
            assert_eq!(r.count("requested", side), f.requested(), "{code} {side}");
            assert_eq!(r.count("requested-up", side), f.up);
            assert_eq!(r.count("requested-down", side), f.down);
            assert_eq!(r.count("redirected", side), f.redirected);
            assert_eq!(r.count("declined", side), f.declines());
            assert_eq!(r.count("down-refused", side), f.refused);
            assert_eq!(r.count("booked", side), f.booked);
            assert_eq!(r.count("completed", side), f.completed);
            assert_eq!(r.count("reported-back", side), f.reported);
            assert!(f.in_order(), "{code} {side}: {f:?}");
        }
        assert_eq!(want.referrals_up, want.sent.up);
        assert_eq!(want.referrals_booked, want.sent.booked);
        assert_eq!(want.referrals_reported_back, want.sent.reported);
        assert_eq!(want.down_referrals_refused, want.sent.refused);
    }

    // By level, the region's levels are the level subjects.
    let l = csv(&app, &session, "levels", "region").await;
    for level in Level::ALL {
        let want = evaluated(&app, period(), &SubjectRef::Level(level)).await;
        let row = level.code();
        assert_eq!(l.figure(row, "bypass-share"), want.bypass_share, "{row}");
        assert_eq!(
            l.figure(row, "over-use-share"),
            want.over_use_share,
            "{row}"
        );
        assert_eq!(
            l.figure(row, "under-capacity-share"),
            want.under_capacity_share,
            "{row}"
        );
        assert_eq!(l.count(row, "first-contacts"), want.first_contacts, "{row}");
    }
    let hospital_bypass = l.figure("secondary", "bypass-share").expect("bypass");
    assert!(hospital_bypass > 0.0, "the seed bypasses the family doctor");

    // Each institution's row is that institution's figures.
    let inst = csv(&app, &session, "institutions", "region").await;
    assert_eq!(inst.header[..2], ["机构编码", "机构"]);
    let all = evaluated(&app, period(), &SubjectRef::Region).await;
    let mut primary_share = 0.0;
    for id in PRIMARY.iter().chain(&SECONDARY).chain(&TERTIARY) {
        let want = evaluated(&app, period(), &SubjectRef::Institution(id.to_string())).await;
        assert_eq!(inst.count(id, "visits"), want.visits, "{id}");
        assert_eq!(inst.figure(id, "bypass-share"), want.bypass_share, "{id}");
        assert_eq!(
            inst.figure(id, "over-use-share"),
            want.over_use_share,
            "{id}"
        );
        assert_eq!(
            inst.count(id, "referrals-sent-up"),
            want.referrals_up,
            "{id}"
        );
        assert_eq!(inst.count(id, "referrals-sent-down"), want.referrals_down);
        let received: u64 = want.levels.iter().map(|l| l.referrals_received_up).sum();
        assert_eq!(inst.count(id, "referrals-received-up"), received, "{id}");
        assert_eq!(inst.figure(id, "slot-utilisation"), want.slot_utilisation);
        assert_eq!(inst.figure(id, "bed-utilisation"), want.bed_utilisation);
        if PRIMARY.contains(id) {
            primary_share += inst.figure(id, "outpatient-share").unwrap_or(0.0);
        }
    }
    // Institutions with no facts have rows too, with nothing counted.
    assert!(inst.rows.len() > 6, "{}", inst.rows.len());
    let quiet = inst.rows.iter().find(|r| r[0] == "zx-tc3").expect("zx-tc3");
    let visits = inst.header.iter().position(|h| h == "就诊人次").unwrap();
    assert_eq!(quiet[visits], "0");
    // The primary institutions' shares add up to the primary visit share.
    let pvs = all.primary_visit_share.expect("primary visit share");
    assert!(
        (primary_share - pvs).abs() < 1e-9,
        "{primary_share} vs {pvs}"
    );

    // Months are the evaluation of each month.
    let t = csv(&app, &session, "trends", "region").await;
    assert_eq!(t.header[0], "月份");
    let months: Vec<&str> = t.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03"]);
    for (month, first, last) in [
        ("2026-02", date!(2026 - 02 - 01), date!(2026 - 02 - 28)),
        ("2026-03", date!(2026 - 03 - 01), date!(2026 - 03 - 31)),
    ] {
        let want = evaluated(
            &app,
            Period::new(day_of(first), day_of(last)),
            &SubjectRef::Region,
        )
        .await;
        for def in MEASURES {
            assert_eq!(
                t.figure(month, def.code),
                (def.value)(&want),
                "{month} {}",
                def.code
            );
        }
    }

    // The shape of the pyramid is stated, for each resource.
    let s = csv(&app, &session, "pyramid-shape", "region").await;
    for r in &s.rows {
        assert!(
            ["upright", "inverted", "unknown"].contains(&r[1].as_str()),
            "{r:?}"
        );
    }

    // Unknown tables and subjects are refused.
    let bad = ui_get(
        &app,
        Some(&session),
        &format!("/ui/dashboard.csv?table=patients&{}", filters("region")),
    )
    .await;
    bad.expect(400);
    let nowhere = ui_get(
        &app,
        Some(&session),
        &format!(
            "/ui/dashboard.csv?table=levels&{}",
            filters("institution:nowhere")
        ),
    )
    .await;
    nowhere.expect(404);
    let backwards = ui_get(
        &app,
        Some(&session),
        &format!("/ui/dashboard?from={TO}&to={FROM}"),
    )
    .await;
    backwards.expect(400);
    assert!(
        backwards.body.contains("开始日期不能晚于结束日期"),
        "{}",
        backwards.body
    );
    let backwards = ui_get_in(
        &app,
        Some(&session),
        &format!("/ui/dashboard?from={TO}&to={FROM}"),
        Lang::En,
    )
    .await;
    backwards.expect(400);
    assert!(
        backwards
            .body
            .contains("The start date must not be after the end date."),
        "{}",
        backwards.body
    );
}

/// Undoes HTML escaping (named and numeric character references), to
/// see the text a browser would show.
fn unescape(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| match &rest[1..e] {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `data-value` of the element with `data-measure="code"` on a page.
fn measure_on_page(html: &str, code: &str) -> Option<f64> {
    let marker = format!(r#"data-measure="{code}" data-value=""#);
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {code} on the page"));
    let rest = &html[at + marker.len()..];
    let v = &rest[..rest.find('"').expect("end of value")];
    (!v.is_empty()).then(|| v.parse().expect("a number"))
}

#[tokio::test]
async fn the_page_shows_the_three_mismatches_with_the_figures_of_evaluate() {
    let app = spawn_app().await;
    seed(&app).await;
    let session = sign_in(&app, "admin").await;
    let want = evaluated(&app, period(), &SubjectRef::Alliance(ALLIANCE.into())).await;
    // The same figures whichever language the page speaks.
    for lang in Lang::ALL {
        let page = ui_get_in(
            &app,
            Some(&session),
            &format!("/ui/dashboard?{}", filters("alliance:zx-all-ccmc")),
            lang,
        )
        .await;
        page.expect(200);
        assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
        assert!(
            page.body
                .contains(&format!(r#"<html lang="{}">"#, lang.code()))
        );
        for def in MEASURES {
            assert_eq!(
                measure_on_page(&page.body, def.code),
                (def.value)(&want),
                "{}",
                def.code
            );
        }
        for section in [
            r#"id="demand""#,
            r#"id="capacity""#,
            r#"id="referrals""#,
            r#"id="institutions""#,
        ] {
            assert!(page.body.contains(section), "{section}");
        }
        // One trend chart per indicator, the pyramids and the funnel.
        for def in MEASURES {
            assert!(
                page.body
                    .contains(&format!(r#"data-chart="trend" data-id="{}""#, def.code)),
                "{}",
                def.code
            );
        }
        for chart in [
            r#"data-chart="pyramid" data-id="physicians""#,
            r#"data-chart="funnel" data-id="referral-funnel""#,
            r#"data-chart="bars" data-id="referrals-by-month""#,
            r#"data-chart="bars" data-id="mismatch-by-level""#,
        ] {
            assert!(page.body.contains(chart), "{chart}");
        }
        // The shape of each pyramid is said in words.
        for r in ["physicians", "beds", "daily-slots"] {
            let fit = want
                .pyramid_fit(match r {
                    "physicians" => tiercare_core::indicators::Resource::Physicians,
                    "beds" => tiercare_core::indicators::Resource::Beds,
                    _ => tiercare_core::indicators::Resource::DailySlots,
                })
                .map_or("unknown", |f| f.shape.code());
            assert!(
                page.body
                    .contains(&format!(r#"data-finding="pyramid-{r}" data-value="{fit}""#)),
                "{r}: {fit}"
            );
        }
        // Only the alliance's members are listed.
        assert!(page.body.contains(r#"data-row="zx-tc1""#));
        assert!(!page.body.contains(r#"data-row="zx-chc1""#));
        // Every table has its CSV download with the same filters.
        assert!(
            unescape(&page.body).contains(
                "/ui/dashboard.csv?table=institutions&from=2026-01-01&to=2026-03-31\
             &subject=alliance%3Azx-all-ccmc"
            ),
            "csv link"
        );
        // Codes stay in the CSV files and data attributes: a column of
        // them is not shown next to the same thing in words.
        for col in ["measure", "reason", "institution-id"] {
            assert!(
                !page
                    .body
                    .contains(&format!(r#"scope="col" data-col="{col}""#)),
                "{col}"
            );
        }
        // Every word in the page's language: the sections, the indicators'
        // names and definitions, the headings of the tables, the dates.
        let text = unescape(&page.body);
        let words: &[&str] = match lang {
            Lang::Zh => &[
                "监测指标：",
                "(a) 就医需求与基层首诊",
                "(b) 资源配置与功能定位",
                "(c) 双向转诊流向",
                "基层就诊率",
                "县域内就诊率",
                "转诊闭环率",
                "基层医疗卫生机构门诊人次 / 全部门诊人次。",
                "参考值：2024年全国为51.7%；政策目标为65%及以上",
                "2026年1月1日至2026年3月31日",
                "开始日期",
                "医疗卫生机构",
                ">级别</th>",
                "三级医院",
                "转诊被拒原因",
            ],
            Lang::En => &[
                "Indicators: ",
                "(a) Demand against grassroots-first diagnosis",
                "(c) The flow of referrals",
                "Primary visit share",
                "County retention",
                "Reference: China 2024: 51.7%; policy aims at 65% or more",
                "From 2026-01-01 to 2026-03-31",
                ">Level</th>",
                "Tertiary hospital",
                "Why referrals were declined",
            ],
        };
        for w in words {
            assert!(text.contains(w), "{}: no {w:?}", lang.code());
        }
        if lang == Lang::Zh {
            for english in [
                "Indicators",
                "Primary visit share",
                "Referral flow",
                "n/a",
                " yuan",
                "Downloads",
            ] {
                assert!(
                    !text.contains(english),
                    "English left on the Chinese page: {english:?}"
                );
            }
        } else {
            assert!(
                !text.contains("基层就诊率"),
                "Chinese left on the English page"
            );
        }
    }
}

#[tokio::test]
async fn a_hostile_institution_name_is_escaped_on_the_page_and_defused_in_csv() {
    let app = spawn_app().await;
    let name = r#"=HYPERLINK("x") <script>alert('x')</script> & <img src=x onerror=alert(1)>"#;
    let created = app
        .create(&fixtures::institution(name, "primary", "village-clinic"))
        .await;
    let id = created["id"].as_str().expect("id").to_string();
    let ix = app
        .state
        .ctx
        .store
        .institution_ix(&id)
        .await
        .expect("number");
    let mut rng = Lcg(1);
    let day = day_of(date!(2026 - 02 - 10));
    record_facts(
        &app,
        vec![visit(
            day,
            ix,
            Level::Primary,
            VisitKind::FirstContact,
            Level::Primary,
            &mut rng,
        )],
    )
    .await;
    let session = sign_in(&app, "analyst").await;
    let subject = format!("institution:{id}");
    for path in [
        format!("/ui/dashboard?{}", filters("region")),
        format!("/ui/dashboard?{}", filters(&subject)),
    ] {
        let page = ui_get(&app, Some(&session), &path).await;
        page.expect(200);
        assert!(!page.body.contains("<script"), "{path}");
        assert!(!page.body.contains("<img"), "{path}");
        assert!(
            unescape(&page.body).contains(name),
            "{path}: the name, escaped"
        );
    }
    let file = csv(&app, &session, "institutions", &subject).await;
    assert_eq!(file.rows.len(), 1);
    // Text a spreadsheet would run as a formula gets a leading apostrophe.
    assert_eq!(file.cell(&id, "institution"), format!("'{name}"));
    assert_eq!(file.count(&id, "visits"), 1);
}

#[tokio::test]
async fn a_browser_signs_in_and_sees_the_charts_and_the_figures_of_evaluate() {
    let app = spawn_app().await;
    seed(&app).await;
    let want = evaluated(&app, period(), &SubjectRef::Region).await;
    let expected: HashMap<&str, (Option<f64>, String)> = MEASURES
        .iter()
        .map(|m| {
            let v = (m.value)(&want);
            (m.code, (v, measure_format(m).show(Lang::Zh, v)))
        })
        .collect();
    // Points per trend chart: the months with a value.
    let mut points: HashMap<&str, usize> = HashMap::new();
    for (first, last) in [
        (date!(2026 - 01 - 01), date!(2026 - 01 - 31)),
        (date!(2026 - 02 - 01), date!(2026 - 02 - 28)),
        (date!(2026 - 03 - 01), date!(2026 - 03 - 31)),
    ] {
        let month = evaluated(
            &app,
            Period::new(day_of(first), day_of(last)),
            &SubjectRef::Region,
        )
        .await;
        for m in MEASURES {
            *points.entry(m.code).or_default() += usize::from((m.value)(&month).is_some());
        }
    }
    let password = app.user("analyst").password.clone();
    let base = app.base.clone();

    let driver = Driver::start().await;
    let browser = driver.session().await;
    let b = browser.clone();
    let run = tokio::spawn(async move {
        b.goto(&format!("{base}/ui/login")).await;
        b.type_into("#username", "analyst").await;
        b.type_into("#password", &password).await;
        b.click("#sign-in").await;
        b.wait_for_url("the dashboard", |u| u.ends_with("/ui/dashboard"))
            .await;
        b.goto(&format!("{base}/ui/dashboard?{}", filters("region")))
            .await;
        b.script(
            r#"
            const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
            return {
              cookie: document.cookie,
              maxWidth: getComputedStyle(document.querySelector('main')).maxWidth,
              charts: [...document.querySelectorAll('svg.chart')].map(s => ({
                kind: s.dataset.chart, id: s.dataset.id, size: box(s),
                marks: [...s.querySelectorAll('[data-value]')].map(box),
              })),
              measures: [...document.querySelectorAll('[data-measure]')].map(e => ({
                code: e.dataset.measure, value: e.dataset.value,
                text: e.textContent.trim(), size: box(e),
              })),
            };"#,
        )
        .await
    })
    .await;
    browser.quit().await;
    drop(driver);
    let seen = match run {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };

    // The session cookie is out of reach of scripts; the stylesheet
    // loaded under the page's Content-Security-Policy.
    assert_eq!(seen["cookie"], "", "{}", seen["cookie"]);
    assert_eq!(seen["maxWidth"], "1440px");

    let charts = seen["charts"].as_array().expect("charts");
    for c in charts {
        let size = &c["size"];
        assert!(
            size[0].as_f64() > Some(0.0) && size[1].as_f64() > Some(0.0),
            "chart drawn with no size: {c}"
        );
    }
    let chart = |kind: &str, id: &str| {
        charts
            .iter()
            .find(|c| c["kind"] == kind && c["id"] == id)
            .unwrap_or_else(|| panic!("no {kind} chart {id}"))
    };
    for m in MEASURES {
        let c = chart("trend", m.code);
        let marks = c["marks"].as_array().expect("marks");
        assert_eq!(marks.len(), points[m.code], "points of {}", m.code);
        for mark in marks {
            assert!(
                mark[0].as_f64() > Some(0.0),
                "{}: a point with no size",
                m.code
            );
        }
    }
    let pyramid = chart("pyramid", "physicians");
    assert_eq!(pyramid["marks"].as_array().map(Vec::len), Some(3));
    let funnel = chart("funnel", "referral-funnel");
    assert!(funnel["marks"].as_array().is_some_and(|m| m.len() >= 7));

    let measures = seen["measures"].as_array().expect("measures");
    assert_eq!(measures.len(), MEASURES.len());
    for m in measures {
        let code = m["code"].as_str().expect("code");
        let (value, shown) = &expected[code];
        let raw = m["value"].as_str().expect("value");
        let on_page = (!raw.is_empty()).then(|| raw.parse::<f64>().expect("a number"));
        assert_eq!(on_page, *value, "{code}");
        assert_eq!(m["text"].as_str(), Some(shown.as_str()), "{code}");
        assert!(m["size"][1].as_f64() > Some(0.0), "{code} is not shown");
    }
}

/// Random histories of three seeds: for every subject (the region, each
/// level, alliance and institution), over the quarter and each of its
/// months, both funnels hold and the institutions' funnels add up to the
/// region's; and for the quarter the dashboard's CSV and
/// `$evaluate-measure` give the figures of `evaluate`.
#[tokio::test]
async fn over_random_histories_every_subjects_funnels_hold_and_every_report_agrees() {
    for s in [7, 19, 2027] {
        let app = spawn_app().await;
        seed_with(&app, s).await;
        let session = sign_in(&app, "analyst").await;
        let net = network(&app.state.ctx).await.expect("network");
        let mut subjects = vec![("region".to_string(), SubjectRef::Region)];
        subjects.extend(Level::ALL.map(|l| (format!("level:{}", l.code()), SubjectRef::Level(l))));
        for a in &net.alliances {
            subjects.push((format!("alliance:{a}"), SubjectRef::Alliance(a.clone())));
        }
        for i in &net.institutions {
            subjects.push((
                format!("institution:{i}"),
                SubjectRef::Institution(i.clone()),
            ));
        }
        let mut periods = vec![period()];
        for (first, last) in [
            (date!(2026 - 01 - 01), date!(2026 - 01 - 31)),
            (date!(2026 - 02 - 01), date!(2026 - 02 - 28)),
            (date!(2026 - 03 - 01), date!(2026 - 03 - 31)),
        ] {
            periods.push(Period::new(day_of(first), day_of(last)));
        }
        for p in &periods {
            let region = evaluated(&app, *p, &SubjectRef::Region).await;
            assert!(region.sent.requested() > 0, "seed {s}: referrals in {p:?}");
            let (mut sent, mut received) = (Funnel::default(), Funnel::default());
            for (code, subject) in &subjects {
                let i = evaluated(&app, *p, subject).await;
                assert!(
                    i.sent.in_order(),
                    "seed {s} {code} {p:?} sent: {:?}",
                    i.sent
                );
                assert!(
                    i.received.in_order(),
                    "seed {s} {code} {p:?}: {:?}",
                    i.received
                );
                if matches!(subject, SubjectRef::Institution(_)) {
                    sent.add(&i.sent);
                    received.add(&i.received);
                }
            }
            assert_eq!((sent, received), (region.sent, region.received), "seed {s}");
        }
        for (code, subject) in &subjects {
            let want = evaluated(&app, period(), subject).await;
            let r = csv(&app, &session, "referrals", code).await;
            for (side, f) in [("sent", &want.sent), ("received", &want.received)] {
                assert_eq!(r.count("requested", side), f.requested(), "{code} {side}");
                assert_eq!(r.count("booked", side), f.booked, "{code} {side}");
                assert_eq!(r.count("completed", side), f.completed, "{code} {side}");
                assert_eq!(r.count("reported-back", side), f.reported, "{code} {side}");
            }
            let of = match subject {
                SubjectRef::Region => String::new(),
                SubjectRef::Institution(id) | SubjectRef::Alliance(id) => {
                    format!("&subject=Organization/{id}")
                }
                SubjectRef::Level(_) | SubjectRef::Team(_) | SubjectRef::Practitioner(_) => {
                    continue;
                }
            };
            let report = app
                .get(
                    "analyst",
                    &format!(
                        "/Measure/loop-closure/$evaluate-measure?periodStart={FROM}&periodEnd={TO}{of}"
                    ),
                )
                .await;
            report.expect(200);
            let group = &report.json()["group"][0];
            assert_eq!(
                group["measureScore"]["value"].as_f64(),
                want.loop_closure,
                "{code}"
            );
            let count = |kind: &str| {
                group["population"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|p| p["code"]["coding"][0]["code"] == kind)
                    .and_then(|p| p["count"].as_u64())
            };
            assert_eq!(count("numerator"), Some(want.sent.reported), "{code}");
            assert_eq!(count("denominator"), Some(want.sent.completed), "{code}");
        }
    }
}
