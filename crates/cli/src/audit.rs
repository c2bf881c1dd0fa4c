//! `tiercare audit verify`: checks the audit trail's hash chain and says
//! where and why it breaks, and names the trail's head so the operator can
//! keep it elsewhere: removing the newest entries leaves a whole chain, and
//! only a head kept outside the database shows it (`--anchor`).

use anyhow::Context as _;
use tiercare_store::{AnchorCheck, AuditAnchor, AuditVerification, Store};

/// Verifies the trail of the database at `url`; the report, and whether
/// the trail is intact.
pub async fn verify(url: &str, anchor: Option<&AuditAnchor>) -> anyhow::Result<(String, bool)> {
    let store = Store::open(url)
        .await
        .with_context(|| format!("opening database {url}"))?;
    let report = store.verify_audit_anchored(anchor).await;
    store.close().await;
    let report = report.context("reading the audit trail")?;
    Ok((describe(&report, anchor), report.is_intact()))
}

/// Verifies the trail of an open store; the report and whether it is
/// intact.
pub async fn verify_open(store: &Store) -> anyhow::Result<(String, bool)> {
    let report = store
        .verify_audit()
        .await
        .context("reading the audit trail")?;
    Ok((describe(&report, None), report.is_intact()))
}

/// The report as the console shows it.
pub fn describe(report: &AuditVerification, anchor: Option<&AuditAnchor>) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "audit trail: {} entries checked\n",
        report.checked
    ));
    match &report.broken {
        None => out.push_str("chain: intact\n"),
        Some(b) => out.push_str(&format!("chain: BROKEN at entry {}: {b}\n", b.seq)),
    }
    match &report.head {
        None => out.push_str("head: none (the trail is empty)\n"),
        Some(head) => out.push_str(&format!(
            "head: {head}\n  (a chain cannot show that its newest entries were removed: keep the head \
             outside the database and check later with --anchor {head})\n"
        )),
    }
    if let (Some(a), Some(check)) = (anchor, &report.anchor) {
        let verdict = match check {
            AnchorCheck::Holds => "holds".to_string(),
            AnchorCheck::Missing => {
                format!(
                    "BROKEN: there is no entry {}, the trail was cut back",
                    a.seq
                )
            }
            AnchorCheck::Differs { hash } => {
                format!("BROKEN: entry {} now has hash {hash}", a.seq)
            }
        };
        out.push_str(&format!("anchor {a}: {verdict}\n"));
    }
    out
}
