//! The administrator's pages: the registry lists equal the records the
//! FHIR API serves and find institutions by Chinese or pinyin names; the
//! audit trail shows who read which resident, refusals included; nobody
//! else opens them.

use crate::dashboard::{sign_in, ui_get};
use crate::helpers::spawn_app;
use tiercare_core::Record;

/// The ids in a list page's rows (`data-id` / `data-seq` attributes).
fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_string()
        })
        .collect()
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn the_registry_lists_what_the_api_serves_and_finds_names_in_chinese_or_pinyin() {
    let app = spawn_app().await;
    let admin = sign_in(&app, "admin").await;
    let home = ui_get(&app, Some(&admin), "/ui/admin").await;
    home.expect(200);
    let institutions = app
        .county
        .records
        .iter()
        .filter(|r| matches!(r, Record::Institution(_)))
        .count();
    let counts = attr_values(&home.body, "data-count");
    assert_eq!(counts.len(), 4, "{}", home.body);
    assert_eq!(counts[0], institutions.to_string());

    let list = ui_get(&app, Some(&admin), "/ui/admin/registry?kind=institutions").await;
    list.expect(200);
    let mut ids = attr_values(&list.body, "data-id");
    ids.sort();
    let api = app.get("admin", "/Organization?_count=500").await;
    api.expect(200);
    let mut api_ids: Vec<String> = api.json()["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            // Alliances are Organizations too; the institutions tab lists
            // the others.
            !e["resource"]["type"].to_string().contains("alliance")
        })
        .map(|e| e["resource"]["id"].as_str().unwrap().to_string())
        .collect();
    api_ids.sort();
    assert_eq!(ids, api_ids);

    for q in ["河口", "hekou", "Hekou"] {
        let found = ui_get(
            &app,
            Some(&admin),
            &format!("/ui/admin/registry?kind=institutions&q={}", encode(q)),
        )
        .await;
        found.expect(200);
        assert!(found.body.contains("河口镇卫生院"), "{q}: {}", found.body);
        let rows = attr_values(&found.body, "data-id");
        assert!(!rows.is_empty() && rows.len() < ids.len(), "{q}: {rows:?}");
    }
    let none = ui_get(
        &app,
        Some(&admin),
        "/ui/admin/registry?kind=institutions&q=zzzz",
    )
    .await;
    assert!(none.body.contains("暂无记录"), "{}", none.body);
    ui_get(&app, Some(&admin), "/ui/admin/registry?kind=spaceships")
        .await
        .expect(400);
}

#[tokio::test]
async fn the_audit_trail_shows_who_read_which_resident_and_what_was_refused() {
    let app = spawn_app().await;
    let resident = app.user("resident").resident.clone().expect("a resident");
    app.get("doctor", &format!("/Patient/{resident}"))
        .await
        .expect(200);
    // The resident may not read anyone else.
    let other = app
        .county
        .records
        .iter()
        .find_map(|r| match r {
            Record::Resident(r) if r.id != resident => Some(r.id.to_string()),
            _ => None,
        })
        .unwrap();
    app.get("resident", &format!("/Patient/{other}"))
        .await
        .expect(404);

    let admin = sign_in(&app, "admin").await;
    let read = ui_get(
        &app,
        Some(&admin),
        &format!("/ui/admin/audit?user=doctor&patient=Patient/{resident}"),
    )
    .await;
    read.expect(200);
    let users = attr_values(&read.body, "data-by");
    assert!(
        !users.is_empty() && users.iter().all(|u| u == "doctor"),
        "{users:?}"
    );
    assert!(
        attr_values(&read.body, "data-patient")
            .iter()
            .all(|p| *p == resident.to_string())
    );
    // The same count as the API's AuditEvent search.
    let api = app
        .get(
            "admin",
            &format!("/AuditEvent?agent=doctor&patient=Patient/{resident}"),
        )
        .await;
    let total = api.json()["total"].as_u64().unwrap();
    assert!(
        read.body.contains(&format!("data-total=\"{total}\"")),
        "{total}"
    );

    let refused = ui_get(
        &app,
        Some(&admin),
        "/ui/admin/audit?user=resident&outcome=refused",
    )
    .await;
    refused.expect(200);
    assert!(
        refused.body.contains(&format!("data-patient=\"{other}\"")),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("class=\"badge bad\""));

    // Bad input: the message next to its field, in the user's language.
    let bad = ui_get(&app, Some(&admin), "/ui/admin/audit?outcome=maybe").await;
    bad.expect(400);
    assert!(bad.body.contains(r#"id="outcome-error""#), "{}", bad.body);
    assert!(bad.body.contains("请选择列表中的结果"));
}

#[tokio::test]
async fn only_administrators_open_the_administration_pages() {
    let app = spawn_app().await;
    for user in ["doctor", "coordinator", "specialist", "analyst", "resident"] {
        let session = sign_in(&app, user).await;
        for path in [
            "/ui/admin",
            "/ui/admin/registry?kind=practitioners",
            "/ui/admin/audit",
        ] {
            let page = ui_get(&app, Some(&session), path).await;
            page.expect(403);
            assert!(!page.body.contains("data-id="), "{user} {path}");
            assert!(!page.body.contains("data-seq="), "{user} {path}");
        }
    }
}

#[tokio::test]
async fn bad_input_on_the_user_forms_is_shown_next_to_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = sign_in(&app, "admin").await;
    let page = ui_get(&app, Some(&admin), "/ui/admin/users").await;
    page.expect(200);
    let before = attr_values(&page.body, "data-account").len();
    let csrf = crate::helpers::field(&page.body, "csrf");
    let client = crate::helpers::ui_client();
    let post = |path: &str, form: Vec<(&str, &str)>| {
        client
            .post(app.url(path))
            .header("cookie", format!("tiercare_session={admin}"))
            .form(&form)
    };
    // A password too short: refused by the service, shown by its field.
    let short = crate::helpers::send(post(
        "/ui/admin/users",
        vec![
            ("csrf", &csrf),
            ("username", "wang.li"),
            ("password", "short"),
            ("role", "analyst"),
        ],
    ))
    .await;
    short.expect(400);
    assert!(
        short.body.contains(r#"id="password-error""#),
        "{}",
        short.body
    );
    assert!(
        short.body.contains("密码至少需要10个字符"),
        "{}",
        short.body
    );
    // A doctor's account needs an institution: said by its field.
    let doctor = crate::helpers::send(post(
        "/ui/admin/users",
        vec![
            ("csrf", &csrf),
            ("username", "wang.li"),
            ("password", "a-long-password-1"),
            ("role", "doctor"),
        ],
    ))
    .await;
    doctor.expect(400);
    assert!(
        doctor.body.contains(r#"id="institution-error""#),
        "{}",
        doctor.body
    );
    assert!(
        short.body.contains(r#"value="wang.li""#),
        "the form keeps what was typed"
    );
    // Nothing required left out.
    let empty =
        crate::helpers::send(post("/ui/admin/users", vec![("csrf", &csrf), ("role", "")])).await;
    empty.expect(400);
    for field in ["username-error", "password-error", "role-error"] {
        assert!(empty.body.contains(field), "{field}");
    }
    assert!(empty.body.contains("必填"));
    // An administrator cannot disable themself.
    let me =
        crate::helpers::send(post("/ui/admin/users/admin/disable", vec![("csrf", &csrf)])).await;
    me.expect(400);
    assert!(me.body.contains(r#"id="error-admin""#), "{}", me.body);
    // Without the session's CSRF token nothing happens.
    let forged =
        crate::helpers::send(post("/ui/admin/users/analyst/disable", vec![("csrf", "x")])).await;
    forged.expect(403);

    let after = ui_get(&app, Some(&admin), "/ui/admin/users").await;
    assert_eq!(
        attr_values(&after.body, "data-account").len(),
        before,
        "nothing added"
    );
    assert!(
        after
            .body
            .contains(r#"data-account="analyst" data-disabled="false""#)
    );
    assert!(
        after
            .body
            .contains(r#"data-account="admin" data-disabled="false""#)
    );

    // A good one is added and can sign in.
    let added = crate::helpers::send(post(
        "/ui/admin/users",
        vec![
            ("csrf", &csrf),
            ("username", "zhang.min"),
            ("password", "a-long-password-1"),
            ("role", "analyst"),
        ],
    ))
    .await;
    added.expect(303);
    app.login("zhang.min", "a-long-password-1")
        .await
        .expect(200);
}

#[tokio::test]
async fn a_browser_disables_a_user_who_then_cannot_sign_in_in_chinese_and_in_english() {
    let app = spawn_app().await;
    let base = app.base.clone();
    let admin_pw = app.user("admin").password.clone();
    let analyst_pw = app.user("analyst").password.clone();
    let coordinator_pw = app.user("coordinator").password.clone();
    let analyst_session = sign_in(&app, "analyst").await;
    let driver = crate::browser::Driver::start().await;
    let browser = driver.session().await;
    let b = browser.clone();
    let run = tokio::spawn(async move {
        let landed = b.sign_in(&base, "admin", &admin_pw).await;
        assert!(landed.ends_with("/ui/admin"), "{landed}");
        assert_eq!(b.page_lang().await, "zh-CN");
        b.screenshot("admin-home-zh-CN").await;
        b.goto(&format!(
            "{base}/ui/admin/registry?kind=institutions&q=%E6%B2%B3%E5%8F%A3"
        ))
        .await;
        assert!(b.text("#registry").await.contains("河口镇卫生院"));
        b.screenshot("admin-registry-zh-CN").await;
        b.goto(&format!("{base}/ui/admin/audit")).await;
        b.screenshot("admin-audit-zh-CN").await;
        b.goto(&format!("{base}/ui/admin/users")).await;
        b.click("#disable-analyst").await;
        b.wait_for_text("#notice", "已停用 analyst").await;
        assert!(
            b.has(r#"tr[data-account="analyst"][data-disabled="true"]"#)
                .await
        );
        b.screenshot("admin-users-zh-CN").await;
        b.click("#sign-out").await;
        b.wait_for_url("the sign-in page", |u| u.ends_with("/ui/login"))
            .await;
        b.type_into("#username", "analyst").await;
        b.type_into("#password", &analyst_pw).await;
        b.click("#sign-in").await;
        b.wait_for_text("#message", "用户名或密码错误。").await;

        // The same in English: enable the analyst, disable the coordinator.
        b.sign_in(&base, "admin", &admin_pw).await;
        b.switch_language().await;
        b.screenshot("admin-home-en").await;
        b.goto(&format!(
            "{base}/ui/admin/registry?kind=institutions&q=hekou"
        ))
        .await;
        assert!(
            b.text("#registry")
                .await
                .contains("Hekou Township Health Centre")
        );
        b.screenshot("admin-registry-en").await;
        b.goto(&format!("{base}/ui/admin/audit?outcome=refused"))
            .await;
        b.screenshot("admin-audit-en").await;
        b.goto(&format!("{base}/ui/admin/users")).await;
        b.click("#enable-analyst").await;
        b.wait_for_text("#notice", "analyst is enabled again").await;
        b.click("#disable-coordinator").await;
        b.wait_for_text("#notice", "coordinator is disabled").await;
        b.screenshot("admin-users-en").await;
        b.click("#sign-out").await;
        b.wait_for_url("the sign-in page", |u| u.ends_with("/ui/login"))
            .await;
        b.type_into("#username", "coordinator").await;
        b.type_into("#password", &coordinator_pw).await;
        b.click("#sign-in").await;
        b.wait_for_text("#message", "Unknown username or wrong password.")
            .await;
    });
    let outcome = run.await;
    browser.quit().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
    // What the pages did is what the server does: the coordinator's API
    // login is refused (OAuth's invalid_grant), the analyst's is back, and the analyst's old
    // session ended when the account was disabled.
    app.login("coordinator", &app.user("coordinator").password.clone())
        .await
        .expect(400);
    app.login("analyst", &app.user("analyst").password.clone())
        .await
        .expect(200);
    let old = ui_get(&app, Some(&analyst_session), "/ui/dashboard").await;
    old.expect(303);
}
