//! The outbox: tells subscribers of Task changes, after the fact.
//!
//! A request that changes a referral only writes the referral and its
//! event, in one transaction, and wakes the outbox (`Context::changes`)
//! on its way out; it never waits for a subscriber. The worker runs beside
//! the server and gives each active subscription a *lane*: a task that
//! reads the events after the subscription's cursor, in order, and for each
//! Task that changed and matches the criteria sends the Task as it is now.
//! One lane per subscription keeps its notifications in event order, and a
//! slow or dead endpoint delays nobody but its own subscriber.
//!
//! Durability: the event log is the outbox and the cursor moves only after
//! a notification was accepted (2xx) or was not the subscription's concern.
//! After a crash the lane starts again at the cursor: at-least-once, never
//! lost. A failed attempt (network error, timeout, non-2xx) is retried
//! after an exponentially growing wait ([`DeliveryConfig::backoff`]), kept
//! in the database so a restart does not reset it; after
//! `max_attempts` failures the subscription goes to status `error` with
//! the reason, and its cursor stays at the undelivered event, so that
//! switching it back on resumes exactly there.
//!
//! Several servers on one database each run an outbox. A lane first takes
//! the subscription's delivery lease in the database and renews it before
//! every notification; while another server's lease runs, the lane leaves
//! the subscription alone, so each notification leaves from one server and
//! in order. A server that stops gives its leases back; one that crashes
//! loses them after [`LEASE`], and another server carries on from the
//! cursor.
//!
//! Each notification carries the Task as it is when it is sent, so within
//! one batch of events a Task that changed several times is sent once, at
//! its last change. Each delivery is audited as a read of the patient's
//! data on behalf of the subscription's owner.
//!
//! How a notification travels (the Task as FHIR JSON over HTTP) is the
//! [`Delivery`] the caller passes in; the outbox decides what is sent,
//! when, and what a failure means.

use super::DeliveryConfig;
use crate::Context;
use crate::emergency::CASE_ID_PREFIX as EMERGENCY_CASE_PREFIX;
use crate::search::exact;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tiercare_core::Record;
use tiercare_core::emergency::CaseChange;
use tiercare_core::events::Event;
use tiercare_store::{
    AuditEntry, AuditOutcome, Filter, Query, Store, StoreError, StoredEvent, Subscription,
    SubscriptionStatus,
};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// How a notification leaves tiercare. The HTTP face implements it: it
/// reads criteria with its search parameters, renders the Task and sends
/// it to the subscriber's endpoint.
pub trait Delivery: Send + Sync + 'static {
    /// The store filters of the Task search a subscription's criteria
    /// name; an error says why the criteria no longer hold.
    fn criteria(&self, text: &str) -> Result<Vec<Filter>, String>;

    /// One attempt to send the Task `task` (a referral's workflow or a
    /// follow-up, as `record` holds it now) to the subscription; an error
    /// says why it was not accepted.
    fn send(
        &self,
        sub: &Subscription,
        task: &str,
        record: &Record,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// Events read per step of a lane.
const BATCH: u32 = 100;

/// How long a delivery lease lasts without renewal, beyond the longest
/// attempt: a crashed server's subscriptions wait this long for another.
pub const LEASE: Duration = Duration::from_secs(30);

/// Least time between two looks at the subscriptions while changes keep
/// coming. Every commit wakes the outbox, and each look reads every
/// subscription: under load that was a read per referral step. A
/// notification waits at most this long for its look.
const LOOK_EVERY: Duration = Duration::from_millis(20);

/// The Tasks an event changes, by id. Referral events change the
/// referral's Task (same id); care-plan events the plan's follow-up Tasks;
/// an emergency case's opening and acknowledgement its alert Task (same
/// id).
pub fn tasks_changed(event: &Event) -> Vec<String> {
    use tiercare_core::care_plan::PlanChange;
    match event {
        Event::Referral(e) => vec![e.referral.to_string()],
        Event::CarePlan(e) => match &e.change {
            PlanChange::DrawnUp { plan, .. } => {
                plan.follow_ups.iter().map(ToString::to_string).collect()
            }
            PlanChange::PatientRefused { follow_ups, .. } => {
                follow_ups.iter().map(ToString::to_string).collect()
            }
            PlanChange::FollowUpDone { follow_up, .. } => vec![follow_up.to_string()],
            PlanChange::PatientAccepted | PlanChange::Completed => Vec::new(),
        },
        // An emergency case's alert Task (same id) is sent and acknowledged.
        Event::Emergency(e) => match e.change {
            CaseChange::Opened { .. } | CaseChange::Acknowledged => vec![e.case.to_string()],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The Task `id` as it is now, with the resource type its record is
/// stored under and its patient: a referral's workflow, or a follow-up.
async fn current_task(
    store: &Store,
    id: &str,
) -> Result<Option<(&'static str, Record, String)>, StoreError> {
    let stored_as = if tiercare_core::care_plan::FollowUp::is_follow_up_id(id) {
        "Task"
    } else if id.starts_with(EMERGENCY_CASE_PREFIX) {
        "EpisodeOfCare"
    } else {
        "ServiceRequest"
    };
    Ok(match store.get(stored_as, id).await?.map(|s| s.record) {
        Some(Record::FollowUp(f)) => {
            let patient = f.patient.to_string();
            Some((stored_as, Record::FollowUp(f), patient))
        }
        Some(Record::EmergencyCase(c)) => {
            let patient = c.patient.to_string();
            Some((stored_as, Record::EmergencyCase(c), patient))
        }
        Some(Record::Referral(r)) => {
            let patient = r.patient.to_string();
            Some((stored_as, Record::Referral(r), patient))
        }
        _ => None,
    })
}

/// Whether the Task `task_id`, as stored now, matches the criteria's
/// filters seen from `institution` (the referrals it is a party to, as a
/// Task search by its staff sees them; `None`: all, as an administrator
/// sees them): the criteria's search, narrowed to that one id. So a
/// subscription matches exactly what a Task search with the same
/// parameters by the same user returns.
pub async fn matches(
    store: &Store,
    criteria: &[Filter],
    institution: Option<&str>,
    stored_as: &str,
    task_id: &str,
) -> Result<bool, StoreError> {
    let mut filters = criteria.to_vec();
    filters.push(exact("_id", task_id));
    if let Some(i) = institution {
        filters.push(exact("party", format!("Organization/{i}")));
    }
    let q = Query {
        resource_type: stored_as.into(),
        filters,
        count: 1,
        offset: 0,
    };
    Ok(store.search(&q).await?.1 > 0)
}

/// The running outbox; [`stop`](Outbox::stop) it on shutdown.
pub struct Outbox {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Outbox {
    /// Starts delivering the changes made in `ctx`'s store.
    pub fn start<D: Delivery>(ctx: Context, config: DeliveryConfig, delivery: D) -> Outbox {
        let (stop, stopped) = oneshot::channel();
        let lane = Arc::new(Lane {
            ctx,
            config,
            delivery,
            holder: crate::new_id(),
        });
        let task = tokio::spawn(run(lane, stopped));
        Outbox { stop, task }
    }

    /// Stops the worker and its lanes. A delivery cut short is sent again
    /// at the next start: its cursor had not moved.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

struct Lane<D> {
    ctx: Context,
    config: DeliveryConfig,
    delivery: D,
    /// This outbox's name on the leases it holds.
    holder: String,
}

async fn run<D: Delivery>(lane: Arc<Lane<D>>, mut stopped: oneshot::Receiver<()>) {
    let mut lanes = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, String> = HashMap::new();
    loop {
        let looked = tokio::time::Instant::now();
        if let Err(e) = start_lanes(&lane, &mut lanes, &mut running).await {
            tracing::warn!(error = %e, "cannot read subscriptions; trying again later");
        }
        let poll = lane.config.poll_interval;
        tokio::select! {
            _ = &mut stopped => break,
            () = lane.ctx.changes.notified() => {
                tokio::time::sleep_until(looked + LOOK_EVERY).await;
            }
            () = tokio::time::sleep(poll) => {}
            Some(done) = lanes.join_next_with_id() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(e) => {
                        tracing::error!(error = %e, "a subscription's delivery stopped unexpectedly");
                        e.id()
                    }
                };
                running.remove(&id);
            }
        }
    }
    lanes.shutdown().await;
    // The lanes were cut short: their leases go back, so a server that
    // starts (or runs) beside this one carries on at once.
    if let Err(e) = lane.ctx.store.release_subscriptions_of(&lane.holder).await {
        tracing::warn!(error = %e, "cannot give the delivery leases back");
    }
}

/// Gives every active subscription with undelivered events a lane, unless
/// it has one.
async fn start_lanes<D: Delivery>(
    ctx: &Arc<Lane<D>>,
    lanes: &mut JoinSet<()>,
    running: &mut HashMap<tokio::task::Id, String>,
) -> Result<(), StoreError> {
    let store = &ctx.ctx.store;
    // Woken after every change: with no subscription on, one read and
    // done.
    let subscriptions = store.subscriptions().await?;
    if !subscriptions
        .iter()
        .any(|s| s.spec.status == SubscriptionStatus::Active)
    {
        return Ok(());
    }
    let last = store.last_event_seq().await?;
    let busy: HashSet<&String> = running.values().collect();
    let mut start = Vec::new();
    for s in subscriptions {
        if s.spec.status == SubscriptionStatus::Active
            && s.delivered_seq < last
            && !busy.contains(&s.id)
        {
            start.push(s.id);
        }
    }
    for id in start {
        let lane = ctx.clone();
        let sub = id.clone();
        let handle = lanes.spawn(async move {
            if let Err(e) = lane.deliver_backlog(&sub).await {
                tracing::warn!(subscription = %sub, error = %e,
                    "delivery interrupted; it resumes at the next wake-up");
            }
            // Given back whatever happened, so another server need not
            // wait for it to run out.
            if let Err(e) = lane.ctx.store.release_subscription(&sub, &lane.holder).await {
                tracing::warn!(subscription = %sub, error = %e, "cannot give the delivery lease back");
            }
        });
        running.insert(handle.id(), id);
    }
    Ok(())
}

fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}

/// The last change of each Task in a batch of events, in event order.
fn latest_changes(events: &[StoredEvent]) -> Vec<(i64, String)> {
    let all: Vec<(i64, String)> = events
        .iter()
        .flat_map(|e| tasks_changed(&e.event).into_iter().map(move |t| (e.seq, t)))
        .collect();
    all.iter()
        .enumerate()
        .filter(|(i, (_, t))| !all[i + 1..].iter().any(|(_, later)| later == t))
        .map(|(_, c)| c.clone())
        .collect()
}

impl<D: Delivery> Lane<D> {
    /// Takes or renews this outbox's lease on the subscription, long
    /// enough for one attempt and then some; false while another server
    /// holds it.
    async fn lease(&self, id: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let hold = self.config.timeout.saturating_add(LEASE);
        let until = now.saturating_add(i64::try_from(hold.as_millis()).unwrap_or(i64::MAX));
        self.ctx
            .store
            .lease_subscription(id, &self.holder, now, until)
            .await
    }

    /// Delivers the subscription's notifications until it has none left,
    /// waiting out its backoff after a failure; returns when it is done,
    /// switched off, deleted or gave up.
    async fn deliver_backlog(&self, id: &str) -> Result<(), StoreError> {
        let store = &self.ctx.store;
        loop {
            // Another server delivers it (or it is gone); it is looked at
            // again at the next wake-up, in case that server stops. Taken
            // before the cursor is read: a cursor read earlier may be one
            // the last holder has moved since.
            if !self.lease(id).await? {
                return Ok(());
            }
            let Some(sub) = store.subscription(id).await? else {
                return Ok(());
            };
            if sub.spec.status != SubscriptionStatus::Active {
                return Ok(());
            }
            // Nothing leaves on behalf of a disabled account: its
            // subscriptions wait, cursor kept, until it is enabled again
            // and the next change wakes the lane.
            if store.enabled_user(&sub.owner).await?.is_none() {
                return Ok(());
            }
            if let Some(at) = sub.next_attempt_at {
                let wait = at.saturating_sub(now_ms());
                if wait > 0 {
                    let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0));
                    // Look again at least every poll interval, so a
                    // subscription switched off or fixed is noticed.
                    tokio::time::sleep(wait.min(self.config.poll_interval)).await;
                    continue;
                }
            }
            let criteria = match self.delivery.criteria(&sub.spec.criteria) {
                Ok(c) => c,
                Err(e) => {
                    let why = format!("the criteria are no longer valid: {e}");
                    store.subscription_gave_up(id, &why).await?;
                    return Ok(());
                }
            };
            let events = store.events_after(sub.delivered_seq, BATCH).await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(());
            };
            let mut failed = false;
            let mut attempts = sub.attempts;
            for (seq, task) in latest_changes(&events) {
                let Some((stored_as, record, patient)) = current_task(store, &task).await? else {
                    continue;
                };
                let institution = sub.institution.as_deref();
                if !matches(store, &criteria, institution, stored_as, &task).await? {
                    continue;
                }
                // Renewed before each send: a lease that ran out while an
                // earlier one was slow may have passed to another server.
                if !self.lease(id).await? {
                    return Ok(());
                }
                match self.delivery.send(&sub, &task, &record).await {
                    Ok(()) => {
                        metrics::counter!("tiercare_subscription_notifications_total", "outcome" => "delivered")
                            .increment(1);
                        self.audit(&sub, &task, &patient).await?;
                        store.subscription_done_with(id, seq).await?;
                        attempts = 0;
                    }
                    Err(why) => {
                        self.failed(&sub, attempts, &task, &why).await?;
                        failed = true;
                        break;
                    }
                }
            }
            if !failed {
                store.subscription_done_with(id, last).await?;
            }
        }
    }

    /// Records a failed attempt (the `before + 1`th at this notification):
    /// a retry after the backoff, or giving up.
    async fn failed(
        &self,
        sub: &Subscription,
        before: u32,
        task: &str,
        why: &str,
    ) -> Result<(), StoreError> {
        let cfg = &self.config;
        let attempts = before.saturating_add(1);
        metrics::counter!("tiercare_subscription_notifications_total", "outcome" => "failed")
            .increment(1);
        if attempts >= cfg.max_attempts {
            let text = format!(
                "gave up after {attempts} failed attempts to deliver Task/{task}: {why}; switch the subscription back on (status requested) to resume from there"
            );
            tracing::warn!(subscription = %sub.id, %task, error = %why, "delivery gave up");
            metrics::counter!("tiercare_subscription_notifications_total", "outcome" => "abandoned")
                .increment(1);
            return self.ctx.store.subscription_gave_up(&sub.id, &text).await;
        }
        let wait = cfg.backoff(attempts);
        let text = format!(
            "attempt {attempts} of {} to deliver Task/{task} failed: {why}; trying again in {} ms",
            cfg.max_attempts,
            wait.as_millis()
        );
        tracing::info!(subscription = %sub.id, %task, error = %why, attempts, "delivery failed; will retry");
        let next = now_ms().saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
        self.ctx
            .store
            .subscription_failed(&sub.id, attempts, next, &text)
            .await
    }

    /// A notification hands the patient's referral to another system: it
    /// is audited like a read by the subscription's owner.
    async fn audit(&self, sub: &Subscription, task: &str, patient: &str) -> Result<(), StoreError> {
        let role = self
            .ctx
            .store
            .user(&sub.owner)
            .await?
            .map(|u| u.actor.role.code().to_string())
            .unwrap_or_default();
        let entry = AuditEntry {
            seq: 0,
            recorded_at: String::new(),
            username: sub.owner.clone(),
            role,
            action: "read".into(),
            resource_type: "Task".into(),
            resource_id: Some(task.to_string()),
            patient: Some(patient.to_string()),
            outcome: AuditOutcome::Success,
            detail: format!("sent to {} for Subscription/{}", sub.spec.endpoint, sub.id),
        };
        self.ctx.store.audit(&[entry]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiercare_core::referral::{Change, ReferralEvent};

    fn referral_event(seq: i64, id: &str) -> StoredEvent {
        let event = Event::Referral(ReferralEvent {
            referral: id.parse().unwrap(),
            at: time::OffsetDateTime::UNIX_EPOCH,
            by: "coordinator".into(),
            change: Change::Accepted,
        });
        StoredEvent {
            seq,
            kind: event.kind(),
            resource_type: "ServiceRequest".into(),
            resource_id: id.into(),
            event,
        }
    }

    #[test]
    fn referral_events_change_their_task_and_nothing_else_does() {
        assert_eq!(tasks_changed(&referral_event(1, "r1").event), ["r1"]);
        let other = Event::ContractEnded {
            resident: "res-1".parse().unwrap(),
            contract: tiercare_core::resident::Contract {
                team: "t1".parse().unwrap(),
                institution: None,
                family_doctor: None,
                signed_on: time::macros::date!(2026 - 01 - 01),
                ends_on: None,
            },
        };
        assert!(tasks_changed(&other).is_empty());
    }

    #[test]
    fn a_task_changed_twice_in_a_batch_is_sent_once_at_its_last_change() {
        let events = [
            referral_event(1, "a"),
            referral_event(2, "b"),
            referral_event(3, "a"),
            referral_event(4, "c"),
        ];
        let got: Vec<(i64, String)> = latest_changes(&events);
        assert_eq!(
            got,
            [
                (2, "b".to_string()),
                (3, "a".to_string()),
                (4, "c".to_string())
            ]
        );
    }
}
