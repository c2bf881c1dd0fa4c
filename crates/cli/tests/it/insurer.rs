//! The insurance fund officer over HTTP: reads and searches every claim of
//! the region, audited, runs `$budget` and the insurance indicators, and is
//! refused (and audited) on every clinical record.

use crate::helpers::{DEMO_RESIDENT, assert_outcome, entries, spawn_app};
use tiercare_core::indicators::measures::INSURANCE_MEASURES;
use tiercare_store::{AuditOutcome, AuditQuery};

const MARCH: &str = "periodStart=2026-03-01&periodEnd=2026-03-31";

/// The insurer's audit entries with this outcome.
async fn audited(
    app: &crate::helpers::TestApp,
    outcome: AuditOutcome,
) -> Vec<tiercare_store::AuditEntry> {
    let (entries, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("insurer".into()),
            outcomes: vec![outcome],
            count: 500,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    entries
}

#[tokio::test]
async fn an_insurer_reads_every_claim_and_no_clinical_record() {
    let app = spawn_app().await;
    // The referral loop ends in a claimed hospital visit.
    let walked = crate::closed_loop::walk(&app).await;

    // Claims: searched region-wide without naming a patient, and read.
    let found = app.get("insurer", "/ExplanationOfBenefit").await;
    found.expect(200);
    let claims = entries(&found.json());
    assert!(!claims.is_empty(), "the walk's visit is claimed");
    let id = claims[0]["id"].as_str().expect("id").to_string();
    let read = app
        .get("insurer", &format!("/ExplanationOfBenefit/{id}"))
        .await;
    read.expect(200);
    assert_eq!(read.json()["resourceType"], "ExplanationOfBenefit");
    let provider = claims[0]["provider"]["reference"]
        .as_str()
        .expect("provider")
        .to_string();
    let by_provider = app
        .get(
            "insurer",
            &format!("/ExplanationOfBenefit?provider={provider}"),
        )
        .await;
    by_provider.expect(200);
    assert!(entries(&by_provider.json()).iter().any(|c| c["id"] == id));
    // Others still name the patient: the region-wide search is the fund's.
    assert_outcome(
        &app.get("doctor", "/ExplanationOfBenefit").await,
        400,
        "patient",
    );

    // Every claim seen is audited against its patient.
    let reads = audited(&app, AuditOutcome::Success).await;
    assert!(reads.iter().any(|e| e.action == "read"
        && e.resource_type == "ExplanationOfBenefit"
        && e.resource_id.as_deref() == Some(id.as_str())
        && e.patient.is_some()));
    assert!(
        reads
            .iter()
            .filter(|e| e.action == "search")
            .all(|e| e.resource_type == "ExplanationOfBenefit")
    );

    // Clinical records: refused, each refusal audited.
    let observation = walked.seen.iter().find_map(|v| {
        (v["resourceType"] == "Observation").then(|| v["id"].as_str().unwrap_or("").to_string())
    });
    let mut refused = vec![
        format!("/Patient/{DEMO_RESIDENT}"),
        format!("/ServiceRequest/{}", walked.referral),
        format!("/Observation?patient=Patient/{DEMO_RESIDENT}"),
        format!("/Coverage/cov-{DEMO_RESIDENT}"),
    ];
    if let Some(o) = observation.filter(|o| !o.is_empty()) {
        refused.push(format!("/Observation/{o}"));
    }
    let before = audited(&app, AuditOutcome::Denied).await.len();
    for path in &refused {
        // A record named by id reads as one that does not exist; a
        // search is refused.
        let by_id = !path.contains('?');
        let status = if by_id { 404 } else { 403 };
        assert_outcome(&app.get("insurer", path).await, status, "");
    }
    let denied = audited(&app, AuditOutcome::Denied).await;
    assert_eq!(
        denied.len() - before,
        refused.len(),
        "one denied entry per refusal: {denied:?}"
    );
    for rt in ["Patient", "ServiceRequest", "Observation", "Coverage"] {
        assert!(
            denied.iter().any(|e| e.resource_type == rt),
            "{rt} refusal not audited"
        );
    }
    // A search of the region's patients finds nothing to show.
    let patients = app.get("insurer", "/Patient").await;
    assert!(
        patients.status == 403 || entries(&patients.json()).is_empty(),
        "an insurer sees no patient: {}",
        patients.status
    );
}

#[tokio::test]
async fn an_insurer_sees_budgets_and_the_insurance_indicators_only() {
    let app = spawn_app().await;
    app.get("insurer", "/Organization/zx-all-ccmc/$budget")
        .await
        .expect(200);

    for code in INSURANCE_MEASURES {
        app.get(
            "insurer",
            &format!("/Measure/{code}/$evaluate-measure?{MARCH}"),
        )
        .await
        .expect(200);
        // Of any institution: the fund pays across the region.
        app.get(
            "insurer",
            &format!("/Measure/{code}/$evaluate-measure?{MARCH}&subject=Organization/zx-h1"),
        )
        .await
        .expect(200);
    }
    assert_outcome(
        &app.get(
            "insurer",
            &format!("/Measure/loop-closure/$evaluate-measure?{MARCH}"),
        )
        .await,
        403,
        "loop-closure",
    );
    // The dashboard's one call answers with the insurance indicators.
    let all = app
        .get("insurer", &format!("/Measure/$evaluate-measure?{MARCH}"))
        .await;
    all.expect(200);
    let codes: Vec<String> = entries(&all.json())
        .iter()
        .filter_map(|r| r["measure"].as_str())
        .filter_map(|m| m.rsplit('/').next())
        .map(str::to_string)
        .collect();
    assert_eq!(codes, INSURANCE_MEASURES);
    // A programme's evaluation is care, not payment.
    assert_eq!(
        app.get(
            "insurer",
            &format!("/Measure/$evaluate-measure?{MARCH}&subject=Practitioner/none"),
        )
        .await
        .status
            / 100,
        4
    );
}
