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
        .expect(403);

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
