//! Subscriptions to Task changes, and the outbox that delivers them.
//!
//! A hospital information system is told when a referral's workflow (its
//! `Task`) or a follow-up changes, without polling. This module owns who
//! may subscribe and see or change a subscription ([`Subscriptions`]); the
//! [`outbox`] tails the event log and hands each matching change to a
//! [`Delivery`](outbox::Delivery), which the HTTP face implements (it
//! renders the Task and sends it). The criteria are a Task search, parsed
//! by that face with its search parameters.
//!
//! Who may: an administrator (region-wide), or a coordinator or doctor of
//! an institution, whose subscription sees only the referrals that
//! institution is a party to. A subscription is seen by its owner, by the
//! staff of its institution and by administrators, and does not exist for
//! everybody else (its endpoint and headers may carry secrets); it is
//! changed or deleted by its owner, the coordinators of its institution and
//! administrators.

pub mod endpoints;
pub mod outbox;

pub use endpoints::EndpointRules;
pub use outbox::{Delivery, Outbox, tasks_changed};

use crate::{Context, ServiceError, new_id};
use std::time::Duration;
use tiercare_core::access::{Actor, UserRole};
use tiercare_store::{Subscription, SubscriptionSpec, SubscriptionStatus};

/// How notifications are delivered.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Longest one delivery attempt may take, connection to answer.
    pub timeout: Duration,
    /// Wait after the first failed attempt; doubled after each further
    /// failure, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Failed attempts at one notification after which the subscription
    /// goes to status `error` and stops.
    pub max_attempts: u32,
    /// How often the worker looks for new events when nothing woke it
    /// (changes made through this server's API wake it at once; this
    /// catches changes made by another process on the same database).
    pub poll_interval: Duration,
    /// Where notifications may go: the allow-list against requests into
    /// the server's own networks. The default refuses every address that
    /// is not public.
    pub endpoints: EndpointRules,
    /// Certificate authorities trusted for https endpoints besides the
    /// built-in public roots, as PEM (a region's internal CA).
    /// Certificates are always verified.
    pub extra_roots_pem: Option<String>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            timeout: Duration::from_secs(5),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
            max_attempts: 8,
            poll_interval: Duration::from_secs(5),
            endpoints: EndpointRules::default(),
            extra_roots_pem: None,
        }
    }
}

impl DeliveryConfig {
    /// The wait before attempt `failed + 1`, after `failed` failures.
    pub fn backoff(&self, failed: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed.saturating_sub(1));
        self.retry_base
            .checked_mul(factor)
            .unwrap_or(self.retry_max)
            .min(self.retry_max)
    }
}

/// Subscriptions as seen by one caller.
pub struct Subscriptions<'a> {
    ctx: &'a Context,
    actor: &'a Actor,
}

fn staff(actor: &Actor) -> Option<String> {
    match actor.role {
        UserRole::Coordinator | UserRole::Doctor => {
            actor.institution.as_ref().map(|i| i.to_string())
        }
        _ => None,
    }
}

impl<'a> Subscriptions<'a> {
    pub fn new(ctx: &'a Context, actor: &'a Actor) -> Self {
        Subscriptions { ctx, actor }
    }

    /// The institution a new subscription of the caller is seen from
    /// (`None`: region-wide, for administrators); forbidden for callers who may
    /// not subscribe.
    fn scope(&self) -> Result<Option<String>, ServiceError> {
        if self.actor.role == UserRole::Admin {
            return Ok(None);
        }
        staff(self.actor).map(Some).ok_or_else(|| {
            ServiceError::Forbidden(
                "only administrators, and coordinators and doctors of an institution, may subscribe to Task changes"
                    .into(),
            )
        })
    }

    fn can_see(&self, s: &Subscription) -> bool {
        self.actor.role == UserRole::Admin
            || s.owner == self.actor.username
            || (staff(self.actor).is_some() && staff(self.actor) == s.institution)
    }

    fn can_change(&self, s: &Subscription) -> bool {
        self.actor.role == UserRole::Admin
            || s.owner == self.actor.username
            || (self.actor.role == UserRole::Coordinator
                && staff(self.actor).is_some()
                && staff(self.actor) == s.institution)
    }

    /// Creates a subscription owned by the caller. It is told of changes
    /// from now on.
    pub async fn create(&self, spec: SubscriptionSpec) -> Result<Subscription, ServiceError> {
        let institution = self.scope()?;
        let created = self
            .ctx
            .store
            .add_subscription(
                &new_id(),
                &self.actor.username,
                institution.as_deref(),
                &spec,
            )
            .await?;
        tracing::info!(subscription = %created.id, owner = %created.owner,
            criteria = %created.spec.criteria, "subscription created");
        Ok(created)
    }

    /// Reads a subscription the caller may see (not found otherwise).
    pub async fn read(&self, id: &str) -> Result<Subscription, ServiceError> {
        match self.ctx.store.subscription(id).await? {
            Some(s) if self.can_see(&s) => Ok(s),
            _ => Err(ServiceError::NotFound(format!(
                "Subscription/{id} does not exist"
            ))),
        }
    }

    /// The subscriptions the caller may see, by id.
    pub async fn list(&self) -> Result<Vec<Subscription>, ServiceError> {
        self.scope()?;
        let all = self.ctx.store.subscriptions().await?;
        Ok(all.into_iter().filter(|s| self.can_see(s)).collect())
    }

    /// Replaces what the subscriber chose (at `if_match`, when given).
    pub async fn update(
        &self,
        id: &str,
        if_match: Option<u32>,
        spec: SubscriptionSpec,
    ) -> Result<Subscription, ServiceError> {
        let current = self.read(id).await?;
        if !self.can_change(&current) {
            return Err(self.not_yours());
        }
        let updated = self
            .ctx
            .store
            .update_subscription(id, if_match, &spec)
            .await?;
        if updated.spec.status == SubscriptionStatus::Active {
            // Switched (back) on: let the worker pick it up now.
            self.ctx.changes.notify_one();
        }
        Ok(updated)
    }

    /// Deletes a subscription; no notification is sent for it afterwards.
    pub async fn delete(&self, id: &str) -> Result<(), ServiceError> {
        let current = self.read(id).await?;
        if !self.can_change(&current) {
            return Err(self.not_yours());
        }
        if !self.ctx.store.delete_subscription(id).await? {
            return Err(ServiceError::NotFound(format!(
                "Subscription/{id} does not exist"
            )));
        }
        Ok(())
    }

    fn not_yours(&self) -> ServiceError {
        ServiceError::Forbidden(
            "only its owner, a coordinator of its institution or an administrator may change or delete a subscription"
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = DeliveryConfig {
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(20),
            ..DeliveryConfig::default()
        };
        let waits: Vec<u64> = (1..=6).map(|n| c.backoff(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 20, 20]);
        assert_eq!(c.backoff(200), Duration::from_secs(20));
    }
}
