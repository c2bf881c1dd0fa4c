//! The audit trail's hash chain, so that an entry edited, removed or moved
//! in the database afterwards is found by [`Store::verify_audit`].
//!
//! Every entry stores `prev_hash`, the hash of the entry before it in
//! sequence order ([`GENESIS`] for the first), and `hash`, the SHA-256 of a
//! domain tag, that previous hash and every field of the entry, its
//! sequence number and time included, each field length-prefixed so no two
//! different entries encode alike ([`entry_hash`]). Entries are numbered
//! here, one more than the last, inside the write transaction that adds
//! them: writes run one at a time on both engines (`begin_write`), so the
//! last entry read there is the last one committed, whichever server wrote
//! it, and the numbers have no gaps.
//!
//! A trail stored before the chain existed (no entry has a hash) is chained
//! when the store opens, before it writes anything. Entries with gaps in
//! their numbers from that time (a rolled-back transaction on PostgreSQL
//! used a number up) are not a break: a removed entry shows as a link that
//! no longer matches, whatever the numbers.
//!
//! A chain cannot show that its newest entries were removed: what is left
//! is still a whole chain. The report therefore names the head (the last
//! entry's number and hash); an operator who keeps it elsewhere can check
//! later that the trail still passes through it ([`AuditAnchor`]).

use crate::batch_conn::{BatchConn, Val};
use crate::db::{Backend, begin_write};
use crate::{Store, StoreError};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

/// The previous hash of the first entry of the chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What the hash covers besides the previous hash: the version of this
/// encoding, so a later one can never be taken for it.
const DOMAIN: &[u8] = b"tiercare-audit-chain-1";

/// The stored fields of one entry exactly as the table holds them (the
/// outcome as its code, unparsed, so that any change shows).
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    pub seq: i64,
    pub recorded_at: &'a str,
    pub username: &'a str,
    pub role: &'a str,
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<&'a str>,
    pub patient: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: &'a str,
}

/// The hash of an entry that follows the entry whose hash is `prev`, as
/// lowercase hex.
pub(crate) fn entry_hash(prev: &str, f: &Fields<'_>) -> String {
    let mut h = Sha256::new();
    text(&mut h, Some(DOMAIN));
    text(&mut h, Some(prev.as_bytes()));
    h.update(f.seq.to_be_bytes());
    for field in [
        Some(f.recorded_at),
        Some(f.username),
        Some(f.role),
        Some(f.action),
        Some(f.resource_type),
        f.resource_id,
        f.patient,
        Some(f.outcome),
        Some(f.detail),
    ] {
        text(&mut h, field.map(str::as_bytes));
    }
    hex::encode(h.finalize())
}

/// Absent (0), or present (1) with its length and bytes.
fn text(h: &mut Sha256, value: Option<&[u8]>) {
    match value {
        None => h.update([0u8]),
        Some(v) => {
            h.update([1u8]);
            h.update((v.len() as u64).to_be_bytes());
            h.update(v);
        }
    }
}

/// The number and hash of the last entry, or `(0, GENESIS)` for an empty
/// trail; read inside the write transaction that appends after it.
pub(crate) async fn head<C: BatchConn>(conn: &mut C) -> Result<(i64, String), StoreError> {
    let rows = conn
        .fetch(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            vec![],
        )
        .await?;
    match rows.into_iter().next().map(<[Val; 2]>::try_from) {
        None => Ok((0, GENESIS.to_string())),
        Some(Ok([seq, hash])) => {
            // An entry whose hash was removed: the next one still chains to
            // something fixed, and verification reports that entry.
            let hash = hash.opt_text("audit.hash")?;
            Ok((
                seq.int("audit.seq")?,
                hash.unwrap_or_else(|| GENESIS.to_string()),
            ))
        }
        Some(Err(row)) => Err(StoreError::Corrupt("audit".into(), format!("{row:?}"))),
    }
}

/// Chains a trail written before the chain existed, once: when it has
/// entries and none of them has a hash. A trail that is partly chained is
/// left alone, so a hash removed later is reported, never recomputed.
pub(crate) async fn chain_unchained(pool: &AnyPool, backend: Backend) -> Result<(), StoreError> {
    let head: Option<Option<String>> =
        sqlx::query_scalar("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1")
            .fetch_optional(pool)
            .await?;
    if !matches!(head, Some(None)) {
        return Ok(());
    }
    let mut tx = begin_write(pool, backend).await?;
    let chained: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE hash IS NOT NULL")
        .fetch_one(&mut *tx)
        .await?;
    if chained > 0 {
        return Ok(());
    }
    let rows = sqlx::query("SELECT * FROM audit ORDER BY seq")
        .fetch_all(&mut *tx)
        .await?;
    let mut prev = GENESIS.to_string();
    for r in &rows {
        let stored = Stored::read(r)?;
        let hash = entry_hash(&prev, &stored.fields());
        sqlx::query("UPDATE audit SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(&prev)
            .bind(&hash)
            .bind(stored.seq)
            .execute(&mut *tx)
            .await?;
        prev = hash;
    }
    tx.commit().await?;
    tracing::info!(entries = rows.len(), "chained the audit trail");
    Ok(())
}

/// One stored entry, as verification reads it.
struct Stored {
    seq: i64,
    recorded_at: String,
    username: String,
    role: String,
    action: String,
    resource_type: String,
    resource_id: Option<String>,
    patient: Option<String>,
    outcome: String,
    detail: String,
    prev_hash: Option<String>,
    hash: Option<String>,
}

impl Stored {
    fn read(r: &AnyRow) -> Result<Stored, StoreError> {
        Ok(Stored {
            seq: r.try_get("seq")?,
            recorded_at: r.try_get("recorded_at")?,
            username: r.try_get("username")?,
            role: r.try_get("role")?,
            action: r.try_get("action")?,
            resource_type: r.try_get("resource_type")?,
            resource_id: r.try_get("resource_id")?,
            patient: r.try_get("patient")?,
            outcome: r.try_get("outcome")?,
            detail: r.try_get("detail")?,
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
        })
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            seq: self.seq,
            recorded_at: &self.recorded_at,
            username: &self.username,
            role: &self.role,
            action: &self.action,
            resource_type: &self.resource_type,
            resource_id: self.resource_id.as_deref(),
            patient: self.patient.as_deref(),
            outcome: &self.outcome,
            detail: &self.detail,
        }
    }
}

/// The last entry of the trail: keep it somewhere the database's users
/// cannot write, and check later that the trail still passes through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAnchor {
    pub seq: i64,
    /// Lowercase hex SHA-256.
    pub hash: String,
}

impl std::fmt::Display for AuditAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for AuditAnchor {
    type Err = String;

    /// `SEQ:HASH`, as [`Display`](std::fmt::Display) writes it.
    fn from_str(s: &str) -> Result<AuditAnchor, String> {
        let (seq, hash) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not SEQ:HASH"))?;
        let seq = seq
            .parse()
            .map_err(|_| format!("{seq:?} is not a sequence number"))?;
        let hash = hash.to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{hash:?} is not a SHA-256 in hex"));
        }
        Ok(AuditAnchor { seq, hash })
    }
}

/// Why the chain breaks where it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditBreakKind {
    /// The entry's fields (or its number) no longer give its hash: it was
    /// changed after it was written, or its hash was removed.
    Edited,
    /// The entries numbered `first..=last` before this one are gone: it
    /// chains to an entry that is no longer there.
    Deleted { first: i64, last: i64 },
    /// The entry was written after the entry now numbered `after`, not the
    /// one now before it: entries were moved.
    Reordered { after: i64 },
    /// The entry after this one was chained to another, yet no number is
    /// missing: this entry was changed and given a new hash, or an entry
    /// was removed and the later ones renumbered.
    Rewritten,
}

/// Where and why the chain breaks: the first entry that does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditBreak {
    pub seq: i64,
    pub kind: AuditBreakKind,
}

impl std::fmt::Display for AuditBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seq = self.seq;
        match &self.kind {
            AuditBreakKind::Edited => write!(
                f,
                "entry {seq} was edited: its fields no longer match its hash"
            ),
            AuditBreakKind::Deleted { first, last } if first == last => write!(
                f,
                "entry {first} was deleted: entry {seq} chains to an entry that is gone"
            ),
            AuditBreakKind::Deleted { first, last } => write!(
                f,
                "entries {first} to {last} were deleted: entry {seq} chains to an entry that is gone"
            ),
            AuditBreakKind::Reordered { after } => write!(
                f,
                "entries were reordered: entry {seq} was written after the entry now numbered {after}"
            ),
            AuditBreakKind::Rewritten => write!(
                f,
                "entry {seq} was rewritten with a new hash: the entry after it was chained to another (or an entry was deleted and later ones renumbered)"
            ),
        }
    }
}

/// What the trail's anchor check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorCheck {
    /// The entry of that number has that hash.
    Holds,
    /// There is no entry of that number: the trail was cut back.
    Missing,
    /// The entry of that number has another hash.
    Differs { hash: String },
}

/// The result of [`Store::verify_audit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// Entries checked, up to the first break or the end.
    pub checked: u64,
    /// The last entry of the trail, when it has any.
    pub head: Option<AuditAnchor>,
    /// The first place where the chain breaks.
    pub broken: Option<AuditBreak>,
    /// Whether the trail passes through the anchor asked for.
    pub anchor: Option<AnchorCheck>,
}

impl AuditVerification {
    /// The chain is whole and passes through the anchor, if one was given.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none() && matches!(self.anchor, None | Some(AnchorCheck::Holds))
    }
}

/// Entries read per statement while verifying.
const PAGE: i64 = 1000;

impl Store {
    /// Checks the audit trail's hash chain from the first entry to the
    /// last. A trail whose newest entries were removed still verifies:
    /// compare the reported head with one kept elsewhere, or use
    /// [`Store::verify_audit_anchored`].
    pub async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        self.verify_audit_anchored(None).await
    }

    /// [`Store::verify_audit`], and whether the trail still holds the entry
    /// `anchor` names with the hash it names.
    pub async fn verify_audit_anchored(
        &self,
        anchor: Option<&AuditAnchor>,
    ) -> Result<AuditVerification, StoreError> {
        let mut report = AuditVerification {
            checked: 0,
            head: None,
            broken: None,
            anchor: anchor.map(|_| AnchorCheck::Missing),
        };
        // The previous entry's number and stored hash.
        let mut prev: Option<(i64, Option<String>)> = None;
        loop {
            let after = prev.as_ref().map_or(i64::MIN, |p| p.0);
            let rows = sqlx::query("SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after)
                .bind(PAGE)
                .fetch_all(&self.read)
                .await?;
            for r in &rows {
                let e = Stored::read(r)?;
                if let Some(a) = anchor
                    && a.seq == e.seq
                {
                    report.anchor = Some(match &e.hash {
                        Some(h) if *h == a.hash => AnchorCheck::Holds,
                        other => AnchorCheck::Differs {
                            hash: other.clone().unwrap_or_default(),
                        },
                    });
                }
                if report.broken.is_none() {
                    report.broken = self.check(&e, prev.as_ref()).await?;
                    if report.broken.is_none() {
                        report.checked += 1;
                    }
                }
                report.head = Some(AuditAnchor {
                    seq: e.seq,
                    hash: e.hash.clone().unwrap_or_default(),
                });
                prev = Some((e.seq, e.hash));
            }
            if rows.len() < PAGE as usize {
                return Ok(report);
            }
        }
    }

    /// Whether `e` fits after `prev` (the previous entry's number and hash;
    /// none for the first entry).
    async fn check(
        &self,
        e: &Stored,
        prev: Option<&(i64, Option<String>)>,
    ) -> Result<Option<AuditBreak>, StoreError> {
        let edited = Some(AuditBreak {
            seq: e.seq,
            kind: AuditBreakKind::Edited,
        });
        let (Some(prev_hash), Some(hash)) = (&e.prev_hash, &e.hash) else {
            return Ok(edited);
        };
        let expected = match prev {
            None => Some(GENESIS),
            Some((_, h)) => h.as_deref(),
        };
        if expected != Some(prev_hash.as_str()) {
            return self.diagnose_link(e, prev_hash, prev).await.map(Some);
        }
        if entry_hash(prev_hash, &e.fields()) != *hash {
            return Ok(edited);
        }
        Ok(None)
    }

    /// Why `e`'s link to the entry before it does not hold.
    async fn diagnose_link(
        &self,
        e: &Stored,
        prev_hash: &str,
        prev: Option<&(i64, Option<String>)>,
    ) -> Result<AuditBreak, StoreError> {
        // Scans the table, once, at the break only.
        let elsewhere: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM audit WHERE hash = $1 AND seq <> $2 LIMIT 1")
                .bind(prev_hash)
                .bind(e.seq)
                .fetch_optional(&self.read)
                .await?;
        let before = prev.map_or(0, |p| p.0);
        let kind = match elsewhere {
            Some(after) => AuditBreakKind::Reordered { after },
            None if e.seq > before + 1 => AuditBreakKind::Deleted {
                first: before + 1,
                last: e.seq - 1,
            },
            // The first entry's link was changed itself.
            None if prev.is_none() => AuditBreakKind::Edited,
            None => AuditBreakKind::Rewritten,
        };
        let seq = match kind {
            AuditBreakKind::Rewritten => before,
            _ => e.seq,
        };
        Ok(AuditBreak { seq, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::tests::store_and_url;
    use crate::{AuditEntry, AuditOutcome};

    fn entry(patient: &str, detail: &str) -> AuditEntry {
        AuditEntry {
            seq: 0,
            recorded_at: String::new(),
            username: "doctor".into(),
            role: "doctor".into(),
            action: "read".into(),
            resource_type: "Patient".into(),
            resource_id: Some(patient.into()),
            patient: Some(patient.into()),
            outcome: AuditOutcome::Success,
            detail: detail.into(),
        }
    }

    /// A store with `n` entries, written by concurrent calls (so several
    /// share a batch) of one to three entries each.
    async fn trail(n: usize) -> (Store, String) {
        let (s, _dir, url) = store_and_url().await;
        let mut calls = Vec::new();
        let mut i = 0;
        while i < n {
            let k = (1 + i % 3).min(n - i);
            let batch: Vec<_> = (i..i + k).map(|j| entry("r1", &format!("e{j}"))).collect();
            let s = s.clone();
            calls.push(tokio::spawn(async move { s.audit(&batch).await }));
            i += k;
        }
        for c in calls {
            c.await.unwrap().unwrap();
        }
        (s, url)
    }

    async fn sql(s: &Store, statement: &str) {
        sqlx::query(AssertSqlSafe(statement.to_string()))
            .execute(&s.write)
            .await
            .unwrap();
    }

    async fn hash_of(s: &Store, seq: i64) -> String {
        sqlx::query_scalar("SELECT hash FROM audit WHERE seq = $1")
            .bind(seq)
            .fetch_one(&s.read)
            .await
            .unwrap()
    }

    use sqlx::AssertSqlSafe;

    #[tokio::test]
    async fn an_untouched_trail_verifies_with_its_head() {
        let (s, _) = trail(20).await;
        let report = s.verify_audit().await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.checked, 20);
        let head = report.head.clone().unwrap();
        assert_eq!(head.seq, 20, "entries are numbered without gaps");
        assert_eq!(head.hash, hash_of(&s, 20).await);
        // The head is an anchor a later check passes through.
        let again = s.verify_audit_anchored(Some(&head)).await.unwrap();
        assert_eq!(again.anchor, Some(AnchorCheck::Holds));
        assert!(again.is_intact());
        let empty = store_and_url().await.0.verify_audit().await.unwrap();
        assert_eq!((empty.checked, empty.head, empty.broken), (0, None, None));
    }

    #[tokio::test]
    async fn an_edited_entry_is_reported() {
        let (s, _) = trail(10).await;
        sql(&s, "UPDATE audit SET outcome = 'denied' WHERE seq = 4").await;
        let report = s.verify_audit().await.unwrap();
        assert!(!report.is_intact());
        assert_eq!(
            report.broken,
            Some(AuditBreak {
                seq: 4,
                kind: AuditBreakKind::Edited
            })
        );
        assert_eq!(report.checked, 3);
        assert_eq!(report.head.map(|h| h.seq), Some(10));
    }

    #[tokio::test]
    async fn an_unknown_outcome_code_is_an_edit_too() {
        let (s, _) = trail(2).await;
        let mut failed = entry("r1", "refused");
        failed.outcome = AuditOutcome::Failed;
        s.audit(&[failed]).await.unwrap();
        assert!(s.verify_audit().await.unwrap().is_intact());
        // An unknown code reads back as "failed", as entry 3 was written;
        // the chain covers the stored text, so the change still shows.
        sql(&s, "UPDATE audit SET outcome = 'bogus' WHERE seq = 3").await;
        assert_eq!(
            s.audit_entry(3).await.unwrap().map(|e| e.outcome),
            Some(AuditOutcome::Failed)
        );
        let broken = s.verify_audit().await.unwrap().broken.unwrap();
        assert_eq!((broken.seq, broken.kind), (3, AuditBreakKind::Edited));
    }

    #[tokio::test]
    async fn deleted_middle_entries_are_reported() {
        let (s, _) = trail(10).await;
        sql(&s, "DELETE FROM audit WHERE seq IN (5, 6)").await;
        let broken = s.verify_audit().await.unwrap().broken.unwrap();
        assert_eq!(broken.seq, 7);
        assert_eq!(broken.kind, AuditBreakKind::Deleted { first: 5, last: 6 });
        assert!(broken.to_string().contains("entries 5 to 6 were deleted"));
        let (s, _) = trail(4).await;
        sql(&s, "DELETE FROM audit WHERE seq = 1").await;
        let broken = s.verify_audit().await.unwrap().broken.unwrap();
        assert_eq!(
            (broken.seq, broken.kind),
            (2, AuditBreakKind::Deleted { first: 1, last: 1 })
        );
    }

    #[tokio::test]
    async fn reordered_entries_are_reported() {
        let (s, _) = trail(6).await;
        sql(&s, "UPDATE audit SET seq = -3 WHERE seq = 3").await;
        sql(&s, "UPDATE audit SET seq = 3 WHERE seq = 4").await;
        sql(&s, "UPDATE audit SET seq = 4 WHERE seq = -3").await;
        let broken = s.verify_audit().await.unwrap().broken.unwrap();
        assert_eq!(broken.seq, 3);
        assert_eq!(broken.kind, AuditBreakKind::Reordered { after: 4 });
    }

    #[tokio::test]
    async fn an_entry_rewritten_with_a_new_hash_is_reported() {
        let (s, _) = trail(6).await;
        let prev = hash_of(&s, 2).await;
        let forged = entry_hash(
            &prev,
            &Fields {
                seq: 3,
                recorded_at: "2026-01-01T00:00:00.000Z",
                username: "doctor",
                role: "doctor",
                action: "read",
                resource_type: "Patient",
                resource_id: Some("r9"),
                patient: Some("r9"),
                outcome: "success",
                detail: "forged",
            },
        );
        sqlx::query(
            "UPDATE audit SET recorded_at = '2026-01-01T00:00:00.000Z', resource_id = 'r9', patient = 'r9', detail = 'forged', hash = $1 WHERE seq = 3",
        )
        .bind(&forged)
        .execute(&s.write)
        .await
        .unwrap();
        let report = s.verify_audit().await.unwrap();
        let broken = report.broken.unwrap();
        assert_eq!((broken.seq, broken.kind), (3, AuditBreakKind::Rewritten));
        assert_eq!(report.checked, 3, "entry 3 itself is consistent");
    }

    #[tokio::test]
    async fn a_cut_tail_is_caught_by_an_anchor_only() {
        let (s, _) = trail(8).await;
        let anchor = s.verify_audit().await.unwrap().head.unwrap();
        sql(&s, "DELETE FROM audit WHERE seq >= 7").await;
        // What is left is a whole chain: only the anchor shows the cut.
        let plain = s.verify_audit().await.unwrap();
        assert!(plain.is_intact());
        assert_eq!(plain.head.map(|h| h.seq), Some(6));
        let anchored = s.verify_audit_anchored(Some(&anchor)).await.unwrap();
        assert_eq!(anchored.anchor, Some(AnchorCheck::Missing));
        assert!(!anchored.is_intact());
        // New entries take the numbers again, with other hashes.
        s.audit(&[entry("r2", "a"), entry("r2", "b")])
            .await
            .unwrap();
        let anchored = s.verify_audit_anchored(Some(&anchor)).await.unwrap();
        assert!(anchored.broken.is_none());
        assert!(matches!(anchored.anchor, Some(AnchorCheck::Differs { .. })));
    }

    #[tokio::test]
    async fn a_trail_from_before_the_chain_is_chained_when_the_store_opens() {
        let (s, url) = trail(5).await;
        let before = s.verify_audit().await.unwrap().head.unwrap();
        sql(&s, "UPDATE audit SET prev_hash = NULL, hash = NULL").await;
        assert_eq!(
            s.verify_audit().await.unwrap().broken.map(|b| b.kind),
            Some(AuditBreakKind::Edited)
        );
        s.close().await;
        let s = Store::open(&url).await.unwrap();
        let report = s.verify_audit().await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        // The same rule, so the same hashes.
        assert_eq!(report.head, Some(before));
        s.audit(&[entry("r3", "after")]).await.unwrap();
        assert_eq!(s.verify_audit().await.unwrap().checked, 6);
        // A hash removed from a chained trail is reported, not recomputed.
        sql(&s, "UPDATE audit SET hash = NULL WHERE seq = 6").await;
        s.close().await;
        let s = Store::open(&url).await.unwrap();
        let broken = s.verify_audit().await.unwrap().broken.unwrap();
        assert_eq!((broken.seq, broken.kind), (6, AuditBreakKind::Edited));
    }

    #[test]
    fn anchors_read_back_what_they_write() {
        let a = AuditAnchor {
            seq: 42,
            hash: "ab".repeat(32),
        };
        assert_eq!(a.to_string().parse::<AuditAnchor>(), Ok(a));
        assert!("42".parse::<AuditAnchor>().is_err());
        assert!("x:00".parse::<AuditAnchor>().is_err());
        assert!(
            format!("1:{}", "g".repeat(64))
                .parse::<AuditAnchor>()
                .is_err()
        );
    }

    #[test]
    fn every_field_counts_and_fields_do_not_run_together() {
        let base = Fields {
            seq: 1,
            recorded_at: "t",
            username: "ab",
            role: "c",
            action: "read",
            resource_type: "Patient",
            resource_id: None,
            patient: Some("p"),
            outcome: "success",
            detail: "",
        };
        let h = entry_hash(GENESIS, &base);
        let shifted = Fields {
            username: "a",
            role: "bc",
            ..base.clone()
        };
        let none_vs_empty = Fields {
            resource_id: Some(""),
            ..base.clone()
        };
        let renumbered = Fields {
            seq: 2,
            ..base.clone()
        };
        for other in [shifted, none_vs_empty, renumbered] {
            assert_ne!(entry_hash(GENESIS, &other), h);
        }
        assert_ne!(entry_hash(&"1".repeat(64), &base), h);
        assert_eq!(entry_hash(GENESIS, &base), h);
    }
}
