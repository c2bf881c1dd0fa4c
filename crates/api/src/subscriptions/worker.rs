//! The delivery worker: tells subscribers of Task changes, after the fact.
//!
//! A request that changes a referral only writes the referral and its
//! event, in one transaction, and wakes the worker (`AppState::changes`)
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
//! Each notification carries the Task as it is when it is sent, so within
//! one batch of events a Task that changed several times is sent once, at
//! its last change. Each delivery is audited as a read of the patient's
//! data on behalf of the subscription's owner.

use super::criteria::Criteria;
use super::{DeliveryConfig, resource::PAYLOAD};
use crate::AppState;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tiercare_core::Record;
use tiercare_core::events::Event;
use tiercare_fhir::referral::render_task;
use tiercare_store::{
    AuditEntry, AuditOutcome, StoreError, StoredEvent, Subscription, SubscriptionStatus,
};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// Wakes the worker after every request that may have changed something
/// (any method but GET, HEAD and OPTIONS), once it has been answered: the
/// change is committed by then, and the request does not wait for any
/// delivery.
pub async fn wake_after_change(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let resp = next.run(req).await;
    if changes && resp.status().is_success() {
        state.ctx.changes.notify_one();
    }
    resp
}

/// Events read per step of a lane.
const BATCH: u32 = 100;

/// The Tasks an event changes, by id. Referral events change the
/// referral's Task (same id); care-plan events the plan's follow-up Tasks.
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
        _ => Vec::new(),
    }
}

/// The Task `id` as it is now, with the resource type its record is
/// stored under and its patient: a referral's workflow, or a follow-up.
async fn current_task(
    state: &AppState,
    id: &str,
) -> Result<Option<(&'static str, Value, String)>, StoreError> {
    if tiercare_core::care_plan::FollowUp::is_follow_up_id(id) {
        if let Some(stored) = state.ctx.store.get("Task", id).await?
            && let Record::FollowUp(f) = &stored.record
        {
            let mut body = tiercare_fhir::care_plan::render_follow_up(f);
            body["id"] = Value::String(f.id.to_string());
            return Ok(Some(("Task", body, f.patient.to_string())));
        }
        return Ok(None);
    }
    if let Some(stored) = state.ctx.store.get("ServiceRequest", id).await?
        && let Record::Referral(r) = &stored.record
    {
        let body = render_task(r, &state.ctx.policy);
        return Ok(Some(("ServiceRequest", body, r.patient.to_string())));
    }
    Ok(None)
}

/// The running worker; [`stop`](Worker::stop) it on shutdown.
pub struct Worker {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Worker {
    /// Starts delivering for the server with this state.
    pub fn start(state: AppState) -> Worker {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(state, stopped));
        Worker { stop, task }
    }

    /// Stops the worker and its lanes. A delivery cut short is sent again
    /// at the next start: its cursor had not moved.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

struct Lane {
    state: AppState,
    client: reqwest::Client,
}

fn config(state: &AppState) -> &DeliveryConfig {
    &state.config.delivery
}

async fn run(state: AppState, mut stopped: oneshot::Receiver<()>) {
    let client = match reqwest::Client::builder()
        // A redirect is not a delivery: the endpoint must answer itself.
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client: subscriptions are not delivered");
            return;
        }
    };
    let ctx = Arc::new(Lane { state, client });
    let mut lanes = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, String> = HashMap::new();
    loop {
        if let Err(e) = start_lanes(&ctx, &mut lanes, &mut running).await {
            tracing::warn!(error = %e, "cannot read subscriptions; trying again later");
        }
        let poll = config(&ctx.state).poll_interval;
        tokio::select! {
            _ = &mut stopped => break,
            () = ctx.state.ctx.changes.notified() => {}
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
}

/// Gives every active subscription with undelivered events a lane, unless
/// it has one.
async fn start_lanes(
    ctx: &Arc<Lane>,
    lanes: &mut JoinSet<()>,
    running: &mut HashMap<tokio::task::Id, String>,
) -> Result<(), StoreError> {
    let store = &ctx.state.ctx.store;
    let last = store.last_event_seq().await?;
    let busy: HashSet<&String> = running.values().collect();
    let mut start = Vec::new();
    for s in store.subscriptions().await? {
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

impl Lane {
    /// Delivers the subscription's notifications until it has none left,
    /// waiting out its backoff after a failure; returns when it is done,
    /// switched off, deleted or gave up.
    async fn deliver_backlog(&self, id: &str) -> Result<(), StoreError> {
        let store = &self.state.ctx.store;
        loop {
            let Some(sub) = store.subscription(id).await? else {
                return Ok(());
            };
            if sub.spec.status != SubscriptionStatus::Active {
                return Ok(());
            }
            if let Some(at) = sub.next_attempt_at {
                let wait = at.saturating_sub(now_ms());
                if wait > 0 {
                    let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0));
                    // Look again at least every poll interval, so a
                    // subscription switched off or fixed is noticed.
                    tokio::time::sleep(wait.min(config(&self.state).poll_interval)).await;
                    continue;
                }
            }
            let criteria = match Criteria::parse(&sub.spec.criteria) {
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
                let Some((stored_as, body, patient)) = current_task(&self.state, &task).await?
                else {
                    continue;
                };
                if !criteria
                    .matches(store, sub.institution.as_deref(), stored_as, &task)
                    .await?
                {
                    continue;
                }
                match self.send(&sub, &task, &body).await {
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

    /// One attempt: R4 rest-hook. With a payload, `PUT {endpoint}/Task/{id}`
    /// with the Task; without, an empty `POST {endpoint}`. The
    /// subscription's headers go with it.
    async fn send(&self, sub: &Subscription, task: &str, body: &Value) -> Result<(), String> {
        let endpoint = sub.spec.endpoint.as_str();
        let mut rb = match sub.spec.payload.as_deref() {
            Some(mime) => {
                let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
                let url = format!("{}/Task/{task}", endpoint.trim_end_matches('/'));
                self.client
                    .put(url)
                    .header(reqwest::header::CONTENT_TYPE, mime)
                    .body(bytes)
            }
            None => self.client.post(endpoint).body(Vec::new()),
        };
        rb = rb.header(reqwest::header::ACCEPT, PAYLOAD);
        for h in &sub.spec.headers {
            if let Some((name, value)) = h.split_once(':') {
                rb = rb.header(name.trim(), value.trim());
            }
        }
        let timeout = config(&self.state).timeout;
        match rb.timeout(timeout).send().await {
            Ok(resp) if resp.status().is_success() => Ok(()),
            Ok(resp) => Err(format!("the endpoint answered HTTP {}", resp.status())),
            Err(e) if e.is_timeout() => Err(format!(
                "the endpoint did not answer within {} ms",
                timeout.as_millis()
            )),
            Err(e) => Err(error_chain(&e)),
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
        let cfg = config(&self.state);
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
            return self
                .state
                .ctx
                .store
                .subscription_gave_up(&sub.id, &text)
                .await;
        }
        let wait = cfg.backoff(attempts);
        let text = format!(
            "attempt {attempts} of {} to deliver Task/{task} failed: {why}; trying again in {} ms",
            cfg.max_attempts,
            wait.as_millis()
        );
        tracing::info!(subscription = %sub.id, %task, error = %why, attempts, "delivery failed; will retry");
        let next = now_ms().saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
        self.state
            .ctx
            .store
            .subscription_failed(&sub.id, attempts, next, &text)
            .await
    }

    /// A notification hands the patient's referral to another system: it
    /// is audited like a read by the subscription's owner.
    async fn audit(&self, sub: &Subscription, task: &str, patient: &str) -> Result<(), StoreError> {
        let role = self
            .state
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
        self.state.ctx.store.audit(&[entry]).await
    }
}

/// An error with its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
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
