//! The insurance fund officer's page: the claims the fund paid, by
//! institution, level and scheme, and the alliances' budgets, with the
//! same figures as the FHIR API; every claim listed is audited; nobody
//! else opens it.

use crate::browser::Driver;
use crate::dashboard::{sign_in, ui_get};
use crate::helpers::spawn_app;
use serde_json::Value;

/// The fund's payment on an ExplanationOfBenefit, in fen.
fn benefit_fen(eob: &Value) -> i64 {
    let amount = eob["total"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"]["coding"][0]["code"] == "benefit")
        .map(|t| t["amount"]["value"].as_f64().unwrap())
        .unwrap();
    (amount * 100.0).round() as i64
}

#[tokio::test]
async fn the_insurer_sees_the_claim_with_the_figures_of_the_api_in_chinese_and_english() {
    let app = spawn_app().await;
    // The referral loop ends in a claimed hospital visit.
    crate::closed_loop::walk(&app).await;
    let api = app.get("insurer", "/ExplanationOfBenefit?_count=500").await;
    api.expect(200);
    let json = api.json();
    let eobs: Vec<Value> = json["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .collect();
    assert!(!eobs.is_empty());
    let covered: i64 = eobs.iter().map(benefit_fen).sum();
    let first = eobs[0]["id"].as_str().unwrap().to_string();

    let session = sign_in(&app, "insurer").await;
    let page = ui_get(&app, Some(&session), "/ui/insurer").await;
    page.expect(200);
    assert!(
        page.body
            .contains(&format!(r#"id="claims-count" data-count="{}""#, eobs.len())),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!(r#"id="covered" data-fen="{covered}""#))
    );
    assert!(page.body.contains(&format!(r#"data-claim="{first}""#)));
    assert!(page.body.contains("基金支付") && page.body.contains("¥"));
    // Each claim listed is in the audit trail as the insurer's read.
    let trail = app
        .get("admin", "/AuditEvent?agent=insurer&_count=500")
        .await
        .json();
    let audited = trail["entry"].as_array().map(Vec::len).unwrap_or(0);
    assert!(
        audited >= eobs.len(),
        "{audited} audit entries for {} claims",
        eobs.len()
    );

    let bad = ui_get(&app, Some(&session), "/ui/insurer?year=1900").await;
    bad.expect(200);
    assert!(bad.body.contains(r#"id="year-error""#), "{}", bad.body);

    for user in ["doctor", "coordinator", "specialist", "resident", "analyst"] {
        let s = sign_in(&app, user).await;
        let refused = ui_get(&app, Some(&s), "/ui/insurer").await;
        refused.expect(403);
        assert!(!refused.body.contains("data-claim="), "{user}");
    }

    let base = app.base.clone();
    let password = app.user("insurer").password.clone();
    let n = eobs.len();
    let driver = Driver::start().await;
    let browser = driver.session().await;
    let b = browser.clone();
    let run = tokio::spawn(async move {
        let landed = b.sign_in(&base, "insurer", &password).await;
        assert!(landed.ends_with("/ui/insurer"), "{landed}");
        assert_eq!(b.text("#claims-count").await, n.to_string());
        assert!(b.text("h1").await.contains("医保基金"));
        b.screenshot("insurer-zh-CN").await;
        b.switch_language().await;
        assert!(b.text("h1").await.contains("insurance fund"));
        assert_eq!(b.text("#claims-count").await, n.to_string());
        b.screenshot("insurer-en").await;
        b.set_window_size(390, 844).await;
        let wide = b
            .script("return document.documentElement.scrollWidth;")
            .await
            .as_u64()
            .unwrap_or(9999);
        assert!(wide <= 390, "the page is {wide} px wide at 390");
    });
    let outcome = run.await;
    browser.quit().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
