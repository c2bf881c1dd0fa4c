//! Incoming referrals as the office's lists show them: read through the
//! referral service (scoped to the caller's institution, each one
//! audited), one row each with the words for its codes and the actions
//! the core allows this user now.

use crate::Lang;
use crate::UiError;
use crate::names::Names;
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_core::referral::{Priority, Referral};
use tiercare_service::referrals::Referrals;
use tiercare_service::search::{any_of, exact, query};
use tiercare_service::{Context, Versioned};
use time::OffsetDateTime;

/// Which referrals of an institution a list reads.
#[derive(Debug, Clone, Copy)]
pub enum Whose {
    /// Those waiting for the institution's own step (the index's
    /// `owner`): the office's work, without the finished loops of years.
    AwaitingUs,
    /// Every referral addressed to it (`performer`), e.g. a no-show that
    /// waits for the referrer.
    AddressedToUs,
}

/// Referrals of `institution` in any of `states`, with their versions.
pub async fn incoming(
    ctx: &Context,
    actor: &Actor,
    institution: &str,
    whose: Whose,
    states: &[&str],
) -> Result<Vec<Versioned<Referral>>, UiError> {
    let param = match whose {
        Whose::AwaitingUs => "owner",
        Whose::AddressedToUs => "performer",
    };
    let mut q = query(
        "ServiceRequest",
        vec![
            exact(param, format!("Organization/{institution}")),
            any_of("state", states.iter().map(|s| s.to_string()).collect()),
        ],
    );
    let service = Referrals::new(ctx, actor);
    let mut out = Vec::new();
    loop {
        let (page, total) = service.search(q.clone()).await?;
        let n = page.len();
        for s in page {
            if let Record::Referral(r) = s.record {
                out.push(Versioned {
                    value: r,
                    version: s.version,
                    updated_at: s.updated_at,
                });
            }
        }
        q.offset += q.count;
        if n == 0 || u64::from(q.offset) >= total {
            return Ok(out);
        }
    }
}

/// One referral in a list.
pub struct Row {
    pub id: String,
    pub href: String,
    pub version: u32,
    pub patient: String,
    pub condition: String,
    pub priority: String,
    pub urgent: bool,
    pub setting: String,
    pub specialty: String,
    pub from: String,
    pub requested: String,
    pub state: String,
    pub state_code: &'static str,
    /// When the current step is due ("" when no step is).
    pub due: String,
    pub overdue: bool,
    /// What was booked, and when ("" when nothing is).
    pub booking: String,
    /// The actions the core allows this user now: (code, words).
    pub actions: Vec<(&'static str, String)>,
}

/// The row of a referral.
pub async fn row(
    ctx: &Context,
    actor: &Actor,
    names: &mut Names<'_>,
    lang: Lang,
    r: &Versioned<Referral>,
    now: OffsetDateTime,
) -> Row {
    let v = &r.value;
    let due = v.due(&ctx.policy);
    let booking = match v.state.booking().or(match &v.state {
        tiercare_core::referral::ReferralState::Arrived { booking } => booking.as_ref(),
        tiercare_core::referral::ReferralState::NoShow { booking } => Some(booking),
        _ => None,
    }) {
        Some(b) => super::when(lang, b.start()),
        None => String::new(),
    };
    Row {
        id: v.id.to_string(),
        href: format!("/ui/office/referrals/{}", v.id),
        version: r.version,
        patient: names.resident(v.patient.as_str()).await,
        condition: crate::names::condition(lang, v.condition.as_str()),
        priority: lang.coded("priority", v.priority.code()),
        urgent: v.priority != Priority::Routine,
        setting: lang.coded("setting", v.setting.code()),
        specialty: lang.coded("specialty", v.specialty.code()),
        from: names.institution(v.from.as_str()).await,
        requested: super::when(lang, v.requested_at),
        state: lang.coded("state", v.state.code()),
        state_code: v.state.code(),
        due: due
            .as_ref()
            .map(|d| super::when(lang, d.by))
            .unwrap_or_default(),
        overdue: due.is_some_and(|d| d.by < now),
        booking,
        actions: v
            .allowed_actions(actor)
            .into_iter()
            .map(|a| (a.code(), lang.coded("action", a.code())))
            .collect(),
    }
}
