//! The frame every page shares: Chinese by default, English on request
//! (the browser's `Accept-Language` on a first visit, then the switch,
//! remembered), every user landing on a page of their own, and the header
//! usable on a phone.

use crate::browser::Driver;
use crate::dashboard::{sign_in, ui_get};
use crate::helpers::{send, spawn_app, ui_client};

#[tokio::test]
async fn chinese_first_english_when_the_browser_asks_and_the_switch_is_remembered() {
    let app = spawn_app().await;
    let zh = send(ui_client().get(app.url("/ui/login"))).await;
    zh.expect(200);
    assert!(zh.body.contains(r#"<html lang="zh-CN">"#), "{}", zh.body);
    assert!(zh.body.contains("登录"), "{}", zh.body);
    let en = send(
        ui_client()
            .get(app.url("/ui/login"))
            .header("accept-language", "en-GB,en;q=0.9,zh;q=0.5"),
    )
    .await;
    assert!(en.body.contains(r#"<html lang="en">"#), "{}", en.body);
    assert!(en.body.contains("Sign in"));
    assert!(
        !en.body.contains("登录"),
        "no Chinese left on an English page"
    );

    // The switch sets a cookie and comes back to the page; a foreign
    // address to come back to is ignored.
    for (back, expected) in [
        ("/ui/login", "/ui/login"),
        ("https://evil.example/", "/ui"),
        ("//evil.example", "/ui"),
    ] {
        let resp = send(
            ui_client()
                .post(app.url("/ui/lang"))
                .form(&[("lang", "en"), ("back", back)]),
        )
        .await;
        resp.expect(303);
        assert_eq!(resp.header("location").as_deref(), Some(expected));
        let cookie = resp.header("set-cookie").unwrap_or_default();
        assert!(cookie.starts_with("tiercare_lang=en;"), "{cookie}");
    }
    let remembered = send(
        ui_client()
            .get(app.url("/ui/login"))
            .header("cookie", "tiercare_lang=en")
            .header("accept-language", "zh-CN"),
    )
    .await;
    assert!(remembered.body.contains(r#"<html lang="en">"#));

    // Signed in, the switch needs the session's CSRF token.
    let session = sign_in(&app, "analyst").await;
    let forged = send(
        ui_client()
            .post(app.url("/ui/lang"))
            .header("cookie", format!("tiercare_session={session}"))
            .form(&[("lang", "en"), ("back", "/ui/dashboard")]),
    )
    .await;
    forged.expect(403);
    assert!(forged.header("set-cookie").is_none());
    let page = ui_get(&app, Some(&session), "/ui/dashboard").await;
    assert!(page.body.contains(r#"<html lang="zh-CN">"#));

    // With it, the choice is remembered for the user: a new session in a
    // fresh browser (no cookie, a Chinese Accept-Language) is in English.
    let csrf = crate::helpers::field(&page.body, "csrf");
    let switched = send(
        ui_client()
            .post(app.url("/ui/lang"))
            .header("cookie", format!("tiercare_session={session}"))
            .form(&[("lang", "en"), ("back", "/ui/dashboard"), ("csrf", &csrf)]),
    )
    .await;
    switched.expect(303);
    let again = sign_in(&app, "analyst").await;
    let fresh = send(
        ui_client()
            .get(app.url("/ui/dashboard"))
            .header("cookie", format!("tiercare_session={again}"))
            .header("accept-language", "zh-CN"),
    )
    .await;
    assert!(fresh.body.contains(r#"<html lang="en">"#), "{}", fresh.body);
}

#[tokio::test]
async fn a_phone_sized_browser_switches_language_and_keeps_the_header_on_screen() {
    let app = spawn_app().await;
    let base = app.base.clone();
    let password = app.user("analyst").password.clone();
    let driver = Driver::start().await;
    let browser = driver.session().await;
    let b = browser.clone();
    let run = tokio::spawn(async move {
        b.set_window_size(390, 844).await;
        b.goto(&format!("{base}/ui/login")).await;
        assert_eq!(b.page_lang().await, "zh-CN");
        b.screenshot("login-zh-CN").await;
        b.switch_language().await;
        assert_eq!(b.page_lang().await, "en");
        assert_eq!(b.text("h1").await, "Sign in");
        b.screenshot("login-en").await;
        let landed = b.sign_in(&base, "analyst", &password).await;
        assert!(landed.ends_with("/ui/dashboard"), "{landed}");
        // Still English after signing in: the choice is remembered.
        assert_eq!(b.page_lang().await, "en");
        // Every header control is inside the 390 px screen.
        let off = b
            .script(
                "return [...document.querySelectorAll('header.top a, header.top button')]
                   .filter(e => { const r = e.getBoundingClientRect();
                                  return r.right > window.innerWidth + 1 || r.left < 0; })
                   .map(e => e.textContent);",
            )
            .await;
        assert_eq!(off, serde_json::json!([]), "controls off-screen at 390 px");
        assert!(b.has("#sign-out").await);
    });
    let outcome = run.await;
    browser.quit().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
