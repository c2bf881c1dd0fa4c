//! A reported reading is claimed as any service is: its fee, billed by the
//! township where the study was taken, adjudicated under the patient's
//! scheme, written with the report and moving the patient's year account;
//! readings reported at once all land on the one account.

use crate::helpers::{DEMO_RESIDENT, TestApp, entries, spawn_app};
use crate::hubs::{ecg_hub, order};
use crate::referral::{op, params};
use crate::validate::assert_valid_fhir;
use serde_json::{Value, json};
use std::sync::Arc;
use tiercare_core::hub::ReadingCharge;
use tiercare_core::insurance::Fen;

async fn take_and_report(app: &TestApp, id: &str) -> u16 {
    op(app, "specialist", id, "take", None, None)
        .await
        .expect(200);
    op(
        app,
        "specialist",
        id,
        "report-reading",
        Some(params(&[("conclusion", json!("窦性心律，正常心电图"))])),
        None,
    )
    .await
    .status
}

fn total(eob: &Value, code: &str) -> Fen {
    let t = eob["total"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|t| t["category"]["coding"][0]["code"] == code)
        })
        .unwrap_or_else(|| panic!("no {code} total in {eob}"));
    format!("{:.2}", t["amount"]["value"].as_f64().unwrap())
        .parse()
        .unwrap()
}

/// What the patient's account for this year holds, over deductibles met
/// and the fund's payments (outpatient): what their claims moved.
async fn account(app: &TestApp) -> Fen {
    let coverage = app
        .get("admin", &format!("/Coverage/cov-{DEMO_RESIDENT}"))
        .await;
    coverage.expect(200);
    let scheme = coverage.json()["class"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let year = app.state.ctx.clock.now().year();
    let stored = app
        .state
        .ctx
        .store
        .get("Account", &format!("acc-{DEMO_RESIDENT}-{scheme}-{year}"))
        .await
        .unwrap();
    match stored.map(|s| s.record) {
        Some(tiercare_core::Record::Account(a)) => a
            .accumulator
            .deductible_met
            .outpatient
            .saturating_add(a.accumulator.reimbursed.outpatient),
        _ => Fen::ZERO,
    }
}

/// What a claim moved on the account: its deductible and the fund's part.
fn moved(eob: &Value) -> Fen {
    total(eob, "deductible").saturating_add(total(eob, "benefit"))
}

#[tokio::test]
async fn a_reported_reading_is_claimed_at_the_ordering_township() {
    let app = spawn_app().await;
    let hub = ecg_hub(&app).await;
    let id = order(&app, &hub, "routine").await;
    let before = account(&app).await;
    assert_eq!(take_and_report(&app, &id).await, 200);

    let found = app
        .get(
            "doctor",
            &format!(
                "/ExplanationOfBenefit?patient=Patient/{DEMO_RESIDENT}&referral=ServiceRequest/{id}"
            ),
        )
        .await;
    found.expect(200);
    let eobs = entries(&found.json());
    assert_eq!(eobs.len(), 1, "one claim per reading");
    let eob = eobs[0].clone();
    let fee = ReadingCharge::of(tiercare_core::hub::HubKind::Ecg.fee(&app.state.ctx.policy)).fee;
    assert!(
        fee > Fen::ZERO,
        "the demo policy charges for an ECG reading"
    );
    assert_eq!(total(&eob, "submitted"), fee);
    assert_eq!(
        total(&eob, "benefit").saturating_add(total(&eob, "out-of-pocket")),
        fee
    );
    // Billed where the study was taken, at primary level: never a bypass.
    assert_eq!(eob["provider"]["reference"], "Organization/zx-tc1");
    assert_eq!(
        eob["item"][0]["productOrService"]["coding"][0]["code"],
        "primary"
    );
    assert!(!eob["processNote"].to_string().contains("bypass-penalty"));
    assert_eq!(eob["referral"]["reference"], format!("ServiceRequest/{id}"));
    assert!(eob["item"][0].get("encounter").is_none());
    assert_eq!(
        eob["patient"]["reference"],
        format!("Patient/{DEMO_RESIDENT}")
    );
    // The account moved as the claim says, in the report's write.
    assert_eq!(account(&app).await, before.saturating_add(moved(&eob)));
    // Visit-keyed search does not find it; the visits' spend is untouched.
    let by_visit = app
        .get(
            "doctor",
            &format!("/ExplanationOfBenefit?patient=Patient/{DEMO_RESIDENT}"),
        )
        .await;
    assert!(
        entries(&by_visit.json())
            .iter()
            .any(|e| e["id"] == eob["id"])
    );
    // The fund officer's page lists it as a remote reading.
    let session = crate::dashboard::sign_in(&app, "insurer").await;
    let page = crate::dashboard::ui_get(&app, Some(&session), "/ui/insurer").await;
    page.expect(200);
    let claim = eob["id"].as_str().unwrap();
    let row = page
        .body
        .split("<tr ")
        .find(|r| r.starts_with(&format!(r#"data-claim="{claim}""#)))
        .unwrap_or_else(|| panic!("{claim} not on the page: {}", page.body));
    assert!(row.contains(r#"data-service="reading">远程诊断"#), "{row}");
    assert_valid_fhir(&[eob]);
}

#[tokio::test]
async fn readings_reported_at_once_all_claim_against_one_account() {
    let app = Arc::new(spawn_app().await);
    let hub = ecg_hub(&app).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let id = order(&app, &hub, "routine").await;
        op(&app, "specialist", &id, "take", None, None)
            .await
            .expect(200);
        ids.push(id);
    }
    let claims_before = app.count("ExplanationOfBenefit").await;
    let before = account(&app).await;
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids.clone() {
        let app = app.clone();
        tasks.spawn(async move {
            op(
                &app,
                "specialist",
                &id,
                "report-reading",
                Some(params(&[("conclusion", json!("窦性心律"))])),
                None,
            )
            .await
            .status
        });
    }
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.unwrap(), 200);
    }
    assert_eq!(app.count("ExplanationOfBenefit").await, claims_before + 4);
    let mut sum = before;
    for id in &ids {
        let found = app
            .get(
                "doctor",
                &format!("/ExplanationOfBenefit?patient=Patient/{DEMO_RESIDENT}&referral=ServiceRequest/{id}"),
            )
            .await;
        let eobs = entries(&found.json());
        assert_eq!(eobs.len(), 1, "one claim for {id}");
        sum = sum.saturating_add(moved(&eobs[0]));
    }
    assert_eq!(
        account(&app).await,
        sum,
        "every claim landed on the account"
    );
}
